/* fuzz_valid: every validator of lib/valid.h on the input as text (up to its first NUL).
 *
 * No validator accepts a control character (C0, DEL, C1, U+2028, U+2029; valid_text with
 * multiline: \n and \t only), and what each accepts has the form its comment promises
 * (valid_domain: lowercase labels; valid_abs_path: absolute, no "..", no shell or space
 * character; valid_conf_value: read back unchanged by configparser; ...). slugify's result is
 * a slug, shell_quote's reads back as the input through sh's single quotes. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "lib/util.h"
#include "lib/valid.h"

static bool only(const char *s, const char *chars, bool alnum_lower, bool alnum_upper)
{
	for (const char *p = s; *p; p++) {
		char c = *p;
		bool ok = strchr(chars, c) || (c >= '0' && c <= '9') ||
			  (alnum_lower && c >= 'a' && c <= 'z') || (alnum_upper && c >= 'A' && c <= 'Z');
		if (!ok)
			return false;
	}
	return true;
}

/* sh: '...' and \' joined; the text it stands for, or NULL when s is not only that */
static char *sh_unquote(const char *s)
{
	struct sbuf sb = SBUF_INIT;
	const char *p = s;
	while (*p) {
		if (*p == '\'') {
			const char *e = strchr(p + 1, '\'');
			if (!e) {
				sbuf_release(&sb);
				return NULL;
			}
			sbuf_add(&sb, p + 1, (size_t)(e - p - 1));
			p = e + 1;
		} else if (p[0] == '\\' && p[1] == '\'') {
			sbuf_addc(&sb, '\'');
			p += 2;
		} else {
			sbuf_release(&sb);
			return NULL;
		}
	}
	return sbuf_detach(&sb);
}

/* Validators other parts of issue 13 add to lib/valid.h: weak, so that this target builds and
 * runs with or without them (a weak reference is NULL when nothing defines the symbol). */
bool valid_cidr(const char *s);
bool valid_nginx_size(const char *s);
bool valid_nginx_rate(const char *s);
bool valid_cors_origin(const char *s);
bool valid_csp_policy(const char *s);
bool valid_debian_package(const char *s);
bool valid_pg_extension(const char *s);
bool valid_server_dir(const char *s);
#pragma weak valid_cidr
#pragma weak valid_nginx_size
#pragma weak valid_nginx_rate
#pragma weak valid_cors_origin
#pragma weak valid_csp_policy
#pragma weak valid_debian_package
#pragma weak valid_pg_extension
#pragma weak valid_server_dir

#define ACCEPTS(call) ((call) ? (check_clean(#call, s), true) : false)
#define HAS(f) ((f) != NULL)

