/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Bulk writer: a stream (stdin, a pipe, a file) into a file at an offset.
 * Buffered, the kernel moves the bytes itself where it can: splice(2) from
 * a pipe, copy_file_range(2) or sendfile(2) from a regular file. Otherwise
 * (another kind of input, O_DIRECT, a fixed depth, a throttle) through
 * io_uring with registered buffers and several writes in flight, or plain
 * pwrite(2) when io_uring is not available. Optional O_DIRECT (alignment
 * from statx STATX_DIOALIGN), drop-behind of the page cache, and a
 * throttle that halves the depth while the disk is saturated.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctl/diskstats.h"
#include "ctl/root.h"
#include "ctl/target.h"

#define CTL_WRITE_CHUNK (1024 * 1024) /* default bytes per write */
#define CTL_WRITE_DEPTH 8 /* default writes in flight with O_DIRECT */
/*
 * Default without O_DIRECT: a buffered write is a copy into the page
 * cache that io_uring hands to a worker thread, serialized per file; more
 * than one being filled and one being written only adds contention.
 */
#define CTL_WRITE_DEPTH_BUFFERED 2
#define CTL_WRITE_DEPTH_MAX 256

/*
 * Asked for: URING (the default) lets the kernel move the bytes where it
 * can (buffered only: SPLICE from a pipe; COPY_RANGE from a regular file,
 * or SENDFILE when copy_file_range(2) refuses, as it does across file
 * systems) and uses io_uring otherwise; PWRITE is read(2) and pwrite(2)
 * only. ctl_write_stats.engine says which one ran.
 */
enum ctl_wengine {
	CTL_WENGINE_URING,
	CTL_WENGINE_PWRITE,
	CTL_WENGINE_SPLICE,
	CTL_WENGINE_COPY_RANGE,
	CTL_WENGINE_SENDFILE,
};

enum {
	CTL_WRITE_DIRECT = 1 << 0, /* O_DIRECT, unaligned tail buffered */
	CTL_WRITE_DROP_BEHIND = 1 << 1, /* write back and drop behind */
	CTL_WRITE_NO_SYNC = 1 << 2, /* skip the final fdatasync */
	CTL_WRITE_TRUNCATE = 1 << 3, /* truncate the file at the offset */
};

/* One queue a throttle watches. */
struct ctl_throttle_disk {
	char name[CTL_DEVNAME_MAX];
	struct ctl_diskstat last;
};

/*
 * The throttle: util of every queue it watches (all that serve the file
 * written) sampled every INTERVAL_MS from diskstats; the busiest one counts.
 * The depth halves after NEED samples at or above PCT and comes back to the
 * full depth after NEED samples below it (the saturation rule of
 * ctl/diskstats.h, NEED = CTL_SAT_SAMPLES).
 */
struct ctl_throttle {
	const struct ctl_root *root;
	struct ctl_throttle_disk *disks;
	size_t n; /* queues watched */
	char disk[CTL_DEVNAME_MAX]; /* the busiest at the latest sample */
	unsigned int interval_ms;
	struct ctl_satur satur;
	unsigned int calm; /* consecutive samples below pct */
	uint64_t last_ms; /* 0: no sample yet */
	double util; /* the latest sample (of the busiest queue) */
	/* Told of each depth change (from, to) with the util that caused it. */
	void (*log)(void *arg, unsigned int from, unsigned int to, double util);
	void *arg;
};

/* Set up a throttle at PCT percent util, watching no queue yet. */
void ctl_throttle_init(struct ctl_throttle *t, const struct ctl_root *r,
		       double pct);

/*
 * Watch queue DISK (a kernel name) too; one already watched is not added
 * again. Returns 0, -ENODEV when DISK has no statistics in diskstats, or
 * -errno.
 */
int ctl_throttle_add(struct ctl_throttle *t, const char *disk);

/* Free what ctl_throttle_add() took; the throttle then watches nothing. */
void ctl_throttle_free(struct ctl_throttle *t);

