/* The settings registry (core/settings.c): every setting is described once, lookups and
 * defaults, validation, and what a change needs to be applied. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/settings.h"

static void test_table_is_sound(void **state)
{
	(void)state;
	assert_true(settings_count() >= 30);
	assert_null(setting_at(settings_count()));
	static const char *const tabs[] = {"odoo", "postgresql", "security", "domain", "nginx",
					   "packages"};
	for (size_t i = 0; i < settings_count(); i++) {
		const struct setting *s = setting_at(i);
		assert_non_null(s->key);
		assert_non_null(s->label);
		assert_non_null(s->description);
		assert_ptr_equal(setting_find(s->key), s); /* keys are unique */
		for (const char *p = s->key; *p; p++)
			if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
				fail_msg("%s: key is not lower_snake_case", s->key);
		bool tab_ok = false;
		for (size_t t = 0; t < sizeof tabs / sizeof *tabs; t++)
			tab_ok |= strcmp(s->tab, tabs[t]) == 0;
		if (!tab_ok)
			fail_msg("%s: unknown tab %s", s->key, s->tab);
		assert_string_not_equal(setting_type_name(s->type), "?");
		assert_string_not_equal(setting_target_name(s->target), "?");
		assert_string_not_equal(setting_apply_name(s->apply), "?");
		if (s->plan_flag && strncmp(s->plan_flag, "allow_", 6) != 0)
			fail_msg("%s: plan flag %s is not a plans column", s->key, s->plan_flag);
		/* every default is a valid value */
		json_t *d = NULL;
		switch (s->type) {
		case SETTING_BOOL:
			d = json_boolean(s->def_int);
			break;
		case SETTING_INT:
			assert_true(s->min <= s->def_int && s->def_int <= s->max);
			d = json_integer(s->def_int);
			break;
		case SETTING_LIST:
			d = json_array();
			break;
		case SETTING_ENUM:
			assert_non_null(s->choices);
			assert_non_null(s->def_str);
			/* fall through */
		default:
			d = json_string(s->def_str ? s->def_str : "");
		}
		struct berr err = {0};
		if (setting_check(s, d, &err) < 0)
			fail_msg("%s: default refused: %s", s->key, err.message);
		json_decref(d);
	}
}

/* The defaults ops/env.c writes inline today. */
static void test_defaults_match_the_operations(void **state)
{
	(void)state;
	assert_string_equal(setting_default_str("nginx_max_upload"), "100M");
	assert_int_equal(setting_default_int("nginx_proxy_read_timeout_s"), 300);
	assert_int_equal(setting_default_int("nginx_proxy_connect_timeout_s"), 30);
	assert_int_equal(setting_default_int("nginx_keepalive_timeout_s"), 65);
	assert_int_equal(setting_default_int("nginx_send_timeout_s"), 60);
	assert_string_equal(setting_default_str("nginx_x_frame_options"), "SAMEORIGIN");
	assert_int_equal(setting_default_int("odoo_shm_mb"), 64);
	assert_int_equal(setting_default_int("postgres_shm_mb"), 64);
	assert_int_equal(setting_default_int("odoo_memory_limit_mb"), 0);
	assert_int_equal(setting_default_int("odoo_memory_reservation_mb"), 0);
	assert_int_equal(setting_default_int("postgres_memory_limit_mb"), 0);
	assert_int_equal(setting_default_int("postgres_memory_reservation_mb"), 0);
	assert_false(setting_default_bool("auto_restart"));
	assert_null(setting_default_str("odoo_config"));
	assert_null(setting_default_str("postgres_config"));
	assert_null(setting_find("no_such_setting"));
	assert_null(setting_find(NULL));

	const struct setting *s = setting_find("nginx_max_upload");
	assert_int_equal(s->target, TARGET_EDGE);
	assert_int_equal(s->apply, APPLY_EDGE_RELOAD);
	assert_string_equal(s->plan_flag, "allow_nginx_tuning");
	assert_false(s->pending);
	s = setting_find("odoo_config");
	assert_int_equal(s->target, TARGET_ODOO_CONF);
	assert_int_equal(s->apply, APPLY_SOFT_RESTART);
	assert_string_equal(s->plan_flag, "allow_instance_tuning");
	assert_int_equal(setting_find("postgres_config")->target, TARGET_PG_CONF);
	assert_int_equal(setting_find("odoo_shm_mb")->target, TARGET_ODOO_CONTAINER);
	assert_int_equal(setting_find("postgres_shm_mb")->target, TARGET_PG_CONTAINER);
	assert_int_equal(setting_find("odoo_packages")->apply, APPLY_REBUILD);
	assert_string_equal(setting_find("ip_whitelist")->plan_flag, "allow_ip_whitelist");
	assert_null(setting_find("auto_restart")->plan_flag);
}

