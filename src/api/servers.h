#ifndef BERTH_API_SERVERS_H
#define BERTH_API_SERVERS_H
/* Probes a server and records status, host key and capacity in the store. */
void server_test_and_record(const char *server_id);
/* Registers the local Docker Engine as server "local" of org_id unless a local server exists.
 * 1 registered, 0 already there, -1 error. */
int server_register_local(const char *org_id);
#endif
