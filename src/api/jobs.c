/* jobs.c: environment actions (each a job), the job queue's views, live logs (SSE), and the
 * platform administrator's settings. */
#include <stdio.h>
#include <string.h>
#include <microhttpd.h>

#include "api/auth.h"
#include "api/http.h"
#include "jobs/hub.h"
#include "jobs/queue.h"
#include "lib/jspec.h"
#include "lib/valid.h"
#include "store/db.h"
#include "store/jobs_store.h"
#include "svc/actions.h"

/* Checks access and permission, then queues the action (svc/actions.h: refused on an
 * environment being removed; an identical job still queued is answered instead). */
static int env_action(struct req *r, const char *type, const char *perm, json_t *params)
{
	struct access acc;
	json_t *e = access_env(&r->actor, r->params[0], &acc, &r->err);
	json_t *job = NULL;
	if (e && perm_require(&acc, perm, &r->err) == 0)
		job = svc_env_action(&r->actor, r->ip, r->params[0], type, params, &r->err);
	if (e)
		access_release(&acc);
	json_decref(e);
	json_decref(params);
	return job ? reply_json(r, 202, job) : reply_berr(r);
}

static int h_deploy(struct req *r)
{
	struct jfield spec[] = {JF_END};
	if (jspec_parse(req_body(r), spec, NULL, &r->err) < 0)
		return reply_berr(r);
	return env_action(r, "deploy", "environment.deploy", json_object());
}

static int h_restart(struct req *r)
{
	const char *mode = "soft";
	struct jfield spec[] = {
		{.name = "mode", .type = J_STRING, .dest = &mode},
		JF_END,
	};
	if (jspec_parse(req_body(r), spec, NULL, &r->err) < 0)
		return reply_berr(r);
	if (!str_eq(mode, "soft") && !str_eq(mode, "hard"))
		return reply_error(r, BE_VALIDATION_ERROR, "mode", "mode: must be \"soft\" or \"hard\"");
	return env_action(r, "restart", "environment.restart", json_pack("{s:s}", "mode", mode));
}

static int h_stop(struct req *r)
{
	struct jfield spec[] = {JF_END};
	if (jspec_parse(req_body(r), spec, NULL, &r->err) < 0)
		return reply_berr(r);
	return env_action(r, "stop", "environment.stop", json_object());
}

static int h_start(struct req *r)
{
	struct jfield spec[] = {JF_END};
	if (jspec_parse(req_body(r), spec, NULL, &r->err) < 0)
		return reply_berr(r);
	return env_action(r, "start", "environment.start", json_object());
}

/* POST /environments/{id}/merge {"target_branch"}: a job merges the environment's branch into
 * the target branch and pushes it. */
static int h_merge(struct req *r)
{
	const char *target = NULL;
	struct jfield spec[] = {
		{.name = "target_branch", .type = J_STRING, .required = true, .dest = &target, .maxlen = 200},
		JF_END,
	};
	if (jspec_parse(req_body(r), spec, NULL, &r->err) < 0)
		return reply_berr(r);
	if (!valid_git_ref(target))
		return reply_error(r, BE_VALIDATION_ERROR, "target_branch",
				   "target_branch: not a valid git branch name");
	struct access acc;
	json_t *e = access_env(&r->actor, r->params[0], &acc, &r->err);
	if (!e)
		return reply_berr(r);
	json_decref(e);
	json_t *job = NULL;
	if (perm_require(&acc, "environment.merge", &r->err) == 0)
		job = svc_env_merge(&r->actor, r->ip, acc.org_id, r->params[0], target, &r->err);
	access_release(&acc);
	return job ? reply_json(r, 202, job) : reply_berr(r);
}

/* A job is visible to members of its organization (and its project's restrictions). */
static json_t *job_access(struct req *r, const char *job_id)
{
	return svc_job_visible(&r->actor, job_id, &r->err);
}

static int h_job_get(struct req *r)
{
	json_t *j = job_access(r, r->params[0]);
	if (!j)
		return reply_berr(r);
	return reply_json(r, 200, j);
}

static int h_job_cancel(struct req *r)
{
	json_t *j = svc_job_cancel(&r->actor, r->params[0], &r->err);
	return j ? reply_json(r, 202, j) : reply_berr(r);
}

static int h_job_log(struct req *r)
{
	json_t *j = job_access(r, r->params[0]);
	if (!j)
		return reply_berr(r);
	json_decref(j);
	struct sbuf sb = SBUF_INIT;
	jobs_log_text(r->params[0], &sb);
	r->reply_text = sbuf_detach(&sb);
	r->content_type = "text/plain; charset=utf-8";
	return 200;
}

/* A live log (Server-Sent Events): what the store holds after Last-Event-ID first, then the
 * lines the job's hub subscription hands over, then the job's final status. */
