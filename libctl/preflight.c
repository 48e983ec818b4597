// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * preflight: policy, measurements and decisions. The decisions are pure
 * functions so that every PASS/WARN/FAIL boundary is unit-tested on plain
 * values; the gatherer only reads through the other libctl modules, plus
 * the four vm.dirty_* sysctls, kernel.io_uring_disabled and a raw
 * io_uring_setup(2) probe (liburing belongs to libctl/uring.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <linux/io_uring.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "ctl/attr.h"
#include "ctl/blk.h"
#include "ctl/cgroup.h"
#include "ctl/diskstats.h"
#include "ctl/ext4.h"
#include "ctl/file.h"
#include "ctl/mount.h"
#include "ctl/parse.h"
#include "ctl/preflight.h"
#include "ctl/queue.h"
#include "ctl/vm.h"
#include "internal.h"

/* ---- policy ---- */

void ctl_preflight_policy_init(struct ctl_preflight_policy *p)
{
	*p = (struct ctl_preflight_policy){
		.space_reserve_pct = 5,
		.fs_types = "ext4",
		.mount_recommend = "nosuid,noexec",
		.ext4_data = "journal,ordered,writeback",
		.ext4_data_recommend = "ordered,journal",
		.commit_min = 5,
		.commit_warn = 30,
		.commit_max = 60,
		.sched_recommend = "mq-deadline,none",
		.depth_min = 32,
		.depth_warn = 128,
		.depth_max = 0,
		.util_pct = 85,
		.samples = 3,
		.sample_ms = 250,
		.await_ms = 200,
		.swappiness_min = 10,
		.swappiness_max = 60,
		.mem_avail_pct = 10,
		.dirty_min = CTL_PF_DIRTY_DEFAULT,
		.uring_require = false,
	};
}

enum ktype { K_PCT, K_UINT, K_SIZE, K_LIST, K_DATA, K_BOOL };

struct key {
	const char *name;
	enum ktype type;
	size_t off;
	uint64_t max; /* K_UINT: inclusive upper bound */
};

#define P(f) offsetof(struct ctl_preflight_policy, f)
static const struct key keys[] = {
	{"space.reserve_pct", K_PCT, P(space_reserve_pct), 0},
	{"fs.types", K_LIST, P(fs_types), 0},
	{"mount.require", K_LIST, P(mount_require), 0},
	{"mount.recommend", K_LIST, P(mount_recommend), 0},
	{"mount.forbid", K_LIST, P(mount_forbid), 0},
	{"ext4.data", K_DATA, P(ext4_data), 0},
	{"ext4.data_recommend", K_DATA, P(ext4_data_recommend), 0},
	{"ext4.commit_min", K_UINT, P(commit_min), 86400},
	{"ext4.commit_warn", K_UINT, P(commit_warn), 86400},
	{"ext4.commit_max", K_UINT, P(commit_max), 86400},
	{"queue.scheduler", K_LIST, P(sched), 0},
	{"queue.scheduler_recommend", K_LIST, P(sched_recommend), 0},
	{"queue.depth_min", K_SIZE, P(depth_min), 0},
	{"queue.depth_warn", K_SIZE, P(depth_warn), 0},
	{"queue.depth_max", K_SIZE, P(depth_max), 0},
	{"queue.util_pct", K_PCT, P(util_pct), 0},
	{"queue.samples", K_UINT, P(samples), 20},
	{"queue.sample_ms", K_UINT, P(sample_ms), 10000},
	{"queue.await_ms", K_UINT, P(await_ms), 3600000},
	{"vm.swappiness_min", K_UINT, P(swappiness_min), 200},
	{"vm.swappiness_max", K_UINT, P(swappiness_max), 200},
	{"mem.avail_min_pct", K_PCT, P(mem_avail_pct), 0},
	{"dirty.min_bytes", K_SIZE, P(dirty_min), 0},
	{"uring.require", K_BOOL, P(uring_require), 0},
};
#undef P

static int perr(struct ctl_preflight_perr *e, unsigned int line,
		const char *fmt, ...) _printf_(3, 4);

static int perr(struct ctl_preflight_perr *e, unsigned int line,
		const char *fmt, ...)
{
	va_list ap;

	if (e) {
		e->line = line;
		va_start(ap, fmt);
		vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static bool is_sep(char c)
{
	return c == ',' || c == ' ' || c == '\t';
}

/* 1 if WORD is an element of LIST (separated by commas or blanks). */
static int list_has(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; *p;) {
		size_t len = 0;

		while (is_sep(*p))
			p++;
		while (p[len] && !is_sep(p[len]))
			len++;
		if (len && len == n && strncmp(p, word, n) == 0)
			return 1;
		p += len;
	}
	return 0;
}

/* The first element of LIST that ALLOWED lists ("" allows any) and that
 * is not SKIP (may be NULL), into OUT. False when there is none. */
static bool first_in(const char *list, const char *allowed, const char *skip,
		     char *out, size_t len)
{
	for (const char *p = list; *p;) {
		size_t n = 0;

		while (is_sep(*p))
			p++;
		while (p[n] && !is_sep(p[n]))
			n++;
		if (n && n < len) {
			memcpy(out, p, n);
			out[n] = '\0';
			if ((!allowed[0] || list_has(allowed, out)) &&
			    (!skip || strcmp(out, skip) != 0))
				return true;
		}
		p += n;
	}
	out[0] = '\0';
	return false;
}

/*
 * What a hint should set: the first of PREF that ALLOWED lists, else the
 * first of ALLOWED, never SKIP; with neither list, DEF. False when the
 * policy allows nothing but SKIP.
 */
static bool pick(const char *pref, const char *allowed, const char *skip,
		 const char *def, char *out, size_t len)
{
	if (first_in(pref, allowed, skip, out, len) ||
	    first_in(allowed, "", skip, out, len))
		return true;
	if (allowed[0])
		return false;
	snprintf(out, len, "%s", def);
	return true;
}

/* Copy list VAL normalised to "a,b,c" into OUT; elements checked by OK. */
static int list_copy(const char *val, char *out, size_t len,
		     int (*ok)(const char *), char *bad, size_t badlen)
{
	size_t o = 0;

	out[0] = '\0';
	for (const char *p = val; *p;) {
		char word[64];
		size_t n = 0;

		while (is_sep(*p))
			p++;
		while (p[n] && !is_sep(p[n]))
			n++;
		if (!n)
			break;
		if (n >= sizeof(word) || o + n + 2 > len)
			return -E2BIG;
		memcpy(word, p, n);
		word[n] = '\0';
		if (ok && !ok(word)) {
			snprintf(bad, badlen, "%s", word);
			return -EINVAL;
		}
		o += (size_t)snprintf(out + o, len - o, "%s%s", o ? "," : "",
				      word);
		p += n;
	}
	return 0;
}

static int data_ok(const char *w)
{
	return strcmp(w, "none") == 0 || ctl_ext4_data_parse(w) > 0;
}

static int parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (strcmp(s, yes[i]) == 0)
			return *out = true, 0;
		if (strcmp(s, no[i]) == 0)
			return *out = false, 0;
	}
	return -EINVAL;
}

static int set_key(const struct key *k, const char *val,
		   struct ctl_preflight_policy *p, unsigned int line,
		   struct ctl_preflight_perr *e)
{
	char *field = (char *)p + k->off;
	char bad[64] = "";
	uint64_t v;
	int err = 0;

	switch (k->type) {
	case K_PCT:
	case K_UINT:
		err = ctl_parse_range(val, 0, k->type == K_PCT ? 100 : k->max,
				      &v);
		if (err == 0)
			*(unsigned int *)field = (unsigned int)v;
		if (err == -ERANGE)
			return perr(e, line, "%s = %s: out of range 0-%" PRIu64,
				    k->name, val,
				    k->type == K_PCT ? 100 : k->max);
		break;
	case K_SIZE:
		err = ctl_parse_size(val, &v);
		if (err == 0)
			*(uint64_t *)field = v;
		break;
	case K_BOOL:
		err = parse_bool(val, (bool *)field);
		if (err < 0)
			return perr(e, line, "%s = %s: not yes or no", k->name,
				    val);
		break;
	case K_LIST:
	case K_DATA:
		err = list_copy(val, field, CTL_PF_LIST_MAX,
				k->type == K_DATA ? data_ok : NULL, bad,
				sizeof(bad));
		if (err == -E2BIG)
			return perr(e, line,
				    "%s: list too long (at most %d bytes)",
				    k->name, CTL_PF_LIST_MAX - 1);
		if (err < 0)
			return perr(
				e, line,
				"%s: '%s' is not a data mode (journal, ordered, writeback, none)",
				k->name, bad);
		break;
	}
	if (err < 0)
		return perr(e, line, "%s = %s: not a %s", k->name, val,
			    k->type == K_SIZE ? "size" : "number");
	return 0;
}

