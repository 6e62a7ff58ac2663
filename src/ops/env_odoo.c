/* env_odoo.c: the Database and Odoo stages: odoo.conf, the database's creation (`-i base`, the
 * administrator), module updates (`-u`) and the Odoo container. */
#include <string.h>
#include <sodium.h>

#include "lib/secret.h"
#include "ops/env_int.h"
#include "ops/ops.h"
#include "render/render.h"
#include "store/envs.h"

char *odoo_conf(struct envrt *rt, struct berr *err)
{
	/* the shared addons come after the project's and the addon repositories' (the first
	 * module of a name Odoo finds wins) */
	char *path = rt->shared_addons_src
			     ? xasprintf("%s%s%s", rt->addons_path ? rt->addons_path : "",
					 rt->addons_path ? "," : "", SHARED_ADDONS_DIR)
			     : NULL;
	struct render_odoo o = {
		.db_host = rt->pgbouncer ? rt->pgb : rt->db,
		.db_port = rt->pgbouncer ? 6432 : 5432,
		.db_user = DB_USER,
		.db_password = rt->db_password,
		.db_name = rt->db_name,
		.admin_passwd = rt->admin_passwd,
		.replica_host = rt->replica_on ? rt->replica : NULL,
		.replica_port = 5432,
		.config = rt->env.odoo_config,
		.effective = rt->effective,
		.smtp_password = rt->smtp_password,
		.extra = S(rt->settings, "odoo_config"),
		.addons_path = path ? path : rt->addons_path,
		.mail_catcher = str_eq(rt->type, "production") ? NULL : rt->mail,
	};
	char *conf = render_odoo_conf(&o, err);
	free(path);
	return conf;
}

static json_t *odoo_spec(struct envrt *rt, const char *image, json_t *cmd, const char *role)
{
	json_t *envv = json_array();
	const char *k;
	json_t *v;
	json_object_foreach(rt->env.environment_vars, k, v)
		json_array_append_new(envv, json_sprintf("%s=%s", k, json_string_value(v)));
	long long mem = setting_int(rt, "odoo_memory_limit_mb");
	json_t *spec = json_pack("{s:s,s:o,s:o,s:o}", "Image", image, "Labels", labels(rt, role),
				 "Env", envv, "HostConfig",
				 host_config(rt->net, rt->odoo_cpu_c, mem > 0 ? mem : rt->odoo_ram,
					     setting_int(rt, "odoo_memory_reservation_mb"),
					     setting_int(rt, "odoo_shm_mb"),
					     str_eq(role, "odoo") ? restart_policy(rt) : "no"));
	json_t *mounts = json_pack("[{s:s,s:s,s:s},{s:s,s:s,s:s,s:b}]", "Type", "volume", "Source",
				   rt->vol_data, "Target", "/var/lib/odoo", "Type", "volume", "Source",
				   rt->vol_code, "Target", CODE_DIR, "ReadOnly", 1);
	env_mounts_add(rt, mounts);
	json_object_set_new(json_object_get(spec, "HostConfig"), "Mounts", mounts);
	if (cmd)
		json_object_set_new(spec, "Cmd", cmd);
	return spec;
}

/* Is the database initialised (base installed)? -1 error, 0 no, 1 yes. */
static int db_initialised(struct engine *e, struct envrt *rt, struct berr *err)
{
	const char *argv[] = {"psql", "-U", "postgres", "-h", "/run/postgresql", "-d", rt->db_name,
			      "-tAc", RENDER_ODOO_BASE_STATE_SQL, NULL};
	int code = -1;
	struct sbuf out = SBUF_INIT;
	if (engine_exec(e, rt->db, argv, "postgres", &code, &out, err) < 0) {
		sbuf_release(&out);
		return -1;
	}
	int r = code == 0 && strstr(sbuf_str(&out), "installed") ? 1 : 0;
	sbuf_release(&out);
	return r;
}

/* Runs `odoo ARGS --stop-after-init` in a one-off container with the given odoo.conf; its
 * last log lines go to the job's log. */
static int run_odoo_once(struct engine *e, struct job *j, struct envrt *rt, const char *image,
			 const char *conf, json_t *cmd, const char *suffix, const char *what,
			 struct berr *err)
{
	char name[64];
	snprintf(name, sizeof name, "%s-%s", rt->odoo, suffix);
	json_t *spec = odoo_spec(rt, image, cmd, "odoo-once");
	engine_container_remove(e, name, err); /* a leftover of an interrupted run */
	struct efile files[] = {{"odoo.conf", conf, strlen(conf), 0644}};
	int rc = engine_container_create(e, name, spec, err);
	json_decref(spec);
	if (rc == 0)
		rc = engine_put_files(e, name, "/etc/odoo", files, 1, err);
	if (rc == 0)
		rc = engine_container_start(e, name, err);
	int code = -1;
	if (rc == 0)
		rc = engine_container_wait(e, name, &code, err);
	struct sbuf logs = SBUF_INIT;
	engine_container_logs(e, name, 30, &logs, err);
	job_log(j, "%s", sbuf_str(&logs));
	sbuf_release(&logs);
	engine_container_remove(e, name, err);
	if (rc < 0)
		return -1;
	if (code != 0)
		return berr_set(err, BE_INTERNAL_ERROR, NULL, "%s exited with status %d (see the log above)",
				what, code);
	return 0;
}

