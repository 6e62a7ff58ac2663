/* envs.h: the environments table, typed. What services and jobs read of an environment comes
 * as a struct env_row with named fields (a misspelt field does not compile); the API's JSON
 * rendering of a row comes from env_json_*. Functions that take an org_id trust it (callers
 * obtain it from access_*()). */
#ifndef BERTH_STORE_ENVS_H
#define BERTH_STORE_ENVS_H
#include <jansson.h>
#include "lib/util.h"
#include <stdbool.h>
#include <stdint.h>

struct env_row {
	char id[37], project_id[37], org_id[37], vm_id[37];
	char *name, *environment_type, *subdomain, *custom_domain; /* custom_domain may be NULL */
	char *status, *git_branch, *odoo_version, *project_slug;
	double cpu_cores, postgres_cpu_cores;
	long long ram_mb, disk_gb, postgres_ram_mb;
	bool postgres_custom, auto_deploy, enable_pgtune, enable_pgbouncer, enable_read_replica;
	json_t *odoo_config, *environment_vars, *addon_repositories, *settings; /* never NULL */
	json_t *deployed_addons;             /* may be NULL */
	char *deployed_commit, *last_trigger_commit, *admin_login; /* may be NULL */
	char *deployed_at, *db_name, *code_rev, *status_reason;    /* may be NULL */
	bool deployed;                       /* deployed_at is set */
	long long server_http_port, server_https_port; /* of the server it is placed on */
	double odoo_cpu; /* round(cpu_cores - postgres_cpu_cores, 2): Odoo's share of the cores */
};

/* 0, or -1 when there is no such environment. env_row_free releases it. */
int env_load(const char *env_id, struct env_row *e);
void env_row_free(struct env_row *e);

/* What the jobs (ops/env*.c) write. */
/* status, status_reason (may be NULL) and updated_at = now. */
int env_set_status(const char *env_id, const char *status, const char *reason);
/* deployed_at = now: a deploy completed. */
int env_set_deployed(const char *env_id);
/* Deletes the environment's row (the remove job, once its objects are gone). */
int env_delete_row(const char *env_id);
/* The database name, fixed to the environment's name the first time it is asked (renaming
 * the environment later keeps its database). Caller frees; NULL when there is none. */
char *env_fix_db_name(const char *env_id);
/* What a deploy put on the server: the project's commit (NULL: none, the branch head is kept),
 * the addon repositories' commits ({url: commit}) and the code directory; commits_ahead = 0. */
int env_set_code(const char *env_id, const char *commit, json_t *addon_commits,
		 const char *rev);

/* The sealed columns of an environment (SECRET in the schema). */
enum env_secret {
	ENV_SECRET_DB_PASSWORD,    /* db_password: the database role's */
	ENV_SECRET_ADMIN_PASSWD,   /* admin_passwd: Odoo's master password (odoo.conf) */
	ENV_SECRET_ADMIN_PASSWORD, /* admin_password: the Odoo administrator's login password */
	ENV_SECRET_SMTP_PASSWORD,  /* smtp_password */
	ENV_SECRET_IDE_PASSWORD,   /* ide_password: the IDE's (code-server) login password */
};
/* The sealed value (caller frees), or NULL when unset. */
char *env_secret_get(const char *env_id, enum env_secret which);
/* Stores a sealed value. */
int env_secret_set(const char *env_id, enum env_secret which, const char *sealed);
/* Stores a sealed value only when none is stored yet (whoever came first wins). */
int env_secret_set_if_null(const char *env_id, enum env_secret which, const char *sealed);

/* PostgreSQL published on the server's loopback (issue 14): each environment of a server has
 * its own port in [ENV_PG_PORT_MIN, ENV_PG_PORT_MAX], unique per server (migration 9). */
#define ENV_PG_PORT_MIN 15432
#define ENV_PG_PORT_MAX 16431
/* The environment's port, 0 when none is allocated yet. */
int env_pg_port(const char *env_id);
/* The environment's port, allocated when it has none: the lowest of the range that no other
 * environment of its server holds, that is not the server's edge port (http_port, https_port)
 * and not in avoid[] (ports found taken on the server). -1 when the range is full. */
int env_pg_port_ensure(const char *env_id, const int *avoid, size_t n_avoid);
/* Forgets the port (the deploy found it taken on the server: the next ensure picks another). */
int env_pg_port_clear(const char *env_id);

/* A new environment (status pending). JSON values are stored as given (NULL: {} or []);
 * sealed values are secret_seal()ed already. */
