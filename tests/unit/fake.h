/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fake sysfs/procfs trees for unit tests: a temporary directory that
 * libctl opens as its root (--sysroot). Header-only; each test includes
 * it once. Aborts the test on any setup failure.
 */
#pragma once

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char fake_root[256] __attribute__((unused));

static __attribute__((unused)) void fake_die(const char *what, const char *path)
{
	fprintf(stderr, "fake tree: %s %s: %s\n", what, path, strerror(errno));
	abort();
}

/* mkdir -p ROOT/PATH */
static __attribute__((unused)) void fake_mkdir(const char *path)
{
	char buf[1536];

	snprintf(buf, sizeof(buf), "%s/%s", fake_root, path);
	for (char *p = buf + strlen(fake_root) + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			fake_die("mkdir", buf);
		*p = '/';
	}
	if (mkdir(buf, 0755) < 0 && errno != EEXIST)
		fake_die("mkdir", buf);
}

/* Write ROOT/PATH (parents created) with printf-formatted content. */
static __attribute__((format(printf, 2, 3), unused)) void
fake_write(const char *path, const char *fmt, ...)
{
	char buf[1536], dir[1024];
	va_list ap;
	FILE *f;

	snprintf(dir, sizeof(dir), "%s", path);
	if (strrchr(dir, '/')) {
		*strrchr(dir, '/') = '\0';
		fake_mkdir(dir);
	}
	snprintf(buf, sizeof(buf), "%s/%s", fake_root, path);
	f = fopen(buf, "w");
	if (!f)
		fake_die("open", buf);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	if (fclose(f) != 0)
		fake_die("close", buf);
}

/* Read ROOT/PATH into a static buffer (for checking what a tool wrote). */
static __attribute__((unused)) const char *fake_read(const char *path)
{
	static char out[4096];
	char buf[1536];
	ssize_t n;
	int fd;

	snprintf(buf, sizeof(buf), "%s/%s", fake_root, path);
	fd = open(buf, O_RDONLY);
	if (fd < 0)
		return NULL;
	n = read(fd, out, sizeof(out) - 1);
	close(fd);
	out[n < 0 ? 0 : n] = '\0';
	return out;
}

/* Symlink ROOT/PATH -> TARGET (TARGET taken literally). */
static __attribute__((unused)) void fake_symlink(const char *target,
						 const char *path)
{
	char buf[1536], dir[1024];

	snprintf(dir, sizeof(dir), "%s", path);
	if (strrchr(dir, '/')) {
		*strrchr(dir, '/') = '\0';
		fake_mkdir(dir);
	}
	snprintf(buf, sizeof(buf), "%s/%s", fake_root, path);
	if (symlink(target, buf) < 0)
		fake_die("symlink", buf);
}

/* Create a fresh empty root under $TMPDIR; returns its path. */
static __attribute__((unused)) const char *fake_new(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(fake_root, sizeof(fake_root), "%s/ctl-fake.XXXXXX",
		 tmp ? tmp : "/tmp");
	if (!mkdtemp(fake_root))
		fake_die("mkdtemp", fake_root);
	return fake_root;
}

/* Remove the fake root recursively. */
static __attribute__((unused)) void fake_free(void)
{
	char cmd[512];

	if (!fake_root[0])
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fake_root);
	if (system(cmd) != 0)
		fprintf(stderr, "fake tree: could not remove %s\n", fake_root);
	fake_root[0] = '\0';
}
