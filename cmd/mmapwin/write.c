// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mmapwin write: stdin into a file through io_uring (or pwrite),
 * with --throttle on the disk underneath; and --progress of replace and
 * write.
 */
#include <err.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl/blk.h"
#include "ctl/cli.h"
#include "ctl/clock.h"
#include "ctl/macro.h"
#include "ctl/out.h"
#include "ctl/root.h"
#include "ctl/uring.h"
#include "cli/cli.h"
#include "mmapwin.h"

/* --progress: one status line on stderr, redrawn at most 4 times a second. */
double mono_s(void)
{
	return ctl_now_ms() / 1e3;
}

void progress_init(struct progress *p, const struct mw *m, const char *what,
		   uint64_t total)
{
	*p = (struct progress){.what = what, .total = total};
	p->start = p->last = mono_s();
	/* Only for a person watching: never into a log or a pipe. */
	if (!m->progress || !isatty(STDERR_FILENO))
		p->what = NULL;
}

void progress_show(struct progress *p, uint64_t done, int final)
{
	double now = mono_s(), rate;
	char eta[32] = "";

	if (!p->what || (!final && now - p->last < 0.25))
		return;
	p->last = now;
	rate = now > p->start ? (double)done / (now - p->start) : 0;
	if (p->total && rate > 0 && done < p->total)
		snprintf(eta, sizeof(eta), ", ETA %.0fs",
			 (double)(p->total - done) / rate);
	if (p->total)
		fprintf(stderr,
			"\r%s: %.1f of %.1f MiB (%.0f%%), %.1f MiB/s%s\033[K",
			p->what, (double)done / 1048576,
			(double)p->total / 1048576,
			100.0 * (double)done / (double)p->total, rate / 1048576,
			eta);
	else
		fprintf(stderr, "\r%s: %.1f MiB, %.1f MiB/s\033[K", p->what,
			(double)done / 1048576, rate / 1048576);
	if (final)
		fputc('\n', stderr);
}

static void write_progress(void *arg, uint64_t bytes)
{
	progress_show(arg, bytes, 0);
}

static const struct ctl_col write_cols[] = {
	{"FILE", 0.3, CTL_COL_TRUNC, "file written"},
	{"OFFSET", 0.1, CTL_COL_RIGHT | CTL_COL_NUMBER, "first byte written"},
	{"BYTES", 0.1, CTL_COL_RIGHT | CTL_COL_NUMBER, "bytes written"},
	{"ENGINE", 0.1, 0,
	 "splice, copy_file_range, sendfile, uring or pwrite: how the bytes went"},
	{"DEPTH", 0.05, CTL_COL_RIGHT | CTL_COL_NUMBER, "writes in flight"},
	{"MINDEPTH", 0.05, CTL_COL_RIGHT | CTL_COL_NUMBER,
	 "lowest depth the throttle set"},
	{"DIRECT", 0.1, CTL_COL_RIGHT | CTL_COL_NUMBER,
	 "bytes written with O_DIRECT"},
	{"WRITE", 0.1, CTL_COL_RIGHT | CTL_COL_NUMBER,
	 "seconds copying (read and write)"},
	{"SYNC", 0.1, CTL_COL_RIGHT | CTL_COL_NUMBER,
	 "seconds in the final fdatasync"},
	{"MIB/S", 0.1, CTL_COL_RIGHT | CTL_COL_NUMBER, "BYTES over WRITE+SYNC"},
	{"SYNCED", 0.05, CTL_COL_BOOL, "flushed to disk before success"},
	{"THROTTLE", 0.1, 0, "queues --throttle watched, or -"},
};

static void throttle_log(void *arg, unsigned int from, unsigned int to,
			 double util)
{
	const struct ctl_throttle *t = arg;

	warnx("%s: util %.0f%% %s %.0f%%: writes in flight %u -> %u", t->disk,
	      util, to < from ? ">=" : "<", t->satur.pct, from, to);
}

/*
 * --throttle: every queue under FILE (under its directory, if new) that has
 * statistics, a loop device's backing file followed: ext4 on a loop device
 * over an image on a tmpfs is watched through the loop device.
 */
