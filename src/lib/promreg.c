/* promreg.c: berthd's own counters (see promreg.h). */
#include "lib/promreg.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#define MAX_SERIES 256
#define MAX_BUCKETS 12

struct series {
	char l1[48], l2[80];
	int code;
	atomic_ullong count;
	atomic_ullong sum_us;
	atomic_ullong bucket[MAX_BUCKETS]; /* observations in (bound[i-1], bound[i]] */
};

struct table {
	pthread_mutex_t lock;
	atomic_size_t n;
	struct series s[MAX_SERIES]; /* the last one holds what does not fit ("other") */
};

static struct table http_count = {.lock = PTHREAD_MUTEX_INITIALIZER};
static struct table http_hist = {.lock = PTHREAD_MUTEX_INITIALIZER};
static struct table job_count = {.lock = PTHREAD_MUTEX_INITIALIZER};
static struct table job_hist = {.lock = PTHREAD_MUTEX_INITIALIZER};
static struct table sampler_hist = {.lock = PTHREAD_MUTEX_INITIALIZER};
static atomic_llong sse_clients;

/* upper bounds in seconds */
static const double HTTP_LE[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
static const double JOB_LE[] = {1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600};
static const double SAMPLER_LE[] = {0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

static struct series *find(struct table *t, const char *l1, const char *l2, int code)
{
	l1 = l1 ? l1 : "";
	l2 = l2 ? l2 : "";
	size_t n = atomic_load_explicit(&t->n, memory_order_acquire);
	for (size_t i = 0; i < n; i++)
		if (t->s[i].code == code && strcmp(t->s[i].l1, l1) == 0 &&
		    strcmp(t->s[i].l2, l2) == 0)
			return &t->s[i];
	pthread_mutex_lock(&t->lock);
	n = atomic_load_explicit(&t->n, memory_order_relaxed);
	struct series *s = NULL;
	for (size_t i = 0; i < n && !s; i++)
		if (t->s[i].code == code && strcmp(t->s[i].l1, l1) == 0 &&
		    strcmp(t->s[i].l2, l2) == 0)
			s = &t->s[i];
	if (!s && n < MAX_SERIES - 1 && strlen(l1) < sizeof s->l1 && strlen(l2) < sizeof s->l2) {
		s = &t->s[n];
		snprintf(s->l1, sizeof s->l1, "%s", l1);
		snprintf(s->l2, sizeof s->l2, "%s", l2);
		s->code = code;
		atomic_store_explicit(&t->n, n + 1, memory_order_release);
	}
	if (!s) {
		s = &t->s[MAX_SERIES - 1];
		if (!s->l1[0]) {
			snprintf(s->l1, sizeof s->l1, "other");
			snprintf(s->l2, sizeof s->l2, "other");
		}
	}
	pthread_mutex_unlock(&t->lock);
	return s;
}

static void observe(struct series *s, const double *le, size_t nle, int64_t ms)
{
	if (ms < 0)
		ms = 0;
	size_t b = 0;
	while (b < nle && (double)ms / 1000.0 > le[b])
		b++;
	if (b < nle)
		atomic_fetch_add_explicit(&s->bucket[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&s->sum_us, (unsigned long long)ms * 1000, memory_order_relaxed);
	atomic_fetch_add_explicit(&s->count, 1, memory_order_relaxed);
}

void promreg_http_done(const char *method, const char *route, int status, int64_t ms)
{
	const char *rt = route ? route : "other";
	atomic_fetch_add_explicit(&find(&http_count, method, rt, status)->count, 1,
				  memory_order_relaxed);
	observe(find(&http_hist, method, rt, 0), HTTP_LE, ARRAY_SIZE(HTTP_LE), ms);
}

void promreg_job_done(const char *type, const char *status, int64_t ms)
{
	atomic_fetch_add_explicit(&find(&job_count, type, status, 0)->count, 1,
				  memory_order_relaxed);
	observe(find(&job_hist, type, "", 0), JOB_LE, ARRAY_SIZE(JOB_LE), ms);
}

void promreg_sse(int delta)
{
	atomic_fetch_add_explicit(&sse_clients, delta, memory_order_relaxed);
}

void promreg_sampler_round(int64_t ms)
{
	observe(find(&sampler_hist, "", "", 0), SAMPLER_LE, ARRAY_SIZE(SAMPLER_LE), ms);
}

void promreg_label(struct sbuf *out, const char *s)
{
	for (const char *p = s ? s : ""; *p; p++) {
		if (*p == '\\')
			sbuf_adds(out, "\\\\");
		else if (*p == '"')
			sbuf_adds(out, "\\\"");
		else if (*p == '\n')
			sbuf_adds(out, "\\n");
		else
			sbuf_addc(out, *p);
	}
}

/* labels: `k1="l1",k2="l2"` from a series (k2 NULL: one label; k1 NULL: none) */
static void labels(struct sbuf *out, const struct series *s, const char *k1, const char *k2,
		   const char *k3)
{
	bool any = false;
	if (k1) {
		sbuf_addf(out, "%s=\"", k1);
		promreg_label(out, s->l1);
		sbuf_adds(out, "\"");
		any = true;
	}
	if (k2) {
		sbuf_addf(out, "%s%s=\"", any ? "," : "", k2);
		promreg_label(out, s->l2);
		sbuf_adds(out, "\"");
		any = true;
	}
	if (k3)
		sbuf_addf(out, "%s%s=\"%d\"", any ? "," : "", k3, s->code);
}

static void render_counter(struct sbuf *out, struct table *t, const char *name, const char *help,
			   const char *k1, const char *k2, const char *k3)
{
	sbuf_addf(out, "# HELP %s %s\n# TYPE %s counter\n", name, help, name);
	size_t n = atomic_load_explicit(&t->n, memory_order_acquire);
	for (size_t i = 0; i < MAX_SERIES; i++) {
		if (i >= n && i != MAX_SERIES - 1)
			continue;
		struct series *s = &t->s[i];
		unsigned long long c = atomic_load_explicit(&s->count, memory_order_relaxed);
		if (i == MAX_SERIES - 1 && !c)
			continue;
		sbuf_addf(out, "%s{", name);
		labels(out, s, k1, k2, k3);
		sbuf_addf(out, "} %llu\n", c);
	}
}

static void render_hist(struct sbuf *out, struct table *t, const char *name, const char *help,
			const char *k1, const char *k2, const double *le, size_t nle)
{
	sbuf_addf(out, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
	size_t n = atomic_load_explicit(&t->n, memory_order_acquire);
	for (size_t i = 0; i < MAX_SERIES; i++) {
		if (i >= n && i != MAX_SERIES - 1)
			continue;
		struct series *s = &t->s[i];
		/* count first: buckets read after it never exceed it by much; +Inf is the count */
		unsigned long long count = atomic_load_explicit(&s->count, memory_order_relaxed);
		if (i == MAX_SERIES - 1 && !count)
			continue;
		unsigned long long cum = 0;
		struct sbuf lab = SBUF_INIT;
		labels(&lab, s, k1, k2, NULL);
		const char *ls = sbuf_str(&lab);
		const char *sep = *ls ? "," : "";
		for (size_t b = 0; b < nle; b++) {
			cum += atomic_load_explicit(&s->bucket[b], memory_order_relaxed);
			if (cum > count)
				cum = count;
			sbuf_addf(out, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, ls, sep, le[b], cum);
		}
		sbuf_addf(out, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, ls, sep, count);
		const char *o = *ls ? "{" : "", *c = *ls ? "}" : "";
		sbuf_addf(out, "%s_sum%s%s%s %.6f\n", name, o, ls, c,
			  (double)atomic_load_explicit(&s->sum_us, memory_order_relaxed) / 1e6);
		sbuf_addf(out, "%s_count%s%s%s %llu\n", name, o, ls, c, count);
		sbuf_release(&lab);
	}
}

void promreg_render(struct sbuf *out)
{
	render_counter(out, &http_count, "berth_http_requests_total",
		       "HTTP requests answered, by method, route pattern and status.", "method",
		       "route", "status");
	render_hist(out, &http_hist, "berth_http_request_duration_seconds",
		    "Time from a request's headers to its answer, by method and route pattern.",
		    "method", "route", HTTP_LE, ARRAY_SIZE(HTTP_LE));
	render_counter(out, &job_count, "berth_jobs_finished_total",
		       "Jobs finished since berthd started, by type and status.", "type", "status",
		       NULL);
	render_hist(out, &job_hist, "berth_job_duration_seconds",
		    "Time from a job's start to its end, by type.", "type", NULL, JOB_LE,
		    ARRAY_SIZE(JOB_LE));
	sbuf_adds(out, "# HELP berth_sse_clients Open Server-Sent Events streams.\n"
		       "# TYPE berth_sse_clients gauge\n");
	sbuf_addf(out, "berth_sse_clients %lld\n",
		  (long long)atomic_load_explicit(&sse_clients, memory_order_relaxed));
	render_hist(out, &sampler_hist, "berth_sampler_round_duration_seconds",
		    "Time a monitoring sampler round took (all servers).", NULL, NULL, SAMPLER_LE,
		    ARRAY_SIZE(SAMPLER_LE));
}
