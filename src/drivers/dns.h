/* dns.h: what names resolve to, looked up with the system resolver (getaddrinfo), within a
 * bounded time: a slow or absent DNS server never holds the caller longer than timeout_ms. */
#ifndef BERTH_DNS_H
#define BERTH_DNS_H
#include <jansson.h>
#include <stddef.h>

/* Resolves the n names at once (IPv4 and IPv6), waiting at most timeout_ms in all. An array
 * of n entries: the sorted, distinct addresses of each name as strings ([] when it does not
 * resolve), or null when its lookup did not finish in time. A lookup left running ends on
 * its own thread and is then dropped. */
json_t *dns_resolve_many(const char *const *names, size_t n, int timeout_ms);
/* The addresses of this machine's interfaces (a server reached through the local transport
 * is this machine), sorted, distinct. */
json_t *dns_local_addresses(void);
#endif
