/* settings.c: the settings API's rules (see settings.h). */
#include "svc/settings.h"

#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/actions.h"
#include "core/config.h"
#include "core/settings.h"
#include "drivers/dns.h"
#include "lib/util.h"
#include "lib/valid.h"
#include "render/render.h"
#include "store/db.h"
#include "store/env_domains.h"
#include "store/model.h"
#include "svc/envs.h"

/* How long the Domain tab waits for DNS, all lookups together. */
#define DNS_TIMEOUT_MS 1500

/* ---- ignored keys ---- */

/* TEMPORARY (issue 13): the reserved keys of render/odoo.c and render/postgres.c, until the
 * containers helper's render_odoo_conf_ignored() / render_postgresql_conf_ignored() land;
 * then svc_settings_ignored_keys calls those and these lists go. */
static const char *const ODOO_RESERVED[] = {
	"admin_passwd", "data_dir", "*_port", "db_host", "db_port", "db_user", "db_password",
	"db_name", "dbfilter", "list_db", "addons_path", "proxy_mode", "http_interface",
	"db_replica_host", "logfile", "syslog", NULL,
};
static const char *const PG_RESERVED[] = {
	"listen_addresses", "port", "data_directory", "hba_file", "ident_file", "config_file",
	"unix_socket_directories", "include*", NULL,
};

json_t *svc_settings_ignored_keys(const char *tab, json_t *settings)
{
	json_t *out = json_array();
	bool odoo = str_eq(tab, "odoo");
	if (!odoo && !str_eq(tab, "postgresql"))
		return out;
	const char *text = json_string_value(
		json_object_get(settings, odoo ? "odoo_config" : "postgres_config"));
	if (!text || !*text)
		return out;
	struct render_extra x;
	render_extra_parse(&x, odoo ? RENDER_ODOO_CONF : RENDER_POSTGRESQL_CONF, text,
			   odoo ? ODOO_RESERVED : PG_RESERVED);
	static const char tail[] = " is reserved (set by berth)";
	for (size_t i = 0; i < x.n; i++) {
		const char *t = x.lines[i].text;
		if (x.lines[i].kind != RX_DROPPED || !t || !str_ends(t, tail))
			continue;
		json_t *k = json_stringn(t, strlen(t) - strlen(tail));
		bool dup = false;
		size_t j;
		json_t *v;
		json_array_foreach(out, j, v)
			dup = dup || json_equal(v, k);
		if (!dup)
			json_array_append(out, k);
		json_decref(k);
	}
	render_extra_release(&x);
	return out;
}

/* ---- extra domains ---- */

/* The subdomain label when d is <label>.<apps domain>, else NULL (caller frees). */
static char *system_label(const char *d)
{
	const char *apps = berth_cfg.apps_domain;
	size_t n = strlen(d), an = apps ? strlen(apps) : 0;
	if (!an || n <= an + 1 || d[n - an - 1] != '.' || strcmp(d + n - an, apps) != 0)
		return NULL;
	return xstrndup(d, n - an - 1);
}

int svc_settings_domains_check(const struct env_row *cur, json_t *patch, struct berr *err)
{
	json_t *list = json_object_get(patch, "extra_domains");
	if (!json_is_array(list))
		return 0;
	size_t i;
	json_t *v;
	json_array_foreach(list, i, v) {
		const char *d = json_string_value(v);
		for (size_t j = 0; j < i; j++)
			if (str_eq(json_string_value(json_array_get(list, j)), d))
				return berr_set(err, BE_VALIDATION_ERROR, "extra_domains",
						"extra_domains: '%s' is listed twice", d);
		if (str_eq(d, cur->custom_domain))
			return berr_set(err, BE_VALIDATION_ERROR, "extra_domains",
					"extra_domains: '%s' is the environment's custom domain already",
					d);
		char *label = system_label(d);
		bool own = label && str_eq(label, cur->subdomain);
		char *owner = env_domain_owner(d, label, cur->id);
		int rc = 0;
		if (owner)
			rc = berr_set(err, BE_DOMAIN_EXISTS, "extra_domains",
				      "extra_domains: '%s' is already in use by another environment", d);
		else if (own)
			rc = berr_set(err, BE_VALIDATION_ERROR, "extra_domains",
				      "extra_domains: '%s' is the environment's own system domain", d);
		else if (label)
			rc = berr_set(err, BE_VALIDATION_ERROR, "extra_domains",
				      "extra_domains: names under %s are system subdomains (set the"
				      " environment's subdomain instead)", berth_cfg.apps_domain);
		free(owner);
		free(label);
		if (rc < 0)
			return -1;
	}
	return 0;
}

