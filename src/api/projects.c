/* projects.c: projects of an organization (an Odoo version and a git repository). */
#include <string.h>

#include "api/auth.h"
#include "api/http.h"
#include "core/envspec.h"
#include "core/repo.h"
#include "lib/secret.h"
#include "lib/jspec.h"
#include "lib/valid.h"
#include "store/db.h"
#include "store/model.h"


static const char *PROJECT_SELECT =
	"SELECT p.id, p.org_id, p.name, p.slug, p.odoo_version, p.repository_url, p.default_branch,"
	" p.deploy_key IS NOT NULL AS has_deploy_key, p.deploy_public_key,"
	" p.access_token IS NOT NULL AS has_access_token, p.git_username, p.poll_interval_s,"
	" p.last_poll_error,"
	" (SELECT count(*) FROM environments e WHERE e.project_id=p.id) AS environment_count,"
	" p.created_at, p.updated_at FROM projects p";

static void project_decorate(json_t *p)
{
	const char *flags[] = {"has_deploy_key", "has_access_token"};
	for (size_t i = 0; i < ARRAY_SIZE(flags); i++)
		json_object_set_new(p, flags[i],
				    json_boolean(json_integer_value(json_object_get(p, flags[i])) != 0));
	char *url = repo_webhook_url(json_string_value(json_object_get(p, "id")));
	json_object_set_new(p, "webhook_url", json_string(url));
	free(url);
}

static json_t *project_get(const char *id)
{
	char *sql = xasprintf("%s WHERE p.id=?", PROJECT_SELECT);
	json_t *p = db_row(sql, "s", id);
	free(sql);
	if (p)
		project_decorate(p);
	return p;
}

struct project_in {
	const char *name, *odoo_version, *repository_url, *default_branch;
	const char *deploy_key, *access_token, *git_username;
	long long poll_interval;
	bool has_repo, has_key, has_token, has_user, has_poll;
	/* derived */
	char *key_private, *key_public;
};

static void project_in_free(struct project_in *in)
{
	secret_free(in->key_private);
	free(in->key_public);
}

/* "https://user:secret@host/..." would store and show a credential in clear. */
static bool url_has_password(const char *url)
{
	const char *p = strstr(url, "://");
	if (!p || git_url_is_local(url))
		return false;
	p += 3;
	size_t auth = strcspn(p, "/");
	const char *at = memchr(p, '@', auth);
	return at && memchr(p, ':', (size_t)(at - p));
}

static int parse_project(struct req *r, struct project_in *in, bool create)
{
	struct jfield spec[] = {
		{.name = "name", .type = J_STRING, .required = create, .dest = &in->name, .maxlen = 100},
		{.name = "odoo_version", .type = J_STRING, .required = create, .dest = &in->odoo_version},
		{.name = "repository_url", .type = J_STRING, .dest = &in->repository_url,
		 .present = &in->has_repo, .nullable = true, .maxlen = 1024},
		{.name = "default_branch", .type = J_STRING, .dest = &in->default_branch, .maxlen = 200},
		{.name = "deploy_key", .type = J_STRING, .dest = &in->deploy_key, .present = &in->has_key,
		 .nullable = true, .maxlen = 16384, .multiline = true},
		{.name = "access_token", .type = J_STRING, .dest = &in->access_token,
		 .present = &in->has_token, .nullable = true, .maxlen = 1024},
		{.name = "git_username", .type = J_STRING, .dest = &in->git_username,
		 .present = &in->has_user, .nullable = true, .maxlen = 100},
		{.name = "poll_interval_s", .type = J_INT, .dest = &in->poll_interval,
		 .present = &in->has_poll, .imin = 0, .imax = 86400},
		JF_END,
	};
	if (jspec_parse(req_body(r), spec, NULL, &r->err) < 0)
		return -1;
	if (in->has_poll && in->poll_interval > 0 && in->poll_interval < 10)
		return berr_set(&r->err, BE_VALIDATION_ERROR, "poll_interval_s",
				"poll_interval_s: 0 (no polling) or 10 to 86400 seconds");
	if (in->access_token && (!*in->access_token || strpbrk(in->access_token, " \t\r\n")))
		return berr_set(&r->err, BE_VALIDATION_ERROR, "access_token",
				"access_token: must be a token without spaces");
	if (in->git_username && (!*in->git_username || strpbrk(in->git_username, " \t\r\n:")))
		return berr_set(&r->err, BE_VALIDATION_ERROR, "git_username",
				"git_username: must be a user name without spaces or ':'");
	if (in->name && !*in->name)
		return berr_set(&r->err, BE_VALIDATION_ERROR, "name", "name: must not be empty");
	if (in->odoo_version && !odoo_version_valid(in->odoo_version))
		return berr_set(&r->err, BE_VALIDATION_ERROR, "odoo_version",
				"odoo_version: must be one of 16.0, 17.0, 18.0, 19.0");
	if (in->repository_url && *in->repository_url && !valid_git_url(in->repository_url))
		return berr_set(&r->err, BE_VALIDATION_ERROR, "repository_url",
				"repository_url: must be an https://, ssh:// or git@host:path URL or an"
				" absolute path");
	if (in->repository_url && url_has_password(in->repository_url))
		return berr_set(&r->err, BE_VALIDATION_ERROR, "repository_url",
				"repository_url: must not hold a password; give it as access_token (it is"
				" stored encrypted)");
	if (in->repository_url && *in->repository_url && !git_local_allowed(in->repository_url))
		return berr_set(&r->err, BE_VALIDATION_ERROR, "repository_url",
				"repository_url: local repositories must exist under a directory berthd"
				" was started with (--git-local-root)");
	if (in->default_branch && !valid_git_ref(in->default_branch))
		return berr_set(&r->err, BE_VALIDATION_ERROR, "default_branch",
				"default_branch: not a valid git branch name");
	if (in->deploy_key && str_eq(in->deploy_key, "generate")) {
		char comment[80];
		snprintf(comment, sizeof comment, "berth-%.40s", in->name ? in->name : "project");
		for (char *c = comment; *c; c++)
			if (*c == ' ' || (unsigned char)*c < ' ')
				*c = '-';
		if (git_keygen(comment, &in->key_private, &in->key_public, &r->err) < 0)
			return -1;
	} else if (in->deploy_key) {
		in->key_public = git_public_key(in->deploy_key, &r->err);
		if (!in->key_public)
			return -1;
		in->key_private = xstrdup(in->deploy_key);
	}
	return 0;
}

