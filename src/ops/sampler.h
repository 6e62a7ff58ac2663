/* sampler.h: the monitoring sampler, a task of the scheduler (jobs/sched.h). Each round (every
 * monitoring_interval_s, a platform setting) visits every running server at once, each on its
 * own thread with one Engine connection: the running containers of its environments (Odoo,
 * PostgreSQL, PgBouncer, replica) and the host's figures, written in one transaction per
 * server (store/metrics.h). A server that does not answer within its timeouts is recorded
 * unreachable; the round waits at most 20 s for its servers, and a server still being read
 * at the next round is skipped then, so a slow server delays no other. The retention purge
 * runs after the rounds. */
#ifndef BERTH_OPS_SAMPLER_H
#define BERTH_OPS_SAMPLER_H
#include <stdbool.h>
#include <stdint.h>

/* Registers the task (before or after sched_start); 0 or -1. sampler_stop removes it and
 * waits for the servers still being read (before the store closes). */
int sampler_start(void);
void sampler_stop(void);
/* A round at once (after a settings change). */
void sampler_kick(void);
/* The wall clock in milliseconds since the epoch (samples' time; now_ms is monotonic). */
int64_t sampler_wall_ms(void);
/* A platform setting's value (clamped to its range; the default when unset). */
long long sampler_setting(const char *key);
/* Whether the last round reached the server (false: unreachable or not visited yet). */
bool sampler_server_up(const char *server_id, int64_t *last_ms);
#endif
