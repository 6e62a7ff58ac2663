/* ide.h: the IDE (code-server) of environments as the services see it (issue 14): the
 * platform's image, the plan gate and the sealed password. The container itself is
 * ops/env_ide.c's (env_int.h). */
#ifndef BERTH_OPS_IDE_H
#define BERTH_OPS_IDE_H
#include <stdbool.h>

/* The upstream code-server image, pinned; the platform administrator may set another one
 * (GET/PUT /api/v1/admin/ide, settings key ide_image). */
#define IDE_IMAGE_DEFAULT "codercom/code-server:4.96.4"

/* The image environments' IDEs run. Caller frees. */
char *ops_ide_image(void);
/* Whether the organization's plan has allow_ide. */
bool ops_ide_allowed(const char *org_id);
/* The IDE's password in clear (secret_free it), NULL when none is set yet. */
char *ops_ide_password(const char *env_id);
/* A new random password, sealed into environments.ide_password (only_if_none: only when
 * the environment has none yet). 0 or -1. */
int ops_ide_password_new(const char *env_id, bool only_if_none);
#endif
