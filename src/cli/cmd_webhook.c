/* cmd_webhook.c: berth webhook list|create|update|delete|ping|deliveries. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/out.h"
#include "cli/resolve.h"
#include "lib/util.h"

static json_t *events_of(const char *csv)
{
	json_t *arr = json_array();
	char *copy = xstrdup(csv), *save = NULL;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
		json_array_append_new(arr, json_string(t));
	free(copy);
	return arr;
}

static char *events_text(json_t *w)
{
	struct sbuf sb = SBUF_INIT;
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(w, "events"), i, e) {
		if (i)
			sbuf_addc(&sb, ',');
		sbuf_adds(&sb, json_string_value(e));
	}
	return sbuf_detach(&sb);
}

static int cmd_list(struct cli *c, struct args *a)
{
	json_t *list;
	int ex = resolve_org_get(c, arg_get(a, "org"), "webhooks", &list);
	if (ex)
		return ex;
	if (emit_json(c, list))
		return EX_OK;
	struct table *t = table_new("URL EVENTS ACTIVE LAST_DELIVERY ID");
	size_t i;
	json_t *w;
	json_array_foreach(list, i, w) {
		table_cellj(t, w, "url");
		char *ev = events_text(w);
		table_cell(t, ev);
		free(ev);
		table_cell(t, json_is_true(json_object_get(w, "active")) ? "yes" : "no");
		table_cellj(t, w, "last_delivery_status");
		table_cellj(t, w, "id");
	}
	table_print(t);
	json_decref(list);
	return EX_OK;
}

static int cmd_create(struct cli *c, struct args *a)
{
	char *org;
	int ex = resolve_org(c, arg_get(a, "org"), &org);
	if (ex)
		return ex;
	json_t *body = json_pack("{s:s,s:o}", "url", a->pos[0], "events",
				 events_of(arg_get(a, "events") ? arg_get(a, "events")
								: "job.finished,job.failed"));
	if (!body) {
		free(org);
		return usage_error(c, "the URL must be UTF-8 text");
	}
	if (arg_get(a, "secret"))
		json_object_set_new(body, "secret", json_string(arg_get(a, "secret")));
	char *path = xasprintf("/api/v1/orgs/%s/webhooks", org);
	json_t *w;
	ex = api_call(c, "POST", path, body, &w, 0);
	free(path);
	free(org);
	json_decref(body);
	if (ex)
		return ex;
	if (c->json) {
		print_json(w); /* the secret berth made is in it: shown once, on purpose */
	} else {
		char *ev = events_text(w);
		printf("Created webhook %s for %s (%s).\n", jstr(w, "id"), jstr(w, "url"), ev);
		free(ev);
		if (json_is_string(json_object_get(w, "secret")))
			printf("Signing secret (shown once, store it now): %s\n", jstr(w, "secret"));
		printf("Each delivery carries X-Berth-Signature: sha256=<HMAC-SHA256 of the body>.\n");
	}
	json_decref(w);
	return EX_OK;
}

/* The webhook path of a (org given or default, id) pair. */
static int hook_path(struct cli *c, struct args *a, const char *tail, char **path)
{
	char *org;
	int ex = resolve_org(c, arg_get(a, "org"), &org);
	if (ex)
		return ex;
	*path = xasprintf("/api/v1/orgs/%s/webhooks/%s%s", org, a->pos[0], tail);
	free(org);
	return EX_OK;
}

static int cmd_update(struct cli *c, struct args *a)
{
	char *path;
	int ex = hook_path(c, a, "", &path);
	if (ex)
		return ex;
	json_t *body = json_object();
	if (arg_get(a, "url"))
		json_object_set_new(body, "url", json_string(arg_get(a, "url")));
	if (arg_get(a, "events"))
		json_object_set_new(body, "events", events_of(arg_get(a, "events")));
	if (arg_get(a, "secret"))
		json_object_set_new(body, "secret", json_string(arg_get(a, "secret")));
	if (arg_get(a, "active"))
		json_object_set_new(body, "active", json_boolean(str_eq(arg_get(a, "active"), "true")));
	json_t *w;
	ex = api_call(c, "PATCH", path, body, &w, 0);
	free(path);
	json_decref(body);
	if (ex)
		return ex;
	if (!emit_json(c, w))
		printf("Updated webhook %s.\n", jstr(w, "id"));
	else
		w = NULL;
	json_decref(w);
	return EX_OK;
}

