/* servers.c: the rules for servers (see svc/servers.h). */
#include "svc/servers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobs/queue.h"
#include "lib/secret.h"
#include "lib/util.h"
#include "ops/conn.h"
#include "ops/server.h"
#include "ops/tls.h"
#include "store/db.h"
#include "store/model.h"
#include "store/servers.h"

static char *seal_credential(const char *key, const char *pw)
{
	json_t *c = json_pack("{s:s?,s:s?}", "private_key", key, "password", pw);
	char *s = json_dumps(c, JSON_COMPACT);
	json_decref(c);
	char *sealed = secret_seal(s);
	secret_free(s);
	return sealed;
}

static void audit(const struct actor *a, const char *ip, const char *org_id, const char *action,
		  const char *server_id, json_t *details)
{
	model_audit(org_id, a ? a->user_id : NULL, a ? a->email : NULL, action, "server", server_id,
		    details, ip);
}

/* berthd's own Docker Engine is root on its host: only the platform administrator gives a
 * server the local transport or a socket path, and a local server only the Engine sockets
 * berthd allows (--docker-socket-allow). 0 or -1 with err. */
static int check_host_access(const struct actor *a, bool local, const char *docker_socket,
			     const char *what, struct berr *err)
{
	bool admin = a && a->is_admin;
	if (local && !admin)
		return berr_set(err, BE_PERMISSION_DENIED, "transport",
				"Only the platform administrator can %s a local server (berthd's own"
				" Docker Engine)", what);
	if (docker_socket && !admin)
		return berr_set(err, BE_PERMISSION_DENIED, "docker_socket",
				"Only the platform administrator can set docker_socket");
	if (local && docker_socket && !conn_socket_allowed(docker_socket))
		return berr_set(err, BE_VALIDATION_ERROR, "docker_socket",
				"docker_socket: not an allowed Docker Engine socket of this host"
				" (berthd --docker-socket-allow)");
	return 0;
}

/* ---- create ---- */

struct create_ctx {
	const struct actor *a;
	const char *ip, *org_id;
	const struct server_in *in;
	const char *credential;
	char id[37];
};

static int create_tx(void *p, struct berr *err)
{
	struct create_ctx *c = p;
	const struct server_in *in = c->in;
	struct usage u;
	model_org_usage(c->org_id, NULL, &u);
	json_t *plan = model_org_plan(c->org_id);
	long long max = json_integer_value(json_object_get(plan, "max_servers"));
	json_decref(plan);
	if (u.servers >= max)
		return berr_set(err, BE_QUOTA_EXCEEDED, NULL,
				"Cannot add server - server quota exceeded (%lld of %lld)", u.servers, max);
	bool local = str_eq(in->transport, "local");
	struct server_new n = {
		.org_id = c->org_id,
		.name = in->name,
		.transport = local ? "local" : "ssh",
		.host = local ? (in->host ? in->host : "localhost") : in->host,
		.port = (int)(in->has_port ? in->port : SERVER_DEFAULT_SSH_PORT),
		.user = local ? NULL : (in->user ? in->user : "root"),
		.auth_method = local ? "local" : (in->private_key ? "key" : "password"),
		.credential_sealed = c->credential,
		.docker_socket = in->docker_socket ? in->docker_socket
				 : local && conn_socket_default() ? conn_socket_default()
								  : SERVER_DEFAULT_DOCKER_SOCKET,
		.max_projects = (int)(in->has_max ? in->max_projects : SERVER_DEFAULT_MAX_PROJECTS),
		.http_port = (int)(in->has_http ? in->http_port : SERVER_DEFAULT_HTTP_PORT),
		.https_port = (int)(in->has_https ? in->https_port : SERVER_DEFAULT_HTTPS_PORT),
	};
	int rc = servers_insert(&n, c->id);
	if (rc == -2)
		return berr_set(err, BE_NAME_EXISTS, "name", "A server named '%s' already exists",
				in->name);
	if (rc == 0 && in->mounts_root &&
	    servers_update(c->id, &(struct server_patch){.mounts_root = in->mounts_root}) < 0)
		rc = -1;
	if (rc < 0)
		return berr_set(err, BE_INTERNAL_ERROR, NULL, NULL);
	if (in->has_cloudflare) {
		struct server_patch cf = {.has_cloudflare = true,
					  .cloudflare_proxy = in->cloudflare_proxy};
		if (servers_update(c->id, &cf) < 0)
			return berr_set(err, BE_INTERNAL_ERROR, NULL, NULL);
	}
	audit(c->a, c->ip, c->org_id, "server.create", c->id,
	      json_pack("{s:s,s:s,s:s?}", "name", in->name, "transport", in->transport, "host",
			in->host));
	return 0;
}

