/* Declarative JSON parsing (lib/jspec.c): types, ranges, lengths, unknown and required
 * fields, null, nested prefixes, and the field named in each error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/jspec.h"
#include "lib/util.h"

static json_t *doc;
static struct berr err;

static json_t *load(const char *text)
{
	json_error_t je;
	json_t *j = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
	if (!j)
		fail_msg("bad test JSON %s: %s", text, je.text);
	return j;
}

/* Parses text against spec; the document stays alive until the next call (borrowed strings). */
static int parse(const char *text, const struct jfield *spec, const char *prefix)
{
	json_decref(doc);
	doc = load(text);
	berr_clear(&err);
	return jspec_parse(doc, spec, prefix, &err);
}

static void expect_error(const char *field, const char *msg_part)
{
	assert_int_equal(err.code, BE_VALIDATION_ERROR);
	if (strcmp(err.field, field) != 0)
		fail_msg("error field \"%s\", want \"%s\" (message: %s)", err.field, field, err.message);
	if (msg_part && !strstr(err.message, msg_part))
		fail_msg("error message \"%s\" lacks \"%s\"", err.message, msg_part);
	/* messages name the field first so that people see which one */
	if (*field && strncmp(err.message, field, strlen(field)) != 0)
		fail_msg("error message \"%s\" does not start with the field %s", err.message, field);
}

static int teardown(void **state)
{
	(void)state;
	json_decref(doc);
	doc = NULL;
	return 0;
}

static void test_types_ok(void **state)
{
	(void)state;
	const char *s = NULL;
	long long i = 0;
	double d = 0;
	bool b = false, has_s = false, has_i = false, has_missing = false;
	json_t *o = NULL, *a = NULL, *any = NULL;
	const char *missing = "untouched";
	struct jfield spec[] = {
		{.name = "s", .type = J_STRING, .required = true, .dest = &s, .present = &has_s},
		{.name = "i", .type = J_INT, .dest = &i, .present = &has_i},
		{.name = "d", .type = J_NUMBER, .dest = &d},
		{.name = "b", .type = J_BOOL, .dest = &b},
		{.name = "o", .type = J_OBJECT, .dest = &o},
		{.name = "a", .type = J_ARRAY, .dest = &a},
		{.name = "any", .type = J_ANY, .dest = &any},
		{.name = "missing", .type = J_STRING, .dest = &missing, .present = &has_missing},
		JF_END,
	};
	assert_int_equal(parse("{\"s\":\"caf\\u00e9\",\"i\":-42,\"d\":2.5,\"b\":true,\"o\":{\"k\":1},"
			       "\"a\":[1,2],\"any\":\"x\"}", spec, NULL), 0);
	assert_int_equal(err.code, BERTH_OK);
	assert_string_equal(s, "caf\xc3\xa9");
	assert_int_equal(i, -42);
	assert_true(d > 2.49 && d < 2.51);
	assert_true(b);
	assert_true(json_is_object(o));
	assert_int_equal(json_array_size(a), 2);
	assert_string_equal(json_string_value(any), "x");
	assert_true(has_s && has_i);
	assert_false(has_missing);
	assert_string_equal(missing, "untouched");
	/* an integer is a number; an integral real is an integer */
	assert_int_equal(parse("{\"s\":\"x\",\"d\":3,\"i\":7.0}", spec, NULL), 0);
	assert_true(d > 2.99 && d < 3.01);
	assert_int_equal(i, 7);
	/* J_ANY takes anything */
	assert_int_equal(parse("{\"s\":\"x\",\"any\":[{\"deep\":null}]}", spec, NULL), 0);
	assert_true(json_is_array(any));
	/* an empty spec accepts an empty object */
	struct jfield none[] = {JF_END};
	assert_int_equal(parse("{}", none, NULL), 0);
}

static void test_wrong_types(void **state)
{
	(void)state;
	struct jfield spec[] = {
		{.name = "s", .type = J_STRING},
		{.name = "i", .type = J_INT},
		{.name = "d", .type = J_NUMBER},
		{.name = "b", .type = J_BOOL},
		{.name = "o", .type = J_OBJECT},
		{.name = "a", .type = J_ARRAY},
		JF_END,
	};
	static const struct {
		const char *json, *field, *msg;
	} cases[] = {
		{"{\"s\":1}", "s", "must be a string"},
		{"{\"s\":true}", "s", "must be a string"},
		{"{\"s\":[\"x\"]}", "s", "must be a string"},
		{"{\"i\":\"1\"}", "i", "must be an integer"},
		{"{\"i\":1.5}", "i", "must be an integer"},
		{"{\"i\":true}", "i", "must be an integer"},
		{"{\"i\":1e300}", "i", "must be an integer"},
		{"{\"d\":\"2.5\"}", "d", "must be a number"},
		{"{\"d\":false}", "d", "must be a number"},
		{"{\"b\":1}", "b", "must be true or false"},
		{"{\"b\":\"true\"}", "b", "must be true or false"},
		{"{\"o\":[]}", "o", "must be an object"},
		{"{\"o\":\"{}\"}", "o", "must be an object"},
		{"{\"a\":{}}", "a", "must be an array"},
		{"{\"a\":\"[]\"}", "a", "must be an array"},
	};
	for (size_t k = 0; k < ARRAY_SIZE(cases); k++) {
		if (parse(cases[k].json, spec, NULL) != -1)
			fail_msg("%s accepted", cases[k].json);
		expect_error(cases[k].field, cases[k].msg);
	}
}

