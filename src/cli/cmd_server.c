/* cmd_server.c: berth server list|show|create|update|delete|test|prepare. */
#include <errno.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/out.h"
#include "cli/resolve.h"
#include "lib/util.h"

static const char *const SHOW_KEYS[] = {"id", "name", "transport", "host", "port", "user",
					"status", "status_reason", "docker_version", "capacity",
					"allocated", "remaining", "environment_count", "mounts_root",
					"cloudflare_proxy", NULL};

static int cmd_list(struct cli *c, struct args *a)
{
	json_t *list;
	int ex = resolve_org_get(c, arg_get(a, "org"), "servers", &list);
	if (ex)
		return ex;
	if (emit_json(c, list))
		return EX_OK;
	struct table *t = table_new("NAME TRANSPORT HOST STATUS CPU RAM DISK ALLOCATED ID");
	size_t i;
	json_t *s;
	json_array_foreach(list, i, s) {
		char ram[32], disk[32], aram[32];
		fmt_unit(json_path(s, "capacity.ram_mb"), "M", ram, sizeof ram);
		fmt_unit(json_path(s, "capacity.disk_gb"), "G", disk, sizeof disk);
		fmt_unit(json_path(s, "allocated.ram_mb"), "M", aram, sizeof aram);
		table_cellj(t, s, "name");
		table_cellj(t, s, "transport");
		table_cellj(t, s, "host");
		table_cellj(t, s, "status");
		table_cellj(t, s, "capacity.cpu_cores");
		table_cell(t, ram);
		table_cell(t, disk);
		char *acpu = fmt_json(json_path(s, "allocated.cpu_cores"));
		table_cellf(t, "%s CPU, %s", acpu, aram);
		free(acpu);
		table_cellj(t, s, "id");
	}
	table_print(t);
	json_decref(list);
	return EX_OK;
}

static int cmd_show(struct cli *c, struct args *a)
{
	json_t *s;
	int ex = resolve_server(c, arg_get(a, "org"), a->pos[0], &s);
	if (ex)
		return ex;
	emit(c, s, SHOW_KEYS, 0);
	return EX_OK;
}

/* Credentials from --key-file and --password-stdin. */
static int add_credentials(struct cli *c, struct args *a, json_t *body)
{
	if (arg_has(a, "key-file")) {
		size_t len;
		char *key = read_file(arg_get(a, "key-file"), &len);
		if (!key)
			return usage_error(c, "--key-file: cannot read %s: %s", arg_get(a, "key-file"),
					   strerror(errno));
		json_t *k = json_string(key);
		explicit_bzero(key, len);
		free(key);
		if (!k)
			return usage_error(c, "--key-file: %s is not a text key", arg_get(a, "key-file"));
		json_object_set_new(body, "private_key", k);
	}
	if (arg_has(a, "password-stdin")) {
		char *pw = read_secret(c, "SSH password: ", true, false);
		if (!pw)
			return EX_USAGE;
		json_t *p = json_string(pw);
		secret_wipe_free(pw);
		if (!p)
			return usage_error(c, "the password must be UTF-8 text");
		json_object_set_new(body, "password", p);
	}
	return EX_OK;
}

static int test_server(struct cli *c, const char *id, json_t **out)
{
	char *path = xasprintf("/api/v1/servers/%s/test", id);
	int ex = api_call(c, "POST", path, NULL, out, 0);
	free(path);
	return ex;
}

static void print_status(json_t *s)
{
	char *reason = fmt_json(json_object_get(s, "status_reason"));
	sanitize(reason);
	printf("Server %s: %s%s%s\n", jstr(s, "name"), jstr(s, "status"),
	       strcmp(reason, "-") ? " - " : "", strcmp(reason, "-") ? reason : "");
	free(reason);
	if (json_is_number(json_path(s, "capacity.cpu_cores"))) {
		char *cpu = fmt_json(json_path(s, "capacity.cpu_cores"));
		printf("Capacity: %s CPU, %lld MB RAM, %lld GB disk; Docker %s\n", cpu,
		       (long long)json_integer_value(json_path(s, "capacity.ram_mb")),
		       (long long)json_integer_value(json_path(s, "capacity.disk_gb")),
		       jstr(s, "docker_version"));
		free(cpu);
	}
}

