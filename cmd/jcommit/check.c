// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * jcommit check: are the live journal settings and mount options of
 * each file system within bounds? For scripts: exit 1 when not.
 */
#include <stdio.h>
#include <string.h>

#include "ctl/parse.h"
#include "jcommit.h"

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

/* Call FN for each element of the comma list LIST. */
static int each_opt(const char *list, const struct ctl_ext4_fs *fi, int want,
		    const struct opts *o)
{
	int bad = 0;

	for (const char *p = list; p && *p;) {
		size_t len = strcspn(p, ",");
		char opt[128];

		if (len && len < sizeof(opt)) {
			memcpy(opt, p, len);
			opt[len] = '\0';
			if (opt_present(fi, opt) != want) {
				bad++;
				if (!o->cli.quiet)
					printf("%s: %s %s\n",
					       ctl_ext4_fs_name(fi), opt,
					       want ? "missing (required)"
						    : "set (forbidden)");
			}
		}
		p += len;
		if (*p == ',')
			p++;
	}
	return bad;
}

static int check_one(const struct opts *o, const struct ctl_ext4_fs *fi,
		     int flags)
{
	const char *name = ctl_ext4_fs_name(fi);
	const char *d = ctl_ext4_data_name(fi->live.data);
	int bad = 0, j = ctl_ext4_fs_has_journal(fi);

	if (!fi->mounted)
		return unsupported(
			flags,
			"%s: not mounted; check looks at live mounts only",
			name);
	if (o->data_arg && !ctl_list_has(o->data_arg, j ? d : "none")) {
		bad++;
		if (!o->cli.quiet)
			printf("%s: data=%s not in %s\n", name, j ? d : "none",
			       o->data_arg);
	}
	if (o->min_arg && fi->live.commit < o->min_commit) {
		bad++;
		if (!o->cli.quiet)
			printf("%s: commit=%u below --min-commit %u\n", name,
			       fi->live.commit, o->min_commit);
	}
	if (o->max_arg && fi->live.commit > o->max_commit) {
		bad++;
		if (!o->cli.quiet)
			printf("%s: commit=%u above --max-commit %u\n", name,
			       fi->live.commit, o->max_commit);
	}
	bad += each_opt(o->require, fi, 1, o);
	bad += each_opt(o->forbid, fi, 0, o);
	return bad ? CTL_EXIT_CHECK : 0;
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
	size_t checked = 0;
	int rc = 0;

	if (targets->n == 0) {
		cli_warn(
			"check: no TARGET read from standard input; nothing checked");
		return CTL_EXIT_UNSUPP;
	}
	for (size_t i = 0; i < targets->n; i++) {
		struct ctl_ext4_fs fi;
		int c = resolve(r, targets->v[i], fl, &fi);

		if (c == 0)
			c = check_one(o, &fi, fl);
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
	return rc;
}
