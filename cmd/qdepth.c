// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * qdepth: block request-queue depth, I/O scheduler, read-ahead and disk
 * saturation, for people and for udev rules.
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ctl/blk.h"
#include "ctl/cli.h"
#include "ctl/diskstats.h"
#include "ctl/file.h"
#include "ctl/log.h"
#include "ctl/out.h"
#include "ctl/parse.h"
#include "ctl/queue.h"

/* The saturation rule's sample count as a string literal, for help texts. */
#define STR_(x) #x
#define STR(x) STR_(x)
#define SAT_SAMPLES_TEXT STR(CTL_SAT_SAMPLES)

enum {
	OPT_SCHEDULER = CTL_OPT_TOOL_BASE,
	OPT_DEPTH,
	OPT_READ_AHEAD,
	OPT_CLAMP,
	OPT_SAVE,
	OPT_UDEV,
	OPT_MIN_DEPTH,
	OPT_MAX_DEPTH,
	OPT_INTERVAL,
	OPT_COUNT,
	OPT_SATURATION,
	OPT_STACK,
	OPT_IGNORE_NOQUEUE,
};

struct opts {
	struct ctl_cli cli;
	struct ctl_queue_want want;
	const char *depth_arg;
	const char *save;
	int udev;
	int stack; /* a device target includes the devices below it */
	int ignore_noqueue; /* check: a target without a queue is no failure */
	int min_depth_set, max_depth_set;
	uint64_t min_depth, max_depth;
	const char *sched_list; /* check --scheduler */
	double interval;
	uint64_t count;
	int count_set;
	double saturation; /* < 0: not asked */
	struct ctl_root *root;
	struct ctl_log log; /* --udev: the system log (libctl/log.c) */
	int all; /* no TARGET argument at all: every disk with a queue */
};

/*
 * With --udev, what ends a run early is logged too (set once the log is
 * open): udevd keeps our stderr for its debug log and says only "failed
 * with exit code 2".
 */
static struct ctl_log *fatal_log;

static _Noreturn _printf_(2, 3) void die(int rc, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (fatal_log)
		ctl_log_write(fatal_log, LOG_ERR, msg);
	errx(rc, "%s", msg);
}

static int finish(int rc)
{
	/* EPIPE is not an error in a pipeline: the reader had enough. */
	if (fflush(stdout) != 0 && errno != EPIPE) {
		warn("stdout");
		return CTL_EXIT_FAIL;
	}
	return rc;
}

static void usage(void)
{
	fputs("usage: qdepth [show] [--stack] [options] [TARGET ...]\n"
	      "       qdepth set [--scheduler NAME] [--depth N|max] [--read-ahead KB]\n"
	      "              [--clamp] [--stack] [--dry-run] [--save FILE] [--udev] TARGET ...\n"
	      "       qdepth check [--min-depth N] [--max-depth N]\n"
	      "              [--scheduler NAME[,NAME ...]] [--stack] [--ignore-noqueue]\n"
	      "              TARGET ...\n"
	      "       qdepth stat [--interval SEC] [--count N] [--saturation PCT] [--stack]\n"
	      "              TARGET ...\n"
	      "       qdepth restore [--dry-run] FILE\n"
	      "\n"
	      "TARGET: a device - kernel name (sda), /dev node, MAJ:MIN, UUID=, LABEL= -\n"
	      "means that device (a partition: its disk); --stack adds the devices below\n"
	      "it. Any other path means every queue that serves the file. - reads\n"
	      "targets from stdin.\n"
	      "\n"
	      "Common options:\n" CTL_CLI_HELP_OUTPUT
	      "      --sysroot DIR   read /sys and /proc under DIR\n" CTL_CLI_HELP_INFO
	      "\n"
	      "See qdepth(8) for the columns of each subcommand.\n",
	      stdout);
}

/* ---- output columns ---- */

enum {
	S_TARGET,
	S_DEVICE,
	S_MAJMIN,
	S_VIA,
	S_SCHED,
	S_SCHEDS,
	S_DEPTH,
	S_RANGE,
	S_HWDEPTH,
	S_RA,
	S_ROTA,
	S_QDEPTH,
	S_NOTE
};
static const struct ctl_col show_cols[] = {
	[S_TARGET] = {"TARGET", 0.2, CTL_COL_TRUNC, "the target as given"},
	[S_DEVICE] = {"DEVICE", 0.1, 0, "queue device (kernel name)"},
	[S_MAJMIN] = {"MAJ:MIN", 6, 0, "device number"},
	[S_VIA] = {"VIA", 0.2, CTL_COL_TRUNC,
		   "how the target leads to the device"},
	[S_SCHED] = {"SCHED", 0.1, 0, "current I/O scheduler"},
	[S_SCHEDS] = {"SCHEDULERS", 0.2, 0, "registered schedulers"},
	[S_DEPTH] = {"DEPTH", 5, CTL_COL_RIGHT | CTL_COL_NUMBER, "nr_requests"},
	[S_RANGE] = {"RANGE", 8, CTL_COL_RIGHT,
		     "valid nr_requests for the current scheduler"},
	[S_HWDEPTH] = {"HWDEPTH", 5, CTL_COL_RIGHT | CTL_COL_NUMBER,
		       "hardware tag depth"},
	[S_RA] = {"RA", 5, CTL_COL_RIGHT | CTL_COL_NUMBER, "read-ahead in KiB"},
	[S_ROTA] = {"ROTA", 1, CTL_COL_RIGHT | CTL_COL_BOOL, "rotational"},
	[S_QDEPTH] = {"QUEUE-DEPTH", 5, CTL_COL_RIGHT | CTL_COL_NUMBER,
		      "device/queue_depth (SCSI), where present"},
	[S_NOTE] = {"NOTE", 0.3, CTL_COL_WRAP,
		    "why a target has no request queue"},
};

enum {
	A_TARGET,
	A_DEVICE,
	A_OLD_SCHED,
	A_SCHED,
	A_OLD_DEPTH,
	A_DEPTH,
	A_RANGE,
	A_OLD_RA,
	A_RA,
	A_RESULT,
	A_NOTE
};
static const struct ctl_col set_cols[] = {
	[A_TARGET] = {"TARGET", 0.2, CTL_COL_TRUNC, "the target as given"},
	[A_DEVICE] = {"DEVICE", 0.1, 0, "queue device"},
	[A_OLD_SCHED] = {"OLD-SCHED", 0.1, 0, "scheduler before"},
	[A_SCHED] = {"SCHED", 0.1, 0, "scheduler after (read back)"},
	[A_OLD_DEPTH] = {"OLD-DEPTH", 5, CTL_COL_RIGHT | CTL_COL_NUMBER,
			 "nr_requests before"},
	[A_DEPTH] = {"DEPTH", 5, CTL_COL_RIGHT | CTL_COL_NUMBER,
		     "nr_requests after (read back)"},
	[A_RANGE] = {"RANGE", 8, CTL_COL_RIGHT,
		     "valid nr_requests for the new scheduler"},
	[A_OLD_RA] = {"OLD-RA", 5, CTL_COL_RIGHT | CTL_COL_NUMBER,
		      "read-ahead KiB before"},
	[A_RA] = {"RA", 5, CTL_COL_RIGHT | CTL_COL_NUMBER,
		  "read-ahead KiB after"},
	[A_RESULT] =
		{"RESULT", 0.1, 0,
		 "applied, unchanged, clamped, rejected, not applicable, failed, planned, skipped, rolled back"},
	[A_NOTE] = {"NOTE", 0.3, CTL_COL_WRAP, "reason or detail"},
};

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
	[T_DEVICE] = {"DEVICE", 0.1, 0, "queue device"},
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

