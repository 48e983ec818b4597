// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mmapwin replace: search and replace in a file of any size, in place
 * when the lengths match, else by writing a new version and renaming it.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl/cli.h"
#include "ctl/macro.h"
#include "ctl/out.h"
#include "ctl/stream.h"
#include "ctl/undo.h"
#include "cli/cli.h"
#include "mmapwin.h"

static void replace_progress(void *arg, uint64_t done, uint64_t total)
{
	(void)total;
	progress_show(arg, done, 0);
}

/*
 * The temporary file of a different-length replace, where the signal
 * handler can reach it. The library creates it unlinked (O_TMPFILE) and
 * names it only just before the rename, so this matters for a short
 * moment or on file systems without O_TMPFILE.
 */
static struct ctl_stream_tmp replace_tmp;

static void on_fatal_signal(int sig)
{
	ctl_stream_tmp_cleanup(&replace_tmp);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void catch_signals(void)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGQUIT};
	struct sigaction sa = {.sa_handler = on_fatal_signal};

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
}

static const struct ctl_col replace_cols[] = {
	{"FILE", 0.3, CTL_COL_TRUNC, "file searched"},
	{"MATCHES", 0.1, CTL_COL_RIGHT | CTL_COL_NUMBER,
	 "occurrences of OLD replaced (or found, with --dry-run)"},
	{"CHANGED-BYTES", 0.1, CTL_COL_RIGHT | CTL_COL_NUMBER,
	 "bytes changed: differing bytes in place, else bytes of NEW written"},
	{"SIZE", 0.1, CTL_COL_RIGHT | CTL_COL_NUMBER, "size before"},
	{"NEWSIZE", 0.1, CTL_COL_RIGHT | CTL_COL_NUMBER, "size after"},
	{"METHOD", 0.1, 0, "in-place (same inode) or rename (new inode)"},
	{"UNDO", 0.2, CTL_COL_TRUNC, "undo journal, or -"},
	{"RECORDS", 0.1, CTL_COL_RIGHT | CTL_COL_NUMBER,
	 "undo records appended"},
	{"SYNCED", 0.05, CTL_COL_BOOL, "flushed to disk before success"},
	{"TIME", 0.1, CTL_COL_RIGHT | CTL_COL_NUMBER, "seconds"},
	{"CHANGED", 0.05, CTL_COL_BOOL,
	 "the file changed (with --dry-run: would change)"},
};

static void __attribute__((noreturn))
die_replace(const char *file, int e, const struct ctl_replace_stats *st)
{
	const char *step = st->step ? st->step : "replace";
	struct ctl_target t;

	switch (-e) {
	case EMLINK:
		errx(CTL_EXIT_FAIL,
		     "%s: has %lu hard links; a different-length replace would split them (the other names keep the old content); use --break-hardlinks to go ahead",
		     file,
		     file_target(file, 0, &t) == 0
			     ? (unsigned long)t.st.st_nlink
			     : 2UL);
	case ENOSPC:
		if (strcmp(step, "free space") == 0)
			errx(CTL_EXIT_FAIL,
			     "%s: not enough free space for the new version: need %llu bytes, %llu available; free space or use a same-length NEW (edits in place)",
			     file, (unsigned long long)st->need,
			     (unsigned long long)st->avail);
		errx(CTL_EXIT_FAIL,
		     "%s: %s: no space left on device; the original is intact",
		     file, step);
	case EXDEV:
		errx(CTL_EXIT_FAIL,
		     "%s: replaced by another file after its undo journal was opened; nothing changed: retry",
		     file);
	case ESTALE:
		if (strcmp(step, "replaced meanwhile") == 0)
			errx(CTL_EXIT_FAIL,
			     "%s: replaced by another file while replacing (the rename would destroy it); left as it is: retry",
			     file);
		if (strcmp(step, "changed meanwhile") == 0)
			errx(CTL_EXIT_FAIL,
			     "%s: written by another process while replacing (the new version would drop that); left as it is: stop the writer and retry",
			     file);
		errx(CTL_EXIT_FAIL,
		     "%s: file truncated by another process while replacing; check who writes it and retry",
		     file);
	case EACCES:
	case EPERM:
		errx(CTL_EXIT_FAIL,
		     "%s: %s: permission denied (%s); check its mode and owner",
		     file, step, strerror(-e));
	case EROFS:
	case EISDIR:
		die_file(file, e);
	case EINVAL:
		if (st->step && strcmp(st->step, "not a regular file") == 0)
			errx(CTL_EXIT_FAIL,
			     "%s: not a regular file (FIFO, device or socket); give a regular file",
			     file);
		/* fall through */
	default:
		errx(ctl_exit_for(e), "%s: %s: %s", file, step, strerror(-e));
	}
}

