// SPDX-License-Identifier: GPL-2.0-or-later
/* qdepth show: the queues the targets lead to. */
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "qdepth.h"

enum {
	S_TARGET,
	S_DEVICE,
	S_MAJMIN,
	S_VIA,
	S_SCHED,
	S_SCHEDS,
	S_DEPTH,
	S_RANGE,
	S_RANGE_MIN,
	S_RANGE_MAX,
	S_HWDEPTH,
	S_RA,
	S_ROTA,
	S_QDEPTH,
	S_NOTE
};
static const struct ctl_col show_cols[] = {
	[S_TARGET] = QD_COL_TARGET,
	[S_DEVICE] = {"DEVICE", 0.1, 0, "queue device (kernel name)"},
	[S_MAJMIN] = {"MAJ:MIN", 6, 0, "device number"},
	[S_VIA] = {"VIA", 0.2, CTL_COL_TRUNC,
		   "how the target leads to the device"},
	[S_SCHED] = {"SCHED", 0.1, 0, "current I/O scheduler"},
	[S_SCHEDS] = {"SCHEDULERS", 0.2, 0, "registered schedulers"},
	[S_DEPTH] = {"DEPTH", 5, CTL_COL_RIGHT | CTL_COL_NUMBER, "nr_requests"},
	[S_RANGE] = {"RANGE", 8, CTL_COL_RIGHT,
		     "valid nr_requests for the current scheduler"},
	[S_RANGE_MIN] = QD_COL_RANGE_MIN,
	[S_RANGE_MAX] = QD_COL_RANGE_MAX,
	[S_HWDEPTH] = {"HWDEPTH", 5, CTL_COL_RIGHT | CTL_COL_NUMBER,
		       "hardware tag depth"},
	[S_RA] = {"RA", 5, CTL_COL_RIGHT | CTL_COL_NUMBER,
		  "read-ahead in KiB (bytes with -b)"},
	[S_ROTA] = {"ROTA", 1, CTL_COL_RIGHT | CTL_COL_BOOL, "rotational"},
	[S_QDEPTH] = {"QUEUE-DEPTH", 5, CTL_COL_RIGHT | CTL_COL_NUMBER,
		      "device/queue_depth (SCSI), where present"},
	[S_NOTE] = {"NOTE", 0.3, CTL_COL_WRAP,
		    "why a target has no request queue"},
};

/* The fields of a queue the shown columns need (nr_requests always). */
static unsigned int show_fields(const struct ctl_out *out)
{
	static const struct {
		size_t col;
		unsigned int fields;
	} need[] = {
		{S_SCHED, CTL_QUEUE_SCHED},
		{S_SCHEDS, CTL_QUEUE_SCHED},
		{S_RANGE, CTL_QUEUE_HW_DEPTH_NONE},
		{S_RANGE_MIN, CTL_QUEUE_HW_DEPTH_NONE},
		{S_RANGE_MAX, CTL_QUEUE_HW_DEPTH_NONE},
		{S_HWDEPTH, CTL_QUEUE_HW_DEPTH},
		{S_RA, CTL_QUEUE_READ_AHEAD},
		{S_ROTA, CTL_QUEUE_ROTATIONAL},
		{S_QDEPTH, CTL_QUEUE_DEV_DEPTH},
	};
	unsigned int f = 0;

	for (size_t i = 0; i < ARRAY_SIZE(need); i++)
		if (ctl_out_has(out, need[i].col))
			f |= need[i].fields;
	return f;
}

/* Read the queue of disk NAME (through DFD, or opened here when -1):
 * FIELDS and nr_requests. */
int read_queue(struct opts *o, const char *name, int dfd, unsigned int fields,
	       struct ctl_queue *q)
{
	_cleanup_close_ int own = -1;

	if (dfd < 0) {
		dfd = own = ctl_queue_open(o->root, name);
		if (dfd < 0)
			return dfd;
	}
	return ctl_queue_read_at(o->root, dfd, name, fields, q);
}

/* The metrics of queue Q of disk DEV for --textfile (qdepth(8), METRICS). */
static void queue_metrics(struct cli_prom *p, const struct ctl_queue *q,
			  const char *dev)
{
	cli_prom_metric(p, "ctl_queue_nr_requests",
			"Request queue depth of the disk (queue/nr_requests)");
	cli_prom_sample(p, (double)q->depth, "device", dev, NULL);
	if (q->have & CTL_QUEUE_READ_AHEAD) {
		cli_prom_metric(p, "ctl_queue_read_ahead_bytes",
				"Read-ahead of the disk in bytes");
		cli_prom_sample(p, (double)q->read_ahead_kb * 1024, "device",
				dev, NULL);
	}
	if ((q->have & CTL_QUEUE_SCHED) && q->sched[0]) {
		cli_prom_metric(
			p, "ctl_queue_scheduler_info",
			"I/O scheduler of the disk, 1 for the one in use");
		cli_prom_sample(p, 1, "device", dev, "scheduler", q->sched,
				NULL);
	}
}

