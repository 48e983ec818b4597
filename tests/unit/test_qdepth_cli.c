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
};

static int setup(void **state)
{
	int mapped;

	(void)state;
	fake_new();
	qd_tree();
	qd_map_backing(&mapped);
	fake_mkdir("io");
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
 * Run `qdepth --sysroot ROOT ARGS` (ARGS as shell words) into RES; a hang
 * ends after 20 s with status 124.
 */
static __attribute__((format(printf, 2, 3))) void run(struct res *res,
						      const char *fmt, ...)
{
	char args[2048], cmd[4096], path[512];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd),
		 "timeout 20 '%s' --sysroot '%s' %s >'%s/io/out' 2>'%s/io/err' "
		 "</dev/null",
		 qdepth, fake_root, args, fake_root, fake_root);
	st = system(cmd);
	assert_int_not_equal(st, -1);
	res->rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	snprintf(path, sizeof(path), "%s/io/out", fake_root);
	slurp(path, res->out, sizeof(res->out));
	snprintf(path, sizeof(path), "%s/io/err", fake_root);
	slurp(path, res->err, sizeof(res->err));
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
	run(&r, "show -r -n -o DEPTH sda");
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, "64\n");
	assert_string_equal(r.err, "");
	/* The subcommand is the default. */
	run(&r, "-r -n -o DEVICE,SCHED,DEPTH,RANGE,HWDEPTH nvme0n1");
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, "nvme0n1 none 1023 4-1023 1023\n");
	/* Partitions by name and number, and a dm stack, land on disks. */
	run(&r, "-r -n -o TARGET,DEVICE,MAJ:MIN,VIA --stack sda2 8:1 dm-1");
	assert_int_equal(r.rc, 0);
	{
		/* dm-1 reaches sda through sda1 or sda2: readdir order. */
		static const char want[] = "sda2 sda 8:0 sda2\n"
					   "8:1 sda 8:0 sda1\n"
					   "dm-1 sda 8:0 dm-1\\x20>\\x20sda";

		assert_memory_equal(r.out, want, sizeof(want) - 1);
		assert_int_equal(strlen(r.out), sizeof(want) + 1);
	}
	/* Headings name the columns. */
	run(&r, "-o DEVICE,DEPTH,RA,ROTA,QUEUE-DEPTH sda");
	assert_int_equal(r.rc, 0);
	assert_non_null(strstr(r.out, "DEVICE"));
	assert_non_null(strstr(r.out, "QUEUE-DEPTH"));
	assert_non_null(strstr(r.out, "\nsda"));
	assert_non_null(strstr(r.out, " 32\n"));
}

static void test_show_all_queues(void **state)
{
	struct res r;
	char path[512];
	int vdx;

	(void)state;
	snprintf(path, sizeof(path), "%s/sys/block/vdx", fake_root);
	vdx = access(path, F_OK) == 0;
	run(&r, "show -r -n -o DEVICE");
	assert_int_equal(r.rc, 0);
	/* Sorted; zram0 and the bio-based dm-0..2 have no request queue. */
	assert_string_equal(r.out, vdx ? "dm-4\nloop0\nmd0\nnvme0n1\nsda\nvdx\n"
				       : "dm-4\nloop0\nmd0\nnvme0n1\nsda\n");
}

static void test_show_json_pairs(void **state)
{
	struct res r;

	(void)state;
	run(&r, "-J -o DEVICE,DEPTH,ROTA sda");
	assert_int_equal(r.rc, 0);
	assert_non_null(strstr(r.out, "\"queues\": ["));
	assert_non_null(strstr(r.out, "\"device\": \"sda\""));
	assert_non_null(strstr(r.out, "\"depth\": 64"));
	assert_non_null(strstr(r.out, "\"rota\": true"));
	assert_null(strstr(r.out, "nvme0n1"));

	run(&r, "-P -o TARGET,DEVICE,DEPTH,NOTE --stack dm-1 zram0");
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out,
			    "TARGET=\"dm-1\" DEVICE=\"sda\" DEPTH=\"64\" "
			    "NOTE=\"\"\n"
			    "TARGET=\"zram0\" DEVICE=\"zram0\" DEPTH=\"\" "
			    "NOTE=\"bio-based, no request queue\"\n");

	/* +LIST adds to the default columns. */
	run(&r, "-P -o +MAJ:MIN nvme0n1p1");
	assert_int_equal(r.rc, 0);
	assert_non_null(strstr(r.out, "TARGET=\"nvme0n1p1\" "
				      "DEVICE=\"nvme0n1\" SCHED=\"none\""));
	assert_non_null(strstr(r.out, "MAJ:MIN=\"259:0\""));
}

