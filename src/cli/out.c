/* out.c: tables and key: value blocks. */
#include "cli/out.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

struct table {
	size_t ncols, ncells, cap;
	char **cells; /* row-major, headers first */
};

void sanitize(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = (*s == '\t' || *s == '\n') ? ' ' : '?';
}

static void push(struct table *t, char *s)
{
	if (t->ncells == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 32;
		t->cells = xrealloc(t->cells, t->cap * sizeof *t->cells);
	}
	sanitize(s);
	t->cells[t->ncells++] = s;
}

struct table *table_new(const char *headers)
{
	struct table *t = xcalloc(1, sizeof *t);
	const char *p = headers;
	while (*p) {
		while (*p == ' ')
			p++;
		const char *e = strchr(p, ' ');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n) {
			push(t, xstrndup(p, n));
			t->ncols++;
		}
		p += n;
	}
	return t;
}

void table_cell(struct table *t, const char *s)
{
	push(t, xstrdup(s && *s ? s : "-"));
}

void table_cellf(struct table *t, const char *fmt, ...)
{
	struct sbuf sb = SBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	sbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	char *s = sbuf_detach(&sb);
	if (!*s) {
		free(s);
		s = xstrdup("-");
	}
	push(t, s);
}

void table_cellj(struct table *t, json_t *obj, const char *key)
{
	push(t, fmt_json(json_path(obj, key)));
}

/* Display width of UTF-8 text: one column per code point. */
static size_t width(const char *s)
{
	size_t w = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			w++;
	return w;
}

void table_print(struct table *t)
{
	size_t *w = xcalloc(t->ncols, sizeof *w);
	for (size_t i = 0; i < t->ncells; i++) {
		size_t cw = width(t->cells[i]);
		if (cw > w[i % t->ncols])
			w[i % t->ncols] = cw;
	}
	for (size_t i = 0; i < t->ncells; i++) {
		size_t col = i % t->ncols;
		bool last = col == t->ncols - 1 || i == t->ncells - 1;
		fputs(t->cells[i], stdout);
		if (last) {
			fputc('\n', stdout);
		} else {
			for (size_t k = width(t->cells[i]); k < w[col] + 2; k++)
				fputc(' ', stdout);
		}
		free(t->cells[i]);
	}
	free(w);
	free(t->cells);
	free(t);
}

json_t *json_path(json_t *obj, const char *key)
{
	const char *dot = strchr(key, '.');
	if (!dot)
		return json_object_get(obj, key);
	char *head = xstrndup(key, (size_t)(dot - key));
	json_t *sub = json_object_get(obj, head);
	free(head);
	return json_path(sub, dot + 1);
}

static void fmt_real(double d, char *out, size_t n)
{
	snprintf(out, n, "%.2f", d);
	char *p = strchr(out, '.');
	if (p) { /* drop trailing zeros: 1.50 -> 1.5, 2.00 -> 2 */
		char *e = out + strlen(out) - 1;
		while (e > p && *e == '0')
			*e-- = '\0';
		if (e == p)
			*e = '\0';
	}
}

char *fmt_json(json_t *v)
{
	char buf[64];
	if (!v || json_is_null(v))
		return xstrdup("-");
	if (json_is_string(v))
		return xstrdup(*json_string_value(v) ? json_string_value(v) : "-");
	if (json_is_integer(v))
		return xasprintf("%lld", (long long)json_integer_value(v));
	if (json_is_real(v)) {
		fmt_real(json_real_value(v), buf, sizeof buf);
		return xstrdup(buf);
	}
	if (json_is_boolean(v))
		return xstrdup(json_is_true(v) ? "yes" : "no");
	if (json_is_array(v)) {
		bool scalars = true;
		size_t i;
		json_t *x;
		json_array_foreach(v, i, x)
			if (json_is_object(x) || json_is_array(x))
				scalars = false;
		if (scalars) {
			struct sbuf sb = SBUF_INIT;
			json_array_foreach(v, i, x) {
				char *s = fmt_json(x);
				if (i)
					sbuf_adds(&sb, ", ");
				sbuf_adds(&sb, s);
				free(s);
			}
			if (!sb.len)
				sbuf_adds(&sb, "-");
			return sbuf_detach(&sb);
		}
	}
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	return s ? s : xstrdup("?");
}

void fmt_unit(json_t *v, const char *unit, char *out, size_t n)
{
	if (!json_is_number(v)) {
		snprintf(out, n, "-");
		return;
	}
	char num[32];
	fmt_real(json_number_value(v), num, sizeof num);
	snprintf(out, n, "%s%s", num, unit);
}

static bool listed(const char *k, const char *const *keys)
{
	for (size_t i = 0; keys && keys[i]; i++)
		if (strcmp(keys[i], k) == 0)
			return true;
	return false;
}

struct kv {
	char **k, **v;
	size_t n, cap;
};

static void kv_add(struct kv *kv, char *k, char *v)
{
	if (kv->n == kv->cap) {
		kv->cap = kv->cap ? kv->cap * 2 : 32;
		kv->k = xrealloc(kv->k, kv->cap * sizeof *kv->k);
		kv->v = xrealloc(kv->v, kv->cap * sizeof *kv->v);
	}
	sanitize(k);
	sanitize(v);
	kv->k[kv->n] = k;
	kv->v[kv->n++] = v;
}

static void flatten(struct kv *kv, const char *prefix, json_t *v)
{
	if (json_is_object(v) && json_object_size(v)) {
		const char *k;
		json_t *x;
		json_object_foreach(v, k, x) {
			char *p = xasprintf("%s.%s", prefix, k);
			flatten(kv, p, x);
			free(p);
		}
		return;
	}
	kv_add(kv, xstrdup(prefix), fmt_json(v));
}

void print_kv(json_t *obj, const char *const *keys, int only)
{
	struct kv kv = {0};
	for (size_t i = 0; keys && keys[i]; i++) {
		json_t *v = json_path(obj, keys[i]);
		if (v)
			flatten(&kv, keys[i], v);
	}
	if (!only) {
		const char *k;
		json_t *v;
		json_object_foreach(obj, k, v)
			if (!listed(k, keys))
				flatten(&kv, k, v);
	}
	size_t w = 0;
	for (size_t i = 0; i < kv.n; i++)
		if (width(kv.k[i]) > w)
			w = width(kv.k[i]);
	for (size_t i = 0; i < kv.n; i++) {
		printf("%s:", kv.k[i]);
		for (size_t k = width(kv.k[i]); k < w + 1; k++)
			fputc(' ', stdout);
		printf(" %s\n", kv.v[i]);
		free(kv.k[i]);
		free(kv.v[i]);
	}
	free(kv.k);
	free(kv.v);
}
