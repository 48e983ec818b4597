/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Mount state: for the host the kernel's statmount(2)/listmount(2); else
 * (and where the kernel has no statmount) libmount, dlopen()ed, on
 * <root>/proc/self/mountinfo, or <root>/proc/1/mountinfo for a system
 * root (ctl_root_paths_inside(): --sysroot); and <root>/etc/fstab. The
 * one place that calls libmount; the ext4 chain (ctl_ext4_fs_open()) and
 * preflight find a target's mount here. Both files are read only when
 * they are regular files (-CTL_ENOTREG, -EISDIR otherwise), so a FIFO in
 * a --sysroot tree cannot block a tool. A function that needs libmount
 * and cannot load it returns -ELIBACC (ctl_mount_strerror() names the
 * package).
 */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "ctl/root.h"

/* One line of mountinfo, decoded. Strings are owned by the struct. */
struct ctl_mount {
	int id; /* mount ID (mountinfo field 1) */
	dev_t dev; /* st_dev of the files it serves (MAJ:MIN) */
	char *source; /* "/dev/loop3", "tmpfs", ... */
	char *target; /* the mount point */
	char *root; /* the directory of the fs mounted ("/") */
	char *fstype; /* "ext4", "tmpfs", ... */
	char *vfs_opts; /* per-mount options: "rw,nosuid,relatime" */
	char *fs_opts; /* superblock options: "rw,commit=30" */
	unsigned long vfs_flags; /* MS_RDONLY, MS_NOSUID, ... of the mount,
				    plus MS_LAZYTIME and the sync flags */
	int sb_ro; /* the superblock (not only this mount) is ro */
};

/* Who answers mount questions (ctl_mount_backend_set()). */
enum ctl_mount_backend {
	CTL_MOUNT_AUTO, /* the kernel for the host, else libmount */
	CTL_MOUNT_LIBMOUNT, /* libmount for every root */
	CTL_MOUNT_KERNEL, /* the kernel for every root, no fallback */
};

/*
 * For tests only (comparing the two): force backend B for every later
 * call of this process. The default is CTL_MOUNT_AUTO.
 */
void ctl_mount_backend_set(enum ctl_mount_backend b);

/*
 * The message for ERR (positive errno or CTL_E*) of a function here:
 * ELIBACC names libmount1, else as ctl_file_strerror().
 */
const char *ctl_mount_strerror(int err);

/* Free the strings of M and zero it; a zeroed struct is fine. */
void ctl_mount_clear(struct ctl_mount *m);

/*
 * The mount that serves device DEV (MAJ:MIN as in st_dev or st_rdev):
 * the first one that mounts the root of the file system, else the first
 * one at all (a bind mount of a subdirectory). Returns 0, -ENOENT when
 * DEV is not mounted, or -errno.
 */
int ctl_mount_by_dev(const struct ctl_root *r, dev_t dev, struct ctl_mount *m);

/*
 * The mount that serves PATH (any file or directory on the file system;
 * inside the root when ctl_root_paths_inside(R), see ctl/root.h): the mount with PATH's st_dev whose mount point is the
 * longest prefix of PATH (the last of equals), else the mount
 * ctl_mount_by_dev() finds. Returns 0, -ENOENT when PATH or its mount is
 * missing, or -errno.
 */
int ctl_mount_by_path(const struct ctl_root *r, const char *path,
		      struct ctl_mount *m);

/*
 * Every mount whose fstype is in the NULL-terminated list TYPES (NULL:
 * all), one per device (the first, as for ctl_mount_by_dev()), into a
 * new array *V of *N entries. Returns 0 or -errno.
 */
int ctl_mount_list(const struct ctl_root *r, const char *const *types,
		   struct ctl_mount **v, size_t *n);

/*
 * Every mount of R's table, in its order (mountinfo's), into a new array
 * *V of *N entries (free with ctl_mount_list_free()). Returns 0 or -errno.
 */
int ctl_mount_table(const struct ctl_root *r, struct ctl_mount **v, size_t *n);

/* Free an array from ctl_mount_list() or ctl_mount_table(). */
void ctl_mount_list_free(struct ctl_mount *v, size_t n);

/*
 * Look option NAME up in the comma list OPTSTR. Returns 1 and copies its
 * value into VAL ("" for a flag without value; VAL may be NULL), 0 when
 * absent, -ENAMETOOLONG when the value does not fit, or -EINVAL.
 */
int ctl_mount_opt(const char *optstr, const char *name, char *val, size_t len);

/*
 * Set option NAME to VALUE in the malloc'ed comma list *OPTSTR, in place
 * when present, appended otherwise, keeping every other option; a NULL
 * VALUE removes it. *OPTSTR may be NULL. Returns 0 or -errno.
 */
int ctl_mount_opt_set(char **optstr, const char *name, const char *value);

/*
 * The fstab entry (<root>/etc/fstab) for a file system mounted at TARGET
 * or with device SOURCE, UUID or LABEL (any may be NULL): an entry whose
 * mount point is TARGET wins, then one whose spec is SOURCE, UUID=UUID
 * or LABEL=LABEL. On a match *OPTS gets a copy of its options (free it).
 * Returns 1 found, 0 none (also when there is no fstab), -CTL_ENOTREG
 * or -EISDIR when fstab is not a regular file (never read: a FIFO would
 * block), or -errno.
 */
int ctl_fstab_find(const struct ctl_root *r, const char *target,
		   const char *source, const char *uuid, const char *label,
		   char **opts);

/*
 * Free space of the file system holding PATH (statvfs; PATH as for
 * ctl_mount_by_path()): bytes available to unprivileged users and total
 * bytes. Returns 0 or -errno.
 */
int ctl_mount_space(const struct ctl_root *r, const char *path, uint64_t *avail,
		    uint64_t *total);
