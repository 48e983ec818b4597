// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libctl uring: the bulk writer with all engines (splice from a pipe,
 * copy_file_range from a file, io_uring, pwrite), offsets and holes,
 * O_DIRECT with unaligned head and tail, drop-behind, the fallback from
 * io_uring (setup refused, buffers over RLIMIT_MEMLOCK) and from the
 * kernel's own copies, the input pipe grown within pipe-max-size, and the
 * throttle rule over a fake /proc/diskstats.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <liburing.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ctl/macro.h"
#include "ctl/root.h"
#include "ctl/uring.h"
#include "fake.h"

/*
 * liburing is a shared library: these definitions win over it for the
 * calls libctl makes, so a test can make io_uring unavailable.
 */
static int fail_init, fail_register;

int io_uring_queue_init(unsigned entries, struct io_uring *ring, unsigned flags)
{
	int (*real)(unsigned, struct io_uring *, unsigned);

	if (fail_init)
		return fail_init;
	real = (int (*)(unsigned, struct io_uring *,
			unsigned))dlsym(RTLD_NEXT, "io_uring_queue_init");
	return real(entries, ring, flags);
}

int io_uring_register_buffers(struct io_uring *ring, const struct iovec *iov,
			      unsigned nr)
{
	int (*real)(struct io_uring *, const struct iovec *, unsigned);

	if (fail_register)
		return fail_register;
	real = (int (*)(struct io_uring *, const struct iovec *,
			unsigned))dlsym(RTLD_NEXT, "io_uring_register_buffers");
	return real(ring, iov, nr);
}

static int fail_submit, cqe_eagain;

int io_uring_submit(struct io_uring *ring)
{
	int (*real)(struct io_uring *);
	struct io_uring_cqe *cqe;
	int ret;

	if (fail_submit)
		return fail_submit;
	real = (int (*)(struct io_uring *))dlsym(RTLD_NEXT, "io_uring_submit");
	ret = real(ring);
	/* Let the write complete, then report it as -EAGAIN: the caller
	 * must send it again (the bytes are the same). */
	if (ret > 0 && cqe_eagain > 0 &&
	    __io_uring_get_cqe(ring, &cqe, 0, 1, NULL) == 0) {
		cqe->res = -EAGAIN;
		cqe_eagain--;
	}
	return ret;
}

/* Directories fsync'ed, to see that a created file's name is made durable. */
static int dir_fsyncs;

int fsync(int fd)
{
	int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
	struct stat sb;

	if (fstat(fd, &sb) == 0 && S_ISDIR(sb.st_mode))
		dir_fsyncs++;
	return real(fd);
}

/*
 * splice(2), copy_file_range(2) and sendfile(2) as libctl calls them:
 * after AFTER bytes went through, the next call fails with ERR (0: never);
 * EAGAIN calls fail with EAGAIN first, as a non-blocking empty pipe would.
 */
static struct inject {
	int err, eagain;
	size_t after, done;
	unsigned int calls;
} spl, cfr, sfl;

/* Counts a call of F; true (errno set) when it is to fail. */
static bool inject_fail(struct inject *f)
{
	f->calls++;
	if (f->eagain > 0) {
		f->eagain--;
		errno = EAGAIN;
		return true;
	}
	if (f->err && f->done >= f->after) {
		errno = f->err;
		return true;
	}
	return false;
}

/* N, the result of the real call, counted into F. */
static ssize_t inject_done(struct inject *f, ssize_t n)
{
	if (n > 0)
		f->done += (size_t)n;
	return n;
}

/* splice(2) and copy_file_range(2) take the same arguments. */
typedef ssize_t copy_fn(int, loff_t *, int, loff_t *, size_t, unsigned int);

/* The real NAME, failing as F says. */
static ssize_t injected(struct inject *f, const char *name, int in,
			loff_t *off_in, int out, loff_t *off_out, size_t len,
			unsigned int flags)
{
	copy_fn *real = (copy_fn *)dlsym(RTLD_NEXT, name);

	if (inject_fail(f))
		return -1;
	return inject_done(f, real(in, off_in, out, off_out, len, flags));
}

ssize_t splice(int in, loff_t *off_in, int out, loff_t *off_out, size_t len,
	       unsigned int flags)
{
	return injected(&spl, "splice", in, off_in, out, off_out, len, flags);
}

ssize_t copy_file_range(int in, loff_t *off_in, int out, loff_t *off_out,
			size_t len, unsigned int flags)
{
	return injected(&cfr, "copy_file_range", in, off_in, out, off_out, len,
			flags);
}

/* sendfile(2), which glibc names sendfile64() with _FILE_OFFSET_BITS=64. */
ssize_t sendfile64(int out, int in, off_t *off, size_t len)
{
	ssize_t (*real)(int, int, off_t *, size_t) =
		(ssize_t(*)(int, int, off_t *, size_t))dlsym(RTLD_NEXT,
							     "sendfile64");

	if (inject_fail(&sfl))
		return -1;
	return inject_done(&sfl, real(out, in, off, len));
}

/* fallocate(2) fails with this errno (0: it does not); calls counted. */
static int fallocate_err;
static unsigned int fallocate_calls;

int fallocate64(int fd, int mode, off_t off, off_t len)
{
	int (*real)(int, int, off_t, off_t) =
		(int (*)(int, int, off_t, off_t))dlsym(RTLD_NEXT,
						       "fallocate64");

	fallocate_calls++;
	if (fallocate_err) {
		errno = fallocate_err;
		return -1;
	}
	return real(fd, mode, off, len);
}

/* fstat(2) of the inode LIE_INO says it is LIE bytes longer than it is. */
static ino_t lie_ino;
static off_t lie;

int fstat64(int fd, struct stat64 *sb)
{
	int (*real)(int, struct stat64 *) =
		(int (*)(int, struct stat64 *))dlsym(RTLD_NEXT, "fstat64");
	int ret = real(fd, sb);

	if (ret == 0 && lie && sb->st_ino == lie_ino)
		sb->st_size += lie;
	return ret;
}

/*
 * F_SETPIPE_SZ above this many bytes fails with EPERM (0: never), as it
 * does for a user over pipe-user-pages-soft or above pipe-max-size. With
 * _FILE_OFFSET_BITS=64 glibc routes fcntl() to fcntl64().
 */
static int setpipe_eperm_above;

