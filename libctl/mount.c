// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Mount state through libmount; the only file that calls it. mountinfo is
 * read through the root fd (so a fake tree or the host's / mounted
 * elsewhere works) and parsed with mnt_table_parse_stream(), never with
 * libmount's own path lookup: <root>/proc/self/mountinfo, or for a system
 * root (--sysroot, CTL_ROOT_SYSTEM) <root>/proc/1/mountinfo, the table of
 * its init: /proc/self inside a container is the container's own.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <libmount.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "ctl/file.h"
#include "ctl/mount.h"
#include "internal.h"

#define SB_FLAGS (MS_LAZYTIME | MS_SYNCHRONOUS | MS_DIRSYNC | MS_MANDLOCK)

/* The mount table of R's system. */
static const char *mountinfo(const struct ctl_root *r)
{
	return ctl_root_paths_inside(r) ? "/proc/1/mountinfo"
					: "/proc/self/mountinfo";
}

static void tablep(struct libmnt_table **tb)
{
	mnt_unref_table(*tb);
}

static void iterp(struct libmnt_iter **it)
{
	mnt_free_iter(*it);
}

#define _cleanup_table_ _cleanup_(tablep)
#define _cleanup_iter_ _cleanup_(iterp)

/*
 * Open PATH (inside the root) for reading as a stream: a regular file
 * only (ctl_root_open_input), so a FIFO or a device in a sysroot tree is
 * refused (-EISDIR, -CTL_ENOTREG) instead of blocking. Returns 0 or -errno.
 */
static int table_open(const struct ctl_root *r, const char *path, FILE **out)
{
	*out = ctl_root_fopen(r, path, "r");
	return *out ? 0 : neg_errno();
}

/* Parse PATH (inside the root) into a new table. */
static int table_read(const struct ctl_root *r, const char *path,
		      struct libmnt_table **out)
{
	_cleanup_fclose_ FILE *f = NULL;
	struct libmnt_table *tb;
	int err = table_open(r, path, &f);

	if (err < 0)
		return err;
	tb = mnt_new_table();
	if (!tb)
		return -ENOMEM;
	err = mnt_table_parse_stream(tb, f, path);
	if (err < 0) {
		mnt_unref_table(tb);
		return err < -1 ? err : -EINVAL;
	}
	*out = tb;
	return 0;
}

/*
 * Parse PATH (inside the root) into a new *TB, with a forward iterator
 * over it in *IT; on failure the caller's cleanup frees what was made.
 */
static int table_iter(const struct ctl_root *r, const char *path,
		      struct libmnt_table **tb, struct libmnt_iter **it)
{
	int err = table_read(r, path, tb);

	if (err < 0)
		return err;
	*it = mnt_new_iter(MNT_ITER_FORWARD);
	return *it ? 0 : -ENOMEM;
}

static char *dup_or_empty(const char *s)
{
	return strdup(s ? s : "");
}

void ctl_mount_clear(struct ctl_mount *m)
{
	free(m->source);
	free(m->target);
	free(m->root);
	free(m->fstype);
	free(m->vfs_opts);
	free(m->fs_opts);
	memset(m, 0, sizeof(*m));
}

static int fill(struct libmnt_fs *fs, struct ctl_mount *m)
{
	const struct libmnt_optmap *map = mnt_get_builtin_optmap(MNT_LINUX_MAP);
	unsigned long fl = 0;

	memset(m, 0, sizeof(*m));
	m->id = mnt_fs_get_id(fs);
	m->dev = mnt_fs_get_devno(fs);
	m->source = dup_or_empty(mnt_fs_get_source(fs));
	m->target = dup_or_empty(mnt_fs_get_target(fs));
	m->root = dup_or_empty(mnt_fs_get_root(fs));
	m->fstype = dup_or_empty(mnt_fs_get_fstype(fs));
	m->vfs_opts = dup_or_empty(mnt_fs_get_vfs_options(fs));
	m->fs_opts = dup_or_empty(mnt_fs_get_fs_options(fs));
	if (!m->source || !m->target || !m->root || !m->fstype ||
	    !m->vfs_opts || !m->fs_opts) {
		ctl_mount_clear(m);
		return -ENOMEM;
	}
	mnt_optstr_get_flags(m->vfs_opts, &fl, map);
	m->vfs_flags = fl;
	/* lazytime, sync, dirsync are superblock flags, listed there. */
	fl = 0;
	mnt_optstr_get_flags(m->fs_opts, &fl, map);
	m->vfs_flags |= fl & SB_FLAGS;
	/* The superblock options say "ro" when the fs itself is read-only. */
	m->sb_ro = ctl_mount_opt(m->fs_opts, "ro", NULL, 0) == 1;
	return 0;
}

