/* server.c: operations on a server: probe and record; preparing a server (installs the Docker
 * Engine through the package manager of a Debian or Ubuntu server when it is missing; the
 * remote script is fixed text); removing berth's objects from a server being deleted. */
#include "ops/server.h"

#include <stdio.h>
#include <string.h>

#include "core/daemon.h"
#include "drivers/sshconn.h"
#include "jobs/events.h"
#include "jobs/queue.h"
#include "lib/util.h"
#include "ops/conn.h"
#include "ops/ops.h"
#include "store/servers.h"

static void publish(const struct server_row *r, const char *status, const char *reason)
{
	events_publish(r->org_id, NULL, "server.status",
		       json_pack("{s:s,s:s,s:s,s:s?}", "id", r->id, "name", r->name, "status",
				 status, "status_reason", reason && *reason ? reason : NULL));
}

static bool changed(const struct server_row *r, const char *status, const char *reason)
{
	return !str_eq(r->status, status) ||
	       !str_eq(r->status_reason ? r->status_reason : "", reason ? reason : "");
}

int ops_server_status(const char *server_id, const char *status, const char *reason)
{
	struct server_row r;
	bool known = servers_get(server_id, &r) == 0;
	int rc = servers_set_status(server_id, status, reason);
	if (known && rc == 0 && changed(&r, status, reason))
		publish(&r, status, reason);
	if (known)
		server_row_free(&r);
	return rc;
}

void ops_server_publish_status(const char *server_id)
{
	struct server_row r;
	if (servers_get(server_id, &r) < 0)
		return;
	publish(&r, r.status, r.status_reason);
	server_row_free(&r);
}

int ops_server_probe_record(const char *server_id, struct probe_result *out)
{
	struct engine_target t;
	struct berr err = {0};
	if (server_target_load(server_id, &t, &err) < 0) {
		if (err.code == BE_VALIDATION_ERROR) /* a socket that is no longer allowed */
			ops_server_status(server_id, "error", err.message);
		return -1;
	}
	struct probe_result pr;
	server_probe(&t, &pr);
	struct server_probe_rec rec = {
		.status = pr.status,
		.reason = pr.reason,
		.host_key = t.known_host_key ? NULL : pr.host_key,
		.docker_version = pr.docker_version,
		.cpu_cores = pr.cpu_cores,
		.ram_mb = pr.ram_mb,
		.disk_gb = pr.disk_gb,
	};
	struct server_row before;
	bool known = servers_get(server_id, &before) == 0;
	int rc = servers_record_probe(server_id, &rec);
	if (known && rc == 0 && changed(&before, rec.status, rec.reason))
		publish(&before, rec.status, rec.reason);
	if (known)
		server_row_free(&before);
	target_release(&t);
	if (out)
		*out = pr;
	return rc;
}

int ops_server_register_local(const char *org_id)
{
	if (servers_local_count() > 0)
		return 0;
	const char *sock = conn_socket_default();
	if (!sock) /* only directories are allowed: no socket to name */
		return -1;
	struct server_new n = {
		.org_id = org_id,
		.name = "local",
		.transport = "local",
		.host = "localhost",
		.port = SERVER_DEFAULT_SSH_PORT,
		.auth_method = "local",
		.docker_socket = sock,
		.max_projects = SERVER_DEFAULT_MAX_PROJECTS,
		.http_port = SERVER_DEFAULT_HTTP_PORT,
		.https_port = SERVER_DEFAULT_HTTPS_PORT,
	};
	char id[37];
	if (servers_insert(&n, id) < 0)
		return -1;
	ops_server_probe_record(id, NULL);
	return 1;
}


/* ---- prepare ---- */

