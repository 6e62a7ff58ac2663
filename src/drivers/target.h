/* target.h: how to reach one server's Docker Engine: the connection description a driver
 * takes. Built (and its secrets unsealed) in one place only, ops/conn.c; drivers never read
 * the store. */
#ifndef BERTH_TARGET_H
#define BERTH_TARGET_H

struct engine_target {
	char *transport;      /* "ssh" or "local" */
	char *host;
	int port;
	char *user;
	char *private_key;    /* unsealed OpenSSH/PEM private key text, or NULL */
	char *password;       /* unsealed password, or NULL */
	char *docker_socket;  /* path of the Docker socket on the server */
	char *known_host_key; /* pinned "SHA256:..." fingerprint, or NULL on first contact */
	int timeout_s;        /* SSH connect timeout, seconds (0: 10) */
};
#endif
