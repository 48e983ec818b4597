// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * swapadj auto: vm.swappiness adapted to memory pressure, once or as a
 * service that tells the service manager how it runs (sd_notify).
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "ctl/clock.h"
#include "ctl/file.h"
#include "ctl/notify.h"
#include "cli/cli.h"
#include "swapadj.h"

/* Read-in sample of auto --once and of auto's first step, in seconds. */
#define SAMPLE_SECS 1.0

void auto_reason(const struct ctl_vm_auto_in *in, const struct ctl_vm_auto *a,
		 bool exact, char *buf, size_t len)
{
	char ratio[32] = "MemAvailable/MemTotal", rate[32] = "";

	if (exact) {
		snprintf(ratio, sizeof(ratio), "%.3f", a->avail_pct / 100);
		snprintf(rate, sizeof(rate), "%.1f KiB/s ", in->readin);
	}
	snprintf(buf, len,
		 "base 10 + (1 - %s) x 30 = %u; read-in %s%s %.0f KiB/s: +%d; "
		 "clamp %u..%u%s",
		 ratio, a->base, rate,
		 a->readin_high ? ">" : "<=", CTL_VM_AUTO_READIN_KIBS,
		 a->readin_high ? 10 : 0, in->min, in->max,
		 a->clamped < 0	  ? " (raised to min)"
		 : a->clamped > 0 ? " (lowered to max)"
				  : "");
}

enum { U_AVAIL = C_CHANGE + 1, U_READIN, U_REASON };
static const struct ctl_col auto_cols[] = {
	CHANGE_COLS("vm.swappiness the rule chose"),
	[U_AVAIL] = {"AVAIL", 5, CTL_COL_RIGHT | CTL_COL_NUMBER,
		     "MemAvailable, % of MemTotal"},
	[U_READIN] = {"READIN", 6, CTL_COL_RIGHT | CTL_COL_NUMBER,
		      "read-in rate (pgpgin), KiB/s"},
	[U_REASON] = {"REASON", 0.5, CTL_COL_WRAP, "how the rule got there"},
};

struct auto_run {
	struct ctl_vm_auto_in in;
	struct ctl_vm_auto out;
	struct ctl_vmstat last;
	double when_ms; /* of LAST */
};

/* Apply the rule to memory now and the read-in rate since the last call. */
static int auto_step(const struct opts *o, struct auto_run *ar)
{
	struct ctl_meminfo mi;
	struct ctl_vmstat vs;
	double now;
	int err = ctl_vm_meminfo_read(o->root, &mi);

	if (err < 0)
		return vm_fail(o, "/proc/meminfo", err);
	err = ctl_vm_vmstat_read(o->root, &vs);
	if (err < 0)
		return vm_fail(o, "/proc/vmstat", err);
	now = ctl_now_ms();
	ar->in.readin =
		ctl_vm_readin_rate(&ar->last, &vs, (now - ar->when_ms) / 1e3);
	ar->last = vs;
	ar->when_ms = now;
	ar->in.total = mi.total;
	ar->in.available = mi.available;
	if (ctl_vm_auto_compute(&ar->in, &ar->out) < 0) {
		cli_say(LOG_ERR, "/proc/meminfo: MemTotal is 0");
		return CTL_EXIT_FAIL;
	}
	return 0;
}

static int auto_start(const struct opts *o, struct auto_run *ar)
{
	int err = ctl_vm_vmstat_read(o->root, &ar->last);

	if (err < 0)
		return vm_fail(o, "/proc/vmstat", err);
	ar->when_ms = ctl_now_ms();
	return 0;
}

