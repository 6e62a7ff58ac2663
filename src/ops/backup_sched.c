/* backup_sched.c: scheduled backups and the backup_prune job (see backup_sched.h). */
#include "ops/backup_sched.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/actions.h"
#include "core/backup_rules.h"
#include "core/settings.h"
#include "drivers/tz.h"
#include "jobs/sched.h"
#include "lib/log.h"
#include "lib/util.h"
#include "ops/backup.h"
#include "store/backup_sched.h"
#include "store/backups.h"
#include "store/envs.h"
#include "store/orgs.h"

static int interval_ms = 60 * 1000, prune_ms = 3600 * 1000;
static int sched_task, prune_task;
/* what this berthd last saw of each environment's schedule: {env_id: "schedule|zone"} (the
 * scheduler's thread only; "" while it has none) */
static json_t *seen;

void backup_sched_set_interval_ms(int schedule_ms, int prune_every_ms)
{
	if (schedule_ms >= 100)
		interval_ms = schedule_ms;
	if (prune_every_ms >= 100)
		prune_ms = prune_every_ms;
}

static int64_t wall_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return (int64_t)t.tv_sec;
}

/* The organization's offset at t (drivers/tz.h; 0 when the zone cannot be read: logged). */
static long zone_off(void *cls, int64_t t)
{
	long off;
	tz_offset((const char *)cls, t, &off);
	return off;
}

int64_t backup_sched_next(const char *schedule, const char *zone, int64_t now)
{
	struct backup_schedule s;
	char msg[160];
	if (backup_schedule_parse(schedule, &s, msg, sizeof msg) < 0)
		return 0;
	if (!zone || !tz_valid(zone))
		zone = "UTC";
	return backup_slot_next(&s, zone_off, (void *)zone, now);
}

struct cand {
	const char *id, *vm_id, *zone, *text;
	struct backup_schedule s;
	int64_t latest, interval;
	int rank;
};

static void schedule_round(void *cls)
{
	(void)cls;
	json_t *rows = backup_sched_envs();
	size_t n = json_array_size(rows);
	struct cand *c = xcalloc(n ? n : 1, sizeof *c);
	int64_t now = wall_s();
	if (!seen)
		seen = json_object();
	/* an environment without a schedule now: its next schedule is a change */
	json_t *listed = json_object();
	for (size_t i = 0; i < n; i++) {
		const char *id = json_string_value(json_object_get(json_array_get(rows, i), "id"));
		if (id)
			json_object_set_new(listed, id, json_true());
	}
	const char *sid;
	json_t *sv;
	json_object_foreach(seen, sid, sv)
		if (!json_object_get(listed, sid))
			json_string_set(sv, "");
	json_decref(listed);
	json_t *zones = json_object(); /* zone: valid, once a round */
	size_t k = 0;
	for (size_t i = 0; i < n && !sched_stopping(); i++) {
		json_t *r = json_array_get(rows, i);
		struct cand *x = &c[k];
		x->id = json_string_value(json_object_get(r, "id"));
		x->vm_id = json_string_value(json_object_get(r, "vm_id"));
		x->zone = json_string_value(json_object_get(r, "timezone"));
		x->text = json_string_value(json_object_get(r, "schedule"));
		char msg[160];
		if (!x->id || !x->vm_id || !x->text ||
		    backup_schedule_parse(x->text, &x->s, msg, sizeof msg) < 0 || x->s.n == 0)
			continue;
		if (!x->zone)
			x->zone = "UTC";
		json_t *zv = json_object_get(zones, x->zone);
		if (!zv) {
			zv = json_boolean(tz_valid(x->zone));
			json_object_set_new(zones, x->zone, zv);
		}
		if (!json_is_true(zv))
			x->zone = "UTC";
		x->latest = backup_slot_latest(&x->s, zone_off, (void *)x->zone, now, &x->interval);
		/* the rank among the environments of the same server due at the same slot: the
		 * rows come by server, then id */
		for (size_t p = k; p > 0 && str_eq(c[p - 1].vm_id, x->vm_id); p--)
			if (c[p - 1].latest == x->latest)
				x->rank++;
		k++;
	}
	for (size_t i = 0; i < k && !sched_stopping(); i++) {
		struct cand *x = &c[i];
		char *key = xasprintf("%s|%s", x->text, x->zone);
		const char *before = json_string_value(json_object_get(seen, x->id));
		bool changed = before && strcmp(before, key) != 0;
		json_object_set_new(seen, x->id, json_string(key)); /* frees before */
		free(key);
		int64_t last = backups_last_slot(x->id);
		if (last == 0 || changed) {
			/* a new schedule starts at its next time */
			if (backups_claim_slot(x->id, x->latest) == 1)
				log_event(LOG_INFO, "backup schedule: starts after this slot",
					  json_pack("{s:s,s:I,s:b}", "environment", x->id, "slot",
						    (json_int_t)x->latest, "changed", changed));
			continue;
		}
		int64_t due = backup_due_slot(&x->s, zone_off, (void *)x->zone, now, last,
					      backup_stagger(x->rank, x->interval));
		if (!due || backups_claim_slot(x->id, due) != 1)
			continue;
		struct berr err = {0};
		if (backup_enqueue_scheduled(x->id, due, &err) < 0)
			log_event(LOG_ERROR, "scheduled backup not queued",
				  json_pack("{s:s,s:I,s:s}", "environment", x->id, "slot",
					    (json_int_t)due, "error", err.message));
		else
			log_event(LOG_INFO, "scheduled backup queued",
				  json_pack("{s:s,s:I,s:I,s:i}", "environment", x->id, "slot",
					    (json_int_t)due, "late_s", (json_int_t)(now - due), "rank",
					    x->rank));
	}
	free(c);
	json_decref(zones);
	json_decref(rows);
}

