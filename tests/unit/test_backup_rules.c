/* core/backup_rules.c: schedules, due slots, stagger and grandfather-father-son retention,
 * with synthetic clocks and time zones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "core/backup_rules.h"
#include "core/settings.h"
#include "drivers/tz.h"

/* 2024-03-01 00:00:00 UTC, a Friday */
#define T0 1709251200LL
#define H 3600LL
#define D 86400LL

static long fixed(void *cls, int64_t t)
{
	(void)t;
	return cls ? *(long *)cls : 0;
}

/* Europe/Brussels around 2024-03-31: +1 h until 01:00 UTC, then +2 h; back to +1 h on
 * 2024-10-27 at 01:00 UTC */
#define SPRING 1711846800LL
#define AUTUMN 1729990800LL
static long brussels(void *cls, int64_t t)
{
	(void)cls;
	return t >= SPRING && t < AUTUMN ? 7200 : 3600;
}

static struct backup_schedule sched(const char *s)
{
	struct backup_schedule b;
	char msg[160];
	assert_int_equal(backup_schedule_parse(s, &b, msg, sizeof msg), 0);
	return b;
}

static void refused(const char *s, const char *want)
{
	struct backup_schedule b;
	char msg[160];
	assert_int_equal(backup_schedule_parse(s, &b, msg, sizeof msg), -1);
	if (!strstr(msg, want))
		fail_msg("'%s': message '%s' lacks '%s'", s, msg, want);
}

static void test_parse(void **state)
{
	(void)state;
	struct backup_schedule b = sched("14:00 02:00");
	assert_int_equal(b.n, 2);
	assert_int_equal(b.minute[0], 120);
	assert_int_equal(b.minute[1], 840);
	assert_int_equal(sched("").n, 0);
	assert_int_equal(sched("   ").n, 0);
	assert_int_equal(sched(" 00:00  23:59 ").n, 2);
	refused("24:00", "00:00 to 23:59");
	refused("12:60", "00:00 to 23:59");
	refused("2:00", "HH:MM");
	refused("02:00,03:00", "HH:MM");
	refused("02h00", "HH:MM");
	refused("02:00 02:00", "twice");
	refused("aa:bb", "HH:MM");
	char all[24 * 6 + 8] = "";
	for (int h = 0; h < 24; h++)
		snprintf(all + strlen(all), sizeof all - strlen(all), "%02d:00 ", h);
	assert_int_equal(sched(all).n, 24);
	strcat(all, "12:30");
	refused(all, "at most 24");
}

static void test_setting_uses_the_rules(void **state)
{
	(void)state;
	const struct setting *s = setting_find("backup_schedule");
	assert_non_null(s);
	assert_false(s->pending);
	struct berr err = {0};
	json_t *v = json_string("02:00 02:00");
	assert_int_equal(setting_check(s, v, &err), -1);
	assert_non_null(strstr(err.message, "twice"));
	assert_string_equal(err.field, "backup_schedule");
	json_decref(v);
	v = json_string("24:00");
	assert_int_equal(setting_check(s, v, &err), -1);
	assert_non_null(strstr(err.message, "23:59"));
	json_decref(v);
	v = json_string("02:00 14:30");
	assert_int_equal(setting_check(s, v, &err), 0);
	json_decref(v);
	assert_int_equal(setting_default_int("backup_keep_daily"), 7);
	assert_int_equal(setting_default_int("backup_keep_weekly"), 4);
	assert_int_equal(setting_default_int("backup_keep_monthly"), 12);
	assert_int_equal(setting_default_int("backup_manual_keep_days"), 0);
	assert_string_equal(setting_find("backup_keep_daily")->plan_flag, "allow_backup");
}