static int auto_once(struct opts *o, struct auto_run *ar)
{
	struct ctl_out *out;
	struct ctl_row *row;
	unsigned int cur, now;
	char why[512];
	int rc, err;

	err = ctl_vm_swappiness_get(o->root, &cur);
	if (err < 0)
		return vm_fail(o, CTL_VM_SWAPPINESS, err);
	rc = auto_start(o, ar);
	if (!rc) {
		sleep_secs(o->interval_set ? o->interval : SAMPLE_SECS);
		rc = auto_step(o, ar);
	}
	if (rc)
		return rc;
	/* A bad -o is a usage error: refuse it before the write. */
	out = cli_table_new(&o->cli, "swapadj", auto_cols,
			    ARRAY_SIZE(auto_cols), "CHANGE,REASON");
	now = ar->out.value;
	if (!o->cli.dry_run && now != cur) {
		err = ctl_vm_swappiness_set(o->root, ar->out.value, &now);
		if (err < 0)
			ctl_out_free(out);
		if (err == -EIO)
			return kept_fail(o, ar->out.value, cur, now);
		if (err < 0)
			return vm_fail(o, CTL_VM_SWAPPINESS, err);
	}
	if (o->cli.dry_run && !o->cli.quiet)
		cli_say(LOG_INFO, "dry run: nothing written");
	row = change_row(o, out, (int)cur, (int)now);
	auto_reason(&ar->in, &ar->out, true, why, sizeof(why));
	ctl_out_setf(out, row, U_AVAIL, "%.1f", ar->out.avail_pct);
	ctl_out_setf(out, row, U_READIN, "%.1f", ar->in.readin);
	ctl_out_set(out, row, U_REASON, why);
	return cli_table_print(&o->cli, out);
}

static void log_line(const struct opts *o, const char *fmt, ...) _printf_(2, 3);

/*
 * One line per event on stdout, flushed for log readers: timestamped, or
 * under the journal with a priority instead (journald stamps it).
 */
static void log_line(const struct opts *o, const char *fmt, ...)
{
	char stamp[32];
	time_t t = time(NULL);
	struct tm tm;
	va_list ap;

	if (o->cli.quiet)
		return;
	if (journal_out) {
		printf("<%d>", LOG_NOTICE);
	} else {
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ",
			 gmtime_r(&t, &tm));
		printf("%s ", stamp);
	}
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* Sleep SECS unless a signal of SET comes first; returns it or 0. */
static int wait_signal(const sigset_t *set, double secs)
{
	struct timespec ts = ctl_ms_timespec(secs * 1e3);
	int sig;

	do
		sig = sigtimedwait(set, NULL, &ts);
	while (sig < 0 && errno == EINTR);
	return sig < 0 ? 0 : sig;
}

/* ---- the service manager's notify protocol (auto) ---- */

/*
 * How long a notification may wait. sd_notify() blocks while the
 * receiver's queue is full, and a receiver that reads nothing keeps it
 * full: auto, whose stop signals wait between steps, would never restore.
 */
#define NOTIFY_TIMEOUT_S 1

struct notifier {
	struct ctl_notify *n; /* NULL: no NOTIFY_SOCKET, or given up */
	const char *addr; /* $NOTIFY_SOCKET */
	bool failed; /* a send failed and was said */
	bool ready; /* READY=1 sent (or due) */
	char status[512]; /* the last STATUS= */
};

static void on_alarm(int sig)
{
	(void)sig; /* only to interrupt the send: no SA_RESTART */
}

/* ctl_notify_send() bounded by NOTIFY_TIMEOUT_S: -EINTR when it timed out. */
static int send_bounded(struct ctl_notify *n, const char *state)
{
	struct sigaction sa = {.sa_handler = on_alarm}, was;
	/* Repeating: a tick that comes before the send blocks is not lost. */
	struct itimerval t = {.it_value = {NOTIFY_TIMEOUT_S, 0},
			      .it_interval = {NOTIFY_TIMEOUT_S, 0}};
	struct itimerval off = {{0, 0}, {0, 0}};
	int r;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, &was);
	setitimer(ITIMER_REAL, &t, NULL);
	r = ctl_notify_send(n, state);
	setitimer(ITIMER_REAL, &off, NULL);
	sigaction(SIGALRM, &was, NULL);
	return r;
}

