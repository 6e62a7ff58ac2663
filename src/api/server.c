/* server.c: libmicrohttpd front end: an event loop on a fixed pool of threads, routing and
 * authentication as soon as the headers are in (before any body is kept), body accumulation
 * with a size limit, a few workers for the handlers that wait on the outside world, one log
 * line per request. */
#include "api/http.h"

#include <arpa/inet.h>
#include <malloc.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

#include "api/auth.h"
#include "jobs/events.h"
#include "jobs/hub.h"
#include "lib/jtext.h"
#include "lib/promreg.h"
#include "svc/backups.h"
#include "lib/log.h"
#include "store/db.h"

struct api_config api_cfg = {
	.listen_host = "127.0.0.1",
	.listen_port = 8400,
	.apps_domain = "localhost",
	.token_ttl = 86400,
	.max_body = 1024 * 1024,
	.threads = 4,
	.max_connections = 10000,
	.per_ip_connections = 256,
	.timeout_s = 15,
};

static struct MHD_Daemon *daemon_;

static const struct route *const tables[] = {
	auth_routes, org_routes, plan_routes, server_routes, project_routes, env_routes, job_routes,
	repo_routes, admin_routes, webhook_routes, alert_routes, event_routes, logs_routes,
	metrics_routes, backup_routes, backup_target_routes, settings_routes, cert_routes,
	clone_routes,
	connect_routes,
	access_routes,
	mail_routes,
};

int reply_json(struct req *r, int status, json_t *body)
{
	json_decref(r->reply);
	r->reply = body;
	return status;
}

int reply_error(struct req *r, enum berth_code c, const char *field, const char *fmt, ...)
{
	r->err.code = c;
	snprintf(r->err.field, sizeof r->err.field, "%s", field ? field : "");
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(r->err.message, sizeof r->err.message, fmt, ap);
		va_end(ap);
	} else {
		snprintf(r->err.message, sizeof r->err.message, "%s", berr_default_message(c));
	}
	return reply_berr(r);
}

int reply_berr(struct req *r)
{
	if (r->err.code == BERTH_OK)
		r->err.code = BE_INTERNAL_ERROR;
	if (!r->err.message[0])
		snprintf(r->err.message, sizeof r->err.message, "%s", berr_default_message(r->err.code));
	json_t *e = json_pack("{s:s,s:s}", "code", berr_name(r->err.code), "message", r->err.message);
	if (r->err.field[0])
		json_object_set_new(e, "field", json_string(r->err.field));
	return reply_json(r, berr_status(r->err.code), json_pack("{s:o}", "error", e));
}

int reply_no_content(struct req *r)
{
	json_decref(r->reply);
	r->reply = NULL;
	return 204;
}

const char *req_query(struct req *r, const char *key)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
}

const char *req_header(struct req *r, const char *key)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, key);
}

const char *req_cookie(struct req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, name);
}

json_t *req_body(struct req *r)
{
	if (!r->body)
		r->body = json_object();
	return r->body;
}

/* Matches path against pattern ("{}" matches one segment of [A-Za-z0-9._-], 1 to 128
 * characters); fills r's params when r is given. Allocates only on a match. */
