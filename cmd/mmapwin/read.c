// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mmapwin read: a range of a file to stdout, raw or as hexdump -C,
 * through bounded mmap windows.
 */
#include <err.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl/cli.h"
#include "ctl/macro.h"
#include "ctl/win.h"
#include "mmapwin.h"

/* Output of read, built without stdio (the window guard may unwind it). */
struct reader {
	int hex;
	unsigned char line[16];
	size_t nline;
	uint64_t line_off;
	int digits;
	char out[1 << 16];
	size_t nout;
	int out_failed; /* the error is stdout's, not the file's */
};

static int write_all(const void *buf, size_t n)
{
	const char *p = buf;

	while (n) {
		ssize_t r = write(STDOUT_FILENO, p, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* write_all() for RD; an error other than the mapping's own EFAULT (its
 * page is gone) is stdout's. */
static int put_out(struct reader *rd, const void *buf, size_t n)
{
	int e = write_all(buf, n);

	if (e < 0 && e != -EFAULT)
		rd->out_failed = 1;
	return e;
}

static int flush_out(struct reader *rd)
{
	int e = put_out(rd, rd->out, rd->nout);

	rd->nout = 0;
	return e;
}

/* Offsets take 8 hex digits, as in hexdump -C, or more past 4 GiB. */
static int off_digits(uint64_t v)
{
	int d = 8;

	while (d < 16 && (v >> (4 * d)))
		d++;
	return d;
}

static char *put_hex(char *s, uint64_t v, int digits)
{
	static const char xd[] = "0123456789abcdef";

	for (int i = digits - 1; i >= 0; i--)
		s[i] = xd[v & 15], v >>= 4;
	return s + digits;
}

/* One hexdump -C line of the bytes in RD->line. */
static int hex_line(struct reader *rd)
{
	char *s;

	if (rd->nout > sizeof(rd->out) - 128) {
		int e = flush_out(rd);

		if (e < 0)
			return e;
	}
	s = put_hex(rd->out + rd->nout, rd->line_off, rd->digits);
	*s++ = ' ';
	for (size_t i = 0; i < 16; i++) {
		*s++ = ' ';
		if (i == 8)
			*s++ = ' ';
		if (i < rd->nline) {
			s = put_hex(s, rd->line[i], 2);
		} else {
			*s++ = ' ';
			*s++ = ' ';
		}
	}
	*s++ = ' ';
	*s++ = ' ';
	*s++ = '|';
	for (size_t i = 0; i < rd->nline; i++) {
		unsigned char c = rd->line[i];

		*s++ = c >= 0x20 && c < 0x7f ? (char)c : '.';
	}
	*s++ = '|';
	*s++ = '\n';
	rd->nout = (size_t)(s - rd->out);
	rd->line_off += rd->nline;
	rd->nline = 0;
	return 0;
}

static int read_fn(void *arg, unsigned char *p, size_t len, uint64_t off)
{
	struct reader *rd = arg;

	(void)off;
	if (!rd->hex)
		return put_out(rd, p, len);
	for (size_t i = 0; i < len; i++) {
		rd->line[rd->nline++] = p[i];
		if (rd->nline == 16) {
			int e = hex_line(rd);

			if (e < 0)
				return e;
		}
	}
	return 0;
}

int cmd_read(struct mw *m, char **args, int n)
{
	_cleanup_free_ struct reader *rd = calloc(1, sizeof(*rd));
	struct ctl_win w = {.winsize = m->window};
	uint64_t off, len, size;
	int e;

	(void)n;
	off = take_offset(args[1]);
	len = take_length(args[2]);
	check_end(off, len);
	w.fd = open_file(args[0], 0, &size);
	check_range(args[0], off, &len, size);
	if (!rd)
		errx(CTL_EXIT_FAIL, "out of memory");
	rd->hex = m->hex;
	rd->line_off = off;
	rd->digits = off_digits(off + len);
	e = ctl_win_each(&w, off, len, read_fn, rd);
	if (!e && rd->hex && rd->nline)
		e = hex_line(rd);
	if (!e && rd->hex) {
		char *s = put_hex(rd->out + rd->nout, off + len, rd->digits);

		*s++ = '\n';
		rd->nout = (size_t)(s - rd->out);
		e = flush_out(rd);
	}
	if (e == -EPIPE)
		return CTL_EXIT_OK;
	if (e < 0 && rd->out_failed)
		errx(CTL_EXIT_FAIL, "stdout: %s", strerror(-e));
	if (e < 0)
		die_file(args[0], e);
	return CTL_EXIT_OK;
}
