/* envs.c: the rules for environments (see envs.h). */
#include "svc/envs.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sodium.h>

#include "core/backup_rules.h"
#include "core/envspec.h"
#include "core/repo.h"
#include "core/settings.h"
#include "lib/secret.h"
#include "lib/util.h"
#include "store/db.h"
#include "store/envs.h"
#include "store/model.h"
#include "store/projects.h"
#include "svc/actions.h"
#include "svc/settings.h"

/* git_branch must exist in the project's repository, when the project has one. The mirror is
 * read when it is fresh and knows the branch; otherwise fetched, within a bounded time. */
static int check_branch(const char *project_id, const char *branch, struct berr *err)
{
	struct prepo pr;
	if (prepo_load(&pr, project_id, err) < 0)
		return -1;
	int rc = 0;
	if (pr.url) {
		int has = prepo_has_branch(&pr, branch, ENV_BRANCH_FRESH_S, ENV_BRANCH_FETCH_TIMEOUT_S,
					   err);
		if (has < 0) {
			rc = -1;
		} else if (has == 0) {
			json_t *bs = git_branches(pr.mirror);
			struct sbuf names = SBUF_INIT;
			size_t i;
			json_t *b;
			json_array_foreach(bs, i, b) {
				if (i == 10) {
					sbuf_adds(&names, ", ...");
					break;
				}
				sbuf_addf(&names, "%s%s", i ? ", " : "",
					  json_string_value(json_object_get(b, "name")));
			}
			rc = berr_set(err, BE_VALIDATION_ERROR, "git_branch",
				      "git_branch: '%s' does not exist in the project's repository"
				      " (branches: %s)", branch, names.len ? sbuf_str(&names) : "none");
			sbuf_release(&names);
			json_decref(bs);
		}
	}
	prepo_free(&pr);
	return rc;
}

