/* fuzz.h: what berth's fuzz targets (tests/fuzz/fuzz_*.c, docs/fuzzing.md) share: the input
 * format (NUL-separated fields), the structural checks of the configuration files berth
 * renders (nginx, odoo.conf, postgresql.conf) and the site decoder the nginx target and the
 * nginx -t sample tool (tests/fuzz/nginx_sample.c) both use.
 *
 * A check that fails prints what is wrong and aborts: libFuzzer (and AddressSanitizer) turn
 * the abort into a crash with the input saved as its reproducer. */
#ifndef BERTH_FUZZ_H
#define BERTH_FUZZ_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "render/render.h"

void fuzz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
#define FUZZ_CHECK(cond, ...)                  \
	do {                                   \
		if (!(cond))                   \
			fuzz_fail(__VA_ARGS__); \
	} while (0)

/* ---- input: fields separated by NUL bytes; list items inside a field by 0x1e ---- */
#define FUZZ_NULL "\x18" /* a field holding this one byte stands for NULL */
#define FUZZ_ITEM_SEP '\x1e'
struct fuzz_fields {
	char *buf;
	const char **v;
	size_t n;
};
void fuzz_fields_split(struct fuzz_fields *f, const uint8_t *data, size_t size);
void fuzz_fields_release(struct fuzz_fields *f);
bool fuzz_field_given(const struct fuzz_fields *f, size_t i);
/* the field, dflt when absent, NULL for FUZZ_NULL */
const char *fuzz_field_str(const struct fuzz_fields *f, size_t i, const char *dflt);
/* decimal integer (clamped to int), dflt when absent or not a number */
long long fuzz_field_int(const struct fuzz_fields *f, size_t i, long long dflt);
/* splits the field in place into at most max items; -1 when absent */
long fuzz_field_list(struct fuzz_fields *f, size_t i, const char **out, size_t max);

/* A copy of data as a C string (stops at the first NUL); free() it. */
char *fuzz_cstr(const uint8_t *data, size_t size);

/* ---- text checks ---- */
/* valid UTF-8 without C0 (but \n and, when tabs, \t), DEL, C1, U+2028 or U+2029 */
bool fuzz_text_clean(const char *s, bool newlines, bool tabs);
/* any byte < 0x20 or 0x7f */
bool fuzz_has_ctl(const char *s);

/* ---- nginx: a lexer following nginx's ngx_conf_read_token ---- */
struct ngx_tok {
	size_t start, end; /* raw span in the text, quotes included */
	char quote;        /* 0, '"' or '\'' */
};
struct ngx_stmt {
	size_t tok, ntok; /* its tokens */
	char term;        /* ';', '{', or '}' (a block's end, no tokens) */
	int depth;
};
struct ngx_conf {
	struct ngx_tok *tok;
	size_t ntok;
	struct ngx_stmt *st;
	size_t nst;
	char err[256];
};
/* 0, or -1 with err saying where nginx would stop */
int ngx_parse(const char *text, struct ngx_conf *c);
void ngx_conf_release(struct ngx_conf *c);

/* Checks a rendered nginx file on its own: no control character but \n and \t, it lexes,
 * braces balance, no token holds a control character or a newline. On the lines that are not in `baseline` (a render of the
 * same shape from berth's defaults; NULL: skip these checks): quoted tokens use only \\, \"
 * and \' escapes (nginx turns \n, \r, \t into the characters), and each line ends with ';',
 * '{' or '}', or is a comment. */
void ngx_check(const char *text, const char *baseline, const char *what);
/* `got` (a user value in it) has the statement shape of `ref` (the same site with a safe
 * value there): as many statements, each with the same terminator, depth, number of tokens
 * and directive name. */
void ngx_check_same_shape(const char *got, const char *ref, const char *value);
/* characters that would change how nginx splits a line if written bare */
bool ngx_value_special(const char *v);

/* ---- odoo.conf and postgresql.conf ---- */
/* A line of odoo.conf as configparser reads it: blank, a comment (';' or '#'), "[options]",
 * or `key = value` (key ^[a-z_][a-z0-9_]*$). Returns 'b', 'c', 's' or 'k' (with key and
 * value, malloc'ed), or 0 when the line is none of these. */
int odoo_line(const char *line, char **key, char **value);
/* A line of postgresql.conf: blank, '#' comment or `key = value` where value is one token
 * of PostgreSQL's configuration lexer (guc-file.l). 'b', 'c', 'k' or 0. */
