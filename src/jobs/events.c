#include "jobs/events.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/util.h"

#define NBUCKETS 64

struct events_sub {
	struct room *room;
	struct events_sub *next; /* in the room */
	int64_t after;           /* the last seq handed over (or skipped by a reset) */
	bool reset;              /* owes a reset */
	/* armed by events_poll: wake(cls) once at news, deadline or shutdown */
	void (*wake)(void *cls);
	void *wake_cls;
	int64_t deadline; /* CLOCK_MONOTONIC ms */
	bool timed_out;
};

/* An organization that had an event or a subscriber: its ring stays for replay. */
struct room {
	char org_id[37];
	struct room *next; /* in the bucket */
	struct events_sub *subs;
	struct event_item ring[EVENTS_RING];
	size_t head, n;  /* the oldest kept event, how many are kept */
	int64_t evicted; /* the seq of the newest event dropped from the ring, 0 when none */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct room *buckets[NBUCKETS];
static bool closing;
/* the run's starting point (microseconds of the clock at the first use) and the last seq:
 * ids grow across runs too, so an id of an earlier run is recognised as such */
static int64_t base, seq;

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Under lock. */
static void init_seq(void)
{
	if (base)
		return;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	base = seq = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Under lock: calls the subscriber's waker once. */
static void wake_armed(struct events_sub *s)
{
	if (s->wake) {
		void (*fn)(void *) = s->wake;
		s->wake = NULL;
		fn(s->wake_cls);
	}
}

static unsigned bucket_of(const char *org_id)
{
	unsigned h = 2166136261u; /* FNV-1a */
	for (const unsigned char *p = (const unsigned char *)org_id; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h % NBUCKETS;
}

/* Under lock: org_id's room, made when missing. */
static struct room *room_of(const char *org_id)
{
	unsigned b = bucket_of(org_id);
	for (struct room *r = buckets[b]; r; r = r->next)
		if (strcmp(r->org_id, org_id) == 0)
			return r;
	struct room *r = xcalloc(1, sizeof *r);
	snprintf(r->org_id, sizeof r->org_id, "%s", org_id);
	r->next = buckets[b];
	buckets[b] = r;
	return r;
}

static void item_free(struct event_item *e)
{
	free(e->project_id);
	free(e->type);
	free(e->data);
	memset(e, 0, sizeof *e);
}

static events_observer observers[EVENTS_OBSERVERS];
static size_t nobservers;

int events_observe(events_observer fn)
{
	if (nobservers == EVENTS_OBSERVERS)
		return -1;
	observers[nobservers++] = fn;
	return 0;
}

void events_publish(const char *org_id, const char *project_id, const char *type,
		    json_t *data)
{
	if (org_id && *org_id && type)
		for (size_t i = 0; i < nobservers; i++)
			observers[i](org_id, project_id, type, data);
	char *text = data ? json_dumps(data, JSON_COMPACT) : NULL;
	json_decref(data);
	if (!org_id || !*org_id || !type) {
		free(text);
		return;
	}
	pthread_mutex_lock(&lock);
	init_seq();
	struct room *r = room_of(org_id);
	if (r->n == EVENTS_RING) {
		r->evicted = r->ring[r->head].seq;
		item_free(&r->ring[r->head]);
		r->head = (r->head + 1) % EVENTS_RING;
		r->n--;
	}
	struct event_item *e = &r->ring[(r->head + r->n) % EVENTS_RING];
	r->n++;
	e->seq = ++seq;
	e->project_id = project_id && *project_id ? xstrdup(project_id) : NULL;
	e->type = xstrdup(type);
	e->data = text ? text : xstrdup("{}");
	for (struct events_sub *s = r->subs; s; s = s->next)
		wake_armed(s);
	pthread_mutex_unlock(&lock);
}

struct events_sub *events_subscribe(const char *org_id, int64_t last_id)
{
	struct events_sub *s = xcalloc(1, sizeof *s);
	pthread_mutex_lock(&lock);
	init_seq();
	struct room *r = room_of(org_id);
	s->room = r;
	s->after = seq;
	if (last_id >= 0) {
		/* an id of this run whose successors are all kept resumes; any other reloads */
		if (last_id > base && last_id <= seq && last_id >= r->evicted)
			s->after = last_id;
		else
			s->reset = true;
	}
	s->next = r->subs;
	r->subs = s;
	pthread_mutex_unlock(&lock);
	return s;
}

void events_unsubscribe(struct events_sub *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&lock);
	for (struct events_sub **p = &s->room->subs; *p; p = &(*p)->next)
		if (*p == s) {
			*p = s->next;
			break;
		}
	pthread_mutex_unlock(&lock);
	free(s);
}

/* Under lock: moves the subscriber's news to *news; true when there was some. */
static bool take(struct events_sub *s, struct events_news *news)
{
	struct room *r = s->room;
	int64_t newest = r->n ? r->ring[(r->head + r->n - 1) % EVENTS_RING].seq : s->after;
	if (r->evicted > s->after) { /* it fell behind the ring */
		s->reset = true;
		s->after = newest;
	}
	size_t first = r->n;
	while (first > 0 && r->ring[(r->head + first - 1) % EVENTS_RING].seq > s->after)
		first--;
	size_t count = r->n - first;
	if (!count && !s->reset)
		return false;
	news->reset = s->reset;
	news->reset_id = s->after;
	news->n = count;
	news->items = count ? xcalloc(count, sizeof *news->items) : NULL;
	for (size_t i = 0; i < count; i++) {
		const struct event_item *e = &r->ring[(r->head + first + i) % EVENTS_RING];
		news->items[i].seq = e->seq;
		news->items[i].project_id = e->project_id ? xstrdup(e->project_id) : NULL;
		news->items[i].type = xstrdup(e->type);
		news->items[i].data = xstrdup(e->data);
	}
	if (count)
		s->after = news->items[count - 1].seq;
	s->reset = false;
	return true;
}

int events_poll(struct events_sub *s, struct events_news *news, int idle_ms,
		void (*arm)(void *cls), void (*wake)(void *cls), void *cls)
{
	memset(news, 0, sizeof *news);
	int rc;
	pthread_mutex_lock(&lock);
	s->wake = NULL;
	if (take(s, news)) {
		rc = 1;
	} else if (closing) {
		rc = -1;
	} else if (s->timed_out) {
		rc = 0;
	} else {
		s->deadline = mono_ms() + idle_ms;
		s->wake_cls = cls;
		s->wake = wake;
		if (arm)
			arm(cls);
		rc = 2;
	}
	s->timed_out = false;
	pthread_mutex_unlock(&lock);
	return rc;
}

void events_news_free(struct events_news *news)
{
	for (size_t i = 0; i < news->n; i++)
		item_free(&news->items[i]);
	free(news->items);
	memset(news, 0, sizeof *news);
}

void events_tick(void)
{
	int64_t now = mono_ms();
	pthread_mutex_lock(&lock);
	for (int b = 0; b < NBUCKETS; b++)
		for (struct room *r = buckets[b]; r; r = r->next)
			for (struct events_sub *s = r->subs; s; s = s->next)
				if (s->wake && now >= s->deadline) {
					s->timed_out = true;
					wake_armed(s);
				}
	pthread_mutex_unlock(&lock);
}

void events_shutdown(void)
{
	pthread_mutex_lock(&lock);
	closing = true;
	for (int b = 0; b < NBUCKETS; b++)
		for (struct room *r = buckets[b]; r; r = r->next)
			for (struct events_sub *s = r->subs; s; s = s->next)
				wake_armed(s);
	pthread_mutex_unlock(&lock);
}

void events_open(void)
{
	pthread_mutex_lock(&lock);
	closing = false;
	pthread_mutex_unlock(&lock);
}

int64_t events_last_seq(void)
{
	pthread_mutex_lock(&lock);
	init_seq();
	int64_t v = seq;
	pthread_mutex_unlock(&lock);
	return v;
}

size_t events_subscribers(const char *org_id)
{
	size_t n = 0;
	pthread_mutex_lock(&lock);
	unsigned b = bucket_of(org_id);
	for (struct room *r = buckets[b]; r; r = r->next)
		if (strcmp(r->org_id, org_id) == 0)
			for (struct events_sub *s = r->subs; s; s = s->next)
				n++;
	pthread_mutex_unlock(&lock);
	return n;
}
