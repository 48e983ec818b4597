// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * --textfile FILE: metrics in Prometheus' text exposition format 0.0.4,
 * the format node_exporter's textfile collector reads.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "ctl/file.h"

struct sample {
	char *labels; /* "{a=\"b\",c=\"d\"}" or "" */
	double value;
};

struct metric {
	char *name, *help;
	struct sample *v;
	size_t n;
};

struct cli_prom {
	struct metric *v;
	size_t n;
	struct metric *cur; /* what samples go to */
};

static void *must(void *p)
{
	if (!p)
		cli_die(CTL_EXIT_FAIL, "textfile: %s", strerror(ENOMEM));
	return p;
}

/* NAME matches [a-zA-Z_:][a-zA-Z0-9_:]* (COLON) or [a-zA-Z_][a-zA-Z0-9_]*. */
static bool valid_name(const char *name, bool colon)
{
	for (const char *s = name; *s; s++) {
		char c = *s;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  c == '_' || (colon && c == ':') ||
			  (s > name && c >= '0' && c <= '9');

		if (!ok)
			return false;
	}
	return *name;
}

struct cli_prom *cli_prom_new(void)
{
	return must(calloc(1, sizeof(struct cli_prom)));
}

void cli_prom_metric(struct cli_prom *p, const char *name, const char *help)
{
	struct metric *m;

	if (!valid_name(name, true))
		cli_die(CTL_EXIT_FAIL, "textfile: '%s' is no metric name",
			name);
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->v[i].name, name) == 0) {
			p->cur = &p->v[i];
			return;
		}
	p->v = must(realloc(p->v, (p->n + 1) * sizeof(*p->v)));
	m = p->cur = &p->v[p->n++];
	*m = (struct metric){0};
	m->name = must(strdup(name));
	m->help = must(strdup(help));
}

/* S with '\\', '"' (QUOTE) and newlines escaped, as the format wants. */
static void put_escaped(FILE *f, const char *s, bool quote)
{
	for (; *s; s++) {
		if (*s == '\\' || (quote && *s == '"'))
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

/* The labels of AP (name, value, ..., NULL) as "{a=\"b\"}", or "". */
static char *labels(va_list ap)
{
	const char *name, *val;
	char *text = NULL;
	size_t len = 0;
	FILE *f = must(open_memstream(&text, &len));
	bool first = true;

	while ((name = va_arg(ap, const char *))) {
		val = va_arg(ap, const char *);
		if (!valid_name(name, false) || strncmp(name, "__", 2) == 0)
			cli_die(CTL_EXIT_FAIL,
				"textfile: '%s' is no label name", name);
		fprintf(f, "%s%s=\"", first ? "{" : ",", name);
		put_escaped(f, val ? val : "", true);
		fputc('"', f);
		first = false;
	}
	if (!first)
		fputc('}', f);
	if (fclose(f) != 0)
		must(NULL);
	return text;
}

void cli_prom_sample(struct cli_prom *p, double value, ...)
{
	struct metric *m = p->cur;
	va_list ap;
	char *l;

	if (!m)
		cli_die(CTL_EXIT_FAIL, "textfile: a sample of no metric");
	va_start(ap, value);
	l = labels(ap);
	va_end(ap);
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->v[i].labels, l) == 0) {
			m->v[i].value = value;
			free(l);
			return;
		}
	m->v = must(realloc(m->v, (m->n + 1) * sizeof(*m->v)));
	m->v[m->n++] = (struct sample){l, value};
}

/* V as Prometheus writes a value: "256", "0.25", "NaN", "+Inf". */
static void put_value(FILE *f, double v)
{
	char buf[40];

	if (isnan(v)) {
		fputs("NaN", f);
	} else if (isinf(v)) {
		fputs(v > 0 ? "+Inf" : "-Inf", f);
	} else if (v == trunc(v) && fabs(v) < 1e18) {
		fprintf(f, "%.0f", v == 0 ? 0.0 : v); /* no "-0" */
	} else {
		/* the shortest text that reads back as V */
		snprintf(buf, sizeof(buf), "%.15g", v);
		if (strtod(buf, NULL) != v)
			snprintf(buf, sizeof(buf), "%.17g", v);
		fputs(buf, f);
	}
}

static void put_metric(FILE *f, const struct metric *m)
{
	fprintf(f, "# HELP %s ", m->name);
	put_escaped(f, m->help, false);
	fprintf(f, "\n# TYPE %s gauge\n", m->name);
	for (size_t i = 0; i < m->n; i++) {
		fprintf(f, "%s%s ", m->name, m->v[i].labels);
		put_value(f, m->v[i].value);
		fputc('\n', f);
	}
}

int cli_prom_commit(struct cli_prom *p, const char *file)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = must(open_memstream(&text, &len));
	int err;

	for (size_t i = 0; i < p->n; i++)
		put_metric(f, &p->v[i]);
	if (fclose(f) != 0)
		must(NULL);
	err = ctl_file_write_atomic(file, text, len, 0644);
	free(text);
	if (err < 0) {
		cli_say(LOG_ERR, "%s: %s", file, strerror(-err));
		return CTL_EXIT_FAIL;
	}
	return CTL_EXIT_OK;
}

void cli_prom_free(struct cli_prom *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++) {
		for (size_t j = 0; j < p->v[i].n; j++)
			free(p->v[i].v[j].labels);
		free(p->v[i].v);
		free(p->v[i].name);
		free(p->v[i].help);
	}
	free(p->v);
	free(p);
}
