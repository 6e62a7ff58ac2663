/* engine_int.h: engine.c's byte streams, for the other engine_*.c files of drivers/ only
 * (engine_stream.c): a stream to the Docker Engine (unix socket or SSH channel), the API
 * version prefix. Not for use outside src/drivers/engine*.c. */
#ifndef BERTH_ENGINE_INT_H
#define BERTH_ENGINE_INT_H
#include <stddef.h>
#include <sys/types.h>
#include <libssh/libssh.h>
#include "drivers/engine.h"

/* A byte stream: a socket fd or an SSH channel. */
struct estream_io {
	int fd;
	ssh_channel ch;
	int timeout_ms;
};

/* Opens a stream to the Engine's socket (io->timeout_ms: the engine's io timeout). */
int engine_io_open(struct engine *e, struct estream_io *io, struct berr *err);
/* All of buf, or -1. */
int engine_io_write(struct estream_io *io, const void *buf, size_t len);
/* >0 bytes, 0 end of stream, -1 error or timeout. */
ssize_t engine_io_read(struct estream_io *io, void *buf, size_t len);
/* Ends the writing half (the peer reads EOF; the answer can still be read). 0 or -1. */
int engine_io_shutdown_write(struct estream_io *io);
void engine_io_close(struct estream_io *io);
/* The negotiated API version ("1.41"), negotiated on first use; NULL with err. */
const char *engine_api_version(struct engine *e, struct berr *err);
#endif
