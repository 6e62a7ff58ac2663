/* metrics.c: the monitoring samples (see metrics.h). */
#include "store/metrics.h"

#include <math.h>
#include <string.h>

#include "lib/log.h"
#include "store/db.h"

static void bind_ll(sqlite3_stmt *st, int i, long long v)
{
	if (v < 0)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_int64(st, i, v);
}

static void bind_d(sqlite3_stmt *st, int i, double v)
{
	if (isnan(v) || v < 0)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_double(st, i, v);
}

static long long col_ll(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, i);
}

static double col_d(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

#define MCOLS "env_id, container, ts, cpu_ns, cpu_limit, mem_used, mem_limit, net_rx, net_tx," \
	      " blk_read, blk_write, restarts"
#define SCOLS "server_id, ts, reachable, ncpu, cpu_busy, cpu_total, mem_used, mem_total," \
	      " disk_used, disk_free, load1, load5, load15"

static int put_msample(const char *sql, const struct msample *m)
{
	sqlite3_stmt *st = db_cached(sql, "ssi", m->env_id, m->container, (int64_t)m->ts);
	if (!st)
		return -1;
	bind_ll(st, 4, m->cpu_ns);
	bind_d(st, 5, m->cpu_limit);
	bind_ll(st, 6, m->mem_used);
	bind_ll(st, 7, m->mem_limit);
	bind_ll(st, 8, m->net_rx);
	bind_ll(st, 9, m->net_tx);
	bind_ll(st, 10, m->blk_read);
	bind_ll(st, 11, m->blk_write);
	bind_ll(st, 12, m->restarts);
	int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
	db_done(st);
	return rc;
}

int metrics_store_round(const struct ssample *s, const struct msample *c, size_t n)
{
	if (db_begin() < 0)
		return -1;
	int rc = 0;
	sqlite3_stmt *st = db_cached("INSERT OR REPLACE INTO server_samples(" SCOLS ")"
				     " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)",
				     "sib", s->server_id, (int64_t)s->ts, (int)s->reachable);
	if (st) {
		bind_ll(st, 4, s->ncpu);
		bind_ll(st, 5, s->cpu_busy);
		bind_ll(st, 6, s->cpu_total);
		bind_ll(st, 7, s->mem_used);
		bind_ll(st, 8, s->mem_total);
		bind_ll(st, 9, s->disk_used);
		bind_ll(st, 10, s->disk_free);
		bind_d(st, 11, s->load1);
		bind_d(st, 12, s->load5);
		bind_d(st, 13, s->load15);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = -1;
		db_done(st);
	} else {
		rc = -1;
	}
	for (size_t i = 0; i < n && rc == 0; i++)
		if (put_msample("INSERT OR REPLACE INTO metric_samples(" MCOLS ")"
				" VALUES(?,?,?,?,?,?,?,?,?,?,?,?)", &c[i]) < 0 ||
		    put_msample("INSERT OR REPLACE INTO metric_latest(" MCOLS ")"
				" VALUES(?,?,?,?,?,?,?,?,?,?,?,?)", &c[i]) < 0)
			rc = -1;
	if (rc == 0 && db_commit() == 0)
		return 0;
	db_rollback();
	return -1;
}

int metrics_env_each(const char *env_id, int64_t from, int64_t to, msample_fn fn, void *cls)
{
	sqlite3_stmt *st = db_cached("SELECT " MCOLS ", 0 AS ds FROM metric_samples WHERE env_id=?1 AND ts>=?2"
		       " AND ts<?3 UNION ALL SELECT " MCOLS ", 1 FROM metric_samples_5m WHERE"
		       " env_id=?1 AND ts>=?2 AND ts<?3 ORDER BY 2, 3",
		       "sii", env_id, (int64_t)from, (int64_t)to);
	if (!st)
		return -1;
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct msample m;
		memset(&m, 0, sizeof m);
		snprintf(m.env_id, sizeof m.env_id, "%s", (const char *)sqlite3_column_text(st, 0));
		snprintf(m.container, sizeof m.container, "%s",
			 (const char *)sqlite3_column_text(st, 1));
		m.ts = sqlite3_column_int64(st, 2);
		m.cpu_ns = col_ll(st, 3);
		m.cpu_limit = col_d(st, 4);
		m.mem_used = col_ll(st, 5);
		m.mem_limit = col_ll(st, 6);
		m.net_rx = col_ll(st, 7);
		m.net_tx = col_ll(st, 8);
		m.blk_read = col_ll(st, 9);
		m.blk_write = col_ll(st, 10);
		m.restarts = col_ll(st, 11);
		fn(cls, &m, sqlite3_column_int(st, 12) != 0);
	}
	db_done(st);
	return 0;
}

