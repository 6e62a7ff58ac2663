/* http.h: the REST API's request context, route table and reply helpers. */
#ifndef BERTH_HTTP_H
#define BERTH_HTTP_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "lib/errors.h"
#include "lib/util.h"
#include "store/access.h"


#define MAX_PARAMS 4
struct req {
	void *conn;              /* struct MHD_Connection * */
	const char *method;
	char *path;
	char *params[MAX_PARAMS]; /* the {} segments of the route, in order */
	int nparams;
	struct sbuf raw;
	size_t raw_len;          /* bytes of body received (kept in raw unless streamed or refused) */
	bool too_large;
	/* R_STREAM routes: the handler is called with REQ_HEADERS when the headers are in (it may
	 * answer at once: the body is then read and dropped), then body_fn gets the body piece by
	 * piece (returning -1 refuses: the rest is dropped and the handler's answer stands), then
	 * the handler is called again with REQ_END. */
	enum { REQ_HEADERS, REQ_END } phase;
	int (*body_fn)(struct req *r, const char *data, size_t n);
	void *body_cls;
	void (*body_free)(void *cls);
	json_t *body;            /* parsed JSON body, or NULL when there was none */
	char ip[64];
	struct actor actor;
	bool authed;
	bool cookie_auth;        /* authenticated by the console's session cookie */
	char *set_cookie;        /* a Set-Cookie header for the answer, or NULL */
	char *disposition;       /* a Content-Disposition header for the answer, or NULL */
	/* reply */
	json_t *reply;
	char *reply_text;
	const char *content_type;
	struct berr err;
	int64_t t0;
	/* server.c's own state */
	const struct route *route;
	bool path_known, refused, queued, done, big_reply, sse;
	int status;
	/* streaming reply (Server-Sent Events): the body comes from stream_fn, a libmicrohttpd
	 * content reader called on one of the HTTP pool's threads: it must not block (it suspends
	 * the connection instead, see api/jobs.c); it returns bytes written or -1 at the end. */
	ssize_t (*stream_fn)(void *cls, uint64_t pos, char *buf, size_t max);
	void *stream_cls;
	void (*stream_free)(void *cls);
	bool stream_sized;       /* a download: stream_size bytes (not an event stream) */
	uint64_t stream_size;
	char *content_range;     /* a Content-Range header for the answer, or NULL */
};

enum route_flags {
	R_PUBLIC = 1,  /* no token needed */
	R_OPTIONAL = 2, /* a token is used when present */
	R_RAW = 4,      /* the body is not parsed (webhooks verify its bytes) */
	R_STREAM = 8,   /* the handler takes the body in pieces (see struct req.phase) */
};

typedef int (*handler_fn)(struct req *r);
struct route {
	const char *method;
	const char *pattern; /* "{}" matches one path segment */
	handler_fn fn;
	unsigned flags;
};

struct api_config {
	const char *listen_host;
	int listen_port;
	const char *apps_domain;
	const char *public_url;  /* e.g. http://127.0.0.1:8400, for links */
	int64_t token_ttl;       /* seconds */
	size_t max_body;
	const char *web_root;    /* console's static files, may be NULL */
	const char *data_dir;    /* for temporary files (large webhook payloads) */
	int threads;             /* HTTP thread pool */
	int max_connections;
	int per_ip_connections;
	int timeout_s;           /* a connection idle this long is closed */
};
extern struct api_config api_cfg;

/* Reply helpers: return the HTTP status. */
int reply_json(struct req *r, int status, json_t *body); /* consumes body */
int reply_error(struct req *r, enum berth_code c, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int reply_berr(struct req *r);  /* replies r->err */
int reply_no_content(struct req *r);
const char *req_query(struct req *r, const char *key);
const char *req_header(struct req *r, const char *key);
const char *req_cookie(struct req *r, const char *name);
/* Requires a JSON object body (an absent body counts as {}). */
json_t *req_body(struct req *r);

int web_serve(struct req *r);
int api_start(struct berr *err);
void api_stop(void);

/* Route tables, one per resource file. */
extern const struct route auth_routes[], org_routes[], plan_routes[], server_routes[],
	project_routes[], env_routes[], job_routes[], admin_routes[], repo_routes[],
	webhook_routes[], alert_routes[], event_routes[], logs_routes[], backup_routes[];
extern const struct route metrics_routes[]; /* api/metrics.c */
extern const struct route backup_target_routes[]; /* api/backup_targets.c */
extern const struct route settings_routes[]; /* api/settings.c */
extern const struct route cert_routes[];          /* api/certs.c */
extern const struct route clone_routes[];         /* api/clones.c */
/* An environment as the API shows it (api/environments.c), NULL when it is gone. */
json_t *api_env_json(const char *id);
extern const struct route connect_routes[];       /* api/connect.c */
extern const struct route access_routes[];        /* api/access_info.c */
extern const struct route mail_routes[];          /* api/mails.c */
int api_metrics_serve(struct req *r);      /* GET /metrics (Prometheus) */
int api_metrics_token_file(const char *path, struct berr *err);
#endif
