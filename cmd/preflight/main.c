// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * preflight: one report of every check of the host before a large write
 * to TARGET, one row per check, and an exit status for scripts.
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd/preflight/preflight.h"
#include "ctl/cli.h"
#include "ctl/file.h"
#include "ctl/out.h"
#include "ctl/parse.h"
#include "ctl/root.h"

enum {
	OPT_SIZE = CTL_OPT_TOOL_BASE,
	OPT_POLICY,
	OPT_STRICT,
};

struct opts {
	struct ctl_cli cli;
	uint64_t size; /* UINT64_MAX: the size of TARGET */
	const char *policy;
	int strict;
};

enum { COL_CHECK, COL_STATUS, COL_VALUE, COL_BOUND, COL_HINT };
static const struct ctl_col cols[] = {
	[COL_CHECK] = {"CHECK", 0.1, 0, "what is checked"},
	[COL_STATUS] = {"STATUS", 0.05, 0, "PASS, WARN, FAIL, SKIP or ERROR"},
	[COL_VALUE] = {"VALUE", 0.3, CTL_COL_WRAP, "what was measured"},
	[COL_BOUND] = {"BOUND", 0.2, CTL_COL_WRAP, "what the policy allows"},
	[COL_HINT] = {"HINT", 0.4, CTL_COL_WRAP,
		      "the tool and command that fixes it"},
};
#define DEF_COLS "CHECK,STATUS,VALUE,BOUND,HINT"

static void usage(void)
{
	fputs("usage: preflight [--size BYTES] [--policy FILE] [--strict] [options] TARGET\n"
	      "\n"
	      "Checks the host before TARGET (a file or directory, existing or\n"
	      "about to be created; not a device, FIFO or socket) receives a\n"
	      "large write.\n"
	      "\n"
	      "Options:\n"
	      "      --size BYTES    bytes about to be written (K, M, G, T, P suffixes);\n"
	      "                      default: the current size of TARGET, unknown\n"
	      "                      for a directory or a new file\n"
	      "      --policy FILE   key = value bounds replacing the defaults\n"
	      "                      (a regular file of at most 64 KiB)\n"
	      "      --strict        WARN fails too (exit 1)\n"
	      "      --sysroot DIR   read /proc and /sys under DIR\n" CTL_CLI_HELP_OUTPUT
		      CTL_CLI_HELP_INFO "\n"
	      "Columns:\n",
	      stdout);
	ctl_out_help(cols, ARRAY_SIZE(cols), stdout);
	fputs("\nSee preflight(8) for the checks and the policy keys.\n",
	      stdout);
}

/* Exit after --help or --version: 0, or 3 when stdout failed. */
static _Noreturn void exit_stdout(void)
{
	if (ferror(stdout) | (fclose(stdout) != 0))
		err(CTL_EXIT_FAIL, "stdout");
	exit(CTL_EXIT_OK);
}

static void parse_opts(struct opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		CTL_CLI_LONGOPTS,
		{"size", required_argument, NULL, OPT_SIZE},
		{"policy", required_argument, NULL, OPT_POLICY},
		{"strict", no_argument, NULL, OPT_STRICT},
		{NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, CTL_CLI_SHORTOPTS, longopts,
				NULL)) != -1) {
		if (ctl_cli_common(&o->cli, c, optarg))
			continue;
		switch (c) {
		case 'h':
			usage();
			exit_stdout();
		case 'V':
			printf("preflight %s\n", CTL_VERSION);
			exit_stdout();
		case OPT_SIZE:
			if (ctl_parse_size(optarg, &o->size) < 0 ||
			    o->size == UINT64_MAX)
				errx(CTL_EXIT_USAGE,
				     "--size %s: not a size (bytes, or a number with K, M, G, T or P)",
				     optarg);
			break;
		case OPT_POLICY:
			o->policy = optarg;
			break;
		case OPT_STRICT:
			o->strict = 1;
			break;
		default:
			fputs("Try 'preflight --help'.\n", stderr);
			exit(CTL_EXIT_USAGE);
		}
	}
}

static void load_policy(const struct opts *o, struct pf_policy *p)
{
	struct pf_perr e;
	int err;

	pf_policy_init(p);
	if (!o->policy)
		return;
	err = pf_policy_load(o->policy, p, &e);
	if (err == -EINVAL && e.line)
		errx(CTL_EXIT_USAGE,
		     "%s:%u: %s (see preflight(8) for the keys)", o->policy,
		     e.line, e.msg);
	if (err == -EINVAL || err == -EFBIG)
		errx(CTL_EXIT_USAGE, "%s: %s", o->policy, e.msg);
	if (err < 0)
		errx(CTL_EXIT_USAGE, "%s: %s", o->policy,
		     ctl_file_strerror(-err));
}

