/* The create-environment rules as pure functions (core/envspec.c): resource ranges and steps,
 * the PostgreSQL/Odoo split, the quota footprint of a read replica, Odoo configuration
 * (validation, merge, SMTP password handling, presets), environment variables, addon
 * repositories, environment types and Odoo versions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <sodium.h>

#include "core/envspec.h"
#include "drivers/git.h"
#include "lib/util.h"

/* ---- helpers ---------------------------------------------------------------------------- */

static struct env_resources res(double cpu, long long ram, long long disk)
{
	struct env_resources r = {.cpu_cores = cpu, .ram_mb = ram, .disk_gb = disk};
	return r;
}

static struct env_resources res_pg(double cpu, long long ram, long long disk, double pg_cpu,
				   long long pg_ram)
{
	struct env_resources r = {.cpu_cores = cpu, .ram_mb = ram, .disk_gb = disk,
				  .pg_custom = true, .pg_cpu_cores = pg_cpu, .pg_ram_mb = pg_ram};
	return r;
}

/* compute must succeed */
static void ok(struct env_resources *r)
{
	struct berr err = {0};
	int rc = env_resources_compute(r, &err);
	if (rc != 0)
		fail_msg("env_resources_compute refused %.2f/%lld/%lld: %s", r->cpu_cores, r->ram_mb,
			 r->disk_gb, err.message);
}

/* compute must fail with VALIDATION_ERROR on `field` */
static void bad(struct env_resources r, const char *field)
{
	struct berr err = {0};
	int rc = env_resources_compute(&r, &err);
	if (rc == 0)
		fail_msg("env_resources_compute accepted %.4f/%lld/%lld (pg %d %.4f/%lld), expected an"
			 " error on %s", r.cpu_cores, r.ram_mb, r.disk_gb, r.pg_custom, r.pg_cpu_cores,
			 r.pg_ram_mb, field);
	assert_int_equal(err.code, BE_VALIDATION_ERROR);
	assert_string_equal(err.field, field);
	assert_non_null(strstr(err.message, field));
}

static json_t *J(const char *text)
{
	json_error_t je;
	json_t *j = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
	if (!j)
		fail_msg("bad JSON in test: %s: %s", text, je.text);
	return j;
}

static void assert_json_eq(json_t *got, const char *want)
{
	json_t *w = J(want);
	if (!json_equal(got, w)) {
		char *g = json_dumps(got, JSON_SORT_KEYS | JSON_COMPACT);
		char *ws = json_dumps(w, JSON_SORT_KEYS | JSON_COMPACT);
		fail_msg("got %s, want %s", g, ws);
	}
	json_decref(w);
}

/* ---- env_resources_compute ---------------------------------------------------------------- */

static void test_split_spec_example(void **state)
{
	(void)state;
	/* the spec's example: 2.0 cores / 4096 MB -> PostgreSQL 0.6 / 1229, Odoo 1.4 / 2867 */
	struct env_resources r = res(2.0, 4096, 20);
	ok(&r);
	assert_int_equal(r.cpu_c, 200);
	assert_int_equal(r.pg_cpu_c, 60);
	assert_true(r.pg_cpu_cores > 0.599 && r.pg_cpu_cores < 0.601);
	assert_int_equal(r.pg_ram_mb, 1229);
	assert_int_equal(r.odoo_cpu_c, 140);
	assert_int_equal(r.odoo_ram_mb, 2867);
	assert_false(r.pg_custom);
}

static void test_split_defaults(void **state)
{
	(void)state;
	/* the defaults 1.0 / 2048 -> 0.3 / 614 and 0.7 / 1434 */
	struct env_resources r = res(1.0, 2048, 10);
	ok(&r);
	assert_int_equal(r.cpu_c, 100);
	assert_int_equal(r.pg_cpu_c, 30);
	assert_int_equal(r.pg_ram_mb, 614);
	assert_int_equal(r.odoo_cpu_c, 70);
	assert_int_equal(r.odoo_ram_mb, 1434);
}

static void test_split_minimums(void **state)
{
	(void)state;
	/* tiny: 30% of 0.25 core is 0.075 and of 256 MB is 77: PostgreSQL gets its minimum */
	struct env_resources r = res(0.25, 256, 1);
	ok(&r);
	assert_int_equal(r.cpu_c, 25);
	assert_int_equal(r.pg_cpu_c, 10);
	assert_true(r.pg_cpu_cores > 0.099 && r.pg_cpu_cores < 0.101);
	assert_int_equal(r.pg_ram_mb, 128);
	assert_int_equal(r.odoo_cpu_c, 15);
	assert_int_equal(r.odoo_ram_mb, 128);
	/* 0.5 core: 0.15 (above the minimum) */
	r = res(0.5, 512, 1);
	ok(&r);
	assert_int_equal(r.pg_cpu_c, 15);
	assert_int_equal(r.pg_ram_mb, 154); /* 153.6 rounded */
	assert_int_equal(r.odoo_cpu_c, 35);
	assert_int_equal(r.odoo_ram_mb, 358);
	/* 0.25 core with more RAM: only the CPU hits the minimum */
	r = res(0.25, 1024, 1);
	ok(&r);
	assert_int_equal(r.pg_cpu_c, 10);
	assert_int_equal(r.pg_ram_mb, 307);
}

static void test_split_large_and_rounding(void **state)
{
	(void)state;
	struct env_resources r = res(32, 131072, 1000);
	ok(&r);
	assert_int_equal(r.cpu_c, 3200);
	assert_int_equal(r.pg_cpu_c, 960);
	assert_int_equal(r.pg_ram_mb, 39322); /* 39321.6 */
	assert_int_equal(r.odoo_cpu_c, 2240);
	assert_int_equal(r.odoo_ram_mb, 131072 - 39322);
	/* 30% of 0.75 is 0.225: two decimals, half away from zero */
	r = res(0.75, 768, 5);
	ok(&r);
	assert_int_equal(r.pg_cpu_c, 23);
	assert_int_equal(r.odoo_cpu_c, 52);
	assert_int_equal(r.pg_ram_mb, 230); /* 230.4 */
	/* 1.25 -> 0.375 -> 0.38 */
	r = res(1.25, 1280, 5);
	ok(&r);
	assert_int_equal(r.pg_cpu_c, 38);
	assert_int_equal(r.odoo_cpu_c, 87);
	assert_int_equal(r.pg_ram_mb, 384);
	/* every step: PostgreSQL + Odoo = total, both at least their minimum */
	for (int c = 25; c <= 3200; c += 25) {
		r = res(c / 100.0, 256, 1);
		ok(&r);
		assert_int_equal(r.cpu_c, c);
		assert_int_equal(r.pg_cpu_c + r.odoo_cpu_c, c);
		assert_true(r.pg_cpu_c >= 10);
		assert_true(r.odoo_cpu_c >= 10);
	}
	for (long long m = 256; m <= 131072; m += 256) {
		r = res(1, m, 1);
		ok(&r);
		assert_int_equal(r.pg_ram_mb + r.odoo_ram_mb, m);
		assert_true(r.pg_ram_mb >= 128);
		assert_true(r.odoo_ram_mb >= 128);
	}
}

