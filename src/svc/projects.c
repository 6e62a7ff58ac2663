/* projects.c: the rules for projects (see projects.h). */
#include "svc/projects.h"

#include <stdio.h>
#include <string.h>

#include "core/envspec.h"
#include "core/repo.h"
#include "lib/secret.h"
#include "lib/util.h"
#include "lib/valid.h"
#include "store/db.h"
#include "store/envs.h"
#include "store/model.h"
#include "store/projects.h"

void svc_project_in_free(struct project_in *in)
{
	secret_free(in->key_private);
	free(in->key_public);
	in->key_private = in->key_public = NULL;
}

int svc_project_check(struct project_in *in, const char *org_id, struct berr *err)
{
	if (in->has_poll && in->poll_interval > 0 && in->poll_interval < 10)
		return berr_set(err, BE_VALIDATION_ERROR, "poll_interval_s",
				"poll_interval_s: 0 (no polling) or 10 to 86400 seconds");
	if (in->access_token && (!*in->access_token || strpbrk(in->access_token, " \t\r\n")))
		return berr_set(err, BE_VALIDATION_ERROR, "access_token",
				"access_token: must be a token without spaces");
	if (in->git_username && (!*in->git_username || strpbrk(in->git_username, " \t\r\n:")))
		return berr_set(err, BE_VALIDATION_ERROR, "git_username",
				"git_username: must be a user name without spaces or ':'");
	if (in->name && !*in->name)
		return berr_set(err, BE_VALIDATION_ERROR, "name", "name: must not be empty");
	if (in->odoo_version && !odoo_version_valid(in->odoo_version))
		return berr_set(err, BE_VALIDATION_ERROR, "odoo_version",
				"odoo_version: must be one of 16.0, 17.0, 18.0, 19.0");
	if (in->repository_url && *in->repository_url && !valid_git_url(in->repository_url))
		return berr_set(err, BE_VALIDATION_ERROR, "repository_url",
				"repository_url: must be an https://, ssh:// or git@host:path URL or an"
				" absolute path");
	/* "https://user:secret@host/..." would store and show a credential in clear */
	if (in->repository_url && git_url_has_password(in->repository_url))
		return berr_set(err, BE_VALIDATION_ERROR, "repository_url",
				"repository_url: must not hold a password; give it as access_token (it is"
				" stored encrypted)");
	if (in->repository_url && *in->repository_url && git_url_is_local(in->repository_url)) {
		char *area = project_org_slug(org_id);
		bool ok = git_local_allowed(in->repository_url, area);
		free(area);
		if (!ok)
			return berr_set(err, BE_VALIDATION_ERROR, "repository_url",
					"repository_url: local repositories must exist under the"
					" organization's directory ROOT/<organization slug>/ of a directory"
					" berthd was started with (--git-local-root)");
	}
	if (in->default_branch && !valid_git_ref(in->default_branch))
		return berr_set(err, BE_VALIDATION_ERROR, "default_branch",
				"default_branch: not a valid git branch name");
	if (in->deploy_key && str_eq(in->deploy_key, "generate")) {
		char comment[80];
		snprintf(comment, sizeof comment, "berth-%.40s", in->name ? in->name : "project");
		for (char *c = comment; *c; c++)
			if (*c == ' ' || (unsigned char)*c < ' ')
				*c = '-';
		if (git_keygen(comment, &in->key_private, &in->key_public, err) < 0)
			return -1;
	} else if (in->deploy_key) {
		in->key_public = git_public_key(in->deploy_key, err);
		if (!in->key_public)
			return -1;
		in->key_private = xstrdup(in->deploy_key);
	}
	return 0;
}

/* The credential fields of a request as a change (sealed: free the two sealed strings). */
static void credentials_change(const struct project_in *in, struct project_change *c)
{
	c->has_deploy_key = in->has_key;
	c->deploy_key_sealed = in->has_key && in->key_private ? secret_seal(in->key_private) : NULL;
	c->deploy_public_key = in->key_public;
	c->has_access_token = in->has_token;
	c->access_token_sealed = in->has_token && in->access_token ? secret_seal(in->access_token)
								   : NULL;
	c->has_git_username = in->has_user;
	c->git_username = in->git_username;
	c->has_poll_interval = in->has_poll;
	c->poll_interval_s = in->poll_interval;
}

static void credentials_free(struct project_change *c)
{
	free((char *)c->deploy_key_sealed);
	free((char *)c->access_token_sealed);
}

struct create_tx {
	const struct actor *a;
	const char *ip, *org_id;
	const struct project_in *in;
	json_t *audit;
	char *id, *slug, *secret;
	struct project_change creds;
};

