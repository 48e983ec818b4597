// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * /proc/diskstats parsing, sysstat's iostat -x formulas checked against
 * values computed by hand, and the saturation rule (util >= PCT for 3
 * samples in a row).
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

#define assert_near(a, b) assert_true(fabs((a) - (b)) < 1e-9)

/* Linux 4.14: 14 fields. */
#define LINE14 "   8       0 sda 1 2 3 4 5 6 7 8 9 10 11\n"
/* Linux 4.18: discards added. */
#define LINE18 " 259       1 nvme0n1p1 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15\n"
/* Linux 5.5+: flushes added. */
#define LINE20                                                                 \
	"   8      16 sdb 101 102 103 104 105 106 107 108 109 110 111 112 "    \
	"113 114 115 116 117\n"

static void test_parse_14(void **state)
{
	struct ctl_diskstat d;

	(void)state;
	assert_int_equal(ctl_diskstat_parse(LINE14, &d), 0);
	assert_int_equal(d.major, 8);
	assert_int_equal(d.minor, 0);
	assert_string_equal(d.name, "sda");
	assert_int_equal(d.rd_ios, 1);
	assert_int_equal(d.rd_merges, 2);
	assert_int_equal(d.rd_sectors, 3);
	assert_int_equal(d.rd_ticks, 4);
	assert_int_equal(d.wr_ios, 5);
	assert_int_equal(d.wr_merges, 6);
	assert_int_equal(d.wr_sectors, 7);
	assert_int_equal(d.wr_ticks, 8);
	assert_int_equal(d.in_flight, 9);
	assert_int_equal(d.io_ticks, 10);
	assert_int_equal(d.time_in_queue, 11);
	/* Counters this kernel lacks stay 0. */
	assert_int_equal(d.dc_ios, 0);
	assert_int_equal(d.dc_ticks, 0);
	assert_int_equal(d.fl_ios, 0);
	assert_int_equal(d.fl_ticks, 0);
}