static void test_cpu_range_and_step(void **state)
{
	(void)state;
	struct env_resources r;
	double good[] = {0.25, 0.5, 0.75, 1.0, 1.25, 2.0, 7.75, 31.75, 32.0};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		r = res(good[i], 2048, 10);
		ok(&r);
		assert_int_equal(r.cpu_c, (int)(good[i] * 100 + 0.5));
	}
	double wrong[] = {0, -1, 0.2, 0.24, 0.3, 0.1, 1.1, 1.2, 1.26, 2.5001, 32.25, 33, 64, 1e9};
	for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++)
		bad(res(wrong[i], 2048, 10), "cpu_cores");
}

static void test_ram_range_and_step(void **state)
{
	(void)state;
	struct env_resources r;
	long long good[] = {256, 512, 2048, 4096, 130816, 131072};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		r = res(1, good[i], 10);
		ok(&r);
	}
	long long wrong[] = {0, -256, 128, 255, 257, 300, 1000, 2047, 2049, 131071, 131328, 262144};
	for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++)
		bad(res(1, wrong[i], 10), "ram_mb");
}

static void test_disk_range(void **state)
{
	(void)state;
	struct env_resources r;
	long long good[] = {1, 2, 10, 999, 1000};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		r = res(1, 2048, good[i]);
		ok(&r);
		assert_int_equal(r.disk_gb, good[i]);
	}
	long long wrong[] = {0, -1, 1001, 10000};
	for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++)
		bad(res(1, 2048, wrong[i]), "disk_gb");
}

static void test_first_error_wins(void **state)
{
	(void)state;
	/* checked in the order cpu, ram, disk, postgres */
	bad(res(0.3, 100, 0), "cpu_cores");
	bad(res(1, 100, 0), "ram_mb");
	bad(res_pg(1, 2048, 0, 0.01, 1), "disk_gb");
	bad(res_pg(1, 2048, 10, 0.01, 1), "postgres_cpu_cores");
}

static void test_pg_override(void **state)
{
	(void)state;
	struct env_resources r = res_pg(2.0, 4096, 20, 0.5, 1024);
	ok(&r);
	assert_true(r.pg_custom);
	assert_int_equal(r.pg_cpu_c, 50);
	assert_int_equal(r.pg_ram_mb, 1024);
	assert_int_equal(r.odoo_cpu_c, 150);
	assert_int_equal(r.odoo_ram_mb, 3072);
	/* the spec's example values given explicitly give the same split */
	r = res_pg(2.0, 4096, 20, 0.6, 1229);
	ok(&r);
	assert_int_equal(r.odoo_cpu_c, 140);
	assert_int_equal(r.odoo_ram_mb, 2867);
	/* range bounds: 0.1 - 16 cores, 128 - 65536 MB; any number of MB; two decimals of cores */
	r = res_pg(32, 131072, 10, 0.1, 128);
	ok(&r);
	assert_int_equal(r.pg_cpu_c, 10);
	assert_int_equal(r.odoo_cpu_c, 3190);
	r = res_pg(32, 131072, 10, 16, 65536);
	ok(&r);
	assert_int_equal(r.pg_cpu_c, 1600);
	assert_int_equal(r.odoo_cpu_c, 1600);
	assert_int_equal(r.odoo_ram_mb, 65536);
	r = res_pg(1, 2048, 10, 0.33, 333);
	ok(&r);
	assert_int_equal(r.pg_cpu_c, 33);
	assert_int_equal(r.odoo_cpu_c, 67);
	assert_int_equal(r.odoo_ram_mb, 2048 - 333);
	/* the override is not subject to the 30% rule nor to 0.25 steps */
	r = res_pg(4, 8192, 10, 3.9, 8064);
	ok(&r);
	assert_int_equal(r.odoo_cpu_c, 10);
	assert_int_equal(r.odoo_ram_mb, 128);
}

static void test_pg_override_ranges(void **state)
{
	(void)state;
	double cpu_wrong[] = {0, 0.09, 0.05, -1, 16.01, 17, 0.125, 0.333};
	for (size_t i = 0; i < sizeof cpu_wrong / sizeof cpu_wrong[0]; i++)
		bad(res_pg(32, 131072, 10, cpu_wrong[i], 1024), "postgres_cpu_cores");
	long long ram_wrong[] = {0, 127, -128, 65537, 131072};
	for (size_t i = 0; i < sizeof ram_wrong / sizeof ram_wrong[0]; i++)
		bad(res_pg(32, 131072, 10, 1, ram_wrong[i]), "postgres_ram_mb");
}