static void throttle_setup(const struct mw *m, const char *file,
			   struct ctl_root **root, struct ctl_throttle *th)
{
	struct ctl_blk_list l = {0};
	struct ctl_target t;
	char where[PATH_MAX];
	int e;

	*root = cli_root_open(m->cli.sysroot);
	e = file_target(file, CTL_TARGET_MAY_CREATE, &t);
	if (e < 0)
		errx(ctl_exit_for(e), "--throttle: %s: %s", file, strerror(-e));
	ctl_target_found(&t, where, sizeof(where));
	e = ctl_blk_resolve_target(*root, &t, CTL_BLK_FOLLOW_LOOP, &l);
	if (e == -ENODEV)
		errx(CTL_EXIT_UNSUPP,
		     "--throttle: %s: its device is not in %s/sys/dev/block; drop --throttle",
		     where, m->cli.sysroot ? m->cli.sysroot : "");
	if (e < 0)
		errx(ctl_exit_for(e),
		     "--throttle: %s: cannot find its disk: %s", where,
		     strerror(-e));
	ctl_throttle_init(th, *root, (double)m->throttle);
	for (size_t i = 0; i < l.n; i++) {
		if (!l.v[i].name[0])
			continue;
		e = ctl_throttle_add(th, l.v[i].name);
		/* -ENODEV: no statistics (a device without I/O accounting). */
		if (e < 0 && e != -ENODEV)
			errx(ctl_exit_for(e), "--throttle: %s: %s", l.v[i].name,
			     strerror(-e));
	}
	if (!th->n)
		errx(CTL_EXIT_UNSUPP,
		     "--throttle: %s: not on a block device (%s); drop --throttle",
		     where, l.n ? l.v[0].via : "no device");
	th->log = throttle_log;
	th->arg = th;
	ctl_blk_list_free(&l);
}

/* The queues TH watched ("-": none) into BUF of LEN bytes. */
static const char *watched(const struct ctl_throttle *th, char *buf, size_t len)
{
	size_t k = 0;

	snprintf(buf, len, "-");
	for (size_t i = 0; i < th->n && k < len; i++)
		k += (size_t)snprintf(buf + k, len - k, "%s%s", i ? "," : "",
				      th->disks[i].name);
	return buf;
}

static void __attribute__((noreturn))
die_write(const char *file, int e, const struct ctl_write_stats *st)
{
	const char *step = st->step ? st->step : "write";

	if (step && strcmp(step, "read input") == 0) {
		if (e == -EBADF)
			errx(CTL_EXIT_FAIL,
			     "stdin: not open (%s); pipe or redirect the data into mmapwin write",
			     strerror(-e));
		errx(CTL_EXIT_FAIL, "stdin: %s; %llu bytes were written",
		     strerror(-e), (unsigned long long)st->bytes);
	}
	if (strcmp(step, "O_DIRECT alignment") == 0)
		errx(CTL_EXIT_UNSUPP,
		     "%s: the file system reports no O_DIRECT alignment (statx STATX_DIOALIGN); drop --direct",
		     file);
	/* All bytes were handed over, not all stored: say where it failed. */
	if (e == -ENOSPC && strcmp(step, "fdatasync") == 0)
		errx(CTL_EXIT_FAIL,
		     "%s: no space left on device when the %llu bytes written were flushed (fdatasync); the file is incomplete: free space and retry",
		     file, (unsigned long long)st->bytes);
	if (e == -ENOSPC)
		errx(CTL_EXIT_FAIL,
		     "%s: no space left on device after %llu bytes; free space and retry",
		     file, (unsigned long long)st->bytes);
	if (strcmp(step, "open") == 0)
		die_file(file, e);
	errx(ctl_exit_for(e), "%s: %s: %s", file, step, strerror(-e));
}

