/* orgs.c: organizations, members, invitations, the organization's plan, usage and audit log. */
#include <string.h>

#include "api/auth.h"
#include "api/http.h"
#include "lib/jspec.h"
#include "lib/secret.h"
#include "lib/valid.h"
#include "store/db.h"
#include "store/model.h"

/* Looks up the organization of r->params[0] for the actor and checks perm (may be NULL). */
static int org_guard(struct req *r, struct access *acc, const char *perm)
{
	if (access_org(&r->actor, r->params[0], acc, &r->err) < 0)
		return -1;
	if (perm && perm_require(acc, perm, &r->err) < 0) {
		access_release(acc);
		return -1;
	}
	return 0;
}

static int h_orgs_list(struct req *r)
{
	return reply_json(r, 200, model_orgs_of_user(r->actor.user_id));
}

static int h_org_create(struct req *r)
{
	const char *name = NULL;
	struct jfield spec[] = {
		{.name = "name", .type = J_STRING, .required = true, .dest = &name, .maxlen = 100},
		JF_END,
	};
	if (jspec_parse(req_body(r), spec, NULL, &r->err) < 0)
		return reply_berr(r);
	if (!*name)
		return reply_error(r, BE_VALIDATION_ERROR, "name", "name: must not be empty");
	db_begin();
	json_t *o = model_org_create(name, r->actor.user_id, NULL, &r->err);
	if (!o) {
		db_rollback();
		return reply_berr(r);
	}
	const char *id = json_string_value(json_object_get(o, "id"));
	audit_record(r, id, "org.create", "organization", id, json_pack("{s:s}", "name", name));
	db_commit();
	return reply_json(r, 201, o);
}

static int h_org_get(struct req *r)
{
	struct access acc;
	if (org_guard(r, &acc, NULL) < 0)
		return reply_berr(r);
	json_t *o = model_org_get(acc.org_id, r->actor.user_id);
	json_object_set_new(o, "plan", model_org_plan(acc.org_id));
	json_t *perms = json_array();
	for (const char *const *p = role_permissions(acc.role); p && *p; p++)
		json_array_append_new(perms, json_string(*p));
	json_object_set_new(o, "permissions", perms);
	access_release(&acc);
	return reply_json(r, 200, o);
}

static int h_org_update(struct req *r)
{
	struct access acc;
	if (org_guard(r, &acc, "org.update") < 0)
		return reply_berr(r);
	const char *name = NULL;
	struct jfield spec[] = {
		{.name = "name", .type = J_STRING, .dest = &name, .maxlen = 100},
		JF_END,
	};
	if (jspec_parse(req_body(r), spec, NULL, &r->err) < 0) {
		access_release(&acc);
		return reply_berr(r);
	}
	if (name) {
		if (!*name) {
			access_release(&acc);
			return reply_error(r, BE_VALIDATION_ERROR, "name", "name: must not be empty");
		}
		db_exec("UPDATE orgs SET name=? WHERE id=?", "ss", name, acc.org_id);
		audit_record(r, acc.org_id, "org.update", "organization", acc.org_id,
			     json_pack("{s:s}", "name", name));
	}
	json_t *o = model_org_get(acc.org_id, r->actor.user_id);
	access_release(&acc);
	return reply_json(r, 200, o);
}

static const char *MEMBER_SELECT =
	"SELECT u.id AS user_id, u.email, u.name, m.role, m.projects, m.created_at AS joined_at"
	" FROM members m JOIN users u ON u.id=m.user_id";

static int h_members_list(struct req *r)
{
	struct access acc;
	if (org_guard(r, &acc, "org.view") < 0)
		return reply_berr(r);
	char *sql = xasprintf("%s WHERE m.org_id=? ORDER BY m.created_at, u.email", MEMBER_SELECT);
	json_t *a = db_rows(sql, "s", acc.org_id);
	free(sql);
	access_release(&acc);
	return reply_json(r, 200, a);
}

