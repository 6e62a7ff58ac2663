#include "lib/valid.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* p starts a C1 control (U+0080-U+009F) or U+2028/U+2029 in UTF-8: control characters and
 * line breaks too, for the validators that let other non-ASCII bytes through */
static bool unicode_ctl(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;
	return (u[0] == 0xc2 && u[1] >= 0x80 && u[1] <= 0x9f) ||
	       (u[0] == 0xe2 && u[1] == 0x80 && (u[2] == 0xa8 || u[2] == 0xa9));
}

bool valid_dns_label(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n < 1 || n > 63 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_lower_alnum(s[i]) && s[i] != '-')
			return false;
	return true;
}

bool valid_domain(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n < 3 || n > 253)
		return false;
	int labels = 0;
	const char *p = s;
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);
		char label[64];
		if (len == 0 || len > 63)
			return false;
		memcpy(label, p, len);
		label[len] = '\0';
		if (!valid_dns_label(label))
			return false;
		labels++;
		p += len;
		if (*p == '.') {
			p++;
			if (!*p)
				return false;
		}
	}
	return labels >= 2;
}

bool valid_host(const char *s)
{
	if (!s || !*s || strlen(s) > 253)
		return false;
	unsigned char buf[16];
	if (inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1)
		return true;
	if (s[0] == '-' || s[0] == '.')
		return false;
	for (const char *p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.')
			return false;
	return true;
}

bool valid_email(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n < 3 || n > 254)
		return false;
	const char *at = strchr(s, '@');
	if (!at || at == s || strchr(at + 1, '@') || !at[1] || !strchr(at + 1, '.'))
		return false;
	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c <= ' ' || c >= 127 || strchr("\"(),:;<>[\\]", c))
			return false;
	}
	const char *d = at + 1;
	return d[0] != '.' && d[strlen(d) - 1] != '.' && !strstr(d, "..");
}

bool valid_git_ref(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n < 1 || n > 200 || s[0] == '-' || s[0] == '/' || s[n - 1] == '/' || s[n - 1] == '.' ||
	    strstr(s, "..") || strstr(s, "//") || strstr(s, "@{") || strstr(s, "/.") ||
	    s[0] == '.' || (n >= 5 && strcmp(s + n - 5, ".lock") == 0) || strcmp(s, "@") == 0)
		return false;
	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c <= ' ' || c == 127 || strchr("~^:?*[\\", c) || unicode_ctl(p))
			return false;
	}
	return true;
}

bool valid_commit(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n < 7 || n > 40)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* A ".." path segment anywhere: "../x", "x/../y", "x/..", and "host:../x" of scp-like URLs. */
static bool has_dotdot_segment(const char *s)
{
	for (const char *p = s; (p = strstr(p, "..")) != NULL; p += 2) {
		bool starts = p == s || p[-1] == '/' || p[-1] == ':';
		bool ends = p[2] == '\0' || p[2] == '/';
		if (starts && ends)
			return true;
	}
	return false;
}

enum git_url_kind git_url_classify(const char *s)
{
	if (!s || !*s)
		return GIT_URL_LOCAL;
	/* git's is_url(): a scheme of [A-Za-z0-9+.-] then "://" */
	const char *p = s;
	while (isalnum((unsigned char)*p) || *p == '+' || *p == '.' || *p == '-')
		p++;
	if (p > s && str_starts(p, "://"))
		return str_starts(s, "file://") ? GIT_URL_LOCAL : GIT_URL_REMOTE;
	/* git's url_is_local_not_ssh(): local when there is no ':' or a '/' comes before it */
	const char *colon = strchr(s, ':'), *slash = strchr(s, '/');
	if (!colon || (slash && slash < colon))
		return GIT_URL_LOCAL;
	return GIT_URL_SCP;
}

bool valid_git_url(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n < 2 || n > 1024 || s[0] == '-')
		return false;
	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c <= ' ' || c == 127 || c == '\\' || c == '\'' || c == '"' || c == '`' ||
		    unicode_ctl(p))
			return false;
	}
	if (strstr(s, "://-") || strstr(s, "@-")) /* a host ssh would take for an option */
		return false;
	if (has_dotdot_segment(s))
		return false;
	switch (git_url_classify(s)) {
	case GIT_URL_LOCAL:
		/* only absolute paths (checked against the local roots later) and file:/// */
		if (s[0] == '/')
			return valid_abs_path(s);
		return str_starts(s, "file:///") && valid_abs_path(s + strlen("file://"));
	case GIT_URL_REMOTE:
		if (!(str_starts(s, "https://") || str_starts(s, "http://") || str_starts(s, "ssh://") ||
		      str_starts(s, "git://")))
			return false;
		return strlen(strstr(s, "://") + 3) > 0;
	case GIT_URL_SCP: {
		/* user@host:path, with no '/' before the ':' (git's own rule) */
		const char *at = strchr(s, '@'), *colon = strchr(s, ':');
		return at && at < colon && at > s && colon > at + 1 && colon[1];
	}
	}
	return false;
}

