/* The renderers: golden files for three representative environments (byte for byte; run with
 * BERTH_UPDATE_GOLDEN=1 to rewrite them), injection and filtering, PGTune's numbers, and the
 * rendered nginx configuration checked by the real `nginx -t` when nginx is installed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <fcntl.h>
#include <pwd.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/envspec.h"
#include "lib/util.h"
#include "render/render.h"

extern char **environ;

/* ---- golden files ---- */

static char golden_root[1024];

static const char *golden_dir(void)
{
	if (golden_root[0])
		return golden_root;
	const char *env = getenv("BERTH_GOLDEN_DIR");
	if (env && *env) {
		snprintf(golden_root, sizeof golden_root, "%s", env);
		return golden_root;
	}
	/* __FILE__ is tests/unit/test_render.c (relative to the repository when built by make) */
	char file[900];
	snprintf(file, sizeof file, "%s", __FILE__);
	char *slash = strrchr(file, '/');
	if (slash)
		*slash = '\0';
	slash = strrchr(file, '/');
	if (slash) {
		*slash = '\0';
		snprintf(golden_root, sizeof golden_root, "%s/golden/render", file);
	} else {
		snprintf(golden_root, sizeof golden_root, "tests/golden/render");
	}
	return golden_root;
}

static void mkdirs(const char *path)
{
	char buf[1200];
	snprintf(buf, sizeof buf, "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(buf, 0755);
			*p = '/';
		}
	}
	mkdir(buf, 0755);
}

static bool updating(void)
{
	const char *u = getenv("BERTH_UPDATE_GOLDEN");
	return u && strcmp(u, "1") == 0;
}

/* Compares `got` with tests/golden/render/<name>, or rewrites it when updating. */
static void golden(const char *name, const char *got)
{
	assert_non_null(got);
	char path[1200];
	snprintf(path, sizeof path, "%s/%s", golden_dir(), name);
	if (updating()) {
		char dir[1200];
		snprintf(dir, sizeof dir, "%s", path);
		*strrchr(dir, '/') = '\0';
		mkdirs(dir);
		assert_int_equal(write_file_atomic(path, got, strlen(got), 0644), 0);
		return;
	}
	size_t len = 0;
	char *want = read_file(path, &len);
	if (!want)
		fail_msg("missing golden file %s (run with BERTH_UPDATE_GOLDEN=1 to create it)", path);
	if (strcmp(want, got) != 0) {
		const char *a = want, *b = got;
		int line = 1;
		while (*a && *a == *b) {
			if (*a == '\n')
				line++;
			a++;
			b++;
		}
		const char *ae = strchr(a, '\n'), *be = strchr(b, '\n');
		fprintf(stderr, "%s differs at line %d\n  golden:   %.*s\n  rendered: %.*s\n", path, line,
			(int)(ae ? ae - a : (long)strlen(a)), a, (int)(be ? be - b : (long)strlen(b)), b);
		free(want);
		fail_msg("%s: rendered output differs (BERTH_UPDATE_GOLDEN=1 rewrites it)", path);
	}
	free(want);
}

/* ---- the three environments ---- */

struct envcase {
	const char *name;
	struct env_resources res;
	const char *env_type;
	const char *config_json;   /* odoo_config as given to the API */
	bool pgtune, pgbouncer, replica;
	const char *odoo_extra, *pg_extra;
	const char *names[3];
	size_t n_names;
	const char *cert, *key;
	const char *max_upload, *xfo;
	int read_to, connect_to, keepalive_to, send_to;
	const char *addons_path;
};

static const struct envcase CASES[] = {
	{
		.name = "standard",
		.res = {.cpu_cores = 2.0, .ram_mb = 4096, .disk_gb = 20},
		.env_type = "production",
		.config_json = "{}",
		.pgtune = true,
		.pgbouncer = true,
		.names = {"shop.apps.example.com"},
		.n_names = 1,
		.max_upload = "100M",
		.xfo = "SAMEORIGIN",
		.read_to = 300, .connect_to = 30, .keepalive_to = 65, .send_to = 60,
	},
	{
		.name = "tiny",
		.res = {.cpu_cores = 0.25, .ram_mb = 512, .disk_gb = 1},
		.env_type = "development",
		.config_json = "{\"preset\": \"minimal\"}",
		.names = {"dev-1.apps.example.com"},
		.n_names = 1,
		.max_upload = "20m",
		.xfo = "DENY",
		.read_to = 60, .connect_to = 5, .keepalive_to = 15, .send_to = 30,
	},
	{
		.name = "full",
		.res = {.cpu_cores = 16, .ram_mb = 32768, .disk_gb = 200, .pg_custom = true,
			.pg_cpu_cores = 6, .pg_ram_mb = 16384},
		.env_type = "production",
		.config_json = "{\"preset\": \"high_performance\", \"log_level\": \"info\","
			       " \"db_filter\": \"^(shop|shop-test)$\", \"session_timeout\": 480,"
			       " \"smtp\": {\"host\": \"smtp.example.com\", \"encryption\": \"starttls\","
			       " \"user\": \"odoo@example.com\", \"password\": \"s3cr%t;#pass\","
			       " \"from\": \"noreply@example.com\"}}",
		.pgtune = true,
		.pgbouncer = true,
		.replica = true,
		.odoo_extra = "[options]\r\n"
			      "; tuned for the import jobs\r\n"
			      "workers = 12\r\n"
			      "limit_time_cpu = 600\r\n"
			      "limit_time_real=1200\r\n"
			      "  server_wide_modules = base,web,queue_job\r\n"
			      "admin_passwd = hijack\r\n"
			      "http_port = 80\r\n"
			      "smtp_port = 25\r\n"
			      "db_password = x\r\n"
			      "workers = 16\r\n"
			      "this is not a setting\r\n"
			      "Workers = 3\r\n"
			      "csv_internal_sep = %\r\n"
			      "\r\n"
			      "[queue_job]\r\n"
			      "channels = root:4\r\n",
		.pg_extra = "# reporting queries\n"
			    "work_mem = 64MB\t\t# per sort\n"
			    "shared_preload_libraries = 'pg_stat_statements'\n"
			    "pg_stat_statements.track = all\n"
			    "search_path = \"$user\", public\n"
			    "log_line_prefix = '%m [%p] ''%d'' '\n"
			    "listen_addresses = 'localhost'\n"
			    "include = '/etc/passwd'\n"
			    "include_dir '/tmp'\n"
			    "; a semicolon comment\n"
			    "random_page_cost = 1.5\n"
			    "default_text_search_config = pg_catalog.english\n"
			    "log_directory = /var/log/pg\\x\n",
		.names = {"erp.acme-corp.com", "shop.apps.example.com", "erp.acme-corp.com"},
		.n_names = 3,
		.cert = "/etc/berth/certs/erp.acme-corp.com/fullchain.pem",
		.key = "/etc/berth/certs/erp.acme-corp.com/privkey.pem",
		.max_upload = "512M",
		.xfo = "SAMEORIGIN",
		.read_to = 900, .connect_to = 10, .keepalive_to = 75, .send_to = 120,
		.addons_path = "/mnt/extra-addons,/mnt/repos/oca-queue",
	},
};

#define PG_HOST "berth-da63639c1afe-db"
#define PGB_HOST "berth-da63639c1afe-pgbouncer"
#define ODOO_HOST "berth-da63639c1afe-odoo"
#define REPLICA_HOST "berth-da63639c1afe-db-replica"

struct rendered {
	char *odoo, *pg, *hba, *ini, *users, *site;
};

static json_t *effective_for(const struct envcase *c, struct env_resources *r, json_t **cfg,
			     char **smtp_pw)
{
	struct berr err = {0};
	*r = c->res;
	assert_int_equal(env_resources_compute(r, &err), 0);
	json_t *in = json_loads(c->config_json, 0, NULL);
	assert_non_null(in);
	bool clear = false;
	*cfg = odoo_config_normalize(in, NULL, smtp_pw, &clear, &err);
	json_decref(in);
	assert_non_null(*cfg);
	return odoo_config_effective(*cfg, r->odoo_cpu_c, r->odoo_ram_mb, c->env_type);
}