static void test_latest_and_interval(void **state)
{
	(void)state;
	struct backup_schedule b = sched("02:00 14:00");
	int64_t iv;
	/* 13:00 UTC: the latest is 02:00 today, 12 h after 14:00 yesterday */
	assert_int_equal(backup_slot_latest(&b, fixed, NULL, T0 + 13 * H, &iv), T0 + 2 * H);
	assert_int_equal(iv, 12 * H);
	/* exactly at 14:00 */
	assert_int_equal(backup_slot_latest(&b, fixed, NULL, T0 + 14 * H, &iv), T0 + 14 * H);
	/* 01:00: yesterday's 14:00, 12 h after yesterday's 02:00 */
	assert_int_equal(backup_slot_latest(&b, fixed, NULL, T0 + 1 * H, &iv), T0 - 10 * H);
	assert_int_equal(iv, 12 * H);
	/* one time a day: the interval is a day */
	struct backup_schedule one = sched("03:30");
	assert_int_equal(backup_slot_latest(&one, fixed, NULL, T0 + 3 * H, &iv), T0 - D + 3 * H + 1800);
	assert_int_equal(iv, D);
	/* in UTC+2 (no DST), 02:00 local is 00:00 UTC */
	long plus2 = 7200;
	assert_int_equal(backup_slot_latest(&b, fixed, &plus2, T0 + 1 * H, &iv), T0);
	/* in UTC-5, 14:00 local is 19:00 UTC; at 18:00 UTC, the latest is 02:00 local (07:00) */
	long minus5 = -5 * 3600;
	assert_int_equal(backup_slot_latest(&b, fixed, &minus5, T0 + 18 * H, &iv), T0 + 7 * H);
	/* empty schedule */
	struct backup_schedule none = sched("");
	assert_int_equal(backup_slot_latest(&none, fixed, NULL, T0, &iv), 0);
	/* the next one */
	assert_int_equal(backup_slot_next(&b, fixed, NULL, T0 + 13 * H), T0 + 14 * H);
	assert_int_equal(backup_slot_next(&b, fixed, NULL, T0 + 14 * H), T0 + D + 2 * H);
	assert_int_equal(backup_slot_next(&b, fixed, &minus5, T0 + 18 * H), T0 + 19 * H);
	assert_int_equal(backup_slot_next(&one, fixed, NULL, T0 + 4 * H), T0 + D + 3 * H + 1800);
	assert_int_equal(backup_slot_next(&none, fixed, NULL, T0), 0);
}

static void test_due(void **state)
{
	(void)state;
	struct backup_schedule b = sched("02:00 14:00");
	int64_t slot = T0 + 14 * H;
	/* a minute before: nothing; at the time and a minute after: due */
	assert_int_equal(backup_due_slot(&b, fixed, NULL, slot - 60, slot - 12 * H, 0), 0);
	assert_int_equal(backup_due_slot(&b, fixed, NULL, slot, slot - 12 * H, 0), slot);
	assert_int_equal(backup_due_slot(&b, fixed, NULL, slot + 60, slot - 12 * H, 0), slot);
	/* never twice */
	assert_int_equal(backup_due_slot(&b, fixed, NULL, slot + 120, slot, 0), 0);
	/* missed while berthd was down: runs when less than one interval late ... */
	assert_int_equal(backup_due_slot(&b, fixed, NULL, slot + 11 * H, slot - 36 * H, 0), slot);
	/* ... the newest missed one only (at 03:00 the next day: 02:00, not 14:00) */
	assert_int_equal(backup_due_slot(&b, fixed, NULL, slot + 13 * H, slot - 36 * H, 0),
			 slot + 12 * H);
	/* one slot a day, 23 h late: due; a day late: the next slot is the latest */
	struct backup_schedule one = sched("14:00");
	assert_int_equal(backup_due_slot(&one, fixed, NULL, slot + 23 * H, slot - D, 0), slot);
	assert_int_equal(backup_due_slot(&one, fixed, NULL, slot + D, slot - D, 0), slot + D);
	/* stagger: rank 2 waits two minutes */
	int64_t st = backup_stagger(2, 12 * H);
	assert_int_equal(st, 120);
	assert_int_equal(backup_due_slot(&b, fixed, NULL, slot + 60, slot - 12 * H, st), 0);
	assert_int_equal(backup_due_slot(&b, fixed, NULL, slot + 120, slot - 12 * H, st), slot);
	assert_int_equal(backup_stagger(0, D), 0);
	assert_int_equal(backup_stagger(BACKUP_STAGGER_MAX + 1, D), 60);
	/* a stagger never reaches half the interval */
	assert_true(backup_stagger(14, 4 * 60) * 2 < 4 * 60);
	assert_int_equal(backup_stagger(5, 60), 0);
	/* an empty schedule is never due */
	struct backup_schedule none = sched("");
	assert_int_equal(backup_due_slot(&none, fixed, NULL, slot, 0, 0), 0);
}

