/* sampler.c: the monitoring sampler (see sampler.h). */
#include "ops/sampler.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/settings.h"
#include "drivers/engine_stats.h"
#include "jobs/sched.h"
#include "lib/log.h"
#include "lib/promreg.h"
#include "lib/util.h"
#include "ops/alerts.h"
#include "ops/conn.h"
#include "store/db.h"
#include "store/metrics.h"
#include "store/model.h"

#define MAX_IN_FLIGHT 64    /* servers being read at once (more wait for the next round) */
#define ROUND_WAIT_MS 20000 /* a round waits this long for its servers, then lets them finish */
#define IO_TIMEOUT_MS 15000 /* a server slower than this is unreachable for the round */
#define PURGE_EVERY_MS 300000

static atomic_int task_id;
static int task_interval_ms;
static int64_t last_purge_ms;

/* what the last round saw of each server (for /metrics and the log on a change) */
#define MAX_SEEN 256
static pthread_mutex_t seen_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	char id[37];
	bool up;
	int64_t at;
} seen[MAX_SEEN];

static bool note_server(const char *id, bool up, int64_t at)
{
	bool changed = true;
	pthread_mutex_lock(&seen_lock);
	int slot = -1;
	for (int i = 0; i < MAX_SEEN; i++) {
		if (str_eq(seen[i].id, id)) {
			slot = i;
			break;
		}
		if (slot < 0 && !seen[i].id[0])
			slot = i;
	}
	if (slot >= 0) {
		if (str_eq(seen[slot].id, id))
			changed = seen[slot].up != up;
		snprintf(seen[slot].id, sizeof seen[slot].id, "%s", id);
		seen[slot].up = up;
		seen[slot].at = at;
	}
	pthread_mutex_unlock(&seen_lock);
	return changed;
}

bool sampler_server_up(const char *server_id, int64_t *last_ms)
{
	bool up = false;
	pthread_mutex_lock(&seen_lock);
	for (int i = 0; i < MAX_SEEN; i++)
		if (str_eq(seen[i].id, server_id)) {
			up = seen[i].up;
			if (last_ms)
				*last_ms = seen[i].at;
		}
	pthread_mutex_unlock(&seen_lock);
	return up;
}

int64_t sampler_wall_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

long long sampler_setting(const char *key)
{
	const struct platform_setting *ps = platform_setting_find(key);
	if (!ps)
		return 0;
	char *s = model_setting_get(key);
	long long v = ps->def;
	if (s) {
		char *end;
		long long x = strtoll(s, &end, 10);
		if (!*end && end != s && x >= ps->min && x <= ps->max)
			v = x;
		free(s);
	}
	return v;
}

static const char *const ROLES[] = {"odoo", "db", "pgbouncer", "replica"};

static bool sampled_role(const char *role)
{
	for (size_t i = 0; i < ARRAY_SIZE(ROLES); i++)
		if (str_eq(role, ROLES[i]))
			return true;
	return false;
}

/* The environment of that id in the list of a server's environments (rows), or NULL. */
static json_t *env_of(json_t *envs, const char *id)
{
	size_t i;
	json_t *v;
	json_array_foreach(envs, i, v)
		if (str_eq(json_string_value(json_object_get(v, "id")), id))
			return v;
	return NULL;
}

struct visit {
	char server_id[37], org_id[37];
	char name[128];
};

/* ---- alerts (ops/alerts.h): each sample with its CPU over the time since the last one ---- */

static double pct(double part, double whole)
{
	return part >= 0 && whole > 0 ? part / whole * 100 : -1;
}

