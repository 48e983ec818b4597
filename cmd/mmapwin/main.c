// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mmapwin: edit and inspect files of any size through bounded mmap
 * windows. This file holds the options and the dispatch; each subcommand
 * group has its own file (patch.c, read.c, undo.c, report.c, replace.c,
 * write.c) and the engine is libctl (win, undo, fault, stream, uring).
 * Each subcommand is one row of the table below: its synopsis line, its
 * own long options and its function.
 */
#include <ctype.h>
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl/cli.h"
#include "ctl/macro.h"
#include "ctl/parse.h"
#include "ctl/win.h"
#include "mmapwin.h"

/* Tool options; part 2 numbers its own from OPT_MORE on. */
enum {
	OPT_DATA = CTL_OPT_TOOL_BASE,
	OPT_FROM,
	OPT_UNDO,
	OPT_WINDOW,
	OPT_NO_SYNC,
	OPT_EXTEND,
	OPT_HEX,
	OPT_POPULATE,
	OPT_MADVISE,
	OPT_WRITE,
	OPT_MINCORE,
	OPT_MORE = CTL_OPT_TOOL_BASE + 0x40,
};

/* replace and write (part 2). */
enum {
	OPT_MAX_COUNT = OPT_MORE,
	OPT_BREAK_HARDLINKS,
	OPT_PROGRESS,
	OPT_OFFSET,
	OPT_DIRECT,
	OPT_ENGINE,
	OPT_QUEUE_DEPTH,
	OPT_CHUNK,
	OPT_DROP_BEHIND,
	OPT_THROTTLE,
	OPT_TRUNCATE,
};

#define O_WINDOW                                                               \
	{                                                                      \
		"window", required_argument, NULL, OPT_WINDOW                  \
	}
#define O_NO_SYNC                                                              \
	{                                                                      \
		"no-sync", no_argument, NULL, OPT_NO_SYNC                      \
	}
#define O_END                                                                  \
	{                                                                      \
		NULL, 0, NULL, 0                                               \
	}

/* One subcommand. */
struct subcmd {
	const char *name;
	const char *synopsis; /* after "mmapwin ", as in the man page */
	const struct option *opts;
	int nmin, nmax; /* positional arguments */
	int (*run)(struct mw *m, char **args, int n);
};

static void usage(FILE *f);

/* Options of replace and write (part 2). Returns 1 if C was one. */
static int take_opt2(struct mw *m, int c, const char *arg)
{
	uint64_t v;

	switch (c) {
	case OPT_MAX_COUNT:
		if (ctl_parse_range(arg, 1, UINT64_MAX, &v) < 0)
			errx(CTL_EXIT_USAGE,
			     "--max-count '%s': not a positive number", arg);
		m->max_count = v;
		return 1;
	case OPT_BREAK_HARDLINKS:
		m->break_hardlinks = 1;
		return 1;
	case OPT_PROGRESS:
		m->progress = 1;
		return 1;
	case OPT_OFFSET:
		m->offset = take_pos("--offset", arg, 0);
		return 1;
	case OPT_DIRECT:
		m->direct = 1;
		return 1;
	case OPT_ENGINE:
		if (strcmp(arg, "uring") == 0)
			m->engine = CTL_WENGINE_URING;
		else if (strcmp(arg, "pwrite") == 0)
			m->engine = CTL_WENGINE_PWRITE;
		else
			errx(CTL_EXIT_USAGE,
			     "--engine '%s': unknown; use uring or pwrite",
			     arg);
		return 1;
	case OPT_QUEUE_DEPTH:
		if (ctl_parse_range(arg, 1, CTL_WRITE_DEPTH_MAX, &v) < 0)
			errx(CTL_EXIT_USAGE, "--queue-depth '%s': give 1 to %d",
			     arg, CTL_WRITE_DEPTH_MAX);
		m->depth = (unsigned int)v;
		return 1;
	case OPT_CHUNK:
		take_size("--chunk", arg, &v);
		if (v < 4096 || v > (64U << 20) || v % 4096)
			errx(CTL_EXIT_USAGE,
			     "--chunk %s: give a multiple of 4 KiB from 4K to 64M",
			     arg);
		m->chunk = (size_t)v;
		return 1;
	case OPT_DROP_BEHIND:
		m->drop_behind = 1;
		return 1;
	case OPT_THROTTLE:
		if (ctl_parse_range(arg, 1, 100, &v) < 0)
			errx(CTL_EXIT_USAGE,
			     "--throttle '%s': give a utilisation percentage, 1 to 100",
			     arg);
		m->throttle = (unsigned int)v;
		return 1;
	case OPT_TRUNCATE:
		m->truncate = 1;
		return 1;
	default:
		return 0;
	}
}

