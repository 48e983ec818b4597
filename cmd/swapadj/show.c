// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * swapadj show: every fact about vm.swappiness and memory reclaim on one
 * table, and what auto would set.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "ctl/cgroup.h"
#include "ctl/clock.h"
#include "ctl/file.h"
#include "ctl/parse.h"
#include "cli/cli.h"
#include "swapadj.h"

enum { S_FIELD, S_VALUE, S_DETAIL, S_TEXT, S_UNIT, S_USED, S_PRIO };
static const struct ctl_col show_cols[] = {
	[S_FIELD] = {"FIELD", 0.1, 0, "what the line is about"},
	[S_VALUE] = {"VALUE", 0.1, 0,
		     "its value; in JSON the number in UNIT, or null"},
	[S_DETAIL] = {"DETAIL", 0.6, CTL_COL_WRAP, "where it comes from, why"},
	[S_TEXT] = {"TEXT", 0.1, 0, "the value as the table shows it"},
	[S_UNIT] = {"UNIT", 0.1, 0,
		    "unit of the number: bytes, ratio, bytes/s"},
	[S_USED] = {"USED", 5, CTL_COL_RIGHT | CTL_COL_NUMBER,
		    "swap: bytes in use"},
	[S_PRIO] = {"PRIO", 3, CTL_COL_RIGHT | CTL_COL_NUMBER,
		    "swap: priority"},
};

/*
 * What show gathers: its table, and how many facts could not be read.
 * Such a fact is a "?" row named on stderr, and the report is partial:
 * show then exits 3. A facility the kernel lacks (no PSI, no swap, no
 * memory cgroup) is a "-" row and no failure.
 */
struct show {
	const struct opts *o;
	struct ctl_out *out;
	struct cli_prom *prom; /* --textfile */
	int unread;
};

/*
 * A fact's value: TEXT as the table shows it; NUM the same as a number in
 * UNIT (base units: bytes, ratio, bytes/s; NULL for a plain count), NULL
 * when the fact has none ("-", "?", "max", two values).
 */
struct val {
	const char *text;
	const char *num;
	const char *unit;
	const char *label; /* the metric's label value (see metrics[]) */
};

/*
 * The metric of each field with a number (--textfile): base units, the
 * number of the JSON value; a field with a label has one sample per line.
 */
static const struct {
	const char *field, *metric, *label, *help;
} metrics[] = {
	{"swappiness", "ctl_vm_swappiness", NULL, "vm.swappiness now"},
	{"range", "ctl_vm_swappiness_max", NULL,
	 "highest vm.swappiness the kernel accepts"},
	{"memtotal", "ctl_vm_memtotal_bytes", NULL,
	 "MemTotal of /proc/meminfo"},
	{"memavailable", "ctl_vm_memavailable_bytes", NULL,
	 "MemAvailable of /proc/meminfo"},
	{"pressure", "ctl_vm_pressure_ratio", NULL,
	 "share of the last 10 s in which some task waited for memory (PSI some avg10)"},
	{"readin", "ctl_vm_readin_bytes_per_second", NULL,
	 "block device read-in rate (pgpgin) over --interval"},
	{"auto", "ctl_vm_auto_swappiness", NULL,
	 "what swapadj auto would set (with --interval)"},
	{"boot", "ctl_vm_boot_swappiness", "file",
	 "vm.swappiness the boot configuration sets, and the file that wins"},
	{"boot-overridden", "ctl_vm_boot_overridden_swappiness", "file",
	 "vm.swappiness of a boot configuration file a later one overrides"},
	{"swap", "ctl_vm_swap_size_bytes", "device",
	 "size of an active swap device"},
	{"cgroup", "ctl_vm_cgroup_version", NULL,
	 "version of the caller's memory cgroup hierarchy"},
	{"cgroup-limit", "ctl_vm_cgroup_limit_bytes", NULL,
	 "smallest memory limit from the caller's cgroup up to the root (+Inf: none)"},
	{"cgroup-swappiness", "ctl_vm_cgroup_swappiness", NULL,
	 "memory.swappiness of the caller's cgroup v1"},
};

