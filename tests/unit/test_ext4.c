// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libctl ext4: fake /proc/fs/ext4 and /proc/fs/jbd2 trees, option-string
 * merging, and libext2fs on small image files made with mke2fs (no root:
 * reading and writing an image file needs no privilege).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <errno.h>
#include <ext2fs/ext2fs.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "ctl/ext4.h"
#include "ctl/macro.h"
#include "ctl/root.h"
#include "fake-setup.h"
#include "libctl/internal.h" /* the readers behind the chain */

static const char jbd2_busy[] =
	"123 transactions (45 requested), each up to 8192 blocks\n"
	"average: \n"
	"  0ms waiting for transaction\n"
	"  0ms request delay\n"
	"  4ms running transaction\n"
	"  0ms transaction was being locked\n"
	"  0ms flushing data (in ordered mode)\n"
	"  1ms logging transaction\n"
	"  2409us average transaction commit time\n"
	"  3 handles per transaction\n"
	"  2 blocks per transaction\n"
	"  3 logged blocks per transaction\n";

static int setup(void **state)
{
	(void)state;
	fake_new();
	fake_write("proc/fs/ext4/loop3/options",
		   "rw\nbsddf\nerrors=continue\ncommit=17\nmin_batch_time=0\n"
		   "data=journal\ninode_readahead_blks=32\n");
	fake_write("proc/fs/ext4/vda/options", "rw\nerrors=remount-ro\n");
	fake_write("proc/fs/jbd2/loop3-8/info", "%s", jbd2_busy);
	fake_mkdir("sys/devices/virtual/block/loop3");
	fake_symlink("../../devices/virtual/block/loop3", "sys/dev/block/7:3");
	return fake_root_open();
}

static void test_data_modes(void **state)
{
	(void)state;
	assert_int_equal(ctl_ext4_data_parse("journal"), CTL_EXT4_DATA_JOURNAL);
	assert_int_equal(ctl_ext4_data_parse("ordered"), CTL_EXT4_DATA_ORDERED);
	assert_int_equal(ctl_ext4_data_parse("writeback"),
			 CTL_EXT4_DATA_WRITEBACK);
	assert_int_equal(ctl_ext4_data_parse("Ordered"), -EINVAL);
	assert_int_equal(ctl_ext4_data_parse("-"), -EINVAL);
	assert_string_equal(ctl_ext4_data_name(CTL_EXT4_DATA_WRITEBACK),
			    "writeback");
	assert_string_equal(ctl_ext4_data_name(CTL_EXT4_DATA_NONE), "-");
	assert_string_equal(ctl_ext4_data_name(42), "?");

	/* s_default_mount_opts: journal 0x20, ordered 0x40, writeback 0x60. */
	assert_int_equal(ctl_ext4_defm_data(0x000c), CTL_EXT4_DATA_NONE);
	assert_int_equal(ctl_ext4_defm_data(0x002c), CTL_EXT4_DATA_JOURNAL);
	assert_int_equal(ctl_ext4_defm_data(0x0040), CTL_EXT4_DATA_ORDERED);
	assert_int_equal(ctl_ext4_defm_data(0x0460), CTL_EXT4_DATA_WRITEBACK);
	assert_int_equal(ctl_ext4_defm_set_data(0x000c,
						CTL_EXT4_DATA_WRITEBACK),
			 0x006c);
	assert_int_equal(ctl_ext4_defm_set_data(0x006c, CTL_EXT4_DATA_JOURNAL),
			 0x002c);
	assert_int_equal(ctl_ext4_defm_set_data(0x006c, CTL_EXT4_DATA_NONE),
			 0x000c);
	assert_int_equal(ctl_ext4_defm_set_data(0x006c, CTL_EXT4_DATA_KEEP),
			 0x006c);
}

static void test_merge(void **state)
{
	/* 52 bytes: with ",commit=" and 1 to 3 digits 61 to 63, then 64. */
#define OPTS52 "data_err=abort,inode_readahead_blks=4096,max_batch=1"
	static const struct {
		const char *old, *val; /* commit=VAL merged into OLD */
		int rc;
		const char *want; /* the result; NULL: its length LEN only */
		size_t len;
	} cases[] = {
		{"commit=42,data_err=abort", "30", 0,
		 "commit=30,data_err=abort", 0},
		{"data_err=abort", "30", 0, "data_err=abort,commit=30", 0},
		{"", "5", 0, "commit=5", 0},
		{NULL, "5", 0, "commit=5", 0},
		{"commit=5,nodelalloc", NULL, 0, "nodelalloc", 0},
		/* The kernel applies the last of several: one is left, in
		 * its place. */
		{"commit=7,data_err=abort,commit=9", "30", 0,
		 "data_err=abort,commit=30", 0},
		{"commit=7,nodelalloc,commit=9", NULL, 0, "nodelalloc", 0},
		/* 61 bytes + ",commit=31" = 71: over the limit, result still
		 * shown. */
		{"data_err=abort,inode_readahead_blks=4096,max_batch_time=15000",
		 "31", -E2BIG, NULL, 71},
		/* 61 and 63 bytes fit, 64 do not. */
		{OPTS52, "1", 0, NULL, 61},
		{OPTS52, "100", 0, NULL, 63},
		{OPTS52, "1000", -E2BIG, NULL, 64},
	};
#undef OPTS52
	char out[128];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		assert_int_equal(ctl_ext4_opts_merge(cases[i].old, "commit",
						     cases[i].val, out,
						     sizeof(out)),
				 cases[i].rc);
		if (cases[i].want)
			assert_string_equal(out, cases[i].want);
		else
			assert_int_equal(strlen(out), cases[i].len);
	}
}

