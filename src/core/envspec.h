/* envspec.h: the rules of create-environment.txt as pure functions (no store, no clock), so
 * unit tests pin them: resource ranges and steps, the PostgreSQL/Odoo split, Odoo
 * configuration presets and parameters, environment variables, addon repositories. */
#ifndef BERTH_ENVSPEC_H
#define BERTH_ENVSPEC_H
#include <jansson.h>
#include <stdbool.h>
#include "lib/errors.h"

/* CPU is kept in hundredths of a core ("centicores") to avoid rounding drift. */
struct env_resources {
	double cpu_cores;        /* in: requested total */
	long long ram_mb, disk_gb;
	bool pg_custom;          /* in: postgres_* given by the user */
	double pg_cpu_cores;     /* in when pg_custom, else computed */
	long long pg_ram_mb;
	/* out */
	int cpu_c, pg_cpu_c, odoo_cpu_c;
	long long odoo_ram_mb;
};

/* Validates ranges and steps and computes the split: PostgreSQL gets 30% of CPU (to two
 * decimals) and RAM (to the nearest MB), at least 0.1 core and 128 MB, unless overridden
 * within 0.1-16 cores and 128-65536 MB; Odoo gets the rest. */
int env_resources_compute(struct env_resources *r, struct berr *err);

/* What an environment counts against quota and server capacity: a read replica adds 30% of
 * CPU and RAM and 100% of disk. */
void env_resources_footprint(const struct env_resources *r, bool replica, int *cpu_c,
			     long long *ram_mb, long long *disk_gb);

/* Odoo configuration: validates `in` (may be NULL) merged over `prev` (may be NULL) and
 * returns the normalized object to store. An SMTP password is taken out of it: *smtp_password
 * is set to the new password (caller frees, NULL when none given) and *smtp_password_clear
 * when smtp was removed or replaced without one. */
json_t *odoo_config_normalize(json_t *in, json_t *prev, char **smtp_password,
			      bool *smtp_password_clear, struct berr *err);
/* Effective settings for the renderer and for display: workers and cron threads resolved
 * from the preset and Odoo's share of the resources. Returns a new object
 * {preset, workers, max_cron_threads, log_level, limit_memory_soft_mb, limit_memory_hard_mb}. */
json_t *odoo_config_effective(json_t *cfg, int odoo_cpu_c, long long odoo_ram_mb,
			      const char *env_type);
/* The same values without allocating (the strings are borrowed from cfg or static). */
struct odoo_effective {
	const char *preset, *log_level;
	long long workers, max_cron_threads, limit_memory_soft_mb, limit_memory_hard_mb;
};
void odoo_config_effective_values(json_t *cfg, int odoo_cpu_c, long long odoo_ram_mb,
				  const char *env_type, struct odoo_effective *e);

int env_vars_validate(json_t *vars, struct berr *err);
/* local_allowed(url, area) says whether berthd may read the URL for the organization whose
 * area (slug) is given (a local path must be under ROOT/<area>/ of a --git-local-root):
 * callers pass git_local_allowed, so this file stays pure; NULL skips the check. */
int addon_repos_validate(json_t *repos, bool (*local_allowed)(const char *url, const char *area),
			 const char *area, struct berr *err);

bool env_type_valid(const char *t);
/* 16.0, 17.0, 18.0 or 19.0 */
bool odoo_version_valid(const char *v);
extern const char *const ODOO_VERSIONS[4];
#endif
