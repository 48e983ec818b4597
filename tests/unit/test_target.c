// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The one target resolver (libctl/target.c): each rule of ctl/target.h
 * on the fake sysfs of the qdepth tests, from a working directory of our
 * own inside the fake root. libblkid is stubbed at link time
 * (-Wl,--wrap=ctl_blkid_evaluate); without the stub the tag test skips.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "ctl/attr.h"
#include "ctl/blk.h"
#include "ctl/macro.h"
#include "ctl/queue.h"
#include "ctl/root.h"
#include "ctl/target.h"
#include "fake-setup.h"
#include "libctl/internal.h" /* ctl_blkid_evaluate, the wrapped libblkid */
#include "../fixtures/qdepth/tree.h"

/* The host's node of the fake tree's loop0 (7:0), when it has one. */
#define LOOP0 "/dev/loop0"

static char oldcwd[PATH_MAX], cwd[PATH_MAX];
static int wrapped; /* calls that reached the libblkid stub */

/*
 * The libblkid stub: UUID=u1, LABEL=data, PARTUUID=p1 and PARTLABEL=p
 * are LOOP0; LABEL=file a regular file; LABEL=nolib a host without
 * libblkid; anything else no device.
 */
int __wrap_ctl_blkid_evaluate(const char *tag, char *buf, size_t len);
int __wrap_ctl_blkid_evaluate(const char *tag, char *buf, size_t len)
{
	static const char *const loop0[] = {"UUID=u1", "LABEL=data",
					    "PARTUUID=p1", "PARTLABEL=p",
					    "LABEL=a/b"};

	wrapped++;
	for (size_t i = 0; i < ARRAY_SIZE(loop0); i++)
		if (strcmp(tag, loop0[i]) == 0)
			return snprintf(buf, len, "%s", LOOP0) < (int)len
				       ? 0
				       : -ENAMETOOLONG;
	if (strcmp(tag, "LABEL=file") == 0) {
		snprintf(buf, len, "%s/data.bin", cwd);
		return 0;
	}
	if (strcmp(tag, "LABEL=nolib") == 0)
		return -ENOTSUP;
	return -ENOENT;
}

struct ctx {
	struct ctl_target t;
};

static int setup(void **state)
{
	static struct ctx c;

	memset(&c, 0, sizeof(c));
	assert_int_equal(fake_tree_open(qd_tree), 0);
	fake_mkdir("cwd/sub");
	fake_write("cwd/data.bin", "data\n");
	assert_non_null(getcwd(oldcwd, sizeof(oldcwd)));
	snprintf(cwd, sizeof(cwd), "%s/cwd", fake_root);
	assert_int_equal(chdir(cwd), 0);
	/* The canonical form of the working directory. */
	assert_non_null(realpath(".", cwd));
	*state = &c;
	return 0;
}

static int teardown(void **state)
{
	assert_int_equal(chdir(oldcwd), 0);
	return fake_teardown(state);
}

/* PATH in the fake root, as the caller sees it. */
static const char *in_root(const char *path)
{
	static char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s/%s", fake_root, path);
	return buf;
}

static int resolve(struct ctx *c, const char *word, unsigned int flags)
{
	memset(&c->t, 0x55, sizeof(c->t));
	return ctl_target_resolve(root, word, flags, &c->t);
}

/* T is the device NAME MAJ:MIN with the canonical path PATH. */
static void assert_dev(const struct ctl_target *t, const char *word,
		       const char *name, unsigned int maj, unsigned int min,
		       const char *path)
{
	assert_int_equal(t->kind, CTL_TARGET_DEV);
	assert_string_equal(t->word, word);
	assert_string_equal(t->name, name);
	assert_int_equal(major(t->dev), maj);
	assert_int_equal(minor(t->dev), min);
	assert_string_equal(t->path, path);
	assert_true(S_ISBLK(t->st.st_mode));
	assert_int_equal(t->st.st_rdev, t->dev);
}

/* WORD resolves (with FLAGS) to the device NAME MAJ:MIN at PATH. */
static void resolves_dev(struct ctx *c, const char *word, unsigned int flags,
			 const char *name, unsigned int maj, unsigned int min,
			 const char *path)
{
	assert_int_equal(resolve(c, word, flags), 0);
	assert_dev(&c->t, word, name, maj, min, path);
}

