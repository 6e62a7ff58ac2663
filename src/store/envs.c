/* envs.c: the environments table (see envs.h). */
#include "store/envs.h"

#include <string.h>

#include "lib/jtext.h"
#include "lib/util.h"
#include "store/db.h"

static char *col_str(sqlite3_stmt *st, int c)
{
	return sqlite3_column_type(st, c) == SQLITE_NULL
		       ? NULL
		       : xstrdup((const char *)sqlite3_column_text(st, c));
}

/* A JSON column parsed; dflt() (may be NULL) when NULL or unreadable. */
static json_t *col_json(sqlite3_stmt *st, int c, json_t *(*dflt)(void))
{
	const char *t = (const char *)sqlite3_column_text(st, c);
	json_t *v = t ? json_loads(t, JSON_DECODE_ANY, NULL) : NULL;
	return v ? v : dflt ? dflt() : NULL;
}

static void col_id(sqlite3_stmt *st, int c, char out[37])
{
	const char *s = (const char *)sqlite3_column_text(st, c);
	snprintf(out, 37, "%s", s ? s : "");
}

int env_load(const char *env_id, struct env_row *e)
{
	memset(e, 0, sizeof *e);
	sqlite3_stmt *st = db_prep(
		"SELECT e.id, e.project_id, e.org_id, e.vm_id, e.name, e.environment_type, e.subdomain,"
		" e.custom_domain, e.status, e.git_branch, p.odoo_version, p.slug, e.cpu_cores,"
		" e.postgres_cpu_cores, e.ram_mb, e.disk_gb, e.postgres_ram_mb, e.postgres_custom,"
		" e.auto_deploy, e.enable_pgtune, e.enable_pgbouncer, e.enable_read_replica,"
		" e.odoo_config, e.deployed_commit, e.last_trigger_commit, e.admin_login,"
		" e.deployed_at IS NOT NULL, e.environment_vars, e.addon_repositories, e.settings,"
		" e.deployed_addons, e.deployed_at, e.db_name, e.code_rev, e.status_reason,"
		" s.http_port, s.https_port, round(e.cpu_cores - e.postgres_cpu_cores, 2)"
		" FROM environments e JOIN projects p ON p.id=e.project_id"
		" LEFT JOIN servers s ON s.id=e.vm_id WHERE e.id=?",
		"s", env_id);
	if (!st)
		return -1;
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return -1;
	}
	int c = 0;
	col_id(st, c++, e->id);
	col_id(st, c++, e->project_id);
	col_id(st, c++, e->org_id);
	col_id(st, c++, e->vm_id);
	e->name = col_str(st, c++);
	e->environment_type = col_str(st, c++);
	e->subdomain = col_str(st, c++);
	e->custom_domain = col_str(st, c++);
	e->status = col_str(st, c++);
	e->git_branch = col_str(st, c++);
	e->odoo_version = col_str(st, c++);
	e->project_slug = col_str(st, c++);
	e->cpu_cores = sqlite3_column_double(st, c++);
	e->postgres_cpu_cores = sqlite3_column_double(st, c++);
	e->ram_mb = sqlite3_column_int64(st, c++);
	e->disk_gb = sqlite3_column_int64(st, c++);
	e->postgres_ram_mb = sqlite3_column_int64(st, c++);
	e->postgres_custom = sqlite3_column_int(st, c++) != 0;
	e->auto_deploy = sqlite3_column_int(st, c++) != 0;
	e->enable_pgtune = sqlite3_column_int(st, c++) != 0;
	e->enable_pgbouncer = sqlite3_column_int(st, c++) != 0;
	e->enable_read_replica = sqlite3_column_int(st, c++) != 0;
	e->odoo_config = col_json(st, c++, json_object);
	e->deployed_commit = col_str(st, c++);
	e->last_trigger_commit = col_str(st, c++);
	e->admin_login = col_str(st, c++);
	e->deployed = sqlite3_column_int(st, c++) != 0;
	e->environment_vars = col_json(st, c++, json_object);
	e->addon_repositories = col_json(st, c++, json_array);
	e->settings = col_json(st, c++, json_object);
	e->deployed_addons = col_json(st, c++, NULL);
	e->deployed_at = col_str(st, c++);
	e->db_name = col_str(st, c++);
	e->code_rev = col_str(st, c++);
	e->status_reason = col_str(st, c++);
	e->server_http_port = sqlite3_column_int64(st, c++);
	e->server_https_port = sqlite3_column_int64(st, c++);
	e->odoo_cpu = sqlite3_column_double(st, c++);
	sqlite3_finalize(st);
	return 0;
}

