/* cmd_plan.c: berth plan list|show|create|update|delete|set. */
#include <string.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/out.h"
#include "cli/resolve.h"
#include "lib/util.h"
#include "lib/valid.h"

static int cmd_list(struct cli *c, struct args *a)
{
	(void)a;
	json_t *list;
	int ex = api_get(c, "/api/v1/plans", &list);
	if (ex)
		return ex;
	if (emit_json(c, list))
		return EX_OK;
	struct table *t = table_new("NAME CPU RAM DISK ENVS SERVERS PROJECTS MEMBERS DEFAULT ID");
	size_t i;
	json_t *p;
	json_array_foreach(list, i, p) {
		char ram[32], disk[32];
		fmt_unit(json_object_get(p, "ram_mb"), "M", ram, sizeof ram);
		fmt_unit(json_object_get(p, "disk_gb"), "G", disk, sizeof disk);
		table_cellj(t, p, "name");
		table_cellj(t, p, "cpu_cores");
		table_cell(t, ram);
		table_cell(t, disk);
		table_cellj(t, p, "max_environments");
		table_cellj(t, p, "max_servers");
		table_cellj(t, p, "max_projects");
		table_cellj(t, p, "max_members");
		table_cell(t, json_integer_value(json_object_get(p, "is_default")) ||
				      json_is_true(json_object_get(p, "is_default"))
			      ? "*"
			      : "");
		table_cellj(t, p, "id");
	}
	table_print(t);
	json_decref(list);
	return EX_OK;
}

static int cmd_show(struct cli *c, struct args *a)
{
	json_t *p;
	int ex = resolve_plan(c, a->pos[0], &p);
	if (ex)
		return ex;
	static const char *const keys[] = {"id", "name", NULL};
	emit(c, p, keys, 0);
	return EX_OK;
}

static int cmd_create(struct cli *c, struct args *a)
{
	json_t *body = body_from_args(c, a);
	if (!body)
		return EX_USAGE;
	json_object_set_new(body, "name", json_string(a->pos[0]));
	json_t *p;
	int ex = api_call(c, "POST", "/api/v1/plans", body, &p, 0);
	json_decref(body);
	if (ex)
		return ex;
	emit_msg(c, json_incref(p), "Created plan %s (id %s).", jstr(p, "name"), jstr(p, "id"));
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
	int ex = resolve_plan(c, a->pos[0], &p);
	if (ex) {
		json_decref(body);
		return ex;
	}
	char *path = xasprintf("/api/v1/plans/%s", jstr(p, "id"));
	ex = api_call(c, "PATCH", path, body, &ans, 0);
	free(path);
	json_decref(body);
	json_decref(p);
	if (ex)
		return ex;
	emit_msg(c, json_incref(ans), "Updated plan %s.", jstr(ans, "name"));
	json_decref(ans);
	return EX_OK;
}

static int cmd_delete(struct cli *c, struct args *a)
{
	json_t *p;
	int ex = resolve_plan(c, a->pos[0], &p);
	if (ex)
		return ex;
	char *path = xasprintf("/api/v1/plans/%s", jstr(p, "id"));
	ex = api_call(c, "DELETE", path, NULL, NULL, 0);
	free(path);
	if (ex == EX_OK && !c->json)
		printf("Deleted plan %s.\n", jstr(p, "name"));
	json_decref(p);
	return ex;
}

static int cmd_set(struct cli *c, struct args *a)
{
	/* the administrator may set the plan of an organization they are not a member of: an
	 * id goes as is, a name is looked up among their organizations */
	char *org;
	int ex = resolve_org(c, a->pos[0], &org);
	if (ex)
		return ex;
	json_t *p, *ans;
	if ((ex = resolve_plan(c, a->pos[1], &p))) {
		free(org);
		return ex;
	}
	json_t *body = json_pack("{s:s}", "plan_id", jstr(p, "id"));
	char *path = xasprintf("/api/v1/orgs/%s/plan", org);
	ex = api_call(c, "PUT", path, body, &ans, 0);
	free(path);
	json_decref(body);
	free(org);
	if (ex == EX_OK) {
		emit_msg(c, json_incref(ans), "Organization %s is now on the %s plan.", jstr(ans, "name"),
			 jstr(p, "name"));
		json_decref(ans);
	}
	json_decref(p);
	return ex;
}

#define PLAN_FIELDS                                                                              \
	{"cpu", OPT_NUM, "cpu_cores", "N", "CPU cores quota", 0},                                    \
	{"ram", OPT_INT, "ram_mb", "MB", "RAM quota (MB)", 0},                                       \
	{"disk", OPT_INT, "disk_gb", "GB", "disk quota (GB)", 0},                                    \
	{"max-environments", OPT_INT, "max_environments", "N", "environments quota", 0},             \
	{"max-servers", OPT_INT, "max_servers", "N", "servers quota", 0},                            \
	{"max-projects", OPT_INT, "max_projects", "N", "projects quota", 0},                         \
	{"max-members", OPT_INT, "max_members", "N", "members quota (pending invitations count)", 0}, \
	{"allow-ide", OPT_BOOL, "allow_ide", NULL, "feature: web IDE", 0},                           \
	{"allow-backup", OPT_BOOL, "allow_backup", NULL, "feature: backups", 0},                     \
	{"allow-instance-tuning", OPT_BOOL, "allow_instance_tuning", NULL, "feature: instance tuning", 0}, \
	{"allow-nginx-tuning", OPT_BOOL, "allow_nginx_tuning", NULL, "feature: nginx tuning", 0},    \
	{"allow-ip-whitelist", OPT_BOOL, "allow_ip_whitelist", NULL, "feature: IP allow-lists", 0},   \
	{"allow-connect", OPT_BOOL, "allow_connect", NULL, "feature: connect as a user", 0},         \
	{"allow-merge", OPT_BOOL, "allow_merge", NULL, "feature: merges", 0},                        \
	{"default", OPT_FLAG, "is_default", NULL, "make it the plan of new organizations", 0},        \
	{"data", OPT_STR, NULL, "JSON", "more fields as a JSON object (options win)", 0}

static const struct opt CREATE_OPTS[] = {PLAN_FIELDS, OPT_END};
static const struct opt UPDATE_OPTS[] = {
	{"name", OPT_STR, "name", "NAME", "new name", 0},
	PLAN_FIELDS,
	OPT_END,
};
static const struct opt NONE[] = {OPT_END};

const struct verb plan_verbs[] = {
	{"list", "", "List the plans.", NONE, 0, 0, cmd_list},
	{"show", "PLAN", "Show a plan (by name or id).", NONE, 1, 1, cmd_show},
	{"create", "NAME --cpu N --ram MB --disk GB --max-environments N --max-servers N"
		   " --max-projects N --max-members N",
	 "Create a plan (administrator; every quota is required).", CREATE_OPTS, 1, 1, cmd_create},
	{"update", "PLAN [OPTIONS]", "Change a plan (administrator).", UPDATE_OPTS, 1, 1, cmd_update},
	{"delete", "PLAN", "Delete a plan no organization uses (administrator).", NONE, 1, 1,
	 cmd_delete},
	{"set", "ORG PLAN", "Put an organization on a plan (administrator).", NONE, 2, 2, cmd_set},
	{NULL, NULL, NULL, NULL, 0, 0, NULL},
};