int cmd_replace(struct mw *m, char **args, int n)
{
	const char *file = args[0];
	struct ctl_replace rp = {
		.old = args[1],
		.old_len = strlen(args[1]),
		.new = args[2],
		.new_len = strlen(args[2]),
		.max_count = m->max_count,
		.window = m->window,
		.tmp = &replace_tmp,
	};
	struct ctl_replace_stats st;
	struct ctl_undo_info uinfo;
	struct ctl_undo *undo = NULL;
	struct ctl_target t;
	uint64_t recs = 0, bytes = 0;
	struct progress pg;
	struct ctl_out *o;
	struct ctl_row *row;
	double t0;
	int e;

	(void)n;
	if (!rp.old_len)
		errx(CTL_EXIT_USAGE,
		     "OLD is empty: give the string to replace");
	if (rp.old_len == rp.new_len && !memcmp(rp.old, rp.new, rp.old_len))
		errx(CTL_EXIT_USAGE,
		     "OLD and NEW are the same: nothing would change");
	if (m->undo && rp.old_len != rp.new_len)
		errx(CTL_EXIT_USAGE,
		     "--undo: only a same-length replace edits in place; a different length replaces the file atomically (old or new, never mixed)");
	if (m->cli.dry_run)
		rp.flags |= CTL_REPLACE_DRY_RUN;
	if (m->break_hardlinks)
		rp.flags |= CTL_REPLACE_BREAK_HARDLINKS;
	if (m->no_sync)
		rp.flags |= CTL_REPLACE_NO_SYNC;
	if (m->undo) {
		int fd = open(file, O_RDONLY | O_CLOEXEC);

		if (fd < 0)
			die_file(file, -errno);
		undo = open_undo(m, file, fd, &uinfo);
		close(fd);
		if (undo) {
			rp.journal = ctl_undo_journal;
			rp.journal_arg = undo;
			/* The pass opens FILE again: the same file. */
			rp.id = &uinfo.found;
		}
	}
	progress_init(&pg, m, file,
		      file_target(file, 0, &t) == 0 ? (uint64_t)t.st.st_size
						    : 0);
	if (pg.what) {
		rp.progress = replace_progress;
		rp.progress_arg = &pg;
	}
	catch_signals();
	t0 = mono_s();
	e = ctl_stream_replace(file, &rp, &st);
	if (undo)
		ctl_undo_counts(undo, &recs, &bytes);
	if (pg.what)
		progress_show(&pg, st.size_before, 1);
	if (e < 0) {
		if (undo && recs)
			warnx("%s: %llu matches replaced before the failure; restore with 'mmapwin undo %s'",
			      file, (unsigned long long)st.matches, m->undo);
		die_replace(file, e, &st);
	}
	e = ctl_undo_close(undo);
	if (e < 0)
		errx(CTL_EXIT_FAIL, "--undo %s: %s", m->undo, strerror(-e));
	if (m->cli.quiet)
		return CTL_EXIT_OK;
	/* CHANGED, the suite's boolean, by default where a script reads. */
	o = cli_table_new(
		&m->cli, "replace", replace_cols, ARRAY_SIZE(replace_cols),
		m->cli.fmt.json || m->cli.fmt.pairs
			? "FILE,MATCHES,CHANGED-BYTES,SIZE,NEWSIZE,METHOD,SYNCED,CHANGED"
			: "FILE,MATCHES,CHANGED-BYTES,SIZE,NEWSIZE,METHOD,SYNCED");
	row = cli_table_row(o);
	ctl_out_set(o, row, 0, file);
	ctl_out_setf(o, row, 1, "%llu", (unsigned long long)st.matches);
	ctl_out_setf(o, row, 2, "%llu", (unsigned long long)st.bytes_changed);
	ctl_out_setf(o, row, 3, "%llu", (unsigned long long)st.size_before);
	ctl_out_setf(o, row, 4, "%llu", (unsigned long long)st.size_after);
	ctl_out_set(o, row, 5,
		    m->cli.dry_run ? "dry-run"
		    : st.in_place  ? "in-place"
				   : "rename");
	ctl_out_set(o, row, 6, m->undo ? m->undo : none_cell(m));
	ctl_out_setf(o, row, 7, "%llu", (unsigned long long)recs);
	ctl_out_set(o, row, 8,
		    m->no_sync || m->cli.dry_run || !st.matches ? "0" : "1");
	ctl_out_setf(o, row, 9, "%.3f", mono_s() - t0);
	/* Every match changes the file: OLD and NEW differ. */
	ctl_out_set(o, row, 10, st.matches ? "1" : "0");
	return cli_table_print(&m->cli, o);
}
