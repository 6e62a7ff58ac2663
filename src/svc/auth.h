/* auth.h: the rules of identity: first-run setup, login with throttling, sessions, bearer
 * tokens, API keys. Every change is audited as the actor, from ip (where it concerns an
 * organization). */
#ifndef BERTH_SVC_AUTH_H
#define BERTH_SVC_AUTH_H
#include <jansson.h>
#include <stdint.h>
#include "lib/errors.h"
#include "store/access.h"

/* Resolves a bearer token into *a. 0, or -1 with UNAUTHORIZED. */
int svc_authenticate(const char *token, struct actor *a, struct berr *err);
/* True while the token a was authenticated with still exists and has not expired (a long
 * stream asks again now and then: a logout, a revoked session or a deleted key ends it). */
bool svc_token_alive(const struct actor *a);
/* Password rules: 12 to 256 characters (code points, not bytes), not only white space, not
 * one of the commonest passwords. 0 or -1 (VALIDATION_ERROR on field). */
int svc_check_password(const char *pw, const char *field, struct berr *err);
/* Issues a session token for user_id, valid ttl seconds: the login answer
 * {"access_token", "token_type", "expires_in"}. */
json_t *svc_session_issue(const char *user_id, int64_t ttl);
/* True until the first user exists. */
bool svc_setup_required(void);

struct setup_in {
	const char *email, *password, *organization, *name;
};
/* First-run setup: the platform administrator, the first organization (plan Enterprise) and
 * a session; then the local Docker Engine is registered when berthd was asked to. The answer
 * (session + "user" + "organization"), *who set to the new administrator; or NULL with err
 * (ALREADY_SET_UP, VALIDATION_ERROR, ...). */
json_t *svc_setup(const struct setup_in *in, int64_t ttl, const char *ip, struct actor *who,
		  struct berr *err);
/* Checks email and password with throttling (slower after 3 failures, locked after 10 within
 * 15 minutes). The session answer, or NULL with INVALID_CREDENTIALS / TOO_MANY_ATTEMPTS. */
json_t *svc_login(const char *email, const char *password, int64_t ttl, const char *ip,
		  struct berr *err);
int svc_logout(const struct actor *a);
/* The actor changes its password: current_password checked (each attempt counted by the
 * login throttling of the account from ip; a wrong one is VALIDATION_ERROR on
 * current_password, too many TOO_MANY_ATTEMPTS), new_password under the rules of
 * svc_check_password (VALIDATION_ERROR on new_password). The user's other login sessions
 * (bearer and cookie) are revoked, the actor's own token and the API keys stay; audited as
 * user.password. The number of sessions revoked, or -1 with err. */
int64_t svc_password_change(const struct actor *a, const char *ip, const char *current,
			    const char *new_password, struct berr *err);

/* A new API key of the actor: its row plus "key" (shown once). expires_in_days 0: never. */
json_t *svc_api_key_create(const struct actor *a, const char *name, const char *scope,
			   long long expires_in_days, struct berr *err);
json_t *svc_api_keys(const struct actor *a);
/* NOT_FOUND when the actor has no such key. */
int svc_api_key_delete(const struct actor *a, const char *id, struct berr *err);
#endif
