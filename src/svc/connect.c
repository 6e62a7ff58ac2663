/* connect.c: the rules of Connect As User (svc/connect.h). */
#include "svc/connect.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sodium.h>

#include "core/config.h"
#include "jobs/events.h"
#include "lib/util.h"
#include "ops/connect.h"
#include "svc/access_info.h"
#include "store/envs.h"
#include "store/model.h"

#define Q_MAX 200
#define LOGIN_MAX 256

/* The environment when a may connect to it: a member of its organization (else
 * ENVIRONMENT_NOT_FOUND) with environment.connect (PERMISSION_DENIED), on a plan with
 * allow_connect (PLAN_FEATURE_UNAVAILABLE). */
static int connect_check(const struct actor *a, const char *env_id, struct env_row *e,
			 struct berr *err)
{
	struct access acc;
	json_t *env = access_env(a, env_id, &acc, err);
	if (!env)
		return -1;
	json_decref(env);
	int rc = perm_require(&acc, "environment.connect", err);
	access_release(&acc);
	/* a read-only API key reads; it never signs in to Odoo nor lists who did */
	if (rc == 0 && a->read_only)
		rc = berr_set(err, BE_PERMISSION_DENIED, NULL,
			      "environment.connect: a read-only API key cannot use Connect As User");
	if (rc < 0)
		return -1;
	if (env_load(env_id, e) < 0)
		return berr_set(err, BE_ENVIRONMENT_NOT_FOUND, NULL, "Environment '%s' doesn't exist",
				env_id);
	json_t *plan = model_org_plan(e->org_id);
	bool allowed = json_is_true(json_object_get(plan, "allow_connect"));
	json_decref(plan);
	if (!allowed) {
		env_row_free(e);
		return berr_set(err, BE_PLAN_FEATURE_UNAVAILABLE, NULL,
				"Connect As User is not included in the organization's plan"
				" (allow_connect): upgrade the plan");
	}
	return 0;
}

static int need_running(struct env_row *e, struct berr *err)
{
	if (str_eq(e->status, "running"))
		return 0;
	return berr_set(err, BE_CONFLICT, NULL,
			"the environment %s is %s: Connect As User needs it running", e->name,
			e->status ? e->status : "not running");
}

/* Text without control characters, at most max bytes. */
static bool text_ok(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

json_t *svc_connect_sessions(const struct actor *a, const char *env_id, const char *q,
			     struct berr *err)
{
	struct env_row e;
	if (connect_check(a, env_id, &e, err) < 0)
		return NULL;
	json_t *out = NULL;
	if (q && !text_ok(q, Q_MAX))
		berr_set(err, BE_VALIDATION_ERROR, "q", "q: at most 200 characters, one line");
	else if (need_running(&e, err) == 0)
		out = ops_connect_sessions(env_id, q, err);
	env_row_free(&e);
	return out;
}

/* The user asked for: *user_id > 0, or *login. */
static int parse_body(json_t *body, json_int_t *user_id, const char **login, struct berr *err)
{
	*user_id = 0;
	*login = NULL;
	if (!json_is_object(body))
		return berr_set(err, BE_VALIDATION_ERROR, NULL, "the body must be a JSON object");
	const char *k;
	json_t *v;
	json_object_foreach(body, k, v) {
		if (!str_eq(k, "user_id") && !str_eq(k, "login"))
			return berr_set(err, BE_VALIDATION_ERROR, k, "%s: unknown field", k);
	}
	json_t *u = json_object_get(body, "user_id"), *l = json_object_get(body, "login");
	if (u && l && !json_is_null(u) && !json_is_null(l))
		return berr_set(err, BE_VALIDATION_ERROR, "user_id",
				"user_id: give user_id or login, not both");
	if (u && !json_is_null(u)) {
		if (!json_is_integer(u) || json_integer_value(u) < 1 ||
		    json_integer_value(u) > 2147483647)
			return berr_set(err, BE_VALIDATION_ERROR, "user_id",
					"user_id: an Odoo user id (a positive integer)");
		*user_id = json_integer_value(u);
		return 0;
	}
	if (l && !json_is_null(l)) {
		const char *s = json_string_value(l);
		if (!s || !*s || !text_ok(s, LOGIN_MAX))
			return berr_set(err, BE_VALIDATION_ERROR, "login",
					"login: an Odoo login (one line, at most 256 characters)");
		*login = s;
		return 0;
	}
	return berr_set(err, BE_VALIDATION_ERROR, "user_id", "user_id: required (or login)");
}

json_t *svc_connect(const struct actor *a, const char *ip, const char *env_id, json_t *body,
		    struct berr *err)
{
	struct env_row e;
	if (connect_check(a, env_id, &e, err) < 0)
		return NULL;
	json_int_t user_id;
	const char *login;
	json_t *out = NULL;
	if (parse_body(body, &user_id, &login, err) < 0 || need_running(&e, err) < 0)
		goto done;
	char host[300];
	snprintf(host, sizeof host, "%s.%s", e.subdomain ? e.subdomain : "", berth_cfg.apps_domain);
	for (char *p = host; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	char base[400];
	bool secure;
	svc_env_instance_url(&e, host, base, sizeof base, &secure);
	struct connect_req rq = {.user_id = user_id, .login = login, .host = host, .secure = secure};
	struct connect_grant g;
	if (ops_connect_grant(env_id, &rq, &g, err) < 0)
		goto done;
	char exp[32];
	time_t t = (time_t)g.expires;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(exp, sizeof exp, "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_t *as = json_pack("{s:O,s:O}", "id", json_object_get(g.user, "id"), "login",
			       json_object_get(g.user, "login"));
	/* the audit entry and the event never hold the URL (its token signs in) */
	model_audit(e.org_id, a->user_id, a->email, "environment.connect", "environment", env_id,
		    json_pack("{s:s,s:s,s:O,s:s}", "environment", e.name, "environment_type",
			      e.environment_type ? e.environment_type : "", "as_user", as,
			      "expires_at", exp),
		    ip);
	events_publish(e.org_id, e.project_id, "environment.connect",
		       json_pack("{s:s,s:s,s:s,s:s,s:o,s:s?}", "id", env_id, "project_id",
				 e.project_id, "name", e.name, "user_id", a->user_id, "as_user", as,
				 "source_ip", ip));
	struct sbuf url = SBUF_INIT;
	sbuf_addf(&url, "%s/berth/connect/%s", base, g.token);
	out = json_pack("{s:s,s:s,s:O}", "url", sbuf_str(&url), "expires_at", exp, "user", g.user);
	sodium_memzero(url.buf, url.len);
	sbuf_release(&url);
	connect_grant_free(&g);
done:
	env_row_free(&e);
	return out;
}
