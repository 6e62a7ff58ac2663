/* odoo.c: odoo.conf. Odoo reads it with configparser.RawConfigParser (odoo/tools/config.py,
 * 16.0 to 19.0): one `key = value` per line, no interpolation (so '%' is literal), no inline
 * comments, surrounding whitespace stripped, a line starting with whitespace continues the
 * previous value, a key given twice in a section is an error (strict mode), and the values
 * True/False/None (any option in 16-18) are turned into Python's booleans and None. */
#include "render/render.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/secret.h"
#include "lib/util.h"
#include "lib/valid.h"

/* Keys berth owns: dropped from the user's text (and listed by render_odoo_conf_ignored).
 * The first line is issue 13's list (admin_passwd, data_dir, every key ending in _port:
 * http_port, gevent_port, longpolling_port, smtp_port, db_replica_port..., db_host, db_port,
 * db_user, db_password, addons_path, proxy_mode, list_db); the others keep Odoo on the
 * environment's own database, network and log (docs/generated-config.md). */
static const char *const RESERVED[] = {
	"admin_passwd", "data_dir", "*_port", "db_host", "db_port", "db_user", "db_password",
	"addons_path", "proxy_mode", "list_db",
	"db_name", "dbfilter", /* the environment's database only (db_filter: Odoo settings) */
	"http_interface",  /* Odoo must listen on the container's network */
	"db_replica_host", /* set with the read replica */
	"logfile", "syslog", /* the console's Logs tab reads the container's output */
	NULL,
};

/* With a mail catcher (non-production), the outgoing server is berth's too. */
static const char *const RESERVED_CATCHER[] = {
	"admin_passwd", "data_dir", "*_port", "db_host", "db_port", "db_user", "db_password",
	"addons_path", "proxy_mode", "list_db", "db_name", "dbfilter", "http_interface",
	"db_replica_host", "logfile", "syslog",
	"smtp_server", "smtp_ssl", "smtp_user", "smtp_password", "smtp_ssl_certificate_filename",
	"smtp_ssl_private_key_filename",
	NULL,
};

static bool name_ok(const char *s, size_t max, const char *extra_chars)
{
	size_t n = s ? strlen(s) : 0;
	if (n < 1 || n > max)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		if (!alnum && (i == 0 || !strchr(extra_chars, c)))
			return false;
	}
	return true;
}

/* A string value berth writes: one line that ConfigParser gives back unchanged. */
static bool str_value_ok(const char *v)
{
	return valid_conf_value(v);
}

static int bad(struct berr *err, const char *field, const char *what)
{
	return berr_set(err, BE_VALIDATION_ERROR, field, "%s: %s", field, what);
}

struct out {
	struct sbuf sb;
	const struct render_extra *x;
};

