// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * swapadj set, check and restore, and the messages for a change of
 * vm.swappiness or of the state file that failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "cli/cli.h"
#include "ctl/file.h"
#include "ctl/parse.h"
#include "swapadj.h"

enum { C_FILE = C_CHANGE + 1, C_RESULT, C_CHANGED };
static const struct ctl_col set_cols[] = {
	CHANGE_COLS("vm.swappiness after (read back), or planned"),
	[C_FILE] =
		{"FILE", 0.3, 0,
		 "drop-in written (--persist) or put back, or the file restored from"},
	[C_RESULT] = {"RESULT", 0.1, 0,
		      "applied, unchanged, or planned (--dry-run)"},
	[C_CHANGED] = {"CHANGED", 1, CTL_COL_BOOL,
		       "whether it changed (with --dry-run: would change)"},
};

/*
 * The table of set and restore. JSON is read by scripts: by default it
 * carries the typed columns, the table the words.
 */
static struct ctl_out *change_table(const struct opts *o, bool file)
{
	const char *def = o->cli.fmt.json ? file ? "OLD,NEW,RESULT,CHANGED,FILE"
						 : "OLD,NEW,RESULT,CHANGED"
			  : file	  ? "CHANGE,RESULT,FILE"
					  : "CHANGE,RESULT";

	return cli_table_new(&o->cli, "swapadj", set_cols, ARRAY_SIZE(set_cols),
			     def);
}

/* A sysctl.d hit applied after CTL_VM_PERSIST_FILE overrides it. */
static int after_persist(const struct ctl_sysctl_hit *h)
{
	const char *ours = strrchr(CTL_VM_PERSIST_FILE, '/') + 1;
	const char *base = strrchr(h->path, '/');

	if (strcmp(h->path, CTL_VM_PERSIST_FILE) == 0)
		return 0;
	if (strcmp(h->path, "/etc/sysctl.conf") == 0)
		return 1;
	return base && strcmp(base + 1, ours) > 0;
}

static void warn_overrides(const struct ctl_sysctl_hit *hits, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (after_persist(&hits[i]))
			cli_say(LOG_WARNING,
				"%s:%u sets vm.swappiness = %s after %s and "
				"wins at boot; remove that line to make the "
				"drop-in effective",
				hits[i].path, hits[i].line, hits[i].value,
				CTL_VM_PERSIST_FILE);
}

/* A sysctl.d file that cannot be read: named, with the fix. */
static int sysctl_fail(const struct opts *o, struct ctl_sysctl_hit *hits,
		       size_t n, int err)
{
	cli_say(LOG_ERR, "%s%s: %s%s", rootp(o),
		n ? hits[0].path : "/etc/sysctl.d", ctl_file_strerror(-err),
		err == -CTL_ENOTREG
			? " (sysctl --system would hang on it: remove it)"
			: "");
	free(hits);
	return ctl_exit_for(err);
}

/*
 * All or nothing: after a set that cannot be completed, write OLD back
 * if the kernel holds NOW instead. Returns 0 or -errno.
 */
static int put_back(const struct opts *o, unsigned int old, unsigned int now)
{
	return now == old ? 0 : ctl_vm_swappiness_set(o->root, old, NULL);
}

/* The kernel kept NOW after VAL was written over OLD: undo, say so. */
int kept_fail(const struct opts *o, unsigned int val, unsigned int old,
	      unsigned int now)
{
	int back = put_back(o, old, now);

	if (back < 0)
		cli_say(LOG_ERR,
			"%s%s: wrote %u, the kernel kept %u; putting %u back failed: %s",
			rootp(o), CTL_VM_SWAPPINESS, val, now, old,
			strerror(-back));
	else if (now != old)
		cli_say(LOG_ERR,
			"%s%s: wrote %u, the kernel kept %u; put %u back",
			rootp(o), CTL_VM_SWAPPINESS, val, now, old);
	else
		cli_say(LOG_ERR, "%s%s: wrote %u, the kernel kept %u", rootp(o),
			CTL_VM_SWAPPINESS, val, now);
	return CTL_EXIT_FAIL;
}