/* ---- targets ---- */

struct item {
	const char *target;
	struct ctl_blkdev dev;
	int err; /* the target did not resolve: -errno, dev unused */
};

struct items {
	struct item *v;
	size_t n;
	struct ctl_blk_list devs;
};

static int rc_max(int a, int b)
{
	/* Report the most serious failure: 3/4 over 2 over 1. */
	if (a == CTL_EXIT_FAIL || b == CTL_EXIT_FAIL)
		return CTL_EXIT_FAIL;
	return a > b ? a : b;
}

static const char *resolve_hint(int err)
{
	switch (-err) {
	case EINVAL:
		return "not a valid device name";
	case ENODEV:
		return "no such block device";
	case ENOENT:
		return "no such file or device";
	case ENOTSUP:
		return "libblkid is not available to resolve tags";
	default:
		return strerror(-err);
	}
}

/* What a target means: see "A target names one thing" in qdepth(8). */
static unsigned resolve_flags(const struct opts *o)
{
	return CTL_BLK_FOLLOW_LOOP | (o->stack ? CTL_BLK_STACK : 0);
}

/*
 * Resolve all targets (or every queue when there are none). A target that
 * does not resolve is warned about and left out, or, with KEEP_FAILED,
 * kept as an item of its own (set reports it in its place).
 */
static int collect(struct opts *o, struct ctl_strv *targets, int keep_failed,
		   struct items *it)
{
	unsigned flags = resolve_flags(o);
	int rc = CTL_EXIT_OK;

	if (o->all) {
		int err = ctl_blk_list_queues(o->root, &it->devs);

		if (err < 0) {
			warnx("/sys/block: %s", strerror(-err));
			return CTL_EXIT_FAIL;
		}
	}
	it->v = calloc(it->devs.n + 1, sizeof(*it->v));
	if (!it->v)
		err(CTL_EXIT_FAIL, NULL);
	for (size_t i = 0; i < it->devs.n; i++)
		it->v[it->n++] = (struct item){"", it->devs.v[i], 0};

	for (size_t t = 0; t < targets->n; t++) {
		struct ctl_blk_list l = {0};
		int e = ctl_blk_resolve(o->root, targets->v[t], flags, &l);

		it->v = realloc(it->v, (it->n + l.n + 1) * sizeof(*it->v));
		if (!it->v)
			err(CTL_EXIT_FAIL, NULL);
		if (e < 0) {
			if (keep_failed)
				it->v[it->n++] = (struct item){
					.target = targets->v[t], .err = e};
			else
				warnx("%s: %s", targets->v[t], resolve_hint(e));
			rc = rc_max(rc, e == -EINVAL ? CTL_EXIT_USAGE
						     : CTL_EXIT_FAIL);
			ctl_blk_list_free(&l);
			continue;
		}
		for (size_t i = 0; i < l.n; i++)
			it->v[it->n++] =
				(struct item){targets->v[t], l.v[i], 0};
		ctl_blk_list_free(&l);
	}
	return rc;
}

/* One entry per queue: `set sda sda1` must not write sda twice. */
static void dedupe_queues(struct items *it)
{
	size_t n = 0;

	for (size_t i = 0; i < it->n; i++) {
		size_t j;

		for (j = 0; j < n; j++)
			if (!it->v[i].err && !it->v[j].err &&
			    it->v[i].dev.kind == CTL_BLK_QUEUE &&
			    it->v[j].dev.kind == CTL_BLK_QUEUE &&
			    strcmp(it->v[j].dev.name, it->v[i].dev.name) == 0)
				break;
		if (j == n)
			it->v[n++] = it->v[i];
	}
	it->n = n;
}

static void items_free(struct items *it)
{
	free(it->v);
	ctl_blk_list_free(&it->devs);
}

static struct ctl_out *new_out(struct opts *o, const char *name,
			       const struct ctl_col *cols, size_t n,
			       const char *defaults)
{
	struct ctl_out *out;
	const char *bad = NULL;
	int err;

	err = ctl_out_new(name, cols, n, defaults, &o->cli.fmt, &out, &bad);
	if (err == -EINVAL)
		die(CTL_EXIT_USAGE, "unknown column '%.*s' (see --help)",
		    (int)strcspn(bad, ","), bad);
	if (err < 0)
		die(CTL_EXIT_FAIL, "output: %s", strerror(-err));
	return out;
}

static int print_out(struct opts *o, struct ctl_out *out)
{
	int err = 0;

	if (!o->cli.quiet)
		err = ctl_out_print(out, stdout);
	ctl_out_free(out);
	return err < 0 ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}

/* ---- show ---- */

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

/* Read the queue of disk NAME: FIELDS and nr_requests. */
static int read_queue(struct opts *o, const char *name, unsigned int fields,
		      struct ctl_queue *q)
{
	int dfd = ctl_queue_open(o->root, name), e;

	if (dfd < 0)
		return dfd;
	e = ctl_queue_read_at(o->root, dfd, name, fields, q);
	close(dfd);
	return e;
}

