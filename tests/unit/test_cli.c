// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cli/: the tools' shared front end. What exits runs in a child whose
 * stdout and stderr go to files; the test checks its status and the
 * exact lines, as a user of any of the five tools would see them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "ctl/file.h"
#include "fake-setup.h"

#define SHORTOPTS CTL_CLI_SHORTOPTS

enum { OPT_MAX = CTL_OPT_TOOL_BASE, OPT_MAX_X, OPT_STACK };

static const struct option longopts[] = {
	CTL_CLI_LONGOPTS,
	{"max", required_argument, NULL, OPT_MAX},
	{"max-x", no_argument, NULL, OPT_MAX_X},
	{"stack", no_argument, NULL, OPT_STACK},
	{0},
};

static const char *const subs[] = {"show", "set", "check", "run", NULL};

struct res {
	int rc;
	char out[4096], err[4096];
};

static void slurp(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;

	if (f) {
		n = fread(buf, 1, len - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
}

/*
 * Run FN(ARG) in a child with stdout on OUT (NULL: a file read back into
 * RES->out) and stderr on a file read into RES->err. A FN that returns
 * instead of exiting gives status 99.
 */
static void child(void (*fn)(void *), void *arg, const char *out,
		  struct res *res)
{
	char opath[300], epath[300];
	pid_t pid;

	snprintf(opath, sizeof(opath), "%s/out", fake_root);
	snprintf(epath, sizeof(epath), "%s/err", fake_root);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (!freopen(out ? out : opath, "w", stdout) ||
		    !freopen(epath, "w", stderr))
			_exit(98);
		setvbuf(stderr, NULL, _IONBF, 0);
		fn(arg);
		_exit(99);
	}
	res->rc = fake_wait(pid);
	if (out)
		res->out[0] = '\0';
	else
		slurp(opath, res->out, sizeof(res->out));
	slurp(epath, res->err, sizeof(res->err));
}

/* child() into a result of its own; the status must be RC, stderr ERR
 * (NULL: anything). */
static const struct res *expect(void (*fn)(void *), void *arg, const char *out,
				int rc, const char *err)
{
	static struct res res;

	child(fn, arg, out, &res);
	assert_int_equal(res.rc, rc);
	if (err)
		assert_string_equal(res.err, err);
	return &res;
}

/* ---- the subcommand and the options around it ---- */

/* cli_sub_take() on the NULL-terminated V; *ARGC left in N. */
static int take(char **v, int *n, const char **word)
{
	for (*n = 0; v[*n];)
		(*n)++;
	return cli_sub_take(n, v, SHORTOPTS, longopts, subs, word);
}

static void test_sub_take(void **state)
{
	const char *w = "unset";
	int n;

	(void)state;
	/* An option's value is never the subcommand. */
	char *a[] = {"t", "-o", "show", "check", "sda", NULL};
	assert_int_equal(take(a, &n, &w), 2);
	assert_int_equal(n, 4);
	assert_string_equal(a[2], "show");
	assert_string_equal(a[3], "sda");
	assert_null(a[4]);

	char *b[] = {"t", "--output", "set", "x", NULL};
	assert_int_equal(take(b, &n, &w), -1);
	assert_string_equal(w, "x");
	assert_int_equal(n, 4);
	assert_string_equal(b[3], "x");

	char *c[] = {"t", "--out=set", "check", NULL};
	assert_int_equal(take(c, &n, &w), 2);
	/* A unique prefix, as getopt_long takes it. */
	char *d[] = {"t", "--outp", "show", "--sysr", "/h", "check", NULL};
	assert_int_equal(take(d, &n, &w), 2);
	assert_int_equal(n, 5);
	/* Short clusters: the value attached or in the next word. */
	char *e[] = {"t", "-qoshow", "set", NULL};
	assert_int_equal(take(e, &n, &w), 1);
	char *f[] = {"t", "-qo", "show", "set", NULL};
	assert_int_equal(take(f, &n, &w), 1);
	/* Options before and after; the first operand only. */
	char *g[] = {"t",     "--sysroot", "/x",  "-J", "check",
		     "--max", "5",	   "set", NULL};
	assert_int_equal(take(g, &n, &w), 2);
	assert_int_equal(n, 7);
	assert_string_equal(g[4], "--max");
	assert_string_equal(g[6], "set");
	char *h[] = {"t", "sda", "check", NULL};
	assert_int_equal(take(h, &n, &w), -1);
	assert_string_equal(w, "sda");
	assert_int_equal(n, 3);
	/* "--" ends the search: a file named "check" stays a file. */
	char *i[] = {"t", "--", "check", NULL};
	assert_int_equal(take(i, &n, &w), -1);
	assert_null(w);
	assert_int_equal(n, 3);
	char *j[] = {"t", "-J", "--stack", NULL};
	assert_int_equal(take(j, &n, &w), -1);
	assert_null(w);
	char *k[] = {"t", "-", "check", NULL};
	assert_int_equal(take(k, &n, &w), -1);
	assert_string_equal(w, "-");
	char *l[] = {"t", "-1", "check", NULL};
	assert_int_equal(take(l, &n, &w), -1);
	assert_string_equal(w, "-1");
	/* "--max" is exact though "--max-x" starts with it. */
	char *m[] = {"t", "--max", "show", "run", NULL};
	assert_int_equal(take(m, &n, NULL), 3);
	/* --max-x takes no value. */
	char *o[] = {"t", "--max-x", "show", NULL};
	assert_int_equal(take(o, &n, NULL), 0);
	assert_int_equal(n, 2);
	assert_null(o[2]);
}

/* After the subcommand is taken, getopt_long() reads the rest as one list. */
static void test_sub_then_getopt(void **state)
{
	char *v[] = {"t", "-o", "show", "check", "sda", "-J", "--max=3", NULL};
	struct ctl_cli cli = {0};
	int n, c, max = 0;

	(void)state;
	assert_int_equal(take(v, &n, NULL), 2);
	optind = 0;
	while ((c = getopt_long(n, v, SHORTOPTS, longopts, NULL)) != -1) {
		if (ctl_cli_common(&cli, c, optarg))
			continue;
		assert_int_equal(c, OPT_MAX);
		max = atoi(optarg);
	}
	assert_string_equal(cli.fmt.columns, "show");
	assert_true(cli.fmt.json);
	assert_int_equal(max, 3);
	assert_int_equal(n - optind, 1);
	assert_string_equal(v[optind], "sda");
}

static void test_opt_find(void **state)
{
	char *a[] = {"t", "--sysroot", "/a", "set", "--sysroot=/b", "5", NULL};
	char *b[] = {"t", "--sysroot", "/a", "cmd", "--sysroot", "/c", NULL};
	char *c[] = {"t", "-qoCOL", "-n", NULL};
	char *d[] = {"t", "-o", "--sysroot", "x", NULL};

	(void)state;
	assert_string_equal(
		cli_opt_find(6, a, SHORTOPTS, longopts, CTL_OPT_SYSROOT), "/b");
	/* run COMMAND: with '+' the command's own options stay its own. */
	assert_string_equal(cli_opt_find(6, b, "+" SHORTOPTS, longopts,
					 CTL_OPT_SYSROOT),
			    "/a");
	assert_string_equal(
		cli_opt_find(6, b, SHORTOPTS, longopts, CTL_OPT_SYSROOT), "/c");
	assert_string_equal(cli_opt_find(3, c, SHORTOPTS, longopts, 'o'),
			    "COL");
	/* "--sysroot" as the value of -o is no --sysroot. */
	assert_null(cli_opt_find(4, d, SHORTOPTS, longopts, CTL_OPT_SYSROOT));
	assert_null(cli_opt_find(3, c, SHORTOPTS, longopts, OPT_MAX));
}

static void assert_argv(char **v, int n, const char *const *want)
{
	int i;

	for (i = 0; want[i]; i++) {
		assert_true(i < n);
		assert_string_equal(v[i], want[i]);
	}
	assert_int_equal(i, n);
	assert_null(v[n]);
}

static void test_opts_first(void **state)
{
	char *a[] = {"mw", "f",	 "-1", "-o", "X",  "--max",
		     "4K", "-q", "-",  "--", "-x", NULL};
	static const char *const wa[] = {"mw", "-o", "X",  "--max", "4K", "-q",
					 "--", "f",  "-1", "-",	    "-x", NULL};
	char *b[] = {"t", "-q", "cmd", "-x", "--sysroot", "/h", NULL};
	static const char *const wb[] = {"t",  "-q",	    "--", "cmd",
					 "-x", "--sysroot", "/h", NULL};
	char **v;
	int n;

	(void)state;
	n = 11;
	v = cli_opts_first(&n, a, SHORTOPTS, longopts);
	assert_argv(v, n, wa);
	free(v);
	/* '+': the first operand ends the options (swapadj run COMMAND). */
	n = 6;
	v = cli_opts_first(&n, b, "+" SHORTOPTS, longopts);
	assert_argv(v, n, wb);
	free(v);
}

/* ---- messages ---- */

static void say_things(void *arg)
{
	(void)arg;
	cli_warn("%s: %s", "sda", "no such block device");
	cli_say(LOG_INFO, "sda: applied");
	cli_die(CTL_EXIT_FAIL, "%s: %s", "sdb", "failed");
}

static void usage_err(void *arg)
{
	(void)arg;
	cli_usage_error("set: give --commit SEC or --data MODE");
}

static void try_help(void *arg)
{
	(void)arg;
	cli_try_help();
}

static void journal(void *fn)
{
	cli_msg_journal(true);
	((void (*)(void *))fn)(NULL);
}

static void test_messages(void **state)
{
	const struct res *r;

	(void)state;
	r = expect(say_things, NULL, NULL, 3,
		   "tool: sda: no such block device\n"
		   "tool: sda: applied\n"
		   "tool: sdb: failed\n");
	assert_string_equal(r->out, "");
	expect(usage_err, NULL, NULL, 2,
	       "tool: set: give --commit SEC or --data MODE\n"
	       "Try 'tool --help'.\n");
	expect(try_help, NULL, NULL, 2, "Try 'tool --help'.\n");
	/* Under the journal, every line carries its priority. */
	expect(journal, (void *)say_things, NULL, 3,
	       "<4>tool: sda: no such block device\n"
	       "<6>tool: sda: applied\n"
	       "<3>tool: sdb: failed\n");
	expect(journal, (void *)usage_err, NULL, 2,
	       "<3>tool: set: give --commit SEC or --data MODE\n"
	       "<3>Try 'tool --help'.\n");
}

static int log_pipe[2];

static void die_logged(void *arg)
{
	static struct ctl_log log = {.sink = CTL_LOG_KMSG, .sock = -1};

	(void)arg;
	log.kmsg = log_pipe[1];
	snprintf(log.ident, sizeof(log.ident), "qdepth");
	cli_msg_log(&log);
	cli_warn("not logged");
	cli_die(CTL_EXIT_USAGE, "--udev: targets come from the rule");
}

/* qdepth --udev: what ends the run reaches the system log too. */
static void test_die_logged(void **state)
{
	char buf[256];
	ssize_t n;

	(void)state;
	assert_int_equal(pipe(log_pipe), 0);
	expect(die_logged, NULL, NULL, 2,
	       "tool: not logged\n"
	       "tool: --udev: targets come from the rule\n");
	close(log_pipe[1]);
	n = read(log_pipe[0], buf, sizeof(buf) - 1);
	close(log_pipe[0]);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(buf,
			    "<11>qdepth: --udev: targets come from the rule\n");
}

static void bad_option(void *arg)
{
	char *v[] = {"tool", "--bogus", NULL};

	(void)arg;
	opterr = 1;
	optind = 0;
	_exit(cli_getopt(2, v, SHORTOPTS, longopts) == '?' ? 0 : 1);
}

static void test_getopt_journal(void **state)
{
	const struct res *r;

	(void)state;
	r = expect(bad_option, NULL, NULL, 0, NULL);
	assert_non_null(strstr(r->err, "tool: unrecognized option"));
	assert_int_not_equal(r->err[0], '<');
	r = expect(journal, (void *)bad_option, NULL, 0, NULL);
	assert_non_null(strstr(r->err, "<3>tool: unrecognized option"));
	assert_int_equal(r->err[strlen(r->err) - 1], '\n');
}

/* ---- --help, --version, stdout at exit ---- */

static void usage(void)
{
	fputs("usage: tool [show] [options]\n", stdout);
}

static int opt_char;

static void common(void *arg)
{
	struct ctl_cli cli = {0};

	(void)arg;
	cli_common_opt(&cli, opt_char, NULL, usage);
	_exit(99);
}

static void test_common_opt(void **state)
{
	struct ctl_cli cli = {0};
	char full[] = "/dev/full";
	const struct res *r;

	(void)state;
	assert_int_equal(cli_common_opt(&cli, 'J', NULL, usage), 1);
	assert_true(cli.fmt.json);
	assert_int_equal(cli_common_opt(&cli, CTL_OPT_SYSROOT, "/h", usage), 1);
	assert_string_equal(cli.sysroot, "/h");
	assert_int_equal(cli_common_opt(&cli, OPT_MAX, "3", usage), 0);
	for (const char *c = "PrnqvV"; *c != 'V'; c++)
		assert_int_equal(cli_common_opt(&cli, *c, NULL, usage), 1);
	assert_int_equal(cli_common_opt(&cli, CTL_OPT_DRY_RUN, NULL, usage), 1);
	assert_int_equal(cli_common_opt(&cli, 'v', NULL, usage), 1);
	assert_true(cli.fmt.pairs && cli.fmt.raw && cli.fmt.noheadings);
	assert_true(cli.quiet && cli.dry_run);
	assert_int_equal(cli.verbose, 2);
	assert_null(cli.fmt.columns);
	assert_int_equal(cli_common_opt(&cli, 'o', "A,B", usage), 1);
	assert_string_equal(cli.fmt.columns, "A,B");
	opt_char = 'h';
	r = expect(common, NULL, NULL, 0, "");
	assert_string_equal(r->out, "usage: tool [show] [options]\n");
	opt_char = 'V';
	r = expect(common, NULL, NULL, 0, NULL);
	assert_string_equal(r->out, "tool " CTL_VERSION "\n");
	opt_char = '?';
	r = expect(common, NULL, NULL, 2, "Try 'tool --help'.\n");
	assert_string_equal(r->out, "");
	/* `tool --help > /dev/full` is a failure, said as one. */
	for (size_t i = 0; i < 2; i++) {
		opt_char = i ? 'V' : 'h';
		expect(common, NULL, full, 3,
		       "tool: stdout: No space left on device\n");
	}
}

/* ---- what some tools take: -b, --textfile, --exit-changed, --save ---- */

static const struct option fleet_longopts[] = {
	CTL_CLI_LONGOPTS,	  CTL_CLI_LONGOPT_BYTES,
	CTL_CLI_LONGOPT_TEXTFILE, CTL_CLI_LONGOPT_EXIT_CHANGED,
	CTL_CLI_LONGOPT_SAVE,	  {NULL, 0, NULL, 0},
};

static const char *bad_arg;

static void bad_value(void *arg)
{
	struct ctl_cli cli = {0};

	cli_common_opt(&cli, (int)(intptr_t)arg, bad_arg, usage);
	_exit(99);
}

static void test_fleet_opts(void **state)
{
	static const char textfile_why[] =
		"not a .prom file (node_exporter reads only *.prom)";
	static const char changed_why[] =
		"give 1 or 5 to 255 (2, 3, 4 mean usage error, failure, "
		"unsupported)";
	static const struct {
		int c;
		const char *arg;
	} bad[] = {
		{CTL_OPT_TEXTFILE, "m.txt"},
		{CTL_OPT_TEXTFILE, "m.prom.tmp"},
		{CTL_OPT_TEXTFILE, ".prom"},
		{CTL_OPT_TEXTFILE, "/var/lib/x/.prom"},
		{CTL_OPT_TEXTFILE, "prom"},
		{CTL_OPT_TEXTFILE, ""},
		{CTL_OPT_EXIT_CHANGED, "0"},
		{CTL_OPT_EXIT_CHANGED, "2"},
		{CTL_OPT_EXIT_CHANGED, "3"},
		{CTL_OPT_EXIT_CHANGED, "4"},
		{CTL_OPT_EXIT_CHANGED, "256"},
		{CTL_OPT_EXIT_CHANGED, "-1"},
		{CTL_OPT_EXIT_CHANGED, "x"},
		{CTL_OPT_EXIT_CHANGED, ""},
		{CTL_OPT_EXIT_CHANGED, "5x"},
	};
	char *v[] = {"t",	  "-bJ", "--textfile", "/x/m.prom", "show",
		     "--exit-ch", "5",	 "--save",     "/x/q.save", NULL};
	struct ctl_cli cli = {0};
	char want[256];
	int c;

	(void)state;
	optind = 0;
	while ((c = cli_getopt(9, v, CTL_CLI_SHORTOPTS CTL_CLI_SHORTOPT_BYTES,
			       fleet_longopts)) != -1)
		assert_int_equal(cli_common_opt(&cli, c, optarg, usage), 1);
	assert_true(cli.fmt.bytes && cli.fmt.json);
	assert_string_equal(cli.textfile, "/x/m.prom");
	assert_int_equal(cli.exit_changed, 5);
	assert_string_equal(cli.save, "/x/q.save");
	assert_string_equal(v[optind], "show");
	assert_int_equal(ctl_cli_common(&cli, CTL_OPT_EXIT_CHANGED, "1"), 1);
	assert_int_equal(cli.exit_changed, 1);
	assert_int_equal(ctl_cli_common(&cli, CTL_OPT_EXIT_CHANGED, "255"), 1);
	assert_int_equal(ctl_cli_common(&cli, CTL_OPT_TEXTFILE, "a.prom"), 1);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		bool tf = bad[i].c == CTL_OPT_TEXTFILE;

		/* refused, and what was set before stays */
		assert_int_equal(ctl_cli_common(&cli, bad[i].c, bad[i].arg),
				 -EINVAL);
		bad_arg = bad[i].arg;
		snprintf(want, sizeof(want), "tool: --%s '%s': %s\n",
			 tf ? "textfile" : "exit-changed", bad_arg,
			 tf ? textfile_why : changed_why);
		expect(bad_value, (void *)(intptr_t)bad[i].c, NULL, 2, want);
	}
	assert_string_equal(cli.textfile, "a.prom");
	assert_int_equal(cli.exit_changed, 255);
}

