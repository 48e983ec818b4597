// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Request-queue rules (libctl/queue.c) on the fake sysfs: reading the
 * scheduler and depths, the valid nr_requests range per scheduler, plans,
 * applying them (files of the fake tree keep what is written), and the
 * save file used by `qdepth restore`.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ctl/file.h"
#include "ctl/macro.h"
#include "ctl/queue.h"
#include "ctl/root.h"
#include "fake-setup.h"
#include "libctl/internal.h" /* ctl_kmod_*, the wrapped libkmod */
#include "../fixtures/qdepth/tree.h"

#define SDA_Q "sys/block/sda/queue"
#define NVME_Q "sys/block/nvme0n1/queue"

/*
 * write(2), linked in front of libc's, to make the fake tree answer as a
 * kernel does where a regular file cannot. Each knob acts on writes to
 * a queue attribute (a path with "/queue/") and is off at 0:
 *  - busy_writes: that many writes fail with EBUSY (an elevator switch in
 *    progress elsewhere);
 *  - depth_from, depth_to: nr_requests written as depth_from keeps
 *    depth_to instead, as a kernel that stores another value;
 *  - depth_min: nr_requests below it becomes it, as blk-mq raises 0-3
 *    to 4 (BLKDEV_MIN_RQ).
 * queue_writes counts the attempts.
 */
static int busy_writes, queue_writes;
static uint64_t depth_from, depth_to, depth_min;

static int fd_path_has(int fd, const char *part)
{
	char link[64], path[1024];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	if (n < 0)
		return 0;
	path[n] = '\0';
	return strstr(path, part) != NULL;
}

ssize_t write(int fd, const void *buf, size_t len);
ssize_t write(int fd, const void *buf, size_t len)
{
	char val[32];
	uint64_t v;

	if (!fd_path_has(fd, "/queue/"))
		return syscall(SYS_write, fd, buf, len);
	queue_writes++;
	if (busy_writes > 0) {
		busy_writes--;
		errno = EBUSY;
		return -1;
	}
	if ((depth_from || depth_min) && fd_path_has(fd, "/nr_requests") &&
	    len < sizeof(val)) {
		memcpy(val, buf, len);
		val[len] = '\0';
		v = strtoull(val, NULL, 10);
		if (depth_from && v == depth_from)
			v = depth_to;
		if (v < depth_min)
			v = depth_min;
		snprintf(val, sizeof(val), "%" PRIu64, v);
		/* sysfs takes the whole write; the file keeps the value. */
		if (syscall(SYS_write, fd, val, strlen(val)) < 0)
			return -1;
		return (ssize_t)len;
	}
	return syscall(SYS_write, fd, buf, len);
}

/*
 * libkmod stand-ins (test_queue_LDFLAGS wraps both): each counts its
 * calls and answers as told; the real ones stay reachable as __real_*.
 */
static int load_calls, find_calls;
static int load_answer = -ENOENT, find_answer = -ENOENT;

int __real_ctl_kmod_find_sched(const struct ctl_root *r, const char *sched);
int __wrap_ctl_kmod_load_sched(const struct ctl_root *r, const char *sched);
int __wrap_ctl_kmod_find_sched(const struct ctl_root *r, const char *sched);

int __wrap_ctl_kmod_load_sched(const struct ctl_root *r, const char *sched)
{
	(void)r;
	(void)sched;
	load_calls++;
	return load_answer;
}

int __wrap_ctl_kmod_find_sched(const struct ctl_root *r, const char *sched)
{
	(void)r;
	(void)sched;
	find_calls++;
	return find_answer;
}

static int setup(void **state)
{
	(void)state;
	fake_new();
	qd_tree();
	return fake_root_open();
}

static int teardown(void **state)
{
	(void)state;
	busy_writes = queue_writes = 0;
	depth_from = depth_to = depth_min = 0;
	load_calls = find_calls = 0;
	load_answer = find_answer = -ENOENT;
	return fake_teardown(state);
}

/*
 * sysfs replaces an attribute's value on each write; a regular file keeps
 * any longer old text past the new one. Empty the files a test will write
 * so that they end up holding exactly what was written.
 */
static void blank(const char *path)
{
	char buf[1024];

	snprintf(buf, sizeof(buf), "%s/%s", fake_root, path);
	assert_int_equal(truncate(buf, 0), 0);
}

/* Replace the file PATH by a directory: writing to it fails (EISDIR). */
static void break_file(const char *path)
{
	char buf[1024];

	snprintf(buf, sizeof(buf), "%s/%s", fake_root, path);
	assert_int_equal(unlink(buf), 0);
	fake_mkdir(path);
}

/* What ctl_queue_read() must give for one disk of the fake tree. */
struct read_case {
	const char *name, *sched, *scheds;
	bool sched_fixed;
	uint64_t depth, hw_depth, read_ahead_kb, dev_queue_depth;
	int rotational;
};

static void test_read(void **state)
{
	static const struct read_case cases[] = {
		{"sda", "mq-deadline", "mq-deadline kyber bfq none", false, 64,
		 32, 128, 32, 1},
		/* No device/queue_depth. */
		{"nvme0n1", "none", "none mq-deadline", false, 1023, 1023, 128,
		 0, 0},
		/* "none" alone, no brackets: the queue takes no scheduler;
		 * no mq/ directory, no tag depth. */
		{"md0", "none", "none", true, 128, 0, 128, 0, 0},
	};
	struct ctl_queue q;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct read_case *c = &cases[i];

		assert_int_equal(ctl_queue_read(root, c->name, &q), 0);
		assert_string_equal(q.name, c->name);
		assert_string_equal(q.sched, c->sched);
		assert_string_equal(q.scheds, c->scheds);
		assert_int_equal(q.sched_fixed, c->sched_fixed);
		assert_int_equal(q.depth, c->depth);
		assert_int_equal(q.hw_depth, c->hw_depth);
		assert_int_equal(q.read_ahead_kb, c->read_ahead_kb);
		assert_int_equal(q.dev_queue_depth, c->dev_queue_depth);
		assert_int_equal(q.rotational, c->rotational);
	}
}

static void test_read_sched_forms(void **state)
{
	struct ctl_queue q;

	(void)state;
	/* The current one in brackets anywhere in the list. */
	fake_write(SDA_Q "/scheduler", "mq-deadline  kyber [bfq] none\n");
	assert_int_equal(ctl_queue_read(root, "sda", &q), 0);
	assert_string_equal(q.sched, "bfq");
	assert_string_equal(q.scheds, "mq-deadline kyber bfq none");
	assert_false(q.sched_fixed);

	fake_write(SDA_Q "/scheduler", "[none] mq-deadline kyber bfq\n");
	assert_int_equal(ctl_queue_read(root, "sda", &q), 0);
	assert_string_equal(q.sched, "none");
	assert_false(q.sched_fixed);

	/* Optional attributes missing: unknown, not an error. */
	fake_write(SDA_Q "/rotational", "x\n");
	break_file(QD_SCSI "/queue_depth");
	assert_int_equal(ctl_queue_read(root, "sda", &q), 0);
	assert_int_equal(q.rotational, -1);
	assert_int_equal(q.dev_queue_depth, 0);
	assert_int_equal(q.depth, 64);
}

