/* tls.c: HTTPS of the environments' sites (env_int.h, ops/tls.h, docs/tls.md).
 *
 * Certificates live in the store (certificates: the chain, the key sealed) and are installed
 * on the server's edge proxy in its certificates volume (/etc/nginx/certs/<env key>/, mode
 * 0600 files in a 0700 directory, read by nginx's master as root). ACME issuance runs uacme
 * inside the edge container with argv only: berth makes the certificate key and its CSR
 * (libcrypto, lib/pki.h), writes the account key (sealed in the store per directory) and the
 * CSR to a private directory under /run for the run, runs `uacme new` and `uacme issue CSR`
 * with berth's hook (which writes the key authorization under /var/www/berth, served by
 * every site's ACME location), reads the certificate back and removes the directory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/actions.h"
#include "core/tlsconf.h"
#include "jobs/sched.h"
#include "lib/log.h"
#include "lib/pki.h"
#include "lib/secret.h"
#include "lib/valid.h"
#include "ops/env_int.h"
#include "ops/ops.h"
#include "ops/server.h"
#include "ops/tls.h"
#include "render/render.h"
#include "store/certs.h"
#include "store/servers.h"

#define CERTS_DIR "/etc/nginx/certs"
#define HOOK "/usr/local/bin/berth-acme-hook"
#define CA_FILE "/usr/local/share/ca-certificates/berth-acme-ca.crt"

static int renew_task_ms = 3600 * 1000;
static int renew_before_s = 30 * 86400;
static int retry_base_s = 300;

void tls_set_options(int task_ms, int renew_before, int retry_base)
{
	if (task_ms > 0)
		renew_task_ms = task_ms;
	if (renew_before > 0)
		renew_before_s = renew_before;
	if (retry_base > 0)
		retry_base_s = retry_base;
}

void tls_edge_certs_volume(const char *server_id, char out[48])
{
	char edge[32], sites[40];
	ops_edge_names(server_id, edge, sites);
	snprintf(out, 48, "%s-certs", edge);
}

/* where a domain's files are on the edge */
static void cert_paths(const struct envrt *rt, const char *domain, char *crt, char *key,
		       size_t n)
{
	snprintf(crt, n, CERTS_DIR "/%s/%s.crt", rt->key, domain);
	snprintf(key, n, CERTS_DIR "/%s/%s.key", rt->key, domain);
}

/* A certificate that serves: active, with material, not expired. */
static bool cert_serves(json_t *row, int64_t now)
{
	if (!row || !str_eq(json_string_value(json_object_get(row, "status")), "active"))
		return false;
	char t[32];
	iso8601(now, t);
	const char *na = json_string_value(json_object_get(row, "not_after"));
	return na && strcmp(na, t) > 0;
}

