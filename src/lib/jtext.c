/* jtext.c: JSON text as jansson writes it (see jtext.h; jansson's dump.c and strconv.c). */
#include "lib/jtext.h"

#include <stdio.h>
#include <string.h>

/* Length of the UTF-8 sequence at p, or 0 when jansson's utf8_check_* would refuse it. */
static size_t utf8_len(const unsigned char *p)
{
	unsigned c = p[0];
	size_t n;
	unsigned cp;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80) /* also stops at the NUL */
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || (n == 3 && cp < 0x800) ||
	    (n == 4 && cp < 0x10000))
		return 0;
	return n;
}

bool jtext_utf8_ok(const char *s)
{
	if (!s)
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		size_t n = utf8_len(p);
		if (!n)
			return false;
		p += n;
	}
	return true;
}

static void strn(struct sbuf *out, const char *s, size_t n)
{
	sbuf_addc(out, '"');
	const char *run = s, *end = s + n;
	for (const char *p = s; p < end; p++) {
		unsigned char c = (unsigned char)*p;
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		sbuf_add(out, run, (size_t)(p - run));
		run = p + 1;
		switch (c) {
		case '"': sbuf_adds(out, "\\\""); break;
		case '\\': sbuf_adds(out, "\\\\"); break;
		case '\b': sbuf_adds(out, "\\b"); break;
		case '\f': sbuf_adds(out, "\\f"); break;
		case '\n': sbuf_adds(out, "\\n"); break;
		case '\r': sbuf_adds(out, "\\r"); break;
		case '\t': sbuf_adds(out, "\\t"); break;
		default: sbuf_addf(out, "\\u%04X", c); break;
		}
	}
	sbuf_add(out, run, (size_t)(end - run));
	sbuf_addc(out, '"');
}

void jtext_str(struct sbuf *out, const char *s)
{
	strn(out, s, strlen(s));
}

void jtext_int(struct sbuf *out, long long v)
{
	char b[24], *p = b + sizeof b;
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	do
		*--p = (char)('0' + u % 10);
	while (u /= 10);
	if (v < 0)
		*--p = '-';
	sbuf_add(out, p, (size_t)(b + sizeof b - p));
}

void jtext_real(struct sbuf *out, double v)
{
	char b[64];
	int n = snprintf(b, sizeof b, "%.*g", JTEXT_PRECISION, v);
	if (n < 0 || (size_t)n >= sizeof b - 3)
		return;
	size_t len = (size_t)n;
	if (!strchr(b, '.') && !strchr(b, 'e')) {
		b[len++] = '.';
		b[len++] = '0';
		b[len] = '\0';
	}
	/* the exponent without '+' and leading zeros (jsonp_dtostr) */
	char *start = strchr(b, 'e');
	if (start) {
		start++;
		char *end = start + 1;
		if (*start == '-')
			start++;
		while (*end == '0')
			end++;
		if (end != start) {
			memmove(start, end, len - (size_t)(end - b) + 1);
			len -= (size_t)(end - start);
		}
	}
	sbuf_add(out, b, len);
}

void jtext_value(struct sbuf *out, const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_NULL: sbuf_adds(out, "null"); break;
	case JSON_TRUE: sbuf_adds(out, "true"); break;
	case JSON_FALSE: sbuf_adds(out, "false"); break;
	case JSON_INTEGER: jtext_int(out, (long long)json_integer_value(v)); break;
	case JSON_REAL: jtext_real(out, json_real_value(v)); break;
	case JSON_STRING: /* may hold a NUL (json_stringn): \u0000, as jansson writes it */
		strn(out, json_string_value(v), json_string_length(v));
		break;
	case JSON_ARRAY: {
		sbuf_addc(out, '[');
		size_t i;
		json_t *e;
		json_array_foreach((json_t *)v, i, e) {
			if (i)
				sbuf_addc(out, ',');
			jtext_value(out, e);
		}
		sbuf_addc(out, ']');
		break;
	}
	case JSON_OBJECT: {
		sbuf_addc(out, '{');
		bool first = true;
		const char *k;
		json_t *e;
		json_object_foreach((json_t *)v, k, e) {
			if (!first)
				sbuf_addc(out, ',');
			first = false;
			jtext_str(out, k);
			sbuf_addc(out, ':');
			jtext_value(out, e);
		}
		sbuf_addc(out, '}');
		break;
	}
	}
}
