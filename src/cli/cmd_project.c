/* cmd_project.c: berth project list|show|create|update|delete. */
#include <string.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/out.h"
#include "cli/resolve.h"
#include "lib/util.h"

static int cmd_list(struct cli *c, struct args *a)
{
	json_t *list;
	int ex = resolve_org_get(c, arg_get(a, "org"), "projects", &list);
	if (ex)
		return ex;
	if (emit_json(c, list))
		return EX_OK;
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
	static const char *const keys[] = {"id", "name", "slug", "odoo_version", "repository_url",
					   "default_branch", "has_deploy_key", "deploy_public_key",
					   "has_access_token", "git_username", "poll_interval_s",
					   "last_poll_error", "webhook_url", "environment_count", NULL};
	emit(c, p, keys, 0);
	return EX_OK;
}

/* Credentials: a key file, a generated key, or a token read from standard input. */
static int apply_credentials(struct cli *c, struct args *a, json_t *body)
{
	if (arg_has(a, "deploy-key-file") && arg_has(a, "generate-deploy-key"))
		return usage_error(c, "--deploy-key-file and --generate-deploy-key exclude each other");
	if (arg_has(a, "generate-deploy-key"))
		json_object_set_new(body, "deploy_key", json_string("generate"));
	if (arg_has(a, "deploy-key-file")) {
		const char *f = arg_get(a, "deploy-key-file");
		if (!*f) {
			json_object_set_new(body, "deploy_key", json_null());
		} else {
			char *key = read_file(f, NULL);
			if (!key)
				return usage_error(c, "cannot read the deploy key file %s", f);
			json_t *v = json_string(key);
			secret_wipe_free(key);
			if (!v)
				return usage_error(c, "the deploy key file is not text");
			json_object_set_new(body, "deploy_key", v);
		}
	}
	if (arg_has(a, "token-stdin")) {
		char *s = read_secret(c, "Access token: ", true, false);
		if (!s)
			return EX_USAGE;
		json_t *v = *s ? json_string(s) : json_null();
		secret_wipe_free(s);
		json_object_set_new(body, "access_token", v ? v : json_null());
	}
	return EX_OK;
}

static void show_git(struct cli *c, json_t *p)
{
	if (c->json)
		return;
	if (json_is_string(json_object_get(p, "deploy_public_key")))
		printf("Deploy key (add it to the repository, with write access for merges):\n  %s\n",
		       jstr(p, "deploy_public_key"));
	if (json_is_string(json_object_get(p, "webhook_secret")))
		printf("Webhook (push events, content type application/json; the secret is shown"
		       " only now):\n  URL:    %s\n  Secret: %s\n",
		       jstr(p, "webhook_url"), jstr(p, "webhook_secret"));
}

static int cmd_create(struct cli *c, struct args *a)
{
	if (!arg_has(a, "odoo-version"))
		return usage_error(c, "--odoo-version is required (16.0, 17.0, 18.0 or 19.0)");
	json_t *body = body_from_args(c, a);
	if (!body)
		return EX_USAGE;
	if (apply_credentials(c, a, body) != EX_OK) {
		json_decref(body);
		return EX_USAGE;
	}
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
	show_git(c, p);
	json_decref(p);
	return EX_OK;
}

static int cmd_update(struct cli *c, struct args *a)
{
	json_t *body = body_from_args(c, a);
	if (!body)
		return EX_USAGE;
	if (apply_credentials(c, a, body) != EX_OK) {
		json_decref(body);
		return EX_USAGE;
	}
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
	if (arg_has(a, "generate-deploy-key"))
		show_git(c, ans);
	json_decref(ans);
	return EX_OK;
}

static int cmd_branches(struct cli *c, struct args *a)
{
	json_t *p, *list;
	int ex = resolve_project(c, arg_get(a, "org"), a->pos[0], &p);
	if (ex)
		return ex;
	char *path = xasprintf("/api/v1/projects/%s/branches", jstr(p, "id"));
	ex = api_get(c, path, &list);
	free(path);
	json_decref(p);
	if (ex)
		return ex;
	if (emit_json(c, list))
		return EX_OK;
	struct table *t = table_new("BRANCH COMMIT DEFAULT");
	size_t i;
	json_t *b;
	json_array_foreach(list, i, b) {
		table_cellj(t, b, "name");
		table_cellf(t, "%.12s", jstr(b, "commit") ? jstr(b, "commit") : "");
		table_cell(t, json_is_true(json_object_get(b, "default")) ? "yes" : "");
	}
	table_print(t);
	json_decref(list);
	return EX_OK;
}

static int cmd_webhook(struct cli *c, struct args *a)
{
	json_t *p, *ans;
	int ex = resolve_project(c, arg_get(a, "org"), a->pos[0], &p);
	if (ex)
		return ex;
	if (!arg_has(a, "rotate")) {
		if (c->json) {
			json_t *o = json_pack("{s:O}", "webhook_url", json_object_get(p, "webhook_url"));
			print_json(o);
			json_decref(o);
		} else
			printf("URL: %s\n(the secret was shown when the project was created; --rotate"
			       " makes a new one)\n", jstr(p, "webhook_url"));
		json_decref(p);
		return EX_OK;
	}
	char *path = xasprintf("/api/v1/projects/%s/webhook/rotate", jstr(p, "id"));
	ex = api_call(c, "POST", path, NULL, &ans, 0);
	free(path);
	json_decref(p);
	if (ex)
		return ex;
	if (c->json)
		print_json(ans);
	else
		show_git(c, ans);
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
	{"deploy-key-file", OPT_STR, NULL, "FILE", "SSH private key for the repository ('' removes"  \
						  " it)", 0},                                            \
	{"generate-deploy-key", OPT_FLAG, NULL, NULL, "let berthd make a key; prints its public"   \
						     " key", 0},                                    \
	{"token-stdin", OPT_FLAG, NULL, NULL, "read an HTTPS access token from stdin (empty"        \
					     " removes it)", 0},                                     \
	{"git-user", OPT_STR, "git_username", "USER", "user name sent with the token", 0},          \
	{"poll", OPT_INT, "poll_interval_s", "SECONDS", "poll the repository (0: off; for remotes"  \
							" without webhooks)", 0},                       \
	{"data", OPT_STR, NULL, "JSON", "more fields as a JSON object (options win)", 0}

static const struct opt ORG_OPT[] = {ORG_OPTION, OPT_END};
static const struct opt WEBHOOK_OPTS[] = {
	ORG_OPTION,
	{"rotate", OPT_FLAG, NULL, NULL, "make a new secret (the old one stops working)", 0},
	OPT_END,
};
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
	{"branches", "PROJECT", "The branches of the project's repository.", ORG_OPT, 1, 1,
	 cmd_branches},
	{"webhook", "PROJECT [--rotate]", "The push webhook's URL; --rotate shows a new secret.",
	 WEBHOOK_OPTS, 1, 1, cmd_webhook},
	{NULL, NULL, NULL, NULL, 0, 0, NULL},
};
