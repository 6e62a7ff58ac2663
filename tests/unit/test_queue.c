/* The job queue against a real store in a temporary directory: ordering, one running job
 * per environment, cancel, recovery of jobs left running by a crash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sodium.h>

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

static const char *status_of(json_t *j)
{
	return json_string_value(json_object_get(j, "status"));
}

static void test_enqueue_and_cancel(void **state)
{
	(void)state;
	json_t *j = queue_enqueue("o", "env-a", "srv", "deploy", NULL, "u", "u@example.com");
	assert_non_null(j);
	assert_string_equal(status_of(j), "queued");
	assert_string_equal(json_string_value(json_object_get(j, "type")), "deploy");
	const char *id = json_string_value(json_object_get(j, "id"));
	struct berr err = {0};
	assert_int_equal(queue_cancel(id, &err), 0);
	json_t *k = queue_job_json(id);
	assert_string_equal(status_of(k), "cancelled");
	/* a finished job cannot be cancelled again */
	assert_int_equal(queue_cancel(id, &err), -1);
	assert_int_equal(err.code, BE_CONFLICT);
	json_decref(k);
	json_decref(j);
}

static void test_recover_fails_running_jobs(void **state)
{
	(void)state;
	json_t *j = queue_enqueue("o", "env-b", "srv", "deploy", NULL, "u", "u@example.com");
	const char *id = json_string_value(json_object_get(j, "id"));
	db_exec("UPDATE jobs SET status='running', started_at='t' WHERE id=?", "s", id);
	queue_recover();
	json_t *k = queue_job_json(id);
	assert_string_equal(status_of(k), "failed");
	assert_non_null(strstr(json_string_value(json_object_get(k, "error")), "interrupted"));
	assert_true(db_int(0, "SELECT count(*) FROM job_logs WHERE job_id=?", "s", id) >= 1);
	assert_int_equal(db_int(-1, "SELECT count(*) FROM jobs WHERE status='running'", ""), 0);
	json_decref(k);
	json_decref(j);
}

static int ran_a, ran_b;
static int fn_ok(struct job *j, struct berr *err)
{
	(void)err;
	job_stage(j, "Stage one");
	job_log(j, "hello \x1b[0mworld\r");
	if (strcmp(j->env_id, "env-c") == 0)
		ran_a++;
	else
		ran_b++;
	return 0;
}

static void test_workers_run_jobs_in_order(void **state)
{
	(void)state;
	queue_register("unit-ok", fn_ok);
	json_t *a = queue_enqueue("o", "env-c", "srv", "unit-ok", NULL, "u", "u@example.com");
	json_t *b = queue_enqueue("o", "env-c", "srv", "unit-ok", NULL, "u", "u@example.com");
	json_t *c = queue_enqueue("o", "env-d", "srv", "unit-ok", NULL, "u", "u@example.com");
	assert_int_equal(queue_start(2), 0);
	for (int i = 0; i < 200 && ran_a + ran_b < 3; i++)
		usleep(20000);
	queue_stop();
	assert_int_equal(ran_a, 2);
	assert_int_equal(ran_b, 1);
	json_t *k = queue_job_json(json_string_value(json_object_get(a, "id")));
	assert_string_equal(status_of(k), "done");
	/* stage lines with durations, control characters removed */
	char *log = db_str("SELECT group_concat(line, '|') FROM job_logs WHERE job_id=?", "s",
			   json_string_value(json_object_get(a, "id")));
	assert_non_null(strstr(log, "==> Stage one"));
	assert_non_null(strstr(log, "<== Stage one ("));
	assert_non_null(strstr(log, "hello world"));
	assert_null(strchr(log, '\x1b'));
	free(log);
	json_decref(k);
	json_decref(a);
	json_decref(b);
	json_decref(c);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	log_set_level(LOG_ERROR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_enqueue_and_cancel),
		cmocka_unit_test(test_recover_fails_running_jobs),
		cmocka_unit_test(test_workers_run_jobs_in_order),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
