/* lib/pki.c: keys and CSRs for ACME, and the checks of a custom certificate (chain order, key
 * match, domain, dates), each refusal naming its field. Certificates are made here with
 * libcrypto: a CA, an intermediate, leaves with chosen names, dates and OCSP URL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "lib/pki.h"
#include "lib/util.h"

struct made {
	EVP_PKEY *key;
	X509 *cert;
	char *cert_pem, *key_pem;
};

static char *pem_of_cert(X509 *x)
{
	BIO *b = BIO_new(BIO_s_mem());
	PEM_write_bio_X509(b, x);
	char *d;
	long n = BIO_get_mem_data(b, &d);
	char *s = strndup(d, (size_t)n);
	BIO_free(b);
	return s;
}

static char *pem_of_key(EVP_PKEY *k)
{
	BIO *b = BIO_new(BIO_s_mem());
	PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
	char *d;
	long n = BIO_get_mem_data(b, &d);
	char *s = strndup(d, (size_t)n);
	BIO_free(b);
	return s;
}

static void ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	assert_non_null(e);
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
}

/* A certificate for cn (san: subjectAltName or NULL), valid from now+from_s to now+to_s,
 * signed by issuer (NULL: self-signed), a CA when ca. */
static struct made make(const char *cn, const char *san, const struct made *issuer,
			long from_s, long to_s, const char *ocsp, bool ca)
{
	struct made m = {0};
	m.key = EVP_EC_gen("P-256");
	assert_non_null(m.key);
	X509 *x = X509_new();
	X509_set_version(x, 2);
	static long serial = 1;
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	X509_gmtime_adj(X509_getm_notBefore(x), from_s);
	X509_gmtime_adj(X509_getm_notAfter(x), to_s);
	X509_NAME *nm = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer->cert) : nm);
	X509_set_pubkey(x, m.key);
	if (ca)
		ext(x, issuer ? issuer->cert : x, NID_basic_constraints, "critical,CA:TRUE");
	if (san)
		ext(x, issuer ? issuer->cert : x, NID_subject_alt_name, san);
	if (ocsp) {
		char v[200];
		snprintf(v, sizeof v, "OCSP;URI:%s", ocsp);
		ext(x, issuer ? issuer->cert : x, NID_info_access, v);
	}
	assert_true(X509_sign(x, issuer ? issuer->key : m.key, EVP_sha256()) > 0);
	m.cert = x;
	m.cert_pem = pem_of_cert(x);
	m.key_pem = pem_of_key(m.key);
	return m;
}

static void made_free(struct made *m)
{
	EVP_PKEY_free(m->key);
	X509_free(m->cert);
	free(m->cert_pem);
	free(m->key_pem);
}

static char *cat(const char *a, const char *b)
{
	return xasprintf("%s%s", a, b);
}

static void test_key_and_csr(void **state)
{
	(void)state;
	char *key = pki_key_new();
	assert_non_null(key);
	assert_non_null(strstr(key, "-----BEGIN PRIVATE KEY-----"));
	struct berr err = {0};
	char *csr = pki_csr(key, "shop.example.com", &err);
	assert_non_null(csr);
	BIO *b = BIO_new_mem_buf(csr, -1);
	X509_REQ *r = PEM_read_bio_X509_REQ(b, NULL, NULL, NULL);
	assert_non_null(r);
	EVP_PKEY *pub = X509_REQ_get_pubkey(r);
	assert_int_equal(X509_REQ_verify(r, pub), 1);
	STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(r);
	assert_non_null(exts);
	bool san = false;
	for (int i = 0; i < sk_X509_EXTENSION_num(exts); i++)
		san = san || OBJ_obj2nid(X509_EXTENSION_get_object(sk_X509_EXTENSION_value(exts, i))) ==
				     NID_subject_alt_name;
	assert_true(san);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	EVP_PKEY_free(pub);
	X509_REQ_free(r);
	BIO_free(b);
	free(csr);
	assert_null(pki_csr("not a key", "shop.example.com", &err));
	pki_free(key);
}

