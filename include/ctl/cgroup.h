/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The memory cgroup controller, v1 or v2, found at its conventional places
 * under the root (no libmount): /sys/fs/cgroup (v2 with cgroup.controllers
 * listing "memory"), /sys/fs/cgroup/unified (v2 of a hybrid layout), then
 * /sys/fs/cgroup/memory (v1). The caller's own cgroup comes from
 * <root>/proc/self/cgroup.
 */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "ctl/root.h"

/* A limit that is not set ("max" in v2, PAGE_COUNTER_MAX pages in v1). */
#define CTL_CGROUP_UNLIMITED UINT64_MAX

/* Where the memory controller is and where the caller sits in it. */
struct ctl_cgroup_mem {
	int version; /* 1 or 2 */
	char mount[64]; /* hierarchy root inside the root */
	char self[384]; /* the caller's cgroup, "/" or "/a/b" */
};

/*
 * Find the hierarchy that has the memory controller, preferring v2 when
 * both do, and the caller's cgroup in it. Returns 0, -ENOTSUP when no
 * hierarchy has the memory controller, or -errno.
 */
int ctl_cgroup_mem_find(const struct ctl_root *r, struct ctl_cgroup_mem *m);

/*
 * The caller's cgroup in hierarchy VERSION from the text of
 * /proc/self/cgroup (BUF): the "0::" line for v2, the line whose
 * controller list has "memory" for v1. Returns 0 or -ENOENT.
 */
int ctl_cgroup_parse_self(const char *buf, int version, char *out, size_t len);

/* The memory limit that binds the caller. */
struct ctl_cgroup_limit {
	int version;
	uint64_t max; /* bytes, CTL_CGROUP_UNLIMITED when none */
	char path[512]; /* the cgroup directory whose limit it is, or "" */
};

/*
 * The smallest memory limit on the path from the caller's cgroup up to
 * the hierarchy root (memory.max, or memory.limit_in_bytes on v1), which
 * is the one the kernel enforces. Returns 0, -ENOTSUP without a memory
 * controller, or -errno.
 */
int ctl_cgroup_self_limit(const struct ctl_root *r,
			  struct ctl_cgroup_limit *lim);

/* A cgroup created for one command. */
struct ctl_cgroup {
	int version;
	char path[512]; /* directory inside the root */
	char attr[64]; /* the attribute of the last failed call */
};

/*
 * Create cgroup NAME for one command. v1: under the caller's cgroup in M.
 * v2: beside it, under the caller's parent (or under the root when the
 * caller is in the root), because the caller's own cgroup holds the caller
 * and the kernel's "no internal processes" rule keeps it from delegating
 * memory to a child; the memory controller is enabled in that parent's
 * cgroup.subtree_control first when it is not (-EBUSY: that parent has
 * processes of its own). Returns 0, -EEXIST, or -errno.
 */
int ctl_cgroup_create(const struct ctl_root *r, const struct ctl_cgroup_mem *m,
		      const char *name, struct ctl_cgroup *cg);

/*
 * Set the limits in bytes (CTL_CGROUP_UNLIMITED leaves one alone). v2:
 * memory.max and memory.swap.max. v1: memory.limit_in_bytes and, for
 * swap, memory.memsw.limit_in_bytes = mem + swap (v1 limits memory and
 * swap together, so SWAP needs MEM: -EINVAL without). -ENOTSUP when the
 * kernel has no swap accounting file. Returns 0 or -errno; cg->attr names
 * the attribute that failed.
 */
int ctl_cgroup_set_limits(const struct ctl_root *r, struct ctl_cgroup *cg,
			  uint64_t mem, uint64_t swap);

/*
 * Set the cgroup's own swappiness (v1 memory.swappiness); v2 has none:
 * -ENOTSUP. Returns 0 or -errno.
 */
int ctl_cgroup_set_swappiness(const struct ctl_root *r, struct ctl_cgroup *cg,
			      unsigned int val);

/* Move process PID into CG (cgroup.procs). Returns 0 or -errno. */
int ctl_cgroup_attach(const struct ctl_root *r, struct ctl_cgroup *cg,
		      pid_t pid);

/*
 * Remove the cgroup directory PATH (inside the root). Returns 0, -ENOENT
 * when it is already gone, -EBUSY while processes remain, or -errno.
 */
int ctl_cgroup_rmdir(const struct ctl_root *r, const char *path);
