// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libctl stream: fixed-string replace against a reference implementation
 * for every window size (matches straddling windows), in place and through
 * a temporary file, metadata kept, hard links, dry run, undo journaling.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "ctl/stream.h"
#include "ctl/undo.h"
#include "fake-setup.h"

/* A replace of string literal O by N, with more fields after them. */
#define RP(O, N, ...)                                                          \
	{                                                                      \
		.old = (O), .old_len = sizeof(O) - 1, .new = (N),              \
		.new_len = sizeof(N) - 1, __VA_ARGS__                          \
	}

static char path[512];

static int setup(void **state)
{
	(void)state;
	fake_new();
	snprintf(path, sizeof(path), "%s/data", fake_root);
	return 0;
}

static void put(const void *p, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0640);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

/* The file's content, malloc'ed; *LEN its size. */
static char *get(size_t *len)
{
	struct stat st;
	char *buf;
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size + 1);
	assert_non_null(buf);
	assert_int_equal(read(fd, buf, (size_t)st.st_size), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

/* Reference: non-overlapping, left to right, at most MAX (0: all). */
static char *ref_replace(const char *in, size_t n, const char *old, size_t ol,
			 const char *new, size_t nl, uint64_t max, size_t *len,
			 uint64_t *count)
{
	char *out = malloc(n / ol * (nl > ol ? nl : ol) + n + 1);
	size_t i = 0, o = 0;

	*count = 0;
	while (i < n) {
		if (i + ol <= n && memcmp(in + i, old, ol) == 0 &&
		    (!max || *count < max)) {
			memcpy(out + o, new, nl);
			o += nl;
			i += ol;
			(*count)++;
		} else {
			out[o++] = in[i++];
		}
	}
	*len = o;
	return out;
}

/* The file holds exactly the N bytes of WANT. */
static void check_file(const void *want, size_t n)
{
	size_t len;
	char *got = get(&len);

	assert_int_equal(len, n);
	assert_memory_equal(got, want, n);
	free(got);
}

/*
 * Put the N bytes of DATA in the file and replace in it as RP says: the
 * same matches and bytes as the reference, and SIZE_AFTER when anything
 * matched. The stats in *ST.
 */
static void replace_as_reference(const char *data, size_t n,
				 const struct ctl_replace *rp,
				 struct ctl_replace_stats *st)
{
	size_t exp_len;
	uint64_t count;
	char *exp;

	put(data, n);
	exp = ref_replace(data, n, rp->old, rp->old_len, rp->new, rp->new_len,
			  rp->max_count, &exp_len, &count);
	assert_int_equal(ctl_stream_replace(path, rp, st), 0);
	assert_int_equal(st->matches, count);
	if (count)
		assert_int_equal(st->size_after, exp_len);
	check_file(exp, exp_len);
	free(exp);
}

static uint32_t seed = 12345;

static uint32_t rnd(void)
{
	seed = seed * 1103515245 + 12345;
	return seed >> 16;
}

/* Random texts over a tiny alphabet so that matches are dense and straddle
 * every window boundary, for window sizes from 1 byte up; every other text
 * over 40 letters, where the search goes by memchr() for a rare byte. */
static void test_replace_matches_reference(void **state)
{
	static const char *const alphas[] = {
		"aab", "abcdefghijklmnopqrstuvwxyz0123456789.,;:"};
	char data[400], old[5], new[8];

	(void)state;
	for (int it = 0; it < 400; it++) {
		size_t n = rnd() % sizeof(data), ol = 1 + rnd() % 4;
		size_t nl = it % 2 ? ol : rnd() % 7;
		uint64_t max = it % 5 == 0 ? 1 + rnd() % 3 : 0;
		struct ctl_replace rp = {.old = old,
					 .old_len = ol,
					 .new = new,
					 .new_len = nl,
					 .max_count = max,
					 .window = 1 + rnd() % 50};
		struct ctl_replace_stats st;
		const char *alpha = alphas[it % 4 < 2];
		size_t na = strlen(alpha);

		for (size_t i = 0; i < n; i++)
			data[i] = alpha[rnd() % na];
		for (size_t i = 0; i < ol; i++)
			old[i] = alpha[rnd() % na];
		/* Over 40 letters a random OLD rarely occurs: take one. */
		if (it % 4 < 2 && n > ol)
			memcpy(old, data + rnd() % (n - ol), ol);
		for (size_t i = 0; i < nl; i++)
			new[i] = "abXY"[rnd() % 4];
		if (nl == ol && memcmp(old, new, ol) == 0)
			new[0] = 'Z';
		replace_as_reference(data, n, &rp, &st);
		assert_int_equal(st.in_place, nl == ol);
	}
}

static void test_bad_arguments(void **state)
{
	struct ctl_replace rp = RP("", "x");
	struct ctl_replace_stats st;

	(void)state;
	put("abc", 3);
	assert_int_equal(ctl_stream_replace(path, &rp, &st), -EINVAL);
	rp = (struct ctl_replace){
		.old = "ab", .old_len = 2, .new = "ab", .new_len = 2};
	assert_int_equal(ctl_stream_replace(path, &rp, &st), -EINVAL);
	rp.new = "xy";
	assert_int_equal(ctl_stream_replace(fake_root, &rp, &st), -EISDIR);
	snprintf(path + strlen(path), 8, ".none");
	assert_int_equal(ctl_stream_replace(path, &rp, &st), -ENOENT);
}

static ino_t ino_of(const char *p)
{
	struct stat st;

	assert_int_equal(stat(p, &st), 0);
	return st.st_ino;
}

/* Entries of the test directory (a leftover temp file would show). */
static int dir_entries(void)
{
	DIR *d = opendir(fake_root);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

/*
 * The cases sed gets right and a chunked pass can get wrong, for window
 * sizes from 1 byte up (every match then straddles some window): matches
 * at the very start and end, overlapping candidates (left to right, no
 * overlap, as sed), an empty NEW, a NEW longer than OLD, a file that is
 * all OLD, a file shorter than OLD, an empty file.
 */
static void test_replace_edges(void **state)
{
	static const struct {
		const char *in, *old, *new, *out;
	} cases[] = {
		{"hunter2 mid hunter2", "hunter2", "", " mid "},
		{"hunter2 mid hunter2", "hunter2", "pw=[redacted]",
		 "pw=[redacted] mid pw=[redacted]"},
		{"aaaaa", "aa", "b", "bba"},
		{"ababababa", "aba", "X", "XbXba"},
		{"aaa", "a", "xyz", "xyzxyzxyz"},
		{"abcabc", "abc", "", ""},
		{"ab", "abc", "x", "ab"},
		{"", "abc", "x", ""},
		{"xxab", "ab", "ABCD", "xxABCD"},
		{"abxx", "ab", "", "xx"},
	};
	static const size_t windows[] = {1, 2, 3, 4, 5, 7, 64, 0};

	(void)state;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		for (size_t w = 0; w < sizeof(windows) / sizeof(windows[0]);
		     w++) {
			struct ctl_replace rp = {
				.old = cases[c].old,
				.old_len = strlen(cases[c].old),
				.new = cases[c].new,
				.new_len = strlen(cases[c].new),
				.window = windows[w]};
			struct ctl_replace_stats st;
			size_t len;
			char *got;

			put(cases[c].in, strlen(cases[c].in));
			assert_int_equal(ctl_stream_replace(path, &rp, &st), 0);
			got = get(&len);
			if (len != strlen(cases[c].out) ||
			    memcmp(got, cases[c].out, len) != 0)
				fail_msg(
					"case %zu window %zu: '%.*s', want '%s'",
					c, windows[w], (int)len, got,
					cases[c].out);
			free(got);
			assert_int_equal(dir_entries(), 1);
		}
	}
}

/*
 * A file of several MiB, not a multiple of any buffer or page size, with
 * OLD at byte 0, at the very end, across every MiB boundary (where the
 * default window and the output buffers turn over) and densely between:
 * shrunk, grown and emptied, byte for byte as the reference.
 */
static void test_replace_large(void **state)
{
	static const char *const news[] = {"pw=x", "", "pw=[redacted-long]"};
	static const char old[] = "password=hunter2";
	const size_t ol = sizeof(old) - 1, n = (9U << 20) + 4097;
	char *data = malloc(n);

	(void)state;
	assert_non_null(data);
	for (size_t i = 0; i < n; i++)
		data[i] = "abcdefghij klmnop\n"[rnd() % 18];
	for (size_t i = 0; i + ol <= n; i += 61 + rnd() % 200)
		memcpy(data + i, old, ol);
	for (size_t m = 1; m <= 9; m++)
		memcpy(data + (m << 20) - ol / 2, old, ol);
	memcpy(data + n - ol, old, ol);
	for (size_t k = 0; k < sizeof(news) / sizeof(news[0]); k++) {
		struct ctl_replace rp = {.old = old,
					 .old_len = ol,
					 .new = news[k],
					 .new_len = strlen(news[k])};
		struct ctl_replace_stats st;

		replace_as_reference(data, n, &rp, &st);
		assert_true(st.matches > 0);
		assert_int_equal(dir_entries(), 1);
	}
	free(data);
}

static void test_same_length_in_place(void **state)
{
	struct ctl_replace rp = RP("secret", "XXXXXt");
	struct ctl_replace_stats st;
	char lnk[600];
	ino_t ino;

	(void)state;
	put("a secret, secret b", 18);
	snprintf(lnk, sizeof(lnk), "%s/link", fake_root);
	assert_int_equal(link(path, lnk), 0);
	ino = ino_of(path);
	assert_int_equal(ctl_stream_replace(path, &rp, &st), 0);
	assert_int_equal(st.matches, 2);
	assert_int_equal(st.bytes_changed, 10); /* 5 bytes differ per match */
	assert_true(st.in_place);
	assert_int_equal(ino_of(path), ino);
	check_file("a XXXXXt, XXXXXt b", 18);
	unlink(lnk);
}

static void test_different_length_keeps_meta(void **state)
{
	struct ctl_replace rp = RP("pw=1", "pw=[gone]");
	struct ctl_replace_stats st;
	struct stat sb;
	char val[16];
	ino_t ino;

	(void)state;
	put("x pw=1 y pw=1", 13);
	assert_int_equal(chmod(path, 0751), 0);
	if (setxattr(path, "user.note", "kept", 4, 0) < 0)
		skip(); /* file system without user xattrs */
	ino = ino_of(path);
	assert_int_equal(ctl_stream_replace(path, &rp, &st), 0);
	assert_int_equal(st.matches, 2);
	assert_false(st.in_place);
	assert_int_equal(st.size_before, 13);
	assert_int_equal(st.size_after, 23);
	assert_int_not_equal(ino_of(path), ino);
	check_file("x pw=[gone] y pw=[gone]", 23);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0751);
	assert_int_equal(getxattr(path, "user.note", val, sizeof(val)), 4);
	assert_memory_equal(val, "kept", 4);
	assert_int_equal(dir_entries(), 1);
}