struct sse {
	char job_id[37];
	int64_t after;         /* the last line sent */
	bool done;
	bool from_store;       /* read the store (at the start, or the hub dropped lines) */
	struct hub_sub *sub;
	struct sbuf out;
	size_t off;
	struct MHD_Connection *conn; /* suspended while there is nothing to send */
};

static void sse_free(void *cls)
{
	struct sse *s = cls;
	hub_unsubscribe(s->sub);
	sbuf_release(&s->out);
	free(s);
}

static void sse_data(struct sbuf *sb, const char *data)
{
	/* one data: field per line of the payload */
	const char *p = data;
	for (;;) {
		const char *nl = strchr(p, '\n');
		sbuf_adds(sb, "data: ");
		sbuf_add(sb, p, nl ? (size_t)(nl - p) : strlen(p));
		sbuf_addc(sb, '\n');
		if (!nl)
			break;
		p = nl + 1;
	}
}

static void sse_line(struct sse *s, int64_t n, const char *line)
{
	s->after = n;
	sbuf_addf(&s->out, "id: %lld\nevent: log\n", (long long)n);
	sse_data(&s->out, line);
	sbuf_addc(&s->out, '\n');
}

static void sse_stored_line(void *cls, int64_t n, const char *ts, const char *line)
{
	(void)ts;
	sse_line(cls, n, line);
}

#define SSE_BATCH 500

/* Appends stored log lines after s->after; true when there were some. */
static bool sse_lines(struct sse *s)
{
	int n = queue_log_lines(s->job_id, s->after, SSE_BATCH, sse_stored_line, s);
	if (n == SSE_BATCH)
		s->from_store = true; /* more to read */
	return n > 0;
}

/* Appends the final status event when the job has finished (or is gone); true then. */
static bool sse_status(struct sse *s)
{
	json_t *j = queue_job_status(s->job_id);
	const char *status = json_string_value(json_object_get(j, "status"));
	if (j && (str_eq(status, "queued") || str_eq(status, "running"))) {
		json_decref(j);
		return false;
	}
	char *d = j ? json_dumps(j, JSON_COMPACT) : xstrdup("{\"status\":\"gone\"}");
	sbuf_addf(&s->out, "event: status\n");
	sse_data(&s->out, d);
	sbuf_addc(&s->out, '\n');
	free(d);
	json_decref(j);
	s->done = true;
	return true;
}

/* From the store: fills s->out with what is new; true when something was added. The job's
 * status is read after the lines (and after subscribing): a change before that read shows
 * in it, a later one comes from the hub. */
static bool sse_fill(struct sse *s)
{
	s->from_store = false;
	bool any = sse_lines(s);
	if (s->from_store)
		return any; /* more lines first */
	json_t *j = queue_job_status(s->job_id);
	const char *status = json_string_value(json_object_get(j, "status"));
	bool over = !j || (!str_eq(status, "queued") && !str_eq(status, "running"));
	json_decref(j);
	if (!over)
		return any;
	/* lines written between the query above and the status change come first */
	if (sse_lines(s)) {
		s->from_store = true; /* the status on the next round */
		return true;
	}
	return sse_status(s) || any;
}

/* From the hub: the lines handed over, then the final status if the job changed. */
static bool sse_news(struct sse *s, struct hub_news *news)
{
	bool any = false;
	if (news->overflow)
		s->from_store = true;
	for (size_t i = 0; i < news->nlines && !s->from_store; i++) {
		int64_t n = news->lines[i].n;
		if (n <= s->after)
			continue; /* already read from the store */
		if (n != s->after + 1) {
			s->from_store = true; /* a gap: the store has them */
			break;
		}
		sse_line(s, n, news->lines[i].line);
		any = true;
	}
	if (s->from_store)
		return any;
	/* every line written before the status changed came with this news */
	if (news->status && sse_status(s))
		any = true;
	return any;
}

/* Called under the hub's lock (jobs/hub.h): the connection leaves the event loop until the
 * hub wakes it, so an idle stream holds no thread. */
static void sse_suspend(void *cls)
{
	MHD_suspend_connection(((struct sse *)cls)->conn);
}

static void sse_resume(void *cls)
{
	MHD_resume_connection(((struct sse *)cls)->conn);
}

#define SSE_HEARTBEAT_MS 15000

/* The content reader, on one of the HTTP pool's threads; it never blocks: with nothing to
 * send it arms its subscription, suspends the connection and returns 0 (microhttpd.h's
 * pattern); the hub resumes it at news, after 15 s (a comment line finds clients that went
 * away) or when berthd stops. */
