/* env_edge.c: the edge proxy (one per server, created under its lock) and the environments'
 * sites. */
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "ops/env_int.h"
#include "ops/images.h"
#include "render/render.h"
#include "store/servers.h"
#include "core/settings.h"

/* One lock per server for its edge proxy, held by whoever creates, changes or removes it
 * (deploys, removals, server removal), so that two first deploys on one server create it
 * once: the second finds it there and converges. Locks live as long as the process (one per
 * server). */
struct edge_lock {
	char server_id[64];
	pthread_mutex_t mu;
	struct edge_lock *next;
};

static pthread_mutex_t edge_locks_mu = PTHREAD_MUTEX_INITIALIZER;
static struct edge_lock *edge_locks;

static pthread_mutex_t *edge_lock_of(const char *server_id)
{
	pthread_mutex_lock(&edge_locks_mu);
	struct edge_lock *l = edge_locks;
	while (l && !str_eq(l->server_id, server_id))
		l = l->next;
	if (!l) {
		l = xmalloc(sizeof *l);
		memset(l, 0, sizeof *l);
		snprintf(l->server_id, sizeof l->server_id, "%s", server_id);
		pthread_mutex_init(&l->mu, NULL);
		l->next = edge_locks;
		edge_locks = l;
	}
	pthread_mutex_unlock(&edge_locks_mu);
	return &l->mu;
}

void ops_edge_lock(const char *server_id)
{
	pthread_mutex_lock(edge_lock_of(server_id));
}

void ops_edge_unlock(const char *server_id)
{
	pthread_mutex_unlock(edge_lock_of(server_id));
}

/* Named after the server so that two server records reaching one Docker Engine (tests, or a
 * server registered twice) never fight over one container. */
/* The one naming rule of a server's edge proxy and its sites volume (ops/server.h). */
void ops_edge_names(const char *server_id, char edge[32], char sites[40])
{
	char key[9];
	int k = 0;
	for (const char *p = server_id; *p && k < 8; p++)
		if (*p != '-')
			key[k++] = *p;
	key[k] = '\0';
	snprintf(edge, 32, "berth-edge-%s", key);
	snprintf(sites, 40, "berth-edge-%s-sites", key);
}

static int edge_exec(struct engine *e, const char *edge, const char *const *argv, struct sbuf *out,
		     struct berr *err)
{
	int code = -1;
	if (engine_exec(e, edge, argv, NULL, &code, out, err) < 0)
		return -1;
	return code == 0 ? 0 : 1;
}

/* `nginx -s reload`, then waits (at most 5 s) until each worker that ran before the reload is
 * shutting down or gone. The reload only signals the master; until its old workers stop
 * accepting, a new connection can still meet the old configuration (a site just added
 * answering 404). nginx retitles a worker "nginx: worker process is shutting down" when it
 * stops accepting. A fixed script: nothing of a user's reaches it. */
static const char EDGE_RELOAD_SH[] =
	"workers() { for p in /proc/[0-9]*; do"
	" c=$(tr '\\0' ' ' < \"$p/cmdline\" 2>/dev/null) || continue;"
	" case \"$c\" in *'shutting down'*) ;; 'nginx: worker process'*) echo \"${p#/proc/}\";; esac;"
	" done; };"
	"old=$(workers); nginx -s reload || exit 1; i=0;"
	"while [ $i -lt 100 ]; do left=; now=$(workers);"
	" for p in $old; do case \" $(echo $now) \" in *\" $p \"*) left=1;; esac; done;"
	" [ -z \"$left\" ] && exit 0; sleep 0.05; i=$((i+1)); done; exit 0";

int edge_reload(struct engine *e, const char *edge, struct sbuf *out, struct berr *err)
{
	const char *argv[] = {"sh", "-c", EDGE_RELOAD_SH, NULL};
	return edge_exec(e, edge, argv, out, err);
}

/* Waits until the edge proxy's nginx runs (its pid file is written), so that the first
 * reload of a freshly started edge proxy reaches it. */
