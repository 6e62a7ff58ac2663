/* certs.c: the certificate routes (docs/api.md "HTTPS", docs/tls.md): an environment's
 * certificates, a custom certificate per domain, and the platform's HTTPS settings. */
#include "api/http.h"
#include "store/access.h"
#include "svc/certs.h"

/* access to the environment (another organization's: 404) and environment.settings */
static int env_access(struct req *r, struct access *acc, bool write)
{
	json_t *e = access_env(&r->actor, r->params[0], acc, &r->err);
	if (!e)
		return -1;
	json_decref(e);
	if (write && perm_require(acc, "environment.settings", &r->err) < 0) {
		access_release(acc);
		return -1;
	}
	return 0;
}

static int h_list(struct req *r)
{
	struct access acc;
	if (env_access(r, &acc, false) < 0)
		return reply_berr(r);
	access_release(&acc);
	json_t *out = svc_certs_list(r->params[0], &r->err);
	return out ? reply_json(r, 200, out) : reply_berr(r);
}

static int h_put(struct req *r)
{
	struct access acc;
	if (env_access(r, &acc, true) < 0)
		return reply_berr(r);
	json_t *out = svc_cert_put(&r->actor, r->ip, acc.org_id, r->params[0], r->params[1],
				   req_body(r), &r->err);
	access_release(&acc);
	return out ? reply_json(r, 200, out) : reply_berr(r);
}

static int h_delete(struct req *r)
{
	struct access acc;
	if (env_access(r, &acc, true) < 0)
		return reply_berr(r);
	json_t *out = svc_cert_delete(&r->actor, r->ip, acc.org_id, r->params[0], r->params[1],
				      &r->err);
	access_release(&acc);
	return out ? reply_json(r, 200, out) : reply_berr(r);
}

static int h_settings_get(struct req *r)
{
	if (!r->actor.is_admin)
		return reply_error(r, BE_PERMISSION_DENIED, NULL,
				   "Only the platform administrator reads platform settings");
	return reply_json(r, 200, svc_tls_settings());
}

static int h_settings_put(struct req *r)
{
	if (!r->actor.is_admin)
		return reply_error(r, BE_PERMISSION_DENIED, NULL,
				   "Only the platform administrator changes platform settings");
	json_t *out = svc_tls_settings_set(&r->actor, r->ip, req_body(r), &r->err);
	return out ? reply_json(r, 200, out) : reply_berr(r);
}

const struct route cert_routes[] = {
	{"GET", "/api/v1/environments/{}/certificates", h_list, 0},
	{"PUT", "/api/v1/environments/{}/domains/{}/certificate", h_put, 0},
	{"DELETE", "/api/v1/environments/{}/domains/{}/certificate", h_delete, 0},
	{"GET", "/api/v1/admin/tls", h_settings_get, 0},
	{"PUT", "/api/v1/admin/tls", h_settings_put, 0},
	{NULL, NULL, NULL, 0},
};