static void test_read_errors(void **state)
{
	struct ctl_queue q;

	(void)state;
	assert_int_equal(ctl_queue_read(root, "zram0", &q), -ENODEV);
	assert_int_equal(ctl_queue_read(root, "dm-0", &q), -ENODEV);
	assert_int_equal(ctl_queue_read(root, "sdz", &q), -ENODEV);
	assert_int_equal(ctl_queue_read(root, "..", &q), -EINVAL);
	assert_int_equal(ctl_queue_read(root, "a/b", &q), -EINVAL);
	assert_int_equal(ctl_queue_read(root, "", &q), -EINVAL);
	fake_write(SDA_Q "/nr_requests", "lots\n");
	assert_int_equal(ctl_queue_read(root, "sda", &q), -EINVAL);
}

static void test_has_sched(void **state)
{
	struct ctl_queue q;

	(void)state;
	assert_int_equal(ctl_queue_read(root, "sda", &q), 0);
	assert_true(ctl_queue_has_sched(&q, "mq-deadline"));
	assert_true(ctl_queue_has_sched(&q, "kyber"));
	assert_true(ctl_queue_has_sched(&q, "none"));
	/* Whole words only. */
	assert_false(ctl_queue_has_sched(&q, "deadline"));
	assert_false(ctl_queue_has_sched(&q, "mq"));
	assert_false(ctl_queue_has_sched(&q, "bf"));
	assert_int_equal(ctl_queue_read(root, "nvme0n1", &q), 0);
	assert_false(ctl_queue_has_sched(&q, "bfq"));
}

static void test_range(void **state)
{
	struct ctl_queue q;
	uint64_t min, max;

	(void)state;
	assert_int_equal(ctl_queue_read(root, "nvme0n1", &q), 0);
	ctl_queue_range(&q, "none", &min, &max);
	assert_int_equal(min, 4);
	assert_int_equal(max, 1023); /* the hardware tags */
	ctl_queue_range(&q, "mq-deadline", &min, &max);
	assert_int_equal(min, 4);
	assert_int_equal(max, 2048); /* MAX_SCHED_RQ */

	assert_int_equal(ctl_queue_read(root, "sda", &q), 0);
	ctl_queue_range(&q, "mq-deadline", &min, &max);
	assert_int_equal(max, 2048);
	ctl_queue_range(&q, "none", &min, &max);
	assert_int_equal(max, 32);

	/* No hardware depth known: the current depth bounds "none". */
	assert_int_equal(ctl_queue_read(root, "md0", &q), 0);
	ctl_queue_range(&q, "none", &min, &max);
	assert_int_equal(min, 4);
	assert_int_equal(max, 128);
	q.depth = 2;
	ctl_queue_range(&q, "none", &min, &max);
	assert_int_equal(min, 4);
	assert_int_equal(max, 4);
}

/* What a plan test holds: the queue read, what is wanted, the change. */
struct plan {
	struct ctl_queue q;
	struct ctl_queue_want w;
	struct ctl_queue_change c;
};

/* Plan P's want on the queue P holds. Returns the plan's result. */
static int replan(struct plan *p)
{
	return ctl_queue_plan(&p->q, &p->w, &p->c);
}

/* Read nvme0n1 into P and plan P's want on it. Returns the plan's result. */
static int plan_nvme(struct plan *p)
{
	assert_int_equal(ctl_queue_read(root, "nvme0n1", &p->q), 0);
	return replan(p);
}

static void test_plan_in_range(void **state)
{
	struct plan p = {.w = {.set_depth = true, .depth = 300}};

	(void)state;
	assert_int_equal(plan_nvme(&p), 0);
	assert_int_equal(p.c.result, CTL_QUEUE_PLANNED);
	assert_string_equal(p.c.sched, "none");
	assert_int_equal(p.c.depth, 300);
	assert_int_equal(p.c.min, 4);
	assert_int_equal(p.c.max, 1023);
	assert_string_equal(p.c.why, "");
	assert_int_equal(p.c.before.depth, 1023);
	/* Both ends of the range are in it. */
	p.w.depth = 4;
	assert_int_equal(replan(&p), 0);
	assert_int_equal(p.c.depth, 4);
	p.w.depth = 1023;
	assert_int_equal(replan(&p), 0);
	assert_int_equal(p.c.depth, 1023);
	/* No depth asked: nothing to write, range still known. */
	p.w.set_depth = false;
	assert_int_equal(replan(&p), 0);
	assert_int_equal(p.c.depth, 0);
	assert_int_equal(p.c.max, 1023);
}

static void test_plan_out_of_range(void **state)
{
	struct plan p = {.w = {.set_depth = true, .depth = 1024}};

	(void)state;
	assert_int_equal(plan_nvme(&p), -ERANGE);
	assert_int_equal(p.c.result, CTL_QUEUE_REJECTED);
	assert_int_equal(p.c.err, -ERANGE);
	assert_non_null(strstr(p.c.why, "1024"));
	assert_non_null(strstr(p.c.why, "4..1023"));
	assert_non_null(strstr(p.c.why, "none"));
	assert_non_null(strstr(p.c.why, "--clamp"));
	p.w.depth = 3;
	assert_int_equal(replan(&p), -ERANGE);
	assert_non_null(strstr(p.c.why, "4..1023"));
	p.w.depth = 0;
	assert_int_equal(replan(&p), -ERANGE);
	assert_int_equal(p.c.result, CTL_QUEUE_REJECTED);

	assert_int_equal(ctl_queue_read(root, "sda", &p.q), 0);
	p.w.depth = 4096;
	assert_int_equal(replan(&p), -ERANGE);
	assert_non_null(strstr(p.c.why, "4..2048"));
	assert_non_null(strstr(p.c.why, "mq-deadline"));
}

static void test_plan_clamp(void **state)
{
	struct plan p = {
		.w = {.set_depth = true, .clamp = true, .depth = 5000}};

	(void)state;
	assert_int_equal(plan_nvme(&p), 0);
	/* Clamped to the depth it has: nothing to write, still said. */
	assert_int_equal(p.c.result, CTL_QUEUE_UNCHANGED);
	assert_int_equal(p.c.depth, 1023);
	assert_non_null(strstr(p.c.why, "5000 clamped"));
	assert_non_null(strstr(p.c.why, "4..1023"));
	p.w.depth = 1;
	assert_int_equal(replan(&p), 0);
	assert_int_equal(p.c.result, CTL_QUEUE_PLANNED);
	assert_int_equal(p.c.depth, 4);
	assert_non_null(strstr(p.c.why, "clamped"));
	/* In range: clamping changes nothing and says nothing. */
	p.w.depth = 512;
	assert_int_equal(replan(&p), 0);
	assert_int_equal(p.c.depth, 512);
	assert_string_equal(p.c.why, "");
}

