// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The qdepth binary ($B/qdepth, B from the environment as tests/run sets
 * it, "build" by default) run with --sysroot on the fake sysfs: output
 * formats, exit statuses, messages, and what set/restore leave in the
 * files. No root needed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl/file.h"
#include "ctl/macro.h"
#include "fake.h"
#include "../fixtures/qdepth/tree.h"

#define SDA_Q "sys/block/sda/queue"
#define NVME_Q "sys/block/nvme0n1/queue"

static char qdepth[1024];

struct res {
	int rc;
	char out[8192], err[8192];
	char args[2048]; /* as run */
};

/* The fake tree's io/saved: the save file most tests write. */
static char saved[512];

static int setup(void **state)
{
	int mapped;

	(void)state;
	fake_new();
	qd_tree();
	qd_map_backing(&mapped);
	fake_mkdir("io");
	snprintf(saved, sizeof(saved), "%s/io/saved", fake_root);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fake_free();
	return 0;
}

static void slurp(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;

	buf[0] = '\0';
	if (!f)
		return;
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
}

/*
 * Run `qdepth --sysroot ROOT ARGS` (ARGS as shell words) into RES, its
 * stdout into the file TO (NULL: io/out, read into RES->out); a hang ends
 * after 20 s with status 124.
 */
static void vrun(struct res *res, const char *to, const char *fmt, va_list ap)
{
	char cmd[8192], out[512], path[512];
	int st;

	vsnprintf(res->args, sizeof(res->args), fmt, ap);
	snprintf(out, sizeof(out), "%s/io/out", fake_root);
	unlink(out);
	snprintf(cmd, sizeof(cmd),
		 "timeout 20 '%s' --sysroot '%s' %s >'%s' 2>'%s/io/err' "
		 "</dev/null",
		 qdepth, fake_root, res->args, to ? to : out, fake_root);
	st = system(cmd);
	assert_int_not_equal(st, -1);
	res->rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	slurp(out, res->out, sizeof(res->out));
	snprintf(path, sizeof(path), "%s/io/err", fake_root);
	slurp(path, res->err, sizeof(res->err));
}

static __attribute__((format(printf, 2, 3))) void run(struct res *res,
						      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vrun(res, NULL, fmt, ap);
	va_end(ap);
}

/* run() with stdout into the file TO. */
static __attribute__((format(printf, 3, 4))) void
run_to(struct res *res, const char *to, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vrun(res, to, fmt, ap);
	va_end(ap);
}

/*
 * Check a run at LINE: status RC, and stdout OUT and stderr ERR to the
 * letter (NULL: not checked). A mismatch names the command first.
 */
static void check_res(const struct res *r, int rc, const char *out,
		      const char *err, int line)
{
	if (r->rc != rc || (out && strcmp(r->out, out)) ||
	    (err && strcmp(r->err, err)))
		print_error("qdepth %s\n", r->args);
	_assert_int_equal(r->rc, rc, __FILE__, line);
	if (out)
		_assert_string_equal(r->out, out, __FILE__, line);
	if (err)
		_assert_string_equal(r->err, err, __FILE__, line);
}

/* Run `qdepth ARGS...` into R and check it as check_res() does. */
#define EXPECT(r, rc, out, err, ...)                                           \
	do {                                                                   \
		run((r), __VA_ARGS__);                                         \
		check_res((r), (rc), (out), (err), __LINE__);                  \
	} while (0)

#define assert_has(s, part) assert_non_null(strstr((s), (part)))

/* One run of a table: ARGS (no format), and what it must give. */
struct qcase {
	const char *args;
	int rc;
	const char *out, *err; /* to the letter; NULL: not checked */
	const char *err_has; /* a part of stderr; NULL: not checked */
};

/* Run the N cases of table C in order (each on the tree the last left). */
static void run_cases(const struct qcase *c, size_t n)
{
	struct res r;

	for (size_t i = 0; i < n; i++) {
		run(&r, "%s", c[i].args);
		check_res(&r, c[i].rc, c[i].out, c[i].err, __LINE__);
		if (c[i].err_has && !strstr(r.err, c[i].err_has))
			print_error("qdepth %s: stderr %s\n", r.args, r.err);
		if (c[i].err_has)
			assert_has(r.err, c[i].err_has);
	}
}

/* ROOT/REL, the fake tree's path, in a static buffer. */
static const char *at_root(const char *rel)
{
	static char path[512];

	snprintf(path, sizeof(path), "%s/%s", fake_root, rel);
	return path;
}

/*
 * Make attribute REL of the fake tree a directory: it can no longer be
 * read or written. Returns its path (static, until the next call).
 */
static const char *break_attr(const char *rel)
{
	static char path[512];

	snprintf(path, sizeof(path), "%s/%s", fake_root, rel);
	assert_int_equal(unlink(path), 0);
	fake_mkdir(rel);
	return path;
}

/* The fake file PATH without its trailing newline. */
static const char *value(const char *path)
{
	static char buf[256];
	const char *s = fake_read(path);

	assert_non_null(s);
	snprintf(buf, sizeof(buf), "%.*s", (int)strcspn(s, "\n"), s);
	return buf;
}

/* Start `qdepth --sysroot ROOT ARGS...` in the background; its pid. */
static pid_t run_bg(const char *const *args)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		const char *argv[32] = {qdepth, "--sysroot", fake_root};
		char path[512];
		size_t k = 3;

		snprintf(path, sizeof(path), "%s/io/bg.out", fake_root);
		if (!freopen(path, "w", stdout))
			_exit(127);
		snprintf(path, sizeof(path), "%s/io/bg.err", fake_root);
		if (!freopen(path, "w", stderr) ||
		    !freopen("/dev/null", "r", stdin))
			_exit(127);
		while (*args && k < ARRAY_SIZE(argv) - 1)
			argv[k++] = *args++;
		execv(qdepth, (char *const *)argv);
		_exit(127);
	}
	return pid;
}

/* 1 when process PID has a file open whose path ends in SUFFIX. */
static int has_open(pid_t pid, const char *suffix)
{
	char dir[64], link[384], path[1024];
	struct dirent *de;
	int found = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	d = opendir(dir);
	while (d && !found && (de = readdir(d))) {
		ssize_t n;

		snprintf(link, sizeof(link), "%s/%s", dir, de->d_name);
		n = readlink(link, path, sizeof(path) - 1);
		if (n <= 0)
			continue;
		path[n] = '\0';
		found = (size_t)n >= strlen(suffix) &&
			strcmp(path + n - strlen(suffix), suffix) == 0;
	}
	if (d)
		closedir(d);
	return found;
}

static void test_show_raw(void **state)
{
	struct res r;

	(void)state;
	EXPECT(&r, 0, "64\n", "", "show -r -n -o DEPTH sda");
	/* The subcommand is the default. */
	EXPECT(&r, 0, "nvme0n1 none 1023 4-1023 1023\n", NULL,
	       "-r -n -o DEVICE,SCHED,DEPTH,RANGE,HWDEPTH nvme0n1");
	/* Partitions by name and number, and a dm stack, land on disks. */
	EXPECT(&r, 0, NULL, NULL,
	       "-r -n -o TARGET,DEVICE,MAJ:MIN,VIA --stack sda2 8:1 dm-1");
	{
		/* dm-1 reaches sda through sda1 or sda2: readdir order. */
		static const char want[] = "sda2 sda 8:0 sda2\n"
					   "8:1 sda 8:0 sda1\n"
					   "dm-1 sda 8:0 dm-1\\x20>\\x20sda";

		assert_memory_equal(r.out, want, sizeof(want) - 1);
		assert_int_equal(strlen(r.out), sizeof(want) + 1);
	}
	/* Headings name the columns. */
	EXPECT(&r, 0, NULL, NULL, "-o DEVICE,DEPTH,RA,ROTA,QUEUE-DEPTH sda");
	assert_has(r.out, "DEVICE");
	assert_has(r.out, "QUEUE-DEPTH");
	assert_has(r.out, "\nsda");
	assert_has(r.out, " 32\n");
}

