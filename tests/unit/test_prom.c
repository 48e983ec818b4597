// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cli/prom.c: --textfile's metrics as node_exporter reads them. The text
 * is checked exactly where the format is exact, and parsed by
 * prometheus_client's own parser (python3-prometheus-client), which is
 * what the textfile collector's format is tested against.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "fake-setup.h"

static char path[300];

static int setup(void **state)
{
	/* Messages name the tool as err(3) does; here, "tool". */
	program_invocation_short_name = (char *)"tool";
	fake_dir_setup(state);
	snprintf(path, sizeof(path), "%s/ctl.prom", fake_root);
	return 0;
}

static char *slurp(const char *p)
{
	static char buf[8192];
	FILE *f = fopen(p, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

/* Run FN in a child with stderr in ERR; its exit status. */
static int child(void (*fn)(void), char *err, size_t len)
{
	char epath[300];
	int st;
	pid_t pid;
	FILE *f;
	size_t n = 0;

	snprintf(epath, sizeof(epath), "%s/err", fake_root);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (!freopen(epath, "w", stderr))
			_exit(98);
		fn();
		_exit(0);
	}
	st = fake_wait(pid);
	f = fopen(epath, "r");
	if (f) {
		n = fread(err, 1, len - 1, f);
		fclose(f);
	}
	err[n] = '\0';
	return st;
}

/* The exact text: HELP, TYPE, samples grouped by metric, values. */
static void test_text(void **state)
{
	struct cli_prom *p = cli_prom_new();

	(void)state;
	cli_prom_metric(p, "ctl_queue_nr_requests", "Requests the queue holds");
	cli_prom_sample(p, 256, "device", "sda", NULL);
	cli_prom_metric(p, "ctl_queue_read_ahead_bytes",
			"Read-ahead\\window\nin bytes");
	cli_prom_sample(p, 131072, "device", "sda", NULL);
	/* Back to the first metric: its samples stay together. */
	cli_prom_metric(p, "ctl_queue_nr_requests", "ignored");
	cli_prom_sample(p, 64, "device", "sdb", NULL);
	cli_prom_sample(p, 32, "device", "sda", NULL); /* replaces 256 */
	cli_prom_metric(p, "ctl_values", "Values");
	cli_prom_sample(p, 0.25, "v", "quarter", NULL);
	cli_prom_sample(p, -0.0, "v", "zero", NULL);
	cli_prom_sample(p, 1e-9, "v", "nano", NULL);
	cli_prom_sample(p, 9007199254740993.0, "v", "big", NULL);
	cli_prom_sample(p, 1e20, "v", "huge", NULL);
	cli_prom_sample(p, 0.1, "v", "tenth", NULL);
	cli_prom_sample(p, NAN, "v", "nan", NULL);
	cli_prom_sample(p, INFINITY, "v", "inf", NULL);
	cli_prom_sample(p, -INFINITY, "v", "-inf", NULL);
	cli_prom_sample(p, -3, "v", "a\\b \"q\"\nc", "w", "", NULL);
	cli_prom_metric(p, "ctl_vm_swappiness", "vm.swappiness");
	cli_prom_sample(p, 60, NULL);
	assert_int_equal(cli_prom_commit(p, path), 0);
	cli_prom_free(p);
	assert_string_equal(
		slurp(path),
		"# HELP ctl_queue_nr_requests Requests the queue holds\n"
		"# TYPE ctl_queue_nr_requests gauge\n"
		"ctl_queue_nr_requests{device=\"sda\"} 32\n"
		"ctl_queue_nr_requests{device=\"sdb\"} 64\n"
		"# HELP ctl_queue_read_ahead_bytes Read-ahead\\\\window\\nin "
		"bytes\n"
		"# TYPE ctl_queue_read_ahead_bytes gauge\n"
		"ctl_queue_read_ahead_bytes{device=\"sda\"} 131072\n"
		"# HELP ctl_values Values\n"
		"# TYPE ctl_values gauge\n"
		"ctl_values{v=\"quarter\"} 0.25\n"
		"ctl_values{v=\"zero\"} 0\n"
		"ctl_values{v=\"nano\"} 1e-09\n"
		"ctl_values{v=\"big\"} 9007199254740992\n"
		"ctl_values{v=\"huge\"} 1e+20\n"
		"ctl_values{v=\"tenth\"} 0.1\n"
		"ctl_values{v=\"nan\"} NaN\n"
		"ctl_values{v=\"inf\"} +Inf\n"
		"ctl_values{v=\"-inf\"} -Inf\n"
		"ctl_values{v=\"a\\\\b \\\"q\\\"\\nc\",w=\"\"} -3\n"
		"# HELP ctl_vm_swappiness vm.swappiness\n"
		"# TYPE ctl_vm_swappiness gauge\n"
		"ctl_vm_swappiness 60\n");
}

/* What prometheus_client's parser makes of it: the same values. */
static const char parse_check[] =
	"import math, sys\n"
	"from prometheus_client.parser import text_string_to_metric_families\n"
	"fams = {f.name: f for f in text_string_to_metric_families(\n"
	"    open(sys.argv[1]).read())}\n"
	"assert sorted(fams) == ['ctl_disk_util_ratio', 'ctl_preflight_check_"
	"status', 'ctl_preflight_exit_code'], sorted(fams)\n"
	"for f in fams.values():\n"
	"    assert f.type == 'gauge', f\n"
	"st = fams['ctl_preflight_check_status']\n"
	"assert st.documentation == 'Check status: 1 for the current one', st\n"
	"got = {(s.labels['target'], s.labels['status']): s.value\n"
	"       for s in st.samples}\n"
	"assert got[('/var/lib/x \"y\"\\\\z\\n', 'FAIL')] == 1, got\n"
	"assert got[('/var/lib/x \"y\"\\\\z\\n', 'PASS')] == 0, got\n"
	"assert got[('/d\\u00e9j\\u00e0', 'PASS')] == 1, got\n"
	"assert len(got) == 4, got\n"
	"u = {s.labels['device']: s.value\n"
	"     for s in fams['ctl_disk_util_ratio'].samples}\n"
	"assert u['sda'] == 0.125 and math.isnan(u['sdb']), u\n"
	"assert u['sdc'] == math.inf, u\n"
	"e = fams['ctl_preflight_exit_code'].samples\n"
	"assert len(e) == 1 and e[0].value == 1 and e[0].labels == {}, e\n";

static void test_parsed(void **state)
{
	struct cli_prom *p = cli_prom_new();
	static const char *const targets[] = {"/var/lib/x \"y\"\\z\n",
					      "/d\xc3\xa9j\xc3\xa0"};

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		cli_prom_metric(p, "ctl_preflight_check_status",
				"Check status: 1 for the current one");
		cli_prom_sample(p, i == 0 ? 1 : 0, "target", targets[i],
				"check", "depth", "status", "FAIL", NULL);
		cli_prom_sample(p, i == 0 ? 0 : 1, "target", targets[i],
				"check", "depth", "status", "PASS", NULL);
		cli_prom_metric(p, "ctl_disk_util_ratio", "Busy share");
		cli_prom_sample(p, i ? NAN : 0.125, "device", i ? "sdb" : "sda",
				NULL);
	}
	cli_prom_sample(p, INFINITY, "device", "sdc", NULL);
	cli_prom_metric(p, "ctl_preflight_exit_code", "Exit status");
	cli_prom_sample(p, 1, NULL);
	assert_int_equal(cli_prom_commit(p, path), 0);
	cli_prom_free(p);
	assert_int_equal(fake_python(parse_check, path), 0);
}

