// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What the user typed -> what it names: the rules of ctl/target.h, the
 * only place that classifies a target word.
 */
#include <errno.h>
#include <limits.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "ctl/attr.h"
#include "ctl/blk.h"
#include "ctl/target.h"
#include "internal.h"

#define MAX_SYMLINKS 40 /* as the kernel's path walk */

static const char *const tags[] = {
	"UUID=", "LABEL=", "PARTUUID=", "PARTLABEL="};

const char *ctl_target_kind_name(enum ctl_target_kind kind)
{
	switch (kind) {
	case CTL_TARGET_DEV:
		return "device";
	case CTL_TARGET_PATH:
		return "path";
	case CTL_TARGET_NEW:
		return "new file";
	case CTL_TARGET_STDIN:
		return "stdin";
	}
	return "unknown";
}

/* The length of WORD's tag prefix ("UUID=" 5), or 0 when it has none. */
static size_t tag_len(const char *word)
{
	for (size_t i = 0; i < ARRAY_SIZE(tags); i++) {
		size_t n = strlen(tags[i]);

		if (strncmp(word, tags[i], n) == 0)
			return n;
	}
	return 0;
}

/* Decimal digits only, no sign, no spaces, no overflow. */
static int parse_num(const char *s, const char *end, unsigned int *v)
{
	unsigned long n = 0;

	if (s == end)
		return 0;
	for (; s < end; s++) {
		if (*s < '0' || *s > '9')
			return 0;
		n = n * 10 + (unsigned long)(*s - '0');
		if (n > UINT_MAX)
			return 0;
	}
	*v = (unsigned int)n;
	return 1;
}

/* 1 when WORD is MAJ:MIN, digits on both sides. */
static int parse_devno(const char *word, unsigned int *maj, unsigned int *min)
{
	const char *colon = strchr(word, ':');

	return colon && parse_num(word, colon, maj) &&
	       parse_num(colon + 1, colon + strlen(colon), min);
}

/* The kernel name of device DEV in the root's sysfs, into NAME. */
static int sysfs_name(const struct ctl_root *r, dev_t dev, char *name,
		      size_t len)
{
	char dir[64];
	int err;

	snprintf(dir, sizeof(dir), "/sys/dev/block/%u:%u", major(dev),
		 minor(dev));
	err = ctl_root_realname(r, dir, name, len);
	return err == -ENOENT ? -ENODEV : err;
}

/* A device known only by its number: no node was looked at. */
static int by_devno(const struct ctl_root *r, dev_t dev, struct ctl_target *t)
{
	int err = sysfs_name(r, dev, t->name, sizeof(t->name));

	if (err < 0)
		return err;
	t->kind = CTL_TARGET_DEV;
	t->dev = dev;
	t->st.st_mode = S_IFBLK;
	t->st.st_rdev = dev;
	return ctl_fmt(t->path, sizeof(t->path), "/dev/%s", t->name) < 0
		       ? -ENAMETOOLONG
		       : 0;
}

/*
 * The block device node NODE (ST its stat). Its name is left "" when the
 * root's sysfs does not know it: the node alone says it is a device.
 */
static int by_node(const struct ctl_root *r, const char *node,
		   const struct stat *st, struct ctl_target *t)
{
	if (!realpath(node, t->path))
		return neg_errno();
	t->kind = CTL_TARGET_DEV;
	t->dev = st->st_rdev;
	t->st = *st;
	if (!r || sysfs_name(r, t->dev, t->name, sizeof(t->name)) < 0)
		t->name[0] = '\0';
	return 0;
}

static int by_tag(const struct ctl_root *r, const char *word,
		  struct ctl_target *t)
{
	char node[PATH_MAX];
	struct stat st;
	int err;

	if (!word[tag_len(word)])
		return -EINVAL;
	err = ctl_blkid_evaluate(word, node, sizeof(node));
	if (err < 0)
		return err == -ENOENT ? -ENODEV : err;
	if (stat(node, &st) < 0 || !S_ISBLK(st.st_mode))
		return -ENODEV;
	return by_node(r, node, &st, t);
}

/*
 * The name a create of the missing WORD makes, into BUF: WORD, or for a
 * dangling symlink (a chain of them) the name it points to.
 */
static int created_name(const char *word, char *buf, size_t len)
{
	char link[PATH_MAX], dir[PATH_MAX];
	struct stat st;
	ssize_t n;

	if (ctl_fmt(buf, len, "%s", word) < 0)
		return -ENAMETOOLONG;
	for (int i = 0; i < MAX_SYMLINKS; i++) {
		if (lstat(buf, &st) < 0)
			return errno == ENOENT ? 0 : neg_errno();
		if (!S_ISLNK(st.st_mode))
			return 0;
		n = readlink(buf, link, sizeof(link) - 1);
		if (n < 0)
			return neg_errno();
		link[n] = '\0';
		snprintf(dir, sizeof(dir), "%s", buf);
		if (ctl_fmt(buf, len, "%s%s%s",
			    link[0] == '/' ? "" : dirname(dir),
			    link[0] == '/' ? "" : "/", link) < 0)
			return -ENAMETOOLONG;
	}
	return -ELOOP;
}

