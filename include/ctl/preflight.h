/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * preflight measurements: what the host looks like under one file about to
 * receive a large write (its mount and whether that holds the running
 * system, its queues sampled together, swappiness, memory, dirty limits,
 * io_uring), gathered through the other libctl modules. Judging them
 * against bounds, and saying which command fixes what, is the preflight
 * tool's (cmd/preflight/).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ctl/blk.h"
#include "ctl/root.h"
#include "ctl/target.h"

/* A write of unknown size (TARGET is a directory or a new file, and no
 * --size): the checks judge what they can without it and say so. */
#define CTL_PF_SIZE_UNKNOWN UINT64_MAX

/* --- measurements (each filled by the gatherer, or by a test) --- */

/* Free space where the write goes (ctl_mount_space()), and the write. */
struct ctl_pf_space {
	uint64_t avail, total; /* bytes of the file system */
	uint64_t size; /* bytes about to be written */
	uint64_t file_size; /* current size of TARGET (0: new or directory) */
	char path[256]; /* what was measured, for the hint */
};

struct ctl_pf_mount {
	char target[256]; /* mount point */
	char source[256]; /* "/dev/vda1", "tmpfs", ... */
	char fstype[32];
	char opts[1024]; /* per-mount then superblock options, comma list */
	bool ro;
	dev_t dev; /* MAJ:MIN of the file system */
	/*
	 * What makes the mount part of the running system ("/usr", "code
	 * running now: /usr/lib/x86_64-linux-gnu/libc.so.6"), "" if nothing:
	 * an option that stops programs (noexec, nosuid, nodev, nosymfollow)
	 * would break the host there, so no hint adds one.
	 */
	char system[320];
};

struct ctl_pf_ext4 {
	int data; /* enum ctl_ext4_data; NONE without a journal */
	unsigned int commit; /* seconds */
	char target[256]; /* mount point */
	char source[256]; /* the device, for tune2fs */
};

/*
 * How queues are sampled: SAMPLES rounds SAMPLE_MS apart (0 samples: not
 * sampled), saturated when util >= UTIL_PCT in each (the rule of
 * ctl/diskstats.h).
 */
struct ctl_pf_sampling {
	unsigned int util_pct, samples, sample_ms;
};

struct ctl_pf_queue {
	char name[CTL_DEVNAME_MAX];
	char sched[32];
	bool sched_fixed;
	int rotational;
	uint64_t depth, depth_range_max;
	/* saturation sample; samples 0 when not sampled */
	unsigned int samples;
	bool saturated; /* util >= util_pct in every sample */
	double util; /* mean util % over the samples */
	double await; /* ms per request over the whole window */
};

struct ctl_pf_vm {
	unsigned int swappiness; /* vm.swappiness */
	/*
	 * cgroup v1: the caller's own memory.swappiness, which reclaim in a
	 * non-root v1 memory cgroup uses instead of vm.swappiness, and that
	 * cgroup ("/a/b"). cg_path "" (and cg_swappiness -1): vm.swappiness
	 * applies (root cgroup, v2, no memory controller).
	 */
	int cg_swappiness;
	char cg_path[384];
	uint64_t mem_total, mem_avail; /* bytes */
	uint64_t cg_limit; /* bytes, CTL_CGROUP_UNLIMITED when none */
	int cg_version; /* 0 no memory controller */
	uint64_t size; /* bytes about to be written */
};

struct ctl_pf_dirty {
	uint64_t ratio, bytes, bg_ratio, bg_bytes; /* the four sysctls */
	uint64_t mem_avail; /* bytes the ratios apply to (MemAvailable) */
	uint64_t size;
};

struct ctl_pf_uring {
	int disabled; /* kernel.io_uring_disabled, -1 when absent */
	int probe; /* 0 io_uring_setup worked, else -errno */
};

/* --- gathering --- */

/*
 * The mount that serves the resolved target T (a file or directory; for a
 * new file its directory, as ctl_target_found() names it) into M, and
 * whether it holds the running system: it serves /, /usr, /boot, /etc or
 * /var, or a file this process runs code from (its /proc/self/maps: the
 * program, the dynamic loader, libc). Those directories are the system
 * root's, inside it (--sysroot DIR of a container: the host's, by DIR's
 * mount table), then this process's own; a test tree root (not a system
 * root) has them under it, and its <root>/proc/self/maps stands in for
 * this process's. Returns 0, -ENOENT when the mount is not in mountinfo,
 * or -errno.
 */
int ctl_preflight_measure_mount(const struct ctl_root *r,
				const struct ctl_target *t,
				struct ctl_pf_mount *m);

/*
 * The journal mode and commit interval of the ext2/3/4 file system that
 * serves PATH (a host path that exists) into M, as the kernel applies them
 * now (/proc/fs/ext4, through the chain of ctl/ext4.h). Returns 0,
 * -EMEDIUMTYPE when that file system is not ext2/3/4, or -errno.
 */
int ctl_preflight_measure_ext4(const struct ctl_root *r, const char *path,
			       struct ctl_pf_ext4 *m);

/*
 * vm.swappiness into M, and on cgroup v1 the caller's own
 * memory.swappiness, which reclaim in a non-root v1 memory cgroup uses
 * instead (cg_path "" when vm.swappiness applies). Returns 0 or -errno.
 */
int ctl_preflight_measure_swappiness(const struct ctl_root *r,
				     struct ctl_pf_vm *m);

/*
 * MemTotal, MemAvailable and the limit of the caller's memory cgroup into
 * M. Returns 0, -ENOENT when the caller's cgroup directory is missing (no
 * limit would be a guess), or -errno.
 */
int ctl_preflight_measure_memory(const struct ctl_root *r, struct ctl_pf_vm *m);

/* Both of the above. Returns 0 or -errno. */
int ctl_preflight_measure_vm(const struct ctl_root *r, struct ctl_pf_vm *m);

/* Read vm.dirty_* and MemAvailable. Returns 0 or -errno. */
int ctl_preflight_measure_dirty(const struct ctl_root *r,
				struct ctl_pf_dirty *m);

/*
 * Read kernel.io_uring_disabled and probe io_uring_setup(2) on the
 * running kernel (raw syscall; the ring is closed at once). Returns 0 or
 * -errno of the sysctl read.
 */
int ctl_preflight_measure_uring(const struct ctl_root *r,
				struct ctl_pf_uring *m);

/*
 * Read the queues of the N disks NAMES into M and, when S->samples > 0
 * and one was read, sample their /proc/diskstats lines together,
 * S->samples times S->sample_ms apart (this sleeps once per round, not
 * once per disk).
 * ERRS[i] receives 0 or the -errno of disk i.
 */
void ctl_preflight_measure_queues(const struct ctl_root *r,
				  const char *const *names, size_t n,
				  const struct ctl_pf_sampling *s,
				  struct ctl_pf_queue *m, int *errs);

/* ctl_preflight_measure_queues() for one disk. Returns 0 or -errno. */
int ctl_preflight_measure_queue(const struct ctl_root *r, const char *name,
				const struct ctl_pf_sampling *s,
				struct ctl_pf_queue *m);