static int cmd_show(struct opts *o, struct ctl_strv *targets)
{
	struct items it = {0};
	struct ctl_out *out;
	unsigned int fields;
	int rc;

	/* The columns first: an unknown one is a usage error at once. */
	out = new_out(
		o, "queues", show_cols, ARRAY_SIZE(show_cols),
		targets->n
			? "TARGET,DEVICE,SCHED,DEPTH,RANGE,HWDEPTH,RA,ROTA,NOTE"
			: "DEVICE,SCHED,DEPTH,RANGE,HWDEPTH,RA,ROTA");
	fields = show_fields(out);
	rc = collect(o, targets, 0, &it);
	for (size_t i = 0; i < it.n; i++) {
		const struct item *x = &it.v[i];
		struct ctl_row *row = ctl_out_row(out);
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
		e = read_queue(o, x->dev.name, fields, &q);
		if (e < 0) {
			/* A row without values is no answer: say so. */
			warnx("%s: reading queue: %s", x->dev.name,
			      strerror(-e));
			ctl_out_setf(out, row, S_NOTE, "reading queue: %s",
				     strerror(-e));
			rc = CTL_EXIT_FAIL;
			continue;
		}
		ctl_out_set(out, row, S_SCHED, q.sched);
		ctl_out_set(out, row, S_SCHEDS, q.scheds);
		ctl_out_setf(out, row, S_DEPTH, "%" PRIu64, q.depth);
		if (ctl_out_has(out, S_RANGE)) {
			ctl_queue_range(&q, q.sched, &min, &max);
			ctl_out_setf(out, row, S_RANGE, "%" PRIu64 "-%" PRIu64,
				     min, max);
		}
		if (q.hw_depth)
			ctl_out_setf(out, row, S_HWDEPTH, "%" PRIu64,
				     q.hw_depth);
		/* Unknown is an empty cell, never 0. */
		if (q.have & CTL_QUEUE_READ_AHEAD)
			ctl_out_setf(out, row, S_RA, "%" PRIu64,
				     q.read_ahead_kb);
		if (q.rotational >= 0)
			ctl_out_set(out, row, S_ROTA, q.rotational ? "1" : "0");
		if (q.dev_queue_depth)
			ctl_out_setf(out, row, S_QDEPTH, "%" PRIu64,
				     q.dev_queue_depth);
		if (x->dev.level)
			ctl_out_set(out, row, S_NOTE,
				    "serves the loop device's backing file");
	}
	items_free(&it);
	return rc_max(rc, print_out(o, out));
}

/* ---- set and restore ---- */

/*
 * One queue to change, or a target that names none, and its outcome.
 * set and restore run a batch of jobs all or nothing: plan every one,
 * write only when all plans hold, undo the written ones when a write
 * fails.
 */
struct job {
	const char *target; /* as given, or the save file */
	const char *name; /* queue device; "" for a target without one */
	unsigned int major, minor; /* its number, for the lock */
	unsigned int level; /* 0 serves the target, 1+ below a loop file */
	int unresolved; /* the target names no device: stops the batch */
	int unknown; /* below a loop file that cannot be followed */
	int dfd; /* the disk's sysfs directory (ctl_queue_open), or -1 */
	struct ctl_queue_want want;
	struct ctl_queue_change c;
};

static const char *job_name(const struct job *j)
{
	return j->name[0] ? j->name : j->target;
}

static void set_row(struct ctl_out *out, const struct job *j)
{
	const struct ctl_queue_change *c = &j->c;
	struct ctl_row *row = ctl_out_row(out);
	const struct ctl_queue *a = &c->after, *b = &c->before;

	ctl_out_set(out, row, A_TARGET, j->target);
	ctl_out_set(out, row, A_DEVICE, j->name);
	ctl_out_set(out, row, A_RESULT, ctl_queue_result_name(c->result));
	ctl_out_set(out, row, A_NOTE, c->why);
	if (!b->name[0] || c->result == CTL_QUEUE_NA)
		return;
	ctl_out_set(out, row, A_OLD_SCHED, b->sched);
	ctl_out_setf(out, row, A_OLD_DEPTH, "%" PRIu64, b->depth);
	/* Read only when changed, saved or shown; unknown is no 0. */
	if (b->have & CTL_QUEUE_READ_AHEAD)
		ctl_out_setf(out, row, A_OLD_RA, "%" PRIu64, b->read_ahead_kb);
	if (c->result == CTL_QUEUE_PLANNED) {
		ctl_out_set(out, row, A_SCHED, c->sched);
		if (c->depth)
			ctl_out_setf(out, row, A_DEPTH, "%" PRIu64, c->depth);
	} else {
		ctl_out_set(out, row, A_SCHED, a->sched);
		ctl_out_setf(out, row, A_DEPTH, "%" PRIu64, a->depth);
		if (a->have & CTL_QUEUE_READ_AHEAD)
			ctl_out_setf(out, row, A_RA, "%" PRIu64,
				     a->read_ahead_kb);
	}
	if (c->max)
		ctl_out_setf(out, row, A_RANGE, "%" PRIu64 "-%" PRIu64, c->min,
			     c->max);
}

/* The line of job J in udev mode: "NAME: RESULT[: values][ (why)]". */
static void job_line(const struct job *j, char *buf, size_t len)
{
	const struct ctl_queue_change *c = &j->c;
	size_t n;

	snprintf(buf, len, "%s: %s", job_name(j),
		 ctl_queue_result_name(c->result));
	n = strlen(buf);
	switch (c->result) {
	case CTL_QUEUE_NA:
	case CTL_QUEUE_REJECTED:
	case CTL_QUEUE_SKIPPED:
		break;
	case CTL_QUEUE_PLANNED:
		snprintf(buf + n, len - n,
			 ": scheduler %s -> %s, depth %" PRIu64 " -> %" PRIu64,
			 c->before.sched, c->sched, c->before.depth,
			 c->depth ? c->depth : c->before.depth);
		break;
	default:
		if (c->before.name[0])
			snprintf(buf + n, len - n,
				 ": scheduler %s -> %s, depth %" PRIu64
				 " -> %" PRIu64,
				 c->before.sched, c->after.sched,
				 c->before.depth, c->after.depth);
	}
	n = strlen(buf);
	if (c->why[0])
		snprintf(buf + n, len - n, " (%s)", c->why);
}

static int job_prio(const struct job *j)
{
	switch (j->c.result) {
	case CTL_QUEUE_REJECTED:
	case CTL_QUEUE_FAILED:
		return LOG_ERR;
	case CTL_QUEUE_SKIPPED:
	case CTL_QUEUE_ROLLED_BACK:
		return LOG_WARNING;
	default:
		return LOG_INFO;
	}
}

/*
 * One line per target and device: to the system log, where an operator
 * sees it, and on stderr as before (udevd's debug log, a run by hand).
 */
static void udev_log(struct opts *o, const struct job *j)
{
	char line[1024];

	job_line(j, line, sizeof(line));
	fprintf(stderr, "qdepth: %s\n", line);
	ctl_log_write(&o->log, job_prio(j), line);
}

/* Outside udev: a line on stderr for each job that did not do its part. */
static void warn_job(const struct job *j)
{
	switch (j->c.result) {
	case CTL_QUEUE_NA:
		/* A file system under a loop device's backing file (tmpfs,
		 * say) is a note of the table, not a failure of the target. */
		if (j->level && !j->unknown)
			break;
		/* fall through */
	case CTL_QUEUE_REJECTED:
	case CTL_QUEUE_FAILED:
	case CTL_QUEUE_SKIPPED:
	case CTL_QUEUE_ROLLED_BACK:
		warnx("%s: %s", job_name(j), j->c.why);
		break;
	default:
		break;
	}
}

