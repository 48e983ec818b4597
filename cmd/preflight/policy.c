// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * preflight's policy: the defaults, the "key = value" file that replaces
 * them, and the list helpers the checks use on its values.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cmd/preflight/preflight.h"
#include "ctl/diskstats.h"
#include "ctl/ext4.h"
#include "ctl/file.h"
#include "ctl/parse.h"

void pf_policy_init(struct pf_policy *p)
{
	*p = (struct pf_policy){
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
		/* the saturation rule's defaults (ctl/diskstats.h) */
		.sat = {.util_pct = CTL_SAT_UTIL_PCT,
			.samples = CTL_SAT_SAMPLES,
			.sample_ms = 250},
		.await_ms = 200,
		.swappiness_min = 10,
		.swappiness_max = 60,
		.mem_avail_pct = 10,
		.dirty_min = PF_DIRTY_DEFAULT,
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

#define P(f) offsetof(struct pf_policy, f)
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
	{"queue.util_pct", K_PCT, P(sat.util_pct), 0},
	{"queue.samples", K_UINT, P(sat.samples), 20},
	{"queue.sample_ms", K_UINT, P(sat.sample_ms), 10000},
	{"queue.await_ms", K_UINT, P(await_ms), 3600000},
	{"vm.swappiness_min", K_UINT, P(swappiness_min), 200},
	{"vm.swappiness_max", K_UINT, P(swappiness_max), 200},
	{"mem.avail_min_pct", K_PCT, P(mem_avail_pct), 0},
	{"dirty.min_bytes", K_SIZE, P(dirty_min), 0},
	{"uring.require", K_BOOL, P(uring_require), 0},
};
#undef P

static int perr(struct pf_perr *e, unsigned int line, const char *fmt, ...)
	_printf_(3, 4);

static int perr(struct pf_perr *e, unsigned int line, const char *fmt, ...)
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

/* Move *P past separators; the length of the word there (0 at the end). */
static size_t next_word(const char **p)
{
	size_t n = 0;

	while (is_sep(**p))
		(*p)++;
	while ((*p)[n] && !is_sep((*p)[n]))
		n++;
	return n;
}

int pf_list_has(const char *list, const char *word)
{
	size_t n = strlen(word), len;

	for (const char *p = list; (len = next_word(&p)) != 0; p += len)
		if (len == n && strncmp(p, word, n) == 0)
			return 1;
	return 0;
}

/* The first element of LIST that ALLOWED lists ("" allows any) and that
 * is not SKIP (may be NULL), into OUT. False when there is none. */
static bool first_in(const char *list, const char *allowed, const char *skip,
		     char *out, size_t len)
{
	size_t n;

	for (const char *p = list; (n = next_word(&p)) != 0; p += n) {
		if (n < len) {
			memcpy(out, p, n);
			out[n] = '\0';
			if ((!allowed[0] || pf_list_has(allowed, out)) &&
			    (!skip || strcmp(out, skip) != 0))
				return true;
		}
	}
	out[0] = '\0';
	return false;
}

bool pf_pick(const char *pref, const char *allowed, const char *skip,
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
	size_t o = 0, n;

	out[0] = '\0';
	for (const char *p = val; (n = next_word(&p)) != 0; p += n) {
		char word[64];

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

static int set_key(const struct key *k, const char *val, struct pf_policy *p,
		   unsigned int line, struct pf_perr *e)
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
		err = list_copy(val, field, PF_LIST_MAX,
				k->type == K_DATA ? data_ok : NULL, bad,
				sizeof(bad));
		if (err == -E2BIG)
			return perr(e, line,
				    "%s: list too long (at most %d bytes)",
				    k->name, PF_LIST_MAX - 1);
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
static int policy_consistent(const struct pf_policy *p,
			     const unsigned int *lines, struct pf_perr *e)
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
	if (pf_list_has(p->mount_require, "ro"))
		return perr(
			e, key_line(lines, "mount.require"),
			"mount.require: 'ro' contradicts the write (it needs rw)");
	if (pf_list_has(p->mount_recommend, "ro"))
		return perr(
			e, key_line(lines, "mount.recommend"),
			"mount.recommend: 'ro' contradicts the write (it needs rw)");
	if (pf_list_has(p->mount_forbid, "rw"))
		return perr(
			e, key_line(lines, "mount.forbid"),
			"mount.forbid: 'rw' contradicts the write (it needs rw)");
	if (p->sat.util_pct == 0)
		return perr(e, key_line(lines, "queue.util_pct"),
			    "queue.util_pct must be 1-100");
	if (p->sat.samples && p->sat.sample_ms == 0)
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

int pf_policy_parse(const char *text, struct pf_policy *p, struct pf_perr *e)
{
	unsigned int lines[ARRAY_SIZE(keys)] = {0};
	unsigned int line = 0;

	if (e)
		*e = (struct pf_perr){0};
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

int pf_policy_load(const char *path, struct pf_policy *p, struct pf_perr *e)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int err;

	if (e)
		*e = (struct pf_perr){0};
	/* Non-blocking and regular files only: a FIFO would hang here. */
	err = ctl_file_read_input(AT_FDCWD, path, PF_POLICY_MAX, &buf, &len);
	if (err == -EFBIG)
		return perr(e, 0, "larger than 64 KiB"), -EFBIG;
	if (err < 0)
		return err;
	if (strlen(buf) != len)
		return perr(e, 0, "not a text file (NUL byte)");
	return pf_policy_parse(buf, p, e);
}
