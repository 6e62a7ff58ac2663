/* environments.c: environments of a project (create-environment.txt). */
#include <math.h>
#include <string.h>
#include <sodium.h>

#include "api/auth.h"
#include "api/http.h"
#include "core/envspec.h"
#include "core/repo.h"
#include "lib/jspec.h"
#include "lib/secret.h"
#include "lib/valid.h"
#include "store/db.h"
#include "store/model.h"

int env_remove_request(struct req *r); /* api/jobs.c */

static const char *ENV_SELECT =
	"SELECT e.id, e.name, e.project_id, e.org_id, e.vm_id, s.name AS server_name,"
	" e.environment_type, e.subdomain, e.custom_domain, e.status, e.status_reason,"
	" e.cpu_cores, e.ram_mb, e.disk_gb, e.postgres_cpu_cores, e.postgres_ram_mb,"
	" e.postgres_custom, round(e.cpu_cores - e.postgres_cpu_cores, 2) AS odoo_cpu_cores,"
	" e.ram_mb - e.postgres_ram_mb AS odoo_ram_mb, e.git_branch, e.auto_deploy,"
	" e.enable_pgtune, e.enable_pgbouncer, e.enable_read_replica, e.odoo_config,"
	" e.environment_vars, e.addon_repositories, p.odoo_version,"
	" coalesce(json_extract(e.settings, '$.auto_restart'), 0) AS auto_restart,"
	" e.deployed_at, e.deployed_commit, e.branch_commit, e.commits_ahead, e.admin_login,"
	" e.created_by,"
	" e.created_at,"
	" e.updated_at FROM environments e JOIN projects p ON p.id=e.project_id"
	" JOIN servers s ON s.id=e.vm_id";

static void decorate(json_t *e)
{
	const char *dep = json_string_value(json_object_get(e, "deployed_commit"));
	const char *head = json_string_value(json_object_get(e, "branch_commit"));
	json_object_set_new(e, "branch_ahead", json_boolean(dep && head && strcmp(dep, head) != 0));
	json_object_set_new(e, "auto_restart",
			    json_boolean(json_integer_value(json_object_get(e, "auto_restart")) != 0));
	const char *sub = json_string_value(json_object_get(e, "subdomain"));
	json_object_set_new(e, "system_url", json_sprintf("https://%s.%s", sub, api_cfg.apps_domain));
	json_t *cd = json_object_get(e, "custom_domain");
	json_object_set_new(e, "url", json_is_string(cd)
					      ? json_sprintf("https://%s", json_string_value(cd))
					      : json_sprintf("https://%s.%s", sub, api_cfg.apps_domain));
	/* keep the request's spelling too, so a created object can be sent back as is */
	json_object_set(e, "env_type", json_object_get(e, "environment_type"));
	double ocpu = json_number_value(json_object_get(e, "odoo_cpu_cores"));
	json_object_set_new(e, "odoo_cpu_cores", json_real(ocpu));
	json_object_set_new(e, "odoo_config_effective",
			    odoo_config_effective(json_object_get(e, "odoo_config"),
						  (int)llround(ocpu * 100),
						  json_integer_value(json_object_get(e, "odoo_ram_mb")),
						  json_string_value(json_object_get(e, "environment_type"))));
}

static json_t *env_get(const char *id)
{
	char *sql = xasprintf("%s WHERE e.id=?", ENV_SELECT);
	json_t *e = db_row(sql, "s", id);
	free(sql);
	if (e)
		decorate(e);
	return e;
}

/* git_branch must exist in the project's repository, when the project has one. */
static int check_branch(struct req *r, const char *project_id, const char *branch)
{
	struct prepo pr;
	if (prepo_load(&pr, project_id, &r->err) < 0)
		return -1;
	int rc = 0;
	if (pr.url && (rc = prepo_sync(&pr, 0, &r->err)) == 0) {
		char *head = git_resolve(pr.mirror, branch, true);
		if (!head) {
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
			rc = berr_set(&r->err, BE_VALIDATION_ERROR, "git_branch",
				      "git_branch: '%s' does not exist in the project's repository"
				      " (branches: %s)", branch, names.len ? sbuf_str(&names) : "none");
			sbuf_release(&names);
			json_decref(bs);
		}
		free(head);
	}
	prepo_free(&pr);
	return rc;
}

/* The request body of create and update. */
struct env_in {
	const char *name, *env_type, *vm_id, *subdomain, *custom_domain, *git_branch, *admin_login;
	double cpu, pg_cpu;
	long long ram, disk, pg_ram;
	bool auto_deploy, pgtune, pgbouncer, replica, auto_restart;
	json_t *odoo_config, *vars, *addons;
	bool has_cpu, has_ram, has_disk, has_pg_cpu, has_pg_ram, has_auto, has_pgtune, has_pgbouncer,
		has_replica, has_custom_domain, has_subdomain, has_auto_restart;
};

