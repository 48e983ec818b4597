// SPDX-License-Identifier: LGPL-2.1-or-later
/* Whole-buffer read/write loops (EINTR retried) shared inside libctl. */
#include <errno.h>
#include <unistd.h>

#include "internal.h"

ssize_t ctl_read_full(int fd, void *buf, size_t len)
{
	char *p = buf;
	size_t have = 0;

	while (have < len) {
		ssize_t n = read(fd, p + have, len - have);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return neg_errno();
		}
		if (n == 0)
			break;
		have += (size_t)n;
	}
	return (ssize_t)have;
}

ssize_t ctl_pread_full(int fd, void *buf, size_t len, uint64_t off)
{
	char *p = buf;
	size_t have = 0;

	while (have < len) {
		ssize_t n =
			pread(fd, p + have, len - have, (off_t)(off + have));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return neg_errno();
		}
		if (n == 0)
			break;
		have += (size_t)n;
	}
	return (ssize_t)have;
}

int ctl_write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return neg_errno();
		}
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int ctl_pwrite_full(int fd, const void *buf, size_t len, uint64_t off)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = pwrite(fd, p, len, (off_t)off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return neg_errno();
		}
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}
