// SPDX-License-Identifier: GPL-2.0-or-later
/* The undo journal: format, durability order, apply, refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl/file.h"
#include "ctl/undo.h"

static char dir[] = "/tmp/ctl-undo.XXXXXX";
static char target[64], other[64], journal[64];

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(target, sizeof(target), "%s/target", dir);
	snprintf(other, sizeof(other), "%s/other", dir);
	snprintf(journal, sizeof(journal), "%s/undo", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(target);
	unlink(other);
	unlink(journal);
	return rmdir(dir);
}

static void put_file(const char *p, const char *s)
{
	int fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
	close(fd);
}

static char *get_file(const char *p)
{
	static char buf[4096];
	int fd = open(p, O_RDONLY);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	assert_true(n >= 0);
	buf[n] = '\0';
	close(fd);
	return buf;
}

static uint64_t file_size(const char *p)
{
	struct stat st;

	assert_int_equal(stat(p, &st), 0);
	return (uint64_t)st.st_size;
}

/* Patch the target like mmapwin does: journal first, then write. */
static void patch(int fd, struct ctl_undo *u, uint64_t off, const char *s)
{
	char orig[256];
	size_t n = strlen(s);

	assert_int_equal(pread(fd, orig, n, (off_t)off), (ssize_t)n);
	assert_int_equal(ctl_undo_record(u, off, orig, n), 0);
	assert_int_equal(pwrite(fd, s, n, (off_t)off), (ssize_t)n);
}

static void fresh(void)
{
	unlink(journal);
	put_file(target, "0123456789abcdefghij");
}

static void test_crc32c(void **state)
{
	(void)state;
	/* The check value of CRC-32C (RFC 3720). */
	assert_int_equal(ctl_crc32c(0, "123456789", 9), 0xe3069283);
	assert_int_equal(ctl_crc32c(0, "", 0), 0);
	/* Continuation equals one pass. */
	assert_int_equal(ctl_crc32c(ctl_crc32c(0, "12345", 5), "6789", 4),
			 0xe3069283);
}

static void test_header_layout(void **state)
{
	struct ctl_undo *u;
	unsigned char h[64];
	struct stat st;
	int fd, jfd;

	(void)state;
	fresh();
	fd = open(target, O_RDWR);
	fstat(fd, &st);
	assert_int_equal(ctl_undo_open(journal, fd, target, &u), 0);
	assert_int_equal(ctl_undo_close(u), 0);
	jfd = open(journal, O_RDONLY);
	assert_int_equal(read(jfd, h, 64), 64);
	close(jfd);
	assert_memory_equal(h, "CTLUNDO1", 8);
	assert_int_equal(h[8], 1);
	assert_int_equal(h[12], 64 + strlen(target));
	assert_memory_equal(h + 16, &st.st_dev, 8); /* little-endian host */
	assert_memory_equal(h + 24, &st.st_ino, 8);
	assert_int_equal(h[32], 20);
	assert_int_equal(file_size(journal), 64 + strlen(target));
	close(fd);
}

static void test_roundtrip_idempotent(void **state)
{
	struct ctl_undo_info info;
	struct ctl_undo *u;
	uint64_t recs, bytes;
	int fd;

	(void)state;
	fresh();
	fd = open(target, O_RDWR);
	assert_int_equal(ctl_undo_open(journal, fd, target, &u), 0);
	patch(fd, u, 2, "XYZ");
	patch(fd, u, 18, "QQ");
	ctl_undo_counts(u, &recs, &bytes);
	assert_int_equal(recs, 2);
	assert_int_equal(bytes, 5);
	/* The record is on disk before the change: exact journal size. */
	assert_int_equal(file_size(journal), 64 + strlen(target) + 2 * 24 + 5);
	assert_int_equal(ctl_undo_close(u), 0);
	close(fd);
	assert_string_equal(get_file(target), "01XYZ56789abcdefghQQ");
	for (int i = 0; i < 3; i++) {
		assert_int_equal(ctl_undo_apply(journal, 0, NULL, NULL, &info),
				 0);
		assert_string_equal(get_file(target), "0123456789abcdefghij");
		assert_int_equal(info.records, 2);
		assert_int_equal(info.bytes, 5);
		assert_int_equal(info.torn, 0);
		assert_string_equal(info.path, target);
	}
}

/* Overlapping records from two runs into one journal: last to first. */
static void test_overlap_order(void **state)
{
	struct ctl_undo_info info;
	struct ctl_undo *u;
	int fd;

	(void)state;
	fresh();
	fd = open(target, O_RDWR);
	assert_int_equal(ctl_undo_open(journal, fd, target, &u), 0);
	patch(fd, u, 0, "AAAA");
	ctl_undo_close(u);
	assert_int_equal(ctl_undo_open(journal, fd, target, &u), 0);
	patch(fd, u, 2, "BBBB");
	ctl_undo_close(u);
	close(fd);
	assert_string_equal(get_file(target), "AABBBB6789abcdefghij");
	assert_int_equal(ctl_undo_apply(journal, 0, NULL, NULL, &info), 0);
	assert_string_equal(get_file(target), "0123456789abcdefghij");
}

