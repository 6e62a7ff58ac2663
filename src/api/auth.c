/* auth.c: first-run setup, login/logout, bearer tokens, API keys (rules in svc/auth.c), and
 * the audit helper of the API. */
#include "api/auth.h"

#include <string.h>
#include <strings.h>

#include "lib/jspec.h"
#include "lib/secret.h"
#include "store/model.h"
#include "svc/auth.h"

/* The console's session cookie: a session token, HttpOnly, SameSite=Strict. */
#define SESSION_COOKIE "berth_session"
#define CSRF_HEADER "X-Berth-CSRF"

/* The anti-CSRF value of a session token: a keyed hash of it (the token cannot be had from
 * it; the store keeps a different hash). */
static void csrf_of(const char *tok, char out[65])
{
	static const char key[] = "berth session csrf";
	hmac_sha256_hex(key, sizeof key - 1, tok, strlen(tok), out);
}

static bool changes_state(const struct req *r)
{
	return !str_eq(r->method, "GET") && !str_eq(r->method, "HEAD");
}

int auth_authenticate(struct req *r)
{
	const char *h = req_header(r, "Authorization");
	const char *cookie = h ? NULL : req_cookie(r, SESSION_COOKIE);
	if (cookie && *cookie) {
		if (svc_authenticate(cookie, &r->actor, &r->err) < 0)
			return -1;
		if (r->actor.is_api_key) /* berthd only puts session tokens in cookies */
			return berr_set(&r->err, BE_UNAUTHORIZED, NULL, "The session cookie is not valid");
		if (changes_state(r)) {
			const char *got = req_header(r, CSRF_HEADER);
			char want[65];
			csrf_of(cookie, want);
			bool ok = got && str_ct_eq(got, want);
			explicit_bzero(want, sizeof want);
			if (!ok)
				return berr_set(&r->err, BE_PERMISSION_DENIED, NULL,
						"A request authenticated by the session cookie needs the "
						CSRF_HEADER " header of GET /api/v1/auth/session");
		}
		r->authed = true;
		r->cookie_auth = true;
		return 0;
	}
	if (!h || strncasecmp(h, "Bearer ", 7) != 0)
		return berr_set(&r->err, BE_UNAUTHORIZED, NULL,
				"Authentication required: send Authorization: Bearer <token>");
	const char *tok = h + 7;
	while (*tok == ' ')
		tok++;
	if (svc_authenticate(tok, &r->actor, &r->err) < 0)
		return -1;
	r->authed = true;
	return 0;
}

/* "HttpOnly; SameSite=Strict; Path=/", Secure when the public URL is https. */
static char *cookie_header(const char *value, int64_t max_age)
{
	bool secure = api_cfg.public_url && str_starts(api_cfg.public_url, "https://");
	return xasprintf(SESSION_COOKIE "=%s; Max-Age=%lld; Path=/; HttpOnly; SameSite=Strict%s",
			 value, (long long)max_age, secure ? "; Secure" : "");
}

/* Turns a login answer into a cookie session's: the token goes into the cookie, the answer
 * keeps its anti-CSRF value instead. */
static void to_cookie_session(struct req *r, json_t *ans)
{
	const char *tok = json_string_value(json_object_get(ans, "access_token"));
	if (!tok)
		return;
	char csrf[65];
	csrf_of(tok, csrf);
	free(r->set_cookie);
	r->set_cookie = cookie_header(tok, api_cfg.token_ttl);
	json_object_del(ans, "access_token");
	json_object_set_new(ans, "token_type", json_string("cookie"));
	json_object_set_new(ans, "csrf_token", json_string(csrf));
}

/* The optional "session" member of login and setup: "bearer" (default) or "cookie". */
static int session_kind(const char *s, bool *cookie, struct berr *err)
{
	*cookie = false;
	if (!s || str_eq(s, "bearer"))
		return 0;
	if (str_eq(s, "cookie")) {
		*cookie = true;
		return 0;
	}
	return berr_set(err, BE_VALIDATION_ERROR, "session", "session: must be bearer or cookie");
}

