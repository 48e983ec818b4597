// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Target resolution (libctl/blk.c) on a fake sysfs laid out like the
 * kernel's: names, MAJ:MIN, partitions, bio-based devices, dm stacks, loop
 * devices and paths on file systems without a block device.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "ctl/blk.h"
#include "ctl/macro.h"
#include "ctl/root.h"
#include "fake-setup.h"
#include "../fixtures/qdepth/tree.h"

struct ctx {
	struct ctl_blk_list l;
};

static int setup(void **state)
{
	static struct ctx c;

	memset(&c, 0, sizeof(c));
	*state = &c;
	return fake_tree_open(qd_tree);
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	ctl_blk_list_free(&c->l);
	return fake_teardown(state);
}

/* The entry named NAME in L, or NULL. */
static const struct ctl_blkdev *find(const struct ctl_blk_list *l,
				     const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].name, name) == 0)
			return &l->v[i];
	return NULL;
}

static void assert_queue(const struct ctl_blkdev *d, const char *name,
			 unsigned int maj, unsigned int min)
{
	assert_non_null(d);
	assert_string_equal(d->name, name);
	assert_int_equal(d->kind, CTL_BLK_QUEUE);
	assert_int_equal(d->major, maj);
	assert_int_equal(d->minor, min);
}

/* A queue reached as VIA says. */
static void assert_queue_via(const struct ctl_blkdev *d, const char *name,
			     unsigned int maj, unsigned int min,
			     const char *via)
{
	assert_queue(d, name, maj, min);
	assert_string_equal(d->via, via);
}

/* A device without a request queue, and why, as `via` says. */
static void assert_noqueue(const struct ctl_blkdev *d, const char *name,
			   unsigned int maj, unsigned int min, const char *via)
{
	assert_string_equal(d->name, name);
	assert_int_equal(d->kind, CTL_BLK_NOQUEUE);
	assert_int_equal(d->major, maj);
	assert_int_equal(d->minor, min);
	assert_string_equal(d->via, via);
}

/* An entry for what lies under a loop file that cannot be followed. */
static void assert_unknown(const struct ctl_blkdev *d, const char *via)
{
	assert_int_equal(d->kind, CTL_BLK_UNKNOWN);
	assert_string_equal(d->name, "");
	assert_int_equal(d->major, 0);
	assert_int_equal(d->minor, 0);
	assert_int_equal(d->level, 1);
	assert_string_equal(d->via, via);
}

/* Resolve TARGET alone into a fresh list; returns the result. */
static int resolve(struct ctx *c, const char *target, unsigned int flags)
{
	ctl_blk_list_free(&c->l);
	return ctl_blk_resolve(root, target, flags, &c->l);
}

/* Targets that name one queue: a disk, a partition (its disk), a number. */
static void test_one_queue(void **state)
{
	struct ctx *c = *state;
	static const struct {
		const char *target;
		unsigned int flags;
		const char *name;
		unsigned int maj, min;
		const char *via;
	} v[] = {
		{"sda", 0, "sda", 8, 0, ""},
		{"nvme0n1", 0, "nvme0n1", 259, 0, ""},
		{"8:0", 0, "sda", 8, 0, ""},
		/* A partition leads to its disk and says so. */
		{"8:2", 0, "sda", 8, 0, "sda2"},
		{"259:1", 0, "nvme0n1", 259, 0, "nvme0n1p1"},
		{"sda1", 0, "sda", 8, 0, "sda1"},
		{"nvme0n1p1", 0, "nvme0n1", 259, 0, "nvme0n1p1"},
		/* A request-based dm device has its own queue: that one. */
		{"dm-4", CTL_BLK_FOLLOW_LOOP, "dm-4", 253, 4, ""},
	};

	/* The tree is what the kernel shows through its symlinks. */
	assert_string_equal(fake_read("sys/block/sda/sda1/partition"), "1\n");
	assert_string_equal(fake_read("sys/class/block/sda2/../dev"), "8:0\n");
	assert_string_equal(fake_read("sys/dev/block/259:1/dev"), "259:1\n");
	for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
		assert_int_equal(resolve(c, v[i].target, v[i].flags), 0);
		assert_int_equal(c->l.n, 1);
		assert_queue_via(&c->l.v[0], v[i].name, v[i].maj, v[i].min,
				 v[i].via);
		assert_int_equal(c->l.v[0].level, 0);
	}
}