/* T is the existing file or directory at PATH (relative to cwd). */
static void assert_path(const struct ctl_target *t, const char *word,
			const char *rel)
{
	char want[PATH_MAX * 2];
	struct stat st;

	snprintf(want, sizeof(want), "%s%s%s", cwd, *rel ? "/" : "", rel);
	assert_int_equal(stat(want, &st), 0);
	assert_int_equal(t->kind, CTL_TARGET_PATH);
	assert_string_equal(t->word, word);
	assert_string_equal(t->path, want);
	assert_string_equal(t->name, "");
	assert_int_equal(t->dev, st.st_dev);
	assert_int_equal(t->st.st_ino, st.st_ino);
}

/* T is the new file REL (relative to cwd) in directory DIR. */
static void assert_new(const struct ctl_target *t, const char *word,
		       const char *rel, const char *dir)
{
	char want[PATH_MAX * 2], d[PATH_MAX * 2];
	struct stat st;

	snprintf(want, sizeof(want), "%s/%s", cwd, rel);
	snprintf(d, sizeof(d), "%s%s%s", cwd, *dir ? "/" : "", dir);
	assert_int_equal(stat(d, &st), 0);
	assert_int_equal(t->kind, CTL_TARGET_NEW);
	assert_string_equal(t->word, word);
	assert_string_equal(t->path, want);
	assert_int_equal(t->dev, st.st_dev);
	assert_true(S_ISDIR(t->st.st_mode));
	assert_int_equal(t->st.st_ino, st.st_ino);
}

/* ctl_target_found() of T is REL (relative to cwd). */
static void assert_found(const struct ctl_target *t, const char *rel)
{
	char want[PATH_MAX * 2], buf[PATH_MAX];

	snprintf(want, sizeof(want), "%s%s%s", cwd, *rel ? "/" : "", rel);
	assert_int_equal(ctl_target_found(t, buf, sizeof(buf)), 0);
	assert_string_equal(buf, want);
}

/* 1 when the host has LOOP0 as the block device 7:0 of the fake loop0. */
static int have_loop0(void)
{
	struct stat st;

	return stat(LOOP0, &st) == 0 && S_ISBLK(st.st_mode) &&
	       st.st_rdev == makedev(7, 0);
}

/* Rule 6: a kernel name, disk or partition, in /sys/class/block. */
static void test_kernel_name(void **state)
{
	struct ctx *c = *state;
	static const struct {
		const char *word, *name;
		unsigned int maj, min;
	} v[] = {
		{"sda", "sda", 8, 0},
		{"sda1", "sda1", 8, 1},
		{"nvme0n1p1", "nvme0n1p1", 259, 1},
		{"zram0", "zram0", 252, 0},
		{"dm-4", "dm-4", 253, 4},
	};

	for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
		char path[64];

		snprintf(path, sizeof(path), "/dev/%s", v[i].name);
		resolves_dev(c, v[i].word, 0, v[i].name, v[i].maj, v[i].min,
			     path);
		assert_int_equal(c->t.by, CTL_TARGET_BY_NAME);
	}
	/* Valid as names, but no such device and no such file. */
	assert_int_equal(resolve(c, "sdz", 0), -ENODEV);
	assert_int_equal(resolve(c, "holders", 0), -ENODEV);
	assert_int_equal(resolve(c, "8:0x", 0), -ENODEV);
	assert_int_equal(resolve(c, "new.bin", CTL_TARGET_MAY_CREATE), -ENODEV);
}

/*
 * ctl_target_resolve_disk() says what ctl_target_resolve() says, and
 * hands back the directory of a whole disk (/sys/block/NAME) it opened:
 * whatever the word's form; none for a partition or a file.
 */
