// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * swapadj: vm.swappiness shown, set, adapted to memory pressure, changed
 * for the duration of one command (with a crash-safe state file), and
 * memory cgroup limits for that command.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <langinfo.h>
#include <limits.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "ctl/cgroup.h"
#include "ctl/cli.h"
#include "ctl/file.h"
#include "ctl/notify.h"
#include "ctl/out.h"
#include "ctl/parse.h"
#include "ctl/vm.h"

enum {
	OPT_PERSIST = CTL_OPT_TOOL_BASE,
	OPT_ONCE,
	OPT_INTERVAL,
	OPT_MIN,
	OPT_MAX,
	OPT_MIN_AVAIL,
	OPT_SWAPPINESS,
	OPT_MEMORY_MAX,
	OPT_SWAP_MAX,
};

/* Read-in sample of auto --once and of auto's first step, in seconds. */
#define SAMPLE_SECS 1.0

struct opts {
	struct ctl_cli cli;
	int persist;
	int once;
	double interval;
	int interval_set;
	int min_set, max_set, min_avail_set;
	unsigned int given; /* bit (OPT_x - OPT_PERSIST): the option was given */
	uint64_t min, max, min_avail;
	int swappiness; /* run: -1 not given */
	uint64_t memory_max, swap_max;
	struct ctl_root *root;
	const char *arrow;
};

/*
 * Whether stderr and stdout are the journal's stream ($JOURNAL_STREAM, see
 * systemd.exec(5)): each diagnostic line then starts with its syslog
 * priority "<N>", and auto's log lines go without a timestamp (journald
 * stamps them). Set once in main(), before the first message.
 */
static struct {
	bool err;
	bool out;
} journal;

static void vsay(int prio, const char *fmt, va_list ap)
{
	char msg[2048];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* One write per line: journald splits its stream at newlines. */
	if (journal.err)
		fprintf(stderr, "<%d>%s: %s\n", prio,
			program_invocation_short_name, msg);
	else
		fprintf(stderr, "%s: %s\n", program_invocation_short_name, msg);
}

/* A diagnostic "swapadj: ..." on stderr, of syslog priority PRIO. */
static void say(int prio, const char *fmt, ...) _printf_(2, 3);

static void say(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(prio, fmt, ap);
	va_end(ap);
}

/* An error, then exit with CODE (errx(3) with the journal's priority). */
static void die(int code, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 2, 3)));

static void die(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(LOG_ERR, fmt, ap);
	va_end(ap);
	exit(code);
}

static int finish(int rc)
{
	/* EPIPE is not an error in a pipeline: the reader had enough. */
	if ((fflush(stdout) != 0 || ferror(stdout)) && errno != EPIPE) {
		say(LOG_ERR, "stdout: %s", strerror(errno));
		return CTL_EXIT_FAIL;
	}
	return rc;
}

static void usage(void)
{
	fputs("usage: swapadj [show] [options]\n"
	      "       swapadj set N [--persist] [--dry-run]\n"
	      "       swapadj auto [--once] [--interval SEC] [--min N] [--max N] [--dry-run]\n"
	      "       swapadj run [--swappiness N] [--memory-max SIZE] [--swap-max SIZE]\n"
	      "                   [--dry-run] -- COMMAND [ARG...]\n"
	      "       swapadj restore [--dry-run]\n"
	      "       swapadj check [--max N] [--min N] [--min-available PCT]\n"
	      "\n"
	      "Common options:\n" CTL_CLI_HELP_OUTPUT
	      "      --sysroot DIR   read /proc, /etc, /run and /sys under DIR\n"
	      "      --dry-run       compute and print, change nothing\n" CTL_CLI_HELP_INFO
	      "\n"
	      "See swapadj(8) for the columns of each subcommand.\n",
	      stdout);
}

/* ---- output columns ---- */

enum { S_FIELD, S_VALUE, S_DETAIL };
static const struct ctl_col show_cols[] = {
	[S_FIELD] = {"FIELD", 0.1, 0, "what the line is about"},
	[S_VALUE] = {"VALUE", 0.1, 0, "its value"},
	[S_DETAIL] = {"DETAIL", 0.6, CTL_COL_WRAP, "where it comes from, why"},
};

enum { C_OLD, C_NEW, C_CHANGE, C_FILE };
static const struct ctl_col set_cols[] = {
	[C_OLD] = {"OLD", 3, CTL_COL_RIGHT | CTL_COL_NUMBER,
		   "vm.swappiness before"},
	[C_NEW] = {"NEW", 3, CTL_COL_RIGHT | CTL_COL_NUMBER,
		   "vm.swappiness after (read back)"},
	[C_CHANGE] = {"CHANGE", 10, 0, "old -> new"},
	[C_FILE] = {"FILE", 0.3, 0, "sysctl.d drop-in written (--persist)"},
};

static struct ctl_out *new_table(const struct opts *o, const char *name,
				 const struct ctl_col *cols, size_t n,
				 const char *defaults)
{
	struct ctl_out *out;
	const char *bad = NULL;
	int err = ctl_out_new(name, cols, n, defaults, &o->cli.fmt, &out, &bad);

	if (err == -EINVAL && bad)
		die(CTL_EXIT_USAGE, "unknown column '%.*s' (see --help)",
		    (int)strcspn(bad, ","), bad);
	if (err < 0)
		die(CTL_EXIT_FAIL, "output: %s", strerror(-err));
	return out;
}

static int print_table(const struct opts *o, struct ctl_out *out)
{
	int err = 0;

	if (!o->cli.quiet)
		err = ctl_out_print(out, stdout);
	ctl_out_free(out);
	if (err < 0) {
		say(LOG_ERR, "output: %s", strerror(-err));
		return CTL_EXIT_FAIL;
	}
	return CTL_EXIT_OK;
}

/* What goes before a path inside the root in a message. */
static const char *rootp(const struct opts *o)
{
	return ctl_root_is_host(o->root) ? "" : ctl_root_dir(o->root);
}

/* The message and exit status for a failed swappiness access. */
static int vm_fail(const struct opts *o, const char *what, int err)
{
	const char *root = rootp(o);
	int state = strcmp(what, CTL_VM_STATE_FILE) == 0;
	const char *hint = "";

	if (state && err == -EBADMSG) {
		/* Half a state file would restore the wrong value. */
		say(LOG_ERR,
		    "%s%s: no valid end marker (cut short, or written by an older swapadj): nothing was changed; inspect it, set vm.swappiness by hand ('swapadj set N', N from its 'original N' line), then remove it",
		    root, what);
		return CTL_EXIT_FAIL;
	}
	if (err == -EACCES || err == -EPERM)
		hint = " (run as root)";
	else if (err == -EROFS)
		hint = " (mounted read-only here, as /proc/sys is in most "
		       "containers: change it on the host)";
	else if (state && err == -EINVAL)
		hint = " (not a swapadj state file: inspect it and remove it)";
	else if (state && (err == -CTL_ENOTREG || err == -EISDIR))
		hint = " (remove it: swapadj keeps its state there)";
	say(LOG_ERR, "%s%s: %s%s", root, what, ctl_file_strerror(-err), hint);
	return err == -ENOENT ? CTL_EXIT_UNSUPP : ctl_exit_for(err);
}

static int range_max(const struct opts *o)
{
	int max = ctl_vm_swappiness_max(o->root);

	return max < 0 ? 100 : max;
}

