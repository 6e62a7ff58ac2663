/* servers.c: typed access to the servers table. */
#include "store/servers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"
#include "store/db.h"

static char *dup_or_null(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	return t ? xstrdup((const char *)t) : NULL;
}

int servers_get(const char *id, struct server_row *r)
{
	memset(r, 0, sizeof *r);
	sqlite3_stmt *st = db_prep("SELECT id, org_id, name, transport, host, user, auth_method,"
				   " host_key, docker_socket, status, status_reason, docker_version,"
				   " port, max_projects, http_port, https_port FROM servers WHERE id=?",
				   "s", id);
	if (!st)
		return -1;
	int rc = -1;
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(r->id, sizeof r->id, "%s", (const char *)sqlite3_column_text(st, 0));
		snprintf(r->org_id, sizeof r->org_id, "%s", (const char *)sqlite3_column_text(st, 1));
		r->name = dup_or_null(st, 2);
		r->transport = dup_or_null(st, 3);
		r->host = dup_or_null(st, 4);
		r->user = dup_or_null(st, 5);
		r->auth_method = dup_or_null(st, 6);
		r->host_key = dup_or_null(st, 7);
		r->docker_socket = dup_or_null(st, 8);
		r->status = dup_or_null(st, 9);
		r->status_reason = dup_or_null(st, 10);
		r->docker_version = dup_or_null(st, 11);
		r->port = sqlite3_column_int(st, 12);
		r->max_projects = sqlite3_column_int(st, 13);
		r->http_port = sqlite3_column_int(st, 14);
		r->https_port = sqlite3_column_int(st, 15);
		rc = 0;
	}
	sqlite3_finalize(st);
	return rc;
}

int servers_edge_ports(const char *id, int *http_port, int *https_port)
{
	*http_port = *https_port = 0;
	sqlite3_stmt *st = db_prep("SELECT http_port, https_port FROM servers WHERE id=?", "s", id);
	if (!st)
		return -1;
	int rc = -1;
	if (sqlite3_step(st) == SQLITE_ROW) {
		*http_port = sqlite3_column_int(st, 0);
		*https_port = sqlite3_column_int(st, 1);
		rc = 0;
	}
	sqlite3_finalize(st);
	return rc;
}

char *servers_mounts_root(const char *id)
{
	return db_str("SELECT mounts_root FROM servers WHERE id=?", "s", id);
}

void server_row_free(struct server_row *r)
{
	free(r->name);
	free(r->transport);
	free(r->host);
	free(r->user);
	free(r->auth_method);
	free(r->host_key);
	free(r->docker_socket);
	free(r->status);
	free(r->status_reason);
	free(r->docker_version);
	memset(r, 0, sizeof *r);
}

char *servers_credential_sealed(const char *id)
{
	return db_str("SELECT credential FROM servers WHERE id=?", "s", id);
}

int servers_insert(const struct server_new *n, char id[37])
{
	char *now = iso8601_now();
	uuid4(id);
	int rc = db_exec("INSERT INTO servers(id, org_id, name, transport, host, port, user,"
			 " auth_method, credential, docker_socket, max_projects, http_port, https_port,"
			 " created_at, updated_at) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
			 "sssssissssiiiss", id, n->org_id, n->name, n->transport, n->host,
			 (int64_t)n->port, n->user, n->auth_method, n->credential_sealed,
			 n->docker_socket, (int64_t)n->max_projects, (int64_t)n->http_port,
			 (int64_t)n->https_port, now, now);
	free(now);
	return rc;
}

