// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The only caller of libblkid. It is dlopen()ed on first use: tags are a
 * rare target form, and a qdepth started by udev on every hotplug should
 * not pay for loading the library.
 */
#include <blkid.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>

#include "ctl/blk.h"
#include "internal.h"

typedef char *(*evaluate_fn)(const char *, const char *, blkid_cache *);

int ctl_blkid_evaluate(const char *tag, char *buf, size_t len)
{
	evaluate_fn evaluate;
	void *h;
	char *dev;
	int err;

	h = dlopen("libblkid.so.1", RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return -ENOTSUP;
	evaluate = (evaluate_fn)dlsym(h, "blkid_evaluate_tag");
	if (!evaluate) {
		dlclose(h);
		return -ENOTSUP;
	}
	dev = evaluate(tag, NULL, NULL);
	if (!dev) {
		dlclose(h);
		return -ENOENT;
	}
	err = ctl_fmt(buf, len, "%s", dev);
	free(dev);
	dlclose(h);
	return err < 0 ? err : 0;
}
