/* valid.h: strict validation of identifiers and values that reach configuration, git, SQL
 * or a remote shell. Every check is a whitelist. */
#ifndef BERTH_VALID_H
#define BERTH_VALID_H
#include <stdbool.h>
#include <stddef.h>
#include "lib/util.h"

/* ^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$ */
bool valid_dns_label(const char *s);
/* Lowercase fully qualified domain name: labels as above, at least two, at most 253 chars. */
bool valid_domain(const char *s);
/* A host to connect to: domain-like name (any case), IPv4 or IPv6 literal. */
bool valid_host(const char *s);
bool valid_email(const char *s);
/* Git branch name: git check-ref-format rules, plus no leading '-' and no C1 control or
 * U+2028/U+2029. */
bool valid_git_ref(const char *s);
/* Hex commit id, 7 to 40 digits. */
bool valid_commit(const char *s);
/* https://, http://, ssh://, git@host:path or an absolute local path; no whitespace or
 * control characters, no leading '-'. */
/* How git reads a repository URL (connect.c: is_url, url_is_local_not_ssh): a URL with a
 * scheme ("https://", "ssh://", ...; "file://" is local), an scp-like "user@host:path" (a ':'
 * with no '/' before it), or else a local path. */
enum git_url_kind { GIT_URL_LOCAL, GIT_URL_REMOTE, GIT_URL_SCP };
enum git_url_kind git_url_classify(const char *s);
/* A repository URL berth accepts: https/http/ssh/git URLs, user@host:path, an absolute local
 * path or file:///path; never a ".." segment, a relative path or an option-like value. */
bool valid_git_url(const char *s);
/* Environment variable name: ^[A-Za-z_][A-Za-z0-9_]*$, at most 128 chars. */
bool valid_env_name(const char *s);
/* Printable UTF-8 text with no control characters (C0, DEL, C1 U+0080-U+009F) and no
 * U+2028/U+2029, except, when multiline, \n and \t. */
bool valid_text(const char *s, bool multiline);
/* Absolute POSIX path without "..", control characters (C1 and U+2028/U+2029 included) or
 * whitespace. */
bool valid_abs_path(const char *s);
/* UUID as produced by uuid4(). */
bool valid_uuid(const char *s);

/* A slug from a display name: lowercase ASCII letters and digits, runs of anything else
 * become one '-', trimmed, at most maxlen chars; "x" when nothing is left. */
char *slugify(const char *name, size_t maxlen);

/* The one quoting function for text that must cross a remote shell: wraps s in single
 * quotes, writing each embedded single quote as '\''. Safe for any NUL-free string. */
void shell_quote(struct sbuf *out, const char *s);

/* ---- values of odoo.conf: one validator per field, called by the API (core/envspec.c) when
 * a value is set and by the renderer (render/odoo.c) when it is written ---- */
/* One line: valid UTF-8 without C0 or C1 control characters, DEL, U+2028 or U+2029. */
bool valid_one_line(const char *s);
/* A value ConfigParser gives back unchanged and Odoo reads as a string: one line, not empty,
 * no surrounding (Unicode) space, not True, False, None, true or false. */
bool valid_conf_value(const char *s);
/* odoo_config.db_filter: a conf value of at most 1024 bytes, '%' only as Odoo's %d or %h. */
bool valid_odoo_db_filter(const char *s);
/* odoo_config.smtp.host: a host name or IP address (valid_host) that is a conf value. */
bool valid_smtp_host(const char *s);
/* odoo_config.smtp.user: a conf value of at most 255 bytes without spaces. */
bool valid_smtp_user(const char *s);
/* odoo_config.smtp.password: a conf value of at most 1024 bytes. */
bool valid_smtp_password(const char *s);
/* odoo_config.smtp.from: an email address (valid_email) that is a conf value. */
bool valid_smtp_from(const char *s);
/* "scheme://user:secret@host/...": a remote URL that carries a password. */
bool git_url_has_password(const char *url);
/* An outgoing webhook's URL: http:// or https://, a host (name, IPv4, or [IPv6]) and an
 * optional port, no credentials, no whitespace or control characters, at most 2048 bytes.
 * host (may be NULL) receives the host without brackets. Where it may connect to is the
 * sender's business (lib/netaddr.h). */
