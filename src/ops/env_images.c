/* env_images.c: the images an environment's containers run: the configured Odoo image and
 * berth's PostgreSQL image, or, when the Packages settings list Debian packages, an image
 * derived from them per environment (FROM the base image's id, apt-get install of the list).
 * A derived image is tagged berth/env-<key>-<role>:<hash of the base image id and the list>:
 * an unchanged base and list reuse it, a change builds a new one. Built before any container
 * is replaced (the deploy's "Images" stage): a failed build fails the deploy and leaves the
 * running containers as they are. */
#include <string.h>
#include <sodium.h>

#include "core/settings.h"
#include "ops/env_int.h"
#include "ops/images.h"
#include "ops/ops.h"
#include "render/render.h"

/* Percent-encodes an image reference for a request path. */
static char *path_esc(const char *s)
{
	struct sbuf sb = SBUF_INIT;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr("-._~", *p))
			sbuf_addc(&sb, (char)*p);
		else
			sbuf_addf(&sb, "%%%02X", *p);
	}
	return sbuf_detach(&sb);
}

json_t *env_image_inspect(struct engine *e, const char *ref)
{
	char *r = path_esc(ref);
	char *path = xasprintf("/images/%s/json", r);
	int status = 0;
	json_t *reply = NULL;
	struct berr err = {0};
	engine_call(e, "GET", path, NULL, &status, &reply, &err);
	free(path);
	free(r);
	if (status != 200) {
		json_decref(reply);
		return NULL;
	}
	return reply;
}

static void build_line(void *cls, const char *line)
{
	struct job *j = cls;
	if (line && *line)
		job_log(j, "  %s", line);
}

/* The packages of a Packages setting as a C array (borrowed from settings). */
static size_t package_list(struct envrt *rt, const char *key, const char ***out)
{
	json_t *a = json_object_get(rt->settings, key);
	size_t n = json_is_array(a) ? json_array_size(a) : 0;
	*out = n ? xmalloc(n * sizeof **out) : NULL;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const char *p = json_string_value(json_array_get(a, i));
		if (p && *p)
			(*out)[k++] = p;
	}
	return k;
}

/* base with the packages of setting key installed: its tag, built unless it exists. Caller
 * frees. */
static char *derived(struct engine *e, struct job *j, struct envrt *rt, const char *base,
		     const char *role, const char *key, struct berr *err)
{
	const char **pk;
	size_t n = package_list(rt, key, &pk);
	json_t *info = env_image_inspect(e, base);
	const char *id = S(info, "Id");
	const char *user = S(json_object_get(info, "Config"), "User");
	char *out = NULL;
	if (!id) {
		berr_set(err, BE_INTERNAL_ERROR, NULL, "the image %s is not on the server", base);
		goto done;
	}
	char *df = render_derived_dockerfile(id, user ? user : "", pk, n, rt->id, role, err);
	if (!df)
		goto done;
	/* the tag: the base image's id and the Dockerfile (which holds the list) */
	unsigned char h[6];
	crypto_generichash(h, sizeof h, (const unsigned char *)df, strlen(df), NULL, 0);
	char hex[13];
	sodium_bin2hex(hex, sizeof hex, h, sizeof h);
	out = xasprintf("berth/env-%s-%s:%s", rt->key, role, hex);
	if (engine_image_exists(e, out)) {
		job_log(j, "%s image with the packages (%zu): %s, built before", role, n, out);
	} else {
		job_log(j, "building %s: %s with %zu Debian package(s)", out, base, n);
		struct efile files[] = {{"Dockerfile", df, strlen(df), 0644}};
		struct sbuf ctx = SBUF_INIT;
		engine_tar(files, 1, &ctx);
		struct berr be = {0};
		if (engine_image_build(e, out, &ctx, build_line, j, &be) < 0) {
			const char *why = strstr(be.message, "returned a non-zero code");
			berr_set(err, BE_INTERNAL_ERROR, key,
				 "building the %s image with the packages of %s failed (apt-get %s; see the"
				 " build log above)", role, key,
				 why ? "could not install them" : be.message);
			free(out);
			out = NULL;
		}
		sbuf_release(&ctx);
	}
	free(df);
done:
	json_decref(info);
	free(pk);
	return out;
}

/* The Odoo image of the version, pulled when missing, with the odoo_packages when there are
 * some (checked once per job). Caller frees. */
