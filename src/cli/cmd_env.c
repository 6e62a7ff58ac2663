/* cmd_env.c: berth env list|show|create|update|delete and the actions
 * deploy|restart|stop|start|jobs. */
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/cmd_backup.h"
#include "cli/cmd_env_clone.h"
#include "cli/cmd_env_connect.h"
#include "cli/cmd_env_access.h"
#include "cli/cmd_env_logs.h"
#include "cli/cmd_env_settings.h"
#include "cli/out.h"
#include "cli/resolve.h"
#include "lib/util.h"

static const char *const SHOW_KEYS[] = {
	"id", "name", "project_id", "environment_type", "status", "status_reason", "server_name",
	"vm_id", "url", "system_url", "tls_status", "tls_error", "subdomain", "custom_domain",
	"odoo_version", "git_branch", "cpu_cores", "ram_mb", "disk_gb", "postgres_cpu_cores", "postgres_ram_mb", "odoo_cpu_cores",
	"odoo_ram_mb", "auto_deploy", "auto_restart", "enable_pgtune", "enable_pgbouncer",
	"enable_read_replica", "odoo_config", "odoo_config_effective", "environment_vars",
	"addon_repositories", "deployed_at", "deployed_commit", "branch_commit", "commits_ahead",
	"created_at", "updated_at", NULL};

/* The environment named on the command line (first argument). */
static int env_arg(struct cli *c, struct args *a, json_t **env)
{
	return resolve_env(c, arg_get(a, "org"), arg_get(a, "project"), a->pos[0], env);
}

/* ---- list ---- */

static int list_org(struct cli *c, const char *org, json_t **out)
{
	char *path = xasprintf("/api/v1/orgs/%s/environments", org);
	int ex = api_call(c, "GET", path, NULL, out, API_QUIET);
	free(path);
	if (ex == EX_OK || !api_no_route(c))
		return ex ? api_report(c) : EX_OK;
	/* an older berthd without the organization-wide list: project by project */
	json_t *projects;
	ex = org_get(c, org, "projects", &projects);
	if (ex)
		return ex;
	*out = json_array();
	size_t i;
	json_t *p;
	json_array_foreach(projects, i, p) {
		json_t *envs;
		path = xasprintf("/api/v1/projects/%s/environments", jstr(p, "id"));
		ex = api_get(c, path, &envs);
		free(path);
		if (ex)
			break;
		json_array_extend(*out, envs);
		json_decref(envs);
	}
	json_decref(projects);
	if (ex) {
		json_decref(*out);
		*out = NULL;
	}
	return ex;
}

static int cmd_list(struct cli *c, struct args *a)
{
	json_t *list = NULL, *projects = NULL, *project = NULL;
	const char *type = arg_get(a, "type");
	int ex;
	if (arg_has(a, "project")) {
		if ((ex = resolve_project(c, arg_get(a, "org"), arg_get(a, "project"), &project)))
			return ex;
		char *path;
		if (type) {
			char *t = url_escape(type);
			path = xasprintf("/api/v1/projects/%s/environments?type=%s", jstr(project, "id"), t);
			free(t);
		} else {
			path = xasprintf("/api/v1/projects/%s/environments", jstr(project, "id"));
		}
		ex = api_get(c, path, &list);
		free(path);
	} else {
		char *org;
		if ((ex = resolve_org(c, arg_get(a, "org"), &org)))
			return ex;
		ex = list_org(c, org, &list);
		if (ex == EX_OK && !c->json)
			ex = org_get(c, org, "projects", &projects);
		free(org);
		if (ex == EX_OK && type) { /* the organization-wide list has no type filter */
			json_t *keep = json_array();
			size_t i;
			json_t *e;
			json_array_foreach(list, i, e)
				if (str_eq(jstr(e, "environment_type"), type))
					json_array_append(keep, e);
			json_decref(list);
			list = keep;
		}
	}
	json_decref(project);
	if (ex) {
		json_decref(list);
		json_decref(projects);
		return ex;
	}
	if (emit_json(c, list))
		return EX_OK;
	struct table *t = table_new(projects ? "PROJECT NAME TYPE STATUS CPU RAM DISK URL"
					     : "NAME TYPE STATUS CPU RAM DISK URL");
	size_t i;
	json_t *e;
	json_array_foreach(list, i, e) {
		if (projects) {
			static const char *const keys[] = {"id", NULL};
			size_t n;
			json_t *p = find_item(projects, jstr(e, "project_id"), keys, &n);
			table_cell(t, p ? jstr(p, "slug") : jstr(e, "project_id"));
		}
		char ram[32], disk[32];
		fmt_unit(json_object_get(e, "ram_mb"), "M", ram, sizeof ram);
		fmt_unit(json_object_get(e, "disk_gb"), "G", disk, sizeof disk);
		table_cellj(t, e, "name");
		table_cellj(t, e, "environment_type");
		table_cellj(t, e, "status");
		table_cellj(t, e, "cpu_cores");
		table_cell(t, ram);
		table_cell(t, disk);
		table_cellj(t, e, "url");
	}
	table_print(t);
	json_decref(list);
	json_decref(projects);
	return EX_OK;
}

