// SPDX-License-Identifier: LGPL-2.1-or-later
/* Resolve a target to the request queues that serve it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>

#include "ctl/attr.h"
#include "ctl/blk.h"
#include "ctl/queue.h"
#include "internal.h"

#define MAX_DEPTH 8
#define DELETED " (deleted)"

struct walk {
	const struct ctl_root *r;
	unsigned int flags;
	int below; /* a path, or --stack: what lies below counts too */
	unsigned int depth; /* slaves/ levels: a cycle in a tree ends here */
	struct ctl_blk_list *out;
};

static void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

static int add(struct ctl_blk_list *l, const struct ctl_blkdev *d)
{
	struct ctl_blkdev *v;

	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].kind == d->kind &&
		    strcmp(l->v[i].name, d->name) == 0 &&
		    l->v[i].major == d->major && l->v[i].minor == d->minor)
			return 0;
	v = realloc(l->v, (l->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	l->v = v;
	l->v[l->n++] = *d;
	return 0;
}

void ctl_blk_list_free(struct ctl_blk_list *l)
{
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static int read_devno(const struct ctl_root *r, const char *dir,
		      unsigned int *maj, unsigned int *min)
{
	char buf[32];
	int err = ctl_attr_read(r, dir, "dev", buf, sizeof(buf));

	if (err < 0)
		return err;
	return sscanf(buf, "%u:%u", maj, min) == 2 ? 0 : -EINVAL;
}

static int exists(const struct ctl_root *r, const char *dir, const char *name)
{
	char path[PATH_MAX];

	if (ctl_fmt(path, sizeof(path), "%s/%s", dir, name) < 0)
		return 0;
	return ctl_root_exists(r, path);
}

/* The `via` text is informational: truncating a very long one is fine. */
static _printf_(3, 4) void say(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* "PREFIX > NAME", or NAME alone, into BUF. */
static void chain(char *buf, size_t len, const char *prefix, const char *name)
{
	say(buf, len, "%s%s%s", prefix, *prefix ? " > " : "", name);
}

static int resolve_devno(struct walk *w, unsigned int maj, unsigned int min,
			 unsigned int level, const char *via);
static int resolve_fd(struct walk *w, int fd, const struct stat *st,
		      unsigned int level, const char *via);

/* An entry for what lies below a loop file that cannot be followed. */
static _printf_(3, 4) int unknown(struct walk *w, unsigned int level,
				  const char *fmt, ...)
{
	struct ctl_blkdev d = {.kind = CTL_BLK_UNKNOWN, .level = level};
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d.via, sizeof(d.via), fmt, ap);
	va_end(ap);
	return add(w->out, &d);
}

/* The loop device NAME serves its backing file: follow it down. */
static int follow_loop(struct walk *w, const char *dir, const char *name,
		       unsigned int level, const char *via)
{
	char file[PATH_MAX], sub[sizeof(((struct ctl_blkdev *)0)->via)];
	_cleanup_close_ int fd = -1;
	char ldir[PATH_MAX];
	struct stat st;
	size_t len;
	int err;

	if (ctl_fmt(ldir, sizeof(ldir), "%s/loop", dir) < 0)
		return -ENAMETOOLONG;
	err = ctl_attr_read(w->r, ldir, "backing_file", file, sizeof(file));
	if (err == -ENOENT || err == -EINVAL)
		return 0; /* not a loop device, or not bound */
	if (err < 0)
		return err;
	/* The kernel appends " (deleted)" once the file is unlinked: its
	 * path may name another file now, so the chain ends here, and what
	 * serves the file is unknown: say so rather than end in silence. */
	len = strlen(file);
	if (len >= sizeof(DELETED) - 1 &&
	    strcmp(file + len - (sizeof(DELETED) - 1), DELETED) == 0)
		return unknown(w, level + 1,
			       "%s%sbacking file %s of %s: "
			       "the device under it is unknown",
			       via, *via ? " > " : "", file, name);
	say(sub, sizeof(sub), "%s%sbacking file %s of %s", via,
	    *via ? " > " : "", file, name);
	/* The file as the root sees it: stat and statfs the same inode. */
	fd = ctl_root_open_path(w->r, file, O_PATH, 0);
	if (fd < 0)
		return unknown(w, level + 1,
			       "%s is out of reach here: the device under it "
			       "is unknown",
			       sub);
	if (fstat(fd, &st) < 0)
		return neg_errno();
	return resolve_fd(w, fd, &st, level + 1, sub);
}

/*
 * The devices in DIR/slaves (dm, md): resolve each when W says so, else
 * only count them. *FOUND is the number of entries.
 */
static int walk_slaves(struct walk *w, const char *dir, const char *name,
		       unsigned int level, const char *via, int resolve,
		       unsigned int *found)
{
	_cleanup_(closedirp) DIR *dd = NULL;
	char slaves[PATH_MAX];
	struct dirent *de;
	int err;

	*found = 0;
	if (ctl_fmt(slaves, sizeof(slaves), "%s/slaves", dir) < 0)
		return -ENAMETOOLONG;
	dd = ctl_root_opendir(w->r, slaves);
	while (dd && (de = readdir(dd))) {
		char sdir[PATH_MAX], sub[sizeof(((struct ctl_blkdev *)0)->via)];
		unsigned int smaj, smin;

		if (de->d_name[0] == '.')
			continue;
		(*found)++;
		if (!resolve)
			continue;
		if (ctl_fmt(sdir, sizeof(sdir), "%s/%s", slaves, de->d_name) <
		    0)
			return -ENAMETOOLONG;
		err = read_devno(w->r, sdir, &smaj, &smin);
		if (err < 0)
			return err;
		chain(sub, sizeof(sub), via, name);
		w->depth++;
		err = resolve_devno(w, smaj, smin, level, sub);
		w->depth--;
		if (err < 0)
			return err;
	}
	return 0;
}

/*
 * Add the disk NAME (a /sys/block entry). Below it (when W->below) lie
 * the devices in its slaves/ (dm, md) and, for a loop device, the device
 * under its backing file.
 */
static int expand_disk(struct walk *w, const char *name, unsigned int level,
		       const char *via)
{
	struct ctl_blkdev d = {.level = level};
	char dir[PATH_MAX];
	unsigned int found;
	int err;

	if (level > MAX_DEPTH || w->depth > MAX_DEPTH)
		return -ELOOP;
	if (ctl_fmt(dir, sizeof(dir), "/sys/block/%s", name) < 0 ||
	    ctl_fmt(d.name, sizeof(d.name), "%s", name) < 0)
		return -ENAMETOOLONG;
	err = read_devno(w->r, dir, &d.major, &d.minor);
	if (err < 0)
		return err == -ENOENT ? -ENODEV : err;
	say(d.via, sizeof(d.via), "%s", via);

	if (exists(w->r, dir, "queue/nr_requests")) {
		d.kind = CTL_BLK_QUEUE;
		err = add(w->out, &d);
		if (err < 0 || !w->below)
			return err;
		/* Request-based dm (multipath): its queue and those below. */
		err = walk_slaves(w, dir, name, level, via, 1, &found);
		if (err < 0 || !(w->flags & CTL_BLK_FOLLOW_LOOP))
			return err;
		return follow_loop(w, dir, name, level, via);
	}

	/* No queue of its own: bio-based dm/md reach their queues below. */
	err = walk_slaves(w, dir, name, level, via, w->below, &found);
	if (err < 0)
		return err;
	if (found && w->below)
		return 0;
	d.kind = CTL_BLK_NOQUEUE;
	if (!found)
		say(d.via, sizeof(d.via), "%s%sbio-based, no request queue",
		    via, *via ? "; " : "");
	else if (found == 1)
		say(d.via, sizeof(d.via),
		    "%s%sbio-based, no request queue; --stack reaches the device below it",
		    via, *via ? "; " : "");
	else
		say(d.via, sizeof(d.via),
		    "%s%sbio-based, no request queue; --stack reaches the %u devices below it",
		    via, *via ? "; " : "", found);
	return add(w->out, &d);
}

/* MAJ:MIN -> its sysfs entry; a partition goes to its parent disk. */
static int resolve_devno(struct walk *w, unsigned int maj, unsigned int min,
			 unsigned int level, const char *via)
{
	char dir[64], path[80], name[NAME_MAX + 1], sub[256];
	int err;

	err = ctl_root_devname(w->r, makedev(maj, min), name, sizeof(name));
	if (err < 0)
		return err;
	snprintf(dir, sizeof(dir), "/sys/dev/block/%u:%u", maj, min);
	if (!exists(w->r, dir, "partition"))
		return expand_disk(w, name, level, via);
	snprintf(path, sizeof(path), "%s/..", dir);
	chain(sub, sizeof(sub), via, name);
	err = ctl_root_realname(w->r, path, name, sizeof(name));
	if (err < 0)
		return err;
	return expand_disk(w, name, level, sub);
}

static const char *fs_name(long type)
{
	switch (type) {
	case TMPFS_MAGIC:
		return "tmpfs";
	case OVERLAYFS_SUPER_MAGIC:
		return "overlayfs";
	case BTRFS_SUPER_MAGIC:
		return "btrfs";
	case NFS_SUPER_MAGIC:
		return "NFS";
	case PROC_SUPER_MAGIC:
		return "procfs";
	case SYSFS_MAGIC:
		return "sysfs";
	case RAMFS_MAGIC:
		return "ramfs";
	default:
		return NULL;
	}
}

/* What serves the file or device node open at FD (ST its fstat). */
static int resolve_fd(struct walk *w, int fd, const struct stat *st,
		      unsigned int level, const char *via)
{
	struct ctl_blkdev d = {.kind = CTL_BLK_NODEV, .level = level};
	const char *fs = NULL;
	struct statfs sfs;
	dev_t dev;

	dev = S_ISBLK(st->st_mode) ? st->st_rdev : st->st_dev;
	d.major = major(dev);
	d.minor = minor(dev);
	/* Anonymous st_dev (major 0): no block device, hence no queue. */
	if (d.major != 0)
		return resolve_devno(w, d.major, d.minor, level, via);
	if (fstatfs(fd, &sfs) == 0)
		fs = fs_name((long)sfs.f_type);
	say(d.via, sizeof(d.via),
	    "%s%sanonymous device %u:%u (%s): no block device, no request queue",
	    via, *via ? "; " : "", d.major, d.minor,
	    fs ? fs : "tmpfs, overlayfs, btrfs, NFS or similar");
	return add(w->out, &d);
}

int ctl_blk_resolve_target(const struct ctl_root *r, const struct ctl_target *t,
			   unsigned int flags, struct ctl_blk_list *out)
{
	struct walk w = {.r = r,
			 .flags = flags,
			 .below = !!(flags & CTL_BLK_STACK),
			 .out = out};
	char dir[PATH_MAX];
	_cleanup_close_ int fd = -1;

	switch (t->kind) {
	case CTL_TARGET_DEV:
		return resolve_devno(&w, major(t->dev), minor(t->dev), 0, "");
	case CTL_TARGET_PATH:
	case CTL_TARGET_NEW:
		/* A file, or the directory of a new one, means every queue
		 * that serves it. The fd only names its file system when
		 * there is no block device. It is where the resolver found
		 * it: the user's, or inside a system root (ctl/root.h). */
		w.below = 1;
		if (ctl_target_found(t, dir, sizeof(dir)) == 0)
			fd = ctl_root_path_open(r, dir, O_PATH);
		return resolve_fd(&w, fd, &t->st, 0, "");
	default:
		return -EINVAL; /* "-": the caller reads the targets */
	}
}

int ctl_blk_resolve(const struct ctl_root *r, const char *target,
		    unsigned int flags, struct ctl_blk_list *out)
{
	struct ctl_target t;
	int err = ctl_target_resolve(r, target, 0, &t);

	return err < 0 ? err : ctl_blk_resolve_target(r, &t, flags, out);
}

int ctl_blk_resolve_at(const struct ctl_root *r, const char *target,
		       unsigned int flags, struct ctl_blk_list *out, int *dfd)
{
	struct ctl_blkdev *v;
	struct ctl_target t;
	int err = ctl_target_resolve_disk(r, target, 0, &t, dfd);

	if (err < 0)
		return err;
	if (*dfd < 0 || (flags & CTL_BLK_STACK) ||
	    ctl_queue_exists_at(*dfd) != 1) {
		closep(dfd);
		*dfd = -1;
		return ctl_blk_resolve_target(r, &t, flags, out);
	}
	v = realloc(out->v, (out->n + 1) * sizeof(*v));
	if (!v) {
		closep(dfd);
		*dfd = -1;
		return -ENOMEM;
	}
	out->v = v;
	v = &v[out->n++];
	memset(v, 0, sizeof(*v));
	snprintf(v->name, sizeof(v->name), "%s", t.name);
	v->major = major(t.dev);
	v->minor = minor(t.dev);
	v->kind = CTL_BLK_QUEUE;
	return 0;
}

static int cmp_dev(const void *a, const void *b)
{
	const struct ctl_blkdev *x = a, *y = b;

	return strcmp(x->name, y->name);
}

int ctl_blk_list_queues(const struct ctl_root *r, struct ctl_blk_list *out)
{
	_cleanup_(closedirp) DIR *d = ctl_root_opendir(r, "/sys/block");
	struct walk w = {.r = r, .out = out};
	size_t first = out->n;
	struct dirent *de;

	if (!d)
		return neg_errno();
	while ((de = readdir(d))) {
		char dir[PATH_MAX];
		struct ctl_blkdev dv = {.kind = CTL_BLK_QUEUE};
		int err;

		if (de->d_name[0] == '.' ||
		    ctl_fmt(dir, sizeof(dir), "/sys/block/%s", de->d_name) <
			    0 ||
		    !exists(r, dir, "queue/nr_requests"))
			continue;
		err = read_devno(r, dir, &dv.major, &dv.minor);
		if (err < 0)
			continue;
		if (ctl_fmt(dv.name, sizeof(dv.name), "%s", de->d_name) < 0)
			continue;
		err = add(w.out, &dv);
		if (err < 0)
			return err;
	}
	if (out->n > first)
		qsort(out->v + first, out->n - first, sizeof(*out->v), cmp_dev);
	return 0;
}
