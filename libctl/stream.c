// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Streaming fixed-string replace. One buffer of window + len(OLD) bytes:
 * the tail that could still begin a match is carried into the next read,
 * so matches straddling windows are found without re-reading. Same length
 * writes back only the span that changed; a different length streams into
 * a temporary file that replaces the original atomically.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "ctl/file.h"
#include "ctl/stream.h"
#include "ctl/undo.h"
#include "internal.h"

/* Each of the two output buffers of a different-length replace. */
#define OUT_CAP (1U << 20)
/*
 * Different length, synced: writeback of the temp file is started every
 * WB_STEP bytes written; once WB_LAG more have been started, those bytes
 * are waited for and dropped from the page cache.
 */
#define WB_STEP (8U << 20)
#define WB_LAG (4 * WB_STEP)
/* Alignment of the read position in a pass buffer (see carry_room()). */
#define BUF_ALIGN 64
/* struct pass.rare before the first window was seen. */
#define RARE_UNSET (-2)
/* In place, writeback is started every this many bytes written. */
#define WRITEBACK_STEP (8U << 20)
#define ACL_ACCESS "system.posix_acl_access"

void ctl_stream_tmp_cleanup(struct ctl_stream_tmp *t)
{
	if (t && t->armed) {
		unlink(t->path);
		t->armed = 0;
	}
}

/*
 * Output of a different-length replace: two buffers, one filled while a
 * writer thread writes the other, so the search and the disk overlap.
 * The writes go through the page cache. With BEHIND set (a synced
 * replace) the writer starts writeback every WB_STEP bytes, so the disk
 * works at its full queue depth alongside the pass, and WB_LAG behind
 * that waits for the pages and drops them: the new copy does not push
 * other processes' pages out of the page cache, and the final fsync()
 * waits only for the tail. (O_DIRECT, one write in flight at a time and
 * each extending the file, kept the disk at a fraction of that.)
 */
struct outbuf {
	int fd;
	char *mem; /* 2 * cap bytes */
	char *buf; /* the half being filled */
	size_t len, cap;
	uint64_t total; /* bytes handed to out_put() */
	uint64_t written; /* bytes written to FD (by the writer) */
	uint64_t wb_started, wb_dropped; /* writeback started, dropped */
	bool behind;
	bool threaded, stop;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	const char *wbuf; /* handed to the writer; NULL when it is idle */
	size_t wlen;
	int err; /* the writer's first error */
};

/*
 * sync_file_range() on the temp file. Where the file system has no use
 * for it (ESPIPE, EINVAL, ENOSYS, EOPNOTSUPP) writing behind stops and
 * the final fsync() does it all.
 */
static int wb_range(struct outbuf *o, uint64_t off, uint64_t len,
		    unsigned int flags)
{
	if (sync_file_range(o->fd, (off64_t)off, (off64_t)len, flags) == 0)
		return 0;
	if (errno == ESPIPE || errno == EINVAL || errno == ENOSYS ||
	    errno == EOPNOTSUPP) {
		o->behind = false;
		return 0;
	}
	return neg_errno();
}

/*
 * After a write: start writeback of what was written since the last
 * start, every WB_STEP bytes (all of it when FINAL), and wait for and
 * drop what lies more than WB_LAG behind (nothing when FINAL: fsync()
 * waits for that, and the caller drops it then). The wait returns a
 * writeback error and takes it from this file descriptor's error state,
 * so that a later fsync() would no longer see it: it must fail here.
 */
