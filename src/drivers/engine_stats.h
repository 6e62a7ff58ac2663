/* engine_stats.h: what the monitoring sampler reads of a Docker Engine (ops/sampler.c): the
 * running containers berth manages, one container's resource counters (a one-shot stats
 * call: no wait for a second reading), and the host's figures. Each call is one request on
 * the engine's connection (over SSH, a channel of the one session). */
#ifndef BERTH_ENGINE_STATS_H
#define BERTH_ENGINE_STATS_H
#include <jansson.h>
#include <stdbool.h>
#include "drivers/engine.h"

/* Running containers labelled berth.managed=1: [{Id, Labels, ...}] as the Engine lists them,
 * or NULL when the Engine did not answer (err set). */
json_t *engine_running_managed(struct engine *e, struct berr *err);

/* A container's counters; -1 where the Engine gave none. */
struct cstats {
	long long cpu_ns;            /* CPU time used since it started */
	long long online_cpus;
	long long mem_used;          /* usage less the inactive page cache, as `docker stats` */
	long long mem_limit;
	long long net_rx, net_tx;    /* bytes, all its networks */
	long long blk_read, blk_write;
	long long restarts;          /* RestartCount */
	double cpu_limit;            /* cores (NanoCpus), 0 when it has no limit */
};
/* Stats and inspect of n containers (by id), requested together; ok[i] tells whether
 * container i answered (one that went away does not). 0, or -1 with err set when the Engine
 * answered none. */
int engine_containers_stats(struct engine *e, const char *const *ids, size_t n,
			    struct cstats *out, bool *ok, struct berr *err);

/* The host's figures; -1 (NaN for loads) where unknown. */
struct hstats {
	long long ncpu, mem_total, mem_used, cpu_busy, cpu_total, disk_used, disk_free;
	double load1, load5, load15;
};
/* /info gives the cores and the memory; the rest comes from /proc and df read inside
 * `helper`, a running container of the server (its /proc shows the host's load, CPU and
 * memory; its root filesystem lies on the Engine's data disk). helper NULL: /info only.
 * 0, or -1 with err set when the Engine did not answer /info. */
int engine_host_stats(struct engine *e, const char *helper, struct hstats *out,
		      struct berr *err);
/* Parses the helper's output (exposed for the unit tests). */
void engine_host_parse(const char *text, struct hstats *out);
#endif
