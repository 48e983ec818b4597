// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * preflight: policy parsing (good files, each kind of bad line with its
 * line number), every check's decision at PASS, WARN and FAIL, and the
 * measurements read from fake /proc and /sys trees.
 */
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
#include <sys/sysmacros.h>
#include <unistd.h>

#include "ctl/cgroup.h"
#include "ctl/ext4.h"
#include "ctl/file.h"
#include "ctl/preflight.h"
#include "ctl/root.h"
#include "fake.h"
#include "../fixtures/qdepth/tree.h"

/*
 * The policy, the decisions and the run are the preflight tool's, not
 * libctl's; unit tests link only libctl.a and libcli.a, so the tool's
 * files (all but main.c) are built into this test.
 */
#include "cmd/preflight/check-fs.c"
#include "cmd/preflight/check-host.c"
#include "cmd/preflight/policy.c"
#include "cmd/preflight/run.c"

static struct pf_policy pol;
static struct pf_result res;

static int setup(void **state)
{
	(void)state;
	pf_policy_init(&pol);
	memset(&res, 0, sizeof(res));
	return 0;
}

/* ---- policy ---- */

static void test_policy_defaults(void **state)
{
	(void)state;
	/* The article's five checks, as documented in preflight(8). */
	assert_int_equal(pol.depth_min, 32);
	assert_int_equal(pol.depth_warn, 128);
	assert_string_equal(pol.sched_recommend, "mq-deadline,none");
	assert_string_equal(pol.ext4_data_recommend, "ordered,journal");
	assert_int_equal(pol.commit_max, 60);
	assert_string_equal(pol.mount_recommend, "nosuid,noexec");
	assert_int_equal(pol.swappiness_min, 10);
	assert_int_equal(pol.swappiness_max, 60);
	assert_int_equal(pol.sat.util_pct, 85);
	assert_int_equal(pol.sat.samples, 3);
	assert_int_equal(pol.await_ms, 200);
	assert_false(pol.uring_require);
}

static void test_policy_parse_good(void **state)
{
	struct pf_perr e;
	const char *text = "# site policy\n"
			   "\n"
			   "  mount.require = nosuid, nodev   # trailing\n"
			   "queue.scheduler=mq-deadline\n"
			   "queue.depth_warn = 256\r\n"
			   "dirty.min_bytes = 64M\n"
			   "vm.swappiness_max = 30\n"
			   "uring.require = yes\n"
			   "ext4.data_recommend = ordered\n"
			   "mount.recommend =\n"
			   "space.reserve_pct = 0";

	(void)state;
	assert_int_equal(pf_policy_parse(text, &pol, &e), 0);
	assert_string_equal(pol.mount_require, "nosuid,nodev");
	assert_string_equal(pol.sched, "mq-deadline");
	assert_int_equal(pol.depth_warn, 256);
	assert_int_equal(pol.dirty_min, 64 << 20);
	assert_int_equal(pol.swappiness_max, 30);
	assert_true(pol.uring_require);
	assert_string_equal(pol.ext4_data_recommend, "ordered");
	assert_string_equal(pol.mount_recommend, "");
	assert_int_equal(pol.space_reserve_pct, 0);
	/* Untouched keys keep their defaults. */
	assert_int_equal(pol.depth_min, 32);
	assert_int_equal(e.line, 0);
	/* A key given twice: the last value, as the man page says. */
	assert_int_equal(pf_policy_parse("vm.swappiness_max = 40\n"
					 "\tvm.swappiness_max\t=\t50\t\n",
					 &pol, &e),
			 0);
	assert_int_equal(pol.swappiness_max, 50);
}

static void expect_bad(const char *text, unsigned int line, const char *msg)
{
	struct pf_perr e;
	struct pf_policy p;

	pf_policy_init(&p);
	assert_int_equal(pf_policy_parse(text, &p, &e), -EINVAL);
	if (e.line != line || !strstr(e.msg, msg))
		fail_msg("'%s': got line %u '%s', want line %u '%s'", text,
			 e.line, e.msg, line, msg);
}

static void test_policy_parse_bad(void **state)
{
	(void)state;
	expect_bad("# c\n\nqueue.depth = 4\n", 3, "unknown key 'queue.depth'");
	expect_bad("vm.swappiness_max = 30\nswappiness 30\n", 2,
		   "expected key = value");
	expect_bad("queue.depth_min = lots\n", 1, "not a size");
	/* Contradiction after a repeated key: the line of the last one. */
	expect_bad("vm.swappiness_min = 50\nvm.swappiness_max = 40\n"
		   "vm.swappiness_max = 45\n",
		   3, "vm.swappiness_min 50 is above vm.swappiness_max 45");
	{
		/* 600 bytes: too long as a value, fine as a comment. */
		char text[700];
		struct pf_policy p;

		snprintf(text, sizeof(text), "\nfs.types = %0600d\n", 0);
		expect_bad(text, 2, "line too long (at most 511 bytes)");
		snprintf(text, sizeof(text),
			 "vm.swappiness_max = 50 # %0600d\nqueue.depth = 1\n",
			 0);
		expect_bad(text, 2, "unknown key 'queue.depth'");
		pf_policy_init(&p);
		snprintf(text, sizeof(text),
			 "# %0600d\nvm.swappiness_max = 50\n", 0);
		assert_int_equal(pf_policy_parse(text, &p, NULL), 0);
		assert_int_equal(p.swappiness_max, 50);
	}
	expect_bad("\n\nvm.swappiness_max = 201\n", 3, "out of range 0-200");
	expect_bad("queue.util_pct = 101\n", 1, "out of range 0-100");
	expect_bad("ext4.commit_max = -1\n", 1, "not a number");
	expect_bad("ext4.data = ordered,fast\n", 1,
		   "'fast' is not a data mode");
	expect_bad("uring.require = maybe\n", 1, "not yes or no");
	expect_bad("fs.types = ext4\nqueue.samples =\n", 2, "empty value");
	/* Bounds that contradict each other: the line of the later key. */
	expect_bad("vm.swappiness_min = 50\n#\nvm.swappiness_max = 40\n", 3,
		   "vm.swappiness_min 50 is above vm.swappiness_max 40");
	expect_bad("ext4.commit_warn = 90\n", 1,
		   "ext4.commit_warn 90 is above ext4.commit_max 60");
	expect_bad("\nqueue.depth_max = 64\n", 2,
		   "queue.depth_max 64 is below queue.depth_warn 128");
	expect_bad("queue.util_pct = 0\n", 1, "queue.util_pct must be 1-100");
	/* The write needs rw: a policy asking for ro contradicts it. */
	expect_bad("mount.require = nosuid\nmount.require = nodev, ro\n", 2,
		   "mount.require: 'ro' contradicts the write (it needs rw)");
	expect_bad("\nmount.recommend = ro\n", 2,
		   "mount.recommend: 'ro' contradicts the write (it needs rw)");
	expect_bad("mount.forbid = rw,noatime\n", 1,
		   "mount.forbid: 'rw' contradicts the write (it needs rw)");
}