static int behind(struct outbuf *o, bool final)
{
	uint64_t len = o->written - o->wb_started;
	int err;

	if (!o->behind || (len < WB_STEP && !(final && len)))
		return 0;
	err = wb_range(o, o->wb_started, len, SYNC_FILE_RANGE_WRITE);
	if (err < 0)
		return err;
	o->wb_started = o->written;
	while (o->behind && !final && o->wb_started - o->wb_dropped > WB_LAG) {
		len = o->wb_started - WB_LAG - o->wb_dropped;
		err = wb_range(o, o->wb_dropped, len,
			       SYNC_FILE_RANGE_WAIT_BEFORE |
				       SYNC_FILE_RANGE_WRITE |
				       SYNC_FILE_RANGE_WAIT_AFTER);
		if (err < 0)
			return err;
		posix_fadvise(o->fd, (off_t)o->wb_dropped, (off_t)len,
			      POSIX_FADV_DONTNEED);
		o->wb_dropped += len;
	}
	return 0;
}

/* Write N bytes at the end of the temp file, then write behind. */
static int out_write(struct outbuf *o, const char *b, size_t n)
{
	int err = ctl_write_full(o->fd, b, n);

	if (err < 0)
		return err;
	o->written += n;
	return behind(o, false);
}

static void *writer_main(void *arg)
{
	struct outbuf *o = arg;

	pthread_mutex_lock(&o->mu);
	for (;;) {
		const char *b;
		size_t n;
		int err;

		while (!o->wbuf && !o->stop)
			pthread_cond_wait(&o->cv, &o->mu);
		if (!o->wbuf)
			break;
		b = o->wbuf;
		n = o->wlen;
		pthread_mutex_unlock(&o->mu);
		err = out_write(o, b, n);
		pthread_mutex_lock(&o->mu);
		if (err < 0 && !o->err)
			o->err = err;
		o->wbuf = NULL;
		pthread_cond_broadcast(&o->cv);
	}
	pthread_mutex_unlock(&o->mu);
	return NULL;
}

static void out_start(struct outbuf *o)
{
	o->buf = o->mem;
	if (pthread_mutex_init(&o->mu, NULL))
		return;
	if (pthread_cond_init(&o->cv, NULL)) {
		pthread_mutex_destroy(&o->mu);
		return;
	}
	/* Without a thread the writes are just synchronous. */
	o->threaded = pthread_create(&o->th, NULL, writer_main, o) == 0;
	if (!o->threaded) {
		pthread_cond_destroy(&o->cv);
		pthread_mutex_destroy(&o->mu);
	}
}

static void out_stop(struct outbuf *o)
{
	if (!o->threaded)
		return;
	pthread_mutex_lock(&o->mu);
	o->stop = true;
	pthread_cond_broadcast(&o->cv);
	pthread_mutex_unlock(&o->mu);
	pthread_join(o->th, NULL);
	pthread_cond_destroy(&o->cv);
	pthread_mutex_destroy(&o->mu);
	o->threaded = false;
}

/* Wait for the writer to be idle; returns its error, if any. */
static int out_wait(struct outbuf *o)
{
	int err;

	if (!o->threaded)
		return 0;
	pthread_mutex_lock(&o->mu);
	while (o->wbuf)
		pthread_cond_wait(&o->cv, &o->mu);
	err = o->err;
	pthread_mutex_unlock(&o->mu);
	return err;
}

/* Hand the full buffer to the writer and go on with the other one. */
static int out_flush(struct outbuf *o)
{
	int err = out_wait(o);

	if (err < 0)
		return err;
	if (!o->threaded) {
		err = out_write(o, o->buf, o->len);
		o->len = 0;
		return err;
	}
	pthread_mutex_lock(&o->mu);
	o->wbuf = o->buf;
	o->wlen = o->len;
	pthread_cond_broadcast(&o->cv);
	pthread_mutex_unlock(&o->mu);
	o->buf = o->buf == o->mem ? o->mem + o->cap : o->mem;
	o->len = 0;
	return 0;
}

/* The last write once the writer is done, and writeback of the tail. */
static int out_finish(struct outbuf *o)
{
	size_t len = o->len;
	int err = out_wait(o);

	if (err < 0)
		return err;
	o->len = 0;
	err = ctl_write_full(o->fd, o->buf, len);
	if (err < 0)
		return err;
	o->written += len;
	return behind(o, true);
}