/* The help lines fit 80 columns and their texts start in column 23. */
static void test_fleet_help(void **state)
{
	static const char help[] =
		CTL_CLI_HELP_OUTPUT CTL_CLI_HELP_BYTES CTL_CLI_HELP_TEXTFILE
			CTL_CLI_HELP_CHANGED CTL_CLI_HELP_SAVE CTL_CLI_HELP_INFO;
	static const char *const has[] = {"  -b, --bytes ",
					  "      --textfile FILE ",
					  "      --exit-changed N\n"};

	(void)state;
	for (const char *l = help; *l;) {
		size_t n = strcspn(l, "\n");

		assert_true(n <= 80);
		if (n > 22) {
			assert_int_equal(l[21], ' ');
			assert_int_not_equal(l[22], ' ');
		}
		l += n + 1;
	}
	for (size_t i = 0; i < ARRAY_SIZE(has); i++)
		assert_non_null(strstr(help, has[i]));
}

/* --exit-changed N: N only for a success that changed something. */
static void test_changed_rc(void **state)
{
	static const struct {
		int exit_changed, changed, rc, want;
	} cases[] = {
		{0, 1, 0, 0}, /* not asked: 0 stays 0 */
		{7, 1, 0, 7}, {7, 0, 0, 0},
		{1, 1, 0, 1}, {7, 1, 1, 1}, /* failures win */
		{7, 1, 3, 3}, {7, 1, 4, 4},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct ctl_cli cli = {.exit_changed = cases[i].exit_changed,
				      .changed = cases[i].changed};

		assert_int_equal(cli_changed_rc(&cli, cases[i].rc),
				 cases[i].want);
	}
}