int pg_line(const char *line, char **key, char **value);
bool pg_value_token(const char *v);
/* key matches one of the reserved patterns (an entry ending in '*' is a prefix, starting
 * with '*' a suffix) */
bool fuzz_reserved(const char *key, const char *const *reserved);
/* the reserved keys of the renderers, as docs/generated-config.md lists them */
extern const char *const FUZZ_ODOO_RESERVED[];
extern const char *const FUZZ_PG_RESERVED[];
/* The keys the user's text tries to set: every line that looks like `key = value` after
 * the renderer's trimming, as a NULL-terminated malloc'ed array of malloc'ed keys. */
char **fuzz_user_keys(const char *text, bool dotted);
bool fuzz_key_in(char **keys, const char *key);
void fuzz_keys_free(char **keys);

/* ---- the site (render_nginx_site) decoded from fields ---- */
enum site_field {
	SF_FLAGS, SF_ENV_ID, SF_NAMES, SF_ODOO_HOST, SF_HTTP_PORT, SF_GEVENT_PORT, SF_MAX_UPLOAD,
	SF_READ_TIMEOUT, SF_CONNECT_TIMEOUT, SF_KEEPALIVE, SF_SEND_TIMEOUT, SF_XFRAME,
	SF_CERTS, SF_KEYS, SF_REAL_IP, SF_CORS, SF_ALLOW, SF_DENY, SF_RATE_LOGIN, SF_RATE_GENERAL,
	SF_CSP, SF_COUNT
};
/* flags (field 0, decimal) */
#define SITE_WEBSOCKET_GEVENT 1
#define SITE_HSTS 2
#define SITE_CLOUDFLARE 4
#define SITE_RATE_LIMIT 8
#define SITE_TLS 16 /* cert_paths/key_paths given (one per name, NULL items: plain HTTP) */
#define SITE_IDE 32 /* ide_host (the Odoo host field's value) at ide_port 8080 */
#define SITE_FLAGS_ALL 63
#define SITE_MAX_ITEMS 600
struct site_rep {
	long long flags;
	const char *str[SF_COUNT];    /* string fields */
	long long num[SF_COUNT];      /* integer fields */
	const char **items[SF_COUNT]; /* list fields */
	size_t nitems[SF_COUNT];
	bool list_given[SF_COUNT];
	struct fuzz_fields f;
};
bool site_field_is_list(int i);
bool site_field_is_int(int i);
/* the value berth's defaults would put in a field (an item for lists) */
const char *site_field_safe(int i);
void site_decode(struct site_rep *r, const uint8_t *data, size_t size);
void site_rep_release(struct site_rep *r);
/* Fills s from r; the arrays live in `store` (kept until s is no longer used). */
struct site_store {
	const char *certs[SITE_MAX_ITEMS], *keys[SITE_MAX_ITEMS];
};
void site_build(const struct site_rep *r, struct render_site *s, struct site_store *store);
/* The checks of a site render_nginx_site accepted (r: its input): ngx_check against the
 * default site of the same flags, and for each user value holding a character special to
 * nginx, ngx_check_same_shape against the site with a safe value there, which has no fewer
 * '$'. */
void site_check_rendered(struct site_rep *r, const char *out);
/* Renders r (site_build, render_nginx_site). */
char *site_render(const struct site_rep *r, struct berr *err);

/* The checks of an odoo.conf render_odoo_conf accepted: every line one configparser reads as
 * berth means it (odoo_line), one [options] header (the second line), no key twice, berth's
 * reserved keys exactly once with berth's values, no other reserved key, every other key one
 * berth writes or one the user's text sets; berth's string values are ones Odoo reads back
 * unchanged (no surrounding space, not True/False/None). */
void odoo_conf_check(const struct render_odoo *o, const char *out);
/* The same for postgresql.conf (pg_line; listen_addresses, port, unix_socket_directories as
 * berth writes them). */
void pg_conf_check(const struct render_pg *p, const char *out);
/* Python's str.strip() would change s, or s is True, False, None, true or false */
bool fuzz_py_changes(const char *s);
/* no C0, DEL, C1 (U+0080-U+009F as UTF-8) or U+2028/U+2029 (bytes that are not UTF-8 pass) */
bool fuzz_no_controls(const char *s);
#endif