static int cmd_show(struct cli *c, struct args *a)
{
	json_t *e;
	int ex = env_arg(c, a, &e);
	if (ex)
		return ex;
	emit(c, e, SHOW_KEYS, 1);
	return EX_OK;
}

/* ---- the request body of create and update ---- */

/* --var KEY=VALUE and --unset-var KEY over the current variables (update) or none. */
static int apply_vars(struct cli *c, struct args *a, json_t *cur, json_t *body)
{
	const struct opt_vals *set = arg_all(a, "var"), *unset = arg_all(a, "unset-var");
	if ((!set || !set->n) && (!unset || !unset->n))
		return EX_OK;
	json_t *vars = json_is_object(json_object_get(cur, "environment_vars"))
			       ? json_deep_copy(json_object_get(cur, "environment_vars"))
			       : json_object();
	for (size_t i = 0; set && i < set->n; i++) {
		const char *eq = strchr(set->v[i], '=');
		if (!eq || eq == set->v[i]) {
			json_decref(vars);
			return usage_error(c, "--var: '%s' is not KEY=VALUE", set->v[i]);
		}
		char *k = xstrndup(set->v[i], (size_t)(eq - set->v[i]));
		json_t *v = json_string(eq + 1);
		if (!v || json_object_set_new(vars, k, v) < 0) {
			free(k);
			json_decref(vars);
			return usage_error(c, "--var: '%s' is not UTF-8 text", set->v[i]);
		}
		free(k);
	}
	for (size_t i = 0; unset && i < unset->n; i++)
		json_object_del(vars, unset->v[i]);
	json_object_set_new(body, "environment_vars", vars);
	return EX_OK;
}

/* --addon URL#BRANCH[#COMMIT] (added, replacing one with the same URL) and --remove-addon URL
 * over the current list (update) or none. */
static int apply_addons(struct cli *c, struct args *a, json_t *cur, json_t *body)
{
	const struct opt_vals *add = arg_all(a, "addon"), *rm = arg_all(a, "remove-addon");
	if ((!add || !add->n) && (!rm || !rm->n))
		return EX_OK;
	json_t *old = json_object_get(cur, "addon_repositories");
	json_t *list = json_is_array(old) ? json_deep_copy(old) : json_array();
	for (size_t i = 0; add && i < add->n; i++) {
		char *spec = xstrdup(add->v[i]);
		char *branch = strchr(spec, '#');
		if (!branch || branch == spec || !branch[1]) {
			free(spec);
			json_decref(list);
			return usage_error(c, "--addon: '%s' is not URL#BRANCH[#COMMIT]", add->v[i]);
		}
		*branch++ = '\0';
		char *commit = strchr(branch, '#');
		if (commit)
			*commit++ = '\0';
		for (size_t j = json_array_size(list); j-- > 0;)
			if (str_eq(jstr(json_array_get(list, j), "url"), spec))
				json_array_remove(list, j);
		json_t *r = json_pack("{s:s,s:s}", "url", spec, "branch", branch);
		if (r && commit && *commit)
			json_object_set_new(r, "commit", json_string(commit));
		free(spec);
		if (!r) {
			json_decref(list);
			return usage_error(c, "--addon: '%s' is not UTF-8 text", add->v[i]);
		}
		json_array_append_new(list, r);
	}
	for (size_t i = 0; rm && i < rm->n; i++)
		for (size_t j = json_array_size(list); j-- > 0;)
			if (str_eq(jstr(json_array_get(list, j), "url"), rm->v[i]))
				json_array_remove(list, j);
	json_object_set_new(body, "addon_repositories", list);
	return EX_OK;
}