/* Exit status: 1 for FAIL (or WARN with --strict), else 3/4 for ERROR. */
static int report(const struct opts *o, const struct pf_result *v, size_t n)
{
	struct ctl_out *out;
	const char *bad = NULL;
	int err, failed = 0, rc = CTL_EXIT_OK;

	err = ctl_out_new("preflight", cols, ARRAY_SIZE(cols), DEF_COLS,
			  &o->cli.fmt, &out, &bad);
	if (err == -EINVAL && bad)
		errx(CTL_EXIT_USAGE, "unknown column '%.*s' (see --help)",
		     (int)strcspn(bad, ","), bad);
	if (err < 0)
		errx(CTL_EXIT_FAIL, "output: %s", strerror(-err));
	for (size_t i = 0; i < n; i++) {
		struct ctl_row *row = ctl_out_row(out);

		if (!row)
			errx(CTL_EXIT_FAIL, "output: %s", strerror(ENOMEM));
		ctl_out_set(out, row, COL_CHECK, v[i].check);
		ctl_out_set(out, row, COL_STATUS, pf_status_name(v[i].status));
		ctl_out_set(out, row, COL_VALUE, v[i].value);
		ctl_out_set(out, row, COL_BOUND, v[i].bound);
		ctl_out_set(out, row, COL_HINT, v[i].hint);
		if (v[i].status == PF_FAIL ||
		    (o->strict && v[i].status == PF_WARN))
			failed = 1;
		if (v[i].status == PF_ERROR) {
			int e = ctl_exit_for(v[i].err);

			warnx("%s: %s (%s)", v[i].check, v[i].value, v[i].hint);
			rc = rc > e ? rc : e;
		}
	}
	err = o->cli.quiet ? 0 : ctl_out_print(out, stdout);
	ctl_out_free(out);
	if (err < 0 && err != -EPIPE)
		errx(CTL_EXIT_FAIL, "output: %s", strerror(-err));
	return failed ? CTL_EXIT_CHECK : rc;
}

/* Exit 2 for a TARGET T that is a device, FIFO or socket, naming which. */
static _Noreturn void not_a_file(const char *target, const struct ctl_target *t)
{
	mode_t m = t->st.st_mode;
	const char *what = S_ISBLK(m)	 ? "a block device"
			   : S_ISCHR(m)	 ? "a character device"
			   : S_ISFIFO(m) ? "a FIFO"
			   : S_ISSOCK(m) ? "a socket"
					 : "not a regular file";

	if (S_ISBLK(m))
		errx(CTL_EXIT_USAGE,
		     "%s: %s, not a file or directory; for its queue: qdepth show %s",
		     target, what, target);
	errx(CTL_EXIT_USAGE, "%s: %s, not a file or directory", target, what);
}

int main(int argc, char **argv)
{
	struct opts o = {.size = UINT64_MAX};
	struct pf_policy pol;
	struct pf_result *v = NULL;
	struct ctl_strv t = {0};
	struct ctl_target tg;
	struct ctl_root *root;
	const char *target;
	size_t n = 0;
	int e, rc;

	parse_opts(&o, argc, argv);
	if (argc - optind == 1 && !*argv[optind])
		errx(CTL_EXIT_USAGE,
		     "empty TARGET (usage: preflight [options] TARGET)");
	/* "-": the one target is the line read from stdin. */
	e = argc - optind == 1 ? ctl_cli_targets(argv + optind, 1, stdin, &t)
			       : 0;
	if (e < 0)
		errx(CTL_EXIT_FAIL, "stdin: %s", strerror(-e));
	if (argc - optind != 1 || t.n != 1)
		errx(CTL_EXIT_USAGE, "%s (usage: preflight [options] TARGET)",
		     argc == optind || (argc - optind == 1 && !t.n)
			     ? "no TARGET given"
			     : "only one TARGET at a time");
	target = t.v[0];
	load_policy(&o, &pol);
	e = ctl_root_open(o.cli.sysroot, &root);
	if (e < 0)
		errx(CTL_EXIT_USAGE, "--sysroot %s: %s", o.cli.sysroot,
		     strerror(-e));
	e = pf_target(root, target, &tg);
	if (e == 0)
		e = pf_run(root, &tg, o.size, &pol, &v, &n);
	ctl_root_free(root);
	if (e == -ENOENT)
		errx(CTL_EXIT_FAIL,
		     "%s: neither it nor its directory exists; create the directory first",
		     target);
	if (e == -CTL_ENOTREG)
		not_a_file(target, &tg);
	if (e < 0)
		errx(ctl_exit_for(e), "%s: %s", target, strerror(-e));
	rc = report(&o, v, n);
	free(v);
	ctl_strv_free(&t);
	if (ferror(stdout) | (fclose(stdout) != 0)) {
		if (errno != EPIPE)
			err(CTL_EXIT_FAIL, "stdout");
	}
	return rc;
}
