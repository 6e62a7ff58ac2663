/* env_code.c: the Code stage: the project's branch and the addon repositories, planned in
 * the mirror and uploaded into the code volume. */
#include <string.h>
#include <sodium.h>

#include "core/modules.h"
#include "core/repo.h"
#include "ops/env_int.h"
#include "store/envs.h"

/* Modules of one repository changed between the deployed commit and the new one (whose files
 * are af). */
static void changed_in(struct job *j, const char *mirror, const char *before, const char *after,
		       json_t *af, const char *label, json_t *set)
{
	if (!before || str_eq(before, after))
		return;
	json_t *bf = git_tree_files(mirror, before);
	json_t *ch = bf && af ? git_changed_files(mirror, before, after) : NULL;
	if (!ch) {
		job_log(j, "%s: the deployed commit %.7s is not in the repository any more: no module"
			   " update", label, before);
	} else {
		json_t *mods = modules_changed(bf, af, ch);
		size_t i;
		json_t *m;
		json_array_foreach(mods, i, m)
			json_object_set_new(set, json_string_value(m), json_true());
		json_decref(mods);
	}
	json_decref(bf);
	json_decref(ch);
}

/* One source of code: its directories with modules go on the addons path, its changed
 * modules into set, and it is queued for upload under base. */
static void add_source(struct job *j, struct envrt *rt, struct sbuf *path, const char *mirror,
		       const char *commit, const char *before, const char *base, const char *label,
		       json_t *set)
{
	json_t *files = git_tree_files(mirror, commit);
	json_t *dirs = modules_addons_dirs(files);
	size_t i;
	json_t *d;
	json_array_foreach(dirs, i, d) {
		const char *dir = json_string_value(d);
		sbuf_addf(path, "%s%s%s%s", path->len ? "," : "", base, *dir ? "/" : "", dir);
	}
	json_decref(dirs);
	json_array_append_new(rt->sources, json_pack("{s:s,s:s,s:s}", "mirror", mirror, "commit",
						     commit, "prefix", base + strlen(CODE_DIR) + 1));
	changed_in(j, mirror, before, commit, files, label, set);
	json_decref(files);
}

/* Fetches the project's branch and the addon repositories, resolves their commits, and works
 * out the addons path and the modules to update. No change on the server. */
