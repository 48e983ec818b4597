// SPDX-License-Identifier: LGPL-2.1-or-later
/* sysfs/procfs attributes: validated names, one write, read-back. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ctl/attr.h"
#include "ctl/file.h"
#include "ctl/parse.h"
#include "internal.h"

int ctl_name_check(const char *name)
{
	size_t len;

	if (!name)
		return -EINVAL;
	len = strnlen(name, CTL_NAME_MAX + 1);
	if (len == 0 || len > CTL_NAME_MAX)
		return -EINVAL;
	if (strchr(name, '/') || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0)
		return -EINVAL;
	return 0;
}

static int attr_path(char *buf, size_t len, const char *dir, const char *name)
{
	if (ctl_name_check(name) < 0)
		return -EINVAL;
	return ctl_fmt(buf, len, "%s/%s", dir, name);
}

int ctl_attr_read(const struct ctl_root *r, const char *dir, const char *name,
		  char *buf, size_t len)
{
	char path[PATH_MAX];
	int err = attr_path(path, sizeof(path), dir, name);

	if (err < 0)
		return err;
	return ctl_root_read_file(r, path, buf, len);
}

int ctl_attr_read_u64(const struct ctl_root *r, const char *dir,
		      const char *name, uint64_t *val)
{
	char buf[64];
	int err = ctl_attr_read(r, dir, name, buf, sizeof(buf));

	if (err < 0)
		return err;
	return ctl_parse_u64(buf, val);
}

int ctl_attr_write(const struct ctl_root *r, const char *dir, const char *name,
		   const char *val)
{
	char path[PATH_MAX];
	int err = attr_path(path, sizeof(path), dir, name);

	if (err < 0)
		return err;
	return ctl_root_write_file(r, path, val, 0);
}

int ctl_attr_write_verify(const struct ctl_root *r, const char *dir,
			  const char *name, const char *val, char *buf,
			  size_t len)
{
	int err = ctl_attr_write(r, dir, name, val);

	if (err < 0)
		return err;
	err = ctl_attr_read(r, dir, name, buf, len);
	return err < 0 ? err : 0;
}

int ctl_attr_open_at(int dirfd, const char *rel, int flags, mode_t mode)
{
	struct open_how how = {
		.flags = (unsigned)(flags | O_CLOEXEC),
		.mode = (flags & O_CREAT) ? mode : 0,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	long fd;

	if (!rel || !*rel || *rel == '/')
		return -EINVAL;
	/* As under the root (root.c): EAGAIN when a rename or mount races
	 * with a ".." step; a fresh lookup is all it takes. */
	for (int i = 0; i < 8; i++) {
		fd = syscall(SYS_openat2, dirfd, rel, &how, sizeof(how));
		if (fd >= 0 || errno != EAGAIN)
			break;
	}
	return fd < 0 ? neg_errno() : (int)fd;
}

int ctl_attr_read_fd(int fd, char *buf, size_t len)
{
	ssize_t have;

	if (len == 0)
		return -EINVAL;
	/* The whole value from offset 0, whatever the file position of FD,
	 * in one read: FD is a regular file (or sysfs, procfs attribute),
	 * and those return all they have up to the count asked; a read that
	 * returns less is the whole value, and a second read to see end of
	 * file would only cost a system call on the udev hot path. */
	do
		have = pread(fd, buf, len - 1, 0);
	while (have < 0 && errno == EINTR);
	if (have < 0)
		return neg_errno();
	while (have > 0 && buf[have - 1] == '\n')
		have--;
	buf[have] = '\0';
	return (int)have;
}

int ctl_attr_read_at(int dirfd, const char *rel, char *buf, size_t len)
{
	/* As an input under the root (ctl_root_open_input): a FIFO in a
	 * tree can neither block the open nor be read. */
	_cleanup_close_ int fd = ctl_file_regular_or_close(ctl_attr_open_at(
		dirfd, rel, O_RDONLY | O_NONBLOCK | O_NOCTTY, 0));

	if (fd < 0)
		return fd;
	return ctl_attr_read_fd(fd, buf, len);
}

int ctl_attr_read_u64_at(int dirfd, const char *rel, uint64_t *val)
{
	char buf[64];
	int err = ctl_attr_read_at(dirfd, rel, buf, sizeof(buf));

	if (err < 0)
		return err;
	return ctl_parse_u64(buf, val);
}

int ctl_attr_write_fd(int fd, const char *val)
{
	size_t len = strlen(val);
	ssize_t n;

	/* sysfs and procfs take a value in one write(2); never split it. */
	do
		n = write(fd, val, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return neg_errno();
	return (size_t)n == len ? 0 : -EIO;
}
