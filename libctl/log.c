// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The system log sink of a run (udev): syslog's /dev/log when a daemon
 * listens there, else the kernel log. Not syslog(3): its send() blocks
 * while the daemon's queue is full (a hung journald would hang every udev
 * worker that runs us), and it cannot say that a line was lost. The line
 * format is syslog(3)'s all the same: "<PRI>Mmm dd hh:mm:ss IDENT[PID]: MSG".
 */
#include <errno.h>
#include <fcntl.h>
#include <paths.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ctl/log.h"
#include "internal.h"

#define KMSG "/dev/kmsg"

/* A socket connected to the syslog socket PATH, or -errno. */
static int connect_log(const char *path)
{
	static const int types[] = {SOCK_DGRAM, SOCK_STREAM};
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int err = -ENOENT;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	/* Most daemons (journald, rsyslog) listen on a datagram socket; a
	 * stream one answers the datagram connect with EPROTOTYPE. A path
	 * that is no socket (a FIFO, a file) gives ECONNREFUSED at once.
	 * Non-blocking: a stream daemon whose backlog is full gives EAGAIN
	 * instead of holding the run up. */
	for (size_t i = 0; i < 2; i++) {
		int fd = socket(AF_UNIX,
				types[i] | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

		if (fd < 0)
			return neg_errno();
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return fd;
		err = neg_errno();
		close(fd);
		if (err != -EPROTOTYPE)
			break;
	}
	return err;
}

/* The kernel's log device, opened for writing, or -errno. */
static int open_kmsg(void)
{
	struct stat st;
	int fd;

	fd = open(KMSG, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return neg_errno();
	/* A container may bind anything over it: only the real one. */
	if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) ||
	    st.st_rdev != makedev(1, 11)) {
		close(fd);
		return -ENODEV;
	}
	return fd;
}

enum ctl_log_sink ctl_log_open(const struct ctl_root *r, const char *ident,
			       struct ctl_log *log)
{
	*log = (struct ctl_log){.sink = CTL_LOG_NONE, .sock = -1, .kmsg = -1};
	snprintf(log->ident, sizeof(log->ident), "%s", ident);
	if (!ctl_root_is_host(r))
		return log->sink;
	log->sock = connect_log(_PATH_LOG);
	if (log->sock >= 0)
		return log->sink = CTL_LOG_SYSLOG;
	log->kmsg = open_kmsg();
	if (log->kmsg >= 0)
		log->sink = CTL_LOG_KMSG;
	return log->sink;
}

static int send_syslog(struct ctl_log *log, int prio, const char *msg)
{
	char line[1024], stamp[32];
	struct tm tm;
	time_t now = time(NULL);
	int len;
	ssize_t n;

	if (!localtime_r(&now, &tm) ||
	    !strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S", &tm))
		stamp[0] = '\0';
	len = snprintf(line, sizeof(line), "<%d>%s %s[%d]: %s", LOG_USER | prio,
		       stamp, log->ident, (int)getpid(), msg);
	if (len < 0)
		return -EINVAL;
	if ((size_t)len >= sizeof(line))
		len = sizeof(line) - 1;
	/* The NUL ends a record on a stream socket; datagrams ignore it. */
	n = send(log->sock, line, (size_t)len + 1, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0)
		return neg_errno();
	return n == len + 1 ? 0 : -EIO;
}

static int write_kmsg(struct ctl_log *log, int prio, const char *msg)
{
	char line[1024];
	int len;
	ssize_t n;

	if (log->kmsg < 0)
		log->kmsg = open_kmsg();
	if (log->kmsg < 0)
		return log->kmsg;
	/* One write is one record; the kernel takes the priority from the
	 * <N> prefix and keeps the rest as the text dmesg shows. */
	len = snprintf(line, sizeof(line), "<%d>%s: %s\n", LOG_USER | prio,
		       log->ident, msg);
	if (len < 0)
		return -EINVAL;
	if ((size_t)len >= sizeof(line)) {
		len = sizeof(line) - 1;
		line[len - 1] = '\n';
	}
	n = write(log->kmsg, line, (size_t)len);
	if (n < 0)
		return neg_errno();
	return n == len ? 0 : -EIO;
}

int ctl_log_write(struct ctl_log *log, int prio, const char *msg)
{
	int err;

	if (log->sink == CTL_LOG_NONE)
		return -ENOTCONN;
	if (log->sink == CTL_LOG_SYSLOG && send_syslog(log, prio, msg) == 0)
		return CTL_LOG_SYSLOG;
	/* The daemon cannot take it now: the kernel log can. */
	err = write_kmsg(log, prio, msg);
	return err < 0 ? err : CTL_LOG_KMSG;
}

void ctl_log_close(struct ctl_log *log)
{
	closep(&log->sock);
	closep(&log->kmsg);
	log->sink = CTL_LOG_NONE;
}
