/* cmd_apikey.c: berth apikey list|create|delete. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/out.h"
#include "cli/resolve.h"
#include "lib/util.h"

static int cmd_list(struct cli *c, struct args *a)
{
	(void)a;
	json_t *list;
	int ex = api_get(c, "/api/v1/api-keys", &list);
	if (ex)
		return ex;
	if (emit_json(c, list))
		return EX_OK;
	struct table *t = table_new("NAME SCOPE PREFIX CREATED EXPIRES LAST_USED ID");
	size_t i;
	json_t *k;
	json_array_foreach(list, i, k) {
		table_cellj(t, k, "name");
		table_cellj(t, k, "scope");
		table_cellj(t, k, "prefix");
		table_cellj(t, k, "created_at");
		table_cell(t, json_is_string(json_object_get(k, "expires_at")) ? jstr(k, "expires_at")
									       : "never");
		table_cellj(t, k, "last_used_at");
		table_cellj(t, k, "id");
	}
	table_print(t);
	json_decref(list);
	return EX_OK;
}

static int cmd_create(struct cli *c, struct args *a)
{
	json_t *body = json_pack("{s:s}", "name", a->pos[0]);
	if (!body)
		return usage_error(c, "the name must be UTF-8 text");
	const char *scope = arg_get(a, "scope");
	if (arg_has(a, "read-only"))
		scope = "read-only";
	if (scope)
		json_object_set_new(body, "scope", json_string(scope));
	if (arg_has(a, "expires-days"))
		json_object_set_new(body, "expires_in_days",
				    json_integer(atoll(arg_get(a, "expires-days"))));
	json_t *k;
	int ex = api_call(c, "POST", "/api/v1/api-keys", body, &k, 0);
	json_decref(body);
	if (ex)
		return ex;
	if (c->json) {
		print_json(k); /* the key is in it: shown once, on purpose */
	} else {
		printf("Created API key %s (%s, expires %s).\n", jstr(k, "name"), jstr(k, "scope"),
		       json_is_string(json_object_get(k, "expires_at")) ? jstr(k, "expires_at") : "never");
		printf("Key (shown once, store it now): %s\n", jstr(k, "key"));
		printf("Use it with: BERTH_TOKEN=<key> berth ...\n");
	}
	json_decref(k);
	return EX_OK;
}

static int cmd_delete(struct cli *c, struct args *a)
{
	json_t *list;
	int ex = api_get(c, "/api/v1/api-keys", &list);
	if (ex)
		return ex;
	static const char *const keys[] = {"id", "name", "prefix", NULL};
	size_t n;
	json_t *k = find_item(list, a->pos[0], keys, &n);
	if (!k)
		ex = cli_api_error(c, "NOT_FOUND", "API key '%s' doesn't exist", a->pos[0]);
	else if (n > 1)
		ex = usage_error(c, "%zu API keys are named '%s': give the id", n, a->pos[0]);
	if (ex == EX_OK) {
		char *path = xasprintf("/api/v1/api-keys/%s", jstr(k, "id"));
		ex = api_call(c, "DELETE", path, NULL, NULL, 0);
		free(path);
		if (ex == EX_OK && !c->json)
			printf("Deleted API key %s.\n", jstr(k, "name"));
	}
	json_decref(list);
	return ex;
}

static const struct opt CREATE_OPTS[] = {
	{"scope", OPT_STR, NULL, "SCOPE", "read-write (default) or read-only", 0},
	{"read-only", OPT_FLAG, NULL, NULL, "same as --scope read-only", 0},
	{"expires-days", OPT_INT, NULL, "N", "expire after N days (default: never)", 0},
	OPT_END,
};
static const struct opt NONE[] = {OPT_END};

const struct verb apikey_verbs[] = {
	{"list", "", "List your API keys (never the keys themselves).", NONE, 0, 0, cmd_list},
	{"create", "NAME [--read-only] [--expires-days N]",
	 "Create an API key; the key is printed once. Use it as BERTH_TOKEN.", CREATE_OPTS, 1, 1,
	 cmd_create},
	{"delete", "KEY", "Revoke an API key (by id, name or prefix).", NONE, 1, 1, cmd_delete},
	{NULL, NULL, NULL, NULL, 0, 0, NULL},
};
