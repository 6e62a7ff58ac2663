/* webhooks.h: the rules of an organization's outgoing webhooks (the caller checked the
 * org.update permission). */
#ifndef BERTH_SVC_WEBHOOKS_H
#define BERTH_SVC_WEBHOOKS_H
#include <jansson.h>
#include <stdbool.h>
#include "lib/errors.h"
#include "store/access.h"

#define WEBHOOKS_MAX 20 /* per organization */

struct webhook_in {
	const char *url;     /* NULL: unchanged (update) */
	json_t *events;      /* array of event names; NULL: unchanged (update) */
	const char *secret;  /* create: NULL, berth makes one; update: NULL keeps it */
	bool active, has_active;
};

/* The URL rule (the same at create and update): http(s), a host, no credentials, and no
 * loopback, link-local or private literal address or localhost name unless berthd allows
 * them. 0 or -1 (VALIDATION_ERROR on field "url"). */
int svc_webhook_check_url(const char *url, struct berr *err);
/* The new webhook; "secret" is in the answer (once) when berth made it. */
json_t *svc_webhook_create(const struct actor *a, const char *ip, const char *org_id,
			   const struct webhook_in *in, struct berr *err);
json_t *svc_webhook_update(const struct actor *a, const char *ip, const char *org_id,
			   const char *id, const struct webhook_in *in, struct berr *err);
int svc_webhook_delete(const struct actor *a, const char *ip, const char *org_id, const char *id,
		       struct berr *err);
/* A "ping" delivery to the webhook now; the answer is {delivery_id}. */
json_t *svc_webhook_ping(const struct actor *a, const char *ip, const char *org_id,
			 const char *id, struct berr *err);
json_t *svc_webhook_deliveries(const char *org_id, const char *id, int limit, struct berr *err);
#endif
