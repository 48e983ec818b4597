// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mmapwin: edit and inspect files of any size through bounded mmap
 * windows. Options, dispatch and output; the engine is libctl (win, undo,
 * fault). Each subcommand is one row of the table at the end: its
 * synopsis line, its own long options and its function.
 */
#include <ctype.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "ctl/cli.h"
#include "ctl/blk.h"
#include "ctl/fault.h"
#include "ctl/file.h"
#include "ctl/macro.h"
#include "ctl/out.h"
#include "ctl/parse.h"
#include "ctl/root.h"
#include "ctl/stream.h"
#include "ctl/undo.h"
#include "ctl/uring.h"
#include "ctl/win.h"

/* Data for patch from a pipe is collected in memory first, up to this. */
#define PIPE_MAX (64U << 20)

/* Every option of every subcommand. */
struct mw {
	struct ctl_cli cli;
	uint64_t max_count; /* --max-count */
	int break_hardlinks; /* --break-hardlinks */
	int progress; /* --progress */
	uint64_t offset; /* --offset */
	int direct; /* --direct */
	enum ctl_wengine engine; /* --engine */
	unsigned int depth; /* --queue-depth, 0: default */
	size_t chunk; /* --chunk, 0: default */
	int drop_behind; /* --drop-behind */
	unsigned int throttle; /* --throttle PCT, 0: off */
	int truncate; /* --truncate */
	const char *data; /* --data */
	const char *from; /* --from */
	const char *undo; /* --undo */
	uint64_t window; /* --window, 0: default */
	int no_sync; /* --no-sync */
	int extend; /* --extend */
	int hex; /* --hex */
	int populate; /* --populate */
	int madvise; /* --madvise */
	int write; /* --write */
	int mincore; /* --mincore */
};

/* Tool options; part 2 numbers its own from OPT_MORE on. */
enum {
	OPT_DATA = CTL_OPT_TOOL_BASE,
	OPT_FROM,
	OPT_UNDO,
	OPT_WINDOW,
	OPT_NO_SYNC,
	OPT_EXTEND,
	OPT_HEX,
	OPT_POPULATE,
	OPT_MADVISE,
	OPT_WRITE,
	OPT_MINCORE,
	OPT_MORE = CTL_OPT_TOOL_BASE + 0x40,
};

/* replace and write (part 2). */
enum {
	OPT_MAX_COUNT = OPT_MORE,
	OPT_BREAK_HARDLINKS,
	OPT_PROGRESS,
	OPT_OFFSET,
	OPT_DIRECT,
	OPT_ENGINE,
	OPT_QUEUE_DEPTH,
	OPT_CHUNK,
	OPT_DROP_BEHIND,
	OPT_THROTTLE,
	OPT_TRUNCATE,
};

#define O_WINDOW                                                               \
	{                                                                      \
		"window", required_argument, NULL, OPT_WINDOW                  \
	}
#define O_NO_SYNC                                                              \
	{                                                                      \
		"no-sync", no_argument, NULL, OPT_NO_SYNC                      \
	}
#define O_END                                                                  \
	{                                                                      \
		NULL, 0, NULL, 0                                               \
	}

/* One subcommand. */
struct subcmd {
	const char *name;
	const char *synopsis; /* after "mmapwin ", as in the man page */
	const struct option *opts;
	int nmin, nmax; /* positional arguments */
	int (*run)(struct mw *m, char **args, int n);
};

static const struct subcmd *find_subcmd(const char *name);
static void usage(FILE *f);

static int take_size(const char *what, const char *s, uint64_t *v)
{
	int e = ctl_parse_size(s, v);

	if (e == -ERANGE)
		errx(CTL_EXIT_USAGE, "%s '%s': out of range", what, s);
	if (e < 0)
		errx(CTL_EXIT_USAGE,
		     "%s '%s': not a size (bytes, K/M/G/T suffix, or 0x hex)",
		     what, s);
	return 0;
}

/* off_t is signed: no file has a byte at or past 2^63 - 1. */
#define OFF_MAX ((uint64_t)INT64_MAX)

/*
 * The one parser of file offsets and lengths (OFFSET, LENGTH, --offset):
 * a size from MIN (0 for an offset, 1 for a length) to OFF_MAX. Exits 2
 * with a message naming WHAT and the value.
 */
static uint64_t take_pos(const char *what, const char *s, uint64_t min)
{
	uint64_t v;
	int e;

	if (s[0] == '-' && isdigit((unsigned char)s[1]))
		errx(CTL_EXIT_USAGE,
		     "%s '%s': not a size; must be %llu or more", what, s,
		     (unsigned long long)min);
	e = ctl_parse_size(s, &v);
	if (e == -ERANGE || (e == 0 && v > OFF_MAX))
		errx(CTL_EXIT_USAGE,
		     "%s '%s': out of range (the largest file offset is %llu)",
		     what, s, (unsigned long long)OFF_MAX);
	take_size(what, s, &v);
	if (v < min)
		errx(CTL_EXIT_USAGE, "%s %s: nothing to do; give at least %llu",
		     what, s, (unsigned long long)min);
	return v;
}

static uint64_t take_offset(const char *s)
{
	return take_pos("offset", s, 0);
}

static uint64_t take_length(const char *s)
{
	return take_pos("length", s, 1);
}

/* OFF + LEN must not run past the largest file offset (exit 2). */
static void check_end(uint64_t off, uint64_t len)
{
	if (len > OFF_MAX - off)
		errx(CTL_EXIT_USAGE,
		     "range %llu+%llu ends past the largest file offset (%llu)",
		     (unsigned long long)off, (unsigned long long)len,
		     (unsigned long long)OFF_MAX);
}