/* SMTP: the options given, over the current settings (update), and the password from stdin. */
static int apply_smtp(struct cli *c, struct args *a, json_t *cur, json_t *body)
{
	if (arg_has(a, "clear-smtp")) {
		json_set_path(body, "odoo_config.smtp", json_null());
		return EX_OK;
	}
	json_t *given = json_path(body, "odoo_config.smtp");
	bool pw = arg_has(a, "smtp-password-stdin");
	if (!given && !pw)
		return EX_OK;
	json_t *smtp = json_object();
	json_t *old = json_path(cur, "odoo_config.smtp");
	if (json_is_object(old)) {
		json_object_update(smtp, old);
		json_object_del(smtp, "password_set"); /* berthd keeps the password when none is sent */
	}
	if (json_is_object(given))
		json_object_update(smtp, given);
	if (pw) {
		char *s = read_secret(c, "SMTP password: ", true, false);
		if (!s) {
			json_decref(smtp);
			return EX_USAGE;
		}
		json_t *v = json_string(s);
		secret_wipe_free(s);
		if (!v) {
			json_decref(smtp);
			return usage_error(c, "the SMTP password must be UTF-8 text");
		}
		json_object_set_new(smtp, "password", v);
	}
	json_set_path(body, "odoo_config.smtp", smtp);
	return EX_OK;
}

static int env_body(struct cli *c, struct args *a, json_t *cur, json_t **out)
{
	*out = NULL;
	json_t *body = body_from_args(c, a);
	if (!body)
		return EX_USAGE;
	int ex;
	if ((ex = apply_vars(c, a, cur, body)) || (ex = apply_addons(c, a, cur, body)) ||
	    (ex = apply_smtp(c, a, cur, body))) {
		json_decref(body);
		return ex;
	}
	*out = body;
	return EX_OK;
}

static void print_created(json_t *e, json_t *project)
{
	printf("Created environment %s (%s) in project %s on server %s.\n", jstr(e, "name"),
	       jstr(e, "environment_type"), jstr(project, "slug"), jstr(e, "server_name"));
	char *cpu = fmt_json(json_object_get(e, "cpu_cores"));
	char *pcpu = fmt_json(json_object_get(e, "postgres_cpu_cores"));
	printf("Resources: %s CPU, %lld MB RAM, %lld GB disk (PostgreSQL: %s CPU, %lld MB)\n", cpu,
	       (long long)json_integer_value(json_object_get(e, "ram_mb")),
	       (long long)json_integer_value(json_object_get(e, "disk_gb")), pcpu,
	       (long long)json_integer_value(json_object_get(e, "postgres_ram_mb")));
	free(cpu);
	free(pcpu);
	printf("URL: %s\n", jstr(e, "url"));
	if (json_is_string(json_object_get(e, "admin_password")))
		printf("Odoo administrator (set by the first deploy; the password is shown only now):\n"
		       "  Login:    %s\n  Password: %s\n", jstr(e, "admin_login"),
		       jstr(e, "admin_password"));
	printf("Status: %s. Deploy it with: berth env deploy %s --project %s\n", jstr(e, "status"),
	       jstr(e, "name"), jstr(project, "slug"));
}

static int cmd_create(struct cli *c, struct args *a)
{
	json_t *project = NULL, *server = NULL, *body = NULL, *e = NULL;
	int ex = resolve_project(c, arg_get(a, "org"), arg_get(a, "project"), &project);
	if (ex)
		return ex;
	if ((ex = env_body(c, a, NULL, &body)))
		goto out;
	if (a->npos > 0)
		json_object_set_new(body, "name", json_string(a->pos[0]));
	if (arg_has(a, "server")) {
		if ((ex = resolve_server(c, jstr(project, "org_id"), arg_get(a, "server"), &server)))
			goto out;
		json_object_set(body, "vm_id", json_object_get(server, "id"));
	}
	char *path = xasprintf("/api/v1/projects/%s/environments", jstr(project, "id"));
	ex = api_call(c, "POST", path, body, &e, 0);
	free(path);
	if (ex)
		goto out;
	if (c->json)
		print_json(e);
	else
		print_created(e, project);
	if (arg_has(a, "deploy")) {
		json_t *job;
		path = xasprintf("/api/v1/environments/%s/deploy", jstr(e, "id"));
		ex = api_call(c, "POST", path, NULL, &job, 0);
		free(path);
		if (ex == EX_OK) {
			job_queued_msg(c, job, "Deploy");
			if ((arg_has(a, "wait") || arg_has(a, "follow")))
				ex = job_follow(c, jstr(job, "id"));
			json_decref(job);
		}
	}
out:
	if (body)
		json_wipe_strings(json_object_get(body, "odoo_config"));
	json_decref(body);
	json_decref(e);
	json_decref(server);
	json_decref(project);
	return ex;
}

