/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Files the tools read as input or write to survive: one way to do each.
 *
 * Input files (policy, save, state, undo journal, --from) are opened with
 * O_NONBLOCK and must be regular files, so a FIFO or a device named by
 * mistake gives an error instead of a hang. Files that must survive (save
 * and state files, sysctl.d drop-ins, the header of a new undo journal)
 * are written to a temporary file in the same directory, fsync()ed,
 * renamed over the old one, and the directory is fsync()ed: a reader sees
 * the old file or the new one, never a mix, and a failure leaves the old
 * file as it was. A file too large to build in memory (a replaced file)
 * is streamed to its own temporary file but shares the directory fsync.
 *
 * Record files (save and state files) end with a seal line,
 *   "# end records=N crc32c=XXXXXXXX"
 * whose CRC-32C covers every byte before it, so a file cut anywhere, or
 * edited without care, is refused as a whole instead of half-applied.
 */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/*
 * Not a regular file (a FIFO, device, socket): returned as -CTL_ENOTREG.
 * Above every errno value; ctl_file_strerror() names it.
 */
#define CTL_ENOTREG 0x1000

/* strerror(3) for ERR (positive), knowing CTL_ENOTREG. */
const char *ctl_file_strerror(int err);

/*
 * Open PATH (relative to DIRFD, or AT_FDCWD) for reading without blocking
 * on a FIFO or device: O_NONBLOCK|O_NOCTTY|O_CLOEXEC, then fstat must show
 * a regular file (-EISDIR for a directory, -CTL_ENOTREG otherwise), then
 * O_NONBLOCK is cleared. Returns the fd or -errno.
 */
int ctl_file_open_input(int dirfd, const char *path);

/*
 * Read the whole input file PATH (as ctl_file_open_input) into a new
 * NUL-terminated buffer *BUF of *LEN bytes; more than MAX bytes gives
 * -EFBIG. Returns 0 or -errno; *BUF is the caller's to free.
 */
int ctl_file_read_input(int dirfd, const char *path, size_t max, char **buf,
			size_t *len);

/*
 * Write LEN bytes of BUF as NAME in directory DIRFD with mode MODE: temp
 * file beside it (O_TMPFILE where possible), write, fsync, rename, fsync
 * the directory. On failure the previous NAME is untouched and no temp
 * file stays. Returns 0 or -errno.
 */
int ctl_file_write_atomicat(int dirfd, const char *name, const void *buf,
			    size_t len, mode_t mode);

/* The same for PATH (its directory is opened, "." for a bare name). */
int ctl_file_write_atomic(const char *path, const void *buf, size_t len,
			  mode_t mode);

/*
 * Whether PATH can be written by ctl_file_write_atomic() (or created as
 * an undo journal), asked before a change whose undo record it is to
 * hold (a change that cannot be undone is not made): PATH is a regular
 * file or does not exist, and its directory exists and is writable and
 * searchable (effective IDs). Whether an existing PATH is the caller's
 * to replace (a save file of its own) is the caller's to check.
 * Returns 1 when PATH exists, 0 when not, or -errno: -EISDIR,
 * -CTL_ENOTREG, -ENOENT for a missing directory, -EACCES, -EROFS...
 */
int ctl_file_dest_ok(const char *path);

/*
 * Whether a tool may write its save file PATH (set --save), asked before
 * anything is changed: ctl_file_dest_ok(), and an existing PATH must be
 * one of the tool's save files as LOAD(PATH) reads it (0), or one cut
 * short (-EBADMSG there: an empty file too), never another file replaced
 * by mistake. Returns 1 when PATH exists, 0 when not, -ENOMSG when it
 * exists and is not the tool's (LOAD said -ENOMSG or -EFBIG), or -errno
 * of ctl_file_dest_ok() or LOAD.
 */
int ctl_file_save_ok(const char *path, int (*load)(const char *path));

/* Flags of ctl_file_write_atomic_flags(). */
enum {
	/* PATH must not exist yet: where it does (made meanwhile by another
	 * writer, say), it is left alone and -EEXIST returned. */
	CTL_FILE_NOREPLACE = 1 << 0,
	/* No fsync of the file or its directory (a tool's --no-sync): the
	 * old file or the new one, never a mix, but not flushed. */
	CTL_FILE_NO_SYNC = 1 << 1,
};

/* ctl_file_write_atomic() with FLAGS (CTL_FILE_*). */
int ctl_file_write_atomic_flags(const char *path, const void *buf, size_t len,
				mode_t mode, unsigned int flags);

/*
 * fsync(2) the directory DIRFD, or the directory holding PATH ("." for a
 * bare name): a name just created, renamed or removed in it survives a
 * crash only after this. For writers that must stream a file of their own
 * (too large for a buffer) and then rename or create it. Returns 0 or
 * -errno.
 */
int ctl_file_fsync_dirat(int dirfd);
int ctl_file_fsync_dir(const char *path);

/* Longest seal line, newline included. */
#define CTL_SEAL_MAX 48

/*
 * Append the seal line for the LEN bytes in BUF (of size CAP) holding
 * RECORDS records. Returns the new length, or -ENOSPC when CAP is short.
 */
int ctl_seal_append(char *buf, size_t cap, size_t len, unsigned int records);

/*
 * Check that the LEN bytes of BUF end with a valid seal: the last line is
 * the seal, its CRC matches everything before it. On success *BODY is the
 * length before the seal line and *RECORDS the count it states (either may
 * be NULL). Returns 0, or -EBADMSG for a missing, cut or wrong seal.
 */
int ctl_seal_check(const char *buf, size_t len, size_t *body,
		   unsigned int *records);

/*
 * Open the record file read into BUF (LEN bytes): it starts with MAGIC
 * (its first line, newline included; NULL: any start) and ends with a
 * valid seal (ctl_seal_check()). The seal line is then cut off
 * (BUF[*BODY] = '\0'), *BODY is the length before it and *RECORDS the
 * count it states. Returns 0, -ENOMSG for another file (another start),
 * or -EBADMSG for one cut short (even inside MAGIC, or empty), edited or
 * unsealed.
 */
int ctl_seal_open(char *buf, size_t len, const char *magic, size_t *body,
		  unsigned int *records);