/* Validates a "projects" restriction: null or an array of the organization's project ids. */
static int check_projects(struct req *r, const char *org_id, json_t *projects)
{
	if (!projects || json_is_null(projects))
		return 0;
	if (!json_is_array(projects) || json_array_size(projects) > 500)
		return berr_set(&r->err, BE_VALIDATION_ERROR, "projects",
				"projects: must be null (all projects) or an array of project ids");
	size_t i;
	json_t *v;
	json_array_foreach(projects, i, v) {
		const char *id = json_string_value(v);
		if (!id || !valid_uuid(id) ||
		    db_int(0, "SELECT count(*) FROM projects WHERE id=? AND org_id=?", "ss", id, org_id) == 0)
			return berr_set(&r->err, BE_VALIDATION_ERROR, "projects",
					"projects[%zu]: not a project of this organization", i);
	}
	return 0;
}

/* Checks that the acting member may grant or change `role`. */
static int check_role_grant(struct req *r, const struct access *acc, const char *role)
{
	if (!role_valid(role))
		return berr_set(&r->err, BE_VALIDATION_ERROR, "role",
				"role: must be one of owner, admin, developer, viewer");
	if (str_eq(role, "owner") && !perm_has(acc, "member.manage_owners"))
		return berr_set(&r->err, BE_PERMISSION_DENIED, "role",
				"Only owners can make someone an owner");
	return 0;
}

static int h_member_update(struct req *r)
{
	struct access acc;
	if (org_guard(r, &acc, "member.manage") < 0)
		return reply_berr(r);
	const char *role = NULL;
	json_t *projects = NULL;
	bool has_projects = false;
	struct jfield spec[] = {
		{.name = "role", .type = J_STRING, .dest = &role},
		{.name = "projects", .type = J_ANY, .dest = &projects, .present = &has_projects,
		 .nullable = true},
		JF_END,
	};
	char *cur = NULL;
	if (jspec_parse(req_body(r), spec, NULL, &r->err) < 0)
		goto fail;
	cur = db_str("SELECT role FROM members WHERE org_id=? AND user_id=?", "ss", acc.org_id,
		     r->params[1]);
	if (!cur) {
		berr_set(&r->err, BE_USER_NOT_FOUND, NULL, "No member '%s' in this organization",
			 r->params[1]);
		goto fail;
	}
	if (str_eq(cur, "owner") && !perm_has(&acc, "member.manage_owners")) {
		berr_set(&r->err, BE_PERMISSION_DENIED, NULL, "Only owners can change an owner");
		goto fail;
	}
	if (role && check_role_grant(r, &acc, role) < 0)
		goto fail;
	if (has_projects && check_projects(r, acc.org_id, projects) < 0)
		goto fail;
	db_begin();
	if (role && str_eq(cur, "owner") && !str_eq(role, "owner") &&
	    db_int(0, "SELECT count(*) FROM members WHERE org_id=? AND role='owner'", "s", acc.org_id) <= 1) {
		db_rollback();
		berr_set(&r->err, BE_CONFLICT, "role", "An organization keeps at least one owner");
		goto fail;
	}
	if (role)
		db_exec("UPDATE members SET role=? WHERE org_id=? AND user_id=?", "sss", role, acc.org_id,
			r->params[1]);
	if (has_projects)
		db_exec("UPDATE members SET projects=? WHERE org_id=? AND user_id=?", "jss",
			json_is_null(projects) ? NULL : projects, acc.org_id, r->params[1]);
	audit_record(r, acc.org_id, "member.update", "user", r->params[1],
		     json_pack("{s:s?,s:O?}", "role", role, "projects", has_projects ? projects : NULL));
	db_commit();
	char *sql = xasprintf("%s WHERE m.org_id=? AND m.user_id=?", MEMBER_SELECT);
	json_t *m = db_row(sql, "ss", acc.org_id, r->params[1]);
	free(sql);
	free(cur);
	access_release(&acc);
	return reply_json(r, 200, m);
fail:
	free(cur);
	access_release(&acc);
	return reply_berr(r);
}

