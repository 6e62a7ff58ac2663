/* common.c: what the renderers share: the one-line value check and the filter that turns the
 * user's free text (Odoo or PostgreSQL configuration) into lines safe to append. */
#include "render/render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/secret.h"
#include "lib/util.h"
#include "lib/valid.h"

/* One line of text: the same rule as the API's (lib/valid.h valid_one_line). */
bool render_line_ok(const char *s)
{
	return valid_one_line(s);
}

static bool is_key_start(char c)
{
	return (c >= 'a' && c <= 'z') || c == '_';
}

static bool is_key_char(char c)
{
	return is_key_start(c) || (c >= '0' && c <= '9');
}

/* ^[a-z_][a-z0-9_]*$, or with one inner '.' (PostgreSQL's extension.parameter) */
static bool key_ok(const char *k, bool dotted)
{
	size_t n = strlen(k);
	if (n < 1 || n > 128 || !is_key_start(k[0]))
		return false;
	int dots = 0;
	for (size_t i = 1; i < n; i++) {
		if (k[i] == '.' && dotted && !dots && i + 1 < n && is_key_start(k[i + 1])) {
			dots++;
			continue;
		}
		if (!is_key_char(k[i]))
			return false;
	}
	return true;
}

static bool reserved_match(const char *key, const char *const *reserved)
{
	for (; reserved && *reserved; reserved++) {
		const char *r = *reserved;
		size_t rn = strlen(r), kn = strlen(key);
		if (rn && r[0] == '*') {
			if (kn >= rn - 1 && strcmp(key + kn - (rn - 1), r + 1) == 0)
				return true;
		} else if (rn && r[rn - 1] == '*') {
			if (strncmp(key, r, rn - 1) == 0)
				return true;
		} else if (strcmp(key, r) == 0) {
			return true;
		}
	}
	return false;
}

/* PostgreSQL's configuration lexer (guc-file.l) accepts these without quotes; anything else
 * is written as a quoted string, which every parameter type accepts. */
static bool pg_bare_ok(const char *v, size_t n)
{
	size_t i = 0;
	if (n == 0)
		return false;
	if ((v[0] >= 'A' && v[0] <= 'Z') || is_key_start(v[0])) { /* identifier: on, lz4 */
		for (i = 1; i < n; i++)
			if (!(v[i] >= 'A' && v[i] <= 'Z') && !is_key_char(v[i]))
				return false;
		return true;
	}
	if (v[i] == '+' || v[i] == '-')
		i++;
	size_t d0 = i;
	while (i < n && v[i] >= '0' && v[i] <= '9')
		i++;
	if (i == d0)
		return false;
	if (i < n && v[i] == '.') { /* real: digits.digits, no unit */
		size_t f0 = ++i;
		while (i < n && v[i] >= '0' && v[i] <= '9')
			i++;
		return i > f0 && i == n;
	}
	while (i < n && ((v[i] >= 'a' && v[i] <= 'z') || (v[i] >= 'A' && v[i] <= 'Z')))
		i++; /* integer with a unit: 256MB, 10s */
	return i == n;
}

static void pg_quote(struct sbuf *sb, const char *s, size_t n)
{
	sbuf_addc(sb, '\'');
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\'')
			sbuf_adds(sb, "''");
		else if (s[i] == '\\')
			sbuf_adds(sb, "\\\\");
		else
			sbuf_addc(sb, s[i]);
	}
	sbuf_addc(sb, '\'');
}

/* A value as the user wrote it after `=`, made into one PostgreSQL value: a well-formed
 * quoted string is kept (a trailing # comment is dropped), a bare token is kept, anything
 * else is quoted. */
