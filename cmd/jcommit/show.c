// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * jcommit show: the effective journal settings of each file system and
 * where the next mount takes them from.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ctl/file.h"
#include "ctl/out.h"
#include "jcommit.h"

enum {
	COL_DEVICE,
	COL_TARGET,
	COL_FSTYPE,
	COL_DATA,
	COL_COMMIT,
	COL_FLAGS,
	COL_JOURNAL,
	COL_FASTCOMMIT,
	COL_JCSUM,
	COL_JSIZE,
	COL_TRANS,
	COL_AVGCOMMIT,
	COL_FSTAB,
	COL_SBDATA,
	COL_SBOPTS,
	COL_NEXTDATA,
	COL_NEXTCOMMIT,
	COL_NEXTFROM,
};

static const struct ctl_col cols[] = {
	[COL_DEVICE] = JC_COL_DEVICE,
	[COL_TARGET] = JC_COL_TARGET,
	[COL_FSTYPE] = {"FSTYPE", 0.05, 0, "file system type as mounted"},
	[COL_DATA] = {"DATA", 0.05, 0, "effective data= mode (live)"},
	[COL_COMMIT] = {"COMMIT", 0.05, CTL_COL_RIGHT | CTL_COL_NUMBER,
			"effective commit= seconds (live)"},
	[COL_FLAGS] = {"FLAGS", 0.2, CTL_COL_WRAP,
		       "mount flags (ro/rw, nosuid, nodev, noexec, atime)"},
	[COL_JOURNAL] = {"JOURNAL", 0.05, 0,
			 "has a journal: yes, no, external"},
	[COL_FASTCOMMIT] = {"FAST-COMMIT", 0.05, 0, "fast_commit feature"},
	[COL_JCSUM] = {"JCSUM", 0.05, 0, "journal checksum: v1, v2, v3 or no"},
	[COL_JSIZE] = {"JSIZE", 0.05, CTL_COL_RIGHT | CTL_COL_SIZE,
		       "journal size"},
	[COL_TRANS] = {"TRANS", 0.05, CTL_COL_RIGHT | CTL_COL_NUMBER,
		       "jbd2 transactions since mount"},
	[COL_AVGCOMMIT] = {"AVG-COMMIT", 0.05, CTL_COL_RIGHT,
			   "jbd2 average commit time"},
	[COL_FSTAB] =
		{"FSTAB", 0.1, 0,
		 "journal options of the fstab entry ('none' without an entry)"},
	[COL_SBDATA] = {"SB-DATA", 0.05, 0,
			"data mode in the superblock default mount options"},
	[COL_SBOPTS] = {"SB-OPTS", 0.2, 0, "superblock mount-options string"},
	[COL_NEXTDATA] = {"NEXT-DATA", 0.05, 0, "data mode at the next mount"},
	[COL_NEXTCOMMIT] = {"NEXT-COMMIT", 0.05, CTL_COL_RIGHT | CTL_COL_NUMBER,
			    "commit seconds at the next mount"},
	[COL_NEXTFROM] = {"NEXT-FROM", 0.2, 0,
			  "where the next values come from"},
};

#define DEF_COLS "DEVICE,TARGET,DATA,COMMIT,FLAGS,JOURNAL,SB-OPTS"
#define DEF_COLS_V                                                             \
	"DEVICE,TARGET,FSTYPE,DATA,COMMIT,FLAGS,JOURNAL,FAST-COMMIT,JCSUM,"    \
	"JSIZE,TRANS,AVG-COMMIT,FSTAB,SB-DATA,SB-OPTS,NEXT-DATA,NEXT-COMMIT,"  \
	"NEXT-FROM"

void show_columns_help(FILE *f)
{
	ctl_out_help(cols, ARRAY_SIZE(cols), f);
}

