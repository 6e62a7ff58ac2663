/* env_mounts.c: the Odoo sub-tab's server directories: shared addons (mounted read-only at
 * SHARED_ADDONS_DIR, added to addons_path) and the external filestore (mounted at
 * FILESTORE_DIR, owned by the Odoo image's user), and the PostgreSQL extensions.
 *
 * What a tenant may mount: only a directory inside its organization's directory on the
 * server, <mounts_root>/<org-slug>/ (mounts_root: a server setting, /srv/berth by default,
 * that only the server's owner changes), checked twice: as written (no "." or ".." segment,
 * core/settings.c) and as the server resolves it. The resolution runs in a throw-away
 * container of berth's PostgreSQL image that has mounts_root bind-mounted read-only at the
 * same path and no network: `realpath -e -- PATH` (argv only) follows every symlink the way
 * the server would, an absolute link out of mounts_root lands in the container's own files
 * and is refused, and the resolved path, not the one written, is what the Odoo container
 * mounts. On berthd's own host (a local server) a path that holds or is inside berthd's data
 * directory or the Docker socket is refused too. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/settings.h"
#include "lib/valid.h"
#include "ops/env_int.h"
#include "render/render.h"
#include "store/orgs.h"
#include "store/servers.h"

/* a is b or inside it */
static bool within(const char *a, const char *b)
{
	size_t n = strlen(b);
	return strncmp(a, b, n) == 0 && (a[n] == '\0' || a[n] == '/' || (n == 1 && b[0] == '/'));
}

struct helper {
	struct engine *e;
	char name[64];
};

static int helper_start(struct engine *e, struct envrt *rt, const char *suffix, const char *image,
			json_t *mounts, struct helper *h, struct berr *err)
{
	h->e = e;
	snprintf(h->name, sizeof h->name, "berth-%s-%s", rt->key, suffix);
	engine_container_remove(e, h->name, err); /* a leftover of an interrupted job */
	json_t *spec = json_pack("{s:s,s:o,s:[s],s:[s],s:s,s:{s:s,s:o}}", "Image", image, "Labels",
				 labels(rt, suffix), "Entrypoint", "sleep", "Cmd", "600", "User", "root",
				 "HostConfig", "NetworkMode", "none", "Mounts", mounts);
	int rc = engine_container_create(e, h->name, spec, err);
	json_decref(spec);
	if (rc == 0)
		rc = engine_container_start(e, h->name, err);
	if (rc < 0) {
		struct berr e2 = {0};
		engine_container_remove(e, h->name, &e2);
	}
	return rc;
}

static void helper_stop(struct helper *h)
{
	struct berr e2 = {0};
	engine_container_remove(h->e, h->name, &e2);
}

/* Runs argv in the helper: its exit code (-1: could not run), output in out. */
static int helper_run(struct helper *h, const char *const *argv, struct sbuf *out)
{
	int code = -1;
	struct berr e2 = {0};
	sbuf_reset(out);
	if (engine_exec(h->e, h->name, argv, "root", &code, out, &e2) < 0)
		return -1;
	while (out->len && (out->buf[out->len - 1] == '\n' || out->buf[out->len - 1] == '\r'))
		out->buf[--out->len] = '\0';
	return code;
}

