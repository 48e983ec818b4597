/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Request-queue settings of one disk: scheduler, nr_requests, read-ahead.
 * Plan first (range of nr_requests for the scheduler that will be
 * current), then apply in the kernel's order: scheduler, depth, read-ahead,
 * each read back.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "ctl/blk.h"
#include "ctl/macro.h"
#include "ctl/root.h"

/* nr_requests below this silently becomes this (BLKDEV_MIN_RQ). */
#define CTL_QUEUE_MIN_DEPTH 4
/* With an I/O scheduler the kernel allows up to MAX_SCHED_RQ. */
#define CTL_QUEUE_MAX_SCHED_DEPTH 2048

struct ctl_queue {
	char name[CTL_DEVNAME_MAX];
	unsigned int major, minor; /* device number, 0:0 unknown */
	char sched[32]; /* current scheduler */
	char scheds[256]; /* registered schedulers, space separated */
	bool sched_fixed; /* "none" without brackets: not configurable */
	uint64_t depth; /* nr_requests */
	uint64_t hw_depth; /* hardware tag depth (mq/N/nr_tags), 0 unknown */
	uint64_t read_ahead_kb;
	uint64_t dev_queue_depth; /* device/queue_depth (SCSI), 0 absent */
	int rotational; /* 1, 0, or -1 unknown */
	unsigned int have; /* CTL_QUEUE_* fields read; others are unknown */
};

/* What ctl_queue_read_at() reads besides nr_requests (always read). */
enum {
	CTL_QUEUE_SCHED = 1 << 0, /* sched, scheds, sched_fixed */
	CTL_QUEUE_READ_AHEAD = 1 << 1,
	CTL_QUEUE_HW_DEPTH = 1 << 2,
	CTL_QUEUE_ROTATIONAL = 1 << 3,
	CTL_QUEUE_DEV_DEPTH = 1 << 4, /* device/queue_depth */
	CTL_QUEUE_DEVNO = 1 << 5, /* major, minor */
	CTL_QUEUE_ALL = (1 << 6) - 1,
	/* The scheduler, and the tag depth when it is "none". */
	CTL_QUEUE_HW_DEPTH_NONE = 1 << 6,
};

/*
 * Open the sysfs directory of disk NAME (/sys/block/NAME) under the root,
 * once per disk: the reads and writes of its queue are then relative to
 * it (ctl_queue_read_at, ctl_queue_apply_at), with no second lookup from
 * the root. Returns an O_PATH fd, -EINVAL for a bad name, -ENODEV when
 * there is no such disk, or -errno.
 */
int ctl_queue_open(const struct ctl_root *r, const char *name);

/*
 * 1 when the disk open at DFD (ctl_queue_open, ctl_target_resolve_disk)
 * has a request queue (queue/nr_requests), 0 when not (bio-based), or
 * -errno.
 */
int ctl_queue_exists_at(int dfd);

/*
 * Read the queue of disk NAME open at DFD: nr_requests and the FIELDS
 * asked, no more. A field that cannot be read stays out of Q->have (and
 * reads 0, or -1 for rotational): the caller decides whether it needs it.
 * A queue without a scheduler attribute has a known scheduler "". R is
 * used for CTL_QUEUE_DEV_DEPTH only (device/ leads out of the disk's
 * directory). Returns 0, -ENODEV (no request queue), or -errno.
 */
int ctl_queue_read_at(const struct ctl_root *r, int dfd, const char *name,
		      unsigned int fields, struct ctl_queue *q);

/* Read all of the queue of disk NAME. Returns 0, -ENODEV, or -errno. */
int ctl_queue_read(const struct ctl_root *r, const char *name,
		   struct ctl_queue *q);

/* 1 if SCHED is registered for Q (listed in its scheduler file). */
int ctl_queue_has_sched(const struct ctl_queue *q, const char *sched);

/*
 * Valid nr_requests range on Q once SCHED is current: the hardware depth
 * with "none", MAX_SCHED_RQ with an elevator.
 */
void ctl_queue_range(const struct ctl_queue *q, const char *sched,
		     uint64_t *min, uint64_t *max);

/* What the user asked for; unset fields stay as they are. */
struct ctl_queue_want {
	const char *sched; /* NULL: keep */
	bool set_depth; /* depth or depth_max given */
	bool depth_max; /* "max": the top of the range */
	uint64_t depth;
	bool set_read_ahead;
	uint64_t read_ahead_kb;
	bool clamp; /* clamp an out-of-range depth instead of rejecting */
};

enum ctl_queue_result {
	CTL_QUEUE_APPLIED,
	CTL_QUEUE_UNCHANGED,
	CTL_QUEUE_CLAMPED, /* applied, depth clamped into range */
	CTL_QUEUE_REJECTED, /* nothing written: invalid request */
	CTL_QUEUE_NA, /* not applicable: no request queue */
	CTL_QUEUE_FAILED, /* a write failed; earlier writes rolled back */
	CTL_QUEUE_PLANNED, /* valid, would change the queue; not written yet */
	CTL_QUEUE_SKIPPED, /* valid, not written: another device failed */
	CTL_QUEUE_ROLLED_BACK, /* applied, then put back: another failed */
};

/* One device's plan and outcome. */
struct ctl_queue_change {
	struct ctl_queue before, after;
	char sched[32]; /* scheduler that will be current */
	uint64_t depth; /* depth that will be written (0: none) */
	uint64_t min, max; /* valid depth range for `sched` */
	enum ctl_queue_result result;
	int err; /* -errno for REJECTED/FAILED */
	char why[320]; /* human reason for REJECTED/FAILED/CLAMPED */
};