static int code_plan(struct job *j, struct envrt *rt, struct berr *err)
{
	struct prepo pr;
	if (prepo_load(&pr, rt->env.project_id, err) < 0)
		return -1;
	json_t *addons = rt->env.addon_repositories;
	rt->has_code = pr.url || json_array_size(addons) > 0;
	if (!rt->has_code) {
		prepo_free(&pr);
		return 0;
	}
	int rc = -1;
	rt->addon_commits = json_object();
	rt->sources = json_array();
	json_t *set = json_object();
	struct sbuf path = SBUF_INIT;
	crypto_generichash_state st;
	crypto_generichash_init(&st, NULL, 0, 6);
	char base[96];
	const char *branch = rt->env.git_branch;
	if (pr.url) {
		job_log(j, "fetching %s", pr.url);
		if (prepo_sync(&pr, 0, err) < 0)
			goto out;
		rt->commit = git_resolve(pr.mirror, branch, true);
		if (!rt->commit) {
			berr_set(err, BE_CONFLICT, "git_branch",
				 "the branch '%s' does not exist in the project's repository", branch);
			goto out;
		}
		json_t *top = git_log(pr.mirror, rt->commit, 1);
		job_log(j, "%s at %.7s: %s", branch, rt->commit,
			json_string_value(json_object_get(json_array_get(top, 0), "message")));
		json_decref(top);
		crypto_generichash_update(&st, (const unsigned char *)rt->commit, 40);
	}
	size_t i;
	json_t *a;
	json_array_foreach(addons, i, a) {
		const char *url = S(a, "url"), *abranch = S(a, "branch"), *pin = S(a, "commit");
		char mirror[PATH_MAX];
		struct git_remote rm;
		prepo_addon(&pr, url, mirror, &rm);
		job_log(j, "fetching addon repository %s (%s%s%s)", url, pin ? "commit " : "",
			pin ? pin : "branch ", pin ? "" : abranch);
		if (!mirror[0] || git_fetch(mirror, &rm, err) < 0) {
			if (!err->message[0])
				berr_set(err, BE_INTERNAL_ERROR, NULL, "cannot fetch %s", url);
			goto out;
		}
		char *c = pin ? git_resolve(mirror, pin, false) : git_resolve(mirror, abranch, true);
		if (!c && pin && git_fetch_commit(mirror, &rm, pin, err) == 0)
			c = git_resolve(mirror, pin, false);
		if (!c) {
			if (!err->message[0] || !pin)
				berr_set(err, BE_CONFLICT, "addon_repositories",
					 "addon repository %s: %s '%s' not found", url,
					 pin ? "commit" : "branch", pin ? pin : abranch);
			goto out;
		}
		job_log(j, "addon repository %s at %.7s", url, c);
		json_object_set_new(rt->addon_commits, url, json_string(c));
		crypto_generichash_update(&st, (const unsigned char *)url, strlen(url) + 1);
		crypto_generichash_update(&st, (const unsigned char *)c, 40);
		free(c);
	}
	unsigned char h[6];
	crypto_generichash_final(&st, h, sizeof h);
	sodium_bin2hex(rt->rev, sizeof rt->rev, h, sizeof h);
	/* sources and the addons path, in a stable order: the project, then the addon
	 * repositories as listed */
	if (pr.url) {
		snprintf(base, sizeof base, "%s/%s/project", CODE_DIR, rt->rev);
		add_source(j, rt, &path, pr.mirror, rt->commit, rt->env.deployed_commit, base,
			   "project", set);
	}
	json_t *prev = rt->env.deployed_addons;
	json_array_foreach(addons, i, a) {
		const char *url = S(a, "url");
		char mirror[PATH_MAX];
		struct git_remote rm;
		prepo_addon(&pr, url, mirror, &rm);
		snprintf(base, sizeof base, "%s/%s/addons/%02zu", CODE_DIR, rt->rev, i + 1);
		add_source(j, rt, &path, mirror, S(rt->addon_commits, url), S(prev, url), base, url,
			   set);
	}
	rt->addons_path = path.len ? sbuf_detach(&path) : NULL;
	job_log(j, "addons path: %s", rt->addons_path ? rt->addons_path : "(no modules found)");
	rt->update = json_array();
	const char *k;
	json_t *v;
	json_object_foreach(set, k, v)
		json_array_append_new(rt->update, json_string(k));
	if (rt->deployed_before)
		job_log(j, "%s", json_array_size(rt->update) ? "modules changed since the last deploy:"
			: "no installed module changed since the last deploy");
	json_array_foreach(rt->update, i, v)
		job_log(j, "  %s", json_string_value(v));
	rc = 0;
out:
	sbuf_release(&path);
	json_decref(set);
	prepo_free(&pr);
	return rc;
}

/* A short-lived container with the code volume mounted read-write, as root. */
static int code_helper(struct engine *e, struct envrt *rt, const char *image, json_t *cmd,
		       struct berr *err)
{
	engine_container_remove(e, rt->code_helper, err);
	json_t *spec = json_pack("{s:s,s:o,s:[s],s:s,s:{s:s,s:[{s:s,s:s,s:s}]}}", "Image", image,
				 "Labels", labels(rt, "code-sync"), "Entrypoint", "/usr/bin/env",
				 "User", "root", "HostConfig", "NetworkMode", "none", "Mounts", "Type",
				 "volume", "Source", rt->vol_code, "Target", CODE_DIR);
	json_object_set_new(spec, "Cmd", cmd ? cmd : json_pack("[s]", "true"));
	int rc = engine_container_create(e, rt->code_helper, spec, err);
	json_decref(spec);
	return rc;
}

