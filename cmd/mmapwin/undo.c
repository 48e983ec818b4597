// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mmapwin undo: apply an undo journal; and the --undo journal of
 * patch and replace (its flags and messages).
 */
#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "ctl/cli.h"
#include "ctl/file.h"
#include "ctl/macro.h"
#include "ctl/out.h"
#include "ctl/undo.h"
#include "cli/cli.h"
#include "mmapwin.h"

/* "dev 8:1, inode 12, generation 7, born @1700000000.123456789" */
static const char *fmt_id(const struct ctl_undo_id *id, char *buf, size_t n)
{
	char gen[32] = "no generation", born[48] = "birth time unknown";

	if (id->has & CTL_UNDO_ID_GEN)
		snprintf(gen, sizeof(gen), "generation %u", id->gen);
	if (id->has & CTL_UNDO_ID_BTIME)
		snprintf(born, sizeof(born), "born @%lld.%09u",
			 (long long)id->btime_sec, id->btime_nsec);
	snprintf(buf, n, "dev %u:%u, inode %llu, %s, %s", major((dev_t)id->dev),
		 minor((dev_t)id->dev), (unsigned long long)id->ino, gen, born);
	return buf;
}

/* Sized for fmt_id(). */
#define ID_BUF 160

static void die_undo(const char *undo, int e, const struct ctl_undo_info *info)
{
	char was[ID_BUF], now[ID_BUF];

	switch (-e) {
	case EXDEV:
		errx(CTL_EXIT_FAIL,
		     "--undo %s: journal belongs to another file (journaled: %s; found: %s); give a new undo file",
		     undo, fmt_id(&info->id, was, sizeof(was)),
		     fmt_id(&info->found, now, sizeof(now)));
	case EPROTO:
		errx(CTL_EXIT_FAIL,
		     "--undo %s: journal of format %u (an older mmapwin) cannot take more records; apply it with 'mmapwin undo %s' or give a new undo file",
		     undo, info->version, undo);
	case EBADMSG:
		errx(CTL_EXIT_FAIL,
		     "--undo %s: not an mmapwin undo journal (or corrupt); give a new undo file",
		     undo);
	case EINVAL:
		errx(CTL_EXIT_USAGE,
		     "--undo %s: is the file being patched; give another path",
		     undo);
	case EWOULDBLOCK:
		errx(CTL_EXIT_FAIL,
		     "--undo %s: in use by another mmapwin; wait for it", undo);
	case EISDIR:
		errx(CTL_EXIT_FAIL,
		     "--undo %s: is a directory; give a new undo file", undo);
	case CTL_ENOTREG:
		errx(CTL_EXIT_FAIL,
		     "--undo %s: not a regular file; give a new undo file",
		     undo);
	default:
		errx(ctl_exit_for(e), "--undo %s: %s", undo, strerror(-e));
	}
}

/* How --undo opens its journal: --dry-run only checks it. */
static unsigned int undo_flags(const struct mw *m)
{
	return (m->no_sync ? CTL_UNDO_NO_SYNC : 0) |
	       (m->cli.dry_run ? CTL_UNDO_CHECK : 0);
}

struct ctl_undo *open_undo(const struct mw *m, const char *file, int fd,
			   struct ctl_undo_info *info)
{
	struct ctl_undo *u = NULL;
	struct ctl_target t;
	int e = file_target(file, 0, &t);

	if (e < 0)
		die_file(file, e);
	e = ctl_undo_open(m->undo, fd, t.path, undo_flags(m), info, &u);
	if (e < 0)
		die_undo(m->undo, e, info);
	return u;
}

static const struct ctl_col undo_cols[] = {
	{"TARGET", 0.3, CTL_COL_TRUNC, "file restored"},
	{"RECORDS", 0.1, CTL_COL_RIGHT | CTL_COL_NUMBER, "records applied"},
	{"BYTES", 0.1, CTL_COL_RIGHT | CTL_COL_NUMBER,
	 "original bytes written back"},
	{"TORN", 0.1, CTL_COL_RIGHT | CTL_COL_NUMBER,
	 "bytes of a torn last record, ignored"},
	{"SIZE", 0.1, CTL_COL_RIGHT | CTL_COL_NUMBER,
	 "target size recorded in the journal"},
	{"TRUNCATED", 0.05, CTL_COL_BOOL, "target cut back to SIZE"},
};

static const struct ctl_col rec_cols[] = {
	{"OFFSET", 0.2, CTL_COL_RIGHT | CTL_COL_NUMBER, "file offset"},
	{"LENGTH", 0.2, CTL_COL_RIGHT | CTL_COL_NUMBER, "original bytes"},
};

struct reclist {
	struct ctl_out *o;
};

