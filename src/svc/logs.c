/* logs.c: the rules of an environment's logs (svc/logs.h). */
#include "svc/logs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/engine_logs.h"
#include "lib/util.h"
#include "store/envs.h"

json_t *svc_logs_env(const struct actor *a, const char *env_id, struct berr *err)
{
	struct access acc;
	json_t *e = access_env(a, env_id, &acc, err);
	if (!e)
		return NULL;
	int rc = perm_require(&acc, "environment.logs", err);
	access_release(&acc);
	if (rc < 0) {
		json_decref(e);
		return NULL;
	}
	struct env_row row;
	if (env_load(env_id, &row) == 0) {
		json_object_set_new(e, "name", json_string(row.name));
		env_row_free(&row);
	}
	return e;
}

int64_t svc_logs_time(const char *s)
{
	size_t n = strlen(s);
	if (n == 10) { /* a date */
		char b[32];
		snprintf(b, sizeof b, "%sT00:00:00Z", s);
		return engine_ts_parse(b, strlen(b));
	}
	int64_t t = engine_ts_parse(s, n);
	if (t < 0 && n >= 19 && n < 64) { /* no zone: UTC */
		char b[80];
		snprintf(b, sizeof b, "%sZ", s);
		t = engine_ts_parse(b, strlen(b));
	}
	return t;
}

static int bad(struct berr *err, const char *field, const char *what)
{
	return berr_set(err, BE_VALIDATION_ERROR, field, "%s: %s", field, what);
}

int svc_logs_query(const struct logs_args *in, long def_tail, struct logq *q, struct berr *err)
{
	memset(q, 0, sizeof *q);
	q->level = LOGL_NONE;
	q->tail = def_tail;
	q->container = "odoo";
	if (in->tail) {
		char *end;
		long long t = strtoll(in->tail, &end, 10);
		if (!in->tail[0] || *end || t < (def_tail ? 1 : 0) || t > LOGS_TAIL_MAX)
			return bad(err, "tail", def_tail ? "an integer from 1 to 100000"
							 : "an integer from 0 to 100000");
		q->tail = (long)t;
	}
	if (in->since && (q->since_ns = svc_logs_time(in->since)) < 0)
		return bad(err, "since", "an ISO 8601 time such as 2024-01-01T12:00:00Z");
	if (in->until && (q->until_ns = svc_logs_time(in->until)) < 0)
		return bad(err, "until", "an ISO 8601 time such as 2024-01-01T12:00:00Z");
	if (q->since_ns && q->until_ns && q->until_ns < q->since_ns)
		return bad(err, "until", "before since");
	if (in->level) {
		for (int i = 0; i < 5; i++)
			if (str_eq(in->level, logs_level_names[i]))
				q->level = i;
		if (q->level == LOGL_NONE)
			return bad(err, "level", "one of debug, info, warning, error, critical");
	}
	if (in->q) {
		if (strlen(in->q) > 500 || strchr(in->q, '\n'))
			return bad(err, "q", "one line of at most 500 characters");
		q->q = in->q;
	}
	if (in->container) {
		q->container = NULL;
		for (int i = 0; i < 5; i++)
			if (str_eq(in->container, logs_containers[i]))
				q->container = logs_containers[i];
		if (!q->container)
			return bad(err, "container", "one of odoo, db, pgbouncer, replica, edge");
	}
	return 0;
}

int svc_logs_read(const char *env_id, const struct logq *q, logs_line_fn fn, void *cls,
		  bool *more, struct berr *err)
{
	return ops_logs_read(env_id, q, fn, cls, more, err);
}

struct logs_watch *svc_logs_watch(const char *env_id, const char *container, char key[40],
				  struct berr *err)
{
	return ops_logs_watch(env_id, container, key, err);
}

void svc_logs_unwatch(struct logs_watch *w)
{
	ops_logs_unwatch(w);
}
