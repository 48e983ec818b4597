// SPDX-License-Identifier: GPL-2.0-or-later
/* The undo journal: format, durability order, apply, refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <endian.h>
#include <errno.h>
#include <glob.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
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

/* What fresh() puts in the target. */
#define ORIG "0123456789abcdefghij"

static void fresh(void)
{
	unlink(journal);
	put_file(target, ORIG);
}

/* An edit of the target: S written at OFF. Lists of them end with {0}. */
struct edit {
	uint64_t off;
	const char *s;
};

#define NO_EDITS ((const struct edit[]){{0, NULL}})

/* One run of the journal over the target open as FD: each edit of E
 * journaled, then made. */
static void journal_edits(int fd, const struct edit *e)
{
	struct ctl_undo *u;

	assert_int_equal(ctl_undo_open(journal, fd, target, 0, NULL, &u), 0);
	for (; e->s; e++)
		patch(fd, u, e->off, e->s);
	assert_int_equal(ctl_undo_close(u), 0);
}

/* fresh(), then the target open read-write (returned), with the edits of
 * E (NULL: none, and no journal) made in one journaled run. */
static int edited(const struct edit *e)
{
	int fd;

	fresh();
	fd = open(target, O_RDWR);
	assert_true(fd >= 0);
	if (e)
		journal_edits(fd, e);
	return fd;
}

/* The unedited target (its fd) with the journal opened on it as *U. */
static int opened(struct ctl_undo **u)
{
	int fd = edited(NULL);

	assert_int_equal(ctl_undo_open(journal, fd, target, 0, NULL, u), 0);
	return fd;
}

/* Apply the journal with FLAGS: ctl_undo_apply() must return ERR and the
 * target then hold WANT (NULL: not checked). */
static void applied(unsigned int flags, int err, const char *want,
		    struct ctl_undo_info *info)
{
	assert_int_equal(ctl_undo_apply(journal, flags, NULL, NULL, info), err);
	if (want)
		assert_string_equal(get_file(target), want);
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
	struct ctl_undo_id id;
	unsigned char h[96];
	struct stat st;
	uint32_t v32;
	int fd, jfd;

	(void)state;
	fd = edited(NO_EDITS);
	fstat(fd, &st);
	assert_int_equal(ctl_undo_id_get(fd, &id), 0);
	jfd = open(journal, O_RDONLY);
	assert_int_equal(read(jfd, h, 96), 96);
	close(jfd);
	assert_memory_equal(h, "CTLUNDO1", 8);
	assert_int_equal(h[8], 2);
	assert_int_equal(h[12], 96 + strlen(target));
	assert_memory_equal(h + 16, &st.st_dev, 8); /* little-endian host */
	assert_memory_equal(h + 24, &st.st_ino, 8);
	assert_int_equal(h[32], 20);
	assert_int_equal(h[48], strlen(target));
	memcpy(&v32, h + 52, 4);
	assert_int_equal(v32, id.has);
	if (id.has & CTL_UNDO_ID_GEN)
		assert_memory_equal(h + 56, &id.gen, 4);
	if (id.has & CTL_UNDO_ID_BTIME) {
		assert_memory_equal(h + 60, &id.btime_nsec, 4);
		assert_memory_equal(h + 64, &id.btime_sec, 8);
	}
	for (int i = 72; i < 92; i++)
		assert_int_equal(h[i], 0);
	memcpy(&v32, h + 92, 4);
	assert_int_equal(v32, ctl_crc32c(ctl_crc32c(0, h, 92), target,
					 strlen(target)));
	assert_int_equal(file_size(journal), 96 + strlen(target));
	close(fd);
}

/* The identity: device and inode, and each of generation and birth time
 * that the journaled side has must match on the found side. */
