/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * swapadj's own header: its options, messages and the subcommands, shared
 * by the files of cmd/swapadj/ and nothing else.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ctl/cli.h"
#include "ctl/out.h"
#include "ctl/root.h"
#include "ctl/vm.h"

struct opts {
	struct ctl_cli cli;
	int persist;
	int once;
	double interval;
	int interval_set;
	int min_set, max_set, min_avail_set;
	unsigned int given; /* bit (OPT_x - OPT_PERSIST): the option was given */
	uint64_t min, max, min_avail;
	int swappiness; /* run: -1 not given */
	uint64_t memory_max, swap_max;
	struct ctl_root *root;
	const char *arrow;
};

/*
 * Whether stdout is the journal's stream ($JOURNAL_STREAM, see
 * systemd.exec(5)): auto's log lines then go with their syslog priority
 * "<N>" and without a timestamp (journald stamps them). Set once in main().
 * Diagnostics on stderr go through cli_say()/cli_die() (cli/cli.h).
 */
extern bool journal_out;

/* main.c: what every subcommand shares. */

/* What goes before a path inside the root in a message. */
const char *rootp(const struct opts *o);
/* The message and exit status for a failed swappiness access. */
int vm_fail(const struct opts *o, const char *what, int err);
/* The kernel's highest swappiness, 100 when it cannot be told. */
int range_max(const struct opts *o);
/* Parse a swappiness argument against the kernel's range. */
unsigned int parse_swappiness(const struct opts *o, const char *what,
			      const char *s);
void sleep_secs(double s);

/* set.c: set, check, restore, and the failures of a change. */

/* The kernel kept NOW after VAL was written over OLD: undo, say so. */
int kept_fail(const struct opts *o, unsigned int val, unsigned int old,
	      unsigned int now);
/* The state file or its lock refused: named, with the fix. */
int state_fail(const struct opts *o, int err);
/* A join or change of the state failed: name the file that refuses. */
int change_fail(const struct opts *o, int err);
/* Leave the state file as owner PID (ctl_vm_state_leave()), said on failure. */
int state_leave(const struct opts *o, pid_t pid, struct ctl_vm_restore *res);

/* Columns OLD, NEW, CHANGE: the first three of every table of a change. */
enum { C_OLD, C_NEW, C_CHANGE };
#define CHANGE_COLS(new_help)                                                  \
	[C_OLD] = {"OLD", 3, CTL_COL_RIGHT | CTL_COL_NUMBER,                   \
		   "vm.swappiness before"},                                    \
	[C_NEW] = {"NEW", 3, CTL_COL_RIGHT | CTL_COL_NUMBER, new_help},        \
	[C_CHANGE] = {"CHANGE", 10, 0, "old -> new"}
/* A new row of a change OLD -> NOW (a negative value: left empty). */
struct ctl_row *change_row(const struct opts *o, struct ctl_out *out, int old,
			   int now);

/* auto.c */

/*
 * How the adaptive rule got from IN to A. EXACT: with the MemAvailable
 * share and the read-in rate measured (DETAIL, REASON); without, only what
 * decides the value, so that STATUS= changes when the value or its reason
 * does.
 */
void auto_reason(const struct ctl_vm_auto_in *in, const struct ctl_vm_auto *a,
		 bool exact, char *buf, size_t len);

/* The subcommands: each returns the exit status. */
int cmd_show(struct opts *o);
int cmd_set(struct opts *o, int argc, char **argv);
int cmd_check(struct opts *o, int argc);
int cmd_restore(struct opts *o, int argc, char **argv);
int cmd_run(struct opts *o, int argc, char **argv);
int cmd_auto(struct opts *o, int argc);