static int cmd_create(struct cli *c, struct args *a)
{
	json_t *body = body_from_args(c, a);
	if (!body)
		return EX_USAGE;
	json_object_set_new(body, "name", json_string(a->pos[0]));
	char *org = NULL;
	json_t *s = NULL;
	int ex = add_credentials(c, a, body);
	if (ex == EX_OK)
		ex = resolve_org(c, arg_get(a, "org"), &org);
	if (ex == EX_OK) {
		char *path = xasprintf("/api/v1/orgs/%s/servers", org);
		ex = api_call(c, "POST", path, body, &s, 0);
		free(path);
	}
	json_wipe_strings(body);
	json_decref(body);
	free(org);
	if (ex)
		return ex;
	if (arg_has(a, "test")) {
		json_t *t;
		ex = test_server(c, jstr(s, "id"), &t);
		if (ex == EX_OK) {
			json_decref(s);
			s = t;
		}
	}
	if (c->json) {
		print_json(s);
	} else {
		printf("Created server %s (id %s).\n", jstr(s, "name"), jstr(s, "id"));
		print_status(s);
		if (!arg_has(a, "test"))
			printf("Check it with: berth server test %s\n", jstr(s, "name"));
	}
	json_decref(s);
	return ex;
}

static int cmd_update(struct cli *c, struct args *a)
{
	json_t *body = body_from_args(c, a);
	if (!body)
		return EX_USAGE;
	json_t *s = NULL, *ans = NULL;
	int ex = add_credentials(c, a, body);
	if (ex == EX_OK && !json_object_size(body))
		ex = usage_error(c, "nothing to change");
	if (ex == EX_OK)
		ex = resolve_server(c, arg_get(a, "org"), a->pos[0], &s);
	if (ex == EX_OK) {
		char *path = xasprintf("/api/v1/servers/%s", jstr(s, "id"));
		ex = api_call(c, "PATCH", path, body, &ans, 0);
		free(path);
	}
	json_wipe_strings(body);
	json_decref(body);
	json_decref(s);
	if (ex)
		return ex;
	emit_msg(c, json_incref(ans), "Updated server %s.", jstr(ans, "name"));
	json_decref(ans);
	return EX_OK;
}

static int cmd_delete(struct cli *c, struct args *a)
{
	json_t *s;
	int ex = resolve_server(c, arg_get(a, "org"), a->pos[0], &s);
	if (ex)
		return ex;
	char *path = xasprintf("/api/v1/servers/%s", jstr(s, "id"));
	ex = api_call(c, "DELETE", path, NULL, NULL, 0);
	json_t *left = NULL;
	/* a server berth made objects on is removed by a server_remove job: say so */
	if (ex == EX_OK && !c->json &&
	    api_call(c, "GET", path, NULL, &left, API_QUIET) == EX_OK &&
	    str_eq(jstr(left, "status"), "removing"))
		printf("Removing server %s: a server_remove job removes berth's objects on it, then"
		       " the server (berth job list).\n", jstr(s, "name"));
	else if (ex == EX_OK && !c->json)
		printf("Deleted server %s.\n", jstr(s, "name"));
	json_decref(left);
	free(path);
	json_decref(s);
	return ex;
}

static int cmd_test(struct cli *c, struct args *a)
{
	json_t *s, *t;
	int ex = resolve_server(c, arg_get(a, "org"), a->pos[0], &s);
	if (ex)
		return ex;
	ex = test_server(c, jstr(s, "id"), &t);
	json_decref(s);
	if (ex)
		return ex;
	if (c->json)
		print_json(t);
	else
		print_status(t);
	json_decref(t);
	return EX_OK;
}

static int cmd_prepare(struct cli *c, struct args *a)
{
	json_t *s, *job;
	int ex = resolve_server(c, arg_get(a, "org"), a->pos[0], &s);
	if (ex)
		return ex;
	char *path = xasprintf("/api/v1/servers/%s/prepare", jstr(s, "id"));
	ex = api_call(c, "POST", path, NULL, &job, 0);
	free(path);
	json_decref(s);
	if (ex)
		return ex;
	job_queued_msg(c, job, "Preparation");
	if ((arg_has(a, "wait") || arg_has(a, "follow")))
		ex = job_follow(c, jstr(job, "id"));
	json_decref(job);
	return ex;
}

