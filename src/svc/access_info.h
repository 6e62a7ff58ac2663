/* access_info.h: the Access tab (issue 14): how to reach an environment — its instance URL,
 * its IDE (URL and password) when the plan has allow_ide and the caller environment.ide, its
 * database (name, user, ports, password), the SSH tunnel command to its PostgreSQL published
 * on the server's loopback; revealing a password needs environment.ide and is audited. The
 * IDE's password rotation, and the platform's IDE image. */
#ifndef BERTH_SVC_ACCESS_INFO_H
#define BERTH_SVC_ACCESS_INFO_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include "lib/errors.h"
#include "store/access.h"

/* GET /environments/{id}/access[?reveal=ide_password|db_password] (permission
 * environment.view). reveal may be NULL. The answer, or NULL with err: ENVIRONMENT_NOT_FOUND,
 * PERMISSION_DENIED (reveal without environment.ide), PLAN_FEATURE_UNAVAILABLE (the IDE's
 * password without allow_ide), VALIDATION_ERROR (reveal). */
json_t *svc_access_info(const struct actor *a, const char *ip, const char *env_id,
			const char *reveal, struct berr *err);
/* The URL of an environment's domain fqdn: https when its certificate is active (on the
 * server's HTTPS port), else http (on its HTTP port); the port only when not the scheme's
 * own. The Access answer's instance URL and Connect As User's one-time URL. */
struct env_row;
void svc_env_instance_url(const struct env_row *e, const char *fqdn, char *out, size_t len,
			  bool *https);
/* POST /environments/{id}/ide/password (environment.ide, plan allow_ide): a new password
 * sealed, the IDE recreated by a job (audited as environment.ide_password). The job, or NULL
 * with err. */
json_t *svc_ide_password_rotate(const struct actor *a, const char *ip, const char *env_id,
				struct berr *err);
/* The platform's IDE image: {"image", "default"}. */
json_t *svc_ide_settings(void);
/* body {"image": ref}: a Docker image reference (as the Odoo images'); the settings after,
 * or NULL with VALIDATION_ERROR. */
json_t *svc_ide_settings_set(json_t *body, struct berr *err);
#endif