bool valid_env_name(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n < 1 || n > 128 || isdigit((unsigned char)s[0]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return false;
	return true;
}

bool valid_text(const char *s, bool multiline)
{
	if (!s)
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == 127)
			return false;
		if (*p < ' ' && !(multiline && (*p == '\n' || *p == '\t')))
			return false;
		/* C1 controls (U+0080-U+009F) and the line and paragraph separators U+2028/2029 */
		if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
			return false;
		if (p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9))
			return false;
	}
	return true;
}

bool valid_abs_path(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n < 1 || n > 1024 || s[0] != '/')
		return false;
	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c <= ' ' || c == 127 || strchr("\\'\"`$;&|<>*?", c) || unicode_ctl(p))
			return false;
	}
	return !strstr(s, "/../") && !(n >= 3 && strcmp(s + n - 3, "/..") == 0);
}

bool valid_uuid(const char *s)
{
	if (!s || strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i])) {
			return false;
		}
	}
	return true;
}

char *slugify(const char *name, size_t maxlen)
{
	struct sbuf sb = SBUF_INIT;
	bool dash = false;
	for (const char *p = name; *p && sb.len < maxlen; p++) {
		char c = (char)tolower((unsigned char)*p);
		if (is_lower_alnum(c)) {
			if (dash && sb.len)
				sbuf_addc(&sb, '-');
			dash = false;
			if (sb.len < maxlen)
				sbuf_addc(&sb, c);
		} else {
			dash = true;
		}
	}
	while (sb.len && sb.buf[sb.len - 1] == '-')
		sb.buf[--sb.len] = '\0';
	if (!sb.len)
		sbuf_adds(&sb, "x");
	return sbuf_detach(&sb);
}

void shell_quote(struct sbuf *out, const char *s)
{
	sbuf_addc(out, '\'');
	for (const char *p = s; *p; p++) {
		if (*p == '\'')
			sbuf_adds(out, "'\\''");
		else
			sbuf_addc(out, *p);
	}
	sbuf_addc(out, '\'');
}

/* ---- values of odoo.conf, one validator per field (the API and the renderer both call these) */

bool valid_one_line(const char *s)
{
	if (!s)
		return false;
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		unsigned c = *p;
		if (c < 0x80) {
			if (c < 0x20 || c == 0x7f)
				return false;
			p++;
			continue;
		}
		int n;
		unsigned cp;
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		for (int i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80) /* also stops at the NUL */
				return false;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false; /* overlong, out of range, surrogate */
		if (cp <= 0x9f || cp == 0x2028 || cp == 0x2029)
			return false; /* C1 controls, line and paragraph separators */
		p += n + 1;
	}
	return true;
}

/* Python's str.isspace() for what valid_one_line lets through (the space separators). */
static bool py_space(unsigned cp)
{
	return cp == 0x20 || cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) ||
	       cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

/* The code point that starts at p (valid UTF-8). */
static unsigned utf8_at(const unsigned char *p)
{
	if (p[0] < 0x80)
		return p[0];
	int n = p[0] >= 0xf0 ? 3 : p[0] >= 0xe0 ? 2 : 1;
	unsigned cp = p[0] & (0x3f >> n);
	for (int i = 1; i <= n; i++)
		cp = (cp << 6) | (p[i] & 0x3f);
	return cp;
}

bool valid_conf_value(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (!n || !valid_one_line(s))
		return false;
	const unsigned char *u = (const unsigned char *)s, *last = u + n - 1;
	while (last > u && (*last & 0xc0) == 0x80)
		last--;
	if (py_space(utf8_at(u)) || py_space(utf8_at(last)))
		return false; /* ConfigParser strips them */
	static const char *const LITERALS[] = {"True", "False", "None", "true", "false"};
	for (size_t i = 0; i < ARRAY_SIZE(LITERALS); i++)
		if (strcmp(s, LITERALS[i]) == 0)
			return false; /* Odoo reads them as booleans and None */
	return true;
}

bool valid_odoo_db_filter(const char *s)
{
	if (!valid_conf_value(s) || strlen(s) > 1024)
		return false;
	for (const char *p = s; *p; p++)
		if (*p == '%' && p[1] != 'd' && p[1] != 'h')
			return false;
	return true;
}

bool valid_smtp_host(const char *s)
{
	return valid_host(s) && valid_conf_value(s);
}

bool valid_smtp_user(const char *s)
{
	return valid_conf_value(s) && strlen(s) <= 255 && !strchr(s, ' ');
}

bool valid_smtp_password(const char *s)
{
	return valid_conf_value(s) && strlen(s) <= 1024;
}