static void render_case(const struct envcase *c, struct rendered *out, const char *cert,
			const char *key)
{
	struct berr err = {0};
	struct env_resources r;
	json_t *cfg = NULL;
	char *smtp_pw = NULL;
	json_t *eff = effective_for(c, &r, &cfg, &smtp_pw);
	memset(out, 0, sizeof *out);

	struct render_pgbouncer b = {PG_HOST, "shop", "odoo", "Zx9fQ2mL7pR4tW8k", r.pg_cpu_c,
				     r.pg_ram_mb};
	int pool = 0, maxc = 0, pg_max = 0;
	render_pgbouncer_pools(&b, &pool, &maxc, &pg_max);
	struct render_pg p = {
		.cpu_c = r.pg_cpu_c,
		.ram_mb = r.pg_ram_mb,
		.pgtune = c->pgtune,
		.max_connections = c->pgbouncer ? pg_max : 100,
		.pg_major = 15,
		.replication = c->replica,
		.extra = c->pg_extra,
	};
	out->pg = render_postgresql_conf(&p, &err);
	assert_non_null(out->pg);
	out->hba = render_pg_hba("odoo", c->replica, "replicator", &err);
	assert_non_null(out->hba);
	if (c->pgbouncer) {
		out->ini = render_pgbouncer_ini(&b, &err);
		out->users = render_pgbouncer_userlist(&b, &err);
		assert_non_null(out->ini);
		assert_non_null(out->users);
	}
	struct render_odoo o = {
		.db_host = c->pgbouncer ? PGB_HOST : PG_HOST,
		.db_port = c->pgbouncer ? 6432 : 5432,
		.db_user = "odoo",
		.db_password = "Zx9fQ2mL7pR4tW8k",
		.db_name = "shop",
		.admin_passwd = "aD7kP0qZr5Tn2VwX",
		.replica_host = c->replica ? REPLICA_HOST : NULL,
		.replica_port = 5432,
		.config = cfg,
		.effective = eff,
		.smtp_password = smtp_pw,
		.addons_path = c->addons_path,
		.extra = c->odoo_extra,
	};
	out->odoo = render_odoo_conf(&o, &err);
	if (!out->odoo)
		fail_msg("render_odoo_conf: %s", err.message);
	struct render_site s = {
		.env_id = "da63639c-1afe-4c2b-9d7e-3f1a2b3c4d5e",
		.server_names = c->names,
		.n_server_names = c->n_names,
		.odoo_host = ODOO_HOST,
		.http_port = 8069,
		.gevent_port = 8072,
		.websocket_on_gevent = json_integer_value(json_object_get(eff, "workers")) > 0,
		.max_upload = c->max_upload,
		.proxy_read_timeout_s = c->read_to,
		.proxy_connect_timeout_s = c->connect_to,
		.keepalive_timeout_s = c->keepalive_to,
		.send_timeout_s = c->send_to,
		.x_frame_options = c->xfo,
		.connect = true, /* as edge_site renders every site */
	};
	/* the certificate covers the first name (given twice); the others stay on plain HTTP.
	 * With it: OCSP stapling, HSTS and Cloudflare's real IP (two of its ranges). */
	const char *certs[3] = {0}, *keys[3] = {0};
	bool staple[3] = {0};
	static const char *const CF[] = {"173.245.48.0/20", "2400:cb00::/32"};
	for (size_t i = 0; cert && i < c->n_names; i++)
		if (strcmp(c->names[i], c->names[0]) == 0) {
			certs[i] = cert;
			keys[i] = key;
			staple[i] = true;
		}
	if (cert) {
		s.cert_paths = certs;
		s.key_paths = keys;
		s.stapling = staple;
		s.hsts = true;
		s.cloudflare = true;
		s.real_ip_from = CF;
		s.n_real_ip_from = ARRAY_SIZE(CF);
	}
	out->site = render_nginx_site(&s, &err);
	if (!out->site)
		fail_msg("render_nginx_site: %s", err.message);
	json_decref(cfg);
	json_decref(eff);
	free(smtp_pw);
}

static void rendered_free(struct rendered *r)
{
	free(r->odoo);
	free(r->pg);
	free(r->hba);
	free(r->ini);
	free(r->users);
	free(r->site);
}

static void test_golden_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(CASES); i++) {
		const struct envcase *c = &CASES[i];
		struct rendered r;
		render_case(c, &r, c->cert, c->key);
		char name[128];
#define G(file, v)                                                        \
	do {                                                              \
		snprintf(name, sizeof name, "%s/%s", c->name, file);      \
		golden(name, v);                                          \
	} while (0)
		G("odoo.conf", r.odoo);
		G("postgresql.conf", r.pg);
		G("pg_hba.conf", r.hba);
		if (r.ini) {
			G("pgbouncer.ini", r.ini);
			G("userlist.txt", r.users);
		}
		G("site.conf", r.site);
#undef G
		rendered_free(&r);
	}
	struct berr err = {0};
	char *main_conf = render_nginx_main(80, 443, &err);
	golden("nginx.conf", main_conf);
	free(main_conf);
}

/* ---- helpers for the negative tests ---- */

static int count_lines_starting(const char *text, const char *prefix)
{
	int n = 0;
	size_t pl = strlen(prefix);
	for (const char *p = text; p && *p;) {
		if (strncmp(p, prefix, pl) == 0)
			n++;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return n;
}

static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = text; p && *p;) {
		if (strncmp(p, line, n) == 0 && (p[n] == '\n' || p[n] == '\0'))
			return true;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return false;
}

static json_t *standard_effective(void)
{
	return json_pack("{s:s,s:i,s:i,s:s,s:i,s:i}", "preset", "standard", "workers", 3,
			 "max_cron_threads", 2, "log_level", "info", "limit_memory_soft_mb", 572,
			 "limit_memory_hard_mb", 680);
}

static struct render_odoo base_odoo(json_t *cfg, json_t *eff)
{
	struct render_odoo o = {
		.db_host = PGB_HOST,
		.db_port = 6432,
		.db_user = "odoo",
		.db_password = "pw",
		.db_name = "shop",
		.admin_passwd = "admin-secret",
		.config = cfg,
		.effective = eff,
	};
	return o;
}

/* ---- odoo.conf ---- */

static void test_odoo_injection(void **state)
{
	(void)state;
	json_t *eff = standard_effective();
	json_t *cfg = json_object();
	static const char *const BAD[] = {"x\nadmin_passwd = y", "x\r", "x\ty", "x\x7f",
					  "x\xc2\x85y", "x\xe2\x80\xa8y", "\xff", " x", "x ", "",
					  "None", "False"};
	for (size_t i = 0; i < ARRAY_SIZE(BAD); i++) {
		const char *fields[] = {"db_host", "db_user", "db_password", "db_name",
					"admin_passwd", "replica_host", "addons_path",
					"odoo_config.smtp.password"};
		for (size_t f = 0; f < ARRAY_SIZE(fields); f++) {
			struct render_odoo o = base_odoo(cfg, eff);
			switch (f) {
			case 0: o.db_host = BAD[i]; break;
			case 1: o.db_user = BAD[i]; break;
			case 2: o.db_password = BAD[i]; break;
			case 3: o.db_name = BAD[i]; break;
			case 4: o.admin_passwd = BAD[i]; break;
			case 5: o.replica_host = BAD[i]; o.replica_port = 5432; break;
			case 6: o.addons_path = BAD[i]; break;
			case 7: o.smtp_password = BAD[i]; break;
			}
			struct berr err = {0};
			char *s = render_odoo_conf(&o, &err);
			if (s)
				fail_msg("%s accepted %s", fields[f], BAD[i]);
			assert_int_equal(err.code, BE_VALIDATION_ERROR);
			assert_string_equal(err.field, fields[f]);
		}
		/* JSON strings from odoo_config */
		const char *cfields[] = {"host", "user", "from"};
		for (size_t f = 0; f < ARRAY_SIZE(cfields); f++) {
			json_t *c = json_pack("{s:{s:s,s:s}}", "smtp", "host", "smtp.example.com",
					      "encryption", "starttls");
			json_object_set_new(json_object_get(c, "smtp"), cfields[f],
					    json_string_nocheck(BAD[i]));
			struct render_odoo o = base_odoo(c, eff);
			struct berr err = {0};
			char field[64];
			snprintf(field, sizeof field, "odoo_config.smtp.%s", cfields[f]);
			if (render_odoo_conf(&o, &err))
				fail_msg("smtp.%s accepted %s", cfields[f], BAD[i]);
			assert_string_equal(err.field, field);
			json_decref(c);
		}
		json_t *c = json_object();
		json_object_set_new(c, "db_filter", json_string_nocheck(BAD[i]));
		struct render_odoo o = base_odoo(c, eff);
		struct berr err = {0};
		assert_null(render_odoo_conf(&o, &err));
		assert_string_equal(err.field, "odoo_config.db_filter");
		json_decref(c);
	}
	json_t *e2 = json_pack("{s:s}", "log_level", "info\nadmin_passwd = x");
	struct render_odoo o = base_odoo(cfg, e2);
	struct berr err = {0};
	assert_null(render_odoo_conf(&o, &err));
	assert_string_equal(err.field, "log_level");
	json_decref(e2);
	json_decref(cfg);
	json_decref(eff);
}

