/* logs.c: an environment's logs (svc/logs.h): the last lines (JSON lines or plain text), a
 * download (a temporary file streamed out), and a live stream (Server-Sent Events through the
 * hub, as the job logs of api/jobs.c). The three routes wait on the server's Engine: they run
 * on the slow-route workers (api/server.c). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <microhttpd.h>

#include "api/http.h"
#include "jobs/hub.h"
#include "store/db.h"
#include "svc/logs.h"

static void args_of(struct req *r, struct logs_args *a)
{
	a->tail = req_query(r, "tail");
	a->since = req_query(r, "since");
	a->until = req_query(r, "until");
	a->level = req_query(r, "level");
	a->q = req_query(r, "q");
	a->container = req_query(r, "container");
}

static bool want_text(struct req *r)
{
	const char *acc = req_header(r, "Accept");
	return acc && strstr(acc, "text/plain") && !strstr(acc, "application/json");
}

static void text_line(struct sbuf *sb, int64_t ns, const char *line)
{
	char ts[40];
	logs_ts(ns, ts);
	sbuf_adds(sb, ts);
	sbuf_addc(sb, ' ');
	sbuf_adds(sb, line);
	sbuf_addc(sb, '\n');
}

struct collect {
	struct sbuf out;
	const char *container;
	bool text;
};

static void collect_line(void *cls, int64_t id, int64_t ns, const char *line, int level)
{
	struct collect *c = cls;
	if (c->text) {
		text_line(&c->out, ns, line);
		return;
	}
	char *j = logs_line_json(id, ns, line, c->container, level);
	sbuf_adds(&c->out, j);
	sbuf_addc(&c->out, '\n');
	free(j);
}

/* GET /environments/{id}/logs */
static int h_logs(struct req *r)
{
	json_t *e = svc_logs_env(&r->actor, r->params[0], &r->err);
	if (!e)
		return reply_berr(r);
	json_decref(e);
	struct logs_args a;
	struct logq q;
	args_of(r, &a);
	if (svc_logs_query(&a, LOGS_TAIL_DEFAULT, &q, &r->err) < 0)
		return reply_berr(r);
	struct collect c = {.container = q.container, .text = want_text(r)};
	sbuf_init(&c.out);
	if (svc_logs_read(r->params[0], &q, collect_line, &c, NULL, &r->err) < 0) {
		sbuf_release(&c.out);
		return reply_berr(r);
	}
	sbuf_adds(&c.out, ""); /* a buffer even when there is no line */
	r->reply_text = sbuf_detach(&c.out);
	r->content_type = c.text ? "text/plain; charset=utf-8" : "application/x-ndjson";
	return 200;
}

/* ---- the download: lines are written to an unlinked temporary file, then streamed ---- */
struct dl {
	FILE *f;
	struct sbuf line;
	bool failed;
};

static void dl_line(void *cls, int64_t id, int64_t ns, const char *line, int level)
{
	(void)id;
	(void)level;
	struct dl *d = cls;
	sbuf_reset(&d->line);
	text_line(&d->line, ns, line);
	if (fwrite(d->line.buf, 1, d->line.len, d->f) != d->line.len)
		d->failed = true;
}

static ssize_t dl_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	(void)pos;
	FILE *f = cls;
	size_t n = fread(buf, 1, max, f);
	if (n == 0)
		return ferror(f) ? MHD_CONTENT_READER_END_WITH_ERROR : MHD_CONTENT_READER_END_OF_STREAM;
	return (ssize_t)n;
}

static void dl_free(void *cls)
{
	fclose(cls);
}