#define ORG_OPTION {"org", OPT_STR, NULL, "ORG", "the organization (id, slug or name)", 0}
#define CONN_OPTS                                                                               \
	{"host", OPT_STR, "host", "HOST", "host name or IP address (ssh)", 0},                      \
	{"port", OPT_INT, "port", "PORT", "SSH port (default 22)", 0},                              \
	{"user", OPT_STR, "user", "USER", "SSH user (default root)", 0},                            \
	{"key-file", OPT_STR, NULL, "PATH", "SSH private key file (PEM or OpenSSH)", 0},            \
	{"password-stdin", OPT_FLAG, NULL, NULL, "read the SSH password from stdin", 0},            \
	{"docker-socket", OPT_STR, "docker_socket", "PATH", "Docker socket on the server", 0},      \
	{"max-projects", OPT_INT, "max_projects", "N", "environments it may host (default 8)", 0},  \
	{"http-port", OPT_INT, "http_port", "PORT", "edge proxy HTTP port (default 80)", 0},        \
	{"https-port", OPT_INT, "https_port", "PORT", "edge proxy HTTPS port (default 443)", 0},    \
	{"data", OPT_STR, NULL, "JSON", "more fields as a JSON object (options win)", 0}

static const struct opt ORG_OPT[] = {ORG_OPTION, OPT_END};
static const struct opt CREATE_OPTS[] = {
	ORG_OPTION,
	{"transport", OPT_STR, "transport", "T", "ssh (default) or local (this machine's Docker)", 0},
	CONN_OPTS,
	{"test", OPT_FLAG, NULL, NULL, "test the connection right after creating it", 0},
	OPT_END,
};
static const struct opt UPDATE_OPTS[] = {
	ORG_OPTION,
	{"name", OPT_STR, "name", "NAME", "new name", 0},
	{"mounts-root", OPT_STR, "mounts_root", "DIR",
	 "where environments' server directories may be (default /srv/berth)", 0},
	CONN_OPTS,
	{"reset-host-key", OPT_FLAG, "reset_host_key", NULL,
	 "forget the pinned SSH host key (after a reinstall)", 0},
	{"cloudflare-proxy", OPT_BOOL, "cloudflare_proxy", NULL,
	 "the server is behind Cloudflare's proxy (--no-cloudflare-proxy: not)", 0},
	OPT_END,
};
static const struct opt PREPARE_OPTS[] = {
	ORG_OPTION,
	{"follow", OPT_FLAG, NULL, NULL, "follow the job's log live until it ends", 0},
	{"wait", OPT_FLAG, NULL, NULL, "same as --follow", 0},
	OPT_END,
};

extern const struct opt SERVER_METRICS_OPTS[]; /* cli/cmd_env_metrics.c */
int cmd_server_metrics(struct cli *c, struct args *a);
const struct verb server_verbs[] = {
	{"list", "", "List the organization's servers.", ORG_OPT, 0, 0, cmd_list},
	{"show", "SERVER", "Show a server with its capacity and allocation.", ORG_OPT, 1, 1, cmd_show},
	{"create", "NAME [--transport local] | --host HOST (--key-file PATH | --password-stdin)",
	 "Add a server: over SSH, or the local Docker Engine with --transport local.", CREATE_OPTS,
	 1, 1, cmd_create},
	{"update", "SERVER [OPTIONS]", "Change a server's connection or limits.", UPDATE_OPTS, 1, 1,
	 cmd_update},
	{"delete", "SERVER", "Remove a server that hosts no environments.", ORG_OPT, 1, 1, cmd_delete},
	{"test", "SERVER", "Test the connection; records status and capacity.", ORG_OPT, 1, 1,
	 cmd_test},
	{"prepare", "SERVER [--follow]", "Install the Docker Engine on a Debian/Ubuntu server (a job).",
	 PREPARE_OPTS, 1, 1, cmd_prepare},
	{"metrics", "SERVER [--range 6h|24h|48h]", "The host's CPU, load, memory and disk.",
	 SERVER_METRICS_OPTS, 1, 1, cmd_server_metrics},
	{NULL, NULL, NULL, NULL, 0, 0, NULL},
};
