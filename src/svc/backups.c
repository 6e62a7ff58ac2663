/* backups.c: the rules of backups (see backups.h). */
#include "svc/backups.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>

#include "core/actions.h"
#include "drivers/blob.h"
#include "drivers/odoozip.h"
#include "jobs/queue.h"
#include "lib/util.h"
#include "ops/backup.h"
#include "ops/backup_sched.h"
#include "store/backups.h"
#include "store/envs.h"
#include "store/model.h"

#define UPLOAD_MAX_DEFAULT 50000000000ULL

/* ---- the Backup JSON ---- */

static void iso_of(int64_t ts, char out[32])
{
	time_t t = (time_t)ts;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* <db>_<YYYY-MM-DD_HH-MM-SS>.zip, as Odoo's database manager names its backups */
static char *download_name(json_t *row)
{
	const char *db = json_string_value(json_object_get(row, "db_name"));
	const char *env = json_string_value(json_object_get(row, "environment_name"));
	char safe[100];
	size_t k = 0;
	for (const char *p = db ? db : env ? env : "backup"; *p && k + 1 < sizeof safe; p++) {
		char c = *p;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			  c == '.' || c == '_' || c == '-';
		safe[k++] = ok ? c : '_';
	}
	safe[k] = '\0';
	char stamp[32];
	time_t t = (time_t)json_integer_value(json_object_get(row, "created_ts"));
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%d_%H-%M-%S", &tm);
	bool dump = str_eq(json_string_value(json_object_get(row, "format")), "dump");
	return xasprintf("%s_%s.%s", safe, stamp, dump ? "dump" : "zip");
}

struct loc_cache {
	char id[37];
	char *prefix; /* location of key "" */
	struct loc_cache *next;
};

static char *location_of(struct loc_cache **cache, const char *org, const char *tid,
			 const char *key)
{
	if (!tid || !key)
		return NULL;
	struct loc_cache *c = *cache;
	while (c && !str_eq(c->id, tid))
		c = c->next;
	if (!c) {
		c = xcalloc(1, sizeof *c);
		snprintf(c->id, sizeof c->id, "%s", tid);
		struct blob_target t;
		char id[37];
		struct berr err = {0};
		if (backup_target_load(org, tid, &t, id, &err) == 0) {
			c->prefix = blob_location(&t, "");
			backup_target_release(&t);
		}
		c->next = *cache;
		*cache = c;
	}
	if (c->prefix && str_starts(c->prefix, "local:"))
		return xasprintf("local:%s", key); /* berthd's own paths are not the tenant's business */
	return c->prefix ? xasprintf("%s%s", c->prefix, key) : NULL;
}

static void loc_cache_free(struct loc_cache *c)
{
	while (c) {
		struct loc_cache *n = c->next;
		free(c->prefix);
		free(c);
		c = n;
	}
}

static json_t *render(json_t *row, struct loc_cache **cache)
{
	json_t *b = json_object();
	static const char *const keep[] = {
		"id", "environment_id", "environment_name", "project_id", "scope", "kind", "status",
		"error", "format", "size_bytes", "sha256", "created_at", "finished_at", "duration_ms",
		"odoo_version", "db_name", "module_count", "table_count", "filestore_files", "job_id",
		"created_by"};
	for (size_t i = 0; i < ARRAY_SIZE(keep); i++) {
		json_t *v = json_object_get(row, keep[i]);
		json_object_set(b, keep[i], v ? v : json_null());
	}
	json_int_t exp = json_integer_value(json_object_get(row, "expires_ts"));
	char iso[32];
	if (exp > 0) {
		iso_of(exp, iso);
		json_object_set_new(b, "expires_at", json_string(iso));
	} else {
		json_object_set_new(b, "expires_at", json_null());
	}
	const char *tid = json_string_value(json_object_get(row, "target_id"));
	json_object_set_new(b, "target",
			    tid ? json_pack("{s:s,s:O,s:O}", "id", tid, "name",
					    json_object_get(row, "target_name"), "kind",
					    json_object_get(row, "target_kind"))
				: json_null());
	char *loc = location_of(cache, json_string_value(json_object_get(row, "org_id")), tid,
				json_string_value(json_object_get(row, "object_key")));
	json_object_set_new(b, "location", loc ? json_string(loc) : json_null());
	free(loc);
	char *dn = download_name(row);
	json_object_set_new(b, "download_name", json_string(dn));
	free(dn);
	const char *vs = json_string_value(json_object_get(row, "verify_status"));
	if (vs) {
		json_t *d = json_object_get(row, "verify_detail");
		json_object_set_new(b, "verification",
				    json_pack("{s:s,s:O,s:O,s:O,s:O,s:O}", "status", vs, "verified_at",
					      json_object_get(row, "verified_at") ?: json_null(),
					      "duration_ms",
					      json_object_get(row, "verify_duration_ms") ?: json_null(),
					      "job_id", json_object_get(row, "verify_job_id") ?: json_null(),
					      "checks", json_object_get(d, "checks") ?: json_object(),
					      "error", json_object_get(d, "error") ?: json_null()));
	} else {
		json_object_set_new(b, "verification", json_null());
	}
	return b;
}

/* ---- access ---- */

/* The environment, checked: visible to a, the permission held. */
static int env_check(const struct actor *a, const char *env_id, const char *perm,
		     struct env_row *e, struct berr *err)
{
	struct access acc;
	json_t *ej = access_env(a, env_id, &acc, err);
	if (!ej)
		return -1;
	json_decref(ej);
	int rc = perm ? perm_require(&acc, perm, err) : 0;
	access_release(&acc);
	if (rc < 0)
		return -1;
	if (env_load(env_id, e) < 0)
		return berr_set(err, BE_ENVIRONMENT_NOT_FOUND, NULL, "Environment '%s' doesn't exist",
				env_id);
	return 0;
}

static int backups_allowed(const struct env_row *e, struct berr *err)
{
	json_t *plan = model_org_plan(e->org_id);
	bool allowed = json_is_true(json_object_get(plan, "allow_backup"));
	json_decref(plan);
	if (!allowed)
		return berr_set(err, BE_PLAN_FEATURE_UNAVAILABLE, NULL,
				"Backups are not included in the organization's plan (allow_backup):"
				" upgrade the plan");
	if (str_eq(e->environment_type, "development"))
		return berr_set(err, BE_CONFLICT, NULL,
				"Backups are for production and staging environments; %s is a"
				" development environment",
				e->name);
	return 0;
}

/* The backup's row when a may see its environment (and holds perm), else BACKUP_NOT_FOUND
 * (or PERMISSION_DENIED). *e is loaded when given. */
static json_t *backup_check(const struct actor *a, const char *id, const char *perm,
			    struct env_row *e, struct berr *err)
{
	json_t *row = backups_get(NULL, id);
	struct env_row tmp;
	struct env_row *ep = e ? e : &tmp;
	if (!row)
		goto nf;
	const char *env_id = json_string_value(json_object_get(row, "environment_id"));
	if (env_check(a, env_id, perm, ep, err) < 0) {
		if (err->code == BE_PERMISSION_DENIED)
			goto fail;
		goto nf;
	}
	if (!e)
		env_row_free(&tmp);
	return row;
nf:
	berr_set(err, BE_BACKUP_NOT_FOUND, NULL, "Backup '%s' doesn't exist", id);
fail:
	json_decref(row);
	return NULL;
}

/* ---- create, list, status, get ---- */

static json_t *enqueue(const struct actor *a, const char *ip, const char *env_id,
		       const char *type, json_t *params, json_t *audit, struct berr *err)
{
	struct env_action act = {.env_id = env_id, .type = type, .params = params,
				 .policy = ENV_Q_SAME_ANSWERS, .user_id = a->user_id,
				 .user_email = a->email, .actor = a->email, .ip = ip,
				 .audit = audit};
	json_t *job = NULL;
	if (env_action_enqueue(&act, &job, NULL, err) < 0)
		return NULL;
	return job;
}

json_t *svc_backup_create(const struct actor *a, const char *ip, const char *env_id,
			  const char *scope, const char *target_id, struct berr *err)
{
	struct env_row e;
	if (env_check(a, env_id, "environment.backup", &e, err) < 0)
		return NULL;
	json_t *job = NULL;
	if (backups_allowed(&e, err) < 0)
		goto out;
	if (!str_eq(scope, "db") && !str_eq(scope, "full")) {
		berr_set(err, BE_VALIDATION_ERROR, "scope", "scope: must be \"db\" or \"full\"");
		goto out;
	}
	if (target_id) {
		struct blob_target t;
		char tid[37];
		if (backup_target_load(e.org_id, target_id, &t, tid, err) < 0) {
			if (err->code == BE_BACKUP_TARGET_NOT_FOUND)
				snprintf(err->field, sizeof err->field, "target_id");
			goto out;
		}
		backup_target_release(&t);
	}
	char id[37];
	uuid4(id);
	json_t *params = json_pack("{s:s,s:s,s:s,s:s}", "scope", scope, "kind", "manual",
				   "backup_id", id, "created_by", a->email);
	if (target_id)
		json_object_set_new(params, "target_id", json_string(target_id));
	char *days = NULL;
	json_t *keep = json_object_get(e.settings, "backup_manual_keep_days");
	if (json_integer_value(keep) > 0)
		json_object_set(params, "keep_days", keep);
	free(days);
	json_t *audit = json_pack("{s:s,s:s}", "backup_id", id, "scope", scope);
	job = enqueue(a, ip, env_id, "backup", params, audit, err);
	json_decref(audit);
	json_decref(params);
	if (job)
		json_object_set_new(job, "backup_id", json_string(id));
out:
	env_row_free(&e);
	return job;
}

json_t *svc_backups_list(const struct actor *a, const char *env_id, struct berr *err)
{
	struct env_row e;
	if (env_check(a, env_id, "environment.backup", &e, err) < 0)
		return NULL;
	env_row_free(&e);
	json_t *rows = backups_list_env(env_id, 1000);
	json_t *out = json_array();
	struct loc_cache *cache = NULL;
	size_t i;
	json_t *r;
	json_array_foreach(rows, i, r)
		json_array_append_new(out, render(r, &cache));
	loc_cache_free(cache);
	json_decref(rows);
	return out;
}

json_t *svc_backup_status(const struct actor *a, const char *env_id, struct berr *err)
{
	struct env_row e;
	if (env_check(a, env_id, "environment.backup", &e, err) < 0)
		return NULL;
	json_t *s = backups_env_summary(env_id);
	json_t *sched = json_object_get(e.settings, "backup_schedule");
	json_object_set_new(s, "schedule", json_string(json_string_value(sched) ? json_string_value(sched) : ""));
	json_t *org = model_org_get(e.org_id, a->user_id);
	json_t *tz = json_object_get(org, "timezone");
	json_object_set_new(s, "timezone", json_string(json_string_value(tz) ? json_string_value(tz) : "UTC"));
	json_decref(org);
	int64_t next = backup_sched_next(json_string_value(json_object_get(s, "schedule")),
					 json_string_value(json_object_get(s, "timezone")),
					 (int64_t)time(NULL));
	char iso[32];
	if (next > 0)
		iso_of(next, iso);
	json_object_set_new(s, "next_scheduled_at", next > 0 ? json_string(iso) : json_null());
	json_object_set_new(s, "backups_allowed", json_boolean(backups_allowed(&e, &(struct berr){0}) == 0));
	env_row_free(&e);
	return s;
}

json_t *svc_backup_get(const struct actor *a, const char *id, struct berr *err)
{
	json_t *row = backup_check(a, id, "environment.backup", NULL, err);
	if (!row)
		return NULL;
	struct loc_cache *cache = NULL;
	json_t *b = render(row, &cache);
	loc_cache_free(cache);
	json_decref(row);
	return b;
}

int svc_backup_delete(const struct actor *a, const char *ip, const char *id, struct berr *err)
{
	struct env_row e;
	json_t *row = backup_check(a, id, "environment.restore", &e, err);
	if (!row)
		return -1;
	int rc = -1;
	if (str_eq(json_string_value(json_object_get(row, "status")), "running")) {
		berr_set(err, BE_CONFLICT, NULL, "The backup is still being made");
		goto out;
	}
	rc = backup_remove(id, err);
	if (rc == 0)
		model_audit(e.org_id, a->user_id, a->email, "backup.delete", "backup", id,
			    json_pack("{s:s,s:O}", "environment_id", e.id, "kind",
				      json_object_get(row, "kind")),
			    ip);
out:
	env_row_free(&e);
	json_decref(row);
	return rc;
}

json_t *svc_backup_restore(const struct actor *a, const char *ip, const char *id,
			   const char *target_env_id, bool include_filestore, bool safety_backup,
			   struct berr *err)
{
	struct env_row src;
	json_t *row = backup_check(a, id, "environment.backup", &src, err);
	if (!row)
		return NULL;
	json_t *job = NULL;
	struct env_row dst;
	bool dst_loaded = false;
	const char *tgt = target_env_id ? target_env_id : src.id;
	if (env_check(a, tgt, "environment.restore", &dst, err) < 0) {
		if (err->code == BE_ENVIRONMENT_NOT_FOUND)
			snprintf(err->field, sizeof err->field, "target_environment_id");
		goto out;
	}
	dst_loaded = true;
	if (!str_eq(dst.project_id, src.project_id)) {
		berr_set(err, BE_VALIDATION_ERROR, "target_environment_id",
			 "target_environment_id: must be an environment of the backup's project");
		goto out;
	}
	if (!str_eq(json_string_value(json_object_get(row, "status")), "done")) {
		berr_set(err, BE_CONFLICT, NULL, "Only a completed backup can be restored (this one is %s)",
			 json_string_value(json_object_get(row, "status")));
		goto out;
	}
	if (!str_eq(json_string_value(json_object_get(row, "odoo_version")), dst.odoo_version) &&
	    json_string_value(json_object_get(row, "odoo_version"))) {
		berr_set(err, BE_CONFLICT, NULL,
			 "The backup is of Odoo %s; %s runs Odoo %s",
			 json_string_value(json_object_get(row, "odoo_version")), dst.name,
			 dst.odoo_version);
		goto out;
	}
	if (!dst.deployed) {
		berr_set(err, BE_CONFLICT, NULL, "Deploy %s before restoring into it", dst.name);
		goto out;
	}
	json_t *params = json_pack("{s:s,s:b,s:b}", "backup_id", id, "include_filestore",
				   include_filestore, "safety_backup", safety_backup);
	json_t *audit = json_pack("{s:s,s:s,s:s,s:b,s:b}", "backup_id", id, "backup_environment_id",
				  src.id, "environment_type", dst.environment_type,
				  "include_filestore", include_filestore, "safety_backup",
				  safety_backup);
	job = enqueue(a, ip, dst.id, "restore", params, audit, err);
	json_decref(audit);
	json_decref(params);
out:
	env_row_free(&src);
	if (dst_loaded)
		env_row_free(&dst);
	json_decref(row);
	return job;
}

json_t *svc_backup_verify(const struct actor *a, const char *ip, const char *id,
			  struct berr *err)
{
	struct env_row e;
	json_t *row = backup_check(a, id, "environment.backup", &e, err);
	if (!row)
		return NULL;
	json_t *job = NULL;
	if (!str_eq(json_string_value(json_object_get(row, "status")), "done")) {
		berr_set(err, BE_CONFLICT, NULL, "Only a completed backup can be verified");
	} else {
		json_t *params = json_pack("{s:s}", "backup_id", id);
		job = enqueue(a, ip, e.id, "backup_verify", params, NULL, err);
		json_decref(params);
	}
	env_row_free(&e);
	json_decref(row);
	return job;
}

/* ---- downloads ---- */

struct svc_download {
	struct blob_target t;
	struct blob_reader *r;
	struct berr err;
};

/* "bytes=a-b", "bytes=a-", "bytes=-n" of a total: 0, or -1 when it is not satisfiable. */
static int parse_range(const char *h, uint64_t total, uint64_t *start, uint64_t *len)
{
	if (!str_starts(h, "bytes="))
		return -1;
	const char *p = h + 6;
	if (strchr(p, ','))
		return -1; /* one range only */
	char *end;
	if (*p == '-') {
		unsigned long long n = strtoull(p + 1, &end, 10);
		if (*end || n == 0 || end == p + 1)
			return -1;
		*start = n >= total ? 0 : total - n;
		*len = total - *start;
		return total ? 0 : -1;
	}
	unsigned long long a = strtoull(p, &end, 10);
	if (end == p || *end != '-' || a >= total)
		return -1;
	p = end + 1;
	unsigned long long b = total - 1;
	if (*p) {
		b = strtoull(p, &end, 10);
		if (*end || b < a)
			return -1;
		if (b >= total)
			b = total - 1;
	}
	*start = a;
	*len = b - a + 1;
	return 0;
}

struct svc_download *svc_backup_download_open(const struct actor *a, const char *id,
					      const char *range, struct svc_download_info *info,
					      struct berr *err)
{
	json_t *row = backup_check(a, id, "environment.backup", NULL, err);
	if (!row)
		return NULL;
	struct svc_download *d = NULL;
	if (!str_eq(json_string_value(json_object_get(row, "status")), "done")) {
		berr_set(err, BE_CONFLICT, NULL, "The backup is %s: only a completed backup can be"
						 " downloaded",
			 json_string_value(json_object_get(row, "status")));
		goto out;
	}
	memset(info, 0, sizeof *info);
	info->total = (uint64_t)json_integer_value(json_object_get(row, "size_bytes"));
	info->length = info->total;
	char *dn = download_name(row);
	snprintf(info->filename, sizeof info->filename, "%s", dn);
	free(dn);
	if (range && *range) {
		if (parse_range(range, info->total, &info->start, &info->length) < 0) {
			berr_set(err, BE_VALIDATION_ERROR, "Range",
				 "Range: not satisfiable for %llu bytes (one range, bytes=a-b)",
				 (unsigned long long)info->total);
			goto out;
		}
		info->partial = true;
	}
	d = xcalloc(1, sizeof *d);
	char tid[37];
	if (backup_target_load(json_string_value(json_object_get(row, "org_id")),
			       json_string_value(json_object_get(row, "target_id")), &d->t, tid,
			       err) < 0) {
		free(d);
		d = NULL;
		goto out;
	}
	d->r = blob_get_open(&d->t, json_string_value(json_object_get(row, "object_key")),
			     info->start, info->length, NULL, err);
	if (!d->r) {
		backup_target_release(&d->t);
		free(d);
		d = NULL;
	}
out:
	json_decref(row);
	return d;
}

ssize_t svc_backup_download_read(struct svc_download *d, void *buf, size_t n)
{
	return blob_read(d->r, buf, n, &d->err);
}

void svc_backup_download_close(struct svc_download *d)
{
	if (!d)
		return;
	blob_get_close(d->r);
	backup_target_release(&d->t);
	free(d);
}

/* ---- uploads ---- */

uint64_t svc_backup_upload_max(void)
{
	char *v = model_setting_get("backup_upload_max_bytes");
	uint64_t n = v ? strtoull(v, NULL, 10) : 0;
	free(v);
	return n ? n : UPLOAD_MAX_DEFAULT;
}

json_t *svc_backup_settings(void)
{
	return json_pack("{s:I}", "upload_max_bytes", (json_int_t)svc_backup_upload_max());
}

json_t *svc_backup_settings_set(json_t *body, struct berr *err)
{
	json_t *v = json_object_get(body, "upload_max_bytes");
	const char *k;
	json_t *x;
	json_object_foreach(body, k, x)
		if (!str_eq(k, "upload_max_bytes")) {
			berr_set(err, BE_VALIDATION_ERROR, k, "%s: unknown field", k);
			return NULL;
		}
	if (v) {
		if (!json_is_integer(v) || json_integer_value(v) < (1 << 20) ||
		    json_integer_value(v) > (json_int_t)1 << 50) {
			berr_set(err, BE_VALIDATION_ERROR, "upload_max_bytes",
				 "upload_max_bytes: must be an integer between 1048576 and 2^50");
			return NULL;
		}
		char buf[32];
		snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
		model_setting_set("backup_upload_max_bytes", buf);
	}
	return svc_backup_settings();
}

struct svc_upload {
	struct blob_target t;
	struct blob_writer *w;
	struct backup_new bn;
	char id[37], tid[37], org[37], project[37], env[37];
	char *env_name, *key, *email, *ip, *user_id;
	bool include_filestore, safety;
	crypto_hash_sha256_state st;
	uint64_t bytes, max;
	unsigned char head[8];
	size_t headn;
	bool inserted;
};

struct svc_upload *svc_backup_upload_begin(const struct actor *a, const char *ip,
					   const char *env_id, const char *filename,
					   bool include_filestore, bool safety_backup,
					   int64_t content_length, struct berr *err)
{
	struct env_row e;
	if (env_check(a, env_id, "environment.restore", &e, err) < 0)
		return NULL;
	struct svc_upload *u = NULL;
	if (backups_allowed(&e, err) < 0)
		goto out;
	if (!e.deployed) {
		berr_set(err, BE_CONFLICT, NULL, "Deploy %s before importing a database into it", e.name);
		goto out;
	}
	(void)filename;
	u = xcalloc(1, sizeof *u);
	u->max = svc_backup_upload_max();
	if (content_length > 0 && (uint64_t)content_length > u->max) {
		berr_set(err, BE_PAYLOAD_TOO_LARGE, NULL,
			 "The upload (%lld bytes) exceeds the platform's limit of %llu bytes",
			 (long long)content_length, (unsigned long long)u->max);
		free(u);
		u = NULL;
		goto out;
	}
	if (backup_target_load(e.org_id, NULL, &u->t, u->tid, err) < 0) {
		free(u);
		u = NULL;
		goto out;
	}
	uuid4(u->id);
	snprintf(u->org, sizeof u->org, "%s", e.org_id);
	snprintf(u->project, sizeof u->project, "%s", e.project_id);
	snprintf(u->env, sizeof u->env, "%s", e.id);
	u->env_name = xstrdup(e.name);
	u->key = xasprintf("%s/%s/%s.upload", e.org_id, e.id, u->id);
	u->email = xstrdup(a->email);
	u->user_id = xstrdup(a->user_id);
	u->ip = ip ? xstrdup(ip) : NULL;
	u->include_filestore = include_filestore;
	u->safety = safety_backup;
	crypto_hash_sha256_init(&u->st);
	u->w = blob_put_open(&u->t, u->key, err);
	if (!u->w) {
		svc_backup_upload_abort(u);
		u = NULL;
	}
out:
	env_row_free(&e);
	return u;
}

int svc_backup_upload_write(struct svc_upload *u, const void *data, size_t n, struct berr *err)
{
	if (u->bytes + n > u->max)
		return berr_set(err, BE_PAYLOAD_TOO_LARGE, NULL,
				"The upload exceeds the platform's limit of %llu bytes",
				(unsigned long long)u->max);
	if (u->headn < sizeof u->head) {
		size_t k = sizeof u->head - u->headn;
		if (k > n)
			k = n;
		memcpy(u->head + u->headn, data, k);
		u->headn += k;
		if (u->headn >= 5 && !ozip_sniff(u->head, u->headn))
			return berr_set(err, BE_VALIDATION_ERROR, "file",
					"file: not an Odoo backup (a database-manager .zip, or a"
					" pg_dump custom-format .dump)");
	}
	crypto_hash_sha256_update(&u->st, data, n);
	u->bytes += n;
	return blob_write(u->w, data, n, err);
}

json_t *svc_backup_upload_end(struct svc_upload *u, struct berr *err)
{
	json_t *job = NULL;
	const char *fmt = ozip_sniff(u->head, u->headn);
	if (!fmt) {
		berr_set(err, BE_VALIDATION_ERROR, "file",
			 "file: not an Odoo backup (a database-manager .zip, or a pg_dump custom-format"
			 " .dump)");
		goto fail;
	}
	struct blob_writer *w = u->w;
	u->w = NULL;
	if (blob_put_finish(w, err) < 0)
		goto fail;
	struct backup_new bn = {.id = u->id, .org_id = u->org, .project_id = u->project,
				.environment_id = u->env, .environment_name = u->env_name,
				.scope = str_eq(fmt, "dump") ? "db" : "full", .kind = "imported",
				.target_id = u->tid, .object_key = u->key, .format = fmt,
				.created_by = u->email};
	if (backups_insert(&bn) < 0) {
		berr_set(err, BE_INTERNAL_ERROR, NULL, "cannot record the upload");
		goto fail;
	}
	u->inserted = true;
	unsigned char h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_final(&u->st, h);
	char hex[65];
	sodium_bin2hex(hex, sizeof hex, h, sizeof h);
	json_t *f = json_pack("{s:I,s:s,s:I}", "size_bytes", (json_int_t)u->bytes, "sha256", hex,
			      "duration_ms", (json_int_t)0);
	backups_finish(u->id, "done", NULL, f);
	json_decref(f);
	json_t *params = json_pack("{s:s,s:b,s:b}", "backup_id", u->id, "include_filestore",
				   u->include_filestore, "safety_backup", u->safety);
	json_t *audit = json_pack("{s:s,s:I}", "backup_id", u->id, "size_bytes", (json_int_t)u->bytes);
	struct actor a = {0};
	snprintf(a.user_id, sizeof a.user_id, "%s", u->user_id);
	snprintf(a.email, sizeof a.email, "%s", u->email);
	job = enqueue(&a, u->ip, u->env, "backup_import", params, audit, err);
	json_decref(audit);
	json_decref(params);
	if (job)
		json_object_set_new(job, "backup_id", json_string(u->id));
	svc_backup_upload_abort(u); /* frees; the object stays (finished, recorded) */
	return job;
fail:
	svc_backup_upload_abort(u);
	return NULL;
}

void svc_backup_upload_abort(struct svc_upload *u)
{
	if (!u)
		return;
	if (u->w)
		blob_put_abort(u->w);
	else if (!u->inserted && u->key) {
		struct berr e2 = {0};
		blob_delete(&u->t, u->key, &e2);
	}
	backup_target_release(&u->t);
	free(u->env_name);
	free(u->key);
	free(u->email);
	free(u->user_id);
	free(u->ip);
	free(u);
}
