#include "lib/netaddr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

static bool v4_public(uint32_t a) /* host byte order */
{
	static const struct {
		uint32_t net, mask;
	} blocked[] = {
		{0x00000000, 0xff000000}, /* 0.0.0.0/8 "this network" */
		{0x0a000000, 0xff000000}, /* 10/8 */
		{0x64400000, 0xffc00000}, /* 100.64/10 shared (carrier-grade NAT) */
		{0x7f000000, 0xff000000}, /* 127/8 loopback */
		{0xa9fe0000, 0xffff0000}, /* 169.254/16 link-local (cloud metadata) */
		{0xac100000, 0xfff00000}, /* 172.16/12 */
		{0xc0000000, 0xffffff00}, /* 192.0.0/24 IETF protocol assignments */
		{0xc0000200, 0xffffff00}, /* 192.0.2/24 documentation */
		{0xc0a80000, 0xffff0000}, /* 192.168/16 */
		{0xc6120000, 0xfffe0000}, /* 198.18/15 benchmarking */
		{0xc6336400, 0xffffff00}, /* 198.51.100/24 documentation */
		{0xcb007100, 0xffffff00}, /* 203.0.113/24 documentation */
		{0xe0000000, 0xf0000000}, /* 224/4 multicast */
		{0xf0000000, 0xf0000000}, /* 240/4 reserved, and the broadcast address */
	};
	for (size_t i = 0; i < sizeof blocked / sizeof blocked[0]; i++)
		if ((a & blocked[i].mask) == blocked[i].net)
			return false;
	return true;
}

static uint32_t v4_at(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static bool v6_public(const unsigned char *b)
{
	static const unsigned char zero[16];
	if (!memcmp(b, zero, 15) && (b[15] == 0 || b[15] == 1)) /* :: and ::1 */
		return false;
	if (!memcmp(b, zero, 10) && b[10] == 0xff && b[11] == 0xff) /* ::ffff:a.b.c.d */
		return v4_public(v4_at(b + 12));
	if (!memcmp(b, zero, 12)) /* ::a.b.c.d (deprecated, compatible) */
		return v4_public(v4_at(b + 12));
	static const unsigned char nat64[12] = {0x00, 0x64, 0xff, 0x9b};
	if (!memcmp(b, nat64, 12)) /* 64:ff9b::/96 */
		return v4_public(v4_at(b + 12));
	if (b[0] == 0x20 && b[1] == 0x02) /* 6to4 2002:a.b.c.d::/48 */
		return v4_public(v4_at(b + 2));
	if ((b[0] & 0xfe) == 0xfc) /* fc00::/7 unique local */
		return false;
	if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) /* fe80::/10 link-local */
		return false;
	if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) /* fec0::/10 site-local (deprecated) */
		return false;
	if (b[0] == 0xff) /* multicast */
		return false;
	if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) /* 2001:db8::/32 */
		return false;
	if (b[0] == 0x01 && !memcmp(b + 1, zero, 7)) /* 100::/64 discard */
		return false;
	return (b[0] & 0xe0) == 0x20; /* only global unicast 2000::/3 is routed */
}

bool netaddr_is_public(const struct sockaddr *sa)
{
	if (!sa)
		return false;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
		return v4_public(ntohl(in->sin_addr.s_addr));
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
		return v6_public(in6->sin6_addr.s6_addr);
	}
	return false;
}

bool netaddr_text_is_public(const char *s, bool *is_ip)
{
	if (is_ip)
		*is_ip = false;
	if (!s)
		return false;
	char buf[64];
	size_t n = strlen(s);
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		s++;
		n -= 2;
	}
	if (n == 0 || n >= sizeof buf)
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	struct in_addr a4;
	struct in6_addr a6;
	if (inet_pton(AF_INET, buf, &a4) == 1) {
		if (is_ip)
			*is_ip = true;
		return v4_public(ntohl(a4.s_addr));
	}
	if (inet_pton(AF_INET6, buf, &a6) == 1) {
		if (is_ip)
			*is_ip = true;
		return v6_public(a6.s6_addr);
	}
	return false;
}
