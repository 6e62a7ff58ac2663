/* repos.c: a project's git branches, its webhook (auto-deploy on push), and the Commits tab. */
#include <string.h>

#include "api/auth.h"
#include "api/http.h"
#include "lib/jspec.h"
#include "lib/log.h"
#include "lib/secret.h"
#include "lib/valid.h"
#include "svc/projects.h"
#include "svc/repos.h"

static const char *S(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* GET /projects/{id}/branches: the remote's branches (fetched now). */
static int h_branches(struct req *r)
{
	struct access acc;
	json_t *p = access_project(&r->actor, r->params[0], &acc, &r->err);
	if (!p)
		return reply_berr(r);
	json_decref(p);
	access_release(&acc);
	json_t *a = svc_project_branches(r->params[0], &r->err);
	return a ? reply_json(r, 200, a) : reply_berr(r);
}

/* POST /projects/{id}/webhook/rotate: a new secret, shown once. */
static int h_webhook_rotate(struct req *r)
{
	struct access acc;
	json_t *p = access_project(&r->actor, r->params[0], &acc, &r->err);
	if (!p)
		return reply_berr(r);
	json_decref(p);
	char *secret = NULL;
	struct jfield none[] = {JF_END}; /* no fields: {} or no body */
	if (perm_require(&acc, "project.update", &r->err) == 0 &&
	    jspec_parse(req_body(r), none, NULL, &r->err) == 0)
		secret = svc_project_webhook_rotate(&r->actor, r->ip, acc.org_id, r->params[0],
						    &r->err);
	access_release(&acc);
	if (!secret)
		return reply_berr(r);
	json_t *out = svc_project_json(r->params[0]);
	json_t *ans = json_pack("{s:O,s:s}", "webhook_url", json_object_get(out, "webhook_url"),
				"webhook_secret", secret);
	json_decref(out);
	secret_free(secret);
	return reply_json(r, 200, ans);
}

/* "sha256=<hex>" or "<hex>" against the HMAC of the body. */
static bool sig_matches(const char *given, const char *hex, bool prefixed)
{
	if (!given)
		return false;
	if (prefixed) {
		if (!str_starts(given, "sha256="))
			return false;
		given += 7;
	}
	char low[65];
	size_t n = strlen(given);
	if (n != 64)
		return false;
	for (size_t i = 0; i < 64; i++)
		low[i] = (char)((given[i] >= 'A' && given[i] <= 'F') ? given[i] + 32 : given[i]);
	low[64] = '\0';
	return str_ct_eq(low, hex);
}

static bool zero_commit(const char *c)
{
	if (!c || !*c)
		return true;
	for (; *c; c++)
		if (*c != '0')
			return false;
	return true;
}

static void add_push(json_t *pushes, const char *branch, const char *commit)
{
	if (!branch || !valid_git_ref(branch) || zero_commit(commit))
		return;
	json_array_append_new(pushes, json_pack("{s:s,s:s?}", "branch", branch, "commit",
						valid_commit(commit) && strlen(commit) == 40 ? commit : NULL));
}

/* The pushed branches of a GitHub, Gitea, GitLab, Bitbucket Cloud or Bitbucket Server
 * payload. */
static json_t *pushed_branches(json_t *body)
{
	json_t *pushes = json_array();
	const char *ref = S(body, "ref");
	if (ref) {
		if (str_starts(ref, "refs/heads/"))
			add_push(pushes, ref + 11, S(body, "after"));
		return pushes;
	}
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(json_object_get(body, "push"), "changes"), i, c) {
		json_t *nw = json_object_get(c, "new");
		if (str_eq(S(nw, "type"), "branch"))
			add_push(pushes, S(nw, "name"), S(json_object_get(nw, "target"), "hash"));
	}
	json_array_foreach(json_object_get(body, "changes"), i, c) {
		json_t *rf = json_object_get(c, "ref");
		if (str_eq(S(rf, "type"), "BRANCH") && !str_eq(S(c, "type"), "DELETE"))
			add_push(pushes, S(rf, "displayId"), S(c, "toHash"));
	}
	return pushes;
}

/* POST /webhooks/{project}: no token; the payload's signature (or GitLab's token) is the
 * authentication. Anything unverified answers 401 and changes nothing. */
