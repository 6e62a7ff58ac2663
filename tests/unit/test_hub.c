/* The per-job event hub (jobs/hub.c): a line wakes only its job's subscribers and hands them
 * the line; a status change wakes them; a subscriber that falls behind is told to read the
 * store; shutting down wakes everyone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <cmocka.h>

#include "jobs/hub.h"

static void test_lines_go_to_their_job_only(void **state)
{
	(void)state;
	struct hub_sub *a1 = hub_subscribe("job-a");
	struct hub_sub *a2 = hub_subscribe("job-a");
	struct hub_sub *b = hub_subscribe("job-b");
	assert_int_equal(hub_subscribers("job-a"), 2);
	assert_int_equal(hub_subscribers("job-b"), 1);
	assert_int_equal(hub_subscribers("job-c"), 0);

	hub_publish_line("job-a", 1, "==> Odoo");
	hub_publish_line("job-a", 2, "started");
	hub_publish_line("job-c", 1, "nobody listens");

	struct hub_news n;
	assert_int_equal(hub_wait(b, 0, &n), 0); /* job-b heard nothing */
	assert_int_equal(n.nlines, 0);
	for (int k = 0; k < 2; k++) {
		assert_int_equal(hub_wait(k ? a2 : a1, 0, &n), 1);
		assert_int_equal(n.nlines, 2);
		assert_int_equal(n.lines[0].n, 1);
		assert_string_equal(n.lines[0].line, "==> Odoo");
		assert_int_equal(n.lines[1].n, 2);
		assert_string_equal(n.lines[1].line, "started");
		assert_false(n.status);
		assert_false(n.overflow);
		hub_news_free(&n);
		assert_null(n.lines);
	}
	assert_int_equal(hub_wait(a1, 0, &n), 0); /* taken once */

	/* a status change after a line: both in one news, the line first */
	hub_publish_line("job-b", 7, "done in 1.0s");
	hub_publish_status("job-b");
	assert_int_equal(hub_wait(b, 0, &n), 1);
	assert_int_equal(n.nlines, 1);
	assert_int_equal(n.lines[0].n, 7);
	assert_true(n.status);
	hub_news_free(&n);
	assert_int_equal(hub_wait(a1, 0, &n), 0);
	assert_int_equal(hub_wait(a2, 0, &n), 0);

	hub_unsubscribe(a1);
	assert_int_equal(hub_subscribers("job-a"), 1);
	hub_unsubscribe(a2);
	hub_unsubscribe(b);
	assert_int_equal(hub_subscribers("job-a"), 0);
	assert_int_equal(hub_subscribers("job-b"), 0);
	hub_publish_line("job-a", 3, "after everyone left");
	hub_publish_status("job-a");
	hub_unsubscribe(NULL);
}

static void test_a_slow_subscriber_reads_the_store(void **state)
{
	(void)state;
	struct hub_sub *s = hub_subscribe("job-slow");
	char line[32];
	for (int i = 1; i <= HUB_MAX_PENDING + 5; i++) {
		snprintf(line, sizeof line, "line %d", i);
		hub_publish_line("job-slow", i, line);
	}
	struct hub_news n;
	assert_int_equal(hub_wait(s, 0, &n), 1);
	assert_true(n.overflow);
	assert_int_equal(n.nlines, 0);
	hub_news_free(&n);
	/* caught up: lines are handed over again */
	hub_publish_line("job-slow", HUB_MAX_PENDING + 6, "next");
	assert_int_equal(hub_wait(s, 0, &n), 1);
	assert_false(n.overflow);
	assert_int_equal(n.nlines, 1);
	assert_int_equal(n.lines[0].n, HUB_MAX_PENDING + 6);
	hub_news_free(&n);
	hub_unsubscribe(s);
}

struct waiter {
	struct hub_sub *sub;
	int rc;
	struct hub_news news;
};

static void *wait_main(void *arg)
{
	struct waiter *w = arg;
	w->rc = hub_wait(w->sub, 600000, &w->news);
	return NULL;
}

static void test_a_line_wakes_a_waiting_stream(void **state)
{
	(void)state;
	struct waiter w = {.sub = hub_subscribe("job-w")};
	struct hub_sub *other = hub_subscribe("job-x");
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, wait_main, &w), 0);
	hub_publish_line("job-w", 1, "hello");
	pthread_join(t, NULL); /* woken by the line (the timeout is ten minutes) */
	assert_int_equal(w.rc, 1);
	assert_true(w.news.nlines >= 1);
	assert_string_equal(w.news.lines[0].line, "hello");
	hub_news_free(&w.news);
	struct hub_news n;
	assert_int_equal(hub_wait(other, 0, &n), 0);

	/* shutting down wakes waiters and refuses new waits until reopened */
	assert_int_equal(pthread_create(&t, NULL, wait_main, &w), 0);
	hub_shutdown();
	pthread_join(t, NULL);
	assert_int_equal(w.rc, -1);
	assert_int_equal(hub_wait(other, 600000, &n), -1);
	hub_open();
	assert_int_equal(hub_wait(other, 0, &n), 0);
	hub_unsubscribe(w.sub);
	hub_unsubscribe(other);
}

static int arms, wakes;
static void on_arm(void *cls)
{
	(void)cls;
	arms++;
}
static void on_wake(void *cls)
{
	(void)cls;
	wakes++;
}

/* The event-loop form: arm when there is nothing, wake once at news, at the deadline (from
 * the timer's tick) or at shutdown; never after unsubscribing. */
static void test_poll_arms_and_wakes_once(void **state)
{
	(void)state;
	arms = wakes = 0;
	struct hub_sub *s = hub_subscribe("job-p");
	struct hub_news n;
	assert_int_equal(hub_poll(s, &n, 600000, on_arm, on_wake, NULL), 2);
	assert_int_equal(arms, 1);
	assert_int_equal(wakes, 0);
	hub_tick(); /* the deadline is far away */
	assert_int_equal(wakes, 0);
	hub_publish_line("job-p", 1, "one");
	hub_publish_line("job-p", 2, "two");
	assert_int_equal(wakes, 1); /* once */
	assert_int_equal(hub_poll(s, &n, 600000, on_arm, on_wake, NULL), 1);
	assert_int_equal(n.nlines, 2);
	hub_news_free(&n);

	/* the deadline: the tick wakes it, the next poll says 0 (a heartbeat), then arms again */
	assert_int_equal(hub_poll(s, &n, 0, on_arm, on_wake, NULL), 2);
	hub_tick();
	assert_int_equal(wakes, 2);
	assert_int_equal(hub_poll(s, &n, 600000, on_arm, on_wake, NULL), 0);
	assert_int_equal(hub_poll(s, &n, 600000, on_arm, on_wake, NULL), 2);
	assert_int_equal(arms, 3);

	/* shutdown wakes the armed, and polls answer -1 until reopened */
	hub_shutdown();
	assert_int_equal(wakes, 3);
	assert_int_equal(hub_poll(s, &n, 600000, on_arm, on_wake, NULL), -1);
	hub_open();
	assert_int_equal(hub_poll(s, &n, 600000, on_arm, on_wake, NULL), 2);
	hub_unsubscribe(s);
	hub_publish_status("job-p");
	hub_tick();
	assert_int_equal(wakes, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines_go_to_their_job_only),
		cmocka_unit_test(test_a_slow_subscriber_reads_the_store),
		cmocka_unit_test(test_a_line_wakes_a_waiting_stream),
		cmocka_unit_test(test_poll_arms_and_wakes_once),
	};
	return cmocka_run_group_tests_name("hub", tests, NULL, NULL);
}
