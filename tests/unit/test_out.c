// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ctl/out.h as programs read it: -P that a shell evals, JSON with typed
 * values that python3's json module parses, sizes as lsblk writes them,
 * and JSON Lines for streams. The consumers run for real (sh, python3).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl/out.h"
#include "fake-setup.h"

enum { C_NAME, C_MAJMIN, C_RS, C_AQU, C_USE, C_DEPTH, C_ROTA, C_SIZE };

static const struct ctl_col cols[] = {
	[C_NAME] = {"NAME", 0.1, 0, "name"},
	[C_MAJMIN] = {"MAJ:MIN", 6, 0, "device number"},
	[C_RS] = {"R/S", 6, CTL_COL_NUMBER, "reads per second"},
	[C_AQU] = {"AQU-SZ", 6, CTL_COL_NUMBER, "queue size"},
	[C_USE] = {"USE%", 4, CTL_COL_NUMBER, "use in percent"},
	[C_DEPTH] = {"DEPTH", 4, CTL_COL_NUMBER, "depth"},
	[C_ROTA] = {"ROTA", 1, CTL_COL_BOOL, "rotational"},
	[C_SIZE] = {"SIZE", 5, CTL_COL_SIZE, "size"},
};

#define ALL "NAME,MAJ:MIN,R/S,AQU-SZ,USE%,DEPTH,ROTA,SIZE"

static struct ctl_out *new_out(struct ctl_outfmt fmt)
{
	struct ctl_out *o = NULL;

	if (!fmt.columns)
		fmt.columns = ALL;
	assert_int_equal(ctl_out_new("devices", cols, ARRAY_SIZE(cols), "NAME",
				     &fmt, &o, NULL),
			 0);
	return o;
}

/* Print O into file NAME under fake_root (JSONL with WHEN when JSONL); free O. */
static const char *print_to(struct ctl_out *o, const char *name, bool jsonl,
			    const struct timespec *when)
{
	static char path[300];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", fake_root, name);
	f = fopen(path, "w");
	assert_non_null(f);
	if (jsonl)
		assert_int_equal(ctl_out_print_jsonl(o, f, when), 0);
	else
		assert_int_equal(ctl_out_print(o, f), 0);
	assert_int_equal(fclose(f), 0);
	ctl_out_free(o);
	return path;
}

/* A row that has what shells and JSON find hard, and unknowns. */
static void hard_row(struct ctl_out *o, const char *mark)
{
	struct ctl_row *row = ctl_out_row(o);
	char name[256];

	assert_non_null(row);
	snprintf(name, sizeof(name), "a \"q\" $(touch %s) `touch %s` \\ ' ;",
		 mark, mark);
	assert_int_equal(ctl_out_set(o, row, C_NAME, name), 0);
	assert_int_equal(ctl_out_set(o, row, C_MAJMIN, "8:0"), 0);
	assert_int_equal(ctl_out_set(o, row, C_RS, "-"), 0);
	assert_int_equal(ctl_out_set(o, row, C_AQU, ""), 0);
	assert_int_equal(ctl_out_setf(o, row, C_USE, "%s", "n/a"), 0);
	assert_int_equal(ctl_out_setf(o, row, C_DEPTH, "%d", 64), 0);
	assert_int_equal(ctl_out_set(o, row, C_ROTA, "-"), 0);
	assert_int_equal(ctl_out_set_size(o, row, C_SIZE, 256 << 20), 0);
}

static void plain_row(struct ctl_out *o)
{
	struct ctl_row *row = ctl_out_row(o);

	assert_non_null(row);
	ctl_out_set(o, row, C_NAME, "sdb");
	ctl_out_set(o, row, C_MAJMIN, "8:16");
	ctl_out_set(o, row, C_RS, "1.5");
	ctl_out_setf(o, row, C_AQU, "%.2f", 0.25);
	ctl_out_set(o, row, C_USE, "-0");
	ctl_out_set(o, row, C_DEPTH, "1e3");
	ctl_out_set(o, row, C_ROTA, "no");
	ctl_out_set_size(o, row, C_SIZE, 1536);
}

/*
 * -P: every name is a shell variable, and a shell that evals each line
 * runs nothing of the values.
 */