static int fcntl_hook(const char *name, int fd, int cmd, void *arg)
{
	int (*real)(int, int, ...) =
		(int (*)(int, int, ...))dlsym(RTLD_NEXT, name);

	if (cmd == F_SETPIPE_SZ && setpipe_eperm_above &&
	    (long)arg > setpipe_eperm_above) {
		errno = EPERM;
		return -1;
	}
	return real(fd, cmd, arg);
}

int fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return fcntl_hook("fcntl64", fd, cmd, arg);
}

static char src[512], dst[512];
static char *data;
#define DATA_LEN (3 * 1024 * 1024 + 777)

static int setup(void **state)
{
	int fd;

	(void)state;
	fake_new();
	fail_init = fail_register = fail_submit = cqe_eagain = 0;
	memset(&spl, 0, sizeof(spl));
	memset(&cfr, 0, sizeof(cfr));
	memset(&sfl, 0, sizeof(sfl));
	setpipe_eperm_above = 0;
	fallocate_err = 0;
	fallocate_calls = 0;
	lie = 0;
	snprintf(src, sizeof(src), "%s/src", fake_root);
	snprintf(dst, sizeof(dst), "%s/dst", fake_root);
	data = malloc(DATA_LEN);
	assert_non_null(data);
	for (size_t i = 0; i < DATA_LEN; i++)
		data[i] = (char)(i * 2654435761U >> 13);
	fd = open(src, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, DATA_LEN), DATA_LEN);
	close(fd);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(data);
	fake_free();
	return 0;
}

static uint64_t last_progress;

static void progress(void *arg, uint64_t bytes)
{
	(void)arg;
	assert_true(bytes >= last_progress);
	last_progress = bytes;
}

static int copy(struct ctl_write_opts *o, struct ctl_write_stats *st)
{
	int in = open(src, O_RDONLY), err;

	assert_true(in >= 0);
	last_progress = 0;
	o->progress = progress;
	err = ctl_write_stream(dst, in, o, st);
	close(in);
	return err;
}

/* DST holds DATA at OFF, and SIZE bytes in all. */
static void check_dst(uint64_t off, uint64_t size)
{
	char *got = malloc(DATA_LEN);
	struct stat sb;
	int fd = open(dst, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &sb), 0);
	assert_int_equal(sb.st_size, size);
	assert_int_equal(pread(fd, got, DATA_LEN, (off_t)off), DATA_LEN);
	assert_memory_equal(got, data, DATA_LEN);
	close(fd);
	free(got);
}

static void diskstats(unsigned long io_ticks);

/* A pipe fed by a thread with LEN bytes of DATA (over again past its end),
 * PIECE bytes per write(2) (odd sizes: the reader sees them in any cut). */
struct feeder {
	pthread_t th;
	int fd[2];
	size_t len, piece;
};

static void *feed_thread(void *arg)
{
	struct feeder *f = arg;

	for (size_t at = 0; at < f->len;) {
		size_t n = f->len - at < f->piece ? f->len - at : f->piece;
		size_t in = at % DATA_LEN;
		ssize_t w;

		if (n > DATA_LEN - in)
			n = DATA_LEN - in;
		w = write(f->fd[1], data + in, n);

		if (w <= 0)
			break;
		at += (size_t)w;
	}
	close(f->fd[1]);
	return NULL;
}

static int feed_start(struct feeder *f, size_t len, size_t piece)
{
	f->len = len;
	f->piece = piece;
	assert_int_equal(pipe2(f->fd, O_CLOEXEC), 0);
	assert_int_equal(pthread_create(&f->th, NULL, feed_thread, f), 0);
	return f->fd[0];
}

/* Wait for the feeder; fails the test if the reader left bytes unread. */
static void feed_end(struct feeder *f)
{
	char c;

	assert_int_equal(pthread_join(f->th, NULL), 0);
	assert_int_equal(read(f->fd[0], &c, 1), 0);
	close(f->fd[0]);
}

/* Stop the feeder of a reader that gave up (EPIPE, SIGPIPE ignored). */
static void feed_cut(struct feeder *f)
{
	close(f->fd[0]);
	assert_int_equal(pthread_join(f->th, NULL), 0);
}

/* Write DATA_LEN bytes through a pipe with O; returns ctl_write_stream(). */
static int copy_pipe(struct ctl_write_opts *o, struct ctl_write_stats *st,
		     size_t piece, int *pipe_size)
{
	struct feeder f;
	int in = feed_start(&f, DATA_LEN, piece), err;

	last_progress = 0;
	o->progress = progress;
	err = ctl_write_stream(dst, in, o, st);
	if (pipe_size)
		*pipe_size = fcntl(in, F_GETPIPE_SZ);
	if (err)
		feed_cut(&f);
	else
		feed_end(&f);
	return err;
}

/* A new copy of the source, from a pipe for SPLICE, else from the file;
 * it must succeed with engine WANT. */
static void copy_by(enum ctl_wengine want, struct ctl_write_opts *o,
		    struct ctl_write_stats *st)
{
	unlink(dst);
	if (want == CTL_WENGINE_SPLICE)
		assert_int_equal(copy_pipe(o, st, 65536, NULL), 0);
	else
		assert_int_equal(copy(o, st), 0);
	assert_int_equal(st->engine, want);
}

static void test_engines(void **state)
{
	const enum ctl_wengine engines[] = {CTL_WENGINE_URING,
					    CTL_WENGINE_PWRITE};

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		struct ctl_write_opts o = {
			.engine = engines[i], .depth = 4, .chunk = 256 * 1024};
		struct ctl_write_stats st;

		unlink(dst);
		assert_int_equal(copy(&o, &st), 0);
		assert_int_equal(st.engine, engines[i]);
		assert_int_equal(st.depth, i == 0 ? 4 : 1);
		assert_int_equal(st.fallback_err, 0);
		assert_int_equal(st.bytes, DATA_LEN);
		assert_int_equal(last_progress, DATA_LEN);
		check_dst(0, DATA_LEN);
	}
}

/* A file the write creates gets its directory fsync'ed; an existing one,
 * or --no-sync, does not need it. */
