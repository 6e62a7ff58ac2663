/* backup.c: backups as jobs (docs/backups.md).
 *
 * A backup streams from the environment's server to its target without a copy on either
 * side: `pg_dump --no-owner` runs in the database container and its output is read through
 * the Engine's exec stream, deflated into the archive's dump.sql as it comes; the filestore
 * is read through the Engine's archive API (a tar stream) into filestore/ entries; the
 * manifest goes last. The archive's bytes go to the target as they are made (blob.h), and
 * the backup is done only once the object is on the target and its SHA-256, read back from
 * there, matches.
 *
 * A restore loads the archive into a new database next to the live one (and the filestore
 * into a new directory next to the live one) while Odoo keeps serving; only then is Odoo
 * stopped, the databases and directories swapped, the old ones dropped and Odoo started: a
 * restore that fails before the swap leaves the environment as it was, and one interrupted
 * anywhere converges when run again (leftovers are found by name and cleared first). */
#include "ops/backup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <sodium.h>

#include "core/actions.h"
#include "drivers/engine_stream.h"
#include "drivers/odoozip.h"
#include "jobs/events.h"
#include "lib/log.h"
#include "ops/env_int.h"
#include "ops/images.h"
#include "ops/ops.h"
#include "ops/alerts.h"
#include "render/render.h"
#include "store/backups.h"
#include "store/model.h"

#define FILESTORE "/var/lib/odoo/filestore"
#define BUF_SIZE (256 * 1024)
#define PROGRESS_STEP ((uint64_t)256 << 20)

/* ---- small helpers ---- */

static char *object_key(const char *org, const char *env, const char *id, const char *ext)
{
	return xasprintf("%s/%s/%s.%s", org, env, id, ext);
}

