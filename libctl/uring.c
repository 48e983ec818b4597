// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The bulk writer, and the only file that calls liburing. Buffered, the
 * kernel moves the bytes itself where it can (kernel_copy(): splice from a
 * pipe, copy_file_range or sendfile from a file). Otherwise one loop
 * serves both engines: buffers are filled from the input in order, each
 * becomes one write at the next offset; io_uring keeps up to `depth` of
 * them in flight from registered buffers, pwrite completes each at once.
 * Writeback behind a buffered copy is started through a ring of its own
 * (wb_start()), unless the copy reads its input from a disk
 * (input_cold()); O_DIRECT first allocates the file (direct_prealloc()).
 */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "ctl/clock.h"
#include "ctl/fault.h"
#include "ctl/file.h"
#include "ctl/parse.h"
#include "ctl/root.h"
#include "ctl/uring.h"
#include "internal.h"

/* Drop-behind works in steps this large, one step behind writeback. */
#define DROP_STEP (8ULL * 1024 * 1024)
/* Largest O_DIRECT offset alignment handled (the buffered head and tail). */
#define TAIL_MAX 65536
/* -EAGAIN completions of one write retried before giving up. */
#define AGAIN_MAX 16
/* An input pipe is grown to this (the default of fs/pipe-max-size). */
#define PIPE_WANT (1024 * 1024)
/* Writeback requests (of DROP_STEP each) queued in the kernel at most. */
#define WB_MAX 8

const char *ctl_wengine_name(enum ctl_wengine e)
{
	switch (e) {
	case CTL_WENGINE_URING:
		return "uring";
	case CTL_WENGINE_PWRITE:
		return "pwrite";
	case CTL_WENGINE_SPLICE:
		return "splice";
	case CTL_WENGINE_COPY_RANGE:
		return "copy_file_range";
	case CTL_WENGINE_SENDFILE:
		return "sendfile";
	}
	return "?";
}

void ctl_throttle_init(struct ctl_throttle *t, const struct ctl_root *r,
		       double pct)
{
	memset(t, 0, sizeof(*t));
	t->root = r;
	t->interval_ms = 1000;
	ctl_satur_init(&t->satur, pct, CTL_SAT_SAMPLES);
}