char *odoo_image(struct engine *e, struct job *j, struct envrt *rt, struct berr *err)
{
	if (rt->odoo_img)
		return xstrdup(rt->odoo_img);
	char *image = ops_odoo_image(rt->version);
	if (!engine_image_exists(e, image)) {
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
	const char **pk;
	size_t n = package_list(rt, "odoo_packages", &pk);
	free(pk);
	if (n) {
		char *d = derived(e, j, rt, image, "odoo", "odoo_packages", err);
		free(image);
		if (!d)
			return NULL;
		image = d;
	}
	rt->odoo_img = xstrdup(image);
	return image;
}

int pg_image(struct engine *e, struct job *j, struct envrt *rt, char *out, size_t len,
	     struct berr *err)
{
	if (rt->pg_img) {
		snprintf(out, len, "%s", rt->pg_img);
		return 0;
	}
	char img[128];
	if (images_ensure(e, j, IMG_POSTGRES, img, sizeof img, err) < 0)
		return -1;
	const char **pk;
	size_t n = package_list(rt, "postgres_packages", &pk);
	free(pk);
	char *d = n ? derived(e, j, rt, img, "postgres", "postgres_packages", err) : xstrdup(img);
	if (!d)
		return -1;
	snprintf(out, len, "%s", d);
	rt->pg_img = d;
	return 0;
}

int env_images(struct engine *e, struct job *j, struct envrt *rt, struct berr *err)
{
	char pg[160];
	char *odoo = odoo_image(e, j, rt, err);
	if (!odoo)
		return -1;
	free(odoo);
	return pg_image(e, j, rt, pg, sizeof pg, err);
}

/* The environment's derived images (label berth.env), as [{id, tags}]. */
static json_t *derived_list(struct engine *e, struct envrt *rt)
{
	json_t *f = json_pack("{s:[s]}", "label", "");
	json_array_set_new(json_object_get(f, "label"), 0, json_sprintf("berth.env=%s", rt->id));
	char *fs = json_dumps(f, JSON_COMPACT);
	json_decref(f);
	char *fe = path_esc(fs);
	char *path = xasprintf("/images/json?filters=%s", fe);
	int status = 0;
	json_t *reply = NULL;
	struct berr err = {0};
	engine_call(e, "GET", path, NULL, &status, &reply, &err);
	free(path);
	free(fe);
	free(fs);
	if (status != 200 || !json_is_array(reply)) {
		json_decref(reply);
		return json_array();
	}
	return reply;
}

static bool tagged(json_t *img, const char *tag)
{
	size_t i;
	json_t *t;
	json_array_foreach(json_object_get(img, "RepoTags"), i, t)
		if (str_eq(json_string_value(t), tag))
			return true;
	return false;
}

void env_images_prune(struct engine *e, struct job *j, struct envrt *rt, bool all)
{
	json_t *imgs = derived_list(e, rt);
	size_t i;
	json_t *img;
	json_array_foreach(imgs, i, img) {
		if (!all && ((rt->odoo_img && tagged(img, rt->odoo_img)) ||
			     (rt->pg_img && tagged(img, rt->pg_img))))
			continue;
		const char *id = S(img, "Id");
		const char *name = json_string_value(json_array_get(json_object_get(img, "RepoTags"), 0));
		if (!id)
			continue;
		char *ie = path_esc(id);
		char *path = xasprintf("/images/%s?force=1", ie);
		int status = 0;
		struct berr err = {0};
		/* force: all of the image's tags go; an image one of the environment's containers
		 * still runs stays (a later deploy or the removal takes it) */
		json_t *reply = NULL;
		bool used = false;
		json_t *cs = engine_list_labeled(e, "containers", "berth.env", rt->id);
		size_t k;
		json_t *c;
		json_array_foreach(cs, k, c) {
			json_t *ci = engine_container_inspect(e, json_string_value(c));
			used = used || str_eq(S(ci, "Image"), id);
			json_decref(ci);
		}
		json_decref(cs);
		if (!used) {
			engine_call(e, "DELETE", path, NULL, &status, &reply, &err);
			if (status == 200)
				job_log(j, "removed the image %s", name ? name : id);
		}
		json_decref(reply);
		free(path);
		free(ie);
	}
	json_decref(imgs);
}
