/* webhooks.c: the rules of outgoing webhooks (see svc/webhooks.h). */
#include "svc/webhooks.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/config.h"
#include "lib/netaddr.h"
#include "lib/secret.h"
#include "lib/util.h"
#include "lib/valid.h"
#include "ops/webhooks.h"
#include "store/model.h"
#include "store/webhooks.h"

static void audit(const struct actor *a, const char *ip, const char *org_id, const char *action,
		  const char *id, json_t *details)
{
	model_audit(org_id, a ? a->user_id : NULL, a ? a->email : NULL, action, "webhook", id,
		    details, ip);
}

int svc_webhook_check_url(const char *url, struct berr *err)
{
	char host[256];
	if (!valid_webhook_url(url, host))
		return berr_set(err, BE_VALIDATION_ERROR, "url",
				"url: must be an http:// or https:// URL with a host, without"
				" credentials or spaces, at most 2048 characters");
	if (berth_cfg.webhook_allow_private)
		return 0;
	bool is_ip = false;
	bool public_ip = netaddr_text_is_public(host, &is_ip);
	size_t n = strlen(host);
	bool local_name = !strcasecmp(host, "localhost") ||
			  (n > 10 && !strcasecmp(host + n - 10, ".localhost"));
	if ((is_ip && !public_ip) || local_name)
		return berr_set(err, BE_VALIDATION_ERROR, "url",
				"url: '%s' is a loopback, link-local or private address: outgoing"
				" webhooks go to public addresses only",
				host);
	return 0;
}

static int check_secret(const char *secret, struct berr *err)
{
	if (secret && (strlen(secret) < 16 || strlen(secret) > 256))
		return berr_set(err, BE_VALIDATION_ERROR, "secret", "secret: 16 to 256 characters");
	return 0;
}

static int check_events(json_t *events, struct berr *err)
{
	if (!json_is_array(events) || json_array_size(events) == 0)
		return berr_set(err, BE_VALIDATION_ERROR, "events",
				"events: a non-empty list of: job.finished, job.failed, alert.raised,"
				" alert.resolved, environment.status");
	size_t i;
	json_t *e;
	json_array_foreach(events, i, e) {
		const char *s = json_string_value(e);
		bool known = false;
		for (const char *const *p = webhook_event_names; s && *p && !known; p++)
			known = str_eq(*p, s);
		if (!known)
			return berr_set(err, BE_VALIDATION_ERROR, "events",
					"events: '%s' is not one of job.finished, job.failed,"
					" alert.raised, alert.resolved, environment.status",
					s ? s : "(not a string)");
		for (size_t j = 0; j < i; j++)
			if (str_eq(json_string_value(json_array_get(events, j)), s))
				return berr_set(err, BE_VALIDATION_ERROR, "events",
						"events: '%s' is listed twice", s);
	}
	return 0;
}

json_t *svc_webhook_create(const struct actor *a, const char *ip, const char *org_id,
			   const struct webhook_in *in, struct berr *err)
{
	if (svc_webhook_check_url(in->url, err) < 0 || check_events(in->events, err) < 0)
		return NULL;
	if (check_secret(in->secret, err) < 0)
		return NULL;
	if (webhooks_count(org_id) >= WEBHOOKS_MAX) {
		berr_set(err, BE_QUOTA_EXCEEDED, NULL,
			 "An organization has at most %d webhooks", WEBHOOKS_MAX);
		return NULL;
	}
	char *made = in->secret ? NULL : token_new("whsec_");
	const char *secret = in->secret ? in->secret : made;
	char *sealed = secret_seal(secret);
	char id[37];
	uuid4(id);
	int rc = webhooks_insert(id, org_id, in->url, in->events, sealed, a ? a->user_id : NULL);
	free(sealed);
	if (rc < 0) {
		if (made)
			secret_free(made);
		berr_set(err, BE_INTERNAL_ERROR, NULL, NULL);
		return NULL;
	}
	audit(a, ip, org_id, "webhook.create", id,
	      json_pack("{s:s,s:O}", "url", in->url, "events", in->events));
	json_t *w = webhooks_get(org_id, id);
	if (made) {
		json_object_set_new(w, "secret", json_string(made));
		secret_free(made);
	}
	return w;
}

json_t *svc_webhook_update(const struct actor *a, const char *ip, const char *org_id,
			   const char *id, const struct webhook_in *in, struct berr *err)
{
	json_t *w = webhooks_get(org_id, id);
	if (!w) {
		berr_set(err, BE_WEBHOOK_NOT_FOUND, NULL, NULL);
		return NULL;
	}
	json_decref(w);
	if ((in->url && svc_webhook_check_url(in->url, err) < 0) ||
	    (in->events && check_events(in->events, err) < 0) || check_secret(in->secret, err) < 0)
		return NULL;
	char *sealed = in->secret ? secret_seal(in->secret) : NULL;
	int rc = webhooks_update(org_id, id, in->url, in->events, in->has_active ? in->active : -1,
				 sealed);
	free(sealed);
	if (rc < 0) {
		berr_set(err, BE_INTERNAL_ERROR, NULL, NULL);
		return NULL;
	}
	json_t *d = json_object();
	if (in->url)
		json_object_set_new(d, "url", json_string(in->url));
	if (in->events)
		json_object_set(d, "events", in->events);
	if (in->has_active)
		json_object_set_new(d, "active", json_boolean(in->active));
	if (in->secret)
		json_object_set_new(d, "secret", json_string("(changed)"));
	audit(a, ip, org_id, "webhook.update", id, d);
	return webhooks_get(org_id, id);
}

int svc_webhook_delete(const struct actor *a, const char *ip, const char *org_id, const char *id,
		       struct berr *err)
{
	int rc = webhooks_delete(org_id, id);
	if (rc < 0)
		return berr_set(err, BE_INTERNAL_ERROR, NULL, NULL);
	if (rc == 0)
		return berr_set(err, BE_WEBHOOK_NOT_FOUND, NULL, NULL);
	audit(a, ip, org_id, "webhook.delete", id, NULL);
	return 0;
}

json_t *svc_webhook_ping(const struct actor *a, const char *ip, const char *org_id,
			 const char *id, struct berr *err)
{
	json_t *w = webhooks_get(org_id, id);
	if (!w) {
		berr_set(err, BE_WEBHOOK_NOT_FOUND, NULL, NULL);
		return NULL;
	}
	json_t *data = json_pack("{s:s,s:O}", "webhook_id", id, "url", json_object_get(w, "url"));
	json_decref(w);
	char did[37];
	int rc = ops_webhooks_enqueue(org_id, id, "ping", data, did);
	json_decref(data);
	if (rc < 0) {
		berr_set(err, BE_INTERNAL_ERROR, NULL, NULL);
		return NULL;
	}
	audit(a, ip, org_id, "webhook.ping", id, NULL);
	return json_pack("{s:s}", "delivery_id", did);
}

json_t *svc_webhook_deliveries(const char *org_id, const char *id, int limit, struct berr *err)
{
	json_t *w = webhooks_get(org_id, id);
	if (!w) {
		berr_set(err, BE_WEBHOOK_NOT_FOUND, NULL, NULL);
		return NULL;
	}
	json_decref(w);
	return deliveries_list(id, limit);
}

