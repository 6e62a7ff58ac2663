/* cmd_env_logs.c: `berth env logs ENV [-f] [--tail N] [--since T] [--until T] [--level L]
 * [--grep S] [--container C] [-o FILE]`: GET /environments/{id}/logs (JSON lines, printed as
 * "<time> <line>"), /logs/download for -o, and /logs/stream for -f (resumed after the last
 * line printed). */
#include <stdio.h>
#include <string.h>

#include "cli/cmd_env_logs.h"
#include "cli/client.h"
#include "cli/resolve.h"
#include "lib/util.h"

const struct opt env_logs_opts[] = {
	{"org", OPT_STR, NULL, "ORG", "the organization (id, slug or name)", 0},
	{"project", OPT_STR, NULL, "PROJECT", "the project (slug, name or id)", 0},
	{"follow", OPT_FLAG, NULL, NULL, "then print new lines as they are written", OPT_SHORT},
	{"tail", OPT_INT, NULL, "N", "the last N lines (default 500, at most 100000)", 0},
	{"since", OPT_STR, NULL, "T", "from this time (ISO 8601: 2024-01-01T12:00:00Z)", 0},
	{"until", OPT_STR, NULL, "T", "up to this time (ISO 8601)", 0},
	{"level", OPT_STR, NULL, "L", "debug, info, warning, error or critical: and above", 0},
	{"grep", OPT_STR, NULL, "S", "only the lines that contain S", 0},
	{"container", OPT_STR, NULL, "C", "odoo (default), db, pgbouncer, replica or edge", 0},
	{"output", OPT_STR, NULL, "FILE", "write every line that matches to FILE", OPT_SHORT},
	OPT_END,
};

static void add_param(struct sbuf *q, const char *key, const char *value)
{
	if (!value)
		return;
	char *v = url_escape(value);
	sbuf_addf(q, "%c%s=%s", q->len ? '&' : '?', key, v);
	free(v);
}

struct follow {
	struct cli *c;
};

static void print_line(struct cli *c, json_t *l, const char *raw)
{
	if (c->json)
		printf("%s\n", raw);
	else
		printf("%s %s\n", jstr(l, "ts"), jstr(l, "line"));
}

static bool on_event(const char *event, const char *data, void *ctx)
{
	struct follow *f = ctx;
	if (strcmp(event, "log") != 0)
		return true;
	json_t *l = json_loads(data, 0, NULL);
	if (l)
		print_line(f->c, l, data);
	json_decref(l);
	fflush(stdout);
	return true;
}

int cmd_env_logs(struct cli *c, struct args *a)
{
	bool follow = arg_has(a, "follow");
	const char *out = arg_get(a, "output");
	if (follow && out)
		return usage_error(c, "-f and -o do not go together");
	if (follow && arg_has(a, "until"))
		return usage_error(c, "-f follows the log: --until does not go with it");
	json_t *env;
	int ex = resolve_env(c, arg_get(a, "org"), arg_get(a, "project"), a->pos[0], &env);
	if (ex)
		return ex;
	char *id = xstrdup(jstr(env, "id"));
	json_decref(env);
	struct sbuf q = SBUF_INIT, filters = SBUF_INIT;
	add_param(&filters, "since", arg_get(a, "since"));
	add_param(&filters, "until", arg_get(a, "until"));
	add_param(&filters, "level", arg_get(a, "level"));
	add_param(&filters, "q", arg_get(a, "grep"));
	add_param(&filters, "container", arg_get(a, "container"));
	sbuf_adds(&q, sbuf_str(&filters));
	add_param(&q, "tail", arg_get(a, "tail"));
	char *path = xasprintf("/api/v1/environments/%s/logs%s%s", id, out ? "/download" : "",
			       sbuf_str(&q));
	char *text = NULL;
	if (out) {
		/* streamed into the file as it arrives: a log may be larger than memory allows */
		FILE *f = fopen(out, "w");
		if (!f) {
			ex = cli_fail(EX_USAGE, "cannot write %s", out);
		} else {
			ex = api_get_file(c, path, f);
			long size = ftell(f);
			if (fclose(f) != 0 && ex == EX_OK)
				ex = cli_fail(EX_USAGE, "cannot write %s", out);
			if (ex == EX_OK && !c->json)
				fprintf(stderr, "%ld bytes written to %s\n", size, out);
		}
	} else {
		ex = api_get_text(c, path, &text);
	}
	free(path);
	char last[32] = "";
	if (ex == EX_OK && !out) {
		for (char *p = text; p && *p;) {
			char *nl = strchr(p, '\n');
			if (nl)
				*nl = '\0';
			json_t *l = json_loads(p, 0, NULL);
			if (l) {
				print_line(c, l, p);
				snprintf(last, sizeof last, "%s", jstr(l, "id"));
			}
			json_decref(l);
			p = nl ? nl + 1 : NULL;
		}
		fflush(stdout);
	}
	free(text);
	if (ex == EX_OK && follow) {
		/* new lines from the last one printed (the since filter only when none was) */
		struct sbuf sq = SBUF_INIT;
		const char *since = arg_get(a, "since");
		if (last[0])
			add_param(&sq, "last_event_id", last); /* api_stream resumes with ?after= */
		else
			add_param(&sq, "since", since);
		add_param(&sq, "level", arg_get(a, "level"));
		add_param(&sq, "q", arg_get(a, "grep"));
		add_param(&sq, "container", arg_get(a, "container"));
		char *sp = xasprintf("/api/v1/environments/%s/logs/stream%s", id, sbuf_str(&sq));
		struct follow f = {c};
		ex = api_stream(c, sp, on_event, &f);
		free(sp);
		sbuf_release(&sq);
	}
	sbuf_release(&q);
	sbuf_release(&filters);
	free(id);
	return ex;
}
