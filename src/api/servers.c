/* servers.c: servers of an organization, reached over SSH or the local Docker socket. */
#include <ctype.h>
#include <string.h>

#include "api/auth.h"
#include "api/http.h"
#include "drivers/probe.h"
#include "jobs/queue.h"
#include "lib/jspec.h"
#include "lib/secret.h"
#include "lib/valid.h"
#include "store/db.h"
#include "store/model.h"
#include "api/servers.h"
#include <sodium.h>

static bool valid_server_name(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 || n > 63 || !isalnum((unsigned char)s[0]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("-_.", s[i]))
			return false;
	return true;
}

static bool valid_unix_user(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 || n > 32 || !(islower((unsigned char)s[0]) || s[0] == '_'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i]) && !strchr("-_.", s[i]))
			return false;
	return true;
}

struct server_in {
	const char *name, *transport, *host, *user, *private_key, *password, *docker_socket;
	long long port, max_projects, http_port, https_port;
	bool has_port, has_max, has_http, has_https, has_key, has_pw, reset_host_key;
};

static int parse_server(struct req *r, struct server_in *in, bool create)
{
	struct jfield spec[] = {
		{.name = "name", .type = J_STRING, .required = create, .dest = &in->name, .maxlen = 63},
		{.name = "transport", .type = J_STRING, .dest = &in->transport},
		{.name = "host", .type = J_STRING, .dest = &in->host, .maxlen = 253},
		{.name = "port", .type = J_INT, .dest = &in->port, .present = &in->has_port, .imin = 1,
		 .imax = 65535},
		{.name = "user", .type = J_STRING, .dest = &in->user, .maxlen = 32},
		{.name = "private_key", .type = J_STRING, .dest = &in->private_key, .present = &in->has_key,
		 .maxlen = 16384, .multiline = true},
		{.name = "password", .type = J_STRING, .dest = &in->password, .present = &in->has_pw,
		 .maxlen = 1024},
		{.name = "docker_socket", .type = J_STRING, .dest = &in->docker_socket},
		{.name = "max_projects", .type = J_INT, .dest = &in->max_projects, .present = &in->has_max,
		 .imin = 1, .imax = 1000},
		{.name = "http_port", .type = J_INT, .dest = &in->http_port, .present = &in->has_http,
		 .imin = 1, .imax = 65535},
		{.name = "https_port", .type = J_INT, .dest = &in->https_port, .present = &in->has_https,
		 .imin = 1, .imax = 65535},
		{.name = "reset_host_key", .type = J_BOOL, .dest = &in->reset_host_key},
		JF_END,
	};
	if (jspec_parse(req_body(r), spec, NULL, &r->err) < 0)
		return -1;
	if (in->name && !valid_server_name(in->name))
		return berr_set(&r->err, BE_VALIDATION_ERROR, "name",
				"name: letters, digits, '-', '_' and '.', starting with a letter or digit");
	if (!create && in->transport)
		return berr_set(&r->err, BE_VALIDATION_ERROR, "transport", "transport: cannot be changed");
	if (in->transport && !str_eq(in->transport, "ssh") && !str_eq(in->transport, "local"))
		return berr_set(&r->err, BE_VALIDATION_ERROR, "transport",
				"transport: must be \"ssh\" or \"local\"");
	if (in->host && !valid_host(in->host))
		return berr_set(&r->err, BE_VALIDATION_ERROR, "host", "host: not a host name or IP address");
	if (in->user && !valid_unix_user(in->user))
		return berr_set(&r->err, BE_VALIDATION_ERROR, "user", "user: not a valid user name");
	if (in->docker_socket && !valid_abs_path(in->docker_socket))
		return berr_set(&r->err, BE_VALIDATION_ERROR, "docker_socket",
				"docker_socket: must be an absolute path");
	if (in->has_key && in->private_key && !strstr(in->private_key, "PRIVATE KEY-----"))
		return berr_set(&r->err, BE_VALIDATION_ERROR, "private_key",
				"private_key: not a PEM or OpenSSH private key");
	if (in->has_key && in->has_pw && in->private_key && in->password)
		return berr_set(&r->err, BE_VALIDATION_ERROR, "password",
				"password: give either private_key or password, not both");
	return 0;
}

static char *seal_credential(const char *key, const char *pw)
{
	json_t *c = json_pack("{s:s?,s:s?}", "private_key", key, "password", pw);
	char *s = json_dumps(c, JSON_COMPACT);
	json_decref(c);
	char *sealed = secret_seal(s);
	secret_free(s);
	return sealed;
}

