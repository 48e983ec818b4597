// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libctl cgroup: finding the memory controller (v2, hybrid, v1, none), the
 * caller's cgroup and binding limit, creating a cgroup with limits, on
 * fake trees. A fake tree is a plain directory: the files the kernel would
 * create in a new cgroup are written by the test after ctl_cgroup_create.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>

#include "ctl/cgroup.h"
#include "ctl/macro.h"
#include "fake.h"

static struct ctl_root *root;

static int setup(void **state)
{
	(void)state;
	fake_new();
	return ctl_root_open(fake_root, &root);
}

static int teardown(void **state)
{
	(void)state;
	ctl_root_free(root);
	root = NULL;
	fake_free();
	return 0;
}

/* This machine's layout: v1 memory, v2 "unified" without memory. */
static void hybrid_tree(void)
{
	fake_write("sys/fs/cgroup/unified/cgroup.controllers", "hugetlb\n");
	fake_write("sys/fs/cgroup/memory/memory.limit_in_bytes",
		   "9223372036854771712\n");
	fake_write("sys/fs/cgroup/memory/api/memory.limit_in_bytes",
		   "1073741824\n");
	fake_write("sys/fs/cgroup/memory/api/job/memory.limit_in_bytes",
		   "9223372036854771712\n");
	fake_write("proc/self/cgroup", "9:name=systemd:/\n8:pids:/\n"
				       "4:cpuacct,memory:/api/job\n0::/\n");
}

static void v2_tree(void)
{
	fake_write("sys/fs/cgroup/cgroup.controllers",
		   "cpuset cpu io memory hugetlb pids\n");
	fake_write("sys/fs/cgroup/user.slice/cgroup.subtree_control", "\n");
	fake_write("sys/fs/cgroup/user.slice/memory.max", "2147483648\n");
	fake_write("sys/fs/cgroup/user.slice/s.scope/memory.max", "max\n");
	fake_write("sys/fs/cgroup/user.slice/s.scope/cgroup.subtree_control",
		   "\n");
	fake_write("proc/self/cgroup", "0::/user.slice/s.scope\n");
}

static void test_parse_self(void **state)
{
	char out[128];

	(void)state;
	assert_int_equal(
		ctl_cgroup_parse_self("0::/a/b\n", 2, out, sizeof(out)), 0);
	assert_string_equal(out, "/a/b");
	assert_int_equal(ctl_cgroup_parse_self("4:memory:/x\n0::/y\n", 1, out,
					       sizeof(out)),
			 0);
	assert_string_equal(out, "/x");
	/* Co-mounted controllers, a ':' in the path. */
	assert_int_equal(ctl_cgroup_parse_self("3:cpu,memory,pids:/a:b\n", 1,
					       out, sizeof(out)),
			 0);
	assert_string_equal(out, "/a:b");
	/* "memory" must be a whole word of the list. */
	assert_int_equal(ctl_cgroup_parse_self("3:memoryx:/a\n0::/\n", 1, out,
					       sizeof(out)),
			 -ENOENT);
	assert_int_equal(ctl_cgroup_parse_self("4:memory:/x\n", 2, out,
					       sizeof(out)),
			 -ENOENT);
	assert_int_equal(ctl_cgroup_parse_self("0::/\n", 2, out, sizeof(out)),
			 0);
	assert_string_equal(out, "/");
}

/*
 * Where the memory controller is found, the caller's cgroup in it, and
 * the limit that binds the caller (LIMIT NULL: not checked).
 */
static const struct find_case {
	void (*tree)(void);
	const char *unified; /* then sys/fs/cgroup/unified/cgroup.controllers */
	int version;
	const char *mount;
	const char *self;
	uint64_t max;
	const char *limit;
} find_cases[] = {
	/* v1: the parent's 1 GiB binds. */
	{hybrid_tree, NULL, 1, "/sys/fs/cgroup/memory", "/api/job", 1073741824,
	 "/sys/fs/cgroup/memory/api"},
	{v2_tree, NULL, 2, "/sys/fs/cgroup", "/user.slice/s.scope",
	 2147483648ULL, "/sys/fs/cgroup/user.slice"},
	/* v2 in the hybrid place with memory wins over v1. */
	{hybrid_tree, "memory pids\n", 2, "/sys/fs/cgroup/unified", "/", 0,
	 NULL},
};