/*
 * A queue already as asked is unchanged in the plan: a dry run says so
 * ("planned" only for a real change) and nothing is written.
 */
static void test_plan_unchanged(void **state)
{
	/* In order: a queue's read-ahead once not read stays so. */
	static const struct {
		struct ctl_queue_want w;
		int ra_plus; /* read-ahead asked: the queue's plus this */
		int unread; /* from here on the read-ahead is not read */
		enum ctl_queue_result result;
	} cases[] = {
		{{.set_depth = true, .depth = 1022}, 0, 0, CTL_QUEUE_PLANNED},
		/* The scheduler in use, named: unchanged; another: planned. */
		{{.set_depth = true, .depth = 1023, .sched = "none"},
		 0,
		 0,
		 CTL_QUEUE_UNCHANGED},
		{{.set_depth = true, .depth = 1023, .sched = "mq-deadline"},
		 0,
		 0,
		 CTL_QUEUE_PLANNED},
		/* "max" is the top of the range: the depth it has. */
		{{.set_depth = true, .depth_max = true},
		 0,
		 0,
		 CTL_QUEUE_UNCHANGED},
		/* Read-ahead: the same value, another, or one not read. */
		{{.set_read_ahead = true}, 0, 0, CTL_QUEUE_UNCHANGED},
		{{.set_read_ahead = true}, 4, 0, CTL_QUEUE_PLANNED},
		{{.set_read_ahead = true}, 0, 1, CTL_QUEUE_PLANNED},
		/* Nothing asked at all: nothing to change. */
		{{0}, 0, 0, CTL_QUEUE_UNCHANGED},
	};
	struct plan p = {.w = {.set_depth = true, .depth = 1023}};

	(void)state;
	assert_int_equal(plan_nvme(&p), 0);
	assert_int_equal(p.c.result, CTL_QUEUE_UNCHANGED);
	assert_int_equal(p.c.depth, 1023);
	assert_string_equal(p.c.why, "");
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		p.w = cases[i].w;
		if (p.w.set_read_ahead)
			p.w.read_ahead_kb =
				p.q.read_ahead_kb + (uint64_t)cases[i].ra_plus;
		if (cases[i].unread)
			p.q.have &= ~CTL_QUEUE_READ_AHEAD;
		assert_int_equal(replan(&p), 0);
		assert_int_equal(p.c.result, cases[i].result);
	}
}

static void test_plan_max(void **state)
{
	struct plan p = {.w = {.set_depth = true, .depth_max = true}};

	(void)state;
	assert_int_equal(plan_nvme(&p), 0);
	assert_int_equal(p.c.depth, 1023);
	p.w.sched = "mq-deadline";
	assert_int_equal(replan(&p), 0);
	assert_int_equal(p.c.depth, 2048);
	assert_int_equal(ctl_queue_read(root, "sda", &p.q), 0);
	p.w.sched = "none";
	assert_int_equal(replan(&p), 0);
	assert_int_equal(p.c.depth, 32);
}

static void test_plan_scheduler(void **state)
{
	struct plan p = {.w = {.sched = "bfq"}};

	(void)state;
	assert_int_equal(plan_nvme(&p), -EINVAL);
	assert_int_equal(p.c.result, CTL_QUEUE_REJECTED);
	assert_non_null(strstr(p.c.why, "unknown scheduler bfq"));
	assert_non_null(strstr(p.c.why, "none mq-deadline"));

	/* The range is the new scheduler's: 2000 > 1023 tags is fine with
	 * mq-deadline, and 64 is not with none on 32 tags. */
	p.w.sched = "mq-deadline";
	p.w.set_depth = true;
	p.w.depth = 2000;
	assert_int_equal(replan(&p), 0);
	assert_string_equal(p.c.sched, "mq-deadline");
	assert_int_equal(p.c.max, 2048);
	assert_int_equal(p.c.depth, 2000);
	assert_string_equal(p.c.before.sched, "none");

	assert_int_equal(ctl_queue_read(root, "sda", &p.q), 0);
	p.w.sched = "none";
	p.w.depth = 64;
	assert_int_equal(replan(&p), -ERANGE);
	assert_non_null(strstr(p.c.why, "4..32 with scheduler none"));
	p.w.depth = 32;
	assert_int_equal(replan(&p), 0);
	assert_string_equal(p.c.sched, "none");

	/* A queue that takes no scheduler takes "none" only. */
	assert_int_equal(ctl_queue_read(root, "md0", &p.q), 0);
	p.w.sched = "mq-deadline";
	p.w.set_depth = false;
	assert_int_equal(replan(&p), -EINVAL);
	assert_non_null(strstr(p.c.why, "no I/O scheduler"));
	p.w.sched = "none";
	assert_int_equal(replan(&p), 0);
}

/* Read, plan and apply WANT on disk NAME. Returns apply's result. */
static int plan_apply(const char *name, const struct ctl_queue_want *w,
		      struct ctl_queue_change *c, void (*prepare)(void))
{
	struct ctl_queue q;

	assert_int_equal(ctl_queue_read(root, name, &q), 0);
	assert_int_equal(ctl_queue_plan(&q, w, c), 0);
	if (prepare)
		prepare();
	return ctl_queue_apply(root, w, c);
}

static void blank_nvme_depth(void)
{
	blank(NVME_Q "/nr_requests");
}

static void blank_nvme_sched_depth(void)
{
	blank(NVME_Q "/nr_requests");
	blank(NVME_Q "/scheduler");
}

static void blank_nvme_all(void)
{
	blank_nvme_sched_depth();
	blank(NVME_Q "/read_ahead_kb");
}

static void test_apply_depth(void **state)
{
	struct ctl_queue_want w = {.set_depth = true, .depth = 300};
	struct ctl_queue_change c;

	(void)state;
	assert_int_equal(plan_apply("nvme0n1", &w, &c, blank_nvme_depth), 0);
	assert_string_equal(fake_read(NVME_Q "/nr_requests"), "300");
	/* The scheduler was not asked for: left alone. */
	assert_string_equal(fake_read(NVME_Q "/scheduler"),
			    "[none] mq-deadline\n");
	assert_int_equal(c.result, CTL_QUEUE_APPLIED);
	assert_string_equal(ctl_queue_result_name(c.result), "applied");
	assert_int_equal(c.before.depth, 1023);
	assert_int_equal(c.after.depth, 300);
	assert_string_equal(c.after.sched, "none");

	/* The same value again: written, read back, unchanged. */
	assert_int_equal(plan_apply("nvme0n1", &w, &c, blank_nvme_depth), 0);
	assert_int_equal(c.result, CTL_QUEUE_UNCHANGED);
	assert_string_equal(ctl_queue_result_name(c.result), "unchanged");
	assert_string_equal(fake_read(NVME_Q "/nr_requests"), "300");
}