/* The environment's Odoo administrator password, unsealed; one is made (24 random
 * alphanumerics, stored sealed) for an environment created without one. Caller frees with
 * secret_free. */
static char *admin_password(const char *env_id)
{
	char *sealed = env_secret_get(env_id, ENV_SECRET_ADMIN_PASSWORD);
	char *plain = sealed ? secret_open(sealed) : NULL;
	free(sealed);
	if (plain)
		return plain;
	static const char alnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	char pw[25];
	for (size_t i = 0; i < 24; i++)
		pw[i] = alnum[randombytes_uniform(sizeof alnum - 1)];
	pw[24] = '\0';
	char *s = secret_seal(pw);
	env_secret_set_if_null(env_id, ENV_SECRET_ADMIN_PASSWORD, s);
	free(s);
	sodium_memzero(pw, sizeof pw);
	sealed = env_secret_get(env_id, ENV_SECRET_ADMIN_PASSWORD);
	plain = sealed ? secret_open(sealed) : NULL;
	free(sealed);
	return plain;
}

/* Sets the administrator (res_users id 2, login 'admin' after `-i base`) of a database this
 * environment just created: its login becomes admin_login (kept 'admin' without one) and its
 * password the environment's admin_password, in Odoo's stored form. psql reads both from its
 * environment (\getenv), never from a command line (render's RENDER_ODOO_ADMIN_SQL). */
static int set_admin(struct engine *e, struct job *j, struct envrt *rt, struct berr *err)
{
	char *pw = admin_password(rt->id);
	if (!pw)
		return berr_set(err, BE_INTERNAL_ERROR, NULL, "cannot read the administrator password");
	unsigned char salt[16];
	randombytes_buf(salt, sizeof salt);
	char *hash = render_odoo_password(pw, salt, sizeof salt, RENDER_ODOO_PASSWORD_ROUNDS);
	secret_free(pw);
	const char *login = rt->env.admin_login;
	char *env_login = xasprintf("BERTH_ADMIN_LOGIN=%s", login ? login : "");
	char *env_pw = xasprintf("BERTH_ADMIN_PASSWORD=%s", hash);
	secret_free(hash);
	const char *envv[] = {env_login, env_pw, NULL};
	const char *argv[] = {"psql", "-X", "-h", "/run/postgresql", "-U", "postgres", "-d", rt->db_name,
			      "-f", "/tmp/berth-admin.sql", NULL};
	struct efile files[] = {{"berth-admin.sql", RENDER_ODOO_ADMIN_SQL,
				 strlen(RENDER_ODOO_ADMIN_SQL), 0644}};
	int code = -1;
	struct sbuf out = SBUF_INIT;
	int rc = engine_put_files(e, rt->db, "/tmp", files, 1, err);
	if (rc == 0)
		rc = engine_exec_env(e, rt->db, argv, envv, "postgres", &code, &out, err);
	if (rc == 0 && (code != 0 || !strstr(sbuf_str(&out), "UPDATE 1")))
		rc = berr_set(err, BE_INTERNAL_ERROR, NULL, "setting the Odoo administrator failed: %.300s",
			      sbuf_str(&out));
	const char *rm[] = {"rm", "-f", "/tmp/berth-admin.sql", NULL};
	struct berr e2 = {0};
	struct sbuf o2 = SBUF_INIT;
	engine_exec(e, rt->db, rm, "root", &code, &o2, &e2);
	sbuf_release(&o2);
	sbuf_release(&out);
	free(env_login);
	secret_free(env_pw);
	if (rc == 0)
		job_log(j, "Odoo administrator: login %s, password set (stored sealed)",
			login ? login : "admin");
	return rc;
}

/* A database initialised by an earlier, unfinished first deploy whose administrator was not
 * set yet (still 'admin'): -1 error, 0 no, 1 yes. */
static int admin_pending(struct engine *e, struct envrt *rt, struct berr *err)
{
	const char *argv[] = {"psql", "-X", "-U", "postgres", "-h", "/run/postgresql", "-d", rt->db_name,
			      "-tAc", RENDER_ODOO_ADMIN_LOGIN_SQL, NULL};
	int code = -1;
	struct sbuf out = SBUF_INIT;
	if (engine_exec(e, rt->db, argv, "postgres", &code, &out, err) < 0) {
		sbuf_release(&out);
		return -1;
	}
	while (out.len && (out.buf[out.len - 1] == '\n' || out.buf[out.len - 1] == '\r'))
		out.buf[--out.len] = '\0';
	int r = code == 0 && str_eq(sbuf_str(&out), "admin");
	sbuf_release(&out);
	return r;
}

