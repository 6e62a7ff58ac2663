/* nginx_site.c: the inside of the server blocks of an environment's site that proxy to Odoo
 * (nginx_int.h). */
#include <stdio.h>
#include <string.h>

#include "lib/util.h"
#include "render/nginx_int.h"

int render_site_bad(struct berr *err, const char *field, const char *what)
{
	return berr_set(err, BE_VALIDATION_ERROR, field, "%s: %s", field, what);
}

static int bad(struct berr *err, const char *field, const char *what)
{
	return render_site_bad(err, field, what);
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

int render_site_check_proxy(const struct render_site *s, struct berr *err)
{
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
	return 0;
}

const char RENDER_SITE_ACME[] =
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

void render_site_http_level(struct sbuf *sb, const struct render_site *s)
{
	(void)sb;
	(void)s;
}

void render_site_proxy(struct sbuf *sb, const struct render_site *s, bool acme, bool tls)
{
	sbuf_addf(sb,
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
	sbuf_adds(sb, PROXY_HEADERS);
	sbuf_addf(sb,
		  "\tproxy_hide_header X-Frame-Options;\n"
		  "\tadd_header X-Frame-Options %s always;\n",
		  s->x_frame_options);
	if (tls)
		sbuf_adds(sb, "\tproxy_cookie_flags session_id samesite=lax secure;\n");
	sbuf_adds(sb,
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
	if (acme) {
		sbuf_adds(sb, RENDER_SITE_ACME);
		sbuf_addc(sb, '\n');
	}
	sbuf_addf(sb,
		  "\tlocation /websocket {\n"
		  "\t\tproxy_pass $odoo_websocket;\n");
	/* proxy_set_header in a location replaces every inherited one: repeat them */
	proxy_headers(sb, "\t");
	sbuf_adds(sb,
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
}