static void test_policy_load(void **state)
{
	struct pf_perr e;
	char path[512];

	(void)state;
	fake_new();
	fake_write("policy", "queue.depth_min = 8\nbogus = 1\n");
	snprintf(path, sizeof(path), "%s/policy", fake_root);
	assert_int_equal(pf_policy_load(path, &pol, &e), -EINVAL);
	assert_int_equal(e.line, 2);
	assert_int_equal(pol.depth_min, 8);
	fake_write("policy", "queue.depth_min = 16\n");
	assert_int_equal(pf_policy_load(path, &pol, &e), 0);
	assert_int_equal(pol.depth_min, 16);
	snprintf(path, sizeof(path), "%s/missing", fake_root);
	assert_int_equal(pf_policy_load(path, &pol, &e), -ENOENT);

	/* At most 64 KiB: exactly that loads, one byte more does not. */
	snprintf(path, sizeof(path), "%s/big", fake_root);
	for (size_t len = 65536; len <= 65537; len++) {
		char *big = malloc(len + 1);
		FILE *f;

		assert_non_null(big);
		for (size_t i = 0; i < len; i++)
			big[i] = i % 64 == 63 ? '\n' : '#';
		memcpy(big, "vm.swappiness_max = 50\n", 23);
		big[len] = '\0';
		f = fopen(path, "w");
		assert_non_null(f);
		assert_int_equal(fwrite(big, 1, len, f), len);
		assert_int_equal(fclose(f), 0);
		free(big);
		if (len == 65536) {
			assert_int_equal(pf_policy_load(path, &pol, &e), 0);
			assert_int_equal(pol.swappiness_max, 50);
		} else {
			assert_int_equal(pf_policy_load(path, &pol, &e),
					 -EFBIG);
			assert_string_equal(e.msg, "larger than 64 KiB");
		}
	}
	/* A NUL byte: not a text file. */
	{
		FILE *f = fopen(path, "w");

		assert_non_null(f);
		assert_int_equal(fwrite("a\0b\n", 1, 4, f), 4);
		assert_int_equal(fclose(f), 0);
	}
	assert_int_equal(pf_policy_load(path, &pol, &e), -EINVAL);
	assert_int_equal(e.line, 0);
	assert_string_equal(e.msg, "not a text file (NUL byte)");
	fake_free();
}

/*
 * A policy that is not a regular file is refused at once: a FIFO without
 * a writer (the alarm turns a hang into a failure), a directory, a device.
 */
static void test_policy_load_not_regular(void **state)
{
	struct pf_perr e;
	char path[512];

	(void)state;
	fake_new();
	snprintf(path, sizeof(path), "%s/fifo", fake_root);
	assert_int_equal(mkfifo(path, 0600), 0);
	alarm(5);
	assert_int_equal(pf_policy_load(path, &pol, &e), -CTL_ENOTREG);
	alarm(0);
	assert_int_equal(e.line, 0);
	assert_int_equal(pf_policy_load(fake_root, &pol, &e), -EISDIR);
	assert_int_equal(pf_policy_load("/dev/null", &pol, &e), -CTL_ENOTREG);
	assert_string_equal(ctl_file_strerror(CTL_ENOTREG),
			    "not a regular file");
	/* The policy is untouched by a refused file. */
	assert_int_equal(pol.depth_min, 32);
	fake_free();
}

/* ---- decisions ---- */

#define assert_status(want)                                                    \
	do {                                                                   \
		if (res.status != (want))                                      \
			fail_msg("%s: %s, want %s (value '%s', hint '%s')",    \
				 res.check, pf_status_name(res.status),        \
				 pf_status_name(want), res.value, res.hint);   \
	} while (0)

#define assert_hint(sub)                                                       \
	do {                                                                   \
		if (!strstr(res.hint, sub))                                    \
			fail_msg("%s: hint '%s' lacks '%s'", res.check,        \
				 res.hint, sub);                               \
	} while (0)

#define assert_no_hint(sub)                                                    \
	do {                                                                   \
		if (strstr(res.hint, sub))                                     \
			fail_msg("%s: hint '%s' has '%s'", res.check,          \
				 res.hint, sub);                               \
	} while (0)

static void test_judge_space(void **state)
{
	struct ctl_pf_space m = {.avail = 50ULL << 30,
				 .total = 100ULL << 30,
				 .size = 1ULL << 30,
				 .path = "/data/f"};

	(void)state;
	pf_judge_space(&m, &pol, &res);
	assert_string_equal(res.check, "space");
	assert_status(PF_PASS);
	assert_string_equal(res.value, "50G free of 100G");
	/* After the write less than 5% of 100G would be left. */
	m.size = 48ULL << 30;
	pf_judge_space(&m, &pol, &res);
	assert_status(PF_WARN);
	assert_hint("df -h /data/f");
	/* A rewrite through a temporary copy would not fit. */
	m.size = 10ULL << 30;
	m.file_size = 45ULL << 30;
	pf_judge_space(&m, &pol, &res);
	assert_status(PF_WARN);
	assert_hint("mmapwin patch");
	m.size = 51ULL << 30;
	pf_judge_space(&m, &pol, &res);
	assert_status(PF_FAIL);
	assert_hint("does not fit");

	/* A file system without a size (tmpfs size=0, proc): nothing to
	 * measure, so neither a PASS nor a FAIL. */
	m = (struct ctl_pf_space){.path = "/run/x", .size = 1 << 20};
	pf_judge_space(&m, &pol, &res);
	assert_status(PF_SKIP);
	assert_string_equal(res.value, "0B free of 0B");
	assert_hint("reports no size");
	m.size = 0;
	pf_judge_space(&m, &pol, &res);
	assert_status(PF_SKIP);

	/* The write size unknown (a directory or a new file without
	 * --size): only the reserve is judged, and the row says so. */
	m = (struct ctl_pf_space){.avail = 50ULL << 30,
				  .total = 100ULL << 30,
				  .size = CTL_PF_SIZE_UNKNOWN,
				  .path = "/data"};
	pf_judge_space(&m, &pol, &res);
	assert_status(PF_PASS);
	assert_string_equal(res.bound,
			    ">= 5G reserve (5%); write size unknown (--size)");
	m.avail = 4ULL << 30;
	pf_judge_space(&m, &pol, &res);
	assert_status(PF_WARN);
}

