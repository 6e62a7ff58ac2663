/* fuzz_extra_parse: render_extra_parse (the filter of the user's free text, render/common.c)
 * on the input as text, in both dialects with their reserved keys.
 *
 * Every surviving line: a key of the dialect's form, not reserved, set once, its value one
 * clean line (in PostgreSQL's dialect one value token of its configuration lexer); comments
 * are one line starting with the dialect's comment character; what render_extra_emit writes
 * reads back line by line as blank, comment or `key = value` (odoo_line, pg_line). */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "lib/util.h"

static void one(const char *text, enum render_dialect d)
{
	bool pg = d == RENDER_POSTGRESQL_CONF;
	const char *const *reserved = pg ? FUZZ_PG_RESERVED : FUZZ_ODOO_RESERVED;
	struct render_extra x;
	render_extra_parse(&x, d, text, reserved);
	size_t lines = 1;
	for (const char *p = text; *p; p++)
		lines += *p == '\n';
	FUZZ_CHECK(x.n <= lines, "%zu lines parsed from %zu", x.n, lines);
	int last = 0;
	for (size_t i = 0; i < x.n; i++) {
		const struct render_extra_line *l = &x.lines[i];
		FUZZ_CHECK(l->lineno > last && (size_t)l->lineno <= lines, "line numbers out of order");
		last = l->lineno;
		switch (l->kind) {
		case RX_BLANK:
			break;
		case RX_COMMENT:
			FUZZ_CHECK(l->text && fuzz_text_clean(l->text, false, false) &&
					   (l->text[0] == '#' || (!pg && l->text[0] == ';')),
				   "comment on line %d is not one clean line: [%s]", l->lineno,
				   l->text ? l->text : "(null)");
			break;
		case RX_DROPPED:
			FUZZ_CHECK(l->text && fuzz_text_clean(l->text, false, false),
				   "a note on a dropped line is not one clean line");
			break;
		case RX_KV: {
			char *k, *v, *line = xasprintf("%s = %s", l->key, l->value);
			int kind = pg ? pg_line(line, &k, &v) : odoo_line(line, &k, &v);
			FUZZ_CHECK(kind == 'k' && strcmp(k, l->key) == 0 && strcmp(v, l->value) == 0,
				   "line %d does not read back as key [%s] value [%s]", l->lineno, l->key,
				   l->value);
			FUZZ_CHECK(!fuzz_reserved(l->key, reserved), "reserved key %s survived", l->key);
			FUZZ_CHECK(render_extra_has(&x, l->key), "render_extra_has(%s) is false", l->key);
			for (size_t j = i + 1; j < x.n; j++)
				FUZZ_CHECK(x.lines[j].kind != RX_KV || strcmp(x.lines[j].key, l->key) != 0,
					   "key %s survives twice", l->key);
			free(k);
			free(v);
			free(line);
			break;
		}
		default:
			fuzz_fail("line %d has kind %d", l->lineno, (int)l->kind);
		}
	}
	struct sbuf sb = SBUF_INIT;
	render_extra_emit(&x, &sb, "Title");
	const char *out = sbuf_str(&sb);
	for (const char *p = out; *p;) {
		const char *nl = strchr(p, '\n');
		FUZZ_CHECK(nl, "emitted text does not end with a newline");
		char *l = xstrndup(p, (size_t)(nl - p)), *k, *v;
		int kind = pg ? pg_line(l, &k, &v) : odoo_line(l, &k, &v);
		FUZZ_CHECK(kind && kind != 's', "emitted line [%s] is not blank, comment or key = value",
			   l);
		free(k);
		free(v);
		free(l);
		p = nl + 1;
	}
	sbuf_release(&sb);
	render_extra_release(&x);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size);
	one(text, RENDER_ODOO_CONF);
	one(text, RENDER_POSTGRESQL_CONF);
	long long w = render_odoo_extra_int(text, "workers", 7);
	FUZZ_CHECK(w == 7 || (w >= 0 && w <= 1000000), "render_odoo_extra_int: %lld", w);
	free(text);
	return 0;
}