struct ctl_row *change_row(const struct opts *o, struct ctl_out *out, int old,
			   int now)
{
	struct ctl_row *row = cli_table_row(out);

	if (old >= 0)
		ctl_out_setf(out, row, C_OLD, "%d", old);
	if (now >= 0)
		ctl_out_setf(out, row, C_NEW, "%d", now);
	if (old >= 0 && now >= 0)
		ctl_out_setf(out, row, C_CHANGE, "%d %s %d", old, o->arrow,
			     now);
	return row;
}

/*
 * The row of a change OLD -> NOW from FILE; CHANGED: something was (with
 * --dry-run: would be) written, for --exit-changed too.
 */
static void add_change(struct opts *o, struct ctl_out *out, int old, int now,
		       const char *file, bool changed)
{
	struct ctl_row *row = change_row(o, out, old, now);

	ctl_out_set(out, row, C_FILE, file);
	ctl_out_set(out, row, C_RESULT,
		    !changed	     ? "unchanged"
		    : o->cli.dry_run ? "planned"
				     : "applied");
	cli_changed(&o->cli, out, row, C_CHANGED, changed);
}

/* The drop-in already sets VAL: --persist has nothing to write. */
static bool dropin_holds(const struct ctl_sysctl_hit *hits, size_t n,
			 unsigned int val)
{
	bool same = false;
	uint64_t v;

	for (size_t i = 0; i < n; i++)
		if (strcmp(hits[i].path, CTL_VM_PERSIST_FILE) == 0)
			same = ctl_parse_u64(hits[i].value, &v) == 0 &&
			       v == val;
	return same;
}

/* Put the drop-in as VAL says (CTL_VM_SAVE_NONE: remove it). 0 or -errno. */
static int dropin_put(const struct opts *o, int val)
{
	return val == CTL_VM_SAVE_NONE
		       ? ctl_vm_unpersist(o->root)
		       : ctl_vm_persist(o->root, (unsigned int)val);
}

/*
 * Before the change: what --save records (REC: the value OLD, and with
 * --persist what the drop-in holds) and whether it can be written.
 * Returns 0 or the exit status of the refusal.
 */
static int save_prepare(const struct opts *o, unsigned int old,
			struct ctl_vm_save *rec, bool *exists)
{
	int err;

	*rec = (struct ctl_vm_save){(int)old, CTL_VM_SAVE_UNSET};
	if (o->persist) {
		err = ctl_vm_dropin_get(o->root, &rec->dropin);
		if (err == -ENOMSG) {
			cli_say(LOG_ERR,
				"%s: cannot write save file: %s%s sets no vm.swappiness that restore could put back (fix or remove it)",
				o->cli.save, rootp(o), CTL_VM_PERSIST_FILE);
			return CTL_EXIT_FAIL;
		}
		if (err < 0)
			return vm_fail(o, CTL_VM_PERSIST_FILE, err);
	}
	/* A change that cannot be undone is not made: a FIFO, a directory
	 * or another tool's file as --save FILE is refused now. */
	err = ctl_vm_save_ok(o->cli.save);
	*exists = err > 0;
	if (err < 0) {
		cli_save_unwritable(LOG_ERR, o->cli.save, err);
		return CTL_EXIT_FAIL;
	}
	return 0;
}

/*
 * Record REC in --save FILE after the change OLD -> NOW (and the drop-in
 * when DROPIN). A change that cannot be undone is not kept: on failure
 * both are put back. Returns 0 or the exit status.
 */
static int save_after(const struct opts *o, const struct ctl_vm_save *rec,
		      bool dropin, unsigned int old, unsigned int now)
{
	int err = ctl_vm_save_write(o->cli.save, rec), b1, b2;

	if (err >= 0)
		return 0;
	b1 = dropin ? dropin_put(o, rec->dropin) : 0;
	b2 = put_back(o, old, now);
	if (b1 < 0 || b2 < 0)
		cli_say(LOG_ERR,
			"%s: cannot write save file: %s; undoing the change failed (%s): vm.swappiness was %u",
			o->cli.save, ctl_file_strerror(-err),
			ctl_file_strerror(b1 < 0 ? -b1 : -b2), old);
	else
		cli_say(LOG_ERR,
			"%s: cannot write save file: %s; the change is undone",
			o->cli.save, ctl_file_strerror(-err));
	return CTL_EXIT_FAIL;
}

