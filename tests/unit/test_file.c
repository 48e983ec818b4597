// SPDX-License-Identifier: GPL-2.0-or-later
/* libctl/file.c: non-blocking input, atomic writes, seals; libctl/clock.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctl/clock.h"
#include "ctl/file.h"
#include "fake-setup.h"

static char path[PATH_MAX];

static int setup(void **state)
{
	(void)state;
	fake_new();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fake_free();
	return 0;
}

static const char *at(const char *rel)
{
	snprintf(path, sizeof(path), "%s/%s", fake_root, rel);
	return path;
}

/* A FIFO without a writer would block open(2) forever: it must not. */
static void test_input_fifo_does_not_block(void **state)
{
	(void)state;
	assert_int_equal(mkfifo(at("fifo"), 0600), 0);
	alarm(5); /* a hang fails the test instead of the suite */
	assert_int_equal(ctl_file_open_input(AT_FDCWD, at("fifo")),
			 -CTL_ENOTREG);
	alarm(0);
	assert_string_equal(ctl_file_strerror(CTL_ENOTREG),
			    "not a regular file");
	assert_int_equal(ctl_file_open_input(AT_FDCWD, "/dev/null"),
			 -CTL_ENOTREG);
	assert_int_equal(ctl_file_open_input(AT_FDCWD, fake_root), -EISDIR);
	assert_int_equal(ctl_file_open_input(AT_FDCWD, at("missing")), -ENOENT);
}

static void test_input_regular(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	int fd, fl;

	(void)state;
	fake_write("in", "hello\n");
	fd = ctl_file_open_input(AT_FDCWD, at("in"));
	assert_true(fd >= 0);
	fl = fcntl(fd, F_GETFL);
	assert_false(fl & O_NONBLOCK); /* cleared for the reader */
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
	assert_int_equal(ctl_file_read_input(AT_FDCWD, at("in"), 6, &buf, &len),
			 0);
	assert_int_equal(len, 6);
	assert_string_equal(buf, "hello\n");
	free(buf);
	/* One byte over the limit is refused; exactly the limit is not. */
	assert_int_equal(ctl_file_read_input(AT_FDCWD, at("in"), 5, &buf, &len),
			 -EFBIG);
}

/* The file REL under the fake root holds exactly WANT. */
static void check_content(const char *rel, const char *want)
{
	char *buf = NULL;
	size_t len;

	assert_int_equal(
		ctl_file_read_input(AT_FDCWD, at(rel), 100, &buf, &len), 0);
	assert_string_equal(buf, want);
	assert_int_equal(len, strlen(want));
	free(buf);
}

