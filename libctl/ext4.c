// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The ext4 journal. libext2fs is called from this file only; its errcode_t
 * is turned into -errno here, the original code kept for -v messages.
 * libext2fs (and libcom_err, which it needs) is dlopen()ed on first use:
 * reading a mounted file system's superblock fields needs no library
 * (ctl_ext4_sb_peek), so a plain `jcommit show` loads neither; only the
 * journal superblock, unmounted devices, images and offline writes do.
 */
#include <dlfcn.h>
#include <endian.h>
#include <errno.h>
#include <ext2fs/ext2_fs.h>
#include <ext2fs/ext2fs.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ctl/ext4.h"
#include "ctl/mount.h"
#include "ctl/target.h"
#include "internal.h"

/* s_default_mount_opts journal-mode bits (EXT4_DEFM_JMODE_*). */
#define DEFM_JMODE 0x0060u
#define DEFM_JMODE_DATA 0x0020u
#define DEFM_JMODE_ORDERED 0x0040u
#define DEFM_JMODE_WBACK 0x0060u

/* jbd2 on-disk journal superblock (big-endian), fields we read. */
#define JBD2_MAGIC 0xc03b3998u
#define JSB_BLOCKSIZE 0x0c
#define JSB_MAXLEN 0x10
#define JSB_COMPAT 0x24
#define JSB_INCOMPAT 0x28
#define JBD2_COMPAT_CHECKSUM 0x1u
#define JBD2_INCOMPAT_CSUM_V2 0x8u
#define JBD2_INCOMPAT_CSUM_V3 0x10u

static const char *const data_names[] = {
	[CTL_EXT4_DATA_NONE] = "-",
	[CTL_EXT4_DATA_JOURNAL] = "journal",
	[CTL_EXT4_DATA_ORDERED] = "ordered",
	[CTL_EXT4_DATA_WRITEBACK] = "writeback",
};

const char *ctl_ext4_data_name(int mode)
{
	if (mode < 0 || (size_t)mode >= ARRAY_SIZE(data_names))
		return "?";
	return data_names[mode];
}

int ctl_ext4_data_parse(const char *s)
{
	for (size_t i = CTL_EXT4_DATA_JOURNAL; i < ARRAY_SIZE(data_names); i++)
		if (s && strcmp(s, data_names[i]) == 0)
			return (int)i;
	return -EINVAL;
}

int ctl_ext4_defm_data(uint32_t defm)
{
	switch (defm & DEFM_JMODE) {
	case DEFM_JMODE_DATA:
		return CTL_EXT4_DATA_JOURNAL;
	case DEFM_JMODE_ORDERED:
		return CTL_EXT4_DATA_ORDERED;
	case DEFM_JMODE_WBACK:
		return CTL_EXT4_DATA_WRITEBACK;
	default:
		return CTL_EXT4_DATA_NONE;
	}
}

uint32_t ctl_ext4_defm_set_data(uint32_t defm, int mode)
{
	static const uint32_t bits[] = {
		[CTL_EXT4_DATA_NONE] = 0,
		[CTL_EXT4_DATA_JOURNAL] = DEFM_JMODE_DATA,
		[CTL_EXT4_DATA_ORDERED] = DEFM_JMODE_ORDERED,
		[CTL_EXT4_DATA_WRITEBACK] = DEFM_JMODE_WBACK,
	};

	if (mode < 0 || (size_t)mode >= ARRAY_SIZE(bits))
		return defm;
	return (defm & ~DEFM_JMODE) | bits[mode];
}

/*
 * How often NAME occurs in the option list OPTS; VAL (unless NULL) gets
 * the value of the last one, the one in force since the kernel applies
 * options in order. Returns the count or -errno.
 */
static int opt_scan(const char *opts, const char *name, char *val, size_t len)
{
	_cleanup_free_ char *s = strdup(opts ? opts : "");
	int n = 0, rc;

	if (!s)
		return -ENOMEM;
	for (;;) {
		rc = *s ? ctl_mount_opt(s, name, val, len) : 0;
		if (rc != 1)
			return rc < 0 ? rc : n;
		n++;
		rc = ctl_mount_opt_set(&s, name, NULL);
		if (rc < 0)
			return rc;
	}
}

/* Apply the data= and commit= of option list OPTS, naming the layer. */
static void layer(const char *opts, const char *from, struct ctl_ext4_next *nx)
{
	unsigned long long c;
	char v[32], *end;
	int d;

	if (!opts)
		return;
	if (opt_scan(opts, "data", v, sizeof(v)) > 0) {
		d = ctl_ext4_data_parse(v);
		if (d > 0) {
			nx->data = d;
			nx->data_from = from;
		}
	}
	if (opt_scan(opts, "commit", v, sizeof(v)) > 0) {
		/* As the kernel reads it (kstrtouint base 0): 010 is 8. */
		errno = 0;
		c = strtoull(v, &end, 0);
		if (errno || *end || end == v || v[0] == '-' || c > UINT_MAX)
			return;
		nx->commit = c ? (unsigned int)c : CTL_EXT4_COMMIT_DEFAULT;
		nx->commit_from = from;
	}
}

