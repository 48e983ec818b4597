// SPDX-License-Identifier: LGPL-2.1-or-later
/* Input files that cannot hang a tool; files written to survive; seals. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ctl/file.h"
#include "ctl/undo.h"
#include "internal.h"

const char *ctl_file_strerror(int err)
{
	if (err == CTL_ENOTREG)
		return "not a regular file";
	return strerror(err);
}

int ctl_file_regular_or_close(int fd)
{
	struct stat st;
	int err;

	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0)
		err = neg_errno();
	else if (!S_ISREG(st.st_mode))
		err = S_ISDIR(st.st_mode) ? -EISDIR : -CTL_ENOTREG;
	else
		return fd;
	close(fd);
	return err;
}

int ctl_file_open_input(int dirfd, const char *path)
{
	int fd, fl;

	/* O_NONBLOCK: opening a FIFO with no writer would wait forever. */
	fd = openat(dirfd, path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return neg_errno();
	fd = ctl_file_regular_or_close(fd);
	if (fd < 0)
		return fd;
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		int err = neg_errno();

		close(fd);
		return err;
	}
	return fd;
}

int ctl_file_read_input(int dirfd, const char *path, size_t max, char **buf,
			size_t *len)
{
	_cleanup_close_ int fd = ctl_file_open_input(dirfd, path);
	_cleanup_free_ char *b = NULL;
	ssize_t n;

	if (fd < 0)
		return fd;
	b = malloc(max + 2);
	if (!b)
		return -ENOMEM;
	/* One byte more than allowed tells "too large" from "exactly max". */
	n = ctl_read_full(fd, b, max + 1);
	if (n < 0)
		return (int)n;
	if ((size_t)n > max)
		return -EFBIG;
	b[n] = '\0';
	*buf = TAKE_PTR(b);
	*len = (size_t)n;
	return 0;
}

/* A temp name beside NAME that nobody else can have taken: O_EXCL. */
static int tmp_create(int dirfd, const char *name, mode_t mode, char *tmp,
		      size_t tmplen)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	for (unsigned int i = 0; i < 100; i++) {
		unsigned long r = (unsigned long)ts.tv_nsec ^ (i * 2654435761u);
		int fd;

		if (ctl_fmt(tmp, tmplen, ".%.200s.%d.%06lx.tmp", name,
			    (int)getpid(), r & 0xffffff) < 0)
			return -ENAMETOOLONG;
		fd = openat(dirfd, tmp,
			    O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
				    O_NOFOLLOW,
			    mode);
		if (fd >= 0)
			return fd;
		if (errno != EEXIST)
			return neg_errno();
	}
	return -EEXIST;
}

int ctl_file_fsync_dirat(int dirfd)
{
	return fsync(dirfd) < 0 ? neg_errno() : 0;
}

/* The directory holding PATH in DIR[PATH_MAX] ("." for a bare name, "/"
 * for "/x"); *NAME is what follows its last slash. 0 or -ENAMETOOLONG. */
static int dir_of(const char *path, char *dir, const char **name)
{
	const char *slash = strrchr(path, '/');

	if (!slash) {
		strcpy(dir, ".");
	} else if (slash == path) {
		strcpy(dir, "/");
	} else {
		if ((size_t)(slash - path) >= PATH_MAX)
			return -ENAMETOOLONG;
		memcpy(dir, path, (size_t)(slash - path));
		dir[slash - path] = '\0';
	}
	*name = slash ? slash + 1 : path;
	return 0;
}

/* Open the directory holding PATH (dir_of()). Returns the fd or -errno. */
static int open_dir_of(const char *path, const char **name)
{
	char dir[PATH_MAX];
	int fd = dir_of(path, dir, name);

	if (fd < 0)
		return fd;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? neg_errno() : fd;
}

int ctl_file_save_ok(const char *path, int (*load)(const char *path))
{
	int err = ctl_file_dest_ok(path);

	if (err <= 0)
		return err;
	err = load(path);
	if (err == -ENOMSG || err == -EFBIG)
		return -ENOMSG;
	/* One cut short (no valid seal: -EBADMSG) is ours to replace. */
	return err < 0 && err != -EBADMSG ? err : 1;
}

int ctl_file_dest_ok(const char *path)
{
	char dir[PATH_MAX];
	const char *name;
	struct stat st;
	int exists = 0, err;

	/* rename(2) would replace a FIFO, and fail on a directory late. */
	if (stat(path, &st) == 0) {
		if (!S_ISREG(st.st_mode))
			return S_ISDIR(st.st_mode) ? -EISDIR : -CTL_ENOTREG;
		exists = 1;
	} else if (errno != ENOENT) {
		return neg_errno();
	}
	err = dir_of(path, dir, &name);
	if (err < 0)
		return err;
	/* The file is created in the directory: it must be writable and
	 * searchable, by the credentials that will create it. */
	return faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) < 0
		       ? neg_errno()
		       : exists;
}

