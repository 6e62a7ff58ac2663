/* pki.c: keys, CSRs and certificate checks for HTTPS (pki.h). */
#include "lib/pki.h"

#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/util.h"

static char *bio_text(BIO *b)
{
	char *data = NULL;
	long n = BIO_get_mem_data(b, &data);
	char *out = xmalloc((size_t)n + 1);
	memcpy(out, data, (size_t)n);
	out[n] = '\0';
	return out;
}

void pki_free(char *pem)
{
	if (pem) {
		OPENSSL_cleanse(pem, strlen(pem));
		free(pem);
	}
}

char *pki_key_new(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	if (!k)
		return NULL;
	BIO *b = BIO_new(BIO_s_secmem());
	if (!b)
		b = BIO_new(BIO_s_mem());
	char *out = NULL;
	if (b && PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL))
		out = bio_text(b);
	BIO_free(b);
	EVP_PKEY_free(k);
	return out;
}

static EVP_PKEY *key_read(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *k = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, (void *)"") : NULL;
	BIO_free(b);
	ERR_clear_error();
	return k;
}

char *pki_csr(const char *key_pem, const char *domain, struct berr *err)
{
	EVP_PKEY *k = key_read(key_pem);
	X509_REQ *r = X509_REQ_new();
	X509_NAME *nm = X509_NAME_new();
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	char san[300];
	snprintf(san, sizeof san, "DNS:%s", domain);
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, san);
	char *out = NULL;
	BIO *b = BIO_new(BIO_s_mem());
	if (k && r && nm && exts && ext && b && X509_REQ_set_version(r, 0) &&
	    X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC, (const unsigned char *)domain, -1,
				       -1, 0) &&
	    X509_REQ_set_subject_name(r, nm) && X509_REQ_set_pubkey(r, k) &&
	    sk_X509_EXTENSION_push(exts, ext) && (ext = NULL, X509_REQ_add_extensions(r, exts)) &&
	    X509_REQ_sign(r, k, EVP_sha256()) > 0 && PEM_write_bio_X509_REQ(b, r))
		out = bio_text(b);
	else
		berr_set(err, BE_INTERNAL_ERROR, NULL, "cannot make a certificate request for %s",
			 domain);
	ERR_clear_error();
	BIO_free(b);
	X509_EXTENSION_free(ext);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_NAME_free(nm);
	X509_REQ_free(r);
	EVP_PKEY_free(k);
	return out;
}

/* The certificates of a PEM text, in order; NULL when none parses or something else than
 * certificates is in it. */
static STACK_OF(X509) *chain_read(const char *pem)
{
	if (!pem || !strstr(pem, "-----BEGIN CERTIFICATE-----"))
		return NULL;
	BIO *b = BIO_new_mem_buf(pem, -1);
	STACK_OF(X509) *sk = sk_X509_new_null();
	X509 *x;
	while (b && sk && (x = PEM_read_bio_X509(b, NULL, NULL, NULL)))
		sk_X509_push(sk, x);
	ERR_clear_error();
	BIO_free(b);
	if (sk && sk_X509_num(sk) == 0) {
		sk_X509_free(sk);
		sk = NULL;
	}
	return sk;
}

static int64_t asn1_unix(const ASN1_TIME *t)
{
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return (int64_t)timegm(&tm);
}

static void info_of(X509 *x, struct pki_info *info)
{
	memset(info, 0, sizeof *info);
	info->not_before = asn1_unix(X509_get0_notBefore(x));
	info->not_after = asn1_unix(X509_get0_notAfter(x));
	X509_NAME *is = X509_get_issuer_name(x);
	if (X509_NAME_get_text_by_NID(is, NID_commonName, info->issuer, sizeof info->issuer) < 0)
		X509_NAME_oneline(is, info->issuer, sizeof info->issuer);
	for (char *p = info->issuer; *p; p++) /* shown as it is: printable ASCII only */
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			*p = '?';
	STACK_OF(OPENSSL_STRING) *ocsp = X509_get1_ocsp(x);
	info->ocsp = ocsp && sk_OPENSSL_STRING_num(ocsp) > 0;
	X509_email_free(ocsp);
}

int pki_cert_info(const char *chain_pem, struct pki_info *info, const char *field,
		  struct berr *err)
{
	STACK_OF(X509) *sk = chain_read(chain_pem);
	if (!sk)
		return berr_set(err, BE_VALIDATION_ERROR, field, "%s: not a PEM certificate", field);
	info_of(sk_X509_value(sk, 0), info);
	sk_X509_pop_free(sk, X509_free);
	return 0;
}

bool pki_covers(const char *chain_pem, const char *domain)
{
	STACK_OF(X509) *sk = chain_read(chain_pem);
	bool ok = sk && X509_check_host(sk_X509_value(sk, 0), domain, 0, 0, NULL) == 1;
	sk_X509_pop_free(sk, X509_free);
	return ok;
}

int pki_check_custom(const char *chain_pem, const char *key_pem, const char *domain,
		     int64_t now, struct pki_info *info, struct berr *err)
{
	const char *F = "certificate_pem";
	STACK_OF(X509) *sk = chain_read(chain_pem);
	if (!sk)
		return berr_set(err, BE_VALIDATION_ERROR, F,
				"certificate_pem: not a PEM certificate chain (leaf first)");
	int rc = -1;
	X509 *leaf = sk_X509_value(sk, 0);
	EVP_PKEY *k = NULL;
	int n = sk_X509_num(sk);
	for (int i = 0; i < n; i++) {
		X509 *x = sk_X509_value(sk, i);
		X509 *up = i + 1 < n ? sk_X509_value(sk, i + 1) : NULL;
		if (!up && X509_check_issued(x, x) == X509_V_OK)
			up = x; /* a root at the end verifies itself */
		if (!up)
			continue; /* the last intermediate: its root is the client's */
		EVP_PKEY *pk = X509_get0_pubkey(up);
		if (X509_check_issued(up, x) != X509_V_OK || !pk || X509_verify(x, pk) != 1) {
			berr_set(err, BE_VALIDATION_ERROR, F,
				 "certificate_pem: certificate %d of the chain is not signed by the next"
				 " one (give the leaf first, then its intermediates in order)", i + 1);
			goto out;
		}
	}
	k = key_read(key_pem ? key_pem : "");
	if (!k) {
		berr_set(err, BE_VALIDATION_ERROR, "private_key_pem",
			 "private_key_pem: not a PEM private key (unencrypted)");
		goto out;
	}
	if (X509_check_private_key(leaf, k) != 1) {
		berr_set(err, BE_VALIDATION_ERROR, "private_key_pem",
			 "private_key_pem: the key does not match the certificate");
		goto out;
	}
	if (X509_check_host(leaf, domain, 0, 0, NULL) != 1) {
		berr_set(err, BE_VALIDATION_ERROR, F, "certificate_pem: the certificate does not cover %s",
			 domain);
		goto out;
	}
	info_of(leaf, info);
	if (info->not_after <= now) {
		berr_set(err, BE_VALIDATION_ERROR, F, "certificate_pem: the certificate has expired");
		goto out;
	}
	if (info->not_before > now) {
		berr_set(err, BE_VALIDATION_ERROR, F, "certificate_pem: the certificate is not valid yet");
		goto out;
	}
	rc = 0;
out:
	ERR_clear_error();
	EVP_PKEY_free(k);
	sk_X509_pop_free(sk, X509_free);
	return rc;
}
