/* metrics.c: the monitoring rules (see metrics.h). */
#include "svc/metrics.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/settings.h"
#include "lib/promreg.h"
#include "ops/sampler.h"
#include "store/metrics.h"
#include "store/model.h"

#define MAX_POINTS 4320 /* 12 h at the finest step */
#define MAX_SPAN_S (31LL * 86400)

/* ---- the window ---- */

/* ISO 8601 UTC ("2026-12-05T14:00:00Z", fractions and "+00:00" accepted) or seconds since the
 * epoch; -1 when it is neither. */
static int64_t parse_time(const char *s)
{
	if (!s || !*s)
		return -1;
	size_t d = strspn(s, "0123456789");
	if (!s[d] && d <= 12)
		return strtoll(s, NULL, 10);
	int y, mo, da, h, mi, se, used = 0;
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &da, &h, &mi, &se, &used) != 6 ||
	    used != 19)
		return -1;
	const char *p = s + used;
	if (*p == '.') {
		p++;
		size_t f = strspn(p, "0123456789");
		if (!f)
			return -1;
		p += f;
	}
	if (!(str_eq(p, "Z") || str_eq(p, "+00:00") || str_eq(p, "")))
		return -1;
	if (mo < 1 || mo > 12 || da < 1 || da > 31 || h > 23 || mi > 59 || se > 60)
		return -1;
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = da;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	return (int64_t)timegm(&tm);
}

struct window {
	int64_t from, to, step; /* seconds; [from, to) cut into (to - from) / step buckets */
	int n;
};

static int window_of(const struct metrics_query *q, struct window *w, struct berr *err)
{
	int64_t now = now_s();
	if (q->range && (q->from || q->to))
		return berr_set(err, BE_VALIDATION_ERROR, "range",
				"range and from/to are exclusive");
	if (q->from || q->to) {
		w->to = q->to ? parse_time(q->to) : now;
		if (w->to < 0)
			return berr_set(err, BE_VALIDATION_ERROR, "to",
					"to must be an ISO 8601 UTC time or seconds since the epoch");
		if (!q->from)
			return berr_set(err, BE_VALIDATION_ERROR, "from", "from is required with to");
		w->from = parse_time(q->from);
		if (w->from < 0)
			return berr_set(err, BE_VALIDATION_ERROR, "from",
					"from must be an ISO 8601 UTC time or seconds since the epoch");
		if (w->from >= w->to)
			return berr_set(err, BE_VALIDATION_ERROR, "from", "from must be before to");
		if (w->to - w->from > MAX_SPAN_S)
			return berr_set(err, BE_VALIDATION_ERROR, "from",
					"the window spans at most 31 days");
	} else {
		const char *r = q->range ? q->range : "6h";
		int64_t span = str_eq(r, "6h") ? 6 * 3600 : str_eq(r, "24h") ? 24 * 3600
			       : str_eq(r, "48h") ? 48 * 3600 : 0;
		if (!span)
			return berr_set(err, BE_VALIDATION_ERROR, "range",
					"range must be 6h, 24h or 48h");
		w->to = now;
		w->from = now - span;
	}
	int64_t span = w->to - w->from;
	if (q->step) {
		char *end;
		long long s = strtoll(q->step, &end, 10);
		if (*end || end == q->step || s < 10 || s > 86400)
			return berr_set(err, BE_VALIDATION_ERROR, "step",
					"step must be a number of seconds from 10 to 86400");
		if (span / s >= MAX_POINTS)
			return berr_set(err, BE_VALIDATION_ERROR, "step",
					"step too small: at most %d points", MAX_POINTS);
		w->step = s;
	} else {
		/* about 360 points, never finer than the sampling */
		int64_t s = (span + 359) / 360;
		s = (s + 9) / 10 * 10;
		int64_t iv = sampler_setting("monitoring_interval_s");
		w->step = s < iv ? iv : s;
	}
	/* buckets aligned on the step, the last one holding `to` */
	w->to = (w->to / w->step + 1) * w->step;
	w->from = w->from / w->step * w->step;
	w->n = (int)((w->to - w->from) / w->step);
	return 0;
}