static int h_servers_list(struct req *r)
{
	struct access acc;
	if (access_org(&r->actor, r->params[0], &acc, &r->err) < 0)
		return reply_berr(r);
	json_t *a = model_servers_of_org(acc.org_id);
	access_release(&acc);
	return reply_json(r, 200, a);
}

static int server_insert(const char *org_id, const struct server_in *in, char id[37], struct berr *err)
{
	bool local = str_eq(in->transport, "local");
	char *cred = local ? NULL : seal_credential(in->private_key, in->password);
	char *now = iso8601_now();
	uuid4(id);
	int rc = db_exec("INSERT INTO servers(id, org_id, name, transport, host, port, user,"
			 " auth_method, credential, docker_socket, max_projects, http_port, https_port,"
			 " created_at, updated_at) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
			 "sssssissssiiiss", id, org_id, in->name, local ? "local" : "ssh",
			 local ? (in->host ? in->host : "localhost") : in->host,
			 (int64_t)(in->has_port ? in->port : 22), local ? NULL : (in->user ? in->user : "root"),
			 local ? "local" : (in->private_key ? "key" : "password"), cred,
			 in->docker_socket ? in->docker_socket : "/var/run/docker.sock",
			 (int64_t)(in->has_max ? in->max_projects : 8),
			 (int64_t)(in->has_http ? in->http_port : 80),
			 (int64_t)(in->has_https ? in->https_port : 443), now, now);
	free(now);
	free(cred);
	if (rc == -2)
		return berr_set(err, BE_NAME_EXISTS, "name", "A server named '%s' already exists", in->name);
	if (rc < 0)
		return berr_set(err, BE_INTERNAL_ERROR, NULL, NULL);
	return 0;
}

static int h_server_create(struct req *r)
{
	struct access acc;
	if (access_org(&r->actor, r->params[0], &acc, &r->err) < 0)
		return reply_berr(r);
	struct server_in in = {0};
	char id[37];
	if (perm_require(&acc, "server.manage", &r->err) < 0 || parse_server(r, &in, true) < 0)
		goto fail;
	if (!in.transport)
		in.transport = "ssh";
	if (str_eq(in.transport, "ssh")) {
		if (!in.host) {
			berr_set(&r->err, BE_VALIDATION_ERROR, "host", "host: is required");
			goto fail;
		}
		if (!in.private_key && !in.password) {
			berr_set(&r->err, BE_VALIDATION_ERROR, "private_key",
				 "private_key: give private_key or password");
			goto fail;
		}
	} else if (in.private_key || in.password) {
		berr_set(&r->err, BE_VALIDATION_ERROR, "transport",
			 "transport: a local server takes no credentials");
		goto fail;
	}
	db_begin();
	struct usage u;
	model_org_usage(acc.org_id, NULL, &u);
	json_t *plan = model_org_plan(acc.org_id);
	long long max = json_integer_value(json_object_get(plan, "max_servers"));
	json_decref(plan);
	if (u.servers >= max) {
		db_rollback();
		berr_set(&r->err, BE_QUOTA_EXCEEDED, NULL,
			 "Cannot add server - server quota exceeded (%lld of %lld)", u.servers, max);
		goto fail;
	}
	if (server_insert(acc.org_id, &in, id, &r->err) < 0) {
		db_rollback();
		goto fail;
	}
	audit_record(r, acc.org_id, "server.create", "server", id,
		     json_pack("{s:s,s:s,s:s?}", "name", in.name, "transport", in.transport, "host", in.host));
	db_commit();
	access_release(&acc);
	return reply_json(r, 201, model_server_get(id));
fail:
	access_release(&acc);
	return reply_berr(r);
}

static int h_server_get(struct req *r)
{
	struct access acc;
	json_t *s = access_server(&r->actor, r->params[0], &acc, &r->err);
	if (!s)
		return reply_berr(r);
	json_decref(s);
	access_release(&acc);
	return reply_json(r, 200, model_server_get(r->params[0]));
}