static void test_odoo_extra_filter(void **state)
{
	(void)state;
	json_t *eff = standard_effective();
	json_t *cfg = json_object();
	struct render_odoo o = base_odoo(cfg, eff);
	o.extra = "admin_passwd = mine\n"
		  "data_dir = /tmp\n"
		  "http_port = 80\n"
		  "longpolling_port = 8073\n"
		  "db_host = evil\n"
		  "db_port = 1\n"
		  "db_user = postgres\n"
		  "db_password = x\n"
		  "db_name = other\n"
		  "dbfilter = .*\n"
		  "list_db = True\n"
		  "addons_path = /tmp\n"
		  "proxy_mode = False\n"
		  "[other]\n"
		  "unaccent = True\n"
		  "[options]\n"
		  "workers = 7\n"
		  "   db_password = continuation-attempt\n"
		  "max_cron_threads = 1\n"
		  "workers = 9\n"
		  "email_from = a@b.c ; not a comment\n"
		  "without_demo = all\n"
		  "limit_time_cpu\t=\t600\n";
	struct berr err = {0};
	char *s = render_odoo_conf(&o, &err);
	assert_non_null(s);
	static const char *const ONCE[] = {"admin_passwd =", "data_dir =", "http_port =",
					   "db_host =", "db_port =", "db_user =", "db_password =",
					   "db_name =", "dbfilter =", "list_db =", "proxy_mode =",
					   "workers =", "max_cron_threads =", "limit_time_cpu ="};
	for (size_t i = 0; i < ARRAY_SIZE(ONCE); i++)
		if (count_lines_starting(s, ONCE[i]) != 1)
			fail_msg("%s appears %d times:\n%s", ONCE[i], count_lines_starting(s, ONCE[i]), s);
	assert_int_equal(count_lines_starting(s, "addons_path ="), 0);
	assert_int_equal(count_lines_starting(s, "longpolling_port ="), 0);
	assert_int_equal(count_lines_starting(s, "unaccent ="), 0);
	assert_int_equal(count_lines_starting(s, "["), 1);
	assert_true(has_line(s, "admin_passwd = admin-secret"));
	assert_true(has_line(s, "db_password = pw"));
	assert_true(has_line(s, "workers = 9"));
	assert_true(has_line(s, "max_cron_threads = 1"));
	assert_true(has_line(s, "limit_time_cpu = 600"));
	assert_true(has_line(s, "limit_time_real = 120"));
	assert_true(has_line(s, "email_from = a@b.c ; not a comment"));
	assert_true(has_line(s, "without_demo = all"));
	assert_true(has_line(s, "dbfilter = ^shop$"));
	assert_null(strstr(s, "continuation-attempt"));
	assert_null(strstr(s, "\n "));  /* no line starts with a space (continuation) */
	assert_null(strstr(s, "\n\t"));
	free(s);
	json_decref(cfg);
	json_decref(eff);
}

/* A non-production environment's odoo.conf sends through its mail catcher, whatever the SMTP
 * settings and the user's own lines say (issue 14). */
static void test_odoo_mail_catcher(void **state)
{
	(void)state;
	json_t *eff = standard_effective();
	json_t *cfg = json_pack("{s:{s:s,s:i,s:s,s:s,s:s}}", "smtp", "host", "mail.example.com",
				"port", 587, "encryption", "starttls", "user", "u", "from",
				"shop@example.com");
	struct render_odoo o = base_odoo(cfg, eff);
	o.smtp_password = "secret-pw";
	o.mail_catcher = "berth-0123456789ab-mail";
	o.extra = "smtp_server = evil.example.com\nsmtp_user = x\nsmtp_ssl = True\n"
		  "smtp_password = y\nworkers = 2\n";
	struct berr err = {0};
	char *s = render_odoo_conf(&o, &err);
	assert_non_null(s);
	assert_true(has_line(s, "smtp_server = berth-0123456789ab-mail"));
	assert_true(has_line(s, "smtp_port = 1025"));
	assert_true(has_line(s, "smtp_ssl = False"));
	assert_true(has_line(s, "email_from = shop@example.com"));
	assert_null(strstr(s, "mail.example.com"));
	assert_null(strstr(s, "evil.example.com"));
	assert_null(strstr(s, "secret-pw"));
	assert_null(strstr(s, "\nsmtp_user ="));
	assert_null(strstr(s, "\nsmtp_password ="));
	assert_true(has_line(s, "workers = 2"));
	free(s);
	/* production (no catcher): the SMTP settings as they are */
	o.mail_catcher = NULL;
	o.extra = NULL;
	s = render_odoo_conf(&o, &err);
	assert_true(has_line(s, "smtp_server = mail.example.com"));
	assert_true(has_line(s, "smtp_password = secret-pw"));
	free(s);
	o.mail_catcher = "bad name\nsmtp_server = x";
	assert_null(render_odoo_conf(&o, &err));
	assert_int_equal(err.code, BE_VALIDATION_ERROR);
	json_decref(cfg);
	json_decref(eff);
}

static void test_odoo_values(void **state)
{
	(void)state;
	json_t *eff = standard_effective();
	json_t *cfg = json_pack("{s:{s:s,s:i,s:s,s:s}}", "smtp", "host", "mail.example.com", "port",
				25, "encryption", "none", "user", "u");
	struct render_odoo o = base_odoo(cfg, eff);
	o.db_name = "my.shop-1";
	o.smtp_password = "100%;#x";
	o.replica_host = REPLICA_HOST;
	o.replica_port = 5432;
	struct berr err = {0};
	char *s = render_odoo_conf(&o, &err);
	assert_non_null(s);
	assert_true(has_line(s, "dbfilter = ^my\\.shop-1$"));
	assert_true(has_line(s, "smtp_password = 100%;#x"));
	assert_true(has_line(s, "smtp_ssl = False"));
	assert_true(has_line(s, "smtp_port = 25"));
	assert_true(has_line(s, "limit_memory_soft = 599785472"));
	assert_true(has_line(s, "limit_memory_hard = 713031680"));
	assert_true(has_line(s, "db_replica_host = " REPLICA_HOST));
	assert_true(has_line(s, "db_replica_port = 5432"));
	/* 3 workers + 2 cron + gevent = 6 processes: 80 / 6 = 13 connections each */
	assert_true(has_line(s, "db_maxconn = 13"));
	assert_null(strstr(s, "session"));
	free(s);

	/* the user's workers count decides db_maxconn (and the websocket port, for the caller) */
	o.extra = "workers = 17\nmax_cron_threads = 2\n";
	s = render_odoo_conf(&o, &err);
	assert_true(has_line(s, "db_maxconn = 8")); /* 17 + 2 + 1 processes */
	free(s);
	o.extra = "workers = 0\n";
	s = render_odoo_conf(&o, &err);
	assert_true(has_line(s, "db_maxconn = 64")); /* one threaded process */
	free(s);
	assert_int_equal(render_odoo_extra_int("workers = 4\n", "workers", 0), 4);
	assert_int_equal(render_odoo_extra_int("  workers=2\r\n", "workers", 0), 2);
	assert_int_equal(render_odoo_extra_int("workers = 4\nworkers = x\n", "workers", 3), 3);
	assert_int_equal(render_odoo_extra_int("workers = -1\n", "workers", 3), 3);
	assert_int_equal(render_odoo_extra_int("http_port = 1\n", "http_port", 8069), 8069);
	assert_int_equal(render_odoo_extra_int("[x]\nworkers = 4\n", "workers", 0), 0);
	assert_int_equal(render_odoo_extra_int(NULL, "workers", 5), 5);
	json_decref(cfg);
	json_decref(eff);
}

/* ---- postgresql.conf, pg_hba.conf ---- */

static void size_is(long long kb, const char *want)
{
	char got[32];
	render_pg_size(kb, got);
	assert_string_equal(got, want);
}

