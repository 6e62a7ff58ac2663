/* cmd_org.c: berth org list|show|create|update|usage|audit|use. */
#include <string.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/out.h"
#include "cli/resolve.h"
#include "lib/util.h"

/* The organization named by the first argument, else --org, else the default. */
static int org_of(struct cli *c, struct args *a, char **org_id)
{
	const char *name = a->npos > 0 ? a->pos[0] : arg_get(a, "org");
	return resolve_org(c, name, org_id);
}

static int cmd_list(struct cli *c, struct args *a)
{
	(void)a;
	json_t *orgs;
	int ex = api_get(c, "/api/v1/orgs", &orgs);
	if (ex)
		return ex;
	if (emit_json(c, orgs))
		return EX_OK;
	const char *dflt = config_same_server(c) ? config_get(c, "org") : NULL;
	struct table *t = table_new("NAME SLUG ROLE PLAN DEFAULT ID");
	size_t i;
	json_t *o;
	json_array_foreach(orgs, i, o) {
		table_cellj(t, o, "name");
		table_cellj(t, o, "slug");
		table_cellj(t, o, "role");
		table_cellj(t, o, "plan_name");
		table_cell(t, dflt && str_eq(dflt, jstr(o, "id")) ? "*" : "");
		table_cellj(t, o, "id");
	}
	table_print(t);
	json_decref(orgs);
	return EX_OK;
}

static int cmd_show(struct cli *c, struct args *a)
{
	char *id;
	int ex = org_of(c, a, &id);
	if (ex)
		return ex;
	char *path = xasprintf("/api/v1/orgs/%s", id);
	json_t *o;
	ex = api_get(c, path, &o);
	free(path);
	free(id);
	if (ex)
		return ex;
	static const char *const keys[] = {"id", "name", "slug", "role", "plan_name", "timezone",
					   "created_at", "permissions", NULL};
	emit(c, o, keys, 1);
	return EX_OK;
}

static int cmd_create(struct cli *c, struct args *a)
{
	json_t *body = json_pack("{s:s}", "name", a->pos[0]);
	if (!body)
		return usage_error(c, "the name must be UTF-8 text");
	json_t *o;
	int ex = api_call(c, "POST", "/api/v1/orgs", body, &o, 0);
	json_decref(body);
	if (ex)
		return ex;
	emit_msg(c, json_incref(o), "Created organization %s (slug %s, id %s).", jstr(o, "name"),
		 jstr(o, "slug"), jstr(o, "id"));
	json_decref(o);
	return EX_OK;
}

static int cmd_update(struct cli *c, struct args *a)
{
	json_t *body = body_from_args(c, a);
	if (!body)
		return EX_USAGE;
	if (!json_object_size(body)) {
		json_decref(body);
		return usage_error(c, "nothing to change: give --name or --timezone");
	}
	char *id;
	int ex = org_of(c, a, &id);
	if (ex) {
		json_decref(body);
		return ex;
	}
	char *path = xasprintf("/api/v1/orgs/%s", id);
	json_t *o;
	ex = api_call(c, "PATCH", path, body, &o, 0);
	free(path);
	free(id);
	json_decref(body);
	if (ex)
		return ex;
	char *tz = *jstr(o, "timezone") ? xasprintf(" (time zone %s)", jstr(o, "timezone"))
					 : xstrdup("");
	emit_msg(c, json_incref(o), "Updated organization %s%s.", jstr(o, "name"), tz);
	free(tz);
	json_decref(o);
	return EX_OK;
}

static int cmd_usage(struct cli *c, struct args *a)
{
	char *id;
	int ex = org_of(c, a, &id);
	if (ex)
		return ex;
	char *path = xasprintf("/api/v1/orgs/%s/usage", id);
	json_t *u;
	ex = api_get(c, path, &u);
	free(path);
	free(id);
	if (ex)
		return ex;
	if (emit_json(c, u))
		return EX_OK;
	static const char *const rows[][2] = {
		{"cpu_cores", "CPU cores"}, {"ram_mb", "RAM (MB)"},        {"disk_gb", "Disk (GB)"},
		{"environments", "Environments"}, {"servers", "Servers"}, {"projects", "Projects"},
		{"members", "Members"},
	};
	char *plan = fmt_json(json_object_get(u, "plan"));
	sanitize(plan);
	printf("Plan: %s\n\n", plan);
	free(plan);
	struct table *t = table_new("RESOURCE USED QUOTA AVAILABLE");
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		json_t *r = json_object_get(u, rows[i][0]);
		table_cell(t, rows[i][1]);
		table_cellj(t, r, "used");
		table_cellj(t, r, "quota");
		table_cellj(t, r, "available");
	}
	table_print(t);
	json_decref(u);
	return EX_OK;
}

