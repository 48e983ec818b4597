/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The root prefix (--sysroot): every /sys, /proc and /etc access of libctl
 * goes through a directory fd opened here, with openat2(RESOLVE_IN_ROOT) so
 * that neither "..", absolute paths nor symlinks can leave the tree.
 */
#pragma once

#include <dirent.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>

struct ctl_root;

/*
 * What DIR stands for (ctl_root_open_flags()). Without CTL_ROOT_SYSTEM a
 * root only stands in for this process's /sys, /proc and /etc (a test
 * tree): the mount table is <root>/proc/self/mountinfo and a path (a
 * target, a mount point) is this process's, from the working directory.
 */
enum {
	/*
	 * DIR is the "/" of the system looked at (--sysroot: the host's /
	 * mounted in a container, as node_exporter's --path.rootfs): its
	 * mount table is DIR/proc/1/mountinfo (its init's, whatever mount
	 * namespace the caller is in), and a path names that path inside
	 * DIR, a relative one from DIR's "/" (as chroot(1) and
	 * --path.rootfs do); symlinks and ".." cannot leave DIR. "/" is the
	 * host either way.
	 */
	CTL_ROOT_SYSTEM = 1 << 0,
};

/* Open the root DIR (NULL or "" means "/"). Returns 0 or -errno. */
int ctl_root_open(const char *dir, struct ctl_root **out);

/* The same, FLAGS CTL_ROOT_*: --sysroot opens with CTL_ROOT_SYSTEM. */
int ctl_root_open_flags(const char *dir, unsigned int flags,
			struct ctl_root **out);

/* Release a root; NULL is fine. */
void ctl_root_free(struct ctl_root *r);

/* The directory the root was opened on ("/" for the host). */
const char *ctl_root_dir(const struct ctl_root *r);

/* True when the root is the host's "/" (no --sysroot). */
int ctl_root_is_host(const struct ctl_root *r);

/*
 * True when paths are inside the root: CTL_ROOT_SYSTEM and not "/". The
 * mount table is then /proc/1/mountinfo in it, else /proc/self/mountinfo.
 */
int ctl_root_paths_inside(const struct ctl_root *r);

/*
 * A path as the user of R means it (a target, a mount point): inside the
 * root when ctl_root_paths_inside(R), a relative one from the root's "/";
 * else (R NULL too) this process's path, from the working directory.
 */

/* open(2) of such a PATH; O_CLOEXEC is added. Returns an fd or -errno. */
int ctl_root_path_open(const struct ctl_root *r, const char *path, int flags);

/*
 * stat(2) of such a PATH, or lstat(2) with NOFOLLOW set. Returns 0 or
 * -errno.
 */
int ctl_root_path_stat(const struct ctl_root *r, const char *path,
		       struct stat *st, int nofollow);

/*
 * realpath(3) of such a PATH into BUF: inside the root, the path as seen
 * from its "/" ("/var/lib/app", not "/host/var/lib/app"). Returns 0,
 * -ENAMETOOLONG or -errno.
 */
int ctl_root_path_real(const struct ctl_root *r, const char *path, char *buf,
		       size_t len);

/*
 * readlink(2) of such a PATH into BUF, NUL-terminated. Returns the length
 * or -errno (-ENAMETOOLONG when it does not fit).
 */
int ctl_root_path_readlink(const struct ctl_root *r, const char *path,
			   char *buf, size_t len);

/*
 * Open PATH (absolute, e.g. "/sys/block/sda/queue/nr_requests") inside the
 * root. FLAGS as for open(2); O_CLOEXEC is always added. Returns an fd or
 * -errno (-EXDEV never escapes: resolution is clamped to the root).
 */
int ctl_root_open_path(const struct ctl_root *r, const char *path, int flags,
		       mode_t mode);

/*
 * Open PATH inside the root for reading, as an input that cannot block: a
 * FIFO, device or socket gives -CTL_ENOTREG (ctl/file.h), a directory
 * -EISDIR. sysfs and procfs attributes are regular files. Returns an fd
 * (O_NONBLOCK still set, which reads of regular files ignore) or -errno.
 */
int ctl_root_open_input(const struct ctl_root *r, const char *path);

/*
 * fopen(3) of PATH inside the root; NULL with errno set on failure. Mode
 * "r" opens through ctl_root_open_input(), so errno may be CTL_ENOTREG.
 */
FILE *ctl_root_fopen(const struct ctl_root *r, const char *path,
		     const char *mode);

/* opendir(3) of PATH inside the root; NULL with errno set on failure. */
DIR *ctl_root_opendir(const struct ctl_root *r, const char *path);

/* stat(2) of PATH inside the root. Returns 0 or -errno. */
int ctl_root_stat(const struct ctl_root *r, const char *path, struct stat *st);

/* 1 if PATH exists inside the root, 0 if not. */
int ctl_root_exists(const struct ctl_root *r, const char *path);

/*
 * Resolve PATH inside the root and return the name of the final directory
 * entry after all symlinks are followed (the kernel name of a sysfs device
 * directory reached through /sys/dev/block/MAJ:MIN, say) into BUF.
 * Returns 0 or -errno.
 */
int ctl_root_realname(const struct ctl_root *r, const char *path, char *buf,
		      size_t len);

/*
 * The kernel name of block device DEV (through the root's
 * /sys/dev/block/MAJ:MIN) into BUF: "loop3", "vda1". Returns 0, -ENODEV
 * when the root's sysfs has no such device, or -errno.
 */
int ctl_root_devname(const struct ctl_root *r, dev_t dev, char *buf,
		     size_t len);

/*
 * Read a whole small file (at most LEN-1 bytes) into BUF, NUL-terminated,
 * trailing newlines removed; opened as ctl_root_open_input() does. Returns
 * the length or -errno.
 */
int ctl_root_read_file(const struct ctl_root *r, const char *path, char *buf,
		       size_t len);

/*
 * Write VAL to PATH with a single write(2), as sysfs and procfs expect.
 * With FLAGS 0 the file must exist (O_WRONLY); pass O_CREAT|O_TRUNC to
 * create regular files. Returns 0 or -errno.
 */
int ctl_root_write_file(const struct ctl_root *r, const char *path,
			const char *val, int flags);
