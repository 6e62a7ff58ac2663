/* tlsconf.h: the platform's HTTPS settings (GET/PUT /api/v1/admin/tls, docs/tls.md), kept in
 * the settings table under "tls.*": the ACME directory, the account's e-mail, a private ACME
 * CA's certificate to trust, and Cloudflare's address ranges (the shipped list until
 * changed). The ACME account key of each directory is sealed there too and never returned. */
#ifndef BERTH_CORE_TLSCONF_H
#define BERTH_CORE_TLSCONF_H
#include <jansson.h>

#include "lib/errors.h"

#define TLS_DEFAULT_DIRECTORY "https://acme-v02.api.letsencrypt.org/directory"

/* {acme_directory_url, acme_email, acme_ca_pem, cloudflare_ranges} with defaults. */
json_t *tlsconf_get(void);
/* Validates every key of body (unknown keys refused, each error naming its key; null resets
 * a key to its default) and stores them; nothing is stored when anything is refused. */
int tlsconf_set(json_t *body, struct berr *err);
/* Caller frees: the directory URL, the e-mail (NULL when none), the CA PEM (NULL when none). */
char *tlsconf_directory(void);
char *tlsconf_email(void);
char *tlsconf_ca_pem(void);
/* The Cloudflare ranges (array of validated CIDR strings; caller decrefs). */
json_t *tlsconf_cloudflare_ranges(void);
/* The ACME account key (PEM) for a directory, created and sealed on first use; caller frees
 * with pki_free. NULL on failure. */
char *tlsconf_account_key(const char *directory);
#endif