/* Default columns: -J adds the range's bounds as numbers. */
static const char *show_defaults(const struct opts *o, int targets)
{
	if (o->cli.fmt.json)
		return targets ? "TARGET,DEVICE,SCHED,DEPTH,RANGE,RANGE-MIN,"
				 "RANGE-MAX,HWDEPTH,RA,ROTA,NOTE"
			       : "DEVICE,SCHED,DEPTH,RANGE,RANGE-MIN,RANGE-MAX,"
				 "HWDEPTH,RA,ROTA";
	return targets ? "TARGET,DEVICE,SCHED,DEPTH,RANGE,HWDEPTH,RA,ROTA,NOTE"
		       : "DEVICE,SCHED,DEPTH,RANGE,HWDEPTH,RA,ROTA";
}

int cmd_show(struct opts *o, struct ctl_strv *targets)
{
	struct cli_prom *prom = o->cli.textfile ? cli_prom_new() : NULL;
	struct items it = {0};
	struct ctl_out *out;
	unsigned int fields;
	int rc, err;

	/* The columns first: an unknown one is a usage error at once. */
	out = cli_table_new(&o->cli, "queues", show_cols, ARRAY_SIZE(show_cols),
			    show_defaults(o, targets->n != 0));
	fields = show_fields(out);
	if (prom)
		fields |= CTL_QUEUE_SCHED | CTL_QUEUE_READ_AHEAD;
	rc = collect(o, targets, 0, &it);
	for (size_t i = 0; i < it.n; i++) {
		const struct item *x = &it.v[i];
		struct ctl_row *row = cli_table_row(out);
		struct ctl_queue q;
		uint64_t min, max;
		int e;

		ctl_out_set(out, row, S_TARGET, x->target);
		ctl_out_set(out, row, S_DEVICE, x->dev.name);
		ctl_out_set(out, row, S_VIA, x->dev.via);
		if (x->dev.kind == CTL_BLK_NODEV ||
		    x->dev.kind == CTL_BLK_UNKNOWN) {
			ctl_out_set(out, row, S_NOTE, x->dev.via);
			continue;
		}
		ctl_out_setf(out, row, S_MAJMIN, "%u:%u", x->dev.major,
			     x->dev.minor);
		if (x->dev.kind == CTL_BLK_NOQUEUE) {
			ctl_out_set(out, row, S_NOTE, x->dev.via);
			continue;
		}
		e = read_queue(o, x->dev.name, x->dfd, fields, &q);
		if (e < 0) {
			/* A row without values is no answer: say so. */
			cli_warn("%s: reading queue: %s", x->dev.name,
				 strerror(-e));
			ctl_out_setf(out, row, S_NOTE, "reading queue: %s",
				     strerror(-e));
			rc = CTL_EXIT_FAIL;
			continue;
		}
		ctl_out_set(out, row, S_SCHED, q.sched);
		ctl_out_set(out, row, S_SCHEDS, q.scheds);
		ctl_out_setf(out, row, S_DEPTH, "%" PRIu64, q.depth);
		if (fields & CTL_QUEUE_HW_DEPTH_NONE) {
			ctl_queue_range(&q, q.sched, &min, &max);
			ctl_out_setf(out, row, S_RANGE, "%" PRIu64 "-%" PRIu64,
				     min, max);
			ctl_out_setf(out, row, S_RANGE_MIN, "%" PRIu64, min);
			ctl_out_setf(out, row, S_RANGE_MAX, "%" PRIu64, max);
		}
		if (q.hw_depth)
			ctl_out_setf(out, row, S_HWDEPTH, "%" PRIu64,
				     q.hw_depth);
		/* Unknown is an empty cell, never 0. */
		if (q.have & CTL_QUEUE_READ_AHEAD)
			set_ra(o, out, row, S_RA, q.read_ahead_kb);
		if (q.rotational >= 0)
			ctl_out_set(out, row, S_ROTA, q.rotational ? "1" : "0");
		if (q.dev_queue_depth)
			ctl_out_setf(out, row, S_QDEPTH, "%" PRIu64,
				     q.dev_queue_depth);
		if (x->dev.level)
			ctl_out_set(out, row, S_NOTE,
				    "serves the loop device's backing file");
		if (prom)
			queue_metrics(prom, &q, x->dev.name);
	}
	items_free(&it);
	err = cli_table_print(&o->cli, out);
	if (prom) {
		/* What was read, also when a target failed. */
		int perr = cli_prom_commit(prom, o->cli.textfile);

		err = err ? err : perr;
		cli_prom_free(prom);
	}
	return rc_max(rc, err);
}