static void test_custom_checks(void **state)
{
	(void)state;
	int64_t now = time(NULL);
	struct made ca = make("Test Root", NULL, NULL, -3600, 86400 * 10, NULL, true);
	struct made mid = make("Test Intermediate", NULL, &ca, -3600, 86400 * 10, NULL, true);
	struct made leaf = make("shop.example.com", "DNS:shop.example.com,DNS:*.shop.example.com",
				&mid, -60, 86400, "http://ocsp.example.com", false);
	struct made other = make("other.example.com", "DNS:other.example.com", &mid, -60, 86400,
				 NULL, false);
	struct made old = make("shop.example.com", "DNS:shop.example.com", &mid, -86400 * 3,
			       -86400, NULL, false);
	struct made later = make("shop.example.com", "DNS:shop.example.com", &mid, 86400,
				 86400 * 3, NULL, false);
	struct pki_info info;
	struct berr err = {0};

	char *chain = cat(leaf.cert_pem, mid.cert_pem);
	assert_int_equal(pki_check_custom(chain, leaf.key_pem, "shop.example.com", now, &info, &err),
			 0);
	assert_string_equal(info.issuer, "Test Intermediate");
	assert_true(info.ocsp);
	assert_true(info.not_after > now && info.not_before <= now);
	/* the wildcard covers one label */
	assert_int_equal(pki_check_custom(chain, leaf.key_pem, "a.shop.example.com", now, &info,
					  &err), 0);
	assert_int_equal(pki_check_custom(chain, leaf.key_pem, "a.b.shop.example.com", now, &info,
					  &err), -1);
	assert_string_equal(err.field, "certificate_pem");
	/* with the root at the end */
	char *full = cat(chain, ca.cert_pem);
	assert_int_equal(pki_check_custom(full, leaf.key_pem, "shop.example.com", now, &info, &err),
			 0);
	/* out of order */
	char *wrong = cat(mid.cert_pem, leaf.cert_pem);
	assert_int_equal(pki_check_custom(wrong, leaf.key_pem, "shop.example.com", now, &info,
					  &err), -1);
	assert_string_equal(err.field, "certificate_pem");
	/* a certificate the next one did not sign */
	char *bad = cat(leaf.cert_pem, ca.cert_pem);
	assert_int_equal(pki_check_custom(bad, leaf.key_pem, "shop.example.com", now, &info, &err),
			 -1);
	assert_string_equal(err.field, "certificate_pem");
	/* the key of another certificate; no key; not PEM */
	assert_int_equal(pki_check_custom(chain, other.key_pem, "shop.example.com", now, &info,
					  &err), -1);
	assert_string_equal(err.field, "private_key_pem");
	assert_int_equal(pki_check_custom(chain, "", "shop.example.com", now, &info, &err), -1);
	assert_string_equal(err.field, "private_key_pem");
	assert_int_equal(pki_check_custom("garbage", leaf.key_pem, "shop.example.com", now, &info,
					  &err), -1);
	assert_string_equal(err.field, "certificate_pem");
	/* another domain; expired; not yet valid */
	assert_int_equal(pki_check_custom(chain, leaf.key_pem, "example.com", now, &info, &err),
			 -1);
	assert_string_equal(err.field, "certificate_pem");
	assert_non_null(strstr(err.message, "does not cover"));
	assert_int_equal(pki_check_custom(old.cert_pem, old.key_pem, "shop.example.com", now, &info,
					  &err), -1);
	assert_non_null(strstr(err.message, "expired"));
	assert_int_equal(pki_check_custom(later.cert_pem, later.key_pem, "shop.example.com", now,
					  &info, &err), -1);
	assert_non_null(strstr(err.message, "not valid yet"));
	/* info of the first certificate; coverage */
	assert_int_equal(pki_cert_info(other.cert_pem, &info, "x", &err), 0);
	assert_false(info.ocsp);
	assert_true(pki_covers(chain, "shop.example.com"));
	assert_false(pki_covers(chain, "other.example.com"));
	free(chain);
	free(full);
	free(wrong);
	free(bad);
	made_free(&ca);
	made_free(&mid);
	made_free(&leaf);
	made_free(&other);
	made_free(&old);
	made_free(&later);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_and_csr),
		cmocka_unit_test(test_custom_checks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
