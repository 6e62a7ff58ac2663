/* sshconn.h: an authenticated SSH session to a server, with its pinned host key enforced
 * (operations never pin: a server is pinned by its first test). */
#ifndef BERTH_SSHCONN_H
#define BERTH_SSHCONN_H
#include <libssh/libssh.h>
#include "drivers/target.h"
#include "lib/errors.h"

/* Connects and authenticates as the target says (host, port, user, private_key or password;
 * known_host_key required when set). seen_fp as for sshconn_open. */
ssh_session sshconn_connect(const struct engine_target *t, char *seen_fp, struct berr *err);
/* Connects and authenticates with explicit parameters. known_fp: required fingerprint
 * ("SHA256:...") or NULL to accept any; seen_fp (>= 128 bytes, may be NULL) receives the
 * server's. */
ssh_session sshconn_open(const char *host, int port, const char *user, const char *private_key,
			 const char *password, const char *known_fp, char *seen_fp, int timeout_s,
			 struct berr *err);
/* Runs one fixed command string (never built from user input; values that must cross go
 * through shell_quote) and collects stdout+stderr, at most 1 MiB. */
struct sbuf;
int sshconn_exec(ssh_session s, const char *command, int *exit_code, struct sbuf *out,
		 int timeout_s, struct berr *err);
#endif
