/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * jcommit's own header: the options, the planned change, and what the
 * subcommand files share. Not part of libctl.
 */
#pragma once

#include <limits.h>
#include <stdint.h>
#include <stdio.h>

#include "cli/cli.h"
#include "ctl/cli.h"
#include "ctl/ext4.h"
#include "ctl/mount.h"
#include "ctl/root.h"

/* The columns that more than one subcommand shows, defined once. */
/* clang-format off */
#define JC_COL_TARGET {"TARGET", 0.2, 0, "mount point"}
#define JC_COL_DEVICE {"DEVICE", 0.1, 0, "block device"}
/* clang-format on */

/*
 * The kernel rejects commit= above INT_MAX / HZ; HZ is at least 100, so
 * nothing above this can ever work. Between this and the kernel's real
 * limit, the kernel's EINVAL is reported.
 */
#define COMMIT_MAX (INT_MAX / 100)

/* Save files are small: a record is a few hundred bytes. */
#define SAVE_MAX (1u << 20)

enum sub { SUB_SHOW, SUB_SET, SUB_CHECKPOINT, SUB_CHECK, SUB_RESTORE };

struct opts {
	struct ctl_cli cli;
	enum sub sub;
	const char *commit_arg;
	unsigned int commit;
	int persist;
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
	RES_QUIET = 1 << 0, /* no message for what is not ext4 */
	RES_VERBOSE = 1 << 1, /* explain what could not be read */
	RES_SKIP = 1 << 2, /* say that what is not ext4 is skipped */
	RES_JOURNAL_SB = 1 << 3, /* read the journal superblock too */
	RES_FSTAB = 1 << 4, /* look the fstab entry up */
};

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
	int data, old_data; /* journal-mode bits; DATA KEEP: not asked */
	int done_live, done_sb; /* what a rollback must undo */
};

/* main.c */
int table_asked(const struct opts *o);

/* fs.c: from a target to its file system, with the messages */
int unsupported(int flags, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int resolve_done(const struct ctl_root *r, int flags,
		 const struct ctl_ext4_fs *fi, int err);
int resolve(const struct ctl_root *r, const char *arg, int flags,
	    struct ctl_ext4_fs *fi);
int resolve_listed(const struct ctl_root *r, struct ctl_mount *m, int flags,
		   struct ctl_ext4_fs *fi);
int reachable(const struct ctl_ext4_fs *fi);
int ioctl_reachable(const struct ctl_ext4_fs *fi);

/* show.c */
void show_columns_help(FILE *f);
int cmd_show(const struct opts *o, const struct ctl_root *r,
	     const struct ctl_strv *targets);

/* change.c: plan, apply, roll back and report a change */
void report(const struct opts *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
const char *data_word(int mode);
void changes_free(struct change *ch, size_t n);
int plan_sb(struct change *ch);
int changes_any(const struct change *ch, size_t n);
int legacy_ok(const struct opts *o, const struct ctl_ext4_fs *fi);
int apply_all(const struct opts *o, const struct ctl_root *r, struct change *ch,
	      size_t n, const char *verb, int *kept);
void change_columns_help(FILE *f);
struct ctl_out *changes_out(const struct opts *o);
int changes_report(struct opts *o, struct ctl_out *out, const struct change *ch,
		   size_t n);

/* set.c, restore.c, checkpoint.c, check.c */
void checkpoint_columns_help(FILE *f);
void check_columns_help(FILE *f);
int cmd_set(struct opts *o, const struct ctl_root *r,
	    const struct ctl_strv *targets);
int cmd_restore(struct opts *o, const struct ctl_root *r, const char *file);
int cmd_checkpoint(const struct opts *o, const struct ctl_root *r,
		   const struct ctl_strv *targets);
int cmd_check(const struct opts *o, const struct ctl_root *r,
	      const struct ctl_strv *targets);
