// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * preflight measurements: read only, through the other libctl modules,
 * plus the four vm.dirty_* sysctls, kernel.io_uring_disabled and a raw
 * io_uring_setup(2) probe (liburing belongs to libctl/uring.c). What the
 * values mean for a write is cmd/preflight/'s to judge.
 */
#include <errno.h>
#include <limits.h>
#include <linux/io_uring.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "ctl/attr.h"
#include "ctl/blk.h"
#include "ctl/cgroup.h"
#include "ctl/cli.h"
#include "ctl/clock.h"
#include "ctl/diskstats.h"
#include "ctl/ext4.h"
#include "ctl/mount.h"
#include "ctl/preflight.h"
#include "ctl/queue.h"
#include "ctl/target.h"
#include "ctl/vm.h"
#include "internal.h"

int ctl_preflight_measure_swappiness(const struct ctl_root *r,
				     struct ctl_pf_vm *m)
{
	struct ctl_cgroup_mem cm;
	char dir[512];
	uint64_t v;
	int err = ctl_vm_swappiness_get(r, &m->swappiness);

	m->cg_swappiness = -1;
	m->cg_path[0] = '\0';
	if (err < 0)
		return err;
	err = ctl_cgroup_mem_find(r, &cm);
	if (err == -ENOTSUP)
		return 0;
	if (err < 0)
		return err;
	if (cm.version != 1 || strcmp(cm.self, "/") == 0)
		return 0;
	snprintf(dir, sizeof(dir), "%s%s", cm.mount, cm.self);
	err = ctl_attr_read_u64(r, dir, "memory.swappiness", &v);
	if (err < 0)
		return err;
	m->cg_swappiness = v > 200 ? 200 : (int)v;
	snprintf(m->cg_path, sizeof(m->cg_path), "%s", cm.self);
	return 0;
}

int ctl_preflight_measure_memory(const struct ctl_root *r, struct ctl_pf_vm *m)
{
	struct ctl_cgroup_limit lim;
	struct ctl_cgroup_mem cm;
	struct ctl_meminfo mi;
	char dir[512];
	int err = ctl_vm_meminfo_read(r, &mi);

	if (err < 0)
		return err;
	m->mem_total = mi.total * 1024;
	m->mem_avail = mi.available * 1024;
	m->cg_limit = CTL_CGROUP_UNLIMITED;
	m->cg_version = 0;
	err = ctl_cgroup_mem_find(r, &cm);
	if (err == -ENOTSUP)
		return 0; /* no memory controller: no limit */
	if (err < 0)
		return err;
	/* The limits are read upwards from the caller's cgroup: a missing
	 * one would read as "no limit", which was not measured. */
	snprintf(dir, sizeof(dir), "%s%s", cm.mount,
		 strcmp(cm.self, "/") ? cm.self : "");
	if (!ctl_root_exists(r, dir))
		return -ENOENT;
	err = ctl_cgroup_self_limit(r, &lim);
	if (err < 0)
		return err;
	m->cg_limit = lim.max;
	m->cg_version = lim.version;
	return 0;
}

int ctl_preflight_measure_vm(const struct ctl_root *r, struct ctl_pf_vm *m)
{
	int err = ctl_preflight_measure_swappiness(r, m);

	return err < 0 ? err : ctl_preflight_measure_memory(r, m);
}

int ctl_preflight_measure_dirty(const struct ctl_root *r,
				struct ctl_pf_dirty *m)
{
	struct {
		const char *name;
		uint64_t *v;
	} f[] = {
		{"dirty_ratio", &m->ratio},
		{"dirty_bytes", &m->bytes},
		{"dirty_background_ratio", &m->bg_ratio},
		{"dirty_background_bytes", &m->bg_bytes},
	};
	struct ctl_meminfo mi;
	int err;

	for (size_t i = 0; i < ARRAY_SIZE(f); i++) {
		err = ctl_attr_read_u64(r, "/proc/sys/vm", f[i].name, f[i].v);
		if (err < 0)
			return err;
	}
	err = ctl_vm_meminfo_read(r, &mi);
	if (err < 0)
		return err;
	m->mem_avail = mi.available * 1024;
	return 0;
}

int ctl_preflight_measure_uring(const struct ctl_root *r,
				struct ctl_pf_uring *m)
{
	struct io_uring_params params = {0};
	uint64_t v;
	long fd;
	int err = ctl_attr_read_u64(r, "/proc/sys/kernel", "io_uring_disabled",
				    &v);

	if (err == -ENOENT)
		m->disabled = -1;
	else if (err < 0)
		return err;
	else
		m->disabled = v > 2 ? 2 : (int)v;
	fd = syscall(__NR_io_uring_setup, 1, &params);
	if (fd < 0) {
		m->probe = neg_errno();
	} else {
		m->probe = 0;
		close((int)fd);
	}
	return 0;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = ctl_ms_timespec(ms);

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Per-disk state of a sampling run. */
struct qsample {
	struct ctl_diskstat first, prev;
	struct ctl_satur sat;
	bool saturated;
};

/*
 * Sample the diskstats lines of the N queues in M together (one sleep per
 * round, whatever N is); saturated when every sample is >= util_pct.
 * ERRS[i] != 0 skips a disk; a failed read sets it.
 */
static void sample_queues(const struct ctl_root *r,
			  const struct ctl_pf_sampling *p,
			  struct ctl_pf_queue *m, int *errs, size_t n)
{
	struct qsample *qs = calloc(n ? n : 1, sizeof(*qs));
	struct ctl_diskstat cur;
	struct ctl_iostat s;
	double t0, t, tp;

