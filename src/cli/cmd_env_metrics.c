/* cmd_env_metrics.c: berth env metrics ENV and berth server metrics SERVER: a compact table of
 * the samples of a time range (now, mean and peak per container), or the series with --json. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/out.h"
#include "cli/resolve.h"
#include "lib/util.h"

const struct opt ENV_METRICS_OPTS[] = {
	{"org", OPT_STR, NULL, "ORG", "the organization (id, slug or name)", 0},
	{"project", OPT_STR, NULL, "PROJECT", "the project (slug, name or id)", 0},
	{"range", OPT_STR, NULL, "RANGE", "6h (default), 24h or 48h", 0},
	OPT_END,
};
const struct opt SERVER_METRICS_OPTS[] = {
	{"org", OPT_STR, NULL, "ORG", "the organization (id, slug or name)", 0},
	{"range", OPT_STR, NULL, "RANGE", "6h (default), 24h or 48h", 0},
	OPT_END,
};

struct agg {
	double last, sum, max;
	int n;
};

static struct agg agg_of(json_t *arr)
{
	struct agg g = {NAN, 0, NAN, 0};
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v) {
		if (!json_is_number(v))
			continue;
		double x = json_number_value(v);
		g.last = x;
		g.sum += x;
		g.max = g.n && g.max > x ? g.max : x;
		g.n++;
	}
	return g;
}

static void cell_pct(struct table *t, double v)
{
	if (isnan(v))
		table_cell(t, NULL);
	else
		table_cellf(t, "%.1f%%", v);
}

static void cell_bytes(struct table *t, double v)
{
	if (isnan(v))
		table_cell(t, NULL);
	else if (v >= 1024.0 * 1024 * 1024)
		table_cellf(t, "%.2f GB", v / (1024.0 * 1024 * 1024));
	else
		table_cellf(t, "%.0f MB", v / (1024.0 * 1024));
}

static void print_events(json_t *events)
{
	size_t n = json_array_size(events), i;
	if (!n)
		return;
	printf("\nevents (%zu):\n", n);
	for (i = n > 10 ? n - 10 : 0; i < n; i++) {
		json_t *e = json_array_get(events, i);
		printf("  %s  %s %s\n", jstr(e, "time") ? jstr(e, "time") : "-", jstr(e, "type"),
		       jstr(e, "status"));
	}
}

static int fetch(struct cli *c, const char *base, const char *id, struct args *a, json_t **out)
{
	const char *range = arg_get(a, "range");
	char *path = xasprintf("%s/%s/metrics?range=%s", base, id, range ? range : "6h");
	int ex = api_get(c, path, out);
	free(path);
	return ex;
}

int cmd_env_metrics(struct cli *c, struct args *a)
{
	json_t *e, *m;
	int ex = resolve_env(c, arg_get(a, "org"), arg_get(a, "project"), a->pos[0], &e);
	if (ex)
		return ex;
	ex = fetch(c, "/api/v1/environments", jstr(e, "id"), a, &m);
	json_decref(e);
	if (ex)
		return ex;
	if (c->json) {
		print_json(m);
		json_decref(m);
		return EX_OK;
	}
	printf("%s to %s, a point every %llds\n", jstr(m, "from"), jstr(m, "to"),
	       (long long)json_integer_value(json_object_get(m, "step")));
	struct table *t = table_new("CONTAINER CPU_NOW CPU_MEAN CPU_PEAK MEM_NOW MEM_PEAK MEM_LIMIT "
				    "RESTARTS");
	static const char *const order[] = {"odoo", "db", "pgbouncer", "replica"};
	json_t *cs = json_object_get(m, "containers");
	for (size_t k = 0; k < ARRAY_SIZE(order); k++) {
		json_t *s = json_object_get(cs, order[k]);
		if (!s)
			continue;
		struct agg cpu = agg_of(json_object_get(s, "cpu_percent"));
		struct agg mem = agg_of(json_object_get(s, "memory_bytes"));
		struct agg lim = agg_of(json_object_get(s, "memory_limit_bytes"));
		struct agg rs = agg_of(json_object_get(s, "restarts"));
		table_cell(t, order[k]);
		cell_pct(t, cpu.last);
		cell_pct(t, cpu.n ? cpu.sum / cpu.n : NAN);
		cell_pct(t, cpu.max);
		cell_bytes(t, mem.last);
		cell_bytes(t, mem.max);
		cell_bytes(t, lim.last);
		if (isnan(rs.last))
			table_cell(t, NULL);
		else
			table_cellf(t, "%.0f", rs.last);
	}
	table_print(t);
	if (!json_object_size(cs))
		printf("no samples in this range (the environment was not running)\n");
	print_events(json_object_get(m, "events"));
	json_decref(m);
	return EX_OK;
}

int cmd_server_metrics(struct cli *c, struct args *a)
{
	json_t *s, *m;
	int ex = resolve_server(c, arg_get(a, "org"), a->pos[0], &s);
	if (ex)
		return ex;
	ex = fetch(c, "/api/v1/servers", jstr(s, "id"), a, &m);
	json_decref(s);
	if (ex)
		return ex;
	if (c->json) {
		print_json(m);
		json_decref(m);
		return EX_OK;
	}
	json_t *r = json_object_get(m, "reachable");
	printf("%s to %s, a point every %llds; reachable: %s\n", jstr(m, "from"), jstr(m, "to"),
	       (long long)json_integer_value(json_object_get(m, "step")),
	       json_is_null(r) || !r ? "not sampled yet" : json_is_true(r) ? "yes" : "no");
	json_t *se = json_object_get(m, "series");
	struct table *t = table_new("FIGURE NOW MEAN PEAK");
	static const struct {
		const char *key, *label;
		bool bytes;
	} rows[] = {
		{"cpu_percent", "cpu", false},       {"load1", "load 1m", false},
		{"memory_used_bytes", "memory used", true}, {"memory_total_bytes", "memory total", true},
		{"disk_used_bytes", "disk used", true},     {"disk_free_bytes", "disk free", true},
	};
	for (size_t k = 0; k < ARRAY_SIZE(rows); k++) {
		struct agg g = agg_of(json_object_get(se, rows[k].key));
		table_cell(t, rows[k].label);
		double v[3] = {g.last, g.n ? g.sum / g.n : NAN, g.max};
		for (int i = 0; i < 3; i++) {
			if (rows[k].bytes)
				cell_bytes(t, v[i]);
			else if (k == 0)
				cell_pct(t, v[i]);
			else if (isnan(v[i]))
				table_cell(t, NULL);
			else
				table_cellf(t, "%.2f", v[i]);
		}
	}
	table_print(t);
	print_events(json_object_get(m, "events"));
	json_decref(m);
	return EX_OK;
}
