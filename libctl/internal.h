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