/* Stores the credential fields of a parsed request (inside the caller's transaction). */
static void store_credentials(const char *id, struct project_in *in)
{
	if (in->has_key) {
		char *sealed = in->key_private ? secret_seal(in->key_private) : NULL;
		db_exec("UPDATE projects SET deploy_key=?, deploy_public_key=? WHERE id=?", "sss", sealed,
			in->key_public, id);
		free(sealed);
	}
	if (in->has_token) {
		char *sealed = in->access_token ? secret_seal(in->access_token) : NULL;
		db_exec("UPDATE projects SET access_token=? WHERE id=?", "ss", sealed, id);
		free(sealed);
	}
	if (in->has_user)
		db_exec("UPDATE projects SET git_username=? WHERE id=?", "ss", in->git_username, id);
	if (in->has_poll)
		db_exec("UPDATE projects SET poll_interval_s=?, last_polled_ts=NULL WHERE id=?", "is",
			(int64_t)in->poll_interval, id);
}

/* The request for the audit log: credentials show as "(set)" or null, never their value. */
static json_t *audit_fields(struct req *r)
{
	json_t *a = json_deep_copy(req_body(r));
	const char *secret[] = {"deploy_key", "access_token"};
	for (size_t i = 0; i < ARRAY_SIZE(secret); i++) {
		json_t *v = json_object_get(a, secret[i]);
		if (v && !json_is_null(v))
			json_object_set_new(a, secret[i], json_string(str_eq(json_string_value(v), "generate")
								      ? "generate" : "(set)"));
	}
	return a;
}

static int h_projects_list(struct req *r)
{
	struct access acc;
	if (access_org(&r->actor, r->params[0], &acc, &r->err) < 0)
		return reply_berr(r);
	char *sql = xasprintf("%s WHERE p.org_id=? AND (? IS NULL OR p.id IN"
			      " (SELECT value FROM json_each(?))) ORDER BY p.name", PROJECT_SELECT);
	json_t *a = db_rows(sql, "sjj", acc.org_id, acc.projects, acc.projects);
	free(sql);
	size_t i;
	json_t *p;
	json_array_foreach(a, i, p)
		project_decorate(p);
	access_release(&acc);
	return reply_json(r, 200, a);
}

