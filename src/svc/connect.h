/* connect.h: the rules of Connect As User (docs/connect.md): who may list an environment's
 * Odoo sessions and sign in as one of its users, on which plan, in which state; the one-time
 * URL's address; the audit entry and the organization's event. */
#ifndef BERTH_SVC_CONNECT_H
#define BERTH_SVC_CONNECT_H
#include <jansson.h>

#include "lib/errors.h"
#include "store/access.h"

/* GET /environments/{id}/sessions?q=: {"users": [...]} (ops/connect.h). */
json_t *svc_connect_sessions(const struct actor *a, const char *env_id, const char *q,
			     struct berr *err);
/* POST /environments/{id}/connect {"user_id": n} | {"login": "x"}: {"url", "expires_at",
 * "user": {"id", "login", "name"}}; audited (environment.connect, from ip). */
json_t *svc_connect(const struct actor *a, const char *ip, const char *env_id, json_t *body,
		    struct berr *err);
#endif
