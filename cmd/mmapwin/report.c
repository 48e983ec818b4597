// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mmapwin fault and cache: reports on a file's pages, the faults taken
 * to map it and its page-cache residency.
 */
#include <err.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl/cli.h"
#include "ctl/fault.h"
#include "ctl/macro.h"
#include "ctl/out.h"
#include "ctl/win.h"
#include "cli/cli.h"
#include "mmapwin.h"

/* fault */

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
	struct ctl_row *row = cli_table_row(o);

	ctl_out_set(o, row, 0, phase);
	ctl_out_setf(o, row, 1, "%llu", (unsigned long long)ph->pages);
	ctl_out_setf(o, row, 2, "%llu", (unsigned long long)ph->minflt);
	ctl_out_setf(o, row, 3, "%llu", (unsigned long long)ph->majflt);
	ctl_out_setf(o, row, 4, "%.6f", ph->ns / 1e9);
	ctl_out_setf(o, row, 5, "%.0f",
		     ph->pages ? (double)ph->ns / (double)ph->pages : 0.0);
}

int cmd_fault(struct mw *m, char **args, int n)
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
	o = cli_table_new(&m->cli, "faults", fault_cols, ARRAY_SIZE(fault_cols),
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
	return cli_table_print(&m->cli, o);
}

/* cache */

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

int cmd_cache(struct mw *m, char **args, int n)
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
	o = cli_table_new(
		&m->cli, "cache", cache_cols, ARRAY_SIZE(cache_cols),
		"PAGES,CACHED,PERCENT,DIRTY,WRITEBACK,EVICTED,RECENT,METHOD");
	row = cli_table_row(o);
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
	close(fd);
	return cli_table_print(&m->cli, o);
}