static json_t *time_axis(const struct window *w)
{
	json_t *a = json_array();
	for (int i = 0; i < w->n; i++)
		json_array_append_new(a, json_integer((json_int_t)(w->from + (int64_t)i * w->step)));
	return a;
}

static json_t *num_or_null(double v)
{
	if (isnan(v) || isinf(v))
		return json_null();
	return json_real(round(v * 100) / 100);
}

static json_t *int_or_null(double v)
{
	return isnan(v) ? json_null() : json_integer((json_int_t)llround(v));
}

/* ---- environment series ---- */

enum { C_ODOO, C_DB, C_PGB, C_REPLICA, NCONT };
static const char *const CONT[NCONT] = {"odoo", "db", "pgbouncer", "replica"};

struct bucket {
	double cpu_dns, dt_ms, net_rx, net_tx, blk_r, blk_w, mem_sum, cpu_limit;
	long long mem_limit, restarts;
	int mem_n;
};

struct env_acc {
	const struct window *w;
	int64_t gap_ms; /* two samples further apart do not make a rate (stopped in between) */
	struct bucket *b[NCONT];
	bool seen[NCONT];
	struct msample prev;
	bool prev_ds, have_prev;
};

static long long delta(long long a, long long b)
{
	return a >= 0 && b >= 0 && b >= a ? b - a : -1;
}

static void env_sample(void *cls, const struct msample *s, bool ds)
{
	struct env_acc *acc = cls;
	int c = -1;
	for (int i = 0; i < NCONT; i++)
		if (str_eq(s->container, CONT[i]))
			c = i;
	if (c < 0)
		return;
	bool same = acc->have_prev && str_eq(acc->prev.container, s->container);
	int64_t gap = (ds || acc->prev_ds) ? 3 * 300000 : acc->gap_ms;
	int64_t b = (s->ts / 1000 - acc->w->from) / acc->w->step;
	if (s->ts / 1000 >= acc->w->from && b < acc->w->n) {
		if (!acc->b[c])
			acc->b[c] = xcalloc((size_t)acc->w->n, sizeof(struct bucket));
		acc->seen[c] = true;
		struct bucket *k = &acc->b[c][b];
		if (s->mem_used >= 0) {
			k->mem_sum += (double)s->mem_used;
			k->mem_n++;
		}
		k->mem_limit = s->mem_limit;
		if (s->restarts > k->restarts)
			k->restarts = s->restarts;
		if (same && s->ts - acc->prev.ts <= gap && s->ts > acc->prev.ts) {
			long long dc = delta(acc->prev.cpu_ns, s->cpu_ns);
			if (dc >= 0) {
				double dt = (double)(s->ts - acc->prev.ts);
				k->cpu_dns += (double)dc;
				k->dt_ms += dt;
				long long x;
				k->net_rx += (x = delta(acc->prev.net_rx, s->net_rx)) > 0 ? (double)x : 0;
				k->net_tx += (x = delta(acc->prev.net_tx, s->net_tx)) > 0 ? (double)x : 0;
				k->blk_r += (x = delta(acc->prev.blk_read, s->blk_read)) > 0 ? (double)x : 0;
				k->blk_w += (x = delta(acc->prev.blk_write, s->blk_write)) > 0 ? (double)x : 0;
				if (!isnan(s->cpu_limit))
					k->cpu_limit = s->cpu_limit;
			}
		}
	}
	acc->prev = *s;
	acc->prev_ds = ds;
	acc->have_prev = true;
}

