/* settings.c: the table of environment settings (see settings.h). */
#include "core/settings.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/backup_rules.h"
#include "lib/util.h"
#include "lib/valid.h"

/* ---- validators for one-line values ---- */

/* space-separated HH:MM times ("02:00 14:00"): their form here, the rest (range, a time given
 * twice, at most 24) in core/backup_rules.c, which says what is wrong */
static bool v_times(const char *s)
{
	for (const char *p = s; *p; p++)
		if (!((*p >= '0' && *p <= '9') || *p == ':' || *p == ' '))
			return false;
	return true;
}

static int c_times(const char *s, char *msg, size_t msg_n)
{
	struct backup_schedule b;
	return backup_schedule_parse(s, &b, msg, msg_n);
}

/* a Debian package name (lib/valid.h: the renderer of the derived images checks it again) */
static bool v_package(const char *s)
{
	return valid_debian_package(s);
}

/* a PostgreSQL extension name (lib/valid.h: checked again where the SQL is made) */
static bool v_extension(const char *s)
{
	return valid_pg_extension(s);
}

/* a directory on the server (mounted into Odoo: under the server's mounts_root, checked at
 * deploy, ops/env_mounts.c) */
static bool v_path(const char *s)
{
	return valid_server_dir(s) && strcmp(s, "/") != 0;
}

static const char *const X_FRAME[] = {"SAMEORIGIN", "DENY", NULL};

#define MB_MAX (1024LL * 1024) /* 1 TB in MB */
#define TEXT_MAX 65536
#define CSP_DEFAULT                                                                          \
	"default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval' blob:;"         \
	" style-src 'self' 'unsafe-inline' https:; img-src 'self' data: blob: https:;"       \
	" font-src 'self' data: https:; connect-src 'self' ws: wss: https:;"                 \
	" frame-src 'self' https:; media-src 'self' data: blob: https:;"                     \
	" worker-src 'self' blob:; object-src 'none'; base-uri 'self'"