/*
 * The fields a plan for W needs read (ctl_queue_read_at): the scheduler,
 * the read-ahead when it changes, the tag depth when "none" will be the
 * scheduler.
 */
unsigned int ctl_queue_plan_fields(const struct ctl_queue_want *w);

/*
 * Validate WANT against Q and fill C (no writes). C->result is
 * CTL_QUEUE_PLANNED when applying the plan would change the queue,
 * CTL_QUEUE_UNCHANGED when the queue is already as asked (a dry run says
 * so; there is nothing to write). Returns 0 when the plan can be applied,
 * -EINVAL/-ERANGE when rejected (C says why).
 */
int ctl_queue_plan(const struct ctl_queue *q, const struct ctl_queue_want *w,
		   struct ctl_queue_change *c);

/*
 * Apply a plan made by ctl_queue_plan() to the disk open at DFD
 * (ctl_queue_open): scheduler first (switching resets nr_requests), then
 * depth, then read-ahead, each read back through the fd it was written
 * to into C->after (the depth also after a switch). If a write fails or
 * the kernel reads back another value, the old values are put back (as
 * far as C->before knows them: the read-ahead only when read) and C->why
 * says whether that worked; the result is CTL_QUEUE_FAILED. Returns 0 or
 * -errno (-EIO for a read-back that differs).
 */
int ctl_queue_apply_at(int dfd, const struct ctl_queue_want *w,
		       struct ctl_queue_change *c);

/* ctl_queue_apply_at() on the disk C->before.name, opened here. */
int ctl_queue_apply(const struct ctl_root *r, const struct ctl_queue_want *w,
		    struct ctl_queue_change *c);

/*
 * Undo a change ctl_queue_apply_at() made on the disk open at DFD: put
 * C->before back (scheduler, depth, read-ahead when known) and read it
 * back into C->after. Returns 0 with
 * result CTL_QUEUE_ROLLED_BACK, or -errno with CTL_QUEUE_FAILED (-EIO:
 * the queue reads back other values; C->why has them).
 */
int ctl_queue_revert_at(int dfd, struct ctl_queue_change *c);

/* ctl_queue_revert_at() on the disk C->before.name, opened here. */
int ctl_queue_revert(const struct ctl_root *r, struct ctl_queue_change *c);

/*
 * One writer per device: take an exclusive lock on the queue of device
 * MAJ:MIN, the file <root>/run/qdepth/MAJ:MIN.lock (made, and the 0700
 * directory, only when missing; opened non-blocking, so a FIFO there
 * cannot hang the caller), waiting at most TIMEOUT_MS for another holder.
 * A lock directory that is not ours or that others can write gives -EPERM.
 * Returns the lock's fd (close it to release), -ETIMEDOUT, or -errno.
 */
int ctl_queue_lock(const struct ctl_root *r, unsigned int major,
		   unsigned int minor, unsigned int timeout_ms);

/* Where ctl_queue_lock() keeps its lock files, under the root. */
#define CTL_QUEUE_LOCK_DIR "/run/qdepth"

/* Name of a result ("applied", "clamped", ...). */
const char *ctl_queue_result_name(enum ctl_queue_result res);

/*
 * Record the outcome RES of change C with its error ERR (-errno; 0 for
 * none) and the reason, formatted as printf(3) does, in C->why. Returns
 * ERR: `return ctl_queue_outcome(c, CTL_QUEUE_FAILED, err, ...);`.
 */
int ctl_queue_outcome(struct ctl_queue_change *c, enum ctl_queue_result res,
		      int err, const char *fmt, ...) _printf_(4, 5);

/*
 * Make sure SCHED is registered on Q: when it is not, try to load its
 * module (ctl_kmod_load_sched) and re-read Q. With DRY_RUN nothing is
 * loaded: the module is only looked up (ctl_kmod_find_sched), and when it
 * exists SCHED is added to Q->scheds as loading it would, so that a plan
 * takes it. Returns 0 when SCHED is available, 1 in a dry run when it
 * would be after loading its module, else the error of the loader or of
 * the lookup (-ENOENT: no such module here).
 */
int ctl_queue_ensure_sched(const struct ctl_root *r, struct ctl_queue *q,
			   const char *sched, bool dry_run);

/*
 * Save file: the previous scheduler, depth and read-ahead of each queue,
 * one line per disk with its device number (so that `restore` can refuse a
 * name that now belongs to another disk), to put them back, sealed with
 * ctl_seal_append(). Written with ctl_file_write_atomic(), mode 0600.
 * Returns 0 or -errno (-ENOENT when the directory does not exist).
 */
int ctl_queue_save(const char *path, const struct ctl_queue *qs, size_t n);

/*
 * Read a save file (ctl_file_read_input: a FIFO cannot block, 1 MiB at
 * most) into a new array *QS of *N entries (free() it; N may be 0).
 * Nothing is returned unless the whole file checks. Returns 0; -ENOMSG for
 * a file that is not a qdepth save file or has a record that does not
 * parse; -EBADMSG for one without a valid seal (cut, edited, or written
 * before files were sealed); -EISDIR, -CTL_ENOTREG, -EFBIG, or -errno.
 */
int ctl_queue_load(const char *path, struct ctl_queue **qs, size_t *n);

/*
 * Whether `set --save PATH` may write PATH: ctl_file_save_ok() with
 * ctl_queue_load() as the judge of an existing file. Returns 1 when PATH
 * exists, 0 when not, -ENOMSG when it exists and is not a qdepth save
 * file (or is over 1 MiB), or -errno as ctl_file_dest_ok().
 */
int ctl_queue_save_ok(const char *path);
