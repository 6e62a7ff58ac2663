/* cmd_member.c: berth member list|update|remove|invite. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/out.h"
#include "cli/resolve.h"
#include "lib/util.h"

/* Project ids of a comma-separated list of project names; "" or "all" gives null. */
static int member_projects_json(struct cli *c, const char *org_id, const char *list, json_t **out)
{
	*out = NULL;
	if (!*list || strcmp(list, "all") == 0) {
		*out = json_null();
		return EX_OK;
	}
	json_t *projects;
	int ex = org_get(c, org_id, "projects", &projects);
	if (ex)
		return ex;
	static const char *const keys[] = {"id", "slug", "name", NULL};
	json_t *ids = json_array();
	char *copy = xstrdup(list);
	char *save = NULL;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ')
			tok++;
		if (!*tok)
			continue;
		size_t n;
		json_t *p = find_item(projects, tok, keys, &n);
		if (!p) {
			ex = cli_api_error(c, "PROJECT_NOT_FOUND", "Project '%s' doesn't exist", tok);
			break;
		}
		json_array_append(ids, json_object_get(p, "id"));
	}
	free(copy);
	json_decref(projects);
	if (ex) {
		json_decref(ids);
		return ex;
	}
	*out = ids;
	return EX_OK;
}

/* "all" or the names of the projects of a member (ids when unknown). */
static char *projects_cell(json_t *member, json_t *projects)
{
	json_t *ids = json_object_get(member, "projects");
	if (!json_is_array(ids))
		return xstrdup("all");
	struct sbuf sb = SBUF_INIT;
	size_t i;
	json_t *id;
	json_array_foreach(ids, i, id) {
		static const char *const keys[] = {"id", NULL};
		size_t n;
		json_t *p = find_item(projects, json_string_value(id) ? json_string_value(id) : "", keys, &n);
		sbuf_addf(&sb, "%s%s", i ? "," : "", p ? jstr(p, "slug") : json_string_value(id));
	}
	if (!sb.len)
		sbuf_adds(&sb, "none");
	return sbuf_detach(&sb);
}

static int cmd_list(struct cli *c, struct args *a)
{
	char *org;
	int ex = resolve_org(c, arg_get(a, "org"), &org);
	if (ex)
		return ex;
	json_t *list, *projects = NULL;
	ex = org_get(c, org, "members", &list);
	if (ex == EX_OK && !c->json)
		ex = org_get(c, org, "projects", &projects);
	free(org);
	if (ex) {
		json_decref(list);
		return ex;
	}
	if (emit_json(c, list))
		return EX_OK;
	struct table *t = table_new("EMAIL NAME ROLE PROJECTS JOINED USER_ID");
	size_t i;
	json_t *m;
	json_array_foreach(list, i, m) {
		table_cellj(t, m, "email");
		table_cellj(t, m, "name");
		table_cellj(t, m, "role");
		char *p = projects_cell(m, projects);
		table_cell(t, p);
		free(p);
		table_cellj(t, m, "joined_at");
		table_cellj(t, m, "user_id");
	}
	table_print(t);
	json_decref(list);
	json_decref(projects);
	return EX_OK;
}

/* Adds "projects" from --projects / --all-projects. */
static int add_projects(struct cli *c, struct args *a, const char *org, json_t *body)
{
	if (arg_has(a, "all-projects")) {
		json_object_set_new(body, "projects", json_null());
		return EX_OK;
	}
	if (!arg_has(a, "projects"))
		return EX_OK;
	json_t *ids;
	int ex = member_projects_json(c, org, arg_get(a, "projects"), &ids);
	if (ex == EX_OK)
		json_object_set_new(body, "projects", ids);
	return ex;
}

static int cmd_update(struct cli *c, struct args *a)
{
	if (!arg_has(a, "role") && !arg_has(a, "projects") && !arg_has(a, "all-projects"))
		return usage_error(c, "nothing to change: give --role, --projects or --all-projects");
	char *org;
	int ex = resolve_org(c, arg_get(a, "org"), &org);
	if (ex)
		return ex;
	json_t *m = NULL, *body = json_object(), *ans = NULL;
	if ((ex = resolve_member(c, org, a->pos[0], &m)) || (ex = add_projects(c, a, org, body)))
		goto out;
	if (arg_has(a, "role"))
		json_object_set_new(body, "role", json_string(arg_get(a, "role")));
	char *path = xasprintf("/api/v1/orgs/%s/members/%s", org, jstr(m, "user_id"));
	ex = api_call(c, "PATCH", path, body, &ans, 0);
	free(path);
	if (ex == EX_OK)
		emit_msg(c, json_incref(ans), "Updated %s: role %s.", jstr(ans, "email"), jstr(ans, "role"));
out:
	json_decref(ans);
	json_decref(body);
	json_decref(m);
	free(org);
	return ex;
}

