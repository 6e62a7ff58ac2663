/* alerts.h: alerts from the monitoring samples. The sampler hands each sample here; the
 * rules (core/alert_rules.h) with the organization's thresholds decide; raised, escalated
 * and resolved alerts are written to the store and published on the organization event
 * stream (alert.raised, alert.resolved), which outgoing webhooks follow. */
#ifndef BERTH_OPS_ALERTS_H
#define BERTH_OPS_ALERTS_H
#include <stdbool.h>
#include <stdint.h>

struct alert_env_sample {
	const char *org_id, *project_id, *env_id, *env_name;
	const char *container;   /* odoo, db, pgbouncer, replica */
	bool expected_running;   /* the environment is meant to run */
	bool running;            /* the container runs */
	double cpu_pct;          /* of the container's CPU limit; < 0: unknown */
	double mem_pct;          /* of its memory limit; < 0: unknown */
	int64_t restarts;        /* the Engine's restart count; < 0: unknown */
};

struct alert_server_sample {
	const char *org_id, *server_id, *server_name;
	bool answered;           /* false: unreachable this round (the rest is unknown) */
	double cpu_pct, mem_pct, disk_pct; /* < 0: unknown */
};

/* now: unix seconds. Callable from several threads. */
void ops_alerts_env(int64_t now, const struct alert_env_sample *s);
void ops_alerts_server(int64_t now, const struct alert_server_sample *s);
/* Resolves the open alerts of what was not observed in the last stale_s seconds (a stopped
 * or removed environment, a deleted server), and forgets their state. */
void ops_alerts_sweep(int64_t now, int64_t stale_s);
/* The organization's thresholds changed: read them again at its next sample. */
void ops_alerts_thresholds_changed(const char *org_id);
/* The thresholds in force for an organization (the stored ones over the defaults). */
struct alert_thresholds;
void ops_alerts_thresholds(const char *org_id, struct alert_thresholds *out);

/* A backup's test restore failed (raises the environment's "backup_verify" alert, critical)
 * or passed (resolves it). */
void ops_alert_backup(const char *org_id, const char *project_id, const char *env_id,
		      const char *env_name, bool failed, const char *message);

/* Loads the open alerts (a restart keeps them open until their condition ends) / frees. */
void ops_alerts_start(void);
void ops_alerts_stop(void);
#endif