/* Puts the planned code on the server, in CODE_DIR/<rev>/, unless a complete copy is there. */
static int code_upload(struct engine *e, struct job *j, struct envrt *rt, const char *image,
		       struct berr *err)
{
	if (code_helper(e, rt, image, NULL, err) < 0)
		return -1;
	char *c = xstrdup(rt->code_helper);
	char *probe = xasprintf("/containers/%s/archive?path=%s/%s/.berth-complete", c, CODE_DIR,
				rt->rev);
	int status = 0;
	struct berr e2 = {0};
	engine_call_raw(e, "GET", probe, NULL, NULL, 0, &status, NULL, NULL, NULL, &e2);
	free(probe);
	int rc = 0;
	if (status == 200) {
		job_log(j, "code %s is already on the server", rt->rev);
	} else {
		size_t i;
		json_t *src;
		json_array_foreach(rt->sources, i, src) {
			struct sbuf tar = SBUF_INIT;
			char *prefix = xasprintf("%s/", S(src, "prefix"));
			rc = git_archive(S(src, "mirror"), S(src, "commit"), prefix, &tar, err);
			free(prefix);
			if (rc == 0) {
				char *path = xasprintf("/containers/%s/archive?path=%s", c, CODE_DIR);
				struct sbuf out = SBUF_INIT;
				rc = engine_call_raw(e, "PUT", path, "application/x-tar", tar.buf, tar.len,
						     &status, &out, NULL, NULL, err);
				if (rc == 0 && status != 200)
					rc = berr_set(err, BE_INTERNAL_ERROR, NULL,
						      "Docker: put code into %s: %d %.200s", rt->vol_code,
						      status, sbuf_str(&out));
				if (rc == 0)
					job_log(j, "uploaded %s (%zu KiB compressed)", S(src, "prefix"),
						tar.len / 1024);
				sbuf_release(&out);
				free(path);
			}
			sbuf_release(&tar);
			if (rc < 0)
				break;
		}
		if (rc == 0) {
			char dir[64];
			snprintf(dir, sizeof dir, "%s/%s", CODE_DIR, rt->rev);
			struct efile done[] = {{".berth-complete", "", 0, 0644}};
			rc = engine_put_files(e, rt->code_helper, dir, done, 1, err);
		}
	}
	engine_container_remove(e, rt->code_helper, &e2);
	free(c);
	return rc;
}

/* Removes code directories other than the new one and the one deployed before. */
void code_prune(struct engine *e, struct job *j, struct envrt *rt, const char *image)
{
	const char *prev = rt->env.code_rev;
	json_t *cmd = json_pack("[s,s,s,s,s,s,s,s,s]", "find", CODE_DIR, "-mindepth", "1", "-maxdepth",
				"1", "!", "-name", rt->rev);
	if (prev && !str_eq(prev, rt->rev)) {
		json_array_append_new(cmd, json_string("!"));
		json_array_append_new(cmd, json_string("-name"));
		json_array_append_new(cmd, json_string(prev));
	}
	const char *tail[] = {"-exec", "rm", "-rf", "{}", "+"};
	for (size_t i = 0; i < ARRAY_SIZE(tail); i++)
		json_array_append_new(cmd, json_string(tail[i]));
	struct berr err = {0};
	int code = -1;
	if (code_helper(e, rt, image, cmd, &err) == 0 && engine_container_start(e, rt->code_helper, &err) == 0)
		engine_container_wait(e, rt->code_helper, &code, &err);
	engine_container_remove(e, rt->code_helper, &err);
	if (code != 0)
		job_log(j, "could not remove old code directories (%s): they stay", err.message);
}

/* Records what was deployed: the commits, the code directory, the branch head. */
void code_record(struct job *j, struct envrt *rt)
{
	if (!rt->has_code)
		return;
	env_set_code(rt->id, rt->commit, rt->addon_commits, rt->rev);
	job_result(j, json_pack("{s:s?,s:O,s:O,s:s}", "commit", rt->commit, "addon_commits",
				rt->addon_commits, "updated_modules", rt->update, "code_rev", rt->rev));
}

/* The code stage of deploy and soft restart: plan, then upload. */
int code_stage(struct engine *e, struct job *j, struct envrt *rt, struct berr *err)
{
	if (code_plan(j, rt, err) < 0)
		return -1;
	if (!rt->has_code) {
		job_log(j, "the project has no repository and no addon repositories: Odoo runs the"
			   " image's modules only");
		return 0;
	}
	char *image = odoo_image(e, j, rt, err);
	if (!image)
		return -1;
	int rc = code_upload(e, j, rt, image, err);
	free(image);
	return rc;
}
