/* netaddr.h: what kind of network address an outgoing request would reach (the server-side
 * request forgery rule of outgoing webhooks). Pure: no resolution, no I/O. */
#ifndef BERTH_NETADDR_H
#define BERTH_NETADDR_H
#include <stdbool.h>
#include <sys/socket.h>

/* Whether an address is one of the public internet: false for loopback, link-local,
 * private (RFC 1918, IPv6 unique local), shared (100.64/10), unspecified, multicast,
 * broadcast, reserved and documentation ranges, and for IPv4 addresses carried in IPv6
 * (mapped, compatible, NAT64 64:ff9b::/96, 6to4 2002::/16) when the IPv4 address is not. */
bool netaddr_is_public(const struct sockaddr *sa);
/* The same for an address in text (an IP literal, IPv6 with or without brackets); false
 * when s is not an IP literal. *is_ip (may be NULL) says whether it was one. */
bool netaddr_text_is_public(const char *s, bool *is_ip);
#endif