static void test_find(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(find_cases); i++) {
		const struct find_case *c = &find_cases[i];
		struct ctl_cgroup_mem m;
		struct ctl_cgroup_limit lim;

		/* Each case on a tree of its own. */
		if (i) {
			teardown(state);
			assert_int_equal(setup(state), 0);
		}
		c->tree();
		if (c->unified)
			fake_write("sys/fs/cgroup/unified/cgroup.controllers",
				   "%s", c->unified);
		assert_int_equal(ctl_cgroup_mem_find(root, &m), 0);
		assert_int_equal(m.version, c->version);
		assert_string_equal(m.mount, c->mount);
		assert_string_equal(m.self, c->self);
		if (!c->limit)
			continue;
		assert_int_equal(ctl_cgroup_self_limit(root, &lim), 0);
		assert_int_equal(lim.version, c->version);
		assert_int_equal(lim.max, c->max);
		assert_string_equal(lim.path, c->limit);
	}
}

static void test_find_none(void **state)
{
	struct ctl_cgroup_mem m;
	struct ctl_cgroup_limit lim;

	(void)state;
	fake_write("proc/self/cgroup", "0::/\n");
	assert_int_equal(ctl_cgroup_mem_find(root, &m), -ENOTSUP);
	/* v2 without memory, and an empty v1 directory: still none. */
	fake_write("sys/fs/cgroup/cgroup.controllers", "cpu io pids\n");
	fake_mkdir("sys/fs/cgroup/memory");
	assert_int_equal(ctl_cgroup_mem_find(root, &m), -ENOTSUP);
	assert_int_equal(ctl_cgroup_self_limit(root, &lim), -ENOTSUP);
	assert_true(lim.max == CTL_CGROUP_UNLIMITED);
}

/* A co-mounted v1 hierarchy reached through a symlink. */
static void test_find_v1_symlink(void **state)
{
	struct ctl_cgroup_mem m;
	struct ctl_cgroup_limit lim;

	(void)state;
	fake_write("sys/fs/cgroup/cpu,memory/memory.limit_in_bytes",
		   "9223372036854771712\n");
	fake_write("sys/fs/cgroup/cpu,memory/a/memory.limit_in_bytes",
		   "4096\n");
	fake_symlink("cpu,memory", "sys/fs/cgroup/memory");
	fake_write("proc/self/cgroup", "2:cpu,memory:/a\n");
	assert_int_equal(ctl_cgroup_mem_find(root, &m), 0);
	assert_int_equal(m.version, 1);
	assert_string_equal(m.self, "/a");
	assert_int_equal(ctl_cgroup_self_limit(root, &lim), 0);
	assert_int_equal(lim.max, 4096);
}

static void test_self_limit(void **state)
{
	struct ctl_cgroup_limit lim;

	(void)state;
	/* v1, the 1 GiB of the parent (test_find) lowered in the child. */
	hybrid_tree();
	fake_write("sys/fs/cgroup/memory/api/job/memory.limit_in_bytes",
		   "536870912\n");
	assert_int_equal(ctl_cgroup_self_limit(root, &lim), 0);
	assert_int_equal(lim.max, 536870912);
	assert_string_equal(lim.path, "/sys/fs/cgroup/memory/api/job");
	fake_write("sys/fs/cgroup/memory/api/memory.limit_in_bytes",
		   "9223372036854771712\n");
	fake_write("sys/fs/cgroup/memory/api/job/memory.limit_in_bytes",
		   "9223372036854771712\n");
	/* "unlimited" is PAGE_COUNTER_MAX. */
	assert_int_equal(ctl_cgroup_self_limit(root, &lim), 0);
	assert_true(lim.max == CTL_CGROUP_UNLIMITED);
	assert_string_equal(lim.path, "");
}

