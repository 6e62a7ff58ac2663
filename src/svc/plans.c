/* plans.c: the rules for plans. */
#include "svc/plans.h"

#include <string.h>

#include "lib/util.h"
#include "store/db.h"

struct plan_ctx {
	const char *id;
	bool create;
	const struct plan_patch *p;
};

static int write_tx(void *c_, struct berr *err)
{
	struct plan_ctx *c = c_;
	int rc = 0;
	if (c->create) /* a duplicate name fails here already (-2) */
		rc = plans_insert(c->id, c->p->name, c->p->cpu);
	if (rc == 0)
		rc = plans_apply(c->id, c->p);
	if (rc == -2)
		return berr_set(err, BE_NAME_EXISTS, "name", "A plan named '%s' already exists",
				c->p->name);
	if (rc < 0)
		return berr_set(err, BE_INTERNAL_ERROR, NULL, NULL);
	return 0;
}

static int check(const struct plan_patch *p, struct berr *err)
{
	if (p->name && !*p->name)
		return berr_set(err, BE_VALIDATION_ERROR, "name", "name: must not be empty");
	return 0;
}

int svc_plan_create(const struct plan_patch *p, char id[37], struct berr *err)
{
	if (check(p, err) < 0)
		return -1;
	uuid4(id);
	struct plan_ctx c = {.id = id, .create = true, .p = p};
	return db_tx(write_tx, &c, err);
}

int svc_plan_update(const char *id, const struct plan_patch *p, struct berr *err)
{
	if (check(p, err) < 0)
		return -1;
	struct plan_ctx c = {.id = id, .create = false, .p = p};
	return db_tx(write_tx, &c, err);
}

int svc_plan_delete(const char *id, struct berr *err)
{
	if (!plans_exists(id))
		return berr_set(err, BE_PLAN_NOT_FOUND, NULL, NULL);
	if (plans_orgs_using(id) > 0)
		return berr_set(err, BE_CONFLICT, NULL, "The plan is in use by organizations");
	if (plans_delete(id) < 0)
		return berr_set(err, BE_INTERNAL_ERROR, NULL, NULL);
	return 0;
}
