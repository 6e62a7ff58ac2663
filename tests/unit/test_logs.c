/* Logs (drivers/engine_logs.c, ops/logs.c, svc/logs.c): the Engine's timestamps, the levels of
 * log lines, the query's rules, tar headers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "drivers/engine_logs.h"
#include "ops/logs.h"
#include "svc/logs.h"

static int64_t ts(const char *s)
{
	return engine_ts_parse(s, strlen(s));
}

static void test_timestamps(void **state)
{
	(void)state;
	assert_int_equal(ts("1970-01-01T00:00:00Z"), 0);
	assert_int_equal(ts("2024-01-01T12:00:00.123456789Z"), 1704110400123456789LL);
	assert_int_equal(ts("2024-01-01T12:00:00.5Z"), 1704110400500000000LL); /* trimmed zeros */
	assert_int_equal(ts("2024-01-01T14:00:00+02:00"), 1704110400000000000LL);
	assert_int_equal(ts("2024-01-01T12:00:00,25Z"), 1704110400250000000LL);
	assert_true(ts("2024-01-01T12:00:00") < 0); /* no zone */
	assert_true(ts("2024-13-01T12:00:00Z") < 0);
	assert_true(ts("yesterday") < 0);
	assert_true(ts("2024-01-01T12:00:00.Z") < 0);
	assert_true(ts("2024-01-01T12:00:00Zx") < 0);
	char out[40];
	engine_ts_format(1704110400123456789LL, out);
	assert_string_equal(out, "2024-01-01T12:00:00.123456789Z");
	engine_ts_format(1704110400000000007LL, out);
	assert_string_equal(out, "2024-01-01T12:00:00.000000007Z");
	assert_int_equal(ts(out), 1704110400000000007LL);
}

static void test_levels(void **state)
{
	(void)state;
	assert_int_equal(logs_line_level("2024-01-01 12:00:00,123 7 INFO db odoo.modules.loading: x"),
			 LOGL_INFO);
	assert_int_equal(logs_line_level("2024-01-01 12:00:00,123 7 WARNING ? odoo.http: x"),
			 LOGL_WARNING);
	assert_int_equal(logs_line_level("2024-01-01 12:00:00,123 7 ERROR db odoo.sql_db: x"),
			 LOGL_ERROR);
	assert_int_equal(logs_line_level("2024-01-01 12:00:00,123 7 CRITICAL db odoo: x"),
			 LOGL_CRITICAL);
	assert_int_equal(logs_line_level("2024-01-01 12:00:00,123 7 DEBUG db odoo: x"), LOGL_DEBUG);
	/* PostgreSQL, nginx */
	assert_int_equal(logs_line_level("2024-01-01 12:00:00.123 UTC [1] LOG:  checkpoint"),
			 LOGL_INFO);
	assert_int_equal(logs_line_level("2024-01-01 12:00:00.123 UTC [9] FATAL:  password"),
			 LOGL_CRITICAL);
	assert_int_equal(logs_line_level("2024/01/01 12:00:00 [error] 29#29: *1 connect() failed"),
			 LOGL_ERROR);
	/* continuations (a traceback) and access lines have none */
	assert_int_equal(logs_line_level("Traceback (most recent call last):"), LOGL_NONE);
	assert_int_equal(logs_line_level("  File \"x.py\", line 1, in <module>"), LOGL_NONE);
	assert_int_equal(logs_line_level(""), LOGL_NONE);
	assert_int_equal(logs_line_level("172.18.0.1 shop.localhost [01/Jan/2024:12:00:00 +0000] "
					 "\"GET / HTTP/1.1\" 200"),
			 LOGL_NONE);
}