void tls_site_fill(struct envrt *rt, struct render_site *s, struct tls_site *keep)
{
	memset(keep, 0, sizeof *keep);
	size_t n = s->n_server_names;
	keep->cert_paths = xcalloc(n + 1, sizeof *keep->cert_paths);
	keep->key_paths = xcalloc(n + 1, sizeof *keep->key_paths);
	keep->owned = xcalloc(2 * n + 1, sizeof *keep->owned);
	bool *staple = xcalloc(n + 1, sizeof *staple);
	keep->owned[keep->n_owned++] = (char *)staple;
	int64_t now = now_s();
	bool any = false;
	for (size_t i = 0; i < n; i++) {
		const char *d = s->server_names[i];
		json_t *row = valid_domain(d) ? cert_get(rt->id, d) : NULL;
		if (cert_serves(row, now)) {
			char *crt = xmalloc(256), *key = xmalloc(256);
			cert_paths(rt, d, crt, key, 256);
			keep->owned[keep->n_owned++] = crt;
			keep->owned[keep->n_owned++] = key;
			keep->cert_paths[i] = crt;
			keep->key_paths[i] = key;
			char *pem = NULL, *sealed = NULL;
			struct pki_info info;
			struct berr e2 = {0};
			if (cert_material(rt->id, d, &pem, &sealed) == 0 &&
			    pki_cert_info(pem, &info, "cert_pem", &e2) == 0)
				staple[i] = info.ocsp;
			free(pem);
			free(sealed);
			any = true;
		}
		json_decref(row);
	}
	if (any) {
		s->cert_paths = keep->cert_paths;
		s->key_paths = keep->key_paths;
		s->stapling = staple;
	}
	s->hsts = setting_int(rt, "hsts") != 0;
	if (servers_cloudflare_proxy(rt->server_id)) {
		json_t *ranges = tlsconf_cloudflare_ranges();
		size_t k = json_array_size(ranges);
		const char **from = xcalloc(k + 1, sizeof *from);
		size_t m = 0;
		for (size_t i = 0; i < k; i++) {
			const char *r = json_string_value(json_array_get(ranges, i));
			if (valid_cidr(r)) {
				char *c = xstrdup(r);
				from[m++] = c;
			}
		}
		json_decref(ranges);
		/* the strings are owned through keep->owned: grow it */
		keep->owned = xrealloc(keep->owned, (keep->n_owned + m + 1) * sizeof *keep->owned);
		for (size_t i = 0; i < m; i++)
			keep->owned[keep->n_owned++] = (char *)from[i];
		keep->owned[keep->n_owned++] = (char *)from;
		if (m > 0) {
			s->cloudflare = true;
			s->real_ip_from = from;
			s->n_real_ip_from = m;
		}
	}
}

void tls_site_release(struct tls_site *keep)
{
	for (size_t i = 0; i < keep->n_owned; i++)
		free(keep->owned[i]);
	free(keep->owned);
	free(keep->cert_paths);
	free(keep->key_paths);
	memset(keep, 0, sizeof *keep);
}

static int edge_run(struct engine *e, const char *edge, const char *const *argv,
		    struct sbuf *out)
{
	int code = -1;
	struct berr e2 = {0};
	if (engine_exec(e, edge, argv, NULL, &code, out, &e2) < 0) {
		sbuf_addf(out, "%s", e2.message);
		return -1;
	}
	return code;
}

/* The file's content on the edge equals text. */
static bool edge_has(struct engine *e, const char *edge, const char *path, const char *text)
{
	struct sbuf out = SBUF_INIT;
	const char *cat[] = {"cat", path, NULL};
	bool same = edge_run(e, edge, cat, &out) == 0 && str_eq(sbuf_str(&out), text);
	sbuf_release(&out);
	return same;
}

/* Writes the domains' stored certificates that serve into the edge (changed files only) and
 * removes the files of the environment's other domains. *changed when a file changed. */
