/* mails.h: the mails a non-production environment's mail catcher kept (docs/mails.md), read
 * with the catcher's own `berth-mails` command (engine exec in the container rt->mail, argv
 * only). */
#ifndef BERTH_OPS_MAILS_H
#define BERTH_OPS_MAILS_H
#include <jansson.h>
#include "lib/errors.h"

/* {"mails": [{id, from, to, subject, date, size}], "total"}: newest first, those whose from,
 * to or subject hold q (NULL or "": all), at most limit. 0, or -1 (CONFLICT when the catcher
 * does not run, ENVIRONMENT_NOT_FOUND, SERVER_UNREACHABLE, ...). */
int ops_mails_list(const char *env_id, const char *q, long limit, json_t **out,
		   struct berr *err);
/* One mail: {id, from, to, cc, subject, date, size, text, html, headers}; NOT_FOUND when the
 * catcher has no mail of that id. */
int ops_mail_get(const char *env_id, const char *mail_id, json_t **out, struct berr *err);
#endif