enum fin {
	FIN_FULL,
	FIN_EMPTY,
	FIN_RC,
	FIN_PIPE,
	FIN_CLOSED,
	FIN_CLOSED_WRITTEN,
	FIN_UNBUFFERED
};

static void finish(void *arg)
{
	int p[2];

	switch ((enum fin)(intptr_t)arg) {
	case FIN_FULL:
		printf("data\n");
		cli_exit(CTL_EXIT_CHECK);
	case FIN_EMPTY:
		cli_exit(CTL_EXIT_CHECK);
	case FIN_RC:
		printf("data\n");
		cli_exit(CTL_EXIT_UNSUPP);
	case FIN_PIPE:
		/* The reader had enough: not an error. */
		if (pipe(p) < 0 || dup2(p[1], STDOUT_FILENO) < 0)
			_exit(97);
		close(p[0]);
		signal(SIGPIPE, SIG_IGN);
		printf("data\n");
		cli_exit(CTL_EXIT_OK);
	case FIN_CLOSED:
		close(STDOUT_FILENO);
		cli_exit(CTL_EXIT_CHECK);
	case FIN_CLOSED_WRITTEN:
		close(STDOUT_FILENO);
		printf("data\n");
		cli_exit(CTL_EXIT_OK);
	case FIN_UNBUFFERED:
		/* The write failed long before the end: still lost. */
		setvbuf(stdout, NULL, _IONBF, 0);
		printf("data\n");
		cli_exit(CTL_EXIT_OK);
	}
}