/* Odoo's administrator login: 1 to 100 characters (UTF-8), no surrounding space (jspec has
 * refused control characters already). */
static bool admin_login_valid(const char *s)
{
	size_t n = strlen(s), chars = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		chars += (*p & 0xC0) != 0x80;
	return chars >= 1 && chars <= 100 && s[0] != ' ' && s[n - 1] != ' ';
}

/* A new administrator password: 24 random letters and digits. */
static void admin_password_new(char out[25])
{
	static const char set[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	for (int i = 0; i < 24; i++)
		out[i] = set[randombytes_uniform(sizeof set - 1)];
	out[24] = '\0';
}

static int parse_env(struct req *r, struct env_in *in, bool create)
{
	struct jfield spec[] = {
		{.name = "name", .type = J_STRING, .dest = &in->name, .maxlen = 63},
		{.name = "env_type", .type = J_STRING, .dest = &in->env_type},
		{.name = "vm_id", .type = J_STRING, .dest = &in->vm_id, .maxlen = 64},
		{.name = "subdomain", .type = J_STRING, .dest = &in->subdomain, .present = &in->has_subdomain,
		 .maxlen = 63},
		{.name = "custom_domain", .type = J_STRING, .dest = &in->custom_domain,
		 .present = &in->has_custom_domain, .nullable = true, .maxlen = 253},
		{.name = "cpu_cores", .type = J_NUMBER, .dest = &in->cpu, .present = &in->has_cpu},
		{.name = "ram_mb", .type = J_INT, .dest = &in->ram, .present = &in->has_ram},
		{.name = "disk_gb", .type = J_INT, .dest = &in->disk, .present = &in->has_disk},
		{.name = "postgres_cpu_cores", .type = J_NUMBER, .dest = &in->pg_cpu,
		 .present = &in->has_pg_cpu, .nullable = true},
		{.name = "postgres_ram_mb", .type = J_INT, .dest = &in->pg_ram, .present = &in->has_pg_ram,
		 .nullable = true},
		{.name = "git_branch", .type = J_STRING, .dest = &in->git_branch, .maxlen = 200},
		{.name = "auto_deploy", .type = J_BOOL, .dest = &in->auto_deploy, .present = &in->has_auto},
		{.name = "enable_pgtune", .type = J_BOOL, .dest = &in->pgtune, .present = &in->has_pgtune},
		{.name = "enable_pgbouncer", .type = J_BOOL, .dest = &in->pgbouncer,
		 .present = &in->has_pgbouncer},
		{.name = "enable_read_replica", .type = J_BOOL, .dest = &in->replica,
		 .present = &in->has_replica},
		{.name = "auto_restart", .type = J_BOOL, .dest = &in->auto_restart,
		 .present = &in->has_auto_restart},
		{.name = "odoo_config", .type = J_OBJECT, .dest = &in->odoo_config},
		{.name = "environment_vars", .type = J_OBJECT, .dest = &in->vars},
		{.name = "addon_repositories", .type = J_ARRAY, .dest = &in->addons},
		{.name = "admin_login", .type = J_STRING, .dest = &in->admin_login, .maxlen = 400},
		JF_END,
	};
	json_t *body = req_body(r);
	/* "environment_type" (the response's spelling) is accepted for env_type */
	json_t *et = json_object_get(body, "environment_type");
	if (et && !json_object_get(body, "env_type"))
		json_object_set(body, "env_type", et);
	json_object_del(body, "environment_type");
	if (jspec_parse(body, spec, NULL, &r->err) < 0)
		return -1;
	if (in->name && !valid_dns_label(in->name))
		return berr_set(&r->err, BE_VALIDATION_ERROR, "name",
				"name: lowercase letters, numbers and hyphens only, starting and ending"
				" with a letter or number, at most 63 characters");
	if (in->name && (str_eq(in->name, "postgres") || str_eq(in->name, "pgbouncer") ||
			 str_eq(in->name, "template0") || str_eq(in->name, "template1")))
		return berr_set(&r->err, BE_VALIDATION_ERROR, "name",
				"name: '%s' is reserved (it names the environment's database)", in->name);
	if (in->env_type && !create)
		return berr_set(&r->err, BE_VALIDATION_ERROR, "env_type",
				"env_type: cannot be changed after creation");
	if (in->admin_login && !create)
		return berr_set(&r->err, BE_VALIDATION_ERROR, "admin_login",
				"admin_login: is set at creation only (change it in Odoo)");
	if (in->admin_login && !admin_login_valid(in->admin_login))
		return berr_set(&r->err, BE_VALIDATION_ERROR, "admin_login",
				"admin_login: 1 to 100 characters, without control characters or"
				" surrounding spaces");
	if (in->vm_id && !create)
		return berr_set(&r->err, BE_VALIDATION_ERROR, "vm_id",
				"vm_id: an environment cannot move to another server");
	if (in->env_type && !env_type_valid(in->env_type))
		return berr_set(&r->err, BE_VALIDATION_ERROR, "env_type",
				"env_type: must be development, staging or production");
	if (in->subdomain && !valid_dns_label(in->subdomain))
		return berr_set(&r->err, BE_VALIDATION_ERROR, "subdomain",
				"subdomain: must match ^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$");
	if (in->custom_domain && !valid_domain(in->custom_domain))
		return berr_set(&r->err, BE_VALIDATION_ERROR, "custom_domain",
				"custom_domain: not a valid domain name (lowercase, e.g. app.acme.com)");
	if (in->custom_domain) {
		size_t n = strlen(in->custom_domain), an = strlen(api_cfg.apps_domain);
		if (n > an && in->custom_domain[n - an - 1] == '.' &&
		    strcmp(in->custom_domain + n - an, api_cfg.apps_domain) == 0)
			return berr_set(&r->err, BE_VALIDATION_ERROR, "custom_domain",
					"custom_domain: names under %s are system subdomains: use subdomain",
					api_cfg.apps_domain);
	}
	if (in->git_branch && !valid_git_ref(in->git_branch))
		return berr_set(&r->err, BE_VALIDATION_ERROR, "git_branch",
				"git_branch: not a valid git branch name");
	if (in->vars && env_vars_validate(in->vars, &r->err) < 0)
		return -1;
	if (in->addons && addon_repos_validate(in->addons, &r->err) < 0)
		return -1;
	return 0;
}

/* Quota, then server state and capacity, for the footprint of res (+replica). */
static int check_room(struct req *r, const char *org_id, const char *server_id,
		      const char *exclude_env, const struct env_resources *res, bool replica,
		      bool new_env)
{
	int cpu_c;
	long long ram, disk;
	env_resources_footprint(res, replica, &cpu_c, &ram, &disk);
	/* an update is refused only for what it grows: an environment over a lowered quota or
	 * on a smaller server can still shrink or change other settings */
	int old_cpu = -1;
	long long old_ram = -1, old_disk = -1;
	json_t *old = exclude_env ? db_row("SELECT cpu_cores, ram_mb, disk_gb, enable_read_replica"
					   " FROM environments WHERE id=?", "s", exclude_env)
				  : NULL;
	if (old) {
		struct env_resources o = {
			.cpu_c = (int)llround(json_number_value(json_object_get(old, "cpu_cores")) * 100),
			.ram_mb = json_integer_value(json_object_get(old, "ram_mb")),
			.disk_gb = json_integer_value(json_object_get(old, "disk_gb")),
		};
		env_resources_footprint(&o, json_is_true(json_object_get(old, "enable_read_replica")),
					&old_cpu, &old_ram, &old_disk);
		json_decref(old);
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
		return berr_set(&r->err, BE_QUOTA_EXCEEDED, NULL,
				"Cannot create environment - environment quota exceeded (%lld of %lld on"
				" the %s plan)", u.environments, q_envs, pname);
	if (g_cpu && llround(u.cpu_cores * 100) + cpu_c > llround(q_cpu * 100))
		return berr_set(&r->err, BE_QUOTA_EXCEEDED, "cpu_cores",
				"Cannot %s environment - CPU quota exceeded (%.2f requested, %.2f of %.2f"
				" available)", verb, cpu_c / 100.0, q_cpu - u.cpu_cores, q_cpu);
	if (g_ram && u.ram_mb + ram > q_ram)
		return berr_set(&r->err, BE_QUOTA_EXCEEDED, "ram_mb",
				"Cannot %s environment - RAM quota exceeded (%lld MB requested, %lld of"
				" %lld MB available)", verb, ram, q_ram - u.ram_mb, q_ram);
	if (g_disk && u.disk_gb + disk > q_disk)
		return berr_set(&r->err, BE_QUOTA_EXCEEDED, "disk_gb",
				"Cannot %s environment - disk quota exceeded (%lld GB requested, %lld of"
				" %lld GB available)", verb, disk, q_disk - u.disk_gb, q_disk);
	json_t *s = db_row("SELECT name, status, cpu_cores, ram_mb, disk_gb, max_projects FROM servers"
			   " WHERE id=?", "s", server_id);
	const char *sname = json_string_value(json_object_get(s, "name"));
	int rc = 0;
	if (new_env && !str_eq(json_string_value(json_object_get(s, "status")), "running")) {
		rc = berr_set(&r->err, BE_SERVER_NOT_RUNNING, "vm_id",
			      "Server '%s' is %s, not running: test its connection first", sname,
			      json_string_value(json_object_get(s, "status")));
		goto out;
	}
	struct server_alloc a;
	model_server_alloc(server_id, exclude_env, &a);
	long long maxp = json_integer_value(json_object_get(s, "max_projects"));
	if (new_env && a.environments >= maxp) {
		rc = berr_set(&r->err, BE_SERVER_CAPACITY_EXCEEDED, "vm_id",
			      "Selected server does not have sufficient capacity: '%s' already hosts its"
			      " maximum of %lld environments", sname, maxp);
		goto out;
	}
	if (!json_is_number(json_object_get(s, "cpu_cores")))
		goto out; /* capacity not known yet (never tested): nothing to check against */
	double s_cpu = json_number_value(json_object_get(s, "cpu_cores"));
	long long s_ram = json_integer_value(json_object_get(s, "ram_mb"));
	long long s_disk = json_integer_value(json_object_get(s, "disk_gb"));
	if (g_cpu && llround(a.cpu_cores * 100) + cpu_c > llround(s_cpu * 100))
		rc = berr_set(&r->err, BE_SERVER_CAPACITY_EXCEEDED, "cpu_cores",
			      "Selected server does not have sufficient capacity: %.2f cores requested,"
			      " %.2f of %.2f free on '%s'", cpu_c / 100.0, s_cpu - a.cpu_cores, s_cpu, sname);
	else if (g_ram && a.ram_mb + ram > s_ram)
		rc = berr_set(&r->err, BE_SERVER_CAPACITY_EXCEEDED, "ram_mb",
			      "Selected server does not have sufficient capacity: %lld MB RAM requested,"
			      " %lld of %lld MB free on '%s'", ram, s_ram - a.ram_mb, s_ram, sname);
	else if (g_disk && a.disk_gb + disk > s_disk)
		rc = berr_set(&r->err, BE_SERVER_CAPACITY_EXCEEDED, "disk_gb",
			      "Selected server does not have sufficient capacity: %lld GB disk requested,"
			      " %lld of %lld GB free on '%s'", disk, s_disk - a.disk_gb, s_disk, sname);
out:
	json_decref(s);
	return rc;
}

/* The running server of the organization with the most free RAM that fits, or NULL. */
static char *pick_server(const char *org_id, const struct env_resources *res, bool replica)
{
	json_t *servers = db_rows("SELECT id, cpu_cores, ram_mb, disk_gb, max_projects FROM servers"
				  " WHERE org_id=? AND status='running' ORDER BY name", "s", org_id);
	int cpu_c;
	long long ram, disk, best_free = -1;
	env_resources_footprint(res, replica, &cpu_c, &ram, &disk);
	char *best = NULL;
	size_t i;
	json_t *s;
	json_array_foreach(servers, i, s) {
		struct server_alloc a;
		const char *id = json_string_value(json_object_get(s, "id"));
		model_server_alloc(id, NULL, &a);
		long long free_ram = json_integer_value(json_object_get(s, "ram_mb")) - a.ram_mb;
		if (a.environments >= json_integer_value(json_object_get(s, "max_projects")) ||
		    llround((json_number_value(json_object_get(s, "cpu_cores")) - a.cpu_cores) * 100) < cpu_c ||
		    free_ram < ram ||
		    json_integer_value(json_object_get(s, "disk_gb")) - a.disk_gb < disk)
			continue;
		if (free_ram > best_free) {
			best_free = free_ram;
			free(best);
			best = xstrdup(id);
		}
	}
	json_decref(servers);
	return best;
}

static bool subdomain_taken(const char *sub, const char *exclude_env)
{
	return db_int(0, "SELECT count(*) FROM environments WHERE subdomain=? AND id IS NOT ?", "ss",
		      sub, exclude_env) > 0;
}

static int check_subdomain(struct req *r, const char *sub, const char *exclude_env)
{
	if (subdomain_taken(sub, exclude_env))
		return berr_set(&r->err, BE_SUBDOMAIN_EXISTS, "subdomain",
				"Subdomain '%s' is already in use", sub);
	return 0;
}

static int check_custom_domain(struct req *r, const char *d, const char *exclude_env)
{
	if (d && db_int(0, "SELECT count(*) FROM environments WHERE custom_domain=? AND id IS NOT ?",
			"ss", d, exclude_env) > 0)
		return berr_set(&r->err, BE_DOMAIN_EXISTS, "custom_domain",
				"Domain '%s' is already in use by another environment", d);
	return 0;
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
		bool taken = project_id ? db_int(0, "SELECT count(*) FROM environments WHERE project_id=?"
						    " AND name=?", "ss", project_id, cand) > 0
					: subdomain_taken(cand, NULL);
		if (!taken)
			return cand;
		free(cand);
	}
}

static int h_env_create(struct req *r)
{
	struct access acc;
	json_t *project = access_project(&r->actor, r->params[0], &acc, &r->err);
	if (!project)
		return reply_berr(r);
	struct env_in in = {0};
	char *server_id = NULL, *name = NULL, *sub = NULL, *smtp_pw = NULL, *sealed_pw = NULL;
	char *sealed_admin = NULL, admin_pw[25];
	json_t *ocfg = NULL;
	bool smtp_clear;
	char id[37];
	const char *project_id = r->params[0];
	const char *slug = json_string_value(json_object_get(project, "slug"));
	const char *version = json_string_value(json_object_get(project, "odoo_version"));
	if (perm_require(&acc, "project.environments.create", &r->err) < 0 ||
	    parse_env(r, &in, true) < 0)
		goto fail;
	if (check_branch(r, project_id, in.git_branch ? in.git_branch
				: json_string_value(json_object_get(project, "default_branch"))) < 0)
		goto fail;
	const char *type = in.env_type ? in.env_type : "development";
	struct env_resources res = {
		.cpu_cores = in.has_cpu ? in.cpu : 1.0,
		.ram_mb = in.has_ram ? in.ram : 2048,
		.disk_gb = in.has_disk ? in.disk : 10,
	};
	bool pg_cpu_given = in.has_pg_cpu && !json_is_null(json_object_get(req_body(r), "postgres_cpu_cores"));
	bool pg_ram_given = in.has_pg_ram && !json_is_null(json_object_get(req_body(r), "postgres_ram_mb"));
	res.pg_custom = pg_cpu_given || pg_ram_given;
	if (res.pg_custom) {
		struct env_resources dflt = res;
		dflt.pg_custom = false;
		if (env_resources_compute(&dflt, &r->err) < 0)
			goto fail;
		res.pg_cpu_cores = pg_cpu_given ? in.pg_cpu : dflt.pg_cpu_cores;
		res.pg_ram_mb = pg_ram_given ? in.pg_ram : dflt.pg_ram_mb;
	}
	if (env_resources_compute(&res, &r->err) < 0)
		goto fail;
	if (in.has_replica && in.replica && !str_eq(version, "18.0") && !str_eq(version, "19.0")) {
		berr_set(&r->err, BE_VALIDATION_ERROR, "enable_read_replica",
			 "enable_read_replica: Read Replica requires Odoo 18.0 or higher (project is %s)",
			 version);
		goto fail;
	}
	ocfg = odoo_config_normalize(in.odoo_config, NULL, &smtp_pw, &smtp_clear, &r->err);
	if (!ocfg)
		goto fail;
	if (in.vm_id) {
		struct access sacc;
		json_t *s = access_server(&r->actor, in.vm_id, &sacc, &r->err);
		bool same = s && str_eq(sacc.org_id, acc.org_id);
		json_decref(s);
		access_release(&sacc);
		if (!same) {
			berr_set(&r->err, BE_SERVER_NOT_FOUND, "vm_id", "Server '%s' doesn't exist",
				 in.vm_id);
			goto fail;
		}
	}
	db_begin();
	if (in.vm_id) {
		server_id = xstrdup(in.vm_id);
	} else {
		server_id = pick_server(acc.org_id, &res, in.has_replica && in.replica);
		if (!server_id) {
			bool any = db_int(0, "SELECT count(*) FROM servers WHERE org_id=? AND"
					     " status='running'", "s", acc.org_id) > 0;
			if (!any) {
				berr_set(&r->err, BE_NO_SERVERS_AVAILABLE, "vm_id",
					 "No servers available in your organization: add a server and test"
					 " its connection");
				goto fail_tx;
			}
		}
	}
	if (in.name) {
		if (db_int(0, "SELECT count(*) FROM environments WHERE project_id=? AND name=?", "ss",
			   project_id, in.name) > 0) {
			berr_set(&r->err, BE_NAME_EXISTS, "name",
				 "An environment named '%s' already exists in this project", in.name);
			goto fail_tx;
		}
		name = xstrdup(in.name);
	} else {
		char *base = xasprintf("%.40s-%s", slug, type);
		name = unique_with_suffix(base, true, project_id);
		free(base);
	}
	if (in.subdomain) {
		if (check_subdomain(r, in.subdomain, NULL) < 0)
			goto fail_tx;
		sub = xstrdup(in.subdomain);
	} else {
		char *base = xasprintf("%.40s-%s", slug, type);
		sub = unique_with_suffix(base, false, NULL);
		free(base);
	}
	if (check_custom_domain(r, in.custom_domain, NULL) < 0)
		goto fail_tx;
	if (!server_id) {
		/* servers run but none fits: report against quota first, then the fullest */
		char *any = db_str("SELECT id FROM servers WHERE org_id=? AND status='running'"
				   " ORDER BY name LIMIT 1", "s", acc.org_id);
		server_id = any;
	}
	if (check_room(r, acc.org_id, server_id, NULL, &res, in.has_replica && in.replica, true) < 0)
		goto fail_tx;
	uuid4(id);
	if (smtp_pw)
		sealed_pw = secret_seal(smtp_pw);
	admin_password_new(admin_pw);
	sealed_admin = secret_seal(admin_pw);
	char *now = iso8601_now();
	json_t *vars = in.vars ? json_incref(in.vars) : json_object();
	json_t *addons = in.addons ? json_incref(in.addons) : json_array();
	int rc = db_exec(
		"INSERT INTO environments(id, project_id, org_id, vm_id, name, environment_type,"
		" subdomain, custom_domain, status, cpu_cores, ram_mb, disk_gb, postgres_cpu_cores,"
		" postgres_ram_mb, postgres_custom, git_branch, auto_deploy, enable_pgtune,"
		" enable_pgbouncer, enable_read_replica, odoo_config, environment_vars,"
		" addon_repositories, smtp_password, admin_login, admin_password, created_by,"
		" created_at, updated_at)"
		" VALUES(?,?,?,?,?,?,?,?,'pending',?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
		"ssssssssdiidibsbbbbjjjssssss", id, project_id, acc.org_id, server_id, name, type, sub,
		in.custom_domain, res.cpu_c / 100.0, (int64_t)res.ram_mb, (int64_t)res.disk_gb,
		res.pg_cpu_c / 100.0, (int64_t)res.pg_ram_mb, (int)res.pg_custom,
		in.git_branch ? in.git_branch
			      : json_string_value(json_object_get(project, "default_branch")),
		in.has_auto ? (int)in.auto_deploy : str_eq(type, "development"),
		in.has_pgtune ? (int)in.pgtune : 1, in.has_pgbouncer ? (int)in.pgbouncer : 1,
		(int)(in.has_replica && in.replica), ocfg, vars, addons, sealed_pw,
		in.admin_login ? in.admin_login : r->actor.email, sealed_admin, r->actor.user_id, now,
		now);
	free(now);
	json_decref(vars);
	json_decref(addons);
	if (rc < 0) {
		berr_set(&r->err, rc == -2 ? BE_CONFLICT : BE_INTERNAL_ERROR, NULL,
			 rc == -2 ? "The name or subdomain was taken meanwhile: try again" : NULL);
		goto fail_tx;
	}
	if (in.has_auto_restart)
		db_exec("UPDATE environments SET settings=json_set(settings, '$.auto_restart', json(?))"
			" WHERE id=?", "ss", in.auto_restart ? "true" : "false", id);
	audit_record(r, acc.org_id, "environment.create", "environment", id,
		     json_pack("{s:s,s:s,s:s,s:f,s:I,s:I}", "name", name, "type", type, "server",
			       server_id, "cpu_cores", res.cpu_c / 100.0, "ram_mb",
			       (json_int_t)res.ram_mb, "disk_gb", (json_int_t)res.disk_gb));
	db_commit();
	json_t *out = env_get(id);
	/* shown this once, like a project's webhook secret */
	json_object_set_new(out, "admin_password", json_string(admin_pw));
	sodium_memzero(admin_pw, sizeof admin_pw);
	free(server_id);
	free(name);
	free(sub);
	secret_free(smtp_pw);
	free(sealed_pw);
	free(sealed_admin);
	json_decref(ocfg);
	json_decref(project);
	access_release(&acc);
	return reply_json(r, 201, out);
fail_tx:
	db_rollback();
fail:
	sodium_memzero(admin_pw, sizeof admin_pw);
	free(server_id);
	free(name);
	free(sub);
	secret_free(smtp_pw);
	free(sealed_pw);
	free(sealed_admin);
	json_decref(ocfg);
	json_decref(project);
	access_release(&acc);
	return reply_berr(r);
}

static int h_env_list(struct req *r)
{
	struct access acc;
	json_t *p = access_project(&r->actor, r->params[0], &acc, &r->err);
	if (!p)
		return reply_berr(r);
	json_decref(p);
	const char *type = req_query(r, "type");
	char *sql = xasprintf("%s WHERE e.project_id=? AND (? IS NULL OR e.environment_type=?)"
			      " ORDER BY e.created_at, e.name", ENV_SELECT);
	json_t *a = db_rows(sql, "sss", r->params[0], type, type);
	free(sql);
	size_t i;
	json_t *e;
	json_array_foreach(a, i, e)
		decorate(e);
	access_release(&acc);
	return reply_json(r, 200, a);
}

static int h_org_env_list(struct req *r)
{
	struct access acc;
	if (access_org(&r->actor, r->params[0], &acc, &r->err) < 0)
		return reply_berr(r);
	char *sql = xasprintf("%s WHERE e.org_id=? AND (? IS NULL OR e.project_id IN"
			      " (SELECT value FROM json_each(?))) AND (? IS NULL OR e.name=?)"
			      " ORDER BY p.name, e.created_at", ENV_SELECT);
	const char *name = req_query(r, "name");
	json_t *a = db_rows(sql, "sjjss", acc.org_id, acc.projects, acc.projects, name, name);
	free(sql);
	size_t i;
	json_t *e;
	json_array_foreach(a, i, e)
		decorate(e);
	access_release(&acc);
	return reply_json(r, 200, a);
}

static int h_env_get(struct req *r)
{
	struct access acc;
	json_t *e = access_env(&r->actor, r->params[0], &acc, &r->err);
	if (!e)
		return reply_berr(r);
	json_decref(e);
	access_release(&acc);
	return reply_json(r, 200, env_get(r->params[0]));
}

static int h_env_update(struct req *r)
{
	struct access acc;
	json_t *cur = access_env(&r->actor, r->params[0], &acc, &r->err);
	if (!cur)
		return reply_berr(r);
	json_decref(cur);
	const char *id = r->params[0];
	cur = env_get(id);
	struct env_in in = {0};
	char *smtp_pw = NULL, *sealed = NULL;
	json_t *ocfg = NULL;
	bool smtp_clear = false;
	if (perm_require(&acc, "environment.settings", &r->err) < 0 || parse_env(r, &in, false) < 0)
		goto fail;
	if (in.git_branch &&
	    check_branch(r, json_string_value(json_object_get(cur, "project_id")), in.git_branch) < 0)
		goto fail;
#define CUR_I(k) json_integer_value(json_object_get(cur, k))
#define CUR_D(k) json_number_value(json_object_get(cur, k))
	struct env_resources res = {
		.cpu_cores = in.has_cpu ? in.cpu : CUR_D("cpu_cores"),
		.ram_mb = in.has_ram ? in.ram : CUR_I("ram_mb"),
		.disk_gb = in.has_disk ? in.disk : CUR_I("disk_gb"),
		.pg_custom = json_is_true(json_object_get(cur, "postgres_custom")),
		.pg_cpu_cores = CUR_D("postgres_cpu_cores"),
		.pg_ram_mb = CUR_I("postgres_ram_mb"),
	};
	if (in.has_pg_cpu || in.has_pg_ram) {
		/* null for either override returns PostgreSQL to the automatic 30% */
		bool reset = json_is_null(json_object_get(req_body(r), "postgres_cpu_cores")) ||
			     json_is_null(json_object_get(req_body(r), "postgres_ram_mb"));
		if (reset) {
			res.pg_custom = false;
		} else {
			if (!res.pg_custom) {
				struct env_resources d = res;
				d.pg_custom = false;
				if (env_resources_compute(&d, &r->err) < 0)
					goto fail;
				res.pg_cpu_cores = d.pg_cpu_cores;
				res.pg_ram_mb = d.pg_ram_mb;
			}
			res.pg_custom = true;
			if (in.has_pg_cpu)
				res.pg_cpu_cores = in.pg_cpu;
			if (in.has_pg_ram)
				res.pg_ram_mb = in.pg_ram;
		}
	}
	if (env_resources_compute(&res, &r->err) < 0)
		goto fail;
	const char *version = json_string_value(json_object_get(cur, "odoo_version"));
	bool replica = in.has_replica ? in.replica : json_is_true(json_object_get(cur, "enable_read_replica"));
	if (in.has_replica && in.replica && !str_eq(version, "18.0") && !str_eq(version, "19.0")) {
		berr_set(&r->err, BE_VALIDATION_ERROR, "enable_read_replica",
			 "enable_read_replica: Read Replica requires Odoo 18.0 or higher (project is %s)",
			 version);
		goto fail;
	}
	ocfg = odoo_config_normalize(in.odoo_config, json_object_get(cur, "odoo_config"), &smtp_pw,
				     &smtp_clear, &r->err);
	if (!ocfg)
		goto fail;
	db_begin();
	if (in.name && !str_eq(in.name, json_string_value(json_object_get(cur, "name"))) &&
	    db_int(0, "SELECT count(*) FROM environments WHERE project_id=? AND name=?", "ss",
		   json_string_value(json_object_get(cur, "project_id")), in.name) > 0) {
		berr_set(&r->err, BE_NAME_EXISTS, "name",
			 "An environment named '%s' already exists in this project", in.name);
		goto fail_tx;
	}
	if (in.subdomain && check_subdomain(r, in.subdomain, id) < 0)
		goto fail_tx;
	if (in.custom_domain && check_custom_domain(r, in.custom_domain, id) < 0)
		goto fail_tx;
	if (check_room(r, acc.org_id, json_string_value(json_object_get(cur, "vm_id")), id, &res,
		       replica, false) < 0)
		goto fail_tx;
	char *now = iso8601_now();
	db_exec("UPDATE environments SET cpu_cores=?, ram_mb=?, disk_gb=?, postgres_cpu_cores=?,"
		" postgres_ram_mb=?, postgres_custom=?, enable_read_replica=?, odoo_config=?,"
		" updated_at=? WHERE id=?",
		"diidibbjss", res.cpu_c / 100.0, (int64_t)res.ram_mb, (int64_t)res.disk_gb,
		res.pg_cpu_c / 100.0, (int64_t)res.pg_ram_mb, (int)res.pg_custom, (int)replica, ocfg,
		now, id);
	free(now);
	if (in.name)
		db_exec("UPDATE environments SET name=? WHERE id=?", "ss", in.name, id);
	if (in.subdomain)
		db_exec("UPDATE environments SET subdomain=? WHERE id=?", "ss", in.subdomain, id);
	if (in.has_custom_domain)
		db_exec("UPDATE environments SET custom_domain=? WHERE id=?", "ss", in.custom_domain, id);
	if (in.git_branch)
		db_exec("UPDATE environments SET git_branch=? WHERE id=?", "ss", in.git_branch, id);
	if (in.has_auto)
		db_exec("UPDATE environments SET auto_deploy=? WHERE id=?", "bs", (int)in.auto_deploy, id);
	if (in.has_pgtune)
		db_exec("UPDATE environments SET enable_pgtune=? WHERE id=?", "bs", (int)in.pgtune, id);
	if (in.has_auto_restart)
		db_exec("UPDATE environments SET settings=json_set(settings, '$.auto_restart', json(?))"
			" WHERE id=?", "ss", in.auto_restart ? "true" : "false", id);
	if (in.has_pgbouncer)
		db_exec("UPDATE environments SET enable_pgbouncer=? WHERE id=?", "bs", (int)in.pgbouncer, id);
	if (in.vars)
		db_exec("UPDATE environments SET environment_vars=? WHERE id=?", "js", in.vars, id);
	if (in.addons)
		db_exec("UPDATE environments SET addon_repositories=? WHERE id=?", "js", in.addons, id);
	if (smtp_pw) {
		sealed = secret_seal(smtp_pw);
		db_exec("UPDATE environments SET smtp_password=? WHERE id=?", "ss", sealed, id);
	} else if (smtp_clear) {
		db_exec("UPDATE environments SET smtp_password=NULL WHERE id=?", "s", id);
	}
	json_t *changed = json_array();
	const char *k;
	json_t *v;
	json_object_foreach(req_body(r), k, v)
		json_array_append_new(changed, json_string(k));
	audit_record(r, acc.org_id, "environment.update", "environment", id,
		     json_pack("{s:o}", "fields", changed));
	db_commit();
	json_decref(cur);
	json_decref(ocfg);
	secret_free(smtp_pw);
	free(sealed);
	access_release(&acc);
	return reply_json(r, 200, env_get(id));
fail_tx:
	db_rollback();
fail:
	json_decref(cur);
	json_decref(ocfg);
	secret_free(smtp_pw);
	access_release(&acc);
	return reply_berr(r);
#undef CUR_I
#undef CUR_D
}

static int h_env_delete(struct req *r)
{
	struct access acc;
	json_t *e = access_env(&r->actor, r->params[0], &acc, &r->err);
	if (!e)
		return reply_berr(r);
	json_decref(e);
	const char *id = r->params[0];
	char *type = db_str("SELECT environment_type FROM environments WHERE id=?", "s", id);
	const char *confirm = NULL;
	json_t *body = req_body(r);
	json_t *c = json_object_get(body, "confirm");
	confirm = json_string_value(c);
	int status;
	if (perm_require(&acc, "environment.remove", &r->err) < 0) {
		status = reply_berr(r);
	} else if (str_eq(type, "production")) {
		status = reply_error(r, BE_PRODUCTION_PROTECTED, NULL,
				     "Production environments cannot be removed");
	} else if (!str_eq(confirm, "DELETE")) {
		status = reply_error(r, BE_CONFIRMATION_REQUIRED, "confirm",
				     "Send {\"confirm\": \"DELETE\"} (case-sensitive) to remove the"
				     " environment and all its data");
	} else {
		free(type);
		access_release(&acc);
		return env_remove_request(r); /* 202 with the removal job */
	}
	free(type);
	access_release(&acc);
	return status;
}

static int h_subdomain_check(struct req *r)
{
	const char *sub = req_query(r, "subdomain");
	if (!sub)
		return reply_error(r, BE_VALIDATION_ERROR, "subdomain", "subdomain: is required");
	bool valid = valid_dns_label(sub);
	bool taken = valid && subdomain_taken(sub, NULL);
	json_t *o = json_pack("{s:s,s:b,s:b}", "subdomain", sub, "valid", valid, "available",
			      valid && !taken);
	if (valid)
		json_object_set_new(o, "system_url", json_sprintf("https://%s.%s", sub, api_cfg.apps_domain));
	return reply_json(r, 200, o);
}

const struct route env_routes[] = {
	{"POST", "/api/v1/projects/{}/environments", h_env_create, 0},
	{"GET", "/api/v1/projects/{}/environments", h_env_list, 0},
	{"GET", "/api/v1/orgs/{}/environments", h_org_env_list, 0},
	{"GET", "/api/v1/environments/{}", h_env_get, 0},
	{"PATCH", "/api/v1/environments/{}", h_env_update, 0},
	{"DELETE", "/api/v1/environments/{}", h_env_delete, 0},
	{"GET", "/api/v1/subdomain-check", h_subdomain_check, 0},
	{NULL, NULL, NULL, 0},
};