int metrics_server_each(const char *server_id, int64_t from, int64_t to, ssample_fn fn, void *cls)
{
	sqlite3_stmt *st = db_cached(
		"SELECT " SCOLS ", 0 AS ds FROM server_samples WHERE server_id=?1 AND ts>=?2 AND"
		" ts<?3 UNION ALL SELECT " SCOLS ", 1 FROM server_samples_5m WHERE server_id=?1 AND"
		" ts>=?2 AND ts<?3 ORDER BY 2",
		"sii", server_id, (int64_t)from, (int64_t)to);
	if (!st)
		return -1;
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct ssample s;
		memset(&s, 0, sizeof s);
		snprintf(s.server_id, sizeof s.server_id, "%s",
			 (const char *)sqlite3_column_text(st, 0));
		s.ts = sqlite3_column_int64(st, 1);
		s.reachable = sqlite3_column_int(st, 2) != 0;
		s.ncpu = col_ll(st, 3);
		s.cpu_busy = col_ll(st, 4);
		s.cpu_total = col_ll(st, 5);
		s.mem_used = col_ll(st, 6);
		s.mem_total = col_ll(st, 7);
		s.disk_used = col_ll(st, 8);
		s.disk_free = col_ll(st, 9);
		s.load1 = col_d(st, 10);
		s.load5 = col_d(st, 11);
		s.load15 = col_d(st, 12);
		fn(cls, &s, sqlite3_column_int(st, 13) != 0);
	}
	db_done(st);
	return 0;
}

int metrics_purge(int64_t now, int64_t full_s, int64_t ds_s)
{
	int64_t full_cut = now - full_s * 1000, ds_cut = now - ds_s * 1000;
	if (db_begin() < 0)
		return -1;
	/* one row per 5-minute bucket: the counters of its last sample (SQLite takes the bare
	 * columns from the row of max(ts)), the mean memory, the largest restart count */
	int rc = 0;
	rc |= db_exec("INSERT OR REPLACE INTO metric_samples_5m(" MCOLS ") SELECT env_id,"
		      " container, max(ts), cpu_ns, cpu_limit, CAST(avg(mem_used) AS INTEGER),"
		      " mem_limit, net_rx, net_tx, blk_read, blk_write, restarts FROM metric_samples"
		      " WHERE ts<? GROUP BY env_id, container, ts/300000", "i", full_cut);
	rc |= db_exec("DELETE FROM metric_samples WHERE ts<?", "i", full_cut);
	rc |= db_exec("INSERT OR REPLACE INTO server_samples_5m(" SCOLS ") SELECT server_id,"
		      " max(ts), reachable, ncpu, cpu_busy, cpu_total,"
		      " CAST(avg(mem_used) AS INTEGER), mem_total, disk_used, disk_free, load1,"
		      " load5, load15 FROM server_samples WHERE ts<? GROUP BY server_id, ts/300000",
		      "i", full_cut);
	rc |= db_exec("DELETE FROM server_samples WHERE ts<?", "i", full_cut);
	rc |= db_exec("DELETE FROM metric_samples_5m WHERE ts<?", "i", ds_cut);
	rc |= db_exec("DELETE FROM server_samples_5m WHERE ts<?", "i", ds_cut);
	rc |= db_exec("DELETE FROM metric_latest WHERE ts<?", "i", full_cut);
	/* what removed environments and servers left */
	const char *gone[] = {
		"DELETE FROM metric_samples WHERE env_id NOT IN (SELECT id FROM environments)",
		"DELETE FROM metric_samples_5m WHERE env_id NOT IN (SELECT id FROM environments)",
		"DELETE FROM metric_latest WHERE env_id NOT IN (SELECT id FROM environments)",
		"DELETE FROM server_samples WHERE server_id NOT IN (SELECT id FROM servers)",
		"DELETE FROM server_samples_5m WHERE server_id NOT IN (SELECT id FROM servers)",
	};
	for (size_t i = 0; i < sizeof gone / sizeof gone[0]; i++)
		rc |= db_exec(gone[i], "");
	if (rc == 0 && db_commit() == 0)
		return 0;
	db_rollback();
	return -1;
}

