/* lib/jtext.c writes JSON text byte for byte as jansson's json_dumps does with the API's flags
 * (api/server.c): every value here is written both ways and compared. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <cmocka.h>
#include <sodium.h>

#include "lib/jtext.h"
#include "lib/util.h"

#define FLAGS (JSON_INDENT(0) | JSON_COMPACT | JSON_PRESERVE_ORDER | \
	       JSON_REAL_PRECISION(JTEXT_PRECISION) | JSON_ENCODE_ANY)

static void same(json_t *v)
{
	char *want = json_dumps(v, FLAGS);
	assert_non_null(want);
	struct sbuf got = SBUF_INIT;
	jtext_value(&got, v);
	if (strcmp(want, sbuf_str(&got)) != 0)
		fail_msg("jansson wrote %s, jtext wrote %s", want, sbuf_str(&got));
	free(want);
	sbuf_release(&got);
	json_decref(v);
}

static void test_numbers(void **state)
{
	(void)state;
	const long long ints[] = {0, 1, -1, 9, 10, -10, 1234567890123LL, LLONG_MAX, LLONG_MIN};
	for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
		same(json_integer(ints[i]));
	const double reals[] = {0.0, -0.0, 1.0, -1.5, 0.1, 0.3, 0.45, 1.05, 2.0, 100.0, 1e-7, 1e22,
				-2.5e-300, 1.7976931348623157e308, DBL_MIN, 4.9e-324, 123456789012.0,
				1234567890123.0, 0.000123, 1.123456789012345, 3.0000000000001};
	for (size_t i = 0; i < sizeof reals / sizeof reals[0]; i++)
		same(json_real(reals[i]));
	for (int i = 0; i < 20000; i++) {
		uint64_t bits;
		randombytes_buf(&bits, sizeof bits);
		double d;
		memcpy(&d, &bits, sizeof d);
		if (isfinite(d))
			same(json_real(d));
		same(json_real((double)(int32_t)bits / 100.0));
		same(json_integer((json_int_t)bits));
	}
}

static void test_strings(void **state)
{
	(void)state;
	const char *strs[] = {"", "plain", "q\"uote", "back\\slash", "/slash/", "\b\f\n\r\t",
			      "\x01\x1f\x7f", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
			      "\xe2\x80\xa8\xe2\x80\xa9", "\xc2\x85", "a\x1b[31mred"};
	for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
		same(json_string(strs[i]));
		assert_true(jtext_utf8_ok(strs[i]));
		struct sbuf sb = SBUF_INIT;
		jtext_str(&sb, strs[i]);
		json_t *v = json_string(strs[i]);
		char *want = json_dumps(v, FLAGS);
		assert_string_equal(want, sbuf_str(&sb));
		free(want);
		json_decref(v);
		sbuf_release(&sb);
	}
	same(json_stringn("a\0b", 3));
	/* what json_string refuses, jtext_utf8_ok refuses */
	const char *bad[] = {"\xff", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80",
			     "\xc3", "a\xe2\x82", "\x80"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_null(json_string(bad[i]));
		assert_false(jtext_utf8_ok(bad[i]));
	}
	assert_false(jtext_utf8_ok(NULL));
	/* every one- and two-byte sequence: the same verdict as json_string */
	for (int a = 1; a < 256; a++)
		for (int b = 0; b < 256; b++) {
			char s[3] = {(char)a, (char)b, '\0'};
			json_t *v = json_string(s);
			assert_int_equal(v != NULL, jtext_utf8_ok(s));
			if (v)
				same(v);
		}
}

static void test_containers(void **state)
{
	(void)state;
	same(json_object());
	same(json_array());
	same(json_null());
	same(json_true());
	same(json_false());
	const char *texts[] = {
		"{\"preset\":\"production\",\"workers\":4,\"smtp\":{\"host\":\"h\",\"port\":587,"
		"\"password_set\":true,\"from\":null},\"db_filter\":\"^%d$\"}",
		"[{\"url\":\"https://x/y.git\",\"branch\":\"main\",\"commit\":null},[],{},[1,2.5,\"3\"]]",
		"{\"z\":1,\"a\":2,\"m\":{\"k\\u00e9\":\"\\u2028\",\"\\\"\":\"\\\\\"}}",
	};
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		json_t *v = json_loads(texts[i], JSON_DECODE_ANY, NULL);
		assert_non_null(v);
		same(v);
	}
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_containers),
	};
	return cmocka_run_group_tests_name("jtext", tests, NULL, NULL);
}