static char *pg_value(const char *v)
{
	struct sbuf sb = SBUF_INIT;
	if (v[0] == '\'') {
		size_t i = 1;
		bool closed = false;
		while (v[i]) {
			if (v[i] == '\'') {
				if (v[i + 1] == '\'') {
					i += 2;
					continue;
				}
				closed = true;
				i++;
				break;
			}
			if (v[i] == '\\') {
				if (!v[i + 1])
					break;
				i += 2;
				continue;
			}
			i++;
		}
		const char *rest = v + i;
		while (*rest == ' ')
			rest++;
		if (closed && (!*rest || *rest == '#'))
			sbuf_add(&sb, v, i);
		else
			pg_quote(&sb, v, strlen(v));
		return sbuf_detach(&sb);
	}
	size_t n = strcspn(v, "#");
	while (n && v[n - 1] == ' ')
		n--;
	if (pg_bare_ok(v, n))
		sbuf_add(&sb, v, n);
	else
		pg_quote(&sb, v, n);
	return sbuf_detach(&sb);
}

static struct render_extra_line *add_line(struct render_extra *x, int kind, int lineno)
{
	x->lines = xrealloc(x->lines, (x->n + 1) * sizeof *x->lines);
	struct render_extra_line *l = &x->lines[x->n++];
	memset(l, 0, sizeof *l);
	l->kind = kind;
	l->lineno = lineno;
	return l;
}

/* why: allocated, owned by the line */
static void drop(struct render_extra *x, int lineno, char *why)
{
	add_line(x, RX_DROPPED, lineno)->text = why;
}

/* *other: inside an odoo.conf section other than [options], whose keys must not land in
 * [options] */
static void parse_line(struct render_extra *x, int lineno, char *s, const char *const *reserved,
		       bool *other)
{
	for (char *t = s; *t; t++)
		if (*t == '\t')
			*t = ' ';
	while (*s == ' ')
		s++;
	size_t n = strlen(s);
	while (n && s[n - 1] == ' ')
		s[--n] = '\0';
	if (!n) {
		add_line(x, RX_BLANK, lineno);
		return;
	}
	if (!render_line_ok(s)) {
		drop(x, lineno, xstrdup("control characters or invalid UTF-8"));
		return;
	}
	if (s[0] == '#' || s[0] == ';') {
		struct render_extra_line *l = add_line(x, RX_COMMENT, lineno);
		if (x->dialect == RENDER_POSTGRESQL_CONF && s[0] == ';')
			l->text = xasprintf("#%s", s + 1);
		else
			l->text = xstrdup(s);
		return;
	}
	if (s[0] == '[') {
		*other = x->dialect == RENDER_ODOO_CONF && strcmp(s, "[options]") != 0;
		drop(x, lineno, xstrdup(*other ? "section headers are not allowed (the keys that follow"
						 " are dropped up to an [options] line)"
				     : x->dialect == RENDER_ODOO_CONF ? "berth writes the [options] header"
								      : "section headers are not allowed"));
		return;
	}
	char *eq = strchr(s, '=');
	if (*other) {
		drop(x, lineno, xstrdup("inside a section other than [options]"));
		if (eq) { /* name the key when there is one */
			char *ke = eq;
			while (ke > s && ke[-1] == ' ')
				ke--;
			char *k = xstrndup(s, (size_t)(ke - s));
			if (key_ok(k, false))
				x->lines[x->n - 1].ignored = k;
			else
				free(k);
		}
		return;
	}
	if (!eq) {
		drop(x, lineno, xstrdup("not of the form key = value"));
		return;
	}
	char *k = s, *ke = eq;
	while (ke > k && ke[-1] == ' ')
		ke--;
	*ke = '\0';
	char *v = eq + 1;
	while (*v == ' ')
		v++;
	if (!key_ok(k, x->dialect == RENDER_POSTGRESQL_CONF)) {
		drop(x, lineno, xstrdup("not of the form key = value with a lowercase key"));
		return;
	}
	if (reserved_match(k, reserved)) {
		drop(x, lineno, xasprintf("%s is reserved (set by berth)", k));
		x->lines[x->n - 1].ignored = xstrdup(k);
		return;
	}
	struct render_extra_line *l = add_line(x, RX_KV, lineno);
	l->key = xstrdup(k);
	l->value = x->dialect == RENDER_POSTGRESQL_CONF ? pg_value(v) : xstrdup(v);
}