static void test_new_file_dir_synced(void **state)
{
	struct ctl_write_opts o = {0};
	struct ctl_write_stats st;

	(void)state;
	unlink(dst);
	dir_fsyncs = 0;
	assert_int_equal(copy(&o, &st), 0);
	assert_int_equal(dir_fsyncs, 1);
	assert_int_equal(copy(&o, &st), 0);
	assert_int_equal(dir_fsyncs, 1);
	unlink(dst);
	o.flags = CTL_WRITE_NO_SYNC;
	assert_int_equal(copy(&o, &st), 0);
	assert_int_equal(dir_fsyncs, 1);
	check_dst(0, DATA_LEN);
	/* The same through splice. */
	unlink(dst);
	o.flags = 0;
	assert_int_equal(copy_pipe(&o, &st, 65536, NULL), 0);
	assert_int_equal(st.engine, CTL_WENGINE_SPLICE);
	assert_int_equal(dir_fsyncs, 2);
	check_dst(0, DATA_LEN);
}

/* An offset past EOF leaves a hole, with each engine. */
static void test_offset_past_eof_is_hole(void **state)
{
	const enum ctl_wengine want[] = {CTL_WENGINE_COPY_RANGE,
					 CTL_WENGINE_SPLICE, CTL_WENGINE_URING,
					 CTL_WENGINE_PWRITE};
	off_t d;
	int fd;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		struct ctl_write_opts o = {.offset = 64ULL * 1024 * 1024};
		struct ctl_write_stats st;

		if (want[i] == CTL_WENGINE_URING)
			o.depth = CTL_WRITE_DEPTH_BUFFERED;
		if (want[i] == CTL_WENGINE_PWRITE)
			o.engine = CTL_WENGINE_PWRITE;
		copy_by(want[i], &o, &st);
		check_dst(o.offset, o.offset + DATA_LEN);
		fd = open(dst, O_RDONLY);
		d = lseek(fd, 0, SEEK_DATA);
		close(fd);
		/* The gap has no data blocks (file systems may round down a
		 * bit). */
		assert_true(d >= (off_t)(o.offset - 1024 * 1024));
	}
}

static void test_no_truncate_unless_asked(void **state)
{
	struct ctl_write_opts o = {0};
	struct ctl_write_stats st;
	int fd;

	(void)state;
	fd = open(dst, O_WRONLY | O_CREAT, 0644);
	assert_int_equal(ftruncate(fd, DATA_LEN + 4096), 0);
	close(fd);
	assert_int_equal(copy(&o, &st), 0);
	check_dst(0, DATA_LEN + 4096);
	o.flags = CTL_WRITE_TRUNCATE;
	assert_int_equal(copy(&o, &st), 0);
	check_dst(0, DATA_LEN);
}

static void test_direct_unaligned(void **state)
{
	struct ctl_write_opts o = {
		.flags = CTL_WRITE_DIRECT, .offset = 1000, .chunk = 100000};
	struct ctl_write_stats st;
	int err;

	(void)state;
	err = copy(&o, &st);
	if (err == -EINVAL && st.step &&
	    strcmp(st.step, "O_DIRECT alignment") == 0)
		skip(); /* no O_DIRECT on this file system (tmpfs) */
	assert_int_equal(err, 0);
	assert_true(st.dio_offset_align > 0);
	assert_int_equal(st.depth, CTL_WRITE_DEPTH);
	assert_true(st.direct_bytes > 0);
	assert_true(st.direct_bytes < DATA_LEN); /* head and tail buffered */
	assert_int_equal(st.bytes, DATA_LEN);
	check_dst(1000, 1000 + DATA_LEN);
}

/*
 * ext4 makes an O_DIRECT write that extends the file wait, alone: with an
 * input of known length the new part of the file is allocated first. A
 * disk too small then fails before a byte is written, leaving the file as
 * it was; an input shorter than its size said leaves no tail of zeros.
 */
static void test_direct_prealloc(void **state)
{
	struct ctl_write_opts o = {.flags = CTL_WRITE_DIRECT, .offset = 8192};
	struct ctl_write_stats st;
	struct stat sb;
	char *got = malloc(4096), old[4096];
	int err, fd;

	(void)state;
	memset(old, 'k', sizeof(old));
	fd = open(dst, O_WRONLY | O_CREAT, 0644);
	assert_int_equal(write(fd, old, sizeof(old)), sizeof(old));
	close(fd);
	fallocate_err = ENOSPC;
	err = copy(&o, &st);
	if (err == -EINVAL && st.step &&
	    strcmp(st.step, "O_DIRECT alignment") == 0)
		skip(); /* no O_DIRECT on this file system (tmpfs) */
	assert_int_equal(err, -ENOSPC);
	assert_string_equal(st.step, "fallocate");
	assert_int_equal(st.bytes, 0);
	fd = open(dst, O_RDONLY);
	assert_int_equal(fstat(fd, &sb), 0);
	assert_int_equal(sb.st_size, sizeof(old));
	assert_int_equal(pread(fd, got, 4096, 0), 4096);
	assert_memory_equal(got, old, sizeof(old));
	close(fd);
	/* The input claims 5 MiB more than it has. */
	fallocate_err = 0;
	fallocate_calls = 0;
	assert_int_equal(stat(src, &sb), 0);
	lie_ino = sb.st_ino;
	lie = 5 * 1024 * 1024;
	assert_int_equal(copy(&o, &st), 0);
	assert_int_equal(fallocate_calls, 1);
	assert_int_equal(st.bytes, DATA_LEN);
	lie = 0;
	check_dst(8192, 8192 + DATA_LEN);
	/* A pipe's length is unknown: nothing is allocated ahead. */
	fallocate_calls = 0;
	assert_int_equal(copy_pipe(&o, &st, 65536, NULL), 0);
	assert_int_equal(fallocate_calls, 0);
	check_dst(8192, 8192 + DATA_LEN);
	free(got);
}

static void test_fallback_setup_refused(void **state)
{
	struct ctl_write_opts o = {.depth = 2};
	struct ctl_write_stats st;

	(void)state;
	fail_init = -EPERM; /* kernel.io_uring_disabled=2, or seccomp */
	assert_int_equal(copy(&o, &st), 0);
	assert_int_equal(st.engine, CTL_WENGINE_PWRITE);
	assert_int_equal(st.fallback_err, -EPERM);
	assert_string_equal(st.fallback_why, "io_uring_queue_init");
	check_dst(0, DATA_LEN);
	/* The kernel's copies need no io_uring: no fallback to tell. */
	o.depth = 0;
	unlink(dst);
	assert_int_equal(copy(&o, &st), 0);
	assert_int_equal(st.engine, CTL_WENGINE_COPY_RANGE);
	assert_int_equal(st.fallback_err, 0);
	assert_null(st.fallback_why);
	assert_int_equal(copy_pipe(&o, &st, 65536, NULL), 0);
	assert_int_equal(st.engine, CTL_WENGINE_SPLICE);
	assert_int_equal(st.fallback_err, 0);
	check_dst(0, DATA_LEN);
}