/* zram0 is bio-based with nothing below: no queue, whatever the flags. */
static void test_bio_based_noqueue(void **state)
{
	struct ctx *c = *state;
	static const unsigned int flags[] = {0, CTL_BLK_FOLLOW_LOOP,
					     CTL_BLK_STACK};

	for (size_t i = 0; i < ARRAY_SIZE(flags); i++) {
		assert_int_equal(resolve(c, "zram0", flags[i]), 0);
		assert_int_equal(c->l.n, 1);
		assert_noqueue(&c->l.v[0], "zram0", 252, 0,
			       "bio-based, no request queue");
	}
}

/*
 * --stack: a bio-based dm device is the queues below it (dm-0 over two
 * disks), a request-based one its own queue and those below (dm-4).
 * slaves/ is read in directory order: entries are looked up by name.
 */
static void test_stack(void **state)
{
	struct ctx *c = *state;
	static const struct {
		const char *target;
		struct {
			const char *name;
			unsigned int maj, min;
			const char *via;
		} d[2];
	} v[] = {
		{"dm-0",
		 {{"sda", 8, 0, "dm-0 > sda1"},
		  {"nvme0n1", 259, 0, "dm-0 > nvme0n1p1"}}},
		{"253:0",
		 {{"sda", 8, 0, "dm-0 > sda1"},
		  {"nvme0n1", 259, 0, "dm-0 > nvme0n1p1"}}},
		{"dm-4",
		 {{"dm-4", 253, 4, ""},
		  {"nvme0n1", 259, 0, "dm-4 > nvme0n1p1"}}},
	};

	for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
		assert_int_equal(resolve(c, v[i].target, CTL_BLK_STACK), 0);
		assert_int_equal(c->l.n, 2);
		for (size_t j = 0; j < 2; j++)
			assert_queue_via(find(&c->l, v[i].d[j].name),
					 v[i].d[j].name, v[i].d[j].maj,
					 v[i].d[j].min, v[i].d[j].via);
	}
	/* Its own queue first, then what is below it. */
	assert_string_equal(c->l.v[0].name, "dm-4");
}

static void test_dm_same_disk_once(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(resolve(c, "dm-1", CTL_BLK_STACK), 0);
	assert_int_equal(c->l.n, 1);
	assert_queue(&c->l.v[0], "sda", 8, 0);
	assert_true(strcmp(c->l.v[0].via, "dm-1 > sda1") == 0 ||
		    strcmp(c->l.v[0].via, "dm-1 > sda2") == 0);

	/* A stack: dm-2 over dm-1 over two partitions of sda. */
	assert_int_equal(resolve(c, "dm-2", CTL_BLK_STACK), 0);
	assert_int_equal(c->l.n, 1);
	assert_queue(&c->l.v[0], "sda", 8, 0);
	assert_non_null(strstr(c->l.v[0].via, "dm-2 > dm-1 > sda"));
}

/* Targets appended to one list: each queue appears once. */
static void test_dedupe_across_targets(void **state)
{
	struct ctx *c = *state;
	const char *targets[] = {"sda", "sda1", "8:2", "dm-1", "dm-0", "sda"};

	for (size_t i = 0; i < ARRAY_SIZE(targets); i++)
		assert_int_equal(ctl_blk_resolve(root, targets[i],
						 CTL_BLK_STACK, &c->l),
				 0);
	assert_int_equal(c->l.n, 2);
	assert_queue(&c->l.v[0], "sda", 8, 0);
	assert_queue(&c->l.v[1], "nvme0n1", 259, 0);
}