static void test_show_all_queues(void **state)
{
	struct res r;

	(void)state;
	/* Sorted; zram0 and the bio-based dm-0..2 have no request queue. */
	EXPECT(&r, 0,
	       access(at_root("sys/block/vdx"), F_OK) == 0
		       ? "dm-4\nloop0\nmd0\nnvme0n1\nsda\nvdx\n"
		       : "dm-4\nloop0\nmd0\nnvme0n1\nsda\n",
	       NULL, "show -r -n -o DEVICE");
}

static void test_show_json_pairs(void **state)
{
	struct res r;

	(void)state;
	EXPECT(&r, 0, NULL, NULL, "-J -o DEVICE,DEPTH,ROTA sda");
	assert_has(r.out, "\"queues\": [");
	assert_has(r.out, "\"device\": \"sda\"");
	assert_has(r.out, "\"depth\": 64");
	assert_has(r.out, "\"rota\": true");
	assert_null(strstr(r.out, "nvme0n1"));

	EXPECT(&r, 0,
	       "TARGET=\"dm-1\" DEVICE=\"sda\" DEPTH=\"64\" NOTE=\"\"\n"
	       "TARGET=\"zram0\" DEVICE=\"zram0\" DEPTH=\"\" "
	       "NOTE=\"bio-based, no request queue\"\n",
	       NULL, "-P -o TARGET,DEVICE,DEPTH,NOTE --stack dm-1 zram0");

	/* +LIST adds to the default columns. */
	EXPECT(&r, 0, NULL, NULL, "-P -o +MAJ:MIN nvme0n1p1");
	assert_has(r.out,
		   "TARGET=\"nvme0n1p1\" DEVICE=\"nvme0n1\" SCHED=\"none\"");
	assert_has(r.out, "MAJ_MIN=\"259:0\"");
}

static void test_show_bad(void **state)
{
	static const struct qcase cases[] = {
		{"-o DEVICE,BOGUS sda", 2, "", NULL,
		 "qdepth: unknown column 'BOGUS'"},
		{"sdz", 3, NULL, "qdepth: sdz: no such device or file\n", NULL},
		/* A malformed word ('.' and '..' are directories). */
		{"UUID=", 2, NULL, "qdepth: UUID=: not a valid device name\n",
		 NULL},
	};
	struct res r;
	struct statfs sfs;

	(void)state;
	run_cases(cases, ARRAY_SIZE(cases));
	EXPECT(&r, 3, NULL, NULL, "'%s/nothere'", fake_root);
	assert_has(r.err, "nothere: No such file or directory");

	if (statfs("/dev/shm", &sfs) == 0 && sfs.f_type == TMPFS_MAGIC) {
		/* This host's /dev/shm: --sysroot puts paths in the tree. */
		EXPECT(&r, 0, NULL, NULL,
		       "--sysroot / -r -n -o DEVICE,NOTE /dev/shm");
		assert_has(r.out, "(tmpfs)");
		assert_has(r.out, "no\\x20block\\x20device");
	}
}

static void test_set_depth(void **state)
{
	struct res r;

	(void)state;
	/*
	 * A fake file is a regular file: start from a value no longer than
	 * the ones written so that the result does not depend on O_TRUNC
	 * (see test_bug_set_shorter).
	 */
	fake_write(NVME_Q "/nr_requests", "256\n");
	EXPECT(&r, 0, "nvme0n1 256 300 4-1023 applied\n", "",
	       "set -r -n -o DEVICE,OLD-DEPTH,DEPTH,RANGE,RESULT --depth 300 "
	       "nvme0n1");
	assert_string_equal(value(NVME_Q "/nr_requests"), "300");
	assert_string_equal(value(NVME_Q "/scheduler"), "[none] mq-deadline");

	/* Over the hardware depth with none: rejected, naming the range. */
	EXPECT(&r, 2, NULL,
	       "qdepth: nvme0n1: depth 2000 out of range 4..1023 with "
	       "scheduler none; use --clamp or pick a scheduler\n",
	       "set --depth 2000 nvme0n1");
	assert_has(r.out, "rejected");
	assert_string_equal(value(NVME_Q "/nr_requests"), "300");

	EXPECT(&r, 0, "nvme0n1 1023 clamped\n", NULL,
	       "set -r -n -o DEVICE,DEPTH,RESULT --clamp --depth 2000 "
	       "nvme0n1");
	assert_string_equal(value(NVME_Q "/nr_requests"), "1023");
	/* Below the range: to its bottom, 4 (the kernel's own minimum). */
	EXPECT(&r, 0,
	       "nvme0n1 4 clamped depth\\x201\\x20clamped\\x20to\\x204..1023"
	       "\\x20with\\x20scheduler\\x20none\n",
	       NULL,
	       "set -r -n -o DEVICE,DEPTH,RESULT,NOTE --clamp --depth 1 "
	       "nvme0n1");
	assert_string_equal(value(NVME_Q "/nr_requests"), "4");

	/* A partition's depth is its disk's. */
	EXPECT(&r, 0, "sda1 sda 99 applied\n", NULL,
	       "set -r -n -o TARGET,DEVICE,DEPTH,RESULT --depth 99 sda1");
	assert_string_equal(value(SDA_Q "/nr_requests"), "99");
}

/*
 * One rejected device: nothing is written anywhere, and every target says
 * what happened to it: the others were not changed, and because of what.
 */
static void test_set_all_or_nothing(void **state)
{
	static const struct qcase cases[] = {
		{"set -r -n -o DEVICE,RESULT --depth 1500 sda nvme0n1", 2,
		 "sda skipped\nnvme0n1 rejected\n",
		 "qdepth: sda: not changed because of nvme0n1\n"
		 "qdepth: nvme0n1: depth 1500 out of range 4..1023 with "
		 "scheduler none; use --clamp or pick a scheduler\n",
		 NULL},
		/* A target that does not resolve: a row and a line of its
		 * own. */
		{"set -r -n -o TARGET,DEVICE,RESULT --depth 100 sda sdz", 3,
		 "sda sda skipped\nsdz  failed\n",
		 "qdepth: sda: not changed because of sdz\n"
		 "qdepth: sdz: no such device or file\n",
		 NULL},
		/* An invalid name is a usage error, still after a line for
		 * sda. */
		{"set -r -n -o TARGET,RESULT --depth 100 sda UUID=", 2,
		 "sda skipped\nUUID= rejected\n",
		 "qdepth: sda: not changed because of UUID=\n"
		 "qdepth: UUID=: not a valid device name\n",
		 NULL},
		/* A device without a queue among the targets: nothing
		 * changed. */
		{"set -r -n -o TARGET,RESULT --depth 100 sda zram0", 4,
		 "sda skipped\nzram0 not\\x20applicable\n",
		 "qdepth: sda: not changed because of zram0\n"
		 "qdepth: zram0: bio-based, no request queue\n",
		 NULL},
		/* --dry-run says the same. */
		{"set -r -n -o TARGET,RESULT --dry-run --depth 100 sda sdz", 3,
		 "sda skipped\nsdz failed\n", NULL, NULL},
	};

	(void)state;
	run_cases(cases, ARRAY_SIZE(cases));
	assert_string_equal(fake_read(SDA_Q "/nr_requests"), "64\n");
	assert_string_equal(fake_read(NVME_Q "/nr_requests"), "1023\n");
}

/*
 * A change that fails on the second device: the first one, already
 * changed, is put back. Nothing is left half-applied across targets. The
 * fake scheduler file keeps "mq-deadline" without the brackets the kernel
 * adds, so nvme0n1's switch reads back as no scheduler: failed.
 */
static void test_set_rolls_back_across_devices(void **state)
{
	/* What each attribute holds after: sda put back, nvme0n1 as it was. */
	static const char *const after[][2] = {
		{SDA_Q "/nr_requests", "64"},
		{SDA_Q "/scheduler", "[mq-deadline] kyber bfq none"},
		{NVME_Q "/nr_requests", "1023"},
	};
	struct res r;

	(void)state;
	fake_write(NVME_Q "/scheduler", "[none] mq-deadline\n");
	EXPECT(&r, 3,
	       "sda mq-deadline 64 rolled\\x20back\n"
	       "nvme0n1 none 1023 failed\n",
	       "qdepth: sda: rolled back: nvme0n1 failed\n"
	       "qdepth: nvme0n1: read back scheduler  depth 100, asked "
	       "mq-deadline 100; rolled back\n",
	       "set -r -n -o DEVICE,SCHED,DEPTH,RESULT --depth 100 "
	       "--scheduler mq-deadline sda nvme0n1");
	for (size_t i = 0; i < ARRAY_SIZE(after); i++)
		assert_string_equal(value(after[i][0]), after[i][1]);
}