int cmd_set(struct opts *o, int argc, char **argv)
{
	struct ctl_sysctl_hit *hits = NULL;
	struct ctl_out *out;
	unsigned int val, old, now;
	struct ctl_vm_save rec;
	size_t nhits = 0;
	bool dropin, exists = false;
	int err, back;

	if (argc != 1)
		cli_die(CTL_EXIT_USAGE, "set: give exactly one value N");
	val = parse_swappiness(o, "swappiness", argv[0]);
	err = ctl_vm_swappiness_get(o->root, &old);
	if (err < 0)
		return vm_fail(o, CTL_VM_SWAPPINESS, err);
	out = change_table(o, o->persist);
	/* Read the boot configuration before any write: it may refuse. */
	if (o->persist) {
		err = ctl_vm_sysctl_scan(o->root, "vm.swappiness", &hits,
					 &nhits);
		if (err < 0) {
			ctl_out_free(out);
			return sysctl_fail(o, hits, nhits, err);
		}
	}
	/* What is already there is not written again: "unchanged". */
	dropin = o->persist && !dropin_holds(hits, nhits, val);
	err = o->cli.save && !o->cli.dry_run
		      ? save_prepare(o, old, &rec, &exists)
		      : 0;
	if (err) {
		ctl_out_free(out);
		free(hits);
		return err;
	}
	if (o->cli.dry_run) {
		add_change(o, out, (int)old, (int)val,
			   o->persist ? CTL_VM_PERSIST_FILE : NULL,
			   old != val || dropin);
		warn_overrides(hits, nhits);
		free(hits);
		if (!o->cli.quiet)
			cli_say(LOG_INFO, "dry run: nothing written");
		return cli_table_print(&o->cli, out);
	}
	now = old;
	err = old == val ? 0 : ctl_vm_swappiness_set(o->root, val, &now);
	if (err == -EIO) {
		ctl_out_free(out);
		free(hits);
		return kept_fail(o, val, old, now);
	}
	if (err < 0) {
		ctl_out_free(out);
		free(hits);
		return vm_fail(o, CTL_VM_SWAPPINESS, err);
	}
	err = dropin ? ctl_vm_persist(o->root, val) : 0;
	if (err < 0) {
		ctl_out_free(out);
		free(hits);
		back = put_back(o, old, now);
		if (back < 0)
			cli_say(LOG_ERR,
				"%s%s: not written: %s; vm.swappiness stays %u (putting %u back failed: %s)",
				rootp(o), CTL_VM_PERSIST_FILE,
				ctl_file_strerror(-err), now, old,
				strerror(-back));
		else
			cli_say(LOG_ERR,
				"%s%s: not written: %s; vm.swappiness put back to %u",
				rootp(o), CTL_VM_PERSIST_FILE,
				ctl_file_strerror(-err), old);
		return CTL_EXIT_FAIL;
	}
	/* As qdepth: a set that changes nothing leaves a save file alone
	 * (it holds the values from before the run that made them so). */
	err = o->cli.save && (old != now || dropin || !exists)
		      ? save_after(o, &rec, dropin, old, now)
		      : 0;
	if (err) {
		ctl_out_free(out);
		free(hits);
		return err;
	}
	warn_overrides(hits, nhits);
	free(hits);
	add_change(o, out, (int)old, (int)now,
		   o->persist ? CTL_VM_PERSIST_FILE : NULL,
		   old != now || dropin);
	return cli_table_print(&o->cli, out);
}