/* Options of replace and write (part 2). Returns 1 if C was one. */
static int take_opt2(struct mw *m, int c, const char *arg)
{
	uint64_t v;

	switch (c) {
	case OPT_MAX_COUNT:
		if (ctl_parse_range(arg, 1, UINT64_MAX, &v) < 0)
			errx(CTL_EXIT_USAGE,
			     "--max-count '%s': not a positive number", arg);
		m->max_count = v;
		return 1;
	case OPT_BREAK_HARDLINKS:
		m->break_hardlinks = 1;
		return 1;
	case OPT_PROGRESS:
		m->progress = 1;
		return 1;
	case OPT_OFFSET:
		m->offset = take_pos("--offset", arg, 0);
		return 1;
	case OPT_DIRECT:
		m->direct = 1;
		return 1;
	case OPT_ENGINE:
		if (strcmp(arg, "uring") == 0)
			m->engine = CTL_WENGINE_URING;
		else if (strcmp(arg, "pwrite") == 0)
			m->engine = CTL_WENGINE_PWRITE;
		else
			errx(CTL_EXIT_USAGE,
			     "--engine '%s': unknown; use uring or pwrite",
			     arg);
		return 1;
	case OPT_QUEUE_DEPTH:
		if (ctl_parse_range(arg, 1, CTL_WRITE_DEPTH_MAX, &v) < 0)
			errx(CTL_EXIT_USAGE, "--queue-depth '%s': give 1 to %d",
			     arg, CTL_WRITE_DEPTH_MAX);
		m->depth = (unsigned int)v;
		return 1;
	case OPT_CHUNK:
		take_size("--chunk", arg, &v);
		if (v < 4096 || v > (64U << 20) || v % 4096)
			errx(CTL_EXIT_USAGE,
			     "--chunk %s: give a multiple of 4 KiB from 4K to 64M",
			     arg);
		m->chunk = (size_t)v;
		return 1;
	case OPT_DROP_BEHIND:
		m->drop_behind = 1;
		return 1;
	case OPT_THROTTLE:
		if (ctl_parse_range(arg, 1, 100, &v) < 0)
			errx(CTL_EXIT_USAGE,
			     "--throttle '%s': give a utilisation percentage, 1 to 100",
			     arg);
		m->throttle = (unsigned int)v;
		return 1;
	case OPT_TRUNCATE:
		m->truncate = 1;
		return 1;
	default:
		return 0;
	}
}

/* Take a tool option. Returns 0, or exits on a bad value. */
static int take_opt(struct mw *m, int c, const char *arg)
{
	int e;

	if (take_opt2(m, c, arg))
		return 0;
	switch (c) {
	case OPT_DATA:
		m->data = arg;
		break;
	case OPT_FROM:
		m->from = arg;
		break;
	case OPT_UNDO:
		m->undo = arg;
		break;
	case OPT_WINDOW:
		take_size("--window", arg, &m->window);
		e = ctl_win_size_check(m->window);
		if (e == -EINVAL)
			errx(CTL_EXIT_USAGE,
			     "--window %s: not a multiple of the page size (%ld)",
			     arg, sysconf(_SC_PAGESIZE));
		if (e < 0)
			errx(CTL_EXIT_USAGE,
			     "--window %s: out of range (one page to %llu MiB)",
			     arg, CTL_WIN_MAX >> 20);
		break;
	case OPT_NO_SYNC:
		m->no_sync = 1;
		break;
	case OPT_EXTEND:
		m->extend = 1;
		break;
	case OPT_HEX:
		m->hex = 1;
		break;
	case OPT_POPULATE:
		m->populate = 1;
		break;
	case OPT_MADVISE:
		m->madvise = 1;
		break;
	case OPT_WRITE:
		m->write = 1;
		break;
	case OPT_MINCORE:
		m->mincore = 1;
		break;
	default:
		usage(stderr);
		exit(CTL_EXIT_USAGE);
	}
	return 0;
}

/* Exit with "mmapwin: OBJ: reason" for a failed open or walk of FILE. */
static void __attribute__((noreturn)) die_file(const char *file, int e)
{
	switch (-e) {
	case EACCES:
	case EPERM:
		errx(CTL_EXIT_FAIL,
		     "%s: %s; check its mode and owner (chmod u+w to patch it)",
		     file, strerror(-e));
	case EROFS:
		errx(CTL_EXIT_FAIL,
		     "%s: read-only file system; remount it read-write", file);
	case EISDIR:
		errx(CTL_EXIT_FAIL, "%s: is a directory; give a regular file",
		     file);
	case EINVAL:
		errx(CTL_EXIT_FAIL,
		     "%s: not a regular file (FIFO, device or socket); mmapwin maps regular files only",
		     file);
	case ESTALE:
		errx(CTL_EXIT_FAIL,
		     "%s: file truncated by another process while mapped (SIGBUS); check who writes it and retry",
		     file);
	case ENOSPC:
		errx(CTL_EXIT_FAIL,
		     "%s: no space left for the pages written (SIGBUS); free space and retry",
		     file);
	case EOPNOTSUPP:
		errx(CTL_EXIT_UNSUPP,
		     "%s: MADV_POPULATE_READ/WRITE is not supported (Linux 5.14+); use --populate",
		     file);
	case CTL_ENOTREG:
		errx(CTL_EXIT_FAIL,
		     "%s: not a regular file (FIFO, device or socket); mmapwin maps regular files only",
		     file);
	default:
		errx(ctl_exit_for(e), "%s: %s", file, ctl_file_strerror(-e));
	}
}

static int open_file(const char *file, int write, uint64_t *size)
{
	int fd = ctl_win_open(file, write, size);

	if (fd < 0)
		die_file(file, fd);
	return fd;
}