/* Best mount of DEV in TB: the one mounting the fs root, else the first. */
static struct libmnt_fs *find_dev(struct libmnt_table *tb, dev_t dev)
{
	_cleanup_iter_ struct libmnt_iter *it = mnt_new_iter(MNT_ITER_FORWARD);
	struct libmnt_fs *fs, *first = NULL;

	if (!it)
		return NULL;
	while (mnt_table_next_fs(tb, it, &fs) == 0) {
		const char *root = mnt_fs_get_root(fs);

		if (mnt_fs_get_devno(fs) != dev)
			continue;
		if (root && strcmp(root, "/") == 0)
			return fs;
		if (!first)
			first = fs;
	}
	return first;
}

int ctl_mount_by_dev(const struct ctl_root *r, dev_t dev, struct ctl_mount *m)
{
	_cleanup_table_ struct libmnt_table *tb = NULL;
	struct libmnt_fs *fs;
	int err = table_read(r, mountinfo(r), &tb);

	if (err < 0)
		return err;
	fs = find_dev(tb, dev);
	if (!fs)
		return -ENOENT;
	return fill(fs, m);
}

/* Length of TARGET when it is PATH or a directory above it, else 0. */
static size_t prefix_len(const char *target, const char *path)
{
	size_t n = strlen(target);

	if (strcmp(target, "/") == 0)
		return 1;
	if (strncmp(target, path, n) != 0)
		return 0;
	return path[n] == '\0' || path[n] == '/' ? n : 0;
}

int ctl_mount_by_path(const struct ctl_root *r, const char *path,
		      struct ctl_mount *m)
{
	_cleanup_table_ struct libmnt_table *tb = NULL;
	_cleanup_iter_ struct libmnt_iter *it = NULL;
	struct libmnt_fs *fs, *best = NULL;
	char real[PATH_MAX];
	size_t best_len = 0;
	struct stat st;
	int err = ctl_root_path_stat(r, path, &st, 0);

	if (err == 0)
		err = ctl_root_path_real(r, path, real, sizeof(real));
	if (err < 0)
		return err;
	err = table_iter(r, mountinfo(r), &tb, &it);
	if (err < 0)
		return err;
	/*
	 * Several mounts can share st_dev (bind mounts): the deepest mount
	 * point above PATH is the one that serves it. Later lines win ties,
	 * as a later mount covers an earlier one on the same directory.
	 */
	while (mnt_table_next_fs(tb, it, &fs) == 0) {
		const char *t = mnt_fs_get_target(fs);
		size_t n;

		if (mnt_fs_get_devno(fs) != st.st_dev || !t)
			continue;
		n = prefix_len(t, real);
		if (n && n >= best_len) {
			best = fs;
			best_len = n;
		}
	}
	if (!best)
		best = find_dev(tb, st.st_dev);
	if (!best)
		return -ENOENT;
	return fill(best, m);
}

static int type_in(const char *type, const char *const *types)
{
	if (!types)
		return 1;
	for (; *types; types++)
		if (type && strcmp(type, *types) == 0)
			return 1;
	return 0;
}

void ctl_mount_list_free(struct ctl_mount *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ctl_mount_clear(&v[i]);
	free(v);
}

int ctl_mount_list(const struct ctl_root *r, const char *const *types,
		   struct ctl_mount **v, size_t *n)
{
	_cleanup_table_ struct libmnt_table *tb = NULL;
	_cleanup_iter_ struct libmnt_iter *it = NULL;
	struct ctl_mount *out = NULL;
	struct libmnt_fs *fs;
	size_t cnt = 0;
	int err = table_iter(r, mountinfo(r), &tb, &it);

