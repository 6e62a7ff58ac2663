/* env_health.c: the Health check stage. */
#include <unistd.h>

#include "ops/env_int.h"

/* Odoo answers /web/health through the edge proxy. */
int wait_healthy(struct engine *e, struct job *j, struct envrt *rt, struct berr *err)
{
	int64_t deadline = now_ms() + HEALTH_TIMEOUT_S * 1000LL;
	int last = 0;
	while (now_ms() < deadline) {
		int status = 0;
		struct sbuf body = SBUF_INIT;
		struct berr e2 = {0};
		int rc = engine_http_get(e, rt->http_port, "/web/health", rt->fqdn, &status, &body, &e2);
		sbuf_release(&body);
		if (rc == 0 && status == 200) {
			job_log(j, "%s answers /web/health through the edge proxy", rt->fqdn);
			return 0;
		}
		last = status;
		if (job_cancelled(j))
			return berr_set(err, BE_CONFLICT, NULL, "cancelled");
		usleep(50000);
	}
	struct sbuf logs = SBUF_INIT;
	engine_container_logs(e, rt->odoo, 30, &logs, err);
	job_log(j, "%s", sbuf_str(&logs));
	sbuf_release(&logs);
	return berr_set(err, BE_INTERNAL_ERROR, NULL,
			"Odoo did not answer /web/health through the edge proxy within %d s (last"
			" status %d)", HEALTH_TIMEOUT_S, last);
}