/* OFF (and LEN, 0 for "to EOF") must lie inside a file of SIZE. */
static void check_range(const char *file, uint64_t off, uint64_t *len,
			uint64_t size)
{
	if (!size)
		errx(CTL_EXIT_FAIL, "%s: empty file; nothing to map", file);
	if (off >= size)
		errx(CTL_EXIT_FAIL,
		     "%s: offset %llu is past the end of the file (size %llu)",
		     file, (unsigned long long)off, (unsigned long long)size);
	if (!*len)
		*len = size - off;
	else if (*len > size - off)
		errx(CTL_EXIT_FAIL,
		     "%s: range %llu+%llu ends past the end of the file (size %llu)",
		     file, (unsigned long long)off, (unsigned long long)*len,
		     (unsigned long long)size);
}

/* Print table O (NAME for messages) and free it. */
static void print_table(struct ctl_out *o)
{
	int e = ctl_out_print(o, stdout);

	ctl_out_free(o);
	if (e < 0)
		errx(CTL_EXIT_FAIL, "output: %s", strerror(-e));
}

static struct ctl_out *new_table(const struct mw *m, const char *name,
				 const struct ctl_col *cols, size_t n,
				 const char *defaults)
{
	struct ctl_out *o;
	const char *bad = NULL;
	int e = ctl_out_new(name, cols, n, defaults, &m->cli.fmt, &o, &bad);

	if (e == -EINVAL && bad)
		errx(CTL_EXIT_USAGE, "-o: unknown column '%.*s'; see --help",
		     (int)strcspn(bad, ","), bad);
	if (e < 0)
		errx(CTL_EXIT_FAIL, "output: %s", strerror(-e));
	return o;
}

/* ---- patch ---- */

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

/* Set up the data source of a patch; returns its length. */
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

