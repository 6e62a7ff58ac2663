/* certs.c: the certificates table (certs.h). */
#include "store/certs.h"

#include <stdlib.h>
#include <string.h>

#include "lib/util.h"
#include "store/db.h"

#define CERT_COLS \
	"domain, source, status, not_before, not_after, issuer, error, attempts," \
	" next_attempt_at, force_renew, updated_at"

json_t *certs_of_env(const char *env_id)
{
	return db_rows("SELECT " CERT_COLS " FROM certificates WHERE env_id=? ORDER BY domain", "s",
		       env_id);
}

json_t *cert_get(const char *env_id, const char *domain)
{
	return db_row("SELECT " CERT_COLS " FROM certificates WHERE env_id=? AND domain=?", "ss",
		      env_id, domain);
}

int cert_material(const char *env_id, const char *domain, char **cert_pem, char **key_sealed)
{
	*cert_pem = db_str("SELECT cert_pem FROM certificates WHERE env_id=? AND domain=?"
			   " AND key_sealed IS NOT NULL", "ss", env_id, domain);
	*key_sealed = db_str("SELECT key_sealed FROM certificates WHERE env_id=? AND domain=?"
			     " AND cert_pem IS NOT NULL", "ss", env_id, domain);
	if (!*cert_pem || !*key_sealed) {
		free(*cert_pem);
		free(*key_sealed);
		*cert_pem = *key_sealed = NULL;
		return -1;
	}
	return 0;
}

int cert_put_custom(const char *org_id, const char *env_id, const char *domain,
		    const char *cert_pem, const char *key_sealed, const char *not_before,
		    const char *not_after, const char *issuer)
{
	char id[37];
	uuid4(id);
	char *now = iso8601_now();
	int rc = db_exec(
		"INSERT INTO certificates(id, org_id, env_id, domain, source, status, cert_pem,"
		" key_sealed, not_before, not_after, issuer, error, attempts, next_attempt_at,"
		" force_renew, created_at, updated_at) VALUES(?,?,?,?,'custom','active',?,?,?,?,?,"
		"NULL,0,NULL,0,?,?) ON CONFLICT(env_id, domain) DO UPDATE SET source='custom',"
		" status='active', cert_pem=excluded.cert_pem, key_sealed=excluded.key_sealed,"
		" not_before=excluded.not_before, not_after=excluded.not_after,"
		" issuer=excluded.issuer, error=NULL, attempts=0, next_attempt_at=NULL,"
		" force_renew=0, updated_at=excluded.updated_at",
		"sssssssssss", id, org_id, env_id, domain, cert_pem, key_sealed, not_before, not_after,
		issuer, now, now);
	free(now);
	return rc;
}

int cert_delete(const char *env_id, const char *domain)
{
	if (db_exec("DELETE FROM certificates WHERE env_id=? AND domain=?", "ss", env_id, domain) < 0)
		return -1;
	return db_changes() > 0 ? 1 : 0;
}

int cert_prune(const char *env_id, json_t *domains)
{
	if (db_exec("DELETE FROM certificates WHERE env_id=? AND domain NOT IN"
		    " (SELECT value FROM json_each(?))", "sj", env_id, domains) < 0)
		return -1;
	return (int)db_changes();
}

int cert_ensure_acme(const char *org_id, const char *env_id, const char *domain)
{
	char id[37];
	uuid4(id);
	char *now = iso8601_now();
	int rc = db_exec("INSERT INTO certificates(id, org_id, env_id, domain, source, status,"
			 " created_at, updated_at) VALUES(?,?,?,?,'acme','pending',?,?)"
			 " ON CONFLICT(env_id, domain) DO NOTHING",
			 "ssssss", id, org_id, env_id, domain, now, now);
	free(now);
	return rc;
}

int cert_set_issued(const char *env_id, const char *domain, const char *cert_pem,
		    const char *key_sealed, const char *not_before, const char *not_after,
		    const char *issuer)
{
	char *now = iso8601_now();
	int rc = db_exec("UPDATE certificates SET source='acme', status='active', cert_pem=?,"
			 " key_sealed=?, not_before=?, not_after=?, issuer=?, error=NULL, attempts=0,"
			 " next_attempt_at=NULL, force_renew=0, updated_at=? WHERE env_id=? AND domain=?",
			 "ssssssss", cert_pem, key_sealed, not_before, not_after, issuer, now, env_id,
			 domain);
	free(now);
	return rc;
}

int cert_set_failed(const char *env_id, const char *domain, const char *error,
		    const char *next_attempt_at)
{
	char *now = iso8601_now();
	int rc = db_exec("UPDATE certificates SET status=CASE WHEN status='active' AND"
			 " cert_pem IS NOT NULL AND not_after > ? THEN 'active' ELSE 'failed' END,"
			 " error=?, attempts=attempts+1, next_attempt_at=?, force_renew=0,"
			 " updated_at=? WHERE env_id=? AND domain=?",
			 "ssssss", now, error, next_attempt_at, now, env_id, domain);
	free(now);
	return rc;
}

int cert_force_renew_env(const char *env_id)
{
	return db_exec("UPDATE certificates SET force_renew=1 WHERE env_id=? AND source='acme'", "s",
		       env_id);
}

json_t *certs_due_envs(const char *before, const char *now)
{
	json_t *rows = db_rows(
		"SELECT DISTINCT c.env_id AS id FROM certificates c JOIN environments e ON"
		" e.id=c.env_id WHERE c.source='acme' AND e.deployed_at IS NOT NULL AND"
		" e.status NOT IN ('removing','removed') AND (c.force_renew OR"
		" ((c.status<>'active' OR c.not_after IS NULL OR c.not_after < ?) AND"
		" (c.next_attempt_at IS NULL OR c.next_attempt_at <= ?))) ORDER BY c.env_id",
		"ss", before, now);
	json_t *ids = json_array();
	size_t i;
	json_t *r;
	json_array_foreach(rows, i, r)
		json_array_append(ids, json_object_get(r, "id"));
	json_decref(rows);
	return ids;
}

int env_tls_set(const char *env_id, const char *status, const char *error)
{
	return db_exec("UPDATE environments SET tls_status=?, tls_error=? WHERE id=?", "sss", status,
		       error, env_id);
}

int env_force_ssl_reset(const char *env_id)
{
	return db_exec("UPDATE environments SET settings=json_remove(settings, '$.force_ssl')"
		       " WHERE id=? AND json_valid(settings)", "s", env_id);
}
