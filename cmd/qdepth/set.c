// SPDX-License-Identifier: GPL-2.0-or-later
/* qdepth set and restore: their table, the save file, the messages. */
#include <err.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl/file.h"
#include "qdepth.h"

enum {
	A_TARGET,
	A_DEVICE,
	A_OLD_SCHED,
	A_SCHED,
	A_OLD_DEPTH,
	A_DEPTH,
	A_RANGE,
	A_RANGE_MIN,
	A_RANGE_MAX,
	A_OLD_RA,
	A_RA,
	A_RESULT,
	A_CHANGED,
	A_NOTE
};
static const struct ctl_col set_cols[] = {
	[A_TARGET] = QD_COL_TARGET,
	[A_DEVICE] = QD_COL_DEVICE,
	[A_OLD_SCHED] = {"OLD-SCHED", 0.1, 0, "scheduler before"},
	[A_SCHED] = {"SCHED", 0.1, 0, "scheduler after (read back)"},
	[A_OLD_DEPTH] = {"OLD-DEPTH", 5, CTL_COL_RIGHT | CTL_COL_NUMBER,
			 "nr_requests before"},
	[A_DEPTH] = {"DEPTH", 5, CTL_COL_RIGHT | CTL_COL_NUMBER,
		     "nr_requests after (read back)"},
	[A_RANGE] = {"RANGE", 8, CTL_COL_RIGHT,
		     "valid nr_requests for the new scheduler"},
	[A_RANGE_MIN] = QD_COL_RANGE_MIN,
	[A_RANGE_MAX] = QD_COL_RANGE_MAX,
	[A_OLD_RA] = {"OLD-RA", 5, CTL_COL_RIGHT | CTL_COL_NUMBER,
		      "read-ahead before, KiB (bytes with -b)"},
	[A_RA] = {"RA", 5, CTL_COL_RIGHT | CTL_COL_NUMBER,
		  "read-ahead after, KiB (bytes with -b)"},
	[A_RESULT] =
		{"RESULT", 0.1, 0,
		 "applied, unchanged, clamped, rejected, not applicable, failed, planned, skipped, rolled back"},
	[A_CHANGED] = {"CHANGED", 1, CTL_COL_BOOL,
		       "the queue was changed (with --dry-run: would be)"},
	[A_NOTE] = {"NOTE", 0.3, CTL_COL_WRAP, "reason or detail"},
};

/* Whether job J changed its queue (planned: would change it). */
static bool job_changed(const struct job *j)
{
	switch (j->c.result) {
	case CTL_QUEUE_APPLIED:
	case CTL_QUEUE_CLAMPED:
	case CTL_QUEUE_PLANNED:
		return true;
	default:
		return false;
	}
}

static void set_row(struct opts *o, struct ctl_out *out, const struct job *j)
{
	const struct ctl_queue_change *c = &j->c;
	struct ctl_row *row = cli_table_row(out);
	const struct ctl_queue *a = &c->after, *b = &c->before;

	ctl_out_set(out, row, A_TARGET, j->target);
	ctl_out_set(out, row, A_DEVICE, j->name);
	ctl_out_set(out, row, A_RESULT, ctl_queue_result_name(c->result));
	cli_changed(&o->cli, out, row, A_CHANGED, job_changed(j));
	ctl_out_set(out, row, A_NOTE, c->why);
	if (!b->name[0] || c->result == CTL_QUEUE_NA)
		return;
	ctl_out_set(out, row, A_OLD_SCHED, b->sched);
	ctl_out_setf(out, row, A_OLD_DEPTH, "%" PRIu64, b->depth);
	/* Read only when changed, saved or shown; unknown is no 0. */
	if (b->have & CTL_QUEUE_READ_AHEAD)
		set_ra(o, out, row, A_OLD_RA, b->read_ahead_kb);
	if (c->result == CTL_QUEUE_PLANNED) {
		ctl_out_set(out, row, A_SCHED, c->sched);
		if (c->depth)
			ctl_out_setf(out, row, A_DEPTH, "%" PRIu64, c->depth);
		if (j->want.set_read_ahead)
			set_ra(o, out, row, A_RA, j->want.read_ahead_kb);
	} else {
		ctl_out_set(out, row, A_SCHED, a->sched);
		ctl_out_setf(out, row, A_DEPTH, "%" PRIu64, a->depth);
		if (a->have & CTL_QUEUE_READ_AHEAD)
			set_ra(o, out, row, A_RA, a->read_ahead_kb);
	}
	if (c->max) {
		ctl_out_setf(out, row, A_RANGE, "%" PRIu64 "-%" PRIu64, c->min,
			     c->max);
		ctl_out_setf(out, row, A_RANGE_MIN, "%" PRIu64, c->min);
		ctl_out_setf(out, row, A_RANGE_MAX, "%" PRIu64, c->max);
	}
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
		cli_warn("%s: %s", job_name(j), j->c.why);
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

/*
 * The table of set or restore, made before anything is read or changed:
 * an unknown column is a usage error, and exit 2 must mean that nothing
 * was done. FIELDS gets what its columns need read beyond the plan.
 */
static struct ctl_out *jobs_out(struct opts *o, const char *defaults,
				unsigned int *fields)
{
	char cols[128];
	struct ctl_out *out;

	/* What a program reads also says whether anything changed. */
	snprintf(cols, sizeof(cols), "%s%s", defaults,
		 o->cli.fmt.json || o->cli.fmt.pairs ? ",CHANGED" : "");
	out = cli_table_new(&o->cli, "changes", set_cols, ARRAY_SIZE(set_cols),
			    cols);

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
		/* udev discards stdout: log only. Nothing printed, no rows. */
		if (o->udev || o->cli.quiet)
			cli_changed(&o->cli, NULL, NULL, A_CHANGED,
				    job_changed(&j[i]));
		else
			set_row(o, out, &j[i]);
		rc = rc_max(rc, job_rc(&j[i], o->udev));
	}
	if (o->udev)
		o->cli.quiet = 1;
	return rc_max(rc, cli_table_print(&o->cli, out));
}

