// SPDX-License-Identifier: LGPL-2.1-or-later
/* Scheduler and depth rules of a blk-mq request queue. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ctl/attr.h"
#include "ctl/file.h"
#include "ctl/queue.h"
#include "internal.h"

/* "[mq-deadline] kyber none" -> current and the list without brackets. */
static void parse_sched(const char *s, struct ctl_queue *q)
{
	size_t used = 0;

	q->sched[0] = q->scheds[0] = '\0';
	q->sched_fixed = false;
	while (*s) {
		size_t len;
		int cur = 0;

		s += strspn(s, " ");
		len = strcspn(s, " ");
		if (!len)
			break;
		if (s[0] == '[' && s[len - 1] == ']') {
			cur = 1;
			snprintf(q->sched, sizeof(q->sched), "%.*s",
				 (int)(len - 2), s + 1);
		}
		if (used + len + 2 < sizeof(q->scheds))
			used += (size_t)snprintf(q->scheds + used,
						 sizeof(q->scheds) - used,
						 "%s%.*s", used ? " " : "",
						 (int)(len - 2 * cur), s + cur);
		s += len;
	}
	/* A lone "none" without brackets: the queue takes no scheduler. */
	if (!q->sched[0] && strcmp(q->scheds, "none") == 0) {
		snprintf(q->sched, sizeof(q->sched), "none");
		q->sched_fixed = true;
	}
}

/*
 * Hardware tag depth. Every hardware queue of a disk shares one tag set
 * depth, so hardware queue 0 tells (one read on the hotplug path).
 */
static uint64_t hw_depth(const struct ctl_root *r, const char *dir)
{
	char mq[PATH_MAX];
	uint64_t v = 0;

	if (ctl_fmt(mq, sizeof(mq), "%s/mq/0", dir) < 0 ||
	    ctl_attr_read_u64(r, mq, "nr_tags", &v) < 0)
		return 0;
	return v;
}

int ctl_queue_read(const struct ctl_root *r, const char *name,
		   struct ctl_queue *q)
{
	char dir[PATH_MAX], qdir[PATH_MAX], buf[256];
	uint64_t v;
	int err;

	memset(q, 0, sizeof(*q));
	q->rotational = -1;
	if (ctl_name_check(name) < 0 ||
	    ctl_fmt(q->name, sizeof(q->name), "%s", name) < 0)
		return -EINVAL;
	if (ctl_fmt(dir, sizeof(dir), "/sys/block/%s", name) < 0 ||
	    ctl_fmt(qdir, sizeof(qdir), "%s/queue", dir) < 0)
		return -EINVAL;
	err = ctl_attr_read_u64(r, qdir, "nr_requests", &q->depth);
	if (err < 0)
		return err == -ENOENT ? -ENODEV : err;
	if (ctl_attr_read(r, dir, "dev", buf, sizeof(buf)) >= 0 &&
	    sscanf(buf, "%u:%u", &q->major, &q->minor) != 2)
		q->major = q->minor = 0;
	err = ctl_attr_read(r, qdir, "scheduler", buf, sizeof(buf));
	if (err >= 0)
		parse_sched(buf, q);
	q->hw_depth = hw_depth(r, dir);
	ctl_attr_read_u64(r, qdir, "read_ahead_kb", &q->read_ahead_kb);
	if (ctl_attr_read_u64(r, qdir, "rotational", &v) == 0)
		q->rotational = v != 0;
	if (ctl_fmt(buf, sizeof(buf), "%s/device", dir) >= 0)
		ctl_attr_read_u64(r, buf, "queue_depth", &q->dev_queue_depth);
	return 0;
}

int ctl_queue_has_sched(const struct ctl_queue *q, const char *sched)
{
	const char *s = q->scheds;
	size_t len = strlen(sched);

	if (!len || strchr(sched, ' '))
		return 0;
	while ((s = strstr(s, sched))) {
		if ((s == q->scheds || s[-1] == ' ') &&
		    (s[len] == ' ' || s[len] == '\0'))
			return 1;
		s += len;
	}
	return 0;
}

void ctl_queue_range(const struct ctl_queue *q, const char *sched,
		     uint64_t *min, uint64_t *max)
{
	*min = CTL_QUEUE_MIN_DEPTH;
	if (strcmp(sched, "none") == 0)
		*max = q->hw_depth ? q->hw_depth : q->depth;
	else
		*max = CTL_QUEUE_MAX_SCHED_DEPTH;
	if (*max < *min)
		*max = *min;
}

