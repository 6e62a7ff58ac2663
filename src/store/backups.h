/* backups.h: the backups table (migration 7) and the scheduler's record of the last slot it
 * ran per environment. Rows render as the API's Backup (without `target`/`location`, which
 * the service adds from the target). Functions that take an org_id trust it. */
#ifndef BERTH_STORE_BACKUPS_H
#define BERTH_STORE_BACKUPS_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct backup_new {
	const char *id, *org_id, *project_id, *environment_id, *environment_name;
	const char *scope, *kind, *job_id, *target_id, *object_key, *format, *created_by;
	int64_t slot;       /* scheduled: the slot it runs for, else 0 */
	int64_t expires_ts; /* 0: kept until deleted (or pruned by the schedule's retention) */
};
/* A new row, status running. 0 or -1. */
int backups_insert(const struct backup_new *b);
/* The Backup JSON of one row, or NULL. org_id NULL: any organization (jobs). */
json_t *backups_get(const char *org_id, const char *id);
/* An environment's backups, newest first (at most limit). */
json_t *backups_list_env(const char *env_id, int limit);
/* Ends a running backup: status "done" (fields: size_bytes, sha256, odoo_version, db_name,
 * module_count, table_count, filestore_files, manifest) or "failed" with error. 0 or -1. */
int backups_finish(const char *id, const char *status, const char *error, json_t *fields);
/* Records a verification: status running (job_id), passed or failed (duration_ms, detail
 * with what was checked, and error inside it). 0 or -1. */
int backups_set_verification(const char *id, const char *status, const char *job_id,
			     int64_t duration_ms, json_t *detail);
/* 1 removed, 0 none, -1 error. */
int backups_delete_row(const char *id);
/* For retention: [{id, kind, status, created_ts, expires_ts}] of env_id, newest first. */
json_t *backups_retention_rows(const char *env_id);
/* Every environment's backups (for removing an environment): [{id, target_id, object_key}]. */
json_t *backups_of_env(const char *env_id);
/* Backups still "running" whose job is not running (berthd died under them):
 * [{id, target_id, object_key, org_id}]. */
json_t *backups_orphans(void);
/* The environment's last verified backup {backup_id, verified_at, verify_duration_ms} and last
 * done backup {backup_id, created_at}: {"last_verified": .. or null, "last_backup": ..}. */
json_t *backups_env_summary(const char *env_id);

/* The scheduler's last slot run for env_id (unix seconds), 0 when none. */
int64_t backups_last_slot(const char *env_id);
/* Records slot as run; only moves forward (returns 1 when it moved, 0 when slot was not
 * newer: another run had it). */
int backups_claim_slot(const char *env_id, int64_t slot);
#endif
