/* projects.c: the projects table (see projects.h). */
#include "store/projects.h"

#include <string.h>

#include "lib/util.h"
#include "store/db.h"

static char *col_str(sqlite3_stmt *st, int c)
{
	return sqlite3_column_type(st, c) == SQLITE_NULL
		       ? NULL
		       : xstrdup((const char *)sqlite3_column_text(st, c));
}

int project_load(const char *project_id, struct project_row *p)
{
	memset(p, 0, sizeof *p);
	sqlite3_stmt *st = db_prep("SELECT p.id, p.org_id, p.name, p.slug, p.odoo_version,"
				   " p.default_branch, p.repository_url, p.git_username, p.deploy_key,"
				   " p.access_token, p.webhook_secret, o.slug FROM projects p"
				   " JOIN orgs o ON o.id=p.org_id WHERE p.id=?", "s", project_id);
	if (!st)
		return -1;
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return -1;
	}
	snprintf(p->id, sizeof p->id, "%s", (const char *)sqlite3_column_text(st, 0));
	snprintf(p->org_id, sizeof p->org_id, "%s", (const char *)sqlite3_column_text(st, 1));
	p->name = col_str(st, 2);
	p->slug = col_str(st, 3);
	p->odoo_version = col_str(st, 4);
	p->default_branch = col_str(st, 5);
	p->repository_url = col_str(st, 6);
	p->git_username = col_str(st, 7);
	p->deploy_key_sealed = col_str(st, 8);
	p->access_token_sealed = col_str(st, 9);
	p->webhook_secret_sealed = col_str(st, 10);
	p->org_slug = col_str(st, 11);
	sqlite3_finalize(st);
	return 0;
}

void project_row_free(struct project_row *p)
{
	free(p->name);
	free(p->slug);
	free(p->odoo_version);
	free(p->default_branch);
	free(p->repository_url);
	free(p->git_username);
	free(p->deploy_key_sealed);
	free(p->access_token_sealed);
	free(p->webhook_secret_sealed);
	free(p->org_slug);
	memset(p, 0, sizeof *p);
}

char *project_org_slug(const char *org_id)
{
	return db_str("SELECT slug FROM orgs WHERE id=?", "s", org_id);
}

char *project_webhook_secret_sealed(const char *project_id)
{
	return db_str("SELECT webhook_secret FROM projects WHERE id=?", "s", project_id);
}

int project_set_webhook_secret(const char *project_id, const char *sealed)
{
	return db_exec("UPDATE projects SET webhook_secret=? WHERE id=?", "ss", sealed, project_id);
}

int project_insert(const struct project_new *n)
{
	char *now = iso8601_now();
	int rc = db_exec("INSERT INTO projects(id, org_id, name, slug, odoo_version, repository_url,"
			 " default_branch, created_at, updated_at) VALUES(?,?,?,?,?,?,?,?,?)",
			 "sssssssss", n->id, n->org_id, n->name, n->slug, n->odoo_version,
			 n->repository_url, n->default_branch, now, now);
	free(now);
	return rc;
}

int project_update(const char *project_id, const struct project_change *c)
{
	char *now = iso8601_now();
	int rc = db_exec(
		"UPDATE projects SET name=coalesce(?, name), odoo_version=coalesce(?, odoo_version),"
		" default_branch=coalesce(?, default_branch),"
		" repository_url=CASE WHEN ? THEN ? ELSE repository_url END,"
		" deploy_key=CASE WHEN ? THEN ? ELSE deploy_key END,"
		" deploy_public_key=CASE WHEN ? THEN ? ELSE deploy_public_key END,"
		" access_token=CASE WHEN ? THEN ? ELSE access_token END,"
		" git_username=CASE WHEN ? THEN ? ELSE git_username END,"
		" poll_interval_s=CASE WHEN ? THEN ? ELSE poll_interval_s END,"
		" last_polled_ts=CASE WHEN ? THEN NULL ELSE last_polled_ts END,"
		" updated_at=CASE WHEN ? THEN ? ELSE updated_at END"
		" WHERE id=?",
		"sss" "bs" "bs" "bs" "bs" "bs" "bi" "b" "bs" "s", c->name, c->odoo_version,
		c->default_branch, (int)c->has_repository_url, c->repository_url,
		(int)c->has_deploy_key, c->deploy_key_sealed, (int)c->has_deploy_key,
		c->deploy_public_key, (int)c->has_access_token, c->access_token_sealed,
		(int)c->has_git_username, c->git_username, (int)c->has_poll_interval,
		(int64_t)c->poll_interval_s, (int)c->has_poll_interval, (int)c->touch, now, project_id);
	free(now);
	return rc;
}

int project_delete(const char *project_id)
{
	return db_exec("DELETE FROM projects WHERE id=?", "s", project_id);
}

bool project_version_locked(const char *project_id, const char *version)
{
	return db_int(0, "SELECT count(*) FROM environments WHERE project_id=? AND ?<>"
			 "(SELECT odoo_version FROM projects WHERE id=?)", "sss", project_id, version,
		      project_id) > 0;
}

static const char *PROJECT_SELECT =
	"SELECT p.id, p.org_id, p.name, p.slug, p.odoo_version, p.repository_url, p.default_branch,"
	" p.deploy_key IS NOT NULL AS has_deploy_key, p.deploy_public_key,"
	" p.access_token IS NOT NULL AS has_access_token, p.git_username, p.poll_interval_s,"
	" p.last_poll_error,"
	" (SELECT count(*) FROM environments e WHERE e.project_id=p.id) AS environment_count,"
	" p.created_at, p.updated_at FROM projects p";

json_t *project_json_get(const char *project_id)
{
	char *sql = xasprintf("%s WHERE p.id=?", PROJECT_SELECT);
	json_t *p = db_row(sql, "s", project_id);
	free(sql);
	return p;
}

json_t *project_json_of_org(const char *org_id, json_t *project_ids)
{
	char *sql = xasprintf("%s WHERE p.org_id=? AND (? IS NULL OR p.id IN"
			      " (SELECT value FROM json_each(?))) ORDER BY p.name", PROJECT_SELECT);
	json_t *a = db_rows(sql, "sjj", org_id, project_ids, project_ids);
	free(sql);
	return a;
}

static json_t *column(json_t *rows, const char *col)
{
	json_t *out = json_array();
	size_t i;
	json_t *r;
	json_array_foreach(rows, i, r)
		json_array_append(out, json_object_get(r, col));
	json_decref(rows);
	return out;
}

json_t *projects_poll_due(int64_t now)
{
	return column(db_rows("SELECT id FROM projects WHERE poll_interval_s > 0 AND"
			      " repository_url IS NOT NULL AND (last_polled_ts IS NULL OR"
			      " last_polled_ts + poll_interval_s <= ?)", "i", now), "id");
}

int project_set_polled(const char *project_id, int64_t now, const char *error)
{
	return db_exec("UPDATE projects SET last_polled_ts=?, last_poll_error=? WHERE id=?", "iss",
		       now, error, project_id);
}

json_t *project_auto_deploy_branches(const char *project_id)
{
	return column(db_rows("SELECT DISTINCT git_branch FROM environments WHERE project_id=?"
			      " AND auto_deploy=1", "s", project_id), "git_branch");
}
