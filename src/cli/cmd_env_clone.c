/* cmd_env_clone.c: berth env clone ENV --type T, berth env refresh ENV --from SOURCE
 * (POST /api/v1/environments/{id}/clone and /refresh, docs/clones.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd_env_clone.h"
#include "cli/client.h"
#include "cli/out.h"
#include "cli/resolve.h"

#define ORG_OPTION {"org", OPT_STR, NULL, "ORG", "the organization (id, slug or name)", 0}
#define PROJECT_OPTION                                                                         \
	{"project", OPT_STR, NULL, "PROJECT", "the project (slug, name or id); default: search"     \
					      " the organization", 0}
#define FOLLOW_OPTIONS                                                                         \
	{"follow", OPT_FLAG, NULL, NULL, "follow the job's log live until it ends", 0},           \
	{"wait", OPT_FLAG, NULL, NULL, "same as --follow", 0}

const struct opt ENV_CLONE_OPTS[] = {
	ORG_OPTION,
	PROJECT_OPTION,
	{"type", OPT_STR, "env_type", "TYPE", "staging or development (required)", 0},
	{"name", OPT_STR, "name", "NAME", "the new environment's name (default: ENV-TYPE)", 0},
	{"subdomain", OPT_STR, "subdomain", "SUB", "its subdomain (default: from the name)", 0},
	{"server", OPT_STR, NULL, "SERVER", "its server (default: the source's; another one streams"
					    " the copy through berthd)", 0},
	{"branch", OPT_STR, "git_branch", "BRANCH", "its branch (default: the source's)", 0},
	{"cpu", OPT_NUM, "cpu_cores", "CORES", "CPU cores (default: the source's)", 0},
	{"ram", OPT_INT, "ram_mb", "MB", "memory in MB (default: the source's)", 0},
	{"disk", OPT_INT, "disk_gb", "GB", "disk in GB (default: the source's)", 0},
	{"anonymize", OPT_BOOL, "anonymize", NULL,
	 "anonymize personal data (default: the source's Anonymize Database setting)", 0},
	FOLLOW_OPTIONS,
	OPT_END,
};

const struct opt ENV_REFRESH_OPTS[] = {
	ORG_OPTION,
	PROJECT_OPTION,
	{"from", OPT_STR, NULL, "SOURCE", "the environment to copy (name or id; required)", 0},
	FOLLOW_OPTIONS,
	OPT_END,
};

static int follow(struct cli *c, struct args *a, json_t *job, const char *what)
{
	job_queued_msg(c, job, what);
	if (arg_has(a, "wait") || arg_has(a, "follow"))
		return job_follow(c, jstr(job, "id"));
	return EX_OK;
}

int cmd_env_clone(struct cli *c, struct args *a)
{
	if (!arg_has(a, "type"))
		return cli_fail(EX_USAGE, "--type is required (staging or development)");
	json_t *src = NULL, *server = NULL, *out = NULL;
	int ex = resolve_env(c, arg_get(a, "org"), arg_get(a, "project"), a->pos[0], &src);
	if (ex)
		return ex;
	json_t *body = json_object();
	args_to_body(a, body);
	if (arg_has(a, "server")) {
		if ((ex = resolve_server(c, jstr(src, "org_id"), arg_get(a, "server"), &server)))
			goto done;
		json_object_set(body, "vm_id", json_object_get(server, "id"));
	}
	char *path = xasprintf("/api/v1/environments/%s/clone", jstr(src, "id"));
	ex = api_call(c, "POST", path, body, &out, 0);
	free(path);
	if (ex)
		goto done;
	json_t *env = json_object_get(out, "environment");
	if (c->json) {
		print_json(out);
	} else {
		char *name = xstrdup(jstr(env, "name") ? jstr(env, "name") : "");
		sanitize(name);
		printf("Cloning %s into %s (%s, %s).\n", jstr(src, "name"), name, jstr(env, "env_type"),
		       jstr(env, "url") ? jstr(env, "url") : "");
		free(name);
	}
	ex = follow(c, a, json_object_get(out, "job"), "Clone");
done:
	json_decref(out);
	json_decref(body);
	json_decref(server);
	json_decref(src);
	return ex;
}

int cmd_env_refresh(struct cli *c, struct args *a)
{
	if (!arg_has(a, "from"))
		return cli_fail(EX_USAGE, "--from is required (the environment to copy)");
	json_t *dst = NULL, *src = NULL, *out = NULL;
	int ex = resolve_env(c, arg_get(a, "org"), arg_get(a, "project"), a->pos[0], &dst);
	if (ex)
		return ex;
	if ((ex = resolve_env(c, arg_get(a, "org"), jstr(dst, "project_id"), arg_get(a, "from"),
			      &src))) {
		json_decref(dst);
		return ex;
	}
	json_t *body = json_pack("{s:O}", "from", json_object_get(src, "id"));
	char *path = xasprintf("/api/v1/environments/%s/refresh", jstr(dst, "id"));
	ex = api_call(c, "POST", path, body, &out, 0);
	free(path);
	json_decref(body);
	if (ex == EX_OK && !c->json)
		printf("Refreshing %s from %s (its settings and branch stay).\n", jstr(dst, "name"),
		       jstr(src, "name"));
	if (ex == EX_OK)
		ex = follow(c, a, json_object_get(out, "job"), "Refresh");
	json_decref(out);
	json_decref(src);
	json_decref(dst);
	return ex;
}
