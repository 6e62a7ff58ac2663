/* events.h: the organization event bus. What the console shows live (an environment's status,
 * a job queued, started or finished, a server's status) is published here by the code that
 * changes it, and handed to the organization's event streams (api/events.c) without polling
 * the store. Each event gets a number (seq) that grows through a berthd run and across runs
 * (it starts from the clock), and the last EVENTS_RING events of each organization are kept
 * in memory so that a stream that reconnects (Last-Event-ID) gets what it missed; one that
 * missed more than that, or comes from another run, is told to reload (news.reset).
 *
 * Thread-safe. Publishers: jobs/queue.c, ops/env_rt.c, ops/server.c (and svc/servers.c
 * through it); subscribers: the SSE streams of api/events.c. */
#ifndef BERTH_EVENTS_H
#define BERTH_EVENTS_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Events kept per organization for replay. */
#define EVENTS_RING 512

struct events_sub;

struct event_item {
	int64_t seq;
	char *project_id; /* NULL: organization-wide */
	char *type;       /* "environment.status", "job.queued", ... */
	char *data;       /* one line of JSON */
};

/* What happened since the subscriber's last poll. */
struct events_news {
	bool reset;                /* events were missed: reload the state (sent first) */
	int64_t reset_id;          /* the id to give the reset (the items follow it) */
	struct event_item *items; /* in seq order, after the reset if any */
	size_t n;
};

/* Publishes an event of org_id (data is stolen; NULL counts as {}). */
void events_publish(const char *org_id, const char *project_id, const char *type,
		    json_t *data);

/* An observer sees every event as it is published (on the publisher's thread, before the
 * streams do, with data borrowed): outgoing webhooks. It must be quick and must not call
 * the bus. At most EVENTS_OBSERVERS; registered at start, before any thread publishes. */
#define EVENTS_OBSERVERS 4
typedef void (*events_observer)(const char *org_id, const char *project_id, const char *type,
				const json_t *data);
int events_observe(events_observer fn);

/* Subscribes to org_id's events after last_id: -1 (none given) for the events published
 * from now on; an id this run knows for the kept events after it; any other id (older than
 * the ring, from another run, or unknown) makes the first news a reset. */
struct events_sub *events_subscribe(const char *org_id, int64_t last_id);
void events_unsubscribe(struct events_sub *s);

/* As hub_poll (jobs/hub.h): 1 with news in *news, -1 when the bus is shutting down, 0 when
 * the subscriber was armed before and idle_ms passed with no news (time for a heartbeat);
 * otherwise arms the subscriber, calls arm(cls) under the bus's lock and returns 2: wake(cls)
 * is called once, under the lock, at news, at the deadline (events_tick), at
 * events_shutdown, or never after events_unsubscribe. Neither callback may call the bus. */
int events_poll(struct events_sub *s, struct events_news *news, int idle_ms,
		void (*arm)(void *cls), void (*wake)(void *cls), void *cls);
void events_news_free(struct events_news *news);
/* Wakes the armed subscribers whose deadline passed (a timer calls it once a second). */
void events_tick(void);

/* Wakes every subscriber, events_poll then returns -1 (berthd is stopping); events_open
 * undoes it. */
void events_shutdown(void);
void events_open(void);

/* The seq of the last event published (or the run's starting point when none was). */
int64_t events_last_seq(void);
/* How many subscribers org_id has (tests and diagnostics). */
size_t events_subscribers(const char *org_id);
#endif