json_t *svc_server_create(const struct actor *a, const char *ip, const char *org_id,
			  struct server_in *in, struct berr *err)
{
	if (!in->transport)
		in->transport = "ssh";
	if (str_eq(in->transport, "ssh")) {
		if (!in->host) {
			berr_set(err, BE_VALIDATION_ERROR, "host", "host: is required");
			return NULL;
		}
		if (!in->private_key && !in->password) {
			berr_set(err, BE_VALIDATION_ERROR, "private_key",
				 "private_key: give private_key or password");
			return NULL;
		}
	} else if (in->private_key || in->password) {
		berr_set(err, BE_VALIDATION_ERROR, "transport",
			 "transport: a local server takes no credentials");
		return NULL;
	}
	bool local = str_eq(in->transport, "local");
	if (check_host_access(a, local, in->docker_socket, "add", err) < 0)
		return NULL;
	if (local && !in->docker_socket && !conn_socket_default()) {
		berr_set(err, BE_VALIDATION_ERROR, "docker_socket",
			 "docker_socket: is required (berthd allows only socket directories)");
		return NULL;
	}
	struct create_ctx c = {.a = a, .ip = ip, .org_id = org_id, .in = in};
	char *cred = str_eq(in->transport, "local") ? NULL
						     : seal_credential(in->private_key, in->password);
	c.credential = cred;
	int rc = db_tx(create_tx, &c, err);
	free(cred);
	return rc < 0 ? NULL : model_server_get(c.id);
}

/* ---- update ---- */

struct update_ctx {
	const struct actor *a;
	const char *ip, *org_id, *id;
	const struct server_in *in;
	const struct server_patch *patch;
};

static int update_tx(void *p, struct berr *err)
{
	struct update_ctx *c = p;
	int rc = servers_update(c->id, c->patch);
	if (rc == -2)
		return berr_set(err, BE_NAME_EXISTS, "name", "A server named '%s' already exists",
				c->in->name);
	if (rc < 0)
		return berr_set(err, BE_INTERNAL_ERROR, NULL, NULL);
	audit(c->a, c->ip, c->org_id, "server.update", c->id, NULL);
	return 0;
}

json_t *svc_server_update(const struct actor *a, const char *ip, const char *org_id,
			  const char *server_id, const struct server_in *in, struct berr *err)
{
	struct server_row r;
	if (servers_get(server_id, &r) < 0) {
		berr_set(err, BE_SERVER_NOT_FOUND, NULL, "Server '%.40s' doesn't exist", server_id);
		return NULL;
	}
	bool local = str_eq(r.transport, "local");
	server_row_free(&r);
	if (check_host_access(a, local, in->docker_socket, "change", err) < 0)
		return NULL;
	if (local && (in->has_key || in->has_pw || in->user)) {
		berr_set(err, BE_VALIDATION_ERROR, in->user ? "user" : "private_key",
			 "%s: a local server takes no credentials", in->user ? "user" : "private_key");
		return NULL;
	}
	struct server_patch p = {
		.name = in->name,
		.host = in->host,
		.user = in->user,
		.docker_socket = in->docker_socket,
		.mounts_root = in->mounts_root,
		.port = (int)in->port,
		.max_projects = (int)in->max_projects,
		.http_port = (int)in->http_port,
		.https_port = (int)in->https_port,
		.has_port = in->has_port,
		.has_max = in->has_max,
		.has_http = in->has_http,
		.has_https = in->has_https,
		.reset_host_key = in->reset_host_key,
		.has_cloudflare = in->has_cloudflare,
		.cloudflare_proxy = in->cloudflare_proxy,
	};
	char *cred = NULL;
	if ((in->has_key && in->private_key) || (in->has_pw && in->password)) {
		cred = seal_credential(in->has_key ? in->private_key : NULL,
				       in->has_key ? NULL : in->password);
		p.credential_sealed = cred;
		p.auth_method = in->has_key ? "key" : "password";
	}
	struct update_ctx c = {.a = a, .ip = ip, .org_id = org_id, .id = server_id, .in = in,
			       .patch = &p};
	int rc = db_tx(update_tx, &c, err);
	free(cred);
	if (rc == 0 && in->has_cloudflare) {
		/* the sites of the server's environments follow (tls_renew rewrites each site) */
		json_t *envs = servers_environments(server_id);
		size_t i;
		json_t *e;
		json_array_foreach(envs, i, e) {
			struct berr e2 = {0};
			tls_enqueue(json_string_value(json_object_get(e, "id")), a->email, a->user_id, ip,
				    NULL, &e2);
		}
		json_decref(envs);
	}
	return rc < 0 ? NULL : model_server_get(server_id);
}

/* ---- delete ---- */

struct delete_ctx {
	const struct actor *a;
	const char *ip, *org_id, *id;
	bool force, need_job;
};

/* "shop/main, shop/staging" (at most 10, then "and N more"). */
static void env_names(json_t *envs, char *out, size_t len)
{
	struct sbuf b = SBUF_INIT;
	size_t i;
	json_t *e;
	json_array_foreach(envs, i, e) {
		if (i == 10) {
			sbuf_addf(&b, " and %zu more", json_array_size(envs) - 10);
			break;
		}
		sbuf_addf(&b, "%s%s/%s", i ? ", " : "",
			  json_string_value(json_object_get(e, "project")),
			  json_string_value(json_object_get(e, "name")));
	}
	snprintf(out, len, "%s", sbuf_str(&b));
	sbuf_release(&b);
}

