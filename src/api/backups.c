/* backups.c: the backup routes (docs/api.md "Backups"): create, list, status, show, download
 * (streamed, Range), restore, verify, delete, import (the body streamed to the target), and
 * the platform's backup settings. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <microhttpd.h>

#include "api/http.h"
#include "lib/jspec.h"
#include "svc/backups.h"

static int h_create(struct req *r)
{
	const char *scope = "full", *target = NULL;
	struct jfield spec[] = {
		{.name = "scope", .type = J_STRING, .dest = &scope},
		{.name = "target_id", .type = J_STRING, .dest = &target, .maxlen = 128},
		JF_END,
	};
	if (jspec_parse(req_body(r), spec, NULL, &r->err) < 0)
		return reply_berr(r);
	json_t *job = svc_backup_create(&r->actor, r->ip, r->params[0], scope, target, &r->err);
	return job ? reply_json(r, 202, job) : reply_berr(r);
}

static int h_list(struct req *r)
{
	json_t *l = svc_backups_list(&r->actor, r->params[0], &r->err);
	return l ? reply_json(r, 200, l) : reply_berr(r);
}

static int h_status(struct req *r)
{
	json_t *s = svc_backup_status(&r->actor, r->params[0], &r->err);
	return s ? reply_json(r, 200, s) : reply_berr(r);
}

static int h_get(struct req *r)
{
	json_t *b = svc_backup_get(&r->actor, r->params[0], &r->err);
	return b ? reply_json(r, 200, b) : reply_berr(r);
}

static int h_delete(struct req *r)
{
	struct jfield none[] = {JF_END};
	if (jspec_parse(req_body(r), none, NULL, &r->err) < 0)
		return reply_berr(r);
	if (svc_backup_delete(&r->actor, r->ip, r->params[0], &r->err) < 0)
		return reply_berr(r);
	return reply_no_content(r);
}

static int h_restore(struct req *r)
{
	const char *target = NULL;
	bool fs = true, safety = true;
	struct jfield spec[] = {
		{.name = "target_environment_id", .type = J_STRING, .dest = &target, .maxlen = 128,
		 .nullable = true},
		{.name = "include_filestore", .type = J_BOOL, .dest = &fs},
		{.name = "safety_backup", .type = J_BOOL, .dest = &safety},
		JF_END,
	};
	if (jspec_parse(req_body(r), spec, NULL, &r->err) < 0)
		return reply_berr(r);
	json_t *job = svc_backup_restore(&r->actor, r->ip, r->params[0], target, fs, safety, &r->err);
	return job ? reply_json(r, 202, job) : reply_berr(r);
}

static int h_verify(struct req *r)
{
	struct jfield none[] = {JF_END};
	if (jspec_parse(req_body(r), none, NULL, &r->err) < 0)
		return reply_berr(r);
	json_t *job = svc_backup_verify(&r->actor, r->ip, r->params[0], &r->err);
	return job ? reply_json(r, 202, job) : reply_berr(r);
}

/* ---- download ---- */

static ssize_t dl_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	(void)pos;
	ssize_t n = svc_backup_download_read(cls, buf, max);
	if (n == 0)
		return MHD_CONTENT_READER_END_OF_STREAM;
	if (n < 0)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	return n;
}

static void dl_free(void *cls)
{
	svc_backup_download_close(cls);
}

static int h_download(struct req *r)
{
	struct svc_download_info info;
	struct svc_download *d = svc_backup_download_open(&r->actor, r->params[0],
							  req_header(r, "Range"), &info, &r->err);
	if (!d) {
		if (r->err.code == BE_VALIDATION_ERROR && str_eq(r->err.field, "Range")) {
			r->content_range = xasprintf("bytes */%llu", (unsigned long long)info.total);
			reply_berr(r);
			return 416;
		}
		return reply_berr(r);
	}
	r->disposition = xasprintf("attachment; filename=\"%s\"", info.filename);
	r->stream_fn = dl_read;
	r->stream_cls = d;
	r->stream_free = dl_free;
	r->stream_sized = true;
	r->stream_size = info.length;
	r->content_type = "application/zip";
	if (str_ends(info.filename, ".dump"))
		r->content_type = "application/octet-stream";
	if (info.partial) {
		r->content_range = xasprintf("bytes %llu-%llu/%llu", (unsigned long long)info.start,
					     (unsigned long long)(info.start + info.length - 1),
					     (unsigned long long)info.total);
		return 206;
	}
	return 200;
}