static int reject(struct ctl_queue_change *c, int err, const char *fmt, ...)
	_printf_(3, 4);
static int reject(struct ctl_queue_change *c, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
	c->result = CTL_QUEUE_REJECTED;
	c->err = err;
	return err;
}

int ctl_queue_plan(const struct ctl_queue *q, const struct ctl_queue_want *w,
		   struct ctl_queue_change *c)
{
	memset(c, 0, sizeof(*c));
	c->before = c->after = *q;
	c->result = CTL_QUEUE_PLANNED;
	snprintf(c->sched, sizeof(c->sched), "%s", q->sched);
	if (w->sched) {
		if (q->sched_fixed && strcmp(w->sched, "none") != 0)
			return reject(c, -EINVAL,
				      "queue takes no I/O scheduler");
		if (!ctl_queue_has_sched(q, w->sched))
			return reject(c, -EINVAL,
				      "unknown scheduler %s; available: %s",
				      w->sched, q->scheds);
		snprintf(c->sched, sizeof(c->sched), "%s", w->sched);
	}
	ctl_queue_range(q, c->sched, &c->min, &c->max);
	if (!w->set_depth)
		return 0;
	c->depth = w->depth_max ? c->max : w->depth;
	if (c->depth >= c->min && c->depth <= c->max)
		return 0;
	if (!w->clamp)
		return reject(
			c, -ERANGE,
			"depth %" PRIu64 " out of range %" PRIu64 "..%" PRIu64
			" with scheduler %s; use --clamp or pick a scheduler",
			c->depth, c->min, c->max, c->sched);
	snprintf(c->why, sizeof(c->why),
		 "depth %" PRIu64 " clamped to %" PRIu64 "..%" PRIu64
		 " with scheduler %s",
		 c->depth, c->min, c->max, c->sched);
	c->depth = c->depth < c->min ? c->min : c->max;
	return 0;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/*
 * Write a queue attribute. The kernel answers EBUSY while an elevator
 * switch is in progress on the queue (another writer, udev's ATTR{}):
 * wait that out, briefly (about 0.3 s in all), then give up.
 */
static int write_attr(const struct ctl_root *r, const char *qdir,
		      const char *name, const char *val)
{
	unsigned int wait = 1;
	int err;

	for (int tries = 1;; tries++) {
		err = ctl_attr_write(r, qdir, name, val);
		if (err != -EBUSY || tries == 12)
			return err;
		sleep_ms(wait);
		wait = wait < 32 ? wait * 2 : 50;
	}
}

static int write_u64(const struct ctl_root *r, const char *qdir,
		     const char *name, uint64_t v)
{
	char val[32];

	snprintf(val, sizeof(val), "%" PRIu64, v);
	return write_attr(r, qdir, name, val);
}

static int fail(struct ctl_queue_change *c, int err, const char *what)
{
	snprintf(c->why, sizeof(c->why), "writing %s: %s", what,
		 strerror(-err));
	c->result = CTL_QUEUE_FAILED;
	c->err = err;
	return err;
}

/* Read back what apply may have changed (cheap: runs on every hotplug). */
static int read_back(const struct ctl_root *r, const char *qdir,
		     struct ctl_queue *q)
{
	char buf[256];
	int err;