static int out_put(struct outbuf *o, const char *p, size_t len)
{
	o->total += len;
	while (len > 0) {
		size_t n = o->cap - o->len < len ? o->cap - o->len : len;

		memcpy(o->buf + o->len, p, n);
		o->len += n;
		p += n;
		len -= n;
		if (o->len == o->cap) {
			int err = out_flush(o);

			if (err < 0)
				return err;
		}
	}
	return 0;
}

/* State of one pass over the file. */
struct pass {
	const struct ctl_replace *rp;
	struct ctl_replace_stats *st;
	int fd;
	bool in_place, dry, count_only;
	size_t ndiff; /* bytes that differ between OLD and NEW (same length) */
	uint64_t wb_from, wb_to; /* in place: written back but not yet sent */
	bool patch_in_scan; /* in place without a journal: one search */
	bool emitting; /* different length: streaming to the temp */
	int rare; /* needle byte searched with memchr, -1: memmem, or unset */
	size_t rare_at; /* its index in OLD */
	struct timespec mtime; /* of the file when the pass began */
	struct outbuf out;
};

/*
 * In place: hand what was written to writeback as the pass goes, so the
 * disk works while the next windows are searched and the final
 * fdatasync() only waits for the last few.
 */
static void writeback(struct pass *p, uint64_t off, size_t len)
{
	if (p->rp->flags & CTL_REPLACE_NO_SYNC)
		return;
	if (p->wb_to <= p->wb_from)
		p->wb_from = off;
	if (off + len > p->wb_to)
		p->wb_to = off + len;
	if (p->wb_to - p->wb_from < WRITEBACK_STEP)
		return;
	sync_file_range(p->fd, (off64_t)p->wb_from,
			(off64_t)(p->wb_to - p->wb_from),
			SYNC_FILE_RANGE_WRITE);
	p->wb_from = p->wb_to;
}

static bool max_reached(const struct pass *p)
{
	return p->rp->max_count && p->st->matches >= p->rp->max_count;
}

/*
 * Pick the byte of OLD that is rarest in SAMPLE (the first window): the
 * search runs memchr() for it and memcmp() around each hit, which on text
 * is several times faster than memmem(). When even the rarest byte is
 * common (more than 1 in 32), memmem() is used instead.
 */
static void pick_rare(struct pass *p, const unsigned char *sample, size_t n)
{
	const unsigned char *nd = p->rp->old;
	size_t hist[256] = {0}, best = SIZE_MAX;

	for (size_t i = 0; i < n; i++)
		hist[sample[i]]++;
	p->rare = -1;
	for (size_t k = 0; k < p->rp->old_len; k++) {
		if (hist[nd[k]] < best) {
			best = hist[nd[k]];
			p->rare_at = k;
		}
	}
	if (best <= n / 32)
		p->rare = nd[p->rare_at];
}

/* The first match of OLD in BUF[0..LEN), or NULL. */
static char *find(const struct pass *p, char *buf, size_t len)
{
	const struct ctl_replace *rp = p->rp;
	size_t nl = rp->old_len, k = p->rare_at;
	char *lo, *hi;

	if (p->rare < 0)
		return memmem(buf, len, rp->old, nl);
	if (len < nl)
		return NULL;
	lo = buf + k;
	hi = buf + len - nl + k + 1;
	while (lo < hi) {
		char *c = memchr(lo, p->rare, (size_t)(hi - lo));

		if (!c)
			return NULL;
		if (memcmp(c - k, rp->old, nl) == 0)
			return c - k;
		lo = c + 1;
	}
	return NULL;
}

/*
 * Count the complete matches in BUF[0..LEN), left to right and
 * non-overlapping, and report the first and last. In the same search,
 * patch them when nothing must be journaled first, or stream the text
 * up to each match and NEW to the temp file. *NEXT is the offset just past
 * the last match (0 when none), where the next search must start.
 * Returns 0 or -errno of the output.
 */
