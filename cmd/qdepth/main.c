// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * qdepth: block request-queue depth, I/O scheduler, read-ahead and disk
 * saturation, for people and for udev rules. This file: the options and
 * the dispatch to the subcommands (see qdepth.h for the others).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ctl/parse.h"
#include "qdepth.h"

enum {
	OPT_SCHEDULER = CTL_OPT_TOOL_BASE,
	OPT_DEPTH,
	OPT_READ_AHEAD,
	OPT_CLAMP,
	OPT_UDEV,
	OPT_MIN_DEPTH,
	OPT_MAX_DEPTH,
	OPT_INTERVAL,
	OPT_COUNT,
	OPT_SATURATION,
	OPT_STACK,
	OPT_IGNORE_NOQUEUE,
};

static void usage(void)
{
	fputs("usage: qdepth [show] [--stack] [--textfile FILE] [options] [TARGET ...]\n"
	      "       qdepth set [--scheduler NAME] [--depth N|max] [--read-ahead KB]\n"
	      "              [--clamp] [--stack] [--dry-run] [--save FILE] [--udev]\n"
	      "              [--exit-changed N] TARGET ...\n"
	      "       qdepth check [--min-depth N] [--max-depth N]\n"
	      "              [--scheduler NAME[,NAME ...]] [--stack] [--ignore-noqueue]\n"
	      "              TARGET ...\n"
	      "       qdepth stat [--interval SEC] [--count N] [--saturation PCT] [--stack]\n"
	      "              [--textfile FILE] TARGET ...\n"
	      "       qdepth restore [--dry-run] [--exit-changed N] FILE\n"
	      "\n"
	      "TARGET: a device - kernel name (sda), /dev node, MAJ:MIN, UUID=, LABEL= -\n"
	      "means that device (a partition: its disk); --stack adds the devices below\n"
	      "it. Any other path means every queue that serves the file. - reads\n"
	      "targets from stdin.\n"
	      "\n"
	      "Common options:\n" CTL_CLI_HELP_OUTPUT
	      "  -b, --bytes         read-ahead in bytes, not KiB (show, set, restore)\n"
	      "      --sysroot DIR   read /sys and /proc under DIR\n" CTL_CLI_HELP_INFO
	      "\n"
	      "For fleet tooling (the usage lines say where each goes):\n" CTL_CLI_HELP_TEXTFILE
		      CTL_CLI_HELP_CHANGED CTL_CLI_HELP_SAVE "\n"
	      "See qdepth(8) for the columns of each subcommand.\n",
	      stdout);
}

#define SHORTOPTS CTL_CLI_SHORTOPTS CTL_CLI_SHORTOPT_BYTES

static const struct option longopts[] = {
	CTL_CLI_LONGOPTS_CHANGE,
	{"scheduler", required_argument, NULL, OPT_SCHEDULER},
	{"depth", required_argument, NULL, OPT_DEPTH},
	{"read-ahead", required_argument, NULL, OPT_READ_AHEAD},
	{"clamp", no_argument, NULL, OPT_CLAMP},
	CTL_CLI_LONGOPT_SAVE,
	{"udev", no_argument, NULL, OPT_UDEV},
	{"min-depth", required_argument, NULL, OPT_MIN_DEPTH},
	{"max-depth", required_argument, NULL, OPT_MAX_DEPTH},
	{"interval", required_argument, NULL, OPT_INTERVAL},
	{"count", required_argument, NULL, OPT_COUNT},
	{"saturation", required_argument, NULL, OPT_SATURATION},
	{"stack", no_argument, NULL, OPT_STACK},
	{"ignore-noqueue", no_argument, NULL, OPT_IGNORE_NOQUEUE},
	{NULL, 0, NULL, 0},
};

/* Exit 2 with "NAME ARG: WHAT": the value ARG of option NAME is bad. */
static _Noreturn void bad_value(const char *name, const char *arg,
				const char *what)
{
	cli_die(CTL_EXIT_USAGE, "%s %s: %s", name, arg, what);
}