static void human(uint64_t n, char out[32])
{
	const char *u[] = {"B", "KB", "MB", "GB", "TB"};
	double v = (double)n;
	int i = 0;
	while (v >= 1024 && i < 4) {
		v /= 1024;
		i++;
	}
	snprintf(out, 32, i ? "%.1f %s" : "%.0f %s", v, u[i]);
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool container_running(struct engine *e, const char *name)
{
	json_t *c = engine_container_inspect(e, name);
	bool r = c && json_is_true(json_object_get(json_object_get(c, "State"), "Running"));
	json_decref(c);
	return r;
}

/* One psql statement in a container as postgres; its unaligned, tab-separated output. */
static int pg_query(struct engine *e, const char *container, const char *sock, const char *db,
		    const char *sql, struct sbuf *out, struct berr *err)
{
	const char *argv[] = {"psql", "-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1",
			      "-h", sock, "-U", "postgres", "-d", db, "-c", sql, NULL};
	int code = -1;
	sbuf_reset(out);
	if (engine_exec(e, container, argv, "postgres", &code, out, err) < 0)
		return -1;
	if (code != 0)
		return berr_set(err, BE_INTERNAL_ERROR, NULL, "psql failed (%d): %.300s", code,
				sbuf_str(out));
	while (out->len && (out->buf[out->len - 1] == '\n' || out->buf[out->len - 1] == '\r'))
		out->buf[--out->len] = '\0';
	return 0;
}

/* A psql script (constant text; names come as psql variables, interpolated by psql itself
 * with :"name" / :'name') fed on stdin; vars is "name=value", NULL-terminated. */
static int pg_script(struct engine *e, const char *container, const char *sock, const char *db,
		     const char *script, const char *const *vars, struct sbuf *out,
		     struct berr *err)
{
	const char *argv[32];
	size_t n = 0;
	const char *head[] = {"psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", sock,
			      "-U", "postgres", "-d", db};
	for (size_t i = 0; i < ARRAY_SIZE(head); i++)
		argv[n++] = head[i];
	for (size_t i = 0; vars && vars[i] && n < 28; i++) {
		argv[n++] = "-v";
		argv[n++] = vars[i];
	}
	argv[n++] = "-f";
	argv[n++] = "-";
	argv[n] = NULL;
	struct estream *s = engine_exec_open(e, container, argv, NULL, "postgres", true, err);
	if (!s)
		return -1;
	if (estream_write(s, script, strlen(script), err) < 0 || estream_close_write(s, err) < 0) {
		estream_free(s);
		return -1;
	}
	char buf[4096];
	ssize_t r;
	int fd;
	sbuf_reset(out);
	while ((r = estream_read(s, buf, sizeof buf, &fd, err)) > 0)
		if (out->len < 65536)
			sbuf_add(out, buf, (size_t)r);
	int code = -1;
	if (r < 0) {
		estream_free(s);
		return -1;
	}
	if (engine_exec_close(s, &code, NULL, err) < 0)
		return -1;
	if (code != 0)
		return berr_set(err, BE_INTERNAL_ERROR, NULL, "psql failed (%d): %.300s", code,
				sbuf_str(out));
	return 0;
}

/* ---- targets ---- */

static const char *status_of_backup(json_t *b)
{
	return json_string_value(json_object_get(b, "status"));
}

int backup_remove(const char *backup_id, struct berr *err)
{
	json_t *b = backups_get(NULL, backup_id);
	if (!b)
		return 0;
	int rc = 0;
	const char *key = json_string_value(json_object_get(b, "object_key"));
	const char *org = json_string_value(json_object_get(b, "org_id"));
	const char *tid = json_string_value(json_object_get(b, "target_id"));
	if (key && tid) {
		struct blob_target t;
		char id[37];
		if (backup_target_load(org, tid, &t, id, err) < 0) {
			rc = err->code == BE_BACKUP_TARGET_NOT_FOUND ? 0 : -1;
		} else {
			rc = blob_delete(&t, key, err);
			backup_target_release(&t);
		}
	}
	if (rc == 0 && backups_delete_row(backup_id) < 0)
		rc = berr_set(err, BE_INTERNAL_ERROR, NULL, "cannot remove the backup's row");
	json_decref(b);
	return rc;
}

void backup_recover(void)
{
	json_t *rows = backups_orphans();
	size_t i;
	json_t *b;
	json_array_foreach(rows, i, b) {
		const char *id = json_string_value(json_object_get(b, "id"));
		const char *key = json_string_value(json_object_get(b, "object_key"));
		const char *org = json_string_value(json_object_get(b, "org_id"));
		const char *tid = json_string_value(json_object_get(b, "target_id"));
		struct berr err = {0};
		struct blob_target t;
		char tidbuf[37];
		if (key && tid && backup_target_load(org, tid, &t, tidbuf, &err) == 0) {
			blob_delete(&t, key, &err);
			backup_target_release(&t);
		}
		backups_finish(id, "failed", "berthd stopped while the backup was being made", NULL);
		log_event(LOG_WARN, "backup failed: berthd stopped under it", json_pack("{s:s}", "backup", id));
	}
	json_decref(rows);
}

/* ---- making a backup ---- */

struct sink {
	struct blob_writer *w;
	struct job *j;
	struct berr *err;
	uint64_t bytes, next_report;
};

static int sink_write(void *cls, const void *buf, size_t n)
{
	struct sink *s = cls;
	if (blob_write(s->w, buf, n, s->err) < 0)
		return -1;
	s->bytes += n;
	if (s->j && s->bytes >= s->next_report) {
		char h[32];
		human(s->bytes, h);
		job_log(s->j, "%s written to the target", h);
		s->next_report += PROGRESS_STEP;
	}
	return 0;
}

/* Output of a command (stdout; stderr's last lines are kept for the error). */
struct cmd_src {
	struct estream *s;
	struct berr *err;
	struct sbuf errtail;
	uint64_t bytes;
};

static ssize_t cmd_read(void *cls, void *buf, size_t n)
{
	struct cmd_src *c = cls;
	for (;;) {
		int fd = 1;
		ssize_t r = estream_read(c->s, buf, n, &fd, c->err);
		if (r <= 0)
			return r;
		if (fd == 2) {
			if (c->errtail.len > 8192)
				sbuf_reset(&c->errtail);
			sbuf_add(&c->errtail, buf, (size_t)r);
			continue;
		}
		c->bytes += (uint64_t)r;
		return r;
	}
}

struct tar_src {
	struct estream *s;
	struct berr *err;
};

static ssize_t tar_read(void *cls, void *buf, size_t n)
{
	struct tar_src *t = cls;
	return estream_read(t->s, buf, n, NULL, t->err);
}

/* What the archive's manifest says of the database (Odoo's fields, plus berth's own). */
static json_t *db_facts(struct engine *e, struct envrt *rt, struct berr *err)
{
	struct sbuf out = SBUF_INIT;
	json_t *modules = json_object();
	json_t *m = NULL;
	if (pg_query(e, rt->db, "/run/postgresql", rt->db_name,
		     RENDER_BACKUP_MODULES_SQL,
		     &out, err) < 0)
		goto out;
	char *save = NULL;
	for (char *line = strtok_r(out.buf ? out.buf : (char *)"", "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *tab = strchr(line, '\t');
		if (!tab)
			continue;
		*tab = '\0';
		json_object_set_new(modules, line, json_string(tab + 1));
	}
	if (pg_query(e, rt->db, "/run/postgresql", rt->db_name,
		     RENDER_BACKUP_TABLES_SQL, &out,
		     err) < 0)
		goto out;
	long long tables = atoll(sbuf_str(&out));
	if (pg_query(e, rt->db, "/run/postgresql", rt->db_name, RENDER_BACKUP_PG_VERSION_SQL, &out, err) < 0)
		goto out;
	char pgv[32];
	snprintf(pgv, sizeof pgv, "%s", sbuf_str(&out));
	char *sp = strchr(pgv, ' ');
	if (sp)
		*sp = '\0';
	int major = atoi(rt->version);
	m = json_pack("{s:s,s:s,s:s,s:[i,i,i,s,i,s],s:s,s:s,s:O}", "odoo_dump", "1", "db_name",
		      rt->db_name, "version", rt->version, "version_info", major, 0, 0, "final", 0,
		      "", "major_version", rt->version, "pg_version", pgv, "modules", modules);
	json_object_set_new(m, "berth", json_pack("{s:I,s:s,s:s}", "tables", (json_int_t)tables,
						   "environment", rt->name, "environment_id", rt->id));
out:
	json_decref(modules);
	sbuf_release(&out);
	return m;
}

/* The database container must run for pg_dump: started (and stopped again after) when the
 * environment is stopped. *started tells. */
static int db_up(struct engine *e, struct job *j, struct envrt *rt, bool *started,
		 struct berr *err)
{
	*started = false;
	if (container_running(e, rt->db))
		return 0;
	json_t *c = engine_container_inspect(e, rt->db);
	json_decref(c);
	if (!c)
		return berr_set(err, BE_CONFLICT, NULL,
				"the environment has no database container: deploy it first");
	job_log(j, "starting %s for the backup (the environment is stopped)", rt->db);
	if (engine_container_start(e, rt->db, err) < 0 || wait_pg(e, j, rt->db, err) < 0)
		return -1;
	*started = true;
	return 0;
}

/* Reads the object back from the target and compares its SHA-256. */
static int check_on_target(struct blob_target *t, const char *key, const char *want,
			   uint64_t size, struct berr *err)
{
	uint64_t got_size = 0;
	struct blob_reader *r = blob_get_open(t, key, 0, 0, &got_size, err);
	if (!r)
		return -1;
	crypto_hash_sha256_state st;
	crypto_hash_sha256_init(&st);
	char *buf = xmalloc(BUF_SIZE);
	ssize_t n;
	uint64_t total = 0;
	while ((n = blob_read(r, buf, BUF_SIZE, err)) > 0) {
		crypto_hash_sha256_update(&st, (unsigned char *)buf, (size_t)n);
		total += (uint64_t)n;
	}
	free(buf);
	blob_get_close(r);
	if (n < 0)
		return -1;
	unsigned char h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_final(&st, h);
	char hex[65];
	sodium_bin2hex(hex, sizeof hex, h, sizeof h);
	if (total != size || !str_eq(hex, want))
		return berr_set(err, BE_INTERNAL_ERROR, NULL,
				"the archive read back from the target differs (%llu bytes, sha256 %s;"
				" written %llu bytes, sha256 %s)",
				(unsigned long long)total, hex, (unsigned long long)size, want);
	return 0;
}

struct made {
	char id[37];
	uint64_t size;
	char sha256[65];
};

/* Makes a backup of rt's environment on e: a row (kind, scope), the archive on the target,
 * the row done (or failed). 0 with *out, or -1. */
static int make_backup(struct engine *e, struct job *j, struct envrt *rt, const char *scope,
		       const char *kind, const char *want_id, const char *target_id, int64_t slot,
		       const char *created_by, int64_t expires_ts, struct made *out,
		       struct berr *err)
{
	memset(out, 0, sizeof *out);
	if (want_id && *want_id)
		snprintf(out->id, sizeof out->id, "%s", want_id);
	else
		uuid4(out->id);
	struct blob_target t;
	char tid[37];
	if (backup_target_load(rt->env.org_id, target_id, &t, tid, err) < 0)
		return -1;
	char *key = object_key(rt->env.org_id, rt->id, out->id, "zip");
	struct backup_new bn = {.id = out->id, .org_id = rt->env.org_id,
				.project_id = rt->env.project_id, .environment_id = rt->id,
				.environment_name = rt->name, .scope = scope, .kind = kind,
				.job_id = j->id, .target_id = tid, .object_key = key,
				.format = "zip", .created_by = created_by, .slot = slot,
				.expires_ts = expires_ts};
	if (backups_insert(&bn) < 0) {
		free(key);
		backup_target_release(&t);
		return berr_set(err, BE_INTERNAL_ERROR, NULL, "cannot record the backup");
	}
	char *loc = blob_location(&t, key);
	job_log(j, "backup %s (%s, %s) of %s to %s", out->id, kind,
		str_eq(scope, "db") ? "database only" : "database and filestore", rt->name, loc);
	free(loc);
	int64_t t0 = mono_ms();
	bool db_started = false;
	json_t *manifest = NULL;
	struct ozip_writer *zw = NULL;
	struct sink sk = {.j = j, .err = err, .next_report = PROGRESS_STEP};
	struct cmd_src dump = {.err = err};
	sbuf_init(&dump.errtail);
	uint64_t files = 0;
	int rc = -1;

	if (db_up(e, j, rt, &db_started, err) < 0)
		goto done;
	manifest = db_facts(e, rt, err);
	if (!manifest)
		goto done;
	sk.w = blob_put_open(&t, key, err);
	if (!sk.w)
		goto done;
	zw = ozip_writer_new(sink_write, &sk);

	job_log(j, "pg_dump --no-owner %s", rt->db_name);
	const char *argv[] = {"pg_dump", "--no-owner", "-h", "/run/postgresql", "-U", "postgres",
			      rt->db_name, NULL};
	dump.s = engine_exec_open(e, rt->db, argv, NULL, "postgres", false, err);
	if (!dump.s)
		goto done;
	if (ozip_add_stream(zw, "dump.sql", -1, true, cmd_read, &dump, err) < 0) {
		if (dump.errtail.len)
			berr_set(err, BE_INTERNAL_ERROR, NULL, "pg_dump failed: %.400s",
				 sbuf_str(&dump.errtail));
		goto done;
	}
	int code = -1;
	struct estream *ds = dump.s;
	dump.s = NULL;
	if (engine_exec_close(ds, &code, &dump.errtail, err) < 0)
		goto done;
	if (code != 0) {
		berr_set(err, BE_INTERNAL_ERROR, NULL, "pg_dump exited with status %d: %.400s", code,
			 sbuf_str(&dump.errtail));
		goto done;
	}
	char h[32];
	human(dump.bytes, h);
	job_log(j, "dump.sql: %s", h);

	if (str_eq(scope, "full")) {
		char *path = xasprintf(FILESTORE "/%s", rt->db_name);
		int status = 0;
		struct berr gerr = {0};
		struct estream *ts = engine_archive_get_open(e, rt->odoo, path, &status, &gerr);
		free(path);
		if (!ts && status == 404) {
			job_log(j, "the filestore is empty (no %s/%s)", FILESTORE, rt->db_name);
		} else if (!ts) {
			*err = gerr;
			goto done;
		} else {
			struct tar_src tsrc = {ts, err};
			char *strip = xasprintf("%s/", rt->db_name);
			int arc = ozip_add_tar(zw, tar_read, &tsrc, strip, "filestore/", &files, err);
			free(strip);
			estream_free(ts);
			if (arc < 0)
				goto done;
			job_log(j, "filestore: %llu files", (unsigned long long)files);
		}
	}
	json_object_set_new(json_object_get(manifest, "berth"), "filestore_files",
			    json_integer((json_int_t)files));
	json_object_set_new(json_object_get(manifest, "berth"), "scope", json_string(scope));
	char *mtext = json_dumps(manifest, JSON_INDENT(4) | JSON_SORT_KEYS);
	int mrc = ozip_add_bytes(zw, "manifest.json", mtext, strlen(mtext), true, err);
	free(mtext);
	if (mrc < 0)
		goto done;
	struct ozip_writer *w2 = zw;
	zw = NULL;
	if (ozip_writer_finish(w2, &out->size, out->sha256, err) < 0)
		goto done;
	struct blob_writer *bw = sk.w;
	sk.w = NULL;
	if (blob_put_finish(bw, err) < 0)
		goto done;
	job_log(j, "checking the archive on the target (SHA-256 %s)", out->sha256);
	if (check_on_target(&t, key, out->sha256, out->size, err) < 0)
		goto done;
	rc = 0;
done:
	if (dump.s)
		estream_free(dump.s);
	if (zw)
		ozip_writer_free(zw);
	if (sk.w)
		blob_put_abort(sk.w);
	if (db_started) {
		struct berr e2 = {0};
		engine_container_stop(e, rt->db, 30, &e2);
	}
	if (rc == 0) {
		json_t *f = json_pack("{s:I,s:s,s:s,s:s,s:I,s:O,s:I,s:O,s:I}", "size_bytes",
				      (json_int_t)out->size, "sha256", out->sha256, "odoo_version",
				      rt->version, "db_name", rt->db_name, "module_count",
				      (json_int_t)json_object_size(json_object_get(manifest, "modules")),
				      "table_count", json_object_get(json_object_get(manifest, "berth"), "tables"),
				      "filestore_files", (json_int_t)files, "manifest", manifest,
				      "duration_ms", (json_int_t)(mono_ms() - t0));
		backups_finish(out->id, "done", NULL, f);
		json_decref(f);
		char hs[32];
		human(out->size, hs);
		job_log(j, "backup %s done: %s in %.1f s", out->id, hs, (double)(mono_ms() - t0) / 1000);
	} else {
		struct berr e2 = {0};
		blob_delete(&t, key, &e2);
		backups_finish(out->id, "failed", err->message, NULL);
		job_log(j, "backup %s failed: %s", out->id, err->message);
	}
	json_decref(manifest);
	sbuf_release(&dump.errtail);
	free(key);
	backup_target_release(&t);
	return rc;
}

/* ---- loading an archive (restore, import, verify) ---- */

/* Where an archive's parts go: the database through a command's stdin, the filestore as a
 * tar into a container path. */
struct load {
	struct engine *e;
	struct job *j;
	struct berr *err;
	/* the database: a command in db_container reading the dump on stdin, output to a file
	 * inside the container (nothing to drain while writing) */
	const char *db_container, *sock, *db_user, *tmpdb;
	bool dump_loaded;
	int load_exit;
	/* the filestore: into fs_container (created, not started) under fs_dir/<fs_name>/ */
	const char *fs_container, *fs_dir, *fs_name;
	bool include_filestore;
	struct estream *tar;
	uint64_t files, fs_bytes;
	/* verification: hash each file and compare with its name */
	bool hash_files;
	uint64_t hash_checked, hash_bad;
	json_t *manifest;
	char *buf;
};

static const char LOAD_SH[] =
	"exec \"$@\" >/tmp/berth-load.log 2>&1";

/* The dump is loaded as the database's owner role, as Odoo's restore does (objects of a
 * --no-owner dump belong to who loads them); the connection is postgres's (the only local
 * role the cluster trusts), which takes that role at once (PGOPTIONS). */
static struct estream *open_loader(struct load *l, bool custom_format)
{
	const char *psql[] = {"sh", "-c", LOAD_SH, "berth-load", "psql", "-X", "-q", "-h", l->sock,
			      "-U", "postgres", "-d", l->tmpdb, "-f", "-", NULL};
	const char *restore[] = {"sh", "-c", LOAD_SH, "berth-load", "pg_restore", "--no-owner",
				 "--no-privileges", "-h", l->sock, "-U", "postgres", "-d",
				 l->tmpdb, NULL};
	char *opt = xasprintf("PGOPTIONS=-c role=%s", l->db_user);
	const char *envv[] = {opt, NULL};
	struct estream *s = engine_exec_open(l->e, l->db_container, custom_format ? restore : psql,
					     envv, "postgres", true, l->err);
	free(opt);
	return s;
}

static int pump_to(struct load *l, struct estream *s, struct ozip_entry *ent, uint64_t *bytes)
{
	ssize_t n;
	while ((n = ozip_entry_read(ent, l->buf, BUF_SIZE)) > 0) {
		if (estream_write(s, l->buf, (size_t)n, l->err) < 0)
			return -1;
		if (bytes)
			*bytes += (uint64_t)n;
	}
	if (n < 0)
		return berr_set(l->err, BE_VALIDATION_ERROR, NULL,
				"the archive is damaged: reading an entry failed");
	return 0;
}

static int finish_loader(struct load *l, struct estream *s)
{
	int code = -1;
	if (estream_close_write(s, l->err) < 0) {
		estream_free(s);
		return -1;
	}
	char tmp[512];
	while (estream_read(s, tmp, sizeof tmp, NULL, l->err) > 0)
		;
	if (engine_exec_close(s, &code, NULL, l->err) < 0)
		return -1;
	l->load_exit = code;
	l->dump_loaded = true;
	/* psql goes on past statements that fail, as Odoo's restore does (a dump of another
	 * server may GRANT to roles this one lacks); what failed is in the log */
	const char *argv[] = {"sh", "-c",
			      "n=$(grep -c ERROR /tmp/berth-load.log || true); echo \"errors=$n\";"
			      " grep -m 5 ERROR /tmp/berth-load.log || true;"
			      " [ \"$0\" = 0 ] || tail -c 600 /tmp/berth-load.log; rm -f /tmp/berth-load.log",
			      code == 0 ? "0" : "1", NULL};
	struct sbuf out = SBUF_INIT;
	struct berr e2 = {0};
	int c2 = -1;
	if (engine_exec(l->e, l->db_container, argv, "postgres", &c2, &out, &e2) == 0 && out.len)
		job_log(l->j, "load: %s", sbuf_str(&out));
	int rc = 0;
	if (code != 0)
		rc = berr_set(l->err, BE_INTERNAL_ERROR, NULL,
			      "loading the dump failed (exit status %d): %.400s", code, sbuf_str(&out));
	sbuf_release(&out);
	return rc;
}

static int sha1_name_check(struct load *l, const char *name, struct ozip_entry *ent,
			   int64_t size)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_DigestInit_ex(ctx, EVP_sha1(), NULL);
	ssize_t n;
	while ((n = ozip_entry_read(ent, l->buf, BUF_SIZE)) > 0)
		EVP_DigestUpdate(ctx, l->buf, (size_t)n);
	unsigned char md[20];
	unsigned int mdlen = 0;
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	if (n < 0)
		return berr_set(l->err, BE_VALIDATION_ERROR, NULL,
				"the archive is damaged: reading %s failed", name);
	char hex[41];
	sodium_bin2hex(hex, sizeof hex, md, sizeof md);
	const char *base = strrchr(name, '/');
	base = base ? base + 1 : name;
	/* Odoo names a file by the SHA-1 of its content; other files (checklist/) are not */
	if (strlen(base) == 40) {
		l->hash_checked++;
		if (!str_eq(hex, base))
			l->hash_bad++;
	}
	(void)size;
	return 0;
}

/* A filestore file into the tar going to the Engine: header, data from read(cls), padding. */
static ssize_t entry_read(void *cls, void *buf, size_t n)
{
	return ozip_entry_read(cls, buf, n);
}

static ssize_t file_read(void *cls, void *buf, size_t n)
{
	ssize_t r;
	while ((r = read(*(int *)cls, buf, n)) < 0 && errno == EINTR)
		;
	return r;
}

static int tar_file(struct load *l, const char *name, const char *rel, uint64_t size,
		    ssize_t (*rd)(void *, void *, size_t), void *cls)
{
	if (!l->tar) {
		l->tar = engine_archive_put_open(l->e, l->fs_container, l->fs_dir, l->err);
		if (!l->tar)
			return -1;
	}
	char hdr[512];
	char *path = xasprintf("%s/%s", l->fs_name, rel);
	ozip_tar_header(hdr, path, size, 0644);
	free(path);
	if (estream_write(l->tar, hdr, sizeof hdr, l->err) < 0)
		return -1;
	uint64_t got = 0;
	ssize_t n;
	while (got < size && (n = rd(cls, l->buf, BUF_SIZE)) > 0) {
		if (got + (uint64_t)n > size)
			n = (ssize_t)(size - got);
		if (estream_write(l->tar, l->buf, (size_t)n, l->err) < 0)
			return -1;
		got += (uint64_t)n;
	}
	if (got != size)
		return berr_set(l->err, BE_VALIDATION_ERROR, NULL,
				"the archive is damaged: %s is shorter than it says", name);
	static const char zeros[512];
	size_t pad = ozip_tar_pad(size);
	if (pad && estream_write(l->tar, zeros, pad, l->err) < 0)
		return -1;
	l->fs_bytes += size;
	return 0;
}

/* A filestore entry whose size the archive gives only after its data (a data descriptor):
 * copied to an unlinked temporary file first, for the tar header's size. */
static int spilled_file(struct load *l, const char *name, const char *rel,
			struct ozip_entry *ent)
{
	const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0)
		return berr_set(l->err, BE_INTERNAL_ERROR, NULL, "no temporary file in %s: %s", dir,
				strerror(errno));
	uint64_t size = 0;
	ssize_t n;
	int rc = 0;
	while (rc == 0 && (n = ozip_entry_read(ent, l->buf, BUF_SIZE)) > 0) {
		if (write_all(fd, l->buf, (size_t)n) < 0)
			rc = berr_set(l->err, BE_INTERNAL_ERROR, NULL, "writing a temporary file failed");
		size += (uint64_t)n;
	}
	if (rc == 0 && n < 0)
		rc = berr_set(l->err, BE_VALIDATION_ERROR, NULL,
			      "the archive is damaged: reading %s failed", name);
	if (rc == 0 && lseek(fd, 0, SEEK_SET) != 0)
		rc = berr_set(l->err, BE_INTERNAL_ERROR, NULL, "reading a temporary file failed");
	if (rc == 0)
		rc = tar_file(l, name, rel, size, file_read, &fd);
	close(fd);
	return rc;
}

