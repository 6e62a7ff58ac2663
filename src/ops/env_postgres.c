/* env_postgres.c: the PostgreSQL stage: the database container and its read replica. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/secret.h"
#include "ops/env_int.h"
#include "ops/images.h"
#include "render/render.h"

/* Waits for `pg_isready` inside the database container. */
int wait_pg(struct engine *e, struct job *j, const char *container, struct berr *err)
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

/* shared_preload_libraries: the extensions of postgres_extensions that only work loaded at
 * the server's start, comma-separated; NULL when none. Caller frees. */
static char *preload_libraries(struct envrt *rt)
{
	static const char *const NEED[] = {"pg_stat_statements", "pg_cron", "timescaledb", NULL};
	struct sbuf sb = SBUF_INIT;
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(rt->settings, "postgres_extensions"), i, v)
		for (const char *const *n = NEED; *n; n++)
			if (str_eq(json_string_value(v), *n))
				sbuf_addf(&sb, "%s%s", sb.len ? "," : "", *n);
	return sb.len ? sbuf_detach(&sb) : (sbuf_release(&sb), NULL);
}

/* The host ports berth's other database containers on the server publish (another
 * environment, or another berth installation using the same server). */
static size_t ports_taken(struct engine *e, const struct envrt *rt, int *out, size_t max)
{
	json_t *names = engine_list_labeled(e, "containers", "berth.role", "db");
	size_t n = 0, i;
	json_t *v;
	json_array_foreach(names, i, v) {
		const char *name = json_string_value(v);
		if (!name || str_eq(name, rt->db) || n >= max)
			continue;
		json_t *c = engine_container_inspect(e, name);
		json_t *b = json_object_get(json_object_get(json_object_get(c, "HostConfig"),
							    "PortBindings"), "5432/tcp");
		size_t k;
		json_t *pb;
		json_array_foreach(b, k, pb) {
			const char *hp = S(pb, "HostPort");
			int port = hp ? atoi(hp) : 0;
			if (port > 0 && n < max)
				out[n++] = port;
		}
		json_decref(c);
	}
	json_decref(names);
	return n;
}

/* The environment's PostgreSQL port on the server's loopback (store/envs.h), another one when
 * a container of the server already publishes it. 0 or -1 with err. */
static int pg_host_port(struct engine *e, struct envrt *rt, int *avoid, size_t *n_avoid,
			size_t max, struct berr *err)
{
	*n_avoid += ports_taken(e, rt, avoid + *n_avoid, max - *n_avoid);
	int port = env_pg_port(rt->id);
	for (size_t k = 0; port > 0 && k < *n_avoid; k++)
		if (avoid[k] == port) {
			env_pg_port_clear(rt->id);
			break;
		}
	port = env_pg_port_ensure(rt->id, avoid, *n_avoid);
	if (port <= 0)
		return berr_set(err, BE_CONFLICT, NULL,
				"no free PostgreSQL port left on the server (%d-%d)", ENV_PG_PORT_MIN,
				ENV_PG_PORT_MAX);
	return port;
}

/* PostgreSQL published on the server's loopback only, at the environment's port. */
static void publish_pg(json_t *spec, int port)
{
	char p[16];
	snprintf(p, sizeof p, "%d", port);
	json_object_set_new(spec, "ExposedPorts", json_pack("{s:{}}", "5432/tcp"));
	json_object_set_new(json_object_get(spec, "HostConfig"), "PortBindings",
			    json_pack("{s:[{s:s,s:s}]}", "5432/tcp", "HostIp", "127.0.0.1", "HostPort",
				      p));
}

static bool port_in_use(const struct berr *err)
{
	return strstr(err->message, "already allocated") || strstr(err->message, "address already in use");
}

int deploy_postgres(struct engine *e, struct job *j, struct envrt *rt, bool force,
		    struct berr *err)
{
	char img[160];
	if (pg_image(e, j, rt, img, sizeof img, err) < 0)
		return -1;
	struct render_pgbouncer b = {rt->db, rt->db_name, DB_USER, rt->db_password, rt->pg_cpu_c,
				     rt->pg_ram};
	int pool, maxc, pg_max = 100;
	render_pgbouncer_pools(&b, &pool, &maxc, &pg_max);
	char *preload = preload_libraries(rt);
	long long mem = setting_int(rt, "postgres_memory_limit_mb");
	struct render_pg p = {
		.cpu_c = rt->pg_cpu_c,
		.ram_mb = mem > 0 ? mem : rt->pg_ram,
		.pgtune = rt->pgtune,
		.max_connections = rt->pgbouncer ? pg_max : 100,
		.pg_major = images_pg_major(rt->version),
		.replication = rt->replica_on,
		.extra = S(rt->settings, "postgres_config"),
		.preload = preload,
	};
	char *conf = render_postgresql_conf(&p, err);
	free(preload);
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
					     setting_int(rt, "postgres_memory_reservation_mb"),
					     setting_int(rt, "postgres_shm_mb"), restart_policy(rt)));
	json_object_set_new(json_object_get(spec, "HostConfig"), "Mounts",
			    json_pack("[{s:s,s:s,s:s}]", "Type", "volume", "Source", rt->vol_pg,
				      "Target", "/var/lib/postgresql/data"));
	bool changed = true;
	int avoid[256];
	size_t n_avoid = 0;
	int rc = -1;
	for (int attempt = 0; attempt < 4; attempt++) {
		int port = pg_host_port(e, rt, avoid, &n_avoid, ARRAY_SIZE(avoid), err);
		if (port < 0)
			break;
		job_log(j, "PostgreSQL published on the server's loopback at 127.0.0.1:%d", port);
		json_t *s = json_deep_copy(spec);
		publish_pg(s, port);
		rc = converge_container(e, j, rt->db, s, "/etc/berth", files, ARRAY_SIZE(files),
					force, &changed, err);
		json_decref(s);
		if (rc == 0 || !port_in_use(err) || n_avoid >= ARRAY_SIZE(avoid))
			break;
		/* something else on the server holds the port: another one */
		job_log(j, "port %d is taken on the server (%s): trying another", port, err->message);
		avoid[n_avoid++] = port;
		env_pg_port_clear(rt->id);
		memset(err, 0, sizeof *err);
	}
	json_decref(spec);
	free(conf);
	free(hba);
	if (rc < 0)
		return -1;
	rt->db_unchanged = !changed;
	return changed ? wait_pg(e, j, rt->db, err) : 0;
}

int deploy_replica(struct engine *e, struct job *j, struct envrt *rt, bool force,
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
	char img[160];
	if (pg_image(e, j, rt, img, sizeof img, err) < 0)
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
