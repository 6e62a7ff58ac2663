/* webhooks.h: an organization's outgoing webhooks, their deliveries and each delivery's
 * attempts. The secret is kept sealed (SECRET column) and only read by the sender. */
#ifndef BERTH_STORE_WEBHOOKS_H
#define BERTH_STORE_WEBHOOKS_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* 0, or -1 (logged). */
int webhooks_insert(const char *id, const char *org_id, const char *url, json_t *events,
		    const char *sealed_secret, const char *created_by);
/* An organization's webhooks, oldest first, each with its last delivery's status; never the
 * secret. */
json_t *webhooks_list(const char *org_id);
json_t *webhooks_get(const char *org_id, const char *id); /* NULL when not that org's */
int64_t webhooks_count(const char *org_id);
/* Changes what is given (url, events, sealed_secret: NULL keeps; active: -1 keeps). 0 or -1. */
int webhooks_update(const char *org_id, const char *id, const char *url, json_t *events,
		    int active, const char *sealed_secret);
/* Removes the webhook with its deliveries. 1 removed, 0 none, -1 error. */
int webhooks_delete(const char *org_id, const char *id);
/* The ids of the active webhooks of org_id subscribed to event (an array of strings). */
json_t *webhooks_for_event(const char *org_id, const char *event);

/* A new delivery, due at once. 0 or -1. */
int deliveries_insert(const char *id, const char *webhook_id, const char *event,
		      const char *payload);
/* Pending deliveries due at or before now (unix seconds), oldest first, at most limit:
 * {id, webhook_id, url, event, payload, attempts}. */
json_t *deliveries_due(int64_t now, int limit);
/* The sealed secret of the delivery's webhook (caller frees), or NULL. */
char *deliveries_secret(const char *delivery_id);
/* When the next pending delivery is due (unix seconds), or -1 when none is. */
int64_t deliveries_next_due(void);
/* Records attempt n (1-based) and the delivery's new state: status "pending" with next_at,
 * or "delivered" / "failed" (final). One transaction. 0 or -1. */
int deliveries_record(const char *id, int n, long response_status, const char *error,
		      long duration_ms, const char *status, int64_t next_at);
/* A webhook's deliveries, newest first, at most limit, each with its attempts. */
json_t *deliveries_list(const char *webhook_id, int limit);
/* Removes finished deliveries finished before `before` (unix seconds). Rows removed. */
int64_t deliveries_purge(int64_t before);
#endif
