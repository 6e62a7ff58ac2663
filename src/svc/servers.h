/* servers.h: the rules for servers: create (quota, transport rules, defaults, sealed
 * credential), update, delete (refused while environments are placed on it; otherwise berth's
 * objects on it are removed by a server_remove job), test (probe and record, prepare when
 * Docker is missing), prepare. Only the platform administrator creates, changes or tests a
 * local server (berthd's own Docker Engine) or sets a docker_socket; a local server uses only
 * the sockets berthd allows (ops/conn.h). Callers (the API) check access and permissions
 * first; every change is audited as the actor, from ip. */
#ifndef BERTH_SVC_SERVERS_H
#define BERTH_SVC_SERVERS_H
#include <jansson.h>
#include <stdbool.h>
#include "lib/errors.h"
#include "store/access.h"

/* The fields of a create or update request, already checked for form by the caller. */
struct server_in {
	const char *name, *transport, *host, *user, *private_key, *password, *docker_socket;
	const char *mounts_root; /* checked by the caller: valid_server_dir(), not "/" */
	long long port, max_projects, http_port, https_port;
	bool has_port, has_max, has_http, has_https, has_key, has_pw, reset_host_key;
	bool has_cloudflare, cloudflare_proxy; /* behind Cloudflare's proxy (docs/tls.md) */
};

/* The created server (model_server_get), or NULL with err set. */
json_t *svc_server_create(const struct actor *a, const char *ip, const char *org_id,
			  struct server_in *in, struct berr *err);
/* The updated server, or NULL with err set. */
json_t *svc_server_update(const struct actor *a, const char *ip, const char *org_id,
			  const char *server_id, const struct server_in *in, struct berr *err);
/* Deletes the server: CONFLICT (naming them) while environments are placed on it. A server
 * whose Docker Engine never answered holds nothing of berth's: its row goes now. Otherwise
 * its status becomes "removing" and a server_remove job removes berth's objects from it and
 * then the row. force: the row goes now, whatever is left on the server (a server that is
 * gone for good). 0 or -1. */
int svc_server_delete(const struct actor *a, const char *ip, const char *org_id,
		      const char *server_id, bool force, struct berr *err);
/* Probes and records; queues a prepare job when Docker is missing on an SSH server. The
 * server JSON after the test, or NULL with err (a local server: the platform administrator
 * only). */
json_t *svc_server_test(const struct actor *a, const char *ip, const char *org_id,
			const char *server_id, struct berr *err);
/* The prepare job (the one already queued or running, or a new one); NULL with CONFLICT while
 * the server is being removed. */
json_t *svc_server_prepare(const struct actor *a, const char *ip, const char *org_id,
			   const char *server_id, struct berr *err);
#endif