static void test_next_mount(void **state)
{
	struct ctl_ext4_next nx;

	(void)state;
	ctl_ext4_next_mount(CTL_EXT4_DATA_NONE, "", NULL, &nx);
	assert_int_equal(nx.data, CTL_EXT4_DATA_ORDERED);
	assert_string_equal(nx.data_from, "built-in");
	assert_int_equal(nx.commit, 5);
	assert_string_equal(nx.commit_from, "built-in");
	ctl_ext4_next_mount(CTL_EXT4_DATA_WRITEBACK, "commit=42,data_err=abort",
			    NULL, &nx);
	assert_int_equal(nx.data, CTL_EXT4_DATA_WRITEBACK);
	assert_string_equal(nx.data_from, "sb-default");
	assert_int_equal(nx.commit, 42);
	assert_string_equal(nx.commit_from, "sb-opts");
	/* The string overrides the bits; the mount's options override both. */
	ctl_ext4_next_mount(CTL_EXT4_DATA_WRITEBACK, "data=journal,commit=0",
			    "defaults,commit=17", &nx);
	assert_int_equal(nx.data, CTL_EXT4_DATA_JOURNAL);
	assert_string_equal(nx.data_from, "sb-opts");
	assert_int_equal(nx.commit, 17);
	assert_string_equal(nx.commit_from, "fstab");
	/* commit=0 is the default; values that do not parse set nothing. */
	ctl_ext4_next_mount(CTL_EXT4_DATA_KEEP, "commit=0", "commit=-1,data=x",
			    &nx);
	assert_int_equal(nx.commit, 5);
	assert_string_equal(nx.commit_from, "sb-opts");
	assert_int_equal(nx.data, CTL_EXT4_DATA_ORDERED);
	assert_string_equal(nx.data_from, "built-in");
	/* Of several, the kernel applies the last. */
	ctl_ext4_next_mount(CTL_EXT4_DATA_NONE,
			    "commit=7,data=journal,data_err=abort,commit=9",
			    "data=writeback,data=ordered", &nx);
	assert_int_equal(nx.commit, 9);
	assert_int_equal(nx.data, CTL_EXT4_DATA_ORDERED);
	assert_string_equal(nx.data_from, "fstab");
	/* The kernel parses commit= with base 0: octal and hex too. */
	ctl_ext4_next_mount(CTL_EXT4_DATA_NONE, "commit=010", NULL, &nx);
	assert_int_equal(nx.commit, 8);
	assert_string_equal(nx.commit_from, "sb-opts");
	ctl_ext4_next_mount(CTL_EXT4_DATA_NONE, NULL, "commit=0x1e", &nx);
	assert_int_equal(nx.commit, 30);
	assert_string_equal(nx.commit_from, "fstab");
}

static void test_live(void **state)
{
	struct ctl_ext4_live live;
	char kname[32];

	(void)state;
	assert_int_equal(ctl_ext4_live_read(root, "loop3", &live), 0);
	assert_int_equal(live.data, CTL_EXT4_DATA_JOURNAL);
	assert_int_equal(live.commit, 17);
	assert_non_null(strstr(live.opts, "errors=continue,commit=17"));
	/* Without a commit= line the kernel default applies. */
	assert_int_equal(ctl_ext4_live_read(root, "vda", &live), 0);
	assert_int_equal(live.commit, CTL_EXT4_COMMIT_DEFAULT);
	assert_int_equal(live.data, CTL_EXT4_DATA_NONE);
	assert_int_equal(ctl_ext4_live_read(root, "loop9", &live), -ENOENT);
	assert_int_equal(ctl_ext4_live_read(root, "..", &live), -EINVAL);
	assert_int_equal(ctl_ext4_live_read(root, "a/b", &live), -EINVAL);

	assert_int_equal(
		ctl_root_devname(root, makedev(7, 3), kname, sizeof(kname)), 0);
	assert_string_equal(kname, "loop3");
	assert_int_equal(ctl_root_devname(root, makedev(7, 9), kname,
					  sizeof(kname)),
			 -ENODEV);
}

static void test_jbd2(void **state)
{
	static const struct {
		const char *text;
		int rc;
		struct ctl_jbd2_info want;
	} cases[] = {
		{jbd2_busy, 0, {123, 45, 8192, 2409, 1}},
		/* A fresh journal prints the first line only. */
		{"0 transactions (0 requested), each up to 1365 blocks\n",
		 0,
		 {0, 0, 1365, 0, 0}},
		{"garbage\n", -EINVAL, {0}},
	};
	struct ctl_jbd2_info ji;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct ctl_jbd2_info *w = &cases[i].want;

		assert_int_equal(ctl_jbd2_info_parse(cases[i].text, &ji),
				 cases[i].rc);
		if (cases[i].rc)
			continue;
		assert_int_equal(ji.transactions, w->transactions);
		assert_int_equal(ji.requested, w->requested);
		assert_int_equal(ji.max_blocks, w->max_blocks);
		assert_int_equal(ji.has_avg, w->has_avg);
		assert_int_equal(ji.avg_commit_us, w->avg_commit_us);
	}
	assert_int_equal(ctl_jbd2_info_read(root, "loop3", &ji), 0);
	assert_int_equal(ji.avg_commit_us, 2409);
	assert_int_equal(ctl_jbd2_info_read(root, "vda", &ji), -ENOENT);
}

/*
 * Make NAME in the fake root with mke2fs ARGS, its path into IMG (of LEN
 * bytes); skip the test when mke2fs is missing.
 */
static void make_image(char *img, size_t len, const char *name,
		       const char *args)
{
	char cmd[1024];

	snprintf(img, len, "%s/%s", fake_root, name);
	if (system("command -v mke2fs >/dev/null 2>&1") != 0)
		skip();
	snprintf(cmd, sizeof(cmd), "mke2fs -q -F %s '%s' 8M >/dev/null 2>&1",
		 args, img);
	assert_int_equal(system(cmd), 0);
}

