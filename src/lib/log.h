/* log.h: one structured (JSON) line per event on stderr. Never pass secrets. */
#ifndef BERTH_LOG_H
#define BERTH_LOG_H
#include <jansson.h>
#include <stdbool.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };
void log_set_level(enum log_level l);
/* Logs msg with the fields of `fields` (consumed, may be NULL). */
void log_event(enum log_level l, const char *msg, json_t *fields);
void log_msg(enum log_level l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* For a caller that formats its own line (the per-request line): whether level l is logged,
 * the timestamp as log_event writes it ("2026-01-02T03:04:05.678Z"), and one whole line
 * written at once (line ends with its newline). */
bool log_enabled(enum log_level l);
void log_timestamp(char out[40]);
void log_write_line(const char *line, size_t n);
#endif
