/* orgs.c: the rules of organizations (see svc/orgs.h). */
#include "svc/orgs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "drivers/tz.h"
#include "lib/secret.h"
#include "lib/util.h"
#include "lib/valid.h"
#include "store/db.h"
#include "store/model.h"
#include "store/orgs.h"
#include "store/users.h"
#include "svc/auth.h"

static void audit(const struct actor *a, const char *ip, const char *org_id, const char *action,
		  const char *type, const char *id, json_t *details)
{
	model_audit(org_id, a ? a->user_id : NULL, a ? a->email : NULL, action, type, id, details,
		    ip);
}

/* ---- organizations ---- */

struct create_ctx {
	const struct actor *a;
	const char *ip, *name;
	json_t *org;
};

static int create_tx(void *p, struct berr *err)
{
	struct create_ctx *c = p;
	json_decref(c->org);
	c->org = model_org_create(c->name, c->a->user_id, NULL, err);
	if (!c->org)
		return -1;
	const char *id = json_string_value(json_object_get(c->org, "id"));
	audit(c->a, c->ip, id, "org.create", "organization", id, json_pack("{s:s}", "name", c->name));
	return 0;
}

json_t *svc_org_create(const struct actor *a, const char *ip, const char *name, struct berr *err)
{
	if (!*name) {
		berr_set(err, BE_VALIDATION_ERROR, "name", "name: must not be empty");
		return NULL;
	}
	struct create_ctx c = {.a = a, .ip = ip, .name = name};
	if (db_tx(create_tx, &c, err) < 0) {
		json_decref(c.org);
		return NULL;
	}
	return c.org;
}

json_t *svc_org_update(const struct actor *a, const char *ip, const char *org_id,
		       const char *name, const char *timezone, struct berr *err)
{
	if (name && !*name) {
		berr_set(err, BE_VALIDATION_ERROR, "name", "name: must not be empty");
		return NULL;
	}
	if (timezone && tz_check("timezone", timezone, err) < 0)
		return NULL;
	if ((name && orgs_rename(org_id, name) < 0) ||
	    (timezone && orgs_set_timezone(org_id, timezone) < 0)) {
		berr_set(err, BE_INTERNAL_ERROR, NULL, NULL);
		return NULL;
	}
	if (name || timezone) {
		json_t *d = json_object();
		if (name)
			json_object_set_new(d, "name", json_string(name));
		if (timezone)
			json_object_set_new(d, "timezone", json_string(timezone));
		audit(a, ip, org_id, "org.update", "organization", org_id, d);
	}
	return model_org_get(org_id, a->user_id);
}

json_t *svc_org_plan_set(const struct actor *a, const char *ip, const char *org_id,
			 const char *plan_id, struct berr *err)
{
	json_t *p = model_plan_get(plan_id);
	if (!p) {
		berr_set(err, BE_PLAN_NOT_FOUND, "plan_id", "plan_id: no plan '%s'", plan_id);
		return NULL;
	}
	json_decref(p);
	if (orgs_set_plan(org_id, plan_id) < 0) {
		berr_set(err, BE_INTERNAL_ERROR, NULL, NULL);
		return NULL;
	}
	audit(a, ip, org_id, "org.plan", "organization", org_id, json_pack("{s:s}", "plan_id", plan_id));
	json_t *o = model_org_get(org_id, a->user_id);
	json_object_set_new(o, "plan", model_org_plan(org_id));
	return o;
}

/* ---- members ---- */

/* A "projects" restriction: null or an array of the organization's project ids. */
static int check_projects(const char *org_id, json_t *projects, struct berr *err)
{
	if (!projects || json_is_null(projects))
		return 0;
	if (!json_is_array(projects) || json_array_size(projects) > 500)
		return berr_set(err, BE_VALIDATION_ERROR, "projects",
				"projects: must be null (all projects) or an array of project ids");
	size_t i;
	json_t *v;
	json_array_foreach(projects, i, v) {
		const char *id = json_string_value(v);
		if (!id || !valid_uuid(id) || !orgs_has_project(org_id, id))
			return berr_set(err, BE_VALIDATION_ERROR, "projects",
					"projects[%zu]: not a project of this organization", i);
	}
	return 0;
}

static int role_rank(const char *role)
{
	static const char *const order[] = {"viewer", "developer", "admin", "owner"};
	for (int i = 0; i < 4; i++)
		if (str_eq(role, order[i]))
			return i;
	return -1;
}