void audit_record(struct req *r, const char *org_id, const char *action, const char *target_type,
		  const char *target_id, json_t *details)
{
	model_audit(org_id, r->authed ? r->actor.user_id : NULL, r->authed ? r->actor.email : NULL,
		    action, target_type, target_id, details, r->ip);
}

int auth_check_password(const char *pw, const char *field, struct berr *err)
{
	return svc_check_password(pw, field, err);
}

json_t *auth_issue_session(const char *user_id)
{
	return svc_session_issue(user_id, api_cfg.token_ttl);
}

bool auth_route_closed(struct req *r, const char *pattern)
{
	if (!str_eq(pattern, "/api/v1/setup") || svc_setup_required())
		return false;
	berr_set(&r->err, BE_ALREADY_SET_UP, NULL,
		 "berth is already set up: log in with POST /api/v1/auth/login");
	return true;
}

json_t *auth_effective_permissions(const struct req *r, const struct access *acc,
				   bool production)
{
	json_t *a = json_array();
	for (const char *const *p = role_permissions(acc->role); p && *p; p++) {
		if (!str_starts(*p, "project.") && !str_starts(*p, "environment."))
			continue;
		if (r->actor.read_only && !str_eq(*p, "project.view") &&
		    !str_eq(*p, "environment.view") && !str_eq(*p, "environment.logs"))
			continue;
		if (production && str_eq(*p, "environment.remove"))
			continue;
		json_array_append_new(a, json_string(*p));
	}
	return a;
}

/* A body that carries nothing: {} or none (unknown fields and arrays are refused). */
static int parse_empty(struct req *r)
{
	static const struct jfield none[] = {JF_END};
	return jspec_parse(req_body(r), none, NULL, &r->err);
}

static int h_setup(struct req *r)
{
	if (auth_route_closed(r, "/api/v1/setup"))
		return reply_berr(r);
	const char *email = NULL, *password = NULL, *orgname = NULL, *name = NULL, *sess = NULL;
	bool cookie;
	struct jfield spec[] = {
		{.name = "session", .type = J_STRING, .dest = &sess},
		{.name = "email", .type = J_STRING, .required = true, .dest = &email},
		{.name = "password", .type = J_STRING, .required = true, .dest = &password, .maxlen = 256},
		{.name = "organization", .type = J_STRING, .required = true, .dest = &orgname, .maxlen = 100},
		{.name = "name", .type = J_STRING, .dest = &name, .maxlen = 100},
		JF_END,
	};
	if (jspec_parse(req_body(r), spec, NULL, &r->err) < 0 ||
	    session_kind(sess, &cookie, &r->err) < 0)
		return reply_berr(r);
	struct setup_in in = {.email = email, .password = password, .organization = orgname,
			      .name = name};
	json_t *ans = svc_setup(&in, api_cfg.token_ttl, r->ip, &r->actor, &r->err);
	if (!ans)
		return reply_berr(r);
	r->authed = true;
	if (cookie)
		to_cookie_session(r, ans);
	return reply_json(r, 201, ans);
}

static int h_login(struct req *r)
{
	const char *email = NULL, *password = NULL, *sess = NULL;
	bool cookie;
	struct jfield spec[] = {
		{.name = "session", .type = J_STRING, .dest = &sess},
		{.name = "email", .type = J_STRING, .required = true, .dest = &email},
		{.name = "password", .type = J_STRING, .required = true, .dest = &password, .maxlen = 1024},
		JF_END,
	};
	if (jspec_parse(req_body(r), spec, NULL, &r->err) < 0 ||
	    session_kind(sess, &cookie, &r->err) < 0)
		return reply_berr(r);
	json_t *ans = svc_login(email, password, api_cfg.token_ttl, r->ip, &r->err);
	if (!ans)
		return reply_berr(r);
	if (cookie)
		to_cookie_session(r, ans);
	return reply_json(r, 200, ans);
}

static int h_logout(struct req *r)
{
	if (parse_empty(r) < 0)
		return reply_berr(r);
	svc_logout(&r->actor);
	if (r->cookie_auth)
		r->set_cookie = cookie_header("", 0);
	return reply_no_content(r);
}

