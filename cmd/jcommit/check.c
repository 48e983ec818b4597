// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * jcommit check: are the live journal settings and mount options of
 * each file system within bounds? For scripts: exit 1 when not.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/parse.h"
#include "jcommit.h"

enum { K_TARGET, K_DEVICE, K_DATA, K_COMMIT, K_PASS, K_PROBLEMS };

static const struct ctl_col check_cols[] = {
	[K_TARGET] = JC_COL_TARGET,
	[K_DEVICE] = JC_COL_DEVICE,
	[K_DATA] = {"DATA", 0.05, 0,
		    "live data= mode ('none' without a journal)"},
	[K_COMMIT] = {"COMMIT", 0.05, CTL_COL_RIGHT | CTL_COL_NUMBER,
		      "live commit= seconds"},
	[K_PASS] = {"PASS", 0.05, CTL_COL_BOOL, "within every bound given"},
	[K_PROBLEMS] = {"PROBLEMS", 0.4, CTL_COL_WRAP,
			"what is out of bounds, '; '-separated"},
};

#define CHECK_COLS "TARGET,DEVICE,DATA,COMMIT,PASS,PROBLEMS"

void check_columns_help(FILE *f)
{
	ctl_out_help(check_cols, ARRAY_SIZE(check_cols), f);
}

/*
 * What check finds out of bounds on one file system: a line each on
 * standard output ("NAME: what"), or with a table the PROBLEMS cell of
 * its row.
 */
struct findings {
	const struct opts *o;
	const char *name;
	FILE *mem; /* the cell being written, with a table */
	char *text;
	size_t len;
	int n;
};

static void found(struct findings *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void found(struct findings *f, const char *fmt, ...)
{
	va_list ap;

	f->n++;
	if (!f->mem && f->o->cli.quiet)
		return;
	if (!f->mem)
		printf("%s: ", f->name);
	else if (f->n > 1)
		fputs("; ", f->mem);
	va_start(ap, fmt);
	vfprintf(f->mem ? f->mem : stdout, fmt, ap);
	va_end(ap);
	if (!f->mem)
		putchar('\n');
}

/* Is OPT ("name" or "name=value") set on the mount of FI? */
static int opt_present(const struct ctl_ext4_fs *fi, const char *opt)
{
	const char *lists[] = {fi->m.vfs_opts, fi->m.fs_opts, fi->live.opts};
	char name[128], want[128], v[256];
	const char *eq = strchr(opt, '=');
	size_t n = eq ? (size_t)(eq - opt) : strlen(opt);

	if (n >= sizeof(name))
		return 0;
	memcpy(name, opt, n);
	name[n] = '\0';
	snprintf(want, sizeof(want), "%s", eq ? eq + 1 : "");
	/* ro/rw: the mount itself decides, not the superblock below it. */
	if (strcmp(name, "ro") == 0 || strcmp(name, "rw") == 0)
		return ctl_mount_opt(fi->m.vfs_opts, name, NULL, 0) == 1;
	for (size_t i = 0; i < ARRAY_SIZE(lists); i++) {
		if (ctl_mount_opt(lists[i], name, v, sizeof(v)) != 1)
			continue;
		if (!eq || strcmp(v, want) == 0)
			return 1;
	}
	return 0;
}

/* Each option of the comma list LIST that is not as WANT says. */
static void each_opt(struct findings *f, const char *list,
		     const struct ctl_ext4_fs *fi, int want)
{
	for (const char *p = list; p && *p;) {
		size_t len = strcspn(p, ",");
		char opt[128];

		if (len && len < sizeof(opt)) {
			memcpy(opt, p, len);
			opt[len] = '\0';
			if (opt_present(fi, opt) != want)
				found(f, "%s %s", opt,
				      want ? "missing (required)"
					   : "set (forbidden)");
		}
		p += len;
		if (*p == ',')
			p++;
	}
}

/* Check FI; with a table OUT, its row. Returns 0, 1 or an exit code. */
static int check_one(const struct opts *o, struct ctl_out *out,
		     const struct ctl_ext4_fs *fi, int flags)
{
	const char *d = ctl_ext4_data_name(fi->live.data);
	int j = ctl_ext4_fs_has_journal(fi);
	struct findings f = {o, ctl_ext4_fs_name(fi), NULL, NULL, 0, 0};
	struct ctl_row *row;

	if (!fi->mounted)
		return unsupported(
			flags,
			"%s: not mounted; check looks at live mounts only",
			f.name);
	if (out) {
		f.mem = open_memstream(&f.text, &f.len);
		if (!f.mem)
			cli_die(CTL_EXIT_FAIL, "%s", strerror(errno));
	}
	if (!j)
		d = "none";
	if (o->data_arg && !ctl_list_has(o->data_arg, d))
		found(&f, "data=%s not in %s", d, o->data_arg);
	if (o->min_arg && fi->live.commit < o->min_commit)
		found(&f, "commit=%u below --min-commit %u", fi->live.commit,
		      o->min_commit);
	if (o->max_arg && fi->live.commit > o->max_commit)
		found(&f, "commit=%u above --max-commit %u", fi->live.commit,
		      o->max_commit);
	each_opt(&f, o->require, fi, 1);
	each_opt(&f, o->forbid, fi, 0);
	if (out) {
		if (fclose(f.mem) != 0)
			cli_die(CTL_EXIT_FAIL, "%s", strerror(errno));
		row = cli_table_row(out);
		ctl_out_set(out, row, K_TARGET, f.name);
		ctl_out_set(out, row, K_DEVICE, fi->dev[0] ? fi->dev : NULL);
		ctl_out_set(out, row, K_DATA, d);
		ctl_out_setf(out, row, K_COMMIT, "%u", fi->live.commit);
		ctl_out_set(out, row, K_PASS, f.n ? "0" : "1");
		ctl_out_set(out, row, K_PROBLEMS, f.text);
		free(f.text);
	}
	return f.n ? CTL_EXIT_CHECK : 0;
}

/*
 * Nothing checked is never a pass: a target that is not a mounted ext4
 * file system is exit 4, or with --skip-unsupported skipped, as long as
 * another one was checked.
 */
int cmd_check(const struct opts *o, const struct ctl_root *r,
	      const struct ctl_strv *targets)
{
	int fl = !o->skip ? 0 : o->cli.quiet ? RES_QUIET : RES_SKIP;
	struct ctl_out *out = NULL;
	size_t checked = 0;
	int rc = 0, err;

	if (table_asked(o))
		out = cli_table_new(&o->cli, "filesystems", check_cols,
				    ARRAY_SIZE(check_cols), CHECK_COLS);
	if (targets->n == 0) {
		cli_warn(
			"check: no TARGET read from standard input; nothing checked");
		ctl_out_free(out);
		return CTL_EXIT_UNSUPP;
	}
	for (size_t i = 0; i < targets->n; i++) {
		struct ctl_ext4_fs fi;
		int c = resolve(r, targets->v[i], fl, &fi);

		if (c == 0)
			c = check_one(o, out, &fi, fl);
		if (c == CTL_EXIT_UNSUPP && o->skip)
			c = 0;
		else if (c == 0 || c == CTL_EXIT_CHECK)
			checked++;
		rc = rc > c ? rc : c;
		ctl_ext4_fs_free(&fi);
	}
	if (rc == 0 && checked == 0) {
		cli_warn(
			"check: no TARGET is a mounted ext4 file system; nothing checked");
		rc = CTL_EXIT_UNSUPP;
	}
	err = out ? cli_table_print(&o->cli, out) : 0;
	return err ? err : rc;
}
