/* plans.h: the rules for plans (the platform administrator's; the caller checks that). */
#ifndef BERTH_SVC_PLANS_H
#define BERTH_SVC_PLANS_H
#include "lib/errors.h"
#include "store/plans.h"

/* Creates a plan (every field of p given; the caller's parse requires them). 0 (id filled)
 * or -1 (NAME_EXISTS, INTERNAL_ERROR). */
int svc_plan_create(const struct plan_patch *p, char id[37], struct berr *err);
int svc_plan_update(const char *id, const struct plan_patch *p, struct berr *err);
/* PLAN_NOT_FOUND, or CONFLICT while organizations use it. */
int svc_plan_delete(const char *id, struct berr *err);
#endif
