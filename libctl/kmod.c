// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The only caller of libkmod, dlopen()ed on first use: a scheduler module
 * is needed only when a scheduler is not registered yet, and on kernels
 * with schedulers built in (no module tree) every call returns -ENOENT.
 */
#include <dlfcn.h>
#include <errno.h>
#include <libkmod.h>
#include <stdbool.h>
#include <stdio.h>

#include "ctl/queue.h"
#include "internal.h"

struct kmod_api {
	struct kmod_ctx *(*new)(const char *, const char *const *);
	struct kmod_ctx *(*unref)(struct kmod_ctx *);
	int (*lookup)(struct kmod_ctx *, const char *, struct kmod_list **);
	struct kmod_module *(*get_module)(const struct kmod_list *);
	struct kmod_list *(*list_next)(const struct kmod_list *,
				       const struct kmod_list *);
	int (*probe)(struct kmod_module *, unsigned int, const char *,
		     int (*)(struct kmod_module *, void *), const void *,
		     void (*)(struct kmod_module *, bool, const char *));
	struct kmod_module *(*mod_unref)(struct kmod_module *);
	int (*unref_list)(struct kmod_list *);
};

static int load_api(void *h, struct kmod_api *k)
{
	*(void **)&k->new = dlsym(h, "kmod_new");
	*(void **)&k->unref = dlsym(h, "kmod_unref");
	*(void **)&k->lookup = dlsym(h, "kmod_module_new_from_lookup");
	*(void **)&k->get_module = dlsym(h, "kmod_module_get_module");
	*(void **)&k->list_next = dlsym(h, "kmod_list_next");
	*(void **)&k->probe = dlsym(h, "kmod_module_probe_insert_module");
	*(void **)&k->mod_unref = dlsym(h, "kmod_module_unref");
	*(void **)&k->unref_list = dlsym(h, "kmod_module_unref_list");
	return k->new && k->unref && k->lookup && k->get_module &&
			       k->list_next && k->probe && k->mod_unref &&
			       k->unref_list
		       ? 0
		       : -ENOTSUP;
}

/* Look ALIAS up; with LOAD, insert every module it names. */
static int probe_alias(const struct kmod_api *k, const char *alias, bool load)
{
	struct kmod_list *list = NULL, *it;
	struct kmod_ctx *ctx;
	int err;

	ctx = k->new (NULL, NULL);
	if (!ctx)
		return -ENOENT; /* no module tree for this kernel */
	err = k->lookup(ctx, alias, &list);
	if (err >= 0 && !list)
		err = -ENOENT;
	for (it = list; load && err >= 0 && it; it = k->list_next(list, it)) {
		struct kmod_module *mod = k->get_module(it);

		err = k->probe(mod, 0, NULL, NULL, NULL, NULL);
		k->mod_unref(mod);
	}
	k->unref_list(list);
	k->unref(ctx);
	return err < 0 ? err : 0;
}

static int sched_module(const struct ctl_root *r, const char *sched, bool load)
{
	struct kmod_api k;
	char alias[64];
	void *h;
	int err;

	/* The modules of the running kernel belong to the host, never to
	 * a --sysroot tree: neither loaded nor looked up for one. */
	if (!ctl_root_is_host(r))
		return -ENOTSUP;
	if (ctl_fmt(alias, sizeof(alias), "%s-iosched", sched) < 0)
		return -EINVAL;
	h = dlopen("libkmod.so.2", RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return -ENOTSUP;
	err = load_api(h, &k);
	if (!err)
		err = probe_alias(&k, alias, load);
	dlclose(h);
	return err;
}

int ctl_kmod_load_sched(const struct ctl_root *r, const char *sched)
{
	return sched_module(r, sched, true);
}

int ctl_kmod_find_sched(const struct ctl_root *r, const char *sched)
{
	return sched_module(r, sched, false);
}
