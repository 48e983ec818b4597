/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * qdepth's private header: the options, the targets as resolved, the
 * batch of queue changes set and restore run, and what the files of
 * cmd/qdepth/ share. One file per subcommand group: main.c (options,
 * dispatch), target.c (targets, output), show.c, check.c, stat.c,
 * set.c (set, restore, their table) and jobs.c (locking, plan, apply,
 * roll back).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "cli/cli.h"
#include "ctl/blk.h"
#include "ctl/queue.h"

/* The columns that more than one subcommand shows, defined once. */
/* clang-format off */
#define QD_COL_TARGET {"TARGET", 0.2, CTL_COL_TRUNC, "the target as given"}
#define QD_COL_DEVICE {"DEVICE", 0.1, 0, "queue device"}
#define QD_COL_RANGE_MIN {"RANGE-MIN", 5, CTL_COL_RIGHT | CTL_COL_NUMBER, \
			  "lowest valid nr_requests"}
#define QD_COL_RANGE_MAX {"RANGE-MAX", 5, CTL_COL_RIGHT | CTL_COL_NUMBER, \
			  "highest valid nr_requests"}
/* clang-format on */

struct opts {
	struct ctl_cli cli;
	struct ctl_queue_want want;
	int udev;
	int stack; /* a device target includes the devices below it */
	int ignore_noqueue; /* check: a target without a queue is no failure */
	struct cli_range depth; /* check --min-depth, --max-depth */
	const char *sched_list; /* check --scheduler */
	double interval;
	uint64_t count;
	int count_set;
	int interval_set;
	double saturation; /* < 0: not asked */
	struct ctl_root *root;
	struct ctl_log log; /* --udev: the system log (libctl/log.c) */
	int all; /* no TARGET argument at all: every disk with a queue */
};

/* ---- targets (target.c) ---- */

struct item {
	const char *target;
	struct ctl_blkdev dev;
	int err; /* the target did not resolve: -errno, dev unused */
	int dfd; /* the disk's sysfs directory when the resolver opened it */
};

struct items {
	struct item *v;
	size_t n;
	struct ctl_blk_list devs;
};

/* The most serious of two exit statuses: 3/4 over 2 over 1. */
int rc_max(int a, int b);
/* The message for a target that did not resolve (ERR: -errno). */
const char *resolve_hint(int err);
int collect(struct opts *o, struct ctl_strv *targets, int keep_failed,
	    struct items *it);
void dedupe_queues(struct items *it);
void items_free(struct items *it);
/* Cell COL of ROW: read-ahead KB in KiB, or in bytes with -b. */
void set_ra(const struct opts *o, struct ctl_out *out, struct ctl_row *row,
	    size_t col, uint64_t kb);

/* ---- subcommands ---- */

/* Read queue NAME through DFD (its directory), or opened here (DFD -1). */
int read_queue(struct opts *o, const char *name, int dfd, unsigned int fields,
	       struct ctl_queue *q);
int cmd_show(struct opts *o, struct ctl_strv *targets);
int cmd_check(struct opts *o, struct ctl_strv *targets);
int cmd_stat(struct opts *o, struct ctl_strv *targets);
int cmd_set(struct opts *o, struct ctl_strv *targets);
int cmd_restore(struct opts *o, const char *file);

/* ---- the batch of set and restore (jobs.c) ---- */

/*
 * One queue to change, or a target that names none, and its outcome.
 * set and restore run a batch of jobs all or nothing: plan every one,
 * write only when all plans hold, undo the written ones when a write
 * fails.
 */
struct job {
	const char *target; /* as given, or the save file */
	const char *name; /* queue device; "" for a target without one */
	unsigned int major, minor; /* its number, for the lock */
	unsigned int level; /* 0 serves the target, 1+ below a loop file */
	int unresolved; /* the target names no device: stops the batch */
	int unknown; /* below a loop file that cannot be followed */
	int dfd; /* the disk's sysfs directory (ctl_queue_open), or -1 */
	struct ctl_queue_want want;
	struct ctl_queue_change c;
};

const char *job_name(const struct job *j);
/* Lock the jobs' queues; returns the fds for unlock_jobs(). */
int *lock_jobs(struct opts *o, struct job *j, size_t n);
void unlock_jobs(int *fds);
int plan_one(struct opts *o, struct job *j, unsigned int fields);
void close_jobs(struct job *j, size_t n);
void skip_planned(struct job *j, size_t n, const char *why);
void roll_back(struct job *j, size_t n, const char *why);
int run_jobs(struct opts *o, struct job *j, size_t n);
