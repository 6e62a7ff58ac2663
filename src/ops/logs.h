/* logs.h: an environment's logs, kept on its server beyond the life of its containers
 * (docs/logs.md): each container's own log (json-file, bounded by Docker) plus, in the
 * volume berth-<key>-logs, segments of the logs of the containers berth removed, appended
 * before each removal and rotated within the environment's bound (setting logs_max_mb).
 * Read through the Engine API of the server (a created, never started keeper container
 * mounts the volume for the archive API). A follower per environment and container feeds the
 * live streams through the hub (jobs/hub.h). */
#ifndef BERTH_OPS_LOGS_H
#define BERTH_OPS_LOGS_H
#include <stdbool.h>
#include <stdint.h>
#include "drivers/engine.h"
#include "lib/errors.h"

/* Odoo's levels in order; LOGL_NONE: a line without a level of its own (a traceback's
 * continuation: it takes the level of the line before it). */
enum { LOGL_NONE = -1, LOGL_DEBUG, LOGL_INFO, LOGL_WARNING, LOGL_ERROR, LOGL_CRITICAL };
extern const char *const logs_level_names[5];

/* The containers of an environment whose logs can be read. */
extern const char *const logs_containers[5]; /* odoo, db, pgbouncer, replica, edge */

struct logq {
	const char *container; /* one of logs_containers */
	int64_t since_ns, until_ns; /* 0: no bound */
	int level;                  /* LOGL_NONE: every line */
	const char *q;              /* a substring, or NULL */
	long tail;                  /* the last N lines that match; 0: all */
	int64_t after_id;           /* only lines whose id is greater (a resumed stream) */
	long max_lines;             /* stop after this many (0: no limit); *more tells */
};

/* One line: id orders the lines of a container's log (the Unix ns of its time, made strictly
 * increasing), ns its time, line its text (NUL-terminated), level its own or inherited. */
typedef void (*logs_line_fn)(void *cls, int64_t id, int64_t ns, const char *line, int level);

/* Reads the environment's log of q->container (archived segments, then the live container),
 * calling fn for each line that matches, oldest first. *more (may be NULL) is set when
 * max_lines stopped the read. 0, or -1 (ENVIRONMENT_NOT_FOUND, SERVER_UNREACHABLE, ...). */
int ops_logs_read(const char *env_id, const struct logq *q, logs_line_fn fn, void *cls,
		  bool *more, struct berr *err);

/* The level of a log line (Odoo's format, PostgreSQL's, PgBouncer's, nginx's), LOGL_NONE when
 * it has none. */
int logs_line_level(const char *line);
/* ns as RFC 3339 UTC with nine fraction digits. */
void logs_ts(int64_t ns, char out[40]);
/* One line as the API's JSON object text: {"id","ts","line","container","level"}. Caller
 * frees. */
char *logs_line_json(int64_t id, int64_t ns, const char *line, const char *container, int level);

/* Before berth removes the container `name` of an environment (berth-<key>-odoo, -db,
 * -pgbouncer, -db-replica): appends its log (the lines after those already kept) to the
 * environment's log volume, rotating old segments beyond the bound. Idempotent: a second run
 * (or one after a crash) adds only what is not kept yet. Other names: nothing to do. */
int ops_logs_archive(struct engine *e, const char *name, struct berr *err);

/* Live lines: while watched, a follower reads the container's log as it is written and
 * publishes each line on the hub under *key (hub_line.n = the line's id, hub_line.line = its
 * JSON, logs_line_json) from a little before the watch began. */
struct logs_watch;
struct logs_watch *ops_logs_watch(const char *env_id, const char *container, char key[40],
				  struct berr *err);
void ops_logs_unwatch(struct logs_watch *w);
#endif
