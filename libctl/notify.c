// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The only caller of libsystemd, dlopen()ed on first use: only "swapadj
 * auto" run by a service manager ($NOTIFY_SOCKET set) speaks the notify
 * protocol, and every other run of every tool must not pay for loading
 * it. Also the $JOURNAL_STREAM check, which needs no library.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "ctl/notify.h"
#include "internal.h"

struct ctl_notify {
	void *h;
	int (*notify)(int unset_environment, const char *state);
};

int ctl_notify_open(struct ctl_notify **out, char *why, size_t len)
{
	struct ctl_notify *n;

	*out = NULL;
	if (why && len)
		why[0] = '\0';
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->h = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
	if (n->h)
		*(void **)&n->notify = dlsym(n->h, "sd_notify");
	if (!n->notify) {
		const char *e = dlerror();

		if (why && len)
			ctl_fmt(why, len, "%s", e ? e : "no sd_notify");
		if (n->h)
			dlclose(n->h);
		free(n);
		return -ENOTSUP;
	}
	*out = n;
	return 0;
}

int ctl_notify_send(struct ctl_notify *n, const char *state)
{
	/* 0: keep $NOTIFY_SOCKET, later states go to the same place. */
	int r = n->notify(0, state);

	return r > 0 ? 1 : r;
}

void ctl_notify_close(struct ctl_notify *n)
{
	if (!n)
		return;
	dlclose(n->h);
	free(n);
}

/* A decimal number of ENV up to STOP (no sign, no blanks); NULL if none. */
static const char *parse_dec(const char *s, char stop, uint64_t *v)
{
	uint64_t x = 0;
	const char *p = s;

	for (; *p >= '0' && *p <= '9'; p++) {
		if (x > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return NULL;
		x = x * 10 + (uint64_t)(*p - '0');
	}
	if (p == s || *p != stop)
		return NULL;
	*v = x;
	return p;
}

int ctl_journal_stream(const char *env, int fd)
{
	uint64_t dev, ino;
	struct stat st;
	const char *p;

	if (!env)
		return 0;
	p = parse_dec(env, ':', &dev);
	if (!p || !parse_dec(p + 1, '\0', &ino))
		return 0;
	if (fstat(fd, &st) < 0)
		return 0;
	return (uint64_t)st.st_dev == dev && (uint64_t)st.st_ino == ino;
}
