/* jobs.c: environment actions (each a job), the job queue's views, live logs (SSE), and the
 * platform administrator's settings. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <microhttpd.h>

#include "api/auth.h"
#include "api/http.h"
#include "jobs/hub.h"
#include "jobs/queue.h"
#include "lib/jspec.h"
#include "lib/valid.h"
#include "core/envspec.h"
#include "ops/ops.h"
#include "store/db.h"
#include "store/model.h"

/* Checks access and permission, refuses actions on an environment being removed, and
 * enqueues; an identical job still queued is answered instead of a second one. */
static int env_action(struct req *r, const char *type, const char *perm, json_t *params)
{
	struct access acc;
	json_t *e = access_env(&r->actor, r->params[0], &acc, &r->err);
	if (!e) {
		json_decref(params);
		return reply_berr(r);
	}
	json_decref(e);
	const char *id = r->params[0];
	int status;
	if (perm_require(&acc, perm, &r->err) < 0) {
		status = reply_berr(r);
		goto out;
	}
	db_begin();
	char *st = db_str("SELECT status FROM environments WHERE id=?", "s", id);
	bool removing = db_int(0, "SELECT count(*) FROM jobs WHERE environment_id=? AND type='remove'"
				  " AND status IN ('queued','running')", "s", id) > 0;
	if (removing) {
		db_rollback();
		free(st);
		status = reply_error(r, BE_CONFLICT, NULL, "The environment is being removed");
		goto out;
	}
	free(st);
	char *dup = db_str("SELECT id FROM jobs WHERE environment_id=? AND type=? AND status='queued'"
			   " AND params=? ORDER BY seq DESC LIMIT 1", "ssj", id, type, params);
	json_t *job;
	if (dup) {
		job = queue_job_json(dup);
		free(dup);
		db_commit();
	} else {
		char *server = db_str("SELECT vm_id FROM environments WHERE id=?", "s", id);
		job = queue_enqueue(acc.org_id, id, server, type, params, r->actor.user_id,
				    r->actor.email);
		free(server);
		char action[48];
		snprintf(action, sizeof action, "environment.%s", type);
		audit_record(r, acc.org_id, action, "environment", id,
			     json_pack("{s:O}", "job", json_object_get(job, "id")));
		db_commit();
	}
	status = reply_json(r, 202, job);
out:
	json_decref(params);
	access_release(&acc);
	return status;
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
	char *branch = db_str("SELECT git_branch FROM environments WHERE id=?", "s", r->params[0]);
	int status = 0;
	if (perm_require(&acc, "environment.merge", &r->err) < 0) {
		status = reply_berr(r);
	} else if (str_eq(branch, target)) {
		status = reply_error(r, BE_VALIDATION_ERROR, "target_branch",
				     "target_branch: the environment's own branch (%s) cannot be merged"
				     " into itself", branch);
	} else {
		json_t *plan = model_org_plan(acc.org_id);
		bool allowed = json_is_true(json_object_get(plan, "allow_merge"));
		json_decref(plan);
		if (!allowed)
			status = reply_error(r, BE_PLAN_FEATURE_UNAVAILABLE, NULL,
					     "Merging branches is not included in the organization's"
					     " plan: upgrade to Pro or Enterprise");
		else if (db_int(0, "SELECT repository_url IS NULL FROM projects WHERE id=?", "s",
				json_string_value(json_object_get(e, "project_id"))) != 0)
			status = reply_error(r, BE_CONFLICT, NULL,
					     "The project has no repository: set its repository_url");
	}
	json_decref(e);
	free(branch);
	access_release(&acc);
	if (status)
		return status;
	return env_action(r, "merge", "environment.merge", json_pack("{s:s}", "target_branch", target));
}

/* DELETE /environments/{id}: removal is a job (same confirmation and production rule). */
int env_remove_request(struct req *r)
{
	return env_action(r, "remove", "environment.remove", json_object());
}

/* A job is visible to members of its organization (and its project's restrictions). */
static json_t *job_access(struct req *r, const char *job_id)
{
	json_t *j = queue_job_json(job_id);
	if (!j)
		goto nf;
	struct access acc;
	const char *env = json_string_value(json_object_get(j, "environment_id"));
	/* an environment's jobs follow its project's restrictions; a removed environment's jobs
	 * (it may vanish while we look) stay visible to its organization */
	json_t *e = env ? access_env(&r->actor, env, &acc, &r->err) : NULL;
	if (e) {
		json_decref(e);
	} else {
		if (env && db_int(0, "SELECT count(*) FROM environments WHERE id=?", "s", env) > 0)
			goto nf_free;
		if (access_org(&r->actor, json_string_value(json_object_get(j, "org_id")), &acc,
			       &r->err) < 0)
			goto nf_free;
	}
	access_release(&acc);
	return j;
nf_free:
	json_decref(j);
nf:
	berr_set(&r->err, BE_NOT_FOUND, NULL, "Job '%s' doesn't exist", job_id);
	return NULL;
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
	json_t *j = job_access(r, r->params[0]);
	if (!j)
		return reply_berr(r);
	struct access acc;
	const char *env = json_string_value(json_object_get(j, "environment_id"));
	const char *perm = "environment.deploy";
	bool ok = access_org(&r->actor, json_string_value(json_object_get(j, "org_id")), &acc, &r->err) == 0;
	(void)env;
	if (ok && perm_require(&acc, perm, &r->err) < 0)
		ok = false;
	access_release(&acc);
	json_decref(j);
	if (!ok)
		return reply_berr(r);
	if (queue_cancel(r->params[0], &r->err) < 0)
		return reply_berr(r);
	return reply_json(r, 202, queue_job_json(r->params[0]));
}

