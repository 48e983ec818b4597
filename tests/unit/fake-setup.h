/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The fake root a libctl unit test opens (beside fake.h, which it
 * includes): ROOT, the struct ctl_root over the fake tree. The test's own
 * setup writes its files and ends with `return fake_root_open();` (or
 * lays out a fixture tree with fake_tree_open());
 * fake_teardown() frees ROOT and the tree. A test that wants only a
 * scratch directory (fake_root, empty) takes fake_dir_setup() and
 * fake_teardown(). fake_wait(), fake_run() and fake_python() run a child
 * or a consumer of what a test wrote; fake_entries() counts a directory. Header-only, after <cmocka.h>.
 */
#pragma once

#include <dirent.h>
#include <string.h>
#include <sys/wait.h>

#include "ctl/root.h"
#include "fake.h"

static struct ctl_root *root;

/* The fake tree as ROOT: the last step of a setup. 0 or -errno. */
static __attribute__((unused)) int fake_root_open(void)
{
	return ctl_root_open(fake_root, &root);
}

/*
 * A fresh fake tree laid out by TREE (a fixture such as qd_tree()), then
 * ROOT over it. 0 or -errno.
 */
static __attribute__((unused)) int fake_tree_open(void (*tree)(void))
{
	fake_new();
	tree();
	return fake_root_open();
}

/* A setup for cmocka: an empty fake_root, no ROOT. */
static __attribute__((unused)) int fake_dir_setup(void **state)
{
	(void)state;
	fake_new();
	return 0;
}

/* A teardown for cmocka: ROOT and the fake tree go. */
static __attribute__((unused)) int fake_teardown(void **state)
{
	(void)state;
	ctl_root_free(root);
	root = NULL;
	fake_free();
	return 0;
}

/* Wait for child PID: its exit status, or 128 + the signal that ended it. */
static __attribute__((unused)) int fake_wait(pid_t pid)
{
	int st;

	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Run ARGV; its exit status (127: it could not be run). */
static __attribute__((unused)) int fake_run(char *const *argv)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	return fake_wait(pid);
}

/*
 * python3 SCRIPT with sys.argv[1] = PATH: 0 when its asserts held. Debian's
 * python3, as the tests of --textfile run it (lib-fleet.sh): its modules
 * (python3-prometheus-client) are not those of a python3 earlier in PATH
 * (pyenv).
 */
static __attribute__((unused)) int fake_python(const char *script,
					       const char *path)
{
	char *argv[] = {"/usr/bin/python3", "-c", (char *)script, (char *)path,
			NULL};

	return fake_run(argv);
}

/* How many entries directory DIR holds other than . and .. */
static __attribute__((unused)) int fake_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..");
	closedir(d);
	return n;
}
