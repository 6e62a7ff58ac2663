/* cmd_env_access.c: `berth env access ENV [--reveal ide_password|db_password]` (GET
 * /environments/{id}/access, printed as a table or --json) and `berth env ide-password ENV
 * --rotate [--follow]` (POST /environments/{id}/ide/password, a job). */
#include <stdio.h>
#include <string.h>

#include "cli/client.h"
#include "cli/cmd_env_access.h"
#include "cli/resolve.h"
#include "lib/util.h"

const struct opt env_access_opts[] = {
	{"org", OPT_STR, NULL, "ORG", "the organization (id, slug or name)", 0},
	{"project", OPT_STR, NULL, "PROJECT", "the project (slug, name or id)", 0},
	{"reveal", OPT_STR, NULL, "WHAT", "show a password: ide_password or db_password (audited)",
	 0},
	OPT_END,
};

const struct opt env_ide_password_opts[] = {
	{"org", OPT_STR, NULL, "ORG", "the organization (id, slug or name)", 0},
	{"project", OPT_STR, NULL, "PROJECT", "the project (slug, name or id)", 0},
	{"rotate", OPT_FLAG, NULL, NULL, "give the IDE a new random password", 0},
	{"follow", OPT_FLAG, NULL, NULL, "follow the job's log live until it ends", 0},
	OPT_END,
};

static const char *or_dash(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_string(v) ? json_string_value(v) : "-";
}

static void row(const char *k, const char *v)
{
	printf("%-16s %s\n", k, v);
}

int cmd_env_access(struct cli *c, struct args *a)
{
	const char *reveal = arg_get(a, "reveal");
	if (reveal && strcmp(reveal, "ide_password") != 0 && strcmp(reveal, "db_password") != 0)
		return usage_error(c, "--reveal: ide_password or db_password");
	json_t *e, *out;
	int ex = resolve_env(c, arg_get(a, "org"), arg_get(a, "project"), a->pos[0], &e);
	if (ex)
		return ex;
	char *path = xasprintf("/api/v1/environments/%s/access%s%s", jstr(e, "id"),
			       reveal ? "?reveal=" : "", reveal ? reveal : "");
	ex = api_get(c, path, &out);
	free(path);
	json_decref(e);
	if (ex)
		return ex;
	if (emit_json(c, out))
		return EX_OK;
	json_t *ide = json_object_get(out, "ide"), *db = json_object_get(out, "database"),
	       *t = json_object_get(out, "ssh_tunnel"), *plan = json_object_get(out, "plan");
	char num[32];
	row("Instance URL", jstr(out, "instance_url"));
	if (json_is_true(json_object_get(ide, "available"))) {
		row("IDE URL", or_dash(ide, "url"));
		row("IDE password", or_dash(ide, "password"));
	} else {
		row("IDE", "not available");
	}
	row("Database", or_dash(db, "name"));
	row("User", or_dash(db, "user"));
	snprintf(num, sizeof num, "%lld", (long long)json_integer_value(json_object_get(db, "odoo_port")));
	row("Port", num);
	json_t *pp = json_object_get(db, "postgres_port");
	snprintf(num, sizeof num, "%lld", (long long)json_integer_value(pp));
	row("Postgres port", json_is_integer(pp) ? num : "-");
	row("DB password", or_dash(db, "password"));
	row("SSH tunnel", or_dash(t, "command"));
	if (json_is_string(json_object_get(plan, "notice")))
		printf("\n%s\n", jstr(plan, "notice"));
	json_decref(out);
	return EX_OK;
}

int cmd_env_ide_password(struct cli *c, struct args *a)
{
	if (!arg_has(a, "rotate"))
		return usage_error(c, "ide-password: --rotate is required (the password itself: "
				      "berth env access ENV --reveal ide_password)");
	json_t *e, *out;
	int ex = resolve_env(c, arg_get(a, "org"), arg_get(a, "project"), a->pos[0], &e);
	if (ex)
		return ex;
	char *path = xasprintf("/api/v1/environments/%s/ide/password", jstr(e, "id"));
	ex = api_call(c, "POST", path, NULL, &out, 0);
	free(path);
	json_decref(e);
	if (ex)
		return ex;
	json_t *job = json_incref(json_object_get(out, "job"));
	json_decref(out);
	job_queued_msg(c, job, "IDE password rotation");
	if (arg_has(a, "follow"))
		ex = job_follow(c, jstr(job, "id"));
	json_decref(job);
	return ex;
}