static bool match(const char *pattern, const char *path, struct req *r)
{
	const char *p = pattern, *s = path;
	int n = 0;
	const char *pstart[MAX_PARAMS];
	size_t plen[MAX_PARAMS];
	while (*p && *s) {
		if (p[0] == '{' && p[1] == '}') {
			size_t len = 0;
			for (;; len++) {
				char c = s[len];
				if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
				      (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
					break;
			}
			if (len == 0 || len > 128 || n == MAX_PARAMS || (s[len] && s[len] != '/'))
				return false;
			pstart[n] = s;
			plen[n++] = len;
			p += 2;
			s += len;
			continue;
		}
		if (*p != *s)
			return false;
		p++;
		s++;
	}
	if (*p || *s)
		return false;
	if (r) {
		for (int i = 0; i < n; i++)
			r->params[i] = xstrndup(pstart[i], plen[i]);
		r->nparams = n;
	}
	return true;
}

/* Forges send push payloads of up to 25 MB; everything else is small JSON. */
static size_t max_body_of(const struct req *r)
{
	if (r->route && r->route->fn && (r->route->flags & R_STREAM) &&
	    str_ends(r->path, "/backups/import"))
		return (size_t)svc_backup_upload_max(); /* an imported backup, streamed to its target */
	return str_starts(r->path, "/api/v1/webhooks/") ? (size_t)25 << 20 : api_cfg.max_body;
}

/* Routes whose handler waits on the outside world (a server probe reads for up to 15 s, git
 * fetches a remote, ssh-keygen runs): they run on a worker with the connection suspended,
 * never on the HTTP pool's threads. */
static const struct {
	const char *method, *pattern;
} slow_routes[] = {
	{"POST", "/api/v1/servers/{}/test"},
	{"GET", "/api/v1/projects/{}/branches"},
	{"GET", "/api/v1/environments/{}/commits"},
	{"POST", "/api/v1/projects/{}/environments"},
	{"PATCH", "/api/v1/environments/{}"},
	{"POST", "/api/v1/orgs/{}/projects"},
	{"PATCH", "/api/v1/projects/{}"},
	{"GET", "/api/v1/environments/{}/logs"},
	{"GET", "/api/v1/environments/{}/logs/stream"},
	{"GET", "/api/v1/environments/{}/logs/download"},
	{"GET", "/api/v1/backups/{}/download"},
	{"POST", "/api/v1/orgs/{}/backup-targets/{}/test"},
	{"GET", "/api/v1/environments/{}/settings/{}"}, /* the Domain tab looks DNS up */
	{"PUT", "/api/v1/environments/{}/settings/{}"},
	{"POST", "/api/v1/environments/{}/clone"}, /* create's branch check may fetch */
	{"GET", "/api/v1/environments/{}/sessions"}, /* Connect As User: exec in Odoo */
	{"POST", "/api/v1/environments/{}/connect"},
	{"GET", "/api/v1/environments/{}/mails"}, /* exec in the mail catcher */
	{"GET", "/api/v1/environments/{}/mails/{}"},
};

static bool route_is_slow(const struct route *rt)
{
	for (size_t i = 0; i < ARRAY_SIZE(slow_routes); i++)
		if (str_eq(slow_routes[i].method, rt->method) &&
		    str_eq(slow_routes[i].pattern, rt->pattern))
			return true;
	return false;
}

/* Finds r's route (r->route, or r->path_known when only the method differs). */
static void route(struct req *r)
{
	size_t plen = strlen(r->path);
	if (plen > 1 && r->path[plen - 1] == '/')
		r->path[plen - 1] = '\0';
	for (size_t t = 0; t < ARRAY_SIZE(tables); t++) {
		for (const struct route *rt = tables[t]; rt->pattern; rt++) {
			if (!match(rt->pattern, r->path, NULL))
				continue;
			r->path_known = true;
			if (strcmp(rt->method, r->method) == 0) {
				match(rt->pattern, r->path, r);
				r->route = rt;
				return;
			}
		}
	}
}

/* As soon as the headers are in, before any of the body is kept: a route that needs a token
 * (a bearer token, or the console's session cookie with its anti-CSRF header when the method
 * changes state) is answered 401 (403) without one (whatever the body), and a streamed route (the webhook)
 * checks what it can (its project, a signature header). Sets r->refused with the answer in
 * r->status: the body is then read and dropped. */
static void admit(struct req *r)
{
	const struct route *rt = r->route;
	if (!rt)
		return;
	if (!(rt->flags & R_PUBLIC) ||
	    (req_header(r, "Authorization") && !(rt->flags & R_RAW))) {
		if (auth_authenticate(r) < 0) {
			if (rt->flags & (R_PUBLIC | R_OPTIONAL)) {
				berr_clear(&r->err);
			} else {
				r->status = reply_berr(r);
				r->refused = true;
				return;
			}
		}
	}
	if (rt->flags & R_STREAM) {
		r->phase = REQ_HEADERS;
		int st = rt->fn(r);
		if (st > 0) {
			r->status = st;
			r->refused = true;
		}
	}
}

/* Takes a piece of the body. */
static void body_piece(struct req *r, const char *data, size_t n)
{
	r->raw_len += n;
	if (r->refused || r->too_large)
		return;
	if (r->raw_len > max_body_of(r)) {
		r->too_large = true;
		sbuf_release(&r->raw);
		return;
	}
	if (r->body_fn) {
		if (r->body_fn(r, data, n) < 0) {
			if (r->status == 0)
				r->status = reply_berr(r);
			r->refused = true;
		}
		return;
	}
	if (!r->route || !str_starts(r->path, "/api/"))
		return; /* a 404/405 or a static file: the body is not used */
	sbuf_add(&r->raw, data, n);
}

/* The checks between the body and the handler. 0 to go on, or the status of the answer. */
static int prepare(struct req *r)
{
	if (r->too_large)
		return reply_error(r, BE_PAYLOAD_TOO_LARGE, NULL, "The request body exceeds %zu bytes",
				   max_body_of(r));
	if (!r->route) {
		if (r->path_known)
			return reply_error(r, BE_METHOD_NOT_ALLOWED, NULL, "%s is not allowed on %s",
					   r->method, r->path);
		return reply_error(r, BE_NOT_FOUND, NULL, "No route %s %s", r->method, r->path);
	}
	/* setup after the first run answers 409 whatever its body (a body over the limit is
	 * 413 above) */
	if ((r->route->flags & (R_PUBLIC | R_OPTIONAL)) && auth_route_closed(r, r->route->pattern))
		return reply_berr(r);
	if (r->raw.len && !(r->route->flags & R_RAW)) {
		const char *ct = req_header(r, "Content-Type");
		/* curl -d sends form encoding by default: accept it when the body is JSON */
		if (ct && !str_starts(ct, "application/json") &&
		    !str_starts(ct, "application/x-www-form-urlencoded"))
			return reply_error(r, BE_UNSUPPORTED_MEDIA_TYPE, NULL,
					   "Content-Type must be application/json");
		json_error_t je;
		r->body = json_loadb(r->raw.buf, r->raw.len, JSON_REJECT_DUPLICATES, &je);
		if (!r->body)
			return reply_error(r, BE_INVALID_JSON, NULL, "Malformed JSON at line %d: %s",
					   je.line, je.text);
		sbuf_release(&r->raw);
	}
	if (r->authed && r->actor.read_only && strcmp(r->method, "GET") != 0)
		return reply_error(r, BE_PERMISSION_DENIED, NULL, "This API key is read-only");
	return 0;
}

static int run_handler(struct req *r)
{
	r->phase = REQ_END;
	return r->route->fn(r);
}

/* ---- workers for the slow routes: a thread per waiting request, at most SLOW_MAX at once;
 * more wait in a queue. The connection stays suspended until the answer is there. */
#define SLOW_MAX 16
struct slow_item {
	struct req *r;
	struct slow_item *next;
};
static pthread_mutex_t slow_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t slow_idle = PTHREAD_COND_INITIALIZER;
static struct slow_item *slow_head, *slow_tail;
static int slow_threads;
static bool slow_stopping;

static void *slow_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&slow_lock);
	while (slow_head) {
		struct slow_item *it = slow_head;
		slow_head = it->next;
		if (!slow_head)
			slow_tail = NULL;
		pthread_mutex_unlock(&slow_lock);
		struct req *r = it->r;
		free(it);
		r->status = run_handler(r);
		/* back to the pool now: a worker may end at any time, even after db_shutdown */
		db_release_thread();
		r->done = true;
		MHD_resume_connection(r->conn);
		pthread_mutex_lock(&slow_lock);
	}
	slow_threads--;
	pthread_cond_broadcast(&slow_idle);
	pthread_mutex_unlock(&slow_lock);
	return NULL;
}

