// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ctl/out.h without libsmartcols: this program's dlopen() finds no
 * libsmartcols.so.1 (it stands in for the loader's on a host without the
 * package libsmartcols1). A table is still built; printing it fails with
 * -ELIBACC, again on a second try, never a crash; JSON Lines need no
 * library; the tool's front end says what to install and exits 3.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "ctl/out.h"

static int scols_tries;

/* libctl's dlopen() calls end here: libsmartcols is missing. */
void *dlopen(const char *file, int flags)
{
	(void)flags;
	if (file && strstr(file, "libsmartcols"))
		scols_tries++;
	return NULL;
}

static const struct ctl_col cols[] = {
	{"NAME", 0.1, 0, "name"},
	{"DEPTH", 4, CTL_COL_NUMBER, "depth"},
};

static struct ctl_out *table(const struct ctl_outfmt *fmt)
{
	struct ctl_out *o = NULL;
	struct ctl_row *row;

	assert_int_equal(ctl_out_new("t", cols, 2, "NAME,DEPTH", fmt, &o, NULL),
			 0);
	row = ctl_out_row(o);
	assert_non_null(row);
	assert_int_equal(ctl_out_set(o, row, 0, "sda"), 0);
	assert_int_equal(ctl_out_setf(o, row, 1, "%d", 64), 0);
	return o;
}

static void test_print_fails(void **state)
{
	struct ctl_outfmt fmt = {.json = 1};
	struct ctl_out *o = table(&fmt);
	FILE *f = fopen("/dev/null", "w");

	(void)state;
	assert_non_null(f);
	/* Building the table loaded nothing. */
	assert_int_equal(scols_tries, 0);
	assert_int_equal(ctl_out_print(o, f), -ELIBACC);
	assert_int_equal(scols_tries, 1);
	/* Tried once: the answer stands. */
	assert_int_equal(ctl_out_print(o, f), -ELIBACC);
	assert_int_equal(scols_tries, 1);
	/* JSON Lines are written here. */
	assert_int_equal(ctl_out_print_jsonl(o, f, NULL), 0);
	fclose(f);
	ctl_out_free(o);
}

static void test_cli_exit(void **state)
{
	struct ctl_cli cli = {0};

	(void)state;
	assert_non_null(strstr(CTL_OUT_NO_SCOLS, "libsmartcols1"));
	/* Nothing to print: no library needed, no failure. */
	cli.quiet = 1;
	assert_int_equal(cli_table_print(&cli, table(&cli.fmt)), CTL_EXIT_OK);
	cli.quiet = 0;
	assert_int_equal(cli_table_print(&cli, table(&cli.fmt)), CTL_EXIT_FAIL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_print_fails),
		cmocka_unit_test(test_cli_exit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