static void feed_alerts(const struct visit *v, json_t *envs, json_t *prev, json_t *prev_srv,
			const struct ssample *srv, const struct msample *s, size_t n)
{
	int64_t now = srv->ts / 1000;
	int64_t gap_ms = 3 * sampler_setting("monitoring_interval_s") * 1000;
	for (size_t i = 0; i < n; i++) {
		json_t *e = env_of(envs, s[i].env_id);
		double cpu = -1;
		size_t k;
		json_t *p;
		json_array_foreach(prev, k, p) {
			if (!str_eq(json_string_value(json_object_get(p, "env_id")), s[i].env_id) ||
			    !str_eq(json_string_value(json_object_get(p, "container")), s[i].container))
				continue;
			long long pts = (long long)json_integer_value(json_object_get(p, "ts"));
			long long pns = (long long)json_integer_value(json_object_get(p, "cpu_ns"));
			if (s[i].ts > pts && s[i].ts - pts <= gap_ms && s[i].cpu_ns >= pns && pns >= 0 &&
			    !isnan(s[i].cpu_limit))
				cpu = pct((double)(s[i].cpu_ns - pns) / ((double)(s[i].ts - pts) * 1e6),
					  s[i].cpu_limit);
		}
		struct alert_env_sample a = {
			.org_id = json_string_value(json_object_get(e, "org_id")),
			.project_id = json_string_value(json_object_get(e, "project_id")),
			.env_id = s[i].env_id,
			.env_name = json_string_value(json_object_get(e, "name")),
			.container = s[i].container,
			.expected_running = str_eq(json_string_value(json_object_get(e, "status")),
						   "running"),
			.running = true,
			.cpu_pct = cpu,
			.mem_pct = pct((double)s[i].mem_used, (double)s[i].mem_limit),
			.restarts = s[i].restarts,
		};
		ops_alerts_env(now, &a);
	}
	/* the containers of running environments that do not run */
	size_t k;
	json_t *e;
	json_array_foreach(envs, k, e) {
		/* (not while a job changes it: a restart replaces containers) */
		if (!srv->reachable || !str_eq(json_string_value(json_object_get(e, "status")), "running") ||
		    json_integer_value(json_object_get(e, "job_running")) != 0)
			continue;
		const char *id = json_string_value(json_object_get(e, "id"));
		for (size_t r = 0; r < ARRAY_SIZE(ROLES); r++) {
			if ((r == 2 && !json_is_true(json_object_get(e, "enable_pgbouncer"))) ||
			    (r == 3 && !json_is_true(json_object_get(e, "enable_read_replica"))))
				continue;
			bool found = false;
			for (size_t i = 0; i < n && !found; i++)
				found = str_eq(s[i].env_id, id) && str_eq(s[i].container, ROLES[r]);
			if (found)
				continue;
			struct alert_env_sample a = {
				.org_id = json_string_value(json_object_get(e, "org_id")),
				.project_id = json_string_value(json_object_get(e, "project_id")),
				.env_id = id,
				.env_name = json_string_value(json_object_get(e, "name")),
				.container = ROLES[r],
				.expected_running = true,
				.running = false,
				.cpu_pct = -1,
				.mem_pct = -1,
				.restarts = -1,
			};
			ops_alerts_env(now, &a);
		}
	}
	double cpu = -1;
	if (prev_srv && srv->cpu_busy >= 0 && srv->cpu_total >= 0) {
		long long pb = (long long)json_integer_value(json_object_get(prev_srv, "cpu_busy"));
		long long pt = (long long)json_integer_value(json_object_get(prev_srv, "cpu_total"));
		if (srv->cpu_total > pt && srv->cpu_busy >= pb)
			cpu = pct((double)(srv->cpu_busy - pb), (double)(srv->cpu_total - pt));
	}
	struct alert_server_sample a = {
		.org_id = v->org_id,
		.server_id = v->server_id,
		.server_name = v->name,
		.answered = srv->reachable,
		.cpu_pct = cpu,
		.mem_pct = pct((double)srv->mem_used, (double)srv->mem_total),
		.disk_pct = srv->disk_used >= 0 && srv->disk_free >= 0
				    ? pct((double)srv->disk_used, (double)(srv->disk_used + srv->disk_free))
				    : -1,
	};
	ops_alerts_server(now, &a);
}

/* The servers being read: a server still being read when the next round comes (it does not
 * answer within its timeouts) is left to finish and skipped; the others go on. */
static pthread_mutex_t fl_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t fl_cv = PTHREAD_COND_INITIALIZER;
static char in_flight[MAX_IN_FLIGHT][37];
static int fl_count;

/* Marks the server in flight; false when it already is, or too many are. */
static bool fl_take(const char *id)
{
	pthread_mutex_lock(&fl_lock);
	int free_slot = -1;
	bool busy = false;
	for (int i = 0; i < MAX_IN_FLIGHT; i++) {
		if (str_eq(in_flight[i], id))
			busy = true;
		else if (free_slot < 0 && !in_flight[i][0])
			free_slot = i;
	}
	bool ok = !busy && free_slot >= 0;
	if (ok) {
		snprintf(in_flight[free_slot], sizeof in_flight[free_slot], "%s", id);
		fl_count++;
	}
	pthread_mutex_unlock(&fl_lock);
	return ok;
}

