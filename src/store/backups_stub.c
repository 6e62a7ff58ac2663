/* backups_stub.c: TEMPORARY (H-sched, issue 12). Weak stand-ins for the functions of
 * store/backups.h the backup scheduler calls, until the lead's store/backups.c is merged:
 * its strong definitions replace these. The lead deletes this file at the merge. */
#include "store/backups.h"

#include "store/db.h"

__attribute__((weak)) int64_t backups_last_slot(const char *env_id)
{
	return db_int(0, "SELECT last_slot FROM backup_schedule_runs WHERE env_id=?", "s", env_id);
}

__attribute__((weak)) int backups_claim_slot(const char *env_id, int64_t slot)
{
	int64_t before = backups_last_slot(env_id);
	if (slot <= before)
		return 0;
	if (db_exec("INSERT INTO backup_schedule_runs(env_id, last_slot) VALUES(?,?)"
		    " ON CONFLICT(env_id) DO UPDATE SET last_slot=excluded.last_slot"
		    " WHERE excluded.last_slot > backup_schedule_runs.last_slot",
		    "si", env_id, slot) < 0)
		return -1;
	return backups_last_slot(env_id) == slot ? 1 : 0;
}

__attribute__((weak)) json_t *backups_retention_rows(const char *env_id)
{
	return db_rows("SELECT id, kind, status, created_ts, expires_ts FROM backups"
		       " WHERE environment_id=? ORDER BY created_ts DESC, id DESC",
		       "s", env_id);
}

__attribute__((weak)) int backups_delete_row(const char *id)
{
	int64_t n = db_int(0, "SELECT count(*) FROM backups WHERE id=?", "s", id);
	if (db_exec("DELETE FROM backups WHERE id=?", "s", id) < 0)
		return -1;
	return n > 0 ? 1 : 0;
}
