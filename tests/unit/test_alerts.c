/* ops/alerts.c on a temporary store: samples raise, escalate and resolve alerts, one open
 * alert per target and kind, thresholds per organization, a restart keeps open alerts and
 * the sweep resolves what is no longer sampled. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>
#include <unistd.h>

#include "core/alert_rules.h"
#include "lib/secret.h"
#include "lib/util.h"
#include "ops/alerts.h"
#include "store/alerts.h"
#include "store/db.h"
#include "store/model.h"

static char dir[64];
static char org[37];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/berth-unit-alerts-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	unsigned char key[32] = {1};
	secret_init_key(key);
	struct berr err = {0};
	if (db_open(dir, &err) < 0)
		return -1;
	model_seed_plans();
	char uid[37];
	if (model_user_create("a@example.com", "A", "a long password 1", true, uid, &err) < 0)
		return -1;
	json_t *o = model_org_create("Acme", uid, NULL, &err);
	if (!o)
		return -1;
	snprintf(org, sizeof org, "%s", json_string_value(json_object_get(o, "id")));
	json_decref(o);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ops_alerts_stop();
	db_shutdown();
	const char *names[] = {"berth.db", "berth.db-wal", "berth.db-shm"};
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		char *p = xasprintf("%s/%s", dir, names[i]);
		unlink(p);
		free(p);
	}
	rmdir(dir);
	return 0;
}

static struct alert_env_sample env(double cpu, bool running, int64_t restarts)
{
	return (struct alert_env_sample){org, NULL, "env-1", "shop-dev", "odoo", true, running,
					 cpu, 10, restarts};
}

static json_t *open_of(const char *kind)
{
	json_t *l = alerts_list(org, "raised", NULL, true, 100);
	json_t *found = NULL;
	size_t i;
	json_t *a;
	json_array_foreach(l, i, a)
		if (str_eq(json_string_value(json_object_get(a, "kind")), kind))
			found = json_incref(a);
	json_decref(l);
	return found;
}

static void test_cpu_raise_escalate_resolve(void **state)
{
	(void)state;
	/* no sustain, for the test */
	json_t *t = json_pack("{s:i,s:f,s:f}", "sustain_s", 0, "cpu_warning_pct", 50.0,
			      "cpu_critical_pct", 80.0);
	assert_int_equal(alerts_thresholds_set(org, t), 0);
	json_decref(t);
	ops_alerts_thresholds_changed(org);

	struct alert_env_sample s = env(10, true, 0);
	ops_alerts_env(1000, &s);
	assert_null(open_of("cpu"));
	s = env(60, true, 0);
	ops_alerts_env(1030, &s);
	json_t *a = open_of("cpu");
	assert_non_null(a);
	assert_string_equal(json_string_value(json_object_get(a, "severity")), "warning");
	assert_string_equal(json_string_value(json_object_get(a, "container")), "odoo");
	assert_string_equal(json_string_value(json_object_get(a, "target_name")), "shop-dev");
	char id[37];
	snprintf(id, sizeof id, "%s", json_string_value(json_object_get(a, "id")));
	json_decref(a);
	s = env(95, true, 0);
	ops_alerts_env(1060, &s);
	a = open_of("cpu");
	assert_string_equal(json_string_value(json_object_get(a, "severity")), "critical");
	assert_string_equal(json_string_value(json_object_get(a, "id")), id); /* the same alert */
	json_decref(a);
	s = env(5, true, 0);
	ops_alerts_env(1090, &s);
	assert_null(open_of("cpu"));
	json_t *all = alerts_list(org, "resolved", NULL, true, 100);
	assert_int_equal(json_array_size(all), 1);
	json_decref(all);
}

static void test_down_and_restart_survives(void **state)
{
	(void)state;
	struct alert_env_sample s = env(-1, false, -1);
	ops_alerts_env(2000, &s);
	json_t *a = open_of("down");
	assert_non_null(a);
	json_decref(a);
	/* berthd restarts: the open alert is carried over, not raised twice */
	ops_alerts_stop();
	ops_alerts_start();
	ops_alerts_env(2030, &s);
	json_t *l = alerts_list(org, "raised", NULL, true, 100);
	assert_int_equal(json_array_size(l), 1);
	json_decref(l);
	/* the environment is removed: nothing samples it; the sweep resolves */
	ops_alerts_sweep(2100, 60);
	assert_null(open_of("down"));
}

static void test_server_unreachable_and_visibility(void **state)
{
	(void)state;
	struct alert_server_sample s = {org, "srv-1", "edge-1", false, -1, -1, -1};
	ops_alerts_server(3000, &s);
	assert_null(open_of("unreachable"));
	ops_alerts_server(3030, &s);
	json_t *a = open_of("unreachable");
	assert_non_null(a);
	assert_string_equal(json_string_value(json_object_get(a, "target_type")), "server");
	json_decref(a);
	/* without server.view, or limited to projects, server alerts are left out */
	json_t *none = alerts_list(org, "raised", NULL, false, 100);
	assert_int_equal(json_array_size(none), 0);
	json_decref(none);
	json_t *projects = json_pack("[s]", "p-1");
	json_t *some = alerts_list(org, "raised", projects, true, 100);
	assert_int_equal(json_array_size(some), 1);
	json_decref(some);
	json_decref(projects);
	s.answered = true;
	s.cpu_pct = 1;
	s.mem_pct = 1;
	s.disk_pct = 1;
	ops_alerts_server(3060, &s);
	assert_null(open_of("unreachable"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpu_raise_escalate_resolve),
		cmocka_unit_test(test_down_and_restart_survives),
		cmocka_unit_test(test_server_unreachable_and_visibility),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
