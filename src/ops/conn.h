/* conn.h: the one place that reads a server's row, unseals its credential and builds the
 * connection description a driver takes (drivers/target.h). Services and operations open
 * engines through here; nothing else unseals server credentials. */
#ifndef BERTH_OPS_CONN_H
#define BERTH_OPS_CONN_H
#include <stdbool.h>
#include "drivers/engine.h"
#include "drivers/target.h"
#include "lib/errors.h"

/* Fills *t from the server's row and its unsealed credential. 0, or -1 with
 * SERVER_NOT_FOUND. Release with target_release (which wipes the secrets). */
int server_target_load(const char *server_id, struct engine_target *t, struct berr *err);
/* Wipes the credential (sodium_memzero) and frees every field. */
void target_release(struct engine_target *t);
/* Opens the server's engine for an operation: a remote server must have its host key pinned
 * (by a test) and must present that key. */
struct engine *engine_open_server(const char *server_id, struct berr *err);
/* The Docker Engine sockets of berthd's host that local servers may use (berthd
 * --docker-socket-allow PATH, repeatable; default /var/run/docker.sock and /run/docker.sock).
 * A PATH ending in '/' allows the sockets directly in that directory. Set before any thread
 * starts; 0, or -1 when the list is full or PATH is not absolute. */
int conn_socket_allow(const char *path);
/* Whether a local server may use the socket at path ("..", "//" and relative paths never). */
bool conn_socket_allowed(const char *path);
/* The socket a local server gets when none is named: the first exact allowed path. */
const char *conn_socket_default(void);
#endif