/* clang-format off */
static const struct setting TABLE[] = {
	/* Odoo sub-tab (plan: allow_instance_tuning) */
	{.key = "odoo_shm_mb", .tab = "odoo", .type = SETTING_INT, .min = 16, .max = 65536,
	 .def_int = 64, .plan_flag = "allow_instance_tuning", .target = TARGET_ODOO_CONTAINER,
	 .apply = APPLY_HARD_RESTART, .label = "Shared Memory (MB)",
	 .description = "Shared memory of the Odoo container (MB)"},
	{.key = "odoo_memory_limit_mb", .tab = "odoo", .type = SETTING_INT, .min = 0, .max = MB_MAX,
	 .def_int = 0, .plan_flag = "allow_instance_tuning", .target = TARGET_ODOO_CONTAINER,
	 .apply = APPLY_HARD_RESTART, .label = "Memory Limit (MB)",
	 .description = "Memory limit of the Odoo container (MB, 0: the plan's share)"},
	{.key = "odoo_memory_reservation_mb", .tab = "odoo", .type = SETTING_INT, .min = 0,
	 .max = MB_MAX, .def_int = 0, .plan_flag = "allow_instance_tuning",
	 .target = TARGET_ODOO_CONTAINER, .apply = APPLY_HARD_RESTART,
	 .label = "Reserved Memory (MB)",
	 .description = "Memory reservation of the Odoo container (MB)"},
	{.key = "odoo_config", .tab = "odoo", .type = SETTING_TEXT, .max = TEXT_MAX,
	 .plan_flag = "allow_instance_tuning", .target = TARGET_ODOO_CONF,
	 .apply = APPLY_SOFT_RESTART,
	 .label = "Odoo Configuration",
	 .description = "odoo.conf lines added to the generated file (reserved keys are ignored)"},
	{.key = "server_shared_addons", .tab = "odoo", .type = SETTING_BOOL, .def_int = 0,
	 .plan_flag = "allow_instance_tuning", .target = TARGET_ODOO_CONTAINER,
	 .apply = APPLY_HARD_RESTART,
	 .label = "Server Shared Addons",
	 .description = "Mount the server's shared addons directory"},
	{.key = "server_shared_addons_path", .tab = "odoo", .type = SETTING_STRING, .max = 4096,
	 .valid = v_path, .valid_what = "an absolute path on the server, no . or .. segment",
	 .plan_flag = "allow_instance_tuning", .target = TARGET_ODOO_CONTAINER,
	 .apply = APPLY_HARD_RESTART,
	 .label = "Server Shared Addons Path",
	 .description = "The server's shared addons directory"},
	{.key = "external_filestore", .tab = "odoo", .type = SETTING_BOOL, .def_int = 0,
	 .plan_flag = "allow_instance_tuning", .target = TARGET_ODOO_CONTAINER,
	 .apply = APPLY_HARD_RESTART,
	 .label = "External Filestore",
	 .description = "Keep the filestore in a directory of the server"},
	{.key = "external_filestore_path", .tab = "odoo", .type = SETTING_STRING, .max = 4096,
	 .valid = v_path, .valid_what = "an absolute path on the server, no . or .. segment",
	 .plan_flag = "allow_instance_tuning", .target = TARGET_ODOO_CONTAINER,
	 .apply = APPLY_HARD_RESTART,
	 .label = "External Filestore Path",
	 .description = "The server directory of the filestore"},
	{.key = "backup_schedule", .tab = "odoo", .type = SETTING_STRING, .max = 256,
	 .valid = v_times, .valid_what = "times of day as HH:MM, separated by spaces (e.g. 02:00 14:00)",
	 .check = c_times, .plan_flag = "allow_backup", .target = TARGET_BERTH,
	 .apply = APPLY_NOTHING,
	 .label = "Backup Schedule",
	 .description = "Automatic backups at these times of day, in the organization's time zone"
		  " (production and staging); empty: none"},
	{.key = "backup_keep_daily", .tab = "odoo", .type = SETTING_INT, .min = 0, .max = 366,
	 .def_int = 7, .plan_flag = "allow_backup", .target = TARGET_BERTH, .apply = APPLY_NOTHING,
	 .label = "Daily Backups Kept",
	 .description = "Scheduled backups kept: the newest of each of this many latest days"},
	{.key = "backup_keep_weekly", .tab = "odoo", .type = SETTING_INT, .min = 0, .max = 520,
	 .def_int = 4, .plan_flag = "allow_backup", .target = TARGET_BERTH, .apply = APPLY_NOTHING,
	 .label = "Weekly Backups Kept",
	 .description = "Scheduled backups kept: the newest of each of this many latest weeks"},
	{.key = "backup_keep_monthly", .tab = "odoo", .type = SETTING_INT, .min = 0, .max = 1200,
	 .def_int = 12, .plan_flag = "allow_backup", .target = TARGET_BERTH, .apply = APPLY_NOTHING,
	 .label = "Monthly Backups Kept",
	 .description = "Scheduled backups kept: the newest of each of this many latest months"},
	{.key = "backup_manual_keep_days", .tab = "odoo", .type = SETTING_INT, .min = 0,
	 .max = 3650, .def_int = 0, .plan_flag = "allow_backup", .target = TARGET_BERTH,
	 .apply = APPLY_NOTHING,
	 .label = "Manual Backups Kept (days)",
	 .description = "Days manual and imported backups are kept (0: until deleted)"},
	{.key = "auto_restart", .tab = "odoo", .type = SETTING_BOOL, .def_int = 0,
	 .target = TARGET_ODOO_CONTAINER, .apply = APPLY_HARD_RESTART,
	 .label = "Auto Restart",
	 .description = "Restart the containers when they stop unexpectedly"},
	{.key = "neutralize_keep_crons", .tab = "odoo", .type = SETTING_LIST, .max = 100,
	 .valid = valid_odoo_xmlid,
	 .valid_what = "Odoo xml ids as module.name (e.g. mail.ir_cron_mail_scheduler_action)",
	 .target = TARGET_BERTH, .apply = APPLY_NOTHING,
	 .label = "Scheduled Actions Kept Active",
	 .description = "Scheduled actions (xml ids, one a line) left active when a copy of this "
			"environment's database is neutralized (base's autovacuum always is)"},
	{.key = "logs_max_mb", .tab = "odoo", .type = SETTING_INT, .min = 10, .max = 10240,
	 .def_int = 200, .target = TARGET_BERTH, .apply = APPLY_NOTHING,
	 .label = "Logs Kept (MB)",
	 .description = "Logs kept of replaced containers, all kinds together (MB; the oldest go first)"},

	/* PostgreSQL sub-tab (plan: allow_instance_tuning) */
	{.key = "postgres_shm_mb", .tab = "postgresql", .type = SETTING_INT, .min = 16,
	 .max = 65536, .def_int = 64, .plan_flag = "allow_instance_tuning",
	 .target = TARGET_PG_CONTAINER, .apply = APPLY_HARD_RESTART,
	 .label = "Shared Memory (MB)",
	 .description = "Shared memory of the PostgreSQL container (MB)"},
	{.key = "postgres_memory_limit_mb", .tab = "postgresql", .type = SETTING_INT, .min = 0,
	 .max = MB_MAX, .def_int = 0, .plan_flag = "allow_instance_tuning",
	 .target = TARGET_PG_CONTAINER, .apply = APPLY_HARD_RESTART,
	 .label = "Memory Limit (MB)",
	 .description = "Memory limit of the PostgreSQL container (MB, 0: the plan's share)"},
	{.key = "postgres_memory_reservation_mb", .tab = "postgresql", .type = SETTING_INT,
	 .min = 0, .max = MB_MAX, .def_int = 0, .plan_flag = "allow_instance_tuning",
	 .target = TARGET_PG_CONTAINER, .apply = APPLY_HARD_RESTART,
	 .label = "Reserved Memory (MB)",
	 .description = "Memory reservation of the PostgreSQL container (MB)"},
	{.key = "postgres_config", .tab = "postgresql", .type = SETTING_TEXT, .max = TEXT_MAX,
	 .plan_flag = "allow_instance_tuning", .target = TARGET_PG_CONF,
	 .apply = APPLY_HARD_RESTART,
	 .label = "PostgreSQL Configuration",
	 .description = "postgresql.conf lines added to the generated file"},
	{.key = "postgres_extensions", .tab = "postgresql", .type = SETTING_LIST, .max = 50,
	 .valid = v_extension, .valid_what = "PostgreSQL extension names (e.g. pg_trgm)",
	 .plan_flag = "allow_instance_tuning", .target = TARGET_PG_CONTAINER,
	 .apply = APPLY_HARD_RESTART, .label = "PostgreSQL Extensions",
	 .description = "Extensions to create"},
	{.key = "anonymize_database", .tab = "postgresql", .type = SETTING_BOOL, .def_int = 0,
	 .plan_flag = "allow_instance_tuning", .target = TARGET_BERTH, .apply = APPLY_NOTHING,
	 .label = "Anonymize Database",
	 .description = "Anonymize personal data when this database is cloned"},

	/* Security sub-tab */
	{.key = "cors_origins", .tab = "security", .type = SETTING_LIST, .max = 100,
	 .valid = valid_cors_origin,
	 .valid_what = "origins such as https://shop.example.com[:port], or *",
	 .target = TARGET_EDGE, .apply = APPLY_EDGE_RELOAD,
	 .label = "CORS Origins",
	 .description = "Origins allowed by Access-Control-Allow-Origin"},
	{.key = "ip_whitelist", .tab = "security", .type = SETTING_LIST, .max = 500,
	 .valid = valid_cidr, .valid_what = "IP addresses or CIDR ranges (e.g. 192.168.1.0/24)",
	 .plan_flag = "allow_ip_whitelist", .target = TARGET_EDGE, .apply = APPLY_EDGE_RELOAD,
	 .label = "IP Whitelist",
	 .description = "Only these addresses may connect (empty: everyone)"},
	{.key = "ip_blacklist", .tab = "security", .type = SETTING_LIST, .max = 500,
	 .valid = valid_cidr, .valid_what = "IP addresses or CIDR ranges (e.g. 203.0.113.7)",
	 .target = TARGET_EDGE, .apply = APPLY_EDGE_RELOAD,
	 .label = "IP Blacklist",
	 .description = "These addresses are refused"},
	{.key = "rate_limit", .tab = "security", .type = SETTING_BOOL, .def_int = 0,
	 .target = TARGET_EDGE, .apply = APPLY_EDGE_RELOAD,
	 .label = "Enable Rate Limiting",
	 .description = "Rate limiting at the edge proxy"},
	{.key = "rate_limit_login", .tab = "security", .type = SETTING_STRING, .max = 16,
	 .def_str = "5r/m", .valid = valid_nginx_rate, .valid_what = "a rate such as 5r/m or 60r/s",
	 .target = TARGET_EDGE, .apply = APPLY_EDGE_RELOAD,
	 .label = "Login Rate Limit",
	 .description = "Rate limit of the login page"},
	{.key = "rate_limit_general", .tab = "security", .type = SETTING_STRING, .max = 16,
	 .def_str = "60r/s", .valid = valid_nginx_rate,
	 .valid_what = "a rate such as 5r/m or 60r/s",
	 .target = TARGET_EDGE, .apply = APPLY_EDGE_RELOAD,
	 .label = "General Rate Limit",
	 .description = "Rate limit of every other request"},
	{.key = "csp", .tab = "security", .type = SETTING_BOOL, .def_int = 0,
	 .target = TARGET_EDGE, .apply = APPLY_EDGE_RELOAD,
	 .label = "Enable CSP",
	 .description = "Send a Content-Security-Policy header"},
	/* Odoo 16-19's backend and website: inline and eval'd scripts (the asset bundles, QWeb),
	 * data: and blob: images and workers, the bus over websockets, embedded https frames
	 * (maps, videos), fonts and styles from https CDNs (Google Fonts); no plugins */
	{.key = "csp_policy", .tab = "security", .type = SETTING_STRING, .max = 2048,
	 .def_str = CSP_DEFAULT, .valid = valid_csp_policy,
	 .valid_what = "a Content-Security-Policy value: printable ASCII without \", \\, $, { or }",
	 .target = TARGET_EDGE, .apply = APPLY_EDGE_RELOAD,
	 .label = "CSP Policy",
	 .description = "The Content-Security-Policy sent when CSP is on"},

	/* Domain sub-tab */
	{.key = "extra_domains", .tab = "domain", .type = SETTING_LIST, .max = 50,
	 .valid = valid_domain, .valid_what = "lowercase domain names (e.g. shop.example.com)",
	 .target = TARGET_EDGE, .apply = APPLY_EDGE_RELOAD,
	 .label = "Extra Domains",
	 .description = "More domains served by this environment"},
	{.key = "force_ssl", .tab = "domain", .type = SETTING_BOOL, .def_int = 0,
	 .target = TARGET_EDGE, .apply = APPLY_EDGE_RELOAD,
	 .label = "Force Generate SSL",
	 .description = "Issue the certificates again"},
	{.key = "hsts", .tab = "domain", .type = SETTING_BOOL, .def_int = 0,
	 .target = TARGET_EDGE, .apply = APPLY_EDGE_RELOAD,
	 .label = "Strict Transport Security (HSTS)",
	 .description = "Send Strict-Transport-Security once a domain has a certificate"},

	/* Nginx sub-tab (plan: allow_nginx_tuning) */
	{.key = "nginx_max_upload", .tab = "nginx", .type = SETTING_STRING, .max = 7,
	 .def_str = "100M", .valid = valid_nginx_size,
	 .valid_what = "a size such as 100M (up to 6 digits and k, m or g)",
	 .plan_flag = "allow_nginx_tuning", .target = TARGET_EDGE, .apply = APPLY_EDGE_RELOAD,
	 .label = "Max Upload Size",
	 .description = "client_max_body_size: the largest upload"},
	{.key = "nginx_proxy_read_timeout_s", .tab = "nginx", .type = SETTING_INT, .min = 1,
	 .max = 3600, .def_int = 300, .plan_flag = "allow_nginx_tuning", .target = TARGET_EDGE,
	 .apply = APPLY_EDGE_RELOAD, .label = "Proxy Read Timeout (s)",
	 .description = "How long the edge waits for Odoo's answer (s)"},
	{.key = "nginx_proxy_connect_timeout_s", .tab = "nginx", .type = SETTING_INT, .min = 1,
	 .max = 3600, .def_int = 30, .plan_flag = "allow_nginx_tuning", .target = TARGET_EDGE,
	 .apply = APPLY_EDGE_RELOAD, .label = "Proxy Connect Timeout (s)",
	 .description = "How long the edge waits to connect to Odoo (s)"},
	{.key = "nginx_keepalive_timeout_s", .tab = "nginx", .type = SETTING_INT, .min = 1,
	 .max = 3600, .def_int = 65, .plan_flag = "allow_nginx_tuning", .target = TARGET_EDGE,
	 .apply = APPLY_EDGE_RELOAD, .label = "Keepalive Timeout (s)",
	 .description = "How long idle client connections stay open (s)"},
	{.key = "nginx_send_timeout_s", .tab = "nginx", .type = SETTING_INT, .min = 1,
	 .max = 3600, .def_int = 60, .plan_flag = "allow_nginx_tuning", .target = TARGET_EDGE,
	 .apply = APPLY_EDGE_RELOAD, .label = "Send Timeout (s)",
	 .description = "The longest pause between two writes to a client (s)"},
	{.key = "nginx_x_frame_options", .tab = "nginx", .type = SETTING_ENUM,
	 .def_str = "SAMEORIGIN", .choices = X_FRAME, .plan_flag = "allow_nginx_tuning",
	 .target = TARGET_EDGE, .apply = APPLY_EDGE_RELOAD,
	 .label = "X-Frame-Options",
	 .description = "X-Frame-Options: who may show the site in a frame"},

	/* Packages sub-tab */
	{.key = "odoo_packages", .tab = "packages", .type = SETTING_LIST, .max = 100,
	 .valid = v_package, .valid_what = "Debian package names (e.g. libcups2-dev)",
	 .target = TARGET_ODOO_CONTAINER, .apply = APPLY_REBUILD,
	 .label = "Odoo Debian Packages",
	 .description = "Debian packages added to the Odoo image"},
	{.key = "postgres_packages", .tab = "packages", .type = SETTING_LIST, .max = 100,
	 .valid = v_package, .valid_what = "Debian package names (e.g. postgresql-contrib)",
	 .target = TARGET_PG_CONTAINER, .apply = APPLY_REBUILD,
	 .label = "PostgreSQL Debian Packages",
	 .description = "Debian packages added to the PostgreSQL image"},
};
/* clang-format on */

