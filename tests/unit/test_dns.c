/* The bounded name lookups (drivers/dns.c): one entry per name, addresses sorted and
 * distinct, [] for a name that does not resolve (or null when its lookup did not answer in
 * the time given: not asserted, it depends on the machine's resolver). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "drivers/dns.h"

static bool has(json_t *arr, const char *s)
{
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v)
		if (strcmp(json_string_value(v), s) == 0)
			return true;
	return false;
}

static void test_resolve(void **state)
{
	(void)state;
	const char *names[] = {"localhost", "localhost", "no-such-name.invalid"};
	json_t *r = dns_resolve_many(names, 3, 3000);
	assert_int_equal(json_array_size(r), 3);
	json_t *l = json_array_get(r, 0);
	assert_true(json_is_array(l));
	assert_true(has(l, "127.0.0.1") || has(l, "::1"));
	for (size_t i = 1; i < json_array_size(l); i++) /* sorted, distinct */
		assert_true(strcmp(json_string_value(json_array_get(l, i - 1)),
				   json_string_value(json_array_get(l, i))) < 0);
	assert_true(json_equal(l, json_array_get(r, 1)));
	json_t *bad = json_array_get(r, 2);
	assert_true(json_is_null(bad) || json_array_size(bad) == 0);
	json_decref(r);
	r = dns_resolve_many(NULL, 0, 10);
	assert_int_equal(json_array_size(r), 0);
	json_decref(r);
}

static void test_local_addresses(void **state)
{
	(void)state;
	json_t *a = dns_local_addresses();
	assert_true(has(a, "127.0.0.1"));
	json_decref(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_local_addresses),
	};
	return cmocka_run_group_tests_name("dns", tests, NULL, NULL);
}