/* ---- import: the body goes to the target as it arrives ---- */

static int up_body(struct req *r, const char *data, size_t n)
{
	return svc_backup_upload_write(r->body_cls, data, n, &r->err);
}

static void up_free(void *cls)
{
	svc_backup_upload_abort(cls); /* a client gone, or a refused piece */
}

static int query_bool(struct req *r, const char *key, bool dflt, bool *out)
{
	const char *v = req_query(r, key);
	*out = dflt;
	if (!v)
		return 0;
	if (str_eq(v, "true") || str_eq(v, "1"))
		*out = true;
	else if (str_eq(v, "false") || str_eq(v, "0"))
		*out = false;
	else
		return berr_set(&r->err, BE_VALIDATION_ERROR, key, "%s: must be true or false", key);
	return 0;
}

static int h_import(struct req *r)
{
	if (r->phase == REQ_HEADERS) {
		bool fs, safety;
		if (r->actor.read_only)
			return reply_error(r, BE_PERMISSION_DENIED, NULL, "This API key is read-only");
		if (query_bool(r, "include_filestore", true, &fs) < 0 ||
		    query_bool(r, "safety_backup", true, &safety) < 0)
			return reply_berr(r);
		const char *ct = req_header(r, "Content-Type");
		if (ct && !str_starts(ct, "application/zip") &&
		    !str_starts(ct, "application/octet-stream") &&
		    !str_starts(ct, "application/x-zip-compressed"))
			return reply_error(r, BE_UNSUPPORTED_MEDIA_TYPE, NULL,
					   "Content-Type must be application/zip or"
					   " application/octet-stream");
		const char *cl = req_header(r, "Content-Length");
		int64_t len = cl ? strtoll(cl, NULL, 10) : -1;
		struct svc_upload *u = svc_backup_upload_begin(&r->actor, r->ip, r->params[0],
							       req_query(r, "filename"), fs, safety,
							       len, &r->err);
		if (!u)
			return reply_berr(r);
		r->body_fn = up_body;
		r->body_cls = u;
		r->body_free = up_free;
		return 0;
	}
	struct svc_upload *u = r->body_cls;
	if (!u)
		return reply_error(r, BE_INTERNAL_ERROR, NULL, "the upload was not started");
	r->body_cls = NULL; /* svc_backup_upload_end frees it */
	if (r->raw_len == 0) {
		svc_backup_upload_abort(u);
		return reply_error(r, BE_VALIDATION_ERROR, "file", "file: the body is empty");
	}
	json_t *job = svc_backup_upload_end(u, &r->err);
	return job ? reply_json(r, 202, job) : reply_berr(r);
}

/* ---- platform settings ---- */

static int h_settings_get(struct req *r)
{
	if (!r->actor.is_admin)
		return reply_error(r, BE_PERMISSION_DENIED, NULL,
				   "Only the platform administrator sees the backup settings");
	return reply_json(r, 200, svc_backup_settings());
}

static int h_settings_put(struct req *r)
{
	if (!r->actor.is_admin)
		return reply_error(r, BE_PERMISSION_DENIED, NULL,
				   "Only the platform administrator changes the backup settings");
	json_t *s = svc_backup_settings_set(req_body(r), &r->err);
	return s ? reply_json(r, 200, s) : reply_berr(r);
}

const struct route backup_routes[] = {
	{"POST", "/api/v1/environments/{}/backups", h_create, 0},
	{"GET", "/api/v1/environments/{}/backups", h_list, 0},
	{"GET", "/api/v1/environments/{}/backup-status", h_status, 0},
	{"POST", "/api/v1/environments/{}/backups/import", h_import, R_RAW | R_STREAM},
	{"GET", "/api/v1/backups/{}", h_get, 0},
	{"DELETE", "/api/v1/backups/{}", h_delete, 0},
	{"GET", "/api/v1/backups/{}/download", h_download, 0},
	{"POST", "/api/v1/backups/{}/restore", h_restore, 0},
	{"POST", "/api/v1/backups/{}/verify", h_verify, 0},
	{"GET", "/api/v1/admin/backups", h_settings_get, 0},
	{"PUT", "/api/v1/admin/backups", h_settings_put, 0},
	{NULL, NULL, NULL, 0},
};
