/* env.c: deploy, restart, stop, start and remove of an environment. Every step converges:
 * objects are found by name, compared with what they should be (a hash label), and only
 * what differs is recreated, so a job interrupted anywhere completes on the next run. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sodium.h>

#include <unistd.h>

#include "api/http.h"
#include "core/envspec.h"
#include "core/modules.h"
#include "core/repo.h"
#include "drivers/engine.h"
#include "jobs/queue.h"
#include "lib/log.h"
#include "lib/secret.h"
#include "lib/valid.h"
#include "ops/images.h"
#include "ops/ops.h"
#include "render/render.h"
#include "store/db.h"
#include "store/model.h"

#define DB_USER "odoo"
#define CODE_DIR "/mnt/berth-code"
#define HEALTH_TIMEOUT_S 300

/* Everything a job needs to know about its environment, read once at the start. */
struct envrt {
	json_t *row;
	const char *id, *name, *version, *type, *server_id;
	char key[13];
	char net[40], db[48], pgb[48], odoo[48], replica[56], vol_pg[48], vol_rep[56],
		vol_data[48], vol_code[48], code_helper[48], site[64];
	char *db_name, *db_password, *admin_passwd, *repl_password, *smtp_password;
	char fqdn[300];
	json_t *settings;
	int http_port;
	bool pgbouncer, pgtune, replica_on;
	bool db_unchanged;    /* this deploy found PostgreSQL identical and running */
	bool deployed_before; /* a deploy completed once: the database exists */
	int odoo_cpu_c, pg_cpu_c;
	long long odoo_ram, pg_ram;
	json_t *effective;
	/* code (the project's branch and the addon repositories) */
	bool has_code;
	char rev[13];          /* names the code's directory on the server */
	char *commit;          /* the project's commit, NULL without a project repository */
	json_t *addon_commits; /* {url: commit} */
	json_t *sources;       /* [{mirror, commit, prefix}] to upload */
	char *addons_path;     /* for odoo.conf; NULL: the image's default */
	json_t *update;        /* modules to update (-u) */
	bool odoo_touched;     /* this job replaced or signalled Odoo */
	bool image_present;    /* the Odoo image was found (or pulled) on the server */
};

static const char *S(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static void env_status(const char *id, const char *status, const char *reason)
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

static void envrt_free(struct envrt *rt)
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

static int envrt_load(struct envrt *rt, const char *env_id, struct berr *err)
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
	snprintf(rt->fqdn, sizeof rt->fqdn, "%s.%s", S(rt->row, "subdomain"), api_cfg.apps_domain);
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

static json_t *labels(const struct envrt *rt, const char *role)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:s}", "berth.managed", "1", "berth.env", rt->id,
			 "berth.env.name", rt->name, "berth.role", role, "berth.server", rt->server_id);
}

static long long setting_int(const struct envrt *rt, const char *k, long long dflt)
{
	json_t *v = json_object_get(rt->settings, k);
	return json_is_integer(v) ? json_integer_value(v) : dflt;
}

/* Hash of a container spec plus its files, kept in a label: equal hash, nothing to do. */
static void spec_hash(json_t *spec, const struct efile *files, size_t n, char out[17])
{
	char *s = json_dumps(spec, JSON_COMPACT | JSON_SORT_KEYS);
	unsigned char h[8];
	crypto_generichash_state st;
	crypto_generichash_init(&st, NULL, 0, sizeof h);
	crypto_generichash_update(&st, (const unsigned char *)s, strlen(s));
	for (size_t i = 0; i < n; i++) {
		crypto_generichash_update(&st, (const unsigned char *)files[i].path, strlen(files[i].path));
		crypto_generichash_update(&st, (const unsigned char *)files[i].data, files[i].len);
	}
	crypto_generichash_final(&st, h, sizeof h);
	sodium_bin2hex(out, 17, h, sizeof h);
	free(s);
}

/* Creates (or keeps, when identical) a container, puts its files, starts it. *changed tells
 * whether it was (re)created. force recreates in any case (hard restart). */
static int converge_container(struct engine *e, struct job *j, const char *name, json_t *spec,
			      const char *files_dir, const struct efile *files, size_t nfiles,
			      bool force, bool *changed, struct berr *err)
{
	if (!spec)
		return berr_set(err, BE_INTERNAL_ERROR, NULL, "internal: no container spec for %s", name);
	char hash[17];
	spec_hash(spec, files, nfiles, hash);
	json_object_set_new(json_object_get(spec, "Labels"), "berth.hash", json_string(hash));
	json_t *cur = engine_container_inspect(e, name);
	const char *cur_hash = cur ? S(json_object_get(json_object_get(cur, "Config"), "Labels"),
				       "berth.hash") : NULL;
	/* a container that was created but never started is what an interrupted converge
	 * leaves (its files may be missing): recreate it */
	bool created_only = cur && str_eq(S(json_object_get(cur, "State"), "Status"), "created");
	bool same = cur && str_eq(cur_hash, hash) && !force && !created_only;
	bool running = cur && json_is_true(json_object_get(json_object_get(cur, "State"), "Running"));
	json_decref(cur);
	if (changed)
		*changed = !(same && running); /* false: it was there, identical and running */
	if (same) {
		if (running)
			return 0;
		job_log(j, "starting %s", name);
		return engine_container_start(e, name, err);
	}
	if (cur_hash || running || cur) {
		job_log(j, "replacing %s", name);
		if (engine_container_remove(e, name, err) < 0)
			return -1;
	} else {
		job_log(j, "creating %s", name);
	}
	if (engine_container_create(e, name, spec, err) < 0)
		return -1;
	if (nfiles && engine_put_files(e, name, files_dir, files, nfiles, err) < 0)
		return -1;
	return engine_container_start(e, name, err);
}

static json_t *host_config(const char *net, int cpu_c, long long mem_mb, long long reserve_mb,
			   long long shm_mb, const char *restart)
{
	json_t *hc = json_pack("{s:s,s:{s:s},s:I}", "NetworkMode", net, "RestartPolicy", "Name", restart,
			       "ShmSize", (json_int_t)shm_mb * 1024 * 1024);
	if (cpu_c > 0)
		json_object_set_new(hc, "NanoCpus", json_integer((json_int_t)cpu_c * 10000000LL));
	if (mem_mb > 0)
		json_object_set_new(hc, "Memory", json_integer((json_int_t)mem_mb * 1024 * 1024));
	if (reserve_mb > 0)
		json_object_set_new(hc, "MemoryReservation", json_integer((json_int_t)reserve_mb * 1024 * 1024));
	json_object_set_new(hc, "LogConfig", json_pack("{s:s,s:{s:s,s:s}}", "Type", "json-file",
						       "Config", "max-size", "20m", "max-file", "3"));
	return hc;
}

static const char *restart_policy(const struct envrt *rt)
{
	return json_is_true(json_object_get(rt->settings, "auto_restart")) ? "unless-stopped" : "no";
}

/* Waits for `pg_isready` inside the database container. */
static int wait_pg(struct engine *e, struct job *j, const char *container, struct berr *err)
{
	const char *argv[] = {"pg_isready", "-h", "/run/postgresql", "-p", "5432", "-q", NULL};
	for (int i = 0; i < 120; i++) {
		int code = -1;
		struct sbuf out = SBUF_INIT;
		struct berr e2 = {0};
		if (engine_exec(e, container, argv, "postgres", &code, &out, &e2) == 0 && code == 0) {
			sbuf_release(&out);
			return 0;
		}
		sbuf_release(&out);
		if (job_cancelled(j))
			return berr_set(err, BE_CONFLICT, NULL, "cancelled");
		usleep(100000);
	}
	struct sbuf logs = SBUF_INIT;
	engine_container_logs(e, container, 20, &logs, err);
	job_log(j, "%s", sbuf_str(&logs));
	sbuf_release(&logs);
	return berr_set(err, BE_INTERNAL_ERROR, NULL, "PostgreSQL in %s did not become ready", container);
}

