/* nginx.c: the edge proxy's nginx.conf and one site per environment. Upstreams are variables
 * resolved through Docker's embedded DNS at request time, so nginx starts, reloads and keeps
 * serving every other site while an environment's containers are down. */
#include "render/render.h"

#include <stdio.h>
#include <string.h>

#include "lib/util.h"
#include "lib/valid.h"

static int bad(struct berr *err, const char *field, const char *what)
{
	return berr_set(err, BE_VALIDATION_ERROR, field, "%s: %s", field, what);
}

/* ^[a-z0-9][a-z0-9_.-]{0,127}$ */
static bool container_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n < 1 || n > 128)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
		if (!alnum && (i == 0 || !strchr("_.-", c)))
			return false;
	}
	return true;
}

/* ^[0-9]{1,6}[kKmMgG]?$ */
static bool size_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0, d = 0;
	while (d < n && s[d] >= '0' && s[d] <= '9')
		d++;
	if (d < 1 || d > 6)
		return false;
	return d == n || (d + 1 == n && strchr("kKmMgG", s[d]));
}

/* an absolute path nginx reads as one bare token */
static bool path_ok(const char *s)
{
	return valid_abs_path(s) && !strpbrk(s, "{}#");
}

/* the environment id goes into a comment only */
static bool id_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n < 1 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_'))
			return false;
	return true;
}

static int check_site(const struct render_site *s, struct berr *err)
{
	char field[48];
	if (s->env_id && !id_ok(s->env_id))
		return bad(err, "env_id", "letters, digits, '-' and '_'");
	if (!s->server_names || s->n_server_names < 1 || s->n_server_names > 100)
		return bad(err, "server_names", "between 1 and 100 domain names");
	for (size_t i = 0; i < s->n_server_names; i++) {
		snprintf(field, sizeof field, "server_names[%zu]", i);
		if (!valid_domain(s->server_names[i]))
			return bad(err, field, "not a valid domain name (lowercase, e.g. app.example.com)");
	}
	if (!container_ok(s->odoo_host))
		return bad(err, "odoo_host", "not a container name");
	if (s->http_port < 1 || s->http_port > 65535)
		return bad(err, "http_port", "must be between 1 and 65535");
	if (s->gevent_port < 1 || s->gevent_port > 65535)
		return bad(err, "gevent_port", "must be between 1 and 65535");
	if (!size_ok(s->max_upload))
		return bad(err, "max_upload", "a size such as 100M (up to 6 digits and k, m or g)");
	const struct {
		const char *name;
		int v;
	} t[] = {
		{"proxy_read_timeout", s->proxy_read_timeout_s},
		{"proxy_connect_timeout", s->proxy_connect_timeout_s},
		{"keepalive_timeout", s->keepalive_timeout_s},
		{"send_timeout", s->send_timeout_s},
	};
	for (size_t i = 0; i < ARRAY_SIZE(t); i++)
		if (t[i].v < 1 || t[i].v > 3600)
			return bad(err, t[i].name, "must be between 1 and 3600 seconds");
	if (!str_eq(s->x_frame_options, "SAMEORIGIN") && !str_eq(s->x_frame_options, "DENY"))
		return bad(err, "x_frame_options", "must be SAMEORIGIN or DENY");
	if (!s->cert_path != !s->key_path)
		return bad(err, s->cert_path ? "key_path" : "cert_path",
			   "a certificate needs both cert_path and key_path");
	if (s->cert_path && !path_ok(s->cert_path))
		return bad(err, "cert_path", "an absolute path without spaces or special characters");
	if (s->key_path && !path_ok(s->key_path))
		return bad(err, "key_path", "an absolute path without spaces or special characters");
	return 0;
}

static void server_names(struct sbuf *sb, const struct render_site *s)
{
	sbuf_adds(sb, "\tserver_name");
	for (size_t i = 0; i < s->n_server_names; i++) {
		bool dup = false; /* nginx warns about a name given twice */
		for (size_t j = 0; j < i; j++)
			dup = dup || strcmp(s->server_names[i], s->server_names[j]) == 0;
		if (!dup)
			sbuf_addf(sb, " %s", s->server_names[i]);
	}
	sbuf_adds(sb, ";\n");
}