static int cmd_patch(struct mw *m, char **args, int n)
{
	const char *file = args[0];
	struct patch pt = {.fd = -1};
	_cleanup_free_ unsigned char *owned = NULL;
	uint64_t off, len, size, grow = 0, recs = 0, bytes;
	struct ctl_win w = {.winsize = m->window};
	char tpath[PATH_MAX], old[2 * PREVIEW + 4], new[2 * PREVIEW + 4];
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
	if (m->undo) {
		if (!realpath(file, tpath))
			err(CTL_EXIT_FAIL, "%s", file);
		e = ctl_undo_open(m->undo, fd, tpath, undo_flags(m), &uinfo,
				  &pt.undo);
		if (e < 0)
			die_undo(m->undo, e, &uinfo);
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
	o = new_table(m, "patch", patch_cols, ARRAY_SIZE(patch_cols),
		      "FILE,OFFSET,LENGTH,WINDOWS,UNDO,SYNCED,OLD,NEW");
	row = ctl_out_row(o);
	if (!row)
		errx(CTL_EXIT_FAIL, "output: out of memory");
	ctl_out_set(o, row, 0, file);
	ctl_out_setf(o, row, 1, "%llu", (unsigned long long)off);
	ctl_out_setf(o, row, 2, "%llu", (unsigned long long)len);
	ctl_out_setf(o, row, 3, "%llu", (unsigned long long)w.windows);
	ctl_out_setf(o, row, 4, "%llu", (unsigned long long)grow);
	ctl_out_set(o, row, 5, m->undo ? m->undo : "-");
	ctl_out_setf(o, row, 6, "%llu", (unsigned long long)recs);
	ctl_out_set(o, row, 7, m->no_sync ? "0" : "1");
	ctl_out_set(o, row, 8, old);
	ctl_out_set(o, row, 9, new);
	print_table(o);
	return CTL_EXIT_OK;
}

/* ---- read ---- */

/* Output of read, built without stdio (the window guard may unwind it). */
struct reader {
	int hex;
	unsigned char line[16];
	size_t nline;
	uint64_t line_off;
	int digits;
	char out[1 << 16];
	size_t nout;
	int out_failed; /* the error is stdout's, not the file's */
};

static int write_all(const void *buf, size_t n)
{
	const char *p = buf;

	while (n) {
		ssize_t r = write(STDOUT_FILENO, p, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* write_all() for RD; an error other than the mapping's own EFAULT (its
 * page is gone) is stdout's. */
static int put_out(struct reader *rd, const void *buf, size_t n)
{
	int e = write_all(buf, n);

	if (e < 0 && e != -EFAULT)
		rd->out_failed = 1;
	return e;
}

static int flush_out(struct reader *rd)
{
	int e = put_out(rd, rd->out, rd->nout);

	rd->nout = 0;
	return e;
}

/* Offsets take 8 hex digits, as in hexdump -C, or more past 4 GiB. */
static int off_digits(uint64_t v)
{
	int d = 8;

	while (d < 16 && (v >> (4 * d)))
		d++;
	return d;
}

static char *put_hex(char *s, uint64_t v, int digits)
{
	static const char xd[] = "0123456789abcdef";

	for (int i = digits - 1; i >= 0; i--)
		s[i] = xd[v & 15], v >>= 4;
	return s + digits;
}

/* One hexdump -C line of the bytes in RD->line. */
static int hex_line(struct reader *rd)
{
	char *s;

	if (rd->nout > sizeof(rd->out) - 128) {
		int e = flush_out(rd);

		if (e < 0)
			return e;
	}
	s = put_hex(rd->out + rd->nout, rd->line_off, rd->digits);
	*s++ = ' ';
	for (size_t i = 0; i < 16; i++) {
		*s++ = ' ';
		if (i == 8)
			*s++ = ' ';
		if (i < rd->nline) {
			s = put_hex(s, rd->line[i], 2);
		} else {
			*s++ = ' ';
			*s++ = ' ';
		}
	}
	*s++ = ' ';
	*s++ = ' ';
	*s++ = '|';
	for (size_t i = 0; i < rd->nline; i++) {
		unsigned char c = rd->line[i];

		*s++ = c >= 0x20 && c < 0x7f ? (char)c : '.';
	}
	*s++ = '|';
	*s++ = '\n';
	rd->nout = (size_t)(s - rd->out);
	rd->line_off += rd->nline;
	rd->nline = 0;
	return 0;
}

static int read_fn(void *arg, unsigned char *p, size_t len, uint64_t off)
{
	struct reader *rd = arg;

	(void)off;
	if (!rd->hex)
		return put_out(rd, p, len);
	for (size_t i = 0; i < len; i++) {
		rd->line[rd->nline++] = p[i];
		if (rd->nline == 16) {
			int e = hex_line(rd);

			if (e < 0)
				return e;
		}
	}
	return 0;
}

static int cmd_read(struct mw *m, char **args, int n)
{
	_cleanup_free_ struct reader *rd = calloc(1, sizeof(*rd));
	struct ctl_win w = {.winsize = m->window};
	uint64_t off, len, size;
	int e;

	(void)n;
	off = take_offset(args[1]);
	len = take_length(args[2]);
	check_end(off, len);
	w.fd = open_file(args[0], 0, &size);
	check_range(args[0], off, &len, size);
	if (!rd)
		errx(CTL_EXIT_FAIL, "out of memory");
	rd->hex = m->hex;
	rd->line_off = off;
	rd->digits = off_digits(off + len);
	e = ctl_win_each(&w, off, len, read_fn, rd);
	if (!e && rd->hex && rd->nline)
		e = hex_line(rd);
	if (!e && rd->hex) {
		char *s = put_hex(rd->out + rd->nout, off + len, rd->digits);

		*s++ = '\n';
		rd->nout = (size_t)(s - rd->out);
		e = flush_out(rd);
	}
	if (e == -EPIPE)
		return CTL_EXIT_OK;
	if (e < 0 && rd->out_failed)
		errx(CTL_EXIT_FAIL, "stdout: %s", strerror(-e));
	if (e < 0)
		die_file(args[0], e);
	return CTL_EXIT_OK;
}

/* ---- undo ---- */

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

static int cmd_undo(struct mw *m, char **args, int n)
{
	const char *undo = args[0];
	char was[ID_BUF], now[ID_BUF];
	struct ctl_undo_info info;
	struct reclist rl = {NULL};
	struct ctl_out *o;
	struct ctl_row *row;
	unsigned int flags = 0;
	int e;

	(void)n;
	if (m->cli.dry_run) {
		flags |= CTL_UNDO_DRY_RUN;
		rl.o = new_table(m, "records", rec_cols, ARRAY_SIZE(rec_cols),
				 "OFFSET,LENGTH");
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
		if (!m->cli.quiet)
			print_table(rl.o);
		else
			ctl_out_free(rl.o);
		undo_lost(&info);
		return CTL_EXIT_OK;
	}
	if (m->cli.quiet) {
		undo_lost(&info);
		return CTL_EXIT_OK;
	}
	o = new_table(m, "undo", undo_cols, ARRAY_SIZE(undo_cols),
		      "TARGET,RECORDS,BYTES,TORN,TRUNCATED");
	row = ctl_out_row(o);
	if (!row)
		errx(CTL_EXIT_FAIL, "output: out of memory");
	ctl_out_set(o, row, 0, info.path);
	ctl_out_setf(o, row, 1, "%llu", (unsigned long long)info.records);
	ctl_out_setf(o, row, 2, "%llu", (unsigned long long)info.bytes);
	ctl_out_setf(o, row, 3, "%llu", (unsigned long long)info.torn);
	ctl_out_setf(o, row, 4, "%llu", (unsigned long long)info.size);
	ctl_out_set(o, row, 5, info.truncated ? "1" : "0");
	print_table(o);
	undo_lost(&info);
	return CTL_EXIT_OK;
}

/* ---- fault ---- */

static const struct ctl_col fault_cols[] = {
	{"PHASE", 0.1, 0, "populate (mmap/madvise), touch, or total"},
	{"PAGES", 0.1, CTL_COL_RIGHT | CTL_COL_NUMBER, "pages covered"},
	{"MINFLT", 0.1, CTL_COL_RIGHT | CTL_COL_NUMBER,
	 "minor faults (page in the cache)"},
	{"MAJFLT", 0.1, CTL_COL_RIGHT | CTL_COL_NUMBER,
	 "major faults (page read from disk)"},
	{"TIME", 0.1, CTL_COL_RIGHT | CTL_COL_NUMBER, "seconds"},
	{"NS/PAGE", 0.1, CTL_COL_RIGHT | CTL_COL_NUMBER,
	 "nanoseconds per page"},
};

static void fault_row(struct ctl_out *o, const char *phase,
		      const struct ctl_fault_phase *ph)
{
	struct ctl_row *row = ctl_out_row(o);

	if (!row)
		errx(CTL_EXIT_FAIL, "output: out of memory");
	ctl_out_set(o, row, 0, phase);
	ctl_out_setf(o, row, 1, "%llu", (unsigned long long)ph->pages);
	ctl_out_setf(o, row, 2, "%llu", (unsigned long long)ph->minflt);
	ctl_out_setf(o, row, 3, "%llu", (unsigned long long)ph->majflt);
	ctl_out_setf(o, row, 4, "%.6f", ph->ns / 1e9);
	ctl_out_setf(o, row, 5, "%.0f",
		     ph->pages ? (double)ph->ns / (double)ph->pages : 0.0);
}

static int cmd_fault(struct mw *m, char **args, int n)
{
	uint64_t off = 0, len = 0, size;
	struct ctl_fault_report rep;
	struct ctl_fault_phase tot;
	unsigned int flags = 0;
	struct ctl_out *o;
	int fd, e;

	if (m->populate && m->madvise)
		errx(CTL_EXIT_USAGE, "--populate and --madvise: give only one");
	if (n > 1)
		off = take_offset(args[1]);
	if (n > 2)
		len = take_length(args[2]);
	check_end(off, len);
	fd = open_file(args[0], m->write, &size);
	check_range(args[0], off, &len, size);
	if (m->write)
		flags |= CTL_WIN_WRITE;
	if (m->populate)
		flags |= CTL_WIN_POPULATE;
	if (m->madvise)
		flags |= CTL_WIN_MADVISE;
	e = ctl_fault_run(fd, off, len, m->window, flags, &rep);
	if (e < 0)
		die_file(args[0], e);
	close(fd);
	o = new_table(m, "faults", fault_cols, ARRAY_SIZE(fault_cols),
		      "PHASE,PAGES,MINFLT,MAJFLT,TIME");
	tot = rep.touch;
	if (m->populate || m->madvise) {
		fault_row(o, m->populate ? "map-populate" : "madvise-populate",
			  &rep.populate);
		tot.minflt += rep.populate.minflt;
		tot.majflt += rep.populate.majflt;
		tot.ns += rep.populate.ns;
	}
	fault_row(o, m->write ? "touch-write" : "touch-read", &rep.touch);
	fault_row(o, "total", &tot);
	print_table(o);
	return CTL_EXIT_OK;
}

/* ---- cache ---- */

static const struct ctl_col cache_cols[] = {
	{"PAGES", 0.1, CTL_COL_RIGHT | CTL_COL_NUMBER, "pages in the range"},
	{"CACHED", 0.1, CTL_COL_RIGHT | CTL_COL_NUMBER,
	 "pages in the page cache"},
	{"PERCENT", 0.1, CTL_COL_RIGHT | CTL_COL_NUMBER, "CACHED of PAGES, %"},
	{"DIRTY", 0.1, CTL_COL_RIGHT | CTL_COL_NUMBER,
	 "cached pages not yet written"},
	{"WRITEBACK", 0.1, CTL_COL_RIGHT | CTL_COL_NUMBER,
	 "pages being written"},
	{"EVICTED", 0.1, CTL_COL_RIGHT | CTL_COL_NUMBER,
	 "pages evicted from the cache"},
	{"RECENT", 0.1, CTL_COL_RIGHT | CTL_COL_NUMBER,
	 "of those, evicted recently (would be refaults)"},
	{"METHOD", 0.1, 0, "cachestat or mincore"},
};

static int cmd_cache(struct mw *m, char **args, int n)
{
	uint64_t off = 0, len = 0, size;
	struct ctl_cache c;
	struct stat st;
	struct ctl_out *o;
	struct ctl_row *row;
	int fd, e, cs;

	if (n > 1)
		off = take_offset(args[1]);
	if (n > 2)
		len = take_length(args[2]);
	check_end(off, len);
	fd = open_file(args[0], 0, &size);
	if (size)
		check_range(args[0], off, &len, size);
	e = ctl_cache_stat(fd, off, len, m->mincore ? CTL_CACHE_MINCORE : 0,
			   &c);
	if (e < 0)
		die_file(args[0], e);
	cs = c.method == CTL_CACHE_CACHESTAT;
	/* Since 5.2, mincore() on a file the caller neither owns nor may
	 * write claims every page is resident (and cachestat() fails with
	 * EPERM since 6.10): refuse rather than print made-up numbers. */
	if (!cs && fstat(fd, &st) == 0 && st.st_uid != geteuid() &&
	    faccessat(AT_FDCWD, args[0], W_OK, AT_EACCESS) < 0)
		errx(CTL_EXIT_FAIL,
		     "%s: the kernel reports page-cache state only to the file's owner or those who may write it; run as the owner or root",
		     args[0]);
	if (c.fallback_err && !m->cli.quiet)
		warnx("cachestat(2): %s; counted resident pages with mincore(2) (dirty, writeback, evicted unknown)",
		      strerror(-c.fallback_err));
	o = new_table(
		m, "cache", cache_cols, ARRAY_SIZE(cache_cols),
		"PAGES,CACHED,PERCENT,DIRTY,WRITEBACK,EVICTED,RECENT,METHOD");
	row = ctl_out_row(o);
	if (!row)
		errx(CTL_EXIT_FAIL, "output: out of memory");
	ctl_out_setf(o, row, 0, "%llu", (unsigned long long)c.pages);
	ctl_out_setf(o, row, 1, "%llu", (unsigned long long)c.cached);
	ctl_out_setf(o, row, 2, "%.1f",
		     c.pages ? 100.0 * (double)c.cached / (double)c.pages : 0);
	/* mincore cannot tell these: leave them empty, not a false 0. */
	if (cs) {
		ctl_out_setf(o, row, 3, "%llu", (unsigned long long)c.dirty);
		ctl_out_setf(o, row, 4, "%llu",
			     (unsigned long long)c.writeback);
		ctl_out_setf(o, row, 5, "%llu", (unsigned long long)c.evicted);
		ctl_out_setf(o, row, 6, "%llu",
			     (unsigned long long)c.recently_evicted);
	}
	ctl_out_set(o, row, 7, cs ? "cachestat" : "mincore");
	print_table(o);
	close(fd);
	return CTL_EXIT_OK;
}

/* ---- progress (replace, write) ---- */

/* --progress: one status line on stderr, redrawn at most 4 times a second. */
struct progress {
	const char *what;
	uint64_t total; /* 0: unknown (a pipe) */
	double start, last;
};

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void progress_init(struct progress *p, const struct mw *m,
			  const char *what, uint64_t total)
{
	*p = (struct progress){.what = what, .total = total};
	p->start = p->last = mono_s();
	/* Only for a person watching: never into a log or a pipe. */
	if (!m->progress || !isatty(STDERR_FILENO))
		p->what = NULL;
}

static void progress_show(struct progress *p, uint64_t done, int final)
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

static void replace_progress(void *arg, uint64_t done, uint64_t total)
{
	(void)total;
	progress_show(arg, done, 0);
}

static void write_progress(void *arg, uint64_t bytes)
{
	progress_show(arg, bytes, 0);
}

/* ---- replace ---- */

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
	{"CHANGED", 0.1, CTL_COL_RIGHT | CTL_COL_NUMBER,
	 "bytes changed: differing bytes in place, else bytes of NEW written"},
	{"SIZE", 0.1, CTL_COL_RIGHT | CTL_COL_NUMBER, "size before"},
	{"NEWSIZE", 0.1, CTL_COL_RIGHT | CTL_COL_NUMBER, "size after"},
	{"METHOD", 0.1, 0, "in-place (same inode) or rename (new inode)"},
	{"UNDO", 0.2, CTL_COL_TRUNC, "undo journal, or -"},
	{"RECORDS", 0.1, CTL_COL_RIGHT | CTL_COL_NUMBER,
	 "undo records appended"},
	{"SYNCED", 0.05, CTL_COL_BOOL, "flushed to disk before success"},
	{"TIME", 0.1, CTL_COL_RIGHT | CTL_COL_NUMBER, "seconds"},
};

static void __attribute__((noreturn))
die_replace(const char *file, int e, const struct ctl_replace_stats *st)
{
	const char *step = st->step ? st->step : "replace";
	struct stat sb;

	switch (-e) {
	case EMLINK:
		errx(CTL_EXIT_FAIL,
		     "%s: has %lu hard links; a different-length replace would split them (the other names keep the old content); use --break-hardlinks to go ahead",
		     file,
		     stat(file, &sb) == 0 ? (unsigned long)sb.st_nlink : 2UL);
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
		errx(CTL_EXIT_FAIL,
		     "%s: read-only file system; remount it read-write", file);
	case EISDIR:
		errx(CTL_EXIT_FAIL, "%s: is a directory; give a regular file",
		     file);
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

static int cmd_replace(struct mw *m, char **args, int n)
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
	struct stat sb;
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
		char tpath[PATH_MAX];
		int fd = open(file, O_RDONLY | O_CLOEXEC);

		if (fd < 0)
			die_file(file, -errno);
		if (!realpath(file, tpath))
			err(CTL_EXIT_FAIL, "%s", file);
		e = ctl_undo_open(m->undo, fd, tpath, undo_flags(m), &uinfo,
				  &undo);
		close(fd);
		if (e < 0)
			die_undo(m->undo, e, &uinfo);
		if (undo) {
			rp.journal = ctl_undo_journal;
			rp.journal_arg = undo;
			/* The pass opens FILE again: the same file. */
			rp.id = &uinfo.found;
		}
	}
	progress_init(&pg, m, file,
		      stat(file, &sb) == 0 ? (uint64_t)sb.st_size : 0);
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
	o = new_table(m, "replace", replace_cols, ARRAY_SIZE(replace_cols),
		      "FILE,MATCHES,CHANGED,SIZE,NEWSIZE,METHOD,SYNCED");
	row = ctl_out_row(o);
	if (!row)
		errx(CTL_EXIT_FAIL, "output: out of memory");
	ctl_out_set(o, row, 0, file);
	ctl_out_setf(o, row, 1, "%llu", (unsigned long long)st.matches);
	ctl_out_setf(o, row, 2, "%llu", (unsigned long long)st.bytes_changed);
	ctl_out_setf(o, row, 3, "%llu", (unsigned long long)st.size_before);
	ctl_out_setf(o, row, 4, "%llu", (unsigned long long)st.size_after);
	ctl_out_set(o, row, 5,
		    m->cli.dry_run ? "dry-run"
		    : st.in_place  ? "in-place"
				   : "rename");
	ctl_out_set(o, row, 6, m->undo ? m->undo : "-");
	ctl_out_setf(o, row, 7, "%llu", (unsigned long long)recs);
	ctl_out_set(o, row, 8,
		    m->no_sync || m->cli.dry_run || !st.matches ? "0" : "1");
	ctl_out_setf(o, row, 9, "%.3f", mono_s() - t0);
	print_table(o);
	return CTL_EXIT_OK;
}

/* ---- write ---- */

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
};

static void throttle_log(void *arg, unsigned int from, unsigned int to,
			 double util)
{
	const struct ctl_throttle *t = arg;

	warnx("%s: util %.0f%% %s %.0f%%: writes in flight %u -> %u", t->disk,
	      util, to < from ? ">=" : "<", t->satur.pct, from, to);
}

/* --throttle: the disk under FILE (or under its directory, if new). */
static void throttle_setup(const struct mw *m, const char *file,
			   struct ctl_root **root, struct ctl_throttle *t)
{
	struct ctl_blk_list l = {0};
	char dir[PATH_MAX];
	const char *target = file, *disk = NULL;
	int e;

	e = ctl_root_open(m->cli.sysroot, root);
	if (e < 0)
		errx(CTL_EXIT_FAIL, "--sysroot %s: %s",
		     m->cli.sysroot ? m->cli.sysroot : "/", strerror(-e));
	if (access(file, F_OK) < 0) {
		snprintf(dir, sizeof(dir), "%s", file);
		target = strrchr(dir, '/') ? dirname(dir) : ".";
	}
	e = ctl_blk_resolve(*root, target, 0, &l);
	if (e == -ENODEV)
		errx(CTL_EXIT_UNSUPP,
		     "--throttle: %s: its device is not in %s/sys/dev/block; drop --throttle",
		     target, m->cli.sysroot ? m->cli.sysroot : "");
	if (e < 0)
		errx(ctl_exit_for(e),
		     "--throttle: %s: cannot find its disk: %s", target,
		     strerror(-e));
	for (size_t i = 0; i < l.n && !disk; i++)
		if (l.v[i].kind != CTL_BLK_NODEV)
			disk = l.v[i].name;
	if (!disk)
		errx(CTL_EXIT_UNSUPP,
		     "--throttle: %s: not on a block device (%s); drop --throttle",
		     target, l.n ? l.v[0].via : "no device");
	ctl_throttle_init(t, *root, disk, (double)m->throttle);
	t->log = throttle_log;
	t->arg = t;
	ctl_blk_list_free(&l);
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
	if (e == -ENOSPC)
		errx(CTL_EXIT_FAIL,
		     "%s: no space left on device after %llu bytes; free space and retry",
		     file, (unsigned long long)st->bytes);
	if (strcmp(step, "open") == 0)
		die_file(file, e);
	errx(ctl_exit_for(e), "%s: %s: %s", file, step, strerror(-e));
}

static int cmd_write(struct mw *m, char **args, int n)
{
	const char *file = args[0];
	struct ctl_write_opts wo = {
		.engine = m->engine,
		.depth = m->depth,
		.chunk = m->chunk,
		.offset = m->offset,
	};
	struct ctl_write_stats st;
	struct ctl_throttle th;
	struct ctl_root *root = NULL;
	struct progress pg;
	struct stat sb;
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
	if (fstat(STDIN_FILENO, &sb) == 0 && S_ISREG(sb.st_mode)) {
		struct stat fb;

		if (stat(file, &fb) == 0 && fb.st_dev == sb.st_dev &&
		    fb.st_ino == sb.st_ino)
			errx(CTL_EXIT_USAGE,
			     "stdin: is %s itself; copy it first", file);
	}
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
	ctl_root_free(root);
	if (e < 0)
		die_write(file, e, &st);
	if (m->cli.quiet)
		return CTL_EXIT_OK;
	o = new_table(m, "write", write_cols, ARRAY_SIZE(write_cols),
		      "FILE,OFFSET,BYTES,ENGINE,DEPTH,WRITE,SYNC,MIB/S");
	row = ctl_out_row(o);
	if (!row)
		errx(CTL_EXIT_FAIL, "output: out of memory");
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
	print_table(o);
	return CTL_EXIT_OK;
}

/*
 * ---- the table of subcommands ----
 * To add one: a cmd_<name>() above, its fields in struct mw, its option
 * values (from OPT_MORE on) with their cases in take_opt(), an option
 * array below (at most MAX_SUB_OPTS entries), and a row in subcmds[]
 * whose synopsis is the line of the man page SYNOPSIS.
 */
#define MAX_SUB_OPTS 32

static const struct option patch_opts[] = {
	{"data", required_argument, NULL, OPT_DATA},
	{"from", required_argument, NULL, OPT_FROM},
	{"undo", required_argument, NULL, OPT_UNDO},
	{"extend", no_argument, NULL, OPT_EXTEND},
	O_NO_SYNC,
	O_WINDOW,
	O_END,
};

static const struct option read_opts[] = {
	{"hex", no_argument, NULL, OPT_HEX},
	O_WINDOW,
	O_END,
};

static const struct option undo_opts[] = {
	O_NO_SYNC,
	O_END,
};

static const struct option fault_opts[] = {
	{"populate", no_argument, NULL, OPT_POPULATE},
	{"madvise", no_argument, NULL, OPT_MADVISE},
	{"write", no_argument, NULL, OPT_WRITE},
	O_WINDOW,
	O_END,
};

static const struct option cache_opts[] = {
	{"mincore", no_argument, NULL, OPT_MINCORE},
	O_END,
};

static const struct option replace_opts[] = {
	{"max-count", required_argument, NULL, OPT_MAX_COUNT},
	{"undo", required_argument, NULL, OPT_UNDO},
	{"break-hardlinks", no_argument, NULL, OPT_BREAK_HARDLINKS},
	{"progress", no_argument, NULL, OPT_PROGRESS},
	O_NO_SYNC,
	O_WINDOW,
	O_END,
};

static const struct option write_opts[] = {
	{"offset", required_argument, NULL, OPT_OFFSET},
	{"direct", no_argument, NULL, OPT_DIRECT},
	{"engine", required_argument, NULL, OPT_ENGINE},
	{"queue-depth", required_argument, NULL, OPT_QUEUE_DEPTH},
	{"chunk", required_argument, NULL, OPT_CHUNK},
	{"drop-behind", no_argument, NULL, OPT_DROP_BEHIND},
	{"throttle", required_argument, NULL, OPT_THROTTLE},
	{"truncate", no_argument, NULL, OPT_TRUNCATE},
	{"progress", no_argument, NULL, OPT_PROGRESS},
	O_NO_SYNC,
	O_END,
};

static const struct subcmd subcmds[] = {
	{"patch",
	 "patch FILE OFFSET [--data STRING | --from FILE] [--undo UNDOFILE] [--extend] [--no-sync] [--window SIZE]",
	 patch_opts, 2, 2, cmd_patch},
	{"read", "read FILE OFFSET LENGTH [--hex] [--window SIZE]", read_opts,
	 3, 3, cmd_read},
	{"undo", "undo UNDOFILE [--dry-run] [--no-sync]", undo_opts, 1, 1,
	 cmd_undo},
	{"fault",
	 "fault FILE [OFFSET [LENGTH]] [--populate | --madvise] [--write] [--window SIZE]",
	 fault_opts, 1, 3, cmd_fault},
	{"cache", "cache FILE [OFFSET [LENGTH]] [--mincore]", cache_opts, 1, 3,
	 cmd_cache},
	{"replace",
	 "replace FILE OLD NEW [--max-count N] [--undo UNDOFILE] [--window SIZE] [--dry-run] [--break-hardlinks] [--no-sync] [--progress]",
	 replace_opts, 3, 3, cmd_replace},
	{"write",
	 "write FILE [--offset N] [--truncate] [--direct] [--engine uring|pwrite] [--queue-depth N] [--chunk SIZE] [--drop-behind] [--throttle PCT] [--no-sync] [--progress]",
	 write_opts, 1, 1, cmd_write},
};

static const struct subcmd *find_subcmd(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(subcmds); i++)
		if (strcmp(subcmds[i].name, name) == 0)
			return &subcmds[i];
	return NULL;
}

