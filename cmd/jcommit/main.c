// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * jcommit: the ext4 journal of mounted file systems: effective data= mode
 * and commit= interval and where each comes from, live and persistent
 * changes that keep ro/nosuid/nodev/noexec, journal checkpoint, and a
 * mount-flag check for scripts. This file: options and dispatch; one
 * file per subcommand beside it.
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/parse.h"
#include "jcommit.h"

enum {
	OPT_COMMIT = CTL_OPT_TOOL_BASE,
	OPT_PERSIST,
	OPT_DATA,
	OPT_DISCARD,
	OPT_ZEROOUT,
	OPT_MIN_COMMIT,
	OPT_MAX_COMMIT,
	OPT_REQUIRE,
	OPT_FORBID,
	OPT_LEGACY,
	OPT_SKIP,
};

static void usage(void)
{
	fputs("usage: jcommit [show] [options] [TARGET ...]\n"
	      "       jcommit set --commit SEC [--persist] [--save FILE] [--dry-run]\n"
	      "              [--exit-changed N] TARGET ...\n"
	      "       jcommit set --data MODE --persist [--save FILE] [--dry-run]\n"
	      "              [--exit-changed N] TARGET ...\n"
	      "       jcommit checkpoint [--discard | --zeroout] [--dry-run] TARGET ...\n"
	      "       jcommit check [--data MODE[,MODE ...]] [--min-commit SEC] [--max-commit SEC]\n"
	      "              [--require OPT[,OPT ...]] [--forbid OPT[,OPT ...]] [--skip-unsupported]\n"
	      "              TARGET ...\n"
	      "       jcommit restore [--dry-run] [--exit-changed N] FILE\n"
	      "\n"
	      "TARGET is the block device of a file system (a node, a kernel name, MAJ:MIN,\n"
	      "UUID= or LABEL=) or a path on a mounted one; \"-\" reads targets from\n"
	      "standard input. See ctl-targets(7).\n"
	      "\n"
	      "Options:\n"
	      "     --commit SEC         commit interval in seconds (0: kernel default)\n"
	      "     --persist            also write the superblock (next mount)\n"
	      "     --data MODE          journal, ordered or writeback\n"
	      "     --save FILE          record previous values for restore\n"
	      "     --discard            checkpoint: discard the journal blocks\n"
	      "     --zeroout            checkpoint: zero out the journal blocks\n"
	      "     --min-commit SEC     check: lowest commit interval allowed\n"
	      "     --max-commit SEC     check: highest commit interval allowed\n"
	      "     --require OPT,...    check: mount options that must be set\n"
	      "     --forbid OPT,...     check: mount options that must not be set\n"
	      "     --skip-unsupported   check: skip targets that are not mounted ext4\n"
	      "     --legacy-remount     change live values with mount(2) MS_REMOUNT\n"
	      "     --dry-run            show what would change, change nothing\n"
	      "     --exit-changed N     set, restore: exit N, not 0, if something changed\n"
	      "     --textfile FILE      show: metrics for node_exporter (a *.prom FILE)\n"
	      "     --sysroot DIR        read /proc, /sys and /etc under DIR\n"
	      " -o, --output LIST        columns to print (+LIST appends)\n"
	      " -J, --json               JSON output\n"
	      " -b, --bytes              print sizes in bytes\n"
	      " -P, --pairs              KEY=\"value\" output\n"
	      " -r, --raw                raw output\n"
	      " -n, --noheadings         no header line\n"
	      " -q, --quiet              print nothing on success\n"
	      " -v, --verbose            more columns, more detail\n"
	      " -h, --help               this text\n"
	      " -V, --version            print the version\n"
	      "\n"
	      "Columns:\n",
	      stdout);
	show_columns_help(stdout);
	fputs("\nColumns of set and restore (with -J, -P, -r or -o):\n",
	      stdout);
	change_columns_help(stdout);
	fputs("\nColumns of checkpoint (with -J, -P, -r or -o):\n", stdout);
	checkpoint_columns_help(stdout);
	fputs("\nColumns of check (with -J, -P, -r or -o):\n", stdout);
	check_columns_help(stdout);
}

/*
 * Do set, restore, checkpoint and check print a table instead of their
 * report lines? When an output option asks for one.
 */
int table_asked(const struct opts *o)
{
	const struct ctl_outfmt *f = &o->cli.fmt;

	return f->json || f->pairs || f->raw || f->columns;
}

/* --- options --- */