static int edge_wait_started(struct engine *e, struct job *j, const char *edge, struct berr *err)
{
	const char *argv[] = {"test", "-s", "/run/nginx.pid", NULL};
	for (int i = 0; i < 200; i++) {
		struct sbuf out = SBUF_INIT;
		struct berr e2 = {0};
		int rc = edge_exec(e, edge, argv, &out, &e2);
		sbuf_release(&out);
		if (rc == 0)
			return 0;
		if (job_cancelled(j))
			return berr_set(err, BE_CONFLICT, NULL, "cancelled");
		usleep(50000);
	}
	struct sbuf logs = SBUF_INIT;
	engine_container_logs(e, edge, 20, &logs, err);
	job_log(j, "%s", sbuf_str(&logs));
	sbuf_release(&logs);
	return berr_set(err, BE_INTERNAL_ERROR, NULL, "the edge proxy %s did not start nginx", edge);
}

int edge_ensure(struct engine *e, struct job *j, const char *server_id, struct berr *err)
{
	char edge_name[32], sites_vol[40];
	ops_edge_names(server_id, edge_name, sites_vol);
	char img[128];
	if (images_ensure(e, j, IMG_NGINX, img, sizeof img, err) < 0)
		return -1;
	int http, https;
	servers_edge_ports(server_id, &http, &https); /* none: 0 and 0, as before */
	char *main = render_nginx_main(80, 443, err);
	if (!main)
		return -1;
	if (engine_volume_ensure(e, sites_vol, json_pack("{s:s,s:s}", "berth.managed", "1",
							  "berth.role", "edge"), err) < 0) {
		free(main);
		return -1;
	}
	char certs_vol[48]; /* the sites' certificates (tls.c), kept when the edge is recreated */
	tls_edge_certs_volume(server_id, certs_vol);
	if (engine_volume_ensure(e, certs_vol, json_pack("{s:s,s:s,s:s}", "berth.managed", "1",
							  "berth.role", "edge", "berth.server",
							  server_id), err) < 0) {
		free(main);
		return -1;
	}
	json_t *ports = json_object();
	json_object_set_new(ports, "80/tcp", json_pack("[{s:s}]", "HostPort", ""));
	json_object_set_new(ports, "443/tcp", json_pack("[{s:s}]", "HostPort", ""));
	json_object_set_new(json_array_get(json_object_get(ports, "80/tcp"), 0), "HostPort",
			    json_sprintf("%d", http));
	json_object_set_new(json_array_get(json_object_get(ports, "443/tcp"), 0), "HostPort",
			    json_sprintf("%d", https));
	json_t *spec = json_pack(
		"{s:s,s:{s:s,s:s,s:s},s:{s:{},s:{}},s:{s:o,s:{s:s},s:[{s:s,s:s,s:s}]}}", "Image", img,
		"Labels", "berth.managed", "1", "berth.role", "edge", "berth.server", server_id,
		"ExposedPorts", "80/tcp", "443/tcp", "HostConfig", "PortBindings", ports,
		"RestartPolicy", "Name", "unless-stopped", "Mounts", "Type", "volume", "Source",
		sites_vol, "Target", "/etc/nginx/sites.d");
	json_array_append_new(json_object_get(json_object_get(spec, "HostConfig"), "Mounts"),
			      json_pack("{s:s,s:s,s:s}", "Type", "volume", "Source", certs_vol,
					"Target", "/etc/nginx/certs"));
	struct efile files[] = {{"nginx.conf", main, strlen(main), 0644}};
	bool changed = false;
	int rc = converge_container(e, j, edge_name, spec, "/etc/nginx", files, 1, false, &changed, err);
	json_decref(spec);
	free(main);
	/* a reload sent before nginx wrote its pid file fails: wait for it once started */
	if (rc == 0 && changed)
		rc = edge_wait_started(e, j, edge_name, err);
	return rc;
}

#define ENV_DOMAINS_MAX 64  /* primary, custom and up to 50 extra domains */
#define SETTING_LIST_MAX 500 /* the registry's longest list (ip_whitelist, ip_blacklist) */

/* The strings of a list setting, at most max (pointers into settings). */
static size_t setting_list(json_t *settings, const char *key, const char **out, size_t max)
{
	size_t n = 0, i;
	json_t *v;
	json_array_foreach(json_object_get(settings, key), i, v)
		if (json_is_string(v) && n < max)
			out[n++] = json_string_value(v);
	return n;
}

