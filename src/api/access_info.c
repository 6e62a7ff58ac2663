/* access_info.c: the Access tab's routes (svc/access_info.h): GET
 * /environments/{id}/access[?reveal=], POST /environments/{id}/ide/password, and the
 * platform's IDE image (GET/PUT /admin/ide, platform administrator). */
#include "api/http.h"
#include "lib/jspec.h"
#include "svc/access_info.h"

static int h_access(struct req *r)
{
	json_t *o = svc_access_info(&r->actor, r->ip, r->params[0], req_query(r, "reveal"), &r->err);
	return o ? reply_json(r, 200, o) : reply_berr(r);
}

static int h_ide_password(struct req *r)
{
	json_t *job = svc_ide_password_rotate(&r->actor, r->ip, r->params[0], &r->err);
	return job ? reply_json(r, 202, json_pack("{s:o}", "job", job)) : reply_berr(r);
}

static int h_ide_get(struct req *r)
{
	if (!r->actor.is_admin)
		return reply_error(r, BE_PERMISSION_DENIED, NULL,
				   "Only the platform administrator reads platform settings");
	return reply_json(r, 200, svc_ide_settings());
}

static int h_ide_put(struct req *r)
{
	if (!r->actor.is_admin)
		return reply_error(r, BE_PERMISSION_DENIED, NULL,
				   "Only the platform administrator changes platform settings");
	json_t *o = svc_ide_settings_set(req_body(r), &r->err);
	return o ? reply_json(r, 200, o) : reply_berr(r);
}

const struct route access_routes[] = {
	{"GET", "/api/v1/environments/{}/access", h_access, 0},
	{"POST", "/api/v1/environments/{}/ide/password", h_ide_password, 0},
	{"GET", "/api/v1/admin/ide", h_ide_get, 0},
	{"PUT", "/api/v1/admin/ide", h_ide_put, 0},
	{NULL, NULL, NULL, 0},
};
