// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mmapwin patch: write bytes into a file in place through bounded mmap
 * windows, journaling the originals first with --undo.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl/cli.h"
#include "ctl/file.h"
#include "ctl/macro.h"
#include "ctl/out.h"
#include "ctl/undo.h"
#include "ctl/win.h"
#include "cli/cli.h"
#include "mmapwin.h"

/* Data for patch from a pipe is collected in memory first, up to this. */
#define PIPE_MAX (64U << 20)

/* Where the patch bytes come from: BUF, or FD read straight into the
 * mapping. */
struct patch {
	const unsigned char *buf;
	int fd;
	uint64_t pos; /* bytes patched so far */
	struct ctl_undo *undo;
	int undo_failed; /* the error is the journal's, not the target's */
};

static int patch_fn(void *arg, unsigned char *p, size_t len, uint64_t off)
{
	struct patch *pt = arg;
	size_t done = 0;
	int e;

	if (pt->undo) {
		e = ctl_undo_record(pt->undo, off, p, len);
		/* -EFAULT: the target's page is gone (truncated). */
		if (e < 0 && e != -EFAULT)
			pt->undo_failed = 1;
		if (e < 0)
			return e;
	}
	if (pt->buf) {
		memcpy(p, pt->buf + pt->pos, len);
		done = len;
	}
	while (done < len) {
		ssize_t r = read(pt->fd, p + done, len - done);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ENODATA;
		done += (size_t)r;
	}
	pt->pos += len;
	return 0;
}

