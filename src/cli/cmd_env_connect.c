/* cmd_env_connect.c: berth env sessions ENV [--q TEXT] and berth env connect ENV (--login L |
 * --user-id N) [--open] (docs/connect.md). */
#include "cli/cmd_env_connect.h"

#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "cli/client.h"
#include "cli/out.h"
#include "cli/resolve.h"
#include "lib/util.h"

const struct opt env_sessions_opts[] = {
	{"org", OPT_STR, NULL, "ORG", "the organization (id, slug or name)", 0},
	{"project", OPT_STR, NULL, "PROJECT", "the project (slug, name or id)", 0},
	{"q", OPT_STR, NULL, "TEXT", "only users whose name or login contains TEXT", 0},
	OPT_END,
};

const struct opt env_connect_opts[] = {
	{"org", OPT_STR, NULL, "ORG", "the organization (id, slug or name)", 0},
	{"project", OPT_STR, NULL, "PROJECT", "the project (slug, name or id)", 0},
	{"login", OPT_STR, "login", "LOGIN", "the Odoo user's login", 0},
	{"user-id", OPT_INT, "user_id", "N", "the Odoo user's id", 0},
	{"open", OPT_FLAG, NULL, NULL, "open the URL in a browser (xdg-open)", 0},
	OPT_END,
};

int cmd_env_sessions(struct cli *c, struct args *a)
{
	json_t *e, *out;
	int ex = resolve_env(c, arg_get(a, "org"), arg_get(a, "project"), a->pos[0], &e);
	if (ex)
		return ex;
	const char *q = arg_get(a, "q");
	char *qe = q ? url_escape(q) : NULL;
	char *path = xasprintf("/api/v1/environments/%s/sessions%s%s", jstr(e, "id"),
			       qe ? "?q=" : "", qe ? qe : "");
	free(qe);
	json_decref(e);
	ex = api_get(c, path, &out);
	free(path);
	if (ex)
		return ex;
	if (c->json) {
		print_json(out);
		json_decref(out);
		return EX_OK;
	}
	struct table *t = table_new("ID LOGIN NAME LOGGED_IN LAST_ACTIVITY DEVICES");
	size_t i;
	json_t *u;
	json_array_foreach(json_object_get(out, "users"), i, u) {
		table_cellf(t, "%lld", (long long)json_integer_value(json_object_get(u, "id")));
		table_cellj(t, u, "login");
		table_cellj(t, u, "name");
		table_cell(t, json_is_true(json_object_get(u, "logged_in")) ? "yes" : "no");
		table_cellj(t, u, "last_activity");
		struct sbuf d = SBUF_INIT;
		size_t k;
		json_t *dev;
		json_array_foreach(json_object_get(u, "devices"), k, dev) {
			if (k)
				sbuf_adds(&d, ", ");
			sbuf_addf(&d, "%s/%s %s", jstr(dev, "browser") ? jstr(dev, "browser") : "?",
				  jstr(dev, "platform") ? jstr(dev, "platform") : "?",
				  jstr(dev, "ip_address") ? jstr(dev, "ip_address") : "");
		}
		table_cell(t, d.len ? sbuf_str(&d) : NULL);
		sbuf_release(&d);
	}
	table_print(t);
	json_decref(out);
	return EX_OK;
}

/* xdg-open URL (argv, no shell); its exit status. */
static int open_url(const char *url)
{
	extern char **environ;
	const char *argv[] = {"xdg-open", url, NULL};
	pid_t pid;
	if (posix_spawnp(&pid, argv[0], NULL, NULL, (char *const *)argv, environ) != 0)
		return -1;
	int st;
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int cmd_env_connect(struct cli *c, struct args *a)
{
	if (!arg_has(a, "login") == !arg_has(a, "user-id")) {
		fprintf(stderr, "berth env connect: give --login LOGIN or --user-id N\n");
		return EX_USAGE;
	}
	json_t *e, *out;
	int ex = resolve_env(c, arg_get(a, "org"), arg_get(a, "project"), a->pos[0], &e);
	if (ex)
		return ex;
	json_t *body = json_object();
	args_to_body(a, body);
	char *path = xasprintf("/api/v1/environments/%s/connect", jstr(e, "id"));
	json_decref(e);
	ex = api_call(c, "POST", path, body, &out, 0);
	free(path);
	json_decref(body);
	if (ex)
		return ex;
	if (c->json) {
		print_json(out);
	} else {
		json_t *u = json_object_get(out, "user");
		printf("%s\n", jstr(out, "url"));
		fprintf(stderr, "signs in as %s (%s, id %lld), once, until %s\n",
			jstr(u, "login") ? jstr(u, "login") : "?", jstr(u, "name") ? jstr(u, "name") : "",
			(long long)json_integer_value(json_object_get(u, "id")), jstr(out, "expires_at"));
	}
	if (arg_has(a, "open") && open_url(jstr(out, "url")) != 0)
		fprintf(stderr, "berth env connect: xdg-open failed: open the URL above yourself\n");
	json_decref(out);
	return EX_OK;
}
