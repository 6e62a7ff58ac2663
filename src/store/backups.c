/* backups.c: the backups and backup_schedule_runs tables (migration 7). */
#include "store/backups.h"

#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/util.h"
#include "store/db.h"

#define BACKUP_SELECT                                                                        \
	"SELECT b.id, b.org_id, b.environment_id, b.environment_name, b.project_id, b.scope,"  \
	" b.kind, b.status, b.error, b.format, b.size_bytes, b.sha256, b.created_at,"         \
	" b.created_ts, b.finished_at, b.duration_ms, b.expires_ts, b.odoo_version, b.db_name," \
	" b.module_count, b.table_count, b.filestore_files, b.job_id, b.created_by,"          \
	" b.target_id, b.object_key, b.slot, b.manifest, b.verify_status, b.verified_at,"     \
	" b.verify_duration_ms, b.verify_detail, b.verify_job_id,"                            \
	" t.name AS target_name, t.kind AS target_kind"                                        \
	" FROM backups b LEFT JOIN backup_targets t ON t.id=b.target_id"

int backups_insert(const struct backup_new *b)
{
	char *now = iso8601_now();
	int rc = db_exec("INSERT INTO backups(id, org_id, project_id, environment_id,"
			 " environment_name, scope, kind, status, job_id, target_id, object_key,"
			 " format, created_by, slot, expires_ts, created_at, created_ts)"
			 " VALUES(?,?,?,?,?,?,?,'running',?,?,?,?,?,nullif(?,0),nullif(?,0),?,"
			 " CAST(strftime('%s','now') AS INTEGER))",
			 "ssssssssssssiis", b->id, b->org_id, b->project_id, b->environment_id,
			 b->environment_name, b->scope, b->kind, b->job_id, b->target_id,
			 b->object_key, b->format ? b->format : "zip", b->created_by, b->slot,
			 b->expires_ts, now);
	free(now);
	return rc < 0 ? -1 : 0;
}

json_t *backups_get(const char *org_id, const char *id)
{
	if (org_id)
		return db_row(BACKUP_SELECT " WHERE b.org_id=? AND b.id=?", "ss", org_id, id);
	return db_row(BACKUP_SELECT " WHERE b.id=?", "s", id);
}

json_t *backups_list_env(const char *env_id, int limit)
{
	return db_rows(BACKUP_SELECT " WHERE b.environment_id=?"
				     " ORDER BY b.created_ts DESC, b.rowid DESC LIMIT ?",
		       "si", env_id, (int64_t)limit);
}

int backups_finish(const char *id, const char *status, const char *error, json_t *f)
{
	return db_exec(
		"UPDATE backups SET status=?, error=?,"
		" finished_at=strftime('%Y-%m-%dT%H:%M:%SZ','now'),"
		" duration_ms=coalesce(?, (CAST(strftime('%s','now') AS INTEGER)-created_ts)*1000),"
		" size_bytes=coalesce(?, size_bytes), sha256=coalesce(?, sha256),"
		" odoo_version=coalesce(?, odoo_version), db_name=coalesce(?, db_name),"
		" module_count=coalesce(?, module_count), table_count=coalesce(?, table_count),"
		" filestore_files=coalesce(?, filestore_files), manifest=coalesce(?, manifest),"
		" format=coalesce(?, format) WHERE id=?",
		"ssjjsssjjjjss", status, error, json_object_get(f, "duration_ms"),
		json_object_get(f, "size_bytes"), json_string_value(json_object_get(f, "sha256")),
		json_string_value(json_object_get(f, "odoo_version")),
		json_string_value(json_object_get(f, "db_name")), json_object_get(f, "module_count"),
		json_object_get(f, "table_count"), json_object_get(f, "filestore_files"),
		json_object_get(f, "manifest"), json_string_value(json_object_get(f, "format")),
		id) < 0
		       ? -1
		       : 0;
}

int backups_set_verification(const char *id, const char *status, const char *job_id,
			     int64_t duration_ms, json_t *detail)
{
	if (str_eq(status, "running"))
		return db_exec("UPDATE backups SET verify_status='running', verify_job_id=?"
			       " WHERE id=?",
			       "ss", job_id, id) < 0
			       ? -1
			       : 0;
	return db_exec("UPDATE backups SET verify_status=?, verify_job_id=coalesce(?, verify_job_id),"
		       " verified_at=strftime('%Y-%m-%dT%H:%M:%SZ','now'), verify_duration_ms=?,"
		       " verify_detail=? WHERE id=?",
		       "ssijs", status, job_id, duration_ms, detail, id) < 0
		       ? -1
		       : 0;
}

int backups_delete_row(const char *id)
{
	if (db_exec("DELETE FROM backups WHERE id=?", "s", id) < 0)
		return -1;
	return db_changes() > 0 ? 1 : 0;
}

json_t *backups_retention_rows(const char *env_id)
{
	return db_rows("SELECT id, kind, status, created_ts, expires_ts FROM backups"
		       " WHERE environment_id=? ORDER BY created_ts DESC, rowid DESC",
		       "s", env_id);
}

json_t *backups_of_env(const char *env_id)
{
	return db_rows("SELECT id, target_id, object_key, status FROM backups WHERE environment_id=?",
		       "s", env_id);
}

json_t *backups_orphans(void)
{
	return db_rows("SELECT b.id, b.org_id, b.target_id, b.object_key, b.environment_id FROM backups b"
		       " WHERE b.status='running' AND NOT EXISTS(SELECT 1 FROM jobs j"
		       "  WHERE j.id=b.job_id AND j.status IN ('queued','running'))",
		       "");
}

json_t *backups_env_summary(const char *env_id)
{
	json_t *lv = db_row("SELECT id AS backup_id, verified_at, verify_duration_ms AS"
			    " restore_duration_ms FROM backups WHERE environment_id=? AND"
			    " verify_status='passed' ORDER BY verified_at DESC LIMIT 1",
			    "s", env_id);
	json_t *lb = db_row("SELECT id AS backup_id, created_at, kind FROM backups WHERE"
			    " environment_id=? AND status='done' ORDER BY created_ts DESC, rowid DESC"
			    " LIMIT 1",
			    "s", env_id);
	return json_pack("{s:o,s:o}", "last_verified", lv ? lv : json_null(), "last_backup",
			 lb ? lb : json_null());
}

int64_t backups_last_slot(const char *env_id)
{
	return db_int(0, "SELECT last_slot FROM backup_schedule_runs WHERE env_id=?", "s", env_id);
}

int backups_claim_slot(const char *env_id, int64_t slot)
{
	if (db_exec("INSERT INTO backup_schedule_runs(env_id, last_slot) VALUES(?,?)"
		    " ON CONFLICT(env_id) DO UPDATE SET last_slot=excluded.last_slot"
		    " WHERE excluded.last_slot > backup_schedule_runs.last_slot",
		    "si", env_id, slot) < 0)
		return -1;
	return db_changes() > 0 ? 1 : 0;
}
