// SPDX-License-Identifier: LGPL-2.1-or-later
/* Whole-buffer read/write loops (EINTR retried) shared inside libctl. */
#include <errno.h>
#include <unistd.h>

#include "internal.h"

/*
 * The one loop under the four below: read (or, with WR, write) LEN bytes
 * at *OFF (OFF NULL: at the file position), retrying EINTR and short
 * transfers, until LEN or end of file. Returns the bytes moved or -errno.
 */
static ssize_t xfer_full(int fd, void *buf, size_t len, const uint64_t *off,
			 int wr)
{
	char *p = buf;
	size_t done = 0;

	while (done < len) {
		off_t at = off ? (off_t)(*off + done) : 0;
		ssize_t n;

		if (wr)
			n = off ? pwrite(fd, p + done, len - done, at)
				: write(fd, p + done, len - done);
		else
			n = off ? pread(fd, p + done, len - done, at)
				: read(fd, p + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return neg_errno();
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

/* A write that stops short (write(2) returned 0) is -EIO. */
static int write_result(ssize_t n, size_t len)
{
	if (n < 0)
		return (int)n;
	return (size_t)n < len ? -EIO : 0;
}

ssize_t ctl_read_full(int fd, void *buf, size_t len)
{
	return xfer_full(fd, buf, len, NULL, 0);
}

ssize_t ctl_pread_full(int fd, void *buf, size_t len, uint64_t off)
{
	return xfer_full(fd, buf, len, &off, 0);
}

int ctl_write_full(int fd, const void *buf, size_t len)
{
	return write_result(xfer_full(fd, (void *)buf, len, NULL, 1), len);
}

int ctl_pwrite_full(int fd, const void *buf, size_t len, uint64_t off)
{
	return write_result(xfer_full(fd, (void *)buf, len, &off, 1), len);
}
