/* plans.h: the plans table (quotas and feature gates) and its writes. Reads for the API stay
 * model_plan_get / model_org_plan (store/model.h). */
#ifndef BERTH_STORE_PLANS_H
#define BERTH_STORE_PLANS_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define PLAN_NLIMITS 6
#define PLAN_NGATES 7
/* Column names: integer limits and boolean feature gates. */
extern const char *const plan_limits[PLAN_NLIMITS];
extern const char *const plan_gates[PLAN_NGATES];

/* A change; only what is set changes. */
struct plan_patch {
	const char *name;
	double cpu;
	bool has_cpu;
	long long lim[PLAN_NLIMITS];
	bool has_lim[PLAN_NLIMITS];
	bool gate[PLAN_NGATES], has_gate[PLAN_NGATES];
	bool is_default, has_default;
};

/* A new plan with every limit 0 (apply a patch next). 0, -2 the name is taken, -1 error. */
int plans_insert(const char *id, const char *name, double cpu);
/* 0, -2 the name is taken, -1 error. Run inside one transaction. */
int plans_apply(const char *id, const struct plan_patch *p);
json_t *plans_list(void); /* every plan, cheapest first */
bool plans_exists(const char *id);
int64_t plans_orgs_using(const char *id);
int plans_delete(const char *id);
#endif
