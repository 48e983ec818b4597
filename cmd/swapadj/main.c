// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * swapadj: vm.swappiness shown, set, adapted to memory pressure, changed
 * for the duration of one command (with a crash-safe state file), and
 * memory cgroup limits for that command.
 */
#include <errno.h>
#include <getopt.h>
#include <langinfo.h>
#include <locale.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "ctl/cgroup.h"
#include "ctl/clock.h"
#include "ctl/file.h"
#include "ctl/notify.h"
#include "ctl/parse.h"
#include "ctl/vm.h"
#include "swapadj.h"

enum {
	OPT_PERSIST = CTL_OPT_TOOL_BASE,
	OPT_ONCE,
	OPT_INTERVAL,
	OPT_MIN,
	OPT_MAX,
	OPT_MIN_AVAIL,
	OPT_SWAPPINESS,
	OPT_MEMORY_MAX,
	OPT_SWAP_MAX,
};

bool journal_out;

static void usage(void)
{
	fputs("usage: swapadj [show] [-b] [--textfile FILE] [options]\n"
	      "       swapadj set N [--persist] [--save FILE] [--dry-run] [--exit-changed N]\n"
	      "       swapadj auto [--once] [--interval SEC] [--min N] [--max N] [--dry-run]\n"
	      "       swapadj run [--swappiness N] [--memory-max SIZE] [--swap-max SIZE]\n"
	      "                   [--dry-run] -- COMMAND [ARG...]\n"
	      "       swapadj restore [--dry-run] [--exit-changed N] [FILE]\n"
	      "       swapadj check [--max N] [--min N] [--min-available PCT]\n"
	      "\n"
	      "Common options:\n" CTL_CLI_HELP_OUTPUT CTL_CLI_HELP_BYTES
	      "      --sysroot DIR   read /proc, /etc, /run and /sys under DIR\n"
	      "      --dry-run       compute and print, change nothing\n" CTL_CLI_HELP_TEXTFILE
		      CTL_CLI_HELP_CHANGED CTL_CLI_HELP_SAVE CTL_CLI_HELP_INFO
	      "\n"
	      "See swapadj(8) for the columns of each subcommand.\n",
	      stdout);
}

const char *rootp(const struct opts *o)
{
	return ctl_root_is_host(o->root) ? "" : ctl_root_dir(o->root);
}

int vm_fail(const struct opts *o, const char *what, int err)
{
	const char *root = rootp(o);
	int state = strcmp(what, CTL_VM_STATE_FILE) == 0;
	const char *hint = "";

	if (state && err == -EBADMSG) {
		/* Half a state file would restore the wrong value. */
		cli_say(LOG_ERR,
			"%s%s: no valid end marker (cut short, or written by an older swapadj): nothing was changed; inspect it, set vm.swappiness by hand ('swapadj set N', N from its 'original N' line), then remove it",
			root, what);
		return CTL_EXIT_FAIL;
	}
	if (err == -EACCES || err == -EPERM)
		hint = " (run as root)";
	else if (err == -EROFS)
		hint = " (mounted read-only here, as /proc/sys is in most "
		       "containers: change it on the host)";
	else if (state && err == -EINVAL)
		hint = " (not a swapadj state file: inspect it and remove it)";
	else if (state && (err == -CTL_ENOTREG || err == -EISDIR))
		hint = " (remove it: swapadj keeps its state there)";
	cli_say(LOG_ERR, "%s%s: %s%s", root, what, ctl_file_strerror(-err),
		hint);
	return err == -ENOENT ? CTL_EXIT_UNSUPP : ctl_exit_for(err);
}

int range_max(const struct opts *o)
{
	int max = ctl_vm_swappiness_max(o->root);

	return max < 0 ? 100 : max;
}

unsigned int parse_swappiness(const struct opts *o, const char *what,
			      const char *s)
{
	int max = range_max(o);
	uint64_t v;
	int err = ctl_parse_u64(s, &v);

	if (err == -EINVAL && s[0] == '-' && ctl_parse_u64(s + 1, &v) == 0)
		err = -ERANGE;
	if (err == -EINVAL)
		cli_die(CTL_EXIT_USAGE, "%s '%s': not a number (0-%d)", what, s,
			max);
	if (err < 0 || v > (uint64_t)max)
		cli_die(CTL_EXIT_USAGE,
			"%s %s: out of range 0-%d for this kernel (%s)", what,
			s, max,
			max == 200 ? "Linux 5.8 and later"
				   : "before Linux 5.8");
	return (unsigned int)v;
}

