// SPDX-License-Identifier: GPL-2.0-or-later
/* qdepth: what the targets name, and the tables the subcommands print. */
#include <err.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/target.h"
#include "qdepth.h"

int rc_max(int a, int b)
{
	/* Report the most serious failure: 3/4 over 2 over 1. */
	if (a == CTL_EXIT_FAIL || b == CTL_EXIT_FAIL)
		return CTL_EXIT_FAIL;
	return a > b ? a : b;
}

/* The resolver's message for ERR, as every tool words it. */
const char *resolve_hint(int err)
{
	return ctl_target_strerror(err, 0);
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
int collect(struct opts *o, struct ctl_strv *targets, int keep_failed,
	    struct items *it)
{
	unsigned flags = resolve_flags(o);
	int rc = CTL_EXIT_OK;

	if (o->all) {
		int err = ctl_blk_list_queues(o->root, &it->devs);

		if (err < 0) {
			cli_warn("/sys/block: %s", strerror(-err));
			return CTL_EXIT_FAIL;
		}
	}
	it->v = calloc(it->devs.n + 1, sizeof(*it->v));
	if (!it->v)
		err(CTL_EXIT_FAIL, NULL);
	for (size_t i = 0; i < it->devs.n; i++)
		it->v[it->n++] = (struct item){
			.target = "", .dev = it->devs.v[i], .dfd = -1};

	for (size_t t = 0; t < targets->n; t++) {
		struct ctl_blk_list l = {0};
		int dfd, e = ctl_blk_resolve_at(o->root, targets->v[t], flags,
						&l, &dfd);

		it->v = realloc(it->v, (it->n + l.n + 1) * sizeof(*it->v));
		if (!it->v)
			err(CTL_EXIT_FAIL, NULL);
		if (e < 0) {
			if (keep_failed)
				it->v[it->n++] =
					(struct item){.target = targets->v[t],
						      .err = e,
						      .dfd = -1};
			else
				cli_warn("%s: %s", targets->v[t],
					 resolve_hint(e));
			rc = rc_max(rc, e == -EINVAL ? CTL_EXIT_USAGE
						     : CTL_EXIT_FAIL);
			ctl_blk_list_free(&l);
			continue;
		}
		for (size_t i = 0; i < l.n; i++)
			it->v[it->n++] = (struct item){.target = targets->v[t],
						       .dev = l.v[i],
						       .dfd = i ? -1 : dfd};
		ctl_blk_list_free(&l);
	}
	return rc;
}

/* One entry per queue: `set sda sda1` must not write sda twice. */
void dedupe_queues(struct items *it)
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
		else
			closep(&it->v[i].dfd);
	}
	it->n = n;
}

void items_free(struct items *it)
{
	for (size_t i = 0; i < it->n; i++)
		if (it->v[i].dfd >= 0)
			close(it->v[i].dfd);
	free(it->v);
	ctl_blk_list_free(&it->devs);
}

void set_ra(const struct opts *o, struct ctl_out *out, struct ctl_row *row,
	    size_t col, uint64_t kb)
{
	ctl_out_setf(out, row, col, "%" PRIu64,
		     o->cli.fmt.bytes ? kb * 1024 : kb);
}
