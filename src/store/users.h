/* users.h: users, their tokens (sessions and API keys) and login failures, as typed rows.
 * model_user_create / model_user_get (store/model.h) create and show users. */
#ifndef BERTH_STORE_USERS_H
#define BERTH_STORE_USERS_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

int64_t users_count(void);
/* The user's id, or NULL. Caller frees. */
char *users_id_by_email(const char *email);
/* The stored password hash, or NULL. Caller frees. */
char *users_password_hash(const char *email);
/* Stores a new password hash (from password_hash) for user_id. 0 or -1. */
int users_set_password_hash(const char *user_id, const char *hash);

/* A token with its user. */
struct token_row {
	char token_id[37];
	char user_id[37];
	char email[256];
	char kind[16];  /* "session" or "api_key" */
	char scope[16]; /* "read-only" or "read-write" */
	int64_t expires_at; /* unix seconds, 0: never */
	bool is_admin;
};
/* 0 and *t filled, or -1 when no token has that hash. */
int tokens_by_hash(const char *hash, struct token_row *t);
int tokens_touch(const char *token_id); /* last_used_at = now */
/* 0 and *expires_at (unix seconds, 0: never) of a token that exists, else -1. */
int tokens_expiry(const char *token_id, int64_t *expires_at);
int tokens_insert_session(const char *id, const char *hash, const char *user_id,
			  int64_t expires_at);
/* expires_at 0: never. */
int tokens_insert_api_key(const char *id, const char *hash, const char *user_id, const char *name,
			  const char *scope, const char *prefix, int64_t expires_at);
int tokens_delete_session(const char *token_id);
/* Deletes user_id's login sessions but keep_token_id (may be NULL or an API key's id): how
 * many, or -1. */
int64_t tokens_delete_sessions_except(const char *user_id, const char *keep_token_id);
/* 1 deleted, 0 no such key of that user, -1 error. */
int tokens_delete_api_key(const char *id, const char *user_id);
/* API keys as the API shows them (expires_at as an ISO 8601 time). */
json_t *tokens_api_key_get(const char *id);
json_t *tokens_api_keys_of(const char *user_id);

/* Login attempts counted per key ("ip:<address>", "email:<lowercase address>|ip:<address>"). */
struct login_failure {
	int64_t count, first_at, locked_until;
};
/* Counts one more attempt on key in one statement (atomic among concurrent logins): a
 * window that began window seconds ago or more starts over (unless the key is locked); the
 * attempt that takes the count past limit locks the key until now + lock_s (so exactly one
 * attempt sees count == limit + 1). *f: the key after this attempt. 0 or -1. */
int login_attempt(const char *key, int64_t now, int64_t window, int64_t limit, int64_t lock_s,
		  struct login_failure *f);
/* One attempt less on key (a success on a shared key), unless it is locked. */
int login_attempt_undo(const char *key, int64_t now);
int login_failures_clear(const char *key);
#endif
