/* alerts.h: raised and resolved alerts, and each organization's alert thresholds. At most one
 * open (raised) alert per target, container and kind. */
#ifndef BERTH_STORE_ALERTS_H
#define BERTH_STORE_ALERTS_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct alert_row {
	const char *id, *org_id, *project_id, *target_type, *target_id, *target_name, *container,
		*kind, *severity, *message;
	double value, threshold;
};

/* A new open alert. 0, -2 one is already open for that target/container/kind, -1 error. */
int alerts_raise(const struct alert_row *a);
/* An open alert's new severity, value, threshold and message. 0 or -1. */
int alerts_update(const char *id, const char *severity, double value, double threshold,
		  const char *message);
/* Resolves an open alert (value: the last one seen). 0 or -1. */
int alerts_resolve(const char *id, double value);
/* Every open alert: {id, org_id, project_id, target_type, target_id, target_name,
 * container, kind, severity} (to carry them over a restart). */
json_t *alerts_open(void);
json_t *alerts_get(const char *id);
/* An organization's alerts, newest first: status NULL (all), "raised" or "resolved";
 * projects NULL (all) or an array of project ids (alerts of other projects are left out;
 * alerts without a project, the servers', are kept when with_servers). */
json_t *alerts_list(const char *org_id, const char *status, json_t *projects, bool with_servers,
		    int limit);
/* Removes resolved alerts resolved before `before` (unix seconds). */
int64_t alerts_purge(int64_t before);

/* The organization's thresholds as stored (NULL: the defaults), and a new value (NULL: back
 * to the defaults). */
json_t *alerts_thresholds_get(const char *org_id);
int alerts_thresholds_set(const char *org_id, json_t *thresholds);
#endif
