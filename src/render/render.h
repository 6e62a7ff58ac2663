/* render.h: pure functions from an environment's model to the configuration files berth
 * generates: odoo.conf, postgresql.conf (PGTune), pg_hba.conf, pgbouncer.ini and its
 * userlist, the edge proxy's nginx.conf and per-environment sites. No I/O, no clock, no
 * randomness: golden-file tests (tests/golden/render/) pin the output byte for byte.
 * Every value that reaches a file is validated or escaped for that file's syntax; a value
 * that cannot be rendered safely makes the function return NULL with err set
 * (VALIDATION_ERROR naming the field). Free text from the user (the `extra` settings) is
 * filtered line by line instead: lines that are not `key = value`, a comment or blank, and
 * reserved keys, are dropped with a comment saying so. docs/generated-config.md describes
 * every file, formula and reserved key. Results are malloc'ed; files holding passwords
 * (odoo.conf, userlist.txt) should be freed with secret_free(). */
#ifndef BERTH_RENDER_H
#define BERTH_RENDER_H
#include <jansson.h>
#include <stdbool.h>
#include "lib/errors.h"

struct sbuf;

/* Where the PgBouncer image reads its files (src/ops/images.c mounts them in /etc/berth). */
#define RENDER_PGBOUNCER_AUTH_FILE "/etc/berth/userlist.txt"

struct render_odoo {
	const char *db_host;        /* PgBouncer's or PostgreSQL's container name */
	int db_port;                /* 6432 through PgBouncer, else 5432 */
	const char *db_user, *db_password, *db_name;
	const char *admin_passwd;
	const char *replica_host;   /* NULL without a read replica (Odoo 18+: db_replica_host) */
	int replica_port;
	json_t *config;             /* normalized odoo_config: db_filter, smtp {...}, session_timeout
				     * (session_timeout has no odoo.conf key: not rendered) */
	json_t *effective;          /* odoo_config_effective(): workers, max_cron_threads, log_level,
				     * limit_memory_soft_mb, limit_memory_hard_mb */
	const char *smtp_password;  /* NULL when none */
	const char *addons_path;    /* comma-separated container paths, NULL for the image default */
	const char *extra;          /* user's free-text odoo.conf lines, NULL when none */
	const char *mail_catcher;   /* non-production: the mail catcher's container name, which
				     * replaces the smtp settings (port 1025, no TLS, no login);
				     * NULL on production */
};
char *render_odoo_conf(const struct render_odoo *o, struct berr *err);
/* What of the user's odoo.conf text (the odoo_config setting) berth ignores, for the settings
 * API's answer: a JSON array of strings, each once, in the order of the text: the key of each
 * reserved line (admin_passwd, data_dir, every *_port, db_host, db_port, db_user, db_password,
 * addons_path, proxy_mode, list_db and the others docs/generated-config.md lists) and of each
 * line inside a section other than [options]; "line N" for a line that is not `key = value`,
 * a comment or blank (a section header other than [options] among them). [] for NULL. */
json_t *render_odoo_conf_ignored(const char *extra);
/* The integer the user's odoo.conf text sets for key (the line that survives the filter: the
 * last one), else dflt. Use it for settings other files depend on: a user's `workers = N`
 * decides whether the websocket is served on the gevent port (websocket_on_gevent). */
long long render_odoo_extra_int(const char *extra, const char *key, long long dflt);

struct render_pg {
	int cpu_c;                 /* PostgreSQL's CPU share in hundredths of a core */
	long long ram_mb;          /* PostgreSQL's memory (the container's own limit) */
	bool pgtune;               /* PGTune settings ("web" profile, SSD) */
	int max_connections;       /* sized from PgBouncer's pools when enabled; <= 0: 100.
				    * A hot standby needs at least its primary's value. */
	int pg_major;              /* 15 by default (0 means 15) */
	bool replication;          /* primary of a read replica: wal_level replica, senders */
	const char *extra;         /* user's free-text postgresql.conf lines, NULL when none */
	const char *preload;       /* shared_preload_libraries: names separated by commas (each
				    * valid_pg_extension), NULL or "": none */
};
char *render_postgresql_conf(const struct render_pg *p, struct berr *err);
/* The same for the postgresql_config setting: reserved keys, keys PostgreSQL does not know
 * (render_pg_param_known; names with a '.' are extension parameters and pass), "line N" for
 * the others. */
json_t *render_postgresql_conf_ignored(const char *extra);
/* Is name (lowercase) a parameter of berth's PostgreSQL (pg_params.c, generated from
 * `postgres --describe-config` of berth's image by scripts/gen-pg-params.sh)? */