	if (!qs) {
		for (size_t i = 0; i < n; i++)
			errs[i] = errs[i] ? errs[i] : -ENOMEM;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (!errs[i])
			errs[i] = ctl_diskstat_read(r, m[i].name, &qs[i].first);
		qs[i].prev = qs[i].first;
		ctl_satur_init(&qs[i].sat, p->util_pct, p->samples);
	}
	t0 = tp = ctl_now_ms();
	for (unsigned int k = 0; k < p->samples; k++) {
		sleep_ms(p->sample_ms);
		t = ctl_now_ms();
		for (size_t i = 0; i < n; i++) {
			if (errs[i])
				continue;
			errs[i] = ctl_diskstat_read(r, m[i].name, &cur);
			if (errs[i])
				continue;
			ctl_iostat_compute(&qs[i].prev, &cur, t - tp, &s);
			qs[i].saturated = ctl_satur_feed(&qs[i].sat, s.util);
			qs[i].prev = cur;
		}
		tp = t;
	}
	for (size_t i = 0; i < n; i++) {
		if (errs[i])
			continue;
		ctl_iostat_compute(&qs[i].first, &qs[i].prev, tp - t0, &s);
		m[i].samples = p->samples;
		m[i].saturated = qs[i].saturated;
		m[i].util = s.util;
		m[i].await = s.await;
	}
	free(qs);
}

/* Scheduler and depth of disk NAME into M (no sampling). */
static int read_queue(const struct ctl_root *r, const char *name,
		      struct ctl_pf_queue *m)
{
	struct ctl_queue q;
	uint64_t lo, hi;
	int err = ctl_queue_read(r, name, &q);

	if (err < 0)
		return err;
	*m = (struct ctl_pf_queue){0};
	snprintf(m->name, sizeof(m->name), "%s", q.name);
	snprintf(m->sched, sizeof(m->sched), "%s", q.sched);
	m->sched_fixed = q.sched_fixed;
	m->rotational = q.rotational;
	m->depth = q.depth;
	ctl_queue_range(&q, q.sched, &lo, &hi);
	m->depth_range_max = hi;
	return 0;
}

void ctl_preflight_measure_queues(const struct ctl_root *r,
				  const char *const *names, size_t n,
				  const struct ctl_pf_sampling *s,
				  struct ctl_pf_queue *m, int *errs)
{
	size_t ok = 0;

	for (size_t i = 0; i < n; i++)
		ok += (errs[i] = read_queue(r, names[i], &m[i])) == 0;
	/* No queue to sample (tmpfs, /proc, all unreadable): no sleep. */
	if (s->samples && ok)
		sample_queues(r, s, m, errs, n);
}

int ctl_preflight_measure_queue(const struct ctl_root *r, const char *name,
				const struct ctl_pf_sampling *s,
				struct ctl_pf_queue *m)
{
	int err;

	ctl_preflight_measure_queues(r, &name, 1, s, m, &err);
	return err;
}

/* Per-mount options, then the superblock's that are not among them. */
static void join_opts(const char *vfs, const char *fs, char *out, size_t len)
{
	size_t o = (size_t)snprintf(out, len, "%s", vfs ? vfs : "");

	for (const char *p = fs ? fs : ""; *p && o < len;) {
		size_t l = strcspn(p, ",");
		char item[256];

		if (l && l < sizeof(item)) {
			memcpy(item, p, l);
			item[l] = '\0';
			if (!ctl_list_has(out, item))
				o += (size_t)snprintf(out + o, len - o, "%s%s",
						      o ? "," : "", item);
		}
		p += l + (p[l] == ',');
	}
}

/*
 * 1 when path P (as R's user means it: inside a system root) is on the
 * mount ID of the file system whose files have st_dev DEV; a path on that
 * file system whose mount cannot be found counts as on it (the safe
 * answer). 0 when not, or -ENOMEM.
 */
static int on_mount(const struct ctl_root *r, const char *p, dev_t dev, int id)
{
	struct ctl_mount m = {0};
	struct stat st;
	int err;

	if (ctl_root_path_stat(r, p, &st, 0) < 0 || st.st_dev != dev)
		return 0;
	err = ctl_mount_by_path(r, p, &m);
	if (err == -ENOMEM)
		return err;
	err = err < 0 || m.id == id;
	ctl_mount_clear(&m);
	return err;
}

/* Directories the host cannot run without. */
static const char *const system_dirs[] = {"/", "/usr", "/boot", "/etc", "/var"};

/* A file this process runs code from, on mount ID: into WHY. */
static int running_code(const struct ctl_root *r, dev_t dev, int id, char *why,
			size_t len)
{
	_cleanup_fclose_ FILE *f = ctl_root_fopen(r, "/proc/self/maps", "r");
	char line[PATH_MAX + 128], last[PATH_MAX] = "";

	/* A tree without it (or with a FIFO there, which is not read): the
	 * system directories still count. */
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char perms[8], *file, *end;
		int off = 0, err;

		/* "start-end perms offset dev inode   path" */
		if (sscanf(line, "%*s %7s %*s %*s %*s%n", perms, &off) != 1 ||
		    !off || !strchr(perms, 'x'))
			continue;
		file = line + off + strspn(line + off, " \t");
		end = file + strcspn(file, "\n");
		*end = '\0';
		/* A deleted file's path may name another file by now. */
		if (file[0] != '/' || strcmp(file, last) == 0 ||
		    (end - file > 10 && strcmp(end - 10, " (deleted)") == 0))
			continue;
		snprintf(last, sizeof(last), "%s", file);
		err = on_mount(r, file, dev, id);
		if (err < 0)
			return err;
		if (err) {
			snprintf(why, len, "code running now: %s", file);
			return 0;
		}
	}
	return 0;
}

