/* common.c: the input format and the structural checks shared by the fuzz targets
 * (fuzz.h). */
#include "fuzz.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"
#include "lib/valid.h"

void fuzz_fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("\n*** berth fuzz check failed: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputs("\n", stderr);
	va_end(ap);
	abort();
}

/* ---- input ---- */

void fuzz_fields_split(struct fuzz_fields *f, const uint8_t *data, size_t size)
{
	f->buf = xmalloc(size + 1);
	if (size)
		memcpy(f->buf, data, size);
	f->buf[size] = '\0';
	size_t n = 1;
	for (size_t i = 0; i < size; i++)
		n += f->buf[i] == '\0';
	f->v = xcalloc(n, sizeof *f->v);
	f->n = 0;
	if (!size)
		return;
	const char *p = f->buf;
	for (size_t i = 0; i <= size; i++) {
		if (f->buf[i] == '\0') {
			f->v[f->n++] = p;
			p = f->buf + i + 1;
		}
	}
}

void fuzz_fields_release(struct fuzz_fields *f)
{
	free(f->buf);
	free(f->v);
	memset(f, 0, sizeof *f);
}

bool fuzz_field_given(const struct fuzz_fields *f, size_t i)
{
	return i < f->n;
}

const char *fuzz_field_str(const struct fuzz_fields *f, size_t i, const char *dflt)
{
	if (i >= f->n)
		return dflt;
	return strcmp(f->v[i], FUZZ_NULL) == 0 ? NULL : f->v[i];
}

long long fuzz_field_int(const struct fuzz_fields *f, size_t i, long long dflt)
{
	if (i >= f->n || !*f->v[i])
		return dflt;
	char *end;
	long long v = strtoll(f->v[i], &end, 10);
	if (*end)
		return dflt;
	if (v > 0x7fffffffLL)
		v = 0x7fffffffLL;
	if (v < -0x7fffffffLL)
		v = -0x7fffffffLL;
	return v;
}

long fuzz_field_list(struct fuzz_fields *f, size_t i, const char **out, size_t max)
{
	if (i >= f->n)
		return -1;
	char *p = (char *)f->v[i];
	if (!*p)
		return 0;
	size_t n = 0;
	while (n < max) {
		char *sep = strchr(p, FUZZ_ITEM_SEP);
		if (sep)
			*sep = '\0';
		out[n++] = strcmp(p, FUZZ_NULL) == 0 ? NULL : p;
		if (!sep)
			break;
		p = sep + 1;
	}
	return (long)n;
}

char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = xmalloc(size + 1);
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* ---- text ---- */

bool fuzz_text_clean(const char *s, bool newlines, bool tabs)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		unsigned c = *p;
		if (c < 0x80) {
			if ((c < 0x20 && !(newlines && c == '\n') && !(tabs && c == '\t')) || c == 0x7f)
				return false;
			p++;
			continue;
		}
		int n;
		unsigned cp;
		if (c >= 0xc2 && c <= 0xdf)
			n = 1, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3, cp = c & 0x07;
		else
			return false;
		for (int i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp <= 0x9f || cp == 0x2028 || cp == 0x2029)
			return false;
		p += n + 1;
	}
	return true;
}

bool fuzz_has_ctl(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return true;
	return false;
}

/* ---- nginx ---- */

static bool ngx_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* room for one more of n items: doubles at powers of two */
static void *grow(void *p, size_t n, size_t size)
{
	if (n == 0 || (n & (n - 1)) == 0)
		p = xrealloc(p, (n ? 2 * n : 16) * size);
	return p;
}

static void push_tok(struct ngx_conf *c, size_t start, size_t end, char quote)
{
	c->tok = grow(c->tok, c->ntok, sizeof *c->tok);
	c->tok[c->ntok++] = (struct ngx_tok){start, end, quote};
}

static void push_st(struct ngx_conf *c, size_t first, char term, int depth)
{
	c->st = grow(c->st, c->nst, sizeof *c->st);
	c->st[c->nst++] = (struct ngx_stmt){first, c->ntok - first, term, depth};
}

static size_t line_of(const char *t, size_t pos)
{
	size_t line = 1;
	for (size_t i = 0; i < pos && t[i]; i++)
		line += t[i] == '\n';
	return line;
}

#define NGX_ERR(...)                                                      \
	do {                                                              \
		snprintf(c->err, sizeof c->err, __VA_ARGS__);             \
		return -1;                                                \
	} while (0)