static json_t *container_series(const struct bucket *bk, int n)
{
	json_t *cpu = json_array(), *core = json_array(), *mem = json_array(), *lim = json_array(),
	       *memp = json_array(), *rx = json_array(), *tx = json_array(), *br = json_array(),
	       *bw = json_array(), *rs = json_array();
	for (int i = 0; i < n; i++) {
		const struct bucket *k = &bk[i];
		double corep = k->dt_ms > 0 ? k->cpu_dns / (k->dt_ms * 1e6) * 100 : NAN;
		double secs = k->dt_ms / 1000;
		double m = k->mem_n ? k->mem_sum / k->mem_n : NAN;
		bool any = k->mem_n > 0;
		json_array_append_new(core, num_or_null(corep));
		json_array_append_new(cpu, num_or_null(k->cpu_limit > 0 ? corep / k->cpu_limit : NAN));
		json_array_append_new(mem, int_or_null(m));
		json_array_append_new(lim, any && k->mem_limit > 0 ? json_integer(k->mem_limit)
								   : json_null());
		json_array_append_new(memp, num_or_null(any && k->mem_limit > 0
								? m / (double)k->mem_limit * 100 : NAN));
		json_array_append_new(rx, num_or_null(secs > 0 ? k->net_rx / secs : NAN));
		json_array_append_new(tx, num_or_null(secs > 0 ? k->net_tx / secs : NAN));
		json_array_append_new(br, num_or_null(secs > 0 ? k->blk_r / secs : NAN));
		json_array_append_new(bw, num_or_null(secs > 0 ? k->blk_w / secs : NAN));
		json_array_append_new(rs, any && k->restarts >= 0 ? json_integer(k->restarts)
								  : json_null());
	}
	return json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "cpu_percent", cpu,
			 "cpu_core_percent", core, "memory_bytes", mem, "memory_limit_bytes", lim,
			 "memory_percent", memp, "net_rx_bytes_per_s", rx, "net_tx_bytes_per_s", tx,
			 "block_read_bytes_per_s", br, "block_write_bytes_per_s", bw, "restarts", rs);
}

static json_t *events_of(json_t *jobs)
{
	json_t *out = json_array();
	size_t i;
	json_t *j;
	json_array_foreach(jobs, i, j) {
		const char *at = json_string_value(json_object_get(j, "started_at"));
		if (!at)
			at = json_string_value(json_object_get(j, "created_at"));
		json_t *ev = json_pack("{s:s?,s:I,s:O,s:O,s:O,s:O,s:O}", "time", at, "ts",
				       (json_int_t)parse_time(at), "type", json_object_get(j, "type"),
				       "status", json_object_get(j, "status"), "job_id",
				       json_object_get(j, "id"), "started_at",
				       json_object_get(j, "started_at"), "completed_at",
				       json_object_get(j, "completed_at"));
		json_array_append_new(out, ev);
	}
	json_decref(jobs);
	return out;
}

static json_t *window_json(const struct window *w)
{
	char f[32], t[32];
	iso8601(w->from, f);
	iso8601(w->to, t);
	return json_pack("{s:s,s:s,s:I,s:I}", "from", f, "to", t, "step", (json_int_t)w->step,
			 "interval", (json_int_t)sampler_setting("monitoring_interval_s"));
}

json_t *svc_env_metrics(const struct actor *a, const char *env_id, const struct metrics_query *q,
			struct berr *err)
{
	struct access acc;
	json_t *e = access_env(a, env_id, &acc, err);
	if (!e)
		return NULL;
	json_decref(e);
	int rc = perm_require(&acc, "environment.view", err);
	access_release(&acc);
	struct window w;
	if (rc < 0 || window_of(q, &w, err) < 0)
		return NULL;
	struct env_acc ea;
	memset(&ea, 0, sizeof ea);
	ea.w = &w;
	int64_t iv = sampler_setting("monitoring_interval_s") * 1000;
	ea.gap_ms = 3 * iv;
	metrics_env_each(env_id, w.from * 1000 - 3 * 300000, w.to * 1000, env_sample, &ea);
	json_t *out = window_json(&w);
	json_object_set_new(out, "environment_id", json_string(env_id));
	json_object_set_new(out, "timestamps", time_axis(&w));
	json_t *cs = json_object();
	for (int c = 0; c < NCONT; c++) {
		if (ea.seen[c])
			json_object_set_new(cs, CONT[c], container_series(ea.b[c], w.n));
		free(ea.b[c]);
	}
	json_object_set_new(out, "containers", cs);
	json_object_set_new(out, "events", events_of(metrics_env_events(
						    env_id, json_string_value(json_object_get(out, "from")),
						    json_string_value(json_object_get(out, "to")))));
	return out;
}

/* ---- server series ---- */

struct sbucket {
	double busy, total, mem_sum, l1, l5, l15, du, df;
	long long mem_total, ncpu;
	int n, nl, nd, up;
};

struct srv_acc {
	const struct window *w;
	int64_t gap_ms;
	struct sbucket *b;
	struct ssample prev;
	bool prev_ds, have_prev;
};