/*
 * Record the queues' values from before the change in --save FILE. A run
 * that changes nothing leaves an existing FILE alone: it holds the values
 * from before the run that made them so, which a second run (a playbook
 * applied again) must not replace with today's.
 */
static int save_before(struct opts *o, const struct job *j, size_t n)
{
	struct ctl_queue *qs;
	size_t k = 0;
	int e;

	for (k = 0; k < n && !job_changed(&j[k]); k++)
		;
	if (k == n && access(o->cli.save, F_OK) == 0)
		return 0;
	qs = calloc(n + 1, sizeof(*qs));
	if (!qs)
		err(CTL_EXIT_FAIL, NULL);
	k = 0;
	for (size_t i = 0; i < n; i++)
		if (j[i].c.before.name[0])
			qs[k++] = j[i].c.before;
	e = ctl_queue_save(o->cli.save, qs, k);
	free(qs);
	if (e < 0)
		cli_save_unwritable(LOG_WARNING, o->cli.save, e);
	return e;
}

int cmd_set(struct opts *o, struct ctl_strv *targets)
{
	struct items it = {0};
	struct ctl_out *out;
	struct job *jobs;
	unsigned int fields = 0;
	int rc, e, *locks;

	if (!o->want.sched && !o->want.set_depth && !o->want.set_read_ahead)
		cli_die(CTL_EXIT_USAGE,
			"set: nothing to do; give --scheduler, --depth or --read-ahead");
	if (o->all)
		cli_die(CTL_EXIT_USAGE, "set: no TARGET given");
	out = jobs_out(
		o, "TARGET,DEVICE,OLD-SCHED,SCHED,OLD-DEPTH,DEPTH,RESULT,NOTE",
		&fields);
	/* --save records the read-ahead too. */
	if (o->cli.save && !o->cli.dry_run)
		fields |= CTL_QUEUE_READ_AHEAD;
	collect(o, targets, 1, &it);
	dedupe_queues(&it);
	jobs = calloc(it.n + 1, sizeof(*jobs));
	if (!jobs)
		err(CTL_EXIT_FAIL, NULL);
	for (size_t i = 0; i < it.n; i++) {
		struct item *x = &it.v[i];

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
			/* The job reads and writes the queue through it. */
			.dfd = x->dfd,
			.want = o->want};
		x->dfd = -1;
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
			ctl_queue_outcome(c,
					  o->udev ? CTL_QUEUE_NA
					  : x->err == -EINVAL
						  ? CTL_QUEUE_REJECTED
						  : CTL_QUEUE_FAILED,
					  x->err, "%s", resolve_hint(x->err));
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
	/* Whether --save FILE can be written, asked before anything is
	 * changed: a change that cannot be undone is not made, nor is a
	 * file that is not a qdepth save file replaced. */
	e = o->cli.save && !o->cli.dry_run ? ctl_queue_save_ok(o->cli.save) : 0;
	if (e < 0) {
		/* A change that cannot be undone is not made... */
		cli_save_unwritable(LOG_WARNING, o->cli.save, e);
		skip_planned(jobs, it.n, ": the save file cannot be written");
	} else if (run_jobs(o, jobs, it.n) == 0 && o->cli.save &&
		   !o->cli.dry_run && (e = save_before(o, jobs, it.n)) < 0) {
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
	ctl_queue_outcome(c, CTL_QUEUE_FAILED, -ENODEV,
			  "saved as %u:%u, now %u:%u: another disk has this "
			  "name; not restored",
			  saved->major, saved->minor, now->major, now->minor);
	return 0;
}

int cmd_restore(struct opts *o, const char *file)
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
	cli_save_loaded(file, e, n);
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