int svc_settings_domains_store(const char *env_id, json_t *patch, struct berr *err)
{
	json_t *list = json_object_get(patch, "extra_domains");
	if (!list)
		return 0;
	int rc = env_domains_set(env_id, json_is_array(list) ? list : NULL);
	if (rc == -2)
		return berr_set(err, BE_DOMAIN_EXISTS, "extra_domains",
				"extra_domains: a domain was taken by another environment meanwhile");
	return rc < 0 ? berr_set(err, BE_INTERNAL_ERROR, NULL, NULL) : 0;
}

/* ---- reading ---- */

static bool plan_has(json_t *plan, const char *flag)
{
	return !flag || json_is_true(json_object_get(plan, flag)) ||
	       (json_is_integer(json_object_get(plan, flag)) &&
		json_integer_value(json_object_get(plan, flag)) != 0);
}

static json_t *field_json(const struct setting *s, json_t *plan)
{
	json_t *choices = json_null();
	if (s->type == SETTING_ENUM) {
		choices = json_array();
		for (const char *const *c = s->choices; *c; c++)
			json_array_append_new(choices, json_string(*c));
	}
	bool num = s->type == SETTING_INT;
	json_t *f = json_pack("{s:s,s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:b,s:s,s:b,s:o}", "key", s->key,
			      "label", s->label, "type", setting_type_name(s->type), "default",
			      settings_value(s, NULL), "min", num ? json_integer(s->min) : json_null(),
			      "max", num ? json_integer(s->max) : json_null(), "choices", choices,
			      "plan_flag", s->plan_flag ? json_string(s->plan_flag) : json_null(),
			      "available", plan_has(plan, s->plan_flag), "apply",
			      setting_apply_name(s->apply), "pending", s->pending, "format",
			      s->valid_what ? json_string(s->valid_what) : json_null());
	json_object_set_new(f, "description", json_string(s->description));
	if (s->type == SETTING_STRING || s->type == SETTING_TEXT)
		json_object_set_new(f, "max_length", json_integer(s->max));
	if (s->type == SETTING_LIST)
		json_object_set_new(f, "max_items", json_integer(s->max));
	return f;
}

static bool addr_is_literal(const char *h)
{
	unsigned char buf[16];
	return h && (inet_pton(AF_INET, h, buf) == 1 || inet_pton(AF_INET6, h, buf) == 1);
}

static json_t *cert_of(json_t *certs, const char *domain)
{
	size_t i;
	json_t *c;
	json_array_foreach(certs, i, c)
		if (str_eq(json_string_value(json_object_get(c, "domain")), domain))
			return c;
	return NULL;
}

/* The Domain tab's info: the environment's domains, where DNS sends each (looked up here,
 * bounded), and their certificates. */
