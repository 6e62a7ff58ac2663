/* connect.c: Connect As User's routes (docs/connect.md): the environment's Odoo sessions and
 * the one-time sign-in URL. Both exec in the Odoo container: slow routes (api/server.c). */
#include "api/http.h"

#include "svc/connect.h"

static int h_sessions(struct req *r)
{
	json_t *out = svc_connect_sessions(&r->actor, r->params[0], req_query(r, "q"), &r->err);
	return out ? reply_json(r, 200, out) : reply_berr(r);
}

static int h_connect(struct req *r)
{
	json_t *out = svc_connect(&r->actor, r->ip, r->params[0], req_body(r), &r->err);
	return out ? reply_json(r, 200, out) : reply_berr(r);
}

const struct route connect_routes[] = {
	{"GET", "/api/v1/environments/{}/sessions", h_sessions, 0},
	{"POST", "/api/v1/environments/{}/connect", h_connect, 0},
	{NULL, NULL, NULL, 0},
};