static unsigned int key_line(const unsigned int *lines, const char *name)
{
	for (size_t k = 0; k < ARRAY_SIZE(keys); k++)
		if (strcmp(keys[k].name, name) == 0)
			return lines[k];
	return 0;
}

/* Bounds that only make sense together, checked after the last line. */
static int policy_consistent(const struct ctl_preflight_policy *p,
			     const unsigned int *lines,
			     struct ctl_preflight_perr *e)
{
	static const struct {
		const char *lo, *hi;
	} pairs[] = {
		{"ext4.commit_min", "ext4.commit_warn"},
		{"ext4.commit_warn", "ext4.commit_max"},
		{"queue.depth_min", "queue.depth_warn"},
		{"vm.swappiness_min", "vm.swappiness_max"},
	};
	const uint64_t v[][2] = {
		{p->commit_min, p->commit_warn},
		{p->commit_warn, p->commit_max},
		{p->depth_min, p->depth_warn},
		{p->swappiness_min, p->swappiness_max},
	};

	for (size_t i = 0; i < ARRAY_SIZE(pairs); i++) {
		unsigned int l1 = key_line(lines, pairs[i].lo);
		unsigned int l2 = key_line(lines, pairs[i].hi);

		if (v[i][0] > v[i][1])
			return perr(e, l1 > l2 ? l1 : l2,
				    "%s %" PRIu64 " is above %s %" PRIu64,
				    pairs[i].lo, v[i][0], pairs[i].hi, v[i][1]);
	}
	if (p->depth_max && p->depth_max < p->depth_warn) {
		unsigned int l1 = key_line(lines, "queue.depth_max");
		unsigned int l2 = key_line(lines, "queue.depth_warn");

		return perr(e, l1 > l2 ? l1 : l2,
			    "queue.depth_max %" PRIu64
			    " is below queue.depth_warn %" PRIu64,
			    p->depth_max, p->depth_warn);
	}
	/* The write needs a read-write mount. */
	if (list_has(p->mount_require, "ro"))
		return perr(
			e, key_line(lines, "mount.require"),
			"mount.require: 'ro' contradicts the write (it needs rw)");
	if (list_has(p->mount_recommend, "ro"))
		return perr(
			e, key_line(lines, "mount.recommend"),
			"mount.recommend: 'ro' contradicts the write (it needs rw)");
	if (list_has(p->mount_forbid, "rw"))
		return perr(
			e, key_line(lines, "mount.forbid"),
			"mount.forbid: 'rw' contradicts the write (it needs rw)");
	if (p->util_pct == 0)
		return perr(e, key_line(lines, "queue.util_pct"),
			    "queue.util_pct must be 1-100");
	if (p->samples && p->sample_ms == 0)
		return perr(e, key_line(lines, "queue.sample_ms"),
			    "queue.sample_ms must be 1-10000");
	return 0;
}

static char *trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s &&
	       (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		*--end = '\0';
	return s;
}

int ctl_preflight_policy_parse(const char *text, struct ctl_preflight_policy *p,
			       struct ctl_preflight_perr *e)
{
	unsigned int lines[ARRAY_SIZE(keys)] = {0};
	unsigned int line = 0;

	if (e)
		*e = (struct ctl_preflight_perr){0};
	for (const char *s = text; *s;) {
		size_t n = strcspn(s, "\n");
		char buf[512], *key, *val, *eq, *hash;
		size_t k;
		int err;

		line++;
		/* A long line is fine when what is cut off is a comment. */
		memcpy(buf, s, n < sizeof(buf) ? n : sizeof(buf) - 1);
		buf[n < sizeof(buf) ? n : sizeof(buf) - 1] = '\0';
		if (n >= sizeof(buf) && !strchr(buf, '#'))
			return perr(e, line,
				    "line too long (at most %zu bytes)",
				    sizeof(buf) - 1);
		s += n + (s[n] == '\n');
		hash = strchr(buf, '#');
		if (hash)
			*hash = '\0';
		key = trim(buf);
		if (!*key)
			continue;
		eq = strchr(key, '=');
		if (!eq)
			return perr(e, line, "'%s': expected key = value", key);
		*eq = '\0';
		key = trim(key);
		val = trim(eq + 1);
		for (k = 0; k < ARRAY_SIZE(keys); k++)
			if (strcmp(keys[k].name, key) == 0)
				break;
		if (k == ARRAY_SIZE(keys))
			return perr(e, line, "unknown key '%s'", key);
		if (!*val && keys[k].type != K_LIST && keys[k].type != K_DATA)
			return perr(e, line, "%s: empty value", key);
		err = set_key(&keys[k], val, p, line, e);
		if (err < 0)
			return err;
		lines[k] = line;
	}
	return policy_consistent(p, lines, e);
}

int ctl_preflight_policy_load(const char *path, struct ctl_preflight_policy *p,
			      struct ctl_preflight_perr *e)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int err;

	if (e)
		*e = (struct ctl_preflight_perr){0};
	/* Non-blocking and regular files only: a FIFO would hang here. */
	err = ctl_file_read_input(AT_FDCWD, path, CTL_PF_POLICY_MAX, &buf,
				  &len);
	if (err == -EFBIG)
		return perr(e, 0, "larger than 64 KiB"), -EFBIG;
	if (err < 0)
		return err;
	if (strlen(buf) != len)
		return perr(e, 0, "not a text file (NUL byte)");
	return ctl_preflight_policy_parse(buf, p, e);
}

/* ---- results ---- */

const char *ctl_preflight_status_name(enum ctl_pf_status s)
{
	static const char *const names[] = {
		[CTL_PF_PASS] = "PASS",	  [CTL_PF_WARN] = "WARN",
		[CTL_PF_FAIL] = "FAIL",	  [CTL_PF_SKIP] = "SKIP",
		[CTL_PF_ERROR] = "ERROR",
	};

	return (unsigned int)s < ARRAY_SIZE(names) ? names[s] : "?";
}

static void res_init(struct ctl_preflight_result *res, const char *check)
{
	*res = (struct ctl_preflight_result){.status = CTL_PF_PASS};
	snprintf(res->check, sizeof(res->check), "%s", check);
}

/* snprintf that may truncate: report cells are cut, never overflowed. */
static void fmt(char *buf, size_t len, const char *f, ...) _printf_(3, 4);

static void fmt(char *buf, size_t len, const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	vsnprintf(buf, len, f, ap);
	va_end(ap);
}

#define FMT(field, ...) fmt(field, sizeof(field), __VA_ARGS__)

