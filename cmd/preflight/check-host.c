// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * preflight: the checks of the host: scheduler, depth, saturation, swappiness,
 * memory, dirty, io_uring. Each decision is a pure function of a measurement and
 * the policy, so that every PASS/WARN/FAIL boundary is unit-tested on plain
 * values; the hint names the command that fixes what was found.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cmd/preflight/preflight.h"
#include "ctl/cgroup.h"
#include "ctl/queue.h"

void pf_judge_sched(const struct ctl_pf_queue *m, const struct pf_policy *p,
		    struct pf_result *res)
{
	char want[32];

	pf_res_init(res, "scheduler");
	FMT(res->device, "%s", m->name);
	FMT(res->value, "%s: %s%s", m->name, m->sched,
	    m->sched_fixed ? " (fixed)" : "");
	FMT(res->bound, "%s (want %s)", p->sched[0] ? p->sched : "any",
	    p->sched_recommend[0] ? p->sched_recommend : "any");
	if (p->sched[0] && !pf_list_has(p->sched, m->sched))
		res->status = PF_FAIL;
	else if (p->sched_recommend[0] &&
		 !pf_list_has(p->sched_recommend, m->sched))
		res->status = PF_WARN;
	if (res->status == PF_PASS)
		return;
	if (m->sched_fixed)
		FMT(res->hint,
		    "%s has only %s (not configurable): add %s to queue.scheduler%s in the policy",
		    m->name, m->sched, m->sched,
		    res->status == PF_WARN ? "_recommend" : "");
	else if (pf_pick(p->sched_recommend, p->sched, NULL, "mq-deadline",
			 want, sizeof(want)))
		FMT(res->hint, "qdepth set --scheduler %s %s", want, m->name);
}

void pf_judge_depth(const struct ctl_pf_queue *m, const struct pf_policy *p,
		    struct pf_result *res)
{
	uint64_t want = p->depth_warn;
	char sched[32];

	pf_res_init(res, "depth");
	FMT(res->device, "%s", m->name);
	FMT(res->value, "%s: nr_requests=%" PRIu64, m->name, m->depth);
	pf_res_num(res, (double)m->depth, "requests", (double)p->depth_warn,
		   p->depth_max ? (double)p->depth_max : NAN);
	if (p->depth_max)
		FMT(res->bound, "%" PRIu64 "-%" PRIu64 " (fail < %" PRIu64 ")",
		    p->depth_warn, p->depth_max, p->depth_min);
	else
		FMT(res->bound, ">= %" PRIu64 " (fail < %" PRIu64 ")",
		    p->depth_warn, p->depth_min);
	if (p->depth_max && m->depth > p->depth_max) {
		res->status = PF_FAIL;
		FMT(res->hint, "qdepth set --depth %" PRIu64 " %s",
		    p->depth_max, m->name);
		return;
	}
	if (m->depth < p->depth_min)
		res->status = PF_FAIL;
	else if (m->depth < p->depth_warn)
		res->status = PF_WARN;
	else
		return;
	if (!m->depth_range_max || want <= m->depth_range_max) {
		FMT(res->hint, "qdepth set --depth %" PRIu64 " %s", want,
		    m->name);
		return;
	}
	/* With "none" the hardware depth caps nr_requests; an elevator
	 * allows up to 2048, so switch first when the policy allows one. */
	if (!m->sched_fixed && want <= CTL_QUEUE_MAX_SCHED_DEPTH &&
	    pf_pick(p->sched_recommend, p->sched, "none", "mq-deadline", sched,
		    sizeof(sched)))
		FMT(res->hint,
		    "%s allows at most %" PRIu64
		    " with %s: qdepth set --scheduler %s --depth %" PRIu64
		    " %s",
		    m->name, m->depth_range_max, m->sched, sched, want,
		    m->name);
	else
		FMT(res->hint,
		    "%s allows at most %" PRIu64
		    " with %s: qdepth set --depth max %s (queue.depth_warn %" PRIu64
		    " cannot be met here)",
		    m->name, m->depth_range_max, m->sched, m->name, want);
}