static void test_judge_fstype_mount(void **state)
{
	struct ctl_pf_mount m = {.target = "/data",
				 .fstype = "ext4",
				 .opts = "rw,nosuid,nodev,noexec,relatime,"
					 "errors=remount-ro"};

	(void)state;
	pf_judge_fstype(&m, &pol, &res);
	assert_status(PF_PASS);
	pf_judge_mount(&m, &pol, &res);
	assert_status(PF_PASS);

	snprintf(m.fstype, sizeof(m.fstype), "tmpfs");
	pf_judge_fstype(&m, &pol, &res);
	assert_status(PF_WARN);
	assert_hint("journal checks do not apply");
	snprintf(pol.fs_types, sizeof(pol.fs_types), "%s", "");
	pf_judge_fstype(&m, &pol, &res);
	assert_status(PF_PASS);

	/* The article's noexec/nosuid: recommended by default. */
	snprintf(m.opts, sizeof(m.opts), "rw,nosuid,relatime");
	pf_judge_mount(&m, &pol, &res);
	assert_status(PF_WARN);
	assert_hint("mount -o remount,noexec /data");
	/* ... required by a policy. */
	snprintf(pol.mount_require, sizeof(pol.mount_require), "nodev,noexec");
	pf_judge_mount(&m, &pol, &res);
	assert_status(PF_FAIL);
	assert_hint("nodev,noexec missing");
	/* name=value: that value exactly. */
	snprintf(m.opts, sizeof(m.opts), "rw,nosuid,noexec,relatime,commit=30");
	snprintf(pol.mount_require, sizeof(pol.mount_require), "commit=30");
	pf_judge_mount(&m, &pol, &res);
	assert_status(PF_PASS);
	snprintf(pol.mount_require, sizeof(pol.mount_require), "commit=5");
	pf_judge_mount(&m, &pol, &res);
	assert_status(PF_FAIL);
	assert_hint("mount -o remount,commit=5 /data");
	/* data= cannot change on a remount (EINVAL): not a remount hint. */
	snprintf(pol.mount_require, sizeof(pol.mount_require),
		 "nodev,data=journal");
	pf_judge_mount(&m, &pol, &res);
	assert_status(PF_FAIL);
	assert_no_hint("remount,nodev,data=");
	assert_hint("jcommit set --data journal --persist /data");
	assert_hint("mount -o remount,nodev /data");
	pol.mount_require[0] = '\0';
	snprintf(pol.mount_forbid, sizeof(pol.mount_forbid), "relatime");
	pf_judge_mount(&m, &pol, &res);
	assert_status(PF_FAIL);
	assert_hint("relatime set but forbidden");
	/* The hint is a command that undoes it. */
	assert_hint("mount -o remount,norelatime ");
	snprintf(pol.mount_forbid, sizeof(pol.mount_forbid), "noexec,nosuid");
	pf_judge_mount(&m, &pol, &res);
	assert_status(PF_FAIL);
	assert_hint(
		"noexec,nosuid set but forbidden: mount -o remount,exec,suid ");
	/* name=value has no opposite: say so instead of a wrong command. */
	snprintf(pol.mount_forbid, sizeof(pol.mount_forbid), "commit=30");
	pf_judge_mount(&m, &pol, &res);
	assert_status(PF_FAIL);
	assert_hint("commit=30 set but forbidden: no remount option undoes it; "
		    "drop it from the options of /data in /etc/fstab");
	assert_no_hint("mount -o");
	/* A read-only mount fails whatever the policy says. */
	pol.mount_forbid[0] = '\0';
	pol.mount_recommend[0] = '\0';
	m.ro = true;
	pf_judge_mount(&m, &pol, &res);
	assert_status(PF_FAIL);
	assert_hint("remount,rw");
}

/*
 * A mount that holds the running system: never a hint that remounts it
 * with an option that stops programs (noexec, nosuid, nodev, nosymfollow);
 * the row says why and where such data belongs instead.
 */
static void test_judge_mount_system(void **state)
{
	struct ctl_pf_mount m = {.target = "/",
				 .fstype = "ext4",
				 .opts = "rw,relatime,errors=remount-ro",
				 .system = "/usr"};

	(void)state;
	pf_judge_mount(&m, &pol, &res);
	assert_status(PF_WARN);
	assert_no_hint("remount");
	assert_hint("nosuid,noexec recommended, but not on /: it holds the "
		    "running system (/usr)");
	assert_hint("findmnt -O nosuid,noexec");
	/* Options that do not stop programs are still offered. */
	snprintf(pol.mount_recommend, sizeof(pol.mount_recommend),
		 "noexec,noatime,nosymfollow");
	pf_judge_mount(&m, &pol, &res);
	assert_status(PF_WARN);
	assert_hint("mount -o remount,noatime /");
	assert_no_hint("remount,noexec");
	assert_no_hint("nosymfollow /");
	assert_hint("findmnt -O noexec,nosymfollow");
	/* Required: still a FAIL, with the same reason. */
	pol.mount_recommend[0] = '\0';
	snprintf(pol.mount_require, sizeof(pol.mount_require), "nodev");
	pf_judge_mount(&m, &pol, &res);
	assert_status(PF_FAIL);
	assert_no_hint("remount");
	assert_hint("nodev missing, but not on /: it holds the running system "
		    "(/usr)");
	/* Forbidden, undone by an option that stops programs. */
	pol.mount_require[0] = '\0';
	snprintf(m.opts, sizeof(m.opts), "rw,exec,suid,relatime");
	snprintf(pol.mount_forbid, sizeof(pol.mount_forbid), "exec,relatime");
	pf_judge_mount(&m, &pol, &res);
	assert_status(PF_FAIL);
	assert_no_hint("noexec /");
	assert_hint("it holds the running system (/usr)");
	assert_hint("mount -o remount,norelatime /");
	/* The same mount outside the system gets the remount command. */
	m.system[0] = '\0';
	pf_judge_mount(&m, &pol, &res);
	assert_hint("mount -o remount,noexec,norelatime /");
}

static void test_judge_ext4(void **state)
{
	struct ctl_pf_ext4 m = {.data = CTL_EXT4_DATA_ORDERED,
				.commit = 5,
				.target = "/data",
				.source = "/dev/sdb1"};

	(void)state;
	pf_judge_data(&m, &pol, &res);
	assert_status(PF_PASS);
	assert_string_equal(res.value, "data=ordered");
	m.data = CTL_EXT4_DATA_WRITEBACK;
	pf_judge_data(&m, &pol, &res);
	assert_status(PF_WARN);
	assert_hint("jcommit set --data ordered --persist /data");
	/* data= cannot change on a remount: the next mount applies it. */
	assert_no_hint("then remount");
	assert_hint("applies at the next mount of /data");
	m.data = CTL_EXT4_DATA_NONE;
	pf_judge_data(&m, &pol, &res);
	assert_status(PF_FAIL);
	assert_string_equal(res.value, "data=none (no journal)");
	/* The command names the device (tune2fs can add it while mounted). */
	assert_hint("tune2fs -O has_journal /dev/sdb1");
	assert_no_hint("unmounted device");
	pf_judge_commit(&m, &pol, &res);
	assert_status(PF_SKIP);
	m.data = CTL_EXT4_DATA_WRITEBACK;
	snprintf(pol.ext4_data, sizeof(pol.ext4_data), "ordered");
	pf_judge_data(&m, &pol, &res);
	assert_status(PF_FAIL);
	/* The mode the hint sets is one the policy allows. */
	snprintf(pol.ext4_data, sizeof(pol.ext4_data), "journal");
	pf_judge_data(&m, &pol, &res);
	assert_status(PF_FAIL);
	assert_hint("jcommit set --data journal --persist /data");
	pol.ext4_data_recommend[0] = '\0';
	snprintf(pol.ext4_data, sizeof(pol.ext4_data),
		 "none,writeback,ordered");
	m.data = CTL_EXT4_DATA_JOURNAL;
	pf_judge_data(&m, &pol, &res);
	assert_status(PF_FAIL);
	assert_hint("jcommit set --data writeback --persist /data");
	/* A policy that allows no journal: tune2fs removes it, offline. */
	snprintf(pol.ext4_data, sizeof(pol.ext4_data), "none");
	pf_judge_data(&m, &pol, &res);
	assert_status(PF_FAIL);
	assert_hint("tune2fs -O ^has_journal /dev/sdb1, on the unmounted");
	assert_no_hint("jcommit");
	snprintf(pol.ext4_data, sizeof(pol.ext4_data), "ordered");
	m.data = CTL_EXT4_DATA_WRITEBACK;

	pf_judge_commit(&m, &pol, &res);
	assert_status(PF_PASS);
	m.commit = 45;
	pf_judge_commit(&m, &pol, &res);
	assert_status(PF_WARN);
	assert_hint("jcommit set --commit 30 /data");
	m.commit = 1;
	pf_judge_commit(&m, &pol, &res);
	assert_status(PF_WARN);
	m.commit = 61;
	pf_judge_commit(&m, &pol, &res);
	assert_status(PF_FAIL);
	m.commit = 60;
	pf_judge_commit(&m, &pol, &res);
	assert_status(PF_WARN);
}