static int h_project_create(struct req *r)
{
	struct access acc;
	if (access_org(&r->actor, r->params[0], &acc, &r->err) < 0)
		return reply_berr(r);
	struct project_in in = {0};
	char id[37];
	char *slug = NULL;
	if (perm_require(&acc, "project.create", &r->err) < 0 || parse_project(r, &in, true) < 0)
		goto fail;
	slug = slugify(in.name, 40);
	db_begin();
	struct usage u;
	model_org_usage(acc.org_id, NULL, &u);
	json_t *plan = model_org_plan(acc.org_id);
	long long max = json_integer_value(json_object_get(plan, "max_projects"));
	json_decref(plan);
	if (u.projects >= max) {
		db_rollback();
		berr_set(&r->err, BE_QUOTA_EXCEEDED, NULL,
			 "Cannot create project - project quota exceeded (%lld of %lld)", u.projects, max);
		goto fail;
	}
	uuid4(id);
	char *now = iso8601_now();
	int rc = db_exec("INSERT INTO projects(id, org_id, name, slug, odoo_version, repository_url,"
			 " default_branch, created_at, updated_at) VALUES(?,?,?,?,?,?,?,?,?)",
			 "sssssssss", id, acc.org_id, in.name, slug, in.odoo_version,
			 in.repository_url && *in.repository_url ? in.repository_url : NULL,
			 in.default_branch ? in.default_branch : "main", now, now);
	free(now);
	if (rc < 0) {
		db_rollback();
		if (rc == -2)
			berr_set(&r->err, BE_NAME_EXISTS, "name",
				 "A project with the slug '%s' already exists in this organization", slug);
		else
			berr_set(&r->err, BE_INTERNAL_ERROR, NULL, NULL);
		goto fail;
	}
	store_credentials(id, &in);
	char *secret = repo_webhook_secret_new(id);
	audit_record(r, acc.org_id, "project.create", "project", id, audit_fields(r));
	db_commit();
	free(slug);
	project_in_free(&in);
	access_release(&acc);
	json_t *out = project_get(id);
	/* shown this once; POST /projects/{id}/webhook/rotate makes a new one */
	json_object_set_new(out, "webhook_secret", json_string(secret));
	secret_free(secret);
	return reply_json(r, 201, out);
fail:
	free(slug);
	project_in_free(&in);
	access_release(&acc);
	return reply_berr(r);
}

static int h_project_get(struct req *r)
{
	struct access acc;
	json_t *p = access_project(&r->actor, r->params[0], &acc, &r->err);
	if (!p)
		return reply_berr(r);
	json_decref(p);
	access_release(&acc);
	return reply_json(r, 200, project_get(r->params[0]));
}

static int h_project_update(struct req *r)
{
	struct access acc;
	json_t *p = access_project(&r->actor, r->params[0], &acc, &r->err);
	if (!p)
		return reply_berr(r);
	json_decref(p);
	const char *id = r->params[0];
	struct project_in in = {0};
	if (perm_require(&acc, "project.update", &r->err) < 0 || parse_project(r, &in, false) < 0)
		goto fail;
	db_begin();
	if (in.odoo_version &&
	    db_int(0, "SELECT count(*) FROM environments WHERE project_id=? AND ?<>"
		      "(SELECT odoo_version FROM projects WHERE id=?)", "sss", id, in.odoo_version, id) > 0) {
		db_rollback();
		berr_set(&r->err, BE_CONFLICT, "odoo_version",
			 "odoo_version: cannot change while the project has environments");
		goto fail;
	}
	char *now = iso8601_now();
	if (in.name)
		db_exec("UPDATE projects SET name=? WHERE id=?", "ss", in.name, id);
	if (in.odoo_version)
		db_exec("UPDATE projects SET odoo_version=? WHERE id=?", "ss", in.odoo_version, id);
	if (in.has_repo)
		db_exec("UPDATE projects SET repository_url=? WHERE id=?", "ss",
			in.repository_url && *in.repository_url ? in.repository_url : NULL, id);
	if (in.default_branch)
		db_exec("UPDATE projects SET default_branch=? WHERE id=?", "ss", in.default_branch, id);
	store_credentials(id, &in);
	db_exec("UPDATE projects SET updated_at=? WHERE id=?", "ss", now, id);
	free(now);
	audit_record(r, acc.org_id, "project.update", "project", id, audit_fields(r));
	db_commit();
	project_in_free(&in);
	access_release(&acc);
	return reply_json(r, 200, project_get(id));
fail:
	project_in_free(&in);
	access_release(&acc);
	return reply_berr(r);
}

static int h_project_delete(struct req *r)
{
	struct access acc;
	json_t *p = access_project(&r->actor, r->params[0], &acc, &r->err);
	if (!p)
		return reply_berr(r);
	json_decref(p);
	int status;
	if (perm_require(&acc, "project.delete", &r->err) < 0) {
		status = reply_berr(r);
	} else if (db_int(0, "SELECT count(*) FROM environments WHERE project_id=?", "s",
			  r->params[0]) > 0) {
		status = reply_error(r, BE_CONFLICT, NULL,
				     "The project still has environments: remove them first");
	} else {
		db_exec("DELETE FROM projects WHERE id=?", "s", r->params[0]);
		repo_forget(r->params[0]);
		audit_record(r, acc.org_id, "project.delete", "project", r->params[0], NULL);
		status = reply_no_content(r);
	}
	access_release(&acc);
	return status;
}

const struct route project_routes[] = {
	{"GET", "/api/v1/orgs/{}/projects", h_projects_list, 0},
	{"POST", "/api/v1/orgs/{}/projects", h_project_create, 0},
	{"GET", "/api/v1/projects/{}", h_project_get, 0},
	{"PATCH", "/api/v1/projects/{}", h_project_update, 0},
	{"DELETE", "/api/v1/projects/{}", h_project_delete, 0},
	{NULL, NULL, NULL, 0},
};