static int install(struct engine *e, struct job *j, struct envrt *rt, const char *edge,
		   const char **domains, size_t n, bool *changed)
{
	char dir[160];
	snprintf(dir, sizeof dir, CERTS_DIR "/%s", rt->key);
	struct sbuf out = SBUF_INIT;
	const char *mk[] = {"mkdir", "-p", "-m", "700", dir, NULL};
	if (edge_run(e, edge, mk, &out) != 0) {
		job_log(j, "cannot create %s on the edge proxy: %.300s", dir, sbuf_str(&out));
		sbuf_release(&out);
		return -1;
	}
	int64_t now = now_s();
	struct sbuf keepset = SBUF_INIT; /* the files that stay, for the cleanup below */
	for (size_t i = 0; i < n; i++) {
		json_t *row = cert_get(rt->id, domains[i]);
		bool serves = cert_serves(row, now);
		json_decref(row);
		if (!serves)
			continue;
		char *pem = NULL, *sealed = NULL;
		if (cert_material(rt->id, domains[i], &pem, &sealed) < 0)
			continue;
		char *key = secret_open(sealed);
		free(sealed);
		char crt_path[256], key_path[256];
		cert_paths(rt, domains[i], crt_path, key_path, sizeof crt_path);
		if (key && !(edge_has(e, edge, crt_path, pem) && edge_has(e, edge, key_path, key))) {
			char fc[280], fk[280];
			snprintf(fc, sizeof fc, "%s.crt", domains[i]);
			snprintf(fk, sizeof fk, "%s.key", domains[i]);
			struct efile files[] = {{fc, pem, strlen(pem), 0600}, {fk, key, strlen(key), 0600}};
			struct berr e2 = {0};
			if (engine_put_files(e, edge, dir, files, 2, &e2) < 0) {
				job_log(j, "cannot install the certificate of %s: %s", domains[i],
					e2.message);
			} else {
				job_log(j, "certificate of %s installed on the edge proxy", domains[i]);
				*changed = true;
			}
		}
		sbuf_addf(&keepset, " %s.crt %s.key ", domains[i], domains[i]);
		secret_free(key);
		free(pem);
	}
	/* files of domains the environment no longer serves over TLS */
	sbuf_reset(&out);
	const char *ls[] = {"ls", "-1", dir, NULL};
	if (edge_run(e, edge, ls, &out) == 0) {
		char *list = xstrdup(sbuf_str(&out));
		char *save = NULL;
		for (char *f = strtok_r(list, "\n", &save); f; f = strtok_r(NULL, "\n", &save)) {
			char pat[300];
			snprintf(pat, sizeof pat, " %s ", f);
			if (strstr(sbuf_str(&keepset), pat) || strchr(f, '/') || f[0] == '.' ||
			    f[0] == '-')
				continue;
			char path[400];
			snprintf(path, sizeof path, "%s/%s", dir, f);
			const char *rm[] = {"rm", "-f", path, NULL};
			struct sbuf o2 = SBUF_INIT;
			edge_run(e, edge, rm, &o2);
			sbuf_release(&o2);
			*changed = true;
		}
		free(list);
	}
	sbuf_release(&keepset);
	sbuf_release(&out);
	return 0;
}

/* The platform's private ACME CA in the edge's trust store (uacme has no CA option: libcurl
 * reads the system bundle), or none. */
static int trust_ca(struct engine *e, struct job *j, const char *edge)
{
	char *ca = tlsconf_ca_pem();
	struct sbuf out = SBUF_INIT;
	int rc = 0;
	if (ca) {
		if (!edge_has(e, edge, CA_FILE, ca)) {
			struct efile f[] = {{"berth-acme-ca.crt", ca, strlen(ca), 0644}};
			struct berr e2 = {0};
			const char *upd[] = {"update-ca-certificates", NULL};
			if (engine_put_files(e, edge, "/usr/local/share/ca-certificates", f, 1, &e2) < 0 ||
			    edge_run(e, edge, upd, &out) != 0) {
				job_log(j, "cannot trust the ACME CA on the edge proxy: %s %.300s",
					e2.message, sbuf_str(&out));
				rc = -1;
			} else {
				job_log(j, "the platform's ACME CA is trusted on the edge proxy");
			}
		}
	} else {
		const char *test[] = {"test", "-e", CA_FILE, NULL};
		if (edge_run(e, edge, test, &out) == 0) {
			const char *rm[] = {"rm", "-f", CA_FILE, NULL};
			const char *upd[] = {"update-ca-certificates", "--fresh", NULL};
			edge_run(e, edge, rm, &out);
			edge_run(e, edge, upd, &out);
		}
	}
	sbuf_release(&out);
	free(ca);
	return rc;
}

/* The reason of a failed uacme run, one line of printable ASCII, at most 400 characters: the
 * CA's problem detail when there is one, else uacme's last line saying what failed (never the
 * hook's lines, which carry the key authorization). */
static char *reason_of(const char *out)
{
	char *copy = xstrdup(out ? out : "");
	char *save = NULL;
	const char *detail = NULL, *last = NULL;
	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (strstr(l, "berth-acme-hook"))
			continue;
		const char *d = strstr(l, "\"detail\":");
		if (d) {
			detail = d + 9;
			continue;
		}
		if (strstr(l, "fail") || strstr(l, "error") || strstr(l, "invalid") ||
		    strstr(l, "refused"))
			last = l;
	}
	const char *pick = detail ? detail : last;
	struct sbuf r = SBUF_INIT;
	if (pick) {
		while (*pick == ' ' || *pick == '"')
			pick++;
		sbuf_adds(&r, pick);
		while (r.len && (r.buf[r.len - 1] == '"' || r.buf[r.len - 1] == ',' ||
				 r.buf[r.len - 1] == ' '))
			r.buf[--r.len] = '\0';
	}
	if (!r.len)
		sbuf_adds(&r, "the ACME client failed (see the job's log)");
	free(copy);
	char *s = sbuf_detach(&r);
	for (char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			*p = ' ';
	if (strlen(s) > 400)
		s[400] = '\0';
	return s;
}