/* Quota, then server state and capacity, for the footprint of res (+replica). */
static int check_room(const char *org_id, const char *server_id, const char *exclude_env,
		      const struct env_resources *res, bool replica, bool new_env, struct berr *err)
{
	int cpu_c;
	long long ram, disk;
	env_resources_footprint(res, replica, &cpu_c, &ram, &disk);
	/* an update is refused only for what it grows: an environment over a lowered quota or
	 * on a smaller server can still shrink or change other settings */
	int old_cpu = -1;
	long long old_ram = -1, old_disk = -1;
	struct env_row old;
	if (exclude_env && env_load(exclude_env, &old) == 0) {
		struct env_resources o = {
			.cpu_c = (int)llround(old.cpu_cores * 100),
			.ram_mb = old.ram_mb,
			.disk_gb = old.disk_gb,
		};
		env_resources_footprint(&o, old.enable_read_replica, &old_cpu, &old_ram, &old_disk);
		env_row_free(&old);
	}
	bool g_cpu = cpu_c > old_cpu, g_ram = ram > old_ram, g_disk = disk > old_disk;
	struct usage u;
	model_org_usage(org_id, exclude_env, &u);
	json_t *plan = model_org_plan(org_id);
	double q_cpu = json_number_value(json_object_get(plan, "cpu_cores"));
	long long q_ram = json_integer_value(json_object_get(plan, "ram_mb"));
	long long q_disk = json_integer_value(json_object_get(plan, "disk_gb"));
	long long q_envs = json_integer_value(json_object_get(plan, "max_environments"));
	char pname[64];
	snprintf(pname, sizeof pname, "%s", json_string_value(json_object_get(plan, "name")));
	json_decref(plan);
	const char *verb = new_env ? "create" : "update";
	if (new_env && u.environments + 1 > q_envs)
		return berr_set(err, BE_QUOTA_EXCEEDED, NULL,
				"Cannot create environment - environment quota exceeded (%lld of %lld on"
				" the %s plan)", u.environments, q_envs, pname);
	if (g_cpu && llround(u.cpu_cores * 100) + cpu_c > llround(q_cpu * 100))
		return berr_set(err, BE_QUOTA_EXCEEDED, "cpu_cores",
				"Cannot %s environment - CPU quota exceeded (%.2f requested, %.2f of %.2f"
				" available)", verb, cpu_c / 100.0, q_cpu - u.cpu_cores, q_cpu);
	if (g_ram && u.ram_mb + ram > q_ram)
		return berr_set(err, BE_QUOTA_EXCEEDED, "ram_mb",
				"Cannot %s environment - RAM quota exceeded (%lld MB requested, %lld of"
				" %lld MB available)", verb, ram, q_ram - u.ram_mb, q_ram);
	if (g_disk && u.disk_gb + disk > q_disk)
		return berr_set(err, BE_QUOTA_EXCEEDED, "disk_gb",
				"Cannot %s environment - disk quota exceeded (%lld GB requested, %lld of"
				" %lld GB available)", verb, disk, q_disk - u.disk_gb, q_disk);
	struct placement_server s;
	if (placement_server_load(server_id, &s) < 0)
		return berr_set(err, BE_SERVER_NOT_FOUND, "vm_id", "Server '%s' doesn't exist",
				server_id);
	int rc = 0;
	if (new_env && !str_eq(s.status, "running")) {
		rc = berr_set(err, BE_SERVER_NOT_RUNNING, "vm_id",
			      "Server '%s' is %s, not running: test its connection first", s.name,
			      s.status);
		goto out;
	}
	struct server_alloc al;
	model_server_alloc(server_id, exclude_env, &al);
	if (new_env && al.environments >= s.max_projects) {
		rc = berr_set(err, BE_SERVER_CAPACITY_EXCEEDED, "vm_id",
			      "Selected server does not have sufficient capacity: '%s' already hosts its"
			      " maximum of %lld environments", s.name, s.max_projects);
		goto out;
	}
	if (!s.capacity_known)
		goto out; /* capacity not known yet (never tested): nothing to check against */
	if (g_cpu && llround(al.cpu_cores * 100) + cpu_c > llround(s.cpu_cores * 100))
		rc = berr_set(err, BE_SERVER_CAPACITY_EXCEEDED, "cpu_cores",
			      "Selected server does not have sufficient capacity: %.2f cores requested,"
			      " %.2f of %.2f free on '%s'", cpu_c / 100.0, s.cpu_cores - al.cpu_cores,
			      s.cpu_cores, s.name);
	else if (g_ram && al.ram_mb + ram > s.ram_mb)
		rc = berr_set(err, BE_SERVER_CAPACITY_EXCEEDED, "ram_mb",
			      "Selected server does not have sufficient capacity: %lld MB RAM requested,"
			      " %lld of %lld MB free on '%s'", ram, s.ram_mb - al.ram_mb, s.ram_mb, s.name);
	else if (g_disk && al.disk_gb + disk > s.disk_gb)
		rc = berr_set(err, BE_SERVER_CAPACITY_EXCEEDED, "disk_gb",
			      "Selected server does not have sufficient capacity: %lld GB disk requested,"
			      " %lld of %lld GB free on '%s'", disk, s.disk_gb - al.disk_gb, s.disk_gb,
			      s.name);
out:
	placement_server_free(&s);
	return rc;
}

/* The running server of the organization with the most free RAM that fits, or NULL. */
static char *pick_server(const char *org_id, const struct env_resources *res, bool replica)
{
	json_t *servers = placement_running_servers(org_id);
	int cpu_c;
	long long ram, disk, best_free = -1;
	env_resources_footprint(res, replica, &cpu_c, &ram, &disk);
	char *best = NULL;
	size_t i;
	json_t *idv;
	json_array_foreach(servers, i, idv) {
		struct placement_server s;
		if (placement_server_load(json_string_value(idv), &s) < 0)
			continue;
		struct server_alloc a;
		model_server_alloc(s.id, NULL, &a);
		long long free_ram = s.ram_mb - a.ram_mb;
		bool fits = a.environments < s.max_projects &&
			    llround((s.cpu_cores - a.cpu_cores) * 100) >= cpu_c && free_ram >= ram &&
			    s.disk_gb - a.disk_gb >= disk;
		if (fits && free_ram > best_free) {
			best_free = free_ram;
			free(best);
			best = xstrdup(s.id);
		}
		placement_server_free(&s);
	}
	json_decref(servers);
	return best;
}

