/* render.h: pure functions from an environment's model to the configuration files berth
 * generates: odoo.conf, postgresql.conf (PGTune), pg_hba.conf, pgbouncer.ini and its
 * userlist, the edge proxy's nginx.conf and per-environment sites. No I/O, no clock, no
 * randomness: golden-file tests (tests/golden/) pin the output byte for byte.
 * Every value that reaches a file is validated or escaped for that file's syntax; a value
 * that cannot be rendered safely makes the function return NULL with err set. */
#ifndef BERTH_RENDER_H
#define BERTH_RENDER_H
#include <jansson.h>
#include <stdbool.h>
#include "lib/errors.h"

struct render_odoo {
	const char *db_host;        /* PgBouncer's or PostgreSQL's container name */
	int db_port;                /* 6432 through PgBouncer, else 5432 */
	const char *db_user, *db_password, *db_name;
	const char *admin_passwd;
	const char *replica_host;   /* NULL without a read replica (Odoo 18+: db_replica_host) */
	int replica_port;
	json_t *config;             /* normalized odoo_config: db_filter, smtp {...}, session_timeout */
	json_t *effective;          /* odoo_config_effective(): workers, max_cron_threads, log_level,
				     * limit_memory_soft_mb, limit_memory_hard_mb */
	const char *smtp_password;  /* NULL when none */
	const char *addons_path;    /* comma-separated container paths, NULL for the image default */
	const char *extra;          /* user's free-text odoo.conf lines, NULL when none */
};
char *render_odoo_conf(const struct render_odoo *o, struct berr *err);

struct render_pg {
	int cpu_c;                 /* PostgreSQL's CPU share in hundredths of a core */
	long long ram_mb;          /* PostgreSQL's memory (the container's own limit) */
	bool pgtune;               /* PGTune settings ("web" profile, SSD) */
	int max_connections;       /* sized from PgBouncer's pools when enabled */
	int pg_major;              /* 15 by default */
	bool replication;          /* primary of a read replica: wal_level replica, senders */
	const char *extra;         /* user's free-text postgresql.conf lines, NULL when none */
};
char *render_postgresql_conf(const struct render_pg *p, struct berr *err);
/* pg_hba.conf: scram-sha-256 for the environment's user from the environment's network,
 * replication entry for the replica user when replication is on; nothing else. */
char *render_pg_hba(const char *db_user, bool replication, const char *replica_user,
		    struct berr *err);

struct render_pgbouncer {
	const char *pg_host;       /* PostgreSQL container name */
	const char *db_name, *db_user, *db_password;
	int pg_cpu_c;
	long long pg_ram_mb;
};
/* Pool sizes for the environment (also used to size max_connections). */
void render_pgbouncer_pools(const struct render_pgbouncer *b, int *pool_size, int *max_client_conn,
			    int *pg_max_connections);
char *render_pgbouncer_ini(const struct render_pgbouncer *b, struct berr *err);
char *render_pgbouncer_userlist(const struct render_pgbouncer *b, struct berr *err);

struct render_site {
	const char *env_id;         /* for comments and file names */
	const char *const *server_names; /* validated domain names: subdomain.apps_domain, custom */
	size_t n_server_names;
	const char *odoo_host;      /* Odoo container name (resolved at request time) */
	int http_port;              /* 8069 */
	int gevent_port;            /* 8072 */
	bool websocket_on_gevent;   /* workers > 0 */
	/* console Nginx settings (defaults in parentheses) */
	const char *max_upload;     /* client_max_body_size ("100M") */
	int proxy_read_timeout_s;   /* 300 */
	int proxy_connect_timeout_s;/* 30 */
	int keepalive_timeout_s;    /* 65 */
	int send_timeout_s;         /* 60 */
	const char *x_frame_options;/* "SAMEORIGIN" or "DENY" */
	/* TLS: both NULL for plain HTTP */
	const char *cert_path, *key_path;
};
char *render_nginx_site(const struct render_site *s, struct berr *err);
/* The edge proxy's nginx.conf: Docker's resolver, websocket upgrade map, a default server
 * answering 404 for unknown hosts, include of the sites directory. */
char *render_nginx_main(int http_port, int https_port, struct berr *err);
#endif
