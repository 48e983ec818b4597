// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Mount state; the only file that calls libmount. For the host (a root
 * that is "/", no --sysroot tree) the kernel answers directly:
 * statx(STATX_MNT_ID_UNIQUE) and statmount(2) for the mount of a path,
 * listmount(2) and statmount(2) for the table, filled as libmount fills
 * it from mountinfo (the same strings, in the same order). libmount is
 * dlopen()ed (libmount.so.1) only where the kernel cannot answer: a
 * kernel without statmount (ENOSYS) or a filter refusing it (EPERM), a
 * root that is not the host (--sysroot, a test tree: its mountinfo is
 * read through the root fd and parsed with mnt_table_parse_stream():
 * <root>/proc/self/mountinfo, or for a system root <root>/proc/1/mountinfo,
 * the table of its init), and fstab. The option-string helpers are
 * libctl's own: a show reads none of libmount.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <libmount.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "ctl/file.h"
#include "ctl/mount.h"
#include "internal.h"

#define SB_FLAGS (MS_LAZYTIME | MS_SYNCHRONOUS | MS_DIRSYNC | MS_MANDLOCK)

/* statmount(2), listmount(2) (Linux 6.8; strings below 6.13): uapi. */
#ifndef __NR_statmount
#define __NR_statmount 457
#endif
#ifndef __NR_listmount
#define __NR_listmount 458
#endif
#ifndef STATX_MNT_ID_UNIQUE
#define STATX_MNT_ID_UNIQUE 0x4000U
#endif
#ifndef STATMOUNT_SB_BASIC
#define STATMOUNT_SB_BASIC 0x0001U
#define STATMOUNT_MNT_BASIC 0x0002U
#define STATMOUNT_MNT_ROOT 0x0008U
#define STATMOUNT_MNT_POINT 0x0010U
#define STATMOUNT_FS_TYPE 0x0020U
#endif
#ifndef STATMOUNT_MNT_OPTS
#define STATMOUNT_MNT_OPTS 0x0080U
#define STATMOUNT_FS_SUBTYPE 0x0100U
#define STATMOUNT_SB_SOURCE 0x0200U
#endif
#ifndef LSMT_ROOT
#define LSMT_ROOT 0xffffffffffffffffULL
#endif
#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#define MOUNT_ATTR_NOSUID 0x00000002
#define MOUNT_ATTR_NODEV 0x00000004
#define MOUNT_ATTR_NOEXEC 0x00000008
#define MOUNT_ATTR__ATIME 0x00000070
#define MOUNT_ATTR_RELATIME 0x00000000
#define MOUNT_ATTR_NOATIME 0x00000010
#define MOUNT_ATTR_STRICTATIME 0x00000020
#define MOUNT_ATTR_NODIRATIME 0x00000080
#endif
#ifndef MOUNT_ATTR_IDMAP
#define MOUNT_ATTR_IDMAP 0x00100000
#endif
#ifndef MOUNT_ATTR_NOSYMFOLLOW
#define MOUNT_ATTR_NOSYMFOLLOW 0x00200000
#endif
#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

/* The statmount(2) result (struct statmount of linux/mount.h, 6.13). */
struct sm {
	uint32_t size, mnt_opts; /* mnt_opts took __spare1 */
	uint64_t mask;
	uint32_t sb_dev_major, sb_dev_minor;
	uint64_t sb_magic;
	uint32_t sb_flags; /* SB_RDONLY = MS_RDONLY, ... */
	uint32_t fs_type;
	uint64_t mnt_id, mnt_parent_id;
	uint32_t mnt_id_old, mnt_parent_id_old;
	uint64_t mnt_attr, mnt_propagation, mnt_peer_group, mnt_master;
	uint64_t propagate_from;
	uint32_t mnt_root, mnt_point;
	uint64_t mnt_ns_id;
	uint32_t fs_subtype, sb_source;
	uint32_t spare2[96];
	char str[];
};

/* The request of both (struct mnt_id_req, its first version). */
struct sm_req {
	uint32_t size, spare;
	uint64_t mnt_id, param;
};