static void usage(FILE *f)
{
	fputs("Usage:\n", f);
	for (size_t i = 0; i < ARRAY_SIZE(subcmds); i++)
		fprintf(f, " mmapwin %s\n", subcmds[i].synopsis);
	fputs(" mmapwin --help | --version\n", f);
	fputs("\nCommon options: -o LIST, -J, -P, -r, -n, -q, -v, --dry-run\n",
	      f);
	fputs("Sizes: bytes, K/M/G/T suffix (powers of 1024), or 0x hex.\n", f);
	fputs("See mmapwin(1) for output columns.\n", f);
}

/* Exit status after --help/--version: 3, with a message, if stdout failed. */
static int help_done(void)
{
	if (fclose(stdout) != 0 && errno != EPIPE) {
		warn("stdout");
		return CTL_EXIT_FAIL;
	}
	return CTL_EXIT_OK;
}

static const struct option common_opts[] = {CTL_CLI_LONGOPTS};

/* Whether long option ARG ("--name", a unique prefix, or "--name=value")
 * takes the next argument as its value, as getopt_long(3) decides. */
static int long_takes_next(const char *arg, const struct option *opts)
{
	size_t n = strcspn(arg + 2, "=");
	const struct option *hit = NULL;

	if (arg[2 + n] == '=')
		return 0;
	for (const struct option *o = opts; o->name; o++) {
		if (strncmp(o->name, arg + 2, n) != 0)
			continue;
		if (strlen(o->name) == n)
			return o->has_arg == required_argument;
		if (hit && hit->has_arg != o->has_arg)
			return 0; /* ambiguous: getopt_long says so */
		hit = o;
	}
	return hit && hit->has_arg == required_argument;
}

