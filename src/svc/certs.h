/* certs.h: the rules of environments' certificates (docs/tls.md): custom certificates (PUT,
 * DELETE back to ACME), the list, and the platform's HTTPS settings. The caller (api/certs.c)
 * has checked access to the environment and its permission environment.settings. */
#ifndef BERTH_SVC_CERTS_H
#define BERTH_SVC_CERTS_H
#include <jansson.h>

#include "lib/errors.h"
#include "store/access.h"

/* [{domain, primary, source, status, not_before, not_after, issuer, error, next_attempt_at}]
 * for each of the environment's domains (domains without a row: status "none"). */
json_t *svc_certs_list(const char *env_id, struct berr *err);
/* A custom certificate for one of the environment's domains: the body {certificate_pem,
 * private_key_pem} checked (chain, key, domain, dates; VALIDATION_ERROR naming the field),
 * stored with the key sealed, a tls_renew job queued to install it; answers the summary
 * with "job". A domain the environment does not have: NOT_FOUND naming it. */
json_t *svc_cert_put(const struct actor *a, const char *ip, const char *org_id,
		     const char *env_id, const char *domain, json_t *body, struct berr *err);
/* The domain back to ACME: its certificate removed, a tls_renew job queued; answers
 * {domain, source: "acme", job}. */
json_t *svc_cert_delete(const struct actor *a, const char *ip, const char *org_id,
			const char *env_id, const char *domain, struct berr *err);
/* GET/PUT /admin/tls (platform administrator; the caller checks it). */
json_t *svc_tls_settings(void);
json_t *svc_tls_settings_set(const struct actor *a, const char *ip, json_t *body,
			     struct berr *err);
#endif
