/* environments.c: environments of a project (create-environment.txt). */
#include <math.h>
#include <string.h>

#include "api/auth.h"
#include "api/http.h"
#include "core/envspec.h"
#include "lib/jspec.h"
#include "lib/valid.h"
#include "store/envs.h"
#include "svc/envs.h"

static void decorate(json_t *e)
{
	const char *dep = json_string_value(json_object_get(e, "deployed_commit"));
	const char *head = json_string_value(json_object_get(e, "branch_commit"));
	json_object_set_new(e, "branch_ahead", json_boolean(dep && head && strcmp(dep, head) != 0));
	json_object_set_new(e, "auto_restart",
			    json_boolean(json_integer_value(json_object_get(e, "auto_restart")) != 0));
	const char *sub = json_string_value(json_object_get(e, "subdomain"));
	json_object_set_new(e, "system_url", json_sprintf("https://%s.%s", sub, api_cfg.apps_domain));
	json_t *cd = json_object_get(e, "custom_domain");
	json_object_set_new(e, "url", json_is_string(cd)
					      ? json_sprintf("https://%s", json_string_value(cd))
					      : json_sprintf("https://%s.%s", sub, api_cfg.apps_domain));
	/* keep the request's spelling too, so a created object can be sent back as is */
	json_object_set(e, "env_type", json_object_get(e, "environment_type"));
	double ocpu = json_number_value(json_object_get(e, "odoo_cpu_cores"));
	json_object_set_new(e, "odoo_cpu_cores", json_real(ocpu));
	json_object_set_new(e, "odoo_config_effective",
			    odoo_config_effective(json_object_get(e, "odoo_config"),
						  (int)llround(ocpu * 100),
						  json_integer_value(json_object_get(e, "odoo_ram_mb")),
						  json_string_value(json_object_get(e, "environment_type"))));
}

static json_t *env_get(const char *id)
{
	json_t *e = env_json_get(id);
	if (e)
		decorate(e);
	return e;
}

/* Odoo's administrator login: 1 to 100 characters (UTF-8), no surrounding space (jspec has
 * refused control characters already). */
static bool admin_login_valid(const char *s)
{
	size_t n = strlen(s), chars = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		chars += (*p & 0xC0) != 0x80;
	return chars >= 1 && chars <= 100 && s[0] != ' ' && s[n - 1] != ' ';
}