static int cmd_remove(struct cli *c, struct args *a)
{
	char *org;
	int ex = resolve_org(c, arg_get(a, "org"), &org);
	if (ex)
		return ex;
	json_t *m;
	if ((ex = resolve_member(c, org, a->pos[0], &m))) {
		free(org);
		return ex;
	}
	char *path = xasprintf("/api/v1/orgs/%s/members/%s", org, jstr(m, "user_id"));
	ex = api_call(c, "DELETE", path, NULL, NULL, 0);
	free(path);
	if (ex == EX_OK && !c->json)
		printf("Removed %s from the organization.\n", jstr(m, "email"));
	json_decref(m);
	free(org);
	return ex;
}

static int cmd_invite(struct cli *c, struct args *a)
{
	if (!arg_has(a, "role"))
		return usage_error(c, "--role is required (owner, admin, developer or viewer)");
	char *org;
	int ex = resolve_org(c, arg_get(a, "org"), &org);
	if (ex)
		return ex;
	json_t *body = json_pack("{s:s,s:s}", "email", a->pos[0], "role", arg_get(a, "role"));
	json_t *ans = NULL;
	if (!body) {
		free(org);
		return usage_error(c, "the email and role must be UTF-8 text");
	}
	if (arg_has(a, "expires-days"))
		json_object_set_new(body, "expires_in_days", json_integer(atoll(arg_get(a, "expires-days"))));
	if ((ex = add_projects(c, a, org, body)))
		goto out;
	char *path = xasprintf("/api/v1/orgs/%s/invitations", org);
	ex = api_call(c, "POST", path, body, &ans, 0);
	free(path);
	if (ex)
		goto out;
	if (c->json) {
		print_json(ans); /* the token is in it: shown once, on purpose */
		goto out;
	}
	char *expires = fmt_json(json_object_get(ans, "expires_at"));
	printf("Invited %s as %s; the invitation expires %s.\n", jstr(ans, "email"), jstr(ans, "role"),
	       expires);
	free(expires);
	printf("Invitation token (shown once): %s\n", jstr(ans, "token"));
	if (strcmp(c->url, BERTH_DEFAULT_URL) == 0)
		printf("To accept it: berth invitation accept %s\n", jstr(ans, "token"));
	else
		printf("To accept it: berth --url %s invitation accept %s\n", c->url, jstr(ans, "token"));
out:
	json_decref(ans);
	json_decref(body);
	free(org);
	return ex;
}

static const struct opt ORG_OPT[] = {
	{"org", OPT_STR, NULL, "ORG", "the organization (id, slug or name)", 0},
	OPT_END,
};

static const struct opt UPDATE_OPTS[] = {
	{"org", OPT_STR, NULL, "ORG", "the organization (id, slug or name)", 0},
	{"role", OPT_STR, NULL, "ROLE", "owner, admin, developer or viewer", 0},
	{"projects", OPT_STR, NULL, "P1,P2", "limit the member to these projects", 0},
	{"all-projects", OPT_FLAG, NULL, NULL, "give access to all projects", 0},
	OPT_END,
};

static const struct opt INVITE_OPTS[] = {
	{"org", OPT_STR, NULL, "ORG", "the organization (id, slug or name)", 0},
	{"role", OPT_STR, NULL, "ROLE", "owner, admin, developer or viewer (required)", 0},
	{"projects", OPT_STR, NULL, "P1,P2", "limit the new member to these projects", 0},
	{"expires-days", OPT_INT, NULL, "N", "days the invitation stays valid (default 7)", 0},
	OPT_END,
};

const struct verb member_verbs[] = {
	{"list", "", "List the members of the organization.", ORG_OPT, 0, 0, cmd_list},
	{"update", "USER --role ROLE | --projects P1,P2 | --all-projects",
	 "Change a member's role or project access (USER: email or user id).", UPDATE_OPTS, 1, 1,
	 cmd_update},
	{"remove", "USER", "Remove a member (USER: email or user id).", ORG_OPT, 1, 1, cmd_remove},
	{"invite", "EMAIL --role ROLE [--projects P1,P2]",
	 "Invite someone; prints the invitation token and the command that accepts it.", INVITE_OPTS,
	 1, 1, cmd_invite},
	{NULL, NULL, NULL, NULL, 0, 0, NULL},
};