/* Parse a swappiness argument against the kernel's range. */
static unsigned int parse_swappiness(const struct opts *o, const char *what,
				     const char *s)
{
	int max = range_max(o);
	uint64_t v;
	int err = ctl_parse_u64(s, &v);

	if (err == -EINVAL && s[0] == '-' && ctl_parse_u64(s + 1, &v) == 0)
		err = -ERANGE;
	if (err == -EINVAL)
		die(CTL_EXIT_USAGE, "%s '%s': not a number (0-%d)", what, s,
		    max);
	if (err < 0 || v > (uint64_t)max)
		die(CTL_EXIT_USAGE,
		    "%s %s: out of range 0-%d for this kernel (%s)", what, s,
		    max,
		    max == 200 ? "Linux 5.8 and later" : "before Linux 5.8");
	return (unsigned int)v;
}

static void sleep_secs(double s)
{
	struct timespec ts = {.tv_sec = (time_t)s,
			      .tv_nsec = (long)((s - (double)(time_t)s) * 1e9)};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Read-in rate over SECS seconds, in KiB/s; -errno on failure. */
static int sample_readin(const struct opts *o, double secs, double *rate)
{
	struct ctl_vmstat a, b;
	struct timespec t0, t1;
	int err = ctl_vm_vmstat_read(o->root, &a);

	if (err < 0)
		return err;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	sleep_secs(secs);
	err = ctl_vm_vmstat_read(o->root, &b);
	if (err < 0)
		return err;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	*rate = ctl_vm_readin_rate(&a, &b,
				   (double)(t1.tv_sec - t0.tv_sec) +
					   (double)(t1.tv_nsec - t0.tv_nsec) /
						   1e9);
	return 0;
}

static void auto_reason(const struct ctl_vm_auto_in *in,
			const struct ctl_vm_auto *a, char *buf, size_t len)
{
	snprintf(buf, len,
		 "base 10 + (1 - %.3f) x 30 = %u; read-in %.1f KiB/s %s %.0f "
		 "KiB/s: +%d; clamp %u..%u%s",
		 a->avail_pct / 100, a->base, in->readin,
		 a->readin_high ? ">" : "<=", CTL_VM_AUTO_READIN_KIBS,
		 a->readin_high ? 10 : 0, in->min, in->max,
		 a->clamped < 0	  ? " (raised to min)"
		 : a->clamped > 0 ? " (lowered to max)"
				  : "");
}

/* ---- show ---- */

/*
 * What show gathers: its table, and how many facts could not be read.
 * Such a fact is a "?" row named on stderr, and the report is partial:
 * show then exits 3. A facility the kernel lacks (no PSI, no swap, no
 * memory cgroup) is a "-" row and no failure.
 */
struct show {
	const struct opts *o;
	struct ctl_out *out;
	int unread;
};

static void row(struct show *sh, const char *field, const char *value,
		const char *fmt, ...) _printf_(4, 5);

static void row(struct show *sh, const char *field, const char *value,
		const char *fmt, ...)
{
	struct ctl_row *r = ctl_out_row(sh->out);
	char detail[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	if (!r || ctl_out_set(sh->out, r, S_FIELD, field) < 0 ||
	    ctl_out_set(sh->out, r, S_VALUE, value) < 0 ||
	    ctl_out_set(sh->out, r, S_DETAIL, detail) < 0) {
		say(LOG_ERR, "output: %s: %s", field, strerror(ENOMEM));
		sh->unread++;
	}
}

/* FIELD could not be read from PATH: WHY, or the text of ERR. */
static void unread(struct show *sh, const char *field, const char *path,
		   int err, const char *why)
{
	if (!why)
		why = ctl_file_strerror(-err);
	row(sh, field, "?", "%s: %s", path, why);
	say(LOG_ERR, "%s%s: %s", rootp(sh->o), path, why);
	sh->unread++;
}

/* Instant: the kernel keeps the 10/60/300 s averages itself. */
static void show_pressure(struct show *sh)
{
	static const char path[] = "/proc/pressure/memory";
	struct ctl_psi p;
	char buf[32], full[96] = "";
	int err = ctl_vm_psi_read(sh->o->root, &p);

	if (err == -ENOENT) {
		row(sh, "pressure", "-", "no %s (a kernel without PSI)", path);
		return;
	}
	if (err == -EOPNOTSUPP) {
		row(sh, "pressure", "-",
		    "PSI is off (the kernel was booted with psi=0)");
		return;
	}
	if (err == -EBADMSG) {
		unread(sh, "pressure", path, err,
		       "not in the PSI format (some avg10=... "
		       "avg60=... avg300=... total=...)");
		return;
	}
	if (err < 0) {
		unread(sh, "pressure", path, err, NULL);
		return;
	}
	if (p.has_full)
		snprintf(full, sizeof(full),
			 "; all tasks at once: %.2f, %.2f, %.2f", p.full[0],
			 p.full[1], p.full[2]);
	snprintf(buf, sizeof(buf), "%.2f", p.some[0]);
	row(sh, "pressure", buf,
	    "%% of the last 10 s in which some task waited for memory (PSI); "
	    "60 s %.2f, 300 s %.2f%s",
	    p.some[1], p.some[2], full);
}

/*
 * What auto would set. The read-in rate needs two reads apart in time:
 * with --interval it is sampled and the value is one; without, the rule
 * gives one value for low and one for high read-in, and both are shown.
 */
static void show_auto(struct show *sh, const struct ctl_meminfo *mi,
		      int readin_err, double readin)
{
	const struct opts *o = sh->o;
	struct ctl_vm_auto_in in = {.total = mi->total,
				    .available = mi->available,
				    .readin = readin,
				    .min = 10,
				    .max = 60};
	struct ctl_vm_auto lo, hi;
	char buf[32], why[512];

	if (ctl_vm_auto_compute(&in, &lo) < 0) {
		row(sh, "auto", "?",
		    "needs MemTotal and MemAvailable (see memtotal)");
		return;
	}
	if (o->interval_set && readin_err) {
		row(sh, "auto", "?", "needs the read-in rate (see readin)");
		return;
	}
	if (o->interval_set) {
		auto_reason(&in, &lo, why, sizeof(why));
		snprintf(buf, sizeof(buf), "%u", lo.value);
		row(sh, "auto", buf, "what 'swapadj auto' would set: %s", why);
		return;
	}
	in.readin = 0;
	ctl_vm_auto_compute(&in, &lo);
	in.readin = 2 * CTL_VM_AUTO_READIN_KIBS;
	ctl_vm_auto_compute(&in, &hi);
	snprintf(buf, sizeof(buf), "%u/%u", lo.value, hi.value);
	row(sh, "auto", buf,
	    "what 'swapadj auto' would set: %u with read-in <= %.0f KiB/s, %u "
	    "above (base 10 + (1 - %.3f) x 30 = %u; clamp %u..%u); "
	    "--interval SEC samples the read-in rate and gives one value",
	    lo.value, CTL_VM_AUTO_READIN_KIBS, hi.value, lo.avail_pct / 100,
	    lo.base, in.min, in.max);
}

/* The boot configuration line of show, and whether it conflicts. */
static void show_boot(struct show *sh, unsigned int cur)
{
	struct ctl_sysctl_hit *hits = NULL;
	size_t n = 0;
	int err = ctl_vm_sysctl_scan(sh->o->root, "vm.swappiness", &hits, &n);

	if (err < 0) {
		unread(sh, "boot", n ? hits[0].path : "/etc/sysctl.d", err,
		       err == -CTL_ENOTREG
			       ? "not a regular file (sysctl --system would "
				 "hang on it: remove it)"
			       : NULL);
		free(hits);
		return;
	}
	if (n == 0) {
		row(sh, "boot", "-",
		    "no sysctl.d file or /etc/sysctl.conf sets vm.swappiness: "
		    "the kernel default (60) applies at boot");
	} else {
		const struct ctl_sysctl_hit *w = &hits[n - 1];
		uint64_t v;
		int same = ctl_parse_u64(w->value, &v) == 0 && v == cur;

		row(sh, "boot", w->value, "%s:%u sets it at boot%s%s", w->path,
		    w->line, n > 1 ? " (last of several files)" : "",
		    same ? "; current value matches"
			 : "; CONFLICT: the current value differs");
		for (size_t i = 0; i + 1 < n; i++)
			row(sh, "boot-overridden", hits[i].value,
			    "%s:%u, overridden by %s", hits[i].path,
			    hits[i].line, w->path);
	}
	free(hits);
}

static void show_swaps(struct show *sh)
{
	struct ctl_swap *sw = NULL;
	size_t n = 0;
	int err = ctl_vm_swaps_read(sh->o->root, &sw, &n);

	if (err == -ENOENT) {
		row(sh, "swap", "-",
		    "no /proc/swaps (a kernel without swap support)");
		return;
	}
	if (err < 0) {
		unread(sh, "swap", "/proc/swaps", err, NULL);
		return;
	}
	if (n == 0)
		row(sh, "swap", "none", "no active swap device");
	for (size_t i = 0; i < n; i++)
		row(sh, "swap", sw[i].name,
		    "%s%s, %" PRIu64 " KiB, used %" PRIu64 " KiB, priority %d",
		    sw[i].zram ? "zram (compressed RAM), " : "", sw[i].type,
		    sw[i].size, sw[i].used, sw[i].prio);
	free(sw);
}

/* The caller's memory cgroup: its limit, and v1's own swappiness. */
static void show_cgroup(struct show *sh, unsigned int cur)
{
	const struct ctl_root *r = sh->o->root;
	struct ctl_cgroup_mem m;
	struct ctl_cgroup_limit lim;
	char path[600], buf[32];
	int err = ctl_cgroup_mem_find(r, &m);

	if (err == -ENOTSUP) {
		row(sh, "cgroup", "-", "no memory cgroup controller mounted");
		return;
	}
	if (err < 0) {
		unread(sh, "cgroup", "/proc/self/cgroup", err, NULL);
		return;
	}
	snprintf(buf, sizeof(buf), "v%d", m.version);
	row(sh, "cgroup", buf, "%s%s: the caller's memory cgroup", m.mount,
	    strcmp(m.self, "/") ? m.self : "");
	err = ctl_cgroup_self_limit(r, &lim);
	if (err < 0) {
		unread(sh, "cgroup-limit", m.mount, err, NULL);
	} else if (lim.max == CTL_CGROUP_UNLIMITED) {
		row(sh, "cgroup-limit", "max",
		    "no memory limit up to the root");
	} else {
		snprintf(buf, sizeof(buf), "%" PRIu64, lim.max);
		row(sh, "cgroup-limit", buf, "bytes, set in %s", lim.path);
	}
	if (m.version != 1 || strcmp(m.self, "/") == 0)
		return;
	snprintf(path, sizeof(path), "%s%s/memory.swappiness", m.mount, m.self);
	err = ctl_root_read_file(r, path, buf, sizeof(buf));
	if (err < 0) {
		unread(sh, "cgroup-swappiness", path, err, NULL);
		return;
	}
	row(sh, "cgroup-swappiness", buf,
	    "%s: cgroup v1 reclaim in this cgroup uses it, not "
	    "vm.swappiness%s",
	    path, (unsigned int)atoi(buf) == cur ? "" : " (they differ)");
}

/*
 * Every row is read at once, each file once; only --interval SEC waits,
 * to sample the read-in rate.
 */
static int cmd_show(struct opts *o)
{
	struct show sh = {.o = o};
	struct ctl_meminfo mi = {0};
	unsigned int cur;
	double readin = 0;
	char buf[64];
	int max, rc, readin_err = 0, err;

	sh.out = new_table(o, "swapadj", show_cols, ARRAY_SIZE(show_cols),
			   "FIELD,VALUE,DETAIL");
	err = ctl_vm_swappiness_get(o->root, &cur);
	if (err < 0) {
		ctl_out_free(sh.out);
		return vm_fail(o, CTL_VM_SWAPPINESS, err);
	}
	snprintf(buf, sizeof(buf), "%u", cur);
	row(&sh, "swappiness", buf, "vm.swappiness now");
	max = ctl_vm_swappiness_max(o->root);
	if (max < 0) {
		unread(&sh, "range", "/proc/sys/kernel/osrelease", max,
		       max == -EINVAL ? "no kernel version in it" : NULL);
	} else {
		snprintf(buf, sizeof(buf), "0-%d", max);
		row(&sh, "range", buf, "%s",
		    max == 200 ? "Linux 5.8 and later accept up to 200"
			       : "kernels before 5.8 accept up to 100");
	}
	err = ctl_vm_meminfo_read(o->root, &mi);
	if (err < 0) {
		unread(&sh, "memtotal", "/proc/meminfo", err,
		       err == -ENODATA ? "no MemTotal" : NULL);
	} else {
		snprintf(buf, sizeof(buf), "%" PRIu64, mi.total);
		row(&sh, "memtotal", buf, "KiB");
		snprintf(buf, sizeof(buf), "%" PRIu64, mi.available);
		row(&sh, "memavailable", buf, "KiB, %.1f%% of MemTotal",
		    100.0 * (double)mi.available / (double)mi.total);
	}
	show_pressure(&sh);
	if (o->interval_set) {
		readin_err = sample_readin(o, o->interval, &readin);
		if (readin_err < 0) {
			unread(&sh, "readin", "/proc/vmstat", readin_err,
			       readin_err == -ENODATA ? "no pgpgin" : NULL);
		} else {
			snprintf(buf, sizeof(buf), "%.1f", readin);
			row(&sh, "readin", buf,
			    "KiB/s read from block devices (pgpgin) over %.1f s",
			    o->interval);
		}
	}
	show_auto(&sh, &mi, readin_err, readin);
	show_boot(&sh, cur);
	show_swaps(&sh);
	show_cgroup(&sh, cur);
	rc = print_table(o, sh.out);
	return rc ? rc : sh.unread ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}

/* A sysctl.d hit applied after CTL_VM_PERSIST_FILE overrides it. */
static int after_persist(const struct ctl_sysctl_hit *h)
{
	const char *ours = strrchr(CTL_VM_PERSIST_FILE, '/') + 1;
	const char *base = strrchr(h->path, '/');

	if (strcmp(h->path, CTL_VM_PERSIST_FILE) == 0)
		return 0;
	if (strcmp(h->path, "/etc/sysctl.conf") == 0)
		return 1;
	return base && strcmp(base + 1, ours) > 0;
}

static void warn_overrides(const struct ctl_sysctl_hit *hits, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (after_persist(&hits[i]))
			say(LOG_WARNING,
			    "%s:%u sets vm.swappiness = %s after %s and "
			    "wins at boot; remove that line to make the "
			    "drop-in effective",
			    hits[i].path, hits[i].line, hits[i].value,
			    CTL_VM_PERSIST_FILE);
}

/* A sysctl.d file that cannot be read: named, with the fix. */
static int sysctl_fail(const struct opts *o, struct ctl_sysctl_hit *hits,
		       size_t n, int err)
{
	say(LOG_ERR, "%s%s: %s%s", rootp(o), n ? hits[0].path : "/etc/sysctl.d",
	    ctl_file_strerror(-err),
	    err == -CTL_ENOTREG
		    ? " (sysctl --system would hang on it: remove it)"
		    : "");
	free(hits);
	return ctl_exit_for(err);
}

/*
 * All or nothing: after a set that cannot be completed, write OLD back
 * if the kernel holds NOW instead. Returns 0 or -errno.
 */
static int put_back(const struct opts *o, unsigned int old, unsigned int now)
{
	return now == old ? 0 : ctl_vm_swappiness_set(o->root, old, NULL);
}

/* The kernel kept NOW after VAL was written over OLD: undo, say so. */
static int kept_fail(const struct opts *o, unsigned int val, unsigned int old,
		     unsigned int now)
{
	int back = put_back(o, old, now);

	if (back < 0)
		say(LOG_ERR,
		    "%s%s: wrote %u, the kernel kept %u; putting %u back failed: %s",
		    rootp(o), CTL_VM_SWAPPINESS, val, now, old,
		    strerror(-back));
	else if (now != old)
		say(LOG_ERR, "%s%s: wrote %u, the kernel kept %u; put %u back",
		    rootp(o), CTL_VM_SWAPPINESS, val, now, old);
	else
		say(LOG_ERR, "%s%s: wrote %u, the kernel kept %u", rootp(o),
		    CTL_VM_SWAPPINESS, val, now);
	return CTL_EXIT_FAIL;
}

static void add_change(const struct opts *o, struct ctl_out *out, int old,
		       int now, const char *file)
{
	struct ctl_row *row = ctl_out_row(out);

	if (!row)
		return;
	if (old >= 0)
		ctl_out_setf(out, row, C_OLD, "%d", old);
	if (now >= 0)
		ctl_out_setf(out, row, C_NEW, "%d", now);
	if (old >= 0 && now >= 0)
		ctl_out_setf(out, row, C_CHANGE, "%d %s %d", old, o->arrow,
			     now);
	ctl_out_set(out, row, C_FILE, file);
}

static int cmd_set(struct opts *o, int argc, char **argv)
{
	struct ctl_sysctl_hit *hits = NULL;
	struct ctl_out *out;
	unsigned int val, old, now;
	size_t nhits = 0;
	int err, back;

	if (argc != 1)
		die(CTL_EXIT_USAGE, "set: give exactly one value N");
	val = parse_swappiness(o, "swappiness", argv[0]);
	err = ctl_vm_swappiness_get(o->root, &old);
	if (err < 0)
		return vm_fail(o, CTL_VM_SWAPPINESS, err);
	out = new_table(o, "swapadj", set_cols, ARRAY_SIZE(set_cols),
			o->persist ? "CHANGE,FILE" : "CHANGE");
	/* Read the boot configuration before any write: it may refuse. */
	if (o->persist) {
		err = ctl_vm_sysctl_scan(o->root, "vm.swappiness", &hits,
					 &nhits);
		if (err < 0) {
			ctl_out_free(out);
			return sysctl_fail(o, hits, nhits, err);
		}
	}
	if (o->cli.dry_run) {
		add_change(o, out, (int)old, (int)val,
			   o->persist ? CTL_VM_PERSIST_FILE : NULL);
		warn_overrides(hits, nhits);
		free(hits);
		if (!o->cli.quiet)
			say(LOG_INFO, "dry run: nothing written");
		return print_table(o, out);
	}
	err = ctl_vm_swappiness_set(o->root, val, &now);
	if (err == -EIO) {
		ctl_out_free(out);
		free(hits);
		return kept_fail(o, val, old, now);
	}
	if (err < 0) {
		ctl_out_free(out);
		free(hits);
		return vm_fail(o, CTL_VM_SWAPPINESS, err);
	}
	if (o->persist) {
		err = ctl_vm_persist(o->root, val);
		if (err < 0) {
			ctl_out_free(out);
			free(hits);
			back = put_back(o, old, now);
			if (back < 0)
				say(LOG_ERR,
				    "%s%s: not written: %s; vm.swappiness stays %u (putting %u back failed: %s)",
				    rootp(o), CTL_VM_PERSIST_FILE,
				    ctl_file_strerror(-err), now, old,
				    strerror(-back));
			else
				say(LOG_ERR,
				    "%s%s: not written: %s; vm.swappiness put back to %u",
				    rootp(o), CTL_VM_PERSIST_FILE,
				    ctl_file_strerror(-err), old);
			return CTL_EXIT_FAIL;
		}
		warn_overrides(hits, nhits);
		free(hits);
	}
	add_change(o, out, (int)old, (int)now,
		   o->persist ? CTL_VM_PERSIST_FILE : NULL);
	return print_table(o, out);
}

static int cmd_check(struct opts *o, int argc)
{
	struct ctl_meminfo mi;
	unsigned int cur;
	int bad = 0, err;

	if (argc)
		die(CTL_EXIT_USAGE, "check: takes no arguments");
	if (!o->min_set && !o->max_set && !o->min_avail_set)
		die(CTL_EXIT_USAGE,
		    "check: give --max, --min or --min-available");
	if (o->min_set && o->max_set && o->min > o->max)
		die(CTL_EXIT_USAGE,
		    "check: --min %" PRIu64 " is above --max %" PRIu64
		    "; no value can pass",
		    o->min, o->max);
	err = ctl_vm_swappiness_get(o->root, &cur);
	if (err < 0)
		return vm_fail(o, CTL_VM_SWAPPINESS, err);
	if (o->max_set && cur > o->max) {
		bad++;
		if (!o->cli.quiet)
			printf("swappiness %u is above --max %" PRIu64 "\n",
			       cur, o->max);
	}
	if (o->min_set && cur < o->min) {
		bad++;
		if (!o->cli.quiet)
			printf("swappiness %u is below --min %" PRIu64 "\n",
			       cur, o->min);
	}
	if (o->min_avail_set) {
		double pct;

		err = ctl_vm_meminfo_read(o->root, &mi);
		if (err < 0)
			return vm_fail(o, "/proc/meminfo", err);
		pct = 100.0 * (double)mi.available / (double)mi.total;
		if (pct < (double)o->min_avail) {
			bad++;
			if (!o->cli.quiet)
				printf("MemAvailable %.1f%% (%" PRIu64
				       " of %" PRIu64
				       " KiB) is below --min-available %" PRIu64
				       "%%\n",
				       pct, mi.available, mi.total,
				       o->min_avail);
		}
	}
	if (!bad && o->cli.verbose)
		printf("ok: swappiness %u\n", cur);
	return bad ? CTL_EXIT_CHECK : CTL_EXIT_OK;
}

/* ---- run and restore ---- */

/* The child of run, for the signal handlers (the one global of the tool). */
static volatile sig_atomic_t child_pid;

static const int fwd_signals[] = {SIGHUP,  SIGINT,  SIGQUIT, SIGTERM,
				  SIGUSR1, SIGUSR2, SIGALRM, SIGWINCH};

static void forward(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	/* ^C or ^\ from a terminal hits the whole group: the child has it. */
	if ((sig == SIGINT || sig == SIGQUIT) && si->si_code == SI_KERNEL)
		return;
	if (child_pid > 0)
		kill((pid_t)child_pid, sig);
}

/* Why a cgroup step failed, with the fix when there is one. */
static int cg_fail(const struct ctl_cgroup *cg, int err)
{
	const char *attr = cg->attr[0] ? cg->attr : NULL;
	const char *hint = "";
	int rc = ctl_exit_for(err);

	if (err == -EACCES || err == -EPERM) {
		hint = " (run as root)";
	} else if (err == -ENOTSUP) {
		hint = cg->version == 1 ? ": no swap accounting in this kernel "
					  "(boot with swapaccount=1)"
					: ": no swap accounting in this kernel";
		rc = CTL_EXIT_UNSUPP;
	} else if (err == -EBUSY && attr &&
		   strcmp(attr, "cgroup.subtree_control") == 0) {
		hint = ": that cgroup has processes of its own, so cgroup v2 "
		       "cannot delegate memory to a child; start swapadj in a "
		       "cgroup whose parent has none (systemd-run --scope)";
		rc = CTL_EXIT_UNSUPP;
	}
	say(LOG_ERR, "%s%s%s: %s%s", cg->path, attr ? "/" : "",
	    attr ? attr : "", strerror(-err), hint);
	return rc;
}

static int setup_cgroup(struct opts *o, const struct ctl_cgroup_mem *m,
			struct ctl_cgroup *cg)
{
	char name[32];
	int err;

	snprintf(name, sizeof(name), "swapadj.%d", (int)getpid());
	err = ctl_cgroup_create(o->root, m, name, cg);
	if (err < 0)
		return cg_fail(cg, err);
	err = ctl_cgroup_set_limits(o->root, cg, o->memory_max, o->swap_max);
	if (!err && o->swappiness >= 0 && m->version == 1)
		err = ctl_cgroup_set_swappiness(o->root, cg,
						(unsigned int)o->swappiness);
	if (err < 0) {
		int rc = cg_fail(cg, err);

		ctl_cgroup_rmdir(o->root, cg->path);
		return rc;
	}
	return 0;
}

struct exec_err {
	int stage; /* 1 joining the cgroup, 2 exec */
	int err;
};

static void child_exec(struct opts *o, struct ctl_cgroup *cg, pid_t parent,
		       const sigset_t *mask, int fd, char **argv)
{
	struct exec_err e = {0};

	/*
	 * The forwarding handlers are installed after the fork: the child
	 * has swapadj's inherited dispositions, an ignored signal (nohup)
	 * stays ignored across exec as it would across a shell's.
	 */
	sigprocmask(SIG_SETMASK, mask, NULL);
	/* The command must not outlive the change: SIGTERM if we die. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		raise(SIGTERM);
	if (cg) {
		e.err = -ctl_cgroup_attach(o->root, cg, getpid());
		if (e.err) {
			e.stage = 1;
			if (write(fd, &e, sizeof(e)) < 0)
				_exit(126);
			_exit(126);
		}
	}
	execvp(argv[0], argv);
	e.stage = 2;
	e.err = errno;
	if (write(fd, &e, sizeof(e)) < 0)
		_exit(126);
	_exit(e.err == ENOENT ? 127 : 126);
}

/* Fork, exec and wait for ARGV; the exit status a shell would give. */
static int spawn(struct opts *o, struct ctl_cgroup *cg, char **argv,
		 const sigset_t *old)
{
	struct sigaction sa = {.sa_sigaction = forward,
			       .sa_flags = SA_SIGINFO | SA_RESTART};
	struct exec_err e;
	sigset_t all;
	pid_t parent = getpid(), pid;
	int pfd[2], status;
	ssize_t n;

	if (pipe2(pfd, O_CLOEXEC) < 0) {
		say(LOG_ERR, "pipe: %s", strerror(errno));
		return CTL_EXIT_FAIL;
	}
	/* Signals wait until the handlers know the child. */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL);
	pid = fork();
	if (pid == 0)
		child_exec(o, cg, parent, old, pfd[1], argv);
	close(pfd[1]);
	if (pid < 0) {
		sigprocmask(SIG_SETMASK, old, NULL);
		close(pfd[0]);
		say(LOG_ERR, "fork: %s", strerror(errno));
		return CTL_EXIT_FAIL;
	}
	child_pid = pid;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < ARRAY_SIZE(fwd_signals); i++) {
		struct sigaction was;

		/* What our caller ignores (nohup) is not ours to pass on. */
		if (sigaction(fwd_signals[i], NULL, &was) == 0 &&
		    was.sa_handler == SIG_IGN)
			continue;
		sigaction(fwd_signals[i], &sa, NULL);
	}
	sigprocmask(SIG_SETMASK, old, NULL);
	do
		n = read(pfd[0], &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			say(LOG_ERR, "waitpid: %s", strerror(errno));
			return CTL_EXIT_FAIL;
		}
	child_pid = 0;
	if (n == (ssize_t)sizeof(e)) {
		if (e.stage == 1) {
			say(LOG_ERR, "%s/cgroup.procs: %s", cg->path,
			    strerror(e.err));
			return CTL_EXIT_FAIL;
		}
		if (e.err == ENOENT)
			say(LOG_ERR, "%s: command not found", argv[0]);
		else
			say(LOG_ERR, "%s: %s", argv[0], strerror(e.err));
		return e.err == ENOENT ? 127 : 126;
	}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

static int state_fail(const struct opts *o, int err)
{
	if (err == -ENOSPC) {
		say(LOG_ERR, "%s: too many overlapping runs (%d)",
		    CTL_VM_STATE_FILE, CTL_VM_STATE_MAX);
		return CTL_EXIT_FAIL;
	}
	return vm_fail(
		o, err == -EACCES ? CTL_VM_STATE_LOCK : CTL_VM_STATE_FILE, err);
}

/*
 * A join or change of the state failed: in the state file and its lock,
 * or in the write of vm.swappiness after them? Name the one that refuses.
 */
static int change_fail(const struct opts *o, int err)
{
	int lock, fd;

	if (err == -ERANGE || err == -EIO)
		return vm_fail(o, CTL_VM_SWAPPINESS, err);
	lock = ctl_root_open_path(o->root, CTL_VM_STATE_LOCK, O_RDWR, 0);
	fd = ctl_root_open_path(o->root, CTL_VM_SWAPPINESS, O_WRONLY, 0);
	if (lock >= 0)
		close(lock);
	if (fd >= 0)
		close(fd);
	if (lock >= 0 && fd < 0)
		return vm_fail(o, CTL_VM_SWAPPINESS, fd);
	return state_fail(o, err);
}

static int cmd_run(struct opts *o, int argc, char **argv)
{
	struct ctl_vm_owner me = {.pid = getpid(), .value = -1};
	struct ctl_cgroup_mem m = {0};
	struct ctl_cgroup cg = {0};
	struct ctl_vm_restore res;
	sigset_t fwd, mask;
	int want_cg = o->memory_max != CTL_CGROUP_UNLIMITED ||
		      o->swap_max != CTL_CGROUP_UNLIMITED;
	int orig = -1, rc, err;

	if (argc == 0)
		die(CTL_EXIT_USAGE,
		    "run: no COMMAND given (swapadj run [options] -- COMMAND [ARG...])");
	if (want_cg) {
		err = ctl_cgroup_mem_find(o->root, &m);
		if (err == -ENOTSUP)
			die(CTL_EXIT_UNSUPP,
			    "cgroup: no memory controller mounted (looked for cgroup v2 at /sys/fs/cgroup and /sys/fs/cgroup/unified, cgroup v1 at /sys/fs/cgroup/memory)");
		if (err < 0)
			die(ctl_exit_for(err), "/proc/self/cgroup: %s",
			    strerror(-err));
		if (m.version == 1 && o->swap_max != CTL_CGROUP_UNLIMITED &&
		    o->memory_max == CTL_CGROUP_UNLIMITED)
			die(CTL_EXIT_USAGE,
			    "--swap-max on cgroup v1 needs --memory-max: v1 limits memory and swap together (memory.memsw.limit_in_bytes)");
	}
	/* On v1 the new cgroup has its own swappiness: the host's stays. */
	if (o->swappiness >= 0 && !(want_cg && m.version == 1))
		me.value = o->swappiness;
	if (o->cli.dry_run) {
		unsigned int cur = 0;

		ctl_vm_swappiness_get(o->root, &cur);
		if (me.value >= 0)
			printf("vm.swappiness %u %s %d for the command\n", cur,
			       o->arrow, me.value);
		if (want_cg)
			printf("cgroup v%d under %s%s%s\n", m.version, m.mount,
			       strcmp(m.self, "/") ? m.self : "",
			       o->swappiness >= 0 && m.version == 1
				       ? ", with its own memory.swappiness"
				       : "");
		printf("would run: %s\n", argv[0]);
		return CTL_EXIT_OK;
	}
	/*
	 * A signal from here on must not kill us between the change and the
	 * restore: it waits, and is forwarded once the command runs.
	 */
	sigemptyset(&fwd);
	for (size_t i = 0; i < ARRAY_SIZE(fwd_signals); i++)
		sigaddset(&fwd, fwd_signals[i]);
	sigprocmask(SIG_BLOCK, &fwd, &mask);
	if (want_cg) {
		rc = setup_cgroup(o, &m, &cg);
		if (rc)
			return rc;
		snprintf(me.cgroup, sizeof(me.cgroup), "%s", cg.path);
	}
	if (me.value >= 0 || want_cg) {
		ctl_vm_pid_start(o->root, me.pid, &me.start);
		err = ctl_vm_state_join(o->root, &me, &orig);
		if (err < 0 && want_cg)
			ctl_cgroup_rmdir(o->root, cg.path);
		if (err == -EIO) {
			/* The join has written back the value it found. */
			say(LOG_ERR,
			    "%s%s: wrote %d, the kernel kept another value; the value found is back, the command was not run",
			    rootp(o), CTL_VM_SWAPPINESS, me.value);
			return CTL_EXIT_FAIL;
		}
		if (err < 0)
			return change_fail(o, err);
		if (o->cli.verbose && me.value >= 0)
			say(LOG_INFO,
			    "vm.swappiness %d %s %d (original %d recorded in %s)",
			    orig, o->arrow, me.value, orig, CTL_VM_STATE_FILE);
	}
	rc = spawn(o, want_cg ? &cg : NULL, argv, &mask);
	if (want_cg) {
		/* What the command left (a pipeline after an OOM kill, say)
		 * usually exits at once: give it a second. */
		err = ctl_cgroup_rmdir(o->root, cg.path);
		for (int i = 0; err == -EBUSY && i < 50; i++) {
			sleep_secs(0.02);
			err = ctl_cgroup_rmdir(o->root, cg.path);
		}
		if (err < 0 && err != -ENOENT)
			say(LOG_WARNING,
			    "%s: not removed: %s (processes the command left behind are still in it)",
			    cg.path, strerror(-err));
	}
	if (me.value < 0 && !want_cg)
		return rc;
	err = ctl_vm_state_leave(o->root, me.pid, &res);
	if (err < 0) {
		say(LOG_ERR,
		    "%s: restoring vm.swappiness failed: %s; run 'swapadj restore'",
		    CTL_VM_STATE_FILE, ctl_file_strerror(-err));
		return rc ? rc : CTL_EXIT_FAIL;
	}
	if (o->cli.verbose && res.applied >= 0)
		say(LOG_INFO, "vm.swappiness %d %s %d (%s)", res.before,
		    o->arrow, res.applied,
		    res.remaining ? "another run is still active" : "restored");
	return rc;
}

static int cmd_restore(struct opts *o, int argc)
{
	struct ctl_vm_restore res;
	struct ctl_out *out;
	int kept, rc, err;

	if (argc)
		die(CTL_EXIT_USAGE, "restore: takes no arguments");
	if (o->cli.dry_run) {
		struct ctl_vm_state st;

		err = ctl_vm_state_read(o->root, &st);
		if (err < 0)
			return state_fail(o, err);
		if (st.original >= 0)
			printf("original vm.swappiness %d\n", st.original);
		for (size_t i = 0; i < st.n; i++)
			printf("owner %d %s\n", (int)st.owner[i].pid,
			       ctl_vm_pid_alive(o->root, st.owner[i].pid,
						st.owner[i].start)
				       ? "running"
				       : "gone");
		return CTL_EXIT_OK;
	}
	/* A bad -o is a usage error: refuse it before changing anything. */
	out = new_table(o, "swapadj", set_cols, ARRAY_SIZE(set_cols), "CHANGE");
	err = ctl_vm_state_restore(o->root, &res);
	for (size_t i = 0; i < res.nkept; i++)
		say(LOG_ERR,
		    "%s%s: not removed: processes remain in it (kill those in its cgroup.procs, then rmdir it)",
		    rootp(o), res.kept[i]);
	/* A cgroup left behind: the recovery is partial, not a success. */
	kept = res.nkept ? CTL_EXIT_FAIL : CTL_EXIT_OK;
	if (err == -EBUSY) {
		ctl_out_free(out);
		say(LOG_ERR,
		    "%s: owned by running process %d; not overridden (it restores the value when it exits; stop it to end the change early)",
		    CTL_VM_STATE_FILE, (int)res.live);
		return CTL_EXIT_FAIL;
	}
	if (err < 0) {
		ctl_out_free(out);
		return state_fail(o, err);
	}
	if (res.applied < 0) {
		ctl_out_free(out);
		if (!o->cli.quiet && !res.dropped && res.found)
			say(LOG_INFO,
			    "%s: no records: nothing to restore; removed",
			    CTL_VM_STATE_FILE);
		else if (!o->cli.quiet && !res.dropped)
			say(LOG_INFO, "nothing to restore: no %s",
			    CTL_VM_STATE_FILE);
		return kept;
	}
	add_change(o, out, res.before, res.applied, CTL_VM_STATE_FILE);
	rc = print_table(o, out);
	return rc ? rc : kept;
}

/* ---- auto ---- */

enum { U_OLD, U_NEW, U_CHANGE, U_AVAIL, U_READIN, U_REASON };
static const struct ctl_col auto_cols[] = {
	[U_OLD] = {"OLD", 3, CTL_COL_RIGHT | CTL_COL_NUMBER,
		   "vm.swappiness before"},
	[U_NEW] = {"NEW", 3, CTL_COL_RIGHT | CTL_COL_NUMBER,
		   "vm.swappiness the rule chose"},
	[U_CHANGE] = {"CHANGE", 10, 0, "old -> new"},
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
	struct timespec when;
};

static double since(const struct timespec *t0, const struct timespec *t1)
{
	return (double)(t1->tv_sec - t0->tv_sec) +
	       (double)(t1->tv_nsec - t0->tv_nsec) / 1e9;
}

/* Apply the rule to memory now and the read-in rate since the last call. */
static int auto_step(const struct opts *o, struct auto_run *ar)
{
	struct ctl_meminfo mi;
	struct ctl_vmstat vs;
	struct timespec now;
	int err = ctl_vm_meminfo_read(o->root, &mi);

	if (err < 0)
		return vm_fail(o, "/proc/meminfo", err);
	err = ctl_vm_vmstat_read(o->root, &vs);
	if (err < 0)
		return vm_fail(o, "/proc/vmstat", err);
	clock_gettime(CLOCK_MONOTONIC, &now);
	ar->in.readin =
		ctl_vm_readin_rate(&ar->last, &vs, since(&ar->when, &now));
	ar->last = vs;
	ar->when = now;
	ar->in.total = mi.total;
	ar->in.available = mi.available;
	if (ctl_vm_auto_compute(&ar->in, &ar->out) < 0) {
		say(LOG_ERR, "/proc/meminfo: MemTotal is 0");
		return CTL_EXIT_FAIL;
	}
	return 0;
}

static int auto_start(const struct opts *o, struct auto_run *ar)
{
	int err = ctl_vm_vmstat_read(o->root, &ar->last);

	if (err < 0)
		return vm_fail(o, "/proc/vmstat", err);
	clock_gettime(CLOCK_MONOTONIC, &ar->when);
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
	out = new_table(o, "swapadj", auto_cols, ARRAY_SIZE(auto_cols),
			"CHANGE,REASON");
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
		say(LOG_INFO, "dry run: nothing written");
	row = ctl_out_row(out);
	if (row) {
		auto_reason(&ar->in, &ar->out, why, sizeof(why));
		ctl_out_setf(out, row, U_OLD, "%u", cur);
		ctl_out_setf(out, row, U_NEW, "%u", now);
		ctl_out_setf(out, row, U_CHANGE, "%u %s %u", cur, o->arrow,
			     now);
		ctl_out_setf(out, row, U_AVAIL, "%.1f", ar->out.avail_pct);
		ctl_out_setf(out, row, U_READIN, "%.1f", ar->in.readin);
		ctl_out_set(out, row, U_REASON, why);
	}
	return print_table(o, out);
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
	if (journal.out) {
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
	struct timespec ts = {
		.tv_sec = (time_t)secs,
		.tv_nsec = (long)((secs - (double)(time_t)secs) * 1e9)};
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
		say(LOG_WARNING,
		    "NOTIFY_SOCKET is set, but libsystemd.so.0 cannot be loaded (%s): the service manager is not told that swapadj is ready or stopping; install libsystemd0",
		    why);
	else if (err < 0)
		say(LOG_WARNING, "NOTIFY_SOCKET=%s: %s: nothing is sent there",
		    nt->addr, strerror(-err));
}

/* Send STATE; a failure is said once, a receiver that reads nothing ends it. */
static void notify(struct notifier *nt, const char *state)
{
	int r;

	if (!nt->n)
		return;
	r = send_bounded(nt->n, state);
	if (r == -EINTR) {
		say(LOG_WARNING,
		    "NOTIFY_SOCKET=%s: the receiver reads nothing (nothing sent for %d s): no more notifications",
		    nt->addr, NOTIFY_TIMEOUT_S);
		ctl_notify_close(nt->n);
		nt->n = NULL;
	} else if (r < 0 && !nt->failed) {
		say(LOG_WARNING,
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

	snprintf(rule, sizeof(rule),
		 "base 10 + (1 - MemAvailable/MemTotal) x 30 = %u; read-in %s "
		 "%.0f KiB/s: +%d; clamp %u..%u%s",
		 a->base, a->readin_high ? ">" : "<=", CTL_VM_AUTO_READIN_KIBS,
		 a->readin_high ? 10 : 0, ar->in.min, ar->in.max,
		 a->clamped < 0	  ? " (raised to min)"
		 : a->clamped > 0 ? " (lowered to max)"
				  : "");
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
	err = ctl_vm_state_leave(o->root, me.pid, &res);
	if (err < 0) {
		say(LOG_ERR,
		    "%s: restoring vm.swappiness failed: %s; run 'swapadj restore'",
		    CTL_VM_STATE_FILE, ctl_file_strerror(-err));
		return CTL_EXIT_FAIL;
	}
	if (res.applied >= 0)
		log_line(o, "vm.swappiness %d %s %d: %s%s", res.before,
			 o->arrow, res.applied,
			 res.remaining ? "value of another active run"
				       : "restored",
			 sig ? "" : " after an error");
	return rc;
}

static int cmd_auto(struct opts *o, int argc)
{
	struct auto_run ar = {.in = {.min = 10, .max = 60}};
	int kmax = range_max(o);

	if (argc)
		die(CTL_EXIT_USAGE, "auto: takes no arguments");
	if (o->min_set)
		ar.in.min = (unsigned int)o->min;
	if (o->max_set)
		ar.in.max = (unsigned int)o->max;
	if (ar.in.max > (unsigned int)kmax || ar.in.min > (unsigned int)kmax)
		die(CTL_EXIT_USAGE,
		    "--%s %u: out of range 0-%d for this kernel",
		    ar.in.max > (unsigned int)kmax ? "max" : "min",
		    ar.in.max > (unsigned int)kmax ? ar.in.max : ar.in.min,
		    kmax);
	if (ar.in.min > ar.in.max)
		die(CTL_EXIT_USAGE, "--min %u is above --max %u", ar.in.min,
		    ar.in.max);
	return o->once ? auto_once(o, &ar) : auto_loop(o, &ar);
}

/* ---- main ---- */

static const struct option longopts[] = {
	CTL_CLI_LONGOPTS,
	{"persist", no_argument, NULL, OPT_PERSIST},
	{"once", no_argument, NULL, OPT_ONCE},
	{"interval", required_argument, NULL, OPT_INTERVAL},
	{"min", required_argument, NULL, OPT_MIN},
	{"max", required_argument, NULL, OPT_MAX},
	{"min-available", required_argument, NULL, OPT_MIN_AVAIL},
	{"swappiness", required_argument, NULL, OPT_SWAPPINESS},
	{"memory-max", required_argument, NULL, OPT_MEMORY_MAX},
	{"swap-max", required_argument, NULL, OPT_SWAP_MAX},
	{NULL, 0, NULL, 0},
};

/* run stops at COMMAND so that its options stay its own. */
static const char *shortopts(const char *sub)
{
	return strcmp(sub, "run") == 0 ? "+" CTL_CLI_SHORTOPTS
				       : CTL_CLI_SHORTOPTS;
}

/*
 * --sysroot, found before the real parse (option values are checked
 * against the root's kernel) by the same getopt rules, so that a
 * "--sysroot" among the arguments of run's COMMAND stays the command's.
 */
static const char *find_sysroot(const char *sub, int argc, char **argv)
{
	const char *dir = NULL;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts(sub), longopts, NULL)) !=
	       -1)
		if (c == CTL_OPT_SYSROOT)
			dir = optarg;
	opterr = 1;
	optind = 0; /* glibc: start over for the real parse */
	return dir;
}

/*
 * The subcommand is the first word that is neither an option nor an
 * option's value, so that options may come before it ("swapadj --sysroot
 * /host show", "swapadj -J check --max 60"). It is taken out of ARGV; the
 * options on both sides are then parsed as one list. Returns the
 * subcommand, "show" when none is named.
 */
static const char *take_sub(const char *const *subs, size_t n, int *argc,
			    char **argv)
{
	int c, i;

	opterr = 0;
	while ((c = getopt_long(*argc, argv, "+" CTL_CLI_SHORTOPTS, longopts,
				NULL)) != -1)
		;
	opterr = 1;
	i = optind;
	optind = 0; /* glibc: start over for the next parse */
	if (i >= *argc)
		return "show";
	for (size_t j = 0; j < n; j++) {
		if (strcmp(argv[i], subs[j]) != 0)
			continue;
		/* argv[argc] is NULL and moves down with the rest. */
		memmove(&argv[i], &argv[i + 1],
			(size_t)(*argc - i) * sizeof(*argv));
		(*argc)--;
		return subs[j];
	}
	return "show";
}

/*
 * getopt_long() for the real parse. Under the journal its own complaint
 * (an unknown option, a missing value) is caught and said again with a
 * priority, like every other line there.
 */
static int next_opt(int argc, char **argv, const char *opts)
{
	FILE *mem, *was = stderr;
	char *msg = NULL;
	size_t len = 0;
	int c;

	if (!journal.err || !(mem = open_memstream(&msg, &len)))
		return getopt_long(argc, argv, opts, longopts, NULL);
	stderr = mem; /* glibc's getopt writes to stderr */
	c = getopt_long(argc, argv, opts, longopts, NULL);
	stderr = was;
	fclose(mem);
	for (const char *line = msg; line && *line;) {
		size_t n = strcspn(line, "\n");

		fprintf(stderr, "<%d>%.*s\n", LOG_ERR, (int)n, line);
		line += n + (line[n] == '\n');
	}
	free(msg);
	return c;
}

static void parse_opts(struct opts *o, const char *sub, int argc, char **argv)
{
	int c, err;

	while ((c = next_opt(argc, argv, shortopts(sub))) != -1) {
		if (ctl_cli_common(&o->cli, c, optarg))
			continue;
		if (c >= OPT_PERSIST && c <= OPT_SWAP_MAX)
			o->given |= 1u << (c - OPT_PERSIST);
		switch (c) {
		case 'h':
			usage();
			exit(finish(CTL_EXIT_OK));
		case 'V':
			printf("swapadj %s\n", CTL_VERSION);
			exit(finish(CTL_EXIT_OK));
		case OPT_PERSIST:
			o->persist = 1;
			break;
		case OPT_ONCE:
			o->once = 1;
			break;
		case OPT_INTERVAL:
			if (ctl_parse_seconds(optarg, &o->interval) < 0)
				die(CTL_EXIT_USAGE,
				    "--interval '%s': not a positive number of seconds",
				    optarg);
			o->interval_set = 1;
			break;
		case OPT_MIN:
		case OPT_MAX:
		case OPT_MIN_AVAIL: {
			uint64_t *v = c == OPT_MIN   ? &o->min
				      : c == OPT_MAX ? &o->max
						     : &o->min_avail;
			const char *name = c == OPT_MIN	  ? "--min"
					   : c == OPT_MAX ? "--max"
							  : "--min-available";

			err = ctl_parse_range(
				optarg, 0, c == OPT_MIN_AVAIL ? 100 : 200, v);
			if (err < 0)
				die(CTL_EXIT_USAGE, "%s '%s': %s", name, optarg,
				    err == -ERANGE
					    ? (c == OPT_MIN_AVAIL
						       ? "out of range 0-100 (percent)"
						       : "out of range 0-200")
					    : "not a number");
			*(c == OPT_MIN	 ? &o->min_set
			  : c == OPT_MAX ? &o->max_set
					 : &o->min_avail_set) = 1;
			break;
		}
		case OPT_SWAPPINESS:
			o->swappiness = (int)parse_swappiness(o, "--swappiness",
							      optarg);
			break;
		case OPT_MEMORY_MAX:
		case OPT_SWAP_MAX:
			err = ctl_parse_size(optarg, c == OPT_MEMORY_MAX
							     ? &o->memory_max
							     : &o->swap_max);
			if (err < 0)
				die(CTL_EXIT_USAGE,
				    "%s '%s': not a size (bytes, or a K, M, G, T or P suffix)",
				    c == OPT_MEMORY_MAX ? "--memory-max"
							: "--swap-max",
				    optarg);
			break;
		default:
			die(CTL_EXIT_USAGE, "try 'swapadj --help'");
		}
	}
}

/* Which subcommands take each option of their own, and --dry-run. */
static const struct {
	int opt;
	const char *name;
	const char *subs; /* for ctl_list_has() */
	const char *said; /* for the message */
} scopes[] = {
	{OPT_PERSIST, "--persist", "set", "'set'"},
	{OPT_ONCE, "--once", "auto", "'auto'"},
	{OPT_INTERVAL, "--interval", "show,auto", "'show' and 'auto'"},
	{OPT_MIN, "--min", "auto,check", "'auto' and 'check'"},
	{OPT_MAX, "--max", "auto,check", "'auto' and 'check'"},
	{OPT_MIN_AVAIL, "--min-available", "check", "'check'"},
	{OPT_SWAPPINESS, "--swappiness", "run", "'run'"},
	{OPT_MEMORY_MAX, "--memory-max", "run", "'run'"},
	{OPT_SWAP_MAX, "--swap-max", "run", "'run'"},
	{CTL_OPT_DRY_RUN, "--dry-run", "set,auto,run,restore",
	 "'set', 'auto', 'run' and 'restore'"},
};

/* An option the subcommand would ignore is an error: it was meant. */
static void check_scope(const struct opts *o, const char *sub)
{
	for (size_t i = 0; i < ARRAY_SIZE(scopes); i++) {
		int given = scopes[i].opt == CTL_OPT_DRY_RUN
				    ? o->cli.dry_run
				    : (int)(o->given >>
					    (scopes[i].opt - OPT_PERSIST)) &
					      1;

		if (given && !ctl_list_has(scopes[i].subs, sub))
			die(CTL_EXIT_USAGE, "%s: %s belongs to %s", sub,
			    scopes[i].name, scopes[i].said);
	}
}

int main(int argc, char **argv)
{
	static const char *const subs[] = {"show", "set",     "auto",
					   "run",  "restore", "check"};
	struct opts o = {.swappiness = -1,
			 .memory_max = CTL_CGROUP_UNLIMITED,
			 .swap_max = CTL_CGROUP_UNLIMITED};
	const char *sub;
	int rc, err;

	journal.err =
		ctl_journal_stream(getenv("JOURNAL_STREAM"), STDERR_FILENO);
	journal.out =
		ctl_journal_stream(getenv("JOURNAL_STREAM"), STDOUT_FILENO);
	setlocale(LC_ALL, "");
	o.arrow = strcmp(nl_langinfo(CODESET), "UTF-8") == 0 ? "→" : "->";
	sub = take_sub(subs, ARRAY_SIZE(subs), &argc, argv);
	/* The root first: option values are checked against its kernel. */
	o.cli.sysroot = find_sysroot(sub, argc, argv);
	err = ctl_root_open(o.cli.sysroot, &o.root);
	if (err < 0)
		die(CTL_EXIT_USAGE, "--sysroot %s: %s", o.cli.sysroot,
		    strerror(-err));
	/* "set -1" must read as an out-of-range value, not an option. */
	if (strcmp(sub, "set") == 0)
		for (int i = 1; i < argc; i++)
			if (argv[i][0] == '-' && argv[i][1] >= '0' &&
			    argv[i][1] <= '9')
				parse_swappiness(&o, "swappiness", argv[i]);
	parse_opts(&o, sub, argc, argv);
	check_scope(&o, sub);
	/* libsmartcols escapes non-ASCII in -P/-r output; keep those plain. */
	if (o.cli.fmt.pairs || o.cli.fmt.raw || o.cli.fmt.json)
		o.arrow = "->";

	if (strcmp(sub, "set") == 0)
		rc = cmd_set(&o, argc - optind, argv + optind);
	else if (strcmp(sub, "check") == 0)
		rc = cmd_check(&o, argc - optind);
	else if (strcmp(sub, "run") == 0)
		rc = cmd_run(&o, argc - optind, argv + optind);
	else if (strcmp(sub, "restore") == 0)
		rc = cmd_restore(&o, argc - optind);
	else if (strcmp(sub, "auto") == 0)
		rc = cmd_auto(&o, argc - optind);
	else if (argc - optind)
		die(CTL_EXIT_USAGE, "%s: unexpected argument '%s'", sub,
		    argv[optind]);
	else
		rc = cmd_show(&o);
	ctl_root_free(o.root);
	return finish(rc);
}
