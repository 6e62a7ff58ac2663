/* server.h: operations on a server itself: probe and record, register the local engine, and
 * the server jobs ("prepare" installs the Docker Engine; "server_remove" removes berth's
 * objects from a server being deleted, then its row). */
#ifndef BERTH_OPS_SERVER_H
#define BERTH_OPS_SERVER_H
#include "drivers/probe.h"

/* Probes the server (connection from ops/conn.c) and records status, reason, the host key
 * (first contact only) and, when running, capacity and Docker version. *out (may be NULL)
 * gets what the probe found. 0, or -1 when the server does not exist. */
int ops_server_probe_record(const char *server_id, struct probe_result *out);
/* Registers the local Docker Engine as server "local" of org_id unless a local server exists,
 * and probes it. 1 registered, 0 already there, -1 error. */
int ops_server_register_local(const char *org_id);
/* The names of a server's edge proxy container and its sites volume (the rule of ops/env.c). */
void ops_edge_names(const char *server_id, char edge[32], char sites[40]);
#endif