/* {base}-{4 random} until free (names within a project, subdomains globally). */
static char *unique_with_suffix(const char *base, bool random_always, const char *project_id)
{
	char b[64];
	snprintf(b, sizeof b, "%.58s", base);
	size_t n = strlen(b);
	while (n && b[n - 1] == '-')
		b[--n] = '\0';
	for (int tries = 0;; tries++) {
		char *cand;
		if (!random_always && tries == 0) {
			cand = xstrdup(b);
		} else {
			char rnd[5];
			random_alnum(rnd, 4);
			cand = xasprintf("%s-%s", b, rnd);
		}
		bool taken = project_id ? env_name_taken(project_id, cand)
					: env_subdomain_taken(cand, NULL);
		if (!taken)
			return cand;
		free(cand);
	}
}

static int check_subdomain(const char *sub, const char *exclude_env, struct berr *err)
{
	if (env_subdomain_taken(sub, exclude_env))
		return berr_set(err, BE_SUBDOMAIN_EXISTS, "subdomain", "Subdomain '%s' is already in use",
				sub);
	return 0;
}

static int check_custom_domain(const char *d, const char *exclude_env, struct berr *err)
{
	if (d && env_domain_taken(d, exclude_env))
		return berr_set(err, BE_DOMAIN_EXISTS, "custom_domain",
				"Domain '%s' is already in use by another environment", d);
	return 0;
}

static int check_replica(const struct env_in *in, const char *version, struct berr *err)
{
	if (in->has_replica && in->replica && !str_eq(version, "18.0") && !str_eq(version, "19.0"))
		return berr_set(err, BE_VALIDATION_ERROR, "enable_read_replica",
				"enable_read_replica: Read Replica requires Odoo 18.0 or higher (project"
				" is %s)", version);
	return 0;
}

/* A new administrator password: 24 random letters and digits. */
static void admin_password_new(char out[25])
{
	static const char set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	for (int i = 0; i < 24; i++)
		out[i] = set[randombytes_uniform(sizeof set - 1)];
	out[24] = '\0';
}

/* ---- create ---- */

struct create_tx {
	const struct actor *a;
	const char *ip;
	const struct access *acc;
	const struct env_in *in;
	const struct project_row *project;
	const char *type;
	struct env_resources res;
	json_t *ocfg;
	const char *smtp_sealed, *admin_sealed;
	char *id;
	/* made in the transaction */
	char *server_id, *name, *sub;
};