/* A value from dumpe2fs -h, to cross-check libext2fs. */
static int dumpe2fs_field(const char *img, const char *field, char *buf,
			  size_t len)
{
	char cmd[1024];
	FILE *p;
	int found = 0;

	snprintf(cmd, sizeof(cmd), "dumpe2fs -h '%s' 2>/dev/null", img);
	p = popen(cmd, "r");
	if (!p)
		return 0;
	while (fgets(buf, (int)len, p)) {
		size_t n = strlen(field);

		if (strncmp(buf, field, n) == 0 && buf[n] == ':') {
			char *v = buf + n + 1;

			while (*v == ' ')
				v++;
			memmove(buf, v, strlen(v) + 1);
			buf[strcspn(buf, "\n")] = '\0';
			found = 1;
			break;
		}
	}
	pclose(p);
	return found;
}

/* The superblock of IMG holds mount options OPTS and data mode DATA. */
static void assert_sb_holds(const char *img, const char *opts, int data)
{
	struct ctl_ext4_sb sb;

	assert_int_equal(ctl_ext4_sb_read(img, &sb), 0);
	assert_string_equal(sb.mount_opts, opts);
	assert_int_equal(ctl_ext4_defm_data(sb.default_mount_opts), data);
}

static void test_image(void **state)
{
	char img[PATH_MAX], val[256];
	struct ctl_ext4_sb sb;

	(void)state;
	make_image(img, sizeof(img), "ext4.img",
		   "-t ext4 -O metadata_csum,^fast_commit -L unitlabel");
	assert_int_equal(ctl_ext4_sb_read(img, &sb), 0);
	assert_int_equal(sb.has_journal, 1);
	assert_int_equal(sb.journal_external, 0);
	assert_int_equal(sb.fast_commit, 0);
	/* mke2fs leaves the journal features to the first mount. */
	if (dumpe2fs_field(img, "Journal features", val, sizeof(val)))
		assert_int_equal(sb.journal_csum,
				 strstr(val, "journal_checksum_v3") ? 3 : 0);
	assert_string_equal(sb.label, "unitlabel");
	assert_string_equal(sb.mount_opts, "");
	assert_int_equal(strlen(sb.uuid), 36);
	if (dumpe2fs_field(img, "Filesystem UUID", val, sizeof(val)))
		assert_string_equal(sb.uuid, val);
	if (dumpe2fs_field(img, "Total journal size", val, sizeof(val)))
		assert_int_equal(sb.journal_bytes,
				 strtoull(val, NULL, 10) * 1024);

	/* Write string and data bits; the other default options stay. */
	assert_int_equal(ctl_ext4_sb_write(img, "commit=42,data_err=abort",
					   CTL_EXT4_DATA_WRITEBACK),
			 0);
	assert_sb_holds(img, "commit=42,data_err=abort",
			CTL_EXT4_DATA_WRITEBACK);
	if (dumpe2fs_field(img, "Mount options", val, sizeof(val)))
		assert_string_equal(val, "commit=42,data_err=abort");
	if (dumpe2fs_field(img, "Default mount options", val, sizeof(val)))
		assert_non_null(strstr(val, "journal_data_writeback"));
	/* KEEP leaves the bits, NULL leaves the string. */
	assert_int_equal(ctl_ext4_sb_write(img, NULL, CTL_EXT4_DATA_KEEP), 0);
	assert_sb_holds(img, "commit=42,data_err=abort",
			CTL_EXT4_DATA_WRITEBACK);
	/* 64 bytes never reach the disk. */
	assert_int_equal(
		ctl_ext4_sb_write(
			img,
			"0123456789012345678901234567890123456789012345678901234567890123",
			CTL_EXT4_DATA_NONE),
		-E2BIG);
	assert_int_equal(ctl_ext4_sb_read(img, &sb), 0);
	assert_string_equal(sb.mount_opts, "commit=42,data_err=abort");
	/* Exactly 63 bytes fill the field without a NUL on disk. */
	assert_int_equal(
		ctl_ext4_sb_write(
			img,
			"012345678901234567890123456789012345678901234567890123456789012",
			CTL_EXT4_DATA_NONE),
		0);
	assert_int_equal(ctl_ext4_sb_read(img, &sb), 0);
	assert_int_equal(strlen(sb.mount_opts), 63);
	assert_int_equal(ctl_ext4_defm_data(sb.default_mount_opts),
			 CTL_EXT4_DATA_NONE);
}

static void test_image_no_journal(void **state)
{
	char img[PATH_MAX];
	struct ctl_ext4_sb sb;

	(void)state;
	make_image(img, sizeof(img), "ext2.img", "-t ext2");
	assert_int_equal(ctl_ext4_sb_read(img, &sb), 0);
	assert_int_equal(sb.has_journal, 0);
	assert_int_equal(sb.journal_csum, 0);
	assert_int_equal(sb.journal_bytes, 0);
}

/*
 * A journal that needs recovery (copied or left by a crash while mounted):
 * the replay at the next mount or fsck would write the journalled
 * superblock back over an offline change, so nothing is written.
 */
