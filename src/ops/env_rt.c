/* env_rt.c: the runtime of a job: the environment's row, names and secrets, read once
 * (struct envrt). */
#include <math.h>
#include <string.h>
#include <sodium.h>

#include "core/envspec.h"
#include "jobs/events.h"
#include "lib/log.h"
#include "lib/secret.h"
#include "core/config.h"
#include "core/settings.h"
#include "ops/env_int.h"
#include "ops/ops.h"
#include "store/envs.h"

/* The one place an environment's status changes: the row, the log, and the organization's
 * event stream (environment.status, when the status or its reason changed). */
void env_status(const char *id, const char *status, const char *reason)
{
	struct env_row e;
	bool known = env_load(id, &e) == 0;
	bool same = known && str_eq(e.status, status) &&
		    str_eq(e.status_reason ? e.status_reason : "", reason ? reason : "");
	env_set_status(id, status, reason);
	log_event(LOG_INFO, "environment status",
		  json_pack("{s:s,s:s,s:s?}", "environment", id, "status", status, "reason", reason));
	if (known && !same)
		events_publish(e.org_id, e.project_id, "environment.status",
			       json_pack("{s:s,s:s,s:s,s:s,s:s?}", "id", id, "project_id",
					 e.project_id, "name", e.name, "status", status,
					 "status_reason", reason));
	if (known)
		env_row_free(&e);
}

static char *secret_or_new(const char *id, enum env_secret which, size_t bytes)
{
	char *sealed = env_secret_get(id, which);
	char *plain = sealed ? secret_open(sealed) : NULL;
	free(sealed);
	if (plain)
		return plain;
	char *hex = xmalloc(bytes * 2 + 1);
	random_hex(hex, bytes);
	char *s = secret_seal(hex);
	env_secret_set(id, which, s);
	free(s);
	return hex;
}

void envrt_free(struct envrt *rt)
{
	env_row_free(&rt->env);
	json_decref(rt->settings);
	json_decref(rt->effective);
	free(rt->commit);
	json_decref(rt->addon_commits);
	json_decref(rt->sources);
	free(rt->addons_path);
	json_decref(rt->update);
	free(rt->odoo_img);
	free(rt->pg_img);
	free(rt->shared_addons_src);
	free(rt->filestore_src);
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
	if (env_load(env_id, &rt->env) < 0)
		return berr_set(err, BE_ENVIRONMENT_NOT_FOUND, NULL, "the environment no longer exists");
	const struct env_row *row = &rt->env;
	rt->id = row->id;
	rt->name = row->name;
	rt->version = row->odoo_version;
	rt->type = row->environment_type;
	rt->server_id = row->vm_id;
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
	snprintf(rt->mail, sizeof rt->mail, "berth-%s-mail", rt->key);
	snprintf(rt->vol_mail, sizeof rt->vol_mail, "berth-%s-mail", rt->key);
	snprintf(rt->ide, sizeof rt->ide, "berth-%s-ide", rt->key);
	if (!row->db_name) /* fixed at first deploy: renaming the environment keeps its database */
		rt->db_name = env_fix_db_name(env_id);
	else
		rt->db_name = xstrdup(row->db_name);
	rt->db_password = secret_or_new(env_id, ENV_SECRET_DB_PASSWORD, 24);
	rt->admin_passwd = secret_or_new(env_id, ENV_SECRET_ADMIN_PASSWD, 24);
	char *sp = env_secret_get(env_id, ENV_SECRET_SMTP_PASSWORD);
	rt->smtp_password = sp ? secret_open(sp) : NULL;
	free(sp);
	/* the replication password is derived from the db password: one secret less to store */
	unsigned char h[16];
	crypto_generichash(h, sizeof h, (const unsigned char *)rt->db_password,
			   strlen(rt->db_password), (const unsigned char *)"replication", 11);
	rt->repl_password = xmalloc(33);
	sodium_bin2hex(rt->repl_password, 33, h, sizeof h);
	rt->settings = json_incref(row->settings);
	if (!json_is_object(rt->settings)) {
		json_decref(rt->settings);
		rt->settings = json_object();
	}
	snprintf(rt->fqdn, sizeof rt->fqdn, "%s.%s", row->subdomain ? row->subdomain : "(null)",
		 berth_cfg.apps_domain);
	rt->http_port = (int)row->server_http_port;
	rt->deployed_before = row->deployed;
	rt->pgbouncer = row->enable_pgbouncer;
	rt->pgtune = row->enable_pgtune;
	rt->replica_on = row->enable_read_replica &&
			 (str_eq(rt->version, "18.0") || str_eq(rt->version, "19.0"));
	rt->pg_cpu_c = (int)llround(row->postgres_cpu_cores * 100);
	rt->odoo_cpu_c = (int)llround(row->odoo_cpu * 100);
	rt->pg_ram = row->postgres_ram_mb;
	rt->odoo_ram = row->ram_mb - rt->pg_ram;
	rt->effective = odoo_config_effective(row->odoo_config, rt->odoo_cpu_c, rt->odoo_ram,
					      rt->type);
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

size_t env_domain_list(const struct envrt *rt, const char **out, size_t max)
{
	size_t n = 0;
	const char *cand[2] = {rt->fqdn, rt->env.custom_domain};
	for (size_t i = 0; i < 2 && n < max; i++)
		if (cand[i] && *cand[i])
			out[n++] = cand[i];
	json_t *extra = json_object_get(rt->settings, "extra_domains");
	size_t k;
	json_t *v;
	json_array_foreach(extra, k, v) {
		const char *d = json_string_value(v);
		bool dup = !d || !*d;
		for (size_t i = 0; i < n && !dup; i++)
			dup = str_eq(out[i], d);
		if (!dup && n < max)
			out[n++] = d;
	}
	return n;
}