static json_t *domain_info(const struct env_row *e, json_t *settings)
{
	char *fqdn = xasprintf("%s.%s", e->subdomain, berth_cfg.apps_domain);
	const char *names[64];
	const char *kinds[64];
	size_t n = 0;
	names[n] = fqdn;
	kinds[n++] = "system";
	if (e->custom_domain && *e->custom_domain) {
		names[n] = e->custom_domain;
		kinds[n++] = "custom";
	}
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(settings, "extra_domains"), i, v) {
		const char *d = json_string_value(v);
		bool dup = !d;
		for (size_t k = 0; k < n && !dup; k++)
			dup = str_eq(names[k], d);
		if (!dup && n < ARRAY_SIZE(names) - 1) {
			names[n] = d;
			kinds[n++] = "extra";
		}
	}
	json_t *server = env_domains_server(e->id);
	const char *host = json_string_value(json_object_get(server, "host"));
	bool local = str_eq(json_string_value(json_object_get(server, "transport")), "local");
	json_t *cf = json_object_get(server, "cloudflare_proxy");
	bool cloudflare = json_is_true(cf) || (json_is_integer(cf) && json_integer_value(cf));
	/* the server's own addresses: this machine's for the local transport, its host when an
	 * address, else what its host name resolves to (looked up with the domains) */
	bool resolve_host = !local && host && !addr_is_literal(host);
	names[n] = resolve_host ? host : NULL;
	json_t *res = dns_resolve_many(names, n + (resolve_host ? 1 : 0), DNS_TIMEOUT_MS);
	json_t *server_addrs = local ? dns_local_addresses()
			       : resolve_host ? json_incref(json_array_get(res, n))
			       : host ? json_pack("[s]", host) : json_array();
	json_t *certs = env_domains_certs(e->id);
	json_t *domains = json_array();
	for (size_t k = 0; k < n; k++) {
		json_t *addrs = json_array_get(res, k);
		json_t *dns;
		if (json_is_array(addrs)) {
			bool points = false;
			size_t a, b;
			json_t *x, *y;
			json_array_foreach(addrs, a, x)
				json_array_foreach(server_addrs, b, y)
					points = points || json_equal(x, y);
			dns = json_pack("{s:b,s:O,s:o}", "points_to_server", points, "addresses", addrs,
					"error", json_array_size(addrs) ? json_null()
									 : json_string("does not resolve"));
		} else {
			dns = json_pack("{s:n,s:n,s:s}", "points_to_server", "addresses", "error",
					"the DNS lookup did not answer in time");
		}
		json_t *c = cert_of(certs, names[k]);
		json_t *tls = c ? json_pack("{s:O,s:O,s:O,s:O}", "status", json_object_get(c, "status"),
					    "source", json_object_get(c, "source"), "not_after",
					    json_object_get(c, "not_after"), "error",
					    json_object_get(c, "error"))
				: json_pack("{s:s,s:n,s:n,s:n}", "status", "none", "source", "not_after",
					    "error");
		json_array_append_new(domains,
				      json_pack("{s:s,s:s,s:b,s:o,s:o}", "domain", names[k], "kind",
						kinds[k], "primary", k == 0, "dns", dns, "tls", tls));
	}
	json_t *tls_status = json_object_get(server, "tls_status");
	json_t *info = json_pack("{s:s,s:b,s:O,s:o,s:o,s:O}", "primary_domain", fqdn,
				 "cloudflare_proxy", cloudflare, "server_addresses", server_addrs,
				 "domains", domains, "tls_status",
				 tls_status ? json_incref(tls_status) : json_string("none"), "tls_error",
				 json_object_get(server, "tls_error") ? json_object_get(server, "tls_error")
								     : json_null());
	json_decref(server_addrs);
	json_decref(certs);
	json_decref(res);
	json_decref(server);
	free(fqdn);
	return info;
}

static json_t *tab_info(const struct env_row *e, const char *tab, json_t *settings)
{
	if (str_eq(tab, "odoo") || str_eq(tab, "postgresql"))
		return json_pack("{s:o}", "ignored_keys", svc_settings_ignored_keys(tab, settings));
	if (str_eq(tab, "domain"))
		return domain_info(e, settings);
	return json_object();
}

/* {tab, values, fields, locked, info} of the environment's settings. */
static json_t *tab_json(const struct env_row *e, const char *tab, json_t *settings)
{
	json_t *plan = model_org_plan(e->org_id);
	json_t *values = json_object(), *fields = json_array();
	for (size_t i = 0; i < settings_count(); i++) {
		const struct setting *s = setting_at(i);
		if (!str_eq(s->tab, tab))
			continue;
		json_object_set_new(values, s->key, settings_value(s, settings));
		json_array_append_new(fields, field_json(s, plan));
	}
	const char *flag = settings_tab_plan_flag(tab);
	json_t *o = json_pack("{s:s,s:o,s:o,s:b,s:o}", "tab", tab, "values", values, "fields", fields,
			      "locked", !plan_has(plan, flag), "info", tab_info(e, tab, settings));
	json_object_set_new(o, "plan_flag", flag ? json_string(flag) : json_null());
	json_decref(plan);
	return o;
}