static void test_apply_clamped_and_read_ahead(void **state)
{
	struct ctl_queue_want w = {.set_depth = true,
				   .depth = 4000,
				   .clamp = true,
				   .set_read_ahead = true,
				   .read_ahead_kb = 4096};
	struct ctl_queue_change c;

	(void)state;
	fake_write(NVME_Q "/nr_requests", "64\n");
	assert_int_equal(plan_apply("nvme0n1", &w, &c, blank_nvme_all), 0);
	assert_int_equal(c.result, CTL_QUEUE_CLAMPED);
	assert_string_equal(ctl_queue_result_name(c.result), "clamped");
	assert_string_equal(fake_read(NVME_Q "/nr_requests"), "1023");
	assert_string_equal(fake_read(NVME_Q "/read_ahead_kb"), "4096");
	/* Not asked for: never written. */
	assert_string_equal(fake_read(NVME_Q "/scheduler"), "");
	assert_int_equal(c.after.depth, 1023);
	assert_int_equal(c.after.read_ahead_kb, 4096);
	assert_int_equal(c.before.read_ahead_kb, 128);
}

/* The scheduler in place already is not written again. */
static void test_apply_same_scheduler(void **state)
{
	struct ctl_queue_want w = {
		.sched = "none", .set_depth = true, .depth = 256};
	struct ctl_queue_change c;

	(void)state;
	assert_int_equal(plan_apply("nvme0n1", &w, &c, blank_nvme_depth), 0);
	assert_int_equal(c.result, CTL_QUEUE_APPLIED);
	assert_string_equal(fake_read(NVME_Q "/scheduler"),
			    "[none] mq-deadline\n");
	assert_string_equal(fake_read(NVME_Q "/nr_requests"), "256");
}

/*
 * nvme0n1 (none, 1023) to mq-deadline at depth 2000, PREPARE run between
 * the plan and the apply: the change fails with RC.
 */
static void to_deadline(void (*prepare)(void), int rc,
			struct ctl_queue_change *c)
{
	static const struct ctl_queue_want w = {
		.sched = "mq-deadline", .set_depth = true, .depth = 2000};

	assert_int_equal(plan_apply("nvme0n1", &w, c, prepare), rc);
	assert_int_equal(c->result, CTL_QUEUE_FAILED);
	assert_int_equal(c->err, rc);
}

/*
 * A scheduler change writes the scheduler, then the depth. The fake file
 * keeps "mq-deadline" without the brackets the kernel would add, so the
 * read-back sees no current scheduler and the result is "failed" (-EIO):
 * both values were written all the same.
 */
static void test_apply_scheduler_then_depth(void **state)
{
	struct ctl_queue_change c;

	(void)state;
	to_deadline(blank_nvme_sched_depth, -EIO, &c);
	/* A read-back that disagrees is rolled back to what was there. */
	assert_string_equal(fake_read(NVME_Q "/scheduler"), "none");
	assert_string_equal(fake_read(NVME_Q "/nr_requests"), "1023");
	assert_non_null(strstr(c.why, "read back"));
	assert_non_null(strstr(c.why, "rolled back"));
	assert_string_equal(ctl_queue_result_name(c.result), "failed");
}

static void break_nvme_sched(void)
{
	break_file(NVME_Q "/scheduler");
}

/* The scheduler write fails: the depth is not touched. */
static void test_apply_sched_fails(void **state)
{
	struct ctl_queue_change c;

	(void)state;
	to_deadline(break_nvme_sched, -EISDIR, &c);
	assert_non_null(strstr(c.why, "writing scheduler"));
	assert_string_equal(fake_read(NVME_Q "/nr_requests"), "1023\n");
}

static void break_nvme_depth(void)
{
	blank(NVME_Q "/scheduler");
	break_file(NVME_Q "/nr_requests");
}

/* The depth write fails after the switch: the old scheduler goes back. */
static void test_apply_depth_fails_rolls_back(void **state)
{
	struct ctl_queue_change c;
	const char *s;

	(void)state;
	to_deadline(break_nvme_depth, -EISDIR, &c);
	assert_non_null(strstr(c.why, "writing nr_requests"));
	/* "mq-deadline" was written, then "none" over it. A regular file
	 * keeps the tail of the longer value (see test_bug_write_trunc). */
	s = fake_read(NVME_Q "/scheduler");
	assert_non_null(s);
	assert_memory_equal(s, "none", 4);
	/* The depth cannot be put back either: the message says so. */
	assert_string_equal(c.why, "writing nr_requests: Is a directory; "
				   "rollback incomplete: Is a directory");
}

/* A change undone: the old values are back and read back. */
static void test_revert(void **state)
{
	struct ctl_queue_want w = {.sched = "mq-deadline",
				   .set_depth = true,
				   .depth = 300,
				   .set_read_ahead = true,
				   .read_ahead_kb = 512};
	struct ctl_queue_change c;

	(void)state;
	assert_int_equal(plan_apply("sda", &w, &c, NULL), 0);
	assert_int_equal(c.result, CTL_QUEUE_APPLIED);
	assert_string_equal(fake_read(SDA_Q "/nr_requests"), "300");
	assert_int_equal(ctl_queue_revert(root, &c), 0);
	assert_int_equal(c.result, CTL_QUEUE_ROLLED_BACK);
	assert_string_equal(c.why, "rolled back");
	assert_string_equal(fake_read(SDA_Q "/nr_requests"), "64");
	assert_string_equal(fake_read(SDA_Q "/read_ahead_kb"), "128");
	assert_int_equal(c.after.depth, 64);
	assert_int_equal(c.after.read_ahead_kb, 128);

	/* A queue that cannot take the old value back: failed, and why. */
	assert_int_equal(plan_apply("sda", &w, &c, NULL), 0);
	break_file(SDA_Q "/read_ahead_kb");
	assert_int_equal(ctl_queue_revert(root, &c), -EISDIR);
	assert_int_equal(c.result, CTL_QUEUE_FAILED);
	assert_string_equal(c.why, "rollback failed: Is a directory");
}