int ctl_throttle_add(struct ctl_throttle *t, const char *disk)
{
	struct ctl_throttle_disk *v;
	struct ctl_diskstat ds;
	int err;

	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->disks[i].name, disk) == 0)
			return 0;
	err = ctl_diskstat_read(t->root, disk, &ds);
	if (err < 0)
		return err;
	v = realloc(t->disks, (t->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	t->disks = v;
	v += t->n++;
	memset(v, 0, sizeof(*v));
	v->last = ds; /* a disk added after a poll starts from now, not 0 */
	snprintf(v->name, sizeof(v->name), "%s", disk);
	return 0;
}

void ctl_throttle_free(struct ctl_throttle *t)
{
	free(t->disks);
	t->disks = NULL;
	t->n = 0;
}

unsigned int ctl_throttle_feed(struct ctl_throttle *t, double util,
			       unsigned int cur, unsigned int max)
{
	unsigned int to = cur;

	t->util = util;
	if (ctl_satur_feed(&t->satur, util)) {
		/* Another NEED saturated samples before the next halving. */
		t->satur.streak = 0;
		to = cur > 1 ? cur / 2 : 1;
	}
	t->calm = util < t->satur.pct ? t->calm + 1 : 0;
	if (t->calm >= t->satur.need && cur < max) {
		t->calm = 0;
		to = max;
	}
	if (to != cur && t->log)
		t->log(t->arg, cur, to, util);
	return to;
}

int ctl_throttle_poll(struct ctl_throttle *t, uint64_t now_ms, unsigned int cur,
		      unsigned int max)
{
	double ms = (double)(now_ms - t->last_ms), util = 0;
	size_t busiest = 0;

	if (t->last_ms && now_ms - t->last_ms < t->interval_ms)
		return (int)cur;
	for (size_t i = 0; i < t->n; i++) {
		struct ctl_throttle_disk *d = &t->disks[i];
		struct ctl_diskstat ds;
		struct ctl_iostat io;
		int err = ctl_diskstat_read(t->root, d->name, &ds);

		if (err < 0)
			return err;
		if (t->last_ms) {
			ctl_iostat_compute(&d->last, &ds, ms, &io);
			if (io.util > util || i == 0) {
				util = io.util;
				busiest = i;
			}
		}
		d->last = ds;
	}
	if (!t->last_ms) {
		t->last_ms = now_ms ? now_ms : 1;
		return (int)cur;
	}
	t->last_ms = now_ms;
	if (t->n)
		snprintf(t->disk, sizeof(t->disk), "%s",
			 t->disks[busiest].name);
	return (int)ctl_throttle_feed(t, util, cur, max);
}

struct wbuf {
	char *p;
	uint64_t off;
	size_t len, done;
	unsigned int again; /* -EAGAIN completions retried */
	bool busy;
};

struct writer {
	const struct ctl_write_opts *o;
	struct ctl_write_stats *st;
	int fd, in;
	size_t chunk, align;
	unsigned int depth, cur, inflight;
	uint64_t pos, started, dropped;
	bool direct, eof, uring;
	int err;
	char *mem;
	struct wbuf *bufs;
	struct io_uring ring;
	/* An O_DIRECT write's unaligned tail, written buffered at the end. */
	char *tail;
	size_t tail_len;
	uint64_t tail_off;
	/* O_DIRECT: the file was extended to prealloc_end from size0. */
	uint64_t size0, prealloc_end;
	/* wb_start(): writeback requests sent through their own ring. */
	struct io_uring wb;
	bool wb_on;
	unsigned int wb_inflight;
	/* The input is read from a disk: writeback waits for fdatasync(). */
	bool wb_defer;
	/* direct_input(): in is a descriptor of its own, in_caller the
	 * caller's. */
	bool in_own;
	int in_caller;
};

static int ring_setup(struct writer *w)
{
	struct iovec *iov;
	int err;

	err = io_uring_queue_init(w->depth, &w->ring, 0);
	if (err < 0) {
		w->st->fallback_why = "io_uring_queue_init";
		return err;
	}
	iov = calloc(w->depth, sizeof(*iov));
	if (!iov) {
		io_uring_queue_exit(&w->ring);
		return -ENOMEM;
	}
	for (unsigned int i = 0; i < w->depth; i++)
		iov[i] = (struct iovec){w->bufs[i].p, w->chunk};
	/* Pinned pages count against RLIMIT_MEMLOCK: ENOMEM past it. */
	err = io_uring_register_buffers(&w->ring, iov, w->depth);
	free(iov);
	if (err < 0) {
		w->st->fallback_why = "io_uring_register_buffers";
		io_uring_queue_exit(&w->ring);
		return err;
	}
	return 0;
}

static void complete(struct writer *w, struct wbuf *b)
{
	b->busy = false;
	w->inflight--;
	w->st->bytes += b->len;
	if (w->direct)
		w->st->direct_bytes += b->len;
	if (w->o->progress)
		w->o->progress(w->o->arg, w->st->bytes);
}

static int submit(struct writer *w, struct wbuf *b)
{
	struct io_uring_sqe *sqe;
	int err;

	b->busy = true;
	w->inflight++;
	if (!w->uring) {
		err = ctl_pwrite_full(w->fd, b->p, b->len, b->off);
		if (err < 0)
			goto not_sent;
		complete(w, b);
		return 0;
	}
	sqe = io_uring_get_sqe(&w->ring);
	if (!sqe) {
		err = -EBUSY; /* cannot happen: depth sqes for depth bufs */
		goto not_sent;
	}
	io_uring_prep_write_fixed(sqe, w->fd, b->p + b->done,
				  (unsigned int)(b->len - b->done),
				  b->off + b->done, (int)(b - w->bufs));
	io_uring_sqe_set_data(sqe, b);
	err = io_uring_submit(&w->ring);
	if (err >= 0)
		return 0;
not_sent:
	/* Nothing of B is in flight: run() must not wait for it (with
	 * pwrite there is no ring to wait on at all). */
	b->busy = false;
	w->inflight--;
	return err;
}

/* Wait for one completion; a short write is resubmitted for the rest. */
static int reap(struct writer *w)
{
	struct io_uring_cqe *cqe;
	struct wbuf *b;
	int err, res;

	do
		err = io_uring_wait_cqe(&w->ring, &cqe);
	while (err == -EINTR);
	if (err < 0)
		return err;
	b = io_uring_cqe_get_data(cqe);
	res = cqe->res;
	io_uring_cqe_seen(&w->ring, cqe);
	/* The kernel could not take the write just now (a full device
	 * queue with polled or nowait I/O): send the rest again, a few
	 * times, rather than fail a whole copy on a transient state. */
	if (res == -EAGAIN && !w->err && b->again++ < AGAIN_MAX) {
		w->inflight--;
		return submit(w, b);
	}
	if (res < 0) {
		b->busy = false;
		w->inflight--;
		return res;
	}
	if (res == 0) {
		b->busy = false;
		w->inflight--;
		return -EIO;
	}
	b->done += (size_t)res;
	if (b->done < b->len && w->err) {
		/* Draining after an error: no new submission, which would
		 * also send an SQE a failed submit left in the ring. */
		b->busy = false;
		w->inflight--;
		return 0;
	}
	if (b->done < b->len) {
		w->inflight--;
		return submit(w, b);
	}
	complete(w, b);
	return 0;
}

/*
 * sync_file_range(SYNC_FILE_RANGE_WRITE) is no request to start writeback
 * later: it allocates the blocks and submits the I/O itself, and waits
 * while the queue is full (write-back throttling), so called in the copy
 * loop it stops the copy. Sent through a small io_uring of its own
 * (IORING_OP_SYNC_FILE_RANGE runs in a kernel worker) the copy goes on;
 * without io_uring it is called here. Its result is no matter: the final
 * fdatasync() reports a failed write.
 */
static void wb_setup(struct writer *w)
{
	w->wb_on = io_uring_queue_init(WB_MAX, &w->wb, 0) == 0;
}

static void wb_reap(struct writer *w, bool wait)
{
	struct io_uring_cqe *cqe;

	while (w->wb_inflight &&
	       (wait ? io_uring_wait_cqe(&w->wb, &cqe)
		     : io_uring_peek_cqe(&w->wb, &cqe)) == 0) {
		io_uring_cqe_seen(&w->wb, cqe);
		w->wb_inflight--;
		wait = false;
	}
}

static void wb_start(struct writer *w, uint64_t off, uint64_t len)
{
	struct io_uring_sqe *sqe = NULL;

	if (w->wb_on && len <= UINT_MAX) {
		wb_reap(w, w->wb_inflight >= WB_MAX);
		sqe = io_uring_get_sqe(&w->wb);
	}
	if (sqe) {
		io_uring_prep_sync_file_range(sqe, w->fd, (unsigned int)len,
					      off, SYNC_FILE_RANGE_WRITE);
		if (io_uring_submit(&w->wb) == 1) {
			w->wb_inflight++;
			return;
		}
		/* Not sent: the ring is of no more use. */
		w->wb_on = false;
	}
	sync_file_range(w->fd, (off64_t)off, (off64_t)len,
			SYNC_FILE_RANGE_WRITE);
}

/* Wait for the writeback requests sent, and close their ring. */
static void wb_end(struct writer *w)
{
	if (!w->wb_on)
		return;
	while (w->wb_inflight) {
		unsigned int n = w->wb_inflight;

		wb_reap(w, true);
		if (w->wb_inflight == n)
			break; /* the wait failed: do not spin */
	}
	io_uring_queue_exit(&w->wb);
	w->wb_on = false;
}

/*
 * Whether behind() runs as the copy goes: for drop-behind always; for a
 * synced copy unless input_cold() left the writing to the final
 * fdatasync(); never for O_DIRECT (nothing to write back) or without a
 * sync.
 */
static bool writes_behind(const struct writer *w)
{
	unsigned int f = w->o->flags;

	if (w->direct)
		return false;
	if (f & CTL_WRITE_DROP_BEHIND)
		return true;
	return !(f & CTL_WRITE_NO_SYNC) && !w->wb_defer;
}

/*
 * Start writeback of what completed as the copy goes, so the disk works
 * alongside and the final fdatasync() waits only for the tail. With
 * DROP_BEHIND, one step behind that, wait for those pages and drop them,
 * so the page cache does not fill with the file.
 */
static int behind(struct writer *w, bool final)
{
	uint64_t low = w->pos;
	int fd = w->fd;

	for (unsigned int i = 0; i < w->depth; i++)
		if (w->bufs[i].busy && w->bufs[i].off < low)
			low = w->bufs[i].off;
	if (low >= w->started + DROP_STEP || (final && low > w->started)) {
		wb_start(w, w->started, low - w->started);
		w->started = low;
	}
	if (!(w->o->flags & CTL_WRITE_DROP_BEHIND))
		return 0;
	while (w->started >= w->dropped + 2 * DROP_STEP ||
	       (final && w->started > w->dropped)) {
		uint64_t len = w->started - w->dropped;

		if (!final && len > DROP_STEP)
			len = DROP_STEP;
		/* The wait takes a writeback error away from the file: the
		 * final fsync() would then return 0. It must be seen here. */
		if (sync_file_range(fd, (off64_t)w->dropped, (off64_t)len,
				    SYNC_FILE_RANGE_WAIT_BEFORE |
					    SYNC_FILE_RANGE_WRITE |
					    SYNC_FILE_RANGE_WAIT_AFTER) < 0 &&
		    errno != ESPIPE && errno != EINVAL && errno != ENOSYS &&
		    errno != EOPNOTSUPP) {
			w->st->step = "write back";
			return neg_errno();
		}
		posix_fadvise(fd, (off_t)w->dropped, (off_t)len,
			      POSIX_FADV_DONTNEED);
		w->dropped += len;
	}
	return 0;
}

static struct wbuf *free_buf(struct writer *w)
{
	for (unsigned int i = 0; i < w->depth; i++)
		if (!w->bufs[i].busy)
			return &w->bufs[i];
	return NULL;
}

/* Fill one buffer from the input and send it; sets w->eof at the end. */
static int feed(struct writer *w)
{
	struct wbuf *b = free_buf(w);
	ssize_t n;

	n = ctl_read_full(w->in, b->p, w->chunk);
	if (n < 0) {
		w->st->step = "read input";
		return (int)n;
	}
	if ((size_t)n < w->chunk)
		w->eof = true;
	if (n == 0)
		return 0;
	*b = (struct wbuf){.p = b->p, .off = w->pos, .len = (size_t)n};
	w->pos += (uint64_t)n;
	if (w->direct && b->len % w->align) {
		w->tail_len = b->len % w->align;
		b->len -= w->tail_len;
		w->tail_off = b->off + b->len;
		memcpy(w->tail, b->p + b->len, w->tail_len);
		if (!b->len)
			return 0;
	}
	return submit(w, b);
}

static int run(struct writer *w)
{
	const struct ctl_write_opts *o = w->o;
	int err;

	while (!w->eof || w->inflight) {
		while (!w->err && !w->eof && w->inflight < w->cur) {
			err = feed(w);
			if (err < 0 && !w->err) {
				w->err = err;
				if (!w->st->step)
					w->st->step = "write";
			}
			/* pwrite: one write per turn, so drop-behind keeps up. */
			if (!w->uring)
				break;
		}
		if (w->err && !w->inflight)
			return w->err;
		if (w->err)
			w->eof =
				true; /* stop feeding, drain what is in flight */
		if (w->inflight) {
			err = reap(w);
			if (err < 0 && !w->err) {
				w->err = err;
				w->st->step = "write";
			}
		}
		if (o->throttle && w->uring) {
			err = ctl_throttle_poll(o->throttle,
						(uint64_t)ctl_now_ms(), w->cur,
						w->depth);
			if (err > 0) {
				w->cur = (unsigned int)err;
				if (w->cur < w->st->min_depth)
					w->st->min_depth = w->cur;
			}
		}
		if (writes_behind(w)) {
			err = behind(w, false);
			if (err < 0 && !w->err)
				w->err = err;
		}
	}
	return w->err;
}

/*
 * Grow an input pipe to pipe-max-size (at most PIPE_WANT): with the 64 KiB
 * default, a producer that writes small pieces and this writer take turns,
 * a wake-up each piece; a larger pipe lets the producer fill it while the
 * last batch goes into the file. Root could pass pipe-max-size, so it is
 * read, not left to the kernel. EPERM (a user over pipe-user-pages-soft)
 * halves the size; no growth at all is no error. Returns the size.
 */
static unsigned int pipe_grow(int fd, const struct ctl_root *root)
{
	struct ctl_root *own = NULL;
	uint64_t max = PIPE_WANT, v;
	char buf[32];
	int cur = fcntl(fd, F_GETPIPE_SZ);

	if (cur < 0)
		return 0;
	if (!root && ctl_root_open(NULL, &own) == 0)
		root = own;
	if (root &&
	    ctl_root_read_file(root, "/proc/sys/fs/pipe-max-size", buf,
			       sizeof(buf)) > 0 &&
	    ctl_parse_range(buf, 1, INT_MAX, &v) == 0 && v < max)
		max = v;
	ctl_root_free(own);
	for (uint64_t want = max; want > (uint64_t)cur; want /= 2) {
		int got = fcntl(fd, F_SETPIPE_SZ, (int)want);

		if (got >= 0)
			return (unsigned int)got;
		if (errno != EPERM)
			break;
	}
	return (unsigned int)cur;
}

/* Errors of a first kernel copy that mean "not here": the input is still
 * untouched, so the next way takes over. */
static bool refused(int err)
{
	return err == EINVAL || err == EXDEV || err == EOPNOTSUPP ||
	       err == ENOSYS || err == EBADF;
}

/*
 * The regular file IN, from its position (into AT) on, is mostly not in
 * the page cache, as cachestat(2) tells (false without it).
 */
static bool uncached(int in, off_t *at)
{
	struct ctl_cache c;
	struct stat sb;

	if (fstat(in, &sb) < 0 || !S_ISREG(sb.st_mode))
		return false;
	*at = lseek(in, 0, SEEK_CUR);
	return *at >= 0 && ctl_cache_stat(in, (uint64_t)*at, 0, 0, &c) == 0 &&
	       c.method == CTL_CACHE_CACHESTAT && c.cached * 2 < c.pages;
}

/* The alignment of the buffers in memory. */
static size_t buf_align(const struct writer *w)
{
	return w->st->dio_mem_align > 4096 ? w->st->dio_mem_align : 4096;
}

/*
 * A regular file mostly not in the page cache (uncached(), AT its
 * position), as the input of --direct or of a buffered copy
 * (input_cold()): read it with O_DIRECT, into the aligned buffers,
 * through a descriptor of its own (opened again through /proc/self/fd, so
 * that the caller's keeps its flags). Filling the page cache with the
 * input only to copy it once costs more than the reads themselves (2 GiB,
 * cold: 1.7 s against 2.4 s through the page cache, 2.0 s with
 * POSIX_FADV_SEQUENTIAL). Not from the page cache: that would read the
 * disk again. Anything unaligned (the input's position, the chunk, the
 * buffers) keeps the buffered read.
 */
static void direct_input(struct writer *w, off_t at)
{
	struct statx sx;
	char path[64];
	int fd;

	if (statx(w->in, "", AT_EMPTY_PATH, STATX_DIOALIGN, &sx) < 0 ||
	    !(sx.stx_mask & STATX_DIOALIGN) || !sx.stx_dio_offset_align ||
	    at % sx.stx_dio_offset_align ||
	    w->chunk % sx.stx_dio_offset_align ||
	    sx.stx_dio_mem_align > buf_align(w))
		return;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", w->in);
	fd = open(path, O_RDONLY | O_DIRECT | O_CLOEXEC);
	if (fd < 0)
		return;
	if (lseek(fd, at, SEEK_SET) != at) {
		close(fd);
		return;
	}
	w->in_caller = w->in;
	w->in = fd;
	w->in_own = true;
	w->st->direct_input = true;
}

/* After direct_input(): the caller's descriptor ends where the data read
 * ended, as if it had been read. */
static void direct_input_end(struct writer *w)
{
	off_t end = lseek(w->in, 0, SEEK_CUR);

	if (end >= 0)
		lseek(w->in_caller, end, SEEK_SET);
	close(w->in);
	w->in = w->in_caller;
	w->in_own = false;
}

/*
 * A buffered copy from a regular file mostly not in the page cache waits
 * for reads from a disk, and writeback started behind it competes with
 * them: on one disk the reads queue behind the writes and come in smaller
 * requests, and the copy takes longer (2 GiB, ext4 on virtio, 2 CPUs:
 * reads 1.4 GiB/s alone, 0.8 GiB/s beside the writeback; the copy 1.6 s
 * against 3.9 s, the whole write 2.8 s against 4.3 s, cp && sync 2.7 s).
 * Then nothing is written back behind the copy: the final fdatasync()
 * writes the file once it is read, in one stream, as cp && sync does.
 * Drop-behind (asked for to keep the page cache small) and a throttle
 * (which paces the writes as they go) still write back as they go.
 *
 * Such an input is also read with O_DIRECT (direct_input()) into the
 * buffers, and written from there (write_body()), rather than copied by
 * copy_file_range(2): that would fill the page cache with the input only
 * to copy it once, and every page cache page filled costs time, the more
 * on a virtual machine that hands freed guest memory back to its host
 * (2 GiB, cold, five shuffled rounds, twice: 5.6 and 5.4 s median this
 * way against 9.4 and 10.3 s for cp && sync; through copy_file_range
 * 10.1 s against 8.0 s). Where O_DIRECT does not apply (its position or the chunk not
 * aligned, no STATX_DIOALIGN) the input is read through the page cache
 * with POSIX_FADV_SEQUENTIAL (a larger readahead), as cp does. Decided
 * from cachestat(2) only: without it (before Linux 6.5) nothing changes.
 */
static void input_cold(struct writer *w)
{
	const struct ctl_write_opts *o = w->o;
	off_t at;

	if (!uncached(w->in, &at))
		return;
	if (!(o->flags & (CTL_WRITE_DROP_BEHIND | CTL_WRITE_NO_SYNC)) &&
	    !o->throttle)
		w->wb_defer = true;
	direct_input(w, at);
	if (!w->in_own)
		posix_fadvise(w->in, at, 0, POSIX_FADV_SEQUENTIAL);
}

/* One kernel copy of up to a chunk at w->pos. */
static ssize_t kcopy(struct writer *w, enum ctl_wengine how)
{
	loff_t off = (loff_t)w->pos;

	switch (how) {
	case CTL_WENGINE_SPLICE:
		return splice(w->in, NULL, w->fd, &off, w->chunk, 0);
	case CTL_WENGINE_COPY_RANGE:
		return copy_file_range(w->in, NULL, w->fd, &off, w->chunk, 0);
	default:
		/* At the file position, which kernel_copy() set to pos. */
		return sendfile(w->fd, w->in, NULL, w->chunk);
	}
}

static const char *kcopy_step(enum ctl_wengine how)
{
	return how == CTL_WENGINE_SPLICE ? "write" : ctl_wengine_name(how);
}

/*
 * Buffered, the kernel moves the bytes itself: splice(2) from a pipe, and
 * copy_file_range(2) from a regular file (sendfile(2) where that refuses,
 * as it does across file systems) take them into the page cache with no
 * copy through user space. io_uring gains nothing there: ext4 has no
 * non-blocking buffered write, so each one is handed to an io-wq worker
 * that copies the buffer again on the other CPU. A depth or a throttle
 * asks for io_uring (these copies have no depth); O_DIRECT cannot splice,
 * and an input read with O_DIRECT (input_cold()) goes through the buffers.
 * Returns 0, -errno, or 1 when this does not apply (input untouched).
 */
static int kernel_copy(struct writer *w, const struct stat *out)
{
	const struct ctl_write_opts *o = w->o;
	unsigned int depth = w->depth;
	enum ctl_wengine how;
	struct stat in;

	if (o->engine != CTL_WENGINE_URING || o->depth || o->throttle ||
	    w->direct || w->in_own || !S_ISREG(out->st_mode) ||
	    fstat(w->in, &in) < 0)
		return 1;
	if (S_ISFIFO(in.st_mode))
		how = CTL_WENGINE_SPLICE;
	else if (S_ISREG(in.st_mode))
		how = CTL_WENGINE_COPY_RANGE;
	else
		return 1;
	w->depth = 0; /* behind(): nothing in flight, all up to pos is done */
	w->st->depth = w->st->min_depth = 1;
	for (;;) {
		ssize_t n = kcopy(w, how);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN && how == CTL_WENGINE_SPLICE) {
			/* A non-blocking pipe, empty for now. */
			struct pollfd p = {.fd = w->in, .events = POLLIN};

			poll(&p, 1, -1);
			continue;
		}
		if (n < 0 && !w->st->bytes && refused(errno)) {
			if (how != CTL_WENGINE_COPY_RANGE ||
			    lseek(w->fd, (off_t)w->pos, SEEK_SET) < 0) {
				w->depth = depth;
				return 1;
			}
			how = CTL_WENGINE_SENDFILE;
			continue;
		}
		w->st->engine = how;
		if (n < 0) {
			w->st->step = kcopy_step(how);
			return neg_errno();
		}
		if (n == 0)
			return 0;
		w->pos += (uint64_t)n;
		w->st->bytes += (uint64_t)n;
		if (o->progress)
			o->progress(o->arg, w->st->bytes);
		if (writes_behind(w)) {
			int err = behind(w, false);

			if (err < 0)
				return err;
		}
	}
}

