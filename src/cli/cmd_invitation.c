/* cmd_invitation.c: berth invitation list|delete|accept. */
#include <string.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/out.h"
#include "cli/resolve.h"
#include "lib/util.h"

static int list_of(struct cli *c, const char *org, json_t **list)
{
	return org_get(c, org, "invitations", list);
}

static int cmd_list(struct cli *c, struct args *a)
{
	char *org;
	int ex = resolve_org(c, arg_get(a, "org"), &org);
	if (ex)
		return ex;
	json_t *list;
	ex = list_of(c, org, &list);
	free(org);
	if (ex)
		return ex;
	if (emit_json(c, list))
		return EX_OK;
	struct table *t = table_new("EMAIL ROLE EXPIRES CREATED ID");
	size_t i;
	json_t *inv;
	json_array_foreach(list, i, inv) {
		table_cellj(t, inv, "email");
		table_cellj(t, inv, "role");
		table_cellj(t, inv, "expires_at");
		table_cellj(t, inv, "created_at");
		table_cellj(t, inv, "id");
	}
	table_print(t);
	json_decref(list);
	return EX_OK;
}

static int cmd_delete(struct cli *c, struct args *a)
{
	char *org;
	int ex = resolve_org(c, arg_get(a, "org"), &org);
	if (ex)
		return ex;
	json_t *list;
	if ((ex = list_of(c, org, &list))) {
		free(org);
		return ex;
	}
	static const char *const keys[] = {"id", "email", NULL};
	size_t n;
	json_t *inv = find_item(list, a->pos[0], keys, &n);
	if (!inv)
		ex = cli_api_error(c, "INVITATION_NOT_FOUND", "No pending invitation '%s'", a->pos[0]);
	else if (n > 1)
		ex = usage_error(c, "%zu invitations for %s: give the id", n, a->pos[0]);
	if (ex == EX_OK) {
		char *path = xasprintf("/api/v1/orgs/%s/invitations/%s", org, jstr(inv, "id"));
		ex = api_call(c, "DELETE", path, NULL, NULL, 0);
		free(path);
		if (ex == EX_OK && !c->json)
			printf("Deleted the invitation of %s.\n", jstr(inv, "email"));
	}
	json_decref(list);
	free(org);
	return ex;
}

static int cmd_accept(struct cli *c, struct args *a)
{
	/* logged in: join as that user; otherwise (or with --new-account) create an account */
	bool new_account = !c->token || arg_has(a, "new-account") || arg_has(a, "password-stdin");
	json_t *body = json_object(), *ans = NULL;
	if (arg_has(a, "name"))
		json_object_set_new(body, "name", json_string(arg_get(a, "name")));
	int ex = EX_OK;
	if (new_account) {
		char *pw = read_secret(c, "Choose a password: ", arg_has(a, "password-stdin"), true);
		if (!pw) {
			json_decref(body);
			return EX_USAGE;
		}
		json_t *s = json_string(pw);
		secret_wipe_free(pw);
		if (!s) {
			json_decref(body);
			return usage_error(c, "the password must be UTF-8 text");
		}
		json_object_set_new(body, "password", s);
	}
	char *tok = url_escape(a->pos[0]);
	char *path = xasprintf("/api/v1/invitations/%s/accept", tok);
	free(tok);
	ex = api_call(c, "POST", path, body, &ans, new_account ? API_NOAUTH : 0);
	free(path);
	json_wipe_strings(body);
	json_decref(body);
	if (ex)
		return ex;
	json_t *org = json_object_get(ans, "organization"), *user = json_object_get(ans, "user");
	if (json_object_get(ans, "access_token")) {
		/* a new account: log in as it */
		if (!config_same_server(c))
			config_set(c, "org", NULL);
		config_set(c, "url", c->url);
		config_set(c, "token", jstr(ans, "access_token"));
		config_set(c, "email", jstr(user, "email"));
		config_set(c, "org", jstr(org, "id"));
		ex = config_save(c);
	}
	if (ex == EX_OK) {
		if (c->json) {
			json_t *o = json_deep_copy(ans);
			json_object_del(o, "access_token");
			print_json(o);
			json_decref(o);
		} else {
			printf("%s joined %s as %s.\n", jstr(user, "email"), jstr(org, "name"),
			       jstr(org, "role"));
			if (json_object_get(ans, "access_token"))
				printf("Logged in to %s as %s.\n", c->url, jstr(user, "email"));
		}
	}
	json_wipe_strings(ans);
	json_decref(ans);
	return ex;
}

static const struct opt ORG_OPT[] = {
	{"org", OPT_STR, NULL, "ORG", "the organization (id, slug or name)", 0},
	OPT_END,
};

static const struct opt ACCEPT_OPTS[] = {
	{"name", OPT_STR, NULL, "NAME", "your display name (new account)", 0},
	{"password-stdin", OPT_FLAG, NULL, NULL,
	 "new account: read its password from the first line of stdin", 0},
	{"new-account", OPT_FLAG, NULL, NULL,
	 "create a new account even when logged in (asks for its password)", 0},
	OPT_END,
};

const struct verb invitation_verbs[] = {
	{"list", "", "List the pending invitations of the organization.", ORG_OPT, 0, 0, cmd_list},
	{"delete", "INVITATION", "Withdraw an invitation (by id or email).", ORG_OPT, 1, 1, cmd_delete},
	{"accept", "TOKEN [--name NAME] [--password-stdin]",
	 "Accept an invitation: as the logged-in user, or by creating the invited account (then"
	 " log in as it).",
	 ACCEPT_OPTS, 1, 1, cmd_accept},
	{NULL, NULL, NULL, NULL, 0, 0, NULL},
};