/* Take a tool option. Returns 0, or exits on a bad value. */
static int take_opt(struct mw *m, int c, const char *arg)
{
	int e;

	if (take_opt2(m, c, arg))
		return 0;
	switch (c) {
	case OPT_DATA:
		m->data = arg;
		break;
	case OPT_FROM:
		m->from = arg;
		break;
	case OPT_UNDO:
		m->undo = arg;
		break;
	case OPT_WINDOW:
		take_size("--window", arg, &m->window);
		e = ctl_win_size_check(m->window);
		if (e == -EINVAL)
			errx(CTL_EXIT_USAGE,
			     "--window %s: not a multiple of the page size (%ld)",
			     arg, sysconf(_SC_PAGESIZE));
		if (e < 0)
			errx(CTL_EXIT_USAGE,
			     "--window %s: out of range (one page to %llu MiB)",
			     arg, CTL_WIN_MAX >> 20);
		break;
	case OPT_NO_SYNC:
		m->no_sync = 1;
		break;
	case OPT_EXTEND:
		m->extend = 1;
		break;
	case OPT_HEX:
		m->hex = 1;
		break;
	case OPT_POPULATE:
		m->populate = 1;
		break;
	case OPT_MADVISE:
		m->madvise = 1;
		break;
	case OPT_WRITE:
		m->write = 1;
		break;
	case OPT_MINCORE:
		m->mincore = 1;
		break;
	default:
		usage(stderr);
		exit(CTL_EXIT_USAGE);
	}
	return 0;
}

/*
 * ---- the table of subcommands ----
 * To add one: a cmd_<name>() in a file of its group (declared in
 * mmapwin.h), its fields in struct mw, its option values (from OPT_MORE
 * on) with their cases in take_opt(), an option array below (at most MAX_SUB_OPTS entries), and a row in subcmds[]
 * whose synopsis is the line of the man page SYNOPSIS.
 */
#define MAX_SUB_OPTS 32

static const struct option patch_opts[] = {
	{"data", required_argument, NULL, OPT_DATA},
	{"from", required_argument, NULL, OPT_FROM},
	{"undo", required_argument, NULL, OPT_UNDO},
	{"extend", no_argument, NULL, OPT_EXTEND},
	O_NO_SYNC,
	O_WINDOW,
	O_END,
};

static const struct option read_opts[] = {
	{"hex", no_argument, NULL, OPT_HEX},
	O_WINDOW,
	O_END,
};

static const struct option undo_opts[] = {
	O_NO_SYNC,
	O_END,
};

static const struct option fault_opts[] = {
	{"populate", no_argument, NULL, OPT_POPULATE},
	{"madvise", no_argument, NULL, OPT_MADVISE},
	{"write", no_argument, NULL, OPT_WRITE},
	O_WINDOW,
	O_END,
};

static const struct option cache_opts[] = {
	{"mincore", no_argument, NULL, OPT_MINCORE},
	O_END,
};

static const struct option replace_opts[] = {
	{"max-count", required_argument, NULL, OPT_MAX_COUNT},
	{"undo", required_argument, NULL, OPT_UNDO},
	{"break-hardlinks", no_argument, NULL, OPT_BREAK_HARDLINKS},
	{"progress", no_argument, NULL, OPT_PROGRESS},
	O_NO_SYNC,
	O_WINDOW,
	O_END,
};

