// SPDX-License-Identifier: LGPL-2.1-or-later
/* Output through libsmartcols; the only file that calls it. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <libsmartcols.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ctl/out.h"
#include "internal.h"

struct ctl_out {
	struct libscols_table *tb;
	size_t ncols;
	struct libscols_column **map; /* column index -> scols column or NULL */
	const struct ctl_col *cols;
	bool json; /* -J: a number cell that is no JSON number is null */
	bool bytes; /* -b: size cells in bytes */
};

static int find_col(const struct ctl_col *cols, size_t ncols, const char *name,
		    size_t len)
{
	for (size_t i = 0; i < ncols; i++)
		if (strlen(cols[i].name) == len &&
		    strncasecmp(cols[i].name, name, len) == 0)
			return (int)i;
	return -1;
}

static int add_col(struct ctl_out *o, const struct ctl_col *c, size_t idx)
{
	struct libscols_column *cl;
	int fl = 0;

	if (o->map[idx])
		return 0; /* asked for twice: print once */
	if (c->flags & CTL_COL_RIGHT)
		fl |= SCOLS_FL_RIGHT;
	if (c->flags & CTL_COL_TRUNC)
		fl |= SCOLS_FL_TRUNC;
	if (c->flags & CTL_COL_WRAP)
		fl |= SCOLS_FL_WRAP;
	cl = scols_table_new_column(o->tb, c->name, c->whint, fl);
	if (!cl)
		return -ENOMEM;
	if (c->flags & CTL_COL_NUMBER || (c->flags & CTL_COL_SIZE && o->bytes))
		scols_column_set_json_type(cl, SCOLS_JSON_NUMBER);
	else if (c->flags & CTL_COL_BOOL) /* empty: null, not false */
		scols_column_set_json_type(cl, SCOLS_JSON_BOOLEAN_OPTIONAL);
	o->map[idx] = cl;
	return 0;
}

static int add_list(struct ctl_out *o, const struct ctl_col *cols, size_t ncols,
		    const char *list, const char **bad)
{
	const char *p = list;

	while (*p) {
		size_t len = strcspn(p, ",");
		int idx, err;

		if (len) {
			idx = find_col(cols, ncols, p, len);
			if (idx < 0) {
				if (bad)
					*bad = p;
				return -EINVAL;
			}
			err = add_col(o, &cols[idx], (size_t)idx);
			if (err < 0)
				return err;
		}
		p += len;
		if (*p == ',')
			p++;
	}
	return 0;
}

int ctl_out_new(const char *name, const struct ctl_col *cols, size_t ncols,
		const char *defaults, const struct ctl_outfmt *fmt,
		struct ctl_out **out, const char **bad)
{
	const char *spec = fmt ? fmt->columns : NULL;
	struct ctl_out *o;
	int err;

	o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	o->ncols = ncols;
	o->cols = cols;
	o->map = calloc(ncols, sizeof(*o->map));
	o->tb = scols_new_table();
	if (!o->map || !o->tb) {
		ctl_out_free(o);
		return -ENOMEM;
	}
	scols_table_set_name(o->tb, name);
	if (fmt) {
		o->json = fmt->json;
		o->bytes = fmt->bytes;
		scols_table_enable_json(o->tb, fmt->json);
		scols_table_enable_export(o->tb, fmt->pairs);
		/* -P output is eval'ed: names must be shell variables. */
		scols_table_enable_shellvar(o->tb, fmt->pairs);
		scols_table_enable_raw(o->tb, fmt->raw);
		scols_table_enable_noheadings(o->tb, fmt->noheadings);
	}
	if (!spec || !*spec || *spec == '+')
		err = add_list(o, cols, ncols, defaults, NULL);
	else
		err = 0;
	if (!err && spec && *spec)
		err = add_list(o, cols, ncols, spec + (*spec == '+'), bad);
	if (err < 0) {
		ctl_out_free(o);
		return err;
	}
	*out = o;
	return 0;
}