static void test_loop_backing_file(void **state)
{
	struct ctx *c = *state;
	const struct ctl_blkdev *d;
	int mapped;
	dev_t dev = qd_map_backing(&mapped);

	if (!mapped && major(dev) != 0)
		skip(); /* the image's MAJ:MIN is one of the tree's devices */
	/* Without the flag the loop device alone serves the target. */
	assert_int_equal(resolve(c, "loop0", 0), 0);
	assert_int_equal(c->l.n, 1);
	assert_queue(&c->l.v[0], "loop0", 7, 0);
	assert_int_equal(c->l.v[0].level, 0);

	/* A device target is that device, whatever the flags. */
	assert_int_equal(resolve(c, "loop0", CTL_BLK_FOLLOW_LOOP), 0);
	assert_int_equal(c->l.n, 1);
	assert_queue(&c->l.v[0], "loop0", 7, 0);

	assert_int_equal(
		resolve(c, "loop0", CTL_BLK_FOLLOW_LOOP | CTL_BLK_STACK), 0);
	assert_int_equal(c->l.n, 2);
	assert_queue(&c->l.v[0], "loop0", 7, 0);
	assert_int_equal(c->l.v[0].level, 0);
	d = &c->l.v[1];
	assert_int_equal(d->level, 1);
	assert_non_null(strstr(d->via, "backing file /images/disk.img"));
	assert_non_null(strstr(d->via, "of loop0"));
	if (!mapped) {
		/* The tree sits on a file system without a block device. */
		assert_int_equal(d->kind, CTL_BLK_NODEV);
		assert_non_null(strstr(d->via, "anonymous device"));
		return;
	}
	assert_queue(d, "vdx", major(dev), QD_VDX_MINOR);
	assert_non_null(strstr(d->via, "> vdx1"));

	/* The image by its host path: the file system's disk. */
	{
		char path[512];

		snprintf(path, sizeof(path), "%s/%s", fake_root, QD_IMAGE);
		assert_int_equal(resolve(c, path, CTL_BLK_FOLLOW_LOOP), 0);
		assert_int_equal(c->l.n, 1);
		assert_queue_via(&c->l.v[0], "vdx", major(dev), QD_VDX_MINOR,
				 "vdx1");
	}
}

/* loop0 and below it, with --stack: a backing file VIA cannot follow. */
static void assert_loop0_unknown(struct ctx *c, const char *via)
{
	assert_int_equal(
		resolve(c, "loop0", CTL_BLK_FOLLOW_LOOP | CTL_BLK_STACK), 0);
	assert_int_equal(c->l.n, 2);
	assert_queue(&c->l.v[0], "loop0", 7, 0);
	assert_unknown(&c->l.v[1], via);
}

#define DELETED_VIA                                                            \
	"backing file /images/disk.img (deleted) of loop0: the device under "  \
	"it is unknown"

/* A backing file gone from the tree: the loop device still serves. */
static void test_loop_backing_file_gone(void **state)
{
	struct ctx *c = *state;
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", fake_root, QD_IMAGE);
	assert_int_equal(unlink(path), 0);
	fake_write(QD_VIRT "/loop0/loop/backing_file", "/%s (deleted)\n",
		   QD_IMAGE);
	assert_loop0_unknown(c, DELETED_VIA);
}

/*
 * A deleted backing file whose path names another file now: that file is
 * not what the loop device serves, so it must not be followed; what is
 * under the loop device is unknown, and the list says so.
 */
static void test_loop_backing_file_replaced(void **state)
{
	struct ctx *c = *state;

	fake_write(QD_VIRT "/loop0/loop/backing_file", "/%s (deleted)\n",
		   QD_IMAGE);
	assert_loop0_unknown(c, DELETED_VIA);
	/* A backing file out of the root's reach: unknown as well. */
	fake_write(QD_VIRT "/loop0/loop/backing_file", "/elsewhere/disk.img\n");
	assert_loop0_unknown(c, "backing file /elsewhere/disk.img of loop0 is "
				"out of reach here: the device under it is "
				"unknown");
	/* Not asked to go below: loop0 alone, no note. */
	assert_int_equal(resolve(c, "loop0", CTL_BLK_FOLLOW_LOOP), 0);
	assert_int_equal(c->l.n, 1);
}