/* A limit that cannot be read is an error, never "no limit". */
static void test_self_limit_unreadable(void **state)
{
	struct ctl_cgroup_limit lim;

	(void)state;
	hybrid_tree();
	fake_write("sys/fs/cgroup/memory/api/memory.limit_in_bytes",
		   "garbage\n");
	assert_int_equal(ctl_cgroup_self_limit(root, &lim), -EINVAL);
	fake_write("sys/fs/cgroup/memory/api/memory.limit_in_bytes",
		   "1073741824\n");
	assert_int_equal(ctl_cgroup_self_limit(root, &lim), 0);
	/* The caller's own cgroup is not in the tree: -ENOENT. */
	fake_write("proc/self/cgroup", "4:memory:/api/gone\n");
	assert_int_equal(ctl_cgroup_self_limit(root, &lim), -ENOENT);
}

static void test_create_v1(void **state)
{
	struct ctl_cgroup_mem m;
	struct ctl_cgroup cg;
	const char *dir = "sys/fs/cgroup/memory/api/job/swapadj.1";

	(void)state;
	hybrid_tree();
	assert_int_equal(ctl_cgroup_mem_find(root, &m), 0);
	assert_int_equal(ctl_cgroup_create(root, &m, "swapadj.1", &cg), 0);
	assert_string_equal(cg.path, "/sys/fs/cgroup/memory/api/job/swapadj.1");
	assert_int_equal(ctl_cgroup_create(root, &m, "swapadj.1", &cg),
			 -EEXIST);
	assert_int_equal(ctl_cgroup_create(root, &m, "../x", &cg), -EINVAL);
	assert_int_equal(ctl_cgroup_create(root, &m, "swapadj.1", &cg),
			 -EEXIST);
	/* What the kernel creates with the directory. */
	fake_write(
		"sys/fs/cgroup/memory/api/job/swapadj.1/memory.limit_in_bytes",
		"9223372036854771712\n");
	fake_write("sys/fs/cgroup/memory/api/job/swapadj.1/memory.swappiness",
		   "60\n");
	fake_write("sys/fs/cgroup/memory/api/job/swapadj.1/cgroup.procs", "%s",
		   "");
	/* v1 limits memory+swap together: swap alone is refused. */
	assert_int_equal(ctl_cgroup_set_limits(root, &cg, CTL_CGROUP_UNLIMITED,
					       0),
			 -EINVAL);
	/* No memsw file: the kernel has no swap accounting. */
	assert_int_equal(ctl_cgroup_set_limits(root, &cg, 64 << 20, 0),
			 -ENOTSUP);
	assert_string_equal(cg.attr, "memory.memsw.limit_in_bytes");
	fake_write(
		"sys/fs/cgroup/memory/api/job/swapadj.1/memory.memsw.limit_in_bytes",
		"9223372036854771712\n");
	assert_int_equal(ctl_cgroup_set_limits(root, &cg, 64 << 20, 16 << 20),
			 0);
	assert_string_equal(cg.attr, "");
	assert_string_equal(
		fake_read(
			"sys/fs/cgroup/memory/api/job/swapadj.1/memory.limit_in_bytes"),
		"67108864");
	assert_string_equal(
		fake_read(
			"sys/fs/cgroup/memory/api/job/swapadj.1/memory.memsw.limit_in_bytes"),
		"83886080");
	assert_int_equal(ctl_cgroup_set_swappiness(root, &cg, 5), 0);
	assert_string_equal(
		fake_read(
			"sys/fs/cgroup/memory/api/job/swapadj.1/memory.swappiness"),
		"5");
	assert_int_equal(ctl_cgroup_attach(root, &cg, 4242), 0);
	assert_string_equal(
		fake_read(
			"sys/fs/cgroup/memory/api/job/swapadj.1/cgroup.procs"),
		"4242");
	/* A fake cgroup keeps its files: not empty, like a busy one. */
	assert_int_equal(ctl_cgroup_rmdir(root, cg.path), -ENOTEMPTY);
	assert_int_equal(
		system(strcat(strcat(strcpy((char[600]){0}, "rm "), fake_root),
			      "/sys/fs/cgroup/memory/api/job/"
			      "swapadj.1/*")),
		0);
	assert_int_equal(ctl_cgroup_rmdir(root, cg.path), 0);
	assert_null(fake_read(dir));
	assert_int_equal(ctl_cgroup_rmdir(root, cg.path), -ENOENT);
}

