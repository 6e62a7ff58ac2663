/* backup_sched.c: the backup scheduler's reads (see backup_sched.h). */
#include "store/backup_sched.h"

#include "store/db.h"

json_t *backup_sched_envs(void)
{
	return db_rows(
		"SELECT e.id, e.org_id, e.vm_id,"
		" json_extract(e.settings, '$.backup_schedule') AS schedule, o.timezone"
		" FROM environments e JOIN orgs o ON o.id=e.org_id JOIN plans p ON p.id=o.plan_id"
		" WHERE e.environment_type IN ('production','staging') AND e.deployed_at IS NOT NULL"
		" AND e.status <> 'removing' AND p.allow_backup"
		" AND trim(coalesce(json_extract(e.settings, '$.backup_schedule'), '')) <> ''"
		" ORDER BY e.vm_id, e.id",
		"");
}

json_t *backup_sched_envs_with_backups(void)
{
	json_t *rows = db_rows("SELECT DISTINCT b.environment_id AS id FROM backups b"
			       " JOIN environments e ON e.id=b.environment_id ORDER BY 1",
			       "");
	json_t *ids = json_array();
	size_t i;
	json_t *r;
	json_array_foreach(rows, i, r)
		json_array_append(ids, json_object_get(r, "id"));
	json_decref(rows);
	return ids;
}