static void test_image_needs_recovery(void **state)
{
	char img[PATH_MAX], cmd[PATH_MAX + 128], val[256];
	struct ctl_ext4_sb sb;

	(void)state;
	make_image(img, sizeof(img), "dirty.img", "-t ext4");
	assert_int_equal(ctl_ext4_sb_writable(img, &sb), 0);
	assert_int_equal(sb.needs_recovery, 0);
	assert_int_equal(ctl_ext4_sb_write(img, "commit=7", CTL_EXT4_DATA_KEEP),
			 0);
	if (system("command -v debugfs >/dev/null 2>&1") != 0)
		skip();
	snprintf(cmd, sizeof(cmd),
		 "debugfs -w -R 'feature needs_recovery' '%s' >/dev/null 2>&1",
		 img);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(ctl_ext4_sb_read(img, &sb), 0);
	assert_int_equal(sb.needs_recovery, 1);
	assert_int_equal(ctl_ext4_sb_writable(img, &sb), -EUCLEAN);
	assert_int_equal(ctl_ext4_sb_write(img, "commit=9",
					   CTL_EXT4_DATA_WRITEBACK),
			 -EUCLEAN);
	assert_sb_holds(img, "commit=7", CTL_EXT4_DATA_NONE);
	if (dumpe2fs_field(img, "Mount options", val, sizeof(val)))
		assert_string_equal(val, "commit=7");
}

/*
 * Interposed on libext2fs (the test binary's definition wins over the
 * shared library's for libctl.a's calls): with drop_writes set, the
 * superblock marked dirty is not written, as a device that drops writes
 * would have it. The write must be read back and found missing.
 */
static int drop_writes;

errcode_t ext2fs_close_free(ext2_filsys *fs_ptr)
{
	errcode_t (*real)(ext2_filsys *) = (errcode_t(*)(ext2_filsys *))dlsym(
		RTLD_NEXT, "ext2fs_close_free");

	if (drop_writes && *fs_ptr)
		(*fs_ptr)->flags &= ~EXT2_FLAG_DIRTY;
	return real(fs_ptr);
}

static void test_image_dropped_write(void **state)
{
	char img[PATH_MAX];

	(void)state;
	make_image(img, sizeof(img), "drop.img", "-t ext4");
	assert_int_equal(ctl_ext4_sb_write(img, "commit=7", CTL_EXT4_DATA_KEEP),
			 0);
	drop_writes = 1;
	assert_int_equal(ctl_ext4_sb_write(img, "commit=9", CTL_EXT4_DATA_KEEP),
			 -EIO);
	assert_int_equal(ctl_ext4_sb_write(img, NULL, CTL_EXT4_DATA_JOURNAL),
			 -EIO);
	/* Nothing to write: nothing to miss. */
	assert_int_equal(ctl_ext4_sb_write(img, NULL, CTL_EXT4_DATA_KEEP), 0);
	drop_writes = 0;
	assert_sb_holds(img, "commit=7", CTL_EXT4_DATA_NONE);
}

/* IMG, made or emptied, then LEN bytes of zeros long. */
static void zero_file(const char *img, off_t len)
{
	FILE *f = fopen(img, "w");

	assert_non_null(f);
	assert_int_equal(ftruncate(fileno(f), len), 0);
	fclose(f);
}

static void test_not_ext(void **state)
{
	char img[PATH_MAX];
	struct ctl_ext4_sb sb;

	(void)state;
	snprintf(img, sizeof(img), "%s/zero.img", fake_root);
	zero_file(img, 1 << 20);
	assert_int_equal(ctl_ext4_sb_read(img, &sb), -EMEDIUMTYPE);
	assert_int_not_equal(sb.ext2_err, 0);
	assert_non_null(strstr(ctl_ext4_strerror(sb.ext2_err), "magic"));
	assert_int_equal(ctl_ext4_sb_write(img, "commit=1", CTL_EXT4_DATA_KEEP),
			 -EMEDIUMTYPE);
	snprintf(img, sizeof(img), "%s/missing.img", fake_root);
	assert_int_equal(ctl_ext4_sb_read(img, &sb), -ENOENT);
	/* ioctls on something that is not ext4, through a mount's path. */
	{
		struct ctl_ext4_fs fs = {.root = root, .mounted = 1};
		struct ext4_tune_sb_params p;

		fs.m.target = (char *)"/dev/null";
		assert_int_equal(ctl_ext4_fs_checkpoint(&fs, 0), -ENOTTY);
		assert_int_equal(ctl_ext4_fs_tune_get(&fs, &p), -ENOTTY);
		assert_int_equal(ctl_ext4_fs_sb_write(&fs, "commit=1",
						      CTL_EXT4_DATA_KEEP),
				 -ENOTTY);
		assert_int_equal(
			ctl_ext4_fs_sb_write(
				&fs,
				"0123456789012345678901234567890123456789012345678901234567890123",
				CTL_EXT4_DATA_KEEP),
			-E2BIG);
	}
}

/*
 * ctl_ext4_sb_peek() reads the superblock fields itself: each must equal
 * what libext2fs reads (ctl_ext4_sb_read), whatever the values.
 */
static void assert_peek_matches(const char *img)
{
	struct ctl_ext4_sb full, fast;

	assert_int_equal(ctl_ext4_sb_read(img, &full), 0);
	memset(&fast, 0x5a, sizeof(fast));
	assert_int_equal(ctl_ext4_sb_peek(img, &fast), 0);
	assert_string_equal(fast.uuid, full.uuid);
	assert_string_equal(fast.label, full.label);
	assert_int_equal(fast.default_mount_opts, full.default_mount_opts);
	assert_string_equal(fast.mount_opts, full.mount_opts);
	assert_int_equal(fast.feature_compat, full.feature_compat);
	assert_int_equal(fast.feature_incompat, full.feature_incompat);
	assert_int_equal(fast.feature_ro_compat, full.feature_ro_compat);
	assert_int_equal(fast.has_journal, full.has_journal);
	assert_int_equal(fast.journal_external, full.journal_external);
	assert_int_equal(fast.fast_commit, full.fast_commit);
	assert_int_equal(fast.needs_recovery, full.needs_recovery);
	/* The journal superblock is not read: unknown, not "none". */
	assert_int_equal(fast.journal_csum, 0);
	assert_int_equal(fast.journal_bytes, 0);
	assert_int_equal(fast.ext2_err, 0);
}