static void test_resolve_disk(void **state)
{
	struct ctx *c = *state;
	static const struct {
		const char *word;
		int disk, queue; /* a directory handed back; with a queue */
	} v[] = {
		{"sda", 1, 1},	     {"8:0", 1, 1},	  {"zram0", 1, 0},
		{"dm-4", 1, 1},	     {"253:4", 1, 1},	  {"sda1", 0, 0},
		{"8:2", 0, 0},	     {"nvme0n1p1", 0, 0}, {"data.bin", 0, 0},
		{"sub", 0, 0},	     {"sdz", 0, 0},	  {"8:9", 0, 0},
		{"UUID=none", 0, 0}, {"", 0, 0},
	};

	for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
		struct ctl_target t;
		char devno[32], want[32];
		int dfd = 99, err = resolve(c, v[i].word, 0);

		memset(&t, 0x55, sizeof(t));
		assert_int_equal(ctl_target_resolve_disk(root, v[i].word, 0, &t,
							 &dfd),
				 err);
		assert_memory_equal(&t, &c->t, sizeof(t));
		if (!v[i].disk) {
			assert_int_equal(dfd, -1);
			continue;
		}
		assert_true(dfd >= 0);
		/* The disk's own directory: its number, its queue or none. */
		assert_true(ctl_attr_read_at(dfd, "dev", devno, sizeof(devno)) >
			    0);
		snprintf(want, sizeof(want), "%u:%u", major(t.dev),
			 minor(t.dev));
		assert_string_equal(devno, want);
		assert_int_equal(ctl_queue_exists_at(dfd), v[i].queue);
		close(dfd);
	}
}

/* Rule 3: MAJ:MIN must be in /sys/dev/block. */
static void test_devno(void **state)
{
	struct ctx *c = *state;

	resolves_dev(c, "8:0", 0, "sda", 8, 0, "/dev/sda");
	assert_int_equal(c->t.by, CTL_TARGET_BY_DEVNO);
	resolves_dev(c, "8:2", 0, "sda2", 8, 2, "/dev/sda2");
	resolves_dev(c, "259:1", 0, "nvme0n1p1", 259, 1, "/dev/nvme0n1p1");
	assert_int_equal(resolve(c, "8:9", 0), -ENODEV);
	assert_int_equal(resolve(c, "99:99", 0), -ENODEV);
	assert_int_equal(resolve(c, "99999999999:0", 0), -ENODEV);
}

/* Rule 4: a /dev node, or a symlink to one, is that device. */
static void test_dev_node(void **state)
{
	struct ctx *c = *state;
	struct stat st;

	if (!have_loop0())
		skip(); /* no /dev/loop0 here to stand for the fake loop0 */
	resolves_dev(c, LOOP0, 0, "loop0", 7, 0, LOOP0);
	assert_int_equal(stat(LOOP0, &st), 0);
	assert_int_equal(c->t.st.st_ino, st.st_ino);
	/* Through a symlink, and even as a file operand. */
	assert_int_equal(symlink(LOOP0, "disk"), 0);
	resolves_dev(c, "./disk", 0, "loop0", 7, 0, LOOP0);
	assert_int_equal(c->t.by, CTL_TARGET_BY_PATH);
	resolves_dev(c, "disk", CTL_TARGET_FILE, "loop0", 7, 0, LOOP0);
	/* Not a kernel name, but a file here that is a device node. */
	resolves_dev(c, "disk", 0, "loop0", 7, 0, LOOP0);
}

/* A node whose device this root's sysfs does not know: no name. */
static void test_dev_node_unknown(void **state)
{
	struct ctx *c = *state;
	struct ctl_blk_list l = {0};
	struct stat st;

	if (stat("/dev/loop7", &st) < 0 || !S_ISBLK(st.st_mode))
		skip();
	resolves_dev(c, "/dev/loop7", 0, "", major(st.st_rdev),
		     minor(st.st_rdev), "/dev/loop7");
	/* The queues under it cannot be found: as ctl_blk_resolve() said. */
	assert_int_equal(ctl_blk_resolve_target(root, &c->t, 0, &l), -ENODEV);
	assert_int_equal(l.n, 0);
}