static void test_pg_override_must_leave(void **state)
{
	(void)state;
	struct berr err = {0};
	/* PostgreSQL may not take everything: Odoo keeps at least 0.1 core and 128 MB */
	struct env_resources r = res_pg(1, 2048, 10, 1, 512);
	assert_int_equal(env_resources_compute(&r, &err), -1);
	assert_int_equal(err.code, BE_VALIDATION_ERROR);
	assert_string_equal(err.field, "postgres_cpu_cores");
	assert_non_null(strstr(err.message, "must leave"));
	assert_non_null(strstr(err.message, "1.00"));
	bad(res_pg(1, 2048, 10, 0.95, 512), "postgres_cpu_cores");
	bad(res_pg(0.25, 2048, 10, 0.16, 512), "postgres_cpu_cores");
	bad(res_pg(0.25, 2048, 10, 2, 512), "postgres_cpu_cores");
	r = res_pg(0.25, 2048, 10, 0.15, 512); /* leaves exactly 0.1 */
	ok(&r);
	assert_int_equal(r.odoo_cpu_c, 10);

	memset(&err, 0, sizeof err);
	r = res_pg(1, 2048, 10, 0.5, 2048);
	assert_int_equal(env_resources_compute(&r, &err), -1);
	assert_string_equal(err.field, "postgres_ram_mb");
	assert_non_null(strstr(err.message, "must leave"));
	assert_non_null(strstr(err.message, "2048"));
	bad(res_pg(1, 2048, 10, 0.5, 1921), "postgres_ram_mb");
	bad(res_pg(1, 256, 10, 0.5, 129), "postgres_ram_mb");
	r = res_pg(1, 2048, 10, 0.5, 1920); /* leaves exactly 128 */
	ok(&r);
	assert_int_equal(r.odoo_ram_mb, 128);
}

/* ---- env_resources_footprint ---------------------------------------------------------------- */

static void test_footprint(void **state)
{
	(void)state;
	int cpu;
	long long ram, disk;
	struct env_resources r = res(2.0, 4096, 20);
	ok(&r);
	env_resources_footprint(&r, false, &cpu, &ram, &disk);
	assert_int_equal(cpu, 200);
	assert_int_equal(ram, 4096);
	assert_int_equal(disk, 20);
	/* a read replica: +30% CPU and RAM, +100% disk */
	env_resources_footprint(&r, true, &cpu, &ram, &disk);
	assert_int_equal(cpu, 260);
	assert_int_equal(ram, 5325); /* 4096 + 1228.8 */
	assert_int_equal(disk, 40);

	r = res(1.5, 4096, 20);
	ok(&r);
	env_resources_footprint(&r, true, &cpu, &ram, &disk);
	assert_int_equal(cpu, 195);
	assert_int_equal(ram, 5325);
	assert_int_equal(disk, 40);

	r = res(0.25, 256, 1);
	ok(&r);
	env_resources_footprint(&r, true, &cpu, &ram, &disk);
	assert_int_equal(cpu, 33); /* 25 + 7.5 rounded half away from zero */
	assert_int_equal(ram, 333); /* 256 + 76.8 */
	assert_int_equal(disk, 2);

	/* the footprint is the total, whatever the PostgreSQL override */
	r = res_pg(1.0, 2048, 10, 0.5, 1024);
	ok(&r);
	env_resources_footprint(&r, false, &cpu, &ram, &disk);
	assert_int_equal(cpu, 100);
	assert_int_equal(ram, 2048);
	assert_int_equal(disk, 10);
	env_resources_footprint(&r, true, &cpu, &ram, &disk);
	assert_int_equal(cpu, 130);
	assert_int_equal(ram, 2662);
	assert_int_equal(disk, 20);
}

/* ---- odoo_config_normalize ------------------------------------------------------------------- */

struct norm {
	json_t *out;
	char *pw;
	bool clear;
	struct berr err;
};

static struct norm normalize(const char *in, json_t *prev)
{
	struct norm n = {0};
	json_t *i = in ? J(in) : NULL;
	n.out = odoo_config_normalize(i, prev, &n.pw, &n.clear, &n.err);
	json_decref(i);
	return n;
}

static void norm_free(struct norm *n)
{
	json_decref(n->out);
	free(n->pw);
}

static void norm_bad(const char *in, json_t *prev, const char *field)
{
	struct norm n = normalize(in, prev);
	if (n.out) {
		char *s = json_dumps(n.out, JSON_COMPACT);
		fail_msg("odoo_config %s accepted as %s, expected an error on %s", in, s, field);
	}
	assert_null(n.pw);
	assert_int_equal(n.err.code, BE_VALIDATION_ERROR);
	if (strcmp(n.err.field, field) != 0)
		fail_msg("odoo_config %s: error on '%s' (%s), expected '%s'", in, n.err.field,
			 n.err.message, field);
	assert_non_null(strstr(n.err.message, field));
}

static void test_normalize_defaults(void **state)
{
	(void)state;
	struct norm n = normalize(NULL, NULL);
	assert_non_null(n.out);
	assert_json_eq(n.out, "{\"preset\": \"standard\"}");
	assert_null(n.pw);
	assert_false(n.clear);
	norm_free(&n);
	n = normalize("{}", NULL);
	assert_json_eq(n.out, "{\"preset\": \"standard\"}");
	norm_free(&n);
	/* the spec's example */
	n = normalize("{\"workers\": 4, \"max_cron_threads\": 2, \"log_level\": \"info\"}", NULL);
	assert_json_eq(n.out, "{\"preset\": \"standard\", \"workers\": 4, \"max_cron_threads\": 2,"
			      " \"log_level\": \"info\"}");
	norm_free(&n);
	const char *presets[] = {"minimal", "standard", "production", "high_performance"};
	for (size_t i = 0; i < 4; i++) {
		char in[80];
		snprintf(in, sizeof in, "{\"preset\": \"%s\"}", presets[i]);
		n = normalize(in, NULL);
		assert_non_null(n.out);
		assert_string_equal(json_string_value(json_object_get(n.out, "preset")), presets[i]);
		norm_free(&n);
	}
	/* all parameters at their bounds */
	n = normalize("{\"workers\": 0, \"max_cron_threads\": 0, \"session_timeout\": 5,"
		      " \"db_filter\": \"^%d$\", \"log_level\": \"debug\"}", NULL);
	assert_non_null(n.out);
	norm_free(&n);
	n = normalize("{\"workers\": 64, \"max_cron_threads\": 16, \"session_timeout\": 525600,"
		      " \"db_filter\": \"^%h_.*$\", \"log_level\": \"critical\"}", NULL);
	assert_non_null(n.out);
	norm_free(&n);
	const char *levels[] = {"debug", "info", "warning", "error", "critical"};
	for (size_t i = 0; i < 5; i++) {
		char in[80];
		snprintf(in, sizeof in, "{\"log_level\": \"%s\"}", levels[i]);
		n = normalize(in, NULL);
		assert_non_null(n.out);
		norm_free(&n);
	}
}

