/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The fake root a libctl unit test opens (beside fake.h, which it
 * includes): ROOT, the struct ctl_root over the fake tree. The test's own
 * setup writes its files and ends with `return fake_root_open();`;
 * fake_teardown() frees ROOT and the tree. A test that wants only a
 * scratch directory (fake_root, empty) takes fake_dir_setup() and
 * fake_teardown(). Header-only.
 */
#pragma once

#include "ctl/root.h"
#include "fake.h"

static struct ctl_root *root;

/* The fake tree as ROOT: the last step of a setup. 0 or -errno. */
static __attribute__((unused)) int fake_root_open(void)
{
	return ctl_root_open(fake_root, &root);
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
