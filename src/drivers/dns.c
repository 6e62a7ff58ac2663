/* dns.c: bounded name lookups (see dns.h). getaddrinfo has no timeout: each lookup runs on a
 * detached thread, and the caller waits on a condition variable until all are done or the
 * time is up. The batch is freed by whoever leaves it last. */
#include "drivers/dns.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/util.h"

struct batch {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int refs;
	size_t n, done;
	char **names;
	char **text; /* per name: the addresses as JSON text ("[...]"), NULL while running */
};

/* Lookups left running at most (a resolver that never answers keeps threads waiting): past
 * it a name is answered null at once. */
#define DNS_MAX_INFLIGHT 64
static pthread_mutex_t inflight_mu = PTHREAD_MUTEX_INITIALIZER;
static int inflight;

static bool inflight_take(void)
{
	pthread_mutex_lock(&inflight_mu);
	bool ok = inflight < DNS_MAX_INFLIGHT;
	if (ok)
		inflight++;
	pthread_mutex_unlock(&inflight_mu);
	return ok;
}

static void inflight_give(void)
{
	pthread_mutex_lock(&inflight_mu);
	inflight--;
	pthread_mutex_unlock(&inflight_mu);
}

struct task {
	struct batch *b;
	size_t i;
};

static void batch_unref_locked(struct batch *b)
{
	bool last = --b->refs == 0;
	pthread_mutex_unlock(&b->mu);
	if (!last)
		return;
	for (size_t i = 0; i < b->n; i++) {
		free(b->names[i]);
		free(b->text[i]);
	}
	free(b->names);
	free(b->text);
	pthread_cond_destroy(&b->cv);
	pthread_mutex_destroy(&b->mu);
	free(b);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The addresses of name, as a JSON array's text. */
static char *lookup(const char *name)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
	struct addrinfo *res = NULL;
	char *addrs[64];
	size_t k = 0;
	if (getaddrinfo(name, NULL, &hints, &res) == 0) {
		for (struct addrinfo *a = res; a && k < ARRAY_SIZE(addrs); a = a->ai_next) {
			char buf[INET6_ADDRSTRLEN];
			const void *src = a->ai_family == AF_INET
						  ? (const void *)&((struct sockaddr_in *)a->ai_addr)->sin_addr
						  : (const void *)&((struct sockaddr_in6 *)a->ai_addr)->sin6_addr;
			if ((a->ai_family != AF_INET && a->ai_family != AF_INET6) ||
			    !inet_ntop(a->ai_family, src, buf, sizeof buf))
				continue;
			bool dup = false;
			for (size_t j = 0; j < k && !dup; j++)
				dup = strcmp(addrs[j], buf) == 0;
			if (!dup)
				addrs[k++] = xstrdup(buf);
		}
		freeaddrinfo(res);
	}
	qsort(addrs, k, sizeof *addrs, cmp_str);
	json_t *arr = json_array();
	for (size_t j = 0; j < k; j++) {
		json_array_append_new(arr, json_string(addrs[j]));
		free(addrs[j]);
	}
	char *text = json_dumps(arr, JSON_COMPACT);
	json_decref(arr);
	return text;
}

static void *run(void *arg)
{
	struct task *t = arg;
	struct batch *b = t->b;
	size_t i = t->i;
	free(t);
	char *text = lookup(b->names[i]);
	inflight_give();
	pthread_mutex_lock(&b->mu);
	b->text[i] = text;
	b->done++;
	pthread_cond_broadcast(&b->cv);
	batch_unref_locked(b);
	return NULL;
}

json_t *dns_resolve_many(const char *const *names, size_t n, int timeout_ms)
{
	struct batch *b = xmalloc(sizeof *b);
	memset(b, 0, sizeof *b);
	pthread_mutex_init(&b->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&b->cv, &ca);
	pthread_condattr_destroy(&ca);
	b->n = n;
	b->refs = 1;
	b->names = xmalloc((n ? n : 1) * sizeof *b->names);
	b->text = xmalloc((n ? n : 1) * sizeof *b->text);
	for (size_t i = 0; i < n; i++) {
		b->names[i] = xstrdup(names[i]);
		b->text[i] = NULL;
	}
	pthread_mutex_lock(&b->mu);
	for (size_t i = 0; i < n; i++) {
		struct task *t = xmalloc(sizeof *t);
		t->b = b;
		t->i = i;
		pthread_t th;
		pthread_attr_t at;
		pthread_attr_init(&at);
		pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
		bool taken = inflight_take();
		b->refs++;
		if (!taken || pthread_create(&th, &at, run, t) != 0) {
			b->refs--;
			if (taken)
				inflight_give();
			free(t);
			b->text[i] = xstrdup("null");
			b->done++;
		}
		pthread_attr_destroy(&at);
	}
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	while (b->done < b->n)
		if (pthread_cond_timedwait(&b->cv, &b->mu, &until) != 0)
			break;
	json_t *out = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *v = b->text[i] ? json_loads(b->text[i], JSON_DECODE_ANY, NULL) : NULL;
		json_array_append_new(out, v ? v : json_null());
	}
	batch_unref_locked(b);
	return out;
}

json_t *dns_local_addresses(void)
{
	struct ifaddrs *ifs = NULL;
	json_t *out = json_array();
	if (getifaddrs(&ifs) < 0)
		return out;
	for (struct ifaddrs *i = ifs; i; i = i->ifa_next) {
		if (!i->ifa_addr || (i->ifa_addr->sa_family != AF_INET &&
				     i->ifa_addr->sa_family != AF_INET6))
			continue;
		char buf[INET6_ADDRSTRLEN];
		const void *src = i->ifa_addr->sa_family == AF_INET
					  ? (const void *)&((struct sockaddr_in *)i->ifa_addr)->sin_addr
					  : (const void *)&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
		if (!inet_ntop(i->ifa_addr->sa_family, src, buf, sizeof buf))
			continue;
		bool dup = false;
		size_t k;
		json_t *v;
		json_array_foreach(out, k, v)
			dup = dup || strcmp(json_string_value(v), buf) == 0;
		if (!dup)
			json_array_append_new(out, json_string(buf));
	}
	freeifaddrs(ifs);
	return out;
}