/*
 * A read-ahead that cannot be read cannot be put back after a failed
 * change, nor recorded by --save: refused before anything is written
 * (it once read as 0, was saved as 0, and `restore` set read-ahead 0).
 */
static void test_set_unreadable_read_ahead(void **state)
{
	struct res r;

	(void)state;
	/* A directory where nvme0n1's read_ahead_kb was: it cannot be read. */
	break_attr(NVME_Q "/read_ahead_kb");
	EXPECT(&r, 3, "sda skipped\nnvme0n1 failed\n",
	       "qdepth: sda: not changed because of nvme0n1\n"
	       "qdepth: nvme0n1: read_ahead_kb cannot be read: a failed "
	       "change could not put it back\n",
	       "set -r -n -o DEVICE,RESULT --depth 100 --read-ahead 256 "
	       "sda nvme0n1");
	assert_string_equal(value(SDA_Q "/nr_requests"), "64");
	assert_string_equal(value(SDA_Q "/read_ahead_kb"), "128");
	assert_string_equal(value(NVME_Q "/nr_requests"), "1023");

	/* --save would record it: refused, no file. */
	EXPECT(&r, 3, "nvme0n1 failed\n",
	       "qdepth: nvme0n1: read_ahead_kb cannot be read: --save could "
	       "not record it\n",
	       "set -r -n -o DEVICE,RESULT --save '%s' --depth 100 nvme0n1",
	       saved);
	assert_int_equal(access(saved, F_OK), -1);
	assert_string_equal(value(NVME_Q "/nr_requests"), "1023");

	/* Nothing needs it: the depth alone is changed, and show leaves the
	 * cell empty rather than say 0. */
	EXPECT(&r, 0, "nvme0n1 100  applied\n", NULL,
	       "set -r -n -o DEVICE,DEPTH,OLD-RA,RESULT --depth 100 nvme0n1");
	EXPECT(&r, 0, "nvme0n1 100 \n", NULL,
	       "show -r -n -o DEVICE,DEPTH,RA nvme0n1");
}

/*
 * A scheduler that cannot be read is no answer: check once said "scheduler
 * (empty) not in ..." (exit 1, the host blamed), and set planned against
 * the range of an elevator and could not have put the scheduler back.
 */
static void test_unreadable_scheduler(void **state)
{
	static const struct qcase cases[] = {
		{"check --scheduler none,mq-deadline nvme0n1", 3, "",
		 "qdepth: nvme0n1: scheduler cannot be read\n", NULL},
		/* The depth alone does not need it. */
		{"check --max-depth 2000 nvme0n1", 0, NULL, NULL, NULL},
		{"set -r -n -o DEVICE,RESULT --depth 100 nvme0n1", 3,
		 "nvme0n1 failed\n",
		 "qdepth: nvme0n1: scheduler cannot be read: no range for the "
		 "depth, nothing to put back\n",
		 NULL},
	};
	const char *path;
	struct res r;

	(void)state;
	path = break_attr(NVME_Q "/scheduler");
	run_cases(cases, ARRAY_SIZE(cases));
	assert_string_equal(value(NVME_Q "/nr_requests"), "1023");
	/* No scheduler attribute at all is known: none to set or save. */
	assert_int_equal(rmdir(path), 0);
	EXPECT(&r, 0, "nvme0n1 applied\n", NULL,
	       "set -r -n -o DEVICE,RESULT --depth 100 nvme0n1");
}

/*
 * An unknown column is a usage error, found before anything is read or
 * changed: exit 2 means nothing was done (it once came after the change).
 */
static void test_set_bad_column_first(void **state)
{
	static const char bogus[] = "qdepth: unknown column 'BOGUS' (see "
				    "--help)\n";
	struct res r;

	(void)state;
	EXPECT(&r, 2, "", bogus,
	       "set -o DEVICE,BOGUS --save '%s' --depth 99 sda", saved);
	assert_string_equal(value(SDA_Q "/nr_requests"), "64");
	assert_int_equal(access(saved, F_OK), -1);
	EXPECT(&r, 2, NULL, NULL, "set --udev -o BOGUS --depth 99 sda");
	assert_string_equal(value(SDA_Q "/nr_requests"), "64");
	/* restore, too, before its file is even read. */
	EXPECT(&r, 2, NULL, bogus, "restore -o BOGUS '%s/nothere'", fake_root);
}

/*
 * --udev with a target that does not resolve: every target gets its log
 * line. The missing one is not applicable (a device gone by the time the
 * rule ran); the one that exists is not changed (all or nothing), which is
 * not what was asked: exit 3. The missing target alone is exit 0.
 */
static void test_set_udev_missing(void **state)
{
	static const struct qcase cases[] = {
		{"set --udev --depth 99 sda sdz", 3, "",
		 "qdepth: sda: skipped (not changed because of sdz)\n"
		 "qdepth: sdz: not applicable (no such device or file)\n",
		 NULL},
		{"set --udev --depth 99 sdz", 0, "",
		 "qdepth: sdz: not applicable (no such device or file)\n",
		 NULL},
	};
	struct res r;

	(void)state;
	run_cases(cases, ARRAY_SIZE(cases));
	assert_string_equal(fake_read(SDA_Q "/nr_requests"), "64\n");

	EXPECT(&r, 3, NULL, NULL, "set --udev --depth 99 sda '%s/nothere'",
	       fake_root);
	assert_has(r.err, "qdepth: sda: skipped (not changed because of ");
	assert_has(r.err,
		   "/nothere: not applicable (No such file or directory)\n");
	assert_string_equal(fake_read(SDA_Q "/nr_requests"), "64\n");
}

static void test_set_bad_input(void **state)
{
	static const char *const depths[] = {"0",	    "-1",  "abc",
					     "99999999999", "12x", ""};
	static const struct qcase cases[] = {
		{"set --scheduler bfq nvme0n1", 2, NULL,
		 "qdepth: nvme0n1: unknown scheduler bfq; available: none "
		 "mq-deadline\n",
		 NULL},
		{"set --scheduler kyber md0", 2, NULL, NULL,
		 "md0: queue takes no I/O scheduler"},
		{"set sda", 2, NULL, NULL, "nothing to do"},
		{"set --depth 100", 2, NULL, NULL, "no TARGET"},
		{"show --depth 100 sda", 2, NULL, NULL, "belong to 'set'"},
	};
	struct res r;
	char want[128];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(depths); i++) {
		snprintf(want, sizeof(want),
			 "qdepth: --depth %s: not a positive integer or "
			 "'max'\n",
			 depths[i]);
		EXPECT(&r, 2, NULL, want, "set --depth '%s' sda", depths[i]);
	}
	run_cases(cases, ARRAY_SIZE(cases));
	/* Nothing was written by any of these. */
	assert_string_equal(fake_read(SDA_Q "/nr_requests"), "64\n");
	assert_string_equal(fake_read(NVME_Q "/scheduler"),
			    "[none] mq-deadline\n");
	assert_string_equal(fake_read(QD_VIRT "/md0/queue/scheduler"),
			    "none\n");
}

static void test_set_dry_run(void **state)
{
	struct res r;

	(void)state;
	EXPECT(&r, 0, "sda 64 100 planned\n", NULL,
	       "set -r -n -o DEVICE,OLD-DEPTH,DEPTH,RESULT --dry-run --save "
	       "'%s' --depth 100 --read-ahead 512 sda",
	       saved);
	assert_string_equal(fake_read(SDA_Q "/nr_requests"), "64\n");
	assert_string_equal(fake_read(SDA_Q "/read_ahead_kb"), "128\n");
	assert_int_equal(access(saved, F_OK), -1);
}

