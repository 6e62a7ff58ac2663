/* metrics.h: the monitoring samples (schema migration 5): what the sampler (ops/sampler.c)
 * writes each round, what the metrics API reads, the retention purge. A value below 0 (or a
 * NaN double) is unknown and stored as null. Timestamps are milliseconds since the epoch. */
#ifndef BERTH_STORE_METRICS_H
#define BERTH_STORE_METRICS_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* One container of an environment at one time; counters are cumulative since its start. */
struct msample {
	char env_id[37];
	char container[16]; /* odoo, db, pgbouncer, replica */
	int64_t ts;
	long long cpu_ns;   /* CPU time used */
	double cpu_limit;   /* cores it may use (its limit, or the server's cores) */
	long long mem_used, mem_limit, net_rx, net_tx, blk_read, blk_write, restarts;
};

/* One server at one time. */
struct ssample {
	char server_id[37];
	int64_t ts;
	bool reachable;
	long long ncpu, cpu_busy, cpu_total; /* host CPU jiffies, cumulative */
	long long mem_used, mem_total, disk_used, disk_free;
	double load1, load5, load15;
};

/* One transaction: the server's sample and its containers' (also the latest per container). */
int metrics_store_round(const struct ssample *srv, const struct msample *c, size_t n);

/* Calls fn for each sample of the environment with from <= ts < to, ordered by container and
 * time, the full-resolution ones and the 5-minute ones (downsampled true) together. */
typedef void (*msample_fn)(void *cls, const struct msample *s, bool downsampled);
int metrics_env_each(const char *env_id, int64_t from, int64_t to, msample_fn fn, void *cls);
typedef void (*ssample_fn)(void *cls, const struct ssample *s, bool downsampled);
int metrics_server_each(const char *server_id, int64_t from, int64_t to, ssample_fn fn,
			void *cls);

/* Folds the samples older than now - full_s into 5-minute rows (the last counters, the mean
 * memory), deletes the 5-minute rows older than now - ds_s, and the samples of environments
 * and servers that no longer exist. */
int metrics_purge(int64_t now, int64_t full_s, int64_t ds_s);

/* The latest sample of each environment container newer than since, with its environment's
 * org (slug), project (slug) and environment (name): rows for GET /metrics. */
json_t *metrics_latest(int64_t since);

/* The latest reachable sample of each server newer than since, with org (slug) and server
 * (name): rows for GET /metrics. */
json_t *metrics_servers_latest(int64_t since);

/* The environment's (server's) jobs created, started or ended in [from, to] (ISO 8601 UTC):
 * [{id, type, status, created_at, started_at, completed_at}], oldest first, at most 500. */
json_t *metrics_env_events(const char *env_id, const char *from, const char *to);
json_t *metrics_server_events(const char *server_id, const char *from, const char *to);
/* Jobs queued and running by type: [{type, status, n}]. */
json_t *metrics_job_counts(void);

/* What the sampler visits: the servers whose status is running [{id, name, org (slug),
 * org_id}], and the environments placed on a server [{id, org_id, project_id, name, status,
 * enable_pgbouncer, enable_read_replica, job_running}]. */
json_t *metrics_servers_to_sample(void);
json_t *metrics_envs_of_server(const char *server_id);
/* The latest samples of the containers of a server's environments [{env_id, container, ts,
 * cpu_ns}] and its own latest reachable sample (NULL: none): what the next one is compared
 * with. */
json_t *metrics_prev_of_server(const char *server_id);
json_t *metrics_prev_server(const char *server_id);

#endif
