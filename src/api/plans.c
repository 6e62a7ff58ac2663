/* plans.c: plans (quotas and feature gates), edited by the platform administrator. */
#include <string.h>

#include "api/auth.h"
#include "api/http.h"
#include "lib/jspec.h"
#include "store/model.h"
#include "store/plans.h"
#include "svc/plans.h"

static int admin_only(struct req *r)
{
	if (!r->actor.is_admin)
		return reply_error(r, BE_PERMISSION_DENIED, NULL,
				   "Only the platform administrator manages plans");
	return 0;
}

/* Parses a plan body; all fields required when creating. */
static int plan_parse(struct req *r, struct plan_patch *p, bool create)
{
	memset(p, 0, sizeof *p);
	struct jfield spec[2 + PLAN_NLIMITS + PLAN_NGATES + 2];
	memset(spec, 0, sizeof spec);
	size_t n = 0;
	spec[n++] = (struct jfield){.name = "name", .type = J_STRING, .required = create,
				    .dest = &p->name, .maxlen = 60};
	spec[n++] = (struct jfield){.name = "cpu_cores", .type = J_NUMBER, .required = create,
				    .dest = &p->cpu, .present = &p->has_cpu, .dmin = 0, .dmax = 100000};
	for (size_t i = 0; i < PLAN_NLIMITS; i++)
		spec[n++] = (struct jfield){.name = plan_limits[i], .type = J_INT, .required = create,
					    .dest = &p->lim[i], .present = &p->has_lim[i], .imin = 0,
					    .imax = 100000000};
	for (size_t i = 0; i < PLAN_NGATES; i++)
		spec[n++] = (struct jfield){.name = plan_gates[i], .type = J_BOOL, .dest = &p->gate[i],
					    .present = &p->has_gate[i]};
	spec[n++] = (struct jfield){.name = "is_default", .type = J_BOOL, .dest = &p->is_default,
				    .present = &p->has_default};
	spec[n] = (struct jfield)JF_END;
	return jspec_parse(req_body(r), spec, NULL, &r->err);
}

static int h_plans_list(struct req *r)
{
	return reply_json(r, 200, plans_list());
}

static int h_plan_get(struct req *r)
{
	json_t *p = model_plan_get(r->params[0]);
	if (!p)
		return reply_error(r, BE_PLAN_NOT_FOUND, NULL, NULL);
	return reply_json(r, 200, p);
}

static int h_plan_create(struct req *r)
{
	if (admin_only(r))
		return reply_berr(r);
	struct plan_patch p;
	char id[37];
	if (plan_parse(r, &p, true) < 0 || svc_plan_create(&p, id, &r->err) < 0)
		return reply_berr(r);
	return reply_json(r, 201, model_plan_get(id));
}

static int h_plan_update(struct req *r)
{
	if (admin_only(r))
		return reply_berr(r);
	json_t *p = model_plan_get(r->params[0]);
	if (!p)
		return reply_error(r, BE_PLAN_NOT_FOUND, NULL, NULL);
	json_decref(p);
	struct plan_patch in;
	if (plan_parse(r, &in, false) < 0 || svc_plan_update(r->params[0], &in, &r->err) < 0)
		return reply_berr(r);
	return reply_json(r, 200, model_plan_get(r->params[0]));
}

static int h_plan_delete(struct req *r)
{
	if (admin_only(r))
		return reply_berr(r);
	if (svc_plan_delete(r->params[0], &r->err) < 0)
		return reply_berr(r);
	return reply_no_content(r);
}

const struct route plan_routes[] = {
	{"GET", "/api/v1/plans", h_plans_list, 0},
	{"POST", "/api/v1/plans", h_plan_create, 0},
	{"GET", "/api/v1/plans/{}", h_plan_get, 0},
	{"PATCH", "/api/v1/plans/{}", h_plan_update, 0},
	{"DELETE", "/api/v1/plans/{}", h_plan_delete, 0},
	{NULL, NULL, NULL, 0},
};
