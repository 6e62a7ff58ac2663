/* backup_targets.c: the rules of backup storage targets (see svc/backup_targets.h). */
#include "svc/backup_targets.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/config.h"
#include "drivers/blob.h"
#include "lib/jspec.h"
#include "lib/netaddr.h"
#include "lib/secret.h"
#include "lib/util.h"
#include "lib/valid.h"
#include "ops/backup.h"
#include "store/backup_targets.h"
#include "store/model.h"

static void audit(const struct actor *a, const char *ip, const char *org_id, const char *action,
		  const char *id, json_t *details)
{
	model_audit(org_id, a ? a->user_id : NULL, a ? a->email : NULL, action, "backup_target", id,
		    details, ip);
}

/* The server-side request forgery rule of outgoing webhooks, for a host given here (names
 * are checked again, resolved, when the driver connects). */
static int check_reach(const char *field, const char *host, struct berr *err)
{
	if (berth_cfg.backup_allow_private)
		return 0;
	bool is_ip = false;
	bool public_ip = netaddr_text_is_public(host, &is_ip);
	size_t n = strlen(host);
	bool local_name = !strcasecmp(host, "localhost") ||
			  (n > 10 && !strcasecmp(host + n - 10, ".localhost"));
	if ((is_ip && !public_ip) || local_name)
		return berr_set(err, BE_VALIDATION_ERROR, field,
				"%s: '%s' is a loopback, link-local or private address: backup targets"
				" are reached at public addresses only",
				field, host);
	return 0;
}

/* ---- the config of each kind ---- */

struct cfg_in {
	const char *host, *user, *path, *host_key;
	long long port;
	bool has_port;
	const char *endpoint, *region, *bucket, *prefix, *access_key_id;
	bool path_style, has_path_style;
};

/* Parses the given config fields of kind (unknown ones refused, each checked). */
static int parse_cfg(const char *kind, json_t *cfg, struct cfg_in *c, struct berr *err)
{
	memset(c, 0, sizeof *c);
	if (!cfg)
		return 0;
	if (str_eq(kind, "sftp")) {
		struct jfield spec[] = {
			{.name = "host", .type = J_STRING, .dest = &c->host, .maxlen = 253},
			{.name = "port", .type = J_INT, .dest = &c->port, .present = &c->has_port,
			 .imin = 1, .imax = 65535},
			{.name = "user", .type = J_STRING, .dest = &c->user, .maxlen = 64},
			{.name = "path", .type = J_STRING, .dest = &c->path, .maxlen = 512},
			{.name = "host_key", .type = J_STRING, .dest = &c->host_key, .maxlen = 64},
			JF_END,
		};
		if (jspec_parse(cfg, spec, "config.", err) < 0)
			return -1;
		if (c->host && !valid_host(c->host))
			return berr_set(err, BE_VALIDATION_ERROR, "config.host",
					"config.host: not a host name or IP address");
		if (c->host && check_reach("config.host", c->host, err) < 0)
			return -1;
		if (c->user && !valid_ssh_user(c->user))
			return berr_set(err, BE_VALIDATION_ERROR, "config.user",
					"config.user: 1-64 letters, digits, '.', '_', '-', '@'");
		if (c->path && !valid_sftp_path(c->path))
			return berr_set(err, BE_VALIDATION_ERROR, "config.path",
					"config.path: an absolute path or one relative to the login"
					" directory, of letters, digits and ._+@=,~- between '/', no '..'");
		if (c->host_key && !valid_ssh_fingerprint(c->host_key))
			return berr_set(err, BE_VALIDATION_ERROR, "config.host_key",
					"config.host_key: an OpenSSH SHA256 fingerprint (SHA256:...)");
		return 0;
	}
	if (str_eq(kind, "s3")) {
		struct jfield spec[] = {
			{.name = "endpoint", .type = J_STRING, .dest = &c->endpoint, .maxlen = 512},
			{.name = "region", .type = J_STRING, .dest = &c->region, .maxlen = 32},
			{.name = "bucket", .type = J_STRING, .dest = &c->bucket, .maxlen = 63},
			{.name = "prefix", .type = J_STRING, .dest = &c->prefix, .maxlen = 256},
			{.name = "path_style", .type = J_BOOL, .dest = &c->path_style,
			 .present = &c->has_path_style},
			{.name = "access_key_id", .type = J_STRING, .dest = &c->access_key_id,
			 .maxlen = 128},
			JF_END,
		};
		if (jspec_parse(cfg, spec, "config.", err) < 0)
			return -1;
		char host[256];
		if (c->endpoint && !valid_s3_endpoint(c->endpoint, host))
			return berr_set(err, BE_VALIDATION_ERROR, "config.endpoint",
					"config.endpoint: an http:// or https:// URL with a host and an"
					" optional port, no path, no credentials");
		if (c->endpoint && check_reach("config.endpoint", host, err) < 0)
			return -1;
		if (c->region && !valid_s3_region(c->region))
			return berr_set(err, BE_VALIDATION_ERROR, "config.region",
					"config.region: lowercase letters, digits and '-' (us-east-1)");
		if (c->bucket && !valid_s3_bucket(c->bucket))
			return berr_set(err, BE_VALIDATION_ERROR, "config.bucket",
					"config.bucket: 3-63 lowercase letters, digits, '.' and '-', as"
					" S3 names buckets");
		if (c->prefix && !valid_s3_prefix(c->prefix))
			return berr_set(err, BE_VALIDATION_ERROR, "config.prefix",
					"config.prefix: letters, digits, '.', '_' and '-' between single"
					" '/', no '..', no leading '/'");
		if (c->access_key_id && !valid_s3_access_key(c->access_key_id))
			return berr_set(err, BE_VALIDATION_ERROR, "config.access_key_id",
					"config.access_key_id: 1-128 letters, digits and ._~+=/-");
		return 0;
	}
	return berr_set(err, BE_VALIDATION_ERROR, "config",
			"config: the built-in local target has no settings");
}

