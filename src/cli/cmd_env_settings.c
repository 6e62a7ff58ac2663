/* cmd_env_settings.c: berth env settings NAME [TAB] [--set key=value ...] [--apply]
 * (GET/PUT /api/v1/environments/{id}/settings/{tab}, docs/settings.md). Without TAB, every
 * tab is shown. --set takes the field's type from the tab: integers, booleans
 * (true/false/yes/no/on/off), lists comma-separated or one per line (empty: none), text with
 * "\n" for a new line; an empty value returns a number, switch or choice to its default. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/client.h"
#include "cli/cmd_env_settings.h"
#include "cli/out.h"
#include "cli/resolve.h"
#include "lib/util.h"

static const char *const TABS[] = {"odoo", "postgresql", "security", "domain", "nginx",
				   "packages", NULL};

const struct opt ENV_SETTINGS_OPTS[] = {
	{"org", OPT_STR, NULL, "ORG", "the organization (id, slug or name)", 0},
	{"project", OPT_STR, NULL, "PROJECT",
	 "the project (slug, name or id); default: search the organization", 0},
	{"set", OPT_LIST, NULL, "KEY=VALUE", "a setting of TAB (repeatable)", 0},
	{"apply", OPT_FLAG, NULL, NULL,
	 "apply now: queue the restart or rebuild the change needs", 0},
	OPT_END,
};

static json_t *field_of(json_t *tab, const char *key)
{
	size_t i;
	json_t *f;
	json_array_foreach(json_object_get(tab, "fields"), i, f)
		if (str_eq(jstr(f, "key"), key))
			return f;
	return NULL;
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

/* The JSON value of --set KEY=VALUE for the field's type; NULL with a message. */
static json_t *value_of(struct cli *c, json_t *f, const char *key, const char *v, int *ex)
{
	const char *type = jstr(f, "type");
	*ex = EX_OK;
	if (str_eq(type, "list")) {
		json_t *arr = json_array();
		char *copy = xstrdup(v);
		char *save = NULL;
		for (char *t = strtok_r(copy, ",\n", &save); t; t = strtok_r(NULL, ",\n", &save)) {
			t = trim(t);
			if (*t)
				json_array_append_new(arr, json_string(t));
		}
		free(copy);
		return arr;
	}
	if (str_eq(type, "text")) {
		struct sbuf sb = SBUF_INIT;
		for (const char *p = v; *p; p++) {
			if (p[0] == '\\' && p[1] == 'n') {
				sbuf_addc(&sb, '\n');
				p++;
			} else {
				sbuf_addc(&sb, *p);
			}
		}
		json_t *s = json_string(sbuf_str(&sb));
		sbuf_release(&sb);
		return s ? s : json_string(v);
	}
	if (str_eq(type, "string"))
		return json_string(v);
	if (!*v)
		return json_null(); /* back to the default */
	if (str_eq(type, "bool")) {
		if (str_eq(v, "true") || str_eq(v, "yes") || str_eq(v, "on") || str_eq(v, "1"))
			return json_true();
		if (str_eq(v, "false") || str_eq(v, "no") || str_eq(v, "off") || str_eq(v, "0"))
			return json_false();
		*ex = usage_error(c, "--set %s: true or false, not '%s'", key, v);
		return NULL;
	}
	if (str_eq(type, "int")) {
		char *end;
		errno = 0;
		long long n = strtoll(v, &end, 10);
		if (errno || *end || end == v) {
			*ex = usage_error(c, "--set %s: an integer, not '%s'", key, v);
			return NULL;
		}
		return json_integer(n);
	}
	return json_string(v); /* enum */
}