static int scan(struct pass *p, char *buf, size_t len, size_t *first,
		size_t *last, size_t *next)
{
	const struct ctl_replace *rp = p->rp;
	size_t pos = 0;
	int err;

	*first = *last = SIZE_MAX;
	while (pos + rp->old_len <= len && !max_reached(p)) {
		char *m = find(p, buf + pos, len - pos);
		size_t at;

		if (!m)
			break;
		at = (size_t)(m - buf);
		if (p->emitting) {
			err = out_put(&p->out, buf + pos, at - pos);
			if (err >= 0)
				err = out_put(&p->out, rp->new, rp->new_len);
			if (err < 0)
				return err;
		} else if (p->patch_in_scan) {
			memcpy(m, rp->new, rp->new_len);
		}
		if (*first == SIZE_MAX)
			*first = at;
		*last = at;
		pos = at + rp->old_len;
		p->st->matches++;
	}
	*next = pos;
	return 0;
}

/* In place: journal the changed span, patch it in BUF, write it back. */
static int apply_in_place(struct pass *p, char *buf, uint64_t base,
			  size_t first, size_t last)
{
	const struct ctl_replace *rp = p->rp;
	size_t end = last + rp->old_len, pos = first;
	struct stat sb;
	int err;

	if (rp->journal) {
		err = rp->journal(rp->journal_arg, base + first, buf + first,
				  end - first);
		if (err < 0) {
			p->st->step = "undo journal";
			return err;
		}
		/* Truncated by someone else during the journal's fdatasync:
		 * writing back would grow it again, with a hole and a stale
		 * span. (Without a journal the read was a moment ago.) */
		if (fstat(p->fd, &sb) < 0) {
			p->st->step = "stat";
			return neg_errno();
		}
		if ((uint64_t)sb.st_size < base + end) {
			p->st->step = "read";
			return -ESTALE;
		}
	}
	/* Matches were counted by scan(); find them again to patch. */
	while (!p->patch_in_scan && pos + rp->old_len <= end) {
		char *m = find(p, buf + pos, end - pos);

		if (!m)
			break;
		memcpy(m, rp->new, rp->new_len);
		pos = (size_t)(m - buf) + rp->old_len;
	}
	err = ctl_pwrite_full(p->fd, buf + first, end - first, base + first);
	if (err < 0)
		p->st->step = "write";
	else
		writeback(p, base + first, end - first);
	return err;
}

/*
 * Bytes of a pass buffer before its read position: room for the tail
 * carried over (at most len(OLD) - 1), so that each read lands on an
 * aligned address. Reads start at multiples of the window in the file;
 * copy_to_user() into a misaligned address ran at a seventh of the speed
 * here (0.70 s against 0.10 s per GiB from the page cache, rep movsb).
 */
static size_t carry_room(size_t old_len)
{
	return (old_len + BUF_ALIGN - 1) / BUF_ALIGN * BUF_ALIGN;
}

/*
 * One pass: count (dry run or space check), patch in place, or stream.
 * MEM holds carry_room() + WINDOW bytes, BUF_ALIGN aligned.
 */
