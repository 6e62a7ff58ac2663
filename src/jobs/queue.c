#include "jobs/queue.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "jobs/events.h"
#include "jobs/hub.h"
#include "lib/log.h"
#include "lib/promreg.h"
#include "lib/util.h"
#include "store/db.h"

#define MAX_TYPES 32
#define MAX_WORKERS 16

static struct {
	char name[32];
	job_fn fn;
} types[MAX_TYPES];
static int ntypes;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t work_cv = PTHREAD_COND_INITIALIZER;
/* numbers, stores and publishes one log line at a time: a job's lines reach the store and
 * its subscribers in order */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static bool stopping;
static pthread_t workers[MAX_WORKERS];
static int nworkers;

void queue_register(const char *type, job_fn fn)
{
	if (ntypes == MAX_TYPES)
		abort();
	snprintf(types[ntypes].name, sizeof types[ntypes].name, "%s", type);
	types[ntypes++].fn = fn;
}

static job_fn find_type(const char *type)
{
	for (int i = 0; i < ntypes; i++)
		if (strcmp(types[i].name, type) == 0)
			return types[i].fn;
	return NULL;
}

/* The number of the last line of a job's log, read once when the job starts (or is failed at
 * restart); from then on the job's own counter numbers its lines. */
static int64_t last_line(const char *job_id)
{
	return db_int(0, "SELECT coalesce(max(n), 0) FROM job_logs WHERE job_id=?", "s", job_id);
}

/* Under log_lock. */
static void append_line(const char *job_id, int64_t n, const char *line)
{
	char *now = iso8601_now();
	db_exec("INSERT INTO job_logs(job_id, n, ts, line) VALUES(?, ?, ?, ?)", "siss", job_id, n,
		now, line);
	free(now);
	hub_publish_line(job_id, n, line);
}

/* Drops terminal escape sequences and control characters (build output has them). */
static void clean(struct sbuf *sb)
{
	size_t o = 0;
	for (size_t i = 0; i < sb->len; i++) {
		unsigned char c = (unsigned char)sb->buf[i];
		if (c == 0x1b) { /* ESC [ ... letter */
			if (i + 1 < sb->len && sb->buf[i + 1] == '[') {
				i += 2;
				while (i < sb->len && !((sb->buf[i] >= 'A' && sb->buf[i] <= 'Z') ||
							(sb->buf[i] >= 'a' && sb->buf[i] <= 'z')))
					i++;
			}
			continue;
		}
		if (c == '\r')
			c = '\n';
		if (c < ' ' && c != '\n' && c != '\t')
			continue;
		sb->buf[o++] = (char)c;
	}
	sb->len = o;
	if (sb->cap)
		sb->buf[o] = '\0';
}

void job_logv(struct job *j, const char *fmt, va_list ap)
{
	struct sbuf sb = SBUF_INIT;
	sbuf_vaddf(&sb, fmt, ap);
	clean(&sb);
	/* one stored line per text line */
	char *save = NULL;
	pthread_mutex_lock(&log_lock);
	for (char *l = strtok_r(sb.cap ? sb.buf : (char[]){""}, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save))
		append_line(j->id, ++j->log_n, l);
	pthread_mutex_unlock(&log_lock);
	sbuf_release(&sb);
}

void job_log(struct job *j, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	job_logv(j, fmt, ap);
	va_end(ap);
}

static void end_stage(struct job *j)
{
	if (j->stage[0])
		job_log(j, "<== %s (%.1fs)", j->stage, (now_ms() - j->stage_ms) / 1000.0);
	j->stage[0] = '\0';
}

void job_stage(struct job *j, const char *name)
{
	end_stage(j);
	snprintf(j->stage, sizeof j->stage, "%s", name);
	j->stage_ms = now_ms();
	db_exec("UPDATE jobs SET stage=? WHERE id=?", "ss", name, j->id);
	job_log(j, "==> %s", name);
}

void job_result(struct job *j, json_t *result)
{
	db_exec("UPDATE jobs SET result=? WHERE id=?", "js", result, j->id);
	json_decref(result);
	hub_publish_status(j->id);
}

bool job_cancelled(struct job *j)
{
	pthread_mutex_lock(&lock);
	bool stop = stopping;
	pthread_mutex_unlock(&lock);
	if (stop)
		return true;
	return db_int(0, "SELECT cancel_requested FROM jobs WHERE id=?", "s", j->id) != 0;
}

static const char *nz(const char *s)
{
	return s && *s ? s : NULL;
}

