/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The preflight application: its policy (the bounds, from defaults or a
 * "key = value" file), one pure decision per check from libctl's
 * measurements (include/ctl/preflight.h) and the policy to a PASS/WARN/FAIL
 * row whose hint names the command that fixes it, and the run that
 * measures a target and collects the rows.
 *
 *   policy.c      defaults, keys, parsing; the policy's list helpers
 *   check-fs.c    space, fstype, mount, ext4-data, ext4-commit
 *   check-host.c  scheduler, depth, saturation, swappiness, memory, dirty,
 *                 io_uring
 *   run.c         rows, and the run over one target
 *   main.c        options, report, exit status
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctl/macro.h"
#include "ctl/preflight.h"
#include "ctl/root.h"
#include "ctl/target.h"

/* A comma list of names in a policy ("nosuid,noexec"). */
#define PF_LIST_MAX 128

/* dirty.min_bytes by default, and the dirty limit a hint sets at least. */
#define PF_DIRTY_DEFAULT ((uint64_t)16 << 20)

/* The largest policy file read. */
#define PF_POLICY_MAX (64 * 1024)

/*
 * The bounds every check is judged against. pf_policy_init() sets the
 * defaults, which encode the source article's five checks (queue depth,
 * scheduler, ext4 journal mode and commit interval, noexec/nosuid,
 * swappiness); the man page documents each key.
 */