void pf_judge_saturation(const struct ctl_pf_queue *m,
			 const struct pf_policy *p, struct pf_result *res)
{
	pf_res_init(res, "saturation");
	FMT(res->device, "%s", m->name);
	FMT(res->bound, "util < %u%% or await <= %u ms", p->sat.util_pct,
	    p->await_ms);
	if (m->samples == 0) {
		res->status = PF_SKIP;
		FMT(res->value, "%s: not sampled", m->name);
		FMT(res->hint, "queue.samples = 0 in the policy");
		return;
	}
	FMT(res->value, "%s: util %.0f%% await %.1f ms (%u x %u ms)", m->name,
	    m->util, m->await, m->samples, p->sat.sample_ms);
	/* saturated: busy at util_pct or more in every sample */
	pf_res_num(res, m->util / 100, "ratio", NAN, p->sat.util_pct / 100.0);
	if (!m->saturated)
		return;
	res->status = m->await > p->await_ms ? PF_FAIL : PF_WARN;
	FMT(res->hint,
	    "%s is busy: watch it with qdepth stat --saturation %u %s and write later, or throttle the writer",
	    m->name, p->sat.util_pct, m->name);
}

void pf_judge_swappiness(const struct ctl_pf_vm *m, const struct pf_policy *p,
			 struct pf_result *res)
{
	bool cg = m->cg_path[0] != '\0';
	unsigned int v = cg ? (unsigned int)m->cg_swappiness : m->swappiness;

	pf_res_init(res, "swappiness");
	if (cg)
		FMT(res->value,
		    "memory.swappiness=%u in cgroup v1 %s (vm.swappiness=%u outside)",
		    v, m->cg_path, m->swappiness);
	else
		FMT(res->value, "vm.swappiness=%u", v);
	FMT(res->bound, "%u-%u", p->swappiness_min, p->swappiness_max);
	pf_res_num(res, v, "", p->swappiness_min, p->swappiness_max);
	if (v > p->swappiness_max)
		res->status = PF_FAIL;
	else if (v < p->swappiness_min)
		res->status = PF_WARN;
	else
		return;
	/* vm.swappiness does not reach into a v1 cgroup: only a cgroup of
	 * the command's own (swapadj run) changes what applies there. */
	if (cg) {
		bool high = res->status == PF_FAIL;

		FMT(res->hint,
		    "%s: swapadj run --swappiness %u -- COMMAND runs the write in a cgroup with that value (vm.swappiness does not apply in this cgroup)",
		    high ? "a large write pushes anonymous memory to swap"
			 : "too low risks OOM kills under pressure",
		    high ? p->swappiness_max : p->swappiness_min);
		return;
	}
	if (res->status == PF_WARN) {
		FMT(res->hint,
		    "too low risks OOM kills under pressure: swapadj auto --once, or swapadj set %u",
		    p->swappiness_min);
		return;
	}
	FMT(res->hint,
	    "a large write pushes anonymous memory to swap: swapadj set %u, or swapadj run --swappiness %u -- COMMAND",
	    p->swappiness_max, p->swappiness_min);
}

void pf_judge_memory(const struct ctl_pf_vm *m, const struct pf_policy *p,
		     struct pf_result *res)
{
	char a[24], t[24], l[24], s[24];
	uint64_t room = m->mem_avail;
	double pct = m->mem_total ? (double)m->mem_avail * 100.0 /
					    (double)m->mem_total
				  : 0;

	pf_res_init(res, "memory");
	if (m->cg_limit != CTL_CGROUP_UNLIMITED) {
		if (m->cg_limit < room)
			room = m->cg_limit;
		FMT(res->value, "%s available (%.0f%%), cgroup v%d max %s",
		    pf_hsize(m->mem_avail, a, sizeof(a)), pct, m->cg_version,
		    pf_hsize(m->cg_limit, l, sizeof(l)));
	} else {
		FMT(res->value, "%s available (%.0f%%) of %s, no cgroup limit",
		    pf_hsize(m->mem_avail, a, sizeof(a)), pct,
		    pf_hsize(m->mem_total, t, sizeof(t)));
	}
	/* MemAvailable against mem.avail_min_pct of MemTotal, rounded up */
	pf_res_num(res, (double)m->mem_avail, "bytes",
		   (double)((m->mem_total * p->mem_avail_pct + 99) / 100), NAN);
	if (m->size == CTL_PF_SIZE_UNKNOWN)
		FMT(res->bound, "avail >= %u%%; write size unknown (--size)",
		    p->mem_avail_pct);
	else
		FMT(res->bound, "avail >= %u%%; write %s <= %s",
		    p->mem_avail_pct, pf_hsize(m->size, s, sizeof(s)),
		    pf_hsize(room, l, sizeof(l)));
	if (pct < p->mem_avail_pct) {
		res->status = PF_FAIL;
		FMT(res->hint,
		    "the host is short of memory already: free memory first (swapadj show)");
	} else if (m->size != CTL_PF_SIZE_UNKNOWN && m->size > room) {
		res->status = PF_WARN;
		FMT(res->hint,
		    "the write does not fit in memory: stream it (mmapwin replace) or bound it (swapadj run --memory-max SIZE -- COMMAND)");
	}
}

