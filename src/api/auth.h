#ifndef BERTH_API_AUTH_H
#define BERTH_API_AUTH_H
#include "api/http.h"
/* Resolves the bearer token into r->actor. 0, or -1 with r->err = UNAUTHORIZED. */
int auth_authenticate(struct req *r);
/* Whether a public route is closed whatever the request's body (setup after the first run:
 * r->err = ALREADY_SET_UP). */
bool auth_route_closed(struct req *r, const char *pattern);
/* Records a change in the audit log (details consumed, may be NULL). */
void audit_record(struct req *r, const char *org_id, const char *action, const char *target_type,
		  const char *target_id, json_t *details);
/* Issues a session token for user_id and returns the login answer. */
json_t *auth_issue_session(const char *user_id);
/* Password rules (svc_check_password). 0 or -1 (VALIDATION_ERROR on field). */
int auth_check_password(const char *pw, const char *field, struct berr *err);
/* The caller's effective permissions on a project or an environment (permissions routes):
 * the role's project and environment permissions; only the viewing ones for a read-only API
 * key; without environment.remove for a production environment. */
json_t *auth_effective_permissions(const struct req *r, const struct access *acc,
				   bool production);
#endif