static unsigned int parse_commit(const char *opt, const char *arg)
{
	uint64_t v;
	int err = ctl_parse_range(arg, 0, COMMIT_MAX, &v);

	if (err == -ERANGE)
		cli_die(CTL_EXIT_USAGE, "%s %s: out of range 0..%d seconds",
			opt, arg, COMMIT_MAX);
	if (err < 0)
		cli_die(CTL_EXIT_USAGE, "%s %s: not a number of seconds", opt,
			arg);
	return (unsigned int)v;
}

static void check_data_list(const char *list)
{
	for (const char *p = list; *p;) {
		size_t len = strcspn(p, ",");
		char w[32];

		snprintf(w, sizeof(w), "%.*s", (int)len, p);
		if (len >= sizeof(w) ||
		    (ctl_ext4_data_parse(w) < 0 && strcmp(w, "none") != 0))
			cli_die(CTL_EXIT_USAGE,
				"--data %s: unknown mode '%s' (journal, ordered, writeback, none)",
				list, w);
		p += len;
		if (*p == ',')
			p++;
	}
}

/*
 * An option list of check: no empty name (a list that names nothing would
 * pass), none longer than opt_present() can compare.
 */
static void check_opt_list(const char *opt, const char *list)
{
	char why[256];

	for (const char *p = list; p;) {
		size_t len = strcspn(p, ",");

		if (len == 0)
			snprintf(why, sizeof(why), "empty option name in '%s'",
				 list);
		else if (len >= 128)
			snprintf(
				why, sizeof(why),
				"option name '%.20s...' is longer than 127 bytes",
				p);
		if (len == 0 || len >= 128)
			cli_usage_error("%s: %s", opt, why);
		p = p[len] ? p + len + 1 : NULL;
	}
}

#define SHORTOPTS CTL_CLI_SHORTOPTS CTL_CLI_SHORTOPT_BYTES

/* The subcommands, in enum sub order. */
static const char *const subs[] = {"show",  "set",     "checkpoint",
				   "check", "restore", NULL};

/* Which options each subcommand takes, to reject the others. */
static void check_combination(const struct opts *o, int nargs)
{
	const char *stray = NULL;

	if (o->sub != SUB_SHOW && (o->cli.textfile || o->cli.fmt.bytes))
		stray = o->cli.textfile ? "--textfile" : "--bytes";
	else if (o->sub != SUB_SET && o->sub != SUB_RESTORE &&
		 o->cli.exit_changed)
		stray = "--exit-changed";
	else if (o->sub != SUB_SET &&
		 (o->commit_arg || o->persist || o->cli.save))
		stray = o->commit_arg ? "--commit"
			: o->persist  ? "--persist"
				      : "--save";
	else if (o->sub != SUB_SET && o->sub != SUB_RESTORE && o->legacy)
		stray = "--legacy-remount";
	else if (o->sub != SUB_SET && o->sub != SUB_CHECK && o->data_arg)
		stray = "--data";
	else if (o->sub != SUB_CHECKPOINT && (o->discard || o->zeroout))
		stray = o->discard ? "--discard" : "--zeroout";
	else if (o->sub != SUB_CHECK && (o->min_arg || o->max_arg ||
					 o->require || o->forbid || o->skip))
		stray = o->min_arg   ? "--min-commit"
			: o->max_arg ? "--max-commit"
			: o->require ? "--require"
			: o->forbid  ? "--forbid"
				     : "--skip-unsupported";
	if (stray)
		cli_usage_error("%s: does not apply to this subcommand", stray);
	if ((o->sub == SUB_SHOW || o->sub == SUB_CHECK) && o->cli.dry_run)
		cli_usage_error("--dry-run: %s changes nothing",
				o->sub == SUB_SHOW ? "show" : "check");
	if (o->sub == SUB_SET && !o->commit_arg && !o->data_arg)
		cli_usage_error("set: give --commit SEC or --data MODE");
	if (o->sub == SUB_CHECK)
		cli_check_bounds(
			"check",
			&(struct cli_range){"--min-commit", "--max-commit",
					    o->min_arg != NULL,
					    o->max_arg != NULL, o->min_commit,
					    o->max_commit},
			o->data_arg || o->require || o->forbid,
			"--data, --min-commit, --max-commit, --require or --forbid");
	if (o->sub == SUB_CHECK) {
		check_opt_list("--require", o->require);
		check_opt_list("--forbid", o->forbid);
	}
	if (o->sub == SUB_CHECKPOINT && o->discard && o->zeroout)
		cli_usage_error(
			"checkpoint: --discard and --zeroout exclude each other");
	if (o->sub == SUB_RESTORE && nargs != 1)
		cli_usage_error("restore: give exactly one FILE");
	if ((o->sub == SUB_SET || o->sub == SUB_CHECKPOINT ||
	     o->sub == SUB_CHECK) &&
	    nargs == 0)
		cli_usage_error("%s: no TARGET given", subs[o->sub]);
}

