/* core/alert_rules.c: thresholds, sustain, hysteresis, restarts, unreachable servers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/alert_rules.h"

static void test_level_sustain_and_hysteresis(void **state)
{
	(void)state;
	struct alert_track t = {0};
	/* 90 % for less than 300 s: nothing yet */
	assert_int_equal(alert_step_level(&t, 1000, 90, 70, 85, 300), ALERT_NONE);
	assert_int_equal(alert_step_level(&t, 1200, 90, 70, 85, 300), ALERT_NONE);
	t.level = alert_step_level(&t, 1300, 90, 70, 85, 300);
	assert_int_equal(t.level, ALERT_CRITICAL);
	/* between warning and critical: stays open, as a warning */
	t.level = alert_step_level(&t, 1330, 75, 70, 85, 300);
	assert_int_equal(t.level, ALERT_WARNING);
	/* under the warning level: resolved at once */
	t.level = alert_step_level(&t, 1360, 50, 70, 85, 300);
	assert_int_equal(t.level, ALERT_NONE);
	/* a dip resets the run */
	assert_int_equal(alert_step_level(&t, 2000, 80, 70, 85, 300), ALERT_NONE);
	assert_int_equal(alert_step_level(&t, 2200, 60, 70, 85, 300), ALERT_NONE);
	assert_int_equal(alert_step_level(&t, 2400, 80, 70, 85, 300), ALERT_NONE);
	assert_int_equal(alert_step_level(&t, 2700, 80, 70, 85, 300), ALERT_WARNING);
	/* sustain 0: the first sample raises */
	struct alert_track u = {0};
	assert_int_equal(alert_step_level(&u, 5, 99, 70, 85, 0), ALERT_CRITICAL);
}

static void test_restarts(void **state)
{
	(void)state;
	struct alert_track t = {0};
	assert_int_equal(alert_step_restarts(&t, 0, 5, 3, 600), ALERT_NONE);
	assert_int_equal(alert_step_restarts(&t, 30, 6, 3, 600), ALERT_NONE);
	assert_int_equal(alert_step_restarts(&t, 60, 8, 3, 600), ALERT_NONE); /* +3 */
	assert_int_equal(alert_step_restarts(&t, 90, 9, 3, 600), ALERT_CRITICAL); /* +4 */
	/* the window passes with no new restart */
	assert_int_equal(alert_step_restarts(&t, 700, 9, 3, 600), ALERT_NONE);
	/* a new container counts from 0 again */
	assert_int_equal(alert_step_restarts(&t, 730, 0, 3, 600), ALERT_NONE);
	assert_int_equal(alert_step_restarts(&t, 760, 2, 3, 600), ALERT_NONE);
	/* a long run of samples stays bounded */
	for (int i = 0; i < 100; i++)
		alert_step_restarts(&t, 800 + i, 2, 3, 600);
	assert_true(t.nseen <= 16);
}

static void test_reachable(void **state)
{
	(void)state;
	struct alert_track t = {0};
	assert_int_equal(alert_step_reachable(&t, false, 2), ALERT_NONE);
	assert_int_equal(alert_step_reachable(&t, false, 2), ALERT_CRITICAL);
	assert_int_equal(alert_step_reachable(&t, false, 2), ALERT_CRITICAL);
	assert_int_equal(alert_step_reachable(&t, true, 2), ALERT_NONE);
	assert_int_equal(alert_step_reachable(&t, false, 2), ALERT_NONE);
}

static void test_thresholds_parse(void **state)
{
	(void)state;
	struct alert_thresholds t;
	struct berr err = {0};
	json_t *j = json_pack("{s:f,s:i}", "cpu_critical_pct", 95.0, "sustain_s", 0);
	assert_int_equal(alert_thresholds_parse(j, &alert_thresholds_default, &t, &err), 0);
	assert_true(t.cpu_critical_pct == 95.0 && t.sustain_s == 0);
	assert_true(t.memory_critical_pct == 85.0);
	json_decref(j);
	const char *bad[][2] = {
		{"{\"cpu_warning_pct\": 90}", "cpu_warning_pct"},       /* above critical 85 */
		{"{\"disk_critical_pct\": 101}", "disk_critical_pct"},
		{"{\"sustain_s\": 1.5}", "sustain_s"},
		{"{\"nope\": 1}", "nope"},
		{"{\"memory_warning_pct\": \"70\"}", "memory_warning_pct"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		json_t *b = json_loads(bad[i][0], 0, NULL);
		memset(&err, 0, sizeof err);
		assert_int_equal(alert_thresholds_parse(b, &alert_thresholds_default, &t, &err), -1);
		assert_string_equal(err.field, bad[i][1]);
		json_decref(b);
	}
	json_t *o = alert_thresholds_json(&alert_thresholds_default);
	assert_int_equal(json_integer_value(json_object_get(o, "unreachable_rounds")), 2);
	assert_true(json_real_value(json_object_get(o, "disk_critical_pct")) == 90.0);
	json_decref(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_level_sustain_and_hysteresis),
		cmocka_unit_test(test_restarts),
		cmocka_unit_test(test_reachable),
		cmocka_unit_test(test_thresholds_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