void env_row_free(struct env_row *e)
{
	free(e->name);
	free(e->environment_type);
	free(e->subdomain);
	free(e->custom_domain);
	free(e->status);
	free(e->git_branch);
	free(e->odoo_version);
	free(e->project_slug);
	json_decref(e->odoo_config);
	json_decref(e->environment_vars);
	json_decref(e->addon_repositories);
	json_decref(e->settings);
	json_decref(e->deployed_addons);
	free(e->deployed_at);
	free(e->db_name);
	free(e->code_rev);
	free(e->status_reason);
	free(e->deployed_commit);
	free(e->last_trigger_commit);
	free(e->admin_login);
	memset(e, 0, sizeof *e);
}

int env_set_status(const char *env_id, const char *status, const char *reason)
{
	char *now = iso8601_now();
	int rc = db_exec("UPDATE environments SET status=?, status_reason=?, updated_at=? WHERE id=?",
			 "ssss", status, reason, now, env_id);
	free(now);
	return rc;
}

int env_set_deployed(const char *env_id)
{
	char *now = iso8601_now();
	int rc = db_exec("UPDATE environments SET deployed_at=? WHERE id=?", "ss", now, env_id);
	free(now);
	return rc;
}

int env_delete_row(const char *env_id)
{
	return db_exec("DELETE FROM environments WHERE id=?", "s", env_id);
}

char *env_fix_db_name(const char *env_id)
{
	db_exec("UPDATE environments SET db_name=name WHERE id=? AND db_name IS NULL", "s", env_id);
	return db_str("SELECT db_name FROM environments WHERE id=?", "s", env_id);
}

int env_set_code(const char *env_id, const char *commit, json_t *addon_commits, const char *rev)
{
	return db_exec("UPDATE environments SET deployed_commit=?, deployed_addons=?, code_rev=?,"
		       " branch_commit=coalesce(?, branch_commit), commits_ahead=0 WHERE id=?",
		       "sjsss", commit, addon_commits, rev, commit, env_id);
}

/* Per sealed column: its read, its write, its first write. */
static const struct {
	const char *get, *set, *set_if_null;
} SECRET_SQL[] = {
	[ENV_SECRET_DB_PASSWORD] = {
		"SELECT db_password FROM environments WHERE id=?",
		"UPDATE environments SET db_password=? WHERE id=?",
		"UPDATE environments SET db_password=? WHERE id=? AND db_password IS NULL"},
	[ENV_SECRET_ADMIN_PASSWD] = {
		"SELECT admin_passwd FROM environments WHERE id=?",
		"UPDATE environments SET admin_passwd=? WHERE id=?",
		"UPDATE environments SET admin_passwd=? WHERE id=? AND admin_passwd IS NULL"},
	[ENV_SECRET_ADMIN_PASSWORD] = {
		"SELECT admin_password FROM environments WHERE id=?",
		"UPDATE environments SET admin_password=? WHERE id=?",
		"UPDATE environments SET admin_password=? WHERE id=? AND admin_password IS NULL"},
	[ENV_SECRET_SMTP_PASSWORD] = {
		"SELECT smtp_password FROM environments WHERE id=?",
		"UPDATE environments SET smtp_password=? WHERE id=?",
		"UPDATE environments SET smtp_password=? WHERE id=? AND smtp_password IS NULL"},
	[ENV_SECRET_IDE_PASSWORD] = {
		"SELECT ide_password FROM environments WHERE id=?",
		"UPDATE environments SET ide_password=? WHERE id=?",
		"UPDATE environments SET ide_password=? WHERE id=? AND ide_password IS NULL"},
};