static int h_server_update(struct req *r)
{
	struct access acc;
	json_t *s = access_server(&r->actor, r->params[0], &acc, &r->err);
	if (!s)
		return reply_berr(r);
	json_decref(s);
	struct server_in in = {0};
	const char *id = r->params[0];
	if (perm_require(&acc, "server.manage", &r->err) < 0 || parse_server(r, &in, false) < 0)
		goto fail;
	char *transport = db_str("SELECT transport FROM servers WHERE id=?", "s", id);
	bool local = str_eq(transport, "local");
	free(transport);
	if (local && (in.has_key || in.has_pw || in.user)) {
		berr_set(&r->err, BE_VALIDATION_ERROR, in.user ? "user" : "private_key",
			 "%s: a local server takes no credentials", in.user ? "user" : "private_key");
		goto fail;
	}
	db_begin();
	char *now = iso8601_now();
	int rc = 0;
	if (in.name)
		rc = db_exec("UPDATE servers SET name=? WHERE id=?", "ss", in.name, id);
	if (rc == -2) {
		db_rollback();
		free(now);
		berr_set(&r->err, BE_NAME_EXISTS, "name", "A server named '%s' already exists", in.name);
		goto fail;
	}
	if (in.host)
		db_exec("UPDATE servers SET host=?, host_key=NULL WHERE id=? AND host IS NOT ?", "sss",
			in.host, id, in.host);
	if (in.has_port)
		db_exec("UPDATE servers SET port=? WHERE id=?", "is", (int64_t)in.port, id);
	if (in.user)
		db_exec("UPDATE servers SET user=? WHERE id=?", "ss", in.user, id);
	if ((in.has_key && in.private_key) || (in.has_pw && in.password)) {
		char *cred = seal_credential(in.has_key ? in.private_key : NULL,
					     in.has_key ? NULL : in.password);
		db_exec("UPDATE servers SET credential=?, auth_method=? WHERE id=?", "sss", cred,
			in.has_key ? "key" : "password", id);
		free(cred);
	}
	if (in.docker_socket)
		db_exec("UPDATE servers SET docker_socket=? WHERE id=?", "ss", in.docker_socket, id);
	if (in.has_max)
		db_exec("UPDATE servers SET max_projects=? WHERE id=?", "is", (int64_t)in.max_projects, id);
	if (in.has_http)
		db_exec("UPDATE servers SET http_port=? WHERE id=?", "is", (int64_t)in.http_port, id);
	if (in.has_https)
		db_exec("UPDATE servers SET https_port=? WHERE id=?", "is", (int64_t)in.https_port, id);
	if (in.reset_host_key)
		db_exec("UPDATE servers SET host_key=NULL WHERE id=?", "s", id);
	db_exec("UPDATE servers SET updated_at=? WHERE id=?", "ss", now, id);
	free(now);
	audit_record(r, acc.org_id, "server.update", "server", id, NULL);
	db_commit();
	access_release(&acc);
	return reply_json(r, 200, model_server_get(id));
fail:
	access_release(&acc);
	return reply_berr(r);
}

static int h_server_delete(struct req *r)
{
	struct access acc;
	json_t *s = access_server(&r->actor, r->params[0], &acc, &r->err);
	if (!s)
		return reply_berr(r);
	json_decref(s);
	int status;
	if (perm_require(&acc, "server.manage", &r->err) < 0) {
		status = reply_berr(r);
	} else if (db_int(0, "SELECT count(*) FROM environments WHERE vm_id=?", "s", r->params[0]) > 0) {
		status = reply_error(r, BE_CONFLICT, NULL,
				     "The server still hosts environments: remove them first");
	} else {
		db_exec("DELETE FROM servers WHERE id=?", "s", r->params[0]);
		audit_record(r, acc.org_id, "server.delete", "server", r->params[0], NULL);
		status = reply_no_content(r);
	}
	access_release(&acc);
	return status;
}

/* Probes the server and records the outcome. Shared with start-up registration. */
static bool server_test_record(const char *id, bool prepare_ok);

void server_test_and_record(const char *id)
{
	server_test_record(id, false);
}

/* Probes and records; true when Docker is missing and a prepare job should run. */
static bool server_test_record(const char *id, bool prepare_ok)
{
	json_t *s = db_row("SELECT transport, host, port, user, docker_socket, host_key FROM servers"
			   " WHERE id=?", "s", id);
	if (!s)
		return false;
	char *sealed = db_str("SELECT credential FROM servers WHERE id=?", "s", id);
	char *plain = sealed ? secret_open(sealed) : NULL;
	json_t *cred = plain ? json_loads(plain, 0, NULL) : NULL;
	struct server_target t = {
		.transport = json_string_value(json_object_get(s, "transport")),
		.host = json_string_value(json_object_get(s, "host")),
		.port = (int)json_integer_value(json_object_get(s, "port")),
		.user = json_string_value(json_object_get(s, "user")),
		.private_key = json_string_value(json_object_get(cred, "private_key")),
		.password = json_string_value(json_object_get(cred, "password")),
		.docker_socket = json_string_value(json_object_get(s, "docker_socket")),
		.known_host_key = json_string_value(json_object_get(s, "host_key")),
	};
	struct probe_result pr;
	memset(&pr, 0, sizeof pr);
	server_probe(&t, &pr);
	if (pr.docker_missing && prepare_ok) {
		/* Debian/Ubuntu servers without Docker get it installed by a prepare job */
		snprintf(pr.status, sizeof pr.status, "provisioning");
		snprintf(pr.reason, sizeof pr.reason,
			 "Docker Engine is not installed: installing it (prepare job)");
	}
	char *now = iso8601_now();
	db_exec("UPDATE servers SET status=?, status_reason=?, last_checked_at=?, updated_at=?"
		" WHERE id=?", "sssss", pr.status, pr.reason[0] ? pr.reason : NULL, now, now, id);
	if (pr.host_key[0] && !t.known_host_key)
		db_exec("UPDATE servers SET host_key=? WHERE id=?", "ss", pr.host_key, id);
	if (str_eq(pr.status, "running"))
		db_exec("UPDATE servers SET cpu_cores=?, ram_mb=?, disk_gb=?, docker_version=? WHERE id=?",
			"diiss", pr.cpu_cores, (int64_t)pr.ram_mb, (int64_t)pr.disk_gb,
			pr.docker_version, id);
	free(now);
	if (cred) {
		/* wipe key material held in the parsed copy */
		const char *k;
		json_t *v;
		json_object_foreach(cred, k, v)
			if (json_is_string(v))
				sodium_memzero((void *)json_string_value(v), strlen(json_string_value(v)));
		json_decref(cred);
	}
	secret_free(plain);
	free(sealed);
	json_decref(s);
	return pr.docker_missing && prepare_ok;
}