static int unknown_tab(const char *tab, struct berr *err)
{
	return berr_set(err, BE_NOT_FOUND, "tab",
			"No settings tab '%s' (tabs: odoo, postgresql, security, domain, nginx,"
			" packages)", tab);
}

json_t *svc_settings_get(const char *env_id, const char *tab, struct berr *err)
{
	if (!settings_tab_valid(tab)) {
		unknown_tab(tab, err);
		return NULL;
	}
	struct env_row e;
	if (env_load(env_id, &e) < 0) {
		berr_set(err, BE_ENVIRONMENT_NOT_FOUND, NULL, "Environment '%s' doesn't exist", env_id);
		return NULL;
	}
	json_t *o = tab_json(&e, tab, e.settings);
	env_row_free(&e);
	return o;
}

/* ---- saving ---- */

struct put_tx {
	const struct actor *a;
	const char *ip;
	const char *env_id, *tab;
	json_t *patch, *changed;
};

static int put_tx(void *ctx, struct berr *err)
{
	struct put_tx *t = ctx;
	struct env_row cur;
	if (env_load(t->env_id, &cur) < 0)
		return berr_set(err, BE_ENVIRONMENT_NOT_FOUND, NULL, "Environment '%s' doesn't exist",
				t->env_id);
	/* everything else as it is: only the settings object changes */
	struct env_change c = {
		.cpu_c = (int)llround(cur.cpu_cores * 100),
		.pg_cpu_c = (int)llround(cur.postgres_cpu_cores * 100),
		.ram_mb = cur.ram_mb, .disk_gb = cur.disk_gb, .pg_ram_mb = cur.postgres_ram_mb,
		.pg_custom = cur.postgres_custom, .enable_read_replica = cur.enable_read_replica,
		.odoo_config = cur.odoo_config, .settings_patch = t->patch,
	};
	int rc = env_update(t->env_id, &c);
	if (rc == 0)
		rc = svc_settings_domains_store(t->env_id, t->patch, err);
	else
		rc = berr_set(err, BE_INTERNAL_ERROR, NULL, NULL);
	if (rc == 0)
		model_audit(cur.org_id, t->a->user_id, t->a->email, "environment.settings",
			    "environment", t->env_id,
			    json_pack("{s:s,s:O}", "tab", t->tab, "changed", t->changed), t->ip);
	env_row_free(&cur);
	return rc;
}

/* The job type and params that apply `need` now (NULL: none), and its permission. */
static const char *apply_job(enum setting_apply need, json_t **params, const char **perm)
{
	*params = NULL;
	*perm = NULL;
	switch (need) {
	case APPLY_EDGE_RELOAD:
		*perm = "environment.settings";
		return "edge_reload";
	case APPLY_SOFT_RESTART:
	case APPLY_HARD_RESTART:
		*params = json_pack("{s:s}", "mode", need == APPLY_SOFT_RESTART ? "soft" : "hard");
		*perm = "environment.restart";
		return "restart";
	case APPLY_REBUILD:
		*perm = "environment.deploy";
		return "deploy";
	default:
		return NULL;
	}
}

