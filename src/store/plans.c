/* plans.c: writes of the plans table. */
#include "store/plans.h"

#include <stdlib.h>

#include "lib/util.h"
#include "store/db.h"

const char *const plan_limits[PLAN_NLIMITS] = {"ram_mb",       "disk_gb",      "max_environments",
					       "max_servers",  "max_projects", "max_members"};
const char *const plan_gates[PLAN_NGATES] = {"allow_ide",          "allow_backup",
					     "allow_instance_tuning", "allow_nginx_tuning",
					     "allow_ip_whitelist", "allow_connect",
					     "allow_merge"};

int plans_insert(const char *id, const char *name, double cpu)
{
	char *now = iso8601_now();
	int rc = db_exec("INSERT INTO plans(id, name, cpu_cores, ram_mb, disk_gb, max_environments,"
			 " max_servers, max_projects, max_members, created_at, updated_at)"
			 " VALUES(?,?,?,0,0,0,0,0,0,?,?)", "ssdss", id, name, cpu, now, now);
	free(now);
	return rc;
}

int plans_apply(const char *id, const struct plan_patch *p)
{
	int rc;
	if (p->name && (rc = db_exec("UPDATE plans SET name=? WHERE id=?", "ss", p->name, id)) < 0)
		return rc;
	if (p->has_cpu && db_exec("UPDATE plans SET cpu_cores=? WHERE id=?", "ds", p->cpu, id) < 0)
		return -1;
	for (size_t i = 0; i < PLAN_NLIMITS; i++)
		if (p->has_lim[i]) {
			char *sql = xasprintf("UPDATE plans SET %s=? WHERE id=?", plan_limits[i]);
			rc = db_exec(sql, "is", (int64_t)p->lim[i], id);
			free(sql);
			if (rc < 0)
				return -1;
		}
	for (size_t i = 0; i < PLAN_NGATES; i++)
		if (p->has_gate[i]) {
			char *sql = xasprintf("UPDATE plans SET %s=? WHERE id=?", plan_gates[i]);
			rc = db_exec(sql, "bs", (int)p->gate[i], id);
			free(sql);
			if (rc < 0)
				return -1;
		}
	if (p->has_default && p->is_default &&
	    (db_exec("UPDATE plans SET is_default=0", "") < 0 ||
	     db_exec("UPDATE plans SET is_default=1 WHERE id=?", "s", id) < 0))
		return -1;
	char *now = iso8601_now();
	rc = db_exec("UPDATE plans SET updated_at=? WHERE id=?", "ss", now, id);
	free(now);
	return rc < 0 ? -1 : 0;
}

json_t *plans_list(void)
{
	return db_rows("SELECT * FROM plans ORDER BY cpu_cores, name", "");
}

bool plans_exists(const char *id)
{
	return db_int(0, "SELECT count(*) FROM plans WHERE id=?", "s", id) > 0;
}

int64_t plans_orgs_using(const char *id)
{
	return db_int(0, "SELECT count(*) FROM orgs WHERE plan_id=?", "s", id);
}

int plans_delete(const char *id)
{
	return db_exec("DELETE FROM plans WHERE id=?", "s", id) < 0 ? -1 : 0;
}
