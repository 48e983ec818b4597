// SPDX-License-Identifier: GPL-2.0-or-later
/* Window arithmetic, window walks over real files, the SIGBUS guard. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl/parse.h"
#include "ctl/win.h"

#define PG 4096ULL
#define MiB (1ULL << 20)

static char dir[] = "/tmp/ctl-win.XXXXXX";
static char path[64];

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/f", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	return rmdir(dir);
}

/* Every alignment of the first byte against pages and windows. */
static void test_span_cases(void **state)
{
	const struct {
		uint64_t off, rem, win;
		uint64_t map_off, map_len, delta, len;
	} c[] = {
		/* page-aligned start, inside one page */
		{0, 1, 64 * MiB, 0, PG, 0, 1},
		{0, PG, 64 * MiB, 0, PG, 0, PG},
		/* the source article's offset 1024: map from 0, +1024 */
		{1024, 100, 64 * MiB, 0, PG, 1024, 100},
		/* crossing one page boundary */
		{PG - 1, 2, 64 * MiB, 0, 2 * PG, PG - 1, 2},
		/* unaligned 4 KiB patch: two pages */
		{1 * (1ULL << 30) + 123, PG, 64 * MiB, (1ULL << 30), 2 * PG,
		 123, PG},
		/* last byte of a page */
		{2 * PG - 1, 1, 64 * MiB, PG, PG, PG - 1, 1},
		/* range longer than a window, aligned: one full window */
		{0, 3 * PG, 2 * PG, 0, 2 * PG, 0, 2 * PG},
		/* unaligned start: the window ends at its own boundary */
		{100, 3 * PG, 2 * PG, 0, 2 * PG, 100, 2 * PG - 100},
		/* window of exactly one page */
		{PG + 5, 10 * PG, PG, PG, PG, 5, PG - 5},
		/* 5 GiB + 1 in an 8 GiB file: offsets past 32 bits */
		{5 * (1ULL << 30) + 1, 1, 64 * MiB, 5 * (1ULL << 30), PG, 1, 1},
		/* ending exactly at a window boundary */
		{64 * MiB - PG, PG, 64 * MiB, 64 * MiB - PG, PG, 0, PG},
	};
	struct ctl_win_span sp;

	(void)state;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		assert_int_equal(
			ctl_win_span(c[i].off, c[i].rem, c[i].win, PG, &sp), 0);
		assert_int_equal(sp.map_off, c[i].map_off);
		assert_int_equal(sp.map_len, c[i].map_len);
		assert_int_equal(sp.delta, c[i].delta);
		assert_int_equal(sp.len, c[i].len);
		assert_int_equal(sp.map_off % PG, 0);
		assert_int_equal(sp.map_len % PG, 0);
		assert_true(sp.map_len <= c[i].win);
		assert_int_equal(sp.map_off + sp.delta, c[i].off);
	}
}

/* Walking a range window by window covers each byte once, every window
 * after the first starts page-aligned, and none is larger than asked. */
static void test_span_walk(void **state)
{
	const uint64_t offs[] = {0, 1, PG - 1, PG, PG + 1, 3 * PG - 7};
	const uint64_t lens[] = {1, PG - 1, PG, PG + 1, 5 * PG, 7 * PG + 3};
	const uint64_t wins[] = {PG, 2 * PG, 3 * PG, 64 * MiB};

	(void)state;
	for (size_t a = 0; a < 6; a++)
		for (size_t b = 0; b < 6; b++)
			for (size_t c = 0; c < 4; c++) {
				uint64_t off = offs[a], rem = lens[b];
				struct ctl_win_span sp;
				int first = 1;

				while (rem) {
					assert_int_equal(ctl_win_span(off, rem,
								      wins[c],
								      PG, &sp),
							 0);
					if (!first)
						assert_int_equal(sp.delta, 0);
					assert_true(sp.map_len <= wins[c]);
					assert_true(sp.delta + sp.len <=
						    sp.map_len);
					assert_true(sp.len > 0);
					off += sp.len;
					rem -= sp.len;
					first = 0;
				}
				assert_int_equal(off, offs[a] + lens[b]);
			}
}

static void test_span_bad(void **state)
{
	struct ctl_win_span sp;

	(void)state;
	assert_int_equal(ctl_win_span(0, 0, PG, PG, &sp), -EINVAL);
	assert_int_equal(ctl_win_span(0, 1, PG + 1, PG, &sp), -EINVAL);
	assert_int_equal(ctl_win_span(0, 1, 0, PG, &sp), -EINVAL);
	assert_int_equal(ctl_win_span(0, 1, 3000, 3000, &sp), -EINVAL);
	assert_int_equal(ctl_win_span(INT64_MAX, 2, PG, PG, &sp), -EINVAL);
	assert_int_equal(ctl_win_span(UINT64_MAX - 1, 1, PG, PG, &sp), -EINVAL);
}

