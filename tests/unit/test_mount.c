// SPDX-License-Identifier: GPL-2.0-or-later
/* libctl mount: mountinfo and fstab of a fake root through libmount. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "ctl/file.h"
#include "ctl/macro.h"
#include "ctl/mount.h"
#include "ctl/root.h"
#include "fake-setup.h"

static char real_root[PATH_MAX];
static dev_t real_dev;

static int setup(void **state)
{
	struct stat st;

	(void)state;
	fake_new();
	fake_mkdir("deep/er");
	if (!realpath(fake_root, real_root) || stat(real_root, &st) < 0)
		return -1;
	real_dev = st.st_dev;
	/*
	 * A bind mount of a subdirectory comes first; the mount of the fs
	 * root must still win. Mount points are escaped as the kernel does.
	 * The last two lines use the real st_dev of the fake tree, so that a
	 * path lookup (which stat()s a host path) has something to find.
	 */
	fake_write(
		"proc/self/mountinfo",
		"22 1 254:99 / / rw,relatime - ext4 /dev/vda rw\n"
		"60 22 7:3 /sub /mnt/b rw,nosuid - ext4 /dev/loop3 rw,commit=30\n"
		"61 22 7:3 / /mnt/a rw,nosuid,nodev,noexec,relatime - ext4 /dev/loop3 rw,commit=30,lazytime\n"
		"62 22 7:4 / /mnt/with\\040space ro,relatime - ext2 /dev/loop4 ro\n"
		"63 22 7:5 / /mnt/robind ro,relatime - ext4 /dev/loop5 rw\n"
		"64 22 0:40 / /tmp/x rw,nosuid,nodev - tmpfs tmpfs rw,size=4k\n"
		"70 22 %u:%u / / rw - ext4 /dev/host rw\n"
		"71 70 %u:%u / %s rw,noexec - ext4 /dev/host rw\n",
		major(real_dev), minor(real_dev), major(real_dev),
		minor(real_dev), real_root);
	fake_write("etc/fstab",
		   "# comment\n"
		   "/dev/vda / ext4 defaults 0 1\n"
		   "UUID=1111-2222 /srv ext4 commit=60,data=journal 0 2\n"
		   "LABEL=logs /var/log ext4 nosuid,commit=15 0 2\n"
		   "/dev/loop3 /elsewhere ext4 commit=7 0 0\n"
		   "/dev/other /mnt/a ext4 commit=9 0 0\n");
	return fake_root_open();
}

static void test_by_dev(void **state)
{
	struct ctl_mount m;

	(void)state;
	assert_int_equal(ctl_mount_by_dev(root, makedev(7, 3), &m), 0);
	assert_string_equal(m.target, "/mnt/a");
	assert_string_equal(m.source, "/dev/loop3");
	assert_string_equal(m.root, "/");
	assert_string_equal(m.fstype, "ext4");
	assert_int_equal(m.id, 61);
	assert_string_equal(m.fs_opts, "rw,commit=30,lazytime");
	assert_int_equal(m.vfs_flags & (MS_RDONLY | MS_NOSUID | MS_NODEV |
					MS_NOEXEC | MS_RELATIME | MS_LAZYTIME),
			 MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RELATIME |
				 MS_LAZYTIME);
	assert_int_equal(m.sb_ro, 0);
	ctl_mount_clear(&m);

	assert_int_equal(ctl_mount_by_dev(root, makedev(7, 4), &m), 0);
	assert_string_equal(m.target, "/mnt/with space");
	assert_true(m.vfs_flags & MS_RDONLY);
	assert_int_equal(m.sb_ro, 1);
	ctl_mount_clear(&m);

	/* A read-only mount of a writable superblock: both are visible. */
	assert_int_equal(ctl_mount_by_dev(root, makedev(7, 5), &m), 0);
	assert_true(m.vfs_flags & MS_RDONLY);
	assert_int_equal(m.sb_ro, 0);
	ctl_mount_clear(&m);

	assert_int_equal(ctl_mount_by_dev(root, makedev(9, 9), &m), -ENOENT);
}

static void test_by_path(void **state)
{
	char path[PATH_MAX + 16];
	struct ctl_mount m;

	(void)state;
	/* The deepest mount point above the path wins over "/". */
	snprintf(path, sizeof(path), "%s/deep/er", fake_root);
	assert_int_equal(ctl_mount_by_path(root, path, &m), 0);
	assert_string_equal(m.target, real_root);
	assert_int_equal(m.id, 71);
	assert_true(m.vfs_flags & MS_NOEXEC);
	ctl_mount_clear(&m);

	snprintf(path, sizeof(path), "%s/missing", fake_root);
	assert_int_equal(ctl_mount_by_path(root, path, &m), -ENOENT);
}

