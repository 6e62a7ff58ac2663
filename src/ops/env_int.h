/* env_int.h: what the files of an environment's jobs (src/ops/env*.c) share: the job's
 * runtime (struct envrt) and each stage's entry points. Private to src/ops/. */
#ifndef BERTH_OPS_ENV_INT_H
#define BERTH_OPS_ENV_INT_H
#include <jansson.h>
#include <stdbool.h>

#include "drivers/engine.h"
#include "jobs/queue.h"
#include "lib/errors.h"
#include "lib/util.h"
#include "ops/conn.h"
#include "ops/server.h"
#include "store/envs.h"

#define DB_USER "odoo"
#define CODE_DIR "/mnt/berth-code"
#define HEALTH_TIMEOUT_S 300

/* Everything a job needs to know about its environment, read once at the start. */
struct envrt {
	struct env_row env; /* the environment's row (store/envs.h) */
	const char *id, *name, *version, *type, *server_id; /* in env */
	char key[13];
	char net[40], db[48], pgb[48], odoo[48], replica[56], vol_pg[48], vol_rep[56],
		vol_data[48], vol_code[48], code_helper[48], site[64];
	char mail[48], vol_mail[48]; /* the mail catcher (non-production only, env_mail.c) */
	char ide[48];                /* the IDE (code-server, env_ide.c) */
	char *db_name, *db_password, *admin_passwd, *repl_password, *smtp_password;
	char fqdn[300];
	json_t *settings;
	int http_port;
	bool pgbouncer, pgtune, replica_on;
	bool db_unchanged;    /* this deploy found PostgreSQL identical and running */
	bool deployed_before; /* a deploy completed once: the database exists */
	int odoo_cpu_c, pg_cpu_c;
	long long odoo_ram, pg_ram;
	json_t *effective;
	/* code (the project's branch and the addon repositories) */
	bool has_code;
	char rev[13];          /* names the code's directory on the server */
	char *commit;          /* the project's commit, NULL without a project repository */
	json_t *addon_commits; /* {url: commit} */
	json_t *sources;       /* [{mirror, commit, prefix}] to upload */
	char *addons_path;     /* for odoo.conf; NULL: the image's default */
	json_t *update;        /* modules to update (-u) */
	bool odoo_touched;     /* this job replaced or signalled Odoo */
	bool image_present;    /* the Odoo image was found (or pulled) on the server */
	/* images (env_images.c): what the containers run, derived with the Packages settings */
	char *odoo_img, *pg_img;
	/* mounts (env_mounts.c), resolved on the server once per job: NULL when off */
	bool mounts_checked;
	char *shared_addons_src; /* the server directory mounted at SHARED_ADDONS_DIR */
	char *filestore_src;     /* the server directory mounted at FILESTORE_DIR */
	/* clone/refresh (clone.c): called by env_deploy after PostgreSQL, PgBouncer, the code and
	 * the mail catcher are in place and before Odoo's database stage (the copied database's
	 * fixes, neutralize, anonymize); NULL for a plain deploy */
	int (*before_odoo)(struct engine *e, struct job *j, struct envrt *rt, struct berr *err);
	void *hook_cls;
};

#define SHARED_ADDONS_DIR "/mnt/berth-shared-addons"
#define FILESTORE_DIR "/var/lib/odoo/filestore"