static void test_show_bad(void **state)
{
	struct res r;
	struct statfs sfs;

	(void)state;
	run(&r, "-o DEVICE,BOGUS sda");
	assert_int_equal(r.rc, 2);
	assert_string_equal(r.out, "");
	assert_non_null(strstr(r.err, "qdepth: unknown column 'BOGUS'"));

	run(&r, "sdz");
	assert_int_equal(r.rc, 3);
	assert_string_equal(r.err, "qdepth: sdz: no such block device\n");
	run(&r, "..");
	assert_int_equal(r.rc, 2);
	assert_string_equal(r.err, "qdepth: ..: not a valid device name\n");
	run(&r, "'%s/nothere'", fake_root);
	assert_int_equal(r.rc, 3);
	assert_non_null(strstr(r.err, "nothere: no such file or device"));

	if (statfs("/dev/shm", &sfs) == 0 && sfs.f_type == TMPFS_MAGIC) {
		run(&r, "-r -n -o DEVICE,NOTE /dev/shm");
		assert_int_equal(r.rc, 0);
		assert_non_null(strstr(r.out, "(tmpfs)"));
		assert_non_null(strstr(r.out, "no\\x20block\\x20device"));
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
	run(&r, "set -r -n -o DEVICE,OLD-DEPTH,DEPTH,RANGE,RESULT --depth 300 "
		"nvme0n1");
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, "nvme0n1 256 300 4-1023 applied\n");
	assert_string_equal(r.err, "");
	assert_string_equal(value(NVME_Q "/nr_requests"), "300");
	assert_string_equal(value(NVME_Q "/scheduler"), "[none] mq-deadline");

	/* Over the hardware depth with none: rejected, naming the range. */
	run(&r, "set --depth 2000 nvme0n1");
	assert_int_equal(r.rc, 2);
	assert_string_equal(r.err,
			    "qdepth: nvme0n1: depth 2000 out of range 4..1023 "
			    "with scheduler none; use --clamp or pick a "
			    "scheduler\n");
	assert_non_null(strstr(r.out, "rejected"));
	assert_string_equal(value(NVME_Q "/nr_requests"), "300");

	run(&r, "set -r -n -o DEVICE,DEPTH,RESULT --clamp --depth 2000 "
		"nvme0n1");
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, "nvme0n1 1023 clamped\n");
	assert_string_equal(value(NVME_Q "/nr_requests"), "1023");
	/* Below the range: to its bottom, 4 (the kernel's own minimum). */
	run(&r, "set -r -n -o DEVICE,DEPTH,RESULT,NOTE --clamp --depth 1 "
		"nvme0n1");
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, "nvme0n1 4 clamped "
				   "depth\\x201\\x20clamped\\x20to\\x204..1023"
				   "\\x20with\\x20scheduler\\x20none\n");
	assert_string_equal(value(NVME_Q "/nr_requests"), "4");

	/* A partition's depth is its disk's. */
	run(&r, "set -r -n -o TARGET,DEVICE,DEPTH,RESULT --depth 99 sda1");
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, "sda1 sda 99 applied\n");
	assert_string_equal(value(SDA_Q "/nr_requests"), "99");
}

/*
 * One rejected device: nothing is written anywhere, and every target says
 * what happened to it: the others were not changed, and because of what.
 */
static void test_set_all_or_nothing(void **state)
{
	struct res r;

	(void)state;
	run(&r, "set -r -n -o DEVICE,RESULT --depth 1500 sda nvme0n1");
	assert_int_equal(r.rc, 2);
	assert_string_equal(r.out, "sda skipped\nnvme0n1 rejected\n");
	assert_string_equal(r.err,
			    "qdepth: sda: not changed because of "
			    "nvme0n1\n"
			    "qdepth: nvme0n1: depth 1500 out of range "
			    "4..1023 with scheduler none; use --clamp or "
			    "pick a scheduler\n");
	assert_string_equal(fake_read(SDA_Q "/nr_requests"), "64\n");
	assert_string_equal(fake_read(NVME_Q "/nr_requests"), "1023\n");

	/* A target that does not resolve: a row and a line of its own. */
	run(&r, "set -r -n -o TARGET,DEVICE,RESULT --depth 100 sda sdz");
	assert_int_equal(r.rc, 3);
	assert_string_equal(r.out, "sda sda skipped\nsdz  failed\n");
	assert_string_equal(r.err, "qdepth: sda: not changed because of sdz\n"
				   "qdepth: sdz: no such block device\n");
	assert_string_equal(fake_read(SDA_Q "/nr_requests"), "64\n");
	/* An invalid name is a usage error, still after a line for sda. */
	run(&r, "set -r -n -o TARGET,RESULT --depth 100 sda ..");
	assert_int_equal(r.rc, 2);
	assert_string_equal(r.out, "sda skipped\n.. rejected\n");
	assert_string_equal(r.err, "qdepth: sda: not changed because of ..\n"
				   "qdepth: ..: not a valid device name\n");
	/* A device without a queue among the targets: nothing changed. */
	run(&r, "set -r -n -o TARGET,RESULT --depth 100 sda zram0");
	assert_int_equal(r.rc, 4);
	assert_string_equal(r.out, "sda skipped\nzram0 not\\x20applicable\n");
	assert_string_equal(r.err,
			    "qdepth: sda: not changed because of zram0\n"
			    "qdepth: zram0: bio-based, no request queue\n");
	assert_string_equal(fake_read(SDA_Q "/nr_requests"), "64\n");
	/* --dry-run says the same. */
	run(&r, "set -r -n -o TARGET,RESULT --dry-run --depth 100 sda sdz");
	assert_int_equal(r.rc, 3);
	assert_string_equal(r.out, "sda skipped\nsdz failed\n");
}

/*
 * A change that fails on the second device: the first one, already
 * changed, is put back. Nothing is left half-applied across targets. The
 * fake scheduler file keeps "mq-deadline" without the brackets the kernel
 * adds, so nvme0n1's switch reads back as no scheduler: failed.
 */
static void test_set_rolls_back_across_devices(void **state)
{
	struct res r;

	(void)state;
	fake_write(NVME_Q "/scheduler", "[none] mq-deadline\n");
	run(&r, "set -r -n -o DEVICE,SCHED,DEPTH,RESULT --depth 100 "
		"--scheduler mq-deadline sda nvme0n1");
	assert_int_equal(r.rc, 3);
	assert_string_equal(r.out, "sda mq-deadline 64 rolled\\x20back\n"
				   "nvme0n1 none 1023 failed\n");
	assert_string_equal(r.err,
			    "qdepth: sda: rolled back: nvme0n1 failed\n"
			    "qdepth: nvme0n1: read back scheduler  depth 100, "
			    "asked mq-deadline 100; rolled back\n");
	assert_string_equal(value(SDA_Q "/nr_requests"), "64");
	assert_string_equal(value(SDA_Q "/scheduler"),
			    "[mq-deadline] kyber bfq none");
	assert_string_equal(value(NVME_Q "/nr_requests"), "1023");
}

