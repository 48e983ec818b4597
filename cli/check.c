// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What is refused before any work starts: --sysroot, check's bounds, a
 * save file to restore.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "cli/cli.h"
#include "ctl/file.h"

struct ctl_root *cli_root_open(const char *sysroot)
{
	struct ctl_root *r;
	int err = ctl_root_open_flags(sysroot, CTL_ROOT_SYSTEM, &r);

	if (err < 0)
		cli_die(CTL_EXIT_USAGE, "--sysroot %s: %s",
			sysroot && *sysroot ? sysroot : "/",
			ctl_file_strerror(-err));
	return r;
}

void cli_check_bounds(const char *sub, const struct cli_range *r, bool others,
		      const char *give)
{
	bool min = r && r->min_set, max = r && r->max_set;

	if (!min && !max && !others)
		cli_die(CTL_EXIT_USAGE, "%s: nothing to check; give %s", sub,
			give);
	/* No value meets both: every target would fail, whatever it is. */
	if (min && max && r->min > r->max)
		cli_die(CTL_EXIT_USAGE,
			"%s: %s %" PRIu64 " is above %s %" PRIu64
			"; no value can pass",
			sub, r->min_opt, r->min, r->max_opt, r->max);
}

void cli_save_unwritable(int prio, const char *file, int err)
{
	if (err == -ENOMSG)
		cli_say(prio,
			"%s: cannot write save file: exists and is not a %s save file; refusing to replace it (remove it or name another file)",
			file, program_invocation_short_name);
	else
		cli_say(prio, "%s: cannot write save file: %s%s", file,
			ctl_file_strerror(-err),
			err == -ENOENT ? " (does the directory exist?)" : "");
}

void cli_save_loaded(const char *file, int err, size_t records)
{
	const char *tool = program_invocation_short_name;

	switch (-err) {
	case 0:
		break;
	case EBADMSG:
		cli_die(CTL_EXIT_USAGE,
			"%s: no valid end marker (the file may be cut short or edited); nothing restored",
			file);
	case ENOMSG:
		cli_die(CTL_EXIT_USAGE, "%s: not a %s save file", file, tool);
	case EFBIG:
		cli_die(CTL_EXIT_USAGE, "%s: too large for a %s save file",
			file, tool);
	case EISDIR:
	case CTL_ENOTREG:
		cli_die(CTL_EXIT_USAGE, "%s: %s", file,
			ctl_file_strerror(-err));
	default:
		cli_die(CTL_EXIT_FAIL, "%s: %s", file, ctl_file_strerror(-err));
	}
	if (!records)
		cli_die(CTL_EXIT_UNSUPP, "%s: no records; nothing to restore",
			file);
}
