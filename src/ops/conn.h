/* conn.h: the one place that reads a server's row, unseals its credential and builds the
 * connection description a driver takes (drivers/target.h). Services and operations open
 * engines through here; nothing else unseals server credentials. */
#ifndef BERTH_OPS_CONN_H
#define BERTH_OPS_CONN_H
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
#endif