static void test_result_names(void **state)
{
	/* Every result in enum order, and nothing past the last one. */
	char got[256] = "";

	(void)state;
	for (int i = CTL_QUEUE_APPLIED; i <= CTL_QUEUE_ROLLED_BACK; i++) {
		strcat(got, i ? "," : "");
		strcat(got, ctl_queue_result_name((enum ctl_queue_result)i));
	}
	assert_string_equal(got, "applied,unchanged,clamped,rejected,"
				 "not applicable,failed,planned,skipped,"
				 "rolled back");
	assert_string_equal(ctl_queue_result_name(CTL_QUEUE_ROLLED_BACK + 1),
			    "?");
	assert_string_equal(ctl_queue_result_name((enum ctl_queue_result)99),
			    "?");
}

/* An outcome recorded in one call: result, error and reason. */
static void test_outcome(void **state)
{
	struct ctl_queue_change c = {.result = CTL_QUEUE_PLANNED};

	(void)state;
	assert_int_equal(ctl_queue_outcome(&c, CTL_QUEUE_FAILED, -EIO,
					   "reading %s: %d", "queue", 7),
			 -EIO);
	assert_int_equal(c.result, CTL_QUEUE_FAILED);
	assert_int_equal(c.err, -EIO);
	assert_string_equal(c.why, "reading queue: 7");
	/* No error: a result with its note only; a long reason is cut. */
	assert_int_equal(ctl_queue_outcome(&c, CTL_QUEUE_NA, 0, "%0400d", 1),
			 0);
	assert_int_equal(c.result, CTL_QUEUE_NA);
	assert_int_equal(c.err, 0);
	assert_int_equal(strlen(c.why), sizeof(c.why) - 1);
}

/*
 * sda and nvme0n1 read into QS, QS[I] given read-ahead RA_KB, and saved
 * to PATH (LEN bytes): the fake root's "saved".
 */
static void save_two(struct ctl_queue qs[2], int i, uint64_t ra_kb, char *path,
		     size_t len)
{
	assert_int_equal(ctl_queue_read(root, "sda", &qs[0]), 0);
	assert_int_equal(ctl_queue_read(root, "nvme0n1", &qs[1]), 0);
	qs[i].read_ahead_kb = ra_kb;
	snprintf(path, len, "%s/saved", fake_root);
	assert_int_equal(ctl_queue_save(path, qs, 2), 0);
}

