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

#include "core/repo.h"
#include "jobs/hub.h"
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

/* Auto-deploy: a push enqueues a deploy for deployed environments on the branch with
 * auto-deploy on; a newer push replaces the queued one; the deployed commit is skipped. */
static void test_push_replaces_queued_deploy(void **state)
{
	(void)state;
	db_exec("INSERT INTO servers(id, org_id, name, transport, auth_method, docker_socket,"
		" created_at, updated_at) VALUES('s1','o','s','local','none','/x','t','t')", "");
	db_exec("INSERT INTO projects(id, org_id, name, slug, odoo_version, created_at, updated_at)"
		" VALUES('pr','o','P','p','18.0','t','t')", "");
	const char *envs[][4] = {
		/* id, branch, auto_deploy, deployed_at */
		{"e-on", "main", "1", "t"},
		{"e-off", "main", "0", "t"},
		{"e-new", "main", "1", NULL},
		{"e-dev", "dev", "1", "t"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(envs); i++)
		db_exec("INSERT INTO environments(id, project_id, org_id, vm_id, name, environment_type,"
			" subdomain, cpu_cores, ram_mb, disk_gb, postgres_cpu_cores, postgres_ram_mb,"
			" git_branch, auto_deploy, deployed_at, deployed_commit, created_at, updated_at)"
			" VALUES(?,'pr','o','s1',?,'development',?,1,1024,2,0.3,307,?,?,?,?,'t','t')",
			"sssssss", envs[i][0], envs[i][0], envs[i][0], envs[i][1], envs[i][2], envs[i][3],
			"1111111111111111111111111111111111111111");
	const char *c2 = "2222222222222222222222222222222222222222";
	const char *c3 = "3333333333333333333333333333333333333333";
	json_t *jobs = json_array();
	assert_int_equal(repo_trigger("pr", "main", c2, "push", false, jobs), 1);
	assert_int_equal(json_array_size(jobs), 1);
	json_t *first = queue_job_json(json_string_value(json_array_get(jobs, 0)));
	assert_string_equal(json_string_value(json_object_get(first, "environment_id")), "e-on");
	assert_string_equal(status_of(first), "queued");
	/* a newer push: the queued deploy is replaced, one stays queued */
	assert_int_equal(repo_trigger("pr", "main", c3, "push", false, jobs), 1);
	json_t *again = queue_job_json(json_string_value(json_array_get(jobs, 0)));
	assert_string_equal(status_of(again), "cancelled");
	assert_string_equal(json_string_value(json_object_get(again, "error")),
			    "replaced by a newer push");
	assert_int_equal(db_int(0, "SELECT count(*) FROM jobs WHERE environment_id='e-on' AND"
				   " status='queued'", ""), 1);
	json_t *second = queue_job_json(json_string_value(json_array_get(jobs, 1)));
	assert_string_equal(json_string_value(json_object_get(json_object_get(second, "params"),
							       "commit")), c3);
	/* polling does not trigger twice for one commit; the deployed commit never triggers */
	assert_int_equal(repo_trigger("pr", "main", c3, "poll", true, NULL), 0);
	assert_int_equal(repo_trigger("pr", "main", "1111111111111111111111111111111111111111",
				      "push", false, NULL), 0);
	json_decref(first);
	json_decref(again);
	json_decref(second);
	json_decref(jobs);
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

static int fn_lines(struct job *j, struct berr *err)
{
	(void)err;
	job_log(j, "one\ntwo");
	job_log(j, "three");
	return 0;
}

struct seen {
	int64_t n[64];
	char line[64][64];
	int count;
};

static void collect(void *cls, int64_t n, const char *ts, const char *line)
{
	struct seen *s = cls;
	(void)ts;
	if (s->count < 64) {
		s->n[s->count] = n;
		snprintf(s->line[s->count++], 64, "%s", line);
	}
}

/* Log lines are numbered by the job's own counter, seeded from the store when the job starts,
 * and handed to the job's subscribers in order, its final status after them. */
static void test_lines_numbered_and_handed_to_subscribers(void **state)
{
	(void)state;
	queue_register("unit-lines", fn_lines);
	json_t *a = queue_enqueue("o", "env-e", "srv", "unit-lines", NULL, "u", "u@example.com");
	const char *id = json_string_value(json_object_get(a, "id"));
	/* two lines already stored (a job picked up again): the job numbers on from them */
	db_exec("INSERT INTO job_logs(job_id, n, ts, line) VALUES(?,1,'t','old 1'),(?,2,'t','old 2')",
		"ss", id, id);
	struct hub_sub *sub = hub_subscribe(id);
	struct hub_sub *other = hub_subscribe("some-other-job");
	assert_int_equal(queue_start(1), 0);
	struct seen got = {0};
	bool finished = false;
	for (int i = 0; i < 100 && !finished; i++) {
		struct hub_news n;
		int w = hub_wait(sub, 600000, &n);
		assert_int_equal(w, 1);
		for (size_t k = 0; k < n.nlines; k++)
			collect(&got, n.lines[k].n, NULL, n.lines[k].line);
		if (n.status) {
			json_t *st = queue_job_status(id);
			finished = str_eq(status_of(st), "done");
			json_decref(st);
		}
		hub_news_free(&n);
	}
	queue_stop();
	assert_true(finished);
	/* the lines, in order, numbered after the stored ones, "done in" last */
	assert_true(got.count >= 4);
	for (int k = 0; k < got.count; k++)
		assert_int_equal(got.n[k], k + 3);
	assert_string_equal(got.line[0], "one");
	assert_string_equal(got.line[1], "two");
	assert_string_equal(got.line[2], "three");
	assert_non_null(strstr(got.line[got.count - 1], "done in"));
	/* the store holds the same lines under the same numbers */
	struct seen stored = {0};
	assert_int_equal(queue_log_lines(id, 2, 500, collect, &stored), got.count);
	for (int k = 0; k < got.count; k++) {
		assert_int_equal(stored.n[k], got.n[k]);
		assert_string_equal(stored.line[k], got.line[k]);
	}
	/* the other job's subscriber heard nothing */
	struct hub_news n;
	assert_int_equal(hub_wait(other, 0, &n), -1 /* the queue stopped: the hub is closed */);
	hub_open();
	assert_int_equal(hub_wait(other, 0, &n), 0);
	hub_unsubscribe(sub);
	hub_unsubscribe(other);
	json_t *st = queue_job_status(id);
	assert_string_equal(status_of(st), "done");
	assert_non_null(json_object_get(st, "completed_at"));
	json_decref(st);
	assert_null(queue_job_status("no-such-job"));
	json_decref(a);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	log_set_level(LOG_ERROR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_enqueue_and_cancel),
		cmocka_unit_test(test_recover_fails_running_jobs),
		cmocka_unit_test(test_push_replaces_queued_deploy),
		cmocka_unit_test(test_workers_run_jobs_in_order),
		cmocka_unit_test(test_lines_numbered_and_handed_to_subscribers),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
