#include "drivers/http_out.h"

#include <curl/curl.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/netaddr.h"
#include "lib/util.h"

static bool same_addr(const struct sockaddr *a, const struct sockaddr *b)
{
	if (!a || !b || a->sa_family != b->sa_family)
		return false;
	if (a->sa_family == AF_INET)
		return ((const struct sockaddr_in *)(const void *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)(const void *)b)->sin_addr.s_addr;
	if (a->sa_family == AF_INET6)
		return !memcmp(&((const struct sockaddr_in6 *)(const void *)a)->sin6_addr,
			       &((const struct sockaddr_in6 *)(const void *)b)->sin6_addr, 16);
	return false;
}

/* Whether sa is one of this host's own addresses (a public address of berthd's host reaches
 * its services as surely as loopback does). */
static bool host_owns(const struct sockaddr *sa)
{
	struct ifaddrs *ifs = NULL;
	if (getifaddrs(&ifs) < 0)
		return false;
	bool own = false;
	for (struct ifaddrs *i = ifs; i && !own; i = i->ifa_next)
		own = same_addr(i->ifa_addr, sa);
	freeifaddrs(ifs);
	return own;
}

static size_t discard(char *p, size_t sz, size_t n, void *cls)
{
	(void)p;
	(void)cls;
	return sz * n; /* the receiver's answer is not kept: only its status counts */
}

static int fail(struct http_out_result *res, bool refused, const char *fmt, const char *arg)
{
	res->refused = refused;
	snprintf(res->error, sizeof res->error, fmt, arg ? arg : "");
	return -1;
}

int http_out_resolve(const char *name, const char *port, bool allow_private, const char *option,
		     char pinned[46], char *errbuf, size_t errlen, bool *refused)
{
	*refused = false;
	pinned[0] = '\0';
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
	struct addrinfo *ai = NULL;
	int gai = getaddrinfo(name, port, &hints, &ai);
	if (gai != 0) {
		snprintf(errbuf, errlen, "cannot resolve the host: %s", gai_strerror(gai));
		return -1;
	}
	/* every address must pass, not just one: the connection goes to the first */
	for (struct addrinfo *a = ai; a; a = a->ai_next) {
		char txt[INET6_ADDRSTRLEN] = "";
		const void *bin = a->ai_family == AF_INET
			? (const void *)&((struct sockaddr_in *)(void *)a->ai_addr)->sin_addr
			: (const void *)&((struct sockaddr_in6 *)(void *)a->ai_addr)->sin6_addr;
		inet_ntop(a->ai_family, bin, txt, sizeof txt);
		if (!allow_private && (!netaddr_is_public(a->ai_addr) || host_owns(a->ai_addr))) {
			freeaddrinfo(ai);
			*refused = true;
			snprintf(errbuf, errlen,
				 "refused: the host resolves to %s, a loopback, link-local, private or "
				 "own address (berthd %s allows them)", txt, option);
			pinned[0] = '\0';
			return -1;
		}
		if (!*pinned)
			snprintf(pinned, INET6_ADDRSTRLEN, "%s", txt);
	}
	freeaddrinfo(ai);
	if (!*pinned) {
		snprintf(errbuf, errlen, "the host has no address");
		return -1;
	}
	return 0;
}

int http_out_post(const char *url, const char *body, size_t len, const char *const *headers,
		  bool allow_private, long timeout_s, struct http_out_result *res)
{
	memset(res, 0, sizeof *res);
	int64_t t0 = now_ms();
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL;
	int rc = -1;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK) {
		fail(res, true, "not a valid URL", NULL);
		goto out;
	}
	if (strcmp(scheme, "http") && strcmp(scheme, "https")) {
		fail(res, true, "only http and https URLs", NULL);
		goto out;
	}
	/* curl gives an IPv6 literal host with its brackets */
	char name[256];
	size_t hn = strlen(host);
	if (hn >= 2 && host[0] == '[' && host[hn - 1] == ']')
		snprintf(name, sizeof name, "%.*s", (int)(hn - 2), host + 1);
	else
		snprintf(name, sizeof name, "%s", host);

	char pinned[INET6_ADDRSTRLEN] = "";
	if (http_out_resolve(name, port, allow_private, "--webhook-allow-private", pinned, res->error,
			     sizeof res->error, &res->refused) < 0)
		goto out;

	CURL *h = curl_easy_init();
	char errbuf[CURL_ERROR_SIZE] = "";
	char *resolve_line = xasprintf("%s:%s:%s%s%s", name, port, strchr(pinned, ':') ? "[" : "",
				       pinned, strchr(pinned, ':') ? "]" : "");
	struct curl_slist *resolve = curl_slist_append(NULL, resolve_line);
	struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	hdrs = curl_slist_append(hdrs, "Expect:");
	for (const char *const *p = headers; p && *p; p++)
		hdrs = curl_slist_append(hdrs, *p);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_RESOLVE, resolve);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_PROXY, "");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, timeout_s < 10 ? timeout_s : 10L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, timeout_s);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "berth-webhooks/" BERTH_VERSION);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_POST, 1L);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	CURLcode cc = curl_easy_perform(h);
	if (cc == CURLE_OK) {
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &res->status);
		rc = 0;
	} else {
		fail(res, false, "%s", *errbuf ? errbuf : curl_easy_strerror(cc));
	}
	curl_slist_free_all(hdrs);
	curl_slist_free_all(resolve);
	free(resolve_line);
	curl_easy_cleanup(h);
out:
	res->duration_ms = (long)(now_ms() - t0);
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return rc;
}