/* A special-use name (RFC 6761 and the like) no public CA issues a certificate for: with no
 * private ACME CA configured (acme_ca_pem), berth does not ask. */
static bool special_use(const char *domain)
{
	static const char *const TLDS[] = {"localhost", "test", "example", "invalid", "local",
					   "internal", "arpa", "lan", "home", "corp", "onion"};
	/* RFC 2606's second-level names too */
	static const char *const SLDS[] = {"example.com", "example.net", "example.org"};
	const char *dot = strrchr(domain, '.');
	const char *tld = dot ? dot + 1 : domain;
	for (size_t i = 0; i < ARRAY_SIZE(TLDS); i++)
		if (str_eq(tld, TLDS[i]))
			return true;
	for (size_t i = 0; i < ARRAY_SIZE(SLDS); i++) {
		size_t n = strlen(domain), m = strlen(SLDS[i]);
		if (str_eq(domain, SLDS[i]) ||
		    (n > m && domain[n - m - 1] == '.' && str_eq(domain + n - m, SLDS[i])))
			return true;
	}
	return false;
}

/* Issues a certificate for domain with uacme in the edge; 0 with the chain and key, or -1
 * with *why. */
static int issue(struct engine *e, struct job *j, struct envrt *rt, const char *edge,
		 const char *domain, char **chain, char **key_pem, char **why)
{
	*chain = *key_pem = *why = NULL;
	if (!valid_domain(domain)) {
		*why = xstrdup("not a valid domain name");
		return -1;
	}
	char *dir_url = tlsconf_directory(), *email = tlsconf_email();
	char *account = tlsconf_account_key(dir_url);
	char *key = pki_key_new();
	struct berr e2 = {0};
	char *csr = key ? pki_csr(key, domain, &e2) : NULL;
	char work[96], priv[110], csr_path[120], crt_path[130];
	char rnd[37];
	uuid4(rnd);
	snprintf(work, sizeof work, "/run/berth-acme/%s-%.8s", rt->key, rnd);
	snprintf(priv, sizeof priv, "%s/private", work);
	snprintf(csr_path, sizeof csr_path, "%s/req.csr", work);
	snprintf(crt_path, sizeof crt_path, "%s/req-cert.pem", work);
	struct sbuf out = SBUF_INIT;
	int rc = -1;
	if (!account || !key || !csr) {
		*why = xstrdup("cannot make the keys or the certificate request");
		goto out;
	}
	const char *mk[] = {"mkdir", "-p", "-m", "700", priv, NULL};
	struct efile acc[] = {{"key.pem", account, strlen(account), 0600}};
	struct efile req[] = {{"req.csr", csr, strlen(csr), 0644}};
	if (edge_run(e, edge, mk, &out) != 0 ||
	    engine_put_files(e, edge, priv, acc, 1, &e2) < 0 ||
	    engine_put_files(e, edge, work, req, 1, &e2) < 0) {
		*why = xstrdup("cannot prepare the ACME client on the edge proxy");
		job_log(j, "%s %.300s", e2.message, sbuf_str(&out));
		goto cleanup;
	}
	/* the account: created once per directory (an existing one is found again) */
	/* uacme has no timeout of its own: an unreachable CA must not hold the edge's lock */
	const char *newacct[] = {"timeout", "60", "uacme", "-n", "-y", "-a", dir_url, "-c", work,
				 "new", email, NULL};
	sbuf_reset(&out);
	int code = edge_run(e, edge, newacct, &out);
	if (code != 0)
		job_log(j, "uacme new: %.600s", sbuf_str(&out));
	const char *argv[] = {"timeout", "300", "uacme", "-v", "-n", "-f", "-o", "-a", dir_url,
			      "-c", work, "-h", HOOK, "issue", csr_path, NULL};
	sbuf_reset(&out);
	job_log(j, "requesting a certificate for %s from %s", domain, dir_url);
	code = edge_run(e, edge, argv, &out);
	job_log(j, "%s", sbuf_str(&out));
	if (code != 0) {
		*why = reason_of(sbuf_str(&out));
		goto cleanup;
	}
	sbuf_reset(&out);
	const char *cat[] = {"cat", crt_path, NULL};
	struct pki_info info;
	if (edge_run(e, edge, cat, &out) != 0 ||
	    pki_cert_info(sbuf_str(&out), &info, "certificate", &e2) < 0 ||
	    !pki_covers(sbuf_str(&out), domain)) {
		*why = xstrdup("the ACME client gave no certificate for the domain");
		goto cleanup;
	}
	*chain = xstrdup(sbuf_str(&out));
	*key_pem = key;
	key = NULL;
	rc = 0;
cleanup:;
	const char *rm[] = {"rm", "-rf", work, NULL};
	struct sbuf o2 = SBUF_INIT;
	edge_run(e, edge, rm, &o2);
	sbuf_release(&o2);
out:
	sbuf_release(&out);
	pki_free(account);
	pki_free(key);
	free(csr);
	free(dir_url);
	free(email);
	return rc;
}