/*
 * ext4 runs an O_DIRECT write that extends the file synchronously, under
 * the exclusive inode lock (IOMAP_DIO_FORCE_WAIT): writes in flight then
 * go one at a time. With the input's length known (a regular file), the
 * new part of the file is allocated first (fallocate(2) mode 0, which sets
 * the size too), so that the writes land inside the file and overlap; and
 * a disk too small fails before a byte is written. Not for a pipe: the
 * file would look longer than its data until the end.
 */
static int direct_prealloc(struct writer *w)
{
	struct stat in, out;
	uint64_t from, end;
	off_t at;
	int err;

	if (fstat(w->in, &in) < 0 || !S_ISREG(in.st_mode) ||
	    fstat(w->fd, &out) < 0 || !S_ISREG(out.st_mode))
		return 0;
	at = lseek(w->in, 0, SEEK_CUR);
	if (at < 0 || at >= in.st_size)
		return 0;
	end = w->pos + (uint64_t)(in.st_size - at);
	from = w->pos > (uint64_t)out.st_size ? w->pos : (uint64_t)out.st_size;
	if (end <= from)
		return 0;
	w->size0 = (uint64_t)out.st_size;
	if (fallocate(w->fd, 0, (off_t)from, (off_t)(end - from)) == 0) {
		w->prealloc_end = end;
		return 0;
	}
	if (errno == EOPNOTSUPP || errno == ENOSYS)
		return 0; /* the writes extend the file, as before */
	err = neg_errno();
	/* A partial allocation may have moved the size. */
	if (ftruncate(w->fd, (off_t)w->size0) < 0)
		return neg_errno();
	w->st->step = "fallocate";
	return err;
}

