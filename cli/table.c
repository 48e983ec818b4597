// SPDX-License-Identifier: GPL-2.0-or-later
/* Tables of the tools, through ctl/out.h, with the messages of a tool. */
#include <errno.h>
#include <string.h>

#include "cli/cli.h"

struct ctl_out *cli_table_new(const struct ctl_cli *cli, const char *name,
			      const struct ctl_col *cols, size_t ncols,
			      const char *defaults)
{
	struct ctl_out *o;
	const char *bad = NULL;
	int err = ctl_out_new(name, cols, ncols, defaults, &cli->fmt, &o, &bad);

	if (err == -EINVAL && bad)
		cli_die(CTL_EXIT_USAGE, "unknown column '%.*s' (see --help)",
			(int)strcspn(bad, ","), bad);
	if (err < 0)
		cli_die(CTL_EXIT_FAIL, "output: %s", strerror(-err));
	return o;
}

struct ctl_row *cli_table_row(struct ctl_out *o)
{
	struct ctl_row *row = ctl_out_row(o);

	if (!row)
		cli_die(CTL_EXIT_FAIL, "output: %s", strerror(ENOMEM));
	return row;
}

/* After printing O (ERR from ctl_out_print*()): free it, say what failed. */
static int printed(struct ctl_out *o, int err)
{
	ctl_out_free(o);
	if (err == -ELIBACC) {
		cli_say(LOG_ERR, "output: " CTL_OUT_NO_SCOLS);
		return CTL_EXIT_FAIL;
	}
	if (err < 0 && err != -EPIPE) {
		cli_say(LOG_ERR, "output: %s", strerror(-err));
		return CTL_EXIT_FAIL;
	}
	return CTL_EXIT_OK;
}

int cli_table_print(const struct ctl_cli *cli, struct ctl_out *o)
{
	return printed(o, cli->quiet ? 0 : ctl_out_print(o, stdout));
}

int cli_table_print_jsonl(const struct ctl_cli *cli, struct ctl_out *o,
			  const struct timespec *when)
{
	return printed(o,
		       cli->quiet ? 0 : ctl_out_print_jsonl(o, stdout, when));
}

void cli_changed(struct ctl_cli *cli, struct ctl_out *o, struct ctl_row *row,
		 size_t col, bool changed)
{
	if (changed)
		cli->changed = 1;
	if (o && ctl_out_set(o, row, col, changed ? "1" : "0") < 0)
		cli_die(CTL_EXIT_FAIL, "output: %s", strerror(ENOMEM));
}