static const char PREPARE_SCRIPT[] =
	"set -e\n"
	". /etc/os-release\n"
	"case \"$ID $ID_LIKE\" in *debian*|*ubuntu*) ;; *) echo \"unsupported system: $ID\"; exit 3;; esac\n"
	"SUDO=; [ \"$(id -u)\" = 0 ] || SUDO='sudo -n'\n"
	"if ! command -v dockerd >/dev/null 2>&1; then\n"
	"  echo 'installing docker.io'\n"
	"  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q\n"
	"  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker.io\n"
	"fi\n"
	"if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then\n"
	"  $SUDO systemctl enable --now docker\n"
	"else\n"
	"  $SUDO service docker start || true\n"
	"fi\n"
	"for i in $(seq 60); do [ -S /var/run/docker.sock ] && break; sleep 1; done\n"
	"[ -S /var/run/docker.sock ] && echo 'Docker Engine is installed'\n";

static int job_prepare(struct job *j, struct berr *err)
{
	struct server_row r;
	if (servers_get(j->server_id, &r) < 0)
		return berr_set(err, BE_SERVER_NOT_FOUND, NULL, "the server no longer exists");
	bool local = str_eq(r.transport, "local");
	server_row_free(&r);
	if (local)
		return berr_set(err, BE_CONFLICT, NULL,
				"the local server uses the Docker Engine of the machine berthd runs on:"
				" install docker.io there");
	ops_server_status(j->server_id, "provisioning", NULL);
	job_stage(j, "Connect to server");
	/* the SSH session of the server's engine; its Docker Engine is not needed yet */
	struct engine *e = engine_open_server(j->server_id, err);
	if (!e) {
		ops_server_status(j->server_id, "error", err->message);
		return -1;
	}
	job_stage(j, "Install Docker Engine");
	struct sbuf out = SBUF_INIT;
	int code = -1;
	int rc = sshconn_exec(engine_ssh(e), PREPARE_SCRIPT, &code, &out, 1200, err);
	job_log(j, "%s", sbuf_str(&out));
	sbuf_release(&out);
	engine_close(e);
	if (rc == 0 && code != 0)
		rc = berr_set(err, BE_INTERNAL_ERROR, NULL,
			      code == 3 ? "only Debian and Ubuntu servers can be prepared"
					: "installing the Docker Engine failed (exit status %d)", code);
	if (rc < 0) {
		ops_server_status(j->server_id, "error", err->message);
		return -1;
	}
	job_stage(j, "Test");
	struct probe_result pr;
	if (ops_server_probe_record(j->server_id, &pr) < 0)
		return berr_set(err, BE_SERVER_NOT_FOUND, NULL, "the server no longer exists");
	return str_eq(pr.status, "running")
		       ? 0
		       : berr_set(err, BE_INTERNAL_ERROR, NULL, "the server is %s after preparation",
				  pr.status);
}

/* ---- server_remove ---- */

/* Names of berth's objects of one kind on the server: those labelled berth.server=<id>, plus
 * extra (a name) when it exists and is not listed yet. */
static json_t *objects_of(struct engine *e, const char *kind, const char *server_id,
			  const char *extra)
{
	json_t *names = engine_list_labeled(e, kind, "berth.server", server_id);
	if (!names)
		names = json_array();
	if (extra) {
		bool listed = false;
		size_t i;
		json_t *n;
		json_array_foreach(names, i, n)
			listed = listed || str_eq(json_string_value(n), extra);
		if (!listed) {
			json_t *all = engine_list_labeled(e, kind, "berth.role", "edge");
			json_array_foreach(all, i, n)
				if (str_eq(json_string_value(n), extra))
					json_array_append_new(names, json_string(extra));
			json_decref(all);
		}
	}
	return names;
}

static void describe(struct sbuf *b, const char *what, json_t *names)
{
	size_t i;
	json_t *n;
	json_array_foreach(names, i, n)
		sbuf_addf(b, "%s%s %s", b->len ? ", " : "", what, json_string_value(n));
}

/* Removes every object berth made on the server (its edge proxy and the sites volume, and
 * any container, volume or network labelled berth.server=<id>), then the server's row. When
 * the server cannot be reached or an object cannot be removed, the job fails naming what was
 * left and why; the row stays (status "error") so that a later DELETE retries. */
