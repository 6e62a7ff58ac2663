#include "lib/jsonout.h"

#include <stdio.h>
#include <string.h>

/* One byte, without sbuf_addc's call when there is room. */
static inline void put(struct sbuf *sb, char c)
{
	if (sb->len + 1 >= sb->cap)
		sbuf_grow(sb, 64);
	sb->buf[sb->len++] = c;
	sb->buf[sb->len] = '\0';
}

static void out_string(struct sbuf *sb, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	sbuf_grow(sb, n + 2);
	put(sb, '"');
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		sbuf_add(sb, s + run, i - run);
		run = i + 1;
		char esc[7] = {'\\', 0};
		size_t len = 2;
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default:
			esc[1] = 'u';
			esc[2] = '0';
			esc[3] = '0';
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			len = 6;
		}
		sbuf_add(sb, esc, len);
	}
	sbuf_add(sb, s + run, n - run);
	put(sb, '"');
}

/* As jansson's jsonp_dtostr with precision 12: %.12g, ".0" when it would read as an integer,
 * no '+' or leading zeros in the exponent. */
static void out_real(struct sbuf *sb, double d)
{
	char buf[64];
	int n = snprintf(buf, sizeof buf, "%.12g", d);
	if (n < 0 || (size_t)n >= sizeof buf - 3)
		return;
	size_t len = (size_t)n;
	char *dot = strchr(buf, ',');
	if (dot)
		*dot = '.'; /* a locale's decimal comma */
	if (!strchr(buf, '.') && !strchr(buf, 'e')) {
		buf[len++] = '.';
		buf[len++] = '0';
		buf[len] = '\0';
	}
	char *e = strchr(buf, 'e');
	if (e) {
		char *start = e + 1, *end = e + 2;
		if (*start == '-')
			start++;
		while (*end == '0')
			end++;
		if (end != start) {
			memmove(start, end, len - (size_t)(end - buf) + 1);
			len -= (size_t)(end - start);
		}
	}
	sbuf_add(sb, buf, len);
}

static void out_int(struct sbuf *sb, json_int_t v)
{
	char buf[24];
	char *p = buf + sizeof buf;
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	sbuf_add(sb, p, (size_t)(buf + sizeof buf - p));
}

void json_out(struct sbuf *sb, const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		put(sb, '{');
		const char *key;
		size_t klen;
		json_t *val;
		bool first = true;
		json_object_keylen_foreach((json_t *)v, key, klen, val) {
			if (!first)
				put(sb, ',');
			first = false;
			out_string(sb, key, klen);
			put(sb, ':');
			json_out(sb, val);
		}
		put(sb, '}');
		break;
	}
	case JSON_ARRAY: {
		put(sb, '[');
		size_t n = json_array_size(v);
		for (size_t i = 0; i < n; i++) {
			if (i)
				put(sb, ',');
			json_out(sb, json_array_get(v, i));
		}
		put(sb, ']');
		break;
	}
	case JSON_STRING:
		out_string(sb, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		out_int(sb, json_integer_value(v));
		break;
	case JSON_REAL:
		out_real(sb, json_real_value(v));
		break;
	case JSON_TRUE:
		sbuf_add(sb, "true", 4);
		break;
	case JSON_FALSE:
		sbuf_add(sb, "false", 5);
		break;
	case JSON_NULL:
		sbuf_add(sb, "null", 4);
		break;
	}
}