/* After direct_prealloc(): the size the data gives, if the input came
 * short of its length (or the write failed). */
static int direct_trim(struct writer *w)
{
	uint64_t end = w->o->offset + w->st->bytes;

	if (!w->prealloc_end || end >= w->prealloc_end)
		return 0;
	if (end < w->size0)
		end = w->size0;
	return ftruncate(w->fd, (off_t)end) < 0 ? neg_errno() : 0;
}

/* O_DIRECT: alignment, an unaligned head written buffered, then DIO on. */
static int direct_setup(struct writer *w)
{
	struct statx sx;
	uint64_t head;
	off_t at;
	ssize_t n;
	int fl, err;

	if (statx(w->fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &sx) < 0) {
		w->st->step = "statx";
		return neg_errno();
	}
	if (!(sx.stx_mask & STATX_DIOALIGN) || !sx.stx_dio_offset_align) {
		w->st->step = "O_DIRECT alignment";
		return -EINVAL;
	}
	w->st->dio_mem_align = sx.stx_dio_mem_align;
	w->st->dio_offset_align = sx.stx_dio_offset_align;
	w->align = sx.stx_dio_offset_align;
	if (w->align > TAIL_MAX) {
		w->st->step = "O_DIRECT alignment";
		return -EINVAL;
	}
	w->chunk = (w->chunk + w->align - 1) / w->align * w->align;
	err = direct_prealloc(w);
	if (err < 0)
		return err;
	head = w->pos % w->align ? w->align - w->pos % w->align : 0;
	if (head) {
		n = ctl_read_full(w->in, w->tail, (size_t)head);
		if (n < 0) {
			w->st->step = "read input";
			return (int)n;
		}
		err = ctl_pwrite_full(w->fd, w->tail, (size_t)n, w->pos);
		if (err < 0) {
			w->st->step = "write";
			return err;
		}
		w->pos += (uint64_t)n;
		w->st->bytes += (uint64_t)n;
		if ((uint64_t)n < head) {
			w->eof = true;
			return 0;
		}
	}
	if (uncached(w->in, &at))
		direct_input(w, at);
	fl = fcntl(w->fd, F_GETFL);
	if (fl < 0 || fcntl(w->fd, F_SETFL, fl | O_DIRECT) < 0) {
		w->st->step = "O_DIRECT";
		return neg_errno();
	}
	w->direct = true;
	return 0;
}

