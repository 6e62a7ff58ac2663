/* jobs_store.c: the jobs table as services and the API read it (see jobs_store.h). */
#include "store/jobs_store.h"

#include <string.h>

#include "store/db.h"

bool jobs_env_active(const char *env_id, const char *type)
{
	return db_int(0, "SELECT count(*) FROM jobs WHERE environment_id=? AND type=? AND status IN"
			 " ('queued','running')", "ss", env_id, type) > 0;
}

char *jobs_env_queued_same(const char *env_id, const char *type, json_t *params)
{
	return db_str("SELECT id FROM jobs WHERE environment_id=? AND type=? AND status='queued'"
		      " AND params=? ORDER BY seq DESC LIMIT 1", "ssj", env_id, type, params);
}

int jobs_env_cancel_queued(const char *env_id, const char *type, const char *reason)
{
	char *now = iso8601_now();
	int rc = db_exec("UPDATE jobs SET status='cancelled', completed_at=?, error=? WHERE"
			 " environment_id=? AND type=? AND status='queued'", "ssss", now, reason,
			 env_id, type);
	free(now);
	return rc;
}

bool jobs_env_touched(const char *env_id, const char *job_id)
{
	return db_int(0, "SELECT count(*) FROM jobs WHERE environment_id=? AND id<>? AND"
			 " type IN ('deploy','restart','start','clone','refresh') AND started_at IS NOT NULL",
		      "ss", env_id, job_id) > 0;
}

static char *text_or_null(sqlite3_stmt *st, int c)
{
	const unsigned char *t = sqlite3_column_text(st, c);
	return t ? xstrdup((const char *)t) : NULL;
}

int jobs_merge_row(const char *env_id, const char *job_id, struct job_merge_row *r)
{
	memset(r, 0, sizeof *r);
	sqlite3_stmt *st = db_prep("SELECT e.project_id, e.git_branch, j.initiated_by_email,"
				   " u.name AS user_name FROM environments e, jobs j LEFT JOIN users u ON"
				   " u.id=j.initiated_by WHERE e.id=? AND j.id=?", "ss", env_id, job_id);
	if (!st)
		return -1;
	int rc = -1;
	if (sqlite3_step(st) == SQLITE_ROW) {
		r->project_id = text_or_null(st, 0);
		r->git_branch = text_or_null(st, 1);
		r->initiated_by_email = text_or_null(st, 2);
		r->user_name = text_or_null(st, 3);
		rc = 0;
	}
	sqlite3_finalize(st);
	return rc;
}

void job_merge_row_free(struct job_merge_row *r)
{
	free(r->project_id);
	free(r->git_branch);
	free(r->initiated_by_email);
	free(r->user_name);
	memset(r, 0, sizeof *r);
}

/* The columns of a job as the API shows it (the same as jobs/queue.c's queue_job_json). */
static const char *JOB_SELECT =
	"SELECT j.id, j.type, j.status, j.environment_id, e.name AS environment_name, j.server_id,"
	" j.org_id, j.params, j.initiated_by, j.initiated_by_email, j.stage, j.error,"
	" j.cancel_requested, j.result, j.created_at, j.started_at, j.completed_at"
	" FROM jobs j LEFT JOIN environments e ON e.id=j.environment_id";

static json_t *job_list(const char *where_col, const char *id, const char *status,
			long long limit)
{
	char *sql = xasprintf("%s WHERE j.%s=? AND (? IS NULL OR j.status=?) ORDER BY j.seq DESC"
			      " LIMIT ?", JOB_SELECT, where_col);
	json_t *a = db_rows(sql, "sssi", id, status, status, (int64_t)limit);
	free(sql);
	return a;
}

json_t *jobs_json_of_env(const char *env_id, const char *status, long long limit)
{
	return job_list("environment_id", env_id, status, limit);
}

json_t *jobs_json_of_org(const char *org_id, const char *status, long long limit)
{
	return job_list("org_id", org_id, status, limit);
}

void jobs_log_text(const char *job_id, struct sbuf *out)
{
	sqlite3_stmt *st = db_prep("SELECT ts, line FROM job_logs WHERE job_id=? ORDER BY n", "s",
				   job_id);
	while (st && sqlite3_step(st) == SQLITE_ROW)
		sbuf_addf(out, "%s %s\n", (const char *)sqlite3_column_text(st, 0),
			  (const char *)sqlite3_column_text(st, 1));
	sqlite3_finalize(st);
}
