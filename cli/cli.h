/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The front end the five tools share: messages, the subcommand and the
 * options around it, --help/--version and the stdout check at exit,
 * --sysroot, check's bounds, and tables. Unlike libctl, everything here
 * may print (to stderr, as "TOOL: object: reason") and exit with the
 * codes of ctl/cli.h. TOOL is program_invocation_short_name, as for
 * err(3).
 */
#pragma once

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <syslog.h>
#include <time.h>

#include "ctl/cli.h"
#include "ctl/log.h"
#include "ctl/macro.h"
#include "ctl/out.h"
#include "ctl/root.h"

/* ---- messages (cli/msg.c) ---- */

/*
 * Standard error is the journal's stream ($JOURNAL_STREAM, checked with
 * ctl_journal_stream()): every line then starts with its syslog priority,
 * "<3>TOOL: ...", so journald files it at that level.
 */
void cli_msg_journal(bool on);

/*
 * Also write what cli_die() and cli_usage_error() say to LOG (qdepth
 * --udev: udevd keeps a RUN program's stderr for its debug log only).
 * NULL stops it. LOG must outlive every later message.
 */
void cli_msg_log(struct ctl_log *log);

/* "TOOL: MESSAGE" on stderr, one write, of syslog priority PRIO. */
void cli_say(int prio, const char *fmt, ...) _printf_(2, 3);

/* cli_say() at LOG_WARNING: what warnx(3) did. */
void cli_warn(const char *fmt, ...) _printf_(1, 2);

/* cli_say() at LOG_ERR (and to the log of cli_msg_log()), exit CODE. */
_Noreturn void cli_die(int code, const char *fmt, ...) _printf_(2, 3);

/* cli_die(2) followed by the line "Try 'TOOL --help'.". */
_Noreturn void cli_usage_error(const char *fmt, ...) _printf_(1, 2);

/* Only "Try 'TOOL --help'." and exit 2: getopt_long(3) said what. */
_Noreturn void cli_try_help(void);

/*
 * The end of a run: flush and close stdout. Returns RC, or 3 with
 * "TOOL: stdout: reason" when output was lost (an earlier write error, or
 * one at close). EPIPE is not an error (the reader of a pipeline had
 * enough), nor a closed stdout that nothing was written to.
 */
int cli_finish(int rc);

/*
 * The status of a changing command: --exit-changed N (CLI->exit_changed)
 * when RC is 0 and CLI->changed says something was changed (with
 * --dry-run: would be); else RC. End with
 * "return cli_finish(cli_changed_rc(&o.cli, rc));".
 */
int cli_changed_rc(const struct ctl_cli *cli, int rc);

/* exit(cli_finish(RC)): after --help, and wherever a tool ends. */
_Noreturn void cli_exit(int rc);

/* --version: "TOOL VERSION" on stdout, then cli_exit(0). */
_Noreturn void cli_version(void);

/* ---- the command line (cli/args.c) ---- */

/*
 * Take the subcommand out of ARGV: the first operand, i.e. the first
 * argument that is neither an option nor an option's value as
 * getopt_long(3) reads them with SHORTOPTS and LONGOPTS (so options may
 * come before or after it: "tool -o NAME check", "tool check -o NAME").
 * "--" ends the search; "-" (stdin) is an operand, and so is a "-" and a
 * digit (a negative number) unless the digit is a short option. If the
 * operand is one of SUBS (NULL-terminated), it is removed from ARGV
 * (*ARGC one less, ARGV[*ARGC] NULL) and its index in SUBS returned.
 * Else -1, ARGV is left as it is, and *WORD (when WORD is not NULL) is
 * the operand, NULL when there is none. getopt_long() then parses the
 * rest from optind = 1 as usual.
 */
int cli_sub_take(int *argc, char **argv, const char *shortopts,
		 const struct option *longopts, const char *const *subs,
		 const char **word);

/*
 * The value of the last option VAL (a short option character or a long
 * option's val) in ARGV, found by the same reading as cli_sub_take()
 * without getopt_long() (no message, optind untouched): for an option
 * needed before the real parse (swapadj: --sysroot, since values are
 * checked against the root). A SHORTOPTS starting with '+' stops at the
 * first operand, as getopt does. NULL when not given.
 */
const char *cli_opt_find(int argc, char *const *argv, const char *shortopts,
			 const struct option *longopts, int val);

/*
 * A new argument vector with ARGV[0], then the options of ARGV[1..] with
 * their values, then "--", then the operands in their order, so that an
 * operand like "-1" reaches the tool, which says what is wrong with it,
 * instead of getopt's "invalid option -- '1'". After "--", and after the
 * first operand when SHORTOPTS starts with '+', everything is an operand.
 * *ARGC is updated. The vector is malloc'ed (free() it, not the strings,
 * which are ARGV's); out of memory exits 3.
 */
char **cli_opts_first(int *argc, char *const *argv, const char *shortopts,
		      const struct option *longopts);

/*
 * getopt_long(3), but under the journal (cli_msg_journal()) its own
 * complaints get the priority prefix like every other line there.
 */
int cli_getopt(int argc, char *const *argv, const char *shortopts,
	       const struct option *longopts);

/*
 * Take option C of getopt_long() (with ARG, its optarg) when every tool
 * has it: the common options into CLI (ctl_cli_common()), -h (USAGE(),
 * then cli_exit(0)), -V (cli_version()), and '?' or ':' (cli_try_help()).
 * Returns 1 when C was taken, 0 when it is the tool's own.
 */