static void print_tab(json_t *t)
{
	printf("[%s]%s\n", jstr(t, "tab"),
	       json_is_true(json_object_get(t, "locked"))
		       ? " (locked: the organization's plan does not include it)"
		       : "");
	struct table *tb = table_new("KEY VALUE APPLY");
	size_t i;
	json_t *f;
	json_t *values = json_object_get(t, "values");
	json_array_foreach(json_object_get(t, "fields"), i, f) {
		const char *key = jstr(f, "key");
		json_t *v = json_object_get(values, key);
		table_cell(tb, key);
		if (json_is_string(v) && strchr(json_string_value(v), '\n')) {
			/* a config text: its lines joined with " | " */
			char *s = xstrdup(json_string_value(v));
			struct sbuf sb = SBUF_INIT;
			char *save = NULL;
			for (char *l = strtok_r(s, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
				sbuf_addf(&sb, "%s%s", sb.len ? " | " : "", l);
			table_cell(tb, sbuf_str(&sb));
			sbuf_release(&sb);
			free(s);
		} else {
			table_cellj(tb, values, key);
		}
		bool avail = json_is_true(json_object_get(f, "available"));
		table_cellf(tb, "%s%s", jstr(f, "apply"), avail ? "" : " (not in the plan)");
	}
	table_print(tb);
	json_t *info = json_object_get(t, "info");
	json_t *ign = json_object_get(info, "ignored_keys");
	if (json_array_size(ign)) {
		char *s = fmt_json(ign);
		printf("Ignored keys (reserved, set by berth): %s\n", s);
		free(s);
	}
	json_t *domains = json_object_get(info, "domains");
	if (json_array_size(domains)) {
		struct table *d = table_new("DOMAIN DNS HTTPS");
		json_array_foreach(domains, i, f) {
			table_cell(d, jstr(f, "domain"));
			json_t *dns = json_object_get(f, "dns");
			json_t *p = json_object_get(dns, "points_to_server");
			const char *why = jstr(dns, "error");
			table_cell(d, json_is_true(p) ? "points to this server"
				       : *why          ? why
						       : "does not point to this server");
			table_cell(d, jstr(json_object_get(f, "tls"), "status"));
		}
		table_print(d);
		printf("Cloudflare proxy: %s\n",
		       json_is_true(json_object_get(info, "cloudflare_proxy")) ? "yes" : "no");
	}
}

int cmd_env_settings(struct cli *c, struct args *a)
{
	const char *tab = a->npos > 1 ? a->pos[1] : NULL;
	const struct opt_vals *set = arg_all(a, "set");
	bool has_set = set && set->n;
	if (!tab && (has_set || arg_has(a, "apply")))
		return usage_error(c, "--set and --apply need the TAB (odoo, postgresql, security,"
				      " domain, nginx or packages)");
	json_t *e;
	int ex = resolve_env(c, arg_get(a, "org"), arg_get(a, "project"), a->pos[0], &e);
	if (ex)
		return ex;
	char *base = xasprintf("/api/v1/environments/%s/settings", jstr(e, "id"));
	json_decref(e);
	if (!tab) {
		json_t *all = json_object();
		for (const char *const *t = TABS; *t && ex == EX_OK; t++) {
			char *p = xasprintf("%s/%s", base, *t);
			json_t *one = NULL;
			ex = api_get(c, p, &one);
			free(p);
			if (ex == EX_OK && !c->json) {
				print_tab(one);
				if (t[1])
					printf("\n");
			}
			if (one)
				json_object_set_new(all, *t, one);
		}
		if (ex == EX_OK && c->json)
			print_json(all);
		json_decref(all);
		free(base);
		return ex;
	}
	char *p = xasprintf("%s/%s", base, tab);
	free(base);
	json_t *cur = NULL, *out = NULL, *body = NULL;
	ex = api_get(c, p, &cur);
	if (ex || (!has_set && !arg_has(a, "apply"))) {
		if (ex == EX_OK && !emit_json(c, cur)) {
			print_tab(cur);
			json_decref(cur);
		}
		free(p);
		return ex;
	}
	body = json_object();
	for (size_t i = 0; set && i < set->n && ex == EX_OK; i++) {
		const char *eq = strchr(set->v[i], '=');
		if (!eq || eq == set->v[i]) {
			ex = usage_error(c, "--set: '%s' is not KEY=VALUE", set->v[i]);
			break;
		}
		char *key = xstrndup(set->v[i], (size_t)(eq - set->v[i]));
		json_t *f = field_of(cur, key);
		if (!f) {
			/* the server names the key and says it is not of the tab */
			json_object_set_new(body, key, json_string(eq + 1));
		} else {
			json_t *v = value_of(c, f, key, eq + 1, &ex);
			if (v)
				json_object_set_new(body, key, v);
		}
		free(key);
	}
	if (ex == EX_OK) {
		char *put = xasprintf("%s%s", p, arg_has(a, "apply") ? "?apply=now" : "");
		ex = api_call(c, "PUT", put, body, &out, 0);
		free(put);
	}
	if (ex == EX_OK && !emit_json(c, out)) {
		print_tab(out);
		json_t *ap = json_object_get(out, "apply");
		char *changed = fmt_json(json_object_get(out, "changed"));
		printf("Changed: %s\n", changed);
		free(changed);
		printf("Applying needs: %s. %s\n", jstr(ap, "needed"), jstr(ap, "message"));
		json_t *job = json_object_get(ap, "job");
		if (json_is_object(job))
			printf("Job: %s (%s)\n", jstr(job, "id"), jstr(job, "type"));
		json_decref(out);
	}
	json_decref(body);
	json_decref(cur);
	free(p);
	return ex;
}

/* ---- certificates: berth env certificates ENV, berth env certificate ENV DOMAIN ---- */

const struct opt ENV_CERT_OPTS[] = {
	{"org", OPT_STR, NULL, "ORG", "the organization (id, slug or name)", 0},
	{"project", OPT_STR, NULL, "PROJECT",
	 "the project (slug, name or id); default: search the organization", 0},
	{"cert-file", OPT_STR, NULL, "PATH", "the certificate chain (PEM, leaf first)", 0},
	{"key-file", OPT_STR, NULL, "PATH", "the certificate's private key (PEM, unencrypted)", 0},
	{"delete", OPT_FLAG, NULL, NULL, "remove the custom certificate: the domain goes back to ACME",
	 0},
	OPT_END,
};

static void print_certs(json_t *list)
{
	struct table *t = table_new("DOMAIN SOURCE STATUS NOT_AFTER ISSUER ERROR");
	size_t i;
	json_t *c;
	json_array_foreach(list, i, c) {
		table_cell(t, jstr(c, "domain"));
		table_cellj(t, c, "source");
		table_cellj(t, c, "status");
		table_cellj(t, c, "not_after");
		table_cellj(t, c, "issuer");
		table_cellj(t, c, "error");
	}
	table_print(t);
}

int cmd_env_certificates(struct cli *c, struct args *a)
{
	json_t *e;
	int ex = resolve_env(c, arg_get(a, "org"), arg_get(a, "project"), a->pos[0], &e);
	if (ex)
		return ex;
	char *p = xasprintf("/api/v1/environments/%s/certificates", jstr(e, "id"));
	json_decref(e);
	json_t *out = NULL;
	ex = api_get(c, p, &out);
	free(p);
	if (ex == EX_OK && !emit_json(c, out)) {
		print_certs(out);
		json_decref(out);
	}
	return ex;
}

int cmd_env_certificate(struct cli *c, struct args *a)
{
	const char *cert_file = arg_get(a, "cert-file"), *key_file = arg_get(a, "key-file");
	bool del = arg_has(a, "delete");
	if (del == (cert_file || key_file) || (!del && (!cert_file || !key_file)))
		return usage_error(c, "give --cert-file and --key-file, or --delete");
	json_t *e;
	int ex = resolve_env(c, arg_get(a, "org"), arg_get(a, "project"), a->pos[0], &e);
	if (ex)
		return ex;
	char *dom = url_escape(a->pos[1]);
	char *p = xasprintf("/api/v1/environments/%s/domains/%s/certificate", jstr(e, "id"), dom);
	free(dom);
	json_decref(e);
	json_t *body = NULL, *out = NULL;
	if (!del) {
		size_t cl = 0, kl = 0;
		char *cert = read_file(cert_file, &cl), *key = read_file(key_file, &kl);
		if (!cert || !key) {
			ex = usage_error(c, "cannot read %s", !cert ? cert_file : key_file);
		} else {
			body = json_pack("{s:s,s:s}", "certificate_pem", cert, "private_key_pem", key);
		}
		free(cert);
		if (key) {
			explicit_bzero(key, kl);
			free(key);
		}
	}
	if (ex == EX_OK)
		ex = api_call(c, del ? "DELETE" : "PUT", p, body, &out, 0);
	free(p);
	json_decref(body); /* jansson keeps its own copy of the key: freed here */
	if (ex == EX_OK && !emit_json(c, out)) {
		json_t *one = json_pack("[O]", out);
		print_certs(one);
		json_decref(one);
		json_t *job = json_object_get(out, "job");
		if (json_is_object(job))
			printf("Job: %s (%s) installs it on the edge\n", jstr(job, "id"), jstr(job, "type"));
		json_decref(out);
	}
	return ex;
}