static void test_fallback_memlock(void **state)
{
	struct ctl_write_opts o = {.depth = 16};
	struct ctl_write_stats st;

	(void)state;
	fail_register = -ENOMEM;
	assert_int_equal(copy(&o, &st), 0);
	assert_int_equal(st.engine, CTL_WENGINE_PWRITE);
	assert_int_equal(st.fallback_err, -ENOMEM);
	assert_string_equal(st.fallback_why, "io_uring_register_buffers");
	check_dst(0, DATA_LEN);
}

static void test_bad_input(void **state)
{
	struct ctl_write_opts o = {.depth = CTL_WRITE_DEPTH_MAX + 1};
	struct ctl_write_stats st;

	(void)state;
	assert_int_equal(ctl_write_stream(dst, 0, &o, &st), -EINVAL);
	o.depth = 0;
	/* A closed input descriptor. */
	assert_int_equal(ctl_write_stream(dst, -1, &o, &st), -EBADF);
	assert_string_equal(st.step, "read input");
	assert_int_equal(ctl_write_stream(fake_root, 0, &o, &st), -EISDIR);
	/* A FIFO without a reader: refused, not a hang in open(2). */
	unlink(dst);
	assert_int_equal(mkfifo(dst, 0600), 0);
	assert_int_equal(ctl_write_stream(dst, 0, &o, &st), -EINVAL);
	assert_string_equal(st.step, "open");
	unlink(dst);
}

/*
 * A write that fails (here ENOSPC from /dev/full) is an error return with
 * either engine, not a wait for a completion that never comes: pwrite has
 * no ring to wait on (it crashed), and a failed submit sends nothing.
 */
static void test_write_error(void **state)
{
	const enum ctl_wengine engines[] = {CTL_WENGINE_URING,
					    CTL_WENGINE_PWRITE};
	int in;

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		struct ctl_write_opts o = {.engine = engines[i]};
		struct ctl_write_stats st;

		in = open(src, O_RDONLY);
		assert_true(in >= 0);
		assert_int_equal(ctl_write_stream("/dev/full", in, &o, &st),
				 -ENOSPC);
		assert_string_equal(st.step, "write");
		assert_int_equal(st.engine, engines[i]);
		assert_int_equal(st.bytes, 0);
		close(in);
	}
	fail_submit = -EAGAIN;
	in = open(src, O_RDONLY);
	assert_true(in >= 0);
	{
		struct ctl_write_opts o = {.depth = 4, .chunk = 256 * 1024};
		struct ctl_write_stats st;

		assert_int_equal(ctl_write_stream(dst, in, &o, &st), -EAGAIN);
		assert_string_equal(st.step, "write");
		assert_int_equal(st.engine, CTL_WENGINE_URING);
	}
	close(in);
}

/* A completion with -EAGAIN is retried, not the end of the copy. */
static void test_cqe_eagain_retried(void **state)
{
	struct ctl_write_opts o = {.depth = 1, .chunk = 256 * 1024};
	struct ctl_write_stats st;

	(void)state;
	cqe_eagain = 3;
	assert_int_equal(copy(&o, &st), 0);
	assert_int_equal(cqe_eagain, 0);
	assert_int_equal(st.engine, CTL_WENGINE_URING);
	assert_int_equal(st.bytes, DATA_LEN);
	check_dst(0, DATA_LEN);
	/* One that never goes through fails, it does not spin. */
	cqe_eagain = 1000;
	assert_int_equal(copy(&o, &st), -EAGAIN);
	assert_string_equal(st.step, "write");
	cqe_eagain = 0;
}

/* Pages of DST in the page cache. */
static size_t resident_pages(size_t *pages)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t resident = 0;
	unsigned char *vec;
	void *map;
	int fd;

	fd = open(dst, O_RDONLY);
	assert_true(fd >= 0);
	*pages = (DATA_LEN + (size_t)page - 1) / (size_t)page;
	map = mmap(NULL, DATA_LEN, PROT_READ, MAP_SHARED, fd, 0);
	assert_true(map != MAP_FAILED);
	vec = malloc(*pages);
	assert_int_equal(mincore(map, DATA_LEN, vec), 0);
	for (size_t i = 0; i < *pages; i++)
		resident += vec[i] & 1;
	munmap(map, DATA_LEN);
	free(vec);
	close(fd);
	return resident;
}

/* Drop-behind leaves (almost) nothing cached, whichever engine wrote. */
static void test_drop_behind(void **state)
{
	const enum ctl_wengine want[] = {CTL_WENGINE_COPY_RANGE,
					 CTL_WENGINE_SPLICE, CTL_WENGINE_URING};
	struct ctl_write_stats st;
	size_t pages;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		struct ctl_write_opts o = {.flags = CTL_WRITE_DROP_BEHIND};

		if (want[i] == CTL_WENGINE_URING)
			o.depth = 2;
		copy_by(want[i], &o, &st);
		assert_true(resident_pages(&pages) < pages / 10);
		check_dst(0, DATA_LEN);
		/* Without it the file stays cached: the check can fail. */
		o.flags = 0;
		unlink(dst);
		assert_int_equal(copy(&o, &st), 0);
		assert_true(resident_pages(&pages) > pages / 2);
	}
}

static long host_pipe_max(void)
{
	FILE *f = fopen("/proc/sys/fs/pipe-max-size", "r");
	long v = 0;

	assert_non_null(f);
	assert_int_equal(fscanf(f, "%ld", &v), 1);
	fclose(f);
	return v;
}

/* A pipe is spliced into the file, in pieces of any size, after the pipe
 * is grown to the host's pipe-max-size. */
static void test_pipe_spliced(void **state)
{
	struct ctl_write_opts o = {0};
	struct ctl_write_stats st;
	int psz;

	(void)state;
	assert_int_equal(copy_pipe(&o, &st, 4097, &psz), 0);
	assert_int_equal(st.engine, CTL_WENGINE_SPLICE);
	assert_int_equal(st.depth, 1);
	assert_int_equal(st.bytes, DATA_LEN);
	assert_int_equal(last_progress, DATA_LEN);
	assert_int_equal(psz, host_pipe_max());
	assert_int_equal(st.pipe_size, psz);
	assert_true(spl.calls > 0);
	check_dst(0, DATA_LEN);
}