/*
 * A read-ahead that cannot be read cannot be put back after a failed
 * change, nor recorded by --save: refused before anything is written
 * (it once read as 0, was saved as 0, and `restore` set read-ahead 0).
 */
static void test_set_unreadable_read_ahead(void **state)
{
	struct res r;
	char path[512], save[512];

	(void)state;
	/* A directory where nvme0n1's read_ahead_kb was: it cannot be read. */
	snprintf(path, sizeof(path), "%s/%s/read_ahead_kb", fake_root, NVME_Q);
	assert_int_equal(unlink(path), 0);
	fake_mkdir(NVME_Q "/read_ahead_kb");
	run(&r, "set -r -n -o DEVICE,RESULT --depth 100 --read-ahead 256 "
		"sda nvme0n1");
	assert_int_equal(r.rc, 3);
	assert_string_equal(r.out, "sda skipped\nnvme0n1 failed\n");
	assert_string_equal(r.err,
			    "qdepth: sda: not changed because of nvme0n1\n"
			    "qdepth: nvme0n1: read_ahead_kb cannot be read: a "
			    "failed change could not put it back\n");
	assert_string_equal(value(SDA_Q "/nr_requests"), "64");
	assert_string_equal(value(SDA_Q "/read_ahead_kb"), "128");
	assert_string_equal(value(NVME_Q "/nr_requests"), "1023");

	/* --save would record it: refused, no file. */
	snprintf(save, sizeof(save), "%s/io/saved", fake_root);
	run(&r, "set -r -n -o DEVICE,RESULT --save '%s' --depth 100 nvme0n1",
	    save);
	assert_int_equal(r.rc, 3);
	assert_string_equal(r.out, "nvme0n1 failed\n");
	assert_string_equal(r.err, "qdepth: nvme0n1: read_ahead_kb cannot be "
				   "read: --save could not record it\n");
	assert_int_equal(access(save, F_OK), -1);
	assert_string_equal(value(NVME_Q "/nr_requests"), "1023");

	/* Nothing needs it: the depth alone is changed, and show leaves the
	 * cell empty rather than say 0. */
	run(&r, "set -r -n -o DEVICE,DEPTH,OLD-RA,RESULT --depth 100 nvme0n1");
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, "nvme0n1 100  applied\n");
	run(&r, "show -r -n -o DEVICE,DEPTH,RA nvme0n1");
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, "nvme0n1 100 \n");
}

/*
 * A scheduler that cannot be read is no answer: check once said "scheduler
 * (empty) not in ..." (exit 1, the host blamed), and set planned against
 * the range of an elevator and could not have put the scheduler back.
 */
static void test_unreadable_scheduler(void **state)
{
	struct res r;
	char path[512];

	(void)state;
	snprintf(path, sizeof(path), "%s/%s/scheduler", fake_root, NVME_Q);
	assert_int_equal(unlink(path), 0);
	fake_mkdir(NVME_Q "/scheduler");
	run(&r, "check --scheduler none,mq-deadline nvme0n1");
	assert_int_equal(r.rc, 3);
	assert_string_equal(r.out, "");
	assert_string_equal(r.err, "qdepth: nvme0n1: scheduler cannot be "
				   "read\n");
	/* The depth alone does not need it. */
	run(&r, "check --max-depth 2000 nvme0n1");
	assert_int_equal(r.rc, 0);
	run(&r, "set -r -n -o DEVICE,RESULT --depth 100 nvme0n1");
	assert_int_equal(r.rc, 3);
	assert_string_equal(r.out, "nvme0n1 failed\n");
	assert_string_equal(r.err, "qdepth: nvme0n1: scheduler cannot be "
				   "read: no range for the depth, nothing to "
				   "put back\n");
	assert_string_equal(value(NVME_Q "/nr_requests"), "1023");
	/* No scheduler attribute at all is known: none to set or save. */
	assert_int_equal(rmdir(path), 0);
	run(&r, "set -r -n -o DEVICE,RESULT --depth 100 nvme0n1");
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, "nvme0n1 applied\n");
}

/*
 * An unknown column is a usage error, found before anything is read or
 * changed: exit 2 means nothing was done (it once came after the change).
 */
static void test_set_bad_column_first(void **state)
{
	struct res r;
	char save[512];

	(void)state;
	snprintf(save, sizeof(save), "%s/io/saved", fake_root);
	run(&r, "set -o DEVICE,BOGUS --save '%s' --depth 99 sda", save);
	assert_int_equal(r.rc, 2);
	assert_string_equal(r.out, "");
	assert_string_equal(r.err,
			    "qdepth: unknown column 'BOGUS' (see --help)\n");
	assert_string_equal(value(SDA_Q "/nr_requests"), "64");
	assert_int_equal(access(save, F_OK), -1);
	run(&r, "set --udev -o BOGUS --depth 99 sda");
	assert_int_equal(r.rc, 2);
	assert_string_equal(value(SDA_Q "/nr_requests"), "64");
	/* restore, too, before its file is even read. */
	run(&r, "restore -o BOGUS '%s/nothere'", fake_root);
	assert_int_equal(r.rc, 2);
	assert_string_equal(r.err,
			    "qdepth: unknown column 'BOGUS' (see --help)\n");
}

/*
 * --udev with a target that does not resolve: every target gets its log
 * line. The missing one is not applicable (a device gone by the time the
 * rule ran); the one that exists is not changed (all or nothing), which is
 * not what was asked: exit 3. The missing target alone is exit 0.
 */
