/* engine.h: the Docker Engine of one server, as the operations use it. One `struct engine`
 * holds one connection (an SSH session, or nothing for the local socket) for the length of a
 * job; each request goes over its own stream (unix socket or direct-streamlocal channel). */
#ifndef BERTH_ENGINE_H
#define BERTH_ENGINE_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include "lib/errors.h"
#include "lib/util.h"
#include "drivers/target.h"

struct engine;

/* Connects to the engine a target describes. A remote target is reached over SSH and its
 * host key must match t->known_host_key when that is set (NULL accepts any: first test);
 * seen_fp (128 bytes, may be NULL) receives the key the server presented. */
struct engine *engine_connect(const struct engine_target *t, char *seen_fp, struct berr *err);
void engine_close(struct engine *e);
/* Bounds every read (default 10 minutes: builds and `odoo -i base` take time). */
void engine_set_io_timeout(struct engine *e, int ms);
/* The SSH session of a remote engine (NULL for the local socket). */
struct ssh_session_struct *engine_ssh(struct engine *e);
/* The host name under which the server's published ports are reached from berthd: for the
 * local server 127.0.0.1; over SSH, ports are reached through the session (engine_http). */

/* JSON request; *reply is the parsed answer (NULL when empty or not JSON). */
int engine_call(struct engine *e, const char *method, const char *path, json_t *body, int *status,
		json_t **reply, struct berr *err);
/* Raw request; the answer body goes to out (may be NULL). on_chunk, when given, receives the
 * body as it arrives (streamed build or pull progress). */
int engine_call_raw(struct engine *e, const char *method, const char *path, const char *ctype,
		    const void *body, size_t len, int *status, struct sbuf *out,
		    void (*on_chunk)(void *cls, const char *data, size_t len), void *cls,
		    struct berr *err);

/* GET requests sent at once (one stream each, opened and written before any answer is read:
 * requests the Engine makes wait, such as stats, overlap). statuses[i] 0 and outs[i] empty
 * for a request that got no answer. 0, or -1 when none got one. */
int engine_get_many(struct engine *e, const char *const *paths, size_t n, int *statuses,
		    struct sbuf *outs, struct berr *err);

/* A file to put into a container or a build context. */
struct efile {
	const char *path; /* relative path inside the tar */
	const char *data;
	size_t len;
	unsigned mode;
};
/* Builds an uncompressed tar of files (for build contexts and archive uploads). */
void engine_tar(const struct efile *files, size_t n, struct sbuf *out);

int engine_network_ensure(struct engine *e, const char *name, json_t *labels, struct berr *err);
int engine_volume_ensure(struct engine *e, const char *name, json_t *labels, struct berr *err);
/* Inspect data of a container, or NULL when there is none by that name. */
json_t *engine_container_inspect(struct engine *e, const char *name);
int engine_container_create(struct engine *e, const char *name, json_t *spec, struct berr *err);
int engine_container_start(struct engine *e, const char *name, struct berr *err);
int engine_container_stop(struct engine *e, const char *name, int timeout_s, struct berr *err);
/* Forced; takes the container's anonymous volumes with it (named volumes stay). */
int engine_container_remove(struct engine *e, const char *name, struct berr *err);
int engine_container_kill(struct engine *e, const char *name, const char *signal, struct berr *err);
int engine_network_connect(struct engine *e, const char *network, const char *container,
			   struct berr *err); /* no-op when already connected */
int engine_network_remove(struct engine *e, const char *name, struct berr *err);
int engine_volume_remove(struct engine *e, const char *name, struct berr *err);
/* Extracts a tar of files under dir inside the container (running or created). */
int engine_put_files(struct engine *e, const char *container, const char *dir,
		     const struct efile *files, size_t n, struct berr *err);
/* Runs argv in a running container; output (stdout+stderr, demultiplexed) into out. */
int engine_exec(struct engine *e, const char *container, const char *const *argv, const char *user,
		int *exit_code, struct sbuf *out, struct berr *err);
/* The same with environment variables ("NAME=value", NULL-terminated) for the command: values
 * that must not appear on a command line (the request body is not logged). */
int engine_exec_env(struct engine *e, const char *container, const char *const *argv,
		    const char *const *envv, const char *user, int *exit_code, struct sbuf *out,
		    struct berr *err);
/* Waits for a container to exit (for one-off containers); its exit code. */
int engine_container_wait(struct engine *e, const char *name, int *exit_code, struct berr *err);
/* Last lines of a container's logs (stdout+stderr). */
int engine_container_logs(struct engine *e, const char *name, int tail, struct sbuf *out,
			  struct berr *err);
bool engine_image_exists(struct engine *e, const char *ref);
/* Builds an image from a context tar; progress lines go to on_line. */
int engine_image_build(struct engine *e, const char *tag, const struct sbuf *context,
		       void (*on_line)(void *cls, const char *line), void *cls, struct berr *err);
int engine_image_pull(struct engine *e, const char *ref, struct berr *err);
/* Imports a root filesystem tar as an image. */
int engine_image_import(struct engine *e, const char *tag, const void *tar, size_t len,
			struct berr *err);
/* Objects carrying label=value ("containers", "volumes" or "networks"): array of names. */
json_t *engine_list_labeled(struct engine *e, const char *kind, const char *label,
			    const char *value);
/* HTTP GET to a TCP port on the server's loopback (for health checks through the edge
 * proxy): over SSH a direct-tcpip channel, locally a plain connect. */
int engine_http_get(struct engine *e, int port, const char *path, const char *host_header,
		    int *status, struct sbuf *body, struct berr *err);
#endif