static ssize_t sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	(void)pos;
	struct sse *s = cls;
	for (;;) {
		if (s->off < s->out.len) {
			size_t n = s->out.len - s->off;
			if (n > max)
				n = max;
			memcpy(buf, s->out.buf + s->off, n);
			s->off += n;
			if (s->off == s->out.len) {
				sbuf_reset(&s->out);
				s->off = 0;
			}
			return (ssize_t)n;
		}
		if (s->done)
			return MHD_CONTENT_READER_END_OF_STREAM;
		if (s->from_store) {
			bool got = sse_fill(s);
			db_end_request();
			if (got || s->from_store)
				continue;
		}
		struct hub_news news;
		int w = hub_poll(s->sub, &news, SSE_HEARTBEAT_MS, sse_suspend, sse_resume, s);
		if (w < 0)
			return MHD_CONTENT_READER_END_WITH_ERROR; /* berthd is stopping */
		if (w == 2)
			return 0; /* suspended until the hub resumes it */
		if (w == 0) {
			sbuf_adds(&s->out, ": keepalive\n\n");
			continue;
		}
		sse_news(s, &news);
		hub_news_free(&news);
		db_end_request();
	}
}

static int h_job_events(struct req *r)
{
	json_t *j = job_access(r, r->params[0]);
	if (!j)
		return reply_berr(r);
	json_decref(j);
	struct sse *s = xcalloc(1, sizeof *s);
	sbuf_init(&s->out);
	snprintf(s->job_id, sizeof s->job_id, "%s", r->params[0]);
	const char *last = req_header(r, "Last-Event-ID");
	if (!last)
		last = req_query(r, "after");
	if (last)
		s->after = atoll(last);
	if (s->after < 0)
		s->after = 0;
	/* subscribe before the first read of the store: nothing falls between the two */
	s->sub = hub_subscribe(s->job_id);
	s->from_store = true;
	s->conn = r->conn;
	sbuf_adds(&s->out, "retry: 2000\n\n");
	r->stream_fn = sse_read;
	r->stream_cls = s;
	r->stream_free = sse_free;
	r->content_type = "text/event-stream";
	return 200;
}

static long long list_limit(struct req *r)
{
	const char *ls = req_query(r, "limit");
	long long limit = ls ? atoll(ls) : 50;
	return limit < 1 || limit > 500 ? 50 : limit;
}

static int h_env_jobs(struct req *r)
{
	struct access acc;
	json_t *e = access_env(&r->actor, r->params[0], &acc, &r->err);
	if (!e)
		return reply_berr(r);
	json_decref(e);
	access_release(&acc);
	return reply_json(r, 200, jobs_json_of_env(r->params[0], req_query(r, "status"),
						   list_limit(r)));
}

static int h_org_jobs(struct req *r)
{
	struct access acc;
	if (access_org(&r->actor, r->params[0], &acc, &r->err) < 0)
		return reply_berr(r);
	json_t *a = svc_org_jobs(&acc, req_query(r, "status"), list_limit(r));
	access_release(&acc);
	return reply_json(r, 200, a);
}

const struct route job_routes[] = {
	{"POST", "/api/v1/environments/{}/deploy", h_deploy, 0},
	{"POST", "/api/v1/environments/{}/merge", h_merge, 0},
	{"POST", "/api/v1/environments/{}/restart", h_restart, 0},
	{"POST", "/api/v1/environments/{}/stop", h_stop, 0},
	{"POST", "/api/v1/environments/{}/start", h_start, 0},
	{"GET", "/api/v1/environments/{}/jobs", h_env_jobs, 0},
	{"GET", "/api/v1/orgs/{}/jobs", h_org_jobs, 0},
	{"GET", "/api/v1/jobs/{}", h_job_get, 0},
	{"GET", "/api/v1/jobs/{}/log", h_job_log, 0},
	{"GET", "/api/v1/jobs/{}/events", h_job_events, 0},
	{"POST", "/api/v1/jobs/{}/cancel", h_job_cancel, 0},
	{NULL, NULL, NULL, 0},
};

/* ---- platform administrator settings ---- */

static int h_odoo_versions_get(struct req *r)
{
	if (!r->actor.is_admin)
		return reply_error(r, BE_PERMISSION_DENIED, NULL,
				   "Only the platform administrator reads platform settings");
	struct jfield none[] = {JF_END}; /* no fields: {} or no body */
	if (jspec_parse(req_body(r), none, NULL, &r->err) < 0)
		return reply_berr(r);
	return reply_json(r, 200, svc_odoo_images());
}

static int h_odoo_versions_put(struct req *r)
{
	if (!r->actor.is_admin)
		return reply_error(r, BE_PERMISSION_DENIED, NULL,
				   "Only the platform administrator changes platform settings");
	json_t *cur = svc_odoo_images_set(req_body(r), &r->err);
	return cur ? reply_json(r, 200, cur) : reply_berr(r);
}

const struct route admin_routes[] = {
	{"GET", "/api/v1/admin/odoo-versions", h_odoo_versions_get, 0},
	{"PUT", "/api/v1/admin/odoo-versions", h_odoo_versions_put, 0},
	{NULL, NULL, NULL, 0},
};
