// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * /proc/diskstats parsing, sysstat's iostat -x formulas checked against
 * values computed by hand, and the saturation rule (util >= PCT for N
 * samples in a row; 3 by default).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <string.h>

#include "ctl/diskstats.h"
#include "ctl/macro.h"
#include "ctl/root.h"
#include "fake.h"

/* Linux 4.14: 14 fields. */
#define LINE14 "   8       0 sda 1 2 3 4 5 6 7 8 9 10 11\n"
/* Linux 4.18: discards added. */
#define LINE18 " 259       1 nvme0n1p1 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15\n"
/* Linux 5.5+: flushes added. */
#define LINE20                                                                 \
	"   8      16 sdb 101 102 103 104 105 106 107 108 109 110 111 112 "    \
	"113 114 115 116 117\n"

/* A line and every field it must give (counters in struct order). */
struct parse_case {
	const char *line;
	unsigned int major, minor;
	const char *name;
	uint64_t v[17]; /* rd_ios .. fl_ticks; a field the kernel lacks: 0 */
};

/* The 17 counters of D (rd_ios .. fl_ticks), in struct order, into F. */
static void fields(struct ctl_diskstat *d, uint64_t *f[17])
{
	uint64_t *const all[17] = {
		&d->rd_ios,    &d->rd_merges,  &d->rd_sectors,	  &d->rd_ticks,
		&d->wr_ios,    &d->wr_merges,  &d->wr_sectors,	  &d->wr_ticks,
		&d->in_flight, &d->io_ticks,   &d->time_in_queue, &d->dc_ios,
		&d->dc_merges, &d->dc_sectors, &d->dc_ticks,	  &d->fl_ios,
		&d->fl_ticks,
	};

	memcpy(f, all, sizeof(all));
}

static void test_parse(void **state)
{
	static const struct parse_case cases[] = {
		/* Counters this kernel lacks stay 0. */
		{LINE14, 8, 0, "sda", {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}},
		{LINE18,
		 259,
		 1,
		 "nvme0n1p1",
		 {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}},
		{LINE20,
		 8,
		 16,
		 "sdb",
		 {101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112,
		  113, 114, 115, 116, 117}},
		/* 64-bit counters, as the kernel prints them on 64-bit
		 * hosts. */
		{"8 0 sda 18446744073709551615 0 0 0 0 0 0 0 0 0 0",
		 8,
		 0,
		 "sda",
		 {UINT64_MAX}},
	};
	struct ctl_diskstat d;
	uint64_t *got[17];

	(void)state;
	fields(&d, got);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct parse_case *c = &cases[i];

		assert_int_equal(ctl_diskstat_parse(c->line, &d), 0);
		assert_int_equal(d.major, c->major);
		assert_int_equal(d.minor, c->minor);
		assert_string_equal(d.name, c->name);
		for (size_t k = 0; k < ARRAY_SIZE(got); k++)
			if (*got[k] != c->v[k])
				fail_msg(
					"\"%s\": counter %zu is %llu, not %llu",
					c->line, k, (unsigned long long)*got[k],
					(unsigned long long)c->v[k]);
	}
}

static void test_parse_garbage(void **state)
{
	static const char *const bad[] = {
		"",
		"\n",
		"garbage",
		"8 0 sda",
		"8 0 sda 1 2 3 4 5 6 7 8 9 10", /* 13 */
		"8 0 sda 1 2 3 4 5 6 7 8 9 10 11 12", /* 15 */
		"8 0 sda 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16", /* 19 */
		"8 0 sda 1 2 3 x 5 6 7 8 9 10 11",
		"x 0 sda 1 2 3 4 5 6 7 8 9 10 11",
	};
	struct ctl_diskstat d;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		if (ctl_diskstat_parse(bad[i], &d) != -EINVAL)
			fail_msg("accepted \"%s\"", bad[i]);
	}
}

