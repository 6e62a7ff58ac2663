/* env_ide.c: the IDE (code-server) of an environment (issue 14). */
#include "ops/env_int.h"
#include "render/render.h"

int env_ide(struct engine *e, struct job *j, struct envrt *rt, struct berr *err)
{
	(void)e, (void)j, (void)rt, (void)err;
	return 0;
}

void env_ide_site(const struct envrt *rt, struct render_site *s)
{
	(void)rt;
	s->ide_host = NULL;
	s->ide_port = 0;
}
