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
