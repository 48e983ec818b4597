// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The root prefix. openat2(RESOLVE_IN_ROOT) treats the root fd as "/" for
 * "..", absolute paths and symlinks alike, so a fake tree (or the host's /
 * mounted elsewhere) behaves exactly like the real thing and nothing a
 * tree contains can point a read or write outside it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "ctl/attr.h"
#include "ctl/root.h"
#include "ctl/file.h"
#include "internal.h"

struct ctl_root {
	int fd;
	int host;
	int inside; /* paths are inside: CTL_ROOT_SYSTEM, not "/" */
	char dir[];
};

int ctl_fmt(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n >= len)
		return -ENAMETOOLONG;
	return n;
}

int ctl_root_open(const char *dir, struct ctl_root **out)
{
	return ctl_root_open_flags(dir, 0, out);
}

int ctl_root_open_flags(const char *dir, unsigned int flags,
			struct ctl_root **out)
{
	struct ctl_root *r;
	size_t len;

	if (!dir || !*dir)
		dir = "/";
	len = strlen(dir);
	r = calloc(1, sizeof(*r) + len + 1);
	if (!r)
		return -ENOMEM;
	memcpy(r->dir, dir, len + 1);
	r->fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (r->fd < 0) {
		int err = neg_errno();

		free(r);
		return err;
	}
	r->host = strcmp(dir, "/") == 0;
	r->inside = !r->host && (flags & CTL_ROOT_SYSTEM);
	*out = r;
	return 0;
}

void ctl_root_free(struct ctl_root *r)
{
	if (!r)
		return;
	close(r->fd);
	free(r);
}

const char *ctl_root_dir(const struct ctl_root *r)
{
	return r->dir;
}

int ctl_root_is_host(const struct ctl_root *r)
{
	return r->host;
}

int ctl_root_paths_inside(const struct ctl_root *r)
{
	return r && r->inside;
}

int ctl_root_open_path(const struct ctl_root *r, const char *path, int flags,
		       mode_t mode)
{
	struct open_how how = {
		.flags = (unsigned)(flags | O_CLOEXEC),
		.mode = (flags & O_CREAT) ? mode : 0,
		.resolve = RESOLVE_IN_ROOT,
	};
	long fd;

	if (!path || !*path)
		return -EINVAL;
	while (*path == '/')
		path++;
	if (!*path)
		path = ".";
	/* RESOLVE_IN_ROOT gives EAGAIN when a rename or mount anywhere races
	 * with a ".." step of the lookup (seen about 1 in 1,500 lookups during
	 * a mount loop): a fresh lookup is all it takes. */
	for (int i = 0; i < 8; i++) {
		fd = syscall(SYS_openat2, r->fd, path, &how, sizeof(how));
		if (fd >= 0 || errno != EAGAIN)
			break;
	}
	return fd < 0 ? neg_errno() : (int)fd;
}

int ctl_root_open_input(const struct ctl_root *r, const char *path)
{
	/* O_NONBLOCK so that a FIFO in a --sysroot tree cannot hang the
	 * open; it is left set, since reads of regular files ignore it. */
	return ctl_file_regular_or_close(ctl_root_open_path(
		r, path, O_RDONLY | O_NONBLOCK | O_NOCTTY, 0));
}

FILE *ctl_root_fopen(const struct ctl_root *r, const char *path,
		     const char *mode)
{
	int flags = O_RDONLY;
	FILE *f;
	int fd;

	if (mode[0] == 'w')
		flags = O_WRONLY | O_CREAT | O_TRUNC;
	else if (mode[0] == 'a')
		flags = O_WRONLY | O_CREAT | O_APPEND;
	if (strchr(mode, '+'))
		flags = (flags & ~(O_RDONLY | O_WRONLY)) | O_RDWR;
	if (flags == O_RDONLY)
		fd = ctl_root_open_input(r, path);
	else
		fd = ctl_root_open_path(r, path, flags, 0644);
	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	f = fdopen(fd, mode);
	if (!f)
		close(fd);
	return f;
}

DIR *ctl_root_opendir(const struct ctl_root *r, const char *path)
{
	DIR *d;
	int fd;

	fd = ctl_root_open_path(r, path, O_RDONLY | O_DIRECTORY, 0);
	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	d = fdopendir(fd);
	if (!d)
		close(fd);
	return d;
}

int ctl_root_stat(const struct ctl_root *r, const char *path, struct stat *st)
{
	_cleanup_close_ int fd = ctl_root_open_path(r, path, O_PATH, 0);

	if (fd < 0)
		return fd;
	return fstat(fd, st) < 0 ? neg_errno() : 0;
}

int ctl_root_exists(const struct ctl_root *r, const char *path)
{
	struct stat st;

	return ctl_root_stat(r, path, &st) == 0;
}

/*
 * The path of our own FD (what /proc/self/fd/FD names) into BUF: the one
 * /proc lookup that is not host state.
 */