static int on_entry(void *cls, const char *name, int64_t size, bool is_dir,
		    struct ozip_entry *ent, struct berr *err)
{
	struct load *l = cls;
	(void)err;
	if (is_dir)
		return 0;
	if (str_eq(name, "dump.sql")) {
		if (!l->tmpdb)
			return 0;
		job_log(l->j, "loading dump.sql%s", size >= 0 ? "" : "");
		struct estream *s = open_loader(l, false);
		if (!s)
			return -1;
		uint64_t bytes = 0;
		if (pump_to(l, s, ent, &bytes) < 0) {
			estream_free(s);
			return -1;
		}
		char h[32];
		human(bytes, h);
		job_log(l->j, "dump.sql: %s loaded", h);
		return finish_loader(l, s);
	}
	if (str_eq(name, "manifest.json")) {
		struct sbuf m = SBUF_INIT;
		ssize_t n;
		while ((n = ozip_entry_read(ent, l->buf, BUF_SIZE)) > 0 && m.len < (1 << 20))
			sbuf_add(&m, l->buf, (size_t)n);
		json_decref(l->manifest);
		l->manifest = json_loadb(m.buf ? m.buf : "", m.len, 0, NULL);
		sbuf_release(&m);
		return 0;
	}
	if (!str_starts(name, "filestore/"))
		return 0;
	const char *rel = name + strlen("filestore/");
	if (!*rel || strstr(rel, "..") || rel[0] == '/')
		return 0;
	l->files++;
	if (l->hash_files)
		return sha1_name_check(l, name, ent, size);
	if (!l->include_filestore || !l->fs_container)
		return 0;
	if (size < 0)
		return spilled_file(l, name, rel, ent);
	return tar_file(l, name, rel, (uint64_t)size, entry_read, ent);
}