static void test_size_check(void **state)
{
	(void)state;
	assert_int_equal(ctl_win_size_check(PG), 0);
	assert_int_equal(ctl_win_size_check(MiB), 0);
	assert_int_equal(ctl_win_size_check(CTL_WIN_MAX), 0);
	assert_int_equal(ctl_win_size_check(1000), -ERANGE);
	assert_int_equal(ctl_win_size_check(PG + 1), -EINVAL);
	assert_int_equal(ctl_win_size_check(CTL_WIN_MAX + PG), -ERANGE);
}

/* The sizes mmapwin takes for OFFSET, LENGTH and --window. */
static void test_parse_sizes(void **state)
{
	const char *bad[] = {"-1", "",	 "1.5G", "10Q", "0x", "5G+1",
			     " 1", "1 ", "K",	 "0xZ", "-0"};
	uint64_t v;

	(void)state;
	assert_int_equal(ctl_parse_size("4096", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(ctl_parse_size("5G", &v), 0);
	assert_int_equal(v, 5ULL << 30);
	assert_int_equal(ctl_parse_size("1M", &v), 0);
	assert_int_equal(v, MiB);
	assert_int_equal(ctl_parse_size("8GiB", &v), 0);
	assert_int_equal(v, 8ULL << 30);
	assert_int_equal(ctl_parse_size("0x140000001", &v), 0);
	assert_int_equal(v, (5ULL << 30) + 1);
	assert_int_equal(ctl_parse_size("2T", &v), 0);
	assert_int_equal(v, 2ULL << 40);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(ctl_parse_size(bad[i], &v), -EINVAL);
	assert_int_equal(ctl_parse_size("99999999999999999999", &v), -ERANGE);
	assert_int_equal(ctl_parse_size("17179869184G", &v), -ERANGE);
}

static void make_file(size_t n)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	unsigned char *b = malloc(n);

	assert_non_null(b);
	assert_true(fd >= 0);
	for (size_t i = 0; i < n; i++)
		b[i] = (unsigned char)(i * 7 + 3);
	assert_int_equal(write(fd, b, n), (ssize_t)n);
	close(fd);
	free(b);
}

struct copy {
	unsigned char *dst;
	uint64_t base;
	unsigned int calls;
};

static int copy_fn(void *arg, unsigned char *p, size_t len, uint64_t off)
{
	struct copy *c = arg;

	memcpy(c->dst + (off - c->base), p, len);
	c->calls++;
	return 0;
}

static void test_each_reads_exact_bytes(void **state)
{
	const size_t n = 10 * PG + 123;
	uint64_t size;
	int fd;

	(void)state;
	make_file(n);
	fd = ctl_win_open(path, 0, &size);
	assert_true(fd >= 0);
	assert_int_equal(size, n);
	for (uint64_t off = 0; off < 3 * PG; off += 1021) {
		struct ctl_win w = {.fd = fd, .winsize = 2 * PG};
		struct copy c = {malloc(n), off, 0};

		assert_int_equal(ctl_win_each(&w, off, n - off, copy_fn, &c),
				 0);
		for (size_t i = off; i < n; i++)
			assert_int_equal(c.dst[i - off],
					 (unsigned char)(i * 7 + 3));
		assert_int_equal(c.calls, w.windows);
		assert_null(w.map);
		free(c.dst);
	}
	close(fd);
}

static int fill_fn(void *arg, unsigned char *p, size_t len, uint64_t off)
{
	(void)arg;
	(void)off;
	memset(p, 'X', len);
	return 0;
}

static void test_each_writes_in_place(void **state)
{
	struct ctl_win w = {.winsize = PG,
			    .flags = CTL_WIN_WRITE | CTL_WIN_SYNC};
	unsigned char buf[3 * PG];
	struct stat a, b;
	uint64_t size;

	(void)state;
	make_file(sizeof(buf));
	stat(path, &a);
	w.fd = ctl_win_open(path, 1, &size);
	assert_true(w.fd >= 0);
	assert_int_equal(ctl_win_each(&w, PG - 2, 5, fill_fn, NULL), 0);
	assert_int_equal(w.windows, 2);
	close(w.fd);
	stat(path, &b);
	assert_int_equal(a.st_ino, b.st_ino);
	w.fd = open(path, O_RDONLY);
	assert_int_equal(read(w.fd, buf, sizeof(buf)), (ssize_t)sizeof(buf));
	close(w.fd);
	for (size_t i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], (i >= PG - 2 && i < PG + 3)
						 ? 'X'
						 : (unsigned char)(i * 7 + 3));
}

static int stop_fn(void *arg, unsigned char *p, size_t len, uint64_t off)
{
	(void)arg;
	(void)p;
	(void)len;
	return off >= PG ? -ECANCELED : 0;
}