/* A symlink stays a symlink: the file it leads to is replaced. */
static void test_symlink_followed(void **state)
{
	struct ctl_replace rp = RP("a", "bcd");
	struct ctl_replace_stats st;
	char lnk[600], buf[16];
	struct stat sb;

	(void)state;
	put("xax", 3);
	snprintf(lnk, sizeof(lnk), "%s/sym", fake_root);
	assert_int_equal(symlink("data", lnk), 0);
	assert_int_equal(ctl_stream_replace(lnk, &rp, &st), 0);
	assert_int_equal(lstat(lnk, &sb), 0);
	assert_true(S_ISLNK(sb.st_mode));
	assert_int_equal(readlink(lnk, buf, sizeof(buf)), 4);
	check_file("xbcdx", 5);
	unlink(lnk);
}

static void test_no_match_keeps_inode(void **state)
{
	struct ctl_replace rp = RP("zzz", "y");
	struct ctl_replace_stats st;
	ino_t ino;

	(void)state;
	put("abcabc", 6);
	ino = ino_of(path);
	assert_int_equal(ctl_stream_replace(path, &rp, &st), 0);
	assert_int_equal(st.matches, 0);
	assert_int_equal(ino_of(path), ino);
	assert_int_equal(dir_entries(), 1);
}

/* RP->id names the file the journal was made for: another file at PATH
 * is refused before anything is read or written. */