static void srv_sample(void *cls, const struct ssample *s, bool ds)
{
	struct srv_acc *acc = cls;
	int64_t gap = (ds || acc->prev_ds) ? 3 * 300000 : acc->gap_ms;
	int64_t b = (s->ts / 1000 - acc->w->from) / acc->w->step;
	if (s->ts / 1000 >= acc->w->from && b < acc->w->n) {
		struct sbucket *k = &acc->b[b];
		k->n++;
		if (s->reachable)
			k->up++;
		if (s->mem_used >= 0) {
			k->mem_sum += (double)s->mem_used;
			k->mem_total = s->mem_total;
		} else if (s->mem_total >= 0) {
			k->mem_total = s->mem_total;
		}
		if (s->ncpu > 0)
			k->ncpu = s->ncpu;
		if (!isnan(s->load1)) {
			k->l1 += s->load1;
			k->l5 += s->load5;
			k->l15 += s->load15;
			k->nl++;
		}
		if (s->disk_used >= 0 && s->disk_free >= 0) {
			k->du += (double)s->disk_used;
			k->df += (double)s->disk_free;
			k->nd++;
		}
		if (acc->have_prev && s->ts - acc->prev.ts <= gap) {
			long long db = delta(acc->prev.cpu_busy, s->cpu_busy);
			long long dtot = delta(acc->prev.cpu_total, s->cpu_total);
			if (db >= 0 && dtot > 0) {
				k->busy += (double)db;
				k->total += (double)dtot;
			}
		}
	}
	if (s->reachable) {
		acc->prev = *s;
		acc->prev_ds = ds;
		acc->have_prev = true;
	}
}

json_t *svc_server_metrics(const struct actor *a, const char *server_id,
			   const struct metrics_query *q, struct berr *err)
{
	struct access acc;
	json_t *srow = access_server_platform(a, server_id, &acc, err);
	if (!srow)
		return NULL;
	json_decref(srow);
	int rc = perm_require(&acc, "server.view", err);
	access_release(&acc);
	struct window w;
	if (rc < 0 || window_of(q, &w, err) < 0)
		return NULL;
	struct srv_acc sa;
	memset(&sa, 0, sizeof sa);
	sa.w = &w;
	sa.gap_ms = 3 * sampler_setting("monitoring_interval_s") * 1000;
	sa.b = xcalloc((size_t)w.n, sizeof *sa.b);
	metrics_server_each(server_id, w.from * 1000 - 3 * 300000, w.to * 1000, srv_sample, &sa);
	json_t *cpu = json_array(), *mu = json_array(), *mt = json_array(), *du = json_array(),
	       *df = json_array(), *l1 = json_array(), *l5 = json_array(), *l15 = json_array(),
	       *up = json_array();
	for (int i = 0; i < w.n; i++) {
		const struct sbucket *k = &sa.b[i];
		int nm = k->n;
		json_array_append_new(cpu, num_or_null(k->total > 0 ? k->busy / k->total * 100 : NAN));
		json_array_append_new(mu, int_or_null(k->mem_sum > 0 && nm ? k->mem_sum / nm : NAN));
		json_array_append_new(mt, k->mem_total > 0 ? json_integer(k->mem_total) : json_null());
		json_array_append_new(du, int_or_null(k->nd ? k->du / k->nd : NAN));
		json_array_append_new(df, int_or_null(k->nd ? k->df / k->nd : NAN));
		json_array_append_new(l1, num_or_null(k->nl ? k->l1 / k->nl : NAN));
		json_array_append_new(l5, num_or_null(k->nl ? k->l5 / k->nl : NAN));
		json_array_append_new(l15, num_or_null(k->nl ? k->l15 / k->nl : NAN));
		json_array_append_new(up, k->n ? json_boolean(k->up == k->n) : json_null());
	}
	free(sa.b);
	json_t *out = window_json(&w);
	json_object_set_new(out, "server_id", json_string(server_id));
	json_object_set_new(out, "timestamps", time_axis(&w));
	int64_t last = 0;
	bool reachable = sampler_server_up(server_id, &last);
	json_object_set_new(out, "reachable", last ? json_boolean(reachable) : json_null());
	json_object_set_new(
		out, "series",
		json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "cpu_percent", cpu,
			  "memory_used_bytes", mu, "memory_total_bytes", mt, "disk_used_bytes", du,
			  "disk_free_bytes", df, "load1", l1, "load5", l5, "load15", l15,
			  "reachable", up));
	json_object_set_new(out, "events", events_of(metrics_server_events(
						    server_id, json_string_value(json_object_get(out, "from")),
						    json_string_value(json_object_get(out, "to")))));
	return out;
}