static void test_each_stops_on_error(void **state)
{
	struct ctl_win w = {.winsize = PG};
	uint64_t size;

	(void)state;
	make_file(4 * PG);
	w.fd = ctl_win_open(path, 0, &size);
	assert_int_equal(ctl_win_each(&w, 0, 4 * PG, stop_fn, NULL),
			 -ECANCELED);
	assert_int_equal(w.windows, 2);
	close(w.fd);
}

/* Someone truncates the file while a window is mapped: touching the
 * vanished page raises SIGBUS, which must come back as -ESTALE. */
static int trunc_fn(void *arg, unsigned char *p, size_t len, uint64_t off)
{
	int fd = *(int *)arg;
	volatile unsigned char *q = p;

	(void)off;
	if (ftruncate(fd, 0) < 0)
		return -errno;
	for (size_t i = 0; i < len; i += PG)
		(void)q[i];
	return 0;
}

/* A 4-page file that FN truncates (through a second fd) inside its
 * window: the walk fails with -ESTALE. W stays open on the file. */
static void expect_stale(struct ctl_win *w, ctl_win_fn fn)
{
	uint64_t size;
	int fd2;

	make_file(4 * PG);
	w->fd = ctl_win_open(path, 0, &size);
	fd2 = open(path, O_RDWR);
	assert_int_equal(ctl_win_each(w, 0, size, fn, &fd2), -ESTALE);
	close(fd2);
}

static void test_guard_sigbus(void **state)
{
	struct ctl_win w = {.winsize = 4 * PG};

	(void)state;
	expect_stale(&w, trunc_fn);
	/* The guard is gone and the handler stays harmless afterwards:
	 * a second round works. */
	make_file(4 * PG);
	{
		struct copy c = {malloc(4 * PG), 0, 0};

		assert_int_equal(ctl_win_each(&w, 0, 4 * PG, copy_fn, &c), 0);
		assert_int_equal(c.dst[4 * PG - 1],
				 (unsigned char)((4 * PG - 1) * 7 + 3));
		free(c.dst);
	}
	close(w.fd);
}

/* A syscall that reads a vanished page gets EFAULT, also -ESTALE. */
static int write_fn(void *arg, unsigned char *p, size_t len, uint64_t off)
{
	int fd = *(int *)arg;
	int pfd[2];
	ssize_t r;

	(void)off;
	if (ftruncate(fd, 0) < 0 || pipe(pfd) < 0)
		return -errno;
	/* A pipe copies the bytes (/dev/null would not even look). */
	r = write(pfd[1], p, len);
	close(pfd[0]);
	close(pfd[1]);
	return r < 0 ? -errno : 0;
}

static void test_guard_efault(void **state)
{
	struct ctl_win w = {.winsize = 4 * PG};

	(void)state;
	expect_stale(&w, write_fn);
	close(w.fd);
}

/* MADV_POPULATE_READ over a range past EOF reports it, unlike
 * MAP_POPULATE. */
static void test_madvise_past_eof(void **state)
{
	struct ctl_win w = {.winsize = 4 * PG, .flags = CTL_WIN_MADVISE};
	uint64_t size;

	(void)state;
	make_file(PG);
	w.fd = ctl_win_open(path, 0, &size);
	assert_int_equal(ctl_win_map(&w, 0, PG), 0);
	ctl_win_unmap(&w);
	assert_int_equal(ctl_win_map(&w, 2 * PG, PG), -ESTALE);
	assert_null(w.map);
	w.flags = CTL_WIN_POPULATE;
	assert_int_equal(ctl_win_map(&w, 2 * PG, PG), 0);
	ctl_win_unmap(&w);
	close(w.fd);
}

static void test_open_kinds(void **state)
{
	char fifo[80];
	uint64_t size;

	(void)state;
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(ctl_win_open(fifo, 0, &size), -EINVAL);
	assert_int_equal(ctl_win_open(fifo, 1, &size), -EINVAL);
	unlink(fifo);
	assert_int_equal(ctl_win_open(dir, 0, &size), -EISDIR);
	assert_int_equal(ctl_win_open(dir, 1, &size), -EISDIR);
	assert_int_equal(ctl_win_open("/nonexistent/x", 0, &size), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_span_cases),
		cmocka_unit_test(test_span_walk),
		cmocka_unit_test(test_span_bad),
		cmocka_unit_test(test_size_check),
		cmocka_unit_test(test_parse_sizes),
		cmocka_unit_test(test_each_reads_exact_bytes),
		cmocka_unit_test(test_each_writes_in_place),
		cmocka_unit_test(test_each_stops_on_error),
		cmocka_unit_test(test_guard_sigbus),
		cmocka_unit_test(test_guard_efault),
		cmocka_unit_test(test_madvise_past_eof),
		cmocka_unit_test(test_open_kinds),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
