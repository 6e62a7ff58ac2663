/* environments.c: environments of a project (create-environment.txt). */
#include <math.h>
#include <string.h>

#include "api/auth.h"
#include "api/http.h"
#include "core/envspec.h"
#include "lib/jspec.h"
#include "lib/jtext.h"
#include "lib/valid.h"
#include "store/db.h"
#include "store/envs.h"
#include "svc/envs.h"

/* The API's keys of an environment, after the row's (store/envs.h writes the row): whether
 * the branch moved past the deployed commit, its URLs, env_type (the request's spelling of
 * environment_type, so a created object can be sent back as is) and the effective Odoo
 * settings. Written as JSON text: a list of many environments builds no tree of values. */
static void decorate(const struct env_text_row *e, struct sbuf *out, void *ctx)
{
	(void)ctx;
	const char *dep = e->deployed_commit, *head = e->branch_commit;
	sbuf_adds(out, dep && head && strcmp(dep, head) != 0 ? ",\"branch_ahead\":true"
							      : ",\"branch_ahead\":false");
	char url[600];
	snprintf(url, sizeof url, "https://%s.%s", e->subdomain ? e->subdomain : "(null)",
		 api_cfg.apps_domain);
	sbuf_adds(out, ",\"system_url\":");
	jtext_str(out, url);
	if (e->custom_domain)
		snprintf(url, sizeof url, "https://%s", e->custom_domain);
	sbuf_adds(out, ",\"url\":");
	jtext_str(out, url);
	sbuf_adds(out, ",\"env_type\":");
	if (e->environment_type)
		jtext_str(out, e->environment_type);
	else
		sbuf_adds(out, "null");
	struct odoo_effective eff;
	odoo_config_effective_values(e->odoo_config, (int)llround(e->odoo_cpu_cores * 100),
				     e->odoo_ram_mb, e->environment_type, &eff);
	sbuf_adds(out, ",\"odoo_config_effective\":{\"preset\":");
	jtext_str(out, eff.preset);
	sbuf_adds(out, ",\"workers\":");
	jtext_int(out, eff.workers);
	sbuf_adds(out, ",\"max_cron_threads\":");
	jtext_int(out, eff.max_cron_threads);
	sbuf_adds(out, ",\"log_level\":");
	jtext_str(out, eff.log_level);
	sbuf_adds(out, ",\"limit_memory_soft_mb\":");
	jtext_int(out, eff.limit_memory_soft_mb);
	sbuf_adds(out, ",\"limit_memory_hard_mb\":");
	jtext_int(out, eff.limit_memory_hard_mb);
	sbuf_addc(out, '}');
}

/* Replies with JSON text as reply_json would write it (and its final newline). */
static int reply_json_text(struct req *r, int status, struct sbuf *text)
{
	sbuf_addc(text, '\n');
	r->reply_text = sbuf_detach(text);
	r->content_type = "application/json";
	return status;
}

/* An environment as a value, for answers that add to it. NULL when it is gone. */
static json_t *env_get(const char *id)
{
	struct sbuf sb = SBUF_INIT;
	json_t *e = env_text_get(id, decorate, NULL, &sb) == 0
			    ? json_loads(sbuf_str(&sb), 0, NULL) : NULL;
	sbuf_release(&sb);
	return e;
}

