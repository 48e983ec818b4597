// SPDX-License-Identifier: LGPL-2.1-or-later
/* Common option parsing, target lists and exit codes. */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/cli.h"
#include "ctl/parse.h"
#include "internal.h"

static int take_textfile(struct ctl_cli *cli, const char *arg)
{
	static const char ext[] = ".prom";
	size_t n = strlen(arg);

	if (n < sizeof(ext) || strcmp(arg + n - (sizeof(ext) - 1), ext) != 0 ||
	    arg[n - sizeof(ext)] == '/')
		return -EINVAL;
	cli->textfile = arg;
	return 1;
}

static int take_exit_changed(struct ctl_cli *cli, const char *arg)
{
	uint64_t n;

	if (ctl_parse_range(arg, 1, 255, &n) < 0 ||
	    (n >= CTL_EXIT_USAGE && n <= CTL_EXIT_UNSUPP))
		return -EINVAL;
	cli->exit_changed = (int)n;
	return 1;
}

int ctl_cli_common(struct ctl_cli *cli, int c, const char *arg)
{
	/* The options that only switch something on. */
	static const struct {
		int c;
		size_t off;
	} flags[] = {
		{CTL_OPT_DRY_RUN, offsetof(struct ctl_cli, dry_run)},
		{'J', offsetof(struct ctl_cli, fmt.json)},
		{'P', offsetof(struct ctl_cli, fmt.pairs)},
		{'r', offsetof(struct ctl_cli, fmt.raw)},
		{'n', offsetof(struct ctl_cli, fmt.noheadings)},
		{'q', offsetof(struct ctl_cli, quiet)},
		{'b', offsetof(struct ctl_cli, fmt.bytes)},
	};

	switch (c) {
	case CTL_OPT_SYSROOT:
		cli->sysroot = arg;
		return 1;
	case 'o':
		cli->fmt.columns = arg;
		return 1;
	case 'v':
		cli->verbose++;
		return 1;
	case CTL_OPT_TEXTFILE:
		return take_textfile(cli, arg);
	case CTL_OPT_EXIT_CHANGED:
		return take_exit_changed(cli, arg);
	case CTL_OPT_SAVE:
		cli->save = arg;
		return 1;
	}
	for (size_t i = 0; i < ARRAY_SIZE(flags); i++)
		if (flags[i].c == c) {
			*(int *)((char *)cli + flags[i].off) = 1;
			return 1;
		}
	return 0;
}

int ctl_strv_add(struct ctl_strv *sv, const char *s)
{
	char **v = realloc(sv->v, (sv->n + 2) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	sv->v = v;
	v[sv->n] = strdup(s);
	if (!v[sv->n])
		return -ENOMEM;
	v[++sv->n] = NULL;
	return 0;
}

void ctl_strv_free(struct ctl_strv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = 0;
}

static int read_lines(FILE *in, struct ctl_strv *out)
{
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	while ((n = getline(&line, &cap, in)) >= 0) {
		char *s = line, *e = line + n;
		int err;

		while (s < e && isspace((unsigned char)*s))
			s++;
		while (e > s && isspace((unsigned char)e[-1]))
			e--;
		if (s == e)
			continue;
		*e = '\0';
		err = ctl_strv_add(out, s);
		if (err < 0)
			return err;
	}
	return ferror(in) ? -EIO : 0;
}

int ctl_cli_targets(char *const *argv, int n, FILE *in, struct ctl_strv *out)
{
	for (int i = 0; i < n; i++) {
		int dash = strcmp(argv[i], "-") == 0;
		int err;

		if (dash && !in)
			return -EINVAL; /* stdin not allowed here (udev) */
		err = dash ? read_lines(in, out) : ctl_strv_add(out, argv[i]);
		if (err < 0)
			return err;
	}
	return 0;
}

int ctl_list_has(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; p && *p;) {
		size_t len = strcspn(p, ",");

		if (len == n && strncmp(p, word, n) == 0)
			return 1;
		p += len + (p[len] == ',');
	}
	return 0;
}

int ctl_exit_for(int err)
{
	switch (-err) {
	case ENOTSUP:
	case ENOSYS:
	case ENOTTY:
	case ENOTBLK:
	case ENOMEDIUM:
		return CTL_EXIT_UNSUPP;
	default:
		return CTL_EXIT_FAIL;
	}
}