void ctl_ext4_next_mount(int sb_data, const char *sb_opts, const char *mnt_opts,
			 struct ctl_ext4_next *nx)
{
	nx->data = CTL_EXT4_DATA_ORDERED;
	nx->data_from = "built-in";
	nx->commit = CTL_EXT4_COMMIT_DEFAULT;
	nx->commit_from = "built-in";
	if (sb_data > 0) {
		nx->data = sb_data;
		nx->data_from = "sb-default";
	}
	layer(sb_opts, "sb-opts", nx);
	layer(mnt_opts, "fstab", nx);
}

/* The libext2fs and libcom_err functions this file calls. */
struct e2fs_api {
	errcode_t (*open2)(const char *, const char *, int, int, unsigned int,
			   io_manager, ext2_filsys *);
	errcode_t (*close_free)(ext2_filsys *);
	void (*mark_super_dirty)(ext2_filsys);
	errcode_t (*file_open)(ext2_filsys, ext2_ino_t, int, ext2_file_t *);
	errcode_t (*file_read)(ext2_file_t, void *, unsigned int,
			       unsigned int *);
	errcode_t (*file_close)(ext2_file_t);
	io_manager *unix_io; /* the variable unix_io_manager */
	void (*init_error_table)(void);
	const char *(*error_message)(errcode_t); /* libcom_err */
};

static int e2fs_syms(void *h, struct e2fs_api *a)
{
	*(void **)&a->open2 = dlsym(h, "ext2fs_open2");
	*(void **)&a->close_free = dlsym(h, "ext2fs_close_free");
	*(void **)&a->mark_super_dirty = dlsym(h, "ext2fs_mark_super_dirty");
	*(void **)&a->file_open = dlsym(h, "ext2fs_file_open");
	*(void **)&a->file_read = dlsym(h, "ext2fs_file_read");
	*(void **)&a->file_close = dlsym(h, "ext2fs_file_close");
	a->unix_io = (io_manager *)dlsym(h, "unix_io_manager");
	*(void **)&a->init_error_table =
		dlsym(h, "initialize_ext2_error_table");
	/* Found through libext2fs, which needs libcom_err. */
	*(void **)&a->error_message = dlsym(h, "error_message");
	return a->open2 && a->close_free && a->mark_super_dirty &&
			       a->file_open && a->file_read && a->file_close &&
			       a->unix_io && *a->unix_io &&
			       a->init_error_table && a->error_message
		       ? 0
		       : -ELIBACC;
}

/*
 * libext2fs, loaded once and kept (a handful of calls per run; its error
 * table, once registered with libcom_err, must stay). A program linked
 * with libext2fs already uses its own copy, functions it interposes
 * included. NULL when the library cannot be loaded.
 */
static const struct e2fs_api *e2fs(void)
{
	static struct e2fs_api api;
	static int state; /* 0 not tried, 1 loaded, -1 cannot be loaded */
	void *h;

	if (state)
		return state > 0 ? &api : NULL;
	state = -1;
	/* RTLD_DEFAULT is NULL: no "!h" test for it. */
	if (dlsym(RTLD_DEFAULT, "ext2fs_open2")) {
		if (e2fs_syms(RTLD_DEFAULT, &api) < 0)
			return NULL;
	} else {
		h = dlopen("libext2fs.so.2", RTLD_NOW | RTLD_LOCAL);
		if (!h)
			return NULL;
		if (e2fs_syms(h, &api) < 0) {
			dlclose(h);
			return NULL;
		}
	}
	state = 1;
	return &api;
}