static void test_read_fake_proc(void **state)
{
	struct ctl_root *r;
	struct ctl_diskstat d;

	(void)state;
	fake_new();
	fake_write("proc/diskstats", "%s%s%s%s%s", LINE14,
		   "   8       1 sda1 7 0 0 0 0 0 0 0 0 0 0\n",
		   "this line is garbage\n", LINE18, LINE20);
	assert_int_equal(ctl_root_open(fake_root, &r), 0);

	assert_int_equal(ctl_diskstat_read(r, "sda1", &d), 0);
	assert_string_equal(d.name, "sda1");
	assert_int_equal(d.minor, 1);
	assert_int_equal(d.rd_ios, 7);
	/* Past the garbage line. */
	assert_int_equal(ctl_diskstat_read(r, "sdb", &d), 0);
	assert_int_equal(d.fl_ticks, 117);
	assert_int_equal(ctl_diskstat_read(r, "sda", &d), 0);
	assert_int_equal(d.minor, 0);
	assert_int_equal(d.rd_ios, 1);
	/* A prefix of a listed name is not that name. */
	assert_int_equal(ctl_diskstat_read(r, "nvme0n1", &d), -ENODEV);
	assert_int_equal(ctl_diskstat_read(r, "sdz", &d), -ENODEV);
	ctl_root_free(r);
	fake_free();

	/* A tree without /proc/diskstats. */
	fake_new();
	assert_int_equal(ctl_root_open(fake_root, &r), 0);
	assert_int_equal(ctl_diskstat_read(r, "sda", &d), -ENOENT);
	ctl_root_free(r);
	fake_free();
}

/*
 * Two samples 2 s apart; iostat -x values worked out by hand: B - A is
 * 200 reads (100 r/s) of 40960 sectors (20 MiB: 10 MiB/s), 100 writes
 * (50 w/s) of 8192 sectors (4 MiB: 2 MiB/s), 20 discards; await
 * (400+500+60)/(200+100+20) = 3 ms; flushes are not in sysstat's await;
 * 1500 of 2000 ms busy: util 75 %; 3000 ms queued: aqu-sz 1.5.
 */
static void samples(struct ctl_diskstat *a, struct ctl_diskstat *b)
{
	/* In struct order: rd_ios rd_merges rd_sectors rd_ticks, wr_...,
	 * in_flight io_ticks time_in_queue, dc_..., fl_ios fl_ticks. */
	static const uint64_t first[17] = {1000,  0,	50000, 7000,  500,   0,
					   20000, 3000, 3,     10000, 40000, 10,
					   0,	  0,	40,    99,    99999};
	static const uint64_t step[17] = {200,	0,   40960, 400,  100,	  0,
					  8192, 500, 0,	    1500, 3000,	  20,
					  0,	0,   60,    1000, 1000000};
	uint64_t *fa[17], *fb[17];

	memset(a, 0, sizeof(*a));
	memset(b, 0, sizeof(*b));
	fields(a, fa);
	fields(b, fb);
	for (size_t k = 0; k < ARRAY_SIZE(fa); k++) {
		*fa[k] = first[k];
		*fb[k] = first[k] + step[k];
	}
}

/*
 * Check every rate ctl_iostat_compute() gives for samples A and B taken MS
 * apart against WANT (a field left out of WANT must be 0).
 */
static void check_iostat(const struct ctl_diskstat *a,
			 const struct ctl_diskstat *b, double ms,
			 struct ctl_iostat want, int line)
{
	static const char *const names[] = {"util", "await", "aqu_sz", "r_s",
					    "w_s",  "r_mbs", "w_mbs"};
	struct ctl_iostat s;

	ctl_iostat_compute(a, b, ms, &s);
	{
		const double got[] = {s.util, s.await, s.aqu_sz, s.r_s,
				      s.w_s,  s.r_mbs, s.w_mbs};
		const double exp[] = {want.util, want.await, want.aqu_sz,
				      want.r_s,	 want.w_s,   want.r_mbs,
				      want.w_mbs};

		for (size_t i = 0; i < ARRAY_SIZE(names); i++)
			if (!(fabs(got[i] - exp[i]) < 1e-9))
				fail_msg("line %d: %s is %g, not %g", line,
					 names[i], got[i], exp[i]);
	}
}

#define IOSTAT(a, b, ms, ...)                                                  \
	check_iostat((a), (b), (ms), (struct ctl_iostat){__VA_ARGS__}, __LINE__)

