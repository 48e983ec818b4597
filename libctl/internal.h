/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Private helpers of libctl; not part of the API. */
#pragma once

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "ctl/macro.h"

/* snprintf that fails with -ENAMETOOLONG instead of truncating. */
int ctl_fmt(char *buf, size_t len, const char *fmt, ...) _printf_(3, 4);

/*
 * Whole-buffer I/O with EINTR retried (libctl/io.c). The reads return the
 * byte count, short only at end of file; the writes return 0, or -EIO when
 * the kernel takes nothing. All return -errno on failure.
 */
ssize_t ctl_read_full(int fd, void *buf, size_t len);
ssize_t ctl_pread_full(int fd, void *buf, size_t len, uint64_t off);
int ctl_write_full(int fd, const void *buf, size_t len);
int ctl_pwrite_full(int fd, const void *buf, size_t len, uint64_t off);

/*
 * FD if it is open on a regular file; else close it and return -EISDIR,
 * -CTL_ENOTREG (ctl/file.h) or -errno. A negative FD is passed through.
 */
int ctl_file_regular_or_close(int fd);

/*
 * Wrappers of the dlopen()ed libraries, one libctl file each; the public
 * headers show what they are for, not how they are reached.
 */

/*
 * libblkid (libctl/blkid.c, loaded on first use): the device node for a
 * tag such as "UUID=..." or "LABEL=...", in BUF. Returns 0, -ENOENT when
 * no device has the tag, -ENOTSUP when libblkid cannot be loaded.
 */
int ctl_blkid_evaluate(const char *tag, char *buf, size_t len);

struct ctl_root;

/*
 * libkmod (libctl/kmod.c, loaded on first use): load the module for
 * scheduler SCHED through the alias "<sched>-iosched". Returns 0, -ENOENT
 * when there is no such module (or no module tree), -ENOTSUP when libkmod
 * is missing or the root is not the host, or -errno.
 */
int ctl_kmod_load_sched(const struct ctl_root *r, const char *sched);

/*
 * libkmod, lookup only (a dry run): whether the alias "<sched>-iosched"
 * names a module, without loading anything. Returns 0 when it does, the
 * same errors as ctl_kmod_load_sched() otherwise (-ENOENT: no such module
 * or no module tree).
 */
int ctl_kmod_find_sched(const struct ctl_root *r, const char *sched);

struct ctl_ext4_sb;
struct ctl_ext4_live;
struct ctl_jbd2_info;

/*
 * libext2fs (libctl/ext4.c, loaded on first use) and the ext4 readers
 * behind the public chain of ctl/ext4.h (ctl_ext4_fs_open()).
 *
 * Read the superblock of the ext2/3/4 file system on DEV (a block device
 * or an image file), read-only, even when mounted (values may be a little
 * stale then), with the journal superblock. Returns 0, -EMEDIUMTYPE when
 * DEV holds no ext2/3/4 file system, -ELIBACC when libext2fs.so.2 cannot
 * be loaded, or -errno; on failure SB->ext2_err keeps the libext2fs code
 * (0 for -ELIBACC).
 */
int ctl_ext4_sb_read(const char *dev, struct ctl_ext4_sb *sb);

/*
 * The superblock fields of struct ctl_ext4_sb from DEV directly, one
 * pread() of the primary superblock at byte 1024, without libext2fs: for
 * a mounted file system, which the kernel has checked already. The
 * journal superblock is not read: journal_csum and journal_bytes stay 0.
 * Fails as ctl_ext4_sb_read() does: -EMEDIUMTYPE without the ext2/3/4
 * magic, -EIO when DEV is too short to hold a superblock, or -errno;
 * SB->ext2_err then holds the code libext2fs would give.
 */
int ctl_ext4_sb_peek(const char *dev, struct ctl_ext4_sb *sb);

/*
 * Can the superblock of the unmounted file system on DEV be written now?
 * Reads it into SB. Returns 0, -EBUSY when the block device is in use,
 * -EUCLEAN when its journal needs recovery, or an error of
 * ctl_ext4_sb_read().
 */
int ctl_ext4_sb_writable(const char *dev, struct ctl_ext4_sb *sb);

/*
 * Write the superblock of the unmounted file system on DEV as
 * ctl_ext4_fs_sb_write() says (opened exclusively, read back). Returns as
 * that does.
 */
int ctl_ext4_sb_write(const char *dev, const char *mount_opts, int data);

/*
 * Read <root>/proc/fs/ext4/KNAME/options, which always lists data= and
 * commit=. Returns 0, -ENOENT when the ext4 driver does not serve KNAME,
 * -EINVAL for a KNAME that is no name, or -errno.
 */
int ctl_ext4_live_read(const struct ctl_root *r, const char *kname,
		       struct ctl_ext4_live *live);

/*
 * Read the jbd2 statistics of the internal journal (inode 8) of KNAME
 * from <root>/proc/fs/jbd2/KNAME-8/info. Returns 0, -ENOENT without a
 * jbd2 journal, or -errno.
 */
int ctl_jbd2_info_read(const struct ctl_root *r, const char *kname,
		       struct ctl_jbd2_info *ji);

/* Parse the text of a jbd2 info file. Returns 0 or -EINVAL. */
int ctl_jbd2_info_parse(const char *text, struct ctl_jbd2_info *ji);

/* Negative errno of the last failed libc call, never 0. */
static inline int neg_errno(void)
{
	return errno > 0 ? -errno : -EIO;
}

static inline void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}
#define _cleanup_fclose_ _cleanup_(fclosep)
