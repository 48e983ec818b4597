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
#include "ctl/clock.h"
#include "ctl/file.h"
#include "ctl/parse.h"
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

int ctl_queue_open(const struct ctl_root *r, const char *name)
{
	char dir[PATH_MAX];
	int fd;

	if (ctl_name_check(name) < 0 || strlen(name) >= CTL_DEVNAME_MAX ||
	    ctl_fmt(dir, sizeof(dir), "/sys/block/%s", name) < 0)
		return -EINVAL;
	fd = ctl_root_open_path(r, dir, O_PATH | O_DIRECTORY, 0);
	return fd == -ENOENT || fd == -ENOTDIR ? -ENODEV : fd;
}

int ctl_queue_exists_at(int dfd)
{
	int fd = ctl_attr_open_at(dfd, "queue/nr_requests", O_PATH, 0);

	if (fd < 0)
		return fd == -ENOENT || fd == -ENOTDIR ? 0 : fd;
	close(fd);
	return 1;
}

/* Read the u64 attribute REL of the disk at DFD into *V; FIELD into HAVE. */
static void read_opt(int dfd, const char *rel, uint64_t *v, unsigned int field,
		     unsigned int *have)
{
	if (ctl_attr_read_u64_at(dfd, rel, v) == 0)
		*have |= field;
	else
		*v = 0;
}

int ctl_queue_read_at(const struct ctl_root *r, int dfd, const char *name,
		      unsigned int fields, struct ctl_queue *q)
{
	char buf[256];
	uint64_t v;
	int err;

	memset(q, 0, sizeof(*q));
	q->rotational = -1;
	if (ctl_fmt(q->name, sizeof(q->name), "%s", name) < 0)
		return -EINVAL;
	err = ctl_attr_read_u64_at(dfd, "queue/nr_requests", &q->depth);
	if (err < 0)
		return err == -ENOENT ? -ENODEV : err;
	if ((fields & CTL_QUEUE_DEVNO) &&
	    ctl_attr_read_at(dfd, "dev", buf, sizeof(buf)) >= 0 &&
	    sscanf(buf, "%u:%u", &q->major, &q->minor) == 2)
		q->have |= CTL_QUEUE_DEVNO;
	else
		q->major = q->minor = 0;
	if (fields & (CTL_QUEUE_SCHED | CTL_QUEUE_HW_DEPTH_NONE)) {
		/* No scheduler attribute at all is an answer too: the queue
		 * has none to set or to save. */
		err = ctl_attr_read_at(dfd, "queue/scheduler", buf,
				       sizeof(buf));
		if (err >= 0)
			parse_sched(buf, q);
		if (err >= 0 || err == -ENOENT)
			q->have |= CTL_QUEUE_SCHED;
	}
	/*
	 * Hardware tag depth, the top of the range with "none". Every
	 * hardware queue of a disk shares one tag set depth, so hardware
	 * queue 0 tells (one read on the hotplug path).
	 */
	if ((fields & CTL_QUEUE_HW_DEPTH) ||
	    ((fields & CTL_QUEUE_HW_DEPTH_NONE) &&
	     strcmp(q->sched, "none") == 0))
		read_opt(dfd, "mq/0/nr_tags", &q->hw_depth, CTL_QUEUE_HW_DEPTH,
			 &q->have);
	if (fields & CTL_QUEUE_READ_AHEAD)
		read_opt(dfd, "queue/read_ahead_kb", &q->read_ahead_kb,
			 CTL_QUEUE_READ_AHEAD, &q->have);
	if (fields & CTL_QUEUE_ROTATIONAL) {
		read_opt(dfd, "queue/rotational", &v, CTL_QUEUE_ROTATIONAL,
			 &q->have);
		if (q->have & CTL_QUEUE_ROTATIONAL)
			q->rotational = v != 0;
	}
	/* device/ leads out of the disk's directory (to the SCSI device):
	 * through the root, then. */
	if ((fields & CTL_QUEUE_DEV_DEPTH) &&
	    ctl_fmt(buf, sizeof(buf), "/sys/block/%s/device", name) >= 0 &&
	    ctl_attr_read_u64(r, buf, "queue_depth", &q->dev_queue_depth) == 0)
		q->have |= CTL_QUEUE_DEV_DEPTH;
	else
		q->dev_queue_depth = 0;
	return 0;
}

