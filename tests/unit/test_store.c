/* The store (store/db.c, schema.c, model.c, access.c) on a temporary data directory:
 * migrations apply once and are idempotent on reopen, rows render with their declared
 * types (BOOLEAN, JSON, SECRET omitted), constraint violations are told apart, and the
 * tenancy and role rules answer as documented; what the jobs read and write of an
 * environment (struct env_row, env_set_*, the sealed columns by enum) keeps its rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/secret.h"
#include "lib/util.h"
#include "store/access.h"
#include "store/db.h"
#include "store/envs.h"
#include "store/jobs_store.h"
#include "store/model.h"
#include "store/servers.h"
#include "store/schema.h"

static char dir[64];

static void rm_dir(void)
{
	const char *names[] = {"berth.db", "berth.db-wal", "berth.db-shm", "berth.db-journal"};
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		char *p = xasprintf("%s/%s", dir, names[i]);
		unlink(p);
		free(p);
	}
	rmdir(dir);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/berth-unit-store-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	struct berr err = {0};
	if (db_open(dir, &err) < 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	db_shutdown();
	rm_dir();
	return 0;
}

static void test_migrations_apply_once(void **state)
{
	(void)state;
	int64_t n = (int64_t)schema_migrations_count;
	assert_true(n >= 2);
	assert_int_equal(db_int(-1, "SELECT max(version) FROM schema_version", ""), n);
	assert_int_equal(db_int(-1, "SELECT count(*) FROM schema_version", ""), n);
	const char *tables[] = {"users", "tokens", "plans", "orgs", "members", "invitations",
				"servers", "projects", "environments", "audit", "login_failures",
				"settings", "jobs", "job_logs"};
	for (size_t i = 0; i < ARRAY_SIZE(tables); i++)
		if (db_int(0, "SELECT count(*) FROM sqlite_master WHERE type='table' AND name=?", "s",
			   tables[i]) != 1)
			fail_msg("table %s missing after migrations", tables[i]);
	/* columns added by a later migration exist */
	assert_int_equal(db_int(0, "SELECT count(*) FROM pragma_table_info('environments')"
				   " WHERE name IN ('db_password','settings')", ""), 2);
	/* the store is in WAL mode with foreign keys on */
	char *mode = db_str("PRAGMA journal_mode", "");
	assert_string_equal(mode, "wal");
	free(mode);
	assert_int_equal(db_int(0, "PRAGMA foreign_keys", ""), 1);

	/* reopen: nothing applied twice, data kept */
	model_setting_set("probe", "kept");
	db_shutdown();
	struct berr err = {0};
	assert_int_equal(db_open(dir, &err), 0);
	assert_int_equal(db_int(-1, "SELECT count(*) FROM schema_version", ""), n);
	assert_int_equal(db_int(-1, "SELECT max(version) FROM schema_version", ""), n);
	char *v = model_setting_get("probe");
	assert_string_equal(v, "kept");
	free(v);
	/* and a third time, for good measure */
	db_shutdown();
	assert_int_equal(db_open(dir, &err), 0);
	assert_int_equal(db_int(-1, "SELECT count(*) FROM schema_version", ""), n);
}

