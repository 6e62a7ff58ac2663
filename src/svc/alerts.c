/* alerts.c: see svc/alerts.h. */
#include "svc/alerts.h"

#include "core/alert_rules.h"
#include "lib/util.h"
#include "ops/alerts.h"
#include "store/alerts.h"
#include "store/model.h"

json_t *svc_alerts_list(const struct access *acc, const char *status, int limit,
			struct berr *err)
{
	if (status && !str_eq(status, "raised") && !str_eq(status, "resolved")) {
		berr_set(err, BE_VALIDATION_ERROR, "status", "status: raised or resolved");
		return NULL;
	}
	return alerts_list(acc->org_id, status, acc->projects, perm_has(acc, "server.view"), limit);
}

json_t *svc_alert_thresholds_get(const char *org_id)
{
	struct alert_thresholds t;
	ops_alerts_thresholds(org_id, &t);
	return json_pack("{s:o,s:o}", "thresholds", alert_thresholds_json(&t), "defaults",
			 alert_thresholds_json(&alert_thresholds_default));
}

json_t *svc_alert_thresholds_set(const struct actor *a, const char *ip, const char *org_id,
				 json_t *body, struct berr *err)
{
	struct alert_thresholds t;
	if (alert_thresholds_parse(body, &alert_thresholds_default, &t, err) < 0)
		return NULL;
	if (alerts_thresholds_set(org_id, json_object_size(body) ? body : NULL) < 0) {
		berr_set(err, BE_INTERNAL_ERROR, NULL, NULL);
		return NULL;
	}
	ops_alerts_thresholds_changed(org_id);
	model_audit(org_id, a ? a->user_id : NULL, a ? a->email : NULL, "alert.thresholds",
		    "organization", org_id, json_deep_copy(body), ip);
	return svc_alert_thresholds_get(org_id);
}