static int run_pass(struct pass *p, char *mem, size_t window)
{
	const struct ctl_replace *rp = p->rp;
	uint64_t size = p->st->size_before, base = 0;
	char *rd = mem + carry_room(rp->old_len);
	size_t carry = 0;
	int err;

	while (base + carry < size) {
		size_t want = window, len, upto, first, last, next = 0;
		char *buf = rd - carry; /* the carried tail, then the read */
		ssize_t n;
		bool eof;

		if (want > size - base - carry)
			want = (size_t)(size - base - carry);
		n = ctl_pread_full(p->fd, rd, want, base + carry);
		if (n < 0) {
			p->st->step = "read";
			return (int)n;
		}
		if ((size_t)n < want) {
			p->st->step = "read";
			return -ESTALE;
		}
		len = carry + (size_t)n;
		eof = base + len >= size;
		if (p->rare == RARE_UNSET)
			pick_rare(p, (const unsigned char *)buf, len);
		err = scan(p, buf, len, &first, &last, &next);
		/* Keep the tail that could begin a match not yet complete. */
		upto = eof || max_reached(p) ? len : len - (rp->old_len - 1);
		if (next > upto)
			upto = next;
		if (err >= 0 && p->emitting)
			err = out_put(&p->out, buf + next, upto - next);
		else if (err >= 0 && p->in_place && !p->dry &&
			 first != SIZE_MAX)
			err = apply_in_place(p, buf, base, first, last);
		if (err < 0) {
			if (!p->st->step)
				p->st->step = "write";
			return err;
		}
		carry = len - upto;
		memmove(rd - carry, buf + upto, carry);
		base += upto;
		if (rp->progress && !p->count_only)
			rp->progress(rp->progress_arg, base + carry, size);
		/* A stream goes on to copy the rest; scan() finds no more. */
		if (max_reached(p) && (p->in_place || p->count_only || p->dry))
			return 0;
	}
	return 0;
}

static int copy_xattrs(int from, int to)
{
	_cleanup_free_ char *names = NULL, *val = NULL;
	size_t vcap = 0;
	ssize_t len;

	len = flistxattr(from, NULL, 0);
	if (len < 0)
		return errno == ENOTSUP ? 0 : neg_errno();
	if (len == 0)
		return 0;
	names = malloc((size_t)len);
	if (!names)
		return -ENOMEM;
	len = flistxattr(from, names, (size_t)len);
	if (len < 0)
		return neg_errno();
	for (char *name = names; name < names + len; name += strlen(name) + 1) {
		ssize_t vlen = fgetxattr(from, name, NULL, 0);

		if (vlen < 0)
			return neg_errno();
		if ((size_t)vlen + 1 > vcap) {
			char *nv = realloc(val, (size_t)vlen + 1);

			if (!nv)
				return -ENOMEM;
			val = nv;
			vcap = (size_t)vlen + 1;
		}
		vlen = fgetxattr(from, name, val, vcap);
		if (vlen < 0)
			return neg_errno();
		if (fsetxattr(to, name, val, (size_t)vlen, 0) < 0)
			return neg_errno();
	}
	return 0;
}

int ctl_stream_copy_meta(int from, int to, const char **step)
{
	struct stat st;
	int err;

	if (fstat(from, &st) < 0) {
		*step = "stat";
		return neg_errno();
	}
	/* chown first: it clears set-user-ID bits that fchmod then sets. */
	if (fchown(to, st.st_uid, st.st_gid) < 0) {
		*step = "copy owner";
		return neg_errno();
	}
	/* The temp file inherited the directory's default ACL, if any: an
	 * original without an access ACL must not gain its entries. */
	if (fgetxattr(from, ACL_ACCESS, NULL, 0) < 0 && errno == ENODATA &&
	    fremovexattr(to, ACL_ACCESS) < 0 && errno != ENODATA &&
	    errno != EOPNOTSUPP) {
		*step = "copy ACL";
		return neg_errno();
	}
	if (fchmod(to, st.st_mode & 07777) < 0) {
		*step = "copy mode";
		return neg_errno();
	}
	err = copy_xattrs(from, to);
	if (err < 0)
		*step = "copy xattrs";
	return err;
}

/* Directory and base name of PATH, in DIR (for the temp file). */
static int split_path(const char *path, char *dir, size_t len,
		      const char **base)
{
	const char *slash = strrchr(path, '/');

	if (!slash) {
		*base = path;
		return ctl_fmt(dir, len, ".");
	}
	*base = slash + 1;
	if (slash == path)
		return ctl_fmt(dir, len, "/");
	return ctl_fmt(dir, len, "%.*s", (int)(slash - path), path);
}

/*
 * The temp file: O_TMPFILE where the file system has it, so that a crash
 * or SIGKILL before the rename leaves nothing behind; it gets a name only
 * just before the rename. Elsewhere a named file, armed for cleanup.
 */