/* The dirty limit in bytes, as the kernel derives it from the sysctls. */
static uint64_t dirty_limit(uint64_t bytes, uint64_t ratio, uint64_t avail)
{
	return bytes ? bytes : avail * ratio / 100;
}

void pf_judge_dirty(const struct ctl_pf_dirty *m, const struct pf_policy *p,
		    struct pf_result *res)
{
	uint64_t lim = dirty_limit(m->bytes, m->ratio, m->mem_avail);
	uint64_t bg = dirty_limit(m->bg_bytes, m->bg_ratio, m->mem_avail);
	char a[24], b[24], s[24], n[24];

	pf_res_init(res, "dirty");
	FMT(res->value, "limit %s (%s), background %s (%s)",
	    pf_hsize(lim, a, sizeof(a)),
	    m->bytes ? "dirty_bytes" : "dirty_ratio",
	    pf_hsize(bg, b, sizeof(b)),
	    m->bg_bytes ? "dirty_background_bytes" : "dirty_background_ratio");
	pf_res_num(res, (double)lim, "bytes",
		   (double)(m->size != CTL_PF_SIZE_UNKNOWN &&
					    m->size > p->dirty_min
				    ? m->size
				    : p->dirty_min),
		   NAN);
	if (m->size == CTL_PF_SIZE_UNKNOWN)
		FMT(res->bound,
		    "limit >= %s, > background; write size unknown (--size)",
		    pf_hsize(p->dirty_min, n, sizeof(n)));
	else
		FMT(res->bound, "limit >= %s, > background; write %s <= limit",
		    pf_hsize(p->dirty_min, n, sizeof(n)),
		    pf_hsize(m->size, s, sizeof(s)));
	if (lim == 0 || lim < p->dirty_min) {
		/* 0 in dirty_bytes means "use dirty_ratio": never hint it. */
		res->status = PF_FAIL;
		FMT(res->hint,
		    "writers stall almost at once: sysctl -w vm.dirty_bytes=%" PRIu64,
		    p->dirty_min > PF_DIRTY_DEFAULT ? p->dirty_min
						    : PF_DIRTY_DEFAULT);
	} else if (bg >= lim) {
		res->status = PF_FAIL;
		FMT(res->hint,
		    "background writeback starts only at the hard limit: sysctl -w vm.dirty_background_bytes=%" PRIu64,
		    lim / 2);
	} else if (m->size != CTL_PF_SIZE_UNKNOWN && m->size > lim) {
		res->status = PF_WARN;
		FMT(res->hint,
		    "the writer is throttled to disk speed after %s of dirty data, as the kernel intends; mmapwin write --drop-behind keeps the page cache for the rest of the host",
		    a);
	}
}

void pf_judge_uring(const struct ctl_pf_uring *m, const struct pf_policy *p,
		    struct pf_result *res)
{
	pf_res_init(res, "io_uring");
	if (m->disabled < 0)
		FMT(res->value, "probe %s (no io_uring_disabled sysctl)",
		    m->probe == 0 ? "ok" : strerror(-m->probe));
	else
		FMT(res->value, "io_uring_disabled=%d, probe %s", m->disabled,
		    m->probe == 0 ? "ok" : strerror(-m->probe));
	FMT(res->bound, "probe ok%s", p->uring_require ? " (required)" : "");
	if (m->disabled >= 0)
		res->measured = m->disabled;
	if (m->probe == 0)
		return;
	res->status = p->uring_require ? PF_FAIL : PF_WARN;
	/* A hardening setting: never advise opening io_uring to everyone. */
	if (m->probe == -ENOSYS)
		FMT(res->hint,
		    "kernel without io_uring: mmapwin falls back to pwrite");
	else if (m->disabled == 2)
		FMT(res->hint,
		    "io_uring is off for every process: mmapwin falls back to pwrite; to allow one group only: sysctl -w kernel.io_uring_disabled=1 kernel.io_uring_group=GID");
	else if (m->disabled == 1)
		FMT(res->hint,
		    "only root and kernel.io_uring_group may use io_uring: run the writer in that group (sysctl kernel.io_uring_group), or mmapwin falls back to pwrite");
	else
		FMT(res->hint,
		    "refused although the sysctl allows it: a seccomp filter (container runtime)? mmapwin falls back to pwrite");
}