static const char ACME[] =
	"\t# ACME HTTP-01 challenges (certificates are issued into /var/www/berth)\n"
	"\tlocation ^~ /.well-known/acme-challenge/ {\n"
	"\t\troot /var/www/berth;\n"
	"\t\tdefault_type text/plain;\n"
	"\t}\n";

static const char PROXY_HEADERS[] =
	"\tproxy_set_header Host $host;\n"
	"\tproxy_set_header X-Forwarded-Host $host;\n"
	"\tproxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n"
	"\tproxy_set_header X-Forwarded-Proto $scheme;\n"
	"\tproxy_set_header X-Real-IP $remote_addr;\n";

static void proxy_headers(struct sbuf *sb, const char *indent)
{
	for (const char *p = PROXY_HEADERS; *p;) {
		const char *nl = strchr(p, '\n');
		sbuf_adds(sb, indent);
		sbuf_add(sb, p, (size_t)(nl - p + 1));
		p = nl + 1;
	}
}

char *render_nginx_site(const struct render_site *s, struct berr *err)
{
	if (check_site(s, err) < 0)
		return NULL;
	bool tls = s->cert_path != NULL;
	struct sbuf sb = SBUF_INIT;
	sbuf_addf(&sb, "# Site of environment %s.\n"
		       "# Generated by berth: do not edit, the next deploy rewrites it.\n",
		  s->env_id ? s->env_id : "(unnamed)");
	if (tls) {
		sbuf_adds(&sb, "server {\n\tlisten 80;\n");
		server_names(&sb, s);
		sbuf_adds(&sb, ACME);
		sbuf_adds(&sb, "\tlocation / {\n"
			       "\t\treturn 301 https://$host$request_uri;\n"
			       "\t}\n"
			       "}\n\n");
	}
	sbuf_adds(&sb, "server {\n");
	if (tls)
		sbuf_adds(&sb, "\tlisten 443 ssl http2;\n");
	else
		sbuf_adds(&sb, "\tlisten 80;\n");
	server_names(&sb, s);
	if (tls)
		sbuf_addf(&sb, "\tssl_certificate %s;\n\tssl_certificate_key %s;\n", s->cert_path,
			  s->key_path);
	sbuf_addf(&sb,
		  "\n"
		  "\t# Docker's embedded DNS: the upstream is resolved per request\n"
		  "\tresolver 127.0.0.11 valid=10s ipv6=off;\n"
		  "\tresolver_timeout 5s;\n"
		  "\tset $odoo http://%s:%d;\n"
		  "\tset $odoo_websocket http://%s:%d;\n"
		  "\n"
		  "\tclient_max_body_size %s;\n"
		  "\tkeepalive_timeout %ds;\n"
		  "\tsend_timeout %ds;\n"
		  "\tproxy_connect_timeout %ds;\n"
		  "\tproxy_read_timeout %ds;\n"
		  "\tproxy_send_timeout %ds;\n"
		  "\tproxy_http_version 1.1;\n"
		  "\tproxy_redirect off;\n",
		  s->odoo_host, s->http_port, s->odoo_host,
		  s->websocket_on_gevent ? s->gevent_port : s->http_port, s->max_upload,
		  s->keepalive_timeout_s, s->send_timeout_s, s->proxy_connect_timeout_s,
		  s->proxy_read_timeout_s, s->proxy_read_timeout_s);
	sbuf_adds(&sb, PROXY_HEADERS);
	sbuf_addf(&sb,
		  "\tproxy_hide_header X-Frame-Options;\n"
		  "\tadd_header X-Frame-Options %s always;\n",
		  s->x_frame_options);
	if (tls)
		sbuf_adds(&sb, "\tproxy_cookie_flags session_id samesite=lax secure;\n");
	sbuf_adds(&sb,
		  "\n"
		  "\tgzip on;\n"
		  "\tgzip_proxied any;\n"
		  "\tgzip_vary on;\n"
		  "\tgzip_min_length 1024;\n"
		  "\tgzip_types text/css text/plain text/xml text/javascript application/javascript\n"
		  "\t\tapplication/json application/xml image/svg+xml;\n"
		  "\n"
		  "\t# Odoo down (stopped, deploying): a short answer instead of nginx's 502 page\n"
		  "\terror_page 502 = @berth_down;\n"
		  "\tlocation @berth_down {\n"
		  "\t\tdefault_type text/plain;\n"
		  "\t\treturn 503 \"This environment is not running.\\n\";\n"
		  "\t}\n"
		  "\n"
		  "\t# the database manager stays closed (list_db = False in odoo.conf too)\n"
		  "\tlocation ~* ^/web/database {\n"
		  "\t\treturn 403;\n"
		  "\t}\n"
		  "\n");
	if (!tls) {
		sbuf_adds(&sb, ACME);
		sbuf_addc(&sb, '\n');
	}
	sbuf_addf(&sb,
		  "\tlocation /websocket {\n"
		  "\t\tproxy_pass $odoo_websocket;\n");
	/* proxy_set_header in a location replaces every inherited one: repeat them */
	proxy_headers(&sb, "\t");
	sbuf_adds(&sb,
		  "\t\tproxy_set_header Upgrade $http_upgrade;\n"
		  "\t\tproxy_set_header Connection $connection_upgrade;\n"
		  "\t\tproxy_read_timeout 3600s;\n"
		  "\t\tproxy_send_timeout 3600s;\n"
		  "\t}\n"
		  "\n"
		  "\tlocation / {\n"
		  "\t\tproxy_pass $odoo;\n"
		  "\t}\n"
		  "}\n");
	return sbuf_detach(&sb);
}