#define SM_WANT                                                                \
	(STATMOUNT_SB_BASIC | STATMOUNT_MNT_BASIC | STATMOUNT_MNT_ROOT |       \
	 STATMOUNT_MNT_POINT | STATMOUNT_FS_TYPE | STATMOUNT_MNT_OPTS |        \
	 STATMOUNT_FS_SUBTYPE | STATMOUNT_SB_SOURCE)
/*
 * What a kernel must give: an empty string (no subtype, no fs options)
 * is left out of the answer's mask. A kernel that knows sb_source (6.13)
 * knows the options too; a mount without a source is left to libmount.
 */
#define SM_NEED                                                                \
	(STATMOUNT_SB_BASIC | STATMOUNT_MNT_BASIC | STATMOUNT_MNT_ROOT |       \
	 STATMOUNT_MNT_POINT | STATMOUNT_FS_TYPE | STATMOUNT_SB_SOURCE)

static enum ctl_mount_backend backend = CTL_MOUNT_AUTO;

void ctl_mount_backend_set(enum ctl_mount_backend b)
{
	backend = b;
}

/* The kernel cannot answer (old, filtered): ask libmount instead. */
static int no_kernel(int err)
{
	return err == -ENOSYS || err == -EPERM || err == -EINVAL ||
	       err == -EOPNOTSUPP;
}

/* The kernel answers for R: the host's "/", unless a test says no. */
static int use_kernel(const struct ctl_root *r)
{
	return backend == CTL_MOUNT_KERNEL ||
	       (backend == CTL_MOUNT_AUTO && ctl_root_is_host(r));
}