static void test_write_atomic(void **state)
{
	struct stat st;

	(void)state;
	assert_int_equal(mkdir(at("w"), 0755), 0);
	assert_int_equal(ctl_file_write_atomic(at("w/save"), "one\n", 4, 0640),
			 0);
	check_content("w/save", "one\n");
	assert_int_equal(stat(at("w/save"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(ctl_file_write_atomic(at("w/save"), "two\n", 4, 0600),
			 0);
	check_content("w/save", "two\n");
	assert_int_equal(fake_entries(at("w")), 1); /* no temp file left */
	/* A directory that does not exist: nothing is created anywhere. */
	assert_int_equal(ctl_file_write_atomic(at("nodir/save"), "x", 1, 0600),
			 -ENOENT);
	/* A failure (read-only directory, not as root: a directory where
	 * the file should be) keeps the old file. */
	assert_int_equal(mkdir(at("w/sub"), 0755), 0);
	assert_int_equal(ctl_file_write_atomic(at("w/sub"), "x", 1, 0600),
			 -EISDIR);
	assert_int_equal(fake_entries(at("w")), 2);
	assert_int_equal(fake_entries(at("w/sub")), 0);
	assert_int_equal(ctl_file_write_atomicat(AT_FDCWD, "a/b", "x", 1, 0600),
			 -EINVAL);
}

/* NOREPLACE makes a file only where there is none; NO_SYNC still puts
 * it in place whole; the directory fsync takes a path or a directory. */
static void test_write_atomic_flags(void **state)
{
	int dfd;

	(void)state;
	assert_int_equal(mkdir(at("n"), 0755), 0);
	assert_int_equal(ctl_file_write_atomic_flags(at("n/j"), "hdr", 3, 0600,
						     CTL_FILE_NOREPLACE),
			 0);
	assert_int_equal(ctl_file_write_atomic_flags(at("n/j"), "other", 5,
						     0600, CTL_FILE_NOREPLACE),
			 -EEXIST);
	check_content("n/j", "hdr"); /* the first one stays */
	assert_int_equal(fake_entries(at("n")), 1); /* no temp file left */
	assert_int_equal(ctl_file_write_atomic_flags(at("n/j"), "new", 3, 0600,
						     CTL_FILE_NO_SYNC),
			 0);
	check_content("n/j", "new");
	assert_int_equal(fake_entries(at("n")), 1);
	assert_int_equal(ctl_file_fsync_dir(at("n/j")), 0);
	assert_int_equal(ctl_file_fsync_dir(at("nodir/j")), -ENOENT);
	dfd = open(at("n"), O_RDONLY | O_DIRECTORY);
	assert_true(dfd >= 0);
	assert_int_equal(ctl_file_fsync_dirat(dfd), 0);
	close(dfd);
	assert_int_equal(ctl_file_fsync_dirat(-1), -EBADF);
}

static void test_seal(void **state)
{
	char buf[256] = "# header\nsda mq-deadline 64 128 8:0\n";
	size_t len = strlen(buf), body = 0;
	unsigned int recs = 0;
	int n;

	(void)state;
	n = ctl_seal_append(buf, sizeof(buf), len, 1);
	assert_true(n > (int)len);
	assert_int_equal(ctl_seal_check(buf, (size_t)n, &body, &recs), 0);
	assert_int_equal(body, len);
	assert_int_equal(recs, 1);
	/* Cut anywhere: refused. */
	for (int cut = 0; cut < n; cut++)
		assert_int_equal(ctl_seal_check(buf, (size_t)cut, NULL, NULL),
				 -EBADMSG);
	/* One byte changed in the body: refused. */
	buf[30] ^= 1;
	assert_int_equal(ctl_seal_check(buf, (size_t)n, NULL, NULL), -EBADMSG);
	buf[30] ^= 1;
	/* A seal with a record count that was edited: refused by the CRC
	 * only if the body changed; the count itself is the caller's check,
	 * but a malformed seal line is ours. */
	assert_int_equal(ctl_seal_check("# end records=1 crc32c=0\n", 25, NULL,
					NULL),
			 -EBADMSG);
	/* An empty body seals too (a file with no records). */
	n = ctl_seal_append(buf, sizeof(buf), 0, 0);
	assert_true(n > 0);
	assert_int_equal(ctl_seal_check(buf, (size_t)n, &body, &recs), 0);
	assert_int_equal(body, 0);
	assert_int_equal(recs, 0);
	/* No room: -ENOSPC, never a cut seal. */
	assert_int_equal(ctl_seal_append(buf, 10, 5, 0), -ENOSPC);
}

/* A sealed file of ours, another file, one cut anywhere. */
static void test_seal_open(void **state)
{
	const char *magic = "# test save file v1\n";
	char buf[256], cut[256];
	size_t body = 0;
	unsigned int recs = 0;
	int n;

	(void)state;
	snprintf(buf, sizeof(buf), "%sx 1\n", magic);
	n = ctl_seal_append(buf, sizeof(buf), strlen(buf), 1);
	assert_true(n > 0);
	for (int i = 0; i < n; i++) {
		memcpy(cut, buf, (size_t)i);
		cut[i] = '\0';
		assert_int_equal(ctl_seal_open(cut, (size_t)i, magic, &body,
					       &recs),
				 -EBADMSG);
	}
	memcpy(cut, buf, (size_t)n + 1);
	assert_int_equal(ctl_seal_open(cut, (size_t)n, magic, &body, &recs), 0);
	assert_int_equal(body, strlen(magic) + 4);
	assert_int_equal(recs, 1);
	assert_string_equal(cut + strlen(magic), "x 1\n"); /* seal cut off */
	/* Another first line, sealed or not, is another file. */
	memcpy(cut, buf, (size_t)n + 1);
	cut[2] = 'T';
	assert_int_equal(ctl_seal_open(cut, (size_t)n, magic, &body, &recs),
			 -ENOMSG);
	assert_int_equal(ctl_seal_open(cut, 3, magic, &body, &recs), -ENOMSG);
	/* Without a magic only the seal counts. */
	assert_int_equal(ctl_seal_open(cut, (size_t)n, NULL, &body, &recs),
			 -EBADMSG); /* the edit broke the CRC */
	memcpy(cut, buf, (size_t)n + 1);
	assert_int_equal(ctl_seal_open(cut, (size_t)n, NULL, &body, &recs), 0);
}

/* A save file's place, checked before the change it records. */
static void test_dest_ok(void **state)
{
	(void)state;
	assert_int_equal(ctl_file_dest_ok(at("new.save")), 0);
	fake_write("old.save", "x\n");
	assert_int_equal(ctl_file_dest_ok(at("old.save")), 1);
	assert_int_equal(ctl_file_dest_ok(at("nodir/new.save")), -ENOENT);
	assert_int_equal(ctl_file_dest_ok(at("old.save/x")), -ENOTDIR);
	assert_int_equal(mkfifo(at("fifo.save"), 0600), 0);
	assert_int_equal(ctl_file_dest_ok(at("fifo.save")), -CTL_ENOTREG);
	assert_int_equal(ctl_file_dest_ok(fake_root), -EISDIR);
	assert_int_equal(ctl_file_dest_ok("/dev/null"), -CTL_ENOTREG);
	/* A bare name is in the current directory. */
	assert_int_equal(chdir(fake_root), 0);
	assert_int_equal(ctl_file_dest_ok("old.save"), 1);
	assert_int_equal(chdir("/"), 0);
}

/* A tool's loader for test_save_ok: the first byte says what it found. */
static int judge(const char *file)
{
	char c = 0;
	int fd = open(file, O_RDONLY), n;

	if (fd < 0)
		return -errno;
	n = (int)read(fd, &c, 1);
	close(fd);
	switch (n == 1 ? c : 0) {
	case 'o': /* ours */
		return 0;
	case 'c': /* ours, cut short */
		return -EBADMSG;
	case 'b': /* too large to be ours */
		return -EFBIG;
	case 'e':
		return -EACCES;
	default: /* another file */
		return -ENOMSG;
	}
}

/* The one rule of set --save FILE (qdepth and swapadj): another file is
 * never replaced, one of ours (even cut short) is. */
static void test_save_ok(void **state)
{
	(void)state;
	assert_int_equal(ctl_file_save_ok(at("s.new"), judge), 0);
	fake_write("s.ours", "o\n");
	assert_int_equal(ctl_file_save_ok(at("s.ours"), judge), 1);
	fake_write("s.cut", "c\n");
	assert_int_equal(ctl_file_save_ok(at("s.cut"), judge), 1);
	fake_write("s.other", "x\n");
	assert_int_equal(ctl_file_save_ok(at("s.other"), judge), -ENOMSG);
	fake_write("s.big", "b\n");
	assert_int_equal(ctl_file_save_ok(at("s.big"), judge), -ENOMSG);
	fake_write("s.err", "e\n");
	assert_int_equal(ctl_file_save_ok(at("s.err"), judge), -EACCES);
	/* ctl_file_dest_ok() first: the loader never sees these. */
	assert_int_equal(ctl_file_save_ok(at("nodir/s"), judge), -ENOENT);
	assert_int_equal(ctl_file_save_ok(fake_root, judge), -EISDIR);
	assert_int_equal(ctl_file_save_ok("/dev/null", judge), -CTL_ENOTREG);
}

/* Milliseconds with the fraction, never going back; and as a timespec. */
static void test_now_ms(void **state)
{
	struct timespec ts = {0, 20 * 1000000L};
	double t0, t1;

	(void)state;
	t0 = ctl_now_ms();
	nanosleep(&ts, NULL);
	t1 = ctl_now_ms();
	assert_true(t0 > 0);
	assert_true(t1 - t0 >= 19.9);
	assert_true(t1 - t0 < 10000);
	ts = ctl_ms_timespec(1500.25);
	assert_int_equal(ts.tv_sec, 1);
	assert_true(ts.tv_nsec >= 500249999 && ts.tv_nsec <= 500250001);
	ts = ctl_ms_timespec(0.5);
	assert_int_equal(ts.tv_sec, 0);
	assert_int_equal(ts.tv_nsec, 500000);
	ts = ctl_ms_timespec(-3);
	assert_true(ts.tv_sec == 0 && ts.tv_nsec == 0);
	ts = ctl_ms_timespec(2000);
	assert_true(ts.tv_sec == 2 && ts.tv_nsec == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_input_fifo_does_not_block),
		cmocka_unit_test(test_input_regular),
		cmocka_unit_test(test_write_atomic),
		cmocka_unit_test(test_write_atomic_flags),
		cmocka_unit_test(test_seal),
		cmocka_unit_test(test_seal_open),
		cmocka_unit_test(test_dest_ok),
		cmocka_unit_test(test_save_ok),
		cmocka_unit_test(test_now_ms),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