static int cmd_delete(struct cli *c, struct args *a)
{
	char *path;
	int ex = hook_path(c, a, "", &path);
	if (ex)
		return ex;
	ex = api_call(c, "DELETE", path, NULL, NULL, 0);
	free(path);
	if (ex == EX_OK && !c->json)
		printf("Deleted webhook %s and its deliveries.\n", a->pos[0]);
	return ex;
}

static int cmd_ping(struct cli *c, struct args *a)
{
	char *path;
	int ex = hook_path(c, a, "/ping", &path);
	if (ex)
		return ex;
	json_t *r;
	ex = api_call(c, "POST", path, NULL, &r, 0);
	free(path);
	if (ex)
		return ex;
	if (!emit_json(c, r)) {
		printf("Ping queued: delivery %s. See it with: berth webhook deliveries %s\n",
		       jstr(r, "delivery_id"), a->pos[0]);
		json_decref(r);
	}
	return EX_OK;
}

static int cmd_deliveries(struct cli *c, struct args *a)
{
	char *path;
	int ex = hook_path(c, a, "/deliveries", &path);
	if (ex)
		return ex;
	if (arg_get(a, "limit")) {
		char *p2 = xasprintf("%s?limit=%s", path, arg_get(a, "limit"));
		free(path);
		path = p2;
	}
	json_t *list;
	ex = api_get(c, path, &list);
	free(path);
	if (ex)
		return ex;
	if (emit_json(c, list))
		return EX_OK;
	struct table *t = table_new("CREATED EVENT STATUS ATTEMPTS LAST_ANSWER NEXT_ATTEMPT ID");
	size_t i;
	json_t *d;
	json_array_foreach(list, i, d) {
		table_cellj(t, d, "created_at");
		table_cellj(t, d, "event");
		table_cellj(t, d, "status");
		json_t *at = json_object_get(d, "attempts");
		char n[16];
		snprintf(n, sizeof n, "%zu", json_array_size(at));
		table_cell(t, n);
		json_t *last = json_array_get(at, json_array_size(at) - 1);
		const char *err = json_string_value(json_object_get(last, "error"));
		char st[64];
		snprintf(st, sizeof st, "%lld", (long long)json_integer_value(json_object_get(last, "response_status")));
		table_cell(t, !last ? "-" : err ? err : st);
		table_cellj(t, d, "next_attempt_at");
		table_cellj(t, d, "id");
	}
	table_print(t);
	json_decref(list);
	return EX_OK;
}

#define ORG_OPT {"org", OPT_STR, NULL, "ORG", "the organization (id, slug or name)", 0}
static const struct opt ORG_ONLY[] = {ORG_OPT, OPT_END};
static const struct opt CREATE_OPTS[] = {
	ORG_OPT,
	{"events", OPT_STR, NULL, "E,E", "job.finished, job.failed, alert.raised, alert.resolved,"
	 " environment.status (default job.finished,job.failed)", 0},
	{"secret", OPT_STR, NULL, "S", "the signing secret, 16-256 characters (default: berth makes one"
	 " and prints it once)", 0},
	OPT_END,
};
static const struct opt UPDATE_OPTS[] = {
	ORG_OPT,
	{"url", OPT_STR, NULL, "URL", "a new URL", 0},
	{"events", OPT_STR, NULL, "E,E", "the new list of events", 0},
	{"secret", OPT_STR, NULL, "S", "a new signing secret", 0},
	{"active", OPT_BOOL, NULL, NULL, "deliver (--active) or pause (--no-active)", 0},
	OPT_END,
};
static const struct opt DELIVERIES_OPTS[] = {
	ORG_OPT,
	{"limit", OPT_INT, NULL, "N", "at most N, newest first (1-200, default 50)", 0},
	OPT_END,
};

const struct verb webhook_verbs[] = {
	{"list", "[--org ORG]", "List the organization's outgoing webhooks.", ORG_ONLY, 0, 0, cmd_list},
	{"create", "URL [--events E,E] [--secret S]",
	 "Send signed JSON POSTs to URL on these events.", CREATE_OPTS, 1, 1, cmd_create},
	{"update", "ID [--url URL] [--events E,E] [--secret S] [--active|--no-active]",
	 "Change a webhook.", UPDATE_OPTS, 1, 1, cmd_update},
	{"delete", "ID", "Delete a webhook and its deliveries.", ORG_ONLY, 1, 1, cmd_delete},
	{"ping", "ID", "Send a test delivery (event \"ping\") now.", ORG_ONLY, 1, 1, cmd_ping},
	{"deliveries", "ID [--limit N]", "Deliveries of a webhook, with their attempts.",
	 DELIVERIES_OPTS, 1, 1, cmd_deliveries},
	{NULL, NULL, NULL, NULL, 0, 0, NULL},
};