static void test_set_udev_missing(void **state)
{
	struct res r;

	(void)state;
	run(&r, "set --udev --depth 99 sda sdz");
	assert_int_equal(r.rc, 3);
	assert_string_equal(r.out, "");
	assert_string_equal(r.err,
			    "qdepth: sda: skipped (not changed because of "
			    "sdz)\n"
			    "qdepth: sdz: not applicable (no such block "
			    "device)\n");
	assert_string_equal(fake_read(SDA_Q "/nr_requests"), "64\n");

	run(&r, "set --udev --depth 99 sdz");
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, "");
	assert_string_equal(r.err, "qdepth: sdz: not applicable (no such block "
				   "device)\n");

	run(&r, "set --udev --depth 99 sda '%s/nothere'", fake_root);
	assert_int_equal(r.rc, 3);
	assert_non_null(strstr(r.err, "qdepth: sda: skipped (not changed "
				      "because of "));
	assert_non_null(strstr(r.err, "/nothere: not applicable (no such "
				      "file or device)\n"));
	assert_string_equal(fake_read(SDA_Q "/nr_requests"), "64\n");
}

static void test_set_bad_input(void **state)
{
	static const char *const depths[] = {"0",	    "-1",  "abc",
					     "99999999999", "12x", ""};
	struct res r;
	char want[128];

	(void)state;
	for (size_t i = 0; i < sizeof(depths) / sizeof(depths[0]); i++) {
		run(&r, "set --depth '%s' sda", depths[i]);
		assert_int_equal(r.rc, 2);
		snprintf(want, sizeof(want),
			 "qdepth: --depth %s: not a positive integer or "
			 "'max'\n",
			 depths[i]);
		assert_string_equal(r.err, want);
	}
	run(&r, "set --scheduler bfq nvme0n1");
	assert_int_equal(r.rc, 2);
	assert_string_equal(r.err, "qdepth: nvme0n1: unknown scheduler bfq; "
				   "available: none mq-deadline\n");
	run(&r, "set --scheduler kyber md0");
	assert_int_equal(r.rc, 2);
	assert_non_null(strstr(r.err, "md0: queue takes no I/O scheduler"));
	run(&r, "set sda");
	assert_int_equal(r.rc, 2);
	assert_non_null(strstr(r.err, "nothing to do"));
	run(&r, "set --depth 100");
	assert_int_equal(r.rc, 2);
	assert_non_null(strstr(r.err, "no TARGET"));
	run(&r, "show --depth 100 sda");
	assert_int_equal(r.rc, 2);
	assert_non_null(strstr(r.err, "belong to 'set'"));
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
	char save[512];

	(void)state;
	snprintf(save, sizeof(save), "%s/io/saved", fake_root);
	run(&r,
	    "set -r -n -o DEVICE,OLD-DEPTH,DEPTH,RESULT --dry-run --save '%s' "
	    "--depth 100 --read-ahead 512 sda",
	    save);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, "sda 64 100 planned\n");
	assert_string_equal(fake_read(SDA_Q "/nr_requests"), "64\n");
	assert_string_equal(fake_read(SDA_Q "/read_ahead_kb"), "128\n");
	assert_int_equal(access(save, F_OK), -1);
}

static void test_set_udev(void **state)
{
	struct res r;

	(void)state;
	/* No request queue: a log line, exit 0, nothing on stdout. */
	run(&r, "set --udev --depth 100 zram0");
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, "");
	assert_non_null(strstr(r.err, "qdepth: zram0: not applicable"));
	/* An unknown device is not an error for udev either. */
	run(&r, "set --udev --depth 100 sdz");
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, "");
	/* A queue that takes no scheduler: the rule's scheduler does not
	 * apply to it; a note and exit 0, nothing written. */
	run(&r, "set --udev --scheduler mq-deadline --depth 100 md0");
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, "");
	assert_non_null(strstr(r.err, "qdepth: md0: not applicable"));
	assert_non_null(strstr(r.err, "takes no I/O scheduler"));
	/* A disk: applied, one line. */
	run(&r, "set --udev --depth 99 sda");
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, "");
	assert_string_equal(r.err, "qdepth: sda: applied: scheduler "
				   "mq-deadline -> mq-deadline, depth 64 -> "
				   "99\n");
	assert_string_equal(value(SDA_Q "/nr_requests"), "99");
}

static void test_check(void **state)
{
	struct res r;

	(void)state;
	run(&r, "check --max-depth 100 sda nvme0n1 md0");
	assert_int_equal(r.rc, 1);
	assert_string_equal(r.out, "nvme0n1: depth 1023 > 100\n"
				   "md0: depth 128 > 100\n");
	run(&r, "check --min-depth 100 sda nvme0n1");
	assert_int_equal(r.rc, 1);
	assert_string_equal(r.out, "sda: depth 64 < 100\n");
	run(&r, "check --scheduler none,kyber sda nvme0n1");
	assert_int_equal(r.rc, 1);
	assert_string_equal(r.out,
			    "sda: scheduler mq-deadline not in none,kyber\n");
	run(&r, "-q check --max-depth 100 nvme0n1");
	assert_int_equal(r.rc, 1);
	assert_string_equal(r.out, "");
	/* Within bounds: silent, 0. */
	run(&r, "check --min-depth 4 --max-depth 2048 --scheduler "
		"mq-deadline,none --stack sda nvme0n1 dm-0");
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, "");
	run(&r, "check sda");
	assert_int_equal(r.rc, 2);
	assert_string_equal(r.err, "qdepth: check: give --min-depth, "
				   "--max-depth or --scheduler\n");
	run(&r, "check --max-depth 0 sda");
	assert_int_equal(r.rc, 2);
	assert_string_equal(r.err, "qdepth: --max-depth 0: not a positive "
				   "integer\n");
}

/*
 * check: bounds that no depth can meet are a usage error; a target with
 * no request queue is "nothing to check" (exit 4, and why), never a pass,
 * unless --ignore-noqueue says so; a queue that cannot be read fails.
 */
