/* clones.h: the rules of clones and refreshes (issue 14, docs/clones.md).
 * A clone is a new environment made under every rule of create (svc/envs.h: quota, server
 * state and capacity, names, subdomain, branch), filled from its source where the request
 * says nothing, and a "clone" job on it; a refresh replaces a staging or development
 * environment's data with a fresh copy of another environment of its project ("refresh" job
 * on the target). Everything is checked before anything is copied. Callers (the API) check
 * access to both environments and the permission (project.environments.create on the
 * source's project, environment.settings on the refreshed one); every request is audited. */
#ifndef BERTH_SVC_CLONES_H
#define BERTH_SVC_CLONES_H
#include <jansson.h>
#include <stdbool.h>
#include "lib/errors.h"
#include "store/access.h"
#include "svc/envs.h"

/* A clone request: env.env_type ("staging" or "development") required, the other fields of
 * env as create takes them (NULL / has_ false: the source's). */
struct clone_in {
	struct env_in env;
	bool neutralize;    /* must be true (a copy of production never sends mail) */
	bool has_anonymize, anonymize; /* default: the source's anonymize_database setting */
};

/* The clone of source_id (acc: the actor's access to it): {"environment_id", "job"}, or NULL
 * with err: VALIDATION_ERROR (env_type, neutralize), CONFLICT (source not running or
 * stopped), and create's codes. */
json_t *svc_env_clone(const struct actor *a, const char *ip, const struct access *acc,
		      const char *source_id, const struct clone_in *in, struct berr *err);
/* Refreshes target_id from from_id (the actor's access to both checked by the caller): the
 * job, or NULL with err: VALIDATION_ERROR (from: the target itself, another project),
 * CONFLICT (target production, source not running or stopped). */
json_t *svc_env_refresh(const struct actor *a, const char *ip, const char *target_id,
			const char *from_id, struct berr *err);
#endif