static void test_pgtune_numbers(void **state)
{
	(void)state;
	struct render_pgtune t;
	/* 1229 MB (30% of 4 GB), 0.6 core, 42 connections */
	render_pgtune(60, 1229, 42, &t);
	assert_int_equal(t.cpus, 1);
	assert_int_equal(t.ram_kb, 1258496);
	assert_int_equal(t.shared_buffers_kb, 314624);
	assert_int_equal(t.effective_cache_size_kb, 943872);
	assert_int_equal(t.maintenance_work_mem_kb, 78656);
	assert_int_equal(t.wal_buffers_kb, 9438);            /* 3% of 314624 */
	assert_int_equal(t.work_mem_kb, 943872 / ((42 + 8) * 3));
	assert_int_equal(t.work_mem_kb, 6292);
	assert_false(t.huge_pages);
	assert_int_equal(t.max_worker_processes, 0);
	size_is(t.shared_buffers_kb, "314624kB");
	size_is(t.min_wal_size_kb, "1GB");
	size_is(t.max_wal_size_kb, "4GB");

	/* 16 GB, 8 cores, 200 connections */
	render_pgtune(800, 16384, 200, &t);
	size_is(t.shared_buffers_kb, "4GB");
	size_is(t.effective_cache_size_kb, "12GB");
	size_is(t.maintenance_work_mem_kb, "1GB");
	size_is(t.wal_buffers_kb, "16MB");
	assert_true(t.huge_pages);
	assert_int_equal(t.cpus, 8);
	assert_int_equal(t.max_worker_processes, 8);
	assert_int_equal(t.max_parallel_workers_per_gather, 4);
	assert_int_equal(t.max_parallel_workers, 8);
	assert_int_equal(t.max_parallel_maintenance_workers, 4);
	assert_int_equal(t.work_mem_kb, (16777216 - 4194304) / ((200 + 8) * 3)); 
	size_is(t.work_mem_kb, "20164kB");

	/* 4.5 cores -> 5 CPUs: parallel settings from 4 CPUs on, ceil(5/2) = 3 */
	render_pgtune(450, 8192, 100, &t);
	assert_int_equal(t.cpus, 5);
	assert_int_equal(t.max_parallel_workers_per_gather, 3);
	assert_int_equal(t.max_parallel_maintenance_workers, 3);
	assert_int_equal(t.work_mem_kb, (8388608 - 2097152) / ((100 + 5) * 3));
	assert_true(t.huge_pages); /* exactly 2 GB */
	render_pgtune(300, 8188, 100, &t);
	assert_false(t.huge_pages); /* just under 2 GB of shared_buffers */
	assert_int_equal(t.max_worker_processes, 0);

	/* maintenance_work_mem capped at 2 GB (64 GB / 16 = 4 GB) */
	render_pgtune(1600, 65536, 200, &t);
	size_is(t.maintenance_work_mem_kb, "2GB");

	/* wal_buffers: 14-16 MB rounds up to 16 MB, at least 32 kB */
	render_pgtune(100, 2000, 100, &t); /* shared_buffers 512000 kB, 3% = 15360 kB */
	assert_int_equal(t.wal_buffers_kb, 16384);
	render_pgtune(100, 1900, 100, &t); /* 486400 kB, 3% = 14592 kB */
	assert_int_equal(t.wal_buffers_kb, 16384);
	render_pgtune(100, 1800, 100, &t); /* 460800 kB, 3% = 13824 kB: kept */
	assert_int_equal(t.wal_buffers_kb, 13824);
	render_pgtune(100, 4, 100, &t); /* 1024 kB, 3% = 30 kB */
	assert_int_equal(t.wal_buffers_kb, 32);
	size_is(t.wal_buffers_kb, "32kB");

	/* work_mem floor 64 kB */
	render_pgtune(100, 128, 5000, &t);
	assert_int_equal(t.work_mem_kb, 64);
	/* 128 MB */
	render_pgtune(10, 128, 100, &t);
	size_is(t.shared_buffers_kb, "32MB");
	size_is(t.effective_cache_size_kb, "96MB");
	size_is(t.maintenance_work_mem_kb, "8MB");
	size_is(t.wal_buffers_kb, "983kB");
}

static void test_pg_conf(void **state)
{
	(void)state;
	struct render_pg p = {.cpu_c = 60, .ram_mb = 1229, .pgtune = false, .max_connections = 0,
			      .extra = "port = 6000\n"
				       "listen_addresses = '*'\n"
				       "data_directory = '/x'\n"
				       "hba_file = '/x'\n"
				       "ident_file = '/x'\n"
				       "include_if_exists = '/x'\n"
				       "unix_socket_directories = '/tmp'\n"
				       "max_connections = 300\n"
				       "max_connections = 250\n"
				       "[main]\n"
				       "statement_timeout = 30s # bounded\n"
				       "application_name = a'b\\c\n"
				       "Shared_Buffers = 1GB\n"
				       "search_path =\n"
				       "no_such_parameter = 1\n"
				       "pg_stat_statements.track = all\n"
				       "archive_command = 'rm -rf /'\n"
				       "shared_preload_libraries = 'x'\n"};
	struct berr err = {0};
	char *s = render_postgresql_conf(&p, &err);
	assert_non_null(s);
	assert_int_equal(count_lines_starting(s, "port ="), 1);
	assert_true(has_line(s, "port = 5432"));
	assert_true(has_line(s, "listen_addresses = '*'"));
	assert_int_equal(count_lines_starting(s, "data_directory"), 0);
	assert_int_equal(count_lines_starting(s, "hba_file"), 0);
	assert_int_equal(count_lines_starting(s, "ident_file"), 0);
	assert_int_equal(count_lines_starting(s, "include"), 0);
	assert_int_equal(count_lines_starting(s, "unix_socket_directories ="), 1);
	assert_int_equal(count_lines_starting(s, "max_connections ="), 1);
	assert_true(has_line(s, "max_connections = 250"));
	assert_true(has_line(s, "statement_timeout = 30s"));
	assert_true(has_line(s, "application_name = 'a''b\\\\c'"));
	assert_true(has_line(s, "search_path = ''"));
	assert_int_equal(count_lines_starting(s, "no_such_parameter"), 0);
	assert_non_null(strstr(s, "# berth: line 15 dropped: no_such_parameter is not a parameter of"
				  " PostgreSQL 15"));
	assert_true(has_line(s, "pg_stat_statements.track = all"));
	assert_int_equal(count_lines_starting(s, "archive_command"), 0);
	assert_int_equal(count_lines_starting(s, "shared_preload_libraries"), 0);
	assert_int_equal(count_lines_starting(s, "Shared_Buffers"), 0);
	assert_int_equal(count_lines_starting(s, "[main]"), 0);
	assert_null(strstr(s, "shared_buffers"));
	free(s);

	/* defaults without PGTune: PostgreSQL's 100 connections */
	struct render_pg q = {.cpu_c = 10, .ram_mb = 154};
	s = render_postgresql_conf(&q, &err);
	assert_true(has_line(s, "max_connections = 100"));
	assert_null(strstr(s, "wal_level"));
	free(s);

	/* PG 14: wal_compression on; replication settings */
	struct render_pg r = {.cpu_c = 400, .ram_mb = 4096, .pgtune = true, .max_connections = 50,
			      .pg_major = 14, .replication = true};
	s = render_postgresql_conf(&r, &err);
	assert_true(has_line(s, "wal_compression = on"));
	assert_true(has_line(s, "jit = off"));
	assert_true(has_line(s, "wal_level = replica"));
	assert_true(has_line(s, "hot_standby = on"));
	assert_true(has_line(s, "max_wal_senders = 10"));
	assert_true(has_line(s, "max_worker_processes = 4"));
	assert_true(has_line(s, "huge_pages = off"));
	free(s);
}

static void test_pg_hba(void **state)
{
	(void)state;
	struct berr err = {0};
	char *s = render_pg_hba("od\"oo", true, "rep user", &err);
	assert_non_null(s);
	assert_non_null(strstr(s, "host    all          \"od\"\"oo\"    samenet   scram-sha-256\n"));
	assert_non_null(strstr(s, "host    replication  \"rep user\"  samenet   scram-sha-256\n"));
	assert_true(has_line(s, "local   all          postgres              trust"));
	assert_int_equal(count_lines_starting(s, "host"), 3);
	/* clones' base backups: the superuser, socket and the container's own loopback only */
	assert_true(has_line(s, "local   replication  postgres              trust"));
	assert_true(has_line(s, "host    replication  postgres  127.0.0.1/32 trust"));
	assert_int_equal(count_lines_starting(s, "host    all"), 1);
	free(s);
	s = render_pg_hba("odoo", false, NULL, &err);
	assert_null(strstr(s, "replication  \"rep"));
	assert_int_equal(count_lines_starting(s, "host"), 2);
	assert_int_equal(count_lines_starting(s, "host    replication  postgres "), 1);
	free(s);
	assert_null(render_pg_hba("odoo\nhost all all 0.0.0.0/0 trust", false, NULL, &err));
	assert_string_equal(err.field, "db_user");
	assert_null(render_pg_hba("odoo", true, NULL, &err));
	assert_string_equal(err.field, "replica_user");
	assert_null(render_pg_hba("odoo", true, "r\r", &err));
	assert_null(render_pg_hba("", false, NULL, &err));
}

/* ---- PgBouncer ---- */

static void test_pgbouncer(void **state)
{
	(void)state;
	int pool, maxc, pgmax;
	struct render_pgbouncer b = {PG_HOST, "shop", "odoo", "pw", 60, 1229};
	render_pgbouncer_pools(&b, &pool, &maxc, &pgmax);
	assert_int_equal(pool, 5);
	assert_int_equal(maxc, RENDER_PGB_MAX_CLIENT_CONN);
	assert_int_equal(pgmax, 5 + 2 + 20 + 2 + 10 + 3);
	b.pg_cpu_c = 600;
	b.pg_ram_mb = 16384;
	render_pgbouncer_pools(&b, &pool, &maxc, &pgmax);
	assert_int_equal(pool, 18);
	assert_int_equal(pgmax, 18 + 5 + 20 + 5 + 10 + 3);
	b.pg_ram_mb = 128; /* memory caps the pool: 128 / 16 = 8 */
	render_pgbouncer_pools(&b, &pool, NULL, NULL);
	assert_int_equal(pool, 8);
	b.pg_cpu_c = 10;
	render_pgbouncer_pools(&b, &pool, NULL, NULL);
	assert_int_equal(pool, 5);

	struct berr err = {0};
	struct render_pgbouncer q = {PG_HOST, "shop", "od\"oo", "p\"w\"", 100, 512};
	char *u = render_pgbouncer_userlist(&q, &err);
	assert_string_equal(u, "\"od\"\"oo\" \"p\"\"w\"\"\"\n");
	free(u);
	static const char *const BADPW[] = {"a\nb", "", "md5d41d8cd98f00b204e9800998ecf8427e",
					    "SCRAM-SHA-256$4096:abc", "\x01"};
	for (size_t i = 0; i < ARRAY_SIZE(BADPW); i++) {
		q.db_password = BADPW[i];
		assert_null(render_pgbouncer_userlist(&q, &err));
		assert_string_equal(err.field, "db_password");
	}
	q.db_password = "pw";
	q.db_user = "a\nb";
	assert_null(render_pgbouncer_userlist(&q, &err));
	assert_string_equal(err.field, "db_user");

	static const char *const BADDB[] = {"a b", "x\n[pgbouncer]", "postgres", "pgbouncer", "",
					    "-x", "a=b", "a;b"};
	for (size_t i = 0; i < ARRAY_SIZE(BADDB); i++) {
		struct render_pgbouncer r = {PG_HOST, BADDB[i], "odoo", "pw", 100, 512};
		assert_null(render_pgbouncer_ini(&r, &err));
		assert_string_equal(err.field, "db_name");
	}
	struct render_pgbouncer h = {"host port=1", "shop", "odoo", "pw", 100, 512};
	assert_null(render_pgbouncer_ini(&h, &err));
	assert_string_equal(err.field, "pg_host");
}

