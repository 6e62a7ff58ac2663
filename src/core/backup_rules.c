/* backup_rules.c: backup schedules, due slots and retention (see backup_rules.h). */
#include "core/backup_rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

int backup_schedule_parse(const char *s, struct backup_schedule *out, char *msg, size_t msg_n)
{
	memset(out, 0, sizeof *out);
	if (msg_n)
		msg[0] = '\0';
	const char *p = s ? s : "";
	while (*p) {
		if (*p == ' ') {
			p++;
			continue;
		}
		size_t len = strcspn(p, " ");
		bool form = len == 5 && p[2] == ':';
		for (size_t i = 0; form && i < 5; i++)
			form = i == 2 || (p[i] >= '0' && p[i] <= '9');
		if (!form) {
			snprintf(msg, msg_n, "'%.*s' is not a time as HH:MM (e.g. 02:00)",
				 (int)(len > 20 ? 20 : len), p);
			return -1;
		}
		int h = (p[0] - '0') * 10 + (p[1] - '0'), m = (p[3] - '0') * 10 + (p[4] - '0');
		if (h > 23 || m > 59) {
			snprintf(msg, msg_n, "'%.5s' is not a time HH:MM from 00:00 to 23:59", p);
			return -1;
		}
		for (int i = 0; i < out->n; i++)
			if (out->minute[i] == h * 60 + m) {
				snprintf(msg, msg_n, "%.5s is given twice", p);
				return -1;
			}
		if (out->n == BACKUP_SLOTS_MAX) {
			snprintf(msg, msg_n, "at most %d times", BACKUP_SLOTS_MAX);
			return -1;
		}
		out->minute[out->n++] = h * 60 + m;
		p += len;
	}
	qsort(out->minute, (size_t)out->n, sizeof out->minute[0], cmp_int);
	return 0;
}

/* The instant of local wall time L (seconds since 1970-01-01 00:00 local). Around a change
 * of offset: a time that occurs twice is taken at its first guess (the offset at L read as
 * UTC, the same every time), a time that does not occur (the clock jumped over it) at the
 * instant the jump ended. */
static int64_t local_to_utc(backup_offset_fn off, void *cls, int64_t L)
{
	long g = off(cls, L);
	int64_t t = L - g;
	long o = off(cls, t);
	if (o == g)
		return t;
	int64_t t2 = L - o;
	long o2 = off(cls, t2);
	if (o2 == o)
		return t2;
	return L - (o < o2 ? o : o2); /* in a gap */
}

static int64_t slot_at(const struct backup_schedule *s, backup_offset_fn off, void *cls,
		       int64_t day, int i)
{
	return local_to_utc(off, cls, day * 86400 + (int64_t)s->minute[i] * 60);
}

int64_t backup_slot_latest(const struct backup_schedule *s, backup_offset_fn off, void *cls,
			   int64_t now, int64_t *interval)
{
	if (interval)
		*interval = 86400;
	if (!s || s->n == 0)
		return 0;
	int64_t day = backup_local_day(now, off(cls, now));
	/* walk the slots backwards from the end of tomorrow (an offset change can move a slot
	 * of the next local day before now): the first at or before now, then the one before */
	int64_t latest = 0;
	for (int64_t d = day + 1; d >= day - 3; d--) {
		for (int i = s->n - 1; i >= 0; i--) {
			int64_t t = slot_at(s, off, cls, d, i);
			if (!latest) {
				if (t <= now)
					latest = t;
				continue;
			}
			if (t < latest) {
				if (interval)
					*interval = latest - t;
				return latest;
			}
		}
	}
	return latest;
}

int64_t backup_slot_next(const struct backup_schedule *s, backup_offset_fn off, void *cls,
			 int64_t now)
{
	if (!s || s->n == 0)
		return 0;
	int64_t day = backup_local_day(now, off(cls, now));
	for (int64_t d = day - 1; d <= day + 2; d++)
		for (int i = 0; i < s->n; i++) {
			int64_t t = slot_at(s, off, cls, d, i);
			if (t > now)
				return t;
		}
	return 0;
}

int64_t backup_stagger(int rank, int64_t interval)
{
	if (rank < 0)
		rank = 0;
	int64_t d = (int64_t)(rank % BACKUP_STAGGER_MAX) * BACKUP_STAGGER_S;
	while (d > 0 && d * 2 >= interval)
		d -= BACKUP_STAGGER_S;
	return d < 0 ? 0 : d;
}

int64_t backup_due_slot(const struct backup_schedule *s, backup_offset_fn off, void *cls,
			int64_t now, int64_t last_slot, int64_t stagger)
{
	int64_t interval;
	int64_t slot = backup_slot_latest(s, off, cls, now, &interval);
	if (!slot || slot <= last_slot)
		return 0;
	if (now - slot < stagger || now - slot >= interval)
		return 0;
	return slot;
}

int64_t backup_local_day(int64_t t, long offset)
{
	return floor_div(t + offset, 86400);
}

int64_t backup_week_of_day(int64_t day)
{
	return floor_div(day + 3, 7); /* 1970-01-01 was a Thursday: weeks start on Mondays */
}

