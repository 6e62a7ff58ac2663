/* resolve.c: names to objects, by listing. */
#include "cli/resolve.h"

#include <string.h>
#include <strings.h>

#include "cli/client.h"
#include "lib/errors.h"
#include "lib/util.h"
#include "lib/valid.h"

json_t *find_item(json_t *arr, const char *needle, const char *const *keys, size_t *count)
{
	*count = 0;
	for (size_t k = 0; keys[k]; k++) {
		json_t *first = NULL;
		size_t i;
		json_t *it;
		json_array_foreach(arr, i, it) {
			const char *v = json_string_value(json_object_get(it, keys[k]));
			if (!v)
				continue;
			bool eq = k == 0 ? strcmp(v, needle) == 0 : strcasecmp(v, needle) == 0;
			if (eq) {
				if (!first)
					first = it;
				(*count)++;
			}
		}
		if (first)
			return first;
	}
	return NULL;
}

int config_same_server(struct cli *c)
{
	const char *u = config_get(c, "url");
	char *stored = xstrdup(u && *u ? u : BERTH_DEFAULT_URL);
	size_t n = strlen(stored);
	while (n && stored[n - 1] == '/')
		stored[--n] = '\0';
	int same = strcmp(stored, c->url) == 0;
	free(stored);
	return same;
}

static const char *const ORG_KEYS[] = {"id", "slug", "name", NULL};

int resolve_org(struct cli *c, const char *org, char **org_id)
{
	*org_id = NULL;
	if (org && valid_uuid(org)) {
		*org_id = xstrdup(org);
		return EX_OK;
	}
	const char *dflt = config_same_server(c) ? config_get(c, "org") : NULL;
	if (!org && dflt && *dflt) {
		*org_id = xstrdup(dflt);
		return EX_OK;
	}
	json_t *orgs;
	int ex = api_get(c, "/api/v1/orgs", &orgs);
	if (ex)
		return ex;
	if (org) {
		size_t n;
		json_t *o = find_item(orgs, org, ORG_KEYS, &n);
		if (o)
			*org_id = xstrdup(json_string_value(json_object_get(o, "id")));
		json_decref(orgs);
		if (!o)
			return cli_api_error(c, berr_name(BE_ORG_NOT_FOUND),
					     "Organization '%s' doesn't exist", org);
		if (n > 1) {
			free(*org_id);
			*org_id = NULL;
			return usage_error(c, "%zu organizations are named '%s': give the id", n, org);
		}
		return EX_OK;
	}
	size_t n = json_array_size(orgs);
	if (n == 1)
		*org_id = xstrdup(json_string_value(json_object_get(json_array_get(orgs, 0), "id")));
	json_decref(orgs);
	if (n == 0)
		return cli_fail(EX_API, "you are not a member of any organization: create one with"
					" 'berth org create NAME'");
	if (n > 1)
		return usage_error(c, "you are a member of %zu organizations: pass --org ORG or set a"
				      " default with 'berth org use ORG'", n);
	return EX_OK;
}

int org_get(struct cli *c, const char *org_id, const char *what, json_t **out)
{
	char *path = xasprintf("/api/v1/orgs/%s/%s", org_id, what);
	int ex = api_get(c, path, out);
	free(path);
	return ex;
}

int resolve_org_get(struct cli *c, const char *org, const char *what, json_t **out)
{
	char *org_id;
	int ex = resolve_org(c, org, &org_id);
	if (ex)
		return ex;
	ex = org_get(c, org_id, what, out);
	free(org_id);
	return ex;
}

static const char *const PROJECT_KEYS[] = {"id", "slug", "name", NULL};

int resolve_project(struct cli *c, const char *org, const char *name, json_t **project)
{
	*project = NULL;
	if (name && valid_uuid(name)) {
		char *path = xasprintf("/api/v1/projects/%s", name);
		int ex = api_get(c, path, project);
		free(path);
		return ex;
	}
	json_t *list;
	int ex = resolve_org_get(c, org, "projects", &list);
	if (ex)
		return ex;
	if (!name) {
		size_t n = json_array_size(list);
		if (n == 1)
			*project = json_incref(json_array_get(list, 0));
		json_decref(list);
		if (n == 0)
			return cli_fail(EX_API, "the organization has no projects: create one with"
						" 'berth project create NAME --odoo-version 18.0'");
		if (n > 1)
			return usage_error(c, "the organization has %zu projects: pass --project PROJECT", n);
		return EX_OK;
	}
	size_t n;
	json_t *p = find_item(list, name, PROJECT_KEYS, &n);
	if (p)
		*project = json_incref(p);
	json_decref(list);
	if (!p)
		return cli_api_error(c, berr_name(BE_PROJECT_NOT_FOUND), "Project '%s' doesn't exist",
				     name);
	if (n > 1) {
		json_decref(*project);
		*project = NULL;
		return usage_error(c, "%zu projects are named '%s': give the slug or id", n, name);
	}
	return EX_OK;
}

static const char *const NAME_KEYS[] = {"id", "name", NULL};

