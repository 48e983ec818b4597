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
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "ctl/cgroup.h"
#include "ctl/cli.h"
#include "ctl/file.h"
#include "ctl/notify.h"
#include "ctl/out.h"
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

struct journal journal;

static void vsay(int prio, const char *fmt, va_list ap)
{
	char msg[2048];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* One write per line: journald splits its stream at newlines. */
	if (journal.err)
		fprintf(stderr, "<%d>%s: %s\n", prio,
			program_invocation_short_name, msg);
	else
		fprintf(stderr, "%s: %s\n", program_invocation_short_name, msg);
}

void say(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(prio, fmt, ap);
	va_end(ap);
}

void die(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(LOG_ERR, fmt, ap);
	va_end(ap);
	exit(code);
}

static int finish(int rc)
{
	/* EPIPE is not an error in a pipeline: the reader had enough. */
	if ((fflush(stdout) != 0 || ferror(stdout)) && errno != EPIPE) {
		say(LOG_ERR, "stdout: %s", strerror(errno));
		return CTL_EXIT_FAIL;
	}
	return rc;
}

static void usage(void)
{
	fputs("usage: swapadj [show] [options]\n"
	      "       swapadj set N [--persist] [--dry-run]\n"
	      "       swapadj auto [--once] [--interval SEC] [--min N] [--max N] [--dry-run]\n"
	      "       swapadj run [--swappiness N] [--memory-max SIZE] [--swap-max SIZE]\n"
	      "                   [--dry-run] -- COMMAND [ARG...]\n"
	      "       swapadj restore [--dry-run]\n"
	      "       swapadj check [--max N] [--min N] [--min-available PCT]\n"
	      "\n"
	      "Common options:\n" CTL_CLI_HELP_OUTPUT
	      "      --sysroot DIR   read /proc, /etc, /run and /sys under DIR\n"
	      "      --dry-run       compute and print, change nothing\n" CTL_CLI_HELP_INFO
	      "\n"
	      "See swapadj(8) for the columns of each subcommand.\n",
	      stdout);
}

struct ctl_out *new_table(const struct opts *o, const char *name,
			  const struct ctl_col *cols, size_t n,
			  const char *defaults)
{
	struct ctl_out *out;
	const char *bad = NULL;
	int err = ctl_out_new(name, cols, n, defaults, &o->cli.fmt, &out, &bad);

	if (err == -EINVAL && bad)
		die(CTL_EXIT_USAGE, "unknown column '%.*s' (see --help)",
		    (int)strcspn(bad, ","), bad);
	if (err < 0)
		die(CTL_EXIT_FAIL, "output: %s", strerror(-err));
	return out;
}

int print_table(const struct opts *o, struct ctl_out *out)
{
	int err = 0;

	if (!o->cli.quiet)
		err = ctl_out_print(out, stdout);
	ctl_out_free(out);
	if (err < 0) {
		say(LOG_ERR, "output: %s", strerror(-err));
		return CTL_EXIT_FAIL;
	}
	return CTL_EXIT_OK;
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
		say(LOG_ERR,
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
	say(LOG_ERR, "%s%s: %s%s", root, what, ctl_file_strerror(-err), hint);
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
		die(CTL_EXIT_USAGE, "%s '%s': not a number (0-%d)", what, s,
		    max);
	if (err < 0 || v > (uint64_t)max)
		die(CTL_EXIT_USAGE,
		    "%s %s: out of range 0-%d for this kernel (%s)", what, s,
		    max,
		    max == 200 ? "Linux 5.8 and later" : "before Linux 5.8");
	return (unsigned int)v;
}

void sleep_secs(double s)
{
	struct timespec ts = {.tv_sec = (time_t)s,
			      .tv_nsec = (long)((s - (double)(time_t)s) * 1e9)};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static const struct option longopts[] = {
	CTL_CLI_LONGOPTS,
	{"persist", no_argument, NULL, OPT_PERSIST},
	{"once", no_argument, NULL, OPT_ONCE},
	{"interval", required_argument, NULL, OPT_INTERVAL},
	{"min", required_argument, NULL, OPT_MIN},
	{"max", required_argument, NULL, OPT_MAX},
	{"min-available", required_argument, NULL, OPT_MIN_AVAIL},
	{"swappiness", required_argument, NULL, OPT_SWAPPINESS},
	{"memory-max", required_argument, NULL, OPT_MEMORY_MAX},
	{"swap-max", required_argument, NULL, OPT_SWAP_MAX},
	{NULL, 0, NULL, 0},
};

/* run stops at COMMAND so that its options stay its own. */
static const char *shortopts(const char *sub)
{
	return strcmp(sub, "run") == 0 ? "+" CTL_CLI_SHORTOPTS
				       : CTL_CLI_SHORTOPTS;
}

/*
 * --sysroot, found before the real parse (option values are checked
 * against the root's kernel) by the same getopt rules, so that a
 * "--sysroot" among the arguments of run's COMMAND stays the command's.
 */
static const char *find_sysroot(const char *sub, int argc, char **argv)
{
	const char *dir = NULL;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts(sub), longopts, NULL)) !=
	       -1)
		if (c == CTL_OPT_SYSROOT)
			dir = optarg;
	opterr = 1;
	optind = 0; /* glibc: start over for the real parse */
	return dir;
}