/* Load libsystemd when a service manager listens ($NOTIFY_SOCKET). */
static void notify_open(struct notifier *nt)
{
	char why[256];
	int err;

	nt->addr = getenv("NOTIFY_SOCKET");
	if (!nt->addr)
		return;
	err = ctl_notify_open(&nt->n, why, sizeof(why));
	if (err == -ENOTSUP)
		cli_say(LOG_WARNING,
			"NOTIFY_SOCKET is set, but libsystemd.so.0 cannot be loaded (%s): the service manager is not told that swapadj is ready or stopping; install libsystemd0",
			why);
	else if (err < 0)
		cli_say(LOG_WARNING,
			"NOTIFY_SOCKET=%s: %s: nothing is sent there", nt->addr,
			strerror(-err));
}

/* Send STATE; a failure is said once, a receiver that reads nothing ends it. */
static void notify(struct notifier *nt, const char *state)
{
	int r;

	if (!nt->n)
		return;
	r = send_bounded(nt->n, state);
	if (r == -EINTR) {
		cli_say(LOG_WARNING,
			"NOTIFY_SOCKET=%s: the receiver reads nothing (nothing sent for %d s): no more notifications",
			nt->addr, NOTIFY_TIMEOUT_S);
		ctl_notify_close(nt->n);
		nt->n = NULL;
	} else if (r < 0 && !nt->failed) {
		cli_say(LOG_WARNING,
			"NOTIFY_SOCKET=%s: %s: the service manager is not told how swapadj runs",
			nt->addr, strerror(-r));
		nt->failed = true;
	}
}

/* READY=1 with the first STATUS=; then STATUS= only when it changes. */
static void notify_status(struct notifier *nt, const char *status)
{
	char msg[600];

	if (nt->ready && strcmp(status, nt->status) == 0)
		return;
	snprintf(msg, sizeof(msg), "%sSTATUS=%s", nt->ready ? "" : "READY=1\n",
		 status);
	snprintf(nt->status, sizeof(nt->status), "%s", status);
	nt->ready = true;
	notify(nt, msg);
}

/*
 * The value and why, for STATUS=: only what changes the value (not the
 * exact MemAvailable or rate), so that it changes when the value or its
 * reason does. HELD: a newer swapadj run's value holds the kernel.
 */
static void auto_status(const struct opts *o, const struct auto_run *ar,
			int held, char *buf, size_t len)
{
	const struct ctl_vm_auto *a = &ar->out;
	char rule[256];

	auto_reason(&ar->in, a, false, rule, sizeof(rule));
	if (o->cli.dry_run)
		snprintf(buf, len, "dry run: vm.swappiness would be %u: %s",
			 a->value, rule);
	else if (held >= 0)
		snprintf(
			buf, len,
			"vm.swappiness %d, held by a newer swapadj run; %u when it exits: %s",
			held, a->value, rule);
	else
		snprintf(buf, len, "vm.swappiness %u: %s", a->value, rule);
}

