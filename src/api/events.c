/* events.c: the organization event stream (Server-Sent Events): what jobs/events.h hands
 * over for one organization, filtered by what the caller may see, with a replay after
 * Last-Event-ID and a heartbeat comment. Streams the way the job log of api/jobs.c does: a
 * content reader that never blocks, the connection suspended while there is nothing to send,
 * woken by the bus or by the heartbeat timer of api/server.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <microhttpd.h>

#include "api/http.h"
#include "jobs/events.h"
#include "store/db.h"
#include "svc/auth.h"

struct ev_stream {
	struct actor actor;    /* who asked (its token is checked again at each wake) */
	struct access acc;     /* the caller's organization, role and projects */
	bool server_view;      /* may see server.status */
	struct events_sub *sub;
	struct sbuf out;
	size_t off;
	struct MHD_Connection *conn; /* suspended while there is nothing to send */
};

static void ev_free(void *cls)
{
	struct ev_stream *s = cls;
	events_unsubscribe(s->sub);
	access_release(&s->acc);
	sbuf_release(&s->out);
	free(s);
}

/* What a caller sees: server events with the permission to view servers; a member limited to
 * some projects sees those projects' events and the organization-wide ones, except the jobs
 * of servers (hidden from such members as GET /jobs hides them). */
static bool ev_visible(const struct ev_stream *s, const struct event_item *e)
{
	if (str_eq(e->type, "server.status"))
		return s->server_view;
	if (!s->acc.projects)
		return true;
	if (e->project_id)
		return access_project_allowed(&s->acc, e->project_id);
	return !str_starts(e->type, "job.");
}

static void ev_news(struct ev_stream *s, const struct events_news *news)
{
	if (news->reset)
		sbuf_addf(&s->out, "id: %lld\nevent: reset\ndata: {}\n\n",
			  (long long)news->reset_id);
	for (size_t i = 0; i < news->n; i++) {
		const struct event_item *e = &news->items[i];
		if (ev_visible(s, e))
			sbuf_addf(&s->out, "id: %lld\nevent: %s\ndata: %s\n\n", (long long)e->seq,
				  e->type, e->data);
	}
}

/* At each wake (news or heartbeat): the caller's session is still valid and the caller still
 * a member; the filter follows role and project changes. False ends the stream. */
static bool ev_recheck(struct ev_stream *s)
{
	struct access acc;
	struct berr err = {0};
	bool ok = svc_token_alive(&s->actor) && access_org(&s->actor, s->acc.org_id, &acc, &err) == 0;
	if (ok) {
		access_release(&s->acc);
		s->acc = acc;
		s->server_view = perm_has(&s->acc, "server.view");
	}
	db_end_request();
	return ok;
}

static void ev_suspend(void *cls)
{
	MHD_suspend_connection(((struct ev_stream *)cls)->conn);
}

static void ev_resume(void *cls)
{
	MHD_resume_connection(((struct ev_stream *)cls)->conn);
}

#define EV_HEARTBEAT_MS 15000

/* The content reader (see sse_read of api/jobs.c). */
static ssize_t ev_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	(void)pos;
	struct ev_stream *s = cls;
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
		struct events_news news;
		int w = events_poll(s->sub, &news, EV_HEARTBEAT_MS, ev_suspend, ev_resume, s);
		if (w < 0)
			return MHD_CONTENT_READER_END_WITH_ERROR; /* berthd is stopping */
		if (w == 2)
			return 0; /* suspended until the bus resumes it */
		if (!ev_recheck(s)) {
			events_news_free(&news);
			return MHD_CONTENT_READER_END_OF_STREAM; /* logged out, or no longer a member */
		}
		if (w == 0) {
			sbuf_adds(&s->out, ": hb\n\n");
			continue;
		}
		ev_news(s, &news);
		events_news_free(&news);
	}
}

/* A Last-Event-ID: decimal digits only; -1 when absent or malformed (then a reset). */
static int64_t parse_last_id(const char *v, bool *bad)
{
	*bad = false;
	if (!v)
		return -1;
	if (!*v || strlen(v) > 18 || strspn(v, "0123456789") != strlen(v)) {
		*bad = true;
		return -1;
	}
	return (int64_t)strtoll(v, NULL, 10);
}

static int h_org_events(struct req *r)
{
	struct ev_stream *s = xcalloc(1, sizeof *s);
	if (access_org(&r->actor, r->params[0], &s->acc, &r->err) < 0) {
		free(s);
		return reply_berr(r);
	}
	s->server_view = perm_has(&s->acc, "server.view");
	s->actor = r->actor;
	const char *last = req_header(r, "Last-Event-ID");
	if (!last)
		last = req_query(r, "last_event_id");
	bool bad;
	int64_t last_id = parse_last_id(last, &bad);
	s->sub = events_subscribe(s->acc.org_id, bad ? 0 : last_id); /* 0: no run's id: reset */
	sbuf_init(&s->out);
	s->conn = r->conn;
	sbuf_adds(&s->out, "retry: 2000\n\n");
	r->stream_fn = ev_read;
	r->stream_cls = s;
	r->stream_free = ev_free;
	r->content_type = "text/event-stream";
	return 200;
}

const struct route event_routes[] = {
	{"GET", "/api/v1/orgs/{}/events", h_org_events, 0},
	{NULL, NULL, NULL, 0},
};
