/* certs.h: the certificates of environments' domains (table certificates, migration 8) and
 * the environment's tls_status / tls_error. One row per (environment, domain); the key is
 * sealed (key_sealed, never returned by the row readers). Times are ISO 8601 UTC. */
#ifndef BERTH_STORE_CERTS_H
#define BERTH_STORE_CERTS_H
#include <jansson.h>
#include <stdbool.h>

/* Summaries of the environment's certificates, by domain: [{domain, source, status,
 * not_before, not_after, issuer, error, attempts, next_attempt_at, force_renew, updated_at}]. */
json_t *certs_of_env(const char *env_id);
/* One summary (as above), NULL when none. */
json_t *cert_get(const char *env_id, const char *domain);
/* The certificate chain and the sealed key; both NULL when none. Caller frees. */
int cert_material(const char *env_id, const char *domain, char **cert_pem, char **key_sealed);

/* A custom certificate replaces whatever the domain had (status active). */
int cert_put_custom(const char *org_id, const char *env_id, const char *domain,
		    const char *cert_pem, const char *key_sealed, const char *not_before,
		    const char *not_after, const char *issuer);
/* Removes the domain's certificate; 1 when one was removed, 0 when none. */
int cert_delete(const char *env_id, const char *domain);
/* Removes the environment's certificates for domains not in the array of strings; returns
 * how many. */
int cert_prune(const char *env_id, json_t *domains);
/* ACME: the row exists (pending when new). */
int cert_ensure_acme(const char *org_id, const char *env_id, const char *domain);
/* ACME issued a certificate: active, attempts reset, error cleared, force_renew cleared. */
int cert_set_issued(const char *env_id, const char *domain, const char *cert_pem,
		    const char *key_sealed, const char *not_before, const char *not_after,
		    const char *issuer);
/* ACME failed: error recorded, attempts + 1, next_attempt_at set; status failed unless an
 * earlier certificate is still active (it keeps serving). */
int cert_set_failed(const char *env_id, const char *domain, const char *error,
		    const char *next_attempt_at);
/* Marks the environment's ACME certificates to be reissued. */
int cert_force_renew_env(const char *env_id);

/* Environments having an ACME certificate due: expiring before `before`, or failed / pending
 * with next_attempt_at (or none) at or before now, or force_renew; ids by environment. Only
 * environments that are deployed and not being removed. */
json_t *certs_due_envs(const char *before, const char *now);

/* The environment's TLS summary columns. */
int env_tls_set(const char *env_id, const char *status, const char *error);
/* settings.force_ssl back to its default (off) once the reissue it asked for ran. */
int env_force_ssl_reset(const char *env_id);
#endif
