// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * preflight's run over one target: measure (libctl), judge (check-*.c),
 * one row per check; a check that cannot be measured is an ERROR row whose
 * hint names the command that shows more.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd/preflight/preflight.h"
#include "ctl/blk.h"
#include "ctl/file.h"
#include "ctl/mount.h"

const char *pf_status_name(enum pf_status s)
{
	static const char *const names[] = {
		[PF_PASS] = "PASS", [PF_WARN] = "WARN",	  [PF_FAIL] = "FAIL",
		[PF_SKIP] = "SKIP", [PF_ERROR] = "ERROR",
	};

	return (unsigned int)s < ARRAY_SIZE(names) ? names[s] : "?";
}

void pf_res_init(struct pf_result *res, const char *check)
{
	*res = (struct pf_result){.status = PF_PASS,
				  .measured = NAN,
				  .min = NAN,
				  .max = NAN,
				  .unit = ""};
	snprintf(res->check, sizeof(res->check), "%s", check);
}

void pf_res_num(struct pf_result *res, double measured, const char *unit,
		double min, double max)
{
	res->measured = measured;
	res->unit = unit;
	res->min = min;
	res->max = max;
}

void pf_fmt(char *buf, size_t len, const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	vsnprintf(buf, len, f, ap);
	va_end(ap);
}

static bool hsize_bytes;

void pf_hsize_bytes(bool on)
{
	hsize_bytes = on;
}

