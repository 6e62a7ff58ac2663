/* cmd_job.c: berth job list|show|log|cancel, and following a job's log (--wait). */
#include <string.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/out.h"
#include "cli/resolve.h"
#include "lib/util.h"
#include "lib/valid.h"

void job_queued_msg(struct cli *c, json_t *job, const char *what)
{
	if (c->json) {
		print_json(job);
		return;
	}
	const char *env = jstr(job, "environment_name");
	printf("%s%s%s %s: job %s\n", what, *env ? " of " : "", env,
	       str_eq(jstr(job, "status"), "queued") ? "queued" : jstr(job, "status"), jstr(job, "id"));
	fflush(stdout);
}

struct follow {
	bool json;
	char status[32];
	char error[512];
};

/* Log lines may carry terminal escapes (colored build output): print them inert. */
static void print_line(const char *s)
{
	char *l = xstrdup(s);
	for (char *p = l; *p; p++)
		if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f)
			*p = '?';
	puts(l);
	free(l);
	fflush(stdout);
}

static bool on_event(const char *event, const char *data, void *ctx)
{
	struct follow *f = ctx;
	if (strcmp(event, "log") == 0) {
		if (!f->json)
			print_line(data);
		return true;
	}
	if (strcmp(event, "status") == 0) {
		json_t *j = json_loads(data, 0, NULL);
		snprintf(f->status, sizeof f->status, "%s", jstr(j, "status"));
		snprintf(f->error, sizeof f->error, "%s", jstr(j, "error"));
		json_decref(j);
		return false;
	}
	return true;
}

int job_follow(struct cli *c, const char *job_id)
{
	struct follow f = {.json = c->json};
	char *path = xasprintf("/api/v1/jobs/%s/events", job_id);
	int ex = api_stream(c, path, on_event, &f);
	free(path);
	if (ex)
		return ex;
	if (c->json) {
		json_t *job;
		path = xasprintf("/api/v1/jobs/%s", job_id);
		ex = api_get(c, path, &job);
		free(path);
		if (ex)
			return ex;
		print_json(job);
		json_decref(job);
	} else {
		sanitize(f.error);
		printf("Job %s: %s%s%s\n", job_id, f.status[0] ? f.status : "ended",
		       f.error[0] ? ": " : "", f.error);
	}
	return str_eq(f.status, "done") ? EX_OK : EX_API;
}

static char *job_path(const char *id, const char *suffix)
{
	char *e = url_escape(id);
	char *p = xasprintf("/api/v1/jobs/%s%s", e, suffix);
	free(e);
	return p;
}

void jobs_table(json_t *list)
{
	struct table *t = table_new("ID TYPE STATUS ENVIRONMENT STAGE CREATED ERROR");
	size_t i;
	json_t *j;
	json_array_foreach(list, i, j) {
		table_cellj(t, j, "id");
		table_cellj(t, j, "type");
		table_cellj(t, j, "status");
		table_cellj(t, j, "environment_name");
		table_cellj(t, j, "stage");
		table_cellj(t, j, "created_at");
		table_cellj(t, j, "error");
	}
	table_print(t);
}

/* ?status=&limit= from the options. */
void jobs_query(struct args *a, struct sbuf *path)
{
	char sep = strchr(sbuf_str(path), '?') ? '&' : '?';
	if (arg_has(a, "status")) {
		char *s = url_escape(arg_get(a, "status"));
		sbuf_addf(path, "%cstatus=%s", sep, s);
		free(s);
		sep = '&';
	}
	if (arg_has(a, "limit"))
		sbuf_addf(path, "%climit=%s", sep, arg_get(a, "limit"));
}

static int cmd_list(struct cli *c, struct args *a)
{
	struct sbuf path = SBUF_INIT;
	int ex;
	if (arg_has(a, "env")) {
		json_t *e;
		if ((ex = resolve_env(c, arg_get(a, "org"), arg_get(a, "project"), arg_get(a, "env"), &e)))
			return ex;
		sbuf_addf(&path, "/api/v1/environments/%s/jobs", jstr(e, "id"));
		json_decref(e);
	} else {
		char *org;
		if ((ex = resolve_org(c, arg_get(a, "org"), &org)))
			return ex;
		sbuf_addf(&path, "/api/v1/orgs/%s/jobs", org);
		free(org);
	}
	jobs_query(a, &path);
	json_t *list;
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

static int cmd_show(struct cli *c, struct args *a)
{
	char *path = job_path(a->pos[0], "");
	json_t *j;
	int ex = api_get(c, path, &j);
	free(path);
	if (ex)
		return ex;
	static const char *const keys[] = {"id", "type", "status", "environment_name", "stage",
					   "error", NULL};
	emit(c, j, keys, 0);
	return EX_OK;
}

static int cmd_log(struct cli *c, struct args *a)
{
	if (arg_has(a, "follow")) {
		if (!valid_uuid(a->pos[0]))
			return cli_api_error(c, "NOT_FOUND", "Job '%s' doesn't exist", a->pos[0]);
		return job_follow(c, a->pos[0]);
	}
	char *path = job_path(a->pos[0], "/log");
	char *text;
	int ex = api_get_text(c, path, &text);
	free(path);
	if (ex)
		return ex;
	char *save = NULL;
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		print_line(l);
	free(text);
	return EX_OK;
}

static int cmd_cancel(struct cli *c, struct args *a)
{
	char *path = job_path(a->pos[0], "/cancel");
	json_t *j;
	int ex = api_call(c, "POST", path, NULL, &j, 0);
	free(path);
	if (ex)
		return ex;
	emit_msg(c, json_incref(j), "Job %s: %s%s", jstr(j, "id"), jstr(j, "status"),
		 json_is_true(json_object_get(j, "cancel_requested")) &&
				 str_eq(jstr(j, "status"), "running")
			 ? " (stops at its next step)"
			 : "");
	json_decref(j);
	return EX_OK;
}

static const struct opt LIST_OPTS[] = {
	{"org", OPT_STR, NULL, "ORG", "the organization (id, slug or name)", 0},
	{"env", OPT_STR, NULL, "ENV", "only the jobs of this environment", 0},
	{"project", OPT_STR, NULL, "PROJECT", "the project of --env", 0},
	{"status", OPT_STR, NULL, "STATUS", "queued, running, done, failed or cancelled", 0},
	{"limit", OPT_INT, NULL, "N", "how many (default 50)", 0},
	OPT_END,
};
static const struct opt LOG_OPTS[] = {
	{"follow", OPT_FLAG, NULL, NULL, "stream the log until the job ends", 0},
	OPT_END,
};
static const struct opt NONE[] = {OPT_END};

const struct verb job_verbs[] = {
	{"list", "[--env ENV] [--status S] [--limit N]", "List jobs, newest first.", LIST_OPTS, 0, 0,
	 cmd_list},
	{"show", "JOB", "Show a job.", NONE, 1, 1, cmd_show},
	{"log", "JOB [--follow]", "Print a job's log; --follow streams it until the job ends.",
	 LOG_OPTS, 1, 1, cmd_log},
	{"cancel", "JOB", "Cancel a job (a running one stops at its next step).", NONE, 1, 1,
	 cmd_cancel},
	{NULL, NULL, NULL, NULL, 0, 0, NULL},
};
