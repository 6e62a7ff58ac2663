/* pki.h: the X.509 work of HTTPS (issue 13, docs/tls.md), with OpenSSL's libcrypto: keys and
 * certificate signing requests for ACME, what a certificate says (validity, issuer, OCSP),
 * and the checks of a custom certificate. Pure: no file, no network. */
#ifndef BERTH_PKI_H
#define BERTH_PKI_H
#include <stdbool.h>
#include <stdint.h>

#include "lib/errors.h"

/* A new EC P-256 private key in PEM (PKCS#8); caller frees with secret_free-like wiping
 * (pki_free). NULL on failure. */
char *pki_key_new(void);
/* A CSR in PEM for domain (CN and the only subjectAltName), signed with key_pem. */
char *pki_csr(const char *key_pem, const char *domain, struct berr *err);
void pki_free(char *pem);

struct pki_info {
	int64_t not_before, not_after; /* Unix time */
	char issuer[256];              /* the issuer's CN (else its one-line name) */
	bool ocsp;                     /* the leaf names an OCSP responder (AIA) */
};
/* Reads the first certificate of a PEM chain. 0, or -1 with err (VALIDATION_ERROR, field). */
int pki_cert_info(const char *chain_pem, struct pki_info *info, const char *field,
		  struct berr *err);
/* A custom certificate: the chain parses (leaf first, each certificate signed by the next;
 * a last one that is self-signed verifies itself), the key is a private key matching the
 * leaf, the leaf covers domain (subjectAltName, wildcards as TLS clients read them) and is
 * valid at now. 0, or -1 with VALIDATION_ERROR naming certificate_pem or private_key_pem. */
int pki_check_custom(const char *chain_pem, const char *key_pem, const char *domain,
		     int64_t now, struct pki_info *info, struct berr *err);
/* The leaf covers domain (subjectAltName / CN rules of X509_check_host). */
bool pki_covers(const char *chain_pem, const char *domain);
#endif