/* ---- nginx ---- */

static struct render_site base_site(const char *const *names, size_t n)
{
	struct render_site s = {
		.env_id = "e1",
		.server_names = names,
		.n_server_names = n,
		.odoo_host = ODOO_HOST,
		.http_port = 8069,
		.gevent_port = 8072,
		.websocket_on_gevent = true,
		.max_upload = "100M",
		.proxy_read_timeout_s = 300,
		.proxy_connect_timeout_s = 30,
		.keepalive_timeout_s = 65,
		.send_timeout_s = 60,
		.x_frame_options = "SAMEORIGIN",
	};
	return s;
}

/* A site with every Security sub-tab setting (issue 13). */
static const char *const SEC_NAMES[] = {"erp.acme-corp.com", "shop.acme-corp.com"};
static const char *const SEC_CORS[] = {"https://shop.example.com", "http://localhost:3000",
				       "https://shop.example.com"};
static const char *const SEC_ALLOW[] = {"127.0.0.0/8", "192.168.1.0/24", "2001:db8::/32"};
static const char *const SEC_DENY[] = {"127.0.0.3", "203.0.113.7"};
#define SEC_CSP                                                                          \
	"default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; img-src 'self' " \
	"data: blob:; connect-src 'self' wss:"

static struct render_site security_site(const char *env_id)
{
	struct render_site s = base_site(SEC_NAMES, 2);
	s.env_id = env_id;
	s.cors_origins = SEC_CORS;
	s.n_cors_origins = 3; /* one twice: written once (nginx refuses a map key twice) */
	s.ip_allow = SEC_ALLOW;
	s.n_ip_allow = 3;
	s.ip_deny = SEC_DENY;
	s.n_ip_deny = 2;
	s.rate_limit = true;
	s.rate_login = "5r/m";
	s.rate_general = "60r/s";
	s.csp = SEC_CSP;
	s.max_upload = "1M";
	s.x_frame_options = "DENY";
	return s;
}

static void test_nginx_security(void **state)
{
	(void)state;
	struct berr err = {0};
	struct render_site s = security_site("da63639c-1afe-4c2b-9d7e-3f1a2b3c4d5e");
	char *r = render_nginx_site(&s, &err);
	golden("security/site.conf", r);
	/* the headers are all at the server level: no location has an add_header of its own */
	const char *loc = strstr(r, "location");
	assert_non_null(loc);
	assert_null(strstr(loc, "add_header"));
	assert_true(has_line(r, "\tdeny 127.0.0.3;"));
	assert_true(has_line(r, "\t\tallow all;")); /* the ACME challenge */
	assert_true(has_line(r, "\tlimit_req_status 429;"));
	free(r);

	/* nothing of the Security sub-tab when it is off: the output is as before */
	const char *names[] = {"ok.example.com"};
	s = base_site(names, 1);
	r = render_nginx_site(&s, &err);
	assert_null(strstr(r, "limit_req"));
	assert_null(strstr(r, "Access-Control"));
	assert_null(strstr(r, "Content-Security-Policy"));
	assert_null(strstr(r, "allow all"));
	free(r);

	/* "*" lets every origin through */
	static const char *const ANY[] = {"*"};
	s = base_site(names, 1);
	s.cors_origins = ANY;
	s.n_cors_origins = 1;
	r = render_nginx_site(&s, &err);
	assert_true(has_line(r, "\tdefault $http_origin;"));
	free(r);

	/* every value checked again, naming the field */
	static const char *const BAD_ORIGINS[] = {"shop.example.com", "https://a.com/x",
						  "https://a.com\"", "ftp://a.com", "https://a.com:0",
						  "https://a.com;", "https://$host", ""};
	for (size_t i = 0; i < ARRAY_SIZE(BAD_ORIGINS); i++) {
		const char *o[] = {"https://ok.com", BAD_ORIGINS[i]};
		s = base_site(names, 1);
		s.cors_origins = o;
		s.n_cors_origins = 2;
		if ((r = render_nginx_site(&s, &err)))
			fail_msg("origin accepted: %s", BAD_ORIGINS[i]);
		assert_string_equal(err.field, "cors_origins[1]");
	}
	static const char *const BAD_IPS[] = {"1.2.3", "1.2.3.4/33", "::1/129", "all", "1.2.3.4;",
					      "1.2.3.4 5.6.7.8", "", "1.2.3.4/"};
	for (size_t i = 0; i < ARRAY_SIZE(BAD_IPS); i++) {
		const char *o[] = {BAD_IPS[i]};
		s = base_site(names, 1);
		s.ip_allow = o;
		s.n_ip_allow = 1;
		assert_null(render_nginx_site(&s, &err));
		assert_string_equal(err.field, "ip_allow[0]");
		s = base_site(names, 1);
		s.ip_deny = o;
		s.n_ip_deny = 1;
		assert_null(render_nginx_site(&s, &err));
		assert_string_equal(err.field, "ip_deny[0]");
	}
	static const char *const BAD_RATES[] = {"", "0r/s", "5r/h", "5 r/s", "5r/s;", "1234567r/s"};
	for (size_t i = 0; i < ARRAY_SIZE(BAD_RATES); i++) {
		s = base_site(names, 1);
		s.rate_limit = true;
		s.rate_login = BAD_RATES[i];
		s.rate_general = "60r/s";
		assert_null(render_nginx_site(&s, &err));
		assert_string_equal(err.field, "rate_login");
		s.rate_login = "5r/m";
		s.rate_general = BAD_RATES[i];
		assert_null(render_nginx_site(&s, &err));
		assert_string_equal(err.field, "rate_general");
	}
	static const char *const BAD_CSP[] = {"", "default-src 'self'\"; add_header X y",
					      "a\nb", "a\\b", "a $host", "a { b", "a } b", "caf\xc3\xa9",
					      "a\tb"};
	for (size_t i = 0; i < ARRAY_SIZE(BAD_CSP); i++) {
		s = base_site(names, 1);
		s.csp = BAD_CSP[i];
		if ((r = render_nginx_site(&s, &err)))
			fail_msg("csp accepted: %s", BAD_CSP[i]);
		assert_string_equal(err.field, "csp");
	}
}