static int deploy_postgres(struct engine *e, struct job *j, struct envrt *rt, bool force,
			   struct berr *err)
{
	char img[128];
	if (images_ensure(e, j, IMG_POSTGRES, img, sizeof img, err) < 0)
		return -1;
	struct render_pgbouncer b = {rt->db, rt->db_name, DB_USER, rt->db_password, rt->pg_cpu_c,
				     rt->pg_ram};
	int pool, maxc, pg_max = 100;
	render_pgbouncer_pools(&b, &pool, &maxc, &pg_max);
	long long mem = setting_int(rt, "postgres_memory_limit_mb", 0);
	struct render_pg p = {
		.cpu_c = rt->pg_cpu_c,
		.ram_mb = mem > 0 ? mem : rt->pg_ram,
		.pgtune = rt->pgtune,
		.max_connections = rt->pgbouncer ? pg_max : 100,
		.pg_major = images_pg_major(rt->version),
		.replication = rt->replica_on,
		.extra = S(rt->settings, "postgres_config"),
	};
	char *conf = render_postgresql_conf(&p, err);
	char *hba = conf ? render_pg_hba(DB_USER, rt->replica_on, "replicator", err) : NULL;
	if (!hba) {
		free(conf);
		return -1;
	}
	struct efile files[] = {
		{"postgresql.conf", conf, strlen(conf), 0644},
		{"pg_hba.conf", hba, strlen(hba), 0644},
		{"db_user", DB_USER, strlen(DB_USER), 0600},
		{"db_password", rt->db_password, strlen(rt->db_password), 0600},
		{"replication_password", rt->repl_password, strlen(rt->repl_password), 0600},
	};
	json_t *spec = json_pack("{s:s,s:o,s:o}", "Image", img, "Labels", labels(rt, "db"),
				 "HostConfig",
				 host_config(rt->net, rt->pg_cpu_c, mem > 0 ? mem : rt->pg_ram,
					     setting_int(rt, "postgres_memory_reservation_mb", 0),
					     setting_int(rt, "postgres_shm_mb", 64), restart_policy(rt)));
	json_object_set_new(json_object_get(spec, "HostConfig"), "Mounts",
			    json_pack("[{s:s,s:s,s:s}]", "Type", "volume", "Source", rt->vol_pg,
				      "Target", "/var/lib/postgresql/data"));
	bool changed = true;
	int rc = converge_container(e, j, rt->db, spec, "/etc/berth", files, ARRAY_SIZE(files), force,
				    &changed, err);
	json_decref(spec);
	free(conf);
	free(hba);
	if (rc < 0)
		return -1;
	rt->db_unchanged = !changed;
	return changed ? wait_pg(e, j, rt->db, err) : 0;
}

static int deploy_replica(struct engine *e, struct job *j, struct envrt *rt, bool force,
			  struct berr *err)
{
	if (!rt->replica_on) {
		json_t *c = engine_container_inspect(e, rt->replica);
		if (c) {
			job_log(j, "removing read replica %s", rt->replica);
			engine_container_remove(e, rt->replica, err);
			engine_volume_remove(e, rt->vol_rep, err);
		}
		json_decref(c);
		return 0;
	}
	char img[128];
	if (images_ensure(e, j, IMG_POSTGRES, img, sizeof img, err) < 0)
		return -1;
	if (engine_volume_ensure(e, rt->vol_rep, labels(rt, "replica-data"), err) < 0)
		return -1;
	int cpu = rt->pg_cpu_c; /* replicas mirror the primary's share */
	/* a hot standby needs at least the primary's max_connections */
	struct render_pgbouncer b = {rt->db, rt->db_name, DB_USER, rt->db_password, rt->pg_cpu_c,
				     rt->pg_ram};
	int pool, maxc, pg_max = 100;
	render_pgbouncer_pools(&b, &pool, &maxc, &pg_max);
	struct render_pg p = {.cpu_c = cpu, .ram_mb = rt->pg_ram, .pgtune = rt->pgtune,
			      .max_connections = rt->pgbouncer && pg_max > 100 ? pg_max : 100,
			      .pg_major = images_pg_major(rt->version), .replication = true};
	char *conf = render_postgresql_conf(&p, err);
	char *hba = conf ? render_pg_hba(DB_USER, true, "replicator", err) : NULL;
	if (!hba) {
		free(conf);
		return -1;
	}
	char *pgpass = xasprintf("%s:5432:*:replicator:%s\n", rt->db, rt->repl_password);
	struct efile files[] = {
		{"postgresql.conf", conf, strlen(conf), 0644},
		{"pg_hba.conf", hba, strlen(hba), 0644},
		{"pgpass", pgpass, strlen(pgpass), 0600},
		{"db_user", DB_USER, strlen(DB_USER), 0600},
		{"db_password", rt->db_password, strlen(rt->db_password), 0600},
	};
	json_t *spec = json_pack("{s:s,s:o,s:[s,s],s:o}", "Image", img, "Labels",
				 labels(rt, "replica"), "Env", "BERTH_PG_ROLE=replica",
				 "BERTH_PG_PRIMARY=db-primary", "HostConfig",
				 host_config(rt->net, cpu, rt->pg_ram, 0, 64, restart_policy(rt)));
	json_array_set_new(json_object_get(spec, "Env"), 1, json_sprintf("BERTH_PG_PRIMARY=%s", rt->db));
	json_object_set_new(json_object_get(spec, "HostConfig"), "Mounts",
			    json_pack("[{s:s,s:s,s:s}]", "Type", "volume", "Source", rt->vol_rep,
				      "Target", "/var/lib/postgresql/data"));
	int rc = converge_container(e, j, rt->replica, spec, "/etc/berth", files, ARRAY_SIZE(files),
				    force, NULL, err);
	json_decref(spec);
	free(conf);
	free(hba);
	secret_free(pgpass);
	return rc < 0 ? -1 : wait_pg(e, j, rt->replica, err);
}

static int deploy_pgbouncer(struct engine *e, struct job *j, struct envrt *rt, bool force,
			    struct berr *err)
{
	if (!rt->pgbouncer) {
		json_t *c = engine_container_inspect(e, rt->pgb);
		if (c) {
			job_log(j, "PgBouncer disabled: removing %s", rt->pgb);
			engine_container_remove(e, rt->pgb, err);
		}
		json_decref(c);
		return 0;
	}
	char img[128];
	if (images_ensure(e, j, IMG_PGBOUNCER, img, sizeof img, err) < 0)
		return -1;
	struct render_pgbouncer b = {rt->db, rt->db_name, DB_USER, rt->db_password, rt->pg_cpu_c,
				     rt->pg_ram};
	char *ini = render_pgbouncer_ini(&b, err);
	char *users = ini ? render_pgbouncer_userlist(&b, err) : NULL;
	if (!users) {
		free(ini);
		return -1;
	}
	struct efile files[] = {
		{"pgbouncer.ini", ini, strlen(ini), 0644},
		{"userlist.txt", users, strlen(users), 0600},
	};
	json_t *spec = json_pack("{s:s,s:o,s:o}", "Image", img, "Labels", labels(rt, "pgbouncer"),
				 "HostConfig", host_config(rt->net, 0, 128, 0, 64, restart_policy(rt)));
	/* PgBouncer files live in /etc/berth too; the ini points its auth_file there */
	int rc = converge_container(e, j, rt->pgb, spec, "/etc/berth", files, ARRAY_SIZE(files),
				    force, NULL, err);
	json_decref(spec);
	free(ini);
	secret_free(users);
	return rc;
}