static void test_normalize_errors(void **state)
{
	(void)state;
	norm_bad("{\"preset\": \"turbo\"}", NULL, "odoo_config.preset");
	norm_bad("{\"preset\": 1}", NULL, "odoo_config.preset");
	norm_bad("{\"workers\": -1}", NULL, "odoo_config.workers");
	norm_bad("{\"workers\": 65}", NULL, "odoo_config.workers");
	norm_bad("{\"workers\": \"4\"}", NULL, "odoo_config.workers");
	norm_bad("{\"workers\": 2.5}", NULL, "odoo_config.workers");
	norm_bad("{\"max_cron_threads\": 17}", NULL, "odoo_config.max_cron_threads");
	norm_bad("{\"max_cron_threads\": -1}", NULL, "odoo_config.max_cron_threads");
	norm_bad("{\"log_level\": \"verbose\"}", NULL, "odoo_config.log_level");
	norm_bad("{\"log_level\": \"INFO\"}", NULL, "odoo_config.log_level");
	norm_bad("{\"db_filter\": \"\"}", NULL, "odoo_config.db_filter");
	norm_bad("{\"db_filter\": \"a\\nb\"}", NULL, "odoo_config.db_filter");
	norm_bad("{\"db_filter\": \"%s\"}", NULL, "odoo_config.db_filter");
	norm_bad("{\"db_filter\": \"100%\"}", NULL, "odoo_config.db_filter");
	/* what odoo.conf cannot carry as given: the renderer's own validators (lib/valid.h) */
	norm_bad("{\"db_filter\": \"True\"}", NULL, "odoo_config.db_filter");
	norm_bad("{\"db_filter\": \" ^a$\"}", NULL, "odoo_config.db_filter");
	norm_bad("{\"db_filter\": \"^a$ \"}", NULL, "odoo_config.db_filter");
	norm_bad("{\"smtp\": {\"host\": \"mail.example.com\", \"password\": \" p\"}}", NULL,
		 "odoo_config.smtp.password");
	norm_bad("{\"smtp\": {\"host\": \"mail.example.com\", \"password\": \"\"}}", NULL,
		 "odoo_config.smtp.password");
	norm_bad("{\"smtp\": {\"host\": \"mail.example.com\", \"user\": \"\"}}", NULL,
		 "odoo_config.smtp.user");
	norm_bad("{\"smtp\": {\"host\": \"mail.example.com\", \"user\": \"None\"}}", NULL,
		 "odoo_config.smtp.user");
	norm_bad("{\"smtp\": {\"host\": \"mail.example.com\", \"user\": \"True\"}}", NULL,
		 "odoo_config.smtp.user");
	norm_bad("{\"smtp\": {\"host\": \"None\"}}", NULL, "odoo_config.smtp.host");
	norm_bad("{\"session_timeout\": 4}", NULL, "odoo_config.session_timeout");
	norm_bad("{\"session_timeout\": 525601}", NULL, "odoo_config.session_timeout");
	norm_bad("{\"admin_passwd\": \"x\"}", NULL, "odoo_config.admin_passwd");
	norm_bad("{\"smtp\": \"mail.example.com\"}", NULL, "odoo_config.smtp");
	norm_bad("{\"smtp\": {}}", NULL, "odoo_config.smtp.host");
	norm_bad("{\"smtp\": {\"host\": \"bad host\"}}", NULL, "odoo_config.smtp.host");
	norm_bad("{\"smtp\": {\"host\": \"mail.example.com\", \"port\": 0}}", NULL,
		 "odoo_config.smtp.port");
	norm_bad("{\"smtp\": {\"host\": \"mail.example.com\", \"port\": 65536}}", NULL,
		 "odoo_config.smtp.port");
	norm_bad("{\"smtp\": {\"host\": \"mail.example.com\", \"encryption\": \"ssl\"}}", NULL,
		 "odoo_config.smtp.encryption");
	norm_bad("{\"smtp\": {\"host\": \"mail.example.com\", \"from\": \"nobody\"}}", NULL,
		 "odoo_config.smtp.from");
	norm_bad("{\"smtp\": {\"host\": \"mail.example.com\", \"user\": \"a b\"}}", NULL,
		 "odoo_config.smtp.user");
	norm_bad("{\"smtp\": {\"host\": \"mail.example.com\", \"tls\": true}}", NULL,
		 "odoo_config.smtp.tls");
	/* an error after a password was read gives no password back */
	norm_bad("{\"smtp\": {\"host\": \"mail.example.com\", \"password\": \"pw\","
		 " \"from\": \"x\"}}", NULL, "odoo_config.smtp.from");
	/* a failed update leaves the previous configuration alone */
	json_t *prev = J("{\"preset\": \"production\", \"workers\": 4}");
	norm_bad("{\"workers\": 99}", prev, "odoo_config.workers");
	assert_json_eq(prev, "{\"preset\": \"production\", \"workers\": 4}");
	json_decref(prev);
}

static void test_normalize_merge(void **state)
{
	(void)state;
	json_t *prev = J("{\"preset\": \"production\", \"workers\": 4, \"log_level\": \"info\","
			 " \"db_filter\": \"^%d$\"}");
	/* given keys replace, null removes, the rest stays */
	struct norm n = normalize("{\"workers\": 8, \"log_level\": null}", prev);
	assert_non_null(n.out);
	assert_json_eq(n.out, "{\"preset\": \"production\", \"workers\": 8, \"db_filter\": \"^%d$\"}");
	assert_false(n.clear);
	norm_free(&n);
	/* prev is not modified */
	assert_json_eq(prev, "{\"preset\": \"production\", \"workers\": 4, \"log_level\": \"info\","
			     " \"db_filter\": \"^%d$\"}");
	/* the preset cannot be removed, only replaced */
	norm_bad("{\"preset\": null}", prev, "odoo_config.preset");
	/* a stored configuration without a preset gets the default one back */
	json_t *nopreset = J("{\"workers\": 4}");
	n = normalize("{\"log_level\": \"error\"}", nopreset);
	assert_json_eq(n.out, "{\"preset\": \"standard\", \"workers\": 4, \"log_level\": \"error\"}");
	norm_free(&n);
	json_decref(nopreset);
	/* integers written as 4.0 (as some JSON encoders do) are stored as integers, so that
	 * they count in the effective configuration */
	n = normalize("{\"workers\": 4.0, \"max_cron_threads\": 3.0, \"session_timeout\": 60.0}",
		      NULL);
	assert_non_null(n.out);
	assert_true(json_is_integer(json_object_get(n.out, "workers")));
	assert_true(json_is_integer(json_object_get(n.out, "max_cron_threads")));
	assert_true(json_is_integer(json_object_get(n.out, "session_timeout")));
	json_t *e = odoo_config_effective(n.out, 140, 2867, "staging");
	assert_int_equal(json_integer_value(json_object_get(e, "workers")), 4);
	assert_int_equal(json_integer_value(json_object_get(e, "max_cron_threads")), 3);
	json_decref(e);
	norm_free(&n);
	n = normalize("{\"smtp\": {\"host\": \"smtp.example.com\", \"port\": 2525.0}}", NULL);
	assert_non_null(n.out);
	assert_true(json_is_integer(json_object_get(json_object_get(n.out, "smtp"), "port")));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(n.out, "smtp"), "port")),
			 2525);
	norm_free(&n);
	/* nothing given: the previous configuration as is */
	n = normalize(NULL, prev);
	assert_true(json_equal(n.out, prev));
	assert_true(n.out != prev);
	norm_free(&n);
	json_decref(prev);
}