static void test_set_udev(void **state)
{
	static const struct qcase cases[] = {
		/* No request queue: a log line, exit 0, nothing on stdout. */
		{"set --udev --depth 100 zram0", 0, "", NULL,
		 "qdepth: zram0: not applicable"},
		/* An unknown device is not an error for udev either. */
		{"set --udev --depth 100 sdz", 0, "", NULL, NULL},
		/* A queue that takes no scheduler: the rule's scheduler does
		 * not apply to it; a note and exit 0, nothing written. */
		{"set --udev --scheduler mq-deadline --depth 100 md0", 0, "",
		 "qdepth: md0: not applicable (queue takes no I/O "
		 "scheduler)\n",
		 NULL},
		/* A disk: applied, one line. */
		{"set --udev --depth 99 sda", 0, "",
		 "qdepth: sda: applied: scheduler mq-deadline -> mq-deadline, "
		 "depth 64 -> 99\n",
		 NULL},
	};

	(void)state;
	run_cases(cases, ARRAY_SIZE(cases));
	assert_string_equal(value(SDA_Q "/nr_requests"), "99");
}

static void test_check(void **state)
{
	static const struct qcase cases[] = {
		{"check --max-depth 100 sda nvme0n1 md0", 1,
		 "nvme0n1: depth 1023 > 100\nmd0: depth 128 > 100\n", NULL,
		 NULL},
		{"check --min-depth 100 sda nvme0n1", 1,
		 "sda: depth 64 < 100\n", NULL, NULL},
		{"check --scheduler none,kyber sda nvme0n1", 1,
		 "sda: scheduler mq-deadline not in none,kyber\n", NULL, NULL},
		{"-q check --max-depth 100 nvme0n1", 1, "", NULL, NULL},
		/* Within bounds: silent, 0. */
		{"check --min-depth 4 --max-depth 2048 --scheduler "
		 "mq-deadline,none --stack sda nvme0n1 dm-0",
		 0, "", NULL, NULL},
		{"check sda", 2, NULL,
		 "qdepth: check: nothing to check; give --min-depth, "
		 "--max-depth or --scheduler\n",
		 NULL},
		{"check --max-depth 0 sda", 2, NULL,
		 "qdepth: --max-depth 0: not a positive integer\n", NULL},
	};

	(void)state;
	run_cases(cases, ARRAY_SIZE(cases));
}

/*
 * check: bounds that no depth can meet are a usage error; a target with
 * no request queue is "nothing to check" (exit 4, and why), never a pass,
 * unless --ignore-noqueue says so; a queue that cannot be read fails.
 */
static void test_check_bad(void **state)
{
	static const struct qcase cases[] = {
		{"check --min-depth 100 --max-depth 50 sda", 2, "",
		 "qdepth: check: --min-depth 100 is above --max-depth 50; "
		 "no value can pass\n",
		 NULL},
		{"check --max-depth 50 --min-depth 51 sda", 2, NULL,
		 "qdepth: check: --min-depth 51 is above --max-depth 50; "
		 "no value can pass\n",
		 NULL},
		{"check --min-depth 64 --max-depth 64 sda", 0, NULL, NULL,
		 NULL},
		{"check --max-depth 100 zram0", 4, "",
		 "qdepth: zram0: bio-based, no request queue\n", NULL},
		/* Also beside a queue within bounds, or one out of bounds. */
		{"check --max-depth 100 sda zram0", 4, NULL, NULL, NULL},
		{"check --max-depth 32 sda zram0", 4, "sda: depth 64 > 32\n",
		 NULL, NULL},
		{"check --max-depth 100 dm-0", 4, NULL, NULL,
		 "qdepth: dm-0: bio-based, no request queue; --stack reaches "
		 "the 2 devices"},
	};
	static const struct qcase ignored[] = {
		/* Asked for: the queues there are checked, the rest said. */
		{"check --ignore-noqueue --max-depth 100 sda zram0", 0, NULL,
		 "qdepth: zram0: bio-based, no request queue; ignored\n", NULL},
		{"check --ignore-noqueue --max-depth 32 sda zram0", 1, NULL,
		 NULL, NULL},
		{"-q check --ignore-noqueue --max-depth 100 sda zram0", 0, NULL,
		 "", NULL},
		/* ... but nothing at all to check is still not a pass. */
		{"check --ignore-noqueue --max-depth 100 zram0", 4, NULL,
		 "qdepth: zram0: bio-based, no request queue; ignored\n"
		 "qdepth: check: no request queue to check\n",
		 NULL},
		{"show --ignore-noqueue sda", 2, NULL,
		 "qdepth: show: --ignore-noqueue belongs to 'check'\n", NULL},
	};
	struct res r;
	struct statfs sfs;

	(void)state;
	run_cases(cases, ARRAY_SIZE(cases));
	if (statfs("/dev/shm", &sfs) == 0 && sfs.f_type == TMPFS_MAGIC) {
		EXPECT(&r, 4, NULL, NULL,
		       "--sysroot / check --max-depth 100 /dev/shm");
		assert_has(r.err, "qdepth: /dev/shm: anonymous device");
		assert_has(r.err, "(tmpfs)");
	}
	run_cases(ignored, ARRAY_SIZE(ignored));

	/* A queue whose depth cannot be read: a failure, not a pass. */
	break_attr(SDA_Q "/nr_requests");
	EXPECT(&r, 3, "nvme0n1: depth 1023 > 100\n",
	       "qdepth: sda: reading queue: Is a directory\n",
	       "check --max-depth 100 sda nvme0n1");
}

static void test_save_restore(void **state)
{
	struct res r;

	(void)state;
	/* 64 -> 99 -> 64: same width (see test_bug_set_shorter). */
	EXPECT(&r, 0, "sda 99 applied\n", NULL,
	       "set -r -n -o DEVICE,DEPTH,RESULT --save '%s' --depth 99 sda1",
	       saved);
	assert_string_equal(value(SDA_Q "/nr_requests"), "99");
	{
		static const char want[] =
			"# qdepth save file v1\n"
			"# device scheduler nr_requests read_ahead_kb maj:min\n"
			"sda mq-deadline 64 128 8:0\n"
			"# end records=1 crc32c=";
		const char *text = fake_read("io/saved");

		assert_memory_equal(text, want, sizeof(want) - 1);
		assert_int_equal(ctl_seal_check(text, strlen(text), NULL, NULL),
				 0);
	}

	EXPECT(&r, 0, "sda 64 planned\n", NULL,
	       "restore --dry-run -r -n -o DEVICE,DEPTH,RESULT '%s'", saved);
	assert_string_equal(value(SDA_Q "/nr_requests"), "99");

	EXPECT(&r, 0, "sda 99 64 128 applied\n", NULL,
	       "restore -r -n -o DEVICE,OLD-DEPTH,DEPTH,RA,RESULT '%s'", saved);
	assert_string_equal(value(SDA_Q "/nr_requests"), "64");
	assert_string_equal(value(SDA_Q "/scheduler"),
			    "[mq-deadline] kyber bfq none");
}

static void test_save_bad(void **state)
{
	struct res r;

	(void)state;
	EXPECT(&r, 3, NULL, NULL, "set --save '%s' --depth 99 sda",
	       at_root("io/nodir/saved"));
	assert_has(r.err, "cannot write save file");
	assert_has(r.err, "does the directory exist?");
	assert_string_equal(fake_read(SDA_Q "/nr_requests"), "64\n");
	assert_null(fake_read("io/nodir"));

	EXPECT(&r, 2, NULL, NULL, "restore '%s'", at_root(SDA_Q "/../dev"));
	assert_has(r.err, "/dev: not a qdepth save file\n");
	EXPECT(&r, 3, NULL, NULL, "restore '%s'", at_root("io/missing"));
	assert_has(r.err, "/io/missing: No such file or directory\n");
	EXPECT(&r, 2, NULL, "qdepth: restore: give exactly one FILE\n",
	       "restore");
}

/* Write TEXT as io/NAME; returns its path in a static buffer. */
static const char *io_file(const char *name, const char *text)
{
	static char path[512];
	char rel[256];

	snprintf(rel, sizeof(rel), "io/%s", name);
	fake_write(rel, "%s", text);
	snprintf(path, sizeof(path), "%s", at_root(rel));
	return path;
}

/* A sealed save file io/NAME: the v1 header, RECORDS (N lines), the seal. */
static const char *sealed_file(const char *name, const char *records,
			       unsigned int n)
{
	char text[1024];
	int len = snprintf(text, sizeof(text), "# qdepth save file v1\n%s",
			   records);

	assert_true(ctl_seal_append(text, sizeof(text), (size_t)len, n) > 0);
	return io_file(name, text);
}

