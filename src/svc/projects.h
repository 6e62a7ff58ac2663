/* projects.h: the rules for projects: create (quota, unique slug, credentials sealed, a
 * webhook secret shown once), update (the Odoo version is fixed while environments exist),
 * delete (refused while environments exist; the mirrors go with it). Callers (the API) check
 * access and permissions first and check the request's form; every change is audited as the
 * actor, from ip (credentials show as "(set)", never their value). */
#ifndef BERTH_SVC_PROJECTS_H
#define BERTH_SVC_PROJECTS_H
#include <jansson.h>
#include <stdbool.h>
#include "lib/errors.h"
#include "store/access.h"

struct project_in {
	const char *name, *odoo_version, *repository_url, *default_branch;
	const char *deploy_key, *access_token, *git_username;
	long long poll_interval;
	bool has_repo, has_key, has_token, has_user, has_poll;
	/* made by svc_project_check from deploy_key */
	char *key_private, *key_public;
};

/* Checks the fields' rules (versions, URLs, branch names, credentials) and makes the deploy
 * key pair (deploy_key "generate") or its public half. 0 or -1. */
int svc_project_check(struct project_in *in, const char *org_id, struct berr *err);
void svc_project_in_free(struct project_in *in);
/* The created project's id and its webhook secret (shown once; secret_free it). 0 or -1.
 * audit: the request as the audit log shows it (consumed). */
int svc_project_create(const struct actor *a, const char *ip, const char *org_id,
		       const struct project_in *in, json_t *audit, char id[37], char **webhook_secret,
		       struct berr *err);
int svc_project_update(const struct actor *a, const char *ip, const char *org_id,
		       const char *project_id, const struct project_in *in, json_t *audit,
		       struct berr *err);
int svc_project_delete(const struct actor *a, const char *ip, const char *org_id,
		       const char *project_id, struct berr *err);
/* A new webhook secret (shown once; secret_free it), or NULL. */
char *svc_project_webhook_rotate(const struct actor *a, const char *ip, const char *org_id,
				 const char *project_id, struct berr *err);
/* The project as the API shows it (has_* flags, webhook_url), or NULL; lists. */
json_t *svc_project_json(const char *project_id);
json_t *svc_projects_json(const char *org_id, json_t *project_ids);
#endif
