/* backup.h: backups as jobs (docs/backups.md): "backup" (an environment's database, and its
 * filestore for scope full, streamed from its server as Odoo's backup zip to a target),
 * "restore" (a backup into its environment or another of the same project, a pre_restore
 * backup first), "backup_import" (an uploaded archive), "backup_verify" (a test restore into
 * a throwaway PostgreSQL container); "backup_prune" (retention) is ops/backup_sched.h's. */
#ifndef BERTH_OPS_BACKUP_H
#define BERTH_OPS_BACKUP_H
#include <jansson.h>
#include <stdint.h>
#include "drivers/blob.h"
#include "lib/errors.h"

/* Registers the job types above. */
void ops_register_backup(void);
/* Fails the backups berthd died under (status running without a running job) and removes
 * what they left on their targets. Called at start, after queue_recover. */
void backup_recover(void);

/* The target a backup of org_id goes to (target_id NULL: the organization's default, or
 * its built-in local target), unsealed: fill *t (release with backup_target_release) and
 * *id_out (37 bytes). The one place target secrets are unsealed. */
int backup_target_load(const char *org_id, const char *target_id, struct blob_target *t,
		       char id_out[37], struct berr *err);
void backup_target_release(struct blob_target *t);
/* The directory under which local targets keep objects (<data>/backups by default). */
void backup_set_local_root(const char *dir);
const char *backup_local_root(void);

/* Removes a backup: its object on the target, then its row. Idempotent. 0 or -1. */
int backup_remove(const char *backup_id, struct berr *err);
/* Removes every backup of an environment (its remove job), logging to j (may be NULL). */
struct job;
int backup_remove_env(const char *env_id, struct job *j, struct berr *err);
/* Queues a scheduled backup of env_id for slot (unix seconds) through the one enqueue rule
 * (core/actions.h). 0 or -1. */
int backup_enqueue_scheduled(const char *env_id, int64_t slot, struct berr *err);
#endif