static int job_rc(const struct job *j, int udev)
{
	const struct ctl_queue_change *c = &j->c;

	switch (c->result) {
	case CTL_QUEUE_REJECTED:
		return c->err == -ENOENT ? CTL_EXIT_UNSUPP : CTL_EXIT_USAGE;
	case CTL_QUEUE_FAILED:
		return ctl_exit_for(c->err);
	case CTL_QUEUE_NA:
		return udev || (j->level && !j->unknown) ? CTL_EXIT_OK
							 : CTL_EXIT_UNSUPP;
	case CTL_QUEUE_SKIPPED:
		/* Outside udev the job that stopped the batch gives the
		 * status; in udev mode that one may be "not applicable". */
		return udev ? CTL_EXIT_FAIL : CTL_EXIT_OK;
	case CTL_QUEUE_ROLLED_BACK:
		return CTL_EXIT_FAIL;
	default:
		return CTL_EXIT_OK;
	}
}

/* How long a set waits for another qdepth changing the same queue. */
#define LOCK_WAIT_MS 30000

static int cmp_devno(const void *a, const void *b)
{
	const struct job *x = *(const struct job *const *)a;
	const struct job *y = *(const struct job *const *)b;

	if (x->major != y->major)
		return x->major < y->major ? -1 : 1;
	return x->minor < y->minor ? -1 : x->minor > y->minor;
}

/*
 * One writer per device: lock the queue of every job with a device
 * number, in number order so that two runs never wait on each other in a
 * circle. A queue that cannot be locked fails its job (C is set). Returns
 * the lock fds to hand to unlock_jobs().
 */
static int *lock_jobs(struct opts *o, struct job *j, size_t n)
{
	struct job **order = calloc(n + 1, sizeof(*order));
	int *fds = malloc((n + 1) * sizeof(*fds));
	size_t k = 0;

	if (!order || !fds)
		err(CTL_EXIT_FAIL, NULL);
	for (size_t i = 0; i <= n; i++)
		fds[i] = i < n ? -1 : -2; /* -2 ends the list */
	for (size_t i = 0; i < n; i++)
		if (j[i].name[0] && (j[i].major || j[i].minor))
			order[k++] = &j[i];
	qsort(order, k, sizeof(*order), cmp_devno);
	for (size_t i = 0; i < k; i++) {
		struct ctl_queue_change *c = &order[i]->c;
		int fd;

		/* A queue named twice (a save file may) is locked once: a
		 * second flock of our own would wait for the first. */
		if (i && !cmp_devno(&order[i - 1], &order[i]))
			continue;
		fd = ctl_queue_lock(o->root, order[i]->major, order[i]->minor,
				    LOCK_WAIT_MS);
		if (fd >= 0) {
			fds[i] = fd;
			continue;
		}
		c->result = CTL_QUEUE_FAILED;
		c->err = fd;
		if (fd == -ETIMEDOUT)
			snprintf(c->why, sizeof(c->why),
				 "another qdepth is changing this queue: "
				 "waited %d s for " CTL_QUEUE_LOCK_DIR
				 "/%u:%u.lock",
				 LOCK_WAIT_MS / 1000, order[i]->major,
				 order[i]->minor);
		else
			snprintf(c->why, sizeof(c->why),
				 "cannot lock " CTL_QUEUE_LOCK_DIR
				 "/%u:%u.lock: %s%s",
				 order[i]->major, order[i]->minor,
				 strerror(-fd),
				 (fd == -EPERM || fd == -EACCES) && geteuid()
					 ? " (run as root)"
					 : "");
	}
	free(order);
	return fds;
}

static void unlock_jobs(int *fds)
{
	for (size_t i = 0; fds && fds[i] != -2; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
}

/*
 * Open the disk of job J (once: apply and roll back use the same fd), read
 * what its plan and FIELDS need, and plan its WANT into J->c. Returns 0 if
 * applicable.
 */
static int plan_one(struct opts *o, struct job *j, unsigned int fields)
{
	struct ctl_queue_change *c = &j->c;
	struct ctl_queue q;
	int err, loadable = 0;

	memset(c, 0, sizeof(*c));
	if (j->dfd < 0)
		j->dfd = ctl_queue_open(o->root, j->name);
	err = j->dfd < 0
		      ? j->dfd
		      : ctl_queue_read_at(
				o->root, j->dfd, j->name,
				fields | ctl_queue_plan_fields(&j->want), &q);
	if (err < 0) {
		c->result = CTL_QUEUE_FAILED;
		c->err = err;
		snprintf(c->why, sizeof(c->why), "reading queue: %s",
			 strerror(-err));
		return err;
	}
	/* The number the lock was taken by, unless read here. */
	if (!(fields & CTL_QUEUE_DEVNO)) {
		q.major = j->major;
		q.minor = j->minor;
	}
	/* A value that cannot be read can be neither put back nor saved;
	 * without the scheduler, the depth has no range either. */
	if (!(q.have & CTL_QUEUE_SCHED)) {
		c->result = CTL_QUEUE_FAILED;
		c->err = -ENODATA;
		snprintf(c->why, sizeof(c->why),
			 "scheduler cannot be read: no range for the depth, "
			 "nothing to put back");
		return c->err;
	}
	if (!(q.have & CTL_QUEUE_READ_AHEAD) &&
	    (j->want.set_read_ahead || (o->save && !o->cli.dry_run))) {
		c->result = CTL_QUEUE_FAILED;
		c->err = -ENODATA;
		snprintf(c->why, sizeof(c->why),
			 "read_ahead_kb cannot be read: %s",
			 j->want.set_read_ahead
				 ? "a failed change could not put it back"
				 : "--save could not record it");
		return c->err;
	}
	/* Not registered: try its module (a dry run only looks it up); if
	 * there is none, the plan names the registered ones. */
	if (j->want.sched)
		loadable = ctl_queue_ensure_sched(o->root, &q, j->want.sched,
						  o->cli.dry_run) == 1;
	err = ctl_queue_plan(&q, &j->want, c);
	if (!err && loadable) {
		size_t len = strlen(c->why);

		snprintf(c->why + len, sizeof(c->why) - len,
			 "%smodule %s-iosched would be loaded", len ? "; " : "",
			 j->want.sched);
	}
	return err;
}

static void close_jobs(struct job *j, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (j[i].dfd >= 0)
			close(j[i].dfd);
}

/*
 * The first job that stops the batch: a target that does not resolve, a
 * rejected or failed one, or (but in udev mode) a target with no queue or
 * a device below it that cannot be found.
 */
static const struct job *blocker(const struct job *j, size_t n, int udev)
{
	for (size_t i = 0; i < n; i++)
		switch (j[i].unresolved ? CTL_QUEUE_FAILED : j[i].c.result) {
		case CTL_QUEUE_REJECTED:
		case CTL_QUEUE_FAILED:
			return &j[i];
		case CTL_QUEUE_NA:
			if (!udev && (!j[i].level || j[i].unknown))
				return &j[i];
			break;
		default:
			break;
		}
	return NULL;
}

/* Jobs still planned are not run; WHY completes "not changed". */
static void skip_planned(struct job *j, size_t n, const char *why)
{
	for (size_t i = 0; i < n; i++) {
		if (j[i].c.result != CTL_QUEUE_PLANNED)
			continue;
		j[i].c.result = CTL_QUEUE_SKIPPED;
		snprintf(j[i].c.why, sizeof(j[i].c.why), "not changed%s", why);
	}
}

/* Skip the planned jobs because of job B. */
static void skip_for(struct job *j, size_t n, const struct job *b)
{
	char why[sizeof(b->c.why) + 2];

	/* Below a loop file, the target is the others' too: say why. */
	if (!b->name[0] && b->level)
		snprintf(why, sizeof(why), ": %s", b->c.why);
	else
		snprintf(why, sizeof(why), " because of %.64s", job_name(b));
	skip_planned(j, n, why);
}

/* Put back the queues the first N jobs changed, because of WHY. */
static void roll_back(struct job *j, size_t n, const char *why)
{
	for (size_t i = 0; i < n; i++) {
		struct ctl_queue_change *c = &j[i].c;

		if (c->result != CTL_QUEUE_APPLIED &&
		    c->result != CTL_QUEUE_CLAMPED)
			continue;
		if (ctl_queue_revert_at(j[i].dfd, c) == 0)
			snprintf(c->why, sizeof(c->why), "rolled back: %s",
				 why);
	}
}

/*
 * Apply every planned job in order. When one fails, the ones before it
 * are rolled back and the ones after it skipped. Returns the failed job.
 */
static const struct job *apply_jobs(struct job *j, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct ctl_queue_change *c = &j[i].c;
		int err;
		size_t len;
		char why[128];

		if (c->result != CTL_QUEUE_PLANNED)
			continue;
		err = ctl_queue_apply_at(j[i].dfd, &j[i].want, c);
		len = strlen(c->why);
		if (err == -EACCES || err == -EPERM)
			snprintf(c->why + len, sizeof(c->why) - len,
				 " (run as root)");
		if (c->result != CTL_QUEUE_FAILED)
			continue;
		snprintf(why, sizeof(why), "%s failed", job_name(&j[i]));
		roll_back(j, i, why);
		skip_for(j, n, &j[i]);
		return &j[i];
	}
	return NULL;
}