static void test_identity_checked(void **state)
{
	struct ctl_replace rp = RP("abc", "xyz");
	struct ctl_replace_stats st;
	struct ctl_undo_id id;
	int fd;

	(void)state;
	put("abcabc", 6);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(ctl_undo_id_get(fd, &id), 0);
	close(fd);
	rp.id = &id;
	/* The same file: replaced. */
	assert_int_equal(ctl_stream_replace(path, &rp, &st), 0);
	assert_int_equal(st.matches, 2);
	/* Another file under the name (a new inode, or the same number
	 * with a new generation or birth time). */
	assert_int_equal(unlink(path), 0);
	put("abcabc", 6);
	assert_int_equal(ctl_stream_replace(path, &rp, &st), -EXDEV);
	assert_string_equal(st.step, "identity");
	assert_int_equal(st.matches, 0);
	check_file("abcabc", 6);
	/* Different length too. */
	rp.new = "z";
	rp.new_len = 1;
	assert_int_equal(ctl_stream_replace(path, &rp, &st), -EXDEV);
	assert_int_equal(dir_entries(), 1);
}

static void test_hardlinks(void **state)
{
	struct ctl_replace rp = RP("a", "bb");
	struct ctl_replace_stats st;
	char lnk[600];

	(void)state;
	put("aXa", 3);
	snprintf(lnk, sizeof(lnk), "%s/link", fake_root);
	assert_int_equal(link(path, lnk), 0);
	assert_int_equal(ctl_stream_replace(path, &rp, &st), -EMLINK);
	check_file("aXa", 3);
	rp.flags = CTL_REPLACE_BREAK_HARDLINKS;
	assert_int_equal(ctl_stream_replace(path, &rp, &st), 0);
	check_file("bbXbb", 5);
	/* The other name keeps the old content: the link is broken. */
	assert_int_not_equal(ino_of(path), ino_of(lnk));
	unlink(lnk);
}

