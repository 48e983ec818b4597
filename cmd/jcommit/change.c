// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * jcommit: one planned change (commit= live, the superblock), made,
 * rolled back when a later one fails, and reported. set and restore
 * both take it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "jcommit.h"

void report(const struct opts *o, const char *fmt, ...)
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
const char *data_word(int mode)
{
	return mode > 0 ? ctl_ext4_data_name(mode) : "none";
}

/* How a live change reached the kernel, as the report names it. */
static const char *via_word(int via)
{
	return via == CTL_EXT4_VIA_FSCONFIG ? "fsconfig"
					    : "mount(2) MS_REMOUNT";
}

void changes_free(struct change *ch, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ctl_ext4_fs_free(&ch[i].fi);
	free(ch);
}

#define KEPT_FLAGS                                                             \
	(MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOSYMFOLLOW)

/*
 * FI's mount read again through the chain after commit= was changed: its
 * mount flags must have stayed and commit= be WANT (into *NOW). Returns 0
 * or an exit code after a message.
 */
static int read_back(const struct ctl_root *r, const struct ctl_ext4_fs *fi,
		     unsigned int want, unsigned int *now)
{
	const char *name = ctl_ext4_fs_name(fi);
	struct ctl_ext4_fs fs;
	int err, rc = CTL_EXIT_FAIL;

	/* The same mount again, by its mount point (not another bind). */
	err = ctl_ext4_fs_open(r, fi->m.target, CTL_EXT4_FS_LIVE_ONLY, &fs);
	if (err < 0 &&
	    (fs.stage == CTL_EXT4_AT_TARGET || fs.stage == CTL_EXT4_AT_MOUNT))
		cli_warn("%s: cannot read the mount flags back: %s", name,
			 strerror(-err));
	else if (err < 0)
		cli_warn("%s: cannot read back /proc/fs/ext4/%s/options: %s",
			 name, fs.kname[0] ? fs.kname : fi->kname,
			 strerror(-err));
	else if (fs.m.id == fi->m.id &&
		 (((fs.m.vfs_flags ^ fi->m.vfs_flags) & KEPT_FLAGS) ||
		  fs.m.sb_ro != fi->m.sb_ro))
		cli_warn("%s: mount flags changed from %s to %s", name,
			 fi->m.vfs_opts, fs.m.vfs_opts);
	else if (fs.live.commit != want)
		cli_warn("%s: commit is %u after the change, expected %u", name,
			 fs.live.commit, want);
	else
		rc = 0;
	if (rc == 0)
		*now = fs.live.commit;
	ctl_ext4_fs_free(&fs);
	return rc;
}

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
	char val[16];
	int err;

	*done = 0;
	snprintf(val, sizeof(val), "%u", commit);
	err = ctl_ext4_fs_reconfigure(
		fi, "commit", val, o->legacy ? CTL_EXT4_RECONF_LEGACY : 0, via);
	switch (-err) {
	case 0:
		break;
	case EPERM:
		cli_warn(
			"%s: changing the mount needs CAP_SYS_ADMIN; run as root",
			name);
		return CTL_EXIT_FAIL;
	case EINVAL:
		cli_warn(
			"%s: the kernel rejected commit=%s (the limit is INT_MAX/HZ seconds; see dmesg)",
			name, val);
		return CTL_EXIT_FAIL;
	case EBUSY:
		cli_warn(
			"%s: mount(2) cannot keep a %s mount of a %s superblock; drop --legacy-remount",
			name, fi->m.sb_ro ? "read-write" : "read-only",
			fi->m.sb_ro ? "read-only" : "writable");
		return CTL_EXIT_FAIL;
	default:
		cli_warn("%s: reconfigure with commit=%s failed: %s", name, val,
			 strerror(-err));
		return ctl_exit_for(err);
	}
	*done = 1;
	return read_back(r, fi, want, now);
}