static void fl_done(const char *id)
{
	pthread_mutex_lock(&fl_lock);
	for (int i = 0; i < MAX_IN_FLIGHT; i++)
		if (str_eq(in_flight[i], id)) {
			in_flight[i][0] = '\0';
			fl_count--;
		}
	pthread_cond_broadcast(&fl_cv);
	pthread_mutex_unlock(&fl_lock);
}

/* Waits until no server is being read, or until deadline_ms (monotonic; 0: no deadline). */
static void fl_wait(int64_t deadline_ms)
{
	pthread_mutex_lock(&fl_lock);
	while (fl_count > 0) {
		int64_t left = deadline_ms ? deadline_ms - now_ms() : 1000;
		if (left <= 0)
			break;
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += (time_t)(left / 1000);
		ts.tv_nsec += (long)(left % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&fl_cv, &fl_lock, &ts);
	}
	pthread_mutex_unlock(&fl_lock);
}

/* One server: one connection, its containers, its host figures, one transaction. */
static void *visit_main(void *arg)
{
	struct visit *v = arg;
	int64_t ts = sampler_wall_ms();
	struct ssample srv;
	memset(&srv, 0xff, sizeof srv);
	snprintf(srv.server_id, sizeof srv.server_id, "%s", v->server_id);
	srv.ts = ts;
	srv.reachable = false;
	srv.load1 = srv.load5 = srv.load15 = NAN;
	struct msample *samples = NULL;
	size_t n = 0;
	struct berr err = {0};
	json_t *envs = metrics_envs_of_server(v->server_id);
	struct engine *e = engine_open_server(v->server_id, &err);
	if (e) {
		engine_set_io_timeout(e, IO_TIMEOUT_MS);
		json_t *list = engine_running_managed(e, &err);
		if (list) {
			srv.reachable = true;
			samples = xcalloc(json_array_size(list) + 1, sizeof *samples);
			const char *helper = NULL;
			size_t nl = json_array_size(list);
			const char **ids = xcalloc(nl + 1, sizeof *ids);
			const char **envof = xcalloc(nl + 1, sizeof *envof);
			const char **roleof = xcalloc(nl + 1, sizeof *roleof);
			size_t k = 0, i;
			json_t *c;
			json_array_foreach(list, i, c) {
				json_t *lab = json_object_get(c, "Labels");
				const char *role = json_string_value(json_object_get(lab, "berth.role"));
				const char *env = json_string_value(json_object_get(lab, "berth.env"));
				const char *id = json_string_value(json_object_get(c, "Id"));
				if (!id)
					continue;
				if (str_eq(role, "edge") &&
				    str_eq(json_string_value(json_object_get(lab, "berth.server")),
					   v->server_id))
					helper = id;
				if (!env || !sampled_role(role) || !env_of(envs, env) ||
				    strlen(env) >= sizeof samples[0].env_id)
					continue;
				ids[k] = id;
				envof[k] = env;
				roleof[k++] = role;
			}
			struct cstats *cs = xcalloc(k + 1, sizeof *cs);
			bool *ok = xcalloc(k + 1, sizeof *ok);
			struct berr cerr = {0};
			engine_containers_stats(e, ids, k, cs, ok, &cerr);
			for (i = 0; i < k; i++) {
				if (!ok[i])
					continue; /* gone between the list and the stats */
				struct msample *m = &samples[n++];
				snprintf(m->env_id, sizeof m->env_id, "%s", envof[i]);
				snprintf(m->container, sizeof m->container, "%s", roleof[i]);
				m->ts = ts;
				m->cpu_ns = cs[i].cpu_ns;
				m->cpu_limit = cs[i].cpu_limit > 0 ? cs[i].cpu_limit
					       : cs[i].online_cpus > 0 ? (double)cs[i].online_cpus : NAN;
				m->mem_used = cs[i].mem_used;
				m->mem_limit = cs[i].mem_limit;
				m->net_rx = cs[i].net_rx;
				m->net_tx = cs[i].net_tx;
				m->blk_read = cs[i].blk_read;
				m->blk_write = cs[i].blk_write;
				m->restarts = cs[i].restarts;
			}
			free(cs);
			free(ok);
			free(ids);
			free(envof);
			free(roleof);
			struct hstats hs;
			if (engine_host_stats(e, helper, &hs, &err) == 0) {
				srv.ncpu = hs.ncpu;
				srv.cpu_busy = hs.cpu_busy;
				srv.cpu_total = hs.cpu_total;
				srv.mem_used = hs.mem_used;
				srv.mem_total = hs.mem_total;
				srv.disk_used = hs.disk_used;
				srv.disk_free = hs.disk_free;
				srv.load1 = hs.load1;
				srv.load5 = hs.load5;
				srv.load15 = hs.load15;
			}
			json_decref(list);
		}
		engine_close(e);
	}
	/* what the new samples are compared with, read before they replace it */
	json_t *prev = metrics_prev_of_server(v->server_id);
	json_t *prev_srv = metrics_prev_server(v->server_id);
	if (metrics_store_round(&srv, samples, n) < 0)
		log_event(LOG_WARN, "monitoring samples not stored",
			  json_pack("{s:s}", "server", v->server_id));
	if (note_server(v->server_id, srv.reachable, ts)) {
		if (srv.reachable)
			log_event(LOG_INFO, "monitoring: server reachable",
				  json_pack("{s:s,s:s}", "server", v->server_id, "name", v->name));
		else
			log_event(LOG_WARN, "monitoring: server unreachable",
				  json_pack("{s:s,s:s,s:s}", "server", v->server_id, "name", v->name,
					    "error", err.message));
	}
	feed_alerts(v, envs, prev, prev_srv, &srv, samples, n);
	json_decref(prev);
	json_decref(prev_srv);
	json_decref(envs);
	free(samples);
	db_close_thread();
	fl_done(v->server_id);
	free(v);
	return NULL;
}

