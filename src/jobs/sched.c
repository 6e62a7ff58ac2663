#include "jobs/sched.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/log.h"
#include "lib/util.h"
#include "store/db.h"

struct task {
	int id; /* 0: a free slot */
	char name[48];
	int interval_ms;
	sched_fn fn;
	void *cls;
	int64_t due_ms; /* on the monotonic clock */
	bool kicked;    /* while it ran: run again at once */
	long runs;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv; /* CLOCK_MONOTONIC: the thread's timer and every change */
static pthread_once_t cv_once = PTHREAD_ONCE_INIT;
static struct task tasks[SCHED_MAX_TASKS];
static int next_id = 1;
static int running_id; /* the task whose callback runs now, 0 none */
static bool started, stopping;
static pthread_t thread;

static void cv_init(void)
{
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&cv, &ca);
	pthread_condattr_destroy(&ca);
}

static struct task *find(int id)
{
	for (int i = 0; i < SCHED_MAX_TASKS; i++)
		if (id > 0 && tasks[i].id == id)
			return &tasks[i];
	return NULL;
}

int sched_every(const char *name, int interval_ms, sched_fn fn, void *cls)
{
	if (interval_ms < 1 || !fn)
		return -1;
	pthread_once(&cv_once, cv_init);
	pthread_mutex_lock(&lock);
	struct task *t = NULL;
	for (int i = 0; i < SCHED_MAX_TASKS && !t; i++)
		if (tasks[i].id && strcmp(tasks[i].name, name) == 0)
			t = &tasks[i];
	/* replacing a running task: let that run end (unless it replaces itself) */
	while (t && running_id == t->id && !(started && pthread_equal(pthread_self(), thread)))
		pthread_cond_wait(&cv, &lock);
	for (int i = 0; i < SCHED_MAX_TASKS && !t; i++)
		if (!tasks[i].id)
			t = &tasks[i];
	int id = -1;
	if (t) {
		id = next_id++;
		memset(t, 0, sizeof *t);
		t->id = id;
		snprintf(t->name, sizeof t->name, "%s", name);
		t->interval_ms = interval_ms;
		t->fn = fn;
		t->cls = cls;
		t->due_ms = now_ms() + interval_ms;
		pthread_cond_broadcast(&cv);
	}
	pthread_mutex_unlock(&lock);
	return id;
}

void sched_cancel(int id)
{
	pthread_once(&cv_once, cv_init);
	pthread_mutex_lock(&lock);
	while (id > 0 && running_id == id && !(started && pthread_equal(pthread_self(), thread)))
		pthread_cond_wait(&cv, &lock);
	struct task *t = find(id);
	if (t)
		memset(t, 0, sizeof *t);
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&lock);
}

int sched_kick(int id)
{
	pthread_mutex_lock(&lock);
	struct task *t = find(id);
	if (t) {
		t->due_ms = now_ms();
		t->kicked = true;
		pthread_cond_broadcast(&cv);
	}
	pthread_mutex_unlock(&lock);
	return t ? 0 : -1;
}

long sched_runs(int id)
{
	pthread_mutex_lock(&lock);
	struct task *t = find(id);
	long n = t ? t->runs : -1;
	pthread_mutex_unlock(&lock);
	return n;
}

bool sched_stopping(void)
{
	pthread_mutex_lock(&lock);
	bool s = stopping;
	pthread_mutex_unlock(&lock);
	return s;
}

static void *sched_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock);
	while (!stopping) {
		/* the earliest due task */
		struct task *next = NULL;
		for (int i = 0; i < SCHED_MAX_TASKS; i++)
			if (tasks[i].id && (!next || tasks[i].due_ms < next->due_ms))
				next = &tasks[i];
		int64_t now = now_ms();
		if (!next || next->due_ms > now) {
			/* sleep until it is due (or a minute), or until something changes */
			int64_t wait = next ? next->due_ms - now : 60000;
			struct timespec ts;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			ts.tv_sec += (time_t)(wait / 1000);
			ts.tv_nsec += (long)(wait % 1000) * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&cv, &lock, &ts);
			continue;
		}
		int id = next->id;
		sched_fn fn = next->fn;
		void *cls = next->cls;
		char name[sizeof next->name];
		snprintf(name, sizeof name, "%s", next->name);
		running_id = id;
		next->kicked = false;
		pthread_mutex_unlock(&lock);
		int64_t t0 = now_ms();
		fn(cls);
		db_release_thread();
		int64_t took = now_ms() - t0;
		pthread_mutex_lock(&lock);
		running_id = 0;
		struct task *t = find(id); /* the callback may have cancelled it */
		if (t) {
			t->runs++;
			t->due_ms = t->kicked ? now_ms() : now_ms() + t->interval_ms;
		}
		pthread_cond_broadcast(&cv);
		if (t && took > 60000) {
			pthread_mutex_unlock(&lock);
			log_event(LOG_WARN, "a scheduled task ran long",
				  json_pack("{s:s,s:I}", "task", name, "ms", (json_int_t)took));
			pthread_mutex_lock(&lock);
		}
	}
	pthread_mutex_unlock(&lock);
	db_close_thread();
	return NULL;
}

int sched_start(void)
{
	pthread_once(&cv_once, cv_init);
	pthread_mutex_lock(&lock);
	if (started) {
		pthread_mutex_unlock(&lock);
		return 0;
	}
	stopping = false;
	/* tasks registered before the start count their first interval from now (unless kicked) */
	int64_t now = now_ms();
	for (int i = 0; i < SCHED_MAX_TASKS; i++)
		if (tasks[i].id && !tasks[i].runs && !tasks[i].kicked)
			tasks[i].due_ms = now + tasks[i].interval_ms;
	int rc = pthread_create(&thread, NULL, sched_main, NULL) == 0 ? 0 : -1;
	started = rc == 0;
	pthread_mutex_unlock(&lock);
	return rc;
}

void sched_stop(void)
{
	pthread_once(&cv_once, cv_init);
	pthread_mutex_lock(&lock);
	if (!started) {
		pthread_mutex_unlock(&lock);
		return;
	}
	stopping = true;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&lock);
	pthread_join(thread, NULL);
	pthread_mutex_lock(&lock);
	started = false;
	pthread_mutex_unlock(&lock);
}
