/* ops.h: operations on environments and servers, each run as a job (jobs/queue.h). They
 * orchestrate the drivers (Docker Engine API over a socket or SSH) and the renderers. */
#ifndef BERTH_OPS_H
#define BERTH_OPS_H
#include <jansson.h>

/* Registers the job types: deploy, restart, stop, start, remove, merge. */
void ops_register(void);
void ops_register_server(void); /* "prepare": installs the Docker Engine on a server */
/* The platform's Odoo image per version: [{"version": "18.0", "image": "odoo:18.0"}, ...]. */
json_t *ops_odoo_images(void);
/* Caller frees. */
char *ops_odoo_image(const char *version);
/* The lock of a server's edge proxy (one per server, in this process): held while its edge
 * proxy is created, its sites changed or the edge removed, whoever does it. */
void ops_edge_lock(const char *server_id);
void ops_edge_unlock(const char *server_id);
#endif
