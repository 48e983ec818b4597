// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libctl mount: the kernel (statmount/listmount) and libmount answer the
 * same for the host's live mount table, field by field; the option
 * helpers and flags agree with libmount's. Run on whatever is mounted:
 * tests/integration/39-jcommit-mount-backend.sh runs it in a namespace
 * of its own mounts (ro, bind of a subdirectory, odd names, covered).
 *
 * "test_mount_backend --enosys CMD ARG..." runs CMD with statmount(2)
 * and listmount(2) failing with ENOSYS (a seccomp filter), the way a
 * kernel before 6.8 answers: that integration test compares a tool's
 * output both ways.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <libmount.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl/mount.h"
#include "ctl/root.h"

static struct ctl_root *root;

static int setup(void **state)
{
	(void)state;
	return ctl_root_open(NULL, &root);
}

static int teardown(void **state)
{
	(void)state;
	ctl_mount_backend_set(CTL_MOUNT_AUTO);
	ctl_root_free(root);
	return 0;
}

/* The table by backend B, or skip the test when the kernel has none. */
static void table_by(enum ctl_mount_backend b, struct ctl_mount **v, size_t *n)
{
	int err;

	ctl_mount_backend_set(b);
	err = ctl_mount_table(root, v, n);
	ctl_mount_backend_set(CTL_MOUNT_AUTO);
	if (b == CTL_MOUNT_KERNEL &&
	    (err == -ENOSYS || err == -EPERM || err == -EINVAL))
		skip();
	assert_int_equal(err, 0);
}

/* Count of fields of A and B that differ, each told on stderr. */
static int diff(const char *what, const struct ctl_mount *a,
		const struct ctl_mount *b)
{
	const char *na[] = {"source", "target",	  "root",
			    "fstype", "vfs_opts", "fs_opts"};
	const char *sa[] = {a->source, a->target,   a->root,
			    a->fstype, a->vfs_opts, a->fs_opts};
	const char *sb[] = {b->source, b->target,   b->root,
			    b->fstype, b->vfs_opts, b->fs_opts};
	int bad = 0;

	for (size_t i = 0; i < sizeof(na) / sizeof(na[0]); i++) {
		if (strcmp(sa[i], sb[i]) == 0)
			continue;
		fprintf(stderr, "%s %s: %s libmount '%s' kernel '%s'\n", what,
			a->target, na[i], sa[i], sb[i]);
		bad++;
	}
	if (a->id != b->id || a->dev != b->dev ||
	    a->vfs_flags != b->vfs_flags || a->sb_ro != b->sb_ro) {
		fprintf(stderr,
			"%s %s: id %d/%d dev %lx/%lx flags %lx/%lx sb_ro %d/%d (libmount/kernel)\n",
			what, a->target, a->id, b->id, (unsigned long)a->dev,
			(unsigned long)b->dev, a->vfs_flags, b->vfs_flags,
			a->sb_ro, b->sb_ro);
		bad++;
	}
	return bad;
}

static void test_table(void **state)
{
	struct ctl_mount *lv, *kv;
	size_t ln, kn;
	int bad = 0;

	(void)state;
	table_by(CTL_MOUNT_LIBMOUNT, &lv, &ln);
	table_by(CTL_MOUNT_KERNEL, &kv, &kn);
	if (ln != kn)
		fprintf(stderr,
			"table: %zu mounts by libmount, %zu by kernel\n", ln,
			kn);
	for (size_t i = 0; i < ln && i < kn; i++)
		bad += diff("table", &lv[i], &kv[i]);
	assert_int_equal(ln, kn);
	assert_int_equal(bad, 0);
	ctl_mount_list_free(lv, ln);
	ctl_mount_list_free(kv, kn);
}

/* What backend B answers for the path or device of M. */
static int lookup(enum ctl_mount_backend b, const struct ctl_mount *m,
		  int by_dev, struct ctl_mount *out)
{
	int err;

	ctl_mount_backend_set(b);
	err = by_dev ? ctl_mount_by_dev(root, m->dev, out)
		     : ctl_mount_by_path(root, m->target, out);
	ctl_mount_backend_set(CTL_MOUNT_AUTO);
	return err;
}