/* Queues r for a worker and suspends its connection; false when berthd is stopping or no
 * thread could be made (the caller runs the handler itself). */
static bool slow_queue(struct req *r)
{
	pthread_mutex_lock(&slow_lock);
	if (slow_stopping) {
		pthread_mutex_unlock(&slow_lock);
		return false;
	}
	if (slow_threads < SLOW_MAX) {
		pthread_t t;
		pthread_attr_t at;
		pthread_attr_init(&at);
		pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
		int rc = pthread_create(&t, &at, slow_main, NULL);
		pthread_attr_destroy(&at);
		if (rc != 0 && slow_threads == 0) {
			pthread_mutex_unlock(&slow_lock);
			return false;
		}
		if (rc == 0)
			slow_threads++;
	}
	/* suspended before a worker can resume it: the worker needs slow_lock to take it */
	MHD_suspend_connection(r->conn);
	struct slow_item *it = xcalloc(1, sizeof *it);
	it->r = r;
	if (slow_tail)
		slow_tail->next = it;
	else
		slow_head = it;
	slow_tail = it;
	r->queued = true;
	pthread_mutex_unlock(&slow_lock);
	return true;
}

static void slow_drain(void)
{
	pthread_mutex_lock(&slow_lock);
	slow_stopping = true;
	while (slow_threads > 0)
		pthread_cond_wait(&slow_idle, &slow_lock);
	pthread_mutex_unlock(&slow_lock);
}

