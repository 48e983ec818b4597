/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Memory reclaim: vm.swappiness (value, range, change with read-back),
 * /proc/meminfo, /proc/vmstat, /proc/swaps, the sysctl.d files that set a
 * key at boot, the adaptive rule of the source article, and the state file
 * that makes a scoped swappiness change recoverable after a crash.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ctl/root.h"

#define CTL_VM_SWAPPINESS "/proc/sys/vm/swappiness"

/* Where `set --persist` writes its drop-in. */
#define CTL_VM_PERSIST_FILE "/etc/sysctl.d/90-swapadj.conf"

/* The state file of scoped changes and the lock that serialises them. */
#define CTL_VM_STATE_FILE "/run/swapadj.state"
#define CTL_VM_STATE_LOCK "/run/swapadj.lock"

/*
 * Read-in threshold of the adaptive rule in KiB/s. The source article says
 * "500 pages/s" but reads pgpgin, which counts KiB: 500 pages of 4 KiB.
 */
#define CTL_VM_AUTO_READIN_KIBS 2000.0

/* Read vm.swappiness. Returns 0 or -errno. */
int ctl_vm_swappiness_get(const struct ctl_root *r, unsigned int *val);

/*
 * The largest swappiness this kernel accepts: 200 since Linux 5.8, else
 * 100 (from <root>/proc/sys/kernel/osrelease). Returns it or -errno.
 */
int ctl_vm_swappiness_max(const struct ctl_root *r);

/*
 * Write VAL to vm.swappiness and read it back into *NOW (may be NULL).
 * Returns 0, -ERANGE when VAL is above the kernel's maximum (nothing is
 * written), -EIO when the kernel kept another value, or -errno.
 */
int ctl_vm_swappiness_set(const struct ctl_root *r, unsigned int val,
			  unsigned int *now);

/* The parts of /proc/meminfo the tools use, in KiB (0 when absent). */
struct ctl_meminfo {
	uint64_t total;
	uint64_t free;
	uint64_t available;
	uint64_t swap_total;
	uint64_t swap_free;
};

/* Parse <root>/proc/meminfo. Returns 0, -ENODATA without MemTotal, -errno. */
int ctl_vm_meminfo_read(const struct ctl_root *r, struct ctl_meminfo *mi);

/* /proc/vmstat counters: pgpg* are KiB of block I/O, pswp* are pages. */
struct ctl_vmstat {
	uint64_t pgpgin;
	uint64_t pgpgout;
	uint64_t pswpin;
	uint64_t pswpout;
};

/* Parse <root>/proc/vmstat. Returns 0, -ENODATA without pgpgin, -errno. */
int ctl_vm_vmstat_read(const struct ctl_root *r, struct ctl_vmstat *vs);

/* Read-in rate in KiB/s between samples A and B taken SECS apart. */
double ctl_vm_readin_rate(const struct ctl_vmstat *a,
			  const struct ctl_vmstat *b, double secs);

/*
 * Memory pressure stall information (PSI) of <root>/proc/pressure/memory:
 * the share of wall time, in percent, in which some task (some) or every
 * non-idle task (full) waited for memory, averaged by the kernel over 10,
 * 60 and 300 seconds, and the total stall time in microseconds. The kernel
 * keeps the averages itself: one read gives a current figure, no sampling.
 */
struct ctl_psi {
	double some[3]; /* avg10, avg60, avg300 */
	double full[3];
	uint64_t some_total;
	uint64_t full_total;
	bool has_full; /* "full" line present */
};

/*
 * Parse <root>/proc/pressure/memory (opened without blocking). Returns 0,
 * -ENOENT without PSI in the kernel, -EOPNOTSUPP when it was booted with
 * psi=0, -EBADMSG when the file is not in that format, or -errno.
 */
int ctl_vm_psi_read(const struct ctl_root *r, struct ctl_psi *p);

/* One line of /proc/swaps; sizes in KiB. */
struct ctl_swap {
	char name[256]; /* octal escapes (\040) decoded */
	char type[16]; /* partition, file */
	uint64_t size;
	uint64_t used;
	int prio;
	bool zram; /* a /dev/zramN compressed RAM device */
};

/*
 * Parse <root>/proc/swaps into a malloc()ed array *OUT of *N entries
 * (NULL and 0 when no swap is active). Returns 0 or -errno.
 */
int ctl_vm_swaps_read(const struct ctl_root *r, struct ctl_swap **out,
		      size_t *n);

/* Where a sysctl key is set at boot. */
struct ctl_sysctl_hit {
	char path[512]; /* inside the root */
	unsigned int line;
	char value[64];
};

/*
 * Every assignment of KEY ("vm.swappiness"; "vm/swappiness" also matches)
 * in the boot configuration, in the order `sysctl --system` applies them:
 * *.conf files of /etc/sysctl.d, /run/sysctl.d, /usr/local/lib/sysctl.d,
 * /usr/lib/sysctl.d and /lib/sysctl.d (a name in an earlier directory hides
 * the same name in a later one), sorted by file name, then
 * /etc/sysctl.conf unless one of those files is it. The last hit wins.
 * *OUT is malloc()ed (NULL when there are none). Files are opened without
 * blocking. Returns 0 or -errno (-CTL_ENOTREG: a FIFO or device); on
 * failure *OUT, when not NULL, is one entry with line 0 naming the file
 * that could not be read.
 */