struct env_new {
	const char *id, *project_id, *org_id, *vm_id, *name, *environment_type, *subdomain;
	const char *custom_domain, *git_branch, *created_by;
	int cpu_c, pg_cpu_c;                 /* hundredths of a core */
	long long ram_mb, disk_gb, pg_ram_mb;
	bool pg_custom, auto_deploy, enable_pgtune, enable_pgbouncer, enable_read_replica;
	bool has_auto_restart, auto_restart;
	json_t *odoo_config, *environment_vars, *addon_repositories;
	const char *smtp_password_sealed, *admin_login, *admin_password_sealed;
};
/* 0, -2 when a unique constraint refused it (name or subdomain taken meanwhile), -1 error. */
int env_insert(const struct env_new *n);

/* A change of settings, written by one UPDATE. Resources and odoo_config are always written;
 * the rest only when its has_ flag is set. */
struct env_change {
	int cpu_c, pg_cpu_c;
	long long ram_mb, disk_gb, pg_ram_mb;
	bool pg_custom, enable_read_replica;
	json_t *odoo_config;
	const char *name, *subdomain, *git_branch; /* NULL: unchanged */
	bool has_custom_domain; const char *custom_domain;
	bool has_auto_deploy, auto_deploy;
	bool has_pgtune, enable_pgtune;
	bool has_pgbouncer, enable_pgbouncer;
	bool has_auto_restart, auto_restart;
	json_t *environment_vars, *addon_repositories; /* NULL: unchanged */
	bool smtp_set; const char *smtp_password_sealed; /* smtp_set with NULL clears it */
	json_t *settings_patch; /* merged into settings (null removes a key); NULL: unchanged */
};
/* 0, -2 on a unique constraint, -1 error. */
int env_update(const char *env_id, const struct env_change *c);

bool env_name_taken(const char *project_id, const char *name);
bool env_subdomain_taken(const char *subdomain, const char *exclude_env_id);
bool env_domain_taken(const char *domain, const char *exclude_env_id);
/* The other environments of server vm_id whose external filestore is on:
 * [{"name", "path"}] (path as stored, may be null). */
json_t *env_external_filestores(const char *vm_id, const char *exclude_env_id);
char *env_server_of(const char *env_id);       /* vm_id; caller frees */
char *env_project_of(const char *env_id);      /* project_id; caller frees */
bool env_exists(const char *env_id);
/* Auto-deploy: the last commit a trigger asked for, shown as the branch head meanwhile. */
int env_set_trigger_commit(const char *env_id, const char *commit);
/* Deployed environments with auto_deploy on and git_branch = branch (array of ids). */
json_t *env_ids_auto_deploy(const char *project_id, const char *branch);
/* [{id, git_branch, deployed_commit}] of a project, for showing branch heads. */
json_t *env_branches_of_project(const char *project_id);
int env_set_branch_head(const char *env_id, const char *head, long ahead /* -1: unknown */);
long long env_count_of_project(const char *project_id);

/* The API's rendering, written as JSON text straight from the rows (lib/jtext.h: the bytes
 * json_dumps would write for db_row_json's object): the environment row with its project's
 * and server's names (SECRET columns left out), the computed auto_restart as a boolean and
 * odoo_cpu_cores as a real; then `decor` appends the API's own keys (",\"key\":value"...)
 * from what the row holds, and the object is closed. */
struct env_text_row {
	/* text columns (NULL when null), as the decoration reads them */
	const char *deployed_commit, *branch_commit, *subdomain, *custom_domain, *environment_type;
	double odoo_cpu_cores;
	long long odoo_ram_mb;   /* 0 when not an integer */
	json_t *odoo_config;     /* parsed; NULL when null */
};
typedef void (*env_text_decor)(const struct env_text_row *row, struct sbuf *out, void *ctx);
/* One environment: 0, or -1 when there is none. */
int env_text_get(const char *env_id, env_text_decor decor, void *ctx, struct sbuf *out);
/* JSON arrays, in the API's order. */
void env_text_of_project(const char *project_id, const char *type /* may be NULL */,
			 env_text_decor decor, void *ctx, struct sbuf *out);
void env_text_of_org(const char *org_id, json_t *project_ids /* NULL: all */,
		     const char *name /* may be NULL */, env_text_decor decor, void *ctx,
		     struct sbuf *out);

/* Servers as placement sees them. */
struct placement_server {
	char id[37];
	char *name, *status;
	bool capacity_known;                 /* cpu_cores etc. measured */
	double cpu_cores;
	long long ram_mb, disk_gb, max_projects;
};
int placement_server_load(const char *server_id, struct placement_server *s);
void placement_server_free(struct placement_server *s);
/* The running servers of an organization, by name: array of ids. */
json_t *placement_running_servers(const char *org_id);
#endif