/* ---- Prometheus ---- */

static void prom_head(struct sbuf *out, const char *name, const char *type, const char *help)
{
	sbuf_addf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void prom_labels(struct sbuf *out, json_t *row)
{
	static const char *const keys[] = {"org", "project", "environment", "container"};
	sbuf_addc(out, '{');
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		sbuf_addf(out, "%s%s=\"", i ? "," : "", keys[i]);
		promreg_label(out, json_string_value(json_object_get(row, keys[i])));
		sbuf_addc(out, '"');
	}
	sbuf_addc(out, '}');
}

struct prom_metric {
	const char *name, *type, *help, *column;
	double scale;
};

static const struct prom_metric CONTAINER_METRICS[] = {
	{"berth_container_cpu_seconds_total", "counter",
	 "CPU time the container used since it started.", "cpu_ns", 1e-9},
	{"berth_container_cpu_limit_cores", "gauge",
	 "Cores the container may use (its limit, or the server's cores).", "cpu_limit", 1},
	{"berth_container_memory_bytes", "gauge",
	 "Memory the container uses (less the inactive page cache).", "mem_used", 1},
	{"berth_container_memory_limit_bytes", "gauge", "The container's memory limit.",
	 "mem_limit", 1},
	{"berth_container_network_receive_bytes_total", "counter",
	 "Bytes the container received.", "net_rx", 1},
	{"berth_container_network_transmit_bytes_total", "counter",
	 "Bytes the container sent.", "net_tx", 1},
	{"berth_container_block_read_bytes_total", "counter", "Bytes the container read from disk.",
	 "blk_read", 1},
	{"berth_container_block_write_bytes_total", "counter",
	 "Bytes the container wrote to disk.", "blk_write", 1},
	{"berth_container_restarts", "gauge",
	 "Times the Engine restarted the container (its restart count).", "restarts", 1},
	{"berth_container_last_sample_timestamp_seconds", "gauge",
	 "When the container was last sampled.", "ts", 1e-3},
};

static const struct prom_metric SERVER_METRICS[] = {
	{"berth_server_cpu_cores", "gauge", "The server's cores.", "ncpu", 1},
	{"berth_server_memory_used_bytes", "gauge", "The host's memory in use (total less available).",
	 "mem_used", 1},
	{"berth_server_memory_total_bytes", "gauge", "The host's memory.", "mem_total", 1},
	{"berth_server_disk_used_bytes", "gauge", "Used space of the Engine's data disk.",
	 "disk_used", 1},
	{"berth_server_disk_free_bytes", "gauge", "Free space of the Engine's data disk.",
	 "disk_free", 1},
	{"berth_server_load1", "gauge", "The host's load average over 1 minute.", "load1", 1},
	{"berth_server_load5", "gauge", "The host's load average over 5 minutes.", "load5", 1},
	{"berth_server_load15", "gauge", "The host's load average over 15 minutes.", "load15", 1},
};