json_t *metrics_latest(int64_t since)
{
	return db_rows("SELECT o.slug AS org, p.slug AS project, e.name AS environment,"
		       " m.container, m.ts, m.cpu_ns, m.cpu_limit, m.mem_used, m.mem_limit,"
		       " m.net_rx, m.net_tx, m.blk_read, m.blk_write, m.restarts"
		       " FROM metric_latest m JOIN environments e ON e.id=m.env_id"
		       " JOIN projects p ON p.id=e.project_id JOIN orgs o ON o.id=e.org_id"
		       " WHERE m.ts>=? ORDER BY o.slug, p.slug, e.name, m.container",
		       "i", (int64_t)since);
}

json_t *metrics_servers_latest(int64_t since)
{
	return db_rows("SELECT o.slug AS org, s.name AS server, m.ts, m.ncpu, m.mem_used, m.mem_total,"
		       " m.disk_used, m.disk_free, m.load1, m.load5, m.load15"
		       " FROM (SELECT server_id, max(ts) AS ts FROM server_samples WHERE ts>=? AND"
		       " reachable=1 GROUP BY server_id) l JOIN server_samples m ON"
		       " m.server_id=l.server_id AND m.ts=l.ts JOIN servers s ON s.id=m.server_id"
		       " JOIN orgs o ON o.id=s.org_id ORDER BY o.slug, s.name", "i", (int64_t)since);
}

#define EVENT_COLS "id, type, status, created_at, started_at, completed_at"

json_t *metrics_env_events(const char *env_id, const char *from, const char *to)
{
	return db_rows("SELECT " EVENT_COLS " FROM jobs WHERE environment_id=?1 AND"
		       " created_at<=?3 AND (completed_at IS NULL OR completed_at>=?2)"
		       " ORDER BY seq LIMIT 500", "sss", env_id, from, to);
}

json_t *metrics_server_events(const char *server_id, const char *from, const char *to)
{
	return db_rows("SELECT " EVENT_COLS " FROM jobs WHERE server_id=?1 AND"
		       " (environment_id IS NULL OR environment_id='') AND created_at<=?3 AND"
		       " (completed_at IS NULL OR completed_at>=?2) ORDER BY seq LIMIT 500",
		       "sss", server_id, from, to);
}

json_t *metrics_job_counts(void)
{
	return db_rows("SELECT type, status, count(*) AS n FROM jobs WHERE status IN"
		       " ('queued','running') GROUP BY type, status ORDER BY type, status", "");
}

json_t *metrics_servers_to_sample(void)
{
	return db_rows("SELECT s.id, s.name, o.slug AS org, s.org_id FROM servers s JOIN orgs o ON"
		       " o.id=s.org_id WHERE s.status='running' ORDER BY s.id", "");
}

json_t *metrics_envs_of_server(const char *server_id)
{
	return db_rows("SELECT id, org_id, project_id, name, status, enable_pgbouncer,"
		       " enable_read_replica, EXISTS(SELECT 1 FROM jobs j WHERE j.environment_id=e.id"
		       " AND j.status='running') AS job_running FROM environments e WHERE vm_id=?",
		       "s", server_id);
}

json_t *metrics_prev_of_server(const char *server_id)
{
	return db_rows("SELECT m.env_id, m.container, m.ts, m.cpu_ns FROM metric_latest m JOIN"
		       " environments e ON e.id=m.env_id WHERE e.vm_id=?", "s", server_id);
}

json_t *metrics_prev_server(const char *server_id)
{
	return db_row("SELECT ts, cpu_busy, cpu_total FROM server_samples WHERE server_id=? AND"
		      " reachable=1 ORDER BY ts DESC LIMIT 1", "s", server_id);
}
