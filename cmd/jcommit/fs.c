// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * jcommit: from a target to its ext4 file system (libctl's chain), and
 * the message for each way that fails.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "ctl/file.h"
#include "ctl/target.h"
#include "jcommit.h"

/*
 * A target jcommit cannot act on (not ext4, not served by the ext4
 * driver, not mounted for check): the message as FLAGS want it. Returns
 * CTL_EXIT_UNSUPP.
 */
int unsupported(int flags, const char *fmt, ...)
{
	char msg[PATH_MAX * 2 + 256];
	va_list ap;

	if (flags & RES_QUIET)
		return CTL_EXIT_UNSUPP;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cli_warn("%s%s", msg, (flags & RES_SKIP) ? "; skipped" : "");
	return CTL_EXIT_UNSUPP;
}

#define NO_E2FS "libext2fs.so.2 cannot be loaded (install libext2fs)"

/* The libctl flags for jcommit's FLAGS. */
static int fs_flags(int flags)
{
	return ((flags & RES_JOURNAL_SB) ? CTL_EXT4_FS_JOURNAL_SB : 0) |
	       ((flags & RES_FSTAB) ? CTL_EXT4_FS_FSTAB : 0);
}

/*
 * The message for ctl_ext4_fs_open() failing with ERR at FI->stage, or,
 * with RES_VERBOSE, for what of a mounted file system could not be
 * read. Returns 0 or an exit code (QUIET: no message for what is not
 * ext4; the listing of every ext mount skips those).
 */
int resolve_done(const struct ctl_root *r, int flags,
		 const struct ctl_ext4_fs *fi, int err)
{
	const char *arg = fi->arg;

	switch (err ? fi->stage : CTL_EXT4_AT_NONE) {
	case CTL_EXT4_AT_TARGET:
		/* What ctl-targets(7) says a word names; see there. */
		cli_warn("%s: %s", arg, ctl_target_strerror(err, 0));
		return CTL_EXIT_FAIL;
	case CTL_EXT4_AT_MOUNT:
		/* The table libctl/mount.c read: the init's under --sysroot. */
		cli_warn("%s: cannot find its mount in %s%s: %s", arg,
			 ctl_root_is_host(r) ? "" : ctl_root_dir(r),
			 ctl_root_paths_inside(r) ? "/proc/1/mountinfo"
						  : "/proc/self/mountinfo",
			 ctl_mount_strerror(-err));
		return CTL_EXIT_FAIL;
	case CTL_EXT4_AT_FSTYPE:
		return unsupported(
			flags, "%s: not an ext4 file system (%s mounted on %s)",
			arg, fi->m.fstype, fi->m.target);
	case CTL_EXT4_AT_DRIVER:
		return unsupported(
			flags,
			"%s: %s on %s is not served by the ext4 driver (no /proc/fs/ext4/%s/options)",
			arg, fi->m.fstype, fi->m.target,
			fi->kname[0] ? fi->kname : "?");
	case CTL_EXT4_AT_SB:
		if (err == -EMEDIUMTYPE)
			return unsupported(
				flags,
				"%s: not an ext4 file system (no ext2/3/4 superblock)",
				arg);
		cli_warn("%s: cannot read the superblock: %s", arg,
			 err == -ELIBACC ? NO_E2FS : strerror(-err));
		return CTL_EXIT_FAIL;
	default:
		break;
	}
	if (!(flags & RES_VERBOSE))
		return 0;
	if (fi->jsb_err == -ELIBACC)
		cli_warn("%s: journal superblock of %s not read: " NO_E2FS
			 "; JCSUM and JSIZE left empty",
			 arg, fi->dev);
	/* Mounted: the kernel still answers; say why columns are empty. */
	if (fi->sb_err < 0)
		cli_warn("%s: superblock of %s not read: %s (libext2fs: %s)",
			 arg, fi->dev, strerror(-fi->sb_err),
			 ctl_ext4_strerror(fi->sb.ext2_err));
	if (fi->fstab < 0)
		cli_warn(
			"%s: %s/etc/fstab not read: %s; FSTAB and NEXT columns left empty",
			arg, ctl_root_is_host(r) ? "" : ctl_root_dir(r),
			ctl_mount_strerror(-fi->fstab));
	return 0;
}

/* The file system ARG names. Returns 0 or an exit code after a message. */
int resolve(const struct ctl_root *r, const char *arg, int flags,
	    struct ctl_ext4_fs *fi)
{
	return resolve_done(r, flags, fi,
			    ctl_ext4_fs_open(r, arg, fs_flags(flags), fi));
}

/* resolve() for an entry M of the mount list, taken over by FI. */
int resolve_listed(const struct ctl_root *r, struct ctl_mount *m, int flags,
		   struct ctl_ext4_fs *fi)
{
	return resolve_done(r, flags, fi,
			    ctl_ext4_fs_from_mount(r, m, fs_flags(flags), fi));
}

/*
 * Changes go through the mount point path (fspick, the tune ioctls, the
 * checkpoint), which leads to whatever is mounted there now. Returns 0,
 * or an exit code after a message when another file system covers it.
 */
int reachable(const struct ctl_ext4_fs *fi)
{
	if (!fi->mounted || !fi->covered)
		return 0;
	cli_warn(
		"%s: another file system is mounted over this mount point, so %s cannot be reached through it; unmount that one first",
		fi->m.target, fi->dev[0] ? fi->dev : fi->m.source);
	return CTL_EXIT_FAIL;
}

/*
 * The superblock and checkpoint ioctls need a file of the mount opened:
 * a mount whose root is a FIFO or device (a bind mount) has none. Returns
 * 0, or an exit code after a message.
 */
int ioctl_reachable(const struct ctl_ext4_fs *fi)
{
	if (!fi->mounted || S_ISDIR(fi->root_mode) || S_ISREG(fi->root_mode))
		return 0;
	cli_warn(
		"%s: the mount is of a FIFO or device, not of a directory or file, so its file system cannot be reached through it for this; use another mount of %s",
		fi->m.target, fi->dev[0] ? fi->dev : fi->m.source);
	return CTL_EXIT_FAIL;
}
