/* tls.c: HTTPS of the environments' sites (env_int.h). TEMPORARY stub until the tls helper's
 * work lands: no certificates, nothing issued. */
#include <string.h>

#include "ops/env_int.h"
#include "render/render.h"

void tls_site_fill(struct envrt *rt, struct render_site *s, struct tls_site *keep)
{
	(void)rt;
	(void)s;
	memset(keep, 0, sizeof *keep);
}

void tls_site_release(struct tls_site *keep)
{
	(void)keep;
}

int tls_converge(struct engine *e, struct job *j, struct envrt *rt, struct berr *err)
{
	(void)e;
	(void)j;
	(void)rt;
	(void)err;
	return 0;
}
