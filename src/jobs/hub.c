#include "jobs/hub.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/util.h"

#define NBUCKETS 64

struct hub_sub {
	struct room *room;
	struct hub_sub *next; /* in the room */
	pthread_cond_t cv;
	struct hub_line *lines;
	size_t nlines, cap;
	bool status, overflow;
	/* armed by hub_poll: wake(cls) once at news, deadline or shutdown */
	void (*wake)(void *cls);
	void *wake_cls;
	int64_t deadline; /* CLOCK_MONOTONIC ms */
	bool timed_out;   /* the deadline passed while armed */
};

/* A job with at least one subscriber. */
struct room {
	char job_id[37];
	struct room *next; /* in the bucket */
	struct hub_sub *subs;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct room *buckets[NBUCKETS];
static bool closing;

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Under lock: calls the subscriber's waker once. */
static void wake_armed(struct hub_sub *s)
{
	if (s->wake) {
		void (*fn)(void *) = s->wake;
		s->wake = NULL;
		fn(s->wake_cls);
	}
}

static unsigned bucket_of(const char *job_id)
{
	unsigned h = 2166136261u; /* FNV-1a */
	for (const unsigned char *p = (const unsigned char *)job_id; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h % NBUCKETS;
}

/* Under lock. */
static struct room *find_room(const char *job_id)
{
	for (struct room *r = buckets[bucket_of(job_id)]; r; r = r->next)
		if (strcmp(r->job_id, job_id) == 0)
			return r;
	return NULL;
}

struct hub_sub *hub_subscribe(const char *job_id)
{
	struct hub_sub *s = xcalloc(1, sizeof *s);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_lock(&lock);
	struct room *r = find_room(job_id);
	if (!r) {
		r = xcalloc(1, sizeof *r);
		snprintf(r->job_id, sizeof r->job_id, "%s", job_id);
		unsigned b = bucket_of(job_id);
		r->next = buckets[b];
		buckets[b] = r;
	}
	s->room = r;
	s->next = r->subs;
	r->subs = s;
	pthread_mutex_unlock(&lock);
	return s;
}

static void drop_lines(struct hub_line *lines, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(lines[i].line);
	free(lines);
}

void hub_unsubscribe(struct hub_sub *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&lock);
	struct room *r = s->room;
	for (struct hub_sub **p = &r->subs; *p; p = &(*p)->next)
		if (*p == s) {
			*p = s->next;
			break;
		}
	if (!r->subs) { /* the last one out closes the room */
		for (struct room **p = &buckets[bucket_of(r->job_id)]; *p; p = &(*p)->next)
			if (*p == r) {
				*p = r->next;
				break;
			}
		free(r);
	}
	pthread_mutex_unlock(&lock);
	drop_lines(s->lines, s->nlines);
	pthread_cond_destroy(&s->cv);
	free(s);
}

/* Under lock: moves the subscriber's news to *news; true when there was some. */
static bool take(struct hub_sub *s, struct hub_news *news)
{
	if (!s->nlines && !s->status && !s->overflow)
		return false;
	news->lines = s->lines;
	news->nlines = s->nlines;
	news->status = s->status;
	news->overflow = s->overflow;
	s->lines = NULL;
	s->nlines = s->cap = 0;
	s->status = s->overflow = false;
	return true;
}

int hub_wait(struct hub_sub *s, int timeout_ms, struct hub_news *news)
{
	memset(news, 0, sizeof *news);
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	int rc;
	pthread_mutex_lock(&lock);
	for (;;) {
		if (take(s, news)) {
			rc = 1;
			break;
		}
		if (closing) {
			rc = -1;
			break;
		}
		if (timeout_ms <= 0 || pthread_cond_timedwait(&s->cv, &lock, &ts) != 0) {
			rc = take(s, news) ? 1 : closing ? -1 : 0;
			break;
		}
	}
	pthread_mutex_unlock(&lock);
	return rc;
}

void hub_news_free(struct hub_news *news)
{
	drop_lines(news->lines, news->nlines);
	memset(news, 0, sizeof *news);
}

void hub_publish_line(const char *job_id, int64_t n, const char *line)
{
	pthread_mutex_lock(&lock);
	struct room *r = find_room(job_id);
	for (struct hub_sub *s = r ? r->subs : NULL; s; s = s->next) {
		if (s->overflow) {
			/* it reads the store anyway */
		} else if (s->nlines == HUB_MAX_PENDING) {
			drop_lines(s->lines, s->nlines);
			s->lines = NULL;
			s->nlines = s->cap = 0;
			s->overflow = true;
		} else {
			if (s->nlines == s->cap) {
				s->cap = s->cap ? 2 * s->cap : 16;
				s->lines = xrealloc(s->lines, s->cap * sizeof *s->lines);
			}
			s->lines[s->nlines].n = n;
			s->lines[s->nlines++].line = xstrdup(line);
		}
		pthread_cond_signal(&s->cv);
		wake_armed(s);
	}
	pthread_mutex_unlock(&lock);
}

void hub_publish_status(const char *job_id)
{
	pthread_mutex_lock(&lock);
	struct room *r = find_room(job_id);
	for (struct hub_sub *s = r ? r->subs : NULL; s; s = s->next) {
		s->status = true;
		pthread_cond_signal(&s->cv);
		wake_armed(s);
	}
	pthread_mutex_unlock(&lock);
}

void hub_shutdown(void)
{
	pthread_mutex_lock(&lock);
	closing = true;
	for (int b = 0; b < NBUCKETS; b++)
		for (struct room *r = buckets[b]; r; r = r->next)
			for (struct hub_sub *s = r->subs; s; s = s->next) {
				pthread_cond_signal(&s->cv);
				wake_armed(s);
			}
	pthread_mutex_unlock(&lock);
}

int hub_poll(struct hub_sub *s, struct hub_news *news, int idle_ms, void (*arm)(void *cls),
	     void (*wake)(void *cls), void *cls)
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

void hub_tick(void)
{
	int64_t now = mono_ms();
	pthread_mutex_lock(&lock);
	for (int b = 0; b < NBUCKETS; b++)
		for (struct room *r = buckets[b]; r; r = r->next)
			for (struct hub_sub *s = r->subs; s; s = s->next)
				if (s->wake && now >= s->deadline) {
					s->timed_out = true;
					wake_armed(s);
				}
	pthread_mutex_unlock(&lock);
}

void hub_open(void)
{
	pthread_mutex_lock(&lock);
	closing = false;
	pthread_mutex_unlock(&lock);
}

size_t hub_subscribers(const char *job_id)
{
	size_t n = 0;
	pthread_mutex_lock(&lock);
	struct room *r = find_room(job_id);
	for (struct hub_sub *s = r ? r->subs : NULL; s; s = s->next)
		n++;
	pthread_mutex_unlock(&lock);
	return n;
}