static int parse_env(struct req *r, struct env_in *in, bool create, const char *org_id)
{
	struct jfield spec[] = {
		{.name = "name", .type = J_STRING, .dest = &in->name, .maxlen = 63},
		{.name = "env_type", .type = J_STRING, .dest = &in->env_type},
		{.name = "vm_id", .type = J_STRING, .dest = &in->vm_id, .maxlen = 64},
		{.name = "subdomain", .type = J_STRING, .dest = &in->subdomain, .present = &in->has_subdomain,
		 .maxlen = 63},
		{.name = "custom_domain", .type = J_STRING, .dest = &in->custom_domain,
		 .present = &in->has_custom_domain, .nullable = true, .maxlen = 253},
		{.name = "cpu_cores", .type = J_NUMBER, .dest = &in->cpu, .present = &in->has_cpu},
		{.name = "ram_mb", .type = J_INT, .dest = &in->ram, .present = &in->has_ram},
		{.name = "disk_gb", .type = J_INT, .dest = &in->disk, .present = &in->has_disk},
		{.name = "postgres_cpu_cores", .type = J_NUMBER, .dest = &in->pg_cpu,
		 .present = &in->has_pg_cpu, .nullable = true},
		{.name = "postgres_ram_mb", .type = J_INT, .dest = &in->pg_ram, .present = &in->has_pg_ram,
		 .nullable = true},
		{.name = "git_branch", .type = J_STRING, .dest = &in->git_branch, .maxlen = 200},
		{.name = "auto_deploy", .type = J_BOOL, .dest = &in->auto_deploy, .present = &in->has_auto},
		{.name = "enable_pgtune", .type = J_BOOL, .dest = &in->pgtune, .present = &in->has_pgtune},
		{.name = "enable_pgbouncer", .type = J_BOOL, .dest = &in->pgbouncer,
		 .present = &in->has_pgbouncer},
		{.name = "enable_read_replica", .type = J_BOOL, .dest = &in->replica,
		 .present = &in->has_replica},
		{.name = "auto_restart", .type = J_BOOL, .dest = &in->auto_restart,
		 .present = &in->has_auto_restart},
		{.name = "odoo_config", .type = J_OBJECT, .dest = &in->odoo_config},
		{.name = "environment_vars", .type = J_OBJECT, .dest = &in->vars},
		{.name = "addon_repositories", .type = J_ARRAY, .dest = &in->addons},
		{.name = "admin_login", .type = J_STRING, .dest = &in->admin_login, .maxlen = 400},
		JF_END,
	};
	json_t *body = req_body(r);
	/* "environment_type" (the response's spelling) is accepted for env_type */
	json_t *et = json_object_get(body, "environment_type");
	if (et && !json_object_get(body, "env_type"))
		json_object_set(body, "env_type", et);
	json_object_del(body, "environment_type");
	if (jspec_parse(body, spec, NULL, &r->err) < 0)
		return -1;
	in->pg_cpu_null = in->has_pg_cpu && json_is_null(json_object_get(body, "postgres_cpu_cores"));
	in->pg_ram_null = in->has_pg_ram && json_is_null(json_object_get(body, "postgres_ram_mb"));
	if (in->name && !valid_dns_label(in->name))
		return berr_set(&r->err, BE_VALIDATION_ERROR, "name",
				"name: lowercase letters, numbers and hyphens only, starting and ending"
				" with a letter or number, at most 63 characters");
	if (in->name && (str_eq(in->name, "postgres") || str_eq(in->name, "pgbouncer") ||
			 str_eq(in->name, "template0") || str_eq(in->name, "template1")))
		return berr_set(&r->err, BE_VALIDATION_ERROR, "name",
				"name: '%s' is reserved (it names the environment's database)", in->name);
	if (in->env_type && !create)
		return berr_set(&r->err, BE_VALIDATION_ERROR, "env_type",
				"env_type: cannot be changed after creation");
	if (in->admin_login && !create)
		return berr_set(&r->err, BE_VALIDATION_ERROR, "admin_login",
				"admin_login: is set at creation only (change it in Odoo)");
	if (in->admin_login && !admin_login_valid(in->admin_login))
		return berr_set(&r->err, BE_VALIDATION_ERROR, "admin_login",
				"admin_login: 1 to 100 characters, without control characters or"
				" surrounding spaces");
	if (in->vm_id && !create)
		return berr_set(&r->err, BE_VALIDATION_ERROR, "vm_id",
				"vm_id: an environment cannot move to another server");
	if (in->env_type && !env_type_valid(in->env_type))
		return berr_set(&r->err, BE_VALIDATION_ERROR, "env_type",
				"env_type: must be development, staging or production");
	if (in->subdomain && !valid_dns_label(in->subdomain))
		return berr_set(&r->err, BE_VALIDATION_ERROR, "subdomain",
				"subdomain: must match ^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$");
	if (in->custom_domain && !valid_domain(in->custom_domain))
		return berr_set(&r->err, BE_VALIDATION_ERROR, "custom_domain",
				"custom_domain: not a valid domain name (lowercase, e.g. app.acme.com)");
	if (in->custom_domain) {
		size_t n = strlen(in->custom_domain), an = strlen(api_cfg.apps_domain);
		if (n > an && in->custom_domain[n - an - 1] == '.' &&
		    strcmp(in->custom_domain + n - an, api_cfg.apps_domain) == 0)
			return berr_set(&r->err, BE_VALIDATION_ERROR, "custom_domain",
					"custom_domain: names under %s are system subdomains: use subdomain",
					api_cfg.apps_domain);
	}
	if (in->git_branch && !valid_git_ref(in->git_branch))
		return berr_set(&r->err, BE_VALIDATION_ERROR, "git_branch",
				"git_branch: not a valid git branch name");
	if (in->vars && env_vars_validate(in->vars, &r->err) < 0)
		return -1;
	if (in->addons && svc_env_addons_validate(in->addons, org_id, &r->err) < 0)
		return -1;
	return 0;
}

static int h_env_create(struct req *r)
{
	struct access acc;
	json_t *project = access_project(&r->actor, r->params[0], &acc, &r->err);
	if (!project)
		return reply_berr(r);
	json_decref(project);
	struct env_in in = {0};
	char id[37], admin_pw[25];
	int status;
	if (perm_require(&acc, "project.environments.create", &r->err) < 0 ||
	    parse_env(r, &in, true, acc.org_id) < 0 ||
	    svc_env_create(&r->actor, r->ip, &acc, r->params[0], &in, id, admin_pw, &r->err) < 0) {
		status = reply_berr(r);
	} else {
		json_t *out = env_get(id);
		/* shown this once, like a project's webhook secret */
		json_object_set_new(out, "admin_password", json_string(admin_pw));
		explicit_bzero(admin_pw, sizeof admin_pw);
		status = reply_json(r, 201, out);
	}
	access_release(&acc);
	return status;
}

