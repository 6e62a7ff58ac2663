/* orgs.h: the rules of organizations: creation, renaming, members (roles, project
 * restrictions, at least one owner), invitations (member quota, acceptance by a new or a
 * logged-in user), the organization's plan. The caller resolves access (store/access.h) and
 * the permission of the route; every change is audited as the actor, from ip. */
#ifndef BERTH_SVC_ORGS_H
#define BERTH_SVC_ORGS_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include "lib/errors.h"
#include "store/access.h"

/* The new organization, the actor its owner; or NULL with err. */
json_t *svc_org_create(const struct actor *a, const char *ip, const char *name, struct berr *err);
/* name, timezone NULL: unchanged (timezone: an IANA name, drivers/tz.h). The organization,
 * or NULL with err. */
json_t *svc_org_update(const struct actor *a, const char *ip, const char *org_id,
		       const char *name, const char *timezone, struct berr *err);
/* Changes a member's role and/or project restriction (has_projects; projects null: all).
 * A member grants only what they hold: no one changes their own role or projects (the last
 * owner demoting themselves: CONFLICT), a role no higher than the actor's, owners only by
 * owners, and a project-limited actor only lists within their own projects (for members whose
 * list stays within them). Removal follows the same owner and project rules (anyone may leave). */
json_t *svc_member_update(const struct actor *a, const char *ip, const struct access *acc,
			  const char *user_id, const char *role, bool has_projects,
			  json_t *projects, struct berr *err);
int svc_member_remove(const struct actor *a, const char *ip, const struct access *acc,
		      const char *user_id, struct berr *err);
/* The invitation with its token (shown once) and accept_path. The same grant rules as
 * svc_member_update: a project-limited actor invites only within their projects. */
json_t *svc_invite_create(const struct actor *a, const char *ip, const struct access *acc,
			  const char *email, const char *role, json_t *projects, long long days,
			  struct berr *err);
/* Withdraws a pending invitation (an owner's: owners only; a project-limited member: only
 * invitations within their projects). */
int svc_invite_delete(const struct actor *a, const char *ip, const struct access *acc,
		      const char *id, struct berr *err);
/* Accepts an invitation by its token: as the logged-in actor (a non-NULL, same email), or as
 * a new user (name, password). The answer (a session for a new user, "organization",
 * "user"); *who becomes the accepting user. */
json_t *svc_invite_accept(const struct actor *a, const char *ip, const char *token,
			  const char *name, const char *password, int64_t ttl, struct actor *who,
			  struct berr *err);
/* Sets the plan (PLAN_NOT_FOUND on plan_id). The organization with "plan". */
json_t *svc_org_plan_set(const struct actor *a, const char *ip, const char *org_id,
			 const char *plan_id, struct berr *err);
#endif
