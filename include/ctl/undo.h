/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Undo journal of in-place edits. Before a range of the target changes,
 * its original bytes are appended to the journal and fdatasync'ed, so a
 * crash at any point leaves a journal that restores the original file.
 *
 * Format (all integers little-endian; CRC is CRC-32C, initial value ~0,
 * final xor ~0, as in iSCSI/ext4):
 *
 *   header, 64 bytes + P:
 *     0  8  magic "CTLUNDO1"
 *     8  4  version (1)
 *    12  4  header length (64 + P)
 *    16  8  st_dev of the target
 *    24  8  st_ino of the target
 *    32  8  target size when the journal was created
 *    40  8  creation time (seconds since the epoch)
 *    48  4  P: length of the target path (no NUL)
 *    52  8  reserved (0)
 *    60  4  CRC of bytes 0..59 followed by the path
 *    64  P  absolute path of the target
 *   records, one after the other:
 *     0  4  magic "UREC"
 *     4  4  L: length of the original bytes
 *     8  8  file offset of the original bytes
 *    16  4  CRC of the L bytes
 *    20  4  CRC of bytes 0..19
 *    24  L  the original bytes
 *
 * Applying writes the records back last to first (so overlapping records,
 * from several runs into one journal, end at the oldest bytes), then
 * truncates the target back to the recorded size if it grew. That is
 * byte-exact and idempotent. A record that is cut short or fails its CRC
 * at the end of the journal is a write that never reached the disk, whose
 * range was therefore never touched: it is ignored (and trimmed when the
 * journal is opened for appending).
 */
#pragma once

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#define CTL_UNDO_HDR_SIZE 64
#define CTL_UNDO_REC_SIZE 24
#define CTL_UNDO_REC_MAX (1U << 30) /* longest record */

/* CRC-32C of N bytes at P, continuing from CRC (start with 0). */
uint32_t ctl_crc32c(uint32_t crc, const void *p, size_t n);

struct ctl_undo;

/*
 * Open the journal PATH for appending records about the target open as
 * TFD, whose absolute path is TPATH. A missing or empty journal is
 * created (header written and fdatasync'ed, directory fsync'ed); an
 * existing one must belong to the same file (device and inode), else
 * -EXDEV; a torn last record is trimmed. The journal is locked (flock)
 * until ctl_undo_close(): -EWOULDBLOCK if another process holds it.
 * PATH is opened without blocking and must be a regular file: -EISDIR,
 * -CTL_ENOTREG (ctl/file.h) otherwise. Returns 0, -EBADMSG for a file
 * that is not a valid journal, -EINVAL if PATH is the target itself, or
 * -errno.
 */
int ctl_undo_open(const char *path, int tfd, const char *tpath,
		  struct ctl_undo **out);

/*
 * Append the LEN (at most CTL_UNDO_REC_MAX) original bytes at file offset
 * OFF, which ORIG points at, and fdatasync the journal. Only when it
 * returns 0 may the caller touch that range. Safe to call from a
 * ctl_win_fn (system calls only: ORIG may point into a mapping). On
 * failure the partial record is cut off again. Returns 0 or -errno
 * (-EFAULT when ORIG could not be read).
 */
int ctl_undo_record(struct ctl_undo *u, uint64_t off, const void *orig,
		    size_t len);

/*
 * ctl_undo_record() with the journal as a void pointer, for callbacks of
 * the shape int (*)(void *arg, uint64_t off, const void *orig, size_t len).
 */
int ctl_undo_journal(void *undo, uint64_t off, const void *orig, size_t len);

/* Records and bytes appended through U so far. */
void ctl_undo_counts(const struct ctl_undo *u, uint64_t *records,
		     uint64_t *bytes);

/* Close the journal. Returns 0 or -errno of close(2). NULL is fine. */
int ctl_undo_close(struct ctl_undo *u);

/* What a journal holds, and what applying it did. */
struct ctl_undo_info {
	uint64_t dev, ino; /* target identity */
	uint64_t size; /* target size when the journal was created */
	uint64_t created; /* seconds since the epoch */
	char path[PATH_MAX];
	uint64_t records; /* valid records */
	uint64_t bytes; /* original bytes in them */
	uint64_t torn; /* bytes of a torn last record, ignored */
	uint64_t cur_size; /* target size before applying */
	int truncated; /* target cut back to SIZE after applying */
	int on_target; /* the error returned concerns the target */
};

enum {
	CTL_UNDO_DRY_RUN = 1 << 0, /* check and list, write nothing */
	CTL_UNDO_NO_SYNC = 1 << 1, /* skip the final fdatasync */
};

/*
 * Apply the journal PATH to its target (the path in its header, which
 * must still be the same file: -EXDEV otherwise). Both are opened without
 * blocking and must be regular files: -EISDIR or -CTL_ENOTREG (ctl/file.h;
 * INFO->on_target tells which). Records are verified
 * first; nothing is written if any but a torn last one is corrupt
 * (-EBADMSG). EACH, if not NULL, is called for every valid record in
 * journal order before anything is written. The target is fdatasync'ed
 * unless NO_SYNC. Returns 0 or -errno; INFO is filled as far as it got.
 */
int ctl_undo_apply(const char *path, unsigned int flags,
		   void (*each)(void *arg, uint64_t off, uint64_t len),
		   void *arg, struct ctl_undo_info *info);