/* job.queued, job.started or job.finished on the organization's event stream. */
static void publish_job(const char *event, const char *org_id, const char *id, const char *type,
			const char *status, const char *env_id, const char *server_id,
			const char *project_id)
{
	events_publish(org_id, nz(project_id), event,
		       json_pack("{s:s,s:s,s:s,s:s?,s:s?,s:s?}", "id", id, "type", type, "status",
				 status, "environment_id", nz(env_id), "server_id", nz(server_id),
				 "project_id", nz(project_id)));
}

static char *project_of(const char *env_id)
{
	return nz(env_id) ? db_str("SELECT project_id FROM environments WHERE id=?", "s", env_id)
			  : NULL;
}

/* Jobs queued inside a transaction whose job.queued is not out yet: whichever comes first,
 * the caller after its commit (queue_publish) or the worker starting the job, publishes it,
 * so job.queued always comes before job.started. */
#define MAX_UNANNOUNCED 256
static pthread_mutex_t announce_lock = PTHREAD_MUTEX_INITIALIZER;
static char unannounced[MAX_UNANNOUNCED][37];
static int nunannounced;

static void unannounced_add(const char *id)
{
	pthread_mutex_lock(&announce_lock);
	if (nunannounced == MAX_UNANNOUNCED) { /* transactions that never committed: forget one */
		memmove(unannounced[0], unannounced[1], sizeof unannounced[0] * (MAX_UNANNOUNCED - 1));
		nunannounced--;
	}
	snprintf(unannounced[nunannounced++], sizeof unannounced[0], "%s", id);
	pthread_mutex_unlock(&announce_lock);
}

/* Under announce_lock: true (and forgotten) when id's job.queued is still owed. */
static bool unannounced_take(const char *id)
{
	for (int i = 0; i < nunannounced; i++)
		if (strcmp(unannounced[i], id) == 0) {
			memmove(unannounced[i], unannounced[i + 1],
				sizeof unannounced[0] * (size_t)(nunannounced - i - 1));
			nunannounced--;
			return true;
		}
	return false;
}

static void publish_row(const char *job_id, const char *event);

void queue_publish(const char *job_id, const char *event)
{
	if (str_eq(event, "job.queued")) {
		pthread_mutex_lock(&announce_lock);
		if (unannounced_take(job_id))
			publish_row(job_id, event);
		pthread_mutex_unlock(&announce_lock);
		return;
	}
	publish_row(job_id, event);
}

static void publish_row(const char *job_id, const char *event)
{
	json_t *j = db_row("SELECT j.org_id, j.type, j.status, j.environment_id, j.server_id,"
			   " e.project_id FROM jobs j LEFT JOIN environments e ON"
			   " e.id=j.environment_id WHERE j.id=?", "s", job_id);
#define F(k) json_string_value(json_object_get(j, k))
	if (j)
		publish_job(event, F("org_id"), job_id, F("type"),
			    str_eq(event, "job.queued") ? "queued" : F("status"), F("environment_id"),
			    F("server_id"), F("project_id"));
#undef F
	json_decref(j);
}

json_t *queue_queued_ids(const char *env_id, const char *type)
{
	json_t *rows = db_rows("SELECT id FROM jobs WHERE environment_id=? AND type=? AND"
			       " status='queued' ORDER BY seq", "ss", env_id, type);
	json_t *ids = json_array();
	size_t i;
	json_t *r;
	json_array_foreach(rows, i, r)
		json_array_append(ids, json_object_get(r, "id"));
	json_decref(rows);
	return ids;
}

static const char *JOB_SELECT =
	"SELECT j.id, j.type, j.status, j.environment_id, e.name AS environment_name, j.server_id,"
	" j.org_id, j.params, j.initiated_by, j.initiated_by_email, j.stage, j.error,"
	" j.cancel_requested, j.result, j.created_at, j.started_at, j.completed_at"
	" FROM jobs j LEFT JOIN environments e ON e.id=j.environment_id";

json_t *queue_job_json(const char *job_id)
{
	char *sql = xasprintf("%s WHERE j.id=?", JOB_SELECT);
	json_t *o = db_row(sql, "s", job_id);
	free(sql);
	return o;
}

const char *queue_job_select(void)
{
	return JOB_SELECT;
}

int queue_log_lines(const char *job_id, int64_t after, int limit, queue_line_fn fn, void *cls)
{
	sqlite3_stmt *st = db_prep("SELECT n, ts, line FROM job_logs WHERE job_id=? AND n>? ORDER BY n"
				   " LIMIT ?", "sii", job_id, after, (int64_t)limit);
	int count = 0;
	while (st && sqlite3_step(st) == SQLITE_ROW) {
		fn(cls, sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1),
		   (const char *)sqlite3_column_text(st, 2));
		count++;
	}
	sqlite3_finalize(st);
	return count;
}

