/* neutralize.c: neutralization and anonymization of a copied database (issue 14). */
#include "ops/env_int.h"

int env_neutralize(struct engine *e, struct job *j, struct envrt *rt, struct berr *err)
{
	return odoo_neutralize(e, j, rt, err);
}

int env_anonymize(struct engine *e, struct job *j, struct envrt *rt, const char *keep_login,
		  struct berr *err)
{
	(void)e, (void)j, (void)rt, (void)keep_login;
	return berr_set(err, BE_INTERNAL_ERROR, NULL, "anonymization is not built yet");
}
