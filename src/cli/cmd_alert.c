/* cmd_alert.c: berth alert list|thresholds. */
#include <stdio.h>
#include <stdlib.h>
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
	char *path = xasprintf("/api/v1/orgs/%s/alerts%s%s", org, arg_get(a, "status") ? "?status=" : "",
			       arg_get(a, "status") ? arg_get(a, "status") : "");
	free(org);
	json_t *list;
	ex = api_get(c, path, &list);
	free(path);
	if (ex)
		return ex;
	if (emit_json(c, list))
		return EX_OK;
	struct table *t = table_new("RAISED SEVERITY STATUS TARGET CONTAINER KIND MESSAGE RESOLVED");
	size_t i;
	json_t *x;
	json_array_foreach(list, i, x) {
		table_cellj(t, x, "raised_at");
		table_cellj(t, x, "severity");
		table_cellj(t, x, "status");
		table_cell(t, json_is_string(json_object_get(x, "target_name")) ? jstr(x, "target_name")
										 : jstr(x, "target_id"));
		table_cellj(t, x, "container");
		table_cellj(t, x, "kind");
		table_cellj(t, x, "message");
		table_cellj(t, x, "resolved_at");
	}
	table_print(t);
	json_decref(list);
	return EX_OK;
}

static int cmd_thresholds(struct cli *c, struct args *a)
{
	char *org;
	int ex = resolve_org(c, arg_get(a, "org"), &org);
	if (ex)
		return ex;
	char *path = xasprintf("/api/v1/orgs/%s/alert-thresholds", org);
	free(org);
	const struct opt_vals *set = arg_all(a, "set");
	json_t *out = NULL;
	if (arg_has(a, "reset") || (set && set->n)) {
		json_t *body = json_object();
		if (!arg_has(a, "reset")) {
			/* PUT replaces: start from what is in force now */
			json_t *cur;
			ex = api_get(c, path, &cur);
			if (ex) {
				json_decref(body);
				free(path);
				return ex;
			}
			json_object_update(body, json_object_get(cur, "thresholds"));
			json_decref(cur);
			for (size_t i = 0; i < set->n; i++) {
				const char *eq = strchr(set->v[i], '=');
				if (!eq || eq == set->v[i]) {
					json_decref(body);
					free(path);
					return usage_error(c, "--set wants KEY=VALUE, got '%s'", set->v[i]);
				}
				char *k = xstrndup(set->v[i], (size_t)(eq - set->v[i]));
				json_t *v = json_loads(eq + 1, JSON_DECODE_ANY, NULL);
				json_object_set_new(body, k, v ? v : json_string(eq + 1));
				free(k);
			}
		}
		ex = api_call(c, "PUT", path, body, &out, 0);
		json_decref(body);
	} else {
		ex = api_get(c, path, &out);
	}
	free(path);
	if (ex)
		return ex;
	if (emit_json(c, out))
		return EX_OK;
	struct table *t = table_new("THRESHOLD VALUE DEFAULT");
	json_t *th = json_object_get(out, "thresholds"), *df = json_object_get(out, "defaults");
	const char *k;
	json_t *v;
	json_object_foreach(th, k, v) {
		char a1[32], a2[32];
		snprintf(a1, sizeof a1, "%g", json_number_value(v));
		snprintf(a2, sizeof a2, "%g", json_number_value(json_object_get(df, k)));
		table_cell(t, k);
		table_cell(t, a1);
		table_cell(t, a2);
	}
	table_print(t);
	json_decref(out);
	return EX_OK;
}

static const struct opt LIST_OPTS[] = {
	{"org", OPT_STR, NULL, "ORG", "the organization (id, slug or name)", 0},
	{"status", OPT_STR, NULL, "S", "raised or resolved (default both)", 0},
	OPT_END,
};
static const struct opt THR_OPTS[] = {
	{"org", OPT_STR, NULL, "ORG", "the organization (id, slug or name)", 0},
	{"set", OPT_LIST, NULL, "KEY=VALUE", "change a threshold (repeatable), e.g."
	 " cpu_critical_pct=90", 0},
	{"reset", OPT_FLAG, NULL, NULL, "back to the defaults", 0},
	OPT_END,
};

const struct verb alert_verbs[] = {
	{"list", "[--status raised|resolved]", "Alerts of the organization, newest first.", LIST_OPTS,
	 0, 0, cmd_list},
	{"thresholds", "[--set KEY=VALUE]... [--reset]",
	 "Show or change the organization's alert thresholds.", THR_OPTS, 0, 0, cmd_thresholds},
	{NULL, NULL, NULL, NULL, 0, 0, NULL},
};