/* Writes `key = value` unless the user's text sets the key (then their line is the one). */
static void kv(struct out *o, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void kv(struct out *o, const char *key, const char *fmt, ...)
{
	if (render_extra_has(o->x, key))
		return;
	va_list ap;
	va_start(ap, fmt);
	sbuf_addf(&o->sb, "%s = ", key);
	sbuf_vaddf(&o->sb, fmt, ap);
	sbuf_addc(&o->sb, '\n');
	va_end(ap);
}

static long long eff_int(json_t *eff, const char *key, long long dflt, bool *present)
{
	json_t *v = json_object_get(eff, key);
	if (present)
		*present = json_is_integer(v);
	return json_is_integer(v) ? json_integer_value(v) : dflt;
}

/* ^name$ with Python regex metacharacters escaped */
static void dbfilter_exact(struct sbuf *sb, const char *db)
{
	sbuf_addc(sb, '^');
	for (const char *p = db; *p; p++) {
		if (strchr("\\.^$*+?{}[]|()", *p))
			sbuf_addc(sb, '\\');
		sbuf_addc(sb, *p);
	}
	sbuf_addc(sb, '$');
}

static int check(const struct render_odoo *o, struct berr *err)
{
	if (!name_ok(o->db_host, 253, "-_.:") || !str_value_ok(o->db_host))
		return bad(err, "db_host", "not a container or host name");
	if (o->db_port < 1 || o->db_port > 65535)
		return bad(err, "db_port", "must be between 1 and 65535");
	if (!name_ok(o->db_user, 63, "-_.") || !str_value_ok(o->db_user))
		return bad(err, "db_user", "letters, digits, '-', '_' and '.', at most 63");
	if (!name_ok(o->db_name, 63, "-_.") || !str_value_ok(o->db_name))
		return bad(err, "db_name", "letters, digits, '-', '_' and '.', at most 63");
	if (!str_value_ok(o->db_password))
		return bad(err, "db_password", "one line without control characters or surrounding"
					       " spaces, not True, False or None");
	if (!str_value_ok(o->admin_passwd))
		return bad(err, "admin_passwd", "one line without control characters or surrounding"
						" spaces, not True, False or None");
	if (o->replica_host) {
		if (!name_ok(o->replica_host, 253, "-_.:") || !str_value_ok(o->replica_host))
			return bad(err, "replica_host", "not a container or host name");
		if (o->replica_port < 1 || o->replica_port > 65535)
			return bad(err, "replica_port", "must be between 1 and 65535");
	}
	if (o->addons_path) {
		/* comma-separated absolute paths */
		if (!str_value_ok(o->addons_path) || o->addons_path[0] != '/' ||
		    strstr(o->addons_path, ",,") || o->addons_path[strlen(o->addons_path) - 1] == ',')
			return bad(err, "addons_path", "comma-separated absolute paths");
		for (const char *p = o->addons_path; *p; p++)
			if (*p == ',' && p[1] != '/')
				return bad(err, "addons_path", "comma-separated absolute paths");
	}
	/* the user's values: the validators the API applied when they were set (lib/valid.h) */
	if (o->smtp_password && !valid_smtp_password(o->smtp_password))
		return bad(err, "odoo_config.smtp.password",
			   "one line without control characters or surrounding spaces, not True,"
			   " False or None");
	json_t *dbf = json_object_get(o->config, "db_filter");
	if (dbf && !json_is_null(dbf) &&
	    (!json_is_string(dbf) || !valid_odoo_db_filter(json_string_value(dbf))))
		return bad(err, "odoo_config.db_filter", "one line of printable text");
	json_t *smtp = json_object_get(o->config, "smtp");
	if (json_is_object(smtp)) {
		static const char *const F[] = {"host", "user", "from", "encryption"};
		static bool (*const OK[])(const char *) = {valid_smtp_host, valid_smtp_user,
							   valid_smtp_from, valid_conf_value};
		char field[64];
		for (size_t i = 0; i < ARRAY_SIZE(F); i++) {
			json_t *v = json_object_get(smtp, F[i]);
			snprintf(field, sizeof field, "odoo_config.smtp.%s", F[i]);
			if (v && !json_is_null(v) && (!json_is_string(v) || !OK[i](json_string_value(v))))
				return bad(err, field, "one line without control characters or surrounding"
						       " spaces");
		}
		if (!json_is_string(json_object_get(smtp, "host")))
			return bad(err, "odoo_config.smtp.host", "required");
		json_t *port = json_object_get(smtp, "port");
		if (port && (!json_is_integer(port) || json_integer_value(port) < 1 ||
			     json_integer_value(port) > 65535))
			return bad(err, "odoo_config.smtp.port", "must be between 1 and 65535");
		const char *enc = json_string_value(json_object_get(smtp, "encryption"));
		if (enc && !str_eq(enc, "none") && !str_eq(enc, "starttls") && !str_eq(enc, "ssl"))
			return bad(err, "odoo_config.smtp.encryption", "must be none, starttls or ssl");
	}
	const char *level = json_string_value(json_object_get(o->effective, "log_level"));
	if (level && !name_ok(level, 32, "_"))
		return bad(err, "log_level", "not a log level");
	static const char *const INTS[] = {"workers", "max_cron_threads", "limit_memory_soft_mb",
					   "limit_memory_hard_mb"};
	for (size_t i = 0; i < ARRAY_SIZE(INTS); i++) {
		json_t *v = json_object_get(o->effective, INTS[i]);
		if (v && (!json_is_integer(v) || json_integer_value(v) < 0 ||
			  json_integer_value(v) > 1024 * 1024))
			return bad(err, INTS[i], "must be a non-negative integer");
	}
	return 0;
}

long long render_odoo_extra_int(const char *extra, const char *key, long long dflt)
{
	struct render_extra x;
	render_extra_parse(&x, RENDER_ODOO_CONF, extra, RESERVED);
	long long v = dflt;
	for (size_t i = 0; i < x.n; i++) {
		if (x.lines[i].kind != RX_KV || strcmp(x.lines[i].key, key) != 0)
			continue;
		const char *s = x.lines[i].value;
		char *end = NULL;
		errno = 0;
		long long n = strtoll(s, &end, 10);
		if (*s && *end == '\0' && errno == 0 && n >= 0 && n <= 1000000)
			v = n;
	}
	render_extra_release(&x);
	return v;
}

char *render_odoo_conf(const struct render_odoo *o, struct berr *err)
{
	if (check(o, err) < 0)
		return NULL;
	if (o->mail_catcher && !name_ok(o->mail_catcher, 63, "-")) {
		bad(err, "mail_catcher", "not a container name");
		return NULL;
	}
	struct render_extra x;
	render_extra_parse(&x, RENDER_ODOO_CONF, o->extra, o->mail_catcher ? RESERVED_CATCHER : RESERVED);
	struct out w = {SBUF_INIT, &x};
	/* room for everything up front: no realloc leaves a copy of a password behind */
	sbuf_grow(&w.sb, 16384 + (o->extra ? 2 * strlen(o->extra) : 0) +
				 (o->addons_path ? strlen(o->addons_path) : 0));
	struct sbuf *sb = &w.sb;

	sbuf_adds(sb, "; odoo.conf generated by berth: do not edit, the next deploy rewrites it.\n"
		      "[options]\n");
	sbuf_addf(sb, "admin_passwd = %s\n", o->admin_passwd);
	sbuf_addf(sb, "db_host = %s\n", o->db_host);
	sbuf_addf(sb, "db_port = %d\n", o->db_port);
	sbuf_addf(sb, "db_user = %s\n", o->db_user);
	sbuf_addf(sb, "db_password = %s\n", o->db_password);
	sbuf_addf(sb, "db_name = %s\n", o->db_name);
	const char *dbf = json_string_value(json_object_get(o->config, "db_filter"));
	if (dbf) {
		sbuf_addf(sb, "dbfilter = %s\n", dbf);
	} else {
		sbuf_adds(sb, "dbfilter = ");
		dbfilter_exact(sb, o->db_name);
		sbuf_addc(sb, '\n');
	}
	sbuf_adds(sb, "list_db = False\n"
		      "proxy_mode = True\n"
		      "data_dir = /var/lib/odoo\n"
		      "http_interface = 0.0.0.0\n"
		      "http_port = 8069\n"
		      "gevent_port = 8072\n");
	if (o->addons_path)
		sbuf_addf(sb, "addons_path = %s\n", o->addons_path);
	if (o->replica_host) {
		sbuf_addf(sb, "db_replica_host = %s\n", o->replica_host);
		sbuf_addf(sb, "db_replica_port = %d\n", o->replica_port);
	}

	long long workers = eff_int(o->effective, "workers", 0, NULL);
	long long cron = eff_int(o->effective, "max_cron_threads", 2, NULL);
	kv(&w, "workers", "%lld", workers);
	kv(&w, "max_cron_threads", "%lld", cron);
	workers = render_odoo_extra_int(o->extra, "workers", workers);
	cron = render_odoo_extra_int(o->extra, "max_cron_threads", cron);
	/* Each Odoo process keeps its own pool of up to db_maxconn connections. Share about 80
	 * (PostgreSQL's 100 less the superuser reserve and berth's own) between the processes:
	 * workers + cron workers + the gevent worker in prefork mode, one process in threaded
	 * mode; at least 8 (a request can hold a few cursors), at most Odoo's default 64. */
	long long procs = workers > 0 ? workers + cron + 1 : 1;
	long long maxconn = 80 / procs;
	maxconn = maxconn < 8 ? 8 : maxconn > 64 ? 64 : maxconn;
	kv(&w, "db_maxconn", "%lld", maxconn);
	const char *level = json_string_value(json_object_get(o->effective, "log_level"));
	kv(&w, "log_level", "%s", level ? level : "info");
	bool has_soft, has_hard;
	long long soft = eff_int(o->effective, "limit_memory_soft_mb", 0, &has_soft);
	long long hard = eff_int(o->effective, "limit_memory_hard_mb", 0, &has_hard);
	if (has_soft)
		kv(&w, "limit_memory_soft", "%lld", soft * 1048576);
	if (has_hard)
		kv(&w, "limit_memory_hard", "%lld", hard * 1048576);
	kv(&w, "limit_time_cpu", "60");
	kv(&w, "limit_time_real", "120");

	json_t *smtp = json_object_get(o->config, "smtp");
	if (o->mail_catcher) {
		/* non-production: every mail goes to berth's mail catcher, never out */
		const char *from = json_string_value(json_object_get(smtp, "from"));
		sbuf_adds(sb, "; outgoing mail: berth's mail catcher (not production: nothing is "
			      "delivered)\n");
		sbuf_addf(sb, "smtp_server = %s\n", o->mail_catcher);
		sbuf_adds(sb, "smtp_port = 1025\n"
			      "smtp_ssl = False\n");
		if (from)
			kv(&w, "email_from", "%s", from);
	} else if (json_is_object(smtp)) {
		const char *enc = json_string_value(json_object_get(smtp, "encryption"));
		const char *user = json_string_value(json_object_get(smtp, "user"));
		const char *from = json_string_value(json_object_get(smtp, "from"));
		json_t *port = json_object_get(smtp, "port");
		kv(&w, "smtp_server", "%s", json_string_value(json_object_get(smtp, "host")));
		/* smtp_port is reserved (*_port): always berth's */
		sbuf_addf(sb, "smtp_port = %lld\n",
			  port ? (long long)json_integer_value(port) : str_eq(enc, "ssl") ? 465LL : 587LL);
		/* Odoo's smtp_ssl means STARTTLS (ir_mail_server: "smtp_ssl => STARTTLS as of v7");
		 * odoo.conf cannot ask for SMTP over implicit TLS. */
		bool tls = str_eq(enc, "starttls") || str_eq(enc, "ssl") || !enc;
		if (str_eq(enc, "ssl"))
			sbuf_adds(sb, "; encryption \"ssl\": Odoo's configuration file only knows STARTTLS"
				      " (smtp_ssl)\n");
		kv(&w, "smtp_ssl", "%s", tls ? "True" : "False");
		if (user)
			kv(&w, "smtp_user", "%s", user);
		if (o->smtp_password)
			kv(&w, "smtp_password", "%s", o->smtp_password);
		if (from)
			kv(&w, "email_from", "%s", from);
	}
	/* session_timeout: Odoo has no odoo.conf key (the lifetime is the database parameter
	 * sessions.max_inactivity_seconds); berth stores it for a later feature. */

	render_extra_emit(&x, sb, "Odoo Configuration (environment settings)");
	render_extra_release(&x);
	return sbuf_detach(sb);
}

json_t *render_odoo_conf_ignored(const char *extra)
{
	struct render_extra x;
	render_extra_parse(&x, RENDER_ODOO_CONF, extra, RESERVED);
	json_t *out = render_extra_ignored(&x);
	render_extra_release(&x);
	return out;
}
