// SPDX-License-Identifier: LGPL-2.1-or-later
/* Monotonic time for intervals and deadlines. */
#include <time.h>

#include "ctl/clock.h"

double ctl_now_ms(void)
{
	struct timespec ts;

	/* Cannot fail for CLOCK_MONOTONIC on Linux with a valid pointer. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

struct timespec ctl_ms_timespec(double ms)
{
	struct timespec ts = {0, 0};
	double ns;

	if (!(ms > 0))
		return ts;
	ts.tv_sec = (time_t)(ms / 1e3);
	ns = (ms - (double)ts.tv_sec * 1e3) * 1e6;
	/* Rounding must not make it a whole second. */
	ts.tv_nsec = ns < 0 ? 0 : ns > 999999999 ? 999999999 : (long)ns;
	return ts;
}