bool render_pg_param_known(const char *name);
extern const int RENDER_PG_PARAMS_MAJOR;
/* `CREATE EXTENSION IF NOT EXISTS "name";` for a name valid_pg_extension() accepts (the
 * registry's validator of postgres_extensions), NULL with err otherwise. */
char *render_pg_create_extension_sql(const char *name, struct berr *err);

/* The Dockerfile of an environment's derived image (the Packages sub-tab): FROM base (an image
 * id "sha256:<64 hex>" or a reference), USER root, one RUN of apt-get update and
 * `apt-get install -y --no-install-recommends` with the packages one per line (each checked
 * with valid_debian_package(), the registry's validator), USER restored to user (the base
 * image's, "" for root), and a LABEL naming the environment (env_id, a UUID) and the role
 * ("odoo" or "postgres"). NULL with err (VALIDATION_ERROR naming the field) otherwise. */
char *render_derived_dockerfile(const char *base, const char *user, const char *const *packages,
				size_t n, const char *env_id, const char *role, struct berr *err);
/* pg_hba.conf: the superuser over the container's Unix socket (trust), scram-sha-256 for the
 * environment's user from the environment's network (samenet), a replication entry for the
 * replica user when replication is on, and the superuser's replication connections over the
 * socket and the container's own loopback (base backups for clones); nothing else. */
char *render_pg_hba(const char *db_user, bool replication, const char *replica_user,
		    struct berr *err);

/* PGTune's "web" profile (le0pard/pgtune, SSD, Linux) for a container's own limits; sizes in
 * kB. The parallel settings are 0 below 4 CPUs (not written). */
struct render_pgtune {
	int cpus;                  /* ceil(cpu_c / 100), at least 1 */
	long long ram_kb;
	int max_connections;
	long long shared_buffers_kb, effective_cache_size_kb, maintenance_work_mem_kb;
	long long wal_buffers_kb, work_mem_kb, min_wal_size_kb, max_wal_size_kb;
	bool huge_pages;           /* "try" when shared_buffers >= 2 GB, else "off" */
	int max_worker_processes, max_parallel_workers_per_gather, max_parallel_workers;
	int max_parallel_maintenance_workers;
};
void render_pgtune(int cpu_c, long long ram_mb, int max_connections, struct render_pgtune *t);
/* A size in kB the way PGTune prints it: GB or MB when exact, else kB ("314624kB"). */
void render_pg_size(long long kb, char out[32]);

struct render_pgbouncer {
	const char *pg_host;       /* PostgreSQL container name */
	const char *db_name, *db_user, *db_password;
	int pg_cpu_c;
	long long pg_ram_mb;
};
/* Pool sizes for the environment (also used to size max_connections):
 *   pool_size = min(max(5, ceil(3 x cores)), max(5, RAM MB / 16))   business database
 *   reserve   = max(2, ceil(pool_size / 4))
 *   listen    = RENDER_PGB_LISTEN_POOL (session pool of the `postgres` entry)
 *   pg_max_connections = (pool_size + reserve) + (listen + reserve) + RENDER_PG_DIRECT_CONNS + 3
 *   max_client_conn = RENDER_PGB_MAX_CLIENT_CONN
 * Any output pointer may be NULL. */
#define RENDER_PGB_LISTEN_POOL 20     /* Odoo's bus + up to 16 cron workers + spares */
#define RENDER_PG_DIRECT_CONNS 10     /* berth's psql, pg_dump, SSH-tunnel clients */
#define RENDER_PGB_MAX_CLIENT_CONN 500
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
	/* TLS per domain: cert_paths[i], key_paths[i] for server_names[i] (absolute paths on the
	 * edge); a NULL array or NULL entry: that domain is served over plain HTTP only.
	 * stapling[i] (may be NULL): the certificate names an OCSP responder, staple it. */
	const char *const *cert_paths, *const *key_paths;
	const bool *stapling;
	bool hsts;                  /* Strict-Transport-Security on the HTTPS servers */
	/* Cloudflare proxy (server setting): the client address from CF-Connecting-IP, trusted
	 * only from these ranges (validated CIDRs) */
	bool cloudflare;
	const char *const *real_ip_from;
	size_t n_real_ip_from;
	/* Security sub-tab (validated by core/settings.c's validators, checked again here) */
	const char *const *cors_origins; size_t n_cors_origins;
	const char *const *ip_allow; size_t n_ip_allow;   /* empty: everyone */
	const char *const *ip_deny; size_t n_ip_deny;
	bool rate_limit;
	const char *rate_login, *rate_general;             /* "5r/m", "60r/s" */
	const char *csp;            /* Content-Security-Policy value; NULL: no header */
	/* Access (issue 14) */
	bool connect;               /* /berth/connect/<token>: Connect As User's one-time URLs */
	const char *ide_host;       /* the IDE container at /ide (NULL: none) */
	int ide_port;
};
/* Sites listen on 80 (and 443) inside the edge container. */
char *render_nginx_site(const struct render_site *s, struct berr *err);
/* The edge proxy's nginx.conf: Docker's resolver, websocket upgrade map, a default server
 * answering 404 for unknown hosts on http_port, a default TLS server on https_port (when
 * > 0) that rejects handshakes for unknown names, include of /etc/nginx/sites.d/\*.conf. */