static int cmd_update(struct cli *c, struct args *a)
{
	json_t *cur, *body = NULL, *e = NULL;
	int ex = env_arg(c, a, &cur);
	if (ex)
		return ex;
	if ((ex = env_body(c, a, cur, &body)))
		goto out;
	if (!json_object_size(body)) {
		ex = usage_error(c, "nothing to change");
		goto out;
	}
	char *path = xasprintf("/api/v1/environments/%s", jstr(cur, "id"));
	ex = api_call(c, "PATCH", path, body, &e, 0);
	free(path);
	if (ex)
		goto out;
	emit_msg(c, json_incref(e), "Updated environment %s. Deploy to apply the changes: berth env"
				    " deploy %s",
		 jstr(e, "name"), jstr(e, "id"));
out:
	if (body)
		json_wipe_strings(json_object_get(body, "odoo_config"));
	json_decref(body);
	json_decref(e);
	json_decref(cur);
	return ex;
}

static int cmd_delete(struct cli *c, struct args *a)
{
	const char *confirm = arg_get(a, "confirm");
	if (confirm && strcmp(confirm, "DELETE") != 0)
		return usage_error(c, "--confirm must be DELETE (in capitals)");
	if (!confirm && !isatty(STDIN_FILENO))
		return usage_error(c, "not interactive: pass --confirm DELETE to remove the environment");
	json_t *e, *job;
	int ex = env_arg(c, a, &e);
	if (ex)
		return ex;
	if (!confirm) {
		char *name = xstrdup(jstr(e, "name"));
		sanitize(name);
		fprintf(stderr, "This removes environment %s (%s), its containers, database and files.\n",
			name, jstr(e, "url"));
		free(name);
		char *answer = read_line_tty("Type DELETE to confirm: ");
		bool ok = answer && strcmp(answer, "DELETE") == 0;
		free(answer);
		if (!ok) {
			json_decref(e);
			return cli_fail(EX_USAGE, "not confirmed: nothing was removed");
		}
	}
	json_t *body = json_pack("{s:s}", "confirm", "DELETE");
	char *path = xasprintf("/api/v1/environments/%s", jstr(e, "id"));
	ex = api_call(c, "DELETE", path, body, &job, 0);
	free(path);
	json_decref(body);
	if (ex == EX_OK) {
		if (job) {
			job_queued_msg(c, job, "Removal");
			if ((arg_has(a, "wait") || arg_has(a, "follow")))
				ex = job_follow(c, jstr(job, "id"));
		} else if (!c->json) {
			printf("Removed environment %s.\n", jstr(e, "name"));
		}
	}
	json_decref(job);
	json_decref(e);
	return ex;
}

/* deploy, restart, stop, start: a job. */
static int action(struct cli *c, struct args *a, const char *verb, const char *what, json_t *body)
{
	json_t *e, *job;
	int ex = env_arg(c, a, &e);
	if (ex) {
		json_decref(body);
		return ex;
	}
	char *path = xasprintf("/api/v1/environments/%s/%s", jstr(e, "id"), verb);
	ex = api_call(c, "POST", path, body ? body : NULL, &job, 0);
	free(path);
	json_decref(body);
	json_decref(e);
	if (ex)
		return ex;
	job_queued_msg(c, job, what);
	if ((arg_has(a, "wait") || arg_has(a, "follow")))
		ex = job_follow(c, jstr(job, "id"));
	json_decref(job);
	return ex;
}

static int cmd_deploy(struct cli *c, struct args *a)
{
	return action(c, a, "deploy", "Deploy", NULL);
}

static int cmd_restart(struct cli *c, struct args *a)
{
	json_t *body = json_object();
	if (arg_has(a, "mode"))
		json_object_set_new(body, "mode", json_string(arg_get(a, "mode")));
	return action(c, a, "restart", "Restart", body);
}

static int cmd_stop(struct cli *c, struct args *a)
{
	return action(c, a, "stop", "Stop", NULL);
}