const char *const SETTINGS_TABS[] = {"odoo", "postgresql", "security", "domain", "nginx",
				      "packages", NULL};

bool settings_tab_valid(const char *tab)
{
	for (const char *const *t = SETTINGS_TABS; *t; t++)
		if (str_eq(*t, tab))
			return true;
	return false;
}

const char *settings_tab_plan_flag(const char *tab)
{
	if (str_eq(tab, "odoo") || str_eq(tab, "postgresql"))
		return "allow_instance_tuning";
	if (str_eq(tab, "nginx"))
		return "allow_nginx_tuning";
	return NULL;
}

const struct setting *setting_find(const char *key)
{
	if (!key)
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(TABLE); i++)
		if (strcmp(TABLE[i].key, key) == 0)
			return &TABLE[i];
	return NULL;
}

size_t settings_count(void)
{
	return ARRAY_SIZE(TABLE);
}

const struct setting *setting_at(size_t i)
{
	return i < ARRAY_SIZE(TABLE) ? &TABLE[i] : NULL;
}

static const struct setting *must(const char *key, bool want_str)
{
	const struct setting *s = setting_find(key);
	bool is_str = s && (s->type == SETTING_STRING || s->type == SETTING_ENUM ||
			    s->type == SETTING_TEXT);
	if (!s || (want_str != is_str) || (!want_str && s->type == SETTING_LIST)) {
		fprintf(stderr, "berth: internal: no %s setting '%s'\n", want_str ? "text" : "number",
			key ? key : "(null)");
		abort();
	}
	return s;
}

