/* backup_targets.c: a backup target's connection description (drivers/blob.h) from the store,
 * its secret unsealed here and wiped on release: the one place target secrets are unsealed
 * (as ops/conn.c is for servers). The local target of an organization keeps its objects in
 * <local root>/<org_id>/, the root being <data>/backups unless berthd --backup-dir says. */
#include "ops/backup.h"

#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "lib/secret.h"
#include "lib/util.h"
#include "lib/valid.h"
#include "store/backup_targets.h"

static char *local_root;

void backup_set_local_root(const char *dir)
{
	free(local_root);
	local_root = dir ? xstrdup(dir) : NULL;
}

const char *backup_local_root(void)
{
	return local_root ? local_root : "berth-data/backups";
}

static char *cfg_str(json_t *cfg, const char *key)
{
	const char *v = json_string_value(json_object_get(cfg, key));
	return v && *v ? xstrdup(v) : NULL;
}

static void wipe_free(const char *s)
{
	if (s) {
		sodium_memzero((void *)s, strlen(s));
		free((void *)s);
	}
}

int backup_target_load(const char *org_id, const char *target_id, struct blob_target *t,
		       char id_out[37], struct berr *err)
{
	memset(t, 0, sizeof *t);
	char *def = NULL;
	if (!target_id) {
		def = backup_targets_default_id(org_id);
		if (!def)
			return berr_set(err, BE_INTERNAL_ERROR, NULL, NULL);
		target_id = def;
	}
	json_t *row = backup_targets_get(org_id, target_id);
	if (!row) {
		free(def);
		return berr_set(err, BE_BACKUP_TARGET_NOT_FOUND, "target_id", NULL);
	}
	if (id_out)
		snprintf(id_out, 37, "%s", json_string_value(json_object_get(row, "id")));
	const char *kind = json_string_value(json_object_get(row, "kind"));
	json_t *cfg = json_object_get(row, "config");
	t->kind = xstrdup(kind ? kind : "");
	t->timeout_s = 15;
	t->allow_private = berth_cfg.backup_allow_private;
	if (str_eq(kind, "local")) {
		if (!valid_uuid(org_id)) { /* never a path from anything but an id */
			json_decref(row);
			free(def);
			backup_target_release(t);
			return berr_set(err, BE_INTERNAL_ERROR, NULL, "not an organization id");
		}
		t->dir = xasprintf("%s/%s", backup_local_root(), org_id);
	} else if (str_eq(kind, "sftp")) {
		t->host = cfg_str(cfg, "host");
		t->port = (int)json_integer_value(json_object_get(cfg, "port"));
		t->user = cfg_str(cfg, "user");
		t->path = cfg_str(cfg, "path");
		t->known_host_key = cfg_str(cfg, "host_key");
	} else {
		t->endpoint = cfg_str(cfg, "endpoint");
		t->region = cfg_str(cfg, "region");
		t->bucket = cfg_str(cfg, "bucket");
		t->prefix = cfg_str(cfg, "prefix");
		t->access_key = cfg_str(cfg, "access_key_id");
		t->path_style = json_is_true(json_object_get(cfg, "path_style"));
	}
	json_decref(row);
	char *sealed = backup_targets_secret(org_id, target_id);
	free(def);
	char *plain = sealed ? secret_open(sealed) : NULL;
	free(sealed);
	json_t *sec = plain ? json_loads(plain, 0, NULL) : NULL;
	secret_free(plain);
	if (sec) {
		t->private_key = cfg_str(sec, "private_key");
		t->password = cfg_str(sec, "password");
		t->secret_key = cfg_str(sec, "secret_access_key");
		/* wipe the parsed copy before it goes back to the allocator */
		const char *k;
		json_t *v;
		json_object_foreach(sec, k, v)
			if (json_is_string(v))
				sodium_memzero((void *)json_string_value(v), strlen(json_string_value(v)));
		json_decref(sec);
	}
	return 0;
}

void backup_target_release(struct blob_target *t)
{
	wipe_free(t->private_key);
	wipe_free(t->password);
	wipe_free(t->secret_key);
	free((void *)t->kind);
	free((void *)t->dir);
	free((void *)t->host);
	free((void *)t->user);
	free((void *)t->known_host_key);
	free((void *)t->path);
	free((void *)t->endpoint);
	free((void *)t->region);
	free((void *)t->bucket);
	free((void *)t->prefix);
	free((void *)t->access_key);
	memset(t, 0, sizeof *t);
}