int ngx_parse(const char *t, struct ngx_conf *c)
{
	memset(c, 0, sizeof *c);
	size_t n = strlen(t), i = 0;
	int depth = 0;
	for (;;) { /* one statement */
		size_t first = c->ntok, start = 0;
		bool last_space = true, need_space = false, quoted = false, dq = false, sq = false,
		     sharp = false, variable = false;
		for (;;) {
			if (i >= n) {
				if (c->ntok > first || !last_space)
					NGX_ERR("unexpected end of file, expecting \";\" or \"}\"");
				if (depth)
					NGX_ERR("unexpected end of file, expecting \"}\"");
				return 0;
			}
			char ch = t[i++];
			if (ch == '\n')
				sharp = false;
			if (sharp)
				continue;
			if (quoted) {
				quoted = false;
				continue;
			}
			if (need_space) {
				if (ngx_space(ch)) {
					last_space = true;
					need_space = false;
					continue;
				}
				if (ch == ';') {
					push_st(c, first, ';', depth);
					break;
				}
				if (ch == '{') {
					push_st(c, first, '{', depth++);
					break;
				}
				if (ch == ')') {
					last_space = true;
					need_space = false;
				} else {
					NGX_ERR("line %zu: unexpected \"%c\"", line_of(t, i - 1), ch);
				}
			}
			if (last_space) {
				start = i - 1;
				if (ngx_space(ch))
					continue;
				if (ch == ';' || ch == '{') {
					if (c->ntok == first)
						NGX_ERR("line %zu: unexpected \"%c\"", line_of(t, i - 1), ch);
					push_st(c, first, ch, depth);
					if (ch == '{')
						depth++;
					break;
				}
				if (ch == '}') {
					if (c->ntok != first)
						NGX_ERR("line %zu: unexpected \"}\"", line_of(t, i - 1));
					if (depth == 0)
						NGX_ERR("line %zu: \"}\" closes no block", line_of(t, i - 1));
					push_st(c, first, '}', --depth);
					break;
				}
				last_space = false;
				if (ch == '#') {
					sharp = true;
					last_space = true;
				} else if (ch == '\\') {
					quoted = true;
				} else if (ch == '"') {
					dq = true;
				} else if (ch == '\'') {
					sq = true;
				} else if (ch == '$') {
					variable = true;
				}
				continue;
			}
			if (ch == '{' && variable)
				continue;
			variable = false;
			if (ch == '\\') {
				quoted = true;
				continue;
			}
			if (ch == '$') {
				variable = true;
				continue;
			}
			bool found = false;
			char q = 0;
			if (dq) {
				if (ch == '"') {
					dq = false;
					need_space = true;
					found = true;
					q = '"';
				}
			} else if (sq) {
				if (ch == '\'') {
					sq = false;
					need_space = true;
					found = true;
					q = '\'';
				}
			} else if (ngx_space(ch) || ch == ';' || ch == '{') {
				last_space = true;
				found = true;
			}
			if (found) {
				push_tok(c, start, q ? i : i - 1, q);
				if (ch == ';') {
					push_st(c, first, ';', depth);
					break;
				}
				if (ch == '{') {
					push_st(c, first, '{', depth++);
					break;
				}
			}
		}
	}
}

void ngx_conf_release(struct ngx_conf *c)
{
	free(c->tok);
	free(c->st);
	memset(c, 0, sizeof *c);
}

bool ngx_value_special(const char *v)
{
	return strpbrk(v, " \t\r\n;{}#'\"\\$") || fuzz_has_ctl(v);
}

/* is the line (without its newline) one of baseline's lines */
static bool in_baseline(const char *baseline, const char *line, size_t len)
{
	if (!baseline)
		return false;
	for (const char *p = baseline; *p;) {
		const char *nl = strchr(p, '\n');
		size_t l = nl ? (size_t)(nl - p) : strlen(p);
		if (l == len && memcmp(p, line, len) == 0)
			return true;
		if (!nl)
			break;
		p = nl + 1;
	}
	return false;
}

/* is the line holding text[pos] one of baseline's lines */
static bool line_in_baseline(const char *text, size_t pos, const char *baseline)
{
	size_t a = pos, b = pos;
	while (a > 0 && text[a - 1] != '\n')
		a--;
	while (text[b] && text[b] != '\n')
		b++;
	return in_baseline(baseline, text + a, b - a);
}

void ngx_check(const char *text, const char *baseline, const char *what)
{
	/* nginx reads bytes: other bytes than UTF-8 are its business, control characters not */
	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		FUZZ_CHECK((*p >= 0x20 && *p != 0x7f) || *p == '\n' || *p == '\t',
			   "%s: control character 0x%02x in:\n%s", what, *p, text);
	struct ngx_conf c;
	if (ngx_parse(text, &c) < 0)
		fuzz_fail("%s: nginx would not read it: %s\n%s", what, c.err, text);
	for (size_t i = 0; i < c.ntok; i++) {
		const struct ngx_tok *k = &c.tok[i];
		for (size_t j = k->start; j < k->end; j++) {
			unsigned char ch = (unsigned char)text[j];
			FUZZ_CHECK(ch >= 0x20 && ch != 0x7f, "%s: a token holds a control character"
				   " (line %zu):\n%s", what, line_of(text, j), text);
			if (k->quote && ch == '\\' && baseline && !line_in_baseline(text, j, baseline)) {
				char e = text[j + 1];
				FUZZ_CHECK(e == '\\' || e == '"' || e == '\'',
					   "%s: escape \\%c in a quoted token (line %zu):\n%s", what, e,
					   line_of(text, j), text);
				j++;
			}
		}
	}
	ngx_conf_release(&c);
	size_t lineno = 0;
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		lineno++;
		if (baseline && !in_baseline(baseline, p, len)) {
			size_t a = 0, b = len;
			while (a < b && (p[a] == ' ' || p[a] == '\t'))
				a++;
			while (b > a && (p[b - 1] == ' ' || p[b - 1] == '\t'))
				b--;
			FUZZ_CHECK(a == b || p[a] == '#' || strchr(";{}", p[b - 1]),
				   "%s: line %zu neither ends a directive nor is a comment: %.*s\n%s", what,
				   lineno, (int)len, p, text);
		}
		if (!nl)
			break;
		p = nl + 1;
	}
}

