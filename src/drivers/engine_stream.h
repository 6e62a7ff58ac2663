/* engine_stream.h: Engine requests whose bodies are streamed both ways, for backups and
 * restores: a command run in a container with its stdin and output attached (the hijacked
 * exec stream), a container path read as a tar stream, and a tar stream written into a
 * container (chunked PUT). One stream (unix socket or SSH channel) per call. */
#ifndef BERTH_ENGINE_STREAM_H
#define BERTH_ENGINE_STREAM_H
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "drivers/engine.h"

struct estream;

/* Runs argv in a running container (env: "NAME=value" list, NULL-terminated, may be NULL;
 * user may be NULL), stdin attached when with_stdin. NULL with err. */
struct estream *engine_exec_open(struct engine *e, const char *container,
				 const char *const *argv, const char *const *envv,
				 const char *user, bool with_stdin, struct berr *err);
/* Writes to the command's stdin. Output the command makes meanwhile is read and kept for
 * estream_read (up to 64 MiB; more fails), so one thread can write all the input and then
 * read the output. A stream is used by one thread at a time. 0 or -1. */
int estream_write(struct estream *s, const void *buf, size_t n, struct berr *err);
/* Ends the command's stdin (the command reads EOF). 0 or -1. */
int estream_close_write(struct estream *s, struct berr *err);
/* The command's next output: >0 bytes (*fd 1 stdout, 2 stderr; fd may be NULL), 0 at the
 * end, -1 on error or timeout (engine_set_io_timeout). For an archive GET, *fd is 1. */
ssize_t estream_read(struct estream *s, void *buf, size_t n, int *fd, struct berr *err);
/* Reads what output is left (stderr's last 4 KiB into tail, may be NULL), then the exec's
 * exit code; frees s. 0 or -1. */
int engine_exec_close(struct estream *s, int *exit_code, struct sbuf *tail, struct berr *err);

/* GET /containers/{container}/archive?path=path: the tar, read with estream_read. *status:
 * the Engine's answer (404: no such path; NULL is returned then, with NOT_FOUND). */
struct estream *engine_archive_get_open(struct engine *e, const char *container,
					const char *path, int *status, struct berr *err);
/* PUT /containers/{container}/archive?path=dir: the tar is written with estream_write, then
 * engine_archive_put_finish sends the end and reads the answer (frees s). */
struct estream *engine_archive_put_open(struct engine *e, const char *container,
					const char *dir, struct berr *err);
int engine_archive_put_finish(struct estream *s, struct berr *err);

/* Frees a stream wherever it is (closes the connection). */
void estream_free(struct estream *s);
#endif