static bool secret_known(enum env_secret which)
{
	return (unsigned)which < ARRAY_SIZE(SECRET_SQL);
}

char *env_secret_get(const char *env_id, enum env_secret which)
{
	return secret_known(which) ? db_str(SECRET_SQL[which].get, "s", env_id) : NULL;
}

int env_secret_set(const char *env_id, enum env_secret which, const char *sealed)
{
	return secret_known(which) ? db_exec(SECRET_SQL[which].set, "ss", sealed, env_id) : -1;
}

int env_secret_set_if_null(const char *env_id, enum env_secret which, const char *sealed)
{
	return secret_known(which) ? db_exec(SECRET_SQL[which].set_if_null, "ss", sealed, env_id)
				   : -1;
}

int env_pg_port(const char *env_id)
{
	return (int)db_int(0, "SELECT coalesce(pg_port, 0) FROM environments WHERE id=?", "s", env_id);
}

int env_pg_port_ensure(const char *env_id, const int *avoid, size_t n_avoid)
{
	for (int tries = 0; tries < 8; tries++) {
		int cur = env_pg_port(env_id);
		if (cur > 0)
			return cur;
		/* the ports taken on the server by berth's other environments, and its edge's */
		json_t *used = db_rows(
			"SELECT e.pg_port AS p FROM environments e WHERE e.vm_id=(SELECT vm_id FROM"
			" environments WHERE id=?) AND e.pg_port IS NOT NULL AND e.id<>?"
			" UNION SELECT s.http_port FROM servers s JOIN environments e ON e.vm_id=s.id"
			" WHERE e.id=? UNION SELECT s.https_port FROM servers s JOIN environments e"
			" ON e.vm_id=s.id WHERE e.id=?",
			"ssss", env_id, env_id, env_id, env_id);
		int port = 0;
		for (int p = ENV_PG_PORT_MIN; p <= ENV_PG_PORT_MAX && !port; p++) {
			bool taken = false;
			size_t i;
			json_t *u;
			json_array_foreach(used, i, u)
				if (json_integer_value(json_object_get(u, "p")) == p)
					taken = true;
			for (size_t k = 0; k < n_avoid && !taken; k++)
				if (avoid[k] == p)
					taken = true;
			if (!taken)
				port = p;
		}
		json_decref(used);
		if (!port)
			return -1;
		/* the unique index (vm_id, pg_port) refuses a port another writer took meanwhile */
		int rc = db_exec("UPDATE environments SET pg_port=? WHERE id=? AND pg_port IS NULL", "is",
				 (int64_t)port, env_id);
		if (rc == -1)
			return -1;
	}
	int cur = env_pg_port(env_id);
	return cur > 0 ? cur : -1;
}

int env_pg_port_clear(const char *env_id)
{
	return db_exec("UPDATE environments SET pg_port=NULL WHERE id=?", "s", env_id);
}

int env_insert(const struct env_new *n)
{
	json_t *vars = n->environment_vars ? json_incref(n->environment_vars) : json_object();
	json_t *addons = n->addon_repositories ? json_incref(n->addon_repositories) : json_array();
	json_t *settings = json_object();
	if (n->has_auto_restart)
		json_object_set_new(settings, "auto_restart", json_boolean(n->auto_restart));
	char *now = iso8601_now();
	int rc = db_exec(
		"INSERT INTO environments(id, project_id, org_id, vm_id, name, environment_type,"
		" subdomain, custom_domain, status, cpu_cores, ram_mb, disk_gb, postgres_cpu_cores,"
		" postgres_ram_mb, postgres_custom, git_branch, auto_deploy, enable_pgtune,"
		" enable_pgbouncer, enable_read_replica, odoo_config, environment_vars,"
		" addon_repositories, smtp_password, admin_login, admin_password, settings, created_by,"
		" created_at, updated_at)"
		" VALUES(?,?,?,?,?,?,?,?,'pending',?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
		"ssssssssdiidibsbbbbjjjsssjsss", n->id, n->project_id, n->org_id, n->vm_id, n->name,
		n->environment_type, n->subdomain, n->custom_domain, n->cpu_c / 100.0,
		(int64_t)n->ram_mb, (int64_t)n->disk_gb, n->pg_cpu_c / 100.0, (int64_t)n->pg_ram_mb,
		(int)n->pg_custom, n->git_branch, (int)n->auto_deploy, (int)n->enable_pgtune,
		(int)n->enable_pgbouncer, (int)n->enable_read_replica, n->odoo_config, vars, addons,
		n->smtp_password_sealed, n->admin_login, n->admin_password_sealed, settings,
		n->created_by, now, now);
	free(now);
	json_decref(vars);
	json_decref(addons);
	json_decref(settings);
	return rc;
}

