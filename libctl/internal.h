/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Private helpers of libctl; not part of the API. */
#pragma once

#include <errno.h>
#include <stdio.h>

#include "ctl/macro.h"

/* snprintf that fails with -ENAMETOOLONG instead of truncating. */
int ctl_fmt(char *buf, size_t len, const char *fmt, ...) _printf_(3, 4);

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
