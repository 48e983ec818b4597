/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Page-fault and page-cache reports of a file range, measured through the
 * window engine (ctl/win.h): how many minor and major faults touching
 * every page costs, with and without prefaulting, and how much of the
 * range sits in the page cache.
 */
#pragma once

#include <stdint.h>

/* Faults and time of one phase (getrusage(RUSAGE_THREAD) deltas). */
struct ctl_fault_phase {
	uint64_t minflt, majflt;
	uint64_t ns; /* wall time, CLOCK_MONOTONIC */
	uint64_t pages; /* pages this phase covered */
};

struct ctl_fault_report {
	struct ctl_fault_phase populate; /* mmap/madvise (CTL_WIN_POPULATE,
					  * CTL_WIN_MADVISE), else zero */
	struct ctl_fault_phase touch; /* reading or writing each page */
	uint64_t windows;
};

/*
 * Map [OFF, OFF + LEN) of FD window by window (WINSIZE bytes, 0 for the
 * default) with the CTL_WIN_* FLAGS and touch one byte of every page:
 * read it, or with CTL_WIN_WRITE write back the byte just read (the file
 * content does not change; the page gets dirty). Returns 0 or -errno as
 * ctl_win_each() (-ESTALE: the file was truncated meanwhile); REP is
 * filled as far as it got.
 */
int ctl_fault_run(int fd, uint64_t off, uint64_t len, uint64_t winsize,
		  unsigned int flags, struct ctl_fault_report *rep);

enum {
	CTL_CACHE_CACHESTAT = 1, /* counts from cachestat(2), exact */
	CTL_CACHE_MINCORE = 2, /* resident pages from mincore(2) only */
};

/* Page-cache state of a range, in pages. */
struct ctl_cache {
	int method; /* CTL_CACHE_* used */
	int fallback_err; /* why cachestat(2) was not used: -ENOSYS... */
	uint64_t pages; /* pages in the range */
	uint64_t cached, dirty, writeback, evicted, recently_evicted;
};

/*
 * Page-cache residency of [OFF, OFF + LEN) of FD (LEN 0: to EOF; the
 * range must lie inside the file). Uses cachestat(2) (Linux 6.5) through
 * the raw system call; when the kernel lacks it (ENOSYS, or EPERM from a
 * seccomp filter, EOPNOTSUPP on file systems without a page cache), or
 * METHOD is CTL_CACHE_MINCORE, maps the range window by window without
 * touching it and counts resident pages with mincore(2): then dirty,
 * writeback and eviction counts are unknown (zero), and pages of a file
 * the caller may not write count only when mapped by this process.
 * Returns 0 or -errno.
 */
int ctl_cache_stat(int fd, uint64_t off, uint64_t len, int method,
		   struct ctl_cache *c);