static void test_normalize_smtp_password(void **state)
{
	(void)state;
	json_t *in = J("{\"smtp\": {\"host\": \"smtp.example.com\", \"user\": \"mailer\","
		       " \"password\": \"s3cret-pw\", \"from\": \"odoo@example.com\"}}");
	char *pw = NULL;
	bool clear = true;
	struct berr err = {0};
	json_t *out = odoo_config_normalize(in, NULL, &pw, &clear, &err);
	assert_non_null(out);
	/* the password is taken out, the input is left as it was */
	assert_non_null(pw);
	assert_string_equal(pw, "s3cret-pw");
	assert_false(clear);
	json_t *smtp = json_object_get(out, "smtp");
	assert_null(json_object_get(smtp, "password"));
	assert_true(json_is_true(json_object_get(smtp, "password_set")));
	assert_int_equal(json_integer_value(json_object_get(smtp, "port")), 587);
	assert_string_equal(json_string_value(json_object_get(smtp, "encryption")), "starttls");
	assert_string_equal(json_string_value(json_object_get(smtp, "host")), "smtp.example.com");
	char *dump = json_dumps(out, JSON_COMPACT);
	assert_null(strstr(dump, "s3cret-pw"));
	free(dump);
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(in, "smtp"), "password")), "s3cret-pw");
	json_decref(in);
	free(pw);

	/* update without a password keeps the stored one (password_set stays true) */
	struct norm n = normalize("{\"smtp\": {\"host\": \"mail2.example.com\", \"port\": 2525}}", out);
	assert_non_null(n.out);
	assert_null(n.pw);
	assert_false(n.clear);
	smtp = json_object_get(n.out, "smtp");
	assert_true(json_is_true(json_object_get(smtp, "password_set")));
	assert_int_equal(json_integer_value(json_object_get(smtp, "port")), 2525);
	assert_string_equal(json_string_value(json_object_get(smtp, "host")), "mail2.example.com");
	/* smtp replaced as a whole: "user" and "from" are gone */
	assert_null(json_object_get(smtp, "user"));
	norm_free(&n);

	/* update of other keys leaves smtp and its password alone */
	n = normalize("{\"workers\": 2}", out);
	assert_false(n.clear);
	assert_null(n.pw);
	assert_true(json_equal(json_object_get(n.out, "smtp"), json_object_get(out, "smtp")));
	norm_free(&n);

	/* a new password replaces it */
	n = normalize("{\"smtp\": {\"host\": \"smtp.example.com\", \"password\": \"other\"}}", out);
	assert_string_equal(n.pw, "other");
	assert_false(n.clear);
	assert_true(json_is_true(json_object_get(json_object_get(n.out, "smtp"), "password_set")));
	norm_free(&n);

	/* the password_set the client echoes back is accepted and does not count */
	n = normalize("{\"smtp\": {\"host\": \"smtp.example.com\", \"password_set\": true}}", out);
	assert_non_null(n.out);
	assert_true(json_is_true(json_object_get(json_object_get(n.out, "smtp"), "password_set")));
	assert_false(n.clear);
	norm_free(&n);
	n = normalize("{\"smtp\": {\"host\": \"smtp.example.com\", \"password_set\": true}}", NULL);
	assert_non_null(n.out);
	assert_false(json_is_true(json_object_get(json_object_get(n.out, "smtp"), "password_set")));
	assert_true(n.clear);
	norm_free(&n);

	/* smtp: null removes it and its password */
	n = normalize("{\"smtp\": null}", out);
	assert_non_null(n.out);
	assert_null(json_object_get(n.out, "smtp"));
	assert_true(n.clear);
	assert_null(n.pw);
	norm_free(&n);
	json_decref(out);

	/* smtp without a password when none was stored: password_set false */
	n = normalize("{\"smtp\": {\"host\": \"smtp.example.com\", \"encryption\": \"none\"}}", NULL);
	smtp = json_object_get(n.out, "smtp");
	assert_false(json_is_true(json_object_get(smtp, "password_set")));
	assert_true(json_is_boolean(json_object_get(smtp, "password_set")));
	assert_int_equal(json_integer_value(json_object_get(smtp, "port")), 25);
	assert_null(n.pw);
	norm_free(&n);
}

/* ---- odoo_config_effective --------------------------------------------------------------------- */

static json_t *eff(const char *cfg, int odoo_cpu_c, long long odoo_ram_mb, const char *type)
{
	json_t *c = cfg ? J(cfg) : NULL;
	json_t *e = odoo_config_effective(c, odoo_cpu_c, odoo_ram_mb, type);
	json_decref(c);
	assert_non_null(e);
	return e;
}

static void eff_is(json_t *e, const char *preset, long long workers, long long cron,
		   const char *level)
{
	if (!str_eq(json_string_value(json_object_get(e, "preset")), preset) ||
	    json_integer_value(json_object_get(e, "workers")) != workers ||
	    json_integer_value(json_object_get(e, "max_cron_threads")) != cron ||
	    !str_eq(json_string_value(json_object_get(e, "log_level")), level)) {
		char *s = json_dumps(e, JSON_COMPACT);
		fail_msg("effective %s, want %s workers=%lld cron=%lld %s", s, preset, workers, cron,
			 level);
	}
	json_decref(e);
}