static int h_job_log(struct req *r)
{
	json_t *j = job_access(r, r->params[0]);
	if (!j)
		return reply_berr(r);
	json_decref(j);
	sqlite3_stmt *st = db_prep("SELECT ts, line FROM job_logs WHERE job_id=? ORDER BY n", "s",
				   r->params[0]);
	struct sbuf sb = SBUF_INIT;
	while (st && sqlite3_step(st) == SQLITE_ROW)
		sbuf_addf(&sb, "%s %s\n", (const char *)sqlite3_column_text(st, 0),
			  (const char *)sqlite3_column_text(st, 1));
	sqlite3_finalize(st);
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
			db_release_thread();
			if (got || s->from_store)
				continue;
		}
		/* wait for news; a comment line every 15 s finds clients that went away */
		struct hub_news news;
		int w = hub_wait(s->sub, 15000, &news);
		if (w < 0)
			return MHD_CONTENT_READER_END_WITH_ERROR; /* berthd is stopping */
		if (w == 0) {
			sbuf_adds(&s->out, ": keepalive\n\n");
			continue;
		}
		sse_news(s, &news);
		hub_news_free(&news);
		db_release_thread();
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
	sbuf_adds(&s->out, "retry: 2000\n\n");
	r->stream_fn = sse_read;
	r->stream_cls = s;
	r->stream_free = sse_free;
	r->content_type = "text/event-stream";
	return 200;
}

static json_t *job_list(const char *where_col, const char *id, struct req *r)
{
	const char *ls = req_query(r, "limit"), *status = req_query(r, "status");
	long long limit = ls ? atoll(ls) : 50;
	if (limit < 1 || limit > 500)
		limit = 50;
	char *sql = xasprintf("%s WHERE j.%s=? AND (? IS NULL OR j.status=?) ORDER BY j.seq DESC"
			      " LIMIT ?", queue_job_select(), where_col);
	json_t *a = db_rows(sql, "sssi", id, status, status, (int64_t)limit);
	free(sql);
	return a;
}

static int h_env_jobs(struct req *r)
{
	struct access acc;
	json_t *e = access_env(&r->actor, r->params[0], &acc, &r->err);
	if (!e)
		return reply_berr(r);
	json_decref(e);
	access_release(&acc);
	return reply_json(r, 200, job_list("environment_id", r->params[0], r));
}

static int h_org_jobs(struct req *r)
{
	struct access acc;
	if (access_org(&r->actor, r->params[0], &acc, &r->err) < 0)
		return reply_berr(r);
	json_t *a = job_list("org_id", acc.org_id, r);
	if (acc.projects) { /* project-limited members see their projects' jobs only */
		json_t *keep = json_array();
		size_t i;
		json_t *j;
		json_array_foreach(a, i, j) {
			char *p = db_str("SELECT project_id FROM environments WHERE id=?", "s",
					 json_string_value(json_object_get(j, "environment_id")));
			if (p && access_project_allowed(&acc, p))
				json_array_append(keep, j);
			free(p);
		}
		json_decref(a);
		a = keep;
	}
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
	return reply_json(r, 200, ops_odoo_images());
}

/* An image reference as Docker takes it: [registry[:port]/]name[:tag][@digest]. It only ever
 * travels as a JSON value to the Engine API, never through a shell. */
static bool valid_image_ref(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 || n > 255 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
		return false;
	for (const char *p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("._-/:@", *p))
			return false;
	return !strstr(s, "//") && !strstr(s, "..") && s[n - 1] != ':' && s[n - 1] != '/';
}

static int h_odoo_versions_put(struct req *r)
{
	if (!r->actor.is_admin)
		return reply_error(r, BE_PERMISSION_DENIED, NULL,
				   "Only the platform administrator changes platform settings");
	json_t *body = req_body(r);
	if (!json_is_array(body))
		return reply_error(r, BE_VALIDATION_ERROR, "",
				   "the body must be an array of {\"version\", \"image\"}");
	json_t *cur = ops_odoo_images();
	size_t i;
	json_t *v;
	json_array_foreach(body, i, v) {
		const char *version = NULL, *image = NULL;
		struct jfield spec[] = {
			{.name = "version", .type = J_STRING, .required = true, .dest = &version},
			{.name = "image", .type = J_STRING, .required = true, .dest = &image},
			JF_END,
		};
		char prefix[32];
		snprintf(prefix, sizeof prefix, "[%zu].", i);
		if (jspec_parse(v, spec, prefix, &r->err) < 0) {
			json_decref(cur);
			return reply_berr(r);
		}
		if (!odoo_version_valid(version) || !valid_image_ref(image)) {
			json_decref(cur);
			return reply_error(r, BE_VALIDATION_ERROR, odoo_version_valid(version) ? "image" : "version",
					   "[%zu]: %s", i, odoo_version_valid(version)
							       ? "image: not a valid image reference"
							       : "version: must be 16.0, 17.0, 18.0 or 19.0");
		}
		size_t k;
		json_t *c;
		json_array_foreach(cur, k, c)
			if (str_eq(json_string_value(json_object_get(c, "version")), version))
				json_object_set_new(c, "image", json_string(image));
	}
	char *s = json_dumps(cur, JSON_COMPACT);
	model_setting_set("odoo_images", s);
	free(s);
	return reply_json(r, 200, cur);
}

const struct route admin_routes[] = {
	{"GET", "/api/v1/admin/odoo-versions", h_odoo_versions_get, 0},
	{"PUT", "/api/v1/admin/odoo-versions", h_odoo_versions_put, 0},
	{NULL, NULL, NULL, 0},
};
