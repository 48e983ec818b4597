// SPDX-License-Identifier: GPL-2.0-or-later
/* libctl core: root prefix confinement, attributes, parsing, output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#include "ctl/attr.h"
#include "ctl/cli.h"
#include "ctl/file.h"
#include "ctl/out.h"
#include "ctl/parse.h"
#include "ctl/root.h"
#include "fake-setup.h"

static int setup(void **state)
{
	(void)state;
	fake_new();
	fake_write("etc/hostname", "fake-host\n");
	fake_write("sys/block/sda/queue/nr_requests", "64\n");
	/* Escape attempts: relative and absolute symlinks, and "..". */
	fake_symlink("../../../../../../../../etc/hostname", "sys/rel-escape");
	fake_symlink("/etc/hostname", "sys/abs-escape");
	fake_symlink("/", "sys/rootlink");
	return fake_root_open();
}

/* Every way out of the tree lands back inside it. */
static void test_root_confined(void **state)
{
	const char *paths[] = {
		"/sys/rel-escape",
		"/sys/abs-escape",
		"/../../../../etc/hostname",
		"/sys/../../../etc/hostname",
		"/sys/rootlink/etc/hostname",
		"sys/rootlink/../../etc/hostname",
	};
	char buf[128];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
		int n = ctl_root_read_file(root, paths[i], buf, sizeof(buf));

		assert_int_equal(n, 9);
		assert_string_equal(buf, "fake-host");
	}
	/* The host has /proc/self/status; the fake tree does not. */
	assert_int_equal(ctl_root_read_file(root, "/proc/self/status", buf,
					    sizeof(buf)),
			 -ENOENT);
	assert_null(ctl_root_fopen(root, "/sys/../proc/self/status", "r"));
}

static void test_root_write_stays_inside(void **state)
{
	(void)state;
	assert_int_equal(ctl_root_write_file(root, "/sys/rootlink/tmp-x",
					     "inside", O_CREAT | O_TRUNC),
			 0);
	assert_string_equal(fake_read("tmp-x"), "inside");
	assert_int_equal(access("/tmp-x", F_OK), -1);
}

static void test_name_check(void **state)
{
	char longname[CTL_NAME_MAX + 2];

	(void)state;
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(ctl_name_check("sda"), 0);
	assert_int_equal(ctl_name_check(""), -EINVAL);
	assert_int_equal(ctl_name_check(NULL), -EINVAL);
	assert_int_equal(ctl_name_check("."), -EINVAL);
	assert_int_equal(ctl_name_check(".."), -EINVAL);
	assert_int_equal(ctl_name_check("../sda"), -EINVAL);
	assert_int_equal(ctl_name_check("a/b"), -EINVAL);
	assert_int_equal(ctl_name_check(longname), -EINVAL);
	longname[CTL_NAME_MAX] = '\0';
	assert_int_equal(ctl_name_check(longname), 0);
}

static void test_attr_rw(void **state)
{
	char buf[32];
	uint64_t v;

	(void)state;
	assert_int_equal(ctl_attr_read_u64(root, "/sys/block/sda/queue",
					   "nr_requests", &v),
			 0);
	assert_int_equal(v, 64);
	assert_int_equal(ctl_attr_write_verify(root, "/sys/block/sda/queue",
					       "nr_requests", "128", buf,
					       sizeof(buf)),
			 0);
	assert_string_equal(buf, "128");
	assert_int_equal(ctl_attr_read(root, "/sys/block/sda/queue", "../queue",
				       buf, sizeof(buf)),
			 -EINVAL);
	assert_int_equal(ctl_attr_write(root, "/sys/block/sda/queue", "", "1"),
			 -EINVAL);
	assert_int_equal(ctl_attr_write(root, "/sys/block/sda/queue", "missing",
					"1"),
			 -ENOENT);
}

/*
 * ctl_attr_read_fd() reads a value in one pread from offset 0: whatever
 * the file position, newlines stripped, cut to the buffer; and a real
 * sysfs and procfs attribute read that way is the whole value (what a
 * read to end of file gives).
 */