static int h_server_test(struct req *r)
{
	struct access acc;
	json_t *s = access_server(&r->actor, r->params[0], &acc, &r->err);
	if (!s)
		return reply_berr(r);
	json_decref(s);
	if (perm_require(&acc, "server.manage", &r->err) < 0) {
		access_release(&acc);
		return reply_berr(r);
	}
	if (server_test_record(r->params[0], true)) {
		char *queued = db_str("SELECT id FROM jobs WHERE server_id=? AND environment_id IS NULL"
				      " AND type='prepare' AND status IN ('queued','running')", "s",
				      r->params[0]);
		if (!queued) {
			json_t *job = queue_enqueue(acc.org_id, NULL, r->params[0], "prepare", NULL,
						    r->actor.user_id, r->actor.email);
			json_decref(job);
		}
		free(queued);
	}
	json_t *out = model_server_get(r->params[0]);
	audit_record(r, acc.org_id, "server.test", "server", r->params[0],
		     json_pack("{s:O}", "status", json_object_get(out, "status")));
	access_release(&acc);
	return reply_json(r, 200, out);
}

/* Installs the Docker Engine on a Debian or Ubuntu server (a job). */
static int h_server_prepare(struct req *r)
{
	struct access acc;
	json_t *s = access_server(&r->actor, r->params[0], &acc, &r->err);
	if (!s)
		return reply_berr(r);
	json_decref(s);
	if (perm_require(&acc, "server.manage", &r->err) < 0) {
		access_release(&acc);
		return reply_berr(r);
	}
	char *queued = db_str("SELECT id FROM jobs WHERE server_id=? AND environment_id IS NULL AND"
			      " type='prepare' AND status IN ('queued','running')", "s", r->params[0]);
	json_t *job = queued ? queue_job_json(queued)
			     : queue_enqueue(acc.org_id, NULL, r->params[0], "prepare", NULL,
					     r->actor.user_id, r->actor.email);
	if (!queued) {
		db_exec("UPDATE servers SET status='provisioning', status_reason=NULL WHERE id=?", "s",
			r->params[0]);
		audit_record(r, acc.org_id, "server.prepare", "server", r->params[0],
			     json_pack("{s:O}", "job", json_object_get(job, "id")));
	}
	free(queued);
	access_release(&acc);
	return reply_json(r, 202, job);
}

const struct route server_routes[] = {
	{"POST", "/api/v1/servers/{}/prepare", h_server_prepare, 0},
	{"GET", "/api/v1/orgs/{}/servers", h_servers_list, 0},
	{"POST", "/api/v1/orgs/{}/servers", h_server_create, 0},
	{"GET", "/api/v1/servers/{}", h_server_get, 0},
	{"PATCH", "/api/v1/servers/{}", h_server_update, 0},
	{"DELETE", "/api/v1/servers/{}", h_server_delete, 0},
	{"POST", "/api/v1/servers/{}/test", h_server_test, 0},
	{NULL, NULL, NULL, 0},
};

int server_register_local(const char *org_id)
{
	if (db_int(0, "SELECT count(*) FROM servers WHERE transport='local'", "") > 0)
		return 0;
	struct server_in in = {.name = "local", .transport = "local"};
	char id[37];
	struct berr err = {0};
	if (server_insert(org_id, &in, id, &err) < 0)
		return -1;
	server_test_and_record(id);
	return 1;
}
