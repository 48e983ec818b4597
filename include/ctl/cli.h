/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The command-line contract shared by every tool: common options, exit
 * codes, "-" to read targets from stdin. libctl parses; cmd/ prints.
 */
#pragma once

#include <getopt.h>
#include <stdio.h>

#include "ctl/out.h"

enum ctl_exit {
	CTL_EXIT_OK = 0, /* success */
	CTL_EXIT_CHECK = 1, /* a check found the host out of bounds */
	CTL_EXIT_USAGE = 2, /* bad command line */
	CTL_EXIT_FAIL = 3, /* an operation failed (maybe partially) */
	CTL_EXIT_UNSUPP = 4, /* not supported here */
};

/* Long-only option values, above any short option character. */
enum {
	CTL_OPT_SYSROOT = 0x1000,
	CTL_OPT_DRY_RUN,
	CTL_OPT_TEXTFILE,
	CTL_OPT_EXIT_CHANGED,
	CTL_OPT_SAVE,
	CTL_OPT_TOOL_BASE = 0x1100, /* tools number their own from here */
};

/*
 * Options every tool takes, and those some take (-b, --textfile,
 * --exit-changed, --save: a tool that takes one adds its CTL_CLI_SHORTOPT_
 * and CTL_CLI_LONGOPT_ entries and its CTL_CLI_HELP_ lines, and says
 * which of its subcommands take it).
 */
struct ctl_cli {
	const char *sysroot;
	struct ctl_outfmt fmt; /* fmt.bytes: -b/--bytes */
	int quiet;
	int verbose;
	int dry_run;
	const char *textfile; /* --textfile FILE, a name ending in ".prom" */
	int exit_changed; /* --exit-changed N: 1..255 but 2, 3, 4; 0: none */
	const char *save; /* --save FILE: the values from before, to restore */
	int changed; /* set by the tool: something was (would be) changed */
};

#define CTL_CLI_SHORTOPTS "hVo:JPrnqv"
#define CTL_CLI_LONGOPTS                                                       \
	{"help", no_argument, NULL, 'h'}, {"version", no_argument, NULL, 'V'}, \
		{"sysroot", required_argument, NULL, CTL_OPT_SYSROOT},         \
		{"output", required_argument, NULL, 'o'},                      \
		{"json", no_argument, NULL, 'J'},                              \
		{"pairs", no_argument, NULL, 'P'},                             \
		{"raw", no_argument, NULL, 'r'},                               \
		{"noheadings", no_argument, NULL, 'n'},                        \
		{"quiet", no_argument, NULL, 'q'},                             \
		{"verbose", no_argument, NULL, 'v'},                           \
	{                                                                      \
		"dry-run", no_argument, NULL, CTL_OPT_DRY_RUN                  \
	}

/* -b/--bytes (sizes in bytes), for a tool with CTL_COL_SIZE columns. */
#define CTL_CLI_SHORTOPT_BYTES "b"
#define CTL_CLI_LONGOPT_BYTES                                                  \
	{                                                                      \
		"bytes", no_argument, NULL, 'b'                                \
	}
/* --textfile FILE (Prometheus metrics for node_exporter). */
#define CTL_CLI_LONGOPT_TEXTFILE                                               \
	{                                                                      \
		"textfile", required_argument, NULL, CTL_OPT_TEXTFILE          \
	}
/* --exit-changed N (a changing command's status for "changed"). */
#define CTL_CLI_LONGOPT_EXIT_CHANGED                                           \
	{                                                                      \
		"exit-changed", required_argument, NULL, CTL_OPT_EXIT_CHANGED  \
	}
/* --save FILE (a change records what it replaced, for "TOOL restore FILE"). */
#define CTL_CLI_LONGOPT_SAVE                                                   \
	{                                                                      \
		"save", required_argument, NULL, CTL_OPT_SAVE                  \
	}
/* The common options of a tool that reports (-b, --textfile too)... */
#define CTL_CLI_LONGOPTS_REPORT                                                \
	CTL_CLI_LONGOPTS, CTL_CLI_LONGOPT_BYTES, CTL_CLI_LONGOPT_TEXTFILE
/* ...and of one that also changes something (--exit-changed too). */
#define CTL_CLI_LONGOPTS_CHANGE                                                \
	CTL_CLI_LONGOPTS_REPORT, CTL_CLI_LONGOPT_EXIT_CHANGED

/* --help lines for the common output options, for a tool's usage(). */
#define CTL_CLI_HELP_OUTPUT                                                    \
	"  -o, --output LIST   columns to print (+LIST adds to the default)\n" \
	"  -J, --json          JSON output\n"                                  \
	"  -P, --pairs         KEY=\"value\" output\n"                         \
	"  -r, --raw           raw output\n"                                   \
	"  -n, --noheadings    no header line\n"                               \
	"  -q, --quiet         no report, exit status only\n"                  \
	"  -v, --verbose       more detail in messages\n"

/*
 * --help lines for the options only some tools take: each tool lists those
 * it takes (and its man page has).
 */
#define CTL_CLI_HELP_BYTES                                                     \
	"  -b, --bytes         print sizes in bytes, not as 256M\n"
#define CTL_CLI_HELP_TEXTFILE                                                  \
	"      --textfile FILE write metrics to FILE (*.prom) for node_exporter\n"
#define CTL_CLI_HELP_CHANGED                                                   \
	"      --exit-changed N\n"                                             \
	"                      exit N, not 0, if something changed (or would)\n"
#define CTL_CLI_HELP_SAVE                                                      \
	"      --save FILE     record the values from before for restore FILE\n"

/* --help lines for -h and -V. */
#define CTL_CLI_HELP_INFO                                                      \
	"  -h, --help          this help\n"                                    \
	"  -V, --version       print the version\n"

/*
 * Take common option C (from getopt_long) with argument ARG into CLI.
 * Returns 1 if C was a common option, 0 if the tool must handle it, and
 * -EINVAL for a value it refuses: a --textfile FILE not ending in
 * ".prom" (node_exporter's collector reads only those), an
 * --exit-changed N that is no number from 1 to 255 or is 2, 3 or 4 (the
 * statuses of a usage error, a failure, "not supported"). -h and -V are
 * left to the tool, which prints: tools call cli_common_opt()
 * (cli/cli.h), which takes those too and says what is wrong.
 */
int ctl_cli_common(struct ctl_cli *cli, int c, const char *arg);

/* A growable list of strings. */
struct ctl_strv {
	char **v;
	size_t n;
};

/* Append a copy of S. Returns 0 or -ENOMEM. */
int ctl_strv_add(struct ctl_strv *sv, const char *s);

/* Free the strings and the list; the struct itself is left empty. */
void ctl_strv_free(struct ctl_strv *sv);

/*
 * Collect the N targets in ARGV, replacing each "-" by the lines of IN
 * (blank lines and surrounding white space skipped); IN may be NULL where
 * stdin must not be read, and then "-" gives -EINVAL. Returns 0 or -errno.
 */
int ctl_cli_targets(char *const *argv, int n, FILE *in, struct ctl_strv *out);

/* 1 if WORD is an element of the comma-separated LIST, else 0. */
int ctl_list_has(const char *list, const char *word);

/*
 * Exit status for a failed operation -ERR: 4 for "not supported here"
 * (ENOTSUP, ENOSYS, ENOTTY, ENOTBLK, ENOMEDIUM), 3 otherwise.
 */
int ctl_exit_for(int err);