/* One setting's directory, resolved: 0 and *resolved, or -1 with err naming key. */
static int resolve(struct helper *h, const char *key, const char *path, const char *scope,
		   bool local, const char *socket, char **resolved, struct berr *err)
{
	const char *what = str_eq(key, "server_shared_addons_path") ? "the shared addons directory"
								      : "the filestore directory";
	if (!path || !*path)
		return berr_set(err, BE_VALIDATION_ERROR, key, "%s: set %s (a directory under %s/)", key,
				what, scope);
	if (!valid_server_dir(path) || !within(path, scope) || str_eq(path, scope))
		return berr_set(err, BE_VALIDATION_ERROR, key,
				"%s: %s must be inside this organization's directory on the server, %s/"
				" (the server's mounts_root and the organization's slug)", key, path, scope);
	struct sbuf out = SBUF_INIT;
	const char *rp[] = {"realpath", "-e", "--", path, NULL};
	int code = helper_run(h, rp, &out);
	if (code != 0) {
		int rc = berr_set(err, BE_VALIDATION_ERROR, key, "%s: %s does not exist on the server%s",
				  key, path, code < 0 ? " (it could not be checked)" : "");
		sbuf_release(&out);
		return rc;
	}
	char *real = xstrdup(sbuf_str(&out));
	if (!valid_server_dir(real) || !within(real, scope) || str_eq(real, scope)) {
		berr_set(err, BE_VALIDATION_ERROR, key,
			 "%s: %s leads out of this organization's directory %s/ on the server (a"
			 " symbolic link): refused", key, path, scope);
		goto bad;
	}
	if (local) {
		/* berthd's own host: never its data directory or the Docker socket */
		char dd[PATH_MAX];
		const char *data = berth_cfg.data_dir && realpath(berth_cfg.data_dir, dd) ? dd : NULL;
		if ((data && (within(real, data) || within(data, real))) ||
		    (socket && within(socket, real))) {
			berr_set(err, BE_VALIDATION_ERROR, key,
				 "%s: %s holds berth's own files on this server: refused", key, path);
			goto bad;
		}
	}
	const char *td[] = {"test", "-d", real, NULL};
	if (helper_run(h, td, &out) != 0) {
		berr_set(err, BE_VALIDATION_ERROR, key, "%s: %s is not a directory on the server", key,
			 path);
		goto bad;
	}
	if (str_eq(key, "server_shared_addons_path")) {
		/* Odoo refuses an addons path entry without a module */
		const char *fm[] = {"find", real, "-mindepth", "2", "-maxdepth", "2", "-name",
				    "__manifest__.py", "-print", "-quit", NULL};
		if (helper_run(h, fm, &out) != 0 || out.len == 0) {
			berr_set(err, BE_VALIDATION_ERROR, key,
				 "%s: %s holds no Odoo module (a directory with a __manifest__.py): Odoo"
				 " refuses such an addons path", key, path);
			goto bad;
		}
	}
	sbuf_release(&out);
	*resolved = real;
	return 0;
bad:
	sbuf_release(&out);
	free(real);
	return -1;
}

int env_mounts(struct engine *e, struct job *j, struct envrt *rt, struct berr *err)
{
	if (rt->mounts_checked)
		return 0;
	bool addons = settings_get_bool(rt->settings, "server_shared_addons");
	bool fs = settings_get_bool(rt->settings, "external_filestore");
	if (!addons && !fs) {
		rt->mounts_checked = true;
		return 0;
	}
	char *root = servers_mounts_root(rt->server_id);
	char *slug = orgs_slug(rt->env.org_id);
	struct server_row srv;
	bool have_srv = servers_get(rt->server_id, &srv) == 0;
	bool local = have_srv && str_eq(srv.transport, "local");
	char *scope = xasprintf("%s/%s", root ? root : SERVER_DEFAULT_MOUNTS_ROOT,
				slug ? slug : rt->env.org_id);
	int rc = -1;
	char img[160];
	struct helper h = {0};
	if (pg_image(e, j, rt, img, sizeof img, err) < 0)
		goto out;
	job_log(j, "checking the server directories under %s/", scope);
	json_t *mounts = json_pack("[{s:s,s:s,s:s,s:b}]", "Type", "bind", "Source",
				   root ? root : SERVER_DEFAULT_MOUNTS_ROOT, "Target",
				   root ? root : SERVER_DEFAULT_MOUNTS_ROOT, "ReadOnly", 1);
	struct berr he = {0};
	if (helper_start(e, rt, "mounts", img, mounts, &h, &he) < 0) {
		berr_set(err, BE_VALIDATION_ERROR, addons ? "server_shared_addons_path"
							  : "external_filestore_path",
			 "the server's mounts_root %s cannot be used (%s): create it on the server, with"
			 " the organization's directory %s", root ? root : SERVER_DEFAULT_MOUNTS_ROOT,
			 he.message, scope);
		goto out;
	}
	if (addons && resolve(&h, "server_shared_addons_path",
			      settings_get_str(rt->settings, "server_shared_addons_path"), scope, local,
			      have_srv ? srv.docker_socket : NULL, &rt->shared_addons_src, err) < 0)
		goto out;
	if (fs && resolve(&h, "external_filestore_path",
			  settings_get_str(rt->settings, "external_filestore_path"), scope, local,
			  have_srv ? srv.docker_socket : NULL, &rt->filestore_src, err) < 0)
		goto out;
	if (rt->shared_addons_src && rt->filestore_src &&
	    (within(rt->shared_addons_src, rt->filestore_src) ||
	     within(rt->filestore_src, rt->shared_addons_src))) {
		berr_set(err, BE_VALIDATION_ERROR, "external_filestore_path",
			 "external_filestore_path: the filestore and the shared addons directories must"
			 " not hold one another");
		goto out;
	}
	if (rt->shared_addons_src)
		job_log(j, "shared addons: %s (read-only, at %s)", rt->shared_addons_src,
			SHARED_ADDONS_DIR);
	if (rt->filestore_src)
		job_log(j, "filestore: %s (at %s)", rt->filestore_src, FILESTORE_DIR);
	rt->mounts_checked = true;
	rc = 0;
out:
	if (h.e)
		helper_stop(&h);
	if (have_srv)
		server_row_free(&srv);
	free(scope);
	free(slug);
	free(root);
	return rc;
}

