/* access_info.c: the Access tab's answer, the IDE's password rotation and the platform's IDE
 * image (svc/access_info.h). */
#include "svc/access_info.h"

#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/actions.h"
#include "core/config.h"
#include "lib/jspec.h"
#include "lib/secret.h"
#include "lib/util.h"
#include "ops/ide.h"
#include "store/certs.h"
#include "store/envs.h"
#include "store/model.h"
#include "store/servers.h"
#include "svc/actions.h"

#define MASK "********"
#define ODOO_PORT 8069

static const char NOTICE_BOTH[] =
	"The IDE and Connect As User are not included in the organization's plan: upgrade to Pro"
	" or Enterprise to use them.";
static const char NOTICE_IDE[] =
	"The IDE is not included in the organization's plan: upgrade to Pro or Enterprise to use"
	" it.";
static const char NOTICE_CONNECT[] =
	"Connect As User is not included in the organization's plan: upgrade to Pro or Enterprise"
	" to use it.";

void svc_env_instance_url(const struct env_row *e, const char *fqdn, char *out, size_t len,
			  bool *https)
{
	json_t *c = cert_get(e->id, fqdn);
	*https = str_eq(json_string_value(json_object_get(c, "status")), "active");
	json_decref(c);
	long long port = *https ? e->server_https_port : e->server_http_port;
	long long dflt = *https ? 443 : 80;
	if (port > 0 && port != dflt)
		snprintf(out, len, "%s://%s:%lld", *https ? "https" : "http", fqdn, port);
	else
		snprintf(out, len, "%s://%s", *https ? "https" : "http", fqdn);
}

/* Who the tunnel logs in as: the server's SSH user; a local server (berthd's own host) has
 * none: the user berthd runs as. Caller frees. */
static char *tunnel_user(const struct server_row *s)
{
	if (s->user && *s->user)
		return xstrdup(s->user);
	struct passwd *pw = getpwuid(geteuid());
	return xstrdup(pw && pw->pw_name ? pw->pw_name : "root");
}

static json_t *ssh_tunnel(const struct env_row *e, const char *fqdn, int pg_port)
{
	struct server_row s;
	if (servers_get(e->vm_id, &s) < 0)
		return json_pack("{s:n,s:n,s:n,s:n}", "command", "host", "user", "port");
	bool cf = servers_cloudflare_proxy(e->vm_id);
	/* Cloudflare proxies HTTP only: behind it, SSH goes to the server itself */
	const char *host = cf && s.host && *s.host ? s.host : fqdn;
	char *user = tunnel_user(&s);
	int port = s.port > 0 ? s.port : 22;
	struct sbuf cmd = SBUF_INIT;
	if (pg_port > 0) {
		sbuf_addf(&cmd, "ssh -L %d:localhost:%d -N -f ", pg_port, pg_port);
		if (port != 22)
			sbuf_addf(&cmd, "-p %d ", port);
		sbuf_addf(&cmd, "%s@%s", user, host);
	}
	json_t *o = json_pack("{s:s?,s:s,s:s,s:i}", "command", pg_port > 0 ? sbuf_str(&cmd) : NULL,
			      "host", host, "user", user, "port", port);
	sbuf_release(&cmd);
	free(user);
	server_row_free(&s);
	return o;
}

