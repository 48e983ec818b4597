// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * jcommit checkpoint: EXT4_IOC_CHECKPOINT on each mounted file system.
 */
#include <errno.h>
#include <string.h>

#include "ctl/clock.h"
#include "jcommit.h"

enum { K_TARGET, K_DEVICE, K_RESULT, K_SECONDS };

static const struct ctl_col checkpoint_cols[] = {
	[K_TARGET] = JC_COL_TARGET,
	[K_DEVICE] = JC_COL_DEVICE,
	[K_RESULT] = {"RESULT", 0.1, 0,
		      "checkpointed, or accepted (--dry-run)"},
	[K_SECONDS] = {"SECONDS", 0.05, CTL_COL_RIGHT | CTL_COL_NUMBER,
		       "how long it took"},
};

void checkpoint_columns_help(FILE *f)
{
	ctl_out_help(checkpoint_cols, ARRAY_SIZE(checkpoint_cols), f);
}

/* Say that FI was checkpointed in MS: a line, or a row of OUT. */
static void checkpointed(const struct opts *o, struct ctl_out *out,
			 const struct ctl_ext4_fs *fi, double ms)
{
	struct ctl_row *row;

	if (!out) {
		report(o, "%s: journal %s in %.3f ms", fi->m.target,
		       o->cli.dry_run ? "checkpoint accepted (dry run)"
				      : "checkpointed",
		       ms);
		return;
	}
	row = cli_table_row(out);
	ctl_out_set(out, row, K_TARGET, fi->m.target);
	ctl_out_set(out, row, K_DEVICE, fi->dev[0] ? fi->dev : NULL);
	ctl_out_set(out, row, K_RESULT,
		    o->cli.dry_run ? "accepted" : "checkpointed");
	ctl_out_setf(out, row, K_SECONDS, "%.6f", ms / 1e3);
}

int cmd_checkpoint(const struct opts *o, const struct ctl_root *r,
		   const struct ctl_strv *targets)
{
	struct ctl_out *out = NULL;
	uint32_t flags = 0;
	int rc = 0;

	if (o->discard)
		flags |= EXT4_IOC_CHECKPOINT_FLAG_DISCARD;
	if (o->zeroout)
		flags |= EXT4_IOC_CHECKPOINT_FLAG_ZEROOUT;
	if (o->cli.dry_run)
		flags |= EXT4_IOC_CHECKPOINT_FLAG_DRY_RUN;
	if (table_asked(o))
		out = cli_table_new(&o->cli, "checkpoints", checkpoint_cols,
				    ARRAY_SIZE(checkpoint_cols),
				    "TARGET,DEVICE,RESULT,SECONDS");
	for (size_t i = 0; i < targets->n; i++) {
		struct ctl_ext4_fs fi;
		int c = resolve(r, targets->v[i], 0, &fi);
		double t0, ms;
		int err;

		if (c == 0 && !fi.mounted) {
			cli_warn(
				"%s: not mounted; only a mounted file system's journal can be checkpointed",
				fi.dev);
			c = CTL_EXIT_UNSUPP;
		}
		if (c == 0)
			c = reachable(&fi);
		if (c == 0)
			c = ioctl_reachable(&fi);
		if (c == 0) {
			t0 = ctl_now_ms();
			err = ctl_ext4_fs_checkpoint(&fi, flags);
			ms = ctl_now_ms() - t0;
			if (err == -ENODEV) {
				cli_warn(
					"%s: no journal to checkpoint (the file system has no has_journal feature)",
					fi.m.target);
				c = CTL_EXIT_UNSUPP;
			} else if (err == -EPERM) {
				cli_warn(
					"%s: a checkpoint needs CAP_SYS_ADMIN; run as root",
					fi.m.target);
				c = CTL_EXIT_FAIL;
			} else if (err == -EOPNOTSUPP) {
				cli_warn(
					"%s: the journal device does not support discard",
					fi.m.target);
				c = CTL_EXIT_UNSUPP;
			} else if (err < 0) {
				cli_warn("%s: checkpoint failed: %s",
					 fi.m.target, strerror(-err));
				c = ctl_exit_for(err);
			} else {
				checkpointed(o, out, &fi, ms);
			}
		}
		rc = rc > c ? rc : c;
		ctl_ext4_fs_free(&fi);
	}
	if (out) {
		int err = cli_table_print(&o->cli, out);

		rc = err ? err : rc;
	}
	return rc;
}