/* Human size as lsblk prints it: 1024-based, one decimal below 10. */
static const char *hsize(uint64_t v, char *buf, size_t len)
{
	static const char units[] = "BKMGTPE";
	double d = (double)v;
	size_t u = 0;

	while (d >= 1024 && u + 1 < sizeof(units) - 1) {
		d /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%" PRIu64 "B", v);
	else if (d < 10 && d != (double)(uint64_t)d)
		snprintf(buf, len, "%.1f%c", d, units[u]);
	else
		snprintf(buf, len, "%.0f%c", d, units[u]);
	return buf;
}

/* ---- decisions ---- */

void ctl_preflight_judge_space(const struct ctl_pf_space *m,
			       const struct ctl_preflight_policy *p,
			       struct ctl_preflight_result *res)
{
	char a[16], s[16], f[16], t[16];
	uint64_t reserve = m->total * p->space_reserve_pct / 100;
	bool unknown = m->size == CTL_PF_SIZE_UNKNOWN;
	uint64_t size = unknown ? 0 : m->size;
	uint64_t copy = size + m->file_size;

	res_init(res, "space");
	FMT(res->value, "%s free of %s", hsize(m->avail, a, sizeof(a)),
	    hsize(m->total, t, sizeof(t)));
	if (m->total == 0) {
		/* tmpfs size=0 (no limit), proc, sysfs: nothing to judge. */
		res->status = CTL_PF_SKIP;
		FMT(res->hint,
		    "the file system reports no size (tmpfs with size=0, proc, sysfs): see the memory row, or write elsewhere");
		return;
	}
	if (unknown)
		FMT(res->bound,
		    ">= %s reserve (%u%%); write size unknown (--size)",
		    hsize(reserve, f, sizeof(f)), p->space_reserve_pct);
	else
		FMT(res->bound, ">= %s write + %s reserve (%u%%)",
		    hsize(size, s, sizeof(s)), hsize(reserve, f, sizeof(f)),
		    p->space_reserve_pct);
	if (m->avail < size) {
		res->status = CTL_PF_FAIL;
		FMT(res->hint,
		    "the write does not fit: free space (df -h %s) or write elsewhere",
		    m->path);
	} else if (m->avail - size < reserve) {
		res->status = CTL_PF_WARN;
		FMT(res->hint,
		    "less than %u%% would be left: free space (df -h %s)",
		    p->space_reserve_pct, m->path);
	} else if (!unknown && m->file_size && m->avail < copy) {
		res->status = CTL_PF_WARN;
		FMT(res->bound, ">= %s write + %s temp copy",
		    hsize(size, s, sizeof(s)),
		    hsize(m->file_size, f, sizeof(f)));
		FMT(res->hint,
		    "no room for a temporary copy: edit in place with mmapwin patch (no second copy)");
	}
}

void ctl_preflight_judge_fstype(const struct ctl_pf_mount *m,
				const struct ctl_preflight_policy *p,
				struct ctl_preflight_result *res)
{
	res_init(res, "fstype");
	FMT(res->value, "%s on %s", m->fstype, m->target);
	FMT(res->bound, "%s", p->fs_types[0] ? p->fs_types : "any");
	if (p->fs_types[0] && !list_has(p->fs_types, m->fstype)) {
		res->status = CTL_PF_WARN;
		FMT(res->hint,
		    "%s is not in fs.types: the journal checks do not apply; write to an ext4 mount (findmnt -t ext4)",
		    m->fstype);
	}
}

static bool opt_set(const struct ctl_pf_mount *m, const char *opt)
{
	const char *eq = strchr(opt, '=');

	if (strcmp(opt, "ro") == 0)
		return m->ro;
	if (strcmp(opt, "rw") == 0)
		return !m->ro;
	/* "name=value" asks for that value, "name" for any. */
	if (eq) {
		char name[64], val[256];
		size_t n = (size_t)(eq - opt);

		if (n >= sizeof(name))
			return false;
		memcpy(name, opt, n);
		name[n] = '\0';
		return ctl_mount_opt(m->opts, name, val, sizeof(val)) == 1 &&
		       strcmp(val, eq + 1) == 0;
	}
	return ctl_mount_opt(m->opts, opt, NULL, 0) == 1;
}

/* Elements of LIST that are (WANT 0: not) set on M, into OUT. */
static size_t opts_diff(const struct ctl_pf_mount *m, const char *list,
			bool want, char *out, size_t len)
{
	size_t n = 0, o = 0;

	out[0] = '\0';
	for (const char *p = list; *p;) {
		char word[64];
		size_t l = strcspn(p, ",");

		if (l && l < sizeof(word)) {
			memcpy(word, p, l);
			word[l] = '\0';
			if (opt_set(m, word) != want) {
				n++;
				o += (size_t)snprintf(out + o, len - o, "%s%s",
						      o ? "," : "", word);
				if (o >= len)
					o = len - 1;
			}
		}
		p += l + (p[l] == ',');
	}
	return n;
}

/*
 * The options that undo LIST ("noexec,relatime" -> "exec,norelatime")
 * into OUT, for a remount hint. False when one is name=value, which has
 * no opposite.
 */
static bool opts_undo(const char *list, char *out, size_t len)
{
	size_t o = 0;

	out[0] = '\0';
	for (const char *p = list; *p;) {
		size_t l = strcspn(p, ",");
		char w[64];
		const char *pre = "no", *inv = w;

		if (l && l < sizeof(w)) {
			memcpy(w, p, l);
			w[l] = '\0';
			if (strchr(w, '='))
				return false;
			if (strcmp(w, "ro") == 0 || strcmp(w, "rw") == 0)
				pre = "", inv = w[1] == 'o' ? "rw" : "ro";
			else if (strcmp(w, "sync") == 0)
				pre = "a";
			else if (strncmp(w, "no", 2) == 0 && w[2])
				pre = "", inv = w + 2;
			o += (size_t)snprintf(out + o, len - o, "%s%s%s",
					      o ? "," : "", pre, inv);
			if (o >= len)
				o = len - 1;
		}
		p += l + (p[l] == ',');
	}
	return true;
}

/*
 * Mount options that stop programs: a mount that holds the running
 * system must never get one from a hint (noexec on / stops every
 * program, nosuid stops sudo and su, nodev device nodes, nosymfollow the
 * /lib64 -> usr/lib64 links).
 */
static bool stops_programs(const char *opt)
{
	static const char *const stop[] = {"noexec", "nosuid", "nodev",
					   "nosymfollow"};

	for (size_t i = 0; i < ARRAY_SIZE(stop); i++)
		if (strcmp(opt, stop[i]) == 0)
			return true;
	return false;
}

/* Split the comma list LIST into STOP (options that stop programs) and
 * REST, each of LEN bytes. */
static void split_stop(const char *list, char *stop, char *rest, size_t len)
{
	size_t so = 0, ro = 0;

	stop[0] = rest[0] = '\0';
	for (const char *p = list; *p;) {
		size_t l = strcspn(p, ",");
		char w[64];

		if (l && l < sizeof(w)) {
			bool s;

			memcpy(w, p, l);
			w[l] = '\0';
			s = stops_programs(w);
			if (s && so < len)
				so += (size_t)snprintf(stop + so, len - so,
						       "%s%s", so ? "," : "",
						       w);
			else if (!s && ro < len)
				ro += (size_t)snprintf(rest + ro, len - ro,
						       "%s%s", ro ? "," : "",
						       w);
		}
		p += l + (p[l] == ',');
	}
}

/* LIST without its "data=MODE" element into OUT, MODE into MODEBUF. */
static void drop_data(const char *list, char *out, size_t len, char *mode,
		      size_t modelen)
{
	size_t o = 0;

	out[0] = mode[0] = '\0';
	for (const char *p = list; *p;) {
		size_t l = strcspn(p, ",");

		if (l > 5 && strncmp(p, "data=", 5) == 0)
			snprintf(mode, modelen, "%.*s", (int)(l - 5), p + 5);
		else if (l && o < len)
			o += (size_t)snprintf(out + o, len - o, "%s%.*s",
					      o ? "," : "", (int)l, p);
		p += l + (p[l] == ',');
	}
}

/*
 * The hint for WHAT ("nodev missing") whose fix is remounting M with the
 * options ADD: that command, but never with an option that stops
 * programs on a mount that holds the running system (for those the row
 * says why and where such data belongs instead), and never with data=,
 * which a remount cannot change (EINVAL).
 */
static void remount_hint(const struct ctl_pf_mount *m, const char *what,
			 const char *add, struct ctl_preflight_result *res)
{
	char stop[CTL_PF_LIST_MAX + 64], rest[CTL_PF_LIST_MAX + 64];
	char opts[CTL_PF_LIST_MAX + 64], mode[32], tail[192] = "";

	drop_data(add, opts, sizeof(opts), mode, sizeof(mode));
	if (mode[0])
		FMT(tail,
		    "; data= cannot change on a remount: jcommit set --data %s --persist %s applies it at the next mount",
		    mode, m->target);
	if (!opts[0]) {
		FMT(res->hint, "%s%s", what, tail);
		return;
	}
	split_stop(opts, stop, rest, sizeof(stop));
	if (!m->system[0] || !stop[0]) {
		FMT(res->hint, "%s: mount -o remount,%s %s%s", what, opts,
		    m->target, tail);
		return;
	}
	FMT(res->hint,
	    "%s, but not on %s: it holds the running system (%s), and %s there would break it; put the data on a mount that has %s (findmnt -O %s)%s%s%s%s%s",
	    what, m->target, m->system, stop, stop, stop,
	    rest[0] ? "; for the rest: mount -o remount," : "", rest,
	    rest[0] ? " " : "", rest[0] ? m->target : "", tail);
}

void ctl_preflight_judge_mount(const struct ctl_pf_mount *m,
			       const struct ctl_preflight_policy *p,
			       struct ctl_preflight_result *res)
{
	char miss[CTL_PF_LIST_MAX], forb[CTL_PF_LIST_MAX], rec[CTL_PF_LIST_MAX];
	char undo[CTL_PF_LIST_MAX + 64], what[CTL_PF_LIST_MAX + 32];

	res_init(res, "mount");
	FMT(res->value, "%s", m->opts);
	FMT(res->bound, "rw%s%s%s%s%s%s", p->mount_require[0] ? ",need " : "",
	    p->mount_require, p->mount_forbid[0] ? ",not " : "",
	    p->mount_forbid, p->mount_recommend[0] ? ",want " : "",
	    p->mount_recommend);
	if (m->ro) {
		res->status = CTL_PF_FAIL;
		FMT(res->hint,
		    "read-only: the write cannot happen; mount -o remount,rw %s (if the kernel made it read-only after an error, see dmesg and fsck first)",
		    m->target);
	} else if (opts_diff(m, p->mount_require, true, miss, sizeof(miss))) {
		res->status = CTL_PF_FAIL;
		FMT(what, "%s missing", miss);
		remount_hint(m, what, miss, res);
	} else if (opts_diff(m, p->mount_forbid, false, forb, sizeof(forb))) {
		res->status = CTL_PF_FAIL;
		FMT(what, "%s set but forbidden", forb);
		if (opts_undo(forb, undo, sizeof(undo)))
			remount_hint(m, what, undo, res);
		else
			FMT(res->hint,
			    "%s: no remount option undoes it; drop it from the options of %s in /etc/fstab, then umount and mount it",
			    what, m->target);
	} else if (opts_diff(m, p->mount_recommend, true, rec, sizeof(rec))) {
		res->status = CTL_PF_WARN;
		FMT(what, "%s recommended", rec);
		remount_hint(m, what, rec, res);
	}
}

static const char *data_name(int d)
{
	return d == CTL_EXT4_DATA_NONE ? "none" : ctl_ext4_data_name(d);
}

void ctl_preflight_judge_data(const struct ctl_pf_ext4 *m,
			      const struct ctl_preflight_policy *p,
			      struct ctl_preflight_result *res)
{
	const char *d = data_name(m->data);
	char mode[16], why[64];

	res_init(res, "ext4-data");
	FMT(res->value, "data=%s%s", d,
	    m->data == CTL_EXT4_DATA_NONE ? " (no journal)" : "");
	FMT(res->bound, "%s (want %s)", p->ext4_data,
	    p->ext4_data_recommend[0] ? p->ext4_data_recommend : "any");
	if (!list_has(p->ext4_data, d))
		res->status = CTL_PF_FAIL;
	else if (p->ext4_data_recommend[0] &&
		 !list_has(p->ext4_data_recommend, d))
		res->status = CTL_PF_WARN;
	else
		return;
	if (m->data == CTL_EXT4_DATA_NONE) {
		/* tune2fs adds a journal to a mounted ext4 too (as /.journal). */
		if (m->source[0] == '/')
			FMT(res->hint,
			    "no journal: a crash mid-write needs fsck; tune2fs -O has_journal %s adds one, used from the next mount of %s",
			    m->source, m->target);
		else
			FMT(res->hint,
			    "no journal: a crash mid-write needs fsck; tune2fs -O has_journal on the device of %s adds one",
			    m->target);
		return;
	}
	if (!pick(p->ext4_data_recommend, p->ext4_data, "none", "ordered", mode,
		  sizeof(mode))) {
		FMT(res->hint,
		    "the policy allows no journal at all: tune2fs -O ^has_journal %s, on the unmounted file system",
		    m->source);
		return;
	}
	if (m->data == CTL_EXT4_DATA_WRITEBACK)
		FMT(why, "data=writeback can expose stale data after a crash");
	else
		FMT(why, "data=%s is not in ext4.data%s", d,
		    res->status == CTL_PF_WARN ? "_recommend" : "");
	/* The kernel cannot change data= on a remount. */
	FMT(res->hint,
	    "%s: jcommit set --data %s --persist %s; it applies at the next mount of %s (not on a remount)",
	    why, mode, m->target, m->target);
}

void ctl_preflight_judge_commit(const struct ctl_pf_ext4 *m,
				const struct ctl_preflight_policy *p,
				struct ctl_preflight_result *res)
{
	res_init(res, "ext4-commit");
	FMT(res->value, "commit=%u", m->commit);
	if (m->data == CTL_EXT4_DATA_NONE) {
		res->status = CTL_PF_SKIP;
		FMT(res->hint, "no journal: nothing to commit");
		return;
	}
	FMT(res->bound, "%u-%u s (fail > %u)", p->commit_min, p->commit_warn,
	    p->commit_max);
	if (m->commit > p->commit_max) {
		res->status = CTL_PF_FAIL;
		FMT(res->hint,
		    "a crash loses up to %u s of metadata: jcommit set --commit %u %s",
		    m->commit, p->commit_warn, m->target);
	} else if (m->commit > p->commit_warn) {
		res->status = CTL_PF_WARN;
		FMT(res->hint, "jcommit set --commit %u %s", p->commit_warn,
		    m->target);
	} else if (m->commit < p->commit_min) {
		res->status = CTL_PF_WARN;
		FMT(res->hint,
		    "frequent commits slow a bulk write: jcommit set --commit %u %s",
		    p->commit_min, m->target);
	}
}

void ctl_preflight_judge_sched(const struct ctl_pf_queue *m,
			       const struct ctl_preflight_policy *p,
			       struct ctl_preflight_result *res)
{
	char want[32];

	res_init(res, "scheduler");
	FMT(res->value, "%s: %s%s", m->name, m->sched,
	    m->sched_fixed ? " (fixed)" : "");
	FMT(res->bound, "%s (want %s)", p->sched[0] ? p->sched : "any",
	    p->sched_recommend[0] ? p->sched_recommend : "any");
	if (p->sched[0] && !list_has(p->sched, m->sched))
		res->status = CTL_PF_FAIL;
	else if (p->sched_recommend[0] &&
		 !list_has(p->sched_recommend, m->sched))
		res->status = CTL_PF_WARN;
	if (res->status == CTL_PF_PASS)
		return;
	if (m->sched_fixed)
		FMT(res->hint,
		    "%s has only %s (not configurable): add %s to queue.scheduler%s in the policy",
		    m->name, m->sched, m->sched,
		    res->status == CTL_PF_WARN ? "_recommend" : "");
	else if (pick(p->sched_recommend, p->sched, NULL, "mq-deadline", want,
		      sizeof(want)))
		FMT(res->hint, "qdepth set --scheduler %s %s", want, m->name);
}

void ctl_preflight_judge_depth(const struct ctl_pf_queue *m,
			       const struct ctl_preflight_policy *p,
			       struct ctl_preflight_result *res)
{
	uint64_t want = p->depth_warn;
	char sched[32];

	res_init(res, "depth");
	FMT(res->value, "%s: nr_requests=%" PRIu64, m->name, m->depth);
	if (p->depth_max)
		FMT(res->bound, "%" PRIu64 "-%" PRIu64 " (fail < %" PRIu64 ")",
		    p->depth_warn, p->depth_max, p->depth_min);
	else
		FMT(res->bound, ">= %" PRIu64 " (fail < %" PRIu64 ")",
		    p->depth_warn, p->depth_min);
	if (p->depth_max && m->depth > p->depth_max) {
		res->status = CTL_PF_FAIL;
		FMT(res->hint, "qdepth set --depth %" PRIu64 " %s",
		    p->depth_max, m->name);
		return;
	}
	if (m->depth < p->depth_min)
		res->status = CTL_PF_FAIL;
	else if (m->depth < p->depth_warn)
		res->status = CTL_PF_WARN;
	else
		return;
	if (!m->depth_range_max || want <= m->depth_range_max) {
		FMT(res->hint, "qdepth set --depth %" PRIu64 " %s", want,
		    m->name);
		return;
	}
	/* With "none" the hardware depth caps nr_requests; an elevator
	 * allows up to 2048, so switch first when the policy allows one. */
	if (!m->sched_fixed && want <= CTL_QUEUE_MAX_SCHED_DEPTH &&
	    pick(p->sched_recommend, p->sched, "none", "mq-deadline", sched,
		 sizeof(sched)))
		FMT(res->hint,
		    "%s allows at most %" PRIu64
		    " with %s: qdepth set --scheduler %s --depth %" PRIu64
		    " %s",
		    m->name, m->depth_range_max, m->sched, sched, want,
		    m->name);
	else
		FMT(res->hint,
		    "%s allows at most %" PRIu64
		    " with %s: qdepth set --depth max %s (queue.depth_warn %" PRIu64
		    " cannot be met here)",
		    m->name, m->depth_range_max, m->sched, m->name, want);
}

void ctl_preflight_judge_saturation(const struct ctl_pf_queue *m,
				    const struct ctl_preflight_policy *p,
				    struct ctl_preflight_result *res)
{
	res_init(res, "saturation");
	FMT(res->bound, "util < %u%% or await <= %u ms", p->util_pct,
	    p->await_ms);
	if (m->samples == 0) {
		res->status = CTL_PF_SKIP;
		FMT(res->value, "%s: not sampled", m->name);
		FMT(res->hint, "queue.samples = 0 in the policy");
		return;
	}
	FMT(res->value, "%s: util %.0f%% await %.1f ms (%u x %u ms)", m->name,
	    m->util, m->await, m->samples, p->sample_ms);
	if (!m->saturated)
		return;
	res->status = m->await > p->await_ms ? CTL_PF_FAIL : CTL_PF_WARN;
	FMT(res->hint,
	    "%s is busy: watch it with qdepth stat --saturation %u %s and write later, or throttle the writer",
	    m->name, p->util_pct, m->name);
}

void ctl_preflight_judge_swappiness(const struct ctl_pf_vm *m,
				    const struct ctl_preflight_policy *p,
				    struct ctl_preflight_result *res)
{
	bool cg = m->cg_path[0] != '\0';
	unsigned int v = cg ? (unsigned int)m->cg_swappiness : m->swappiness;

	res_init(res, "swappiness");
	if (cg)
		FMT(res->value,
		    "memory.swappiness=%u in cgroup v1 %s (vm.swappiness=%u outside)",
		    v, m->cg_path, m->swappiness);
	else
		FMT(res->value, "vm.swappiness=%u", v);
	FMT(res->bound, "%u-%u", p->swappiness_min, p->swappiness_max);
	if (v > p->swappiness_max)
		res->status = CTL_PF_FAIL;
	else if (v < p->swappiness_min)
		res->status = CTL_PF_WARN;
	else
		return;
	/* vm.swappiness does not reach into a v1 cgroup: only a cgroup of
	 * the command's own (swapadj run) changes what applies there. */
	if (cg)
		FMT(res->hint,
		    "%s: swapadj run --swappiness %u -- COMMAND runs the write in a cgroup with that value (vm.swappiness does not apply in this cgroup)",
		    res->status == CTL_PF_FAIL
			    ? "a large write pushes anonymous memory to swap"
			    : "too low risks OOM kills under pressure",
		    res->status == CTL_PF_FAIL ? p->swappiness_max
					       : p->swappiness_min);
	else if (res->status == CTL_PF_FAIL)
		FMT(res->hint,
		    "a large write pushes anonymous memory to swap: swapadj set %u, or swapadj run --swappiness %u -- COMMAND",
		    p->swappiness_max, p->swappiness_min);
	else
		FMT(res->hint,
		    "too low risks OOM kills under pressure: swapadj auto --once, or swapadj set %u",
		    p->swappiness_min);
}

void ctl_preflight_judge_memory(const struct ctl_pf_vm *m,
				const struct ctl_preflight_policy *p,
				struct ctl_preflight_result *res)
{
	char a[16], t[16], l[16], s[16];
	uint64_t room = m->mem_avail;
	double pct = m->mem_total ? (double)m->mem_avail * 100.0 /
					    (double)m->mem_total
				  : 0;

	res_init(res, "memory");
	if (m->cg_limit != CTL_CGROUP_UNLIMITED) {
		if (m->cg_limit < room)
			room = m->cg_limit;
		FMT(res->value, "%s available (%.0f%%), cgroup v%d max %s",
		    hsize(m->mem_avail, a, sizeof(a)), pct, m->cg_version,
		    hsize(m->cg_limit, l, sizeof(l)));
	} else {
		FMT(res->value, "%s available (%.0f%%) of %s, no cgroup limit",
		    hsize(m->mem_avail, a, sizeof(a)), pct,
		    hsize(m->mem_total, t, sizeof(t)));
	}
	if (m->size == CTL_PF_SIZE_UNKNOWN)
		FMT(res->bound, "avail >= %u%%; write size unknown (--size)",
		    p->mem_avail_pct);
	else
		FMT(res->bound, "avail >= %u%%; write %s <= %s",
		    p->mem_avail_pct, hsize(m->size, s, sizeof(s)),
		    hsize(room, l, sizeof(l)));
	if (pct < p->mem_avail_pct) {
		res->status = CTL_PF_FAIL;
		FMT(res->hint,
		    "the host is short of memory already: free memory first (swapadj show)");
	} else if (m->size != CTL_PF_SIZE_UNKNOWN && m->size > room) {
		res->status = CTL_PF_WARN;
		FMT(res->hint,
		    "the write does not fit in memory: stream it (mmapwin replace) or bound it (swapadj run --memory-max SIZE -- COMMAND)");
	}
}

/* The dirty limit in bytes, as the kernel derives it from the sysctls. */
static uint64_t dirty_limit(uint64_t bytes, uint64_t ratio, uint64_t avail)
{
	return bytes ? bytes : avail * ratio / 100;
}

void ctl_preflight_judge_dirty(const struct ctl_pf_dirty *m,
			       const struct ctl_preflight_policy *p,
			       struct ctl_preflight_result *res)
{
	uint64_t lim = dirty_limit(m->bytes, m->ratio, m->mem_avail);
	uint64_t bg = dirty_limit(m->bg_bytes, m->bg_ratio, m->mem_avail);
	char a[16], b[16], s[16], n[16];

	res_init(res, "dirty");
	FMT(res->value, "limit %s (%s), background %s (%s)",
	    hsize(lim, a, sizeof(a)), m->bytes ? "dirty_bytes" : "dirty_ratio",
	    hsize(bg, b, sizeof(b)),
	    m->bg_bytes ? "dirty_background_bytes" : "dirty_background_ratio");
	if (m->size == CTL_PF_SIZE_UNKNOWN)
		FMT(res->bound,
		    "limit >= %s, > background; write size unknown (--size)",
		    hsize(p->dirty_min, n, sizeof(n)));
	else
		FMT(res->bound, "limit >= %s, > background; write %s <= limit",
		    hsize(p->dirty_min, n, sizeof(n)),
		    hsize(m->size, s, sizeof(s)));
	if (lim == 0 || lim < p->dirty_min) {
		/* 0 in dirty_bytes means "use dirty_ratio": never hint it. */
		res->status = CTL_PF_FAIL;
		FMT(res->hint,
		    "writers stall almost at once: sysctl -w vm.dirty_bytes=%" PRIu64,
		    p->dirty_min > CTL_PF_DIRTY_DEFAULT ? p->dirty_min
							: CTL_PF_DIRTY_DEFAULT);
	} else if (bg >= lim) {
		res->status = CTL_PF_FAIL;
		FMT(res->hint,
		    "background writeback starts only at the hard limit: sysctl -w vm.dirty_background_bytes=%" PRIu64,
		    lim / 2);
	} else if (m->size != CTL_PF_SIZE_UNKNOWN && m->size > lim) {
		res->status = CTL_PF_WARN;
		FMT(res->hint,
		    "the writer is throttled to disk speed after %s of dirty data, as the kernel intends; mmapwin write --drop-behind keeps the page cache for the rest of the host",
		    a);
	}
}

void ctl_preflight_judge_uring(const struct ctl_pf_uring *m,
			       const struct ctl_preflight_policy *p,
			       struct ctl_preflight_result *res)
{
	res_init(res, "io_uring");
	if (m->disabled < 0)
		FMT(res->value, "probe %s (no io_uring_disabled sysctl)",
		    m->probe == 0 ? "ok" : strerror(-m->probe));
	else
		FMT(res->value, "io_uring_disabled=%d, probe %s", m->disabled,
		    m->probe == 0 ? "ok" : strerror(-m->probe));
	FMT(res->bound, "probe ok%s", p->uring_require ? " (required)" : "");
	if (m->probe == 0)
		return;
	res->status = p->uring_require ? CTL_PF_FAIL : CTL_PF_WARN;
	/* A hardening setting: never advise opening io_uring to everyone. */
	if (m->probe == -ENOSYS)
		FMT(res->hint,
		    "kernel without io_uring: mmapwin falls back to pwrite");
	else if (m->disabled == 2)
		FMT(res->hint,
		    "io_uring is off for every process: mmapwin falls back to pwrite; to allow one group only: sysctl -w kernel.io_uring_disabled=1 kernel.io_uring_group=GID");
	else if (m->disabled == 1)
		FMT(res->hint,
		    "only root and kernel.io_uring_group may use io_uring: run the writer in that group (sysctl kernel.io_uring_group), or mmapwin falls back to pwrite");
	else
		FMT(res->hint,
		    "refused although the sysctl allows it: a seccomp filter (container runtime)? mmapwin falls back to pwrite");
}

/* ---- gathering ---- */

/*
 * vm.swappiness, and on cgroup v1 the caller's own memory.swappiness,
 * which reclaim in a non-root v1 memory cgroup uses instead.
 */
static int measure_swappiness(const struct ctl_root *r, struct ctl_pf_vm *m)
{
	struct ctl_cgroup_mem cm;
	char dir[512];
	uint64_t v;
	int err = ctl_vm_swappiness_get(r, &m->swappiness);

	m->cg_swappiness = -1;
	m->cg_path[0] = '\0';
	if (err < 0)
		return err;
	err = ctl_cgroup_mem_find(r, &cm);
	if (err == -ENOTSUP)
		return 0;
	if (err < 0)
		return err;
	if (cm.version != 1 || strcmp(cm.self, "/") == 0)
		return 0;
	snprintf(dir, sizeof(dir), "%s%s", cm.mount, cm.self);
	err = ctl_attr_read_u64(r, dir, "memory.swappiness", &v);
	if (err < 0)
		return err;
	m->cg_swappiness = v > 200 ? 200 : (int)v;
	snprintf(m->cg_path, sizeof(m->cg_path), "%s", cm.self);
	return 0;
}

/* MemTotal, MemAvailable and the limit of the caller's memory cgroup. */
static int measure_memory(const struct ctl_root *r, struct ctl_pf_vm *m)
{
	struct ctl_cgroup_limit lim;
	struct ctl_cgroup_mem cm;
	struct ctl_meminfo mi;
	char dir[512];
	int err = ctl_vm_meminfo_read(r, &mi);

	if (err < 0)
		return err;
	m->mem_total = mi.total * 1024;
	m->mem_avail = mi.available * 1024;
	m->cg_limit = CTL_CGROUP_UNLIMITED;
	m->cg_version = 0;
	err = ctl_cgroup_mem_find(r, &cm);
	if (err == -ENOTSUP)
		return 0; /* no memory controller: no limit */
	if (err < 0)
		return err;
	/* The limits are read upwards from the caller's cgroup: a missing
	 * one would read as "no limit", which was not measured. */
	snprintf(dir, sizeof(dir), "%s%s", cm.mount,
		 strcmp(cm.self, "/") ? cm.self : "");
	if (!ctl_root_exists(r, dir))
		return -ENOENT;
	err = ctl_cgroup_self_limit(r, &lim);
	if (err < 0)
		return err;
	m->cg_limit = lim.max;
	m->cg_version = lim.version;
	return 0;
}

int ctl_preflight_measure_vm(const struct ctl_root *r, struct ctl_pf_vm *m)
{
	int err = measure_swappiness(r, m);

	return err < 0 ? err : measure_memory(r, m);
}

int ctl_preflight_measure_dirty(const struct ctl_root *r,
				struct ctl_pf_dirty *m)
{
	struct {
		const char *name;
		uint64_t *v;
	} f[] = {
		{"dirty_ratio", &m->ratio},
		{"dirty_bytes", &m->bytes},
		{"dirty_background_ratio", &m->bg_ratio},
		{"dirty_background_bytes", &m->bg_bytes},
	};
	struct ctl_meminfo mi;
	int err;

	for (size_t i = 0; i < ARRAY_SIZE(f); i++) {
		err = ctl_attr_read_u64(r, "/proc/sys/vm", f[i].name, f[i].v);
		if (err < 0)
			return err;
	}
	err = ctl_vm_meminfo_read(r, &mi);
	if (err < 0)
		return err;
	m->mem_avail = mi.available * 1024;
	return 0;
}

int ctl_preflight_measure_uring(const struct ctl_root *r,
				struct ctl_pf_uring *m)
{
	struct io_uring_params params = {0};
	uint64_t v;
	long fd;
	int err = ctl_attr_read_u64(r, "/proc/sys/kernel", "io_uring_disabled",
				    &v);

	if (err == -ENOENT)
		m->disabled = -1;
	else if (err < 0)
		return err;
	else
		m->disabled = v > 2 ? 2 : (int)v;
	fd = syscall(__NR_io_uring_setup, 1, &params);
	if (fd < 0) {
		m->probe = neg_errno();
	} else {
		m->probe = 0;
		close((int)fd);
	}
	return 0;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000,
			      .tv_nsec = (long)(ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Per-disk state of a sampling run. */
struct qsample {
	struct ctl_diskstat first, prev;
	struct ctl_satur sat;
	bool saturated;
};

/*
 * Sample the diskstats lines of the N queues in M together (one sleep per
 * round, whatever N is); saturated when every sample is >= util_pct.
 * ERRS[i] != 0 skips a disk; a failed read sets it.
 */
static void sample_queues(const struct ctl_root *r,
			  const struct ctl_preflight_policy *p,
			  struct ctl_pf_queue *m, int *errs, size_t n)
{
	struct qsample *qs = calloc(n ? n : 1, sizeof(*qs));
	struct ctl_diskstat cur;
	struct ctl_iostat s;
	double t0, t, tp;

	if (!qs) {
		for (size_t i = 0; i < n; i++)
			errs[i] = errs[i] ? errs[i] : -ENOMEM;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (!errs[i])
			errs[i] = ctl_diskstat_read(r, m[i].name, &qs[i].first);
		qs[i].prev = qs[i].first;
		ctl_satur_init(&qs[i].sat, p->util_pct, p->samples);
	}
	t0 = tp = now_ms();
	for (unsigned int k = 0; k < p->samples; k++) {
		sleep_ms(p->sample_ms);
		t = now_ms();
		for (size_t i = 0; i < n; i++) {
			if (errs[i])
				continue;
			errs[i] = ctl_diskstat_read(r, m[i].name, &cur);
			if (errs[i])
				continue;
			ctl_iostat_compute(&qs[i].prev, &cur, t - tp, &s);
			qs[i].saturated = ctl_satur_feed(&qs[i].sat, s.util);
			qs[i].prev = cur;
		}
		tp = t;
	}
	for (size_t i = 0; i < n; i++) {
		if (errs[i])
			continue;
		ctl_iostat_compute(&qs[i].first, &qs[i].prev, tp - t0, &s);
		m[i].samples = p->samples;
		m[i].saturated = qs[i].saturated;
		m[i].util = s.util;
		m[i].await = s.await;
	}
	free(qs);
}

/* Scheduler and depth of disk NAME into M (no sampling). */
static int read_queue(const struct ctl_root *r, const char *name,
		      struct ctl_pf_queue *m)
{
	struct ctl_queue q;
	uint64_t lo, hi;
	int err = ctl_queue_read(r, name, &q);

	if (err < 0)
		return err;
	*m = (struct ctl_pf_queue){0};
	snprintf(m->name, sizeof(m->name), "%s", q.name);
	snprintf(m->sched, sizeof(m->sched), "%s", q.sched);
	m->sched_fixed = q.sched_fixed;
	m->rotational = q.rotational;
	m->depth = q.depth;
	ctl_queue_range(&q, q.sched, &lo, &hi);
	m->depth_range_max = hi;
	return 0;
}

void ctl_preflight_measure_queues(const struct ctl_root *r,
				  const char *const *names, size_t n,
				  const struct ctl_preflight_policy *p,
				  struct ctl_pf_queue *m, int *errs)
{
	size_t ok = 0;

	for (size_t i = 0; i < n; i++)
		ok += (errs[i] = read_queue(r, names[i], &m[i])) == 0;
	/* No queue to sample (tmpfs, /proc, all unreadable): no sleep. */
	if (p->samples && ok)
		sample_queues(r, p, m, errs, n);
}

int ctl_preflight_measure_queue(const struct ctl_root *r, const char *name,
				const struct ctl_preflight_policy *p,
				struct ctl_pf_queue *m)
{
	int err;

	ctl_preflight_measure_queues(r, &name, 1, p, m, &err);
	return err;
}

/* A growable result array. */
struct results {
	struct ctl_preflight_result *v;
	size_t n;
};

static struct ctl_preflight_result *add(struct results *rs)
{
	struct ctl_preflight_result *v =
		realloc(rs->v, (rs->n + 1) * sizeof(*v));

	if (!v)
		return NULL;
	rs->v = v;
	return &v[rs->n++];
}

/* An ERROR row; the hint is the command that shows more: TOOL PATH. */
static int add_error(struct results *rs, const char *check, const char *what,
		     int err, const char *tool, const char *path)
{
	struct ctl_preflight_result *res = add(rs);

	if (!res)
		return -ENOMEM;
	res_init(res, check);
	res->status = CTL_PF_ERROR;
	res->err = err;
	FMT(res->value, "%s: %s", what, ctl_file_strerror(-err));
	if (err == -EACCES || err == -EPERM)
		FMT(res->hint, "run as root");
	else
		FMT(res->hint, "see %s %s", tool, path);
	return 0;
}

static int add_skip(struct results *rs, const char *check, const char *value,
		    const char *hint)
{
	struct ctl_preflight_result *res = add(rs);

	if (!res)
		return -ENOMEM;
	res_init(res, check);
	res->status = CTL_PF_SKIP;
	FMT(res->value, "%s", value);
	FMT(res->hint, "%s", hint);
	return 0;
}

#define ADD(rs, fn, m, p)                                                      \
	({                                                                     \
		struct ctl_preflight_result *_r = add(rs);                     \
		if (_r)                                                        \
			fn(m, p, _r);                                          \
		_r ? 0 : -ENOMEM;                                              \
	})

static bool is_ext4_driver(const char *fstype)
{
	return fstype &&
	       (strcmp(fstype, "ext4") == 0 || strcmp(fstype, "ext3") == 0 ||
		strcmp(fstype, "ext2") == 0);
}

/* Per-mount options, then the superblock's that are not among them. */
static void join_opts(const char *vfs, const char *fs, char *out, size_t len)
{
	size_t o = (size_t)snprintf(out, len, "%s", vfs ? vfs : "");

	for (const char *p = fs ? fs : ""; *p && o < len;) {
		size_t l = strcspn(p, ",");
		char item[256];

		if (l && l < sizeof(item)) {
			memcpy(item, p, l);
			item[l] = '\0';
			if (!list_has(out, item))
				o += (size_t)snprintf(out + o, len - o, "%s%s",
						      o ? "," : "", item);
		}
		p += l + (p[l] == ',');
	}
}

/*
 * 1 when host path P is on the mount ID of the file system whose files
 * have st_dev DEV; a path on that file system whose mount cannot be found
 * counts as on it (the safe answer). 0 when not, or -ENOMEM.
 */
static int on_mount(const struct ctl_root *r, const char *p, dev_t dev, int id)
{
	struct ctl_mount m = {0};
	struct stat st;
	int err;

	if (stat(p, &st) < 0 || st.st_dev != dev)
		return 0;
	err = ctl_mount_by_path(r, p, &m);
	if (err == -ENOMEM)
		return err;
	err = err < 0 || m.id == id;
	ctl_mount_clear(&m);
	return err;
}

/* Directories the host cannot run without. */
static const char *const system_dirs[] = {"/", "/usr", "/boot", "/etc", "/var"};

/* A file this process runs code from, on mount ID: into WHY. */
static int running_code(const struct ctl_root *r, dev_t dev, int id, char *why,
			size_t len)
{
	_cleanup_fclose_ FILE *f = ctl_root_fopen(r, "/proc/self/maps", "r");
	char line[PATH_MAX + 128], last[PATH_MAX] = "";

	/* A tree without it (or with a FIFO there, which is not read): the
	 * system directories still count. */
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char perms[8], *file, *end;
		int off = 0, err;

		/* "start-end perms offset dev inode   path" */
		if (sscanf(line, "%*s %7s %*s %*s %*s%n", perms, &off) != 1 ||
		    !off || !strchr(perms, 'x'))
			continue;
		file = line + off + strspn(line + off, " \t");
		end = file + strcspn(file, "\n");
		*end = '\0';
		/* A deleted file's path may name another file by now. */
		if (file[0] != '/' || strcmp(file, last) == 0 ||
		    (end - file > 10 && strcmp(end - 10, " (deleted)") == 0))
			continue;
		snprintf(last, sizeof(last), "%s", file);
		err = on_mount(r, file, dev, id);
		if (err < 0)
			return err;
		if (err) {
			fmt(why, len, "code running now: %s", file);
			return 0;
		}
	}
	return 0;
}

/*
 * Why the mount ID serving PATH holds the running system, into WHY ("" if
 * nothing does): the sysroot's system directories, the host's, then the
 * code this process runs.
 */
static int system_reason(const struct ctl_root *r, const char *path, int id,
			 char *why, size_t len)
{
	const char *root = ctl_root_dir(r);
	size_t rl = strlen(root);
	struct stat st;

	why[0] = '\0';
	if (stat(path, &st) < 0)
		return neg_errno();
	while (rl > 1 && root[rl - 1] == '/')
		rl--;
	for (int host = ctl_root_is_host(r); host < 2; host++) {
		for (size_t i = 0; i < ARRAY_SIZE(system_dirs); i++) {
			const char *d = system_dirs[i];
			char p[PATH_MAX];
			int err;

			if (host)
				snprintf(p, sizeof(p), "%s", d);
			else
				snprintf(p, sizeof(p), "%.*s%s", (int)rl, root,
					 strcmp(d, "/") ? d : "");
			err = on_mount(r, p, st.st_dev, id);
			if (err < 0)
				return err;
			if (err) {
				fmt(why, len, "%s", p);
				return 0;
			}
		}
	}
	return running_code(r, st.st_dev, id, why, len);
}

int ctl_preflight_measure_mount(const struct ctl_root *r, const char *path,
				struct ctl_pf_mount *m)
{
	struct ctl_mount mnt = {0};
	int err = ctl_mount_by_path(r, path, &mnt);

	*m = (struct ctl_pf_mount){0};
	if (err < 0) {
		ctl_mount_clear(&mnt);
		return err;
	}
	snprintf(m->target, sizeof(m->target), "%s", mnt.target);
	snprintf(m->source, sizeof(m->source), "%s", mnt.source);
	snprintf(m->fstype, sizeof(m->fstype), "%s", mnt.fstype);
	join_opts(mnt.vfs_opts, mnt.fs_opts, m->opts, sizeof(m->opts));
	m->ro = (mnt.vfs_flags & MS_RDONLY) || mnt.sb_ro;
	m->dev = mnt.dev;
	err = system_reason(r, path, mnt.id, m->system, sizeof(m->system));
	ctl_mount_clear(&mnt);
	return err;
}

static int run_mount(const struct ctl_root *r, const char *path,
		     const struct ctl_preflight_policy *p, struct results *rs)
{
	struct ctl_pf_mount pm;
	struct ctl_pf_ext4 pe = {0};
	struct ctl_ext4_live live;
	char kname[64];
	int err = ctl_preflight_measure_mount(r, path, &pm);

	if (err < 0) {
		if (err == -ENOMEM)
			return err;
		if ((err = add_error(rs, "mount", "mountinfo", err,
				     "findmnt --target", path)) < 0)
			return err;
		return add_skip(rs, "ext4", "-", "mount not found");
	}
	err = ADD(rs, ctl_preflight_judge_fstype, &pm, p);
	if (!err)
		err = ADD(rs, ctl_preflight_judge_mount, &pm, p);
	if (err < 0)
		return err;
	if (!is_ext4_driver(pm.fstype))
		return add_skip(rs, "ext4", pm.fstype,
				"not ext4: no journal mode or commit interval");
	snprintf(pe.target, sizeof(pe.target), "%s", pm.target);
	snprintf(pe.source, sizeof(pe.source), "%s", pm.source);
	err = ctl_ext4_kname(r, pm.dev, kname, sizeof(kname));
	if (!err)
		err = ctl_ext4_live_read(r, kname, &live);
	if (err == -ENOMEM)
		return err;
	if (err < 0)
		return add_error(rs, "ext4", "/proc/fs/ext4", err,
				 "jcommit show", path);
	pe.data = live.data;
	pe.commit = live.commit;
	err = ADD(rs, ctl_preflight_judge_data, &pe, p);
	return err ? err : ADD(rs, ctl_preflight_judge_commit, &pe, p);
}

static int run_queues(const struct ctl_root *r, const char *path,
		      const struct ctl_preflight_policy *p, struct results *rs)
{
	struct ctl_blk_list l = {0};
	_cleanup_free_ const char **names = NULL;
	_cleanup_free_ struct ctl_pf_queue *qs = NULL;
	_cleanup_free_ int *errs = NULL;
	size_t nq = 0, k = 0;
	int err = ctl_blk_resolve(r, path, CTL_BLK_FOLLOW_LOOP, &l);

	if (err < 0) {
		ctl_blk_list_free(&l);
		return err == -ENOMEM ? err
				      : add_error(rs, "queue", "resolve", err,
						  "qdepth show", path);
	}
	names = calloc(l.n + 1, sizeof(*names));
	qs = calloc(l.n + 1, sizeof(*qs));
	errs = calloc(l.n + 1, sizeof(*errs));
	if (!names || !qs || !errs) {
		ctl_blk_list_free(&l);
		return -ENOMEM;
	}
	for (size_t i = 0; i < l.n; i++)
		if (l.v[i].kind == CTL_BLK_QUEUE)
			names[nq++] = l.v[i].name;
	/* All queues sampled over the same window. */
	ctl_preflight_measure_queues(r, names, nq, p, qs, errs);
	for (size_t i = 0; i < l.n && !err; i++) {
		const struct ctl_blkdev *d = &l.v[i];
		struct ctl_pf_queue *q = &qs[k];
		char v[CTL_DEVNAME_MAX + 16];

		if (d->kind != CTL_BLK_QUEUE) {
			/* UNKNOWN: a device is there, it cannot be found. */
			const char *none = d->kind == CTL_BLK_UNKNOWN
						   ? "unknown device"
						   : "no block device";

			snprintf(v, sizeof(v), "%s",
				 d->name[0] ? d->name : none);
			err = add_skip(rs, "queue", v, d->via);
			continue;
		}
		if (errs[k++]) {
			err = add_error(rs, "queue", d->name, errs[k - 1],
					"qdepth show", path);
			continue;
		}
		err = ADD(rs, ctl_preflight_judge_sched, q, p);
		if (!err)
			err = ADD(rs, ctl_preflight_judge_depth, q, p);
		if (!err)
			err = ADD(rs, ctl_preflight_judge_saturation, q, p);
	}
	ctl_blk_list_free(&l);
	return err;
}

static int run_memory(const struct ctl_root *r, uint64_t size,
		      const struct ctl_preflight_policy *p, struct results *rs)
{
	struct ctl_pf_vm vm = {.size = size};
	struct ctl_pf_dirty dt = {0};
	struct ctl_pf_uring ur = {0};
	int err = measure_swappiness(r, &vm);

	/* Each check keeps its row: one that cannot be measured is ERROR. */
	if (err == -ENOMEM)
		return err;
	if (err < 0)
		err = add_error(rs, "swappiness", "swappiness", err, "swapadj",
				"show");
	else
		err = ADD(rs, ctl_preflight_judge_swappiness, &vm, p);
	if (err < 0)
		return err;
	err = measure_memory(r, &vm);
	if (err == -ENOMEM)
		return err;
	if (err < 0)
		err = add_error(rs, "memory", "meminfo and cgroup", err,
				"swapadj", "show");
	else
		err = ADD(rs, ctl_preflight_judge_memory, &vm, p);
	if (err < 0)
		return err;

	err = ctl_preflight_measure_dirty(r, &dt);
	dt.size = size;
	if (err < 0)
		err = add_error(rs, "dirty", "/proc/sys/vm", err, "sysctl",
				"vm.dirty_ratio vm.dirty_bytes");
	else
		err = ADD(rs, ctl_preflight_judge_dirty, &dt, p);
	if (err < 0)
		return err;

	err = ctl_preflight_measure_uring(r, &ur);
	if (err < 0)
		return add_error(rs, "io_uring", "/proc/sys/kernel", err,
				 "sysctl", "kernel.io_uring_disabled");
	return ADD(rs, ctl_preflight_judge_uring, &ur, p);
}

/*
 * The name a write to the missing TARGET creates, into BUF: TARGET, or
 * for a dangling symlink (a chain of them) the name it points to.
 */
static int created_name(const char *target, char *buf, size_t len)
{
	char link[PATH_MAX], dir[PATH_MAX];
	struct stat st;
	ssize_t n;

	if ((size_t)snprintf(buf, len, "%s", target) >= len)
		return -ENAMETOOLONG;
	for (int i = 0; i < 40; i++) {
		if (lstat(buf, &st) < 0)
			return errno == ENOENT ? 0 : neg_errno();
		if (!S_ISLNK(st.st_mode))
			return 0;
		n = readlink(buf, link, sizeof(link) - 1);
		if (n < 0)
			return neg_errno();
		link[n] = '\0';
		snprintf(dir, sizeof(dir), "%s", buf);
		if ((size_t)snprintf(buf, len, "%s%s%s",
				     link[0] == '/' ? "" : dirname(dir),
				     link[0] == '/' ? "" : "/", link) >= len)
			return -ENAMETOOLONG;
	}
	return -ELOOP;
}

int ctl_preflight_run(const struct ctl_root *r, const char *target,
		      uint64_t size, const struct ctl_preflight_policy *p,
		      struct ctl_preflight_result **out, size_t *n)
{
	struct results rs = {0};
	struct ctl_pf_space sp = {0};
	char name[PATH_MAX];
	_cleanup_free_ char *path = NULL;
	struct stat st;
	int err;

	if (!*target)
		return -EINVAL;
	/* A file about to be created: measure the directory it goes in. */
	if (stat(target, &st) < 0) {
		if (errno != ENOENT)
			return neg_errno();
		err = created_name(target, name, sizeof(name));
		if (err < 0)
			return err;
		target = dirname(name);
		if (stat(target, &st) < 0)
			return neg_errno();
	} else if (S_ISREG(st.st_mode)) {
		sp.file_size = (uint64_t)st.st_size;
	} else if (!S_ISDIR(st.st_mode)) {
		/* A device, FIFO or socket: its space and mount would be
		 * those of /dev, not of what a write to it reaches. */
		return -CTL_ENOTREG;
	}
	/*
	 * Absolute and without symlinks: ctl_blk_resolve() takes a name
	 * without '/' ("data.bin", "sda") for a kernel device name.
	 */
	path = realpath(target, NULL);
	if (!path)
		return neg_errno();
	/* Without --size: the size of the file, unknown for a new file or a
	 * directory (not 0 bytes, which every check would pass). */
	if (size != CTL_PF_SIZE_UNKNOWN)
		sp.size = size;
	else if (S_ISREG(st.st_mode) && st.st_size > 0)
		sp.size = sp.file_size;
	else
		sp.size = CTL_PF_SIZE_UNKNOWN;
	snprintf(sp.path, sizeof(sp.path), "%s", path);

	err = ctl_mount_space(path, &sp.avail, &sp.total);
	if (err == -ENOMEM)
		goto fail;
	if (err < 0)
		err = add_error(&rs, "space", "statvfs", err, "df -h", path);
	else
		err = ADD(&rs, ctl_preflight_judge_space, &sp, p);
	if (!err)
		err = run_mount(r, path, p, &rs);
	if (!err)
		err = run_queues(r, path, p, &rs);
	if (!err)
		err = run_memory(r, sp.size, p, &rs);
	if (err < 0)
		goto fail;
	*out = rs.v;
	*n = rs.n;
	return 0;
fail:
	free(rs.v);
	return err;
}
