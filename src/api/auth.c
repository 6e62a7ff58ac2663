/* auth.c: first-run setup, login/logout with throttling, bearer tokens, API keys, audit. */
#include "api/auth.h"

#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "lib/jspec.h"
#include "lib/log.h"
#include "lib/secret.h"
#include "lib/valid.h"
#include "store/db.h"
#include "store/model.h"
#include "core/daemon.h"
#include <ctype.h>
#include <strings.h>

#define FAIL_WINDOW 900   /* seconds over which failures are counted */
#define FAIL_SLOW 3       /* failures after which each attempt is slowed */
#define FAIL_LOCK 10      /* failures after which the account is refused */
#define LOCK_SECONDS 900

int auth_authenticate(struct req *r)
{
	const char *h = req_header(r, "Authorization");
	if (!h || strncasecmp(h, "Bearer ", 7) != 0)
		return berr_set(&r->err, BE_UNAUTHORIZED, NULL,
				"Authentication required: send Authorization: Bearer <token>");
	const char *tok = h + 7;
	while (*tok == ' ')
		tok++;
	char hash[65];
	token_hash(tok, hash);
	json_t *row = db_row("SELECT t.id AS token_id, t.kind, t.scope, t.expires_at, t.last_used_at,"
			     " u.id AS user_id, u.email, u.is_admin FROM tokens t"
			     " JOIN users u ON u.id=t.user_id WHERE t.hash=?",
			     "s", hash);
	if (!row)
		return berr_set(&r->err, BE_UNAUTHORIZED, NULL, "The token is not valid");
	json_t *exp = json_object_get(row, "expires_at");
	if (json_is_integer(exp) && json_integer_value(exp) <= now_s()) {
		json_decref(row);
		return berr_set(&r->err, BE_UNAUTHORIZED, NULL, "The token has expired");
	}
	struct actor *a = &r->actor;
	snprintf(a->user_id, sizeof a->user_id, "%s", json_string_value(json_object_get(row, "user_id")));
	snprintf(a->email, sizeof a->email, "%s", json_string_value(json_object_get(row, "email")));
	snprintf(a->token_id, sizeof a->token_id, "%s",
		 json_string_value(json_object_get(row, "token_id")));
	a->is_admin = json_is_true(json_object_get(row, "is_admin"));
	a->is_api_key = str_eq(json_string_value(json_object_get(row, "kind")), "api_key");
	a->read_only = str_eq(json_string_value(json_object_get(row, "scope")), "read-only");
	if (a->is_api_key) {
		char *now = iso8601_now();
		db_exec("UPDATE tokens SET last_used_at=? WHERE id=?", "ss", now, a->token_id);
		free(now);
	}
	json_decref(row);
	r->authed = true;
	return 0;
}

void audit_record(struct req *r, const char *org_id, const char *action, const char *target_type,
		  const char *target_id, json_t *details)
{
	model_audit(org_id, r->authed ? r->actor.user_id : NULL, r->authed ? r->actor.email : NULL,
		    action, target_type, target_id, details, r->ip);
}

int auth_check_password(const char *pw, const char *field, struct berr *err)
{
	size_t n = strlen(pw);
	if (n < 8 || n > 256)
		return berr_set(err, BE_VALIDATION_ERROR, field,
				"%s: must be between 8 and 256 characters", field);
	return 0;
}

json_t *auth_issue_session(const char *user_id)
{
	char *tok = token_new("bt_");
	char hash[65], id[37];
	token_hash(tok, hash);
	uuid4(id);
	char *now = iso8601_now();
	db_exec("INSERT INTO tokens(id, hash, user_id, kind, scope, created_at, expires_at)"
		" VALUES(?,?,?,'session','read-write',?,?)",
		"ssssi", id, hash, user_id, now, now_s() + api_cfg.token_ttl);
	free(now);
	json_t *o = json_pack("{s:s,s:s,s:I}", "access_token", tok, "token_type", "bearer",
			      "expires_in", (json_int_t)api_cfg.token_ttl);
	secret_free(tok);
	return o;
}