long long setting_default_int(const char *key)
{
	return must(key, false)->def_int;
}

bool setting_default_bool(const char *key)
{
	return must(key, false)->def_int != 0;
}

const char *setting_default_str(const char *key)
{
	return must(key, true)->def_str;
}

long long settings_get_int(json_t *settings, const char *key)
{
	const struct setting *s = must(key, false);
	json_t *v = json_object_get(settings, key);
	if (s->type == SETTING_BOOL)
		return json_is_boolean(v) ? json_is_true(v) : s->def_int;
	if (!json_is_integer(v) || json_integer_value(v) < s->min || json_integer_value(v) > s->max)
		return s->def_int;
	return json_integer_value(v);
}

bool settings_get_bool(json_t *settings, const char *key)
{
	return settings_get_int(settings, key) != 0;
}

const char *settings_get_str(json_t *settings, const char *key)
{
	const struct setting *s = must(key, true);
	const char *v = json_string_value(json_object_get(settings, key));
	return v && *v ? v : s->def_str; /* "" is "not set" (setting_check accepts it as such) */
}

static int bad(struct berr *err, const struct setting *s, const char *fmt, const char *what)
{
	return berr_set(err, BE_VALIDATION_ERROR, s->key, fmt, s->key, what);
}

static int check_line(const struct setting *s, const char *v, struct berr *err)
{
	if (!valid_text(v, false))
		return bad(err, s, "%s: %s", "one line of printable text");
	if (s->valid && !s->valid(v))
		return bad(err, s, "%s: must be %s", s->valid_what);
	char msg[200];
	if (s->check && s->check(v, msg, sizeof msg) < 0)
		return bad(err, s, "%s: %s", msg);
	return 0;
}