/* A loop device whose backing file lies on itself ends with -ELOOP. */
static void test_loop_cycle(void **state)
{
	struct ctx *c = *state;
	char link[512];
	int mapped;
	dev_t dev = qd_map_backing(&mapped);

	if (!mapped)
		skip(); /* the image's st_dev cannot be mapped on this host */
	/* vdx1 is the image's file system: make it a loop device instead. */
	snprintf(link, sizeof(link), "%s/sys/dev/block/%u:%u", fake_root,
		 major(dev), minor(dev));
	assert_int_equal(unlink(link), 0);
	snprintf(link, sizeof(link), "sys/dev/block/%u:%u", major(dev),
		 minor(dev));
	qd_link(QD_VIRT "/loop0", link);
	assert_int_equal(resolve(c, "loop0",
				 CTL_BLK_FOLLOW_LOOP | CTL_BLK_STACK),
			 -ELOOP);
	assert_int_equal(resolve(c, "loop0", CTL_BLK_STACK), 0);
	assert_int_equal(c->l.n, 1);
	assert_int_equal(resolve(c, "loop0", CTL_BLK_FOLLOW_LOOP), 0);
	assert_int_equal(c->l.n, 1);
}

static void test_bad_names(void **state)
{
	struct ctx *c = *state;
	static const struct {
		const char *target;
		int err;
	} v[] = {
		{"", -EINVAL},
		/* "." and ".." are paths (test_target), no names. */
		/* Valid as names, but no such device in the tree. */
		{"sdz", -ENODEV},
		{"holders", -ENODEV},
		{"8:9", -ENODEV},
		{"99:99", -ENODEV},
		/* Not a number after all: taken as a name, and there is none. */
		{"8:0x", -ENODEV},
		/* With a '/' it is a path (from the tree); this one is not. */
		{"a/../b", -ENOENT},
		{"sda/../sda", -ENOENT},
	};
	char longname[301], cwd[1024];

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(fake_root), 0);
	for (size_t i = 0; i < ARRAY_SIZE(v); i++)
		assert_int_equal(resolve(c, v[i].target, 0), v[i].err);
	assert_int_equal(resolve(c, NULL, 0), -EINVAL);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(resolve(c, longname, 0), -EINVAL);
	assert_int_equal(chdir(cwd), 0);
	assert_int_equal(c->l.n, 0);
}

/*
 * A bare word that names no device but a file in the working directory
 * is that file: its queues. It was -ENODEV, so `mmapwin write data.bin
 * --throttle 80` failed where `./data.bin` worked.
 */
static void test_bug_word_is_cwd_file(void **state)
{
	struct ctx *c = *state;
	char cwd[1024], dir[1024];
	int mapped;

	qd_map_backing(&mapped);
	if (!mapped)
		skip(); /* the image's MAJ:MIN cannot be mapped here */
	snprintf(dir, sizeof(dir), "%s/images", fake_root);
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(dir), 0);
	assert_int_equal(resolve(c, "disk.img", 0), 0);
	assert_int_equal(c->l.n, 1);
	assert_string_equal(c->l.v[0].name, "vdx");
	assert_int_equal(resolve(c, "./disk.img", 0), 0);
	assert_int_equal(c->l.n, 1);
	assert_string_equal(c->l.v[0].name, "vdx");
	/* A file named like a device: the device; ./NAME the file. */
	fake_write("images/sda", "a file\n");
	assert_int_equal(resolve(c, "sda", 0), 0);
	assert_queue(&c->l.v[0], "sda", 8, 0);
	assert_int_equal(resolve(c, "./sda", 0), 0);
	assert_int_equal(c->l.n, 1);
	assert_string_equal(c->l.v[0].name, "vdx");
	assert_int_equal(chdir(cwd), 0);
}

