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
#include <math.h>
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

/* A table's row gives its fields up to the last one that matters. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#define MIB (1ULL << 20)
#define GIB (1ULL << 30)

/*
 * What one decision must give: STATUS, VALUE and BOUND when not NULL, and
 * a hint with each of HAS in it and none of LACKS.
 */
struct want {
	enum pf_status status;
	const char *has[3], *lacks[2];
	const char *value, *bound;
};

/* RES against W, the row of table entry I (for the message). */
static void expect_row(const struct want *w, size_t i)
{
	if (res.status != w->status)
		fail_msg("%s #%zu: %s, want %s (value '%s', hint '%s')",
			 res.check, i, pf_status_name(res.status),
			 pf_status_name(w->status), res.value, res.hint);
	for (size_t k = 0; k < ARRAY_SIZE(w->has) && w->has[k]; k++)
		if (!strstr(res.hint, w->has[k]))
			fail_msg("%s #%zu: hint '%s' lacks '%s'", res.check, i,
				 res.hint, w->has[k]);
	for (size_t k = 0; k < ARRAY_SIZE(w->lacks) && w->lacks[k]; k++)
		if (strstr(res.hint, w->lacks[k]))
			fail_msg("%s #%zu: hint '%s' has '%s'", res.check, i,
				 res.hint, w->lacks[k]);
	if (w->value)
		assert_string_equal(res.value, w->value);
	if (w->bound)
		assert_string_equal(res.bound, w->bound);
}

#define SET(field, s) snprintf(field, sizeof(field), "%s", s)

/* A write of SIZE to /data/f (FILE_SIZE now), 50G free of 100G. */
#define DATA_F(size_, file_size_)                                              \
	{                                                                      \
		.avail = 50 * GIB, .total = 100 * GIB, .size = (size_),        \
		.file_size = (file_size_), .path = "/data/f"                   \
	}

static void test_judge_space(void **state)
{
	static const struct {
		struct ctl_pf_space m;
		struct want w;
	} t[] = {
		{DATA_F(GIB, 0), {PF_PASS, .value = "50G free of 100G"}},
		/* After the write less than 5% of 100G would be left. */
		{DATA_F(48 * GIB, 0), {PF_WARN, {"df -h /data/f"}}},
		/* A rewrite through a temporary copy would not fit. */
		{DATA_F(10 * GIB, 45 * GIB), {PF_WARN, {"mmapwin patch"}}},
		{DATA_F(51 * GIB, 45 * GIB), {PF_FAIL, {"does not fit"}}},
		/* A file system without a size (tmpfs size=0, proc): nothing
		 * to measure, so neither a PASS nor a FAIL. */
		{{.path = "/run/x", .size = MIB},
		 {PF_SKIP, {"reports no size"}, .value = "0B free of 0B"}},
		{{.path = "/run/x"}, {PF_SKIP}},
		/* The write size unknown (a directory or a new file without
		 * --size): only the reserve is judged, and the row says so. */
		{{.avail = 50 * GIB,
		  .total = 100 * GIB,
		  .size = CTL_PF_SIZE_UNKNOWN,
		  .path = "/data"},
		 {PF_PASS,
		  .bound = ">= 5G reserve (5%); write size unknown (--size)"}},
		{{.avail = 4 * GIB,
		  .total = 100 * GIB,
		  .size = CTL_PF_SIZE_UNKNOWN,
		  .path = "/data"},
		 {PF_WARN}},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		pf_judge_space(&t[i].m, &pol, &res);
		assert_string_equal(res.check, "space");
		expect_row(&t[i].w, i);
		/* The numbers tell the same: PASS just when MIN is free. */
		assert_string_equal(res.unit, "bytes");
		assert_true(res.measured == (double)t[i].m.avail);
		assert_true(isnan(res.max));
		if (res.status == PF_SKIP)
			assert_true(isnan(res.min));
		else
			assert_int_equal(res.status == PF_PASS,
					 res.measured >= res.min);
	}
}

/* A mount judged under a policy: NULL keeps the default of a list. */
struct mount_case {
	const char *target, *opts, *system;
	bool ro;
	const char *require, *forbid, *recommend;
	struct want w;
};

static void judge_mounts(const struct mount_case *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct mount_case *c = &t[i];
		struct ctl_pf_mount m = {.fstype = "ext4", .ro = c->ro};

		SET(m.target, c->target);
		SET(m.opts, c->opts);
		SET(m.system, c->system ? c->system : "");
		pf_policy_init(&pol);
		if (c->require)
			SET(pol.mount_require, c->require);
		if (c->forbid)
			SET(pol.mount_forbid, c->forbid);
		if (c->recommend)
			SET(pol.mount_recommend, c->recommend);
		pf_judge_mount(&m, &pol, &res);
		expect_row(&c->w, i);
	}
}