bool valid_smtp_from(const char *s)
{
	return valid_email(s) && valid_conf_value(s);
}

bool git_url_has_password(const char *url)
{
	const char *p = url ? strstr(url, "://") : NULL;
	if (!p || git_url_classify(url) == GIT_URL_LOCAL)
		return false;
	p += 3;
	size_t auth = strcspn(p, "/");
	const char *at = memchr(p, '@', auth);
	return at && memchr(p, ':', (size_t)(at - p));
}

bool valid_webhook_url(const char *s, char host[256])
{
	size_t n = s ? strlen(s) : 0;
	if (n < 8 || n > 2048)
		return false;
	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c <= ' ' || c >= 127 || c == '\\' || c == '"' || c == '<' || c == '>' || c == '`')
			return false;
	}
	const char *rest;
	if (str_starts(s, "https://"))
		rest = s + 8;
	else if (str_starts(s, "http://"))
		rest = s + 7;
	else
		return false;
	size_t auth = strcspn(rest, "/?#");
	if (auth == 0 || memchr(rest, '@', auth)) /* no credentials in the URL: the secret signs */
		return false;
	char a[256];
	if (auth >= sizeof a)
		return false;
	memcpy(a, rest, auth);
	a[auth] = '\0';
	char *port = NULL;
	if (a[0] == '[') {
		char *close = strchr(a, ']');
		if (!close)
			return false;
		*close = '\0';
		if (close[1] == ':')
			port = close + 2;
		else if (close[1])
			return false;
		memmove(a, a + 1, strlen(a + 1) + 1);
		unsigned char b6[16];
		if (inet_pton(AF_INET6, a, b6) != 1)
			return false;
	} else {
		char *colon = strchr(a, ':');
		if (colon) {
			*colon = '\0';
			port = colon + 1;
		}
		if (!valid_host(a) || strchr(a, ':'))
			return false;
	}
	if (port) {
		char *end;
		long v = strtol(port, &end, 10);
		if (!*port || *end || v < 1 || v > 65535 || !isdigit((unsigned char)*port))
			return false;
	}
	if (host)
		memcpy(host, a, strlen(a) + 1);
	return true;
}

/* ---- backup targets ---- */

static bool chars_in(const char *s, const char *extra, bool alnum)
{
	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (!(alnum && isalnum(c)) && !strchr(extra, c))
			return false;
	}
	return true;
}

bool valid_target_name(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	return n >= 1 && n <= 63 && isalnum((unsigned char)s[0]) && chars_in(s, "-_.", true);
}

bool valid_s3_endpoint(const char *s, char host[256])
{
	if (!valid_webhook_url(s, host) || strlen(s) > 512)
		return false;
	const char *rest = s + (str_starts(s, "https://") ? 8 : 7);
	size_t auth = strcspn(rest, "/?#");
	return rest[auth] == '\0' || (rest[auth] == '/' && rest[auth + 1] == '\0');
}

bool valid_s3_bucket(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n < 3 || n > 63 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_lower_alnum(s[i]) && s[i] != '.' && s[i] != '-')
			return false;
	if (strstr(s, "..") || strstr(s, ".-") || strstr(s, "-.") || str_starts(s, "xn--") ||
	    str_starts(s, "sthree-"))
		return false;
	if ((n > 8 && !strcmp(s + n - 8, "-s3alias")) || (n > 7 && !strcmp(s + n - 7, "--ol-s3")))
		return false;
	unsigned char b[4];
	return inet_pton(AF_INET, s, b) != 1;
}

bool valid_s3_region(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n < 1 || n > 32 || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_lower_alnum(s[i]) && s[i] != '-')
			return false;
	return true;
}

/* Segments of allowed characters joined by single '/', none "." or "..". */
static bool path_segments(const char *s, const char *extra)
{
	size_t seg = 0;
	for (const char *p = s;; p++) {
		if (*p == '/' || *p == '\0') {
			const char *start = p - seg;
			if (seg == 0 || (seg == 1 && start[0] == '.') ||
			    (seg == 2 && start[0] == '.' && start[1] == '.'))
				return false;
			seg = 0;
			if (!*p)
				return true;
			continue;
		}
		if (!isalnum((unsigned char)*p) && !strchr(extra, *p))
			return false;
		seg++;
	}
}

bool valid_s3_prefix(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0)
		return true;
	if (n > 256 || s[0] == '/')
		return false;
	char buf[257];
	memcpy(buf, s, n + 1);
	if (buf[n - 1] == '/')
		buf[n - 1] = '\0';
	return path_segments(buf, "._-");
}

bool valid_s3_access_key(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	return n >= 1 && n <= 128 && chars_in(s, "._~+=/-", true);
}

bool valid_s3_secret(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n < 1 || n > 256)
		return false;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 127)
			return false;
	return true;
}