static int job_server_remove(struct job *j, struct berr *err)
{
	const char *id = j->server_id;
	struct server_row r;
	if (servers_get(id, &r) < 0) {
		job_log(j, "the server is already gone");
		return 0;
	}
	char edge[32], sites[40];
	ops_edge_names(id, edge, sites);
	json_t *envs = servers_environments(id);
	if (json_array_size(envs) > 0) {
		json_decref(envs);
		server_row_free(&r);
		berr_set(err, BE_CONFLICT, NULL,
			 "the server hosts environments again: nothing was removed");
		ops_server_status(id, "error", err->message);
		return -1;
	}
	json_decref(envs);
	job_stage(j, "Connect to server");
	struct engine *e = engine_open_server(id, err);
	int status = 0;
	if (e && engine_call(e, "GET", "/_ping", NULL, &status, NULL, err) == 0 && status != 200)
		berr_set(err, BE_SERVER_UNREACHABLE, NULL, "the Docker Engine answered /_ping with %d",
			 status);
	if (!e || status != 200) {
		char why[512];
		snprintf(why, sizeof why, "%s", err->message);
		berr_set(err, BE_SERVER_UNREACHABLE, NULL,
			 "left on server %.60s: its edge proxy %s, the volume %s and anything"
			 " labelled berth.server=%s, because the server could not be reached (%.240s);"
			 " the server is kept: delete it again once it is reachable, or with"
			 " {\"force\": true} to forget it",
			 r.name, edge, sites, id, why);
		ops_server_status(id, "error", err->message);
		engine_close(e);
		server_row_free(&r);
		return -1;
	}
	job_stage(j, "Containers");
	ops_edge_lock(id); /* no deploy creates the edge while it goes */
	json_t *cs = objects_of(e, "containers", id, edge);
	size_t i;
	json_t *n;
	json_array_foreach(cs, i, n) {
		struct berr e2 = {0};
		job_log(j, "removing container %s", json_string_value(n));
		if (engine_container_remove(e, json_string_value(n), &e2) < 0)
			job_log(j, "%s", e2.message);
	}
	json_decref(cs);
	job_stage(j, "Volumes and networks");
	json_t *vs = objects_of(e, "volumes", id, sites);
	json_array_foreach(vs, i, n) {
		struct berr e2 = {0};
		job_log(j, "removing volume %s", json_string_value(n));
		if (engine_volume_remove(e, json_string_value(n), &e2) < 0)
			job_log(j, "%s", e2.message);
	}
	json_decref(vs);
	json_t *ns = objects_of(e, "networks", id, NULL);
	json_array_foreach(ns, i, n) {
		struct berr e2 = {0};
		job_log(j, "removing network %s", json_string_value(n));
		if (engine_network_remove(e, json_string_value(n), &e2) < 0)
			job_log(j, "%s", e2.message);
	}
	json_decref(ns);
	/* what is still there is what could not be removed */
	struct sbuf left = SBUF_INIT;
	cs = objects_of(e, "containers", id, edge);
	vs = objects_of(e, "volumes", id, sites);
	ns = objects_of(e, "networks", id, NULL);
	describe(&left, "container", cs);
	describe(&left, "volume", vs);
	describe(&left, "network", ns);
	json_decref(cs);
	json_decref(vs);
	json_decref(ns);
	ops_edge_unlock(id);
	engine_close(e);
	int rc = 0;
	if (left.len) {
		rc = berr_set(err, BE_INTERNAL_ERROR, NULL,
			      "left on server %.60s: %.300s (the Docker Engine refused to remove them:"
			      " see the job's log); the server is kept: delete it again to retry",
			      r.name, sbuf_str(&left));
		ops_server_status(id, "error", err->message);
	} else {
		job_stage(j, "Forget server");
		if (servers_delete(id) < 0)
			rc = berr_set(err, BE_INTERNAL_ERROR, NULL, "the server's row could not be deleted");
		else
			job_log(j, "server %s removed", r.name);
	}
	sbuf_release(&left);
	server_row_free(&r);
	return rc;
}

void ops_register_server(void)
{
	queue_register("prepare", job_prepare);
	queue_register("server_remove", job_server_remove);
	daemon_set_local_registrar(ops_server_register_local);
}