static void test_nginx_site_validation(void **state)
{
	(void)state;
	struct berr err = {0};
	static const char *const BADNAMES[] = {"Shop.example.com", "a..b.com", "example",
					       "exa mple.com", "x.com;", "*.example.com",
					       "x.com\nserver_name evil.com", "-a.example.com",
					       "a.example.com.", "", "x.com}", "$host.com"};
	for (size_t i = 0; i < ARRAY_SIZE(BADNAMES); i++) {
		const char *names[] = {"ok.example.com", BADNAMES[i]};
		struct render_site s = base_site(names, 2);
		char *r = render_nginx_site(&s, &err);
		if (r)
			fail_msg("server name accepted: %s", BADNAMES[i]);
		assert_string_equal(err.field, "server_names[1]");
	}
	const char *names[] = {"ok.example.com"};
	struct render_site s = base_site(names, 0);
	assert_null(render_nginx_site(&s, &err));
	assert_string_equal(err.field, "server_names");

	static const char *const BADSIZES[] = {"", "1000000", "10MB", "1 M", "10M;", "-1", "1t"};
	for (size_t i = 0; i < ARRAY_SIZE(BADSIZES); i++) {
		s = base_site(names, 1);
		s.max_upload = BADSIZES[i];
		assert_null(render_nginx_site(&s, &err));
		assert_string_equal(err.field, "max_upload");
	}
	static const char *const GOODSIZES[] = {"0", "999999", "1k", "2G", "100m"};
	for (size_t i = 0; i < ARRAY_SIZE(GOODSIZES); i++) {
		s = base_site(names, 1);
		s.max_upload = GOODSIZES[i];
		char *r = render_nginx_site(&s, &err);
		assert_non_null(r);
		free(r);
	}
	int bad_to[] = {0, -1, 3601};
	for (size_t i = 0; i < ARRAY_SIZE(bad_to); i++) {
		s = base_site(names, 1);
		s.proxy_read_timeout_s = bad_to[i];
		assert_null(render_nginx_site(&s, &err));
		assert_string_equal(err.field, "proxy_read_timeout");
		s = base_site(names, 1);
		s.send_timeout_s = bad_to[i];
		assert_null(render_nginx_site(&s, &err));
		assert_string_equal(err.field, "send_timeout");
	}
	static const char *const XFO[] = {"sameorigin", "ALLOW-FROM x", "DENY;", ""};
	for (size_t i = 0; i < ARRAY_SIZE(XFO); i++) {
		s = base_site(names, 1);
		s.x_frame_options = XFO[i];
		assert_null(render_nginx_site(&s, &err));
		assert_string_equal(err.field, "x_frame_options");
	}
	static const char *const HOSTS[] = {"Odoo", "a b", "x:8069", "x;", "", "-x", "$x"};
	for (size_t i = 0; i < ARRAY_SIZE(HOSTS); i++) {
		s = base_site(names, 1);
		s.odoo_host = HOSTS[i];
		assert_null(render_nginx_site(&s, &err));
		assert_string_equal(err.field, "odoo_host");
		s = base_site(names, 1);
		s.ide_host = HOSTS[i]; /* the IDE's host: the same validation */
		s.ide_port = 8080;
		assert_null(render_nginx_site(&s, &err));
		assert_string_equal(err.field, "ide_host");
	}
	{
		s = base_site(names, 1);
		s.ide_host = "berth-e1-ide";
		s.ide_port = 0;
		assert_null(render_nginx_site(&s, &err));
		assert_string_equal(err.field, "ide_port");
	}
	static const char *const PATHS[] = {"relative.pem", "/a b.pem", "/a;.pem", "/a/../b",
					    "/a{b}", "/a#b", "/a$b", "/a\n"};
	for (size_t i = 0; i < ARRAY_SIZE(PATHS); i++) {
		const char *c1[] = {PATHS[i]}, *k1[] = {"/k.pem"};
		s = base_site(names, 1);
		s.cert_paths = c1;
		s.key_paths = k1;
		assert_null(render_nginx_site(&s, &err));
		assert_string_equal(err.field, "cert_paths[0]");
		const char *c2[] = {"/c.pem"}, *k2[] = {PATHS[i]};
		s.cert_paths = c2;
		s.key_paths = k2;
		assert_null(render_nginx_site(&s, &err));
		assert_string_equal(err.field, "key_paths[0]");
	}
	{
		const char *c1[] = {"/c.pem"}, *k1[] = {NULL};
		s = base_site(names, 1);
		s.cert_paths = c1;
		s.key_paths = k1;
		assert_null(render_nginx_site(&s, &err));
		assert_string_equal(err.field, "key_paths[0]");
	}
	static const char *const RANGES[] = {"1.2.3.4/33", "1.2.3.4; x", "x", "", "::/129",
					     "1.2.3.4/24\n"};
	for (size_t i = 0; i < ARRAY_SIZE(RANGES); i++) {
		const char *r1[] = {"103.21.244.0/22", RANGES[i]};
		s = base_site(names, 1);
		s.cloudflare = true;
		s.real_ip_from = r1;
		s.n_real_ip_from = 2;
		assert_null(render_nginx_site(&s, &err));
		assert_string_equal(err.field, "real_ip_from[1]");
	}
	s = base_site(names, 1);
	s.cloudflare = true;
	assert_null(render_nginx_site(&s, &err));
	assert_string_equal(err.field, "real_ip_from");
	s = base_site(names, 1);
	s.env_id = "x\ny";
	assert_null(render_nginx_site(&s, &err));
	assert_string_equal(err.field, "env_id");

	/* websocket to the HTTP port without workers; no cookie flags without TLS */
	s = base_site(names, 1);
	s.websocket_on_gevent = false;
	char *r = render_nginx_site(&s, &err);
	assert_true(has_line(r, "\tset $odoo_websocket http://" ODOO_HOST ":8069;"));
	assert_null(strstr(r, "proxy_cookie_flags"));
	assert_null(strstr(r, "443"));
	free(r);

	assert_null(render_nginx_main(0, 443, &err));
	assert_null(render_nginx_main(80, 80, &err));
	assert_null(render_nginx_main(80, 70000, &err));
	r = render_nginx_main(8080, 0, &err);
	assert_non_null(r);
	assert_true(has_line(r, "\t\tlisten 8080 default_server;"));
	assert_null(strstr(r, "ssl_reject_handshake"));
	free(r);
}

/* TLS per domain: a domain with a certificate gets its own 443 server, its port 80 answers
 * the ACME challenge and redirects; one without stays on plain HTTP with the challenge. */
static void test_nginx_site_tls(void **state)
{
	(void)state;
	struct berr err = {0};
	const char *names[] = {"a.example.com", "b.example.com", "c.example.com"};
	const char *certs[] = {"/etc/nginx/certs/x/a.crt", NULL, "/etc/nginx/certs/x/c.crt"};
	const char *keys[] = {"/etc/nginx/certs/x/a.key", NULL, "/etc/nginx/certs/x/c.key"};
	bool staple[] = {false, false, true};
	struct render_site s = base_site(names, 3);
	s.cert_paths = certs;
	s.key_paths = keys;
	s.stapling = staple;
	char *r = render_nginx_site(&s, &err);
	assert_non_null(r);
	assert_non_null(strstr(r, "server {\n\tlisten 80;\n\tserver_name a.example.com c.example.com;\n"));
	assert_non_null(strstr(r, "\tlisten 443 ssl http2;\n\tserver_name a.example.com;\n"
				  "\tssl_certificate /etc/nginx/certs/x/a.crt;\n"
				  "\tssl_certificate_key /etc/nginx/certs/x/a.key;\n\n"));
	assert_non_null(strstr(r, "\tserver_name c.example.com;\n\tssl_certificate /etc/nginx/certs/x/c.crt;\n"
				  "\tssl_certificate_key /etc/nginx/certs/x/c.key;\n"
				  "\tssl_stapling on;\n\tssl_stapling_verify on;\n"));
	assert_non_null(strstr(r, "server {\n\tlisten 80;\n\tserver_name b.example.com;\n"));
	assert_null(strstr(r, "Strict-Transport-Security"));
	assert_null(strstr(r, "real_ip_header"));
	/* the redirect block keeps the challenge path */
	const char *redirect = strstr(r, "return 301 https://$host$request_uri;");
	const char *acme = strstr(r, "location ^~ /.well-known/acme-challenge/");
	assert_true(acme && redirect && acme < redirect);
	free(r);
	s.hsts = true;
	static const char *const CF[] = {"103.21.244.0/22"};
	s.cloudflare = true;
	s.real_ip_from = CF;
	s.n_real_ip_from = 1;
	r = render_nginx_site(&s, &err);
	assert_non_null(r);
	const char *p = r;
	int n = 0;
	while ((p = strstr(p, "add_header Strict-Transport-Security \"max-age=31536000\" always;")))
		n++, p++;
	assert_int_equal(n, 2);
	p = r;
	n = 0;
	while ((p = strstr(p, "\tset_real_ip_from 103.21.244.0/22;\n\treal_ip_header CF-Connecting-IP;\n")))
		n++, p++;
	assert_int_equal(n, 4); /* the redirect, two TLS servers, the plain one */
	free(r);
	/* every domain over TLS: no plain server left */
	const char *all_c[] = {"/c/a.crt", "/c/b.crt", "/c/c.crt"}, *all_k[] = {"/c/a.key", "/c/b.key", "/c/c.key"};
	s = base_site(names, 3);
	s.cert_paths = all_c;
	s.key_paths = all_k;
	r = render_nginx_site(&s, &err);
	assert_non_null(r);
	p = r;
	n = 0;
	while ((p = strstr(p, "listen 80;")))
		n++, p++;
	assert_int_equal(n, 1);
	assert_int_equal(r[strlen(r) - 1], '\n');
	assert_int_not_equal(r[strlen(r) - 2], '\n');
	free(r);
}

static void test_render_line_ok(void **state)
{
	(void)state;
	assert_true(render_line_ok("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 %s ;#'\""));
	assert_false(render_line_ok(NULL));
	static const char *const BAD[] = {"a\nb", "a\rb", "a\tb", "\x1b[0m", "\x7f",
					  "\xc2\x80",            /* C1 */
					  "\xc2\x9f",            /* C1 */
					  "\xe2\x80\xa8",        /* U+2028 */
					  "\xe2\x80\xa9",        /* U+2029 */
					  "\xc0\xaf",            /* overlong */
					  "\xe0\x80\xaf",        /* overlong */
					  "\xed\xa0\x80",        /* surrogate */
					  "\xf4\x90\x80\x80",    /* > U+10FFFF */
					  "\xc3",                /* truncated */
					  "\xff"};
	for (size_t i = 0; i < ARRAY_SIZE(BAD); i++)
		if (render_line_ok(BAD[i]))
			fail_msg("render_line_ok accepted case %zu", i);
}