static int create_tx(void *ctx, struct berr *err)
{
	struct create_tx *t = ctx;
	const struct env_in *in = t->in;
	const char *project_id = t->project->id, *slug = t->project->slug;
	bool replica = in->has_replica && in->replica;
	/* a retried transaction starts over */
	free(t->server_id);
	free(t->name);
	free(t->sub);
	t->server_id = t->name = t->sub = NULL;
	if (in->vm_id) {
		t->server_id = xstrdup(in->vm_id);
	} else {
		t->server_id = pick_server(t->acc->org_id, &t->res, replica);
		if (!t->server_id) {
			json_t *running = placement_running_servers(t->acc->org_id);
			/* servers run but none fits: report against quota first, then the first one */
			if (json_array_size(running))
				t->server_id = xstrdup(json_string_value(json_array_get(running, 0)));
			json_decref(running);
			if (!t->server_id)
				return berr_set(err, BE_NO_SERVERS_AVAILABLE, "vm_id",
						"No servers available in your organization: add a server and"
						" test its connection");
		}
	}
	if (in->name) {
		if (env_name_taken(project_id, in->name))
			return berr_set(err, BE_NAME_EXISTS, "name",
					"An environment named '%s' already exists in this project", in->name);
		t->name = xstrdup(in->name);
	} else {
		char *base = xasprintf("%.40s-%s", slug, t->type);
		t->name = unique_with_suffix(base, true, project_id);
		free(base);
	}
	if (in->subdomain) {
		if (check_subdomain(in->subdomain, NULL, err) < 0)
			return -1;
		t->sub = xstrdup(in->subdomain);
	} else {
		char *base = xasprintf("%.40s-%s", slug, t->type);
		t->sub = unique_with_suffix(base, false, NULL);
		free(base);
	}
	if (check_custom_domain(in->custom_domain, NULL, err) < 0)
		return -1;
	if (check_room(t->acc->org_id, t->server_id, NULL, &t->res, replica, true, err) < 0)
		return -1;
	struct env_new n = {
		.id = t->id, .project_id = project_id, .org_id = t->acc->org_id,
		.vm_id = t->server_id, .name = t->name, .environment_type = t->type,
		.subdomain = t->sub, .custom_domain = in->custom_domain,
		.git_branch = in->git_branch ? in->git_branch : t->project->default_branch,
		.created_by = t->a->user_id,
		.cpu_c = t->res.cpu_c, .pg_cpu_c = t->res.pg_cpu_c, .ram_mb = t->res.ram_mb,
		.disk_gb = t->res.disk_gb, .pg_ram_mb = t->res.pg_ram_mb, .pg_custom = t->res.pg_custom,
		.auto_deploy = in->has_auto ? in->auto_deploy : str_eq(t->type, "development"),
		.enable_pgtune = in->has_pgtune ? in->pgtune : true,
		.enable_pgbouncer = in->has_pgbouncer ? in->pgbouncer : true,
		.enable_read_replica = replica,
		.has_auto_restart = in->has_auto_restart, .auto_restart = in->auto_restart,
		.odoo_config = t->ocfg, .environment_vars = in->vars, .addon_repositories = in->addons,
		.smtp_password_sealed = t->smtp_sealed,
		.admin_login = in->admin_login ? in->admin_login : t->a->email,
		.admin_password_sealed = t->admin_sealed,
	};
	int rc = env_insert(&n);
	if (rc < 0)
		return berr_set(err, rc == -2 ? BE_CONFLICT : BE_INTERNAL_ERROR, NULL,
				rc == -2 ? "The name or subdomain was taken meanwhile: try again" : NULL);
	model_audit(t->acc->org_id, t->a->user_id, t->a->email, "environment.create", "environment",
		    t->id,
		    json_pack("{s:s,s:s,s:s,s:f,s:I,s:I}", "name", t->name, "type", t->type, "server",
			      t->server_id, "cpu_cores", t->res.cpu_c / 100.0, "ram_mb",
			      (json_int_t)t->res.ram_mb, "disk_gb", (json_int_t)t->res.disk_gb),
		    t->ip);
	return in->in_tx ? in->in_tx(in->in_tx_cls, t->id, err) : 0;
}