static void test_dst(void **state)
{
	(void)state;
	/* 2024-03-31: 02:30 local does not exist in Brussels; it runs when the clock jumped
	 * (01:00 UTC = 03:00 CEST) + the 30 minutes: 01:30 UTC */
	struct backup_schedule b = sched("02:30");
	int64_t day = (SPRING - 1 * H) / D * D; /* 2024-03-31 00:00 UTC */
	int64_t iv;
	int64_t s = backup_slot_latest(&b, brussels, NULL, day + 12 * H, &iv);
	assert_int_equal(s, day + 1 * H + 1800);
	/* the day before: 02:30 CET = 01:30 UTC */
	assert_int_equal(backup_slot_latest(&b, brussels, NULL, day - 12 * H, &iv), day - D + H + 1800);
	/* 14:00 local in summer is 12:00 UTC, in winter 13:00 UTC */
	struct backup_schedule two = sched("14:00");
	assert_int_equal(backup_slot_latest(&two, brussels, NULL, day + 20 * H, &iv), day + 12 * H);
	assert_int_equal(iv, D - H);
	assert_int_equal(backup_slot_latest(&two, brussels, NULL, day - 4 * H, &iv), day - D + 13 * H);
	/* 2024-10-27: 02:30 local happens twice; the slot is one instant, due once */
	int64_t aday = (AUTUMN - 2 * H) / D * D; /* 2024-10-27 00:00 UTC */
	int64_t s1 = backup_slot_latest(&b, brussels, NULL, aday + 2 * H, &iv);
	assert_true(s1 == aday + 30 * 60 || s1 == aday + H + 30 * 60);
	assert_int_equal(backup_due_slot(&b, brussels, NULL, aday + 2 * H, s1, 0), 0);
	assert_int_equal(backup_slot_latest(&b, brussels, NULL, aday + 5 * H, &iv), s1);
}

static void test_calendar_keys(void **state)
{
	(void)state;
	int64_t day = backup_local_day(T0, 0); /* 2024-03-01, Friday */
	assert_int_equal(backup_month_of_day(day), 2024 * 12 + 2);
	assert_int_equal(backup_month_of_day(day - 1), 2024 * 12 + 1); /* 2024-02-29 */
	assert_int_equal(backup_month_of_day(backup_local_day(0, 0)), 1970 * 12);
	/* Friday and the next Sunday share an ISO week, Monday starts another */
	assert_int_equal(backup_week_of_day(day), backup_week_of_day(day + 2));
	assert_int_equal(backup_week_of_day(day + 3), backup_week_of_day(day) + 1);
	/* 23:30 UTC is the next day in UTC+1 */
	assert_int_equal(backup_local_day(T0 + 23 * H + 1800, 3600), day + 1);
	assert_int_equal(backup_local_day(T0 + 30 * 60, -3600), day - 1);
}

/* ---- retention ---- */

#define MAXR 1000
static struct backup_rrow rows[MAXR];
static char ids[MAXR][16];
static size_t nrows;

static void add(const char *kind, const char *status, int64_t ts, int64_t expires)
{
	snprintf(ids[nrows], sizeof ids[nrows], "b%zu", nrows);
	rows[nrows] = (struct backup_rrow){ids[nrows], kind, status, ts, expires};
	nrows++;
}

static struct backup_drop drops[MAXR];

static size_t plan(const struct backup_retention *r, long *off, int64_t now)
{
	return backup_retention_plan(rows, nrows, r, fixed, off, now, drops);
}

static bool dropped(size_t i, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (drops[k].row == i)
			return true;
	return false;
}

static const struct backup_retention DEFAULTS = {7, 4, 12, 0};