static void round_main(void *cls)
{
	(void)cls;
	int64_t t0 = now_ms();
	json_t *servers = metrics_servers_to_sample();
	size_t i;
	json_t *s;
	json_array_foreach(servers, i, s) {
		const char *id = json_string_value(json_object_get(s, "id"));
		if (sched_stopping() || !id || !fl_take(id))
			continue;
		struct visit *v = xcalloc(1, sizeof *v);
		snprintf(v->server_id, sizeof v->server_id, "%s", id);
		snprintf(v->org_id, sizeof v->org_id, "%s",
			 json_string_value(json_object_get(s, "org_id")));
		snprintf(v->name, sizeof v->name, "%s", json_string_value(json_object_get(s, "name")));
		pthread_t t;
		pthread_attr_t at;
		pthread_attr_init(&at);
		pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&t, &at, visit_main, v) != 0) {
			fl_done(id);
			free(v);
		}
		pthread_attr_destroy(&at);
	}
	json_decref(servers);
	fl_wait(t0 + ROUND_WAIT_MS);
	promreg_sampler_round(now_ms() - t0);
	/* alerts of what was not sampled lately (a stopped or removed environment) resolve */
	ops_alerts_sweep(sampler_wall_ms() / 1000, 3 * sampler_setting("monitoring_interval_s"));
	long long full = sampler_setting("monitoring_full_retention_s");
	int64_t now = sampler_wall_ms();
	if (now - last_purge_ms >= PURGE_EVERY_MS || now - last_purge_ms >= full * 1000) {
		metrics_purge(now, full, sampler_setting("monitoring_retention_s"));
		last_purge_ms = now;
	}
	/* a changed interval takes effect from the next round */
	int want = (int)sampler_setting("monitoring_interval_s") * 1000;
	if (want != task_interval_ms) {
		task_interval_ms = want;
		task_id = sched_every("monitoring sampler", want, round_main, NULL);
	}
}

int sampler_start(void)
{
	task_interval_ms = (int)sampler_setting("monitoring_interval_s") * 1000;
	task_id = sched_every("monitoring sampler", task_interval_ms, round_main, NULL);
	return task_id > 0 ? 0 : -1;
}

void sampler_stop(void)
{
	if (task_id > 0)
		sched_cancel(task_id);
	task_id = 0;
	fl_wait(0); /* the servers being read end within their timeouts */
}

void sampler_kick(void)
{
	if (task_id > 0)
		sched_kick(task_id);
}