/* Check that `restore FILE` gives RC and stderr "qdepth: FILE: WHY\n". */
static void restore_fails(const char *file, int rc, const char *why)
{
	struct res r;
	char want[1024];

	snprintf(want, sizeof(want), "qdepth: %s: %s\n", file, why);
	run(&r, "restore '%s'", file);
	assert_int_not_equal(r.rc, 124); /* a hang is said as one */
	check_res(&r, rc, "", want, __LINE__);
}

/*
 * set --save FILE where FILE exists and is not a qdepth save file (as
 * restore reads it): refused before anything is changed, exit 3, the file
 * kept (it once was replaced, whatever it held). An empty file, or one of
 * ours cut short, is replaced, as swapadj does.
 */
static void test_save_guard(void **state)
{
	static const struct {
		const char *name, *text, *depth, *now;
		int rc;
	} cases[] = {
		{"notes", "not a save file\n", "99", "64", 3},
		{"other", "# swapadj save file v1\n", "99", "64", 3},
		{"empty", "", "99", "99", 0},
		{"cut", "# qdepth save fi", "98", "98", 0},
	};
	char want[1024], text[256];
	struct res r;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *path = io_file(cases[i].name, cases[i].text);

		snprintf(want, sizeof(want),
			 "qdepth: %s: cannot write save file: exists and is "
			 "not a qdepth save file; refusing to replace it "
			 "(remove it or name another file)\n"
			 "qdepth: sda: not changed: the save file cannot be "
			 "written\n",
			 path);
		EXPECT(&r, cases[i].rc, NULL, cases[i].rc ? want : "",
		       "set -r -n -o DEVICE,RESULT --save '%s' --depth %s sda",
		       path, cases[i].depth);
		assert_string_equal(value(SDA_Q "/nr_requests"), cases[i].now);
		snprintf(text, sizeof(text), "io/%s", cases[i].name);
		if (cases[i].rc)
			assert_string_equal(fake_read(text), cases[i].text);
		else
			assert_has(fake_read(text), "# qdepth save file v1\n");
	}
}

/*
 * restore refuses a save file it cannot trust before it writes anything:
 * one cut mid-record ("1280" cut to "128" was once applied as 128), one
 * with only its header, one from before files were sealed (exit 2 each);
 * a FIFO or a directory (exit 2, at once). A sealed file without records
 * has nothing to restore: exit 4, said.
 */
static void test_restore_refuses(void **state)
{
	static const char cut[] = "no valid end marker (the file may be cut "
				  "short or edited); nothing restored";
	struct res r;
	char text[1024], *p;
	const char *f;

	(void)state;
	fake_write(SDA_Q "/read_ahead_kb", "1280\n");
	EXPECT(&r, 0, NULL, NULL, "set --save '%s' --read-ahead 256 sda",
	       saved);
	assert_string_equal(value(SDA_Q "/read_ahead_kb"), "256");
	snprintf(text, sizeof(text), "%s", fake_read("io/saved"));
	p = strstr(text, " 1280 8:0\n");
	assert_non_null(p);
	p[4] = '\0'; /* cut after "128" */
	restore_fails(io_file("cut", text), 2, cut);
	assert_string_equal(value(SDA_Q "/read_ahead_kb"), "256");

	restore_fails(io_file("head", "# qdepth save file v1\n"), 2, cut);
	restore_fails(io_file("old", "# qdepth save file v1\n"
				     "# device scheduler nr_requests "
				     "read_ahead_kb maj:min\n"
				     "sda mq-deadline 64 1280 8:0\n"),
		      2, cut);
	assert_string_equal(value(SDA_Q "/read_ahead_kb"), "256");

	restore_fails(sealed_file("empty", "", 0), 4,
		      "no records; nothing to restore");

	f = at_root("io/fifo");
	assert_int_equal(mkfifo(f, 0600), 0);
	restore_fails(f, 2, "not a regular file");
	EXPECT(&r, 2, NULL, NULL, "restore '%s'", at_root("io"));
	assert_has(r.err, "/io: Is a directory\n");
	assert_string_equal(value(SDA_Q "/read_ahead_kb"), "256");
}

/*
 * A sealed save file whose record names a disk by a number it no longer
 * has: that record fails, and the others are not restored either.
 */
static void test_restore_other_disk(void **state)
{
	struct res r;

	(void)state;
	EXPECT(&r, 3, "nvme0n1 skipped\nsda failed\n",
	       "qdepth: nvme0n1: not changed because of sda\n"
	       "qdepth: sda: saved as 8:5, now 8:0: another disk has this "
	       "name; not restored\n",
	       "restore -r -n -o DEVICE,RESULT '%s'",
	       sealed_file("other",
			   "nvme0n1 mq-deadline 512 128 259:0\n"
			   "sda none 16 128 8:5\n",
			   2));
	assert_string_equal(fake_read(NVME_Q "/scheduler"),
			    "[none] mq-deadline\n");
	assert_string_equal(fake_read(SDA_Q "/nr_requests"), "64\n");
}

/* A sealed file naming one disk twice: locked once, no wait on itself. */
static void test_restore_twice(void **state)
{
	struct res r;

	(void)state;
	EXPECT(&r, 0, "sda 70 applied\nsda 80 applied\n", NULL,
	       "restore -r -n -o DEVICE,DEPTH,RESULT '%s'",
	       sealed_file("twice",
			   "sda mq-deadline 70 128 8:0\n"
			   "sda mq-deadline 80 128 8:0\n",
			   2));
	assert_string_equal(value(SDA_Q "/nr_requests"), "80");
}

/*
 * --save FILE is written only for a change that is made: a set that is
 * rejected, does not resolve, fails or is a dry run leaves an existing
 * FILE byte for byte as it was.
 */
static void test_save_only_when_changed(void **state)
{
	char keep[1024];
	static const struct {
		const char *args;
		int rc;
	} kept[] = {
		{"--depth 5000 nvme0n1", 2},
		{"--depth 99 sda sdz", 3},
		{"--dry-run --depth 99 sda", 0},
		/* A write that fails on the queue (its read-ahead broken
		 * below): rolled back, file kept. */
		{"--depth 99 --read-ahead 256 sda nvme0n1", 3},
	};
	struct res r;
	char f[512];

	(void)state;
	/* An earlier save file (another file is never replaced:
	 * test_save_guard). */
	snprintf(f, sizeof(f), "%s",
		 sealed_file("keep", "sda mq-deadline 32 128 8:0\n", 1));
	snprintf(keep, sizeof(keep), "%s", fake_read("io/keep"));
	for (size_t i = 0; i < ARRAY_SIZE(kept); i++) {
		if (i == ARRAY_SIZE(kept) - 1)
			break_attr(NVME_Q "/read_ahead_kb");
		EXPECT(&r, kept[i].rc, NULL, NULL, "set --save '%s' %s", f,
		       kept[i].args);
		assert_string_equal(fake_read("io/keep"), keep);
	}
	assert_string_equal(value(SDA_Q "/nr_requests"), "64");
	/* A directory where the file should go: nothing changed. */
	EXPECT(&r, 3, NULL, NULL, "set --save '%s' --depth 99 sda",
	       at_root("io"));
	assert_has(r.err, "/io: cannot write save file: Is a directory\n");
	assert_string_equal(value(SDA_Q "/nr_requests"), "64");
	/* A change made: the file is replaced, sealed. */
	EXPECT(&r, 0, NULL, NULL, "set --save '%s' --depth 99 sda", f);
	assert_has(fake_read("io/keep"), "\nsda mq-deadline 64 ");
	assert_int_equal(access(at_root(NVME_Q "/read_ahead_kb"), F_OK), 0);
}

#define SDA_STATS                                                              \
	"   8       0 sda 100 0 800 50 10 0 80 20 0 60 70 0 0 0 0 0 0\n"

/*
 * Watch proc/diskstats for reads (a close after reading) and for our own
 * rewrites (a close after writing). Returns the inotify fd.
 */
static int watch_diskstats(void)
{
	char path[512];
	int fd = inotify_init1(IN_CLOEXEC);

	assert_true(fd >= 0);
	snprintf(path, sizeof(path), "%s/proc/diskstats", fake_root);
	assert_true(inotify_add_watch(fd, path,
				      IN_CLOSE_NOWRITE | IN_CLOSE_WRITE) >= 0);
	return fd;
}