static void test_finish(void **state)
{
	char full[] = "/dev/full";
	const struct res *r;

	(void)state;
	expect(finish, (void *)FIN_FULL, full, 3,
	       "tool: stdout: No space left on device\n");
	expect(finish, (void *)FIN_EMPTY, full, 1, "");
	r = expect(finish, (void *)FIN_RC, NULL, 4, NULL);
	assert_string_equal(r->out, "data\n");
	expect(finish, (void *)FIN_PIPE, NULL, 0, "");
	expect(finish, (void *)FIN_CLOSED, NULL, 1, "");
	expect(finish, (void *)FIN_CLOSED_WRITTEN, NULL, 3,
	       "tool: stdout: Bad file descriptor\n");
	r = expect(finish, (void *)FIN_UNBUFFERED, full, 3, NULL);
	assert_non_null(strstr(r->err, "tool: stdout: "));
}

/* ---- --sysroot and check's bounds ---- */

static const char *sysroot;

static void open_root(void *arg)
{
	(void)arg;
	ctl_root_free(cli_root_open(sysroot));
	_exit(0);
}

static void test_root_open(void **state)
{
	char file[300];
	const struct res *r;

	(void)state;
	sysroot = "/nonexistent/x";
	expect(open_root, NULL, NULL, 2,
	       "tool: --sysroot /nonexistent/x: No such file or directory\n");
	snprintf(file, sizeof(file), "%s/f", fake_root);
	close(open(file, O_CREAT | O_WRONLY, 0600));
	sysroot = file;
	r = expect(open_root, NULL, NULL, 2, NULL);
	assert_non_null(strstr(r->err, "/f: Not a directory\n"));
	sysroot = fake_root;
	expect(open_root, NULL, NULL, 0, NULL);
	sysroot = NULL;
	expect(open_root, NULL, NULL, 0, "");
}

