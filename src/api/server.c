/* server.c: libmicrohttpd front end: body accumulation with a size limit, routing,
 * authentication, one log line per request. */
#include "api/http.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "api/auth.h"
#include "jobs/hub.h"
#include "lib/log.h"
#include "store/db.h"

struct api_config api_cfg = {
	.listen_host = "127.0.0.1",
	.listen_port = 8400,
	.apps_domain = "localhost",
	.token_ttl = 86400,
	.max_body = 1024 * 1024,
};

static struct MHD_Daemon *daemon_;

static const struct route *const tables[] = {
	auth_routes, org_routes, plan_routes, server_routes, project_routes, env_routes, job_routes,
	repo_routes, admin_routes,
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

json_t *req_body(struct req *r)
{
	if (!r->body)
		r->body = json_object();
	return r->body;
}

/* Splits path into segments and matches against pattern; fills params. */
static bool match(const char *pattern, const char *path, struct req *r)
{
	const char *p = pattern, *s = path;
	int n = 0;
	char *params[MAX_PARAMS];
	while (*p && *s) {
		if (p[0] == '{' && p[1] == '}') {
			const char *end = strchr(s, '/');
			size_t len = end ? (size_t)(end - s) : strlen(s);
			if (len == 0 || len > 128 || n == MAX_PARAMS)
				goto no;
			for (size_t i = 0; i < len; i++) {
				char c = s[i];
				if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
				      c == '-' || c == '_' || c == '.'))
					goto no;
			}
			params[n++] = xstrndup(s, len);
			p += 2;
			s += len;
			continue;
		}
		if (*p != *s)
			goto no;
		p++;
		s++;
	}
	if (*p || *s)
		goto no;
	if (r) {
		for (int i = 0; i < n; i++)
			r->params[i] = params[i];
		r->nparams = n;
	} else {
		for (int i = 0; i < n; i++)
			free(params[i]);
	}
	return true;
no:
	for (int i = 0; i < n; i++)
		free(params[i]);
	return false;
}

/* Forges send push payloads of up to 25 MB; everything else is small JSON. */
static size_t max_body_of(const struct req *r)
{
	return str_starts(r->path, "/api/v1/webhooks/") ? (size_t)25 << 20 : api_cfg.max_body;
}

static int dispatch(struct req *r)
{
	const struct route *found = NULL;
	bool path_known = false;
	size_t plen = strlen(r->path);
	if (plen > 1 && r->path[plen - 1] == '/')
		r->path[plen - 1] = '\0';
	for (size_t t = 0; t < ARRAY_SIZE(tables) && !found; t++) {
		for (const struct route *rt = tables[t]; rt->pattern; rt++) {
			if (!match(rt->pattern, r->path, NULL))
				continue;
			path_known = true;
			if (strcmp(rt->method, r->method) == 0) {
				match(rt->pattern, r->path, r);
				found = rt;
				break;
			}
		}
	}
	if (!found) {
		if (path_known)
			return reply_error(r, BE_METHOD_NOT_ALLOWED, NULL, "%s is not allowed on %s",
					   r->method, r->path);
		return reply_error(r, BE_NOT_FOUND, NULL, "No route %s %s", r->method, r->path);
	}
	/* without valid credentials a request learns nothing of how its body is judged: 401
	 * before 413, 415 or 400; setup after the first run answers 409 whatever its body */
	bool optional = found->flags & (R_PUBLIC | R_OPTIONAL);
	if (!optional && auth_authenticate(r) < 0)
		return reply_berr(r);
	if (r->too_large)
		return reply_error(r, BE_PAYLOAD_TOO_LARGE, NULL, "The request body exceeds %zu bytes",
				   max_body_of(r));
	if (optional && auth_route_closed(r, found->pattern))
		return reply_berr(r);
	if (r->raw.len && !(found->flags & R_RAW)) {
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
	}
	if (optional && req_header(r, "Authorization") && !(found->flags & R_RAW) &&
	    auth_authenticate(r) < 0)
		berr_clear(&r->err);
	if (r->authed && r->actor.read_only && strcmp(r->method, "GET") != 0)
		return reply_error(r, BE_PERMISSION_DENIED, NULL, "This API key is read-only");
	return found->fn(r);
}