/*
 * Run the planned batch: nothing when a job stops it, else apply it (not
 * in a dry run). Returns 0 when every job did its part.
 */
static int run_jobs(struct opts *o, struct job *j, size_t n)
{
	const struct job *b = blocker(j, n, o->udev);

	if (b) {
		skip_for(j, n, b);
		return -1;
	}
	if (o->cli.dry_run)
		return 0;
	return apply_jobs(j, n) ? -1 : 0;
}

/*
 * The table of set or restore, made before anything is read or changed:
 * an unknown column is a usage error, and exit 2 must mean that nothing
 * was done. FIELDS gets what its columns need read beyond the plan.
 */
static struct ctl_out *jobs_out(struct opts *o, const char *defaults,
				unsigned int *fields)
{
	struct ctl_out *out =
		new_out(o, "changes", set_cols, ARRAY_SIZE(set_cols), defaults);

	if (ctl_out_has(out, A_OLD_RA) || ctl_out_has(out, A_RA))
		*fields |= CTL_QUEUE_READ_AHEAD;
	return out;
}

/* Report the jobs: the table OUT, a line per problem; returns the status. */
static int report_jobs(struct opts *o, struct ctl_out *out, const struct job *j,
		       size_t n)
{
	int rc = CTL_EXIT_OK;

	for (size_t i = 0; i < n; i++) {
		if (o->udev)
			udev_log(o, &j[i]);
		else
			warn_job(&j[i]);
		set_row(out, &j[i]);
		rc = rc_max(rc, job_rc(&j[i], o->udev));
	}
	if (o->udev)
		o->cli.quiet = 1; /* udev discards stdout: log only */
	return rc_max(rc, print_out(o, out));
}

static void warn_save(const char *path, int e)
{
	warnx("%s: cannot write save file: %s%s", path, ctl_file_strerror(-e),
	      e == -ENOENT ? " (does the directory exist?)" : "");
}

/*
 * Whether --save FILE can be written, asked before anything is changed:
 * a change that cannot be undone is not made. Returns 0 or -errno.
 */
static int save_dir_ok(const char *path)
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX];
	struct stat st;

	/* rename(2) would replace a FIFO, and fail on a directory late. */
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return S_ISDIR(st.st_mode) ? -EISDIR : -CTL_ENOTREG;
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else if (snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path),
			  path) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	return access(dir, W_OK) < 0 ? -errno : 0;
}

/* Record the queues' values from before the change in --save FILE. */
static int save_before(struct opts *o, const struct job *j, size_t n)
{
	struct ctl_queue *qs = calloc(n + 1, sizeof(*qs));
	size_t k = 0;
	int e;

	if (!qs)
		err(CTL_EXIT_FAIL, NULL);
	for (size_t i = 0; i < n; i++)
		if (j[i].c.before.name[0])
			qs[k++] = j[i].c.before;
	e = ctl_queue_save(o->save, qs, k);
	free(qs);
	if (e < 0)
		warn_save(o->save, e);
	return e;
}

