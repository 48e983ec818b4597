// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mmapwin: edit and inspect files of any size through bounded mmap
 * windows. This file holds the options and the dispatch; each subcommand
 * group has its own file (patch.c, read.c, undo.c, report.c, replace.c,
 * write.c) and the engine is libctl (win, undo, fault, stream, uring).
 * Each subcommand is one row of the table below: its synopsis line, its
 * own long options and its function.
 */
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
#include "ctl/root.h"
#include "ctl/win.h"
#include "cli/cli.h"
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

/* One subcommand. */
struct subcmd {
	const char *name;
	const char *synopsis; /* after "mmapwin ", as in the man page */
	const struct option *opts;
	int nmin, nmax; /* positional arguments */
	int (*run)(struct mw *m, char **args, int n);
};

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
		cli_try_help();
	}
	return 0;
}

/*
 * ---- the table of subcommands ----
 * To add one: a cmd_<name>() in a file of its group (declared in
 * mmapwin.h), its fields in struct mw, its option values (from OPT_MORE
 * on) with their cases in take_opt(), an option array below (at most
 * MAX_SUB_OPTS entries), and a row in subcmds[] whose synopsis is the line
 * of the man page SYNOPSIS.
 */
#define MAX_SUB_OPTS 32

static const struct option patch_opts[] = {
	{"data", required_argument, NULL, OPT_DATA},
	{"from", required_argument, NULL, OPT_FROM},
	{"undo", required_argument, NULL, OPT_UNDO},
	{"extend", no_argument, NULL, OPT_EXTEND},
	{"no-sync", no_argument, NULL, OPT_NO_SYNC},
	{"window", required_argument, NULL, OPT_WINDOW},
	{NULL, 0, NULL, 0},
};

static const struct option read_opts[] = {
	{"hex", no_argument, NULL, OPT_HEX},
	{"window", required_argument, NULL, OPT_WINDOW},
	{NULL, 0, NULL, 0},
};

static const struct option undo_opts[] = {
	{"no-sync", no_argument, NULL, OPT_NO_SYNC},
	{NULL, 0, NULL, 0},
};

static const struct option fault_opts[] = {
	{"populate", no_argument, NULL, OPT_POPULATE},
	{"madvise", no_argument, NULL, OPT_MADVISE},
	{"write", no_argument, NULL, OPT_WRITE},
	{"window", required_argument, NULL, OPT_WINDOW},
	{NULL, 0, NULL, 0},
};

static const struct option cache_opts[] = {
	{"mincore", no_argument, NULL, OPT_MINCORE},
	{NULL, 0, NULL, 0},
};

static const struct option replace_opts[] = {
	{"max-count", required_argument, NULL, OPT_MAX_COUNT},
	{"undo", required_argument, NULL, OPT_UNDO},
	{"break-hardlinks", no_argument, NULL, OPT_BREAK_HARDLINKS},
	{"progress", no_argument, NULL, OPT_PROGRESS},
	{"no-sync", no_argument, NULL, OPT_NO_SYNC},
	{"window", required_argument, NULL, OPT_WINDOW},
	{NULL, 0, NULL, 0},
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
	{"no-sync", no_argument, NULL, OPT_NO_SYNC},
	{NULL, 0, NULL, 0},
};

static const struct subcmd subcmds[] = {
	{"patch",
	 "patch FILE OFFSET [--data STRING | --from FILE] [--undo UNDOFILE] [--extend] [--dry-run] [--no-sync] [--window SIZE]",
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
	 "write FILE [--offset N] [--truncate] [--direct] [--engine uring|pwrite] [--queue-depth N] [--chunk SIZE] [--drop-behind] [--throttle PCT] [--dry-run] [--no-sync] [--progress]",
	 write_opts, 1, 1, cmd_write},
};