/* WORD does not exist: the file a create makes, in its directory. */
static int by_new(const char *word, struct ctl_target *t)
{
	char name[PATH_MAX], dir[PATH_MAX];
	const char *base, *slash;
	size_t len;
	int err;

	err = created_name(word, name, sizeof(name));
	if (err < 0)
		return err;
	len = strlen(name);
	/* "dir/" names a directory: a create does not make one. */
	if (name[len - 1] == '/')
		return -ENOENT;
	slash = strrchr(name, '/');
	base = slash ? slash + 1 : name;
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else
		snprintf(dir, sizeof(dir), "%.*s",
			 slash == name ? 1 : (int)(slash - name), name);
	if (!realpath(dir, t->path) || stat(t->path, &t->st) < 0)
		return neg_errno();
	if (!S_ISDIR(t->st.st_mode))
		return -ENOTDIR;
	len = strlen(t->path);
	if (ctl_fmt(t->path + len, sizeof(t->path) - len, "%s%s",
		    len > 1 ? "/" : "", base) < 0)
		return -ENAMETOOLONG;
	t->kind = CTL_TARGET_NEW;
	t->dev = t->st.st_dev;
	return 0;
}

/* Rule 4: WORD as a path, from the working directory. */
static int by_path(const struct ctl_root *r, const char *word,
		   unsigned int flags, struct ctl_target *t)
{
	struct stat st;

	if (stat(word, &st) < 0) {
		if (errno != ENOENT || !(flags & CTL_TARGET_MAY_CREATE))
			return neg_errno();
		return by_new(word, t);
	}
	if (S_ISBLK(st.st_mode))
		return by_node(r, word, &st, t);
	if (!realpath(word, t->path))
		return neg_errno();
	t->kind = CTL_TARGET_PATH;
	t->dev = st.st_dev;
	t->st = st;
	return 0;
}

/* Rule 6: a bare word: a kernel name first, then a file here. */
static int by_word(const struct ctl_root *r, const char *word,
		   unsigned int flags, struct ctl_target *t)
{
	char dir[PATH_MAX], devno[32];
	unsigned int maj, min;
	int err;

	if (ctl_name_check(word) < 0)
		return -EINVAL;
	if (strlen(word) < CTL_DEVNAME_MAX &&
	    ctl_fmt(dir, sizeof(dir), "/sys/class/block/%s", word) >= 0) {
		err = ctl_attr_read(r, dir, "dev", devno, sizeof(devno));
		if (err >= 0 && parse_devno(devno, &maj, &min)) {
			t->by = CTL_TARGET_BY_NAME;
			return by_devno(r, makedev(maj, min), t);
		}
		if (err < 0 && err != -ENOENT && err != -ENOTDIR)
			return err;
	}
	/* A file here, never a new one: a mistyped name is no file. */
	err = by_path(r, word, flags & ~CTL_TARGET_MAY_CREATE, t);
	return err == -ENOENT ? -ENODEV : err;
}

int ctl_target_found(const struct ctl_target *t, char *buf, size_t len)
{
	const char *slash = strrchr(t->path, '/');

	if (t->kind != CTL_TARGET_NEW || !slash)
		return ctl_fmt(buf, len, "%s", t->path) < 0 ? -ENAMETOOLONG : 0;
	/* "/new" is in "/". */
	return ctl_fmt(buf, len, "%.*s",
		       slash == t->path ? 1 : (int)(slash - t->path),
		       t->path) < 0
		       ? -ENAMETOOLONG
		       : 0;
}

int ctl_target_resolve(const struct ctl_root *r, const char *word,
		       unsigned int flags, struct ctl_target *t)
{
	unsigned int maj, min;

	memset(t, 0, sizeof(*t));
	if (!word || !*word)
		return -EINVAL;
	if (ctl_fmt(t->word, sizeof(t->word), "%s", word) < 0)
		return -ENAMETOOLONG;
	if (strcmp(word, "-") == 0) {
		t->kind = CTL_TARGET_STDIN;
		return 0;
	}
	if (flags & CTL_TARGET_FILE)
		return by_path(r, word, flags, t);
	if (!r)
		return -EINVAL;
	if (tag_len(word)) {
		t->by = CTL_TARGET_BY_TAG;
		return by_tag(r, word, t);
	}
	if (parse_devno(word, &maj, &min)) {
		t->by = CTL_TARGET_BY_DEVNO;
		return by_devno(r, makedev(maj, min), t);
	}
	/* "." and ".." are the working directory and its parent, never a
	 * device name (jcommit show . worked before the resolver). */
	if (strchr(word, '/') || strcmp(word, ".") == 0 ||
	    strcmp(word, "..") == 0)
		return by_path(r, word, flags, t);
	return by_word(r, word, flags, t);
}