static void test_values_from_an_environment(void **state)
{
	(void)state;
	json_t *st = json_pack("{s:i,s:s,s:b,s:s,s:i,s:s}", "nginx_send_timeout_s", 90,
			       "nginx_max_upload", "1G", "auto_restart", 1, "odoo_shm_mb", "big",
			       "nginx_keepalive_timeout_s", 99999, "odoo_config", "workers = 2\n");
	assert_int_equal(settings_get_int(st, "nginx_send_timeout_s"), 90);
	assert_int_equal(settings_get_int(st, "nginx_proxy_read_timeout_s"), 300); /* absent */
	assert_int_equal(settings_get_int(st, "odoo_shm_mb"), 64);                 /* ill-typed */
	assert_int_equal(settings_get_int(st, "nginx_keepalive_timeout_s"), 65);   /* out of range */
	assert_string_equal(settings_get_str(st, "nginx_max_upload"), "1G");
	assert_string_equal(settings_get_str(st, "nginx_x_frame_options"), "SAMEORIGIN");
	assert_string_equal(settings_get_str(st, "odoo_config"), "workers = 2\n");
	assert_null(settings_get_str(st, "postgres_config"));
	assert_true(settings_get_bool(st, "auto_restart"));
	assert_false(settings_get_bool(NULL, "auto_restart"));
	assert_int_equal(settings_get_int(NULL, "postgres_shm_mb"), 64);
	json_decref(st);
	/* "" is accepted as "not set": it reads as the default (found by fuzz_settings) */
	st = json_pack("{s:s,s:s}", "nginx_max_upload", "", "postgres_config", "");
	assert_string_equal(settings_get_str(st, "nginx_max_upload"), "100M");
	assert_null(settings_get_str(st, "postgres_config"));
	json_decref(st);
}

static void refused(const char *json, const char *field, const char *words)
{
	json_error_t je;
	json_t *p = json_loads(json, 0, &je);
	if (!p)
		fail_msg("bad test JSON %s: %s", json, je.text);
	struct berr err = {0};
	if (settings_check(p, &err) == 0)
		fail_msg("accepted: %s", json);
	assert_int_equal(err.code, BE_VALIDATION_ERROR);
	assert_string_equal(err.field, field);
	if (!strstr(err.message, words))
		fail_msg("%s: message '%s' lacks '%s'", json, err.message, words);
	json_decref(p);
}

static void accepted(const char *json)
{
	json_t *p = json_loads(json, 0, NULL);
	assert_non_null(p);
	struct berr err = {0};
	if (settings_check(p, &err) < 0)
		fail_msg("refused %s: %s", json, err.message);
	json_decref(p);
}

static void test_validation(void **state)
{
	(void)state;
	accepted("{}");
	accepted("{\"nginx_max_upload\": \"512m\", \"nginx_send_timeout_s\": 3600,"
		 " \"nginx_x_frame_options\": \"DENY\", \"auto_restart\": true}");
	accepted("{\"odoo_config\": \"workers = 4\\nmax_cron_threads = 2\\n\", \"odoo_shm_mb\": null}");
	accepted("{\"ip_whitelist\": [\"192.168.1.0/24\", \"10.0.0.1\", \"2001:db8::/32\"]}");
	accepted("{\"cors_origins\": [\"https://shop.example.com\", \"http://localhost:8069\", \"*\"]}");
	accepted("{\"backup_schedule\": \"02:00 14:30\", \"rate_limit_login\": \"5r/m\"}");
	accepted("{\"backup_schedule\": \"\"}");
	accepted("{\"extra_domains\": [\"shop.example.com\"], \"odoo_packages\": [\"libcups2-dev\"],"
		 " \"postgres_extensions\": [\"pg_trgm\", \"postgis\"]}");
	refused("{\"nope\": 1}", "nope", "no such setting");
	refused("[]", "settings", "must be an object");
	refused("{\"nginx_max_upload\": \"100MB\"}", "nginx_max_upload", "a size such as 100M");
	refused("{\"nginx_max_upload\": 100}", "nginx_max_upload", "must be a string");
	refused("{\"nginx_send_timeout_s\": 0}", "nginx_send_timeout_s", "from 1 to 3600");
	refused("{\"nginx_send_timeout_s\": \"60\"}", "nginx_send_timeout_s", "an integer");
	refused("{\"nginx_x_frame_options\": \"ALLOW\"}", "nginx_x_frame_options",
		"SAMEORIGIN or DENY");
	refused("{\"auto_restart\": 1}", "auto_restart", "true or false");
	refused("{\"odoo_shm_mb\": 8}", "odoo_shm_mb", "from 16 to 65536");
	refused("{\"odoo_config\": \"workers = 2\\u0007\"}", "odoo_config", "printable text");
	refused("{\"ip_whitelist\": [\"192.168.1.0/33\"]}", "ip_whitelist", "CIDR");
	refused("{\"ip_blacklist\": [\"not an ip\"]}", "ip_blacklist", "IP addresses");
	refused("{\"ip_blacklist\": \"10.0.0.1\"}", "ip_blacklist", "list of strings");
	refused("{\"ip_blacklist\": [\"\"]}", "ip_blacklist", "non-empty");
	refused("{\"cors_origins\": [\"ftp://x.example.com\"]}", "cors_origins", "origins");
	refused("{\"backup_schedule\": \"24:00\"}", "backup_schedule", "HH:MM");
	refused("{\"backup_schedule\": \"2:00\"}", "backup_schedule", "HH:MM");
	refused("{\"rate_limit_general\": \"fast\"}", "rate_limit_general", "60r/s");
	refused("{\"extra_domains\": [\"Shop.Example.com\"]}", "extra_domains", "domain names");
	refused("{\"odoo_packages\": [\"libcups2-dev; rm -rf /\"]}", "odoo_packages",
		"Debian package names");
	refused("{\"odoo_packages\": [\"Lib\"]}", "odoo_packages", "Debian package names");
	refused("{\"server_shared_addons_path\": \"relative/path\"}", "server_shared_addons_path",
		"absolute path");
	refused("{\"rate_limit_login\": \"5r/m\\n\"}", "rate_limit_login", "one line");
	/* csp_policy: nginx writes it between double quotes */
	accepted("{\"csp_policy\": \"default-src 'self'; img-src 'self' data: blob:\"}");
	refused("{\"csp_policy\": \"default-src 'self'\\\"; add_header X y\"}", "csp_policy",
		"Content-Security-Policy");
	refused("{\"csp_policy\": \"default-src $host\"}", "csp_policy", "Content-Security-Policy");
	refused("{\"csp_policy\": \"a { b }\"}", "csp_policy", "Content-Security-Policy");
	refused("{\"csp_policy\": \"a \\\\ b\"}", "csp_policy", "Content-Security-Policy");
	refused("{\"csp_policy\": \"caf\\u00e9\"}", "csp_policy", "Content-Security-Policy");
	refused("{\"csp_policy\": \"a\\nb\"}", "csp_policy", "one line");
}