static enum MHD_Result send_reply(struct MHD_Connection *c, struct req *r, int status)
{
	struct MHD_Response *resp;
	if (r->stream_fn && status < 300) {
		resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096,
							 r->stream_fn, r->stream_cls, r->stream_free);
		r->stream_cls = NULL; /* now owned by the response */
		MHD_add_response_header(resp, "Content-Type", r->content_type ? r->content_type
									   : "text/event-stream");
		MHD_add_response_header(resp, "X-Accel-Buffering", "no");
	} else if (r->reply_text) {
		resp = MHD_create_response_from_buffer(strlen(r->reply_text), r->reply_text,
						       MHD_RESPMEM_MUST_COPY);
		MHD_add_response_header(resp, "Content-Type",
					r->content_type ? r->content_type : "text/plain; charset=utf-8");
	} else if (r->reply) {
		char *s = json_dumps(r->reply, JSON_INDENT(0) | JSON_COMPACT | JSON_PRESERVE_ORDER |
						       JSON_REAL_PRECISION(12) | JSON_ENCODE_ANY);
		size_t n = strlen(s);
		s = xrealloc(s, n + 2);
		s[n] = '\n';
		s[n + 1] = '\0';
		resp = MHD_create_response_from_buffer(n + 1, s, MHD_RESPMEM_MUST_FREE);
		MHD_add_response_header(resp, "Content-Type", "application/json");
	} else {
		resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	}
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
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
	if (r->stream_cls && r->stream_free)
		r->stream_free(r->stream_cls);
	free(r);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	(void)cls;
	(void)version;
	struct req *r = *con_cls;
	if (!r) {
		r = xcalloc(1, sizeof *r);
		r->conn = c;
		r->method = method;
		r->path = xstrdup(url);
		r->t0 = now_ms();
		client_ip(c, r->ip);
		*con_cls = r;
		return MHD_YES;
	}
	if (*upload_size) {
		if (r->raw.len + *upload_size > max_body_of(r))
			r->too_large = true;
		else
			sbuf_add(&r->raw, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	int status;
	if (str_starts(r->path, "/api/"))
		status = dispatch(r);
	else
		status = web_serve(r);
	db_release_thread();
	enum MHD_Result ret = send_reply(c, r, status);
	/* secrets can travel in a path (invitation tokens): never log them */
	char *logged = xstrdup(r->path);
	for (char *p = strstr(logged, "/b"); p; p = strstr(p + 1, "/b"))
		if ((p[2] == 'i' || p[2] == 't' || p[2] == 'k') && p[3] == '_')
			for (char *q = p + 4; *q && *q != '/'; q++)
				*q = '*';
	json_t *f = json_pack("{s:s,s:s%,s:i,s:I,s:s}", "method", method, "path", logged, strlen(logged),
			      "status", status, "duration_ms", (json_int_t)(now_ms() - r->t0),
			      "remote", r->ip);
	if (r->authed)
		json_object_set_new(f, "user", json_string(r->actor.email));
	if (status >= 400)
		json_object_set_new(f, "error", json_string(berr_name(r->err.code)));
	free(logged);
	log_event(status >= 500 ? LOG_ERROR : LOG_INFO, "request", f);
	return ret;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	if (*con_cls)
		req_free(*con_cls);
	*con_cls = NULL;
}

int api_start(struct berr *err)
{
	struct sockaddr_in6 a6;
	struct sockaddr_in a4;
	struct sockaddr *sa;
	memset(&a6, 0, sizeof a6);
	memset(&a4, 0, sizeof a4);
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
			 MHD_USE_ERROR_LOG;
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
	daemon_ = MHD_start_daemon(flags, (uint16_t)api_cfg.listen_port, NULL, NULL, on_request,
				   NULL, MHD_OPTION_SOCK_ADDR, sa, MHD_OPTION_NOTIFY_COMPLETED,
				   on_completed, NULL, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
				   MHD_OPTION_CONNECTION_LIMIT, (unsigned)512, MHD_OPTION_END);
	if (!daemon_)
		return berr_set(err, BE_INTERNAL_ERROR, "listen", "cannot listen on %s:%d",
				api_cfg.listen_host, api_cfg.listen_port);
	return 0;
}

void api_stop(void)
{
	hub_shutdown(); /* live logs end at once instead of waiting out their heartbeat */
	if (daemon_)
		MHD_stop_daemon(daemon_);
	daemon_ = NULL;
}
