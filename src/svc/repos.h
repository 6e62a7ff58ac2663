/* repos.h: a project's repository as the API shows it (branches, the Commits tab) and pushes
 * announced by webhooks (auto-deploy through core/repo.h's repo_trigger). Callers check access
 * first. */
#ifndef BERTH_SVC_REPOS_H
#define BERTH_SVC_REPOS_H
#include <jansson.h>
#include "lib/errors.h"

/* The remote's branches, fetched now: [{name, commit, default}], or NULL with err set. */
json_t *svc_project_branches(const char *project_id, struct berr *err);
/* The newest `limit` commits of the environment's branch, fetched now:
 * [{hash, commit, author, date, message, deployed}], or NULL with err set. */
json_t *svc_env_commits(const char *env_id, int limit, struct berr *err);
/* The project's webhook secret in clear (secret_free it), or NULL (no such project). */
char *svc_project_webhook_secret(const char *project_id);
/* A push to a branch (commit may be NULL): queues the deploys; their ids go to jobs. */
int svc_repo_push(const char *project_id, const char *branch, const char *commit, json_t *jobs);
#endif
