#include "store/access.h"

#include <string.h>

#include "lib/util.h"
#include "store/db.h"

#define VIEWER "org.view", "project.view", "environment.view", "environment.logs", "server.view"
#define DEVELOPER                                                                             \
	VIEWER, "project.environments.create", "environment.deploy", "environment.restart",      \
		"environment.start", "environment.stop", "environment.connect", "environment.merge", \
		"environment.ide", "environment.backup", "environment.settings"
#define ADMIN                                                                                 \
	DEVELOPER, "environment.remove", "environment.restore", "project.create",                \
		"project.update", "project.delete",                                             \
		"server.manage", "member.manage", "audit.view", "org.update"
#define OWNER ADMIN, "member.manage_owners", "org.delete"

static const char *const viewer_perms[] = {VIEWER, NULL};
static const char *const developer_perms[] = {DEVELOPER, NULL};
static const char *const admin_perms[] = {ADMIN, NULL};
static const char *const owner_perms[] = {OWNER, NULL};

const char *const *role_permissions(const char *role)
{
	if (str_eq(role, "owner"))
		return owner_perms;
	if (str_eq(role, "admin"))
		return admin_perms;
	if (str_eq(role, "developer"))
		return developer_perms;
	if (str_eq(role, "viewer"))
		return viewer_perms;
	return NULL;
}

bool role_valid(const char *role)
{
	return role_permissions(role) != NULL;
}

bool role_has(const char *role, const char *perm)
{
	const char *const *p = role_permissions(role);
	for (; p && *p; p++)
		if (strcmp(*p, perm) == 0)
			return true;
	return false;
}

bool perm_has(const struct access *acc, const char *perm)
{
	return role_has(acc->role, perm);
}

int perm_require(const struct access *acc, const char *perm, struct berr *err)
{
	if (perm_has(acc, perm))
		return 0;
	return berr_set(err, BE_PERMISSION_DENIED, NULL, "Missing %s permission", perm);
}

void access_release(struct access *acc)
{
	json_decref(acc->projects);
	acc->projects = NULL;
}

static int fill(struct access *acc, json_t *m)
{
	snprintf(acc->org_id, sizeof acc->org_id, "%s",
		 json_string_value(json_object_get(m, "org_id")));
	snprintf(acc->role, sizeof acc->role, "%s", json_string_value(json_object_get(m, "role")));
	json_t *p = json_object_get(m, "projects");
	acc->projects = json_is_array(p) ? json_incref(p) : NULL;
	json_decref(m);
	return 0;
}

int access_org(const struct actor *a, const char *org_id, struct access *acc, struct berr *err)
{
	memset(acc, 0, sizeof *acc);
	json_t *m = db_row("SELECT org_id, role, projects FROM members WHERE org_id=? AND user_id=?",
			   "ss", org_id, a->user_id);
	if (!m)
		return berr_set(err, BE_ORG_NOT_FOUND, NULL, "Organization '%.40s' doesn't exist",
				org_id);
	return fill(acc, m);
}

bool access_project_allowed(const struct access *acc, const char *project_id)
{
	if (!acc->projects)
		return true;
	size_t i;
	json_t *v;
	json_array_foreach(acc->projects, i, v)
		if (str_eq(json_string_value(v), project_id))
			return true;
	return false;
}

json_t *access_project(const struct actor *a, const char *project_id, struct access *acc,
		       struct berr *err)
{
	memset(acc, 0, sizeof *acc);
	json_t *p = db_row("SELECT p.* FROM projects p JOIN members m ON m.org_id=p.org_id "
			   "WHERE p.id=? AND m.user_id=?",
			   "ss", project_id, a->user_id);
	if (p) {
		access_org(a, json_string_value(json_object_get(p, "org_id")), acc, err);
		if (access_project_allowed(acc, project_id))
			return p;
		access_release(acc);
		json_decref(p);
	}
	berr_set(err, BE_PROJECT_NOT_FOUND, NULL, "Project '%.40s' doesn't exist", project_id);
	return NULL;
}