/* Rule 2: tags through libblkid. */
static void test_tags(void **state)
{
	struct ctx *c = *state;
	char buf[PATH_MAX];
	static const char *const loop0[] = {"UUID=u1", "LABEL=data",
					    "PARTUUID=p1", "PARTLABEL=p",
					    "LABEL=a/b"};

	wrapped = 0;
	(void)ctl_blkid_evaluate("UUID=probe", buf, sizeof(buf));
	if (!wrapped)
		skip(); /* built without -Wl,--wrap=ctl_blkid_evaluate */
	if (!have_loop0())
		skip();
	for (size_t i = 0; i < ARRAY_SIZE(loop0); i++) {
		resolves_dev(c, loop0[i], 0, "loop0", 7, 0, LOOP0);
		assert_int_equal(c->t.by, CTL_TARGET_BY_TAG);
	}
	assert_int_equal(resolve(c, "UUID=none", 0), -ENODEV);
	assert_int_equal(resolve(c, "LABEL=nolib", 0), -ENOTSUP);
	/* A tag that finds something other than a block device. */
	assert_int_equal(resolve(c, "LABEL=file", 0), -ENODEV);
	/* Malformed: no value. */
	assert_int_equal(resolve(c, "UUID=", 0), -EINVAL);
	assert_int_equal(resolve(c, "LABEL=", 0), -EINVAL);
	/* Other NAME=VALUE words are names: no such device. */
	assert_int_equal(resolve(c, "TYPE=ext4", 0), -ENODEV);
	/* A file operand: a file name like any other. */
	wrapped = 0;
	assert_int_equal(resolve(c, "UUID=u1", CTL_TARGET_FILE), -ENOENT);
	fake_write("cwd/LABEL=data", "x\n");
	assert_int_equal(resolve(c, "LABEL=data", CTL_TARGET_FILE), 0);
	assert_path(&c->t, "LABEL=data", "LABEL=data");
	assert_int_equal(wrapped, 0);
}

/* Rules 4-6: existing paths. */
static void test_path(void **state)
{
	struct ctx *c = *state;
	char abs[PATH_MAX * 2];

	assert_int_equal(resolve(c, "data.bin", CTL_TARGET_FILE), 0);
	assert_path(&c->t, "data.bin", "data.bin");
	assert_true(S_ISREG(c->t.st.st_mode));
	assert_int_equal(resolve(c, "./data.bin", 0), 0);
	assert_path(&c->t, "./data.bin", "data.bin");
	assert_found(&c->t, "data.bin");
	/* Not a device name: the file in the working directory. */
	assert_int_equal(resolve(c, "data.bin", 0), 0);
	assert_path(&c->t, "data.bin", "data.bin");
	assert_int_equal(c->t.by, CTL_TARGET_BY_PATH);
	assert_int_equal(resolve(c, "sub/../data.bin", CTL_TARGET_FILE), 0);
	assert_path(&c->t, "sub/../data.bin", "data.bin");
	snprintf(abs, sizeof(abs), "%s/sub", cwd);
	assert_int_equal(resolve(c, abs, 0), 0);
	assert_path(&c->t, abs, "sub");
	assert_true(S_ISDIR(c->t.st.st_mode));
	assert_int_equal(resolve(c, "sub", 0), 0);
	assert_path(&c->t, "sub", "sub");
	/* "." is a directory as a file operand, no device name. */
	assert_int_equal(resolve(c, ".", CTL_TARGET_FILE), 0);
	assert_path(&c->t, ".", "");
	/* ... and the working directory in any mode (rule 4). */
	assert_int_equal(resolve(c, ".", 0), 0);
	assert_path(&c->t, ".", "");
	assert_int_equal(resolve(c, "..", 0), 0);
	assert_int_equal(c->t.kind, CTL_TARGET_PATH);
	/* Existing paths ignore CTL_TARGET_MAY_CREATE. */
	assert_int_equal(resolve(c, "data.bin",
				 CTL_TARGET_FILE | CTL_TARGET_MAY_CREATE),
			 0);
	assert_path(&c->t, "data.bin", "data.bin");
	/* A symlink is its target. */
	assert_int_equal(symlink("sub/../data.bin", "link"), 0);
	assert_int_equal(resolve(c, "link", CTL_TARGET_FILE), 0);
	assert_path(&c->t, "link", "data.bin");
}