/* nginx -t, then reload; the caller rewrote nothing (only certificate files changed). */
static void reload(struct engine *e, struct job *j, const char *edge)
{
	struct sbuf out = SBUF_INIT;
	const char *test[] = {"nginx", "-t", NULL};
	struct berr e2 = {0};
	if (edge_run(e, edge, test, &out) != 0)
		job_log(j, "nginx -t failed, the edge proxy keeps its configuration: %.400s",
			sbuf_str(&out));
	else if (edge_reload(e, edge, &out, &e2) != 0) /* waits for the old workers */
		job_log(j, "nginx reload failed: %.300s %s", sbuf_str(&out), e2.message);
	else
		job_log(j, "edge proxy reloaded with the new certificates");
	sbuf_release(&out);
}

static void backoff(int attempts, char out[32])
{
	int64_t d = retry_base_s;
	for (int i = 0; i < attempts && d < 86400; i++)
		d *= 2;
	if (d > 86400)
		d = 86400;
	iso8601(now_s() + d, out);
}

/* tls_status and tls_error from the rows of the environment's domains. */
static void summarize(struct envrt *rt, const char **domains, size_t n)
{
	int64_t now = now_s();
	size_t active = 0, failed = 0;
	struct sbuf errs = SBUF_INIT;
	for (size_t i = 0; i < n; i++) {
		json_t *row = cert_get(rt->id, domains[i]);
		if (cert_serves(row, now))
			active++;
		else if (str_eq(json_string_value(json_object_get(row, "status")), "failed"))
			failed++;
		const char *er = json_string_value(json_object_get(row, "error"));
		if (er) {
			if (errs.len)
				sbuf_adds(&errs, "; ");
			sbuf_addf(&errs, "%s: %s", domains[i], er);
		}
		json_decref(row);
	}
	const char *status = active == n && n > 0 ? "active"
			     : active > 0         ? "partial"
			     : failed > 0         ? "failed"
						  : "pending";
	env_tls_set(rt->id, status, errs.len ? sbuf_str(&errs) : NULL);
	sbuf_release(&errs);
}

