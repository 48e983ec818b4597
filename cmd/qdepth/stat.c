// SPDX-License-Identifier: GPL-2.0-or-later
/* qdepth stat: iostat's figures per queue, and the saturation rule. */
#include <err.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "ctl/clock.h"
#include "ctl/diskstats.h"
#include "qdepth.h"

/* The saturation rule's sample count as a string literal, for help texts. */
#define STR_(x) #x
#define STR(x) STR_(x)
#define SAT_SAMPLES_TEXT STR(CTL_SAT_SAMPLES)

enum {
	T_DEVICE,
	T_SAMPLE,
	T_UTIL,
	T_AWAIT,
	T_AQU,
	T_RS,
	T_WS,
	T_RMB,
	T_WMB,
	T_SAT
};
static const struct ctl_col stat_cols[] = {
	[T_DEVICE] = QD_COL_DEVICE,
	[T_SAMPLE] = {"SAMPLE", 3, CTL_COL_RIGHT | CTL_COL_NUMBER,
		      "sample number"},
	[T_UTIL] = {"UTIL", 6, CTL_COL_RIGHT | CTL_COL_NUMBER,
		    "% of time with I/O in flight"},
	[T_AWAIT] = {"AWAIT", 6, CTL_COL_RIGHT | CTL_COL_NUMBER,
		     "ms per completed request"},
	[T_AQU] = {"AQU-SZ", 6, CTL_COL_RIGHT | CTL_COL_NUMBER,
		   "average queue size"},
	[T_RS] = {"R/S", 6, CTL_COL_RIGHT | CTL_COL_NUMBER, "reads per second"},
	[T_WS] = {"W/S", 6, CTL_COL_RIGHT | CTL_COL_NUMBER,
		  "writes per second"},
	[T_RMB] = {"RMB/S", 6, CTL_COL_RIGHT | CTL_COL_NUMBER,
		   "MiB read per second"},
	[T_WMB] = {"WMB/S", 6, CTL_COL_RIGHT | CTL_COL_NUMBER,
		   "MiB written per second"},
	[T_SAT] = {"SATURATED", 1, CTL_COL_BOOL,
		   "util >= --saturation for " SAT_SAMPLES_TEXT
		   " samples in a row"},
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void sleep_ms(double ms)
{
	struct timespec ts = ctl_ms_timespec(ms);

	while (!stop && nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/*
 * The metrics of disk DEV for --textfile (qdepth(8), METRICS), in base
 * units: a ratio, seconds. Saturated only when there is a threshold.
 */
static void disk_metrics(struct cli_prom *p, const struct opts *o,
			 const char *dev, const struct ctl_iostat *s, int sat)
{
	cli_prom_metric(p, "ctl_disk_util_ratio",
			"Share of the last interval with I/O in flight (0-1)");
	cli_prom_sample(p, s->util / 100, "device", dev, NULL);
	cli_prom_metric(
		p, "ctl_disk_await_seconds",
		"Average time per completed request in the last interval");
	cli_prom_sample(p, s->await / 1000, "device", dev, NULL);
	cli_prom_metric(
		p, "ctl_disk_queue_size",
		"Average number of requests queued or in flight (aqu-sz)");
	cli_prom_sample(p, s->aqu_sz, "device", dev, NULL);
	if (o->saturation < 0)
		return;
	cli_prom_metric(
		p, "ctl_disk_saturated",
		"1 when util stayed at or above --saturation for " SAT_SAMPLES_TEXT
		" samples in a row");
	cli_prom_sample(p, sat, "device", dev, NULL);
}

/* Print the table of one sample taken at WHEN: -J as JSON Lines. */
static int print_sample(struct opts *o, struct ctl_out *out,
			const struct timespec *when)
{
	int rc = o->cli.fmt.json ? cli_table_print_jsonl(&o->cli, out, when)
				 : cli_table_print(&o->cli, out);

	/* Later samples continue the same table. */
	o->cli.fmt.noheadings = 1;
	return rc;
}

int cmd_stat(struct opts *o, struct ctl_strv *targets)
{
	struct ctl_diskstat *prev;
	struct ctl_satur *sat;
	struct items it = {0};
	uint64_t n;
	double t0;
	int rc, saturated = 0;

	if (o->all)
		cli_die(CTL_EXIT_USAGE, "stat: no TARGET given");
	if (!o->count_set)
		o->count = o->saturation >= 0 ? CTL_SAT_SAMPLES : 1;
	rc = collect(o, targets, 0, &it);
	dedupe_queues(&it);
	if (rc) {
		items_free(&it);
		return rc;
	}
	prev = calloc(it.n + 1, sizeof(*prev));
	sat = calloc(it.n + 1, sizeof(*sat));
	if (!prev || !sat)
		err(CTL_EXIT_FAIL, NULL);
	/* Sample the queues; notes about no-queue layers under a loop
	 * file have nothing to count. */
	for (size_t i = 0; i < it.n;)
		if (it.v[i].dev.kind != CTL_BLK_QUEUE &&
		    it.v[i].dev.kind != CTL_BLK_UNKNOWN && it.v[i].dev.level)
			it.v[i] = it.v[--it.n];
		else
			i++;
	/* Before the first read: a signal now ends the run as one later. */
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	for (size_t i = 0; i < it.n; i++) {
		int err = it.v[i].dev.kind == CTL_BLK_NODEV
				  ? -ENODEV
				  : ctl_diskstat_read(o->root, it.v[i].dev.name,
						      &prev[i]);

		if (it.v[i].dev.kind == CTL_BLK_UNKNOWN)
			cli_die(CTL_EXIT_UNSUPP, "%s: %s", it.v[i].target,
				it.v[i].dev.via);
		if (err < 0 && it.v[i].dev.kind == CTL_BLK_NODEV)
			cli_die(CTL_EXIT_UNSUPP,
				"%s: no block device to sample",
				it.v[i].target);
		if (err < 0)
			cli_die(CTL_EXIT_UNSUPP,
				"%s: %s is not in /proc/diskstats",
				it.v[i].target, it.v[i].dev.name);
		ctl_satur_init(&sat[i], o->saturation, CTL_SAT_SAMPLES);
	}
	t0 = ctl_now_ms();
	for (n = 1; !stop && n <= o->count; n++) {
		struct cli_prom *prom = NULL;
		struct timespec when;
		struct ctl_out *out;
		size_t rows = 0;
		double t1;

		sleep_ms(o->interval * 1e3);
		if (stop)
			break;
		t1 = ctl_now_ms();
		clock_gettime(CLOCK_REALTIME, &when);
		if (o->cli.textfile)
			prom = cli_prom_new();
		out = cli_table_new(
			&o->cli, "diskstats", stat_cols, ARRAY_SIZE(stat_cols),
			o->saturation >= 0
				? "DEVICE,SAMPLE,UTIL,AWAIT,AQU-SZ,R/S,W/S,RMB/S,WMB/S,SATURATED"
				: "DEVICE,SAMPLE,UTIL,AWAIT,AQU-SZ,R/S,W/S,RMB/S,WMB/S");
		saturated = 0;
		for (size_t i = 0; i < it.n; i++) {
			struct ctl_diskstat cur;
			struct ctl_iostat s;
			struct ctl_row *row;
			int sat_now;

			/* Gone (removed, renamed): its figures are unknown,
			 * not those of an idle disk. The run cannot answer. */
			if (ctl_diskstat_read(o->root, it.v[i].dev.name, &cur) <
			    0) {
				cli_warn(
					"%s: gone from /proc/diskstats at sample %" PRIu64
					" of %" PRIu64,
					it.v[i].dev.name, n, o->count);
				rc = CTL_EXIT_FAIL;
				continue;
			}
			row = cli_table_row(out);
			rows++;
			ctl_iostat_compute(&prev[i], &cur, t1 - t0, &s);
			prev[i] = cur;
			sat_now = o->saturation >= 0 &&
				  ctl_satur_feed(&sat[i], s.util);
			saturated |= sat_now;
			ctl_out_set(out, row, T_DEVICE, it.v[i].dev.name);
			ctl_out_setf(out, row, T_SAMPLE, "%" PRIu64, n);
			ctl_out_setf(out, row, T_UTIL, "%.1f", s.util);
			ctl_out_setf(out, row, T_AWAIT, "%.2f", s.await);
			ctl_out_setf(out, row, T_AQU, "%.2f", s.aqu_sz);
			ctl_out_setf(out, row, T_RS, "%.1f", s.r_s);
			ctl_out_setf(out, row, T_WS, "%.1f", s.w_s);
			ctl_out_setf(out, row, T_RMB, "%.2f", s.r_mbs);
			ctl_out_setf(out, row, T_WMB, "%.2f", s.w_mbs);
			ctl_out_set(out, row, T_SAT, sat_now ? "1" : "0");
			if (prom)
				disk_metrics(prom, o, it.v[i].dev.name, &s,
					     sat_now);
		}
		t0 = t1;
		if (rows)
			rc = rc_max(rc, print_sample(o, out, &when));
		else
			ctl_out_free(out);
		fflush(stdout);
		if (prom) {
			/* Each sample replaces the last one's metrics. */
			rc = rc_max(rc, cli_prom_commit(prom, o->cli.textfile));
			cli_prom_free(prom);
		}
		if (rc)
			break;
	}
	free(prev);
	free(sat);
	items_free(&it);
	if (rc)
		return rc;
	/* Stopped early: the question (saturated?) has no answer. */
	if (n <= o->count) {
		cli_warn("stat: interrupted after %" PRIu64 " of %" PRIu64
			 " samples",
			 n - 1, o->count);
		return CTL_EXIT_FAIL;
	}
	return saturated ? CTL_EXIT_CHECK : CTL_EXIT_OK;
}
