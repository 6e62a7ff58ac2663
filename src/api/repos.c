/* repos.c: a project's git branches, its webhook (auto-deploy on push), and the Commits tab. */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* A webhook's body while it streams in: the HMAC is computed piece by piece; the bytes are
 * kept for the JSON parse (in memory up to WEBHOOK_MEM, beyond that in an unlinked temporary
 * file under the data directory), so a large payload costs no memory. */
#define WEBHOOK_MEM (256 * 1024)
struct hook {
	crypto_auth_hmacsha256_state st;
	bool hmac;          /* a signature header to verify at the end */
	bool gitlab_ok;     /* X-Gitlab-Token matched the secret */
	struct sbuf mem;
	int fd;             /* -1 until the body outgrows mem */
};

static void hook_free(void *cls)
{
	struct hook *h = cls;
	sodium_memzero(&h->st, sizeof h->st);
	sbuf_release(&h->mem);
	if (h->fd >= 0)
		close(h->fd);
	free(h);
}

static int hook_spill(struct hook *h, struct berr *err)
{
	char *dir = xasprintf("%s/tmp", api_cfg.data_dir ? api_cfg.data_dir : ".");
	mkdir(dir, 0700);
	h->fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (h->fd < 0) {
		char *tmpl = xasprintf("%s/webhook-XXXXXX", dir);
		h->fd = mkstemp(tmpl);
		if (h->fd >= 0)
			unlink(tmpl);
		free(tmpl);
	}
	free(dir);
	if (h->fd < 0 || write_all(h->fd, h->mem.buf, h->mem.len) < 0)
		return berr_set(err, BE_INTERNAL_ERROR, NULL, "cannot keep the webhook's payload");
	sbuf_release(&h->mem);
	return 0;
}

static int hook_data(struct req *r, const char *data, size_t n)
{
	struct hook *h = r->body_cls;
	if (h->hmac)
		crypto_auth_hmacsha256_update(&h->st, (const unsigned char *)data, n);
	if (h->fd < 0 && h->mem.len + n <= WEBHOOK_MEM) {
		sbuf_add(&h->mem, data, n);
		return 0;
	}
	if (h->fd < 0 && hook_spill(h, &r->err) < 0)
		return -1;
	if (write_all(h->fd, data, n) < 0)
		return berr_set(&r->err, BE_INTERNAL_ERROR, NULL, "cannot keep the webhook's payload");
	return 0;
}

static int webhook_refused(struct req *r)
{
	const char *pid = r->params[0];
	log_event(LOG_WARN, "webhook refused",
		  json_pack("{s:s,s:s}", "project", valid_uuid(pid) ? pid : "?", "ip", r->ip));
	return reply_error(r, BE_UNAUTHORIZED, NULL,
			   "The webhook's signature is missing or does not match the project's"
			   " webhook secret");
}

static const char *const sig_headers[] = {"X-Gitea-Signature", "X-Gogs-Signature",
					  "X-Hub-Signature-256", "X-Hub-Signature"};
static const char *const sig_providers[] = {"gitea", "gogs", "github", "bitbucket"};
static const bool sig_prefixed[] = {false, false, true, true};

/* The headers are in: an unknown project, or no signature header (nor GitLab's matching
 * token), is refused before any of the body is kept. */
static int webhook_headers(struct req *r)
{
	char *secret = svc_project_webhook_secret(r->params[0]);
	if (!secret)
		return webhook_refused(r);
	struct hook *h = xcalloc(1, sizeof *h);
	h->fd = -1;
	sbuf_init(&h->mem);
	for (size_t i = 0; i < ARRAY_SIZE(sig_headers); i++)
		if (req_header(r, sig_headers[i]))
			h->hmac = true;
	const char *gl = req_header(r, "X-Gitlab-Token");
	h->gitlab_ok = gl && str_ct_eq(gl, secret);
	if (h->hmac)
		crypto_auth_hmacsha256_init(&h->st, (const unsigned char *)secret, strlen(secret));
	secret_free(secret);
	if (!h->hmac && !h->gitlab_ok) {
		hook_free(h);
		return webhook_refused(r);
	}
	r->body_fn = hook_data;
	r->body_cls = h;
	r->body_free = hook_free;
	return 0;
}

/* The payload, parsed (NULL when it is not JSON). */
static json_t *hook_json(struct hook *h)
{
	json_error_t je;
	if (h->fd < 0)
		return h->mem.len ? json_loadb(h->mem.buf, h->mem.len, 0, &je) : NULL;
	if (lseek(h->fd, 0, SEEK_SET) < 0)
		return NULL;
	return json_loadfd(h->fd, 0, &je);
}

/* POST /webhooks/{project}: no token; the payload's signature (or GitLab's token) is the
 * authentication. Anything unverified answers 401 and changes nothing. */
static int h_webhook(struct req *r)
{
	if (r->phase == REQ_HEADERS)
		return webhook_headers(r);
	const char *pid = r->params[0];
	struct hook *h = r->body_cls;
	const char *provider = NULL;
	if (h && h->hmac) {
		unsigned char mac[crypto_auth_hmacsha256_BYTES];
		char hex[65];
		crypto_auth_hmacsha256_final(&h->st, mac);
		sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
		for (size_t i = 0; i < ARRAY_SIZE(sig_headers) && !provider; i++) {
			const char *given = req_header(r, sig_headers[i]);
			if (given && sig_matches(given, hex, sig_prefixed[i]))
				provider = sig_providers[i];
		}
		h->hmac = false;
	}
	if (!provider && h && h->gitlab_ok)
		provider = "gitlab";
	if (!provider)
		return webhook_refused(r);
	json_t *body = hook_json(h);
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
	{"POST", "/api/v1/webhooks/{}", h_webhook, R_PUBLIC | R_RAW | R_STREAM},
	{"GET", "/api/v1/environments/{}/commits", h_commits, 0},
	{NULL, NULL, NULL, 0},
};