static void test_not_an_object(void **state)
{
	(void)state;
	struct jfield spec[] = {{.name = "x", .type = J_STRING}, JF_END};
	const char *bodies[] = {"[]", "\"text\"", "42", "null", "true"};
	for (size_t k = 0; k < ARRAY_SIZE(bodies); k++) {
		assert_int_equal(parse(bodies[k], spec, NULL), -1);
		assert_int_equal(err.code, BE_VALIDATION_ERROR);
		assert_non_null(strstr(err.message, "must be a JSON object"));
	}
	/* nested: the field is the object's name, without the separator */
	assert_int_equal(parse("[1]", spec, "odoo_config."), -1);
	expect_error("odoo_config", "must be a JSON object");
	assert_int_equal(parse("\"x\"", spec, "addon_repositories[2]."), -1);
	expect_error("addon_repositories[2]", "must be a JSON object");
}

static void test_ranges(void **state)
{
	(void)state;
	long long i = 0, free_i = 0;
	double d = 0;
	struct jfield spec[] = {
		{.name = "i", .type = J_INT, .dest = &i, .imin = 1, .imax = 30},
		{.name = "d", .type = J_NUMBER, .dest = &d, .dmin = 0.1, .dmax = 16},
		{.name = "free", .type = J_INT, .dest = &free_i}, /* imin == imax: no range */
		JF_END,
	};
	assert_int_equal(parse("{\"i\":1,\"d\":0.1}", spec, NULL), 0);
	assert_int_equal(i, 1);
	assert_int_equal(parse("{\"i\":30,\"d\":16}", spec, NULL), 0);
	assert_int_equal(i, 30);
	assert_int_equal(parse("{\"i\":0}", spec, NULL), -1);
	expect_error("i", "between 1 and 30");
	assert_int_equal(parse("{\"i\":31}", spec, NULL), -1);
	expect_error("i", "between 1 and 30");
	assert_int_equal(parse("{\"i\":-9223372036854775807}", spec, NULL), -1);
	expect_error("i", "between 1 and 30");
	assert_int_equal(parse("{\"d\":0.09}", spec, NULL), -1);
	expect_error("d", "between 0.1 and 16");
	assert_int_equal(parse("{\"d\":16.5}", spec, NULL), -1);
	expect_error("d", "between 0.1 and 16");
	assert_int_equal(parse("{\"d\":-1}", spec, NULL), -1);
	expect_error("d", NULL);
	assert_int_equal(parse("{\"free\":-9223372036854775807}", spec, NULL), 0);
	assert_true(free_i < -9000000000000000000LL);
	assert_int_equal(parse("{\"free\":9223372036854775807}", spec, NULL), 0);
}

static void test_strings(void **state)
{
	(void)state;
	const char *s = NULL, *m = NULL, *l = NULL;
	struct jfield spec[] = {
		{.name = "s", .type = J_STRING, .dest = &s},
		{.name = "m", .type = J_STRING, .dest = &m, .multiline = true},
		{.name = "l", .type = J_STRING, .dest = &l, .maxlen = 5},
		JF_END,
	};
	/* control characters */
	const char *bad[] = {
		"{\"s\":\"a\\nb\"}", "{\"s\":\"a\\tb\"}", "{\"s\":\"a\\rb\"}", "{\"s\":\"\\u001b[31m\"}",
		"{\"s\":\"a\\u0000b\"}", "{\"s\":\"\\u007f\"}", "{\"m\":\"a\\rb\"}",
		"{\"m\":\"a\\u0000b\"}", "{\"m\":\"\\u0007\"}",
	};
	for (size_t k = 0; k < ARRAY_SIZE(bad); k++) {
		if (parse(bad[k], spec, NULL) != -1)
			fail_msg("%s accepted", bad[k]);
		expect_error(bad[k][2] == 's' ? "s" : "m", "control characters");
	}
	assert_int_equal(parse("{\"m\":\"line 1\\n\\tline 2\\n\"}", spec, NULL), 0);
	assert_string_equal(m, "line 1\n\tline 2\n");
	/* lengths: 255 bytes by default, maxlen otherwise; counted in bytes */
	char *t = xasprintf("{\"s\":\"%0255d\"}", 0);
	assert_int_equal(parse(t, spec, NULL), 0);
	assert_int_equal(strlen(s), 255);
	free(t);
	t = xasprintf("{\"s\":\"%0256d\"}", 0);
	assert_int_equal(parse(t, spec, NULL), -1);
	expect_error("s", "at most 255 characters");
	free(t);
	assert_int_equal(parse("{\"l\":\"12345\"}", spec, NULL), 0);
	assert_int_equal(parse("{\"l\":\"123456\"}", spec, NULL), -1);
	expect_error("l", "at most 5 characters");
	assert_int_equal(parse("{\"l\":\"\\u00e9\\u00e9\\u00e9\"}", spec, NULL), -1); /* 6 bytes */
	expect_error("l", "at most 5");
	assert_int_equal(parse("{\"s\":\"\"}", spec, NULL), 0);
	assert_string_equal(s, "");
}