static int direct_finish(struct writer *w)
{
	int fl = fcntl(w->fd, F_GETFL), err;

	if (fl < 0 || fcntl(w->fd, F_SETFL, fl & ~O_DIRECT) < 0) {
		w->st->step = "O_DIRECT";
		return neg_errno();
	}
	w->direct = false;
	if (!w->tail_len)
		return 0;
	err = ctl_pwrite_full(w->fd, w->tail, w->tail_len, w->tail_off);
	if (err < 0) {
		w->st->step = "write";
		return err;
	}
	w->st->bytes += w->tail_len;
	return 0;
}

static int alloc_bufs(struct writer *w)
{
	size_t align = buf_align(w);

	w->bufs = calloc(w->depth, sizeof(*w->bufs));
	if (!w->bufs)
		return -ENOMEM;
	if (posix_memalign((void **)&w->mem, align, w->chunk * w->depth))
		return -ENOMEM;
	for (unsigned int i = 0; i < w->depth; i++)
		w->bufs[i].p = w->mem + i * w->chunk;
	return 0;
}

static int write_body(struct writer *w)
{
	int err;

	err = alloc_bufs(w);
	if (err < 0) {
		w->st->step = "allocate buffers";
		return err;
	}
	if (w->o->engine == CTL_WENGINE_URING) {
		err = ring_setup(w);
		if (err < 0)
			w->st->fallback_err = err;
		else
			w->uring = true;
	}
	if (!w->uring)
		w->depth = w->cur = 1;
	w->st->engine = w->uring ? CTL_WENGINE_URING : CTL_WENGINE_PWRITE;
	w->st->depth = w->st->min_depth = w->cur;
	err = run(w);
	if (w->uring)
		io_uring_queue_exit(&w->ring);
	return err;
}