/* ARG of option NAME as an integer MIN..MAX; else bad_value(). */
static uint64_t number(const char *name, const char *arg, uint64_t min,
		       uint64_t max, const char *what)
{
	uint64_t v;

	if (ctl_parse_range(arg, min, max, &v) < 0)
		bad_value(name, arg, what);
	return v;
}

/* The next option that is qdepth's own; the common ones are taken here. */
static int next_opt(struct opts *o, int argc, char **argv)
{
	int c;

	do
		c = cli_getopt(argc, argv, SHORTOPTS, longopts);
	while (c != -1 && cli_common_opt(&o->cli, c, optarg, usage));
	return c;
}

static void parse_opts(struct opts *o, int argc, char **argv)
{
	static const char posint[] = "not a positive integer";
	int c;

	while ((c = next_opt(o, argc, argv)) != -1) {
		switch (c) {
		case OPT_SCHEDULER:
			if (!*optarg || strchr(optarg, ' '))
				cli_die(CTL_EXIT_USAGE,
					"--scheduler '%s': not a scheduler name",
					optarg);
			o->want.sched = optarg;
			o->sched_list = optarg;
			break;
		case OPT_DEPTH:
			o->want.set_depth = true;
			if (strcmp(optarg, "max") == 0)
				o->want.depth_max = true;
			else
				o->want.depth = number(
					"--depth", optarg, 1, UINT32_MAX,
					"not a positive integer or 'max'");
			break;
		case OPT_READ_AHEAD:
			o->want.read_ahead_kb = number("--read-ahead", optarg,
						       0, UINT32_MAX,
						       "not a size in KiB");
			o->want.set_read_ahead = true;
			break;
		case OPT_CLAMP:
			o->want.clamp = true;
			break;
		case OPT_UDEV:
			o->udev = 1;
			break;
		case OPT_STACK:
			o->stack = 1;
			break;
		case OPT_IGNORE_NOQUEUE:
			o->ignore_noqueue = 1;
			break;
		case OPT_MIN_DEPTH:
			o->depth.min = number("--min-depth", optarg, 1,
					      UINT32_MAX, posint);
			o->depth.min_set = true;
			break;
		case OPT_MAX_DEPTH:
			o->depth.max = number("--max-depth", optarg, 1,
					      UINT32_MAX, posint);
			o->depth.max_set = true;
			break;
		case OPT_INTERVAL:
			o->interval_set = 1;
			if (ctl_parse_seconds(optarg, &o->interval) < 0)
				bad_value("--interval", optarg,
					  "not a positive number of seconds");
			break;
		case OPT_COUNT:
			o->count = number("--count", optarg, 1, UINT32_MAX,
					  posint);
			o->count_set = 1;
			break;
		case OPT_SATURATION:
			o->saturation =
				(double)number("--saturation", optarg, 1, 100,
					       "not a percentage 1-100");
			break;
		}
	}
}