static char *odoo_conf(struct envrt *rt, struct berr *err)
{
	struct render_odoo o = {
		.db_host = rt->pgbouncer ? rt->pgb : rt->db,
		.db_port = rt->pgbouncer ? 6432 : 5432,
		.db_user = DB_USER,
		.db_password = rt->db_password,
		.db_name = rt->db_name,
		.admin_passwd = rt->admin_passwd,
		.replica_host = rt->replica_on ? rt->replica : NULL,
		.replica_port = 5432,
		.config = json_object_get(rt->row, "odoo_config"),
		.effective = rt->effective,
		.smtp_password = rt->smtp_password,
		.extra = S(rt->settings, "odoo_config"),
		.addons_path = rt->addons_path,
	};
	return render_odoo_conf(&o, err);
}

static json_t *odoo_spec(struct envrt *rt, const char *image, json_t *cmd, const char *role)
{
	json_t *envv = json_array();
	const char *k;
	json_t *v;
	json_object_foreach(json_object_get(rt->row, "environment_vars"), k, v)
		json_array_append_new(envv, json_sprintf("%s=%s", k, json_string_value(v)));
	long long mem = setting_int(rt, "odoo_memory_limit_mb", 0);
	json_t *spec = json_pack("{s:s,s:o,s:o,s:o}", "Image", image, "Labels", labels(rt, role),
				 "Env", envv, "HostConfig",
				 host_config(rt->net, rt->odoo_cpu_c, mem > 0 ? mem : rt->odoo_ram,
					     setting_int(rt, "odoo_memory_reservation_mb", 0),
					     setting_int(rt, "odoo_shm_mb", 64),
					     str_eq(role, "odoo") ? restart_policy(rt) : "no"));
	json_object_set_new(json_object_get(spec, "HostConfig"), "Mounts",
			    json_pack("[{s:s,s:s,s:s},{s:s,s:s,s:s,s:b}]", "Type", "volume", "Source",
				      rt->vol_data, "Target", "/var/lib/odoo", "Type", "volume",
				      "Source", rt->vol_code, "Target", CODE_DIR, "ReadOnly", 1));
	if (cmd)
		json_object_set_new(spec, "Cmd", cmd);
	return spec;
}

/* Is the database initialised (base installed)? -1 error, 0 no, 1 yes. */
static int db_initialised(struct engine *e, struct envrt *rt, struct berr *err)
{
	const char *argv[] = {"psql", "-U", "postgres", "-h", "/run/postgresql", "-d", rt->db_name,
			      "-tAc", "SELECT state FROM ir_module_module WHERE name='base'", NULL};
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
	char *sealed = db_str("SELECT admin_password FROM environments WHERE id=?", "s", env_id);
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
	db_exec("UPDATE environments SET admin_password=? WHERE id=? AND admin_password IS NULL", "ss",
		s, env_id);
	free(s);
	sodium_memzero(pw, sizeof pw);
	sealed = db_str("SELECT admin_password FROM environments WHERE id=?", "s", env_id);
	plain = sealed ? secret_open(sealed) : NULL;
	free(sealed);
	return plain;
}

/* Sets the administrator (res_users id 2, login 'admin' after `-i base`) of a database this
 * environment just created: its login becomes admin_login (kept 'admin' without one) and its
 * password the environment's admin_password, in Odoo's stored form. psql reads both from its
 * environment (\getenv), never from a command line. */
static const char ADMIN_SQL[] =
	"\\set ON_ERROR_STOP 1\n"
	"\\getenv l BERTH_ADMIN_LOGIN\n"
	"\\getenv p BERTH_ADMIN_PASSWORD\n"
	"UPDATE res_users SET login = coalesce(nullif(:'l', ''), login), password = :'p' WHERE id = 2;\n";

static int set_admin(struct engine *e, struct job *j, struct envrt *rt, struct berr *err)
{
	char *pw = admin_password(rt->id);
	if (!pw)
		return berr_set(err, BE_INTERNAL_ERROR, NULL, "cannot read the administrator password");
	unsigned char salt[16];
	randombytes_buf(salt, sizeof salt);
	char *hash = render_odoo_password(pw, salt, sizeof salt, RENDER_ODOO_PASSWORD_ROUNDS);
	secret_free(pw);
	const char *login = S(rt->row, "admin_login");
	char *env_login = xasprintf("BERTH_ADMIN_LOGIN=%s", login ? login : "");
	char *env_pw = xasprintf("BERTH_ADMIN_PASSWORD=%s", hash);
	secret_free(hash);
	const char *envv[] = {env_login, env_pw, NULL};
	const char *argv[] = {"psql", "-X", "-h", "/run/postgresql", "-U", "postgres", "-d", rt->db_name,
			      "-f", "/tmp/berth-admin.sql", NULL};
	struct efile files[] = {{"berth-admin.sql", ADMIN_SQL, strlen(ADMIN_SQL), 0644}};
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
			      "-tAc", "SELECT login FROM res_users WHERE id=2", NULL};
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
static int update_modules(struct engine *e, struct job *j, struct envrt *rt, const char *image,
			  const char *conf, struct berr *err)
{
	if (!rt->update || json_array_size(rt->update) == 0)
		return 0;
	struct sbuf mods = SBUF_INIT;
	size_t i;
	json_t *m;
	json_array_foreach(rt->update, i, m)
		sbuf_addf(&mods, "%s%s", i ? "," : "", json_string_value(m));
	job_log(j, "updating modules: odoo -u %s", sbuf_str(&mods));
	json_t *cmd = json_pack("[s,s,s,s,s,s,s,s]", "odoo", "-c", "/etc/odoo/odoo.conf", "-d",
				rt->db_name, "-u", sbuf_str(&mods), "--stop-after-init");
	sbuf_release(&mods);
	int rc = run_odoo_once(e, j, rt, image, conf, cmd, "update", "odoo -u", err);
	if (rc < 0 && !rt->odoo_touched)
		job_log(j, "the module update failed: Odoo keeps running the previous code");
	return rc;
}

/* The Odoo image of the version, pulled when missing (checked once per job). Caller frees. */
static char *odoo_image(struct engine *e, struct job *j, struct envrt *rt, struct berr *err)
{
	char *image = ops_odoo_image(rt->version);
	if (!rt->image_present && !engine_image_exists(e, image)) {
		job_log(j, "pulling %s", image);
		struct berr perr = {0};
		if (engine_image_pull(e, image, &perr) < 0) {
			berr_set(err, BE_INTERNAL_ERROR, NULL,
				 "the Odoo image %s is not on the server and cannot be pulled (%s); set the"
				 " image at /api/v1/admin/odoo-versions", image, perr.message);
			free(image);
			return NULL;
		}
	}
	rt->image_present = true;
	return image;
}

