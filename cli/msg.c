// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Messages as "TOOL: object: reason" on stderr, and the end of a run:
 * stdout flushed and closed, lost output reported.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

/* Where messages go: set once by main(), before the first one. */
static struct {
	bool journal;
	struct ctl_log *log;
} msg;

void cli_msg_journal(bool on)
{
	msg.journal = on;
}

void cli_msg_log(struct ctl_log *log)
{
	msg.log = log;
}

/* One line LINE (no newline) of priority PRIO, in one write. */
static void put_line(int prio, const char *line)
{
	if (msg.journal)
		fprintf(stderr, "<%d>%s\n", prio, line);
	else
		fprintf(stderr, "%s\n", line);
}

static void vsay(int prio, bool logged, const char *fmt, va_list ap)
{
	char text[2048], line[2200];

	vsnprintf(text, sizeof(text), fmt, ap);
	snprintf(line, sizeof(line), "%s: %s", program_invocation_short_name,
		 text);
	put_line(prio, line);
	if (logged && msg.log)
		ctl_log_write(msg.log, prio, text);
}

void cli_say(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(prio, false, fmt, ap);
	va_end(ap);
}

void cli_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(LOG_WARNING, false, fmt, ap);
	va_end(ap);
}

void cli_die(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(LOG_ERR, true, fmt, ap);
	va_end(ap);
	exit(code);
}

static void try_line(void)
{
	char line[128];

	snprintf(line, sizeof(line), "Try '%s --help'.",
		 program_invocation_short_name);
	put_line(LOG_ERR, line);
}

void cli_usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(LOG_ERR, true, fmt, ap);
	va_end(ap);
	try_line();
	exit(CTL_EXIT_USAGE);
}

void cli_try_help(void)
{
	try_line();
	exit(CTL_EXIT_USAGE);
}

int cli_getopt(int argc, char *const *argv, const char *shortopts,
	       const struct option *longopts)
{
	FILE *mem, *was = stderr;
	char *text = NULL;
	size_t len = 0;
	int c;

	if (!msg.journal || !(mem = open_memstream(&text, &len)))
		return getopt_long(argc, argv, shortopts, longopts, NULL);
	stderr = mem; /* glibc's getopt complains on stderr */
	c = getopt_long(argc, argv, shortopts, longopts, NULL);
	stderr = was;
	fclose(mem);
	for (const char *line = text; line && *line;) {
		size_t n = strcspn(line, "\n");

		fprintf(stderr, "<%d>%.*s\n", LOG_ERR, (int)n, line);
		line += n + (line[n] == '\n');
	}
	free(text);
	return c;
}

int cli_finish(int rc)
{
	/* Nothing waiting to be written: a closed stdout lost nothing. */
	bool pending = __fpending(stdout) > 0;
	bool lost = ferror(stdout);
	int err = 0;

	if (fclose(stdout) != 0) {
		err = errno;
		lost |= err != EBADF || pending;
	} else if (lost) {
		err = EIO; /* the error of the failed write is gone by now */
	}
	if (!lost || err == EPIPE)
		return rc;
	cli_say(LOG_ERR, "stdout: %s", strerror(err));
	return CTL_EXIT_FAIL;
}

int cli_changed_rc(const struct ctl_cli *cli, int rc)
{
	return rc == CTL_EXIT_OK && cli->changed && cli->exit_changed
		       ? cli->exit_changed
		       : rc;
}

void cli_exit(int rc)
{
	exit(cli_finish(rc));
}

void cli_version(void)
{
	printf("%s %s\n", program_invocation_short_name, CTL_VERSION);
	cli_exit(CTL_EXIT_OK);
}