/* The source of the running Odoo container's mount at target, NULL when none. */
static char *mounted(json_t *c, const char *target)
{
	size_t i;
	json_t *m;
	json_array_foreach(json_object_get(c, "Mounts"), i, m)
		if (str_eq(S(m, "Destination"), target) && str_eq(S(m, "Type"), "bind"))
			return xstrdup(S(m, "Source"));
	return NULL;
}

void env_mounts_from_container(struct engine *e, struct envrt *rt)
{
	json_t *c = engine_container_inspect(e, rt->odoo);
	free(rt->shared_addons_src);
	free(rt->filestore_src);
	rt->shared_addons_src = mounted(c, SHARED_ADDONS_DIR);
	rt->filestore_src = mounted(c, FILESTORE_DIR);
	rt->mounts_checked = true;
	json_decref(c);
}

void env_mounts_add(const struct envrt *rt, json_t *mounts)
{
	if (rt->shared_addons_src)
		json_array_append_new(mounts, json_pack("{s:s,s:s,s:s,s:b}", "Type", "bind", "Source",
							rt->shared_addons_src, "Target",
							SHARED_ADDONS_DIR, "ReadOnly", 1));
	if (rt->filestore_src)
		json_array_append_new(mounts, json_pack("{s:s,s:s,s:s}", "Type", "bind", "Source",
							rt->filestore_src, "Target", FILESTORE_DIR));
}

static bool empty_dir(struct helper *h, const char *dir, struct sbuf *out)
{
	const char *f[] = {"find", dir, "-mindepth", "1", "-maxdepth", "1", "-print", "-quit", NULL};
	int code = helper_run(h, f, out);
	return code != 0 || out->len == 0; /* missing counts as empty */
}