static void test_check_bad(void **state)
{
	struct res r;
	struct statfs sfs;
	char path[512];

	(void)state;
	run(&r, "check --min-depth 100 --max-depth 50 sda");
	assert_int_equal(r.rc, 2);
	assert_string_equal(r.out, "");
	assert_string_equal(r.err, "qdepth: check: --min-depth 100 is above "
				   "--max-depth 50\n");
	run(&r, "check --max-depth 50 --min-depth 51 sda");
	assert_int_equal(r.rc, 2);
	assert_string_equal(r.err, "qdepth: check: --min-depth 51 is above "
				   "--max-depth 50\n");
	run(&r, "check --min-depth 64 --max-depth 64 sda");
	assert_int_equal(r.rc, 0);

	run(&r, "check --max-depth 100 zram0");
	assert_int_equal(r.rc, 4);
	assert_string_equal(r.out, "");
	assert_string_equal(r.err,
			    "qdepth: zram0: bio-based, no request queue\n");
	/* Also beside a queue within bounds, or one out of bounds. */
	run(&r, "check --max-depth 100 sda zram0");
	assert_int_equal(r.rc, 4);
	run(&r, "check --max-depth 32 sda zram0");
	assert_int_equal(r.rc, 4);
	assert_string_equal(r.out, "sda: depth 64 > 32\n");
	run(&r, "check --max-depth 100 dm-0");
	assert_int_equal(r.rc, 4);
	assert_non_null(strstr(r.err, "qdepth: dm-0: bio-based, no request "
				      "queue; --stack reaches the 2 devices"));
	if (statfs("/dev/shm", &sfs) == 0 && sfs.f_type == TMPFS_MAGIC) {
		run(&r, "check --max-depth 100 /dev/shm");
		assert_int_equal(r.rc, 4);
		assert_non_null(strstr(r.err, "qdepth: /dev/shm: anonymous "
					      "device"));
		assert_non_null(strstr(r.err, "(tmpfs)"));
	}

	/* Asked for: the queues there are checked, the rest said. */
	run(&r, "check --ignore-noqueue --max-depth 100 sda zram0");
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.err, "qdepth: zram0: bio-based, no request "
				   "queue; ignored\n");
	run(&r, "check --ignore-noqueue --max-depth 32 sda zram0");
	assert_int_equal(r.rc, 1);
	run(&r, "-q check --ignore-noqueue --max-depth 100 sda zram0");
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.err, "");
	/* ... but nothing at all to check is still not a pass. */
	run(&r, "check --ignore-noqueue --max-depth 100 zram0");
	assert_int_equal(r.rc, 4);
	assert_string_equal(r.err,
			    "qdepth: zram0: bio-based, no request "
			    "queue; ignored\n"
			    "qdepth: check: no request queue to check\n");
	run(&r, "show --ignore-noqueue sda");
	assert_int_equal(r.rc, 2);
	assert_string_equal(r.err, "qdepth: show: --ignore-noqueue belongs "
				   "to 'check'\n");

	/* A queue whose depth cannot be read: a failure, not a pass. */
	snprintf(path, sizeof(path), "%s/%s/nr_requests", fake_root, SDA_Q);
	assert_int_equal(unlink(path), 0);
	fake_mkdir(SDA_Q "/nr_requests");
	run(&r, "check --max-depth 100 sda nvme0n1");
	assert_int_equal(r.rc, 3);
	assert_string_equal(r.out, "nvme0n1: depth 1023 > 100\n");
	assert_string_equal(r.err, "qdepth: sda: reading queue: Is a "
				   "directory\n");
}

static void test_save_restore(void **state)
{
	struct res r;
	char save[512];

	(void)state;
	snprintf(save, sizeof(save), "%s/io/saved", fake_root);
	/* 64 -> 99 -> 64: same width (see test_bug_set_shorter). */
	run(&r, "set -r -n -o DEVICE,DEPTH,RESULT --save '%s' --depth 99 sda1",
	    save);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, "sda 99 applied\n");
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

	run(&r, "restore --dry-run -r -n -o DEVICE,DEPTH,RESULT '%s'", save);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, "sda 64 planned\n");
	assert_string_equal(value(SDA_Q "/nr_requests"), "99");

	run(&r, "restore -r -n -o DEVICE,OLD-DEPTH,DEPTH,RA,RESULT '%s'", save);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, "sda 99 64 128 applied\n");
	assert_string_equal(value(SDA_Q "/nr_requests"), "64");
	assert_string_equal(value(SDA_Q "/scheduler"),
			    "[mq-deadline] kyber bfq none");
}

static void test_save_bad(void **state)
{
	struct res r;
	char save[512];

	(void)state;
	snprintf(save, sizeof(save), "%s/io/nodir/saved", fake_root);
	run(&r, "set --save '%s' --depth 99 sda", save);
	assert_int_equal(r.rc, 3);
	assert_non_null(strstr(r.err, "cannot write save file"));
	assert_non_null(strstr(r.err, "does the directory exist?"));
	assert_string_equal(fake_read(SDA_Q "/nr_requests"), "64\n");
	assert_null(fake_read("io/nodir"));

	run(&r, "restore '%s/%s/dev'", fake_root, SDA_Q "/..");
	assert_int_equal(r.rc, 2);
	assert_non_null(strstr(r.err, "/dev: not a qdepth save file\n"));
	run(&r, "restore '%s/io/missing'", fake_root);
	assert_int_equal(r.rc, 3);
	assert_non_null(
		strstr(r.err, "/io/missing: No such file or directory\n"));
	run(&r, "restore");
	assert_int_equal(r.rc, 2);
	assert_string_equal(r.err, "qdepth: restore: give exactly one FILE\n");
}

