/* engine_logs.h: a container's log as a stream of timestamped lines (GET /containers/{}/logs
 * with timestamps, optionally followed), and the archive API of a container read and written
 * as streams of files (GET/PUT /containers/{}/archive), for the logs berth keeps per
 * environment (ops/logs.c). */
#ifndef BERTH_ENGINE_LOGS_H
#define BERTH_ENGINE_LOGS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "drivers/engine.h"

/* One log line: ns is its time (Unix nanoseconds, from the Engine's RFC 3339 timestamp);
 * text (not NUL-terminated, no newline) is what the container wrote. */
typedef void (*elog_line_fn)(void *cls, int64_t ns, const char *text, size_t len);

/* Lines of a container's log (stdout and stderr) with since_ns <= time (0: from the start),
 * time <= until_ns (0: no end); follow keeps reading as lines are written (until the
 * container stops or a read times out: engine_set_io_timeout). *status is the Engine's
 * answer (404: no such container). 0, or -1 when the Engine did not answer. */
int engine_logs_read(struct engine *e, const char *container, int64_t since_ns, int64_t until_ns,
		     bool follow, elog_line_fn fn, void *cls, int *status, struct berr *err);

/* RFC 3339 (2024-01-01T12:00:00.123456789Z, any fraction, Z or +hh:mm) to Unix ns; -1 when
 * it is not one. */
int64_t engine_ts_parse(const char *s, size_t len);
/* Unix ns as RFC 3339 UTC with nine fraction digits (out: 31 bytes at least). */
void engine_ts_format(int64_t ns, char out[40]);

/* The regular files of a tar the Engine sends for path inside the container: on_data gets
 * each file's content in pieces (name as in the tar), then once with n == 0 and end set.
 * *status 404: no such path. */
typedef void (*etar_data_fn)(void *cls, const char *name, const char *data, size_t n, bool end);
int engine_archive_read(struct engine *e, const char *container, const char *path,
			etar_data_fn on_data, void *cls, int *status, struct berr *err);
/* Extracts a tar (bytes tar[0..len)) under dir inside the container. */
int engine_archive_write(struct engine *e, const char *container, const char *dir,
			 const void *tar, size_t len, struct berr *err);
/* A ustar header for a regular file ('0') or a directory ('5'). */
void engine_tar_header(char hdr[512], const char *name, uint64_t size, unsigned mode, char type);
#endif