/* Writes the environment's site, checks the whole configuration with nginx -t, reloads; a
 * failing check restores the previous site and fails. */
int edge_site(struct engine *e, struct job *j, struct envrt *rt, struct berr *err)
{
	char edge_name[32], sites_vol[40];
	ops_edge_names(rt->server_id, edge_name, sites_vol);
	if (engine_network_connect(e, rt->net, edge_name, err) < 0)
		return -1;
	const char *names[ENV_DOMAINS_MAX];
	size_t n_names = env_domain_list(rt, names, ARRAY_SIZE(names));
	json_t *eff = rt->effective;
	json_t *st = rt->settings;
	const char *cors[SETTING_LIST_MAX], *allow[SETTING_LIST_MAX], *deny[SETTING_LIST_MAX];
	const char *csp = settings_get_str(st, "csp_policy");
	struct render_site s = {
		.env_id = rt->id,
		.server_names = names,
		.n_server_names = n_names,
		.odoo_host = rt->odoo,
		.http_port = 8069,
		.gevent_port = 8072,
		.websocket_on_gevent = render_odoo_extra_int(S(st, "odoo_config"), "workers",
							     json_integer_value(json_object_get(eff, "workers"))) > 0,
		.max_upload = setting_str(rt, "nginx_max_upload"),
		.proxy_read_timeout_s = (int)setting_int(rt, "nginx_proxy_read_timeout_s"),
		.proxy_connect_timeout_s = (int)setting_int(rt, "nginx_proxy_connect_timeout_s"),
		.keepalive_timeout_s = (int)setting_int(rt, "nginx_keepalive_timeout_s"),
		.send_timeout_s = (int)setting_int(rt, "nginx_send_timeout_s"),
		.x_frame_options = setting_str(rt, "nginx_x_frame_options"),
		.cors_origins = cors,
		.n_cors_origins = setting_list(st, "cors_origins", cors, SETTING_LIST_MAX),
		.ip_allow = allow,
		.n_ip_allow = setting_list(st, "ip_whitelist", allow, SETTING_LIST_MAX),
		.ip_deny = deny,
		.n_ip_deny = setting_list(st, "ip_blacklist", deny, SETTING_LIST_MAX),
		.rate_limit = settings_get_bool(st, "rate_limit"),
		.rate_login = settings_get_str(st, "rate_limit_login"),
		.rate_general = settings_get_str(st, "rate_limit_general"),
		.csp = settings_get_bool(st, "csp")
			       ? (csp && *csp ? csp : setting_default_str("csp_policy"))
			       : NULL,
	};
	if (!s.rate_login || !*s.rate_login)
		s.rate_login = setting_default_str("rate_limit_login");
	if (!s.rate_general || !*s.rate_general)
		s.rate_general = setting_default_str("rate_limit_general");
	struct tls_site tls_keep; /* tls.c: the domains' certificates, HSTS, Cloudflare */
	tls_site_fill(rt, &s, &tls_keep);
	s.connect = true;     /* Connect As User's one-time URLs (ops/connect.c) */
	env_ide_site(rt, &s); /* the IDE at /ide when it runs (env_ide.c) */
	char *site = render_nginx_site(&s, err);
	tls_site_release(&tls_keep);
	if (!site)
		return -1;
	char path[128], bak[140];
	snprintf(path, sizeof path, "/etc/nginx/sites.d/%s", rt->site);
	snprintf(bak, sizeof bak, "%s.previous", path);
	struct sbuf out = SBUF_INIT;
	const char *cat[] = {"cat", path, NULL};
	if (edge_exec(e, edge_name, cat, &out, err) == 0 && str_eq(sbuf_str(&out), site)) {
		sbuf_release(&out);
		free(site);
		job_log(j, "edge proxy site unchanged");
		return 0;
	}
	sbuf_reset(&out);
	const char *save[] = {"cp", "-f", path, bak, NULL};
	bool had_previous = edge_exec(e, edge_name, save, &out, err) == 0;
	struct efile files[] = {{rt->site, site, strlen(site), 0644}};
	int rc = engine_put_files(e, edge_name, "/etc/nginx/sites.d", files, 1, err);
	free(site);
	if (rc < 0)
		goto out;
	sbuf_reset(&out);
	const char *test[] = {"nginx", "-t", NULL};
	rc = edge_exec(e, edge_name, test, &out, err);
	if (rc != 0) {
		job_log(j, "%s", sbuf_str(&out));
		const char *restore[] = {"mv", "-f", bak, path, NULL};
		const char *drop[] = {"rm", "-f", path, NULL};
		struct sbuf o2 = SBUF_INIT;
		edge_exec(e, edge_name, had_previous ? restore : drop, &o2, err);
		sbuf_release(&o2);
		rc = berr_set(err, BE_INTERNAL_ERROR, NULL,
			      "nginx -t rejected the generated site: the previous configuration stays");
		goto out;
	}
	sbuf_reset(&out);
	if (edge_reload(e, edge_name, &out, err) != 0)
		rc = berr_set(err, BE_INTERNAL_ERROR, NULL, "nginx reload failed: %.200s", sbuf_str(&out));
	else
		job_log(j, "edge proxy routes %s%s", rt->fqdn,
			n_names > 1 ? " and the environment's other domains" : "");
out:
	sbuf_release(&out);
	return rc < 0 ? -1 : rc;
}