int env_filestore_prepare(struct engine *e, struct job *j, struct envrt *rt, const char *image,
			  struct berr *err)
{
	json_t *c = engine_container_inspect(e, rt->odoo);
	bool exists = c != NULL;
	char *old = c ? mounted(c, FILESTORE_DIR) : NULL;
	bool running = c && json_is_true(json_object_get(json_object_get(c, "State"), "Running"));
	json_decref(c);
	const char *nw = rt->filestore_src;
	/* where the filestore is: the volume (NULL) or a server directory; an environment never
	 * deployed has nothing to move */
	bool move = exists && rt->deployed_before && !str_eq(old ? old : "", nw ? nw : "");
	if (!move && !nw) {
		free(old);
		return 0;
	}
	/* the image's user ("odoo", "100", "odoo:odoo"; "" for root) owns the filestore */
	json_t *info = env_image_inspect(e, image);
	const char *iu = S(json_object_get(info, "Config"), "User");
	char *user = xstrndup(iu ? iu : "", iu ? strcspn(iu, ":") : 0);
	json_t *mounts = json_pack("[{s:s,s:s,s:s}]", "Type", "volume", "Source", rt->vol_data,
				   "Target", "/var/lib/odoo");
	if (old)
		json_array_append_new(mounts, json_pack("{s:s,s:s,s:s}", "Type", "bind", "Source", old,
							"Target", "/mnt/berth-old"));
	if (nw)
		json_array_append_new(mounts, json_pack("{s:s,s:s,s:s}", "Type", "bind", "Source", nw,
							"Target", "/mnt/berth-new"));
	const char *src = old ? "/mnt/berth-old" : FILESTORE_DIR;
	const char *dst = nw ? "/mnt/berth-new" : FILESTORE_DIR;
	bool stopped = false;
	struct helper h = {0};
	struct sbuf out = SBUF_INIT;
	int rc = -1;
	if (helper_start(e, rt, "filestore", image, mounts, &h, err) < 0) {
		mounts = NULL;
		goto out;
	}
	mounts = NULL;
	/* refused before Odoo is touched: the new place must be empty */
	move = move && !empty_dir(&h, src, &out);
	if (move && !empty_dir(&h, dst, &out)) {
		berr_set(err, BE_CONFLICT, "external_filestore_path",
			 "external_filestore_path: the filestore cannot move to %s: it already holds"
			 " files (%s); empty it or choose another directory",
			 nw ? nw : "the environment's volume", sbuf_str(&out));
		goto out;
	}
	if (move && running) {
		job_log(j, "stopping %s: its filestore moves", rt->odoo);
		if (engine_container_stop(e, rt->odoo, 30, err) < 0)
			goto out;
		stopped = true;
		rt->odoo_touched = true;
	}
	if (move) {
		job_log(j, "moving the filestore from %s to %s", old ? old : "the environment's volume",
			nw ? nw : "the environment's volume");
		const char *mk[] = {"mkdir", "-p", dst, NULL};
		char *from = xasprintf("%s/.", src);
		const char *cp[] = {"cp", "-a", "--", from, dst, NULL};
		const char *rm[] = {"find", src, "-mindepth", "1", "-delete", NULL};
		int code = helper_run(&h, mk, &out);
		if (code == 0)
			code = helper_run(&h, cp, &out);
		free(from);
		if (code != 0) {
			berr_set(err, BE_INTERNAL_ERROR, "external_filestore_path",
				 "moving the filestore failed: %.300s", sbuf_str(&out));
			goto out;
		}
		if (helper_run(&h, rm, &out) != 0)
			job_log(j, "warning: the old filestore was copied but not emptied: %.300s",
				sbuf_str(&out));
	}
	if ((nw || move) && *user) {
		char *owner = xasprintf("%s:", user);
		const char *ch[] = {"find", dst, "!", "-user", user, "-exec", "chown", "-h", owner, "{}",
				    "+", NULL};
		int code = helper_run(&h, ch, &out);
		free(owner);
		if (code != 0) {
			berr_set(err, BE_INTERNAL_ERROR, "external_filestore_path",
				 "external_filestore_path: cannot give %s to the Odoo user %s: %.300s",
				 nw ? nw : "the filestore", user, sbuf_str(&out));
			goto out;
		}
	}
	rc = 0;
out:
	json_decref(mounts);
	json_decref(info);
	if (h.e)
		helper_stop(&h);
	if (rc < 0 && stopped) {
		struct berr e2 = {0};
		job_log(j, "starting %s again: it keeps its filestore", rt->odoo);
		engine_container_start(e, rt->odoo, &e2);
	}
	sbuf_release(&out);
	free(user);
	free(old);
	return rc;
}

int env_extensions(struct engine *e, struct job *j, struct envrt *rt, struct berr *err)
{
	json_t *list = json_object_get(rt->settings, "postgres_extensions");
	size_t i;
	json_t *v;
	json_array_foreach(list, i, v) {
		char *sql = render_pg_create_extension_sql(json_string_value(v), err);
		if (!sql)
			return -1;
		const char *argv[] = {"psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "/run/postgresql",
				      "-U", "postgres", "-d", rt->db_name, "-c", sql, NULL};
		int code = -1;
		struct sbuf out = SBUF_INIT;
		int rc = engine_exec(e, rt->db, argv, "postgres", &code, &out, err);
		free(sql);
		if (rc == 0 && code != 0)
			rc = berr_set(err, BE_VALIDATION_ERROR, "postgres_extensions",
				      "postgres_extensions: %s cannot be created (%.300s); an extension"
				      " outside PostgreSQL's contrib needs its Debian package in the"
				      " Packages settings (postgres_packages, e.g. postgresql-%d-postgis-3)",
				      json_string_value(v), sbuf_str(&out), RENDER_PG_PARAMS_MAJOR);
		sbuf_release(&out);
		if (rc < 0)
			return -1;
		job_log(j, "extension %s: present", json_string_value(v));
	}
	return 0;
}
