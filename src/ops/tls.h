/* tls.h: HTTPS outside the environment jobs (docs/tls.md): the job tls_renew, the scheduler
 * task tls-renew, and what berthd's options set. The jobs' side is in env_int.h. */
#ifndef BERTH_OPS_TLS_H
#define BERTH_OPS_TLS_H
#include <jansson.h>

#include "lib/errors.h"

/* berthd's hidden options for tests (0 keeps the default): the task's interval in ms
 * (--tls-renew-interval, default an hour), the window before expiry in which a certificate is
 * renewed in seconds (--tls-renew-before, default 30 days), the first retry's delay in
 * seconds (--tls-retry-base, default 300; doubled per failed attempt, at most a day). */
void tls_set_options(int task_ms, int renew_before_s, int retry_base_s);
/* Registers the job type tls_renew (before the workers start). */
void ops_register_tls(void);
/* Registers the task tls-renew: environments with an ACME certificate due (expiring within
 * the window, failed or pending and past next_attempt_at, or forced) get a tls_renew job. */
int tls_sched_start(void);
/* Queues tls_renew for the environment (a queued one answers); *job (may be NULL) is the
 * job's JSON. actor: "schedule" or the user's e-mail for the audit. */
int tls_enqueue(const char *env_id, const char *actor, const char *user_id, const char *ip,
		json_t **job, struct berr *err);
#endif
