/* cmd_env_mails.c: `berth env mails ENV [ID] [--grep S] [--limit N]`: the mails a
 * non-production environment's mail catcher kept (GET /environments/{id}/mails, newest
 * first), or one of them with its body (GET /environments/{id}/mails/{mail_id}); --json
 * prints the API's answer. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/out.h"
#include "cli/resolve.h"
#include "lib/util.h"

const struct opt ENV_MAILS_OPTS[] = {
	{"org", OPT_STR, NULL, "ORG", "the organization (id, slug or name)", 0},
	{"project", OPT_STR, NULL, "PROJECT", "the project (slug, name or id)", 0},
	{"grep", OPT_STR, NULL, "S", "only the mails whose sender, recipients or subject hold S", 0},
	{"limit", OPT_INT, NULL, "N", "how many (default 50, at most 1000)", 0},
	OPT_END,
};

static void print_list(json_t *l)
{
	struct table *t = table_new("ID DATE FROM TO SUBJECT");
	size_t i;
	json_t *m;
	json_array_foreach(json_object_get(l, "mails"), i, m) {
		struct sbuf to = SBUF_INIT;
		size_t k;
		json_t *x;
		json_array_foreach(json_object_get(m, "to"), k, x)
			sbuf_addf(&to, "%s%s", k ? ", " : "", json_string_value(x));
		table_cell(t, jstr(m, "id"));
		table_cell(t, jstr(m, "date"));
		table_cell(t, jstr(m, "from"));
		table_cell(t, sbuf_str(&to));
		table_cell(t, jstr(m, "subject"));
		sbuf_release(&to);
	}
	table_print(t);
	printf("%lld mail(s) caught%s\n", (long long)json_integer_value(json_object_get(l, "total")),
	       json_array_size(json_object_get(l, "mails")) <
			       (size_t)json_integer_value(json_object_get(l, "total"))
		       ? " (the newest shown; --limit N for more)"
		       : "");
}

static void print_addrs(const char *label, json_t *arr)
{
	if (!json_array_size(arr))
		return;
	printf("%s: ", label);
	size_t k;
	json_t *x;
	json_array_foreach(arr, k, x)
		printf("%s%s", k ? ", " : "", json_string_value(x));
	printf("\n");
}

static void print_mail(json_t *m)
{
	printf("From: %s\n", jstr(m, "from") ? jstr(m, "from") : "");
	print_addrs("To", json_object_get(m, "to"));
	print_addrs("Cc", json_object_get(m, "cc"));
	printf("Subject: %s\nDate: %s\n\n", jstr(m, "subject") ? jstr(m, "subject") : "",
	       jstr(m, "date") ? jstr(m, "date") : "");
	const char *text = jstr(m, "text");
	const char *html = jstr(m, "html");
	if (text)
		printf("%s%s", text, *text && text[strlen(text) - 1] == '\n' ? "" : "\n");
	else if (html)
		printf("(HTML only)\n%s%s", html, *html && html[strlen(html) - 1] == '\n' ? "" : "\n");
}

int cmd_env_mails(struct cli *c, struct args *a)
{
	json_t *e, *r;
	int ex = resolve_env(c, arg_get(a, "org"), arg_get(a, "project"), a->pos[0], &e);
	if (ex)
		return ex;
	char *id = url_escape(jstr(e, "id"));
	json_decref(e);
	char *path;
	if (a->npos > 1) {
		char *mid = url_escape(a->pos[1]);
		path = xasprintf("/api/v1/environments/%s/mails/%s", id, mid);
		free(mid);
	} else {
		struct sbuf p = SBUF_INIT;
		sbuf_addf(&p, "/api/v1/environments/%s/mails", id);
		char sep = '?';
		if (arg_get(a, "grep")) {
			char *q = url_escape(arg_get(a, "grep"));
			sbuf_addf(&p, "%cq=%s", sep, q);
			sep = '&';
			free(q);
		}
		if (arg_get(a, "limit")) {
			char *l = url_escape(arg_get(a, "limit"));
			sbuf_addf(&p, "%climit=%s", sep, l);
			free(l);
		}
		path = sbuf_detach(&p);
	}
	free(id);
	ex = api_get(c, path, &r);
	free(path);
	if (ex)
		return ex;
	if (c->json) {
		print_json(r);
	} else if (a->npos > 1) {
		print_mail(r);
	} else {
		print_list(r);
	}
	json_decref(r);
	return EX_OK;
}