/* ---- retention ---- */

struct plan {
	json_t *rows;               /* backups_retention_rows */
	struct backup_rrow *r;
	struct backup_drop *drops;
	size_t n, ndrops;
	char *zone;
};

static void plan_free(struct plan *p)
{
	json_decref(p->rows);
	free(p->r);
	free(p->drops);
	free(p->zone);
	memset(p, 0, sizeof *p);
}

/* What retention removes of env_id's backups now. 0, or -1 when the environment is gone. */
static int plan_env(const char *env_id, struct plan *p)
{
	memset(p, 0, sizeof *p);
	struct env_row e;
	if (env_load(env_id, &e) < 0)
		return -1;
	struct backup_retention ret = {
		.keep_daily = (int)settings_get_int(e.settings, "backup_keep_daily"),
		.keep_weekly = (int)settings_get_int(e.settings, "backup_keep_weekly"),
		.keep_monthly = (int)settings_get_int(e.settings, "backup_keep_monthly"),
		.manual_keep_days = (int)settings_get_int(e.settings, "backup_manual_keep_days"),
	};
	p->zone = orgs_timezone(e.org_id);
	env_row_free(&e);
	if (!tz_valid(p->zone)) {
		free(p->zone);
		p->zone = xstrdup("UTC");
	}
	p->rows = backups_retention_rows(env_id);
	p->n = json_array_size(p->rows);
	p->r = xcalloc(p->n + 1, sizeof *p->r);
	p->drops = xcalloc(p->n + 1, sizeof *p->drops);
	int64_t *ts = xcalloc(p->n + 1, sizeof *ts);
	long *offs = xcalloc(p->n + 1, sizeof *offs);
	for (size_t i = 0; i < p->n; i++) {
		json_t *b = json_array_get(p->rows, i);
		p->r[i] = (struct backup_rrow){
			.id = json_string_value(json_object_get(b, "id")),
			.kind = json_string_value(json_object_get(b, "kind")),
			.status = json_string_value(json_object_get(b, "status")),
			.created_ts = json_integer_value(json_object_get(b, "created_ts")),
			.expires_ts = json_integer_value(json_object_get(b, "expires_ts")),
		};
		ts[i] = p->r[i].created_ts;
	}
	tz_offsets(p->zone, ts, p->n, offs); /* one run of date for them all, then cached */
	free(ts);
	free(offs);
	p->ndrops = backup_retention_plan(p->r, p->n, &ret, zone_off, p->zone, wall_s(), p->drops);
	return 0;
}

static char *iso_of(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char buf[32];
	gmtime_r(&tt, &tm);
	strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return xstrdup(buf);
}

int backup_prune_job(struct job *j, struct berr *err)
{
	struct plan p;
	if (plan_env(j->env_id, &p) < 0)
		return berr_set(err, BE_ENVIRONMENT_NOT_FOUND, NULL, "The environment is gone");
	job_log(j, "retention: %zu backups, %zu to delete (time zone %s)", p.n, p.ndrops, p.zone);
	json_t *deleted = json_array();
	size_t failed = 0;
	for (size_t k = 0; k < p.ndrops && !job_cancelled(j); k++) {
		const struct backup_rrow *b = &p.r[p.drops[k].row];
		char *at = iso_of(b->created_ts);
		struct berr e = {0};
		if (backup_remove(b->id, &e) < 0) {
			job_log(j, "backup %s (%s, %s) not deleted: %s", b->id, b->kind, at, e.message);
			failed++;
		} else {
			job_log(j, "deleted backup %s (%s, %s): %s", b->id, b->kind, at,
				p.drops[k].reason);
			json_array_append_new(deleted,
					      json_pack("{s:s,s:s,s:s,s:s}", "id", b->id, "kind",
							b->kind ? b->kind : "", "created_at", at,
							"reason", p.drops[k].reason));
		}
		free(at);
	}
	job_result(j, json_pack("{s:o}", "deleted", deleted));
	plan_free(&p);
	if (failed)
		return berr_set(err, BE_INTERNAL_ERROR, NULL, "%zu backups could not be deleted", failed);
	return 0;
}

static void prune_round(void *cls)
{
	(void)cls;
	json_t *ids = backup_sched_envs_with_backups();
	size_t i;
	json_t *v;
	json_array_foreach(ids, i, v) {
		if (sched_stopping())
			break;
		const char *id = json_string_value(v);
		struct plan p;
		if (plan_env(id, &p) < 0)
			continue;
		size_t nd = p.ndrops;
		plan_free(&p);
		if (nd == 0)
			continue; /* nothing to prune: no job */
		struct env_action a = {.env_id = id, .type = "backup_prune", .params = NULL,
				       .policy = ENV_Q_SAME_ANSWERS, .actor = "schedule"};
		json_t *job = NULL;
		bool created;
		struct berr err = {0};
		if (env_action_enqueue(&a, &job, &created, &err) < 0)
			log_event(LOG_WARN, "backup prune not queued",
				  json_pack("{s:s,s:s}", "environment", id, "error", err.message));
		json_decref(job);
	}
	json_decref(ids);
}

int backup_sched_start(void)
{
	queue_register("backup_prune", backup_prune_job);
	sched_task = sched_every("backup-schedule", interval_ms, schedule_round, NULL);
	prune_task = sched_every("backup-prune", prune_ms, prune_round, NULL);
	return sched_task > 0 && prune_task > 0 ? 0 : -1;
}

void backup_sched_stop(void)
{
	if (sched_task > 0)
		sched_cancel(sched_task);
	if (prune_task > 0)
		sched_cancel(prune_task);
	sched_task = prune_task = 0;
	json_decref(seen);
	seen = NULL;
}