static int fd_path(int fd, char *buf, size_t len)
{
	char proc[64];
	ssize_t n;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	n = readlink(proc, buf, len);
	if (n < 0)
		return neg_errno();
	if ((size_t)n >= len)
		return -ENAMETOOLONG;
	buf[n] = '\0';
	return 0;
}

int ctl_root_realname(const struct ctl_root *r, const char *path, char *buf,
		      size_t len)
{
	_cleanup_close_ int fd = ctl_root_open_path(r, path, O_PATH, 0);
	char target[PATH_MAX];
	const char *base;
	int err;

	if (fd < 0)
		return fd;
	err = fd_path(fd, target, sizeof(target));
	if (err < 0)
		return err;
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	return ctl_fmt(buf, len, "%s", base) < 0 ? -ENAMETOOLONG : 0;
}

int ctl_root_devname(const struct ctl_root *r, dev_t dev, char *buf, size_t len)
{
	char path[64];
	int err;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u", major(dev),
		 minor(dev));
	err = ctl_root_realname(r, path, buf, len);
	return err == -ENOENT ? -ENODEV : err;
}

int ctl_root_read_file(const struct ctl_root *r, const char *path, char *buf,
		       size_t len)
{
	_cleanup_close_ int fd = ctl_root_open_input(r, path);

	if (fd < 0)
		return fd;
	return ctl_attr_read_fd(fd, buf, len);
}

int ctl_root_write_file(const struct ctl_root *r, const char *path,
			const char *val, int flags)
{
	/* O_TRUNC as a shell's ">" does: sysfs and procfs ignore it, and a
	 * --sysroot tree of regular files then holds just the new value. */
	int fd = ctl_root_open_path(r, path, O_WRONLY | O_TRUNC | flags, 0644);
	size_t len = strlen(val);
	ssize_t n;

	if (fd < 0)
		return fd;
	/* sysfs and procfs take a value in one write(2); never split it. */
	do
		n = write(fd, val, len);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		int err = neg_errno();

		close(fd);
		return err;
	}
	if (close(fd) < 0)
		return neg_errno();
	return (size_t)n == len ? 0 : -EIO;
}

int ctl_root_path_open(const struct ctl_root *r, const char *path, int flags)
{
	int fd;

	if (ctl_root_paths_inside(r))
		return ctl_root_open_path(r, path, flags, 0);
	fd = open(path, flags | O_CLOEXEC);
	return fd < 0 ? neg_errno() : fd;
}

int ctl_root_path_stat(const struct ctl_root *r, const char *path,
		       struct stat *st, int nofollow)
{
	_cleanup_close_ int fd = -1;

	if (!ctl_root_paths_inside(r)) {
		if ((nofollow ? lstat(path, st) : stat(path, st)) < 0)
			return neg_errno();
		return 0;
	}
	fd = ctl_root_open_path(r, path, O_PATH | (nofollow ? O_NOFOLLOW : 0),
				0);
	if (fd < 0)
		return fd;
	return fstat(fd, st) < 0 ? neg_errno() : 0;
}

int ctl_root_path_real(const struct ctl_root *r, const char *path, char *buf,
		       size_t len)
{
	_cleanup_close_ int fd = -1;
	char p[PATH_MAX], top[PATH_MAX];
	size_t n;
	int err;

	if (!ctl_root_paths_inside(r)) {
		if (!realpath(path, p))
			return neg_errno();
		return ctl_fmt(buf, len, "%s", p) < 0 ? -ENAMETOOLONG : 0;
	}
	fd = ctl_root_open_path(r, path, O_PATH, 0);
	if (fd < 0)
		return fd;
	err = fd_path(fd, p, sizeof(p));
	if (err == 0)
		err = fd_path(r->fd, top, sizeof(top));
	if (err < 0)
		return err;
	/* The file as the root sees it: its path less the root's own. */
	n = strcmp(top, "/") == 0 ? 0 : strlen(top);
	if (strncmp(p, top, n) != 0 || (p[n] && p[n] != '/'))
		return -EXDEV; /* out of our reach: not below the root */
	return ctl_fmt(buf, len, "%s", p[n] ? p + n : "/") < 0 ? -ENAMETOOLONG
							       : 0;
}

int ctl_root_path_readlink(const struct ctl_root *r, const char *path,
			   char *buf, size_t len)
{
	_cleanup_close_ int fd = -1;
	ssize_t n;

	if (!ctl_root_paths_inside(r)) {
		n = readlink(path, buf, len);
	} else {
		fd = ctl_root_open_path(r, path, O_PATH | O_NOFOLLOW, 0);
		if (fd < 0)
			return fd;
		n = readlinkat(fd, "", buf, len);
	}
	if (n < 0)
		return neg_errno();
	if ((size_t)n >= len)
		return -ENAMETOOLONG;
	buf[n] = '\0';
	return (int)n;
}