static bool ident(const char *s, size_t n)
{
	if (!n || !((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

void ngx_check_same_shape(const char *got, const char *ref, const char *value)
{
	struct ngx_conf a, b;
	if (ngx_parse(got, &a) < 0)
		fuzz_fail("nginx would not read the site with value [%s]: %s\n%s", value, a.err, got);
	if (ngx_parse(ref, &b) < 0)
		fuzz_fail("nginx would not read the reference site: %s\n%s", b.err, ref);
	FUZZ_CHECK(a.nst == b.nst, "the value [%s] changed the number of directives (%zu, not %zu):"
		   "\n%s\n--- with a safe value:\n%s", value, a.nst, b.nst, got, ref);
	for (size_t i = 0; i < a.nst; i++) {
		const struct ngx_stmt *x = &a.st[i], *y = &b.st[i];
		FUZZ_CHECK(x->term == y->term && x->depth == y->depth && x->ntok == y->ntok,
			   "the value [%s] changed directive %zu (%zu tokens ending '%c', not %zu ending"
			   " '%c'):\n%s\n--- with a safe value:\n%s", value, i, x->ntok, x->term, y->ntok,
			   y->term, got, ref);
		if (!y->ntok)
			continue;
		const struct ngx_tok *tx = &a.tok[x->tok], *ty = &b.tok[y->tok];
		size_t ly = ty->end - ty->start;
		if (!ty->quote && ident(ref + ty->start, ly))
			FUZZ_CHECK(tx->end - tx->start == ly && memcmp(got + tx->start, ref + ty->start, ly) == 0,
				   "the value [%s] changed directive %zu's name (%.*s):\n%s", value, i,
				   (int)ly, ref + ty->start, got);
	}
	ngx_conf_release(&a);
	ngx_conf_release(&b);
}

/* ---- odoo.conf, postgresql.conf ---- */

const char *const FUZZ_ODOO_RESERVED[] = {
	"admin_passwd", "data_dir", "*_port", "db_host", "db_port", "db_user", "db_password",
	"db_name", "dbfilter", "list_db", "addons_path", "proxy_mode", "http_interface",
	"db_replica_host", "logfile", "syslog", NULL,
};
const char *const FUZZ_PG_RESERVED[] = {
	"listen_addresses", "port", "data_directory", "hba_file", "ident_file", "config_file",
	"unix_socket_directories", "include*",
	"archive_command", "shared_preload_libraries", /* issue 13: "handled by berth" */
	NULL,
};

bool fuzz_reserved(const char *key, const char *const *reserved)
{
	size_t kn = strlen(key);
	for (; *reserved; reserved++) {
		const char *r = *reserved;
		size_t rn = strlen(r);
		if (r[0] == '*') {
			if (kn >= rn - 1 && strcmp(key + kn - (rn - 1), r + 1) == 0)
				return true;
		} else if (r[rn - 1] == '*') {
			if (strncmp(key, r, rn - 1) == 0)
				return true;
		} else if (strcmp(key, r) == 0) {
			return true;
		}
	}
	return false;
}

static bool key_ok(const char *k, size_t n, bool dotted)
{
	if (!n)
		return false;
	const char *dot = dotted ? memchr(k, '.', n) : NULL;
	if (dot)
		return ident(k, (size_t)(dot - k)) && ident(dot + 1, n - (size_t)(dot - k) - 1);
	return ident(k, n);
}

/* `key = value`: key up to " = ", value the rest */
static int split_kv(const char *line, bool dotted, char **key, char **value)
{
	const char *eq = strstr(line, " = ");
	if (!eq || !key_ok(line, (size_t)(eq - line), dotted))
		return 0;
	*key = xstrndup(line, (size_t)(eq - line));
	*value = xstrdup(eq + 3);
	return 'k';
}

int odoo_line(const char *line, char **key, char **value)
{
	*key = *value = NULL;
	if (!*line)
		return 'b';
	if (!fuzz_text_clean(line, false, false))
		return 0;
	if (line[0] == ';' || line[0] == '#')
		return 'c';
	if (strcmp(line, "[options]") == 0)
		return 's';
	/* configparser's key is what comes before the first '=' or ':' (a key has neither) */
	if (split_kv(line, false, key, value) != 'k')
		return 0;
	return 'k';
}

static bool digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool letter(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

bool pg_value_token(const char *v)
{
	size_t i = 0;
	if (v[0] == '\'') { /* STRING \'([^'\\\n]|\\.|\'\')*\' */
		i = 1;
		for (;;) {
			if (!v[i] || v[i] == '\n')
				return false;
			if (v[i] == '\\') {
				if (!v[i + 1] || v[i + 1] == '\n')
					return false;
				i += 2;
			} else if (v[i] == '\'') {
				if (v[i + 1] == '\'') {
					i += 2;
				} else {
					i++;
					break;
				}
			} else {
				i++;
			}
		}
		return v[i] == '\0';
	}
	if (letter((unsigned char)v[0])) { /* UNQUOTED_STRING {LETTER}({LETTER_OR_DIGIT}|[-._:/])* */
		for (i = 1; v[i]; i++)
			if (!letter((unsigned char)v[i]) && !digit(v[i]) && !strchr("-._:/", v[i]))
				return false;
		return true;
	}
	if (v[i] == '+' || v[i] == '-')
		i++;
	size_t d0 = i;
	if (v[i] == '0' && v[i + 1] == 'x') { /* INTEGER, hexadecimal (else "0" with a unit) */
		size_t j = i + 2, h0 = j;
		while (digit(v[j]) || (v[j] >= 'a' && v[j] <= 'f') || (v[j] >= 'A' && v[j] <= 'F'))
			j++;
		while (j > h0 && ((v[j] >= 'a' && v[j] <= 'z') || (v[j] >= 'A' && v[j] <= 'Z')))
			j++;
		if (j > h0 && !v[j])
			return true;
	}
	while (digit(v[i]))
		i++;
	size_t nd = i - d0;
	if (v[i] == '.') { /* REAL */
		i++;
		size_t f0 = i;
		while (digit(v[i]))
			i++;
		if (!nd && i == f0)
			return false;
		if (v[i] == 'e' || v[i] == 'E') {
			i++;
			if (v[i] == '+' || v[i] == '-')
				i++;
			size_t e0 = i;
			while (digit(v[i]))
				i++;
			if (i == e0)
				return false;
		}
		return !v[i];
	}
	if (!nd)
		return false;
	while ((v[i] >= 'a' && v[i] <= 'z') || (v[i] >= 'A' && v[i] <= 'Z')) /* unit */
		i++;
	return !v[i];
}

int pg_line(const char *line, char **key, char **value)
{
	*key = *value = NULL;
	if (!*line)
		return 'b';
	if (!fuzz_text_clean(line, false, false))
		return 0;
	if (line[0] == '#')
		return 'c';
	if (split_kv(line, true, key, value) != 'k')
		return 0;
	if (!pg_value_token(*value)) {
		free(*key);
		free(*value);
		*key = *value = NULL;
		return 0;
	}
	return 'k';
}

char **fuzz_user_keys(const char *text, bool dotted)
{
	size_t n = 0;
	char **keys = xcalloc(1, sizeof *keys);
	for (const char *p = text ? text : ""; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		size_t a = 0;
		while (a < len && (p[a] == ' ' || p[a] == '\t'))
			a++;
		size_t k = a;
		while (k < len && p[k] != '=')
			k++;
		size_t e = k;
		while (e > a && (p[e - 1] == ' ' || p[e - 1] == '\t'))
			e--;
		if (k < len && key_ok(p + a, e - a, dotted)) {
			keys = xrealloc(keys, (n + 2) * sizeof *keys);
			keys[n++] = xstrndup(p + a, e - a);
			keys[n] = NULL;
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	return keys;
}

bool fuzz_key_in(char **keys, const char *key)
{
	for (; *keys; keys++)
		if (strcmp(*keys, key) == 0)
			return true;
	return false;
}

void fuzz_keys_free(char **keys)
{
	for (char **k = keys; *k; k++)
		free(*k);
	free(keys);
}

/* ---- the site ---- */

static const struct {
	char kind; /* 's' string, 'i' int, 'l' list */
	const char *dflt; /* when the field is absent (lists: NULL: empty, else one item) */
	const char *safe; /* berth's own value for the field (lists: an item) */
} SF[SF_COUNT] = {
	[SF_FLAGS] = {'i', "0", "0"},
	[SF_ENV_ID] = {'s', "e1", "e1"},
	[SF_NAMES] = {'l', "erp.example.com", "erp.example.com"},
	[SF_ODOO_HOST] = {'s', "berth-e1-odoo", "berth-e1-odoo"},
	[SF_HTTP_PORT] = {'i', "8069", "8069"},
	[SF_GEVENT_PORT] = {'i', "8072", "8072"},
	[SF_MAX_UPLOAD] = {'s', "100M", "100M"},
	[SF_READ_TIMEOUT] = {'i', "300", "300"},
	[SF_CONNECT_TIMEOUT] = {'i', "30", "30"},
	[SF_KEEPALIVE] = {'i', "65", "65"},
	[SF_SEND_TIMEOUT] = {'i', "60", "60"},
	[SF_XFRAME] = {'s', "SAMEORIGIN", "SAMEORIGIN"},
	[SF_CERTS] = {'l', NULL, "/etc/berth/certs/erp.example.com/fullchain.pem"},
	[SF_KEYS] = {'l', NULL, "/etc/berth/certs/erp.example.com/privkey.pem"},
	[SF_REAL_IP] = {'l', "173.245.48.0/20", "173.245.48.0/20"},
	[SF_CORS] = {'l', NULL, "https://shop.example.com"},
	[SF_ALLOW] = {'l', NULL, "192.0.2.0/24"},
	[SF_DENY] = {'l', NULL, "203.0.113.7"},
	[SF_RATE_LOGIN] = {'s', "5r/m", "5r/m"},
	[SF_RATE_GENERAL] = {'s', "60r/s", "60r/s"},
	[SF_CSP] = {'s', NULL, "default-src 'self'"},
};

bool site_field_is_list(int i)
{
	return SF[i].kind == 'l';
}

bool site_field_is_int(int i)
{
	return SF[i].kind == 'i';
}

const char *site_field_safe(int i)
{
	return SF[i].safe;
}

void site_decode(struct site_rep *r, const uint8_t *data, size_t size)
{
	memset(r, 0, sizeof *r);
	fuzz_fields_split(&r->f, data, size);
	for (int i = 0; i < SF_COUNT; i++) {
		switch (SF[i].kind) {
		case 'i':
			r->num[i] = fuzz_field_int(&r->f, (size_t)i, strtoll(SF[i].dflt, NULL, 10));
			break;
		case 's':
			r->str[i] = fuzz_field_str(&r->f, (size_t)i, SF[i].dflt);
			/* NULL where the contract has it: env_id (unnamed), csp (no header) */
			if (!r->str[i] && fuzz_field_given(&r->f, (size_t)i) && i != SF_ENV_ID &&
			    i != SF_CSP)
				r->str[i] = FUZZ_NULL;
			break;
		default:
			r->items[i] = xcalloc(SITE_MAX_ITEMS, sizeof *r->items[i]);
			long n = fuzz_field_list(&r->f, (size_t)i, r->items[i], SITE_MAX_ITEMS);
			r->list_given[i] = n >= 0;
			/* NULL items only where the contract has them (a domain without a certificate) */
			for (long k = 0; k < n; k++)
				if (!r->items[i][k] && i != SF_CERTS && i != SF_KEYS)
					r->items[i][k] = FUZZ_NULL;
			if (n < 0) {
				n = SF[i].dflt ? 1 : 0;
				r->items[i][0] = SF[i].dflt;
			}
			r->nitems[i] = (size_t)n;
		}
	}
	r->flags = r->num[SF_FLAGS];
}

void site_rep_release(struct site_rep *r)
{
	for (int i = 0; i < SF_COUNT; i++)
		free(r->items[i]);
	fuzz_fields_release(&r->f);
	memset(r, 0, sizeof *r);
}

void site_build(const struct site_rep *r, struct render_site *s, struct site_store *st)
{
	memset(s, 0, sizeof *s);
	s->env_id = r->str[SF_ENV_ID];
	s->server_names = r->items[SF_NAMES];
	s->n_server_names = r->nitems[SF_NAMES];
	s->odoo_host = r->str[SF_ODOO_HOST];
	s->http_port = (int)r->num[SF_HTTP_PORT];
	s->gevent_port = (int)r->num[SF_GEVENT_PORT];
	s->websocket_on_gevent = r->flags & SITE_WEBSOCKET_GEVENT;
	s->max_upload = r->str[SF_MAX_UPLOAD];
	s->proxy_read_timeout_s = (int)r->num[SF_READ_TIMEOUT];
	s->proxy_connect_timeout_s = (int)r->num[SF_CONNECT_TIMEOUT];
	s->keepalive_timeout_s = (int)r->num[SF_KEEPALIVE];
	s->send_timeout_s = (int)r->num[SF_SEND_TIMEOUT];
	s->x_frame_options = r->str[SF_XFRAME];
	if (r->flags & SITE_TLS) {
		/* one entry per name: the items given (missing ones NULL), else berth's paths */
		for (size_t i = 0; i < s->n_server_names && i < SITE_MAX_ITEMS; i++) {
			st->certs[i] = r->list_given[SF_CERTS]
					       ? (i < r->nitems[SF_CERTS] ? r->items[SF_CERTS][i] : NULL)
					       : SF[SF_CERTS].safe;
			st->keys[i] = r->list_given[SF_KEYS]
					      ? (i < r->nitems[SF_KEYS] ? r->items[SF_KEYS][i] : NULL)
					      : SF[SF_KEYS].safe;
		}
		s->cert_paths = st->certs;
		s->key_paths = st->keys;
	}
	s->hsts = r->flags & SITE_HSTS;
	s->cloudflare = r->flags & SITE_CLOUDFLARE;
	s->real_ip_from = r->items[SF_REAL_IP];
	s->n_real_ip_from = r->nitems[SF_REAL_IP];
	s->cors_origins = r->items[SF_CORS];
	s->n_cors_origins = r->nitems[SF_CORS];
	s->ip_allow = r->items[SF_ALLOW];
	s->n_ip_allow = r->nitems[SF_ALLOW];
	s->ip_deny = r->items[SF_DENY];
	s->n_ip_deny = r->nitems[SF_DENY];
	s->rate_limit = r->flags & SITE_RATE_LIMIT;
	if (r->flags & SITE_IDE) {
		s->ide_host = r->str[SF_ODOO_HOST];
		s->ide_port = 8080;
	}
	s->rate_login = r->str[SF_RATE_LOGIN];
	s->rate_general = r->str[SF_RATE_GENERAL];
	s->csp = r->str[SF_CSP];
}

char *site_render(const struct site_rep *r, struct berr *err)
{
	struct site_store st;
	struct render_site s;
	site_build(r, &s, &st);
	return render_nginx_site(&s, err);
}

static size_t count_char(const char *s, char c)
{
	size_t n = 0;
	for (; *s; s++)
		n += *s == c;
	return n;
}

/* r with a safe value where v was: the same directives, no fewer '$' */
static void shadow_check(const char *out, const char *v, const struct site_rep *r)
{
	struct berr err = {0};
	char *ref = site_render(r, &err);
	if (!ref)
		return; /* the safe value does not fit with the others: nothing to compare */
	ngx_check_same_shape(out, ref, v);
	FUZZ_CHECK(count_char(out, '$') <= count_char(ref, '$'),
		   "the value [%s] put a '$' (an nginx variable) in the site:\n%s", v, out);
	free(ref);
}

void site_check_rendered(struct site_rep *r, const char *out)
{
	/* berth's defaults with the same flags: the lines every such site has (kept: the flags
	 * that matter have 32 values) */
	static char *bases[SITE_FLAGS_ALL + 1];
	long long fl = r->flags & SITE_FLAGS_ALL;
	if (!bases[fl]) {
		char flags[32];
		int n = snprintf(flags, sizeof flags, "%lld", fl);
		struct site_rep b;
		site_decode(&b, (const uint8_t *)flags, (size_t)n);
		struct berr err = {0};
		bases[fl] = site_render(&b, &err);
		FUZZ_CHECK(bases[fl], "the default site with flags %lld is refused: %s", fl, err.message);
		ngx_check(bases[fl], NULL, "default site");
		site_rep_release(&b);
	}
	const char *base = bases[fl];
	ngx_check(out, base, "site");
	int shadows = 0;
	for (int i = 0; i < SF_COUNT && shadows < 16; i++) {
		if (site_field_is_int(i))
			continue;
		if (!site_field_is_list(i)) {
			const char *v = r->str[i];
			if (!v || !ngx_value_special(v))
				continue;
			r->str[i] = site_field_safe(i);
			shadow_check(out, v, r);
			r->str[i] = v;
			shadows++;
			continue;
		}
		for (size_t k = 0; k < r->nitems[i] && shadows < 16; k++) {
			const char *v = r->items[i][k];
			if (!v || !ngx_value_special(v))
				continue;
			r->items[i][k] = site_field_safe(i);
			shadow_check(out, v, r);
			r->items[i][k] = v;
			shadows++;
		}
	}
}

/* ---- odoo.conf, postgresql.conf: whole files ---- */

static unsigned cp_at(const unsigned char *p, size_t *len)
{
	if (p[0] < 0x80 || p[0] < 0xc2 || p[0] > 0xf4) {
		*len = 1;
		return p[0];
	}
	int n = p[0] >= 0xf0 ? 3 : p[0] >= 0xe0 ? 2 : 1;
	unsigned cp = p[0] & (0x3f >> n);
	for (int i = 1; i <= n; i++) {
		if ((p[i] & 0xc0) != 0x80) {
			*len = 1;
			return p[0];
		}
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	*len = (size_t)n + 1;
	return cp;
}

static bool py_space(unsigned cp)
{
	return cp == ' ' || (cp >= 0x09 && cp <= 0x0d) || (cp >= 0x1c && cp <= 0x1f) || cp == 0x85 ||
	       cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 ||
	       cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

bool fuzz_py_changes(const char *s)
{
	static const char *const LIT[] = {"True", "False", "None", "true", "false"};
	for (size_t i = 0; i < ARRAY_SIZE(LIT); i++)
		if (strcmp(s, LIT[i]) == 0)
			return true;
	if (!*s)
		return false;
	size_t len;
	const unsigned char *p = (const unsigned char *)s;
	if (py_space(cp_at(p, &len)))
		return true;
	unsigned last = 0;
	while (*p) {
		last = cp_at(p, &len);
		p += len;
	}
	return py_space(last);
}

bool fuzz_no_controls(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return false;
		if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
			return false;
		if (p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9))
			return false;
	}
	return true;
}

struct kvs {
	char **k, **v;
	size_t n;
};

static void kvs_add(struct kvs *x, char *k, char *v, const char *out)
{
	for (size_t i = 0; i < x->n; i++)
		FUZZ_CHECK(strcmp(x->k[i], k) != 0, "key %s is set twice:\n%s", k, out);
	x->k = xrealloc(x->k, (x->n + 1) * sizeof *x->k);
	x->v = xrealloc(x->v, (x->n + 1) * sizeof *x->v);
	x->k[x->n] = k;
	x->v[x->n++] = v;
}

static const char *kvs_get(const struct kvs *x, const char *k)
{
	for (size_t i = 0; i < x->n; i++)
		if (strcmp(x->k[i], k) == 0)
			return x->v[i];
	return NULL;
}

static void kvs_free(struct kvs *x)
{
	for (size_t i = 0; i < x->n; i++) {
		free(x->k[i]);
		free(x->v[i]);
	}
	free(x->k);
	free(x->v);
}

/* the file's lines through `line` (odoo_line or pg_line), keys into x */
static void read_lines(const char *out, int (*line)(const char *, char **, char **), struct kvs *x,
		       int *sections, int *section_line, const char *what)
{
	FUZZ_CHECK(*out && out[strlen(out) - 1] == '\n', "%s does not end with a newline", what);
	int lineno = 0;
	for (const char *p = out; *p;) {
		const char *nl = strchr(p, '\n');
		char *l = xstrndup(p, (size_t)(nl - p));
		lineno++;
		char *k, *v;
		int kind = line(l, &k, &v);
		FUZZ_CHECK(kind, "%s line %d is not one its reader takes as berth means it: [%s]\n%s",
			   what, lineno, l, out);
		if (kind == 'k')
			kvs_add(x, k, v, out);
		if (kind == 's') {
			(*sections)++;
			*section_line = lineno;
		}
		free(l);
		p = nl + 1;
	}
}

/* key's value in the file is `want` */
static void expect(const struct kvs *x, const char *key, const char *want, const char *out)
{
	const char *got = kvs_get(x, key);
	if (!want) {
		FUZZ_CHECK(!got, "%s should not be set (it is [%s]):\n%s", key, got, out);
		return;
	}
	FUZZ_CHECK(got && strcmp(got, want) == 0, "%s is [%s], berth's value is [%s]:\n%s", key,
		   got ? got : "(unset)", want, out);
}

static const char *const ODOO_BERTH_KEYS[] = {
	"workers", "max_cron_threads", "db_maxconn", "log_level", "limit_memory_soft",
	"limit_memory_hard", "limit_time_cpu", "limit_time_real", "smtp_server", "smtp_ssl",
	"smtp_user", "smtp_password", "email_from", NULL,
};

static bool in_list(const char *const *l, const char *k)
{
	for (; *l; l++)
		if (strcmp(*l, k) == 0)
			return true;
	return false;
}

struct want {
	const char *key, *want;
};

void odoo_conf_check(const struct render_odoo *o, const char *out)
{
	struct kvs x = {0};
	int sections = 0, section_line = 0;
	read_lines(out, odoo_line, &x, &sections, &section_line, "odoo.conf");
	FUZZ_CHECK(sections == 1 && section_line == 2, "odoo.conf: one [options] header, line 2:\n%s",
		   out);
	/* berth's reserved keys, with berth's values */
	struct want mine[24];
	size_t n = 0;
	mine[n++] = (struct want){"admin_passwd", o->admin_passwd};
	mine[n++] = (struct want){"db_host", o->db_host};
	char port[32], rport[32], sport[32];
	snprintf(port, sizeof port, "%d", o->db_port);
	mine[n++] = (struct want){"db_port", port};
	mine[n++] = (struct want){"db_user", o->db_user};
	mine[n++] = (struct want){"db_password", o->db_password};
	mine[n++] = (struct want){"db_name", o->db_name};
	struct sbuf dbf = SBUF_INIT;
	const char *cf = json_string_value(json_object_get(o->config, "db_filter"));
	if (cf) {
		sbuf_adds(&dbf, cf);
	} else {
		sbuf_addc(&dbf, '^');
		for (const char *p = o->db_name; *p; p++) {
			if (strchr(".^$*+?{}[]|()\\", *p))
				sbuf_addc(&dbf, '\\');
			sbuf_addc(&dbf, *p);
		}
		sbuf_addc(&dbf, '$');
	}
	mine[n++] = (struct want){"dbfilter", dbf.buf};
	mine[n++] = (struct want){"list_db", "False"};
	mine[n++] = (struct want){"proxy_mode", "True"};
	mine[n++] = (struct want){"data_dir", "/var/lib/odoo"};
	mine[n++] = (struct want){"http_interface", "0.0.0.0"};
	mine[n++] = (struct want){"http_port", "8069"};
	mine[n++] = (struct want){"gevent_port", "8072"};
	mine[n++] = (struct want){"addons_path", o->addons_path};
	mine[n++] = (struct want){"db_replica_host", o->replica_host};
	snprintf(rport, sizeof rport, "%d", o->replica_port);
	mine[n++] = (struct want){"db_replica_port", o->replica_host ? rport : NULL};
	json_t *smtp = json_object_get(o->config, "smtp");
	const char *smtp_port = NULL;
	if (json_is_object(smtp)) {
		json_t *sp = json_object_get(smtp, "port");
		const char *enc = json_string_value(json_object_get(smtp, "encryption"));
		snprintf(sport, sizeof sport, "%lld",
			 sp ? (long long)json_integer_value(sp) : str_eq(enc, "ssl") ? 465LL : 587LL);
		smtp_port = sport;
	}
	mine[n++] = (struct want){"smtp_port", smtp_port};
	mine[n++] = (struct want){"logfile", NULL};
	mine[n++] = (struct want){"syslog", NULL};
	for (size_t i = 0; i < n; i++) {
		expect(&x, mine[i].key, mine[i].want, out);
		static const char *const STRS[] = {"admin_passwd", "db_host", "db_user", "db_password",
						   "db_name", "dbfilter", "addons_path", "db_replica_host",
						   NULL};
		if (mine[i].want && in_list(STRS, mine[i].key))
			FUZZ_CHECK(!fuzz_py_changes(mine[i].want),
				   "odoo.conf: Odoo would not read %s back as written: [%s]", mine[i].key,
				   mine[i].want);
	}
	char **user = fuzz_user_keys(o->extra, false);
	for (size_t i = 0; i < x.n; i++) {
		const char *k = x.k[i];
		bool berths = false;
		for (size_t j = 0; j < n; j++)
			berths = berths || strcmp(mine[j].key, k) == 0;
		if (fuzz_reserved(k, FUZZ_ODOO_RESERVED)) {
			FUZZ_CHECK(berths, "odoo.conf: reserved key %s is set:\n%s", k, out);
			continue;
		}
		FUZZ_CHECK(in_list(ODOO_BERTH_KEYS, k) || fuzz_key_in(user, k),
			   "odoo.conf: key %s is neither berth's nor the user's:\n%s", k, out);
		/* berth's string values where the user's text does not set them */
		if (!fuzz_key_in(user, k) && (strcmp(k, "smtp_server") == 0 || strcmp(k, "smtp_user") == 0 ||
					      strcmp(k, "smtp_password") == 0 || strcmp(k, "email_from") == 0))
			FUZZ_CHECK(!fuzz_py_changes(x.v[i]), "odoo.conf: Odoo would not read %s back as"
				   " written: [%s]", k, x.v[i]);
	}
	fuzz_keys_free(user);
	sbuf_release(&dbf);
	kvs_free(&x);
}

static const char *const PG_BERTH_KEYS[] = {
	"max_connections", "password_encryption", "shared_buffers", "effective_cache_size",
	"maintenance_work_mem", "checkpoint_completion_target", "wal_buffers",
	"default_statistics_target", "random_page_cost", "effective_io_concurrency", "work_mem",
	"huge_pages", "jit", "wal_compression", "min_wal_size", "max_wal_size",
	"max_worker_processes", "max_parallel_workers_per_gather", "max_parallel_workers",
	"max_parallel_maintenance_workers", "wal_level", "max_wal_senders", "wal_keep_size",
	"hot_standby", NULL,
};

void pg_conf_check(const struct render_pg *pg, const char *out)
{
	struct kvs x = {0}, ref = {0};
	int sections = 0, section_line = 0;
	read_lines(out, pg_line, &x, &sections, &section_line, "postgresql.conf");
	expect(&x, "listen_addresses", "'*'", out);
	expect(&x, "port", "5432", out);
	expect(&x, "unix_socket_directories", "'/run/postgresql'", out);
	/* berth's own file (no user text): the reserved keys it sets are the only ones, with the
	 * same values */
	struct render_pg bare = *pg;
	bare.extra = NULL;
	struct berr err = {0};
	char *ref_out = render_postgresql_conf(&bare, &err);
	FUZZ_CHECK(ref_out, "postgresql.conf without the user's text is refused: %s", err.message);
	read_lines(ref_out, pg_line, &ref, &sections, &section_line, "postgresql.conf (berth's)");
	for (size_t i = 0; i < ref.n; i++)
		if (fuzz_reserved(ref.k[i], FUZZ_PG_RESERVED))
			expect(&x, ref.k[i], ref.v[i], out);
	char **user = fuzz_user_keys(pg->extra, true);
	for (size_t i = 0; i < x.n; i++) {
		const char *k = x.k[i];
		if (fuzz_reserved(k, FUZZ_PG_RESERVED)) {
			FUZZ_CHECK(kvs_get(&ref, k), "postgresql.conf: reserved key %s is set:\n%s", k, out);
			continue;
		}
		FUZZ_CHECK(in_list(PG_BERTH_KEYS, k) || fuzz_key_in(user, k),
			   "postgresql.conf: key %s is neither berth's nor the user's:\n%s", k, out);
	}
	fuzz_keys_free(user);
	kvs_free(&x);
	kvs_free(&ref);
	free(ref_out);
}