int64_t backup_month_of_day(int64_t day)
{
	/* civil_from_days (Howard Hinnant) */
	int64_t z = day + 719468;
	int64_t era = floor_div(z, 146097);
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t y = yoe + era * 400;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int64_t m = mp < 10 ? mp + 3 : mp - 9;
	if (m <= 2)
		y++;
	return y * 12 + m - 1;
}

/* newest first; equal times by id, so the order is the same every time (an insertion
 * sort: small lists, no shared state) */
static void sort_newest(const struct backup_rrow *rows, size_t *idx, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		size_t v = idx[i], j = i;
		while (j > 0) {
			const struct backup_rrow *x = &rows[v], *y = &rows[idx[j - 1]];
			bool before = x->created_ts != y->created_ts
					      ? x->created_ts > y->created_ts
					      : strcmp(x->id ? x->id : "", y->id ? y->id : "") > 0;
			if (!before)
				break;
			idx[j] = idx[j - 1];
			j--;
		}
		idx[j] = v;
	}
}

static bool is(const char *a, const char *b)
{
	return a && strcmp(a, b) == 0;
}

static int64_t days_old(int64_t now, int64_t t)
{
	return floor_div(now - t, 86400);
}

struct gfs_rule {
	int left;
	bool have;
	int64_t last;
};

/* Whether a backup of calendar key k is the newest of a new period the rule still keeps. */
static bool gfs_take(struct gfs_rule *g, int64_t k)
{
	if (g->have && g->last == k)
		return false;
	if (g->left <= 0)
		return false;
	g->have = true;
	g->last = k;
	g->left--;
	return true;
}

size_t backup_retention_plan(const struct backup_rrow *rows, size_t n,
			     const struct backup_retention *r, backup_offset_fn off, void *cls,
			     int64_t now, struct backup_drop *out)
{
	if (n == 0)
		return 0;
	size_t *idx = xcalloc(n, sizeof *idx);
	for (size_t i = 0; i < n; i++)
		idx[i] = i;
	sort_newest(rows, idx, n);
	bool newest_done_seen = false;
	struct gfs_rule daily = {.left = r->keep_daily}, weekly = {.left = r->keep_weekly},
			monthly = {.left = r->keep_monthly};
	size_t k = 0;
	for (size_t ii = 0; ii < n; ii++) {
		size_t i = idx[ii];
		const struct backup_rrow *b = &rows[i];
		char why[160] = "";
		if (is(b->status, "running"))
			continue;
		if (is(b->status, "done") && !newest_done_seen) {
			newest_done_seen = true; /* the newest done backup always stays */
			if (is(b->kind, "scheduled")) {
				/* and counts for the periods it is the newest of */
				int64_t day = backup_local_day(b->created_ts, off(cls, b->created_ts));
				gfs_take(&daily, day);
				gfs_take(&weekly, backup_week_of_day(day));
				gfs_take(&monthly, backup_month_of_day(day));
			}
			continue;
		}
		int64_t age = days_old(now, b->created_ts);
		if (is(b->status, "failed")) {
			if (now - b->created_ts > (int64_t)BACKUP_FAILED_KEEP_DAYS * 86400)
				snprintf(why, sizeof why, "failed %lld days ago (failed backups are kept %d days)",
					 (long long)age, BACKUP_FAILED_KEEP_DAYS);
		} else if (b->expires_ts > 0 && b->expires_ts <= now) {
			snprintf(why, sizeof why, "%s backup expired", b->kind ? b->kind : "a");
		} else if (is(b->kind, "pre_restore") || is(b->kind, "pre_update")) {
			if (now - b->created_ts >= (int64_t)BACKUP_SAFETY_KEEP_DAYS * 86400)
				snprintf(why, sizeof why, "%s backup %lld days old (kept %d days)", b->kind,
					 (long long)age, BACKUP_SAFETY_KEEP_DAYS);
		} else if (is(b->kind, "manual") || is(b->kind, "imported")) {
			if (r->manual_keep_days > 0 &&
			    now - b->created_ts >= (int64_t)r->manual_keep_days * 86400)
				snprintf(why, sizeof why,
					 "%s backup %lld days old (backup_manual_keep_days: %d)", b->kind,
					 (long long)age, r->manual_keep_days);
		} else if (is(b->kind, "scheduled")) {
			int64_t day = backup_local_day(b->created_ts, off(cls, b->created_ts));
			/* each rule sees every backup: one can be the newest of its day, week and month */
			bool d = gfs_take(&daily, day);
			bool w = gfs_take(&weekly, backup_week_of_day(day));
			bool m = gfs_take(&monthly, backup_month_of_day(day));
			if (!d && !w && !m)
				snprintf(why, sizeof why,
					 "scheduled backup outside the retention (%d daily, %d weekly,"
					 " %d monthly)",
					 r->keep_daily, r->keep_weekly, r->keep_monthly);
		}
		if (why[0]) {
			out[k].row = i;
			snprintf(out[k].reason, sizeof out[k].reason, "%s", why);
			k++;
		}
	}
	free(idx);
	return k;
}
