// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The command line as getopt_long(3) reads it, without running it: which
 * words are options, which are their values, and which are operands, so
 * that the subcommand can be found among options on either side of it.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

/* What one word of the command line is. */
enum word { W_OPERAND, W_END, W_OPTION };

/* Called for each option found, with its value (NULL: none). */
typedef void each_fn(int val, const char *arg, void *ctx);

/*
 * The long option "--NAME" or "--NAME=value" of A: exact, else a unique
 * prefix (several prefixes that mean the same option are one), as
 * getopt_long(3) takes it. NULL when unknown or ambiguous.
 */
static const struct option *find_long(const char *a, size_t n,
				      const struct option *opts)
{
	const struct option *hit = NULL;
	bool ambiguous = false;

	for (const struct option *o = opts; o && o->name; o++) {
		if (strncmp(o->name, a, n) != 0)
			continue;
		if (strlen(o->name) == n)
			return o;
		if (hit && (hit->has_arg != o->has_arg || hit->val != o->val))
			ambiguous = true;
		if (!hit)
			hit = o;
	}
	return ambiguous ? NULL : hit;
}

/* "-" and a digit that is no short option: a negative number. */
static bool negative(const char *a, const char *shortopts)
{
	return isdigit((unsigned char)a[1]) && !strchr(shortopts, a[1]);
}

/*
 * Read the word V[I] (and its value in V[I + 1]) for the options it holds,
 * calling EACH (may be NULL) for each. Returns the kind, and in *USED the
 * number of words taken (1, or 2 when the value is the next word).
 */
static enum word scan(int argc, char *const *v, int i, const char *shortopts,
		      const struct option *longopts, each_fn *each, void *ctx,
		      int *used)
{
	const char *a = v[i], *next = i + 1 < argc ? v[i + 1] : NULL;

	*used = 1;
	if (a[0] != '-' || a[1] == '\0' || negative(a, shortopts))
		return W_OPERAND;
	if (strcmp(a, "--") == 0)
		return W_END;
	if (a[1] == '-') {
		size_t n = strcspn(a + 2, "=");
		const struct option *o = find_long(a + 2, n, longopts);
		const char *arg = a[2 + n] == '=' ? a + 3 + n : NULL;

		if (o && o->has_arg == required_argument && !arg && next) {
			arg = next;
			*used = 2;
		}
		if (o && each)
			each(o->val, arg, ctx);
		return W_OPTION;
	}
	for (const char *c = a + 1; *c; c++) {
		const char *p = *c == ':' ? NULL : strchr(shortopts, *c);
		const char *arg = NULL;

		if (p && p[1] == ':') {
			/* The rest of the word is the value, else the next. */
			if (c[1])
				arg = c + 1;
			else if (p[2] != ':' && next) {
				arg = next;
				*used = 2;
			}
		}
		if (p && each)
			each(*c, arg, ctx);
		if (p && p[1] == ':')
			break;
	}
	return W_OPTION;
}

/* Index of the first operand of ARGV, or -1 when there is none. */
static int first_operand(int argc, char *const *argv, const char *shortopts,
			 const struct option *longopts, each_fn *each,
			 void *ctx)
{
	for (int i = 1, used; i < argc; i += used) {
		enum word w = scan(argc, argv, i, shortopts, longopts, each,
				   ctx, &used);

		if (w == W_END)
			return -1;
		if (w == W_OPERAND)
			return i;
	}
	return -1;
}

int cli_sub_take(int *argc, char **argv, const char *shortopts,
		 const struct option *longopts, const char *const *subs,
		 const char **word)
{
	int i = first_operand(*argc, argv, shortopts, longopts, NULL, NULL);

	if (word)
		*word = i < 0 ? NULL : argv[i];
	for (int k = 0; i >= 0 && subs[k]; k++) {
		if (strcmp(argv[i], subs[k]) != 0)
			continue;
		/* argv[argc] is NULL and moves down with the rest. */
		memmove(&argv[i], &argv[i + 1],
			(size_t)(*argc - i) * sizeof(*argv));
		(*argc)--;
		return k;
	}
	return -1;
}

struct find {
	int val;
	const char *arg;
};

static void find_each(int val, const char *arg, void *ctx)
{
	struct find *f = ctx;

	if (val == f->val)
		f->arg = arg;
}

const char *cli_opt_find(int argc, char *const *argv, const char *shortopts,
			 const struct option *longopts, int val)
{
	struct find f = {val, NULL};
	bool posix = shortopts[0] == '+';

	for (int i = 1, used; i < argc; i += used) {
		enum word w = scan(argc, argv, i, shortopts, longopts,
				   find_each, &f, &used);

		if (w == W_END || (w == W_OPERAND && posix))
			break;
	}
	return f.arg;
}

char **cli_opts_first(int *argc, char *const *argv, const char *shortopts,
		      const struct option *longopts)
{
	char **out = calloc((size_t)*argc + 2, sizeof(*out));
	char **pos = calloc((size_t)*argc + 1, sizeof(*pos));
	bool posix = shortopts[0] == '+', ends = false;
	int n = 1, npos = 0;

	if (!out || !pos)
		cli_die(CTL_EXIT_FAIL, "%s", strerror(ENOMEM));
	out[0] = argv[0];
	for (int i = 1, used; i < *argc; i += used) {
		enum word w = ends ? W_OPERAND
				   : scan(*argc, argv, i, shortopts, longopts,
					  NULL, NULL, &used);

		if (ends)
			used = 1;
		if (w == W_END || (w == W_OPERAND && posix))
			ends = true;
		if (w == W_OPERAND)
			pos[npos++] = argv[i];
		else if (w == W_OPTION)
			for (int k = 0; k < used; k++)
				out[n++] = argv[i + k];
	}
	out[n++] = "--";
	for (int i = 0; i < npos; i++)
		out[n++] = pos[i];
	out[n] = NULL;
	free(pos);
	*argc = n;
	return out;
}

/* ARG of common option C was refused (ctl_cli_common()): say why, exit 2. */
static _Noreturn void bad_value(int c, const char *arg)
{
	if (c == CTL_OPT_TEXTFILE)
		cli_die(CTL_EXIT_USAGE,
			"--textfile '%s': not a .prom file (node_exporter reads only *.prom)",
			arg);
	cli_die(CTL_EXIT_USAGE,
		"--exit-changed '%s': give 1 or 5 to 255 (2, 3, 4 mean usage error, failure, unsupported)",
		arg);
}

int cli_common_opt(struct ctl_cli *cli, int c, const char *arg,
		   void (*usage)(void))
{
	int taken;

	switch (c) {
	case 'h':
		usage();
		cli_exit(CTL_EXIT_OK);
	case 'V':
		cli_version();
	case '?':
	case ':':
		cli_try_help();
	}
	taken = ctl_cli_common(cli, c, arg);
	if (taken < 0)
		bad_value(c, arg);
	return taken;
}
