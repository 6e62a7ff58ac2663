/* webhooks.c: an organization's outgoing webhooks (org.update), their deliveries, a ping. */
#include <stdlib.h>
#include <string.h>

#include "api/auth.h"
#include "api/http.h"
#include "lib/jspec.h"
#include "store/webhooks.h"
#include "svc/webhooks.h"

static int guard(struct req *r, struct access *acc)
{
	if (access_org(&r->actor, r->params[0], acc, &r->err) < 0)
		return -1;
	if (perm_require(acc, "org.update", &r->err) < 0) {
		access_release(acc);
		return -1;
	}
	return 0;
}

static int parse(struct req *r, struct webhook_in *in, bool create)
{
	memset(in, 0, sizeof *in);
	struct jfield spec[] = {
		{.name = "url", .type = J_STRING, .required = create, .dest = &in->url, .maxlen = 2048},
		{.name = "events", .type = J_ARRAY, .required = create, .dest = &in->events},
		{.name = "secret", .type = J_STRING, .dest = &in->secret, .maxlen = 256},
		{.name = "active", .type = J_BOOL, .dest = &in->active, .present = &in->has_active},
		JF_END,
	};
	return jspec_parse(req_body(r), spec, NULL, &r->err);
}

static int h_list(struct req *r)
{
	struct access acc;
	if (guard(r, &acc) < 0)
		return reply_berr(r);
	json_t *l = webhooks_list(acc.org_id);
	access_release(&acc);
	return reply_json(r, 200, l);
}

static int h_create(struct req *r)
{
	struct access acc;
	struct webhook_in in;
	if (guard(r, &acc) < 0)
		return reply_berr(r);
	json_t *w = parse(r, &in, true) < 0
		? NULL
		: svc_webhook_create(&r->actor, r->ip, acc.org_id, &in, &r->err);
	access_release(&acc);
	return w ? reply_json(r, 201, w) : reply_berr(r);
}

static int h_get(struct req *r)
{
	struct access acc;
	if (guard(r, &acc) < 0)
		return reply_berr(r);
	json_t *w = webhooks_get(acc.org_id, r->params[1]);
	access_release(&acc);
	return w ? reply_json(r, 200, w) : reply_error(r, BE_WEBHOOK_NOT_FOUND, NULL, NULL);
}

static int h_update(struct req *r)
{
	struct access acc;
	struct webhook_in in;
	if (guard(r, &acc) < 0)
		return reply_berr(r);
	json_t *w = parse(r, &in, false) < 0
		? NULL
		: svc_webhook_update(&r->actor, r->ip, acc.org_id, r->params[1], &in, &r->err);
	access_release(&acc);
	return w ? reply_json(r, 200, w) : reply_berr(r);
}

static int h_delete(struct req *r)
{
	struct access acc;
	if (guard(r, &acc) < 0)
		return reply_berr(r);
	int rc = svc_webhook_delete(&r->actor, r->ip, acc.org_id, r->params[1], &r->err);
	access_release(&acc);
	return rc < 0 ? reply_berr(r) : reply_no_content(r);
}

static int h_ping(struct req *r)
{
	struct access acc;
	if (guard(r, &acc) < 0)
		return reply_berr(r);
	json_t *p = svc_webhook_ping(&r->actor, r->ip, acc.org_id, r->params[1], &r->err);
	access_release(&acc);
	return p ? reply_json(r, 202, p) : reply_berr(r);
}

static int h_deliveries(struct req *r)
{
	struct access acc;
	if (guard(r, &acc) < 0)
		return reply_berr(r);
	const char *ls = req_query(r, "limit");
	char *end = NULL;
	long limit = ls ? strtol(ls, &end, 10) : 50;
	if (ls && (!*ls || *end || limit < 1 || limit > 200)) {
		access_release(&acc);
		return reply_error(r, BE_VALIDATION_ERROR, "limit", "limit: a number from 1 to 200");
	}
	json_t *d = svc_webhook_deliveries(acc.org_id, r->params[1], (int)limit, &r->err);
	access_release(&acc);
	return d ? reply_json(r, 200, d) : reply_berr(r);
}

const struct route webhook_routes[] = {
	{"GET", "/api/v1/orgs/{}/webhooks", h_list, 0},
	{"POST", "/api/v1/orgs/{}/webhooks", h_create, 0},
	{"GET", "/api/v1/orgs/{}/webhooks/{}", h_get, 0},
	{"PATCH", "/api/v1/orgs/{}/webhooks/{}", h_update, 0},
	{"DELETE", "/api/v1/orgs/{}/webhooks/{}", h_delete, 0},
	{"POST", "/api/v1/orgs/{}/webhooks/{}/ping", h_ping, 0},
	{"GET", "/api/v1/orgs/{}/webhooks/{}/deliveries", h_deliveries, 0},
	{NULL, NULL, NULL, 0},
};