static void parse_args(int *argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		CTL_CLI_LONGOPTS_CHANGE,
		{"commit", required_argument, NULL, OPT_COMMIT},
		{"persist", no_argument, NULL, OPT_PERSIST},
		CTL_CLI_LONGOPT_SAVE,
		{"data", required_argument, NULL, OPT_DATA},
		{"discard", no_argument, NULL, OPT_DISCARD},
		{"zeroout", no_argument, NULL, OPT_ZEROOUT},
		{"min-commit", required_argument, NULL, OPT_MIN_COMMIT},
		{"max-commit", required_argument, NULL, OPT_MAX_COMMIT},
		{"require", required_argument, NULL, OPT_REQUIRE},
		{"forbid", required_argument, NULL, OPT_FORBID},
		{"legacy-remount", no_argument, NULL, OPT_LEGACY},
		{"skip-unsupported", no_argument, NULL, OPT_SKIP},
		{NULL, 0, NULL, 0},
	};
	int c, sub;

	sub = cli_sub_take(argc, argv, SHORTOPTS, longopts, subs, NULL);
	o->sub = sub < 0 ? SUB_SHOW : (enum sub)sub;
	while ((c = cli_getopt(*argc, argv, SHORTOPTS, longopts)) != -1) {
		if (cli_common_opt(&o->cli, c, optarg, usage))
			continue;
		switch (c) {
		case OPT_COMMIT:
			o->commit_arg = optarg;
			o->commit = parse_commit("--commit", optarg);
			break;
		case OPT_PERSIST:
			o->persist = 1;
			break;
		case OPT_DATA:
			o->data_arg = optarg;
			break;
		case OPT_DISCARD:
			o->discard = 1;
			break;
		case OPT_ZEROOUT:
			o->zeroout = 1;
			break;
		case OPT_MIN_COMMIT:
			o->min_arg = optarg;
			o->min_commit = parse_commit("--min-commit", optarg);
			break;
		case OPT_MAX_COMMIT:
			o->max_arg = optarg;
			o->max_commit = parse_commit("--max-commit", optarg);
			break;
		case OPT_REQUIRE:
			o->require = optarg;
			break;
		case OPT_FORBID:
			o->forbid = optarg;
			break;
		case OPT_LEGACY:
			o->legacy = 1;
			break;
		case OPT_SKIP:
			o->skip = 1;
			break;
		}
	}
	o->data = CTL_EXT4_DATA_KEEP;
	if (o->data_arg && o->sub == SUB_SET) {
		o->data = ctl_ext4_data_parse(o->data_arg);
		if (o->data < 0)
			cli_die(CTL_EXIT_USAGE,
				"--data %s: unknown mode (journal, ordered, writeback)",
				o->data_arg);
	} else if (o->data_arg) {
		check_data_list(o->data_arg);
	}
	check_combination(o, *argc - optind);
}

int main(int argc, char **argv)
{
	struct opts o = {0};
	struct ctl_strv targets = {0};
	struct ctl_root *r;
	int rc, err;

	parse_args(&argc, argv, &o);
	r = cli_root_open(o.cli.sysroot);
	if (o.sub == SUB_RESTORE) {
		rc = cmd_restore(&o, r, argv[optind]);
	} else {
		/* "-" that yields no line means no target, not every fs. */
		o.all = argc == optind;
		err = ctl_cli_targets(argv + optind, argc - optind, stdin,
				      &targets);
		if (err < 0)
			cli_die(CTL_EXIT_FAIL, "reading targets: %s",
				strerror(-err));
		switch (o.sub) {
		case SUB_SET:
			rc = cmd_set(&o, r, &targets);
			break;
		case SUB_CHECKPOINT:
			rc = cmd_checkpoint(&o, r, &targets);
			break;
		case SUB_CHECK:
			rc = cmd_check(&o, r, &targets);
			break;
		default:
			rc = cmd_show(&o, r, &targets);
			break;
		}
	}
	ctl_strv_free(&targets);
	ctl_root_free(r);
	return cli_finish(cli_changed_rc(&o.cli, rc));
}