static void test_save_load(void **state)
{
	static const char want[] =
		"# qdepth save file v1\n"
		"# device scheduler nr_requests read_ahead_kb maj:min\n"
		"sda mq-deadline 64 128 8:0\n"
		"nvme0n1 none 1023 4096 259:0\n";
	struct ctl_queue qs[2], *back = NULL;
	char path[512];
	const char *text;
	unsigned int records;
	size_t n = 0, body;
	struct stat st;

	(void)state;
	save_two(qs, 1, 4096, path, sizeof(path));
	text = fake_read("saved");
	assert_memory_equal(text, want, sizeof(want) - 1);
	assert_memory_equal(text + sizeof(want) - 1,
			    "# end records=2 crc32c=", 23);
	/* Sealed: the last line covers every byte before it. */
	assert_int_equal(ctl_seal_check(text, strlen(text), &body, &records),
			 0);
	assert_int_equal(records, 2);
	assert_int_equal(body, sizeof(want) - 1);
	/* Only root's business: the values of the host's disks. */
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);

	assert_int_equal(ctl_queue_load(path, &back, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(back[0].name, "sda");
	assert_string_equal(back[0].sched, "mq-deadline");
	assert_int_equal(back[0].depth, 64);
	assert_int_equal(back[0].read_ahead_kb, 128);
	assert_string_equal(back[1].name, "nvme0n1");
	assert_string_equal(back[1].sched, "none");
	assert_int_equal(back[1].depth, 1023);
	assert_int_equal(back[1].read_ahead_kb, 4096);
	assert_int_equal(back[0].major, 8);
	assert_int_equal(back[0].minor, 0);
	assert_int_equal(back[1].major, 259);
	free(back);

	/* Saving again replaces the file and leaves no temporary behind. */
	assert_int_equal(ctl_queue_save(path, qs, 1), 0);
	back = NULL;
	assert_int_equal(ctl_queue_load(path, &back, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(back[0].name, "sda");
	free(back);
	assert_int_equal(fake_entries(fake_root), 3); /* sys, images, saved */

	/* No queue at all: a sealed file without records, read as such. */
	assert_int_equal(ctl_queue_save(path, qs, 0), 0);
	back = NULL;
	n = 7;
	assert_int_equal(ctl_queue_load(path, &back, &n), 0);
	assert_int_equal(n, 0);
	free(back);
}

/* Write TEXT as the file "bad" and return what loading it gives. */
static int load_text(const char *text, size_t len)
{
	struct ctl_queue *back = NULL;
	char path[512];
	size_t n = 7;
	FILE *f;
	int err;

	snprintf(path, sizeof(path), "%s/bad", fake_root);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	err = ctl_queue_load(path, &back, &n);
	if (err < 0) {
		assert_null(back);
		assert_int_equal(n, 7);
	}
	free(back);
	return err;
}

static int load_str(const char *text)
{
	return load_text(text, strlen(text));
}

static void test_load_bad(void **state)
{
	struct ctl_queue *back = NULL;
	char path[512];
	size_t n = 7;

	(void)state;
	/* Not a save file at all. */
	assert_int_equal(load_str("sda mq-deadline 64 128\n"), -ENOMSG);
	assert_int_equal(load_str("localhost\n"), -ENOMSG);
	snprintf(path, sizeof(path), "%s/missing", fake_root);
	assert_int_equal(ctl_queue_load(path, &back, &n), -ENOENT);
	/* Unsealed, as files were once written: refused, as if cut. */
	assert_int_equal(load_str("# qdepth save file v1\n"
				  "sda mq-deadline 64 128 8:0\n"),
			 -EBADMSG);
	assert_int_equal(load_str("# qdepth save file v1\n"), -EBADMSG);
	assert_int_equal(load_str(""), -EBADMSG);
	assert_int_equal(load_str("# qdepth sa"), -EBADMSG);
}

/*
 * A sealed save file cut anywhere, or with one byte changed, is refused
 * as a whole: "read_ahead_kb 1280" cut to "128" once restored 128.
 */
static void test_load_cut(void **state)
{
	struct ctl_queue qs[2];
	char path[512], text[1024];
	size_t len;

	(void)state;
	save_two(qs, 0, 1280, path, sizeof(path));
	snprintf(text, sizeof(text), "%s", fake_read("saved"));
	len = strlen(text);
	assert_int_equal(load_text(text, len), 0);
	for (size_t cut = 0; cut < len; cut++)
		assert_int_equal(load_text(text, cut), -EBADMSG);
	/* The record "sda mq-deadline 64 1280 8:0" with a digit changed. */
	*strstr(text, " 1280 ") = '\0';
	text[strlen(text) + 4] = '3';
	text[strlen(text)] = ' ';
	assert_non_null(strstr(text, " 1283 "));
	assert_int_equal(load_text(text, len), -EBADMSG);
}

/* A record that does not parse in a sealed file: not a save file. */
static void test_load_bad_record(void **state)
{
	char buf[512];
	static const char *const bodies[] = {
		"# qdepth save file v1\nsda mq-deadline sixty 128 8:0\n",
		"# qdepth save file v1\nsda mq-deadline 64 8:0\n",
		"# qdepth save file v1\n.. none 64 128 8:0\n",
		"# qdepth save file v1\nsda none 64 128 8:0 extra\n",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bodies); i++) {
		int len;

		snprintf(buf, sizeof(buf), "%s", bodies[i]);
		len = ctl_seal_append(buf, sizeof(buf), strlen(buf), 1);
		assert_true(len > 0);
		assert_int_equal(load_text(buf, (size_t)len), -ENOMSG);
	}
	/* The seal counts 2 records, the file holds 1. */
	snprintf(buf, sizeof(buf),
		 "# qdepth save file v1\nsda none 64 128 8:0\n");
	assert_true(ctl_seal_append(buf, sizeof(buf), strlen(buf), 2) > 0);
	assert_int_equal(load_str(buf), -EBADMSG);
}

/* A FIFO, a directory or a huge file given as a save file: no hang. */
static void test_load_not_regular(void **state)
{
	struct ctl_queue *back = NULL;
	char path[512];
	size_t n = 7;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/fifo", fake_root);
	assert_int_equal(mkfifo(path, 0600), 0);
	alarm(5);
	assert_int_equal(ctl_queue_load(path, &back, &n), -CTL_ENOTREG);
	alarm(0);
	assert_int_equal(ctl_queue_load(fake_root, &back, &n), -EISDIR);
	snprintf(path, sizeof(path), "%s/huge", fake_root);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fseek(f, 2 << 20, SEEK_SET), 0);
	assert_int_equal(fputc('\n', f), '\n');
	assert_int_equal(fclose(f), 0);
	assert_int_equal(ctl_queue_load(path, &back, &n), -EFBIG);
	assert_null(back);
	assert_int_equal(n, 7);
}

static void test_save_missing_dir(void **state)
{
	struct ctl_queue q;
	char path[600], dir[512];

	(void)state;
	assert_int_equal(ctl_queue_read(root, "sda", &q), 0);
	snprintf(dir, sizeof(dir), "%s/nodir", fake_root);
	snprintf(path, sizeof(path), "%s/save", dir);
	assert_int_equal(ctl_queue_save(path, &q, 1), -ENOENT);
	assert_int_equal(access(dir, F_OK), -1);
	assert_int_equal(fake_entries(fake_root), 2); /* sys, images */
}

/*
 * Regression: ctl_root_write_file() once opened without O_TRUNC, so on a
 * --sysroot tree of regular files a shorter value kept the tail of the old
 * one ("300" over "1023\n" read back as 3003).
 */
static void test_bug_write_trunc(void **state)
{
	static const struct ctl_queue_want depth_300 = {.set_depth = true,
							.depth = 300};
	struct ctl_queue_change c;

	(void)state;
	/* No blank file first: "1023\n" is there to be overwritten. */
	assert_int_equal(plan_apply("nvme0n1", &depth_300, &c, NULL), 0);
	assert_string_equal(fake_read(NVME_Q "/nr_requests"), "300");
	assert_int_equal(c.result, CTL_QUEUE_APPLIED);
}

/*
 * ctl_queue_has_sched(): "" loops for ever (strstr(s, "") returns s and
 * the loop advances by strlen("") == 0), so `qdepth set --scheduler ''`
 * hangs, udev included; a name with a space matches two entries. The
 * alarm turns the hang into a failure.
 */
static void test_bug_has_sched(void **state)
{
	struct ctl_queue q;

	(void)state;
	assert_int_equal(ctl_queue_read(root, "sda", &q), 0);
	alarm(2);
	assert_false(ctl_queue_has_sched(&q, ""));
	alarm(0);
	assert_false(ctl_queue_has_sched(&q, "kyber bfq"));
}

/*
 * A queue without a scheduler attribute has sched "": the save line is
 * "sda  64 128", which ctl_queue_load() rejects (-EBADMSG), so `qdepth
 * restore` calls its own file "not a qdepth save file".
 */
static void test_bug_save_no_scheduler(void **state)
{
	struct ctl_queue q, *back = NULL;
	char path[512];
	size_t n = 0;

	(void)state;
	break_file(SDA_Q "/scheduler");
	assert_int_equal(ctl_queue_read(root, "sda", &q), 0);
	assert_string_equal(q.sched, "");
	snprintf(path, sizeof(path), "%s/saved", fake_root);
	assert_int_equal(ctl_queue_save(path, &q, 1), 0);
	assert_int_equal(ctl_queue_load(path, &back, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(back[0].depth, 64);
	free(back);
}

/*
 * The kernel answers EBUSY while another elevator switch is in progress:
 * a few are waited out, a queue that stays busy fails after a bounded
 * number of tries, and what was written is put back.
 */
static void test_apply_busy(void **state)
{
	struct ctl_queue_want w = {.set_depth = true, .depth = 300};
	struct ctl_queue_change c;

	(void)state;
	busy_writes = 3;
	assert_int_equal(plan_apply("sda", &w, &c, NULL), 0);
	assert_int_equal(c.result, CTL_QUEUE_APPLIED);
	assert_int_equal(busy_writes, 0);
	assert_int_equal(queue_writes, 4);
	assert_string_equal(fake_read(SDA_Q "/nr_requests"), "300");

	/* Busy for good: a bounded number of tries, then the error. */
	fake_write(SDA_Q "/nr_requests", "64\n");
	w.sched = "kyber";
	busy_writes = 1000;
	queue_writes = 0;
	assert_int_equal(plan_apply("sda", &w, &c, NULL), -EBUSY);
	assert_int_equal(c.result, CTL_QUEUE_FAILED);
	assert_string_equal(c.why,
			    "writing scheduler: Device or resource busy");
	assert_true(queue_writes > 3);
	assert_true(queue_writes <= 20);
	assert_string_equal(fake_read(SDA_Q "/nr_requests"), "64\n");
}

/*
 * A kernel that keeps another depth than the one written: the read-back
 * catches it, the change fails and the old values are put back.
 */
static void test_apply_depth_read_back(void **state)
{
	struct ctl_queue_want w = {.set_depth = true, .depth = 300};
	struct ctl_queue_change c;

	(void)state;
	depth_from = 300;
	depth_to = 100;
	assert_int_equal(plan_apply("nvme0n1", &w, &c, NULL), -EIO);
	assert_int_equal(c.result, CTL_QUEUE_FAILED);
	assert_int_equal(c.err, -EIO);
	assert_string_equal(c.why, "read back scheduler none depth 100, asked "
				   "none 300; rolled back");
	assert_string_equal(fake_read(NVME_Q "/nr_requests"), "1023");
	assert_int_equal(c.after.depth, 1023);

	/* A write that reads back as written is applied, of course. */
	w.depth = 64;
	assert_int_equal(plan_apply("nvme0n1", &w, &c, NULL), 0);
	assert_int_equal(c.result, CTL_QUEUE_APPLIED);
}

/*
 * blk-mq raises nr_requests 0-3 to 4. --clamp brings a depth below the
 * range to its bottom, 4, which reads back as 4; the old values stay
 * when it does not.
 */
static void test_clamp_low_reads_back(void **state)
{
	struct ctl_queue_want w = {
		.set_depth = true, .depth = 1, .clamp = true};
	struct ctl_queue_change c;

	(void)state;
	depth_min = 4;
	assert_int_equal(plan_apply("nvme0n1", &w, &c, NULL), 0);
	assert_int_equal(c.result, CTL_QUEUE_CLAMPED);
	assert_int_equal(c.depth, 4);
	assert_int_equal(c.after.depth, 4);
	assert_string_equal(fake_read(NVME_Q "/nr_requests"), "4");
}

/*
 * One writer per device: a lock file per MAJ:MIN under <root>/run/qdepth
 * (made if missing), never the host's /run when the root is a tree.
 */
static void test_lock(void **state)
{
	char path[512];
	int a, b;

	(void)state;
	snprintf(path, sizeof(path), "%s/run", fake_root);
	assert_int_equal(access(path, F_OK), -1);
	a = ctl_queue_lock(root, 4095, 1048575, 1000);
	assert_true(a >= 0);
	snprintf(path, sizeof(path), "%s/run/qdepth/4095:1048575.lock",
		 fake_root);
	assert_int_equal(access(path, F_OK), 0);
	assert_int_equal(access("/run/qdepth/4095:1048575.lock", F_OK), -1);
	/* A second writer of the same device waits, then gives up. */
	assert_int_equal(ctl_queue_lock(root, 4095, 1048575, 50), -ETIMEDOUT);
	/* Another device is not held up. */
	b = ctl_queue_lock(root, 4095, 1048574, 50);
	assert_true(b >= 0);
	close(b);
	/* Released: the next writer gets it. */
	close(a);
	b = ctl_queue_lock(root, 4095, 1048575, 50);
	assert_true(b >= 0);
	/* A lock file is only locked, never written. */
	assert_int_equal(flock(b, LOCK_UN), 0);
	close(b);
	assert_string_equal(fake_read("run/qdepth/4095:1048575.lock"), "");
}

/*
 * A scheduler that is not registered: a real run loads its module, a dry
 * run changes nothing on the host, so it only looks the module up (on
 * these machines there is no module tree: the lookup says -ENOENT).
 */
static void test_ensure_sched_dry_run(void **state)
{
	struct plan p = {.w = {.sched = "bfq"}};

	(void)state;
	assert_int_equal(ctl_queue_read(root, "nvme0n1", &p.q), 0);
	/* Registered: neither looked up nor loaded. */
	assert_int_equal(
		ctl_queue_ensure_sched(root, &p.q, "mq-deadline", true), 0);
	assert_int_equal(
		ctl_queue_ensure_sched(root, &p.q, "mq-deadline", false), 0);
	assert_int_equal(load_calls + find_calls, 0);

	/* No module: the dry run says so and loads nothing. */
	assert_int_equal(ctl_queue_ensure_sched(root, &p.q, "bfq", true),
			 -ENOENT);
	assert_int_equal(find_calls, 1);
	assert_int_equal(load_calls, 0);
	assert_false(ctl_queue_has_sched(&p.q, "bfq"));
	assert_int_equal(replan(&p), -EINVAL);

	/* A module exists: planned as if loaded, still nothing loaded. */
	find_answer = 0;
	assert_int_equal(ctl_queue_ensure_sched(root, &p.q, "bfq", true), 1);
	assert_int_equal(load_calls, 0);
	assert_true(ctl_queue_has_sched(&p.q, "bfq"));
	assert_string_equal(p.q.scheds, "none mq-deadline bfq");
	assert_int_equal(replan(&p), 0);
	assert_int_equal(p.c.result, CTL_QUEUE_PLANNED);
	assert_string_equal(p.c.sched, "bfq");
	/* The tree is as it was. */
	assert_string_equal(fake_read(NVME_Q "/scheduler"),
			    "[none] mq-deadline\n");

	/* Not a dry run: the loader runs, the lookup alone does not. */
	assert_int_equal(ctl_queue_read(root, "nvme0n1", &p.q), 0);
	assert_int_equal(ctl_queue_ensure_sched(root, &p.q, "bfq", false),
			 -ENOENT);
	assert_int_equal(load_calls, 1);
	assert_int_equal(find_calls, 2);
}

/* The lookup itself: never for a tree; -ENOENT for an alias nobody has. */
static void test_kmod_find(void **state)
{
	struct ctl_root *host;
	void *h = dlopen("libkmod.so.2", RTLD_NOW | RTLD_LOCAL);

	(void)state;
	assert_int_equal(__real_ctl_kmod_find_sched(root, "bfq"), -ENOTSUP);
	assert_int_equal(ctl_root_open("/", &host), 0);
	assert_int_equal(__real_ctl_kmod_find_sched(host, "qdepth-no-such"),
			 h ? -ENOENT : -ENOTSUP);
	ctl_root_free(host);
	if (h)
		dlclose(h);
}

/*
 * One directory fd per disk, and only the attributes asked for: a depth
 * change on a queue with an elevator reads nr_requests and scheduler, not
 * read-ahead, rotational, the tag depth or device/queue_depth.
 */
static void test_read_fields(void **state)
{
	struct ctl_queue_want w = {.set_depth = true, .depth = 100};
	struct ctl_queue q;
	int dfd;

	(void)state;
	assert_int_equal(ctl_queue_open(root, "sdz"), -ENODEV);
	assert_int_equal(ctl_queue_open(root, "a/b"), -EINVAL);
	assert_int_equal(ctl_queue_open(root, ".."), -EINVAL);
	dfd = ctl_queue_open(root, "sda");
	assert_true(dfd >= 0);
	assert_int_equal(ctl_queue_read_at(root, dfd, "sda",
					   ctl_queue_plan_fields(&w), &q),
			 0);
	assert_int_equal(q.have, CTL_QUEUE_SCHED);
	assert_int_equal(q.depth, 64);
	assert_string_equal(q.sched, "mq-deadline");
	assert_int_equal(q.read_ahead_kb, 0);
	assert_int_equal(q.hw_depth, 0);
	assert_int_equal(q.rotational, -1);
	assert_int_equal(q.dev_queue_depth, 0);
	assert_int_equal(q.major, 0);
	/* Switching to none: the tag depth bounds the range, so it is read. */
	w.sched = "none";
	assert_int_equal(ctl_queue_read_at(root, dfd, "sda",
					   ctl_queue_plan_fields(&w), &q),
			 0);
	assert_int_equal(q.have, CTL_QUEUE_SCHED | CTL_QUEUE_HW_DEPTH);
	assert_int_equal(q.hw_depth, 32);
	/* Read-ahead when it is changed; the device number when asked. */
	w.sched = NULL;
	w.set_read_ahead = true;
	assert_int_equal(ctl_queue_read_at(root, dfd, "sda",
					   ctl_queue_plan_fields(&w) |
						   CTL_QUEUE_DEVNO,
					   &q),
			 0);
	assert_int_equal(q.have, CTL_QUEUE_SCHED | CTL_QUEUE_READ_AHEAD |
					 CTL_QUEUE_DEVNO);
	assert_int_equal(q.read_ahead_kb, 128);
	assert_int_equal(q.major, 8);
	/* An attribute the queue lacks stays unknown: not "0". */
	assert_int_equal(unlink(strcat(strcpy((char[512]){0}, fake_root),
				       "/" SDA_Q "/read_ahead_kb")),
			 0);
	assert_int_equal(ctl_queue_read_at(root, dfd, "sda", CTL_QUEUE_ALL, &q),
			 0);
	assert_false(q.have & CTL_QUEUE_READ_AHEAD);
	assert_true(q.have & CTL_QUEUE_ROTATIONAL);
	close(dfd);
	/* On none already, no scheduler asked: the tag depth is read. */
	dfd = ctl_queue_open(root, "nvme0n1");
	assert_true(dfd >= 0);
	w = (struct ctl_queue_want){.set_depth = true, .depth = 100};
	assert_int_equal(ctl_queue_read_at(root, dfd, "nvme0n1",
					   ctl_queue_plan_fields(&w), &q),
			 0);
	assert_int_equal(q.hw_depth, 1023);
	close(dfd);
}

/*
 * Nothing in a --sysroot tree leads a read or a write out of it: an
 * attribute that is a symlink to a host file (absolute, or up through
 * "..") is neither read nor written.
 */
static void test_confined(void **state)
{
	struct ctl_queue_want w = {.set_depth = true, .depth = 300};
	struct ctl_queue_change c;
	struct ctl_queue q;
	char host[512], path[1024], up[1024] = "";
	FILE *f;

	(void)state;
	snprintf(host, sizeof(host), "%s.host", fake_root);
	f = fopen(host, "w");
	assert_non_null(f);
	fputs("777\n", f);
	assert_int_equal(fclose(f), 0);
	snprintf(path, sizeof(path), "%s/%s/read_ahead_kb", fake_root, NVME_Q);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(symlink(host, path), 0);
	/* nr_requests up through ".." as far as it takes to reach "/". */
	for (const char *p = path; *p; p++)
		if (*p == '/')
			strcat(up, "../");
	strcat(up, host + 1);
	snprintf(path, sizeof(path), "%s/%s/rotational", fake_root, NVME_Q);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(symlink(up, path), 0);
	assert_int_equal(ctl_queue_read(root, "nvme0n1", &q), 0);
	assert_false(q.have & (CTL_QUEUE_READ_AHEAD | CTL_QUEUE_ROTATIONAL));
	assert_int_equal(q.rotational, -1);
	assert_int_not_equal(q.read_ahead_kb, 777);
	/* Written: only inside the tree. */
	w.set_read_ahead = true;
	w.read_ahead_kb = 512;
	assert_int_equal(ctl_queue_plan(&q, &w, &c), 0);
	assert_true(ctl_queue_apply(root, &w, &c) < 0);
	assert_int_equal(c.result, CTL_QUEUE_FAILED);
	f = fopen(host, "r");
	assert_non_null(f);
	assert_non_null(fgets(path, sizeof(path), f));
	fclose(f);
	assert_string_equal(path, "777\n");
	unlink(host);
}

/*
 * A FIFO in the lock file's place must not hang the run, and still
 * serializes writers.
 */
static void test_lock_fifo(void **state)
{
	char path[512];
	int a;

	(void)state;
	fake_mkdir("run/qdepth");
	snprintf(path, sizeof(path), "%s/run/qdepth/8:0.lock", fake_root);
	assert_int_equal(mkfifo(path, 0600), 0);
	alarm(5);
	a = ctl_queue_lock(root, 8, 0, 1000);
	alarm(0);
	assert_true(a >= 0);
	assert_int_equal(ctl_queue_lock(root, 8, 0, 20), -ETIMEDOUT);
	close(a);
}

/*
 * The lock directory is ours alone: one that others can write (as the
 * world-writable /run/lock, where any user could hold a disk's lock and
 * stall every set on it) is refused, and a new one is made 0700.
 */
static void test_lock_dir_private(void **state)
{
	char path[512];
	struct stat st;
	int a;

	(void)state;
	a = ctl_queue_lock(root, 8, 0, 1000);
	assert_true(a >= 0);
	close(a);
	snprintf(path, sizeof(path), "%s/run/qdepth", fake_root);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(chmod(path, 01777), 0);
	assert_int_equal(ctl_queue_lock(root, 8, 0, 20), -EPERM);
	assert_int_equal(chmod(path, 0700), 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_read),
		T(test_read_sched_forms),
		T(test_read_errors),
		T(test_has_sched),
		T(test_range),
		T(test_plan_in_range),
		T(test_plan_out_of_range),
		T(test_plan_clamp),
		T(test_plan_unchanged),
		T(test_plan_max),
		T(test_plan_scheduler),
		T(test_apply_depth),
		T(test_apply_clamped_and_read_ahead),
		T(test_apply_same_scheduler),
		T(test_apply_scheduler_then_depth),
		T(test_apply_sched_fails),
		T(test_apply_depth_fails_rolls_back),
		T(test_revert),
		T(test_apply_busy),
		T(test_apply_depth_read_back),
		T(test_clamp_low_reads_back),
		T(test_lock),
		T(test_ensure_sched_dry_run),
		T(test_read_fields),
		T(test_confined),
		T(test_lock_fifo),
		T(test_lock_dir_private),
		T(test_kmod_find),
		T(test_result_names),
		T(test_outcome),
		T(test_save_load),
		T(test_load_bad),
		T(test_load_cut),
		T(test_load_bad_record),
		T(test_load_not_regular),
		T(test_save_missing_dir),
		T(test_bug_write_trunc),
		T(test_bug_save_no_scheduler),
		T(test_bug_has_sched), /* last: the alarm ends the run */
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