static void test_judge_fstype_mount(void **state)
{
	static const struct {
		const char *fstype, *fs_types;
		struct want w;
	} ft[] = {
		{"ext4", NULL, {PF_PASS}},
		{"tmpfs", NULL, {PF_WARN, {"journal checks do not apply"}}},
		{"tmpfs", "", {PF_PASS}},
	};
	static const char data[] = "/data";
	static const char some[] = "rw,nosuid,relatime";
	static const char c30[] = "rw,nosuid,noexec,relatime,commit=30";
	static const struct mount_case t[] = {
		{data, "rw,nosuid,nodev,noexec,relatime,errors=remount-ro",
		 .w = {PF_PASS}},
		/* The article's noexec/nosuid: recommended by default. */
		{data, some, .w = {PF_WARN, {"mount -o remount,noexec /data"}}},
		/* ... required by a policy. */
		{data, some, .require = "nodev,noexec",
		 .w = {PF_FAIL, {"nodev,noexec missing"}}},
		/* name=value: that value exactly. */
		{data, c30, .require = "commit=30", .w = {PF_PASS}},
		{data, c30, .require = "commit=5",
		 .w = {PF_FAIL, {"mount -o remount,commit=5 /data"}}},
		/* data= cannot change on a remount (EINVAL): not a remount
		 * hint. */
		{data, c30, .require = "nodev,data=journal",
		 .w = {PF_FAIL,
		       {"jcommit set --data journal --persist /data",
			"mount -o remount,nodev /data"},
		       {"remount,nodev,data="}}},
		/* The hint is a command that undoes it. */
		{data, c30, .forbid = "relatime",
		 .w = {PF_FAIL,
		       {"relatime set but forbidden",
			"mount -o remount,norelatime "}}},
		{data, c30, .forbid = "noexec,nosuid",
		 .w = {PF_FAIL,
		       {"noexec,nosuid set but forbidden: mount -o remount,exec,suid "}}},
		/* name=value has no opposite: say so instead of a wrong
		 * command. */
		{data, c30, .forbid = "commit=30",
		 .w = {PF_FAIL,
		       {"commit=30 set but forbidden: no remount option undoes it; drop it from the options of /data in /etc/fstab"},
		       {"mount -o"}}},
		/* A read-only mount fails whatever the policy says. */
		{data, c30, .ro = true, .recommend = "",
		 .w = {PF_FAIL, {"remount,rw"}}},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(ft); i++) {
		struct ctl_pf_mount m = {.target = "/data"};

		SET(m.fstype, ft[i].fstype);
		if (ft[i].fs_types)
			SET(pol.fs_types, ft[i].fs_types);
		pf_judge_fstype(&m, &pol, &res);
		expect_row(&ft[i].w, i);
	}
	judge_mounts(t, ARRAY_SIZE(t));
}

/*
 * A mount that holds the running system: never a hint that remounts it
 * with an option that stops programs (noexec, nosuid, nodev, nosymfollow);
 * the row says why and where such data belongs instead.
 */
static void test_judge_mount_system(void **state)
{
	static const char sys[] = "it holds the running system (/usr)";
	static const char opts[] = "rw,relatime,errors=remount-ro";
	static const char exec[] = "rw,exec,suid,relatime";
	static const struct mount_case t[] = {
		{"/", opts, "/usr",
		 .w = {PF_WARN,
		       {"nosuid,noexec recommended, but not on /: it holds the running system (/usr)",
			"findmnt -O nosuid,noexec"},
		       {"remount"}}},
		/* Options that do not stop programs are still offered. */
		{"/", opts, "/usr", .recommend = "noexec,noatime,nosymfollow",
		 .w = {PF_WARN,
		       {"mount -o remount,noatime /",
			"findmnt -O noexec,nosymfollow"},
		       {"remount,noexec", "nosymfollow /"}}},
		/* Required: still a FAIL, with the same reason. */
		{"/", opts, "/usr", .require = "nodev", .recommend = "",
		 .w = {PF_FAIL,
		       {"nodev missing, but not on /: it holds the running system (/usr)"},
		       {"remount"}}},
		/* Forbidden, undone by an option that stops programs. */
		{"/", exec, "/usr", .forbid = "exec,relatime", .recommend = "",
		 .w = {PF_FAIL,
		       {sys, "mount -o remount,norelatime /"},
		       {"noexec /"}}},
		/* The same mount outside the system gets the remount command. */
		{"/", exec, .forbid = "exec,relatime", .recommend = "",
		 .w = {PF_FAIL, {"mount -o remount,noexec,norelatime /"}}},
	};

	(void)state;
	judge_mounts(t, ARRAY_SIZE(t));
}

/* A journal judged by JUDGE under a policy (NULL: the default list). */
struct ext4_case {
	void (*judge)(const struct ctl_pf_ext4 *m, const struct pf_policy *p,
		      struct pf_result *res);
	int data;
	unsigned int commit;
	const char *allowed, *recommend;
	struct want w;
};

