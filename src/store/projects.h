/* projects.h: the projects table, typed. Credentials come sealed (secret_open them where they
 * are used); the API's JSON rendering never holds them. */
#ifndef BERTH_STORE_PROJECTS_H
#define BERTH_STORE_PROJECTS_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct project_row {
	char id[37], org_id[37];
	char *name, *slug, *odoo_version, *default_branch;
	char *repository_url, *git_username;                   /* may be NULL */
	char *deploy_key_sealed, *access_token_sealed, *webhook_secret_sealed; /* may be NULL */
	char *org_slug; /* the organization's slug: its area under the git local roots */
};
/* 0, or -1 when there is no such project. */
int project_load(const char *project_id, struct project_row *p);
void project_row_free(struct project_row *p);
char *project_webhook_secret_sealed(const char *project_id); /* caller frees; NULL if none */
/* The slug of an organization (its area under the git local roots), or NULL; caller frees. */
char *project_org_slug(const char *org_id);
int project_set_webhook_secret(const char *project_id, const char *sealed);

struct project_new {
	const char *id, *org_id, *name, *slug, *odoo_version, *repository_url, *default_branch;
};
/* 0, -2 when the slug is taken in the organization, -1 error. */
int project_insert(const struct project_new *n);

/* A change, written by one UPDATE: each field only when its flag (or non-NULL) says so. */
struct project_change {
	const char *name, *odoo_version, *default_branch;            /* NULL: unchanged */
	bool has_repository_url; const char *repository_url;       /* NULL clears */
	bool has_deploy_key; const char *deploy_key_sealed, *deploy_public_key;
	bool has_access_token; const char *access_token_sealed;
	bool has_git_username; const char *git_username;
	bool has_poll_interval; long long poll_interval_s;          /* resets last_polled_ts */
	bool touch;                                                 /* set updated_at */
};
int project_update(const char *project_id, const struct project_change *c);
int project_delete(const char *project_id);
/* The repository poller: the projects whose poll interval has passed at `now` (a JSON array of
 * id strings), a poll's outcome (error NULL: it worked), and the branches of its environments
 * that deploy automatically (a JSON array of branch names). */
json_t *projects_poll_due(int64_t now);
int project_set_polled(const char *project_id, int64_t now, const char *error);
json_t *project_auto_deploy_branches(const char *project_id);
/* The project has environments and its version differs from `version`. */
bool project_version_locked(const char *project_id, const char *version);

json_t *project_json_get(const char *project_id);
json_t *project_json_of_org(const char *org_id, json_t *project_ids /* NULL: all */);
#endif
