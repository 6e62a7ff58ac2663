/* mails.c: the rules of an environment's caught mails (svc/mails.h). */
#include "svc/mails.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"
#include "lib/valid.h"
#include "ops/mails.h"
#include "store/envs.h"

/* The environment may be read by the actor and has a mail catcher: 0, or -1. */
static int mails_env(const struct actor *a, const char *env_id, struct berr *err)
{
	struct access acc;
	json_t *e = access_env(a, env_id, &acc, err);
	if (!e)
		return -1;
	json_decref(e);
	int rc = perm_require(&acc, "environment.logs", err);
	access_release(&acc);
	if (rc < 0)
		return -1;
	struct env_row row;
	if (env_load(env_id, &row) < 0)
		return berr_set(err, BE_ENVIRONMENT_NOT_FOUND, NULL, "the environment no longer exists");
	bool prod = str_eq(row.environment_type, "production");
	env_row_free(&row);
	if (prod)
		return berr_set(err, BE_CONFLICT, NULL,
				"production sends real mail; it has no mail catcher");
	return 0;
}

json_t *svc_mails_list(const struct actor *a, const char *env_id, const char *q,
		       const char *limit, struct berr *err)
{
	if (mails_env(a, env_id, err) < 0)
		return NULL;
	if (q && (strlen(q) > 200 || !valid_text(q, false))) {
		berr_set(err, BE_VALIDATION_ERROR, "q", "q: at most 200 characters of one line");
		return NULL;
	}
	long n = MAILS_LIMIT_DEFAULT;
	if (limit) {
		char *end = NULL;
		errno = 0;
		n = strtol(limit, &end, 10);
		if (!*limit || *end || errno || n < 1 || n > MAILS_LIMIT_MAX) {
			berr_set(err, BE_VALIDATION_ERROR, "limit", "limit: an integer from 1 to %d",
				 MAILS_LIMIT_MAX);
			return NULL;
		}
	}
	json_t *out = NULL;
	if (ops_mails_list(env_id, q && *q ? q : NULL, n, &out, err) < 0)
		return NULL;
	return out;
}

/* The catcher's ids: 13 digits (the ms it was received), '-', 8 hex digits. */
static bool mail_id_ok(const char *s)
{
	if (!s || strlen(s) != 22 || s[13] != '-')
		return false;
	for (int i = 0; i < 22; i++) {
		char c = s[i];
		if (i < 13 ? !(c >= '0' && c <= '9')
			   : i > 13 && !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
	}
	return true;
}

json_t *svc_mail_get(const struct actor *a, const char *env_id, const char *mail_id,
		     struct berr *err)
{
	if (mails_env(a, env_id, err) < 0)
		return NULL;
	if (!mail_id_ok(mail_id)) {
		berr_set(err, BE_NOT_FOUND, "mail_id", "mail_id: the mail catcher has no such mail");
		return NULL;
	}
	json_t *out = NULL;
	if (ops_mail_get(env_id, mail_id, &out, err) < 0)
		return NULL;
	return out;
}