static void test_judge_ext4(void **state)
{
	enum {
		ORD = CTL_EXT4_DATA_ORDERED,
		WB = CTL_EXT4_DATA_WRITEBACK,
		JNL = CTL_EXT4_DATA_JOURNAL,
		NONE = CTL_EXT4_DATA_NONE,
	};
	static const struct ext4_case t[] = {
		{pf_judge_data, ORD, 5,
		 .w = {PF_PASS, .value = "data=ordered"}},
		/* data= cannot change on a remount: the next mount applies
		 * it. */
		{pf_judge_data, WB, 5,
		 .w = {PF_WARN,
		       {"jcommit set --data ordered --persist /data",
			"applies at the next mount of /data"},
		       {"then remount"}}},
		/* The command names the device (tune2fs can add it while
		 * mounted). */
		{pf_judge_data, NONE, 5,
		 .w = {PF_FAIL,
		       {"tune2fs -O has_journal /dev/sdb1"},
		       {"unmounted device"},
		       .value = "data=none (no journal)"}},
		{pf_judge_commit, NONE, 5, .w = {PF_SKIP}},
		{pf_judge_data, WB, 5, "ordered", .w = {PF_FAIL}},
		/* The mode the hint sets is one the policy allows. */
		{pf_judge_data, WB, 5, "journal",
		 .w = {PF_FAIL,
		       {"jcommit set --data journal --persist /data"}}},
		{pf_judge_data, JNL, 5, "none,writeback,ordered", "",
		 .w = {PF_FAIL,
		       {"jcommit set --data writeback --persist /data"}}},
		/* A policy that allows no journal: tune2fs removes it,
		 * offline. */
		{pf_judge_data, JNL, 5, "none", "",
		 .w = {PF_FAIL,
		       {"tune2fs -O ^has_journal /dev/sdb1, on the unmounted"},
		       {"jcommit"}}},
		{pf_judge_commit, WB, 5, .w = {PF_PASS}},
		{pf_judge_commit, WB, 45,
		 .w = {PF_WARN, {"jcommit set --commit 30 /data"}}},
		{pf_judge_commit, WB, 1, .w = {PF_WARN}},
		{pf_judge_commit, WB, 61, .w = {PF_FAIL}},
		{pf_judge_commit, WB, 60, .w = {PF_WARN}},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		struct ctl_pf_ext4 m = {.data = t[i].data,
					.commit = t[i].commit,
					.target = "/data",
					.source = "/dev/sdb1"};

		pf_policy_init(&pol);
		if (t[i].allowed)
			SET(pol.ext4_data, t[i].allowed);
		if (t[i].recommend)
			SET(pol.ext4_data_recommend, t[i].recommend);
		t[i].judge(&m, &pol, &res);
		expect_row(&t[i].w, i);
	}
}

/* A queue judged by JUDGE under a policy (NULL, 0: the default). */
struct queue_case {
	void (*judge)(const struct ctl_pf_queue *m, const struct pf_policy *p,
		      struct pf_result *res);
	struct ctl_pf_queue q;
	const char *sched;
	uint64_t depth_warn, depth_max;
	struct want w;
};

static void judge_queues(const struct queue_case *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		pf_policy_init(&pol);
		if (t[i].sched)
			SET(pol.sched, t[i].sched);
		pol.depth_max = t[i].depth_max;
		if (t[i].depth_warn)
			pol.depth_warn = t[i].depth_warn;
		t[i].judge(&t[i].q, &pol, &res);
		expect_row(&t[i].w, i);
	}
}

#define SDB(s, d, max)                                                         \
	{                                                                      \
		.name = "sdb", .sched = s, .depth = d, .depth_range_max = max  \
	}

static void test_judge_queue(void **state)
{
	static const char mqk[] = "mq-deadline,kyber";
	static const struct queue_case t[] = {
		{pf_judge_sched, SDB("mq-deadline", 64, 2048), .w = {PF_PASS}},
		{pf_judge_sched, SDB("bfq", 64, 2048),
		 .w = {PF_WARN, {"qdepth set --scheduler mq-deadline sdb"}}},
		{pf_judge_sched, SDB("bfq", 64, 2048), mqk,
		 .w = {PF_FAIL, {"qdepth set --scheduler mq-deadline sdb"}}},
		/* The scheduler the hint sets is one the policy allows. */
		{pf_judge_sched, SDB("mq-deadline", 64, 2048), "kyber bfq",
		 .w = {PF_FAIL, {"qdepth set --scheduler kyber sdb"}}},
		/* Only "none" (not configurable): the policy must change. */
		{pf_judge_sched,
		 {.name = "sdb",
		  .sched = "none",
		  .sched_fixed = true,
		  .depth = 64,
		  .depth_range_max = 2048},
		 "kyber bfq",
		 .w = {PF_FAIL,
		       {"add none to queue.scheduler"},
		       {"qdepth set"}}},
		/* 64 is between the article's 32 (slow) and 128 (default). */
		{pf_judge_depth, SDB("bfq", 64, 2048), mqk,
		 .w = {PF_WARN, {"qdepth set --depth 128 sdb"}}},
		{pf_judge_depth, SDB("bfq", 16, 2048), mqk, .w = {PF_FAIL}},
		{pf_judge_depth, SDB("bfq", 256, 2048), mqk, .w = {PF_PASS}},
		{pf_judge_depth, SDB("bfq", 256, 2048), mqk, .depth_max = 128,
		 .w = {PF_FAIL, {"qdepth set --depth 128 sdb"}}},
		/* With "none" the hardware depth caps it: switch scheduler
		 * first. */
		{pf_judge_depth, SDB("none", 64, 64), mqk,
		 .w = {PF_WARN, {"--scheduler mq-deadline --depth 128"}}},
		/* ... to one the policy allows. */
		{pf_judge_depth, SDB("none", 64, 64), "none,kyber",
		 .w = {PF_WARN,
		       {"qdepth set --scheduler kyber --depth 128 sdb"}}},
		/* Only "none" allowed: no switch; the most it can have. */
		{pf_judge_depth, SDB("none", 64, 64), "none",
		 .w = {PF_WARN,
		       {"qdepth set --depth max sdb"},
		       {"--scheduler"}}},
		/* Above what any scheduler allows (2048): no hint that
		 * fails. */
		{pf_judge_depth, SDB("mq-deadline", 256, 2048),
		 .depth_warn = 4096,
		 .w = {PF_WARN,
		       {"qdepth set --depth max sdb", "queue.depth_warn"},
		       {"4096 sdb"}}},
	};

	(void)state;
	judge_queues(t, ARRAY_SIZE(t));
}

