/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Table output through libsmartcols: every tool gets -o/--output,
 * -J/--json, -P/--pairs, -r/--raw and -n/--noheadings the same way. The
 * table is kept here until it is printed; libsmartcols.so.1 is loaded
 * (dlopen) by the first ctl_out_print() only: a run that prints nothing,
 * or JSON Lines only, never loads it.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "ctl/macro.h"

enum {
	CTL_COL_RIGHT = 1 << 0, /* right-aligned */
	CTL_COL_NUMBER = 1 << 1, /* a number in JSON */
	CTL_COL_BOOL = 1 << 2, /* true/false in JSON */
	CTL_COL_TRUNC = 1 << 3, /* may be truncated in a table */
	CTL_COL_WRAP = 1 << 4, /* may wrap in a table */
	CTL_COL_SIZE = 1 << 5, /* bytes: "256M", or a number with --bytes */
};

/* A column a tool can print; the name is what -o takes (upper case). */
struct ctl_col {
	const char *name;
	double whint;
	int flags;
	const char *help;
};

/*
 * Output format chosen on the command line. In JSON a CTL_COL_NUMBER cell
 * is a number and a CTL_COL_BOOL cell true or false; a cell left empty, or
 * set to "" or "-" (unknown), is null. With -P the names are shell
 * variables, as lsblk's: "MAJ:MIN" is MAJ_MIN, "R/S" R_S, a trailing '%'
 * _PCT; JSON keeps the names (lower case).
 */
struct ctl_outfmt {
	const char *columns; /* -o LIST, "+LIST" appends to the defaults */
	int json;
	int pairs;
	int raw;
	int noheadings;
	int bytes; /* -b: CTL_COL_SIZE cells in bytes (numbers in JSON) */
};

struct ctl_out;
struct ctl_row;

/*
 * Create a table NAME (the JSON top-level key) with the columns selected
 * by FMT->columns, or DEFAULTS (a comma list) when none were asked for.
 * On an unknown column returns -EINVAL and points *BAD at its name inside
 * FMT->columns (up to the next comma). Returns 0 or -errno.
 */
int ctl_out_new(const char *name, const struct ctl_col *cols, size_t ncols,
		const char *defaults, const struct ctl_outfmt *fmt,
		struct ctl_out **out, const char **bad);

/* Free a table; NULL is fine. */
void ctl_out_free(struct ctl_out *o);

/* Append a row. Returns NULL when out of memory. */
struct ctl_row *ctl_out_row(struct ctl_out *o);

/*
 * Set cell COL (index into the column array) of ROW; a column that was not
 * selected is silently ignored; NULL leaves the cell empty. Returns 0 or
 * -errno.
 */
int ctl_out_set(struct ctl_out *o, struct ctl_row *row, size_t col,
		const char *val);
int ctl_out_setf(struct ctl_out *o, struct ctl_row *row, size_t col,
		 const char *fmt, ...) _printf_(4, 5);

/*
 * Set size cell COL to BYTES: "256M" as lsblk writes it (powers of 1024,
 * one decimal at most: "1.5G", "512B"), or the plain number with --bytes.
 * Returns 0 or -errno.
 */
int ctl_out_set_size(struct ctl_out *o, struct ctl_row *row, size_t col,
		     uint64_t bytes);

/* BYTES as ctl_out_set_size() writes it without --bytes, into BUF. */
const char *ctl_out_size_human(uint64_t bytes, char *buf, size_t len);

/* 1 if column COL was selected for output. */
int ctl_out_has(const struct ctl_out *o, size_t col);

/* What a tool says when ctl_out_print() gives -ELIBACC. */
#define CTL_OUT_NO_SCOLS                                                       \
	"libsmartcols.so.1 cannot be loaded (install libsmartcols1)"

/*
 * Print the table to F. Returns 0, -ELIBACC when libsmartcols.so.1
 * cannot be loaded (CTL_OUT_NO_SCOLS), or -errno.
 */
int ctl_out_print(struct ctl_out *o, FILE *f);

/*
 * Print the rows of O to F as JSON Lines: one compact JSON object per row
 * and line, keys and types as -J has them. With WHEN, each object starts
 * with "time" (RFC 3339, UTC, microseconds: "2026-12-07T11:23:24.123456Z")
 * and "timestamp" (seconds since the epoch, a number), both of WHEN.
 * For streams (a sample per line) that a reader parses as they come.
 * Needs no libsmartcols. Returns 0 or -errno.
 */
int ctl_out_print_jsonl(struct ctl_out *o, FILE *f,
			const struct timespec *when);

/* Print "  NAME  help" lines for --help. */
void ctl_out_help(const struct ctl_col *cols, size_t ncols, FILE *f);
