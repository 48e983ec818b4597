/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sysfs/procfs attributes: validated names, one write per value, read-back.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ctl/root.h"

/* Longest device or attribute name accepted (the kernel's NAME_MAX). */
#define CTL_NAME_MAX 255

/*
 * Validate a device or attribute name before it becomes part of a path:
 * non-empty, at most CTL_NAME_MAX bytes, no '/', not "." or "..".
 * Returns 0 or -EINVAL.
 */
int ctl_name_check(const char *name);

/*
 * Read attribute NAME of directory DIR (absolute inside the root) into BUF
 * (trailing newline removed). Returns the length, -EINVAL for a bad name,
 * or -errno.
 */
int ctl_attr_read(const struct ctl_root *r, const char *dir, const char *name,
		  char *buf, size_t len);

/* Read attribute NAME as an unsigned decimal. Returns 0 or -errno. */
int ctl_attr_read_u64(const struct ctl_root *r, const char *dir,
		      const char *name, uint64_t *val);

/* Write VAL to attribute NAME with one write(2). Returns 0 or -errno. */
int ctl_attr_write(const struct ctl_root *r, const char *dir, const char *name,
		   const char *val);

/*
 * Write VAL, then read the attribute back into BUF so the caller can
 * compare what the kernel kept. Returns 0 or -errno (of the write first).
 */
int ctl_attr_write_verify(const struct ctl_root *r, const char *dir,
			  const char *name, const char *val, char *buf,
			  size_t len);

/*
 * The same relative to a directory: a disk's sysfs directory opened once
 * under the root, its attributes then reached without resolving the root
 * path again. REL is a relative path built by libctl (several components,
 * no user input); the lookup cannot leave DIRFD (RESOLVE_BENEATH: no "..",
 * absolute path or symlink out of it).
 */

/* openat2(DIRFD, REL) beneath DIRFD; O_CLOEXEC added. Returns fd or -errno. */
int ctl_attr_open_at(int dirfd, const char *rel, int flags, mode_t mode);

/*
 * Read attribute REL under DIRFD into BUF as ctl_attr_read() does: opened
 * non-blocking, and it must be a regular file (-EISDIR, -CTL_ENOTREG).
 * Returns the length or -errno.
 */
int ctl_attr_read_at(int dirfd, const char *rel, char *buf, size_t len);

/* Read attribute REL under DIRFD as an unsigned decimal. Returns 0 or -errno. */
int ctl_attr_read_u64_at(int dirfd, const char *rel, uint64_t *val);

/*
 * Read the value of the attribute open at FD from its start (pread), as
 * ctl_attr_read() returns it: the read-back of a value just written
 * through the same fd. Returns the length or -errno.
 */
int ctl_attr_read_fd(int fd, char *buf, size_t len);

/* Write VAL to the attribute open at FD with one write(2). Returns 0 or -errno. */
int ctl_attr_write_fd(int fd, const char *val);