void sleep_secs(double s)
{
	struct timespec ts = ctl_ms_timespec(s * 1e3);

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/*
 * swapadj's own options, each with the subcommands that take it: given
 * to another, it would be ignored, and that is an error (it was meant).
 */
static const struct {
	struct option opt;
	const char *subs; /* for ctl_list_has() */
} own[] = {
	{{"persist", no_argument, NULL, OPT_PERSIST}, "set"},
	{{"once", no_argument, NULL, OPT_ONCE}, "auto"},
	{{"interval", required_argument, NULL, OPT_INTERVAL}, "show,auto"},
	{{"min", required_argument, NULL, OPT_MIN}, "auto,check"},
	{{"max", required_argument, NULL, OPT_MAX}, "auto,check"},
	{{"min-available", required_argument, NULL, OPT_MIN_AVAIL}, "check"},
	{{"swappiness", required_argument, NULL, OPT_SWAPPINESS}, "run"},
	{{"memory-max", required_argument, NULL, OPT_MEMORY_MAX}, "run"},
	{{"swap-max", required_argument, NULL, OPT_SWAP_MAX}, "run"},
};

/*
 * The common options only some subcommands take: --dry-run those that
 * change something, --exit-changed those that say whether they did,
 * --save the one that records what it replaces, -b and --textfile the one
 * that shows sizes and metrics.
 */
#define DRY_RUN_SUBS "set,auto,run,restore"
#define EXIT_CHANGED_SUBS "set,restore"
#define SAVE_SUBS "set"
#define SHOW_SUBS "show"

static const struct option common[] = {CTL_CLI_LONGOPTS_CHANGE,
				       CTL_CLI_LONGOPT_SAVE};

/* getopt_long()'s table: common[], own[], the zero end. Filled by main(). */
static struct option longopts[ARRAY_SIZE(common) + ARRAY_SIZE(own) + 1];

static void fill_longopts(void)
{
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(common); i++)
		longopts[n++] = common[i];
	for (size_t i = 0; i < ARRAY_SIZE(own); i++)
		longopts[n++] = own[i].opt;
}

#define SHORTOPTS CTL_CLI_SHORTOPTS CTL_CLI_SHORTOPT_BYTES

/* run stops at COMMAND so that its options stay its own. */
static const char *shortopts(const char *sub)
{
	return strcmp(sub, "run") == 0 ? "+" SHORTOPTS : SHORTOPTS;
}

static void parse_opts(struct opts *o, const char *sub, int argc, char **argv)
{
	int c, err;

	while ((c = cli_getopt(argc, argv, shortopts(sub), longopts)) != -1) {
		if (cli_common_opt(&o->cli, c, optarg, usage))
			continue;
		if (c >= OPT_PERSIST && c <= OPT_SWAP_MAX)
			o->given |= 1u << (c - OPT_PERSIST);
		switch (c) {
		case OPT_PERSIST:
			o->persist = 1;
			break;
		case OPT_ONCE:
			o->once = 1;
			break;
		case OPT_INTERVAL:
			if (ctl_parse_seconds(optarg, &o->interval) < 0)
				cli_die(CTL_EXIT_USAGE,
					"--interval '%s': not a positive number of seconds",
					optarg);
			o->interval_set = 1;
			break;
		case OPT_MIN:
		case OPT_MAX:
		case OPT_MIN_AVAIL: {
			uint64_t *v = c == OPT_MIN   ? &o->min
				      : c == OPT_MAX ? &o->max
						     : &o->min_avail;
			const char *name = c == OPT_MIN	  ? "--min"
					   : c == OPT_MAX ? "--max"
							  : "--min-available";

			err = ctl_parse_range(
				optarg, 0, c == OPT_MIN_AVAIL ? 100 : 200, v);
			if (err < 0)
				cli_die(CTL_EXIT_USAGE, "%s '%s': %s", name,
					optarg,
					err == -ERANGE
						? (c == OPT_MIN_AVAIL
							   ? "out of range 0-100 (percent)"
							   : "out of range 0-200")
						: "not a number");
			*(c == OPT_MIN	 ? &o->min_set
			  : c == OPT_MAX ? &o->max_set
					 : &o->min_avail_set) = 1;
			break;
		}
		case OPT_SWAPPINESS:
			o->swappiness = (int)parse_swappiness(o, "--swappiness",
							      optarg);
			break;
		case OPT_MEMORY_MAX:
		case OPT_SWAP_MAX:
			err = ctl_parse_size(optarg, c == OPT_MEMORY_MAX
							     ? &o->memory_max
							     : &o->swap_max);
			if (err < 0)
				cli_die(CTL_EXIT_USAGE,
					"%s '%s': not a size (bytes, or a K, M, G, T or P suffix)",
					c == OPT_MEMORY_MAX ? "--memory-max"
							    : "--swap-max",
					optarg);
			break;
		}
	}
}

