// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * preflight: the checks of the file system under the target: space, fstype,
 * mount, ext4-data, ext4-commit. Each decision is a pure function of a measurement and
 * the policy, so that every PASS/WARN/FAIL boundary is unit-tested on plain
 * values; the hint names the command that fixes what was found.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cmd/preflight/preflight.h"
#include "ctl/ext4.h"
#include "ctl/mount.h"

void pf_judge_space(const struct ctl_pf_space *m, const struct pf_policy *p,
		    struct pf_result *res)
{
	char a[24], s[24], f[24], t[24];
	uint64_t reserve = m->total * p->space_reserve_pct / 100;
	bool unknown = m->size == CTL_PF_SIZE_UNKNOWN;
	uint64_t size = unknown ? 0 : m->size;
	uint64_t copy = size + m->file_size;

	pf_res_init(res, "space");
	FMT(res->value, "%s free of %s", pf_hsize(m->avail, a, sizeof(a)),
	    pf_hsize(m->total, t, sizeof(t)));
	/* PASS: the write, the reserve and (known size) the temp copy fit */
	pf_res_num(res, (double)m->avail, "bytes",
		   (double)(!unknown && m->file_size && copy > size + reserve
				    ? copy
				    : size + reserve),
		   NAN);
	if (m->total == 0) {
		/* tmpfs size=0 (no limit), proc, sysfs: nothing to judge. */
		res->status = PF_SKIP;
		res->min = NAN;
		FMT(res->hint,
		    "the file system reports no size (tmpfs with size=0, proc, sysfs): see the memory row, or write elsewhere");
		return;
	}
	if (unknown)
		FMT(res->bound,
		    ">= %s reserve (%u%%); write size unknown (--size)",
		    pf_hsize(reserve, f, sizeof(f)), p->space_reserve_pct);
	else
		FMT(res->bound, ">= %s write + %s reserve (%u%%)",
		    pf_hsize(size, s, sizeof(s)),
		    pf_hsize(reserve, f, sizeof(f)), p->space_reserve_pct);
	if (m->avail < size) {
		res->status = PF_FAIL;
		FMT(res->hint,
		    "the write does not fit: free space (df -h %s) or write elsewhere",
		    m->path);
	} else if (m->avail - size < reserve) {
		res->status = PF_WARN;
		FMT(res->hint,
		    "less than %u%% would be left: free space (df -h %s)",
		    p->space_reserve_pct, m->path);
	} else if (!unknown && m->file_size && m->avail < copy) {
		res->status = PF_WARN;
		FMT(res->bound, ">= %s write + %s temp copy",
		    pf_hsize(size, s, sizeof(s)),
		    pf_hsize(m->file_size, f, sizeof(f)));
		FMT(res->hint,
		    "no room for a temporary copy: edit in place with mmapwin patch (no second copy)");
	}
}