int ctl_vm_sysctl_scan(const struct ctl_root *r, const char *key,
		       struct ctl_sysctl_hit **out, size_t *n);

/*
 * Write CTL_VM_PERSIST_FILE setting vm.swappiness to VAL with
 * ctl_file_write_atomicat() (temporary file, fsync, rename, fsync of the
 * directory), creating /etc/sysctl.d when missing. Returns 0 or -errno.
 */
int ctl_vm_persist(const struct ctl_root *r, unsigned int val);

/*
 * What the drop-in sets: its value, or -ENOMSG when the file is there but
 * assigns vm.swappiness no number (edited by hand). *VAL is
 * CTL_VM_SAVE_NONE when there is no drop-in. Returns 0 or -errno
 * (-CTL_ENOTREG, -EISDIR for a file that is none).
 */
int ctl_vm_dropin_get(const struct ctl_root *r, int *val);

/*
 * Remove CTL_VM_PERSIST_FILE and fsync its directory (restore of a save
 * file made when there was none). Returns 0 (also when it is absent) or
 * -errno.
 */
int ctl_vm_unpersist(const struct ctl_root *r);

/*
 * The save file of `set --save FILE`: the value vm.swappiness had before
 * the change and, with --persist, what the drop-in held, for `restore
 * FILE`. The lines
 *   # swapadj save file v1
 *   swappiness N
 *   dropin none|N            (only with --persist)
 * then the seal of include/ctl/file.h counting the records (the lines
 * not starting with '#'). Written with ctl_file_write_atomic(), mode 0600.
 */
#define CTL_VM_SAVE_NONE (-1) /* dropin: there was no drop-in file */
#define CTL_VM_SAVE_UNSET (-2) /* not recorded */
#define CTL_VM_SAVE_SIZE 4096 /* larger: not a swapadj save file */

struct ctl_vm_save {
	int swappiness; /* CTL_VM_SAVE_UNSET: no records */
	int dropin; /* value, CTL_VM_SAVE_NONE, or CTL_VM_SAVE_UNSET */
};

/* S as a sealed save file into BUF. Returns the length or -ENOSPC. */
int ctl_vm_save_format(const struct ctl_vm_save *s, char *buf, size_t len);

/*
 * Parse the LEN bytes of BUF (NUL-terminated; changed) into S, all or
 * nothing. Returns 0; -EBADMSG when the seal is missing, cut, wrong or
 * counts other records (a file cut anywhere, even in its first line);
 * -ENOMSG for a file that is not a swapadj save file (another first line,
 * a record that does not parse, one given twice, a value above 1000). A
 * sealed file with no records gives S->swappiness CTL_VM_SAVE_UNSET.
 */
int ctl_vm_save_parse(char *buf, size_t len, struct ctl_vm_save *s);

/* Write S to PATH (the caller's path, not under a root). 0 or -errno. */
int ctl_vm_save_write(const char *path, const struct ctl_vm_save *s);

/*
 * Read PATH (ctl_file_read_input: a FIFO cannot block; -EFBIG above
 * CTL_VM_SAVE_SIZE) and parse it. Returns 0, the errors of
 * ctl_vm_save_parse(), -EISDIR, -CTL_ENOTREG, -EFBIG or -errno.
 */
int ctl_vm_save_read(const char *path, struct ctl_vm_save *s);

/*
 * Whether `set --save PATH` may write PATH: ctl_file_save_ok() with
 * ctl_vm_save_read() as the judge of an existing file. Returns 1 when
 * PATH exists, 0 when not, -ENOMSG when it exists and is not a swapadj
 * save file (or is too large), or -errno as ctl_file_dest_ok().
 */
int ctl_vm_save_ok(const char *path);

/* Inputs of the adaptive rule. */
struct ctl_vm_auto_in {
	uint64_t total; /* MemTotal, KiB */
	uint64_t available; /* MemAvailable, KiB */
	double readin; /* pgpgin rate, KiB/s */
	unsigned int min, max;
};

/* What the rule chose and why. */
struct ctl_vm_auto {
	unsigned int value;
	unsigned int base; /* 10 + (1 - avail/total) * 30, truncated */
	bool readin_high; /* readin > CTL_VM_AUTO_READIN_KIBS: +10 */
	double avail_pct;
	int clamped; /* -1 raised to min, 1 lowered to max, 0 not */
};

/*
 * The source article's rule: base = 10 + (1 - avail/total) * 30, +10 when
 * the read-in rate exceeds CTL_VM_AUTO_READIN_KIBS, clamped to
 * [min, max]. Returns 0, or -EINVAL when total is 0 or min > max.
 */
int ctl_vm_auto_compute(const struct ctl_vm_auto_in *in,
			struct ctl_vm_auto *out);

