/* lib/jtext.c: jtext_value writes what json_dumps writes with the API flags, byte for byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/jtext.h"

static void same_as_jansson(json_t *v)
{
	char *want = json_dumps(v, JSON_INDENT(0) | JSON_COMPACT | JSON_PRESERVE_ORDER |
				       JSON_REAL_PRECISION(12) | JSON_ENCODE_ANY);
	struct sbuf sb = SBUF_INIT;
	jtext_value(&sb, v);
	assert_non_null(want);
	assert_string_equal(sb.buf, want);
	free(want);
	sbuf_release(&sb);
	json_decref(v);
}

static void test_scalars(void **state)
{
	(void)state;
	double reals[] = {1.0, 0.5, 1e20, 1e-5, 123456789012345.0, 3.14159265358979, -0.0, 2.5e-300,
			  100.0, 0.1, -7.25, 1e300, 0.6};
	for (size_t i = 0; i < sizeof reals / sizeof *reals; i++)
		same_as_jansson(json_real(reals[i]));
	json_int_t ints[] = {0, 1, -1, 42, INT64_MAX, INT64_MIN, 1000000007};
	for (size_t i = 0; i < sizeof ints / sizeof *ints; i++)
		same_as_jansson(json_integer(ints[i]));
	same_as_jansson(json_true());
	same_as_jansson(json_false());
	same_as_jansson(json_null());
	same_as_jansson(json_string(""));
	same_as_jansson(json_string("plain"));
	same_as_jansson(json_string("q\"b\\s/\b\f\n\r\t\x01\x1f\x7f é \xe2\x80\xa8 日本"));
	same_as_jansson(json_stringn("nul\0inside", 10));
}

static void test_nested(void **state)
{
	(void)state;
	json_t *o = json_pack("{s:s,s:i,s:f,s:b,s:n,s:[i,s,{}],s:{s:[],s:{s:s}}}", "name", "Acme \"x\"",
			      "n", 3, "cpu", 1.5, "on", 1, "none", "list", 1, "two", "obj", "a",
			      "b", "c", "d");
	/* deleting and setting again moves a key to the end, as jansson writes it */
	json_object_del(o, "n");
	json_object_set_new(o, "n", json_integer(4));
	json_object_set_new(o, "zz\n", json_string("last"));
	same_as_jansson(o);
	json_t *a = json_array();
	for (int i = 0; i < 50; i++)
		json_array_append_new(a, json_pack("{s:i,s:s,s:f}", "i", i, "k", "v", "r", i / 3.0));
	same_as_jansson(a);
	same_as_jansson(json_object());
	same_as_jansson(json_array());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scalars),
		cmocka_unit_test(test_nested),
	};
	return cmocka_run_group_tests_name("jtext_dumps", tests, NULL, NULL);
}
