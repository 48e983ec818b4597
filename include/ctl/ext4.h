/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The ext4 journal, through the chain from a target to its file system
 * (ctl_ext4_fs_open()), the one way both jcommit and preflight take:
 * the superblock (read directly when mounted; libext2fs, dlopen()ed on
 * first use, for the journal superblock and offline writes), effective
 * options from /proc/fs/ext4, jbd2 statistics, live reconfigure
 * (fspick/fsconfig, MS_REMOUNT fallback), EXT4_IOC_GET/SET_TUNE_SB_PARAM
 * and EXT4_IOC_CHECKPOINT. The readers and the libext2fs wrappers behind
 * the chain are private (libctl/internal.h).
 */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/types.h>

#include "ctl/mount.h"
#include "ctl/root.h"

/*
 * EXT4_IOC_GET/SET_TUNE_SB_PARAM (Linux 6.18). Debian 12's headers
 * (6.1) have no <linux/ext4.h>, so the uapi struct is spelled out here,
 * with the explicit tail padding of the 6.18.y fix: 232 bytes everywhere.
 */
struct ext4_tune_sb_params {
	uint32_t set_flags;
	uint32_t checkinterval;
	uint16_t errors_behavior;
	uint16_t mnt_count;
	uint16_t max_mnt_count;
	uint16_t raid_stride;
	uint64_t last_check_time;
	uint64_t reserved_blocks;
	uint64_t blocks_count;
	uint32_t default_mnt_opts;
	uint32_t reserved_uid;
	uint32_t reserved_gid;
	uint32_t raid_stripe_width;
	uint16_t encoding;
	uint16_t encoding_flags;
	uint8_t def_hash_alg;
	uint8_t pad_1;
	uint16_t pad_2;
	uint32_t feature_compat;
	uint32_t feature_incompat;
	uint32_t feature_ro_compat;
	uint32_t set_feature_compat_mask;
	uint32_t set_feature_incompat_mask;
	uint32_t set_feature_ro_compat_mask;
	uint32_t clear_feature_compat_mask;
	uint32_t clear_feature_incompat_mask;
	uint32_t clear_feature_ro_compat_mask;
	uint8_t mount_opts[64];
	uint8_t pad[68];
};
_Static_assert(sizeof(struct ext4_tune_sb_params) == 232,
	       "struct ext4_tune_sb_params must match the 6.18 uapi");

#ifndef EXT4_IOC_GET_TUNE_SB_PARAM
#define EXT4_IOC_GET_TUNE_SB_PARAM _IOR('f', 45, struct ext4_tune_sb_params)
#define EXT4_IOC_SET_TUNE_SB_PARAM _IOW('f', 46, struct ext4_tune_sb_params)
#endif
#ifndef EXT4_TUNE_FL_DEFAULT_MNT_OPTS
#define EXT4_TUNE_FL_DEFAULT_MNT_OPTS 0x00000100
#define EXT4_TUNE_FL_MOUNT_OPTS 0x00001000
#endif
#ifndef EXT4_IOC_CHECKPOINT
#define EXT4_IOC_CHECKPOINT _IOW('f', 43, uint32_t)
#define EXT4_IOC_CHECKPOINT_FLAG_DISCARD 0x1
#define EXT4_IOC_CHECKPOINT_FLAG_ZEROOUT 0x2
#define EXT4_IOC_CHECKPOINT_FLAG_DRY_RUN 0x4
#endif

/* The superblock mount-options string holds at most this many bytes. */
#define CTL_EXT4_MOUNT_OPTS_MAX 63

/* Built-in default commit interval (JBD2_DEFAULT_MAX_COMMIT_AGE). */
#define CTL_EXT4_COMMIT_DEFAULT 5

/* data= journalling modes; NONE means "not set here", KEEP "no change". */
enum ctl_ext4_data {
	CTL_EXT4_DATA_KEEP = -1,
	CTL_EXT4_DATA_NONE = 0,
	CTL_EXT4_DATA_JOURNAL,
	CTL_EXT4_DATA_ORDERED,
	CTL_EXT4_DATA_WRITEBACK,
};

/* "journal", "ordered", "writeback" (or "-" for NONE). */
const char *ctl_ext4_data_name(int mode);

/* Parse a data= mode name. Returns the mode or -EINVAL. */
int ctl_ext4_data_parse(const char *s);