void svc_metrics_prometheus(struct sbuf *out)
{
	promreg_render(out);
	json_t *counts = metrics_job_counts();
	long long queued = 0;
	size_t i;
	json_t *r;
	prom_head(out, "berth_jobs", "gauge", "Jobs queued or running, by type and status.");
	json_array_foreach(counts, i, r) {
		const char *st = json_string_value(json_object_get(r, "status"));
		long long n = (long long)json_integer_value(json_object_get(r, "n"));
		if (str_eq(st, "queued"))
			queued += n;
		sbuf_adds(out, "berth_jobs{type=\"");
		promreg_label(out, json_string_value(json_object_get(r, "type")));
		sbuf_adds(out, "\",status=\"");
		promreg_label(out, st);
		sbuf_addf(out, "\"} %lld\n", n);
	}
	json_decref(counts);
	prom_head(out, "berth_queue_depth", "gauge", "Jobs waiting for a worker.");
	sbuf_addf(out, "berth_queue_depth %lld\n", queued);
	/* the latest sample of each container sampled within the last three rounds */
	int64_t iv = sampler_setting("monitoring_interval_s");
	json_t *rows = metrics_latest(sampler_wall_ms() - 3 * iv * 1000);
	for (size_t m = 0; m < ARRAY_SIZE(CONTAINER_METRICS); m++) {
		const struct prom_metric *pm = &CONTAINER_METRICS[m];
		prom_head(out, pm->name, pm->type, pm->help);
		json_array_foreach(rows, i, r) {
			json_t *v = json_object_get(r, pm->column);
			if (!json_is_number(v))
				continue;
			sbuf_adds(out, pm->name);
			prom_labels(out, r);
			double x = json_number_value(v) * pm->scale;
			if (json_is_integer(v) && pm->scale == 1)
				sbuf_addf(out, " %lld\n", (long long)json_integer_value(v));
			else
				sbuf_addf(out, " %.9g\n", x);
		}
	}
	json_decref(rows);
	rows = metrics_servers_latest(sampler_wall_ms() - 3 * iv * 1000);
	for (size_t m = 0; m < ARRAY_SIZE(SERVER_METRICS); m++) {
		const struct prom_metric *pm = &SERVER_METRICS[m];
		prom_head(out, pm->name, pm->type, pm->help);
		json_array_foreach(rows, i, r) {
			json_t *v = json_object_get(r, pm->column);
			if (!json_is_number(v))
				continue;
			sbuf_addf(out, "%s{org=\"", pm->name);
			promreg_label(out, json_string_value(json_object_get(r, "org")));
			sbuf_adds(out, "\",server=\"");
			promreg_label(out, json_string_value(json_object_get(r, "server")));
			if (json_is_integer(v))
				sbuf_addf(out, "\"} %lld\n", (long long)json_integer_value(v));
			else
				sbuf_addf(out, "\"} %.9g\n", json_number_value(v));
		}
	}
	json_decref(rows);
	/* whether the last round reached each running server */
	prom_head(out, "berth_server_up", "gauge",
		  "1 when the sampler's last round reached the server, 0 when it did not.");
	json_t *servers = metrics_servers_to_sample();
	json_array_foreach(servers, i, r) {
		int64_t last = 0;
		bool up = sampler_server_up(json_string_value(json_object_get(r, "id")), &last);
		if (!last)
			continue;
		sbuf_adds(out, "berth_server_up{org=\"");
		promreg_label(out, json_string_value(json_object_get(r, "org")));
		sbuf_adds(out, "\",server=\"");
		promreg_label(out, json_string_value(json_object_get(r, "name")));
		sbuf_addf(out, "\"} %d\n", up ? 1 : 0);
	}
	json_decref(servers);
}

/* ---- settings ---- */

json_t *svc_monitoring_settings(void)
{
	json_t *o = json_object();
	for (size_t i = 0; i < platform_settings_count(); i++) {
		const struct platform_setting *ps = platform_setting_at(i);
		json_object_set_new(o, ps->key, json_integer(sampler_setting(ps->key)));
	}
	return o;
}

json_t *svc_monitoring_settings_set(json_t *body, struct berr *err)
{
	if (!json_is_object(body)) {
		berr_set(err, BE_VALIDATION_ERROR, "", "the body must be an object");
		return NULL;
	}
	const char *k;
	json_t *v;
	json_object_foreach(body, k, v) {
		const struct platform_setting *ps = platform_setting_find(k);
		if (!ps) {
			berr_set(err, BE_VALIDATION_ERROR, k, "unknown setting '%s'", k);
			return NULL;
		}
		if (!json_is_integer(v) || json_integer_value(v) < ps->min ||
		    json_integer_value(v) > ps->max) {
			berr_set(err, BE_VALIDATION_ERROR, k, "%s must be an integer from %lld to %lld",
				 k, ps->min, ps->max);
			return NULL;
		}
	}
	json_object_foreach(body, k, v) {
		char buf[32];
		snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
		model_setting_set(k, buf);
	}
	sampler_kick();
	return svc_monitoring_settings();
}
