/* mails.c: an environment's caught mails (svc/mails.h): the list and one mail. Both wait on
 * the server's Engine (exec in the mail catcher): slow-route workers (api/server.c). */
#include "api/http.h"
#include "svc/mails.h"

/* GET /environments/{id}/mails?q=&limit= */
static int h_mails(struct req *r)
{
	json_t *l = svc_mails_list(&r->actor, r->params[0], req_query(r, "q"),
				   req_query(r, "limit"), &r->err);
	return l ? reply_json(r, 200, l) : reply_berr(r);
}

/* GET /environments/{id}/mails/{mail_id} */
static int h_mail(struct req *r)
{
	json_t *m = svc_mail_get(&r->actor, r->params[0], r->params[1], &r->err);
	return m ? reply_json(r, 200, m) : reply_berr(r);
}

const struct route mail_routes[] = {
	{"GET", "/api/v1/environments/{}/mails", h_mails, 0},
	{"GET", "/api/v1/environments/{}/mails/{}", h_mail, 0},
	{NULL, NULL, NULL, 0},
};