static void test_peek(void **state)
{
	char img[PATH_MAX], cmd[PATH_MAX + 128];
	struct ctl_ext4_sb sb;

	(void)state;
	make_image(img, sizeof(img), "peek.img",
		   "-t ext4 -O metadata_csum,fast_commit -L peeklabel");
	assert_peek_matches(img);
	assert_int_equal(ctl_ext4_sb_peek(img, &sb), 0);
	assert_string_equal(sb.label, "peeklabel");
	assert_int_equal(sb.has_journal, 1);
	assert_int_equal(sb.fast_commit, 1);
	assert_int_equal(strlen(sb.uuid), 36);
	/* A data mode in the default options, a string of all 63 bytes. */
	assert_int_equal(
		ctl_ext4_sb_write(
			img,
			"012345678901234567890123456789012345678901234567890123456789012",
			CTL_EXT4_DATA_JOURNAL),
		0);
	assert_peek_matches(img);
	assert_int_equal(ctl_ext4_sb_peek(img, &sb), 0);
	assert_int_equal(strlen(sb.mount_opts), 63);
	assert_int_equal(ctl_ext4_defm_data(sb.default_mount_opts),
			 CTL_EXT4_DATA_JOURNAL);
	assert_int_equal(ctl_ext4_sb_write(img, "commit=42,data_err=abort",
					   CTL_EXT4_DATA_WRITEBACK),
			 0);
	assert_peek_matches(img);
	assert_int_equal(ctl_ext4_sb_peek(img, &sb), 0);
	assert_string_equal(sb.mount_opts, "commit=42,data_err=abort");
	assert_int_equal(ctl_ext4_defm_data(sb.default_mount_opts),
			 CTL_EXT4_DATA_WRITEBACK);
	/* No journal; a 16-byte label fills its field without a NUL. */
	make_image(img, sizeof(img), "peek2.img",
		   "-t ext2 -L 0123456789abcdef");
	assert_peek_matches(img);
	assert_int_equal(ctl_ext4_sb_peek(img, &sb), 0);
	assert_int_equal(sb.has_journal, 0);
	assert_string_equal(sb.label, "0123456789abcdef");
	/* A journal to replay. */
	if (system("command -v debugfs >/dev/null 2>&1") != 0)
		skip();
	make_image(img, sizeof(img), "peek3.img", "-t ext4");
	snprintf(cmd, sizeof(cmd),
		 "debugfs -w -R 'feature needs_recovery' '%s' >/dev/null 2>&1",
		 img);
	assert_int_equal(system(cmd), 0);
	assert_peek_matches(img);
	assert_int_equal(ctl_ext4_sb_peek(img, &sb), 0);
	assert_int_equal(sb.needs_recovery, 1);
}

/* What is no ext2/3/4 superblock fails as ctl_ext4_sb_read() does. */
static void test_peek_bad(void **state)
{
	char img[PATH_MAX];
	struct ctl_ext4_sb full, fast;

	(void)state;
	snprintf(img, sizeof(img), "%s/peekzero.img", fake_root);
	zero_file(img, 1 << 20);
	assert_int_equal(ctl_ext4_sb_peek(img, &fast), -EMEDIUMTYPE);
	assert_int_equal(ctl_ext4_sb_read(img, &full), -EMEDIUMTYPE);
	assert_int_equal(fast.ext2_err, full.ext2_err);
	assert_non_null(strstr(ctl_ext4_strerror(fast.ext2_err), "magic"));
	/* Too short to hold a superblock. */
	zero_file(img, 1500);
	assert_int_equal(ctl_ext4_sb_read(img, &full), -EIO);
	assert_int_equal(ctl_ext4_sb_peek(img, &fast), -EIO);
	assert_int_equal(fast.ext2_err, full.ext2_err);
	zero_file(img, 0);
	assert_int_equal(ctl_ext4_sb_peek(img, &fast), -EIO);
	/* Missing, a directory: the errno, as libext2fs gives it. */
	snprintf(img, sizeof(img), "%s/missing.img", fake_root);
	assert_int_equal(ctl_ext4_sb_peek(img, &fast), -ENOENT);
	assert_int_equal(fast.ext2_err, ENOENT);
	assert_string_equal(ctl_ext4_strerror(fast.ext2_err), strerror(ENOENT));
	assert_int_equal(ctl_ext4_sb_read(fake_root, &full),
			 ctl_ext4_sb_peek(fake_root, &fast));
	assert_int_equal(fast.ext2_err, full.ext2_err);
}

/*
 * A sysroot DIR (under the fake root) whose mountinfo mounts the fake
 * root itself, with its real st_dev (a path lookup stat()s the host
 * path), as FSTYPE, and a tmpfs on its subdirectory "tmpfs". WITH_EXT4
 * adds the kernel name and /proc/fs/ext4, jbd2 and fstab files.
 * Returns the real path of the fake root into REAL.
 */
