// SPDX-License-Identifier: GPL-2.0-or-later
/* qdepth check: are the queues within the bounds given? */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ctl/parse.h"
#include "qdepth.h"

int cmd_check(struct opts *o, struct ctl_strv *targets)
{
	struct items it = {0};
	int rc, bad = 0, checked = 0;

	cli_check_bounds("check", &o->depth, o->sched_list != NULL,
			 "--min-depth, --max-depth or --scheduler");
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
				cli_warn("%s: %s", name, x->dev.via);
				rc = rc_max(rc, CTL_EXIT_UNSUPP);
			} else if (!o->cli.quiet) {
				cli_warn("%s: %s; ignored", name, x->dev.via);
			}
			continue;
		}
		e = read_queue(o, name, x->dfd,
			       o->sched_list ? CTL_QUEUE_SCHED : 0, &q);
		if (e < 0) {
			cli_warn("%s: reading queue: %s", name, strerror(-e));
			rc = rc_max(rc, CTL_EXIT_FAIL);
			continue;
		}
		/* Unknown is no answer, and no fault of the host. */
		if (o->sched_list && !(q.have & CTL_QUEUE_SCHED)) {
			cli_warn("%s: scheduler cannot be read", name);
			rc = rc_max(rc, CTL_EXIT_FAIL);
			continue;
		}
		checked++;
		if (o->depth.min_set && q.depth < o->depth.min) {
			bad = 1;
			if (!o->cli.quiet)
				printf("%s: depth %" PRIu64 " < %" PRIu64 "\n",
				       name, q.depth, o->depth.min);
		}
		if (o->depth.max_set && q.depth > o->depth.max) {
			bad = 1;
			if (!o->cli.quiet)
				printf("%s: depth %" PRIu64 " > %" PRIu64 "\n",
				       name, q.depth, o->depth.max);
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
		cli_warn("check: no request queue to check");
		rc = CTL_EXIT_UNSUPP;
	}
	return rc_max(rc, bad ? CTL_EXIT_CHECK : CTL_EXIT_OK);
}