/*
 * A system root (--sysroot): the path is inside it, and what serves it
 * is found from there; the caller's path to the same file is nothing.
 */
static void test_system_root_path(void **state)
{
	struct ctx *c = *state;
	struct ctl_root *sr;
	char host[512];
	int mapped;

	qd_map_backing(&mapped);
	if (!mapped)
		skip(); /* the image's MAJ:MIN cannot be mapped here */
	assert_int_equal(ctl_root_open_flags(fake_root, CTL_ROOT_SYSTEM, &sr),
			 0);
	ctl_root_free(root);
	root = sr;
	assert_int_equal(resolve(c, "/" QD_IMAGE, 0), 0);
	assert_int_equal(c->l.n, 1);
	assert_string_equal(c->l.v[0].name, "vdx");
	assert_int_equal(resolve(c, "/images/new.img", 0), -ENOENT);
	snprintf(host, sizeof(host), "%s/%s", fake_root, QD_IMAGE);
	assert_int_equal(resolve(c, host, 0), -ENOENT);
}

/* A file not made yet: the queues of its directory's file system. */
static void test_new_file(void **state)
{
	struct ctx *c = *state;
	struct ctl_target t;
	char path[512];
	int mapped;
	dev_t dev = qd_map_backing(&mapped);

	snprintf(path, sizeof(path), "%s/images/new.img", fake_root);
	assert_int_equal(resolve(c, path, 0), -ENOENT);
	assert_int_equal(
		ctl_target_resolve(root, path, CTL_TARGET_MAY_CREATE, &t), 0);
	assert_int_equal(t.kind, CTL_TARGET_NEW);
	assert_int_equal(ctl_blk_resolve_target(root, &t, 0, &c->l), 0);
	assert_int_equal(c->l.n, 1);
	if (!mapped) {
		assert_int_equal(c->l.v[0].kind,
				 major(dev) ? CTL_BLK_QUEUE : CTL_BLK_NODEV);
		return;
	}
	assert_queue_via(&c->l.v[0], "vdx", major(dev), QD_VDX_MINOR, "vdx1");
}

/* Regressions: each of these once failed. */

/* A valid name longer than any kernel name: -ENODEV (or -EINVAL) as
 * documented, not -ENAMETOOLONG from expand_disk()'s copy into d.name. */
static void test_bug_long_name(void **state)
{
	struct ctx *c = *state;
	char name[41];

	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_int_equal(resolve(c, name, 0), -ENODEV);
	name[CTL_DEVNAME_MAX] = '\0';
	assert_int_equal(resolve(c, name, 0), -ENODEV);
}

/* A dm device listed as its own slave (a corrupt --sysroot tree) must end
 * with -ELOOP; slaves do not count towards MAX_DEPTH, so it recurses until
 * the stack overflows. */
static void test_bug_slave_cycle(void **state)
{
	struct ctx *c = *state;

	qd_dev(QD_VIRT "/dm-3", "dm-3", 253, 3, NULL, 0);
	qd_bio(QD_VIRT "/dm-3");
	qd_slave(QD_VIRT "/dm-3", "dm-3", QD_VIRT "/dm-3");
	assert_int_equal(resolve(c, "dm-3", CTL_BLK_STACK), -ELOOP);
}

/*
 * A loop device under --sysroot whose backing file lies on tmpfs: the
 * file is stat'ed inside the root (ctl_root_stat) but statfs'ed at the
 * same path on the host, so `via` names no file system instead of tmpfs.
 */
static void test_bug_loop_on_tmpfs(void **state)
{
	struct ctx *c = *state;
	struct statfs sfs;

	if (statfs("/dev/shm", &sfs) < 0 || sfs.f_type != TMPFS_MAGIC)
		skip();
	fake_teardown(state);
	setenv("TMPDIR", "/dev/shm", 1);
	assert_int_equal(fake_tree_open(qd_tree), 0);
	assert_int_equal(
		resolve(c, "loop0", CTL_BLK_FOLLOW_LOOP | CTL_BLK_STACK), 0);
	assert_int_equal(c->l.n, 2);
	assert_int_equal(c->l.v[1].kind, CTL_BLK_NODEV);
	assert_non_null(strstr(c->l.v[1].via, "(tmpfs)"));
}