	if (err < 0)
		return err;
	while (mnt_table_next_fs(tb, it, &fs) == 0) {
		dev_t dev = mnt_fs_get_devno(fs);
		struct ctl_mount *nv;
		size_t i;

		if (!type_in(mnt_fs_get_fstype(fs), types))
			continue;
		for (i = 0; i < cnt && out[i].dev != dev; i++)
			;
		if (i < cnt)
			continue; /* one row per file system */
		nv = realloc(out, (cnt + 1) * sizeof(*out));
		if (!nv) {
			ctl_mount_list_free(out, cnt);
			return -ENOMEM;
		}
		out = nv;
		err = fill(find_dev(tb, dev), &out[cnt]);
		if (err < 0) {
			ctl_mount_list_free(out, cnt);
			return err;
		}
		cnt++;
	}
	*v = out;
	*n = cnt;
	return 0;
}

int ctl_mount_opt(const char *optstr, const char *name, char *val, size_t len)
{
	char *v = NULL;
	size_t vsz = 0;
	int rc;

	if (!optstr || !name || !*name)
		return -EINVAL;
	rc = mnt_optstr_get_option(optstr, name, &v, &vsz);
	if (rc == 1)
		return 0;
	if (rc < 0)
		return -EINVAL;
	if (!val)
		return 1;
	if (vsz >= len)
		return -ENAMETOOLONG;
	if (v && vsz)
		memcpy(val, v, vsz);
	val[vsz] = '\0';
	return 1;
}

int ctl_mount_opt_set(char **optstr, const char *name, const char *value)
{
	int rc;

	if (!name || !*name || strchr(name, ','))
		return -EINVAL;
	if (value && strchr(value, ','))
		return -EINVAL;
	if (!value) {
		if (!*optstr)
			return 0;
		rc = mnt_optstr_remove_option(optstr, name);
		return rc < 0 ? -EINVAL : 0;
	}
	rc = mnt_optstr_set_option(optstr, name, value);
	return rc < 0 ? (rc == -ENOMEM ? -ENOMEM : -EINVAL) : 0;
}

static int spec_is(const char *spec, const char *tag, const char *val)
{
	size_t n = strlen(tag);

	return val && *val && strncmp(spec, tag, n) == 0 &&
	       strcmp(spec + n, val) == 0;
}

int ctl_fstab_find(const struct ctl_root *r, const char *target,
		   const char *source, const char *uuid, const char *label,
		   char **opts)
{
	_cleanup_table_ struct libmnt_table *tb = NULL;
	_cleanup_iter_ struct libmnt_iter *it = NULL;
	struct libmnt_fs *fs, *by_spec = NULL, *hit = NULL;
	int err = table_iter(r, "/etc/fstab", &tb, &it);

	if (err == -ENOENT)
		return 0;
	if (err < 0)
		return err;
	while (!hit && mnt_table_next_fs(tb, it, &fs) == 0) {
		const char *t = mnt_fs_get_target(fs);
		const char *s = mnt_fs_get_source(fs);

		if (target && t && strcmp(t, target) == 0)
			hit = fs;
		else if (!by_spec && s &&
			 ((source && *source && strcmp(s, source) == 0) ||
			  spec_is(s, "UUID=", uuid) ||
			  spec_is(s, "LABEL=", label)))
			by_spec = fs;
	}
	if (!hit)
		hit = by_spec;
	if (!hit)
		return 0;
	*opts = dup_or_empty(mnt_fs_get_options(hit));
	return *opts ? 1 : -ENOMEM;
}

int ctl_mount_space(const struct ctl_root *r, const char *path, uint64_t *avail,
		    uint64_t *total)
{
	_cleanup_close_ int fd = ctl_root_path_open(r, path, O_PATH);
	struct statvfs sv;

	if (fd < 0)
		return fd;
	if (fstatvfs(fd, &sv) < 0)
		return neg_errno();
	*avail = (uint64_t)sv.f_bavail * sv.f_frsize;
	*total = (uint64_t)sv.f_blocks * sv.f_frsize;
	return 0;
}
