/* orgs.c: organizations, members, invitations, the organization's plan, usage and audit log. */
#include <string.h>

#include "api/auth.h"
#include "api/http.h"
#include "lib/jspec.h"
#include "store/model.h"
#include "store/orgs.h"
#include "svc/orgs.h"

/* Looks up the organization of r->params[0] for the actor and checks perm (may be NULL). */
static int org_guard(struct req *r, struct access *acc, const char *perm)
{
	if (access_org(&r->actor, r->params[0], acc, &r->err) < 0)
		return -1;
	if (perm && perm_require(acc, perm, &r->err) < 0) {
		access_release(acc);
		return -1;
	}
	return 0;
}

static int h_orgs_list(struct req *r)
{
	return reply_json(r, 200, model_orgs_of_user(r->actor.user_id));
}

static int h_org_create(struct req *r)
{
	const char *name = NULL;
	struct jfield spec[] = {
		{.name = "name", .type = J_STRING, .required = true, .dest = &name, .maxlen = 100},
		JF_END,
	};
	if (jspec_parse(req_body(r), spec, NULL, &r->err) < 0)
		return reply_berr(r);
	json_t *o = svc_org_create(&r->actor, r->ip, name, &r->err);
	if (!o)
		return reply_berr(r);
	return reply_json(r, 201, o);
}

static int h_org_get(struct req *r)
{
	struct access acc;
	if (org_guard(r, &acc, NULL) < 0)
		return reply_berr(r);
	json_t *o = model_org_get(acc.org_id, r->actor.user_id);
	json_object_set_new(o, "plan", model_org_plan(acc.org_id));
	json_t *perms = json_array();
	for (const char *const *p = role_permissions(acc.role); p && *p; p++)
		json_array_append_new(perms, json_string(*p));
	json_object_set_new(o, "permissions", perms);
	access_release(&acc);
	return reply_json(r, 200, o);
}

static int h_org_update(struct req *r)
{
	struct access acc;
	if (org_guard(r, &acc, "org.update") < 0)
		return reply_berr(r);
	const char *name = NULL, *timezone = NULL;
	struct jfield spec[] = {
		{.name = "name", .type = J_STRING, .dest = &name, .maxlen = 100},
		{.name = "timezone", .type = J_STRING, .dest = &timezone, .maxlen = 64},
		JF_END,
	};
	if (jspec_parse(req_body(r), spec, NULL, &r->err) < 0) {
		access_release(&acc);
		return reply_berr(r);
	}
	json_t *o = svc_org_update(&r->actor, r->ip, acc.org_id, name, timezone, &r->err);
	access_release(&acc);
	if (!o)
		return reply_berr(r);
	return reply_json(r, 200, o);
}

static int h_members_list(struct req *r)
{
	struct access acc;
	if (org_guard(r, &acc, "org.view") < 0)
		return reply_berr(r);
	json_t *a = members_list(acc.org_id);
	access_release(&acc);
	return reply_json(r, 200, a);
}

static int h_member_update(struct req *r)
{
	struct access acc;
	if (org_guard(r, &acc, "member.manage") < 0)
		return reply_berr(r);
	const char *role = NULL;
	json_t *projects = NULL;
	bool has_projects = false;
	struct jfield spec[] = {
		{.name = "role", .type = J_STRING, .dest = &role},
		{.name = "projects", .type = J_ANY, .dest = &projects, .present = &has_projects,
		 .nullable = true},
		JF_END,
	};
	json_t *m = NULL;
	if (jspec_parse(req_body(r), spec, NULL, &r->err) == 0)
		m = svc_member_update(&r->actor, r->ip, &acc, r->params[1], role, has_projects,
				      projects, &r->err);
	access_release(&acc);
	if (!m)
		return reply_berr(r);
	return reply_json(r, 200, m);
}

static int h_member_remove(struct req *r)
{
	struct access acc;
	bool self = str_eq(r->params[1], r->actor.user_id);
	if (org_guard(r, &acc, self ? NULL : "member.manage") < 0)
		return reply_berr(r);
	int status = svc_member_remove(&r->actor, r->ip, &acc, r->params[1], &r->err) < 0
			     ? reply_berr(r)
			     : reply_no_content(r);
	access_release(&acc);
	return status;
}

static int h_invite_create(struct req *r)
{
	struct access acc;
	if (org_guard(r, &acc, "member.manage") < 0)
		return reply_berr(r);
	const char *email = NULL, *role = NULL;
	json_t *projects = NULL;
	long long days = 7;
	struct jfield spec[] = {
		{.name = "email", .type = J_STRING, .required = true, .dest = &email},
		{.name = "role", .type = J_STRING, .required = true, .dest = &role},
		{.name = "projects", .type = J_ANY, .dest = &projects, .nullable = true},
		{.name = "expires_in_days", .type = J_INT, .dest = &days, .imin = 1, .imax = 30},
		JF_END,
	};
	if (jspec_parse(req_body(r), spec, NULL, &r->err) < 0)
		goto fail;
	json_t *o = svc_invite_create(&r->actor, r->ip, &acc, email, role, projects, days, &r->err);
	if (!o)
		goto fail;
	access_release(&acc);
	return reply_json(r, 201, o);
fail:
	access_release(&acc);
	return reply_berr(r);
}

