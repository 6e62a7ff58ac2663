/* alerts.c: an organization's alerts and alert thresholds. */
#include <stdlib.h>

#include "api/auth.h"
#include "api/http.h"
#include "svc/alerts.h"

static int h_alerts(struct req *r)
{
	struct access acc;
	if (access_org(&r->actor, r->params[0], &acc, &r->err) < 0)
		return reply_berr(r);
	const char *ls = req_query(r, "limit");
	char *end = NULL;
	long limit = ls ? strtol(ls, &end, 10) : 100;
	if (ls && (!*ls || *end || limit < 1 || limit > 1000)) {
		access_release(&acc);
		return reply_error(r, BE_VALIDATION_ERROR, "limit", "limit: a number from 1 to 1000");
	}
	json_t *l = svc_alerts_list(&acc, req_query(r, "status"), (int)limit, &r->err);
	access_release(&acc);
	return l ? reply_json(r, 200, l) : reply_berr(r);
}

static int h_thresholds_get(struct req *r)
{
	struct access acc;
	if (access_org(&r->actor, r->params[0], &acc, &r->err) < 0)
		return reply_berr(r);
	json_t *t = svc_alert_thresholds_get(acc.org_id);
	access_release(&acc);
	return reply_json(r, 200, t);
}

static int h_thresholds_put(struct req *r)
{
	struct access acc;
	if (access_org(&r->actor, r->params[0], &acc, &r->err) < 0)
		return reply_berr(r);
	if (perm_require(&acc, "org.update", &r->err) < 0) {
		access_release(&acc);
		return reply_berr(r);
	}
	json_t *t = svc_alert_thresholds_set(&r->actor, r->ip, acc.org_id, req_body(r), &r->err);
	access_release(&acc);
	return t ? reply_json(r, 200, t) : reply_berr(r);
}

const struct route alert_routes[] = {
	{"GET", "/api/v1/orgs/{}/alerts", h_alerts, 0},
	{"GET", "/api/v1/orgs/{}/alert-thresholds", h_thresholds_get, 0},
	{"PUT", "/api/v1/orgs/{}/alert-thresholds", h_thresholds_put, 0},
	{NULL, NULL, NULL, 0},
};