	err = ctl_attr_read_u64(r, qdir, "nr_requests", &q->depth);
	if (err < 0)
		return err;
	err = ctl_attr_read(r, qdir, "scheduler", buf, sizeof(buf));
	if (err >= 0)
		parse_sched(buf, q);
	err = ctl_attr_read_u64(r, qdir, "read_ahead_kb", &q->read_ahead_kb);
	return err == -ENOENT ? 0 : err;
}

static int same_values(const struct ctl_queue *a, const struct ctl_queue *b)
{
	return strcmp(a->sched, b->sched) == 0 && a->depth == b->depth &&
	       a->read_ahead_kb == b->read_ahead_kb;
}

/*
 * Put OLD back on the queue in QDIR: the scheduler when it is not OLD's
 * (switching resets nr_requests, so it goes first), then the depth and
 * the read-ahead; read the result back into NOW. Returns 0 when NOW is
 * OLD again, the first write error, or -EIO when the values differ.
 */
static int put_back(const struct ctl_root *r, const char *qdir,
		    const struct ctl_queue *old, struct ctl_queue *now)
{
	int err = 0, e;

	if (old->sched[0] && !old->sched_fixed &&
	    (read_back(r, qdir, now) < 0 || strcmp(now->sched, old->sched)))
		err = write_attr(r, qdir, "scheduler", old->sched);
	e = write_u64(r, qdir, "nr_requests", old->depth);
	err = err < 0 ? err : e;
	e = write_u64(r, qdir, "read_ahead_kb", old->read_ahead_kb);
	err = err < 0 ? err : e;
	e = read_back(r, qdir, now);
	if (err < 0 || e < 0)
		return err < 0 ? err : e;
	return same_values(old, now) ? 0 : -EIO;
}

/*
 * A write or a read-back failed with ERR (the message in FMT): put the old
 * values back and say in C whether that worked.
 */
static int fail_back(const struct ctl_root *r, const char *qdir,
		     struct ctl_queue_change *c, int err, const char *fmt, ...)
	_printf_(5, 6);
static int fail_back(const struct ctl_root *r, const char *qdir,
		     struct ctl_queue_change *c, int err, const char *fmt, ...)
{
	const struct ctl_queue *now = &c->after;
	va_list ap;
	size_t len;
	int e;

	va_start(ap, fmt);
	vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
	e = put_back(r, qdir, &c->before, &c->after);
	len = strlen(c->why);
	if (e == 0)
		snprintf(c->why + len, sizeof(c->why) - len, "; rolled back");
	else if (e == -EIO)
		snprintf(
			c->why + len, sizeof(c->why) - len,
			"; rollback incomplete: now scheduler %s depth %" PRIu64
			" read_ahead_kb %" PRIu64,
			now->sched, now->depth, now->read_ahead_kb);
	else
		snprintf(c->why + len, sizeof(c->why) - len,
			 "; rollback incomplete: %s", strerror(-e));
	c->result = CTL_QUEUE_FAILED;
	c->err = err;
	return err;
}

int ctl_queue_apply(const struct ctl_root *r, const struct ctl_queue_want *w,
		    struct ctl_queue_change *c)
{
	const struct ctl_queue *old = &c->before;
	int clamped = c->why[0] != '\0';
	char qdir[PATH_MAX];
	int err;

