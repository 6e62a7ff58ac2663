/* auth.c: the rules of identity (see svc/auth.h). */
#include "svc/auth.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/daemon.h"
#include "lib/log.h"
#include "lib/secret.h"
#include "lib/util.h"
#include "lib/valid.h"
#include "store/db.h"
#include "store/model.h"
#include "store/users.h"

/* Login throttling counts attempts per (account, source address) and per source address, so
 * that a stranger elsewhere cannot lock a user out: the stranger's own address is refused. */
#define FAIL_WINDOW 900   /* seconds over which attempts are counted */
#define FAIL_SLOW 3       /* earlier attempts after which each attempt is slowed */
#define FAIL_LOCK 10      /* attempts on one account from one address, then refused */
#define SOURCE_LOCK 50    /* attempts from one address (any accounts), then refused */
#define LOCK_SECONDS 900

int svc_authenticate(const char *tok, struct actor *a, struct berr *err)
{
	char hash[65];
	token_hash(tok, hash);
	struct token_row t;
	if (tokens_by_hash(hash, &t) < 0)
		return berr_set(err, BE_UNAUTHORIZED, NULL, "The token is not valid");
	if (t.expires_at && t.expires_at <= now_s())
		return berr_set(err, BE_UNAUTHORIZED, NULL, "The token has expired");
	snprintf(a->user_id, sizeof a->user_id, "%s", t.user_id);
	snprintf(a->email, sizeof a->email, "%s", t.email);
	snprintf(a->token_id, sizeof a->token_id, "%s", t.token_id);
	a->is_admin = t.is_admin;
	a->is_api_key = str_eq(t.kind, "api_key");
	a->read_only = str_eq(t.scope, "read-only");
	if (a->is_api_key)
		tokens_touch(a->token_id);
	return 0;
}

/* The commonest passwords of 12 characters or more (shorter ones fail the length rule),
 * compared without regard to case. */
static const char *const common_passwords[] = {
	"123456789012", "1234567890123", "12345678901234", "123456789123", "1234567891011",
	"123123123123", "112233445566", "987654321098", "098765432109", "111111111111",
	"000000000000", "aaaaaaaaaaaa", "121212121212", "password1234", "password12345",
	"password123456", "passwordpassword", "password!234", "passw0rd1234", "p@ssw0rd1234",
	"p@ssword1234", "mypassword123", "mypassword1234", "thisismypassword", "qwertyuiop123",
	"qwertyuiopasdf", "qwertyuiopasdfgh", "qwerty123456", "qwerty12345678", "q1w2e3r4t5y6",
	"1q2w3e4r5t6y", "1qaz2wsx3edc", "1qaz2wsx3edc4rfv", "zaq12wsxcde3", "qazwsxedcrfv",
	"1234qwerasdf", "1234qwerasdfzxcv", "asdfghjkl123", "asdfasdfasdf", "qweqweqweqwe",
	"abcdefghijkl", "abcdefghijklmnop", "abc123abc123", "abcd1234abcd", "iloveyou1234",
	"letmein12345", "welcome12345", "welcome123456", "welcome@1234", "administrator",
	"admin1234567", "admin@123456", "adminadmin123", "changeme1234", "trustno11234",
	"football1234", "baseball1234", "sunshine1234", "princess1234", "starwars1234",
	"superman1234", "monkey123456", "dragon123456", "michael12345", "whatever1234",
	"hello1234567", "helloworld123", "odoo12345678", "odooodooodoo", "correcthorsebatterystaple",
	"correct horse battery staple", NULL,
};

/* The next code point of UTF-8 text (the text was checked to be UTF-8 by the JSON parser);
 * advances *p. */
static unsigned next_cp(const unsigned char **p)
{
	const unsigned char *s = *p;
	unsigned c = s[0];
	int n = c < 0x80 ? 0 : c < 0xe0 ? 1 : c < 0xf0 ? 2 : 3;
	if (n)
		c &= 0x3fu >> n;
	for (int i = 1; i <= n && (s[i] & 0xc0) == 0x80; i++, (*p)++)
		c = (c << 6) | (s[i] & 0x3f);
	(*p)++;
	return c;
}

static bool is_space_cp(unsigned c)
{
	return c == ' ' || (c >= 0x09 && c <= 0x0d) || c == 0x85 || c == 0xa0 || c == 0x1680 ||
	       (c >= 0x2000 && c <= 0x200b) || c == 0x2028 || c == 0x2029 || c == 0x202f ||
	       c == 0x205f || c == 0x3000 || c == 0xfeff;
}