int env_update(const char *env_id, const struct env_change *c)
{
	char *now = iso8601_now();
	int rc = db_exec(
		"UPDATE environments SET cpu_cores=?, ram_mb=?, disk_gb=?, postgres_cpu_cores=?,"
		" postgres_ram_mb=?, postgres_custom=?, enable_read_replica=?, odoo_config=?,"
		" updated_at=?,"
		" name=coalesce(?, name), subdomain=coalesce(?, subdomain),"
		" git_branch=coalesce(?, git_branch),"
		" custom_domain=CASE WHEN ? THEN ? ELSE custom_domain END,"
		" auto_deploy=CASE WHEN ? THEN ? ELSE auto_deploy END,"
		" enable_pgtune=CASE WHEN ? THEN ? ELSE enable_pgtune END,"
		" enable_pgbouncer=CASE WHEN ? THEN ? ELSE enable_pgbouncer END,"
		" settings=json_patch(CASE WHEN ? THEN json_set(settings, '$.auto_restart', json(?))"
		"   ELSE settings END, coalesce(?, '{}')),"
		" environment_vars=coalesce(?, environment_vars),"
		" addon_repositories=coalesce(?, addon_repositories),"
		" smtp_password=CASE WHEN ? THEN ? ELSE smtp_password END"
		" WHERE id=?",
		"diidibbjs" "sss" "bs" "bb" "bb" "bb" "bsj" "jj" "bs" "s",
		c->cpu_c / 100.0, (int64_t)c->ram_mb, (int64_t)c->disk_gb, c->pg_cpu_c / 100.0,
		(int64_t)c->pg_ram_mb, (int)c->pg_custom, (int)c->enable_read_replica, c->odoo_config,
		now, c->name, c->subdomain, c->git_branch, (int)c->has_custom_domain, c->custom_domain,
		(int)c->has_auto_deploy, (int)c->auto_deploy, (int)c->has_pgtune, (int)c->enable_pgtune,
		(int)c->has_pgbouncer, (int)c->enable_pgbouncer, (int)c->has_auto_restart,
		c->auto_restart ? "true" : "false", c->settings_patch, c->environment_vars,
		c->addon_repositories,
		(int)c->smtp_set, c->smtp_password_sealed, env_id);
	free(now);
	return rc;
}

bool env_name_taken(const char *project_id, const char *name)
{
	return db_int(0, "SELECT count(*) FROM environments WHERE project_id=? AND name=?", "ss",
		      project_id, name) > 0;
}

bool env_subdomain_taken(const char *sub, const char *exclude_env_id)
{
	return db_int(0, "SELECT count(*) FROM environments WHERE subdomain=? AND id IS NOT ?", "ss",
		      sub, exclude_env_id) > 0;
}

bool env_domain_taken(const char *d, const char *exclude_env_id)
{
	return db_int(0, "SELECT (SELECT count(*) FROM environments WHERE custom_domain=?1 AND"
		      " id IS NOT ?2) + (SELECT count(*) FROM env_domains WHERE domain=?1 AND"
		      " env_id IS NOT ?2)",
		      "ss", d, exclude_env_id) > 0;
}

json_t *env_external_filestores(const char *vm_id, const char *exclude_env_id)
{
	return db_rows("SELECT name, json_extract(settings, '$.external_filestore_path') AS path"
		       " FROM environments WHERE vm_id=? AND id IS NOT ?"
		       " AND json_extract(settings, '$.external_filestore') = 1",
		       "ss", vm_id, exclude_env_id);
}