/* errcode_t -> -errno: system errors are errno values already. */
static int ext2_to_errno(errcode_t e)
{
	if (e > 0 && e < 4096)
		return -(int)e;
	switch (e) {
	case EXT2_ET_BAD_MAGIC:
	case EXT2_ET_UNSUPP_FEATURE:
	case EXT2_ET_RO_UNSUPP_FEATURE:
	case EXT2_ET_CORRUPT_SUPERBLOCK:
	case EXT2_ET_SB_CSUM_INVALID:
		return -EMEDIUMTYPE;
	case EXT2_ET_NO_MEMORY:
		return -ENOMEM;
	default:
		return -EIO;
	}
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* Journal checksum version and size from the jbd2 superblock. */
static void read_journal_sb(const struct e2fs_api *a, ext2_filsys fs,
			    struct ctl_ext4_sb *sb)
{
	unsigned char buf[1024];
	unsigned int got = 0;
	ext2_file_t file;
	uint32_t compat, incompat;

	if (a->file_open(fs, fs->super->s_journal_inum, 0, &file))
		return;
	if (a->file_read(file, buf, sizeof(buf), &got) || got < 0x30 ||
	    be32(buf) != JBD2_MAGIC) {
		a->file_close(file);
		return;
	}
	a->file_close(file);
	compat = be32(buf + JSB_COMPAT);
	incompat = be32(buf + JSB_INCOMPAT);
	if (incompat & JBD2_INCOMPAT_CSUM_V3)
		sb->journal_csum = 3;
	else if (incompat & JBD2_INCOMPAT_CSUM_V2)
		sb->journal_csum = 2;
	else if (compat & JBD2_COMPAT_CHECKSUM)
		sb->journal_csum = 1;
	sb->journal_bytes =
		(uint64_t)be32(buf + JSB_MAXLEN) * be32(buf + JSB_BLOCKSIZE);
}

/* SB from superblock S, its numbers in host byte order. */
static void fill_sb(const struct ext2_super_block *s, struct ctl_ext4_sb *sb)
{
	char *p = sb->uuid;

	for (size_t i = 0; i < 16; i++) {
		p += sprintf(p, "%02x", s->s_uuid[i]);
		if (i == 3 || i == 5 || i == 7 || i == 9)
			*p++ = '-';
	}
	*p = '\0';
	memcpy(sb->label, s->s_volume_name, sizeof(s->s_volume_name));
	sb->label[sizeof(s->s_volume_name)] = '\0';
	sb->default_mount_opts = s->s_default_mount_opts;
	memcpy(sb->mount_opts, s->s_mount_opts, sizeof(s->s_mount_opts));
	sb->mount_opts[sizeof(s->s_mount_opts)] = '\0';
	sb->feature_compat = s->s_feature_compat;
	sb->feature_incompat = s->s_feature_incompat;
	sb->feature_ro_compat = s->s_feature_ro_compat;
	sb->has_journal =
		!!(s->s_feature_compat & EXT3_FEATURE_COMPAT_HAS_JOURNAL);
	sb->fast_commit =
		!!(s->s_feature_compat & EXT4_FEATURE_COMPAT_FAST_COMMIT);
	sb->journal_external = sb->has_journal && s->s_journal_inum == 0;
	sb->needs_recovery =
		!!(s->s_feature_incompat & EXT3_FEATURE_INCOMPAT_RECOVER);
}

const char *ctl_ext4_strerror(long code)
{
	const struct e2fs_api *a;

	/* What libcom_err does for a code of no table: strerror. */
	if (code >= 0 && code < 256)
		return strerror((int)code);
	a = e2fs();
	if (!a)
		return "unknown libext2fs error (libext2fs.so.2 cannot be loaded)";
	/* Idempotent: registers libext2fs's message table with com_err. */
	a->init_error_table();
	return a->error_message((errcode_t)code);
}

int ctl_ext4_sb_read(const char *dev, struct ctl_ext4_sb *sb)
{
	const struct e2fs_api *a = e2fs();
	ext2_filsys fs = NULL;
	errcode_t e;

	memset(sb, 0, sizeof(*sb));
	if (!a)
		return -ELIBACC;
	e = a->open2(dev, NULL,
		     EXT2_FLAG_64BITS | EXT2_FLAG_SKIP_MMP |
			     EXT2_FLAG_IGNORE_CSUM_ERRORS,
		     0, 0, *a->unix_io, &fs);
	if (e) {
		sb->ext2_err = (long)e;
		return ext2_to_errno(e);
	}
	fill_sb(fs->super, sb);
	if (sb->has_journal && fs->super->s_journal_inum)
		read_journal_sb(a, fs, sb);
	a->close_free(&fs);
	return 0;
}

_Static_assert(sizeof(struct ext2_super_block) == 1024,
	       "the ext2/3/4 superblock is 1024 bytes");

int ctl_ext4_sb_peek(const char *dev, struct ctl_ext4_sb *sb)
{
	struct ext2_super_block s;
	_cleanup_close_ int fd = -1;
	ssize_t n;

	memset(sb, 0, sizeof(*sb));
	/* O_NONBLOCK: a FIFO under the device's name must not block. */
	fd = open(dev, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		sb->ext2_err = errno;
		return neg_errno();
	}
	n = ctl_pread_full(fd, &s, sizeof(s), SUPERBLOCK_OFFSET);
	if (n < 0) {
		sb->ext2_err = -n;
		return (int)n;
	}
	if ((size_t)n < sizeof(s)) {
		sb->ext2_err = EXT2_ET_SHORT_READ;
		return -EIO;
	}
	if (le16toh(s.s_magic) != EXT2_SUPER_MAGIC) {
		sb->ext2_err = EXT2_ET_BAD_MAGIC;
		return -EMEDIUMTYPE;
	}
	/* On disk little-endian: the fields fill_sb() reads, in host order. */
	s.s_default_mount_opts = le32toh(s.s_default_mount_opts);
	s.s_feature_compat = le32toh(s.s_feature_compat);
	s.s_feature_incompat = le32toh(s.s_feature_incompat);
	s.s_feature_ro_compat = le32toh(s.s_feature_ro_compat);
	s.s_journal_inum = le32toh(s.s_journal_inum);
	fill_sb(&s, sb);
	return 0;
}

/* Read back what ctl_ext4_sb_write() wrote: -EIO when it is not there. */
static int sb_check(const char *dev, const char *mount_opts, int data)
{
	struct ctl_ext4_sb sb;
	int err;

	if (!mount_opts && data == CTL_EXT4_DATA_KEEP)
		return 0;
	err = ctl_ext4_sb_read(dev, &sb);
	if (err < 0)
		return err;
	if ((mount_opts && strcmp(sb.mount_opts, mount_opts) != 0) ||
	    (data != CTL_EXT4_DATA_KEEP &&
	     ctl_ext4_defm_data(sb.default_mount_opts) != data))
		return -EIO;
	return 0;
}

int ctl_ext4_sb_write(const char *dev, const char *mount_opts, int data)
{
	const struct e2fs_api *a = e2fs();
	struct ext2_super_block *s;
	ext2_filsys fs = NULL;
	errcode_t e;

	if (mount_opts && strlen(mount_opts) > CTL_EXT4_MOUNT_OPTS_MAX)
		return -E2BIG;
	if (!a)
		return -ELIBACC;
	/* EXCLUSIVE is O_EXCL: the kernel refuses it on a mounted device. */
	e = a->open2(dev, NULL,
		     EXT2_FLAG_RW | EXT2_FLAG_EXCLUSIVE | EXT2_FLAG_64BITS, 0,
		     0, *a->unix_io, &fs);
	if (e)
		return ext2_to_errno(e);
	s = fs->super;
	/*
	 * The journal holds newer metadata, maybe the superblock itself:
	 * its replay at the next mount or fsck would undo this change.
	 */
	if (s->s_feature_incompat & EXT3_FEATURE_INCOMPAT_RECOVER) {
		a->close_free(&fs); /* nothing dirty: nothing written */
		return -EUCLEAN;
	}
	if (mount_opts) {
		memset(s->s_mount_opts, 0, sizeof(s->s_mount_opts));
		memcpy(s->s_mount_opts, mount_opts, strlen(mount_opts));
	}
	if (data != CTL_EXT4_DATA_KEEP)
		s->s_default_mount_opts =
			ctl_ext4_defm_set_data(s->s_default_mount_opts, data);
	a->mark_super_dirty(fs);
	e = a->close_free(&fs);
	if (e)
		return ext2_to_errno(e);
	return sb_check(dev, mount_opts, data);
}

int ctl_ext4_sb_writable(const char *dev, struct ctl_ext4_sb *sb)
{
	struct stat st;
	int fd, err;

	if (stat(dev, &st) < 0)
		return neg_errno();
	/*
	 * O_EXCL on a block device fails with EBUSY while any mount, in any
	 * mount namespace, or another exclusive opener holds it; the mount
	 * table only shows our own namespace.
	 */
	if (S_ISBLK(st.st_mode)) {
		fd = open(dev, O_RDONLY | O_EXCL | O_CLOEXEC | O_NOCTTY);
		if (fd < 0)
			return neg_errno();
		close(fd);
	}
	err = ctl_ext4_sb_read(dev, sb);
	if (err < 0)
		return err;
	return sb->needs_recovery ? -EUCLEAN : 0;
}

static int proc_path(char *buf, size_t len, const char *pre, const char *kname,
		     const char *post)
{
	if (!kname || !*kname || strchr(kname, '/') ||
	    strcmp(kname, "..") == 0 || strcmp(kname, ".") == 0)
		return -EINVAL;
	return ctl_fmt(buf, len, "%s%s%s", pre, kname, post);
}

int ctl_ext4_live_read(const struct ctl_root *r, const char *kname,
		       struct ctl_ext4_live *live)
{
	char path[PATH_MAX], val[32];
	unsigned long long c;
	char *end;
	int n = proc_path(path, sizeof(path), "/proc/fs/ext4/", kname,
			  "/options");

	if (n < 0)
		return n;
	memset(live, 0, sizeof(*live));
	n = ctl_root_read_file(r, path, live->opts, sizeof(live->opts));
	if (n < 0)
		return n;
	/* One option per line; keep them as the usual comma list. */
	for (char *p = live->opts; *p; p++)
		if (*p == '\n')
			*p = ',';
	if (ctl_mount_opt(live->opts, "data", val, sizeof(val)) == 1)
		live->data = ctl_ext4_data_parse(val);
	if (live->data < 0)
		live->data = CTL_EXT4_DATA_NONE;
	live->commit = CTL_EXT4_COMMIT_DEFAULT;
	if (ctl_mount_opt(live->opts, "commit", val, sizeof(val)) == 1) {
		errno = 0;
		c = strtoull(val, &end, 10);
		if (errno || *end || end == val || c > UINT_MAX)
			return -EINVAL;
		live->commit = (unsigned int)c;
	}
	return 0;
}

int ctl_jbd2_info_parse(const char *text, struct ctl_jbd2_info *ji)
{
	unsigned long long t, q, b, us;
	const char *p;

	memset(ji, 0, sizeof(*ji));
	if (sscanf(text, "%llu transactions (%llu requested), each up to %llu",
		   &t, &q, &b) != 3)
		return -EINVAL;
	ji->transactions = t;
	ji->requested = q;
	ji->max_blocks = b;
	/* The averages are printed only once a transaction committed. */
	p = strstr(text, "us average transaction commit time");
	if (p) {
		while (p > text && p[-1] >= '0' && p[-1] <= '9')
			p--;
		if (sscanf(p, "%lluus", &us) == 1) {
			ji->avg_commit_us = us;
			ji->has_avg = 1;
		}
	}
	return 0;
}

int ctl_jbd2_info_read(const struct ctl_root *r, const char *kname,
		       struct ctl_jbd2_info *ji)
{
	char path[PATH_MAX], text[4096];
	int n = proc_path(path, sizeof(path), "/proc/fs/jbd2/", kname,
			  "-8/info");

	if (n < 0)
		return n;
	n = ctl_root_read_file(r, path, text, sizeof(text));
	if (n < 0)
		return n;
	return ctl_jbd2_info_parse(text, ji);
}

/* The kernel may explain a failed fsconfig() in the context's log. */
static int reconf_fsconfig(const char *target, const char *key, const char *val,
			   int sb_ro)
{
	_cleanup_close_ int fd = -1;

	fd = (int)syscall(SYS_fspick, AT_FDCWD, target, FSPICK_CLOEXEC);
	if (fd < 0)
		return neg_errno();
	/* ext4 makes a read-only superblock writable unless "ro" comes too. */
	if (syscall(SYS_fsconfig, fd, FSCONFIG_SET_FLAG, sb_ro ? "ro" : "rw",
		    NULL, 0) < 0)
		return neg_errno();
	if (syscall(SYS_fsconfig, fd, FSCONFIG_SET_STRING, key, val, 0) < 0)
		return neg_errno();
	if (syscall(SYS_fsconfig, fd, FSCONFIG_CMD_RECONFIGURE, NULL, NULL, 0) <
	    0)
		return neg_errno();
	return 0;
}

/* Per-mount and superblock flags MS_REMOUNT resets unless passed again. */
#define KEEP_FLAGS                                                             \
	(MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOSYMFOLLOW | MS_NOATIME |      \
	 MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME | MS_LAZYTIME |          \
	 MS_SYNCHRONOUS | MS_DIRSYNC | MS_MANDLOCK)

static int reconf_remount(const char *target, const char *key, const char *val,
			  int sb_ro, unsigned long vfs_flags)
{
	unsigned long fl = MS_REMOUNT | (vfs_flags & KEEP_FLAGS);
	char opt[256];
	int n = ctl_fmt(opt, sizeof(opt), "%s=%s", key, val);

	if (n < 0)
		return n;
	/*
	 * MS_RDONLY sets both the mount and the superblock: a read-only
	 * mount of a writable superblock, or a read-write one of a read-only
	 * superblock, cannot be kept as it is.
	 */
	if (!(vfs_flags & MS_RDONLY) != !sb_ro)
		return -EBUSY;
	if (sb_ro)
		fl |= MS_RDONLY;
	return mount(NULL, target, NULL, fl, opt) < 0 ? neg_errno() : 0;
}

/*
 * KEY=VAL on the mount at TARGET, as ctl_ext4_fs_reconfigure() says; SB_RO
 * and VFS_FLAGS are the superblock state and mount flags sent again.
 */
static int reconfigure(const char *target, const char *key, const char *val,
		       int sb_ro, unsigned long vfs_flags, int flags, int *via)
{
	int err;

	if (!(flags & CTL_EXT4_RECONF_LEGACY)) {
		err = reconf_fsconfig(target, key, val, sb_ro);
		if (err != -ENOSYS) {
			*via = CTL_EXT4_VIA_FSCONFIG;
			return err;
		}
	}
	*via = CTL_EXT4_VIA_REMOUNT;
	return reconf_remount(target, key, val, sb_ro, vfs_flags);
}

/*
 * Open PATH for an ioctl. O_NONBLOCK: the root of a mount can be a FIFO
 * (a bind mount), which a plain open would wait on for a writer.
 */
static int open_nb(const char *path)
{
	return open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
}

/* EXT4_IOC_GET_TUNE_SB_PARAM on PATH, any file of the mount. */
static int tune_get(const char *path, struct ext4_tune_sb_params *p)
{
	_cleanup_close_ int fd = open_nb(path);

	if (fd < 0)
		return neg_errno();
	memset(p, 0, sizeof(*p));
	return ioctl(fd, EXT4_IOC_GET_TUNE_SB_PARAM, p) < 0 ? neg_errno() : 0;
}

/* ctl_ext4_fs_sb_write() of a mount, through PATH, any file of it. */
static int tune_set(const char *path, const char *mount_opts, int data)
{
	_cleanup_close_ int fd = open_nb(path);
	struct ext4_tune_sb_params p, back;
	uint32_t need = 0;

	if (fd < 0)
		return neg_errno();
	if (mount_opts && strlen(mount_opts) > CTL_EXT4_MOUNT_OPTS_MAX)
		return -E2BIG;
	/* GET first: SET always copies mount_opts, flag or not. */
	memset(&p, 0, sizeof(p));
	if (ioctl(fd, EXT4_IOC_GET_TUNE_SB_PARAM, &p) < 0)
		return neg_errno();
	if (mount_opts) {
		need |= EXT4_TUNE_FL_MOUNT_OPTS;
		memset(p.mount_opts, 0, sizeof(p.mount_opts));
		memcpy(p.mount_opts, mount_opts, strlen(mount_opts));
	}
	if (data != CTL_EXT4_DATA_KEEP) {
		need |= EXT4_TUNE_FL_DEFAULT_MNT_OPTS;
		p.default_mnt_opts =
			ctl_ext4_defm_set_data(p.default_mnt_opts, data);
	}
	/* GET reports the operations this kernel supports in set_flags. */
	if ((p.set_flags & need) != need)
		return -EOPNOTSUPP;
	p.set_flags = need;
	if (ioctl(fd, EXT4_IOC_SET_TUNE_SB_PARAM, &p) < 0)
		return neg_errno();
	memset(&back, 0, sizeof(back));
	if (ioctl(fd, EXT4_IOC_GET_TUNE_SB_PARAM, &back) < 0)
		return neg_errno();
	if (memcmp(back.mount_opts, p.mount_opts, sizeof(p.mount_opts)) != 0 ||
	    back.default_mnt_opts != p.default_mnt_opts)
		return -EIO;
	return 0;
}

int ctl_ext4_opts_merge(const char *old, const char *name, const char *val,
			char *out, size_t len)
{
	_cleanup_free_ char *s = strdup(old ? old : "");
	int n, err;

	if (!s)
		return -ENOMEM;
	/* Only the last of several counts: keep that one, in its place. */
	n = opt_scan(s, name, NULL, 0);
	if (n < 0)
		return n;
	while (n-- > 1) {
		err = ctl_mount_opt_set(&s, name, NULL);
		if (err < 0)
			return err;
	}
	err = ctl_mount_opt_set(&s, name, val);
	if (err < 0)
		return err;
	/* Hand the result back even when too long, for the message. */
	if (ctl_fmt(out, len, "%s", s) < 0)
		return strlen(s) > CTL_EXT4_MOUNT_OPTS_MAX ? -E2BIG
							   : -ENAMETOOLONG;
	return strlen(s) > CTL_EXT4_MOUNT_OPTS_MAX ? -E2BIG : 0;
}

/* EXT4_IOC_CHECKPOINT on PATH, any file of the mount. */
static int checkpoint(const char *path, uint32_t flags)
{
	_cleanup_close_ int fd = open_nb(path);

	if (fd < 0)
		return neg_errno();
	return ioctl(fd, EXT4_IOC_CHECKPOINT, &flags) < 0 ? neg_errno() : 0;
}

/* --- From a target to its file system --- */

const char *const ctl_ext4_types[] = {"ext4", "ext3", "ext2", NULL};

bool ctl_ext4_is_ext_type(const char *fstype)
{
	for (const char *const *t = ctl_ext4_types; fstype && *t; t++)
		if (strcmp(*t, fstype) == 0)
			return true;
	return false;
}

/*
 * PATH (FS's mount point or device) as this process can name it: PATH
 * itself, or for a root whose paths are inside it, /proc/self/fd/N of an
 * O_PATH descriptor opened through the root (*FD, which the caller
 * closes after the last use of the name). Returns 0 or -errno.
 */
static int fs_where(const struct ctl_ext4_fs *fs, const char *path, char *buf,
		    size_t len, int *fd)
{
	*fd = -1;
	if (!ctl_root_paths_inside(fs->root))
		return ctl_fmt(buf, len, "%s", path) < 0 ? -ENAMETOOLONG : 0;
	*fd = ctl_root_path_open(fs->root, path, O_PATH);
	if (*fd < 0)
		return *fd;
	return ctl_fmt(buf, len, "/proc/self/fd/%d", *fd) < 0 ? -ENAMETOOLONG
							      : 0;
}

/* Stop at STAGE with ERR. */
static int fs_fail(struct ctl_ext4_fs *fs, enum ctl_ext4_stage stage, int err)
{
	fs->stage = stage;
	return err;
}

/*
 * The superblock of FS->dev: directly when mounted (the kernel checked
 * it); with libext2fs for the journal superblock and for an unmounted
 * device. Without libext2fs a mounted file system still gets the direct
 * read. Returns 0 or -errno.
 */
static int fs_read_sb(struct ctl_ext4_fs *fs, int flags)
{
	_cleanup_close_ int fd = -1;
	char dev[PATH_MAX];
	int err = fs_where(fs, fs->dev, dev, sizeof(dev), &fd);

	if (err < 0)
		return err;
	if (fs->mounted && !(flags & CTL_EXT4_FS_JOURNAL_SB))
		return ctl_ext4_sb_peek(dev, &fs->sb);
	err = ctl_ext4_sb_read(dev, &fs->sb);
	fs->have_jsb = err == 0;
	if (err != -ELIBACC || !fs->mounted)
		return err;
	fs->jsb_err = err;
	return ctl_ext4_sb_peek(dev, &fs->sb);
}

/* What the kernel says of the mounted FS: kname, live options, ioctls. */
static int fs_read_mounted(const struct ctl_root *r, int flags,
			   struct ctl_ext4_fs *fs)
{
	struct stat st;
	int err;

	if (!ctl_ext4_is_ext_type(fs->m.fstype))
		return fs_fail(fs, CTL_EXT4_AT_FSTYPE, -EMEDIUMTYPE);
	if (!fs->dev[0] && fs->m.source[0] == '/')
		snprintf(fs->dev, sizeof(fs->dev), "%s", fs->m.source);
	err = ctl_root_devname(r, fs->m.dev, fs->kname, sizeof(fs->kname));
	if (err == 0)
		err = ctl_ext4_live_read(r, fs->kname, &fs->live);
	if (err < 0)
		return fs_fail(fs, CTL_EXT4_AT_DRIVER, err);
	fs->have_live = 1;
	if (flags & CTL_EXT4_FS_LIVE_ONLY)
		return 0;
	/*
	 * Everything done through the mount point path (the tune ioctls,
	 * fspick, the checkpoint) reaches whatever is mounted there now: a
	 * file system mounted over it is someone else.
	 */
	fs->covered = ctl_root_path_stat(r, fs->m.target, &st, 0) < 0 ||
		      st.st_dev != fs->m.dev;
	fs->root_mode = fs->covered ? 0 : st.st_mode;
	if (!fs->covered)
		fs->have_tune = ctl_ext4_fs_tune_get(fs, &fs->tune) == 0;
	fs->have_ji = ctl_jbd2_info_read(r, fs->kname, &fs->ji) == 0;
	return 0;
}

/* Fill FS once FS->m (when mounted), FS->dev and FS->arg are set. */
static int fs_read(const struct ctl_root *r, int flags, struct ctl_ext4_fs *fs)
{
	int err;

	if (fs->mounted) {
		err = fs_read_mounted(r, flags, fs);
		if (err < 0 || (flags & CTL_EXT4_FS_LIVE_ONLY))
			return err;
	}
	if (fs->dev[0]) {
		err = fs_read_sb(fs, flags);
		fs->have_sb = err == 0;
		if (err < 0 && !fs->mounted)
			return fs_fail(fs, CTL_EXT4_AT_SB, err);
		fs->sb_err = err;
	}
	if (flags & CTL_EXT4_FS_FSTAB)
		fs->fstab = ctl_fstab_find(r, fs->mounted ? fs->m.target : NULL,
					   fs->dev,
					   fs->have_sb ? fs->sb.uuid : NULL,
					   fs->have_sb ? fs->sb.label : NULL,
					   &fs->fstab_opts);
	return 0;
}

int ctl_ext4_fs_open(const struct ctl_root *r, const char *target, int flags,
		     struct ctl_ext4_fs *fs)
{
	struct ctl_target t;
	int err;

	memset(fs, 0, sizeof(*fs));
	fs->arg = target;
	fs->root = r;
	err = ctl_target_resolve(r, target, 0, &t);
	if (err == 0 && t.kind != CTL_TARGET_DEV &&
	    ((flags & CTL_EXT4_FS_DEVICE) || t.kind != CTL_TARGET_PATH))
		err = (flags & CTL_EXT4_FS_DEVICE) ? -ENOTBLK : -EINVAL;
	if (err < 0)
		return fs_fail(fs, CTL_EXT4_AT_TARGET, err);
	if (t.kind == CTL_TARGET_DEV) {
		/* A node typed as a path keeps its name as typed: a save
		 * file records it so. */
		snprintf(fs->dev, sizeof(fs->dev), "%s",
			 t.by == CTL_TARGET_BY_PATH ? target : t.path);
		err = ctl_mount_by_dev(r, t.dev, &fs->m);
		if (err == -ENOENT)
			err = 1; /* an unmounted device: superblock only */
	} else {
		err = ctl_mount_by_path(r, t.path, &fs->m);
	}
	if (err < 0)
		return fs_fail(fs, CTL_EXT4_AT_MOUNT, err);
	fs->mounted = err == 0;
	fs->fsdev = fs->mounted ? fs->m.dev : t.dev;
	return fs_read(r, flags, fs);
}

int ctl_ext4_fs_from_mount(const struct ctl_root *r, struct ctl_mount *m,
			   int flags, struct ctl_ext4_fs *fs)
{
	memset(fs, 0, sizeof(*fs));
	fs->root = r;
	fs->m = *m;
	memset(m, 0, sizeof(*m));
	fs->arg = fs->m.target;
	fs->mounted = 1;
	fs->fsdev = fs->m.dev;
	return fs_read(r, flags, fs);
}

void ctl_ext4_fs_free(struct ctl_ext4_fs *fs)
{
	ctl_mount_clear(&fs->m);
	free(fs->fstab_opts);
	memset(fs, 0, sizeof(*fs));
}

const char *ctl_ext4_fs_name(const struct ctl_ext4_fs *fs)
{
	return fs->mounted ? fs->m.target : fs->dev;
}

const char *ctl_ext4_fs_sb_opts(const struct ctl_ext4_fs *fs)
{
	if (fs->have_tune)
		return (const char *)fs->tune.mount_opts;
	if (fs->have_sb)
		return fs->sb.mount_opts;
	return NULL;
}

int ctl_ext4_fs_sb_data(const struct ctl_ext4_fs *fs)
{
	if (fs->have_tune)
		return ctl_ext4_defm_data(fs->tune.default_mnt_opts);
	if (fs->have_sb)
		return ctl_ext4_defm_data(fs->sb.default_mount_opts);
	return CTL_EXT4_DATA_KEEP;
}

int ctl_ext4_fs_has_journal(const struct ctl_ext4_fs *fs)
{
	if (fs->have_tune)
		return !!(fs->tune.feature_compat &
			  EXT3_FEATURE_COMPAT_HAS_JOURNAL);
	if (fs->have_sb)
		return fs->sb.has_journal;
	if (fs->have_ji)
		return 1;
	return -1;
}

int ctl_ext4_fs_sb_now(const struct ctl_ext4_fs *fs, char *opts, size_t len,
		       int *data)
{
	struct ext4_tune_sb_params p;
	_cleanup_close_ int fd = -1;
	struct ctl_ext4_sb sb;
	char dev[PATH_MAX];
	int err;

	if (fs->mounted) {
		err = ctl_ext4_fs_tune_get(fs, &p);
		if (err < 0)
			return err;
		*data = ctl_ext4_defm_data(p.default_mnt_opts);
		err = ctl_fmt(opts, len, "%.*s", (int)sizeof(p.mount_opts),
			      (const char *)p.mount_opts);
		return err < 0 ? err : 0;
	}
	err = fs_where(fs, fs->dev, dev, sizeof(dev), &fd);
	if (err == 0)
		err = ctl_ext4_sb_read(dev, &sb);
	if (err < 0)
		return err;
	*data = ctl_ext4_defm_data(sb.default_mount_opts);
	err = ctl_fmt(opts, len, "%s", sb.mount_opts);
	return err < 0 ? err : 0;
}

int ctl_ext4_fs_sb_write(const struct ctl_ext4_fs *fs, const char *opts,
			 int data)
{
	_cleanup_close_ int fd = -1;
	char where[PATH_MAX];
	int err = fs_where(fs, fs->mounted ? fs->m.target : fs->dev, where,
			   sizeof(where), &fd);

	if (err < 0)
		return err;
	if (fs->mounted)
		return tune_set(where, opts, data);
	return ctl_ext4_sb_write(where, opts, data);
}

int ctl_ext4_fs_tune_get(const struct ctl_ext4_fs *fs,
			 struct ext4_tune_sb_params *p)
{
	_cleanup_close_ int fd = -1;
	char where[PATH_MAX];
	int err = fs_where(fs, fs->m.target, where, sizeof(where), &fd);

	return err < 0 ? err : tune_get(where, p);
}

int ctl_ext4_fs_sb_writable(struct ctl_ext4_fs *fs)
{
	_cleanup_close_ int fd = -1;
	char where[PATH_MAX];
	int err = fs_where(fs, fs->dev, where, sizeof(where), &fd);

	return err < 0 ? err : ctl_ext4_sb_writable(where, &fs->sb);
}

int ctl_ext4_fs_reconfigure(const struct ctl_ext4_fs *fs, const char *key,
			    const char *val, int flags, int *via)
{
	_cleanup_close_ int fd = -1;
	char where[PATH_MAX];
	int err = fs_where(fs, fs->m.target, where, sizeof(where), &fd);

	*via = CTL_EXT4_VIA_FSCONFIG;
	return err < 0 ? err
		       : reconfigure(where, key, val, fs->m.sb_ro,
				     fs->m.vfs_flags, flags, via);
}

int ctl_ext4_fs_checkpoint(const struct ctl_ext4_fs *fs, uint32_t flags)
{
	_cleanup_close_ int fd = -1;
	char where[PATH_MAX];
	int err = fs_where(fs, fs->m.target, where, sizeof(where), &fd);

	return err < 0 ? err : checkpoint(where, flags);
}
