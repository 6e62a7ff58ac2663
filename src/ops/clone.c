/* clone.c: the clone and refresh jobs (clone.h, docs/clones.md).
 *
 * Both copy a source environment's data into a target's volumes, next to what is there
 * (pgdata.clone, filestore/<db>.clone), and swap it in while the target's PostgreSQL and
 * Odoo are stopped; then the target is deployed (env_deploy) with a hook that fixes the
 * copied database before Odoo starts: its name, its role's password, neutralization,
 * anonymization.
 * - Same server: the database by a base backup (pg_basebackup) of the running source, taken
 *   by a helper container in the source's network namespace (the superuser's replication
 *   over the container's loopback, render_pg_hba) and written straight into the target's
 *   volume; the filestore by hard links (one helper mounting the common parent of both
 *   directories: link() does not cross mounts), or a copy (reflink where the filesystem has
 *   it) when they have no common parent or the links fail.
 * - Across servers: pg_basebackup's tar on the source (docker exec over its socket) and the
 *   filestore's tar from a helper there, each streamed through berthd into `tar -x` in a
 *   helper on the target; nothing is staged on either disk.
 * Every step converges: a copy is written under a .part name and renamed when complete, the
 * swap repairs an interrupted one before anything else, helpers are found by name and
 * replaced. */
#include "ops/clone.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/settings.h"
#include "drivers/engine_stream.h"
#include "ops/env_int.h"
#include "ops/images.h"
#include "ops/ops.h"
#include "render/clone_sql.h"
#include "render/render.h"
#include "store/clones.h"
#include "store/envs.h"
#include "store/model.h"

#define PG_DATA "/var/lib/postgresql/data"
#define HOST_ROOT "/berth-root" /* a helper's view of the common parent of two directories */
#define SRC_FS "/berth-src"     /* a helper's view of the source's filestore directory */
#define STEP (256ULL << 20)     /* progress every 256 MiB */

struct clone {
	struct job *j;
	struct envrt *src, *dst;
	struct engine *es, *ed; /* ed == es on one server */
	bool same, refresh, anonymize, src_db_started;
	const char *keep_login;
	char pg_img_s[160], pg_img_d[160];
	char *odoo_img_d;
	char helper_d[64], helper_s[64];
	uint64_t db_bytes, fs_bytes, fs_files;
	const char *fs_mode;
	json_t *seconds;
	int64_t stage_t0;
	char stage[64];
	bool neutralized, anonymized, swapped;
};


/* Counts the time since the last call towards the current stage's seconds (the job's
 * result), then name is the current one (NULL: none). */
static void stage_rec(struct clone *c, const char *name)
{
	int64_t t = now_ms();
	if (c->stage[0]) {
		double prev = json_number_value(json_object_get(c->seconds, c->stage));
		double s = prev + (double)(t - c->stage_t0) / 1000.0;
		json_object_set_new(c->seconds, c->stage, json_real((double)llround(s * 1000) / 1000.0));
	}
	c->stage_t0 = t;
	snprintf(c->stage, sizeof c->stage, "%s", name ? name : "");
}

/* job_stage (the job's stages and timings), and the stage's seconds for the result. */
static void stage(struct clone *c, const char *name)
{
	stage_rec(c, name);
	job_stage(c->j, name);
}

