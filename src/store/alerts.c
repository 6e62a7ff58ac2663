/* alerts.c: the alerts table and orgs.alert_thresholds. */
#include "store/alerts.h"

#include <stdbool.h>
#include <stdlib.h>

#include "lib/util.h"
#include "store/db.h"

#define ALERT_COLS                                                                            \
	"id, org_id, project_id, target_type, target_id, target_name,"                       \
	" nullif(container, '') AS container, kind, severity, status, value, threshold, message," \
	" raised_at, updated_at, resolved_at"

int alerts_raise(const struct alert_row *a)
{
	char *now = iso8601_now();
	int rc = db_exec("INSERT INTO alerts(id, org_id, project_id, target_type, target_id,"
			 " target_name, container, kind, severity, status, value, threshold, message,"
			 " raised_at, updated_at) VALUES(?,?,?,?,?,?,?,?,?,'raised',?,?,?,?,?)",
			 "sssssssssddsss", a->id, a->org_id, a->project_id, a->target_type,
			 a->target_id, a->target_name, a->container ? a->container : "", a->kind,
			 a->severity, a->value, a->threshold, a->message, now, now);
	free(now);
	return rc;
}

int alerts_update(const char *id, const char *severity, double value, double threshold,
		  const char *message)
{
	char *now = iso8601_now();
	int rc = db_exec("UPDATE alerts SET severity=?, value=?, threshold=?, message=?, updated_at=?"
			 " WHERE id=? AND status='raised'",
			 "sddsss", severity, value, threshold, message, now, id);
	free(now);
	return rc < 0 ? -1 : 0;
}

int alerts_resolve(const char *id, double value)
{
	char *now = iso8601_now();
	int rc = db_exec("UPDATE alerts SET status='resolved', value=?, updated_at=?, resolved_at=?"
			 " WHERE id=? AND status='raised'",
			 "dsss", value, now, now, id);
	free(now);
	return rc < 0 ? -1 : 0;
}

json_t *alerts_open(void)
{
	return db_rows("SELECT " ALERT_COLS " FROM alerts WHERE status='raised'", "");
}

json_t *alerts_get(const char *id)
{
	return db_row("SELECT " ALERT_COLS " FROM alerts WHERE id=?", "s", id);
}

json_t *alerts_list(const char *org_id, const char *status, json_t *projects, bool with_servers,
		    int limit)
{
	return db_rows("SELECT " ALERT_COLS " FROM alerts WHERE org_id=?"
		       " AND (? IS NULL OR status=?)"
		       " AND ((project_id IS NULL AND ?) OR (project_id IS NOT NULL AND"
		       "      (? IS NULL OR project_id IN (SELECT value FROM json_each(?)))))"
		       " ORDER BY raised_at DESC, rowid DESC LIMIT ?",
		       "sssbjji", org_id, status, status, (int)with_servers, projects, projects,
		       (int64_t)limit);
}

int64_t alerts_purge(int64_t before)
{
	if (db_exec("DELETE FROM alerts WHERE status='resolved' AND"
		    " resolved_at < strftime('%Y-%m-%dT%H:%M:%SZ', ?, 'unixepoch')",
		    "i", before) < 0)
		return -1;
	return db_changes();
}

json_t *alerts_thresholds_get(const char *org_id)
{
	json_t *r = db_row("SELECT alert_thresholds FROM orgs WHERE id=?", "s", org_id);
	json_t *t = json_incref(json_object_get(r, "alert_thresholds"));
	json_decref(r);
	if (t && !json_is_object(t)) {
		json_decref(t);
		return NULL;
	}
	return t;
}

int alerts_thresholds_set(const char *org_id, json_t *thresholds)
{
	return db_exec("UPDATE orgs SET alert_thresholds=? WHERE id=?", "js", thresholds, org_id) < 0
		       ? -1
		       : 0;
}