static void test_effective_presets(void **state)
{
	(void)state;
	/* Odoo's share of 2.0 / 4096: 1.4 cores, 2867 MB: 2 x 1.4 + 1 = 3 workers (RAM allows 7) */
	eff_is(eff("{\"preset\": \"standard\"}", 140, 2867, "staging"), "standard", 3, 2, "info");
	eff_is(eff("{\"preset\": \"standard\"}", 140, 2867, "production"), "standard", 3, 2, "info");
	/* development with the standard preset: 2 workers */
	eff_is(eff("{\"preset\": \"standard\"}", 140, 2867, "development"), "standard", 2, 2, "info");
	eff_is(eff("{\"preset\": \"minimal\"}", 140, 2867, "staging"), "minimal", 0, 1, "info");
	eff_is(eff("{\"preset\": \"production\"}", 140, 2867, "staging"), "production", 3, 2,
	       "warning");
	eff_is(eff("{\"preset\": \"high_performance\"}", 140, 2867, "staging"), "high_performance", 3,
	       4, "warning");
	/* no configuration: standard */
	eff_is(eff(NULL, 140, 2867, "staging"), "standard", 3, 2, "info");
	eff_is(eff("{}", 140, 2867, "staging"), "standard", 3, 2, "info");
	/* RAM bound: 5.6 cores would give 12 workers, 1434 MB allows 3 */
	eff_is(eff("{\"preset\": \"production\"}", 560, 1434, "production"), "production", 3, 2,
	       "warning");
	/* high performance: 256 MB per worker */
	eff_is(eff("{\"preset\": \"high_performance\"}", 560, 1434, "production"),
	       "high_performance", 5, 4, "warning");
	eff_is(eff("{\"preset\": \"high_performance\"}", 560, 65536, "production"),
	       "high_performance", 12, 4, "warning");
	/* tiny: no room for workers (threaded mode) */
	eff_is(eff("{\"preset\": \"standard\"}", 15, 128, "staging"), "standard", 0, 2, "info");
	eff_is(eff("{\"preset\": \"standard\"}", 15, 128, "development"), "standard", 0, 2, "info");
	/* small CPU but enough RAM: at least 2 workers */
	eff_is(eff("{\"preset\": \"standard\"}", 15, 1434, "staging"), "standard", 2, 2, "info");
}

static void test_effective_explicit_wins(void **state)
{
	(void)state;
	eff_is(eff("{\"preset\": \"minimal\", \"workers\": 5, \"max_cron_threads\": 3,"
		   " \"log_level\": \"debug\"}", 140, 2867, "staging"), "minimal", 5, 3, "debug");
	eff_is(eff("{\"preset\": \"high_performance\", \"workers\": 0}", 560, 65536, "production"),
	       "high_performance", 0, 4, "warning");
	eff_is(eff("{\"preset\": \"standard\", \"workers\": 4}", 140, 2867, "development"),
	       "standard", 4, 2, "info");
	eff_is(eff("{\"preset\": \"production\", \"log_level\": \"error\"}", 140, 2867, "staging"),
	       "production", 3, 2, "error");
	eff_is(eff("{\"max_cron_threads\": 0}", 140, 2867, "staging"), "standard", 3, 0, "info");
}

static void test_effective_memory_limits(void **state)
{
	(void)state;
	/* floors: Odoo's own defaults */
	json_t *e = eff("{}", 140, 2867, "staging");
	assert_int_equal(json_integer_value(json_object_get(e, "limit_memory_soft_mb")), 2048);
	assert_int_equal(json_integer_value(json_object_get(e, "limit_memory_hard_mb")), 2560);
	json_decref(e);
	/* 45875 MB / (4 + 1) = 9175 per process: soft 80%, hard 95% */
	e = eff("{\"workers\": 4}", 2240, 45875, "production");
	assert_int_equal(json_integer_value(json_object_get(e, "limit_memory_soft_mb")), 7340);
	assert_int_equal(json_integer_value(json_object_get(e, "limit_memory_hard_mb")), 8716);
	json_decref(e);
	/* threaded mode (0 workers): the whole share */
	e = eff("{\"workers\": 0}", 140, 10000, "staging");
	assert_int_equal(json_integer_value(json_object_get(e, "limit_memory_soft_mb")), 8000);
	assert_int_equal(json_integer_value(json_object_get(e, "limit_memory_hard_mb")), 9500);
	json_decref(e);
}

/* ---- env_vars_validate --------------------------------------------------------------------- */

static void vars_bad(const char *text, const char *field)
{
	json_t *v = J(text);
	struct berr err = {0};
	if (env_vars_validate(v, &err) == 0)
		fail_msg("environment_vars %s accepted, expected an error on %s", text, field);
	json_decref(v);
	assert_int_equal(err.code, BE_VALIDATION_ERROR);
	if (strcmp(err.field, field) != 0)
		fail_msg("environment_vars %s: error on '%s', expected '%s'", text, err.field, field);
}

static void vars_ok(const char *text)
{
	json_t *v = J(text);
	struct berr err = {0};
	if (env_vars_validate(v, &err) != 0)
		fail_msg("environment_vars %s refused: %s", text, err.message);
	json_decref(v);
}

