/* metrics.h: the monitoring rules: who may read an environment's or a server's samples, the
 * time window and step a request asks for, the series (rates from the cumulative counters,
 * nulls where nothing was sampled), the events for annotation, the Prometheus exposition and
 * monitoring's platform settings. */
#ifndef BERTH_SVC_METRICS_H
#define BERTH_SVC_METRICS_H
#include <jansson.h>
#include "lib/errors.h"
#include "lib/util.h"
#include "store/access.h"

/* The query of a metrics request, as strings (NULL when absent). */
struct metrics_query {
	const char *range, *from, *to, *step;
};

/* GET /api/v1/environments/{id}/metrics; NULL with err (404 for another org's, 400
 * VALIDATION_ERROR naming range, from, to or step). */
json_t *svc_env_metrics(const struct actor *a, const char *env_id, const struct metrics_query *q,
			struct berr *err);
/* GET /api/v1/servers/{id}/metrics. */
json_t *svc_server_metrics(const struct actor *a, const char *server_id,
			   const struct metrics_query *q, struct berr *err);

/* The Prometheus text exposition: berthd's counters, the queue, the latest samples. */
void svc_metrics_prometheus(struct sbuf *out);

/* Monitoring's platform settings {key: value}; the update checks each key (administrator
 * only: the caller checks) and starts a round at once. */
json_t *svc_monitoring_settings(void);
json_t *svc_monitoring_settings_set(json_t *body, struct berr *err);
#endif
