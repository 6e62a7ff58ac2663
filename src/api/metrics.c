/* metrics.c: the monitoring routes (the environment's and the server's samples, monitoring's
 * platform settings) and GET /metrics, the Prometheus exposition (not under /api/: guarded by
 * the scrape token of --metrics-token-file, or reachable from loopback only without one). */
#include "api/http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/util.h"
#include "svc/metrics.h"

static char *scrape_token;

int api_metrics_token_file(const char *path, struct berr *err)
{
	size_t len = 0;
	char *t = read_file(path, &len);
	if (!t)
		return berr_set(err, BE_VALIDATION_ERROR, "metrics-token-file", "cannot read %s", path);
	while (len && (t[len - 1] == '\n' || t[len - 1] == '\r' || t[len - 1] == ' '))
		t[--len] = '\0';
	if (len < 16 || strlen(t) != len) {
		free(t);
		return berr_set(err, BE_VALIDATION_ERROR, "metrics-token-file",
				"the scrape token in %s must be one line of at least 16 characters",
				path);
	}
	free(scrape_token);
	scrape_token = t;
	return 0;
}

static bool loopback(const char *ip)
{
	return str_starts(ip, "127.") || str_eq(ip, "::1") || str_starts(ip, "::ffff:127.");
}

int api_metrics_serve(struct req *r)
{
	if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0)
		return reply_error(r, BE_METHOD_NOT_ALLOWED, NULL, "%s is not allowed on /metrics",
				   r->method);
	if (scrape_token) {
		const char *h = req_header(r, "Authorization");
		if (!h || strncasecmp(h, "Bearer ", 7) != 0 || !str_ct_eq(h + 7, scrape_token))
			return reply_error(r, BE_UNAUTHORIZED, NULL,
					   "GET /metrics needs the scrape token (Authorization: Bearer)");
	} else if (!loopback(r->ip)) {
		return reply_error(r, BE_PERMISSION_DENIED, NULL,
				   "GET /metrics is served to loopback only (berthd --metrics-token-file)");
	}
	struct sbuf sb = SBUF_INIT;
	svc_metrics_prometheus(&sb);
	r->reply_text = sbuf_detach(&sb);
	r->content_type = "text/plain; version=0.0.4; charset=utf-8";
	return 200;
}

static void query_of(struct req *r, struct metrics_query *q)
{
	q->range = req_query(r, "range");
	q->from = req_query(r, "from");
	q->to = req_query(r, "to");
	q->step = req_query(r, "step");
}

static int h_env_metrics(struct req *r)
{
	struct metrics_query q;
	query_of(r, &q);
	json_t *out = svc_env_metrics(&r->actor, r->params[0], &q, &r->err);
	return out ? reply_json(r, 200, out) : reply_berr(r);
}

static int h_server_metrics(struct req *r)
{
	struct metrics_query q;
	query_of(r, &q);
	json_t *out = svc_server_metrics(&r->actor, r->params[0], &q, &r->err);
	return out ? reply_json(r, 200, out) : reply_berr(r);
}

static int h_settings_get(struct req *r)
{
	if (!r->actor.is_admin)
		return reply_error(r, BE_PERMISSION_DENIED, NULL,
				   "Only the platform administrator reads platform settings");
	return reply_json(r, 200, svc_monitoring_settings());
}

static int h_settings_put(struct req *r)
{
	if (!r->actor.is_admin)
		return reply_error(r, BE_PERMISSION_DENIED, NULL,
				   "Only the platform administrator changes platform settings");
	json_t *out = svc_monitoring_settings_set(req_body(r), &r->err);
	return out ? reply_json(r, 200, out) : reply_berr(r);
}

const struct route metrics_routes[] = {
	{"GET", "/api/v1/environments/{}/metrics", h_env_metrics, 0},
	{"GET", "/api/v1/servers/{}/metrics", h_server_metrics, 0},
	{"GET", "/api/v1/admin/monitoring", h_settings_get, 0},
	{"PUT", "/api/v1/admin/monitoring", h_settings_put, 0},
	{NULL, NULL, NULL, 0},
};
