/* env_merge.c: the merge job: the environment's branch into a target branch, pushed. */
#include "core/repo.h"
#include "ops/env_int.h"
#include "store/jobs_store.h"

/* Merges the environment's branch into params.target_branch and pushes it. A conflict fails
 * the job, lists the files in its result, and pushes nothing. */
int job_merge(struct job *j, struct berr *err)
{
	struct job_merge_row env;
	if (jobs_merge_row(j->env_id, j->id, &env) < 0)
		return berr_set(err, BE_ENVIRONMENT_NOT_FOUND, NULL, "the environment no longer exists");
	const char *source = env.git_branch, *target = S(j->params, "target_branch");
	struct prepo pr;
	int rc = -1;
	char *src = NULL, *tgt = NULL, *result = NULL;
	json_t *conflicts = NULL;
	if (prepo_load(&pr, env.project_id, err) < 0) {
		job_merge_row_free(&env);
		return -1;
	}
	job_stage(j, "Fetch");
	job_log(j, "fetching %s", pr.url ? pr.url : "(no repository)");
	if (prepo_sync(&pr, 0, err) < 0)
		goto out;
	src = git_resolve(pr.mirror, source, true);
	tgt = git_resolve(pr.mirror, target, true);
	if (!src || !tgt) {
		berr_set(err, BE_CONFLICT, NULL, "the branch '%s' does not exist in the repository",
			 src ? target : source);
		goto out;
	}
	job_stage(j, "Merge");
	job_log(j, "merging %s (%.7s) into %s (%.7s)", source, src, target, tgt);
	char *msg = xasprintf("Merge branch '%s' into %s", source, target);
	const char *email = env.initiated_by_email;
	const char *name = env.user_name;
	int m = git_merge(pr.mirror, tgt, src, msg, name && *name ? name : "berth",
			  email ? email : "berth@localhost", &result, &conflicts, err);
	free(msg);
	if (m < 0)
		goto out;
	if (m == 1) {
		size_t n = json_array_size(conflicts);
		job_log(j, "conflicts in %zu file%s:", n, n == 1 ? "" : "s");
		struct sbuf list = SBUF_INIT;
		size_t i;
		json_t *f;
		json_array_foreach(conflicts, i, f) {
			job_log(j, "  %s", json_string_value(f));
			if (i < 10)
				sbuf_addf(&list, "%s%s", i ? ", " : "", json_string_value(f));
		}
		job_result(j, json_pack("{s:s,s:s,s:b,s:O}", "source_branch", source, "target_branch",
					target, "merged", 0, "conflicts", conflicts));
		berr_set(err, BE_CONFLICT, NULL, "merge conflict in %s%s: %s was not changed",
			 sbuf_str(&list), n > 10 ? ", ..." : "", target);
		sbuf_release(&list);
		goto out;
	}
	if (!result) {
		job_log(j, "%s already contains %s: nothing to merge", target, source);
		job_result(j, json_pack("{s:s,s:s,s:b,s:s}", "source_branch", source, "target_branch",
					target, "merged", 0, "commit", tgt));
		rc = 0;
		goto out;
	}
	bool ff = str_eq(result, src);
	job_log(j, ff ? "fast-forward to %.7s" : "merge commit %.7s", result);
	job_stage(j, "Push");
	if (git_push(pr.mirror, &pr.rm, result, target, err) < 0)
		goto out;
	job_log(j, "pushed %s to %s", target, pr.url);
	job_result(j, json_pack("{s:s,s:s,s:b,s:s,s:b}", "source_branch", source, "target_branch",
				target, "merged", 1, "commit", result, "fast_forward", ff));
	repo_refresh_envs(&pr);
	/* environments following the target branch redeploy as after any push */
	json_t *jobs = json_array();
	repo_trigger(pr.project_id, target, result, "merge", false, jobs);
	if (json_array_size(jobs))
		job_log(j, "auto-deploy: %zu environment%s on %s", json_array_size(jobs),
			json_array_size(jobs) == 1 ? "" : "s", target);
	json_decref(jobs);
	rc = 0;
out:
	json_decref(conflicts);
	free(result);
	free(src);
	free(tgt);
	prepo_free(&pr);
	job_merge_row_free(&env);
	return rc;
}