struct blob_src {
	struct blob_reader *r;
	struct berr *err;
	crypto_hash_sha256_state st;
	uint64_t bytes;
	unsigned char head[8];
	size_t headn;
};

static ssize_t blob_src_read(void *cls, void *buf, size_t n)
{
	struct blob_src *b = cls;
	ssize_t r = blob_read(b->r, buf, n, b->err);
	if (r > 0) {
		crypto_hash_sha256_update(&b->st, buf, (size_t)r);
		if (b->headn < sizeof b->head) {
			size_t k = sizeof b->head - b->headn;
			if (k > (size_t)r)
				k = (size_t)r;
			memcpy(b->head + b->headn, buf, k);
			b->headn += k;
		}
		b->bytes += (uint64_t)r;
	}
	return r;
}

/* Reads the archive of backup b from its target through l. format "dump" goes whole to
 * pg_restore. *sha_ok tells whether the bytes read hash to the recorded SHA-256. */
static int load_archive(struct load *l, json_t *b, bool *sha_ok)
{
	struct berr *err = l->err;
	struct blob_target t;
	char tid[37];
	const char *org = json_string_value(json_object_get(b, "org_id"));
	const char *key = json_string_value(json_object_get(b, "object_key"));
	if (backup_target_load(org, json_string_value(json_object_get(b, "target_id")), &t, tid,
			       err) < 0)
		return -1;
	struct blob_src src = {.err = err};
	crypto_hash_sha256_init(&src.st);
	src.r = blob_get_open(&t, key, 0, 0, NULL, err);
	int rc = -1;
	if (!src.r)
		goto out;
	l->buf = xmalloc(BUF_SIZE);
	if (str_eq(json_string_value(json_object_get(b, "format")), "dump")) {
		if (!l->tmpdb) {
			rc = 0;
			while (blob_src_read(&src, l->buf, BUF_SIZE) > 0)
				;
		} else {
			struct estream *s = open_loader(l, true);
			ssize_t n;
			rc = s ? 0 : -1;
			while (rc == 0 && (n = blob_src_read(&src, l->buf, BUF_SIZE)) > 0)
				rc = estream_write(s, l->buf, (size_t)n, err);
			if (rc == 0)
				rc = finish_loader(l, s);
			else if (s)
				estream_free(s);
		}
	} else {
		rc = ozip_read_unsized(blob_src_read, &src, on_entry, l, err);
	}
	if (rc == 0 && l->tar) {
		struct estream *ts = l->tar;
		l->tar = NULL;
		rc = engine_archive_put_finish(ts, err);
	}
	unsigned char h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_final(&src.st, h);
	char hex[65];
	sodium_bin2hex(hex, sizeof hex, h, sizeof h);
	const char *want = json_string_value(json_object_get(b, "sha256"));
	*sha_ok = want && str_eq(hex, want) &&
		  src.bytes == (uint64_t)json_integer_value(json_object_get(b, "size_bytes"));
	blob_get_close(src.r);
out:
	if (l->tar) {
		estream_free(l->tar);
		l->tar = NULL;
	}
	free(l->buf);
	l->buf = NULL;
	backup_target_release(&t);
	return rc;
}