/*
 * The data mode encoded in superblock default mount options DEFM (bits
 * 0x60); NONE when the bits are clear (the kernel then uses ordered).
 */
int ctl_ext4_defm_data(uint32_t defm);

/* DEFM with its journal-mode bits replaced by MODE (NONE clears them). */
uint32_t ctl_ext4_defm_set_data(uint32_t defm, int mode);

/* What the next mount will use, and which layer decides each value. */
struct ctl_ext4_next {
	int data; /* data= mode */
	const char *data_from; /* "built-in", "sb-default", "sb-opts", "fstab" */
	unsigned int commit; /* commit= seconds (0 already made 5) */
	const char *commit_from; /* as data_from */
};

/*
 * Work out the next mount's data= and commit= the way the kernel layers
 * them: built-in defaults, then the superblock default mount options
 * (SB_DATA, a data mode; KEEP or NONE for "not set"), then the superblock
 * string SB_OPTS, then the mount's own options MNT_OPTS (the fstab entry;
 * NULL for none). Later layers win.
 */
void ctl_ext4_next_mount(int sb_data, const char *sb_opts, const char *mnt_opts,
			 struct ctl_ext4_next *nx);

/* What libext2fs reads from the superblock and the journal superblock. */
struct ctl_ext4_sb {
	char uuid[37];
	char label[17];
	uint32_t default_mount_opts;
	char mount_opts[CTL_EXT4_MOUNT_OPTS_MAX + 2];
	uint32_t feature_compat, feature_incompat, feature_ro_compat;
	int has_journal; /* has_journal feature */
	int journal_external; /* the journal is on another device */
	int fast_commit; /* fast_commit feature */
	int needs_recovery; /* the journal must be replayed (e2fsck, mount) */
	int journal_csum; /* 0 none, 1 v1, 2 v2, 3 v3 */
	uint64_t journal_bytes; /* 0 when unknown (external journal) */
	long ext2_err; /* libext2fs error code of a failure, for -v */
};

/*
 * The libext2fs message for CODE (a struct ctl_ext4_sb ext2_err); an
 * errno value needs no library.
 */
const char *ctl_ext4_strerror(long code);

/* Effective journal options of a mounted fs. */
struct ctl_ext4_live {
	int data; /* data= mode */
	unsigned int commit; /* commit= seconds */
	char opts[2048]; /* the whole list, comma separated */
};

/* jbd2 statistics from /proc/fs/jbd2/<kname>-8/info. */
struct ctl_jbd2_info {
	uint64_t transactions; /* transactions committed */
	uint64_t requested; /* of which requested (fsync, ...) */
	uint64_t max_blocks; /* each up to N blocks */
	uint64_t avg_commit_us; /* average commit time, when known */
	int has_avg;
};

enum {
	CTL_EXT4_RECONF_LEGACY = 1 << 0, /* use mount(2) MS_REMOUNT only */
};

/* Which path a reconfigure took. */
enum {
	CTL_EXT4_VIA_FSCONFIG = 1,
	CTL_EXT4_VIA_REMOUNT = 2,
};

/*
 * Merge option NAME=VAL into the superblock mount-options string OLD
 * (keeping every other option; VAL NULL removes NAME; several NAMEs,
 * of which the kernel applies the last, become one) into OUT. Returns
 * 0, -E2BIG when the result exceeds 63 bytes (OUT still holds it when it
 * fits in LEN, for the message), or -errno.
 */
int ctl_ext4_opts_merge(const char *old, const char *name, const char *val,
			char *out, size_t len);

/*
 * --- From a target to its file system ---
 *
 * The fstype names the ext4 driver mounts (ext4, ext3, ext2), NULL
 * terminated: the one list of them.
 */
extern const char *const ctl_ext4_types[];

/* Is FSTYPE (NULL: no) one of ctl_ext4_types? */
bool ctl_ext4_is_ext_type(const char *fstype);

/* Flags of ctl_ext4_fs_open(). */
enum {
	CTL_EXT4_FS_LIVE_ONLY = 1
				<< 0, /* the mount and its live options only */
	CTL_EXT4_FS_JOURNAL_SB = 1 << 1, /* the journal superblock too */
	CTL_EXT4_FS_FSTAB = 1 << 2, /* the fstab entry too */
	CTL_EXT4_FS_DEVICE = 1 << 3, /* the target must be a block device */
};

