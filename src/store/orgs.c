/* orgs.c: organizations, members, invitations, audit log. */
#include "store/orgs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"
#include "store/db.h"

bool orgs_exists(const char *org_id)
{
	return db_int(0, "SELECT count(*) FROM orgs WHERE id=?", "s", org_id) > 0;
}

char *orgs_first_id(void)
{
	return db_str("SELECT id FROM orgs ORDER BY created_at LIMIT 1", "");
}

int orgs_rename(const char *org_id, const char *name)
{
	return db_exec("UPDATE orgs SET name=? WHERE id=?", "ss", name, org_id) < 0 ? -1 : 0;
}

int orgs_set_plan(const char *org_id, const char *plan_id)
{
	return db_exec("UPDATE orgs SET plan_id=? WHERE id=?", "ss", plan_id, org_id) < 0 ? -1 : 0;
}

int orgs_set_timezone(const char *org_id, const char *timezone)
{
	return db_exec("UPDATE orgs SET timezone=? WHERE id=?", "ss", timezone, org_id) < 0 ? -1 : 0;
}

char *orgs_timezone(const char *org_id)
{
	char *tz = db_str("SELECT timezone FROM orgs WHERE id=?", "s", org_id);
	return tz ? tz : xstrdup("UTC");
}

bool orgs_has_project(const char *org_id, const char *project_id)
{
	return db_int(0, "SELECT count(*) FROM projects WHERE id=? AND org_id=?", "ss", project_id,
		      org_id) > 0;
}

#define MEMBER_SELECT                                                                          \
	"SELECT u.id AS user_id, u.email, u.name, m.role, m.projects, m.created_at AS joined_at" \
	" FROM members m JOIN users u ON u.id=m.user_id"

json_t *members_list(const char *org_id)
{
	return db_rows(MEMBER_SELECT " WHERE m.org_id=? ORDER BY m.created_at, u.email", "s", org_id);
}

json_t *members_get(const char *org_id, const char *user_id)
{
	return db_row(MEMBER_SELECT " WHERE m.org_id=? AND m.user_id=?", "ss", org_id, user_id);
}

char *members_role(const char *org_id, const char *user_id)
{
	return db_str("SELECT role FROM members WHERE org_id=? AND user_id=?", "ss", org_id, user_id);
}

int64_t members_owner_count(const char *org_id)
{
	return db_int(0, "SELECT count(*) FROM members WHERE org_id=? AND role='owner'", "s", org_id);
}

bool members_has_email(const char *org_id, const char *email)
{
	return db_int(0, "SELECT count(*) FROM members m JOIN users u ON u.id=m.user_id"
			 " WHERE m.org_id=? AND u.email=?", "ss", org_id, email) > 0;
}

int members_set_role(const char *org_id, const char *user_id, const char *role)
{
	return db_exec("UPDATE members SET role=? WHERE org_id=? AND user_id=?", "sss", role, org_id,
		       user_id) < 0 ? -1 : 0;
}

int members_set_projects(const char *org_id, const char *user_id, json_t *projects)
{
	return db_exec("UPDATE members SET projects=? WHERE org_id=? AND user_id=?", "jss", projects,
		       org_id, user_id) < 0 ? -1 : 0;
}

int members_remove(const char *org_id, const char *user_id)
{
	return db_exec("DELETE FROM members WHERE org_id=? AND user_id=?", "ss", org_id, user_id) < 0
		       ? -1
		       : 0;
}

#define INVITE_COLS                                                                            \
	"id, org_id, email, role, projects, invited_by, expires_at, accepted_at, created_at"

int invitations_insert(const struct invitation_new *n)
{
	char exp[32];
	iso8601(n->expires_ts, exp);
	char *now = iso8601_now();
	int rc = db_exec("INSERT INTO invitations(id, org_id, email, role, projects, token_hash,"
			 " invited_by, expires_at, expires_ts, created_at) VALUES(?,?,?,?,?,?,?,?,?,?)",
			 "ssssjsssis", n->id, n->org_id, n->email, n->role, n->projects,
			 n->token_hash, n->invited_by, exp, n->expires_ts, now);
	free(now);
	return rc < 0 ? -1 : 0;
}

json_t *invitations_get(const char *id)
{
	return db_row("SELECT " INVITE_COLS " FROM invitations WHERE id=?", "s", id);
}

json_t *invitations_pending(const char *org_id)
{
	return db_rows("SELECT " INVITE_COLS " FROM invitations WHERE org_id=? AND accepted_at IS NULL"
		       " ORDER BY created_at", "s", org_id);
}

int invitations_delete(const char *id, const char *org_id)
{
	if (db_exec("DELETE FROM invitations WHERE id=? AND org_id=? AND accepted_at IS NULL", "ss",
		    id, org_id) < 0)
		return -1;
	return db_changes() > 0 ? 1 : 0;
}

int invitations_by_token(const char *token_hash, int64_t now, struct invitation_row *r)
{
	memset(r, 0, sizeof *r);
	json_t *inv = db_row("SELECT id, org_id, email, role, projects FROM invitations"
			     " WHERE token_hash=? AND accepted_at IS NULL AND expires_ts > ?",
			     "si", token_hash, now);
	if (!inv)
		return -1;
	snprintf(r->id, sizeof r->id, "%s", json_string_value(json_object_get(inv, "id")));
	snprintf(r->org_id, sizeof r->org_id, "%s", json_string_value(json_object_get(inv, "org_id")));
	snprintf(r->email, sizeof r->email, "%s", json_string_value(json_object_get(inv, "email")));
	snprintf(r->role, sizeof r->role, "%s", json_string_value(json_object_get(inv, "role")));
	json_t *p = json_object_get(inv, "projects");
	r->projects = json_is_array(p) ? json_incref(p) : NULL;
	json_decref(inv);
	return 0;
}

void invitation_row_free(struct invitation_row *r)
{
	json_decref(r->projects);
	memset(r, 0, sizeof *r);
}

int invitations_mark_accepted(const char *id)
{
	char *now = iso8601_now();
	int rc = db_exec("UPDATE invitations SET accepted_at=? WHERE id=?", "ss", now, id);
	free(now);
	return rc < 0 ? -1 : 0;
}

json_t *audit_list(const char *org_id, int64_t before, int64_t limit)
{
	return db_rows("SELECT id, user_id, actor, action, target_type, target_id, details,"
		       " source_ip, created_at FROM audit WHERE org_id=? AND (?=0 OR id<?)"
		       " ORDER BY id DESC LIMIT ?", "siii", org_id, before, before, limit);
}

json_t *audit_list_target(const char *org_id, const char *target_id, int64_t before,
			  int64_t limit)
{
	return db_rows("SELECT id, user_id, actor, action, target_type, target_id, details,"
		       " source_ip, created_at FROM audit WHERE org_id=? AND target_id=?"
		       " AND (?=0 OR id<?) ORDER BY id DESC LIMIT ?", "ssiii", org_id, target_id,
		       before, before, limit);
}

char *orgs_slug(const char *org_id)
{
	return db_str("SELECT slug FROM orgs WHERE id=?", "s", org_id);
}
