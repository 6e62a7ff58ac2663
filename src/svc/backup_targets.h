/* backup_targets.h: the rules of an organization's backup storage targets (the caller checked
 * the permission: org.update to change or test, environment.backup to list). See
 * docs/backups.md, "Where backups live". */
#ifndef BERTH_SVC_BACKUP_TARGETS_H
#define BERTH_SVC_BACKUP_TARGETS_H
#include <jansson.h>
#include <stdbool.h>
#include "lib/errors.h"
#include "store/access.h"

struct backup_target_in {
	const char *name;      /* NULL: unchanged (update) */
	const char *kind;      /* "sftp" or "s3" (create only) */
	json_t *config;        /* the kind's fields; NULL: unchanged (update) */
	bool is_default, has_default;
	/* secrets, write-only: sftp private_key or password, s3 secret_access_key */
	const char *private_key, *password, *secret_access_key;
	bool reset_host_key;   /* sftp: forget the pinned host key (update) */
};

/* The organization's targets (its built-in local one made when missing). */
json_t *svc_backup_targets_list(const char *org_id);
json_t *svc_backup_target_get(const char *org_id, const char *id, struct berr *err);
json_t *svc_backup_target_create(const struct actor *a, const char *ip, const char *org_id,
				 const struct backup_target_in *in, struct berr *err);
json_t *svc_backup_target_update(const struct actor *a, const char *ip, const char *org_id,
				 const char *id, const struct backup_target_in *in,
				 struct berr *err);
/* 409 CONFLICT for the built-in local target and for a target backups are stored on. */
int svc_backup_target_delete(const struct actor *a, const char *ip, const char *org_id,
			     const char *id, struct berr *err);
/* Writes, reads back and deletes a probe object; an SFTP target without a pinned host key
 * gets the one its server presented. {ok, error, duration_ms, host_key, host_key_pinned}. */
json_t *svc_backup_target_test(const struct actor *a, const char *ip, const char *org_id,
			       const char *id, struct berr *err);
#endif
