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
/* The one place a server's status changes: status and reason (may be NULL) on its row, and
 * server.status on its organization's event stream when they changed. 0, or -1. */
int ops_server_status(const char *server_id, const char *status, const char *reason);
/* server.status on the event stream with what the row says (after a change made in a
 * transaction, once it committed). */
void ops_server_publish_status(const char *server_id);
/* Registers the local Docker Engine as server "local" of org_id unless a local server exists,
 * and probes it. 1 registered, 0 already there, -1 error. */
int ops_server_register_local(const char *org_id);
/* The names of a server's edge proxy container and its sites volume (the rule of ops/env.c). */
void ops_edge_names(const char *server_id, char edge[32], char sites[40]);
#endif