int svc_env_create(const struct actor *a, const char *ip, const struct access *acc,
		   const char *project_id, const struct env_in *in, char id[37],
		   char admin_password[25], struct berr *err)
{
	struct project_row project;
	if (project_load(project_id, &project) < 0)
		return berr_set(err, BE_PROJECT_NOT_FOUND, NULL, "Project '%s' doesn't exist", project_id);
	char *smtp_pw = NULL, *smtp_sealed = NULL, *admin_sealed = NULL;
	bool smtp_clear;
	struct create_tx t = {.a = a, .ip = ip, .acc = acc, .in = in, .project = &project, .id = id};
	int rc = -1;
	if (check_branch(project_id, in->git_branch ? in->git_branch : project.default_branch,
			 err) < 0)
		goto out;
	t.type = in->env_type ? in->env_type : "development";
	t.res = (struct env_resources){
		.cpu_cores = in->has_cpu ? in->cpu : 1.0,
		.ram_mb = in->has_ram ? in->ram : 2048,
		.disk_gb = in->has_disk ? in->disk : 10,
	};
	bool pg_cpu_given = in->has_pg_cpu && !in->pg_cpu_null;
	bool pg_ram_given = in->has_pg_ram && !in->pg_ram_null;
	t.res.pg_custom = pg_cpu_given || pg_ram_given;
	if (t.res.pg_custom) {
		struct env_resources dflt = t.res;
		dflt.pg_custom = false;
		if (env_resources_compute(&dflt, err) < 0)
			goto out;
		t.res.pg_cpu_cores = pg_cpu_given ? in->pg_cpu : dflt.pg_cpu_cores;
		t.res.pg_ram_mb = pg_ram_given ? in->pg_ram : dflt.pg_ram_mb;
	}
	if (env_resources_compute(&t.res, err) < 0 || check_replica(in, project.odoo_version, err) < 0)
		goto out;
	t.ocfg = odoo_config_normalize(in->odoo_config, NULL, &smtp_pw, &smtp_clear, err);
	if (!t.ocfg)
		goto out;
	if (in->vm_id) {
		struct access sacc;
		json_t *s = access_server(a, in->vm_id, &sacc, err);
		bool same = s && str_eq(sacc.org_id, acc->org_id);
		json_decref(s);
		access_release(&sacc);
		if (!same) {
			berr_set(err, BE_SERVER_NOT_FOUND, "vm_id", "Server '%s' doesn't exist", in->vm_id);
			goto out;
		}
	}
	uuid4(id);
	if (smtp_pw)
		smtp_sealed = secret_seal(smtp_pw);
	admin_password_new(admin_password);
	admin_sealed = secret_seal(admin_password);
	t.smtp_sealed = smtp_sealed;
	t.admin_sealed = admin_sealed;
	rc = db_tx(create_tx, &t, err);
	if (rc != 0) {
		sodium_memzero(admin_password, 25);
		rc = -1;
	}
out:
	free(t.server_id);
	free(t.name);
	free(t.sub);
	json_decref(t.ocfg);
	secret_free(smtp_pw);
	free(smtp_sealed);
	free(admin_sealed);
	project_row_free(&project);
	return rc;
}

/* ---- update ---- */

struct update_tx {
	const struct actor *a;
	const char *ip;
	const struct access *acc;
	const struct env_in *in;
	const struct env_row *cur;
	struct env_resources res;
	bool replica;
	struct env_change *change;
	json_t *fields;
};

static int update_tx(void *ctx, struct berr *err)
{
	struct update_tx *t = ctx;
	const struct env_in *in = t->in;
	const char *id = t->cur->id;
	if (in->name && !str_eq(in->name, t->cur->name) && env_name_taken(t->cur->project_id, in->name))
		return berr_set(err, BE_NAME_EXISTS, "name",
				"An environment named '%s' already exists in this project", in->name);
	if (in->subdomain && check_subdomain(in->subdomain, id, err) < 0)
		return -1;
	if (in->custom_domain && check_custom_domain(in->custom_domain, id, err) < 0)
		return -1;
	if (check_room(t->acc->org_id, t->cur->vm_id, id, &t->res, t->replica, false, err) < 0)
		return -1;
	int rc = env_update(id, t->change);
	if (rc < 0)
		return berr_set(err, rc == -2 ? BE_CONFLICT : BE_INTERNAL_ERROR, NULL,
				rc == -2 ? "The name or subdomain was taken meanwhile: try again" : NULL);
	if (in->settings && svc_settings_domains_store(id, in->settings, err) < 0)
		return -1;
	model_audit(t->acc->org_id, t->a->user_id, t->a->email, "environment.update", "environment",
		    id, json_pack("{s:O}", "fields", t->fields), t->ip);
	return 0;
}