static int h_webhook(struct req *r)
{
	const char *pid = r->params[0];
	char *secret = svc_project_webhook_secret(pid);
	bool ok = false;
	const char *provider = NULL;
	if (secret) {
		char hex[65];
		hmac_sha256_hex(secret, strlen(secret), r->raw.buf ? r->raw.buf : "", r->raw.len, hex);
		const char *gh = req_header(r, "X-Hub-Signature-256");
		const char *gitea = req_header(r, "X-Gitea-Signature");
		const char *gogs = req_header(r, "X-Gogs-Signature");
		const char *bb = req_header(r, "X-Hub-Signature");
		const char *gl = req_header(r, "X-Gitlab-Token");
		if (gitea && sig_matches(gitea, hex, false))
			ok = true, provider = "gitea";
		else if (gogs && sig_matches(gogs, hex, false))
			ok = true, provider = "gogs";
		else if (gh && sig_matches(gh, hex, true))
			ok = true, provider = "github";
		else if (bb && sig_matches(bb, hex, true))
			ok = true, provider = "bitbucket";
		else if (gl && str_ct_eq(gl, secret))
			ok = true, provider = "gitlab";
		secret_free(secret);
	}
	if (!ok) {
		log_event(LOG_WARN, "webhook refused",
			  json_pack("{s:s,s:s}", "project", valid_uuid(pid) ? pid : "?", "ip", r->ip));
		return reply_error(r, BE_UNAUTHORIZED, NULL,
				   "The webhook's signature is missing or does not match the project's"
				   " webhook secret");
	}
	json_error_t je;
	json_t *body = r->raw.len ? json_loadb(r->raw.buf, r->raw.len, 0, &je) : NULL;
	if (!json_is_object(body)) {
		json_decref(body);
		return reply_error(r, BE_INVALID_JSON, NULL,
				   "The payload must be JSON (set the webhook's content type to"
				   " application/json)");
	}
	const char *event = req_header(r, "X-GitHub-Event");
	if (!event)
		event = req_header(r, "X-Gitea-Event");
	if (!event)
		event = req_header(r, "X-Gogs-Event");
	if (!event)
		event = req_header(r, "X-Gitlab-Event");
	if (!event)
		event = req_header(r, "X-Event-Key");
	if (str_eq(event, "ping") || str_eq(event, "diagnostics:ping")) {
		json_decref(body);
		return reply_json(r, 200, json_pack("{s:s,s:s,s:[]}", "event", "ping", "provider",
						   provider, "jobs"));
	}
	json_t *pushes = pushed_branches(body);
	json_decref(body);
	json_t *jobs = json_array();
	size_t i;
	json_t *p;
	json_array_foreach(pushes, i, p)
		svc_repo_push(pid, S(p, "branch"), S(p, "commit"), jobs);
	log_event(LOG_INFO, "webhook",
		  json_pack("{s:s,s:s,s:s?,s:O,s:I}", "project", pid, "provider", provider, "event",
			    event, "pushes", pushes, "jobs", (json_int_t)json_array_size(jobs)));
	return reply_json(r, 202, json_pack("{s:s?,s:s,s:o,s:o}", "event", event, "provider",
					   provider, "pushes", pushes, "jobs", jobs));
}

/* GET /environments/{id}/commits?limit=N: the branch's newest commits. */
static int h_commits(struct req *r)
{
	struct access acc;
	json_t *e = access_env(&r->actor, r->params[0], &acc, &r->err);
	if (!e)
		return reply_berr(r);
	json_decref(e);
	access_release(&acc);
	long limit = 20;
	const char *l = req_query(r, "limit");
	if (l) {
		char *end;
		limit = strtol(l, &end, 10);
		if (*end || limit < 1 || limit > 200)
			return reply_error(r, BE_VALIDATION_ERROR, "limit", "limit: 1 to 200");
	}
	json_t *log = svc_env_commits(r->params[0], (int)limit, &r->err);
	return log ? reply_json(r, 200, log) : reply_berr(r);
}

const struct route repo_routes[] = {
	{"GET", "/api/v1/projects/{}/branches", h_branches, 0},
	{"POST", "/api/v1/projects/{}/webhook/rotate", h_webhook_rotate, 0},
	{"POST", "/api/v1/webhooks/{}", h_webhook, R_PUBLIC | R_RAW},
	{"GET", "/api/v1/environments/{}/commits", h_commits, 0},
	{NULL, NULL, NULL, 0},
};