static const struct option write_opts[] = {
	{"offset", required_argument, NULL, OPT_OFFSET},
	{"direct", no_argument, NULL, OPT_DIRECT},
	{"engine", required_argument, NULL, OPT_ENGINE},
	{"queue-depth", required_argument, NULL, OPT_QUEUE_DEPTH},
	{"chunk", required_argument, NULL, OPT_CHUNK},
	{"drop-behind", no_argument, NULL, OPT_DROP_BEHIND},
	{"throttle", required_argument, NULL, OPT_THROTTLE},
	{"truncate", no_argument, NULL, OPT_TRUNCATE},
	{"progress", no_argument, NULL, OPT_PROGRESS},
	O_NO_SYNC,
	O_END,
};

static const struct subcmd subcmds[] = {
	{"patch",
	 "patch FILE OFFSET [--data STRING | --from FILE] [--undo UNDOFILE] [--extend] [--no-sync] [--window SIZE]",
	 patch_opts, 2, 2, cmd_patch},
	{"read", "read FILE OFFSET LENGTH [--hex] [--window SIZE]", read_opts,
	 3, 3, cmd_read},
	{"undo", "undo UNDOFILE [--dry-run] [--no-sync]", undo_opts, 1, 1,
	 cmd_undo},
	{"fault",
	 "fault FILE [OFFSET [LENGTH]] [--populate | --madvise] [--write] [--window SIZE]",
	 fault_opts, 1, 3, cmd_fault},
	{"cache", "cache FILE [OFFSET [LENGTH]] [--mincore]", cache_opts, 1, 3,
	 cmd_cache},
	{"replace",
	 "replace FILE OLD NEW [--max-count N] [--undo UNDOFILE] [--window SIZE] [--dry-run] [--break-hardlinks] [--no-sync] [--progress]",
	 replace_opts, 3, 3, cmd_replace},
	{"write",
	 "write FILE [--offset N] [--truncate] [--direct] [--engine uring|pwrite] [--queue-depth N] [--chunk SIZE] [--drop-behind] [--throttle PCT] [--no-sync] [--progress]",
	 write_opts, 1, 1, cmd_write},
};

static const struct subcmd *find_subcmd(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(subcmds); i++)
		if (strcmp(subcmds[i].name, name) == 0)
			return &subcmds[i];
	return NULL;
}

static void usage(FILE *f)
{
	fputs("Usage:\n", f);
	for (size_t i = 0; i < ARRAY_SIZE(subcmds); i++)
		fprintf(f, " mmapwin %s\n", subcmds[i].synopsis);
	fputs(" mmapwin --help | --version\n", f);
	fputs("\nCommon options: -o LIST, -J, -P, -r, -n, -q, -v, --dry-run\n",
	      f);
	fputs("Sizes: bytes, K/M/G/T suffix (powers of 1024), or 0x hex.\n", f);
	fputs("See mmapwin(1) for output columns.\n", f);
}

/* Exit status after --help/--version: 3, with a message, if stdout failed. */
static int help_done(void)
{
	if (fclose(stdout) != 0 && errno != EPIPE) {
		warn("stdout");
		return CTL_EXIT_FAIL;
	}
	return CTL_EXIT_OK;
}

static const struct option common_opts[] = {CTL_CLI_LONGOPTS};

/* Whether long option ARG ("--name", a unique prefix, or "--name=value")
 * takes the next argument as its value, as getopt_long(3) decides. */
static int long_takes_next(const char *arg, const struct option *opts)
{
	size_t n = strcspn(arg + 2, "=");
	const struct option *hit = NULL;

	if (arg[2 + n] == '=')
		return 0;
	for (const struct option *o = opts; o->name; o++) {
		if (strncmp(o->name, arg + 2, n) != 0)
			continue;
		if (strlen(o->name) == n)
			return o->has_arg == required_argument;
		if (hit && hit->has_arg != o->has_arg)
			return 0; /* ambiguous: getopt_long says so */
		hit = o;
	}
	return hit && hit->has_arg == required_argument;
}

/* Whether the short option cluster ARG ("-qo", not "-ofile") leaves
 * its value to the next argument. */
