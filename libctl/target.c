// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What the user typed -> what it names: the rules of ctl/target.h, the
 * only place that classifies a target word.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "ctl/attr.h"
#include "ctl/blk.h"
#include "ctl/file.h"
#include "ctl/target.h"
#include "internal.h"

#define MAX_SYMLINKS 40 /* as the kernel's path walk */

static const char *const tags[] = {
	"UUID=", "LABEL=", "PARTUUID=", "PARTLABEL="};
/* udev's links for each tag, in the same order. */
static const char *const tag_dirs[] = {"/dev/disk/by-uuid",
				       "/dev/disk/by-label",
				       "/dev/disk/by-partuuid",
				       "/dev/disk/by-partlabel"};

const char *ctl_target_strerror(int err, unsigned int flags)
{
	switch (-err) {
	case ENODEV:
		return "no such device or file";
	case EINVAL:
		return (flags & CTL_TARGET_FILE) ? "not a valid file name"
						 : "not a valid device name";
	case ENOTSUP:
		return "libblkid is not available to resolve tags";
	default:
		return ctl_file_strerror(-err);
	}
}

/* The index of WORD's tag prefix in tags[], or -1 when it has none. */
static int tag_of(const char *word)
{
	for (size_t i = 0; i < ARRAY_SIZE(tags); i++)
		if (strncmp(word, tags[i], strlen(tags[i])) == 0)
			return (int)i;
	return -1;
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

/* A device known only by its number: no node was looked at. */
static int by_devno(const struct ctl_root *r, dev_t dev, struct ctl_target *t)
{
	int err = ctl_root_devname(r, dev, t->name, sizeof(t->name));

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
	int err = ctl_root_path_real(r, node, t->path, sizeof(t->path));

	if (err < 0)
		return err;
	t->kind = CTL_TARGET_DEV;
	t->dev = st->st_rdev;
	t->st = *st;
	if (!r || ctl_root_devname(r, t->dev, t->name, sizeof(t->name)) < 0)
		t->name[0] = '\0';
	return 0;
}

/*
 * The name udev gives VALUE in /dev/disk/by-*: bytes outside
 * [0-9A-Za-z#+-.:=@_] and ASCII become \xNN (blkid_encode_string(3)),
 * so "my data" is my\x20data and a '/' cannot make a path.
 */
static int udev_name(const char *value, char *buf, size_t len)
{
	size_t n = 0;

	for (; *value; value++) {
		unsigned char c = (unsigned char)*value;
		int plain = c >= 0x80 || (c >= '0' && c <= '9') ||
			    (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			    strchr("#+-.:=@_", c);

		if (n + 5 > len)
			return -ENAMETOOLONG;
		if (plain)
			buf[n++] = (char)c;
		else
			n += (size_t)snprintf(buf + n, len - n, "\\x%02x", c);
	}
	buf[n] = '\0';
	return 0;
}

/*
 * Rule 2: the device with tag TAG (an index of tags[]). On the host (and
 * a test tree) libblkid finds it; inside a system root, the link udev
 * made in its /dev/disk/by-*, which libblkid would not read there.
 */
static int by_tag(const struct ctl_root *r, const char *word, int tag,
		  struct ctl_target *t)
{
	const char *value = word + strlen(tags[tag]);
	char node[PATH_MAX], name[NAME_MAX + 1];
	struct stat st;
	int err;

	if (!*value)
		return -EINVAL;
	if (ctl_root_paths_inside(r)) {
		err = udev_name(value, name, sizeof(name));
		if (err == 0)
			err = ctl_fmt(node, sizeof(node), "%s/%s",
				      tag_dirs[tag], name);
	} else {
		err = ctl_blkid_evaluate(word, node, sizeof(node));
	}
	if (err < 0)
		return err == -ENOENT || err == -ENAMETOOLONG ? -ENODEV : err;
	if (ctl_root_path_stat(r, node, &st, 0) < 0 || !S_ISBLK(st.st_mode))
		return -ENODEV;
	return by_node(r, node, &st, t);
}

/*
 * The name a create of the missing WORD makes, into BUF: WORD, or for a
 * dangling symlink (a chain of them) the name it points to.
 */
static int created_name(const struct ctl_root *r, const char *word, char *buf,
			size_t len)
{
	char link[PATH_MAX], dir[PATH_MAX];
	struct stat st;
	int err;

	if (ctl_fmt(buf, len, "%s", word) < 0)
		return -ENAMETOOLONG;
	for (int i = 0; i < MAX_SYMLINKS; i++) {
		err = ctl_root_path_stat(r, buf, &st, 1);
		if (err < 0)
			return err == -ENOENT ? 0 : err;
		if (!S_ISLNK(st.st_mode))
			return 0;
		err = ctl_root_path_readlink(r, buf, link, sizeof(link));
		if (err < 0)
			return err;
		snprintf(dir, sizeof(dir), "%s", buf);
		if (ctl_fmt(buf, len, "%s%s%s",
			    link[0] == '/' ? "" : dirname(dir),
			    link[0] == '/' ? "" : "/", link) < 0)
			return -ENAMETOOLONG;
	}
	return -ELOOP;
}

/* WORD does not exist: the file a create makes, in its directory. */
static int by_new(const struct ctl_root *r, const char *word,
		  struct ctl_target *t)
{
	char name[PATH_MAX], dir[PATH_MAX];
	const char *base, *slash;
	size_t len;
	int err;

	err = created_name(r, word, name, sizeof(name));
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
	err = ctl_root_path_real(r, dir, t->path, sizeof(t->path));
	if (err == 0)
		err = ctl_root_path_stat(r, t->path, &t->st, 0);
	if (err < 0)
		return err;
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

/* Rule 4: WORD as a path, from the working directory (or in the root). */
static int by_path(const struct ctl_root *r, const char *word,
		   unsigned int flags, struct ctl_target *t)
{
	struct stat st;
	int err = ctl_root_path_stat(r, word, &st, 0);

	if (err < 0) {
		if (err != -ENOENT || !(flags & CTL_TARGET_MAY_CREATE))
			return err;
		return by_new(r, word, t);
	}
	if (S_ISBLK(st.st_mode))
		return by_node(r, word, &st, t);
	err = ctl_root_path_real(r, word, t->path, sizeof(t->path));
	if (err < 0)
		return err;
	t->kind = CTL_TARGET_PATH;
	t->dev = st.st_dev;
	t->st = st;
	return 0;
}

/*
 * The sysfs directory of disk NAME, /sys/block/NAME (O_PATH), as
 * ctl_queue_open() opens it. Returns the fd, -ENODEV when there is no
 * such disk (a partition, say), or -errno.
 */
static int disk_dir(const struct ctl_root *r, const char *name)
{
	char dir[PATH_MAX];
	int fd;

	if (ctl_fmt(dir, sizeof(dir), "/sys/block/%s", name) < 0)
		return -ENAMETOOLONG;
	fd = ctl_root_open_path(r, dir, O_PATH | O_DIRECTORY, 0);
	return fd == -ENOENT || fd == -ENOTDIR ? -ENODEV : fd;
}

/*
 * Rule 6 for a whole disk, when the caller wants its directory: WORD in
 * /sys/block, its number read through the directory (no lookup of
 * /sys/class/block or /sys/dev/block after it). Returns 1 with *DFD
 * open, else 0: WORD is no disk there, and the other rules decide.
 */
static int by_disk(const struct ctl_root *r, const char *word,
		   struct ctl_target *t, int *dfd)
{
	char devno[32];
	unsigned int maj, min;
	int fd = disk_dir(r, word);

	if (fd < 0)
		return 0;
	if (ctl_attr_read_at(fd, "dev", devno, sizeof(devno)) < 0 ||
	    !parse_devno(devno, &maj, &min) ||
	    ctl_fmt(t->path, sizeof(t->path), "/dev/%s", word) < 0) {
		close(fd);
		return 0;
	}
	snprintf(t->name, sizeof(t->name), "%s", word);
	t->kind = CTL_TARGET_DEV;
	t->by = CTL_TARGET_BY_NAME;
	t->dev = makedev(maj, min);
	t->st.st_mode = S_IFBLK;
	t->st.st_rdev = t->dev;
	*dfd = fd;
	return 1;
}

/* Rule 6: a bare word: a kernel name first, then a file here. */
static int by_word(const struct ctl_root *r, const char *word,
		   unsigned int flags, struct ctl_target *t, int *dfd)
{
	char dir[PATH_MAX], devno[32];
	unsigned int maj, min;
	int err;

	if (ctl_name_check(word) < 0)
		return -EINVAL;
	if (dfd && strlen(word) < CTL_DEVNAME_MAX && by_disk(r, word, t, dfd))
		return 0;
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

/* ctl_target_resolve(); with DFD, a bare word is tried as a disk first. */
static int resolve(const struct ctl_root *r, const char *word,
		   unsigned int flags, struct ctl_target *t, int *dfd)
{
	unsigned int maj, min;
	int tag;

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
	tag = tag_of(word);
	if (tag >= 0) {
		t->by = CTL_TARGET_BY_TAG;
		return by_tag(r, word, tag, t);
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
	return by_word(r, word, flags, t, dfd);
}

int ctl_target_resolve(const struct ctl_root *r, const char *word,
		       unsigned int flags, struct ctl_target *t)
{
	return resolve(r, word, flags, t, NULL);
}

int ctl_target_resolve_disk(const struct ctl_root *r, const char *word,
			    unsigned int flags, struct ctl_target *t, int *dfd)
{
	int err;

	*dfd = -1;
	err = resolve(r, word, flags, t, dfd);
	if (err < 0 || *dfd >= 0 || t->kind != CTL_TARGET_DEV || !t->name[0])
		return err;
	/* A node, a number or a tag: the disk it names, if it is one. */
	err = disk_dir(r, t->name);
	*dfd = err < 0 ? -1 : err;
	return 0;
}
