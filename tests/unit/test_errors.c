/* The error registry (lib/errors.c): every code has a unique name, an HTTP status and a
 * message; berr_set fills the error and returns -1. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/errors.h"

static void test_every_code_named(void **state)
{
	(void)state;
	for (int c = 1; c < BERTH_CODE_MAX; c++) {
		const char *name = berr_name((enum berth_code)c);
		int status = berr_status((enum berth_code)c);
		const char *msg = berr_default_message((enum berth_code)c);
		assert_non_null(name);
		assert_true(strlen(name) > 0);
		for (const char *p = name; *p; p++)
			if (!((*p >= 'A' && *p <= 'Z') || *p == '_'))
				fail_msg("code %d: name %s is not UPPER_SNAKE_CASE", c, name);
		if (status < 400 || status > 599)
			fail_msg("code %s: status %d is not an error status", name, status);
		assert_non_null(msg);
		assert_true(strlen(msg) > 0);
		assert_true(strlen(msg) < sizeof(((struct berr *)0)->message));
	}
}

static void test_names_unique(void **state)
{
	(void)state;
	for (int a = 1; a < BERTH_CODE_MAX; a++)
		for (int b = a + 1; b < BERTH_CODE_MAX; b++)
			if (strcmp(berr_name((enum berth_code)a), berr_name((enum berth_code)b)) == 0)
				fail_msg("codes %d and %d share the name %s", a, b,
					 berr_name((enum berth_code)a));
}

static void test_registry_matches_macro(void **state)
{
	(void)state;
	int n = 0;
#define X(nm, st, m)                                                     \
	do {                                                             \
		assert_string_equal(berr_name(BE_##nm), #nm);            \
		assert_int_equal(berr_status(BE_##nm), st);              \
		assert_string_equal(berr_default_message(BE_##nm), m);   \
		n++;                                                     \
	} while (0);
	BERTH_ERRORS(X)
#undef X
	assert_int_equal(n, BERTH_CODE_MAX - 1);
	/* the statuses the API contract relies on */
	assert_int_equal(berr_status(BE_VALIDATION_ERROR), 400);
	assert_int_equal(berr_status(BE_INVALID_JSON), 400);
	assert_int_equal(berr_status(BE_QUOTA_EXCEEDED), 400);
	assert_int_equal(berr_status(BE_NAME_EXISTS), 400);
	assert_int_equal(berr_status(BE_UNAUTHORIZED), 401);
	assert_int_equal(berr_status(BE_PERMISSION_DENIED), 403);
	assert_int_equal(berr_status(BE_NOT_FOUND), 404);
	assert_int_equal(berr_status(BE_INVITATION_NOT_FOUND), 404);
	assert_int_equal(berr_status(BE_METHOD_NOT_ALLOWED), 405);
	assert_int_equal(berr_status(BE_ALREADY_SET_UP), 409);
	assert_int_equal(berr_status(BE_PAYLOAD_TOO_LARGE), 413);
	assert_int_equal(berr_status(BE_TOO_MANY_ATTEMPTS), 429);
	assert_int_equal(berr_status(BE_INTERNAL_ERROR), 500);
}

static void test_out_of_range(void **state)
{
	(void)state;
	assert_string_equal(berr_name(BERTH_CODE_MAX), "INTERNAL_ERROR");
	assert_int_equal(berr_status(BERTH_CODE_MAX), 500);
	assert_string_equal(berr_name((enum berth_code)100000), "INTERNAL_ERROR");
	assert_int_equal(berr_status((enum berth_code)100000), 500);
	assert_non_null(berr_default_message((enum berth_code)100000));
}

static void test_berr_set(void **state)
{
	(void)state;
	struct berr e;
	berr_clear(&e);
	assert_int_equal(e.code, BERTH_OK);
	assert_int_equal(berr_set(&e, BE_VALIDATION_ERROR, "name", "%s: must be %d", "name", 5), -1);
	assert_int_equal(e.code, BE_VALIDATION_ERROR);
	assert_string_equal(e.field, "name");
	assert_string_equal(e.message, "name: must be 5");
	assert_int_equal(berr_set(&e, BE_NOT_FOUND, NULL, NULL), -1);
	assert_string_equal(e.field, "");
	assert_string_equal(e.message, "Not found");
	/* long messages and fields are cut, not overflowed */
	char big[2000];
	memset(big, 'm', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	berr_set(&e, BE_CONFLICT, big, "%s", big);
	assert_int_equal(strlen(e.field), sizeof e.field - 1);
	assert_int_equal(strlen(e.message), sizeof e.message - 1);
	assert_int_equal(berr_set(NULL, BE_CONFLICT, NULL, NULL), -1);
	berr_clear(&e);
	assert_int_equal(e.code, BERTH_OK);
	assert_string_equal(e.message, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_code_named),
		cmocka_unit_test(test_names_unique),
		cmocka_unit_test(test_registry_matches_macro),
		cmocka_unit_test(test_out_of_range),
		cmocka_unit_test(test_berr_set),
	};
	return cmocka_run_group_tests_name("errors", tests, NULL, NULL);
}