	if (ctl_fmt(qdir, sizeof(qdir), "/sys/block/%s/queue", old->name) < 0)
		return -EINVAL;
	if (w->sched && strcmp(w->sched, old->sched) != 0) {
		err = write_attr(r, qdir, "scheduler", w->sched);
		if (err < 0)
			return fail(c, err, "scheduler");
	}
	/* Switching the scheduler resets nr_requests: depth goes second. */
	if (c->depth) {
		err = write_u64(r, qdir, "nr_requests", c->depth);
		if (err < 0)
			return fail_back(r, qdir, c, err,
					 "writing nr_requests: %s",
					 strerror(-err));
	}
	if (w->set_read_ahead) {
		err = write_u64(r, qdir, "read_ahead_kb", w->read_ahead_kb);
		if (err < 0)
			return fail_back(r, qdir, c, err,
					 "writing read_ahead_kb: %s",
					 strerror(-err));
	}
	err = read_back(r, qdir, &c->after);
	if (err < 0)
		return fail_back(r, qdir, c, err, "read-back: %s",
				 strerror(-err));
	if ((c->depth && c->after.depth != c->depth) ||
	    (w->sched && strcmp(c->after.sched, w->sched) != 0))
		return fail_back(r, qdir, c, -EIO,
				 "read back scheduler %s depth %" PRIu64
				 ", asked %s %" PRIu64,
				 c->after.sched, c->after.depth, c->sched,
				 c->depth);
	/* The kernel keeps read-ahead in whole pages and rounds down. */
	if (w->set_read_ahead && c->after.read_ahead_kb != w->read_ahead_kb)
		return fail_back(r, qdir, c, -EIO,
				 "read back read_ahead_kb %" PRIu64
				 ", asked %" PRIu64 " (kept in whole pages)",
				 c->after.read_ahead_kb, w->read_ahead_kb);
	if (same_values(&c->after, old))
		c->result = CTL_QUEUE_UNCHANGED;
	else
		c->result = clamped ? CTL_QUEUE_CLAMPED : CTL_QUEUE_APPLIED;
	return 0;
}

int ctl_queue_revert(const struct ctl_root *r, struct ctl_queue_change *c)
{
	char qdir[PATH_MAX];
	int err;

	if (ctl_fmt(qdir, sizeof(qdir), "/sys/block/%s/queue", c->before.name) <
	    0)
		return -EINVAL;
	err = put_back(r, qdir, &c->before, &c->after);
	if (err == 0) {
		c->result = CTL_QUEUE_ROLLED_BACK;
		snprintf(c->why, sizeof(c->why), "rolled back");
		return 0;
	}
	c->result = CTL_QUEUE_FAILED;
	c->err = err;
	if (err == -EIO)
		snprintf(c->why, sizeof(c->why),
			 "rollback incomplete: now scheduler %s depth %" PRIu64
			 " read_ahead_kb %" PRIu64,
			 c->after.sched, c->after.depth,
			 c->after.read_ahead_kb);
	else
		snprintf(c->why, sizeof(c->why), "rollback failed: %s",
			 strerror(-err));
	return err;
}

const char *ctl_queue_result_name(enum ctl_queue_result res)
{
	static const char *const names[] = {
		[CTL_QUEUE_APPLIED] = "applied",
		[CTL_QUEUE_UNCHANGED] = "unchanged",
		[CTL_QUEUE_CLAMPED] = "clamped",
		[CTL_QUEUE_REJECTED] = "rejected",
		[CTL_QUEUE_NA] = "not applicable",
		[CTL_QUEUE_FAILED] = "failed",
		[CTL_QUEUE_PLANNED] = "planned",
		[CTL_QUEUE_SKIPPED] = "skipped",
		[CTL_QUEUE_ROLLED_BACK] = "rolled back",
	};

	return res < ARRAY_SIZE(names) && names[res] ? names[res] : "?";
}

int ctl_queue_ensure_sched(const struct ctl_root *r, struct ctl_queue *q,
			   const char *sched, bool dry_run)
{
	size_t len = strlen(q->scheds);
	int err;

	if (ctl_queue_has_sched(q, sched))
		return 0;
	if (!dry_run) {
		err = ctl_kmod_load_sched(r, sched);
		if (err < 0)
			return err;
		err = ctl_queue_read(r, q->name, q);
		if (err < 0)
			return err;
		return ctl_queue_has_sched(q, sched) ? 0 : -ENOENT;
	}
	/* A dry run changes nothing on the host: look the module up only. */
	err = ctl_kmod_find_sched(r, sched);
	if (err < 0)
		return err;
	if (ctl_fmt(q->scheds + len, sizeof(q->scheds) - len, "%s%s",
		    len ? " " : "", sched) < 0) {
		q->scheds[len] = '\0';
		return -ENAMETOOLONG;
	}
	return 1;
}

#define SAVE_MAGIC "# qdepth save file v1\n"
#define SAVE_HEAD                                                              \
	SAVE_MAGIC "# device scheduler nr_requests read_ahead_kb maj:min\n"
/* Far more than any host's disks need; a bigger file is not ours. */
#define SAVE_MAX (1u << 20)
/* "name sched depth read_ahead maj:min\n" at most. */
#define SAVE_LINE (CTL_DEVNAME_MAX + 32 + 3 * 21 + 16)

int ctl_queue_save(const char *path, const struct ctl_queue *qs, size_t n)
{
	size_t cap = sizeof(SAVE_HEAD) + n * SAVE_LINE + CTL_SEAL_MAX;
	_cleanup_free_ char *buf = malloc(cap);
	size_t len;
	int sealed;

	if (!buf)
		return -ENOMEM;
	len = (size_t)snprintf(buf, cap, "%s", SAVE_HEAD);
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, cap - len,
					"%s %s %" PRIu64 " %" PRIu64 " %u:%u\n",
					qs[i].name,
					qs[i].sched[0] ? qs[i].sched : "-",
					qs[i].depth, qs[i].read_ahead_kb,
					qs[i].major, qs[i].minor);
	/* The seal lets restore refuse a cut file instead of applying
	 * half of it (or a record cut short: 1280 read as 128). */
	sealed = ctl_seal_append(buf, cap, len, (unsigned int)n);
	if (sealed < 0)
		return sealed;
	return ctl_file_write_atomic(path, buf, (size_t)sealed, 0600);
}