/* pipe-max-size is read through the root; a refused size is halved
 * until the kernel takes it, and no growth at all is not an error. */
static void test_pipe_size_bounds(void **state)
{
	struct ctl_write_opts o = {0};
	struct ctl_write_stats st;
	struct ctl_root *r;
	int psz;

	(void)state;
	fake_write("proc/sys/fs/pipe-max-size", "262144\n");
	assert_int_equal(ctl_root_open(fake_root, &r), 0);
	o.root = r;
	assert_int_equal(copy_pipe(&o, &st, 65536, &psz), 0);
	assert_int_equal(psz, 262144);
	assert_int_equal(st.pipe_size, 262144);
	check_dst(0, DATA_LEN);
	setpipe_eperm_above = 131072;
	unlink(dst);
	assert_int_equal(copy_pipe(&o, &st, 65536, &psz), 0);
	assert_int_equal(psz, 131072);
	assert_int_equal(st.engine, CTL_WENGINE_SPLICE);
	check_dst(0, DATA_LEN);
	setpipe_eperm_above = 4096;
	unlink(dst);
	assert_int_equal(copy_pipe(&o, &st, 65536, &psz), 0);
	assert_int_equal(psz, 65536); /* the default, kept */
	assert_int_equal(st.pipe_size, 65536);
	assert_int_equal(st.engine, CTL_WENGINE_SPLICE);
	check_dst(0, DATA_LEN);
	ctl_root_free(r);
}

/* A pipe cut short (the producer died): what came is written, exit 0. */
static void test_pipe_short_input(void **state)
{
	struct ctl_write_opts o = {0};
	struct ctl_write_stats st;
	struct feeder f;
	char *got = malloc(100001);
	int in = feed_start(&f, 100001, 7000), fd;

	(void)state;
	assert_int_equal(ctl_write_stream(dst, in, &o, &st), 0);
	feed_end(&f);
	assert_int_equal(st.engine, CTL_WENGINE_SPLICE);
	assert_int_equal(st.bytes, 100001);
	fd = open(dst, O_RDONLY);
	assert_int_equal(pread(fd, got, 100001, 0), 100001);
	assert_int_equal(lseek(fd, 0, SEEK_END), 100001);
	assert_memory_equal(got, data, 100001);
	close(fd);
	free(got);
}

/* A pipe at an offset keeps the rest of the file, unless TRUNCATE. */
static void test_pipe_offset(void **state)
{
	struct ctl_write_opts o = {.offset = 5000};
	struct ctl_write_stats st;
	int fd;

	(void)state;
	fd = open(dst, O_WRONLY | O_CREAT, 0644);
	assert_int_equal(ftruncate(fd, 8 * 1024 * 1024), 0);
	close(fd);
	assert_int_equal(copy_pipe(&o, &st, 65536, NULL), 0);
	assert_int_equal(st.engine, CTL_WENGINE_SPLICE);
	check_dst(5000, 8 * 1024 * 1024);
	o.flags = CTL_WRITE_TRUNCATE;
	assert_int_equal(copy_pipe(&o, &st, 65536, NULL), 0);
	check_dst(5000, 5000 + DATA_LEN);
}

/* A non-blocking pipe that is empty for now is waited for, not an error. */
static void test_pipe_nonblocking(void **state)
{
	struct ctl_write_opts o = {0};
	struct ctl_write_stats st;

	(void)state;
	spl.eagain = 3;
	assert_int_equal(copy_pipe(&o, &st, 65536, NULL), 0);
	assert_int_equal(spl.eagain, 0);
	assert_int_equal(st.engine, CTL_WENGINE_SPLICE);
	check_dst(0, DATA_LEN);
}

/* A regular file is copied in the kernel, from where it is read. */
static void test_file_copy_range(void **state)
{
	struct ctl_write_opts o = {.offset = 3};
	struct ctl_write_stats st;
	char *got = malloc(DATA_LEN);
	int in, fd;

	(void)state;
	assert_int_equal(copy(&o, &st), 0);
	assert_int_equal(st.engine, CTL_WENGINE_COPY_RANGE);
	assert_int_equal(st.depth, 1);
	assert_int_equal(st.bytes, DATA_LEN);
	assert_int_equal(last_progress, DATA_LEN);
	assert_true(cfr.calls > 0);
	check_dst(3, 3 + DATA_LEN);
	/* stdin already read up to 1000: the copy starts there. */
	in = open(src, O_RDONLY);
	assert_int_equal(lseek(in, 1000, SEEK_SET), 1000);
	last_progress = 0;
	o.offset = 0;
	o.flags = CTL_WRITE_TRUNCATE;
	assert_int_equal(ctl_write_stream(dst, in, &o, &st), 0);
	assert_int_equal(lseek(in, 0, SEEK_CUR), DATA_LEN);
	close(in);
	assert_int_equal(st.bytes, DATA_LEN - 1000);
	fd = open(dst, O_RDONLY);
	assert_int_equal(pread(fd, got, DATA_LEN, 0), DATA_LEN - 1000);
	assert_memory_equal(got, data + 1000, DATA_LEN - 1000);
	close(fd);
	free(got);
}

/* The kernel's copies only where they fit: not with PWRITE, a depth, a
 * throttle, or a target that is not a regular file. */
