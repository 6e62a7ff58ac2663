/* plans.c: plans (quotas and feature gates), edited by the platform administrator. */
#include <string.h>

#include "api/auth.h"
#include "api/http.h"
#include "lib/jspec.h"
#include "store/db.h"
#include "store/model.h"

static const char *const GATES[] = {"allow_ide",          "allow_backup",       "allow_instance_tuning",
				    "allow_nginx_tuning", "allow_ip_whitelist", "allow_connect",
				    "allow_merge"};
static const char *const LIMITS[] = {"ram_mb",       "disk_gb",      "max_environments",
				     "max_servers",  "max_projects", "max_members"};

static int admin_only(struct req *r)
{
	if (!r->actor.is_admin)
		return reply_error(r, BE_PERMISSION_DENIED, NULL,
				   "Only the platform administrator manages plans");
	return 0;
}

/* Parses a plan body into column updates; all fields required when creating. */
static int plan_write(struct req *r, const char *id, bool create)
{
	const char *name = NULL;
	double cpu = 0;
	long long lim[ARRAY_SIZE(LIMITS)] = {0};
	bool gate[ARRAY_SIZE(GATES)] = {0}, has_gate[ARRAY_SIZE(GATES)] = {0},
	     has_lim[ARRAY_SIZE(LIMITS)] = {0}, has_cpu = false, is_default = false, has_default = false;
	struct jfield spec[2 + ARRAY_SIZE(LIMITS) + ARRAY_SIZE(GATES) + 2];
	memset(spec, 0, sizeof spec);
	size_t n = 0;
	spec[n++] = (struct jfield){.name = "name", .type = J_STRING, .required = create, .dest = &name,
				    .maxlen = 60};
	spec[n++] = (struct jfield){.name = "cpu_cores", .type = J_NUMBER, .required = create,
				    .dest = &cpu, .present = &has_cpu, .dmin = 0, .dmax = 100000};
	for (size_t i = 0; i < ARRAY_SIZE(LIMITS); i++)
		spec[n++] = (struct jfield){.name = LIMITS[i], .type = J_INT, .required = create,
					    .dest = &lim[i], .present = &has_lim[i], .imin = 0,
					    .imax = 100000000};
	for (size_t i = 0; i < ARRAY_SIZE(GATES); i++)
		spec[n++] = (struct jfield){.name = GATES[i], .type = J_BOOL, .dest = &gate[i],
					    .present = &has_gate[i]};
	spec[n++] = (struct jfield){.name = "is_default", .type = J_BOOL, .dest = &is_default,
				    .present = &has_default};
	spec[n] = (struct jfield)JF_END;
	if (jspec_parse(req_body(r), spec, NULL, &r->err) < 0)
		return -1;
	if (name && !*name)
		return berr_set(&r->err, BE_VALIDATION_ERROR, "name", "name: must not be empty");
	char *now = iso8601_now();
	db_begin();
	int rc = 0;
	if (create) /* a duplicate name fails here already (-2) */
		rc = db_exec("INSERT INTO plans(id, name, cpu_cores, ram_mb, disk_gb, max_environments,"
			     " max_servers, max_projects, max_members, created_at, updated_at)"
			     " VALUES(?,?,?,0,0,0,0,0,0,?,?)", "ssdss", id, name, cpu, now, now);
	if (name && rc == 0)
		rc = db_exec("UPDATE plans SET name=? WHERE id=?", "ss", name, id);
	if (rc < 0) {
		db_rollback();
		free(now);
		if (rc == -1)
			return berr_set(&r->err, BE_INTERNAL_ERROR, NULL, NULL);
		return berr_set(&r->err, BE_NAME_EXISTS, "name", "A plan named '%s' already exists", name);
	}
	if (has_cpu)
		db_exec("UPDATE plans SET cpu_cores=? WHERE id=?", "ds", cpu, id);
	for (size_t i = 0; i < ARRAY_SIZE(LIMITS); i++)
		if (has_lim[i]) {
			char *sql = xasprintf("UPDATE plans SET %s=? WHERE id=?", LIMITS[i]);
			db_exec(sql, "is", (int64_t)lim[i], id);
			free(sql);
		}
	for (size_t i = 0; i < ARRAY_SIZE(GATES); i++)
		if (has_gate[i]) {
			char *sql = xasprintf("UPDATE plans SET %s=? WHERE id=?", GATES[i]);
			db_exec(sql, "bs", (int)gate[i], id);
			free(sql);
		}
	if (has_default && is_default) {
		db_exec("UPDATE plans SET is_default=0", "");
		db_exec("UPDATE plans SET is_default=1 WHERE id=?", "s", id);
	}
	db_exec("UPDATE plans SET updated_at=? WHERE id=?", "ss", now, id);
	db_commit();
	free(now);
	return 0;
}

static int h_plans_list(struct req *r)
{
	return reply_json(r, 200, db_rows("SELECT * FROM plans ORDER BY cpu_cores, name", ""));
}

static int h_plan_get(struct req *r)
{
	json_t *p = model_plan_get(r->params[0]);
	if (!p)
		return reply_error(r, BE_PLAN_NOT_FOUND, NULL, NULL);
	return reply_json(r, 200, p);
}

static int h_plan_create(struct req *r)
{
	if (admin_only(r))
		return reply_berr(r);
	char id[37];
	uuid4(id);
	if (plan_write(r, id, true) < 0)
		return reply_berr(r);
	json_t *p = model_plan_get(id);
	return reply_json(r, 201, p);
}

static int h_plan_update(struct req *r)
{
	if (admin_only(r))
		return reply_berr(r);
	json_t *p = model_plan_get(r->params[0]);
	if (!p)
		return reply_error(r, BE_PLAN_NOT_FOUND, NULL, NULL);
	json_decref(p);
	if (plan_write(r, r->params[0], false) < 0)
		return reply_berr(r);
	return reply_json(r, 200, model_plan_get(r->params[0]));
}

static int h_plan_delete(struct req *r)
{
	if (admin_only(r))
		return reply_berr(r);
	if (db_int(0, "SELECT count(*) FROM plans WHERE id=?", "s", r->params[0]) == 0)
		return reply_error(r, BE_PLAN_NOT_FOUND, NULL, NULL);
	if (db_int(0, "SELECT count(*) FROM orgs WHERE plan_id=?", "s", r->params[0]) > 0)
		return reply_error(r, BE_CONFLICT, NULL, "The plan is in use by organizations");
	db_exec("DELETE FROM plans WHERE id=?", "s", r->params[0]);
	return reply_no_content(r);
}

const struct route plan_routes[] = {
	{"GET", "/api/v1/plans", h_plans_list, 0},
	{"POST", "/api/v1/plans", h_plan_create, 0},
	{"GET", "/api/v1/plans/{}", h_plan_get, 0},
	{"PATCH", "/api/v1/plans/{}", h_plan_update, 0},
	{"DELETE", "/api/v1/plans/{}", h_plan_delete, 0},
	{NULL, NULL, NULL, 0},
};
