/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A tool run as a systemd service: the notify protocol (sd_notify(3) of
 * libsystemd, dlopen()ed by the one path that needs it, so that no other
 * path loads it) and the check that an output fd is the journal's stream.
 * libctl reads no environment: sd_notify() reads $NOTIFY_SOCKET itself,
 * the caller passes $JOURNAL_STREAM.
 */
#pragma once

#include <stddef.h>

struct ctl_notify;

/*
 * Load libsystemd.so.0 and its sd_notify(). Returns 0 with *N to free with
 * ctl_notify_close(), -ENOTSUP when the library or the symbol cannot be
 * loaded (WHY, LEN bytes, receives dlerror()'s text), or -ENOMEM.
 */
int ctl_notify_open(struct ctl_notify **n, char *why, size_t len);

/*
 * Send STATE ("READY=1", "STATUS=...", several newline-separated) to the
 * socket $NOTIFY_SOCKET names, and leave $NOTIFY_SOCKET set for the next
 * call. Returns 1 when sent, 0 when $NOTIFY_SOCKET is unset, or -errno
 * (-ENOENT, -ECONNREFUSED: nobody listens there).
 */
int ctl_notify_send(struct ctl_notify *n, const char *state);

/* Unload what ctl_notify_open() loaded; N may be NULL. */
void ctl_notify_close(struct ctl_notify *n);

/*
 * 1 if FD is the journal's stream that ENV (the value of $JOURNAL_STREAM,
 * "DEV:INO" in decimal, may be NULL) names: fstat() of FD gives that
 * device and inode. 0 otherwise, also for a malformed ENV or a closed FD
 * (an inherited variable outlives a redirection).
 */
int ctl_journal_stream(const char *env, int fd);