/* What the children below exit with, still reachable (no leak for ASan). */
static struct cli_prom *kept;

/*
 * The file as the collector finds it: replaced whole, mode 0644 whatever
 * the umask, no temp file left; a directory that is not there: exit 3.
 */
static void fail_commit(void)
{
	kept = cli_prom_new();
	cli_prom_metric(kept, "ctl_x", "x");
	cli_prom_sample(kept, 1, NULL);
	exit(cli_prom_commit(kept, "/nonexistent-fake_root/ctl.prom"));
}

static void test_file(void **state)
{
	struct cli_prom *p = cli_prom_new();
	mode_t old = umask(077);
	char err[256];
	struct stat sb;
	struct dirent *d;
	DIR *dh;
	int n = 0;

	(void)state;
	cli_prom_metric(p, "ctl_a", "a");
	cli_prom_sample(p, 1, NULL);
	assert_int_equal(cli_prom_commit(p, path), 0);
	cli_prom_sample(p, 2, NULL);
	assert_int_equal(cli_prom_commit(p, path), 0);
	cli_prom_free(p);
	umask(old);
	assert_string_equal(slurp(path), "# HELP ctl_a a\n# TYPE ctl_a gauge\n"
					 "ctl_a 2\n");
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0644);
	dh = opendir(fake_root);
	assert_non_null(dh);
	while ((d = readdir(dh)))
		if (d->d_name[0] != '.' || strstr(d->d_name, ".tmp"))
			n++, assert_string_equal(d->d_name, "ctl.prom");
	closedir(dh);
	assert_int_equal(n, 1);

	assert_int_equal(child(fail_commit, err, sizeof(err)), 3);
	assert_string_equal(err,
			    "tool: /nonexistent-fake_root/ctl.prom: No such "
			    "file or directory\n");
}

/* A name Prometheus refuses is the tool's bug: exit 3, said. */
static const char *bad;

static void bad_metric(void)
{
	kept = cli_prom_new();
	cli_prom_metric(kept, bad, "help");
}

static void bad_label(void)
{
	kept = cli_prom_new();
	cli_prom_metric(kept, "ctl_x", "x");
	cli_prom_sample(kept, 1, "ok", "v", bad, "v", NULL);
}

static void no_metric(void)
{
	kept = cli_prom_new();
	cli_prom_sample(kept, 1, NULL);
}

static void test_bad_names(void **state)
{
	static const struct {
		void (*fn)(void);
		const char *name, *what;
	} cases[] = {
		{bad_metric, "1x", "metric"}, {bad_metric, "a-b", "metric"},
		{bad_metric, "", "metric"},   {bad_metric, "a b", "metric"},
		{bad_metric, "é", "metric"},  {bad_label, "__name", "label"},
		{bad_label, "a:b", "label"},  {bad_label, "1a", "label"},
		{bad_label, "", "label"},     {bad_label, "a-b", "label"},
	};
	char err[256], want[256];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		bad = cases[i].name;
		assert_int_equal(child(cases[i].fn, err, sizeof(err)), 3);
		snprintf(want, sizeof(want),
			 "tool: textfile: '%s' is no %s name\n", bad,
			 cases[i].what);
		assert_string_equal(err, want);
	}
	/* Names that are fine, colons included (recording rules' style). */
	bad = "ctl:x_y:z";
	assert_int_equal(child(bad_metric, err, sizeof(err)), 0);
	bad = "_x1";
	assert_int_equal(child(bad_label, err, sizeof(err)), 0);
	assert_int_equal(child(no_metric, err, sizeof(err)), 3);
	assert_string_equal(err, "tool: textfile: a sample of no metric\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_parsed),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_bad_names),
	};

	return cmocka_run_group_tests(tests, setup, fake_teardown);
}