static int cmd_audit(struct cli *c, struct args *a)
{
	char *id;
	int ex = org_of(c, a, &id);
	if (ex)
		return ex;
	struct sbuf path = SBUF_INIT;
	sbuf_addf(&path, "/api/v1/orgs/%s/audit?limit=%s", id,
		  arg_has(a, "limit") ? arg_get(a, "limit") : "50");
	if (arg_has(a, "before"))
		sbuf_addf(&path, "&before=%s", arg_get(a, "before"));
	free(id);
	json_t *list;
	ex = api_get(c, sbuf_str(&path), &list);
	sbuf_release(&path);
	if (ex)
		return ex;
	if (emit_json(c, list))
		return EX_OK;
	struct table *t = table_new("ID TIME ACTOR ACTION TARGET DETAILS");
	size_t i;
	json_t *e;
	json_array_foreach(list, i, e) {
		table_cellj(t, e, "id");
		table_cellj(t, e, "created_at");
		table_cellj(t, e, "actor");
		table_cellj(t, e, "action");
		table_cellf(t, "%s %s", jstr(e, "target_type"), jstr(e, "target_id"));
		table_cellj(t, e, "details");
	}
	table_print(t);
	json_decref(list);
	return EX_OK;
}

static int cmd_use(struct cli *c, struct args *a)
{
	char *id;
	/* look the name up even when a default exists */
	int ex = resolve_org(c, a->pos[0], &id);
	if (ex)
		return ex;
	char *path = xasprintf("/api/v1/orgs/%s", id);
	json_t *o;
	ex = api_get(c, path, &o);
	free(path);
	if (ex) {
		free(id);
		return ex;
	}
	if (!config_same_server(c)) {
		/* the saved session (if any) is for another server: start this one's config */
		config_set(c, "token", NULL);
		config_set(c, "email", NULL);
	}
	config_set(c, "url", c->url);
	config_set(c, "org", id);
	free(id);
	ex = config_save(c);
	if (ex == EX_OK)
		emit_msg(c, json_incref(o), "Default organization: %s.", jstr(o, "name"));
	json_decref(o);
	return ex;
}

static const struct opt ORG_OPT[] = {
	{"org", OPT_STR, NULL, "ORG", "the organization (id, slug or name)", 0},
	OPT_END,
};

static const struct opt UPDATE_OPTS[] = {
	{"org", OPT_STR, NULL, "ORG", "the organization (id, slug or name)", 0},
	{"name", OPT_STR, "name", "NAME", "new name", 0},
	{"timezone", OPT_STR, "timezone", "ZONE",
	 "time zone of backup schedules (an IANA name, e.g. Europe/Brussels)", 0},
	OPT_END,
};

static const struct opt AUDIT_OPTS[] = {
	{"org", OPT_STR, NULL, "ORG", "the organization (id, slug or name)", 0},
	{"limit", OPT_INT, NULL, "N", "how many entries (default 50, at most 1000)", 0},
	{"before", OPT_INT, NULL, "ID", "entries older than this entry id (paging)", 0},
	OPT_END,
};

static const struct opt NONE[] = {OPT_END};

const struct verb org_verbs[] = {
	{"list", "", "List your organizations (* marks the default).", NONE, 0, 0, cmd_list},
	{"show", "[ORG]", "Show an organization, your role and permissions.", ORG_OPT, 0, 1, cmd_show},
	{"create", "NAME", "Create an organization (you become its owner).", NONE, 1, 1, cmd_create},
	{"update", "[ORG] [--name NAME] [--timezone ZONE]",
	 "Rename an organization or set its time zone.", UPDATE_OPTS, 0, 1, cmd_update},
	{"usage", "[ORG]", "Resources used against the plan's quotas.", ORG_OPT, 0, 1, cmd_usage},
	{"audit", "[ORG] [--limit N] [--before ID]", "The audit log, newest first.", AUDIT_OPTS, 0, 1,
	 cmd_audit},
	{"use", "ORG", "Save ORG as the default organization of later commands.", NONE, 1, 1, cmd_use},
	{NULL, NULL, NULL, NULL, 0, 0, NULL},
};
