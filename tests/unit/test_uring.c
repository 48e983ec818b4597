// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libctl uring: the bulk writer with both engines, offsets and holes,
 * O_DIRECT with unaligned head and tail, drop-behind, the fallback from
 * io_uring (setup refused, buffers over RLIMIT_MEMLOCK) and the throttle
 * rule over a fake /proc/diskstats.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
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

static char src[512], dst[512];
static char *data;
#define DATA_LEN (3 * 1024 * 1024 + 777)

static int setup(void **state)
{
	int fd;

	(void)state;
	fake_new();
	fail_init = fail_register = fail_submit = cqe_eagain = 0;
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
}

static void test_offset_past_eof_is_hole(void **state)
{
	struct ctl_write_opts o = {.offset = 64ULL * 1024 * 1024};
	struct ctl_write_stats st;
	off_t d;
	int fd;

	(void)state;
	assert_int_equal(copy(&o, &st), 0);
	assert_int_equal(st.depth, CTL_WRITE_DEPTH_BUFFERED);
	check_dst(o.offset, o.offset + DATA_LEN);
	fd = open(dst, O_RDONLY);
	d = lseek(fd, 0, SEEK_DATA);
	close(fd);
	/* The gap has no data blocks (file systems may round down a bit). */
	assert_true(d >= (off_t)(o.offset - 1024 * 1024));
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

static void test_fallback_setup_refused(void **state)
{
	struct ctl_write_opts o = {0};
	struct ctl_write_stats st;

	(void)state;
	fail_init = -EPERM; /* kernel.io_uring_disabled=2, or seccomp */
	assert_int_equal(copy(&o, &st), 0);
	assert_int_equal(st.engine, CTL_WENGINE_PWRITE);
	assert_int_equal(st.fallback_err, -EPERM);
	assert_string_equal(st.fallback_why, "io_uring_queue_init");
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

static void test_drop_behind(void **state)
{
	struct ctl_write_opts o = {.flags = CTL_WRITE_DROP_BEHIND};
	struct ctl_write_stats st;
	long page = sysconf(_SC_PAGESIZE);
	size_t pages, resident = 0;
	unsigned char *vec;
	void *map;
	int fd;

	(void)state;
	assert_int_equal(copy(&o, &st), 0);
	check_dst(0, DATA_LEN);
	/* check_dst() read the file back: drop again, as a writer would. */
	assert_int_equal(copy(&o, &st), 0);
	fd = open(dst, O_RDONLY);
	pages = (DATA_LEN + (size_t)page - 1) / (size_t)page;
	map = mmap(NULL, DATA_LEN, PROT_READ, MAP_SHARED, fd, 0);
	assert_true(map != MAP_FAILED);
	vec = malloc(pages);
	assert_int_equal(mincore(map, DATA_LEN, vec), 0);
	for (size_t i = 0; i < pages; i++)
		resident += vec[i] & 1;
	assert_true(resident < pages / 10);
	munmap(map, DATA_LEN);
	free(vec);
	close(fd);
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
	ctl_throttle_init(&t, NULL, "vdz", 85);
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

static void test_throttle_poll(void **state)
{
	struct ctl_throttle t;
	struct ctl_root *r;

	(void)state;
	diskstats(1000);
	assert_int_equal(ctl_root_open(fake_root, &r), 0);
	ctl_throttle_init(&t, r, "vdz", 80);
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
	ctl_throttle_init(&t, r, "nosuch", 80);
	assert_int_equal(ctl_throttle_poll(&t, 1000, 8, 8), -ENODEV);
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
		cmocka_unit_test_setup_teardown(test_throttle_rule, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_throttle_poll, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
