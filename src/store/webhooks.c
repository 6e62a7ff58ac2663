/* webhooks.c: the webhooks, webhook_deliveries and webhook_attempts tables. */
#include "store/webhooks.h"

#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/util.h"
#include "store/db.h"

#define HOOK_SELECT                                                                         \
	"SELECT w.id, w.url, w.events, w.active, w.created_at, w.created_by,"              \
	" (SELECT d.status FROM webhook_deliveries d WHERE d.webhook_id=w.id"               \
	"  ORDER BY d.created_at DESC, d.rowid DESC LIMIT 1) AS last_delivery_status"        \
	" FROM webhooks w"

int webhooks_insert(const char *id, const char *org_id, const char *url, json_t *events,
		    const char *sealed_secret, const char *created_by)
{
	char *now = iso8601_now();
	int rc = db_exec("INSERT INTO webhooks(id, org_id, url, events, secret, active, created_by,"
			 " created_at) VALUES(?,?,?,?,?,1,?,?)",
			 "sssjsss", id, org_id, url, events, sealed_secret, created_by, now);
	free(now);
	return rc < 0 ? -1 : 0;
}

json_t *webhooks_list(const char *org_id)
{
	return db_rows(HOOK_SELECT " WHERE w.org_id=? ORDER BY w.created_at, w.id", "s", org_id);
}

json_t *webhooks_get(const char *org_id, const char *id)
{
	return db_row(HOOK_SELECT " WHERE w.org_id=? AND w.id=?", "ss", org_id, id);
}

int64_t webhooks_count(const char *org_id)
{
	return db_int(0, "SELECT count(*) FROM webhooks WHERE org_id=?", "s", org_id);
}

int webhooks_update(const char *org_id, const char *id, const char *url, json_t *events,
		    int active, const char *sealed_secret)
{
	return db_exec("UPDATE webhooks SET url=coalesce(?, url), events=coalesce(?, events),"
		       " active=CASE WHEN ?<0 THEN active ELSE ? END, secret=coalesce(?, secret)"
		       " WHERE org_id=? AND id=?",
		       "sjiisss", url, events, (int64_t)active, (int64_t)active, sealed_secret,
		       org_id, id) < 0
		       ? -1
		       : 0;
}

int webhooks_delete(const char *org_id, const char *id)
{
	/* deliveries and attempts go with it (ON DELETE CASCADE) */
	if (db_exec("DELETE FROM webhooks WHERE org_id=? AND id=?", "ss", org_id, id) < 0)
		return -1;
	return db_changes() > 0 ? 1 : 0;
}

json_t *webhooks_for_event(const char *org_id, const char *event)
{
	json_t *rows = db_rows("SELECT w.id FROM webhooks w, json_each(w.events) e"
			       " WHERE w.org_id=? AND w.active AND e.value=?",
			       "ss", org_id, event);
	json_t *ids = json_array();
	size_t i;
	json_t *r;
	json_array_foreach(rows, i, r)
		json_array_append(ids, json_object_get(r, "id"));
	json_decref(rows);
	return ids;
}

int deliveries_insert(const char *id, const char *webhook_id, const char *event,
		      const char *payload)
{
	char *now = iso8601_now();
	int rc = db_exec("INSERT INTO webhook_deliveries(id, webhook_id, event, payload, status,"
			 " attempts, next_at, created_at) VALUES(?,?,?,?,'pending',0,"
			 " CAST(strftime('%s','now') AS INTEGER),?)",
			 "sssss", id, webhook_id, event, payload, now);
	free(now);
	return rc < 0 ? -1 : 0;
}

json_t *deliveries_due(int64_t now, int limit)
{
	return db_rows("SELECT d.id, d.webhook_id, w.url, d.event, d.payload, d.attempts"
		       " FROM webhook_deliveries d JOIN webhooks w ON w.id=d.webhook_id"
		       " WHERE d.status='pending' AND d.next_at<=? ORDER BY d.next_at, d.rowid"
		       " LIMIT ?",
		       "ii", now, (int64_t)limit);
}

char *deliveries_secret(const char *delivery_id)
{
	return db_str("SELECT w.secret FROM webhook_deliveries d JOIN webhooks w"
		      " ON w.id=d.webhook_id WHERE d.id=?",
		      "s", delivery_id);
}

int64_t deliveries_next_due(void)
{
	return db_int(-1, "SELECT min(next_at) FROM webhook_deliveries WHERE status='pending'", "");
}

struct record_ctx {
	const char *id, *error, *status;
	int n;
	long response_status, duration_ms;
	int64_t next_at;
};

static int record_tx(void *cls, struct berr *err)
{
	(void)err;
	struct record_ctx *c = cls;
	/* the webhook (and its deliveries) deleted while the attempt ran: nothing to record */
	if (db_int(0, "SELECT count(*) FROM webhook_deliveries WHERE id=?", "s", c->id) == 0)
		return 0;
	char *now = iso8601_now();
	int rc = db_exec("INSERT OR REPLACE INTO webhook_attempts(delivery_id, n, at, response_status,"
			 " error, duration_ms) VALUES(?,?,?,?,?,?)",
			 "sisisi", c->id, (int64_t)c->n, now,
			 (int64_t)c->response_status, c->error, (int64_t)c->duration_ms);
	if (rc == 0)
		rc = db_exec("UPDATE webhook_deliveries SET attempts=?, status=?, next_at=?,"
			     " response_status=?, error=?,"
			     " finished_at=CASE WHEN ?='pending' THEN NULL ELSE ? END WHERE id=?",
			     "isiisss" "s", (int64_t)c->n, c->status, c->next_at,
			     (int64_t)c->response_status, c->error, c->status, now, c->id);
	free(now);
	return rc < 0 ? -1 : 0;
}

int deliveries_record(const char *id, int n, long response_status, const char *error,
		      long duration_ms, const char *status, int64_t next_at)
{
	struct record_ctx c = {id, error, status, n, response_status, duration_ms, next_at};
	struct berr err = {0};
	return db_tx(record_tx, &c, &err);
}

json_t *deliveries_list(const char *webhook_id, int limit)
{
	json_t *ds = db_rows("SELECT id, event, status, created_at, finished_at,"
			     " response_status, error,"
			     " CASE WHEN status='pending' THEN strftime('%Y-%m-%dT%H:%M:%SZ', next_at,"
			     " 'unixepoch') END AS next_attempt_at"
			     " FROM webhook_deliveries WHERE webhook_id=?"
			     " ORDER BY created_at DESC, rowid DESC LIMIT ?",
			     "si", webhook_id, (int64_t)limit);
	size_t i;
	json_t *d;
	json_array_foreach(ds, i, d) {
		json_t *at = db_rows("SELECT n, at, response_status, error, duration_ms"
				     " FROM webhook_attempts WHERE delivery_id=? ORDER BY n",
				     "s", json_string_value(json_object_get(d, "id")));
		json_object_set_new(d, "attempts", at);
	}
	return ds;
}

int64_t deliveries_purge(int64_t before)
{
	if (db_exec("DELETE FROM webhook_deliveries WHERE status!='pending' AND"
		    " finished_at < strftime('%Y-%m-%dT%H:%M:%SZ', ?, 'unixepoch')",
		    "i", before) < 0)
		return -1;
	return db_changes();
}