/* The journal options of the fstab entry. */
static void fmt_fstab(const struct ctl_ext4_fs *fi, char *buf, size_t len)
{
	char d[32] = "", c[32] = "";
	int hd, hc;

	if (fi->fstab < 0) {
		buf[0] = '\0'; /* unknown */
		return;
	}
	if (!fi->fstab) {
		snprintf(buf, len, "none");
		return;
	}
	hd = ctl_mount_opt(fi->fstab_opts, "data", d, sizeof(d)) == 1;
	hc = ctl_mount_opt(fi->fstab_opts, "commit", c, sizeof(c)) == 1;
	if (!hd && !hc)
		snprintf(buf, len, "defaults");
	else
		snprintf(buf, len, "%s%s%s%s%s", hd ? "data=" : "", d,
			 hd && hc ? "," : "", hc ? "commit=" : "", c);
}

static void add_row(const struct opts *o, struct ctl_out *out,
		    const struct ctl_ext4_fs *fi)
{
	struct ctl_row *row = cli_table_row(out);
	char buf[256];
	struct ctl_ext4_next nx;
	int j = ctl_ext4_fs_has_journal(fi);

	ctl_ext4_next_mount(ctl_ext4_fs_sb_data(fi), ctl_ext4_fs_sb_opts(fi),
			    fi->fstab > 0 ? fi->fstab_opts : NULL, &nx);
	ctl_out_set(out, row, COL_DEVICE, fi->dev[0] ? fi->dev : fi->m.source);
	ctl_out_set(out, row, COL_TARGET, fi->mounted ? fi->m.target : NULL);
	ctl_out_set(out, row, COL_FSTYPE, fi->mounted ? fi->m.fstype : NULL);
	if (fi->have_live) {
		ctl_out_set(out, row, COL_DATA,
			    j == 0 ? NULL : ctl_ext4_data_name(fi->live.data));
		if (j != 0)
			ctl_out_setf(out, row, COL_COMMIT, "%u",
				     fi->live.commit);
		ctl_out_set(out, row, COL_FLAGS, fi->m.vfs_opts);
	}
	ctl_out_set(out, row, COL_JOURNAL,
		    j < 0				     ? NULL
		    : !j				     ? "no"
		    : fi->have_sb && fi->sb.journal_external ? "external"
							     : "yes");
	if (fi->have_sb)
		ctl_out_set(out, row, COL_FASTCOMMIT,
			    fi->sb.fast_commit ? "yes" : "no");
	if (fi->have_jsb) {
		if (fi->sb.journal_csum)
			ctl_out_setf(out, row, COL_JCSUM, "v%d",
				     fi->sb.journal_csum);
		else
			ctl_out_set(out, row, COL_JCSUM, j > 0 ? "no" : NULL);
		if (fi->sb.journal_bytes)
			ctl_out_set_size(out, row, COL_JSIZE,
					 fi->sb.journal_bytes);
	}
	if (fi->have_ji) {
		ctl_out_setf(out, row, COL_TRANS, "%llu",
			     (unsigned long long)fi->ji.transactions);
		if (fi->ji.has_avg)
			ctl_out_setf(out, row, COL_AVGCOMMIT,
				     o->cli.fmt.json ? "%llu" : "%lluus",
				     (unsigned long long)fi->ji.avg_commit_us);
	}
	fmt_fstab(fi, buf, sizeof(buf));
	ctl_out_set(out, row, COL_FSTAB, buf[0] ? buf : NULL);
	/* Bits clear: "-" in the table, null in JSON as what is unknown. */
	if (ctl_ext4_fs_sb_data(fi) > CTL_EXT4_DATA_NONE ||
	    (ctl_ext4_fs_sb_data(fi) == CTL_EXT4_DATA_NONE && !o->cli.fmt.json))
		ctl_out_set(out, row, COL_SBDATA,
			    ctl_ext4_data_name(ctl_ext4_fs_sb_data(fi)));
	ctl_out_set(out, row, COL_SBOPTS, ctl_ext4_fs_sb_opts(fi));
	/* Every layer must be known, or the next values may be wrong. */
	if (j != 0 && ctl_ext4_fs_sb_opts(fi) && fi->fstab >= 0) {
		ctl_out_set(out, row, COL_NEXTDATA,
			    ctl_ext4_data_name(nx.data));
		ctl_out_setf(out, row, COL_NEXTCOMMIT, "%u", nx.commit);
		ctl_out_setf(out, row, COL_NEXTFROM, "data:%s,commit:%s",
			     nx.data_from, nx.commit_from);
	}
}