int cmd_check(struct opts *o, int argc)
{
	struct ctl_meminfo mi;
	unsigned int cur;
	int bad = 0, err;

	if (argc)
		cli_die(CTL_EXIT_USAGE, "check: takes no arguments");
	cli_check_bounds("check",
			 &(struct cli_range){"--min", "--max", o->min_set,
					     o->max_set, o->min, o->max},
			 o->min_avail_set, "--max, --min or --min-available");
	err = ctl_vm_swappiness_get(o->root, &cur);
	if (err < 0)
		return vm_fail(o, CTL_VM_SWAPPINESS, err);
	if (o->max_set && cur > o->max) {
		bad++;
		if (!o->cli.quiet)
			printf("swappiness %u is above --max %" PRIu64 "\n",
			       cur, o->max);
	}
	if (o->min_set && cur < o->min) {
		bad++;
		if (!o->cli.quiet)
			printf("swappiness %u is below --min %" PRIu64 "\n",
			       cur, o->min);
	}
	if (o->min_avail_set) {
		double pct;

		err = ctl_vm_meminfo_read(o->root, &mi);
		if (err < 0)
			return vm_fail(o, "/proc/meminfo", err);
		pct = 100.0 * (double)mi.available / (double)mi.total;
		if (pct < (double)o->min_avail) {
			bad++;
			if (!o->cli.quiet)
				printf("MemAvailable %.1f%% (%" PRIu64
				       " of %" PRIu64
				       " KiB) is below --min-available %" PRIu64
				       "%%\n",
				       pct, mi.available, mi.total,
				       o->min_avail);
		}
	}
	if (!bad && o->cli.verbose)
		printf("ok: swappiness %u\n", cur);
	return bad ? CTL_EXIT_CHECK : CTL_EXIT_OK;
}

int state_fail(const struct opts *o, int err)
{
	if (err == -ENOSPC) {
		cli_say(LOG_ERR, "%s: too many overlapping runs (%d)",
			CTL_VM_STATE_FILE, CTL_VM_STATE_MAX);
		return CTL_EXIT_FAIL;
	}
	return vm_fail(
		o, err == -EACCES ? CTL_VM_STATE_LOCK : CTL_VM_STATE_FILE, err);
}

/*
 * A join or change of the state failed: in the state file and its lock,
 * or in the write of vm.swappiness after them? Name the one that refuses.
 */
int change_fail(const struct opts *o, int err)
{
	int lock, fd;

	if (err == -ERANGE || err == -EIO)
		return vm_fail(o, CTL_VM_SWAPPINESS, err);
	lock = ctl_root_open_path(o->root, CTL_VM_STATE_LOCK, O_RDWR, 0);
	fd = ctl_root_open_path(o->root, CTL_VM_SWAPPINESS, O_WRONLY, 0);
	if (lock >= 0)
		close(lock);
	if (fd >= 0)
		close(fd);
	if (lock >= 0 && fd < 0)
		return vm_fail(o, CTL_VM_SWAPPINESS, fd);
	return state_fail(o, err);
}

int state_leave(const struct opts *o, pid_t pid, struct ctl_vm_restore *res)
{
	int err = ctl_vm_state_leave(o->root, pid, res);

	if (err < 0)
		cli_say(LOG_ERR,
			"%s: restoring vm.swappiness failed: %s; run 'swapadj restore'",
			CTL_VM_STATE_FILE, ctl_file_strerror(-err));
	return err;
}

/*
 * restore, and restore --dry-run: the same row, from what was done or
 * from what would be (ctl_vm_state_plan() writes nothing).
 */
/* Read save FILE whole, or refuse it as qdepth restore does. */
static void save_load(const char *file, struct ctl_vm_save *rec)
{
	int e = ctl_vm_save_read(file, rec);

	cli_save_loaded(file, e, rec->swappiness != CTL_VM_SAVE_UNSET);
}

/*
 * restore FILE: the value, and the drop-in when FILE records it, as set
 * --save found them. FILE is read and checked whole before anything is
 * written; a failed drop-in puts the value back, as set does.
 */