/* Whether the short option cluster ARG ("-qo", not "-ofile") leaves
 * its value to the next argument. */
static int short_takes_next(const char *arg)
{
	for (const char *c = arg + 1; *c; c++) {
		const char *p = strchr(CTL_CLI_SHORTOPTS, *c);

		if (p && p[1] == ':')
			return c[1] == '\0';
	}
	return 0;
}

/*
 * getopt_long(3) takes a negative number ("-1") for a cluster of short
 * options and buries the real mistake under "invalid option" and the
 * usage. Put the options (with their values) of ARGV[2..] first, then
 * "--", then every other argument in its order: a negative OFFSET then
 * reaches the parser that names what is wrong with it. A new vector of
 * *ARGC + 1 arguments is returned in *ARGV (malloc'ed; the strings are
 * the old ones).
 */
static void options_first(int *argc, char ***argv, const struct option *opts)
{
	char **in = *argv, **out = calloc((size_t)*argc + 2, sizeof(*out));
	int n = 2, npos = 0, i, ends = 0;
	char **pos = calloc((size_t)*argc + 1, sizeof(*pos));

	if (!out || !pos)
		errx(CTL_EXIT_FAIL, "out of memory");
	out[0] = in[0];
	out[1] = in[1];
	for (i = 2; i < *argc; i++) {
		const char *a = in[i];

		if (ends || a[0] != '-' || a[1] == '\0' ||
		    isdigit((unsigned char)a[1])) {
			pos[npos++] = in[i];
			continue;
		}
		if (strcmp(a, "--") == 0) {
			ends = 1;
			continue;
		}
		out[n++] = in[i];
		if ((a[1] == '-' ? long_takes_next(a, opts)
				 : short_takes_next(a)) &&
		    i + 1 < *argc)
			out[n++] = in[++i];
	}
	out[n++] = "--";
	for (i = 0; i < npos; i++)
		out[n++] = pos[i];
	out[n] = NULL;
	free(pos);
	*argc = n;
	*argv = out;
}

