/* The scheduler (jobs/sched.c): one timer thread runs registered tasks when due, one at a
 * time; a kick runs a task at once; cancel and stop wait for a running task; a name
 * registered again replaces the task. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <cmocka.h>

#include "jobs/sched.h"
#include "lib/log.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;

struct counter {
	int runs;
	int inside;    /* callbacks running now */
	int overlap;   /* times two ran at once */
	pthread_t who; /* the thread that ran it */
	int self_cancel_id;
};

static void count(void *cls)
{
	struct counter *c = cls;
	pthread_mutex_lock(&mu);
	if (c->inside++)
		c->overlap++;
	pthread_mutex_unlock(&mu);
	pthread_mutex_lock(&mu);
	c->runs++;
	c->who = pthread_self();
	c->inside--;
	pthread_cond_broadcast(&changed);
	pthread_mutex_unlock(&mu);
	if (c->self_cancel_id)
		sched_cancel(c->self_cancel_id);
}

/* Waits (ten minutes at most: a hang, not a slow machine) until c has run `n` times. */
static int wait_runs(struct counter *c, int n)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 600;
	pthread_mutex_lock(&mu);
	while (c->runs < n)
		if (pthread_cond_timedwait(&changed, &mu, &ts) != 0)
			break;
	int r = c->runs;
	pthread_mutex_unlock(&mu);
	return r;
}

static int runs_of(struct counter *c)
{
	pthread_mutex_lock(&mu);
	int r = c->runs;
	pthread_mutex_unlock(&mu);
	return r;
}

static void test_tasks_run_when_due_on_one_thread(void **state)
{
	(void)state;
	struct counter a = {0}, b = {0};
	int ia = sched_every("unit a", 1, count, &a);
	int ib = sched_every("unit b", 1, count, &b);
	assert_true(ia > 0 && ib > 0 && ia != ib);
	assert_int_equal(sched_runs(ia), 0);
	assert_int_equal(sched_start(), 0);
	assert_int_equal(sched_start(), 0); /* once */
	assert_true(wait_runs(&a, 5) >= 5);
	assert_true(wait_runs(&b, 5) >= 5);
	sched_stop();
	assert_true(pthread_equal(a.who, b.who)); /* one timer thread */
	assert_false(pthread_equal(a.who, pthread_self()));
	assert_int_equal(a.overlap + b.overlap, 0);
	/* stopped: nothing runs, the registrations stay */
	int ra = runs_of(&a);
	assert_true(sched_runs(ia) >= 5);
	assert_int_equal(sched_kick(ia), 0);
	assert_int_equal(runs_of(&a), ra);
	sched_cancel(ia);
	sched_cancel(ib);
	assert_int_equal(sched_runs(ia), -1);
	assert_int_equal(sched_kick(ia), -1);
	sched_stop(); /* twice is fine */
}

static void test_kick_runs_a_task_at_once(void **state)
{
	(void)state;
	struct counter c = {0};
	int id = sched_every("unit hourly", 3600 * 1000, count, &c);
	assert_true(id > 0);
	assert_int_equal(sched_start(), 0);
	assert_int_equal(runs_of(&c), 0); /* not due for an hour */
	assert_int_equal(sched_kick(id), 0);
	assert_int_equal(wait_runs(&c, 1), 1);
	assert_int_equal(sched_kick(id), 0);
	assert_int_equal(wait_runs(&c, 2), 2);
	sched_cancel(id);
	sched_stop();

	/* a kick before the start is kept */
	struct counter k = {0};
	int kid = sched_every("unit kicked early", 3600 * 1000, count, &k);
	assert_int_equal(sched_kick(kid), 0);
	assert_int_equal(sched_start(), 0);
	assert_int_equal(wait_runs(&k, 1), 1);
	sched_cancel(kid);
	sched_stop();
}

static void test_replace_cancel_and_limits(void **state)
{
	(void)state;
	struct counter c = {0}, d = {0};
	assert_int_equal(sched_every("unit bad", 0, count, &c), -1);
	assert_int_equal(sched_every("unit bad", 10, NULL, &c), -1);
	int old = sched_every("unit same", 3600 * 1000, count, &c);
	int id = sched_every("unit same", 3600 * 1000, count, &d); /* replaces */
	assert_true(old > 0 && id > 0 && id != old);
	assert_int_equal(sched_runs(old), -1);
	assert_int_equal(sched_runs(id), 0);
	assert_int_equal(sched_start(), 0);
	assert_int_equal(sched_kick(id), 0);
	assert_int_equal(wait_runs(&d, 1), 1);
	assert_int_equal(runs_of(&c), 0);
	sched_cancel(id);

	/* a task may cancel itself from its callback */
	struct counter e = {0};
	e.self_cancel_id = sched_every("unit once", 1, count, &e);
	assert_true(e.self_cancel_id > 0);
	assert_int_equal(wait_runs(&e, 1), 1);
	struct counter f = {0};
	int fid = sched_every("unit after", 1, count, &f);
	assert_true(wait_runs(&f, 3) >= 3); /* the timer goes on */
	assert_int_equal(runs_of(&e), 1);
	assert_int_equal(sched_runs(e.self_cancel_id), -1);
	sched_cancel(fid);
	sched_stop();

	/* the table is bounded */
	int ids[SCHED_MAX_TASKS];
	char name[32];
	for (int i = 0; i < SCHED_MAX_TASKS; i++) {
		snprintf(name, sizeof name, "unit full %d", i);
		ids[i] = sched_every(name, 3600 * 1000, count, &c);
		assert_true(ids[i] > 0);
	}
	assert_int_equal(sched_every("unit one too many", 1000, count, &c), -1);
	for (int i = 0; i < SCHED_MAX_TASKS; i++)
		sched_cancel(ids[i]);
	int again = sched_every("unit room again", 1000, count, &c);
	assert_true(again > 0);
	sched_cancel(again);
}

int main(void)
{
	log_set_level(LOG_ERROR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tasks_run_when_due_on_one_thread),
		cmocka_unit_test(test_kick_runs_a_task_at_once),
		cmocka_unit_test(test_replace_cancel_and_limits),
	};
	return cmocka_run_group_tests_name("sched", tests, NULL, NULL);
}