/* Write TEXT as io/NAME; returns its path in a static buffer. */
static const char *io_file(const char *name, const char *text)
{
	static char path[512];
	char rel[256];

	snprintf(rel, sizeof(rel), "io/%s", name);
	fake_write(rel, "%s", text);
	snprintf(path, sizeof(path), "%s/%s", fake_root, rel);
	return path;
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
	struct res r;
	char save[512], text[1024], path[512], *p;
	const char *f;

	(void)state;
	snprintf(save, sizeof(save), "%s/io/saved", fake_root);
	fake_write(SDA_Q "/read_ahead_kb", "1280\n");
	run(&r, "set --save '%s' --read-ahead 256 sda", save);
	assert_int_equal(r.rc, 0);
	assert_string_equal(value(SDA_Q "/read_ahead_kb"), "256");
	snprintf(text, sizeof(text), "%s", fake_read("io/saved"));
	p = strstr(text, " 1280 8:0\n");
	assert_non_null(p);
	p[4] = '\0'; /* cut after "128" */
	f = io_file("cut", text);
	run(&r, "restore '%s'", f);
	assert_int_equal(r.rc, 2);
	assert_string_equal(r.out, "");
	snprintf(text, sizeof(text),
		 "qdepth: %s: no valid end marker (the file may be cut short "
		 "or edited); nothing restored\n",
		 f);
	assert_string_equal(r.err, text);
	assert_string_equal(value(SDA_Q "/read_ahead_kb"), "256");

	f = io_file("head", "# qdepth save file v1\n");
	run(&r, "restore '%s'", f);
	assert_int_equal(r.rc, 2);
	assert_non_null(strstr(r.err, "head: no valid end marker (the file "
				      "may be cut short or edited); nothing "
				      "restored\n"));
	f = io_file("old", "# qdepth save file v1\n"
			   "# device scheduler nr_requests read_ahead_kb "
			   "maj:min\nsda mq-deadline 64 1280 8:0\n");
	run(&r, "restore '%s'", f);
	assert_int_equal(r.rc, 2);
	assert_non_null(strstr(r.err, "old: no valid end marker"));
	assert_string_equal(value(SDA_Q "/read_ahead_kb"), "256");

	snprintf(text, sizeof(text), "# qdepth save file v1\n");
	assert_true(ctl_seal_append(text, sizeof(text), strlen(text), 0) > 0);
	f = io_file("empty", text);
	run(&r, "restore '%s'", f);
	assert_int_equal(r.rc, 4);
	assert_string_equal(r.out, "");
	snprintf(text, sizeof(text),
		 "qdepth: %s: no records; nothing to restore\n", f);
	assert_string_equal(r.err, text);

	snprintf(path, sizeof(path), "%s/io/fifo", fake_root);
	assert_int_equal(mkfifo(path, 0600), 0);
	run(&r, "restore '%s'", path);
	assert_int_not_equal(r.rc, 124);
	assert_int_equal(r.rc, 2);
	snprintf(text, sizeof(text), "qdepth: %s: not a regular file\n", path);
	assert_string_equal(r.err, text);
	run(&r, "restore '%s/io'", fake_root);
	assert_int_equal(r.rc, 2);
	assert_non_null(strstr(r.err, "/io: Is a directory\n"));
	assert_string_equal(value(SDA_Q "/read_ahead_kb"), "256");
}

/*
 * A sealed save file whose record names a disk by a number it no longer
 * has: that record fails, and the others are not restored either.
 */
static void test_restore_other_disk(void **state)
{
	struct res r;
	char text[512];
	const char *f;

	(void)state;
	snprintf(text, sizeof(text),
		 "# qdepth save file v1\n"
		 "nvme0n1 mq-deadline 512 128 259:0\n"
		 "sda none 16 128 8:5\n");
	assert_true(ctl_seal_append(text, sizeof(text), strlen(text), 2) > 0);
	f = io_file("other", text);
	run(&r, "restore -r -n -o DEVICE,RESULT '%s'", f);
	assert_int_equal(r.rc, 3);
	assert_string_equal(r.out, "nvme0n1 skipped\nsda failed\n");
	assert_string_equal(r.err,
			    "qdepth: nvme0n1: not changed because of "
			    "sda\n"
			    "qdepth: sda: saved as 8:5, now 8:0: another "
			    "disk has this name; not restored\n");
	assert_string_equal(fake_read(NVME_Q "/scheduler"),
			    "[none] mq-deadline\n");
	assert_string_equal(fake_read(SDA_Q "/nr_requests"), "64\n");
}

/* A sealed file naming one disk twice: locked once, no wait on itself. */
static void test_restore_twice(void **state)
{
	struct res r;
	char text[512];
	const char *f;

	(void)state;
	snprintf(text, sizeof(text),
		 "# qdepth save file v1\n"
		 "sda mq-deadline 70 128 8:0\n"
		 "sda mq-deadline 80 128 8:0\n");
	assert_true(ctl_seal_append(text, sizeof(text), strlen(text), 2) > 0);
	f = io_file("twice", text);
	run(&r, "restore -r -n -o DEVICE,DEPTH,RESULT '%s'", f);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, "sda 70 applied\nsda 80 applied\n");
	assert_string_equal(value(SDA_Q "/nr_requests"), "80");
}

/*
 * --save FILE is written only for a change that is made: a set that is
 * rejected, does not resolve, fails or is a dry run leaves an existing
 * FILE byte for byte as it was.
 */