bool valid_sftp_path(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > 512)
		return false;
	if (!strcmp(s, "/"))
		return true;
	char buf[513];
	memcpy(buf, s, n + 1);
	if (n > 1 && buf[n - 1] == '/')
		buf[--n] = '\0';
	return path_segments(buf[0] == '/' ? buf + 1 : buf, "._+@=,~-");
}

bool valid_ssh_user(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	return n >= 1 && n <= 64 && s[0] != '-' && chars_in(s, "._-@", true);
}

bool valid_ssh_fingerprint(const char *s)
{
	if (!s || !str_starts(s, "SHA256:") || strlen(s) != 7 + 43)
		return false;
	return chars_in(s + 7, "+/", true);
}

/* ---- the Odoo, PostgreSQL and Packages settings (issue 13): one validator per field,
 * used by the settings registry (core/settings.c) and again by the renderers ---- */

bool valid_debian_package(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n < 2 || n > 100 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		      strchr("+-.", s[i])))
			return false;
	return true;
}

bool valid_pg_extension(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n < 1 || n > 63 || !((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

bool valid_odoo_xmlid(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	const char *dot = n ? strchr(s, '.') : NULL;
	if (n < 3 || n > 128 || !dot || dot == s || !dot[1] || !(s[0] >= 'a' && s[0] <= 'z'))
		return false;
	for (const char *p = s; *p; p++) {
		char c = *p;
		bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
			  (p > dot && c >= 'A' && c <= 'Z');
		if (!ok && p != dot)
			return false;
	}
	return true;
}

bool valid_server_dir(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n < 1 || n > 1024 || s[0] != '/')
		return false;
	if (n == 1)
		return true;
	if (s[n - 1] == '/')
		return false;
	const char *seg = s + 1;
	for (const char *p = s + 1;; p++) {
		if (*p == '/' || *p == '\0') {
			size_t len = (size_t)(p - seg);
			if (len == 0 || (len == 1 && seg[0] == '.') ||
			    (len == 2 && seg[0] == '.' && seg[1] == '.'))
				return false;
			if (*p == '\0')
				return true;
			seg = p + 1;
			continue;
		}
		char c = *p;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      strchr("._+@=,~-", c)))
			return false;
	}
}

/* ---- values of an environment's site ---- */

bool valid_nginx_size(const char *s)
{
	size_t n = s ? strlen(s) : 0, d = 0;
	while (d < n && s[d] >= '0' && s[d] <= '9')
		d++;
	if (d < 1 || d > 6)
		return false;
	return d == n || (d + 1 == n && strchr("kKmMgG", s[d]));
}

bool valid_nginx_rate(const char *s)
{
	if (!s)
		return false;
	size_t d = 0;
	while (s[d] >= '0' && s[d] <= '9')
		d++;
	return d >= 1 && d <= 6 && s[0] != '0' &&
	       (strcmp(s + d, "r/s") == 0 || strcmp(s + d, "r/m") == 0);
}

bool valid_cidr(const char *s)
{
	char buf[64];
	if (!s || !*s || strlen(s) >= sizeof buf)
		return false;
	snprintf(buf, sizeof buf, "%s", s);
	char *slash = strchr(buf, '/');
	int max = strchr(buf, ':') ? 128 : 32;
	if (slash) {
		*slash = '\0';
		const char *q = slash + 1;
		if (!*q || strlen(q) > 3)
			return false;
		int bits = 0;
		for (; *q; q++) {
			if (*q < '0' || *q > '9')
				return false;
			bits = bits * 10 + (*q - '0');
		}
		if (bits > max)
			return false;
	}
	unsigned char addr[16];
	return inet_pton(max == 128 ? AF_INET6 : AF_INET, buf, addr) == 1;
}

bool valid_cors_origin(const char *s)
{
	if (!s)
		return false;
	if (strcmp(s, "*") == 0)
		return true;
	const char *h = str_starts(s, "https://") ? s + 8 : str_starts(s, "http://") ? s + 7 : NULL;
	if (!h)
		return false;
	char host[254];
	size_t n = strcspn(h, ":");
	if (n == 0 || n >= sizeof host)
		return false;
	memcpy(host, h, n);
	host[n] = '\0';
	if (!valid_domain(host) && strcmp(host, "localhost") != 0)
		return false;
	if (!h[n])
		return true;
	const char *port = h + n + 1;
	size_t d = strspn(port, "0123456789");
	return d >= 1 && d <= 5 && !port[d] && atoi(port) >= 1 && atoi(port) <= 65535;
}

bool valid_csp_policy(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n < 1 || n > 2048)
		return false;
	for (const char *p = s; *p; p++)
		if (*p < 0x20 || *p > 0x7e || strchr("\"\\$}{", *p))
			return false;
	return true;
}