/* A file name part: the environment's name with anything but [A-Za-z0-9._-] as '_'. */
static void safe_name(const char *in, char *out, size_t size)
{
	size_t k = 0;
	for (const char *p = in ? in : "environment"; *p && k + 1 < size; p++) {
		char ch = *p;
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			  (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-';
		out[k++] = ok ? ch : '_';
	}
	out[k] = '\0';
}

static int h_logs_download(struct req *r)
{
	json_t *e = svc_logs_env(&r->actor, r->params[0], &r->err);
	if (!e)
		return reply_berr(r);
	char name[100];
	safe_name(json_string_value(json_object_get(e, "name")), name, sizeof name);
	json_decref(e);
	struct logs_args a;
	struct logq q;
	args_of(r, &a);
	if (svc_logs_query(&a, 0, &q, &r->err) < 0)
		return reply_berr(r);
	struct dl d = {.f = tmpfile()};
	if (!d.f)
		return reply_error(r, BE_INTERNAL_ERROR, NULL, "no temporary file: %s", strerror(errno));
	sbuf_init(&d.line);
	int rc = svc_logs_read(r->params[0], &q, dl_line, &d, NULL, &r->err);
	sbuf_release(&d.line);
	if (rc == 0 && (d.failed || fflush(d.f) != 0 || fseek(d.f, 0, SEEK_SET) != 0))
		rc = reply_error(r, BE_INTERNAL_ERROR, NULL, "writing the temporary file failed");
	if (rc != 0) {
		fclose(d.f);
		return reply_berr(r);
	}
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	char stamp[32];
	strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
	r->disposition = xasprintf("attachment; filename=\"%s-%s.txt\"", name, stamp);
	r->stream_fn = dl_read;
	r->stream_cls = d.f;
	r->stream_free = dl_free;
	r->content_type = "text/plain; charset=utf-8";
	return 200;
}

/* ---- the live stream ---- */
struct lsse {
	struct logs_watch *w;
	struct hub_sub *sub;
	int64_t after;      /* the last line sent */
	int level;          /* filters of the query */
	char *q;
	bool done;          /* end after what is in out (the client resumes) */
	struct sbuf out;
	size_t off;
	struct MHD_Connection *conn;
	const char *container;
};

static void lsse_free(void *cls)
{
	struct lsse *s = cls;
	hub_unsubscribe(s->sub);
	svc_logs_unwatch(s->w);
	sbuf_release(&s->out);
	free(s->q);
	free(s);
}

static void lsse_event(struct lsse *s, int64_t id, const char *json)
{
	s->after = id;
	sbuf_addf(&s->out, "id: %lld\nevent: log\ndata: %s\n\n", (long long)id, json);
}

static void lsse_catchup(void *cls, int64_t id, int64_t ns, const char *line, int level)
{
	struct lsse *s = cls;
	char *j = logs_line_json(id, ns, line, s->container, level);
	lsse_event(s, id, j);
	free(j);
}

/* A published line (logs_line_json) passes the stream's level and q filters. */
static bool lsse_wants(const struct lsse *s, const char *json)
{
	if (s->level <= LOGL_DEBUG && !s->q)
		return true;
	json_t *o = json_loads(json, 0, NULL);
	bool ok = true;
	if (s->level > LOGL_DEBUG) {
		const char *lv = json_string_value(json_object_get(o, "level"));
		int n = LOGL_INFO;
		for (int i = 0; lv && i < 5; i++)
			if (str_eq(lv, logs_level_names[i]))
				n = i;
		ok = n >= s->level;
	}
	if (ok && s->q) {
		const char *line = json_string_value(json_object_get(o, "line"));
		ok = line && strstr(line, s->q);
	}
	json_decref(o);
	return ok;
}

static void lsse_suspend(void *cls)
{
	MHD_suspend_connection(((struct lsse *)cls)->conn);
}

static void lsse_resume(void *cls)
{
	MHD_resume_connection(((struct lsse *)cls)->conn);
}

#define LSSE_HEARTBEAT_MS 15000
#define LSSE_CATCHUP_MAX 20000

/* The content reader (api/jobs.c's pattern): never blocks; with nothing to send it arms its
 * hub subscription and suspends the connection until news, the heartbeat or shutdown. */
static ssize_t lsse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	(void)pos;
	struct lsse *s = cls;
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
		struct hub_news news;
		int w = hub_poll(s->sub, &news, LSSE_HEARTBEAT_MS, lsse_suspend, lsse_resume, s);
		if (w < 0)
			return MHD_CONTENT_READER_END_WITH_ERROR; /* berthd is stopping */
		if (w == 2)
			return 0;
		if (w == 0) {
			sbuf_adds(&s->out, ": keepalive\n\n");
			continue;
		}
		for (size_t i = 0; i < news.nlines; i++)
			if (news.lines[i].n > s->after && lsse_wants(s, news.lines[i].line))
				lsse_event(s, news.lines[i].n, news.lines[i].line);
		/* the subscriber fell behind and lines were dropped: the client resumes from the
		 * last id it has (Last-Event-ID), read from the server */
		if (news.overflow)
			s->done = true;
		hub_news_free(&news);
	}
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int h_logs_stream(struct req *r)
{
	json_t *e = svc_logs_env(&r->actor, r->params[0], &r->err);
	if (!e)
		return reply_berr(r);
	json_decref(e);
	struct logs_args a;
	struct logq q;
	args_of(r, &a);
	if (a.until)
		return reply_error(r, BE_VALIDATION_ERROR, "until", "until: not for a live stream");
	if (svc_logs_query(&a, 0, &q, &r->err) < 0)
		return reply_berr(r);
	const char *last = req_header(r, "Last-Event-ID");
	const char *field = "Last-Event-ID";
	/* ?after= as the job log streams (the berth client resumes so, adding it to a path that
	 * may hold last_event_id: after wins) */
	if (!last) {
		last = req_query(r, "after");
		field = "after";
	}
	if (!last) {
		last = req_query(r, "last_event_id");
		field = "last_event_id";
	}
	int64_t after = -1;
	if (last) {
		char *end;
		errno = 0;
		long long v = strtoll(last, &end, 10);
		if (!last[0] || *end || v < 0 || errno)
			return reply_error(r, BE_VALIDATION_ERROR, field, "%s: a line id (a decimal number)",
					   field);
		after = v;
	} else if (q.since_ns) {
		after = q.since_ns - 1;
	}
	struct lsse *s = xcalloc(1, sizeof *s);
	sbuf_init(&s->out);
	s->level = q.level;
	s->q = q.q && q.q[0] ? xstrdup(q.q) : NULL;
	s->container = q.container;
	s->conn = r->conn;
	char key[40];
	/* the follower and the subscription first: a line written during the read below comes
	 * from the hub (and is skipped when the read had it) */
	s->w = svc_logs_watch(r->params[0], q.container, key, &r->err);
	if (!s->w) {
		free(s->q);
		sbuf_release(&s->out);
		free(s);
		return reply_berr(r);
	}
	s->sub = hub_subscribe(key);
	sbuf_adds(&s->out, "retry: 1000\n\n");
	s->after = now_ns();
	if (after >= 0 || q.tail > 0) {
		if (after >= 0) {
			q.after_id = after;
			q.since_ns = 0;
			s->after = after;
			if (!q.tail)
				q.max_lines = LSSE_CATCHUP_MAX;
		}
		bool more = false;
		int rc = svc_logs_read(r->params[0], &q, lsse_catchup, s, &more, &r->err);
		db_end_request();
		if (rc < 0) {
			lsse_free(s);
			return reply_berr(r);
		}
		if (more)
			s->done = true; /* the rest when the client resumes */
	}
	r->stream_fn = lsse_read;
	r->stream_cls = s;
	r->stream_free = lsse_free;
	r->content_type = "text/event-stream";
	return 200;
}

const struct route logs_routes[] = {
	{"GET", "/api/v1/environments/{}/logs", h_logs, 0},
	{"GET", "/api/v1/environments/{}/logs/stream", h_logs_stream, 0},
	{"GET", "/api/v1/environments/{}/logs/download", h_logs_download, 0},
	{NULL, NULL, NULL, 0},
};