static struct ctl_root *chain_root(const char *dir, const char *fstype,
				   int with_ext4, char *real, size_t len)
{
	char p[PATH_MAX + 64];
	struct ctl_root *r;
	struct stat st;
	unsigned int ma, mi;

	assert_true(len >= PATH_MAX);
	assert_non_null(realpath(fake_root, real));
	assert_int_equal(stat(real, &st), 0);
	ma = major(st.st_dev);
	mi = minor(st.st_dev);
	snprintf(p, sizeof(p), "%s/%s", fake_root, dir);
	if (stat(p, &st) == 0) /* made by an earlier test */
		goto open;
	fake_mkdir("tmpfs");
	snprintf(p, sizeof(p), "%s/proc/self/mountinfo", dir);
	fake_write(p,
		   "70 1 %u:%u / %s rw,nosuid - %s /dev/ctl-test-none rw\n"
		   "71 70 %u:%u / %s/tmpfs rw - tmpfs tmpfs rw\n",
		   ma, mi, real, fstype, ma, mi, real);
	if (with_ext4) {
		snprintf(p, sizeof(p), "%s/sys/devices/virtual/block/fakedisk",
			 dir);
		fake_mkdir(p);
		snprintf(p, sizeof(p), "%s/sys/dev/block/%u:%u", dir, ma, mi);
		fake_symlink("../../devices/virtual/block/fakedisk", p);
		snprintf(p, sizeof(p), "%s/sys/class/block/fakedisk/dev", dir);
		fake_write(p, "%u:%u\n", ma, mi);
		snprintf(p, sizeof(p), "%s/proc/fs/ext4/fakedisk/options", dir);
		fake_write(p, "rw\ncommit=23\ndata=writeback\n");
		snprintf(p, sizeof(p), "%s/proc/fs/jbd2/fakedisk-8/info", dir);
		fake_write(p, "%s", jbd2_busy);
		snprintf(p, sizeof(p), "%s/etc/fstab", dir);
		fake_write(p, "/dev/other %s ext4 commit=40 0 0\n", real);
	}
	snprintf(p, sizeof(p), "%s/%s", fake_root, dir);
open:
	assert_int_equal(ctl_root_open(p, &r), 0);
	return r;
}

static void test_ext_types(void **state)
{
	(void)state;
	assert_true(ctl_ext4_is_ext_type("ext4"));
	assert_true(ctl_ext4_is_ext_type("ext3"));
	assert_true(ctl_ext4_is_ext_type("ext2"));
	assert_false(ctl_ext4_is_ext_type("ext4dev"));
	assert_false(ctl_ext4_is_ext_type("tmpfs"));
	assert_false(ctl_ext4_is_ext_type(""));
	assert_false(ctl_ext4_is_ext_type(NULL));
	assert_string_equal(ctl_ext4_types[0], "ext4");
	assert_null(ctl_ext4_types[3]);
}

static void test_fs_open(void **state)
{
	char real[PATH_MAX], p[PATH_MAX + 16];
	struct ctl_root *r = chain_root("chain", "ext3", 1, real, sizeof(real));
	struct ctl_ext4_fs fs;
	struct stat st;

	(void)state;
	assert_int_equal(stat(real, &st), 0);
	assert_int_equal(ctl_ext4_fs_open(r, real, CTL_EXT4_FS_FSTAB, &fs), 0);
	assert_ptr_equal(fs.arg, real);
	assert_int_equal(fs.stage, CTL_EXT4_AT_NONE);
	assert_int_equal(fs.mounted, 1);
	assert_string_equal(fs.m.target, real);
	assert_string_equal(fs.m.fstype, "ext3");
	assert_int_equal(fs.fsdev, st.st_dev);
	assert_string_equal(fs.dev, "/dev/ctl-test-none");
	assert_string_equal(ctl_ext4_fs_name(&fs), real);
	assert_string_equal(fs.kname, "fakedisk");
	assert_int_equal(fs.have_live, 1);
	assert_int_equal(fs.live.commit, 23);
	assert_int_equal(fs.live.data, CTL_EXT4_DATA_WRITEBACK);
	assert_int_equal(fs.covered, 0);
	assert_true(S_ISDIR(fs.root_mode));
	assert_int_equal(fs.have_ji, 1);
	assert_int_equal(fs.ji.transactions, 123);
	/* The device node is missing: not an error while mounted. */
	assert_int_equal(fs.have_sb, 0);
	assert_int_equal(fs.sb_err, -ENOENT);
	assert_int_equal(fs.jsb_err, 0);
	assert_int_equal(fs.fstab, 1);
	assert_string_equal(fs.fstab_opts, "commit=40");
	/* The real fs of the fake root may answer the tune ioctl. */
	if (!fs.have_tune) {
		assert_int_equal(ctl_ext4_fs_has_journal(&fs), 1);
		assert_null(ctl_ext4_fs_sb_opts(&fs));
		assert_int_equal(ctl_ext4_fs_sb_data(&fs), CTL_EXT4_DATA_KEEP);
	}
	ctl_ext4_fs_free(&fs);
	assert_null(fs.m.target);

	/* A file below the mount point; the mount and live options only. */
	snprintf(p, sizeof(p), "%s/chain", real);
	assert_int_equal(ctl_ext4_fs_open(r, p, CTL_EXT4_FS_LIVE_ONLY, &fs), 0);
	assert_string_equal(fs.m.target, real);
	assert_int_equal(fs.have_live, 1);
	assert_int_equal(fs.have_ji + fs.have_sb + fs.have_tune, 0);
	assert_int_equal(fs.sb_err, 0);
	assert_int_equal(fs.fstab, 0);
	ctl_ext4_fs_free(&fs);

	/* The device by kernel name and by number (ctl-targets(7)). */
	snprintf(p, sizeof(p), "%u:%u", major(st.st_dev), minor(st.st_dev));
	for (int i = 0; i < 2; i++) {
		const char *word = i ? p : "fakedisk";

		assert_int_equal(ctl_ext4_fs_open(r, word, 0, &fs), 0);
		assert_int_equal(fs.mounted, 1);
		assert_string_equal(fs.m.target, real);
		assert_string_equal(fs.dev, "/dev/fakedisk");
		assert_int_equal(fs.fsdev, st.st_dev);
		ctl_ext4_fs_free(&fs);
	}
	/* Not a device nor a file here; "-" is no file system. */
	assert_int_equal(ctl_ext4_fs_open(r, "nosuchdisk", 0, &fs), -ENODEV);
	assert_int_equal(fs.stage, CTL_EXT4_AT_TARGET);
	ctl_ext4_fs_free(&fs);
	assert_int_equal(ctl_ext4_fs_open(r, "-", 0, &fs), -EINVAL);
	assert_int_equal(fs.stage, CTL_EXT4_AT_TARGET);
	ctl_ext4_fs_free(&fs);
	ctl_root_free(r);
}