/* Read-in rate over SECS seconds, in KiB/s; -errno on failure. */
static int sample_readin(const struct opts *o, double secs, double *rate)
{
	struct ctl_vmstat a, b;
	double t0;
	int err = ctl_vm_vmstat_read(o->root, &a);

	if (err < 0)
		return err;
	t0 = ctl_now_ms();
	sleep_secs(secs);
	err = ctl_vm_vmstat_read(o->root, &b);
	if (err < 0)
		return err;
	*rate = ctl_vm_readin_rate(&a, &b, (ctl_now_ms() - t0) / 1e3);
	return 0;
}

/* Sample VALUE of FIELD's metric (with LABEL's value), for --textfile. */
static void sample(struct show *sh, const char *field, double value,
		   const char *label)
{
	for (size_t i = 0; sh->prom && i < ARRAY_SIZE(metrics); i++) {
		if (strcmp(metrics[i].field, field))
			continue;
		cli_prom_metric(sh->prom, metrics[i].metric, metrics[i].help);
		if (metrics[i].label)
			cli_prom_sample(sh->prom, value, metrics[i].label,
					label ? label : "", NULL);
		else
			cli_prom_sample(sh->prom, value, NULL);
	}
}

static struct ctl_row *row(struct show *sh, const char *field, struct val v,
			   const char *fmt, ...) _printf_(4, 5);

