/* hub.h: the per-job event hub. A live log stream subscribes to one job; each log line the
 * job writes is handed to that job's subscribers (and wakes only them), and a change of the
 * job's status wakes them too. In memory only: what a stream missed (it subscribed late, or
 * fell more than HUB_MAX_PENDING lines behind) it reads from the store.
 *
 * Thread-safe. Publishers are the job workers (jobs/queue.c); subscribers are the SSE
 * streams (api/jobs.c). */
#ifndef BERTH_HUB_H
#define BERTH_HUB_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Lines kept per subscriber between two waits; beyond that they are dropped and the
 * subscriber is told to read the store (news.overflow). */
#define HUB_MAX_PENDING 2000

struct hub_sub;

struct hub_line {
	int64_t n; /* the line's number in the job's log (1, 2, ...) */
	char *line;
};

/* What happened since the subscriber's last wait. */
struct hub_news {
	struct hub_line *lines; /* in the order written */
	size_t nlines;
	bool status;   /* the job's status (or result) changed after the lines above */
	bool overflow; /* lines were dropped: read the store after the last line you have */
};

struct hub_sub *hub_subscribe(const char *job_id);
void hub_unsubscribe(struct hub_sub *s);

/* Waits up to timeout_ms (0: do not wait) for news on the subscriber's job and moves it to
 * *news. 1 with news, 0 when there was none, -1 when the hub is shutting down. */
int hub_wait(struct hub_sub *s, int timeout_ms, struct hub_news *news);
void hub_news_free(struct hub_news *news);

/* For an event loop that must not block (a suspended HTTP connection): when the subscriber
 * has news, moves it to *news and returns 1; -1 when the hub is shutting down; 0 when the
 * subscriber was armed before and its deadline passed with no news (time for a heartbeat).
 * Otherwise arms the subscriber and returns 2: arm(cls) is called at once under the hub's
 * lock (suspend the connection there: a wake cannot come before it), and wake(cls) once,
 * also under the hub's lock, when news arrives, when hub_tick finds the deadline
 * (idle_ms from now) passed, at hub_shutdown, or never after hub_unsubscribe. Neither
 * callback may call back into the hub. */
int hub_poll(struct hub_sub *s, struct hub_news *news, int idle_ms, void (*arm)(void *cls),
	     void (*wake)(void *cls), void *cls);
/* Wakes the armed subscribers whose deadline has passed (called by a timer, e.g. once a
 * second). */
void hub_tick(void);

/* For the job's writer: line n of job_id was stored / the job's row changed. */
void hub_publish_line(const char *job_id, int64_t n, const char *line);
void hub_publish_status(const char *job_id);

/* Wakes every subscriber and makes hub_wait return -1 (berthd is stopping); hub_open undoes
 * it. */
void hub_shutdown(void);
void hub_open(void);

/* How many subscribers job_id has (for tests and diagnostics). */
size_t hub_subscribers(const char *job_id);
#endif