/* ---- restore ---- */

/* Clears what an interrupted restore left: a half-loaded database, or the live one renamed
 * away without its replacement in place (it is put back). */



/* Run as root in a helper container holding the environment's data volume: the restored
 * filestore directory takes the live one's place, owned as /var/lib/odoo is. Names come in
 * the environment (DB, NEW, OLD), never in the script. */
static const char FS_SWAP_SH[] =
	"set -eu\n"
	"mkdir -p /var/lib/odoo/filestore\n"
	"cd /var/lib/odoo/filestore\n"
	"if [ \"$MODE\" = swap ] && [ -d \"$NEW\" ]; then\n"
	"  chown -R --reference=/var/lib/odoo \"$NEW\"\n"
	"  rm -rf \"$OLD\"\n"
	"  if [ -d \"$DB\" ]; then mv \"$DB\" \"$OLD\"; fi\n"
	"  mv \"$NEW\" \"$DB\"\n"
	"fi\n"
	"rm -rf \"$OLD\" \"$NEW\"\n"
	"chown --reference=/var/lib/odoo /var/lib/odoo/filestore\n";

static int fs_helper(struct engine *e, struct job *j, struct envrt *rt, const char *image,
		     const char *mode, bool start, struct berr *err)
{
	char name[80];
	snprintf(name, sizeof name, "berth-%s-restore", rt->key);
	char *envs[4] = {xasprintf("DB=%s", rt->db_name),
			 xasprintf("NEW=%s.berth-restore", rt->db_name),
			 xasprintf("OLD=%s.berth-old", rt->db_name), xasprintf("MODE=%s", mode)};
	json_t *spec = json_pack(
		"{s:s,s:s,s:[s,s,s],s:[s,s,s,s],s:o,s:{s:[{s:s,s:s,s:s}],s:s}}", "Image", image,
		"User", "0", "Entrypoint", "sh", "-c", FS_SWAP_SH, "Env", envs[0], envs[1], envs[2],
		envs[3], "Labels", labels(rt, "restore"), "HostConfig", "Mounts", "Type", "volume",
		"Source", rt->vol_data, "Target", "/var/lib/odoo", "NetworkMode", "none");
	for (int i = 0; i < 4; i++)
		free(envs[i]);
	/* an external filestore (Odoo settings): the server directory the running Odoo mounts */
	env_mounts_from_container(e, rt);
	env_mounts_add(rt, json_object_get(json_object_get(spec, "HostConfig"), "Mounts"));
	struct berr e2 = {0};
	engine_container_remove(e, name, &e2);
	int rc = engine_container_create(e, name, spec, err);
	json_decref(spec);
	if (rc < 0 || !start)
		return rc;
	int code = -1;
	rc = engine_container_start(e, name, err);
	if (rc == 0)
		rc = engine_container_wait(e, name, &code, err);
	if (rc == 0 && code != 0) {
		struct sbuf logs = SBUF_INIT;
		engine_container_logs(e, name, 20, &logs, &e2);
		rc = berr_set(err, BE_INTERNAL_ERROR, NULL, "placing the filestore failed (%d): %.300s",
			      code, sbuf_str(&logs));
		sbuf_release(&logs);
	}
	engine_container_remove(e, name, &e2);
	(void)j;
	return rc;
}

static int installed_modules(struct engine *e, const char *container, const char *sock,
			     const char *db, long long *n, struct berr *err)
{
	struct sbuf out = SBUF_INIT;
	int rc = pg_query(e, container, sock, db,
			  RENDER_BACKUP_INSTALLED_SQL, &out, err);
	if (rc == 0)
		*n = atoll(sbuf_str(&out));
	sbuf_release(&out);
	return rc;
}