/* One record line (without its newline) into Q. */
static int parse_record(const char *line, struct ctl_queue *q)
{
	int end = 0;

	*q = (struct ctl_queue){.rotational = -1};
	if (sscanf(line, "%31s %31s %" SCNu64 " %" SCNu64 " %u:%u%n", q->name,
		   q->sched, &q->depth, &q->read_ahead_kb, &q->major, &q->minor,
		   &end) != 6 ||
	    line[end] != '\0' || ctl_name_check(q->name) < 0)
		return -ENOMSG;
	if (strcmp(q->sched, "-") == 0)
		q->sched[0] = '\0'; /* the queue had no scheduler file */
	return 0;
}

int ctl_queue_load(const char *path, struct ctl_queue **qs, size_t *n)
{
	_cleanup_free_ struct ctl_queue *v = NULL;
	_cleanup_free_ char *buf = NULL;
	size_t len, body, cnt = 0;
	unsigned int records;
	char *line, *next;
	int err;

	err = ctl_file_read_input(AT_FDCWD, path, SAVE_MAX, &buf, &len);
	if (err < 0)
		return err;
	/* A file cut inside the first line is a cut save file. */
	if (len < strlen(SAVE_MAGIC) && memcmp(buf, SAVE_MAGIC, len) == 0)
		return -EBADMSG;
	if (strncmp(buf, SAVE_MAGIC, strlen(SAVE_MAGIC)) != 0)
		return -ENOMSG;
	if (ctl_seal_check(buf, len, &body, &records) < 0)
		return -EBADMSG;
	buf[body] = '\0';
	for (line = buf; *line; line = next) {
		struct ctl_queue *nv;

		next = strchr(line, '\n');
		*next++ = '\0'; /* the body ends with a newline */
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (cnt == records)
			return -EBADMSG; /* more than the seal counts */
		nv = realloc(v, (cnt + 1) * sizeof(*v));
		if (!nv)
			return -ENOMEM;
		v = nv;
		err = parse_record(line, &v[cnt]);
		if (err < 0)
			return err;
		cnt++;
	}
	if (cnt != records)
		return -EBADMSG;
	*qs = TAKE_PTR(v);
	*n = cnt;
	return 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* mkdir NAME in the directory open at DIRFD; an existing one is fine. */
static int mkdir_in(int dirfd, const char *name)
{
	return mkdirat(dirfd, name, 0755) < 0 && errno != EEXIST ? neg_errno()
								 : 0;
}

int ctl_queue_lock(const struct ctl_root *r, unsigned int major,
		   unsigned int minor, unsigned int timeout_ms)
{
	_cleanup_close_ int top = -1, run = -1;
	char path[64];
	uint64_t end = now_ms() + timeout_ms;
	unsigned int step = 1;
	int fd, err;

	/* Under the root, so a --sysroot tree never touches the host's. */
	top = ctl_root_open_path(r, "/", O_PATH | O_DIRECTORY, 0);
	if (top < 0)
		return top;
	err = mkdir_in(top, "run");
	if (err < 0)
		return err;
	run = ctl_root_open_path(r, "/run", O_PATH | O_DIRECTORY, 0);
	if (run < 0)
		return run;
	err = mkdir_in(run, "lock");
	if (err < 0)
		return err;
	snprintf(path, sizeof(path), "/run/lock/qdepth-%u:%u.lock", major,
		 minor);
	/* Open before create: with fs.protected_regular, O_CREAT on another
	 * user's file in the sticky /run/lock fails. */
	fd = ctl_root_open_path(r, path, O_RDONLY | O_NOFOLLOW, 0);
	if (fd == -ENOENT)
		fd = ctl_root_open_path(r, path,
					O_RDONLY | O_CREAT | O_NOFOLLOW, 0644);
	if (fd < 0)
		return fd;
	/* Polled, not blocking: a library cannot arm a signal to bound a
	 * blocking flock(), and udev must not wait for ever. Every 10 ms at
	 * most, so that a waiter takes a released lock about as soon as a
	 * newcomer does. */
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		err = errno == EWOULDBLOCK ? -ETIMEDOUT : neg_errno();
		if (err != -ETIMEDOUT || now_ms() >= end) {
			close(fd);
			return err;
		}
		sleep_ms(step);
		step = step < 8 ? step * 2 : 10;
	}
	return fd;
}