static int tmp_open(int dirfd, const char *dir, const char *base,
		    struct ctl_stream_tmp *tmp, bool *anon)
{
	static const char suffix[] = ".mmapwin-XXXXXX";
	int fd;

	fd = openat(dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0) {
		*anon = true;
		return fd;
	}
	if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
		return neg_errno();
	*anon = false;
	if (ctl_fmt(tmp->path, sizeof(tmp->path), "%s/.%s%s", dir, base,
		    suffix) < 0)
		return -ENAMETOOLONG;
	fd = mkostemp(tmp->path, O_CLOEXEC);
	if (fd < 0)
		return neg_errno();
	tmp->armed = 1;
	return fd;
}

/* Give an O_TMPFILE a name next to the target, armed for cleanup. */
static int tmp_link(int fd, int dirfd, const char *dir, const char *base,
		    struct ctl_stream_tmp *tmp)
{
	char name[NAME_MAX + 1], proc[64];

	for (unsigned int i = 0; i < 100; i++) {
		int n = snprintf(name, sizeof(name), ".%.200s.mmapwin-%d-%u",
				 base, (int)getpid(), i);

		if (n < 0 || (size_t)n >= sizeof(name))
			return -ENAMETOOLONG;
		if (ctl_fmt(tmp->path, sizeof(tmp->path), "%s/%s", dir, name) <
		    0)
			return -ENAMETOOLONG;
		/* Arm before the link: unlink of a missing name is harmless. */
		tmp->armed = 1;
		if (linkat(fd, "", dirfd, name, AT_EMPTY_PATH) == 0)
			return 0;
		if (errno == ENOENT || errno == EPERM) {
			/* No CAP_DAC_READ_SEARCH: the procfs route. */
			snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
			if (linkat(AT_FDCWD, proc, dirfd, name,
				   AT_SYMLINK_FOLLOW) == 0)
				return 0;
		}
		tmp->armed = 0;
		if (errno != EEXIST)
			return neg_errno();
	}
	return -EEXIST;
}

static int free_space(int fd, uint64_t *avail, uint64_t *bsize)
{
	struct statvfs sv;

	if (fstatvfs(fd, &sv) < 0)
		return neg_errno();
	*bsize = sv.f_frsize ? sv.f_frsize : sv.f_bsize;
	/* f_bfree would include the root reserve: stay conservative. */
	*avail = (uint64_t)sv.f_bavail * *bsize;
	return 0;
}

/* V rounded up to a multiple of TO, saturating at UINT64_MAX. */
static uint64_t round_up(uint64_t v, uint64_t to)
{
	if (!to || v > UINT64_MAX - to)
		return v;
	return (v + to - 1) / to * to;
}

/*
 * Different length: make sure the new file fits next to the old one. The
 * worst case is checked first so a plain replace needs a single pass; only
 * when it does not fit is the exact size counted. Returns 0, 1 when that
 * count found no match at all (nothing to write), or -errno.
 */
static int check_space(struct pass *p, char *buf, size_t window)
{
	const struct ctl_replace *rp = p->rp;
	struct ctl_replace_stats *st = p->st;
	uint64_t bsize, most, growth;
	int err;

	err = free_space(p->fd, &st->avail, &bsize);
	if (err < 0) {
		st->step = "statvfs";
		return err;
	}
	if (rp->new_len < rp->old_len) {
		most = st->size_before;
	} else {
		most = st->size_before / rp->old_len;
		if (rp->max_count && rp->max_count < most)
			most = rp->max_count;
		growth = rp->new_len - rp->old_len;
		most = most > (UINT64_MAX - st->size_before) / growth
			       ? UINT64_MAX
			       : st->size_before + most * growth;
	}
	st->need = round_up(most, bsize);
	if (st->need <= st->avail)
		return 0;
	p->count_only = true;
	err = run_pass(p, buf, window);
	p->count_only = false;
	if (err < 0)
		return err;
	/* Nothing to replace: no new version needs the room. */
	if (!st->matches)
		return 1;
	st->need = round_up(st->size_before + st->matches * rp->new_len -
				    st->matches * rp->old_len,
			    bsize);
	st->matches = 0;
	p->out.total = 0;
	if (st->need > st->avail) {
		st->step = "free space";
		return -ENOSPC;
	}
	return 0;
}

