/* lib/util.c's struct sbuf: its buffer is never NULL (SBUF_INIT and every release or detach
 * leave it on the shared empty sbuf_slopbuf, which is never written to), and a zeroed
 * struct sbuf works as well. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/util.h"

static void test_init_is_an_empty_string(void **state)
{
	(void)state;
	struct sbuf sb = SBUF_INIT;
	assert_non_null(sb.buf);
	assert_ptr_equal(sb.buf, sbuf_slopbuf);
	assert_string_equal(sb.buf, "");
	assert_int_equal(sb.len, 0);
	assert_string_equal(sbuf_str(&sb), "");
	sbuf_reset(&sb); /* nothing to reset, nothing written */
	assert_ptr_equal(sb.buf, sbuf_slopbuf);
	sbuf_release(&sb); /* nothing to free */
	assert_ptr_equal(sb.buf, sbuf_slopbuf);
	assert_string_equal(sbuf_slopbuf, "");

	struct sbuf in;
	memset(&in, 0xa5, sizeof in);
	sbuf_init(&in);
	assert_ptr_equal(in.buf, sbuf_slopbuf);
	assert_int_equal(in.len, 0);
	assert_int_equal(in.cap, 0);
}

static void test_add_release_detach(void **state)
{
	(void)state;
	struct sbuf sb = SBUF_INIT;
	sbuf_adds(&sb, "odoo");
	sbuf_addc(&sb, '-');
	sbuf_addf(&sb, "%d", 18);
	assert_ptr_not_equal(sb.buf, sbuf_slopbuf);
	assert_string_equal(sb.buf, "odoo-18");
	assert_int_equal(sb.len, 7);
	assert_true(sb.cap > sb.len);
	sbuf_reset(&sb);
	assert_string_equal(sb.buf, "");
	assert_int_equal(sb.len, 0);
	sbuf_add(&sb, "x", 1);
	assert_string_equal(sb.buf, "x");
	sbuf_release(&sb);
	assert_ptr_equal(sb.buf, sbuf_slopbuf);
	assert_int_equal(sb.len, 0);
	assert_int_equal(sb.cap, 0);
	assert_string_equal(sbuf_slopbuf, "");

	/* detach hands over an allocated string, even an empty one, and leaves the sbuf reusable */
	char *empty = sbuf_detach(&sb);
	assert_non_null(empty);
	assert_ptr_not_equal(empty, sbuf_slopbuf);
	assert_string_equal(empty, "");
	free(empty);
	sbuf_addf(&sb, "%s=%s", "a", "b");
	char *s = sbuf_detach(&sb);
	assert_string_equal(s, "a=b");
	assert_ptr_equal(sb.buf, sbuf_slopbuf);
	assert_int_equal(sb.len, 0);
	free(s);
	sbuf_adds(&sb, "again");
	assert_string_equal(sb.buf, "again");
	sbuf_release(&sb);

	/* adding nothing to an empty sbuf leaves the shared empty string unwritten */
	sbuf_add(&sb, "", 0);
	assert_string_equal(sb.buf, "");
	sbuf_release(&sb);
	assert_string_equal(sbuf_slopbuf, "");
}

static void test_grow_keeps_the_text(void **state)
{
	(void)state;
	struct sbuf sb = SBUF_INIT;
	sbuf_grow(&sb, 10);
	assert_non_null(sb.buf);
	assert_ptr_not_equal(sb.buf, sbuf_slopbuf);
	assert_string_equal(sb.buf, ""); /* a fresh buffer is a string at once */
	for (int i = 0; i < 1000; i++)
		sbuf_addc(&sb, (char)('a' + i % 26));
	assert_int_equal(sb.len, 1000);
	assert_int_equal(strlen(sb.buf), 1000);
	assert_int_equal(sb.buf[26], 'a');
	sbuf_release(&sb);
}

static void test_zeroed_sbuf_works(void **state)
{
	(void)state;
	struct sbuf sb;
	memset(&sb, 0, sizeof sb);
	assert_string_equal(sbuf_str(&sb), "");
	sbuf_reset(&sb);
	assert_ptr_equal(sb.buf, sbuf_slopbuf);
	memset(&sb, 0, sizeof sb);
	sbuf_adds(&sb, "zero");
	assert_string_equal(sb.buf, "zero");
	sbuf_release(&sb);
	assert_ptr_equal(sb.buf, sbuf_slopbuf);
	memset(&sb, 0, sizeof sb);
	char *s = sbuf_detach(&sb);
	assert_string_equal(s, "");
	free(s);
	assert_ptr_equal(sb.buf, sbuf_slopbuf);
	memset(&sb, 0, sizeof sb);
	sbuf_release(&sb);
	assert_ptr_equal(sb.buf, sbuf_slopbuf);
}

static void test_xasprintf(void **state)
{
	(void)state;
	char *s = xasprintf("%s/%03d", "job", 7);
	assert_string_equal(s, "job/007");
	free(s);
	s = xasprintf("%s", "");
	assert_non_null(s);
	assert_string_equal(s, "");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_is_an_empty_string),
		cmocka_unit_test(test_add_release_detach),
		cmocka_unit_test(test_grow_keeps_the_text),
		cmocka_unit_test(test_zeroed_sbuf_works),
		cmocka_unit_test(test_xasprintf),
	};
	return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
