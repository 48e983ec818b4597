/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the user typed -> what it names. The one place that classifies a
 * target word; every tool calls it, none stat()s or realpath()s a target
 * on its own. The same rules, for users, are in ctl-targets(7).
 *
 * In this order, the first rule that fits:
 *
 *  1. "-" is STDIN: the caller reads the targets from stdin, one a line.
 *  2. UUID=, LABEL=, PARTUUID=, PARTLABEL= (any text after the '=', even
 *     with a '/') is the device libblkid finds with that tag: DEV. In a
 *     system root (below) it is the device udev's link names:
 *     <root>/dev/disk/by-uuid, by-label, by-partuuid or by-partlabel, the
 *     value encoded as udev does (a space is \x20, a '/' \x2f).
 *  3. MAJ:MIN (digits:digits) is that device, which must be in
 *     <root>/sys/dev/block: DEV.
 *  4. A word with a '/', and "." and "..", is a path. A path whose stat() is a block device
 *     (a /dev node or a symlink to one) is that device: DEV. Any other
 *     existing path is PATH. A missing one is NEW with CTL_TARGET_MAY_CREATE
 *     (its directory must exist), else -ENOENT.
 *  5. A word without '/' with CTL_TARGET_FILE is a path relative to the
 *     working directory, as in rule 4: a file operand (mmapwin, preflight)
 *     never names a device by a bare word. Rules 2 and 3 do not apply
 *     either: "8:0" or "LABEL=x" is a file name there.
 *  6. A word without '/' otherwise: a kernel name in <root>/sys/class/block
 *     (a disk or a partition) is that device, even when a file of that
 *     name exists in the working directory (write ./NAME for the file).
 *     Else an existing file or directory of that name in the working
 *     directory is PATH. Else -ENODEV ("no such device or file"), also with
 *     CTL_TARGET_MAY_CREATE: a mistyped device name never becomes a file.
 *     The word must be a valid name (at most CTL_NAME_MAX bytes), else
 *     -EINVAL.
 *
 * What each kind means downstream: a DEV target is that device (its
 * partition maps to the disk that holds the queue; --stack reaches the
 * devices below). A PATH target means every queue that serves the file,
 * through dm/md stacks and loop backing files. A NEW target means the same
 * for the directory it will be created in.
 *
 * Where paths are (ctl/root.h): without --sysroot, and for a test tree
 * (ctl_root_open()), a path is this process's, from the working
 * directory. In a system root (--sysroot DIR, CTL_ROOT_SYSTEM) a path
 * names that path inside DIR, as the host's tools see it: "/var/lib/x"
 * is DIR/var/lib/x, and a relative word is taken from DIR's "/" (as
 * chroot(1) and node_exporter's --path.rootfs do: the caller's working
 * directory is in another mount namespace, meaningless in DIR); symlinks
 * and ".." cannot leave DIR (openat2 RESOLVE_IN_ROOT). T->path is then
 * the path inside DIR ("/var/lib/x"), T->dev the st_dev seen through DIR
 * (the same kernel: it matches DIR/sys), and a device node is stat()ed
 * in DIR/dev.
 */
#pragma once

#include <limits.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "ctl/root.h"

#define CTL_DEVNAME_MAX 32 /* the kernel's DISK_NAME_LEN */

enum ctl_target_kind {
	CTL_TARGET_DEV, /* a block device */
	CTL_TARGET_PATH, /* an existing file, directory or other node */
	CTL_TARGET_NEW, /* a file that does not exist yet */
	CTL_TARGET_STDIN, /* "-": targets come from stdin */
};

/* How the word named it: rules 2-3 (tag, number), 6 (name), else path. */
enum ctl_target_by {
	CTL_TARGET_BY_PATH, /* a path, or a bare word taken as one */
	CTL_TARGET_BY_NAME, /* a kernel name (rule 6) */
	CTL_TARGET_BY_DEVNO, /* MAJ:MIN */
	CTL_TARGET_BY_TAG, /* UUID=, LABEL=, PARTUUID=, PARTLABEL= */
};