static int h_member_remove(struct req *r)
{
	struct access acc;
	bool self = str_eq(r->params[1], r->actor.user_id);
	if (org_guard(r, &acc, self ? NULL : "member.manage") < 0)
		return reply_berr(r);
	char *cur = db_str("SELECT role FROM members WHERE org_id=? AND user_id=?", "ss", acc.org_id,
			   r->params[1]);
	int status;
	if (!cur) {
		status = reply_error(r, BE_USER_NOT_FOUND, NULL, "No member '%s' in this organization",
				     r->params[1]);
	} else if (str_eq(cur, "owner") && !self && !perm_has(&acc, "member.manage_owners")) {
		status = reply_error(r, BE_PERMISSION_DENIED, NULL, "Only owners can remove an owner");
	} else if (str_eq(cur, "owner") &&
		   db_int(0, "SELECT count(*) FROM members WHERE org_id=? AND role='owner'", "s",
			  acc.org_id) <= 1) {
		status = reply_error(r, BE_CONFLICT, NULL, "An organization keeps at least one owner");
	} else {
		db_exec("DELETE FROM members WHERE org_id=? AND user_id=?", "ss", acc.org_id, r->params[1]);
		audit_record(r, acc.org_id, "member.remove", "user", r->params[1], NULL);
		status = reply_no_content(r);
	}
	free(cur);
	access_release(&acc);
	return status;
}

static const char *INVITE_COLS = "id, org_id, email, role, projects, invited_by, expires_at,"
				 " accepted_at, created_at";

static int h_invite_create(struct req *r)
{
	struct access acc;
	if (org_guard(r, &acc, "member.manage") < 0)
		return reply_berr(r);
	const char *email = NULL, *role = NULL;
	json_t *projects = NULL;
	long long days = 7;
	struct jfield spec[] = {
		{.name = "email", .type = J_STRING, .required = true, .dest = &email},
		{.name = "role", .type = J_STRING, .required = true, .dest = &role},
		{.name = "projects", .type = J_ANY, .dest = &projects, .nullable = true},
		{.name = "expires_in_days", .type = J_INT, .dest = &days, .imin = 1, .imax = 30},
		JF_END,
	};
	if (jspec_parse(req_body(r), spec, NULL, &r->err) < 0)
		goto fail;
	if (!valid_email(email)) {
		berr_set(&r->err, BE_VALIDATION_ERROR, "email", "email: not a valid address");
		goto fail;
	}
	if (check_role_grant(r, &acc, role) < 0 || check_projects(r, acc.org_id, projects) < 0)
		goto fail;
	if (db_int(0, "SELECT count(*) FROM members m JOIN users u ON u.id=m.user_id"
		      " WHERE m.org_id=? AND u.email=?", "ss", acc.org_id, email) > 0) {
		berr_set(&r->err, BE_CONFLICT, "email", "%s is already a member", email);
		goto fail;
	}
	db_begin();
	struct usage u;
	model_org_usage(acc.org_id, NULL, &u);
	json_t *plan = model_org_plan(acc.org_id);
	long long max = json_integer_value(json_object_get(plan, "max_members"));
	json_decref(plan);
	if (u.members >= max) {
		db_rollback();
		berr_set(&r->err, BE_QUOTA_EXCEEDED, NULL,
			 "Cannot invite - member quota exceeded (%lld of %lld, pending invitations included)",
			 u.members, max);
		goto fail;
	}
	char id[37], hash[65], exp[32];
	uuid4(id);
	char *tok = token_new("bi_");
	token_hash(tok, hash);
	int64_t ts = now_s() + days * 86400;
	iso8601(ts, exp);
	char *now = iso8601_now();
	db_exec("INSERT INTO invitations(id, org_id, email, role, projects, token_hash, invited_by,"
		" expires_at, expires_ts, created_at) VALUES(?,?,?,?,?,?,?,?,?,?)",
		"ssssjsssis", id, acc.org_id, email, role, json_is_null(projects) ? NULL : projects,
		hash, r->actor.user_id, exp, ts, now);
	free(now);
	audit_record(r, acc.org_id, "invitation.create", "invitation", id,
		     json_pack("{s:s,s:s}", "email", email, "role", role));
	db_commit();
	char *sql = xasprintf("SELECT %s FROM invitations WHERE id=?", INVITE_COLS);
	json_t *o = db_row(sql, "s", id);
	free(sql);
	json_object_set_new(o, "token", json_string(tok));
	json_object_set_new(o, "accept_path", json_sprintf("/api/v1/invitations/%s/accept", tok));
	secret_free(tok);
	access_release(&acc);
	return reply_json(r, 201, o);
fail:
	access_release(&acc);
	return reply_berr(r);
}

