/* settings.h: the settings API's rules (GET/PUT /environments/{id}/settings/{tab}, see
 * docs/settings.md): one sub-tab of an environment's settings at a time, validated against
 * the registry (core/settings.h) and the plan, stored through the environment's update, with
 * what applying the change needs and, for the edge's tabs or on ?apply=now, the job that
 * applies it. Extra domains are unique across the platform (store/env_domains.h). Callers
 * (the API) check access to the environment first. */
#ifndef BERTH_SVC_SETTINGS_H
#define BERTH_SVC_SETTINGS_H
#include <jansson.h>
#include <stdbool.h>
#include "lib/errors.h"
#include "store/access.h"
#include "store/envs.h"

/* {tab, values, fields, locked, info}, or NULL with NOT_FOUND (an unknown tab) or
 * ENVIRONMENT_NOT_FOUND. */
json_t *svc_settings_get(const char *env_id, const char *tab, struct berr *err);
/* Saves body (keys of the tab only) and answers {tab, values, fields, locked, info, changed,
 * ignored_keys, apply}; apply_now queues what a soft or hard restart or a rebuild needs.
 * Checks the permission environment.settings (and environment.restart or
 * environment.deploy for apply_now), audits "environment.settings" with the tab and the
 * changed keys. NULL with err set, and nothing stored. */
json_t *svc_settings_put(const struct actor *a, const char *ip, const struct access *acc,
			 const char *env_id, const char *tab, json_t *body, bool apply_now,
			 struct berr *err);

/* Extra domains of a settings patch (no-op without extra_domains), shared with PATCH
 * /environments/{id}: the check (listed once, not a system subdomain, no other
 * environment's: DOMAIN_EXISTS) before the transaction, the store inside it. */
int svc_settings_domains_check(const struct env_row *cur, json_t *patch, struct berr *err);
int svc_settings_domains_store(const char *env_id, json_t *patch, struct berr *err);

/* The reserved keys an odoo.conf or postgresql.conf text of the settings holds (ignored by
 * the renderer), as a JSON array. */
json_t *svc_settings_ignored_keys(const char *tab, json_t *settings);
#endif