/* A change of the settings object (see envs.h). */
/* a is b, or one holds the other */
static bool paths_overlap(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b), n = na < nb ? na : nb;
	if (strncmp(a, b, n) != 0)
		return false;
	return na == nb || (na > nb ? a[nb] == '/' : b[na] == '/');
}

/* The external filestore of an environment is its own: two environments of one server never
 * share a filestore directory, or one inside the other (each would delete the other's files
 * as its own garbage). */
static int check_filestore(const struct env_row *cur, json_t *patch, struct berr *err)
{
	if (!json_object_get(patch, "external_filestore") &&
	    !json_object_get(patch, "external_filestore_path"))
		return 0;
	json_t *after = json_deep_copy(cur->settings);
	const char *k;
	json_t *v;
	json_object_foreach(patch, k, v) {
		if (json_is_null(v))
			json_object_del(after, k);
		else
			json_object_set(after, k, v);
	}
	const char *path = settings_get_str(after, "external_filestore_path");
	int rc = 0;
	if (settings_get_bool(after, "external_filestore") && path && *path) {
		json_t *others = env_external_filestores(cur->vm_id, cur->id);
		size_t i;
		json_t *o;
		json_array_foreach(others, i, o) {
			const char *p = json_string_value(json_object_get(o, "path"));
			if (p && paths_overlap(p, path)) {
				rc = berr_set(err, BE_CONFLICT, "external_filestore_path",
					      "external_filestore_path: %s is %s the filestore of environment"
					      " '%s' (%s) on this server: each environment needs its own"
					      " directory", path, str_eq(p, path) ? "already" : "inside or around",
					      json_string_value(json_object_get(o, "name")), p);
				break;
			}
		}
		json_decref(others);
	}
	json_decref(after);
	return rc;
}

int svc_env_settings_check(const struct env_row *cur, json_t *patch, struct berr *err)
{
	if (settings_check(patch, err) < 0)
		return -1;
	json_t *plan = NULL;
	const char *k;
	json_t *v;
	int rc = 0;
	json_object_foreach(patch, k, v) {
		const struct setting *s = setting_find(k);
		if (s->plan_flag && !json_is_null(v)) {
			if (!plan)
				plan = model_org_plan(cur->org_id);
			if (!json_is_true(json_object_get(plan, s->plan_flag))) {
				rc = berr_set(err, BE_PLAN_FEATURE_UNAVAILABLE, k,
					      "%s: the organization's plan does not include it (%s)", k,
					      s->plan_flag);
				break;
			}
		}
	}
	json_decref(plan);
	if (rc < 0)
		return -1;
	const char *sched = json_string_value(json_object_get(patch, "backup_schedule"));
	struct backup_schedule b;
	char msg[160];
	if (sched && backup_schedule_parse(sched, &b, msg, sizeof msg) == 0 && b.n > 0 &&
	    !str_eq(cur->environment_type, "production") && !str_eq(cur->environment_type, "staging"))
		return berr_set(err, BE_CONFLICT, "backup_schedule",
				"Backups are for production and staging environments: a %s environment"
				" has no backup schedule", cur->environment_type);
	if (check_filestore(cur, patch, err) < 0)
		return -1;
	return svc_settings_domains_check(cur, patch, err);
}