/*
 * Feed one util sample; returns the depth to use from now on given the
 * current depth CUR and the full depth MAX (logging any change).
 */
unsigned int ctl_throttle_feed(struct ctl_throttle *t, double util,
			       unsigned int cur, unsigned int max);

/*
 * Sample every queue if INTERVAL_MS passed since the last sample (NOW_MS on
 * a monotonic clock) and feed the busiest one's util. Returns the depth to
 * use, or -errno when diskstats cannot be read (-ENODEV: a queue is gone).
 */
int ctl_throttle_poll(struct ctl_throttle *t, uint64_t now_ms, unsigned int cur,
		      unsigned int max);

struct ctl_write_opts {
	enum ctl_wengine engine; /* URING or PWRITE */
	/* Writes in flight; 0: the defaults above. A depth (like a throttle)
	 * asks for io_uring: the kernel's own copies have no depth. */
	unsigned int depth;
	size_t chunk; /* bytes per write; 0: CTL_WRITE_CHUNK */
	uint64_t offset;
	unsigned int flags; /* CTL_WRITE_* */
	struct ctl_throttle *throttle; /* NULL: none (uring only) */
	/* Where /proc/sys/fs/pipe-max-size is read; NULL: the host's. */
	const struct ctl_root *root;
	void (*progress)(void *arg, uint64_t bytes);
	void *arg;
};

struct ctl_write_stats {
	enum ctl_wengine engine; /* the engine that ran */
	int fallback_err; /* why io_uring was not used (-errno), or 0 */
	const char *fallback_why; /* the call that failed, for the notice */
	uint64_t bytes; /* bytes written (all of them durable unless
				  * NO_SYNC, once the call returns 0) */
	uint64_t direct_bytes; /* of which through O_DIRECT */
	bool direct_input; /* the input (a file not in the page cache) was
			    * read with O_DIRECT too */
	unsigned int dio_mem_align, dio_offset_align;
	unsigned int depth; /* writes in flight at the start (1: all but
			     * uring) */
	unsigned int min_depth; /* lowest depth the throttle set */
	unsigned int pipe_size; /* capacity of an input pipe after growing it
				 * (F_SETPIPE_SZ); 0: not a pipe */
	double write_s, sync_s; /* wall time of the copy and of fdatasync */
	const char *step; /* on failure: the step that failed */
};

/*
 * Copy everything readable from IN_FD into the file PATH (created 0666 &
 * ~umask if missing) at OPTS->offset. A gap past the end of file stays a
 * hole. An input pipe is grown to pipe-max-size (1 MiB at most). With the
 * uring engine, falls back to pwrite when io_uring cannot be set up (EPERM
 * from kernel.io_uring_disabled or seccomp, ENOSYS) or registering the
 * buffers hits RLIMIT_MEMLOCK (ENOMEM); ST->fallback_err and
 * ST->fallback_why say why (the kernel's own copies need no io_uring).
 * With O_DIRECT and a regular file as input, the new part of the file is
 * allocated first (so that the writes do not extend the file one at a
 * time): a disk too small fails with -ENOSPC before a byte is written;
 * such an input mostly not in the page cache (cachestat(2)) is read with
 * O_DIRECT too, through a descriptor of its own, IN_FD then set to where
 * the data read ended (ST->direct_input). Buffered, such an input is read
 * with O_DIRECT in the same way (ST->direct_input; written by io_uring or
 * pwrite, not copy_file_range), and no writeback is started behind the
 * copy (it would slow down its reads; not with DROP_BEHIND or a throttle):
 * the final fdatasync() writes it all.
 * Returns 0 or -errno (-EINVAL when O_DIRECT is asked for and the file
 * system reports no alignment).
 */
int ctl_write_stream(const char *path, int in_fd,
		     const struct ctl_write_opts *opts,
		     struct ctl_write_stats *st);

/* The engine's name ("uring", "pwrite", "splice", "copy_file_range",
 * "sendfile"). */
const char *ctl_wengine_name(enum ctl_wengine e);