void ctl_out_free(struct ctl_out *o)
{
	if (!o)
		return;
	scols_unref_table(o->tb);
	free(o->map);
	free(o);
}

struct ctl_row *ctl_out_row(struct ctl_out *o)
{
	return (struct ctl_row *)scols_table_new_line(o->tb, NULL);
}

int ctl_out_has(const struct ctl_out *o, size_t col)
{
	return col < o->ncols && o->map[col];
}

/*
 * libsmartcols prints any non-empty string but "0" as JSON true, "false"
 * included: booleans reach it as "0" or "1" only.
 */
static const char *bool_val(const char *val)
{
	static const char *const no[] = {"0", "false", "no", "n", "off"};

	for (size_t i = 0; i < ARRAY_SIZE(no); i++)
		if (strcasecmp(val, no[i]) == 0)
			return "0";
	return "1";
}

/* "" or "-": a value the tool does not know. */
static bool unknown(const char *val)
{
	return !*val || strcmp(val, "-") == 0;
}

/* S is a number as JSON writes one (RFC 8259, section 6). */
static bool json_number(const char *s)
{
	if (*s == '-')
		s++;
	if (*s == '0')
		s++;
	else if (*s >= '1' && *s <= '9')
		s += strspn(s, "0123456789");
	else
		return false;
	if (*s == '.') {
		if (!isdigit((unsigned char)s[1]))
			return false;
		s += 1 + strspn(s + 1, "0123456789");
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		s += *s == '+' || *s == '-';
		if (!isdigit((unsigned char)*s))
			return false;
		s += strspn(s, "0123456789");
	}
	return !*s;
}

/*
 * What cell COL keeps of VAL: NULL (empty; null in JSON) for an unknown
 * boolean, and in JSON for a number cell that holds no number ("-", "",
 * "n/a"): printed as it is, it would break the document.
 */
static const char *cell_val(const struct ctl_out *o, size_t col,
			    const char *val)
{
	switch (scols_column_get_json_type(o->map[col])) {
	case SCOLS_JSON_BOOLEAN_OPTIONAL:
		return unknown(val) ? NULL : bool_val(val);
	case SCOLS_JSON_NUMBER:
		return o->json && !json_number(val) ? NULL : val;
	default:
		return val;
	}
}

int ctl_out_set(struct ctl_out *o, struct ctl_row *row, size_t col,
		const char *val)
{
	if (!ctl_out_has(o, col) || !val)
		return 0;
	return scols_line_set_column_data((struct libscols_line *)row,
					  o->map[col], cell_val(o, col, val));
}

int ctl_out_setf(struct ctl_out *o, struct ctl_row *row, size_t col,
		 const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n, err;

	if (!ctl_out_has(o, col))
		return 0;
	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	if (cell_val(o, col, s) != s) {
		err = ctl_out_set(o, row, col, s);
		free(s);
		return err;
	}
	/* scols takes ownership of refered data: hand it the string. */
	err = scols_line_refer_column_data((struct libscols_line *)row,
					   o->map[col], s);
	if (err < 0)
		free(s);
	return err;
}

/* As util-linux's size_to_human_string(SIZE_SUFFIX_1LETTER) for lsblk. */
const char *ctl_out_size_human(uint64_t bytes, char *buf, size_t len)
{
	static const char letters[] = "BKMGTPE";
	unsigned int exp = 0;
	uint64_t dec, frac = 0;

	while (exp < 60 && bytes >= (UINT64_C(1) << (exp + 10)))
		exp += 10;
	dec = bytes >> exp;
	if (exp) {
		frac = bytes & ((UINT64_C(1) << exp) - 1);
		/* three digits after the point, then rounded to one */
		if (frac >= UINT64_MAX / 1000)
			frac = ((frac / 1024) * 1000) >> (exp - 10);
		else
			frac = (frac * 1000) >> exp;
		frac = (frac + 50) / 100;
		if (frac == 10) {
			dec++;
			frac = 0;
		}
	}
	if (frac)
		snprintf(buf, len, "%" PRIu64 ".%" PRIu64 "%c", dec, frac,
			 letters[exp / 10]);
	else
		snprintf(buf, len, "%" PRIu64 "%c", dec, letters[exp / 10]);
	return buf;
}