int svc_env_update(const struct actor *a, const char *ip, const struct access *acc,
		   const char *env_id, const struct env_in *in, json_t *fields, struct berr *err)
{
	struct env_row cur;
	if (env_load(env_id, &cur) < 0)
		return berr_set(err, BE_ENVIRONMENT_NOT_FOUND, NULL, "Environment '%s' doesn't exist",
				env_id);
	char *smtp_pw = NULL, *sealed = NULL;
	bool smtp_clear = false;
	json_t *ocfg = NULL;
	int rc = -1;
	if (in->git_branch && check_branch(cur.project_id, in->git_branch, err) < 0)
		goto out;
	if (in->settings && svc_env_settings_check(&cur, in->settings, err) < 0)
		goto out;
	struct env_resources res = {
		.cpu_cores = in->has_cpu ? in->cpu : cur.cpu_cores,
		.ram_mb = in->has_ram ? in->ram : cur.ram_mb,
		.disk_gb = in->has_disk ? in->disk : cur.disk_gb,
		.pg_custom = cur.postgres_custom,
		.pg_cpu_cores = cur.postgres_cpu_cores,
		.pg_ram_mb = cur.postgres_ram_mb,
	};
	if (in->has_pg_cpu || in->has_pg_ram) {
		/* null for either override returns PostgreSQL to the automatic 30%: a value given
		 * for the other one would be dropped, so it is refused */
		if ((in->pg_cpu_null && in->has_pg_ram && !in->pg_ram_null) ||
		    (in->pg_ram_null && in->has_pg_cpu && !in->pg_cpu_null)) {
			const char *f = in->pg_cpu_null ? "postgres_ram_mb" : "postgres_cpu_cores";
			berr_set(err, BE_VALIDATION_ERROR, f,
				 "%s: cannot be set while %s is null (null returns PostgreSQL to the"
				 " automatic 30 %%: give null for both, or values)", f,
				 in->pg_cpu_null ? "postgres_cpu_cores" : "postgres_ram_mb");
			goto out;
		}
		if (in->pg_cpu_null || in->pg_ram_null) {
			res.pg_custom = false;
		} else {
			if (!res.pg_custom) {
				struct env_resources d = res;
				d.pg_custom = false;
				if (env_resources_compute(&d, err) < 0)
					goto out;
				res.pg_cpu_cores = d.pg_cpu_cores;
				res.pg_ram_mb = d.pg_ram_mb;
			}
			res.pg_custom = true;
			if (in->has_pg_cpu)
				res.pg_cpu_cores = in->pg_cpu;
			if (in->has_pg_ram)
				res.pg_ram_mb = in->pg_ram;
		}
	}
	if (env_resources_compute(&res, err) < 0 || check_replica(in, cur.odoo_version, err) < 0)
		goto out;
	bool replica = in->has_replica ? in->replica : cur.enable_read_replica;
	ocfg = odoo_config_normalize(in->odoo_config, cur.odoo_config, &smtp_pw, &smtp_clear, err);
	if (!ocfg)
		goto out;
	if (smtp_pw)
		sealed = secret_seal(smtp_pw);
	struct env_change c = {
		.cpu_c = res.cpu_c, .pg_cpu_c = res.pg_cpu_c, .ram_mb = res.ram_mb,
		.disk_gb = res.disk_gb, .pg_ram_mb = res.pg_ram_mb, .pg_custom = res.pg_custom,
		.enable_read_replica = replica, .odoo_config = ocfg,
		.name = in->name, .subdomain = in->subdomain, .git_branch = in->git_branch,
		.has_custom_domain = in->has_custom_domain, .custom_domain = in->custom_domain,
		.has_auto_deploy = in->has_auto, .auto_deploy = in->auto_deploy,
		.has_pgtune = in->has_pgtune, .enable_pgtune = in->pgtune,
		.has_pgbouncer = in->has_pgbouncer, .enable_pgbouncer = in->pgbouncer,
		.has_auto_restart = in->has_auto_restart, .auto_restart = in->auto_restart,
		.environment_vars = in->vars, .addon_repositories = in->addons,
		.smtp_set = smtp_pw || smtp_clear, .smtp_password_sealed = sealed,
		.settings_patch = in->settings,
	};
	struct update_tx t = {.a = a, .ip = ip, .acc = acc, .in = in, .cur = &cur, .res = res,
			      .replica = replica, .change = &c, .fields = fields};
	rc = db_tx(update_tx, &t, err) == 0 ? 0 : -1;
out:
	json_decref(ocfg);
	secret_free(smtp_pw);
	free(sealed);
	env_row_free(&cur);
	return rc;
}