static void test_fs_open_fails(void **state)
{
	char real[PATH_MAX], p[PATH_MAX + 16];
	struct ctl_root *r = chain_root("chain", "ext3", 1, real, sizeof(real));
	struct ctl_root *nodrv =
		chain_root("nodrv", "ext4", 0, real, sizeof(real));
	struct ctl_root *empty;
	struct ctl_ext4_fs fs;

	(void)state;
	/* Mounted, but not as ext2/3/4: the mount is still there. */
	snprintf(p, sizeof(p), "%s/tmpfs", real);
	assert_int_equal(ctl_ext4_fs_open(r, p, 0, &fs), -EMEDIUMTYPE);
	assert_int_equal(fs.stage, CTL_EXT4_AT_FSTYPE);
	assert_string_equal(fs.m.fstype, "tmpfs");
	assert_string_equal(fs.m.target, p);
	ctl_ext4_fs_free(&fs);
	/* The target is missing, or not the block device asked for. */
	snprintf(p, sizeof(p), "%s/missing", real);
	assert_int_equal(ctl_ext4_fs_open(r, p, 0, &fs), -ENOENT);
	assert_int_equal(fs.stage, CTL_EXT4_AT_TARGET);
	ctl_ext4_fs_free(&fs);
	assert_int_equal(ctl_ext4_fs_open(r, real, CTL_EXT4_FS_DEVICE, &fs),
			 -ENOTBLK);
	assert_int_equal(fs.stage, CTL_EXT4_AT_TARGET);
	ctl_ext4_fs_free(&fs);
	/* ext4 in mountinfo, but no such device in its sysfs (so no
	 * /proc/fs/ext4 name for it). */
	assert_int_equal(ctl_ext4_fs_open(nodrv, real, 0, &fs), -ENODEV);
	assert_int_equal(fs.stage, CTL_EXT4_AT_DRIVER);
	assert_string_equal(fs.m.target, real);
	assert_string_equal(fs.kname, "");
	ctl_ext4_fs_free(&fs);
	/* No mountinfo at all. */
	fake_mkdir("empty");
	snprintf(p, sizeof(p), "%s/empty", fake_root);
	assert_int_equal(ctl_root_open(p, &empty), 0);
	assert_int_equal(ctl_ext4_fs_open(empty, real, 0, &fs), -ENOENT);
	assert_int_equal(fs.stage, CTL_EXT4_AT_MOUNT);
	ctl_ext4_fs_free(&fs);
	ctl_root_free(empty);
	ctl_root_free(nodrv);
	ctl_root_free(r);
}