static int h_invite_list(struct req *r)
{
	struct access acc;
	if (org_guard(r, &acc, "member.manage") < 0)
		return reply_berr(r);
	char *sql = xasprintf("SELECT %s FROM invitations WHERE org_id=? AND accepted_at IS NULL"
			      " ORDER BY created_at", INVITE_COLS);
	json_t *a = db_rows(sql, "s", acc.org_id);
	free(sql);
	access_release(&acc);
	return reply_json(r, 200, a);
}

static int h_invite_delete(struct req *r)
{
	struct access acc;
	if (org_guard(r, &acc, "member.manage") < 0)
		return reply_berr(r);
	db_exec("DELETE FROM invitations WHERE id=? AND org_id=? AND accepted_at IS NULL", "ss",
		r->params[1], acc.org_id);
	int status;
	if (db_changes() == 0) {
		status = reply_error(r, BE_INVITATION_NOT_FOUND, NULL, NULL);
	} else {
		audit_record(r, acc.org_id, "invitation.delete", "invitation", r->params[1], NULL);
		status = reply_no_content(r);
	}
	access_release(&acc);
	return status;
}

static int h_invite_accept(struct req *r)
{
	const char *name = NULL, *password = NULL;
	struct jfield spec[] = {
		{.name = "name", .type = J_STRING, .dest = &name, .maxlen = 100},
		{.name = "password", .type = J_STRING, .dest = &password, .maxlen = 256},
		JF_END,
	};
	if (jspec_parse(req_body(r), spec, NULL, &r->err) < 0)
		return reply_berr(r);
	char hash[65];
	token_hash(r->params[0], hash);
	db_begin();
	json_t *inv = db_row("SELECT id, org_id, email, role, projects FROM invitations"
			     " WHERE token_hash=? AND accepted_at IS NULL AND expires_ts > ?",
			     "si", hash, now_s());
	if (!inv) {
		db_rollback();
		return reply_error(r, BE_INVITATION_NOT_FOUND, NULL, NULL);
	}
	const char *email = json_string_value(json_object_get(inv, "email"));
	const char *org_id = json_string_value(json_object_get(inv, "org_id"));
	char uid[37] = "";
	json_t *ans = NULL;
	if (r->authed) {
		if (strcasecmp(r->actor.email, email) != 0) {
			db_rollback();
			int status = reply_error(r, BE_PERMISSION_DENIED, NULL,
						 "This invitation is for %s; you are logged in as %s",
						 email, r->actor.email);
			json_decref(inv); /* after the reply: email points into it */
			return status;
		}
		snprintf(uid, sizeof uid, "%s", r->actor.user_id);
	} else {
		char *existing = db_str("SELECT id FROM users WHERE email=?", "s", email);
		if (existing) {
			free(existing);
			db_rollback();
			int status = reply_error(r, BE_CONFLICT, NULL,
						 "%s already has an account: log in, then accept with your"
						 " token", email);
			json_decref(inv); /* after the reply: email points into it */
			return status;
		}
		if (!password) {
			db_rollback();
			json_decref(inv);
			return reply_error(r, BE_VALIDATION_ERROR, "password", "password: is required");
		}
		if (auth_check_password(password, "password", &r->err) < 0 ||
		    model_user_create(email, name && *name ? name : email, password, false, uid,
				      &r->err) < 0) {
			db_rollback();
			json_decref(inv);
			return reply_berr(r);
		}
		ans = auth_issue_session(uid);
		r->authed = true;
		snprintf(r->actor.user_id, sizeof r->actor.user_id, "%s", uid);
		snprintf(r->actor.email, sizeof r->actor.email, "%s", email);
	}
	if (db_int(0, "SELECT count(*) FROM members WHERE org_id=? AND user_id=?", "ss", org_id, uid) == 0)
		model_member_add(org_id, uid, json_string_value(json_object_get(inv, "role")),
				 json_is_array(json_object_get(inv, "projects"))
					 ? json_object_get(inv, "projects")
					 : NULL);
	char *now = iso8601_now();
	db_exec("UPDATE invitations SET accepted_at=? WHERE id=?", "ss", now,
		json_string_value(json_object_get(inv, "id")));
	free(now);
	audit_record(r, org_id, "invitation.accept", "user", uid,
		     json_pack("{s:s}", "email", email));
	db_commit();
	if (!ans)
		ans = json_object();
	json_object_set_new(ans, "organization", model_org_get(org_id, uid));
	json_object_set_new(ans, "user", model_user_get(uid));
	json_decref(inv);
	return reply_json(r, 200, ans);
}

