/* alerts.h: reading alerts (filtered by what the caller may see) and an organization's
 * alert thresholds. */
#ifndef BERTH_SVC_ALERTS_H
#define BERTH_SVC_ALERTS_H
#include <jansson.h>
#include "lib/errors.h"
#include "store/access.h"

/* status NULL, "raised" or "resolved" (else VALIDATION_ERROR on "status"). A member limited
 * to some projects sees their alerts; server alerts need server.view. */
json_t *svc_alerts_list(const struct access *acc, const char *status, int limit,
			struct berr *err);
/* The thresholds in force: {"thresholds": {...}, "defaults": {...}}. */
json_t *svc_alert_thresholds_get(const char *org_id);
/* Replaces the organization's thresholds: the fields given, the defaults for the others
 * ({} resets). Audited as alert.thresholds. */
json_t *svc_alert_thresholds_set(const struct actor *a, const char *ip, const char *org_id,
				 json_t *body, struct berr *err);
#endif