/* sdb over SAMPLES samples: SAT (saturated), UTIL %, AWAIT ms. */
#define SDB_SAT(samples_, sat, util_, await_)                                  \
	{                                                                      \
		.name = "sdb", .samples = (samples_), .saturated = (sat),      \
		.util = (util_), .await = (await_)                             \
	}

static void test_judge_saturation(void **state)
{
	static const struct queue_case t[] = {
		{pf_judge_saturation, SDB_SAT(3, false, 20, 4), .w = {PF_PASS}},
		{pf_judge_saturation, SDB_SAT(3, true, 97, 4),
		 .w = {PF_WARN, {"qdepth stat --saturation 85 sdb"}}},
		{pf_judge_saturation, SDB_SAT(3, true, 97, 250),
		 .w = {PF_FAIL}},
		{pf_judge_saturation, SDB_SAT(0, true, 97, 250),
		 .w = {PF_SKIP}},
	};

	(void)state;
	judge_queues(t, ARRAY_SIZE(t));
}

#define NOLIM CTL_CGROUP_UNLIMITED

/* A write of SIZE on a machine of 8G, AVAIL of it available, in a
 * cgroup (VERSION) limited to LIMIT. */
#define MEM8G(avail, limit, version, size_)                                    \
	{                                                                      \
		.mem_total = 8 * GIB, .mem_avail = (avail),                    \
		.cg_limit = (limit), .cg_version = (version), .size = (size_)  \
	}

static void test_judge_vm(void **state)
{
	static const struct {
		void (*judge)(const struct ctl_pf_vm *m,
			      const struct pf_policy *p, struct pf_result *res);
		struct ctl_pf_vm m;
		struct want w;
	} t[] = {
		{pf_judge_swappiness,
		 {60, .mem_total = 8 * GIB, .mem_avail = 4 * GIB,
		  .cg_limit = NOLIM},
		 {PF_PASS}},
		{pf_judge_swappiness, {5}, {PF_WARN}},
		{pf_judge_swappiness, {100}, {PF_FAIL, {"swapadj set 60"}}},
		{pf_judge_memory, MEM8G(4 * GIB, NOLIM, 0, GIB), {PF_PASS}},
		/* A cgroup limit smaller than the write. */
		{pf_judge_memory,
		 MEM8G(4 * GIB, 512 * MIB, 2, GIB),
		 {PF_WARN, {"swapadj run --memory-max"}}},
		{pf_judge_memory, MEM8G(4 * GIB, NOLIM, 0, 5 * GIB), {PF_WARN}},
		/* 6% of 8G */
		{pf_judge_memory,
		 MEM8G(512 * MIB, NOLIM, 0, 5 * GIB),
		 {PF_FAIL}},
		/* Write size unknown: MemAvailable alone, said in the bound. */
		{pf_judge_memory,
		 MEM8G(4 * GIB, NOLIM, 0, CTL_PF_SIZE_UNKNOWN),
		 {PF_PASS,
		  .bound = "avail >= 10%; write size unknown (--size)"}},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		t[i].judge(&t[i].m, &pol, &res);
		expect_row(&t[i].w, i);
	}
}

/* A write of SIZE, 10G available, dirty_ratio 20, dirty_background_ratio
 * 10 and dirty_bytes BYTES, dirty_background_bytes BG_BYTES (0: unset). */
#define DIRTY20(bytes_, bg_bytes_, size_)                                      \
	{                                                                      \
		.ratio = 20, .bg_ratio = 10, .bytes = (bytes_),                \
		.bg_bytes = (bg_bytes_), .mem_avail = 10 * GIB,                \
		.size = (size_)                                                \
	}

static void test_judge_dirty(void **state)
{
	static const struct {
		struct ctl_pf_dirty m;
		bool no_min; /* dirty.min_bytes = 0 */
		struct want w;
	} t[] = {
		{DIRTY20(0, 0, GIB),
		 .w = {PF_PASS,
		       .value =
			       "limit 2G (dirty_ratio), background 1G (dirty_background_ratio)"}},
		/* Throttling a write larger than the limit is the kernel's
		 * job: no placeholder command that raises the limit to any
		 * N. */
		{DIRTY20(0, 0, 3 * GIB),
		 .w = {PF_WARN, {"mmapwin write"}, {"=N"}}},
		/* dirty_bytes wins over dirty_ratio, as in the kernel. */
		{DIRTY20(8 * MIB, 0, 3 * GIB),
		 .w = {PF_FAIL, {"sysctl -w vm.dirty_bytes=16777216"}}},
		{DIRTY20(512 * MIB, 512 * MIB, 3 * GIB),
		 .w = {PF_FAIL, {"dirty_background_bytes"}}},
		/* Write size unknown: the limits alone, said in the bound. */
		{DIRTY20(0, 0, CTL_PF_SIZE_UNKNOWN),
		 .w = {PF_PASS,
		       .bound =
			       "limit >= 16M, > background; write size unknown (--size)"}},
		/* A zero limit stalls every writer whatever the policy
		 * says, and the hint's value is never 0 (which means "use
		 * the ratio"). */
		{{.mem_avail = 10 * GIB, .size = 1},
		 true,
		 {PF_FAIL, {"sysctl -w vm.dirty_bytes=16777216"}, {"=0"}}},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		if (t[i].no_min)
			pol.dirty_min = 0;
		pf_judge_dirty(&t[i].m, &pol, &res);
		expect_row(&t[i].w, i);
	}
}

