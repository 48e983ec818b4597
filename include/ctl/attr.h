/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sysfs/procfs attributes: validated names, one write per value, read-back.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

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