static void test_judge_queue(void **state)
{
	struct ctl_pf_queue q = {.name = "sdb",
				 .sched = "mq-deadline",
				 .depth = 64,
				 .depth_range_max = 2048};

	(void)state;
	pf_judge_sched(&q, &pol, &res);
	assert_status(PF_PASS);
	snprintf(q.sched, sizeof(q.sched), "bfq");
	pf_judge_sched(&q, &pol, &res);
	assert_status(PF_WARN);
	assert_hint("qdepth set --scheduler mq-deadline sdb");
	snprintf(pol.sched, sizeof(pol.sched), "mq-deadline,kyber");
	pf_judge_sched(&q, &pol, &res);
	assert_status(PF_FAIL);
	assert_hint("qdepth set --scheduler mq-deadline sdb");
	/* The scheduler the hint sets is one the policy allows. */
	snprintf(pol.sched, sizeof(pol.sched), "kyber bfq");
	snprintf(q.sched, sizeof(q.sched), "mq-deadline");
	pf_judge_sched(&q, &pol, &res);
	assert_status(PF_FAIL);
	assert_hint("qdepth set --scheduler kyber sdb");
	/* Only "none" (not configurable): the policy must change. */
	snprintf(q.sched, sizeof(q.sched), "none");
	q.sched_fixed = true;
	pf_judge_sched(&q, &pol, &res);
	assert_status(PF_FAIL);
	assert_hint("add none to queue.scheduler");
	assert_no_hint("qdepth set");
	q.sched_fixed = false;
	snprintf(q.sched, sizeof(q.sched), "bfq");
	snprintf(pol.sched, sizeof(pol.sched), "mq-deadline,kyber");

	/* 64 is between the article's 32 (slow) and 128 (default). */
	pf_judge_depth(&q, &pol, &res);
	assert_status(PF_WARN);
	assert_hint("qdepth set --depth 128 sdb");
	q.depth = 16;
	pf_judge_depth(&q, &pol, &res);
	assert_status(PF_FAIL);
	q.depth = 256;
	pf_judge_depth(&q, &pol, &res);
	assert_status(PF_PASS);
	pol.depth_max = 128;
	pf_judge_depth(&q, &pol, &res);
	assert_status(PF_FAIL);
	assert_hint("qdepth set --depth 128 sdb");
	/* With "none" the hardware depth caps it: switch scheduler first. */
	pol.depth_max = 0;
	snprintf(q.sched, sizeof(q.sched), "none");
	q.depth = 64;
	q.depth_range_max = 64;
	pf_judge_depth(&q, &pol, &res);
	assert_status(PF_WARN);
	assert_hint("--scheduler mq-deadline --depth 128");
	/* ... to one the policy allows. */
	snprintf(pol.sched, sizeof(pol.sched), "none,kyber");
	pf_judge_depth(&q, &pol, &res);
	assert_hint("qdepth set --scheduler kyber --depth 128 sdb");
	/* Only "none" allowed: no switch; the most it can have. */
	snprintf(pol.sched, sizeof(pol.sched), "none");
	pf_judge_depth(&q, &pol, &res);
	assert_status(PF_WARN);
	assert_no_hint("--scheduler");
	assert_hint("qdepth set --depth max sdb");
	pol.sched[0] = '\0';
	/* Above what any scheduler allows (2048): no hint that fails. */
	pol.depth_warn = 4096;
	snprintf(q.sched, sizeof(q.sched), "mq-deadline");
	q.depth = 256;
	q.depth_range_max = 2048;
	pf_judge_depth(&q, &pol, &res);
	assert_status(PF_WARN);
	assert_no_hint("4096 sdb");
	assert_hint("qdepth set --depth max sdb");
	assert_hint("queue.depth_warn");
}

static void test_judge_saturation(void **state)
{
	struct ctl_pf_queue q = {
		.name = "sdb", .samples = 3, .util = 20, .await = 4};

	(void)state;
	pf_judge_saturation(&q, &pol, &res);
	assert_status(PF_PASS);
	q.saturated = true;
	q.util = 97;
	pf_judge_saturation(&q, &pol, &res);
	assert_status(PF_WARN);
	assert_hint("qdepth stat --saturation 85 sdb");
	q.await = 250;
	pf_judge_saturation(&q, &pol, &res);
	assert_status(PF_FAIL);
	q.samples = 0;
	pf_judge_saturation(&q, &pol, &res);
	assert_status(PF_SKIP);
}

static void test_judge_vm(void **state)
{
	struct ctl_pf_vm m = {.swappiness = 60,
			      .mem_total = 8ULL << 30,
			      .mem_avail = 4ULL << 30,
			      .cg_limit = CTL_CGROUP_UNLIMITED,
			      .size = 1ULL << 30};

	(void)state;
	pf_judge_swappiness(&m, &pol, &res);
	assert_status(PF_PASS);
	m.swappiness = 5;
	pf_judge_swappiness(&m, &pol, &res);
	assert_status(PF_WARN);
	m.swappiness = 100;
	pf_judge_swappiness(&m, &pol, &res);
	assert_status(PF_FAIL);
	assert_hint("swapadj set 60");

	pf_judge_memory(&m, &pol, &res);
	assert_status(PF_PASS);
	/* A cgroup limit smaller than the write. */
	m.cg_limit = 512ULL << 20;
	m.cg_version = 2;
	pf_judge_memory(&m, &pol, &res);
	assert_status(PF_WARN);
	assert_hint("swapadj run --memory-max");
	m.cg_limit = CTL_CGROUP_UNLIMITED;
	m.size = 5ULL << 30;
	pf_judge_memory(&m, &pol, &res);
	assert_status(PF_WARN);
	m.mem_avail = 512ULL << 20; /* 6% of 8G */
	pf_judge_memory(&m, &pol, &res);
	assert_status(PF_FAIL);
	/* Write size unknown: MemAvailable alone, said in the bound. */
	m.mem_avail = 4ULL << 30;
	m.size = CTL_PF_SIZE_UNKNOWN;
	pf_judge_memory(&m, &pol, &res);
	assert_status(PF_PASS);
	assert_string_equal(res.bound,
			    "avail >= 10%; write size unknown (--size)");
}

