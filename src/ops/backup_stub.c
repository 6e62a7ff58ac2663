/* backup_stub.c: TEMPORARY (H-sched, issue 12). Weak stand-ins for the functions of
 * ops/backup.h the backup scheduler calls, until the lead's ops/backup.c is merged: its strong
 * definitions replace these. The lead deletes this file at the merge. */
#include "ops/backup.h"

#include "core/actions.h"
#include "store/backups.h"

__attribute__((weak)) int backup_remove(const char *backup_id, struct berr *err)
{
	if (backups_delete_row(backup_id) < 0)
		return berr_set(err, BE_INTERNAL_ERROR, NULL, "cannot delete backup %s", backup_id);
	return 0;
}

__attribute__((weak)) int backup_enqueue_scheduled(const char *env_id, int64_t slot,
						   struct berr *err)
{
	json_t *params = json_pack("{s:s,s:s,s:I}", "scope", "db", "kind", "scheduled", "slot",
				   (json_int_t)slot);
	struct env_action a = {.env_id = env_id, .type = "backup", .params = params,
			       .policy = ENV_Q_SAME_ANSWERS, .actor = "schedule"};
	json_t *job = NULL;
	bool created;
	int rc = env_action_enqueue(&a, &job, &created, err);
	json_decref(job);
	json_decref(params);
	return rc;
}