static int create_tx(void *ctx, struct berr *err)
{
	struct create_tx *t = ctx;
	secret_free(t->secret);
	t->secret = NULL;
	struct usage u;
	model_org_usage(t->org_id, NULL, &u);
	json_t *plan = model_org_plan(t->org_id);
	long long max = json_integer_value(json_object_get(plan, "max_projects"));
	json_decref(plan);
	if (u.projects >= max)
		return berr_set(err, BE_QUOTA_EXCEEDED, NULL,
				"Cannot create project - project quota exceeded (%lld of %lld)", u.projects,
				max);
	const struct project_in *in = t->in;
	struct project_new n = {
		.id = t->id, .org_id = t->org_id, .name = in->name, .slug = t->slug,
		.odoo_version = in->odoo_version,
		.repository_url = in->repository_url && *in->repository_url ? in->repository_url : NULL,
		.default_branch = in->default_branch ? in->default_branch : "main",
	};
	int rc = project_insert(&n);
	if (rc == -2)
		return berr_set(err, BE_NAME_EXISTS, "name",
				"A project with the slug '%s' already exists in this organization",
				t->slug);
	if (rc < 0 || project_update(t->id, &t->creds) < 0)
		return berr_set(err, BE_INTERNAL_ERROR, NULL, NULL);
	t->secret = repo_webhook_secret_new(t->id);
	model_audit(t->org_id, t->a->user_id, t->a->email, "project.create", "project", t->id,
		    json_incref(t->audit), t->ip);
	return 0;
}

int svc_project_create(const struct actor *a, const char *ip, const char *org_id,
		       const struct project_in *in, json_t *audit, char id[37], char **webhook_secret,
		       struct berr *err)
{
	struct create_tx t = {.a = a, .ip = ip, .org_id = org_id, .in = in, .audit = audit, .id = id};
	uuid4(id);
	t.slug = slugify(in->name, 40);
	credentials_change(in, &t.creds);
	int rc = db_tx(create_tx, &t, err);
	credentials_free(&t.creds);
	free(t.slug);
	json_decref(audit);
	if (rc != 0) {
		secret_free(t.secret);
		return -1;
	}
	*webhook_secret = t.secret;
	return 0;
}

struct update_tx {
	const struct actor *a;
	const char *ip, *org_id, *id;
	const struct project_in *in;
	json_t *audit;
	struct project_change *c;
};

static int update_tx(void *ctx, struct berr *err)
{
	struct update_tx *t = ctx;
	if (t->in->odoo_version && project_version_locked(t->id, t->in->odoo_version))
		return berr_set(err, BE_CONFLICT, "odoo_version",
				"odoo_version: cannot change while the project has environments");
	if (project_update(t->id, t->c) < 0)
		return berr_set(err, BE_INTERNAL_ERROR, NULL, NULL);
	model_audit(t->org_id, t->a->user_id, t->a->email, "project.update", "project", t->id,
		    json_incref(t->audit), t->ip);
	return 0;
}

int svc_project_update(const struct actor *a, const char *ip, const char *org_id,
		       const char *project_id, const struct project_in *in, json_t *audit,
		       struct berr *err)
{
	struct project_change c = {
		.name = in->name, .odoo_version = in->odoo_version, .default_branch = in->default_branch,
		.has_repository_url = in->has_repo,
		.repository_url = in->repository_url && *in->repository_url ? in->repository_url : NULL,
		.touch = true,
	};
	credentials_change(in, &c);
	struct update_tx t = {.a = a, .ip = ip, .org_id = org_id, .id = project_id, .in = in,
			      .audit = audit, .c = &c};
	int rc = db_tx(update_tx, &t, err);
	credentials_free(&c);
	json_decref(audit);
	return rc == 0 ? 0 : -1;
}

struct delete_tx {
	const struct actor *a;
	const char *ip, *org_id, *id;
};

static int delete_tx(void *ctx, struct berr *err)
{
	struct delete_tx *t = ctx;
	if (env_count_of_project(t->id) > 0)
		return berr_set(err, BE_CONFLICT, NULL,
				"The project still has environments: remove them first");
	if (project_delete(t->id) < 0)
		return berr_set(err, BE_INTERNAL_ERROR, NULL, NULL);
	model_audit(t->org_id, t->a->user_id, t->a->email, "project.delete", "project", t->id, NULL,
		    t->ip);
	return 0;
}

int svc_project_delete(const struct actor *a, const char *ip, const char *org_id,
		       const char *project_id, struct berr *err)
{
	struct delete_tx t = {.a = a, .ip = ip, .org_id = org_id, .id = project_id};
	if (db_tx(delete_tx, &t, err) != 0)
		return -1;
	repo_forget(project_id);
	return 0;
}

struct rotate_tx {
	const struct actor *a;
	const char *ip, *org_id, *id;
	char *secret;
};

static int rotate_tx(void *ctx, struct berr *err)
{
	(void)err;
	struct rotate_tx *t = ctx;
	secret_free(t->secret);
	t->secret = repo_webhook_secret_new(t->id);
	model_audit(t->org_id, t->a->user_id, t->a->email, "project.webhook.rotate", "project", t->id,
		    NULL, t->ip);
	return 0;
}

char *svc_project_webhook_rotate(const struct actor *a, const char *ip, const char *org_id,
				 const char *project_id, struct berr *err)
{
	struct rotate_tx t = {.a = a, .ip = ip, .org_id = org_id, .id = project_id};
	if (db_tx(rotate_tx, &t, err) != 0) {
		secret_free(t.secret);
		return NULL;
	}
	return t.secret;
}

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

json_t *svc_project_json(const char *project_id)
{
	json_t *p = project_json_get(project_id);
	if (p)
		project_decorate(p);
	return p;
}

json_t *svc_projects_json(const char *org_id, json_t *project_ids)
{
	json_t *a = project_json_of_org(org_id, project_ids);
	size_t i;
	json_t *p;
	json_array_foreach(a, i, p)
		project_decorate(p);
	return a;
}