static int cmd_start(struct cli *c, struct args *a)
{
	return action(c, a, "start", "Start", NULL);
}

static int cmd_merge(struct cli *c, struct args *a)
{
	if (!arg_has(a, "into"))
		return usage_error(c, "--into BRANCH is required (the branch to merge into)");
	return action(c, a, "merge", "Merge",
		      json_pack("{s:s}", "target_branch", arg_get(a, "into")));
}

/* The Commits tab: the branch's newest commits, the deployed one marked. */
static int cmd_commits(struct cli *c, struct args *a)
{
	json_t *e, *list;
	int ex = env_arg(c, a, &e);
	if (ex)
		return ex;
	char *path = xasprintf("/api/v1/environments/%s/commits?limit=%s", jstr(e, "id"),
			       arg_has(a, "limit") ? arg_get(a, "limit") : "20");
	ex = api_get(c, path, &list);
	free(path);
	json_decref(e);
	if (ex)
		return ex;
	if (emit_json(c, list))
		return EX_OK;
	struct table *t = table_new("COMMIT DATE AUTHOR MESSAGE");
	size_t i;
	json_t *m;
	json_array_foreach(list, i, m) {
		table_cellf(t, "%s%s", jstr(m, "hash") ? jstr(m, "hash") : "",
			    json_is_true(json_object_get(m, "deployed")) ? " *" : "");
		table_cellj(t, m, "date");
		table_cellj(t, m, "author");
		table_cellj(t, m, "message");
	}
	table_print(t);
	if (json_array_size(list))
		printf("(* deployed)\n");
	json_decref(list);
	return EX_OK;
}

static int cmd_jobs(struct cli *c, struct args *a)
{
	json_t *e, *list;
	int ex = env_arg(c, a, &e);
	if (ex)
		return ex;
	struct sbuf path = SBUF_INIT;
	sbuf_addf(&path, "/api/v1/environments/%s/jobs", jstr(e, "id"));
	json_decref(e);
	jobs_query(a, &path);
	ex = api_get(c, sbuf_str(&path), &list);
	sbuf_release(&path);
	if (ex)
		return ex;
	if (c->json)
		print_json(list);
	else
		jobs_table(list);
	json_decref(list);
	return EX_OK;
}

#define ORG_OPTION {"org", OPT_STR, NULL, "ORG", "the organization (id, slug or name)", 0}
#define PROJECT_OPTION                                                                         \
	{"project", OPT_STR, NULL, "PROJECT", "the project (slug, name or id); default: search"     \
					      " the organization", 0}
#define WAIT_OPTION                                                                            \
	{"follow", OPT_FLAG, NULL, NULL, "follow the job's log live until it ends", 0},           \
	{"wait", OPT_FLAG, NULL, NULL, "same as --follow", 0}

