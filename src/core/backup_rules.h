/* backup_rules.h: when scheduled backups run and which backups retention removes
 * (docs/backups.md, "Schedule and retention"). Pure: no store, no clock, no I/O; the time of
 * day is the organization's, through an offset function the caller gives (drivers/tz.h in
 * berthd, a fixed or synthetic one in the unit tests).
 *
 * Schedule: "HH:MM" times of day separated by spaces ("02:00 14:00"), 00:00 to 23:59, no
 * time twice, at most 24; empty (or only spaces): no scheduled backups.
 *
 * Due slot: the latest slot time at or before now that is newer than the last slot run, and
 * only while now - slot is less than the interval from the slot before it (a slot missed while
 * berthd was down runs at start when it is less than one interval late, never twice: the
 * caller records the slot it ran and a slot is never older than the last one recorded). An
 * environment's stagger (its rank among the environments of its server due at the same slot,
 * times 60 s, rank 0 on time, at most BACKUP_STAGGER_MAX ranks) delays it within the slot.
 *
 * Retention (grandfather-father-son) over one environment's backups:
 * - scheduled backups (done): the newest of each of the keep_daily latest days that have
 *   one, the newest of each of the keep_weekly latest ISO weeks, the newest of each of the
 *   keep_monthly latest months (days, weeks and months in the organization's time zone); a
 *   backup kept by any of the three is kept;
 * - manual and imported: kept until deleted, or manual_keep_days days when > 0;
 * - pre_restore and pre_update: 30 days;
 * - a backup whose expires_ts has passed goes;
 * - failed backups: 7 days;
 * - never a running backup, never the environment's newest done backup. */
#ifndef BERTH_CORE_BACKUP_RULES_H
#define BERTH_CORE_BACKUP_RULES_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BACKUP_SLOTS_MAX 24
#define BACKUP_STAGGER_S 60
#define BACKUP_STAGGER_MAX 15 /* ranks beyond wrap around: a spread over 15 minutes */
#define BACKUP_SAFETY_KEEP_DAYS 30 /* pre_restore, pre_update */
#define BACKUP_FAILED_KEEP_DAYS 7

/* The offset of the organization's time zone from UTC at the instant t (unix seconds), in
 * seconds east of UTC (Europe/Brussels in summer: 7200). */
typedef long (*backup_offset_fn)(void *cls, int64_t t);

struct backup_schedule {
	int n;
	int minute[BACKUP_SLOTS_MAX]; /* minutes after local midnight, ascending */
};

/* Parses s (NULL or empty: n = 0). 0, or -1 with what is wrong in msg (msg_n bytes), e.g.
 * "'24:00' is not a time from 00:00 to 23:59". */
int backup_schedule_parse(const char *s, struct backup_schedule *out, char *msg, size_t msg_n);

/* The latest slot instant at or before now (0 when the schedule is empty), and in *interval
 * the seconds from the slot before it to it (86400 for one time a day). */
int64_t backup_slot_latest(const struct backup_schedule *s, backup_offset_fn off, void *cls,
			   int64_t now, int64_t *interval);

/* The first slot instant after now (0 when the schedule is empty): the backup-status route's
 * next_scheduled_at (without an environment's stagger). */
int64_t backup_slot_next(const struct backup_schedule *s, backup_offset_fn off, void *cls,
			 int64_t now);

/* The stagger of rank: seconds after the slot (rank mod BACKUP_STAGGER_MAX times 60 s, less
 * than half the interval). */
int64_t backup_stagger(int rank, int64_t interval);

/* The slot due now for an environment whose last slot run is last_slot (0: none), delayed by
 * stagger seconds: its instant, or 0 when none is due. */
int64_t backup_due_slot(const struct backup_schedule *s, backup_offset_fn off, void *cls,
			int64_t now, int64_t last_slot, int64_t stagger);

/* Local calendar keys of an instant (for retention and tests): days since 1970-01-01, the
 * Monday-based week number since then (ISO weeks), and year * 12 + month - 1. */
int64_t backup_local_day(int64_t t, long offset);
int64_t backup_week_of_day(int64_t day);
int64_t backup_month_of_day(int64_t day);

struct backup_retention {
	int keep_daily, keep_weekly, keep_monthly;
	int manual_keep_days; /* 0: manual and imported backups are kept until deleted */
};

struct backup_rrow {
	const char *id, *kind, *status; /* kind: scheduled, manual, imported, pre_restore,
					 * pre_update; status: running, done, failed */
	int64_t created_ts;
	int64_t expires_ts; /* 0: none */
};

struct backup_drop {
	size_t row;       /* index into the rows given */
	char reason[160]; /* for the job's log */
};

/* Which of the n rows retention removes at now: fills out (n entries at most) in the rows'
 * order, newest first, and returns how many. */
size_t backup_retention_plan(const struct backup_rrow *rows, size_t n,
			     const struct backup_retention *r, backup_offset_fn off, void *cls,
			     int64_t now, struct backup_drop *out);
#endif
