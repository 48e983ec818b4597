/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Undo journal of in-place edits. Before a range of the target changes,
 * its original bytes are appended to the journal and fdatasync'ed, so a
 * crash at any point leaves a journal that restores the original file.
 *
 * The journal names its target by path and by identity: device and inode
 * number, and where the file system has them the inode generation
 * (FS_IOC_GETVERSION) and the birth time (statx STATX_BTIME). Inode
 * numbers are reused at once (ext4 gives a file created after an rm the
 * number just freed); the generation and birth time are not.
 *
 * Format (all integers little-endian; CRC is CRC-32C, initial value ~0,
 * final xor ~0, as in iSCSI/ext4):
 *
 *   header, 96 bytes + P:
 *     0  8  magic "CTLUNDO1"
 *     8  4  version (2)
 *    12  4  header length (96 + P)
 *    16  8  st_dev of the target
 *    24  8  st_ino of the target
 *    32  8  target size when the journal was created
 *    40  8  creation time (seconds since the epoch)
 *    48  4  P: length of the target path (no NUL)
 *    52  4  identity flags: 1 generation, 2 birth time (fields valid)
 *    56  4  inode generation of the target
 *    60  4  birth time of the target, nanoseconds
 *    64  8  birth time of the target, seconds since the epoch (signed)
 *    72 20  reserved (0)
 *    92  4  CRC of bytes 0..91 followed by the path
 *    96  P  absolute path of the target
 *   records, one after the other:
 *     0  4  magic "UREC"
 *     4  4  L: length of the original bytes
 *     8  8  file offset of the original bytes
 *    16  4  CRC of the L bytes
 *    20  4  CRC of bytes 0..19
 *    24  L  the original bytes
 *
 * Version 1 (mmapwin 0.1) had a 64-byte header: bytes 0..51 as above, 52..59
 * reserved, the CRC of bytes 0..59 and the path at 60, the path at 64. It
 * holds no generation or birth time, so it is applied only to a file born
 * before the journal was made (an inode number reused later belongs to a
 * file born later), and never appended to.
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

#define CTL_UNDO_VERSION 2
#define CTL_UNDO_HDR_SIZE 96
#define CTL_UNDO_HDR_SIZE_V1 64
#define CTL_UNDO_REC_SIZE 24
#define CTL_UNDO_REC_MAX (1U << 30) /* longest record */

/* CRC-32C of N bytes at P, continuing from CRC (start with 0). */
uint32_t ctl_crc32c(uint32_t crc, const void *p, size_t n);

enum {
	CTL_UNDO_ID_GEN = 1 << 0, /* gen is valid */
	CTL_UNDO_ID_BTIME = 1 << 1, /* btime_sec and btime_nsec are valid */
};

/* What makes a file itself, as far as its file system tells. */
struct ctl_undo_id {
	uint64_t dev, ino;
	uint32_t gen; /* inode generation (FS_IOC_GETVERSION) */
	int64_t btime_sec; /* birth time (statx STATX_BTIME) */
	uint32_t btime_nsec;
	unsigned int has; /* CTL_UNDO_ID_* */
};

/*
 * The identity of the open file FD: device and inode, plus the generation
 * and birth time where the file system has them (a file system without
 * FS_IOC_GETVERSION, like tmpfs, or without a birth time, leaves them
 * out). Returns 0 or -errno.
 */
int ctl_undo_id_get(int fd, struct ctl_undo_id *id);

/*
 * Whether FOUND is the file JOURNALED describes: the same device and
 * inode, and every field JOURNALED has (generation, birth time) present
 * in FOUND and equal. Returns 1 or 0.
 */
int ctl_undo_id_same(const struct ctl_undo_id *journaled,
		     const struct ctl_undo_id *found);

struct ctl_undo;
struct ctl_undo_info;

enum {
	CTL_UNDO_DRY_RUN = 1 << 0, /* apply: check and list, write nothing */
	CTL_UNDO_NO_SYNC = 1 << 1, /* never fdatasync (journal or target) */
	CTL_UNDO_CHECK = 1 << 2, /* open: only check, create nothing */
};

/*
 * Open the journal PATH for appending records about the target open as
 * TFD, whose absolute path is TPATH. A missing or empty journal is
 * created (header written and fdatasync'ed, directory fsync'ed); an
 * existing one must belong to the same file (its identity, see
 * ctl_undo_id_same()), else -EXDEV; a torn last record is trimmed. With
 * CTL_UNDO_NO_SYNC in FLAGS nothing is ever synced (the journal then
 * survives the death of the process, not a power failure). The journal
 * is locked (flock) until ctl_undo_close(): -EWOULDBLOCK if another
 * process holds it. PATH is opened without blocking and must be a regular
 * file: -EISDIR, -CTL_ENOTREG (ctl/file.h) otherwise. Returns 0, -EBADMSG
 * for a file that is not a valid journal, -EPROTO for one of version 1
 * (apply it, do not append), -EINVAL if PATH is the target itself, or
 * -errno. INFO, if not NULL, gets the header (when one was read) and the
 * target's identity in INFO->found, for messages. With CTL_UNDO_CHECK
 * (a dry run) the same checks are made but nothing is created, trimmed or
 * locked for long, and *OUT is NULL; a missing PATH is fine when its
 * directory is writable.
 */
int ctl_undo_open(const char *path, int tfd, const char *tpath,
		  unsigned int flags, struct ctl_undo_info *info,
		  struct ctl_undo **out);

/*
 * Append the LEN (at most CTL_UNDO_REC_MAX) original bytes at file offset
 * OFF, which ORIG points at, and fdatasync the journal (not with
 * CTL_UNDO_NO_SYNC). Only when it returns 0 may the caller touch that
 * range. Safe to call from a ctl_win_fn (system calls only: ORIG may
 * point into a mapping). On failure the partial record is cut off again.
 * Returns 0 or -errno (-EFAULT when ORIG could not be read).
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
	unsigned int version; /* of the journal format */
	struct ctl_undo_id id; /* of the target, as journaled */
	struct ctl_undo_id found; /* of the file now at PATH, when opened */
	uint64_t size; /* target size when the journal was created */
	uint64_t created; /* seconds since the epoch */
	char path[PATH_MAX];
	uint64_t records; /* valid records */
	uint64_t bytes; /* original bytes in them */
	uint64_t torn; /* bytes of a torn last record, ignored */
	uint64_t cur_size; /* target size before applying */
	uint64_t lost; /* bytes of [CUR_SIZE, SIZE) no record covers */
	uint64_t applied; /* records written back */
	int restoring; /* the error came while writing back */
	int truncated; /* target cut back to SIZE after applying */
	int on_target; /* the error returned concerns the target */
};

/*
 * Apply the journal PATH to its target (the path in its header, which
 * must still be the same file: -EXDEV otherwise, with INFO->id and
 * INFO->found telling both identities; a version 1 journal, without
 * generation and birth time, only to a file whose birth time is known and
 * earlier than the journal's creation). Both are opened without
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
