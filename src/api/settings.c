/* settings.c: an environment's settings, one sub-tab at a time (docs/settings.md):
 * GET/PUT /api/v1/environments/{id}/settings/{tab}[?apply=now]. */
#include "api/http.h"
#include "svc/settings.h"

static int h_settings_get(struct req *r)
{
	struct access acc;
	json_t *e = access_env(&r->actor, r->params[0], &acc, &r->err);
	if (!e)
		return reply_berr(r);
	json_decref(e);
	access_release(&acc);
	json_t *o = svc_settings_get(r->params[0], r->params[1], &r->err);
	return o ? reply_json(r, 200, o) : reply_berr(r);
}

static int h_settings_put(struct req *r)
{
	struct access acc;
	json_t *e = access_env(&r->actor, r->params[0], &acc, &r->err);
	if (!e)
		return reply_berr(r);
	json_decref(e);
	const char *apply = req_query(r, "apply");
	json_t *o = NULL;
	if (apply && !str_eq(apply, "now"))
		berr_set(&r->err, BE_VALIDATION_ERROR, "apply", "apply: only apply=now is known");
	else
		o = svc_settings_put(&r->actor, r->ip, &acc, r->params[0], r->params[1], req_body(r),
				     apply != NULL, &r->err);
	access_release(&acc);
	return o ? reply_json(r, 200, o) : reply_berr(r);
}

const struct route settings_routes[] = {
	{"GET", "/api/v1/environments/{}/settings/{}", h_settings_get, 0},
	{"PUT", "/api/v1/environments/{}/settings/{}", h_settings_put, 0},
	{NULL, NULL, NULL, 0},
};
