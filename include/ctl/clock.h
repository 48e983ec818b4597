/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The one clock the tools time intervals with. */
#pragma once

#include <time.h>

/*
 * CLOCK_MONOTONIC in milliseconds with the fraction (finer than a
 * microsecond for any real uptime): intervals, deadlines and sample
 * spacing, never wall time. Callers that want whole milliseconds cast.
 */
double ctl_now_ms(void);

/*
 * MS milliseconds (the fraction kept to the nanosecond; 0 for a negative
 * MS) as the timespec that nanosleep(2) and sigtimedwait(2) take.
 */
struct timespec ctl_ms_timespec(double ms);
