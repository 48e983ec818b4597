// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mmapwin: what the subcommands share: offsets and lengths, opening
 * the file and the messages for it, output tables.
 */
#include <ctype.h>
#include <err.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ctl/cli.h"
#include "ctl/file.h"
#include "ctl/out.h"
#include "ctl/parse.h"
#include "ctl/target.h"
#include "ctl/win.h"
#include "mmapwin.h"

int take_size(const char *what, const char *s, uint64_t *v)
{
	int e = ctl_parse_size(s, v);

	if (e == -ERANGE)
		errx(CTL_EXIT_USAGE, "%s '%s': out of range", what, s);
	if (e < 0)
		errx(CTL_EXIT_USAGE,
		     "%s '%s': not a size (bytes, K/M/G/T suffix, or 0x hex)",
		     what, s);
	return 0;
}

/* off_t is signed: no file has a byte at or past 2^63 - 1. */
#define OFF_MAX ((uint64_t)INT64_MAX)

/*
 * The one parser of file offsets and lengths (OFFSET, LENGTH, --offset):
 * a size from MIN (0 for an offset, 1 for a length) to OFF_MAX. Exits 2
 * with a message naming WHAT and the value.
 */
uint64_t take_pos(const char *what, const char *s, uint64_t min)
{
	uint64_t v;
	int e;

	if (s[0] == '-' && isdigit((unsigned char)s[1]))
		errx(CTL_EXIT_USAGE,
		     "%s '%s': not a size; must be %llu or more", what, s,
		     (unsigned long long)min);
	e = ctl_parse_size(s, &v);
	if (e == -ERANGE || (e == 0 && v > OFF_MAX))
		errx(CTL_EXIT_USAGE,
		     "%s '%s': out of range (the largest file offset is %llu)",
		     what, s, (unsigned long long)OFF_MAX);
	take_size(what, s, &v);
	if (v < min)
		errx(CTL_EXIT_USAGE, "%s %s: nothing to do; give at least %llu",
		     what, s, (unsigned long long)min);
	return v;
}

uint64_t take_offset(const char *s)
{
	return take_pos("offset", s, 0);
}

uint64_t take_length(const char *s)
{
	return take_pos("length", s, 1);
}

/* OFF + LEN must not run past the largest file offset (exit 2). */
void check_end(uint64_t off, uint64_t len)
{
	if (len > OFF_MAX - off)
		errx(CTL_EXIT_USAGE,
		     "range %llu+%llu ends past the largest file offset (%llu)",
		     (unsigned long long)off, (unsigned long long)len,
		     (unsigned long long)OFF_MAX);
}

/* Exit with "mmapwin: OBJ: reason" for a failed open or walk of FILE. */
void __attribute__((noreturn)) die_file(const char *file, int e)
{
	switch (-e) {
	case EACCES:
	case EPERM:
		errx(CTL_EXIT_FAIL,
		     "%s: %s; check its mode and owner (chmod u+w to patch it)",
		     file, strerror(-e));
	case EROFS:
		errx(CTL_EXIT_FAIL,
		     "%s: read-only file system; remount it read-write", file);
	case EISDIR:
		errx(CTL_EXIT_FAIL, "%s: is a directory; give a regular file",
		     file);
	case EINVAL:
	case CTL_ENOTREG:
		errx(CTL_EXIT_FAIL,
		     "%s: not a regular file (FIFO, device or socket); mmapwin maps regular files only",
		     file);
	case ESTALE:
		errx(CTL_EXIT_FAIL,
		     "%s: file truncated by another process while mapped (SIGBUS); check who writes it and retry",
		     file);
	case ENOSPC:
		errx(CTL_EXIT_FAIL,
		     "%s: no space left for the pages written (SIGBUS); free space and retry",
		     file);
	case EOPNOTSUPP:
		errx(CTL_EXIT_UNSUPP,
		     "%s: MADV_POPULATE_READ/WRITE is not supported (Linux 5.14+); use --populate",
		     file);
	default:
		errx(ctl_exit_for(e), "%s: %s", file, ctl_file_strerror(-e));
	}
}

int open_file(const char *file, int write, uint64_t *size)
{
	int fd = ctl_win_open(file, write, size);

	if (fd < 0)
		die_file(file, fd);
	return fd;
}

/* OFF (and LEN, 0 for "to EOF") must lie inside a file of SIZE. */
void check_range(const char *file, uint64_t off, uint64_t *len, uint64_t size)
{
	if (!size)
		errx(CTL_EXIT_FAIL, "%s: empty file; nothing to map", file);
	if (off >= size)
		errx(CTL_EXIT_FAIL,
		     "%s: offset %llu is past the end of the file (size %llu)",
		     file, (unsigned long long)off, (unsigned long long)size);
	if (!*len)
		*len = size - off;
	else if (*len > size - off)
		errx(CTL_EXIT_FAIL,
		     "%s: range %llu+%llu ends past the end of the file (size %llu)",
		     file, (unsigned long long)off, (unsigned long long)*len,
		     (unsigned long long)size);
}

int file_target(const char *file, unsigned int flags, struct ctl_target *t)
{
	/* mmapwin opens "-" as the file of that name: resolve the same. */
	if (strcmp(file, "-") == 0)
		file = "./-";
	return ctl_target_resolve(NULL, file, CTL_TARGET_FILE | flags, t);
}

const char *none_cell(const struct mw *m)
{
	return m->cli.fmt.json ? NULL : "-";
}