static void test_line_json(void **state)
{
	(void)state;
	char *j = logs_line_json(1704110400123456790LL, 1704110400123456789LL, "a \"quoted\" line",
				 "odoo", LOGL_ERROR);
	assert_string_equal(j, "{\"id\":\"1704110400123456790\",\"ts\":\"2024-01-01T12:00:00."
			       "123456789Z\",\"line\":\"a \\\"quoted\\\" line\",\"container\":\"odoo\","
			       "\"level\":\"error\"}");
	free(j);
	j = logs_line_json(1, 1, "caf\xe9 \xc3\xa9", "odoo", LOGL_INFO); /* Latin-1, then UTF-8 */
	assert_non_null(strstr(j, "\"line\":\"caf\xef\xbf\xbd \xc3\xa9\""));
	free(j);
	j = logs_line_json(1, 1, "x", "db", LOGL_NONE);
	assert_non_null(strstr(j, "\"level\":null"));
	free(j);
}

static int field_of(const struct logs_args *a, long def_tail, char *field)
{
	struct logq q;
	struct berr err = {0};
	int rc = svc_logs_query(a, def_tail, &q, &err);
	snprintf(field, 96, "%s", err.field);
	return rc;
}

static void test_query(void **state)
{
	(void)state;
	struct logq q;
	struct berr err = {0};
	struct logs_args none = {0};
	assert_int_equal(svc_logs_query(&none, LOGS_TAIL_DEFAULT, &q, &err), 0);
	assert_int_equal(q.tail, 500);
	assert_string_equal(q.container, "odoo");
	assert_int_equal(q.level, LOGL_NONE);
	struct logs_args all = {.tail = "100000", .since = "2024-01-01", .until = "2024-01-01T12:00:00",
				.level = "warning", .q = "x", .container = "edge"};
	assert_int_equal(svc_logs_query(&all, LOGS_TAIL_DEFAULT, &q, &err), 0);
	assert_int_equal(q.tail, 100000);
	assert_int_equal(q.since_ns, 1704067200000000000LL);
	assert_int_equal(q.until_ns, 1704110400000000000LL);
	assert_int_equal(q.level, LOGL_WARNING);
	assert_string_equal(q.container, "edge");
	char f[96];
	static const struct {
		struct logs_args a;
		const char *field;
	} bad[] = {
		{{.tail = "0"}, "tail"},        {{.tail = "100001"}, "tail"},
		{{.tail = "5x"}, "tail"},       {{.tail = ""}, "tail"},
		{{.since = "soon"}, "since"},   {{.until = "2024-02-30T00:00:00Z"}, "until"},
		{{.level = "INFO"}, "level"},   {{.container = "nginx"}, "container"},
		{{.since = "2024-01-02", .until = "2024-01-01"}, "until"},
		{{.q = "a\nb"}, "q"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		assert_int_equal(field_of(&bad[i].a, LOGS_TAIL_DEFAULT, f), -1);
		assert_string_equal(f, bad[i].field);
	}
	struct logs_args zero = {.tail = "0"};
	assert_int_equal(svc_logs_query(&zero, 0, &q, &err), 0); /* the download, the stream */
	assert_int_equal(q.tail, 0);
}

static void test_tar_header(void **state)
{
	(void)state;
	char h[512];
	engine_tar_header(h, "odoo/1704110400123456789.log", 1234, 0644, '0');
	assert_string_equal(h, "odoo/1704110400123456789.log");
	assert_string_equal(h + 124, "00000002322"); /* 1234 in octal */
	assert_int_equal(h[156], '0');
	assert_memory_equal(h + 257, "ustar\0" "00", 8);
	unsigned sum = 0;
	for (int i = 0; i < 512; i++)
		sum += (i >= 148 && i < 156) ? ' ' : (unsigned char)h[i];
	assert_int_equal(strtoul(h + 148, NULL, 8), sum);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timestamps),
		cmocka_unit_test(test_levels),
		cmocka_unit_test(test_line_json),
		cmocka_unit_test(test_query),
		cmocka_unit_test(test_tar_header),
	};
	return cmocka_run_group_tests_name("logs", tests, NULL, NULL);
}