/* Restores backup b into rt's environment (on e). */
static int restore_into(struct engine *e, struct job *j, struct envrt *rt, json_t *b,
			bool include_filestore, bool safety, struct berr *err)
{
	const char *bid = json_string_value(json_object_get(b, "id"));
	bool custom = str_eq(json_string_value(json_object_get(b, "format")), "dump");
	bool has_fs = !custom && str_eq(json_string_value(json_object_get(b, "scope")), "full");
	if (safety) {
		job_stage(j, "Safety backup");
		struct made m;
		if (make_backup(e, j, rt, "full", "pre_restore", NULL, NULL, 0, NULL,
				(int64_t)time(NULL) + 30 * 86400, &m, err) < 0) {
			berr_set(err, err->code, NULL, "the safety backup failed, nothing was restored: %s",
				 err->message);
			return -1;
		}
		job_log(j, "safety backup %s: to undo this restore, restore it (berth backup restore %s)",
			m.id, m.id);
	}
	bool db_started = false;
	job_stage(j, "Prepare");
	if (db_up(e, j, rt, &db_started, err) < 0)
		return -1;
	char tmp[80], old[80];
	/* short names (PostgreSQL cuts identifiers at 63 bytes), one pair per environment */
	snprintf(tmp, sizeof tmp, "berth_restore_%s", rt->key);
	snprintf(old, sizeof old, "berth_old_%s", rt->key);
	char *v_db = xasprintf("db=%s", rt->db_name), *v_tmp = xasprintf("tmp=%s", tmp),
	     *v_old = xasprintf("old=%s", old), *v_owner = xasprintf("owner=%s", DB_USER);
	const char *vars[] = {v_db, v_tmp, v_old, v_owner, NULL};
	struct sbuf out = SBUF_INIT;
	char *image = NULL;
	int rc = -1;
	bool odoo_was_running = container_running(e, rt->odoo);
	bool fs = include_filestore && has_fs;
	if (pg_script(e, rt->db, "/run/postgresql", "postgres", RENDER_RESTORE_PREPARE_SQL, vars, &out,
		      err) < 0)
		goto out;
	if (fs) {
		image = odoo_image(e, j, rt, err);
		if (!image || fs_helper(e, j, rt, image, "clean", true, err) < 0 ||
		    fs_helper(e, j, rt, image, "swap", false, err) < 0)
			goto out;
	}
	job_stage(j, fs ? "Load database and filestore" : "Load database");
	job_log(j, "loading backup %s into a new database %s next to the live one (Odoo keeps"
		   " serving meanwhile)", bid, tmp);
	char helper[80];
	snprintf(helper, sizeof helper, "berth-%s-restore", rt->key);
	struct load l = {.e = e, .j = j, .err = err, .db_container = rt->db,
			 .sock = "/run/postgresql", .db_user = DB_USER, .tmpdb = tmp,
			 .fs_container = fs ? helper : NULL, .fs_dir = "/var/lib/odoo/filestore",
			 .fs_name = NULL, .include_filestore = fs};
	char fsname[96];
	snprintf(fsname, sizeof fsname, "%s.berth-restore", rt->db_name);
	l.fs_name = fsname;
	bool sha_ok = false;
	if (load_archive(&l, b, &sha_ok) < 0)
		goto fail_tmp;
	if (!l.dump_loaded) {
		berr_set(err, BE_VALIDATION_ERROR, NULL, "the archive holds no dump.sql");
		goto fail_tmp;
	}
	if (!sha_ok)
		job_log(j, "note: the archive's SHA-256 differs from the one recorded when it was made");
	long long mods = 0;
	if (installed_modules(e, rt->db, "/run/postgresql", tmp, &mods, err) < 0 || mods == 0) {
		if (mods == 0 && err->code == 0)
			berr_set(err, BE_VALIDATION_ERROR, NULL,
				 "the restored database has no installed module: not an Odoo database");
		else
			berr_set(err, BE_VALIDATION_ERROR, NULL,
				 "the restored database is not an Odoo database (%s)", err->message);
		goto fail_tmp;
	}
	json_t *mm = json_object_get(l.manifest, "modules");
	if (json_is_object(mm) && (long long)json_object_size(mm) != mods)
		job_log(j, "note: %lld modules installed, the manifest lists %zu", mods,
			json_object_size(mm));
	if (fs)
		job_log(j, "filestore: %llu files", (unsigned long long)l.files);
	json_decref(l.manifest);
	l.manifest = NULL;

	job_stage(j, "Stop Odoo");
	if (odoo_was_running) {
		job_log(j, "stopping %s for the swap", rt->odoo);
		if (engine_container_stop(e, rt->odoo, 30, err) < 0)
			goto fail_tmp;
	}
	job_stage(j, "Swap");
	if (pg_script(e, rt->db, "/run/postgresql", "postgres", RENDER_RESTORE_SWAP_SQL, vars, &out, err) < 0)
		goto restart;
	job_log(j, "database %s replaced by the restored one", rt->db_name);
	if (fs) {
		if (fs_helper(e, j, rt, image, "swap", true, err) < 0)
			goto restart;
		job_log(j, "filestore replaced by the restored one");
	}
	if (!str_eq(rt->type, "production")) {
		job_stage(j, "Neutralize");
		if (env_neutralize(e, j, rt, err) < 0)
			goto restart;
		/* another environment's data, anonymized when that one asks for it (docs/clones.md) */
		const char *src = json_string_value(json_object_get(b, "environment_id"));
		if (src && !str_eq(src, rt->id) && env_anonymize_wanted(src) &&
		    env_anonymize(e, j, rt, NULL, err) < 0)
			goto restart;
	}
	rc = 0;
restart:
	if (odoo_was_running) {
		job_stage(j, "Start Odoo");
		struct berr e2 = {0};
		if (engine_container_start(e, rt->odoo, rc == 0 ? err : &e2) < 0) {
			rc = -1;
		} else if (rc == 0) {
			job_stage(j, "Health check");
			rc = wait_healthy(e, j, rt, err);
		}
	}
	goto out;
fail_tmp: {
	json_decref(l.manifest);
	struct berr e2 = {0};
	const char *v2[] = {v_tmp, NULL};
	pg_script(e, rt->db, "/run/postgresql", "postgres", RENDER_RESTORE_DROP_TMP_SQL, v2, &out, &e2);
	if (fs && image)
		fs_helper(e, j, rt, image, "clean", true, &e2);
	job_log(j, "nothing was changed: the environment keeps its database and filestore");
}
out:
	if (db_started && !odoo_was_running) {
		struct berr e2 = {0};
		engine_container_stop(e, rt->db, 30, &e2);
	}
	free(image);
	sbuf_release(&out);
	free(v_db);
	free(v_tmp);
	free(v_old);
	free(v_owner);
	return rc;
}

/* ---- verification ---- */

/* A throwaway PostgreSQL cluster in the container's own layer, no network, fsync off: what a
 * restore needs, nothing kept. Constant text. */
static const char VERIFY_PG_SH[] =
	"set -eu\n"
	"BIN=$(ls -d /usr/lib/postgresql/*/bin | tail -n 1)\n"
	"\"$BIN/initdb\" -D /tmp/pg -U postgres --auth-local=trust --encoding=UTF8"
	" --locale=C.UTF-8 >/dev/null\n"
	"exec \"$BIN/postgres\" -D /tmp/pg -c listen_addresses= -c unix_socket_directories=/tmp"
	" -c fsync=off -c full_page_writes=off -c synchronous_commit=off -c shared_buffers=64MB"
	" -c max_wal_size=1GB\n";

