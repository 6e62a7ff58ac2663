#include "lib/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static enum log_level min_level = LOG_INFO;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static const char *names[] = {"debug", "info", "warn", "error"};

void log_set_level(enum log_level l)
{
	min_level = l;
}

bool log_enabled(enum log_level l)
{
	return l >= min_level;
}

void log_timestamp(char out[40])
{
	/* the formatted second is kept per thread: strftime once a second, not per line */
	static __thread time_t last_sec = -1;
	static __thread char last[32];
	static __thread size_t last_n;
	struct timeval tv;
	gettimeofday(&tv, NULL);
	if (tv.tv_sec != last_sec) {
		struct tm tm;
		time_t t = tv.tv_sec;
		gmtime_r(&t, &tm);
		last_n = strftime(last, sizeof last, "%Y-%m-%dT%H:%M:%S", &tm);
		last_sec = tv.tv_sec;
	}
	memcpy(out, last, last_n);
	snprintf(out + last_n, 40 - last_n, ".%03dZ", (int)(tv.tv_usec / 1000));
}

void log_write_line(const char *line, size_t n)
{
	pthread_mutex_lock(&log_lock);
	fwrite(line, 1, n, stderr);
	fflush(stderr);
	pthread_mutex_unlock(&log_lock);
}

void log_event(enum log_level l, const char *msg, json_t *fields)
{
	if (l < min_level) {
		json_decref(fields);
		return;
	}
	char ts[40];
	log_timestamp(ts);
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
