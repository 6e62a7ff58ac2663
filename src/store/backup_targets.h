/* backup_targets.h: an organization's backup storage targets (table backup_targets, migration
 * 7). Rows render as the API's target: {id, name, kind, is_default, config, has_secret,
 * created_at, updated_at}; the sealed secret is never part of them (SECRET column), it is read
 * only by ops/backup_targets.c. Every organization has one built-in target named "local"
 * (kind local), made by backup_targets_ensure_local. Functions that take an org_id trust it. */
#ifndef BERTH_STORE_BACKUP_TARGETS_H
#define BERTH_STORE_BACKUP_TARGETS_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include "lib/errors.h"

#define BACKUP_TARGETS_MAX 20 /* per organization, the built-in one included */

/* Makes the organization's built-in local target when it has none (default when no other
 * target is). 0 or -1. */
int backup_targets_ensure_local(const char *org_id);
/* The organization's targets, the local one first, then oldest first. */
json_t *backup_targets_list(const char *org_id);
/* One target, or NULL when it is not org_id's. */
json_t *backup_targets_get(const char *org_id, const char *id);
/* The id of the organization's default target (its local one when none other is), making
 * the local one when needed; caller frees; NULL on error. */
char *backup_targets_default_id(const char *org_id);

struct backup_target_new {
	const char *org_id, *name, *kind, *sealed_secret, *created_by;
	json_t *config;
	bool is_default;
};
/* 0 (id_out filled), -2 when the name is taken, -3 over BACKUP_TARGETS_MAX, -1 on error. One
 * transaction (a new default takes it from the others). */
int backup_targets_insert(const struct backup_target_new *n, char id_out[37]);

struct backup_target_change {
	const char *name;          /* NULL keeps */
	json_t *config;            /* the whole new config; NULL keeps */
	const char *sealed_secret; /* NULL keeps */
	int is_default;            /* 1 makes it the default, 0 gives it back to local, -1 keeps */
};
/* 0, -2 name taken, -1 error (also when the target is not org_id's: check first). */
int backup_targets_update(const char *org_id, const char *id,
			  const struct backup_target_change *c);
/* Removes a target that no backup refers to; the local target takes the default back.
 * 1 removed, 0 no such target, -1 error, -2 still referenced (*n_backups says by how many). */
int backup_targets_delete(const char *org_id, const char *id, int64_t *n_backups);
/* The sealed secret (caller frees), or NULL. */
char *backup_targets_secret(const char *org_id, const char *id);
/* Pins an SFTP target's host key when none is pinned yet (config.host_key). 1 pinned, 0 one
 * already was, -1 error. */
int backup_targets_pin_host_key(const char *id, const char *fingerprint);
#endif