/* After an answer this large (a list of thousands of environments), the memory its JSON took
 * is handed back to the kernel (malloc_trim) instead of staying in the thread's malloc arena. */
#define BIG_REPLY (1024 * 1024)

#define WEB_CSP                                                                             \
	"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "     \
	"connect-src 'self'; font-src 'self'; object-src 'none'; frame-ancestors 'none'; "   \
	"base-uri 'none'; form-action 'self'"

static enum MHD_Result send_reply(struct MHD_Connection *c, struct req *r, int status)
{
	struct MHD_Response *resp;
	if (r->stream_fn && status < 300 && r->stream_sized) {
		/* a download of known length (a backup archive, or a range of it) */
		resp = MHD_create_response_from_callback(r->stream_size, 256 * 1024, r->stream_fn,
							 r->stream_cls, r->stream_free);
		r->stream_cls = NULL;
		MHD_add_response_header(resp, "Content-Type", r->content_type ? r->content_type
									   : "application/octet-stream");
		MHD_add_response_header(resp, "Accept-Ranges", "bytes");
	} else if (r->stream_fn && status < 300) {
		r->sse = true;
		promreg_sse(1);
		resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096,
							 r->stream_fn, r->stream_cls, r->stream_free);
		r->stream_cls = NULL; /* now owned by the response */
		MHD_add_response_header(resp, "Content-Type", r->content_type ? r->content_type
									   : "text/event-stream");
		MHD_add_response_header(resp, "X-Accel-Buffering", "no");
	} else if (r->reply_text) {
		resp = MHD_create_response_from_buffer(strlen(r->reply_text), r->reply_text,
						       MHD_RESPMEM_MUST_FREE);
		r->reply_text = NULL; /* now owned by the response */
		MHD_add_response_header(resp, "Content-Type",
					r->content_type ? r->content_type : "text/plain; charset=utf-8");
	} else if (r->reply) {
		struct sbuf sb = SBUF_INIT;
		sbuf_grow(&sb, 512);
		jtext_value(&sb, r->reply);
		sbuf_addc(&sb, '\n');
		size_t n = sb.len;
		r->big_reply = n > BIG_REPLY;
		resp = MHD_create_response_from_buffer(n, sbuf_detach(&sb), MHD_RESPMEM_MUST_FREE);
		MHD_add_response_header(resp, "Content-Type", "application/json");
	} else {
		resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	}
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	if (r->set_cookie)
		MHD_add_response_header(resp, "Set-Cookie", r->set_cookie);
	if (r->disposition && status < 300)
		MHD_add_response_header(resp, "Content-Disposition", r->disposition);
	if (r->content_range)
		MHD_add_response_header(resp, "Content-Range", r->content_range);
	if (!str_starts(r->path, "/api/")) {
		/* the console: its own files only, no inline script or style, no eval, no framing */
		MHD_add_response_header(resp, "Content-Security-Policy", WEB_CSP);
		MHD_add_response_header(resp, "X-Frame-Options", "DENY");
		MHD_add_response_header(resp, "Referrer-Policy", "same-origin");
	}
	enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void client_ip(struct MHD_Connection *c, char out[64])
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	out[0] = '\0';
	if (!ci || !ci->client_addr)
		return;
	const struct sockaddr *sa = ci->client_addr;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, 64);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, 64);
}