char *env_server_of(const char *env_id)
{
	return db_str("SELECT vm_id FROM environments WHERE id=?", "s", env_id);
}

char *env_project_of(const char *env_id)
{
	return db_str("SELECT project_id FROM environments WHERE id=?", "s", env_id);
}

bool env_exists(const char *env_id)
{
	return db_int(0, "SELECT count(*) FROM environments WHERE id=?", "s", env_id) > 0;
}

int env_set_trigger_commit(const char *env_id, const char *commit)
{
	return db_exec("UPDATE environments SET last_trigger_commit=?, branch_commit=? WHERE id=?",
		       "sss", commit, commit, env_id);
}

json_t *env_ids_auto_deploy(const char *project_id, const char *branch)
{
	json_t *rows = db_rows("SELECT id FROM environments WHERE project_id=? AND git_branch=? AND"
			       " auto_deploy=1 AND deployed_at IS NOT NULL", "ss", project_id, branch);
	json_t *ids = json_array();
	size_t i;
	json_t *r;
	json_array_foreach(rows, i, r)
		json_array_append(ids, json_object_get(r, "id"));
	json_decref(rows);
	return ids;
}

json_t *env_branches_of_project(const char *project_id)
{
	return db_rows("SELECT id, git_branch, deployed_commit FROM environments WHERE project_id=?",
		       "s", project_id);
}

int env_set_branch_head(const char *env_id, const char *head, long ahead)
{
	if (ahead >= 0)
		return db_exec("UPDATE environments SET branch_commit=?, commits_ahead=? WHERE id=?",
			       "sis", head, (int64_t)ahead, env_id);
	return db_exec("UPDATE environments SET branch_commit=?, commits_ahead=NULL WHERE id=?", "ss",
		       head, env_id);
}

long long env_count_of_project(const char *project_id)
{
	return db_int(0, "SELECT count(*) FROM environments WHERE project_id=?", "s", project_id);
}

#define ENV_SELECT \
	"SELECT e.id, e.name, e.project_id, e.org_id, e.vm_id, s.name AS server_name," \
	" e.environment_type, e.subdomain, e.custom_domain, e.status, e.status_reason," \
	" e.tls_status, e.tls_error," \
	" e.cpu_cores, e.ram_mb, e.disk_gb, e.postgres_cpu_cores, e.postgres_ram_mb," \
	" e.postgres_custom, round(e.cpu_cores - e.postgres_cpu_cores, 2) AS odoo_cpu_cores," \
	" e.ram_mb - e.postgres_ram_mb AS odoo_ram_mb, e.git_branch, e.auto_deploy," \
	" e.enable_pgtune, e.enable_pgbouncer, e.enable_read_replica, e.odoo_config," \
	" e.environment_vars, e.addon_repositories, e.settings, p.odoo_version," \
	" coalesce(json_extract(e.settings, '$.auto_restart'), 0) AS auto_restart," \
	" e.deployed_at, e.deployed_commit, e.branch_commit, e.commits_ahead, e.admin_login," \
	" e.created_by, e.cloned_from, e.cloned_at," \
	" e.created_at," \
	" e.updated_at FROM environments e JOIN projects p ON p.id=e.project_id" \
	" JOIN servers s ON s.id=e.vm_id"

/* How a column of ENV_SELECT is written, worked out once per statement (see envs.h). */
enum col_kind { COL_SECRET, COL_AUTO_RESTART, COL_ODOO_CPU, COL_BOOLEAN, COL_JSON, COL_PLAIN };
enum col_role { ROLE_NONE, ROLE_ODOO_CONFIG, ROLE_ODOO_RAM, ROLE_DEPLOYED, ROLE_BRANCH,
		ROLE_SUBDOMAIN, ROLE_CUSTOM_DOMAIN, ROLE_ENV_TYPE };
struct col_meta {
	enum col_kind kind;
	enum col_role role;
	struct sbuf key; /* "name": */
};