int tls_converge(struct engine *e, struct job *j, struct envrt *rt, struct berr *err)
{
	(void)err; /* nothing here fails the job: the site keeps answering over HTTP */
	char edge[32], sites[40];
	ops_edge_names(rt->server_id, edge, sites);
	const char *domains[ENV_MAX_DOMAINS];
	size_t n = env_domain_list(rt, domains, ENV_MAX_DOMAINS);
	json_t *list = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, json_string(domains[i]));
	int pruned = cert_prune(rt->id, list);
	json_decref(list);
	if (pruned > 0)
		job_log(j, "%d certificate(s) of domains the environment no longer has removed", pruned);
	for (size_t i = 0; i < n; i++)
		cert_ensure_acme(rt->env.org_id, rt->id, domains[i]);
	bool force = setting_int(rt, "force_ssl") != 0;
	if (force) {
		job_log(j, "Force Generate SSL: the ACME certificates are issued again");
		cert_force_renew_env(rt->id);
		env_force_ssl_reset(rt->id);
	}
	bool changed = false;
	install(e, j, rt, edge, domains, n, &changed);
	/* the site serves every domain (over HTTP at least) before a challenge is asked for:
	 * a domain added since the site was written answers its challenge */
	struct berr e0 = {0};
	if (edge_site(e, j, rt, &e0) != 0)
		job_log(j, "the site could not be rewritten: %s", e0.message);
	/* issue what is missing, due or forced */
	char horizon[32], now[32];
	iso8601(now_s() + renew_before_s, horizon);
	iso8601(now_s(), now);
	bool trusted = false;
	size_t issued = 0;
	for (size_t i = 0; i < n; i++) {
		json_t *row = cert_get(rt->id, domains[i]);
		if (!row)
			continue;
		const char *src = json_string_value(json_object_get(row, "source"));
		const char *na = json_string_value(json_object_get(row, "not_after"));
		const char *next = json_string_value(json_object_get(row, "next_attempt_at"));
		bool forced = json_is_true(json_object_get(row, "force_renew"));
		bool due = forced || !cert_serves(row, now_s()) || !na || strcmp(na, horizon) < 0;
		bool waiting = !forced && next && strcmp(next, now) > 0;
		bool acme = str_eq(src, "acme");
		if (acme && due && waiting)
			job_log(j, "certificate of %s: next attempt at %s", domains[i], next);
		json_decref(row);
		if (!acme || !due || waiting)
			continue;
		char *ca = tlsconf_ca_pem();
		bool private_ca = ca != NULL;
		free(ca);
		if (!private_ca && special_use(domains[i])) {
			char later[32];
			iso8601(now_s() + 86400, later);
			cert_set_failed(rt->id, domains[i],
					"a special-use domain name: no public CA issues a certificate for it",
					later);
			job_log(j, "certificate of %s not requested: a special-use name (HTTP only)",
				domains[i]);
			continue;
		}
		if (!trusted) {
			trust_ca(e, j, edge);
			trusted = true;
		}
		char *chain = NULL, *key = NULL, *why = NULL;
		/* the exchange with the CA can take minutes: the server's other jobs may change the
		 * edge meanwhile (it touches only its own work directory and challenge files) */
		ops_edge_unlock(rt->server_id);
		int issued_rc = issue(e, j, rt, edge, domains[i], &chain, &key, &why);
		ops_edge_lock(rt->server_id);
		if (issued_rc == 0) {
			struct pki_info info;
			struct berr e2 = {0};
			pki_cert_info(chain, &info, "certificate", &e2);
			char nb[32], naft[32];
			iso8601(info.not_before, nb);
			iso8601(info.not_after, naft);
			char *sealed = secret_seal(key);
			cert_set_issued(rt->id, domains[i], chain, sealed, nb, naft, info.issuer);
			free(sealed);
			job_log(j, "certificate of %s issued by %s, valid until %s", domains[i],
				info.issuer, naft);
			issued++;
		} else {
			char next_at[32];
			json_t *r2 = cert_get(rt->id, domains[i]);
			int attempts = (int)json_integer_value(json_object_get(r2, "attempts"));
			json_decref(r2);
			backoff(attempts, next_at);
			cert_set_failed(rt->id, domains[i], why, next_at);
			job_log(j, "certificate of %s not issued: %s (next attempt at %s); the domain"
				   " keeps answering over HTTP", domains[i], why, next_at);
		}
		free(chain);
		pki_free(key);
		free(why);
	}
	if (issued > 0)
		install(e, j, rt, edge, domains, n, &changed);
	/* the site with the certificates that serve now (unchanged: nothing written) */
	struct berr e3 = {0};
	struct sbuf before = SBUF_INIT;
	char path[128];
	snprintf(path, sizeof path, "/etc/nginx/sites.d/%s", rt->site);
	const char *cat[] = {"cat", path, NULL};
	edge_run(e, edge, cat, &before);
	if (edge_site(e, j, rt, &e3) != 0) {
		job_log(j, "the site with its certificates was refused: %s", e3.message);
	} else if (changed && edge_has(e, edge, path, sbuf_str(&before))) {
		reload(e, j, edge); /* same site, new certificate files */
	}
	sbuf_release(&before);
	summarize(rt, domains, n);
	return 0;
}