static void human(uint64_t n, char out[32])
{
	const char *u[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	double v = (double)n;
	int i = 0;
	while (v >= 1024 && i < 4) {
		v /= 1024;
		i++;
	}
	snprintf(out, 32, i ? "%.1f %s" : "%.0f %s", v, u[i]);
}

static bool running(struct engine *e, const char *name)
{
	json_t *c = engine_container_inspect(e, name);
	bool r = c && json_is_true(json_object_get(json_object_get(c, "State"), "Running"));
	json_decref(c);
	return r;
}

/* A volume's directory on its server. Caller frees; NULL with err. */
static char *volume_path(struct engine *e, const char *vol, struct berr *err)
{
	char path[128];
	snprintf(path, sizeof path, "/volumes/%s", vol);
	int status = 0;
	json_t *v = NULL;
	if (engine_call(e, "GET", path, NULL, &status, &v, err) < 0)
		return NULL;
	const char *mp = status == 200 ? S(v, "Mountpoint") : NULL;
	char *out = mp && mp[0] == '/' ? xstrdup(mp) : NULL;
	json_decref(v);
	if (!out)
		berr_set(err, BE_INTERNAL_ERROR, NULL, "volume %s has no directory on the server", vol);
	return out;
}

/* The server directory holding an environment's filestore directories (<dir>/<db>). */
static char *filestore_host_dir(struct engine *e, struct envrt *rt, struct berr *err)
{
	if (rt->filestore_src)
		return xstrdup(rt->filestore_src);
	char *mp = volume_path(e, rt->vol_data, err);
	char *out = mp ? xasprintf("%s/filestore", mp) : NULL;
	free(mp);
	return out;
}

/* The longest common directory of a and b ("" when it is only /). */
static void common_dir(const char *a, const char *b, char *out, size_t len)
{
	size_t i = 0, last = 0;
	while (a[i] && a[i] == b[i]) {
		if (a[i] == '/')
			last = i;
		i++;
	}
	if ((!a[i] || a[i] == '/') && (!b[i] || b[i] == '/'))
		last = i;
	snprintf(out, len, "%.*s", (int)last, a);
	if (str_eq(out, "/"))
		out[0] = '\0';
}

/* Removes a helper container (whatever an interrupted run left). */
static void helper_remove(struct engine *e, const char *name)
{
	struct berr e2 = {0};
	engine_container_remove(e, name, &e2);
}

/* A helper that runs `sleep` until removed, for commands run in it with exec. */
static int helper_up(struct engine *e, const char *name, const char *image, json_t *labels,
		     json_t *mounts, const char *network, struct berr *err)
{
	helper_remove(e, name);
	json_t *spec = json_pack("{s:s,s:s,s:[s,s],s:o,s:{s:o,s:s}}", "Image", image, "User", "0",
				 "Entrypoint", "sleep", "infinity", "Labels", labels, "HostConfig",
				 "Mounts", mounts, "NetworkMode", network ? network : "none");
	int rc = engine_container_create(e, name, spec, err);
	json_decref(spec);
	if (rc == 0)
		rc = engine_container_start(e, name, err);
	return rc;
}

/* A constant script run as root in a helper (names and paths in envv, never in the text);
 * its output into out. */
static int helper_sh(struct engine *e, const char *container, const char *script,
		     const char *const *envv, struct sbuf *out, const char *what, struct berr *err)
{
	const char *argv[] = {"sh", "-c", script, NULL};
	struct sbuf o = SBUF_INIT;
	int code = -1;
	int rc = engine_exec_env(e, container, argv, envv, "0", &code, &o, err);
	if (rc == 0 && code != 0)
		rc = berr_set(err, BE_INTERNAL_ERROR, NULL, "%s failed (%d): %.400s", what, code,
			      sbuf_str(&o));
	if (out) {
		sbuf_reset(out);
		sbuf_adds(out, sbuf_str(&o));
	}
	sbuf_release(&o);
	return rc;
}

/* "KEY=n" in a helper's output. */
static uint64_t out_num(const char *out, const char *key)
{
	char k[32];
	snprintf(k, sizeof k, "%s=", key);
	const char *p = strstr(out ? out : "", k);
	return p ? strtoull(p + strlen(k), NULL, 10) : 0;
}

/* ---- scripts (constant text; run as root in helpers) ---- */

/* Same server, database: a base backup of the source (this helper shares the source
 * container's network namespace) into $DATA/pgdata.part, renamed pgdata.clone when complete. */
static const char DB_SAME_SH[] =
	"set -eu\n"
	"BIN=$(ls -d /usr/lib/postgresql/*/bin | tail -n 1)\n"
	"install -d -o postgres -g postgres -m 700 \"$DATA\"\n"
	"cd \"$DATA\"\n"
	"rm -rf pgdata.part pgdata.clone\n"
	"setpriv --reuid=postgres --regid=postgres --init-groups \"$BIN/pg_basebackup\" \\\n"
	"  -h 127.0.0.1 -p 5432 -U postgres -w -D pgdata.part -X stream -c fast --no-sync\n"
	"sync -f pgdata.part 2>/dev/null || sync\n"
	"echo BYTES=$(du -sb pgdata.part | cut -f1)\n"
	"mv pgdata.part pgdata.clone\n";

/* Across servers, database: pg_basebackup's tar on stdin into $DATA/pgdata.part. */
static const char DB_RX_SH[] =
	"set -eu\n"
	"mkdir -p \"$DATA\"\n"
	"cd \"$DATA\"\n"
	"rm -rf pgdata.part pgdata.clone\n"
	"mkdir -m 700 pgdata.part\n"
	"tar -x --numeric-owner -f - -C pgdata.part\n"
	"chown -R --reference=pgdata.part/PG_VERSION pgdata.part\n"
	"chmod 700 pgdata.part\n"
	"sync\n"
	"mv pgdata.part pgdata.clone\n";

/* The copy takes the live data directory's place (PostgreSQL stopped). An interrupted swap is
 * repaired first: the data directory is never left missing for the entrypoint to initdb. */
static const char DB_SWAP_SH[] =
	"set -eu\n"
	"cd \"$DATA\"\n"
	"if [ ! -e pgdata ] && [ -s pgdata.old/PG_VERSION ]; then mv pgdata.old pgdata; fi\n"
	"if [ \"$MODE\" = repair ]; then exit 0; fi\n"
	"if [ -d pgdata.clone ]; then\n"
	"  rm -rf pgdata.old\n"
	"  if [ -e pgdata ]; then mv pgdata pgdata.old; fi\n"
	"  mv pgdata.clone pgdata\n"
	"  rm -rf pgdata.old\n"
	"fi\n"
	"rm -rf pgdata.part\n"
	"test -s pgdata/PG_VERSION\n";
/* (a clone's new volume has no pgdata before its first swap: MODE=repair ends earlier) */

/* Same server, filestore: hard links when LINK=1 and they work (checklist/, the garbage
 * collector's marks, is copied: Odoo appends to it), else a copy (reflinks where the
 * filesystem has them). $DST/$DB.part, renamed $DB.clone when complete. */
static const char FS_SAME_SH[] =
	"set -eu\n"
	"mkdir -p \"$DST\"\n"
	"chown --reference=/var/lib/odoo \"$DST\" 2>/dev/null || true\n"
	"cd \"$DST\"\n"
	"rm -rf \"$DB.part\" \"$DB.clone\"\n"
	"MODE=none\n"
	"if [ -d \"$SRC\" ]; then\n"
	"  mkdir \"$DB.part\"\n"
	"  MODE=copy\n"
	"  if [ \"$LINK\" = 1 ]; then\n"
	"    MODE=hardlink\n"
	"    for f in \"$SRC\"/* \"$SRC\"/.[!.]*; do\n"
	"      [ -e \"$f\" ] || continue\n"
	"      case \"${f##*/}\" in checklist) cp -a \"$f\" \"$DB.part/\" ;;\n"
	"      *) cp -al \"$f\" \"$DB.part/\" 2>/dev/null || { MODE=copy; break; } ;; esac\n"
	"    done\n"
	"  fi\n"
	"  if [ $MODE = copy ]; then\n"
	"    rm -rf \"$DB.part\"\n"
	"    cp -a --reflink=auto \"$SRC\" \"$DB.part\"\n"
	"  fi\n"
	"  chown --reference=\"$SRC\" \"$DB.part\"\n"
	"else\n"
	"  mkdir \"$DB.part\"\n"
	"  chown --reference=\"$DST\" \"$DB.part\"\n"
	"fi\n"
	"echo MODE=$MODE FILES=$(find \"$DB.part\" -type f | wc -l)"
	" BYTES=$(du -sb \"$DB.part\" | cut -f1)\n"
	"mv \"$DB.part\" \"$DB.clone\"\n";

/* Across servers, filestore: a tar on stdin into $DST/$DB.part. */
static const char FS_RX_SH[] =
	"set -eu\n"
	"mkdir -p \"$DST\"\n"
	"chown --reference=/var/lib/odoo \"$DST\" 2>/dev/null || true\n"
	"cd \"$DST\"\n"
	"rm -rf \"$DB.part\" \"$DB.clone\"\n"
	"mkdir \"$DB.part\"\n"
	"tar -x --numeric-owner -f - -C \"$DB.part\"\n"
	"chown --reference=\"$DST\" \"$DB.part\"\n"
	"echo FILES=$(find \"$DB.part\" -type f | wc -l)\n"
	"mv \"$DB.part\" \"$DB.clone\"\n";

/* Across servers, the sender: the source's filestore as a tar on stdout (empty when none). */
static const char FS_TX_SH[] =
	"set -eu\n"
	"if [ -d \"$SRC\" ]; then exec tar -c --numeric-owner -f - -C \"$SRC\" .; fi\n"
	"exec tar -c -f - -T /dev/null\n";

/* The filestore's swap, as the database's. */
static const char FS_SWAP_SH[] =
	"set -eu\n"
	"mkdir -p \"$DST\"\n"
	"cd \"$DST\"\n"
	"if [ ! -e \"$DB\" ] && [ -d \"$DB.old\" ]; then mv \"$DB.old\" \"$DB\"; fi\n"
	"if [ \"$MODE\" = repair ]; then exit 0; fi\n"
	"if [ -d \"$DB.clone\" ]; then\n"
	"  rm -rf \"$DB.old\"\n"
	"  if [ -e \"$DB\" ]; then mv \"$DB\" \"$DB.old\"; fi\n"
	"  mv \"$DB.clone\" \"$DB\"\n"
	"  rm -rf \"$DB.old\"\n"
	"fi\n"
	"rm -rf \"$DB.part\"\n";

/* ---- mounts ---- */

static json_t *vol_mount(const char *vol, const char *target, bool ro)
{
	return json_pack("{s:s,s:s,s:s,s:b}", "Type", "volume", "Source", vol, "Target", target,
			 "ReadOnly", ro);
}

static json_t *bind_mount(const char *src, const char *target, bool ro)
{
	return json_pack("{s:s,s:s,s:s,s:b}", "Type", "bind", "Source", src, "Target", target,
			 "ReadOnly", ro);
}

/* The target's Odoo data (its volume at /var/lib/odoo, populated from the Odoo image with
 * its owner the first time; an external filestore at FILESTORE_DIR). */
static void target_data_mounts(struct clone *c, json_t *m)
{
	json_array_append_new(m, vol_mount(c->dst->vol_data, "/var/lib/odoo", false));
	if (c->dst->filestore_src)
		json_array_append_new(m, bind_mount(c->dst->filestore_src, FILESTORE_DIR, false));
}

/* ---- the source's PostgreSQL ---- */

/* The source's database must run for its base backup (started and stopped again after when
 * the source is stopped), and allow the superuser's replication (render_pg_hba): a source
 * deployed before that line existed gets the new pg_hba.conf and a reload. */
static int source_pg_ready(struct clone *c, struct berr *err)
{
	struct envrt *s = c->src;
	json_t *ci = engine_container_inspect(c->es, s->db);
	bool exists = ci != NULL;
	bool run = ci && json_is_true(json_object_get(json_object_get(ci, "State"), "Running"));
	json_decref(ci);
	if (!exists)
		return berr_set(err, BE_CONFLICT, NULL,
				"the source %s has no database container: deploy it first", s->name);
	if (!run) {
		job_log(c->j, "starting %s for the copy (the source is stopped)", s->db);
		if (engine_container_start(c->es, s->db, err) < 0 || wait_pg(c->es, c->j, s->db, err) < 0)
			return -1;
		c->src_db_started = true;
	}
	const char *argv[] = {"grep", "-q", "^local   replication  postgres", "/etc/berth/pg_hba.conf",
			      NULL};
	int code = -1;
	struct sbuf out = SBUF_INIT;
	int rc = engine_exec(c->es, s->db, argv, "postgres", &code, &out, err);
	if (rc == 0 && code != 0) {
		job_log(c->j, "%s: allowing the superuser's base backups in pg_hba.conf (reload)", s->db);
		char *hba = render_pg_hba(DB_USER, s->replica_on, "replicator", err);
		if (!hba) {
			rc = -1;
		} else {
			struct efile f[] = {{"pg_hba.conf", hba, strlen(hba), 0644}};
			rc = engine_put_files(c->es, s->db, "/etc/berth", f, 1, err);
			free(hba);
			const char *rl[] = {"psql", "-X", "-q", "-h", "/run/postgresql", "-U", "postgres",
					    "-d", "postgres", "-c", RENDER_CLONE_RELOAD_SQL, NULL};
			if (rc == 0)
				rc = engine_exec(c->es, s->db, rl, "postgres", &code, &out, err);
			if (rc == 0 && code != 0)
				rc = berr_set(err, BE_INTERNAL_ERROR, NULL, "reloading %s failed: %.300s",
					      s->db, sbuf_str(&out));
		}
	}
	sbuf_release(&out);
	return rc;
}

/* ---- copies ---- */

/* Reads `from` (a command's stdout) and writes it into `to` (a command's stdin), logging the
 * bytes; stderr of `from` is kept in tail. */
static int pump(struct clone *c, struct estream *from, struct estream *to, const char *what,
		uint64_t *bytes, struct sbuf *tail, struct berr *err)
{
	size_t sz = 256 * 1024;
	char *buf = xmalloc(sz);
	uint64_t next = STEP;
	int rc = 0;
	for (;;) {
		int fd = 1;
		ssize_t r = estream_read(from, buf, sz, &fd, err);
		if (r < 0) {
			rc = -1;
			break;
		}
		if (r == 0)
			break;
		if (fd == 2) {
			if (tail->len > 8192)
				sbuf_reset(tail);
			sbuf_add(tail, buf, (size_t)r);
			continue;
		}
		if (estream_write(to, buf, (size_t)r, err) < 0) {
			rc = -1;
			break;
		}
		*bytes += (uint64_t)r;
		if (*bytes >= next) {
			char h[32];
			human(*bytes, h);
			job_log(c->j, "%s: %s streamed", what, h);
			next += STEP;
		}
		if (job_cancelled(c->j)) {
			rc = berr_set(err, BE_CONFLICT, NULL, "cancelled");
			break;
		}
	}
	free(buf);
	return rc;
}

/* Runs tx_argv in tx_container (on es) and rx_script in the target's helper (on ed), the first
 * one's output streamed into the second one's input. */
static int stream_copy(struct clone *c, const char *tx_container, const char *const *tx_argv,
		       const char *const *tx_env, const char *tx_user, const char *rx_script,
		       const char *const *rx_env, const char *what, uint64_t *bytes,
		       struct sbuf *rx_out, struct berr *err)
{
	const char *rx_argv[] = {"sh", "-c", rx_script, NULL};
	struct estream *rx = engine_exec_open(c->ed, c->helper_d, rx_argv, rx_env, "0", true, err);
	if (!rx)
		return -1;
	struct estream *tx = engine_exec_open(c->es, tx_container, tx_argv, tx_env, tx_user, false,
					      err);
	if (!tx) {
		estream_free(rx);
		return -1;
	}
	struct sbuf txtail = SBUF_INIT, rxtail = SBUF_INIT;
	*bytes = 0;
	int rc = pump(c, tx, rx, what, bytes, &txtail, err);
	int txcode = -1, rxcode = -1;
	struct berr e2 = {0};
	if (rc < 0) {
		estream_free(tx);
		estream_free(rx);
		goto out;
	}
	if (engine_exec_close(tx, &txcode, &txtail, err) < 0) {
		estream_free(rx);
		rc = -1;
		goto out;
	}
	if (estream_close_write(rx, err) < 0) {
		estream_free(rx);
		rc = -1;
		goto out;
	}
	/* what the receiver printed (its summary), then its exit code */
	char buf[4096];
	ssize_t r;
	int fd;
	while ((r = estream_read(rx, buf, sizeof buf, &fd, &e2)) > 0)
		if (fd == 1 && rx_out && rx_out->len < 65536)
			sbuf_add(rx_out, buf, (size_t)r);
	if (engine_exec_close(rx, &rxcode, &rxtail, err) < 0) {
		rc = -1;
		goto out;
	}
	if (txcode != 0)
		rc = berr_set(err, BE_INTERNAL_ERROR, NULL, "%s: the source side failed (%d): %.400s",
			      what, txcode, sbuf_str(&txtail));
	else if (rxcode != 0)
		rc = berr_set(err, BE_INTERNAL_ERROR, NULL, "%s: the target side failed (%d): %.400s",
			      what, rxcode, sbuf_str(&rxtail));
out:
	sbuf_release(&txtail);
	sbuf_release(&rxtail);
	return rc;
}

/* The helper on the target: the target's PostgreSQL volume and Odoo data mounted. */
static int target_helper(struct clone *c, struct berr *err)
{
	json_t *m = json_array();
	json_array_append_new(m, vol_mount(c->dst->vol_pg, PG_DATA, false));
	target_data_mounts(c, m);
	return helper_up(c->ed, c->helper_d, c->odoo_img_d, labels(c->dst, "clone"), m, NULL, err);
}

static int copy_db_same(struct clone *c, struct berr *err)
{
	char name[80];
	snprintf(name, sizeof name, "berth-%s-clone-db", c->dst->key);
	helper_remove(c->ed, name);
	char *net = xasprintf("container:%s", c->src->db);
	const char *envv[] = {"DATA=" PG_DATA, NULL};
	json_t *m = json_array();
	json_array_append_new(m, vol_mount(c->dst->vol_pg, PG_DATA, false));
	json_t *spec = json_pack("{s:s,s:s,s:[s,s,s],s:[s],s:o,s:{s:o,s:s}}", "Image", c->pg_img_d,
				 "User", "0", "Entrypoint", "sh", "-c", DB_SAME_SH, "Env", envv[0],
				 "Labels", labels(c->dst, "clone"), "HostConfig", "Mounts", m,
				 "NetworkMode", net);
	free(net);
	job_log(c->j, "base backup of %s (running, not stopped) into %s (pg_basebackup -X stream)",
		c->src->db, c->dst->vol_pg);
	int rc = engine_container_create(c->ed, name, spec, err);
	json_decref(spec);
	int code = -1;
	if (rc == 0)
		rc = engine_container_start(c->ed, name, err);
	if (rc == 0)
		rc = engine_container_wait(c->ed, name, &code, err);
	struct sbuf logs = SBUF_INIT;
	struct berr e2 = {0};
	engine_container_logs(c->ed, name, 20, &logs, &e2);
	if (rc == 0 && code != 0)
		rc = berr_set(err, BE_INTERNAL_ERROR, NULL, "the base backup failed (%d): %.400s", code,
			      sbuf_str(&logs));
	if (rc == 0)
		c->db_bytes = out_num(sbuf_str(&logs), "BYTES");
	sbuf_release(&logs);
	helper_remove(c->ed, name);
	return rc;
}

static int copy_db_stream(struct clone *c, struct berr *err)
{
	const char *tx[] = {"pg_basebackup", "-h", "/run/postgresql", "-U", "postgres", "-w", "-D",
			    "-", "-Ft", "-X", "fetch", "-c", "fast", NULL};
	const char *rx_env[] = {"DATA=" PG_DATA, NULL};
	job_log(c->j, "base backup of %s streamed from %s to %s (pg_basebackup -Ft -X fetch | tar -x)",
		c->src->db, c->src->server_id, c->dst->server_id);
	int rc = stream_copy(c, c->src->db, tx, NULL, "postgres", DB_RX_SH, rx_env, "database",
			     &c->db_bytes, NULL, err);
	if (rc == 0) {
		char h[32];
		human(c->db_bytes, h);
		job_log(c->j, "database: %s streamed", h);
	}
	return rc;
}

static int copy_fs_same(struct clone *c, struct berr *err)
{
	char *sdir = filestore_host_dir(c->es, c->src, err);
	char *ddir = sdir ? filestore_host_dir(c->ed, c->dst, err) : NULL;
	if (!ddir) {
		free(sdir);
		return -1;
	}
	char common[4096];
	common_dir(sdir, ddir, common, sizeof common);
	bool link = common[0] != '\0';
	json_t *m = json_array();
	target_data_mounts(c, m);
	char *src_in, *dst_in;
	if (link) {
		json_array_append_new(m, bind_mount(common, HOST_ROOT, false));
		src_in = xasprintf(HOST_ROOT "%s/%s", sdir + strlen(common), c->src->db_name);
		dst_in = xasprintf(HOST_ROOT "%s", ddir + strlen(common));
	} else {
		json_array_append_new(m, bind_mount(sdir, SRC_FS, true));
		src_in = xasprintf(SRC_FS "/%s", c->src->db_name);
		dst_in = xstrdup(c->dst->filestore_src ? FILESTORE_DIR : "/var/lib/odoo/filestore");
	}
	int rc = helper_up(c->ed, c->helper_d, c->odoo_img_d, labels(c->dst, "clone"), m, NULL, err);
	char *e_src = xasprintf("SRC=%s", src_in), *e_dst = xasprintf("DST=%s", dst_in),
	     *e_db = xasprintf("DB=%s", c->dst->db_name);
	const char *envv[] = {e_src, e_dst, e_db, link ? "LINK=1" : "LINK=0", NULL};
	job_log(c->j, "filestore %s/%s into %s/%s: %s", sdir, c->src->db_name, ddir,
		c->dst->db_name,
		link ? "hard links (a copy if the two are on different filesystems)"
		     : "a copy (no common parent directory)");
	struct sbuf out = SBUF_INIT;
	if (rc == 0)
		rc = helper_sh(c->ed, c->helper_d, FS_SAME_SH, envv, &out, "the filestore copy", err);
	if (rc == 0) {
		const char *mode = strstr(sbuf_str(&out), "MODE=hardlink") ? "hardlink" : "copy";
		c->fs_mode = mode;
		c->fs_files = out_num(sbuf_str(&out), "FILES");
		c->fs_bytes = out_num(sbuf_str(&out), "BYTES");
		char h[32];
		human(c->fs_bytes, h);
		job_log(c->j, "filestore: %" PRIu64 " files, %s (%s)", c->fs_files, h,
			str_eq(mode, "hardlink") ? "hard links: no data copied" : "copied");
	}
	sbuf_release(&out);
	free(e_src);
	free(e_dst);
	free(e_db);
	free(src_in);
	free(dst_in);
	free(sdir);
	free(ddir);
	return rc;
}

static int copy_fs_stream(struct clone *c, struct berr *err)
{
	/* the sender on the source's server: its filestore read-only */
	json_t *m = json_array();
	json_array_append_new(m, vol_mount(c->src->vol_data, "/var/lib/odoo", true));
	if (c->src->filestore_src)
		json_array_append_new(m, bind_mount(c->src->filestore_src, FILESTORE_DIR, true));
	if (helper_up(c->es, c->helper_s, c->pg_img_s, labels(c->dst, "clone"), m, NULL, err) < 0)
		return -1;
	char *e_src = xasprintf("SRC=%s/%s", FILESTORE_DIR, c->src->db_name);
	char *e_dst = xasprintf("DST=%s", FILESTORE_DIR), *e_db = xasprintf("DB=%s", c->dst->db_name);
	const char *tx_env[] = {e_src, NULL};
	const char *rx_env[] = {e_dst, e_db, NULL};
	const char *tx[] = {"sh", "-c", FS_TX_SH, NULL};
	job_log(c->j, "filestore streamed from %s to %s (tar)", c->src->server_id, c->dst->server_id);
	struct sbuf out = SBUF_INIT;
	int rc = stream_copy(c, c->helper_s, tx, tx_env, "0", FS_RX_SH, rx_env, "filestore",
			     &c->fs_bytes, &out, err);
	if (rc == 0) {
		c->fs_mode = "stream";
		c->fs_files = out_num(sbuf_str(&out), "FILES");
		char h[32];
		human(c->fs_bytes, h);
		job_log(c->j, "filestore: %" PRIu64 " files, %s streamed", c->fs_files, h);
	}
	sbuf_release(&out);
	helper_remove(c->es, c->helper_s);
	free(e_src);
	free(e_dst);
	free(e_db);
	return rc;
}

/* Stops the target's containers that use its data (Odoo first). */
static int stop_target(struct clone *c, struct berr *err)
{
	const char *order[] = {c->dst->ide, c->dst->odoo, c->dst->pgb, c->dst->replica, c->dst->db};
	for (size_t i = 0; i < ARRAY_SIZE(order); i++)
		if (running(c->ed, order[i])) {
			job_log(c->j, "stopping %s", order[i]);
			if (engine_container_stop(c->ed, order[i], 30, err) < 0)
				return -1;
		}
	return 0;
}

/* repair: only what an interrupted swap left (the live directories put back); else the
 * swap itself. */
static int swap_in(struct clone *c, bool repair, struct berr *err)
{
	char *e_dst = xasprintf("DST=%s", FILESTORE_DIR), *e_db = xasprintf("DB=%s", c->dst->db_name);
	const char *mode = repair ? "MODE=repair" : "MODE=swap";
	const char *db_env[] = {"DATA=" PG_DATA, mode, NULL};
	const char *fs_env[] = {e_dst, e_db, mode, NULL};
	int rc = helper_sh(c->ed, c->helper_d, DB_SWAP_SH, db_env, NULL, "the database swap", err);
	if (rc == 0)
		rc = helper_sh(c->ed, c->helper_d, FS_SWAP_SH, fs_env, NULL, "the filestore swap", err);
	if (rc == 0 && !repair)
		job_log(c->j, "the copied database and filestore are in place in %s", c->dst->name);
	free(e_dst);
	free(e_db);
	return rc;
}

/* The whole copy; the target's containers stopped only for the swap. */
static int copy_data(struct clone *c, struct berr *err)
{
	stage(c, "Connect to servers");
	c->es = engine_open_server(c->src->server_id, err);
	if (!c->es)
		return -1;
	c->same = str_eq(c->src->server_id, c->dst->server_id);
	c->ed = c->same ? c->es : engine_open_server(c->dst->server_id, err);
	if (!c->ed)
		return -1;
	job_log(c->j, "%s %s from %s (%s)", c->refresh ? "refreshing" : "cloning", c->dst->name,
		c->src->name, c->same ? "same server" : "across servers, streamed through berthd");
	stage(c, "Prepare");
	snprintf(c->helper_d, sizeof c->helper_d, "berth-%s-clone", c->dst->key);
	snprintf(c->helper_s, sizeof c->helper_s, "berth-%s-clone-src", c->dst->key);
	if (images_ensure(c->ed, c->j, IMG_POSTGRES, c->pg_img_d, sizeof c->pg_img_d, err) < 0)
		return -1;
	if (!c->same &&
	    images_ensure(c->es, c->j, IMG_POSTGRES, c->pg_img_s, sizeof c->pg_img_s, err) < 0)
		return -1;
	if (c->same)
		snprintf(c->pg_img_s, sizeof c->pg_img_s, "%s", c->pg_img_d);
	c->odoo_img_d = odoo_image(c->ed, c->j, c->dst, err);
	if (!c->odoo_img_d)
		return -1;
	/* server directories of the Odoo settings (external filestore) */
	if (settings_get_bool(c->src->settings, "external_filestore") &&
	    env_mounts(c->es, c->j, c->src, err) < 0)
		return -1;
	if (settings_get_bool(c->dst->settings, "external_filestore") &&
	    env_mounts(c->ed, c->j, c->dst, err) < 0)
		return -1;
	if (engine_network_ensure(c->ed, c->dst->net, labels(c->dst, "network"), err) < 0 ||
	    engine_volume_ensure(c->ed, c->dst->vol_pg, labels(c->dst, "db-data"), err) < 0 ||
	    engine_volume_ensure(c->ed, c->dst->vol_data, labels(c->dst, "odoo-data"), err) < 0 ||
	    engine_volume_ensure(c->ed, c->dst->vol_code, labels(c->dst, "code"), err) < 0)
		return -1;
	if (source_pg_ready(c, err) < 0)
		return -1;
	if (target_helper(c, err) < 0)
		return -1;
	/* what an interrupted swap of an earlier run left is put back first */
	if (swap_in(c, true, err) < 0)
		return -1;
	stage(c, "Copy database");
	if ((c->same ? copy_db_same(c, err) : copy_db_stream(c, err)) < 0)
		return -1;
	if (job_cancelled(c->j))
		return berr_set(err, BE_CONFLICT, NULL, "cancelled");
	stage(c, "Copy filestore");
	if (c->same) {
		/* the hard links' helper mounts differently: the target helper is made again */
		helper_remove(c->ed, c->helper_d);
		if (copy_fs_same(c, err) < 0)
			return -1;
		helper_remove(c->ed, c->helper_d);
		if (target_helper(c, err) < 0)
			return -1;
	} else if (copy_fs_stream(c, err) < 0) {
		return -1;
	}
	if (c->src_db_started) {
		struct berr e2 = {0};
		job_log(c->j, "stopping %s again", c->src->db);
		engine_container_stop(c->es, c->src->db, 30, &e2);
		c->src_db_started = false;
	}
	stage(c, "Swap");
	c->swapped = true;
	if (stop_target(c, err) < 0 || swap_in(c, false, err) < 0)
		return -1;
	helper_remove(c->ed, c->helper_d);
	return 0;
}

/* env_deploy's hook, after PostgreSQL started on the copy and before Odoo: the database's
 * name and password, neutralize, anonymize. */
static int before_odoo(struct engine *e, struct job *j, struct envrt *rt, struct berr *err)
{
	struct clone *c = rt->hook_cls;
	stage(c, "Prepare the copy");
	char *v_src = xasprintf("src=%s", c->src->db_name), *v_dst = xasprintf("dst=%s", rt->db_name),
	     *v_user = xasprintf("user=%s", DB_USER);
	const char *argv[] = {"psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h",
			      "/run/postgresql", "-U", "postgres", "-d", "postgres", "-v", v_src,
			      "-v", v_dst, "-v", v_user, "-f", "-", NULL};
	int rc = -1;
	struct estream *s = engine_exec_open(e, rt->db, argv, NULL, "postgres", true, err);
	if (s && estream_write(s, RENDER_CLONE_FIX_SQL, strlen(RENDER_CLONE_FIX_SQL), err) == 0 &&
	    estream_close_write(s, err) == 0) {
		struct sbuf out = SBUF_INIT;
		char buf[4096];
		ssize_t r;
		int fd;
		while ((r = estream_read(s, buf, sizeof buf, &fd, err)) > 0)
			if (out.len < 16384)
				sbuf_add(&out, buf, (size_t)r);
		int code = -1;
		if (r == 0 && engine_exec_close(s, &code, NULL, err) == 0) {
			s = NULL;
			rc = code == 0 ? 0
				       : berr_set(err, BE_INTERNAL_ERROR, NULL,
						  "preparing the copied database failed (%d): %.300s",
						  code, sbuf_str(&out));
		}
		sbuf_release(&out);
	}
	if (s)
		estream_free(s);
	free(v_src);
	free(v_dst);
	free(v_user);
	if (rc < 0)
		return -1;
	if (!str_eq(c->src->db_name, rt->db_name))
		job_log(j, "database %s renamed %s; role %s has %s's password", c->src->db_name,
			rt->db_name, DB_USER, rt->name);
	stage(c, "Neutralize");
	if (env_neutralize(e, j, rt, err) < 0)
		return -1;
	c->neutralized = true;
	if (c->anonymize) {
		stage(c, "Anonymize");
		if (env_anonymize(e, j, rt, c->keep_login, err) < 0)
			return -1;
		c->anonymized = true;
	}
	stage_rec(c, "Deploy");
	return 0;
}

static json_t *result_of(struct clone *c)
{
	return json_pack("{s:s,s:s,s:I,s:I,s:I,s:s,s:b,s:b,s:O}", "source_id", c->src->id, "mode",
			 c->same ? "same_server" : "cross_server", "database_bytes",
			 (json_int_t)c->db_bytes, "filestore_files", (json_int_t)c->fs_files,
			 "filestore_bytes", (json_int_t)c->fs_bytes, "filestore",
			 c->fs_mode ? c->fs_mode : (c->same ? "hardlink" : "stream"), "neutralized",
			 c->neutralized, "anonymized", c->anonymized, "seconds", c->seconds);
}

/* clone and refresh: params {"source_id" | "from", "anonymize", "keep_login"}. */
static int run(struct job *j, bool refresh, struct berr *err)
{
	const char *src_id = S(j->params, refresh ? "from" : "source_id");
	struct envrt dst, src;
	if (envrt_load(&dst, j->env_id, err) < 0)
		return -1;
	if (!src_id || envrt_load(&src, src_id, err) < 0) {
		if (!src_id)
			berr_set(err, BE_VALIDATION_ERROR, NULL, "the job names no source");
		else
			berr_set(err, BE_ENVIRONMENT_NOT_FOUND, NULL,
				 "the source environment no longer exists");
		if (!refresh)
			env_status(dst.id, "error", err->message);
		envrt_free(&dst);
		return -1;
	}
	struct clone c = {.j = j, .src = &src, .dst = &dst, .refresh = refresh,
			  .anonymize = json_is_true(json_object_get(j->params, "anonymize")),
			  .keep_login = S(j->params, "keep_login"), .seconds = json_object(),
			  .stage_t0 = now_ms()};
	int rc = -1;
	if (!refresh)
		env_status(dst.id, "deploying", NULL);
	if (refresh && dst.replica_on) {
		berr_set(err, BE_CONFLICT, NULL,
			 "%s has a read replica: turn it off before a refresh (the replica would be"
			 " rebuilt from the old data)", dst.name);
		goto done;
	}
	if (refresh && str_eq(dst.type, "staging")) {
		json_t *plan = model_org_plan(dst.env.org_id);
		bool backups = json_is_true(json_object_get(plan, "allow_backup"));
		json_decref(plan);
		if (backups) {
			stage(&c, "Safety backup");
			struct engine *e = engine_open_server(dst.server_id, err);
			char bid[37];
			int b = e && running(e, dst.db) ? backup_safety(e, j, &dst, bid, err) : 1;
			if (e)
				engine_close(e);
			if (b < 0) {
				berr_set(err, err->code, NULL,
					 "the safety backup failed, nothing was refreshed: %s", err->message);
				goto done;
			}
			if (b == 0)
				job_log(j, "safety backup %s: to undo this refresh, restore it (berth backup"
					   " restore %s)", bid, bid);
			else
				job_log(j, "no safety backup: %s's database does not run", dst.name);
		}
	}
	if (copy_data(&c, err) < 0)
		goto done;
	/* the target's code state is the source's: the deploy updates the modules that differ
	 * between the source's code and the target's branch */
	free(dst.env.deployed_commit);
	dst.env.deployed_commit = src.env.deployed_commit ? xstrdup(src.env.deployed_commit) : NULL;
	json_decref(dst.env.deployed_addons);
	dst.env.deployed_addons = json_incref(src.env.deployed_addons);
	dst.deployed_before = true;
	dst.before_odoo = before_odoo;
	dst.hook_cls = &c;
	if (c.ed != c.es)
		engine_close(c.ed);
	engine_close(c.es);
	c.es = c.ed = NULL;
	env_status(dst.id, "deploying", NULL);
	stage_rec(&c, "Deploy");
	rc = env_deploy(j, &dst, false, err);
	stage_rec(&c, NULL);
	if (rc == 0) {
		env_set_deployed(dst.id);
		code_record(j, &dst);
		clones_set_source(dst.id, src.id);
		env_status(dst.id, "running", NULL);
		job_result(j, result_of(&c));
		job_log(j, "%s is a%s copy of %s", dst.name, c.neutralized ? " neutralized" : "",
			src.name);
	}
done:
	if (c.es || c.ed) {
		if (c.src_db_started) {
			struct berr e2 = {0};
			engine_container_stop(c.es, src.db, 30, &e2);
		}
		if (c.ed)
			helper_remove(c.ed, c.helper_d);
		if (c.es)
			helper_remove(c.es, c.helper_s);
		if (c.ed && c.ed != c.es)
			engine_close(c.ed);
		if (c.es)
			engine_close(c.es);
	}
	/* a refresh that failed before its swap changed nothing: the target keeps its status */
	if (rc < 0 && (!refresh || c.swapped))
		env_status(dst.id, "error", err->message);
	free(c.odoo_img_d);
	json_decref(c.seconds);
	envrt_free(&src);
	envrt_free(&dst);
	return rc;
}

static int job_clone(struct job *j, struct berr *err)
{
	return run(j, false, err);
}

static int job_refresh(struct job *j, struct berr *err)
{
	return run(j, true, err);
}

void ops_register_clone(void)
{
	queue_register("clone", job_clone);
	queue_register("refresh", job_refresh);
}