static void set_str(json_t *o, const char *key, const char *v)
{
	if (v)
		json_object_set_new(o, key, json_string(v));
}

/* The config object after applying c to base (a copy; NULL base: new). */
static json_t *merge_cfg(const char *kind, json_t *base, const struct cfg_in *c)
{
	json_t *o = base ? json_deep_copy(base) : json_object();
	if (str_eq(kind, "sftp")) {
		set_str(o, "host", c->host);
		if (c->has_port)
			json_object_set_new(o, "port", json_integer(c->port));
		else if (!json_object_get(o, "port"))
			json_object_set_new(o, "port", json_integer(22));
		set_str(o, "user", c->user);
		set_str(o, "path", c->path);
		set_str(o, "host_key", c->host_key);
		if (!json_object_get(o, "path"))
			json_object_set_new(o, "path", json_string(""));
		if (!json_object_get(o, "host_key"))
			json_object_set_new(o, "host_key", json_null());
	} else {
		set_str(o, "endpoint", c->endpoint);
		set_str(o, "region", c->region);
		if (!json_object_get(o, "region"))
			json_object_set_new(o, "region", json_string("us-east-1"));
		set_str(o, "bucket", c->bucket);
		set_str(o, "prefix", c->prefix);
		if (!json_object_get(o, "prefix"))
			json_object_set_new(o, "prefix", json_string(""));
		if (c->has_path_style)
			json_object_set_new(o, "path_style", json_boolean(c->path_style));
		else if (!json_object_get(o, "path_style"))
			json_object_set_new(o, "path_style", json_false());
		set_str(o, "access_key_id", c->access_key_id);
	}
	return o;
}

/* What a complete config of kind needs. */
static int check_complete(const char *kind, json_t *o, struct berr *err)
{
	static const char *const sftp_req[] = {"host", "user", NULL};
	static const char *const s3_req[] = {"endpoint", "bucket", "access_key_id", NULL};
	for (const char *const *k = str_eq(kind, "sftp") ? sftp_req : s3_req; *k; k++)
		if (!json_is_string(json_object_get(o, *k))) {
			char f[64];
			snprintf(f, sizeof f, "config.%s", *k);
			return berr_set(err, BE_VALIDATION_ERROR, f, "%s: is required", f);
		}
	if (str_eq(kind, "s3") && !json_is_true(json_object_get(o, "path_style"))) {
		char host[256];
		bool is_ip = false;
		if (valid_s3_endpoint(json_string_value(json_object_get(o, "endpoint")), host))
			netaddr_text_is_public(host, &is_ip);
		if (is_ip)
			return berr_set(err, BE_VALIDATION_ERROR, "config.path_style",
					"config.path_style: an endpoint given by IP address needs"
					" path_style true");
	}
	return 0;
}