/* Random free text (a fixed-seed generator): every output line is blank, a comment, the
 * section header or `key = value` with a clean value, and no key appears twice. */
static unsigned lcg(unsigned *st)
{
	*st = *st * 1103515245u + 12345u;
	return (*st >> 16) & 0x7fff;
}

static void check_lines(const char *text, bool odoo)
{
	char keys[64][130];
	int nkeys = 0;
	char *copy = xstrdup(text);
	for (char *line = copy, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (!line[0] || line[0] == '#' || (odoo && line[0] == ';'))
			continue;
		if (odoo && strcmp(line, "[options]") == 0)
			continue;
		char *eq = strstr(line, " = ");
		if (!eq)
			fail_msg("bad line: %s", line);
		*eq = '\0';
		assert_true(render_line_ok(eq + 3));
		assert_true(strlen(line) < 130);
		for (const char *k = line; *k; k++)
			assert_true((*k >= 'a' && *k <= 'z') || (*k >= '0' && *k <= '9') || *k == '_' ||
				    (!odoo && *k == '.'));
		for (int i = 0; i < nkeys; i++)
			if (strcmp(keys[i], line) == 0)
				fail_msg("key twice: %s", line);
		assert_true(nkeys < 64);
		snprintf(keys[nkeys++], sizeof keys[0], "%s", line);
	}
	free(copy);
}

static void test_extra_random(void **state)
{
	(void)state;
	static const char ALPHA[] = "ab_wrkes=  =\n\n\r\t[];#'\"\\%$.x1\x01\x7f\xc2\x85\xff";
	static const char *const WORDS[] = {"workers", "admin_passwd", "db_port", "port",
					    "max_connections", "include", "x.y", "[options]", "\n"};
	unsigned st = 12345;
	json_t *eff = standard_effective();
	json_t *cfg = json_object();
	for (int iter = 0; iter < 1500; iter++) {
		struct sbuf t = SBUF_INIT;
		int len = (int)(lcg(&st) % 200);
		for (int i = 0; i < len; i++) {
			if (lcg(&st) % 5 == 0)
				sbuf_adds(&t, WORDS[lcg(&st) % ARRAY_SIZE(WORDS)]);
			else
				sbuf_addc(&t, ALPHA[lcg(&st) % (sizeof ALPHA - 1)]);
		}
		struct berr err = {0};
		struct render_odoo o = base_odoo(cfg, eff);
		o.extra = sbuf_str(&t);
		char *out = render_odoo_conf(&o, &err);
		assert_non_null(out);
		check_lines(out, true);
		assert_true(has_line(out, "admin_passwd = admin-secret"));
		free(out);
		struct render_pg p = {.cpu_c = 100, .ram_mb = 1024, .pgtune = true, .extra = sbuf_str(&t)};
		out = render_postgresql_conf(&p, &err);
		assert_non_null(out);
		check_lines(out, false);
		assert_true(has_line(out, "port = 5432"));
		free(out);
		sbuf_release(&t);
	}
	json_decref(cfg);
	json_decref(eff);
}

/* ---- nginx -t on the rendered configuration ---- */

static const char *NGINX = "/usr/sbin/nginx";

static int run(const char *const argv[], const char *log)
{
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0644);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	pid_t pid;
	int rc = posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		return -1;
	int st = 0;
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* s with every occurrence of from replaced by to */
static char *replace(const char *s, const char *from, const char *to)
{
	struct sbuf sb = SBUF_INIT;
	size_t fl = strlen(from);
	for (const char *p = s; *p;) {
		const char *m = strstr(p, from);
		if (!m) {
			sbuf_adds(&sb, p);
			break;
		}
		sbuf_add(&sb, p, (size_t)(m - p));
		sbuf_adds(&sb, to);
		p = m + fl;
	}
	return sbuf_detach(&sb);
}

static void write_text(const char *dir, const char *name, const char *text)
{
	char path[600];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	assert_int_equal(write_file_atomic(path, text, strlen(text), 0644), 0);
}

/* The IDE (issue 14): /ide redirects to /ide/, which goes to the IDE container with the
 * prefix stripped and websockets upgraded; no IDE host, no IDE location. */
static void test_nginx_ide(void **state)
{
	(void)state;
	const char *names[] = {"shop.example.com"};
	struct render_site s = base_site(names, 1);
	struct berr err = {0};
	char *plain = render_nginx_site(&s, &err);
	assert_non_null(plain);
	assert_null(strstr(plain, "/ide"));
	s.ide_host = "berth-e1-ide";
	s.ide_port = 8080;
	char *out = render_nginx_site(&s, &err);
	assert_non_null(out);
	const char *want =
		"\t# the IDE (code-server) of the environment, behind its own password\n"
		"\tlocation = /ide {\n"
		"\t\treturn 301 /ide/$is_args$args;\n"
		"\t}\n"
		"\tlocation ^~ /ide/ {\n"
		"\t\tset $berth_ide http://berth-e1-ide:8080;\n"
		"\t\trewrite ^/ide/(.*)$ /$1 break;\n"
		"\t\tproxy_pass $berth_ide;\n"
		"\t\tproxy_set_header Host $host;\n";
	assert_non_null(strstr(out, want));
	const char *ws = strstr(out, "location ^~ /ide/");
	assert_non_null(strstr(ws, "\t\tproxy_set_header Upgrade $http_upgrade;\n"
				   "\t\tproxy_set_header Connection $connection_upgrade;\n"
				   "\t\tproxy_read_timeout 86400s;\n"));
	/* before Odoo's catch-all location */
	assert_true(ws < strstr(out, "\tlocation / {"));
	free(plain);
	free(out);
}

static void test_nginx_t(void **state)
{
	(void)state;
	if (access(NGINX, X_OK) != 0) {
		fprintf(stderr, "nginx not installed: skipping nginx -t\n");
		skip();
	}
	char dir[] = "/tmp/berth-render-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char sites[300], log[300], logs[300], cert[300], key[300];
	snprintf(sites, sizeof sites, "%s/sites.d", dir);
	snprintf(log, sizeof log, "%s/out.log", dir);
	snprintf(logs, sizeof logs, "%s/", dir);
	snprintf(cert, sizeof cert, "%s/cert.pem", dir);
	snprintf(key, sizeof key, "%s/key.pem", dir);
	mkdir(sites, 0755);

	struct berr err = {0};
	char *main_conf = render_nginx_main(80, 443, &err);
	assert_non_null(main_conf);
	char sites_glob[320];
	snprintf(sites_glob, sizeof sites_glob, "%s/", sites);
	char *a = replace(main_conf, "/etc/nginx/sites.d/", sites_glob);
	char *b = replace(a, "/var/log/nginx/", logs);
	char *c = getpwnam("www-data") ? xstrdup(b) : replace(b, "user www-data;", "user root;");
	write_text(dir, "nginx.conf", c);
	free(main_conf);
	free(a);
	free(b);
	free(c);

	/* a self-signed certificate for the TLS site, when openssl is there */
	const char *openssl[] = {"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
				 "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj",
				 "/CN=erp.acme-corp.com", "-keyout", key, "-out", cert, NULL};
	bool have_cert = access(openssl[0], X_OK) == 0 && run(openssl, log) == 0;

	for (size_t i = 0; i < ARRAY_SIZE(CASES); i++) {
		if (CASES[i].cert && !have_cert)
			continue;
		struct rendered r;
		render_case(&CASES[i], &r, CASES[i].cert ? cert : NULL, CASES[i].cert ? key : NULL);
		char name[64];
		snprintf(name, sizeof name, "%s.conf", CASES[i].name);
		write_text(sites, name, r.site);
		rendered_free(&r);
	}
	/* the Security sub-tab's directives, twice (zones and maps are named per site) */
	/* full-length ids: the variable names must fit nginx's default hash buckets */
	const char *sec_ids[] = {"0d6f3c1e-5b2a-4c8e-9f10-aa11bb22cc33",
				 "7e8f9a0b-1c2d-4e3f-8a9b-0c1d2e3f4a5b"};
	for (size_t i = 0; i < 2; i++) {
		struct render_site s = security_site(sec_ids[i]);
		const char *n1[] = {i ? "b.security.test" : "a.security.test"};
		s.server_names = n1;
		s.n_server_names = 1;
		char *site = render_nginx_site(&s, &err);
		assert_non_null(site);
		char name[64];
		snprintf(name, sizeof name, "sec%zu.conf", i);
		write_text(sites, name, site);
		free(site);
	}
	/* a 253-character name fits server_names_hash_bucket_size */
	char longname[254];
	memset(longname, 'a', 253);
	longname[253] = '\0';
	for (int i = 63; i < 253; i += 64)
		longname[i] = '.';
	const char *names[] = {longname};
	struct render_site s = base_site(names, 1);
	s.env_id = "long";
	char *site = render_nginx_site(&s, &err);
	assert_non_null(site);
	write_text(sites, "long.conf", site);
	free(site);

	char conf[300];
	snprintf(conf, sizeof conf, "%s/nginx.conf", dir);
	const char *argv[] = {NGINX, "-t", "-q", "-e", log, "-p", dir, "-c", conf, NULL};
	int rc = run(argv, log);
	if (rc != 0) {
		char *out = read_file(log, NULL);
		fail_msg("nginx -t failed (%d):\n%s", rc, out ? out : "");
	}
	const char *rm[] = {"/bin/rm", "-rf", dir, NULL};
	run(rm, "/dev/null");
}

