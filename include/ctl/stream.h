/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Whole-file passes as a buffered chunk pipeline: read a window, transform
 * it, write back only what changed. Memory is one window whatever the file
 * size. For a fixed-string replace this beats MAP_SHARED windows (no write
 * fault per page, no 64 MiB of mapped pages in RSS).
 */
#pragma once

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

struct ctl_undo_id; /* ctl/undo.h */

#define CTL_STREAM_WINDOW (1024 * 1024) /* default bytes per read */

/*
 * The named temporary file of a different-length replace. The tool keeps
 * one of these where its signal handler can reach it: while `armed` is set,
 * `path` names a file that must go if the process dies now.
 */
struct ctl_stream_tmp {
	volatile sig_atomic_t armed;
	char path[4096];
};

/*
 * Remove the temporary file if one is armed. Async-signal-safe (unlink
 * only): call it from a SIGINT/SIGTERM/SIGHUP handler before re-raising.
 */
void ctl_stream_tmp_cleanup(struct ctl_stream_tmp *t);

enum {
	CTL_REPLACE_DRY_RUN = 1 << 0, /* count only, write nothing */
	CTL_REPLACE_BREAK_HARDLINKS = 1 << 1, /* allow st_nlink > 1 */
	CTL_REPLACE_NO_SYNC = 1 << 2, /* skip fdatasync/fsync */
};

/* A fixed-string replace. */
struct ctl_replace {
	const void *old;
	size_t old_len;
	const void *new;
	size_t new_len;
	uint64_t max_count; /* stop after this many matches; 0: all */
	size_t window; /* bytes per read; 0: CTL_STREAM_WINDOW */
	unsigned int flags; /* CTL_REPLACE_* */
	/*
	 * Same length only: called with the ORIGINAL bytes of each span just
	 * before they are overwritten in place. It must make them durable
	 * (append to an undo journal and fdatasync) before returning >= 0;
	 * a negative return stops the replace with that error.
	 */
	int (*journal)(void *arg, uint64_t off, const void *orig, size_t len);
	void *journal_arg;
	/*
	 * If not NULL, PATH must still be this file when it is opened (the
	 * one the journal was made for): another file there gives -EXDEV,
	 * ST->step "identity", and nothing is written.
	 */
	const struct ctl_undo_id *id;
	/* Called after each window with the bytes of the file passed. */
	void (*progress)(void *arg, uint64_t done, uint64_t total);
	void *progress_arg;
	struct ctl_stream_tmp *tmp; /* may be NULL */
};

/* What a replace did (also filled, as far as it got, on failure). */
struct ctl_replace_stats {
	uint64_t matches;
	uint64_t bytes_changed; /* same length: bytes that now differ;
				 * else bytes of NEW written for OLD */
	uint64_t size_before, size_after;
	uint64_t need, avail; /* free-space check (different length) */
	int in_place; /* 1: same inode; 0: temp file + rename */
	const char *step; /* on failure: the step that failed */
};

/*
 * Replace OLD by NEW in the file PATH (non-overlapping, left to right,
 * matches straddling windows included). Same length edits in place; a
 * different length streams into a temporary file in the same directory
 * that gets the original's mode, owner and xattrs (ACLs included), is
 * fsync'ed and renamed over PATH, then the directory is fsync'ed; its
 * writeback is started as it is written and its pages leave the page
 * cache once on disk (with NO_SYNC it stays there, dirty).
 * Returns 0 or -errno: -EINVAL (empty OLD, OLD equal to NEW, not a regular
 * file), -EMLINK (more than one hard link, without BREAK_HARDLINKS),
 * -ENOSPC (free space below what the new file needs: ST->need and
 * ST->avail), -ESTALE (the file shrank while it was read, or, for a
 * different length, was written by someone else before the rename: ST->step
 * "changed meanwhile"; or PATH names another file by then: "replaced
 * meanwhile"), -EXDEV (not RP->id), or what the failing call returned
 * (ST->step names it; "write" also for an error writing the temporary
 * file back). No temporary file is left behind on failure.
 */
int ctl_stream_replace(const char *path, const struct ctl_replace *rp,
		       struct ctl_replace_stats *st);

/*
 * Copy the ownership, mode and extended attributes (POSIX ACLs are
 * system.posix_acl_* attributes) of file descriptor FROM to TO. Returns 0
 * or -errno; *STEP names the call that failed.
 */
int ctl_stream_copy_meta(int from, int to, const char **step);
