/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * preflight: every check of the host before a large write to one file, as
 * PASS/WARN/FAIL rows. Three layers, so each can be tested alone: a policy
 * (defaults, or a "key = value" file), measurements gathered through the
 * other libctl modules, and one pure decision function per check from
 * measured values and policy to a result.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ctl/blk.h"
#include "ctl/root.h"

/* A comma list of names in a policy ("nosuid,noexec"). */
#define CTL_PF_LIST_MAX 128

/* A write of unknown size (TARGET is a directory or a new file, and no
 * --size): the checks judge what they can without it and say so. */
#define CTL_PF_SIZE_UNKNOWN UINT64_MAX

/* dirty.min_bytes by default, and the dirty limit a hint sets at least. */
#define CTL_PF_DIRTY_DEFAULT ((uint64_t)16 << 20)

/*
 * The bounds every check is judged against. ctl_preflight_policy_init()
 * sets the defaults, which encode the source article's five checks (queue
 * depth, scheduler, ext4 journal mode and commit interval, noexec/nosuid,
 * swappiness); the man page documents each key.
 */
struct ctl_preflight_policy {
	/* space: WARN when less than this % of the fs is left after it */
	unsigned int space_reserve_pct;
	/* fstype: types the journal checks are meant for; others WARN */
	char fs_types[CTL_PF_LIST_MAX];
	/* mount: options whose absence FAILs, whose absence WARNs, whose
	 * presence FAILs */
	char mount_require[CTL_PF_LIST_MAX];
	char mount_recommend[CTL_PF_LIST_MAX];
	char mount_forbid[CTL_PF_LIST_MAX];
	/* ext4-data: modes allowed (else FAIL), recommended (else WARN) */
	char ext4_data[CTL_PF_LIST_MAX];
	char ext4_data_recommend[CTL_PF_LIST_MAX];
	/* ext4-commit: WARN below min or above warn, FAIL above max (s) */
	unsigned int commit_min, commit_warn, commit_max;
	/* scheduler: allowed ("" any, else FAIL), recommended (else WARN) */
	char sched[CTL_PF_LIST_MAX];
	char sched_recommend[CTL_PF_LIST_MAX];
	/* depth: FAIL below min or above max (0: none), WARN below warn */
	uint64_t depth_min, depth_warn, depth_max;
	/* saturation: util% over `samples` samples of `sample_ms`; await */
	unsigned int util_pct, samples, sample_ms, await_ms;
	/* swappiness: WARN below min, FAIL above max */
	unsigned int swappiness_min, swappiness_max;
	/* memory: FAIL when MemAvailable is below this % of MemTotal */
	unsigned int mem_avail_pct;
	/* dirty: FAIL when the dirty limit is below this many bytes */
	uint64_t dirty_min;
	/* io_uring: FAIL (not WARN) when unavailable */
	bool uring_require;
};

/* Fill P with the defaults. */
void ctl_preflight_policy_init(struct ctl_preflight_policy *p);

/* Where a policy file went wrong. */
struct ctl_preflight_perr {
	unsigned int line; /* 1-based; 0 when not tied to a line */
	char msg[256]; /* "unknown key 'foo'", "bad value '-3' for ..." */
};

/*
 * Apply the "key = value" lines of TEXT to P (which keeps the values of
 * keys not mentioned). '#' starts a comment; blank lines are skipped.
 * Returns 0, or -EINVAL with E naming the line and the problem (unknown
 * key, missing '=', bad value, min above max); P is then partly updated.
 */
int ctl_preflight_policy_parse(const char *text, struct ctl_preflight_policy *p,
			       struct ctl_preflight_perr *e);

/* The largest policy file read. */
#define CTL_PF_POLICY_MAX (64 * 1024)

/*
 * Read the policy file PATH (a host path, a regular file of at most 64
 * KiB, opened without blocking) and parse it. Returns 0, -EFBIG when
 * larger, -EISDIR or -CTL_ENOTREG (include/ctl/file.h) when not a regular
 * file, -errno from reading (E->line 0), or -EINVAL as above.
 */
int ctl_preflight_policy_load(const char *path, struct ctl_preflight_policy *p,
			      struct ctl_preflight_perr *e);

enum ctl_pf_status {
	CTL_PF_PASS,
	CTL_PF_WARN,
	CTL_PF_FAIL,
	CTL_PF_SKIP, /* does not apply here (not ext4, no request queue) */
	CTL_PF_ERROR, /* could not be measured; err says why */
};

/* "PASS", "WARN", "FAIL", "SKIP", "ERROR". */
const char *ctl_preflight_status_name(enum ctl_pf_status s);

/* One row of the report. */
struct ctl_preflight_result {
	char check[24]; /* "space", "mount", "scheduler", ... */
	enum ctl_pf_status status;
	int err; /* -errno for ERROR, else 0 */
	char value[256]; /* what was measured */
	char bound[256]; /* what the policy allows */
	char hint[384]; /* the tool and command that fixes it */
};

/* --- measurements (each filled by the gatherer, or by a test) --- */

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