static struct col_meta *cols_meta(sqlite3_stmt *st, int *ncol)
{
	static const struct {
		const char *name;
		enum col_role role;
	} ROLES[] = {{"odoo_config", ROLE_ODOO_CONFIG},   {"odoo_ram_mb", ROLE_ODOO_RAM},
		     {"deployed_commit", ROLE_DEPLOYED},  {"branch_commit", ROLE_BRANCH},
		     {"subdomain", ROLE_SUBDOMAIN},       {"custom_domain", ROLE_CUSTOM_DOMAIN},
		     {"environment_type", ROLE_ENV_TYPE}};
	int n = sqlite3_column_count(st);
	struct col_meta *m = xcalloc((size_t)n + 1, sizeof *m);
	for (int c = 0; c < n; c++) {
		const char *name = sqlite3_column_name(st, c);
		const char *decl = sqlite3_column_decltype(st, c);
		m[c].kind = decl && strcmp(decl, "SECRET") == 0    ? COL_SECRET
			    : strcmp(name, "auto_restart") == 0    ? COL_AUTO_RESTART
			    : strcmp(name, "odoo_cpu_cores") == 0  ? COL_ODOO_CPU
			    : decl && strcmp(decl, "BOOLEAN") == 0 ? COL_BOOLEAN
			    : decl && strcmp(decl, "JSON") == 0    ? COL_JSON
								   : COL_PLAIN;
		for (size_t i = 0; i < ARRAY_SIZE(ROLES); i++)
			if (strcmp(name, ROLES[i].name) == 0)
				m[c].role = ROLES[i].role;
		jtext_str(&m[c].key, name);
		sbuf_addc(&m[c].key, ':');
	}
	*ncol = n;
	return m;
}

static void cols_meta_free(struct col_meta *m, int n)
{
	for (int c = 0; m && c < n; c++)
		sbuf_release(&m[c].key);
	free(m);
}

/* Writes the row as json_dumps would write db_row_json's object (see envs.h). */
static void write_row(sqlite3_stmt *st, const struct col_meta *m, int n, env_text_decor decor,
		      void *ctx, struct sbuf *out)
{
	struct env_text_row row = {0};
	json_t *config = NULL;
	bool first = true;
	sbuf_addc(out, '{');
	for (int c = 0; c < n; c++) {
		if (m[c].kind == COL_SECRET)
			continue;
		int t = sqlite3_column_type(st, c);
		size_t mark = out->len;
		if (!first)
			sbuf_addc(out, ',');
		sbuf_add(out, m[c].key.buf, m[c].key.len);
		if (m[c].kind == COL_AUTO_RESTART) {
			/* computed (no declared type): a boolean, true for a non-zero integer */
			sbuf_adds(out, t == SQLITE_INTEGER && sqlite3_column_int64(st, c) != 0 ? "true"
												: "false");
		} else if (m[c].kind == COL_ODOO_CPU) {
			/* computed: a real, 0.0 when null */
			row.odoo_cpu_cores = sqlite3_column_double(st, c);
			jtext_real(out, row.odoo_cpu_cores);
		} else if (t == SQLITE_NULL) {
			sbuf_adds(out, "null");
		} else if (m[c].kind == COL_BOOLEAN) {
			sbuf_adds(out, sqlite3_column_int(st, c) ? "true" : "false");
		} else if (m[c].kind == COL_JSON) {
			const char *text = (const char *)sqlite3_column_text(st, c);
			if (m[c].role != ROLE_ODOO_CONFIG && (strcmp(text, "{}") == 0 ||
							      strcmp(text, "[]") == 0)) {
				sbuf_adds(out, text); /* what parsing and writing it gives back */
			} else {
				json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
				jtext_value(out, v ? v : json_null());
				if (v && m[c].role == ROLE_ODOO_CONFIG && !config)
					row.odoo_config = config = v;
				else
					json_decref(v);
			}
		} else if (t == SQLITE_INTEGER) {
			long long i = sqlite3_column_int64(st, c);
			jtext_int(out, i);
			if (m[c].role == ROLE_ODOO_RAM)
				row.odoo_ram_mb = i;
		} else if (t == SQLITE_FLOAT) {
			jtext_real(out, sqlite3_column_double(st, c));
		} else {
			const char *text = (const char *)sqlite3_column_text(st, c);
			if (!jtext_utf8_ok(text)) {
				out->len = mark; /* json_string() would refuse it: the key is left out */
				out->buf[mark] = '\0';
				continue;
			}
			jtext_str(out, text);
			switch (m[c].role) {
			case ROLE_DEPLOYED: row.deployed_commit = text; break;
			case ROLE_BRANCH: row.branch_commit = text; break;
			case ROLE_SUBDOMAIN: row.subdomain = text; break;
			case ROLE_CUSTOM_DOMAIN: row.custom_domain = text; break;
			case ROLE_ENV_TYPE: row.environment_type = text; break;
			default: break;
			}
		}
		first = false;
	}
	if (decor)
		decor(&row, out, ctx);
	sbuf_addc(out, '}');
	json_decref(config);
}

