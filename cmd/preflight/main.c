// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * preflight: one report of every check of the host before a large write
 * to TARGET, one row per check, and an exit status for scripts.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli/cli.h"
#include "cmd/preflight/preflight.h"
#include "ctl/file.h"
#include "ctl/parse.h"

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

enum {
	COL_CHECK,
	COL_STATUS,
	COL_VALUE,
	COL_BOUND,
	COL_HINT,
	COL_DEVICE,
	COL_MEASURED,
	COL_MIN,
	COL_MAX,
	COL_UNIT,
};
static const struct ctl_col cols[] = {
	[COL_CHECK] = {"CHECK", 0.1, 0, "what is checked"},
	[COL_STATUS] = {"STATUS", 0.05, 0, "PASS, WARN, FAIL, SKIP or ERROR"},
	[COL_VALUE] = {"VALUE", 0.3, CTL_COL_WRAP, "what was measured"},
	[COL_BOUND] = {"BOUND", 0.2, CTL_COL_WRAP, "what the policy allows"},
	[COL_HINT] = {"HINT", 0.4, CTL_COL_WRAP,
		      "the tool and command that fixes it"},
	[COL_DEVICE] = {"DEVICE", 0.1, 0, "the disk of a queue check"},
	[COL_MEASURED] = {"MEASURED", 0.1, CTL_COL_RIGHT | CTL_COL_NUMBER,
			  "the measured value as a number in UNIT"},
	[COL_MIN] = {"MIN", 0.1, CTL_COL_RIGHT | CTL_COL_NUMBER,
		     "the least MEASURED that passes"},
	[COL_MAX] = {"MAX", 0.1, CTL_COL_RIGHT | CTL_COL_NUMBER,
		     "the largest MEASURED that passes"},
	[COL_UNIT] = {"UNIT", 0.1, 0,
		      "bytes, seconds, ratio, requests or none"},
};
#define DEF_COLS "CHECK,STATUS,VALUE,BOUND,HINT"
/* JSON: the typed fields beside the text */
#define DEF_JSON_COLS DEF_COLS ",DEVICE,MEASURED,MIN,MAX,UNIT"
#define SHORTOPTS CTL_CLI_SHORTOPTS CTL_CLI_SHORTOPT_BYTES

static void usage(void)
{
	fputs("usage: preflight [--size BYTES] [--policy FILE] [--strict] [-b] [--textfile FILE] [options] TARGET\n"
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
	      "      --sysroot DIR   read /proc and /sys under DIR\n" CTL_CLI_HELP_BYTES
		      CTL_CLI_HELP_TEXTFILE CTL_CLI_HELP_OUTPUT CTL_CLI_HELP_INFO
	      "\n"
	      "Columns:\n",
	      stdout);
	ctl_out_help(cols, ARRAY_SIZE(cols), stdout);
	fputs("\nSee preflight(8) for the checks and the policy keys.\n",
	      stdout);
}