/*
 * The first system directory, each PREFIX (PL bytes) + its path, that is
 * on mount ID, into WHY: 1 found, 0 not, -ENOMEM.
 */
static int dirs_reason(const struct ctl_root *r, const char *prefix, int pl,
		       dev_t dev, int id, char *why, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(system_dirs); i++) {
		const char *d = system_dirs[i];
		char p[PATH_MAX];
		int err;

		snprintf(p, sizeof(p), "%.*s%s", pl, prefix,
			 pl && strcmp(d, "/") == 0 ? "" : d);
		err = on_mount(r, p, dev, id);
		if (err) {
			/* cut to fit, as every report cell is */
			if (err > 0)
				snprintf(why, len, "%.*s", (int)(len - 1), p);
			return err;
		}
	}
	return 0;
}

/*
 * Why the mount ID of the file system DEV holds the running system, into
 * WHY ("" if nothing does): the sysroot's system directories, this
 * process's, then the code it runs. A system root (--sysroot in a
 * container) has its directories inside it and its own mount table; this
 * process's own ("/" and its code: the container's) are looked up in this
 * process's namespace, where only the very same mount has that ID. A test
 * tree stands in for /proc and /sys only: its directories are under it.
 */
static int system_reason(const struct ctl_root *r, dev_t dev, int id, char *why,
			 size_t len)
{
	const char *root = ctl_root_dir(r);
	struct ctl_root *self = NULL;
	const struct ctl_root *own = r;
	int rl = (int)strlen(root), err = 0;

	why[0] = '\0';
	while (rl > 1 && root[rl - 1] == '/')
		rl--;
	if (ctl_root_paths_inside(r)) {
		err = dirs_reason(r, "", 0, dev, id, why, len);
		if (err == 0)
			err = ctl_root_open(NULL, &self);
		own = self;
	} else if (!ctl_root_is_host(r)) {
		err = dirs_reason(r, root, rl, dev, id, why, len);
	}
	if (err == 0)
		err = dirs_reason(own, "", 0, dev, id, why, len);
	if (err == 0)
		err = running_code(own, dev, id, why, len);
	ctl_root_free(self);
	return err < 0 ? err : 0;
}

int ctl_preflight_measure_mount(const struct ctl_root *r,
				const struct ctl_target *t,
				struct ctl_pf_mount *m)
{
	struct ctl_mount mnt = {0};
	char path[PATH_MAX];
	int err = ctl_target_found(t, path, sizeof(path));

	*m = (struct ctl_pf_mount){0};
	if (err == 0)
		err = ctl_mount_by_path(r, path, &mnt);
	if (err < 0) {
		ctl_mount_clear(&mnt);
		return err;
	}
	snprintf(m->target, sizeof(m->target), "%s", mnt.target);
	snprintf(m->source, sizeof(m->source), "%s", mnt.source);
	snprintf(m->fstype, sizeof(m->fstype), "%s", mnt.fstype);
	join_opts(mnt.vfs_opts, mnt.fs_opts, m->opts, sizeof(m->opts));
	m->ro = (mnt.vfs_flags & MS_RDONLY) || mnt.sb_ro;
	m->dev = mnt.dev;
	err = system_reason(r, t->dev, mnt.id, m->system, sizeof(m->system));
	ctl_mount_clear(&mnt);
	return err;
}

int ctl_preflight_measure_ext4(const struct ctl_root *r, const char *path,
			       struct ctl_pf_ext4 *m)
{
	struct ctl_ext4_fs fs;
	int err = ctl_ext4_fs_open(r, path, CTL_EXT4_FS_LIVE_ONLY, &fs);

	*m = (struct ctl_pf_ext4){0};
	if (err == 0) {
		m->data = fs.live.data;
		m->commit = fs.live.commit;
		snprintf(m->target, sizeof(m->target), "%s", fs.m.target);
		snprintf(m->source, sizeof(m->source), "%s", fs.m.source);
	}
	ctl_ext4_fs_free(&fs);
	return err;
}