/*
 * The state file. Every process that changes swappiness for a while (run,
 * auto) registers as an owner; the first records the value it found
 * ("original"). When an owner leaves and others remain, the value of the
 * newest remaining owner that set one is applied; the last to leave
 * restores the original and deletes the file. An owner whose process is
 * gone (crash, SIGKILL) is dropped by the next join, leave or restore;
 * `restore` refuses while a live owner remains.
 */
#define CTL_VM_STATE_MAX 64

struct ctl_vm_owner {
	pid_t pid;
	uint64_t start; /* process start time (clock ticks), 0 unknown */
	int value; /* swappiness it set, -1 none (cgroup only) */
	char cgroup[512]; /* cgroup it created (to remove), "" none */
};

struct ctl_vm_state {
	int original; /* -1 when no owner changed vm.swappiness */
	size_t n;
	struct ctl_vm_owner owner[CTL_VM_STATE_MAX];
};

/*
 * The file is the lines "original N" and "owner PID START VALUE CGROUP"
 * (comments allowed), then the seal of include/ctl/file.h counting those
 * lines, and is replaced with ctl_file_write_atomicat().
 */

/* Parse the lines BUF (no seal). Returns 0 or -EINVAL. */
int ctl_vm_state_parse(const char *buf, struct ctl_vm_state *st);

/* Format ST as lines (no seal) into BUF. Returns the length or -errno. */
int ctl_vm_state_format(const struct ctl_vm_state *st, char *buf, size_t len);

/*
 * Read the state file: opened without blocking (-CTL_ENOTREG for a FIFO or
 * device, -EISDIR), refused whole with -EBADMSG when the seal is missing,
 * cut or wrong or counts other lines, -EINVAL for lines that are not state
 * lines. An absent file gives an empty state (original -1, no owners).
 * Returns 1 (read), 0 (no file) or -errno.
 */
int ctl_vm_state_read(const struct ctl_root *r, struct ctl_vm_state *st);

/*
 * 1 if process PID (started at START clock ticks, 0 unknown) is alive, 0
 * if not: kill(pid, 0), plus <root>/proc/PID/stat when readable, so that
 * neither a recycled pid nor a zombie (killed, not yet reaped) counts.
 */
int ctl_vm_pid_alive(const struct ctl_root *r, pid_t pid, uint64_t start);

/* Start time of PID from <root>/proc/PID/stat. Returns 0 or -errno. */
int ctl_vm_pid_start(const struct ctl_root *r, pid_t pid, uint64_t *start);

/*
 * Register ME (under the lock) and, when ME->value >= 0, record the
 * current swappiness as the original if none is recorded yet and write
 * ME->value. Dead owners are dropped first (their original is kept: it is
 * what the host had before the crash). *ORIGINAL (may be NULL) receives
 * the recorded original or -1. Returns 0, -ENOSPC with too many owners,
 * or -errno (the state is then left as it was; after -EIO, the kernel
 * kept another value, the value found is written back).
 */
int ctl_vm_state_join(const struct ctl_root *r, const struct ctl_vm_owner *me,
		      int *original);

/*
 * Change the value owner PID holds to VAL and write it (auto). Records the
 * original first if none is. While a newer owner holds a value, VAL is
 * only recorded (it applies when that owner leaves). Returns 0 (written),
 * 1 (recorded only), -ESRCH if PID is not an owner, or -errno.
 */
int ctl_vm_state_set(const struct ctl_root *r, pid_t pid, unsigned int val);

/* What leaving or restoring did. */
struct ctl_vm_restore {
	bool found; /* a state file was there (maybe with no records) */
	int applied; /* value written to vm.swappiness, -1 none */
	int before; /* vm.swappiness before that write, -1 unknown */
	size_t remaining; /* live owners left */
	size_t dropped; /* dead owners removed */
	pid_t live; /* restore: a live owner that blocked it */
	size_t removed; /* cgroups of dead owners removed */
	char kept[4][512]; /* ... and some that could not be (busy) */
	size_t nkept;
};

/*
 * Unregister owner PID and apply the rule above. Returns 0, -ESRCH if PID
 * was not an owner (nothing changed), or -errno.
 */
int ctl_vm_state_leave(const struct ctl_root *r, pid_t pid,
		       struct ctl_vm_restore *res);

/*
 * Recover after a crash: with only dead owners, write the original back and
 * delete the state file. Returns 0 (also when there is no state file or it
 * has no records: res->applied is -1, res->found tells which), -EBUSY when
 * a live owner remains (res->live), or -errno (the errors of
 * ctl_vm_state_read(): nothing is then changed).
 */
int ctl_vm_state_restore(const struct ctl_root *r, struct ctl_vm_restore *res);

/*
 * What ctl_vm_state_restore() would do, done by nothing: the state file is
 * read without the lock, nothing is written or removed (restore
 * --dry-run). RES gets found, dropped (the owners that are gone), and
 * applied and before as a restore would set them. Returns 0, -EBUSY when
 * a live owner remains (res->live), or the errors of ctl_vm_state_read().
 */
int ctl_vm_state_plan(const struct ctl_root *r, struct ctl_vm_restore *res);