static void test_pairs_eval(void **state)
{
	static const char *const want[] = {"NAME",   "MAJ_MIN", "R_S",
					   "AQU_SZ", "USE_PCT", "DEPTH",
					   "ROTA",   "SIZE"};
	struct ctl_out *o = new_out((struct ctl_outfmt){.pairs = 1});
	char mark[300], line[1024], script[512];
	const char *path;
	regex_t re;
	FILE *f;
	size_t n = 0;

	(void)state;
	snprintf(mark, sizeof(mark), "%s/ran", fake_root);
	hard_row(o, mark);
	plain_row(o);
	path = print_to(o, "pairs", false, NULL);

	assert_int_equal(regcomp(&re, "^[A-Za-z_][A-Za-z0-9_]*$",
				 REG_EXTENDED | REG_NOSUB),
			 0);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	fclose(f);
	for (char *p = line, *eq; (eq = strstr(p, "=\"")); n++) {
		assert_true(n < ARRAY_SIZE(want));
		*eq = '\0';
		assert_string_equal(p, want[n]);
		assert_int_equal(regexec(&re, p, 0, NULL, 0), 0);
		/* past the quoted value: no '"' in it, -P writes \x22 */
		p = strchr(eq + 2, '"');
		assert_non_null(p);
		p += 1 + (p[1] == ' ');
	}
	assert_int_equal(n, ARRAY_SIZE(want));
	regfree(&re);

	/* The consumer: sh evals each line and reads the variables. */
	snprintf(script, sizeof(script),
		 "set -e; while read -r l; do eval \"$l\"; "
		 "printf '%%s|%%s|%%s|%%s|%%s\\n' \"$NAME\" \"$MAJ_MIN\" "
		 "\"$R_S\" \"$USE_PCT\" \"$SIZE\"; done <'%s' >'%s.sh'",
		 path, path);
	char *sh[] = {"sh", "-c", script, NULL};
	assert_int_equal(fake_run(sh), 0);
	assert_int_equal(access(mark, F_OK), -1); /* nothing ran */
	snprintf(script, sizeof(script), "%s.sh", path);
	f = fopen(script, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	assert_non_null(strstr(line, "|8:0|-|n/a|256M\n"));
	assert_non_null(fgets(line, sizeof(line), f));
	assert_string_equal(line, "sdb|8:16|1.5|-0|1.5K\n");
	fclose(f);
}

/* -r and the table keep the names; -J keeps them too, in lower case. */
static void test_names_kept(void **state)
{
	struct ctl_out *o = new_out((struct ctl_outfmt){.raw = 1});
	char buf[256] = "";
	const char *path;
	FILE *f;

	(void)state;
	plain_row(o);
	path = print_to(o, "raw", false, NULL);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, "NAME MAJ:MIN R/S AQU-SZ USE% DEPTH ROTA "
				 "SIZE\n");
}

/*
 * -J: numbers are numbers, booleans booleans; what is no number ("-",
 * "", "n/a") and an unknown boolean are null, so the document parses.
 */
static const char json_check[] =
	"import json, sys\n"
	"d = json.load(open(sys.argv[1]))\n"
	"a, b = d['devices']\n"
	"assert a['maj:min'] == '8:0', a\n"
	"assert a['r/s'] is None and a['aqu-sz'] is None, a\n"
	"assert a['use%'] is None and a['rota'] is None, a\n"
	"assert a['depth'] == 64 and type(a['depth']) is int, a\n"
	"assert a['name'].startswith('a \"q\" $(touch'), a\n"
	"assert b['r/s'] == 1.5 and b['aqu-sz'] == 0.25, b\n"
	"assert b['use%'] == 0 and b['depth'] == 1000, b\n"
	"assert b['rota'] is False, b\n"
	"assert (a['size'], b['size']) == SIZES, (a, b)\n";

static void test_json_typed(void **state)
{
	/* Sizes as text, and with --bytes as numbers of bytes. */
	static const char *const sizes[] = {"('256M', '1.5K')",
					    "(268435456, 1536)"};
	char script[sizeof(json_check) + 64];
	struct ctl_out *o;
	const char *path;

	(void)state;
	for (int bytes = 0; bytes < 2; bytes++) {
		o = new_out((struct ctl_outfmt){.json = 1, .bytes = bytes});
		hard_row(o, "/nonexistent/x");
		plain_row(o);
		path = print_to(o, "json", false, NULL);
		snprintf(script, sizeof(script), "SIZES = %s\n%s", sizes[bytes],
			 json_check);
		assert_int_equal(fake_python(script, path), 0);
	}
}