static int sb_error(const struct ctl_ext4_fs *fi, int err)
{
	const char *name = ctl_ext4_fs_name(fi);
	const char *dev = fi->dev[0] ? fi->dev : "the device";

	switch (-err) {
	case EPERM:
	case EACCES:
		cli_warn(
			"%s: writing the superblock needs CAP_SYS_ADMIN; run as root",
			name);
		return CTL_EXIT_FAIL;
	case EROFS:
		cli_warn(
			"%s: the superblock of a read-only mount cannot be changed; remount it rw, or unmount it and run jcommit on %s",
			name, dev);
		return CTL_EXIT_FAIL;
	case ENOTTY:
	case EOPNOTSUPP:
		cli_warn(
			"%s: changing the superblock of a mounted file system needs Linux 6.18 or later (EXT4_IOC_SET_TUNE_SB_PARAM); unmount it and run jcommit on %s",
			name, dev);
		return CTL_EXIT_UNSUPP;
	case EBUSY:
		cli_warn(
			"%s: the device is in use (mounted, maybe in another mount namespace, or held open exclusively); refusing to write its superblock; unmount it first",
			name);
		return CTL_EXIT_FAIL;
	case EUCLEAN:
		cli_warn(
			"%s: the journal needs recovery (needs_recovery is set), and replaying it would undo a superblock change; run e2fsck -p -E journal_only %s first",
			name, fi->dev[0] ? fi->dev : name);
		return CTL_EXIT_FAIL;
	default:
		cli_warn("%s: writing the superblock failed: %s", name,
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

			err = ctl_ext4_fs_tune_get(fi, &p);
			return sb_error(fi, err < 0 ? err : -EIO);
		}
		if ((fi->tune.set_flags & need) != need)
			return sb_error(fi, -EOPNOTSUPP);
		return 0;
	}
	err = ctl_ext4_fs_sb_writable(fi);
	if (err < 0)
		return sb_error(fi, err);
	fi->have_sb = 1;
	return 0;
}

/* The live commit= CH asks for, as the kernel reports it. */
static unsigned int want_commit(const struct change *ch)
{
	return ch->commit ? ch->commit : CTL_EXT4_COMMIT_DEFAULT;
}

/* Is each part of CH at the asked value already (or not asked)? */
static int live_same(const struct change *ch)
{
	return !ch->live || ch->old_commit == want_commit(ch);
}

static int opts_same(const struct change *ch)
{
	return !ch->set_opts || strcmp(ch->old_opts, ch->opts) == 0;
}

static int data_same(const struct change *ch)
{
	return ch->data == CTL_EXT4_DATA_KEEP || ch->data == ch->old_data;
}

static int sb_same(const struct change *ch)
{
	return !ch->sb || (opts_same(ch) && data_same(ch));
}

/* Does CH change anything (with --dry-run: would it)? */
static int changes(const struct change *ch)
{
	return !ch->dup && !(live_same(ch) && sb_same(ch));
}

int changes_any(const struct change *ch, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (changes(&ch[i]))
			return 1;
	return 0;
}

/* The superblock values of CH's file system now, as its old ones. */
static void sb_old(struct change *ch)
{
	snprintf(ch->old_opts, sizeof(ch->old_opts), "%s",
		 ctl_ext4_fs_sb_opts(&ch->fi) ? ctl_ext4_fs_sb_opts(&ch->fi)
					      : "");
	ch->old_data = ctl_ext4_fs_sb_data(&ch->fi);
}

/*
 * Plan the superblock part of CH (its new values set): checks, old
 * values. A superblock known to hold the new values already is not
 * written, so it need not be writable.
 */
int plan_sb(struct change *ch)
{
	uint32_t need = 0;
	int rc;

	ch->sb = 1;
	if (ctl_ext4_fs_sb_opts(&ch->fi)) {
		sb_old(ch);
		if (sb_same(ch))
			return 0;
	}
	if (ch->set_opts)
		need |= EXT4_TUNE_FL_MOUNT_OPTS;
	if (ch->data != CTL_EXT4_DATA_KEEP)
		need |= EXT4_TUNE_FL_DEFAULT_MNT_OPTS;
	rc = sb_ready(&ch->fi, need);
	if (rc)
		return rc;
	sb_old(ch);
	return 0;
}

/*
 * mount(2) MS_REMOUNT sets the ro/rw state of the mount and of the
 * superblock together: with --legacy-remount a mount whose state differs
 * from its superblock's cannot be kept. Returns 0 or an exit code.
 */