static void test_create_v2(void **state)
{
	struct ctl_cgroup_mem m;
	struct ctl_cgroup cg;

	(void)state;
	v2_tree();
	assert_int_equal(ctl_cgroup_mem_find(root, &m), 0);
	assert_int_equal(ctl_cgroup_create(root, &m, "swapadj.7", &cg), 0);
	/* Beside the caller's scope: the scope holds the caller itself. */
	assert_string_equal(cg.path, "/sys/fs/cgroup/user.slice/swapadj.7");
	/* The parent had no memory in subtree_control: enabled. */
	assert_string_equal(
		fake_read("sys/fs/cgroup/user.slice/cgroup.subtree_control"),
		"+memory");
	assert_string_equal(
		fake_read(
			"sys/fs/cgroup/user.slice/s.scope/cgroup.subtree_control"),
		"\n");
	fake_write("sys/fs/cgroup/user.slice/swapadj.7/memory.max", "max\n");
	assert_int_equal(ctl_cgroup_set_limits(root, &cg, 1 << 30, 0),
			 -ENOTSUP);
	assert_string_equal(cg.attr, "memory.swap.max");
	assert_string_equal(
		fake_read("sys/fs/cgroup/user.slice/swapadj.7/memory.max"),
		"1073741824");
	fake_write("sys/fs/cgroup/user.slice/swapadj.7/memory.swap.max",
		   "max\n");
	/* v2 limits swap on its own. */
	assert_int_equal(
		ctl_cgroup_set_limits(root, &cg, CTL_CGROUP_UNLIMITED, 0), 0);
	assert_string_equal(
		fake_read("sys/fs/cgroup/user.slice/swapadj.7/memory.swap.max"),
		"0");
	/* v2 has no per-cgroup swappiness. */
	assert_int_equal(ctl_cgroup_set_swappiness(root, &cg, 5), -ENOTSUP);
	/* Already delegated: subtree_control is left alone. */
	fake_write("sys/fs/cgroup/user.slice/cgroup.subtree_control",
		   "cpu memory\n");
	assert_int_equal(ctl_cgroup_create(root, &m, "swapadj.8", &cg), 0);
	assert_string_equal(
		fake_read("sys/fs/cgroup/user.slice/cgroup.subtree_control"),
		"cpu memory\n");
	/* A caller in the root cgroup: under the root, which is exempt. */
	fake_write("proc/self/cgroup", "0::/\n");
	fake_write("sys/fs/cgroup/cgroup.subtree_control", "memory\n");
	assert_int_equal(ctl_cgroup_mem_find(root, &m), 0);
	assert_int_equal(ctl_cgroup_create(root, &m, "swapadj.9", &cg), 0);
	assert_string_equal(cg.path, "/sys/fs/cgroup/swapadj.9");
}

static void test_create_v2_no_subtree(void **state)
{
	struct ctl_cgroup_mem m;
	struct ctl_cgroup cg;

	(void)state;
	v2_tree();
	fake_write("proc/self/cgroup", "0::/gone\n");
	assert_int_equal(ctl_cgroup_mem_find(root, &m), 0);
	assert_int_equal(ctl_cgroup_create(root, &m, "swapadj.9", &cg),
			 -ENOENT);
	assert_string_equal(cg.attr, "cgroup.subtree_control");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_parse_self),
		T(test_find),
		T(test_find_none),
		T(test_find_v1_symlink),
		T(test_self_limit),
		T(test_self_limit_unreadable),
		T(test_create_v1),
		T(test_create_v2),
		T(test_create_v2_no_subtree),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