/* Outside JSON, what the tool set is shown; an unknown boolean is empty. */
static void test_table_keeps_text(void **state)
{
	struct ctl_out *o = new_out((struct ctl_outfmt){
		.raw = 1, .noheadings = 1, .columns = "R/S,AQU-SZ,ROTA,SIZE"});
	char buf[256] = "";
	const char *path;
	FILE *f;

	(void)state;
	hard_row(o, "/nonexistent/x");
	path = print_to(o, "text", false, NULL);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, "-   256M\n");
}

/* Sizes as lsblk prints them (util-linux size_to_human_string()). */
static void test_size_human(void **state)
{
	static const struct {
		uint64_t bytes;
		const char *want;
	} cases[] = {
		{0, "0B"},
		{512, "512B"},
		{1023, "1023B"},
		{1024, "1K"},
		{1536, "1.5K"},
		{1100, "1.1K"},
		{2047, "2K"}, /* 1.999: rounds up to the next unit value */
		{256ULL << 20, "256M"},
		{(1ULL << 30) - 1, "1024M"},
		{3ULL << 29, "1.5G"},
		{(10ULL << 30) + (1ULL << 29), "10.5G"},
		{1ULL << 40, "1T"},
		{UINT64_MAX, "16E"},
	};
	char buf[32];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		assert_string_equal(ctl_out_size_human(cases[i].bytes, buf,
						       sizeof(buf)),
				    cases[i].want);
}

/*
 * JSON Lines: one object per row and line, each a document of its own,
 * with "time" and "timestamp" of the sample first.
 */
static void test_jsonl(void **state)
{
	static const char check[] =
		"import json, sys, datetime\n"
		"lines = open(sys.argv[1]).read().split('\\n')\n"
		"assert lines[-1] == '' and len(lines) == 3, lines\n"
		"rows = [json.loads(l) for l in lines[:-1]]\n"
		"for r in rows:\n"
		"    assert list(r)[:2] == ['time', 'timestamp'], r\n"
		"    assert r['time'] == '2026-12-07T11:23:24.000042Z', r\n"
		"    t = datetime.datetime.fromisoformat(r['time'][:-1])\n"
		"    t = t.replace(tzinfo=datetime.timezone.utc)\n"
		"    assert abs(t.timestamp() - r['timestamp']) < 1e-6, r\n"
		"    assert isinstance(r['timestamp'], float), r\n"
		"assert rows[0]['name'].endswith(\"\\\\ ' ;\"), rows[0]\n"
		"assert rows[0]['r/s'] is None and rows[0]['depth'] == 64\n"
		"assert rows[1]['rota'] is False and rows[1]['r/s'] == 1.5\n"
		"assert rows[1]['size'] == '1.5K' and rows[0]['use%'] is None\n";
	/* 2026-12-07T11:23:24Z */
	const struct timespec when = {1796642604, 42000};
	struct ctl_out *o = new_out((struct ctl_outfmt){.json = 1});
	const char *path;
	char buf[64];

	(void)state;
	hard_row(o, "/nonexistent/x");
	plain_row(o);
	path = print_to(o, "jsonl", true, &when);
	assert_int_equal(fake_python(check, path), 0);

	/* Without a time, the objects are the rows alone; a control
	 * character in a value is escaped, not a line break. */
	o = new_out((struct ctl_outfmt){.json = 1, .columns = "NAME,DEPTH"});
	struct ctl_row *row = ctl_out_row(o);
	ctl_out_set(o, row, C_NAME, "a\nb\tc\x01");
	path = print_to(o, "jsonl-bare", true, NULL);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	assert_null(fgets(buf + 60, 4, f));
	fclose(f);
	assert_string_equal(buf,
			    "{\"name\":\"a\\nb\\tc\\u0001\",\"depth\":null}\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pairs_eval),
		cmocka_unit_test(test_names_kept),
		cmocka_unit_test(test_json_typed),
		cmocka_unit_test(test_table_keeps_text),
		cmocka_unit_test(test_size_human),
		cmocka_unit_test(test_jsonl),
	};

	return cmocka_run_group_tests(tests, fake_dir_setup, fake_teardown);
}
