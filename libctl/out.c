// SPDX-License-Identifier: LGPL-2.1-or-later
/* Output through libsmartcols; the only file that calls it. */
#include <errno.h>
#include <libsmartcols.h>
#include <stdarg.h>
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
	if (c->flags & CTL_COL_NUMBER)
		scols_column_set_json_type(cl, SCOLS_JSON_NUMBER);
	else if (c->flags & CTL_COL_BOOL)
		scols_column_set_json_type(cl, SCOLS_JSON_BOOLEAN);
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
		scols_table_enable_json(o->tb, fmt->json);
		scols_table_enable_export(o->tb, fmt->pairs);
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
	static const char *const no[] = {"0", "false", "no", "n", "off", ""};

	for (size_t i = 0; i < ARRAY_SIZE(no); i++)
		if (strcasecmp(val, no[i]) == 0)
			return "0";
	return "1";
}

int ctl_out_set(struct ctl_out *o, struct ctl_row *row, size_t col,
		const char *val)
{
	if (!ctl_out_has(o, col) || !val)
		return 0;
	if (o->cols[col].flags & CTL_COL_BOOL)
		val = bool_val(val);
	return scols_line_set_column_data((struct libscols_line *)row,
					  o->map[col], val);
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
	if (o->cols[col].flags & CTL_COL_BOOL) {
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

int ctl_out_print(struct ctl_out *o, FILE *f)
{
	scols_table_set_stream(o->tb, f);
	return scols_print_table(o->tb);
}

void ctl_out_help(const struct ctl_col *cols, size_t ncols, FILE *f)
{
	for (size_t i = 0; i < ncols; i++)
		fprintf(f, " %12s  %s\n", cols[i].name, cols[i].help);
}
