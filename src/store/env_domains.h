/* env_domains.h: an environment's extra domains (settings.extra_domains), kept in table
 * env_domains so that a domain is served by one environment of the platform at most, and
 * what the settings API shows of an environment's domains (its server, its certificates). */
#ifndef BERTH_STORE_ENV_DOMAINS_H
#define BERTH_STORE_ENV_DOMAINS_H
#include <jansson.h>
#include <stdbool.h>

/* Replaces the environment's extra domains by `domains` (array of strings; NULL or []: none).
 * Inside the caller's transaction. 0, -2 when a domain belongs to another environment
 * meanwhile (unique constraint), -1 error. */
int env_domains_set(const char *env_id, json_t *domains);
/* The id of another environment than exclude_env that serves `domain` as its subdomain's
 * FQDN (sub: the label when domain is <label>.<apps domain>, else NULL), its custom domain
 * or one of its extra domains; NULL when none. Caller frees. */
char *env_domain_owner(const char *domain, const char *sub, const char *exclude_env);
/* {"host", "transport", "cloudflare_proxy"} of the environment's server and the
 * environment's {"tls_status", "tls_error"}, NULL when there is none. */
json_t *env_domains_server(const char *env_id);
/* [{domain, source, status, not_after, error}] of the environment's certificates (table
 * certificates; read-only here, the tls operations write it). */
json_t *env_domains_certs(const char *env_id);
#endif