int cli_common_opt(struct ctl_cli *cli, int c, const char *arg,
		   void (*usage)(void));

/* ---- checks before the work (cli/check.c) ---- */

/*
 * Open the root of --sysroot SYSROOT (NULL: "/"). On failure says
 * "TOOL: --sysroot DIR: reason" and exits 2.
 */
struct ctl_root *cli_root_open(const char *sysroot);

/* A lower and an upper bound of check, e.g. --min-depth and --max-depth. */
struct cli_range {
	const char *min_opt, *max_opt; /* "--min-depth", "--max-depth" */
	bool min_set, max_set;
	uint64_t min, max;
};

/*
 * check with nothing to check, or with bounds no value can meet, is a
 * usage error: exits 2 with "TOOL: SUB: nothing to check; give GIVE" when
 * neither a bound of R (NULL: none) nor another criterion (OTHERS) was
 * given, or "TOOL: SUB: --min-x N is above --max-x M; no value can pass".
 * GIVE lists the options, e.g. "--min-depth, --max-depth or --scheduler".
 */
void cli_check_bounds(const char *sub, const struct cli_range *r, bool others,
		      const char *give);

/*
 * restore FILE: the save file was read with ERR (0 or -errno of the
 * tool's loader, ctl_seal_open()'s among them) and holds RECORDS records.
 * Returns only when there is something to restore; else says why, as
 * "TOOL: FILE: reason", and exits before anything is applied: 2 for a
 * file cut short or edited (-EBADMSG), another file (-ENOMSG: "not a
 * TOOL save file"), one too large (-EFBIG), not a regular file; 3 for
 * one that cannot be read; 4 for one without records.
 */
void cli_save_loaded(const char *file, int err, size_t records);

/*
 * set --save FILE cannot be written (ERR: of the tool's ctl_*_save_ok()
 * before the change, or of the write after it): says why at PRIO, as
 * "TOOL: FILE: cannot write save file: ...", naming the fix.
 */
void cli_save_unwritable(int prio, const char *file, int err);

/* ---- tables (cli/table.c) ---- */

/*
 * ctl_out_new() with the format of CLI: exits 2 with "TOOL: unknown
 * column 'X' (see --help)" for a column -o does not know, 3 with "TOOL:
 * output: reason" for any other failure.
 */
struct ctl_out *cli_table_new(const struct ctl_cli *cli, const char *name,
			      const struct ctl_col *cols, size_t ncols,
			      const char *defaults);

/* ctl_out_row(), exiting 3 with "TOOL: output: ..." when out of memory. */
struct ctl_row *cli_table_row(struct ctl_out *o);

/*
 * Print O to stdout unless CLI->quiet, and free it. Returns 0, or 3 with
 * "TOOL: output: reason" (EPIPE excepted). Lost output that libsmartcols
 * does not see is cli_finish()'s to report.
 */
int cli_table_print(const struct ctl_cli *cli, struct ctl_out *o);

/*
 * cli_table_print() as JSON Lines (ctl_out_print_jsonl()): each row one
 * compact object on a line of its own, with "time" and "timestamp" of WHEN
 * first (NULL: none), flushed at once. For a stream's -J (qdepth stat).
 */
int cli_table_print_jsonl(const struct ctl_cli *cli, struct ctl_out *o,
			  const struct timespec *when);

/*
 * Say in ROW whether its target was changed (with --dry-run: would be):
 * cell COL, a CTL_COL_BOOL column ("changed": true|false in JSON), and
 * CLI->changed when CHANGED. O may be NULL (no table: only CLI).
 */
void cli_changed(struct ctl_cli *cli, struct ctl_out *o, struct ctl_row *row,
		 size_t col, bool changed);

/* ---- --textfile: Prometheus metrics (cli/prom.c) ---- */

/*
 * Metrics in the text exposition format 0.0.4, for node_exporter's
 * textfile collector: gauges with "# HELP" and "# TYPE", the samples of
 * a metric together whatever order they came in, label values escaped.
 * A name that is no Prometheus name is a bug of the tool: exit 3.
 */
struct cli_prom;

/* An empty set of metrics; out of memory exits 3. */
struct cli_prom *cli_prom_new(void);

/*
 * Make NAME ([a-zA-Z_:][a-zA-Z0-9_:]*, "ctl_<area>_<what>_<unit>") the
 * metric the next samples belong to, a gauge described by HELP; a NAME
 * given before is taken up again (its first HELP stays).
 */
void cli_prom_metric(struct cli_prom *p, const char *name, const char *help);

/*
 * A sample VALUE of the current metric, with labels given as pairs of
 * name ([a-zA-Z_][a-zA-Z0-9_]*) and value, then NULL:
 * cli_prom_sample(p, 256, "device", "sda", NULL). A sample with the same
 * labels as an earlier one replaces it. Integers print as integers, NaN
 * and infinities as NaN, +Inf, -Inf.
 */
void cli_prom_sample(struct cli_prom *p, double value, ...)
	__attribute__((sentinel));

/*
 * Write the metrics to FILE atomically (ctl_file_write_atomic(): a temp
 * file in FILE's directory, fsync, rename, fsync of the directory), mode
 * 0644. Returns 0, or 3 with "TOOL: FILE: reason". P stays as it was.
 */
int cli_prom_commit(struct cli_prom *p, const char *file);

/* Free P; NULL is fine. */
void cli_prom_free(struct cli_prom *p);
