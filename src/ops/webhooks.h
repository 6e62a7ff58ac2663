/* webhooks.h: delivery of outgoing webhooks. Events of the organization event stream that a
 * webhook subscribed to become deliveries in the store (crash-safe: a delivery is written
 * before it is sent, and sent again after a restart until it is delivered or has failed
 * every attempt); one sender thread POSTs them, signed with the webhook's secret
 * (X-Berth-Signature: sha256=<HMAC-SHA256 of the body>), and retries failures after the
 * backoff of berth_cfg (1 min, 5 min, 30 min, 2 h by default). */
#ifndef BERTH_OPS_WEBHOOKS_H
#define BERTH_OPS_WEBHOOKS_H
#include <jansson.h>

/* The events a webhook may subscribe to (NULL-terminated). */
extern const char *const webhook_event_names[];

/* An event of the organization event stream (jobs/events.h): maps it to the webhook events
 * (job.finished with status failed -> job.failed, other finished jobs -> job.finished,
 * environment.status, alert.raised, alert.resolved) and hands it to the sender. Cheap and
 * non-blocking: callable from any thread, also inside a store transaction. */
void ops_webhooks_on_event(const char *org_id, const char *project_id, const char *type,
			   const json_t *data);
/* One delivery of event with data (borrowed) to one webhook, now (a "ping"). The delivery
 * id is written to id. 0 or -1. */
int ops_webhooks_enqueue(const char *org_id, const char *webhook_id, const char *event,
			 const json_t *data, char id[37]);

/* The sender thread. */
int ops_webhooks_start(void);
void ops_webhooks_stop(void);
#endif