static void test_iostat(void **state)
{
	struct ctl_diskstat a, b;

	(void)state;
	samples(&a, &b);
	IOSTAT(&a, &b, 2000.0, .util = 75.0, .await = 3.0, .aqu_sz = 1.5,
	       .r_s = 100.0, .w_s = 50.0, .r_mbs = 10.0, .w_mbs = 2.0);
	/* Over 500 ms the rates scale, await does not; 1500 ms busy in
	 * 500: util capped. */
	IOSTAT(&a, &b, 500.0, .util = 100.0, .await = 3.0, .aqu_sz = 6.0,
	       .r_s = 400.0, .w_s = 200.0, .r_mbs = 40.0, .w_mbs = 8.0);

	/* One request of 8 sectors (4 KiB) in one second. */
	b = a;
	b.rd_ios++;
	b.rd_sectors += 8;
	b.rd_ticks += 2;
	b.io_ticks += 2;
	b.time_in_queue += 2;
	IOSTAT(&a, &b, 1000.0, .util = 0.2, .await = 2.0, .aqu_sz = 0.002,
	       .r_s = 1.0, .r_mbs = 4096.0 / 1048576.0);
}

static void test_iostat_idle_and_edges(void **state)
{
	struct ctl_diskstat a, b;

	(void)state;
	samples(&a, &b);
	/* Nothing happened: all zero, no division by zero. */
	IOSTAT(&a, &a, 1000.0, .util = 0);
	/* No interval: nothing to divide by. */
	IOSTAT(&a, &b, 0.0, .util = 0);
	/* A counter that went backwards (wrapped) counts as 0. */
	IOSTAT(&b, &a, 1000.0, .util = 0);
}

/*
 * The kernel prints the *_ticks, io_ticks and time_in_queue fields as
 * 32-bit values (ms): they wrap every 49.7 days of busy time, and iostat
 * (unsigned int counters) computes across the wrap.
 */
static void test_iostat_tick_wrap(void **state)
{
	struct ctl_diskstat a, b;

	(void)state;
	samples(&a, &b);
	a.io_ticks = 4294967295ULL - 99; /* 100 ms before the wrap */
	b.io_ticks = 500; /* 600 ms busy in 1000 */
	a.time_in_queue = 4294967295ULL;
	b.time_in_queue = 1999; /* 2000 ms queued: aqu-sz 2 */
	a.rd_ticks = 4294967295ULL - 9;
	a.wr_ticks = 0;
	a.dc_ticks = 0;
	b.rd_ticks = 310; /* 320 ms over 320 ios: await 1 ms */
	b.wr_ticks = 0;
	b.dc_ticks = 0;
	IOSTAT(&a, &b, 1000.0, .util = 60.0, .await = 1.0, .aqu_sz = 2.0,
	       .r_s = 200.0, .w_s = 100.0, .r_mbs = 20.0, .w_mbs = 4.0);
}

/*
 * The saturation rule fed a run of util samples: after each, saturated
 * ('1') or not ('0') as WANT says.
 */
static void test_saturation(void **state)
{
	static const struct {
		double pct;
		unsigned int need;
		double util[10];
		const char *want;
	} cases[] = {
		/* At PCT counts; one dip resets the run. */
		{90.0, 0, {95, 99, 90, 100, 89.9, 95, 95, 95}, "00110001"},
		/* A dip between two short runs: never 3 in a row. */
		{80.0, 3, {85, 85, 10, 85, 85, 85}, "000001"},
		{50.0, 1, {50, 49}, "10"},
	};
	struct ctl_satur s;

	(void)state;
	/* The defaults of the rule, as documented. */
	assert_int_equal(CTL_SAT_UTIL_PCT, 85);
	ctl_satur_init(&s, 90.0, 0);
	assert_int_equal(s.need, 3);
	assert_int_equal(CTL_SAT_SAMPLES, 3);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		ctl_satur_init(&s, cases[i].pct, cases[i].need);
		for (size_t k = 0; cases[i].want[k]; k++)
			if (ctl_satur_feed(&s, cases[i].util[k]) !=
			    (cases[i].want[k] == '1'))
				fail_msg("case %zu, sample %zu (%g): not %c", i,
					 k, cases[i].util[k], cases[i].want[k]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_garbage),
		cmocka_unit_test(test_read_fake_proc),
		cmocka_unit_test(test_iostat),
		cmocka_unit_test(test_iostat_idle_and_edges),
		cmocka_unit_test(test_iostat_tick_wrap),
		cmocka_unit_test(test_saturation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