static struct cli_range range;
static bool others;

static void bounds(void *arg)
{
	(void)arg;
	cli_check_bounds("check", range.min_opt ? &range : NULL, others,
			 "--max, --min or --min-available");
	_exit(0);
}

static void test_check_bounds(void **state)
{
	const struct res *r;

	(void)state;
	range = (struct cli_range){.min_opt = "--min", .max_opt = "--max"};
	others = false;
	expect(bounds, NULL, NULL, 2,
	       "tool: check: nothing to check; give --max, --min or --min-available\n");
	others = true;
	expect(bounds, NULL, NULL, 0, NULL);
	range.min_set = range.max_set = true;
	range.min = 50;
	range.max = 40;
	expect(bounds, NULL, NULL, 2,
	       "tool: check: --min 50 is above --max 40; no value can pass\n");
	others = false;
	r = expect(bounds, NULL, NULL, 2, NULL);
	assert_non_null(strstr(r->err, "is above"));
	range.max = 50;
	expect(bounds, NULL, NULL, 0, NULL);
	range.max_set = false;
	range.max = 1;
	expect(bounds, NULL, NULL, 0, NULL);
	range.min_opt = NULL; /* no range at all */
	r = expect(bounds, NULL, NULL, 2, NULL);
	assert_non_null(strstr(r->err, "nothing to check"));
}