/*
 * The metrics of FI for --textfile: the live values of a mounted file
 * system with a journal (what the table shows in DATA and COMMIT).
 */
static void add_metrics(struct cli_prom *p, const struct ctl_ext4_fs *fi)
{
	const char *dev = fi->dev[0] ? fi->dev : fi->m.source;

	if (!fi->have_live || ctl_ext4_fs_has_journal(fi) == 0)
		return;
	cli_prom_metric(p, "ctl_ext4_commit_interval_seconds",
			"ext4 journal commit interval of the mount (commit=)");
	cli_prom_sample(p, fi->live.commit, "device", dev, "mountpoint",
			fi->m.target, NULL);
	cli_prom_metric(
		p, "ctl_ext4_data_mode_info",
		"ext4 journalling mode of the mount (data=), 1 for the mode in use");
	cli_prom_sample(p, 1, "device", dev, "mountpoint", fi->m.target, "mode",
			ctl_ext4_data_name(fi->live.data), NULL);
}

int cmd_show(const struct opts *o, const struct ctl_root *r,
	     const struct ctl_strv *targets)
{
	struct cli_prom *prom = o->cli.textfile ? cli_prom_new() : NULL;
	const char *defaults = o->cli.verbose ? DEF_COLS_V : DEF_COLS;
	struct ctl_col tc[ARRAY_SIZE(cols)];
	struct ctl_mount *mv = NULL;
	struct ctl_out *out;
	size_t nm = 0;
	int rc = 0, need = 0, err;

	/* JSON types what the table words for people: yes/no, 250us. */
	memcpy(tc, cols, sizeof(tc));
	if (o->cli.fmt.json) {
		tc[COL_FASTCOMMIT].flags |= CTL_COL_BOOL;
		tc[COL_AVGCOMMIT].flags |= CTL_COL_NUMBER;
	}
	out = cli_table_new(&o->cli, "filesystems", tc, ARRAY_SIZE(tc),
			    defaults);

	if (o->all) {
		err = ctl_mount_list(r, ctl_ext4_types, &mv, &nm);
		if (err < 0)
			cli_die(CTL_EXIT_FAIL, "mountinfo: %s",
				ctl_mount_strerror(-err));
	}
	/* What no column shows is not read: libext2fs, fstab. */
	if (ctl_out_has(out, COL_JCSUM) || ctl_out_has(out, COL_JSIZE))
		need |= RES_JOURNAL_SB;
	if (ctl_out_has(out, COL_FSTAB) || ctl_out_has(out, COL_NEXTDATA) ||
	    ctl_out_has(out, COL_NEXTCOMMIT) || ctl_out_has(out, COL_NEXTFROM))
		need |= RES_FSTAB;
	for (size_t i = 0; i < (o->all ? nm : targets->n); i++) {
		int fl = (o->all ? RES_QUIET : 0) |
			 (o->cli.verbose ? RES_VERBOSE : 0) | need;
		struct ctl_ext4_fs fi;
		int c = o->all ? resolve_listed(r, &mv[i], fl, &fi)
			       : resolve(r, targets->v[i], fl, &fi);

		if (c == 0)
			add_row(o, out, &fi);
		if (c == 0 && prom)
			add_metrics(prom, &fi);
		if (c && (!o->all || c != CTL_EXIT_UNSUPP))
			rc = rc > c ? rc : c;
		ctl_ext4_fs_free(&fi);
	}
	ctl_mount_list_free(mv, nm);
	err = cli_table_print(&o->cli, out);
	if (prom) {
		/* What was found, also when a target failed. */
		int perr = cli_prom_commit(prom, o->cli.textfile);

		err = err ? err : perr;
		cli_prom_free(prom);
	}
	return err ? err : rc;
}