static void test_judge_dirty(void **state)
{
	struct ctl_pf_dirty m = {.ratio = 20,
				 .bg_ratio = 10,
				 .mem_avail = 10ULL << 30,
				 .size = 1ULL << 30};

	(void)state;
	pf_judge_dirty(&m, &pol, &res);
	assert_status(PF_PASS);
	assert_string_equal(
		res.value,
		"limit 2G (dirty_ratio), background 1G (dirty_background_ratio)");
	m.size = 3ULL << 30;
	pf_judge_dirty(&m, &pol, &res);
	assert_status(PF_WARN);
	/* Throttling a write larger than the limit is the kernel's job: no
	 * placeholder command that raises the limit to any N. */
	assert_no_hint("=N");
	assert_hint("mmapwin write");
	/* dirty_bytes wins over dirty_ratio, as in the kernel. */
	m.bytes = 8 << 20;
	pf_judge_dirty(&m, &pol, &res);
	assert_status(PF_FAIL);
	assert_hint("sysctl -w vm.dirty_bytes=16777216");
	m.bytes = 512 << 20;
	m.bg_bytes = 512 << 20;
	pf_judge_dirty(&m, &pol, &res);
	assert_status(PF_FAIL);
	assert_hint("dirty_background_bytes");
	/* Write size unknown: the limits alone, said in the bound. */
	m = (struct ctl_pf_dirty){.ratio = 20,
				  .bg_ratio = 10,
				  .mem_avail = 10ULL << 30,
				  .size = CTL_PF_SIZE_UNKNOWN};
	pf_judge_dirty(&m, &pol, &res);
	assert_status(PF_PASS);
	assert_string_equal(res.bound, "limit >= 16M, > background; "
				       "write size unknown (--size)");
	/* A zero limit stalls every writer whatever the policy says, and the
	 * hint's value is never 0 (which means "use the ratio"). */
	pol.dirty_min = 0;
	m = (struct ctl_pf_dirty){.mem_avail = 10ULL << 30, .size = 1};
	pf_judge_dirty(&m, &pol, &res);
	assert_status(PF_FAIL);
	assert_hint("sysctl -w vm.dirty_bytes=16777216");
	assert_no_hint("=0");
}

static void test_judge_uring(void **state)
{
	struct ctl_pf_uring m = {.disabled = 0, .probe = 0};

	(void)state;
	pf_judge_uring(&m, &pol, &res);
	assert_status(PF_PASS);
	m.disabled = 2;
	m.probe = -EPERM;
	pf_judge_uring(&m, &pol, &res);
	assert_status(PF_WARN);
	/* Never open io_uring to every user: one group at most. */
	assert_no_hint("io_uring_disabled=0");
	assert_hint("pwrite");
	pol.uring_require = true;
	pf_judge_uring(&m, &pol, &res);
	assert_no_hint("io_uring_disabled=0");
	assert_hint("sysctl -w kernel.io_uring_disabled=1");
	assert_hint("kernel.io_uring_group");
	m.disabled = 1;
	pf_judge_uring(&m, &pol, &res);
	assert_no_hint("io_uring_disabled=0");
	assert_hint("kernel.io_uring_group");
	/* Allowed by the sysctl, refused anyway: a seccomp filter. */
	m.disabled = 0;
	pf_judge_uring(&m, &pol, &res);
	assert_hint("seccomp");
	assert_no_hint("io_uring_disabled=");
	pol.uring_require = false;
	pol.uring_require = true;
	pf_judge_uring(&m, &pol, &res);
	assert_status(PF_FAIL);
	m.disabled = -1;
	m.probe = -ENOSYS;
	pf_judge_uring(&m, &pol, &res);
	assert_status(PF_FAIL);
	assert_hint("pwrite");
}

/* ---- measurements on fake trees ---- */

static struct ctl_root *fake_open(void)
{
	struct ctl_root *r;

	fake_new();
	fake_write("proc/sys/vm/swappiness", "35\n");
	fake_write("proc/meminfo", "MemTotal:        8000000 kB\n"
				   "MemFree:         1000000 kB\n"
				   "MemAvailable:    4000000 kB\n"
				   "SwapTotal:             0 kB\n");
	fake_write("proc/sys/vm/dirty_ratio", "20\n");
	fake_write("proc/sys/vm/dirty_bytes", "0\n");
	fake_write("proc/sys/vm/dirty_background_ratio", "10\n");
	fake_write("proc/sys/vm/dirty_background_bytes", "0\n");
	assert_int_equal(ctl_root_open(fake_root, &r), 0);
	return r;
}

static void test_measure_vm(void **state)
{
	struct ctl_root *r = fake_open();
	struct ctl_pf_vm m = {0};

	(void)state;
	/* No memory controller at all: no limit. */
	assert_int_equal(ctl_preflight_measure_vm(r, &m), 0);
	assert_int_equal(m.swappiness, 35);
	assert_int_equal(m.mem_total, 8000000ULL * 1024);
	assert_int_equal(m.mem_avail, 4000000ULL * 1024);
	assert_true(m.cg_limit == CTL_CGROUP_UNLIMITED);
	assert_int_equal(m.cg_version, 0);
	/* cgroup v2 with a limit on the caller's cgroup. */
	fake_write("sys/fs/cgroup/cgroup.controllers", "cpu io memory pids\n");
	fake_write("sys/fs/cgroup/app/memory.max", "536870912\n");
	fake_write("proc/self/cgroup", "0::/app\n");
	assert_int_equal(ctl_preflight_measure_vm(r, &m), 0);
	assert_int_equal(m.cg_version, 2);
	assert_int_equal(m.cg_limit, 512ULL << 20);
	assert_int_equal(m.cg_swappiness, -1); /* v2 has none */
	m.size = 1ULL << 30;
	pf_judge_memory(&m, &pol, &res);
	assert_status(PF_WARN);
	/* ... raised: judged against MemAvailable again. */
	fake_write("sys/fs/cgroup/app/memory.max", "max\n");
	assert_int_equal(ctl_preflight_measure_vm(r, &m), 0);
	pf_judge_memory(&m, &pol, &res);
	assert_status(PF_PASS);
	fake_write("proc/sys/vm/swappiness", "90\n");
	assert_int_equal(ctl_preflight_measure_vm(r, &m), 0);
	pf_judge_swappiness(&m, &pol, &res);
	assert_status(PF_FAIL);
	/* The caller's cgroup is not in the tree: its limit was not read,
	 * so it is not reported as "no cgroup limit". */
	fake_write("proc/self/cgroup", "0::/gone\n");
	assert_int_equal(ctl_preflight_measure_vm(r, &m), -ENOENT);
	ctl_root_free(r);
	fake_free();
}