/* Where ctl_ext4_fs_open() stopped: the step whose error it returned. */
enum ctl_ext4_stage {
	CTL_EXT4_AT_NONE = 0, /* it did not stop */
	CTL_EXT4_AT_TARGET, /* the target itself (stat) */
	CTL_EXT4_AT_MOUNT, /* its mount in <root>/proc/self/mountinfo */
	CTL_EXT4_AT_FSTYPE, /* mounted, but not as ext2/3/4 */
	CTL_EXT4_AT_DRIVER, /* no <root>/proc/fs/ext4/<kname>/options */
	CTL_EXT4_AT_SB, /* an unmounted device's superblock */
};

/*
 * One ext2/3/4 file system as a target names it. What could not be read
 * of a mounted file system is flagged (have_*, *_err), not an error: the
 * kernel still answers for it.
 */
struct ctl_ext4_fs {
	const char *arg; /* the target as given (not copied) */
	/*
	 * The root it was found in (not copied): with --sysroot m.target
	 * and dev are paths inside it, which the ctl_ext4_fs_*() calls
	 * below reach through it.
	 */
	const struct ctl_root *root;
	enum ctl_ext4_stage stage; /* where an open failed */
	int mounted;
	struct ctl_mount m; /* its mount, when mounted */
	dev_t fsdev; /* the file system's device number */
	/*
	 * The block device node: as typed when typed as a path, else the
	 * node the resolver found (/dev/NAME); "" when unknown.
	 */
	char dev[PATH_MAX];
	char kname[64]; /* as /proc/fs/ext4 names it: "loop3" */
	/*
	 * Another file system is mounted over m.target, so the mount point
	 * path (fspick, the ioctls) leads elsewhere; root_mode is the mode
	 * of the mount's root otherwise (a bind mount may be of a FIFO).
	 */
	int covered;
	mode_t root_mode;
	int have_live;
	struct ctl_ext4_live live;
	int have_sb; /* sb read (directly when mounted) */
	int have_jsb; /* with the journal superblock (libext2fs) */
	struct ctl_ext4_sb sb;
	int sb_err; /* mounted: why sb was not read, else 0 */
	int jsb_err; /* mounted: why the journal superblock was not */
	int have_tune; /* EXT4_IOC_GET_TUNE_SB_PARAM answered */
	struct ext4_tune_sb_params tune;
	int have_ji;
	struct ctl_jbd2_info ji;
	int fstab; /* 1 entry found, 0 none, -errno not read */
	char *fstab_opts; /* its options, when found */
};

/*
 * Find the ext2/3/4 file system TARGET names: a word as
 * ctl_target_resolve() reads it (a device by node, kernel name, MAJ:MIN
 * or tag; else any path on a mounted file system), and read what FLAGS
 * ask: its mount, the kernel name and live options, the superblock (read
 * directly when mounted; libext2fs only for CTL_EXT4_FS_JOURNAL_SB or an
 * unmounted device), EXT4_IOC_GET_TUNE_SB_PARAM, the jbd2 statistics and
 * (with CTL_EXT4_FS_FSTAB) the fstab entry. CTL_EXT4_FS_LIVE_ONLY stops
 * after the live options. Returns 0, or -errno with FS->stage naming the
 * step: AT_TARGET (the resolver's error; -ENOTBLK: not a device under
 * CTL_EXT4_FS_DEVICE; -EINVAL for "-"), AT_MOUNT, AT_FSTYPE
 * (-EMEDIUMTYPE), AT_DRIVER, AT_SB (-EMEDIUMTYPE: no ext2/3/4
 * superblock; -ELIBACC: libext2fs missing). FS holds what was found
 * before the failure either way: call ctl_ext4_fs_free().
 */
int ctl_ext4_fs_open(const struct ctl_root *r, const char *target, int flags,
		     struct ctl_ext4_fs *fs);

/*
 * ctl_ext4_fs_open() for the mount M (from ctl_mount_list()), taken
 * over (M is left zeroed): by the mount itself, since its mount point
 * path may lead to another file system mounted over it. FS->arg is the
 * mount point. Returns as ctl_ext4_fs_open().
 */
int ctl_ext4_fs_from_mount(const struct ctl_root *r, struct ctl_mount *m,
			   int flags, struct ctl_ext4_fs *fs);

/* Free what FS holds and zero it; a zeroed struct is fine. */
void ctl_ext4_fs_free(struct ctl_ext4_fs *fs);

/* The name of FS for messages: its mount point, else its device. */
const char *ctl_ext4_fs_name(const struct ctl_ext4_fs *fs);