static void test_gfs_daily_weekly_monthly(void **state)
{
	(void)state;
	nrows = 0;
	/* two scheduled backups a day (02:00, 14:00) for 400 days up to T0 + 14:00 */
	int64_t now = T0 + 15 * H;
	for (int d = 0; d < 400; d++) {
		add("scheduled", "done", T0 - d * D + 2 * H, 0);
		add("scheduled", "done", T0 - d * D + 14 * H, 0);
	}
	size_t n = plan(&DEFAULTS, NULL, now);
	size_t kept = nrows - n;
	/* daily: the 14:00 of the 7 latest days; weekly and monthly add their newest */
	for (int d = 0; d < 7; d++) {
		assert_false(dropped((size_t)d * 2 + 1, n));
		assert_true(dropped((size_t)d * 2, n)); /* the 02:00 ones go */
	}
	/* the set kept: 7 daily + weeks beyond + months beyond (overlaps counted once) */
	assert_true(kept >= 12 && kept <= 7 + 4 + 12);
	/* every month of the last 12 keeps a backup: the newest of each */
	for (size_t k = 0; k < n; k++)
		assert_non_null(strstr(drops[k].reason, "outside the retention (7 daily, 4 weekly, 12 monthly)"));
	int months_kept = 0;
	int64_t last_month = -1;
	for (size_t i = 0; i < nrows; i++) {
		if (dropped(i, n))
			continue;
		int64_t m = backup_month_of_day(backup_local_day(rows[i].created_ts, 0));
		if (m != last_month)
			months_kept++;
		last_month = m;
	}
	assert_int_equal(months_kept, 12);
	/* 2024-02-29 14:00 (day 1: the newest of February) is kept as February's */
	assert_false(dropped(3, n));
	/* keep nothing: all but the newest go */
	struct backup_retention zero = {0, 0, 0, 0};
	n = plan(&zero, NULL, now);
	assert_int_equal(n, nrows - 1);
	assert_false(dropped(1, n));
}

static void test_gfs_in_the_organizations_time_zone(void **state)
{
	(void)state;
	nrows = 0;
	/* 23:30 UTC and 00:30 UTC are two days in UTC, one day in UTC-2 */
	add("scheduled", "done", T0 + 30 * 60, 0);      /* newest */
	add("scheduled", "done", T0 - 30 * 60, 0);
	add("scheduled", "done", T0 - D - 30 * 60, 0);
	struct backup_retention r = {2, 0, 0, 0};
	assert_int_equal(plan(&r, NULL, T0 + H), 1); /* UTC: days 0, -1, -2 → the oldest goes */
	assert_true(dropped(2, 1));
	long minus2 = -2 * 3600;
	size_t n = plan(&r, &minus2, T0 + H);
	/* UTC-2: the first two are the same day: the second goes, the third is the second day */
	assert_int_equal(n, 1);
	assert_true(dropped(1, n));
}

static void test_kinds(void **state)
{
	(void)state;
	nrows = 0;
	int64_t now = T0;
	add("scheduled", "running", now - 60, 0);            /* 0 running: never */
	add("pre_update", "done", now - 1 * D, 0);           /* 1 a day old: kept */
	add("manual", "done", now - 100 * D, 0);             /* 2 manual: kept (0 days) */
	add("imported", "done", now - 200 * D, 0);           /* 3 imported: kept */
	add("pre_restore", "done", now - 31 * D, 0);         /* 4 safety, 31 days: goes */
	add("pre_restore", "done", now - 29 * D, 0);         /* 5 29 days: kept */
	add("failed", "failed", now - 8 * D, 0);             /* 6 failed 8 days ago: goes */
	add("scheduled", "failed", now - 6 * D, 0);          /* 7 failed 6 days ago: kept */
	add("manual", "done", now - 50 * D, now - 60);       /* 8 expired: goes */
	add("scheduled", "running", now - 500 * D, 0);       /* 9 running, old: never */
	size_t n = plan(&DEFAULTS, NULL, now);
	bool want[] = {false, false, false, false, true, false, true, false, true, false};
	for (size_t i = 0; i < nrows; i++)
		if (dropped(i, n) != want[i])
			fail_msg("row %zu (%s %s): dropped %d", i, rows[i].kind, rows[i].status,
				 dropped(i, n));
	assert_int_equal(n, 3);
	/* the reasons say why */
	for (size_t k = 0; k < n; k++) {
		const char *why = drops[k].reason;
		if (drops[k].row == 4)
			assert_non_null(strstr(why, "pre_restore backup 31 days old"));
		if (drops[k].row == 6)
			assert_non_null(strstr(why, "failed 8 days ago"));
		if (drops[k].row == 8)
			assert_non_null(strstr(why, "expired"));
	}
	/* the order out is newest first */
	assert_int_equal(drops[0].row, 6);
	assert_int_equal(drops[2].row, 8);
	/* manual kept for 90 days */
	struct backup_retention r = DEFAULTS;
	r.manual_keep_days = 90;
	n = plan(&r, NULL, now);
	assert_true(dropped(2, n) && dropped(3, n));
	for (size_t k = 0; k < n; k++)
		if (drops[k].row == 2)
			assert_non_null(strstr(drops[k].reason, "manual backup 100 days old (backup_manual_keep_days: 90)"));
}