static int h_org_plan_set(struct req *r)
{
	struct access acc;
	if (!r->actor.is_admin) {
		if (org_guard(r, &acc, NULL) < 0)
			return reply_berr(r);
		access_release(&acc);
		return reply_error(r, BE_PERMISSION_DENIED, NULL,
				   "Only the platform administrator sets an organization's plan");
	}
	if (db_int(0, "SELECT count(*) FROM orgs WHERE id=?", "s", r->params[0]) == 0)
		return reply_error(r, BE_ORG_NOT_FOUND, NULL, NULL);
	const char *plan_id = NULL;
	struct jfield spec[] = {
		{.name = "plan_id", .type = J_STRING, .required = true, .dest = &plan_id},
		JF_END,
	};
	if (jspec_parse(req_body(r), spec, NULL, &r->err) < 0)
		return reply_berr(r);
	json_t *p = model_plan_get(plan_id);
	if (!p)
		return reply_error(r, BE_PLAN_NOT_FOUND, "plan_id", "plan_id: no plan '%s'", plan_id);
	json_decref(p);
	db_exec("UPDATE orgs SET plan_id=? WHERE id=?", "ss", plan_id, r->params[0]);
	audit_record(r, r->params[0], "org.plan", "organization", r->params[0],
		     json_pack("{s:s}", "plan_id", plan_id));
	json_t *o = model_org_get(r->params[0], r->actor.user_id);
	json_object_set_new(o, "plan", model_org_plan(r->params[0]));
	return reply_json(r, 200, o);
}

static int h_usage(struct req *r)
{
	struct access acc;
	if (org_guard(r, &acc, "org.view") < 0)
		return reply_berr(r);
	json_t *u = model_org_usage_json(acc.org_id);
	access_release(&acc);
	return reply_json(r, 200, u);
}

static int h_audit(struct req *r)
{
	struct access acc;
	if (org_guard(r, &acc, "audit.view") < 0)
		return reply_berr(r);
	const char *ls = req_query(r, "limit"), *bs = req_query(r, "before");
	long long limit = ls ? atoll(ls) : 100, before = bs ? atoll(bs) : 0;
	if (limit < 1 || limit > 1000)
		limit = 100;
	json_t *a = db_rows("SELECT id, user_id, actor, action, target_type, target_id, details,"
			    " source_ip, created_at FROM audit WHERE org_id=? AND (?=0 OR id<?)"
			    " ORDER BY id DESC LIMIT ?",
			    "siii", acc.org_id, (int64_t)before, (int64_t)before, (int64_t)limit);
	access_release(&acc);
	return reply_json(r, 200, a);
}

const struct route org_routes[] = {
	{"GET", "/api/v1/orgs", h_orgs_list, 0},
	{"POST", "/api/v1/orgs", h_org_create, 0},
	{"GET", "/api/v1/orgs/{}", h_org_get, 0},
	{"PATCH", "/api/v1/orgs/{}", h_org_update, 0},
	{"GET", "/api/v1/orgs/{}/members", h_members_list, 0},
	{"PATCH", "/api/v1/orgs/{}/members/{}", h_member_update, 0},
	{"DELETE", "/api/v1/orgs/{}/members/{}", h_member_remove, 0},
	{"POST", "/api/v1/orgs/{}/invitations", h_invite_create, 0},
	{"GET", "/api/v1/orgs/{}/invitations", h_invite_list, 0},
	{"DELETE", "/api/v1/orgs/{}/invitations/{}", h_invite_delete, 0},
	{"POST", "/api/v1/invitations/{}/accept", h_invite_accept, R_PUBLIC},
	{"PUT", "/api/v1/orgs/{}/plan", h_org_plan_set, 0},
	{"GET", "/api/v1/orgs/{}/usage", h_usage, 0},
	{"GET", "/api/v1/orgs/{}/audit", h_audit, 0},
	{NULL, NULL, NULL, 0},
};
