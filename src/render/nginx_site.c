/* nginx_site.c: the inside of the server blocks of an environment's site that proxy to Odoo
 * (nginx_int.h). */
#include <stdio.h>
#include <string.h>

#include "lib/util.h"
#include "lib/valid.h"
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

/* A list of n values, each accepted by ok; the field named "name[i]" when one is not. */
static int check_list(const char *name, const char *const *v, size_t n, size_t max,
		      bool (*ok)(const char *), const char *what, struct berr *err)
{
	char field[48];
	if (n > max || (n && !v)) {
		snprintf(field, sizeof field, "at most %zu entries", max);
		return bad(err, name, field);
	}
	for (size_t i = 0; i < n; i++)
		if (!ok(v[i])) {
			snprintf(field, sizeof field, "%s[%zu]", name, i);
			return bad(err, field, what);
		}
	return 0;
}

/* The Security sub-tab's fields: each with the validator the settings API uses (lib/valid.h
 * through core/settings.c). */
static int check_security(const struct render_site *s, struct berr *err)
{
	if (check_list("cors_origins", s->cors_origins, s->n_cors_origins, 100, valid_cors_origin,
		       "an origin such as https://shop.example.com[:port], or *", err) < 0 ||
	    check_list("ip_allow", s->ip_allow, s->n_ip_allow, 500, valid_cidr,
		       "an IP address or CIDR range", err) < 0 ||
	    check_list("ip_deny", s->ip_deny, s->n_ip_deny, 500, valid_cidr,
		       "an IP address or CIDR range", err) < 0)
		return -1;
	if (s->rate_limit && !valid_nginx_rate(s->rate_login))
		return bad(err, "rate_login", "a rate such as 5r/m or 60r/s");
	if (s->rate_limit && !valid_nginx_rate(s->rate_general))
		return bad(err, "rate_general", "a rate such as 5r/m or 60r/s");
	if (s->csp && !valid_csp_policy(s->csp))
		return bad(err, "csp", "printable ASCII without \", \\, $, { or } (at most 2048)");
	return 0;
}