static int cmd_set(struct opts *o, struct ctl_strv *targets)
{
	struct items it = {0};
	struct ctl_out *out;
	struct job *jobs;
	unsigned int fields = 0;
	int rc, e, *locks;

	if (!o->want.sched && !o->want.set_depth && !o->want.set_read_ahead)
		die(CTL_EXIT_USAGE,
		    "set: nothing to do; give --scheduler, --depth or --read-ahead");
	if (o->all)
		die(CTL_EXIT_USAGE, "set: no TARGET given");
	out = jobs_out(
		o, "TARGET,DEVICE,OLD-SCHED,SCHED,OLD-DEPTH,DEPTH,RESULT,NOTE",
		&fields);
	/* --save records the read-ahead too. */
	if (o->save && !o->cli.dry_run)
		fields |= CTL_QUEUE_READ_AHEAD;
	collect(o, targets, 1, &it);
	dedupe_queues(&it);
	jobs = calloc(it.n + 1, sizeof(*jobs));
	if (!jobs)
		err(CTL_EXIT_FAIL, NULL);
	for (size_t i = 0; i < it.n; i++) {
		const struct item *x = &it.v[i];

		jobs[i] = (struct job){
			.target = x->target,
			.name = x->dev.name,
			.major = x->dev.kind == CTL_BLK_QUEUE ? x->dev.major
							      : 0,
			.minor = x->dev.kind == CTL_BLK_QUEUE ? x->dev.minor
							      : 0,
			.level = x->dev.level,
			.unresolved = x->err != 0,
			.unknown = x->dev.kind == CTL_BLK_UNKNOWN,
			.dfd = -1,
			.want = o->want};
	}
	/* The plans read the queues under the lock: what --save records is
	 * what this run replaces. A dry run writes nothing, locks nothing. */
	locks = o->cli.dry_run ? NULL : lock_jobs(o, jobs, it.n);
	/* Plan everything first: one rejected device means no writes. */
	for (size_t i = 0; i < it.n; i++) {
		const struct item *x = &it.v[i];
		struct job *j = &jobs[i];
		struct ctl_queue_change *c = &j->c;

		if (c->result == CTL_QUEUE_FAILED)
			continue; /* its lock failed */
		if (x->err) {
			/* In udev mode a device gone by the time the rule
			 * runs is one the change does not apply to. */
			c->result = o->udev		? CTL_QUEUE_NA
				    : x->err == -EINVAL ? CTL_QUEUE_REJECTED
							: CTL_QUEUE_FAILED;
			c->err = x->err;
			snprintf(c->why, sizeof(c->why), "%s",
				 resolve_hint(x->err));
		} else if (x->dev.kind != CTL_BLK_QUEUE) {
			c->result = CTL_QUEUE_NA;
			snprintf(c->why, sizeof(c->why), "%s", x->dev.via);
		} else if (plan_one(o, j, fields) < 0 && o->udev &&
			   c->result == CTL_QUEUE_REJECTED &&
			   c->before.sched_fixed) {
			/* The rule's scheduler on a queue that takes none:
			 * the rule does not apply to this device. */
			c->result = CTL_QUEUE_NA;
		}
	}
	e = o->save && !o->cli.dry_run ? save_dir_ok(o->save) : 0;
	if (e < 0) {
		/* A change that cannot be undone is not made... */
		warn_save(o->save, e);
		skip_planned(jobs, it.n, ": the save file cannot be written");
	} else if (run_jobs(o, jobs, it.n) == 0 && o->save && !o->cli.dry_run &&
		   (e = save_before(o, jobs, it.n)) < 0) {
		/* ... nor kept. */
		roll_back(jobs, it.n, "the save file cannot be written");
	}
	rc = report_jobs(o, out, jobs, it.n);
	if (e < 0)
		rc = CTL_EXIT_FAIL;
	close_jobs(jobs, it.n);
	unlock_jobs(locks);
	free(jobs);
	items_free(&it);
	return rc;
}

/* 0 (and C failed) when the saved device number is not today's. */
static int same_disk(const struct ctl_queue *saved, const struct ctl_queue *now,
		     struct ctl_queue_change *c)
{
	if (!saved->major ||
	    (saved->major == now->major && saved->minor == now->minor))
		return 1;
	c->result = CTL_QUEUE_FAILED;
	c->err = -ENODEV;
	snprintf(
		c->why, sizeof(c->why),
		"saved as %u:%u, now %u:%u: another disk has this name; not restored",
		saved->major, saved->minor, now->major, now->minor);
	return 0;
}

static int cmd_restore(struct opts *o, const char *file)
{
	struct ctl_queue *qs = NULL;
	struct ctl_out *out;
	struct job *jobs;
	unsigned int fields = CTL_QUEUE_DEVNO; /* same disk as saved? */
	size_t n = 0;
	int rc, e, *locks;

	out = jobs_out(
		o,
		"DEVICE,OLD-SCHED,SCHED,OLD-DEPTH,DEPTH,OLD-RA,RA,RESULT,NOTE",
		&fields);
	e = ctl_queue_load(file, &qs, &n);
	switch (-e) {
	case 0:
		break;
	case EBADMSG:
		die(CTL_EXIT_USAGE,
		    "%s: no valid end marker (the file may be cut short or edited); nothing restored",
		    file);
	case ENOMSG:
		die(CTL_EXIT_USAGE, "%s: not a qdepth save file", file);
	case EFBIG:
		die(CTL_EXIT_USAGE, "%s: too large for a qdepth save file",
		    file);
	case EISDIR:
	case CTL_ENOTREG:
		die(CTL_EXIT_USAGE, "%s: %s", file, ctl_file_strerror(-e));
	default:
		die(CTL_EXIT_FAIL, "%s: %s", file, ctl_file_strerror(-e));
	}
	if (!n)
		die(CTL_EXIT_UNSUPP, "%s: no records; nothing to restore",
		    file);
	jobs = calloc(n + 1, sizeof(*jobs));
	if (!jobs)
		err(CTL_EXIT_FAIL, NULL);
	for (size_t i = 0; i < n; i++) {
		struct job *j = &jobs[i];
		struct ctl_queue now;

		*j = (struct job){
			.target = file,
			.name = qs[i].name,
			.want = {.sched = qs[i].sched[0] ? qs[i].sched : NULL,
				 .set_depth = true,
				 .depth = qs[i].depth,
				 .set_read_ahead = true,
				 .read_ahead_kb = qs[i].read_ahead_kb},
			.dfd = ctl_queue_open(o->root, qs[i].name),
		};
		/* Locked by today's number; a disk gone fails its plan. */
		if (j->dfd >= 0 &&
		    ctl_queue_read_at(o->root, j->dfd, j->name, CTL_QUEUE_DEVNO,
				      &now) == 0) {
			j->major = now.major;
			j->minor = now.minor;
		}
	}
	locks = o->cli.dry_run ? NULL : lock_jobs(o, jobs, n);
	for (size_t i = 0; i < n; i++) {
		struct job *j = &jobs[i];

		if (j->c.result != CTL_QUEUE_FAILED &&
		    plan_one(o, j, fields) == 0)
			same_disk(&qs[i], &j->c.before, &j->c);
	}
	run_jobs(o, jobs, n);
	rc = report_jobs(o, out, jobs, n);
	close_jobs(jobs, n);
	unlock_jobs(locks);
	free(jobs);
	free(qs);
	return rc;
}

/* ---- check ---- */