static int restore_file(struct opts *o, const char *file)
{
	struct ctl_vm_save rec;
	struct ctl_out *out;
	unsigned int cur, now;
	bool dropin = false;
	int err, back, have;

	save_load(file, &rec);
	out = change_table(o, rec.dropin != CTL_VM_SAVE_UNSET);
	err = ctl_vm_swappiness_get(o->root, &cur);
	if (err < 0) {
		ctl_out_free(out);
		return vm_fail(o, CTL_VM_SWAPPINESS, err);
	}
	if (rec.dropin != CTL_VM_SAVE_UNSET) {
		err = ctl_vm_dropin_get(o->root, &have);
		/* A drop-in setting no value is not what was saved. */
		if (err < 0 && err != -ENOMSG) {
			ctl_out_free(out);
			return vm_fail(o, CTL_VM_PERSIST_FILE, err);
		}
		dropin = err == -ENOMSG || have != rec.dropin;
	}
	if (o->cli.dry_run) {
		add_change(o, out, (int)cur, rec.swappiness,
			   rec.dropin != CTL_VM_SAVE_UNSET ? CTL_VM_PERSIST_FILE
							   : file,
			   (int)cur != rec.swappiness || dropin);
		if (!o->cli.quiet)
			cli_say(LOG_INFO, "dry run: nothing written");
		return cli_table_print(&o->cli, out);
	}
	now = cur;
	err = (int)cur == rec.swappiness
		      ? 0
		      : ctl_vm_swappiness_set(
				o->root, (unsigned int)rec.swappiness, &now);
	if (err < 0)
		ctl_out_free(out);
	if (err == -EIO)
		return kept_fail(o, (unsigned int)rec.swappiness, cur, now);
	if (err < 0)
		return vm_fail(o, CTL_VM_SWAPPINESS, err);
	err = dropin ? dropin_put(o, rec.dropin) : 0;
	if (err < 0) {
		ctl_out_free(out);
		back = put_back(o, cur, now);
		cli_say(LOG_ERR, "%s%s: not restored: %s; vm.swappiness %s %u",
			rootp(o), CTL_VM_PERSIST_FILE, ctl_file_strerror(-err),
			back < 0 ? "stays" : "put back to",
			back < 0 ? now : cur);
		return CTL_EXIT_FAIL;
	}
	add_change(o, out, (int)cur, (int)now,
		   rec.dropin != CTL_VM_SAVE_UNSET ? CTL_VM_PERSIST_FILE : file,
		   cur != now || dropin);
	return cli_table_print(&o->cli, out);
}

int cmd_restore(struct opts *o, int argc, char **argv)
{
	struct ctl_vm_restore res;
	struct ctl_out *out;
	int kept, rc, err;

	if (argc > 1)
		cli_die(CTL_EXIT_USAGE, "restore: give at most one FILE");
	if (argc)
		return restore_file(o, argv[0]);
	/* A bad -o is a usage error: refuse it before changing anything. */
	out = change_table(o, false);
	err = o->cli.dry_run ? ctl_vm_state_plan(o->root, &res)
			     : ctl_vm_state_restore(o->root, &res);
	for (size_t i = 0; i < res.nkept; i++)
		cli_say(LOG_ERR,
			"%s%s: not removed: processes remain in it (kill those in its cgroup.procs, then rmdir it)",
			rootp(o), res.kept[i]);
	/* A cgroup left behind: the recovery is partial, not a success. */
	kept = res.nkept ? CTL_EXIT_FAIL : CTL_EXIT_OK;
	if (err == -EBUSY) {
		ctl_out_free(out);
		cli_say(LOG_ERR,
			"%s: owned by running process %d; not overridden (it restores the value when it exits; stop it to end the change early)",
			CTL_VM_STATE_FILE, (int)res.live);
		return CTL_EXIT_FAIL;
	}
	if (err < 0) {
		ctl_out_free(out);
		return state_fail(o, err);
	}
	if (res.applied < 0) {
		ctl_out_free(out);
		if (!o->cli.quiet && !res.dropped && res.found)
			cli_say(LOG_INFO,
				"%s: no records: nothing to restore%s",
				CTL_VM_STATE_FILE,
				o->cli.dry_run ? "" : "; removed");
		else if (!o->cli.quiet && !res.dropped)
			cli_say(LOG_INFO, "nothing to restore: no %s",
				CTL_VM_STATE_FILE);
		return kept;
	}
	add_change(o, out, res.before, res.applied, CTL_VM_STATE_FILE,
		   res.before != res.applied);
	if (o->cli.dry_run && !o->cli.quiet)
		cli_say(LOG_INFO, "dry run: nothing written");
	rc = cli_table_print(&o->cli, out);
	return rc ? rc : kept;
}