/* The sealed secret from what the request gives (NULL when it gives none). */
static int secret_of(const char *kind, const struct backup_target_in *in, char **sealed,
		     struct berr *err)
{
	*sealed = NULL;
	bool sftp = str_eq(kind, "sftp");
	if (!sftp && (in->private_key || in->password))
		return berr_set(err, BE_VALIDATION_ERROR, in->private_key ? "private_key" : "password",
				"%s: only an sftp target takes it (s3: secret_access_key)",
				in->private_key ? "private_key" : "password");
	if (sftp && in->secret_access_key)
		return berr_set(err, BE_VALIDATION_ERROR, "secret_access_key",
				"secret_access_key: only an s3 target takes it (sftp: private_key"
				" or password)");
	if (in->private_key && in->password)
		return berr_set(err, BE_VALIDATION_ERROR, "password",
				"password: give either private_key or password, not both");
	if (in->private_key && !strstr(in->private_key, "PRIVATE KEY-----"))
		return berr_set(err, BE_VALIDATION_ERROR, "private_key",
				"private_key: not a PEM or OpenSSH private key");
	if (in->password && !*in->password)
		return berr_set(err, BE_VALIDATION_ERROR, "password", "password: is empty");
	if (in->secret_access_key && !valid_s3_secret(in->secret_access_key))
		return berr_set(err, BE_VALIDATION_ERROR, "secret_access_key",
				"secret_access_key: 1-256 printable characters without spaces");
	json_t *s = NULL;
	if (in->private_key)
		s = json_pack("{s:s}", "private_key", in->private_key);
	else if (in->password)
		s = json_pack("{s:s}", "password", in->password);
	else if (in->secret_access_key)
		s = json_pack("{s:s}", "secret_access_key", in->secret_access_key);
	if (!s)
		return 0;
	char *plain = json_dumps(s, JSON_COMPACT);
	json_decref(s);
	*sealed = secret_seal(plain);
	secret_free(plain);
	return 0;
}

static int check_name(const char *name, struct berr *err)
{
	if (!valid_target_name(name))
		return berr_set(err, BE_VALIDATION_ERROR, "name",
				"name: 1-63 letters, digits, '-', '_' and '.', starting with a letter"
				" or digit");
	if (!strcasecmp(name, "local"))
		return berr_set(err, BE_VALIDATION_ERROR, "name",
				"name: 'local' is the built-in target's name");
	return 0;
}

/* What an audit entry says of a config (no secret is in a config). */
static json_t *audit_details(const char *name, const char *kind, json_t *cfg, bool secret)
{
	json_t *d = json_object();
	if (name)
		json_object_set_new(d, "name", json_string(name));
	if (kind)
		json_object_set_new(d, "kind", json_string(kind));
	if (cfg)
		json_object_set(d, "config", cfg);
	if (secret)
		json_object_set_new(d, "secret", json_string("(changed)"));
	return d;
}

/* ---- the services ---- */

json_t *svc_backup_targets_list(const char *org_id)
{
	return backup_targets_list(org_id);
}

json_t *svc_backup_target_get(const char *org_id, const char *id, struct berr *err)
{
	backup_targets_ensure_local(org_id);
	json_t *t = backup_targets_get(org_id, id);
	if (!t)
		berr_set(err, BE_BACKUP_TARGET_NOT_FOUND, NULL, NULL);
	return t;
}