int access_project_check(const struct actor *a, const char *project_id, struct access *acc,
			 struct berr *err, struct db_snap *snap, bool *snap_ok)
{
	memset(acc, 0, sizeof *acc);
	if (snap_ok)
		*snap_ok = false;
	sqlite3_stmt *st = db_cached("SELECT m.org_id, m.role, m.projects, (SELECT data_version"
				     " FROM pragma_data_version) FROM projects p JOIN members m"
				     " ON m.org_id=p.org_id WHERE p.id=? AND m.user_id=?",
				     "ss", project_id, a->user_id);
	bool found = st && sqlite3_step(st) == SQLITE_ROW;
	int64_t dv = found ? sqlite3_column_int64(st, 3) : 0;
	if (found) {
		/* what access_org's row gives fill(): the text values, the projects array */
		const char *org = (const char *)sqlite3_column_text(st, 0);
		const char *role = (const char *)sqlite3_column_text(st, 1);
		snprintf(acc->org_id, sizeof acc->org_id, "%s", org ? org : "(null)");
		snprintf(acc->role, sizeof acc->role, "%s", role ? role : "(null)");
		if (sqlite3_column_type(st, 2) != SQLITE_NULL) {
			json_t *p = json_loads((const char *)sqlite3_column_text(st, 2),
					       JSON_DECODE_ANY, NULL);
			if (json_is_array(p))
				acc->projects = p;
			else
				json_decref(p);
		}
	}
	db_done(st);
	if (found && access_project_allowed(acc, project_id)) {
		if (snap && snap_ok)
			*snap_ok = db_snapshot_from(dv, snap) == 0;
		return 0;
	}
	access_release(acc);
	return berr_set(err, BE_PROJECT_NOT_FOUND, NULL, "Project '%.40s' doesn't exist",
			project_id);
}

json_t *access_server(const struct actor *a, const char *server_id, struct access *acc,
		      struct berr *err)
{
	memset(acc, 0, sizeof *acc);
	json_t *s = db_row("SELECT s.id, s.org_id FROM servers s JOIN members m ON m.org_id=s.org_id "
			   "WHERE s.id=? AND m.user_id=?",
			   "ss", server_id, a->user_id);
	if (!s) {
		berr_set(err, BE_SERVER_NOT_FOUND, NULL, "Server '%.40s' doesn't exist", server_id);
		return NULL;
	}
	access_org(a, json_string_value(json_object_get(s, "org_id")), acc, err);
	return s;
}

json_t *access_server_platform(const struct actor *a, const char *server_id, struct access *acc,
			       struct berr *err)
{
	json_t *s = access_server(a, server_id, acc, err);
	if (s || !a->is_admin)
		return s;
	s = db_row("SELECT id, org_id FROM servers WHERE id=? AND transport='local'", "s", server_id);
	if (!s)
		return NULL;
	berr_clear(err);
	memset(acc, 0, sizeof *acc);
	snprintf(acc->org_id, sizeof acc->org_id, "%s",
		 json_string_value(json_object_get(s, "org_id")));
	snprintf(acc->role, sizeof acc->role, "owner");
	return s;
}

int access_org_platform(const struct actor *a, const char *org_id, struct access *acc,
			struct berr *err)
{
	if (access_org(a, org_id, acc, err) == 0)
		return 0;
	if (!a->is_admin || db_int(0, "SELECT count(*) FROM orgs WHERE id=?", "s", org_id) < 1)
		return -1;
	berr_clear(err);
	memset(acc, 0, sizeof *acc);
	snprintf(acc->org_id, sizeof acc->org_id, "%s", org_id);
	snprintf(acc->role, sizeof acc->role, "owner");
	return 0;
}

json_t *access_env(const struct actor *a, const char *env_id, struct access *acc,
		   struct berr *err)
{
	memset(acc, 0, sizeof *acc);
	json_t *e = db_row("SELECT e.id, e.org_id, e.project_id FROM environments e "
			   "JOIN members m ON m.org_id=e.org_id WHERE e.id=? AND m.user_id=?",
			   "ss", env_id, a->user_id);
	if (e) {
		access_org(a, json_string_value(json_object_get(e, "org_id")), acc, err);
		if (access_project_allowed(acc, json_string_value(json_object_get(e, "project_id"))))
			return e;
		access_release(acc);
		json_decref(e);
	}
	berr_set(err, BE_ENVIRONMENT_NOT_FOUND, NULL, "Environment '%.40s' doesn't exist", env_id);
	return NULL;
}