int tls_install(struct engine *e, struct job *j, struct envrt *rt)
{
	char edge[32], sites[40];
	ops_edge_names(rt->server_id, edge, sites);
	const char *domains[ENV_MAX_DOMAINS];
	size_t n = env_domain_list(rt, domains, ENV_MAX_DOMAINS);
	bool changed = false;
	install(e, j, rt, edge, domains, n, &changed);
	return 0;
}

int tls_remove(struct engine *e, struct job *j, struct envrt *rt)
{
	char edge[32], sites[40];
	ops_edge_names(rt->server_id, edge, sites);
	json_t *c = engine_container_inspect(e, edge);
	bool running = c && json_is_true(json_object_get(json_object_get(c, "State"), "Running"));
	json_decref(c);
	if (!running)
		return 0;
	char dir[160];
	snprintf(dir, sizeof dir, CERTS_DIR "/%s", rt->key);
	struct sbuf out = SBUF_INIT;
	const char *rm[] = {"rm", "-rf", dir, NULL};
	if (edge_run(e, edge, rm, &out) == 0)
		job_log(j, "certificates of the environment removed from the edge proxy");
	sbuf_release(&out);
	return 0;
}

/* ---- the job tls_renew and the scheduler task tls-renew ---- */

static int job_tls_renew(struct job *j, struct berr *err)
{
	struct envrt rt;
	if (envrt_load(&rt, j->env_id, err) < 0)
		return -1;
	int rc = 0;
	if (!rt.deployed_before) {
		job_log(j, "the environment was never deployed: no site to certify");
	} else {
		job_stage(j, "Connect to server");
		struct engine *e = engine_open_server(rt.server_id, err);
		if (!e) {
			rc = -1;
		} else {
			job_stage(j, "Certificates");
			ops_edge_lock(rt.server_id);
			if (edge_ensure(e, j, rt.server_id, err) == 0)
				rc = tls_converge(e, j, &rt, err);
			else
				rc = -1;
			ops_edge_unlock(rt.server_id);
			engine_close(e);
		}
	}
	envrt_free(&rt);
	return rc;
}

int tls_enqueue(const char *env_id, const char *actor, const char *user_id, const char *ip,
		json_t **job, struct berr *err)
{
	struct env_action a = {.env_id = env_id, .type = "tls_renew", .params = NULL,
			       .policy = ENV_Q_SAME_ANSWERS, .actor = actor ? actor : "schedule",
			       .user_id = user_id, .ip = ip};
	json_t *jb = NULL;
	bool created = false;
	int rc = env_action_enqueue(&a, &jb, &created, err);
	if (job)
		*job = jb;
	else
		json_decref(jb);
	return rc;
}

static void renew_round(void *cls)
{
	(void)cls;
	char before[32], now[32];
	iso8601(now_s() + renew_before_s, before);
	iso8601(now_s(), now);
	json_t *ids = certs_due_envs(before, now);
	size_t i;
	json_t *id;
	json_array_foreach(ids, i, id) {
		if (sched_stopping())
			break;
		struct berr e2 = {0};
		if (tls_enqueue(json_string_value(id), "schedule", NULL, NULL, NULL, &e2) < 0)
			log_event(LOG_WARN, "certificate renewal not queued",
				  json_pack("{s:s,s:s}", "environment", json_string_value(id), "error",
					    e2.message));
	}
	json_decref(ids);
}

void ops_register_tls(void)
{
	queue_register("tls_renew", job_tls_renew);
}

int tls_sched_start(void)
{
	return sched_every("tls-renew", renew_task_ms, renew_round, NULL) > 0 ? 0 : -1;
}