/* First deploy: `odoo -i base` in a one-off container, before serving, then the
 * administrator's login and password. */
static int init_database(struct engine *e, struct job *j, struct envrt *rt, const char *image,
			 const char *conf, struct berr *err)
{
	/* an untouched database container of an environment deployed before holds its data */
	int done = rt->db_unchanged && rt->deployed_before ? 1 : db_initialised(e, rt, err);
	if (done < 0)
		return -1;
	if (done) {
		job_log(j, "database %s is initialised: keeping its data", rt->db_name);
		/* a first deploy interrupted between `-i base` and the administrator: finish it;
		 * a database of an environment deployed before is never touched */
		int pending = rt->deployed_before ? 0 : admin_pending(e, rt, err);
		if (pending < 0)
			return -1;
		return pending ? set_admin(e, j, rt, err) : 0;
	}
	json_t *cmd = json_pack("[s,s,s,s,s,s,s,s]", "odoo", "-c", "/etc/odoo/odoo.conf", "-d",
				rt->db_name, "-i", "base", "--stop-after-init");
	if (!str_eq(rt->version, "19.0")) /* 19.0 loads no demo data unless asked */
		json_array_append_new(cmd, json_string("--without-demo=all"));
	job_log(j, "creating database %s (odoo -i base, no demo data)", rt->db_name);
	if (run_odoo_once(e, j, rt, image, conf, cmd, "init", "odoo -i base", err) < 0)
		return -1;
	return set_admin(e, j, rt, err);
}

/* Updates the modules whose files changed, with the new code, while the running Odoo keeps
 * serving the previous code; a failure leaves it so. */
int update_modules(struct engine *e, struct job *j, struct envrt *rt, const char *image,
		   const char *conf, struct berr *err)
{
	if (!rt->update || json_array_size(rt->update) == 0)
		return 0;
	struct sbuf mods = SBUF_INIT;
	size_t i;
	json_t *m;
	json_array_foreach(rt->update, i, m)
		sbuf_addf(&mods, "%s%s", i ? "," : "", json_string_value(m));
	if (backup_before_update(e, j, rt, err) < 0) {
		sbuf_release(&mods);
		return -1;
	}
	job_log(j, "updating modules: odoo -u %s", sbuf_str(&mods));
	json_t *cmd = json_pack("[s,s,s,s,s,s,s,s]", "odoo", "-c", "/etc/odoo/odoo.conf", "-d",
				rt->db_name, "-u", sbuf_str(&mods), "--stop-after-init");
	sbuf_release(&mods);
	int rc = run_odoo_once(e, j, rt, image, conf, cmd, "update", "odoo -u", err);
	if (rc < 0 && !rt->odoo_touched)
		job_log(j, "the module update failed: Odoo keeps running the previous code");
	return rc;
}

int odoo_neutralize(struct engine *e, struct job *j, struct envrt *rt, struct berr *err)
{
	char *image = env_mounts(e, j, rt, err) == 0 ? odoo_image(e, j, rt, err) : NULL;
	char *conf = image ? odoo_conf(rt, err) : NULL;
	int rc = -1;
	if (conf) {
		json_t *cmd = json_pack("[s,s,s,s,s,s]", "odoo", "neutralize", "-c", "/etc/odoo/odoo.conf",
					"-d", rt->db_name);
		job_log(j, "neutralizing %s (odoo neutralize: scheduled actions and outgoing mail off)",
			rt->db_name);
		rc = run_odoo_once(e, j, rt, image, conf, cmd, "neutralize", "odoo neutralize", err);
	}
	secret_free(conf);
	free(image);
	return rc;
}

int deploy_odoo(struct engine *e, struct job *j, struct envrt *rt, bool force,
		struct berr *err)
{
	char *image = odoo_image(e, j, rt, err);
	if (!image)
		return -1;
	char *conf = env_mounts(e, j, rt, err) == 0 ? odoo_conf(rt, err) : NULL;
	if (!conf) {
		free(image);
		return -1;
	}
	int rc = env_filestore_prepare(e, j, rt, image, err);
	if (rc == 0)
		rc = init_database(e, j, rt, image, conf, err);
	if (rc == 0)
		rc = env_extensions(e, j, rt, err);
	if (rc == 0 && rt->deployed_before)
		rc = update_modules(e, j, rt, image, conf, err);
	if (rc == 0) {
		job_stage(j, "Odoo");
		struct efile files[] = {{"odoo.conf", conf, strlen(conf), 0644}};
		json_t *spec = odoo_spec(rt, image, NULL, "odoo");
		/* every deploy starts a fresh Odoo container (new code, clean process); the database
		 * containers are kept when unchanged */
		(void)force;
		rt->odoo_touched = true;
		rc = converge_container(e, j, rt->odoo, spec, "/etc/odoo", files, 1, true, NULL, err);
		json_decref(spec);
	}
	secret_free(conf);
	free(image);
	return rc;
}
