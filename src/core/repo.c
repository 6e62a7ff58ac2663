/* repo.c: projects' repositories, auto-deploy and polling. */
#include "core/repo.h"

#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sodium.h>

#include "core/actions.h"
#include "core/config.h"
#include "jobs/queue.h"
#include "jobs/sched.h"
#include "lib/log.h"
#include "lib/secret.h"
#include "lib/valid.h"
#include "store/db.h"
#include "store/envs.h"
#include "store/model.h"
#include "store/projects.h"

static const char *S(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

int prepo_load(struct prepo *p, const char *project_id, struct berr *err)
{
	memset(p, 0, sizeof *p);
	struct project_row row;
	if (project_load(project_id, &row) < 0)
		return berr_set(err, BE_PROJECT_NOT_FOUND, NULL, "Project '%s' doesn't exist", project_id);
	snprintf(p->project_id, sizeof p->project_id, "%s", row.id);
	snprintf(p->org_id, sizeof p->org_id, "%s", row.org_id);
	p->url = row.repository_url ? xstrdup(row.repository_url) : NULL;
	p->default_branch = xstrdup(row.default_branch ? row.default_branch : "main");
	p->username = row.git_username ? xstrdup(row.git_username) : NULL;
	p->deploy_key = row.deploy_key_sealed ? secret_open(row.deploy_key_sealed) : NULL;
	p->token = row.access_token_sealed ? secret_open(row.access_token_sealed) : NULL;
	p->org_slug = row.org_slug ? xstrdup(row.org_slug) : NULL;
	project_row_free(&row);
	if (snprintf(p->home, sizeof p->home, "%s/git/%s/home", git_data_dir(), p->project_id) >=
		    (int)sizeof p->home ||
	    snprintf(p->mirror, sizeof p->mirror, "%s/git/%s/project.git", git_data_dir(),
		     p->project_id) >= (int)sizeof p->mirror) {
		prepo_free(p);
		return berr_set(err, BE_INTERNAL_ERROR, NULL, "the data directory's path is too long");
	}
	p->rm = (struct git_remote){.url = p->url, .deploy_key = p->deploy_key, .token = p->token,
				    .username = p->username, .home = p->home,
				    .local_area = p->org_slug};
	return 0;
}

void prepo_free(struct prepo *p)
{
	free(p->url);
	free(p->default_branch);
	secret_free(p->deploy_key);
	secret_free(p->token);
	free(p->username);
	free(p->org_slug);
	memset(p, 0, sizeof *p);
}

void prepo_addon(const struct prepo *p, const char *url, char mirror[PATH_MAX],
		 struct git_remote *rm)
{
	unsigned char h[6];
	crypto_generichash(h, sizeof h, (const unsigned char *)url, strlen(url), NULL, 0);
	char hex[13];
	sodium_bin2hex(hex, sizeof hex, h, sizeof h);
	if (snprintf(mirror, PATH_MAX, "%s/git/%s/addons/%s.git", git_data_dir(), p->project_id, hex) >=
	    PATH_MAX)
		mirror[0] = '\0';
	*rm = p->rm;
	rm->url = url;
}

int prepo_sync(struct prepo *p, long max_age_s, struct berr *err)
{
	if (!p->url)
		return berr_set(err, BE_CONFLICT, "repository_url",
				"The project has no repository: set its repository_url");
	if (max_age_s > 0 && git_fetch_age(p->mirror) < max_age_s)
		return 0;
	return git_fetch(p->mirror, &p->rm, err);
}

int prepo_has_branch(struct prepo *p, const char *branch, long fresh_s, int timeout_s,
		     struct berr *err)
{
	if (!p->url)
		return berr_set(err, BE_CONFLICT, "repository_url",
				"The project has no repository: set its repository_url");
	if (git_fetch_age(p->mirror) < fresh_s) {
		char *head = git_resolve(p->mirror, branch, true);
		bool known = head != NULL;
		free(head);
		if (known)
			return 1;
	}
	/* unknown in a fresh mirror, or the mirror is stale: ask the remote (bounded) */
	struct git_remote rm = p->rm;
	rm.timeout_s = timeout_s;
	if (git_fetch(p->mirror, &rm, err) < 0)
		return -1;
	char *head = git_resolve(p->mirror, branch, true);
	int found = head != NULL;
	free(head);
	return found;
}

void repo_refresh_envs(struct prepo *p)
{
	json_t *envs = env_branches_of_project(p->project_id);
	size_t i;
	json_t *e;
	json_array_foreach(envs, i, e) {
		char *head = git_resolve(p->mirror, S(e, "git_branch"), true);
		const char *dep = S(e, "deployed_commit");
		long ahead = head && dep ? git_count_between(p->mirror, dep, head) : -1;
		env_set_branch_head(S(e, "id"), head, ahead);
		free(head);
	}
	json_decref(envs);
}

int repo_trigger(const char *project_id, const char *branch, const char *commit, const char *why,
		 bool once, json_t *jobs)
{
	json_t *ids = env_ids_auto_deploy(project_id, branch);
	size_t i;
	json_t *idv;
	int n = 0;
	json_array_foreach(ids, i, idv) {
		struct env_row e;
		if (env_load(json_string_value(idv), &e) < 0)
			continue;
		bool skip = (commit && str_eq(commit, e.deployed_commit)) || /* already runs it */
			    (once && commit && str_eq(commit, e.last_trigger_commit));
		if (skip) {
			env_row_free(&e);
			continue;
		}
		json_t *params = json_pack("{s:s,s:s}", "trigger", why, "branch", branch);
		if (commit)
			json_object_set_new(params, "commit", json_string(commit));
		json_t *audit = json_pack("{s:s,s:s?}", "branch", branch, "commit", commit);
		struct env_action a = {
			.env_id = e.id, .type = "deploy", .params = params,
			/* at most one queued deploy: a newer push replaces the queued one */
			.policy = ENV_Q_REPLACES, .replace_reason = "replaced by a newer push",
			.actor = why, .audit = audit, .trigger_commit = commit,
		};
		json_t *job = NULL;
		struct berr err = {0};
		/* an environment being removed takes no deploy: skipped */
		if (env_action_enqueue(&a, &job, NULL, &err) == 0) {
			if (jobs)
				json_array_append(jobs, json_object_get(job, "id"));
			json_decref(job);
			n++;
		}
		json_decref(params);
		json_decref(audit);
		env_row_free(&e);
	}
	json_decref(ids);
	return n;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

void repo_forget(const char *project_id)
{
	if (!valid_uuid(project_id) || !git_data_dir()[0])
		return;
	char path[PATH_MAX];
	if (snprintf(path, sizeof path, "%s/git/%s", git_data_dir(), project_id) >= (int)sizeof path)
		return;
	nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

char *repo_webhook_secret_new(const char *project_id)
{
	char *secret = xmalloc(41);
	random_hex(secret, 20);
	char *sealed = secret_seal(secret);
	project_set_webhook_secret(project_id, sealed);
	free(sealed);
	return secret;
}

char *repo_webhook_url(const char *project_id)
{
	const char *base = berth_cfg.public_url ? berth_cfg.public_url : "";
	size_t n = strlen(base);
	while (n && base[n - 1] == '/')
		n--;
	return xasprintf("%.*s/api/v1/webhooks/%s", (int)n, base, project_id);
}

/* ---- polling: a task of the scheduler (jobs/sched.h) ---- */

#define POLL_EVERY_MS 5000
static int poller_task;

static void poll_project(const char *project_id)
{
	struct prepo p;
	struct berr err = {0};
	if (prepo_load(&p, project_id, &err) < 0)
		return;
	int64_t now = now_s();
	if (prepo_sync(&p, 0, &err) < 0) {
		project_set_polled(project_id, now, err.message);
		log_event(LOG_WARN, "repository poll failed",
			  json_pack("{s:s,s:s}", "project", project_id, "error", err.message));
		prepo_free(&p);
		return;
	}
	project_set_polled(project_id, now, NULL);
	json_t *branches = project_auto_deploy_branches(project_id);
	size_t i;
	json_t *b;
	json_array_foreach(branches, i, b) {
		const char *br = json_string_value(b);
		char *head = git_resolve(p.mirror, br, true);
		if (head)
			repo_trigger(project_id, br, head, "poll", true, NULL);
		free(head);
	}
	json_decref(branches);
	repo_refresh_envs(&p);
	prepo_free(&p);
}

/* Every few seconds: polls the projects whose interval has passed. */
static void poller_main(void *cls)
{
	(void)cls;
	json_t *due = projects_poll_due(now_s());
	size_t i;
	json_t *r;
	json_array_foreach(due, i, r) {
		if (sched_stopping())
			break;
		poll_project(json_string_value(r));
	}
	json_decref(due);
}

int repo_poller_start(void)
{
	poller_task = sched_every("repository poller", POLL_EVERY_MS, poller_main, NULL);
	return poller_task > 0 ? 0 : -1;
}

void repo_poller_stop(void)
{
	if (poller_task > 0)
		sched_cancel(poller_task);
	poller_task = 0;
}