char *render_nginx_main(int http_port, int https_port, struct berr *err)
{
	if (http_port < 1 || http_port > 65535) {
		bad(err, "http_port", "must be between 1 and 65535");
		return NULL;
	}
	if (https_port < 0 || https_port > 65535 || https_port == http_port) {
		bad(err, "https_port", "must be between 1 and 65535 (0: none), not http_port");
		return NULL;
	}
	struct sbuf sb = SBUF_INIT;
	sbuf_addf(&sb,
		  "# nginx.conf of berth's edge proxy, generated by berth: do not edit.\n"
		  "user www-data;\n"
		  "worker_processes auto;\n"
		  "worker_rlimit_nofile 16384;\n"
		  "pid /run/nginx.pid;\n"
		  "error_log /var/log/nginx/error.log warn;\n"
		  "\n"
		  "events {\n"
		  "\tworker_connections 4096;\n"
		  "}\n"
		  "\n"
		  "http {\n"
		  "\tinclude /etc/nginx/mime.types;\n"
		  "\tdefault_type application/octet-stream;\n"
		  "\tsendfile on;\n"
		  "\ttcp_nopush on;\n"
		  "\tserver_tokens off;\n"
		  "\ttypes_hash_max_size 2048;\n"
		  "\t# domain names up to 253 characters\n"
		  "\tserver_names_hash_bucket_size 512;\n"
		  "\n"
		  "\tlog_format berth '$remote_addr $host [$time_local] \"$request\" $status '\n"
		  "\t\t'$body_bytes_sent \"$http_referer\" \"$http_user_agent\" '\n"
		  "\t\t'rt=$request_time urt=$upstream_response_time';\n"
		  "\taccess_log /var/log/nginx/access.log berth;\n"
		  "\n"
		  "\tmap $http_upgrade $connection_upgrade {\n"
		  "\t\tdefault upgrade;\n"
		  "\t\t'' close;\n"
		  "\t}\n"
		  "\n"
		  "\tssl_protocols TLSv1.2 TLSv1.3;\n"
		  "\tssl_prefer_server_ciphers off;\n"
		  "\tssl_session_cache shared:SSL:10m;\n"
		  "\tssl_session_timeout 1d;\n"
		  "\n"
		  "\t# unknown host names\n"
		  "\tserver {\n"
		  "\t\tlisten %d default_server;\n"
		  "\t\tserver_name _;\n"
		  "\t\tdefault_type text/plain;\n"
		  "\t\treturn 404 \"No environment is served at this address.\\n\";\n"
		  "\t}\n",
		  http_port);
	if (https_port)
		sbuf_addf(&sb,
			  "\tserver {\n"
			  "\t\tlisten %d ssl http2 default_server;\n"
			  "\t\tserver_name _;\n"
			  "\t\tssl_reject_handshake on;\n"
			  "\t}\n",
			  https_port);
	sbuf_adds(&sb, "\n"
		       "\tinclude /etc/nginx/sites.d/*.conf;\n"
		       "}\n");
	return sbuf_detach(&sb);
}
