/* certs.c: custom certificates and the platform's HTTPS settings (svc/certs.h). */
#include "svc/certs.h"

#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/tlsconf.h"
#include "lib/pki.h"
#include "lib/secret.h"
#include "lib/util.h"
#include "lib/valid.h"
#include "ops/tls.h"
#include "store/certs.h"
#include "store/envs.h"
#include "store/model.h"

/* The environment's domains, primary first (as the edge serves them: its subdomain's FQDN,
 * its custom domain, its extra domains), each once. */
static json_t *env_domains(const char *env_id)
{
	struct env_row row;
	if (env_load(env_id, &row) < 0)
		return NULL;
	json_t *out = json_array();
	char fqdn[300];
	snprintf(fqdn, sizeof fqdn, "%s.%s", row.subdomain ? row.subdomain : "", berth_cfg.apps_domain);
	json_array_append_new(out, json_string(fqdn));
	if (row.custom_domain && *row.custom_domain && !str_eq(row.custom_domain, fqdn))
		json_array_append_new(out, json_string(row.custom_domain));
	size_t i, k;
	json_t *v, *w;
	json_array_foreach(json_object_get(row.settings, "extra_domains"), i, v) {
		bool dup = !json_is_string(v) || !*json_string_value(v);
		json_array_foreach(out, k, w)
			dup = dup || json_equal(v, w);
		if (!dup)
			json_array_append(out, v);
	}
	env_row_free(&row);
	return out;
}

static bool has_domain(json_t *domains, const char *d)
{
	size_t i;
	json_t *v;
	json_array_foreach(domains, i, v)
		if (str_eq(json_string_value(v), d))
			return true;
	return false;
}

static json_t *summary(const char *env_id, const char *domain, bool primary)
{
	json_t *row = cert_get(env_id, domain);
	json_t *o = json_pack("{s:s,s:b}", "domain", domain, "primary", primary);
	static const char *const KEYS[] = {"source", "status", "not_before", "not_after", "issuer",
					   "error", "next_attempt_at"};
	for (size_t i = 0; i < ARRAY_SIZE(KEYS); i++) {
		json_t *v = json_object_get(row, KEYS[i]);
		json_object_set(o, KEYS[i], v ? v : json_null());
	}
	if (!row)
		json_object_set_new(o, "status", json_string("none"));
	json_decref(row);
	return o;
}

json_t *svc_certs_list(const char *env_id, struct berr *err)
{
	json_t *domains = env_domains(env_id);
	if (!domains) {
		berr_set(err, BE_ENVIRONMENT_NOT_FOUND, NULL, "Environment '%s' doesn't exist", env_id);
		return NULL;
	}
	json_t *out = json_array();
	size_t i;
	json_t *v;
	json_array_foreach(domains, i, v)
		json_array_append_new(out, summary(env_id, json_string_value(v), i == 0));
	json_decref(domains);
	return out;
}

/* the domain is one of the environment's; else NOT_FOUND naming it */
static int domain_of_env(const char *env_id, const char *domain, bool *primary, struct berr *err)
{
	json_t *domains = env_domains(env_id);
	bool ok = domains && valid_domain(domain) && has_domain(domains, domain);
	*primary = ok && str_eq(json_string_value(json_array_get(domains, 0)), domain);
	json_decref(domains);
	if (!ok)
		return berr_set(err, BE_NOT_FOUND, "domain",
				"The environment has no domain '%.253s'", domain ? domain : "");
	return 0;
}

json_t *svc_cert_put(const struct actor *a, const char *ip, const char *org_id,
		     const char *env_id, const char *domain, json_t *body, struct berr *err)
{
	bool primary;
	if (domain_of_env(env_id, domain, &primary, err) < 0)
		return NULL;
	if (!json_is_object(body)) {
		berr_set(err, BE_VALIDATION_ERROR, "", "the body must be an object");
		return NULL;
	}
	const char *k;
	json_t *v;
	json_object_foreach(body, k, v)
		if (!str_eq(k, "certificate_pem") && !str_eq(k, "private_key_pem")) {
			berr_set(err, BE_VALIDATION_ERROR, k, "unknown field '%s'", k);
			return NULL;
		}
	const char *cert = json_string_value(json_object_get(body, "certificate_pem"));
	const char *key = json_string_value(json_object_get(body, "private_key_pem"));
	if (!cert || strlen(cert) > 65536) {
		berr_set(err, BE_VALIDATION_ERROR, "certificate_pem",
			 "certificate_pem is required: the PEM chain, leaf first (at most 64 KiB)");
		return NULL;
	}
	if (!key || strlen(key) > 16384) {
		berr_set(err, BE_VALIDATION_ERROR, "private_key_pem",
			 "private_key_pem is required: the PEM private key (at most 16 KiB)");
		return NULL;
	}
	struct pki_info info;
	if (pki_check_custom(cert, key, domain, now_s(), &info, err) < 0)
		return NULL;
	char nb[32], na[32];
	iso8601(info.not_before, nb);
	iso8601(info.not_after, na);
	char *sealed = secret_seal(key);
	int rc = cert_put_custom(org_id, env_id, domain, cert, sealed, nb, na, info.issuer);
	free(sealed);
	if (rc < 0) {
		berr_set(err, BE_INTERNAL_ERROR, NULL, "the certificate could not be stored");
		return NULL;
	}
	model_audit(org_id, a->user_id, a->email, "certificate.put", "environment", env_id,
		    json_pack("{s:s,s:s,s:s,s:s}", "domain", domain, "issuer", info.issuer,
			      "not_after", na, "source", "custom"),
		    ip);
	json_t *job = NULL;
	struct berr e2 = {0};
	tls_enqueue(env_id, a->email, a->user_id, ip, &job, &e2);
	json_t *out = summary(env_id, domain, primary);
	json_object_set_new(out, "job", job ? job : json_null());
	return out;
}

json_t *svc_cert_delete(const struct actor *a, const char *ip, const char *org_id,
			const char *env_id, const char *domain, struct berr *err)
{
	bool primary;
	if (domain_of_env(env_id, domain, &primary, err) < 0)
		return NULL;
	int rc = cert_delete(env_id, domain);
	if (rc < 0) {
		berr_set(err, BE_INTERNAL_ERROR, NULL, "the certificate could not be removed");
		return NULL;
	}
	model_audit(org_id, a->user_id, a->email, "certificate.delete", "environment", env_id,
		    json_pack("{s:s,s:b}", "domain", domain, "existed", rc == 1), ip);
	json_t *job = NULL;
	struct berr e2 = {0};
	tls_enqueue(env_id, a->email, a->user_id, ip, &job, &e2);
	json_t *out = summary(env_id, domain, primary);
	json_object_set_new(out, "job", job ? job : json_null());
	return out;
}

json_t *svc_tls_settings(void)
{
	return tlsconf_get();
}

json_t *svc_tls_settings_set(const struct actor *a, const char *ip, json_t *body,
			     struct berr *err)
{
	if (tlsconf_set(body, err) < 0)
		return NULL;
	json_t *keys = json_array();
	const char *k;
	json_t *v;
	json_object_foreach(body, k, v)
		json_array_append_new(keys, json_string(k));
	model_audit(NULL, a->user_id, a->email, "platform.tls.update", "platform", NULL,
		    json_pack("{s:o}", "keys", keys), ip);
	return tlsconf_get();
}
