/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * /proc/diskstats and sysstat's formulas (util %, await, aqu-sz, MB/s),
 * plus the saturation rule of the source article (util >= PCT for N
 * consecutive samples). Shared by qdepth stat --saturation, mmapwin write
 * --throttle and preflight's queue check; its defaults are defined here
 * only.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "ctl/root.h"

/* One line of /proc/diskstats (counters the kernel lacks stay 0). */
struct ctl_diskstat {
	unsigned int major, minor;
	char name[32];
	uint64_t rd_ios, rd_merges, rd_sectors, rd_ticks;
	uint64_t wr_ios, wr_merges, wr_sectors, wr_ticks;
	uint64_t in_flight, io_ticks, time_in_queue;
	uint64_t dc_ios, dc_merges, dc_sectors, dc_ticks; /* 4.18+ */
	uint64_t fl_ios, fl_ticks; /* 5.5+ */
};

/* Rates over an interval, as iostat -x prints them. */
struct ctl_iostat {
	double util; /* % of the interval with at least one request */
	double await; /* ms per completed read/write/discard */
	double aqu_sz; /* average queue size */
	double r_s, w_s;
	double r_mbs, w_mbs;
};

/* Parse one diskstats LINE. Returns 0 or -EINVAL. */
int ctl_diskstat_parse(const char *line, struct ctl_diskstat *ds);

/*
 * Find device NAME (kernel name) in <root>/proc/diskstats. Returns 0,
 * -ENODEV when it is not listed, or -errno.
 */
int ctl_diskstat_read(const struct ctl_root *r, const char *name,
		      struct ctl_diskstat *ds);

/* Compute rates between samples A and B taken MS milliseconds apart. */
void ctl_iostat_compute(const struct ctl_diskstat *a,
			const struct ctl_diskstat *b, double ms,
			struct ctl_iostat *out);

/*
 * The saturation rule: a queue is saturated once util >= PCT % for NEED
 * consecutive samples. The defaults, for every user of the rule: PCT 85
 * (a policy's or a documented default; qdepth --saturation and mmapwin
 * --throttle take PCT from the user) and NEED 3. Plain integer literals,
 * so that they can be stringified into help texts.
 */
#define CTL_SAT_UTIL_PCT 85
#define CTL_SAT_SAMPLES 3

struct ctl_satur {
	double pct;
	unsigned int need; /* consecutive samples, CTL_SAT_SAMPLES by default */
	unsigned int streak; /* current run of samples at or above pct */
};

/* Initialise with the threshold PCT and NEED samples (0: CTL_SAT_SAMPLES). */
void ctl_satur_init(struct ctl_satur *s, double pct, unsigned int need);

/* Feed one util sample; returns true while the device counts saturated. */
bool ctl_satur_feed(struct ctl_satur *s, double util);
