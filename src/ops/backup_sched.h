/* backup_sched.h: scheduled backups and retention (docs/backups.md, "Schedule and retention").
 *
 * The scheduler task "backup-schedule" (every 60 s) looks at the production and staging
 * environments that are deployed, have a non-empty backup_schedule and whose organization's
 * plan has allow_backup; for each it works out the due slot in the organization's time zone
 * (core/backup_rules.h; environments of one server due at the same slot are staggered by
 * their rank, a minute each), records it with backups_claim_slot and, when that moved
 * forward, queues the backup with backup_enqueue_scheduled. The first time berth sees an
 * environment's schedule (no slot recorded yet), and when this berthd sees a schedule or time
 * zone change, the latest past slot is recorded without a backup: a new schedule starts at its
 * next time, while a slot missed because berthd was down still runs at start (less than one
 * interval late).
 *
 * The job "backup_prune" ({} on the environment's queue) applies the retention of
 * backup_rules to the environment's backups: backup_remove for each, a log line with the
 * reason, and the result {"deleted": [{"id", "kind", "created_at", "reason"}]}. The task
 * "backup-prune" (hourly) queues it for the environments that have something to prune. */
#ifndef BERTH_OPS_BACKUP_SCHED_H
#define BERTH_OPS_BACKUP_SCHED_H
#include "jobs/queue.h"
#include "lib/errors.h"

/* The tasks' intervals (default 60000 ms and an hour; berthd's hidden options
 * --backup-schedule-interval and --backup-prune-interval, for tests; 0 keeps the default).
 * Before backup_sched_start. */
void backup_sched_set_interval_ms(int schedule_ms, int prune_ms);
/* Registers the backup_prune job type (before the workers start) and the two tasks. 0 or -1. */
int backup_sched_start(void);
void backup_sched_stop(void);
/* The next time a schedule (backup_schedule's text) runs in zone after now, unix seconds; 0
 * when the schedule is empty or invalid (for backup-status' next_scheduled_at). */
int64_t backup_sched_next(const char *schedule, const char *zone, int64_t now);
/* The backup_prune job. */
int backup_prune_job(struct job *j, struct berr *err);
#endif