/* A file about to be created: its directory. */
static void test_new(void **state)
{
	struct ctx *c = *state;
	const unsigned int fc = CTL_TARGET_FILE | CTL_TARGET_MAY_CREATE;

	assert_int_equal(resolve(c, "new.bin", fc), 0);
	assert_new(&c->t, "new.bin", "new.bin", "");
	assert_found(&c->t, "");
	assert_int_equal(resolve(c, "./new.bin", CTL_TARGET_MAY_CREATE), 0);
	assert_new(&c->t, "./new.bin", "new.bin", "");
	assert_int_equal(resolve(c, "sub/new.bin", fc), 0);
	assert_new(&c->t, "sub/new.bin", "sub/new.bin", "sub");
	assert_found(&c->t, "sub");
	assert_int_equal(resolve(c, "sub/../sub/./new.bin", fc), 0);
	assert_new(&c->t, "sub/../sub/./new.bin", "sub/new.bin", "sub");
	/* A dangling symlink: the file it points to is what gets made. */
	assert_int_equal(symlink("sub/made.bin", "dangling"), 0);
	assert_int_equal(resolve(c, "dangling", fc), 0);
	assert_new(&c->t, "dangling", "sub/made.bin", "sub");
	/* Not allowed to create: missing. */
	assert_int_equal(resolve(c, "new.bin", CTL_TARGET_FILE), -ENOENT);
	assert_int_equal(resolve(c, "./new.bin", 0), -ENOENT);
	/* No directory to create it in. */
	assert_int_equal(resolve(c, "nodir/new.bin", fc), -ENOENT);
	assert_int_equal(resolve(c, "data.bin/new.bin", fc), -ENOTDIR);
	/* A trailing '/' names a directory, which a create does not make. */
	assert_int_equal(resolve(c, "newdir/", fc), -ENOENT);
}

static void test_stdin(void **state)
{
	struct ctx *c = *state;
	struct ctl_blk_list l = {0};

	assert_int_equal(resolve(c, "-", 0), 0);
	assert_int_equal(c->t.kind, CTL_TARGET_STDIN);
	assert_string_equal(c->t.word, "-");
	assert_string_equal(c->t.path, "");
	assert_int_equal(c->t.dev, 0);
	assert_int_equal(resolve(c, "-", CTL_TARGET_FILE), 0);
	assert_int_equal(c->t.kind, CTL_TARGET_STDIN);
	/* A file named "-" is ./-. */
	fake_write("cwd/-", "x\n");
	assert_int_equal(resolve(c, "./-", CTL_TARGET_FILE), 0);
	assert_path(&c->t, "./-", "-");
	/* Queues of stdin: expand "-" first. */
	assert_int_equal(resolve(c, "-", 0), 0);
	assert_int_equal(ctl_blk_resolve_target(root, &c->t, 0, &l), -EINVAL);
	assert_int_equal(ctl_blk_resolve(root, "-", 0, &l), -EINVAL);
}

/* A word that is both a file here and a kernel name. */
static void test_file_named_like_device(void **state)
{
	struct ctx *c = *state;

	fake_write("cwd/sda", "a file\n");
	fake_write("cwd/8:1", "a file\n");
	resolves_dev(c, "sda", 0, "sda", 8, 0, "/dev/sda");
	resolves_dev(c, "8:1", 0, "sda1", 8, 1, "/dev/sda1");
	assert_int_equal(resolve(c, "./sda", 0), 0);
	assert_path(&c->t, "./sda", "sda");
	assert_int_equal(resolve(c, "sda", CTL_TARGET_FILE), 0);
	assert_path(&c->t, "sda", "sda");
	assert_int_equal(resolve(c, "8:1", CTL_TARGET_FILE), 0);
	assert_path(&c->t, "8:1", "8:1");
	/* A new file named like a device, as a file operand. */
	assert_int_equal(
		resolve(c, "sdb", CTL_TARGET_FILE | CTL_TARGET_MAY_CREATE), 0);
	assert_new(&c->t, "sdb", "sdb", "");
	assert_int_equal(
		resolve(c, "sda2", CTL_TARGET_FILE | CTL_TARGET_MAY_CREATE), 0);
	assert_new(&c->t, "sda2", "sda2", "");
}