static void test_attr_read_one_pread(void **state)
{
	static const char *const real[] = {
		"/proc/sys/vm/swappiness", "/proc/sys/kernel/ostype",
		"/sys/kernel/mm/transparent_hugepage/enabled"};
	char buf[64], full[4096], small[4];
	FILE *f = tmpfile();
	int fd;

	(void)state;
	assert_non_null(f);
	fd = fileno(f);
	assert_int_equal(ctl_attr_read_fd(fd, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	assert_int_equal(write(fd, "mq-deadline\n\n", 13), 13);
	/* The position is at the end now: the value still comes whole. */
	assert_int_equal(ctl_attr_read_fd(fd, buf, sizeof(buf)), 11);
	assert_string_equal(buf, "mq-deadline");
	assert_int_equal(ctl_attr_read_fd(fd, small, sizeof(small)), 3);
	assert_string_equal(small, "mq-");
	assert_int_equal(ctl_attr_read_fd(fd, buf, 0), -EINVAL);
	fclose(f);

	for (size_t i = 0; i < sizeof(real) / sizeof(*real); i++) {
		ssize_t n;
		size_t len;

		fd = open(real[i], O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue; /* not on this kernel: nothing to compare */
		n = read(fd, full, sizeof(full) - 1);
		assert_true(n > 0);
		assert_int_equal(read(fd, buf, sizeof(buf)), 0); /* all of it */
		len = (size_t)n;
		while (len && full[len - 1] == '\n')
			len--;
		full[len] = '\0';
		assert_int_equal(ctl_attr_read_fd(fd, full + len + 1,
						  sizeof(full) - len - 1),
				 (int)len);
		assert_string_equal(full + len + 1, full);
		close(fd);
	}
}

static void test_parse(void **state)
{
	/* What ctl_parse_u64 (U) and ctl_parse_size (S) make of a string. */
	static const struct {
		char fn;
		const char *s;
		int ret;
		uint64_t v; /* when ret is 0 */
	} cases[] = {
		{'U', "42", 0, 42},
		{'U', "0x10", 0, 16},
		{'U', "-1", -EINVAL, 0},
		{'U', "abc", -EINVAL, 0},
		{'U', "12abc", -EINVAL, 0},
		{'U', "", -EINVAL, 0},
		{'U', "0x", -EINVAL, 0},
		{'U', "99999999999999999999999", -ERANGE, 0},
		{'S', "4K", 0, 4096},
		{'S', "5GiB", 0, 5ULL << 30},
		{'S', "1t", 0, 1ULL << 40},
		{'S', "0x1000", 0, 4096},
		{'S', "4X", -EINVAL, 0},
		{'S', "4KX", -EINVAL, 0},
		{'S', "-4K", -EINVAL, 0},
		{'S', "99999999P", -ERANGE, 0},
	};
	uint64_t v;
	double d;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int ret = cases[i].fn == 'U' ? ctl_parse_u64(cases[i].s, &v)
					     : ctl_parse_size(cases[i].s, &v);

		assert_int_equal(ret, cases[i].ret);
		if (!ret)
			assert_int_equal(v, cases[i].v);
	}
	assert_int_equal(ctl_parse_range("0", 1, 10, &v), -ERANGE);
	assert_int_equal(ctl_parse_range("11", 1, 10, &v), -ERANGE);
	assert_int_equal(ctl_parse_range("10", 1, 10, &v), 0);
	assert_int_equal(ctl_parse_seconds("0.5", &d), 0);
	assert_true(d == 0.5);
	assert_int_equal(ctl_parse_seconds("0", &d), -ERANGE);
	assert_int_equal(ctl_parse_seconds("1s", &d), -EINVAL);
}

static const struct ctl_col cols[] = {
	{"NAME", 0.2, 0, "device name"},
	{"DEPTH", 0.1, CTL_COL_RIGHT | CTL_COL_NUMBER, "nr_requests"},
	{"ROTA", 0.1, CTL_COL_BOOL, "rotational"},
};

/* Print table O into a new string, and free O. */
static char *print_mem(struct ctl_out *o)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	ctl_out_print(o, f);
	fclose(f);
	ctl_out_free(o);
	return buf;
}

static char *render(struct ctl_outfmt *fmt, int *err, const char **bad)
{
	struct ctl_out *o = NULL;
	struct ctl_row *row;

	*err = ctl_out_new("devices", cols, ARRAY_SIZE(cols), "NAME,DEPTH", fmt,
			   &o, bad);
	if (*err < 0)
		return NULL;
	row = ctl_out_row(o);
	ctl_out_set(o, row, 0, "sda");
	ctl_out_setf(o, row, 1, "%d", 64);
	ctl_out_set(o, row, 2, "true");
	return print_mem(o);
}

static void test_out_formats(void **state)
{
	static const struct {
		struct ctl_outfmt fmt;
		const char *want; /* the whole output, or NULL */
		const char *has[2]; /* else parts of it */
		const char *lacks;
	} cases[] = {
		{{.raw = 1, .noheadings = 1}, "sda 64\n", {NULL}, NULL},
		{{.pairs = 1, .columns = "+rota"},
		 "NAME=\"sda\" DEPTH=\"64\" ROTA=\"1\"\n",
		 {NULL},
		 NULL},
		{{.json = 1, .columns = "DEPTH"},
		 NULL,
		 {"\"devices\": [", "\"depth\": 64"},
		 "sda"},
		/* "true" in, "1" out: libsmartcols reads any other string as
		 * true. */
		{{.json = 1, .columns = "ROTA"}, NULL, {"\"rota\": true"}, NULL},
	};
	struct ctl_outfmt fmt;
	const char *bad = NULL;
	char *s;
	int err;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		fmt = cases[i].fmt;
		s = render(&fmt, &err, &bad);
		assert_non_null(s);
		if (cases[i].want)
			assert_string_equal(s, cases[i].want);
		for (size_t j = 0; j < ARRAY_SIZE(cases[i].has); j++)
			if (cases[i].has[j])
				assert_non_null(strstr(s, cases[i].has[j]));
		if (cases[i].lacks)
			assert_null(strstr(s, cases[i].lacks));
		free(s);
	}
	fmt = (struct ctl_outfmt){.columns = "NAME,BOGUS"};
	s = render(&fmt, &err, &bad);
	assert_null(s);
	assert_int_equal(err, -EINVAL);
	assert_string_equal(bad, "BOGUS");
}