json_t *svc_settings_put(const struct actor *a, const char *ip, const struct access *acc,
			 const char *env_id, const char *tab, json_t *body, bool apply_now,
			 struct berr *err)
{
	if (!settings_tab_valid(tab)) {
		unknown_tab(tab, err);
		return NULL;
	}
	if (perm_require(acc, "environment.settings", err) < 0)
		return NULL;
	if (!json_is_object(body)) {
		berr_set(err, BE_VALIDATION_ERROR, NULL, "the body must be an object of settings");
		return NULL;
	}
	const char *k;
	json_t *v;
	json_object_foreach(body, k, v) {
		const struct setting *s = setting_find(k);
		if (!s || !str_eq(s->tab, tab)) {
			if (s)
				berr_set(err, BE_VALIDATION_ERROR, k,
					 "%s: not a setting of the %s tab (it is on the %s tab)", k, tab,
					 s->tab);
			else
				berr_set(err, BE_VALIDATION_ERROR, k, "%s: no such setting", k);
			return NULL;
		}
	}
	struct env_row cur;
	if (env_load(env_id, &cur) < 0) {
		berr_set(err, BE_ENVIRONMENT_NOT_FOUND, NULL, "Environment '%s' doesn't exist", env_id);
		return NULL;
	}
	json_t *out = NULL, *after = NULL, *changed = json_array(), *job = NULL;
	json_t *job_params = NULL;
	if (svc_env_settings_check(&cur, body, err) < 0)
		goto done;
	after = json_deep_copy(cur.settings);
	json_object_foreach(body, k, v) {
		const struct setting *s = setting_find(k);
		json_t *x = settings_value(s, cur.settings), *y = settings_value(s, body);
		if (!json_equal(x, y))
			json_array_append_new(changed, json_string(k));
		json_decref(x);
		json_decref(y);
		if (json_is_null(v))
			json_object_del(after, k);
		else
			json_object_set(after, k, v);
	}
	enum setting_apply need = settings_apply_needed(cur.settings, after);
	const char *perm = NULL;
	const char *type = apply_job(need, &job_params, &perm);
	bool edge = need == APPLY_EDGE_RELOAD;
	bool run = type && cur.deployed && (edge || apply_now);
	if (run && perm_require(acc, perm, err) < 0)
		goto done;
	struct put_tx t = {.a = a, .ip = ip, .env_id = env_id, .tab = tab, .patch = body,
			   .changed = changed};
	if (db_tx(put_tx, &t, err) != 0)
		goto done;
	char *msg = NULL;
	if (run) {
		struct env_action act = {
			.env_id = env_id, .type = type, .params = job_params,
			.policy = ENV_Q_SAME_ANSWERS, .user_id = a->user_id, .user_email = a->email,
			.actor = a->email, .ip = ip,
		};
		struct berr e2 = {0};
		if (env_action_enqueue(&act, &job, NULL, &e2) < 0)
			msg = xasprintf("Saved, but applying it could not be queued: %s", e2.message);
		else
			msg = xasprintf("Saved: %s queued (job %s)",
					edge ? "the edge proxy's reload is"
					: str_eq(type, "deploy") ? "a rebuild (deploy) is"
					: need == APPLY_SOFT_RESTART ? "a soft restart is" : "a hard restart is",
					json_string_value(json_object_get(job, "id")));
	} else if (need == APPLY_NOTHING) {
		msg = xstrdup(json_array_size(changed) ? "Saved: nothing else to do"
						       : "Saved: nothing changed");
	} else if (!cur.deployed) {
		msg = xstrdup("Saved: the first deploy applies it");
	} else {
		msg = xasprintf("Saved: a %s applies it (PUT again with ?apply=now, or %s)",
				setting_apply_name(need),
				need == APPLY_REBUILD ? "deploy" : need == APPLY_SOFT_RESTART
								   ? "restart (soft)"
								   : "restart (hard)");
	}
	out = tab_json(&cur, tab, after);
	json_object_set(out, "changed", changed);
	json_object_set_new(out, "ignored_keys", svc_settings_ignored_keys(tab, after));
	json_object_set_new(
		out, "apply",
		json_pack("{s:s,s:o,s:o,s:s}", "needed", setting_apply_name(need), "action",
			  job ? json_string(type) : json_null(), "job", job ? job : json_null(),
			  "message", msg));
	job = NULL;
	free(msg);
done:
	json_decref(job);
	json_decref(job_params);
	json_decref(after);
	json_decref(changed);
	env_row_free(&cur);
	return out;
}