/* The next event mask on FD; 0 after 20 s without one. */
static uint32_t next_event(int fd)
{
	char buf[sizeof(struct inotify_event) + 256];
	struct pollfd p = {fd, POLLIN, 0};
	struct inotify_event ev;

	if (poll(&p, 1, 20000) != 1 ||
	    read(fd, buf, sizeof(buf)) < (ssize_t)sizeof(ev))
		return 0;
	memcpy(&ev, buf, sizeof(ev));
	return ev.mask;
}

/*
 * A disk gone from /proc/diskstats between two samples: its figures are
 * unknown, not 0 (an idle disk, "not saturated"): said, exit 3. The file
 * is rewritten right after stat's first read, 2 s before its next one;
 * if that next read still came first (a lost race), the run is retried.
 */
static void test_stat_vanishes(void **state)
{
	static const char *const args[] = {"stat",
					   "--interval",
					   "2",
					   "--count",
					   "2",
					   "--saturation",
					   "50",
					   "-r",
					   "-n",
					   "-o",
					   "DEVICE,SAMPLE,UTIL,SATURATED",
					   "sda",
					   NULL};
	int tries, st, fd;
	pid_t pid;
	uint32_t ev;

	(void)state;
	for (tries = 0; tries < 3; tries++) {
		fake_write("proc/diskstats", SDA_STATS);
		fd = watch_diskstats();
		pid = run_bg(args);
		assert_int_equal(next_event(fd), IN_CLOSE_NOWRITE);
		fake_write("proc/diskstats", " 252 0 zram0 1 0 8 0 0 0 0 0 0 "
					     "0 0\n");
		ev = next_event(fd); /* ours, or stat's second read first */
		close(fd);
		assert_int_equal(waitpid(pid, &st, 0), pid);
		if (ev == IN_CLOSE_WRITE)
			break;
	}
	assert_true(tries < 3);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 3);
	assert_string_equal(fake_read("io/bg.out"), "");
	assert_string_equal(fake_read("io/bg.err"),
			    "qdepth: sda: gone from /proc/diskstats at sample "
			    "1 of 2\n");
}

/*
 * stat stopped by a signal before its last sample has not answered the
 * question (saturated or not): exit 3, said, not 0.
 */
static void test_stat_interrupted(void **state)
{
	static const char *const args[] = {
		"stat", "--interval", "30", "--saturation", "50", "sda", NULL};
	int st, fd;
	pid_t pid;

	(void)state;
	fake_write("proc/diskstats", SDA_STATS);
	fd = watch_diskstats();
	pid = run_bg(args);
	/* After its first read, stat sleeps 30 s: stop it there. */
	assert_int_equal(next_event(fd), IN_CLOSE_NOWRITE);
	close(fd);
	assert_int_equal(kill(pid, SIGTERM), 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 3);
	assert_string_equal(fake_read("io/bg.err"), "qdepth: stat: interrupted "
						    "after 0 of 3 samples\n");
}

/* A queue that cannot be read: show says so and exits 3. */
static void test_show_unreadable(void **state)
{
	struct res r;

	(void)state;
	break_attr(SDA_Q "/nr_requests");
	EXPECT(&r, 3,
	       "sda  reading\\x20queue:\\x20Is\\x20a\\x20directory\n"
	       "nvme0n1 1023 \n",
	       "qdepth: sda: reading queue: Is a directory\n",
	       "show -r -n -o DEVICE,DEPTH,NOTE sda nvme0n1");
}

/* Two samples of a /proc/diskstats that does not move: all idle. */
static void test_stat(void **state)
{
	static const struct qcase cases[] = {
		{"stat --interval 0.05 --count 2 -r -n -o "
		 "DEVICE,SAMPLE,UTIL,AWAIT,AQU-SZ,RMB/S sda1",
		 0, "sda 1 0.0 0.00 0.00 0.00\nsda 2 0.0 0.00 0.00 0.00\n",
		 NULL, NULL},
		/* --saturation: 3 samples by default, a column, not
		 * saturated. */
		{"stat --interval 0.05 --saturation 50 -r -n -o "
		 "SAMPLE,SATURATED sda",
		 0, "1 0\n2 0\n3 0\n", NULL, NULL},
		/* Not listed in diskstats: not supported here. */
		{"stat --interval 0.05 nvme0n1", 4, NULL, NULL,
		 "not in /proc/diskstats"},
		{"stat --interval 0 sda", 2, NULL, NULL, NULL},
		{"stat --saturation 101 sda", 2, NULL, NULL, NULL},
		{"stat", 2, NULL, NULL, NULL},
	};

	(void)state;
	fake_write("proc/diskstats",
		   SDA_STATS " 252       0 zram0 1 0 8 0 0 0 0 0 0 0 0\n");
	run_cases(cases, ARRAY_SIZE(cases));
}

/*
 * Output for fleet tooling (issue 13): typed JSON, read-ahead in bytes
 * with -b, show --textfile, and the options each subcommand refuses.
 */
static void test_fleet_show(void **state)
{
	static const struct qcase refused[] = {
		{"check --max-depth 99 --textfile io/c.prom sda", 2, "",
		 "qdepth: check: --textfile belongs to 'show' and 'stat'\n",
		 NULL},
		{"show --exit-changed 9 sda", 2, "",
		 "qdepth: show: --exit-changed belongs to 'set' and 'restore'\n",
		 NULL},
		{"stat -b sda", 2, "",
		 "qdepth: stat: --bytes belongs to 'show', 'set' and 'restore'\n",
		 NULL},
		{"show --textfile io/q.txt sda", 2, "", NULL,
		 "not a .prom file"},
		{"set --exit-changed 4 --depth 99 sda", 2, "", NULL,
		 "give 1 or 5 to 255"},
	};
	struct res r;

	(void)state;
	EXPECT(&r, 0, NULL, "", "show -J sda");
	assert_has(r.out, "\"range\": \"4-2048\"");
	assert_has(r.out, "\"range-min\": 4,");
	assert_has(r.out, "\"range-max\": 2048,");
	assert_has(r.out, "\"ra\": 128,");
	EXPECT(&r, 0, NULL, "", "show -J -b -o RA sda");
	assert_has(r.out, "\"ra\": 131072\n");
	/* The table keeps KiB; bytes with -b. */
	EXPECT(&r, 0, "128\n", "", "show -r -n -o RA sda");
	EXPECT(&r, 0, "131072 4 2048\n", "",
	       "show -r -n -b -o RA,RANGE-MIN,RANGE-MAX sda");

	EXPECT(&r, 0, "", "", "show -q --textfile '%s' sda nvme0n1",
	       at_root("io/q.prom"));
	assert_has(fake_read("io/q.prom"),
		   "# TYPE ctl_queue_nr_requests gauge\n"
		   "ctl_queue_nr_requests{device=\"sda\"} 64\n"
		   "ctl_queue_nr_requests{device=\"nvme0n1\"} 1023\n");
	assert_has(fake_read("io/q.prom"),
		   "ctl_queue_read_ahead_bytes{device=\"sda\"} 131072\n");
	assert_has(fake_read("io/q.prom"),
		   "ctl_queue_scheduler_info{device=\"sda\","
		   "scheduler=\"mq-deadline\"} 1\n"
		   "ctl_queue_scheduler_info{device=\"nvme0n1\","
		   "scheduler=\"none\"} 1\n");
	run_cases(refused, ARRAY_SIZE(refused));
	assert_int_equal(access(at_root("io/c.prom"), F_OK), -1);
	assert_int_equal(access(at_root("io/q.txt"), F_OK), -1);
}

/*
 * A queue already as asked is unchanged, in --dry-run too ("planned" was
 * said when nothing would change); CHANGED and --exit-changed N tell it,
 * and a set --save that changes nothing keeps the file of the change.
 */
