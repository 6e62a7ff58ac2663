/* alert_rules.h: when a sample makes an alert (pure: no store, no clock, no I/O).
 *
 * Thresholds (per organization, defaults after OEC.SH): CPU or memory at or above 85 % of
 * the container's limit for 5 minutes is critical, at or above 70 % a warning; a server's
 * disk at or above 90 % critical, 80 % a warning; a container that should run and does not,
 * or restarted more than 3 times in 10 minutes, critical; a server that did not answer 2
 * sampling rounds in a row, critical. An alert resolves when its value falls back under the
 * warning threshold (the condition ends). */
#ifndef BERTH_ALERT_RULES_H
#define BERTH_ALERT_RULES_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include "lib/errors.h"

struct alert_thresholds {
	double cpu_warning_pct, cpu_critical_pct;
	double memory_warning_pct, memory_critical_pct;
	double disk_warning_pct, disk_critical_pct;
	int sustain_s;            /* how long a level must last before it is raised */
	int restarts_max;         /* more restarts than this ... */
	int restarts_window_s;    /* ... within this window */
	int unreachable_rounds;   /* rounds a server did not answer */
};
extern const struct alert_thresholds alert_thresholds_default;

/* The thresholds as JSON (the API's object) and back: fields given in j override base;
 * an unknown field, a wrong type, a value out of range or a warning above its critical
 * level is VALIDATION_ERROR naming the field. */
json_t *alert_thresholds_json(const struct alert_thresholds *t);
int alert_thresholds_parse(json_t *j, const struct alert_thresholds *base,
			   struct alert_thresholds *out, struct berr *err);

enum alert_level { ALERT_NONE = 0, ALERT_WARNING = 1, ALERT_CRITICAL = 2 };
const char *alert_level_name(enum alert_level l);

/* One watched value (a metric of a container or a server): its state between samples. */
struct alert_track {
	enum alert_level level;    /* raised at this level (NONE: no open alert) */
	int64_t warn_since, crit_since; /* first sample of the current run at/above (0: none) */
	/* restarts: the counts seen within the window (ring), and unreachable rounds */
	int64_t seen_ts[16];
	int64_t seen_count[16];
	int nseen;
	int misses;
};

/* A level metric (CPU, memory, disk: value in %): the level the track should be at after a
 * sample at now, given warn/crit thresholds and sustain_s. Hysteresis: an open alert stays
 * (at least a warning) while the value is at or above the warning threshold. */
enum alert_level alert_step_level(struct alert_track *t, int64_t now, double value, double warn,
				  double crit, int sustain_s);
/* A container's restart count (cumulative, as the Engine reports it) at now: CRITICAL while
 * it grew by more than max within window_s. */
enum alert_level alert_step_restarts(struct alert_track *t, int64_t now, int64_t count, int max,
				     int window_s);
/* A server's answer this round: CRITICAL from the rounds-th miss in a row until it answers. */
enum alert_level alert_step_reachable(struct alert_track *t, bool answered, int rounds);
#endif