static void test_dry_run(void **state)
{
	struct ctl_replace rp = RP("ab", "xyz", .flags = CTL_REPLACE_DRY_RUN);
	struct ctl_replace_stats st;

	(void)state;
	put("ababab", 6);
	assert_int_equal(ctl_stream_replace(path, &rp, &st), 0);
	assert_int_equal(st.matches, 3);
	assert_int_equal(st.size_after, 9);
	assert_true(st.need > 0);
	check_file("ababab", 6);
	assert_int_equal(dir_entries(), 1);
}

/* A toy undo journal: records kept in memory, applied backwards. */
struct journal {
	uint64_t off[64];
	size_t len[64];
	char data[64][64];
	int n, fail_at;
};

static int journal_fn(void *arg, uint64_t off, const void *orig, size_t len)
{
	struct journal *j = arg;

	if (j->n == j->fail_at)
		return -EIO;
	assert_true(len <= sizeof(j->data[0]));
	j->off[j->n] = off;
	j->len[j->n] = len;
	memcpy(j->data[j->n], orig, len);
	j->n++;
	return 0;
}

static void test_journal_restores(void **state)
{
	static const char orig[] = "k=old1 ....... k=old2 ...... k=old3 .";
	struct journal j = {.fail_at = -1};
	struct ctl_replace rp = RP("old", "new", .window = 10,
				   .journal = journal_fn, .journal_arg = &j);
	struct ctl_replace_stats st;
	size_t len = sizeof(orig) - 1;
	char *got;

	(void)state;
	put(orig, len);
	assert_int_equal(ctl_stream_replace(path, &rp, &st), 0);
	assert_int_equal(st.matches, 3);
	assert_true(j.n >= 1);
	got = get(&len);
	for (int i = j.n - 1; i >= 0; i--) {
		/* Each record holds original bytes only. */
		assert_memory_equal(j.data[i], orig + j.off[i], j.len[i]);
		memcpy(got + j.off[i], j.data[i], j.len[i]);
	}
	assert_memory_equal(got, orig, len);
	free(got);
}

static void test_journal_failure_stops(void **state)
{
	static const char orig[] = "old ................ old";
	struct journal j = {.fail_at = 1};
	struct ctl_replace rp = RP("old", "new", .window = 8,
				   .journal = journal_fn, .journal_arg = &j);
	struct ctl_replace_stats st;
	size_t len = sizeof(orig) - 1;

	(void)state;
	put(orig, len);
	assert_int_equal(ctl_stream_replace(path, &rp, &st), -EIO);
	assert_string_equal(st.step, "undo journal");
	/* The first window changed (journaled), the second did not. */
	check_file("new ................ old", len);
}

