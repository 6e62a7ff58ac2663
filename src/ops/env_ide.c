/* env_ide.c: the IDE of an environment (issue 14): a code-server container rt->ide on the
 * environment's network, with the environment's code volume mounted read-only at CODE_DIR
 * (the code comes from Git; a deploy's directory is never changed in place) and its own home
 * volume (settings, extensions). Its password is random, sealed in environments.ide_password;
 * code-server reads it as an Argon2id hash from a config file put into the container (never
 * in its environment or arguments, so not in `docker inspect`). Reached at /ide/ through the
 * edge (render/nginx_site.c); present only while the organization's plan has allow_ide. */
#include <stdio.h>
#include <string.h>
#include <sodium.h>

#include "lib/secret.h"
#include "ops/env_int.h"
#include "ops/ide.h"
#include "render/render.h"
#include "store/model.h"

#define IDE_PORT 8080
#define IDE_CONFIG "/etc/berth/code-server.yaml"

char *ops_ide_image(void)
{
	char *s = model_setting_get("ide_image");
	if (s && *s)
		return s;
	free(s);
	return xstrdup(IDE_IMAGE_DEFAULT);
}

bool ops_ide_allowed(const char *org_id)
{
	json_t *plan = model_org_plan(org_id);
	bool on = json_is_true(json_object_get(plan, "allow_ide"));
	json_decref(plan);
	return on;
}

char *ops_ide_password(const char *env_id)
{
	char *sealed = env_secret_get(env_id, ENV_SECRET_IDE_PASSWORD);
	char *plain = sealed ? secret_open(sealed) : NULL;
	free(sealed);
	return plain;
}

int ops_ide_password_new(const char *env_id, bool only_if_none)
{
	char hex[41];
	random_hex(hex, 20);
	char *s = secret_seal(hex);
	sodium_memzero(hex, sizeof hex);
	int rc = only_if_none ? env_secret_set_if_null(env_id, ENV_SECRET_IDE_PASSWORD, s)
			      : env_secret_set(env_id, ENV_SECRET_IDE_PASSWORD, s);
	free(s);
	return rc;
}

/* The password as code-server's hashed-password: Argon2id in the PHC string format, with a
 * salt derived from the environment and the password, so that the same password gives the
 * same text (the container is only recreated when the password changes). Caller frees. */
