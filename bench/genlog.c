// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * genlog SIZE [SEED]: write SIZE bytes of a realistic application log to
 * stdout: timestamped lines, varied lengths, and a `password=hunter2` token
 * on roughly one line in three, for the replace benchmarks. The output is
 * a pure function of SIZE and SEED. Build: cc -O2 -o genlog genlog.c
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng;

static uint32_t next(void)
{
	/* xorshift64*: fast and reproducible across libcs. */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 2685821657736338717ULL) >> 32);
}

static const char *const levels[] = {"INFO", "DEBUG", "WARN", "ERROR"};
static const char *const users[] = {"alice",   "bob",	"carol", "dave", "erin",
				    "mallory", "oscar", "peggy", "trent"};
static const char *const msgs[] = {"request served",
				   "session opened",
				   "cache miss, fetching from upstream",
				   "retrying connection to db-01.internal",
				   "login attempt",
				   "token refreshed",
				   "slow query took longer than expected",
				   "payload accepted"};

int main(int argc, char **argv)
{
	unsigned long long size, done = 0, sec = 1700000000ULL;
	static char out[1 << 20];
	size_t fill = 0;
	char line[512];

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: genlog SIZE [SEED]\n");
		return 2;
	}
	size = strtoull(argv[1], NULL, 0);
	rng = argc == 3 ? strtoull(argv[2], NULL, 0) : 42;
	if (!rng)
		rng = 42;
	while (done < size) {
		uint32_t r = next();
		int n;

		sec += r % 3;
		n = snprintf(line, sizeof(line),
			     "%llu.%03u %s [%s] pid=%u user=%s %s%s id=%08x\n",
			     sec, r % 1000, levels[(r >> 8) % 4],
			     (r >> 10) % 2 ? "api" : "auth",
			     1000 + (r >> 12) % 9000, users[(r >> 16) % 9],
			     msgs[(r >> 20) % 8],
			     (r >> 24) % 3 == 0 ? " password=hunter2" : "",
			     next());
		if ((unsigned long long)n > size - done)
			n = (int)(size - done);
		if (fill + (size_t)n > sizeof(out)) {
			if (fwrite(out, 1, fill, stdout) != fill)
				return 1;
			fill = 0;
		}
		memcpy(out + fill, line, (size_t)n);
		fill += (size_t)n;
		done += (unsigned long long)n;
	}
	if (fwrite(out, 1, fill, stdout) != fill || fflush(stdout) != 0)
		return 1;
	return 0;
}