static void test_judge_uring(void **state)
{
	/* Never open io_uring to every user: one group at most. */
	static const char open_all[] = "io_uring_disabled=0";
	static const struct {
		struct ctl_pf_uring m;
		bool require;
		struct want w;
	} t[] = {
		{{0, 0}, false, {PF_PASS}},
		{{2, -EPERM}, false, {PF_WARN, {"pwrite"}, {open_all}}},
		{{2, -EPERM},
		 true,
		 {PF_FAIL,
		  {"sysctl -w kernel.io_uring_disabled=1",
		   "kernel.io_uring_group"},
		  {open_all}}},
		{{1, -EPERM},
		 true,
		 {PF_FAIL, {"kernel.io_uring_group"}, {open_all}}},
		/* Allowed by the sysctl, refused anyway: a seccomp filter. */
		{{0, -EPERM},
		 true,
		 {PF_FAIL, {"seccomp"}, {"io_uring_disabled="}}},
		{{-1, -ENOSYS}, true, {PF_FAIL, {"pwrite"}}},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		pol.uring_require = t[i].require;
		pf_judge_uring(&t[i].m, &pol, &res);
		expect_row(&t[i].w, i);
	}
}

/* PASS just when MIN <= MEASURED <= MAX (NAN: no bound that side). */
static bool in_bounds(const struct pf_result *r)
{
	return (isnan(r->min) || r->measured >= r->min) &&
	       (isnan(r->max) || r->measured <= r->max);
}

#define assert_num(field, want)                                                \
	do {                                                                   \
		double _w = (want);                                            \
		if (isnan(_w) ? !isnan(res.field) : res.field != _w)           \
			fail_msg("%s: %s %g, want %g", res.check, #field,      \
				 res.field, _w);                               \
	} while (0)

/* RES is measured in UNIT, MEASURED between MIN and MAX (NAN: none). */
static void expect_nums(const char *unit, double measured, double min,
			double max)
{
	assert_string_equal(res.unit, unit);
	assert_num(measured, measured);
	assert_num(min, min);
	assert_num(max, max);
}

/* RES is a FAIL, and its numbers say so: MEASURED is out of its bounds. */
static void expect_fail_out_of_bounds(void)
{
	assert_int_equal(res.status, PF_FAIL);
	assert_false(in_bounds(&res));
}

/* The typed side of each row: MEASURED in UNIT and the bounds on it. */
static void test_judge_typed(void **state)
{
	struct ctl_pf_queue q = {.name = "sdb",
				 .sched = "none",
				 .depth = 64,
				 .depth_range_max = 2048,
				 .samples = 3,
				 .util = 42.5};
	struct ctl_pf_ext4 e = {.data = CTL_EXT4_DATA_ORDERED, .commit = 45};
	struct ctl_pf_vm vm = {.swappiness = 70,
			       .cg_swappiness = -1,
			       .mem_total = 1000,
			       .mem_avail = 101,
			       .cg_limit = CTL_CGROUP_UNLIMITED,
			       .size = CTL_PF_SIZE_UNKNOWN};
	struct ctl_pf_dirty d = {.ratio = 20,
				 .bg_ratio = 10,
				 .mem_avail = 10 * GIB,
				 .size = GIB};
	struct ctl_pf_mount mnt = {.fstype = "ext4", .opts = "rw"};
	struct ctl_pf_uring u = {.disabled = 2, .probe = -EPERM};
	char buf[24];

	(void)state;
	pf_judge_depth(&q, &pol, &res);
	assert_string_equal(res.device, "sdb");
	expect_nums("requests", 64, 128, NAN);
	assert_false(in_bounds(&res));
	q.depth = 256;
	pol.depth_max = 200;
	pf_judge_depth(&q, &pol, &res);
	expect_fail_out_of_bounds();
	assert_num(max, 200);
	pf_judge_sched(&q, &pol, &res);
	assert_string_equal(res.device, "sdb");
	assert_num(measured, NAN);
	assert_string_equal(res.unit, "");
	pf_judge_saturation(&q, &pol, &res);
	assert_string_equal(res.device, "sdb");
	assert_string_equal(res.unit, "ratio");
	assert_num(measured, 0.425);
	assert_num(max, pol.sat.util_pct / 100.0);
	q.samples = 0;
	pf_judge_saturation(&q, &pol, &res);
	assert_num(measured, NAN);

	pf_judge_commit(&e, &pol, &res);
	expect_nums("seconds", 45, 5, 30);
	assert_int_equal(res.status, PF_WARN);
	assert_string_equal(res.device, "");

	pf_judge_swappiness(&vm, &pol, &res);
	expect_nums("", 70, 10, 60);
	assert_false(in_bounds(&res));
	/* MemAvailable against 10% of MemTotal, rounded up: 101 >= 100 */
	pf_judge_memory(&vm, &pol, &res);
	assert_string_equal(res.unit, "bytes");
	assert_num(measured, 101);
	assert_num(min, 100);
	assert_int_equal(res.status, PF_PASS);
	vm.mem_total = 1001;
	vm.mem_avail = 100;
	pf_judge_memory(&vm, &pol, &res);
	assert_num(min, 101);
	expect_fail_out_of_bounds();
	/* dirty: the limit against dirty.min_bytes and the write */
	pf_judge_dirty(&d, &pol, &res);
	assert_string_equal(res.unit, "bytes");
	assert_num(measured, 2.0 * GIB);
	assert_num(min, GIB);
	d.size = CTL_PF_SIZE_UNKNOWN;
	pf_judge_dirty(&d, &pol, &res);
	assert_num(min, PF_DIRTY_DEFAULT);

	/* no number: text only */
	pf_judge_fstype(&mnt, &pol, &res);
	assert_num(measured, NAN);
	assert_num(min, NAN);
	pf_judge_mount(&mnt, &pol, &res);
	assert_num(measured, NAN);
	pf_judge_uring(&u, &pol, &res);
	assert_num(measured, 2);
	assert_num(min, NAN);
	u.disabled = -1;
	pf_judge_uring(&u, &pol, &res);
	assert_num(measured, NAN);

	/* -b: sizes of the text in bytes */
	assert_string_equal(pf_hsize(3 * GIB / 2, buf, sizeof(buf)), "1.5G");
	pf_hsize_bytes(true);
	assert_string_equal(pf_hsize(3 * GIB / 2, buf, sizeof(buf)),
			    "1610612736");
	assert_string_equal(pf_hsize(UINT64_MAX, buf, sizeof(buf)),
			    "18446744073709551615");
	pf_judge_space(&(struct ctl_pf_space){.avail = GIB,
					      .total = 2 * GIB,
					      .size = MIB,
					      .path = "/x"},
		       &pol, &res);
	pf_hsize_bytes(false);
	assert_string_equal(res.value, "1073741824 free of 2147483648");
}