static void test_id_same(void **state)
{
	const struct ctl_undo_id a = {.dev = 0x801,
				      .ino = 12,
				      .gen = 77,
				      .btime_sec = 1700000000,
				      .btime_nsec = 5,
				      .has = CTL_UNDO_ID_GEN |
					     CTL_UNDO_ID_BTIME};
	struct ctl_undo_id b = a;

/* B is A but for FIELD = V: not the same file. */
#define DIFFERS(field, v)                                                      \
	do {                                                                   \
		b = a;                                                         \
		b.field = v;                                                   \
		assert_false(ctl_undo_id_same(&a, &b));                        \
	} while (0)

	(void)state;
	assert_true(ctl_undo_id_same(&a, &b));
	DIFFERS(gen, 78);
	DIFFERS(btime_nsec, 6);
	DIFFERS(btime_sec, a.btime_sec + 1);
	DIFFERS(ino, 13);
	DIFFERS(dev, 0x802);
	/* What was journaled must be there to compare. */
	DIFFERS(has, CTL_UNDO_ID_BTIME);
	DIFFERS(has, CTL_UNDO_ID_GEN);
#undef DIFFERS
	/* tmpfs: birth time only, on both sides. */
	{
		struct ctl_undo_id t = a, u;

		t.has = CTL_UNDO_ID_BTIME;
		t.gen = 0;
		u = t;
		assert_true(ctl_undo_id_same(&t, &u));
		u.btime_nsec++;
		assert_false(ctl_undo_id_same(&t, &u));
		/* More on the found side is fine. */
		u = a;
		assert_true(ctl_undo_id_same(&t, &u));
	}
	/* Neither known: device and inode decide. */
	b = a;
	b.has = 0;
	{
		struct ctl_undo_id c = b;

		c.gen = 1;
		c.btime_sec = 0;
		assert_true(ctl_undo_id_same(&b, &c));
	}
}

/* A new file that got the journaled file's inode number back (ext4 and
 * others hand out a freed number at once) is refused by its identity. */
static void test_reused_inode(void **state)
{
	struct ctl_undo_info info;
	struct ctl_undo_id was, now;
	struct ctl_undo *u;
	int fd;

	(void)state;
	fd = edited((const struct edit[]){{0, "Z"}, {0, NULL}});
	assert_int_equal(ctl_undo_id_get(fd, &was), 0);
	close(fd);
	assert_int_equal(unlink(target), 0);
	put_file(target, "a new file with other bytes in it.....");
	fd = open(target, O_RDWR);
	assert_int_equal(ctl_undo_id_get(fd, &now), 0);
	assert_false(ctl_undo_id_same(&was, &now));
	assert_int_equal(ctl_undo_open(journal, fd, target, 0, &info, &u),
			 -EXDEV);
	assert_int_equal(info.found.ino, now.ino);
	assert_int_equal(info.id.ino, was.ino);
	close(fd);
	applied(0, -EXDEV, NULL, &info);
	assert_int_equal(info.on_target, 1);
	assert_int_equal(info.version, 2);
	assert_int_equal(info.id.ino, was.ino);
	assert_int_equal(info.id.has, was.has);
	assert_int_equal(info.id.gen, was.gen);
	assert_int_equal(info.found.ino, now.ino);
	assert_int_equal(info.found.gen, now.gen);
	assert_string_equal(get_file(target),
			    "a new file with other bytes in it.....");
}

/*
 * Little-endian fields as the journal format wants them, by libc's
 * <endian.h>: an encoding of its own, not a copy of libctl/undo.c's.
 */
static void put32le(unsigned char *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, sizeof(v));
}

static void put64le(unsigned char *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, sizeof(v));
}

/*
 * A journal of VERSION (1: a 64-byte header without generation or birth
 * time; 2: 96 bytes) for the 20-byte target with identity ID, made at
 * CREATED, with one record of "01" at offset 0.
 */