int setting_check(const struct setting *s, json_t *v, struct berr *err)
{
	if (!s)
		return berr_set(err, BE_VALIDATION_ERROR, NULL, "unknown setting");
	if (json_is_null(v))
		return 0;
	char range[64];
	switch (s->type) {
	case SETTING_BOOL:
		if (!json_is_boolean(v))
			return bad(err, s, "%s: %s", "must be true or false");
		return 0;
	case SETTING_INT:
		snprintf(range, sizeof range, "an integer from %lld to %lld", s->min, s->max);
		if (!json_is_integer(v) || json_integer_value(v) < s->min ||
		    json_integer_value(v) > s->max)
			return bad(err, s, "%s: must be %s", range);
		return 0;
	case SETTING_ENUM:
		if (json_is_string(v))
			for (const char *const *c = s->choices; *c; c++)
				if (strcmp(*c, json_string_value(v)) == 0)
					return 0;
		{
			struct sbuf sb = SBUF_INIT;
			for (const char *const *c = s->choices; *c; c++)
				sbuf_addf(&sb, "%s%s", c == s->choices ? "" : c[1] ? ", " : " or ", *c);
			bad(err, s, "%s: must be %s", sb.buf);
			sbuf_release(&sb);
		}
		return -1;
	case SETTING_STRING:
	case SETTING_TEXT:
		if (!json_is_string(v))
			return bad(err, s, "%s: %s", "must be a string");
		if ((long long)json_string_length(v) > s->max) {
			snprintf(range, sizeof range, "at most %lld characters", s->max);
			return bad(err, s, "%s: %s", range);
		}
		if (s->type == SETTING_TEXT)
			return valid_text(json_string_value(v), true)
				       ? 0
				       : bad(err, s, "%s: %s", "printable text (lines and tabs allowed)");
		if (!*json_string_value(v))
			return 0; /* empty: not set */
		return check_line(s, json_string_value(v), err);
	case SETTING_LIST: {
		if (!json_is_array(v))
			return bad(err, s, "%s: %s", "must be a list of strings");
		if ((long long)json_array_size(v) > s->max) {
			snprintf(range, sizeof range, "at most %lld entries", s->max);
			return bad(err, s, "%s: %s", range);
		}
		size_t i;
		json_t *x;
		json_array_foreach(v, i, x) {
			if (!json_is_string(x) || !*json_string_value(x))
				return bad(err, s, "%s: %s", "every entry must be a non-empty string");
			if (check_line(s, json_string_value(x), err) < 0)
				return -1;
		}
		return 0;
	}
	}
	return bad(err, s, "%s: %s", "has an unknown type");
}

