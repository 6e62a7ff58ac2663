#include "lib/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

static enum log_level min_level = LOG_INFO;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static const char *names[] = {"debug", "info", "warn", "error"};

void log_set_level(enum log_level l)
{
	min_level = l;
}

void log_event(enum log_level l, const char *msg, json_t *fields)
{
	if (l < min_level) {
		json_decref(fields);
		return;
	}
	struct timeval tv;
	gettimeofday(&tv, NULL);
	struct tm tm;
	time_t t = tv.tv_sec;
	gmtime_r(&t, &tm);
	char ts[40];
	size_t n = strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ts + n, sizeof ts - n, ".%03dZ", (int)(tv.tv_usec / 1000));
	json_t *o = json_object();
	json_object_set_new(o, "ts", json_string(ts));
	json_object_set_new(o, "level", json_string(names[l]));
	json_object_set_new(o, "msg", json_string(msg));
	if (fields)
		json_object_update(o, fields);
	json_decref(fields);
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	pthread_mutex_lock(&log_lock);
	fprintf(stderr, "%s\n", s ? s : msg);
	fflush(stderr);
	pthread_mutex_unlock(&log_lock);
	free(s);
}

void log_msg(enum log_level l, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	log_event(l, buf, NULL);
}
