// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * qdepth set and restore run a batch of queue changes all or nothing:
 * lock every queue, plan every change, write only when all plans hold,
 * roll back the written ones when a write fails.
 */
#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qdepth.h"

const char *job_name(const struct job *j)
{
	return j->name[0] ? j->name : j->target;
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
int *lock_jobs(struct opts *o, struct job *j, size_t n)
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
		if (fd == -ETIMEDOUT)
			ctl_queue_outcome(
				c, CTL_QUEUE_FAILED, fd,
				"another qdepth is changing this "
				"queue: waited %d s for " CTL_QUEUE_LOCK_DIR
				"/%u:%u.lock",
				LOCK_WAIT_MS / 1000, order[i]->major,
				order[i]->minor);
		else
			ctl_queue_outcome(
				c, CTL_QUEUE_FAILED, fd,
				"cannot lock " CTL_QUEUE_LOCK_DIR
				"/%u:%u.lock: %s%s",
				order[i]->major, order[i]->minor, strerror(-fd),
				(fd == -EPERM || fd == -EACCES) && geteuid()
					? " (run as root)"
					: "");
	}
	free(order);
	return fds;
}

void unlock_jobs(int *fds)
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
int plan_one(struct opts *o, struct job *j, unsigned int fields)
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
	if (err < 0)
		return ctl_queue_outcome(c, CTL_QUEUE_FAILED, err,
					 "reading queue: %s", strerror(-err));
	/* The number the lock was taken by, unless read here. */
	if (!(fields & CTL_QUEUE_DEVNO)) {
		q.major = j->major;
		q.minor = j->minor;
	}
	/* A value that cannot be read can be neither put back nor saved;
	 * without the scheduler, the depth has no range either. */
	if (!(q.have & CTL_QUEUE_SCHED))
		return ctl_queue_outcome(c, CTL_QUEUE_FAILED, -ENODATA,
					 "scheduler cannot be read: no range "
					 "for the depth, nothing to put back");
	if (!(q.have & CTL_QUEUE_READ_AHEAD) &&
	    (j->want.set_read_ahead || (o->cli.save && !o->cli.dry_run)))
		return ctl_queue_outcome(
			c, CTL_QUEUE_FAILED, -ENODATA,
			"read_ahead_kb cannot be read: %s",
			j->want.set_read_ahead
				? "a failed change could not put it back"
				: "--save could not record it");
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

void close_jobs(struct job *j, size_t n)
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
void skip_planned(struct job *j, size_t n, const char *why)
{
	for (size_t i = 0; i < n; i++) {
		if (j[i].c.result != CTL_QUEUE_PLANNED)
			continue;
		j[i].c.result = CTL_QUEUE_SKIPPED;
		/* Cut to fit, as snprintf would (and gcc can see it). */
		snprintf(j[i].c.why, sizeof(j[i].c.why), "not changed%.*s",
			 (int)(sizeof(j[i].c.why) - sizeof("not changed")),
			 why);
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
void roll_back(struct job *j, size_t n, const char *why)
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
int run_jobs(struct opts *o, struct job *j, size_t n)
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