static void test_tabs(void **state)
{
	(void)state;
	for (const char *const *t = SETTINGS_TABS; *t; t++)
		assert_true(settings_tab_valid(*t));
	assert_false(settings_tab_valid("nope"));
	assert_false(settings_tab_valid(NULL));
	assert_string_equal(settings_tab_plan_flag("odoo"), "allow_instance_tuning");
	assert_string_equal(settings_tab_plan_flag("postgresql"), "allow_instance_tuning");
	assert_string_equal(settings_tab_plan_flag("nginx"), "allow_nginx_tuning");
	assert_null(settings_tab_plan_flag("security"));
	/* the default policy lets Odoo's backend run: inline and eval'd scripts, data: images,
	 * the bus over a websocket */
	const char *csp = setting_default_str("csp_policy");
	assert_non_null(strstr(csp, "'unsafe-inline'"));
	assert_non_null(strstr(csp, "'unsafe-eval'"));
	assert_non_null(strstr(csp, "data:"));
	assert_non_null(strstr(csp, "wss:"));
	/* the settings the edge applies are no longer pending */
	static const char *const applied[] = {"cors_origins", "ip_whitelist", "ip_blacklist",
					      "rate_limit", "rate_limit_login",
					      "rate_limit_general", "csp", "csp_policy",
					      "extra_domains"};
	for (size_t i = 0; i < sizeof applied / sizeof *applied; i++)
		assert_false(setting_find(applied[i])->pending);
}

static void test_what_a_change_needs(void **state)
{
	(void)state;
	json_t *a = json_object();
	json_t *b = json_pack("{s:i}", "nginx_send_timeout_s", 60); /* the default: no change */
	assert_int_equal(settings_apply_needed(a, b), APPLY_NOTHING);
	assert_int_equal(settings_apply_needed(NULL, NULL), APPLY_NOTHING);
	json_object_set_new(b, "nginx_max_upload", json_string("1G"));
	assert_int_equal(settings_apply_needed(a, b), APPLY_EDGE_RELOAD);
	json_object_set_new(b, "odoo_config", json_string("workers = 2"));
	assert_int_equal(settings_apply_needed(a, b), APPLY_SOFT_RESTART);
	json_object_set_new(b, "odoo_shm_mb", json_integer(128));
	assert_int_equal(settings_apply_needed(a, b), APPLY_HARD_RESTART);
	json_object_set_new(b, "odoo_packages", json_pack("[s]", "libcups2-dev"));
	assert_int_equal(settings_apply_needed(a, b), APPLY_REBUILD);
	assert_int_equal(settings_apply_needed(b, b), APPLY_NOTHING);
	/* null resets to the default */
	json_t *c = json_pack("{s:n}", "nginx_max_upload");
	json_t *d = json_pack("{s:s}", "nginx_max_upload", "100M");
	assert_int_equal(settings_apply_needed(c, d), APPLY_NOTHING);
	assert_string_equal(setting_apply_name(APPLY_EDGE_RELOAD), "edge reload");
	assert_string_equal(setting_target_name(TARGET_PG_CONF), "postgresql.conf");
	json_decref(a);
	json_decref(b);
	json_decref(c);
	json_decref(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_is_sound),
		cmocka_unit_test(test_defaults_match_the_operations),
		cmocka_unit_test(test_values_from_an_environment),
		cmocka_unit_test(test_validation),
		cmocka_unit_test(test_what_a_change_needs),
		cmocka_unit_test(test_tabs),
	};
	return cmocka_run_group_tests_name("settings", tests, NULL, NULL);
}
