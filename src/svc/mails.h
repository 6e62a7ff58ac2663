/* mails.h: the rules of an environment's caught mails (GET /environments/{id}/mails and
 * /mails/{mail_id}, the console's Mails tab, `berth env mails`): permission environment.logs
 * (another organization's environment is not found), production has no mail catcher (409),
 * q at most 200 characters of one line, limit 1 to 1000 (default 50). */
#ifndef BERTH_SVC_MAILS_H
#define BERTH_SVC_MAILS_H
#include <jansson.h>
#include "lib/errors.h"
#include "store/access.h"

#define MAILS_LIMIT_DEFAULT 50
#define MAILS_LIMIT_MAX 1000

/* {"mails": [...], "total"}, or NULL with err set. */
json_t *svc_mails_list(const struct actor *a, const char *env_id, const char *q,
		       const char *limit, struct berr *err);
/* One mail, or NULL (NOT_FOUND for an unknown id). */
json_t *svc_mail_get(const struct actor *a, const char *env_id, const char *mail_id,
		     struct berr *err);
#endif