static void test_fleet_changed(void **state)
{
	static const struct qcase cases[] = {
		{"set --dry-run -r -n -o DEVICE,RESULT,CHANGED --depth 64 sda",
		 0, "sda unchanged 0\n", "", NULL},
		{"set --dry-run --exit-changed 9 -r -n -o RESULT,CHANGED "
		 "--depth 99 sda",
		 9, "planned 1\n", "", NULL},
		{"set --dry-run --exit-changed 9 -q --scheduler mq-deadline "
		 "--read-ahead 128 sda",
		 0, "", "", NULL},
		{"set --dry-run --exit-changed 9 -q --read-ahead 256 sda", 9,
		 "", "", NULL},
		{"set --exit-changed 9 -r -n -o RESULT,CHANGED --depth 99 sda",
		 9, "applied 1\n", "", NULL},
		{"set --exit-changed 9 -r -n -o RESULT,CHANGED --depth 99 sda",
		 0, "unchanged 0\n", "", NULL},
		/* -P (and -J) carry CHANGED by default. */
		{"set -P --depth 99 sda", 0,
		 "TARGET=\"sda\" DEVICE=\"sda\" OLD_SCHED=\"mq-deadline\" "
		 "SCHED=\"mq-deadline\" OLD_DEPTH=\"99\" DEPTH=\"99\" "
		 "RESULT=\"unchanged\" NOTE=\"\" CHANGED=\"0\"\n",
		 "", NULL},
		/* A failure is said as one, changed or not. */
		{"set --exit-changed 9 --depth 5000 sda", 2, NULL, NULL,
		 "out of range"},
	};
	/* `restore OPTS SAVE` in order: what it exits with and prints. */
	static const struct {
		int rc;
		const char *out, *opts;
	} restores[] = {
		{0, "sda 70 99 planned 1\n",
		 "--dry-run -r -n -o DEVICE,OLD-DEPTH,DEPTH,RESULT,CHANGED"},
		{9, "sda 99 131072 applied 1\n",
		 "--exit-changed 9 -b -r -n -o DEVICE,DEPTH,RA,RESULT,CHANGED"},
		{0, "sda unchanged 0\n",
		 "--dry-run --exit-changed 9 -r -n -o DEVICE,RESULT,CHANGED"},
		{0, "sda unchanged 0\n",
		 "--exit-changed 9 -r -n -o DEVICE,RESULT,CHANGED"},
	};
	struct res r;
	char save[512];

	(void)state;
	run_cases(cases, ARRAY_SIZE(cases));
	EXPECT(&r, 0, NULL, "", "set -J --depth 99 sda");
	assert_has(r.out, "\"result\": \"unchanged\",");
	assert_has(r.out, "\"changed\": false\n");

	/* --save twice: the second run changes nothing, keeps the file. */
	snprintf(save, sizeof(save), "%s", at_root("io/twice"));
	EXPECT(&r, 0, NULL, "", "set -q --save '%s' --depth 70 sda", save);
	assert_has(fake_read("io/twice"), "\nsda mq-deadline 99 128 8:0\n");
	EXPECT(&r, 0, NULL, "", "set -q --save '%s' --depth 70 sda", save);
	assert_has(fake_read("io/twice"), "\nsda mq-deadline 99 128 8:0\n");
	EXPECT(&r, 0, "sda 70 unchanged 0\n", "",
	       "set --dry-run -r -n -o DEVICE,DEPTH,RESULT,CHANGED --depth 70 "
	       "--save '%s' sda",
	       save);
	/* restore: planned, applied, then unchanged. */
	for (size_t i = 0; i < ARRAY_SIZE(restores); i++)
		EXPECT(&r, restores[i].rc, restores[i].out, "",
		       "restore %s '%s'", restores[i].opts, save);
	assert_string_equal(value(SDA_Q "/nr_requests"), "99");
}

/* stat -J: JSON Lines; stat --textfile: the last sample's metrics. */
static void test_fleet_stat(void **state)
{
	struct res r;
	const char *line2;

	(void)state;
	fake_write("proc/diskstats", SDA_STATS);
	EXPECT(&r, 0, NULL, "",
	       "stat -J --interval 0.05 --count 2 --saturation 50 sda");
	assert_true(strncmp(r.out, "{\"time\":\"", 9) == 0);
	assert_has(r.out, "Z\",\"timestamp\":");
	assert_has(r.out, ",\"device\":\"sda\",\"sample\":1,\"util\":0.0,");
	assert_has(r.out, ",\"saturated\":false}\n{\"time\":");
	line2 = strchr(r.out, '\n') + 1;
	assert_has(line2, ",\"sample\":2,");
	assert_string_equal(strchr(line2, '\n'), "\n");

	EXPECT(&r, 0, "", "",
	       "stat -q --interval 0.05 --count 2 --saturation 50 "
	       "--textfile '%s' sda",
	       at_root("io/d.prom"));
	assert_has(fake_read("io/d.prom"),
		   "ctl_disk_util_ratio{device=\"sda\"} 0\n");
	assert_has(fake_read("io/d.prom"),
		   "ctl_disk_await_seconds{device=\"sda\"} 0\n");
	assert_has(fake_read("io/d.prom"),
		   "ctl_disk_queue_size{device=\"sda\"} 0\n");
	assert_has(fake_read("io/d.prom"),
		   "ctl_disk_saturated{device=\"sda\"} 0\n");
	/* Without --saturation there is no rule to hold. */
	EXPECT(&r, 0, "", "", "stat -q --interval 0.05 --textfile '%s' sda",
	       at_root("io/d.prom"));
	assert_null(strstr(fake_read("io/d.prom"), "ctl_disk_saturated"));
	assert_has(fake_read("io/d.prom"), "ctl_disk_util_ratio");
}

static void test_version_help(void **state)
{
	struct res r;

	(void)state;
	EXPECT(&r, 0, NULL, NULL, "--version");
	assert_true(strncmp(r.out, "qdepth ", 7) == 0);
	assert_true(strlen(r.out) > 8);
	EXPECT(&r, 0, NULL, "", "--help");
	assert_true(strncmp(r.out, "usage: qdepth [show]", 20) == 0);
	EXPECT(&r, 2, NULL, NULL, "--bogus");
}

/*
 * Regression: writes once did not truncate, so on a --sysroot tree a value
 * shorter than the old one kept the old tail ("300" over "1023\n" read
 * back 3003; restore of 64 over 128 read back 648).
 */
static void test_bug_set_shorter(void **state)
{
	struct res r;

	(void)state;
	EXPECT(&r, 0, "nvme0n1 300 applied\n", NULL,
	       "set -r -n -o DEVICE,DEPTH,RESULT --depth 300 nvme0n1");
	EXPECT(&r, 0, NULL, NULL, "set --save '%s' --depth 128 sda", saved);
	EXPECT(&r, 0, NULL, NULL, "restore '%s'", saved);
	assert_string_equal(value(SDA_Q "/nr_requests"), "64");
}

/* `set --scheduler ''` must be refused, not hang (has_sched loops). */
static void test_bug_empty_scheduler(void **state)
{
	struct res r;

	(void)state;
	run(&r, "set --scheduler '' sda");
	assert_int_not_equal(r.rc, 124);
	assert_int_equal(r.rc, 2);
}

/* One line per violation: a queue reached by two targets is one queue. */
static void test_bug_check_dup(void **state)
{
	struct res r;

	(void)state;
	EXPECT(&r, 1, "sda: depth 64 > 32\n", NULL,
	       "check --max-depth 32 --stack sda sda1 dm-1");
}

/*
 * Output that cannot be written is a failure, said once: stat flushes
 * each sample, and that flush's error was once dropped (exit 0 with
 * nothing written); show's one table at the end was always caught.
 */
static void test_bug_stdout_lost(void **state)
{
	static const char *const args[] = {
		"stat --interval 0.05 --count 2 sda",
		"stat --interval 0.05 --count 2 -J sda",
		"show sda",
	};
	struct res r;

	(void)state;
	fake_write("proc/diskstats", SDA_STATS);
	for (size_t i = 0; i < ARRAY_SIZE(args); i++) {
		run_to(&r, "/dev/full", "%s", args[i]);
		check_res(&r, 3, "", NULL, __LINE__);
		assert_has(r.err, "qdepth: stdout: ");
	}
}

/* 1 if the fake disk vdx (under the loop image) exists in this tree. */
static int have_vdx(void)
{
	return access(at_root("sys/block/vdx"), F_OK) == 0;
}