/* cgroup v1 (these machines): memory.limit_in_bytes, smallest on the path. */
static void test_measure_vm_cgroup_v1(void **state)
{
	struct ctl_root *r = fake_open();
	struct ctl_pf_vm m = {0};

	(void)state;
	fake_write("sys/fs/cgroup/memory/memory.limit_in_bytes",
		   "9223372036854771712\n");
	fake_write("sys/fs/cgroup/memory/batch/memory.limit_in_bytes",
		   "268435456\n");
	fake_write("sys/fs/cgroup/memory/batch/job/memory.limit_in_bytes",
		   "9223372036854771712\n");
	fake_write("sys/fs/cgroup/memory/batch/job/memory.swappiness", "30\n");
	fake_write("proc/self/cgroup", "12:cpu,cpuacct:/\n"
				       "5:memory:/batch/job\n"
				       "0::/\n");
	assert_int_equal(ctl_preflight_measure_vm(r, &m), 0);
	assert_int_equal(m.cg_version, 1);
	assert_int_equal(m.cg_limit, 256ULL << 20);
	m.size = 300ULL << 20;
	pf_judge_memory(&m, &pol, &res);
	assert_status(PF_WARN);
	assert_true(strstr(res.value, "cgroup v1 max 256M") != NULL);
	m.size = 200ULL << 20;
	pf_judge_memory(&m, &pol, &res);
	assert_status(PF_PASS);

	/*
	 * Reclaim in a non-root v1 cgroup uses the cgroup's own
	 * memory.swappiness, not vm.swappiness: that is the value judged,
	 * and only swapadj run (a cgroup of its own) changes it for a
	 * command.
	 */
	assert_int_equal(m.swappiness, 35);
	assert_int_equal(m.cg_swappiness, 30);
	assert_string_equal(m.cg_path, "/batch/job");
	pf_judge_swappiness(&m, &pol, &res);
	assert_status(PF_PASS);
	assert_string_equal(res.value, "memory.swappiness=30 in cgroup v1 "
				       "/batch/job (vm.swappiness=35 outside)");
	fake_write("sys/fs/cgroup/memory/batch/job/memory.swappiness", "90\n");
	assert_int_equal(ctl_preflight_measure_vm(r, &m), 0);
	pf_judge_swappiness(&m, &pol, &res);
	assert_status(PF_FAIL);
	assert_hint("swapadj run --swappiness 60 -- COMMAND");
	assert_no_hint("swapadj set");
	fake_write("sys/fs/cgroup/memory/batch/job/memory.swappiness", "5\n");
	assert_int_equal(ctl_preflight_measure_vm(r, &m), 0);
	pf_judge_swappiness(&m, &pol, &res);
	assert_status(PF_WARN);
	assert_hint("swapadj run --swappiness 10 -- COMMAND");
	assert_no_hint("swapadj set");
	assert_no_hint("swapadj auto");

	/* In the root cgroup vm.swappiness applies. */
	fake_write("proc/self/cgroup", "5:memory:/\n");
	assert_int_equal(ctl_preflight_measure_vm(r, &m), 0);
	assert_int_equal(m.cg_swappiness, -1);
	pf_judge_swappiness(&m, &pol, &res);
	assert_string_equal(res.value, "vm.swappiness=35");

	/* A cgroup that is not there: not measured, so not a PASS. */
	fake_write("proc/self/cgroup", "5:memory:/gone\n");
	assert_int_equal(ctl_preflight_measure_vm(r, &m), -ENOENT);
	ctl_root_free(r);
	fake_free();
}

static void test_measure_dirty(void **state)
{
	struct ctl_root *r = fake_open();
	struct ctl_pf_dirty m = {0};

	(void)state;
	assert_int_equal(ctl_preflight_measure_dirty(r, &m), 0);
	assert_int_equal(m.ratio, 20);
	assert_int_equal(m.bg_ratio, 10);
	assert_int_equal(m.mem_avail, 4000000ULL * 1024);
	m.size = 100 << 20;
	pf_judge_dirty(&m, &pol, &res);
	assert_status(PF_PASS);
	fake_write("proc/sys/vm/dirty_bytes", "4194304\n");
	assert_int_equal(ctl_preflight_measure_dirty(r, &m), 0);
	assert_int_equal(m.bytes, 4 << 20);
	pf_judge_dirty(&m, &pol, &res);
	assert_status(PF_FAIL);
	unlink(strcat(strcpy((char[512]){0}, fake_root),
		      "/proc/sys/vm/dirty_background_bytes"));
	assert_int_equal(ctl_preflight_measure_dirty(r, &m), -ENOENT);
	ctl_root_free(r);
	fake_free();
}

static void test_measure_uring(void **state)
{
	struct ctl_root *r = fake_open();
	struct ctl_pf_uring m = {0};

	(void)state;
	assert_int_equal(ctl_preflight_measure_uring(r, &m), 0);
	assert_int_equal(m.disabled, -1);
	assert_true(m.probe <= 0);
	fake_write("proc/sys/kernel/io_uring_disabled", "2\n");
	assert_int_equal(ctl_preflight_measure_uring(r, &m), 0);
	assert_int_equal(m.disabled, 2);
	ctl_root_free(r);
	fake_free();
}

static void test_measure_queue(void **state)
{
	struct ctl_root *r = fake_open();
	struct ctl_pf_queue q;

	(void)state;
	fake_write("sys/block/sdz/queue/nr_requests", "64\n");
	fake_write("sys/block/sdz/queue/scheduler",
		   "[mq-deadline] kyber none\n");
	fake_write("sys/block/sdz/queue/rotational", "1\n");
	fake_write("sys/block/sdz/mq/0/nr_tags", "32\n");
	fake_write("proc/diskstats",
		   "   8       0 sdz 100 0 800 50 200 0 1600 400 0 300 450 "
		   "0 0 0 0 0 0\n");
	pol.sat.samples = 2;
	pol.sat.sample_ms = 1;
	assert_int_equal(ctl_preflight_measure_queue(r, "sdz", &pol.sat, &q),
			 0);
	assert_string_equal(q.sched, "mq-deadline");
	assert_int_equal(q.depth, 64);
	assert_int_equal(q.depth_range_max, 2048);
	assert_int_equal(q.samples, 2);
	/* A static diskstats file: idle. */
	assert_false(q.saturated);
	assert_true(q.util == 0);
	pf_judge_depth(&q, &pol, &res);
	assert_status(PF_WARN);
	pf_judge_saturation(&q, &pol, &res);
	assert_status(PF_PASS);
	pol.sat.samples = 0;
	assert_int_equal(ctl_preflight_measure_queue(r, "sdz", &pol.sat, &q),
			 0);
	assert_int_equal(q.samples, 0);
	assert_int_equal(ctl_preflight_measure_queue(r, "sdy", &pol.sat, &q),
			 -ENODEV);
	/* Several disks sampled together: one missing does not stop the
	 * others. */
	{
		const char *names[] = {"sdy", "sdz"};
		struct ctl_pf_queue qs[2];
		int errs[2];

		pol.sat.samples = 1;
		ctl_preflight_measure_queues(r, names, 2, &pol.sat, qs, errs);
		assert_int_equal(errs[0], -ENODEV);
		assert_int_equal(errs[1], 0);
		assert_string_equal(qs[1].name, "sdz");
		assert_int_equal(qs[1].samples, 1);
		/* In /sys/block but not in /proc/diskstats. */
		fake_write("sys/block/sdx/queue/nr_requests", "64\n");
		names[0] = "sdx";
		ctl_preflight_measure_queues(r, names, 2, &pol.sat, qs, errs);
		assert_int_equal(errs[0], -ENODEV);
		assert_int_equal(errs[1], 0);
	}
	ctl_root_free(r);
	fake_free();
}

/* "MAJ:MIN" of the file system holding host path P. */
static const char *devno(const char *p)
{
	static char buf[8][32];
	static int k;
	struct stat st;

	assert_int_equal(stat(p, &st), 0);
	k = (k + 1) % 8;
	snprintf(buf[k], sizeof(buf[k]), "%u:%u", major(st.st_dev),
		 minor(st.st_dev));
	return buf[k];
}

/* The system reason the gatherer finds for host path P. */
static const char *system_of(struct ctl_root *r, const char *p)
{
	static struct ctl_pf_mount m;

	memset(&m, 0xff, sizeof(m));
	assert_int_equal(ctl_preflight_measure_mount(r, p, &m), 0);
	return m.system;
}

