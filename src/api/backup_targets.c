/* backup_targets.c: an organization's backup storage targets (docs/backups.md, "Where backups
 * live"): list and read (environment.backup), create, change, delete and test (org.update). */
#include <string.h>

#include "api/auth.h"
#include "api/http.h"
#include "lib/jspec.h"
#include "svc/backup_targets.h"

static int guard(struct req *r, struct access *acc, const char *perm)
{
	if (access_org(&r->actor, r->params[0], acc, &r->err) < 0)
		return -1;
	if (perm_require(acc, perm, &r->err) < 0) {
		access_release(acc);
		return -1;
	}
	return 0;
}

static int parse(struct req *r, struct backup_target_in *in)
{
	memset(in, 0, sizeof *in);
	struct jfield spec[] = {
		{.name = "name", .type = J_STRING, .dest = &in->name, .maxlen = 63},
		{.name = "kind", .type = J_STRING, .dest = &in->kind, .maxlen = 16},
		{.name = "config", .type = J_OBJECT, .dest = &in->config},
		{.name = "is_default", .type = J_BOOL, .dest = &in->is_default,
		 .present = &in->has_default},
		{.name = "private_key", .type = J_STRING, .dest = &in->private_key, .maxlen = 16384,
		 .multiline = true},
		{.name = "password", .type = J_STRING, .dest = &in->password, .maxlen = 1024},
		{.name = "secret_access_key", .type = J_STRING, .dest = &in->secret_access_key,
		 .maxlen = 256},
		{.name = "reset_host_key", .type = J_BOOL, .dest = &in->reset_host_key},
		JF_END,
	};
	return jspec_parse(req_body(r), spec, NULL, &r->err);
}

static int h_list(struct req *r)
{
	struct access acc;
	if (guard(r, &acc, "environment.backup") < 0)
		return reply_berr(r);
	json_t *l = svc_backup_targets_list(acc.org_id);
	access_release(&acc);
	return reply_json(r, 200, l);
}

static int h_create(struct req *r)
{
	struct access acc;
	struct backup_target_in in;
	if (guard(r, &acc, "org.update") < 0)
		return reply_berr(r);
	json_t *t = parse(r, &in) < 0
		? NULL
		: svc_backup_target_create(&r->actor, r->ip, acc.org_id, &in, &r->err);
	access_release(&acc);
	return t ? reply_json(r, 201, t) : reply_berr(r);
}

static int h_get(struct req *r)
{
	struct access acc;
	if (guard(r, &acc, "environment.backup") < 0)
		return reply_berr(r);
	json_t *t = svc_backup_target_get(acc.org_id, r->params[1], &r->err);
	access_release(&acc);
	return t ? reply_json(r, 200, t) : reply_berr(r);
}

static int h_update(struct req *r)
{
	struct access acc;
	struct backup_target_in in;
	if (guard(r, &acc, "org.update") < 0)
		return reply_berr(r);
	json_t *t = parse(r, &in) < 0
		? NULL
		: svc_backup_target_update(&r->actor, r->ip, acc.org_id, r->params[1], &in, &r->err);
	access_release(&acc);
	return t ? reply_json(r, 200, t) : reply_berr(r);
}

static int h_delete(struct req *r)
{
	struct access acc;
	if (guard(r, &acc, "org.update") < 0)
		return reply_berr(r);
	int rc = svc_backup_target_delete(&r->actor, r->ip, acc.org_id, r->params[1], &r->err);
	access_release(&acc);
	return rc < 0 ? reply_berr(r) : reply_no_content(r);
}

static int h_test(struct req *r)
{
	struct access acc;
	if (guard(r, &acc, "org.update") < 0)
		return reply_berr(r);
	static const struct jfield none[] = {JF_END};
	json_t *t = jspec_parse(req_body(r), none, NULL, &r->err) < 0
		? NULL
		: svc_backup_target_test(&r->actor, r->ip, acc.org_id, r->params[1], &r->err);
	access_release(&acc);
	return t ? reply_json(r, 200, t) : reply_berr(r);
}

const struct route backup_target_routes[] = {
	{"GET", "/api/v1/orgs/{}/backup-targets", h_list, 0},
	{"POST", "/api/v1/orgs/{}/backup-targets", h_create, 0},
	{"GET", "/api/v1/orgs/{}/backup-targets/{}", h_get, 0},
	{"PATCH", "/api/v1/orgs/{}/backup-targets/{}", h_update, 0},
	{"DELETE", "/api/v1/orgs/{}/backup-targets/{}", h_delete, 0},
	{"POST", "/api/v1/orgs/{}/backup-targets/{}/test", h_test, 0},
	{NULL, NULL, NULL, 0},
};
