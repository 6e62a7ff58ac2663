/* logs.h: the rules of an environment's logs (the API's logs routes and the console's Logs
 * tab): who may read them (environment.logs; another organization's environment is not
 * found), what the query may ask (tail, since, until, level, q, container), and the reads
 * and live follows of ops/logs.h. */
#ifndef BERTH_SVC_LOGS_H
#define BERTH_SVC_LOGS_H
#include <jansson.h>
#include "lib/errors.h"
#include "ops/logs.h"
#include "store/access.h"

#define LOGS_TAIL_DEFAULT 500
#define LOGS_TAIL_MAX 100000

/* The query as it came (each may be NULL). */
struct logs_args {
	const char *tail, *since, *until, *level, *q, *container;
};

/* The environment ({id, org_id, project_id, name}) when the actor may read its logs, else NULL with
 * ENVIRONMENT_NOT_FOUND (another organization's, or a project not granted) or
 * PERMISSION_DENIED. */
json_t *svc_logs_env(const struct actor *a, const char *env_id, struct berr *err);
/* Checks and converts the query into *q (tail: def_tail when absent; 0 allowed only when
 * def_tail is 0). 0, or -1 with VALIDATION_ERROR naming the parameter. */
int svc_logs_query(const struct logs_args *in, long def_tail, struct logq *q, struct berr *err);
/* An ISO 8601 time (2024-01-01T12:00:00Z, with a fraction or an offset; without a zone: UTC;
 * a date alone: its midnight UTC) as Unix ns; -1 when it is none. */
int64_t svc_logs_time(const char *s);

int svc_logs_read(const char *env_id, const struct logq *q, logs_line_fn fn, void *cls,
		  bool *more, struct berr *err);
struct logs_watch *svc_logs_watch(const char *env_id, const char *container, char key[40],
				  struct berr *err);
void svc_logs_unwatch(struct logs_watch *w);
#endif