enum {
	/* The operand is a file: a bare word is never a device name. */
	CTL_TARGET_FILE = 1 << 0,
	/* A path that does not exist yet is fine: kind NEW. */
	CTL_TARGET_MAY_CREATE = 1 << 1,
};

struct ctl_target {
	enum ctl_target_kind kind;
	enum ctl_target_by by;
	char word[PATH_MAX]; /* as typed */
	/*
	 * Absolute and canonical; in a system root, the path inside it.
	 * PATH: realpath(3). NEW: realpath(3) of the
	 * directory, "/", the last component; through a dangling symlink,
	 * the name the symlink points to (what a create makes). DEV: the
	 * node's realpath when typed as a path or found by a tag, else
	 * "/dev/NAME" (which may not exist). STDIN: "".
	 */
	char path[PATH_MAX];
	/*
	 * DEV: the device's number. PATH: st_dev of the file. NEW: st_dev of
	 * its directory. STDIN: 0.
	 */
	dev_t dev;
	/* DEV: the kernel name (sda1), "" when sysfs does not know a node. */
	char name[CTL_DEVNAME_MAX];
	/*
	 * stat(2) of what was found: the file (PATH), its directory (NEW),
	 * the node (DEV typed as a path or tag). DEV by name or MAJ:MIN has
	 * no node: st_mode S_IFBLK and st_rdev set, the rest 0.
	 */
	struct stat st;
};

/*
 * Classify WORD by the rules above into *T. FLAGS: CTL_TARGET_*. R may be
 * NULL with CTL_TARGET_FILE (no sysfs lookup: a device node's name is left
 * ""); without it, NULL gives -EINVAL. Returns 0,
 * -EINVAL for a malformed word (NULL, "", "UUID=", "..", "." or too long
 * as a device name), -ENOENT for a missing path or directory, -ENOTDIR
 * when a directory in it is a file, -ENODEV for a word that names no
 * device (nor, without '/', a file in the working directory),
 * -ENOTSUP when libblkid cannot be loaded for a tag, -ENAMETOOLONG, or
 * -errno of stat(2).
 */
int ctl_target_resolve(const struct ctl_root *r, const char *word,
		       unsigned int flags, struct ctl_target *t);

/*
 * ctl_target_resolve(), for a caller that goes on to the queue of the
 * disk: when WORD names a whole disk (one in <root>/sys/block), its sysfs
 * directory /sys/block/NAME is opened here, once, into *DFD (O_PATH, as
 * ctl_queue_open() opens it; the caller closes it); -1 for anything else
 * (a partition, a file, a node sysfs does not know). A bare word is
 * looked up in /sys/block first and its number read through that
 * directory: a disk's name costs one lookup from the root, and what
 * T says of it is what ctl_target_resolve() says. Returns as
 * ctl_target_resolve() (*DFD -1 on an error).
 */
int ctl_target_resolve_disk(const struct ctl_root *r, const char *word,
			    unsigned int flags, struct ctl_target *t, int *dfd);

/*
 * The path of what was found (what T->st describes) into BUF: for a NEW
 * target the directory it will be created in, else T->path. Returns 0 or
 * -ENAMETOOLONG.
 */
int ctl_target_found(const struct ctl_target *t, char *buf, size_t len);

/*
 * The message for ERR (negative) from ctl_target_resolve() with FLAGS,
 * or from a call that resolves a word as it does (ctl_blk_resolve(),
 * ctl_ext4_fs_open()): the one wording every tool prints after
 * "tool: WORD: ". -ENODEV is "no such device or file", -EINVAL "not a
 * valid device name" (with CTL_TARGET_FILE: "not a valid file name"),
 * -ENOTSUP that libblkid is missing; anything else strerror(3)'s text.
 */
const char *ctl_target_strerror(int err, unsigned int flags);