int settings_check(json_t *patch, struct berr *err)
{
	if (!json_is_object(patch))
		return berr_set(err, BE_VALIDATION_ERROR, "settings", "settings: must be an object");
	const char *k;
	json_t *v;
	json_object_foreach(patch, k, v) {
		const struct setting *s = setting_find(k);
		if (!s)
			return berr_set(err, BE_VALIDATION_ERROR, k, "%s: no such setting", k);
		if (setting_check(s, v, err) < 0)
			return -1;
	}
	return 0;
}

json_t *settings_value(const struct setting *s, json_t *settings)
{
	json_t *v = json_object_get(settings, s->key);
	if (v && !json_is_null(v))
		return json_incref(v);
	switch (s->type) {
	case SETTING_BOOL:
		return json_boolean(s->def_int);
	case SETTING_INT:
		return json_integer(s->def_int);
	case SETTING_LIST:
		return json_array();
	default:
		return s->def_str ? json_string(s->def_str) : json_string("");
	}
}

enum setting_apply settings_apply_needed(json_t *before, json_t *after)
{
	enum setting_apply need = APPLY_NOTHING;
	for (size_t i = 0; i < ARRAY_SIZE(TABLE); i++) {
		const struct setting *s = &TABLE[i];
		json_t *a = settings_value(s, before), *b = settings_value(s, after);
		if (!json_equal(a, b) && s->apply > need)
			need = s->apply;
		json_decref(a);
		json_decref(b);
	}
	return need;
}