static inline const char *S(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* env_rt.c */
void env_status(const char *id, const char *status, const char *reason);
void envrt_free(struct envrt *rt);
int envrt_load(struct envrt *rt, const char *env_id, struct berr *err);
json_t *labels(const struct envrt *rt, const char *role);
long long setting_int(const struct envrt *rt, const char *k);
const char *setting_str(const struct envrt *rt, const char *k);
/* The environment's domains, primary first: its subdomain's FQDN, its custom domain, then
 * its extra domains (settings.extra_domains), each once. Returns how many were written to
 * out (at most max); the names are borrowed from rt. */
#define ENV_MAX_DOMAINS 52
size_t env_domain_list(const struct envrt *rt, const char **out, size_t max);

/* env_container.c */
int converge_container(struct engine *e, struct job *j, const char *name, json_t *spec,
		       const char *files_dir, const struct efile *files, size_t nfiles,
		       bool force, bool *changed, struct berr *err);
json_t *host_config(const char *net, int cpu_c, long long mem_mb, long long reserve_mb,
		    long long shm_mb, const char *restart);
const char *restart_policy(const struct envrt *rt);

/* env_postgres.c */
int wait_pg(struct engine *e, struct job *j, const char *container, struct berr *err);
int deploy_postgres(struct engine *e, struct job *j, struct envrt *rt, bool force,
		    struct berr *err);
int deploy_replica(struct engine *e, struct job *j, struct envrt *rt, bool force,
		   struct berr *err);

/* env_images.c: the Odoo image of the version (pulled when missing) and berth's PostgreSQL
 * image, each derived with the environment's Packages settings when they list packages
 * (built unless an image of the same base and list exists); once per job. odoo_image's
 * result is the caller's to free; pg_image writes the tag into out. */
char *odoo_image(struct engine *e, struct job *j, struct envrt *rt, struct berr *err);
int pg_image(struct engine *e, struct job *j, struct envrt *rt, char *out, size_t len,
	     struct berr *err);
/* An image's inspect data, NULL when it is not on the server. */
json_t *env_image_inspect(struct engine *e, const char *ref);
/* Both, before any container is replaced (the deploy's Images stage). */
int env_images(struct engine *e, struct job *j, struct envrt *rt, struct berr *err);
/* Removes the environment's derived images no container of it runs: all of them (all), or
 * those other than the ones this job uses. */
void env_images_prune(struct engine *e, struct job *j, struct envrt *rt, bool all);

/* env_mounts.c: the Odoo sub-tab's server directories (shared addons, external filestore),
 * only under the server's mounts_root, in the organization's directory
 * <mounts_root>/<org-slug>/, resolved on the server (symlinks) by a throw-away container:
 * sets rt->shared_addons_src and rt->filestore_src (once per job), or fails with a message
 * naming the setting, before any container is touched. */
int env_mounts(struct engine *e, struct job *j, struct envrt *rt, struct berr *err);
/* The mounts of the running Odoo container stand for the settings (soft restart: odoo.conf
 * must match what is mounted). */
void env_mounts_from_container(struct engine *e, struct envrt *rt);
/* Moves the filestore when its place changes (the Odoo volume or a server directory): Odoo is
 * stopped first (restarted if the move fails); refused when the new place already holds
 * files. Then gives a server directory to the image's user. */
int env_filestore_prepare(struct engine *e, struct job *j, struct envrt *rt, const char *image,
			  struct berr *err);
/* The container paths for the Odoo container's Mounts (appended to mounts). */
void env_mounts_add(const struct envrt *rt, json_t *mounts);
/* Creates the postgres_extensions in the environment's database (CREATE EXTENSION IF NOT
 * EXISTS, psql in the PostgreSQL container, argv only). */
int env_extensions(struct engine *e, struct job *j, struct envrt *rt, struct berr *err);

/* env_pgbouncer.c */
int deploy_pgbouncer(struct engine *e, struct job *j, struct envrt *rt, bool force,
		     struct berr *err);

/* env_odoo.c */
char *odoo_conf(struct envrt *rt, struct berr *err);
int update_modules(struct engine *e, struct job *j, struct envrt *rt, const char *image,
		   const char *conf, struct berr *err);
int deploy_odoo(struct engine *e, struct job *j, struct envrt *rt, bool force,
		struct berr *err);

/* Odoo's `neutralize` of the environment's database (crons, mail servers off) in a one-off
 * container. */
int odoo_neutralize(struct engine *e, struct job *j, struct envrt *rt, struct berr *err);

/* backup.c: a full pre_update backup of a production database before its modules are
 * updated (when the plan has backups); -1 stops the update. */
int backup_before_update(struct engine *e, struct job *j, struct envrt *rt, struct berr *err);
/* backup.c: a full pre_restore backup of the environment (kept 30 days), e.g. before a
 * refresh replaces its data (ops/clone.c); its id into id_out. 0 or -1. */
int backup_safety(struct engine *e, struct job *j, struct envrt *rt, char id_out[37],
		  struct berr *err);

/* env_code.c */
void code_prune(struct engine *e, struct job *j, struct envrt *rt, const char *image);
void code_record(struct job *j, struct envrt *rt);
int code_stage(struct engine *e, struct job *j, struct envrt *rt, struct berr *err);

/* env_edge.c */
int edge_ensure(struct engine *e, struct job *j, const char *server_id, struct berr *err);
int edge_site(struct engine *e, struct job *j, struct envrt *rt, struct berr *err);
int edge_site_remove(struct engine *e, struct job *j, struct envrt *rt, struct berr *err);
/* `nginx -s reload` in the edge, waiting until the old workers stop accepting: 0, 1 when the
 * reload failed (out says why), -1 on an Engine error. */
int edge_reload(struct engine *e, const char *edge, struct sbuf *out, struct berr *err);
/* Job edge_reload (settings of the edge): edge_ensure, edge_site and tls_converge under the
 * server's edge lock. */
int job_edge_reload(struct job *j, struct berr *err);

/* tls.c (HTTPS, issue 13): what the site needs of the environment's certificates, and
 * their issuance. tls_site_fill sets s->cert_paths, s->key_paths, s->hsts, s->cloudflare and
 * s->real_ip_from for the domains in s->server_names, with arrays kept in *keep until
 * tls_site_release. tls_converge runs after the site serves HTTP (the ACME challenge needs
 * it): it installs the certificates the store has, issues or renews those that are due,
 * rewrites the site when that changed anything, and records tls_status / tls_error; an
 * issuance that fails never fails the job (the site keeps answering over HTTP). The caller
 * holds the server's edge lock; tls_converge lets go of it while it waits for the CA. */
struct render_site;
struct tls_site {
	const char **cert_paths, **key_paths;
	char **owned;
	size_t n_owned;
};
void tls_site_fill(struct envrt *rt, struct render_site *s, struct tls_site *keep);
void tls_site_release(struct tls_site *keep);
int tls_converge(struct engine *e, struct job *j, struct envrt *rt, struct berr *err);
/* The edge's certificates volume of a server (mounted at /etc/nginx/certs). */
void tls_edge_certs_volume(const char *server_id, char out[48]);
/* Installs the certificates the store has for the environment's domains on the edge, before
 * edge_site renders them (a certificate stored while the edge was away). Never fails. */
int tls_install(struct engine *e, struct job *j, struct envrt *rt);
/* Removes the environment's certificate files from the edge (its removal). */
int tls_remove(struct engine *e, struct job *j, struct envrt *rt);

/* env_health.c */
int wait_healthy(struct engine *e, struct job *j, struct envrt *rt, struct berr *err);

/* env.c: the whole deploy (network, volumes, PostgreSQL, PgBouncer, code, Odoo, mail catcher,
 * IDE, edge, health); force recreates every container (hard restart). The caller sets the
 * environment's status. */
int env_deploy(struct job *j, struct envrt *rt, bool force, struct berr *err);

/* env_mail.c (issue 14): the mail catcher of a non-production environment: converges its
 * container rt->mail (volume rt->vol_mail) on the environment's network; on production it
 * removes one left from an earlier type. Called by the deploy before Odoo starts. */
int env_mailcatcher(struct engine *e, struct job *j, struct envrt *rt, struct berr *err);

/* env_ide.c (issue 14): the IDE container rt->ide when the plan has allow_ide (removed
 * otherwise), converged by the deploy before the edge site is written; fills the site's IDE
 * upstream (render_site.ide_host/ide_port) when it runs. */
int env_ide(struct engine *e, struct job *j, struct envrt *rt, struct berr *err);
struct render_site;
void env_ide_site(const struct envrt *rt, struct render_site *s);
/* Job ide_password: the IDE recreated with its new password (svc/access_info.c stored it). */
int job_ide_password(struct job *j, struct berr *err);

/* neutralize.c (issue 14): odoo neutralize, then berth's own checks (mail servers off and
 * the catcher the only outgoing one, crons off but autovacuum and the kept ones, payment and
 * delivery providers in test mode, database.is_neutralized, the ribbon), each logged; and the
 * irreversible anonymization (docs/clones.md), keeping the users whose login or email is
 * keep_login (the cloning user; may be NULL) and the administrator. */
int env_neutralize(struct engine *e, struct job *j, struct envrt *rt, struct berr *err);
int env_anonymize(struct engine *e, struct job *j, struct envrt *rt, const char *keep_login,
		  struct berr *err);
/* Whether the environment source_env_id (where a copy comes from) asks for its copies to be
 * anonymized: its setting anonymize_database. */
bool env_anonymize_wanted(const char *source_env_id);

/* env_merge.c */
int job_merge(struct job *j, struct berr *err);

#endif
