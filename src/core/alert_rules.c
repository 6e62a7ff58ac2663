/* alert_rules.c: see alert_rules.h. */
#include "core/alert_rules.h"

#include <string.h>

#include "lib/util.h"

const struct alert_thresholds alert_thresholds_default = {
	.cpu_warning_pct = 70, .cpu_critical_pct = 85,
	.memory_warning_pct = 70, .memory_critical_pct = 85,
	.disk_warning_pct = 80, .disk_critical_pct = 90,
	.sustain_s = 300,
	.restarts_max = 3, .restarts_window_s = 600,
	.unreachable_rounds = 2,
};

const char *alert_level_name(enum alert_level l)
{
	return l == ALERT_CRITICAL ? "critical" : l == ALERT_WARNING ? "warning" : "none";
}

/* The fields, their place in the struct, and their ranges. */
static const struct field {
	const char *name;
	size_t off;
	bool is_int;
	double min, max;
} FIELDS[] = {
	{"cpu_warning_pct", offsetof(struct alert_thresholds, cpu_warning_pct), false, 1, 100},
	{"cpu_critical_pct", offsetof(struct alert_thresholds, cpu_critical_pct), false, 1, 100},
	{"memory_warning_pct", offsetof(struct alert_thresholds, memory_warning_pct), false, 1, 100},
	{"memory_critical_pct", offsetof(struct alert_thresholds, memory_critical_pct), false, 1, 100},
	{"disk_warning_pct", offsetof(struct alert_thresholds, disk_warning_pct), false, 1, 100},
	{"disk_critical_pct", offsetof(struct alert_thresholds, disk_critical_pct), false, 1, 100},
	{"sustain_s", offsetof(struct alert_thresholds, sustain_s), true, 0, 86400},
	{"restarts_max", offsetof(struct alert_thresholds, restarts_max), true, 1, 1000},
	{"restarts_window_s", offsetof(struct alert_thresholds, restarts_window_s), true, 60, 86400},
	{"unreachable_rounds", offsetof(struct alert_thresholds, unreachable_rounds), true, 1, 100},
};

json_t *alert_thresholds_json(const struct alert_thresholds *t)
{
	json_t *o = json_object();
	for (size_t i = 0; i < ARRAY_SIZE(FIELDS); i++) {
		const char *p = (const char *)t + FIELDS[i].off;
		json_object_set_new(o, FIELDS[i].name,
				    FIELDS[i].is_int ? json_integer(*(const int *)(const void *)p)
						     : json_real(*(const double *)(const void *)p));
	}
	return o;
}

int alert_thresholds_parse(json_t *j, const struct alert_thresholds *base,
			   struct alert_thresholds *out, struct berr *err)
{
	*out = *base;
	if (!json_is_object(j))
		return berr_set(err, BE_VALIDATION_ERROR, NULL, "the body must be a JSON object");
	const char *k;
	json_t *v;
	json_object_foreach(j, k, v) {
		const struct field *f = NULL;
		for (size_t i = 0; i < ARRAY_SIZE(FIELDS) && !f; i++)
			if (str_eq(FIELDS[i].name, k))
				f = &FIELDS[i];
		if (!f)
			return berr_set(err, BE_VALIDATION_ERROR, k, "%s: unknown field", k);
		if (f->is_int ? !json_is_integer(v) : !json_is_number(v))
			return berr_set(err, BE_VALIDATION_ERROR, k, "%s: must be %s", k,
					f->is_int ? "an integer" : "a number");
		double d = json_number_value(v);
		if (d < f->min || d > f->max)
			return berr_set(err, BE_VALIDATION_ERROR, k, "%s: must be from %g to %g", k,
					f->min, f->max);
		char *p = (char *)out + f->off;
		if (f->is_int)
			*(int *)(void *)p = (int)json_integer_value(v);
		else
			*(double *)(void *)p = d;
	}
	if (out->cpu_warning_pct > out->cpu_critical_pct)
		return berr_set(err, BE_VALIDATION_ERROR, "cpu_warning_pct",
				"cpu_warning_pct: must not be above cpu_critical_pct");
	if (out->memory_warning_pct > out->memory_critical_pct)
		return berr_set(err, BE_VALIDATION_ERROR, "memory_warning_pct",
				"memory_warning_pct: must not be above memory_critical_pct");
	if (out->disk_warning_pct > out->disk_critical_pct)
		return berr_set(err, BE_VALIDATION_ERROR, "disk_warning_pct",
				"disk_warning_pct: must not be above disk_critical_pct");
	return 0;
}

enum alert_level alert_step_level(struct alert_track *t, int64_t now, double value, double warn,
				  double crit, int sustain_s)
{
	if (value >= crit) {
		if (!t->crit_since)
			t->crit_since = now;
	} else {
		t->crit_since = 0;
	}
	if (value >= warn) {
		if (!t->warn_since)
			t->warn_since = now;
	} else {
		t->warn_since = 0;
	}
	enum alert_level want = ALERT_NONE;
	if (t->crit_since && now - t->crit_since >= sustain_s)
		want = ALERT_CRITICAL;
	else if (t->warn_since && now - t->warn_since >= sustain_s)
		want = ALERT_WARNING;
	/* an open alert stays open while the value is at or above its warning level */
	if (want == ALERT_NONE && t->level != ALERT_NONE && value >= warn)
		want = ALERT_WARNING;
	if (want == ALERT_WARNING && t->level == ALERT_CRITICAL && value >= crit)
		want = ALERT_CRITICAL;
	return want;
}

enum alert_level alert_step_restarts(struct alert_track *t, int64_t now, int64_t count, int max,
				     int window_s)
{
	/* drop what fell out of the window, keep the ring bounded */
	int k = 0;
	for (int i = 0; i < t->nseen; i++)
		if (now - t->seen_ts[i] <= window_s) {
			t->seen_ts[k] = t->seen_ts[i];
			t->seen_count[k] = t->seen_count[i];
			k++;
		}
	t->nseen = k;
	if (t->nseen == (int)ARRAY_SIZE(t->seen_ts)) {
		memmove(t->seen_ts, t->seen_ts + 1, sizeof t->seen_ts[0] * (size_t)(t->nseen - 1));
		memmove(t->seen_count, t->seen_count + 1,
			sizeof t->seen_count[0] * (size_t)(t->nseen - 1));
		t->nseen--;
	}
	t->seen_ts[t->nseen] = now;
	t->seen_count[t->nseen] = count;
	t->nseen++;
	/* a count lower than an earlier one: the container was recreated; count from there */
	int64_t low = count;
	for (int i = t->nseen - 1; i >= 0; i--) {
		if (t->seen_count[i] > count)
			break;
		if (t->seen_count[i] < low)
			low = t->seen_count[i];
	}
	return count - low > max ? ALERT_CRITICAL : ALERT_NONE;
}

enum alert_level alert_step_reachable(struct alert_track *t, bool answered, int rounds)
{
	t->misses = answered ? 0 : t->misses + 1;
	return t->misses >= rounds ? ALERT_CRITICAL : ALERT_NONE;
}