static void test_zero_copy_not_asked(void **state)
{
	struct ctl_write_opts o = {.engine = CTL_WENGINE_PWRITE};
	struct ctl_write_stats st;
	struct ctl_throttle t;
	struct ctl_root *r;

	(void)state;
	assert_int_equal(copy_pipe(&o, &st, 65536, NULL), 0);
	assert_int_equal(st.engine, CTL_WENGINE_PWRITE);
	/* The pipe is grown for the reads too. */
	assert_int_equal(st.pipe_size, host_pipe_max());
	check_dst(0, DATA_LEN);
	assert_int_equal(copy(&o, &st), 0);
	assert_int_equal(st.engine, CTL_WENGINE_PWRITE);
	o = (struct ctl_write_opts){.depth = 4};
	assert_int_equal(copy_pipe(&o, &st, 65536, NULL), 0);
	assert_int_equal(st.engine, CTL_WENGINE_URING);
	assert_int_equal(st.depth, 4);
	assert_int_equal(copy(&o, &st), 0);
	assert_int_equal(st.engine, CTL_WENGINE_URING);
	check_dst(0, DATA_LEN);
	diskstats(0);
	assert_int_equal(ctl_root_open(fake_root, &r), 0);
	ctl_throttle_init(&t, r, 80);
	assert_int_equal(ctl_throttle_add(&t, "vdz"), 0);
	o = (struct ctl_write_opts){.throttle = &t};
	assert_int_equal(copy_pipe(&o, &st, 65536, NULL), 0);
	assert_int_equal(st.engine, CTL_WENGINE_URING);
	check_dst(0, DATA_LEN);
	ctl_throttle_free(&t);
	ctl_root_free(r);
	/* fdatasync(2) of /dev/null is EINVAL: no sync there. */
	o = (struct ctl_write_opts){.flags = CTL_WRITE_NO_SYNC};
	snprintf(dst, sizeof(dst), "/dev/null");
	assert_int_equal(copy_pipe(&o, &st, 65536, NULL), 0);
	assert_int_equal(st.engine, CTL_WENGINE_URING);
	assert_int_equal(spl.calls + cfr.calls, 0);
}

/*
 * A kernel copy refused at once falls back, same bytes: copy_file_range
 * (EXDEV across file systems) to sendfile, and splice or sendfile (EINVAL:
 * not into this file system) to io_uring.
 */
static void test_zero_copy_fallback(void **state)
{
	/* Each refusal stays for the steps after it. */
	static const struct {
		struct inject *f;
		int err;
		bool pipe;
		enum ctl_wengine want;
	} steps[] = {
		{&spl, EINVAL, true, CTL_WENGINE_URING},
		{&cfr, EXDEV, false, CTL_WENGINE_SENDFILE},
		{&sfl, EINVAL, false, CTL_WENGINE_URING},
	};
	struct ctl_write_opts o = {.offset = 4099};
	struct ctl_write_stats st;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(steps); i++) {
		steps[i].f->err = steps[i].err;
		unlink(dst);
		assert_int_equal(steps[i].pipe ? copy_pipe(&o, &st, 65536, NULL)
					       : copy(&o, &st),
				 0);
		assert_int_equal(st.engine, steps[i].want);
		assert_int_equal(st.bytes, DATA_LEN);
		if (steps[i].want == CTL_WENGINE_SENDFILE) {
			assert_int_equal(last_progress, DATA_LEN);
			assert_true(sfl.calls > 0);
		}
		check_dst(4099, 4099 + DATA_LEN);
	}
}

/* A kernel copy that fails part way (ENOSPC, EIO) is an error with the
 * bytes written so far and the step, not a fallback that writes twice. */
static void test_zero_copy_errors(void **state)
{
	struct ctl_write_opts o = {0};
	struct ctl_write_stats st;

	(void)state;
	spl.err = ENOSPC;
	spl.after = 1024 * 1024;
	assert_int_equal(copy_pipe(&o, &st, 65536, NULL), -ENOSPC);
	assert_int_equal(st.engine, CTL_WENGINE_SPLICE);
	assert_int_equal(st.bytes, spl.done);
	assert_true(st.bytes >= 1024 * 1024);
	assert_string_equal(st.step, "write");
	cfr.err = EIO;
	cfr.after = 1024 * 1024;
	assert_int_equal(copy(&o, &st), -EIO);
	assert_int_equal(st.engine, CTL_WENGINE_COPY_RANGE);
	assert_int_equal(st.bytes, cfr.done);
	assert_string_equal(st.step, "copy_file_range");
	cfr = (typeof(cfr)){.err = EXDEV};
	sfl.err = EDQUOT;
	sfl.after = 2 * 1024 * 1024;
	assert_int_equal(copy(&o, &st), -EDQUOT);
	assert_int_equal(st.engine, CTL_WENGINE_SENDFILE);
	assert_int_equal(st.bytes, sfl.done);
	assert_true(st.bytes >= 2 * 1024 * 1024);
	assert_string_equal(st.step, "sendfile");
}

/* cachestat(2) (Linux 6.5; glibc 2.36 has no wrapper). */
struct cs_range {
	uint64_t off, len;
};
struct cs_stat {
	uint64_t cache, dirty, writeback, evicted, recently_evicted;
};

#define BIG_LEN (40ULL * 1024 * 1024)
#define EARLY_LEN (8ULL * 1024 * 1024)

/* The first 8 MiB of DST once 24 MiB are written. */
static struct cs_stat early;
static bool early_seen, early_drop, early_once;
static int early_err;

/*
 * Writeback is started in a kernel worker: wait for it a bounded time
 * (2 s) for no dirty page to be left there; then what cachestat says.
 * EARLY_ONCE: look once, without waiting.
 */
static void progress_early(void *arg, uint64_t bytes)
{
	struct cs_range r = {0, EARLY_LEN};
	int fd;

	(void)arg;
	if (early_seen || bytes < 3 * EARLY_LEN)
		return;
	early_seen = true;
	fd = open(dst, O_RDONLY);
	for (int i = 0; i < 200; i++) {
		if (syscall(451, fd, &r, &early, 0) < 0) {
			early_err = errno;
			break;
		}
		if (early_once ||
		    (!early.dirty &&
		     (!early_drop || early.cache < EARLY_LEN / 4096 / 10)))
			break;
		usleep(10000);
	}
	close(fd);
}

/* The file at PATH holds the pattern of data, LEN bytes in all. */
static void assert_pattern(const char *path, off_t len)
{
	char *got = malloc(DATA_LEN);
	struct stat sb;
	int fd = open(path, O_RDONLY);

	assert_non_null(got);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &sb), 0);
	assert_int_equal(sb.st_size, len);
	for (off_t at = 0; at < len; at += DATA_LEN) {
		size_t n = len - at < DATA_LEN ? (size_t)(len - at) : DATA_LEN;

		assert_int_equal(pread(fd, got, n, at), (ssize_t)n);
		assert_memory_equal(got, data, n);
	}
	close(fd);
	free(got);
}

/* PATH's file system tells an O_DIRECT alignment (statx STATX_DIOALIGN). */
static bool dio_aligned(const char *path)
{
	struct statx sx;

	return statx(AT_FDCWD, path, 0, STATX_DIOALIGN, &sx) == 0 &&
	       (sx.stx_mask & STATX_DIOALIGN) && sx.stx_dio_offset_align;
}

