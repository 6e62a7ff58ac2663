/* model.h: the control plane's objects in the store. Functions that take an org_id trust it:
 * callers obtain it from access_*() (store/access.h), which enforces tenancy. */
#ifndef BERTH_MODEL_H
#define BERTH_MODEL_H
#include <jansson.h>
#include <stdbool.h>
#include "lib/errors.h"

/* users */
int model_user_create(const char *email, const char *name, const char *password, bool is_admin,
		      char uid[37], struct berr *err);
json_t *model_user_get(const char *uid);

/* plans */
void model_seed_plans(void);
json_t *model_plan_get(const char *plan_id);
json_t *model_org_plan(const char *org_id);

/* organizations */
json_t *model_org_create(const char *name, const char *owner_uid, const char *plan_name,
			 struct berr *err);
json_t *model_org_get(const char *org_id, const char *uid);
json_t *model_orgs_of_user(const char *uid);
int model_member_add(const char *org_id, const char *uid, const char *role, json_t *projects);

/* usage: allocation against quota for an organization. exclude_env_id leaves one environment
 * out (for updates). */
struct usage {
	double cpu_cores;
	long long ram_mb, disk_gb;
	long long environments, servers, projects, members;
};
void model_org_usage(const char *org_id, const char *exclude_env_id, struct usage *u);
json_t *model_org_usage_json(const char *org_id);

/* servers: capacity, allocation (read replicas count 30% CPU/RAM and 100% disk). */
struct server_alloc {
	double cpu_cores;
	long long ram_mb, disk_gb, environments;
};
void model_server_alloc(const char *server_id, const char *exclude_env_id, struct server_alloc *a);
json_t *model_server_get(const char *server_id); /* with capacity, allocated, remaining */
json_t *model_servers_of_org(const char *org_id);

/* settings */
/* One audit entry (and its "change" log line); details is consumed, may be NULL. actor is
 * the user's email, or what acted ("push", "poll", "merge"). */
void model_audit(const char *org_id, const char *user_id, const char *actor, const char *action,
		 const char *target_type, const char *target_id, json_t *details, const char *ip);
char *model_setting_get(const char *key);
void model_setting_set(const char *key, const char *value);
#endif