static void test_fs_from_mount(void **state)
{
	char real[PATH_MAX];
	struct ctl_root *r = chain_root("chain", "ext3", 1, real, sizeof(real));
	struct ctl_ext4_fs fs;
	struct ctl_mount *v;
	size_t n;

	(void)state;
	/* The tmpfs is not listed; the ext3 mount is taken over. */
	assert_int_equal(ctl_mount_list(r, ctl_ext4_types, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(ctl_ext4_fs_from_mount(r, &v[0], 0, &fs), 0);
	assert_null(v[0].target);
	assert_string_equal(fs.arg, real);
	assert_int_equal(fs.mounted, 1);
	assert_int_equal(fs.live.commit, 23);
	ctl_ext4_fs_free(&fs);
	ctl_mount_list_free(v, n);
	ctl_root_free(r);
}

/* Which layer each accessor takes: the kernel's, then the disk's. */
static void test_fs_layers(void **state)
{
	struct ctl_ext4_fs fs = {0};

	(void)state;
	assert_int_equal(ctl_ext4_fs_has_journal(&fs), -1);
	assert_null(ctl_ext4_fs_sb_opts(&fs));
	assert_int_equal(ctl_ext4_fs_sb_data(&fs), CTL_EXT4_DATA_KEEP);
	assert_string_equal(ctl_ext4_fs_name(&fs), "");
	fs.have_ji = 1;
	assert_int_equal(ctl_ext4_fs_has_journal(&fs), 1);
	fs.have_sb = 1;
	strcpy(fs.sb.mount_opts, "commit=9");
	fs.sb.default_mount_opts = 0x20;
	assert_int_equal(ctl_ext4_fs_has_journal(&fs), 0);
	assert_string_equal(ctl_ext4_fs_sb_opts(&fs), "commit=9");
	assert_int_equal(ctl_ext4_fs_sb_data(&fs), CTL_EXT4_DATA_JOURNAL);
	fs.have_tune = 1;
	fs.tune.feature_compat = 0x4;
	strcpy((char *)fs.tune.mount_opts, "commit=11");
	fs.tune.default_mnt_opts = 0x60;
	assert_int_equal(ctl_ext4_fs_has_journal(&fs), 1);
	assert_string_equal(ctl_ext4_fs_sb_opts(&fs), "commit=11");
	assert_int_equal(ctl_ext4_fs_sb_data(&fs), CTL_EXT4_DATA_WRITEBACK);
	strcpy(fs.dev, "/dev/loop7");
	assert_string_equal(ctl_ext4_fs_name(&fs), "/dev/loop7");
}

/* An unmounted file system: the superblock written and read again. */
static void test_fs_sb(void **state)
{
	struct ctl_ext4_fs fs = {0};
	char opts[CTL_EXT4_MOUNT_OPTS_MAX + 2];
	int data = -1;

	(void)state;
	make_image(fs.dev, sizeof(fs.dev), "fs.img", "-t ext4");
	assert_int_equal(ctl_ext4_fs_sb_now(&fs, opts, sizeof(opts), &data), 0);
	assert_string_equal(opts, "");
	assert_int_equal(data, CTL_EXT4_DATA_NONE);
	assert_int_equal(ctl_ext4_fs_sb_write(&fs, "commit=9",
					      CTL_EXT4_DATA_JOURNAL),
			 0);
	assert_int_equal(ctl_ext4_fs_sb_now(&fs, opts, sizeof(opts), &data), 0);
	assert_string_equal(opts, "commit=9");
	assert_int_equal(data, CTL_EXT4_DATA_JOURNAL);
	assert_int_equal(ctl_ext4_fs_sb_now(&fs, opts, 4, &data),
			 -ENAMETOOLONG);
	snprintf(fs.dev, sizeof(fs.dev), "%s/missing.img", fake_root);
	assert_int_equal(ctl_ext4_fs_sb_now(&fs, opts, sizeof(opts), &data),
			 -ENOENT);
}

/*
 * Inside a system root (--sysroot) the device and the mount point of a
 * file system are paths in it: the calls reach them there, where a test
 * tree's root leaves them to the caller.
 */
static void test_fs_sysroot(void **state)
{
	struct ctl_ext4_fs fs = {0};
	struct ctl_ext4_fs host = {0};
	struct ext4_tune_sb_params p;
	struct ctl_root *sys;
	char img[PATH_MAX], opts[CTL_EXT4_MOUNT_OPTS_MAX + 2];
	int data = -1, via = -1;

	(void)state;
	make_image(img, sizeof(img), "jc-sysroot.img", "-t ext4");
	assert_int_equal(ctl_root_open_flags(fake_root, CTL_ROOT_SYSTEM, &sys),
			 0);
	fs.root = sys;
	snprintf(fs.dev, sizeof(fs.dev), "/jc-sysroot.img");
	assert_int_equal(
		ctl_ext4_fs_sb_write(&fs, "commit=7", CTL_EXT4_DATA_KEEP), 0);
	assert_int_equal(ctl_ext4_fs_sb_now(&fs, opts, sizeof(opts), &data), 0);
	assert_string_equal(opts, "commit=7");
	assert_int_equal(ctl_ext4_fs_sb_writable(&fs), 0);
	assert_string_equal(fs.sb.mount_opts, "commit=7");
	/* A test tree's root: the same path is the caller's, not there. */
	host = fs;
	host.root = root;
	assert_int_equal(ctl_ext4_fs_sb_now(&host, opts, sizeof(opts), &data),
			 -ENOENT);
	assert_int_equal(ctl_ext4_fs_sb_writable(&host), -ENOENT);
	/* A mount point only inside the root: reached, not ENOENT. */
	fake_mkdir("jc-sysroot-mnt");
	fs.mounted = host.mounted = 1;
	fs.m.target = host.m.target = (char *)"/jc-sysroot-mnt";
	assert_int_not_equal(ctl_ext4_fs_tune_get(&fs, &p), -ENOENT);
	assert_int_equal(ctl_ext4_fs_tune_get(&host, &p), -ENOENT);
	assert_int_not_equal(ctl_ext4_fs_checkpoint(&fs, 0), -ENOENT);
	assert_int_equal(ctl_ext4_fs_checkpoint(&host, 0), -ENOENT);
	assert_int_equal(ctl_ext4_fs_reconfigure(&host, "commit", "5", 0, &via),
			 -ENOENT);
	/* Symlinks and ".." stay inside the root. */
	fs.m.target = (char *)"/../../jc-sysroot-mnt";
	assert_int_not_equal(ctl_ext4_fs_tune_get(&fs, &p), -ENOENT);
	ctl_root_free(sys);
}

static void test_struct_layout(void **state)
{
	(void)state;
	/* The 6.18 uapi offsets the kernel reads. */
	assert_int_equal(sizeof(struct ext4_tune_sb_params), 232);
	assert_int_equal(offsetof(struct ext4_tune_sb_params, default_mnt_opts),
			 40);
	assert_int_equal(offsetof(struct ext4_tune_sb_params, def_hash_alg),
			 60);
	assert_int_equal(offsetof(struct ext4_tune_sb_params, mount_opts), 100);
	assert_int_equal(EXT4_IOC_GET_TUNE_SB_PARAM, 0x80e8662d);
	assert_int_equal(EXT4_IOC_SET_TUNE_SB_PARAM, 0x40e8662e);
	assert_int_equal(EXT4_IOC_CHECKPOINT, 0x4004662b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_data_modes),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_next_mount),
		cmocka_unit_test(test_live),
		cmocka_unit_test(test_jbd2),
		cmocka_unit_test(test_image),
		cmocka_unit_test(test_image_no_journal),
		cmocka_unit_test(test_image_needs_recovery),
		cmocka_unit_test(test_image_dropped_write),
		cmocka_unit_test(test_not_ext),
		cmocka_unit_test(test_peek),
		cmocka_unit_test(test_peek_bad),
		cmocka_unit_test(test_struct_layout),
		cmocka_unit_test(test_ext_types),
		cmocka_unit_test(test_fs_open),
		cmocka_unit_test(test_fs_open_fails),
		cmocka_unit_test(test_fs_from_mount),
		cmocka_unit_test(test_fs_layers),
		cmocka_unit_test(test_fs_sb),
		cmocka_unit_test(test_fs_sysroot),
	};

	return cmocka_run_group_tests(tests, setup, fake_teardown);
}