/* The acting member may grant `role`: only what they hold. */
static int check_role_grant(const struct access *acc, const char *role, struct berr *err)
{
	if (!role_valid(role))
		return berr_set(err, BE_VALIDATION_ERROR, "role",
				"role: must be one of owner, admin, developer, viewer");
	if (str_eq(role, "owner") && !perm_has(acc, "member.manage_owners"))
		return berr_set(err, BE_PERMISSION_DENIED, "role", "Only owners can make someone an owner");
	if (role_rank(role) > role_rank(acc->role))
		return berr_set(err, BE_PERMISSION_DENIED, "role",
				"You can grant only a role you hold (%s)", acc->role);
	return 0;
}

/* A project-limited member reaches only members and invitations limited to (a part of) their
 * own projects: projects (the member's or invitation's list; null: all) must be within the
 * actor's. */
static bool within_own_projects(const struct access *acc, json_t *projects)
{
	if (!acc->projects)
		return true;
	if (!json_is_array(projects))
		return false;
	size_t i;
	json_t *v;
	json_array_foreach(projects, i, v)
		if (!json_is_string(v) || !access_project_allowed(acc, json_string_value(v)))
			return false;
	return true;
}

static int deny_beyond_projects(struct berr *err)
{
	return berr_set(err, BE_PERMISSION_DENIED, "projects",
			"Your membership is limited to some projects: you can grant or manage only"
			" those projects (a list within yours, not all)");
}

struct member_ctx {
	const struct actor *a;
	const char *ip, *org_id, *uid, *cur, *role;
	bool has_projects;
	json_t *projects;
};

static int member_update_tx(void *p, struct berr *err)
{
	struct member_ctx *c = p;
	if (c->role && str_eq(c->cur, "owner") && !str_eq(c->role, "owner") &&
	    members_owner_count(c->org_id) <= 1)
		return berr_set(err, BE_CONFLICT, "role", "An organization keeps at least one owner");
	if (c->role && members_set_role(c->org_id, c->uid, c->role) < 0)
		return berr_set(err, BE_INTERNAL_ERROR, NULL, NULL);
	if (c->has_projects &&
	    members_set_projects(c->org_id, c->uid, json_is_null(c->projects) ? NULL : c->projects) < 0)
		return berr_set(err, BE_INTERNAL_ERROR, NULL, NULL);
	audit(c->a, c->ip, c->org_id, "member.update", "user", c->uid,
	      json_pack("{s:s?,s:O?}", "role", c->role, "projects",
			c->has_projects ? c->projects : NULL));
	return 0;
}

json_t *svc_member_update(const struct actor *a, const char *ip, const struct access *acc,
			  const char *user_id, const char *role, bool has_projects,
			  json_t *projects, struct berr *err)
{
	char *cur = members_role(acc->org_id, user_id);
	json_t *out = NULL;
	if (!cur) {
		berr_set(err, BE_USER_NOT_FOUND, NULL, "No member '%s' in this organization", user_id);
		return NULL;
	}
	if (str_eq(user_id, a->user_id) && (role || has_projects)) {
		/* no one grants themselves anything; the last owner hears why they stay one */
		if (role && str_eq(cur, "owner") && !str_eq(role, "owner") &&
		    members_owner_count(acc->org_id) <= 1)
			berr_set(err, BE_CONFLICT, "role", "An organization keeps at least one owner");
		else
			berr_set(err, BE_PERMISSION_DENIED, role ? "role" : "projects",
				 "You cannot change your own role or projects");
		goto done;
	}
	if (str_eq(cur, "owner") && !perm_has(acc, "member.manage_owners")) {
		berr_set(err, BE_PERMISSION_DENIED, NULL, "Only owners can change an owner");
		goto done;
	}
	if (role && check_role_grant(acc, role, err) < 0)
		goto done;
	if (has_projects && check_projects(acc->org_id, projects, err) < 0)
		goto done;
	if (acc->projects) {
		/* the member's list, before and after the change, within the actor's */
		json_t *m = members_get(acc->org_id, user_id);
		bool ok = within_own_projects(acc, json_object_get(m, "projects")) &&
			  (!has_projects || within_own_projects(acc, projects));
		json_decref(m);
		if (!ok) {
			deny_beyond_projects(err);
			goto done;
		}
	}
	struct member_ctx c = {.a = a, .ip = ip, .org_id = acc->org_id, .uid = user_id, .cur = cur,
			       .role = role, .has_projects = has_projects, .projects = projects};
	if (db_tx(member_update_tx, &c, err) == 0)
		out = members_get(acc->org_id, user_id);
done:
	free(cur);
	return out;
}

