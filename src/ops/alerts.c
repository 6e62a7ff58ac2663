/* alerts.c: see ops/alerts.h. */
#include "ops/alerts.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alert_rules.h"
#include "lib/log.h"
#include "lib/util.h"
#include "jobs/events.h"
#include "store/alerts.h"

#define NBUCKETS 512
#define THRESHOLDS_TTL_S 60

/* One watched value: a metric of a container of an environment, or of a server. */
struct watch {
	struct watch *next;
	char *key; /* target_id "/" container "/" kind */
	char *org_id, *project_id, *target_type, *target_id, *target_name, *container, *kind;
	struct alert_track track;
	char open_id[37]; /* the open alert, "" when none */
	int64_t last_seen;
	double last_value;
};

struct org_thr {
	struct org_thr *next;
	char org_id[37];
	struct alert_thresholds t;
	int64_t loaded_at;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct watch *buckets[NBUCKETS];
static struct org_thr *thresholds;

static unsigned hash(const char *s)
{
	unsigned h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h % NBUCKETS;
}

static char *dup0(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static struct watch *watch_get(const char *org_id, const char *project_id, const char *ttype,
			       const char *tid, const char *tname, const char *container,
			       const char *kind)
{
	char *key = xasprintf("%s/%s/%s", tid, container ? container : "", kind);
	unsigned b = hash(key);
	for (struct watch *w = buckets[b]; w; w = w->next)
		if (str_eq(w->key, key)) {
			free(key);
			if (tname && !str_eq(w->target_name, tname)) {
				free(w->target_name);
				w->target_name = xstrdup(tname);
			}
			return w;
		}
	struct watch *w = xcalloc(1, sizeof *w);
	w->key = key;
	w->org_id = dup0(org_id);
	w->project_id = dup0(project_id);
	w->target_type = dup0(ttype);
	w->target_id = dup0(tid);
	w->target_name = dup0(tname);
	w->container = dup0(container && *container ? container : NULL);
	w->kind = dup0(kind);
	w->next = buckets[b];
	buckets[b] = w;
	return w;
}

static void watch_free(struct watch *w)
{
	free(w->key);
	free(w->org_id);
	free(w->project_id);
	free(w->target_type);
	free(w->target_id);
	free(w->target_name);
	free(w->container);
	free(w->kind);
	free(w);
}

/* Under lock. */
static const struct alert_thresholds *thresholds_of(const char *org_id, int64_t now)
{
	struct org_thr *o = thresholds;
	while (o && !str_eq(o->org_id, org_id))
		o = o->next;
	if (!o) {
		o = xcalloc(1, sizeof *o);
		snprintf(o->org_id, sizeof o->org_id, "%s", org_id);
		o->next = thresholds;
		thresholds = o;
	}
	if (!o->loaded_at || now - o->loaded_at >= THRESHOLDS_TTL_S) {
		json_t *j = alerts_thresholds_get(org_id);
		struct berr err = {0};
		if (!j || alert_thresholds_parse(j, &alert_thresholds_default, &o->t, &err) < 0)
			o->t = alert_thresholds_default;
		json_decref(j);
		o->loaded_at = now;
	}
	return &o->t;
}

void ops_alerts_thresholds(const char *org_id, struct alert_thresholds *out)
{
	pthread_mutex_lock(&lock);
	struct org_thr *o = thresholds;
	while (o && !str_eq(o->org_id, org_id))
		o = o->next;
	if (o)
		o->loaded_at = 0;
	*out = *thresholds_of(org_id, 1);
	pthread_mutex_unlock(&lock);
}

void ops_alerts_thresholds_changed(const char *org_id)
{
	pthread_mutex_lock(&lock);
	for (struct org_thr *o = thresholds; o; o = o->next)
		if (str_eq(o->org_id, org_id))
			o->loaded_at = 0;
	pthread_mutex_unlock(&lock);
}

static void publish(const char *type, const char *alert_id)
{
	json_t *a = alerts_get(alert_id);
	if (!a)
		return;
	/* on the organization event stream (the console, and outgoing webhooks that follow it) */
	const char *org = json_string_value(json_object_get(a, "org_id"));
	char *org_id = xstrdup(org ? org : "");
	char *project = dup0(json_string_value(json_object_get(a, "project_id")));
	events_publish(org_id, project, type, a);
	free(org_id);
	free(project);
}

/* Under lock: moves w to level (with the value and threshold that decided, and a message). */
static void apply(struct watch *w, enum alert_level level, double value, double threshold,
		  const char *message)
{
	enum alert_level was = w->track.level;
	w->last_value = value;
	if (level == was) {
		return;
	}
	if (was == ALERT_NONE) {
		char id[37];
		uuid4(id);
		struct alert_row r = {id, w->org_id, w->project_id, w->target_type, w->target_id,
				      w->target_name, w->container, w->kind, alert_level_name(level),
				      message, value, threshold};
		int rc = alerts_raise(&r);
		if (rc < 0) {
			log_event(LOG_ERROR, "alerts: cannot record an alert",
				  json_pack("{s:s,s:s}", "target", w->target_id, "kind", w->kind));
			return;
		}
		if (rc == -2) /* open already (a restart in between): take it over */
			return;
		snprintf(w->open_id, sizeof w->open_id, "%s", id);
		w->track.level = level;
		log_event(level == ALERT_CRITICAL ? LOG_WARN : LOG_INFO, "alert raised",
			  json_pack("{s:s,s:s,s:s}", "alert", id, "kind", w->kind, "message", message));
		publish("alert.raised", id);
		return;
	}
	if (level == ALERT_NONE) {
		alerts_resolve(w->open_id, value);
		log_event(LOG_INFO, "alert resolved",
			  json_pack("{s:s,s:s}", "alert", w->open_id, "kind", w->kind));
		publish("alert.resolved", w->open_id);
		w->open_id[0] = '\0';
		w->track.level = ALERT_NONE;
		return;
	}
	alerts_update(w->open_id, alert_level_name(level), value, threshold, message);
	w->track.level = level;
	if (level > was) /* escalated: raised again, as critical */
		publish("alert.raised", w->open_id);
}

static const char *what_of(const char *kind)
{
	return str_eq(kind, "cpu") ? "CPU" : str_eq(kind, "memory") ? "Memory" : "Disk";
}

/* Under lock: a level metric of a target. */
static void level_sample(struct watch *w, int64_t now, double v, double warn, double crit,
			 int sustain_s)
{
	w->last_seen = now;
	if (v < 0)
		return;
	enum alert_level l = alert_step_level(&w->track, now, v, warn, crit, sustain_s);
	char msg[300];
	snprintf(msg, sizeof msg, "%s of %s%s%s at %.0f%% (%s at %.0f%%%s)", what_of(w->kind),
		 w->container ? w->container : "", w->container ? " in " : "",
		 w->target_name ? w->target_name : w->target_id, v, alert_level_name(l),
		 l == ALERT_CRITICAL ? crit : warn,
		 sustain_s ? " sustained" : "");
	apply(w, l, v, l == ALERT_CRITICAL ? crit : warn, msg);
}

void ops_alerts_env(int64_t now, const struct alert_env_sample *s)
{
	if (!s || !s->org_id || !s->env_id || !s->container)
		return;
	pthread_mutex_lock(&lock);
	const struct alert_thresholds *t = thresholds_of(s->org_id, now);
	const char *name = s->env_name;
	struct watch *w;
	w = watch_get(s->org_id, s->project_id, "environment", s->env_id, name, s->container, "down");
	w->last_seen = now;
	if (s->expected_running) {
		char msg[300];
		snprintf(msg, sizeof msg, "%s of %s is not running", s->container, name ? name : s->env_id);
		apply(w, s->running ? ALERT_NONE : ALERT_CRITICAL, s->running ? 1 : 0, 1, msg);
	} else if (w->track.level) {
		apply(w, ALERT_NONE, 0, 1, "");
	}
	if (s->running) {
		w = watch_get(s->org_id, s->project_id, "environment", s->env_id, name, s->container, "cpu");
		level_sample(w, now, s->cpu_pct, t->cpu_warning_pct, t->cpu_critical_pct, t->sustain_s);
		w = watch_get(s->org_id, s->project_id, "environment", s->env_id, name, s->container,
			      "memory");
		level_sample(w, now, s->mem_pct, t->memory_warning_pct, t->memory_critical_pct,
			     t->sustain_s);
	}
	if (s->restarts >= 0) {
		w = watch_get(s->org_id, s->project_id, "environment", s->env_id, name, s->container,
			      "restarts");
		w->last_seen = now;
		enum alert_level l = alert_step_restarts(&w->track, now, s->restarts, t->restarts_max,
							 t->restarts_window_s);
		char msg[300];
		snprintf(msg, sizeof msg, "%s of %s restarted more than %d times in %d minutes",
			 s->container, name ? name : s->env_id, t->restarts_max,
			 t->restarts_window_s / 60);
		apply(w, l, (double)s->restarts, t->restarts_max, msg);
	}
	pthread_mutex_unlock(&lock);
}

void ops_alerts_server(int64_t now, const struct alert_server_sample *s)
{
	if (!s || !s->org_id || !s->server_id)
		return;
	pthread_mutex_lock(&lock);
	const struct alert_thresholds *t = thresholds_of(s->org_id, now);
	const char *name = s->server_name;
	struct watch *w = watch_get(s->org_id, NULL, "server", s->server_id, name, NULL, "unreachable");
	w->last_seen = now;
	enum alert_level l = alert_step_reachable(&w->track, s->answered, t->unreachable_rounds);
	char msg[300];
	snprintf(msg, sizeof msg, "server %s did not answer %d sampling rounds in a row",
		 name ? name : s->server_id, w->track.misses);
	apply(w, l, (double)w->track.misses, t->unreachable_rounds, msg);
	if (s->answered) {
		w = watch_get(s->org_id, NULL, "server", s->server_id, name, NULL, "cpu");
		level_sample(w, now, s->cpu_pct, t->cpu_warning_pct, t->cpu_critical_pct, t->sustain_s);
		w = watch_get(s->org_id, NULL, "server", s->server_id, name, NULL, "memory");
		level_sample(w, now, s->mem_pct, t->memory_warning_pct, t->memory_critical_pct,
			     t->sustain_s);
		w = watch_get(s->org_id, NULL, "server", s->server_id, name, NULL, "disk");
		level_sample(w, now, s->disk_pct, t->disk_warning_pct, t->disk_critical_pct,
			     t->sustain_s);
	}
	pthread_mutex_unlock(&lock);
}

void ops_alerts_sweep(int64_t now, int64_t stale_s)
{
	pthread_mutex_lock(&lock);
	for (unsigned b = 0; b < NBUCKETS; b++) {
		struct watch **pp = &buckets[b];
		while (*pp) {
			struct watch *w = *pp;
			if (now - w->last_seen > stale_s) {
				if (w->track.level != ALERT_NONE)
					apply(w, ALERT_NONE, w->last_value, 0, "");
				*pp = w->next;
				watch_free(w);
			} else {
				pp = &w->next;
			}
		}
	}
	pthread_mutex_unlock(&lock);
	static int64_t last_purge;
	if (now - last_purge > 3600) {
		alerts_purge(now - 30 * 86400);
		last_purge = now;
	}
}

void ops_alert_backup(const char *org_id, const char *project_id, const char *env_id,
		      const char *env_name, bool failed, const char *message)
{
	json_t *open = alerts_open();
	const char *open_id = NULL;
	size_t i;
	json_t *a;
	json_array_foreach(open, i, a)
		if (str_eq(json_string_value(json_object_get(a, "target_id")), env_id) &&
		    str_eq(json_string_value(json_object_get(a, "kind")), "backup_verify"))
			open_id = json_string_value(json_object_get(a, "id"));
	if (failed && open_id) {
		alerts_update(open_id, "critical", 1, 0, message);
	} else if (failed) {
		char id[37];
		uuid4(id);
		struct alert_row r = {id, org_id, project_id, "environment", env_id, env_name, "",
				      "backup_verify", "critical", message, 1, 0};
		if (alerts_raise(&r) == 0) {
			log_event(LOG_WARN, "alert raised",
				  json_pack("{s:s,s:s,s:s}", "alert", id, "kind", "backup_verify",
					    "message", message));
			publish("alert.raised", id);
		}
	} else if (open_id) {
		alerts_resolve(open_id, 0);
		publish("alert.resolved", open_id);
	}
	json_decref(open);
}

void ops_alerts_start(void)
{
	json_t *open = alerts_open();
	int64_t now = (int64_t)time(NULL);
	pthread_mutex_lock(&lock);
	size_t i;
	json_t *a;
	json_array_foreach(open, i, a) {
#define S(k) json_string_value(json_object_get(a, k))
		if (str_eq(S("kind"), "backup_verify"))
			continue; /* not a sample's: ends with the next test restore that passes */
		struct watch *w = watch_get(S("org_id"), S("project_id"), S("target_type"),
					    S("target_id"), S("target_name"), S("container"), S("kind"));
		w->track.level = str_eq(S("severity"), "critical") ? ALERT_CRITICAL : ALERT_WARNING;
		snprintf(w->open_id, sizeof w->open_id, "%s", S("id"));
		w->last_seen = now; /* the sweep resolves it when its target is not sampled again */
#undef S
	}
	pthread_mutex_unlock(&lock);
	json_decref(open);
}

void ops_alerts_stop(void)
{
	pthread_mutex_lock(&lock);
	for (unsigned b = 0; b < NBUCKETS; b++) {
		while (buckets[b]) {
			struct watch *w = buckets[b];
			buckets[b] = w->next;
			watch_free(w);
		}
	}
	while (thresholds) {
		struct org_thr *o = thresholds;
		thresholds = o->next;
		free(o);
	}
	pthread_mutex_unlock(&lock);
}
