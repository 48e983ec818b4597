// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Memory cgroups, v1 and v2, at their conventional mount points. No
 * libmount: each candidate is checked for the files only a mounted
 * controller has, which also tells a mounted hierarchy from an empty
 * directory on the tmpfs that holds them.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl/attr.h"
#include "ctl/cgroup.h"
#include "ctl/parse.h"
#include "internal.h"

/* v1 reports "no limit" as PAGE_COUNTER_MAX pages: far above 2^62 bytes. */
#define V1_UNLIMITED_FLOOR (UINT64_C(1) << 62)

static int has_word(const char *list, const char *word, const char *seps)
{
	size_t wl = strlen(word);

	for (const char *p = list; *p;) {
		size_t len = strcspn(p, seps);

		if (len == wl && strncmp(p, word, wl) == 0)
			return 1;
		p += len;
		p += strspn(p, seps);
	}
	return 0;
}

int ctl_cgroup_parse_self(const char *buf, int version, char *out, size_t len)
{
	const char *p = buf;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t ll = nl ? (size_t)(nl - p) : strlen(p);
		char line[1024], *c1, *c2;

		if (ll < sizeof(line)) {
			memcpy(line, p, ll);
			line[ll] = '\0';
			/* "ID:CONTROLLERS:PATH"; PATH may hold ':' */
			c1 = strchr(line, ':');
			c2 = c1 ? strchr(c1 + 1, ':') : NULL;
			if (c2) {
				*c1 = '\0';
				*c2 = '\0';
				if ((version == 2 && strcmp(line, "0") == 0 &&
				     c1[1] == '\0') ||
				    (version == 1 &&
				     has_word(c1 + 1, "memory", ","))) {
					if (c2[1] != '/')
						return -ENOENT;
					return ctl_fmt(out, len, "%s", c2 + 1) <
							       0
						       ? -ENAMETOOLONG
						       : 0;
				}
			}
		}
		p += ll + (nl ? 1 : 0);
	}
	return -ENOENT;
}

static int v2_has_memory(const struct ctl_root *r, const char *mount)
{
	char buf[512];

	if (ctl_attr_read(r, mount, "cgroup.controllers", buf, sizeof(buf)) < 0)
		return 0;
	return has_word(buf, "memory", " \t");
}

int ctl_cgroup_mem_find(const struct ctl_root *r, struct ctl_cgroup_mem *m)
{
	static const char *const v2[] = {"/sys/fs/cgroup",
					 "/sys/fs/cgroup/unified"};
	char self[4096];
	int n;

	memset(m, 0, sizeof(*m));
	for (size_t i = 0; i < ARRAY_SIZE(v2); i++) {
		if (v2_has_memory(r, v2[i])) {
			m->version = 2;
			strcpy(m->mount, v2[i]);
			break;
		}
	}
	if (!m->version &&
	    ctl_root_exists(r, "/sys/fs/cgroup/memory/memory.limit_in_bytes")) {
		m->version = 1;
		strcpy(m->mount, "/sys/fs/cgroup/memory");
	}
	if (!m->version)
		return -ENOTSUP;
	n = ctl_root_read_file(r, "/proc/self/cgroup", self, sizeof(self));
	if (n < 0)
		return n;
	return ctl_cgroup_parse_self(self, m->version, m->self,
				     sizeof(m->self));
}

/* Join the hierarchy root and a cgroup path ("/" is the root itself). */
static int cg_path(char *buf, size_t len, const char *mount, const char *rel)
{
	return ctl_fmt(buf, len, "%s%s", mount, strcmp(rel, "/") ? rel : "");
}

static int read_limit(const struct ctl_root *r, int version, const char *dir,
		      uint64_t *val)
{
	char buf[64];
	int err = ctl_attr_read(
		r, dir, version == 2 ? "memory.max" : "memory.limit_in_bytes",
		buf, sizeof(buf));

	if (err < 0)
		return err;
	if (version == 2 && strcmp(buf, "max") == 0) {
		*val = CTL_CGROUP_UNLIMITED;
		return 0;
	}
	err = ctl_parse_u64(buf, val);
	if (err < 0)
		return -EINVAL;
	if (version == 1 && *val >= V1_UNLIMITED_FLOOR)
		*val = CTL_CGROUP_UNLIMITED;
	return 0;
}

