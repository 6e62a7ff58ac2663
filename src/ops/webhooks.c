/* webhooks.c: the outgoing webhooks' inbox, sender thread and retries (see ops/webhooks.h). */
#include "ops/webhooks.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/config.h"
#include "drivers/http_out.h"
#include "lib/log.h"
#include "lib/secret.h"
#include "lib/util.h"
#include "store/db.h"
#include "store/webhooks.h"

const char *const webhook_event_names[] = {
	"job.finished", "job.failed", "alert.raised", "alert.resolved", "environment.status", NULL,
};

#define INBOX_MAX 4096    /* events waiting for the sender; more are dropped (and logged) */
#define ROUND_MAX 32      /* deliveries sent per round before the inbox is looked at again */
#define TIMEOUT_S 10L     /* per attempt */
#define KEEP_DAYS 30      /* finished deliveries are kept this long */

struct inbox_item {
	struct inbox_item *next;
	char *org_id, *event;
	json_t *data;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static struct inbox_item *head, **tail = &head;
static size_t inbox_len;
static bool running, stopping, kicked;
static pthread_t thread;

static const char *map_event(const char *type, const json_t *data)
{
	if (str_eq(type, "job.finished"))
		return str_eq(json_string_value(json_object_get(data, "status")), "failed")
			? "job.failed"
			: "job.finished";
	if (str_eq(type, "environment.status") || str_eq(type, "alert.raised") ||
	    str_eq(type, "alert.resolved"))
		return type;
	return NULL;
}

void ops_webhooks_on_event(const char *org_id, const char *project_id, const char *type,
			   const json_t *data)
{
	(void)project_id;
	const char *event = map_event(type, data);
	if (!event || !org_id)
		return;
	pthread_mutex_lock(&lock);
	if (!running || inbox_len >= INBOX_MAX) {
		bool was_running = running;
		pthread_mutex_unlock(&lock);
		if (was_running)
			log_event(LOG_WARN, "webhooks: inbox full, event dropped",
				  json_pack("{s:s,s:s}", "org", org_id, "event", event));
		return;
	}
	struct inbox_item *it = xcalloc(1, sizeof *it);
	it->org_id = xstrdup(org_id);
	it->event = xstrdup(event);
	it->data = json_deep_copy(data);
	*tail = it;
	tail = &it->next;
	inbox_len++;
	kicked = true;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&lock);
}

static char *payload_of(const char *id, const char *org_id, const char *event, const json_t *data)
{
	char *now = iso8601_now();
	json_t *p = json_pack("{s:s,s:s,s:s,s:s,s:O}", "id", id, "event", event, "created_at", now,
			      "organization_id", org_id, "data", data ? data : json_null());
	char *text = json_dumps(p, JSON_COMPACT);
	json_decref(p);
	free(now);
	return text;
}

int ops_webhooks_enqueue(const char *org_id, const char *webhook_id, const char *event,
			 const json_t *data, char id[37])
{
	uuid4(id);
	char *text = payload_of(id, org_id, event, data);
	int rc = deliveries_insert(id, webhook_id, event, text);
	free(text);
	if (rc == 0) {
		pthread_mutex_lock(&lock);
		kicked = true;
		pthread_cond_signal(&cv);
		pthread_mutex_unlock(&lock);
	}
	return rc;
}

/* Turns the inbox into deliveries, one per subscribed webhook. */
static void drain_inbox(void)
{
	pthread_mutex_lock(&lock);
	struct inbox_item *it = head;
	head = NULL;
	tail = &head;
	inbox_len = 0;
	pthread_mutex_unlock(&lock);
	while (it) {
		struct inbox_item *next = it->next;
		json_t *hooks = webhooks_for_event(it->org_id, it->event);
		size_t i;
		json_t *h;
		json_array_foreach(hooks, i, h) {
			char id[37];
			uuid4(id);
			char *text = payload_of(id, it->org_id, it->event, it->data);
			if (deliveries_insert(id, json_string_value(h), it->event, text) < 0)
				log_event(LOG_ERROR, "webhooks: cannot record a delivery",
					  json_pack("{s:s}", "event", it->event));
			free(text);
		}
		json_decref(hooks);
		free(it->org_id);
		free(it->event);
		json_decref(it->data);
		free(it);
		it = next;
	}
}