static int verify_run(struct engine *e, struct job *j, struct envrt *rt, json_t *b,
		      json_t *checks, int64_t *load_ms, struct berr *err)
{
	char img[128];
	if (images_ensure(e, j, IMG_POSTGRES, img, sizeof img, err) < 0)
		return -1;
	char name[80];
	snprintf(name, sizeof name, "berth-%s-verify", rt->key);
	struct berr e2 = {0};
	engine_container_remove(e, name, &e2);
	json_t *spec = json_pack("{s:s,s:s,s:[s,s,s],s:o,s:{s:I,s:I,s:s}}", "Image", img, "User",
				 "postgres", "Entrypoint", "sh", "-c", VERIFY_PG_SH, "Labels",
				 labels(rt, "backup-verify"), "HostConfig", "Memory",
				 (json_int_t)1024 * 1024 * 1024, "NanoCpus", (json_int_t)1000000000,
				 "NetworkMode", "none");
	int rc = engine_container_create(e, name, spec, err);
	json_decref(spec);
	if (rc < 0)
		return -1;
	struct sbuf out = SBUF_INIT;
	rc = engine_container_start(e, name, err);
	for (int i = 0; rc == 0 && i < 120; i++) {
		const char *argv[] = {"pg_isready", "-q", "-h", "/tmp", NULL};
		int code = -1;
		rc = engine_exec(e, name, argv, "postgres", &code, &out, err);
		if (rc == 0 && code == 0)
			break;
		if (i == 119)
			rc = berr_set(err, BE_INTERNAL_ERROR, NULL,
				      "the throwaway PostgreSQL did not start");
		usleep(250000);
	}
	const char *vars[] = {"owner=odoo", "tmp=verify", NULL};
	if (rc == 0)
		rc = pg_script(e, name, "/tmp", "postgres",
			       RENDER_VERIFY_CREATE_SQL,
			       vars, &out, err);
	bool sha_ok = false;
	struct load l = {.e = e, .j = j, .err = err, .db_container = name, .sock = "/tmp",
			 .db_user = "odoo", .tmpdb = "verify", .hash_files = true};
	int64_t t0 = mono_ms();
	if (rc == 0) {
		job_log(j, "restoring the archive into a throwaway PostgreSQL (%s)", name);
		rc = load_archive(&l, b, &sha_ok);
	}
	*load_ms = mono_ms() - t0;
	json_object_set_new(checks, "archive_sha256", json_boolean(sha_ok));
	json_object_set_new(checks, "dump_loaded", json_boolean(rc == 0 && l.dump_loaded));
	bool ok = rc == 0 && sha_ok && l.dump_loaded;
	if (rc == 0 && !sha_ok)
		berr_set(err, BE_VALIDATION_ERROR, NULL,
			 "the archive on the target does not match its recorded SHA-256 (damaged or"
			 " truncated)");
	if (rc == 0 && !l.dump_loaded)
		berr_set(err, BE_VALIDATION_ERROR, NULL, "the archive holds no dump.sql");
	json_t *man = l.manifest;
	if (rc == 0 && l.dump_loaded) {
		struct sbuf q = SBUF_INIT;
		long long tables = -1, mods = -1;
		if (pg_query(e, name, "/tmp", "verify",
			     RENDER_BACKUP_TABLES_SQL, &q,
			     err) == 0)
			tables = atoll(sbuf_str(&q));
		struct berr e3 = {0};
		if (installed_modules(e, name, "/tmp", "verify", &mods, &e3) < 0)
			mods = -1;
		sbuf_release(&q);
		json_t *want_t = json_object_get(json_object_get(man, "berth"), "tables");
		json_t *want_m = json_object_get(man, "modules");
		long long wt = want_t ? (long long)json_integer_value(want_t)
				      : json_integer_value(json_object_get(b, "table_count"));
		long long wm = json_is_object(want_m) ? (long long)json_object_size(want_m) : -1;
		json_object_set_new(checks, "tables", json_pack("{s:I,s:I}", "expected", (json_int_t)wt,
								 "found", (json_int_t)tables));
		json_object_set_new(checks, "installed_modules",
				    json_pack("{s:I,s:I}", "expected", (json_int_t)wm, "found",
					      (json_int_t)mods));
		if (tables != wt || (wm >= 0 && mods != wm) || mods <= 0) {
			ok = false;
			berr_set(err, BE_VALIDATION_ERROR, NULL,
				 "the restored database differs from the manifest: %lld tables (expected"
				 " %lld), %lld installed modules (expected %lld)",
				 tables, wt, mods, wm);
		}
		if (str_eq(json_string_value(json_object_get(b, "scope")), "full") &&
		    !str_eq(json_string_value(json_object_get(b, "format")), "dump")) {
			json_t *wf = json_object_get(json_object_get(man, "berth"), "filestore_files");
			long long want_f = wf ? (long long)json_integer_value(wf)
					      : json_integer_value(json_object_get(b, "filestore_files"));
			json_object_set_new(checks, "filestore_files",
					    json_pack("{s:I,s:I}", "expected", (json_int_t)want_f,
						      "found", (json_int_t)l.files));
			json_object_set_new(checks, "filestore_hashes",
					    json_pack("{s:I,s:I}", "checked", (json_int_t)l.hash_checked,
						      "mismatched", (json_int_t)l.hash_bad));
			if (ok && (long long)l.files != want_f) {
				ok = false;
				berr_set(err, BE_VALIDATION_ERROR, NULL,
					 "the filestore holds %llu files, the manifest says %lld",
					 (unsigned long long)l.files, want_f);
			} else if (ok && l.hash_bad) {
				ok = false;
				berr_set(err, BE_VALIDATION_ERROR, NULL,
					 "%llu filestore files do not hash to their names",
					 (unsigned long long)l.hash_bad);
			}
		}
	}
	json_decref(man);
	sbuf_release(&out);
	engine_container_remove(e, name, &e2);
	return ok ? 0 : -1;
}

/* ---- the jobs ---- */

static json_t *backup_of_job(struct job *j, struct berr *err)
{
	json_t *b = backups_get(j->org_id, S(j->params, "backup_id"));
	if (!b)
		berr_set(err, BE_BACKUP_NOT_FOUND, NULL, "the backup no longer exists");
	return b;
}

static int job_backup(struct job *j, struct berr *err)
{
	struct envrt rt;
	if (envrt_load(&rt, j->env_id, err) < 0)
		return -1;
	job_stage(j, "Connect to server");
	struct engine *e = engine_open_server(rt.server_id, err);
	int rc = -1;
	if (e) {
		job_stage(j, "Backup");
		struct made m;
		const char *kind = S(j->params, "kind") ? S(j->params, "kind") : "manual";
		json_t *by = json_object_get(j->params, "created_by");
		int64_t keep_days = (int64_t)json_integer_value(json_object_get(j->params, "keep_days"));
		rc = make_backup(e, j, &rt, S(j->params, "scope") ? S(j->params, "scope") : "full", kind,
				 S(j->params, "backup_id"), S(j->params, "target_id"),
				 (int64_t)json_integer_value(json_object_get(j->params, "slot")),
				 json_string_value(by),
				 keep_days > 0 ? (int64_t)time(NULL) + keep_days * 86400 : 0, &m, err);
		if (rc == 0) {
			job_result(j, json_pack("{s:s,s:I,s:s}", "backup_id", m.id, "size_bytes",
						(json_int_t)m.size, "sha256", m.sha256));
			if (str_eq(kind, "scheduled")) {
				json_t *p = json_pack("{s:s}", "backup_id", m.id);
				json_t *vj = queue_enqueue(j->org_id, j->env_id, NULL, "backup_verify", p,
							   NULL, NULL);
				job_log(j, "verification queued: job %s",
					json_string_value(json_object_get(vj, "id")));
				json_decref(vj);
				json_decref(p);
			}
		}
		engine_close(e);
	}
	envrt_free(&rt);
	return rc;
}