const char *pf_hsize(uint64_t v, char *buf, size_t len)
{
	static const char units[] = "BKMGTPE";
	double d = (double)v;
	size_t u = 0;

	if (hsize_bytes) {
		snprintf(buf, len, "%" PRIu64, v);
		return buf;
	}
	while (d >= 1024 && u + 1 < sizeof(units) - 1) {
		d /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%" PRIu64 "B", v);
	else if (d < 10 && d != (double)(uint64_t)d)
		snprintf(buf, len, "%.1f%c", d, units[u]);
	else
		snprintf(buf, len, "%.0f%c", d, units[u]);
	return buf;
}

/* A growable result array. */
struct results {
	struct pf_result *v;
	size_t n;
};

static struct pf_result *add(struct results *rs)
{
	struct pf_result *v = realloc(rs->v, (rs->n + 1) * sizeof(*v));

	if (!v)
		return NULL;
	rs->v = v;
	return &v[rs->n++];
}

/* An ERROR row; the hint is the command that shows more: TOOL PATH. */
static int add_error(struct results *rs, const char *check, const char *what,
		     int err, const char *tool, const char *path)
{
	struct pf_result *res = add(rs);

	if (!res)
		return -ENOMEM;
	pf_res_init(res, check);
	res->status = PF_ERROR;
	res->err = err;
	/* The mount table may need libmount, which names its package. */
	FMT(res->value, "%s: %s", what,
	    strcmp(check, "mount") ? ctl_file_strerror(-err)
				   : ctl_mount_strerror(-err));
	if (err == -EACCES || err == -EPERM)
		FMT(res->hint, "run as root");
	else if (err == -ELIBACC && !strcmp(check, "mount"))
		FMT(res->hint, "apt-get install libmount1");
	else
		FMT(res->hint, "see %s %s", tool, path);
	return 0;
}

static int add_skip(struct results *rs, const char *check, const char *value,
		    const char *hint)
{
	struct pf_result *res = add(rs);

	if (!res)
		return -ENOMEM;
	pf_res_init(res, check);
	res->status = PF_SKIP;
	FMT(res->value, "%s", value);
	FMT(res->hint, "%s", hint);
	return 0;
}

/* The last row added names the disk DEV. */
static void last_device(struct results *rs, const char *dev)
{
	if (rs->n)
		FMT(rs->v[rs->n - 1].device, "%s", dev);
}

#define ADD(rs, fn, m, p)                                                      \
	({                                                                     \
		struct pf_result *_r = add(rs);                                \
		if (_r)                                                        \
			fn(m, p, _r);                                          \
		_r ? 0 : -ENOMEM;                                              \
	})

/* The row of a measurement that returned ERR: judged by FN, or ERROR. */
#define JUDGE(rs, err, fn, m, p, check, what, tool, path)                      \
	((err) < 0 ? add_error(rs, check, what, err, tool, path)               \
		   : ADD(rs, fn, m, p))

static int run_mount(const struct ctl_root *r, const struct ctl_target *t,
		     const char *path, const struct pf_policy *p,
		     struct results *rs)
{
	struct ctl_pf_mount pm;
	struct ctl_pf_ext4 pe;
	int err = ctl_preflight_measure_mount(r, t, &pm);

	if (err < 0) {
		if (err == -ENOMEM)
			return err;
		if ((err = add_error(rs, "mount", "mountinfo", err,
				     "findmnt --target", path)) < 0)
			return err;
		return add_skip(rs, "ext4", "-", "mount not found");
	}
	err = ADD(rs, pf_judge_fstype, &pm, p);
	if (!err)
		err = ADD(rs, pf_judge_mount, &pm, p);
	if (err < 0)
		return err;
	err = ctl_preflight_measure_ext4(r, path, &pe);
	if (err == -EMEDIUMTYPE)
		return add_skip(rs, "ext4", pm.fstype,
				"not ext4: no journal mode or commit interval");
	if (err == -ENOMEM)
		return err;
	if (err < 0)
		return add_error(rs, "ext4", "/proc/fs/ext4", err,
				 "jcommit show", path);
	err = ADD(rs, pf_judge_data, &pe, p);
	return err ? err : ADD(rs, pf_judge_commit, &pe, p);
}

static int run_queues(const struct ctl_root *r, const struct ctl_target *t,
		      const char *path, const struct pf_policy *p,
		      struct results *rs)
{
	struct ctl_blk_list l = {0};
	_cleanup_free_ const char **names = NULL;
	_cleanup_free_ struct ctl_pf_queue *qs = NULL;
	_cleanup_free_ int *errs = NULL;
	size_t nq = 0, k = 0;
	int err = ctl_blk_resolve_target(r, t, CTL_BLK_FOLLOW_LOOP, &l);

	if (err < 0) {
		ctl_blk_list_free(&l);
		return err == -ENOMEM ? err
				      : add_error(rs, "queue", "resolve", err,
						  "qdepth show", path);
	}
	names = calloc(l.n + 1, sizeof(*names));
	qs = calloc(l.n + 1, sizeof(*qs));
	errs = calloc(l.n + 1, sizeof(*errs));
	if (!names || !qs || !errs) {
		ctl_blk_list_free(&l);
		return -ENOMEM;
	}
	for (size_t i = 0; i < l.n; i++)
		if (l.v[i].kind == CTL_BLK_QUEUE)
			names[nq++] = l.v[i].name;
	/* All queues sampled over the same window. */
	ctl_preflight_measure_queues(r, names, nq, &p->sat, qs, errs);
	for (size_t i = 0; i < l.n && !err; i++) {
		const struct ctl_blkdev *d = &l.v[i];
		struct ctl_pf_queue *q = &qs[k];
		char v[CTL_DEVNAME_MAX + 16];

		if (d->kind != CTL_BLK_QUEUE) {
			/* UNKNOWN: a device is there, it cannot be found. */
			const char *none = d->kind == CTL_BLK_UNKNOWN
						   ? "unknown device"
						   : "no block device";

			snprintf(v, sizeof(v), "%s",
				 d->name[0] ? d->name : none);
			err = add_skip(rs, "queue", v, d->via);
			if (!err)
				last_device(rs, d->name);
			continue;
		}
		if (errs[k++]) {
			err = add_error(rs, "queue", d->name, errs[k - 1],
					"qdepth show", path);
			if (!err)
				last_device(rs, d->name);
			continue;
		}
		err = ADD(rs, pf_judge_sched, q, p);
		if (!err)
			err = ADD(rs, pf_judge_depth, q, p);
		if (!err)
			err = ADD(rs, pf_judge_saturation, q, p);
	}
	ctl_blk_list_free(&l);
	return err;
}

static int run_memory(const struct ctl_root *r, uint64_t size,
		      const struct pf_policy *p, struct results *rs)
{
	struct ctl_pf_vm vm = {.size = size};
	struct ctl_pf_dirty dt = {0};
	struct ctl_pf_uring ur = {0};
	int err = ctl_preflight_measure_swappiness(r, &vm);

	/* Each check keeps its row: one that cannot be measured is ERROR. */
	if (err != -ENOMEM)
		err = JUDGE(rs, err, pf_judge_swappiness, &vm, p, "swappiness",
			    "swappiness", "swapadj", "show");
	if (err < 0)
		return err;
	err = ctl_preflight_measure_memory(r, &vm);
	if (err != -ENOMEM)
		err = JUDGE(rs, err, pf_judge_memory, &vm, p, "memory",
			    "meminfo and cgroup", "swapadj", "show");
	if (err < 0)
		return err;

	err = ctl_preflight_measure_dirty(r, &dt);
	dt.size = size;
	err = JUDGE(rs, err, pf_judge_dirty, &dt, p, "dirty", "/proc/sys/vm",
		    "sysctl", "vm.dirty_ratio vm.dirty_bytes");
	if (err < 0)
		return err;

	err = ctl_preflight_measure_uring(r, &ur);
	return JUDGE(rs, err, pf_judge_uring, &ur, p, "io_uring",
		     "/proc/sys/kernel", "sysctl", "kernel.io_uring_disabled");
}

int pf_target(const struct ctl_root *r, const char *word, struct ctl_target *t)
{
	const unsigned int flags = CTL_TARGET_FILE | CTL_TARGET_MAY_CREATE;
	int err = ctl_target_resolve(r, word, flags, t);

	/* "-" was read from stdin already: here it is a file named "-". */
	if (err == 0 && t->kind == CTL_TARGET_STDIN)
		err = ctl_target_resolve(r, "./-", flags, t);
	if (err < 0)
		return err;
	/* A device, FIFO or socket: its space and mount would be those of
	 * /dev, not of what a write to it reaches. */
	if (t->kind == CTL_TARGET_DEV ||
	    !(S_ISREG(t->st.st_mode) || S_ISDIR(t->st.st_mode)))
		return -CTL_ENOTREG;
	return 0;
}

int pf_run(const struct ctl_root *r, const struct ctl_target *t, uint64_t size,
	   const struct pf_policy *p, struct pf_result **out, size_t *n)
{
	struct results rs = {0};
	struct ctl_pf_space sp = {0};
	char path[PATH_MAX];
	bool reg = t->kind == CTL_TARGET_PATH && S_ISREG(t->st.st_mode);
	int err = ctl_target_found(t, path, sizeof(path));

	if (err < 0)
		return err;
	if (reg)
		sp.file_size = (uint64_t)t->st.st_size;
	/* Without --size: the size of the file, unknown for a new file or a
	 * directory (not 0 bytes, which every check would pass). */
	if (size != CTL_PF_SIZE_UNKNOWN)
		sp.size = size;
	else if (reg && t->st.st_size > 0)
		sp.size = sp.file_size;
	else
		sp.size = CTL_PF_SIZE_UNKNOWN;
	/* for the hint: cut, as every report cell is */
	snprintf(sp.path, sizeof(sp.path), "%.*s", (int)sizeof(sp.path) - 1,
		 path);

	err = ctl_mount_space(r, path, &sp.avail, &sp.total);
	if (err == -ENOMEM)
		goto fail;
	err = JUDGE(&rs, err, pf_judge_space, &sp, p, "space", "statvfs",
		    "df -h", path);
	if (!err)
		err = run_mount(r, t, path, p, &rs);
	if (!err)
		err = run_queues(r, t, path, p, &rs);
	if (!err)
		err = run_memory(r, sp.size, p, &rs);
	if (err < 0)
		goto fail;
	*out = rs.v;
	*n = rs.n;
	return 0;
fail:
	free(rs.v);
	return err;
}