int render_site_check_proxy(const struct render_site *s, struct berr *err)
{
	if (!container_ok(s->odoo_host))
		return bad(err, "odoo_host", "not a container name");
	if (s->ide_host && !container_ok(s->ide_host))
		return bad(err, "ide_host", "not a container name");
	if (s->ide_host && (s->ide_port < 1 || s->ide_port > 65535))
		return bad(err, "ide_port", "must be between 1 and 65535");
	if (s->http_port < 1 || s->http_port > 65535)
		return bad(err, "http_port", "must be between 1 and 65535");
	if (s->gevent_port < 1 || s->gevent_port > 65535)
		return bad(err, "gevent_port", "must be between 1 and 65535");
	if (!valid_nginx_size(s->max_upload))
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
	return check_security(s, err);
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

/* The site's key in zone and variable names: the first 12 letters and digits of its id (as
 * in its containers' names; "site" without one), so that the longest variable name stays
 * within nginx's default variables_hash_bucket_size; render_nginx_site checked the id's
 * characters. */
static void site_key(const struct render_site *s, char out[72])
{
	size_t k = 0;
	for (const char *p = s->env_id ? s->env_id : "site"; *p && k < 12; p++)
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9'))
			out[k++] = *p;
	out[k] = '\0';
}

/* The burst a rate allows at once: its number of requests (at least 5), so that a page's
 * assets or a login form's GET and POST are not refused. */
static int rate_burst(const char *rate)
{
	int n = 0;
	for (const char *p = rate; *p >= '0' && *p <= '9' && n < 100000; p++)
		n = n * 10 + (*p - '0');
	return n < 5 ? 5 : n;
}

static bool cors_any(const struct render_site *s)
{
	for (size_t i = 0; i < s->n_cors_origins; i++)
		if (str_eq(s->cors_origins[i], "*"))
			return true;
	return false;
}

/* The preflight's own headers: sent only on a preflight (the maps give "" otherwise). */
static void cors_preflight_maps(struct sbuf *sb, const struct render_site *s)
{
	char key[72];
	site_key(s, key);
	sbuf_addf(sb,
		  "map $berth_preflight_%s $berth_cors_methods_%s {\n"
		  "\tdefault \"\";\n"
		  "\t1 \"GET, POST, PUT, PATCH, DELETE, OPTIONS\";\n"
		  "}\n"
		  "map $berth_preflight_%s $berth_cors_headers_%s {\n"
		  "\tdefault \"\";\n"
		  "\t1 \"Authorization, Content-Type, Accept, X-Requested-With\";\n"
		  "}\n"
		  "map $berth_preflight_%s $berth_cors_max_age_%s {\n"
		  "\tdefault \"\";\n"
		  "\t1 86400;\n"
		  "}\n",
		  key, key, key, key, key, key);
}

void render_site_http_level(struct sbuf *sb, const struct render_site *s)
{
	char key[72];
	site_key(s, key);
	if (s->n_cors_origins) {
		/* the origin echoed when it is listed, empty otherwise (nginx then sends no header) */
		sbuf_addf(sb,
			  "\n# CORS: the listed origins\n"
			  "map $http_origin $berth_cors_%s {\n"
			  "\tdefault %s;\n",
			  key, cors_any(s) ? "$http_origin" : "\"\"");
		for (size_t i = 0; i < s->n_cors_origins; i++) {
			bool dup = str_eq(s->cors_origins[i], "*"); /* nginx refuses a key twice */
			for (size_t j = 0; j < i && !dup; j++)
				dup = str_eq(s->cors_origins[i], s->cors_origins[j]);
			if (!dup)
				sbuf_addf(sb, "\t\"%s\" $http_origin;\n", s->cors_origins[i]);
		}
		sbuf_addf(sb,
			  "}\n"
			  "# a preflight: OPTIONS from a listed origin\n"
			  "map \"$request_method:$berth_cors_%s\" $berth_preflight_%s {\n"
			  "\tdefault 0;\n"
			  "\t\"~^OPTIONS:.\" 1;\n"
			  "}\n",
			  key, key);
		cors_preflight_maps(sb, s);
	}
	if (s->rate_limit)
		sbuf_addf(sb,
			  "\n# rate limiting per client address: the login page, everything else but\n"
			  "# berth's health check and the ACME challenge (an empty key is not counted)\n"
			  "map $uri $berth_limit_%s {\n"
			  "\tdefault $binary_remote_addr;\n"
			  "\t/web/health \"\";\n"
			  "\t\"~^/\\.well-known/acme-challenge/\" \"\";\n"
			  "}\n"
			  "limit_req_zone $binary_remote_addr zone=berth_login_%s:10m rate=%s;\n"
			  "limit_req_zone $berth_limit_%s zone=berth_general_%s:10m rate=%s;\n",
			  key, key, s->rate_login, key, key, s->rate_general);
	if (s->n_cors_origins || s->rate_limit)
		sbuf_addc(sb, '\n');
}

/* The Security sub-tab inside a proxying server block: address rules, rate limits, CORS and
 * CSP headers. Every add_header is at the server level: a location with an add_header of its
 * own would drop them all, so no location has one. */
static void security(struct sbuf *sb, const struct render_site *s)
{
	char key[72];
	site_key(s, key);
	if (s->n_ip_deny || s->n_ip_allow) {
		sbuf_adds(sb, "\n\t# IP rules: the blacklist, then the whitelist (then nobody else)\n");
		for (size_t i = 0; i < s->n_ip_deny; i++)
			sbuf_addf(sb, "\tdeny %s;\n", s->ip_deny[i]);
		for (size_t i = 0; i < s->n_ip_allow; i++)
			sbuf_addf(sb, "\tallow %s;\n", s->ip_allow[i]);
		if (s->n_ip_allow)
			sbuf_adds(sb, "\tdeny all;\n");
	}
	if (s->rate_limit)
		sbuf_addf(sb,
			  "\n\t# rate limiting (429 past it); /web/login has its own\n"
			  "\tlimit_req_status 429;\n"
			  "\tlimit_req zone=berth_general_%s burst=%d nodelay;\n",
			  key, rate_burst(s->rate_general));
	if (s->n_cors_origins)
		sbuf_addf(sb,
			  "\n\t# CORS: Access-Control-Allow-Origin for a listed origin only\n"
			  "\tproxy_hide_header Access-Control-Allow-Origin;\n"
			  "\tadd_header Access-Control-Allow-Origin $berth_cors_%s always;\n"
			  "\tadd_header Vary Origin always;\n"
			  "\tadd_header Access-Control-Allow-Methods $berth_cors_methods_%s always;\n"
			  "\tadd_header Access-Control-Allow-Headers $berth_cors_headers_%s always;\n"
			  "\tadd_header Access-Control-Max-Age $berth_cors_max_age_%s always;\n"
			  "\t# a preflight is answered here (before the address rules and limits)\n"
			  "\tif ($berth_preflight_%s) {\n"
			  "\t\treturn 204;\n"
			  "\t}\n",
			  key, key, key, key, key);
	if (s->csp)
		sbuf_addf(sb,
			  "\n\t# Content-Security-Policy\n"
			  "\tadd_header Content-Security-Policy \"%s\" always;\n",
			  s->csp);
}

/* Connect As User (docs/connect.md): /berth/connect/<token>, a one-time sign-in URL served
 * by the edge itself (it cannot reach berthd). berthd writes the token's file into
 * /var/lib/berth-connect (the nginx workers' own directory, 0700): four lines, the expiry
 * (seconds since the epoch), the host name, "s" for a Secure cookie (an https URL) or "-",
 * the Odoo session id, and the path of Odoo's web client. The token (64 lowercase hex
 * digits) is checked before it names a file; renaming the file claims it (one use: a second
 * rename fails); the claimed file is removed whatever follows. Expired, unknown, used, or
 * for another host: 410. A constant block: nothing of a user's reaches it. */
static const char CONNECT_LOCATION[] =
	"\t# Connect As User: one-time sign-in URLs (berth writes the tokens; docs/connect.md)\n"
	"\tlocation ^~ /berth/connect/ {\n"
	"\t\tdefault_type text/plain;\n"
	"\t\tabsolute_redirect off;\n"
	"\t\tcontent_by_lua_block {\n"
	"\t\t\tlocal t = ngx.var.uri:match(\"^/berth/connect/(%x+)$\")\n"
	"\t\t\tif not t or #t ~= 64 or t:find(\"%u\") then\n"
	"\t\t\t\treturn ngx.exit(404)\n"
	"\t\t\tend\n"
	"\t\t\tlocal dir = \"/var/lib/berth-connect/\"\n"
	"\t\t\tlocal claimed = dir .. \"claimed-\" .. t\n"
	"\t\t\tlocal gone = \"This sign-in link was already used or has expired.\\n\"\n"
	"\t\t\tngx.header[\"Cache-Control\"] = \"no-store\"\n"
	"\t\t\tif not os.rename(dir .. t, claimed) then\n"
	"\t\t\t\tngx.status = 410\n"
	"\t\t\t\tngx.print(gone)\n"
	"\t\t\t\treturn ngx.exit(ngx.HTTP_OK)\n"
	"\t\t\tend\n"
	"\t\t\tlocal f = io.open(claimed, \"r\")\n"
	"\t\t\tlocal data = f and f:read(\"*a\") or \"\"\n"
	"\t\t\tif f then f:close() end\n"
	"\t\t\tos.remove(claimed)\n"
	"\t\t\tlocal exp, host, sec, sid, path = data:match(\n"
	"\t\t\t\t\"^(%d+)\\n([%w%.%-]+)\\n([s%-])\\n([%w_%-]+)\\n(/[%w/]*)\\n$\")\n"
	"\t\t\tif not exp or tonumber(exp) < ngx.time() or host ~= ngx.var.host then\n"
	"\t\t\t\tngx.status = 410\n"
	"\t\t\t\tngx.print(gone)\n"
	"\t\t\t\treturn ngx.exit(ngx.HTTP_OK)\n"
	"\t\t\tend\n"
	"\t\t\tngx.header[\"Set-Cookie\"] = \"session_id=\" .. sid ..\n"
	"\t\t\t\t\"; Path=/; HttpOnly\" .. (sec == \"s\" and \"; Secure\" or \"\") .. \"; SameSite=Lax\"\n"
	"\t\t\treturn ngx.redirect(path, 302)\n"
	"\t\t}\n"
	"\t}\n"
	"\n";
/* The IDE (issue 14): /ide answers 301 /ide/, and /ide/ goes to the IDE container with the
 * prefix stripped (code-server's pages use relative URLs), websockets included. */
static void ide_locations(struct sbuf *sb, const struct render_site *s)
{
	if (!s->ide_host)
		return;
	sbuf_addf(sb,
		  "\t# the IDE (code-server) of the environment, behind its own password\n"
		  "\tlocation = /ide {\n"
		  "\t\treturn 301 /ide/$is_args$args;\n"
		  "\t}\n"
		  "\tlocation ^~ /ide/ {\n"
		  "\t\tset $berth_ide http://%s:%d;\n"
		  "\t\trewrite ^/ide/(.*)$ /$1 break;\n"
		  "\t\tproxy_pass $berth_ide;\n",
		  s->ide_host, s->ide_port);
	proxy_headers(sb, "\t");
	sbuf_adds(sb,
		  "\t\tproxy_set_header Upgrade $http_upgrade;\n"
		  "\t\tproxy_set_header Connection $connection_upgrade;\n"
		  "\t\tproxy_read_timeout 86400s;\n"
		  "\t\tproxy_send_timeout 86400s;\n"
		  "\t\tclient_max_body_size 0;\n"
		  "\t}\n"
		  "\n");
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
	security(sb, s);
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
	if (acme && (s->n_ip_allow || s->n_ip_deny)) {
		/* the challenge stays reachable for the CA whatever the address rules say */
		const char *brace = strrchr(RENDER_SITE_ACME, '}');
		sbuf_add(sb, RENDER_SITE_ACME, (size_t)(brace - RENDER_SITE_ACME - 1));
		sbuf_adds(sb, "\t\tallow all;\n\t}\n\n");
	} else if (acme) {
		sbuf_adds(sb, RENDER_SITE_ACME);
		sbuf_addc(sb, '\n');
	}
	if (s->n_ip_allow || s->n_ip_deny)
		/* berth's health check reaches the site through the edge from the server itself */
		sbuf_adds(sb, "\t# berth's health check, whatever the address rules say\n"
			      "\tlocation = /web/health {\n"
			      "\t\tallow all;\n"
			      "\t\tproxy_pass $odoo;\n"
			      "\t}\n"
			      "\n");
	if (s->rate_limit) {
		char key[72];
		site_key(s, key);
		sbuf_addf(sb,
			  "\t# the login page: its own rate (limit_req here replaces the general one)\n"
			  "\tlocation = /web/login {\n"
			  "\t\tlimit_req zone=berth_login_%s burst=%d nodelay;\n"
			  "\t\tproxy_pass $odoo;\n"
			  "\t}\n"
			  "\n",
			  key, rate_burst(s->rate_login));
	}
	if (s->connect)
		sbuf_adds(sb, CONNECT_LOCATION);
	ide_locations(sb, s);
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