char *render_nginx_main(int http_port, int https_port, struct berr *err);

/* ---- shared by the renderers (src/render/common.c) ---- */

/* One line of a configuration file: valid UTF-8 without control characters (C0, DEL, C1,
 * U+2028, U+2029). */
bool render_line_ok(const char *s);

/* The user's free text, filtered: only `key = value` lines (key ^[a-z_][a-z0-9_]*$, with one
 * `.` allowed in PostgreSQL's dialect), blank lines and comments survive; `[section]` lines,
 * reserved keys and anything else are dropped with a note. When a key repeats, its last
 * line wins. */
enum render_dialect { RENDER_ODOO_CONF, RENDER_POSTGRESQL_CONF };
struct render_extra_line {
	enum { RX_BLANK, RX_COMMENT, RX_KV, RX_DROPPED } kind;
	int lineno;
	char *key, *value;         /* RX_KV; value normalized for the dialect */
	char *text;                /* RX_COMMENT: the comment; RX_DROPPED: why */
	char *ignored;             /* RX_DROPPED: the key whose line is ignored (reserved, unknown,
				    * in another section), NULL for a line that is not key = value */
	bool superseded;           /* RX_DROPPED: the key is set again later (not ignored) */
};
struct render_extra {
	struct render_extra_line *lines;
	size_t n;
	enum render_dialect dialect;
};
/* reserved: NULL-terminated list; an entry ending in '*' is a prefix, starting with '*' a
 * suffix. */
void render_extra_parse(struct render_extra *x, enum render_dialect d, const char *text,
			const char *const *reserved);
bool render_extra_has(const struct render_extra *x, const char *key);
/* Appends the surviving lines (and notes on dropped ones) under a header comment. */
void render_extra_emit(const struct render_extra *x, struct sbuf *sb, const char *title);
void render_extra_release(struct render_extra *x);
/* The keys (or "line N") of the dropped lines, each once, superseded ones left out. */
json_t *render_extra_ignored(const struct render_extra *x);

/* Odoo's stored form of a password (passlib pbkdf2_sha512, as Odoo 16-19 write and verify
 * it): `$pbkdf2-sha512$<rounds>$<ab64 salt>$<ab64 checksum>`. Pure: the caller picks the
 * salt (16 random bytes as passlib does) and the rounds (600000, Odoo 18's default).
 * Caller frees. */
#define RENDER_ODOO_PASSWORD_ROUNDS 600000u
char *render_odoo_password(const char *password, const unsigned char *salt, size_t salt_len,
			   unsigned rounds);

/* The SQL berth runs with psql in an environment's PostgreSQL, on Odoo's database
 * (odoo_sql.c). */
/* Is the database initialised: base's state ("installed"). */
extern const char RENDER_ODOO_BASE_STATE_SQL[];
/* The administrator's login (res_users id 2; 'admin' after `-i base`). */
extern const char RENDER_ODOO_ADMIN_LOGIN_SQL[];
/* The file berth-admin.sql: sets the administrator's login (kept without one) and password
 * from psql's environment (BERTH_ADMIN_LOGIN, BERTH_ADMIN_PASSWORD), never its command line. */
extern const char RENDER_ODOO_ADMIN_SQL[];
/* backup_sql.c: statements of backups and restores (psql variables db, tmp, old, owner) */
extern const char RENDER_RESTORE_PREPARE_SQL[];
extern const char RENDER_RESTORE_SWAP_SQL[];
extern const char RENDER_RESTORE_DROP_TMP_SQL[];
extern const char RENDER_BACKUP_MODULES_SQL[];
extern const char RENDER_BACKUP_TABLES_SQL[];
extern const char RENDER_BACKUP_INSTALLED_SQL[];
extern const char RENDER_BACKUP_PG_VERSION_SQL[];
extern const char RENDER_VERIFY_CREATE_SQL[];
/* neutralize_sql.c (issue 14): berth's neutralization (psql variables mail_host, keep: the
 * kept crons' xml ids separated by commas) and anonymization (psql variable keep: the login
 * or email of the user kept), each step printing one line of what it changed. */
extern const char RENDER_NEUTRALIZE_SQL[];
extern const char RENDER_ANONYMIZE_SQL[];
#endif
