// SPDX-License-Identifier: LGPL-2.1-or-later
/* sysfs/procfs attributes: validated names, one write, read-back. */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "ctl/attr.h"
#include "ctl/parse.h"
#include "internal.h"

int ctl_name_check(const char *name)
{
	size_t len;

	if (!name)
		return -EINVAL;
	len = strnlen(name, CTL_NAME_MAX + 1);
	if (len == 0 || len > CTL_NAME_MAX)
		return -EINVAL;
	if (strchr(name, '/') || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0)
		return -EINVAL;
	return 0;
}

static int attr_path(char *buf, size_t len, const char *dir, const char *name)
{
	if (ctl_name_check(name) < 0)
		return -EINVAL;
	return ctl_fmt(buf, len, "%s/%s", dir, name);
}

int ctl_attr_read(const struct ctl_root *r, const char *dir, const char *name,
		  char *buf, size_t len)
{
	char path[PATH_MAX];
	int err = attr_path(path, sizeof(path), dir, name);

	if (err < 0)
		return err;
	return ctl_root_read_file(r, path, buf, len);
}

int ctl_attr_read_u64(const struct ctl_root *r, const char *dir,
		      const char *name, uint64_t *val)
{
	char buf[64];
	int err = ctl_attr_read(r, dir, name, buf, sizeof(buf));

	if (err < 0)
		return err;
	return ctl_parse_u64(buf, val);
}

int ctl_attr_write(const struct ctl_root *r, const char *dir, const char *name,
		   const char *val)
{
	char path[PATH_MAX];
	int err = attr_path(path, sizeof(path), dir, name);

	if (err < 0)
		return err;
	return ctl_root_write_file(r, path, val, 0);
}

int ctl_attr_write_verify(const struct ctl_root *r, const char *dir,
			  const char *name, const char *val, char *buf,
			  size_t len)
{
	int err = ctl_attr_write(r, dir, name, val);

	if (err < 0)
		return err;
	err = ctl_attr_read(r, dir, name, buf, len);
	return err < 0 ? err : 0;
}