static void check_clean(const char *what, const char *s)
{
	FUZZ_CHECK(fuzz_no_controls(s), "%s accepts a control character: [%s]", what, s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	size_t n = strlen(s);
	char host[256];

	if (ACCEPTS(valid_dns_label(s)))
		FUZZ_CHECK(n <= 63 && only(s, "-", true, false), "valid_dns_label: [%s]", s);
	if (ACCEPTS(valid_domain(s))) {
		FUZZ_CHECK(n <= 253 && only(s, "-.", true, false) && strchr(s, '.') && !strstr(s, "..") &&
				   s[0] != '.' && s[n - 1] != '.' && s[0] != '-' && s[n - 1] != '-' &&
				   !strstr(s, ".-") && !strstr(s, "-."),
			   "valid_domain: [%s]", s);
		FUZZ_CHECK(valid_host(s), "a valid_domain is not a valid_host: [%s]", s);
	}
	if (ACCEPTS(valid_host(s)))
		FUZZ_CHECK(n <= 253 && !strpbrk(s, " \t/\\;'\"`$&|<>{}#") && s[0] != '-',
			   "valid_host: [%s]", s);
	if (ACCEPTS(valid_email(s)))
		FUZZ_CHECK(strchr(s, '@') && !strpbrk(s, " \"(),:;<>[\\]"), "valid_email: [%s]", s);
	if (ACCEPTS(valid_git_ref(s)))
		FUZZ_CHECK(s[0] != '-' && !strpbrk(s, " ~^:?*[\\") && !strstr(s, ".."),
			   "valid_git_ref: [%s]", s);
	if (ACCEPTS(valid_commit(s)))
		FUZZ_CHECK(n >= 7 && n <= 40 && only(s, "", true, true), "valid_commit: [%s]", s);
	if (ACCEPTS(valid_git_url(s)))
		FUZZ_CHECK(s[0] != '-' && !strpbrk(s, " \t\\'\"`") && !strstr(s, "://-") &&
				   !strstr(s, "@-"),
			   "valid_git_url: [%s]", s);
	(void)git_url_classify(s);
	(void)git_url_has_password(s);
	if (ACCEPTS(valid_env_name(s)))
		FUZZ_CHECK(only(s, "_", true, true) && !(s[0] >= '0' && s[0] <= '9'),
			   "valid_env_name: [%s]", s);
	if (valid_text(s, false))
		check_clean("valid_text(s, false)", s);
	if (valid_text(s, true)) {
		char *t = xstrdup(s);
		for (char *p = t; *p; p++)
			if (*p == '\n' || *p == '\t')
				*p = ' ';
		check_clean("valid_text(s, true) (but \\n and \\t)", t);
		free(t);
	}
	if (ACCEPTS(valid_abs_path(s)))
		FUZZ_CHECK(s[0] == '/' && !strpbrk(s, " \\'\"`$;&|<>*?") && !strstr(s, "/../") &&
				   !(n >= 3 && strcmp(s + n - 3, "/..") == 0),
			   "valid_abs_path: [%s]", s);
	if (ACCEPTS(valid_uuid(s)))
		FUZZ_CHECK(n == 36 && only(s, "-abcdef", false, false), "valid_uuid: [%s]", s);
	if (valid_one_line(s))
		FUZZ_CHECK(fuzz_text_clean(s, false, false), "valid_one_line: [%s]", s);
	if (valid_conf_value(s))
		FUZZ_CHECK(n && fuzz_text_clean(s, false, false) && !fuzz_py_changes(s),
			   "valid_conf_value: configparser would not read back [%s]", s);
	if (valid_odoo_db_filter(s)) {
		FUZZ_CHECK(valid_conf_value(s) && n <= 1024, "valid_odoo_db_filter: [%s]", s);
		for (const char *p = s; (p = strchr(p, '%')); p++)
			FUZZ_CHECK(p[1] == 'd' || p[1] == 'h', "valid_odoo_db_filter: %% in [%s]", s);
	}
	if (valid_smtp_host(s))
		FUZZ_CHECK(valid_conf_value(s) && valid_host(s), "valid_smtp_host: [%s]", s);
	if (valid_smtp_user(s))
		FUZZ_CHECK(valid_conf_value(s) && n <= 255 && !strchr(s, ' '), "valid_smtp_user: [%s]", s);
	if (valid_smtp_password(s))
		FUZZ_CHECK(valid_conf_value(s) && n <= 1024, "valid_smtp_password: [%s]", s);
	if (valid_smtp_from(s))
		FUZZ_CHECK(valid_conf_value(s) && valid_email(s), "valid_smtp_from: [%s]", s);
	if (ACCEPTS(valid_webhook_url(s, host)))
		FUZZ_CHECK((str_starts(s, "http://") || str_starts(s, "https://")) && !strpbrk(s, " \"<>\\`") &&
				   host[0] && fuzz_no_controls(host),
			   "valid_webhook_url: [%s]", s);
	if (ACCEPTS(valid_target_name(s)))
		FUZZ_CHECK(n <= 63 && only(s, "-_.", true, true), "valid_target_name: [%s]", s);
	if (ACCEPTS(valid_s3_endpoint(s, host)))
		FUZZ_CHECK(valid_webhook_url(s, NULL) && n <= 512, "valid_s3_endpoint: [%s]", s);
	if (ACCEPTS(valid_s3_bucket(s)))
		FUZZ_CHECK(n >= 3 && n <= 63 && only(s, ".-", true, false), "valid_s3_bucket: [%s]", s);
	if (ACCEPTS(valid_s3_region(s)))
		FUZZ_CHECK(n <= 32 && only(s, "-", true, false), "valid_s3_region: [%s]", s);
	if (ACCEPTS(valid_s3_prefix(s)))
		FUZZ_CHECK(n <= 256 && s[0] != '/' && only(s, "._-/", true, true) && !strstr(s, "//"),
			   "valid_s3_prefix: [%s]", s);
	if (ACCEPTS(valid_s3_access_key(s)))
		FUZZ_CHECK(n <= 128 && only(s, "._~+=/-", true, true), "valid_s3_access_key: [%s]", s);
	if (ACCEPTS(valid_s3_secret(s)))
		FUZZ_CHECK(n <= 256 && !strchr(s, ' '), "valid_s3_secret: [%s]", s);
	if (ACCEPTS(valid_sftp_path(s)))
		FUZZ_CHECK(n <= 512 && only(s, "._+@=,~-/", true, true) && !strstr(s, "/../"),
			   "valid_sftp_path: [%s]", s);
	if (ACCEPTS(valid_ssh_user(s)))
		FUZZ_CHECK(n <= 64 && s[0] != '-' && only(s, "._-@", true, true), "valid_ssh_user: [%s]", s);
	if (ACCEPTS(valid_ssh_fingerprint(s)))
		FUZZ_CHECK(n == 50 && str_starts(s, "SHA256:"), "valid_ssh_fingerprint: [%s]", s);

	/* the site's values: each goes into nginx bare, or between double quotes (CSP) */
	if (HAS(valid_cidr) && ACCEPTS(valid_cidr(s)))
		FUZZ_CHECK(n <= 43 && only(s, ":./ABCDEF", true, false) && !ngx_value_special(s),
			   "valid_cidr: [%s]", s);
	if (HAS(valid_nginx_size) && ACCEPTS(valid_nginx_size(s)))
		FUZZ_CHECK(n >= 1 && n <= 7 && only(s, "kKmMgG", false, false), "valid_nginx_size: [%s]", s);
	if (HAS(valid_nginx_rate) && ACCEPTS(valid_nginx_rate(s)))
		FUZZ_CHECK(s[0] != '0' && (str_ends(s, "r/s") || str_ends(s, "r/m")) && n <= 9 &&
				   only(s, "/", true, false),
			   "valid_nginx_rate: [%s]", s);
	if (HAS(valid_cors_origin) && ACCEPTS(valid_cors_origin(s)))
		FUZZ_CHECK(!ngx_value_special(s) && (strcmp(s, "*") == 0 || str_starts(s, "http")),
			   "valid_cors_origin: [%s]", s);
	if (HAS(valid_csp_policy) && ACCEPTS(valid_csp_policy(s)))
		FUZZ_CHECK(n >= 1 && !strpbrk(s, "\"\\${}\t\n\r") && fuzz_text_clean(s, false, false),
			   "valid_csp_policy: [%s] cannot go between nginx's double quotes", s);
	if (HAS(valid_debian_package) && ACCEPTS(valid_debian_package(s)))
		FUZZ_CHECK(n >= 2 && n <= 100 && s[0] != '-' && s[0] != '+' && s[0] != '.' &&
				   only(s, "+-.", true, false),
			   "valid_debian_package: [%s]", s);
	if (HAS(valid_pg_extension) && ACCEPTS(valid_pg_extension(s)))
		FUZZ_CHECK(n >= 1 && n <= 63 && !(s[0] >= '0' && s[0] <= '9') && only(s, "_", true, false),
			   "valid_pg_extension: [%s]", s);
	if (HAS(valid_server_dir) && ACCEPTS(valid_server_dir(s)))
		FUZZ_CHECK(s[0] == '/' && !strstr(s, "/../") && !str_ends(s, "/..") && !strstr(s, "//") &&
				   valid_abs_path(s),
			   "valid_server_dir: [%s]", s);

	char *slug = slugify(s, 20);
	FUZZ_CHECK(*slug && strlen(slug) <= 20 && only(slug, "-", true, false) && slug[0] != '-' &&
			   slug[strlen(slug) - 1] != '-' && !strstr(slug, "--"),
		   "slugify: [%s] from [%s]", slug, s);
	free(slug);
	struct sbuf q = SBUF_INIT;
	shell_quote(&q, s);
	char *back = sh_unquote(sbuf_str(&q));
	FUZZ_CHECK(back && strcmp(back, s) == 0, "shell_quote: [%s] does not read back as [%s]",
		   sbuf_str(&q), s);
	free(back);
	sbuf_release(&q);
	free(s);
	return 0;
}
