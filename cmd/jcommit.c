// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * jcommit: the ext4 journal of mounted file systems: effective data= mode
 * and commit= interval and where each comes from, live and persistent
 * changes that keep ro/nosuid/nodev/noexec, journal checkpoint, and a
 * mount-flag check for scripts.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ctl/cli.h"
#include "ctl/ext4.h"
#include "ctl/file.h"
#include "ctl/mount.h"
#include "ctl/out.h"
#include "ctl/parse.h"
#include "ctl/root.h"

/*
 * The kernel rejects commit= above INT_MAX / HZ; HZ is at least 100, so
 * nothing above this can ever work. Between this and the kernel's real
 * limit, the kernel's EINVAL is reported.
 */
#define COMMIT_MAX (INT_MAX / 100)

/*
 * Without a live change to try it first, a persistent value must suit
 * any HZ (at most 1000): a commit= the kernel rejects makes it ignore the
 * whole superblock string at mount time.
 */
#define COMMIT_MAX_OFFLINE (INT_MAX / 1000)

enum {
	OPT_COMMIT = CTL_OPT_TOOL_BASE,
	OPT_PERSIST,
	OPT_SAVE,
	OPT_DATA,
	OPT_DISCARD,
	OPT_ZEROOUT,
	OPT_MIN_COMMIT,
	OPT_MAX_COMMIT,
	OPT_REQUIRE,
	OPT_FORBID,
	OPT_LEGACY,
	OPT_SKIP,
};

enum sub { SUB_SHOW, SUB_SET, SUB_CHECKPOINT, SUB_CHECK, SUB_RESTORE };

struct opts {
	struct ctl_cli cli;
	enum sub sub;
	const char *commit_arg;
	unsigned int commit;
	int persist;
	const char *save;
	const char *data_arg;
	int data; /* set --data */
	int discard, zeroout;
	const char *min_arg, *max_arg;
	unsigned int min_commit, max_commit;
	const char *require, *forbid;
	int legacy;
	int skip; /* check --skip-unsupported */
	int all; /* no TARGET argument at all: every ext mount */
};

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
	[COL_DEVICE] = {"DEVICE", 0.1, 0, "block device"},
	[COL_TARGET] = {"TARGET", 0.2, 0, "mount point"},
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
	[COL_JSIZE] = {"JSIZE", 0.05, CTL_COL_RIGHT, "journal size"},
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

/* Exit status after --help/--version: 3, with a message, if stdout failed. */
static int help_done(void)
{
	if (fclose(stdout) != 0 && errno != EPIPE) {
		warn("stdout");
		return CTL_EXIT_FAIL;
	}
	return CTL_EXIT_OK;
}

static void usage(void)
{
	fputs("usage: jcommit [show] [options] [TARGET ...]\n"
	      "       jcommit set --commit SEC [--persist] [--save FILE] [--dry-run] TARGET ...\n"
	      "       jcommit set --data MODE --persist [--save FILE] [--dry-run] TARGET ...\n"
	      "       jcommit checkpoint [--discard | --zeroout] [--dry-run] TARGET ...\n"
	      "       jcommit check [--data MODE[,MODE ...]] [--min-commit SEC] [--max-commit SEC]\n"
	      "              [--require OPT[,OPT ...]] [--forbid OPT[,OPT ...]] [--skip-unsupported]\n"
	      "              TARGET ...\n"
	      "       jcommit restore [--dry-run] FILE\n"
	      "\n"
	      "TARGET is a mount point, a path on an ext4 file system or a block device;\n"
	      "\"-\" reads targets from standard input.\n"
	      "\n"
	      "Options:\n"
	      "     --commit SEC         commit interval in seconds (0: kernel default)\n"
	      "     --persist            also write the superblock (next mount)\n"
	      "     --data MODE          journal, ordered or writeback\n"
	      "     --save FILE          record previous values for restore\n"
	      "     --discard            checkpoint: discard the journal blocks\n"
	      "     --zeroout            checkpoint: zero out the journal blocks\n"
	      "     --min-commit SEC     check: lowest commit interval allowed\n"
	      "     --max-commit SEC     check: highest commit interval allowed\n"
	      "     --require OPT,...    check: mount options that must be set\n"
	      "     --forbid OPT,...     check: mount options that must not be set\n"
	      "     --skip-unsupported   check: skip targets that are not mounted ext4\n"
	      "     --legacy-remount     change live values with mount(2) MS_REMOUNT\n"
	      "     --dry-run            show what would change, change nothing\n"
	      "     --sysroot DIR        read /proc, /sys and /etc under DIR\n"
	      " -o, --output LIST        columns to print (+LIST appends)\n"
	      " -J, --json               JSON output\n"
	      " -P, --pairs              KEY=\"value\" output\n"
	      " -r, --raw                raw output\n"
	      " -n, --noheadings         no header line\n"
	      " -q, --quiet              print nothing on success\n"
	      " -v, --verbose            more columns, more detail\n"
	      " -h, --help               this text\n"
	      " -V, --version            print the version\n"
	      "\n"
	      "Columns:\n",
	      stdout);
	ctl_out_help(cols, ARRAY_SIZE(cols), stdout);
}

static void usage_error(const char *obj, const char *reason)
	__attribute__((noreturn));

static void usage_error(const char *obj, const char *reason)
{
	warnx("%s: %s", obj, reason);
	fprintf(stderr, "Try 'jcommit --help' for more information.\n");
	exit(CTL_EXIT_USAGE);
}

enum {
	RES_QUIET = 1 << 0, /* no message for what is not ext4 */
	RES_VERBOSE = 1 << 1, /* explain what could not be read */
	RES_SKIP = 1 << 2, /* say that what is not ext4 is skipped */
	RES_JOURNAL_SB = 1 << 3, /* read the journal superblock too */
	RES_FSTAB = 1 << 4, /* look the fstab entry up */
};

/*
 * A target jcommit cannot act on (not ext4, not served by the ext4
 * driver, not mounted for check): the message as FLAGS want it. Returns
 * CTL_EXIT_UNSUPP.
 */