int servers_update(const char *id, const struct server_patch *p)
{
	int rc = 0;
	if (p->name && (rc = db_exec("UPDATE servers SET name=? WHERE id=?", "ss", p->name, id)) < 0)
		return rc;
	if (p->host && db_exec("UPDATE servers SET host=?, host_key=NULL WHERE id=? AND host IS NOT ?",
			       "sss", p->host, id, p->host) < 0)
		return -1;
	if (p->has_port && db_exec("UPDATE servers SET port=? WHERE id=?", "is", (int64_t)p->port, id) < 0)
		return -1;
	if (p->user && db_exec("UPDATE servers SET user=? WHERE id=?", "ss", p->user, id) < 0)
		return -1;
	if (p->credential_sealed &&
	    db_exec("UPDATE servers SET credential=?, auth_method=? WHERE id=?", "sss",
		    p->credential_sealed, p->auth_method, id) < 0)
		return -1;
	if (p->docker_socket &&
	    db_exec("UPDATE servers SET docker_socket=? WHERE id=?", "ss", p->docker_socket, id) < 0)
		return -1;
	if (p->mounts_root &&
	    db_exec("UPDATE servers SET mounts_root=? WHERE id=?", "ss", p->mounts_root, id) < 0)
		return -1;
	if (p->has_max && db_exec("UPDATE servers SET max_projects=? WHERE id=?", "is",
				  (int64_t)p->max_projects, id) < 0)
		return -1;
	if (p->has_http && db_exec("UPDATE servers SET http_port=? WHERE id=?", "is",
				   (int64_t)p->http_port, id) < 0)
		return -1;
	if (p->has_https && db_exec("UPDATE servers SET https_port=? WHERE id=?", "is",
				    (int64_t)p->https_port, id) < 0)
		return -1;
	if (p->has_cloudflare && db_exec("UPDATE servers SET cloudflare_proxy=? WHERE id=?", "bs",
					 (int)p->cloudflare_proxy, id) < 0)
		return -1;
	if (p->reset_host_key && db_exec("UPDATE servers SET host_key=NULL WHERE id=?", "s", id) < 0)
		return -1;
	char *now = iso8601_now();
	rc = db_exec("UPDATE servers SET updated_at=? WHERE id=?", "ss", now, id);
	free(now);
	return rc < 0 ? -1 : 0;
}

int servers_record_probe(const char *id, const struct server_probe_rec *p)
{
	char *now = iso8601_now();
	int rc = db_exec("UPDATE servers SET status=?, status_reason=?, last_checked_at=?, updated_at=?"
			 " WHERE id=?", "sssss", p->status, p->reason && *p->reason ? p->reason : NULL,
			 now, now, id);
	free(now);
	if (rc == 0 && p->host_key && *p->host_key)
		rc = db_exec("UPDATE servers SET host_key=? WHERE id=? AND host_key IS NULL", "ss",
			     p->host_key, id);
	if (rc == 0 && str_eq(p->status, "running"))
		rc = db_exec("UPDATE servers SET cpu_cores=?, ram_mb=?, disk_gb=?, docker_version=?"
			     " WHERE id=?", "diiss", p->cpu_cores, (int64_t)p->ram_mb,
			     (int64_t)p->disk_gb, p->docker_version, id);
	return rc < 0 ? -1 : 0;
}

int servers_set_status(const char *id, const char *status, const char *reason)
{
	return db_exec("UPDATE servers SET status=?, status_reason=? WHERE id=?", "sss", status,
		       reason, id) < 0 ? -1 : 0;
}

int servers_delete(const char *id)
{
	return db_exec("DELETE FROM servers WHERE id=?", "s", id) < 0 ? -1 : 0;
}

int64_t servers_local_count(void)
{
	return db_int(0, "SELECT count(*) FROM servers WHERE transport='local'", "");
}

json_t *servers_environments(const char *id)
{
	return db_rows("SELECT e.id, e.name, p.name AS project FROM environments e"
		       " JOIN projects p ON p.id=e.project_id WHERE e.vm_id=? ORDER BY p.name, e.name",
		       "s", id);
}

char *servers_pending_job(const char *id, const char *type)
{
	return db_str("SELECT id FROM jobs WHERE server_id=? AND environment_id IS NULL AND type=?"
		      " AND status IN ('queued','running')", "ss", id, type);
}

bool servers_cloudflare_proxy(const char *id)
{
	return db_int(0, "SELECT cloudflare_proxy FROM servers WHERE id=?", "s", id) != 0;
}
