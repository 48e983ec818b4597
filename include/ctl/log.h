/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The system log, for a tool whose standard error nobody reads at default
 * settings: udevd keeps what a RUN program says for its debug log. A line
 * goes to syslog through the /dev/log socket (formatted as syslog(3) does)
 * when a log daemon listens there, else to the kernel log (/dev/kmsg).
 * In libctl rather than in a tool: every tool a udev rule or a bare daemon
 * runs (qdepth --udev today; swapadj, jcommit from a rule tomorrow) needs
 * the same choice and the same care. libctl still prints nothing itself:
 * the tool calls this sink, and writes its standard error as before.
 */
#pragma once

#include <syslog.h>

#include "ctl/root.h"

enum ctl_log_sink {
	CTL_LOG_NONE, /* neither: standard error is all there is */
	CTL_LOG_SYSLOG, /* /dev/log */
	CTL_LOG_KMSG, /* /dev/kmsg */
};

/* Where the lines of one run go; fields are private to libctl/log.c. */
struct ctl_log {
	enum ctl_log_sink sink;
	int sock; /* connected to /dev/log, or -1 */
	int kmsg; /* /dev/kmsg, or -1 (opened when first needed) */
	char ident[32];
};

/*
 * Choose the sink of a run as IDENT: syslog when /dev/log is a socket that
 * accepts a connection, else /dev/kmsg when it is the kernel's log device,
 * else none. Only for the host: with a root that is a tree (--sysroot),
 * the lines would tell this host's log about devices it does not have, so
 * the sink is none. Nothing here blocks: a FIFO in /dev/log's place is
 * refused, /dev/kmsg is opened non-blocking. Returns the sink chosen.
 */
enum ctl_log_sink ctl_log_open(const struct ctl_root *r, const char *ident,
			       struct ctl_log *log);

/*
 * Log MSG (one line, no newline) at PRIO (LOG_INFO, LOG_WARNING, LOG_ERR;
 * the facility is LOG_USER). A line the log daemon cannot take at once
 * (its queue full, or it went away) goes to /dev/kmsg instead: the run
 * never waits for it. Returns the sink that took the line, or -errno when
 * none did (-ENOTCONN: no sink).
 */
int ctl_log_write(struct ctl_log *log, int prio, const char *msg);

/* Close what ctl_log_open() opened. */
void ctl_log_close(struct ctl_log *log);