static int unsupported(int flags, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int unsupported(int flags, const char *fmt, ...)
{
	char msg[PATH_MAX * 2 + 256];
	va_list ap;

	if (flags & RES_QUIET)
		return CTL_EXIT_UNSUPP;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	warnx("%s%s", msg, (flags & RES_SKIP) ? "; skipped" : "");
	return CTL_EXIT_UNSUPP;
}

#define NO_E2FS "libext2fs.so.2 cannot be loaded (install libext2fs)"

/* The libctl flags for jcommit's FLAGS. */
static int fs_flags(int flags)
{
	return ((flags & RES_JOURNAL_SB) ? CTL_EXT4_FS_JOURNAL_SB : 0) |
	       ((flags & RES_FSTAB) ? CTL_EXT4_FS_FSTAB : 0);
}

/*
 * The message for ctl_ext4_fs_open() failing with ERR at FI->stage, or,
 * with RES_VERBOSE, for what of a mounted file system could not be
 * read. Returns 0 or an exit code (QUIET: no message for what is not
 * ext4; the listing of every ext mount skips those).
 */
static int resolve_done(const struct ctl_root *r, int flags,
			const struct ctl_ext4_fs *fi, int err)
{
	const char *arg = fi->arg;

	switch (err ? fi->stage : CTL_EXT4_AT_NONE) {
	case CTL_EXT4_AT_TARGET:
		errno = -err;
		warn("%s", arg);
		return CTL_EXIT_FAIL;
	case CTL_EXT4_AT_MOUNT:
		warnx("%s: cannot find its mount in %s/proc/self/mountinfo: %s",
		      arg, ctl_root_is_host(r) ? "" : ctl_root_dir(r),
		      ctl_file_strerror(-err));
		return CTL_EXIT_FAIL;
	case CTL_EXT4_AT_FSTYPE:
		return unsupported(
			flags, "%s: not an ext4 file system (%s mounted on %s)",
			arg, fi->m.fstype, fi->m.target);
	case CTL_EXT4_AT_DRIVER:
		return unsupported(
			flags,
			"%s: %s on %s is not served by the ext4 driver (no /proc/fs/ext4/%s/options)",
			arg, fi->m.fstype, fi->m.target,
			fi->kname[0] ? fi->kname : "?");
	case CTL_EXT4_AT_SB:
		if (err == -EMEDIUMTYPE)
			return unsupported(
				flags,
				"%s: not an ext4 file system (no ext2/3/4 superblock)",
				arg);
		warnx("%s: cannot read the superblock: %s", arg,
		      err == -ELIBACC ? NO_E2FS : strerror(-err));
		return CTL_EXIT_FAIL;
	default:
		break;
	}
	if (!(flags & RES_VERBOSE))
		return 0;
	if (fi->jsb_err == -ELIBACC)
		warnx("%s: journal superblock of %s not read: " NO_E2FS
		      "; JCSUM and JSIZE left empty",
		      arg, fi->dev);
	/* Mounted: the kernel still answers; say why columns are empty. */
	if (fi->sb_err < 0)
		warnx("%s: superblock of %s not read: %s (libext2fs: %s)", arg,
		      fi->dev, strerror(-fi->sb_err),
		      ctl_ext4_strerror(fi->sb.ext2_err));
	if (fi->fstab < 0)
		warnx("%s: %s/etc/fstab not read: %s; FSTAB and NEXT columns left empty",
		      arg, ctl_root_is_host(r) ? "" : ctl_root_dir(r),
		      ctl_file_strerror(-fi->fstab));
	return 0;
}

/* The file system ARG names. Returns 0 or an exit code after a message. */
static int resolve(const struct ctl_root *r, const char *arg, int flags,
		   struct ctl_ext4_fs *fi)
{
	return resolve_done(r, flags, fi,
			    ctl_ext4_fs_open(r, arg, fs_flags(flags), fi));
}

/* resolve() for an entry M of the mount list, taken over by FI. */
static int resolve_listed(const struct ctl_root *r, struct ctl_mount *m,
			  int flags, struct ctl_ext4_fs *fi)
{
	return resolve_done(r, flags, fi,
			    ctl_ext4_fs_from_mount(r, m, fs_flags(flags), fi));
}

/*
 * Changes go through the mount point path (fspick, the tune ioctls, the
 * checkpoint), which leads to whatever is mounted there now. Returns 0,
 * or an exit code after a message when another file system covers it.
 */
static int reachable(const struct ctl_ext4_fs *fi)
{
	if (!fi->mounted || !fi->covered)
		return 0;
	warnx("%s: another file system is mounted over this mount point, so %s cannot be reached through it; unmount that one first",
	      fi->m.target, fi->dev[0] ? fi->dev : fi->m.source);
	return CTL_EXIT_FAIL;
}

/*
 * The superblock and checkpoint ioctls need a file of the mount opened:
 * a mount whose root is a FIFO or device (a bind mount) has none. Returns
 * 0, or an exit code after a message.
 */
static int ioctl_reachable(const struct ctl_ext4_fs *fi)
{
	if (!fi->mounted || S_ISDIR(fi->root_mode) || S_ISREG(fi->root_mode))
		return 0;
	warnx("%s: the mount is of a FIFO or device, not of a directory or file, so its file system cannot be reached through it for this; use another mount of %s",
	      fi->m.target, fi->dev[0] ? fi->dev : fi->m.source);
	return CTL_EXIT_FAIL;
}

static void fmt_size(char *buf, size_t len, uint64_t b)
{
	if (b && b % (1024 * 1024) == 0)
		snprintf(buf, len, "%lluM", (unsigned long long)(b >> 20));
	else if (b && b % 1024 == 0)
		snprintf(buf, len, "%lluK", (unsigned long long)(b >> 10));
	else
		snprintf(buf, len, "%llu", (unsigned long long)b);
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

static int add_row(struct ctl_out *out, const struct ctl_ext4_fs *fi)
{
	struct ctl_row *row = ctl_out_row(out);
	char buf[256];
	struct ctl_ext4_next nx;
	int j = ctl_ext4_fs_has_journal(fi);

	if (!row)
		return -ENOMEM;
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
		if (fi->sb.journal_bytes) {
			fmt_size(buf, sizeof(buf), fi->sb.journal_bytes);
			ctl_out_set(out, row, COL_JSIZE, buf);
		}
	}
	if (fi->have_ji) {
		ctl_out_setf(out, row, COL_TRANS, "%llu",
			     (unsigned long long)fi->ji.transactions);
		if (fi->ji.has_avg)
			ctl_out_setf(out, row, COL_AVGCOMMIT, "%lluus",
				     (unsigned long long)fi->ji.avg_commit_us);
	}
	fmt_fstab(fi, buf, sizeof(buf));
	ctl_out_set(out, row, COL_FSTAB, buf[0] ? buf : NULL);
	if (ctl_ext4_fs_sb_data(fi) >= 0)
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
	return 0;
}

static int cmd_show(const struct opts *o, const struct ctl_root *r,
		    const struct ctl_strv *targets)
{
	const char *defaults = o->cli.verbose ? DEF_COLS_V : DEF_COLS;
	struct ctl_mount *mv = NULL;
	struct ctl_out *out = NULL;
	const char *bad = NULL;
	size_t nm = 0;
	int rc = 0, need = 0, err;

	err = ctl_out_new("filesystems", cols, ARRAY_SIZE(cols), defaults,
			  &o->cli.fmt, &out, &bad);
	if (err == -EINVAL && bad) {
		char col[64];

		snprintf(col, sizeof(col), "%.*s", (int)strcspn(bad, ","), bad);
		usage_error(col, "unknown column");
	}
	if (err < 0)
		errx(CTL_EXIT_FAIL, "output: %s", strerror(-err));
	if (o->all) {
		err = ctl_mount_list(r, ctl_ext4_types, &mv, &nm);
		if (err < 0)
			errx(CTL_EXIT_FAIL, "mountinfo: %s",
			     ctl_file_strerror(-err));
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

		if (c == 0 && add_row(out, &fi) < 0)
			c = CTL_EXIT_FAIL;
		if (c && (!o->all || c != CTL_EXIT_UNSUPP))
			rc = rc > c ? rc : c;
		ctl_ext4_fs_free(&fi);
	}
	ctl_mount_list_free(mv, nm);
	err = ctl_out_print(out, stdout);
	ctl_out_free(out);
	if (err < 0)
		rc = CTL_EXIT_FAIL;
	return rc;
}

/* --- changes --- */

static void report(const struct opts *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void report(const struct opts *o, const char *fmt, ...)
{
	va_list ap;

	if (o->cli.quiet)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* A data mode as the messages and the save file name it. */
static const char *data_word(int mode)
{
	return mode > 0 ? ctl_ext4_data_name(mode) : "none";
}

/*
 * One file system's change, planned before anything is written: the new
 * values, the old ones (for --save and a rollback), and what is done.
 */
struct change {
	struct ctl_ext4_fs fi;
	int dup; /* the file system of an earlier target: nothing to do */
	int live; /* change commit= of the mount */
	unsigned int commit, old_commit;
	unsigned int now_commit; /* read back after the change */
	int via; /* CTL_EXT4_VIA_* of the live change */
	int sb; /* write the superblock */
	int set_opts; /* replace its mount-options string with OPTS */
	char opts[CTL_EXT4_MOUNT_OPTS_MAX + 1];
	char old_opts[CTL_EXT4_MOUNT_OPTS_MAX + 2];
	int data, old_data; /* journal-mode bits; DATA KEEP: unchanged */
	int done_live, done_sb; /* what a rollback must undo */
};

static void changes_free(struct change *ch, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ctl_ext4_fs_free(&ch[i].fi);
	free(ch);
}

#define KEPT_FLAGS                                                             \
	(MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOSYMFOLLOW)

/*
 * Set commit= of the mount of FI to COMMIT, read it back into *NOW and
 * check that the mount flags stayed. *DONE tells whether the kernel took
 * the reconfigure (a failed read-back may follow a change). Returns 0 or
 * an exit code after a message.
 */
static int live_change(const struct opts *o, const struct ctl_root *r,
		       const struct ctl_ext4_fs *fi, unsigned int commit,
		       unsigned int *now, int *via, int *done)
{
	unsigned int want = commit ? commit : CTL_EXT4_COMMIT_DEFAULT;
	const char *name = ctl_ext4_fs_name(fi);
	struct ctl_ext4_live after;
	struct ctl_mount m2 = {0};
	char val[16];
	int err, moved;

	*done = 0;
	snprintf(val, sizeof(val), "%u", commit);
	err = ctl_ext4_reconfigure(fi->m.target, "commit", val, fi->m.sb_ro,
				   fi->m.vfs_flags,
				   o->legacy ? CTL_EXT4_RECONF_LEGACY : 0, via);
	switch (-err) {
	case 0:
		break;
	case EPERM:
		warnx("%s: changing the mount needs CAP_SYS_ADMIN; run as root",
		      name);
		return CTL_EXIT_FAIL;
	case EINVAL:
		warnx("%s: the kernel rejected commit=%s (the limit is INT_MAX/HZ seconds; see dmesg)",
		      name, val);
		return CTL_EXIT_FAIL;
	case EBUSY:
		warnx("%s: mount(2) cannot keep a %s mount of a %s superblock; drop --legacy-remount",
		      name, fi->m.sb_ro ? "read-write" : "read-only",
		      fi->m.sb_ro ? "read-only" : "writable");
		return CTL_EXIT_FAIL;
	default:
		warnx("%s: reconfigure with commit=%s failed: %s", name, val,
		      strerror(-err));
		return ctl_exit_for(err);
	}
	*done = 1;
	err = ctl_ext4_live_read(r, fi->kname, &after);
	if (err < 0) {
		warnx("%s: cannot read back /proc/fs/ext4/%s/options: %s", name,
		      fi->kname, strerror(-err));
		return CTL_EXIT_FAIL;
	}
	/* The same mount again (by its mount point, not another bind). */
	err = ctl_mount_by_path(r, fi->m.target, &m2);
	if (err < 0) {
		warnx("%s: cannot read the mount flags back: %s", name,
		      strerror(-err));
		return CTL_EXIT_FAIL;
	}
	moved = m2.id == fi->m.id &&
		(((m2.vfs_flags ^ fi->m.vfs_flags) & KEPT_FLAGS) ||
		 m2.sb_ro != fi->m.sb_ro);
	if (moved)
		warnx("%s: mount flags changed from %s to %s", name,
		      fi->m.vfs_opts, m2.vfs_opts);
	ctl_mount_clear(&m2);
	if (moved)
		return CTL_EXIT_FAIL;
	if (after.commit != want) {
		warnx("%s: commit is %u after the change, expected %u", name,
		      after.commit, want);
		return CTL_EXIT_FAIL;
	}
	*now = after.commit;
	return 0;
}

static int sb_error(const struct ctl_ext4_fs *fi, int err)
{
	const char *name = ctl_ext4_fs_name(fi);

	switch (-err) {
	case EPERM:
	case EACCES:
		warnx("%s: writing the superblock needs CAP_SYS_ADMIN; run as root",
		      name);
		return CTL_EXIT_FAIL;
	case EROFS:
		warnx("%s: the superblock of a read-only mount cannot be changed; remount it rw, or unmount it and run jcommit on %s",
		      name, fi->dev[0] ? fi->dev : "the device");
		return CTL_EXIT_FAIL;
	case ENOTTY:
	case EOPNOTSUPP:
		warnx("%s: changing the superblock of a mounted file system needs Linux 6.18 or later (EXT4_IOC_SET_TUNE_SB_PARAM); unmount it and run jcommit on %s",
		      name, fi->dev[0] ? fi->dev : "the device");
		return CTL_EXIT_UNSUPP;
	case EBUSY:
		warnx("%s: the device is in use (mounted, maybe in another mount namespace, or held open exclusively); refusing to write its superblock; unmount it first",
		      name);
		return CTL_EXIT_FAIL;
	case EUCLEAN:
		warnx("%s: the journal needs recovery (needs_recovery is set), and replaying it would undo a superblock change; run e2fsck -p -E journal_only %s first",
		      name, fi->dev[0] ? fi->dev : name);
		return CTL_EXIT_FAIL;
	default:
		warnx("%s: writing the superblock failed: %s", name,
		      strerror(-err));
		return CTL_EXIT_FAIL;
	}
}

/*
 * Can the superblock of FI be written now? Mounted: through a writable
 * mount, by a kernel whose GET_TUNE_SB_PARAM offers the NEED flags.
 * Unmounted: a device nobody else holds, with no journal to replay.
 * Returns 0 or an exit code after a message.
 */
static int sb_ready(struct ctl_ext4_fs *fi, uint32_t need)
{
	int err;

	if (fi->mounted) {
		err = ioctl_reachable(fi);
		if (err)
			return err;
		/* The SET needs the superblock and this mount writable. */
		if (fi->m.sb_ro || (fi->m.vfs_flags & MS_RDONLY))
			return sb_error(fi, -EROFS);
		if (!fi->have_tune) {
			struct ext4_tune_sb_params p;

			err = ctl_ext4_tune_get(fi->m.target, &p);
			return sb_error(fi, err < 0 ? err : -EIO);
		}
		if ((fi->tune.set_flags & need) != need)
			return sb_error(fi, -EOPNOTSUPP);
		return 0;
	}
	err = ctl_ext4_sb_writable(fi->dev, &fi->sb);
	if (err < 0)
		return sb_error(fi, err);
	fi->have_sb = 1;
	return 0;
}

/* Plan the superblock part of CH (its new values set): checks, old values. */
static int plan_sb(struct change *ch)
{
	uint32_t need = 0;
	int rc;

	if (ch->set_opts)
		need |= EXT4_TUNE_FL_MOUNT_OPTS;
	if (ch->data != CTL_EXT4_DATA_KEEP)
		need |= EXT4_TUNE_FL_DEFAULT_MNT_OPTS;
	rc = sb_ready(&ch->fi, need);
	if (rc)
		return rc;
	snprintf(ch->old_opts, sizeof(ch->old_opts), "%s",
		 ctl_ext4_fs_sb_opts(&ch->fi) ? ctl_ext4_fs_sb_opts(&ch->fi)
					      : "");
	ch->old_data = ctl_ext4_fs_sb_data(&ch->fi);
	ch->sb = 1;
	return 0;
}

/*
 * mount(2) MS_REMOUNT sets the ro/rw state of the mount and of the
 * superblock together: with --legacy-remount a mount whose state differs
 * from its superblock's cannot be kept. Returns 0 or an exit code.
 */
static int legacy_ok(const struct opts *o, const struct ctl_ext4_fs *fi)
{
	if (!o->legacy || !(fi->m.vfs_flags & MS_RDONLY) == !fi->m.sb_ro)
		return 0;
	warnx("%s: mount(2) cannot keep a %s mount of a %s superblock; drop --legacy-remount",
	      ctl_ext4_fs_name(fi), fi->m.sb_ro ? "read-write" : "read-only",
	      fi->m.sb_ro ? "read-only" : "writable");
	return CTL_EXIT_FAIL;
}

/* Does the superblock of CH still hold the old values? 0 when unknown. */
static int sb_unchanged(const struct change *ch)
{
	char cur[CTL_EXT4_MOUNT_OPTS_MAX + 2];
	int data;

	if (ctl_ext4_fs_sb_now(&ch->fi, cur, sizeof(cur), &data) < 0)
		return 0;
	return (!ch->set_opts || strcmp(cur, ch->old_opts) == 0) &&
	       (ch->data == CTL_EXT4_DATA_KEEP || data == ch->old_data);
}

/* Make the change CH; on failure, note what a rollback must undo. */
static int apply_change(const struct opts *o, const struct ctl_root *r,
			struct change *ch)
{
	int rc, err;

	if (ch->dup)
		return 0;
	if (ch->live) {
		rc = live_change(o, r, &ch->fi, ch->commit, &ch->now_commit,
				 &ch->via, &ch->done_live);
		if (rc)
			return rc;
	}
	if (!ch->sb)
		return 0;
	err = ctl_ext4_fs_sb_write(&ch->fi, ch->set_opts ? ch->opts : NULL,
				   ch->data);
	/* A write can fail after reaching the disk (a failed flush): look. */
	ch->done_sb = err == 0 || !sb_unchanged(ch);
	return err < 0 ? sb_error(&ch->fi, err) : 0;
}

/*
 * Undo what CH did, superblock first (the reverse order). Returns 1 when
 * something was undone, 0 when there was nothing to undo, -1 when a
 * rollback failed (after a message).
 */
static int undo_change(const struct opts *o, const struct ctl_root *r,
		       struct change *ch)
{
	const char *name = ctl_ext4_fs_name(&ch->fi);
	int did = 0, bad = 0, err, via, done;
	unsigned int now;

	if (ch->done_sb) {
		err = ctl_ext4_fs_sb_write(&ch->fi,
					   ch->set_opts ? ch->old_opts : NULL,
					   ch->data == CTL_EXT4_DATA_KEEP
						   ? CTL_EXT4_DATA_KEEP
						   : ch->old_data);
		if (err < 0) {
			warnx("%s: rolling back the superblock failed: %s",
			      name, strerror(-err));
			bad = 1;
		} else {
			if (ch->set_opts)
				warnx("%s: rolled back: superblock mount options \"%s\" -> \"%s\"",
				      name, ch->opts, ch->old_opts);
			if (ch->data != CTL_EXT4_DATA_KEEP)
				warnx("%s: rolled back: superblock default data mode %s -> %s",
				      name, data_word(ch->data),
				      data_word(ch->old_data));
			ch->done_sb = 0;
			did = 1;
		}
	}
	if (ch->done_live) {
		if (live_change(o, r, &ch->fi, ch->old_commit, &now, &via,
				&done)) {
			warnx("%s: rolling back commit=%u failed", name,
			      ch->old_commit);
			bad = 1;
		} else {
			warnx("%s: rolled back: commit %u -> %u (live)", name,
			      ch->commit ? ch->commit : CTL_EXT4_COMMIT_DEFAULT,
			      now);
			ch->done_live = 0;
			did = 1;
		}
	}
	return bad ? -1 : did;
}

/*
 * Make the N changes CH in order; when one fails, undo what was done,
 * last first. VERB ("changed", "restored") words the summary. Returns 0
 * or an exit code; *KEPT tells that a rollback failed, so changes stay.
 */
static int apply_all(const struct opts *o, const struct ctl_root *r,
		     struct change *ch, size_t n, const char *verb, int *kept)
{
	size_t i, undone = 0, failed = 0;
	int rc = 0;

	*kept = 0;
	for (i = 0; i < n && rc == 0; i++)
		rc = apply_change(o, r, &ch[i]);
	if (rc == 0)
		return 0;
	while (i-- > 0) {
		int u = undo_change(o, r, &ch[i]);

		failed += u < 0;
		undone += u > 0;
	}
	if (failed) {
		*kept = 1;
		warnx("%zu file system%s could not be rolled back and keep%s the new values (see above)",
		      failed, failed == 1 ? "" : "s", failed == 1 ? "s" : "");
	} else if (undone) {
		warnx("nothing %s: rolled back %zu file system%s", verb, undone,
		      undone == 1 ? "" : "s");
	}
	return rc;
}

/* Print what CH changed (or, with --dry-run, would change). */
static void report_change(const struct opts *o, const struct change *ch)
{
	const char *name = ctl_ext4_fs_name(&ch->fi);
	const char *dry = o->cli.dry_run ? " (dry run)" : "";

	if (ch->dup)
		return;
	if (ch->live && o->cli.dry_run)
		report(o, "%s: commit %u -> %u (live, dry run)", name,
		       ch->old_commit,
		       ch->commit ? ch->commit : CTL_EXT4_COMMIT_DEFAULT);
	else if (ch->live)
		report(o, "%s: commit %u -> %u (live, %s)", name,
		       ch->old_commit, ch->now_commit,
		       ch->via == CTL_EXT4_VIA_FSCONFIG
			       ? "fsconfig"
			       : "mount(2) MS_REMOUNT");
	if (ch->sb && ch->set_opts)
		report(o, "%s: superblock mount options \"%s\" -> \"%s\"%s",
		       name, ch->old_opts, ch->opts, dry);
	if (ch->sb && ch->data != CTL_EXT4_DATA_KEEP)
		report(o,
		       "%s: superblock default data mode %s -> %s (next mount)%s",
		       name, data_word(ch->old_data), data_word(ch->data), dry);
}

/* --- save files --- */

/* Save files are small: a record is a few hundred bytes. */
#define SAVE_MAX (1u << 20)
#define SAVE_HEADER "# jcommit save file; undo with: jcommit restore FILE\n"
#define SAVE_MAGIC "# jcommit save file"

/* The --save file as it was, put back when a change is rolled back. */
struct prev_save {
	int existed;
	char *buf;
	size_t len;
	mode_t mode;
};

/*
 * Check --save PATH before any change: a regular file or none, and if
 * one, a jcommit save file (never replace another file by mistake); keep
 * its bytes in *PS. Returns 0 or an exit code after a message.
 */
static int save_prepare(const char *path, struct prev_save *ps)
{
	struct stat st;
	int err;

	memset(ps, 0, sizeof(*ps));
	err = ctl_file_read_input(AT_FDCWD, path, SAVE_MAX, &ps->buf, &ps->len);
	if (err == -ENOENT)
		return 0; /* a missing directory shows when writing */
	if (err == -CTL_ENOTREG || err == -EISDIR) {
		warnx("--save %s: %s", path, ctl_file_strerror(-err));
		return CTL_EXIT_USAGE;
	}
	if (err == -EFBIG ||
	    (err == 0 && ps->len &&
	     strncmp(ps->buf, SAVE_MAGIC, strlen(SAVE_MAGIC)))) {
		warnx("--save %s: exists and is not a jcommit save file; refusing to replace it (remove it or name another file)",
		      path);
		return CTL_EXIT_USAGE;
	}
	if (err < 0) {
		warnx("--save %s: %s", path, ctl_file_strerror(-err));
		return CTL_EXIT_FAIL;
	}
	ps->existed = 1;
	ps->mode = stat(path, &st) == 0 ? st.st_mode & 07777 : 0644;
	return 0;
}

/* One record: what restore needs to put CH's file system back. */
static void save_record(FILE *f, const struct change *ch)
{
	const struct ctl_ext4_fs *fi = &ch->fi;

	fprintf(f, "target=%s\n", ctl_ext4_fs_name(fi));
	if (fi->dev[0])
		fprintf(f, "device=%s\n", fi->dev);
	if (fi->have_sb)
		fprintf(f, "uuid=%s\n", fi->sb.uuid);
	if (ch->live)
		fprintf(f, "commit=%u\n", ch->old_commit);
	if (ch->sb && ch->set_opts)
		fprintf(f, "sb_mount_opts=%s\n", ch->old_opts);
	if (ch->sb && ch->data != CTL_EXT4_DATA_KEEP)
		fprintf(f, "sb_data=%s\n", data_word(ch->old_data));
}

/* A value that cannot be written as one line of a save file. */
static const char *unsavable(const struct change *ch)
{
	const char *v[] = {ctl_ext4_fs_name(&ch->fi), ch->fi.dev, ch->old_opts};

	for (size_t i = 0; i < ARRAY_SIZE(v); i++)
		if (strchr(v[i], '\n'))
			return v[i];
	return NULL;
}

/*
 * Write the records of the N changes CH to PATH, sealed, atomically
 * (temp file, fsync, rename). Returns 0 or an exit code after a message.
 */
static int save_write(const char *path, const struct change *ch, size_t n,
		      mode_t mode)
{
	char *buf = NULL, *nb;
	size_t len = 0;
	unsigned int recs = 0;
	FILE *f;
	int e;

	for (size_t i = 0; i < n; i++) {
		const char *bad = ch[i].dup ? NULL : unsavable(&ch[i]);

		if (bad) {
			warnx("--save %s: \"%s\" holds a newline and cannot be recorded; nothing changed",
			      path, bad);
			return CTL_EXIT_FAIL;
		}
	}
	f = open_memstream(&buf, &len);
	if (!f)
		err(CTL_EXIT_FAIL, NULL);
	fputs(SAVE_HEADER, f);
	for (size_t i = 0; i < n; i++) {
		if (ch[i].dup)
			continue;
		save_record(f, &ch[i]);
		recs++;
	}
	if (fclose(f) != 0)
		err(CTL_EXIT_FAIL, NULL);
	nb = realloc(buf, len + CTL_SEAL_MAX + 1);
	if (!nb)
		err(CTL_EXIT_FAIL, NULL);
	e = ctl_seal_append(nb, len + CTL_SEAL_MAX + 1, len, recs);
	if (e >= 0)
		e = ctl_file_write_atomic(path, nb, (size_t)e, mode);
	free(nb);
	if (e < 0) {
		warnx("--save %s: %s; nothing changed", path,
		      ctl_file_strerror(-e));
		return CTL_EXIT_FAIL;
	}
	return 0;
}

/* Put the --save file back as PS holds it: the change was rolled back. */
static void save_putback(const char *path, const struct prev_save *ps)
{
	int err = ps->existed ? ctl_file_write_atomic(path, ps->buf, ps->len,
						      ps->mode)
			      : (unlink(path) < 0 ? -errno : 0);

	if (err < 0)
		warnx("--save %s: cannot put the previous file back: %s", path,
		      ctl_file_strerror(-err));
}

/* --- set --- */

/* Plan the change of ARG for `set`. Returns 0 or an exit code. */
static int plan_set(const struct opts *o, const struct ctl_root *r,
		    const char *arg, struct change *ch)
{
	struct ctl_ext4_fs *fi = &ch->fi;
	const char *name, *cur;
	char val[16];
	int rc, err;

	ch->data = CTL_EXT4_DATA_KEEP;
	rc = resolve(r, arg, 0, fi);
	if (rc)
		return rc;
	name = ctl_ext4_fs_name(fi);
	if (o->data_arg && !o->persist) {
		warnx("%s: the data mode cannot change on a mounted file system (the kernel refuses data= on remount); to use data=%s from the next mount run: jcommit set --data %s --persist %s",
		      name, o->data_arg, o->data_arg, fi->arg);
		return CTL_EXIT_UNSUPP;
	}
	if (ctl_ext4_fs_has_journal(fi) == 0) {
		warnx("%s: no journal, so data= and commit= do not apply (add one with tune2fs -O has_journal)",
		      name);
		return CTL_EXIT_UNSUPP;
	}
	rc = reachable(fi);
	if (rc)
		return rc;
	if (!fi->mounted && !o->persist) {
		warnx("%s: not mounted, nothing live to change; add --persist to write the superblock",
		      name);
		return CTL_EXIT_USAGE;
	}
	if (o->commit_arg && !fi->mounted && o->commit > COMMIT_MAX_OFFLINE) {
		warnx("%s: commit=%u is over %d seconds, the kernel's limit with HZ=1000; a value the kernel rejects makes the next mount ignore the whole superblock string",
		      name, o->commit, COMMIT_MAX_OFFLINE);
		return CTL_EXIT_USAGE;
	}
	ch->live = o->commit_arg && fi->mounted;
	ch->commit = o->commit;
	ch->old_commit = fi->live.commit;
	if (ch->live) {
		rc = legacy_ok(o, fi);
		if (rc)
			return rc;
	}
	if (!o->persist)
		return 0;
	ch->set_opts = !!o->commit_arg;
	ch->data = o->data;
	/* Refuse before the live change rather than half-apply. */
	rc = plan_sb(ch);
	if (rc || !ch->set_opts)
		return rc;
	cur = ch->old_opts;
	/* The kernel reads it with base 0: "010" would be 8. */
	snprintf(val, sizeof(val), "%u", o->commit);
	err = ctl_ext4_opts_merge(cur, "commit", val, ch->opts,
				  sizeof(ch->opts));
	if (err == -E2BIG || err == -ENAMETOOLONG) {
		char full[256];

		ctl_ext4_opts_merge(cur, "commit", val, full, sizeof(full));
		warnx("%s: superblock mount options \"%s\" would become \"%s\" (%zu bytes), over the %d-byte limit; shorten them first (tune2fs -E mount_opts=...)",
		      name, cur, full, strlen(full), CTL_EXT4_MOUNT_OPTS_MAX);
		return CTL_EXIT_FAIL;
	}
	if (err < 0) {
		warnx("%s: superblock mount options \"%s\": %s", name, cur,
		      strerror(-err));
		return CTL_EXIT_FAIL;
	}
	return 0;
}

/* Mark changes of a file system named before: it changes once. */
static void mark_dups(struct change *ch, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < i && !ch[i].dup; j++)
			ch[i].dup = ch[j].fi.fsdev == ch[i].fi.fsdev;
}

/*
 * Plan every change, then save, then apply: one target that cannot be
 * changed means no change at all, and a change that fails half-way is
 * rolled back, together with the save file.
 */
static int cmd_set(const struct opts *o, const struct ctl_root *r,
		   const struct ctl_strv *targets)
{
	struct prev_save ps = {0};
	struct change *ch;
	size_t n = targets->n, bad = 0;
	int rc = 0, kept = 0;

	/* "-" that yields no line: no change, so no save file either. */
	if (n == 0) {
		if (!o->cli.quiet)
			warnx("set: no TARGET read from standard input; nothing changed");
		return CTL_EXIT_OK;
	}
	if (o->save) {
		rc = save_prepare(o->save, &ps);
		if (rc) {
			free(ps.buf);
			return rc;
		}
	}
	ch = calloc(n, sizeof(*ch));
	if (!ch)
		err(CTL_EXIT_FAIL, NULL);
	for (size_t i = 0; i < n; i++) {
		int c = plan_set(o, r, targets->v[i], &ch[i]);

		bad += c != 0;
		rc = rc > c ? rc : c;
	}
	if (bad) {
		if (n > 1)
			warnx("nothing changed: %zu of %zu targets cannot be changed",
			      bad, n);
		goto out;
	}
	mark_dups(ch, n);
	if (!o->cli.dry_run) {
		if (o->save) {
			rc = save_write(o->save, ch, n,
					ps.existed ? ps.mode : 0644);
			if (rc)
				goto out;
		}
		rc = apply_all(o, r, ch, n, "changed", &kept);
		if (rc && o->save && kept)
			warnx("%s keeps the values from before: run jcommit restore %s",
			      o->save, o->save);
		else if (rc && o->save)
			save_putback(o->save, &ps);
		if (rc)
			goto out;
	}
	for (size_t i = 0; i < n; i++)
		report_change(o, &ch[i]);
out:
	free(ps.buf);
	changes_free(ch, n);
	return rc;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmd_checkpoint(const struct opts *o, const struct ctl_root *r,
			  const struct ctl_strv *targets)
{
	uint32_t flags = 0;
	int rc = 0;

	if (o->discard)
		flags |= EXT4_IOC_CHECKPOINT_FLAG_DISCARD;
	if (o->zeroout)
		flags |= EXT4_IOC_CHECKPOINT_FLAG_ZEROOUT;
	if (o->cli.dry_run)
		flags |= EXT4_IOC_CHECKPOINT_FLAG_DRY_RUN;
	for (size_t i = 0; i < targets->n; i++) {
		struct ctl_ext4_fs fi;
		int c = resolve(r, targets->v[i], 0, &fi);
		double t0, ms;
		int err;

		if (c == 0 && !fi.mounted) {
			warnx("%s: not mounted; only a mounted file system's journal can be checkpointed",
			      fi.dev);
			c = CTL_EXIT_UNSUPP;
		}
		if (c == 0)
			c = reachable(&fi);
		if (c == 0)
			c = ioctl_reachable(&fi);
		if (c == 0) {
			t0 = now_ms();
			err = ctl_ext4_checkpoint(fi.m.target, flags);
			ms = now_ms() - t0;
			if (err == -ENODEV) {
				warnx("%s: no journal to checkpoint (the file system has no has_journal feature)",
				      fi.m.target);
				c = CTL_EXIT_UNSUPP;
			} else if (err == -EPERM) {
				warnx("%s: a checkpoint needs CAP_SYS_ADMIN; run as root",
				      fi.m.target);
				c = CTL_EXIT_FAIL;
			} else if (err == -EOPNOTSUPP) {
				warnx("%s: the journal device does not support discard",
				      fi.m.target);
				c = CTL_EXIT_UNSUPP;
			} else if (err < 0) {
				warnx("%s: checkpoint failed: %s", fi.m.target,
				      strerror(-err));
				c = ctl_exit_for(err);
			} else {
				report(o, "%s: journal %s in %.3f ms",
				       fi.m.target,
				       o->cli.dry_run
					       ? "checkpoint accepted (dry run)"
					       : "checkpointed",
				       ms);
			}
		}
		rc = rc > c ? rc : c;
		ctl_ext4_fs_free(&fi);
	}
	return rc;
}

/* --- check --- */

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
static int cmd_check(const struct opts *o, const struct ctl_root *r,
		     const struct ctl_strv *targets)
{
	int fl = !o->skip ? 0 : o->cli.quiet ? RES_QUIET : RES_SKIP;
	size_t checked = 0;
	int rc = 0;

	if (targets->n == 0) {
		warnx("check: no TARGET read from standard input; nothing checked");
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
		warnx("check: no TARGET is a mounted ext4 file system; nothing checked");
		rc = CTL_EXIT_UNSUPP;
	}
	return rc;
}

/* --- restore --- */

struct record {
	char target[PATH_MAX];
	char device[PATH_MAX];
	char uuid[37]; /* "" when not recorded */
	int has_commit;
	unsigned int commit;
	int has_opts;
	char opts[CTL_EXT4_MOUNT_OPTS_MAX + 1];
	int data; /* KEEP when absent */
	size_t line; /* of its target= line */
	unsigned int seen; /* keys given, to refuse one given twice */
};

/* Plan the change that puts REC back. Returns 0 or an exit code. */
static int plan_restore(const struct opts *o, const struct ctl_root *r,
			const struct record *rec, struct change *ch)
{
	struct ctl_ext4_fs *fi = &ch->fi;
	const char *t = rec->device[0] ? rec->device : rec->target;
	int rc, err;

	ch->data = CTL_EXT4_DATA_KEEP;
	/*
	 * The device names the file system; the mount point may be gone or,
	 * worse, an empty directory on another file system by now.
	 */
	err = ctl_ext4_fs_open(r, t, rec->device[0] ? CTL_EXT4_FS_DEVICE : 0,
			       fi);
	if (err < 0 && rec->device[0] && fi->stage == CTL_EXT4_AT_TARGET) {
		warnx("%s: recorded device %s is gone; not restoring",
		      rec->target, t);
		return CTL_EXIT_FAIL;
	}
	rc = resolve_done(r, 0, fi, err);
	if (rc == 0)
		rc = reachable(fi);
	if (rc)
		return rc;
	/* A reused loop device or partition: another fs, not ours. */
	if (rec->uuid[0] &&
	    (!fi->have_sb || strcmp(fi->sb.uuid, rec->uuid) != 0)) {
		warnx("%s: holds another file system now (UUID %s, recorded %s); not restoring",
		      t, fi->have_sb ? fi->sb.uuid : "unknown", rec->uuid);
		return CTL_EXIT_FAIL;
	}
	if (rec->has_commit) {
		if (!fi->mounted) {
			warnx("%s: not mounted; cannot restore commit=%u live",
			      t, rec->commit);
			return CTL_EXIT_FAIL;
		}
		ch->live = 1;
		ch->commit = rec->commit;
		ch->old_commit = fi->live.commit;
		rc = legacy_ok(o, fi);
		if (rc)
			return rc;
	}
	if (!rec->has_opts && rec->data == CTL_EXT4_DATA_KEEP)
		return 0;
	ch->set_opts = rec->has_opts;
	snprintf(ch->opts, sizeof(ch->opts), "%s", rec->opts);
	ch->data = rec->data;
	return plan_sb(ch);
}

enum {
	KEY_DEVICE = 1 << 0,
	KEY_UUID = 1 << 1,
	KEY_COMMIT = 1 << 2,
	KEY_OPTS = 1 << 3,
	KEY_DATA = 1 << 4,
};

/* Take KEY=VAL into REC. Returns 0 or -EINVAL for a line not ours. */
static int parse_line(struct record *rec, const char *key, const char *val)
{
	static const char *const keys[] = {"device", "uuid", "commit",
					   "sb_mount_opts", "sb_data"};
	unsigned int bit = 0;
	uint64_t v;

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (strcmp(key, keys[i]) == 0)
			bit = 1u << i;
	if (!bit || (rec->seen & bit))
		return -EINVAL;
	rec->seen |= bit;
	switch (bit) {
	case KEY_DEVICE:
		if (val[0] != '/' || strlen(val) >= sizeof(rec->device))
			return -EINVAL;
		strcpy(rec->device, val);
		return 0;
	case KEY_UUID:
		if (strlen(val) != sizeof(rec->uuid) - 1)
			return -EINVAL;
		memcpy(rec->uuid, val, sizeof(rec->uuid));
		return 0;
	case KEY_COMMIT:
		if (ctl_parse_range(val, 0, COMMIT_MAX, &v) < 0)
			return -EINVAL;
		rec->has_commit = 1;
		rec->commit = (unsigned int)v;
		return 0;
	case KEY_OPTS:
		if (strlen(val) > CTL_EXT4_MOUNT_OPTS_MAX)
			return -EINVAL;
		rec->has_opts = 1;
		strcpy(rec->opts, val);
		return 0;
	default:
		rec->data = strcmp(val, "none") == 0 ? CTL_EXT4_DATA_NONE
						     : ctl_ext4_data_parse(val);
		return rec->data < 0 ? -EINVAL : 0;
	}
}

/* A record must restore something. Returns 0 or an exit code. */
static int record_done(const char *file, const struct record *rec)
{
	if (!rec || rec->has_commit || rec->has_opts ||
	    rec->data != CTL_EXT4_DATA_KEEP)
		return 0;
	warnx("%s:%zu: the record for %s has nothing to restore", file,
	      rec->line, rec->target);
	return CTL_EXIT_USAGE;
}

/*
 * Parse the LEN bytes of records in BUF (the sealed body of FILE) into
 * a new array *RECS of *N. Returns 0 or an exit code after a message.
 */
static int parse_records(const char *file, const char *buf, size_t len,
			 struct record **recs, size_t *n)
{
	struct record *v = NULL, *cur = NULL;
	size_t cnt = 0, lineno = 0;
	int rc = 0;

	for (const char *p = buf, *end = buf + len; rc == 0 && p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t ll = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char *line = strndup(p, ll), *eq;
		int bad;

		if (!line)
			err(CTL_EXIT_FAIL, NULL);
		p = nl ? nl + 1 : end;
		lineno++;
		eq = strchr(line, '=');
		if (eq)
			*eq = '\0';
		if (strlen(line) + (eq ? strlen(eq + 1) + 1 : 0) != ll) {
			bad = 1; /* a NUL byte */
		} else if (line[0] == '#' || ll == 0) {
			bad = 0;
		} else if (eq && strcmp(line, "target") == 0) {
			struct record *nv;

			rc = record_done(file, cur);
			bad = eq[1] != '/' || strlen(eq + 1) >= PATH_MAX;
			if (rc == 0 && !bad) {
				nv = realloc(v, (cnt + 1) * sizeof(*v));
				if (!nv)
					err(CTL_EXIT_FAIL, NULL);
				v = nv;
				cur = &v[cnt++];
				memset(cur, 0, sizeof(*cur));
				cur->data = CTL_EXT4_DATA_KEEP;
				cur->line = lineno;
				strcpy(cur->target, eq + 1);
			}
		} else {
			bad = !eq || !cur || parse_line(cur, line, eq + 1) < 0;
		}
		free(line);
		if (rc == 0 && bad) {
			warnx("%s:%zu: not a jcommit save file line (expected target=, device=, uuid=, commit=, sb_mount_opts= or sb_data=)",
			      file, lineno);
			rc = CTL_EXIT_USAGE;
		}
	}
	if (rc == 0)
		rc = record_done(file, cur);
	if (rc) {
		free(v);
		return rc;
	}
	*recs = v;
	*n = cnt;
	return 0;
}

/* Is the last line of BUF an end marker (damaged) or something else? */
static int ends_with_marker(const char *buf, size_t len)
{
	size_t start;

	if (len && buf[len - 1] == '\n')
		len--;
	start = len;
	while (start > 0 && buf[start - 1] != '\n')
		start--;
	return len - start >= 14 &&
	       memcmp(buf + start, "# end records=", 14) == 0;
}

/*
 * Read every record of FILE into *RECS before anything is applied: a
 * FIFO or device is refused without blocking, a cut, unsealed or edited
 * file changes nothing. Returns 0 or an exit code after a message.
 */
static int read_records(const char *file, struct record **recs, size_t *n)
{
	char *buf = NULL;
	size_t len = 0, body = 0;
	unsigned int sealed = 0;
	int rc, err = ctl_file_read_input(AT_FDCWD, file, SAVE_MAX, &buf, &len);

	if (err == -CTL_ENOTREG || err == -EISDIR) {
		warnx("%s: %s", file, ctl_file_strerror(-err));
		return CTL_EXIT_USAGE;
	}
	if (err == -EFBIG) {
		warnx("%s: larger than 1 MiB; not a jcommit save file", file);
		return CTL_EXIT_USAGE;
	}
	if (err < 0) {
		warnx("%s: %s", file, ctl_file_strerror(-err));
		return CTL_EXIT_FAIL;
	}
	if (ctl_seal_check(buf, len, &body, &sealed) < 0) {
		if (ends_with_marker(buf, len))
			warnx("%s: the end marker does not match the content: the file is cut or was edited; nothing restored",
			      file);
		else
			warnx("%s: no end marker: the file is cut or was not written by this version of jcommit; nothing restored",
			      file);
		free(buf);
		return CTL_EXIT_USAGE;
	}
	rc = parse_records(file, buf, body, recs, n);
	free(buf);
	if (rc == 0 && *n != sealed) {
		warnx("%s: the end marker says %u records, the file has %zu; nothing restored",
		      file, sealed, *n);
		free(*recs);
		rc = CTL_EXIT_USAGE;
	}
	return rc;
}

static int cmd_restore(const struct opts *o, const struct ctl_root *r,
		       const char *file)
{
	struct record *recs = NULL;
	struct change *ch;
	size_t n = 0, bad = 0;
	int rc = read_records(file, &recs, &n), kept;

	if (rc)
		return rc;
	if (n == 0) {
		warnx("%s: no records; nothing to restore", file);
		free(recs);
		return CTL_EXIT_OK;
	}
	ch = calloc(n, sizeof(*ch));
	if (!ch)
		err(CTL_EXIT_FAIL, NULL);
	/*
	 * Last record first: a file system named twice (by a save file of
	 * an older jcommit) has a later record holding the values of the
	 * earlier change, and an undo must end with the first.
	 */
	for (size_t i = 0; i < n; i++) {
		int c = plan_restore(o, r, &recs[n - 1 - i], &ch[i]);

		bad += c != 0;
		rc = rc > c ? rc : c;
	}
	free(recs);
	if (bad) {
		if (n > 1)
			warnx("nothing restored: %zu of %zu records cannot be restored",
			      bad, n);
		goto out;
	}
	if (!o->cli.dry_run)
		rc = apply_all(o, r, ch, n, "restored", &kept);
	if (rc == 0)
		for (size_t i = 0; i < n; i++)
			report_change(o, &ch[i]);
out:
	changes_free(ch, n);
	return rc;
}

/* --- options --- */

static enum sub parse_sub(const char *s, int *found)
{
	static const char *const names[] = {"show", "set", "checkpoint",
					    "check", "restore"};

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (strcmp(s, names[i]) == 0) {
			*found = 1;
			return (enum sub)i;
		}
	*found = 0;
	return SUB_SHOW;
}

static unsigned int parse_commit(const char *opt, const char *arg)
{
	uint64_t v;
	int err = ctl_parse_range(arg, 0, COMMIT_MAX, &v);

	if (err == -ERANGE)
		errx(CTL_EXIT_USAGE, "%s %s: out of range 0..%d seconds", opt,
		     arg, COMMIT_MAX);
	if (err < 0)
		errx(CTL_EXIT_USAGE, "%s %s: not a number of seconds", opt,
		     arg);
	return (unsigned int)v;
}

static void check_data_list(const char *list)
{
	for (const char *p = list; *p;) {
		size_t len = strcspn(p, ",");
		char w[32];

		snprintf(w, sizeof(w), "%.*s", (int)len, p);
		if (len >= sizeof(w) ||
		    (ctl_ext4_data_parse(w) < 0 && strcmp(w, "none") != 0))
			errx(CTL_EXIT_USAGE,
			     "--data %s: unknown mode '%s' (journal, ordered, writeback, none)",
			     list, w);
		p += len;
		if (*p == ',')
			p++;
	}
}

/*
 * An option list of check: no empty name (a list that names nothing would
 * pass), none longer than opt_present() can compare.
 */
static void check_opt_list(const char *opt, const char *list)
{
	char why[256];

	for (const char *p = list; p;) {
		size_t len = strcspn(p, ",");

		if (len == 0)
			snprintf(why, sizeof(why), "empty option name in '%s'",
				 list);
		else if (len >= 128)
			snprintf(
				why, sizeof(why),
				"option name '%.20s...' is longer than 127 bytes",
				p);
		if (len == 0 || len >= 128)
			usage_error(opt, why);
		p = p[len] ? p + len + 1 : NULL;
	}
}

/* Which options each subcommand takes, to reject the others. */
static void check_combination(const struct opts *o, int nargs)
{
	static const char *const subs[] = {"show", "set", "checkpoint", "check",
					   "restore"};
	const char *sub = subs[o->sub];
	const char *stray = NULL;

	if (o->sub != SUB_SET && (o->commit_arg || o->persist || o->save))
		stray = o->commit_arg ? "--commit"
			: o->persist  ? "--persist"
				      : "--save";
	else if (o->sub != SUB_SET && o->sub != SUB_RESTORE && o->legacy)
		stray = "--legacy-remount";
	else if (o->sub != SUB_SET && o->sub != SUB_CHECK && o->data_arg)
		stray = "--data";
	else if (o->sub != SUB_CHECKPOINT && (o->discard || o->zeroout))
		stray = o->discard ? "--discard" : "--zeroout";
	else if (o->sub != SUB_CHECK && (o->min_arg || o->max_arg ||
					 o->require || o->forbid || o->skip))
		stray = o->min_arg   ? "--min-commit"
			: o->max_arg ? "--max-commit"
			: o->require ? "--require"
			: o->forbid  ? "--forbid"
				     : "--skip-unsupported";
	if (stray)
		usage_error(stray, "does not apply to this subcommand");
	if (o->sub == SUB_SHOW && o->cli.dry_run)
		usage_error("--dry-run", "show changes nothing");
	if (o->sub == SUB_SET && !o->commit_arg && !o->data_arg)
		usage_error("set", "give --commit SEC or --data MODE");
	if (o->sub == SUB_CHECK && !o->data_arg && !o->min_arg && !o->max_arg &&
	    !o->require && !o->forbid)
		usage_error(
			"check",
			"nothing to check; give --data, --min-commit, --max-commit, --require or --forbid");
	if (o->sub == SUB_CHECK && o->min_arg && o->max_arg &&
	    o->min_commit > o->max_commit) {
		char obj[64], why[128];

		snprintf(obj, sizeof(obj), "--min-commit %u", o->min_commit);
		snprintf(why, sizeof(why),
			 "above --max-commit %u; no commit interval can pass",
			 o->max_commit);
		usage_error(obj, why);
	}
	if (o->sub == SUB_CHECK) {
		check_opt_list("--require", o->require);
		check_opt_list("--forbid", o->forbid);
	}
	if (o->sub == SUB_CHECKPOINT && o->discard && o->zeroout)
		usage_error("checkpoint",
			    "--discard and --zeroout exclude each other");
	if (o->sub == SUB_RESTORE && nargs != 1)
		usage_error("restore", "give exactly one FILE");
	if ((o->sub == SUB_SET || o->sub == SUB_CHECKPOINT ||
	     o->sub == SUB_CHECK) &&
	    nargs == 0)
		usage_error(sub, "no TARGET given");
}

static void parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		CTL_CLI_LONGOPTS,
		{"commit", required_argument, NULL, OPT_COMMIT},
		{"persist", no_argument, NULL, OPT_PERSIST},
		{"save", required_argument, NULL, OPT_SAVE},
		{"data", required_argument, NULL, OPT_DATA},
		{"discard", no_argument, NULL, OPT_DISCARD},
		{"zeroout", no_argument, NULL, OPT_ZEROOUT},
		{"min-commit", required_argument, NULL, OPT_MIN_COMMIT},
		{"max-commit", required_argument, NULL, OPT_MAX_COMMIT},
		{"require", required_argument, NULL, OPT_REQUIRE},
		{"forbid", required_argument, NULL, OPT_FORBID},
		{"legacy-remount", no_argument, NULL, OPT_LEGACY},
		{"skip-unsupported", no_argument, NULL, OPT_SKIP},
		{NULL, 0, NULL, 0},
	};
	int c, found = 0;

	while ((c = getopt_long(argc, argv, CTL_CLI_SHORTOPTS, longopts,
				NULL)) != -1) {
		if (ctl_cli_common(&o->cli, c, optarg))
			continue;
		switch (c) {
		case 'h':
			usage();
			exit(help_done());
		case 'V':
			printf("jcommit %s\n", CTL_VERSION);
			exit(help_done());
		case OPT_COMMIT:
			o->commit_arg = optarg;
			o->commit = parse_commit("--commit", optarg);
			break;
		case OPT_PERSIST:
			o->persist = 1;
			break;
		case OPT_SAVE:
			o->save = optarg;
			break;
		case OPT_DATA:
			o->data_arg = optarg;
			break;
		case OPT_DISCARD:
			o->discard = 1;
			break;
		case OPT_ZEROOUT:
			o->zeroout = 1;
			break;
		case OPT_MIN_COMMIT:
			o->min_arg = optarg;
			o->min_commit = parse_commit("--min-commit", optarg);
			break;
		case OPT_MAX_COMMIT:
			o->max_arg = optarg;
			o->max_commit = parse_commit("--max-commit", optarg);
			break;
		case OPT_REQUIRE:
			o->require = optarg;
			break;
		case OPT_FORBID:
			o->forbid = optarg;
			break;
		case OPT_LEGACY:
			o->legacy = 1;
			break;
		case OPT_SKIP:
			o->skip = 1;
			break;
		default:
			fprintf(stderr,
				"Try 'jcommit --help' for more information.\n");
			exit(CTL_EXIT_USAGE);
		}
	}
	if (optind < argc) {
		o->sub = parse_sub(argv[optind], &found);
		if (found)
			optind++;
	}
	o->data = CTL_EXT4_DATA_KEEP;
	if (o->data_arg && o->sub == SUB_SET) {
		o->data = ctl_ext4_data_parse(o->data_arg);
		if (o->data < 0)
			errx(CTL_EXIT_USAGE,
			     "--data %s: unknown mode (journal, ordered, writeback)",
			     o->data_arg);
	} else if (o->data_arg) {
		check_data_list(o->data_arg);
	}
	check_combination(o, argc - optind);
}

int main(int argc, char **argv)
{
	struct opts o = {0};
	struct ctl_strv targets = {0};
	struct ctl_root *r = NULL;
	int rc, err;

	parse_args(argc, argv, &o);
	err = ctl_root_open(o.cli.sysroot, &r);
	if (err < 0)
		errx(CTL_EXIT_USAGE, "--sysroot %s: %s", o.cli.sysroot,
		     strerror(-err));
	if (o.sub == SUB_RESTORE) {
		rc = cmd_restore(&o, r, argv[optind]);
	} else {
		/* "-" that yields no line means no target, not every fs. */
		o.all = argc == optind;
		err = ctl_cli_targets(argv + optind, argc - optind, stdin,
				      &targets);
		if (err < 0)
			errx(CTL_EXIT_FAIL, "reading targets: %s",
			     strerror(-err));
		switch (o.sub) {
		case SUB_SET:
			rc = cmd_set(&o, r, &targets);
			break;
		case SUB_CHECKPOINT:
			rc = cmd_checkpoint(&o, r, &targets);
			break;
		case SUB_CHECK:
			rc = cmd_check(&o, r, &targets);
			break;
		default:
			rc = cmd_show(&o, r, &targets);
			break;
		}
	}
	ctl_strv_free(&targets);
	ctl_root_free(r);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		if (errno != EPIPE)
			warn("stdout");
		rc = rc ? rc : CTL_EXIT_FAIL;
	}
	return rc;
}