/*
 * Which mounts hold the running system, from a fake mountinfo (every
 * mount on the tree's own file system, like bind mounts) and a fake
 * /proc/self/maps: the sysroot's /, /usr, and the mount of a file that
 * maps executable code; not a mount with only data mapped, not one
 * whose mapped file was deleted.
 */
static void test_measure_mount_system(void **state)
{
	char d[256], p[512], want[512];
	struct ctl_pf_mount m;
	struct ctl_root *r;

	(void)state;
	fake_new();
	snprintf(d, sizeof(d), "%s", fake_root);
	fake_mkdir("data");
	fake_mkdir("usr/lib");
	fake_write("opt/app/bin/tool", "#!/bin/sh\n");
	fake_write("opt/lib/data.bin", "x");
	fake_write("opt/lib/gone.so", "x");
	fake_write("proc/self/mountinfo",
		   "10 1 %s / %s rw,relatime - ext4 /dev/fk0 rw\n"
		   "11 10 %s /data %s/data rw,relatime - ext4 /dev/fk0 rw\n"
		   "12 10 %s /usr %s/usr ro,relatime - ext4 /dev/fk0 rw\n"
		   "13 10 %s /opt/app %s/opt/app rw - ext4 /dev/fk0 rw\n"
		   "14 10 %s /opt/lib %s/opt/lib rw - ext4 /dev/fk0 rw\n",
		   devno(d), d, devno(d), d, devno(d), d, devno(d), d, devno(d),
		   d);
	fake_write("proc/self/maps",
		   "55d000000000-55d000001000 r-xp 00000000 fe:00 12 "
		   "%s/opt/app/bin/tool\n"
		   "7f0000000000-7f0000001000 r--p 00000000 fe:00 13 "
		   "%s/opt/lib/data.bin\n"
		   "7f0000002000-7f0000003000 r-xp 00000000 fe:00 14 "
		   "%s/opt/lib/gone.so (deleted)\n"
		   "7ffd00000000-7ffd00001000 r-xp 00000000 00:00 0 "
		   "  [vdso]\n",
		   d, d, d);
	assert_int_equal(ctl_root_open(fake_root, &r), 0);

	snprintf(p, sizeof(p), "%s/data", d);
	assert_string_equal(system_of(r, p), "");
	assert_int_equal(ctl_preflight_measure_mount(r, p, &m), 0);
	snprintf(want, sizeof(want), "%s/data", d);
	assert_string_equal(m.target, want);
	assert_string_equal(m.source, "/dev/fk0");
	assert_string_equal(m.fstype, "ext4");
	assert_false(m.ro);
	/* The sysroot's own /, and its /usr. */
	assert_string_equal(system_of(r, d), d);
	snprintf(p, sizeof(p), "%s/usr/lib", d);
	snprintf(want, sizeof(want), "%s/usr", d);
	assert_string_equal(system_of(r, p), want);
	/* Code mapped from the mount: the program running now. */
	snprintf(p, sizeof(p), "%s/opt/app", d);
	snprintf(want, sizeof(want), "code running now: %s/opt/app/bin/tool",
		 d);
	assert_string_equal(system_of(r, p), want);
	/* Only data mapped, or a deleted file: not the system. */
	snprintf(p, sizeof(p), "%s/opt/lib", d);
	assert_string_equal(system_of(r, p), "");
	/* No maps file: the fixed directories still count. */
	snprintf(p, sizeof(p), "%s/proc/self/maps", d);
	assert_int_equal(unlink(p), 0);
	snprintf(p, sizeof(p), "%s/opt/app", d);
	assert_string_equal(system_of(r, p), "");
	snprintf(p, sizeof(p), "%s/usr", d);
	snprintf(want, sizeof(want), "%s/usr", d);
	assert_string_equal(system_of(r, p), want);
	/* A FIFO in its place is not read (the alarm turns a hang into a
	 * failure). */
	snprintf(p, sizeof(p), "%s/proc/self/maps", d);
	assert_int_equal(mkfifo(p, 0600), 0);
	snprintf(p, sizeof(p), "%s/opt/app", d);
	alarm(5);
	assert_string_equal(system_of(r, p), "");
	alarm(0);
	ctl_root_free(r);
	fake_free();
}

/* TARGET as preflight takes it (pf_target), then the run. */
static int run(struct ctl_root *r, const char *target, uint64_t size,
	       struct pf_result **v, size_t *n)
{
	struct ctl_target t;
	int err = pf_target(r, target, &t);

	return err < 0 ? err : pf_run(r, &t, size, &pol, v, n);
}

/*
 * A whole run against an empty fake tree: every check that cannot be
 * measured is an ERROR or SKIP row, none is silently dropped.
 */
static void test_run_empty_tree(void **state)
{
	struct pf_result *v = NULL;
	struct ctl_root *r;
	size_t n = 0;
	int space = 0, mount = 0, uring = 0, swp = 0, mem = 0;

	(void)state;
	fake_new();
	assert_int_equal(ctl_root_open(fake_root, &r), 0);
	pol.sat.samples = 0;
	assert_int_equal(run(r, fake_root, 4096, &v, &n), 0);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(v[i].check, "space") == 0) {
			space++;
			/* statvfs is of the host path, not the tree. */
			assert_true(v[i].status == PF_PASS ||
				    v[i].status == PF_WARN);
		} else if (strcmp(v[i].check, "io_uring") == 0) {
			/* The sysctl is optional; the probe decides. */
			uring++;
			assert_true(v[i].status == PF_PASS ||
				    v[i].status == PF_WARN);
		} else {
			if (strcmp(v[i].check, "mount") == 0) {
				char want[512];

				mount++;
				snprintf(want, sizeof(want),
					 "see findmnt --target %s", fake_root);
				assert_string_equal(v[i].hint, want);
				assert_int_equal(v[i].status, PF_ERROR);
				assert_true(v[i].err < 0);
			}
			swp += strcmp(v[i].check, "swappiness") == 0;
			mem += strcmp(v[i].check, "memory") == 0;
			assert_true(v[i].status == PF_ERROR ||
				    v[i].status == PF_SKIP);
		}
	}
	assert_int_equal(space, 1);
	assert_int_equal(mount, 1);
	assert_int_equal(uring, 1);
	free(v);
	/* A directory without a size: the size is unknown, not 0 bytes. */
	assert_int_equal(run(r, fake_root, CTL_PF_SIZE_UNKNOWN, &v, &n), 0);
	assert_string_equal(v[0].check, "space");
	assert_true(strstr(v[0].bound, "write size unknown (--size)") != NULL);
	/* Each check that could not be measured keeps its own row. */
	assert_int_equal(swp, 1);
	assert_int_equal(mem, 1);
	free(v);
	assert_int_equal(run(r, "/nonexistent-dir/x", 0, &v, &n), -ENOENT);
	ctl_root_free(r);
	fake_free();
}

/* The mount row's hint of a run on TARGET, from the cwd DIR. */
static int run_hint(struct ctl_root *r, const char *dir, const char *target,
		    char *hint, size_t len)
{
	struct pf_result *v = NULL;
	int cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	size_t n = 0;
	int err;

	assert_true(cwd >= 0);
	assert_int_equal(chdir(dir), 0);
	err = run(r, target, 0, &v, &n);
	assert_int_equal(fchdir(cwd), 0);
	close(cwd);
	hint[0] = '\0';
	for (size_t i = 0; !err && i < n; i++)
		if (strcmp(v[i].check, "mount") == 0)
			snprintf(hint, len, "%s", v[i].hint);
	free(v);
	return err;
}

