/* connect.h: Connect As User inside the environment's running Odoo container, with Odoo's own
 * code (docs/connect.md): the users with open sessions, and a new session for a chosen user
 * handed to the edge proxy behind a one-time token. Never logs a session id. */
#ifndef BERTH_OPS_CONNECT_H
#define BERTH_OPS_CONNECT_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "lib/errors.h"

#define CONNECT_TTL_S 60

/* {"users": [{"id", "name", "login", "logged_in", "last_activity", "devices": [{"browser",
 * "platform", "ip_address", "last_activity"}]}]}: logged-in users first (latest activity
 * first), then the other active internal users by name, at most 200; q (may be NULL) filters
 * by name or login (case-insensitive substring). NULL with err: CONFLICT (Odoo not running),
 * SERVER_UNREACHABLE, INTERNAL_ERROR. */
json_t *ops_connect_sessions(const char *env_id, const char *q, struct berr *err);

struct connect_req {
	int64_t user_id;   /* > 0, or 0 with login */
	const char *login;
	const char *host;  /* the URL's host name (lowercase), checked by the edge */
	bool secure;       /* an https URL: the cookie is Secure */
};

struct connect_grant {
	char token[65];    /* 64 hex digits */
	int64_t expires;   /* seconds since the epoch */
	json_t *user;      /* {"id", "login", "name"} (owned) */
};

/* Mints an Odoo session for the user in the container (Odoo's session store and
 * res.users._compute_session_token) and writes its one-time token file into the server's
 * edge proxy (expires after CONNECT_TTL_S); stale token files are swept. 0, or -1 with err:
 * NOT_FOUND naming user_id or login, CONFLICT, SERVER_UNREACHABLE, INTERNAL_ERROR. */
int ops_connect_grant(const char *env_id, const struct connect_req *rq, struct connect_grant *g,
		      struct berr *err);
void connect_grant_free(struct connect_grant *g);
#endif