static void test_malformed(void **state)
{
	struct ctx *c = *state;
	char longname[CTL_NAME_MAX + 2], longpath[PATH_MAX + 8];

	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	memset(longpath, 'b', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = '\0';
	longpath[0] = '/';
	assert_int_equal(ctl_target_resolve(root, NULL, 0, &c->t), -EINVAL);
	assert_int_equal(resolve(c, "", 0), -EINVAL);
	assert_int_equal(resolve(c, "", CTL_TARGET_FILE), -EINVAL);
	assert_int_equal(resolve(c, longname, 0), -EINVAL);
	assert_int_equal(resolve(c, longpath, 0), -ENAMETOOLONG);
	/* A valid name longer than any kernel name: no such device. */
	longname[40] = '\0';
	assert_int_equal(resolve(c, longname, 0), -ENODEV);
	/* Paths that do not exist. */
	assert_int_equal(resolve(c, "a/../b", 0), -ENOENT);
	assert_int_equal(resolve(c, "sda/../sda", 0), -ENOENT);
	assert_int_equal(resolve(c, "nothere", CTL_TARGET_FILE), -ENOENT);
}

/* Without a root: file operands only, and no sysfs lookup. */
static void test_no_root(void **state)
{
	struct ctx *c = *state;
	const unsigned int fc = CTL_TARGET_FILE | CTL_TARGET_MAY_CREATE;

	assert_int_equal(ctl_target_resolve(NULL, "data.bin", fc, &c->t), 0);
	assert_path(&c->t, "data.bin", "data.bin");
	assert_int_equal(ctl_target_resolve(NULL, "new.bin", fc, &c->t), 0);
	assert_new(&c->t, "new.bin", "new.bin", "");
	assert_int_equal(ctl_target_resolve(NULL, "sda", 0, &c->t), -EINVAL);
	if (!have_loop0())
		return;
	assert_int_equal(ctl_target_resolve(NULL, LOOP0, fc, &c->t), 0);
	assert_dev(&c->t, LOOP0, "", 7, 0, LOOP0);
}

/*
 * A system root (--sysroot, CTL_ROOT_SYSTEM): paths are inside it, a
 * relative one from its "/" (not from the working directory), symlinks
 * and ".." stay in it; the path reported is the one inside. Tags are
 * udev's links in its /dev/disk/by-*, never libblkid (which reads the
 * caller's /dev); a /dev node is stat()ed in it.
 */
static void test_system_root(void **state)
{
	const unsigned int fc = CTL_TARGET_FILE | CTL_TARGET_MAY_CREATE;
	struct ctx *c = *state;
	struct ctl_root *sr;
	struct stat st;
	char host[PATH_MAX * 2];

	assert_int_equal(ctl_root_open_flags(fake_root, CTL_ROOT_SYSTEM, &sr),
			 0);
	ctl_root_free(root);
	root = sr;
	assert_int_equal(stat("data.bin", &st), 0);
	assert_int_equal(resolve(c, "/cwd/data.bin", 0), 0);
	assert_int_equal(c->t.kind, CTL_TARGET_PATH);
	assert_string_equal(c->t.path, "/cwd/data.bin");
	assert_int_equal(c->t.dev, st.st_dev);
	assert_int_equal(c->t.st.st_ino, st.st_ino);
	/* From the root's "/", not from the working directory (cwd/). */
	assert_int_equal(resolve(c, "cwd/data.bin", CTL_TARGET_FILE), 0);
	assert_string_equal(c->t.path, "/cwd/data.bin");
	assert_int_equal(resolve(c, "data.bin", CTL_TARGET_FILE), -ENOENT);
	assert_int_equal(resolve(c, ".", 0), 0);
	assert_string_equal(c->t.path, "/");
	/* A bare word: a kernel name in its sysfs, else a file in its "/". */
	resolves_dev(c, "sda", 0, "sda", 8, 0, "/dev/sda");
	assert_int_equal(resolve(c, "cwd", 0), 0);
	assert_string_equal(c->t.path, "/cwd");
	/* Symlinks and ".." cannot leave it. */
	fake_symlink("/../../..", "cwd/up");
	assert_int_equal(resolve(c, "/cwd/up/cwd/../cwd/sub", 0), 0);
	assert_string_equal(c->t.path, "/cwd/sub");
	assert_int_equal(resolve(c, "/../../cwd/sub", 0), 0);
	assert_string_equal(c->t.path, "/cwd/sub");
	/* The caller's own path for the same file is not in the root. */
	snprintf(host, sizeof(host), "%s/data.bin", cwd);
	assert_int_equal(resolve(c, host, 0), -ENOENT);
	/* A new file, also through a dangling symlink absolute in it. */
	assert_int_equal(resolve(c, "/cwd/sub/new.bin", fc), 0);
	assert_int_equal(c->t.kind, CTL_TARGET_NEW);
	assert_string_equal(c->t.path, "/cwd/sub/new.bin");
	fake_symlink("/cwd/sub/made.bin", "cwd/dangling");
	assert_int_equal(resolve(c, "/cwd/dangling", fc), 0);
	assert_string_equal(c->t.path, "/cwd/sub/made.bin");
	assert_int_equal(stat("sub", &st), 0);
	assert_int_equal(c->t.dev, st.st_dev);

	/* Tags: udev's links, names encoded as udev does. */
	wrapped = 0;
	assert_int_equal(resolve(c, "UUID=u1", 0), -ENODEV);
	fake_mkdir("dev");
	if (mknod(in_root("dev/loop0"), S_IFBLK | 0600, makedev(7, 0)) < 0)
		skip(); /* no CAP_MKNOD: no node to stand for loop0 */
	fake_symlink("../../loop0", "dev/disk/by-uuid/u1");
	fake_symlink("../../loop0", "dev/disk/by-label/my\\x20data");
	fake_symlink("../../loop0", "dev/disk/by-label/a\\x2fb");
	fake_symlink("/dev/loop0", "dev/disk/by-partuuid/p1");
	fake_symlink("../../loop0", "dev/disk/by-partlabel/p");
	fake_symlink("../../../cwd/data.bin", "dev/disk/by-label/file");
	resolves_dev(c, "UUID=u1", 0, "loop0", 7, 0, "/dev/loop0");
	assert_int_equal(c->t.by, CTL_TARGET_BY_TAG);
	resolves_dev(c, "LABEL=my data", 0, "loop0", 7, 0, "/dev/loop0");
	assert_int_equal(resolve(c, "LABEL=a/b", 0), 0);
	assert_int_equal(resolve(c, "PARTUUID=p1", 0), 0);
	assert_int_equal(resolve(c, "PARTLABEL=p", 0), 0);
	assert_int_equal(resolve(c, "LABEL=file", 0), -ENODEV);
	assert_int_equal(resolve(c, "LABEL=none", 0), -ENODEV);
	assert_int_equal(resolve(c, "UUID=", 0), -EINVAL);
	assert_int_equal(wrapped, 0);
	/* A node in its /dev, by path. */
	resolves_dev(c, "/dev/loop0", 0, "loop0", 7, 0, "/dev/loop0");
}

/* One wording of each failure, whichever tool prints it. */
static void test_strerror(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(resolve(c, "nosuchdisk", 0), -ENODEV);
	assert_string_equal(ctl_target_strerror(-ENODEV, 0),
			    "no such device or file");
	assert_int_equal(resolve(c, "UUID=", 0), -EINVAL);
	assert_string_equal(ctl_target_strerror(-EINVAL, 0),
			    "not a valid device name");
	assert_string_equal(ctl_target_strerror(-EINVAL, CTL_TARGET_FILE),
			    "not a valid file name");
	assert_string_equal(ctl_target_strerror(-ENOTSUP, 0),
			    "libblkid is not available to resolve tags");
	assert_int_equal(resolve(c, "/nothere", 0), -ENOENT);
	assert_string_equal(ctl_target_strerror(-ENOENT, 0), strerror(ENOENT));
	assert_string_equal(ctl_target_strerror(-ENOTDIR, CTL_TARGET_FILE),
			    strerror(ENOTDIR));
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_kernel_name),
		T(test_devno),
		T(test_resolve_disk),
		T(test_dev_node),
		T(test_dev_node_unknown),
		T(test_tags),
		T(test_path),
		T(test_new),
		T(test_stdin),
		T(test_file_named_like_device),
		T(test_malformed),
		T(test_no_root),
		T(test_system_root),
		T(test_strerror),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