/* ---- removal ---- */

json_t *svc_env_remove(const struct actor *a, const char *ip, const char *env_id,
		       const char *confirm, struct berr *err)
{
	struct env_row e;
	if (env_load(env_id, &e) < 0) {
		berr_set(err, BE_ENVIRONMENT_NOT_FOUND, NULL, "Environment '%s' doesn't exist", env_id);
		return NULL;
	}
	bool production = str_eq(e.environment_type, "production");
	env_row_free(&e);
	if (production) {
		berr_set(err, BE_PRODUCTION_PROTECTED, NULL, "Production environments cannot be removed");
		return NULL;
	}
	if (!str_eq(confirm, "DELETE")) {
		berr_set(err, BE_CONFIRMATION_REQUIRED, "confirm",
			 "Send {\"confirm\": \"DELETE\"} (case-sensitive) to remove the environment and"
			 " all its data");
		return NULL;
	}
	json_t *params = json_object();
	json_t *job = svc_env_action(a, ip, env_id, "remove", params, err);
	json_decref(params);
	return job;
}

int svc_env_addons_validate(json_t *addons, const char *org_id, struct berr *err)
{
	char *area = project_org_slug(org_id);
	int rc = addon_repos_validate(addons, git_local_allowed, area, err);
	free(area);
	return rc;
}

bool svc_subdomain_taken(const char *subdomain)
{
	return env_subdomain_taken(subdomain, NULL);
}

/* Subdomain checks per user: a fixed window of SUBCHECK_WINDOW_S seconds, counted in a fixed
 * table (the oldest entry gives way when it is full). */
#define SUBCHECK_SLOTS 512
#define SUBCHECK_WINDOW_S 60
static struct {
	char user_id[37];
	long start; /* monotonic seconds */
	int n;
} subcheck[SUBCHECK_SLOTS];
static pthread_mutex_t subcheck_mu = PTHREAD_MUTEX_INITIALIZER;

int svc_subdomain_check_allow(const char *user_id, struct berr *err)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	long now = (long)ts.tv_sec;
	pthread_mutex_lock(&subcheck_mu);
	int slot = -1, spare = -1, oldest = 0;
	for (int i = 0; i < SUBCHECK_SLOTS && slot < 0; i++) {
		if (subcheck[i].user_id[0] && str_eq(subcheck[i].user_id, user_id))
			slot = i;
		else if (spare < 0 && (!subcheck[i].user_id[0] ||
				       now - subcheck[i].start >= SUBCHECK_WINDOW_S))
			spare = i;
		else if (subcheck[i].start < subcheck[oldest].start)
			oldest = i;
	}
	if (slot < 0) {
		slot = spare >= 0 ? spare : oldest;
		snprintf(subcheck[slot].user_id, sizeof subcheck[slot].user_id, "%s", user_id);
		subcheck[slot].start = now;
		subcheck[slot].n = 0;
	}
	if (now - subcheck[slot].start >= SUBCHECK_WINDOW_S) {
		subcheck[slot].start = now;
		subcheck[slot].n = 0;
	}
	bool ok = subcheck[slot].n < SUBCHECK_PER_MINUTE;
	if (ok)
		subcheck[slot].n++;
	long wait = SUBCHECK_WINDOW_S - (now - subcheck[slot].start);
	pthread_mutex_unlock(&subcheck_mu);
	if (ok)
		return 0;
	return berr_set(err, BE_TOO_MANY_ATTEMPTS, NULL,
			"At most %d subdomain checks a minute; try again in %ld s",
			SUBCHECK_PER_MINUTE, wait < 1 ? 1 : wait);
}
