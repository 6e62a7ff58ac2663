/* engine_stats.c: the Engine calls of the monitoring sampler (see engine_stats.h). */
#include "drivers/engine_stats.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* filters={"label":["berth.managed=1"]}, URL-encoded */
#define MANAGED_FILTER "%7B%22label%22%3A%5B%22berth.managed%3D1%22%5D%7D"

json_t *engine_running_managed(struct engine *e, struct berr *err)
{
	int status = 0;
	json_t *reply = NULL;
	if (engine_call(e, "GET", "/containers/json?filters=" MANAGED_FILTER, NULL, &status, &reply,
			err) < 0)
		return NULL;
	if (status != 200 || !json_is_array(reply)) {
		json_decref(reply);
		berr_set(err, BE_SERVER_UNREACHABLE, NULL, "the Docker Engine answered %d to a container list", status);
		return NULL;
	}
	return reply;
}

static long long jll(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_integer(v) ? (long long)json_integer_value(v) : -1;
}

/* A container id: 64 hex digits (the Engine's), nothing to escape. */
static bool valid_id(const char *id)
{
	size_t n = strlen(id);
	if (n < 12 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
			return false;
	return true;
}

static void parse_stats(json_t *s, struct cstats *out)
{
	json_t *cpu = json_object_get(s, "cpu_stats");
	out->cpu_ns = jll(json_object_get(cpu, "cpu_usage"), "total_usage");
	out->online_cpus = jll(cpu, "online_cpus");
	json_t *mem = json_object_get(s, "memory_stats");
	long long usage = jll(mem, "usage");
	if (usage >= 0) {
		json_t *ms = json_object_get(mem, "stats");
		/* cgroup v2: inactive_file; v1: total_inactive_file (what `docker stats` leaves out) */
		long long cache = jll(ms, "inactive_file");
		if (cache < 0)
			cache = jll(ms, "total_inactive_file");
		out->mem_used = cache > 0 && cache < usage ? usage - cache : usage;
	}
	out->mem_limit = jll(mem, "limit");
	json_t *nets = json_object_get(s, "networks");
	if (json_is_object(nets)) {
		out->net_rx = out->net_tx = 0;
		const char *k;
		json_t *n;
		json_object_foreach(nets, k, n) {
			long long rx = jll(n, "rx_bytes"), tx = jll(n, "tx_bytes");
			out->net_rx += rx > 0 ? rx : 0;
			out->net_tx += tx > 0 ? tx : 0;
		}
	}
	out->blk_read = out->blk_write = 0; /* none accounted: none done yet */
	json_t *io = json_object_get(json_object_get(s, "blkio_stats"), "io_service_bytes_recursive");
	size_t i;
	json_t *x;
	json_array_foreach(io, i, x) {
		const char *op = json_string_value(json_object_get(x, "op"));
		long long v = jll(x, "value");
		if (!op || v < 0)
			continue;
		if (strcasecmp(op, "read") == 0)
			out->blk_read += v;
		else if (strcasecmp(op, "write") == 0)
			out->blk_write += v;
	}
}

int engine_containers_stats(struct engine *e, const char *const *ids, size_t n,
			    struct cstats *out, bool *ok, struct berr *err)
{
	if (!n)
		return 0;
	/* the stats first (each waits for the Engine's next collection tick, up to a second: they
	 * are sent together), then the inspect data (the restart count and the CPU limit) */
	char **paths = xcalloc(2 * n, sizeof *paths);
	for (size_t i = 0; i < n; i++) {
		memset(&out[i], 0xff, sizeof out[i]);
		out[i].cpu_limit = 0;
		ok[i] = false;
		bool valid = valid_id(ids[i]);
		paths[i] = valid ? xasprintf("/containers/%s/stats?stream=false&one-shot=true", ids[i])
				     : xstrdup("/_ping");
		paths[n + i] = valid ? xasprintf("/containers/%s/json", ids[i]) : xstrdup("/_ping");
	}
	int *st = xcalloc(2 * n, sizeof *st);
	struct sbuf *body = xcalloc(2 * n, sizeof *body);
	for (size_t i = 0; i < 2 * n; i++)
		sbuf_init(&body[i]);
	int rc = engine_get_many(e, (const char *const *)paths, 2 * n, st, body, err);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (!valid_id(ids[i]) || st[i] != 200)
			continue;
		json_t *s = json_loadb(body[i].buf, body[i].len, 0, NULL);
		if (!json_is_object(s)) {
			json_decref(s);
			continue;
		}
		parse_stats(s, &out[i]);
		json_decref(s);
		ok[i] = true;
		json_t *ins = st[n + i] == 200 ? json_loadb(body[n + i].buf,
								 body[n + i].len, 0, NULL)
						   : NULL;
		out[i].restarts = jll(ins, "RestartCount");
		long long nano = jll(json_object_get(ins, "HostConfig"), "NanoCpus");
		out[i].cpu_limit = nano > 0 ? (double)nano / 1e9 : 0;
		json_decref(ins);
	}
	for (size_t i = 0; i < 2 * n; i++) {
		free(paths[i]);
		sbuf_release(&body[i]);
	}
	free(paths);
	free(st);
	free(body);
	return rc;
}