/*
 * A relative TARGET is a file in the cwd, never a kernel device name
 * (ctl/target.h, CTL_TARGET_FILE), measured by its absolute path. A
 * dangling symlink is measured where the write would land, not next to
 * the link.
 */
static void test_run_target_names(void **state)
{
	char hint[512], want[512], link[512];
	struct pf_result *v = NULL;
	struct ctl_root *r;
	size_t n = 0;

	(void)state;
	fake_new();
	assert_int_equal(ctl_root_open(fake_root, &r), 0);
	pol.sat.samples = 0;
	snprintf(want, sizeof(want), "see findmnt --target %s", fake_root);
	assert_int_equal(run_hint(r, fake_root, "new.bin", hint, sizeof(hint)),
			 0);
	assert_string_equal(hint, want);
	assert_int_equal(run_hint(r, fake_root, ".", hint, sizeof(hint)), 0);
	assert_string_equal(hint, want);

	/* link -> link2 -> /nonexistent-dir/x: the write has nowhere to go. */
	snprintf(link, sizeof(link), "%s/link", fake_root);
	assert_int_equal(symlink("link2", link), 0);
	snprintf(link, sizeof(link), "%s/link2", fake_root);
	assert_int_equal(symlink("/nonexistent-dir/x", link), 0);
	assert_int_equal(run_hint(r, fake_root, "link", hint, sizeof(hint)),
			 -ENOENT);
	/* link3 -> sub/new.bin: measured in sub. */
	fake_mkdir("sub");
	snprintf(link, sizeof(link), "%s/link3", fake_root);
	assert_int_equal(symlink("sub/new.bin", link), 0);
	snprintf(want, sizeof(want), "see findmnt --target %s/sub", fake_root);
	assert_int_equal(run_hint(r, fake_root, "link3", hint, sizeof(hint)),
			 0);
	assert_string_equal(hint, want);

	assert_int_equal(run(r, "", 0, &v, &n), -EINVAL);
	ctl_root_free(r);
	fake_free();
}

/* An ERROR row names a non-regular file as such, not "Unknown error". */
static void test_run_error_text(void **state)
{
	struct pf_result *v = NULL;
	struct ctl_root *r;
	char path[512];
	size_t n = 0;
	int found = 0;

	(void)state;
	fake_new();
	fake_mkdir("proc/self");
	snprintf(path, sizeof(path), "%s/proc/self/mountinfo", fake_root);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(ctl_root_open(fake_root, &r), 0);
	pol.sat.samples = 0;
	alarm(5);
	assert_int_equal(run(r, fake_root, 0, &v, &n), 0);
	alarm(0);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(v[i].check, "mount") != 0)
			continue;
		found = 1;
		assert_int_equal(v[i].status, PF_ERROR);
		assert_string_equal(v[i].value,
				    "mountinfo: not a regular file");
	}
	assert_int_equal(found, 1);
	free(v);
	ctl_root_free(r);
	fake_free();
}

/*
 * A TARGET that is neither a file nor a directory is refused: its space,
 * mount and journal would be those of /dev (or wherever the node lives),
 * not of what the write reaches. Nothing is opened, so a FIFO cannot hang.
 */
static void test_run_not_a_file(void **state)
{
	struct pf_result *v = NULL;
	char path[512], link[512];
	struct ctl_root *r;
	size_t n = 0;

	(void)state;
	fake_new();
	assert_int_equal(ctl_root_open(fake_root, &r), 0);
	pol.sat.samples = 0;
	assert_int_equal(run(r, "/dev/null", 0, &v, &n), -CTL_ENOTREG);
	snprintf(path, sizeof(path), "%s/fifo", fake_root);
	assert_int_equal(mkfifo(path, 0600), 0);
	alarm(5);
	assert_int_equal(run(r, path, 0, &v, &n), -CTL_ENOTREG);
	alarm(0);
	/* Through a symlink too. */
	snprintf(link, sizeof(link), "%s/null", fake_root);
	assert_int_equal(symlink("/dev/null", link), 0);
	assert_int_equal(run(r, link, 0, &v, &n), -CTL_ENOTREG);
	assert_null(v);
	ctl_root_free(r);
	fake_free();
}

/*
 * A file on a loop device whose backing file was deleted: the device below
 * it exists but cannot be found. Its row says "unknown device", not "no
 * block device" (which is what tmpfs gets: truly none).
 */
static void test_run_unknown_below(void **state)
{
	struct pf_result *v = NULL;
	struct ctl_root *r;
	char path[512];
	size_t n = 0;
	int unknown = 0;

	(void)state;
	fake_new();
	qd_tree();
	if (!qd_image_on(QD_VIRT "/loop0")) {
		fake_free();
		skip(); /* the tree lies on tmpfs: no device to map */
	}
	fake_write(QD_VIRT "/loop0/loop/backing_file", "/%s (deleted)\n",
		   QD_IMAGE);
	assert_int_equal(ctl_root_open(fake_root, &r), 0);
	pol.sat.samples = 0;
	snprintf(path, sizeof(path), "%s/%s", fake_root, QD_IMAGE);
	assert_int_equal(run(r, path, 0, &v, &n), 0);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(v[i].check, "queue") != 0)
			continue;
		assert_int_equal(v[i].status, PF_SKIP);
		assert_string_equal(v[i].value, "unknown device");
		assert_non_null(strstr(v[i].hint, "the device under it is "
						  "unknown"));
		unknown++;
	}
	assert_int_equal(unknown, 1);
	free(v);
	ctl_root_free(r);
	fake_free();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_policy_defaults, setup),
		cmocka_unit_test_setup(test_policy_parse_good, setup),
		cmocka_unit_test_setup(test_policy_parse_bad, setup),
		cmocka_unit_test_setup(test_policy_load, setup),
		cmocka_unit_test_setup(test_policy_load_not_regular, setup),
		cmocka_unit_test_setup(test_judge_space, setup),
		cmocka_unit_test_setup(test_judge_fstype_mount, setup),
		cmocka_unit_test_setup(test_judge_mount_system, setup),
		cmocka_unit_test_setup(test_judge_ext4, setup),
		cmocka_unit_test_setup(test_judge_queue, setup),
		cmocka_unit_test_setup(test_judge_saturation, setup),
		cmocka_unit_test_setup(test_judge_vm, setup),
		cmocka_unit_test_setup(test_judge_dirty, setup),
		cmocka_unit_test_setup(test_judge_uring, setup),
		cmocka_unit_test_setup(test_measure_vm, setup),
		cmocka_unit_test_setup(test_measure_vm_cgroup_v1, setup),
		cmocka_unit_test_setup(test_measure_dirty, setup),
		cmocka_unit_test_setup(test_measure_uring, setup),
		cmocka_unit_test_setup(test_measure_queue, setup),
		cmocka_unit_test_setup(test_measure_mount_system, setup),
		cmocka_unit_test_setup(test_run_empty_tree, setup),
		cmocka_unit_test_setup(test_run_target_names, setup),
		cmocka_unit_test_setup(test_run_not_a_file, setup),
		cmocka_unit_test_setup(test_run_unknown_below, setup),
		cmocka_unit_test_setup(test_run_error_text, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
