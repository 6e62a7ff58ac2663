/* env_rt.c: the runtime of a job: the environment's row, names and secrets, read once
 * (struct envrt). */
#include <math.h>
#include <string.h>
#include <sodium.h>

#include "core/envspec.h"
#include "lib/log.h"
#include "lib/secret.h"
#include "core/config.h"
#include "core/settings.h"
#include "ops/env_int.h"
#include "ops/ops.h"
#include "store/db.h"

void env_status(const char *id, const char *status, const char *reason)
{
	char *now = iso8601_now();
	db_exec("UPDATE environments SET status=?, status_reason=?, updated_at=? WHERE id=?", "ssss",
		status, reason, now, id);
	free(now);
	log_event(LOG_INFO, "environment status",
		  json_pack("{s:s,s:s,s:s?}", "environment", id, "status", status, "reason", reason));
}

static char *secret_or_new(const char *id, const char *col, size_t bytes)
{
	char *sql = xasprintf("SELECT %s FROM environments WHERE id=?", col);
	char *sealed = db_str(sql, "s", id);
	free(sql);
	char *plain = sealed ? secret_open(sealed) : NULL;
	free(sealed);
	if (plain)
		return plain;
	char *hex = xmalloc(bytes * 2 + 1);
	random_hex(hex, bytes);
	char *s = secret_seal(hex);
	sql = xasprintf("UPDATE environments SET %s=? WHERE id=?", col);
	db_exec(sql, "ss", s, id);
	free(sql);
	free(s);
	return hex;
}

void envrt_free(struct envrt *rt)
{
	json_decref(rt->row);
	json_decref(rt->settings);
	json_decref(rt->effective);
	free(rt->commit);
	json_decref(rt->addon_commits);
	json_decref(rt->sources);
	free(rt->addons_path);
	json_decref(rt->update);
	free(rt->db_name);
	secret_free(rt->db_password);
	secret_free(rt->admin_passwd);
	secret_free(rt->repl_password);
	secret_free(rt->smtp_password);
	memset(rt, 0, sizeof *rt);
}

int envrt_load(struct envrt *rt, const char *env_id, struct berr *err)
{
	memset(rt, 0, sizeof *rt);
	rt->row = db_row("SELECT e.*, p.odoo_version, s.http_port AS server_http_port,"
			 " round(e.cpu_cores - e.postgres_cpu_cores, 2) AS odoo_cpu"
			 " FROM environments e JOIN projects p ON p.id=e.project_id"
			 " JOIN servers s ON s.id=e.vm_id WHERE e.id=?", "s", env_id);
	if (!rt->row)
		return berr_set(err, BE_ENVIRONMENT_NOT_FOUND, NULL, "the environment no longer exists");
	rt->id = S(rt->row, "id");
	rt->name = S(rt->row, "name");
	rt->version = S(rt->row, "odoo_version");
	rt->type = S(rt->row, "environment_type");
	rt->server_id = S(rt->row, "vm_id");
	int k = 0;
	for (const char *p = rt->id; *p && k < 12; p++)
		if (*p != '-')
			rt->key[k++] = *p;
	rt->key[k] = '\0';
	snprintf(rt->net, sizeof rt->net, "berth-%s", rt->key);
	snprintf(rt->db, sizeof rt->db, "berth-%s-db", rt->key);
	snprintf(rt->pgb, sizeof rt->pgb, "berth-%s-pgbouncer", rt->key);
	snprintf(rt->odoo, sizeof rt->odoo, "berth-%s-odoo", rt->key);
	snprintf(rt->replica, sizeof rt->replica, "berth-%s-db-replica", rt->key);
	snprintf(rt->vol_pg, sizeof rt->vol_pg, "berth-%s-pgdata", rt->key);
	snprintf(rt->vol_rep, sizeof rt->vol_rep, "berth-%s-pgdata-replica", rt->key);
	snprintf(rt->vol_data, sizeof rt->vol_data, "berth-%s-odoodata", rt->key);
	snprintf(rt->vol_code, sizeof rt->vol_code, "berth-%s-code", rt->key);
	snprintf(rt->code_helper, sizeof rt->code_helper, "berth-%s-code-sync", rt->key);
	snprintf(rt->site, sizeof rt->site, "%s.conf", rt->key);
	const char *dbn = S(rt->row, "db_name");
	if (!dbn) { /* fixed at first deploy: renaming the environment keeps its database */
		db_exec("UPDATE environments SET db_name=name WHERE id=? AND db_name IS NULL", "s", env_id);
		rt->db_name = db_str("SELECT db_name FROM environments WHERE id=?", "s", env_id);
	} else {
		rt->db_name = xstrdup(dbn);
	}
	rt->db_password = secret_or_new(env_id, "db_password", 24);
	rt->admin_passwd = secret_or_new(env_id, "admin_passwd", 24);
	char *sp = db_str("SELECT smtp_password FROM environments WHERE id=?", "s", env_id);
	rt->smtp_password = sp ? secret_open(sp) : NULL;
	free(sp);
	/* the replication password is derived from the db password: one secret less to store */
	unsigned char h[16];
	crypto_generichash(h, sizeof h, (const unsigned char *)rt->db_password,
			   strlen(rt->db_password), (const unsigned char *)"replication", 11);
	rt->repl_password = xmalloc(33);
	sodium_bin2hex(rt->repl_password, 33, h, sizeof h);
	rt->settings = json_incref(json_object_get(rt->row, "settings"));
	if (!json_is_object(rt->settings)) {
		json_decref(rt->settings);
		rt->settings = json_object();
	}
	snprintf(rt->fqdn, sizeof rt->fqdn, "%s.%s", S(rt->row, "subdomain"), berth_cfg.apps_domain);
	rt->http_port = (int)json_integer_value(json_object_get(rt->row, "server_http_port"));
	rt->deployed_before = json_is_string(json_object_get(rt->row, "deployed_at"));
	rt->pgbouncer = json_is_true(json_object_get(rt->row, "enable_pgbouncer"));
	rt->pgtune = json_is_true(json_object_get(rt->row, "enable_pgtune"));
	rt->replica_on = json_is_true(json_object_get(rt->row, "enable_read_replica")) &&
			 (str_eq(rt->version, "18.0") || str_eq(rt->version, "19.0"));
	rt->pg_cpu_c = (int)llround(json_number_value(json_object_get(rt->row, "postgres_cpu_cores")) * 100);
	rt->odoo_cpu_c = (int)llround(json_number_value(json_object_get(rt->row, "odoo_cpu")) * 100);
	rt->pg_ram = json_integer_value(json_object_get(rt->row, "postgres_ram_mb"));
	rt->odoo_ram = json_integer_value(json_object_get(rt->row, "ram_mb")) - rt->pg_ram;
	rt->effective = odoo_config_effective(json_object_get(rt->row, "odoo_config"), rt->odoo_cpu_c,
					      rt->odoo_ram, rt->type);
	return 0;
}

json_t *labels(const struct envrt *rt, const char *role)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:s}", "berth.managed", "1", "berth.env", rt->id,
			 "berth.env.name", rt->name, "berth.role", role, "berth.server", rt->server_id);
}

/* An environment setting, its default from the registry (core/settings.c) when unset. */
long long setting_int(const struct envrt *rt, const char *k)
{
	return settings_get_int(rt->settings, k);
}

const char *setting_str(const struct envrt *rt, const char *k)
{
	return settings_get_str(rt->settings, k);
}
