/* repo.h: a project's git repository as berthd sees it: its mirror and credentials, branch
 * heads shown on environments, auto-deploy on push (webhooks) or by polling. */
#ifndef BERTH_REPO_H
#define BERTH_REPO_H
#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include "drivers/git.h"
#include "lib/errors.h"

struct prepo {
	char project_id[37], org_id[37];
	char *url;            /* NULL when the project has no repository */
	char *default_branch;
	char *deploy_key, *token, *username;
	char *org_slug;       /* local paths only under ROOT/<org_slug>/ of a local root */
	char home[PATH_MAX];  /* <data>/git/<project>/home: known_hosts, temporary keys */
	char mirror[PATH_MAX];
	struct git_remote rm;
};

int prepo_load(struct prepo *p, const char *project_id, struct berr *err);
void prepo_free(struct prepo *p);
/* The mirror and remote of an addon repository of the project (same credentials). */
void prepo_addon(const struct prepo *p, const char *url, char mirror[PATH_MAX],
		 struct git_remote *rm);
/* Fetches when the mirror is older than max_age_s; CONFLICT when there is no repository. */
int prepo_sync(struct prepo *p, long max_age_s, struct berr *err);
/* Does the repository have this branch? Reads the mirror when it was fetched less than
 * fresh_s seconds ago and knows the branch; otherwise fetches (giving up after timeout_s) and
 * looks again. 1 yes, 0 no, -1 with err (REPOSITORY_UNREACHABLE; CONFLICT without a
 * repository). */
int prepo_has_branch(struct prepo *p, const char *branch, long fresh_s, int timeout_s,
		     struct berr *err);
/* Updates branch_commit and commits_ahead of the project's environments from the mirror. */
void repo_refresh_envs(struct prepo *p);

/* A push to `branch` (new head `commit`, may be NULL): enqueues a deploy for each deployed
 * environment of the project on that branch with auto-deploy on, through the one rule of
 * core/actions.h (ENV_Q_REPLACES: a queued deploy of such an environment is replaced; an
 * environment being removed is skipped). once: skip environments already triggered for this commit (polling).
 * Returns the new jobs' ids in `jobs`. */
int repo_trigger(const char *project_id, const char *branch, const char *commit, const char *why,
		 bool once, json_t *jobs);
/* Removes the project's mirrors (project deleted). */
void repo_forget(const char *project_id);

/* A new webhook secret for the project, stored sealed; returned in clear (secret_free). */
char *repo_webhook_secret_new(const char *project_id);
/* The webhook URL of a project. */
char *repo_webhook_url(const char *project_id);

/* Registers / removes the repository poller: a task of the scheduler (jobs/sched.h) that
 * polls, every 5 s, the projects whose poll interval has passed. */
int repo_poller_start(void);
void repo_poller_stop(void);
#endif