static int deploy_odoo(struct engine *e, struct job *j, struct envrt *rt, bool force,
		       struct berr *err)
{
	char *image = odoo_image(e, j, rt, err);
	if (!image)
		return -1;
	char *conf = odoo_conf(rt, err);
	if (!conf) {
		free(image);
		return -1;
	}
	int rc = init_database(e, j, rt, image, conf, err);
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

/* ---- code: the project's branch and the addon repositories ---- */

/* Modules of one repository changed between the deployed commit and the new one (whose files
 * are af). */
static void changed_in(struct job *j, const char *mirror, const char *before, const char *after,
		       json_t *af, const char *label, json_t *set)
{
	if (!before || str_eq(before, after))
		return;
	json_t *bf = git_tree_files(mirror, before);
	json_t *ch = bf && af ? git_changed_files(mirror, before, after) : NULL;
	if (!ch) {
		job_log(j, "%s: the deployed commit %.7s is not in the repository any more: no module"
			   " update", label, before);
	} else {
		json_t *mods = modules_changed(bf, af, ch);
		size_t i;
		json_t *m;
		json_array_foreach(mods, i, m)
			json_object_set_new(set, json_string_value(m), json_true());
		json_decref(mods);
	}
	json_decref(bf);
	json_decref(ch);
}

/* One source of code: its directories with modules go on the addons path, its changed
 * modules into set, and it is queued for upload under base. */
static void add_source(struct job *j, struct envrt *rt, struct sbuf *path, const char *mirror,
		       const char *commit, const char *before, const char *base, const char *label,
		       json_t *set)
{
	json_t *files = git_tree_files(mirror, commit);
	json_t *dirs = modules_addons_dirs(files);
	size_t i;
	json_t *d;
	json_array_foreach(dirs, i, d) {
		const char *dir = json_string_value(d);
		sbuf_addf(path, "%s%s%s%s", path->len ? "," : "", base, *dir ? "/" : "", dir);
	}
	json_decref(dirs);
	json_array_append_new(rt->sources, json_pack("{s:s,s:s,s:s}", "mirror", mirror, "commit",
						     commit, "prefix", base + strlen(CODE_DIR) + 1));
	changed_in(j, mirror, before, commit, files, label, set);
	json_decref(files);
}

/* Fetches the project's branch and the addon repositories, resolves their commits, and works
 * out the addons path and the modules to update. No change on the server. */
static int code_plan(struct job *j, struct envrt *rt, struct berr *err)
{
	struct prepo pr;
	if (prepo_load(&pr, S(rt->row, "project_id"), err) < 0)
		return -1;
	json_t *addons = json_object_get(rt->row, "addon_repositories");
	rt->has_code = pr.url || json_array_size(addons) > 0;
	if (!rt->has_code) {
		prepo_free(&pr);
		return 0;
	}
	int rc = -1;
	rt->addon_commits = json_object();
	rt->sources = json_array();
	json_t *set = json_object();
	struct sbuf path = SBUF_INIT;
	crypto_generichash_state st;
	crypto_generichash_init(&st, NULL, 0, 6);
	char base[96];
	const char *branch = S(rt->row, "git_branch");
	if (pr.url) {
		job_log(j, "fetching %s", pr.url);
		if (prepo_sync(&pr, 0, err) < 0)
			goto out;
		rt->commit = git_resolve(pr.mirror, branch, true);
		if (!rt->commit) {
			berr_set(err, BE_CONFLICT, "git_branch",
				 "the branch '%s' does not exist in the project's repository", branch);
			goto out;
		}
		json_t *top = git_log(pr.mirror, rt->commit, 1);
		job_log(j, "%s at %.7s: %s", branch, rt->commit,
			json_string_value(json_object_get(json_array_get(top, 0), "message")));
		json_decref(top);
		crypto_generichash_update(&st, (const unsigned char *)rt->commit, 40);
	}
	size_t i;
	json_t *a;
	json_array_foreach(addons, i, a) {
		const char *url = S(a, "url"), *abranch = S(a, "branch"), *pin = S(a, "commit");
		char mirror[PATH_MAX];
		struct git_remote rm;
		prepo_addon(&pr, url, mirror, &rm);
		job_log(j, "fetching addon repository %s (%s%s%s)", url, pin ? "commit " : "",
			pin ? pin : "branch ", pin ? "" : abranch);
		if (!mirror[0] || git_fetch(mirror, &rm, err) < 0) {
			if (!err->message[0])
				berr_set(err, BE_INTERNAL_ERROR, NULL, "cannot fetch %s", url);
			goto out;
		}
		char *c = pin ? git_resolve(mirror, pin, false) : git_resolve(mirror, abranch, true);
		if (!c && pin && git_fetch_commit(mirror, &rm, pin, err) == 0)
			c = git_resolve(mirror, pin, false);
		if (!c) {
			if (!err->message[0] || !pin)
				berr_set(err, BE_CONFLICT, "addon_repositories",
					 "addon repository %s: %s '%s' not found", url,
					 pin ? "commit" : "branch", pin ? pin : abranch);
			goto out;
		}
		job_log(j, "addon repository %s at %.7s", url, c);
		json_object_set_new(rt->addon_commits, url, json_string(c));
		crypto_generichash_update(&st, (const unsigned char *)url, strlen(url) + 1);
		crypto_generichash_update(&st, (const unsigned char *)c, 40);
		free(c);
	}
	unsigned char h[6];
	crypto_generichash_final(&st, h, sizeof h);
	sodium_bin2hex(rt->rev, sizeof rt->rev, h, sizeof h);
	/* sources and the addons path, in a stable order: the project, then the addon
	 * repositories as listed */
	if (pr.url) {
		snprintf(base, sizeof base, "%s/%s/project", CODE_DIR, rt->rev);
		add_source(j, rt, &path, pr.mirror, rt->commit, S(rt->row, "deployed_commit"), base,
			   "project", set);
	}
	json_t *prev = json_object_get(rt->row, "deployed_addons");
	json_array_foreach(addons, i, a) {
		const char *url = S(a, "url");
		char mirror[PATH_MAX];
		struct git_remote rm;
		prepo_addon(&pr, url, mirror, &rm);
		snprintf(base, sizeof base, "%s/%s/addons/%02zu", CODE_DIR, rt->rev, i + 1);
		add_source(j, rt, &path, mirror, S(rt->addon_commits, url), S(prev, url), base, url,
			   set);
	}
	rt->addons_path = path.len ? sbuf_detach(&path) : NULL;
	job_log(j, "addons path: %s", rt->addons_path ? rt->addons_path : "(no modules found)");
	rt->update = json_array();
	const char *k;
	json_t *v;
	json_object_foreach(set, k, v)
		json_array_append_new(rt->update, json_string(k));
	if (rt->deployed_before)
		job_log(j, "%s", json_array_size(rt->update) ? "modules changed since the last deploy:"
			: "no installed module changed since the last deploy");
	json_array_foreach(rt->update, i, v)
		job_log(j, "  %s", json_string_value(v));
	rc = 0;
out:
	sbuf_release(&path);
	json_decref(set);
	prepo_free(&pr);
	return rc;
}

/* A short-lived container with the code volume mounted read-write, as root. */
static int code_helper(struct engine *e, struct envrt *rt, const char *image, json_t *cmd,
		       struct berr *err)
{
	engine_container_remove(e, rt->code_helper, err);
	json_t *spec = json_pack("{s:s,s:o,s:[s],s:s,s:{s:s,s:[{s:s,s:s,s:s}]}}", "Image", image,
				 "Labels", labels(rt, "code-sync"), "Entrypoint", "/usr/bin/env",
				 "User", "root", "HostConfig", "NetworkMode", "none", "Mounts", "Type",
				 "volume", "Source", rt->vol_code, "Target", CODE_DIR);
	json_object_set_new(spec, "Cmd", cmd ? cmd : json_pack("[s]", "true"));
	int rc = engine_container_create(e, rt->code_helper, spec, err);
	json_decref(spec);
	return rc;
}

/* Puts the planned code on the server, in CODE_DIR/<rev>/, unless a complete copy is there. */
static int code_upload(struct engine *e, struct job *j, struct envrt *rt, const char *image,
		       struct berr *err)
{
	if (code_helper(e, rt, image, NULL, err) < 0)
		return -1;
	char *c = xstrdup(rt->code_helper);
	char *probe = xasprintf("/containers/%s/archive?path=%s/%s/.berth-complete", c, CODE_DIR,
				rt->rev);
	int status = 0;
	struct berr e2 = {0};
	engine_call_raw(e, "GET", probe, NULL, NULL, 0, &status, NULL, NULL, NULL, &e2);
	free(probe);
	int rc = 0;
	if (status == 200) {
		job_log(j, "code %s is already on the server", rt->rev);
	} else {
		size_t i;
		json_t *src;
		json_array_foreach(rt->sources, i, src) {
			struct sbuf tar = SBUF_INIT;
			char *prefix = xasprintf("%s/", S(src, "prefix"));
			rc = git_archive(S(src, "mirror"), S(src, "commit"), prefix, &tar, err);
			free(prefix);
			if (rc == 0) {
				char *path = xasprintf("/containers/%s/archive?path=%s", c, CODE_DIR);
				struct sbuf out = SBUF_INIT;
				rc = engine_call_raw(e, "PUT", path, "application/x-tar", tar.buf, tar.len,
						     &status, &out, NULL, NULL, err);
				if (rc == 0 && status != 200)
					rc = berr_set(err, BE_INTERNAL_ERROR, NULL,
						      "Docker: put code into %s: %d %.200s", rt->vol_code,
						      status, sbuf_str(&out));
				if (rc == 0)
					job_log(j, "uploaded %s (%zu KiB compressed)", S(src, "prefix"),
						tar.len / 1024);
				sbuf_release(&out);
				free(path);
			}
			sbuf_release(&tar);
			if (rc < 0)
				break;
		}
		if (rc == 0) {
			char dir[64];
			snprintf(dir, sizeof dir, "%s/%s", CODE_DIR, rt->rev);
			struct efile done[] = {{".berth-complete", "", 0, 0644}};
			rc = engine_put_files(e, rt->code_helper, dir, done, 1, err);
		}
	}
	engine_container_remove(e, rt->code_helper, &e2);
	free(c);
	return rc;
}

/* Removes code directories other than the new one and the one deployed before. */
static void code_prune(struct engine *e, struct job *j, struct envrt *rt, const char *image)
{
	const char *prev = S(rt->row, "code_rev");
	json_t *cmd = json_pack("[s,s,s,s,s,s,s,s,s]", "find", CODE_DIR, "-mindepth", "1", "-maxdepth",
				"1", "!", "-name", rt->rev);
	if (prev && !str_eq(prev, rt->rev)) {
		json_array_append_new(cmd, json_string("!"));
		json_array_append_new(cmd, json_string("-name"));
		json_array_append_new(cmd, json_string(prev));
	}
	const char *tail[] = {"-exec", "rm", "-rf", "{}", "+"};
	for (size_t i = 0; i < ARRAY_SIZE(tail); i++)
		json_array_append_new(cmd, json_string(tail[i]));
	struct berr err = {0};
	int code = -1;
	if (code_helper(e, rt, image, cmd, &err) == 0 && engine_container_start(e, rt->code_helper, &err) == 0)
		engine_container_wait(e, rt->code_helper, &code, &err);
	engine_container_remove(e, rt->code_helper, &err);
	if (code != 0)
		job_log(j, "could not remove old code directories (%s): they stay", err.message);
}

/* Records what was deployed: the commits, the code directory, the branch head. */
static void code_record(struct job *j, struct envrt *rt)
{
	if (!rt->has_code)
		return;
	db_exec("UPDATE environments SET deployed_commit=?, deployed_addons=?, code_rev=?,"
		" branch_commit=coalesce(?, branch_commit), commits_ahead=0 WHERE id=?", "sjsss",
		rt->commit, rt->addon_commits, rt->rev, rt->commit, rt->id);
	job_result(j, json_pack("{s:s?,s:O,s:O,s:s}", "commit", rt->commit, "addon_commits",
				rt->addon_commits, "updated_modules", rt->update, "code_rev", rt->rev));
}

/* The code stage of deploy and soft restart: plan, then upload. */
static int code_stage(struct engine *e, struct job *j, struct envrt *rt, struct berr *err)
{
	if (code_plan(j, rt, err) < 0)
		return -1;
	if (!rt->has_code) {
		job_log(j, "the project has no repository and no addon repositories: Odoo runs the"
			   " image's modules only");
		return 0;
	}
	char *image = odoo_image(e, j, rt, err);
	if (!image)
		return -1;
	int rc = code_upload(e, j, rt, image, err);
	free(image);
	return rc;
}

/* ---- the edge proxy (one per server) ---- */

/* One lock per server for its edge proxy, held by whoever creates, changes or removes it
 * (deploys, removals, server removal), so that two first deploys on one server create it
 * once: the second finds it there and converges. Locks live as long as the process (one per
 * server). */
struct edge_lock {
	char server_id[64];
	pthread_mutex_t mu;
	struct edge_lock *next;
};
static pthread_mutex_t edge_locks_mu = PTHREAD_MUTEX_INITIALIZER;
static struct edge_lock *edge_locks;

static pthread_mutex_t *edge_lock_of(const char *server_id)
{
	pthread_mutex_lock(&edge_locks_mu);
	struct edge_lock *l = edge_locks;
	while (l && !str_eq(l->server_id, server_id))
		l = l->next;
	if (!l) {
		l = xmalloc(sizeof *l);
		memset(l, 0, sizeof *l);
		snprintf(l->server_id, sizeof l->server_id, "%s", server_id);
		pthread_mutex_init(&l->mu, NULL);
		l->next = edge_locks;
		edge_locks = l;
	}
	pthread_mutex_unlock(&edge_locks_mu);
	return &l->mu;
}

void ops_edge_lock(const char *server_id)
{
	pthread_mutex_lock(edge_lock_of(server_id));
}

void ops_edge_unlock(const char *server_id)
{
	pthread_mutex_unlock(edge_lock_of(server_id));
}

/* Named after the server so that two server records reaching one Docker Engine (tests, or a
 * server registered twice) never fight over one container. */
static void edge_names(const char *server_id, char edge[32], char sites[40])
{
	char key[9];
	int k = 0;
	for (const char *p = server_id; *p && k < 8; p++)
		if (*p != '-')
			key[k++] = *p;
	key[k] = '\0';
	snprintf(edge, 32, "berth-edge-%s", key);
	snprintf(sites, 40, "berth-edge-%s-sites", key);
}

static int edge_ensure(struct engine *e, struct job *j, const char *server_id, struct berr *err)
{
	char edge_name[32], sites_vol[40];
	edge_names(server_id, edge_name, sites_vol);
	char img[128];
	if (images_ensure(e, j, IMG_NGINX, img, sizeof img, err) < 0)
		return -1;
	json_t *srv = db_row("SELECT http_port, https_port FROM servers WHERE id=?", "s", server_id);
	int http = (int)json_integer_value(json_object_get(srv, "http_port"));
	int https = (int)json_integer_value(json_object_get(srv, "https_port"));
	json_decref(srv);
	char *main = render_nginx_main(80, 443, err);
	if (!main)
		return -1;
	if (engine_volume_ensure(e, sites_vol, json_pack("{s:s,s:s}", "berth.managed", "1",
							  "berth.role", "edge"), err) < 0) {
		free(main);
		return -1;
	}
	json_t *ports = json_object();
	json_object_set_new(ports, "80/tcp", json_pack("[{s:s}]", "HostPort", ""));
	json_object_set_new(ports, "443/tcp", json_pack("[{s:s}]", "HostPort", ""));
	json_object_set_new(json_array_get(json_object_get(ports, "80/tcp"), 0), "HostPort",
			    json_sprintf("%d", http));
	json_object_set_new(json_array_get(json_object_get(ports, "443/tcp"), 0), "HostPort",
			    json_sprintf("%d", https));
	json_t *spec = json_pack(
		"{s:s,s:{s:s,s:s,s:s},s:{s:{},s:{}},s:{s:o,s:{s:s},s:[{s:s,s:s,s:s}]}}", "Image", img,
		"Labels", "berth.managed", "1", "berth.role", "edge", "berth.server", server_id,
		"ExposedPorts", "80/tcp", "443/tcp", "HostConfig", "PortBindings", ports,
		"RestartPolicy", "Name", "unless-stopped", "Mounts", "Type", "volume", "Source",
		sites_vol, "Target", "/etc/nginx/sites.d");
	struct efile files[] = {{"nginx.conf", main, strlen(main), 0644}};
	bool changed = false;
	int rc = converge_container(e, j, edge_name, spec, "/etc/nginx", files, 1, false, &changed, err);
	json_decref(spec);
	free(main);
	return rc;
}

static int edge_exec(struct engine *e, const char *edge, const char *const *argv, struct sbuf *out,
		     struct berr *err)
{
	int code = -1;
	if (engine_exec(e, edge, argv, NULL, &code, out, err) < 0)
		return -1;
	return code == 0 ? 0 : 1;
}

/* Writes the environment's site, checks the whole configuration with nginx -t, reloads; a
 * failing check restores the previous site and fails. */
static int edge_site(struct engine *e, struct job *j, struct envrt *rt, struct berr *err)
{
	char edge_name[32], sites_vol[40];
	edge_names(rt->server_id, edge_name, sites_vol);
	if (engine_network_connect(e, rt->net, edge_name, err) < 0)
		return -1;
	const char *names[2] = {rt->fqdn, S(rt->row, "custom_domain")};
	json_t *eff = rt->effective;
	json_t *st = rt->settings;
	struct render_site s = {
		.env_id = rt->id,
		.server_names = names,
		.n_server_names = names[1] ? 2 : 1,
		.odoo_host = rt->odoo,
		.http_port = 8069,
		.gevent_port = 8072,
		.websocket_on_gevent = render_odoo_extra_int(S(st, "odoo_config"), "workers",
							     json_integer_value(json_object_get(eff, "workers"))) > 0,
		.max_upload = S(st, "nginx_max_upload") ? S(st, "nginx_max_upload") : "100M",
		.proxy_read_timeout_s = (int)setting_int(rt, "nginx_proxy_read_timeout_s", 300),
		.proxy_connect_timeout_s = (int)setting_int(rt, "nginx_proxy_connect_timeout_s", 30),
		.keepalive_timeout_s = (int)setting_int(rt, "nginx_keepalive_timeout_s", 65),
		.send_timeout_s = (int)setting_int(rt, "nginx_send_timeout_s", 60),
		.x_frame_options = S(st, "nginx_x_frame_options") ? S(st, "nginx_x_frame_options")
								   : "SAMEORIGIN",
	};
	char *site = render_nginx_site(&s, err);
	if (!site)
		return -1;
	char path[128], bak[140];
	snprintf(path, sizeof path, "/etc/nginx/sites.d/%s", rt->site);
	snprintf(bak, sizeof bak, "%s.previous", path);
	struct sbuf out = SBUF_INIT;
	const char *cat[] = {"cat", path, NULL};
	if (edge_exec(e, edge_name, cat, &out, err) == 0 && str_eq(sbuf_str(&out), site)) {
		sbuf_release(&out);
		free(site);
		job_log(j, "edge proxy site unchanged");
		return 0;
	}
	sbuf_reset(&out);
	const char *save[] = {"cp", "-f", path, bak, NULL};
	bool had_previous = edge_exec(e, edge_name, save, &out, err) == 0;
	struct efile files[] = {{rt->site, site, strlen(site), 0644}};
	int rc = engine_put_files(e, edge_name, "/etc/nginx/sites.d", files, 1, err);
	free(site);
	if (rc < 0)
		goto out;
	sbuf_reset(&out);
	const char *test[] = {"nginx", "-t", NULL};
	rc = edge_exec(e, edge_name, test, &out, err);
	if (rc != 0) {
		job_log(j, "%s", sbuf_str(&out));
		const char *restore[] = {"mv", "-f", bak, path, NULL};
		const char *drop[] = {"rm", "-f", path, NULL};
		struct sbuf o2 = SBUF_INIT;
		edge_exec(e, edge_name, had_previous ? restore : drop, &o2, err);
		sbuf_release(&o2);
		rc = berr_set(err, BE_INTERNAL_ERROR, NULL,
			      "nginx -t rejected the generated site: the previous configuration stays");
		goto out;
	}
	sbuf_reset(&out);
	const char *reload[] = {"nginx", "-s", "reload", NULL};
	if (edge_exec(e, edge_name, reload, &out, err) != 0)
		rc = berr_set(err, BE_INTERNAL_ERROR, NULL, "nginx reload failed: %.200s", sbuf_str(&out));
	else
		job_log(j, "edge proxy routes %s%s%s", rt->fqdn, names[1] ? " and " : "",
			names[1] ? names[1] : "");
out:
	sbuf_release(&out);
	return rc < 0 ? -1 : rc;
}

/* Removes the environment's site from the edge proxy, touching only what exists: no edge
 * proxy on the server (a first deploy that failed before the edge stage) or no site in it
 * means nothing to do; the edge proxy is never created for this. */
static int edge_site_remove(struct engine *e, struct job *j, struct envrt *rt, struct berr *err)
{
	char edge_name[32], sites_vol[40];
	edge_names(rt->server_id, edge_name, sites_vol);
	json_t *c = engine_container_inspect(e, edge_name);
	bool running = c && json_is_true(json_object_get(json_object_get(c, "State"), "Running"));
	json_decref(c);
	if (!c) {
		job_log(j, "no edge proxy on the server: no site to remove");
		return 0;
	}
	if (!running) {
		job_log(j, "the edge proxy %s is not running: its site %s stays", edge_name, rt->site);
		return 0;
	}
	char path[128], bak[140];
	snprintf(path, sizeof path, "/etc/nginx/sites.d/%s", rt->site);
	snprintf(bak, sizeof bak, "%s.previous", path);
	struct sbuf out = SBUF_INIT;
	const char *test[] = {"test", "-e", path, "-o", "-e", bak, NULL};
	if (edge_exec(e, edge_name, test, &out, err) != 0) {
		sbuf_release(&out);
		job_log(j, "the edge proxy has no site for the environment");
		return 0;
	}
	const char *rm[] = {"rm", "-f", path, bak, NULL};
	const char *reload[] = {"nginx", "-s", "reload", NULL};
	edge_exec(e, edge_name, rm, &out, err);
	edge_exec(e, edge_name, reload, &out, err);
	sbuf_release(&out);
	job_log(j, "edge proxy site %s removed", rt->site);
	return 0;
}

/* Odoo answers /web/health through the edge proxy. */
static int wait_healthy(struct engine *e, struct job *j, struct envrt *rt, struct berr *err)
{
	int64_t deadline = now_ms() + HEALTH_TIMEOUT_S * 1000LL;
	int last = 0;
	while (now_ms() < deadline) {
		int status = 0;
		struct sbuf body = SBUF_INIT;
		struct berr e2 = {0};
		int rc = engine_http_get(e, rt->http_port, "/web/health", rt->fqdn, &status, &body, &e2);
		sbuf_release(&body);
		if (rc == 0 && status == 200) {
			job_log(j, "%s answers /web/health through the edge proxy", rt->fqdn);
			return 0;
		}
		last = status;
		if (job_cancelled(j))
			return berr_set(err, BE_CONFLICT, NULL, "cancelled");
		usleep(50000);
	}
	struct sbuf logs = SBUF_INIT;
	engine_container_logs(e, rt->odoo, 30, &logs, err);
	job_log(j, "%s", sbuf_str(&logs));
	sbuf_release(&logs);
	return berr_set(err, BE_INTERNAL_ERROR, NULL,
			"Odoo did not answer /web/health through the edge proxy within %d s (last"
			" status %d)", HEALTH_TIMEOUT_S, last);
}

static int ensure_network_volumes(struct engine *e, struct envrt *rt, struct berr *err)
{
	if (engine_network_ensure(e, rt->net, labels(rt, "network"), err) < 0 ||
	    engine_volume_ensure(e, rt->vol_pg, labels(rt, "db-data"), err) < 0 ||
	    engine_volume_ensure(e, rt->vol_data, labels(rt, "odoo-data"), err) < 0 ||
	    engine_volume_ensure(e, rt->vol_code, labels(rt, "code"), err) < 0)
		return -1;
	return 0;
}

/* The whole deploy; force recreates every container (hard restart). */
static int deploy(struct job *j, struct envrt *rt, bool force, struct berr *err)
{
	job_stage(j, "Connect to server");
	struct engine *e = engine_open(rt->server_id, err);
	if (!e)
		return -1;
	int rc = -1;
	job_stage(j, "Network and volumes");
	if (ensure_network_volumes(e, rt, err) < 0)
		goto out;
	job_stage(j, "PostgreSQL");
	if (deploy_postgres(e, j, rt, force, err) < 0)
		goto out;
	if (rt->replica_on || engine_container_inspect(e, rt->replica)) {
		job_stage(j, "Read replica");
		if (deploy_replica(e, j, rt, force, err) < 0)
			goto out;
	}
	job_stage(j, "PgBouncer");
	if (deploy_pgbouncer(e, j, rt, force, err) < 0)
		goto out;
	if (job_cancelled(j))
		goto cancelled;
	job_stage(j, "Code");
	if (code_stage(e, j, rt, err) < 0)
		goto out;
	if (job_cancelled(j))
		goto cancelled;
	job_stage(j, "Database");
	if (deploy_odoo(e, j, rt, force, err) < 0)
		goto out;
	job_stage(j, "Edge proxy");
	ops_edge_lock(rt->server_id);
	bool edge_ok = edge_ensure(e, j, rt->server_id, err) == 0 && edge_site(e, j, rt, err) == 0;
	ops_edge_unlock(rt->server_id);
	if (!edge_ok)
		goto out;
	job_stage(j, "Health check");
	if (wait_healthy(e, j, rt, err) < 0)
		goto out;
	rc = 0;
	if (rt->has_code) {
		char *image = ops_odoo_image(rt->version);
		code_prune(e, j, rt, image);
		free(image);
	}
	goto out;
cancelled:
	berr_set(err, BE_CONFLICT, NULL, "cancelled");
out:
	engine_close(e);
	return rc;
}

static int job_deploy(struct job *j, struct berr *err)
{
	struct envrt rt;
	if (envrt_load(&rt, j->env_id, err) < 0)
		return -1;
	char *before = xstrdup(S(rt.row, "status"));
	env_status(rt.id, "deploying", NULL);
	job_log(j, "deploying %s (%s, Odoo %s) to %s", rt.name, rt.type, rt.version, rt.fqdn);
	int rc = deploy(j, &rt, false, err);
	if (rc == 0) {
		char *now = iso8601_now();
		db_exec("UPDATE environments SET deployed_at=? WHERE id=?", "ss", now, rt.id);
		free(now);
		code_record(j, &rt);
		env_status(rt.id, "running", NULL);
	} else if (!rt.odoo_touched && rt.deployed_before &&
		   (str_eq(before, "running") || str_eq(before, "stopped"))) {
		/* nothing of Odoo was replaced: the previous code still serves */
		char *why = xasprintf("the last deploy failed, the previous code is still %s: %s",
				      before, err->message);
		env_status(rt.id, before, why);
		free(why);
	} else {
		env_status(rt.id, "error", err->message);
	}
	free(before);
	envrt_free(&rt);
	return rc;
}

/* Soft restart: pull the code, update changed modules, then restart the Odoo service in its
 * container (SIGHUP re-execs Odoo, which reads the new odoo.conf and code). */
static int soft_restart(struct engine *e, struct job *j, struct envrt *rt, struct berr *err)
{
	job_stage(j, "Code");
	if (code_stage(e, j, rt, err) < 0)
		return -1;
	char *image = rt->has_code ? odoo_image(e, j, rt, err) : NULL;
	char *conf = NULL;
	int rc = 0;
	if (rt->has_code) {
		rc = -1;
		conf = image ? odoo_conf(rt, err) : NULL;
		if (conf) {
			job_stage(j, "Modules");
			rc = update_modules(e, j, rt, image, conf, err);
		}
		if (rc == 0) {
			struct efile files[] = {{"odoo.conf", conf, strlen(conf), 0644}};
			rc = engine_put_files(e, rt->odoo, "/etc/odoo", files, 1, err);
		}
	}
	if (rc == 0) {
		job_stage(j, "Restart Odoo");
		job_log(j, "restarting the Odoo service in %s (SIGHUP)", rt->odoo);
		rt->odoo_touched = true;
		rc = engine_container_kill(e, rt->odoo, "HUP", err);
	}
	if (rc == 0) {
		usleep(500000);
		job_stage(j, "Health check");
		rc = wait_healthy(e, j, rt, err);
	}
	if (rc == 0 && rt->has_code) {
		code_record(j, rt);
		code_prune(e, j, rt, image);
	}
	secret_free(conf);
	free(image);
	return rc;
}

static int job_restart(struct job *j, struct berr *err)
{
	struct envrt rt;
	if (envrt_load(&rt, j->env_id, err) < 0)
		return -1;
	const char *mode = S(j->params, "mode");
	int rc = -1;
	if (str_eq(mode, "hard")) {
		job_log(j, "hard restart: recreating the containers of %s (data volumes stay)", rt.name);
		env_status(rt.id, "deploying", NULL);
		rc = deploy(j, &rt, true, err);
		if (rc == 0)
			code_record(j, &rt);
	} else {
		job_stage(j, "Connect to server");
		struct engine *e = engine_open(rt.server_id, err);
		if (e) {
			json_t *c = engine_container_inspect(e, rt.odoo);
			bool running = c && json_is_true(json_object_get(json_object_get(c, "State"), "Running"));
			json_decref(c);
			if (!running) {
				rc = berr_set(err, BE_CONFLICT, NULL,
					      "Odoo is not running: deploy or start the environment");
			} else {
				rc = soft_restart(e, j, &rt, err);
			}
			engine_close(e);
		}
	}
	if (rc == 0)
		env_status(rt.id, "running", NULL);
	else if (str_eq(mode, "hard"))
		env_status(rt.id, "error", err->message);
	envrt_free(&rt);
	return rc;
}

static int job_stop(struct job *j, struct berr *err)
{
	struct envrt rt;
	if (envrt_load(&rt, j->env_id, err) < 0)
		return -1;
	job_stage(j, "Connect to server");
	struct engine *e = engine_open(rt.server_id, err);
	int rc = e ? 0 : -1;
	if (e) {
		job_stage(j, "Stop containers");
		const char *order[] = {rt.odoo, rt.pgb, rt.replica, rt.db};
		for (size_t i = 0; i < ARRAY_SIZE(order) && rc == 0; i++) {
			json_t *c = engine_container_inspect(e, order[i]);
			if (c && json_is_true(json_object_get(json_object_get(c, "State"), "Running"))) {
				job_log(j, "stopping %s", order[i]);
				rc = engine_container_stop(e, order[i], 30, err);
			}
			json_decref(c);
		}
		engine_close(e);
	}
	if (rc == 0)
		env_status(rt.id, "stopped", NULL);
	envrt_free(&rt);
	return rc;
}

static int job_start(struct job *j, struct berr *err)
{
	struct envrt rt;
	if (envrt_load(&rt, j->env_id, err) < 0)
		return -1;
	job_stage(j, "Connect to server");
	struct engine *e = engine_open(rt.server_id, err);
	int rc = e ? 0 : -1;
	if (e) {
		job_stage(j, "Start containers");
		const char *order[] = {rt.db, rt.replica, rt.pgb, rt.odoo};
		bool any = false;
		for (size_t i = 0; i < ARRAY_SIZE(order) && rc == 0; i++) {
			json_t *c = engine_container_inspect(e, order[i]);
			if (c) {
				any = true;
				if (!json_is_true(json_object_get(json_object_get(c, "State"), "Running"))) {
					job_log(j, "starting %s", order[i]);
					rc = engine_container_start(e, order[i], err);
				}
				if (rc == 0 && i == 0)
					rc = wait_pg(e, j, rt.db, err);
			}
			json_decref(c);
		}
		if (rc == 0 && !any)
			rc = berr_set(err, BE_CONFLICT, NULL, "nothing to start: deploy the environment first");
		if (rc == 0) {
			job_stage(j, "Health check");
			rc = wait_healthy(e, j, &rt, err);
		}
		engine_close(e);
	}
	env_status(rt.id, rc == 0 ? "running" : "error", rc == 0 ? NULL : err->message);
	envrt_free(&rt);
	return rc;
}

static int job_remove(struct job *j, struct berr *err)
{
	struct envrt rt;
	if (envrt_load(&rt, j->env_id, err) < 0)
		return -1;
	env_status(rt.id, "removing", NULL);
	/* never deployed: nothing exists on the server */
	bool touched = db_int(0, "SELECT count(*) FROM jobs WHERE environment_id=? AND id<>? AND"
				 " type IN ('deploy','restart','start') AND started_at IS NOT NULL",
			      "ss", rt.id, j->id) > 0;
	job_stage(j, "Connect to server");
	struct engine *e = touched ? engine_open(rt.server_id, err) : NULL;
	int rc = touched ? -1 : 0;
	if (!touched)
		job_log(j, "the environment was never deployed: nothing to remove on the server");
	if (e) {
		job_stage(j, "Proxy site");
		ops_edge_lock(rt.server_id);
		edge_site_remove(e, j, &rt, err);
		ops_edge_unlock(rt.server_id);
		job_stage(j, "Containers, volumes, network");
		json_t *cs = engine_list_labeled(e, "containers", "berth.env", rt.id);
		size_t i;
		json_t *n;
		rc = 0;
		json_array_foreach(cs, i, n) {
			job_log(j, "removing container %s", json_string_value(n));
			if (engine_container_remove(e, json_string_value(n), err) < 0)
				rc = -1;
		}
		json_decref(cs);
		struct berr e2 = {0};
		char edge_name[32], sites_vol[40];
		edge_names(rt.server_id, edge_name, sites_vol);
		ops_edge_lock(rt.server_id);
		json_t *ec = engine_container_inspect(e, edge_name);
		if (json_object_get(json_object_get(json_object_get(ec, "NetworkSettings"), "Networks"),
				    rt.net)) {
			/* disconnect the edge proxy from the environment's network */
			char path[160];
			snprintf(path, sizeof path, "/networks/%s/disconnect", rt.net);
			json_t *body = json_pack("{s:s,s:b}", "Container", edge_name, "Force", 1);
			int status;
			engine_call(e, "POST", path, body, &status, NULL, &e2);
			json_decref(body);
		}
		json_decref(ec);
		ops_edge_unlock(rt.server_id);
		json_t *vs = engine_list_labeled(e, "volumes", "berth.env", rt.id);
		json_array_foreach(vs, i, n) {
			job_log(j, "removing volume %s", json_string_value(n));
			if (rc == 0 && engine_volume_remove(e, json_string_value(n), err) < 0)
				rc = -1;
		}
		json_decref(vs);
		if (rc == 0 && engine_network_remove(e, rt.net, err) < 0)
			rc = -1;
		engine_close(e);
	}
	if (rc == 0) {
		db_exec("DELETE FROM environments WHERE id=?", "s", rt.id);
		job_log(j, "environment %s removed", rt.name);
	} else {
		env_status(rt.id, "error", err->message);
	}
	envrt_free(&rt);
	return rc;
}

/* Merges the environment's branch into params.target_branch and pushes it. A conflict fails
 * the job, lists the files in its result, and pushes nothing. */
static int job_merge(struct job *j, struct berr *err)
{
	json_t *env = db_row("SELECT e.project_id, e.git_branch, j.initiated_by_email,"
			     " u.name AS user_name FROM environments e, jobs j LEFT JOIN users u ON"
			     " u.id=j.initiated_by WHERE e.id=? AND j.id=?", "ss", j->env_id, j->id);
	if (!env)
		return berr_set(err, BE_ENVIRONMENT_NOT_FOUND, NULL, "the environment no longer exists");
	const char *source = S(env, "git_branch"), *target = S(j->params, "target_branch");
	struct prepo pr;
	int rc = -1;
	char *src = NULL, *tgt = NULL, *result = NULL;
	json_t *conflicts = NULL;
	if (prepo_load(&pr, S(env, "project_id"), err) < 0) {
		json_decref(env);
		return -1;
	}
	job_stage(j, "Fetch");
	job_log(j, "fetching %s", pr.url ? pr.url : "(no repository)");
	if (prepo_sync(&pr, 0, err) < 0)
		goto out;
	src = git_resolve(pr.mirror, source, true);
	tgt = git_resolve(pr.mirror, target, true);
	if (!src || !tgt) {
		berr_set(err, BE_CONFLICT, NULL, "the branch '%s' does not exist in the repository",
			 src ? target : source);
		goto out;
	}
	job_stage(j, "Merge");
	job_log(j, "merging %s (%.7s) into %s (%.7s)", source, src, target, tgt);
	char *msg = xasprintf("Merge branch '%s' into %s", source, target);
	const char *email = S(env, "initiated_by_email");
	const char *name = S(env, "user_name");
	int m = git_merge(pr.mirror, tgt, src, msg, name && *name ? name : "berth",
			  email ? email : "berth@localhost", &result, &conflicts, err);
	free(msg);
	if (m < 0)
		goto out;
	if (m == 1) {
		size_t n = json_array_size(conflicts);
		job_log(j, "conflicts in %zu file%s:", n, n == 1 ? "" : "s");
		struct sbuf list = SBUF_INIT;
		size_t i;
		json_t *f;
		json_array_foreach(conflicts, i, f) {
			job_log(j, "  %s", json_string_value(f));
			if (i < 10)
				sbuf_addf(&list, "%s%s", i ? ", " : "", json_string_value(f));
		}
		job_result(j, json_pack("{s:s,s:s,s:b,s:O}", "source_branch", source, "target_branch",
					target, "merged", 0, "conflicts", conflicts));
		berr_set(err, BE_CONFLICT, NULL, "merge conflict in %s%s: %s was not changed",
			 sbuf_str(&list), n > 10 ? ", ..." : "", target);
		sbuf_release(&list);
		goto out;
	}
	if (!result) {
		job_log(j, "%s already contains %s: nothing to merge", target, source);
		job_result(j, json_pack("{s:s,s:s,s:b,s:s}", "source_branch", source, "target_branch",
					target, "merged", 0, "commit", tgt));
		rc = 0;
		goto out;
	}
	bool ff = str_eq(result, src);
	job_log(j, ff ? "fast-forward to %.7s" : "merge commit %.7s", result);
	job_stage(j, "Push");
	if (git_push(pr.mirror, &pr.rm, result, target, err) < 0)
		goto out;
	job_log(j, "pushed %s to %s", target, pr.url);
	job_result(j, json_pack("{s:s,s:s,s:b,s:s,s:b}", "source_branch", source, "target_branch",
				target, "merged", 1, "commit", result, "fast_forward", ff));
	repo_refresh_envs(&pr);
	/* environments following the target branch redeploy as after any push */
	json_t *jobs = json_array();
	repo_trigger(pr.project_id, target, result, "merge", false, jobs);
	if (json_array_size(jobs))
		job_log(j, "auto-deploy: %zu environment%s on %s", json_array_size(jobs),
			json_array_size(jobs) == 1 ? "" : "s", target);
	json_decref(jobs);
	rc = 0;
out:
	json_decref(conflicts);
	free(result);
	free(src);
	free(tgt);
	prepo_free(&pr);
	json_decref(env);
	return rc;
}

void ops_register(void)
{
	queue_register("merge", job_merge);
	queue_register("deploy", job_deploy);
	queue_register("restart", job_restart);
	queue_register("stop", job_stop);
	queue_register("start", job_start);
	queue_register("remove", job_remove);
	ops_register_server();
}
