/* clones.c: the rules of clones and refreshes (see clones.h). */
#include "svc/clones.h"

#include <stdio.h>
#include <string.h>
#include <sodium.h>

#include "core/actions.h"
#include "core/envspec.h"
#include "core/settings.h"
#include "jobs/queue.h"
#include "lib/util.h"
#include "store/clones.h"
#include "store/envs.h"
#include "store/model.h"

static int source_ready(const struct env_row *s, struct berr *err)
{
	if (!str_eq(s->status, "running") && !str_eq(s->status, "stopped"))
		return berr_set(err, BE_CONFLICT, NULL,
				"Environment '%s' is %s: only a running or stopped environment can be"
				" copied", s->name, s->status);
	return 0;
}

/* name, then name-2, name-3 ... until free in the project (names) or anywhere
 * (subdomains). */
static char *free_name(const char *base, const char *project_id)
{
	char b[64];
	snprintf(b, sizeof b, "%.56s", base);
	for (int i = 1;; i++) {
		char *cand = i == 1 ? xstrdup(b) : xasprintf("%s-%d", b, i);
		bool taken = project_id ? env_name_taken(project_id, cand)
					: env_subdomain_taken(cand, NULL);
		if (!taken)
			return cand;
		free(cand);
	}
}

struct clone_tx {
	const struct actor *a;
	const char *ip, *org_id, *source_id, *source_name;
	json_t *params;
	json_t *job; /* made in the transaction */
};

/* In create's transaction, once the new row is written: its source, the administrator's
 * password of the copied database (the source's), the job, the audit. */
static int clone_in_tx(void *cls, const char *env_id, struct berr *err)
{
	struct clone_tx *t = cls;
	json_decref(t->job); /* a retried transaction starts over */
	t->job = NULL;
	if (clones_set_source(env_id, t->source_id) < 0 ||
	    clones_copy_admin_password(env_id, t->source_id) < 0)
		return berr_set(err, BE_INTERNAL_ERROR, NULL, "cannot record the clone's source");
	char *vm = env_server_of(env_id);
	t->job = queue_enqueue(t->org_id, env_id, vm, "clone", t->params, t->a->user_id,
			       t->a->email);
	free(vm);
	if (!t->job)
		return berr_set(err, BE_INTERNAL_ERROR, NULL, "cannot queue the clone job");
	model_audit(t->org_id, t->a->user_id, t->a->email, "environment.clone", "environment",
		    env_id,
		    json_pack("{s:s,s:s,s:O,s:O}", "source_id", t->source_id, "source", t->source_name,
			      "job", json_object_get(t->job, "id"), "anonymize",
			      json_object_get(t->params, "anonymize")),
		    t->ip);
	return 0;
}