json_t *svc_access_info(const struct actor *a, const char *ip, const char *env_id,
			const char *reveal, struct berr *err)
{
	struct access acc;
	json_t *env = access_env(a, env_id, &acc, err);
	if (!env)
		return NULL;
	json_decref(env);
	json_t *out = NULL;
	bool can_view = perm_require(&acc, "environment.view", err) == 0;
	bool can_ide = perm_has(&acc, "environment.ide");
	char org[37];
	snprintf(org, sizeof org, "%s", acc.org_id);
	access_release(&acc);
	if (!can_view)
		return NULL;
	if (reveal && !str_eq(reveal, "ide_password") && !str_eq(reveal, "db_password")) {
		berr_set(err, BE_VALIDATION_ERROR, "reveal",
			 "reveal: must be ide_password or db_password");
		return NULL;
	}
	if (reveal && !can_ide) {
		berr_set(err, BE_PERMISSION_DENIED, "reveal",
			 "Revealing a password needs the permission environment.ide");
		return NULL;
	}
	json_t *plan = model_org_plan(org);
	bool allow_ide = json_is_true(json_object_get(plan, "allow_ide"));
	bool allow_connect = json_is_true(json_object_get(plan, "allow_connect"));
	json_decref(plan);
	if (str_eq(reveal, "ide_password") && !allow_ide) {
		berr_set(err, BE_PLAN_FEATURE_UNAVAILABLE, "reveal",
			 "The IDE is not included in the organization's plan: upgrade to Pro or"
			 " Enterprise");
		return NULL;
	}
	struct env_row e;
	if (env_load(env_id, &e) < 0) {
		berr_set(err, BE_ENVIRONMENT_NOT_FOUND, NULL, "Environment '%s' doesn't exist", env_id);
		return NULL;
	}
	char fqdn[300], url[400];
	snprintf(fqdn, sizeof fqdn, "%s.%s", e.subdomain ? e.subdomain : "", berth_cfg.apps_domain);
	bool https;
	svc_env_instance_url(&e, fqdn, url, sizeof url, &https);
	/* the port is allocated at the first deploy; asked before, it is allocated now */
	int pg_port = env_pg_port_ensure(e.id, NULL, 0);

	json_t *ide;
	if (allow_ide && can_ide) {
		char *ide_url = xasprintf("%s/ide", url);
		char *pw = NULL;
		if (str_eq(reveal, "ide_password")) {
			ops_ide_password_new(e.id, true); /* before the first deploy: it is set now */
			pw = ops_ide_password(e.id);
		}
		ide = json_pack("{s:b,s:s,s:s?,s:b}", "available", 1, "url", ide_url, "password",
				pw ? pw : MASK, "revealed", pw != NULL);
		secret_free(pw);
		free(ide_url);
	} else {
		ide = json_pack("{s:b,s:n,s:n,s:b}", "available", 0, "url", "password", "revealed", 0);
	}
	char *dbpw = NULL;
	bool db_set = false;
	{
		char *sealed = env_secret_get(e.id, ENV_SECRET_DB_PASSWORD);
		db_set = sealed != NULL;
		if (sealed && str_eq(reveal, "db_password"))
			dbpw = secret_open(sealed);
		free(sealed);
	}
	json_t *db = json_pack("{s:s?,s:s,s:i,s:o,s:s?,s:b}", "name", e.db_name ? e.db_name : e.name,
			       "user", "odoo", "odoo_port", ODOO_PORT, "postgres_port",
			       pg_port > 0 ? json_integer(pg_port) : json_null(), "password",
			       dbpw ? dbpw : db_set ? MASK : NULL, "revealed", dbpw != NULL);
	secret_free(dbpw);
	const char *notice = !allow_ide && !allow_connect ? NOTICE_BOTH
			     : !allow_ide		      ? NOTICE_IDE
			     : !allow_connect		      ? NOTICE_CONNECT
							      : NULL;
	out = json_pack("{s:s,s:o,s:o,s:o,s:{s:b,s:b,s:s?}}", "instance_url", url, "ide", ide,
			"database", db, "ssh_tunnel", ssh_tunnel(&e, fqdn, pg_port), "plan",
			"allow_ide", allow_ide, "allow_connect", allow_connect, "notice", notice);
	if (reveal)
		model_audit(e.org_id, a->user_id, a->email, "environment.access.reveal", "environment",
			    e.id, json_pack("{s:s}", "field", reveal), ip);
	env_row_free(&e);
	return out;
}

json_t *svc_ide_password_rotate(const struct actor *a, const char *ip, const char *env_id,
				struct berr *err)
{
	struct access acc;
	json_t *env = access_env(a, env_id, &acc, err);
	if (!env)
		return NULL;
	json_decref(env);
	int rc = perm_require(&acc, "environment.ide", err);
	char org[37];
	snprintf(org, sizeof org, "%s", acc.org_id);
	access_release(&acc);
	if (rc < 0)
		return NULL;
	if (!ops_ide_allowed(org)) {
		berr_set(err, BE_PLAN_FEATURE_UNAVAILABLE, NULL,
			 "The IDE is not included in the organization's plan: upgrade to Pro or"
			 " Enterprise");
		return NULL;
	}
	if (ops_ide_password_new(env_id, false) < 0) {
		berr_set(err, BE_INTERNAL_ERROR, NULL, "the new password could not be stored");
		return NULL;
	}
	return svc_env_action(a, ip, env_id, "ide_password", NULL, err);
}

json_t *svc_ide_settings(void)
{
	char *img = ops_ide_image();
	json_t *o = json_pack("{s:s,s:s}", "image", img, "default", IDE_IMAGE_DEFAULT);
	free(img);
	return o;
}

json_t *svc_ide_settings_set(json_t *body, struct berr *err)
{
	const char *image = NULL;
	struct jfield spec[] = {
		{.name = "image", .type = J_STRING, .required = true, .dest = &image},
		JF_END,
	};
	if (jspec_parse(body, spec, NULL, err) < 0)
		return NULL;
	if (!svc_image_ref_valid(image)) {
		berr_set(err, BE_VALIDATION_ERROR, "image", "image: not a valid image reference");
		return NULL;
	}
	model_setting_set("ide_image", image);
	return svc_ide_settings();
}