static void list_rec(void *arg, uint64_t off, uint64_t len)
{
	struct reclist *rl = arg;
	struct ctl_row *row = ctl_out_row(rl->o);

	if (!row)
		return;
	ctl_out_setf(rl->o, row, 0, "%llu", (unsigned long long)off);
	ctl_out_setf(rl->o, row, 1, "%llu", (unsigned long long)len);
}

/* The target was cut short after the journal was made, and the records
 * do not cover all that is missing: what was done is reported, but the
 * file is not the original (exit 3). */
static void undo_lost(const struct ctl_undo_info *info)
{
	if (!info->lost)
		return;
	fflush(stdout);
	errx(CTL_EXIT_FAIL,
	     "%s: was cut to %llu bytes after the journal was made (size %llu); the journaled bytes are restored, but %llu bytes were never journaled and are lost",
	     info->path, (unsigned long long)info->cur_size,
	     (unsigned long long)info->size, (unsigned long long)info->lost);
}

int cmd_undo(struct mw *m, char **args, int n)
{
	const char *undo = args[0];
	char was[ID_BUF], now[ID_BUF];
	struct ctl_undo_info info;
	struct reclist rl = {NULL};
	struct ctl_out *o;
	struct ctl_row *row;
	unsigned int flags = 0;
	int e, rc = CTL_EXIT_OK;

	(void)n;
	if (m->cli.dry_run) {
		flags |= CTL_UNDO_DRY_RUN;
		rl.o = cli_table_new(&m->cli, "records", rec_cols,
				     ARRAY_SIZE(rec_cols), "OFFSET,LENGTH");
	}
	if (m->no_sync)
		flags |= CTL_UNDO_NO_SYNC;
	e = ctl_undo_apply(undo, flags, rl.o ? list_rec : NULL, &rl, &info);
	if (e == -EXDEV && info.version < 2)
		errx(CTL_EXIT_FAIL,
		     "%s: cannot tell that %s is the file this journal was made for: the journal is of format %u (no generation or birth time) and the file (%s) was not born before the journal was made (@%llu); nothing restored",
		     undo, info.path, info.version,
		     fmt_id(&info.found, now, sizeof(now)),
		     (unsigned long long)info.created);
	if (e == -EXDEV)
		errx(CTL_EXIT_FAIL,
		     "%s: %s is not the file this journal was made for (journaled: %s; found: %s): replaced or re-created; nothing restored",
		     undo, info.path, fmt_id(&info.id, was, sizeof(was)),
		     fmt_id(&info.found, now, sizeof(now)));
	if (e == -EBADMSG)
		errx(CTL_EXIT_FAIL,
		     "%s: not an mmapwin undo journal, or corrupt; nothing restored",
		     undo);
	if (e == -EWOULDBLOCK)
		errx(CTL_EXIT_FAIL,
		     "%s: in use by another mmapwin; wait for it", undo);
	if ((e == -EISDIR || e == -CTL_ENOTREG) && !info.on_target)
		errx(CTL_EXIT_FAIL,
		     "%s: %s; give the journal written by --undo", undo,
		     e == -EISDIR ? "is a directory" : "not a regular file");
	/* Half-way through: the journal is intact and applying it again
	 * gives the same file, so say how far it got and to run it again. */
	if (e < 0 && info.restoring)
		errx(CTL_EXIT_FAIL,
		     "%s: %s after %llu of %llu records were written back; the journal is intact: fix that and run 'mmapwin undo %s' again",
		     info.path, strerror(-e), (unsigned long long)info.applied,
		     (unsigned long long)info.records, undo);
	if (e < 0 && info.on_target)
		die_file(info.path, e);
	if (e < 0)
		errx(ctl_exit_for(e), "%s: %s", undo, strerror(-e));
	if (rl.o) {
		rc = cli_table_print(&m->cli, rl.o);
	} else if (!m->cli.quiet) {
		o = cli_table_new(&m->cli, "undo", undo_cols,
				  ARRAY_SIZE(undo_cols),
				  "TARGET,RECORDS,BYTES,TORN,TRUNCATED");
		row = cli_table_row(o);
		ctl_out_set(o, row, 0, info.path);
		ctl_out_setf(o, row, 1, "%llu",
			     (unsigned long long)info.records);
		ctl_out_setf(o, row, 2, "%llu", (unsigned long long)info.bytes);
		ctl_out_setf(o, row, 3, "%llu", (unsigned long long)info.torn);
		ctl_out_setf(o, row, 4, "%llu", (unsigned long long)info.size);
		ctl_out_set(o, row, 5, info.truncated ? "1" : "0");
		rc = cli_table_print(&m->cli, o);
	}
	undo_lost(&info);
	return rc;
}