static void test_env_vars(void **state)
{
	(void)state;
	vars_ok("{}");
	vars_ok("{\"CUSTOM_VAR\": \"value\"}");
	vars_ok("{\"a\": \"\", \"_X1\": \"with spaces and = signs\", \"Mixed_Case\": \"ünïcode\"}");
	vars_ok("{\"PYTHONPATH\": \"/opt/x\", \"HOSTNAME_X\": \"h\", \"APG\": \"p\"}");
	vars_bad("{\"1X\": \"v\"}", "environment_vars.1X");
	vars_bad("{\"A-B\": \"v\"}", "environment_vars.A-B");
	vars_bad("{\"A B\": \"v\"}", "environment_vars.A B");
	vars_bad("{\"A.B\": \"v\"}", "environment_vars.A.B");
	vars_bad("{\"\": \"v\"}", "environment_vars.");
	/* reserved: berth sets the database connection */
	const char *reserved[] = {"HOST", "PORT", "USER", "PASSWORD", "ODOO_RC", "PGPASSWORD",
				  "PGHOST", "POSTGRES_PASSWORD", "BERTH_ENV"};
	for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++) {
		char text[80], field[80];
		snprintf(text, sizeof text, "{\"OK\": \"v\", \"%s\": \"v\"}", reserved[i]);
		snprintf(field, sizeof field, "environment_vars.%s", reserved[i]);
		vars_bad(text, field);
	}
	/* values are strings of one line */
	vars_bad("{\"N\": 5}", "environment_vars.N");
	vars_bad("{\"N\": true}", "environment_vars.N");
	vars_bad("{\"N\": null}", "environment_vars.N");
	vars_bad("{\"N\": {\"a\": \"b\"}}", "environment_vars.N");
	vars_bad("{\"N\": [\"a\"]}", "environment_vars.N");
	vars_bad("{\"N\": \"a\\nb\"}", "environment_vars.N");
	vars_bad("{\"N\": \"a\\u0000b\"}", "environment_vars.N");
	/* not an object */
	vars_bad("[]", "environment_vars");
	vars_bad("\"A=B\"", "environment_vars");
	/* lengths */
	char *big = malloc(5000);
	memcpy(big, "{\"N\": \"", 7);
	memset(big + 7, 'x', 4096);
	strcpy(big + 7 + 4096, "\"}");
	vars_ok(big);
	memset(big + 7, 'x', 4097);
	strcpy(big + 7 + 4097, "\"}");
	vars_bad(big, "environment_vars.N");
	free(big);
	json_t *many = json_object();
	for (int i = 0; i < 100; i++) {
		char k[16];
		snprintf(k, sizeof k, "V%d", i);
		json_object_set_new(many, k, json_string("x"));
	}
	struct berr err = {0};
	assert_int_equal(env_vars_validate(many, &err), 0);
	json_object_set_new(many, "V100", json_string("x"));
	assert_int_equal(env_vars_validate(many, &err), -1);
	assert_string_equal(err.field, "environment_vars");
	json_decref(many);
}

/* ---- addon_repos_validate ------------------------------------------------------------------- */

static const char *test_area = "acme"; /* the organization's slug */

static void repos_bad(const char *text, const char *field, const char *in_message)
{
	json_t *v = J(text);
	struct berr err = {0};
	if (addon_repos_validate(v, git_local_allowed, test_area, &err) == 0)
		fail_msg("addon_repositories %s accepted", text);
	json_decref(v);
	assert_int_equal(err.code, BE_VALIDATION_ERROR);
	if (strcmp(err.field, field) != 0)
		fail_msg("addon_repositories %s: error on '%s', expected '%s'", text, err.field, field);
	if (in_message && !strstr(err.message, in_message))
		fail_msg("addon_repositories %s: message '%s' lacks '%s'", text, err.message,
			 in_message);
}

static void repos_ok(const char *text)
{
	json_t *v = J(text);
	struct berr err = {0};
	if (addon_repos_validate(v, git_local_allowed, test_area, &err) != 0)
		fail_msg("addon_repositories %s refused: %s", text, err.message);
	json_decref(v);
}

