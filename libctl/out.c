// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Tables of the tools; the only file that calls libsmartcols. A table is
 * kept here (its columns and the cells of its rows) until it is printed,
 * and libsmartcols.so.1 is dlopen()ed then, on the first print: a run
 * that prints no table (qdepth set -q, --udev) or only JSON Lines never
 * loads it.
 */
#include <ctype.h>
#include <dlfcn.h>
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

/* The libsmartcols calls of ctl_out_print(), each scols_NAME. */
#define SCOLS_CALLS(X)                                                         \
	X(new_table)                                                           \
	X(unref_table)                                                         \
	X(table_set_name)                                                      \
	X(table_enable_json)                                                   \
	X(table_enable_export)                                                 \
	X(table_enable_shellvar)                                               \
	X(table_enable_raw)                                                    \
	X(table_enable_noheadings)                                             \
	X(table_new_column)                                                    \
	X(column_set_json_type)                                                \
	X(table_new_line)                                                      \
	X(line_set_column_data)                                                \
	X(table_set_stream)                                                    \
	X(print_table)

static struct {
#define SCOLS_FIELD(f) __typeof__(scols_##f) *f;
	SCOLS_CALLS(SCOLS_FIELD)
#undef SCOLS_FIELD
} scols;

/* dlopen() libsmartcols once. Returns 0, or -ELIBACC when it cannot be. */
static int load_scols(void)
{
	static int loaded; /* 0 not tried, 1 loaded, or -ELIBACC */
	void *h;

	if (loaded)
		return loaded < 0 ? loaded : 0;
	loaded = -ELIBACC;
	h = dlopen("libsmartcols.so.1", RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return loaded;
#define SCOLS_SYM(f)                                                           \
	*(void **)&scols.f = dlsym(h, "scols_" #f);                            \
	if (!scols.f)                                                          \
		goto missing;
	SCOLS_CALLS(SCOLS_SYM)
#undef SCOLS_SYM
	loaded = 1;
	return 0;
missing:
	dlclose(h);
	return loaded;
}

/* How -J writes a column's cells. */
enum cell_type { CELL_STRING, CELL_NUMBER, CELL_BOOL };

/* A row: one cell (NULL: empty) per column of the table, chosen or not. */
struct ctl_row {
	size_t ncells;
	char *cell[];
};

struct ctl_out {
	char *name;
	size_t ncols;
	const struct ctl_col *cols;
	bool *chosen; /* column index -> printed */
	size_t *order; /* the printed columns, in order */
	size_t norder;
	struct ctl_row **rows;
	size_t nrows;
	struct ctl_outfmt fmt; /* columns: NULL (not kept) */
};

static enum cell_type cell_type(const struct ctl_out *o, size_t col)
{
	int fl = o->cols[col].flags;

	if (fl & CTL_COL_NUMBER || (fl & CTL_COL_SIZE && o->fmt.bytes))
		return CELL_NUMBER;
	/* empty: null, not false */
	return fl & CTL_COL_BOOL ? CELL_BOOL : CELL_STRING;
}

static int find_col(const struct ctl_col *cols, size_t ncols, const char *name,
		    size_t len)
{
	for (size_t i = 0; i < ncols; i++)
		if (strlen(cols[i].name) == len &&
		    strncasecmp(cols[i].name, name, len) == 0)
			return (int)i;
	return -1;
}

static int add_list(struct ctl_out *o, const struct ctl_col *cols, size_t ncols,
		    const char *list, const char **bad)
{
	const char *p = list;

	while (*p) {
		size_t len = strcspn(p, ",");
		int idx;

		if (len) {
			idx = find_col(cols, ncols, p, len);
			if (idx < 0) {
				if (bad)
					*bad = p;
				return -EINVAL;
			}
			/* asked for twice: print once */
			if (!o->chosen[idx]) {
				o->chosen[idx] = true;
				o->order[o->norder++] = (size_t)idx;
			}
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
	o->name = strdup(name);
	o->chosen = calloc(ncols + 1, sizeof(*o->chosen));
	o->order = calloc(ncols + 1, sizeof(*o->order));
	if (!o->name || !o->chosen || !o->order) {
		ctl_out_free(o);
		return -ENOMEM;
	}
	if (fmt) {
		o->fmt = *fmt;
		o->fmt.columns = NULL;
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

static void row_free(struct ctl_row *row)
{
	for (size_t i = 0; row && i < row->ncells; i++)
		free(row->cell[i]);
	free(row);
}

void ctl_out_free(struct ctl_out *o)
{
	if (!o)
		return;
	for (size_t i = 0; i < o->nrows; i++)
		row_free(o->rows[i]);
	free(o->rows);
	free(o->order);
	free(o->chosen);
	free(o->name);
	free(o);
}

struct ctl_row *ctl_out_row(struct ctl_out *o)
{
	struct ctl_row **rows, *row;

	row = calloc(1, sizeof(*row) + (o->ncols + 1) * sizeof(row->cell[0]));
	rows = row ? realloc(o->rows, (o->nrows + 1) * sizeof(*rows)) : NULL;
	if (!rows) {
		free(row);
		return NULL;
	}
	row->ncells = o->ncols;
	o->rows = rows;
	o->rows[o->nrows++] = row;
	return row;
}

int ctl_out_has(const struct ctl_out *o, size_t col)
{
	return col < o->ncols && o->chosen[col];
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
	switch (cell_type(o, col)) {
	case CELL_BOOL:
		return unknown(val) ? NULL : bool_val(val);
	case CELL_NUMBER:
		return o->fmt.json && !json_number(val) ? NULL : val;
	default:
		return val;
	}
}

/* Cell COL of ROW holds S (owned from now on; NULL: empty). */
static void put_cell(struct ctl_row *row, size_t col, char *s)
{
	free(row->cell[col]);
	row->cell[col] = s;
}

int ctl_out_set(struct ctl_out *o, struct ctl_row *row, size_t col,
		const char *val)
{
	char *s = NULL;

	if (!ctl_out_has(o, col) || !val)
		return 0;
	val = cell_val(o, col, val);
	if (val && !(s = strdup(val)))
		return -ENOMEM;
	put_cell(row, col, s);
	return 0;
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
	put_cell(row, col, s);
	return 0;
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

	if (o->fmt.bytes)
		return ctl_out_setf(o, row, col, "%" PRIu64, bytes);
	return ctl_out_set(o, row, col,
			   ctl_out_size_human(bytes, buf, sizeof(buf)));
}

/* The columns of O in libsmartcols table TB, in the order chosen. */
static int scols_columns(const struct ctl_out *o, struct libscols_table *tb,
			 struct libscols_column **cl)
{
	static const int json[] = {[CELL_STRING] = SCOLS_JSON_STRING,
				   [CELL_NUMBER] = SCOLS_JSON_NUMBER,
				   [CELL_BOOL] = SCOLS_JSON_BOOLEAN_OPTIONAL};

	for (size_t i = 0; i < o->norder; i++) {
		const struct ctl_col *c = &o->cols[o->order[i]];
		int fl = 0;

		if (c->flags & CTL_COL_RIGHT)
			fl |= SCOLS_FL_RIGHT;
		if (c->flags & CTL_COL_TRUNC)
			fl |= SCOLS_FL_TRUNC;
		if (c->flags & CTL_COL_WRAP)
			fl |= SCOLS_FL_WRAP;
		cl[i] = scols.table_new_column(tb, c->name, c->whint, fl);
		if (!cl[i])
			return -ENOMEM;
		scols.column_set_json_type(cl[i],
					   json[cell_type(o, o->order[i])]);
	}
	return 0;
}

/* Hand O's table to libsmartcols and print it to F. */
static int scols_print(const struct ctl_out *o, struct libscols_table *tb,
		       struct libscols_column **cl, FILE *f)
{
	int err;

	scols.table_set_name(tb, o->name);
	scols.table_enable_json(tb, o->fmt.json);
	scols.table_enable_export(tb, o->fmt.pairs);
	/* -P output is eval'ed: names must be shell variables. */
	scols.table_enable_shellvar(tb, o->fmt.pairs);
	scols.table_enable_raw(tb, o->fmt.raw);
	scols.table_enable_noheadings(tb, o->fmt.noheadings);
	err = scols_columns(o, tb, cl);
	for (size_t r = 0; !err && r < o->nrows; r++) {
		struct libscols_line *ln = scols.table_new_line(tb, NULL);

		if (!ln)
			return -ENOMEM;
		for (size_t i = 0; !err && i < o->norder; i++)
			if (o->rows[r]->cell[o->order[i]])
				err = scols.line_set_column_data(
					ln, cl[i],
					o->rows[r]->cell[o->order[i]]);
	}
	if (err < 0)
		return err;
	scols.table_set_stream(tb, f);
	return scols.print_table(tb);
}

int ctl_out_print(struct ctl_out *o, FILE *f)
{
	struct libscols_column **cl;
	struct libscols_table *tb;
	int err = load_scols();

	if (err < 0)
		return err;
	cl = calloc(o->norder + 1, sizeof(*cl));
	tb = cl ? scols.new_table() : NULL;
	err = tb ? scols_print(o, tb, cl, f) : -ENOMEM;
	scols.unref_table(tb);
	free(cl);
	return err;
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
static void put_json_value(FILE *f, enum cell_type type, const char *data)
{
	if (!data || !*data)
		fputs("null", f);
	else if (type == CELL_NUMBER)
		fputs(data, f);
	else if (type == CELL_BOOL)
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

static void put_row(const struct ctl_out *o, const struct ctl_row *row, FILE *f,
		    const struct timespec *when)
{
	bool first = !when;

	fputc('{', f);
	if (when)
		put_time(f, when);
	for (size_t i = 0; i < o->norder; i++) {
		size_t col = o->order[i];

		if (!first)
			fputc(',', f);
		first = false;
		put_json_string(f, o->cols[col].name, true);
		fputc(':', f);
		put_json_value(f, cell_type(o, col), row->cell[col]);
	}
	fputs("}\n", f);
}

int ctl_out_print_jsonl(struct ctl_out *o, FILE *f, const struct timespec *when)
{
	for (size_t r = 0; r < o->nrows; r++)
		put_row(o, o->rows[r], f, when);
	/* A stream: each sample reaches the reader now. */
	if (fflush(f) != 0)
		return neg_errno();
	return ferror(f) ? -EIO : 0;
}

void ctl_out_help(const struct ctl_col *cols, size_t ncols, FILE *f)
{
	for (size_t i = 0; i < ncols; i++)
		fprintf(f, " %12s  %s\n", cols[i].name, cols[i].help);
}