int ctl_queue_read(const struct ctl_root *r, const char *name,
		   struct ctl_queue *q)
{
	_cleanup_close_ int dfd = ctl_queue_open(r, name);

	if (dfd < 0) {
		memset(q, 0, sizeof(*q));
		q->rotational = -1;
		return dfd;
	}
	return ctl_queue_read_at(r, dfd, name, CTL_QUEUE_ALL, q);
}

unsigned int ctl_queue_plan_fields(const struct ctl_queue_want *w)
{
	unsigned int f = CTL_QUEUE_SCHED;

	if (w->set_read_ahead)
		f |= CTL_QUEUE_READ_AHEAD;
	/* The tag depth bounds nr_requests only under "none". */
	if (!w->sched)
		f |= CTL_QUEUE_HW_DEPTH_NONE;
	else if (strcmp(w->sched, "none") == 0)
		f |= CTL_QUEUE_HW_DEPTH;
	return f;
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

int ctl_queue_outcome(struct ctl_queue_change *c, enum ctl_queue_result res,
		      int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
	c->result = res;
	c->err = err;
	return err;
}

/*
 * Plan C (from Q and W) holds: PLANNED when applying it would write a new
 * value, UNCHANGED when the queue is already as asked (nothing to write).
 */
static int plan_holds(const struct ctl_queue *q, const struct ctl_queue_want *w,
		      struct ctl_queue_change *c)
{
	if (strcmp(c->sched, q->sched) == 0 &&
	    (!c->depth || c->depth == q->depth) &&
	    (!w->set_read_ahead || ((q->have & CTL_QUEUE_READ_AHEAD) &&
				    w->read_ahead_kb == q->read_ahead_kb)))
		c->result = CTL_QUEUE_UNCHANGED;
	return 0;
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
			return ctl_queue_outcome(
				c, CTL_QUEUE_REJECTED, -EINVAL,
				"queue takes no I/O scheduler");
		if (!ctl_queue_has_sched(q, w->sched))
			return ctl_queue_outcome(
				c, CTL_QUEUE_REJECTED, -EINVAL,
				"unknown scheduler %s; available: %s", w->sched,
				q->scheds);
		snprintf(c->sched, sizeof(c->sched), "%s", w->sched);
	}
	ctl_queue_range(q, c->sched, &c->min, &c->max);
	if (!w->set_depth)
		return plan_holds(q, w, c);
	c->depth = w->depth_max ? c->max : w->depth;
	if (c->depth >= c->min && c->depth <= c->max)
		return plan_holds(q, w, c);
	if (!w->clamp)
		return ctl_queue_outcome(
			c, CTL_QUEUE_REJECTED, -ERANGE,
			"depth %" PRIu64 " out of range %" PRIu64 "..%" PRIu64
			" with scheduler %s; use --clamp or pick a scheduler",
			c->depth, c->min, c->max, c->sched);
	snprintf(c->why, sizeof(c->why),
		 "depth %" PRIu64 " clamped to %" PRIu64 "..%" PRIu64
		 " with scheduler %s",
		 c->depth, c->min, c->max, c->sched);
	c->depth = c->depth < c->min ? c->min : c->max;
	return plan_holds(q, w, c);
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = ctl_ms_timespec(ms);

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/*
 * Write VAL to the queue attribute REL of the disk at DFD and return the
 * fd, open for the read-back (no second lookup). The kernel answers EBUSY
 * while an elevator switch is in progress on the queue (another writer,
 * udev's ATTR{}): wait that out, briefly (about 0.3 s in all), then give
 * up. Returns the fd or -errno.
 */
static int write_attr(int dfd, const char *rel, const char *val)
{
	unsigned int wait = 1;
	int fd, err;

	/* O_TRUNC as a shell's ">" does: sysfs ignores it, and a --sysroot
	 * tree of regular files then holds just the new value. O_NONBLOCK:
	 * a FIFO in a tree cannot hang the open. */
	fd = ctl_attr_open_at(dfd, rel,
			      O_RDWR | O_TRUNC | O_NONBLOCK | O_NOCTTY, 0);
	if (fd < 0)
		return fd;
	for (int tries = 1;; tries++) {
		err = ctl_attr_write_fd(fd, val);
		if (err != -EBUSY || tries == 12)
			break;
		sleep_ms(wait);
		wait = wait < 32 ? wait * 2 : 50;
	}
	if (err < 0) {
		close(fd);
		return err;
	}
	return fd;
}

static int write_u64(int dfd, const char *rel, uint64_t v)
{
	char val[32];

	snprintf(val, sizeof(val), "%" PRIu64, v);
	return write_attr(dfd, rel, val);
}

static int read_u64_fd(int fd, uint64_t *v)
{
	char buf[64];
	int err = ctl_attr_read_fd(fd, buf, sizeof(buf));

	return err < 0 ? err : ctl_parse_u64(buf, v);
}

static int fail(struct ctl_queue_change *c, int err, const char *what)
{
	return ctl_queue_outcome(c, CTL_QUEUE_FAILED, err, "writing %s: %s",
				 what, strerror(-err));
}

/* The attributes apply wrote, each open for its read-back (or -1). */
struct written {
	int sched, depth, read_ahead;
};

static void close_written(struct written *w)
{
	closep(&w->sched);
	closep(&w->depth);
	closep(&w->read_ahead);
}

/*
 * Read back into Q what was written, through the fds written to (cheap:
 * runs on every hotplug). Switching the scheduler resets nr_requests: the
 * depth is read back then even when it was not written.
 */
static int read_back(int dfd, const struct written *wr, struct ctl_queue *q)
{
	char buf[256];
	int err = 0;

	if (wr->sched >= 0) {
		err = ctl_attr_read_fd(wr->sched, buf, sizeof(buf));
		if (err < 0)
			return err;
		parse_sched(buf, q);
	}
	if (wr->depth >= 0)
		err = read_u64_fd(wr->depth, &q->depth);
	else if (wr->sched >= 0)
		err = ctl_attr_read_u64_at(dfd, "queue/nr_requests", &q->depth);
	if (err < 0)
		return err;
	return wr->read_ahead >= 0
		       ? read_u64_fd(wr->read_ahead, &q->read_ahead_kb)
		       : 0;
}

/* The values of A that B has too, as far as A knows them. */
static int same_values(const struct ctl_queue *a, const struct ctl_queue *b)
{
	return a->depth == b->depth &&
	       (!(a->have & CTL_QUEUE_SCHED) ||
		strcmp(a->sched, b->sched) == 0) &&
	       (!(a->have & CTL_QUEUE_READ_AHEAD) ||
		a->read_ahead_kb == b->read_ahead_kb);
}

/*
 * Put OLD back on the queue of the disk at DFD: the scheduler when it is
 * not OLD's (switching resets nr_requests, so it goes first), then the
 * depth and, when OLD knows it, the read-ahead; read the result back into
 * NOW. Returns 0 when NOW is OLD again, the first write error, or -EIO
 * when the values differ.
 */
static int put_back(int dfd, const struct ctl_queue *old, struct ctl_queue *now)
{
	struct written wr = {-1, -1, -1};
	struct ctl_queue cur;
	char buf[256];
	int err = 0;

	if ((old->have & CTL_QUEUE_SCHED) && old->sched[0] &&
	    !old->sched_fixed) {
		cur.sched[0] = '\0';
		if (ctl_attr_read_at(dfd, "queue/scheduler", buf,
				     sizeof(buf)) >= 0)
			parse_sched(buf, &cur);
		if (strcmp(cur.sched, old->sched) != 0) {
			wr.sched =
				write_attr(dfd, "queue/scheduler", old->sched);
			err = wr.sched < 0 ? wr.sched : 0;
		}
	}
	wr.depth = write_u64(dfd, "queue/nr_requests", old->depth);
	if (wr.depth < 0 && !err)
		err = wr.depth;
	if (old->have & CTL_QUEUE_READ_AHEAD) {
		wr.read_ahead = write_u64(dfd, "queue/read_ahead_kb",
					  old->read_ahead_kb);
		if (wr.read_ahead < 0 && !err)
			err = wr.read_ahead;
	}
	/* Read back all of it: a write that failed tells nothing. */
	if (ctl_queue_read_at(NULL, dfd, old->name,
			      old->have &
				      (CTL_QUEUE_SCHED | CTL_QUEUE_READ_AHEAD),
			      &cur) == 0) {
		if (old->have & CTL_QUEUE_SCHED) {
			snprintf(now->sched, sizeof(now->sched), "%s",
				 cur.sched);
			snprintf(now->scheds, sizeof(now->scheds), "%s",
				 cur.scheds);
		}
		now->depth = cur.depth;
		if (old->have & CTL_QUEUE_READ_AHEAD)
			now->read_ahead_kb = cur.read_ahead_kb;
	} else if (!err) {
		err = -EIO;
	}
	close_written(&wr);
	if (err < 0)
		return err;
	return same_values(old, now) ? 0 : -EIO;
}
/*
 * A write or a read-back failed with ERR (the message in FMT): put the old
 * values back and say in C whether that worked.
 */
static int fail_back(int dfd, struct ctl_queue_change *c, int err,
		     const char *fmt, ...) _printf_(4, 5);
static int fail_back(int dfd, struct ctl_queue_change *c, int err,
		     const char *fmt, ...)
{
	const struct ctl_queue *now = &c->after;
	va_list ap;
	size_t len;
	int e;

	va_start(ap, fmt);
	vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
	e = put_back(dfd, &c->before, &c->after);
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

/* Check what apply read back against the plan; fail it (rolled back). */
static int check_back(int dfd, const struct ctl_queue_want *w,
		      struct ctl_queue_change *c)
{
	if ((c->depth && c->after.depth != c->depth) ||
	    (w->sched && strcmp(c->after.sched, w->sched) != 0))
		return fail_back(dfd, c, -EIO,
				 "read back scheduler %s depth %" PRIu64
				 ", asked %s %" PRIu64,
				 c->after.sched, c->after.depth, c->sched,
				 c->depth);
	/* The kernel keeps read-ahead in whole pages and rounds down. */
	if (w->set_read_ahead && c->after.read_ahead_kb != w->read_ahead_kb)
		return fail_back(dfd, c, -EIO,
				 "read back read_ahead_kb %" PRIu64
				 ", asked %" PRIu64 " (kept in whole pages)",
				 c->after.read_ahead_kb, w->read_ahead_kb);
	return 0;
}

int ctl_queue_apply_at(int dfd, const struct ctl_queue_want *w,
		       struct ctl_queue_change *c)
{
	const struct ctl_queue *old = &c->before;
	int clamped = c->why[0] != '\0';
	struct written wr = {-1, -1, -1};
	int err = 0;

	if (w->sched && strcmp(w->sched, old->sched) != 0) {
		wr.sched = write_attr(dfd, "queue/scheduler", w->sched);
		if (wr.sched < 0)
			return fail(c, wr.sched, "scheduler");
	}
	/* Switching the scheduler resets nr_requests: depth goes second. */
	if (c->depth) {
		wr.depth = write_u64(dfd, "queue/nr_requests", c->depth);
		if (wr.depth < 0)
			err = fail_back(dfd, c, wr.depth,
					"writing nr_requests: %s",
					strerror(-wr.depth));
	}
	if (!err && w->set_read_ahead) {
		wr.read_ahead =
			write_u64(dfd, "queue/read_ahead_kb", w->read_ahead_kb);
		if (wr.read_ahead < 0)
			err = fail_back(dfd, c, wr.read_ahead,
					"writing read_ahead_kb: %s",
					strerror(-wr.read_ahead));
	}
	if (!err) {
		err = read_back(dfd, &wr, &c->after);
		if (err < 0)
			err = fail_back(dfd, c, err, "read-back: %s",
					strerror(-err));
		else
			err = check_back(dfd, w, c);
	}
	close_written(&wr);
	if (err < 0)
		return err;
	if (same_values(&c->after, old))
		c->result = CTL_QUEUE_UNCHANGED;
	else
		c->result = clamped ? CTL_QUEUE_CLAMPED : CTL_QUEUE_APPLIED;
	return 0;
}

int ctl_queue_apply(const struct ctl_root *r, const struct ctl_queue_want *w,
		    struct ctl_queue_change *c)
{
	_cleanup_close_ int dfd = ctl_queue_open(r, c->before.name);

	if (dfd < 0)
		return fail(c, dfd, c->before.name);
	return ctl_queue_apply_at(dfd, w, c);
}

int ctl_queue_revert_at(int dfd, struct ctl_queue_change *c)
{
	int err = put_back(dfd, &c->before, &c->after);

	if (err == 0) {
		c->result = CTL_QUEUE_ROLLED_BACK;
		snprintf(c->why, sizeof(c->why), "rolled back");
		return 0;
	}
	if (err == -EIO)
		return ctl_queue_outcome(
			c, CTL_QUEUE_FAILED, err,
			"rollback incomplete: now scheduler %s depth %" PRIu64
			" read_ahead_kb %" PRIu64,
			c->after.sched, c->after.depth, c->after.read_ahead_kb);
	return ctl_queue_outcome(c, CTL_QUEUE_FAILED, err,
				 "rollback failed: %s", strerror(-err));
}

int ctl_queue_revert(const struct ctl_root *r, struct ctl_queue_change *c)
{
	_cleanup_close_ int dfd = ctl_queue_open(r, c->before.name);

	if (dfd < 0)
		return ctl_queue_outcome(c, CTL_QUEUE_FAILED, dfd,
					 "rollback failed: %s", strerror(-dfd));
	return ctl_queue_revert_at(dfd, c);
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
	err = ctl_seal_open(buf, len, SAVE_MAGIC, &body, &records);
	if (err < 0)
		return err;
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

/* ctl_queue_load() for ctl_file_save_ok(): what PATH is, nothing kept. */
static int queue_load_only(const char *path)
{
	_cleanup_free_ struct ctl_queue *qs = NULL;
	size_t n;

	return ctl_queue_load(path, &qs, &n);
}

int ctl_queue_save_ok(const char *path)
{
	return ctl_file_save_ok(path, queue_load_only);
}

/* mkdir <root>PARENT/NAME (MODE); an existing one is fine. */
static int mkdir_under(const struct ctl_root *r, const char *parent,
		       const char *name, mode_t mode)
{
	_cleanup_close_ int dfd =
		ctl_root_open_path(r, parent, O_PATH | O_DIRECTORY, 0);

	if (dfd < 0)
		return dfd;
	return mkdirat(dfd, name, mode) < 0 && errno != EEXIST ? neg_errno()
							       : 0;
}

/*
 * <root>/run/qdepth, made (0700) when it is missing, only then. Not the
 * world-writable /run/lock: there any user could create and hold the lock
 * file of a disk and stall every set on it, udev's included. A directory
 * that others can write, or that is not ours, is refused (-EPERM).
 */
static int lock_dir(const struct ctl_root *r)
{
	struct stat st;
	int fd, err;

	fd = ctl_root_open_path(r, CTL_QUEUE_LOCK_DIR, O_PATH | O_DIRECTORY, 0);
	if (fd == -ENOENT) {
		err = mkdir_under(r, "/", "run", 0755);
		if (!err)
			err = mkdir_under(r, "/run", "qdepth", 0700);
		if (err < 0)
			return err;
		fd = ctl_root_open_path(r, CTL_QUEUE_LOCK_DIR,
					O_PATH | O_DIRECTORY, 0);
	}
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0 || st.st_uid != geteuid() ||
	    (st.st_mode & (S_IWGRP | S_IWOTH))) {
		close(fd);
		return -EPERM;
	}
	return fd;
}

int ctl_queue_lock(const struct ctl_root *r, unsigned int major,
		   unsigned int minor, unsigned int timeout_ms)
{
	/* O_NONBLOCK: a FIFO left in the lock's place (by root, or in a
	 * --sysroot tree) must not hang the run; flock() takes it all the
	 * same. */
	const int flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY;
	double end = 0; /* set when the lock is found taken */
	char name[48];
	unsigned int step = 1;
	int dir, fd, err;

	snprintf(name, sizeof(name), "%u:%u.lock", major, minor);
	/* Under the root, so a --sysroot tree never touches the host's. */
	dir = lock_dir(r);
	if (dir < 0)
		return dir;
	fd = ctl_attr_open_at(dir, name, flags | O_CREAT, 0600);
	close(dir);
	if (fd < 0)
		return fd;
	/* Polled, not blocking: a library cannot arm a signal to bound a
	 * blocking flock(), and udev must not wait for ever. Every 10 ms at
	 * most, so that a waiter takes a released lock about as soon as a
	 * newcomer does. */
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		err = errno == EWOULDBLOCK ? -ETIMEDOUT : neg_errno();
		/* The clock only when there is a wait: not on every hotplug. */
		if (err == -ETIMEDOUT && !end)
			end = ctl_now_ms() + timeout_ms;
		if (err != -ETIMEDOUT || ctl_now_ms() >= end) {
			close(fd);
			return err;
		}
		sleep_ms(step);
		step = step < 8 ? step * 2 : 10;
	}
	return fd;
}