/* The helper's script: fixed text, no value of anyone's in it. */
static const char HOST_SCRIPT[] =
	"cat /proc/loadavg; head -n 1 /proc/stat; grep -E '^(MemTotal|MemAvailable):' "
	"/proc/meminfo; df -Pk / | tail -n 1";

void engine_host_parse(const char *text, struct hstats *h)
{
	const char *line = text;
	long long total_kb = -1, avail_kb = -1;
	while (line && *line) {
		const char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) : strlen(line);
		char buf[512];
		if (n >= sizeof buf)
			n = sizeof buf - 1;
		memcpy(buf, line, n);
		buf[n] = '\0';
		double l1, l5, l15;
		unsigned long long v[10] = {0};
		long long kb;
		char fs[256];
		long long blocks, used, avail;
		if (strncmp(buf, "cpu ", 4) == 0) {
			int k = sscanf(buf + 4, "%llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
				       &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
			if (k >= 4) {
				unsigned long long total = 0;
				for (int i = 0; i < k; i++)
					total += v[i];
				/* idle and iowait are not busy */
				h->cpu_total = (long long)total;
				h->cpu_busy = (long long)(total - v[3] - (k >= 5 ? v[4] : 0));
			}
		} else if (sscanf(buf, "MemTotal: %lld kB", &kb) == 1) {
			total_kb = kb;
		} else if (sscanf(buf, "MemAvailable: %lld kB", &kb) == 1) {
			avail_kb = kb;
		} else if (sscanf(buf, "%lf %lf %lf %*d/%*d", &l1, &l5, &l15) == 3 && buf[0] != '/') {
			h->load1 = l1;
			h->load5 = l5;
			h->load15 = l15;
		} else if (sscanf(buf, "%255s %lld %lld %lld", fs, &blocks, &used, &avail) == 4) {
			h->disk_used = used * 1024;
			h->disk_free = avail * 1024;
		}
		line = nl ? nl + 1 : NULL;
	}
	if (total_kb > 0) {
		h->mem_total = total_kb * 1024;
		if (avail_kb >= 0 && avail_kb <= total_kb)
			h->mem_used = (total_kb - avail_kb) * 1024;
	}
}

int engine_host_stats(struct engine *e, const char *helper, struct hstats *out,
		      struct berr *err)
{
	memset(out, 0xff, sizeof *out);
	out->load1 = out->load5 = out->load15 = NAN;
	int status = 0;
	json_t *info = NULL;
	if (engine_call(e, "GET", "/info", NULL, &status, &info, err) < 0)
		return -1;
	if (status != 200) {
		json_decref(info);
		return berr_set(err, BE_SERVER_UNREACHABLE, NULL, "the Docker Engine answered %d to /info",
				status);
	}
	out->ncpu = jll(info, "NCPU");
	out->mem_total = jll(info, "MemTotal");
	json_decref(info);
	if (!helper)
		return 0;
	const char *argv[] = {"sh", "-c", HOST_SCRIPT, NULL};
	struct sbuf text = SBUF_INIT;
	int code = -1;
	struct berr xerr = {0};
	if (engine_exec(e, helper, argv, NULL, &code, &text, &xerr) == 0)
		engine_host_parse(sbuf_str(&text), out);
	sbuf_release(&text);
	return 0;
}