int main(int argc, char **argv)
{
	struct option opts[ARRAY_SIZE(common_opts) + MAX_SUB_OPTS + 1];
	const struct subcmd *sc;
	_cleanup_free_ char **sorted = NULL;
	struct mw m = {0};
	size_t k = 0;
	int c, n, rc;

	if (argc < 2) {
		usage(stderr);
		return CTL_EXIT_USAGE;
	}
	sc = find_subcmd(argv[1]);
	if (!sc && argv[1][0] != '-')
		errx(CTL_EXIT_USAGE, "%s: unknown subcommand; see --help",
		     argv[1]);
	for (size_t i = 0; i < ARRAY_SIZE(common_opts); i++)
		opts[k++] = common_opts[i];
	for (const struct option *o = sc ? sc->opts : NULL;
	     o && o->name && k < ARRAY_SIZE(opts) - 1; o++)
		opts[k++] = *o;
	opts[k] = (struct option){0};
	/* Options may come before or after the positional arguments. */
	if (sc) {
		options_first(&argc, &argv, opts);
		sorted = argv;
		optind = 2;
	}
	while ((c = getopt_long(argc, argv, CTL_CLI_SHORTOPTS, opts, NULL)) !=
	       -1) {
		if (ctl_cli_common(&m.cli, c, optarg))
			continue;
		switch (c) {
		case 'h':
			usage(stdout);
			return help_done();
		case 'V':
			printf("mmapwin %s\n", CTL_VERSION);
			return help_done();
		case '?':
			usage(stderr);
			return CTL_EXIT_USAGE;
		default:
			take_opt(&m, c, optarg);
		}
	}
	if (!sc)
		errx(CTL_EXIT_USAGE, "no subcommand; see --help");
	n = argc - optind;
	if (n < sc->nmin || n > sc->nmax)
		errx(CTL_EXIT_USAGE, "usage: mmapwin %s", sc->synopsis);
	rc = sc->run(&m, argv + optind, n);
	if (ferror(stdout) | (fclose(stdout) != 0)) {
		if (errno != EPIPE)
			err(CTL_EXIT_FAIL, "stdout");
	}
	return rc;
}