static int load_err;
static size_t load_records;

static void save_loaded(void *arg)
{
	(void)arg;
	cli_save_loaded("f.save", load_err, load_records);
	_exit(0);
}

/* restore FILE refuses a save file as every tool does, before any work. */
static void test_save_loaded(void **state)
{
	static const struct {
		int err, rc;
		const char *msg;
	} cases[] = {
		{-EBADMSG, 2,
		 "tool: f.save: no valid end marker (the file may be cut short or edited); nothing restored\n"},
		{-ENOMSG, 2, "tool: f.save: not a tool save file\n"},
		{-EFBIG, 2, "tool: f.save: too large for a tool save file\n"},
		{-EISDIR, 2, "tool: f.save: Is a directory\n"},
		{-CTL_ENOTREG, 2, "tool: f.save: not a regular file\n"},
		{-EACCES, 3, "tool: f.save: Permission denied\n"},
		{-ENOENT, 3, "tool: f.save: No such file or directory\n"},
		{0, 4, "tool: f.save: no records; nothing to restore\n"},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		load_err = cases[i].err;
		load_records = cases[i].err ? 1 : 0;
		expect(save_loaded, NULL, NULL, cases[i].rc, cases[i].msg);
	}
	load_err = 0;
	load_records = 2;
	expect(save_loaded, NULL, NULL, 0, "");
}

