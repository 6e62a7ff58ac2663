/* users.c: users, tokens and login failures. */
#include "store/users.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"
#include "store/db.h"

int64_t users_count(void)
{
	return db_int(0, "SELECT count(*) FROM users", "");
}

char *users_id_by_email(const char *email)
{
	return db_str("SELECT id FROM users WHERE email=?", "s", email);
}

char *users_password_hash(const char *email)
{
	return db_str("SELECT password_hash FROM users WHERE email=?", "s", email);
}

int users_set_password_hash(const char *user_id, const char *hash)
{
	return db_exec("UPDATE users SET password_hash=? WHERE id=?", "ss", hash, user_id) < 0 ? -1
												  : 0;
}

static void copy_col(char *dst, size_t len, sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	snprintf(dst, len, "%s", t ? (const char *)t : "");
}

int tokens_by_hash(const char *hash, struct token_row *t)
{
	memset(t, 0, sizeof *t);
	sqlite3_stmt *st = db_cached("SELECT t.id, t.kind, t.scope, t.expires_at, u.id, u.email,"
				   " u.is_admin FROM tokens t JOIN users u ON u.id=t.user_id"
				   " WHERE t.hash=?", "s", hash);
	if (!st)
		return -1;
	int rc = -1;
	if (sqlite3_step(st) == SQLITE_ROW) {
		copy_col(t->token_id, sizeof t->token_id, st, 0);
		copy_col(t->kind, sizeof t->kind, st, 1);
		copy_col(t->scope, sizeof t->scope, st, 2);
		t->expires_at = sqlite3_column_type(st, 3) == SQLITE_INTEGER ? sqlite3_column_int64(st, 3)
									     : 0;
		copy_col(t->user_id, sizeof t->user_id, st, 4);
		copy_col(t->email, sizeof t->email, st, 5);
		t->is_admin = sqlite3_column_int(st, 6) != 0;
		rc = 0;
	}
	db_done(st);
	return rc;
}

int tokens_expiry(const char *token_id, int64_t *expires_at)
{
	json_t *r = db_row("SELECT expires_at FROM tokens WHERE id=?", "s", token_id);
	if (!r)
		return -1;
	*expires_at = json_integer_value(json_object_get(r, "expires_at"));
	json_decref(r);
	return 0;
}

int tokens_touch(const char *token_id)
{
	char *now = iso8601_now();
	int rc = db_exec("UPDATE tokens SET last_used_at=? WHERE id=?", "ss", now, token_id);
	free(now);
	return rc < 0 ? -1 : 0;
}

int64_t tokens_delete_sessions_except(const char *user_id, const char *keep_token_id)
{
	if (db_exec("DELETE FROM tokens WHERE user_id=? AND kind='session' AND id<>?", "ss", user_id,
		    keep_token_id ? keep_token_id : "") < 0)
		return -1;
	return db_changes();
}

int tokens_insert_session(const char *id, const char *hash, const char *user_id,
			  int64_t expires_at)
{
	char *now = iso8601_now();
	int rc = db_exec("INSERT INTO tokens(id, hash, user_id, kind, scope, created_at, expires_at)"
			 " VALUES(?,?,?,'session','read-write',?,?)",
			 "ssssi", id, hash, user_id, now, expires_at);
	free(now);
	return rc < 0 ? -1 : 0;
}

int tokens_insert_api_key(const char *id, const char *hash, const char *user_id, const char *name,
			  const char *scope, const char *prefix, int64_t expires_at)
{
	char *now = iso8601_now();
	sqlite3_stmt *st = db_prep("INSERT INTO tokens(id, hash, user_id, kind, name, scope, prefix,"
				   " created_at, expires_at) VALUES(?,?,?,'api_key',?,?,?,?,?)",
				   "sssssss", id, hash, user_id, name, scope, prefix, now);
	if (expires_at && st)
		sqlite3_bind_int64(st, 8, expires_at);
	int rc = st ? sqlite3_step(st) : SQLITE_ERROR;
	sqlite3_finalize(st);
	free(now);
	return rc == SQLITE_DONE ? 0 : -1;
}

int tokens_delete_session(const char *token_id)
{
	return db_exec("DELETE FROM tokens WHERE id=? AND kind='session'", "s", token_id) < 0 ? -1 : 0;
}

int tokens_delete_api_key(const char *id, const char *user_id)
{
	if (db_exec("DELETE FROM tokens WHERE id=? AND user_id=? AND kind='api_key'", "ss", id,
		    user_id) < 0)
		return -1;
	return db_changes() > 0 ? 1 : 0;
}

#define KEY_COLS                                                                               \
	"id, name, scope, prefix, created_at,"                                                  \
	" CASE WHEN expires_at IS NULL THEN NULL ELSE"                                          \
	" strftime('%Y-%m-%dT%H:%M:%SZ', expires_at, 'unixepoch') END AS expires_at,"           \
	" last_used_at"

json_t *tokens_api_key_get(const char *id)
{
	return db_row("SELECT " KEY_COLS " FROM tokens WHERE id=?", "s", id);
}

json_t *tokens_api_keys_of(const char *user_id)
{
	return db_rows("SELECT " KEY_COLS " FROM tokens WHERE user_id=? AND kind='api_key'"
		       " ORDER BY created_at, id", "s", user_id);
}

int login_attempt(const char *key, int64_t now, int64_t window, int64_t limit, int64_t lock_s,
		  struct login_failure *f)
{
	memset(f, 0, sizeof *f);
	/* SET expressions read the row as it was: one statement decides and counts */
	sqlite3_stmt *st = db_prep(
		"INSERT INTO login_failures(key, count, first_at, locked_until)"
		" VALUES(?1, 1, ?2, CASE WHEN 1 > ?4 THEN ?2 + ?5 ELSE 0 END)"
		" ON CONFLICT(key) DO UPDATE SET"
		"  count = CASE WHEN locked_until <= ?2 AND first_at <= ?2 - ?3 THEN 1"
		"   ELSE count + 1 END,"
		"  first_at = CASE WHEN locked_until <= ?2 AND first_at <= ?2 - ?3 THEN ?2"
		"   ELSE first_at END,"
		"  locked_until = CASE WHEN locked_until > ?2 THEN locked_until"
		"   WHEN first_at > ?2 - ?3 AND count + 1 > ?4 THEN ?2 + ?5 ELSE 0 END"
		" RETURNING count, first_at, locked_until",
		"siiii", key, now, window, limit, lock_s);
	if (!st)
		return -1;
	int rc = -1;
	if (sqlite3_step(st) == SQLITE_ROW) {
		f->count = sqlite3_column_int64(st, 0);
		f->first_at = sqlite3_column_int64(st, 1);
		f->locked_until = sqlite3_column_int64(st, 2);
		rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
	}
	sqlite3_finalize(st);
	return rc;
}

int login_attempt_undo(const char *key, int64_t now)
{
	return db_exec("UPDATE login_failures SET count=count-1 WHERE key=? AND count>0"
		       " AND locked_until<=?", "si", key, now) < 0 ? -1 : 0;
}

int login_failures_clear(const char *key)
{
	return db_exec("DELETE FROM login_failures WHERE key=?", "s", key) < 0 ? -1 : 0;
}