json_t *queue_job_status(const char *job_id)
{
	return db_row("SELECT status, error, completed_at FROM jobs WHERE id=?", "s", job_id);
}

json_t *queue_enqueue(const char *org_id, const char *env_id, const char *server_id,
		      const char *type, json_t *params, const char *user_id, const char *user_email)
{
	char id[37];
	uuid4(id);
	char *now = iso8601_now();
	json_t *p = params ? json_incref(params) : json_object();
	unannounced_add(id); /* job.queued is owed from now on (see queue_publish) */
	db_exec("INSERT INTO jobs(id, org_id, environment_id, server_id, type, params, initiated_by,"
		" initiated_by_email, created_at) VALUES(?,?,?,?,?,?,?,?,?)",
		"sssssjsss", id, org_id, env_id, server_id, type, p, user_id, user_email, now);
	json_decref(p);
	free(now);
	log_event(LOG_INFO, "job queued",
		  json_pack("{s:s,s:s,s:s?}", "job", id, "type", type, "environment", env_id));
	if (sqlite3_get_autocommit(db_conn())) { /* else the caller's, after its commit */
		char *project = project_of(env_id);
		pthread_mutex_lock(&announce_lock);
		if (unannounced_take(id)) /* unless a worker started it already */
			publish_job("job.queued", org_id, id, type, "queued", env_id, server_id,
				    project);
		pthread_mutex_unlock(&announce_lock);
		free(project);
	}
	pthread_mutex_lock(&lock);
	pthread_cond_signal(&work_cv);
	pthread_mutex_unlock(&lock);
	return queue_job_json(id);
}

static void finish(struct job *j, const char *status, const char *error)
{
	end_stage(j);
	char *now = iso8601_now();
	db_exec("UPDATE jobs SET status=?, error=?, completed_at=?, stage=NULL WHERE id=?", "ssss",
		status, error, now, j->id);
	free(now);
	log_event(str_eq(status, "failed") ? LOG_WARN : LOG_INFO, "job finished",
		  json_pack("{s:s,s:s,s:s,s:s?,s:f}", "job", j->id, "type", j->type, "status", status,
			    "error", error, "seconds", (now_ms() - j->started_ms) / 1000.0));
	hub_publish_status(j->id);
	publish_job("job.finished", j->org_id, j->id, j->type, status, j->env_id, j->server_id,
		    j->project_id);
	promreg_job_done(j->type, status, now_ms() - j->started_ms);
}

int queue_cancel(const char *job_id, struct berr *err)
{
	db_begin();
	char *st = db_str("SELECT status FROM jobs WHERE id=?", "s", job_id);
	int rc = 0;
	if (str_eq(st, "queued")) {
		char *now = iso8601_now();
		db_exec("UPDATE jobs SET status='cancelled', completed_at=?, error='cancelled before it"
			" started' WHERE id=?", "ss", now, job_id);
		free(now);
	} else if (str_eq(st, "running")) {
		db_exec("UPDATE jobs SET cancel_requested=1 WHERE id=?", "s", job_id);
	} else {
		rc = berr_set(err, BE_CONFLICT, NULL, "The job is already %s", st ? st : "gone");
	}
	db_commit();
	if (rc == 0)
		hub_publish_status(job_id);
	if (rc == 0 && str_eq(st, "queued"))
		queue_publish(job_id, "job.finished");
	free(st);
	return rc;
}

/* Claims the oldest queued job whose environment (or server, for server jobs) has nothing
 * running. */
static bool claim(struct job *j)
{
	if (db_begin() < 0)
		return false;
	json_t *row = db_row(
		"SELECT j.id, j.org_id, j.environment_id, j.server_id, j.type, j.params,"
		" e.project_id FROM jobs j LEFT JOIN environments e ON e.id=j.environment_id"
		" WHERE j.status='queued' AND NOT EXISTS (SELECT 1 FROM jobs r WHERE r.status='running'"
		" AND ((j.environment_id IS NOT NULL AND r.environment_id=j.environment_id) OR"
		" (j.environment_id IS NULL AND r.environment_id IS NULL AND r.server_id=j.server_id)))"
		" ORDER BY j.seq LIMIT 1", "");
	if (!row) {
		db_rollback();
		return false;
	}
	memset(j, 0, sizeof *j);
#define CP(f, k) snprintf(j->f, sizeof j->f, "%s", json_string_value(json_object_get(row, k)) ?: "")
	CP(id, "id");
	CP(org_id, "org_id");
	CP(env_id, "environment_id");
	CP(server_id, "server_id");
	CP(type, "type");
	CP(project_id, "project_id");
#undef CP
	j->params = json_incref(json_object_get(row, "params"));
	json_decref(row);
	char *now = iso8601_now();
	db_exec("UPDATE jobs SET status='running', started_at=? WHERE id=?", "ss", now, j->id);
	free(now);
	db_commit();
	j->started_ms = now_ms();
	j->log_n = last_line(j->id);
	return true;
}

