/* actions.c: actions on an environment asked through the API (see actions.h). */
#include "svc/actions.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "core/actions.h"
#include "core/envspec.h"
#include "jobs/queue.h"
#include "lib/jspec.h"
#include "lib/util.h"
#include "ops/ops.h"
#include "store/envs.h"
#include "store/jobs_store.h"
#include "store/model.h"
#include "store/projects.h"

json_t *svc_env_action(const struct actor *a, const char *ip, const char *env_id,
		       const char *type, json_t *params, struct berr *err)
{
	struct env_action act = {
		.env_id = env_id, .type = type, .params = params, .policy = ENV_Q_SAME_ANSWERS,
		.user_id = a->user_id, .user_email = a->email, .actor = a->email, .ip = ip,
	};
	json_t *job = NULL;
	if (env_action_enqueue(&act, &job, NULL, err) < 0)
		return NULL;
	return job;
}

json_t *svc_env_merge(const struct actor *a, const char *ip, const char *org_id,
		      const char *env_id, const char *target, struct berr *err)
{
	struct env_row e;
	if (env_load(env_id, &e) < 0) {
		berr_set(err, BE_ENVIRONMENT_NOT_FOUND, NULL, "Environment '%s' doesn't exist", env_id);
		return NULL;
	}
	json_t *job = NULL;
	if (str_eq(e.git_branch, target)) {
		berr_set(err, BE_VALIDATION_ERROR, "target_branch",
			 "target_branch: the environment's own branch (%s) cannot be merged into itself",
			 e.git_branch);
		goto out;
	}
	json_t *plan = model_org_plan(org_id);
	bool allowed = json_is_true(json_object_get(plan, "allow_merge"));
	json_decref(plan);
	if (!allowed) {
		berr_set(err, BE_PLAN_FEATURE_UNAVAILABLE, NULL,
			 "Merging branches is not included in the organization's plan: upgrade to Pro"
			 " or Enterprise");
		goto out;
	}
	struct project_row p;
	bool has_repo = project_load(e.project_id, &p) == 0 && p.repository_url;
	project_row_free(&p);
	if (!has_repo) {
		berr_set(err, BE_CONFLICT, NULL, "The project has no repository: set its repository_url");
		goto out;
	}
	json_t *params = json_pack("{s:s}", "target_branch", target);
	job = svc_env_action(a, ip, env_id, "merge", params, err);
	json_decref(params);
out:
	env_row_free(&e);
	return job;
}

json_t *svc_job_visible(const struct actor *a, const char *job_id, struct berr *err)
{
	json_t *j = queue_job_json(job_id);
	if (!j)
		goto nf;
	struct access acc;
	const char *env = json_string_value(json_object_get(j, "environment_id"));
	/* an environment's jobs follow its project's restrictions; a removed environment's jobs
	 * (it may vanish while we look) stay visible to its organization */
	json_t *e = env ? access_env(a, env, &acc, err) : NULL;
	if (e) {
		json_decref(e);
	} else {
		if (env && env_exists(env))
			goto nf_free;
		if (access_org(a, json_string_value(json_object_get(j, "org_id")), &acc, err) < 0)
			goto nf_free;
		if (!env && acc.projects) { /* server jobs stay hidden from project-limited members */
			access_release(&acc);
			goto nf_free;
		}
	}
	access_release(&acc);
	return j;
nf_free:
	json_decref(j);
nf:
	berr_set(err, BE_NOT_FOUND, NULL, "Job '%s' doesn't exist", job_id);
	return NULL;
}

json_t *svc_job_cancel(const struct actor *a, const char *job_id, struct berr *err)
{
	json_t *j = svc_job_visible(a, job_id, err);
	if (!j)
		return NULL;
	struct access acc;
	bool ok = access_org(a, json_string_value(json_object_get(j, "org_id")), &acc, err) == 0;
	/* a server's jobs (prepare, server_remove) are the server managers' */
	const char *perm = json_is_string(json_object_get(j, "environment_id")) ? "environment.deploy"
										: "server.manage";
	if (ok && perm_require(&acc, perm, err) < 0)
		ok = false;
	access_release(&acc);
	json_decref(j);
	if (!ok || queue_cancel(job_id, err) < 0)
		return NULL;
	return queue_job_json(job_id);
}

json_t *svc_org_jobs(const struct access *acc, const char *status, long long limit)
{
	json_t *a = jobs_json_of_org(acc->org_id, status, limit);
	if (!acc->projects) /* project-limited members see their projects' jobs only */
		return a;
	json_t *keep = json_array();
	size_t i;
	json_t *j;
	json_array_foreach(a, i, j) {
		char *p = env_project_of(json_string_value(json_object_get(j, "environment_id")));
		if (p && access_project_allowed(acc, p))
			json_array_append(keep, j);
		free(p);
	}
	json_decref(a);
	return keep;
}

json_t *svc_odoo_images(void)
{
	return ops_odoo_images();
}

/* An image reference as Docker takes it: [registry[:port]/]name[:tag][@digest]. It only ever
 * travels as a JSON value to the Engine API, never through a shell. */
bool svc_image_ref_valid(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 || n > 255 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
		return false;
	for (const char *p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("._-/:@", *p))
			return false;
	return !strstr(s, "//") && !strstr(s, "..") && s[n - 1] != ':' && s[n - 1] != '/';
}

json_t *svc_odoo_images_set(json_t *body, struct berr *err)
{
	if (!json_is_array(body)) {
		berr_set(err, BE_VALIDATION_ERROR, "",
			 "the body must be an array of {\"version\", \"image\"}");
		return NULL;
	}
	json_t *cur = ops_odoo_images();
	size_t i;
	json_t *v;
	json_array_foreach(body, i, v) {
		const char *version = NULL, *image = NULL;
		struct jfield spec[] = {
			{.name = "version", .type = J_STRING, .required = true, .dest = &version},
			{.name = "image", .type = J_STRING, .required = true, .dest = &image},
			JF_END,
		};
		char prefix[32];
		snprintf(prefix, sizeof prefix, "[%zu].", i);
		if (jspec_parse(v, spec, prefix, err) < 0) {
			json_decref(cur);
			return NULL;
		}
		if (!odoo_version_valid(version) || !svc_image_ref_valid(image)) {
			json_decref(cur);
			berr_set(err, BE_VALIDATION_ERROR, odoo_version_valid(version) ? "image" : "version",
				 "[%zu]: %s", i, odoo_version_valid(version)
						       ? "image: not a valid image reference"
						       : "version: must be 16.0, 17.0, 18.0 or 19.0");
			return NULL;
		}
		size_t k;
		json_t *c;
		json_array_foreach(cur, k, c)
			if (str_eq(json_string_value(json_object_get(c, "version")), version))
				json_object_set_new(c, "image", json_string(image));
	}
	char *s = json_dumps(cur, JSON_COMPACT);
	model_setting_set("odoo_images", s);
	free(s);
	return cur;
}
