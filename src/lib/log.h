/* log.h: one structured (JSON) line per event on stderr. Never pass secrets. */
#ifndef BERTH_LOG_H
#define BERTH_LOG_H
#include <jansson.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };
void log_set_level(enum log_level l);
/* Logs msg with the fields of `fields` (consumed, may be NULL). */
void log_event(enum log_level l, const char *msg, json_t *fields);
void log_msg(enum log_level l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#endif