static void run_one(struct job *j)
{
	hub_publish_status(j->id);
	pthread_mutex_lock(&announce_lock);
	if (unannounced_take(j->id))
		publish_job("job.queued", j->org_id, j->id, j->type, "queued", j->env_id,
			    j->server_id, j->project_id);
	pthread_mutex_unlock(&announce_lock);
	publish_job("job.started", j->org_id, j->id, j->type, "running", j->env_id, j->server_id,
		    j->project_id);
	log_event(LOG_INFO, "job started", json_pack("{s:s,s:s}", "job", j->id, "type", j->type));
	job_fn fn = find_type(j->type);
	struct berr err = {0};
	int rc;
	if (!fn)
		rc = berr_set(&err, BE_INTERNAL_ERROR, NULL, "no worker knows job type '%s'", j->type);
	else
		rc = fn(j, &err);
	end_stage(j);
	if (rc == 0) {
		job_log(j, "done in %.1fs", (now_ms() - j->started_ms) / 1000.0);
		finish(j, "done", NULL);
	} else if (stopping) {
		job_log(j, "interrupted: berthd is stopping (%s)", err.message);
		finish(j, "failed", "interrupted: berthd stopped while the job was running");
	} else if (job_cancelled(j)) {
		job_log(j, "cancelled: %s", err.message[0] ? err.message : "on request");
		finish(j, "cancelled", "cancelled on request");
	} else {
		job_log(j, "failed: %s", err.message);
		finish(j, "failed", err.message);
	}
	json_decref(j->params);
	j->params = NULL;
}

static void *worker_main(void *arg)
{
	(void)arg;
	for (;;) {
		pthread_mutex_lock(&lock);
		bool stop = stopping;
		pthread_mutex_unlock(&lock);
		if (stop)
			break;
		struct job j;
		if (claim(&j)) {
			run_one(&j);
			continue;
		}
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 2;
		pthread_mutex_lock(&lock);
		if (!stopping)
			pthread_cond_timedwait(&work_cv, &lock, &ts);
		pthread_mutex_unlock(&lock);
	}
	db_close_thread();
	return NULL;
}

void queue_recover(void)
{
	json_t *stale = db_rows("SELECT id, type, environment_id FROM jobs WHERE status='running'", "");
	size_t i;
	json_t *r;
	char *now = iso8601_now();
	json_array_foreach(stale, i, r) {
		const char *id = json_string_value(json_object_get(r, "id"));
		pthread_mutex_lock(&log_lock);
		append_line(id, last_line(id) + 1,
			    "berthd stopped while this job was running; it was marked failed at"
			    " restart. Run it again: every step converges.");
		pthread_mutex_unlock(&log_lock);
		db_exec("UPDATE jobs SET status='failed', completed_at=?, stage=NULL, error='interrupted:"
			" berthd stopped while the job was running' WHERE id=?", "ss", now, id);
		const char *env = json_string_value(json_object_get(r, "environment_id"));
		if (env)
			db_exec("UPDATE environments SET status='error', status_reason=? WHERE id=? AND"
				" status IN ('deploying','stopping','starting','restarting','removing')",
				"ss", "interrupted: berthd stopped during a job; deploy again to converge",
				env);
		log_event(LOG_WARN, "interrupted job failed at start",
			  json_pack("{s:s,s:O}", "job", id, "type", json_object_get(r, "type")));
	}
	free(now);
	json_decref(stale);
}

int queue_start(int n)
{
	if (n < 1)
		n = 1;
	if (n > MAX_WORKERS)
		n = MAX_WORKERS;
	stopping = false;
	hub_open();
	for (int i = 0; i < n; i++) {
		if (pthread_create(&workers[i], NULL, worker_main, NULL) != 0)
			return -1;
		nworkers++;
	}
	return 0;
}

void queue_stop(void)
{
	pthread_mutex_lock(&lock);
	stopping = true;
	pthread_cond_broadcast(&work_cv);
	pthread_mutex_unlock(&lock);
	hub_shutdown();
	/* give running jobs a moment to reach a stage boundary; a job still running after that
	 * is failed by queue_recover() at the next start */
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 15;
	for (int i = 0; i < nworkers; i++)
		if (pthread_timedjoin_np(workers[i], NULL, &ts) != 0)
			log_event(LOG_WARN, "a job worker did not stop in time", NULL);
	nworkers = 0;
}