int ctl_out_set_size(struct ctl_out *o, struct ctl_row *row, size_t col,
		     uint64_t bytes)
{
	char buf[32];

	if (o->bytes)
		return ctl_out_setf(o, row, col, "%" PRIu64, bytes);
	return ctl_out_set(o, row, col,
			   ctl_out_size_human(bytes, buf, sizeof(buf)));
}

int ctl_out_print(struct ctl_out *o, FILE *f)
{
	scols_table_set_stream(o->tb, f);
	return scols_print_table(o->tb);
}

/* S as a JSON string; LOWER: in lower case, as -J writes column names. */
static void put_json_string(FILE *f, const char *s, bool lower)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p == '\t')
			fputs("\\t", f);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(lower ? tolower(*p) : *p, f);
	}
	fputc('"', f);
}

/* A cell's value as -J prints it: empty is null. */
static void put_json_value(FILE *f, int type, const char *data)
{
	if (!data || !*data)
		fputs("null", f);
	else if (type == SCOLS_JSON_NUMBER)
		fputs(data, f);
	else if (type == SCOLS_JSON_BOOLEAN ||
		 type == SCOLS_JSON_BOOLEAN_OPTIONAL)
		fputs(*data == '0' ? "false" : "true", f);
	else
		put_json_string(f, data, false);
}

static void put_time(FILE *f, const struct timespec *when)
{
	struct tm tm;
	char date[32] = "";
	time_t t = when->tv_sec;
	long us = when->tv_nsec / 1000;

	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(f, "\"time\":\"%s.%06ldZ\",\"timestamp\":%lld.%06ld", date, us,
		(long long)when->tv_sec, us);
}

static void put_row(struct ctl_out *o, struct libscols_line *ln,
		    struct libscols_iter *it, FILE *f,
		    const struct timespec *when)
{
	struct libscols_column *cl;
	bool first = !when;

	fputc('{', f);
	if (when)
		put_time(f, when);
	scols_reset_iter(it, SCOLS_ITER_FORWARD);
	while (scols_table_next_column(o->tb, it, &cl) == 0) {
		struct libscols_cell *ce = scols_line_get_column_cell(ln, cl);

		if (!first)
			fputc(',', f);
		first = false;
		put_json_string(f, scols_column_get_name(cl), true);
		fputc(':', f);
		put_json_value(f, scols_column_get_json_type(cl),
			       ce ? scols_cell_get_data(ce) : NULL);
	}
	fputs("}\n", f);
}

int ctl_out_print_jsonl(struct ctl_out *o, FILE *f, const struct timespec *when)
{
	struct libscols_iter *li = scols_new_iter(SCOLS_ITER_FORWARD);
	struct libscols_iter *ci = scols_new_iter(SCOLS_ITER_FORWARD);
	struct libscols_line *ln;
	int err = 0;

	if (!li || !ci) {
		err = -ENOMEM;
		goto out;
	}
	while (scols_table_next_line(o->tb, li, &ln) == 0)
		put_row(o, ln, ci, f, when);
	/* A stream: each sample reaches the reader now. */
	if (fflush(f) != 0)
		err = neg_errno();
	else if (ferror(f))
		err = -EIO;
out:
	scols_free_iter(li);
	scols_free_iter(ci);
	return err;
}

void ctl_out_help(const struct ctl_col *cols, size_t ncols, FILE *f)
{
	for (size_t i = 0; i < ncols; i++)
		fprintf(f, " %12s  %s\n", cols[i].name, cols[i].help);
}