static void test_parse_18_20(void **state)
{
	struct ctl_diskstat d;

	(void)state;
	assert_int_equal(ctl_diskstat_parse(LINE18, &d), 0);
	assert_int_equal(d.major, 259);
	assert_int_equal(d.minor, 1);
	assert_string_equal(d.name, "nvme0n1p1");
	assert_int_equal(d.time_in_queue, 11);
	assert_int_equal(d.dc_ios, 12);
	assert_int_equal(d.dc_merges, 13);
	assert_int_equal(d.dc_sectors, 14);
	assert_int_equal(d.dc_ticks, 15);
	assert_int_equal(d.fl_ios, 0);

	assert_int_equal(ctl_diskstat_parse(LINE20, &d), 0);
	assert_int_equal(d.major, 8);
	assert_int_equal(d.minor, 16);
	assert_string_equal(d.name, "sdb");
	assert_int_equal(d.rd_ios, 101);
	assert_int_equal(d.wr_ticks, 108);
	assert_int_equal(d.dc_ticks, 115);
	assert_int_equal(d.fl_ios, 116);
	assert_int_equal(d.fl_ticks, 117);

	/* 64-bit counters, as the kernel prints them on 64-bit hosts. */
	assert_int_equal(
		ctl_diskstat_parse("8 0 sda 18446744073709551615 0 0 0 0 0 0 "
				   "0 0 0 0",
				   &d),
		0);
	assert_true(d.rd_ios == UINT64_MAX);
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

/* Two samples 2 s apart; iostat -x values worked out by hand below. */
static void samples(struct ctl_diskstat *a, struct ctl_diskstat *b)
{
	memset(a, 0, sizeof(*a));
	a->rd_ios = 1000;
	a->rd_sectors = 50000;
	a->rd_ticks = 7000;
	a->wr_ios = 500;
	a->wr_sectors = 20000;
	a->wr_ticks = 3000;
	a->dc_ios = 10;
	a->dc_ticks = 40;
	a->fl_ios = 99;
	a->fl_ticks = 99999;
	a->in_flight = 3;
	a->io_ticks = 10000;
	a->time_in_queue = 40000;
	*b = *a;
	b->rd_ios += 200; /* 100 r/s */
	b->rd_sectors += 40960; /* 20 MiB: 10 MiB/s */
	b->rd_ticks += 400;
	b->wr_ios += 100; /* 50 w/s */
	b->wr_sectors += 8192; /* 4 MiB: 2 MiB/s */
	b->wr_ticks += 500;
	b->dc_ios += 20;
	b->dc_ticks += 60; /* await (400+500+60)/(200+100+20) = 3 ms */
	b->fl_ios += 1000; /* flushes are not in sysstat's await */
	b->fl_ticks += 1000000;
	b->io_ticks += 1500; /* 1500 of 2000 ms busy: 75 % */
	b->time_in_queue += 3000; /* aqu-sz 3000 / 2000 = 1.5 */
}

static void test_iostat(void **state)
{
	struct ctl_diskstat a, b;
	struct ctl_iostat s;

	(void)state;
	samples(&a, &b);
	ctl_iostat_compute(&a, &b, 2000.0, &s);
	assert_near(s.util, 75.0);
	assert_near(s.await, 3.0);
	assert_near(s.aqu_sz, 1.5);
	assert_near(s.r_s, 100.0);
	assert_near(s.w_s, 50.0);
	assert_near(s.r_mbs, 10.0);
	assert_near(s.w_mbs, 2.0);

	/* Over 500 ms the rates scale, await does not. */
	ctl_iostat_compute(&a, &b, 500.0, &s);
	assert_near(s.util, 100.0); /* 1500 ms busy in 500: capped */
	assert_near(s.await, 3.0);
	assert_near(s.aqu_sz, 6.0);
	assert_near(s.r_s, 400.0);
	assert_near(s.w_mbs, 8.0);

	/* One request of 8 sectors (4 KiB) in one second. */
	b = a;
	b.rd_ios++;
	b.rd_sectors += 8;
	b.rd_ticks += 2;
	b.io_ticks += 2;
	b.time_in_queue += 2;
	ctl_iostat_compute(&a, &b, 1000.0, &s);
	assert_near(s.util, 0.2);
	assert_near(s.await, 2.0);
	assert_near(s.aqu_sz, 0.002);
	assert_near(s.r_s, 1.0);
	assert_near(s.r_mbs, 4096.0 / 1048576.0);
	assert_near(s.w_s, 0.0);
}

static void test_iostat_idle_and_edges(void **state)
{
	struct ctl_diskstat a, b;
	struct ctl_iostat s;

	(void)state;
	samples(&a, &b);
	/* Nothing happened: all zero, no division by zero. */
	ctl_iostat_compute(&a, &a, 1000.0, &s);
	assert_near(s.util, 0.0);
	assert_near(s.await, 0.0);
	assert_near(s.aqu_sz, 0.0);
	assert_near(s.r_mbs, 0.0);
	/* No interval: nothing to divide by. */
	ctl_iostat_compute(&a, &b, 0.0, &s);
	assert_near(s.util, 0.0);
	assert_near(s.r_s, 0.0);
	assert_near(s.await, 0.0);
	/* A counter that went backwards (wrapped) counts as 0. */
	ctl_iostat_compute(&b, &a, 1000.0, &s);
	assert_near(s.util, 0.0);
	assert_near(s.r_s, 0.0);
	assert_near(s.w_mbs, 0.0);
}

/*
 * The kernel prints the *_ticks, io_ticks and time_in_queue fields as
 * 32-bit values (ms): they wrap every 49.7 days of busy time, and iostat
 * (unsigned int counters) computes across the wrap.
 */
static void test_iostat_tick_wrap(void **state)
{
	struct ctl_diskstat a, b;
	struct ctl_iostat s;

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
	ctl_iostat_compute(&a, &b, 1000.0, &s);
	assert_near(s.util, 60.0);
	assert_near(s.aqu_sz, 2.0);
	assert_near(s.await, 1.0);
}

static void test_saturation(void **state)
{
	struct ctl_satur s;

	(void)state;
	ctl_satur_init(&s, 90.0, 0);
	assert_int_equal(s.need, 3);
	assert_false(ctl_satur_feed(&s, 95.0));
	assert_false(ctl_satur_feed(&s, 99.0));
	assert_true(ctl_satur_feed(&s, 90.0)); /* at PCT counts */
	assert_true(ctl_satur_feed(&s, 100.0));
	/* One dip resets the run. */
	assert_false(ctl_satur_feed(&s, 89.9));
	assert_false(ctl_satur_feed(&s, 95.0));
	assert_false(ctl_satur_feed(&s, 95.0));
	assert_true(ctl_satur_feed(&s, 95.0));

	/* A dip between two short runs: never 3 in a row. */
	ctl_satur_init(&s, 80.0, 3);
	assert_false(ctl_satur_feed(&s, 85.0));
	assert_false(ctl_satur_feed(&s, 85.0));
	assert_false(ctl_satur_feed(&s, 10.0));
	assert_false(ctl_satur_feed(&s, 85.0));
	assert_false(ctl_satur_feed(&s, 85.0));
	assert_true(ctl_satur_feed(&s, 85.0));

	ctl_satur_init(&s, 50.0, 1);
	assert_true(ctl_satur_feed(&s, 50.0));
	assert_false(ctl_satur_feed(&s, 49.0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_14),
		cmocka_unit_test(test_parse_18_20),
		cmocka_unit_test(test_parse_garbage),
		cmocka_unit_test(test_read_fake_proc),
		cmocka_unit_test(test_iostat),
		cmocka_unit_test(test_iostat_idle_and_edges),
		cmocka_unit_test(test_iostat_tick_wrap),
		cmocka_unit_test(test_saturation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