static int short_takes_next(const char *arg)
{
	for (const char *c = arg + 1; *c; c++) {
		const char *p = strchr(CTL_CLI_SHORTOPTS, *c);

		if (p && p[1] == ':')
			return c[1] == '\0';
	}
	return 0;
}

/*
 * getopt_long(3) takes a negative number ("-1") for a cluster of short
 * options and buries the real mistake under "invalid option" and the
 * usage. Put the options (with their values) of ARGV[2..] first, then
 * "--", then every other argument in its order: a negative OFFSET then
 * reaches the parser that names what is wrong with it. A new vector of
 * *ARGC + 1 arguments is returned in *ARGV (malloc'ed; the strings are
 * the old ones).
 */
static void options_first(int *argc, char ***argv, const struct option *opts)
{
	char **in = *argv, **out = calloc((size_t)*argc + 2, sizeof(*out));
	int n = 2, npos = 0, i, ends = 0;
	char **pos = calloc((size_t)*argc + 1, sizeof(*pos));

	if (!out || !pos)
		errx(CTL_EXIT_FAIL, "out of memory");
	out[0] = in[0];
	out[1] = in[1];
	for (i = 2; i < *argc; i++) {
		const char *a = in[i];

		if (ends || a[0] != '-' || a[1] == '\0' ||
		    isdigit((unsigned char)a[1])) {
			pos[npos++] = in[i];
			continue;
		}
		if (strcmp(a, "--") == 0) {
			ends = 1;
			continue;
		}
		out[n++] = in[i];
		if ((a[1] == '-' ? long_takes_next(a, opts)
				 : short_takes_next(a)) &&
		    i + 1 < *argc)
			out[n++] = in[++i];
	}
	out[n++] = "--";
	for (i = 0; i < npos; i++)
		out[n++] = pos[i];
	out[n] = NULL;
	free(pos);
	*argc = n;
	*argv = out;
}

int main(int argc, char **argv)
{
	struct option opts[ARRAY_SIZE(common_opts) + MAX_SUB_OPTS + 1];
	const struct subcmd *sc;
	_cleanup_free_ char **sorted = NULL;
	struct mw m = {0};
	size_t k = 0;
	int c, n, rc;

	if (argc < 2) {
		usage(stderr);
		return CTL_EXIT_USAGE;
	}
	sc = find_subcmd(argv[1]);
	if (!sc && argv[1][0] != '-')
		errx(CTL_EXIT_USAGE, "%s: unknown subcommand; see --help",
		     argv[1]);
	for (size_t i = 0; i < ARRAY_SIZE(common_opts); i++)
		opts[k++] = common_opts[i];
	for (const struct option *o = sc ? sc->opts : NULL;
	     o && o->name && k < ARRAY_SIZE(opts) - 1; o++)
		opts[k++] = *o;
	opts[k] = (struct option){0};
	/* Options may come before or after the positional arguments. */
	if (sc) {
		options_first(&argc, &argv, opts);
		sorted = argv;
		optind = 2;
	}
	while ((c = getopt_long(argc, argv, CTL_CLI_SHORTOPTS, opts, NULL)) !=
	       -1) {
		if (ctl_cli_common(&m.cli, c, optarg))
			continue;
		switch (c) {
		case 'h':
			usage(stdout);
			return help_done();
		case 'V':
			printf("mmapwin %s\n", CTL_VERSION);
			return help_done();
		case '?':
			usage(stderr);
			return CTL_EXIT_USAGE;
		default:
			take_opt(&m, c, optarg);
		}
	}
	if (!sc)
		errx(CTL_EXIT_USAGE, "no subcommand; see --help");
	n = argc - optind;
	if (n < sc->nmin || n > sc->nmax)
		errx(CTL_EXIT_USAGE, "usage: mmapwin %s", sc->synopsis);
	rc = sc->run(&m, argv + optind, n);
	if (ferror(stdout) | (fclose(stdout) != 0)) {
		if (errno != EPIPE)
			err(CTL_EXIT_FAIL, "stdout");
	}
	return rc;
}