static int auto_loop(struct opts *o, struct auto_run *ar)
{
	struct ctl_vm_owner me = {.pid = getpid(), .value = -1};
	struct notifier nt = {0};
	struct ctl_vm_restore res;
	double interval = o->interval_set ? o->interval : 30;
	sigset_t stop;
	unsigned int cur, kernel;
	char status[512];
	int joined = 0, logged = -1, sig, rc, err;

	/*
	 * A log reader that goes away (auto | head) must not kill auto
	 * between a change and its restore: its lines are then lost, no
	 * more. (run leaves SIGPIPE alone: the command inherits it.)
	 */
	signal(SIGPIPE, SIG_IGN);
	/* Stop signals are taken synchronously, between steps. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGHUP);
	sigprocmask(SIG_BLOCK, &stop, NULL);
	rc = auto_start(o, ar);
	if (rc)
		return rc;
	notify_open(&nt);
	sig = wait_signal(&stop,
			  interval < SAMPLE_SECS ? interval : SAMPLE_SECS);
	while (!sig) {
		rc = auto_step(o, ar);
		if (rc)
			break;
		err = ctl_vm_swappiness_get(o->root, &kernel);
		if (err < 0) {
			rc = vm_fail(o, CTL_VM_SWAPPINESS, err);
			break;
		}
		cur = kernel;
		/* A dry run writes nothing: compare with what it logged. */
		if (o->cli.dry_run && logged >= 0)
			cur = (unsigned int)logged;
		/* Joined, it holds a value: a newer run's is not a change. */
		if (joined)
			cur = (unsigned int)me.value;
		if (ar->out.value != cur) {
			if (o->cli.dry_run) {
				logged = (int)ar->out.value;
				err = 0;
			} else if (!joined) {
				/* The state file records the original first. */
				me.value = (int)ar->out.value;
				ctl_vm_pid_start(o->root, me.pid, &me.start);
				err = ctl_vm_state_join(o->root, &me, NULL);
				joined = err == 0;
			} else {
				err = ctl_vm_state_set(o->root, me.pid,
						       ar->out.value);
				if (err >= 0)
					me.value = (int)ar->out.value;
			}
			if (err < 0) {
				rc = change_fail(o, err);
				break;
			}
			if (err == 0 && !o->cli.dry_run)
				kernel = ar->out.value;
			log_line(
				o,
				"vm.swappiness %u %s %u%s: MemAvailable %.1f%%, read-in %.1f KiB/s",
				cur, o->arrow, ar->out.value,
				o->cli.dry_run ? " (dry run)"
				: err > 0
					? " (held: a newer run's value applies until it exits)"
					: "",
				ar->out.avail_pct, ar->in.readin);
		}
		auto_status(o, ar,
			    joined && kernel != (unsigned int)me.value
				    ? (int)kernel
				    : -1,
			    status, sizeof(status));
		notify_status(&nt, status);
		sig = wait_signal(&stop, interval);
	}
	notify(&nt,
	       !joined ? "STOPPING=1\nSTATUS=stopping"
	       : sig   ? "STOPPING=1\nSTATUS=stopping: restoring vm.swappiness"
		     : "STOPPING=1\nSTATUS=stopping after an error: restoring vm.swappiness");
	ctl_notify_close(nt.n);
	if (!joined)
		return rc;
	if (state_leave(o, me.pid, &res) < 0)
		return CTL_EXIT_FAIL;
	if (res.applied >= 0)
		log_line(o, "vm.swappiness %d %s %d: %s%s", res.before,
			 o->arrow, res.applied,
			 res.remaining ? "value of another active run"
				       : "restored",
			 sig ? "" : " after an error");
	return rc;
}

int cmd_auto(struct opts *o, int argc)
{
	struct auto_run ar = {.in = {.min = 10, .max = 60}};
	int kmax = range_max(o);

	if (argc)
		cli_die(CTL_EXIT_USAGE, "auto: takes no arguments");
	if (o->min_set)
		ar.in.min = (unsigned int)o->min;
	if (o->max_set)
		ar.in.max = (unsigned int)o->max;
	if (ar.in.max > (unsigned int)kmax || ar.in.min > (unsigned int)kmax)
		cli_die(CTL_EXIT_USAGE,
			"--%s %u: out of range 0-%d for this kernel",
			ar.in.max > (unsigned int)kmax ? "max" : "min",
			ar.in.max > (unsigned int)kmax ? ar.in.max : ar.in.min,
			kmax);
	if (ar.in.min > ar.in.max)
		cli_die(CTL_EXIT_USAGE, "--min %u is above --max %u", ar.in.min,
			ar.in.max);
	return o->once ? auto_once(o, &ar) : auto_loop(o, &ar);
}