/* After a kernel failure ERR: fall back to libmount (auto only). */
static int fall_back(int err)
{
	return backend == CTL_MOUNT_AUTO && no_kernel(err);
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

static char *dup_or_empty(const char *s)
{
	return strdup(s ? s : "");
}

/*
 * MS_* flags of the names in OPTSTR that mountinfo can show (as
 * mnt_optstr_get_flags() with libmount's Linux map reads them), set or
 * cleared in *FL; "name=value" is no flag.
 */
static void opt_flags(const char *optstr, unsigned long *fl)
{
	static const struct {
		const char *set, *clear;
		unsigned long flag;
	} map[] = {
		{"ro", "rw", MS_RDONLY},
		{"nosuid", "suid", MS_NOSUID},
		{"nodev", "dev", MS_NODEV},
		{"noexec", "exec", MS_NOEXEC},
		{"sync", "async", MS_SYNCHRONOUS},
		{"dirsync", NULL, MS_DIRSYNC},
		{"mand", "nomand", MS_MANDLOCK},
		{"noatime", "atime", MS_NOATIME},
		{"nodiratime", "diratime", MS_NODIRATIME},
		{"relatime", "norelatime", MS_RELATIME},
		{"strictatime", "nostrictatime", MS_STRICTATIME},
		{"lazytime", "nolazytime", MS_LAZYTIME},
		{"nosymfollow", "symfollow", MS_NOSYMFOLLOW},
	};
	const char *p = optstr;

	while (p && *p) {
		size_t n = strcspn(p, ",");

		for (size_t i = 0; i < ARRAY_SIZE(map); i++) {
			const char *c = map[i].clear;

			if (strlen(map[i].set) == n &&
			    strncmp(p, map[i].set, n) == 0)
				*fl |= map[i].flag;
			else if (c && strlen(c) == n && strncmp(p, c, n) == 0)
				*fl &= ~map[i].flag;
		}
		p += n + (p[n] == ',');
	}
}

/* The flags and sb_ro of M from its option strings. */
static void fill_flags(struct ctl_mount *m)
{
	unsigned long fl = 0;

	opt_flags(m->vfs_opts, &fl);
	m->vfs_flags = fl;
	/* lazytime, sync, dirsync are superblock flags, listed there. */
	fl = 0;
	opt_flags(m->fs_opts, &fl);
	m->vfs_flags |= fl & SB_FLAGS;
	/* The superblock options say "ro" when the fs itself is read-only. */
	m->sb_ro = ctl_mount_opt(m->fs_opts, "ro", NULL, 0) == 1;
}

/*
 * libmount, dlopen()ed on first use (or the one the program is linked
 * with): the functions this file calls.
 */
struct lm {
	struct libmnt_table *(*new_table)(void);
	void (*unref_table)(struct libmnt_table *);
	int (*parse_stream)(struct libmnt_table *, FILE *, const char *);
	struct libmnt_iter *(*new_iter)(int);
	void (*free_iter)(struct libmnt_iter *);
	int (*next_fs)(struct libmnt_table *, struct libmnt_iter *,
		       struct libmnt_fs **);
	int (*get_id)(struct libmnt_fs *);
	dev_t (*get_devno)(struct libmnt_fs *);
	const char *(*get_source)(struct libmnt_fs *);
	const char *(*get_target)(struct libmnt_fs *);
	const char *(*get_root)(struct libmnt_fs *);
	const char *(*get_fstype)(struct libmnt_fs *);
	const char *(*get_vfs_options)(struct libmnt_fs *);
	const char *(*get_fs_options)(struct libmnt_fs *);
	const char *(*get_options)(struct libmnt_fs *);
};

/* The loaded libmount in *OUT. Returns 0 or -ELIBACC. */
static int lm_get(const struct lm **out)
{
#define SYM(f, name)                                                           \
	{                                                                      \
		name, offsetof(struct lm, f)                                   \
	}
	static const struct {
		const char *name;
		size_t off;
	} syms[] = {
		SYM(new_table, "mnt_new_table"),
		SYM(unref_table, "mnt_unref_table"),
		SYM(parse_stream, "mnt_table_parse_stream"),
		SYM(new_iter, "mnt_new_iter"),
		SYM(free_iter, "mnt_free_iter"),
		SYM(next_fs, "mnt_table_next_fs"),
		SYM(get_id, "mnt_fs_get_id"),
		SYM(get_devno, "mnt_fs_get_devno"),
		SYM(get_source, "mnt_fs_get_source"),
		SYM(get_target, "mnt_fs_get_target"),
		SYM(get_root, "mnt_fs_get_root"),
		SYM(get_fstype, "mnt_fs_get_fstype"),
		SYM(get_vfs_options, "mnt_fs_get_vfs_options"),
		SYM(get_fs_options, "mnt_fs_get_fs_options"),
		SYM(get_options, "mnt_fs_get_options"),
	};
#undef SYM
	static struct lm lm;
	static int state; /* 0 untried, 1 loaded, -1 missing */
	void *h = RTLD_DEFAULT; /* (void *)0: the program is linked with it */

	if (!state) {
		state = 1;
		if (!dlsym(h, "mnt_new_table")) {
			h = dlopen("libmount.so.1", RTLD_NOW | RTLD_LOCAL);
			state = h ? 1 : -1;
		}
		for (size_t i = 0; state > 0 && i < ARRAY_SIZE(syms); i++) {
			void *fn = dlsym(h, syms[i].name);

			if (!fn)
				state = -1;
			memcpy((char *)&lm + syms[i].off, &fn, sizeof(fn));
		}
	}
	*out = &lm;
	return state > 0 ? 0 : -ELIBACC;
}

const char *ctl_mount_strerror(int err)
{
	if (err == ELIBACC)
		return "libmount.so.1 cannot be loaded (install libmount1)";
	return ctl_file_strerror(err);
}

/*
 * Each entry of table PATH (inside the root), parsed by libmount, to
 * EACH(ARG, fs): entries are read while EACH returns 0; its error ends
 * the walk. Only a regular file is read (ctl_root_fopen), so a FIFO or
 * device in a sysroot tree is refused (-EISDIR, -CTL_ENOTREG) instead of
 * blocking. Returns 0 or -errno.
 */
static int lm_walk(const struct ctl_root *r, const char *path,
		   int (*each)(const struct lm *, struct libmnt_fs *, void *),
		   void *arg)
{
	_cleanup_fclose_ FILE *f = NULL;
	struct libmnt_table *tb = NULL;
	struct libmnt_iter *it = NULL;
	struct libmnt_fs *fs;
	const struct lm *lm;
	int err;

	f = ctl_root_fopen(r, path, "r");
	if (!f)
		return neg_errno();
	err = lm_get(&lm);
	if (err < 0)
		return err;
	tb = lm->new_table();
	it = lm->new_iter(MNT_ITER_FORWARD);
	if (!tb || !it)
		err = -ENOMEM;
	if (!err) {
		err = lm->parse_stream(tb, f, path);
		if (err < 0)
			err = err < -1 ? err : -EINVAL;
	}
	while (!err && lm->next_fs(tb, it, &fs) == 0)
		err = each(lm, fs, arg);
	if (it)
		lm->free_iter(it);
	if (tb)
		lm->unref_table(tb);
	return err;
}

/* A growing array of mounts. */
struct mtab {
	struct ctl_mount *v;
	size_t n;
};

static struct ctl_mount *mtab_add(struct mtab *t)
{
	struct ctl_mount *nv = realloc(t->v, (t->n + 1) * sizeof(*nv));

	if (!nv)
		return NULL;
	t->v = nv;
	memset(&nv[t->n], 0, sizeof(*nv));
	return &nv[t->n++];
}

/* Strings copied: a NULL one is "". Returns 0 or -ENOMEM (M cleared). */
static int fill_strings(struct ctl_mount *m, const char *source,
			const char *target, const char *root,
			const char *fstype, const char *vfs, const char *fs)
{
	m->source = dup_or_empty(source);
	m->target = dup_or_empty(target);
	m->root = dup_or_empty(root);
	m->fstype = dup_or_empty(fstype);
	m->vfs_opts = dup_or_empty(vfs);
	m->fs_opts = dup_or_empty(fs);
	if (!m->source || !m->target || !m->root || !m->fstype ||
	    !m->vfs_opts || !m->fs_opts) {
		ctl_mount_clear(m);
		return -ENOMEM;
	}
	fill_flags(m);
	return 0;
}

static int lm_add(const struct lm *lm, struct libmnt_fs *fs, void *arg)
{
	struct ctl_mount *m = mtab_add(arg);

	if (!m)
		return -ENOMEM;
	m->id = lm->get_id(fs);
	m->dev = lm->get_devno(fs);
	return fill_strings(m, lm->get_source(fs), lm->get_target(fs),
			    lm->get_root(fs), lm->get_fstype(fs),
			    lm->get_vfs_options(fs), lm->get_fs_options(fs));
}

/* The mount table of R's system. */
static const char *mountinfo(const struct ctl_root *r)
{
	return ctl_root_paths_inside(r) ? "/proc/1/mountinfo"
					: "/proc/self/mountinfo";
}

static void mtab_free(struct mtab *t)
{
	ctl_mount_list_free(t->v, t->n);
	t->v = NULL;
	t->n = 0;
}

/* R's mount table through libmount, into T. Returns 0 or -errno. */
static int lm_table(const struct ctl_root *r, struct mtab *t)
{
	int err = lm_walk(r, mountinfo(r), lm_add, t);

	if (err < 0) {
		mtab_free(t);
		/* A table's last entry may be half made. */
	}
	return err;
}

_Static_assert(offsetof(struct sm, str) == 512, "struct statmount");

/* statmount(2) of mount ID into *BUF (grown as needed). */
static int k_stat(uint64_t id, struct sm **buf, size_t *cap)
{
	struct sm_req rq = {.size = sizeof(rq), .mnt_id = id, .param = SM_WANT};

	for (;;) {
		struct sm *nb;

		if (*buf && syscall(__NR_statmount, &rq, *buf, *cap, 0) == 0)
			return 0;
		if (*buf && errno != EOVERFLOW)
			return neg_errno();
		nb = realloc(*buf, *cap ? *cap * 2 : 4096);
		if (!nb)
			return -ENOMEM;
		*buf = nb;
		*cap = *cap ? *cap * 2 : 4096;
	}
}

/*
 * S decoded in place as libmount reads a field of mountinfo: up to the
 * first blank, each "\ooo" the byte it stands for. statmount(2) gives
 * mnt_opts as ->show_options() wrote it, escaped as in mountinfo (an
 * overlayfs lowerdir with a space is "\040"); its other strings come
 * unescaped already.
 */
static void unmangle(char *s)
{
	char *d = s;

#define OCT(c) ((c) >= '0' && (c) <= '7')
	while (*s && *s != ' ' && *s != '\t') {
		if (s[0] == '\\' && OCT(s[1]) && OCT(s[2]) && OCT(s[3])) {
			*d++ = (char)(64 * (s[1] - '0') + 8 * (s[2] - '0') +
				      (s[3] - '0'));
			s += 4;
		} else {
			*d++ = *s++;
		}
	}
#undef OCT
	*d = '\0';
}

/*
 * The source "/dev/root" (a root the kernel mounted from root=, without
 * an initramfs) as libmount gives it (mnt_guess_system_root()): the
 * node of device DEV, "/dev/" and its name in /sys/dev/block ('!' for
 * '/'), when that is a block device with that number, into BUF.
 * Returns 0, or -ENOSYS where libmount would read root= of the kernel
 * command line instead: left to libmount.
 */
static int root_source(dev_t dev, char *buf, size_t len)
{
	char link[64], to[PATH_MAX], *name;
	struct stat st;
	ssize_t n;

	if (major(dev) == 0)
		return -ENOSYS;
	snprintf(link, sizeof(link), "/sys/dev/block/%u:%u", major(dev),
		 minor(dev));
	n = readlink(link, to, sizeof(to) - 1);
	if (n <= 0)
		return -ENOSYS;
	to[n] = '\0';
	name = strrchr(to, '/');
	name = name ? name + 1 : to;
	for (char *p = name; *p; p++)
		if (*p == '!')
			*p = '/';
	if (!*name || ctl_fmt(buf, len, "/dev/%s", name) < 0 ||
	    stat(buf, &st) < 0 || !S_ISBLK(st.st_mode) || st.st_rdev != dev)
		return -ENOSYS;
	return 0;
}

/* String OFF of S when MASK was answered, else "". */
static const char *k_str(const struct sm *s, uint64_t mask, uint32_t off)
{
	return (s->mask & mask) ? s->str + off : "";
}

/*
 * M as mountinfo shows S (proc_namespace.c: show_mountinfo()), the
 * strings unescaped as libmount reads them. Returns 0, -ENOSYS when the
 * kernel lacks a field (before 6.13: no sb_source; a mount without a
 * source, or a /dev/root named only by root=, is left to libmount too),
 * or -ENOMEM.
 */
static int k_fill(const struct sm *s, struct ctl_mount *m)
{
	const char *sub = k_str(s, STATMOUNT_FS_SUBTYPE, s->fs_subtype);
	const char *opts = k_str(s, STATMOUNT_MNT_OPTS, s->mnt_opts);
	uint64_t a = s->mnt_attr, at = a & MOUNT_ATTR__ATIME;
	const char *src = s->str + s->sb_source;
	char vfs[128], type[256], root_dev[PATH_MAX], *fs = NULL;
	dev_t dev = makedev(s->sb_dev_major, s->sb_dev_minor);
	int err;

	if ((s->mask & SM_NEED) != SM_NEED)
		return -ENOSYS;
	if (strcmp(src, "/dev/root") == 0) {
		err = root_source(dev, root_dev, sizeof(root_dev));
		if (err < 0)
			return err;
		src = root_dev;
	}
	snprintf(vfs, sizeof(vfs), "%s%s%s%s%s%s%s%s%s",
		 a & MOUNT_ATTR_RDONLY ? "ro" : "rw",
		 a & MOUNT_ATTR_NOSUID ? ",nosuid" : "",
		 a & MOUNT_ATTR_NODEV ? ",nodev" : "",
		 a & MOUNT_ATTR_NOEXEC ? ",noexec" : "",
		 at == MOUNT_ATTR_NOATIME ? ",noatime" : "",
		 a & MOUNT_ATTR_NODIRATIME ? ",nodiratime" : "",
		 at == MOUNT_ATTR_RELATIME ? ",relatime" : "",
		 a & MOUNT_ATTR_NOSYMFOLLOW ? ",nosymfollow" : "",
		 a & MOUNT_ATTR_IDMAP ? ",idmapped" : "");
	snprintf(type, sizeof(type), "%s%s%s", s->str + s->fs_type,
		 *sub ? "." : "", sub);
	/*
	 * As show_sb_opts(), but for ",mand": SB_MANDLOCK (ineffective
	 * since 5.15, still shown by mountinfo) is not in statmount's
	 * sb_flags, so a "mand" mount reads without it here.
	 */
	if (asprintf(&fs, "%s%s%s%s%s%s", s->sb_flags & MS_RDONLY ? "ro" : "rw",
		     s->sb_flags & MS_SYNCHRONOUS ? ",sync" : "",
		     s->sb_flags & MS_DIRSYNC ? ",dirsync" : "",
		     s->sb_flags & MS_LAZYTIME ? ",lazytime" : "",
		     *opts ? "," : "", opts) < 0)
		return -ENOMEM;
	unmangle(fs);
	m->id = (int)s->mnt_id_old;
	m->dev = dev;
	err = fill_strings(m, src, s->str + s->mnt_point, s->str + s->mnt_root,
			   type, vfs, fs);
	free(fs);
	return err;
}

/* The host's mount table from the kernel, into T. Returns 0 or -errno. */
static int k_table(struct mtab *t)
{
	struct sm_req rq = {.size = sizeof(rq), .mnt_id = LSMT_ROOT};
	struct sm *buf = NULL;
	uint64_t ids[256];
	size_t cap = 0;
	long n;
	int err = 0;

	do {
		n = syscall(__NR_listmount, &rq, ids, ARRAY_SIZE(ids), 0);
		if (n < 0)
			err = neg_errno();
		for (long i = 0; !err && i < n; i++) {
			struct ctl_mount *m;

			err = k_stat(ids[i], &buf, &cap);
			if (err == -ENOENT) {
				err = 0; /* unmounted since */
				continue;
			}
			/* Not below this process's root: not in mountinfo. */
			if (err ||
			    !*k_str(buf, STATMOUNT_MNT_POINT, buf->mnt_point))
				continue;
			m = mtab_add(t);
			err = m ? k_fill(buf, m) : -ENOMEM;
		}
		if (n > 0)
			rq.param = ids[n - 1];
	} while (!err && n == ARRAY_SIZE(ids));
	free(buf);
	if (err < 0)
		mtab_free(t);
	return err;
}

/* R's mount table into T: the kernel's for the host, else libmount's. */
static int table(const struct ctl_root *r, struct mtab *t)
{
	if (use_kernel(r)) {
		int err = k_table(t);

		if (!fall_back(err))
			return err;
	}
	return lm_table(r, t);
}

/* Best mount of DEV in T: the one mounting the fs root, else the first. */
static struct ctl_mount *find_dev(const struct mtab *t, dev_t dev)
{
	struct ctl_mount *first = NULL;

	for (size_t i = 0; i < t->n; i++) {
		if (t->v[i].dev != dev)
			continue;
		if (strcmp(t->v[i].root, "/") == 0)
			return &t->v[i];
		if (!first)
			first = &t->v[i];
	}
	return first;
}

/* Move *FROM (an entry of a table) to *M. */
static int take(struct ctl_mount *from, struct ctl_mount *m)
{
	if (!from)
		return -ENOENT;
	*m = *from;
	memset(from, 0, sizeof(*from));
	return 0;
}

int ctl_mount_by_dev(const struct ctl_root *r, dev_t dev, struct ctl_mount *m)
{
	struct mtab t = {0};
	int err = table(r, &t);

	if (err == 0)
		err = take(find_dev(&t, dev), m);
	mtab_free(&t);
	return err;
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

/*
 * The mount serving PATH (host, stat as ST), asked of the kernel: 0, 1
 * when its device is not ST's (btrfs subvolumes, overlayfs) or it is no
 * mount of this namespace (the table decides as for other roots), or
 * -errno.
 */
static int k_by_path(const char *path, const struct stat *st,
		     struct ctl_mount *m)
{
	struct sm *buf = NULL;
	struct statx sx;
	size_t cap = 0;
	int err = 0;

	if (statx(AT_FDCWD, path, 0, STATX_MNT_ID_UNIQUE, &sx) < 0)
		return neg_errno();
	if (!(sx.stx_mask & STATX_MNT_ID_UNIQUE))
		return -ENOSYS;
	err = k_stat(sx.stx_mnt_id, &buf, &cap);
	if (err == 0)
		err = k_fill(buf, m);
	free(buf);
	/*
	 * Not a mount of this namespace (a path through /proc/PID/root of
	 * another one, or on a mount detached since): as libmount, the
	 * table's mounts of its device decide.
	 */
	if (err == -ENOENT)
		return 1;
	if (err == 0 && m->dev != st->st_dev) {
		ctl_mount_clear(m);
		return 1;
	}
	return err;
}

int ctl_mount_by_path(const struct ctl_root *r, const char *path,
		      struct ctl_mount *m)
{
	struct ctl_mount *best = NULL;
	struct mtab t = {0};
	char real[PATH_MAX];
	size_t best_len = 0;
	struct stat st;
	int err = ctl_root_path_stat(r, path, &st, 0);

	if (err < 0)
		return err;
	if (use_kernel(r)) {
		err = k_by_path(path, &st, m);
		if (err <= 0 && !fall_back(err))
			return err;
	}
	err = ctl_root_path_real(r, path, real, sizeof(real));
	if (err == 0)
		err = table(r, &t);
	if (err < 0)
		return err;
	/*
	 * Several mounts can share st_dev (bind mounts): the deepest mount
	 * point above PATH is the one that serves it. Later lines win ties,
	 * as a later mount covers an earlier one on the same directory.
	 */
	for (size_t i = 0; i < t.n; i++) {
		size_t n;

		if (t.v[i].dev != st.st_dev)
			continue;
		n = prefix_len(t.v[i].target, real);
		if (n && n >= best_len) {
			best = &t.v[i];
			best_len = n;
		}
	}
	err = take(best ? best : find_dev(&t, st.st_dev), m);
	mtab_free(&t);
	return err;
}

static int type_in(const char *type, const char *const *types)
{
	if (!types)
		return 1;
	for (; *types; types++)
		if (strcmp(type, *types) == 0)
			return 1;
	return 0;
}

void ctl_mount_list_free(struct ctl_mount *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ctl_mount_clear(&v[i]);
	free(v);
}

int ctl_mount_table(const struct ctl_root *r, struct ctl_mount **v, size_t *n)
{
	struct mtab t = {0};
	int err = table(r, &t);

	if (err < 0)
		return err;
	*v = t.v;
	*n = t.n;
	return 0;
}

int ctl_mount_list(const struct ctl_root *r, const char *const *types,
		   struct ctl_mount **v, size_t *n)
{
	struct mtab t = {0}, out = {0};
	int err = table(r, &t);

	for (size_t i = 0; err == 0 && i < t.n; i++) {
		dev_t dev = t.v[i].dev;
		struct ctl_mount *m, *best;
		size_t j;

		if (!t.v[i].fstype || !type_in(t.v[i].fstype, types))
			continue;
		for (j = 0; j < out.n && out.v[j].dev != dev; j++)
			;
		if (j < out.n)
			continue; /* one row per file system */
		best = find_dev(&t, dev);
		m = mtab_add(&out);
		err = m ? take(best, m) : -ENOMEM;
	}
	mtab_free(&t);
	if (err < 0) {
		mtab_free(&out);
		return err;
	}
	*v = out.v;
	*n = out.n;
	return 0;
}

/*
 * An option of a comma list, as libmount reads one: a double quote
 * protects commas up to the next quote; "name=value" or "name".
 */
struct opt {
	const char *name, *val, *end; /* END: the ',' after it or the '\0' */
	size_t namesz, valsz;
};

/* The option at *P into O, *P past it. Returns 0, or 1 at the end. */
static int opt_next(const char **p, struct opt *o)
{
	const char *s = *p, *q, *sep = NULL;
	int quote = 0;

	while (*s == ',')
		s++;
	for (q = s; *q; q++) {
		if (*q == '"')
			quote ^= 1;
		if (quote)
			continue;
		if (!sep && q > s && *q == '=')
			sep = q;
		if (*q == ',')
			break;
	}
	if (q == s || quote)
		return 1; /* end, or an unclosed quote: no option */
	o->name = s;
	o->namesz = (sep ? sep : q) - s;
	o->val = sep ? sep + 1 : NULL;
	o->valsz = sep ? (size_t)(q - sep - 1) : 0;
	o->end = q;
	*p = *q ? q + 1 : q;
	return 0;
}

/* The first option NAME of OPTSTR into O. Returns 1 found, else 0. */
static int opt_find(const char *optstr, const char *name, struct opt *o)
{
	size_t n = strlen(name);

	while (opt_next(&optstr, o) == 0)
		if (o->namesz == n && strncmp(o->name, name, n) == 0)
			return 1;
	return 0;
}

int ctl_mount_opt(const char *optstr, const char *name, char *val, size_t len)
{
	struct opt o;

	if (!optstr || !name || !*name)
		return -EINVAL;
	if (!opt_find(optstr, name, &o))
		return 0;
	if (!val)
		return 1;
	if (o.valsz >= len)
		return -ENAMETOOLONG;
	if (o.valsz)
		memcpy(val, o.val, o.valsz);
	val[o.valsz] = '\0';
	return 1;
}

/* Replace [AT, END) of the malloc'ed *S with WITH. Returns 0 or -ENOMEM. */
static int splice_str(char **s, const char *at, const char *end,
		      const char *with)
{
	size_t pre = at - *s, w = strlen(with);
	char *ns = malloc(pre + w + strlen(end) + 1);

	if (!ns)
		return -ENOMEM;
	memcpy(ns, *s, pre);
	memcpy(ns + pre, with, w);
	strcpy(ns + pre + w, end);
	free(*s);
	*s = ns;
	return 0;
}

int ctl_mount_opt_set(char **optstr, const char *name, const char *value)
{
	_cleanup_free_ char *nv = NULL;
	const char *begin, *end;
	struct opt o;

	if (!name || !*name || strchr(name, ','))
		return -EINVAL;
	if (value && strchr(value, ','))
		return -EINVAL;
	if (!*optstr || !opt_find(*optstr, name, &o)) {
		if (!value)
			return 0;
		/* Appended: ",name=value", without the comma when empty. */
		if (asprintf(&nv, "%s%s%s=%s", *optstr ? *optstr : "",
			     *optstr && **optstr ? "," : "", name, value) < 0)
			return -ENOMEM;
		free(*optstr);
		*optstr = nv;
		nv = NULL;
		return 0;
	}
	if (value) {
		/* "name" or "name=old" becomes "name=value" in place. */
		if (asprintf(&nv, "=%s", value) < 0)
			return -ENOMEM;
		return splice_str(optstr, o.name + o.namesz, o.end, nv);
	}
	/* Removed with one of its commas: none doubled, none at an end. */
	begin = o.name;
	end = o.end;
	if ((begin == *optstr || begin[-1] == ',') && *end == ',')
		end++;
	memmove((char *)begin, end, strlen(end) + 1);
	if (!*begin && begin > *optstr && begin[-1] == ',')
		((char *)begin)[-1] = '\0';
	return 0;
}

static int spec_is(const char *spec, const char *tag, const char *val)
{
	size_t n = strlen(tag);

	return val && *val && strncmp(spec, tag, n) == 0 &&
	       strcmp(spec + n, val) == 0;
}

/* The fstab search: what is looked for, what was found. */
struct fstab_find {
	const char *target, *source, *uuid, *label;
	char *hit, *by_spec; /* options of the matches */
};

static int fstab_each(const struct lm *lm, struct libmnt_fs *fs, void *arg)
{
	struct fstab_find *ff = arg;
	const char *t = lm->get_target(fs), *s = lm->get_source(fs);
	char **to = NULL;

	if (ff->target && t && strcmp(t, ff->target) == 0)
		to = &ff->hit;
	else if (!ff->by_spec && s &&
		 ((ff->source && *ff->source && strcmp(s, ff->source) == 0) ||
		  spec_is(s, "UUID=", ff->uuid) ||
		  spec_is(s, "LABEL=", ff->label)))
		to = &ff->by_spec;
	if (!to)
		return 0;
	*to = dup_or_empty(lm->get_options(fs));
	if (!*to)
		return -ENOMEM;
	return to == &ff->hit ? 1 : 0; /* a mount point match ends it */
}

int ctl_fstab_find(const struct ctl_root *r, const char *target,
		   const char *source, const char *uuid, const char *label,
		   char **opts)
{
	struct fstab_find ff = {target, source, uuid, label, NULL, NULL};
	int err = lm_walk(r, "/etc/fstab", fstab_each, &ff);

	if (err >= 0 && (ff.hit || ff.by_spec)) {
		*opts = ff.hit ? ff.hit : ff.by_spec;
		if (ff.hit)
			free(ff.by_spec);
		return 1;
	}
	free(ff.hit);
	free(ff.by_spec);
	return err == -ENOENT || err >= 0 ? 0 : err;
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