static void test_partial_store_is_completed(void **state)
{
	(void)state;
	/* a store left at version 1 gets only the later migrations */
	int64_t n = (int64_t)schema_migrations_count;
	db_shutdown();
	rm_dir();
	assert_non_null(mkdtemp(strcpy(dir, "/tmp/berth-unit-store-XXXXXX")));
	sqlite3 *d;
	char *path = xasprintf("%s/berth.db", dir);
	assert_int_equal(sqlite3_open(path, &d), SQLITE_OK);
	assert_int_equal(sqlite3_exec(d, "CREATE TABLE schema_version(version INTEGER NOT NULL);"
				      "INSERT INTO schema_version VALUES(1);", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(d, schema_migrations[0], NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(d);
	free(path);
	struct berr err = {0};
	assert_int_equal(db_open(dir, &err), 0);
	assert_int_equal(db_int(-1, "SELECT count(*) FROM schema_version", ""), n);
	assert_int_equal(db_int(0, "SELECT count(*) FROM sqlite_master WHERE name='jobs'", ""), 1);
}

static void test_failed_migration_reports(void **state)
{
	(void)state;
	/* a table in the way makes migration 1 fail: an error, and the store is left alone */
	db_shutdown();
	rm_dir();
	assert_non_null(mkdtemp(strcpy(dir, "/tmp/berth-unit-store-XXXXXX")));
	sqlite3 *d;
	char *path = xasprintf("%s/berth.db", dir);
	assert_int_equal(sqlite3_open(path, &d), SQLITE_OK);
	assert_int_equal(sqlite3_exec(d, "CREATE TABLE users(x)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(d);
	free(path);
	struct berr err = {0};
	assert_int_equal(db_open(dir, &err), -1);
	assert_non_null(strstr(err.message, "migration 1 failed"));
	assert_int_equal(db_int(-1, "SELECT count(*) FROM schema_version", ""), 0);
	assert_int_equal(db_int(-1, "SELECT count(*) FROM sqlite_master WHERE name='tokens'", ""), 0);
}

static void test_row_json_types(void **state)
{
	(void)state;
	char uid[37];
	struct berr err = {0};
	assert_int_equal(model_user_create("Ada@Example.com", "Ada", "password123", true, uid, &err), 0);
	json_t *u = db_row("SELECT * FROM users WHERE id=?", "s", uid);
	assert_non_null(u);
	/* SECRET columns are never rendered, even with SELECT * */
	assert_null(json_object_get(u, "password_hash"));
	assert_true(json_is_true(json_object_get(u, "is_admin")));
	assert_string_equal(json_string_value(json_object_get(u, "email")), "Ada@Example.com");
	json_decref(u);
	/* BOOLEAN false, REAL, INTEGER */
	model_seed_plans();
	json_t *p = db_row("SELECT * FROM plans WHERE name='Free'", "");
	assert_true(json_is_false(json_object_get(p, "allow_ide")));
	assert_true(json_is_true(json_object_get(p, "is_default")));
	assert_true(json_is_real(json_object_get(p, "cpu_cores")));
	assert_true(json_is_integer(json_object_get(p, "ram_mb")));
	assert_int_equal(json_integer_value(json_object_get(p, "max_projects")), 1);
	json_decref(p);
	/* JSON columns parse; NULL is null; an unparsable JSON column is null, not a crash */
	json_t *o = model_org_create("Acme", uid, NULL, &err);
	assert_non_null(o);
	const char *org = json_string_value(json_object_get(o, "id"));
	json_t *list = json_pack("[s,s]", "p1", "p2");
	char uid2[37];
	assert_int_equal(model_user_create("bob@example.com", "Bob", "password123", false, uid2, &err), 0);
	assert_int_equal(model_member_add(org, uid2, "developer", list), 0);
	json_decref(list);
	json_t *m = db_row("SELECT projects FROM members WHERE user_id=?", "s", uid2);
	json_t *pr = json_object_get(m, "projects");
	assert_true(json_is_array(pr));
	assert_string_equal(json_string_value(json_array_get(pr, 1)), "p2");
	json_decref(m);
	m = db_row("SELECT projects FROM members WHERE user_id=?", "s", uid);
	assert_true(json_is_null(json_object_get(m, "projects")));
	json_decref(m);
	db_exec("UPDATE members SET projects='{not json' WHERE user_id=?", "s", uid2);
	m = db_row("SELECT projects FROM members WHERE user_id=?", "s", uid2);
	assert_true(json_is_null(json_object_get(m, "projects")));
	json_decref(m);
	json_decref(o);
	/* computed columns without a declared type follow the value */
	json_t *r = db_row("SELECT 1.5 AS f, 2 AS i, 'x' AS s, NULL AS n", "");
	assert_true(json_is_real(json_object_get(r, "f")));
	assert_true(json_is_integer(json_object_get(r, "i")));
	assert_true(json_is_string(json_object_get(r, "s")));
	assert_true(json_is_null(json_object_get(r, "n")));
	json_decref(r);
}

static void test_exec_results(void **state)
{
	(void)state;
	char uid[37];
	struct berr err = {0};
	assert_int_equal(model_user_create("carol@example.com", "Carol", "password123", false, uid, &err), 0);
	/* a duplicate email, in any case, is a constraint violation: CONFLICT on field email */
	char uid2[37];
	assert_int_equal(model_user_create("CAROL@example.com", "C", "password123", false, uid2, &err), -1);
	assert_int_equal(err.code, BE_CONFLICT);
	assert_string_equal(err.field, "email");
	assert_int_equal(db_exec("INSERT INTO settings(key, value) VALUES('k', NULL)", ""), -2);
	assert_int_equal(db_exec("INSERT INTO nosuchtable VALUES(1)", ""), -1);
	assert_int_equal(db_int(42, "SELECT value FROM settings WHERE key='none'", ""), 42);
	assert_null(db_str("SELECT value FROM settings WHERE key='none'", ""));
	assert_null(db_row("SELECT * FROM settings WHERE key='none'", ""));
	json_t *a = db_rows("SELECT * FROM settings WHERE key='none'", "");
	assert_true(json_is_array(a));
	assert_int_equal(json_array_size(a), 0);
	json_decref(a);
	/* binding types */
	assert_int_equal(db_exec("INSERT INTO settings(key, value) VALUES(?, ?)", "ss", "quote'd", "a\"b;--"), 0);
	char *v = db_str("SELECT value FROM settings WHERE key=?", "s", "quote'd");
	assert_string_equal(v, "a\"b;--");
	free(v);
	assert_int_equal(db_int(0, "SELECT ? + ?", "ii", (int64_t)1 << 40, (int64_t)1), ((int64_t)1 << 40) + 1);
	assert_int_equal(db_int(0, "SELECT ?", "b", 7), 1);
	assert_int_equal(db_int(0, "SELECT ? IS NULL", "s", (const char *)NULL), 1);
	/* transactions */
	assert_int_equal(db_begin(), 0);
	model_setting_set("tx", "1");
	db_rollback();
	assert_null(model_setting_get("tx"));
	assert_int_equal(db_begin(), 0);
	model_setting_set("tx", "2");
	assert_int_equal(db_commit(), 0);
	v = model_setting_get("tx");
	assert_string_equal(v, "2");
	free(v);
	db_exec("DELETE FROM settings WHERE key LIKE 't%'", "");
	assert_int_equal(db_changes(), 1);
}

static void test_seed_plans_once(void **state)
{
	(void)state;
	model_seed_plans();
	model_seed_plans();
	assert_int_equal(db_int(0, "SELECT count(*) FROM plans", ""), 3);
	const char *names[] = {"Free", "Pro", "Enterprise"};
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(db_int(0, "SELECT count(*) FROM plans WHERE name=?", "s", names[i]), 1);
	assert_int_equal(db_int(0, "SELECT count(*) FROM plans WHERE is_default", ""), 1);
	/* new organizations get the default plan, slugs stay unique */
	char uid[37];
	struct berr err = {0};
	assert_int_equal(model_user_create("dan@example.com", "Dan", "password123", false, uid, &err), 0);
	json_t *a = model_org_create("My Company", uid, NULL, &err);
	json_t *b = model_org_create("My  Company!", uid, NULL, &err);
	assert_string_equal(json_string_value(json_object_get(a, "plan_name")), "Free");
	assert_string_equal(json_string_value(json_object_get(a, "slug")), "my-company");
	assert_string_equal(json_string_value(json_object_get(b, "slug")), "my-company-2");
	assert_string_equal(json_string_value(json_object_get(a, "role")), "owner");
	json_t *mine = model_orgs_of_user(uid);
	assert_int_equal(json_array_size(mine), 2);
	json_decref(mine);
	json_t *u = model_org_usage_json(json_string_value(json_object_get(a, "id")));
	json_t *pr = json_object_get(u, "projects");
	assert_int_equal(json_integer_value(json_object_get(pr, "used")), 0);
	assert_int_equal(json_integer_value(json_object_get(pr, "quota")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(u, "members"), "used")), 1);
	json_decref(u);
	json_decref(a);
	json_decref(b);
}

static bool listed(const char *role, const char *perm)
{
	for (const char *const *p = role_permissions(role); p && *p; p++)
		if (strcmp(*p, perm) == 0)
			return true;
	return false;
}

static void test_roles(void **state)
{
	(void)state;
	const char *roles[] = {"viewer", "developer", "admin", "owner"};
	for (size_t i = 0; i < 4; i++)
		assert_true(role_valid(roles[i]));
	assert_false(role_valid("Owner"));
	assert_false(role_valid("root"));
	assert_false(role_valid(""));
	assert_false(role_valid(NULL));
	assert_null(role_permissions("root"));
	/* each role has everything the role below it has */
	for (size_t i = 0; i + 1 < 4; i++)
		for (const char *const *p = role_permissions(roles[i]); *p; p++)
			if (!listed(roles[i + 1], *p))
				fail_msg("%s lacks %s that %s has", roles[i + 1], *p, roles[i]);
	assert_true(role_has("viewer", "project.view"));
	assert_false(role_has("viewer", "project.create"));
	assert_false(role_has("viewer", "environment.deploy"));
	assert_true(role_has("developer", "environment.deploy"));
	assert_false(role_has("developer", "project.create"));
	assert_false(role_has("developer", "member.manage"));
	assert_true(role_has("admin", "project.create"));
	assert_true(role_has("admin", "member.manage"));
	assert_true(role_has("admin", "audit.view"));
	assert_false(role_has("admin", "member.manage_owners"));
	assert_true(role_has("owner", "member.manage_owners"));
	assert_true(role_has("owner", "org.delete"));
	assert_false(role_has("owner", "no.such.permission"));
}

static void test_tenancy(void **state)
{
	(void)state;
	model_seed_plans();
	char u1[37], u2[37];
	struct berr err = {0};
	assert_int_equal(model_user_create("e1@example.com", "E1", "password123", false, u1, &err), 0);
	assert_int_equal(model_user_create("e2@example.com", "E2", "password123", false, u2, &err), 0);
	json_t *o1 = model_org_create("Org One", u1, NULL, &err);
	json_t *o2 = model_org_create("Org Two", u2, NULL, &err);
	const char *org1 = json_string_value(json_object_get(o1, "id"));
	const char *org2 = json_string_value(json_object_get(o2, "id"));
	char p1[37], p2[37];
	uuid4(p1);
	uuid4(p2);
	db_exec("INSERT INTO projects(id, org_id, name, slug, odoo_version, created_at, updated_at)"
		" VALUES(?,?,'A','a','17.0','t','t')", "ss", p1, org1);
	db_exec("INSERT INTO projects(id, org_id, name, slug, odoo_version, created_at, updated_at)"
		" VALUES(?,?,'B','b','17.0','t','t')", "ss", p2, org1);
	struct actor a1 = {0}, a2 = {0};
	snprintf(a1.user_id, sizeof a1.user_id, "%s", u1);
	snprintf(a2.user_id, sizeof a2.user_id, "%s", u2);
	struct access acc;
	assert_int_equal(access_org(&a1, org1, &acc, &err), 0);
	assert_string_equal(acc.role, "owner");
	access_release(&acc);
	/* another organization's objects are "not found" */
	assert_int_equal(access_org(&a1, org2, &acc, &err), -1);
	assert_int_equal(err.code, BE_ORG_NOT_FOUND);
	assert_null(access_project(&a2, p1, &acc, &err));
	assert_int_equal(err.code, BE_PROJECT_NOT_FOUND);
	assert_null(access_project(&a1, "no-such-project", &acc, &err));
	assert_int_equal(err.code, BE_PROJECT_NOT_FOUND);
	json_t *p = access_project(&a1, p1, &acc, &err);
	assert_non_null(p);
	json_decref(p);
	access_release(&acc);
	/* a member limited to listed projects sees only those */
	json_t *only = json_pack("[s]", p1);
	model_member_add(org1, u2, "developer", only);
	json_decref(only);
	p = access_project(&a2, p1, &acc, &err);
	assert_non_null(p);
	assert_true(access_project_allowed(&acc, p1));
	assert_false(access_project_allowed(&acc, p2));
	assert_string_equal(acc.role, "developer");
	json_decref(p);
	access_release(&acc);
	berr_clear(&err);
	assert_null(access_project(&a2, p2, &acc, &err));
	assert_int_equal(err.code, BE_PROJECT_NOT_FOUND);
	assert_int_equal(perm_require(&(struct access){.role = "viewer"}, "project.create", &err), -1);
	assert_int_equal(err.code, BE_PERMISSION_DENIED);
	json_decref(o1);
	json_decref(o2);
}

/* What the environment's jobs (ops/env*.c) read and write through the typed store. */
static void test_env_store_for_jobs(void **state)
{
	(void)state;
	model_seed_plans();
	char u[37], p[37], srv[37], env[37];
	struct berr err = {0};
	assert_int_equal(model_user_create("j@example.com", "Jo Bs", "password123", false, u, &err), 0);
	json_t *o = model_org_create("Org J", u, NULL, &err);
	const char *org = json_string_value(json_object_get(o, "id"));
	uuid4(p);
	assert_int_equal(db_exec("INSERT INTO projects(id, org_id, name, slug, odoo_version,"
				 " created_at, updated_at) VALUES(?,?,'P','p','18.0','t','t')",
				 "ss", p, org), 0);
	struct server_new sn = {.org_id = org, .name = "s1", .transport = "local",
				.auth_method = "none", .docker_socket = "/var/run/docker.sock",
				.port = 22, .max_projects = 8, .http_port = 8080, .https_port = 8443};
	assert_int_equal(servers_insert(&sn, srv), 0);
	int http = -1, https = -1;
	assert_int_equal(servers_edge_ports(srv, &http, &https), 0);
	assert_int_equal(http, 8080);
	assert_int_equal(https, 8443);
	assert_int_equal(servers_edge_ports("no-such-server", &http, &https), -1);
	assert_int_equal(http, 0);
	assert_int_equal(https, 0);

	uuid4(env);
	struct env_new n = {.id = env, .project_id = p, .org_id = org, .vm_id = srv, .name = "main",
			    .environment_type = "development", .subdomain = "p-main",
			    .git_branch = "main", .created_by = u, .cpu_c = 250, .pg_cpu_c = 75,
			    .ram_mb = 4096, .disk_gb = 10, .pg_ram_mb = 1024, .enable_pgbouncer = true,
			    .admin_login = "boss@example.com", .odoo_config = json_object()};
	assert_int_equal(env_insert(&n), 0);
	json_decref(n.odoo_config);
	struct env_row r;
	assert_int_equal(env_load(env, &r), 0);
	assert_string_equal(r.id, env);
	assert_string_equal(r.odoo_version, "18.0");
	assert_string_equal(r.status, "pending");
	assert_true(r.odoo_cpu > 1.749 && r.odoo_cpu < 1.751); /* round(2.5 - 0.75, 2) */
	assert_true(r.enable_pgbouncer);
	assert_false(r.deployed);
	assert_null(r.db_name);
	assert_null(r.code_rev);
	assert_null(r.custom_domain);
	assert_string_equal(r.admin_login, "boss@example.com");
	assert_int_equal(r.server_http_port, 8080);
	assert_true(json_is_array(r.addon_repositories));
	env_row_free(&r);

	/* the database name is fixed once: a later rename keeps it */
	char *dbn = env_fix_db_name(env);
	assert_string_equal(dbn, "main");
	free(dbn);
	db_exec("UPDATE environments SET name='renamed' WHERE id=?", "s", env);
	dbn = env_fix_db_name(env);
	assert_string_equal(dbn, "main");
	free(dbn);

	/* sealed columns by enum: each its own column; set_if_null keeps the first */
	assert_null(env_secret_get(env, ENV_SECRET_ADMIN_PASSWORD));
	assert_int_equal(env_secret_set_if_null(env, ENV_SECRET_ADMIN_PASSWORD, "v1:first"), 0);
	assert_int_equal(env_secret_set_if_null(env, ENV_SECRET_ADMIN_PASSWORD, "v1:second"), 0);
	char *sv = env_secret_get(env, ENV_SECRET_ADMIN_PASSWORD);
	assert_string_equal(sv, "v1:first");
	free(sv);
	assert_null(env_secret_get(env, ENV_SECRET_DB_PASSWORD));
	assert_null(env_secret_get(env, ENV_SECRET_ADMIN_PASSWD));
	assert_null(env_secret_get(env, ENV_SECRET_SMTP_PASSWORD));
	assert_int_equal(env_secret_set(env, ENV_SECRET_DB_PASSWORD, "v1:db"), 0);
	assert_int_equal(env_secret_set(env, ENV_SECRET_DB_PASSWORD, "v1:db2"), 0);
	sv = env_secret_get(env, ENV_SECRET_DB_PASSWORD);
	assert_string_equal(sv, "v1:db2");
	free(sv);
	assert_null(env_secret_get(env, ENV_SECRET_ADMIN_PASSWD));
	assert_int_equal(env_secret_set(env, (enum env_secret)99, "x"), -1);
	assert_null(env_secret_get(env, (enum env_secret)99));

	/* status, deployed, code */
	assert_int_equal(env_set_status(env, "error", "it broke"), 0);
	assert_int_equal(env_set_deployed(env), 0);
	json_t *addons = json_pack("{s:s}", "https://example.com/a.git", "abc");
	db_exec("UPDATE environments SET branch_commit='keep' WHERE id=?", "s", env);
	assert_int_equal(env_set_code(env, NULL, addons, "rev1"), 0);
	assert_int_equal(env_load(env, &r), 0);
	assert_string_equal(r.status, "error");
	assert_string_equal(r.status_reason, "it broke");
	assert_true(r.deployed);
	assert_string_equal(r.code_rev, "rev1");
	assert_null(r.deployed_commit);
	assert_true(json_equal(r.deployed_addons, addons));
	env_row_free(&r);
	char *bc = db_str("SELECT branch_commit FROM environments WHERE id=?", "s", env);
	assert_string_equal(bc, "keep");
	free(bc);
	assert_int_equal(env_set_code(env, "c0ffee", addons, "rev2"), 0);
	bc = db_str("SELECT branch_commit FROM environments WHERE id=?", "s", env);
	assert_string_equal(bc, "c0ffee");
	free(bc);
	json_decref(addons);
	assert_int_equal(env_set_status(env, "running", NULL), 0);
	assert_int_equal(env_load(env, &r), 0);
	assert_null(r.status_reason);
	env_row_free(&r);

	/* jobs: a started deploy/restart/start other than this one; the merge job's row */
	assert_int_equal(db_exec("INSERT INTO jobs(id, org_id, environment_id, type, status,"
				 " initiated_by, initiated_by_email, created_at) VALUES"
				 " ('j-remove', ?, ?, 'remove', 'running', ?, 'j@example.com', 't'),"
				 " ('j-stop', ?, ?, 'stop', 'done', NULL, NULL, 't'),"
				 " ('j-deploy', ?, ?, 'deploy', 'queued', NULL, NULL, 't')",
				 "sssssss", org, env, u, org, env, org, env), 0);
	db_exec("UPDATE jobs SET started_at='t' WHERE id IN ('j-remove','j-stop')", "");
	assert_false(jobs_env_touched(env, "j-remove")); /* the deploy never started */
	db_exec("UPDATE jobs SET started_at='t' WHERE id='j-deploy'", "");
	assert_true(jobs_env_touched(env, "j-remove"));
	assert_false(jobs_env_touched(env, "j-deploy"));
	struct job_merge_row m;
	assert_int_equal(jobs_merge_row(env, "j-remove", &m), 0);
	assert_string_equal(m.project_id, p);
	assert_string_equal(m.git_branch, "main");
	assert_string_equal(m.initiated_by_email, "j@example.com");
	assert_string_equal(m.user_name, "Jo Bs");
	job_merge_row_free(&m);
	assert_int_equal(jobs_merge_row(env, "j-stop", &m), 0);
	assert_null(m.user_name);
	assert_null(m.initiated_by_email);
	job_merge_row_free(&m);
	assert_int_equal(jobs_merge_row(env, "no-such-job", &m), -1);

	assert_int_equal(env_delete_row(env), 0);
	assert_int_equal(env_load(env, &r), -1);
	assert_int_equal(jobs_merge_row(env, "j-remove", &m), -1);
	json_decref(o);
}

/* PostgreSQL's loopback ports (issue 14): per server, the lowest free one of the range, not
 * the server's edge ports nor the ports found taken; kept once allocated. And the IDE's
 * sealed password column. */
static void test_env_pg_port(void **state)
{
	(void)state;
	model_seed_plans();
	char u[37], p[37], s1[37], s2[37], e[3][37];
	struct berr err = {0};
	assert_int_equal(model_user_create("pg@example.com", "P G", "password123", false, u, &err), 0);
	json_t *o = model_org_create("Org PG", u, NULL, &err);
	const char *org = json_string_value(json_object_get(o, "id"));
	uuid4(p);
	assert_int_equal(db_exec("INSERT INTO projects(id, org_id, name, slug, odoo_version,"
				 " created_at, updated_at) VALUES(?,?,'P','p','18.0','t','t')",
				 "ss", p, org), 0);
	struct server_new sn = {.org_id = org, .name = "s1", .transport = "local",
				.auth_method = "none", .docker_socket = "/var/run/docker.sock",
				.port = 22, .max_projects = 8, .http_port = ENV_PG_PORT_MIN,
				.https_port = 8443};
	assert_int_equal(servers_insert(&sn, s1), 0);
	sn.name = "s2";
	sn.http_port = 8080;
	assert_int_equal(servers_insert(&sn, s2), 0);
	const char *names[3] = {"a", "b", "c"};
	for (int i = 0; i < 3; i++) {
		uuid4(e[i]);
		char sub[16];
		snprintf(sub, sizeof sub, "p-%s", names[i]);
		struct env_new n = {.id = e[i], .project_id = p, .org_id = org,
				    .vm_id = i < 2 ? s1 : s2, .name = names[i],
				    .environment_type = "development", .subdomain = sub,
				    .git_branch = "main", .created_by = u, .cpu_c = 200, .pg_cpu_c = 50,
				    .ram_mb = 2048, .disk_gb = 10, .pg_ram_mb = 512,
				    .odoo_config = json_object()};
		assert_int_equal(env_insert(&n), 0);
		json_decref(n.odoo_config);
	}
	assert_int_equal(env_pg_port(e[0]), 0);
	/* the server's HTTP port is skipped */
	assert_int_equal(env_pg_port_ensure(e[0], NULL, 0), ENV_PG_PORT_MIN + 1);
	assert_int_equal(env_pg_port_ensure(e[0], NULL, 0), ENV_PG_PORT_MIN + 1); /* kept */
	/* another environment of the server: not the same; a port taken on the server: skipped */
	int taken[] = {ENV_PG_PORT_MIN + 2};
	assert_int_equal(env_pg_port_ensure(e[1], taken, 1), ENV_PG_PORT_MIN + 3);
	/* another server starts over */
	assert_int_equal(env_pg_port_ensure(e[2], NULL, 0), ENV_PG_PORT_MIN);
	/* the unique index refuses a second holder on one server */
	assert_int_equal(db_exec("UPDATE environments SET pg_port=? WHERE id=?", "is",
				 (int64_t)(ENV_PG_PORT_MIN + 1), e[1]), -2);
	assert_int_equal(env_pg_port_clear(e[1]), 0);
	assert_int_equal(env_pg_port(e[1]), 0);
	assert_int_equal(env_pg_port_ensure(e[1], NULL, 0), ENV_PG_PORT_MIN + 2);

	assert_null(env_secret_get(e[0], ENV_SECRET_IDE_PASSWORD));
	char *sealed = secret_seal("ide-pw");
	assert_int_equal(env_secret_set_if_null(e[0], ENV_SECRET_IDE_PASSWORD, sealed), 0);
	assert_int_equal(env_secret_set_if_null(e[0], ENV_SECRET_IDE_PASSWORD, "other"), 0);
	char *got = env_secret_get(e[0], ENV_SECRET_IDE_PASSWORD);
	char *plain = secret_open(got);
	assert_string_equal(plain, "ide-pw");
	secret_free(plain);
	free(got);
	free(sealed);
	json_decref(o);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	log_set_level(LOG_ERROR);
	static const unsigned char key[32] = "unit-test-key-unit-test-key-0123";
	secret_init_key(key);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_migrations_apply_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_partial_store_is_completed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_migration_reports, setup, teardown),
		cmocka_unit_test_setup_teardown(test_row_json_types, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_results, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seed_plans_once, setup, teardown),
		cmocka_unit_test(test_roles),
		cmocka_unit_test_setup_teardown(test_tenancy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_env_store_for_jobs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_env_pg_port, setup, teardown),
	};
	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
