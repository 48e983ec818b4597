// SPDX-License-Identifier: LGPL-2.1-or-later
/* Bounded, page-aligned mmap windows with SIGBUS turned into errors. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "ctl/win.h"
#include "internal.h"

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#define MADV_POPULATE_WRITE 23
#endif

int ctl_win_span(uint64_t off, uint64_t rem, uint64_t winsize, size_t page,
		 struct ctl_win_span *sp)
{
	uint64_t delta, len;

	if (!page || (page & (page - 1)) || !winsize || winsize % page ||
	    winsize > SIZE_MAX || !rem)
		return -EINVAL;
	/* off_t is signed: the last byte must stay below INT64_MAX. */
	if (off > (uint64_t)INT64_MAX || rem > (uint64_t)INT64_MAX - off)
		return -EINVAL;
	delta = off & (page - 1);
	len = winsize - delta;
	if (len > rem)
		len = rem;
	sp->map_off = off - delta;
	sp->delta = delta;
	sp->len = len;
	sp->map_len = (delta + len + page - 1) & ~((uint64_t)page - 1);
	return 0;
}

int ctl_win_size_check(uint64_t winsize)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);

	if (winsize < page || winsize > CTL_WIN_MAX)
		return -ERANGE;
	if (winsize % page)
		return -EINVAL;
	return 0;
}

int ctl_win_open(const char *path, int write, uint64_t *size)
{
	_cleanup_close_ int fd = -1;
	struct stat st;

	fd = open(path, (write ? O_RDWR : O_RDONLY) | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return neg_errno();
	if (fstat(fd, &st) < 0)
		return neg_errno();
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if (fcntl(fd, F_SETFL, 0) < 0)
		return neg_errno();
	*size = (uint64_t)st.st_size;
	return TAKE_FD(fd);
}

void ctl_win_unmap(struct ctl_win *w)
{
	if (w->map)
		munmap(w->map, w->sp.map_len);
	w->map = NULL;
}

/* Why the pages of the current window could not be backed. */
static int bus_error(const struct ctl_win *w)
{
	struct statfs sfs;
	struct stat st;

	if (fstat(w->fd, &st) == 0 &&
	    (uint64_t)st.st_size < w->sp.map_off + w->sp.delta + w->sp.len)
		return -ESTALE;
	if (fstatfs(w->fd, &sfs) == 0 && sfs.f_bavail == 0)
		return -ENOSPC;
	return -EIO;
}

int ctl_win_map(struct ctl_win *w, uint64_t off, uint64_t rem)
{
	int prot = PROT_READ, mflags = MAP_SHARED, err;
	void *p;

	ctl_win_unmap(w);
	if (!w->winsize)
		w->winsize = CTL_WIN_DEFAULT;
	err = ctl_win_span(off, rem, w->winsize, (size_t)sysconf(_SC_PAGESIZE),
			   &w->sp);
	if (err < 0)
		return err;
	if (w->flags & CTL_WIN_WRITE)
		prot |= PROT_WRITE;
	if (w->flags & CTL_WIN_POPULATE)
		mflags |= MAP_POPULATE;
	p = mmap(NULL, w->sp.map_len, prot, mflags, w->fd,
		 (off_t)w->sp.map_off);
	if (p == MAP_FAILED)
		return neg_errno();
	w->map = p;
	w->windows++;
	if (!(w->flags & CTL_WIN_MADVISE))
		return 0;
	if (madvise(p, w->sp.map_len,
		    (w->flags & CTL_WIN_WRITE) ? MADV_POPULATE_WRITE
					       : MADV_POPULATE_READ) == 0)
		return 0;
	/* EINVAL: the advice is unknown (before 5.14); EFAULT: it would
	 * have raised SIGBUS; EHWPOISON, ENOMEM: as they say. */
	err = neg_errno();
	if (err == -EINVAL)
		err = -EOPNOTSUPP;
	else if (err == -EFAULT)
		err = bus_error(w);
	ctl_win_unmap(w);
	return err;
}

int ctl_win_sync(struct ctl_win *w)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t start = w->sp.delta & ~(page - 1);

	if (!w->map)
		return 0;
	return msync(w->map + start, w->sp.map_len - start, MS_SYNC) < 0
		       ? neg_errno()
		       : 0;
}

/* The SIGBUS guard: a chain of active guards per thread. */
struct guard {
	sigjmp_buf jb;
	const unsigned char *lo, *hi;
	struct guard *prev;
};

static __thread struct guard *volatile cur_guard;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	const unsigned char *a = si->si_addr;
	struct sigaction dfl = {.sa_handler = SIG_DFL};

	(void)uc;
	/* si_code <= 0: sent by a process, not raised by a memory access. */
	if (si->si_code > 0) {
		for (struct guard *g = cur_guard; g; g = g->prev) {
			if (a >= g->lo && a < g->hi) {
				cur_guard = g->prev;
				siglongjmp(g->jb, 1);
			}
		}
	}
	/* Not ours: the default action, as if we had never been here. A
	 * fault re-executes and dies; a sent signal stays pending. */
	sigaction(sig, &dfl, NULL);
	if (si->si_code <= 0)
		raise(sig);
}

static int guard_install(void)
{
	struct sigaction sa = {.sa_sigaction = on_sigbus,
			       .sa_flags = SA_SIGINFO};
	struct sigaction old;

	if (sigaction(SIGBUS, NULL, &old) < 0)
		return neg_errno();
	if ((old.sa_flags & SA_SIGINFO) && old.sa_sigaction == on_sigbus)
		return 0;
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGBUS, &sa, NULL) < 0 ? neg_errno() : 0;
}

int ctl_win_guard(struct ctl_win *w, ctl_win_fn fn, void *arg)
{
	struct guard g;
	int ret;

	if (!w->map)
		return -EINVAL;
	ret = guard_install();
	if (ret < 0)
		return ret;
	g.lo = w->map;
	g.hi = w->map + w->sp.map_len;
	g.prev = cur_guard;
	/* Save the signal mask: the handler runs with SIGBUS blocked and
	 * siglongjmp must unblock it. */
	if (sigsetjmp(g.jb, 1))
		return bus_error(w);
	cur_guard = &g;
	ret = fn(arg, w->map + w->sp.delta, w->sp.len,
		 w->sp.map_off + w->sp.delta);
	cur_guard = g.prev;
	/* A syscall that met the vanished page returned EFAULT instead. */
	if (ret == -EFAULT)
		ret = bus_error(w);
	return ret;
}

int ctl_win_each(struct ctl_win *w, uint64_t off, uint64_t len, ctl_win_fn fn,
		 void *arg)
{
	int err = 0;

	while (len) {
		err = ctl_win_map(w, off, len);
		if (err < 0)
			break;
		err = ctl_win_guard(w, fn, arg);
		if (err >= 0 && (w->flags & CTL_WIN_SYNC))
			err = ctl_win_sync(w);
		if (err < 0)
			break;
		off += w->sp.len;
		len -= w->sp.len;
	}
	ctl_win_unmap(w);
	return err < 0 ? err : 0;
}