/* Journals, then truncates the file as another process would while the
 * journal is being fdatasync'ed. */
static int journal_then_truncate(void *arg, uint64_t off, const void *orig,
				 size_t len)
{
	(void)arg;
	(void)off;
	(void)orig;
	(void)len;
	assert_int_equal(truncate(path, 4), 0);
	return 0;
}

/*
 * The file shrinks between the read of a window and its write-back: the
 * write must not re-extend it with a hole and a stale patched span.
 */
static void test_truncated_while_journaling(void **state)
{
	static const char orig[] = "..... old ...... old";
	struct ctl_replace rp =
		RP("old", "new", .journal = journal_then_truncate);
	struct ctl_replace_stats st;
	size_t len = sizeof(orig) - 1;

	(void)state;
	put(orig, len);
	assert_int_equal(ctl_stream_replace(path, &rp, &st), -ESTALE);
	check_file("....", 4);
}

/* Appends to the file, as a live log's writer would, on the first call. */
static void append_once(void *arg, uint64_t done, uint64_t total)
{
	int *n = arg, fd;

	(void)done;
	(void)total;
	if ((*n)++)
		return;
	fd = open(path, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "late line\n", 10), 10);
	close(fd);
}

/*
 * A different-length replace of a file someone appends to meanwhile: the
 * rename would drop the appended line. Refused; the file keeps it, and no
 * temp file is left.
 */
static void test_written_meanwhile(void **state)
{
	static const char orig[] = "a old b old c\n";
	int calls = 0;
	struct ctl_replace rp = RP("old", "x", .window = 4,
				   .progress = append_once,
				   .progress_arg = &calls);
	struct ctl_replace_stats st;
	size_t len = sizeof(orig) - 1;
	DIR *d;
	struct dirent *e;

	(void)state;
	put(orig, len);
	assert_int_equal(ctl_stream_replace(path, &rp, &st), -ESTALE);
	assert_string_equal(st.step, "changed meanwhile");
	check_file("a old b old c\nlate line\n", sizeof(orig) - 1 + 10);
	d = opendir(fake_root);
	assert_non_null(d);
	while ((e = readdir(d)))
		assert_null(strstr(e->d_name, "mmapwin"));
	closedir(d);
}

static void test_tmp_cleanup(void **state)
{
	struct ctl_stream_tmp t = {0};

	(void)state;
	snprintf(t.path, sizeof(t.path), "%s/.tmpfile", fake_root);
	put("x", 1);
	assert_int_equal(rename(path, t.path), 0);
	ctl_stream_tmp_cleanup(&t); /* not armed: kept */
	assert_int_equal(access(t.path, F_OK), 0);
	t.armed = 1;
	ctl_stream_tmp_cleanup(&t);
	assert_int_equal(access(t.path, F_OK), -1);
	assert_int_equal(t.armed, 0);
}

static void test_copy_meta(void **state)
{
	char other[600];
	const char *step = NULL;
	struct stat sb;
	int a, b;

	(void)state;
	put("x", 1);
	assert_int_equal(chmod(path, 0604), 0);
	snprintf(other, sizeof(other), "%s/other", fake_root);
	a = open(path, O_RDONLY);
	b = open(other, O_RDWR | O_CREAT, 0600);
	assert_true(a >= 0 && b >= 0);
	assert_int_equal(ctl_stream_copy_meta(a, b, &step), 0);
	assert_int_equal(fstat(b, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0604);
	close(a);
	close(b);
	unlink(other);
}

#define TEST(f) cmocka_unit_test_setup_teardown(f, setup, fake_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_replace_matches_reference),
		TEST(test_replace_edges),
		TEST(test_replace_large),
		TEST(test_bad_arguments),
		TEST(test_same_length_in_place),
		TEST(test_different_length_keeps_meta),
		TEST(test_symlink_followed),
		TEST(test_no_match_keeps_inode),
		TEST(test_identity_checked),
		TEST(test_hardlinks),
		TEST(test_dry_run),
		TEST(test_journal_restores),
		TEST(test_journal_failure_stops),
		TEST(test_truncated_while_journaling),
		TEST(test_written_meanwhile),
		TEST(test_tmp_cleanup),
		TEST(test_copy_meta),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