/* Read all of FD (a pipe or device) into memory, at most PIPE_MAX. */
static unsigned char *slurp(int fd, const char *what, uint64_t *len)
{
	size_t cap = 1 << 16, n = 0;
	unsigned char *buf = malloc(cap);

	for (;;) {
		ssize_t r;

		if (!buf)
			errx(CTL_EXIT_FAIL, "%s: out of memory", what);
		if (n == cap) {
			if (cap >= PIPE_MAX + 1ULL)
				errx(CTL_EXIT_FAIL,
				     "%s: more than %u MiB from a pipe; use --from FILE for large patches",
				     what, PIPE_MAX >> 20);
			cap = cap * 2 > PIPE_MAX + 1ULL ? PIPE_MAX + 1
							: cap * 2;
			buf = realloc(buf, cap);
			continue;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			err(CTL_EXIT_FAIL, "%s", what);
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*len = n;
	return buf;
}

/* Whether the open files A and B are the same file. */
static int same_file(int a, int b)
{
	struct stat sa, sb;

	return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 &&
	       sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* Set up the data source of a patch of TFD; returns its length. */
static uint64_t patch_source(const struct mw *m, int tfd, struct patch *pt,
			     unsigned char **owned)
{
	const char *what = m->from ? m->from : "stdin";
	struct stat st;
	off_t pos;

	if (m->data) {
		pt->buf = (const unsigned char *)m->data;
		return strlen(m->data);
	}
	if (!m->from && isatty(STDIN_FILENO))
		errx(CTL_EXIT_USAGE,
		     "stdin: is a terminal; give --data or --from, or pipe the bytes in");
	if (m->from) {
		pt->fd = ctl_file_open_input(AT_FDCWD, m->from);
		if (pt->fd == -EISDIR)
			errx(CTL_EXIT_FAIL,
			     "--from %s: is a directory; give a file of data",
			     m->from);
		if (pt->fd == -CTL_ENOTREG)
			errx(CTL_EXIT_FAIL,
			     "--from %s: not a regular file; give a file of data, or pipe the data into standard input",
			     m->from);
		if (pt->fd < 0)
			errx(ctl_exit_for(pt->fd), "--from %s: %s", m->from,
			     strerror(-pt->fd));
	} else {
		pt->fd = STDIN_FILENO;
	}
	if (fstat(pt->fd, &st) < 0)
		err(CTL_EXIT_FAIL, "%s", what);
	if (S_ISDIR(st.st_mode))
		errx(CTL_EXIT_FAIL, "%s: is a directory; give a file of data",
		     what);
	/* Read into the window it changes, it would copy changed bytes. */
	if (S_ISREG(st.st_mode) && same_file(pt->fd, tfd)) {
		if (m->from)
			errx(CTL_EXIT_USAGE,
			     "--from %s: is the file being patched; copy it first (cp %s %s.data)",
			     m->from, m->from, m->from);
		errx(CTL_EXIT_USAGE,
		     "stdin: is the file being patched; copy it first");
	}
	if (S_ISREG(st.st_mode)) {
		pos = lseek(pt->fd, 0, SEEK_CUR);
		if (pos < 0)
			pos = 0;
		return (uint64_t)st.st_size > (uint64_t)pos
			       ? (uint64_t)st.st_size - (uint64_t)pos
			       : 0;
	}
	/* A pipe: its length is only known at its end, and the patch must
	 * not start before we know it fits. */
	uint64_t len;

	*owned = slurp(pt->fd, what, &len);
	pt->buf = *owned;
	return len;
}

static const struct ctl_col patch_cols[] = {
	{"FILE", 0.3, CTL_COL_TRUNC, "file patched"},
	{"OFFSET", 0.1, CTL_COL_RIGHT | CTL_COL_NUMBER, "first byte patched"},
	{"LENGTH", 0.1, CTL_COL_RIGHT | CTL_COL_NUMBER, "bytes patched"},
	{"WINDOWS", 0.1, CTL_COL_RIGHT | CTL_COL_NUMBER, "mappings used"},
	{"EXTENDED", 0.1, CTL_COL_RIGHT | CTL_COL_NUMBER,
	 "bytes the file grew by (--extend)"},
	{"UNDO", 0.2, CTL_COL_TRUNC, "undo journal, or -"},
	{"RECORDS", 0.1, CTL_COL_RIGHT | CTL_COL_NUMBER,
	 "undo records appended"},
	{"SYNCED", 0.05, CTL_COL_BOOL, "flushed to disk before success"},
	{"OLD", 0.2, 0, "first bytes replaced, hex (... when longer)"},
	{"NEW", 0.2, 0, "first bytes now there, read back, hex"},
};

/* Bytes shown in OLD and NEW. */
#define PREVIEW 8

/* Hex of the first (up to PREVIEW) of LEN bytes at OFF of FD into BUF. */
static void preview(int fd, uint64_t off, uint64_t len, char *buf)
{
	unsigned char b[PREVIEW];
	ssize_t n = pread(fd, b, len < PREVIEW ? len : PREVIEW, (off_t)off);
	char *s = buf;

	for (ssize_t i = 0; i < n; i++)
		s += sprintf(s, "%02x", b[i]);
	*s = '\0';
	/* Past EOF (--extend) there is less, or nothing, to show. */
	if (n == PREVIEW && len > PREVIEW)
		strcpy(s, "...");
}

int cmd_patch(struct mw *m, char **args, int n)
{
	const char *file = args[0];
	struct patch pt = {.fd = -1};
	_cleanup_free_ unsigned char *owned = NULL;
	uint64_t off, len, size, grow = 0, recs = 0, bytes;
	struct ctl_win w = {.winsize = m->window};
	char old[2 * PREVIEW + 4], new[2 * PREVIEW + 4];
	struct ctl_undo_info uinfo;
	struct ctl_out *o;
	struct ctl_row *row;
	int fd, e;

	(void)n;
	if (m->data && m->from)
		errx(CTL_EXIT_USAGE, "--data and --from: give only one");
	off = take_offset(args[1]);
	fd = open_file(file, !m->cli.dry_run, &size);
	len = patch_source(m, fd, &pt, &owned);
	if (!len)
		errx(CTL_EXIT_USAGE, "empty patch: no bytes to write (from %s)",
		     m->data   ? "--data"
		     : m->from ? m->from
			       : "stdin");
	check_end(off, len);
	if (off + len > size && !m->extend)
		errx(CTL_EXIT_FAIL,
		     "%s: patch of %llu bytes at %llu ends past the end of the file (size %llu); use --extend to grow it",
		     file, (unsigned long long)len, (unsigned long long)off,
		     (unsigned long long)size);
	if (off + len > size)
		grow = off + len - size;
	if (m->undo)
		pt.undo = open_undo(m, file, fd, &uinfo);
	/* -J and -P: a row (what is not done yet is null), not a sentence
	 * that would break the document. */
	if (m->cli.dry_run && !m->cli.quiet &&
	    (m->cli.fmt.json || m->cli.fmt.pairs)) {
		o = cli_table_new(
			&m->cli, "patch", patch_cols, ARRAY_SIZE(patch_cols),
			"FILE,OFFSET,LENGTH,WINDOWS,UNDO,SYNCED,OLD,NEW");
		row = cli_table_row(o);
		preview(fd, off, len, old);
		ctl_out_set(o, row, 0, file);
		ctl_out_setf(o, row, 1, "%llu", (unsigned long long)off);
		ctl_out_setf(o, row, 2, "%llu", (unsigned long long)len);
		ctl_out_setf(o, row, 4, "%llu", (unsigned long long)grow);
		ctl_out_set(o, row, 5, m->undo ? m->undo : none_cell(m));
		ctl_out_set(o, row, 7, "0");
		ctl_out_set(o, row, 8, old);
		return cli_table_print(&m->cli, o);
	}
	if (m->cli.dry_run) {
		if (!m->cli.quiet)
			printf("%s: would patch %llu bytes at offset %llu%s\n",
			       file, (unsigned long long)len,
			       (unsigned long long)off,
			       grow ? " (growing the file)" : "");
		return CTL_EXIT_OK;
	}
	preview(fd, off, len, old);
	if (grow && ftruncate(fd, (off_t)(off + len)) < 0)
		err(CTL_EXIT_FAIL, "%s: growing to %llu bytes", file,
		    (unsigned long long)(off + len));
	w.fd = fd;
	w.flags = CTL_WIN_WRITE | (m->no_sync ? 0 : CTL_WIN_SYNC);
	e = ctl_win_each(&w, off, len, patch_fn, &pt);
	if (pt.undo)
		ctl_undo_counts(pt.undo, &recs, &bytes);
	if (e < 0) {
		warnx("%s: %llu of %llu bytes patched before the failure%s%s%s",
		      file, (unsigned long long)pt.pos, (unsigned long long)len,
		      m->undo ? "; restore with 'mmapwin undo " : "",
		      m->undo ? m->undo : "", m->undo ? "'" : "");
		if (e == -ENODATA)
			errx(CTL_EXIT_FAIL, "%s: the data ended early",
			     m->from ? m->from : "stdin");
		if (pt.undo_failed)
			errx(ctl_exit_for(e),
			     "--undo %s: %s while journaling the original bytes; free space there or journal elsewhere",
			     m->undo, strerror(-e));
		die_file(file, e);
	}
	e = ctl_undo_close(pt.undo);
	if (e < 0)
		errx(CTL_EXIT_FAIL, "--undo %s: %s", m->undo, strerror(-e));
	preview(fd, off, len, new);
	if (close(fd) < 0)
		err(CTL_EXIT_FAIL, "%s", file);
	if (m->cli.quiet)
		return CTL_EXIT_OK;
	o = cli_table_new(&m->cli, "patch", patch_cols, ARRAY_SIZE(patch_cols),
			  "FILE,OFFSET,LENGTH,WINDOWS,UNDO,SYNCED,OLD,NEW");
	row = cli_table_row(o);
	ctl_out_set(o, row, 0, file);
	ctl_out_setf(o, row, 1, "%llu", (unsigned long long)off);
	ctl_out_setf(o, row, 2, "%llu", (unsigned long long)len);
	ctl_out_setf(o, row, 3, "%llu", (unsigned long long)w.windows);
	ctl_out_setf(o, row, 4, "%llu", (unsigned long long)grow);
	ctl_out_set(o, row, 5, m->undo ? m->undo : none_cell(m));
	ctl_out_setf(o, row, 6, "%llu", (unsigned long long)recs);
	ctl_out_set(o, row, 7, m->no_sync ? "0" : "1");
	ctl_out_set(o, row, 8, old);
	ctl_out_set(o, row, 9, new);
	return cli_table_print(&m->cli, o);
}