/* POST /auth/password {"current_password", "new_password"}: the caller's own password;
 * its other login sessions end, this one and the API keys stay. */
static int h_password(struct req *r)
{
	const char *current = NULL, *new_password = NULL;
	struct jfield spec[] = {
		{.name = "current_password", .type = J_STRING, .required = true, .dest = &current,
		 .maxlen = 1024},
		{.name = "new_password", .type = J_STRING, .required = true, .dest = &new_password,
		 .maxlen = 1024},
		JF_END,
	};
	if (jspec_parse(req_body(r), spec, NULL, &r->err) < 0)
		return reply_berr(r);
	int64_t n = svc_password_change(&r->actor, r->ip, current, new_password, &r->err);
	if (n < 0)
		return reply_berr(r);
	return reply_json(r, 200, json_pack("{s:I}", "revoked_sessions", (json_int_t)n));
}

/* The caller's session: how it authenticates, and the cookie session's anti-CSRF value. */
static int h_session(struct req *r)
{
	json_t *o = json_pack("{s:s,s:s,s:s}", "auth",
			      r->cookie_auth ? "cookie" : r->actor.is_api_key ? "api_key" : "bearer",
			      "user_id", r->actor.user_id, "email", r->actor.email);
	if (r->cookie_auth) {
		char csrf[65];
		csrf_of(req_cookie(r, SESSION_COOKIE), csrf);
		json_object_set_new(o, "csrf_token", json_string(csrf));
	}
	return reply_json(r, 200, o);
}

static int h_me(struct req *r)
{
	json_t *u = model_user_get(r->actor.user_id);
	json_object_set_new(u, "organizations", model_orgs_of_user(r->actor.user_id));
	json_object_set_new(u, "auth", json_string(r->actor.is_api_key ? "api_key" : "session"));
	return reply_json(r, 200, u);
}

static int h_key_create(struct req *r)
{
	const char *name = NULL, *scope = "read-write";
	long long days = 0;
	bool has_days = false;
	struct jfield spec[] = {
		{.name = "name", .type = J_STRING, .required = true, .dest = &name, .maxlen = 100},
		{.name = "scope", .type = J_STRING, .dest = &scope},
		{.name = "expires_in_days", .type = J_INT, .dest = &days, .present = &has_days,
		 .nullable = true, .imin = 1, .imax = 3650},
		JF_END,
	};
	if (jspec_parse(req_body(r), spec, NULL, &r->err) < 0)
		return reply_berr(r);
	json_t *o = svc_api_key_create(&r->actor, name, scope, days, &r->err);
	if (!o)
		return reply_berr(r);
	return reply_json(r, 201, o);
}

static int h_key_list(struct req *r)
{
	return reply_json(r, 200, svc_api_keys(&r->actor));
}

static int h_key_delete(struct req *r)
{
	if (svc_api_key_delete(&r->actor, r->params[0], &r->err) < 0)
		return reply_berr(r);
	return reply_no_content(r);
}

static int h_status(struct req *r)
{
	json_t *o = json_pack("{s:s,s:s,s:b}", "service", "berthd", "version", BERTH_VERSION,
			      "setup_required", svc_setup_required());
	json_object_set_new(o, "apps_domain", json_string(api_cfg.apps_domain));
	return reply_json(r, 200, o);
}

const struct route auth_routes[] = {
	{"GET", "/api/v1/status", h_status, R_PUBLIC},
	{"POST", "/api/v1/setup", h_setup, R_PUBLIC},
	{"POST", "/api/v1/auth/login", h_login, R_PUBLIC},
	{"POST", "/api/v1/auth/logout", h_logout, 0},
	{"GET", "/api/v1/auth/session", h_session, 0},
	{"POST", "/api/v1/auth/password", h_password, 0},
	{"GET", "/api/v1/me", h_me, 0},
	{"POST", "/api/v1/api-keys", h_key_create, 0},
	{"GET", "/api/v1/api-keys", h_key_list, 0},
	{"DELETE", "/api/v1/api-keys/{}", h_key_delete, 0},
	{NULL, NULL, NULL, 0},
};