json_t *svc_backup_target_create(const struct actor *a, const char *ip, const char *org_id,
				 const struct backup_target_in *in, struct berr *err)
{
	if (!in->name) {
		berr_set(err, BE_VALIDATION_ERROR, "name", "name: is required");
		return NULL;
	}
	if (check_name(in->name, err) < 0)
		return NULL;
	if (!in->kind || (!str_eq(in->kind, "sftp") && !str_eq(in->kind, "s3"))) {
		berr_set(err, BE_VALIDATION_ERROR, "kind",
			 str_eq(in->kind, "local")
				 ? "kind: the local target is built in (every organization has one)"
				 : "kind: must be \"sftp\" or \"s3\"");
		return NULL;
	}
	if (!in->config) {
		berr_set(err, BE_VALIDATION_ERROR, "config", "config: is required");
		return NULL;
	}
	if (in->reset_host_key) {
		berr_set(err, BE_VALIDATION_ERROR, "reset_host_key",
			 "reset_host_key: only when changing a target");
		return NULL;
	}
	struct cfg_in c;
	if (parse_cfg(in->kind, in->config, &c, err) < 0)
		return NULL;
	json_t *cfg = merge_cfg(in->kind, NULL, &c);
	char *sealed = NULL;
	if (check_complete(in->kind, cfg, err) < 0 || secret_of(in->kind, in, &sealed, err) < 0) {
		json_decref(cfg);
		return NULL;
	}
	if (!sealed) {
		bool sftp = str_eq(in->kind, "sftp");
		berr_set(err, BE_VALIDATION_ERROR, sftp ? "private_key" : "secret_access_key",
			 sftp ? "private_key: give private_key or password"
			      : "secret_access_key: is required");
		json_decref(cfg);
		return NULL;
	}
	struct backup_target_new n = {
		.org_id = org_id,
		.name = in->name,
		.kind = in->kind,
		.sealed_secret = sealed,
		.created_by = a ? a->user_id : NULL,
		.config = cfg,
		.is_default = in->has_default && in->is_default,
	};
	char id[37];
	int rc = backup_targets_insert(&n, id);
	free(sealed);
	if (rc < 0) {
		json_decref(cfg);
		if (rc == -2)
			berr_set(err, BE_NAME_EXISTS, "name", "A backup target named '%s' already exists",
				 in->name);
		else if (rc == -3)
			berr_set(err, BE_QUOTA_EXCEEDED, NULL,
				 "An organization has at most %d backup targets", BACKUP_TARGETS_MAX);
		else
			berr_set(err, BE_INTERNAL_ERROR, NULL, NULL);
		return NULL;
	}
	json_t *d = audit_details(in->name, in->kind, cfg, false);
	json_object_set_new(d, "is_default", json_boolean(n.is_default));
	audit(a, ip, org_id, "backup_target.create", id, d);
	json_decref(cfg);
	return backup_targets_get(org_id, id);
}

json_t *svc_backup_target_update(const struct actor *a, const char *ip, const char *org_id,
				 const char *id, const struct backup_target_in *in,
				 struct berr *err)
{
	json_t *row = svc_backup_target_get(org_id, id, err);
	if (!row)
		return NULL;
	const char *kind = json_string_value(json_object_get(row, "kind"));
	bool local = str_eq(kind, "local");
	json_t *cfg = NULL, *out = NULL;
	char *sealed = NULL;
	if (in->kind) {
		berr_set(err, BE_VALIDATION_ERROR, "kind", "kind: cannot be changed");
		goto done;
	}
	if (local && (in->name || in->config || in->private_key || in->password ||
		      in->secret_access_key || in->reset_host_key)) {
		berr_set(err, BE_VALIDATION_ERROR,
			 in->name ? "name" : in->config ? "config" : in->reset_host_key
				 ? "reset_host_key" : in->private_key ? "private_key"
				 : in->password ? "password" : "secret_access_key",
			 "the built-in local target has only is_default to change");
		goto done;
	}
	if (local && in->has_default && !in->is_default) {
		berr_set(err, BE_VALIDATION_ERROR, "is_default",
			 "is_default: make another target the default instead");
		goto done;
	}
	if (in->name && check_name(in->name, err) < 0)
		goto done;
	if (in->reset_host_key && !str_eq(kind, "sftp")) {
		berr_set(err, BE_VALIDATION_ERROR, "reset_host_key",
			 "reset_host_key: only an sftp target has a host key");
		goto done;
	}
	if (!local) {
		struct cfg_in c;
		if (in->config && parse_cfg(kind, in->config, &c, err) < 0)
			goto done;
		if (in->config || in->reset_host_key) {
			json_t *old = json_object_get(row, "config");
			if (!in->config)
				memset(&c, 0, sizeof c);
			cfg = merge_cfg(kind, old, &c);
			/* another host, port or user is another server: its key is learnt anew */
			bool moved = str_eq(kind, "sftp") &&
				     (!json_equal(json_object_get(old, "host"), json_object_get(cfg, "host")) ||
				      !json_equal(json_object_get(old, "port"), json_object_get(cfg, "port")) ||
				      !json_equal(json_object_get(old, "user"), json_object_get(cfg, "user")));
			if ((moved || in->reset_host_key) && !c.host_key)
				json_object_set_new(cfg, "host_key", json_null());
			if (check_complete(kind, cfg, err) < 0)
				goto done;
		}
		if (secret_of(kind, in, &sealed, err) < 0)
			goto done;
	}
	struct backup_target_change ch = {
		.name = in->name,
		.config = cfg,
		.sealed_secret = sealed,
		.is_default = in->has_default ? (in->is_default ? 1 : 0) : -1,
	};
	int rc = backup_targets_update(org_id, id, &ch);
	if (rc == -2) {
		berr_set(err, BE_NAME_EXISTS, "name", "A backup target named '%s' already exists",
			 in->name);
		goto done;
	}
	if (rc < 0) {
		berr_set(err, BE_INTERNAL_ERROR, NULL, NULL);
		goto done;
	}
	json_t *d = audit_details(in->name, NULL, in->config, sealed != NULL);
	if (in->has_default)
		json_object_set_new(d, "is_default", json_boolean(in->is_default));
	if (in->reset_host_key)
		json_object_set_new(d, "reset_host_key", json_true());
	audit(a, ip, org_id, "backup_target.update", id, d);
	out = backup_targets_get(org_id, id);
done:
	free(sealed);
	json_decref(cfg);
	json_decref(row);
	return out;
}