struct pf_policy {
	/* space: WARN when less than this % of the fs is left after it */
	unsigned int space_reserve_pct;
	/* fstype: types the journal checks are meant for; others WARN */
	char fs_types[PF_LIST_MAX];
	/* mount: options whose absence FAILs, whose absence WARNs, whose
   * presence FAILs */
	char mount_require[PF_LIST_MAX];
	char mount_recommend[PF_LIST_MAX];
	char mount_forbid[PF_LIST_MAX];
	/* ext4-data: modes allowed (else FAIL), recommended (else WARN) */
	char ext4_data[PF_LIST_MAX];
	char ext4_data_recommend[PF_LIST_MAX];
	/* ext4-commit: WARN below min or above warn, FAIL above max (s) */
	unsigned int commit_min, commit_warn, commit_max;
	/* scheduler: allowed ("" any, else FAIL), recommended (else WARN) */
	char sched[PF_LIST_MAX];
	char sched_recommend[PF_LIST_MAX];
	/* depth: FAIL below min or above max (0: none), WARN below warn */
	uint64_t depth_min, depth_warn, depth_max;
	/* saturation: how the queues are sampled; FAIL above await_ms */
	struct ctl_pf_sampling sat;
	unsigned int await_ms;
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
void pf_policy_init(struct pf_policy *p);

/* Where a policy file went wrong. */
struct pf_perr {
	unsigned int line; /* 1-based; 0 when not tied to a line */
	char msg[256]; /* "unknown key 'foo'", "bad value '-3' for ..." */
};

/*
 * Apply the "key = value" lines of TEXT to P (which keeps the values of
 * keys not mentioned). '#' starts a comment; blank lines are skipped.
 * Returns 0, or -EINVAL with E naming the line and the problem (unknown
 * key, missing '=', bad value, min above max); P is then partly updated.
 */
int pf_policy_parse(const char *text, struct pf_policy *p, struct pf_perr *e);

/*
 * Read the policy file PATH (a host path, a regular file of at most 64
 * KiB, opened without blocking) and parse it. Returns 0, -EFBIG when
 * larger, -EISDIR or -CTL_ENOTREG (include/ctl/file.h) when not a regular
 * file, -errno from reading (E->line 0), or -EINVAL as above.
 */
int pf_policy_load(const char *path, struct pf_policy *p, struct pf_perr *e);

/* 1 if WORD is an element of LIST (separated by commas or blanks). */
int pf_list_has(const char *list, const char *word);

/*
 * What a hint should set: the first of PREF that ALLOWED lists, else the
 * first of ALLOWED, never SKIP (may be NULL); with neither list, DEF.
 * False when the policy allows nothing but SKIP.
 */
bool pf_pick(const char *pref, const char *allowed, const char *skip,
	     const char *def, char *out, size_t len);

enum pf_status {
	PF_PASS,
	PF_WARN,
	PF_FAIL,
	PF_SKIP, /* does not apply here (not ext4, no request queue) */
	PF_ERROR, /* could not be measured; err says why */
};

/* "PASS", "WARN", "FAIL", "SKIP", "ERROR". */
const char *pf_status_name(enum pf_status s);

/* One row of the report. */
struct pf_result {
	char check[24]; /* "space", "mount", "scheduler", ... */
	enum pf_status status;
	int err; /* -errno for ERROR, else 0 */
	char value[256]; /* what was measured */
	char bound[256]; /* what the policy allows */
	char hint[384]; /* the tool and command that fixes it */
	char device[CTL_DEVNAME_MAX]; /* the queue's disk, "" for the others */
	/*
	 * The typed side of value and bound, for JSON and metrics: MEASURED
	 * in UNIT ("bytes", "seconds", "ratio", "requests", or "" for a plain
	 * number), and the policy's bounds on it, MIN <= MEASURED <= MAX for
	 * PASS (preflight(8) says, per check, what else the text judges).
	 * NAN: no such number.
	 */
	double measured, min, max;
	const char *unit;
};

/* RES as a PASS row of CHECK, everything else empty (numbers NAN). */
void pf_res_init(struct pf_result *res, const char *check);

/* Set the typed fields of RES: MEASURED in UNIT, bounds MIN and MAX. */
void pf_res_num(struct pf_result *res, double measured, const char *unit,
		double min, double max);

/* snprintf that may truncate: report cells are cut, never overflowed. */
void pf_fmt(char *buf, size_t len, const char *f, ...) _printf_(3, 4);
#define FMT(field, ...) pf_fmt(field, sizeof(field), __VA_ARGS__)

/*
 * Size V as lsblk prints it (1024-based, one decimal below 10) in BUF, or
 * in bytes after pf_hsize_bytes(true) (-b/--bytes).
 */
const char *pf_hsize(uint64_t v, char *buf, size_t len);
void pf_hsize_bytes(bool on);

/* --- decisions: pure functions of measurement and policy --- */

void pf_judge_space(const struct ctl_pf_space *m, const struct pf_policy *p,
		    struct pf_result *res);
/* FS type against fs_types. */
void pf_judge_fstype(const struct ctl_pf_mount *m, const struct pf_policy *p,
		     struct pf_result *res);
/* ro, mount_require/recommend/forbid. */
void pf_judge_mount(const struct ctl_pf_mount *m, const struct pf_policy *p,
		    struct pf_result *res);
void pf_judge_data(const struct ctl_pf_ext4 *m, const struct pf_policy *p,
		   struct pf_result *res);
void pf_judge_commit(const struct ctl_pf_ext4 *m, const struct pf_policy *p,
		     struct pf_result *res);
void pf_judge_sched(const struct ctl_pf_queue *m, const struct pf_policy *p,
		    struct pf_result *res);
void pf_judge_depth(const struct ctl_pf_queue *m, const struct pf_policy *p,
		    struct pf_result *res);
/* The article's rule: saturated (WARN), and await above await_ms: FAIL. */
void pf_judge_saturation(const struct ctl_pf_queue *m,
			 const struct pf_policy *p, struct pf_result *res);
void pf_judge_swappiness(const struct ctl_pf_vm *m, const struct pf_policy *p,
			 struct pf_result *res);
/* MemAvailable % (FAIL), and the write against min(avail, cgroup) (WARN). */
void pf_judge_memory(const struct ctl_pf_vm *m, const struct pf_policy *p,
		     struct pf_result *res);
/*
 * The dirty limit (dirty_bytes, else dirty_ratio % of MemAvailable):
 * FAIL below dirty_min or when the background limit is not below it,
 * WARN when the write is larger (the writer gets throttled).
 */
void pf_judge_dirty(const struct ctl_pf_dirty *m, const struct pf_policy *p,
		    struct pf_result *res);
void pf_judge_uring(const struct ctl_pf_uring *m, const struct pf_policy *p,
		    struct pf_result *res);

/*
 * Resolve WORD, preflight's TARGET, into *T as a file operand
 * (ctl/target.h: a bare word is a file in the working directory, a file
 * that does not exist yet is NEW and stands for its directory, through a
 * dangling symlink too). Returns 0, -CTL_ENOTREG when it is neither a
 * regular file nor a directory (a device, FIFO or socket, which T
 * describes; never opened), or the resolver's -errno: -ENOENT when neither
 * WORD nor its directory exists, -EINVAL for an empty WORD.
 */
int pf_target(const struct ctl_root *r, const char *word, struct ctl_target *t);

/*
 * Run every check for the target T (from pf_target()), about to receive
 * SIZE bytes (CTL_PF_SIZE_UNKNOWN: the current size of the file, unknown
 * for a directory or a new file). Appends one result per check (one per
 * queue for the queue checks) to the new array *OUT of *N entries (free
 * it). A check that cannot be measured is an ERROR row, not a failure of
 * the call. Returns 0 or -errno.
 */
int pf_run(const struct ctl_root *r, const struct ctl_target *t, uint64_t size,
	   const struct pf_policy *p, struct pf_result **out, size_t *n);