int ctl_file_fsync_dir(const char *path)
{
	const char *name;
	_cleanup_close_ int dfd = open_dir_of(path, &name);

	if (dfd < 0)
		return dfd;
	return ctl_file_fsync_dirat(dfd);
}

/*
 * Put TMP in place as NAME: over an old NAME, or (CTL_FILE_NOREPLACE)
 * only where there is none, -EEXIST otherwise. Returns 0 when TMP is
 * gone, 1 when it is still there beside NAME (linked), or -errno.
 */
static int put_in_place(int dirfd, const char *tmp, const char *name,
			unsigned int flags)
{
	if (!(flags & CTL_FILE_NOREPLACE))
		return renameat(dirfd, tmp, dirfd, name) < 0 ? neg_errno() : 0;
	if (renameat2(dirfd, tmp, dirfd, name, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return neg_errno();
	/* A file system without RENAME_NOREPLACE: link(2) never replaces
	 * either. */
	return linkat(dirfd, tmp, dirfd, name, 0) < 0 ? neg_errno() : 1;
}

static int write_atomic(int dirfd, const char *name, const void *buf,
			size_t len, mode_t mode, unsigned int flags)
{
	int sync = !(flags & CTL_FILE_NO_SYNC);
	char tmp[NAME_MAX + 1];
	int fd, err;

	if (!name[0] || strchr(name, '/'))
		return -EINVAL;
	fd = tmp_create(dirfd, name, mode, tmp, sizeof(tmp));
	if (fd < 0)
		return fd;
	err = ctl_write_full(fd, buf, len);
	/* The umask may have narrowed MODE; the file must have it exactly. */
	if (!err && fchmod(fd, mode) < 0)
		err = neg_errno();
	if (!err && sync && fsync(fd) < 0)
		err = neg_errno();
	if (close(fd) < 0 && !err)
		err = neg_errno();
	if (!err)
		err = put_in_place(dirfd, tmp, name, flags);
	if (err) {
		unlinkat(dirfd, tmp, 0);
		if (err < 0)
			return err;
	}
	/* The new name survives a crash only once the directory is synced. */
	return sync ? ctl_file_fsync_dirat(dirfd) : 0;
}

int ctl_file_write_atomicat(int dirfd, const char *name, const void *buf,
			    size_t len, mode_t mode)
{
	return write_atomic(dirfd, name, buf, len, mode, 0);
}

int ctl_file_write_atomic_flags(const char *path, const void *buf, size_t len,
				mode_t mode, unsigned int flags)
{
	const char *name;
	_cleanup_close_ int dfd = open_dir_of(path, &name);

	if (dfd < 0)
		return dfd;
	return write_atomic(dfd, name, buf, len, mode, flags);
}

int ctl_file_write_atomic(const char *path, const void *buf, size_t len,
			  mode_t mode)
{
	return ctl_file_write_atomic_flags(path, buf, len, mode, 0);
}

#define SEAL_FMT "# end records=%u crc32c=%08" PRIx32 "\n"

int ctl_seal_append(char *buf, size_t cap, size_t len, unsigned int records)
{
	uint32_t crc = ctl_crc32c(0, buf, len);
	int n;

	if (len >= cap)
		return -ENOSPC;
	n = snprintf(buf + len, cap - len, SEAL_FMT, records, crc);
	if (n < 0 || (size_t)n >= cap - len)
		return -ENOSPC;
	return (int)(len + (size_t)n);
}

int ctl_seal_check(const char *buf, size_t len, size_t *body,
		   unsigned int *records)
{
	char want[CTL_SEAL_MAX];
	const char *last;
	unsigned int cnt;
	uint32_t crc;
	size_t start;

	/* The seal is the last line and ends with a newline: a file cut
	 * inside the seal line has none. */
	if (len == 0 || buf[len - 1] != '\n')
		return -EBADMSG;
	start = len - 1;
	while (start > 0 && buf[start - 1] != '\n')
		start--;
	last = buf + start;
	if (sscanf(last, "# end records=%u crc32c=%" SCNx32, &cnt, &crc) != 2)
		return -EBADMSG;
	/* Exactly the form we write: no sign, no spaces, no leading junk. */
	snprintf(want, sizeof(want), SEAL_FMT, cnt, crc);
	if (strlen(want) != len - start || memcmp(want, last, len - start))
		return -EBADMSG;
	if (ctl_crc32c(0, buf, start) != crc)
		return -EBADMSG;
	if (body)
		*body = start;
	if (records)
		*records = cnt;
	return 0;
}

int ctl_seal_open(char *buf, size_t len, const char *magic, size_t *body,
		  unsigned int *records)
{
	size_t m = magic ? strlen(magic) : 0;

	if (magic && memcmp(buf, magic, len < m ? len : m) != 0)
		return -ENOMSG;
	/* Cut inside the first line: a cut file of ours, not another. */
	if (len < m || ctl_seal_check(buf, len, body, records) < 0)
		return -EBADMSG;
	buf[*body] = '\0';
	return 0;
}