static void test_save_only_when_changed(void **state)
{
	static const char keep[] = "an earlier save file\n";
	struct res r;
	char path[512];
	const char *f = io_file("keep", keep);

	(void)state;
	run(&r, "set --save '%s' --depth 5000 nvme0n1", f);
	assert_int_equal(r.rc, 2);
	assert_string_equal(fake_read("io/keep"), keep);
	run(&r, "set --save '%s' --depth 99 sda sdz", f);
	assert_int_equal(r.rc, 3);
	assert_string_equal(fake_read("io/keep"), keep);
	run(&r, "set --save '%s' --dry-run --depth 99 sda", f);
	assert_int_equal(r.rc, 0);
	assert_string_equal(fake_read("io/keep"), keep);
	/* A write that fails on the queue: rolled back, file kept. */
	snprintf(path, sizeof(path), "%s/%s/read_ahead_kb", fake_root, NVME_Q);
	assert_int_equal(unlink(path), 0);
	fake_mkdir(NVME_Q "/read_ahead_kb");
	run(&r, "set --save '%s' --depth 99 --read-ahead 256 sda nvme0n1", f);
	assert_int_equal(r.rc, 3);
	assert_string_equal(fake_read("io/keep"), keep);
	assert_string_equal(value(SDA_Q "/nr_requests"), "64");
	/* A directory where the file should go: nothing changed. */
	run(&r, "set --save '%s/io' --depth 99 sda", fake_root);
	assert_int_equal(r.rc, 3);
	assert_non_null(strstr(r.err, "/io: cannot write save file: Is a "
				      "directory\n"));
	assert_string_equal(value(SDA_Q "/nr_requests"), "64");
	/* A change made: the file is replaced, sealed. */
	run(&r, "set --save '%s' --depth 99 sda", f);
	assert_int_equal(r.rc, 0);
	assert_non_null(strstr(fake_read("io/keep"), "\nsda mq-deadline 64 "));
	assert_int_equal(access(path, F_OK), 0);
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
	char path[512];

	(void)state;
	snprintf(path, sizeof(path), "%s/%s/nr_requests", fake_root, SDA_Q);
	assert_int_equal(unlink(path), 0);
	fake_mkdir(SDA_Q "/nr_requests");
	run(&r, "show -r -n -o DEVICE,DEPTH,NOTE sda nvme0n1");
	assert_int_equal(r.rc, 3);
	assert_string_equal(r.out, "sda  reading\\x20queue:\\x20Is\\x20a"
				   "\\x20directory\n"
				   "nvme0n1 1023 \n");
	assert_string_equal(r.err,
			    "qdepth: sda: reading queue: Is a directory\n");
}

/* Two samples of a /proc/diskstats that does not move: all idle. */
static void test_stat(void **state)
{
	struct res r;

	(void)state;
	fake_write("proc/diskstats",
		   "   8       0 sda 100 0 800 50 10 0 80 20 0 60 70 0 0 0 0 0 "
		   "0\n"
		   " 252       0 zram0 1 0 8 0 0 0 0 0 0 0 0\n");
	run(&r, "stat --interval 0.05 --count 2 -r -n -o "
		"DEVICE,SAMPLE,UTIL,AWAIT,AQU-SZ,RMB/S sda1");
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, "sda 1 0.0 0.00 0.00 0.00\n"
				   "sda 2 0.0 0.00 0.00 0.00\n");
	/* --saturation: 3 samples by default, a column, not saturated. */
	run(&r, "stat --interval 0.05 --saturation 50 -r -n -o "
		"SAMPLE,SATURATED sda");
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, "1 0\n2 0\n3 0\n");
	/* Not listed in diskstats: not supported here. */
	run(&r, "stat --interval 0.05 nvme0n1");
	assert_int_equal(r.rc, 4);
	assert_non_null(strstr(r.err, "not in /proc/diskstats"));
	run(&r, "stat --interval 0 sda");
	assert_int_equal(r.rc, 2);
	run(&r, "stat --saturation 101 sda");
	assert_int_equal(r.rc, 2);
	run(&r, "stat");
	assert_int_equal(r.rc, 2);
}

static void test_version_help(void **state)
{
	struct res r;

	(void)state;
	run(&r, "--version");
	assert_int_equal(r.rc, 0);
	assert_true(strncmp(r.out, "qdepth ", 7) == 0);
	assert_true(strlen(r.out) > 8);
	run(&r, "--help");
	assert_int_equal(r.rc, 0);
	assert_true(strncmp(r.out, "usage: qdepth [show]", 20) == 0);
	assert_string_equal(r.err, "");
	run(&r, "--bogus");
	assert_int_equal(r.rc, 2);
}

/*
 * Regression: writes once did not truncate, so on a --sysroot tree a value
 * shorter than the old one kept the old tail ("300" over "1023\n" read
 * back 3003; restore of 64 over 128 read back 648).
 */
static void test_bug_set_shorter(void **state)
{
	struct res r;
	char save[512];

	(void)state;
	run(&r, "set -r -n -o DEVICE,DEPTH,RESULT --depth 300 nvme0n1");
	assert_string_equal(r.out, "nvme0n1 300 applied\n");
	assert_int_equal(r.rc, 0);

	snprintf(save, sizeof(save), "%s/io/saved", fake_root);
	run(&r, "set --save '%s' --depth 128 sda", save);
	assert_int_equal(r.rc, 0);
	run(&r, "restore '%s'", save);
	assert_int_equal(r.rc, 0);
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
	run(&r, "check --max-depth 32 --stack sda sda1 dm-1");
	assert_int_equal(r.rc, 1);
	assert_string_equal(r.out, "sda: depth 64 > 32\n");
}

/* 1 if the fake disk vdx (under the loop image) exists in this tree. */
static int have_vdx(void)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/sys/block/vdx", fake_root);
	return access(path, F_OK) == 0;
}

/*
 * A device target is that device: `set loop0` leaves vdx, the disk under
 * its backing file, alone; --stack reaches it. A bio-based dm device has
 * no queue of its own: set says so and changes nothing; --stack sets the
 * disks below it.
 */
