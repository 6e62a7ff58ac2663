/* repos.c: a project's repository as the API shows it (see repos.h). */
#include "svc/repos.h"

#include "core/repo.h"
#include "lib/secret.h"
#include "lib/util.h"
#include "lib/valid.h"
#include "store/envs.h"
#include "store/projects.h"

static const char *S(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

json_t *svc_project_branches(const char *project_id, struct berr *err)
{
	struct prepo pr;
	if (prepo_load(&pr, project_id, err) < 0)
		return NULL;
	if (prepo_sync(&pr, 0, err) < 0) {
		prepo_free(&pr);
		return NULL;
	}
	json_t *a = git_branches(pr.mirror);
	size_t i;
	json_t *b;
	json_array_foreach(a, i, b)
		json_object_set_new(b, "default", json_boolean(str_eq(S(b, "name"), pr.default_branch)));
	repo_refresh_envs(&pr);
	prepo_free(&pr);
	return a;
}

json_t *svc_env_commits(const char *env_id, int limit, struct berr *err)
{
	struct env_row e;
	if (env_load(env_id, &e) < 0) {
		berr_set(err, BE_ENVIRONMENT_NOT_FOUND, NULL, "Environment '%s' doesn't exist", env_id);
		return NULL;
	}
	struct prepo pr;
	json_t *log = NULL;
	if (prepo_load(&pr, e.project_id, err) < 0) {
		env_row_free(&e);
		return NULL;
	}
	/* the tab's Refresh: always ask the remote */
	if (prepo_sync(&pr, 0, err) < 0)
		goto out;
	char *head = git_resolve(pr.mirror, e.git_branch, true);
	if (!head) {
		berr_set(err, BE_CONFLICT, "git_branch",
			 "The branch '%s' does not exist in the project's repository", e.git_branch);
		goto out;
	}
	log = git_log(pr.mirror, head, limit);
	size_t i;
	json_t *c;
	json_array_foreach(log, i, c) {
		json_object_set_new(c, "deployed", json_boolean(str_eq(S(c, "commit"),
								       e.deployed_commit)));
		json_object_del(c, "email");
	}
	free(head);
	repo_refresh_envs(&pr);
out:
	prepo_free(&pr);
	env_row_free(&e);
	return log;
}

char *svc_project_webhook_secret(const char *project_id)
{
	if (!valid_uuid(project_id))
		return NULL;
	char *sealed = project_webhook_secret_sealed(project_id);
	char *secret = sealed ? secret_open(sealed) : NULL;
	free(sealed);
	return secret;
}

int svc_repo_push(const char *project_id, const char *branch, const char *commit, json_t *jobs)
{
	return repo_trigger(project_id, branch, commit, "push", false, jobs);
}