int ctl_cgroup_self_limit(const struct ctl_root *r,
			  struct ctl_cgroup_limit *lim)
{
	struct ctl_cgroup_mem m;
	char rel[384];
	int err = ctl_cgroup_mem_find(r, &m);

	memset(lim, 0, sizeof(*lim));
	lim->max = CTL_CGROUP_UNLIMITED;
	if (err < 0)
		return err;
	lim->version = m.version;
	strcpy(rel, m.self);
	/* Limits nest: the smallest one between here and the root binds. */
	for (;;) {
		char dir[512];
		uint64_t v;
		char *slash;

		err = cg_path(dir, sizeof(dir), m.mount, rel);
		if (err < 0)
			return err;
		err = read_limit(r, m.version, dir, &v);
		/* Only an absent file (the v2 root has no memory.max) is "no
		 * limit here"; a missing cgroup or an unreadable or garbled
		 * limit would make a limit that binds look like none. */
		if (err == -ENOENT && !ctl_root_exists(r, dir))
			return -ENOENT;
		if (err < 0 && err != -ENOENT)
			return err;
		if (err == 0 && v < lim->max) {
			lim->max = v;
			strcpy(lim->path, dir);
		}
		if (strcmp(rel, "/") == 0)
			break;
		slash = strrchr(rel, '/');
		if (slash == rel)
			strcpy(rel, "/");
		else
			*slash = '\0';
	}
	return 0;
}

/* Open the parent of PATH as a directory and point *BASE at the name. */
static int open_parent(const struct ctl_root *r, const char *path,
		       const char **base)
{
	char dir[512];
	const char *slash = strrchr(path, '/');

	if (!slash || !slash[1] || (size_t)(slash - path) >= sizeof(dir))
		return -EINVAL;
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	*base = slash + 1;
	return ctl_root_open_path(r, dir[0] ? dir : "/", O_RDONLY | O_DIRECTORY,
				  0);
}

/*
 * Write NAME in DIR. O_TRUNC is what a shell's ">" does and kernfs ignores
 * it; it makes a fake tree's regular files hold just the value written.
 */
static int write_attr(const struct ctl_root *r, const char *dir,
		      const char *name, const char *val)
{
	char path[600];
	int err = ctl_name_check(name);

	if (err < 0)
		return err;
	err = ctl_fmt(path, sizeof(path), "%s/%s", dir, name);
	if (err < 0)
		return err;
	return ctl_root_write_file(r, path, val, O_TRUNC);
}

static int set_attr(const struct ctl_root *r, struct ctl_cgroup *cg,
		    const char *name, const char *val)
{
	int err;

	snprintf(cg->attr, sizeof(cg->attr), "%s", name);
	err = write_attr(r, cg->path, name, val);
	if (err < 0)
		return err;
	cg->attr[0] = '\0';
	return 0;
}

/* v2: a child gets memory.* files only if the parent delegates memory. */
static int v2_delegate(const struct ctl_root *r, struct ctl_cgroup *cg,
		       const char *parent)
{
	char buf[512];
	int err;

	snprintf(cg->attr, sizeof(cg->attr), "cgroup.subtree_control");
	err = ctl_attr_read(r, parent, "cgroup.subtree_control", buf,
			    sizeof(buf));
	if (err < 0)
		return err;
	if (has_word(buf, "memory", " \t"))
		return 0;
	return write_attr(r, parent, "cgroup.subtree_control", "+memory");
}