static void test_addon_repos(void **state)
{
	(void)state;
	/* local paths only under ROOT/<organization slug>/ of a --git-local-root */
	char root[] = "/tmp/berth-unit-roots-XXXXXX";
	assert_non_null(mkdtemp(root));
	char acme[128], beta[128], repo[160], other[160], lt[512];
	snprintf(acme, sizeof acme, "%s/acme", root);
	snprintf(beta, sizeof beta, "%s/beta", root);
	snprintf(repo, sizeof repo, "%s/repo.git", acme);
	snprintf(other, sizeof other, "%s/loose.git", root);
	assert_int_equal(mkdir(acme, 0700), 0);
	assert_int_equal(mkdir(repo, 0700), 0);
	assert_int_equal(mkdir(other, 0700), 0);
	assert_int_equal(symlink(acme, beta), 0); /* an area that is a link to another one */
	const char *roots[] = {root, NULL};
	git_init("/nonexistent-berth-data", roots);
	repos_ok("[]");
	snprintf(lt, sizeof lt, "[{\"url\": \"%s\", \"branch\": \"main\"}]", repo);
	repos_ok(lt);
	test_area = "beta"; /* as another organization (its area links to acme's) */
	repos_bad(lt, "addon_repositories", "--git-local-root");
	test_area = NULL; /* an organization without a slug: no local path */
	repos_bad(lt, "addon_repositories", "--git-local-root");
	test_area = "acme";
	snprintf(lt, sizeof lt, "[{\"url\": \"%s\", \"branch\": \"main\"}]", other);
	repos_bad(lt, "addon_repositories", "--git-local-root"); /* right under the root */
	snprintf(lt, sizeof lt, "[{\"url\": \"%s\", \"branch\": \"main\"}]", acme);
	repos_bad(lt, "addon_repositories", "--git-local-root"); /* the area itself */
	assert_true(git_local_allowed(repo, "acme"));
	assert_false(git_local_allowed(repo, "beta"));
	assert_false(git_local_allowed(repo, NULL));
	assert_false(git_local_allowed(repo, ".."));
	assert_false(git_local_allowed(other, "acme"));
	snprintf(lt, sizeof lt, "%s/beta/repo.git", root);
	assert_false(git_local_allowed(lt, "beta"));
	assert_true(git_local_allowed(lt, "acme")); /* judged by where it really is */
	repos_ok("[{\"url\": \"https://github.com/OCA/web.git\", \"branch\": \"17.0\"}]");
	repos_ok("[{\"url\": \"git@github.com:acme/addons.git\", \"branch\": \"feature/x\","
		 " \"commit\": \"abcdef1\"},"
		 " {\"url\": \"ssh://git@gitlab.com/acme/more.git\", \"branch\": \"main\","
		 " \"commit\": \"0123456789abcdef0123456789abcdef01234567\"},"
		 " {\"url\": \"https://gitlab.com/acme/third.git\", \"branch\": \"main\","
		 " \"commit\": null}]");
	repos_bad("[{\"url\": \"/usr/share\", \"branch\": \"main\"}]", "addon_repositories",
		  "--git-local-root");
	/* urls that could become git options or shell syntax */
	repos_bad("[{\"url\": \"--upload-pack=x\", \"branch\": \"main\"}]", "addon_repositories",
		  "addon_repositories[0].url");
	repos_bad("[{\"url\": \"-u\", \"branch\": \"main\"}]", "addon_repositories", "url");
	repos_bad("[{\"url\": \"https://x/`id`\", \"branch\": \"main\"}]", "addon_repositories",
		  "url");
	repos_bad("[{\"url\": \"https://x/a b\", \"branch\": \"main\"}]", "addon_repositories", "url");
	repos_bad("[{\"url\": \"https://x/'a'\", \"branch\": \"main\"}]", "addon_repositories", "url");
	repos_bad("[{\"url\": \"https://\", \"branch\": \"main\"}]", "addon_repositories", "url");
	repos_bad("[{\"url\": \"ftp-ish\", \"branch\": \"main\"}]", "addon_repositories", "url");
	repos_bad("[{\"url\": \"/srv/../etc\", \"branch\": \"main\"}]", "addon_repositories", "url");
	/* a password in the URL would be stored and shown in clear */
	repos_bad("[{\"url\": \"https://bob:hunter2@x.org/a.git\", \"branch\": \"main\"}]",
		  "addon_repositories", "password");
	/* branches */
	const char *branches[] = {"-x", "a..b", "a b", "a~1", "a^", "a:b", "x.lock", "/a", "a/",
				  "@{u}", "a\\\\b", ""};
	for (size_t i = 0; i < sizeof branches / sizeof branches[0]; i++) {
		char text[160];
		snprintf(text, sizeof text,
			 "[{\"url\": \"https://github.com/a/b.git\", \"branch\": \"%s\"}]", branches[i]);
		repos_bad(text, "addon_repositories", "branch");
	}
	/* commits: 7 to 40 hex digits */
	const char *commits[] = {"abc", "abcdef", "xyz1234", "0123456789abcdef0123456789abcdef012345678",
				 "HEAD", "abcdef1 ", ""};
	for (size_t i = 0; i < sizeof commits / sizeof commits[0]; i++) {
		char text[200];
		snprintf(text, sizeof text,
			 "[{\"url\": \"https://github.com/a/b.git\", \"branch\": \"main\","
			 " \"commit\": \"%s\"}]", commits[i]);
		repos_bad(text, "addon_repositories", "commit");
	}
	/* structure: indexed field names */
	repos_bad("[{\"branch\": \"main\"}]", "addon_repositories[0].url", NULL);
	repos_bad("[{\"url\": \"https://github.com/a/b.git\"}]", "addon_repositories[0].branch", NULL);
	repos_bad("[{\"url\": \"https://github.com/a/b.git\", \"branch\": \"main\"},"
		  " {\"url\": \"https://github.com/a/c.git\", \"branch\": \"main\", \"path\": \"x\"}]",
		  "addon_repositories[1].path", NULL);
	repos_bad("[{\"url\": 5, \"branch\": \"main\"}]", "addon_repositories[0].url", NULL);
	repos_bad("[\"https://github.com/a/b.git\"]", "addon_repositories[0]", NULL);
	repos_bad("[{\"url\": \"https://github.com/a/b.git\", \"branch\": \"main\"},"
		  " {\"url\": \"https://github.com/a/b.git\", \"branch\": \"17.0\"}]",
		  "addon_repositories", "addon_repositories[1].url");
	repos_bad("{}", "addon_repositories", NULL);
	json_t *many = json_array();
	for (int i = 0; i < 21; i++)
		json_array_append_new(many, json_pack("{s:s,s:s}", "url", "https://x/y", "branch", "m"));
	/* the same url 21 times: refused on the count before the duplicates */
	struct berr err = {0};
	assert_int_equal(addon_repos_validate(many, git_local_allowed, "acme", &err), -1);
	assert_string_equal(err.field, "addon_repositories");
	assert_non_null(strstr(err.message, "20"));
	json_decref(many);
	unlink(beta);
	rmdir(repo);
	rmdir(other);
	rmdir(acme);
	rmdir(root);
}

/* ---- env_type_valid, odoo_version_valid ----------------------------------------------------- */

static void test_types_and_versions(void **state)
{
	(void)state;
	assert_true(env_type_valid("development"));
	assert_true(env_type_valid("staging"));
	assert_true(env_type_valid("production"));
	assert_false(env_type_valid("Production"));
	assert_false(env_type_valid("dev"));
	assert_false(env_type_valid("prod"));
	assert_false(env_type_valid("test"));
	assert_false(env_type_valid(""));
	assert_false(env_type_valid(NULL));
	assert_false(env_type_valid("staging "));
	const char *versions[] = {"16.0", "17.0", "18.0", "19.0"};
	for (size_t i = 0; i < 4; i++) {
		assert_true(odoo_version_valid(versions[i]));
		assert_string_equal(ODOO_VERSIONS[i], versions[i]);
	}
	assert_false(odoo_version_valid("15.0"));
	assert_false(odoo_version_valid("18"));
	assert_false(odoo_version_valid("20.0"));
	assert_false(odoo_version_valid(""));
	assert_false(odoo_version_valid(NULL));
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_spec_example),
		cmocka_unit_test(test_split_defaults),
		cmocka_unit_test(test_split_minimums),
		cmocka_unit_test(test_split_large_and_rounding),
		cmocka_unit_test(test_cpu_range_and_step),
		cmocka_unit_test(test_ram_range_and_step),
		cmocka_unit_test(test_disk_range),
		cmocka_unit_test(test_first_error_wins),
		cmocka_unit_test(test_pg_override),
		cmocka_unit_test(test_pg_override_ranges),
		cmocka_unit_test(test_pg_override_must_leave),
		cmocka_unit_test(test_footprint),
		cmocka_unit_test(test_normalize_defaults),
		cmocka_unit_test(test_normalize_errors),
		cmocka_unit_test(test_normalize_merge),
		cmocka_unit_test(test_normalize_smtp_password),
		cmocka_unit_test(test_effective_presets),
		cmocka_unit_test(test_effective_explicit_wins),
		cmocka_unit_test(test_effective_memory_limits),
		cmocka_unit_test(test_env_vars),
		cmocka_unit_test(test_addon_repos),
		cmocka_unit_test(test_types_and_versions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