static struct ctl_row *row(struct show *sh, const char *field, struct val v,
			   const char *fmt, ...)
{
	struct ctl_row *r = cli_table_row(sh->out);
	const char *value = sh->o->cli.fmt.json ? v.num : v.text;
	char detail[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	if (ctl_out_set(sh->out, r, S_FIELD, field) < 0 ||
	    ctl_out_set(sh->out, r, S_VALUE, value) < 0 ||
	    ctl_out_set(sh->out, r, S_TEXT, v.text) < 0 ||
	    ctl_out_set(sh->out, r, S_UNIT, v.num ? v.unit : NULL) < 0 ||
	    ctl_out_set(sh->out, r, S_DETAIL, detail) < 0) {
		cli_say(LOG_ERR, "output: %s: %s", field, strerror(ENOMEM));
		sh->unread++;
	}
	if (v.num)
		sample(sh, field, strtod(v.num, NULL), v.label);
	return r;
}

/* A fact without a number: "-", "?", a name. */
static struct val text(const char *s)
{
	return (struct val){s, NULL, NULL, NULL};
}

/* BYTES as the table shows a size: "15.6G", or bytes with --bytes. */
static const char *size_text(const struct show *sh, uint64_t bytes, char *buf,
			     size_t len)
{
	if (sh->o->cli.fmt.bytes) {
		snprintf(buf, len, "%" PRIu64, bytes);
		return buf;
	}
	return ctl_out_size_human(bytes, buf, len);
}

/* NUM as text in BUF (LEN bytes), for struct val. */
static const char *u64(char *buf, size_t len, uint64_t num)
{
	snprintf(buf, len, "%" PRIu64, num);
	return buf;
}

/* The number of a value read as text (a sysctl.d line, a cgroup file). */
static const char *num_of(const char *s)
{
	uint64_t v;

	return ctl_parse_u64(s, &v) == 0 ? s : NULL;
}

/* FIELD could not be read from PATH: WHY, or the text of ERR. */
static void unread(struct show *sh, const char *field, const char *path,
		   int err, const char *why)
{
	if (!why)
		why = ctl_file_strerror(-err);
	row(sh, field, text("?"), "%s: %s", path, why);
	cli_say(LOG_ERR, "%s%s: %s", rootp(sh->o), path, why);
	sh->unread++;
}

/*
 * After reading FIELD from PATH: ERR == ABSENT (a facility the kernel
 * lacks) is a "-" row saying NOTE, another error unread(). True when ERR
 * is an error, and the row is written.
 */
static bool failed(struct show *sh, const char *field, const char *path,
		   int err, int absent, const char *note)
{
	if (err == absent)
		row(sh, field, text("-"), "%s", note);
	else if (err < 0)
		unread(sh, field, path, err, NULL);
	return err < 0;
}

/* Instant: the kernel keeps the 10/60/300 s averages itself. */
static void show_pressure(struct show *sh)
{
	static const char path[] = "/proc/pressure/memory";
	struct ctl_psi p;
	char buf[32], ratio[32], full[96] = "";
	int err = ctl_vm_psi_read(sh->o->root, &p);

	if (err == -ENOENT) {
		row(sh, "pressure", text("-"), "no %s (a kernel without PSI)",
		    path);
		return;
	}
	if (err == -EOPNOTSUPP) {
		row(sh, "pressure", text("-"),
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
	snprintf(ratio, sizeof(ratio), "%.6g", p.some[0] / 100);
	row(sh, "pressure", (struct val){buf, ratio, "ratio", NULL},
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
		row(sh, "auto", text("?"),
		    "needs MemTotal and MemAvailable (see memtotal)");
		return;
	}
	if (o->interval_set && readin_err) {
		row(sh, "auto", text("?"),
		    "needs the read-in rate (see readin)");
		return;
	}
	if (o->interval_set) {
		auto_reason(&in, &lo, true, why, sizeof(why));
		snprintf(buf, sizeof(buf), "%u", lo.value);
		row(sh, "auto", (struct val){buf, buf, NULL, NULL},
		    "what 'swapadj auto' would set: %s", why);
		return;
	}
	in.readin = 0;
	ctl_vm_auto_compute(&in, &lo);
	in.readin = 2 * CTL_VM_AUTO_READIN_KIBS;
	ctl_vm_auto_compute(&in, &hi);
	snprintf(buf, sizeof(buf), "%u/%u", lo.value, hi.value);
	row(sh, "auto", text(buf),
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
		row(sh, "boot", text("-"),
		    "no sysctl.d file or /etc/sysctl.conf sets vm.swappiness: "
		    "the kernel default (60) applies at boot");
	} else {
		const struct ctl_sysctl_hit *w = &hits[n - 1];
		uint64_t v;
		int same = ctl_parse_u64(w->value, &v) == 0 && v == cur;

		row(sh, "boot",
		    (struct val){w->value, num_of(w->value), NULL, w->path},
		    "%s:%u sets it at boot%s%s", w->path, w->line,
		    n > 1 ? " (last of several files)" : "",
		    same ? "; current value matches"
			 : "; CONFLICT: the current value differs");
		for (size_t i = 0; i + 1 < n; i++)
			row(sh, "boot-overridden",
			    (struct val){hits[i].value, num_of(hits[i].value),
					 NULL, hits[i].path},
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

	if (failed(sh, "swap", "/proc/swaps", err, -ENOENT,
		   "no /proc/swaps (a kernel without swap support)"))
		return;
	if (n == 0)
		row(sh, "swap", text("none"), "no active swap device");
	for (size_t i = 0; i < n; i++) {
		char size[32];
		struct ctl_row *r = row(
			sh, "swap",
			(struct val){sw[i].name,
				     u64(size, sizeof(size), sw[i].size * 1024),
				     "bytes", sw[i].name},
			"%s%s, %" PRIu64 " KiB, used %" PRIu64
			" KiB, priority %d",
			sw[i].zram ? "zram (compressed RAM), " : "", sw[i].type,
			sw[i].size, sw[i].used, sw[i].prio);

		ctl_out_setf(sh->out, r, S_USED, "%" PRIu64, sw[i].used * 1024);
		ctl_out_setf(sh->out, r, S_PRIO, "%d", sw[i].prio);
		if (!sh->prom)
			continue;
		cli_prom_metric(sh->prom, "ctl_vm_swap_used_bytes",
				"bytes in use on an active swap device");
		cli_prom_sample(sh->prom, (double)sw[i].used * 1024, "device",
				sw[i].name, NULL);
		cli_prom_metric(sh->prom, "ctl_vm_swap_priority",
				"priority of an active swap device");
		cli_prom_sample(sh->prom, sw[i].prio, "device", sw[i].name,
				NULL);
	}
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

	if (failed(sh, "cgroup", "/proc/self/cgroup", err, -ENOTSUP,
		   "no memory cgroup controller mounted"))
		return;
	snprintf(buf, sizeof(buf), "v%d", m.version);
	row(sh, "cgroup", (struct val){buf, buf + 1, NULL, NULL},
	    "%s%s: the caller's memory cgroup", m.mount,
	    strcmp(m.self, "/") ? m.self : "");
	err = ctl_cgroup_self_limit(r, &lim);
	if (err < 0) {
		unread(sh, "cgroup-limit", m.mount, err, NULL);
	} else if (lim.max == CTL_CGROUP_UNLIMITED) {
		row(sh, "cgroup-limit", text("max"),
		    "no memory limit up to the root");
		sample(sh, "cgroup-limit", INFINITY, NULL);
	} else {
		char num[32];

		row(sh, "cgroup-limit",
		    (struct val){size_text(sh, lim.max, buf, sizeof(buf)),
				 u64(num, sizeof(num), lim.max), "bytes", NULL},
		    "set in %s", lim.path);
	}
	if (m.version != 1 || strcmp(m.self, "/") == 0)
		return;
	snprintf(path, sizeof(path), "%s%s/memory.swappiness", m.mount, m.self);
	err = ctl_root_read_file(r, path, buf, sizeof(buf));
	if (err < 0) {
		unread(sh, "cgroup-swappiness", path, err, NULL);
		return;
	}
	row(sh, "cgroup-swappiness", (struct val){buf, num_of(buf), NULL, NULL},
	    "%s: cgroup v1 reclaim in this cgroup uses it, not "
	    "vm.swappiness%s",
	    path, (unsigned int)atoi(buf) == cur ? "" : " (they differ)");
}

/*
 * Every row is read at once, each file once; only --interval SEC waits,
 * to sample the read-in rate.
 */
int cmd_show(struct opts *o)
{
	struct show sh = {.o = o,
			  .prom = o->cli.textfile ? cli_prom_new() : NULL};
	struct ctl_meminfo mi = {0};
	struct ctl_col cols[ARRAY_SIZE(show_cols)];
	unsigned int cur;
	double readin = 0;
	char buf[64], num[64];
	int max, rc, readin_err = 0, err;

	/* JSON is read by scripts: VALUE is the number, TEXT the words. */
	memcpy(cols, show_cols, sizeof(cols));
	if (o->cli.fmt.json)
		cols[S_VALUE].flags |= CTL_COL_NUMBER;
	sh.out = cli_table_new(
		&o->cli, "swapadj", cols, ARRAY_SIZE(cols),
		o->cli.fmt.json ? "FIELD,VALUE,UNIT,TEXT,USED,PRIO,DETAIL"
				: "FIELD,VALUE,DETAIL");
	err = ctl_vm_swappiness_get(o->root, &cur);
	if (err < 0) {
		ctl_out_free(sh.out);
		cli_prom_free(sh.prom);
		return vm_fail(o, CTL_VM_SWAPPINESS, err);
	}
	snprintf(buf, sizeof(buf), "%u", cur);
	row(&sh, "swappiness", (struct val){buf, buf, NULL, NULL},
	    "vm.swappiness now");
	max = ctl_vm_swappiness_max(o->root);
	if (max < 0) {
		unread(&sh, "range", "/proc/sys/kernel/osrelease", max,
		       max == -EINVAL ? "no kernel version in it" : NULL);
	} else {
		snprintf(buf, sizeof(buf), "0-%d", max);
		row(&sh, "range", (struct val){buf, buf + 2, NULL, NULL}, "%s",
		    max == 200 ? "Linux 5.8 and later accept up to 200"
			       : "kernels before 5.8 accept up to 100");
	}
	err = ctl_vm_meminfo_read(o->root, &mi);
	if (err < 0) {
		unread(&sh, "memtotal", "/proc/meminfo", err,
		       err == -ENODATA ? "no MemTotal" : NULL);
	} else {
		row(&sh, "memtotal",
		    (struct val){size_text(&sh, mi.total * 1024, buf,
					   sizeof(buf)),
				 u64(num, sizeof(num), mi.total * 1024),
				 "bytes", NULL},
		    "MemTotal");
		row(&sh, "memavailable",
		    (struct val){size_text(&sh, mi.available * 1024, buf,
					   sizeof(buf)),
				 u64(num, sizeof(num), mi.available * 1024),
				 "bytes", NULL},
		    "MemAvailable, %.1f%% of MemTotal",
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
			snprintf(num, sizeof(num), "%.0f", readin * 1024);
			row(&sh, "readin",
			    (struct val){buf, num, "bytes/s", NULL},
			    "KiB/s read from block devices (pgpgin) over %.1f s",
			    o->interval);
		}
	}
	show_auto(&sh, &mi, readin_err, readin);
	show_boot(&sh, cur);
	show_swaps(&sh);
	show_cgroup(&sh, cur);
	rc = cli_table_print(&o->cli, sh.out);
	if (sh.prom) {
		/* What could be read is written: a fact missing is no sample. */
		int prc = cli_prom_commit(sh.prom, o->cli.textfile);

		cli_prom_free(sh.prom);
		rc = rc ? rc : prc;
	}
	return rc ? rc : sh.unread ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}