/* ---- measurements on fake trees ---- */

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

static void fake_close(struct ctl_root *r)
{
	ctl_root_free(r);
	fake_free();
}

/*
 * The caller's cgroup, as /proc/self/cgroup's CGROUP names it, is not in
 * the tree: measuring the vm into M fails with -ENOENT.
 */
static void vm_gone(struct ctl_root *r, const char *cgroup, struct ctl_pf_vm *m)
{
	fake_write("proc/self/cgroup", "%s", cgroup);
	assert_int_equal(ctl_preflight_measure_vm(r, m), -ENOENT);
}

/* The setup of a test on the fake tree: the policy, and the tree of
 * fake_open() as *STATE, which tree_teardown() closes. */
static int tree_setup(void **state)
{
	setup(state);
	*state = fake_open();
	return 0;
}

static int tree_teardown(void **state)
{
	fake_close(*state);
	return 0;
}

/*
 * Write TEXT into FILE of the tree, measure the vm again into M (it must
 * work) and judge it with JUDGE into res.
 */
static void vm_after(struct ctl_root *r, const char *file, const char *text,
		     struct ctl_pf_vm *m,
		     void (*judge)(const struct ctl_pf_vm *m,
				   const struct pf_policy *p,
				   struct pf_result *res))
{
	fake_write(file, "%s", text);
	assert_int_equal(ctl_preflight_measure_vm(r, m), 0);
	judge(m, &pol, &res);
}

static void test_measure_vm(void **state)
{
	struct ctl_root *r = *state;
	struct ctl_pf_vm m = {0};

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
	vm_after(r, "sys/fs/cgroup/app/memory.max", "max\n", &m,
		 pf_judge_memory);
	assert_status(PF_PASS);
	vm_after(r, "proc/sys/vm/swappiness", "90\n", &m, pf_judge_swappiness);
	assert_status(PF_FAIL);
	/* The caller's cgroup is not in the tree: its limit was not read,
	 * so it is not reported as "no cgroup limit". */
	vm_gone(r, "0::/gone\n", &m);
}

/* cgroup v1 (these machines): memory.limit_in_bytes, smallest on the path. */
static void test_measure_vm_cgroup_v1(void **state)
{
	struct ctl_root *r = *state;
	struct ctl_pf_vm m = {0};

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
	vm_after(r, "sys/fs/cgroup/memory/batch/job/memory.swappiness", "90\n",
		 &m, pf_judge_swappiness);
	assert_status(PF_FAIL);
	assert_hint("swapadj run --swappiness 60 -- COMMAND");
	assert_no_hint("swapadj set");
	vm_after(r, "sys/fs/cgroup/memory/batch/job/memory.swappiness", "5\n",
		 &m, pf_judge_swappiness);
	assert_status(PF_WARN);
	assert_hint("swapadj run --swappiness 10 -- COMMAND");
	assert_no_hint("swapadj set");
	assert_no_hint("swapadj auto");

	/* In the root cgroup vm.swappiness applies. */
	vm_after(r, "proc/self/cgroup", "5:memory:/\n", &m,
		 pf_judge_swappiness);
	assert_int_equal(m.cg_swappiness, -1);
	assert_string_equal(res.value, "vm.swappiness=35");

	/* A cgroup that is not there: not measured, so not a PASS. */
	vm_gone(r, "5:memory:/gone\n", &m);
}