static void test_device_target(void **state)
{
	struct res r;

	(void)state;
	run(&r, "set -r -n -o DEVICE,DEPTH,RESULT --depth 64 loop0");
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, "loop0 64 applied\n");
	assert_string_equal(r.err, "");
	assert_string_equal(value(QD_VIRT "/loop0/queue/nr_requests"), "64");
	if (have_vdx())
		assert_string_equal(value(QD_VDX "/queue/nr_requests"), "256");

	run(&r, "set -r -n -o DEVICE,DEPTH,RESULT --stack --depth 100 loop0");
	assert_int_equal(r.rc, 0);
	assert_string_equal(value(QD_VIRT "/loop0/queue/nr_requests"), "100");
	if (have_vdx()) {
		assert_string_equal(r.out,
				    "loop0 100 applied\nvdx 100 applied\n");
		assert_string_equal(value(QD_VDX "/queue/nr_requests"), "100");
	} else {
		assert_string_equal(r.out, "loop0 100 applied\n  not "
					   "applicable\n");
	}

	/* dm-0 alone: no queue, exit 4, the note names --stack. */
	run(&r, "set -r -n -o DEVICE,RESULT,NOTE --depth 99 dm-0");
	assert_int_equal(r.rc, 4);
	assert_string_equal(r.out, "dm-0 not\\x20applicable "
				   "bio-based,\\x20no\\x20request\\x20queue;"
				   "\\x20--stack\\x20reaches\\x20the\\x202"
				   "\\x20devices\\x20below\\x20it\n");
	assert_string_equal(r.err, "qdepth: dm-0: bio-based, no request "
				   "queue; --stack reaches the 2 devices below "
				   "it\n");
	assert_string_equal(value(SDA_Q "/nr_requests"), "64");
	run(&r, "set -r -n -o DEVICE,DEPTH,RESULT --stack --depth 99 dm-0");
	assert_int_equal(r.rc, 0);
	assert_string_equal(value(SDA_Q "/nr_requests"), "99");
	assert_string_equal(value(NVME_Q "/nr_requests"), "99");

	/* show and check name the same devices. */
	run(&r, "-r -n -o DEVICE,DEPTH dm-1");
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, "dm-1 \n");
	run(&r, "-r -n -o DEVICE,DEPTH --stack dm-1");
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, "sda 99\n");
	run(&r, "check --max-depth 80 loop0");
	assert_int_equal(r.rc, 1);
	assert_string_equal(r.out, "loop0: depth 100 > 80\n");
	/* --stack is for targets: not for restore. */
	run(&r, "restore --stack '%s/io/none'", fake_root);
	assert_int_equal(r.rc, 2);
	assert_string_equal(r.err, "qdepth: restore: --stack belongs to "
				   "'show', 'set', 'check' and 'stat'\n");
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
	snprintf(path, sizeof(path), "%s/run/qdepth/8:0.lock", fake_root);
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
	run(&r, "set -r -n -o DEVICE,RESULT --dry-run --depth 99 sda");
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, "sda planned\n");

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
	struct res r;

	(void)state;
	fake_write(QD_VIRT "/loop0/loop/backing_file", "/%s (deleted)\n",
		   QD_IMAGE);
	run(&r, "set -r -n -o DEVICE,RESULT --stack --depth 99 loop0");
	assert_int_equal(r.rc, 4);
	assert_string_equal(r.out, "loop0 skipped\n not\\x20applicable\n");
	assert_string_equal(r.err,
			    "qdepth: loop0: not changed: backing file "
			    "/images/disk.img (deleted) of loop0: the device "
			    "under it is unknown\n"
			    "qdepth: loop0: backing file /images/disk.img "
			    "(deleted) of loop0: the device under it is "
			    "unknown\n");
	assert_string_equal(fake_read(QD_VIRT "/loop0/queue/nr_requests"),
			    "128\n");
	run(&r, "check --stack --max-depth 200 loop0");
	assert_int_equal(r.rc, 4);
	assert_non_null(strstr(r.err, "the device under it is unknown\n"));
	run(&r, "show -r -n -o DEVICE,NOTE --stack loop0");
	assert_int_equal(r.rc, 0);
	assert_non_null(strstr(r.out, "\n backing\\x20file"));
	run(&r, "set -r -n -o DEVICE,RESULT --depth 99 loop0");
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, "loop0 applied\n");
}

/* A lock that cannot be taken: said, nothing changed, exit 3. */
static void test_set_lock_fails(void **state)
{
	struct res r;

	(void)state;
	fake_write("run", "not a directory\n");
	run(&r, "set -r -n -o DEVICE,RESULT --depth 99 sda nvme0n1");
	assert_int_equal(r.rc, 3);
	assert_string_equal(r.out, "sda failed\nnvme0n1 failed\n");
	assert_string_equal(r.err, "qdepth: sda: cannot lock "
				   "/run/qdepth/8:0.lock: Not a "
				   "directory\n"
				   "qdepth: nvme0n1: cannot lock "
				   "/run/qdepth/259:0.lock: Not a "
				   "directory\n");
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
		T(test_restore_refuses),
		T(test_restore_other_disk),
		T(test_restore_twice),
		T(test_save_only_when_changed),
		T(test_stat),
		T(test_stat_vanishes),
		T(test_stat_interrupted),
		T(test_show_unreadable),
		T(test_version_help),
		T(test_bug_set_shorter),
		T(test_bug_empty_scheduler),
		T(test_bug_check_dup),
	};
	const char *b = getenv("B");

	snprintf(qdepth, sizeof(qdepth), "%s/qdepth", b && *b ? b : "build");
	if (access(qdepth, X_OK) < 0) {
		fprintf(stderr, "%s: not built (run make all first)\n", qdepth);
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
