/* servers.c: servers of an organization, reached over SSH or the local Docker socket. */
#include <ctype.h>
#include <string.h>

#include "api/auth.h"
#include "api/http.h"
#include "lib/jspec.h"
#include "lib/valid.h"
#include "store/model.h"
#include "svc/servers.h"

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
		{.name = "mounts_root", .type = J_STRING, .dest = &in->mounts_root, .maxlen = 1024},
		{.name = "cloudflare_proxy", .type = J_BOOL, .dest = &in->cloudflare_proxy,
		 .present = &in->has_cloudflare},
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
	if (in->mounts_root && (!valid_server_dir(in->mounts_root) || str_eq(in->mounts_root, "/")))
		return berr_set(&r->err, BE_VALIDATION_ERROR, "mounts_root",
				"mounts_root: an absolute directory other than / (letters, digits and"
				" ._+@=,~- between slashes)");
	if (in->has_key && in->private_key && !strstr(in->private_key, "PRIVATE KEY-----"))
		return berr_set(&r->err, BE_VALIDATION_ERROR, "private_key",
				"private_key: not a PEM or OpenSSH private key");
	if (in->has_key && in->has_pw && in->private_key && in->password)
		return berr_set(&r->err, BE_VALIDATION_ERROR, "password",
				"password: give either private_key or password, not both");
	return 0;
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

/* A body that carries nothing: {} or none (unknown fields and arrays are refused). */
static int parse_empty(struct req *r)
{
	static const struct jfield none[] = {JF_END};
	return jspec_parse(req_body(r), none, NULL, &r->err);
}

static int h_server_create(struct req *r)
{
	struct access acc;
	struct server_in in = {0};
	if (access_org(&r->actor, r->params[0], &acc, &r->err) < 0) {
		/* the platform administrator assigns a local server to any organization */
		struct berr nf = r->err;
		if (!r->actor.is_admin || parse_server(r, &in, true) < 0 ||
		    !str_eq(in.transport, "local") ||
		    access_org_platform(&r->actor, r->params[0], &acc, &r->err) < 0) {
			r->err = nf;
			return reply_berr(r);
		}
		in = (struct server_in){0};
	}
	if (perm_require(&acc, "server.manage", &r->err) < 0 || parse_server(r, &in, true) < 0)
		goto fail;
	json_t *out = svc_server_create(&r->actor, r->ip, acc.org_id, &in, &r->err);
	if (!out)
		goto fail;
	access_release(&acc);
	return reply_json(r, 201, out);
fail:
	access_release(&acc);
	return reply_berr(r);
}

static int h_server_get(struct req *r)
{
	struct access acc;
	json_t *s = access_server_platform(&r->actor, r->params[0], &acc, &r->err);
	if (!s)
		return reply_berr(r);
	json_decref(s);
	access_release(&acc);
	return reply_json(r, 200, model_server_get(r->params[0]));
}

static int h_server_update(struct req *r)
{
	struct access acc;
	json_t *s = access_server_platform(&r->actor, r->params[0], &acc, &r->err);
	if (!s)
		return reply_berr(r);
	json_decref(s);
	struct server_in in = {0};
	const char *id = r->params[0];
	if (perm_require(&acc, "server.manage", &r->err) < 0 || parse_server(r, &in, false) < 0)
		goto fail;
	json_t *out = svc_server_update(&r->actor, r->ip, acc.org_id, id, &in, &r->err);
	if (!out)
		goto fail;
	access_release(&acc);
	return reply_json(r, 200, out);
fail:
	access_release(&acc);
	return reply_berr(r);
}

static int h_server_delete(struct req *r)
{
	struct access acc;
	json_t *s = access_server_platform(&r->actor, r->params[0], &acc, &r->err);
	if (!s)
		return reply_berr(r);
	json_decref(s);
	/* an optional {"force": true}; other fields are ignored as they always were */
	json_t *force = json_object_get(req_body(r), "force");
	int status;
	if (perm_require(&acc, "server.manage", &r->err) < 0) {
		status = reply_berr(r);
	} else if (force && !json_is_boolean(force)) {
		status = reply_error(r, BE_VALIDATION_ERROR, "force", "force: must be a boolean");
	} else if (svc_server_delete(&r->actor, r->ip, acc.org_id, r->params[0], json_is_true(force),
				     &r->err) < 0) {
		status = reply_berr(r);
	} else {
		status = reply_no_content(r);
	}
	access_release(&acc);
	return status;
}

static int h_server_test(struct req *r)
{
	struct access acc;
	json_t *s = access_server_platform(&r->actor, r->params[0], &acc, &r->err);
	if (!s)
		return reply_berr(r);
	json_decref(s);
	if (perm_require(&acc, "server.manage", &r->err) < 0 || parse_empty(r) < 0) {
		access_release(&acc);
		return reply_berr(r);
	}
	json_t *out = svc_server_test(&r->actor, r->ip, acc.org_id, r->params[0], &r->err);
	access_release(&acc);
	return out ? reply_json(r, 200, out) : reply_berr(r);
}

/* Installs the Docker Engine on a Debian or Ubuntu server (a job). */
static int h_server_prepare(struct req *r)
{
	struct access acc;
	json_t *s = access_server_platform(&r->actor, r->params[0], &acc, &r->err);
	if (!s)
		return reply_berr(r);
	json_decref(s);
	if (perm_require(&acc, "server.manage", &r->err) < 0 || parse_empty(r) < 0) {
		access_release(&acc);
		return reply_berr(r);
	}
	json_t *job = svc_server_prepare(&r->actor, r->ip, acc.org_id, r->params[0], &r->err);
	access_release(&acc);
	if (!job)
		return reply_berr(r);
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