void render_extra_parse(struct render_extra *x, enum render_dialect d, const char *text,
			const char *const *reserved)
{
	memset(x, 0, sizeof *x);
	x->dialect = d;
	if (!text)
		return;
	int lineno = 0;
	bool other = false;
	const char *p = text;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char *line = xstrndup(p, len);
		if (len && line[len - 1] == '\r') /* CRLF from a browser's textarea */
			line[len - 1] = '\0';
		parse_line(x, ++lineno, line, reserved, &other);
		free(line);
		p += len + (nl ? 1 : 0);
	}
	/* a key given twice: ConfigParser (strict) refuses the whole file, PostgreSQL takes the
	 * last; keep the last line of each key */
	for (size_t i = 0; i < x->n; i++) {
		struct render_extra_line *l = &x->lines[i];
		if (l->kind != RX_KV)
			continue;
		for (size_t j = i + 1; j < x->n; j++) {
			if (x->lines[j].kind == RX_KV && strcmp(x->lines[j].key, l->key) == 0) {
				char *why = xasprintf("%s is set again on line %d", l->key,
						      x->lines[j].lineno);
				free(l->key);
				free(l->value);
				l->key = l->value = NULL;
				l->kind = RX_DROPPED;
				l->text = why;
				l->superseded = true;
				break;
			}
		}
	}
}

bool render_extra_has(const struct render_extra *x, const char *key)
{
	for (size_t i = 0; i < x->n; i++)
		if (x->lines[i].kind == RX_KV && strcmp(x->lines[i].key, key) == 0)
			return true;
	return false;
}

void render_extra_emit(const struct render_extra *x, struct sbuf *sb, const char *title)
{
	size_t first = 0, end = x->n;
	while (first < end && x->lines[first].kind == RX_BLANK)
		first++;
	while (end > first && x->lines[end - 1].kind == RX_BLANK)
		end--;
	if (first == end)
		return;
	const char *c = x->dialect == RENDER_POSTGRESQL_CONF ? "#" : ";";
	sbuf_addf(sb, "\n%s %s\n", c, title);
	for (size_t i = first; i < end; i++) {
		const struct render_extra_line *l = &x->lines[i];
		switch (l->kind) {
		case RX_BLANK:
			sbuf_addc(sb, '\n');
			break;
		case RX_COMMENT:
			sbuf_addf(sb, "%s\n", l->text);
			break;
		case RX_KV:
			sbuf_addf(sb, "%s = %s\n", l->key, l->value);
			break;
		case RX_DROPPED:
			sbuf_addf(sb, "%s berth: line %d dropped: %s\n", c, l->lineno, l->text);
			break;
		}
	}
}

void render_extra_release(struct render_extra *x)
{
	for (size_t i = 0; i < x->n; i++) {
		free(x->lines[i].key);
		secret_free(x->lines[i].value); /* may be a password (smtp_password) */
		free(x->lines[i].text);
		free(x->lines[i].ignored);
	}
	free(x->lines);
	memset(x, 0, sizeof *x);
}

json_t *render_extra_ignored(const struct render_extra *x)
{
	json_t *out = json_array();
	for (size_t i = 0; i < x->n; i++) {
		const struct render_extra_line *l = &x->lines[i];
		if (l->kind != RX_DROPPED || l->superseded)
			continue;
		/* "[options]" in odoo.conf text: berth writes that header, nothing is lost */
		if (!l->ignored && l->text && strcmp(l->text, "berth writes the [options] header") == 0)
			continue;
		json_t *v = l->ignored ? json_string(l->ignored) : json_sprintf("line %d", l->lineno);
		bool seen = false;
		size_t k;
		json_t *e;
		json_array_foreach(out, k, e)
			seen = seen || json_equal(e, v);
		if (seen)
			json_decref(v);
		else
			json_array_append_new(out, v);
	}
	return out;
}