static void test_newest_done_always_stays(void **state)
{
	(void)state;
	nrows = 0;
	int64_t now = T0;
	add("scheduled", "failed", now - 9 * D, 0);
	add("pre_update", "done", now - 100 * D, 0); /* old, but the newest done */
	add("manual", "done", now - 200 * D, now - D);
	size_t n = plan(&DEFAULTS, NULL, now);
	assert_int_equal(n, 2);
	assert_false(dropped(1, n));
	/* the rows may come in any order */
	struct backup_rrow tmp = rows[0];
	rows[0] = rows[2];
	rows[2] = tmp;
	n = plan(&DEFAULTS, NULL, now);
	assert_int_equal(n, 2);
	assert_false(dropped(1, n));
	assert_int_equal(plan(&DEFAULTS, NULL, now) ? drops[0].row : 99, 2); /* failed is newer */
	nrows = 0;
	assert_int_equal(plan(&DEFAULTS, NULL, now), 0);
}

/* ---- time zones (drivers/tz.c, against this machine's tzdata) ---- */

static void test_tz_names(void **state)
{
	(void)state;
	assert_true(tz_valid("UTC"));
	assert_true(tz_valid("Europe/Brussels"));
	assert_true(tz_valid("America/Argentina/Buenos_Aires"));
	assert_true(tz_valid("Etc/GMT+5"));
	const char *bad[] = {"", "/etc/passwd", "Europe/../../etc/passwd", "Europe", "Mars/Olympus",
			     "posix/Europe/Brussels", "right/UTC", "Europe/Brussels ", "zone.tab",
			     "Europe//Brussels", "tzdata.zi", "localtime", "Europe/",
			     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", NULL};
	for (int i = 0; bad[i]; i++)
		if (tz_valid(bad[i]))
			fail_msg("'%s' taken for a time zone", bad[i]);
	struct berr err = {0};
	assert_int_equal(tz_check("timezone", "Nowhere/City", &err), -1);
	assert_string_equal(err.field, "timezone");
	assert_non_null(strstr(err.message, "timezone: "));
}

static void test_tz_offsets(void **state)
{
	(void)state;
	long off = 1;
	assert_int_equal(tz_offset("UTC", T0, &off), 0);
	assert_int_equal(off, 0);
	assert_int_equal(tz_offset("Europe/Brussels", T0, &off), 0);
	assert_int_equal(off, 3600);
	assert_int_equal(tz_offset("Europe/Brussels", SPRING, &off), 0);
	assert_int_equal(off, 7200);
	assert_int_equal(tz_offset("Europe/Brussels", SPRING - 1, &off), 0);
	assert_int_equal(off, 3600);
	assert_int_equal(tz_offset("Europe/Brussels", AUTUMN, &off), 0);
	assert_int_equal(off, 3600);
	assert_int_equal(tz_offset("America/St_Johns", T0, &off), 0);
	assert_int_equal(off, -(3 * 3600 + 1800));
	/* cached: the same answer */
	assert_int_equal(tz_offset("America/St_Johns", T0, &off), 0);
	assert_int_equal(off, -(3 * 3600 + 1800));
	/* many at once */
	int64_t ts[4] = {T0, SPRING, T0 + 7, AUTUMN - 1};
	long offs[4];
	assert_int_equal(tz_offsets("Europe/Brussels", ts, 4, offs), 0);
	assert_int_equal(offs[0], 3600);
	assert_int_equal(offs[1], 7200);
	assert_int_equal(offs[2], 3600);
	assert_int_equal(offs[3], 7200);
	assert_int_equal(tz_offset("Nowhere/City", T0, &off), -1);
	assert_int_equal(off, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_setting_uses_the_rules),
		cmocka_unit_test(test_latest_and_interval),
		cmocka_unit_test(test_due),
		cmocka_unit_test(test_dst),
		cmocka_unit_test(test_calendar_keys),
		cmocka_unit_test(test_gfs_daily_weekly_monthly),
		cmocka_unit_test(test_gfs_in_the_organizations_time_zone),
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_newest_done_always_stays),
		cmocka_unit_test(test_tz_names),
		cmocka_unit_test(test_tz_offsets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