json_t *api_env_json(const char *id)
{
	return env_get(id);
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
	json_t *settings = NULL;
	const char *schedule = NULL;
	bool has_schedule = false;
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
		{.name = "settings", .type = J_OBJECT, .dest = &settings},
		{.name = "backup_schedule", .type = J_STRING, .dest = &schedule,
		 .present = &has_schedule, .nullable = true},
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
	if ((settings || has_schedule) && create)
		return berr_set(&r->err, BE_VALIDATION_ERROR, settings ? "settings" : "backup_schedule",
				"%s: set after creation (PATCH /api/v1/environments/{id})",
				settings ? "settings" : "backup_schedule");
	if (has_schedule) {
		/* backup_schedule at the top level stands for settings.backup_schedule */
		json_t *v = schedule ? json_string(schedule) : json_null();
		json_t *inner = json_object_get(settings, "backup_schedule");
		if (inner && !json_equal(inner, v)) {
			json_decref(v);
			return berr_set(&r->err, BE_VALIDATION_ERROR, "backup_schedule",
					"backup_schedule: given twice (at the top level and in settings),"
					" with different values");
		}
		settings = settings ? json_copy(settings) : json_object();
		json_object_set_new(settings, "backup_schedule", v);
		json_object_set_new(req_body(r), "settings", settings); /* kept with the request */
	}
	in->settings = settings;
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
	struct db_snap snap;
	bool snap_ok;
	if (access_project_check(&r->actor, r->params[0], &acc, &r->err, &snap, &snap_ok) < 0)
		return reply_berr(r);
	access_release(&acc);
	/* The list is the same text for everyone allowed to see the project, until a write
	 * anywhere: kept per store connection for the snapshot it was read from (db_memo). */
	const char *type = req_query(r, "type");
	char key[200];
	snprintf(key, sizeof key, "envs:%s:%c%.120s", r->params[0], type ? '=' : '-',
		 type ? type : "");
	bool memo = snap_ok && strlen(type ? type : "") <= 120;
	size_t len;
	char *text = memo ? db_memo_get(key, &snap, &len) : NULL;
	if (text) {
		r->reply_text = text;
		r->content_type = "application/json";
		return 200;
	}
	struct sbuf sb = SBUF_INIT;
	env_text_of_project(r->params[0], type, decorate, NULL, &sb);
	sbuf_addc(&sb, '\n');
	if (memo)
		db_memo_put(key, &snap, sbuf_str(&sb), sb.len);
	r->reply_text = sbuf_detach(&sb);
	r->content_type = "application/json";
	return 200;
}

static int h_org_env_list(struct req *r)
{
	struct access acc;
	if (access_org(&r->actor, r->params[0], &acc, &r->err) < 0)
		return reply_berr(r);
	struct sbuf sb = SBUF_INIT;
	env_text_of_org(acc.org_id, acc.projects, req_query(r, "name"), decorate, NULL, &sb);
	access_release(&acc);
	return reply_json_text(r, 200, &sb);
}

static int h_env_permissions(struct req *r)
{
	struct access acc;
	json_t *e = access_env(&r->actor, r->params[0], &acc, &r->err);
	if (!e)
		return reply_berr(r);
	json_decref(e);
	struct env_row row;
	bool production = false;
	if (env_load(r->params[0], &row) == 0) {
		production = str_eq(row.environment_type, "production");
		env_row_free(&row);
	}
	json_t *o = json_pack("{s:s,s:s,s:o}", "environment_id", r->params[0], "role", acc.role,
			      "permissions", auth_effective_permissions(r, &acc, production));
	access_release(&acc);
	return reply_json(r, 200, o);
}

static int h_env_get(struct req *r)
{
	struct access acc;
	json_t *e = access_env(&r->actor, r->params[0], &acc, &r->err);
	if (!e)
		return reply_berr(r);
	json_decref(e);
	access_release(&acc);
	struct sbuf sb = SBUF_INIT;
	if (env_text_get(r->params[0], decorate, NULL, &sb) < 0) {
		sbuf_release(&sb);
		return reply_error(r, BE_ENVIRONMENT_NOT_FOUND, NULL, "Environment '%s' doesn't exist",
				   r->params[0]);
	}
	return reply_json_text(r, 200, &sb);
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
	{"GET", "/api/v1/environments/{}/permissions", h_env_permissions, 0},
	{"PATCH", "/api/v1/environments/{}", h_env_update, 0},
	{"DELETE", "/api/v1/environments/{}", h_env_delete, 0},
	{"GET", "/api/v1/subdomain-check", h_subdomain_check, 0},
	{NULL, NULL, NULL, 0},
};