int svc_backup_target_delete(const struct actor *a, const char *ip, const char *org_id,
			     const char *id, struct berr *err)
{
	json_t *row = svc_backup_target_get(org_id, id, err);
	if (!row)
		return -1;
	bool local = str_eq(json_string_value(json_object_get(row, "kind")), "local");
	json_t *d = json_pack("{s:O}", "name", json_object_get(row, "name"));
	json_decref(row);
	if (local) {
		json_decref(d);
		return berr_set(err, BE_CONFLICT, NULL, "The built-in local target cannot be deleted");
	}
	int64_t n = 0;
	int rc = backup_targets_delete(org_id, id, &n);
	if (rc == -2) {
		json_decref(d);
		return berr_set(err, BE_CONFLICT, NULL,
				"%lld backup%s stored on this target: delete %s first", (long long)n,
				n == 1 ? " is" : "s are", n == 1 ? "it" : "them");
	}
	if (rc < 0) {
		json_decref(d);
		return berr_set(err, BE_INTERNAL_ERROR, NULL, NULL);
	}
	if (rc == 0) {
		json_decref(d);
		return berr_set(err, BE_BACKUP_TARGET_NOT_FOUND, NULL, NULL);
	}
	audit(a, ip, org_id, "backup_target.delete", id, d);
	return 0;
}

json_t *svc_backup_target_test(const struct actor *a, const char *ip, const char *org_id,
			       const char *id, struct berr *err)
{
	json_t *row = svc_backup_target_get(org_id, id, err);
	if (!row)
		return NULL;
	json_decref(row);
	struct blob_target t;
	char tid[37];
	if (backup_target_load(org_id, id, &t, tid, err) < 0)
		return NULL;
	int64_t t0 = now_ms();
	struct berr perr = {0};
	int rc = blob_probe(&t, &perr);
	int64_t ms = now_ms() - t0;
	bool sftp = str_eq(t.kind, "sftp");
	bool pinned = false;
	if (rc == 0 && sftp && !t.known_host_key && t.seen_host_key[0])
		pinned = backup_targets_pin_host_key(id, t.seen_host_key) == 1;
	json_t *out = json_pack("{s:b,s:s?,s:I}", "ok", rc == 0, "error",
				rc == 0 ? NULL : perr.message, "duration_ms", (json_int_t)ms);
	if (sftp) {
		const char *hk = t.known_host_key ? t.known_host_key
						  : pinned ? t.seen_host_key : NULL;
		json_object_set_new(out, "host_key", hk ? json_string(hk) : json_null());
		json_object_set_new(out, "host_key_pinned", json_boolean(pinned));
	}
	if (rc != 0 && !json_object_get(out, "error"))
		json_object_set_new(out, "error", json_string(berr_default_message(perr.code)));
	if (rc == 0)
		json_object_set_new(out, "error", json_null());
	backup_target_release(&t);
	audit(a, ip, org_id, "backup_target.test", id,
	      json_pack("{s:b,s:b}", "ok", rc == 0, "host_key_pinned", pinned));
	return out;
}