/* Whether the file's size or mtime moved since the pass began. */
static bool changed(const struct pass *p)
{
	struct stat sb;

	if (fstat(p->fd, &sb) < 0)
		return true;
	return (uint64_t)sb.st_size != p->st->size_before ||
	       sb.st_mtim.tv_sec != p->mtime.tv_sec ||
	       sb.st_mtim.tv_nsec != p->mtime.tv_nsec;
}

/* Whether BASE in DIRFD still names the open file FD. (FD keeps its
 * inode alive, so device and inode number are enough here.) */
static bool still_named(int fd, int dirfd, const char *base)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 &&
	       fstatat(dirfd, base, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* Temp file, stream, metadata, fsync, rename, fsync dir. */
static int replace_by_rename(struct pass *p, const char *path, char *buf,
			     size_t window)
{
	const struct ctl_replace *rp = p->rp;
	struct ctl_stream_tmp local = {0}, *tmp = rp->tmp ? rp->tmp : &local;
	_cleanup_close_ int dirfd = -1, tfd = -1;
	_cleanup_free_ char *obuf = NULL;
	char dir[PATH_MAX], real[PATH_MAX];
	const char *base;
	bool anon = false, sync = !(rp->flags & CTL_REPLACE_NO_SYNC);
	int err;

	/* The rename must replace the file, not a symlink leading to it. */
	if (!realpath(path, real)) {
		p->st->step = "resolve path";
		return neg_errno();
	}
	err = split_path(real, dir, sizeof(dir), &base);
	if (err < 0)
		return err;
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		p->st->step = "open directory";
		return neg_errno();
	}
	err = check_space(p, buf, window);
	if (err != 0)
		return err < 0 ? err : 0;
	obuf = malloc(2 * OUT_CAP);
	if (!obuf)
		return -ENOMEM;
	tfd = tmp_open(dirfd, dir, base, tmp, &anon);
	if (tfd < 0) {
		p->st->step = "create temporary file";
		return tfd;
	}
	p->out = (struct outbuf){
		.fd = tfd, .mem = obuf, .cap = OUT_CAP, .behind = sync};
	out_start(&p->out);
	p->emitting = true;
	err = run_pass(p, buf, window);
	p->emitting = false;
	if (err >= 0 && p->st->matches)
		err = out_finish(&p->out);
	out_stop(&p->out);
	if (err < 0 && !p->st->step)
		p->st->step = "write";
	/* Nothing matched: keep the original inode untouched. */
	if (err >= 0 && p->st->matches == 0) {
		ctl_stream_tmp_cleanup(tmp);
		return 0;
	}
	if (err >= 0)
		err = ctl_stream_copy_meta(p->fd, tfd, &p->st->step);
	if (err >= 0 && sync && fsync(tfd) < 0) {
		err = neg_errno();
		p->st->step = "fsync temporary file";
	}
	/* On disk now: the rest of the new copy leaves the page cache. */
	if (err >= 0 && sync)
		posix_fadvise(tfd, 0, 0, POSIX_FADV_DONTNEED);
	/* Written by someone else meanwhile (a live log appended to): the
	 * rename would drop that write. */
	if (err >= 0 && changed(p)) {
		err = -ESTALE;
		p->st->step = "changed meanwhile";
	}
	if (err >= 0 && anon) {
		err = tmp_link(tfd, dirfd, dir, base, tmp);
		if (err < 0)
			p->st->step = "link temporary file";
	}
	/* Another file renamed over the name meanwhile would be destroyed
	 * by the rename, not our original. */
	if (err >= 0 && !still_named(p->fd, dirfd, base)) {
		err = -ESTALE;
		p->st->step = "replaced meanwhile";
	}
	if (err >= 0 &&
	    renameat(dirfd, tmp->path + strlen(dir) + 1, dirfd, base) < 0) {
		err = neg_errno();
		p->st->step = "rename";
	}
	if (err < 0) {
		ctl_stream_tmp_cleanup(tmp);
		return err;
	}
	tmp->armed = 0;
	p->st->size_after = p->out.total;
	err = sync ? ctl_file_fsync_dirat(dirfd) : 0;
	if (err < 0)
		p->st->step = "fsync directory";
	return err;
}

