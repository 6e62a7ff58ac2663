/* backups.h: the rules of backups (docs/backups.md): who may back up (environment.backup,
 * production and staging only, the plan's allow_backup), restore, import and delete
 * (environment.restore: owner and admin), and the API's Backup JSON. A backup of an
 * environment the caller cannot see answers BACKUP_NOT_FOUND. */
#ifndef BERTH_SVC_BACKUPS_H
#define BERTH_SVC_BACKUPS_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "lib/errors.h"
#include "store/access.h"

/* POST /environments/{id}/backups: the queued job (with backup_id), or NULL. */
json_t *svc_backup_create(const struct actor *a, const char *ip, const char *env_id,
			  const char *scope, const char *target_id, struct berr *err);
json_t *svc_backups_list(const struct actor *a, const char *env_id, struct berr *err);
json_t *svc_backup_status(const struct actor *a, const char *env_id, struct berr *err);
json_t *svc_backup_get(const struct actor *a, const char *id, struct berr *err);
int svc_backup_delete(const struct actor *a, const char *ip, const char *id, struct berr *err);
/* target_env_id NULL: the backup's own environment. The queued job, or NULL. */
json_t *svc_backup_restore(const struct actor *a, const char *ip, const char *id,
			   const char *target_env_id, bool include_filestore, bool safety_backup,
			   struct berr *err);
json_t *svc_backup_verify(const struct actor *a, const char *ip, const char *id,
			  struct berr *err);

/* Downloads: range "bytes=a-b" (or NULL). */
struct svc_download;
struct svc_download_info {
	uint64_t total, start, length;
	bool partial;
	char filename[160];
};
struct svc_download *svc_backup_download_open(const struct actor *a, const char *id,
					      const char *range, struct svc_download_info *info,
					      struct berr *err);
ssize_t svc_backup_download_read(struct svc_download *d, void *buf, size_t n);
void svc_backup_download_close(struct svc_download *d);

/* Uploads (import): begin checks everything and opens the object on the target; write
 * takes the body in pieces; end records the backup and queues the import job (returned);
 * abort drops what was written (a client gone, a refused piece). */
struct svc_upload;
struct svc_upload *svc_backup_upload_begin(const struct actor *a, const char *ip,
					   const char *env_id, const char *filename,
					   bool include_filestore, bool safety_backup,
					   int64_t content_length, struct berr *err);
int svc_backup_upload_write(struct svc_upload *u, const void *data, size_t n, struct berr *err);
json_t *svc_backup_upload_end(struct svc_upload *u, struct berr *err);
void svc_backup_upload_abort(struct svc_upload *u);
/* The platform's upload limit (bytes; setting backup_upload_max_bytes, default 50 GB). */
uint64_t svc_backup_upload_max(void);
json_t *svc_backup_settings(void);
json_t *svc_backup_settings_set(json_t *body, struct berr *err);
#endif
