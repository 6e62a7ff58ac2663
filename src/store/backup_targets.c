/* backup_targets.c: the backup_targets table (see store/backup_targets.h). */
#include "store/backup_targets.h"

#include <stdlib.h>
#include <string.h>

#include "lib/util.h"
#include "store/db.h"

#define TARGET_SELECT                                                                      \
	"SELECT id, name, kind, is_default, config, secret IS NOT NULL AS has_secret,"       \
	" created_at, updated_at FROM backup_targets"

static json_t *fix_row(json_t *r)
{
	if (r)
		json_object_set_new(r, "has_secret",
				    json_boolean(json_integer_value(json_object_get(r, "has_secret"))));
	return r;
}

int backup_targets_ensure_local(const char *org_id)
{
	char id[37];
	uuid4(id);
	char *now = iso8601_now();
	/* UNIQUE(org_id, name) keeps two racing calls from making two ("local" is reserved) */
	int rc = db_exec("INSERT OR IGNORE INTO backup_targets(id, org_id, name, kind, config,"
			 " is_default, created_at, updated_at)"
			 " SELECT ?, ?, 'local', 'local', '{}',"
			 " NOT EXISTS(SELECT 1 FROM backup_targets WHERE org_id=? AND is_default), ?, ?"
			 " WHERE NOT EXISTS(SELECT 1 FROM backup_targets WHERE org_id=? AND kind='local')",
			 "ssssss", id, org_id, org_id, now, now, org_id);
	free(now);
	return rc < 0 ? -1 : 0;
}

json_t *backup_targets_list(const char *org_id)
{
	backup_targets_ensure_local(org_id);
	json_t *rows = db_rows(TARGET_SELECT " WHERE org_id=? ORDER BY kind='local' DESC,"
			       " created_at, rowid", "s", org_id);
	size_t i;
	json_t *r;
	json_array_foreach(rows, i, r)
		fix_row(r);
	return rows;
}

json_t *backup_targets_get(const char *org_id, const char *id)
{
	return fix_row(db_row(TARGET_SELECT " WHERE org_id=? AND id=?", "ss", org_id, id));
}

char *backup_targets_default_id(const char *org_id)
{
	if (backup_targets_ensure_local(org_id) < 0)
		return NULL;
	return db_str("SELECT id FROM backup_targets WHERE org_id=?"
		      " ORDER BY is_default DESC, kind='local' DESC LIMIT 1", "s", org_id);
}

/* Gives the default back to the organization's local target when no target has it. */
static int default_to_local(const char *org_id)
{
	return db_exec("UPDATE backup_targets SET is_default=1 WHERE org_id=? AND kind='local'"
		       " AND NOT EXISTS(SELECT 1 FROM backup_targets WHERE org_id=? AND is_default)",
		       "ss", org_id, org_id) < 0 ? -1 : 0;
}

struct insert_ctx {
	const struct backup_target_new *n;
	char *id;
	int rc;
};

static int insert_tx(void *cls, struct berr *err)
{
	(void)err;
	struct insert_ctx *c = cls;
	const struct backup_target_new *n = c->n;
	c->rc = 0;
	if (backup_targets_ensure_local(n->org_id) < 0)
		return c->rc = -1;
	if (db_int(0, "SELECT count(*) FROM backup_targets WHERE org_id=?", "s", n->org_id) >=
	    BACKUP_TARGETS_MAX)
		return c->rc = -3;
	if (n->is_default &&
	    db_exec("UPDATE backup_targets SET is_default=0 WHERE org_id=?", "s", n->org_id) < 0)
		return c->rc = -1;
	char *now = iso8601_now();
	int rc = db_exec("INSERT INTO backup_targets(id, org_id, name, kind, config, secret,"
			 " is_default, created_by, created_at, updated_at) VALUES(?,?,?,?,?,?,?,?,?,?)",
			 "ssssjsisss", c->id, n->org_id, n->name, n->kind, n->config,
			 n->sealed_secret, (int64_t)n->is_default, n->created_by, now, now);
	free(now);
	if (rc == -2)
		return c->rc = -2;
	return rc < 0 ? (c->rc = -1) : 0;
}

