/* cmd_project.c: berth project list|show|create|update|delete. */
#include <string.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/out.h"
#include "cli/resolve.h"
#include "lib/util.h"

static int cmd_list(struct cli *c, struct args *a)
{
	char *org;
	int ex = resolve_org(c, arg_get(a, "org"), &org);
	if (ex)
		return ex;
	char *path = xasprintf("/api/v1/orgs/%s/projects", org);
	json_t *list;
	ex = api_get(c, path, &list);
	free(path);
	free(org);
	if (ex)
		return ex;
	if (c->json) {
		print_json(list);
		json_decref(list);
		return EX_OK;
	}
	struct table *t = table_new("NAME SLUG ODOO ENVS BRANCH REPOSITORY ID");
	size_t i;
	json_t *p;
	json_array_foreach(list, i, p) {
		table_cellj(t, p, "name");
		table_cellj(t, p, "slug");
		table_cellj(t, p, "odoo_version");
		table_cellj(t, p, "environment_count");
		table_cellj(t, p, "default_branch");
		table_cellj(t, p, "repository_url");
		table_cellj(t, p, "id");
	}
	table_print(t);
	json_decref(list);
	return EX_OK;
}

static int cmd_show(struct cli *c, struct args *a)
{
	json_t *p;
	int ex = resolve_project(c, arg_get(a, "org"), a->pos[0], &p);
	if (ex)
		return ex;
	static const char *const keys[] = {"id", "name", "slug", "odoo_version", NULL};
	emit(c, p, keys, 0);
	return EX_OK;
}

static int cmd_create(struct cli *c, struct args *a)
{
	if (!arg_has(a, "odoo-version"))
		return usage_error(c, "--odoo-version is required (16.0, 17.0, 18.0 or 19.0)");
	json_t *body = body_from_args(c, a);
	if (!body)
		return EX_USAGE;
	json_object_set_new(body, "name", json_string(a->pos[0]));
	char *org;
	int ex = resolve_org(c, arg_get(a, "org"), &org);
	if (ex) {
		json_decref(body);
		return ex;
	}
	char *path = xasprintf("/api/v1/orgs/%s/projects", org);
	json_t *p;
	ex = api_call(c, "POST", path, body, &p, 0);
	free(path);
	free(org);
	json_decref(body);
	if (ex)
		return ex;
	emit_msg(c, json_incref(p), "Created project %s (slug %s, Odoo %s, id %s).", jstr(p, "name"),
		 jstr(p, "slug"), jstr(p, "odoo_version"), jstr(p, "id"));
	json_decref(p);
	return EX_OK;
}

static int cmd_update(struct cli *c, struct args *a)
{
	json_t *body = body_from_args(c, a);
	if (!body)
		return EX_USAGE;
	if (!json_object_size(body)) {
		json_decref(body);
		return usage_error(c, "nothing to change");
	}
	json_t *p, *ans;
	int ex = resolve_project(c, arg_get(a, "org"), a->pos[0], &p);
	if (ex) {
		json_decref(body);
		return ex;
	}
	char *path = xasprintf("/api/v1/projects/%s", jstr(p, "id"));
	ex = api_call(c, "PATCH", path, body, &ans, 0);
	free(path);
	json_decref(body);
	json_decref(p);
	if (ex)
		return ex;
	emit_msg(c, json_incref(ans), "Updated project %s.", jstr(ans, "name"));
	json_decref(ans);
	return EX_OK;
}

static int cmd_delete(struct cli *c, struct args *a)
{
	json_t *p;
	int ex = resolve_project(c, arg_get(a, "org"), a->pos[0], &p);
	if (ex)
		return ex;
	char *path = xasprintf("/api/v1/projects/%s", jstr(p, "id"));
	ex = api_call(c, "DELETE", path, NULL, NULL, 0);
	free(path);
	if (ex == EX_OK && !c->json)
		printf("Deleted project %s.\n", jstr(p, "name"));
	json_decref(p);
	return ex;
}

#define ORG_OPTION {"org", OPT_STR, NULL, "ORG", "the organization (id, slug or name)", 0}
#define PROJECT_FIELDS                                                                          \
	{"odoo-version", OPT_STR, "odoo_version", "V", "16.0, 17.0, 18.0 or 19.0", 0},              \
	{"repo", OPT_STR, "repository_url", "URL", "git repository of the project's addons", 0},   \
	{"branch", OPT_STR, "default_branch", "BRANCH", "default git branch (default main)", 0},     \
	{"data", OPT_STR, NULL, "JSON", "more fields as a JSON object (options win)", 0}

static const struct opt ORG_OPT[] = {ORG_OPTION, OPT_END};
static const struct opt CREATE_OPTS[] = {ORG_OPTION, PROJECT_FIELDS, OPT_END};
static const struct opt UPDATE_OPTS[] = {
	ORG_OPTION,
	{"name", OPT_STR, "name", "NAME", "new name (the slug stays)", 0},
	PROJECT_FIELDS,
	OPT_END,
};

const struct verb project_verbs[] = {
	{"list", "", "List the organization's projects.", ORG_OPT, 0, 0, cmd_list},
	{"show", "PROJECT", "Show a project (by slug, name or id).", ORG_OPT, 1, 1, cmd_show},
	{"create", "NAME --odoo-version V [--repo URL] [--branch B]", "Create a project.",
	 CREATE_OPTS, 1, 1, cmd_create},
	{"update", "PROJECT [OPTIONS]", "Change a project (--repo '' removes the repository).",
	 UPDATE_OPTS, 1, 1, cmd_update},
	{"delete", "PROJECT", "Delete a project that has no environments.", ORG_OPT, 1, 1, cmd_delete},
	{NULL, NULL, NULL, NULL, 0, 0, NULL},
};
