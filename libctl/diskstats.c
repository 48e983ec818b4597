// SPDX-License-Identifier: LGPL-2.1-or-later
/* /proc/diskstats with sysstat's formulas. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ctl/diskstats.h"
#include "internal.h"

int ctl_diskstat_parse(const char *line, struct ctl_diskstat *ds)
{
	int n;

	memset(ds, 0, sizeof(*ds));
	n = sscanf(line,
		   "%u %u %31s %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
		   " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
		   " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
		   " %" SCNu64 " %" SCNu64 " %" SCNu64,
		   &ds->major, &ds->minor, ds->name, &ds->rd_ios,
		   &ds->rd_merges, &ds->rd_sectors, &ds->rd_ticks, &ds->wr_ios,
		   &ds->wr_merges, &ds->wr_sectors, &ds->wr_ticks,
		   &ds->in_flight, &ds->io_ticks, &ds->time_in_queue,
		   &ds->dc_ios, &ds->dc_merges, &ds->dc_sectors, &ds->dc_ticks,
		   &ds->fl_ios, &ds->fl_ticks);
	/* 14 fields before 4.18, 18 before 5.5, 20 since. */
	return n == 14 || n == 18 || n == 20 ? 0 : -EINVAL;
}

int ctl_diskstat_read(const struct ctl_root *r, const char *name,
		      struct ctl_diskstat *ds)
{
	_cleanup_fclose_ FILE *f = ctl_root_fopen(r, "/proc/diskstats", "r");
	char line[512];

	if (!f)
		return neg_errno();
	while (fgets(line, sizeof(line), f)) {
		if (ctl_diskstat_parse(line, ds) < 0)
			continue;
		if (strcmp(ds->name, name) == 0)
			return 0;
	}
	return -ENODEV;
}

/* Counters are unsigned long in the kernel; a wrap shows as a huge delta. */
static double delta(uint64_t a, uint64_t b)
{
	return b >= a ? (double)(b - a) : 0.0;
}

/*
 * The time fields (ms) are printed as 32-bit values and wrap; iostat's
 * unsigned int arithmetic counts across the wrap. A step back by more
 * than half the range is a reset (device re-created), not a wrap.
 */
static double delta32(uint64_t a, uint64_t b)
{
	uint32_t d = (uint32_t)b - (uint32_t)a;

	if (b >= a)
		return (double)(b - a);
	return a <= UINT32_MAX && d < UINT32_MAX / 2 ? (double)d : 0.0;
}

void ctl_iostat_compute(const struct ctl_diskstat *a,
			const struct ctl_diskstat *b, double ms,
			struct ctl_iostat *out)
{
	double ios, ticks;

	memset(out, 0, sizeof(*out));
	if (ms <= 0)
		return;
	out->util = delta32(a->io_ticks, b->io_ticks) / ms * 100.0;
	if (out->util > 100.0)
		out->util = 100.0;
	ios = delta(a->rd_ios, b->rd_ios) + delta(a->wr_ios, b->wr_ios) +
	      delta(a->dc_ios, b->dc_ios);
	ticks = delta32(a->rd_ticks, b->rd_ticks) +
		delta32(a->wr_ticks, b->wr_ticks) +
		delta32(a->dc_ticks, b->dc_ticks);
	out->await = ios > 0 ? ticks / ios : 0.0;
	out->aqu_sz = delta32(a->time_in_queue, b->time_in_queue) / ms;
	out->r_s = delta(a->rd_ios, b->rd_ios) * 1000.0 / ms;
	out->w_s = delta(a->wr_ios, b->wr_ios) * 1000.0 / ms;
	/* Sectors are 512 bytes whatever the device's block size. */
	out->r_mbs = delta(a->rd_sectors, b->rd_sectors) * 512.0 / 1048576.0 *
		     1000.0 / ms;
	out->w_mbs = delta(a->wr_sectors, b->wr_sectors) * 512.0 / 1048576.0 *
		     1000.0 / ms;
}

void ctl_satur_init(struct ctl_satur *s, double pct, unsigned int need)
{
	s->pct = pct;
	s->need = need ? need : CTL_SAT_SAMPLES;
	s->streak = 0;
}

bool ctl_satur_feed(struct ctl_satur *s, double util)
{
	if (util >= s->pct)
		s->streak++;
	else
		s->streak = 0;
	return s->streak >= s->need;
}