static int h_invite_list(struct req *r)
{
	struct access acc;
	if (org_guard(r, &acc, "member.manage") < 0)
		return reply_berr(r);
	json_t *a = invitations_pending(acc.org_id);
	access_release(&acc);
	return reply_json(r, 200, a);
}

static int h_invite_delete(struct req *r)
{
	struct access acc;
	if (org_guard(r, &acc, "member.manage") < 0)
		return reply_berr(r);
	int status = svc_invite_delete(&r->actor, r->ip, &acc, r->params[1], &r->err) < 0
			     ? reply_berr(r)
			     : reply_no_content(r);
	access_release(&acc);
	return status;
}

static int h_invite_accept(struct req *r)
{
	const char *name = NULL, *password = NULL;
	struct jfield spec[] = {
		{.name = "name", .type = J_STRING, .dest = &name, .maxlen = 100},
		{.name = "password", .type = J_STRING, .dest = &password, .maxlen = 256},
		JF_END,
	};
	if (jspec_parse(req_body(r), spec, NULL, &r->err) < 0)
		return reply_berr(r);
	json_t *ans = svc_invite_accept(r->authed ? &r->actor : NULL, r->ip, r->params[0], name,
					password, api_cfg.token_ttl, &r->actor, &r->err);
	if (!ans)
		return reply_berr(r);
	r->authed = true;
	return reply_json(r, 200, ans);
}

static int h_org_plan_set(struct req *r)
{
	struct access acc;
	if (!r->actor.is_admin) {
		if (org_guard(r, &acc, NULL) < 0)
			return reply_berr(r);
		access_release(&acc);
		return reply_error(r, BE_PERMISSION_DENIED, NULL,
				   "Only the platform administrator sets an organization's plan");
	}
	if (!orgs_exists(r->params[0]))
		return reply_error(r, BE_ORG_NOT_FOUND, NULL, NULL);
	const char *plan_id = NULL;
	struct jfield spec[] = {
		{.name = "plan_id", .type = J_STRING, .required = true, .dest = &plan_id},
		JF_END,
	};
	if (jspec_parse(req_body(r), spec, NULL, &r->err) < 0)
		return reply_berr(r);
	json_t *o = svc_org_plan_set(&r->actor, r->ip, r->params[0], plan_id, &r->err);
	if (!o)
		return reply_berr(r);
	return reply_json(r, 200, o);
}

static int h_usage(struct req *r)
{
	struct access acc;
	if (org_guard(r, &acc, "org.view") < 0)
		return reply_berr(r);
	json_t *u = model_org_usage_json(acc.org_id);
	access_release(&acc);
	return reply_json(r, 200, u);
}

static int h_audit(struct req *r)
{
	struct access acc;
	if (org_guard(r, &acc, "audit.view") < 0)
		return reply_berr(r);
	const char *ls = req_query(r, "limit"), *bs = req_query(r, "before");
	long long limit = ls ? atoll(ls) : 100, before = bs ? atoll(bs) : 0;
	if (limit < 1 || limit > 1000)
		limit = 100;
	const char *target = req_query(r, "target_id"); /* one object's entries (an environment's) */
	json_t *a = target && *target ? audit_list_target(acc.org_id, target, (int64_t)before,
							  (int64_t)limit)
				      : audit_list(acc.org_id, (int64_t)before, (int64_t)limit);
	access_release(&acc);
	return reply_json(r, 200, a);
}

const struct route org_routes[] = {
	{"GET", "/api/v1/orgs", h_orgs_list, 0},
	{"POST", "/api/v1/orgs", h_org_create, 0},
	{"GET", "/api/v1/orgs/{}", h_org_get, 0},
	{"PATCH", "/api/v1/orgs/{}", h_org_update, 0},
	{"GET", "/api/v1/orgs/{}/members", h_members_list, 0},
	{"PATCH", "/api/v1/orgs/{}/members/{}", h_member_update, 0},
	{"DELETE", "/api/v1/orgs/{}/members/{}", h_member_remove, 0},
	{"POST", "/api/v1/orgs/{}/invitations", h_invite_create, 0},
	{"GET", "/api/v1/orgs/{}/invitations", h_invite_list, 0},
	{"DELETE", "/api/v1/orgs/{}/invitations/{}", h_invite_delete, 0},
	{"POST", "/api/v1/invitations/{}/accept", h_invite_accept, R_PUBLIC},
	{"PUT", "/api/v1/orgs/{}/plan", h_org_plan_set, 0},
	{"GET", "/api/v1/orgs/{}/usage", h_usage, 0},
	{"GET", "/api/v1/orgs/{}/audit", h_audit, 0},
	{NULL, NULL, NULL, 0},
};