void pf_judge_fstype(const struct ctl_pf_mount *m, const struct pf_policy *p,
		     struct pf_result *res)
{
	pf_res_init(res, "fstype");
	FMT(res->value, "%s on %s", m->fstype, m->target);
	FMT(res->bound, "%s", p->fs_types[0] ? p->fs_types : "any");
	if (p->fs_types[0] && !pf_list_has(p->fs_types, m->fstype)) {
		res->status = PF_WARN;
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
			 const char *add, struct pf_result *res)
{
	char stop[PF_LIST_MAX + 64], rest[PF_LIST_MAX + 64];
	char opts[PF_LIST_MAX + 64], mode[32], tail[192] = "";

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

void pf_judge_mount(const struct ctl_pf_mount *m, const struct pf_policy *p,
		    struct pf_result *res)
{
	char miss[PF_LIST_MAX], forb[PF_LIST_MAX], rec[PF_LIST_MAX];
	char undo[PF_LIST_MAX + 64], what[PF_LIST_MAX + 32];

	pf_res_init(res, "mount");
	FMT(res->value, "%s", m->opts);
	FMT(res->bound, "rw%s%s%s%s%s%s", p->mount_require[0] ? ",need " : "",
	    p->mount_require, p->mount_forbid[0] ? ",not " : "",
	    p->mount_forbid, p->mount_recommend[0] ? ",want " : "",
	    p->mount_recommend);
	if (m->ro) {
		res->status = PF_FAIL;
		FMT(res->hint,
		    "read-only: the write cannot happen; mount -o remount,rw %s (if the kernel made it read-only after an error, see dmesg and fsck first)",
		    m->target);
	} else if (opts_diff(m, p->mount_require, true, miss, sizeof(miss))) {
		res->status = PF_FAIL;
		FMT(what, "%s missing", miss);
		remount_hint(m, what, miss, res);
	} else if (opts_diff(m, p->mount_forbid, false, forb, sizeof(forb))) {
		res->status = PF_FAIL;
		FMT(what, "%s set but forbidden", forb);
		if (opts_undo(forb, undo, sizeof(undo)))
			remount_hint(m, what, undo, res);
		else
			FMT(res->hint,
			    "%s: no remount option undoes it; drop it from the options of %s in /etc/fstab, then umount and mount it",
			    what, m->target);
	} else if (opts_diff(m, p->mount_recommend, true, rec, sizeof(rec))) {
		res->status = PF_WARN;
		FMT(what, "%s recommended", rec);
		remount_hint(m, what, rec, res);
	}
}

static const char *data_name(int d)
{
	return d == CTL_EXT4_DATA_NONE ? "none" : ctl_ext4_data_name(d);
}

void pf_judge_data(const struct ctl_pf_ext4 *m, const struct pf_policy *p,
		   struct pf_result *res)
{
	const char *d = data_name(m->data);
	char mode[16], why[64];

	pf_res_init(res, "ext4-data");
	FMT(res->value, "data=%s%s", d,
	    m->data == CTL_EXT4_DATA_NONE ? " (no journal)" : "");
	FMT(res->bound, "%s (want %s)", p->ext4_data,
	    p->ext4_data_recommend[0] ? p->ext4_data_recommend : "any");
	if (!pf_list_has(p->ext4_data, d))
		res->status = PF_FAIL;
	else if (p->ext4_data_recommend[0] &&
		 !pf_list_has(p->ext4_data_recommend, d))
		res->status = PF_WARN;
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
	if (!pf_pick(p->ext4_data_recommend, p->ext4_data, "none", "ordered",
		     mode, sizeof(mode))) {
		FMT(res->hint,
		    "the policy allows no journal at all: tune2fs -O ^has_journal %s, on the unmounted file system",
		    m->source);
		return;
	}
	if (m->data == CTL_EXT4_DATA_WRITEBACK)
		FMT(why, "data=writeback can expose stale data after a crash");
	else
		FMT(why, "data=%s is not in ext4.data%s", d,
		    res->status == PF_WARN ? "_recommend" : "");
	/* The kernel cannot change data= on a remount. */
	FMT(res->hint,
	    "%s: jcommit set --data %s --persist %s; it applies at the next mount of %s (not on a remount)",
	    why, mode, m->target, m->target);
}

void pf_judge_commit(const struct ctl_pf_ext4 *m, const struct pf_policy *p,
		     struct pf_result *res)
{
	pf_res_init(res, "ext4-commit");
	FMT(res->value, "commit=%u", m->commit);
	pf_res_num(res, m->commit, "seconds", p->commit_min, p->commit_warn);
	if (m->data == CTL_EXT4_DATA_NONE) {
		res->min = res->max = NAN;
		res->status = PF_SKIP;
		FMT(res->hint, "no journal: nothing to commit");
		return;
	}
	FMT(res->bound, "%u-%u s (fail > %u)", p->commit_min, p->commit_warn,
	    p->commit_max);
	if (m->commit > p->commit_max) {
		res->status = PF_FAIL;
		FMT(res->hint,
		    "a crash loses up to %u s of metadata: jcommit set --commit %u %s",
		    m->commit, p->commit_warn, m->target);
	} else if (m->commit > p->commit_warn) {
		res->status = PF_WARN;
		FMT(res->hint, "jcommit set --commit %u %s", p->commit_warn,
		    m->target);
	} else if (m->commit < p->commit_min) {
		res->status = PF_WARN;
		FMT(res->hint,
		    "frequent commits slow a bulk write: jcommit set --commit %u %s",
		    p->commit_min, m->target);
	}
}