static int delete_tx(void *p, struct berr *err)
{
	struct delete_ctx *c = p;
	c->need_job = false;
	json_t *envs = servers_environments(c->id);
	if (json_array_size(envs) > 0) {
		char names[400];
		env_names(envs, names, sizeof names);
		json_decref(envs);
		return berr_set(err, BE_CONFLICT, NULL,
				"The server still hosts environments (%s): remove them first", names);
	}
	json_decref(envs);
	if (c->force) {
		/* forgotten without touching the server: say in the audit what may be left */
		char edge[32], sites[40];
		ops_edge_names(c->id, edge, sites);
		if (servers_delete(c->id) < 0)
			return berr_set(err, BE_INTERNAL_ERROR, NULL, NULL);
		audit(c->a, c->ip, c->org_id, "server.delete", c->id,
		      json_pack("{s:b,s:[s,s,s]}", "force", 1, "may_be_left", edge, sites,
				"objects labelled berth.server"));
		return 0;
	}
	char *pending = servers_pending_job(c->id, "server_remove");
	if (pending) { /* being removed already: the same answer */
		free(pending);
		return 0;
	}
	struct server_row r;
	if (servers_get(c->id, &r) < 0)
		return berr_set(err, BE_SERVER_NOT_FOUND, NULL, "Server '%.40s' doesn't exist", c->id);
	bool reached = r.docker_version != NULL;
	server_row_free(&r);
	if (!reached) {
		/* its Docker Engine never answered: berth made nothing there */
		if (servers_delete(c->id) < 0)
			return berr_set(err, BE_INTERNAL_ERROR, NULL, NULL);
		audit(c->a, c->ip, c->org_id, "server.delete", c->id, NULL);
		return 0;
	}
	if (servers_set_status(c->id, "removing", NULL) < 0)
		return berr_set(err, BE_INTERNAL_ERROR, NULL, NULL);
	c->need_job = true;
	return 0;
}

int svc_server_delete(const struct actor *a, const char *ip, const char *org_id,
		      const char *server_id, bool force, struct berr *err)
{
	struct delete_ctx c = {.a = a, .ip = ip, .org_id = org_id, .id = server_id, .force = force};
	if (db_tx(delete_tx, &c, err) < 0)
		return -1;
	if (c.need_job) {
		ops_server_publish_status(server_id); /* "removing", now committed */
		/* queued after the commit; a crash in between leaves status "removing" without a
		 * job, and the next DELETE queues it */
		json_t *job = queue_enqueue(org_id, NULL, server_id, "server_remove", NULL,
					    a ? a->user_id : NULL, a ? a->email : NULL);
		audit(a, ip, org_id, "server.delete", server_id,
		      json_pack("{s:O}", "job", json_object_get(job, "id")));
		json_decref(job);
	}
	return 0;
}

/* ---- test and prepare ---- */

json_t *svc_server_test(const struct actor *a, const char *ip, const char *org_id,
			const char *server_id, struct berr *err)
{
	struct server_row r;
	if (servers_get(server_id, &r) < 0) {
		berr_set(err, BE_SERVER_NOT_FOUND, NULL, "Server '%.40s' doesn't exist", server_id);
		return NULL;
	}
	bool local = str_eq(r.transport, "local");
	server_row_free(&r);
	if (check_host_access(a, local, NULL, "test", err) < 0)
		return NULL;
	char *removing = servers_pending_job(server_id, "server_remove");
	struct probe_result pr;
	if (removing) /* being removed: its status stays "removing" */
		free(removing);
	else if (ops_server_probe_record(server_id, &pr) == 0 && pr.docker_missing) {
		/* Debian/Ubuntu servers without Docker get it installed by a prepare job */
		ops_server_status(server_id, "provisioning",
				  "Docker Engine is not installed: installing it (prepare job)");
		char *queued = servers_pending_job(server_id, "prepare");
		if (!queued)
			json_decref(queue_enqueue(org_id, NULL, server_id, "prepare", NULL,
						  a ? a->user_id : NULL, a ? a->email : NULL));
		free(queued);
	}
	json_t *out = model_server_get(server_id);
	audit(a, ip, org_id, "server.test", server_id,
	      json_pack("{s:O}", "status", json_object_get(out, "status")));
	return out;
}

json_t *svc_server_prepare(const struct actor *a, const char *ip, const char *org_id,
			   const char *server_id, struct berr *err)
{
	char *removing = servers_pending_job(server_id, "server_remove");
	if (removing) {
		free(removing);
		berr_set(err, BE_CONFLICT, NULL, "The server is being removed");
		return NULL;
	}
	char *queued = servers_pending_job(server_id, "prepare");
	if (queued) {
		json_t *job = queue_job_json(queued);
		free(queued);
		return job;
	}
	/* before the job is queued: a quick job must not have its outcome overwritten */
	ops_server_status(server_id, "provisioning", NULL);
	json_t *job = queue_enqueue(org_id, NULL, server_id, "prepare", NULL, a ? a->user_id : NULL,
				    a ? a->email : NULL);
	audit(a, ip, org_id, "server.prepare", server_id,
	      json_pack("{s:O}", "job", json_object_get(job, "id")));
	return job;
}