static bool member_within(const struct access *acc, const char *user_id)
{
	json_t *m = members_get(acc->org_id, user_id);
	bool ok = within_own_projects(acc, json_object_get(m, "projects"));
	json_decref(m);
	return ok;
}

int svc_member_remove(const struct actor *a, const char *ip, const struct access *acc,
		      const char *user_id, struct berr *err)
{
	bool self = str_eq(user_id, a->user_id);
	char *cur = members_role(acc->org_id, user_id);
	int rc = -1;
	if (!cur)
		berr_set(err, BE_USER_NOT_FOUND, NULL, "No member '%s' in this organization", user_id);
	else if (str_eq(cur, "owner") && !self && !perm_has(acc, "member.manage_owners"))
		berr_set(err, BE_PERMISSION_DENIED, NULL, "Only owners can remove an owner");
	else if (!self && acc->projects && !member_within(acc, user_id))
		deny_beyond_projects(err);
	else if (str_eq(cur, "owner") && members_owner_count(acc->org_id) <= 1)
		berr_set(err, BE_CONFLICT, NULL, "An organization keeps at least one owner");
	else if (members_remove(acc->org_id, user_id) < 0)
		berr_set(err, BE_INTERNAL_ERROR, NULL, NULL);
	else {
		audit(a, ip, acc->org_id, "member.remove", "user", user_id, NULL);
		rc = 0;
	}
	free(cur);
	return rc;
}

/* ---- invitations ---- */

struct invite_ctx {
	const struct actor *a;
	const char *ip;
	const struct invitation_new *n;
};

static int invite_tx(void *p, struct berr *err)
{
	struct invite_ctx *c = p;
	struct usage u;
	model_org_usage(c->n->org_id, NULL, &u);
	json_t *plan = model_org_plan(c->n->org_id);
	long long max = json_integer_value(json_object_get(plan, "max_members"));
	json_decref(plan);
	if (u.members >= max)
		return berr_set(err, BE_QUOTA_EXCEEDED, NULL,
				"Cannot invite - member quota exceeded (%lld of %lld, pending"
				" invitations included)", u.members, max);
	if (invitations_insert(c->n) < 0)
		return berr_set(err, BE_INTERNAL_ERROR, NULL, NULL);
	audit(c->a, c->ip, c->n->org_id, "invitation.create", "invitation", c->n->id,
	      json_pack("{s:s,s:s}", "email", c->n->email, "role", c->n->role));
	return 0;
}

json_t *svc_invite_create(const struct actor *a, const char *ip, const struct access *acc,
			  const char *email, const char *role, json_t *projects, long long days,
			  struct berr *err)
{
	if (!valid_email(email)) {
		berr_set(err, BE_VALIDATION_ERROR, "email", "email: not a valid address");
		return NULL;
	}
	if (check_role_grant(acc, role, err) < 0 || check_projects(acc->org_id, projects, err) < 0)
		return NULL;
	if (!within_own_projects(acc, projects)) {
		deny_beyond_projects(err);
		return NULL;
	}
	if (members_has_email(acc->org_id, email)) {
		berr_set(err, BE_CONFLICT, "email", "%s is already a member", email);
		return NULL;
	}
	char id[37], hash[65];
	uuid4(id);
	char *tok = token_new("bi_");
	token_hash(tok, hash);
	struct invitation_new n = {
		.id = id,
		.org_id = acc->org_id,
		.email = email,
		.role = role,
		.token_hash = hash,
		.invited_by = a->user_id,
		.projects = json_is_null(projects) ? NULL : projects,
		.expires_ts = now_s() + days * 86400,
	};
	struct invite_ctx c = {.a = a, .ip = ip, .n = &n};
	if (db_tx(invite_tx, &c, err) < 0) {
		secret_free(tok);
		return NULL;
	}
	json_t *o = invitations_get(id);
	json_object_set_new(o, "token", json_string(tok));
	json_object_set_new(o, "accept_path", json_sprintf("/api/v1/invitations/%s/accept", tok));
	secret_free(tok);
	return o;
}