/*
 * The subcommand is the first word that is neither an option nor an
 * option's value, so that options may come before it ("swapadj --sysroot
 * /host show", "swapadj -J check --max 60"). It is taken out of ARGV; the
 * options on both sides are then parsed as one list. Returns the
 * subcommand, "show" when none is named.
 */
static const char *take_sub(const char *const *subs, size_t n, int *argc,
			    char **argv)
{
	int c, i;

	opterr = 0;
	while ((c = getopt_long(*argc, argv, "+" CTL_CLI_SHORTOPTS, longopts,
				NULL)) != -1)
		;
	opterr = 1;
	i = optind;
	optind = 0; /* glibc: start over for the next parse */
	if (i >= *argc)
		return "show";
	for (size_t j = 0; j < n; j++) {
		if (strcmp(argv[i], subs[j]) != 0)
			continue;
		/* argv[argc] is NULL and moves down with the rest. */
		memmove(&argv[i], &argv[i + 1],
			(size_t)(*argc - i) * sizeof(*argv));
		(*argc)--;
		return subs[j];
	}
	return "show";
}

/*
 * getopt_long() for the real parse. Under the journal its own complaint
 * (an unknown option, a missing value) is caught and said again with a
 * priority, like every other line there.
 */
static int next_opt(int argc, char **argv, const char *opts)
{
	FILE *mem, *was = stderr;
	char *msg = NULL;
	size_t len = 0;
	int c;

	if (!journal.err || !(mem = open_memstream(&msg, &len)))
		return getopt_long(argc, argv, opts, longopts, NULL);
	stderr = mem; /* glibc's getopt writes to stderr */
	c = getopt_long(argc, argv, opts, longopts, NULL);
	stderr = was;
	fclose(mem);
	for (const char *line = msg; line && *line;) {
		size_t n = strcspn(line, "\n");

		fprintf(stderr, "<%d>%.*s\n", LOG_ERR, (int)n, line);
		line += n + (line[n] == '\n');
	}
	free(msg);
	return c;
}