int cmd_write(struct mw *m, char **args, int n)
{
	const char *file = args[0];
	struct ctl_write_opts wo = {
		.engine = m->engine,
		.depth = m->depth,
		.chunk = m->chunk,
		.offset = m->offset,
	};
	struct ctl_write_stats st;
	struct ctl_throttle th = {0};
	struct ctl_root *root = NULL;
	struct ctl_target t;
	struct progress pg;
	struct stat sb;
	char disks[256];
	struct ctl_out *o;
	struct ctl_row *row;
	double secs;
	int e;

	(void)n;
	if (m->direct)
		wo.flags |= CTL_WRITE_DIRECT;
	if (m->drop_behind)
		wo.flags |= CTL_WRITE_DROP_BEHIND;
	if (m->no_sync)
		wo.flags |= CTL_WRITE_NO_SYNC;
	if (m->truncate)
		wo.flags |= CTL_WRITE_TRUNCATE;
	if (isatty(STDIN_FILENO))
		errx(CTL_EXIT_USAGE,
		     "stdin: is a terminal; pipe or redirect the data into mmapwin write");
	/* Reading what it writes ahead of, it would never reach the end. */
	if (fstat(STDIN_FILENO, &sb) == 0 && S_ISREG(sb.st_mode) &&
	    file_target(file, 0, &t) == 0 && t.st.st_dev == sb.st_dev &&
	    t.st.st_ino == sb.st_ino)
		errx(CTL_EXIT_USAGE, "stdin: is %s itself; copy it first",
		     file);
	if (m->cli.dry_run) {
		if (!m->cli.quiet)
			printf("%s: would write stdin at offset %llu with %s\n",
			       file, (unsigned long long)m->offset,
			       ctl_wengine_name(m->engine));
		return CTL_EXIT_OK;
	}
	if (m->throttle && m->engine == CTL_WENGINE_URING) {
		throttle_setup(m, file, &root, &th);
		wo.throttle = &th;
	} else if (m->throttle) {
		warnx("--throttle: ignored with --engine pwrite (one write in flight)");
	}
	progress_init(&pg, m, file,
		      fstat(STDIN_FILENO, &sb) == 0 && S_ISREG(sb.st_mode)
			      ? (uint64_t)sb.st_size
			      : 0);
	if (pg.what) {
		wo.progress = write_progress;
		wo.arg = &pg;
	}
	e = ctl_write_stream(file, STDIN_FILENO, &wo, &st);
	if (pg.what)
		progress_show(&pg, st.bytes, 1);
	if (st.fallback_err && !m->cli.quiet)
		warnx("io_uring unavailable (%s: %s); writing with pwrite",
		      st.fallback_why, strerror(-st.fallback_err));
	watched(&th, disks, sizeof(disks));
	ctl_throttle_free(&th);
	ctl_root_free(root);
	if (e < 0)
		die_write(file, e, &st);
	if (m->cli.quiet)
		return CTL_EXIT_OK;
	o = cli_table_new(&m->cli, "write", write_cols, ARRAY_SIZE(write_cols),
			  "FILE,OFFSET,BYTES,ENGINE,DEPTH,WRITE,SYNC,MIB/S");
	row = cli_table_row(o);
	secs = st.write_s + st.sync_s;
	ctl_out_set(o, row, 0, file);
	ctl_out_setf(o, row, 1, "%llu", (unsigned long long)m->offset);
	ctl_out_setf(o, row, 2, "%llu", (unsigned long long)st.bytes);
	ctl_out_set(o, row, 3, ctl_wengine_name(st.engine));
	ctl_out_setf(o, row, 4, "%u", st.depth);
	ctl_out_setf(o, row, 5, "%u", st.min_depth);
	ctl_out_setf(o, row, 6, "%llu", (unsigned long long)st.direct_bytes);
	ctl_out_setf(o, row, 7, "%.3f", st.write_s);
	ctl_out_setf(o, row, 8, "%.3f", st.sync_s);
	ctl_out_setf(o, row, 9, "%.1f",
		     secs > 0 ? (double)st.bytes / 1048576 / secs : 0);
	ctl_out_set(o, row, 10, m->no_sync ? "0" : "1");
	ctl_out_set(o, row, 11, strcmp(disks, "-") ? disks : none_cell(m));
	return cli_table_print(&m->cli, o);
}