static int cmd_check(struct opts *o, struct ctl_strv *targets)
{
	struct items it = {0};
	int rc, bad = 0, checked = 0;

	if (!o->min_depth_set && !o->max_depth_set && !o->sched_list)
		die(CTL_EXIT_USAGE,
		    "check: give --min-depth, --max-depth or --scheduler");
	/* No depth meets both: every queue would fail, whatever it is. */
	if (o->min_depth_set && o->max_depth_set && o->min_depth > o->max_depth)
		die(CTL_EXIT_USAGE,
		    "check: --min-depth %" PRIu64
		    " is above --max-depth %" PRIu64,
		    o->min_depth, o->max_depth);
	rc = collect(o, targets, 0, &it);
	dedupe_queues(&it);
	for (size_t i = 0; i < it.n; i++) {
		const struct item *x = &it.v[i];
		const char *name = x->dev.name[0] ? x->dev.name : x->target;
		struct ctl_queue q;
		int e;

		if (x->dev.kind != CTL_BLK_QUEUE) {
			/* Below a loop device's backing file: a note only,
			 * unless what is there cannot be found. */
			if (x->dev.level && x->dev.kind != CTL_BLK_UNKNOWN)
				continue;
			if (!o->ignore_noqueue) {
				warnx("%s: %s", name, x->dev.via);
				rc = rc_max(rc, CTL_EXIT_UNSUPP);
			} else if (!o->cli.quiet) {
				warnx("%s: %s; ignored", name, x->dev.via);
			}
			continue;
		}
		e = read_queue(o, name, o->sched_list ? CTL_QUEUE_SCHED : 0,
			       &q);
		if (e < 0) {
			warnx("%s: reading queue: %s", name, strerror(-e));
			rc = rc_max(rc, CTL_EXIT_FAIL);
			continue;
		}
		/* Unknown is no answer, and no fault of the host. */
		if (o->sched_list && !(q.have & CTL_QUEUE_SCHED)) {
			warnx("%s: scheduler cannot be read", name);
			rc = rc_max(rc, CTL_EXIT_FAIL);
			continue;
		}
		checked++;
		if (o->min_depth_set && q.depth < o->min_depth) {
			bad = 1;
			if (!o->cli.quiet)
				printf("%s: depth %" PRIu64 " < %" PRIu64 "\n",
				       name, q.depth, o->min_depth);
		}
		if (o->max_depth_set && q.depth > o->max_depth) {
			bad = 1;
			if (!o->cli.quiet)
				printf("%s: depth %" PRIu64 " > %" PRIu64 "\n",
				       name, q.depth, o->max_depth);
		}
		if (o->sched_list && !ctl_list_has(o->sched_list, q.sched)) {
			bad = 1;
			if (!o->cli.quiet)
				printf("%s: scheduler %s not in %s\n", name,
				       q.sched, o->sched_list);
		}
	}
	items_free(&it);
	/* Nothing checked is not a pass. */
	if (!checked && !rc) {
		warnx("check: no request queue to check");
		rc = CTL_EXIT_UNSUPP;
	}
	return rc_max(rc, bad ? CTL_EXIT_CHECK : CTL_EXIT_OK);
}

/* ---- stat ---- */

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void sleep_ms(double ms)
{
	struct timespec ts = {
		(time_t)(ms / 1e3),
		(long)((ms - (double)(time_t)(ms / 1e3) * 1e3) * 1e6)};

	while (!stop && nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int cmd_stat(struct opts *o, struct ctl_strv *targets)
{
	struct ctl_diskstat *prev;
	struct ctl_satur *sat;
	struct items it = {0};
	uint64_t n;
	double t0;
	int rc, saturated = 0;

	if (o->all)
		die(CTL_EXIT_USAGE, "stat: no TARGET given");
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
			die(CTL_EXIT_UNSUPP, "%s: %s", it.v[i].target,
			    it.v[i].dev.via);
		if (err < 0 && it.v[i].dev.kind == CTL_BLK_NODEV)
			die(CTL_EXIT_UNSUPP, "%s: no block device to sample",
			    it.v[i].target);
		if (err < 0)
			die(CTL_EXIT_UNSUPP, "%s: %s is not in /proc/diskstats",
			    it.v[i].target, it.v[i].dev.name);
		ctl_satur_init(&sat[i], o->saturation, CTL_SAT_SAMPLES);
	}
	t0 = now_ms();
	for (n = 1; !stop && n <= o->count; n++) {
		struct ctl_out *out;
		size_t rows = 0;
		double t1;

		sleep_ms(o->interval * 1e3);
		if (stop)
			break;
		t1 = now_ms();
		out = new_out(
			o, "diskstats", stat_cols, ARRAY_SIZE(stat_cols),
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
				warnx("%s: gone from /proc/diskstats at sample %" PRIu64
				      " of %" PRIu64,
				      it.v[i].dev.name, n, o->count);
				rc = CTL_EXIT_FAIL;
				continue;
			}
			row = ctl_out_row(out);
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
		}
		t0 = t1;
		if (rows)
			rc = rc_max(rc, print_out(o, out));
		else
			ctl_out_free(out);
		/* Later samples continue the same table. */
		o->cli.fmt.noheadings |= !o->cli.fmt.json;
		fflush(stdout);
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
		warnx("stat: interrupted after %" PRIu64 " of %" PRIu64
		      " samples",
		      n - 1, o->count);
		return CTL_EXIT_FAIL;
	}
	return saturated ? CTL_EXIT_CHECK : CTL_EXIT_OK;
}

/* ---- main ---- */

