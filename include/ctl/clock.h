/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The one clock the tools time intervals with. */
#pragma once

/*
 * CLOCK_MONOTONIC in milliseconds with the fraction (finer than a
 * microsecond for any real uptime): intervals, deadlines and sample
 * spacing, never wall time. Callers that want whole milliseconds cast.
 */
double ctl_now_ms(void);