static void test_out_bool_false(void **state)
{
	struct ctl_outfmt fmt = {.json = 1, .columns = "ROTA"};
	struct ctl_out *o = NULL;
	struct ctl_row *row;
	char *buf;

	(void)state;
	assert_int_equal(ctl_out_new("devices", cols, ARRAY_SIZE(cols), "NAME",
				     &fmt, &o, NULL),
			 0);
	row = ctl_out_row(o);
	ctl_out_set(o, row, 2, "false");
	row = ctl_out_row(o);
	ctl_out_setf(o, row, 2, "%d", 0);
	buf = print_mem(o);
	assert_null(strstr(buf, "true"));
	assert_non_null(strstr(buf, "\"rota\": false"));
	free(buf);
}

static void test_targets_stdin(void **state)
{
	char input[] = "  /mnt/a \n\n/mnt/b\n";
	char *argv[] = {"sda", "-", "sdb"};
	struct ctl_strv sv = {0};
	FILE *in = fmemopen(input, strlen(input), "r");

	(void)state;
	assert_int_equal(ctl_cli_targets(argv, 3, in, &sv), 0);
	fclose(in);
	assert_int_equal(sv.n, 4);
	assert_string_equal(sv.v[0], "sda");
	assert_string_equal(sv.v[1], "/mnt/a");
	assert_string_equal(sv.v[2], "/mnt/b");
	assert_string_equal(sv.v[3], "sdb");
	assert_null(sv.v[4]);
	ctl_strv_free(&sv);
	/* No stdin to read (udev): "-" is refused, not dereferenced. */
	assert_int_equal(ctl_cli_targets(argv, 3, NULL, &sv), -EINVAL);
	ctl_strv_free(&sv);
	assert_true(ctl_list_has("none,mq-deadline", "mq-deadline"));
	assert_true(ctl_list_has("none,mq-deadline", "none"));
	assert_false(ctl_list_has("none,mq-deadline", "mq"));
	assert_false(ctl_list_has("none,mq-deadline", ""));
	assert_false(ctl_list_has("", "none"));
	assert_int_equal(ctl_exit_for(-ENOTTY), CTL_EXIT_UNSUPP);
	assert_int_equal(ctl_exit_for(-EACCES), CTL_EXIT_FAIL);
}

/* A FIFO in a --sysroot tree (a hand-made fake, a hostile host image) must
 * not hang a read: every input under the root is a regular file. */
static void test_root_input_never_blocks(void **state)
{
	char buf[64], p[PATH_MAX];
	FILE *f;

	(void)state;
	snprintf(p, sizeof(p), "%s/sys/fifo", fake_root);
	assert_int_equal(mkfifo(p, 0600), 0);
	alarm(5); /* a hang fails the test instead of the suite */
	assert_int_equal(ctl_root_read_file(root, "/sys/fifo", buf,
					    sizeof(buf)),
			 -CTL_ENOTREG);
	f = ctl_root_fopen(root, "/sys/fifo", "r");
	assert_null(f);
	assert_int_equal(errno, CTL_ENOTREG);
	assert_int_equal(ctl_root_open_input(root, "/sys"), -EISDIR);
	alarm(0);
	unlink(p);
	/* A regular file still reads, and writes are unaffected. */
	assert_int_equal(
		ctl_root_read_file(root, "/etc/hostname", buf, sizeof(buf)), 9);
	f = ctl_root_fopen(root, "/etc/hostname", "r");
	assert_non_null(f);
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_root_confined),
		cmocka_unit_test(test_root_write_stays_inside),
		cmocka_unit_test(test_name_check),
		cmocka_unit_test(test_attr_rw),
		cmocka_unit_test(test_attr_read_one_pread),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_out_formats),
		cmocka_unit_test(test_out_bool_false),
		cmocka_unit_test(test_targets_stdin),
		cmocka_unit_test(test_root_input_never_blocks),
	};

	return cmocka_run_group_tests(tests, setup, fake_teardown);
}
