/* db.h: the SQLite store. One connection per thread (opened lazily), WAL mode, numbered
 * migrations applied at start. Rows come back as JSON objects whose value types follow the
 * columns' declared types: BOOLEAN -> true/false, JSON -> parsed, SECRET -> never returned. */
#ifndef BERTH_DB_H
#define BERTH_DB_H
#include <jansson.h>
#include <sqlite3.h>
#include <stdint.h>
#include "lib/errors.h"

int db_open(const char *data_dir, struct berr *err);
void db_close_thread(void);
/* Hands this thread's connection back to the pool (end of an HTTP request). */
void db_release_thread(void);
/* End of a request on a long-lived thread (the HTTP pool): rolls back a transaction left
 * open and keeps the connection (and its statement cache) for the thread's next request. */
void db_end_request(void);
void db_shutdown(void);
sqlite3 *db_conn(void);

/* Binding types, one char per argument: s text (NULL binds null), i int64, d double,
 * b bool (int), j json_t* (dumped as text, NULL binds null). */
sqlite3_stmt *db_prep(const char *sql, const char *types, ...);
sqlite3_stmt *db_vprep(const char *sql, const char *types, va_list ap);
/* Runs a statement. 0 done, -1 error (logged), -2 constraint violation. */
int db_exec(const char *sql, const char *types, ...);
json_t *db_rows(const char *sql, const char *types, ...);   /* array, never NULL */
json_t *db_row(const char *sql, const char *types, ...);    /* object or NULL */
int64_t db_int(int64_t dflt, const char *sql, const char *types, ...);
char *db_str(const char *sql, const char *types, ...);      /* caller frees; NULL if none */
json_t *db_row_json(sqlite3_stmt *st);
/* The statement for sql, prepared once per connection and kept (as db_rows' own are), with
 * the arguments bound: step it, then hand it back with db_done() (never sqlite3_finalize),
 * before preparing the same SQL again. NULL when it cannot be prepared (logged). */
sqlite3_stmt *db_cached(const char *sql, const char *types, ...);
void db_done(sqlite3_stmt *st);
int64_t db_changes(void);

/* A snapshot of the database as this thread's connection sees it: PRAGMA data_version (it
 * changes when any other connection, in this process or another, commits) and the
 * connection's own sqlite3_total_changes64 (its own writes). Two equal snapshots mean no
 * write happened anywhere in between. -1 inside a transaction (uncommitted changes could
 * still be rolled back without changing either number): nothing may be memoized then. */
struct db_snap {
	int64_t data_version, total_changes;
};
int db_snapshot(struct db_snap *s);
/* The same from a data_version read by the caller's own statement (a column
 * `(SELECT data_version FROM pragma_data_version)`, read in that statement's read
 * transaction, so the snapshot is the one its rows came from), stepped and handed back. */
int db_snapshot_from(int64_t data_version, struct db_snap *s);
/* A small memo of answers per connection (a few entries, least recently used replaced),
 * each valid for exactly one snapshot. db_memo_get returns a copy (caller frees) of the
 * text kept under key for snap, or NULL; db_memo_put keeps text (len bytes) under key when
 * the snapshot is still current after the text was computed (snap taken before), so a
 * write racing the computation leaves nothing behind. Only for text that depends on the
 * database and key alone (nothing time-dependent, nothing of the caller's identity). */
char *db_memo_get(const char *key, const struct db_snap *snap, size_t *len);
void db_memo_put(const char *key, const struct db_snap *snap, const char *text, size_t len);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. */
int db_begin(void);
/* Runs fn(ctx, err) inside one BEGIN IMMEDIATE transaction: commits when it returns 0,
 * rolls back otherwise. A busy database (SQLITE_BUSY on BEGIN or COMMIT) is retried a few
 * times with a short backoff; fn must then be safe to run again (it only touches the store).
 * Returns fn's result, or -1 with err set (BE_INTERNAL_ERROR) when the transaction itself failed. */
typedef int (*db_tx_fn)(void *ctx, struct berr *err);
int db_tx(db_tx_fn fn, void *ctx, struct berr *err);
int db_commit(void);
void db_rollback(void);
#endif