int resolve_server(struct cli *c, const char *org, const char *name, json_t **server)
{
	*server = NULL;
	if (valid_uuid(name)) {
		char *path = xasprintf("/api/v1/servers/%s", name);
		int ex = api_get(c, path, server);
		free(path);
		return ex;
	}
	json_t *list;
	int ex = resolve_org_get(c, org, "servers", &list);
	if (ex)
		return ex;
	size_t n;
	json_t *s = find_item(list, name, NAME_KEYS, &n);
	if (s)
		*server = json_incref(s);
	json_decref(list);
	if (!s)
		return cli_api_error(c, berr_name(BE_SERVER_NOT_FOUND), "Server '%s' doesn't exist", name);
	return EX_OK;
}

/* Environments named name in every project of the organization (older berthd without the
 * organization-wide list). */
static int envs_by_projects(struct cli *c, const char *org_id, const char *name, json_t *found)
{
	json_t *projects;
	int ex = org_get(c, org_id, "projects", &projects);
	if (ex)
		return ex;
	size_t i;
	json_t *p;
	json_array_foreach(projects, i, p) {
		char *path = xasprintf("/api/v1/projects/%s/environments",
				 json_string_value(json_object_get(p, "id")));
		json_t *envs;
		ex = api_get(c, path, &envs);
		free(path);
		if (ex)
			break;
		size_t j;
		json_t *e;
		json_array_foreach(envs, j, e)
			if (str_eq(json_string_value(json_object_get(e, "name")), name))
				json_array_append(found, e);
		json_decref(envs);
	}
	json_decref(projects);
	return ex;
}

int resolve_env(struct cli *c, const char *org, const char *project, const char *name,
		json_t **env)
{
	*env = NULL;
	if (valid_uuid(name)) {
		char *path = xasprintf("/api/v1/environments/%s", name);
		int ex = api_get(c, path, env);
		free(path);
		return ex;
	}
	int ex;
	json_t *found = NULL;
	if (project) {
		json_t *p;
		if ((ex = resolve_project(c, org, project, &p)))
			return ex;
		char *path = xasprintf("/api/v1/projects/%s/environments",
				       json_string_value(json_object_get(p, "id")));
		json_decref(p);
		json_t *list;
		ex = api_get(c, path, &list);
		free(path);
		if (ex)
			return ex;
		size_t n;
		json_t *e = find_item(list, name, NAME_KEYS, &n);
		if (e)
			*env = json_incref(e);
		json_decref(list);
		if (!e)
			return cli_api_error(c, berr_name(BE_ENVIRONMENT_NOT_FOUND),
					     "Environment '%s' doesn't exist in project '%s'", name, project);
		return EX_OK;
	}
	char *org_id;
	if ((ex = resolve_org(c, org, &org_id)))
		return ex;
	char *q = url_escape(name);
	char *path = xasprintf("/api/v1/orgs/%s/environments?name=%s", org_id, q);
	free(q);
	ex = api_call(c, "GET", path, NULL, &found, API_QUIET);
	free(path);
	if (ex && api_no_route(c)) {
		found = json_array();
		ex = envs_by_projects(c, org_id, name, found);
	} else if (ex) {
		api_report(c); /* what the quiet call kept */
	}
	free(org_id);
	if (ex) {
		json_decref(found);
		return ex;
	}
	size_t n = json_array_size(found);
	if (n == 1)
		*env = json_incref(json_array_get(found, 0));
	json_decref(found);
	if (n == 0)
		return cli_api_error(c, berr_name(BE_ENVIRONMENT_NOT_FOUND),
				     "Environment '%s' doesn't exist", name);
	if (n > 1)
		return usage_error(c, "%zu projects have an environment named '%s': pass --project", n,
				   name);
	return EX_OK;
}

int resolve_plan(struct cli *c, const char *name, json_t **plan)
{
	*plan = NULL;
	if (valid_uuid(name)) {
		char *path = xasprintf("/api/v1/plans/%s", name);
		int ex = api_get(c, path, plan);
		free(path);
		return ex;
	}
	json_t *list;
	int ex = api_get(c, "/api/v1/plans", &list);
	if (ex)
		return ex;
	size_t n;
	json_t *p = find_item(list, name, NAME_KEYS, &n);
	if (p)
		*plan = json_incref(p);
	json_decref(list);
	if (!p)
		return cli_api_error(c, berr_name(BE_PLAN_NOT_FOUND), "Plan '%s' doesn't exist", name);
	return EX_OK;
}

int resolve_member(struct cli *c, const char *org_id, const char *who, json_t **member)
{
	*member = NULL;
	json_t *list;
	int ex = org_get(c, org_id, "members", &list);
	if (ex)
		return ex;
	static const char *const keys[] = {"user_id", "email", NULL};
	size_t n;
	json_t *m = find_item(list, who, keys, &n);
	if (m)
		*member = json_incref(m);
	json_decref(list);
	if (!m)
		return cli_api_error(c, berr_name(BE_USER_NOT_FOUND),
				     "No member '%s' in this organization", who);
	return EX_OK;
}
