/* sched.h: the scheduler, one timer thread for berthd's periodic work. A task registers with
 * a name, an interval and a callback; the thread runs each task when it is due, one task at a
 * time, and then schedules it again `interval` after that run ended (a slow run is not
 * followed by a burst of catch-up runs). The repository poller runs here; backups,
 * monitoring samples, certificate renewal and retention are meant to register as well.
 *
 * A callback runs on the scheduler's thread: it must not block for long (work that takes
 * time is enqueued as a job), and it may check sched_stopping() to end early. After each run
 * the thread hands its store connection back. */
#ifndef BERTH_SCHED_H
#define BERTH_SCHED_H
#include <stdbool.h>

#define SCHED_MAX_TASKS 32

typedef void (*sched_fn)(void *cls);

/* Registers a task, first run interval_ms after now (or after sched_start when registered
 * before it). Returns its id (> 0), or -1 when the table is full or interval_ms < 1. A name
 * already registered is replaced. Callable from any thread, before or after sched_start. */
int sched_every(const char *name, int interval_ms, sched_fn fn, void *cls);
/* Removes a task; when it is running, waits for that run to end (not from its own callback). */
void sched_cancel(int id);
/* Runs a task at once (or as soon as the running one ends). 0, or -1 for an unknown id. */
int sched_kick(int id);

/* Starts / stops the timer thread. sched_stop waits for the running task and keeps the
 * registrations; 0 or -1. */
int sched_start(void);
void sched_stop(void);
bool sched_stopping(void);

/* How many runs a task has completed (for tests and diagnostics); -1 for an unknown id. */
long sched_runs(int id);
#endif