int ctl_cgroup_create(const struct ctl_root *r, const struct ctl_cgroup_mem *m,
		      const char *name, struct ctl_cgroup *cg)
{
	char parent[512], where[512];
	const char *base;
	_cleanup_close_ int dfd = -1;
	int err;

	memset(cg, 0, sizeof(*cg));
	cg->version = m->version;
	err = ctl_name_check(name);
	if (err < 0)
		return err;
	err = ctl_fmt(where, sizeof(where), "%s", m->self);
	if (err < 0)
		return err;
	/*
	 * v2's "no internal processes" rule: the caller's own cgroup holds
	 * us, so it cannot delegate memory to a child (EBUSY). Go beside it,
	 * under its parent, which delegates to it already. The root cgroup
	 * is exempt from the rule.
	 */
	if (m->version == 2 && strcmp(where, "/") != 0) {
		char *slash = strrchr(where, '/');

		if (slash == where)
			slash[1] = '\0';
		else if (slash)
			*slash = '\0';
	}
	err = cg_path(parent, sizeof(parent), m->mount, where);
	if (err < 0)
		return err;
	err = ctl_fmt(cg->path, sizeof(cg->path), "%s/%s", parent, name);
	if (err < 0)
		return err;
	if (m->version == 2) {
		err = v2_delegate(r, cg, parent);
		if (err < 0)
			return err;
		cg->attr[0] = '\0';
	}
	dfd = open_parent(r, cg->path, &base);
	if (dfd < 0)
		return dfd;
	return mkdirat(dfd, base, 0755) < 0 ? neg_errno() : 0;
}

int ctl_cgroup_set_limits(const struct ctl_root *r, struct ctl_cgroup *cg,
			  uint64_t mem, uint64_t swap)
{
	char buf[32];
	int err;

	if (cg->version == 1 && swap != CTL_CGROUP_UNLIMITED &&
	    mem == CTL_CGROUP_UNLIMITED) {
		snprintf(cg->attr, sizeof(cg->attr),
			 "memory.memsw.limit_in_bytes");
		return -EINVAL;
	}
	if (mem != CTL_CGROUP_UNLIMITED) {
		snprintf(buf, sizeof(buf), "%" PRIu64, mem);
		err = set_attr(r, cg,
			       cg->version == 2 ? "memory.max"
						: "memory.limit_in_bytes",
			       buf);
		if (err < 0)
			return err;
	}
	if (swap == CTL_CGROUP_UNLIMITED)
		return 0;
	if (cg->version == 2) {
		snprintf(buf, sizeof(buf), "%" PRIu64, swap);
		err = set_attr(r, cg, "memory.swap.max", buf);
	} else {
		if (swap > UINT64_MAX - mem)
			return -ERANGE;
		/* memsw is memory plus swap; it must be >= the memory limit. */
		snprintf(buf, sizeof(buf), "%" PRIu64, mem + swap);
		err = set_attr(r, cg, "memory.memsw.limit_in_bytes", buf);
	}
	/* No such file: the kernel runs without swap accounting. */
	return err == -ENOENT ? -ENOTSUP : err;
}

int ctl_cgroup_set_swappiness(const struct ctl_root *r, struct ctl_cgroup *cg,
			      unsigned int val)
{
	char buf[16];
	int err;

	if (cg->version != 1) {
		snprintf(cg->attr, sizeof(cg->attr), "memory.swappiness");
		return -ENOTSUP;
	}
	snprintf(buf, sizeof(buf), "%u", val);
	err = set_attr(r, cg, "memory.swappiness", buf);
	return err == -ENOENT ? -ENOTSUP : err;
}

int ctl_cgroup_attach(const struct ctl_root *r, struct ctl_cgroup *cg,
		      pid_t pid)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%d", (int)pid);
	return set_attr(r, cg, "cgroup.procs", buf);
}

int ctl_cgroup_rmdir(const struct ctl_root *r, const char *path)
{
	const char *base;
	_cleanup_close_ int dfd = open_parent(r, path, &base);

	if (dfd < 0)
		return dfd;
	return unlinkat(dfd, base, AT_REMOVEDIR) < 0 ? neg_errno() : 0;
}
