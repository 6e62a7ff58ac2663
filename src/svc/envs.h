/* envs.h: the rules for environments: create (branch check, resources and the PostgreSQL
 * split, quota, server state and capacity, placement, unique names and subdomains, the Odoo
 * administrator's login and password), update (the same checks for what changes, written at
 * once) and removal (a job). Callers (the API) check access and permissions first and parse
 * the request into struct env_in; every change is audited as the actor, from ip. */
#ifndef BERTH_SVC_ENVS_H
#define BERTH_SVC_ENVS_H
#include <jansson.h>
#include <stdbool.h>
#include "lib/errors.h"
#include "store/access.h"

/* A create or update request, checked for form by the caller. */
struct env_in {
	const char *name, *env_type, *vm_id, *subdomain, *custom_domain, *git_branch, *admin_login;
	double cpu, pg_cpu;
	long long ram, disk, pg_ram;
	bool auto_deploy, pgtune, pgbouncer, replica, auto_restart;
	json_t *odoo_config, *vars, *addons;
	bool has_cpu, has_ram, has_disk, has_pg_cpu, has_pg_ram, has_auto, has_pgtune, has_pgbouncer,
		has_replica, has_custom_domain, has_subdomain, has_auto_restart;
	bool pg_cpu_null, pg_ram_null; /* postgres_* given as null */
	/* update: a change of the settings object (core/settings.h; a key set to null returns to
	 * its default), NULL: none; checked by svc_env_settings_check. It is applied by the next
	 * deploy or restart (the settings API, svc/settings.h, answers what that needs). */
	json_t *settings;
	/* create: called in create's transaction once the row is written (a clone's own records
	 * and its job, svc/clones.c); NULL for a plain create */
	int (*in_tx)(void *cls, const char *env_id, struct berr *err);
	void *in_tx_cls;
};

/* A change of the settings object (keys set to null return to their default): every key
 * checked against the registry (VALIDATION_ERROR naming it) and its plan flag
 * (PLAN_FEATURE_UNAVAILABLE naming it and the flag), a backup schedule only for production
 * and staging (CONFLICT), extra domains unique (svc/settings.h). 0 or -1 with err. */
struct env_row;
int svc_env_settings_check(const struct env_row *cur, json_t *patch, struct berr *err);

/* How long a project's mirror counts as fresh for checking a branch, and how long a fetch
 * made for it may take. */
#define ENV_BRANCH_FRESH_S 60
#define ENV_BRANCH_FETCH_TIMEOUT_S 30

/* Creates the environment in the project (acc: the actor's access to it). Writes its id and
 * the Odoo administrator's password (shown once) and returns 0, or -1 with err set. */
int svc_env_create(const struct actor *a, const char *ip, const struct access *acc,
		   const char *project_id, const struct env_in *in, char id[37],
		   char admin_password[25], struct berr *err);
/* Applies a change; `fields` (the request's keys) go to the audit log. 0 or -1. */
int svc_env_update(const struct actor *a, const char *ip, const struct access *acc,
		   const char *env_id, const struct env_in *in, json_t *fields, struct berr *err);
/* Queues the removal: PRODUCTION_PROTECTED for production, CONFIRMATION_REQUIRED unless
 * confirm is "DELETE". The job, or NULL with err set. */
json_t *svc_env_remove(const struct actor *a, const char *ip, const char *env_id,
		       const char *confirm, struct berr *err);
/* addon_repositories' rules (core/envspec.h), local paths only under the organization's
 * directory of a --git-local-root. */
int svc_env_addons_validate(json_t *addons, const char *org_id, struct berr *err);
/* Is the subdomain used by an environment? */
bool svc_subdomain_taken(const char *subdomain);
/* Whether another tenant uses a subdomain is for checking a name, not for surveying them:
 * at most SUBCHECK_PER_MINUTE checks a minute per user; 0, or -1 with TOO_MANY_ATTEMPTS. */
#define SUBCHECK_PER_MINUTE 30
int svc_subdomain_check_allow(const char *user_id, struct berr *err);
#endif
