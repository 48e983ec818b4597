// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * jcommit restore: read a --save file whole, check it is sealed and
 * still names the same file systems, then put every value back.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/file.h"
#include "ctl/parse.h"
#include "jcommit.h"

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
		cli_warn("%s: recorded device %s is gone; not restoring",
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
		cli_warn(
			"%s: holds another file system now (UUID %s, recorded %s); not restoring",
			t, fi->have_sb ? fi->sb.uuid : "unknown", rec->uuid);
		return CTL_EXIT_FAIL;
	}
	if (rec->has_commit) {
		if (!fi->mounted) {
			cli_warn(
				"%s: not mounted; cannot restore commit=%u live",
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
	cli_warn("%s:%zu: the record for %s has nothing to restore", file,
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
			cli_die(CTL_EXIT_FAIL, "%s", strerror(errno));
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
					cli_die(CTL_EXIT_FAIL, "%s",
						strerror(errno));
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
			cli_warn(
				"%s:%zu: not a jcommit save file line (expected target=, device=, uuid=, commit=, sb_mount_opts= or sb_data=)",
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
		cli_warn("%s: %s", file, ctl_file_strerror(-err));
		return CTL_EXIT_USAGE;
	}
	if (err == -EFBIG) {
		cli_warn("%s: larger than 1 MiB; not a jcommit save file",
			 file);
		return CTL_EXIT_USAGE;
	}
	if (err < 0) {
		cli_warn("%s: %s", file, ctl_file_strerror(-err));
		return CTL_EXIT_FAIL;
	}
	if (ctl_seal_open(buf, len, NULL, &body, &sealed) < 0) {
		if (ends_with_marker(buf, len))
			cli_warn(
				"%s: the end marker does not match the content: the file is cut or was edited; nothing restored",
				file);
		else
			cli_warn(
				"%s: no end marker: the file is cut or was not written by this version of jcommit; nothing restored",
				file);
		free(buf);
		return CTL_EXIT_USAGE;
	}
	rc = parse_records(file, buf, body, recs, n);
	free(buf);
	if (rc == 0 && *n != sealed) {
		cli_warn(
			"%s: the end marker says %u records, the file has %zu; nothing restored",
			file, sealed, *n);
		free(*recs);
		rc = CTL_EXIT_USAGE;
	}
	return rc;
}

int cmd_restore(struct opts *o, const struct ctl_root *r, const char *file)
{
	struct ctl_out *out = changes_out(o);
	struct record *recs = NULL;
	struct change *ch;
	size_t n = 0, bad = 0;
	int rc = read_records(file, &recs, &n), kept;

	if (rc) {
		ctl_out_free(out);
		return rc;
	}
	if (n == 0) {
		cli_warn("%s: no records; nothing to restore", file);
		free(recs);
		return changes_report(o, out, NULL, 0);
	}
	ch = calloc(n, sizeof(*ch));
	if (!ch)
		cli_die(CTL_EXIT_FAIL, "%s", strerror(errno));
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
			cli_warn(
				"nothing restored: %zu of %zu records cannot be restored",
				bad, n);
		goto out;
	}
	if (!o->cli.dry_run)
		rc = apply_all(o, r, ch, n, "restored", &kept);
	if (rc == 0) {
		rc = changes_report(o, out, ch, n);
		out = NULL;
	}
out:
	ctl_out_free(out);
	changes_free(ch, n);
	return rc;
}