/*
 * A device target is that device: `set loop0` leaves vdx, the disk under
 * its backing file, alone; --stack reaches it. A bio-based dm device has
 * no queue of its own: set says so and changes nothing; --stack sets the
 * disks below it.
 */
static void test_device_target(void **state)
{
	static const char dm0[] = "bio-based, no request queue; --stack "
				  "reaches the 2 devices below it";
	static const struct qcase cases[] = {
		/* show and check name the same devices. */
		{"-r -n -o DEVICE,DEPTH dm-1", 0, "dm-1 \n", NULL, NULL},
		{"-r -n -o DEVICE,DEPTH --stack dm-1", 0, "sda 99\n", NULL,
		 NULL},
		{"check --max-depth 80 loop0", 1, "loop0: depth 100 > 80\n",
		 NULL, NULL},
	};
	struct res r;
	char want[256];

	(void)state;
	EXPECT(&r, 0, "loop0 64 applied\n", "",
	       "set -r -n -o DEVICE,DEPTH,RESULT --depth 64 loop0");
	assert_string_equal(value(QD_VIRT "/loop0/queue/nr_requests"), "64");
	if (have_vdx())
		assert_string_equal(value(QD_VDX "/queue/nr_requests"), "256");

	EXPECT(&r, 0,
	       have_vdx() ? "loop0 100 applied\nvdx 100 applied\n"
			  : "loop0 100 applied\n  not applicable\n",
	       NULL,
	       "set -r -n -o DEVICE,DEPTH,RESULT --stack --depth 100 loop0");
	assert_string_equal(value(QD_VIRT "/loop0/queue/nr_requests"), "100");
	if (have_vdx())
		assert_string_equal(value(QD_VDX "/queue/nr_requests"), "100");

	/* dm-0 alone: no queue, exit 4, the note names --stack. */
	snprintf(want, sizeof(want), "qdepth: dm-0: %s\n", dm0);
	EXPECT(&r, 4,
	       "dm-0 not\\x20applicable bio-based,\\x20no\\x20request"
	       "\\x20queue;\\x20--stack\\x20reaches\\x20the\\x202\\x20devices"
	       "\\x20below\\x20it\n",
	       want, "set -r -n -o DEVICE,RESULT,NOTE --depth 99 dm-0");
	assert_string_equal(value(SDA_Q "/nr_requests"), "64");
	EXPECT(&r, 0, NULL, NULL,
	       "set -r -n -o DEVICE,DEPTH,RESULT --stack --depth 99 dm-0");
	assert_string_equal(value(SDA_Q "/nr_requests"), "99");
	assert_string_equal(value(NVME_Q "/nr_requests"), "99");

	run_cases(cases, ARRAY_SIZE(cases));
	/* --stack is for targets: not for restore. */
	EXPECT(&r, 2, NULL,
	       "qdepth: restore: --stack belongs to 'show', 'set', 'check' "
	       "and 'stat'\n",
	       "restore --stack '%s/io/none'", fake_root);
}

/*
 * One device, one writer: while another qdepth holds the queue's lock
 * (<sysroot>/run/qdepth/8:0.lock), set waits and writes nothing;
 * once it is released, set applies. A dry run does not wait.
 */
static void test_set_waits_for_lock(void **state)
{
	static const char *const args[] = {"set", "--depth", "99", "sda", NULL};
	char path[512];
	struct res r;
	int fd, st, i;
	pid_t pid;

	(void)state;
	fake_mkdir("run/qdepth");
	snprintf(path, sizeof(path), "%s", at_root("run/qdepth/8:0.lock"));
	fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX), 0);
	pid = run_bg(args);
	for (i = 0; i < 2000 && !has_open(pid, "/run/qdepth/8:0.lock"); i++)
		usleep(5000);
	assert_true(has_open(pid, "/run/qdepth/8:0.lock"));
	/* Waiting for the lock, not past it: nothing written. */
	usleep(200000);
	assert_int_equal(waitpid(pid, &st, WNOHANG), 0);
	assert_string_equal(fake_read(SDA_Q "/nr_requests"), "64\n");
	EXPECT(&r, 0, "sda planned\n", NULL,
	       "set -r -n -o DEVICE,RESULT --dry-run --depth 99 sda");

	close(fd);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_string_equal(value(SDA_Q "/nr_requests"), "99");
	/* The host's /run was not used. */
	assert_int_equal(access("/run/qdepth/8:0.lock", F_OK) == 0 &&
				 access(path, F_OK) != 0,
			 0);
}

/*
 * Under a loop device whose backing file was deleted lies a device that
 * cannot be found. --stack asks for it: set refuses (nothing changed,
 * exit 4) instead of setting loop0 alone and calling that done; check
 * cannot check it either. show names it. loop0 as a device still works.
 */
static void test_stack_unknown_below(void **state)
{
	static const struct qcase cases[] = {
		{"set -r -n -o DEVICE,RESULT --stack --depth 99 loop0", 4,
		 "loop0 skipped\n not\\x20applicable\n",
		 "qdepth: loop0: not changed: backing file /images/disk.img "
		 "(deleted) of loop0: the device under it is unknown\n"
		 "qdepth: loop0: backing file /images/disk.img (deleted) of "
		 "loop0: the device under it is unknown\n",
		 NULL},
		{"check --stack --max-depth 200 loop0", 4, NULL, NULL,
		 "the device under it is unknown\n"},
	};
	struct res r;

	(void)state;
	fake_write(QD_VIRT "/loop0/loop/backing_file", "/%s (deleted)\n",
		   QD_IMAGE);
	run_cases(cases, ARRAY_SIZE(cases));
	assert_string_equal(fake_read(QD_VIRT "/loop0/queue/nr_requests"),
			    "128\n");
	EXPECT(&r, 0, NULL, NULL, "show -r -n -o DEVICE,NOTE --stack loop0");
	assert_has(r.out, "\n backing\\x20file");
	EXPECT(&r, 0, "loop0 applied\n", NULL,
	       "set -r -n -o DEVICE,RESULT --depth 99 loop0");
}

/* A lock that cannot be taken: said, nothing changed, exit 3. */
static void test_set_lock_fails(void **state)
{
	struct res r;

	(void)state;
	fake_write("run", "not a directory\n");
	EXPECT(&r, 3, "sda failed\nnvme0n1 failed\n",
	       "qdepth: sda: cannot lock /run/qdepth/8:0.lock: Not a "
	       "directory\n"
	       "qdepth: nvme0n1: cannot lock /run/qdepth/259:0.lock: Not a "
	       "directory\n",
	       "set -r -n -o DEVICE,RESULT --depth 99 sda nvme0n1");
	assert_string_equal(fake_read(SDA_Q "/nr_requests"), "64\n");
	assert_string_equal(fake_read(NVME_Q "/nr_requests"), "1023\n");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_show_raw),
		T(test_show_all_queues),
		T(test_show_json_pairs),
		T(test_show_bad),
		T(test_set_depth),
		T(test_set_all_or_nothing),
		T(test_set_bad_input),
		T(test_set_dry_run),
		T(test_set_udev),
		T(test_set_udev_missing),
		T(test_set_rolls_back_across_devices),
		T(test_set_unreadable_read_ahead),
		T(test_set_bad_column_first),
		T(test_unreadable_scheduler),
		T(test_set_waits_for_lock),
		T(test_set_lock_fails),
		T(test_stack_unknown_below),
		T(test_device_target),
		T(test_check),
		T(test_check_bad),
		T(test_save_restore),
		T(test_save_bad),
		T(test_save_guard),
		T(test_restore_refuses),
		T(test_restore_other_disk),
		T(test_restore_twice),
		T(test_save_only_when_changed),
		T(test_stat),
		T(test_stat_vanishes),
		T(test_stat_interrupted),
		T(test_fleet_show),
		T(test_fleet_changed),
		T(test_fleet_stat),
		T(test_show_unreadable),
		T(test_version_help),
		T(test_bug_set_shorter),
		T(test_bug_empty_scheduler),
		T(test_bug_check_dup),
		T(test_bug_stdout_lost),
	};
	const char *b = getenv("B");

	snprintf(qdepth, sizeof(qdepth), "%s/qdepth", b && *b ? b : "build");
	if (access(qdepth, X_OK) < 0) {
		fprintf(stderr, "%s: not built (run make all first)\n", qdepth);
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