int svc_check_password(const char *pw, const char *field, struct berr *err)
{
	size_t chars = 0;
	bool blank = true;
	for (const unsigned char *p = (const unsigned char *)pw; *p;) {
		unsigned c = next_cp(&p);
		chars++;
		if (!is_space_cp(c))
			blank = false;
	}
	if (chars < 12 || chars > 256)
		return berr_set(err, BE_VALIDATION_ERROR, field,
				"%s: must be between 12 and 256 characters", field);
	if (blank)
		return berr_set(err, BE_VALIDATION_ERROR, field, "%s: must not be only spaces", field);
	for (const char *const *c = common_passwords; *c; c++)
		if (strcasecmp(*c, pw) == 0)
			return berr_set(err, BE_VALIDATION_ERROR, field,
					"%s: one of the commonest passwords: choose another", field);
	return 0;
}

json_t *svc_session_issue(const char *user_id, int64_t ttl)
{
	char *tok = token_new("bt_");
	char hash[65], id[37];
	token_hash(tok, hash);
	uuid4(id);
	tokens_insert_session(id, hash, user_id, now_s() + ttl);
	json_t *o = json_pack("{s:s,s:s,s:I}", "access_token", tok, "token_type", "bearer",
			      "expires_in", (json_int_t)ttl);
	secret_free(tok);
	return o;
}

bool svc_setup_required(void)
{
	return users_count() == 0;
}

/* ---- setup ---- */

struct setup_ctx {
	const struct setup_in *in;
	int64_t ttl;
	const char *ip;
	char uid[37];
	json_t *org, *ans;
};

static int setup_tx(void *p, struct berr *err)
{
	struct setup_ctx *c = p;
	json_decref(c->org); /* a retried attempt starts over */
	json_decref(c->ans);
	c->org = c->ans = NULL;
	if (users_count() > 0)
		return berr_set(err, BE_ALREADY_SET_UP, NULL,
				"berth is already set up: log in with POST /api/v1/auth/login");
	const struct setup_in *in = c->in;
	if (model_user_create(in->email, in->name ? in->name : in->email, in->password, true, c->uid,
			      err) < 0)
		return -1;
	c->org = model_org_create(in->organization, c->uid, "Enterprise", err);
	if (!c->org)
		return -1;
	c->ans = svc_session_issue(c->uid, c->ttl);
	const char *org_id = json_string_value(json_object_get(c->org, "id"));
	model_audit(org_id, c->uid, in->email, "setup", "organization", org_id, NULL, c->ip);
	return 0;
}

json_t *svc_setup(const struct setup_in *in, int64_t ttl, const char *ip, struct actor *who,
		  struct berr *err)
{
	if (!svc_setup_required()) { /* whatever the request holds */
		berr_set(err, BE_ALREADY_SET_UP, NULL,
			 "berth is already set up: log in with POST /api/v1/auth/login");
		return NULL;
	}
	if (!valid_email(in->email)) {
		berr_set(err, BE_VALIDATION_ERROR, "email", "email: not a valid address");
		return NULL;
	}
	if (svc_check_password(in->password, "password", err) < 0)
		return NULL;
	if (!*in->organization) {
		berr_set(err, BE_VALIDATION_ERROR, "organization", "organization: must not be empty");
		return NULL;
	}
	struct setup_ctx c = {.in = in, .ttl = ttl, .ip = ip};
	if (db_tx(setup_tx, &c, err) < 0) {
		json_decref(c.org);
		json_decref(c.ans);
		return NULL;
	}
	if (who) {
		memset(who, 0, sizeof *who);
		snprintf(who->user_id, sizeof who->user_id, "%s", c.uid);
		snprintf(who->email, sizeof who->email, "%s", in->email);
		who->is_admin = true;
	}
	json_object_set_new(c.ans, "user", model_user_get(c.uid));
	json_object_set_new(c.ans, "organization", c.org);
	daemon_maybe_register_local();
	return c.ans;
}
bool svc_token_alive(const struct actor *a)
{
	int64_t expires_at;
	return tokens_expiry(a->token_id, &expires_at) == 0 &&
	       (!expires_at || expires_at > now_s());
}

/* ---- login ---- */

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

/* The lock of a key was just set (by this attempt): say so in the audit log, in each
 * organization of the account (or without one). */
static void audit_lock(const char *action, const char *email, const char *ip, int64_t until)
{
	char *uid = email ? users_id_by_email(email) : NULL;
	json_t *orgs = uid ? model_orgs_of_user(uid) : NULL;
	json_t *details = json_pack("{s:s?,s:s,s:I,s:I}", "email", email, "source", ip, "attempts",
				    (json_int_t)(email ? FAIL_LOCK : SOURCE_LOCK), "locked_seconds",
				    (json_int_t)(until - now_s()));
	size_t i;
	json_t *o;
	json_array_foreach(orgs, i, o)
		model_audit(json_string_value(json_object_get(o, "id")), NULL, NULL, action,
			    email ? "user" : "source", email ? uid : ip, json_deep_copy(details), ip);
	if (!json_array_size(orgs))
		model_audit(NULL, NULL, NULL, action, email ? "user" : "source", email ? uid : ip,
			    json_deep_copy(details), ip);
	log_event(LOG_WARN, "login locked", details);
	json_decref(orgs);
	free(uid);
}