static void test_refuses_other_file(void **state)
{
	struct ctl_undo_info info;
	struct ctl_undo *u;
	int fd;

	(void)state;
	fresh();
	put_file(other, "other");
	fd = open(target, O_RDWR);
	assert_int_equal(ctl_undo_open(journal, fd, target, &u), 0);
	patch(fd, u, 0, "Z");
	ctl_undo_close(u);
	close(fd);
	/* Appending records about another file. */
	fd = open(other, O_RDWR);
	assert_int_equal(ctl_undo_open(journal, fd, other, &u), -EXDEV);
	/* The journal as its own target. */
	close(fd);
	fd = open(journal, O_RDWR);
	assert_int_equal(ctl_undo_open(journal, fd, journal, &u), -EINVAL);
	close(fd);
	/* The target replaced by another inode under the same name. */
	assert_int_equal(rename(other, target), 0);
	assert_int_equal(ctl_undo_apply(journal, 0, NULL, NULL, &info), -EXDEV);
	assert_int_equal(info.on_target, 1);
	assert_string_equal(get_file(target), "other");
}

static void test_not_a_journal(void **state)
{
	struct ctl_undo_info info;
	struct ctl_undo *u;
	int fd;

	(void)state;
	fresh();
	put_file(journal, "this is not a journal at all, just text......"
			  "..................................\n");
	fd = open(target, O_RDWR);
	assert_int_equal(ctl_undo_open(journal, fd, target, &u), -EBADMSG);
	close(fd);
	assert_int_equal(ctl_undo_apply(journal, 0, NULL, NULL, &info),
			 -EBADMSG);
	assert_int_equal(ctl_undo_apply(dir, 0, NULL, NULL, &info), -EISDIR);
}

/* Inputs never block: a FIFO as the journal, or put in the target's
 * place, is refused at once (an open for reading would wait for a
 * writer forever). */
static void test_fifo_never_blocks(void **state)
{
	struct ctl_undo_info info;
	struct ctl_undo *u;
	char fifo[80];
	int fd;

	(void)state;
	fresh();
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	fd = open(target, O_RDWR);
	assert_int_equal(ctl_undo_open(fifo, fd, target, &u), -CTL_ENOTREG);
	assert_int_equal(ctl_undo_apply(fifo, 0, NULL, NULL, &info),
			 -CTL_ENOTREG);
	assert_int_equal(info.on_target, 0);
	assert_int_equal(ctl_undo_apply(fifo, CTL_UNDO_DRY_RUN, NULL, NULL,
					&info),
			 -CTL_ENOTREG);
	assert_int_equal(ctl_undo_open(dir, fd, target, &u), -EISDIR);
	/* The target replaced by a FIFO. */
	assert_int_equal(ctl_undo_open(journal, fd, target, &u), 0);
	patch(fd, u, 0, "Z");
	ctl_undo_close(u);
	close(fd);
	assert_int_equal(unlink(target), 0);
	assert_int_equal(mkfifo(target, 0600), 0);
	assert_int_equal(ctl_undo_apply(journal, CTL_UNDO_DRY_RUN, NULL, NULL,
					&info),
			 -CTL_ENOTREG);
	assert_int_equal(info.on_target, 1);
	assert_int_equal(ctl_undo_apply(journal, 0, NULL, NULL, &info),
			 -CTL_ENOTREG);
	assert_int_equal(info.on_target, 1);
	unlink(target);
	unlink(fifo);
}

/* Crash halfway through a record: the record is ignored on apply and
 * trimmed when the journal is opened again. */
static void test_torn_tail(void **state)
{
	struct ctl_undo_info info;
	struct ctl_undo *u;
	uint64_t good;
	int fd, jfd;

	(void)state;
	fresh();
	fd = open(target, O_RDWR);
	assert_int_equal(ctl_undo_open(journal, fd, target, &u), 0);
	patch(fd, u, 0, "AB");
	ctl_undo_close(u);
	good = file_size(journal);
	/* A record header promising 100 bytes, and only 10 of them. */
	jfd = open(journal, O_RDWR);
	{
		unsigned char r[34] = "UREC";
		uint32_t crc;

		r[4] = 100;
		r[8] = 5;
		crc = ctl_crc32c(0, r, 20);
		memcpy(r + 20, &crc, 4);
		assert_int_equal(pwrite(jfd, r, sizeof(r), (off_t)good),
				 (ssize_t)sizeof(r));
	}
	close(jfd);
	/* The torn record's range was never touched. */
	assert_int_equal(ctl_undo_apply(journal, 0, NULL, NULL, &info), 0);
	assert_int_equal(info.records, 1);
	assert_int_equal(info.torn, 34);
	assert_string_equal(get_file(target), "0123456789abcdefghij");
	/* Zeros after the last record (size extended, data never written). */
	truncate(journal, (off_t)good + 4096);
	assert_int_equal(ctl_undo_apply(journal, 0, NULL, NULL, &info), 0);
	assert_int_equal(info.torn, 4096);
	/* Appending trims the tail first. */
	assert_int_equal(ctl_undo_open(journal, fd, target, &u), 0);
	assert_int_equal(file_size(journal), good);
	patch(fd, u, 5, "C");
	ctl_undo_close(u);
	assert_int_equal(ctl_undo_apply(journal, 0, NULL, NULL, &info), 0);
	assert_int_equal(info.records, 2);
	assert_int_equal(info.torn, 0);
	assert_string_equal(get_file(target), "0123456789abcdefghij");
	close(fd);
}

