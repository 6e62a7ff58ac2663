/* env.c: deploy, restart, stop, start and remove of an environment. Every step converges:
 * objects are found by name, compared with what they should be (a hash label), and only
 * what differs is recreated, so a job interrupted anywhere completes on the next run. The
 * stages live in env_*.c (env_int.h). */
#include <string.h>
#include <unistd.h>

#include "core/settings.h"
#include "lib/secret.h"
#include "ops/backup.h"
#include "ops/env_int.h"
#include "ops/ops.h"
#include "store/envs.h"
#include "store/jobs_store.h"

static int ensure_network_volumes(struct engine *e, struct envrt *rt, struct berr *err)
{
	if (engine_network_ensure(e, rt->net, labels(rt, "network"), err) < 0 ||
	    engine_volume_ensure(e, rt->vol_pg, labels(rt, "db-data"), err) < 0 ||
	    engine_volume_ensure(e, rt->vol_data, labels(rt, "odoo-data"), err) < 0 ||
	    engine_volume_ensure(e, rt->vol_code, labels(rt, "code"), err) < 0)
		return -1;
	return 0;
}

int env_deploy(struct job *j, struct envrt *rt, bool force, struct berr *err)
{
	job_stage(j, "Connect to server");
	struct engine *e = engine_open_server(rt->server_id, err);
	if (!e)
		return -1;
	int rc = -1;
	/* everything that can fail without touching a container first: the images (derived with
	 * the Packages settings) and the server directories of the Odoo settings */
	job_stage(j, "Images");
	if (env_images(e, j, rt, err) < 0)
		goto out;
	if (settings_get_bool(rt->settings, "server_shared_addons") ||
	    settings_get_bool(rt->settings, "external_filestore")) {
		job_stage(j, "Server directories");
		if (env_mounts(e, j, rt, err) < 0)
			goto out;
	}
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
	job_stage(j, "Mail catcher");
	if (env_mailcatcher(e, j, rt, err) < 0)
		goto out;
	if (rt->before_odoo && rt->before_odoo(e, j, rt, err) < 0)
		goto out;
	job_stage(j, "Database");
	if (deploy_odoo(e, j, rt, force, err) < 0)
		goto out;
	job_stage(j, "IDE");
	if (env_ide(e, j, rt, err) < 0)
		goto out;
	job_stage(j, "Edge proxy");
	ops_edge_lock(rt->server_id);
	bool edge_ok = edge_ensure(e, j, rt->server_id, err) == 0 &&
		       tls_install(e, j, rt) == 0 && edge_site(e, j, rt, err) == 0;
	if (edge_ok) /* HTTPS (tls.c): never fails the deploy */
		tls_converge(e, j, rt, err);
	ops_edge_unlock(rt->server_id);
	if (!edge_ok)
		goto out;
	job_stage(j, "Health check");
	if (wait_healthy(e, j, rt, err) < 0)
		goto out;
	rc = 0;
	if (rt->has_code)
		code_prune(e, j, rt, rt->odoo_img);
	env_images_prune(e, j, rt, false);
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
	char *before = xstrdup(rt.env.status);
	env_status(rt.id, "deploying", NULL);
	job_log(j, "deploying %s (%s, Odoo %s) to %s", rt.name, rt.type, rt.version, rt.fqdn);
	int rc = env_deploy(j, &rt, false, err);
	if (rc == 0) {
		env_set_deployed(rt.id);
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

/* Soft restart: pull the code, update changed modules, write odoo.conf (with or without
 * code: the Odoo settings' odoo.conf text), then restart the Odoo service in its container
 * (SIGHUP re-execs Odoo, which reads the new odoo.conf and code). The container, its image and
 * its mounts stay as they are (a hard restart or a deploy changes those): odoo.conf's
 * addons_path follows what is mounted. */
static int soft_restart(struct engine *e, struct job *j, struct envrt *rt, struct berr *err)
{
	job_stage(j, "Code");
	if (code_stage(e, j, rt, err) < 0)
		return -1;
	env_mounts_from_container(e, rt);
	json_t *c = engine_container_inspect(e, rt->odoo);
	const char *running_image = S(json_object_get(c, "Config"), "Image");
	if (running_image) { /* the running container's image, not a new build */
		free(rt->odoo_img); /* code_stage may have set it */
		rt->odoo_img = xstrdup(running_image);
	}
	json_decref(c);
	char *image = rt->has_code ? odoo_image(e, j, rt, err) : NULL;
	char *conf = !rt->has_code || image ? odoo_conf(rt, err) : NULL;
	int rc = conf ? 0 : -1;
	if (rc == 0 && rt->has_code) {
		job_stage(j, "Modules");
		rc = update_modules(e, j, rt, image, conf, err);
	}
	if (rc == 0) {
		job_log(j, "writing odoo.conf");
		struct efile files[] = {{"odoo.conf", conf, strlen(conf), 0644}};
		rc = engine_put_files(e, rt->odoo, "/etc/odoo", files, 1, err);
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
		rc = env_deploy(j, &rt, true, err);
		if (rc == 0)
			code_record(j, &rt);
	} else {
		job_stage(j, "Connect to server");
		struct engine *e = engine_open_server(rt.server_id, err);
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
			if (rc == 0) { /* HTTPS (tls.c): Force Generate SSL, renewals */
				ops_edge_lock(rt.server_id);
				tls_converge(e, j, &rt, err);
				ops_edge_unlock(rt.server_id);
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
	struct engine *e = engine_open_server(rt.server_id, err);
	int rc = e ? 0 : -1;
	if (e) {
		job_stage(j, "Stop containers");
		const char *order[] = {rt.ide, rt.odoo, rt.mail, rt.pgb, rt.replica, rt.db};
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
	struct engine *e = engine_open_server(rt.server_id, err);
	int rc = e ? 0 : -1;
	if (e) {
		job_stage(j, "Start containers");
		const char *order[] = {rt.db, rt.replica, rt.pgb, rt.mail, rt.odoo, rt.ide};
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
	bool touched = jobs_env_touched(rt.id, j->id);
	job_stage(j, "Connect to server");
	struct engine *e = touched ? engine_open_server(rt.server_id, err) : NULL;
	int rc = touched ? -1 : 0;
	if (!touched)
		job_log(j, "the environment was never deployed: nothing to remove on the server");
	if (e) {
		job_stage(j, "Proxy site");
		ops_edge_lock(rt.server_id);
		edge_site_remove(e, j, &rt, err);
		tls_remove(e, j, &rt);
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
		/* the images derived for it (Packages settings) */
		env_images_prune(e, j, &rt, true);
		struct berr e2 = {0};
		char edge_name[32], sites_vol[40];
		ops_edge_names(rt.server_id, edge_name, sites_vol);
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
		job_stage(j, "Backups");
		if (backup_remove_env(rt.id, j, err) < 0)
			rc = -1;
	}
	if (rc == 0) {
		env_delete_row(rt.id);
		job_log(j, "environment %s removed", rt.name);
	} else {
		env_status(rt.id, "error", err->message);
	}
	envrt_free(&rt);
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
	queue_register("edge_reload", job_edge_reload);
	queue_register("ide_password", job_ide_password);
	ops_register_server();
}
