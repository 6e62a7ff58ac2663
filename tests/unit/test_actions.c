/* The one rule for queueing an action on an environment (core/actions.h), against a real
 * store in a temporary directory: an identical queued job is answered, a replacing action
 * cancels the queued one, an environment being removed takes nothing (CONFLICT), every new
 * job is audited. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sodium.h>

#include "core/actions.h"
#include "jobs/queue.h"
#include "lib/log.h"
#include "lib/util.h"
#include "store/db.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/berth-unit-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	struct berr err = {0};
	if (db_open(dir, &err) < 0)
		return -1;
	db_exec("INSERT INTO plans(id, name, cpu_cores, ram_mb, disk_gb, max_environments,"
		" max_servers, max_projects, max_members, created_at, updated_at)"
		" VALUES('p','P',1,1,1,1,1,1,1,'t','t')", "");
	db_exec("INSERT INTO orgs(id, name, slug, plan_id, created_at) VALUES('o','O','o','p','t')", "");
	db_exec("INSERT INTO servers(id, org_id, name, transport, auth_method, docker_socket,"
		" created_at, updated_at) VALUES('s1','o','s','local','none','/x','t','t')", "");
	db_exec("INSERT INTO projects(id, org_id, name, slug, odoo_version, created_at, updated_at)"
		" VALUES('pr','o','P','p','18.0','t','t')", "");
	const char *envs[] = {"e1", "e2", "e3"};
	for (size_t i = 0; i < ARRAY_SIZE(envs); i++)
		db_exec("INSERT INTO environments(id, project_id, org_id, vm_id, name, environment_type,"
			" subdomain, cpu_cores, ram_mb, disk_gb, postgres_cpu_cores, postgres_ram_mb,"
			" git_branch, created_at, updated_at)"
			" VALUES(?,'pr','o','s1',?,'development',?,1,1024,2,0.3,307,'main','t','t')",
			"sss", envs[i], envs[i], envs[i]);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	db_shutdown();
	char *cmd[] = {"rm", "-rf", dir, NULL};
	pid_t pid = fork();
	if (pid == 0) {
		execvp(cmd[0], cmd);
		_exit(127);
	}
	return 0;
}

static const char *id_of(json_t *j)
{
	return json_string_value(json_object_get(j, "id"));
}

static json_t *enqueue(const char *env, const char *type, json_t *params,
		       enum env_queued_policy policy, bool *created, struct berr *err)
{
	struct env_action a = {
		.env_id = env, .type = type, .params = params, .policy = policy,
		.replace_reason = "replaced", .user_id = "u", .user_email = "u@example.com",
		.actor = "u@example.com", .ip = "127.0.0.1",
	};
	json_t *job = NULL;
	if (env_action_enqueue(&a, &job, created, err) < 0)
		return NULL;
	return job;
}

static void test_same_job_answered(void **state)
{
	(void)state;
	struct berr err = {0};
	bool created = false;
	json_t *soft = json_pack("{s:s}", "mode", "soft"), *hard = json_pack("{s:s}", "mode", "hard");
	json_t *a = enqueue("e1", "restart", soft, ENV_Q_SAME_ANSWERS, &created, &err);
	assert_non_null(a);
	assert_true(created);
	json_t *b = enqueue("e1", "restart", soft, ENV_Q_SAME_ANSWERS, &created, &err);
	assert_non_null(b);
	assert_false(created);
	assert_string_equal(id_of(a), id_of(b));
	/* other params: another job */
	json_t *c = enqueue("e1", "restart", hard, ENV_Q_SAME_ANSWERS, &created, &err);
	assert_true(created);
	assert_string_not_equal(id_of(a), id_of(c));
	/* each new job audited once, as the user, from the address */
	assert_int_equal(db_int(0, "SELECT count(*) FROM audit WHERE action='environment.restart' AND"
				   " target_id='e1' AND actor='u@example.com' AND source_ip='127.0.0.1'",
				""), 2);
	assert_string_equal(json_string_value(json_object_get(a, "server_id")), "s1");
	json_decref(a);
	json_decref(b);
	json_decref(c);
	json_decref(soft);
	json_decref(hard);
}

static void test_replaces_queued(void **state)
{
	(void)state;
	struct berr err = {0};
	json_t *p1 = json_pack("{s:s}", "commit", "1"), *p2 = json_pack("{s:s}", "commit", "2");
	json_t *a = enqueue("e2", "deploy", p1, ENV_Q_REPLACES, NULL, &err);
	json_t *b = enqueue("e2", "deploy", p2, ENV_Q_REPLACES, NULL, &err);
	assert_non_null(a);
	assert_non_null(b);
	json_t *old = queue_job_json(id_of(a));
	assert_string_equal(json_string_value(json_object_get(old, "status")), "cancelled");
	assert_string_equal(json_string_value(json_object_get(old, "error")), "replaced");
	assert_int_equal(db_int(0, "SELECT count(*) FROM jobs WHERE environment_id='e2' AND"
				   " status='queued'", ""), 1);
	json_decref(old);
	json_decref(a);
	json_decref(b);
	json_decref(p1);
	json_decref(p2);
}

static void test_removing_takes_nothing(void **state)
{
	(void)state;
	struct berr err = {0};
	json_t *r = enqueue("e3", "remove", NULL, ENV_Q_SAME_ANSWERS, NULL, &err);
	assert_non_null(r);
	/* queued or running: every action, even another remove, is a conflict */
	const char *types[] = {"deploy", "remove"};
	for (int running = 0; running < 2; running++) {
		if (running)
			db_exec("UPDATE jobs SET status='running' WHERE id=?", "s", id_of(r));
		for (size_t i = 0; i < ARRAY_SIZE(types); i++) {
			memset(&err, 0, sizeof err);
			assert_null(enqueue("e3", types[i], NULL, ENV_Q_REPLACES, NULL, &err));
			assert_int_equal(err.code, BE_CONFLICT);
			assert_string_equal(err.message, "The environment is being removed");
		}
	}
	assert_int_equal(db_int(0, "SELECT count(*) FROM jobs WHERE environment_id='e3'", ""), 1);
	memset(&err, 0, sizeof err);
	assert_null(enqueue("nope", "deploy", NULL, ENV_Q_SAME_ANSWERS, NULL, &err));
	assert_int_equal(err.code, BE_ENVIRONMENT_NOT_FOUND);
	json_decref(r);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	log_set_level(LOG_ERROR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_job_answered),
		cmocka_unit_test(test_replaces_queued),
		cmocka_unit_test(test_removing_takes_nothing),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