static void req_free(struct req *r)
{
	for (int i = 0; i < r->nparams; i++)
		free(r->params[i]);
	free(r->path);
	sbuf_release(&r->raw);
	json_decref(r->body);
	json_decref(r->reply);
	free(r->reply_text);
	free(r->set_cookie);
	free(r->disposition);
	free(r->content_range);
	if (r->stream_cls && r->stream_free)
		r->stream_free(r->stream_cls);
	if (r->body_cls && r->body_free)
		r->body_free(r->body_cls);
	free(r);
}

/* A line being formatted in a fixed buffer; full is set when it did not fit. */
struct linebuf {
	char buf[2048];
	size_t len;
	bool full;
};

static void lb_addf(struct linebuf *lb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void lb_addf(struct linebuf *lb, const char *fmt, ...)
{
	if (lb->full)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(lb->buf + lb->len, sizeof lb->buf - lb->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof lb->buf - lb->len)
		lb->full = true;
	else
		lb->len += (size_t)n;
}

/* Appends s as a JSON string's content; a byte that is not plain ASCII sets full (the caller
 * then lets jansson write the line). */
static void lb_add_json(struct linebuf *lb, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p && !lb->full; p++) {
		if (lb->len + 7 >= sizeof lb->buf || *p >= 0x7f) {
			lb->full = true;
		} else if (*p == '"' || *p == '\\') {
			lb->buf[lb->len++] = '\\';
			lb->buf[lb->len++] = (char)*p;
		} else if (*p < 0x20) {
			lb_addf(lb, "\\u%04x", *p);
		} else {
			lb->buf[lb->len++] = (char)*p;
		}
	}
}

/* One JSON line per request: method, path (tokens masked), status, duration, remote address,
 * user, error code. Formatted into a buffer on the stack (no JSON tree, no allocation); a
 * long path or one that is not ASCII goes through log_event. */
