/* jobs_store.h: what the services ask of the jobs table about an environment's actions, what
 * the environment's jobs read of it (ops/env*.c), and the job listings and logs the API shows. (The queue itself, jobs/queue.c, claims and runs
 * jobs.) */
#ifndef BERTH_STORE_JOBS_STORE_H
#define BERTH_STORE_JOBS_STORE_H
#include <jansson.h>
#include <stdbool.h>
#include "lib/util.h"

/* A job of this type is queued or running on the environment. */
bool jobs_env_active(const char *env_id, const char *type);
/* The newest queued job of this type and params on the environment (caller frees), or NULL. */
char *jobs_env_queued_same(const char *env_id, const char *type, json_t *params);
/* Cancels the environment's queued jobs of this type, with `reason` as their error. */
int jobs_env_cancel_queued(const char *env_id, const char *type, const char *reason);

/* A deploy, restart, start, clone or refresh other than job_id has started on the environment
 * (something of it may exist on its server). */
bool jobs_env_touched(const char *env_id, const char *job_id);

/* What the merge job reads: the environment's project and branch, and who asked. */
struct job_merge_row {
	char *project_id, *git_branch;           /* may be NULL */
	char *initiated_by_email, *user_name;    /* may be NULL */
};
/* 0 and *r filled (free with job_merge_row_free), or -1 when the environment or the job is
 * gone. */
int jobs_merge_row(const char *env_id, const char *job_id, struct job_merge_row *r);
void job_merge_row_free(struct job_merge_row *r);

/* Listings (newest first), with the columns of queue_job_json. status may be NULL. */
json_t *jobs_json_of_env(const char *env_id, const char *status, long long limit);
json_t *jobs_json_of_org(const char *org_id, const char *status, long long limit);
/* "<ts> <line>\n" for each log line of the job, in order. */
void jobs_log_text(const char *job_id, struct sbuf *out);
#endif