/* Removes the environment's site from the edge proxy, touching only what exists: no edge
 * proxy on the server (a first deploy that failed before the edge stage) or no site in it
 * means nothing to do; the edge proxy is never created for this. */
int edge_site_remove(struct engine *e, struct job *j, struct envrt *rt, struct berr *err)
{
	char edge_name[32], sites_vol[40];
	ops_edge_names(rt->server_id, edge_name, sites_vol);
	json_t *c = engine_container_inspect(e, edge_name);
	bool running = c && json_is_true(json_object_get(json_object_get(c, "State"), "Running"));
	json_decref(c);
	if (!c) {
		job_log(j, "no edge proxy on the server: no site to remove");
		return 0;
	}
	if (!running) {
		job_log(j, "the edge proxy %s is not running: its site %s stays", edge_name, rt->site);
		return 0;
	}
	char path[128], bak[140];
	snprintf(path, sizeof path, "/etc/nginx/sites.d/%s", rt->site);
	snprintf(bak, sizeof bak, "%s.previous", path);
	struct sbuf out = SBUF_INIT;
	const char *test[] = {"test", "-e", path, "-o", "-e", bak, NULL};
	if (edge_exec(e, edge_name, test, &out, err) != 0) {
		sbuf_release(&out);
		job_log(j, "the edge proxy has no site for the environment");
		return 0;
	}
	const char *rm[] = {"rm", "-f", path, bak, NULL};
	edge_exec(e, edge_name, rm, &out, err);
	edge_reload(e, edge_name, &out, err);
	sbuf_release(&out);
	job_log(j, "edge proxy site %s removed", rt->site);
	return 0;
}

/* Job edge_reload: the deploy's edge stage alone, for settings of the edge (Security,
 * Domain, Nginx): the edge proxy ensured, the site rewritten (checked with nginx -t, the
 * previous one kept on failure) and reloaded, the certificates converged. An environment
 * never deployed has no site yet: its first deploy writes it. */
int job_edge_reload(struct job *j, struct berr *err)
{
	struct envrt rt;
	if (envrt_load(&rt, j->env_id, err) < 0)
		return -1;
	int rc = 0;
	if (!rt.deployed_before) {
		job_log(j, "%s was never deployed: its first deploy writes its site", rt.name);
		goto out;
	}
	job_stage(j, "Connect to server");
	struct engine *e = engine_open_server(rt.server_id, err);
	if (!e) {
		rc = -1;
		goto out;
	}
	job_stage(j, "Edge proxy");
	ops_edge_lock(rt.server_id);
	rc = edge_ensure(e, j, rt.server_id, err) == 0 && tls_install(e, j, &rt) == 0 &&
			     edge_site(e, j, &rt, err) == 0 && tls_converge(e, j, &rt, err) == 0
		     ? 0
		     : -1;
	ops_edge_unlock(rt.server_id);
	engine_close(e);
out:
	envrt_free(&rt);
	return rc;
}