static void write_journal(unsigned int version, const struct ctl_undo_id *id,
			  uint64_t created)
{
	unsigned char h[96] = "CTLUNDO1", r[24] = "UREC";
	size_t fixed = version == 1 ? 64 : 96, plen = strlen(target);
	int jfd;

	put32le(h + 8, version);
	put32le(h + 12, (uint32_t)(fixed + plen));
	put64le(h + 16, id->dev);
	put64le(h + 24, id->ino);
	put64le(h + 32, 20);
	put64le(h + 40, created);
	put32le(h + 48, (uint32_t)plen);
	if (version >= 2) {
		put32le(h + 52, id->has);
		put32le(h + 56, id->gen);
		put32le(h + 60, id->btime_nsec);
		put64le(h + 64, (uint64_t)id->btime_sec);
	}
	put32le(h + fixed - 4,
		ctl_crc32c(ctl_crc32c(0, h, fixed - 4), target, plen));
	put32le(r + 4, 2);
	put32le(r + 16, ctl_crc32c(0, "01", 2));
	put32le(r + 20, ctl_crc32c(0, r, 20));
	jfd = open(journal, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(jfd >= 0);
	assert_int_equal(write(jfd, h, fixed), (ssize_t)fixed);
	assert_int_equal(write(jfd, target, plen), (ssize_t)plen);
	assert_int_equal(write(jfd, r, 24), 24);
	assert_int_equal(write(jfd, "01", 2), 2);
	close(jfd);
}

/* Same device and inode number, but the generation or the birth time in
 * the journal is not the file's: nothing is written, nothing appended. */
static void test_identity_mismatch(void **state)
{
	struct ctl_undo_info info;
	struct ctl_undo_id id, bad;
	struct ctl_undo *u;
	int fd;

	(void)state;
	fresh();
	put_file(target, "AB23456789abcdefghij");
	fd = open(target, O_RDWR);
	assert_int_equal(ctl_undo_id_get(fd, &id), 0);
	/* The file's own identity: applied. */
	write_journal(2, &id, (uint64_t)time(NULL));
	applied(0, 0, ORIG, &info);
	put_file(target, "AB23456789abcdefghij");
	for (int k = 0; k < 4; k++) {
		bad = id;
		if (k == 0)
			bad.gen++, bad.has |= CTL_UNDO_ID_GEN;
		else if (k == 1)
			bad.btime_nsec ^= 1, bad.has |= CTL_UNDO_ID_BTIME;
		else if (k == 2)
			bad.btime_sec--, bad.has |= CTL_UNDO_ID_BTIME;
		else
			bad.ino++;
		/* A field the file system does not have cannot match. */
		if ((k == 0 && !(id.has & CTL_UNDO_ID_GEN)) ||
		    ((k == 1 || k == 2) && !(id.has & CTL_UNDO_ID_BTIME)))
			bad = id,
			bad.has |= k ? CTL_UNDO_ID_BTIME : CTL_UNDO_ID_GEN;
		write_journal(2, &bad, (uint64_t)time(NULL));
		applied(0, -EXDEV, NULL, &info);
		assert_int_equal(info.on_target, 1);
		assert_int_equal(info.id.gen, bad.gen);
		assert_int_equal(info.id.btime_nsec, bad.btime_nsec);
		assert_int_equal(info.found.ino, id.ino);
		assert_int_equal(info.found.gen, id.gen);
		applied(CTL_UNDO_DRY_RUN, -EXDEV, "AB23456789abcdefghij",
			&info);
		assert_int_equal(ctl_undo_open(journal, fd, target, 0, &info,
					       &u),
				 -EXDEV);
		assert_int_equal(file_size(journal),
				 96 + strlen(target) + 24 + 2);
	}
	close(fd);
}

/*
 * Version 1 journals hold no generation or birth time. They are applied
 * only to a file born before the journal was made (a reused inode number
 * belongs to a file born later) and are never appended to.
 */
static void test_version1(void **state)
{
	struct ctl_undo_info info;
	struct ctl_undo_id id;
	struct ctl_undo *u;
	int fd;

	(void)state;
	fd = edited(NULL);
	assert_int_equal(ctl_undo_id_get(fd, &id), 0);
	close(fd);
	if (!(id.has & CTL_UNDO_ID_BTIME))
		skip();
	put_file(target, "AB23456789abcdefghij");
	/* Made after the file was born: applied. */
	write_journal(1, &id, (uint64_t)id.btime_sec + 1);
	applied(0, 0, ORIG, &info);
	assert_int_equal(info.version, 1);
	assert_int_equal(info.records, 1);
	/* Never appended to. */
	fd = open(target, O_RDWR);
	assert_int_equal(ctl_undo_open(journal, fd, target, 0, &info, &u),
			 -EPROTO);
	assert_int_equal(info.version, 1);
	close(fd);
	/* Made in the second the file was born, or before: it may be a
	 * file that reused the number, so nothing is written. */
	put_file(target, "AB23456789abcdefghij");
	for (int64_t d = 0; d <= 1; d++) {
		write_journal(1, &id, (uint64_t)(id.btime_sec - d));
		applied(0, -EXDEV, "AB23456789abcdefghij", &info);
		assert_int_equal(info.version, 1);
		assert_int_equal(info.on_target, 1);
	}
}

static void test_roundtrip_idempotent(void **state)
{
	struct ctl_undo_info info;
	struct ctl_undo *u;
	uint64_t recs, bytes;
	int fd;

	(void)state;
	fd = opened(&u);
	patch(fd, u, 2, "XYZ");
	patch(fd, u, 18, "QQ");
	ctl_undo_counts(u, &recs, &bytes);
	assert_int_equal(recs, 2);
	assert_int_equal(bytes, 5);
	/* The record is on disk before the change: exact journal size. */
	assert_int_equal(file_size(journal), 96 + strlen(target) + 2 * 24 + 5);
	assert_int_equal(ctl_undo_close(u), 0);
	close(fd);
	assert_string_equal(get_file(target), "01XYZ56789abcdefghQQ");
	for (int i = 0; i < 3; i++) {
		applied(0, 0, ORIG, &info);
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
	int fd;

	(void)state;
	fd = edited((const struct edit[]){{0, "AAAA"}, {0, NULL}});
	journal_edits(fd, (const struct edit[]){{2, "BBBB"}, {0, NULL}});
	close(fd);
	assert_string_equal(get_file(target), "AABBBB6789abcdefghij");
	applied(0, 0, ORIG, &info);
}

static void test_refuses_other_file(void **state)
{
	struct ctl_undo_info info;
	struct ctl_undo *u;
	int fd;

	(void)state;
	fd = edited((const struct edit[]){{0, "Z"}, {0, NULL}});
	put_file(other, "other");
	close(fd);
	/* Appending records about another file. */
	fd = open(other, O_RDWR);
	assert_int_equal(ctl_undo_open(journal, fd, other, 0, NULL, &u),
			 -EXDEV);
	/* The journal as its own target. */
	close(fd);
	fd = open(journal, O_RDWR);
	assert_int_equal(ctl_undo_open(journal, fd, journal, 0, NULL, &u),
			 -EINVAL);
	close(fd);
	/* The target replaced by another inode under the same name. */
	assert_int_equal(rename(other, target), 0);
	applied(0, -EXDEV, "other", &info);
	assert_int_equal(info.on_target, 1);
}

static void test_not_a_journal(void **state)
{
	struct ctl_undo_info info;
	struct ctl_undo *u;
	int fd;

	(void)state;
	fd = edited(NULL);
	put_file(journal, "this is not a journal at all, just text......"
			  "..................................\n");
	assert_int_equal(ctl_undo_open(journal, fd, target, 0, NULL, &u),
			 -EBADMSG);
	close(fd);
	applied(0, -EBADMSG, NULL, &info);
	assert_int_equal(ctl_undo_apply(dir, 0, NULL, NULL, &info), -EISDIR);
}

/* A dry run (CTL_UNDO_CHECK) of a journal not there yet creates nothing
 * and answers what the real run would meet: 0 where it could be made,
 * the error where it could not (no directory, a file as directory, a
 * name ending in '/', which names a directory, not a journal). */
static void test_check_new_journal(void **state)
{
	char p[128];
	struct ctl_undo *u = NULL;
	struct stat st;
	int fd;

	(void)state;
	fresh();
	fd = open(target, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(ctl_undo_open(journal, fd, target, CTL_UNDO_CHECK,
				       NULL, &u),
			 0);
	assert_null(u);
	assert_int_equal(stat(journal, &st), -1);
	snprintf(p, sizeof(p), "%s/nodir/undo", dir);
	assert_int_equal(ctl_undo_open(p, fd, target, CTL_UNDO_CHECK, NULL, &u),
			 -ENOENT);
	snprintf(p, sizeof(p), "%s/undo.d/", dir);
	assert_int_equal(ctl_undo_open(p, fd, target, CTL_UNDO_CHECK, NULL, &u),
			 -ENOENT);
	snprintf(p, sizeof(p), "%s/undo", target);
	assert_int_equal(ctl_undo_open(p, fd, target, CTL_UNDO_CHECK, NULL, &u),
			 -ENOTDIR);
	close(fd);
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
	fd = edited(NULL);
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(ctl_undo_open(fifo, fd, target, 0, NULL, &u),
			 -CTL_ENOTREG);
	assert_int_equal(ctl_undo_apply(fifo, 0, NULL, NULL, &info),
			 -CTL_ENOTREG);
	assert_int_equal(info.on_target, 0);
	assert_int_equal(ctl_undo_apply(fifo, CTL_UNDO_DRY_RUN, NULL, NULL,
					&info),
			 -CTL_ENOTREG);
	assert_int_equal(ctl_undo_open(dir, fd, target, 0, NULL, &u), -EISDIR);
	/* The target replaced by a FIFO. */
	journal_edits(fd, (const struct edit[]){{0, "Z"}, {0, NULL}});
	close(fd);
	assert_int_equal(unlink(target), 0);
	assert_int_equal(mkfifo(target, 0600), 0);
	for (unsigned int dry = 0; dry <= 1; dry++) {
		applied(dry ? CTL_UNDO_DRY_RUN : 0, -CTL_ENOTREG, NULL, &info);
		assert_int_equal(info.on_target, 1);
	}
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
	fd = edited((const struct edit[]){{0, "AB"}, {0, NULL}});
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
	applied(0, 0, ORIG, &info);
	assert_int_equal(info.records, 1);
	assert_int_equal(info.torn, 34);
	/* Zeros after the last record (size extended, data never written). */
	truncate(journal, (off_t)good + 4096);
	applied(0, 0, NULL, &info);
	assert_int_equal(info.torn, 4096);
	/* Appending trims the tail first. */
	assert_int_equal(ctl_undo_open(journal, fd, target, 0, NULL, &u), 0);
	assert_int_equal(file_size(journal), good);
	patch(fd, u, 5, "C");
	ctl_undo_close(u);
	applied(0, 0, ORIG, &info);
	assert_int_equal(info.records, 2);
	assert_int_equal(info.torn, 0);
	close(fd);
}

/* A bad record with good ones after it is corruption: write nothing. */
static void test_corrupt_middle(void **state)
{
	struct ctl_undo_info info;
	int fd, jfd;
	char c;

	(void)state;
	fd = edited((const struct edit[]){{0, "AB"}, {4, "CD"}, {0, NULL}});
	close(fd);
	/* Flip one data byte of the first record. */
	jfd = open(journal, O_RDWR);
	pread(jfd, &c, 1, (off_t)(96 + strlen(target) + 24));
	c ^= 1;
	pwrite(jfd, &c, 1, (off_t)(96 + strlen(target) + 24));
	close(jfd);
	applied(0, -EBADMSG, "AB23CD6789abcdefghij", &info);
}

/* The file grew (patch --extend) after the journal was made: undo cuts
 * it back to the recorded size. */
static void test_extend_restored(void **state)
{
	struct ctl_undo_info info;
	struct ctl_undo *u;
	int fd;

	(void)state;
	fd = opened(&u);
	assert_int_equal(ftruncate(fd, 30), 0);
	patch(fd, u, 18, "0123456789AB");
	ctl_undo_close(u);
	close(fd);
	assert_int_equal(file_size(target), 30);
	applied(0, 0, ORIG, &info);
	assert_int_equal(info.truncated, 1);
	assert_int_equal(file_size(target), 20);
}

/*
 * The target was cut short after the journal was made. What the records
 * cover of the missing tail comes back; what they do not is lost, and
 * INFO->lost says how much (the tool then fails instead of reporting a
 * restored file).
 */
static void test_shorter_target(void **state)
{
	struct ctl_undo_info info;
	int fd;

	(void)state;
	fd = edited((const struct edit[]){{15, "VWXYZ"}, {0, NULL}});
	/* Cut inside the journaled tail: all of it comes back. */
	assert_int_equal(ftruncate(fd, 17), 0);
	applied(0, 0, ORIG, &info);
	assert_int_equal(info.cur_size, 17);
	assert_int_equal(info.lost, 0);
	assert_int_equal(file_size(target), 20);
	/* Cut before it: bytes 8..14 were never journaled. */
	assert_int_equal(ftruncate(fd, 8), 0);
	applied(CTL_UNDO_DRY_RUN, 0, NULL, &info);
	assert_int_equal(info.lost, 7);
	assert_int_equal(file_size(target), 8);
	applied(0, 0, NULL, &info);
	assert_int_equal(info.cur_size, 8);
	assert_int_equal(info.lost, 7);
	assert_int_equal(info.applied, 1);
	assert_int_equal(file_size(target), 20);
	assert_memory_equal(get_file(target), "01234567", 8);
	assert_memory_equal(get_file(target) + 15, "fghij", 5);
	close(fd);
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
	int fd;

	(void)state;
	fd = edited((const struct edit[]){{3, "xyz"}, {10, "k"}, {0, NULL}});
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

/* Whether a temp file of the atomic writer is left in the directory. */
static int temp_left(void)
{
	char pat[80];
	glob_t g;
	int r;

	snprintf(pat, sizeof(pat), "%s/.*.tmp", dir);
	r = glob(pat, 0, NULL, &g);
	globfree(&g);
	return r != GLOB_NOMATCH;
}

/*
 * The header of a new journal goes in whole (temp file, rename): a new
 * name, an empty file (from mktemp) and a symlink to an empty file all
 * end up with exactly the header and no temp file beside them; a symlink
 * stays a symlink; one to nowhere is refused.
 */
static void test_header_whole(void **state)
{
	uint64_t hlen = CTL_UNDO_HDR_SIZE + strlen(target);
	char link[80];
	struct ctl_undo *u;
	struct stat st;
	int fd;

	(void)state;
	fd = edited(NO_EDITS);
	assert_int_equal(file_size(journal), hlen);
	assert_false(temp_left());
	/* --no-sync: still whole, just not flushed. */
	unlink(journal);
	assert_int_equal(ctl_undo_open(journal, fd, target, CTL_UNDO_NO_SYNC,
				       NULL, &u),
			 0);
	ctl_undo_close(u);
	assert_int_equal(file_size(journal), hlen);
	put_file(journal, "");
	journal_edits(fd, NO_EDITS);
	assert_int_equal(file_size(journal), hlen);
	assert_false(temp_left());
	snprintf(link, sizeof(link), "%s/link", dir);
	put_file(other, "");
	assert_int_equal(symlink(other, link), 0);
	assert_int_equal(ctl_undo_open(link, fd, target, 0, NULL, &u), 0);
	ctl_undo_close(u);
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(file_size(other), hlen);
	unlink(other);
	assert_int_equal(ctl_undo_open(link, fd, target, 0, NULL, &u), -ENOENT);
	assert_false(temp_left());
	unlink(link);
	close(fd);
}

static void test_record_limits(void **state)
{
	struct ctl_undo *u;
	int fd;

	(void)state;
	fd = opened(&u);
	assert_int_equal(ctl_undo_record(u, 0, "x", 0), -EINVAL);
	assert_int_equal(ctl_undo_record(u, INT64_MAX, "x", 1), -EINVAL);
	/* A second writer is locked out. */
	{
		struct ctl_undo *u2;

		assert_int_equal(ctl_undo_open(journal, fd, target, 0, NULL,
					       &u2),
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
		cmocka_unit_test(test_id_same),
		cmocka_unit_test(test_reused_inode),
		cmocka_unit_test(test_identity_mismatch),
		cmocka_unit_test(test_version1),
		cmocka_unit_test(test_roundtrip_idempotent),
		cmocka_unit_test(test_overlap_order),
		cmocka_unit_test(test_refuses_other_file),
		cmocka_unit_test(test_not_a_journal),
		cmocka_unit_test(test_fifo_never_blocks),
		cmocka_unit_test(test_check_new_journal),
		cmocka_unit_test(test_torn_tail),
		cmocka_unit_test(test_corrupt_middle),
		cmocka_unit_test(test_extend_restored),
		cmocka_unit_test(test_shorter_target),
		cmocka_unit_test(test_dry_run_lists),
		cmocka_unit_test(test_record_limits),
		cmocka_unit_test(test_header_whole),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
