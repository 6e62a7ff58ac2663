/* actions.h: actions on an environment asked through the API (deploy, restart, stop, start,
 * merge, remove), each queued as a job through the one rule of core/actions.h: an
 * environment being removed takes none (CONFLICT), and an identical job still queued is
 * answered instead of a second one. Callers (the API) check access and the action's
 * permission first; the action is audited as the actor, from ip. */
#ifndef BERTH_SVC_ACTIONS_H
#define BERTH_SVC_ACTIONS_H
#include <jansson.h>
#include <stdbool.h>
#include "lib/errors.h"
#include "store/access.h"

/* The queued job (new, or the identical one already queued), or NULL with err set.
 * params is borrowed (NULL: {}). */
json_t *svc_env_action(const struct actor *a, const char *ip, const char *env_id,
		       const char *type, json_t *params, struct berr *err);
/* Merge the environment's branch into target_branch: refused (VALIDATION_ERROR) for its own
 * branch, (PLAN_FEATURE_UNAVAILABLE) when the organization's plan has no merge, (CONFLICT)
 * when the project has no repository. The queued job, or NULL with err set. */
json_t *svc_env_merge(const struct actor *a, const char *ip, const char *org_id,
		      const char *env_id, const char *target_branch, struct berr *err);

/* A job as its reader may see it: an environment's job follows the environment's project
 * restrictions; a job of a removed environment (or a server's job) its organization's
 * membership. The job JSON, or NULL with NOT_FOUND. */
json_t *svc_job_visible(const struct actor *a, const char *job_id, struct berr *err);
/* Cancels a job (permission environment.deploy in its organization). The job after, or NULL
 * with err set. */
json_t *svc_job_cancel(const struct actor *a, const char *job_id, struct berr *err);
/* Jobs of an organization, newest first, as the member may see them. */
json_t *svc_org_jobs(const struct access *acc, const char *status, long long limit);

/* Platform settings: the Odoo image of each version. */
json_t *svc_odoo_images(void);
/* body: [{"version", "image"}, ...] replaces those versions' images; the whole list after, or
 * NULL with VALIDATION_ERROR. */
json_t *svc_odoo_images_set(json_t *body, struct berr *err);
/* An image reference as Docker takes it ([registry[:port]/]name[:tag][@digest]): the one
 * validator of the platform's image settings (Odoo images, the IDE image). */
bool svc_image_ref_valid(const char *s);
#endif