static void test_measure_dirty(void **state)
{
	struct ctl_root *r = *state;
	struct ctl_pf_dirty m = {0};

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
}

static void test_measure_uring(void **state)
{
	struct ctl_root *r = *state;
	struct ctl_pf_uring m = {0};

	assert_int_equal(ctl_preflight_measure_uring(r, &m), 0);
	assert_int_equal(m.disabled, -1);
	assert_true(m.probe <= 0);
	fake_write("proc/sys/kernel/io_uring_disabled", "2\n");
	assert_int_equal(ctl_preflight_measure_uring(r, &m), 0);
	assert_int_equal(m.disabled, 2);
}

static void test_measure_queue(void **state)
{
	struct ctl_root *r = *state;
	struct ctl_pf_queue q;

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

/* The mount the gatherer finds for host path P into M. */
static void mount_of(struct ctl_root *r, const char *p, struct ctl_pf_mount *m)
{
	struct ctl_target t;

	assert_int_equal(ctl_target_resolve(r, p, CTL_TARGET_FILE, &t), 0);
	memset(m, 0xff, sizeof(*m));
	assert_int_equal(ctl_preflight_measure_mount(r, &t, m), 0);
}

/* The system reason the gatherer finds for host path P. */
static const char *system_of(struct ctl_root *r, const char *p)
{
	static struct ctl_pf_mount m;

	mount_of(r, p, &m);
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
	mount_of(r, p, &m);
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
	fake_close(r);
}

/* A run over the fake tree: its root, and the rows of the last run. */
struct tree_run {
	struct ctl_root *r;
	struct pf_result *v;
	size_t n;
};

/* The fake tree as the root of runs that sample nothing. */
static void open_tree(struct tree_run *t)
{
	*t = (struct tree_run){0};
	assert_int_equal(ctl_root_open(fake_root, &t->r), 0);
	pol.sat.samples = 0;
}

static void close_tree(struct tree_run *t)
{
	free(t->v);
	fake_close(t->r);
}

/*
 * The setup of a run test: the policy, an empty fake tree to lay out and
 * then open_tree(), and the run as *STATE, which run_teardown() closes
 * (the tree goes even when the test stops early).
 */
static int run_setup(void **state)
{
	static struct tree_run t;

	setup(state);
	fake_new();
	t = (struct tree_run){0};
	*state = &t;
	return 0;
}

static int run_teardown(void **state)
{
	close_tree(*state);
	return 0;
}

/* TARGET as preflight takes it (pf_target), then the run into T. */
static int run(struct tree_run *t, const char *target, uint64_t size)
{
	struct ctl_target tg;
	int err;

	free(t->v);
	t->v = NULL;
	t->n = 0;
	err = pf_target(t->r, target, &tg);
	return err < 0 ? err : pf_run(t->r, &tg, size, &pol, &t->v, &t->n);
}

/* The one row of CHECK of the last run (there must be exactly one). */
static const struct pf_result *only_row(const struct tree_run *t,
					const char *check)
{
	const struct pf_result *found = NULL;

	for (size_t i = 0; i < t->n; i++) {
		if (strcmp(t->v[i].check, check) != 0)
			continue;
		if (found)
			fail_msg("two rows of %s", check);
		found = &t->v[i];
	}
	if (!found)
		fail_msg("no row of %s", check);
	return found;
}

/* NAME in the fake tree, as a host path (four at a time). */
static const char *in_tree(const char *name)
{
	static char buf[4][512];
	static int k;

	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", fake_root, name);
	return buf[k];
}

/*
 * A whole run against an empty fake tree: every check that cannot be
 * measured is an ERROR or SKIP row, none is silently dropped.
 */
static void test_run_empty_tree(void **state)
{
	/* statvfs is of the host path, not the tree; the io_uring sysctl is
	 * optional, the probe decides. */
	static const char *const host[] = {"space", "io_uring"};
	const struct pf_result *mount;
	struct tree_run *t = *state;
	char want[512];

	open_tree(t);
	assert_int_equal(run(t, fake_root, 4096), 0);
	for (size_t i = 0; i < ARRAY_SIZE(host); i++) {
		enum pf_status st = only_row(t, host[i])->status;

		assert_true(st == PF_PASS || st == PF_WARN);
	}
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->v[i].check, host[0]) &&
		    strcmp(t->v[i].check, host[1]))
			assert_true(t->v[i].status == PF_ERROR ||
				    t->v[i].status == PF_SKIP);
	mount = only_row(t, "mount");
	snprintf(want, sizeof(want), "see findmnt --target %s", fake_root);
	assert_string_equal(mount->hint, want);
	assert_int_equal(mount->status, PF_ERROR);
	assert_true(mount->err < 0);
	/* Each check that could not be measured keeps its own row. */
	only_row(t, "swappiness");
	only_row(t, "memory");
	/* A directory without a size: the size is unknown, not 0 bytes. */
	assert_int_equal(run(t, fake_root, CTL_PF_SIZE_UNKNOWN), 0);
	assert_string_equal(t->v[0].check, "space");
	assert_true(strstr(t->v[0].bound, "write size unknown (--size)") !=
		    NULL);
	assert_int_equal(run(t, "/nonexistent-dir/x", 0), -ENOENT);
}

