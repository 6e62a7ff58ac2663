/* Odoo modules in git trees (core/modules.c) and the process runner (lib/proc.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/modules.h"
#include "lib/proc.h"
#include "lib/util.h"

static json_t *list(const char *const *paths)
{
	json_t *a = json_array();
	for (; *paths; paths++)
		json_array_append_new(a, json_string(*paths));
	return a;
}

static char *joined(json_t *a)
{
	struct sbuf sb = SBUF_INIT;
	size_t i;
	json_t *v;
	json_array_foreach(a, i, v)
		sbuf_addf(&sb, "%s%s", i ? "|" : "", json_string_value(v));
	return sbuf_detach(&sb) ?: xstrdup("");
}

static const char *const TREE[] = {
	"README.md",
	"sale_ext/__init__.py",
	"sale_ext/__manifest__.py",
	"sale_ext/models/sale.py",
	"sale_ext/tests/fixture_mod/__manifest__.py", /* nested: not a module */
	"stock_ext/__init__.py",
	"stock_ext/__openerp__.py",
	"stock_ext/views/stock.xml",
	"vendor/oca/web_x/__init__.py",
	"vendor/oca/web_x/__manifest__.py",
	"bad dir/evil_mod/__manifest__.py",    /* a space: not on the addons path */
	"bad-name/__manifest__.py",            /* not a module name */
	"__manifest__.py",                     /* the root is no module */
	NULL,
};

static void test_modules_in_tree(void **state)
{
	(void)state;
	json_t *files = list(TREE);
	json_t *m = modules_in_tree(files);
	assert_string_equal(json_string_value(json_object_get(m, "sale_ext")), "sale_ext");
	assert_string_equal(json_string_value(json_object_get(m, "stock_ext")), "stock_ext");
	assert_string_equal(json_string_value(json_object_get(m, "vendor/oca/web_x")), "web_x");
	assert_null(json_object_get(m, "sale_ext/tests/fixture_mod"));
	assert_null(json_object_get(m, "bad-name"));
	json_decref(m);
	json_t *dirs = modules_addons_dirs(files);
	char *s = joined(dirs);
	assert_string_equal(s, "|vendor/oca"); /* the root first; "bad dir" left out */
	free(s);
	json_decref(dirs);
	json_decref(files);
}

static void test_modules_changed(void **state)
{
	(void)state;
	static const char *const after_paths[] = {
		"sale_ext/__init__.py", "sale_ext/__manifest__.py", "sale_ext/models/sale.py",
		"stock_ext/__init__.py", "stock_ext/__openerp__.py", "stock_ext/views/stock.xml",
		"new_mod/__init__.py", "new_mod/__manifest__.py", NULL};
	static const char *const changed_paths[] = {
		"sale_ext/models/sale.py", "README.md", "new_mod/__manifest__.py",
		"vendor/oca/web_x/__manifest__.py", /* removed module: nothing to update */
		"sale_ext/tests/fixture_mod/__manifest__.py", NULL};
	json_t *before = list(TREE), *after = list(after_paths), *changed = list(changed_paths);
	json_t *mods = modules_changed(before, after, changed);
	char *s = joined(mods);
	assert_string_equal(s, "sale_ext"); /* new_mod is new: not installed automatically */
	free(s);
	json_decref(mods);
	json_decref(changed);
	changed = json_array();
	mods = modules_changed(before, after, changed);
	assert_int_equal(json_array_size(mods), 0);
	json_decref(mods);
	json_decref(changed);
	json_decref(before);
	json_decref(after);
	assert_true(module_name_valid("l10n_be_coda"));
	assert_false(module_name_valid("a-b"));
	assert_false(module_name_valid(""));
	assert_false(module_name_valid("a,b"));
}

static void test_proc(void **state)
{
	(void)state;
	struct sbuf out = SBUF_INIT, err = SBUF_INIT;
	const char *cat[] = {"cat", NULL};
	struct proc p = {.argv = cat, .in = "hello\n", .in_len = 6, .out = &out, .err = &err};
	assert_int_equal(proc_run(&p), 0);
	assert_int_equal(p.exit_code, 0);
	assert_string_equal(sbuf_str(&out), "hello\n");
	/* the argument is one argv element: no shell sees it */
	sbuf_reset(&out);
	const char *echo[] = {"echo", "$(id) `x` ; rm -rf /", NULL};
	struct proc q = {.argv = echo, .out = &out};
	assert_int_equal(proc_run(&q), 0);
	assert_string_equal(sbuf_str(&out), "$(id) `x` ; rm -rf /\n");
	/* exit codes, the environment, and the time limit */
	const char *f[] = {"false", NULL};
	struct proc r = {.argv = f};
	proc_run(&r);
	assert_int_equal(r.exit_code, 1);
	sbuf_reset(&out);
	const char *envp[] = {"ONLY=1", NULL};
	const char *envc[] = {"/usr/bin/env", NULL};
	struct proc e = {.argv = envc, .env = envp, .out = &out};
	proc_run(&e);
	assert_string_equal(sbuf_str(&out), "ONLY=1\n");
	const char *sl[] = {"sleep", "30", NULL};
	struct proc t = {.argv = sl, .timeout_ms = 200};
	proc_run(&t);
	assert_true(t.timed_out);
	assert_int_equal(t.exit_code, -1);
	const char *none[] = {"/nonexistent/program", NULL};
	struct proc n = {.argv = none, .err = &err};
	assert_int_equal(proc_run(&n), -1);
	sbuf_release(&out);
	sbuf_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_modules_in_tree),
		cmocka_unit_test(test_modules_changed),
		cmocka_unit_test(test_proc),
	};
	return cmocka_run_group_tests_name("modules", tests, NULL, NULL);
}