static void log_request(struct req *r, int status)
{
	promreg_http_done(r->method, r->route ? r->route->pattern : NULL, status, now_ms() - r->t0);
	enum log_level lvl = status >= 500 ? LOG_ERROR : LOG_INFO;
	if (!log_enabled(lvl))
		return;
	/* secrets can travel in a path (invitation tokens): never log them */
	char *logged = r->path;
	if (strstr(r->path, "/b")) {
		logged = xstrdup(r->path);
		for (char *p = strstr(logged, "/b"); p; p = strstr(p + 1, "/b"))
			if ((p[2] == 'i' || p[2] == 't' || p[2] == 'k') && p[3] == '_')
				for (char *q = p + 4; *q && *q != '/'; q++)
					*q = '*';
	}
	int64_t ms = now_ms() - r->t0;
	struct linebuf lb;
	lb.len = 0;
	lb.full = false;
	char ts[40];
	log_timestamp(ts);
	lb_addf(&lb, "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":\"request\",\"method\":\"", ts,
		lvl == LOG_ERROR ? "error" : "info");
	lb_add_json(&lb, r->method);
	lb_addf(&lb, "\",\"path\":\"");
	lb_add_json(&lb, logged);
	lb_addf(&lb, "\",\"status\":%d,\"duration_ms\":%lld,\"remote\":\"%s\"", status,
		(long long)ms, r->ip);
	if (r->authed) {
		lb_addf(&lb, ",\"user\":\"");
		lb_add_json(&lb, r->actor.email);
		lb_addf(&lb, "\"");
	}
	if (status >= 400)
		lb_addf(&lb, ",\"error\":\"%s\"", berr_name(r->err.code));
	lb_addf(&lb, "}\n");
	if (!lb.full) {
		log_write_line(lb.buf, lb.len);
	} else {
		json_t *f = json_pack("{s:s,s:s%,s:i,s:I,s:s}", "method", r->method, "path", logged,
				      strlen(logged), "status", status, "duration_ms",
				      (json_int_t)ms, "remote", r->ip);
		if (r->authed)
			json_object_set_new(f, "user", json_string(r->actor.email));
		if (status >= 400)
			json_object_set_new(f, "error", json_string(berr_name(r->err.code)));
		log_event(lvl, "request", f);
	}
	if (logged != r->path)
		free(logged);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	(void)cls;
	(void)version;
	struct req *r = *con_cls;
	if (!r) {
		/* the headers are in */
		r = xcalloc(1, sizeof *r);
		r->conn = c;
		r->method = method;
		r->path = xstrdup(url);
		r->t0 = now_ms();
		client_ip(c, r->ip);
		sbuf_init(&r->raw);
		*con_cls = r;
		if (str_starts(r->path, "/api/")) {
			route(r);
			admit(r);
		}
		db_end_request();
		/* a client that waits for "100 Continue" before its body gets the refusal instead
		 * and never sends the body (libmicrohttpd closes the connection after it) */
		const char *expect = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Expect");
		if (r->refused && expect && strcasecmp(expect, "100-continue") == 0) {
			r->done = true;
			enum MHD_Result ret = send_reply(c, r, r->status);
			log_request(r, r->status);
			return ret;
		}
		return MHD_YES;
	}
	if (r->done && r->refused) {
		*upload_size = 0; /* answered at the headers; the rest is dropped */
		return MHD_YES;
	}
	if (*upload_size) {
		body_piece(r, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	int status;
	if (r->done) {
		status = r->status; /* a worker answered (resumed) */
	} else if (r->queued) {
		return MHD_YES; /* not expected: still suspended */
	} else if (r->refused) {
		status = r->status;
	} else if (!str_starts(r->path, "/api/")) {
		status = str_eq(r->path, "/metrics") ? api_metrics_serve(r) : web_serve(r);
	} else if ((status = prepare(r)) == 0) {
		if (route_is_slow(r->route) && slow_queue(r)) {
			db_end_request();
			return MHD_YES; /* on_request again when the worker resumes the connection */
		}
		status = run_handler(r);
	}
	db_end_request();
	enum MHD_Result ret = send_reply(c, r, status);
	log_request(r, status);
	return ret;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	struct req *r = *con_cls;
	if (!r)
		return;
	bool big = r->big_reply || r->raw_len > BIG_REPLY;
	promreg_sse(r->sse ? -1 : 0);
	req_free(r);
	*con_cls = NULL;
	if (big)
		malloc_trim(0);
}

/* ---- the heartbeat timer: once a second, resumes the live log and event streams idle for
 * 15 s ---- */
static pthread_t tick_thread;
static bool tick_running, tick_stop;
static pthread_mutex_t tick_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t tick_cv;

static void *tick_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&tick_lock);
	while (!tick_stop) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&tick_cv, &tick_lock, &ts);
		if (tick_stop)
			break;
		pthread_mutex_unlock(&tick_lock);
		hub_tick();
		events_tick();
		pthread_mutex_lock(&tick_lock);
	}
	pthread_mutex_unlock(&tick_lock);
	return NULL;
}

