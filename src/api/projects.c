/* projects.c: projects of an organization (an Odoo version and a git repository). */
#include <string.h>

#include "api/auth.h"
#include "api/http.h"
#include "lib/secret.h"
#include "lib/jspec.h"
#include "svc/projects.h"

static int parse_project(struct req *r, struct project_in *in, bool create, const char *org_id)
{
	struct jfield spec[] = {
		{.name = "name", .type = J_STRING, .required = create, .dest = &in->name, .maxlen = 100},
		{.name = "odoo_version", .type = J_STRING, .required = create, .dest = &in->odoo_version},
		{.name = "repository_url", .type = J_STRING, .dest = &in->repository_url,
		 .present = &in->has_repo, .nullable = true, .maxlen = 1024},
		{.name = "default_branch", .type = J_STRING, .dest = &in->default_branch, .maxlen = 200},
		{.name = "deploy_key", .type = J_STRING, .dest = &in->deploy_key, .present = &in->has_key,
		 .nullable = true, .maxlen = 16384, .multiline = true},
		{.name = "access_token", .type = J_STRING, .dest = &in->access_token,
		 .present = &in->has_token, .nullable = true, .maxlen = 1024},
		{.name = "git_username", .type = J_STRING, .dest = &in->git_username,
		 .present = &in->has_user, .nullable = true, .maxlen = 100},
		{.name = "poll_interval_s", .type = J_INT, .dest = &in->poll_interval,
		 .present = &in->has_poll, .imin = 0, .imax = 86400},
		JF_END,
	};
	if (jspec_parse(req_body(r), spec, NULL, &r->err) < 0)
		return -1;
	return svc_project_check(in, org_id, &r->err);
}

/* The request for the audit log: credentials show as "(set)" or null, never their value. */
static json_t *audit_fields(struct req *r)
{
	json_t *a = json_deep_copy(req_body(r));
	const char *secret[] = {"deploy_key", "access_token"};
	for (size_t i = 0; i < ARRAY_SIZE(secret); i++) {
		json_t *v = json_object_get(a, secret[i]);
		if (v && !json_is_null(v))
			json_object_set_new(a, secret[i], json_string(str_eq(json_string_value(v), "generate")
								      ? "generate" : "(set)"));
	}
	return a;
}

static int h_projects_list(struct req *r)
{
	struct access acc;
	if (access_org(&r->actor, r->params[0], &acc, &r->err) < 0)
		return reply_berr(r);
	json_t *a = svc_projects_json(acc.org_id, acc.projects);
	access_release(&acc);
	return reply_json(r, 200, a);
}

static int h_project_create(struct req *r)
{
	struct access acc;
	if (access_org(&r->actor, r->params[0], &acc, &r->err) < 0)
		return reply_berr(r);
	struct project_in in = {0};
	char id[37];
	char *secret = NULL;
	int status;
	if (perm_require(&acc, "project.create", &r->err) < 0 || parse_project(r, &in, true, acc.org_id) < 0 ||
	    svc_project_create(&r->actor, r->ip, acc.org_id, &in, audit_fields(r), id, &secret,
			       &r->err) < 0) {
		status = reply_berr(r);
	} else {
		json_t *out = svc_project_json(id);
		/* shown this once; POST /projects/{id}/webhook/rotate makes a new one */
		json_object_set_new(out, "webhook_secret", json_string(secret));
		secret_free(secret);
		status = reply_json(r, 201, out);
	}
	svc_project_in_free(&in);
	access_release(&acc);
	return status;
}

static int h_project_get(struct req *r)
{
	struct access acc;
	json_t *p = access_project(&r->actor, r->params[0], &acc, &r->err);
	if (!p)
		return reply_berr(r);
	json_decref(p);
	access_release(&acc);
	return reply_json(r, 200, svc_project_json(r->params[0]));
}

static int h_project_permissions(struct req *r)
{
	struct access acc;
	json_t *p = access_project(&r->actor, r->params[0], &acc, &r->err);
	if (!p)
		return reply_berr(r);
	json_decref(p);
	json_t *o = json_pack("{s:s,s:s,s:o}", "project_id", r->params[0], "role", acc.role,
			      "permissions", auth_effective_permissions(r, &acc, false));
	access_release(&acc);
	return reply_json(r, 200, o);
}

static int h_project_update(struct req *r)
{
	struct access acc;
	json_t *p = access_project(&r->actor, r->params[0], &acc, &r->err);
	if (!p)
		return reply_berr(r);
	json_decref(p);
	struct project_in in = {0};
	int status;
	if (perm_require(&acc, "project.update", &r->err) < 0 || parse_project(r, &in, false, acc.org_id) < 0 ||
	    svc_project_update(&r->actor, r->ip, acc.org_id, r->params[0], &in, audit_fields(r),
			       &r->err) < 0)
		status = reply_berr(r);
	else
		status = reply_json(r, 200, svc_project_json(r->params[0]));
	svc_project_in_free(&in);
	access_release(&acc);
	return status;
}

static int h_project_delete(struct req *r)
{
	struct access acc;
	json_t *p = access_project(&r->actor, r->params[0], &acc, &r->err);
	if (!p)
		return reply_berr(r);
	json_decref(p);
	int status;
	if (perm_require(&acc, "project.delete", &r->err) < 0 ||
	    svc_project_delete(&r->actor, r->ip, acc.org_id, r->params[0], &r->err) < 0)
		status = reply_berr(r);
	else
		status = reply_no_content(r);
	access_release(&acc);
	return status;
}

const struct route project_routes[] = {
	{"GET", "/api/v1/orgs/{}/projects", h_projects_list, 0},
	{"POST", "/api/v1/orgs/{}/projects", h_project_create, 0},
	{"GET", "/api/v1/projects/{}", h_project_get, 0},
	{"GET", "/api/v1/projects/{}/permissions", h_project_permissions, 0},
	{"PATCH", "/api/v1/projects/{}", h_project_update, 0},
	{"DELETE", "/api/v1/projects/{}", h_project_delete, 0},
	{NULL, NULL, NULL, 0},
};