/* The source address a login is counted against: IPv4 and IPv4-mapped addresses as they
 * are; IPv6 by its /64, which one client usually holds whole. */
static void source_key(const char *ip, char *out, size_t len)
{
	struct in6_addr a;
	char buf[INET6_ADDRSTRLEN];
	if (ip && strchr(ip, ':') && inet_pton(AF_INET6, ip, &a) == 1 && !IN6_IS_ADDR_V4MAPPED(&a)) {
		memset(a.s6_addr + 8, 0, 8);
		inet_ntop(AF_INET6, &a, buf, sizeof buf);
		snprintf(out, len, "ip:%s/64", buf);
	} else {
		snprintf(out, len, "ip:%s", ip ? ip : "");
	}
}

/* Counts an attempt to prove email's password from ip (a login, a password change) before it
 * is decided on, in one statement per key: concurrent attempts cannot all pass under the
 * limit. 0 to go on (slowed down past FAIL_SLOW attempts), or -1 with TOO_MANY_ATTEMPTS.
 * key and src are what throttle_passed clears. */
static int throttle(const char *email, const char *ip, char key[400], char src[80],
		    struct berr *err)
{
	source_key(ip, src, 80);
	snprintf(key, 400, "email:%s|%s", email, src);
	for (char *p = key; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	int64_t now = now_s();
	struct login_failure fs, fa;
	if (login_attempt(src, now, FAIL_WINDOW, SOURCE_LOCK, LOCK_SECONDS, &fs) < 0 ||
	    (fs.locked_until <= now &&
	     login_attempt(key, now, FAIL_WINDOW, FAIL_LOCK, LOCK_SECONDS, &fa) < 0))
		return berr_set(err, BE_INTERNAL_ERROR, NULL, NULL);
	if (fs.locked_until > now) {
		if (fs.count == SOURCE_LOCK + 1)
			audit_lock("login.lock_source", NULL, ip, fs.locked_until);
		return berr_set(err, BE_TOO_MANY_ATTEMPTS, NULL,
				"Too many failed logins from this address; try again in %lld seconds",
				(long long)(fs.locked_until - now));
	}
	if (fa.locked_until > now) {
		if (fa.count == FAIL_LOCK + 1)
			audit_lock("login.lock", email, ip, fa.locked_until);
		return berr_set(err, BE_TOO_MANY_ATTEMPTS, NULL,
				"Too many failed logins for this account from this address; try again"
				" in %lld seconds", (long long)(fa.locked_until - now));
	}
	int64_t before = fa.count - 1; /* earlier attempts in the window */
	if (before >= FAIL_SLOW) /* slow down guessing: 0.5 s per attempt past the threshold, max 3 s */
		usleep((useconds_t)(before - FAIL_SLOW + 1 > 6 ? 6 : before - FAIL_SLOW + 1) * 500000);
	return 0;
}

/* A success: this account from this address starts over; the address gets its attempt
 * back. */
static void throttle_passed(const char *key, const char *src)
{
	login_failures_clear(key);
	login_attempt_undo(src, now_s());
}

/* email's password is password (an unknown email costs the same hashing time as a wrong
 * password). */
static bool password_matches(const char *email, const char *password)
{
	char *hash = users_password_hash(email);
	bool ok = password_verify(hash ? hash : dummy_hash(), password) && hash;
	free(hash);
	return ok;
}

json_t *svc_login(const char *email, const char *password, int64_t ttl, const char *ip,
		  struct berr *err)
{
	char src[80], key[400];
	if (throttle(email, ip, key, src, err) < 0)
		return NULL;
	char *uid = users_id_by_email(email);
	bool ok = password_matches(email, password);
	if (!ok || !uid) {
		free(uid);
		log_event(LOG_WARN, "login failed", json_pack("{s:s,s:s}", "email", email, "remote", ip));
		berr_set(err, BE_INVALID_CREDENTIALS, NULL, NULL);
		return NULL;
	}
	throttle_passed(key, src);
	json_t *ans = svc_session_issue(uid, ttl);
	free(uid);
	return ans;
}

/* ---- password change ---- */

struct pw_ctx {
	const struct actor *a;
	const char *hash;
	int64_t revoked;
};

static int password_tx(void *p, struct berr *err)
{
	struct pw_ctx *c = p;
	c->revoked = 0;
	if (users_set_password_hash(c->a->user_id, c->hash) < 0)
		return berr_set(err, BE_INTERNAL_ERROR, NULL, NULL);
	/* every other login session; the one asking stays, API keys stay */
	c->revoked = tokens_delete_sessions_except(c->a->user_id, c->a->token_id);
	if (c->revoked < 0)
		return berr_set(err, BE_INTERNAL_ERROR, NULL, NULL);
	return 0;
}

int64_t svc_password_change(const struct actor *a, const char *ip, const char *current,
			    const char *new_password, struct berr *err)
{
	char src[80], key[400];
	if (throttle(a->email, ip, key, src, err) < 0)
		return -1;
	if (!password_matches(a->email, current)) {
		log_event(LOG_WARN, "password change refused: wrong current password",
			  json_pack("{s:s,s:s}", "email", a->email, "remote", ip));
		return berr_set(err, BE_VALIDATION_ERROR, "current_password",
				"current_password: not your current password");
	}
	throttle_passed(key, src);
	if (svc_check_password(new_password, "new_password", err) < 0)
		return -1;
	if (str_eq(new_password, current))
		return berr_set(err, BE_VALIDATION_ERROR, "new_password",
				"new_password: the same as the current password");
	char *hash = password_hash(new_password);
	if (!hash)
		return berr_set(err, BE_INTERNAL_ERROR, NULL, NULL);
	struct pw_ctx c = {.a = a, .hash = hash};
	int rc = db_tx(password_tx, &c, err);
	free(hash);
	if (rc != 0)
		return -1;
	/* in each organization of the account (or without one), as the user */
	json_t *orgs = model_orgs_of_user(a->user_id);
	json_t *details = json_pack("{s:I}", "revoked_sessions", (json_int_t)c.revoked);
	size_t i;
	json_t *o;
	json_array_foreach(orgs, i, o)
		model_audit(json_string_value(json_object_get(o, "id")), a->user_id, a->email,
			    "user.password", "user", a->user_id, json_deep_copy(details), ip);
	if (!json_array_size(orgs))
		model_audit(NULL, a->user_id, a->email, "user.password", "user", a->user_id,
			    json_deep_copy(details), ip);
	json_decref(orgs);
	json_decref(details);
	log_event(LOG_INFO, "password changed",
		  json_pack("{s:s,s:I}", "user", a->email, "revoked_sessions", (json_int_t)c.revoked));
	return c.revoked;
}

int svc_logout(const struct actor *a)
{
	return tokens_delete_session(a->token_id);
}

/* ---- API keys ---- */

json_t *svc_api_key_create(const struct actor *a, const char *name, const char *scope,
			   long long days, struct berr *err)
{
	const char *p = name;
	while (*p == ' ')
		p++;
	if (!*p) {
		berr_set(err, BE_VALIDATION_ERROR, "name", "name: must not be empty");
		return NULL;
	}
	if (!str_eq(scope, "read-only") && !str_eq(scope, "read-write")) {
		berr_set(err, BE_VALIDATION_ERROR, "scope",
			 "scope: must be \"read-only\" or \"read-write\"");
		return NULL;
	}
	if (a->is_api_key && a->read_only) {
		berr_set(err, BE_PERMISSION_DENIED, NULL, "This API key is read-only");
		return NULL;
	}
	char *tok = token_new("bk_");
	char hash[65], id[37], prefix[12];
	token_hash(tok, hash);
	uuid4(id);
	snprintf(prefix, sizeof prefix, "%.10s", tok);
	if (tokens_insert_api_key(id, hash, a->user_id, name, scope, prefix,
				  days ? now_s() + days * 86400 : 0) < 0) {
		secret_free(tok);
		berr_set(err, BE_INTERNAL_ERROR, NULL, NULL);
		return NULL;
	}
	json_t *o = tokens_api_key_get(id);
	json_object_set_new(o, "key", json_string(tok));
	secret_free(tok);
	log_event(LOG_INFO, "api key created", json_pack("{s:s,s:s}", "user", a->email, "id", id));
	return o;
}

json_t *svc_api_keys(const struct actor *a)
{
	return tokens_api_keys_of(a->user_id);
}

int svc_api_key_delete(const struct actor *a, const char *id, struct berr *err)
{
	int rc = tokens_delete_api_key(id, a->user_id);
	if (rc < 0)
		return berr_set(err, BE_INTERNAL_ERROR, NULL, NULL);
	if (rc == 0)
		return berr_set(err, BE_NOT_FOUND, NULL, "API key '%s' doesn't exist", id);
	return 0;
}
