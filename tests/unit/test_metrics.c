/* Monitoring: the host figures parsed from the edge proxy's /proc and df (drivers/
 * engine_stats.c), berthd's counters in the Prometheus text (lib/promreg.c), and the samples'
 * storage with its 5-minute folding and retention (store/metrics.c) on a real store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <math.h>
#include <sodium.h>

#include "drivers/engine_stats.h"
#include "lib/log.h"
#include "lib/promreg.h"
#include "lib/util.h"
#include "store/db.h"
#include "store/metrics.h"

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
	db_exec("INSERT INTO environments(id, project_id, org_id, vm_id, name, environment_type,"
		" subdomain, cpu_cores, ram_mb, disk_gb, postgres_cpu_cores, postgres_ram_mb,"
		" git_branch, created_at, updated_at)"
		" VALUES('e1','pr','o','s1','shop','development','e1',1,1024,2,0.3,307,'main','t','t')",
		"");
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

static void test_host_parse(void **state)
{
	(void)state;
	struct hstats h;
	memset(&h, 0xff, sizeof h);
	h.load1 = h.load5 = h.load15 = NAN;
	engine_host_parse("0.52 0.48 0.40 2/345 6789\n"
			  "cpu  100 5 50 800 45 0 0 0 0 0\n"
			  "MemTotal:        2048000 kB\n"
			  "MemAvailable:    1024000 kB\n"
			  "overlay 102400 40960 61440 40% /\n",
			  &h);
	assert_true(fabs(h.load1 - 0.52) < 1e-9 && fabs(h.load15 - 0.40) < 1e-9);
	assert_int_equal(h.cpu_total, 1000);
	assert_int_equal(h.cpu_busy, 155); /* idle and iowait are not busy */
	assert_int_equal(h.mem_total, 2048000LL * 1024);
	assert_int_equal(h.mem_used, 1024000LL * 1024);
	assert_int_equal(h.disk_used, 40960LL * 1024);
	assert_int_equal(h.disk_free, 61440LL * 1024);
}

static void test_promreg(void **state)
{
	(void)state;
	promreg_http_done("GET", "/api/v1/x/{}", 200, 3);
	promreg_http_done("GET", "/api/v1/x/{}", 200, 300);
	promreg_http_done("GET", NULL, 404, 1);
	promreg_job_done("deploy", "done", 70000);
	promreg_sse(1);
	struct sbuf sb = SBUF_INIT;
	promreg_render(&sb);
	const char *t = sbuf_str(&sb);
	assert_non_null(strstr(t, "berth_http_requests_total{method=\"GET\",route=\"/api/v1/x/{}\","
				  "status=\"200\"} 2\n"));
	assert_non_null(strstr(t, "route=\"other\",status=\"404\"} 1\n"));
	/* cumulative buckets: 3 ms in le=0.005, 300 ms in le=0.5 */
	assert_non_null(strstr(t, "berth_http_request_duration_seconds_bucket{method=\"GET\","
				  "route=\"/api/v1/x/{}\",le=\"0.005\"} 1\n"));
	assert_non_null(strstr(t, "route=\"/api/v1/x/{}\",le=\"0.5\"} 2\n"));
	assert_non_null(strstr(t, "route=\"/api/v1/x/{}\",le=\"+Inf\"} 2\n"));
	assert_non_null(strstr(t, "berth_jobs_finished_total{type=\"deploy\",status=\"done\"} 1\n"));
	assert_non_null(strstr(t, "berth_job_duration_seconds_bucket{type=\"deploy\",le=\"60\"} 0\n"));
	assert_non_null(strstr(t, "berth_job_duration_seconds_bucket{type=\"deploy\",le=\"120\"} 1\n"));
	assert_non_null(strstr(t, "berth_sse_clients 1\n"));
	sbuf_release(&sb);
	sb = (struct sbuf)SBUF_INIT;
	promreg_label(&sb, "a\"b\\c\nd");
	assert_string_equal(sbuf_str(&sb), "a\\\"b\\\\c\\nd");
	sbuf_release(&sb);
}

static void count(void *cls, const struct msample *s, bool ds)
{
	int *n = cls;
	n[ds ? 1 : 0]++;
	assert_string_equal(s->env_id, "e1");
}

static void test_store_fold_and_purge(void **state)
{
	(void)state;
	int64_t now = 1796480000000LL; /* a fixed time: the store takes it as given */
	struct ssample srv;
	memset(&srv, 0xff, sizeof srv);
	snprintf(srv.server_id, sizeof srv.server_id, "s1");
	srv.reachable = true;
	srv.load1 = srv.load5 = srv.load15 = NAN;
	/* 3 hours of samples every 30 s */
	for (int64_t ts = now - 3 * 3600000; ts <= now; ts += 30000) {
		srv.ts = ts;
		struct msample m[2];
		memset(m, 0, sizeof m);
		for (int i = 0; i < 2; i++) {
			snprintf(m[i].env_id, sizeof m[i].env_id, "e1");
			snprintf(m[i].container, sizeof m[i].container, "%s", i ? "db" : "odoo");
			m[i].ts = ts;
			m[i].cpu_ns = ts * 1000;
			m[i].cpu_limit = 0.7;
			m[i].mem_used = 100 + i;
			m[i].mem_limit = 1000;
			m[i].restarts = 0;
		}
		assert_int_equal(metrics_store_round(&srv, m, 2), 0);
	}
	int n[2] = {0, 0};
	metrics_env_each("e1", now - 4 * 3600000, now + 1, count, n);
	assert_int_equal(n[0], 2 * 361);
	assert_int_equal(n[1], 0);
	/* keep 1 h at full resolution: the 2 hours before fold into 24 rows per container */
	assert_int_equal(metrics_purge(now, 3600, 86400), 0);
	n[0] = n[1] = 0;
	metrics_env_each("e1", now - 4 * 3600000, now + 1, count, n);
	assert_int_equal(n[0], 2 * 121);
	assert_true(n[1] >= 2 * 24 && n[1] <= 2 * 25);
	assert_int_equal(db_int(-1, "SELECT count(*) FROM server_samples", ""), 121);
	/* the folded rows keep the bucket's last counters and the mean memory */
	assert_int_equal(db_int(-1, "SELECT min(mem_used) FROM metric_samples_5m WHERE"
				    " container='odoo'", ""), 100);
	/* a short retention takes the folded rows; a removed environment takes the rest */
	assert_int_equal(metrics_purge(now, 3600, 60), 0);
	assert_int_equal(db_int(-1, "SELECT count(*) FROM metric_samples_5m", ""), 0);
	json_t *latest = metrics_latest(now - 60000);
	assert_int_equal(json_array_size(latest), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(latest, 0), "environment")),
			    "shop");
	json_decref(latest);
	db_exec("DELETE FROM environments WHERE id='e1'", "");
	assert_int_equal(metrics_purge(now, 3600, 60), 0);
	assert_int_equal(db_int(-1, "SELECT count(*) FROM metric_samples", ""), 0);
	assert_int_equal(db_int(-1, "SELECT count(*) FROM metric_latest", ""), 0);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	log_set_level(LOG_ERROR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host_parse),
		cmocka_unit_test(test_promreg),
		cmocka_unit_test(test_store_fold_and_purge),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