/* "restore", and "backup_import": an uploaded archive the API stored as an imported backup,
 * restored the same way. */
static int job_restore(struct job *j, struct berr *err)
{
	json_t *b = backup_of_job(j, err);
	if (!b)
		return -1;
	int rc = -1;
	struct envrt rt;
	if (!str_eq(status_of_backup(b), "done")) {
		berr_set(err, BE_CONFLICT, NULL, "the backup is %s, not done", status_of_backup(b));
		json_decref(b);
		return -1;
	}
	if (envrt_load(&rt, j->env_id, err) < 0) {
		json_decref(b);
		return -1;
	}
	job_log(j, "restoring backup %s (%s of %s, %s) into %s (%s)",
		json_string_value(json_object_get(b, "id")), json_string_value(json_object_get(b, "kind")),
		json_string_value(json_object_get(b, "environment_name")),
		json_string_value(json_object_get(b, "created_at")), rt.name, rt.type);
	job_stage(j, "Connect to server");
	struct engine *e = engine_open_server(rt.server_id, err);
	if (e) {
		json_t *inc = json_object_get(j->params, "include_filestore");
		json_t *saf = json_object_get(j->params, "safety_backup");
		rc = restore_into(e, j, &rt, b, !json_is_false(inc), !json_is_false(saf), err);
		engine_close(e);
	}
	if (rc == 0) {
		job_log(j, "%s done", str_eq(j->type, "backup_import") ? "import" : "restore");
		job_result(j, json_pack("{s:s}", "backup_id", json_string_value(json_object_get(b, "id"))));
	}
	json_decref(b);
	envrt_free(&rt);
	return rc;
}

static int job_verify(struct job *j, struct berr *err)
{
	json_t *b = backup_of_job(j, err);
	if (!b)
		return -1;
	const char *bid = json_string_value(json_object_get(b, "id"));
	if (!str_eq(status_of_backup(b), "done")) {
		berr_set(err, BE_CONFLICT, NULL, "the backup is %s, not done", status_of_backup(b));
		json_decref(b);
		return -1;
	}
	struct envrt rt;
	if (envrt_load(&rt, j->env_id, err) < 0) {
		json_decref(b);
		return -1;
	}
	backups_set_verification(bid, "running", j->id, 0, NULL);
	json_t *checks = json_object();
	int64_t load_ms = 0;
	job_stage(j, "Connect to server");
	struct engine *e = engine_open_server(rt.server_id, err);
	int rc = -1;
	if (e) {
		job_stage(j, "Test restore");
		rc = verify_run(e, j, &rt, b, checks, &load_ms, err);
		engine_close(e);
	}
	json_t *detail = json_pack("{s:O,s:s?}", "checks", checks, "error", rc == 0 ? NULL : err->message);
	backups_set_verification(bid, rc == 0 ? "passed" : "failed", j->id, load_ms, detail);
	json_decref(detail);
	char msg[600];
	if (rc == 0)
		snprintf(msg, sizeof msg, "backup %s restored in %.1f s", bid, (double)load_ms / 1000);
	else
		snprintf(msg, sizeof msg, "backup %s of %s failed its test restore: %s", bid, rt.name,
			 err->message);
	job_log(j, "%s", msg);
	ops_alert_backup(rt.env.org_id, rt.env.project_id, rt.id, rt.name, rc != 0, msg);
	job_result(j, json_pack("{s:s,s:s,s:I,s:O}", "backup_id", bid, "verification",
				rc == 0 ? "passed" : "failed", "duration_ms", (json_int_t)load_ms,
				"checks", checks));
	json_decref(checks);
	json_decref(b);
	envrt_free(&rt);
	return rc;
}

int backup_before_update(struct engine *e, struct job *j, struct envrt *rt, struct berr *err)
{
	if (!str_eq(rt->type, "production") || !rt->deployed_before)
		return 0;
	json_t *plan = model_org_plan(rt->env.org_id);
	bool allowed = json_is_true(json_object_get(plan, "allow_backup"));
	json_decref(plan);
	if (!allowed) {
		job_log(j, "no backup before the update: the organization's plan has no backups");
		return 0;
	}
	job_stage(j, "Backup before update");
	struct made m;
	if (make_backup(e, j, rt, "full", "pre_update", NULL, NULL, 0, NULL,
			(int64_t)time(NULL) + 30 * 86400, &m, err) < 0) {
		berr_set(err, err->code, NULL,
			 "the backup before the module update failed, the update was not run: %s",
			 err->message);
		return -1;
	}
	job_log(j, "backup %s taken before the update; if the update goes wrong, roll back with:"
		   " berth backup restore %s", m.id, m.id);
	return 0;
}

int backup_safety(struct engine *e, struct job *j, struct envrt *rt, char id_out[37],
		  struct berr *err)
{
	struct made m;
	if (make_backup(e, j, rt, "full", "pre_restore", NULL, NULL, 0, NULL,
			(int64_t)time(NULL) + 30 * 86400, &m, err) < 0)
		return -1;
	snprintf(id_out, 37, "%s", m.id);
	return 0;
}

int backup_enqueue_scheduled(const char *env_id, int64_t slot, struct berr *err)
{
	json_t *params = json_pack("{s:s,s:s,s:I}", "scope", "full", "kind", "scheduled", "slot",
				   (json_int_t)slot);
	char id[37];
	uuid4(id);
	json_object_set_new(params, "backup_id", json_string(id));
	struct env_action a = {.env_id = env_id, .type = "backup", .params = params,
			       .policy = ENV_Q_SAME_ANSWERS, .actor = "schedule"};
	json_t *job = NULL;
	bool created = false;
	int rc = env_action_enqueue(&a, &job, &created, err);
	json_decref(job);
	json_decref(params);
	return rc;
}

int backup_remove_env(const char *env_id, struct job *j, struct berr *err)
{
	json_t *rows = backups_of_env(env_id);
	size_t i;
	json_t *b;
	int rc = 0;
	json_array_foreach(rows, i, b) {
		const char *id = json_string_value(json_object_get(b, "id"));
		if (backup_remove(id, err) < 0) {
			rc = -1;
			if (j)
				job_log(j, "backup %s could not be removed: %s", id, err->message);
		} else if (j) {
			job_log(j, "backup %s removed", id);
		}
	}
	json_decref(rows);
	return rc;
}

void ops_register_backup(void)
{
	queue_register("backup", job_backup);
	queue_register("restore", job_restore);
	queue_register("backup_import", job_restore);
	queue_register("backup_verify", job_verify);
}