int backup_targets_insert(const struct backup_target_new *n, char id_out[37])
{
	uuid4(id_out);
	struct insert_ctx c = {n, id_out, 0};
	struct berr err = {0};
	if (db_tx(insert_tx, &c, &err) < 0)
		return c.rc ? c.rc : -1;
	return 0;
}

struct update_ctx {
	const char *org_id, *id;
	const struct backup_target_change *c;
	int rc;
};

static int update_tx(void *cls, struct berr *err)
{
	(void)err;
	struct update_ctx *u = cls;
	const struct backup_target_change *c = u->c;
	u->rc = 0;
	if (c->is_default == 1 &&
	    db_exec("UPDATE backup_targets SET is_default=0 WHERE org_id=?", "s", u->org_id) < 0)
		return u->rc = -1;
	char *now = iso8601_now();
	int rc = db_exec("UPDATE backup_targets SET name=coalesce(?, name),"
			 " config=coalesce(?, config), secret=coalesce(?, secret),"
			 " is_default=CASE WHEN ?<0 THEN is_default ELSE ? END, updated_at=?"
			 " WHERE org_id=? AND id=?",
			 "sjsiisss", c->name, c->config, c->sealed_secret, (int64_t)c->is_default,
			 (int64_t)c->is_default, now, u->org_id, u->id);
	free(now);
	if (rc == -2)
		return u->rc = -2;
	if (rc < 0 || db_changes() == 0)
		return u->rc = -1;
	if (c->is_default == 0 && default_to_local(u->org_id) < 0)
		return u->rc = -1;
	return 0;
}

int backup_targets_update(const char *org_id, const char *id,
			  const struct backup_target_change *c)
{
	struct update_ctx u = {org_id, id, c, 0};
	struct berr err = {0};
	if (db_tx(update_tx, &u, &err) < 0)
		return u.rc ? u.rc : -1;
	return 0;
}

struct delete_ctx {
	const char *org_id, *id;
	int64_t n_backups;
	int rc;
};

static int delete_tx(void *cls, struct berr *err)
{
	(void)err;
	struct delete_ctx *d = cls;
	d->rc = 0;
	d->n_backups = db_int(0, "SELECT count(*) FROM backups WHERE target_id=?", "s", d->id);
	if (d->n_backups > 0)
		return d->rc = -2;
	if (db_exec("DELETE FROM backup_targets WHERE org_id=? AND id=? AND kind!='local'", "ss",
		    d->org_id, d->id) < 0)
		return d->rc = -1;
	if (db_changes() == 0)
		return 0; /* d->rc stays 0: nothing removed */
	d->rc = 1;
	return default_to_local(d->org_id) < 0 ? (d->rc = -1) : 0;
}

int backup_targets_delete(const char *org_id, const char *id, int64_t *n_backups)
{
	struct delete_ctx d = {org_id, id, 0, 0};
	struct berr err = {0};
	int rc = db_tx(delete_tx, &d, &err);
	if (n_backups)
		*n_backups = d.n_backups;
	if (rc < 0)
		return d.rc < 0 ? d.rc : -1;
	return d.rc;
}

char *backup_targets_secret(const char *org_id, const char *id)
{
	return db_str("SELECT secret FROM backup_targets WHERE org_id=? AND id=?", "ss", org_id, id);
}

int backup_targets_pin_host_key(const char *id, const char *fingerprint)
{
	char *now = iso8601_now();
	int rc = db_exec("UPDATE backup_targets SET config=json_set(config, '$.host_key', ?),"
			 " updated_at=? WHERE id=? AND kind='sftp'"
			 " AND json_extract(config, '$.host_key') IS NULL",
			 "sss", fingerprint, now, id);
	free(now);
	if (rc < 0)
		return -1;
	return db_changes() > 0 ? 1 : 0;
}
