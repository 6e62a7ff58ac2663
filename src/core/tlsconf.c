/* tlsconf.c: the platform's HTTPS settings (tlsconf.h). */
#include "core/tlsconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/pki.h"
#include "lib/secret.h"
#include "lib/util.h"
#include "lib/valid.h"
#include "store/model.h"

/* Cloudflare's published ranges (https://www.cloudflare.com/ips-v4 and ips-v6), shipped with
 * berth; the platform setting cloudflare_ranges replaces them when Cloudflare changes them. */
static const char *const CLOUDFLARE_RANGES[] = {
	"173.245.48.0/20", "103.21.244.0/22", "103.22.200.0/22", "103.31.4.0/22",
	"141.101.64.0/18", "108.162.192.0/18", "190.93.240.0/20", "188.114.96.0/20",
	"197.234.240.0/22", "198.41.128.0/17", "162.158.0.0/15", "104.16.0.0/13",
	"104.24.0.0/14", "172.64.0.0/13", "131.0.72.0/22", "2400:cb00::/32", "2606:4700::/32",
	"2803:f800::/32", "2405:b500::/32", "2405:8100::/32", "2a06:98c0::/29", "2c0f:f248::/32",
};

#define K_DIR "tls.acme_directory_url"
#define K_EMAIL "tls.acme_email"
#define K_CA "tls.acme_ca_pem"
#define K_CF "tls.cloudflare_ranges"

char *tlsconf_directory(void)
{
	char *v = model_setting_get(K_DIR);
	if (!v || !*v) {
		free(v);
		v = xstrdup(TLS_DEFAULT_DIRECTORY);
	}
	return v;
}

static char *nonempty(char *v)
{
	if (v && !*v) {
		free(v);
		v = NULL;
	}
	return v;
}

char *tlsconf_email(void)
{
	return nonempty(model_setting_get(K_EMAIL));
}

char *tlsconf_ca_pem(void)
{
	return nonempty(model_setting_get(K_CA));
}

json_t *tlsconf_cloudflare_ranges(void)
{
	char *v = model_setting_get(K_CF);
	json_t *a = v ? json_loads(v, 0, NULL) : NULL;
	free(v);
	if (json_is_array(a))
		return a;
	json_decref(a);
	a = json_array();
	for (size_t i = 0; i < ARRAY_SIZE(CLOUDFLARE_RANGES); i++)
		json_array_append_new(a, json_string(CLOUDFLARE_RANGES[i]));
	return a;
}

json_t *tlsconf_get(void)
{
	char *dir = tlsconf_directory(), *email = tlsconf_email(), *ca = tlsconf_ca_pem();
	json_t *o = json_pack("{s:s,s:s?,s:s?,s:o}", "acme_directory_url", dir, "acme_email", email,
			      "acme_ca_pem", ca, "cloudflare_ranges", tlsconf_cloudflare_ranges());
	free(dir);
	free(email);
	free(ca);
	return o;
}

/* an https URL without whitespace, quotes or control characters (it reaches uacme's argv) */
static bool url_ok(const char *s)
{
	if (!s || strncmp(s, "https://", 8) != 0 || strlen(s) > 1000 || s[8] == '\0')
		return false;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f || strchr("\"'`\\<>", *p))
			return false;
	return true;
}

static bool ca_ok(const char *s)
{
	struct pki_info info;
	struct berr e = {0};
	return s && strlen(s) < 65536 && pki_cert_info(s, &info, "acme_ca_pem", &e) == 0;
}

int tlsconf_set(json_t *body, struct berr *err)
{
	if (!json_is_object(body))
		return berr_set(err, BE_VALIDATION_ERROR, "", "the body must be an object");
	const char *k;
	json_t *v;
	json_object_foreach(body, k, v) {
		bool null = json_is_null(v);
		const char *s = json_string_value(v);
		if (str_eq(k, "acme_directory_url")) {
			if (!null && !url_ok(s))
				return berr_set(err, BE_VALIDATION_ERROR, k,
						"acme_directory_url must be an https:// URL");
		} else if (str_eq(k, "acme_email")) {
			if (!null && !(s && (!*s || valid_email(s))))
				return berr_set(err, BE_VALIDATION_ERROR, k,
						"acme_email must be an e-mail address");
		} else if (str_eq(k, "acme_ca_pem")) {
			if (!null && !(s && (!*s || ca_ok(s))))
				return berr_set(err, BE_VALIDATION_ERROR, k,
						"acme_ca_pem must be a PEM certificate (or null)");
		} else if (str_eq(k, "cloudflare_ranges")) {
			if (!null && !json_is_array(v))
				return berr_set(err, BE_VALIDATION_ERROR, k,
						"cloudflare_ranges must be a list of CIDR ranges");
			if (json_array_size(v) > 200)
				return berr_set(err, BE_VALIDATION_ERROR, k,
						"cloudflare_ranges: at most 200 ranges");
			size_t i;
			json_t *r;
			json_array_foreach(v, i, r)
				if (!valid_cidr(json_string_value(r)))
					return berr_set(err, BE_VALIDATION_ERROR, k,
							"cloudflare_ranges[%zu]: not an IP address or CIDR"
							" range", i);
		} else {
			return berr_set(err, BE_VALIDATION_ERROR, k, "unknown setting '%s'", k);
		}
	}
	json_object_foreach(body, k, v) {
		char key[64];
		snprintf(key, sizeof key, "tls.%s", k);
		if (json_is_array(v)) {
			char *t = json_dumps(v, JSON_COMPACT);
			model_setting_set(key, t);
			free(t);
		} else {
			model_setting_set(key, json_is_null(v) ? "" : json_string_value(v));
		}
	}
	return 0;
}

char *tlsconf_account_key(const char *directory)
{
	char hex[65], key[96];
	hmac_sha256_hex("acme-account", 12, directory, strlen(directory), hex);
	snprintf(key, sizeof key, "tls.account_key.%.32s", hex);
	char *sealed = model_setting_get(key);
	char *pem = sealed && *sealed ? secret_open(sealed) : NULL;
	free(sealed);
	if (pem) {
		char *out = xstrdup(pem);
		secret_free(pem);
		return out;
	}
	pem = pki_key_new();
	if (!pem)
		return NULL;
	sealed = secret_seal(pem);
	model_setting_set(key, sealed);
	free(sealed);
	return pem;
}