static void test_unknown_and_required(void **state)
{
	(void)state;
	const char *name = NULL;
	struct jfield spec[] = {
		{.name = "name", .type = J_STRING, .required = true, .dest = &name},
		{.name = "note", .type = J_STRING},
		JF_END,
	};
	assert_int_equal(parse("{\"name\":\"x\",\"nmae\":\"y\"}", spec, NULL), -1);
	expect_error("nmae", "unknown field");
	assert_int_equal(parse("{\"Name\":\"x\"}", spec, NULL), -1);
	expect_error("Name", "unknown field");
	assert_int_equal(parse("{}", spec, NULL), -1);
	expect_error("name", "is required");
	assert_int_equal(parse("{\"note\":\"n\"}", spec, NULL), -1);
	expect_error("name", "is required");
	assert_int_equal(parse("{\"name\":null}", spec, NULL), -1);
	expect_error("name", "is required");
	assert_int_equal(parse("{\"name\":\"x\",\"note\":null}", spec, NULL), -1);
	expect_error("note", "must not be null");
	/* an absurdly long unknown key is cut, not overflowed */
	char *t = xasprintf("{\"name\":\"x\",\"%0900d\":1}", 7);
	assert_int_equal(parse(t, spec, NULL), -1);
	assert_int_equal(err.code, BE_VALIDATION_ERROR);
	assert_true(strlen(err.field) < sizeof err.field);
	assert_non_null(strstr(err.message, "unknown field"));
	free(t);
}

static void test_nullable(void **state)
{
	(void)state;
	const char *url = "kept";
	long long days = 5;
	bool has_url = false, has_days = false;
	struct jfield spec[] = {
		{.name = "url", .type = J_STRING, .dest = &url, .present = &has_url, .nullable = true},
		{.name = "days", .type = J_INT, .dest = &days, .present = &has_days, .nullable = true,
		 .imin = 1, .imax = 10},
		JF_END,
	};
	assert_int_equal(parse("{\"url\":null,\"days\":null}", spec, NULL), 0);
	assert_true(has_url && has_days);
	assert_string_equal(url, "kept");
	assert_int_equal(days, 5);
	has_url = has_days = false;
	assert_int_equal(parse("{}", spec, NULL), 0);
	assert_false(has_url || has_days);
	assert_int_equal(parse("{\"days\":0}", spec, NULL), -1);
	expect_error("days", "between 1 and 10");
	/* a wrong type is still wrong when null would be accepted */
	assert_int_equal(parse("{\"url\":5}", spec, NULL), -1);
	expect_error("url", "must be a string");
}

static void test_nested_prefix(void **state)
{
	(void)state;
	long long port = 0;
	const char *host = NULL;
	struct jfield spec[] = {
		{.name = "host", .type = J_STRING, .required = true, .dest = &host},
		{.name = "port", .type = J_INT, .dest = &port, .imin = 1, .imax = 65535},
		JF_END,
	};
	assert_int_equal(parse("{\"host\":\"smtp.example.com\",\"port\":587}", spec, "odoo_config.smtp."),
			 0);
	assert_int_equal(port, 587);
	assert_int_equal(parse("{\"host\":\"h\",\"port\":0}", spec, "odoo_config.smtp."), -1);
	expect_error("odoo_config.smtp.port", "between 1 and 65535");
	assert_int_equal(parse("{\"port\":25}", spec, "odoo_config.smtp."), -1);
	expect_error("odoo_config.smtp.host", "is required");
	assert_int_equal(parse("{\"host\":\"h\",\"tls\":true}", spec, "odoo_config.smtp."), -1);
	expect_error("odoo_config.smtp.tls", "unknown field");
	assert_int_equal(parse("{\"host\":\"a\\nb\"}", spec, "addon_repositories[3]."), -1);
	expect_error("addon_repositories[3].host", "control characters");
	/* an empty prefix is no prefix */
	assert_int_equal(parse("{\"port\":1}", spec, ""), -1);
	expect_error("host", "is required");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_types_ok, teardown),
		cmocka_unit_test_teardown(test_wrong_types, teardown),
		cmocka_unit_test_teardown(test_not_an_object, teardown),
		cmocka_unit_test_teardown(test_ranges, teardown),
		cmocka_unit_test_teardown(test_strings, teardown),
		cmocka_unit_test_teardown(test_unknown_and_required, teardown),
		cmocka_unit_test_teardown(test_nullable, teardown),
		cmocka_unit_test_teardown(test_nested_prefix, teardown),
	};
	return cmocka_run_group_tests_name("jspec", tests, NULL, NULL);
}
