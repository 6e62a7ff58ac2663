/* clones.c: the clone and refresh routes (docs/api.md "Clones", docs/clones.md). */
#include <stdio.h>
#include <string.h>

#include "api/http.h"
#include "core/envspec.h"
#include "lib/jspec.h"
#include "lib/valid.h"
#include "svc/clones.h"

/* POST /environments/{id}/clone: a new staging or development environment from this one. */
static int h_clone(struct req *r)
{
	struct access acc;
	json_t *src = access_env(&r->actor, r->params[0], &acc, &r->err);
	if (!src)
		return reply_berr(r);
	json_decref(src);
	struct clone_in ci = {.neutralize = true};
	struct env_in *in = &ci.env;
	struct jfield spec[] = {
		{.name = "env_type", .type = J_STRING, .dest = &in->env_type},
		{.name = "name", .type = J_STRING, .dest = &in->name, .maxlen = 63},
		{.name = "subdomain", .type = J_STRING, .dest = &in->subdomain,
		 .present = &in->has_subdomain, .maxlen = 63},
		{.name = "vm_id", .type = J_STRING, .dest = &in->vm_id, .maxlen = 64},
		{.name = "cpu_cores", .type = J_NUMBER, .dest = &in->cpu, .present = &in->has_cpu},
		{.name = "ram_mb", .type = J_INT, .dest = &in->ram, .present = &in->has_ram},
		{.name = "disk_gb", .type = J_INT, .dest = &in->disk, .present = &in->has_disk},
		{.name = "git_branch", .type = J_STRING, .dest = &in->git_branch, .maxlen = 200},
		{.name = "neutralize", .type = J_BOOL, .dest = &ci.neutralize},
		{.name = "anonymize", .type = J_BOOL, .dest = &ci.anonymize,
		 .present = &ci.has_anonymize},
		JF_END,
	};
	int status;
	if (perm_require(&acc, "project.environments.create", &r->err) < 0 ||
	    jspec_parse(req_body(r), spec, NULL, &r->err) < 0) {
		status = reply_berr(r);
	} else if (in->name && (!valid_dns_label(in->name) || str_eq(in->name, "postgres") ||
				str_eq(in->name, "pgbouncer") || str_eq(in->name, "template0") ||
				str_eq(in->name, "template1"))) {
		status = reply_error(r, BE_VALIDATION_ERROR, "name",
				     "name: lowercase letters, numbers and hyphens only, starting and"
				     " ending with a letter or number, at most 63 characters (not"
				     " postgres, pgbouncer, template0 or template1)");
	} else if (in->subdomain && !valid_dns_label(in->subdomain)) {
		status = reply_error(r, BE_VALIDATION_ERROR, "subdomain",
				     "subdomain: must match ^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$");
	} else if (in->git_branch && !valid_git_ref(in->git_branch)) {
		status = reply_error(r, BE_VALIDATION_ERROR, "git_branch",
				     "git_branch: not a valid git branch name");
	} else {
		json_t *out = svc_env_clone(&r->actor, r->ip, &acc, r->params[0], &ci, &r->err);
		if (!out) {
			status = reply_berr(r);
		} else {
			json_t *env = api_env_json(json_string_value(json_object_get(out, "environment_id")));
			status = reply_json(r, 202, json_pack("{s:o,s:O}", "environment",
							      env ? env : json_null(), "job",
							      json_object_get(out, "job")));
			json_decref(out);
		}
	}
	access_release(&acc);
	return status;
}

/* POST /environments/{id}/refresh {"from": id}: this environment's data replaced by a fresh
 * copy of another environment of its project. */
static int h_refresh(struct req *r)
{
	struct access acc;
	json_t *tg = access_env(&r->actor, r->params[0], &acc, &r->err);
	if (!tg)
		return reply_berr(r);
	json_decref(tg);
	const char *from = NULL;
	struct jfield spec[] = {
		{.name = "from", .type = J_STRING, .dest = &from, .required = true, .maxlen = 64},
		JF_END,
	};
	int status;
	struct access sacc = {0};
	json_t *src = NULL;
	if (perm_require(&acc, "environment.settings", &r->err) < 0 ||
	    jspec_parse(req_body(r), spec, NULL, &r->err) < 0) {
		status = reply_berr(r);
	} else if (!(src = access_env(&r->actor, from, &sacc, &r->err))) {
		/* another organization's environment, or one the actor cannot see: not found */
		snprintf(r->err.field, sizeof r->err.field, "from");
		status = reply_berr(r);
	} else {
		json_t *job = svc_env_refresh(&r->actor, r->ip, r->params[0], from, &r->err);
		status = job ? reply_json(r, 202, json_pack("{s:o}", "job", job)) : reply_berr(r);
	}
	json_decref(src);
	if (src)
		access_release(&sacc);
	access_release(&acc);
	return status;
}

const struct route clone_routes[] = {
	{"POST", "/api/v1/environments/{}/clone", h_clone, 0},
	{"POST", "/api/v1/environments/{}/refresh", h_refresh, 0},
	{NULL, NULL, NULL, 0},
};
