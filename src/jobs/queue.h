/* queue.h: the persistent job queue. Jobs live in the store; workers (threads) claim them in
 * order, at most one running job per environment; every log line is stored, numbered by the
 * job's own counter, and handed to the job's subscribers (jobs/hub.h), as is every change of
 * its status, and its organization's event stream (jobs/events.h) hears of it queued, started
 * and finished. A job found running at start is failed (berthd died under it). */
#ifndef BERTH_QUEUE_H
#define BERTH_QUEUE_H
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include "lib/errors.h"

struct job {
	char id[37];
	char org_id[37];
	char env_id[37];   /* "" for server jobs */
	char server_id[37];
	char project_id[37]; /* the environment's project, "" for server jobs */
	char type[32];
	json_t *params;
	int64_t started_ms;
	int64_t stage_ms;
	char stage[64];
	int64_t log_n; /* the number of the job's last log line */
};

/* A job type: run returns 0 (done) or -1 (failed, message in err). */
typedef int (*job_fn)(struct job *j, struct berr *err);
void queue_register(const char *type, job_fn fn);

int queue_start(int workers);
void queue_stop(void);
/* Fails jobs left running by a previous berthd and repairs their environments. */
void queue_recover(void);

/* Enqueues a job and wakes a worker; returns the job JSON (see queue_job_json). Publishes
 * job.queued (jobs/events.h) at once, except inside a transaction: the caller then calls
 * queue_publish once it committed (a transaction retried or rolled back publishes nothing). */
json_t *queue_enqueue(const char *org_id, const char *env_id, const char *server_id,
		      const char *type, json_t *params, const char *user_id, const char *user_email);
json_t *queue_job_json(const char *job_id);
/* Publishes event ("job.queued", "job.finished", ...) of job_id with what its row says now;
 * job.queued only when it is still owed (queued in a transaction, not started yet: a worker
 * starting the job announces it first). */
void queue_publish(const char *job_id, const char *event);
/* The ids of env_id's queued jobs of type (an array; for their job.finished once a
 * transaction that cancels them committed). */
json_t *queue_queued_ids(const char *env_id, const char *type);
/* "SELECT ... FROM jobs j LEFT JOIN environments e" for listings (add WHERE/ORDER). */
const char *queue_job_select(void);
/* 0 cancelled or cancel requested; -1 with CONFLICT when already finished. */
int queue_cancel(const char *job_id, struct berr *err);

/* For job functions. */
void job_log(struct job *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void job_logv(struct job *j, const char *fmt, va_list ap);
/* Starts a named stage (ending the previous one with its duration). */
void job_stage(struct job *j, const char *name);
bool job_cancelled(struct job *j);
/* Stores what the job found or made, shown as the job's `result` (consumes result). */
void job_result(struct job *j, json_t *result);

/* The job's log lines numbered after `after`, at most `limit`, in order: calls fn for each and
 * returns how many there were. */
typedef void (*queue_line_fn)(void *cls, int64_t n, const char *ts, const char *line);
int queue_log_lines(const char *job_id, int64_t after, int limit, queue_line_fn fn, void *cls);
/* {"status", "error", "completed_at"} of a job, or NULL when there is no such job. */
json_t *queue_job_status(const char *job_id);
#endif