static void write_rows(sqlite3_stmt *st, env_text_decor decor, void *ctx, struct sbuf *out)
{
	sbuf_addc(out, '[');
	int n = 0;
	struct col_meta *m = NULL;
	while (st && sqlite3_step(st) == SQLITE_ROW) {
		if (m)
			sbuf_addc(out, ',');
		else
			m = cols_meta(st, &n);
		write_row(st, m, n, decor, ctx, out);
	}
	sbuf_addc(out, ']');
	cols_meta_free(m, n);
	db_done(st);
}

int env_text_get(const char *env_id, env_text_decor decor, void *ctx, struct sbuf *out)
{
	sqlite3_stmt *st = db_cached(ENV_SELECT " WHERE e.id=?", "s", env_id);
	int rc = -1;
	if (st && sqlite3_step(st) == SQLITE_ROW) {
		int n;
		struct col_meta *m = cols_meta(st, &n);
		write_row(st, m, n, decor, ctx, out);
		cols_meta_free(m, n);
		rc = 0;
	}
	db_done(st);
	return rc;
}

void env_text_of_project(const char *project_id, const char *type, env_text_decor decor,
			 void *ctx, struct sbuf *out)
{
	write_rows(db_cached(ENV_SELECT " WHERE e.project_id=? AND (? IS NULL OR"
				       " e.environment_type=?) ORDER BY e.created_at, e.name",
			     "sss", project_id, type, type),
		   decor, ctx, out);
}

void env_text_of_org(const char *org_id, json_t *project_ids, const char *name,
		     env_text_decor decor, void *ctx, struct sbuf *out)
{
	write_rows(db_cached(ENV_SELECT " WHERE e.org_id=? AND (? IS NULL OR e.project_id IN"
				       " (SELECT value FROM json_each(?))) AND (? IS NULL OR e.name=?)"
				       " ORDER BY p.name, e.created_at",
			     "sjjss", org_id, project_ids, project_ids, name, name),
		   decor, ctx, out);
}

int placement_server_load(const char *server_id, struct placement_server *s)
{
	memset(s, 0, sizeof *s);
	sqlite3_stmt *st = db_prep("SELECT id, name, status, cpu_cores, ram_mb, disk_gb, max_projects"
				   " FROM servers WHERE id=?", "s", server_id);
	if (!st)
		return -1;
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return -1;
	}
	col_id(st, 0, s->id);
	s->name = col_str(st, 1);
	s->status = col_str(st, 2);
	s->capacity_known = sqlite3_column_type(st, 3) != SQLITE_NULL;
	s->cpu_cores = sqlite3_column_double(st, 3);
	s->ram_mb = sqlite3_column_int64(st, 4);
	s->disk_gb = sqlite3_column_int64(st, 5);
	s->max_projects = sqlite3_column_int64(st, 6);
	sqlite3_finalize(st);
	return 0;
}

void placement_server_free(struct placement_server *s)
{
	free(s->name);
	free(s->status);
	memset(s, 0, sizeof *s);
}

json_t *placement_running_servers(const char *org_id)
{
	json_t *rows = db_rows("SELECT id FROM servers WHERE org_id=? AND status='running' ORDER BY"
			       " name", "s", org_id);
	json_t *ids = json_array();
	size_t i;
	json_t *r;
	json_array_foreach(rows, i, r)
		json_array_append(ids, json_object_get(r, "id"));
	json_decref(rows);
	return ids;
}
