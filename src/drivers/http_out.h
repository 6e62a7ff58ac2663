/* http_out.h: berth's outgoing HTTP requests to addresses users give (outgoing webhooks).
 * The host is resolved here, every address it resolves to is checked against the
 * server-side request forgery rule (lib/netaddr.h: no loopback, link-local or private
 * address, none of this host's own addresses) unless allowed, and the connection is pinned
 * to the checked address (no second resolution a DNS rebinding could answer differently).
 * No redirect is followed, no proxy is used, only http and https. */
#ifndef BERTH_HTTP_OUT_H
#define BERTH_HTTP_OUT_H
#include <stdbool.h>
#include <stddef.h>

struct http_out_result {
	long status;         /* HTTP status, 0 when no answer came */
	char error[256];     /* why there was no answer, or "" */
	bool refused;        /* the address was refused (not a network failure) */
	long duration_ms;
};

/* Resolves name (a host name or IP literal without brackets) for port and checks every
 * address it resolves to against the rule above unless allow_private; pinned (46 bytes)
 * receives the first, the address to connect to. 0, or -1 with errbuf saying why (*refused:
 * an address was refused, naming option, the berthd option that allows them). Also for the
 * backup targets' SFTP and S3 hosts (drivers/blob.c). */
int http_out_resolve(const char *name, const char *port, bool allow_private, const char *option,
		     char pinned[46], char *errbuf, size_t errlen, bool *refused);
/* POSTs body (len bytes, Content-Type: application/json) to url with the extra headers
 * ("Name: value", NULL-terminated list), within timeout_s. 0 when an answer came (any
 * status), -1 otherwise (res->error says why). */
int http_out_post(const char *url, const char *body, size_t len, const char *const *headers,
		  bool allow_private, long timeout_s, struct http_out_result *res);
#endif