struct ctl_pf_queue {
	char name[CTL_DEVNAME_MAX];
	char sched[32];
	bool sched_fixed;
	int rotational;
	uint64_t depth, depth_range_max;
	/* saturation sample; samples 0 when not sampled */
	unsigned int samples;
	bool saturated; /* util >= policy util_pct in every sample */
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

/* --- decisions: pure functions of measurement and policy --- */

void ctl_preflight_judge_space(const struct ctl_pf_space *m,
			       const struct ctl_preflight_policy *p,
			       struct ctl_preflight_result *res);
/* FS type against fs_types. */
void ctl_preflight_judge_fstype(const struct ctl_pf_mount *m,
				const struct ctl_preflight_policy *p,
				struct ctl_preflight_result *res);
/* ro, mount_require/recommend/forbid. */
void ctl_preflight_judge_mount(const struct ctl_pf_mount *m,
			       const struct ctl_preflight_policy *p,
			       struct ctl_preflight_result *res);
void ctl_preflight_judge_data(const struct ctl_pf_ext4 *m,
			      const struct ctl_preflight_policy *p,
			      struct ctl_preflight_result *res);
void ctl_preflight_judge_commit(const struct ctl_pf_ext4 *m,
				const struct ctl_preflight_policy *p,
				struct ctl_preflight_result *res);
void ctl_preflight_judge_sched(const struct ctl_pf_queue *m,
			       const struct ctl_preflight_policy *p,
			       struct ctl_preflight_result *res);
void ctl_preflight_judge_depth(const struct ctl_pf_queue *m,
			       const struct ctl_preflight_policy *p,
			       struct ctl_preflight_result *res);
/* The article's rule: saturated (WARN), and await above await_ms: FAIL. */
void ctl_preflight_judge_saturation(const struct ctl_pf_queue *m,
				    const struct ctl_preflight_policy *p,
				    struct ctl_preflight_result *res);
void ctl_preflight_judge_swappiness(const struct ctl_pf_vm *m,
				    const struct ctl_preflight_policy *p,
				    struct ctl_preflight_result *res);
/* MemAvailable % (FAIL), and the write against min(avail, cgroup) (WARN). */
void ctl_preflight_judge_memory(const struct ctl_pf_vm *m,
				const struct ctl_preflight_policy *p,
				struct ctl_preflight_result *res);
/*
 * The dirty limit (dirty_bytes, else dirty_ratio % of MemAvailable):
 * FAIL below dirty_min or when the background limit is not below it,
 * WARN when the write is larger (the writer gets throttled).
 */
void ctl_preflight_judge_dirty(const struct ctl_pf_dirty *m,
			       const struct ctl_preflight_policy *p,
			       struct ctl_preflight_result *res);
void ctl_preflight_judge_uring(const struct ctl_pf_uring *m,
			       const struct ctl_preflight_policy *p,
			       struct ctl_preflight_result *res);

/* --- gathering --- */

/*
 * The mount that serves PATH (a host path that exists) into M, and
 * whether it holds the running system: it serves /, /usr, /boot, /etc or
 * /var (the host's, and with a sysroot the ones under it), or a file this
 * process runs code from (<root>/proc/self/maps: the program, the dynamic
 * loader, libc). Returns 0, -ENOENT when the mount is not in mountinfo,
 * or -errno.
 */
int ctl_preflight_measure_mount(const struct ctl_root *r, const char *path,
				struct ctl_pf_mount *m);

/* Read swappiness, meminfo and the caller's cgroup limit. 0 or -errno. */
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
 * Read the queues of the N disks NAMES into M and, when P->samples > 0
 * and one was read, sample their /proc/diskstats lines together,
 * P->samples times P->sample_ms apart (this sleeps once per round, not
 * once per disk).
 * ERRS[i] receives 0 or the -errno of disk i.
 */
void ctl_preflight_measure_queues(const struct ctl_root *r,
				  const char *const *names, size_t n,
				  const struct ctl_preflight_policy *p,
				  struct ctl_pf_queue *m, int *errs);

/* ctl_preflight_measure_queues() for one disk. Returns 0 or -errno. */
int ctl_preflight_measure_queue(const struct ctl_root *r, const char *name,
				const struct ctl_preflight_policy *p,
				struct ctl_pf_queue *m);

/*
 * Run every check for TARGET (a host path, made absolute first; when it
 * does not exist yet, the directory it would be created in is measured,
 * through a dangling symlink too), about to receive SIZE bytes (UINT64_MAX:
 * the current size of TARGET). Appends one result per check (one per
 * queue for the queue checks) to the new array *OUT of *N entries (free
 * it). A check that cannot be measured is an ERROR row, not a failure of
 * the call. Returns 0, -ENOENT when neither TARGET nor its directory
 * exists, -CTL_ENOTREG when TARGET is neither a regular file nor a
 * directory (a device, FIFO or socket; never opened), -EINVAL for an
 * empty TARGET, or -errno.
 */
int ctl_preflight_run(const struct ctl_root *r, const char *target,
		      uint64_t size, const struct ctl_preflight_policy *p,
		      struct ctl_preflight_result **out, size_t *n);