int ctl_write_stream(const char *path, int in_fd,
		     const struct ctl_write_opts *opts,
		     struct ctl_write_stats *st)
{
	struct writer w = {.o = opts, .st = st, .in = in_fd};
	_cleanup_close_ int fd = -1;
	struct stat sb, in;
	bool created;
	double t0;
	int err, fl, trim;

	memset(st, 0, sizeof(*st));
	if (opts->depth)
		w.depth = opts->depth;
	else if (opts->flags & CTL_WRITE_DIRECT)
		w.depth = CTL_WRITE_DEPTH;
	else
		w.depth = CTL_WRITE_DEPTH_BUFFERED;
	if (w.depth > CTL_WRITE_DEPTH_MAX)
		return -EINVAL;
	w.cur = w.depth;
	w.chunk = opts->chunk ? opts->chunk : CTL_WRITE_CHUNK;
	w.pos = w.started = w.dropped = opts->offset;
	/* A file created here is durable only once its directory is. */
	created = stat(path, &sb) < 0 && errno == ENOENT;
	/* O_NONBLOCK: a FIFO must not hang the open (ENXIO without a
	 * reader); it is refused below, as pwrite(2) could not seek it. */
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
		  0666);
	if (fd < 0 && errno == ENXIO) {
		st->step = "open";
		return -EINVAL;
	}
	if (fd < 0 || fstat(fd, &sb) < 0) {
		st->step = "open";
		return neg_errno();
	}
	if (S_ISFIFO(sb.st_mode) || S_ISSOCK(sb.st_mode)) {
		st->step = "open";
		return -EINVAL;
	}
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		st->step = "open";
		return neg_errno();
	}
	w.fd = fd;
	if ((opts->flags & CTL_WRITE_TRUNCATE) &&
	    ftruncate(fd, (off_t)opts->offset) < 0) {
		st->step = "truncate";
		return neg_errno();
	}
	t0 = ctl_now_ms();
	w.tail = malloc(TAIL_MAX);
	if (!w.tail)
		return -ENOMEM;
	if (fstat(in_fd, &in) == 0 && S_ISFIFO(in.st_mode))
		st->pipe_size = pipe_grow(in_fd, opts->root);
	err = 0;
	if (opts->flags & CTL_WRITE_DIRECT)
		err = direct_setup(&w);
	else
		input_cold(&w);
	/* PWRITE: plain system calls only. */
	if (opts->engine == CTL_WENGINE_URING &&
	    !(opts->flags & CTL_WRITE_DIRECT) &&
	    ((opts->flags & CTL_WRITE_DROP_BEHIND) ||
	     !(opts->flags & CTL_WRITE_NO_SYNC)))
		wb_setup(&w);
	if (err >= 0 && !w.eof)
		err = kernel_copy(&w, &sb);
	if (err == 1)
		err = write_body(&w);
	if (w.in_own)
		direct_input_end(&w);
	wb_end(&w);
	if (err >= 0 && w.direct)
		err = direct_finish(&w);
	trim = direct_trim(&w);
	if (err >= 0 && trim < 0) {
		st->step = "truncate";
		err = trim;
	}
	free(w.bufs);
	free(w.mem);
	free(w.tail);
	st->write_s = (ctl_now_ms() - t0) / 1e3;
	if (err < 0)
		return err;
	t0 = ctl_now_ms();
	if (!(opts->flags & CTL_WRITE_NO_SYNC) && fdatasync(fd) < 0) {
		st->step = "fdatasync";
		return neg_errno();
	}
	if (created && !(opts->flags & CTL_WRITE_NO_SYNC)) {
		err = ctl_file_fsync_dir(path);
		if (err < 0) {
			st->step = "fsync directory";
			return err;
		}
	}
	st->sync_s = (ctl_now_ms() - t0) / 1e3;
	if (opts->flags & CTL_WRITE_DROP_BEHIND) {
		w.bufs = NULL;
		w.depth = 0;
		w.pos = opts->offset + st->bytes;
		err = behind(&w, true);
		if (err < 0)
			return err;
	}
	if (close(TAKE_FD(fd)) < 0) {
		st->step = "close";
		return neg_errno();
	}
	return 0;
}