static char *ide_hash(const char *env_id, const char *password)
{
	unsigned char salt[crypto_pwhash_SALTBYTES], h[32];
	crypto_generichash_state st;
	crypto_generichash_init(&st, (const unsigned char *)"berth-ide-salt", 14, sizeof salt);
	crypto_generichash_update(&st, (const unsigned char *)env_id, strlen(env_id));
	crypto_generichash_update(&st, (const unsigned char *)password, strlen(password));
	crypto_generichash_final(&st, salt, sizeof salt);
	unsigned long long ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
	size_t mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
	if (crypto_pwhash(h, sizeof h, password, strlen(password), salt, ops, mem,
			  crypto_pwhash_ALG_ARGON2ID13) != 0)
		return NULL;
	char s64[64], h64[64];
	sodium_bin2base64(s64, sizeof s64, salt, sizeof salt,
			  sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
	sodium_bin2base64(h64, sizeof h64, h, sizeof h, sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
	sodium_memzero(h, sizeof h);
	return xasprintf("$argon2id$v=19$m=%zu,t=%llu,p=1$%s$%s", mem / 1024, ops, s64, h64);
}

/* The IDE image, pulled when it is not on the server. Caller frees. */
static char *ide_image(struct engine *e, struct job *j, struct berr *err)
{
	char *image = ops_ide_image();
	if (!engine_image_exists(e, image)) {
		job_log(j, "pulling %s", image);
		struct berr perr = {0};
		if (engine_image_pull(e, image, &perr) < 0) {
			berr_set(err, BE_INTERNAL_ERROR, NULL,
				 "the IDE image %s is not on the server and cannot be pulled (%s); set the"
				 " image at /api/v1/admin/ide", image, perr.message);
			free(image);
			return NULL;
		}
	}
	return image;
}

static void home_volume(const struct envrt *rt, char out[56])
{
	snprintf(out, 56, "berth-%s-ide-home", rt->key);
}

static int ide_remove(struct engine *e, struct job *j, struct envrt *rt, struct berr *err)
{
	json_t *c = engine_container_inspect(e, rt->ide);
	int rc = 0;
	if (c) {
		job_log(j, "removing the IDE %s: the organization's plan has no IDE", rt->ide);
		rc = engine_container_remove(e, rt->ide, err);
		char vol[56];
		home_volume(rt, vol);
		struct berr e2 = {0};
		if (rc == 0)
			engine_volume_remove(e, vol, &e2);
	}
	json_decref(c);
	return rc;
}

/* The IDE container converged (or removed without allow_ide). */
static int ide_converge(struct engine *e, struct job *j, struct envrt *rt, struct berr *err)
{
	if (!ops_ide_allowed(rt->env.org_id))
		return ide_remove(e, j, rt, err);
	char *image = ide_image(e, j, err);
	if (!image)
		return -1;
	ops_ide_password_new(rt->id, true);
	char *pw = ops_ide_password(rt->id);
	char *hash = pw ? ide_hash(rt->id, pw) : NULL;
	secret_free(pw);
	if (!hash) {
		free(image);
		return berr_set(err, BE_INTERNAL_ERROR, NULL, "the IDE's password cannot be read");
	}
	char *conf = xasprintf("# code-server's configuration, written by berth\n"
			       "bind-addr: 0.0.0.0:%d\n"
			       "auth: password\n"
			       "hashed-password: \"%s\"\n"
			       "cert: false\n"
			       "disable-telemetry: true\n"
			       "disable-update-check: true\n",
			       IDE_PORT, hash);
	free(hash);
	char vol[56];
	home_volume(rt, vol);
	int rc = -1;
	if (engine_volume_ensure(e, vol, labels(rt, "ide-home"), err) < 0)
		goto out;
	char bind[32];
	snprintf(bind, sizeof bind, "0.0.0.0:%d", IDE_PORT);
	json_t *spec = json_pack(
		"{s:s,s:o,s:[s],s:[s,s,s,s,s,s,s,s,s,s],s:{s:{}},s:o}", "Image", image, "Labels",
		labels(rt, "ide"), "Entrypoint", "/usr/bin/entrypoint.sh", "Cmd", "--config",
		IDE_CONFIG, "--bind-addr", bind, "--auth", "password", "--disable-telemetry",
		"--disable-update-check", "--disable-workspace-trust", CODE_DIR, "ExposedPorts",
		"8080/tcp", "HostConfig",
		host_config(rt->net, 0, 0, 0, 64, restart_policy(rt)));
	json_object_set_new(json_object_get(spec, "HostConfig"), "Mounts",
			    json_pack("[{s:s,s:s,s:s,s:b},{s:s,s:s,s:s}]", "Type", "volume", "Source",
				      rt->vol_code, "Target", CODE_DIR, "ReadOnly", 1, "Type",
				      "volume", "Source", vol, "Target", "/home/coder"));
	struct efile files[] = {{"etc/berth/code-server.yaml", conf, strlen(conf), 0644}};
	rc = converge_container(e, j, rt->ide, spec, "/", files, ARRAY_SIZE(files), false, NULL,
				err);
	json_decref(spec);
out:
	sodium_memzero(conf, strlen(conf));
	free(conf);
	free(image);
	return rc;
}

/* The deploy's stage: an IDE that cannot start (its image cannot be pulled, say) does not fail
 * the deploy of Odoo; the job's log says why, and /ide answers 503 until a deploy or a
 * rotation starts it. */
int env_ide(struct engine *e, struct job *j, struct envrt *rt, struct berr *err)
{
	struct berr ie = {0};
	(void)err;
	if (ide_converge(e, j, rt, &ie) < 0)
		job_log(j, "warning: the IDE was not started: %s", ie.message);
	return 0;
}

void env_ide_site(const struct envrt *rt, struct render_site *s)
{
	bool on = ops_ide_allowed(rt->env.org_id);
	s->ide_host = on ? rt->ide : NULL;
	s->ide_port = on ? IDE_PORT : 0;
}

/* Job ide_password: the IDE recreated with the password the store holds now (the rotation
 * stored it before queueing the job). A stopped environment's IDE stays stopped. */
int job_ide_password(struct job *j, struct berr *err)
{
	struct envrt rt;
	if (envrt_load(&rt, j->env_id, err) < 0)
		return -1;
	int rc = 0;
	if (!rt.deployed_before) {
		job_log(j, "the environment is not deployed yet: its first deploy starts the IDE with"
			   " the new password");
		goto out;
	}
	job_stage(j, "Connect to server");
	struct engine *e = engine_open_server(rt.server_id, err);
	if (!e) {
		rc = -1;
		goto out;
	}
	job_stage(j, "IDE");
	rc = ide_converge(e, j, &rt, err);
	if (rc == 0 && str_eq(rt.env.status, "stopped")) {
		job_log(j, "the environment is stopped: the IDE stays stopped");
		rc = engine_container_stop(e, rt.ide, 30, err);
	}
	if (rc == 0)
		job_log(j, "the IDE's password was changed");
	engine_close(e);
out:
	envrt_free(&rt);
	return rc;
}