static int h_setup(struct req *r)
{
	const char *email = NULL, *password = NULL, *orgname = NULL, *name = NULL;
	struct jfield spec[] = {
		{.name = "email", .type = J_STRING, .required = true, .dest = &email},
		{.name = "password", .type = J_STRING, .required = true, .dest = &password, .maxlen = 256},
		{.name = "organization", .type = J_STRING, .required = true, .dest = &orgname, .maxlen = 100},
		{.name = "name", .type = J_STRING, .dest = &name, .maxlen = 100},
		JF_END,
	};
	if (jspec_parse(req_body(r), spec, NULL, &r->err) < 0)
		return reply_berr(r);
	if (!valid_email(email))
		return reply_error(r, BE_VALIDATION_ERROR, "email", "email: not a valid address");
	if (auth_check_password(password, "password", &r->err) < 0)
		return reply_berr(r);
	if (!*orgname)
		return reply_error(r, BE_VALIDATION_ERROR, "organization", "organization: must not be empty");
	if (db_begin() < 0)
		return reply_error(r, BE_INTERNAL_ERROR, NULL, NULL);
	if (db_int(0, "SELECT count(*) FROM users", "") > 0) {
		db_rollback();
		return reply_error(r, BE_ALREADY_SET_UP, NULL,
				   "berth is already set up: log in with POST /api/v1/auth/login");
	}
	char uid[37];
	if (model_user_create(email, name ? name : email, password, true, uid, &r->err) < 0) {
		db_rollback();
		return reply_berr(r);
	}
	json_t *org = model_org_create(orgname, uid, "Enterprise", &r->err);
	if (!org) {
		db_rollback();
		return reply_berr(r);
	}
	json_t *ans = auth_issue_session(uid);
	r->authed = true;
	snprintf(r->actor.user_id, sizeof r->actor.user_id, "%s", uid);
	snprintf(r->actor.email, sizeof r->actor.email, "%s", email);
	const char *org_id = json_string_value(json_object_get(org, "id"));
	audit_record(r, org_id, "setup", "organization", org_id, NULL);
	if (db_commit() < 0) {
		json_decref(ans);
		json_decref(org);
		return reply_error(r, BE_INTERNAL_ERROR, NULL, NULL);
	}
	json_object_set_new(ans, "user", model_user_get(uid));
	json_object_set_new(ans, "organization", org);
	daemon_maybe_register_local();
	return reply_json(r, 201, ans);
}

static char *dummy_value;
static void make_dummy_hash(void)
{
	dummy_value = password_hash("berth-dummy-password");
}

static const char *dummy_hash(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, make_dummy_hash);
	return dummy_value;
}

