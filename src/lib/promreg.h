/* promreg.h: berthd's own counters for the Prometheus exposition (GET /metrics): HTTP requests
 * by route pattern and status with a duration histogram, finished jobs by type and status with
 * a duration histogram, open Server-Sent Events streams and the sampler's round duration.
 * Increments are atomic (no lock on the hot path); a series is created under a lock the first
 * time its labels are seen, in a table of fixed size (labels beyond it count under "other"). */
#ifndef BERTH_PROMREG_H
#define BERTH_PROMREG_H
#include <stdint.h>
#include "lib/util.h"

/* A request answered: route is the route's pattern ("/api/v1/environments/{}"), NULL for
 * a path no route matched (counted as "other"). */
void promreg_http_done(const char *method, const char *route, int status, int64_t ms);
/* A job finished (status done, failed or cancelled) after ms milliseconds. */
void promreg_job_done(const char *type, const char *status, int64_t ms);
/* A Server-Sent Events stream opened (+1) or closed (-1). */
void promreg_sse(int delta);
/* A sampler round took ms milliseconds. */
void promreg_sampler_round(int64_t ms);
/* Appends the text exposition of these series (HELP, TYPE and samples) to out. */
void promreg_render(struct sbuf *out);
/* Appends `s` as a label value: backslash, double quote and newline escaped. */
void promreg_label(struct sbuf *out, const char *s);
#endif