/* Settings that create and update share. */
#define ENV_FIELDS                                                                              \
	{"subdomain", OPT_STR, "subdomain", "LABEL", "system subdomain (default: generated)", 0},   \
	{"domain", OPT_STR, "custom_domain", "DOMAIN", "custom domain ('' removes it)",             \
	 OPT_NULLABLE},                                                                           \
	{"cpu", OPT_NUM, "cpu_cores", "N", "CPU cores, PostgreSQL included (default 1)", 0},        \
	{"ram", OPT_INT, "ram_mb", "MB", "RAM in MB, PostgreSQL included (default 2048)", 0},       \
	{"disk", OPT_INT, "disk_gb", "GB", "disk in GB (default 10)", 0},                           \
	{"pg-cpu", OPT_NUM, "postgres_cpu_cores", "N", "PostgreSQL CPU cores ('auto': 30%)",         \
	 OPT_NULLABLE},                                                                           \
	{"pg-ram", OPT_INT, "postgres_ram_mb", "MB", "PostgreSQL RAM in MB ('auto': 30%)",          \
	 OPT_NULLABLE},                                                                           \
	{"branch", OPT_STR, "git_branch", "BRANCH", "git branch (default: the project's)", 0},      \
	{"auto-deploy", OPT_BOOL, "auto_deploy", NULL, "deploy on push", 0},                        \
	{"auto-restart", OPT_BOOL, "auto_restart", NULL, "restart Odoo when it stops", 0},          \
	{"pgtune", OPT_BOOL, "enable_pgtune", NULL, "tune PostgreSQL to its resources", 0},         \
	{"pgbouncer", OPT_BOOL, "enable_pgbouncer", NULL, "connection pooling", 0},                 \
	{"read-replica", OPT_BOOL, "enable_read_replica", NULL, "a read replica (Odoo 18+)", 0},    \
	{"preset", OPT_STR, "odoo_config.preset", "P", "minimal, standard, production or"           \
						      " high_performance", 0},                            \
	{"odoo-workers", OPT_INT, "odoo_config.workers", "N", "Odoo workers ('auto': computed)",    \
	 OPT_NULLABLE},                                                                           \
	{"cron-threads", OPT_INT, "odoo_config.max_cron_threads", "N", "Odoo cron threads",         \
	 OPT_NULLABLE},                                                                           \
	{"db-filter", OPT_STR, "odoo_config.db_filter", "RE", "Odoo dbfilter", OPT_NULLABLE},       \
	{"log-level", OPT_STR, "odoo_config.log_level", "L", "debug, info, warning, error or"       \
							 " critical", OPT_NULLABLE},              \
	{"session-timeout", OPT_INT, "odoo_config.session_timeout", "MIN", "session timeout in"    \
									 " minutes", OPT_NULLABLE}, \
	{"smtp-host", OPT_STR, "odoo_config.smtp.host", "HOST", "outgoing mail server", 0},         \
	{"smtp-port", OPT_INT, "odoo_config.smtp.port", "PORT", "its port (587 with starttls)", 0}, \
	{"smtp-user", OPT_STR, "odoo_config.smtp.user", "USER", "its user", 0},                     \
	{"smtp-password-stdin", OPT_FLAG, NULL, NULL, "read the SMTP password from stdin", 0},      \
	{"smtp-encryption", OPT_STR, "odoo_config.smtp.encryption", "E", "starttls or none", 0},    \
	{"smtp-from", OPT_STR, "odoo_config.smtp.from", "EMAIL", "default sender", 0},              \
	{"var", OPT_LIST, NULL, "KEY=VALUE", "an environment variable of Odoo (repeatable)", 0},    \
	{"addon", OPT_LIST, NULL, "URL#BRANCH[#COMMIT]", "an addon repository (repeatable)", 0},    \
	{"data", OPT_STR, NULL, "JSON", "more fields as a JSON object (options win)", 0}

static const struct opt LIST_OPTS[] = {
	ORG_OPTION,
	{"project", OPT_STR, NULL, "PROJECT", "only this project (slug, name or id)", 0},
	{"type", OPT_STR, NULL, "TYPE", "only development, staging or production", 0},
	OPT_END,
};
static const struct opt ENV_OPTS[] = {ORG_OPTION, PROJECT_OPTION, OPT_END};
static const struct opt CREATE_OPTS[] = {
	ORG_OPTION,
	{"project", OPT_STR, NULL, "PROJECT", "the project (default: the only one)", 0},
	{"type", OPT_STR, "env_type", "TYPE", "development (default), staging or production", 0},
	{"server", OPT_STR, NULL, "SERVER", "the server (default: the one with most free RAM)", 0},
	{"admin-login", OPT_STR, "admin_login", "LOGIN", "the Odoo administrator's login (default:"
							     " your email)", 0},
	ENV_FIELDS,
	{"deploy", OPT_FLAG, NULL, NULL, "deploy it right away", 0},
	WAIT_OPTION,
	OPT_END,
};
static const struct opt UPDATE_OPTS[] = {
	ORG_OPTION,
	PROJECT_OPTION,
	{"name", OPT_STR, "name", "NAME", "rename", 0},
	ENV_FIELDS,
	{"unset-var", OPT_LIST, NULL, "KEY", "remove an environment variable (repeatable)", 0},
	{"remove-addon", OPT_LIST, NULL, "URL", "remove an addon repository (repeatable)", 0},
	{"clear-smtp", OPT_FLAG, NULL, NULL, "remove the SMTP settings", 0},
	{"backup-schedule", OPT_STR, "backup_schedule", "TIMES", "automatic backups at these HH:MM"
								  " times, space-separated ('': none)", 0},
	OPT_END,
};
static const struct opt DELETE_OPTS[] = {
	ORG_OPTION,
	PROJECT_OPTION,
	{"confirm", OPT_STR, NULL, "DELETE", "confirm without being asked", 0},
	WAIT_OPTION,
	OPT_END,
};
static const struct opt ACTION_OPTS[] = {ORG_OPTION, PROJECT_OPTION, WAIT_OPTION, OPT_END};
static const struct opt RESTART_OPTS[] = {
	ORG_OPTION,
	PROJECT_OPTION,
	{"mode", OPT_STR, NULL, "MODE", "soft (default: reload Odoo) or hard (recreate)", 0},
	WAIT_OPTION,
	OPT_END,
};
static const struct opt MERGE_OPTS[] = {
	ORG_OPTION,
	PROJECT_OPTION,
	{"into", OPT_STR, NULL, "BRANCH", "the target branch (required)", 0},
	WAIT_OPTION,
	OPT_END,
};
static const struct opt COMMITS_OPTS[] = {
	ORG_OPTION,
	PROJECT_OPTION,
	{"limit", OPT_INT, NULL, "N", "how many (default 20, at most 200)", 0},
	OPT_END,
};
static const struct opt JOBS_OPTS[] = {
	ORG_OPTION,
	PROJECT_OPTION,
	{"status", OPT_STR, NULL, "STATUS", "queued, running, done, failed or cancelled", 0},
	{"limit", OPT_INT, NULL, "N", "how many (default 50)", 0},
	OPT_END,
};

