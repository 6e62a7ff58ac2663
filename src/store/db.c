#include "store/db.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/util.h"
#include "store/schema.h"

static char *db_path;

/* Statements prepared once per connection and reused: the helpers below (db_exec, db_rows,
 * db_row, db_int, db_str) look their SQL text up here; db_prep's statements stay the
 * caller's to finalize. A connection moves between threads with its cache. */
#define STMT_CACHE 256
struct cached_stmt {
	uint64_t hash;
	char *sql;
	sqlite3_stmt *st;
};
#define MEMO_N 4
#define MEMO_MAX_TEXT (256 * 1024) /* larger answers are not kept (memory stays bounded) */
struct memo {
	struct db_snap snap;
	char *key, *text;
	size_t len;
	uint64_t used;
};
struct dbconn {
	sqlite3 *db;
	struct cached_stmt cache[STMT_CACHE];
	struct memo memo[MEMO_N];
	uint64_t memo_tick;
};
static __thread struct dbconn *tls_db;

/* Connections of finished requests wait here for the next one (HTTP threads come and go). */
#define POOL_MAX 16
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static struct dbconn *pool[POOL_MAX];
static int pool_n;

static struct dbconn *open_conn(void)
{
	sqlite3 *d = NULL;
	if (sqlite3_open_v2(db_path, &d,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		log_msg(LOG_ERROR, "cannot open store %s: %s", db_path, d ? sqlite3_errmsg(d) : "");
		abort();
	}
	sqlite3_busy_timeout(d, 10000);
	sqlite3_exec(d, "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;",
		     NULL, NULL, NULL);
	struct dbconn *c = xcalloc(1, sizeof *c);
	c->db = d;
	return c;
}

static void close_conn(struct dbconn *c)
{
	for (size_t i = 0; i < STMT_CACHE; i++) {
		sqlite3_finalize(c->cache[i].st);
		free(c->cache[i].sql);
	}
	for (size_t i = 0; i < MEMO_N; i++) {
		free(c->memo[i].key);
		free(c->memo[i].text);
	}
	sqlite3_close_v2(c->db);
	free(c);
}

/* A thread that ends with a connection (an HTTP pool thread keeps its own from request to
 * request) hands it back to the pool, or closes it. */
static pthread_key_t conn_key;
static pthread_once_t conn_key_once = PTHREAD_ONCE_INIT;

static void conn_at_exit(void *p)
{
	struct dbconn *c = p;
	if (!sqlite3_get_autocommit(c->db))
		sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
	pthread_mutex_lock(&pool_lock);
	if (pool_n < POOL_MAX) {
		pool[pool_n++] = c;
		c = NULL;
	}
	pthread_mutex_unlock(&pool_lock);
	if (c)
		close_conn(c);
}

static void conn_key_init(void)
{
	pthread_key_create(&conn_key, conn_at_exit);
}

static struct dbconn *conn(void)
{
	if (!tls_db) {
		pthread_mutex_lock(&pool_lock);
		if (pool_n)
			tls_db = pool[--pool_n];
		pthread_mutex_unlock(&pool_lock);
		if (!tls_db)
			tls_db = open_conn();
		pthread_once(&conn_key_once, conn_key_init);
		pthread_setspecific(conn_key, tls_db);
	}
	return tls_db;
}

sqlite3 *db_conn(void)
{
	return conn()->db;
}

void db_release_thread(void)
{
	if (!tls_db)
		return;
	if (!sqlite3_get_autocommit(tls_db->db))
		sqlite3_exec(tls_db->db, "ROLLBACK", NULL, NULL, NULL);
	pthread_mutex_lock(&pool_lock);
	if (pool_n < POOL_MAX) {
		pool[pool_n++] = tls_db;
		tls_db = NULL;
		pthread_setspecific(conn_key, NULL);
	}
	pthread_mutex_unlock(&pool_lock);
	db_close_thread();
}

void db_end_request(void)
{
	if (tls_db && !sqlite3_get_autocommit(tls_db->db))
		sqlite3_exec(tls_db->db, "ROLLBACK", NULL, NULL, NULL);
}

void db_close_thread(void)
{
	if (tls_db) {
		close_conn(tls_db);
		tls_db = NULL;
		pthread_setspecific(conn_key, NULL);
	}
}

void db_shutdown(void)
{
	db_close_thread();
	pthread_mutex_lock(&pool_lock);
	while (pool_n)
		close_conn(pool[--pool_n]);
	pthread_mutex_unlock(&pool_lock);
	free(db_path);
	db_path = NULL;
}

/* Before SQLite initialises: no global memory statistics (a mutex on every allocation). */
static void sqlite_global_config(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int db_open(const char *data_dir, struct berr *err)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, sqlite_global_config);
	free(db_path);
	db_path = xasprintf("%s/berth.db", data_dir);
	sqlite3 *d = db_conn();
	int64_t v = 0;
	sqlite3_exec(d, "CREATE TABLE IF NOT EXISTS schema_version(version INTEGER NOT NULL)", NULL,
		     NULL, NULL);
	v = db_int(0, "SELECT max(version) FROM schema_version", "");
	for (size_t i = (size_t)v; i < schema_migrations_count; i++) {
		char *msg = NULL;
		if (sqlite3_exec(d, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(d, schema_migrations[i], NULL, NULL, &msg) != SQLITE_OK) {
			berr_set(err, BE_INTERNAL_ERROR, NULL, "migration %zu failed: %s", i + 1,
				 msg ? msg : sqlite3_errmsg(d));
			sqlite3_free(msg);
			sqlite3_exec(d, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
		db_exec("INSERT INTO schema_version(version) VALUES(?)", "i", (int64_t)(i + 1));
		sqlite3_exec(d, "COMMIT", NULL, NULL, NULL);
		log_event(LOG_INFO, "store migrated", json_pack("{s:i}", "version", (int)(i + 1)));
	}
	return 0;
}

static void bind_args(sqlite3_stmt *st, const char *types, va_list ap)
{
	int i = 1;
	for (const char *t = types; *t; t++, i++) {
		switch (*t) {
		case 's': {
			const char *s = va_arg(ap, const char *);
			if (s)
				sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
			else
				sqlite3_bind_null(st, i);
			break;
		}
		case 'i':
			sqlite3_bind_int64(st, i, va_arg(ap, int64_t));
			break;
		case 'b':
			sqlite3_bind_int(st, i, va_arg(ap, int) ? 1 : 0);
			break;
		case 'd':
			sqlite3_bind_double(st, i, va_arg(ap, double));
			break;
		case 'j': {
			json_t *j = va_arg(ap, json_t *);
			if (j) {
				char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
				sqlite3_bind_text(st, i, s, -1, free);
			} else {
				sqlite3_bind_null(st, i);
			}
			break;
		}
		default:
			abort();
		}
	}
}


sqlite3_stmt *db_vprep(const char *sql, const char *types, va_list ap)
{
	sqlite3 *d = db_conn();
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(d, sql, -1, &st, NULL) != SQLITE_OK) {
		log_event(LOG_ERROR, "sql prepare failed",
			  json_pack("{s:s,s:s}", "error", sqlite3_errmsg(d), "sql", sql));
		return NULL;
	}
	bind_args(st, types, ap);
	return st;
}

static uint64_t sql_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

/* A cached statement for sql, bound; hand it back with done(). */
static sqlite3_stmt *cprep(const char *sql, const char *types, va_list ap)
{
	struct dbconn *c = conn();
	uint64_t h = sql_hash(sql);
	struct cached_stmt *e = &c->cache[h % STMT_CACHE];
	if (!e->st || e->hash != h || strcmp(e->sql, sql) != 0) {
		sqlite3_stmt *st = NULL;
		if (sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) !=
		    SQLITE_OK) {
			log_event(LOG_ERROR, "sql prepare failed",
				  json_pack("{s:s,s:s}", "error", sqlite3_errmsg(c->db), "sql", sql));
			return NULL;
		}
		sqlite3_finalize(e->st);
		free(e->sql);
		e->st = st;
		e->sql = xstrdup(sql);
		e->hash = h;
	}
	bind_args(e->st, types, ap);
	return e->st;
}

static void done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

sqlite3_stmt *db_prep(const char *sql, const char *types, ...)
{
	va_list ap;
	va_start(ap, types);
	sqlite3_stmt *st = db_vprep(sql, types, ap);
	va_end(ap);
	return st;
}

int db_exec(const char *sql, const char *types, ...)
{
	va_list ap;
	va_start(ap, types);
	sqlite3_stmt *st = cprep(sql, types, ap);
	va_end(ap);
	if (!st)
		return -1;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	done(st);
	if (rc == SQLITE_DONE)
		return 0;
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return -2;
	log_event(LOG_ERROR, "sql failed",
		  json_pack("{s:s,s:s}", "error", sqlite3_errmsg(db_conn()), "sql", sql));
	return -1;
}

json_t *db_row_json(sqlite3_stmt *st)
{
	json_t *o = json_object();
	int n = sqlite3_column_count(st);
	for (int c = 0; c < n; c++) {
		const char *name = sqlite3_column_name(st, c);
		const char *decl = sqlite3_column_decltype(st, c);
		int t = sqlite3_column_type(st, c);
		json_t *v = NULL;
		if (decl && strcmp(decl, "SECRET") == 0)
			continue;
		if (t == SQLITE_NULL) {
			v = json_null();
		} else if (decl && strcmp(decl, "BOOLEAN") == 0) {
			v = json_boolean(sqlite3_column_int(st, c));
		} else if (decl && strcmp(decl, "JSON") == 0) {
			v = json_loads((const char *)sqlite3_column_text(st, c), JSON_DECODE_ANY, NULL);
			if (!v)
				v = json_null();
		} else if (t == SQLITE_INTEGER) {
			v = json_integer(sqlite3_column_int64(st, c));
		} else if (t == SQLITE_FLOAT) {
			v = json_real(sqlite3_column_double(st, c));
		} else {
			v = json_string((const char *)sqlite3_column_text(st, c));
		}
		json_object_set_new_nocheck(o, name, v); /* column names are ASCII */
	}
	return o;
}

json_t *db_rows(const char *sql, const char *types, ...)
{
	va_list ap;
	va_start(ap, types);
	sqlite3_stmt *st = cprep(sql, types, ap);
	va_end(ap);
	json_t *a = json_array();
	if (!st)
		return a;
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(a, db_row_json(st));
	done(st);
	return a;
}

json_t *db_row(const char *sql, const char *types, ...)
{
	va_list ap;
	va_start(ap, types);
	sqlite3_stmt *st = cprep(sql, types, ap);
	va_end(ap);
	if (!st)
		return NULL;
	json_t *o = NULL;
	if (sqlite3_step(st) == SQLITE_ROW)
		o = db_row_json(st);
	done(st);
	return o;
}

int64_t db_int(int64_t dflt, const char *sql, const char *types, ...)
{
	va_list ap;
	va_start(ap, types);
	sqlite3_stmt *st = cprep(sql, types, ap);
	va_end(ap);
	if (!st)
		return dflt;
	int64_t v = dflt;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(st, 0);
	done(st);
	return v;
}

char *db_str(const char *sql, const char *types, ...)
{
	va_list ap;
	va_start(ap, types);
	sqlite3_stmt *st = cprep(sql, types, ap);
	va_end(ap);
	if (!st)
		return NULL;
	char *v = NULL;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = xstrdup((const char *)sqlite3_column_text(st, 0));
	done(st);
	return v;
}

int64_t db_changes(void)
{
	return sqlite3_changes(db_conn());
}

int db_begin(void)
{
	return sqlite3_exec(db_conn(), "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

int db_commit(void)
{
	return sqlite3_exec(db_conn(), "COMMIT", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

void db_rollback(void)
{
	sqlite3_exec(db_conn(), "ROLLBACK", NULL, NULL, NULL);
}

static bool busy(int rc)
{
	return (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED;
}

int db_tx(db_tx_fn fn, void *ctx, struct berr *err)
{
	sqlite3 *c = db_conn();
	for (int attempt = 0;; attempt++) {
		int rc = sqlite3_exec(c, "BEGIN IMMEDIATE", NULL, NULL, NULL);
		if (rc != SQLITE_OK) {
			if (busy(rc) && attempt < 5) {
				usleep(20000u << attempt);
				continue;
			}
			log_msg(LOG_ERROR, "store: begin failed: %s", sqlite3_errmsg(c));
			return berr_set(err, BE_INTERNAL_ERROR, NULL, "the store is busy; try again");
		}
		int r = fn(ctx, err);
		if (r != 0) {
			sqlite3_exec(c, "ROLLBACK", NULL, NULL, NULL);
			return r;
		}
		rc = sqlite3_exec(c, "COMMIT", NULL, NULL, NULL);
		if (rc == SQLITE_OK)
			return 0;
		sqlite3_exec(c, "ROLLBACK", NULL, NULL, NULL);
		if (busy(rc) && attempt < 5) {
			usleep(20000u << attempt);
			continue;
		}
		log_msg(LOG_ERROR, "store: commit failed: %s", sqlite3_errmsg(c));
		return berr_set(err, BE_INTERNAL_ERROR, NULL, "the change could not be saved");
	}
}

sqlite3_stmt *db_cached(const char *sql, const char *types, ...)
{
	va_list ap;
	va_start(ap, types);
	sqlite3_stmt *st = cprep(sql, types, ap);
	va_end(ap);
	return st;
}

void db_done(sqlite3_stmt *st)
{
	if (st)
		done(st);
}

int db_snapshot(struct db_snap *s)
{
	struct dbconn *c = conn();
	if (!sqlite3_get_autocommit(c->db))
		return -1;
	sqlite3_stmt *st = db_cached("PRAGMA data_version", "");
	int rc = st && sqlite3_step(st) == SQLITE_ROW ? 0 : -1;
	if (rc == 0)
		s->data_version = sqlite3_column_int64(st, 0);
	db_done(st);
	s->total_changes = sqlite3_total_changes64(c->db);
	return rc;
}

int db_snapshot_from(int64_t data_version, struct db_snap *s)
{
	struct dbconn *c = conn();
	if (!sqlite3_get_autocommit(c->db))
		return -1;
	s->data_version = data_version;
	s->total_changes = sqlite3_total_changes64(c->db);
	return 0;
}

static bool snap_eq(const struct db_snap *a, const struct db_snap *b)
{
	return a->data_version == b->data_version && a->total_changes == b->total_changes;
}

char *db_memo_get(const char *key, const struct db_snap *snap, size_t *len)
{
	struct dbconn *c = conn();
	for (size_t i = 0; i < MEMO_N; i++) {
		struct memo *m = &c->memo[i];
		if (m->key && snap_eq(&m->snap, snap) && strcmp(m->key, key) == 0) {
			m->used = ++c->memo_tick;
			char *t = xmalloc(m->len + 1);
			memcpy(t, m->text, m->len + 1);
			*len = m->len;
			return t;
		}
	}
	return NULL;
}

void db_memo_put(const char *key, const struct db_snap *snap, const char *text, size_t len)
{
	struct db_snap now;
	if (len > MEMO_MAX_TEXT || db_snapshot(&now) < 0 || !snap_eq(&now, snap))
		return;
	struct dbconn *c = conn();
	struct memo *m = NULL, *lru = &c->memo[0];
	for (size_t i = 0; i < MEMO_N && !m; i++)
		if (c->memo[i].key && strcmp(c->memo[i].key, key) == 0)
			m = &c->memo[i];
	for (size_t i = 0; i < MEMO_N && !m; i++) {
		struct memo *e = &c->memo[i];
		if (!e->key)
			m = e;
		else if (e->used < lru->used)
			lru = e;
	}
	if (!m)
		m = lru;
	if (!m->key || strcmp(m->key, key) != 0) {
		free(m->key);
		m->key = xstrdup(key);
	}
	free(m->text);
	m->text = xmalloc(len + 1);
	memcpy(m->text, text, len);
	m->text[len] = '\0';
	m->len = len;
	m->snap = *snap;
	m->used = ++c->memo_tick;
}