/*
 * No disk with a request queue at all: an empty list, not an error. The
 * assertions hold today, but ctl_blk_list_queues() then calls qsort() on
 * a NULL array, which UBSan reports (make asan): "null pointer passed as
 * argument 1, which is declared to never be null".
 */
static void test_bug_list_queues_none(void **state)
{
	struct ctx *c = *state;
	static const char *const disks[] = {"sda", "nvme0n1", "loop0", "md0",
					    "dm-4"};
	char cmd[512];

	for (size_t i = 0; i < ARRAY_SIZE(disks); i++) {
		snprintf(cmd, sizeof(cmd), "rm '%s/sys/block/%s'", fake_root,
			 disks[i]);
		assert_int_equal(system(cmd), 0);
	}
	assert_int_equal(ctl_blk_list_queues(root, &c->l), 0);
	assert_int_equal(c->l.n, 0);
}

/* A path on tmpfs: no block device, and the answer says tmpfs. */
static void test_tmpfs_path(void **state)
{
	struct ctx *c = *state;
	struct statfs sfs;
	const struct ctl_blkdev *d;

	if (statfs("/dev/shm", &sfs) < 0 || sfs.f_type != TMPFS_MAGIC)
		skip(); /* no tmpfs on /dev/shm here */
	assert_int_equal(resolve(c, "/dev/shm", CTL_BLK_FOLLOW_LOOP), 0);
	assert_int_equal(c->l.n, 1);
	d = &c->l.v[0];
	assert_int_equal(d->kind, CTL_BLK_NODEV);
	assert_string_equal(d->name, "");
	assert_int_equal(d->major, 0);
	assert_non_null(strstr(d->via, "(tmpfs)"));
	assert_non_null(strstr(d->via, "no request queue"));
}

static void test_list_queues(void **state)
{
	struct ctx *c = *state;
	struct ctl_blkdev first = {.name = "zzz", .kind = CTL_BLK_QUEUE};
	static const char *const want[] = {"dm-4", "loop0", "md0", "nvme0n1",
					   "sda"};

	/* What is already in the list stays first and is not re-sorted. */
	c->l.v = calloc(1, sizeof(*c->l.v));
	assert_non_null(c->l.v);
	c->l.v[0] = first;
	c->l.n = 1;
	assert_int_equal(ctl_blk_list_queues(root, &c->l), 0);
	assert_int_equal(c->l.n, 1 + ARRAY_SIZE(want));
	assert_string_equal(c->l.v[0].name, "zzz");
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		assert_string_equal(c->l.v[i + 1].name, want[i]);
		assert_int_equal(c->l.v[i + 1].kind, CTL_BLK_QUEUE);
	}
	assert_queue(find(&c->l, "sda"), "sda", 8, 0);
	assert_queue(find(&c->l, "nvme0n1"), "nvme0n1", 259, 0);
	assert_null(find(&c->l, "zram0"));
	assert_null(find(&c->l, "dm-0"));
	assert_null(find(&c->l, "sda1"));
}

static void test_list_queues_no_sysfs(void **state)
{
	struct ctx *c = *state;
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s/sys/block'", fake_root);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(ctl_blk_list_queues(root, &c->l), -ENOENT);
	assert_int_equal(c->l.n, 0);
}

static void test_list_free(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(resolve(c, "dm-0", CTL_BLK_STACK), 0);
	assert_int_equal(c->l.n, 2);
	ctl_blk_list_free(&c->l);
	assert_null(c->l.v);
	assert_int_equal(c->l.n, 0);
	ctl_blk_list_free(&c->l);
}

/*
 * A device target names that device and nothing below it: a bio-based dm
 * device is itself, without a queue, and its note says how to reach the
 * devices under it. Flags that follow stacks change nothing here.
 */