static int h_env_list(struct req *r)
{
	struct access acc;
	json_t *p = access_project(&r->actor, r->params[0], &acc, &r->err);
	if (!p)
		return reply_berr(r);
	json_decref(p);
	json_t *a = env_json_of_project(r->params[0], req_query(r, "type"));
	size_t i;
	json_t *e;
	json_array_foreach(a, i, e)
		decorate(e);
	access_release(&acc);
	return reply_json(r, 200, a);
}

static int h_org_env_list(struct req *r)
{
	struct access acc;
	if (access_org(&r->actor, r->params[0], &acc, &r->err) < 0)
		return reply_berr(r);
	json_t *a = env_json_of_org(acc.org_id, acc.projects, req_query(r, "name"));
	size_t i;
	json_t *e;
	json_array_foreach(a, i, e)
		decorate(e);
	access_release(&acc);
	return reply_json(r, 200, a);
}

static int h_env_get(struct req *r)
{
	struct access acc;
	json_t *e = access_env(&r->actor, r->params[0], &acc, &r->err);
	if (!e)
		return reply_berr(r);
	json_decref(e);
	access_release(&acc);
	return reply_json(r, 200, env_get(r->params[0]));
}

static int h_env_update(struct req *r)
{
	struct access acc;
	json_t *cur = access_env(&r->actor, r->params[0], &acc, &r->err);
	if (!cur)
		return reply_berr(r);
	json_decref(cur);
	struct env_in in = {0};
	int status;
	if (perm_require(&acc, "environment.settings", &r->err) < 0 ||
	    parse_env(r, &in, false, acc.org_id) < 0) {
		status = reply_berr(r);
	} else {
		json_t *fields = json_array();
		const char *k;
		json_t *v;
		json_object_foreach(req_body(r), k, v)
			json_array_append_new(fields, json_string(k));
		if (svc_env_update(&r->actor, r->ip, &acc, r->params[0], &in, fields, &r->err) < 0)
			status = reply_berr(r);
		else
			status = reply_json(r, 200, env_get(r->params[0]));
		json_decref(fields);
	}
	access_release(&acc);
	return status;
}

static int h_env_delete(struct req *r)
{
	struct access acc;
	json_t *e = access_env(&r->actor, r->params[0], &acc, &r->err);
	if (!e)
		return reply_berr(r);
	json_decref(e);
	json_t *job = NULL;
	if (perm_require(&acc, "environment.remove", &r->err) == 0)
		job = svc_env_remove(&r->actor, r->ip, r->params[0],
				     json_string_value(json_object_get(req_body(r), "confirm")), &r->err);
	access_release(&acc);
	return job ? reply_json(r, 202, job) : reply_berr(r); /* 202 with the removal job */
}

static int h_subdomain_check(struct req *r)
{
	if (svc_subdomain_check_allow(r->actor.user_id, &r->err) < 0)
		return reply_berr(r);
	const char *sub = req_query(r, "subdomain");
	if (!sub)
		return reply_error(r, BE_VALIDATION_ERROR, "subdomain", "subdomain: is required");
	bool valid = valid_dns_label(sub);
	bool taken = valid && svc_subdomain_taken(sub);
	json_t *o = json_pack("{s:s,s:b,s:b}", "subdomain", sub, "valid", valid, "available",
			      valid && !taken);
	if (valid)
		json_object_set_new(o, "system_url", json_sprintf("https://%s.%s", sub, api_cfg.apps_domain));
	return reply_json(r, 200, o);
}

const struct route env_routes[] = {
	{"POST", "/api/v1/projects/{}/environments", h_env_create, 0},
	{"GET", "/api/v1/projects/{}/environments", h_env_list, 0},
	{"GET", "/api/v1/orgs/{}/environments", h_org_env_list, 0},
	{"GET", "/api/v1/environments/{}", h_env_get, 0},
	{"PATCH", "/api/v1/environments/{}", h_env_update, 0},
	{"DELETE", "/api/v1/environments/{}", h_env_delete, 0},
	{"GET", "/api/v1/subdomain-check", h_subdomain_check, 0},
	{NULL, NULL, NULL, 0},
};