/* By path and by device: for every mount, both answer the same. */
static void test_lookups(void **state)
{
	struct ctl_mount *lv;
	size_t ln;
	int bad = 0, checked = 0;

	(void)state;
	table_by(CTL_MOUNT_LIBMOUNT, &lv, &ln);
	for (size_t i = 0; i < ln; i++) {
		for (int by_dev = 0; by_dev < 2; by_dev++) {
			struct ctl_mount a = {0}, k = {0};
			int ea = lookup(CTL_MOUNT_LIBMOUNT, &lv[i], by_dev, &a);
			int ek = lookup(CTL_MOUNT_KERNEL, &lv[i], by_dev, &k);

			if (ek == -ENOSYS || ek == -EPERM)
				skip();
			if (ea != ek) {
				fprintf(stderr,
					"%s %s: libmount %d kernel %d\n",
					by_dev ? "by_dev" : "by_path",
					lv[i].target, ea, ek);
				bad++;
			} else if (ea == 0) {
				bad += diff(by_dev ? "by_dev" : "by_path", &a,
					    &k);
				checked++;
			}
			ctl_mount_clear(&a);
			ctl_mount_clear(&k);
		}
	}
	ctl_mount_list_free(lv, ln);
	assert_int_equal(bad, 0);
	assert_true(checked > 0);
}

/*
 * A path through /proc/PID/root of another mount namespace (a child's,
 * made here): its mount is none of this namespace's, and both answer by
 * the mounts of its device here (libmount: the real path's prefix).
 */
static void test_other_ns(void **state)
{
	struct ctl_mount *lv;
	size_t ln;
	int bad = 0, checked = 0, p[2], st;
	char c;
	pid_t pid;

	(void)state;
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		c = unshare(CLONE_NEWNS) == 0 ? 'y' : 'n';
		if (write(p[1], &c, 1) != 1 || c != 'y')
			_exit(1);
		pause();
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], &c, 1) != 1 || c != 'y') {
		close(p[0]);
		waitpid(pid, &st, 0);
		skip(); /* no privilege for a mount namespace */
	}
	close(p[0]);
	table_by(CTL_MOUNT_LIBMOUNT, &lv, &ln);
	for (size_t i = 0; i < ln; i++) {
		struct ctl_mount a = {0}, k = {0};
		char path[8192];
		int ea, ek;

		snprintf(path, sizeof(path), "/proc/%d/root%s", (int)pid,
			 lv[i].target);
		ctl_mount_backend_set(CTL_MOUNT_LIBMOUNT);
		ea = ctl_mount_by_path(root, path, &a);
		ctl_mount_backend_set(CTL_MOUNT_KERNEL);
		ek = ctl_mount_by_path(root, path, &k);
		ctl_mount_backend_set(CTL_MOUNT_AUTO);
		if (ea != ek) {
			fprintf(stderr, "other ns %s: libmount %d kernel %d\n",
				path, ea, ek);
			bad++;
		} else if (ea == 0) {
			bad += diff("other ns", &a, &k);
			checked++;
		}
		ctl_mount_clear(&a);
		ctl_mount_clear(&k);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	ctl_mount_list_free(lv, ln);
	assert_int_equal(bad, 0);
	assert_true(checked > 0);
}

static void test_list(void **state)
{
	static const char *const types[] = {"ext2", "ext3", "ext4", NULL};
	struct ctl_mount *lv = NULL, *kv = NULL;
	size_t ln = 0, kn = 0;
	int bad = 0, err;

	(void)state;
	ctl_mount_backend_set(CTL_MOUNT_LIBMOUNT);
	assert_int_equal(ctl_mount_list(root, types, &lv, &ln), 0);
	ctl_mount_backend_set(CTL_MOUNT_KERNEL);
	err = ctl_mount_list(root, types, &kv, &kn);
	ctl_mount_backend_set(CTL_MOUNT_AUTO);
	if (err == -ENOSYS || err == -EPERM)
		skip();
	assert_int_equal(err, 0);
	assert_int_equal(ln, kn);
	for (size_t i = 0; i < ln; i++)
		bad += diff("list", &lv[i], &kv[i]);
	assert_int_equal(bad, 0);
	ctl_mount_list_free(lv, ln);
	ctl_mount_list_free(kv, kn);
}

