// SPDX-License-Identifier: LGPL-2.1-or-later
/* Fault counts of touching a range, and its page-cache residency. */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "ctl/fault.h"
#include "ctl/win.h"
#include "internal.h"

#ifndef __NR_cachestat
#define __NR_cachestat 451 /* the same number on every architecture */
#endif

struct sample {
	struct rusage ru;
	struct timespec ts;
};

static void take(struct sample *s)
{
	getrusage(RUSAGE_THREAD, &s->ru);
	clock_gettime(CLOCK_MONOTONIC, &s->ts);
}

static void add(struct ctl_fault_phase *ph, const struct sample *a,
		const struct sample *b, uint64_t pages)
{
	ph->minflt += (uint64_t)(b->ru.ru_minflt - a->ru.ru_minflt);
	ph->majflt += (uint64_t)(b->ru.ru_majflt - a->ru.ru_majflt);
	ph->ns += (uint64_t)((b->ts.tv_sec - a->ts.tv_sec) * 1000000000LL +
			     (b->ts.tv_nsec - a->ts.tv_nsec));
	ph->pages += pages;
}

struct touch {
	size_t page;
	int write;
};

/* Not instrumented: ASan's shadow checks would fault in shadow pages and
 * count them as faults of the range. */
__attribute__((no_sanitize_address)) static int
touch_pages(void *arg, unsigned char *p, size_t len, uint64_t off)
{
	const struct touch *t = arg;
	/* First byte of each page the range covers, from the page start. */
	volatile unsigned char *q = p - (off & (t->page - 1));
	volatile unsigned char *end = p + len;

	for (; q < end; q += t->page) {
		unsigned char c = *q;

		if (t->write)
			*q = c;
	}
	return 0;
}

int ctl_fault_run(int fd, uint64_t off, uint64_t len, uint64_t winsize,
		  unsigned int flags, struct ctl_fault_report *rep)
{
	struct ctl_win w = {.fd = fd, .winsize = winsize, .flags = flags};
	struct touch t = {.page = (size_t)sysconf(_SC_PAGESIZE),
			  .write = !!(flags & CTL_WIN_WRITE)};
	int err = 0;

	memset(rep, 0, sizeof(*rep));
	while (len) {
		struct sample a, b, c;
		uint64_t pages;

		take(&a);
		err = ctl_win_map(&w, off, len);
		take(&b);
		if (err < 0)
			break;
		pages = w.sp.map_len / t.page;
		if (flags & (CTL_WIN_POPULATE | CTL_WIN_MADVISE))
			add(&rep->populate, &a, &b, pages);
		err = ctl_win_guard(&w, touch_pages, &t);
		take(&c);
		if (err < 0)
			break;
		add(&rep->touch, &b, &c, pages);
		off += w.sp.len;
		len -= w.sp.len;
	}
	rep->windows = w.windows;
	ctl_win_unmap(&w);
	return err;
}

struct cachestat_range {
	uint64_t off, len;
};

struct cachestat {
	uint64_t nr_cache, nr_dirty, nr_writeback, nr_evicted,
		nr_recently_evicted;
};

static int by_mincore(int fd, uint64_t off, uint64_t len, struct ctl_cache *c)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	struct ctl_win w = {.fd = fd};
	_cleanup_free_ unsigned char *vec = NULL;
	int err = 0;

	vec = malloc(CTL_WIN_DEFAULT / page);
	if (!vec)
		return -ENOMEM;
	while (len) {
		size_t n;

		err = ctl_win_map(&w, off, len);
		if (err < 0)
			break;
		n = w.sp.map_len / page;
		if (mincore(w.map, w.sp.map_len, vec) < 0) {
			err = neg_errno();
			break;
		}
		for (size_t i = 0; i < n; i++)
			c->cached += vec[i] & 1;
		off += w.sp.len;
		len -= w.sp.len;
	}
	ctl_win_unmap(&w);
	return err;
}

int ctl_cache_stat(int fd, uint64_t off, uint64_t len, int method,
		   struct ctl_cache *c)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	struct cachestat_range r = {off, len};
	struct cachestat cs;
	struct stat st;

	memset(c, 0, sizeof(*c));
	if (fstat(fd, &st) < 0)
		return neg_errno();
	if (!len)
		len = (uint64_t)st.st_size > off ? (uint64_t)st.st_size - off
						 : 0;
	if (!len)
		return 0;
	c->pages = ((off + len + page - 1) / page) - off / page;
	if (method != CTL_CACHE_MINCORE) {
		if (syscall(__NR_cachestat, fd, &r, &cs, 0) == 0) {
			c->method = CTL_CACHE_CACHESTAT;
			c->cached = cs.nr_cache;
			c->dirty = cs.nr_dirty;
			c->writeback = cs.nr_writeback;
			c->evicted = cs.nr_evicted;
			c->recently_evicted = cs.nr_recently_evicted;
			return 0;
		}
		if (errno != ENOSYS && errno != EPERM && errno != EOPNOTSUPP)
			return neg_errno();
		c->fallback_err = neg_errno();
	}
	c->method = CTL_CACHE_MINCORE;
	return by_mincore(fd, off, len, c);
}