static void parse_opts(struct opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		CTL_CLI_LONGOPTS_REPORT,
		{"size", required_argument, NULL, OPT_SIZE},
		{"policy", required_argument, NULL, OPT_POLICY},
		{"strict", no_argument, NULL, OPT_STRICT},
		{NULL, 0, NULL, 0},
	};
	int c;

	while ((c = cli_getopt(argc, argv, SHORTOPTS, longopts)) != -1) {
		if (cli_common_opt(&o->cli, c, optarg, usage))
			continue;
		switch (c) {
		case OPT_SIZE:
			if (ctl_parse_size(optarg, &o->size) < 0 ||
			    o->size == UINT64_MAX)
				cli_die(CTL_EXIT_USAGE,
					"--size %s: not a size (bytes, or a number with K, M, G, T or P)",
					optarg);
			break;
		case OPT_POLICY:
			o->policy = optarg;
			break;
		case OPT_STRICT:
			o->strict = 1;
			break;
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
		cli_die(CTL_EXIT_USAGE,
			"%s:%u: %s (see preflight(8) for the keys)", o->policy,
			e.line, e.msg);
	if (err == -EINVAL || err == -EFBIG)
		cli_die(CTL_EXIT_USAGE, "%s: %s", o->policy, e.msg);
	if (err < 0)
		cli_die(CTL_EXIT_USAGE, "%s: %s", o->policy,
			ctl_file_strerror(-err));
}

/* Number cell COL of ROW: V as JSON writes it, empty (null) for NAN. */
static void set_num(struct ctl_out *out, struct ctl_row *row, size_t col,
		    double v)
{
	if (isnan(v))
		return;
	if (fabs(v) < 1e18 && v == (double)(int64_t)v)
		ctl_out_setf(out, row, col, "%" PRId64, (int64_t)v);
	else
		ctl_out_setf(out, row, col, "%.6g", v);
}

/* The run's metrics (none but the exit status when V is NULL) into FILE. */
static int textfile(const struct opts *o, const char *target,
		    const struct pf_result *v, size_t n, int rc)
{
	struct cli_prom *p = cli_prom_new();
	struct timespec now;
	int err;

	for (size_t i = 0; i < n; i++) {
		const char *dev = v[i].device[0] ? "device" : NULL;

		cli_prom_metric(
			p, "ctl_preflight_check_status",
			"1 for the status of the check, 0 for its other statuses");
		for (int s = PF_PASS; s <= PF_ERROR; s++)
			cli_prom_sample(p, v[i].status == (enum pf_status)s,
					"target", target, "check", v[i].check,
					"status", pf_status_name(s), dev,
					v[i].device, NULL);
		if (isnan(v[i].measured))
			continue;
		cli_prom_metric(p, "ctl_preflight_check_value",
				"the value the check measured, in unit");
		if (v[i].unit[0])
			cli_prom_sample(p, v[i].measured, "target", target,
					"check", v[i].check, "unit", v[i].unit,
					dev, v[i].device, NULL);
		else
			cli_prom_sample(p, v[i].measured, "target", target,
					"check", v[i].check, dev, v[i].device,
					NULL);
	}
	cli_prom_metric(p, "ctl_preflight_exit_code",
			"the exit status of the last run");
	cli_prom_sample(p, rc, NULL);
	clock_gettime(CLOCK_REALTIME, &now);
	cli_prom_metric(p, "ctl_preflight_last_run_timestamp_seconds",
			"when the last run ended, seconds since the epoch");
	cli_prom_sample(p, (double)now.tv_sec + now.tv_nsec / 1e9, NULL);
	err = cli_prom_commit(p, o->cli.textfile);
	cli_prom_free(p);
	return err;
}

/* Exit with CODE and the message, after writing CODE to --textfile. */
#define die_run(o, code, ...)                                                  \
	do {                                                                   \
		if ((o)->cli.textfile)                                         \
			textfile(o, NULL, NULL, 0, code);                      \
		cli_die(code, __VA_ARGS__);                                    \
	} while (0)

/* Exit status: 1 for FAIL (or WARN with --strict), else 3/4 for ERROR. */
static int report(const struct opts *o, const struct pf_result *v, size_t n)
{
	struct ctl_out *out =
		cli_table_new(&o->cli, "preflight", cols, ARRAY_SIZE(cols),
			      o->cli.fmt.json ? DEF_JSON_COLS : DEF_COLS);
	int failed = 0, rc = CTL_EXIT_OK;

	for (size_t i = 0; i < n; i++) {
		struct ctl_row *row = cli_table_row(out);

		ctl_out_set(out, row, COL_CHECK, v[i].check);
		ctl_out_set(out, row, COL_STATUS, pf_status_name(v[i].status));
		ctl_out_set(out, row, COL_VALUE, v[i].value);
		ctl_out_set(out, row, COL_BOUND, v[i].bound);
		ctl_out_set(out, row, COL_HINT, v[i].hint);
		ctl_out_set(out, row, COL_DEVICE, v[i].device);
		set_num(out, row, COL_MEASURED, v[i].measured);
		set_num(out, row, COL_MIN, v[i].min);
		set_num(out, row, COL_MAX, v[i].max);
		ctl_out_set(out, row, COL_UNIT, v[i].unit);
		if (v[i].status == PF_FAIL ||
		    (o->strict && v[i].status == PF_WARN))
			failed = 1;
		if (v[i].status == PF_ERROR) {
			int e = ctl_exit_for(v[i].err);

			cli_warn("%s: %s (%s)", v[i].check, v[i].value,
				 v[i].hint);
			rc = rc > e ? rc : e;
		}
	}
	/* output that could not be printed: 3, whatever the checks said */
	if (cli_table_print(&o->cli, out))
		return CTL_EXIT_FAIL;
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
		cli_die(CTL_EXIT_USAGE,
			"%s: %s, not a file or directory; for its queue: qdepth show %s",
			target, what, target);
	cli_die(CTL_EXIT_USAGE, "%s: %s, not a file or directory", target,
		what);
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
		cli_die(CTL_EXIT_USAGE,
			"empty TARGET (usage: preflight [options] TARGET)");
	/* "-": the one target is the line read from stdin. */
	e = argc - optind == 1 ? ctl_cli_targets(argv + optind, 1, stdin, &t)
			       : 0;
	if (e < 0)
		cli_die(CTL_EXIT_FAIL, "stdin: %s", strerror(-e));
	if (argc - optind != 1 || t.n != 1)
		cli_die(CTL_EXIT_USAGE,
			"%s (usage: preflight [options] TARGET)",
			argc == optind || (argc - optind == 1 && !t.n)
				? "no TARGET given"
				: "only one TARGET at a time");
	target = t.v[0];
	load_policy(&o, &pol);
	pf_hsize_bytes(o.cli.fmt.bytes);
	root = cli_root_open(o.cli.sysroot);
	e = pf_target(root, target, &tg);
	if (e == 0)
		e = pf_run(root, &tg, o.size, &pol, &v, &n);
	ctl_root_free(root);
	if (e == -ENOENT)
		die_run(&o, CTL_EXIT_FAIL,
			"%s: neither it nor its directory exists; create the directory first",
			target);
	if (e == -CTL_ENOTREG)
		not_a_file(target, &tg);
	if (e < 0)
		die_run(&o, ctl_exit_for(e), "%s: %s", target, strerror(-e));
	rc = report(&o, v, n);
	/* metrics that could not be written: 3, as lost output */
	if (o.cli.textfile && textfile(&o, tg.path, v, n, rc))
		rc = CTL_EXIT_FAIL;
	free(v);
	ctl_strv_free(&t);
	return cli_finish(rc);
}
