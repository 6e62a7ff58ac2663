/* conn.c: a server's connection description from the store, its credential unsealed here and
 * wiped on release. */
#include "ops/conn.h"

#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <sodium.h>

#include "lib/secret.h"
#include "lib/util.h"
#include "store/servers.h"

static char *take(char **p)
{
	char *v = *p;
	*p = NULL;
	return v;
}

static char *cred_field(json_t *cred, const char *key)
{
	const char *v = json_string_value(json_object_get(cred, key));
	return v ? xstrdup(v) : NULL;
}

/* ---- the Docker Engine sockets local servers may use ---- */

#define MAX_SOCKETS 16
static const char *sockets[MAX_SOCKETS];
static int nsockets; /* 0: the defaults */
static const char *const default_sockets[] = {"/var/run/docker.sock", "/run/docker.sock", NULL};

int conn_socket_allow(const char *path)
{
	if (nsockets == MAX_SOCKETS || !path || path[0] != '/')
		return -1;
	sockets[nsockets++] = path;
	return 0;
}

static bool allowed_by(const char *rule, const char *path)
{
	size_t n = strlen(rule);
	if (n && rule[n - 1] == '/') /* a directory: the sockets directly in it */
		return strncmp(rule, path, n) == 0 && path[n] && !strchr(path + n, '/');
	return strcmp(rule, path) == 0;
}

bool conn_socket_allowed(const char *path)
{
	if (!path || path[0] != '/' || strstr(path, "/../") || strstr(path, "/./") ||
	    strstr(path, "//") || str_ends(path, "/..") || str_ends(path, "/."))
		return false;
	if (!nsockets) {
		for (const char *const *d = default_sockets; *d; d++)
			if (strcmp(*d, path) == 0)
				return true;
		return false;
	}
	for (int i = 0; i < nsockets; i++)
		if (allowed_by(sockets[i], path))
			return true;
	return false;
}

const char *conn_socket_default(void)
{
	for (int i = 0; i < nsockets; i++)
		if (!str_ends(sockets[i], "/"))
			return sockets[i];
	return nsockets ? NULL : default_sockets[0];
}

int server_target_load(const char *server_id, struct engine_target *t, struct berr *err)
{
	memset(t, 0, sizeof *t);
	struct server_row r;
	if (servers_get(server_id, &r) < 0)
		return berr_set(err, BE_SERVER_NOT_FOUND, NULL, "the server no longer exists");
	t->transport = take(&r.transport);
	t->host = take(&r.host);
	t->port = r.port;
	t->user = take(&r.user);
	t->docker_socket = take(&r.docker_socket);
	t->known_host_key = take(&r.host_key);
	server_row_free(&r);
	if (str_eq(t->transport, "local") && !conn_socket_allowed(t->docker_socket)) {
		/* berthd's own host: only the Engine sockets the administrator allows */
		berr_set(err, BE_VALIDATION_ERROR, "docker_socket",
			 "docker_socket: %s is not an allowed Docker Engine socket of this host"
			 " (berthd --docker-socket-allow)", t->docker_socket ? t->docker_socket : "");
		target_release(t);
		return -1;
	}
	char *sealed = servers_credential_sealed(server_id);
	char *plain = sealed ? secret_open(sealed) : NULL;
	free(sealed);
	json_t *cred = plain ? json_loads(plain, 0, NULL) : NULL;
	secret_free(plain);
	if (cred) {
		t->private_key = cred_field(cred, "private_key");
		t->password = cred_field(cred, "password");
		/* wipe the parsed copy before it goes back to the allocator */
		const char *k;
		json_t *v;
		json_object_foreach(cred, k, v)
			if (json_is_string(v))
				sodium_memzero((void *)json_string_value(v), strlen(json_string_value(v)));
		json_decref(cred);
	}
	return 0;
}

static void wipe_free(char *s)
{
	if (s) {
		sodium_memzero(s, strlen(s));
		free(s);
	}
}

void target_release(struct engine_target *t)
{
	wipe_free(t->private_key);
	wipe_free(t->password);
	free(t->transport);
	free(t->host);
	free(t->user);
	free(t->docker_socket);
	free(t->known_host_key);
	memset(t, 0, sizeof *t);
}

struct engine *engine_open_server(const char *server_id, struct berr *err)
{
	struct engine_target t;
	if (server_target_load(server_id, &t, err) < 0)
		return NULL;
	struct engine *e = NULL;
	if (!str_eq(t.transport, "local") && !t.known_host_key)
		berr_set(err, BE_CONFLICT, NULL, "the server's host key is not pinned yet: test the server");
	else {
		t.timeout_s = 15;
		e = engine_connect(&t, NULL, err);
	}
	target_release(&t);
	return e;
}