extern const struct opt ENV_METRICS_OPTS[]; /* cli/cmd_env_metrics.c */
int cmd_env_metrics(struct cli *c, struct args *a);
extern const struct opt ENV_MAILS_OPTS[]; /* cli/cmd_env_mails.c */
int cmd_env_mails(struct cli *c, struct args *a);
const struct verb env_verbs[] = {
	{"list", "[--project PROJECT] [--type TYPE]",
	 "List environments: of a project, or of every project of the organization.", LIST_OPTS, 0,
	 0, cmd_list},
	{"show", "ENV [--project PROJECT]", "Show an environment (by name or id).", ENV_OPTS, 1, 1,
	 cmd_show},
	{"create", "[NAME] [--project PROJECT] [--type TYPE] [--server SERVER] [OPTIONS]",
	 "Create an environment (status pending; deploy it to run it).", CREATE_OPTS, 0, 1,
	 cmd_create},
	{"update", "ENV [OPTIONS]",
	 "Change an environment's settings (--var adds to the variables; deploy to apply).",
	 UPDATE_OPTS, 1, 1, cmd_update},
	{"delete", "ENV [--confirm DELETE] [--follow]",
	 "Remove an environment and all its data (asks to type DELETE).", DELETE_OPTS, 1, 1,
	 cmd_delete},
	{"deploy", "ENV [--follow]", "Deploy (a job; --wait follows its log).", ACTION_OPTS, 1, 1,
	 cmd_deploy},
	{"restart", "ENV [--mode soft|hard] [--follow]", "Restart Odoo (a job).", RESTART_OPTS, 1, 1,
	 cmd_restart},
	{"stop", "ENV [--follow]", "Stop the environment's containers (a job).", ACTION_OPTS, 1, 1,
	 cmd_stop},
	{"start", "ENV [--follow]", "Start a stopped environment (a job).", ACTION_OPTS, 1, 1,
	 cmd_start},
	{"jobs", "ENV [--status S] [--limit N]", "The environment's jobs, newest first.", JOBS_OPTS,
	 1, 1, cmd_jobs},
	{"commits", "ENV [--limit N]", "The branch's newest commits; * marks the deployed one.",
	 COMMITS_OPTS, 1, 1, cmd_commits},
	{"metrics", "ENV [--range 6h|24h|48h]", "CPU and memory per container: now, mean, peak.",
	 ENV_METRICS_OPTS, 1, 1, cmd_env_metrics},
	{"merge", "ENV --into BRANCH [--follow]",
	 "Merge the environment's branch into BRANCH and push it (a job).", MERGE_OPTS, 1, 1,
	 cmd_merge},
	{"mails", "ENV [ID] [--grep S] [--limit N]",
	 "Mails caught by a non-production environment's mail catcher, or one with its body.",
	 ENV_MAILS_OPTS, 1, 2, cmd_env_mails},
	ENV_LOGS_VERB,
	ENV_CONNECT_VERBS,
	ENV_ACCESS_VERBS,
	ENV_SETTINGS_VERB,
	ENV_CERT_VERBS,
	ENV_BACKUP_VERBS,
	ENV_CLONE_VERBS,
	{NULL, NULL, NULL, NULL, 0, 0, NULL},
};
