/* access.h: tenancy and permissions, enforced where objects are read. Every lookup of an
 * organization's object goes through one of these, which answer "not found" for objects of
 * organizations the actor is not a member of (or projects outside the member's list). */
#ifndef BERTH_ACCESS_H
#define BERTH_ACCESS_H
#include <jansson.h>
#include <stdbool.h>
#include "lib/errors.h"

struct db_snap;

struct actor {
	char user_id[37];
	char email[256];
	char token_id[37];
	bool is_admin;   /* platform administrator */
	bool read_only;  /* a read-only API key */
	bool is_api_key;
};

struct access {
	char org_id[37];
	char role[16];
	json_t *projects; /* allowed project ids, or NULL for all */
};

int access_org(const struct actor *a, const char *org_id, struct access *acc, struct berr *err);
json_t *access_project(const struct actor *a, const char *project_id, struct access *acc,
		       struct berr *err);
/* As access_project without the project's row: 0, or -1 with err set (one statement).
 * With snap, the database's snapshot that statement read is put there when it can be used
 * for db_memo (*snap_ok; see db_snapshot_from). */
int access_project_check(const struct actor *a, const char *project_id, struct access *acc,
			 struct berr *err, struct db_snap *snap, bool *snap_ok);
json_t *access_server(const struct actor *a, const char *server_id, struct access *acc,
		      struct berr *err);
/* As access_server; the platform administrator also reaches the local servers (berthd's own
 * Docker Engine) of organizations it is not a member of, as their owner would. */
json_t *access_server_platform(const struct actor *a, const char *server_id, struct access *acc,
			       struct berr *err);
/* As access_org; the platform administrator also reaches organizations it is not a member
 * of (as their owner would) where it assigns a local server. */
int access_org_platform(const struct actor *a, const char *org_id, struct access *acc,
			struct berr *err);
json_t *access_env(const struct actor *a, const char *env_id, struct access *acc,
		   struct berr *err);
bool access_project_allowed(const struct access *acc, const char *project_id);
void access_release(struct access *acc);

bool role_valid(const char *role);
bool role_has(const char *role, const char *perm);
/* NULL-terminated list of a role's permissions. */
const char *const *role_permissions(const char *role);
bool perm_has(const struct access *acc, const char *perm);
/* 0, or -1 with PERMISSION_DENIED naming the permission. */
int perm_require(const struct access *acc, const char *perm, struct berr *err);
#endif