const char *setting_type_name(enum setting_type t)
{
	static const char *const n[] = {"bool", "int", "string", "enum", "text", "list"};
	return (size_t)t < ARRAY_SIZE(n) ? n[t] : "?";
}

const char *setting_target_name(enum setting_target t)
{
	static const char *const n[] = {"odoo container", "postgresql container", "edge",
					"odoo.conf", "postgresql.conf", "berth"};
	return (size_t)t < ARRAY_SIZE(n) ? n[t] : "?";
}

const char *setting_apply_name(enum setting_apply a)
{
	static const char *const n[] = {"nothing", "edge reload", "soft restart", "hard restart",
					"rebuild"};
	return (size_t)a < ARRAY_SIZE(n) ? n[a] : "?";
}

/* ---- platform settings ---- */

static const struct platform_setting PLATFORM[] = {
	{"monitoring_interval_s", 10, 300, 30, "Seconds between two monitoring samples"},
	{"monitoring_full_retention_s", 10, 48 * 3600, 48 * 3600,
	 "Seconds samples are kept at full resolution (then folded into 5-minute rows)"},
	{"monitoring_retention_s", 10, 30 * 86400, 30 * 86400,
	 "Seconds the 5-minute rows are kept"},
	{"logs_max_mb", 10, 10240, 200,
	 "MB of logs of replaced containers kept per environment (an environment's own"
	 " logs_max_mb setting overrides it)"},
};

const struct platform_setting *platform_setting_find(const char *key)
{
	for (size_t i = 0; i < ARRAY_SIZE(PLATFORM); i++)
		if (str_eq(PLATFORM[i].key, key))
			return &PLATFORM[i];
	return NULL;
}

size_t platform_settings_count(void)
{
	return ARRAY_SIZE(PLATFORM);
}

const struct platform_setting *platform_setting_at(size_t i)
{
	return i < ARRAY_SIZE(PLATFORM) ? &PLATFORM[i] : NULL;
}