/* Odoo's password hash agrees with Python's hashlib.pbkdf2_hmac (which passlib and the Odoo
 * stand-in use): vectors computed with
 * hashlib.pbkdf2_hmac("sha512", pw.encode(), bytes(range(16)), rounds), in passlib's ab64. */
static void test_odoo_password(void **state)
{
	(void)state;
	unsigned char salt[16];
	for (int i = 0; i < 16; i++)
		salt[i] = (unsigned char)i;
	char *h = render_odoo_password("admin", salt, sizeof salt, 1000);
	assert_string_equal(h, "$pbkdf2-sha512$1000$AAECAwQFBgcICQoLDA0ODw$aKgGNHu34fR74hlBgfFekJphXK1N"
			       "3gnOe3Lgp8FO48d8kwG6FEqYI1r0qdB.aSgGSQ2FwLojT47uLUbOD1cDhw");
	free(h);
	h = render_odoo_password("s3cr3t p\xc3\xa4ssw\xc3\xb6rd", salt, sizeof salt,
				 RENDER_ODOO_PASSWORD_ROUNDS);
	assert_string_equal(h, "$pbkdf2-sha512$600000$AAECAwQFBgcICQoLDA0ODw$Q9EMSxqe5QijzXknWXv9OVnhwZ"
			       "uu3oEFnjHltV.HqlRu4x7DoebWpO1ObYtMW5t1HrPQfIljZMvA6LyVLAezVg");
	free(h);
	assert_null(render_odoo_password("x", salt, sizeof salt, 0));
}

static void test_conf_ignored(void **state)
{
	(void)state;
	json_t *o = render_odoo_conf_ignored(
		"workers = 2\n"
		"admin_passwd = x\n"
		"data_dir = /tmp\n"
		"http_port = 1\n"
		"longpolling_port = 2\n"
		"db_host = evil\n"
		"db_port = 1\n"
		"db_user = postgres\n"
		"db_password = x\n"
		"addons_path = /etc\n"
		"proxy_mode = False\n"
		"list_db = True\n"
		"workers = 3\n"
		"not a line\n"
		"[options]\n"
		"; comment\n"
		"[other]\n"
		"limit_time_cpu = 5\n"
		"[options]\n"
		"admin_passwd = y\n");
	char *got = json_dumps(o, JSON_COMPACT);
	assert_string_equal(got, "[\"admin_passwd\",\"data_dir\",\"http_port\",\"longpolling_port\","
				 "\"db_host\",\"db_port\",\"db_user\",\"db_password\",\"addons_path\","
				 "\"proxy_mode\",\"list_db\",\"line 14\",\"line 17\",\"limit_time_cpu\"]");
	free(got);
	json_decref(o);
	o = render_odoo_conf_ignored(NULL);
	assert_int_equal(json_array_size(o), 0);
	json_decref(o);
	o = render_postgresql_conf_ignored("work_mem = 8MB\nport = 1\nbogus = 2\n"
					   "pg_trgm.similarity_threshold = 0.2\n= x\n"
					   "shared_preload_libraries = 'x'\n");
	got = json_dumps(o, JSON_COMPACT);
	assert_string_equal(got, "[\"port\",\"bogus\",\"line 5\",\"shared_preload_libraries\"]");
	free(got);
	json_decref(o);
	/* the odoo.conf text cannot add a section or a line to berth's own */
	struct render_odoo ro = {.db_host = "db", .db_port = 5432, .db_user = "odoo",
				 .db_password = "pw", .db_name = "shop", .admin_passwd = "ap",
				 .extra = "workers = 2\r\n[options]\nadmin_passwd = own\n"
					  "  [evil]\n  list_db = True\nlimit_time_real = 9 \n"};
	struct berr err = {0};
	char *conf = render_odoo_conf(&ro, &err);
	assert_non_null(conf);
	assert_int_equal(count_lines_starting(conf, "["), 1);
	assert_int_equal(count_lines_starting(conf, "admin_passwd"), 1);
	assert_true(has_line(conf, "admin_passwd = ap"));
	assert_true(has_line(conf, "list_db = False"));
	/* still inside [evil]: dropped */
	assert_true(has_line(conf, "limit_time_real = 120"));
	assert_true(has_line(conf, "workers = 2"));
	free(conf);
}

static void test_pg_extension_sql(void **state)
{
	(void)state;
	struct berr err = {0};
	char *s = render_pg_create_extension_sql("pg_trgm", &err);
	assert_string_equal(s, "CREATE EXTENSION IF NOT EXISTS \"pg_trgm\";");
	free(s);
	const char *bad[] = {"", "Pg", "a\"b", "x; DROP TABLE y", "a-b", "1ab", NULL};
	for (const char *const *b = bad; *b; b++) {
		assert_null(render_pg_create_extension_sql(*b, &err));
		assert_string_equal(err.field, "postgres_extensions");
	}
	assert_null(render_pg_create_extension_sql(NULL, &err));
	struct render_pg p = {.cpu_c = 100, .ram_mb = 512, .preload = "pg_stat_statements"};
	s = render_postgresql_conf(&p, &err);
	assert_true(has_line(s, "shared_preload_libraries = 'pg_stat_statements'"));
	free(s);
	p.preload = "a,b'";
	assert_null(render_postgresql_conf(&p, &err));
	assert_true(render_pg_param_known("work_mem"));
	assert_true(render_pg_param_known("datestyle"));
	assert_false(render_pg_param_known("work_me"));
	assert_false(render_pg_param_known(NULL));
}

static void test_derived_dockerfile(void **state)
{
	(void)state;
	struct berr err = {0};
	const char *pk[] = {"hello", "libcups2-dev", "postgresql-15-postgis-3", "g++"};
	char *s = render_derived_dockerfile(
		"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "odoo", pk,
		ARRAY_SIZE(pk), "0b7c4c1e-6f43-4a6e-9a57-2f8e8a6f1c11", "odoo", &err);
	assert_non_null(s);
	golden("derived/Dockerfile.odoo", s);
	free(s);
	s = render_derived_dockerfile("berth/postgres:99822dd2", "", pk, 1,
				      "0b7c4c1e-6f43-4a6e-9a57-2f8e8a6f1c11", "postgres", &err);
	golden("derived/Dockerfile.postgres", s);
	free(s);
	const char *badpk[][1] = {{"Hello"}, {"a"}, {"x && rm -rf /"}, {"a\nRUN x"}, {"-x"}, {"a b"}};
	for (size_t i = 0; i < ARRAY_SIZE(badpk); i++) {
		assert_null(render_derived_dockerfile("debian", "", badpk[i], 1, "id", "odoo", &err));
		assert_string_equal(err.field, "odoo_packages");
	}
	assert_null(render_derived_dockerfile("debian\nRUN x", "", pk, 1, "id", "odoo", &err));
	assert_null(render_derived_dockerfile("debian", "a b", pk, 1, "id", "odoo", &err));
	assert_null(render_derived_dockerfile("debian", "", pk, 0, "id", "postgres", &err));
	assert_string_equal(err.field, "postgres_packages");
	assert_null(render_derived_dockerfile("debian", "", pk, 1, "id", "nginx", &err));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden_cases),
		cmocka_unit_test(test_odoo_injection),
		cmocka_unit_test(test_odoo_extra_filter),
		cmocka_unit_test(test_odoo_values),
		cmocka_unit_test(test_odoo_mail_catcher),
		cmocka_unit_test(test_pgtune_numbers),
		cmocka_unit_test(test_pg_conf),
		cmocka_unit_test(test_pg_hba),
		cmocka_unit_test(test_pgbouncer),
		cmocka_unit_test(test_nginx_site_validation),
		cmocka_unit_test(test_nginx_site_tls),
		cmocka_unit_test(test_nginx_security),
		cmocka_unit_test(test_render_line_ok),
		cmocka_unit_test(test_extra_random),
		cmocka_unit_test(test_nginx_t),
		cmocka_unit_test(test_nginx_ide),
		cmocka_unit_test(test_odoo_password),
		cmocka_unit_test(test_conf_ignored),
		cmocka_unit_test(test_pg_extension_sql),
		cmocka_unit_test(test_derived_dockerfile),
	};
	return cmocka_run_group_tests_name("render", tests, NULL, NULL);
}