int legacy_ok(const struct opts *o, const struct ctl_ext4_fs *fi)
{
	if (!o->legacy || !(fi->m.vfs_flags & MS_RDONLY) == !fi->m.sb_ro)
		return 0;
	cli_warn(
		"%s: mount(2) cannot keep a %s mount of a %s superblock; drop --legacy-remount",
		ctl_ext4_fs_name(fi), fi->m.sb_ro ? "read-write" : "read-only",
		fi->m.sb_ro ? "read-only" : "writable");
	return CTL_EXIT_FAIL;
}

/* Does the superblock of CH still hold the old values? 0 when unknown. */
static int sb_holds_old(const struct change *ch)
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
	ch->now_commit = ch->old_commit;
	if (!live_same(ch)) {
		rc = live_change(o, r, &ch->fi, ch->commit, &ch->now_commit,
				 &ch->via, &ch->done_live);
		if (rc)
			return rc;
	}
	if (sb_same(ch))
		return 0;
	err = ctl_ext4_fs_sb_write(&ch->fi, ch->set_opts ? ch->opts : NULL,
				   ch->data);
	/* A write can fail after reaching the disk (a failed flush): look. */
	ch->done_sb = err == 0 || !sb_holds_old(ch);
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
			cli_warn("%s: rolling back the superblock failed: %s",
				 name, strerror(-err));
			bad = 1;
		} else {
			if (ch->set_opts)
				cli_warn(
					"%s: rolled back: superblock mount options \"%s\" -> \"%s\"",
					name, ch->opts, ch->old_opts);
			if (ch->data != CTL_EXT4_DATA_KEEP)
				cli_warn(
					"%s: rolled back: superblock default data mode %s -> %s",
					name, data_word(ch->data),
					data_word(ch->old_data));
			ch->done_sb = 0;
			did = 1;
		}
	}
	if (ch->done_live) {
		if (live_change(o, r, &ch->fi, ch->old_commit, &now, &via,
				&done)) {
			cli_warn("%s: rolling back commit=%u failed", name,
				 ch->old_commit);
			bad = 1;
		} else {
			cli_warn("%s: rolled back: commit %u -> %u (live)",
				 name, want_commit(ch), now);
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
int apply_all(const struct opts *o, const struct ctl_root *r, struct change *ch,
	      size_t n, const char *verb, int *kept)
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
		cli_warn(
			"%zu file system%s could not be rolled back and keep%s the new values (see above)",
			failed, failed == 1 ? "" : "s", failed == 1 ? "s" : "");
	} else if (undone) {
		cli_warn("nothing %s: rolled back %zu file system%s", verb,
			 undone, undone == 1 ? "" : "s");
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
	if (ch->live && live_same(ch))
		report(o, "%s: commit %u unchanged (live)", name,
		       ch->old_commit);
	else if (ch->live && o->cli.dry_run)
		report(o, "%s: commit %u -> %u (live, dry run)", name,
		       ch->old_commit, want_commit(ch));
	else if (ch->live)
		report(o, "%s: commit %u -> %u (live, %s)", name,
		       ch->old_commit, ch->now_commit, via_word(ch->via));
	if (ch->sb && ch->set_opts && opts_same(ch))
		report(o, "%s: superblock mount options \"%s\" unchanged", name,
		       ch->opts);
	else if (ch->sb && ch->set_opts)
		report(o, "%s: superblock mount options \"%s\" -> \"%s\"%s",
		       name, ch->old_opts, ch->opts, dry);
	if (ch->sb && ch->data != CTL_EXT4_DATA_KEEP && data_same(ch))
		report(o, "%s: superblock default data mode %s unchanged", name,
		       data_word(ch->data));
	else if (ch->sb && ch->data != CTL_EXT4_DATA_KEEP)
		report(o,
		       "%s: superblock default data mode %s -> %s (next mount)%s",
		       name, data_word(ch->old_data), data_word(ch->data), dry);
}

/* --- the table of set and restore (-J, -P, -r, -o) --- */

enum {
	K_TARGET,
	K_DEVICE,
	K_OLD_COMMIT,
	K_COMMIT,
	K_OLD_SBOPTS,
	K_SBOPTS,
	K_OLD_SBDATA,
	K_SBDATA,
	K_VIA,
	K_RESULT,
	K_CHANGED,
};

static const struct ctl_col change_cols[] = {
	[K_TARGET] = {"TARGET", 0.2, 0,
		      "mount point (the device when unmounted)"},
	[K_DEVICE] = JC_COL_DEVICE,
	[K_OLD_COMMIT] = {"OLD-COMMIT", 0.05, CTL_COL_RIGHT | CTL_COL_NUMBER,
			  "live commit= seconds before"},
	[K_COMMIT] = {"COMMIT", 0.05, CTL_COL_RIGHT | CTL_COL_NUMBER,
		      "live commit= seconds after (read back)"},
	[K_OLD_SBOPTS] = {"OLD-SB-OPTS", 0.2, 0,
			  "superblock mount-options string before"},
	[K_SBOPTS] = {"SB-OPTS", 0.2, 0,
		      "superblock mount-options string after"},
	[K_OLD_SBDATA] = {"OLD-SB-DATA", 0.05, 0,
			  "superblock default data mode before"},
	[K_SBDATA] = {"SB-DATA", 0.05, 0, "superblock default data mode after"},
	[K_VIA] = {"VIA", 0.1, 0, "how the live value changed"},
	[K_RESULT] = {"RESULT", 0.05, 0, "applied, unchanged or planned"},
	[K_CHANGED] = {"CHANGED", 0.05, CTL_COL_BOOL,
		       "something changed (--dry-run: would change)"},
};

#define CHANGE_COLS                                                            \
	"TARGET,DEVICE,OLD-COMMIT,COMMIT,OLD-SB-OPTS,SB-OPTS,OLD-SB-DATA,"     \
	"SB-DATA,RESULT,CHANGED"

void change_columns_help(FILE *f)
{
	ctl_out_help(change_cols, ARRAY_SIZE(change_cols), f);
}

/*
 * The table of set or restore when an output option asks for one, made
 * before anything changes (an unknown column is a usage error); NULL
 * for the report lines.
 */
struct ctl_out *changes_out(const struct opts *o)
{
	if (!table_asked(o))
		return NULL;
	return cli_table_new(&o->cli, "changes", change_cols,
			     ARRAY_SIZE(change_cols),
			     o->cli.verbose ? CHANGE_COLS ",VIA" : CHANGE_COLS);
}

static void change_row(struct opts *o, struct ctl_out *out,
		       const struct change *ch)
{
	struct ctl_row *row = cli_table_row(out);
	int c = changes(ch);

	ctl_out_set(out, row, K_TARGET, ctl_ext4_fs_name(&ch->fi));
	ctl_out_set(out, row, K_DEVICE, ch->fi.dev[0] ? ch->fi.dev : NULL);
	if (ch->live) {
		ctl_out_setf(out, row, K_OLD_COMMIT, "%u", ch->old_commit);
		ctl_out_setf(out, row, K_COMMIT, "%u",
			     o->cli.dry_run ? want_commit(ch) : ch->now_commit);
		if (!live_same(ch) && !o->cli.dry_run)
			ctl_out_set(out, row, K_VIA, via_word(ch->via));
	}
	if (ch->sb && ch->set_opts) {
		ctl_out_set(out, row, K_OLD_SBOPTS, ch->old_opts);
		ctl_out_set(out, row, K_SBOPTS, ch->opts);
	}
	if (ch->sb && ch->data != CTL_EXT4_DATA_KEEP) {
		ctl_out_set(out, row, K_OLD_SBDATA, data_word(ch->old_data));
		ctl_out_set(out, row, K_SBDATA, data_word(ch->data));
	}
	ctl_out_set(out, row, K_RESULT,
		    !c		     ? "unchanged"
		    : o->cli.dry_run ? "planned"
				     : "applied");
	cli_changed(&o->cli, out, row, K_CHANGED, c);
}

/*
 * Report the N changes CH, made (or planned): a row each in OUT, or the
 * report lines when OUT is NULL. Returns 0 or 3 (output lost).
 */
int changes_report(struct opts *o, struct ctl_out *out, const struct change *ch,
		   size_t n)
{
	if (!out)
		cli_changed(&o->cli, NULL, NULL, 0, changes_any(ch, n));
	for (size_t i = 0; i < n; i++) {
		if (!out)
			report_change(o, &ch[i]);
		else if (!ch[i].dup)
			change_row(o, out, &ch[i]);
	}
	return out ? cli_table_print(&o->cli, out) : 0;
}