/* The mount row's hint of a run on TARGET from the cwd DIR, into HINT. */
static int run_hint(struct tree_run *t, const char *dir, const char *target,
		    char *hint, size_t len)
{
	int cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int err;

	assert_true(cwd >= 0);
	assert_int_equal(chdir(dir), 0);
	err = run(t, target, 0);
	assert_int_equal(fchdir(cwd), 0);
	close(cwd);
	hint[0] = '\0';
	if (!err)
		snprintf(hint, len, "%s", only_row(t, "mount")->hint);
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
	static const struct {
		const char *link, *to; /* made first, in the tree */
		const char *target, *dir; /* the row's dir under the tree */
		int err;
	} c[] = {
		{NULL, NULL, "new.bin", ""},
		{NULL, NULL, ".", ""},
		/* link -> link2 -> /nonexistent-dir/x: the write has nowhere
		 * to go. */
		{"link2", "/nonexistent-dir/x", "link2", NULL, -ENOENT},
		{"link", "link2", "link", NULL, -ENOENT},
		/* link3 -> sub/new.bin: measured in sub. */
		{"link3", "sub/new.bin", "link3", "/sub"},
	};
	char hint[512], want[512];
	struct tree_run *t = *state;

	fake_mkdir("sub");
	open_tree(t);
	for (size_t i = 0; i < ARRAY_SIZE(c); i++) {
		if (c[i].link)
			assert_int_equal(symlink(c[i].to, in_tree(c[i].link)),
					 0);
		assert_int_equal(run_hint(t, fake_root, c[i].target, hint,
					  sizeof(hint)),
				 c[i].err);
		if (!c[i].dir)
			continue;
		snprintf(want, sizeof(want), "see findmnt --target %s%s",
			 fake_root, c[i].dir);
		assert_string_equal(hint, want);
	}
	assert_int_equal(run(t, "", 0), -EINVAL);
}

/* An ERROR row names a non-regular file as such, not "Unknown error". */
static void test_run_error_text(void **state)
{
	const struct pf_result *mount;
	struct tree_run *t = *state;

	fake_mkdir("proc/self");
	assert_int_equal(mkfifo(in_tree("proc/self/mountinfo"), 0600), 0);
	open_tree(t);
	alarm(5);
	assert_int_equal(run(t, fake_root, 0), 0);
	alarm(0);
	mount = only_row(t, "mount");
	assert_int_equal(mount->status, PF_ERROR);
	assert_string_equal(mount->value, "mountinfo: not a regular file");
}

/*
 * A TARGET that is neither a file nor a directory is refused: its space,
 * mount and journal would be those of /dev (or wherever the node lives),
 * not of what the write reaches. Nothing is opened, so a FIFO cannot hang.
 */
static void test_run_not_a_file(void **state)
{
	struct tree_run *t = *state;

	open_tree(t);
	assert_int_equal(run(t, "/dev/null", 0), -CTL_ENOTREG);
	assert_int_equal(mkfifo(in_tree("fifo"), 0600), 0);
	alarm(5);
	assert_int_equal(run(t, in_tree("fifo"), 0), -CTL_ENOTREG);
	alarm(0);
	/* Through a symlink too. */
	assert_int_equal(symlink("/dev/null", in_tree("null")), 0);
	assert_int_equal(run(t, in_tree("null"), 0), -CTL_ENOTREG);
	assert_null(t->v);
}

/*
 * A file on a loop device whose backing file was deleted: the device below
 * it exists but cannot be found. Its row says "unknown device", not "no
 * block device" (which is what tmpfs gets: truly none).
 */
static void test_run_unknown_below(void **state)
{
	const struct pf_result *queue;
	struct tree_run *t = *state;

	qd_tree();
	if (!qd_image_on(QD_VIRT "/loop0"))
		skip(); /* the tree lies on tmpfs: no device to map */
	fake_write(QD_VIRT "/loop0/loop/backing_file", "/%s (deleted)\n",
		   QD_IMAGE);
	open_tree(t);
	assert_int_equal(run(t, in_tree(QD_IMAGE), 0), 0);
	queue = only_row(t, "queue");
	assert_int_equal(queue->status, PF_SKIP);
	assert_string_equal(queue->value, "unknown device");
	assert_non_null(strstr(queue->hint, "the device under it is unknown"));
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
		cmocka_unit_test_setup(test_judge_typed, setup),
		cmocka_unit_test_setup_teardown(test_measure_vm, tree_setup,
						tree_teardown),
		cmocka_unit_test_setup_teardown(test_measure_vm_cgroup_v1,
						tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(test_measure_dirty, tree_setup,
						tree_teardown),
		cmocka_unit_test_setup_teardown(test_measure_uring, tree_setup,
						tree_teardown),
		cmocka_unit_test_setup_teardown(test_measure_queue, tree_setup,
						tree_teardown),
		cmocka_unit_test_setup(test_measure_mount_system, setup),
		cmocka_unit_test_setup_teardown(test_run_empty_tree, run_setup,
						run_teardown),
		cmocka_unit_test_setup_teardown(test_run_target_names,
						run_setup, run_teardown),
		cmocka_unit_test_setup_teardown(test_run_not_a_file, run_setup,
						run_teardown),
		cmocka_unit_test_setup_teardown(test_run_unknown_below,
						run_setup, run_teardown),
		cmocka_unit_test_setup_teardown(test_run_error_text, run_setup,
						run_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
