/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Target -> block devices with a request queue. What a word names is
 * decided by ctl_target_resolve() (ctl/target.h); this is what each kind
 * means. A device target means that device; a partition maps to its disk,
 * where the queue lives. A path (or the directory of a new file) means
 * every queue that serves the file: its disk, the leaves of dm/md stacks
 * through slaves/, and (CTL_BLK_FOLLOW_LOOP) the device under a loop
 * device's backing file. CTL_BLK_STACK makes a device target reach down
 * the same way.
 */
#pragma once

#include <stddef.h>

#include "ctl/root.h"
#include "ctl/target.h"

enum ctl_blk_kind {
	CTL_BLK_QUEUE, /* a request queue: scheduler and nr_requests */
	CTL_BLK_NOQUEUE, /* bio-based without slaves (zram, brd, pmem...) */
	CTL_BLK_NODEV, /* no block device at all (tmpfs, overlay, btrfs...) */
	CTL_BLK_UNKNOWN, /* under a loop file that cannot be followed */
};

struct ctl_blkdev {
	char name[CTL_DEVNAME_MAX]; /* kernel name, "" for CTL_BLK_NODEV */
	unsigned int major, minor;
	enum ctl_blk_kind kind;
	unsigned int level; /* 0 serves the target, 1+ under a loop file */
	char via[256]; /* how the target led here, or why no queue */
};

struct ctl_blk_list {
	struct ctl_blkdev *v;
	size_t n;
};

enum {
	/* Follow loop devices to the device under their backing file. */
	CTL_BLK_FOLLOW_LOOP = 1 << 0,
	/* A device target also means the devices below it (--stack). */
	CTL_BLK_STACK = 1 << 1,
};

/*
 * Append what the resolved target T names to OUT (duplicates dropped): a
 * DEV target that device, a PATH target every queue serving the file, a
 * NEW target every queue serving its directory. Returns 0; -EINVAL for a
 * STDIN target (expand "-" first), -ENODEV for a device sysfs does not
 * know, -ELOOP for a stack deeper than 8, or -errno. A target without a
 * request queue is not an error: it appends an entry of kind
 * CTL_BLK_NOQUEUE or CTL_BLK_NODEV whose `via` says why. A loop device's
 * backing file that cannot be followed (deleted, or out of the root's
 * reach) appends a CTL_BLK_UNKNOWN entry below it.
 */
int ctl_blk_resolve_target(const struct ctl_root *r, const struct ctl_target *t,
			   unsigned int flags, struct ctl_blk_list *out);

/*
 * ctl_target_resolve() of WORD as a device-or-path target (no
 * CTL_TARGET_* flags), then ctl_blk_resolve_target(). Returns 0 or the
 * -errno of either.
 */
int ctl_blk_resolve(const struct ctl_root *r, const char *target,
		    unsigned int flags, struct ctl_blk_list *out);

/*
 * ctl_blk_resolve(), looking WORD up once: a whole disk with a request
 * queue, without CTL_BLK_STACK, is that queue, and *DFD keeps the
 * /sys/block/NAME directory the resolver opened (the caller closes it)
 * for reading and writing the queue; otherwise *DFD is -1 and the target
 * goes through ctl_blk_resolve_target(). Returns 0 or -errno (*DFD -1).
 */
int ctl_blk_resolve_at(const struct ctl_root *r, const char *target,
		       unsigned int flags, struct ctl_blk_list *out, int *dfd);

/* Append every whole disk in /sys/block that has a request queue. */
int ctl_blk_list_queues(const struct ctl_root *r, struct ctl_blk_list *out);

/* Free the entries; the list is left empty. */
void ctl_blk_list_free(struct ctl_blk_list *l);