static void test_device_target_exact(void **state)
{
	struct ctx *c = *state;
	static const char *const dm0[] = {"dm-0", "253:0"};

	for (size_t i = 0; i < ARRAY_SIZE(dm0); i++) {
		assert_int_equal(resolve(c, dm0[i], CTL_BLK_FOLLOW_LOOP), 0);
		assert_int_equal(c->l.n, 1);
		assert_noqueue(&c->l.v[0], "dm-0", 253, 0,
			       "bio-based, no request queue; --stack "
			       "reaches the 2 devices below it");
	}
	/* A stack of two: only the top. */
	assert_int_equal(resolve(c, "dm-2", 0), 0);
	assert_int_equal(c->l.n, 1);
	assert_noqueue(&c->l.v[0], "dm-2", 253, 2,
		       "bio-based, no request queue; --stack reaches the "
		       "device below it");
	/* Nothing below (zram0), a request-based dm device, a partition:
	 * test_bio_based_noqueue(), test_one_queue(). */
}

/*
 * A path means every queue that serves the file, whatever the flags: a
 * file on a bio-based dm device reaches the disks below, one on a
 * request-based one its queue and the disk below.
 */
static void test_path_on_stacks(void **state)
{
	struct ctx *c = *state;
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", fake_root, QD_IMAGE);
	if (!qd_image_on(QD_VIRT "/dm-0"))
		skip(); /* the image's MAJ:MIN cannot be mapped here */
	assert_int_equal(resolve(c, path, 0), 0);
	assert_int_equal(c->l.n, 2);
	assert_queue_via(find(&c->l, "sda"), "sda", 8, 0, "dm-0 > sda1");
	assert_queue(find(&c->l, "nvme0n1"), "nvme0n1", 259, 0);

	assert_true(qd_image_on(QD_VIRT "/dm-4"));
	assert_int_equal(resolve(c, path, 0), 0);
	assert_int_equal(c->l.n, 2);
	assert_queue(&c->l.v[0], "dm-4", 253, 4);
	assert_queue(&c->l.v[1], "nvme0n1", 259, 0);

	/* The image as a loop device's backing file: loop0 alone as a
	 * device; with --stack (and loops followed) the dm stack too. */
	assert_int_equal(resolve(c, "loop0", CTL_BLK_FOLLOW_LOOP), 0);
	assert_int_equal(c->l.n, 1);
	assert_int_equal(
		resolve(c, "loop0", CTL_BLK_STACK | CTL_BLK_FOLLOW_LOOP), 0);
	assert_int_equal(c->l.n, 3);
	assert_queue(&c->l.v[0], "loop0", 7, 0);
	assert_queue(&c->l.v[1], "dm-4", 253, 4);
	assert_int_equal(c->l.v[1].level, 1);
	assert_queue(&c->l.v[2], "nvme0n1", 259, 0);
	assert_int_equal(c->l.v[2].level, 1);
	/* --stack without loops followed stops at the loop device. */
	assert_int_equal(resolve(c, "loop0", CTL_BLK_STACK), 0);
	assert_int_equal(c->l.n, 1);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_one_queue),
		T(test_bio_based_noqueue),
		T(test_stack),
		T(test_dm_same_disk_once),
		T(test_dedupe_across_targets),
		T(test_device_target_exact),
		T(test_path_on_stacks),
		T(test_loop_backing_file),
		T(test_loop_backing_file_gone),
		T(test_loop_backing_file_replaced),
		T(test_loop_cycle),
		T(test_bad_names),
		T(test_bug_word_is_cwd_file),
		T(test_new_file),
		T(test_system_root_path),
		T(test_tmpfs_path),
		T(test_list_queues),
		T(test_list_queues_no_sysfs),
		T(test_list_free),
		T(test_bug_long_name),
		T(test_bug_list_queues_none),
		T(test_bug_loop_on_tmpfs),
		T(test_bug_slave_cycle), /* last: it crashes */
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
