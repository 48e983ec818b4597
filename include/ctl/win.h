/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Bounded mmap windows over a file of any size. A range is walked window by
 * window: each mapping starts at a page-aligned file offset (the kernel
 * rejects any other) and is at most the window size long, so the mapped
 * memory never grows with the file. The caller gets a pointer to the exact
 * byte it asked for.
 *
 * SIGBUS: touching a mapped page that lies wholly past EOF (the file was
 * truncated by someone else) or that the file system cannot back (ENOSPC on
 * a write fault into a hole, an I/O error) raises SIGBUS. ctl_win_guard()
 * turns it into an error return. Process state this needs: on the first
 * guarded access libctl installs a SIGBUS handler for the process (it stays
 * installed; any earlier handler is replaced) and keeps one thread-local
 * pointer to the innermost active guard of the thread. A SIGBUS outside
 * every guarded range, or one sent with kill(2), gets the default action
 * (the process dies with a core) exactly as without the handler.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Default and limits of the window size (bytes). */
#define CTL_WIN_DEFAULT (64ULL << 20)
#define CTL_WIN_MAX (1ULL << 30)

/* One window of a walk over [off, off + rem). */
struct ctl_win_span {
	uint64_t map_off; /* page-aligned file offset of the mapping */
	size_t map_len; /* bytes mapped: a multiple of the page size */
	size_t delta; /* offset of the first wanted byte in the mapping */
	size_t len; /* wanted bytes this window covers */
};

/*
 * Compute the window that starts the rest of a range: byte OFF with REM
 * bytes to go, windows of at most WINSIZE bytes, pages of PAGE bytes (a
 * power of two; WINSIZE a multiple of it). The mapping starts at OFF
 * rounded down to a page and ends at the page after the last covered byte,
 * so a 4 KiB patch maps one or two pages whatever the window size. The
 * next window starts at OFF + SP->len, which is page-aligned.
 * Returns 0, or -EINVAL for a bad PAGE/WINSIZE, REM 0, or a range past
 * the largest file offset.
 */
int ctl_win_span(uint64_t off, uint64_t rem, uint64_t winsize, size_t page,
		 struct ctl_win_span *sp);

/*
 * Check a window size asked for on the command line: a multiple of the
 * page size, at least one page, at most CTL_WIN_MAX. Returns 0 or -EINVAL
 * (not a page multiple) or -ERANGE.
 */
int ctl_win_size_check(uint64_t winsize);

enum {
	CTL_WIN_WRITE = 1 << 0, /* PROT_WRITE (the fd must be O_RDWR) */
	CTL_WIN_SYNC = 1 << 1, /* msync(MS_SYNC) each window after use */
	CTL_WIN_POPULATE = 1 << 2, /* mmap with MAP_POPULATE */
	CTL_WIN_MADVISE = 1 << 3, /* MADV_POPULATE_READ/WRITE after mmap */
};

/* A walk over one file; the caller fills fd, winsize and flags. */
struct ctl_win {
	int fd;
	uint64_t winsize; /* 0: CTL_WIN_DEFAULT */
	unsigned int flags;
	/* Set by ctl_win_map(): */
	unsigned char *map;
	struct ctl_win_span sp;
	uint64_t windows; /* mappings made so far */
};

/*
 * Map the window for byte OFF with REM bytes to go (the previous window,
 * if any, is unmapped first). With CTL_WIN_MADVISE the populate error is
 * returned: -EOPNOTSUPP before Linux 5.14, -ESTALE past EOF, -ENOSPC,
 * -EIO. Returns 0 or -errno.
 */
int ctl_win_map(struct ctl_win *w, uint64_t off, uint64_t rem);

/* msync(MS_SYNC) the wanted bytes of the current window. Returns 0/-errno. */
int ctl_win_sync(struct ctl_win *w);

/* Unmap the current window, if any. */
void ctl_win_unmap(struct ctl_win *w);

/*
 * Work on one window: P points at file byte OFF, LEN bytes are mapped.
 * Runs under the SIGBUS guard, which unwinds it with siglongjmp(3): it
 * must not take locks or allocate (no stdio, no malloc) and must leave
 * nothing to clean up if cut short. System calls that read or write the
 * mapping are fine (they fail with EFAULT instead of raising SIGBUS), and
 * so is ctl_undo_record(). Returns >= 0 to go on, or -errno to stop.
 */
typedef int (*ctl_win_fn)(void *arg, unsigned char *p, size_t len,
			  uint64_t off);

/*
 * Call FN on the current window under the SIGBUS guard. A SIGBUS inside
 * the window makes it return -ESTALE when the file now ends before the
 * window's last wanted byte (truncated by someone else), -ENOSPC when its
 * file system is full, -EIO otherwise. Returns FN's result or that error.
 */
int ctl_win_guard(struct ctl_win *w, ctl_win_fn fn, void *arg);

/*
 * Walk [OFF, OFF + LEN): map each window, call FN under the guard, msync
 * it with CTL_WIN_SYNC, unmap. Stops at the first error. Returns 0 or
 * -errno (see ctl_win_map() and ctl_win_guard()).
 */
int ctl_win_each(struct ctl_win *w, uint64_t off, uint64_t len, ctl_win_fn fn,
		 void *arg);

/*
 * Open PATH for a walk: a regular file, O_RDWR with WRITE, else O_RDONLY;
 * O_NONBLOCK during the open so that a FIFO cannot hang us. Returns the
 * fd, -EISDIR for a directory, -EINVAL for anything but a regular file,
 * or -errno (-EACCES: no permission for that mode). *SIZE gets the size.
 */
int ctl_win_open(const char *path, int write, uint64_t *size);