static void send_one(json_t *d)
{
	const char *id = json_string_value(json_object_get(d, "id"));
	const char *url = json_string_value(json_object_get(d, "url"));
	const char *event = json_string_value(json_object_get(d, "event"));
	const char *payload = json_string_value(json_object_get(d, "payload"));
	int n = (int)json_integer_value(json_object_get(d, "attempts")) + 1;
	struct http_out_result res;
	char *sealed = deliveries_secret(id);
	char *secret = sealed ? secret_open(sealed) : NULL;
	free(sealed);
	if (!secret) {
		deliveries_record(id, n, 0, "the webhook's secret cannot be read", 0, "failed", 0);
		return;
	}
	char mac[65];
	hmac_sha256_hex(secret, strlen(secret), payload, strlen(payload), mac);
	secret_free(secret);
	char *h_sig = xasprintf("X-Berth-Signature: sha256=%s", mac);
	char *h_id = xasprintf("X-Berth-Delivery: %s", id);
	char *h_ev = xasprintf("X-Berth-Event: %s", event);
	const char *headers[] = {h_sig, h_id, h_ev, NULL};
	int rc = http_out_post(url, payload, strlen(payload), headers,
			       berth_cfg.webhook_allow_private, TIMEOUT_S, &res);
	free(h_sig);
	free(h_id);
	free(h_ev);
	bool ok = rc == 0 && res.status >= 200 && res.status < 300;
	char why[300] = "";
	if (!ok && rc == 0)
		snprintf(why, sizeof why, "the receiver answered %ld", res.status);
	else if (!ok)
		snprintf(why, sizeof why, "%s", res.error);
	const char *status = "delivered";
	int64_t next_at = 0;
	if (!ok) {
		if (n <= berth_cfg.webhook_backoff_n) {
			status = "pending";
			next_at = (int64_t)time(NULL) + berth_cfg.webhook_backoff[n - 1];
		} else {
			status = "failed";
		}
	}
	deliveries_record(id, n, res.status, ok ? NULL : why, res.duration_ms, status, next_at);
	log_event(ok ? LOG_INFO : LOG_WARN, "webhook delivery",
		  json_pack("{s:s,s:s,s:i,s:s,s:I,s:s?}", "delivery", id, "event", event,
			    "attempt", n, "status", status, "response_status",
			    (json_int_t)res.status, "error", ok ? NULL : why));
}

static void *sender(void *cls)
{
	(void)cls;
	time_t last_purge = 0;
	pthread_mutex_lock(&lock);
	while (!stopping) {
		kicked = false;
		pthread_mutex_unlock(&lock);
		drain_inbox();
		json_t *due = deliveries_due((int64_t)time(NULL), ROUND_MAX);
		size_t i;
		json_t *d;
		json_array_foreach(due, i, d) {
			pthread_mutex_lock(&lock);
			bool stop = stopping;
			pthread_mutex_unlock(&lock);
			if (stop)
				break;
			send_one(d);
		}
		bool full = json_array_size(due) == ROUND_MAX;
		json_decref(due);
		time_t now = time(NULL);
		if (now - last_purge > 3600) {
			deliveries_purge((int64_t)now - KEEP_DAYS * 86400);
			last_purge = now;
		}
		int64_t next = full ? (int64_t)now : deliveries_next_due();
		db_end_request();
		pthread_mutex_lock(&lock);
		if (stopping || kicked || full)
			continue;
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		int64_t wait = next < 0 ? 60 : next - (int64_t)now;
		if (wait > 60)
			wait = 60;
		if (wait < 1)
			wait = 1;
		until.tv_sec += wait;
		while (!stopping && !kicked &&
		       pthread_cond_timedwait(&cv, &lock, &until) == 0)
			;
	}
	pthread_mutex_unlock(&lock);
	db_close_thread();
	return NULL;
}

int ops_webhooks_start(void)
{
	pthread_mutex_lock(&lock);
	stopping = false;
	running = true;
	pthread_mutex_unlock(&lock);
	if (pthread_create(&thread, NULL, sender, NULL) != 0) {
		running = false;
		return -1;
	}
	return 0;
}

void ops_webhooks_stop(void)
{
	pthread_mutex_lock(&lock);
	if (!running) {
		pthread_mutex_unlock(&lock);
		return;
	}
	stopping = true;
	running = false;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&lock);
	pthread_join(thread, NULL);
	/* what the inbox still holds was never written: it is dropped, as the event stream's
	 * own ring is at a stop */
	struct inbox_item *it = head;
	head = NULL;
	tail = &head;
	inbox_len = 0;
	while (it) {
		struct inbox_item *next = it->next;
		free(it->org_id);
		free(it->event);
		json_decref(it->data);
		free(it);
		it = next;
	}
}