/*
 * The superblock mount-options string of FS, fresh from the kernel when
 * mounted; NULL when unknown.
 */
const char *ctl_ext4_fs_sb_opts(const struct ctl_ext4_fs *fs);

/* The superblock default data mode of FS; KEEP when unknown. */
int ctl_ext4_fs_sb_data(const struct ctl_ext4_fs *fs);

/* Has FS a journal? 1 yes, 0 no, -1 unknown. */
int ctl_ext4_fs_has_journal(const struct ctl_ext4_fs *fs);

/*
 * Read the superblock values of FS again, from the disk or the kernel:
 * the mount-options string into OPTS and the data mode into *DATA.
 * Returns 0 or -errno.
 */
int ctl_ext4_fs_sb_now(const struct ctl_ext4_fs *fs, char *opts, size_t len,
		       int *data);

/*
 * The calls below reach FS's mount point or device through its root: a
 * path inside a --sysroot is reached there, not in the caller's mount
 * namespace. Each returns the error of reaching it that way, or as said.
 */

/*
 * Write OPTS (NULL: keep; at most 63 bytes) and DATA (the journal-mode
 * bits; KEEP: keep, NONE: clear) into the superblock of FS, and read
 * them back. Mounted: EXT4_IOC_GET/SET_TUNE_SB_PARAM through the mount
 * (get, modify, set: a SET copies the string whether or not its flag is
 * set). Unmounted: libext2fs on the device, opened exclusively. Returns
 * 0, -E2BIG for a longer string, -EIO when the values are not there
 * after the write; mounted -ENOTTY or -EOPNOTSUPP before Linux 6.18,
 * -EPERM without CAP_SYS_ADMIN, -EROFS on a read-only mount; unmounted
 * -EBUSY for a device in use, -EUCLEAN when the journal needs recovery
 * (its replay would undo the change; nothing is written), -EMEDIUMTYPE
 * for no ext2/3/4 superblock, -ELIBACC without libext2fs.so.2; or
 * -errno.
 */
int ctl_ext4_fs_sb_write(const struct ctl_ext4_fs *fs, const char *opts,
			 int data);

/*
 * EXT4_IOC_GET_TUNE_SB_PARAM on FS's mount point into *P (needs no
 * privilege). Returns 0, -ENOTTY on kernels before 6.18, or -errno.
 */
int ctl_ext4_fs_tune_get(const struct ctl_ext4_fs *fs,
			 struct ext4_tune_sb_params *p);

/*
 * Can the superblock of the unmounted FS be written now? Reads it into
 * FS->sb. Returns 0, -EBUSY when the block device is in use (mounted in
 * any mount namespace, or open with O_EXCL elsewhere), -EUCLEAN when its
 * journal needs recovery, or an error of reading it (-EMEDIUMTYPE,
 * -ELIBACC, -errno).
 */
int ctl_ext4_fs_sb_writable(struct ctl_ext4_fs *fs);

/*
 * Set file-system option KEY=VAL on FS's mount. The current superblock
 * state and mount flags (FS->m) are always sent again: ext4 flips a
 * read-only superblock to read-write unless "ro" is passed, and
 * MS_REMOUNT drops nosuid/nodev/noexec/nosymfollow and the atime flags
 * unless passed. Uses fspick(2) + fsconfig(2) FSCONFIG_CMD_RECONFIGURE;
 * falls back to MS_REMOUNT only when that API is missing (ENOSYS), or
 * always with CTL_EXT4_RECONF_LEGACY in FLAGS. *VIA says which
 * (CTL_EXT4_VIA_*). Returns 0, -EBUSY when MS_REMOUNT would be needed
 * but the mount and the superblock differ in ro/rw (it would align
 * them), or -errno.
 */
int ctl_ext4_fs_reconfigure(const struct ctl_ext4_fs *fs, const char *key,
			    const char *val, int flags, int *via);

/*
 * EXT4_IOC_CHECKPOINT with FLAGS (DISCARD, ZEROOUT, DRY_RUN) on FS's
 * mount. Returns 0, -ENODEV without a journal, -EPERM without
 * CAP_SYS_ADMIN, -EINVAL for DISCARD|ZEROOUT, -ENOTTY for no ext4, or
 * -errno.
 */
int ctl_ext4_fs_checkpoint(const struct ctl_ext4_fs *fs, uint32_t flags);