bool valid_webhook_url(const char *s, char host[256]);
/* ---- backup targets (svc/backup_targets.c): one validator per field ---- */
/* name: 1-63 letters, digits, '-', '_', '.', starting with a letter or digit. */
bool valid_target_name(const char *s);
/* s3 endpoint: an http:// or https:// URL with a host and an optional port and nothing
 * after it but an optional "/"; host (may be NULL) receives the host without brackets. */
bool valid_s3_endpoint(const char *s, char host[256]);
/* s3 bucket, S3's naming rules: 3-63 lowercase letters, digits, '.' and '-', starting and
 * ending with a letter or digit, no "..", ".-" or "-.", not an IPv4 address, not starting with
 * "xn--" or "sthree-", not ending with "-s3alias" or "--ol-s3". */
bool valid_s3_bucket(const char *s);
/* s3 region: 1-32 lowercase letters, digits and '-' (us-east-1, eu-central-1, auto). */
bool valid_s3_region(const char *s);
/* s3 key prefix: segments of letters, digits, '.', '_', '-' joined by single '/', no "." or
 * ".." segment, an optional trailing '/', no leading '/', at most 256 bytes. */
bool valid_s3_prefix(const char *s);
/* s3 access_key_id: 1-128 of letters, digits and "._~+=/-". */
bool valid_s3_access_key(const char *s);
/* s3 secret_access_key: 1-256 printable ASCII characters without spaces. */
bool valid_s3_secret(const char *s);
/* sftp path: absolute or relative to the login directory; segments of letters, digits and
 * "._+@=,~-" joined by '/', no "." or ".." segment, at most 512 bytes. */
bool valid_sftp_path(const char *s);
/* sftp user: 1-64 letters, digits, '.', '_', '-', '@', not starting with '-'. */
bool valid_ssh_user(const char *s);
/* An SSH host key fingerprint as OpenSSH prints it: "SHA256:" and 43 base64 characters. */
bool valid_ssh_fingerprint(const char *s);
/* ---- Odoo, PostgreSQL and Packages settings (issue 13) ---- */
/* A Debian package name (Debian Policy 5.6.7): 2-100 of lowercase letters, digits, '+', '-',
 * '.', starting with a letter or digit. */
bool valid_debian_package(const char *s);
/* A PostgreSQL extension name: 1-63 of lowercase letters, digits and '_', not starting with
 * a digit (an unquoted SQL identifier; berth quotes it anyway). */
/* An Odoo xml id "module.name": module of a-z, 0-9, _ (starting with a letter), name of
 * letters, digits and _, at most 128 characters (the neutralize_keep_crons setting). */
bool valid_odoo_xmlid(const char *s);
bool valid_pg_extension(const char *s);
/* A directory on a server: "/" or an absolute path of segments of letters, digits and
 * "._+@=,~-", no empty, "." or ".." segment, no trailing '/', at most 1024 bytes. */
bool valid_server_dir(const char *s);

/* ---- values of an environment's site (edge nginx): one validator per field, called by the
 * settings registry (core/settings.c) when a value is set and by the site renderer
 * (render/nginx_site.c) when it is written ---- */
/* nginx size: 1 to 6 digits, optionally k, m or g ("100M"). */
bool valid_nginx_size(const char *s);
/* nginx rate: 1 to 6 digits not starting with 0, then r/s or r/m ("5r/m"). */
bool valid_nginx_rate(const char *s);
/* An IPv4 or IPv6 address, optionally with a /prefix (at most 32 or 128). */
bool valid_cidr(const char *s);
/* A CORS origin: http(s)://host[:port] (host a lowercase domain or localhost), or "*". */
bool valid_cors_origin(const char *s);
/* A Content-Security-Policy value nginx writes between double quotes: 1 to 2048 printable
 * ASCII characters without '"', '\\', '$', '{', '}' (no control characters, no newline). */
bool valid_csp_policy(const char *s);
#endif