static void parse_opts(struct opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		CTL_CLI_LONGOPTS,
		{"scheduler", required_argument, NULL, OPT_SCHEDULER},
		{"depth", required_argument, NULL, OPT_DEPTH},
		{"read-ahead", required_argument, NULL, OPT_READ_AHEAD},
		{"clamp", no_argument, NULL, OPT_CLAMP},
		{"save", required_argument, NULL, OPT_SAVE},
		{"udev", no_argument, NULL, OPT_UDEV},
		{"min-depth", required_argument, NULL, OPT_MIN_DEPTH},
		{"max-depth", required_argument, NULL, OPT_MAX_DEPTH},
		{"interval", required_argument, NULL, OPT_INTERVAL},
		{"count", required_argument, NULL, OPT_COUNT},
		{"saturation", required_argument, NULL, OPT_SATURATION},
		{"stack", no_argument, NULL, OPT_STACK},
		{"ignore-noqueue", no_argument, NULL, OPT_IGNORE_NOQUEUE},
		{NULL, 0, NULL, 0},
	};
	uint64_t v;
	int c;

	while ((c = getopt_long(argc, argv, CTL_CLI_SHORTOPTS, longopts,
				NULL)) != -1) {
		if (ctl_cli_common(&o->cli, c, optarg))
			continue;
		switch (c) {
		case 'h':
			usage();
			exit(finish(CTL_EXIT_OK));
		case 'V':
			printf("qdepth %s\n", CTL_VERSION);
			exit(finish(CTL_EXIT_OK));
		case OPT_SCHEDULER:
			if (!*optarg || strchr(optarg, ' '))
				die(CTL_EXIT_USAGE,
				    "--scheduler '%s': not a scheduler name",
				    optarg);
			o->want.sched = optarg;
			o->sched_list = optarg;
			break;
		case OPT_DEPTH:
			o->want.set_depth = true;
			o->depth_arg = optarg;
			if (strcmp(optarg, "max") == 0)
				o->want.depth_max = true;
			else if (ctl_parse_range(optarg, 1, UINT32_MAX,
						 &o->want.depth) < 0)
				die(CTL_EXIT_USAGE,
				    "--depth %s: not a positive integer or 'max'",
				    optarg);
			break;
		case OPT_READ_AHEAD:
			if (ctl_parse_range(optarg, 0, UINT32_MAX, &v) < 0)
				die(CTL_EXIT_USAGE,
				    "--read-ahead %s: not a size in KiB",
				    optarg);
			o->want.set_read_ahead = true;
			o->want.read_ahead_kb = v;
			break;
		case OPT_CLAMP:
			o->want.clamp = true;
			break;
		case OPT_SAVE:
			o->save = optarg;
			break;
		case OPT_UDEV:
			o->udev = 1;
			break;
		case OPT_STACK:
			o->stack = 1;
			break;
		case OPT_IGNORE_NOQUEUE:
			o->ignore_noqueue = 1;
			break;
		case OPT_MIN_DEPTH:
		case OPT_MAX_DEPTH:
			if (ctl_parse_range(optarg, 1, UINT32_MAX, &v) < 0)
				die(CTL_EXIT_USAGE,
				    "%s %s: not a positive integer",
				    c == OPT_MIN_DEPTH ? "--min-depth"
						       : "--max-depth",
				    optarg);
			if (c == OPT_MIN_DEPTH) {
				o->min_depth = v;
				o->min_depth_set = 1;
			} else {
				o->max_depth = v;
				o->max_depth_set = 1;
			}
			break;
		case OPT_INTERVAL:
			if (ctl_parse_seconds(optarg, &o->interval) < 0)
				die(CTL_EXIT_USAGE,
				    "--interval %s: not a positive number of seconds",
				    optarg);
			break;
		case OPT_COUNT:
			if (ctl_parse_range(optarg, 1, UINT32_MAX, &o->count) <
			    0)
				die(CTL_EXIT_USAGE,
				    "--count %s: not a positive integer",
				    optarg);
			o->count_set = 1;
			break;
		case OPT_SATURATION:
			if (ctl_parse_range(optarg, 1, 100, &v) < 0)
				die(CTL_EXIT_USAGE,
				    "--saturation %s: not a percentage 1-100",
				    optarg);
			o->saturation = (double)v;
			break;
		default:
			fputs("Try 'qdepth --help'.\n", stderr);
			exit(CTL_EXIT_USAGE);
		}
	}
}

/* Options that make sense only for some subcommands. */
static void check_opts(const struct opts *o, const char *sub)
{
	int set = strcmp(sub, "set") == 0, check = strcmp(sub, "check") == 0;
	int st = strcmp(sub, "stat") == 0;

	if (!set && (o->want.set_depth || o->want.set_read_ahead ||
		     o->want.clamp || o->save || o->udev))
		die(CTL_EXIT_USAGE,
		    "%s: --depth, --read-ahead, --clamp, --save and --udev belong to 'set'",
		    sub);
	if (!set && !check && o->want.sched)
		die(CTL_EXIT_USAGE,
		    "%s: --scheduler belongs to 'set' and 'check'", sub);
	if (!check && o->ignore_noqueue)
		die(CTL_EXIT_USAGE, "%s: --ignore-noqueue belongs to 'check'",
		    sub);
	if (!check && (o->min_depth_set || o->max_depth_set))
		die(CTL_EXIT_USAGE,
		    "%s: --min-depth/--max-depth belong to 'check'", sub);
	if (!st && (o->count_set || o->saturation >= 0 || o->interval != 1.0))
		die(CTL_EXIT_USAGE,
		    "%s: --interval, --count and --saturation belong to 'stat'",
		    sub);
	if (o->stack && strcmp(sub, "restore") == 0)
		die(CTL_EXIT_USAGE,
		    "%s: --stack belongs to 'show', 'set', 'check' and 'stat'",
		    sub);
	if (o->cli.dry_run && !set && strcmp(sub, "restore") != 0)
		die(CTL_EXIT_USAGE,
		    "%s: --dry-run belongs to 'set' and 'restore'", sub);
}

int main(int argc, char **argv)
{
	static const char *const subs[] = {"show", "set", "check", "stat",
					   "restore"};
	struct opts o = {.interval = 1.0,
			 .saturation = -1,
			 .log = {.sink = CTL_LOG_NONE, .sock = -1, .kmsg = -1}};
	struct ctl_strv targets = {0};
	const char *sub = "show";
	int rc, err;

	/* getopt_long permutes: options may come before the subcommand. */
	parse_opts(&o, argc, argv);
	for (size_t i = 0; optind < argc && i < ARRAY_SIZE(subs); i++)
		if (strcmp(argv[optind], subs[i]) == 0) {
			sub = subs[i];
			optind++;
			break;
		}
	err = ctl_root_open(o.cli.sysroot, &o.root);
	if (err < 0)
		die(CTL_EXIT_USAGE, "--sysroot %s: %s", o.cli.sysroot,
		    strerror(-err));
	if (o.udev) {
		ctl_log_open(o.root, "qdepth", &o.log);
		fatal_log = &o.log;
	}
	check_opts(&o, sub);
	if (strcmp(sub, "set") != 0)
		o.want.sched = NULL; /* check's list, not a change */
	if (strcmp(sub, "restore") == 0) {
		if (argc - optind != 1)
			die(CTL_EXIT_USAGE, "restore: give exactly one FILE");
		rc = cmd_restore(&o, argv[optind]);
		ctl_log_close(&o.log);
		ctl_root_free(o.root);
		return finish(rc);
	}
	/* "-" that yields no line means no target, not every disk. */
	o.all = argc == optind;
	/* udev never waits on stdin. */
	err = ctl_cli_targets(argv + optind, argc - optind,
			      o.udev ? NULL : stdin, &targets);
	if (err == -EINVAL)
		die(CTL_EXIT_USAGE,
		    "--udev: targets come from the rule, not '-'");
	if (err < 0)
		die(CTL_EXIT_FAIL, "reading targets: %s", strerror(-err));

	if (strcmp(sub, "set") == 0)
		rc = cmd_set(&o, &targets);
	else if (strcmp(sub, "check") == 0)
		rc = cmd_check(&o, &targets);
	else if (strcmp(sub, "stat") == 0)
		rc = cmd_stat(&o, &targets);
	else
		rc = cmd_show(&o, &targets);
	ctl_strv_free(&targets);
	ctl_log_close(&o.log);
	ctl_root_free(o.root);
	return finish(rc);
}