/* Open files: every connection is one; the soft limit goes up to the hard one. */
static void raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* libmicrohttpd's own messages, as berthd's JSON log lines: a client that went away while
 * its answer was being sent is routine (debug); anything else is worth a warning. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	char buf[512];
	vsnprintf(buf, sizeof buf, fmt, ap);
	size_t n = strlen(buf);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	bool routine = strstr(buf, "no longer available") || strstr(buf, "Connection reset") ||
		       strstr(buf, "closed by remote") || strstr(buf, "Broken pipe");
	log_event(routine ? LOG_DEBUG : LOG_WARN, "http server", json_pack("{s:s}", "detail", buf));
}

int api_start(struct berr *err)
{
	struct sockaddr_in6 a6;
	struct sockaddr_in a4;
	struct sockaddr *sa;
	memset(&a6, 0, sizeof a6);
	memset(&a4, 0, sizeof a4);
	/* an event loop per pool thread (epoll), no thread per connection; suspended connections
	 * (live logs, slow routes) wait without a thread */
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
			 MHD_USE_TURBO | MHD_USE_ERROR_LOG;
	if (inet_pton(AF_INET, api_cfg.listen_host, &a4.sin_addr) == 1) {
		a4.sin_family = AF_INET;
		a4.sin_port = htons((uint16_t)api_cfg.listen_port);
		sa = (struct sockaddr *)&a4;
	} else if (inet_pton(AF_INET6, api_cfg.listen_host, &a6.sin6_addr) == 1) {
		a6.sin6_family = AF_INET6;
		a6.sin6_port = htons((uint16_t)api_cfg.listen_port);
		sa = (struct sockaddr *)&a6;
		flags |= MHD_USE_IPv6;
	} else {
		return berr_set(err, BE_VALIDATION_ERROR, "listen", "--listen needs an IP address: %s",
				api_cfg.listen_host);
	}
	raise_nofile();
	/* large buffers (answers, bodies) are mapped and unmapped, not kept in an arena: a fixed
	 * threshold (glibc otherwise raises it to the largest block freed) */
	mallopt(M_MMAP_THRESHOLD, 256 * 1024);
	struct rlimit rl;
	unsigned limit = (unsigned)api_cfg.max_connections;
	/* leave room for the store, the job workers' sockets and pipes */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < (rlim_t)limit + 256)
		limit = rl.rlim_cur > 512 ? (unsigned)(rl.rlim_cur - 256) : 256;
	pthread_mutex_lock(&slow_lock);
	slow_stopping = false;
	pthread_mutex_unlock(&slow_lock);
	hub_open();
	events_open();
	daemon_ = MHD_start_daemon(
		flags, (uint16_t)api_cfg.listen_port, NULL, NULL, on_request, NULL,
		/* first, so that MHD logs the other options' problems through it */
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_SOCK_ADDR, sa, MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)api_cfg.threads,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)api_cfg.timeout_s,
		MHD_OPTION_CONNECTION_LIMIT, limit,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)api_cfg.per_ip_connections,
		MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024, MHD_OPTION_END);
	if (!daemon_)
		return berr_set(err, BE_INTERNAL_ERROR, "listen", "cannot listen on %s:%d",
				api_cfg.listen_host, api_cfg.listen_port);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&tick_cv, &ca);
	pthread_condattr_destroy(&ca);
	tick_stop = false;
	tick_running = pthread_create(&tick_thread, NULL, tick_main, NULL) == 0;
	return 0;
}

void api_stop(void)
{
	hub_shutdown(); /* live logs end at once: the hub resumes their connections */
	events_shutdown(); /* so do the organization event streams */
	slow_drain();   /* the slow routes answer and resume theirs */
	if (tick_running) {
		pthread_mutex_lock(&tick_lock);
		tick_stop = true;
		pthread_cond_signal(&tick_cv);
		pthread_mutex_unlock(&tick_lock);
		pthread_join(tick_thread, NULL);
		tick_running = false;
		pthread_cond_destroy(&tick_cv);
	}
	if (daemon_)
		MHD_stop_daemon(daemon_);
	daemon_ = NULL;
}