int svc_invite_delete(const struct actor *a, const char *ip, const struct access *acc,
		      const char *id, struct berr *err)
{
	const char *org_id = acc->org_id;
	json_t *inv = invitations_get(id);
	if (inv && str_eq(json_string_value(json_object_get(inv, "org_id")), org_id)) {
		/* only owners withdraw an owner's invitation; a project-limited member only those
		 * within their projects */
		bool owner = str_eq(json_string_value(json_object_get(inv, "role")), "owner");
		bool ok = within_own_projects(acc, json_object_get(inv, "projects"));
		json_decref(inv);
		if (owner && !perm_has(acc, "member.manage_owners"))
			return berr_set(err, BE_PERMISSION_DENIED, NULL,
					"Only owners can withdraw an owner's invitation");
		if (!ok)
			return deny_beyond_projects(err);
	} else {
		json_decref(inv);
	}
	int rc = invitations_delete(id, org_id);
	if (rc < 0)
		return berr_set(err, BE_INTERNAL_ERROR, NULL, NULL);
	if (rc == 0)
		return berr_set(err, BE_INVITATION_NOT_FOUND, NULL, NULL);
	audit(a, ip, org_id, "invitation.delete", "invitation", id, NULL);
	return 0;
}

struct accept_ctx {
	const struct actor *a;
	const char *ip, *token, *name, *password;
	int64_t ttl;
	char uid[37], org_id[37], email[256];
	json_t *ans;
};

static int accept_tx(void *p, struct berr *err)
{
	struct accept_ctx *c = p;
	json_decref(c->ans);
	c->ans = NULL;
	char hash[65];
	token_hash(c->token, hash);
	struct invitation_row inv;
	if (invitations_by_token(hash, now_s(), &inv) < 0)
		return berr_set(err, BE_INVITATION_NOT_FOUND, NULL, NULL);
	snprintf(c->org_id, sizeof c->org_id, "%s", inv.org_id);
	snprintf(c->email, sizeof c->email, "%s", inv.email);
	int rc = -1;
	if (c->a) {
		if (strcasecmp(c->a->email, inv.email) != 0) {
			berr_set(err, BE_PERMISSION_DENIED, NULL,
				 "This invitation is for %s; you are logged in as %s", inv.email,
				 c->a->email);
			goto done;
		}
		snprintf(c->uid, sizeof c->uid, "%s", c->a->user_id);
	} else {
		char *existing = users_id_by_email(inv.email);
		if (existing) {
			free(existing);
			berr_set(err, BE_CONFLICT, NULL,
				 "%s already has an account: log in, then accept with your token",
				 inv.email);
			goto done;
		}
		if (!c->password) {
			berr_set(err, BE_VALIDATION_ERROR, "password", "password: is required");
			goto done;
		}
		if (svc_check_password(c->password, "password", err) < 0 ||
		    model_user_create(inv.email, c->name && *c->name ? c->name : inv.email, c->password,
				      false, c->uid, err) < 0)
			goto done;
		c->ans = svc_session_issue(c->uid, c->ttl);
	}
	char *member = members_role(inv.org_id, c->uid);
	if (!member)
		model_member_add(inv.org_id, c->uid, inv.role, inv.projects);
	free(member);
	if (invitations_mark_accepted(inv.id) < 0) {
		berr_set(err, BE_INTERNAL_ERROR, NULL, NULL);
		goto done;
	}
	model_audit(inv.org_id, c->uid, c->a ? c->a->email : inv.email, "invitation.accept", "user",
		    c->uid,
		    json_pack("{s:s}", "email", inv.email), c->ip);
	rc = 0;
done:
	invitation_row_free(&inv);
	return rc;
}

json_t *svc_invite_accept(const struct actor *a, const char *ip, const char *token,
			  const char *name, const char *password, int64_t ttl, struct actor *who,
			  struct berr *err)
{
	struct accept_ctx c = {.a = a, .ip = ip, .token = token, .name = name, .password = password,
			       .ttl = ttl};
	if (db_tx(accept_tx, &c, err) < 0) {
		json_decref(c.ans);
		return NULL;
	}
	if (who && !a) {
		memset(who, 0, sizeof *who);
		snprintf(who->user_id, sizeof who->user_id, "%s", c.uid);
		snprintf(who->email, sizeof who->email, "%s", c.email);
	}
	json_t *ans = c.ans ? c.ans : json_object();
	json_object_set_new(ans, "organization", model_org_get(c.org_id, c.uid));
	json_object_set_new(ans, "user", model_user_get(c.uid));
	return ans;
}