/* ---- tables ---- */

static const struct ctl_col cols[] = {
	{"NAME", 0.1, 0, "name"},
	{"DEPTH", 5, CTL_COL_RIGHT | CTL_COL_NUMBER, "nr_requests"},
};

static struct ctl_cli tcli;

static void table(void *arg)
{
	struct ctl_out *o;
	struct ctl_row *row;

	(void)arg;
	o = cli_table_new(&tcli, "devices", cols, ARRAY_SIZE(cols), "NAME");
	row = cli_table_row(o);
	ctl_out_set(o, row, 0, "sda");
	ctl_out_set(o, row, 1, "64");
	cli_exit(cli_table_print(&tcli, o));
}

static void test_table(void **state)
{
	const struct res *r;

	(void)state;
	tcli = (struct ctl_cli){.fmt = {.pairs = 1, .columns = "+depth"}};
	r = expect(table, NULL, NULL, 0, NULL);
	assert_string_equal(r->out, "NAME=\"sda\" DEPTH=\"64\"\n");
	tcli.quiet = 1;
	r = expect(table, NULL, NULL, 0, NULL);
	assert_string_equal(r->out, "");
	tcli = (struct ctl_cli){.fmt = {.columns = "NAME,BOGUS,DEPTH"}};
	r = expect(table, NULL, NULL, 2, NULL);
	assert_string_equal(r->out, "");
	assert_string_equal(r->err,
			    "tool: unknown column 'BOGUS' (see --help)\n");
}