/* A bad record with good ones after it is corruption: write nothing. */
static void test_corrupt_middle(void **state)
{
	struct ctl_undo_info info;
	struct ctl_undo *u;
	int fd, jfd;
	char c;

	(void)state;
	fresh();
	fd = open(target, O_RDWR);
	assert_int_equal(ctl_undo_open(journal, fd, target, &u), 0);
	patch(fd, u, 0, "AB");
	patch(fd, u, 4, "CD");
	ctl_undo_close(u);
	close(fd);
	/* Flip one data byte of the first record. */
	jfd = open(journal, O_RDWR);
	pread(jfd, &c, 1, (off_t)(64 + strlen(target) + 24));
	c ^= 1;
	pwrite(jfd, &c, 1, (off_t)(64 + strlen(target) + 24));
	close(jfd);
	assert_int_equal(ctl_undo_apply(journal, 0, NULL, NULL, &info),
			 -EBADMSG);
	assert_string_equal(get_file(target), "AB23CD6789abcdefghij");
}

/* The file grew (patch --extend) after the journal was made: undo cuts
 * it back to the recorded size. */
static void test_extend_restored(void **state)
{
	struct ctl_undo_info info;
	struct ctl_undo *u;
	int fd;

	(void)state;
	fresh();
	fd = open(target, O_RDWR);
	assert_int_equal(ctl_undo_open(journal, fd, target, &u), 0);
	assert_int_equal(ftruncate(fd, 30), 0);
	patch(fd, u, 18, "0123456789AB");
	ctl_undo_close(u);
	close(fd);
	assert_int_equal(file_size(target), 30);
	assert_int_equal(ctl_undo_apply(journal, 0, NULL, NULL, &info), 0);
	assert_int_equal(info.truncated, 1);
	assert_int_equal(file_size(target), 20);
	assert_string_equal(get_file(target), "0123456789abcdefghij");
}

struct seen {
	uint64_t off[4], len[4];
	int n;
};

static void each(void *arg, uint64_t off, uint64_t len)
{
	struct seen *s = arg;

	s->off[s->n] = off;
	s->len[s->n++] = len;
}

static void test_dry_run_lists(void **state)
{
	struct ctl_undo_info info;
	struct seen s = {0};
	struct ctl_undo *u;
	int fd;

	(void)state;
	fresh();
	fd = open(target, O_RDWR);
	assert_int_equal(ctl_undo_open(journal, fd, target, &u), 0);
	patch(fd, u, 3, "xyz");
	patch(fd, u, 10, "k");
	ctl_undo_close(u);
	close(fd);
	assert_int_equal(
		ctl_undo_apply(journal, CTL_UNDO_DRY_RUN, each, &s, &info), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.off[0], 3);
	assert_int_equal(s.len[0], 3);
	assert_int_equal(s.off[1], 10);
	assert_int_equal(s.len[1], 1);
	assert_string_equal(get_file(target), "012xyz6789kbcdefghij");
}

static void test_record_limits(void **state)
{
	struct ctl_undo *u;
	int fd;

	(void)state;
	fresh();
	fd = open(target, O_RDWR);
	assert_int_equal(ctl_undo_open(journal, fd, target, &u), 0);
	assert_int_equal(ctl_undo_record(u, 0, "x", 0), -EINVAL);
	assert_int_equal(ctl_undo_record(u, INT64_MAX, "x", 1), -EINVAL);
	/* A second writer is locked out. */
	{
		struct ctl_undo *u2;

		assert_int_equal(ctl_undo_open(journal, fd, target, &u2),
				 -EWOULDBLOCK);
	}
	ctl_undo_close(u);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32c),
		cmocka_unit_test(test_header_layout),
		cmocka_unit_test(test_roundtrip_idempotent),
		cmocka_unit_test(test_overlap_order),
		cmocka_unit_test(test_refuses_other_file),
		cmocka_unit_test(test_not_a_journal),
		cmocka_unit_test(test_fifo_never_blocks),
		cmocka_unit_test(test_torn_tail),
		cmocka_unit_test(test_corrupt_middle),
		cmocka_unit_test(test_extend_restored),
		cmocka_unit_test(test_dry_run_lists),
		cmocka_unit_test(test_record_limits),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