static void test_list(void **state)
{
	const char *const ext[] = {"ext4", "ext2", NULL};
	struct ctl_mount *v;
	size_t n, i;

	(void)state;
	assert_int_equal(ctl_mount_list(root, ext, &v, &n), 0);
	/* vda, loop3 once (its fs-root mount), loop4, loop5, the host dev. */
	assert_int_equal(n, 5);
	for (i = 0; i < n && v[i].dev != makedev(7, 3); i++)
		;
	assert_true(i < n);
	assert_string_equal(v[i].target, "/mnt/a");
	ctl_mount_list_free(v, n);

	assert_int_equal(ctl_mount_list(root, NULL, &v, &n), 0);
	assert_int_equal(n, 6);
	ctl_mount_list_free(v, n);
}

static void test_opts(void **state)
{
	char val[8], *s = NULL;

	(void)state;
	assert_int_equal(ctl_mount_opt("rw,commit=30,noatime", "commit", val,
				       sizeof(val)),
			 1);
	assert_string_equal(val, "30");
	assert_int_equal(ctl_mount_opt("rw,commit=30,noatime", "noatime", val,
				       sizeof(val)),
			 1);
	assert_string_equal(val, "");
	assert_int_equal(
		ctl_mount_opt("rw,commit=30", "data", val, sizeof(val)), 0);
	assert_int_equal(ctl_mount_opt("data=writeback", "data", val, 4),
			 -ENAMETOOLONG);
	assert_int_equal(ctl_mount_opt("rw", "rw", NULL, 0), 1);
	assert_int_equal(ctl_mount_opt(NULL, "rw", NULL, 0), -EINVAL);

	/* Merge: in place, appended, removed; other options kept. */
	s = strdup("commit=42,data_err=abort");
	assert_int_equal(ctl_mount_opt_set(&s, "commit", "30"), 0);
	assert_string_equal(s, "commit=30,data_err=abort");
	assert_int_equal(ctl_mount_opt_set(&s, "commit", NULL), 0);
	assert_string_equal(s, "data_err=abort");
	assert_int_equal(ctl_mount_opt_set(&s, "commit", "5"), 0);
	assert_string_equal(s, "data_err=abort,commit=5");
	assert_int_equal(ctl_mount_opt_set(&s, "commit", "5,ro"), -EINVAL);
	assert_string_equal(s, "data_err=abort,commit=5");
	free(s);
	s = NULL;
	assert_int_equal(ctl_mount_opt_set(&s, "commit", "1"), 0);
	assert_string_equal(s, "commit=1");
	free(s);
}

static void test_fstab(void **state)
{
	char *o = NULL;

	(void)state;
	/* The mount point wins over a device spec listed earlier. */
	assert_int_equal(ctl_fstab_find(root, "/mnt/a", "/dev/loop3", NULL,
					NULL, &o),
			 1);
	assert_string_equal(o, "commit=9");
	free(o);
	assert_int_equal(ctl_fstab_find(root, "/nowhere", "/dev/loop3", NULL,
					NULL, &o),
			 1);
	assert_string_equal(o, "commit=7");
	free(o);
	assert_int_equal(ctl_fstab_find(root, "/nowhere", "/dev/x", "1111-2222",
					NULL, &o),
			 1);
	assert_string_equal(o, "commit=60,data=journal");
	free(o);
	assert_int_equal(ctl_fstab_find(root, NULL, NULL, "9999", "logs", &o),
			 1);
	assert_string_equal(o, "nosuid,commit=15");
	free(o);
	o = NULL;
	assert_int_equal(
		ctl_fstab_find(root, "/nowhere", "/dev/x", "9", "", &o), 0);
	assert_null(o);
}

static void test_no_files(void **state)
{
	struct ctl_root *empty;
	struct ctl_mount m;
	char dir[PATH_MAX + 16], *o = NULL;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/deep", fake_root);
	assert_int_equal(ctl_root_open(dir, &empty), 0);
	assert_int_equal(ctl_mount_by_dev(empty, makedev(7, 3), &m), -ENOENT);
	/* No fstab is not an error: there is simply no entry. */
	assert_int_equal(ctl_fstab_find(empty, "/", NULL, NULL, NULL, &o), 0);
	ctl_root_free(empty);
}

/*
 * A FIFO (or any non-regular file) in place of fstab or mountinfo, as a
 * --sysroot tree may hold: refused at once, never waited on. The alarm
 * turns a hang into a failure.
 */