static size_t count_diff(const struct ctl_replace *rp)
{
	const unsigned char *a = rp->old, *b = rp->new;
	size_t n = 0;

	for (size_t i = 0; i < rp->old_len; i++)
		n += a[i] != b[i];
	return n;
}

int ctl_stream_replace(const char *path, const struct ctl_replace *rp,
		       struct ctl_replace_stats *st)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	size_t window = rp->window ? rp->window : CTL_STREAM_WINDOW;
	struct pass p = {.rp = rp, .st = st, .rare = RARE_UNSET};
	struct stat sb;
	int err;

	memset(st, 0, sizeof(*st));
	if (!rp->old_len || (rp->old_len == rp->new_len &&
			     memcmp(rp->old, rp->new, rp->old_len) == 0)) {
		st->step = "arguments";
		return -EINVAL;
	}
	p.dry = rp->flags & CTL_REPLACE_DRY_RUN;
	p.in_place = rp->old_len == rp->new_len;
	st->in_place = p.in_place;
	/* Writable even for a rename: a read-only file stays unreplaced. */
	fd = open(path, (p.dry ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		st->step = "open";
		return neg_errno();
	}
	if (fstat(fd, &sb) < 0) {
		st->step = "stat";
		return neg_errno();
	}
	if (!S_ISREG(sb.st_mode)) {
		st->step = "not a regular file";
		return -EINVAL;
	}
	if (rp->id) {
		struct ctl_undo_id now;

		err = ctl_undo_id_get(fd, &now);
		if (err < 0) {
			st->step = "identity";
			return err;
		}
		if (!ctl_undo_id_same(rp->id, &now)) {
			st->step = "identity";
			return -EXDEV;
		}
	}
	if (!p.in_place && sb.st_nlink > 1 &&
	    !(rp->flags & CTL_REPLACE_BREAK_HARDLINKS)) {
		st->step = "hard links";
		return -EMLINK;
	}
	st->size_before = st->size_after = (uint64_t)sb.st_size;
	if (window < rp->old_len)
		window = rp->old_len;
	if (posix_memalign((void **)&buf, BUF_ALIGN,
			   carry_room(rp->old_len) + window))
		return -ENOMEM;
	p.fd = fd;
	p.mtime = sb.st_mtim;
	if (p.in_place) {
		p.ndiff = count_diff(rp);
		p.patch_in_scan = !rp->journal && !p.dry;
		err = run_pass(&p, buf, window);
		st->bytes_changed = st->matches * p.ndiff;
		if (err < 0)
			return err;
		if (!p.dry && st->matches &&
		    !(rp->flags & CTL_REPLACE_NO_SYNC) && fdatasync(fd) < 0) {
			st->step = "fdatasync";
			return neg_errno();
		}
		return 0;
	}
	if (p.dry) {
		err = run_pass(&p, buf, window);
		st->size_after = st->size_before + st->matches * rp->new_len -
				 st->matches * rp->old_len;
		st->bytes_changed = st->matches * rp->new_len;
		if (err >= 0) {
			uint64_t bsize = 0;

			err = free_space(fd, &st->avail, &bsize);
			st->need = round_up(st->size_after, bsize);
		}
		return err;
	}
	err = replace_by_rename(&p, path, buf, window);
	st->bytes_changed = st->matches * rp->new_len;
	return err;
}
