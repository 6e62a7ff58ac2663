/* servers.h: the servers table as typed rows (what ops and services read), and its writes.
 * JSON for the API is built by model_server_get (store/model.h). */
#ifndef BERTH_STORE_SERVERS_H
#define BERTH_STORE_SERVERS_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* Defaults of a new server. */
#define SERVER_DEFAULT_SSH_PORT 22
#define SERVER_DEFAULT_DOCKER_SOCKET "/var/run/docker.sock"
#define SERVER_DEFAULT_MAX_PROJECTS 8
#define SERVER_DEFAULT_HTTP_PORT 80
#define SERVER_DEFAULT_HTTPS_PORT 443
/* Where environments' server directories (shared addons, external filestore) may be:
 * <mounts_root>/<org-slug>/... (ops/env_mounts.c) */
#define SERVER_DEFAULT_MOUNTS_ROOT "/srv/berth"

struct server_row {
	char id[37];
	char org_id[37];
	char *name, *transport, *host, *user, *auth_method;
	char *host_key;       /* pinned fingerprint, NULL until the first test */
	char *docker_socket;
	char *status, *status_reason;
	char *docker_version; /* NULL until the Docker Engine answered once */
	int port, max_projects, http_port, https_port;
};

/* 0 and *r filled (free with server_row_free), or -1 when there is no such server. */
int servers_get(const char *id, struct server_row *r);
void server_row_free(struct server_row *r);
/* The ports the server's edge proxy publishes: 0 and both set, or -1 (both 0) when there is
 * no such server. */
/* Whether the server is behind Cloudflare's proxy (servers.cloudflare_proxy). */
bool servers_cloudflare_proxy(const char *id);
int servers_edge_ports(const char *id, int *http_port, int *https_port);
/* The server's mounts_root, NULL when there is no such server. Caller frees. */
char *servers_mounts_root(const char *id);
/* The sealed credential ({"private_key"|"password": ...} once opened), or NULL. Caller frees. */
char *servers_credential_sealed(const char *id);

/* A new server; NULL fields take the column defaults of the rules in svc/servers.c. */
struct server_new {
	const char *org_id, *name, *transport, *host, *user, *auth_method, *credential_sealed,
		*docker_socket;
	int port, max_projects, http_port, https_port;
};
/* 0 (id filled), -2 the name is taken in the organization, -1 store error. */
int servers_insert(const struct server_new *n, char id[37]);

/* A change; only fields set (non-NULL, or has_*) change. Run inside one transaction. */
struct server_patch {
	const char *name, *host, *user, *docker_socket;
	const char *credential_sealed, *auth_method; /* together */
	const char *mounts_root;
	int port, max_projects, http_port, https_port;
	bool has_port, has_max, has_http, has_https, reset_host_key;
	bool has_cloudflare, cloudflare_proxy;
};
/* 0, -2 the name is taken, -1 store error. A changed host forgets the pinned host key. */
int servers_update(const char *id, const struct server_patch *p);

/* What a probe found. host_key is stored only when none is pinned yet; capacity and version
 * only when status is "running". */
struct server_probe_rec {
	const char *status, *reason, *host_key, *docker_version;
	double cpu_cores;
	long long ram_mb, disk_gb;
};
int servers_record_probe(const char *id, const struct server_probe_rec *p);
int servers_set_status(const char *id, const char *status, const char *reason);
int servers_delete(const char *id);
/* Number of servers using the local transport (any organization). */
int64_t servers_local_count(void);
/* Environments placed on the server: array of {"id", "name", "project"} (project's name). */
json_t *servers_environments(const char *id);
/* The id of a queued or running job of type on the server (not of an environment), or NULL. */
char *servers_pending_job(const char *id, const char *type);
#endif
