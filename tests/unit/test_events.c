/* The organization event bus (jobs/events.c): events go to their organization's subscribers
 * in seq order, a resume after a kept id replays the rest, an id the ring lost (or of another
 * run) gives a reset, a poll arms once and is woken by an event, the deadline or shutdown. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "jobs/events.h"

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

static void test_events_go_to_their_org(void **state)
{
	(void)state;
	struct events_sub *a = events_subscribe("org-a", -1);
	struct events_sub *b = events_subscribe("org-b", -1);
	assert_int_equal(events_subscribers("org-a"), 1);
	events_publish("org-a", "p1", "job.queued", json_pack("{s:s}", "id", "j1"));
	events_publish("org-a", NULL, "server.status", NULL);
	struct events_news n;
	assert_int_equal(events_poll(b, &n, 1000, on_arm, on_wake, NULL), 2); /* nothing: armed */
	assert_int_equal(events_poll(a, &n, 1000, NULL, NULL, NULL), 1);
	assert_false(n.reset);
	assert_int_equal(n.n, 2);
	assert_string_equal(n.items[0].type, "job.queued");
	assert_string_equal(n.items[0].project_id, "p1");
	assert_string_equal(n.items[0].data, "{\"id\":\"j1\"}");
	assert_null(n.items[1].project_id);
	assert_string_equal(n.items[1].data, "{}");
	assert_true(n.items[1].seq == n.items[0].seq + 1);
	int64_t first = n.items[0].seq;
	events_news_free(&n);
	events_unsubscribe(b);

	/* a resume after the first event replays the second one only */
	struct events_sub *c = events_subscribe("org-a", first);
	assert_int_equal(events_poll(c, &n, 1000, NULL, NULL, NULL), 1);
	assert_false(n.reset);
	assert_int_equal(n.n, 1);
	assert_true(n.items[0].seq == first + 1);
	events_news_free(&n);
	events_unsubscribe(c);
	/* ids of no run of ours, or from the future: a reset, nothing else */
	int64_t bad[] = {0, 1, events_last_seq() + 1};
	for (size_t i = 0; i < 3; i++) {
		c = events_subscribe("org-a", bad[i]);
		assert_int_equal(events_poll(c, &n, 1000, NULL, NULL, NULL), 1);
		assert_true(n.reset);
		assert_int_equal(n.n, 0);
		events_news_free(&n);
		events_unsubscribe(c);
	}
	events_unsubscribe(a);
}

static void test_a_lost_id_is_a_reset(void **state)
{
	(void)state;
	events_publish("org-r", NULL, "x", NULL);
	int64_t old = events_last_seq();
	struct events_sub *slow = events_subscribe("org-r", -1);
	for (int i = 0; i < EVENTS_RING + 5; i++)
		events_publish("org-r", NULL, "x", json_pack("{s:i}", "i", i));
	struct events_news n;
	/* fell behind the ring: a reset, then what comes after */
	assert_int_equal(events_poll(slow, &n, 1000, NULL, NULL, NULL), 1);
	assert_true(n.reset);
	assert_int_equal(n.n, 0);
	assert_true(n.reset_id == events_last_seq());
	events_news_free(&n);
	events_publish("org-r", NULL, "y", NULL);
	assert_int_equal(events_poll(slow, &n, 1000, NULL, NULL, NULL), 1);
	assert_false(n.reset);
	assert_int_equal(n.n, 1);
	events_news_free(&n);
	events_unsubscribe(slow);
	struct events_sub *s = events_subscribe("org-r", old);
	assert_int_equal(events_poll(s, &n, 1000, NULL, NULL, NULL), 1);
	assert_true(n.reset);
	events_news_free(&n);
	events_unsubscribe(s);
	/* the oldest id kept still resumes with the whole ring after it */
	s = events_subscribe("org-r", events_last_seq() - EVENTS_RING + 1);
	assert_int_equal(events_poll(s, &n, 1000, NULL, NULL, NULL), 1);
	assert_false(n.reset);
	assert_int_equal(n.n, EVENTS_RING - 1);
	events_news_free(&n);
	events_unsubscribe(s);
}

static void test_poll_arms_and_wakes_once(void **state)
{
	(void)state;
	arms = wakes = 0;
	struct events_sub *s = events_subscribe("org-p", -1);
	struct events_news n;
	assert_int_equal(events_poll(s, &n, 600000, on_arm, on_wake, NULL), 2);
	assert_int_equal(arms, 1);
	events_publish("org-p", NULL, "x", NULL);
	events_publish("org-p", NULL, "x", NULL);
	assert_int_equal(wakes, 1);
	assert_int_equal(events_poll(s, &n, 600000, on_arm, on_wake, NULL), 1);
	assert_int_equal(n.n, 2);
	events_news_free(&n);
	/* the deadline: woken by the tick, then a heartbeat (0) */
	assert_int_equal(events_poll(s, &n, 0, on_arm, on_wake, NULL), 2);
	events_tick();
	assert_int_equal(wakes, 2);
	assert_int_equal(events_poll(s, &n, 600000, on_arm, on_wake, NULL), 0);
	/* shutdown wakes and ends */
	assert_int_equal(events_poll(s, &n, 600000, on_arm, on_wake, NULL), 2);
	events_shutdown();
	assert_int_equal(wakes, 3);
	assert_int_equal(events_poll(s, &n, 600000, on_arm, on_wake, NULL), -1);
	events_open();
	assert_int_equal(events_poll(s, &n, 600000, on_arm, on_wake, NULL), 2);
	events_unsubscribe(s);
	events_publish("org-p", NULL, "x", NULL);
	events_tick();
	assert_int_equal(wakes, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_events_go_to_their_org),
		cmocka_unit_test(test_a_lost_id_is_a_reset),
		cmocka_unit_test(test_poll_arms_and_wakes_once),
	};
	return cmocka_run_group_tests_name("events", tests, NULL, NULL);
}