static int h_login(struct req *r)
{
	const char *email = NULL, *password = NULL;
	struct jfield spec[] = {
		{.name = "email", .type = J_STRING, .required = true, .dest = &email},
		{.name = "password", .type = J_STRING, .required = true, .dest = &password, .maxlen = 1024},
		JF_END,
	};
	if (jspec_parse(req_body(r), spec, NULL, &r->err) < 0)
		return reply_berr(r);
	char key[300];
	snprintf(key, sizeof key, "email:%s", email);
	for (char *p = key; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	int64_t now = now_s();
	json_t *f = db_row("SELECT count, first_at, locked_until FROM login_failures WHERE key=?", "s", key);
	int64_t count = 0;
	if (f) {
		int64_t first = json_integer_value(json_object_get(f, "first_at"));
		int64_t locked = json_integer_value(json_object_get(f, "locked_until"));
		count = json_integer_value(json_object_get(f, "count"));
		json_decref(f);
		if (locked > now)
			return reply_error(r, BE_TOO_MANY_ATTEMPTS, NULL,
					   "Too many failed logins for this account; try again in %lld seconds",
					   (long long)(locked - now));
		if (now - first > FAIL_WINDOW) {
			db_exec("DELETE FROM login_failures WHERE key=?", "s", key);
			count = 0;
		}
	}
	if (count >= FAIL_SLOW) /* slow down guessing: 0.5 s per failure past the threshold, max 3 s */
		usleep((useconds_t)(count - FAIL_SLOW + 1 > 6 ? 6 : count - FAIL_SLOW + 1) * 500000);
	json_t *u = db_row("SELECT id FROM users WHERE email=?", "s", email);
	char *hash = db_str("SELECT password_hash FROM users WHERE email=?", "s", email);
	/* an unknown email costs the same hashing time as a wrong password */
	bool ok = password_verify(hash ? hash : dummy_hash(), password) && hash;
	free(hash);
	if (!ok) {
		json_decref(u);
		db_exec("INSERT INTO login_failures(key, count, first_at) VALUES(?, 1, ?)"
			" ON CONFLICT(key) DO UPDATE SET count=count+1",
			"si", key, now);
		if (count + 1 >= FAIL_LOCK)
			db_exec("UPDATE login_failures SET locked_until=? WHERE key=?", "is",
				now + LOCK_SECONDS, key);
		log_event(LOG_WARN, "login failed", json_pack("{s:s,s:s}", "email", email, "remote", r->ip));
		return reply_error(r, BE_INVALID_CREDENTIALS, NULL, NULL);
	}
	db_exec("DELETE FROM login_failures WHERE key=?", "s", key);
	const char *uid = json_string_value(json_object_get(u, "id"));
	json_t *ans = auth_issue_session(uid);
	json_decref(u);
	return reply_json(r, 200, ans);
}

static int h_logout(struct req *r)
{
	db_exec("DELETE FROM tokens WHERE id=? AND kind='session'", "s", r->actor.token_id);
	return reply_no_content(r);
}

static int h_me(struct req *r)
{
	json_t *u = model_user_get(r->actor.user_id);
	json_object_set_new(u, "organizations", model_orgs_of_user(r->actor.user_id));
	json_object_set_new(u, "auth", json_string(r->actor.is_api_key ? "api_key" : "session"));
	return reply_json(r, 200, u);
}

static const char *KEY_COLS = "id, name, scope, prefix, created_at,"
			      " CASE WHEN expires_at IS NULL THEN NULL ELSE"
			      " strftime('%Y-%m-%dT%H:%M:%SZ', expires_at, 'unixepoch') END AS expires_at,"
			      " last_used_at";

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
	if (!str_eq(scope, "read-only") && !str_eq(scope, "read-write"))
		return reply_error(r, BE_VALIDATION_ERROR, "scope",
				   "scope: must be \"read-only\" or \"read-write\"");
	if (r->actor.is_api_key && r->actor.read_only)
		return reply_error(r, BE_PERMISSION_DENIED, NULL, "This API key is read-only");
	char *tok = token_new("bk_");
	char hash[65], id[37], prefix[12];
	token_hash(tok, hash);
	uuid4(id);
	snprintf(prefix, sizeof prefix, "%.10s", tok);
	char *now = iso8601_now();
	sqlite3_stmt *st = db_prep("INSERT INTO tokens(id, hash, user_id, kind, name, scope, prefix,"
				   " created_at, expires_at) VALUES(?,?,?,'api_key',?,?,?,?,?)",
				   "sssssss", id, hash, r->actor.user_id, name, scope, prefix, now);
	if (days && st)
		sqlite3_bind_int64(st, 8, now_s() + days * 86400);
	int rc = st ? sqlite3_step(st) : SQLITE_ERROR;
	sqlite3_finalize(st);
	free(now);
	if (rc != SQLITE_DONE) {
		secret_free(tok);
		return reply_error(r, BE_INTERNAL_ERROR, NULL, NULL);
	}
	char *sql = xasprintf("SELECT %s FROM tokens WHERE id=?", KEY_COLS);
	json_t *o = db_row(sql, "s", id);
	free(sql);
	json_object_set_new(o, "key", json_string(tok));
	secret_free(tok);
	log_event(LOG_INFO, "api key created", json_pack("{s:s,s:s}", "user", r->actor.email, "id", id));
	return reply_json(r, 201, o);
}

static int h_key_list(struct req *r)
{
	char *sql = xasprintf("SELECT %s FROM tokens WHERE user_id=? AND kind='api_key'"
			      " ORDER BY created_at, id", KEY_COLS);
	json_t *a = db_rows(sql, "s", r->actor.user_id);
	free(sql);
	return reply_json(r, 200, a);
}

static int h_key_delete(struct req *r)
{
	db_exec("DELETE FROM tokens WHERE id=? AND user_id=? AND kind='api_key'", "ss", r->params[0],
		r->actor.user_id);
	if (db_changes() == 0)
		return reply_error(r, BE_NOT_FOUND, NULL, "API key '%s' doesn't exist", r->params[0]);
	return reply_no_content(r);
}

static int h_status(struct req *r)
{
	json_t *o = json_pack("{s:s,s:s,s:b}", "service", "berthd", "version", BERTH_VERSION,
			      "setup_required", db_int(0, "SELECT count(*) FROM users", "") == 0);
	json_object_set_new(o, "apps_domain", json_string(api_cfg.apps_domain));
	return reply_json(r, 200, o);
}

const struct route auth_routes[] = {
	{"GET", "/api/v1/status", h_status, R_PUBLIC},
	{"POST", "/api/v1/setup", h_setup, R_PUBLIC},
	{"POST", "/api/v1/auth/login", h_login, R_PUBLIC},
	{"POST", "/api/v1/auth/logout", h_logout, 0},
	{"GET", "/api/v1/me", h_me, 0},
	{"POST", "/api/v1/api-keys", h_key_create, 0},
	{"GET", "/api/v1/api-keys", h_key_list, 0},
	{"DELETE", "/api/v1/api-keys/{}", h_key_delete, 0},
	{NULL, NULL, NULL, 0},
};