static void parse_opts(struct opts *o, const char *sub, int argc, char **argv)
{
	int c, err;

	while ((c = next_opt(argc, argv, shortopts(sub))) != -1) {
		if (ctl_cli_common(&o->cli, c, optarg))
			continue;
		if (c >= OPT_PERSIST && c <= OPT_SWAP_MAX)
			o->given |= 1u << (c - OPT_PERSIST);
		switch (c) {
		case 'h':
			usage();
			exit(finish(CTL_EXIT_OK));
		case 'V':
			printf("swapadj %s\n", CTL_VERSION);
			exit(finish(CTL_EXIT_OK));
		case OPT_PERSIST:
			o->persist = 1;
			break;
		case OPT_ONCE:
			o->once = 1;
			break;
		case OPT_INTERVAL:
			if (ctl_parse_seconds(optarg, &o->interval) < 0)
				die(CTL_EXIT_USAGE,
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
				die(CTL_EXIT_USAGE, "%s '%s': %s", name, optarg,
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
				die(CTL_EXIT_USAGE,
				    "%s '%s': not a size (bytes, or a K, M, G, T or P suffix)",
				    c == OPT_MEMORY_MAX ? "--memory-max"
							: "--swap-max",
				    optarg);
			break;
		default:
			die(CTL_EXIT_USAGE, "try 'swapadj --help'");
		}
	}
}

/* Which subcommands take each option of their own, and --dry-run. */
static const struct {
	int opt;
	const char *name;
	const char *subs; /* for ctl_list_has() */
	const char *said; /* for the message */
} scopes[] = {
	{OPT_PERSIST, "--persist", "set", "'set'"},
	{OPT_ONCE, "--once", "auto", "'auto'"},
	{OPT_INTERVAL, "--interval", "show,auto", "'show' and 'auto'"},
	{OPT_MIN, "--min", "auto,check", "'auto' and 'check'"},
	{OPT_MAX, "--max", "auto,check", "'auto' and 'check'"},
	{OPT_MIN_AVAIL, "--min-available", "check", "'check'"},
	{OPT_SWAPPINESS, "--swappiness", "run", "'run'"},
	{OPT_MEMORY_MAX, "--memory-max", "run", "'run'"},
	{OPT_SWAP_MAX, "--swap-max", "run", "'run'"},
	{CTL_OPT_DRY_RUN, "--dry-run", "set,auto,run,restore",
	 "'set', 'auto', 'run' and 'restore'"},
};

/* An option the subcommand would ignore is an error: it was meant. */
static void check_scope(const struct opts *o, const char *sub)
{
	for (size_t i = 0; i < ARRAY_SIZE(scopes); i++) {
		int given = scopes[i].opt == CTL_OPT_DRY_RUN
				    ? o->cli.dry_run
				    : (int)(o->given >>
					    (scopes[i].opt - OPT_PERSIST)) &
					      1;

		if (given && !ctl_list_has(scopes[i].subs, sub))
			die(CTL_EXIT_USAGE, "%s: %s belongs to %s", sub,
			    scopes[i].name, scopes[i].said);
	}
}

int main(int argc, char **argv)
{
	static const char *const subs[] = {"show", "set",     "auto",
					   "run",  "restore", "check"};
	struct opts o = {.swappiness = -1,
			 .memory_max = CTL_CGROUP_UNLIMITED,
			 .swap_max = CTL_CGROUP_UNLIMITED};
	const char *sub;
	int rc, err;

	journal.err =
		ctl_journal_stream(getenv("JOURNAL_STREAM"), STDERR_FILENO);
	journal.out =
		ctl_journal_stream(getenv("JOURNAL_STREAM"), STDOUT_FILENO);
	setlocale(LC_ALL, "");
	o.arrow = strcmp(nl_langinfo(CODESET), "UTF-8") == 0 ? "→" : "->";
	sub = take_sub(subs, ARRAY_SIZE(subs), &argc, argv);
	/* The root first: option values are checked against its kernel. */
	o.cli.sysroot = find_sysroot(sub, argc, argv);
	err = ctl_root_open(o.cli.sysroot, &o.root);
	if (err < 0)
		die(CTL_EXIT_USAGE, "--sysroot %s: %s", o.cli.sysroot,
		    strerror(-err));
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
		rc = cmd_restore(&o, argc - optind);
	else if (strcmp(sub, "auto") == 0)
		rc = cmd_auto(&o, argc - optind);
	else if (argc - optind)
		die(CTL_EXIT_USAGE, "%s: unexpected argument '%s'", sub,
		    argv[optind]);
	else
		rc = cmd_show(&o);
	ctl_root_free(o.root);
	return finish(rc);
}