/* Options that make sense only for some subcommands. */
static void check_opts(const struct opts *o, const char *sub)
{
	int set = strcmp(sub, "set") == 0, check = strcmp(sub, "check") == 0;
	int st = strcmp(sub, "stat") == 0, show = strcmp(sub, "show") == 0;
	int restore = strcmp(sub, "restore") == 0;

	if (!set && (o->want.set_depth || o->want.set_read_ahead ||
		     o->want.clamp || o->cli.save || o->udev))
		cli_die(CTL_EXIT_USAGE,
			"%s: --depth, --read-ahead, --clamp, --save and --udev belong to 'set'",
			sub);
	if (!set && !check && o->want.sched)
		cli_die(CTL_EXIT_USAGE,
			"%s: --scheduler belongs to 'set' and 'check'", sub);
	if (!check && o->ignore_noqueue)
		cli_die(CTL_EXIT_USAGE,
			"%s: --ignore-noqueue belongs to 'check'", sub);
	if (!check && (o->depth.min_set || o->depth.max_set))
		cli_die(CTL_EXIT_USAGE,
			"%s: --min-depth/--max-depth belong to 'check'", sub);
	if (!st && (o->count_set || o->saturation >= 0 || o->interval_set))
		cli_die(CTL_EXIT_USAGE,
			"%s: --interval, --count and --saturation belong to 'stat'",
			sub);
	if (o->stack && restore)
		cli_die(CTL_EXIT_USAGE,
			"%s: --stack belongs to 'show', 'set', 'check' and 'stat'",
			sub);
	if (o->cli.dry_run && !set && !restore)
		cli_die(CTL_EXIT_USAGE,
			"%s: --dry-run belongs to 'set' and 'restore'", sub);
	if (o->cli.exit_changed && !set && !restore)
		cli_die(CTL_EXIT_USAGE,
			"%s: --exit-changed belongs to 'set' and 'restore'",
			sub);
	if (o->cli.textfile && !show && !st)
		cli_die(CTL_EXIT_USAGE,
			"%s: --textfile belongs to 'show' and 'stat'", sub);
	if (o->cli.fmt.bytes && !show && !set && !restore)
		cli_die(CTL_EXIT_USAGE,
			"%s: --bytes belongs to 'show', 'set' and 'restore'",
			sub);
}

int main(int argc, char **argv)
{
	static const char *const subs[] = {"show", "set",     "check",
					   "stat", "restore", NULL};
	struct opts o = {.interval = 1.0,
			 .saturation = -1,
			 .depth = {"--min-depth", "--max-depth"},
			 .log = {.sink = CTL_LOG_NONE, .sock = -1, .kmsg = -1}};
	struct ctl_strv targets = {0};
	const char *sub;
	int rc, err;

	/* The subcommand is the first operand; options may come before or
	 * after it. None: show, and that operand is a target. */
	rc = cli_sub_take(&argc, argv, SHORTOPTS, longopts, subs, NULL);
	sub = subs[rc < 0 ? 0 : rc];
	parse_opts(&o, argc, argv);
	o.root = cli_root_open(o.cli.sysroot);
	if (o.udev) {
		/* What ends a run early is logged too: udevd keeps our stderr
		 * for its debug log and says only "failed with exit code 2". */
		ctl_log_open(o.root, "qdepth", &o.log);
		cli_msg_log(&o.log);
	}
	check_opts(&o, sub);
	if (strcmp(sub, "set") != 0)
		o.want.sched = NULL; /* check's list, not a change */
	if (strcmp(sub, "restore") == 0) {
		if (argc - optind != 1)
			cli_die(CTL_EXIT_USAGE,
				"restore: give exactly one FILE");
		rc = cmd_restore(&o, argv[optind]);
		ctl_log_close(&o.log);
		ctl_root_free(o.root);
		return cli_finish(cli_changed_rc(&o.cli, rc));
	}
	/* "-" that yields no line means no target, not every disk. */
	o.all = argc == optind;
	/* udev never waits on stdin. */
	err = ctl_cli_targets(argv + optind, argc - optind,
			      o.udev ? NULL : stdin, &targets);
	if (err == -EINVAL)
		cli_die(CTL_EXIT_USAGE,
			"--udev: targets come from the rule, not '-'");
	if (err < 0)
		cli_die(CTL_EXIT_FAIL, "reading targets: %s", strerror(-err));

	if (strcmp(sub, "set") == 0)
		rc = cmd_set(&o, &targets);
	else if (strcmp(sub, "check") == 0)
		rc = cmd_check(&o, &targets);
	else if (strcmp(sub, "stat") == 0)
		rc = cmd_stat(&o, &targets);
	else
		rc = cmd_show(&o, &targets);
	ctl_strv_free(&targets);
	ctl_log_close(&o.log);
	ctl_root_free(o.root);
	return cli_finish(cli_changed_rc(&o.cli, rc));
}