static void usage(FILE *f)
{
	fputs("Usage:\n", f);
	for (size_t i = 0; i < ARRAY_SIZE(subcmds); i++)
		fprintf(f, " mmapwin %s\n", subcmds[i].synopsis);
	fputs(" mmapwin --help | --version\n", f);
	fputs("\nCommon options: -o LIST, -J, -P, -r, -n, -q, -v, --dry-run,\n"
	      "  --sysroot DIR\n",
	      f);
	fputs("Sizes: bytes, K/M/G/T suffix (powers of 1024), or 0x hex.\n", f);
	fputs("See mmapwin(1) for output columns.\n", f);
}

static void usage_out(void)
{
	usage(stdout);
}

static const struct option common_opts[] = {CTL_CLI_LONGOPTS};

/* The common options and those of the N subcommands at SC into V (room
 * for CAP): all of them to find the subcommand, then its own. */
static void options_of(const struct subcmd *sc, size_t n, struct option *v,
		       size_t cap)
{
	size_t k = 0;

	for (size_t i = 0; i < ARRAY_SIZE(common_opts); i++)
		v[k++] = common_opts[i];
	for (size_t i = 0; i < n; i++)
		for (const struct option *o = sc[i].opts;
		     o->name && k < cap - 1; o++)
			v[k++] = *o;
	v[k] = (struct option){0};
}

int main(int argc, char **argv)
{
	struct option all[ARRAY_SIZE(common_opts) +
			  ARRAY_SIZE(subcmds) * MAX_SUB_OPTS + 1];
	struct option opts[ARRAY_SIZE(common_opts) + MAX_SUB_OPTS + 1];
	const char *names[ARRAY_SIZE(subcmds) + 1] = {NULL}, *word;
	const struct subcmd *sc = NULL;
	_cleanup_free_ char **sorted = NULL;
	struct mw m = {0};
	int c, n, i;

	if (argc < 2) {
		usage(stderr);
		return CTL_EXIT_USAGE;
	}
	for (i = 0; i < (int)ARRAY_SIZE(subcmds); i++)
		names[i] = subcmds[i].name;
	options_of(subcmds, ARRAY_SIZE(subcmds), all, ARRAY_SIZE(all));
	/* Options may come before or after the subcommand. */
	i = cli_sub_take(&argc, argv, CTL_CLI_SHORTOPTS, all, names, &word);
	if (i < 0 && word)
		cli_die(CTL_EXIT_USAGE, "%s: unknown subcommand; see --help",
			word);
	if (i >= 0)
		sc = &subcmds[i];
	options_of(sc, sc ? 1 : 0, opts, ARRAY_SIZE(opts));
	/* ... and before or after the operands; a negative OFFSET is an
	 * operand, for the parser that says what is wrong with it. */
	sorted = cli_opts_first(&argc, argv, CTL_CLI_SHORTOPTS, opts);
	argv = sorted;
	optind = 1;
	while ((c = cli_getopt(argc, argv, CTL_CLI_SHORTOPTS, opts)) != -1)
		if (!cli_common_opt(&m.cli, c, optarg, usage_out))
			take_opt(&m, c, optarg);
	if (!sc)
		cli_die(CTL_EXIT_USAGE, "no subcommand; see --help");
	/* --dry-run is a common option, but read, fault and cache plan
	 * nothing: fault --write would write-fault the file all the same. */
	if (m.cli.dry_run &&
	    (strcmp(sc->name, "read") == 0 || strcmp(sc->name, "fault") == 0 ||
	     strcmp(sc->name, "cache") == 0))
		cli_usage_error("--dry-run: %s changes nothing", sc->name);
	n = argc - optind;
	if (n < sc->nmin || n > sc->nmax)
		cli_die(CTL_EXIT_USAGE, "usage: mmapwin %s", sc->synopsis);
	/* A bad --sysroot is exit 2 as in every tool, also where only
	 * write --throttle reads it. */
	if (m.cli.sysroot)
		ctl_root_free(cli_root_open(m.cli.sysroot));
	return cli_finish(sc->run(&m, argv + optind, n));
}