/* Option --NAME given to SUB, which is not among SUBS: a usage error. */
static void not_taken(const char *sub, const char *name, const char *subs)
{
	char said[128] = "";
	size_t n = strlen(subs), len = 0;

	/* "set,auto,run" reads "'set', 'auto' and 'run'". */
	for (const char *w = subs; w < subs + n; w += strcspn(w, ",") + 1) {
		const char *sep = w == subs	   ? ""
				  : strchr(w, ',') ? ", "
						   : " and ";

		len += (size_t)snprintf(said + len, sizeof(said) - len,
					"%s'%.*s'", sep, (int)strcspn(w, ","),
					w);
	}
	cli_die(CTL_EXIT_USAGE, "%s: --%s belongs to %s", sub, name, said);
}

/* An option the subcommand would ignore is an error: it was meant. */
static void check_scope(const struct opts *o, const char *sub)
{
	for (size_t i = 0; i < ARRAY_SIZE(own); i++)
		if ((o->given >> (own[i].opt.val - OPT_PERSIST) & 1) &&
		    !ctl_list_has(own[i].subs, sub))
			not_taken(sub, own[i].opt.name, own[i].subs);
	if (o->cli.save && !ctl_list_has(SAVE_SUBS, sub))
		not_taken(sub, "save", SAVE_SUBS);
	if (o->cli.dry_run && !ctl_list_has(DRY_RUN_SUBS, sub))
		not_taken(sub, "dry-run", DRY_RUN_SUBS);
	if (o->cli.exit_changed && !ctl_list_has(EXIT_CHANGED_SUBS, sub))
		not_taken(sub, "exit-changed", EXIT_CHANGED_SUBS);
	if (o->cli.fmt.bytes && !ctl_list_has(SHOW_SUBS, sub))
		not_taken(sub, "bytes", SHOW_SUBS);
	if (o->cli.textfile && !ctl_list_has(SHOW_SUBS, sub))
		not_taken(sub, "textfile", SHOW_SUBS);
}

int main(int argc, char **argv)
{
	static const char *const subs[] = {"show",    "set",   "auto", "run",
					   "restore", "check", NULL};
	struct opts o = {.swappiness = -1,
			 .memory_max = CTL_CGROUP_UNLIMITED,
			 .swap_max = CTL_CGROUP_UNLIMITED};
	const char *sub;
	int k, rc;

	fill_longopts();
	cli_msg_journal(
		ctl_journal_stream(getenv("JOURNAL_STREAM"), STDERR_FILENO));
	journal_out =
		ctl_journal_stream(getenv("JOURNAL_STREAM"), STDOUT_FILENO);
	setlocale(LC_ALL, "");
	o.arrow = strcmp(nl_langinfo(CODESET), "UTF-8") == 0 ? "→" : "->";
	k = cli_sub_take(&argc, argv, "+" SHORTOPTS, longopts, subs, NULL);
	sub = k < 0 ? "show" : subs[k];
	/*
	 * The root first: option values are checked against its kernel. A
	 * "--sysroot" among the arguments of run's COMMAND stays the command's.
	 */
	o.cli.sysroot = cli_opt_find(argc, argv, shortopts(sub), longopts,
				     CTL_OPT_SYSROOT);
	o.root = cli_root_open(o.cli.sysroot);
	/* "set -1" must read as an out-of-range value, not an option. */
	if (strcmp(sub, "set") == 0)
		for (int i = 1; i < argc; i++)
			if (argv[i][0] == '-' && argv[i][1] >= '0' &&
			    argv[i][1] <= '9')
				parse_swappiness(&o, "swappiness", argv[i]);
	parse_opts(&o, sub, argc, argv);
	check_scope(&o, sub);
	/* libsmartcols escapes non-ASCII in -P/-r output; keep those plain. */
	if (o.cli.fmt.pairs || o.cli.fmt.raw || o.cli.fmt.json)
		o.arrow = "->";

	if (strcmp(sub, "set") == 0)
		rc = cmd_set(&o, argc - optind, argv + optind);
	else if (strcmp(sub, "check") == 0)
		rc = cmd_check(&o, argc - optind);
	else if (strcmp(sub, "run") == 0)
		rc = cmd_run(&o, argc - optind, argv + optind);
	else if (strcmp(sub, "restore") == 0)
		rc = cmd_restore(&o, argc - optind, argv + optind);
	else if (strcmp(sub, "auto") == 0)
		rc = cmd_auto(&o, argc - optind);
	else if (argc - optind)
		cli_die(CTL_EXIT_USAGE, "%s: unexpected argument '%s'", sub,
			argv[optind]);
	else
		rc = cmd_show(&o);
	ctl_root_free(o.root);
	return cli_finish(cli_changed_rc(&o.cli, rc));
}