static void test_not_regular(void **state)
{
	struct ctl_root *fr;
	struct ctl_mount m;
	char dir[PATH_MAX + 16], path[PATH_MAX + 64], *o = NULL;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/fifo", fake_root);
	fake_mkdir("fifo/etc");
	fake_mkdir("fifo/proc/self");
	snprintf(path, sizeof(path), "%s/etc/fstab", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	snprintf(path, sizeof(path), "%s/proc/self/mountinfo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(ctl_root_open(dir, &fr), 0);
	alarm(10);
	assert_int_equal(ctl_fstab_find(fr, "/", NULL, NULL, NULL, &o),
			 -CTL_ENOTREG);
	assert_null(o);
	assert_int_equal(ctl_mount_by_dev(fr, makedev(7, 3), &m), -CTL_ENOTREG);
	alarm(0);
	ctl_root_free(fr);
	/* A directory is refused as such. */
	fake_mkdir("dirs/etc/fstab");
	snprintf(dir, sizeof(dir), "%s/dirs", fake_root);
	assert_int_equal(ctl_root_open(dir, &fr), 0);
	assert_int_equal(ctl_fstab_find(fr, "/", NULL, NULL, NULL, &o),
			 -EISDIR);
	ctl_root_free(fr);
}

static void test_space(void **state)
{
	uint64_t avail = 0, total = 0;

	(void)state;
	assert_int_equal(ctl_mount_space(NULL, fake_root, &avail, &total), 0);
	assert_true(total > 0);
	assert_true(avail <= total);
	assert_int_equal(ctl_mount_space(NULL, "/nonexistent-ctl", &avail,
					 &total),
			 -ENOENT);
}

/*
 * A system root (--sysroot: CTL_ROOT_SYSTEM): the table is its init's,
 * proc/1/mountinfo (proc/self/mountinfo is the caller's, inside a
 * container the container's: never read), and paths are inside the root,
 * a relative one from its "/"; symlinks and ".." cannot leave it.
 */
static void test_system_root(void **state)
{
	char dir[PATH_MAX], p[PATH_MAX + 64];
	struct ctl_root *sr;
	struct ctl_mount m;
	uint64_t avail, total;
	unsigned int ma = major(real_dev), mi = minor(real_dev);

	(void)state;
	fake_mkdir("sys1/var/lib/app/data");
	fake_symlink("../../../..", "sys1/var/lib/app/up");
	fake_write("sys1/proc/1/mountinfo",
		   "1 0 %u:%u / / rw - ext4 /dev/host rw\n"
		   "2 1 %u:%u / /var/lib/app rw,noexec - ext4 /dev/app rw\n"
		   "3 1 7:3 / /mnt/a rw - ext4 /dev/loop3 rw\n",
		   ma, mi, ma, mi);
	fake_write("sys1/proc/self/mountinfo",
		   "9 0 %u:%u / / rw - tmpfs container rw\n", ma, mi);
	snprintf(dir, sizeof(dir), "%s/sys1", fake_root);
	assert_int_equal(ctl_root_open_flags(dir, CTL_ROOT_SYSTEM, &sr), 0);
	assert_true(ctl_root_paths_inside(sr));

	assert_int_equal(ctl_mount_by_dev(sr, makedev(7, 3), &m), 0);
	assert_string_equal(m.target, "/mnt/a");
	ctl_mount_clear(&m);
	/* The path inside the root, absolute or from its "/". */
	assert_int_equal(ctl_mount_by_path(sr, "/var/lib/app/data", &m), 0);
	assert_int_equal(m.id, 2);
	assert_string_equal(m.source, "/dev/app");
	ctl_mount_clear(&m);
	assert_int_equal(ctl_mount_by_path(sr, "var/lib/app/data", &m), 0);
	assert_int_equal(m.id, 2);
	ctl_mount_clear(&m);
	/* "../../../.." from /var/lib/app stops at the root's "/". */
	assert_int_equal(ctl_mount_by_path(sr, "/var/lib/app/up/..", &m), 0);
	assert_int_equal(m.id, 1);
	assert_string_equal(m.source, "/dev/host");
	ctl_mount_clear(&m);
	/* A path of the caller's is not one of the root's. */
	snprintf(p, sizeof(p), "%s/deep", fake_root);
	assert_int_equal(ctl_mount_by_path(sr, p, &m), -ENOENT);
	assert_int_equal(ctl_mount_space(sr, "/var/lib/app", &avail, &total),
			 0);
	assert_true(total > 0);
	assert_int_equal(ctl_mount_space(sr, p, &avail, &total), -ENOENT);
	ctl_root_free(sr);

	/* Without CTL_ROOT_SYSTEM a tree stands in for our own /proc. */
	assert_int_equal(ctl_root_open(dir, &sr), 0);
	assert_false(ctl_root_paths_inside(sr));
	assert_int_equal(ctl_mount_by_dev(sr, makedev(7, 3), &m), -ENOENT);
	ctl_root_free(sr);
	/* "/" is the host, whatever the flags. */
	assert_int_equal(ctl_root_open_flags("/", CTL_ROOT_SYSTEM, &sr), 0);
	assert_false(ctl_root_paths_inside(sr));
	ctl_root_free(sr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_by_dev),
		cmocka_unit_test(test_by_path),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_opts),
		cmocka_unit_test(test_fstab),
		cmocka_unit_test(test_no_files),
		cmocka_unit_test(test_not_regular),
		cmocka_unit_test(test_space),
		cmocka_unit_test(test_system_root),
	};

	return cmocka_run_group_tests(tests, setup, fake_teardown);
}
