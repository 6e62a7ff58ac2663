/* nginx_int.h: the parts of an environment's site (render_nginx_site), private to src/render/.
 * nginx.c frames the site: which server blocks there are, their listen lines, names and
 * certificates, the HTTP to HTTPS redirect (issue 13: the tls part). nginx_site.c writes what
 * every server block that proxies to Odoo holds: the upstream, limits, headers, the Security
 * sub-tab's rules and the locations (issue 13: the settings part). */
#ifndef BERTH_RENDER_NGINX_INT_H
#define BERTH_RENDER_NGINX_INT_H
#include <stdbool.h>

#include "lib/errors.h"
#include "lib/util.h"
#include "render/render.h"

/* VALIDATION_ERROR "field: what" */
int render_site_bad(struct berr *err, const char *field, const char *what);
/* Checks the fields render_site_proxy renders (everything but names and certificates). */
int render_site_check_proxy(const struct render_site *s, struct berr *err);
/* What the site needs at the http level, before its server blocks (limit_req_zone, map);
 * called once per site. */
void render_site_http_level(struct sbuf *sb, const struct render_site *s);
/* The inside of a server block that proxies to Odoo, after its listen, server_name and ssl
 * lines, up to and including its closing brace. acme: serve the ACME challenge location
 * here (plain HTTP blocks); tls: the block is served over HTTPS. */
void render_site_proxy(struct sbuf *sb, const struct render_site *s, bool acme, bool tls);
/* The ACME HTTP-01 challenge location (served from /var/www/berth). */
extern const char RENDER_SITE_ACME[];
#endif