json_t *svc_env_clone(const struct actor *a, const char *ip, const struct access *acc,
		      const char *source_id, const struct clone_in *ci, struct berr *err)
{
	const char *type = ci->env.env_type;
	if (!type)
		return berr_set(err, BE_VALIDATION_ERROR, "env_type",
				"env_type: required (staging or development)"), NULL;
	if (str_eq(type, "production"))
		return berr_set(err, BE_VALIDATION_ERROR, "env_type",
				"env_type: a clone is staging or development, never production (a"
				" production database is made by deploying production)"), NULL;
	if (!env_type_valid(type))
		return berr_set(err, BE_VALIDATION_ERROR, "env_type",
				"env_type: must be staging or development"), NULL;
	if (!ci->neutralize)
		return berr_set(err, BE_VALIDATION_ERROR, "neutralize",
				"neutralize: must be true: a copy that is not production is always"
				" neutralized (no mail sent, no scheduled actions, payments in test mode)"),
		       NULL;
	struct env_row src;
	if (env_load(source_id, &src) < 0)
		return berr_set(err, BE_ENVIRONMENT_NOT_FOUND, NULL, "Environment '%s' doesn't exist",
				source_id), NULL;
	json_t *out = NULL;
	char *name = NULL, *sub = NULL;
	struct clone_tx t = {.a = a, .ip = ip, .org_id = acc->org_id, .source_id = src.id,
			     .source_name = src.name};
	if (source_ready(&src, err) < 0)
		goto out;
	struct env_in in = ci->env;
	if (!in.name) {
		char *base = xasprintf("%.48s-%s", src.name, type);
		name = free_name(base, src.project_id);
		free(base);
		in.name = name;
	}
	if (!in.subdomain) {
		sub = free_name(in.name, NULL);
		in.subdomain = sub;
		in.has_subdomain = true;
	}
	if (!in.vm_id)
		in.vm_id = src.vm_id;
	if (!in.git_branch)
		in.git_branch = src.git_branch;
	if (!in.has_cpu) {
		in.has_cpu = true;
		in.cpu = src.cpu_cores;
	}
	if (!in.has_ram) {
		in.has_ram = true;
		in.ram = src.ram_mb;
	}
	if (!in.has_disk) {
		in.has_disk = true;
		in.disk = src.disk_gb;
	}
	if (src.postgres_custom && !ci->env.has_cpu && !ci->env.has_ram && !in.has_pg_cpu &&
	    !in.has_pg_ram) {
		in.has_pg_cpu = in.has_pg_ram = true;
		in.pg_cpu = src.postgres_cpu_cores;
		in.pg_ram = src.postgres_ram_mb;
	}
	if (!in.has_pgtune) {
		in.has_pgtune = true;
		in.pgtune = src.enable_pgtune;
	}
	if (!in.has_pgbouncer) {
		in.has_pgbouncer = true;
		in.pgbouncer = src.enable_pgbouncer;
	}
	if (!in.odoo_config)
		in.odoo_config = src.odoo_config;
	if (!in.vars)
		in.vars = src.environment_vars;
	if (!in.addons)
		in.addons = src.addon_repositories;
	if (!in.admin_login)
		in.admin_login = src.admin_login; /* the copied database's administrator */
	bool anonymize = ci->has_anonymize ? ci->anonymize
					    : settings_get_bool(src.settings, "anonymize_database");
	t.params = json_pack("{s:s,s:b,s:b,s:s}", "source_id", src.id, "neutralize", 1,
			     "anonymize", anonymize, "keep_login", a->email);
	in.in_tx = clone_in_tx;
	in.in_tx_cls = &t;
	char id[37], admin_pw[25];
	if (svc_env_create(a, ip, acc, src.project_id, &in, id, admin_pw, err) < 0)
		goto out;
	sodium_memzero(admin_pw, sizeof admin_pw); /* the clone keeps the source's password */
	queue_publish(json_string_value(json_object_get(t.job, "id")), "job.queued");
	out = json_pack("{s:s,s:O}", "environment_id", id, "job", t.job);
out:
	json_decref(t.job);
	json_decref(t.params);
	free(name);
	free(sub);
	env_row_free(&src);
	return out;
}

json_t *svc_env_refresh(const struct actor *a, const char *ip, const char *target_id,
			const char *from_id, struct berr *err)
{
	if (str_eq(target_id, from_id))
		return berr_set(err, BE_VALIDATION_ERROR, "from",
				"from: an environment cannot be refreshed from itself"), NULL;
	struct env_row tg, src;
	if (env_load(target_id, &tg) < 0)
		return berr_set(err, BE_ENVIRONMENT_NOT_FOUND, NULL, "Environment '%s' doesn't exist",
				target_id), NULL;
	if (env_load(from_id, &src) < 0) {
		env_row_free(&tg);
		return berr_set(err, BE_ENVIRONMENT_NOT_FOUND, "from", "Environment '%s' doesn't exist",
				from_id), NULL;
	}
	json_t *job = NULL;
	if (!str_eq(tg.project_id, src.project_id)) {
		berr_set(err, BE_VALIDATION_ERROR, "from",
			 "from: '%s' belongs to another project: a refresh copies within a project",
			 src.name);
		goto out;
	}
	if (!str_eq(tg.environment_type, "staging") && !str_eq(tg.environment_type, "development")) {
		berr_set(err, BE_CONFLICT, NULL,
			 "Environment '%s' is %s: only staging and development environments are"
			 " refreshed", tg.name, tg.environment_type);
		goto out;
	}
	/* error: a clone or refresh that was interrupted is run again this way (it converges) */
	bool copied = tg.deployed || clones_has_source(tg.id);
	if (!(str_eq(tg.status, "running") || str_eq(tg.status, "stopped") ||
	      (str_eq(tg.status, "error") && copied))) {
		berr_set(err, BE_CONFLICT, NULL,
			 "Environment '%s' is %s: deploy it first (a refresh replaces the data of a"
			 " deployed environment)", tg.name, tg.status);
		goto out;
	}
	if (source_ready(&src, err) < 0)
		goto out;
	json_t *params = json_pack("{s:s,s:s,s:b}", "from", src.id, "keep_login", a->email,
				   "anonymize",
				   settings_get_bool(src.settings, "anonymize_database"));
	json_t *audit = json_pack("{s:s,s:s}", "from", src.id, "from_name", src.name);
	struct env_action act = {
		.env_id = target_id, .type = "refresh", .params = params,
		.policy = ENV_Q_SAME_ANSWERS, .user_id = a->user_id, .user_email = a->email,
		.actor = a->email, .ip = ip, .audit = audit,
	};
	env_action_enqueue(&act, &job, NULL, err);
	json_decref(params);
	json_decref(audit);
out:
	env_row_free(&tg);
	env_row_free(&src);
	return job;
}