/* BIG (LEN bytes): a file of at least BIG_LEN bytes, synced (clean pages). */
static void make_big(char *big, size_t len)
{
	int fd;

	snprintf(big, len, "%s/big", fake_root);
	fd = open(big, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	for (uint64_t at = 0; at < BIG_LEN; at += DATA_LEN)
		assert_int_equal(write(fd, data, DATA_LEN), DATA_LEN);
	assert_int_equal(fdatasync(fd), 0);
	close(fd);
}

/*
 * Behind the copy, as it goes (not only at the end): what was written is
 * handed to writeback (no dirty pages left there), and with DROP_BEHIND
 * dropped from the page cache, whatever the engine; also when io_uring,
 * which starts the writeback without waiting, is not available.
 */
static void test_written_behind(void **state)
{
	const enum ctl_wengine want[] = {CTL_WENGINE_COPY_RANGE,
					 CTL_WENGINE_SPLICE, CTL_WENGINE_URING,
					 CTL_WENGINE_SPLICE};
	char big[512];

	(void)state;
	make_big(big, sizeof(big));
	for (size_t i = 0; i < ARRAY_SIZE(want) * 2; i++) {
		struct ctl_write_opts o = {
			.progress = progress_early,
			.flags = i % 2 ? CTL_WRITE_DROP_BEHIND : 0};
		struct ctl_write_stats st;
		enum ctl_wengine e = want[i / 2];
		struct feeder f;
		int in;

		if (e == CTL_WENGINE_URING)
			o.depth = 2;
		/* The last round: no io_uring at all. */
		fail_init = i / 2 == ARRAY_SIZE(want) - 1 ? -EPERM : 0;
		unlink(dst);
		early_seen = early_once = false;
		early_drop = o.flags & CTL_WRITE_DROP_BEHIND;
		early_err = 0;
		if (e == CTL_WENGINE_SPLICE) {
			in = feed_start(&f, BIG_LEN, 65536);
			assert_int_equal(ctl_write_stream(dst, in, &o, &st), 0);
			feed_end(&f);
		} else {
			in = open(big, O_RDONLY);
			assert_int_equal(ctl_write_stream(dst, in, &o, &st), 0);
			close(in);
		}
		assert_int_equal(st.engine, e);
		assert_true(early_seen);
		if (early_err == ENOSYS)
			skip(); /* no cachestat(2) before Linux 6.5 */
		assert_int_equal(early_err, 0);
		assert_int_equal(early.dirty, 0);
		if (early_drop)
			assert_true(early.cache < EARLY_LEN / 4096 / 10);
	}
}

/*
 * From a file not in the page cache (read from the disk), no writeback is
 * started behind the copy: it would compete with the reads. The final
 * fdatasync() writes it all, so nothing is left dirty when the call
 * returns; with DROP_BEHIND it still writes back and drops as it goes.
 * Either way the input is read with O_DIRECT into the buffers where its
 * file system tells an alignment (ext4), else copy_file_range copies it.
 */
static void test_cold_input_deferred(void **state)
{
	struct stat sb;
	char big[512];
	int fd;

	(void)state;
	make_big(big, sizeof(big));
	for (int drop = 0; drop < 2; drop++) {
		struct ctl_write_opts o = {.progress = progress_early,
					   .flags = drop ? CTL_WRITE_DROP_BEHIND
							 : 0};
		struct cs_range all = {0, 0};
		struct ctl_write_stats st;
		struct cs_stat after;
		int in = open(big, O_RDONLY);

		assert_true(in >= 0);
		/* Clean pages: DONTNEED evicts them. */
		assert_int_equal(posix_fadvise(in, 0, 0, POSIX_FADV_DONTNEED),
				 0);
		unlink(dst);
		early_seen = false;
		early_once = true;
		early_err = 0;
		assert_int_equal(ctl_write_stream(dst, in, &o, &st), 0);
		/* Left where the data read ended, as if read here. */
		assert_int_equal(fstat(in, &sb), 0);
		assert_int_equal(lseek(in, 0, SEEK_CUR), sb.st_size);
		close(in);
		assert_int_equal(st.engine, st.direct_input
						    ? CTL_WENGINE_URING
						    : CTL_WENGINE_COPY_RANGE);
		assert_true(early_seen);
		if (early_err == ENOSYS)
			skip(); /* no cachestat(2) before Linux 6.5 */
		assert_int_equal(early_err, 0);
		if (dio_aligned(big))
			assert_true(st.direct_input);
		if (drop)
			assert_int_equal(early.dirty, 0);
		else
			assert_true(early.dirty > 0);
		fd = open(dst, O_RDONLY);
		assert_int_equal(syscall(451, fd, &all, &after, 0), 0);
		close(fd);
		assert_int_equal(after.dirty, 0);
		assert_int_equal(stat(big, &sb), 0);
		assert_int_equal(st.bytes, (uint64_t)sb.st_size);
		assert_pattern(dst, sb.st_size);
	}
}

/*
 * --direct from a file not in the page cache reads it with O_DIRECT too
 * (an unaligned tail included); from the page cache it does not. Either
 * way the same bytes, and the caller's descriptor ends at the end of it.
 */
static void test_direct_cold_input(void **state)
{
	struct cs_range all = {0, 0};
	struct cs_stat cs;
	char big[512], *got = malloc(DATA_LEN);
	struct stat sb;

	(void)state;
	assert_non_null(got);
	make_big(big, sizeof(big));
	assert_int_equal(stat(big, &sb), 0);
	for (int cold = 1; cold >= 0; cold--) {
		struct ctl_write_opts o = {.flags = CTL_WRITE_DIRECT};
		struct ctl_write_stats st;
		int in = open(big, O_RDONLY), err;

		assert_true(in >= 0);
		if (cold)
			assert_int_equal(posix_fadvise(in, 0, 0,
						       POSIX_FADV_DONTNEED),
					 0);
		else
			while (read(in, got, DATA_LEN) > 0)
				; /* all of it into the page cache */
		if (syscall(451, in, &all, &cs, 0) < 0 && errno == ENOSYS)
			skip(); /* no cachestat(2) before Linux 6.5 */
		if (!cold)
			assert_int_equal(lseek(in, 0, SEEK_SET), 0);
		unlink(dst);
		err = ctl_write_stream(dst, in, &o, &st);
		if (err == -EINVAL && st.step &&
		    strcmp(st.step, "O_DIRECT alignment") == 0)
			skip(); /* no O_DIRECT on this file system (tmpfs) */
		assert_int_equal(err, 0);
		assert_int_equal(st.direct_input, cold);
		assert_int_equal(st.bytes, (uint64_t)sb.st_size);
		assert_int_equal(lseek(in, 0, SEEK_CUR), sb.st_size);
		close(in);
		assert_pattern(dst, sb.st_size);
	}
	free(got);
}

struct log {
	unsigned int from[8], to[8];
	int n;
};

static void log_fn(void *arg, unsigned int from, unsigned int to, double util)
{
	struct log *l = arg;

	(void)util;
	l->from[l->n] = from;
	l->to[l->n] = to;
	l->n++;
}

static void test_throttle_rule(void **state)
{
	const double samples[] = {90, 90, 90, 85, 95, 99, 50, 50, 50, 90};
	const unsigned int want[] = {8, 8, 4, 4, 4, 2, 2, 2, 8, 8};
	struct ctl_throttle t;
	struct log l = {0};
	unsigned int d = 8;

	(void)state;
	ctl_throttle_init(&t, NULL, 85);
	assert_int_equal(t.satur.need, CTL_SAT_SAMPLES);
	t.log = log_fn;
	t.arg = &l;
	for (size_t i = 0; i < ARRAY_SIZE(samples); i++) {
		d = ctl_throttle_feed(&t, samples[i], d, 8);
		assert_int_equal(d, want[i]);
	}
	assert_int_equal(l.n, 3);
	assert_int_equal(l.from[0], 8);
	assert_int_equal(l.to[0], 4);
	assert_int_equal(l.to[1], 2);
	assert_int_equal(l.from[2], 2);
	assert_int_equal(l.to[2], 8);
	/* Never below one write in flight. */
	for (int i = 0; i < 12; i++)
		d = ctl_throttle_feed(&t, 100, d, 8);
	assert_int_equal(d, 1);
}

static void diskstats(unsigned long io_ticks)
{
	fake_write("proc/diskstats",
		   " 254       0 vda 1 0 8 1 2 0 16 2 0 %lu %lu 0 0 0 0 0 0\n"
		   " 254       1 vdz 5 0 40 3 7 0 56 9 0 %lu %lu 0 0 0 0 0 0\n",
		   io_ticks / 2, io_ticks / 2, io_ticks, io_ticks);
}

/* A throttle T at 80% over the fake root *R (diskstats() at IO_TICKS),
 * watching the queues NAMES (NULL-terminated), each added once. */
static void throttle_on(struct ctl_throttle *t, struct ctl_root **r,
			unsigned long io_ticks, const char *const *names)
{
	diskstats(io_ticks);
	assert_int_equal(ctl_root_open(fake_root, r), 0);
	ctl_throttle_init(t, *r, 80);
	for (; *names; names++)
		assert_int_equal(ctl_throttle_add(t, *names), 0);
}

static void test_throttle_poll(void **state)
{
	struct ctl_throttle t;
	struct ctl_root *r;

	(void)state;
	throttle_on(&t, &r, 1000, (const char *const[]){"vdz", NULL});
	assert_int_equal(ctl_throttle_poll(&t, 10000, 8, 8), 8);
	diskstats(1900);
	/* Too early: no new sample. */
	assert_int_equal(ctl_throttle_poll(&t, 10500, 8, 8), 8);
	assert_true(t.util == 0);
	assert_int_equal(ctl_throttle_poll(&t, 11000, 8, 8), 8);
	assert_true(t.util > 89.9 && t.util < 90.1);
	diskstats(2900);
	assert_int_equal(ctl_throttle_poll(&t, 12000, 8, 8), 8);
	diskstats(3900);
	assert_int_equal(ctl_throttle_poll(&t, 13000, 8, 8), 4);
	assert_string_equal(t.disk, "vdz");
	ctl_throttle_free(&t);
	/* A queue without statistics is not watched. */
	ctl_throttle_init(&t, r, 80);
	assert_int_equal(ctl_throttle_add(&t, "nosuch"), -ENODEV);
	assert_int_equal(t.n, 0);
	ctl_throttle_free(&t);
	ctl_root_free(r);
}

/*
 * Every queue under the file is watched and the busiest counts: vda stays
 * at half the rate of vdz (diskstats() above), so vdz saturates it; a
 * queue added twice is watched once; one that leaves diskstats fails the
 * poll.
 */
static void test_throttle_busiest(void **state)
{
	struct ctl_throttle t;
	struct ctl_root *r;

	(void)state;
	throttle_on(&t, &r, 0,
		    (const char *const[]){"vda", "vdz", "vda", NULL});
	assert_int_equal(t.n, 2);
	assert_int_equal(ctl_throttle_poll(&t, 1000, 8, 8), 8);
	for (unsigned long s = 1; s <= CTL_SAT_SAMPLES; s++) {
		diskstats(900 * s);
		assert_int_equal(ctl_throttle_poll(&t, 1000 + 1000 * s, 8, 8),
				 s < CTL_SAT_SAMPLES ? 8 : 4);
		assert_true(t.util > 89.9 && t.util < 90.1);
		assert_string_equal(t.disk, "vdz");
	}
	fake_write("proc/diskstats",
		   " 254 0 vda 1 0 8 1 2 0 16 2 0 0 0 0 0 0 0 0 0\n");
	assert_int_equal(ctl_throttle_poll(&t, 9000, 4, 8), -ENODEV);
	ctl_throttle_free(&t);
	ctl_root_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_engines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_new_file_dir_synced, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_offset_past_eof_is_hole,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_truncate_unless_asked,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_direct_unaligned, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_direct_prealloc, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_fallback_setup_refused,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_fallback_memlock, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bad_input, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_write_error, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_cqe_eagain_retried, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_drop_behind, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_written_behind, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_cold_input_deferred, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_direct_cold_input, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_pipe_spliced, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_pipe_size_bounds, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_pipe_short_input, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_pipe_offset, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_pipe_nonblocking, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_file_copy_range, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_zero_copy_not_asked, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_zero_copy_fallback, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_zero_copy_errors, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_throttle_rule, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_throttle_poll, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_throttle_busiest, setup,
						teardown),
	};

	signal(SIGPIPE, SIG_IGN); /* feed_cut() */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