/* vfs_flags and sb_ro as libmount's own flag parser reads the strings. */
static void test_flags(void **state)
{
	const struct libmnt_optmap *map = mnt_get_builtin_optmap(MNT_LINUX_MAP);
	const unsigned long sbf = MS_LAZYTIME | MS_SYNCHRONOUS | MS_DIRSYNC |
				  MS_MANDLOCK;
	struct ctl_mount *lv;
	size_t ln;

	(void)state;
	table_by(CTL_MOUNT_LIBMOUNT, &lv, &ln);
	for (size_t i = 0; i < ln; i++) {
		unsigned long v = 0, f = 0;

		mnt_optstr_get_flags(lv[i].vfs_opts, &v, map);
		mnt_optstr_get_flags(lv[i].fs_opts, &f, map);
		assert_int_equal(lv[i].vfs_flags, v | (f & sbf));
		assert_int_equal(lv[i].sb_ro, (f & MS_RDONLY) != 0);
	}
	ctl_mount_list_free(lv, ln);
}

/* The option helpers: as libmount's mnt_optstr_* on the same strings. */
static void test_opts(void **state)
{
	static const char *const strs[] = {
		"rw,commit=30,noatime",
		"data=ordered,commit=5",
		",,commit=7,,data=journal,",
		"a=\"x,commit=1\",commit=2",
		"commit",
		"commit=,x",
		"x=\"unclosed,commit=3",
		"",
		"commit=30,commit=40",
	};
	static const char *const names[] = {"commit", "data", "noatime", "x",
					    "a"};
	static const char *const vals[] = {NULL, "1", "30", "12345", ""};

	(void)state;
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		for (size_t j = 0; j < sizeof(names) / sizeof(names[0]); j++) {
			char val[64], *lv = NULL, *ours, *theirs;
			size_t lsz = 0;
			int rc = mnt_optstr_get_option(strs[i], names[j], &lv,
						       &lsz);

			assert_int_equal(ctl_mount_opt(strs[i], names[j], val,
						       sizeof(val)),
					 rc == 0 ? 1 : 0);
			if (rc == 0) {
				assert_int_equal(strlen(val), lsz);
				assert_memory_equal(val, lv ? lv : "", lsz);
			}
			for (size_t k = 0; k < sizeof(vals) / sizeof(vals[0]);
			     k++) {
				ours = strdup(strs[i]);
				theirs = strdup(strs[i]);
				assert_int_equal(ctl_mount_opt_set(&ours,
								   names[j],
								   vals[k]),
						 0);
				if (vals[k])
					mnt_optstr_set_option(&theirs, names[j],
							      vals[k]);
				else
					mnt_optstr_remove_option(&theirs,
								 names[j]);
				if (strcmp(ours, theirs) != 0)
					fprintf(stderr,
						"'%s' %s=%s: ours '%s' libmount '%s'\n",
						strs[i], names[j],
						vals[k] ? vals[k] : "(remove)",
						ours, theirs);
				assert_string_equal(ours, theirs);
				free(ours);
				free(theirs);
			}
		}
}

/* Run ARGV with statmount(2) and listmount(2) failing with ENOSYS. */
static int run_enosys(char **argv)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 457, 1, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 458, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {sizeof(f) / sizeof(f[0]), f};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0) {
		perror("seccomp");
		return 126;
	}
	execvp(argv[0], argv);
	perror(argv[0]);
	return 127;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),	 cmocka_unit_test(test_lookups),
		cmocka_unit_test(test_other_ns), cmocka_unit_test(test_list),
		cmocka_unit_test(test_flags),	 cmocka_unit_test(test_opts),
	};

	if (argc > 2 && strcmp(argv[1], "--enosys") == 0)
		return run_enosys(argv + 2);
	return cmocka_run_group_tests(tests, setup, teardown);
}