static const struct ctl_col ccols[] = {
	{"NAME", 0.1, 0, "name"},
	{"CHANGED", 1, CTL_COL_BOOL, "changed"},
};

/* Two targets, one changed; a JSON Lines stream with a time. */
static void changed_table(void *arg)
{
	/* 2026-12-07T11:23:24.5Z */
	const struct timespec when = {1796642604, 500000000};
	struct ctl_out *o;
	struct ctl_row *row;
	int rc;

	o = cli_table_new(&tcli, "targets", ccols, ARRAY_SIZE(ccols),
			  "NAME,CHANGED");
	row = cli_table_row(o);
	ctl_out_set(o, row, 0, "sda");
	cli_changed(&tcli, o, row, 1, false);
	assert_false(tcli.changed);
	row = cli_table_row(o);
	ctl_out_set(o, row, 0, "sdb");
	cli_changed(&tcli, o, row, 1, true);
	cli_changed(&tcli, NULL, NULL, 1, false); /* no table: kept */
	if (arg)
		rc = cli_table_print_jsonl(&tcli, o, &when);
	else
		rc = cli_table_print(&tcli, o);
	cli_exit(cli_changed_rc(&tcli, rc));
}

static void test_table_changed(void **state)
{
	const struct res *r;

	(void)state;
	tcli = (struct ctl_cli){.fmt = {.json = 1}, .exit_changed = 9};
	r = expect(changed_table, (void *)1, NULL, 9, "");
	assert_string_equal(r->out, "{\"time\":\"2026-12-07T11:23:24.500000Z\","
				    "\"timestamp\":1796642604.500000,"
				    "\"name\":\"sda\",\"changed\":false}\n"
				    "{\"time\":\"2026-12-07T11:23:24.500000Z\","
				    "\"timestamp\":1796642604.500000,"
				    "\"name\":\"sdb\",\"changed\":true}\n");
	tcli = (struct ctl_cli){.fmt = {.pairs = 1}, .quiet = 1};
	r = expect(changed_table, NULL, NULL, 0, "");
	assert_string_equal(r->out, "");
	tcli = (struct ctl_cli){.fmt = {.pairs = 1}};
	r = expect(changed_table, NULL, NULL, 0, "");
	assert_string_equal(r->out, "NAME=\"sda\" CHANGED=\"0\"\n"
				    "NAME=\"sdb\" CHANGED=\"1\"\n");
	/* A stream that cannot be written: said, exit 3. */
	tcli = (struct ctl_cli){.fmt = {.json = 1}};
	r = expect(changed_table, (void *)1, "/dev/full", 3, NULL);
	assert_memory_equal(r->err, "tool: output: No space left on device\n",
			    38);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sub_take),
		cmocka_unit_test(test_sub_then_getopt),
		cmocka_unit_test(test_opt_find),
		cmocka_unit_test(test_opts_first),
		cmocka_unit_test(test_messages),
		cmocka_unit_test(test_die_logged),
		cmocka_unit_test(test_getopt_journal),
		cmocka_unit_test(test_common_opt),
		cmocka_unit_test(test_finish),
		cmocka_unit_test(test_root_open),
		cmocka_unit_test(test_check_bounds),
		cmocka_unit_test(test_save_loaded),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_fleet_opts),
		cmocka_unit_test(test_fleet_help),
		cmocka_unit_test(test_changed_rc),
		cmocka_unit_test(test_table_changed),
	};

	/* Messages name the tool as err(3) does; here, "tool". */
	program_invocation_short_name = (char *)"tool";
	return cmocka_run_group_tests(tests, fake_dir_setup, fake_teardown);
}
