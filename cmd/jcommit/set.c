// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * jcommit set: plan every change, write the --save file, then apply,
 * all or nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl/file.h"
#include "jcommit.h"

/*
 * Without a live change to try it first, a persistent value must suit
 * any HZ (at most 1000): a commit= the kernel rejects makes it ignore the
 * whole superblock string at mount time.
 */
#define COMMIT_MAX_OFFLINE (INT_MAX / 1000)

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
		cli_warn("--save %s: %s", path, ctl_file_strerror(-err));
		return CTL_EXIT_USAGE;
	}
	if (err == -EFBIG ||
	    (err == 0 && ps->len &&
	     strncmp(ps->buf, SAVE_MAGIC, strlen(SAVE_MAGIC)))) {
		cli_warn(
			"--save %s: exists and is not a jcommit save file; refusing to replace it (remove it or name another file)",
			path);
		return CTL_EXIT_USAGE;
	}
	if (err < 0) {
		cli_warn("--save %s: %s", path, ctl_file_strerror(-err));
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
			cli_warn(
				"--save %s: \"%s\" holds a newline and cannot be recorded; nothing changed",
				path, bad);
			return CTL_EXIT_FAIL;
		}
	}
	f = open_memstream(&buf, &len);
	if (!f)
		cli_die(CTL_EXIT_FAIL, "%s", strerror(errno));
	fputs(SAVE_HEADER, f);
	for (size_t i = 0; i < n; i++) {
		if (ch[i].dup)
			continue;
		save_record(f, &ch[i]);
		recs++;
	}
	if (fclose(f) != 0)
		cli_die(CTL_EXIT_FAIL, "%s", strerror(errno));
	nb = realloc(buf, len + CTL_SEAL_MAX + 1);
	if (!nb)
		cli_die(CTL_EXIT_FAIL, "%s", strerror(errno));
	e = ctl_seal_append(nb, len + CTL_SEAL_MAX + 1, len, recs);
	if (e >= 0)
		e = ctl_file_write_atomic(path, nb, (size_t)e, mode);
	free(nb);
	if (e < 0) {
		cli_warn("--save %s: %s; nothing changed", path,
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
		cli_warn("--save %s: cannot put the previous file back: %s",
			 path, ctl_file_strerror(-err));
}

/* --- set --- */

/*
 * The superblock string of CH: CUR with commit= set to --commit. Returns
 * 0 or an exit code after a message.
 */
static int merge_commit(const struct opts *o, struct change *ch,
			const char *cur)
{
	const char *name = ctl_ext4_fs_name(&ch->fi);
	char val[16];
	int err;

	/* The kernel reads it with base 0: "010" would be 8. */
	snprintf(val, sizeof(val), "%u", o->commit);
	err = ctl_ext4_opts_merge(cur, "commit", val, ch->opts,
				  sizeof(ch->opts));
	if (err == -E2BIG || err == -ENAMETOOLONG) {
		char full[256];

		ctl_ext4_opts_merge(cur, "commit", val, full, sizeof(full));
		cli_warn(
			"%s: superblock mount options \"%s\" would become \"%s\" (%zu bytes), over the %d-byte limit; shorten them first (tune2fs -E mount_opts=...)",
			name, cur, full, strlen(full), CTL_EXT4_MOUNT_OPTS_MAX);
		return CTL_EXIT_FAIL;
	}
	if (err < 0) {
		cli_warn("%s: superblock mount options \"%s\": %s", name, cur,
			 strerror(-err));
		return CTL_EXIT_FAIL;
	}
	return 0;
}

/* Plan the change of ARG for `set`. Returns 0 or an exit code. */
static int plan_set(const struct opts *o, const struct ctl_root *r,
		    const char *arg, struct change *ch)
{
	struct ctl_ext4_fs *fi = &ch->fi;
	const char *name;
	int rc;

	ch->data = CTL_EXT4_DATA_KEEP;
	rc = resolve(r, arg, 0, fi);
	if (rc)
		return rc;
	name = ctl_ext4_fs_name(fi);
	if (o->data_arg && !o->persist) {
		cli_warn(
			"%s: the data mode cannot change on a mounted file system (the kernel refuses data= on remount); to use data=%s from the next mount run: jcommit set --data %s --persist %s",
			name, o->data_arg, o->data_arg, fi->arg);
		return CTL_EXIT_UNSUPP;
	}
	if (ctl_ext4_fs_has_journal(fi) == 0) {
		cli_warn(
			"%s: no journal, so data= and commit= do not apply (add one with tune2fs -O has_journal)",
			name);
		return CTL_EXIT_UNSUPP;
	}
	rc = reachable(fi);
	if (rc)
		return rc;
	if (!fi->mounted && !o->persist) {
		cli_warn(
			"%s: not mounted, nothing live to change; add --persist to write the superblock",
			name);
		return CTL_EXIT_USAGE;
	}
	if (o->commit_arg && !fi->mounted && o->commit > COMMIT_MAX_OFFLINE) {
		cli_warn(
			"%s: commit=%u is over %d seconds, the kernel's limit with HZ=1000; a value the kernel rejects makes the next mount ignore the whole superblock string",
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
	/* The new string from the one known now: plan_sb() compares them. */
	if (ch->set_opts && ctl_ext4_fs_sb_opts(fi)) {
		rc = merge_commit(o, ch, ctl_ext4_fs_sb_opts(fi));
		if (rc)
			return rc;
	}
	/* Refuse before the live change rather than half-apply. */
	rc = plan_sb(ch);
	if (rc || !ch->set_opts)
		return rc;
	/* From what plan_sb() read, which --save records. */
	return merge_commit(o, ch, ch->old_opts);
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
int cmd_set(struct opts *o, const struct ctl_root *r,
	    const struct ctl_strv *targets)
{
	struct prev_save ps = {0};
	struct ctl_out *out;
	struct change *ch;
	size_t n = targets->n, bad = 0;
	int rc = 0, kept = 0;

	/* "-" that yields no line: no change, so no save file either. */
	if (n == 0) {
		if (!o->cli.quiet)
			cli_warn(
				"set: no TARGET read from standard input; nothing changed");
		return CTL_EXIT_OK;
	}
	out = changes_out(o);
	if (o->cli.save) {
		rc = save_prepare(o->cli.save, &ps);
		if (rc) {
			free(ps.buf);
			ctl_out_free(out);
			return rc;
		}
	}
	ch = calloc(n, sizeof(*ch));
	if (!ch)
		cli_die(CTL_EXIT_FAIL, "%s", strerror(errno));
	for (size_t i = 0; i < n; i++) {
		int c = plan_set(o, r, targets->v[i], &ch[i]);

		bad += c != 0;
		rc = rc > c ? rc : c;
	}
	if (bad) {
		if (n > 1)
			cli_warn(
				"nothing changed: %zu of %zu targets cannot be changed",
				bad, n);
		goto out;
	}
	mark_dups(ch, n);
	if (!o->cli.dry_run) {
		/*
		 * A run that changes nothing leaves a save file alone: it
		 * holds the values from before the change that made them
		 * so, which a second run must not overwrite.
		 */
		if (o->cli.save && (!ps.len || changes_any(ch, n))) {
			rc = save_write(o->cli.save, ch, n,
					ps.existed ? ps.mode : 0644);
			if (rc)
				goto out;
		}
		rc = apply_all(o, r, ch, n, "changed", &kept);
		if (rc && o->cli.save && kept)
			cli_warn(
				"%s keeps the values from before: run jcommit restore %s",
				o->cli.save, o->cli.save);
		else if (rc && o->cli.save)
			save_putback(o->cli.save, &ps);
		if (rc)
			goto out;
	}
	rc = changes_report(o, out, ch, n);
	out = NULL;
out:
	ctl_out_free(out);
	free(ps.buf);
	changes_free(ch, n);
	return rc;
}
