/* backup_sched.h: what the backup scheduler (ops/backup_sched.c) reads of environments. */
#ifndef BERTH_STORE_BACKUP_SCHED_H
#define BERTH_STORE_BACKUP_SCHED_H
#include <jansson.h>

/* Environments whose scheduled backups may run: production or staging, deployed, not being
 * removed, with a non-empty settings.backup_schedule, in an organization whose plan has
 * allow_backup: [{id, org_id, vm_id, schedule, timezone}], by server then id. */
json_t *backup_sched_envs(void);
/* The ids of environments that have backups (retention), as an array of strings. */
json_t *backup_sched_envs_with_backups(void);
#endif
