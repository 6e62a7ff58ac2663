/* main.c: `berth`, the command-line client of berthd: global options, nouns and verbs,
 * help, and the messages shared by the commands. */
#include <curl/curl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/out.h"
#include "lib/util.h"

static const struct noun NOUNS[] = {
	{"login", "Log in to berthd and remember the session", auth_login_verbs},
	{"logout", "Revoke the session and forget it", auth_logout_verbs},
	{"setup", "First run: create the administrator and the first organization", auth_setup_verbs},
	{"passwd", "Change your password", auth_passwd_verbs},
	{"whoami", "Show who you are logged in as, and where", auth_whoami_verbs},
	{"org", "Organizations", org_verbs},
	{"member", "Members of an organization", member_verbs},
	{"invitation", "Invitations to an organization", invitation_verbs},
	{"plan", "Plans: quotas and features (administrator)", plan_verbs},
	{"apikey", "Your API keys", apikey_verbs},
	{"server", "Servers that host environments", server_verbs},
	{"project", "Projects: an Odoo version and a repository", project_verbs},
	{"env", "Environments of a project", env_verbs},
	{"job", "Jobs: deploys, restarts and removals", job_verbs},
	{"admin", "Platform settings (administrator): the Odoo image per version", admin_verbs},
	{"webhook", "Outgoing webhooks of an organization: signed event deliveries", webhook_verbs},
	{"alert", "Alerts of an organization and their thresholds", alert_verbs},
	{"backup-target", "Where an organization's backups are kept: local, SFTP, S3",
	 backup_target_verbs},
	{"backup", "Backups of environments: list, download, restore, verify", backup_verbs},
};

static const struct {
	const char *alias, *noun;
} ALIASES[] = {
	{"orgs", "org"},           {"organization", "org"}, {"organizations", "org"},
	{"members", "member"},     {"invitations", "invitation"}, {"invite", "invitation"},
	{"plans", "plan"},         {"apikeys", "apikey"},   {"api-key", "apikey"},
	{"api-keys", "apikey"},    {"servers", "server"},   {"projects", "project"},
	{"envs", "env"},           {"environment", "env"},  {"environments", "env"},
	{"jobs", "job"},           {"webhooks", "webhook"},
	{"alerts", "alert"},
	{"backup-targets", "backup-target"},
	{"backups", "backup"},
};

/* ---- messages ---- */

static void vmessage(const char *kind, const char *fmt, va_list ap)
{
	char buf[2048];
	vsnprintf(buf, sizeof buf, fmt, ap);
	for (char *p = buf; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	fprintf(stderr, "berth: %s%s\n", kind, buf);
}

int cli_fail(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmessage("error: ", fmt, ap);
	va_end(ap);
	return code;
}

void cli_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmessage("warning: ", fmt, ap);
	va_end(ap);
}

int usage_error(struct cli *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmessage("error: ", fmt, ap);
	va_end(ap);
	fprintf(stderr, "Run 'berth %s --help' for usage.\n", c && c->cmd ? c->cmd : "");
	return EX_USAGE;
}

int cli_api_error(struct cli *c, const char *code, const char *fmt, ...)
{
	(void)c;
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	return cli_fail(EX_API, "%s: %s", code, buf);
}

void print_json(json_t *v)
{
	if (!v)
		return;
	char *s = json_dumps(v, JSON_INDENT(2) | JSON_ENCODE_ANY | JSON_REAL_PRECISION(12));
	if (s) {
		puts(s);
		free(s);
	}
}

bool emit_json(struct cli *c, json_t *v)
{
	if (!c->json)
		return false;
	print_json(v);
	json_decref(v);
	return true;
}

void emit(struct cli *c, json_t *obj, const char *const *keys, int only)
{
	if (c->json)
		print_json(obj);
	else if (obj)
		print_kv(obj, keys, only);
	json_decref(obj);
}

void emit_msg(struct cli *c, json_t *obj, const char *fmt, ...)
{
	if (c->json) {
		print_json(obj);
	} else {
		struct sbuf sb = SBUF_INIT;
		va_list ap;
		va_start(ap, fmt);
		sbuf_vaddf(&sb, fmt, ap);
		va_end(ap);
		char *s = sbuf_detach(&sb);
		for (char *p = s; *p; p++) /* no terminal escapes from names; newlines stay */
			if (((unsigned char)*p < 0x20 && *p != '\n') || *p == 0x7f)
				*p = '?';
		puts(s);
		free(s);
	}
	json_decref(obj);
}

json_t *body_from_args(struct cli *c, const struct args *a)
{
	json_t *body = NULL;
	const char *data = NULL;
	for (size_t i = 0; i < a->nopts; i++)
		if (strcmp(a->opts[i].name, "data") == 0)
			data = arg_get(a, "data");
	if (data) {
		json_error_t je;
		body = json_loads(data, 0, &je);
		if (!json_is_object(body)) {
			json_decref(body);
			usage_error(c, "--data: not a JSON object (%s)", body ? "another JSON value" : je.text);
			return NULL;
		}
	} else {
		body = json_object();
	}
	args_to_body(a, body);
	return body;
}

const char *jstr(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	return s ? s : "";
}

/* ---- help ---- */

static void usage_line(FILE *f, const struct noun *n, const struct verb *v)
{
	fprintf(f, "berth %s%s%s%s%s", n->name, v->name ? " " : "", v->name ? v->name : "",
		v->usage && *v->usage ? " " : "", v->usage ? v->usage : "");
}

static void main_help(FILE *f)
{
	fprintf(f, "berth %s: the command-line client of berthd (self-hosted Odoo hosting)\n\n"
		   "Usage: berth [--url URL] [--json] COMMAND [ARGS...]\n"
		   "       berth NOUN VERB [ARGS...] [OPTIONS]\n\nCommands:\n",
		BERTH_VERSION);
	for (size_t i = 0; i < ARRAY_SIZE(NOUNS); i++) {
		const struct noun *n = &NOUNS[i];
		if (n->verbs[0].name)
			continue;
		fprintf(f, "  %-12s %s\n", n->name, n->summary);
	}
	fprintf(f, "\nNouns and their verbs:\n");
	for (size_t i = 0; i < ARRAY_SIZE(NOUNS); i++) {
		const struct noun *n = &NOUNS[i];
		if (!n->verbs[0].name)
			continue;
		fprintf(f, "  %-12s %s\n  %-12s", n->name, n->summary, "");
		for (const struct verb *v = n->verbs; v->name; v++)
			fprintf(f, " %s", v->name);
		fputc('\n', f);
	}
	fprintf(f, "\nRun 'berth NOUN --help' for its verbs and options.\n\n"
		   "Environment: BERTH_URL (default %s), BERTH_TOKEN (a session token or API key),\n"
		   "BERTH_CONFIG (config file; default $XDG_CONFIG_HOME/berth/config.json).\n"
		   "Exit codes: 0 ok, 1 API error, 2 usage error, 3 cannot reach berthd or server\n"
		   "error, 4 not logged in or token refused.\n",
		BERTH_DEFAULT_URL);
}

static void noun_help(FILE *f, const struct noun *n)
{
	fprintf(f, "berth %s: %s\n\nVerbs:\n", n->name, n->summary);
	for (const struct verb *v = n->verbs; v->name; v++) {
		fputs("  ", f);
		usage_line(f, n, v);
		fprintf(f, "\n      %s\n", v->summary);
		if (v->opts && v->opts->name) {
			struct sbuf sb = SBUF_INIT;
			size_t col = 15;
			sbuf_adds(&sb, "      options:");
			for (const struct opt *o = v->opts; o->name; o++) {
				size_t w = strlen(o->name) + 3 + (o->type == OPT_BOOL ? 5 : 0);
				if (col + w > 92) {
					sbuf_adds(&sb, "\n              ");
					col = 15;
				}
				sbuf_addf(&sb, " --%s%s", o->type == OPT_BOOL ? "[no-]" : "", o->name);
				col += w;
			}
			fprintf(f, "%s\n", sbuf_str(&sb));
			sbuf_release(&sb);
		}
	}
	fprintf(f, "\nRun 'berth %s VERB --help' for the details of a verb.\n"
		   "Every verb also takes --json (print the API's JSON) and --url URL.\n",
		n->name);
}

static void verb_help(FILE *f, const struct noun *n, const struct verb *v)
{
	fputs("Usage: ", f);
	usage_line(f, n, v);
	fprintf(f, "\n\n%s\n", v->summary);
	opts_help(v->opts, f);
}

/* ---- dispatch ---- */

static const struct noun *find_noun(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(ALIASES); i++)
		if (strcmp(ALIASES[i].alias, name) == 0)
			name = ALIASES[i].noun;
	for (size_t i = 0; i < ARRAY_SIZE(NOUNS); i++)
		if (strcmp(NOUNS[i].name, name) == 0)
			return &NOUNS[i];
	return NULL;
}

static const struct verb *find_verb(const struct noun *n, const char *name)
{
	static const struct {
		const char *alias, *verb;
	} verb_aliases[] = {{"ls", "list"}, {"get", "show"}, {"rm", "delete"}, {"new", "create"},
			    {"edit", "update"}, {"set-plan", "set"}};
	for (size_t i = 0; i < ARRAY_SIZE(verb_aliases); i++)
		if (strcmp(verb_aliases[i].alias, name) == 0) {
			bool exact = false;
			for (const struct verb *v = n->verbs; v->name; v++)
				exact |= strcmp(v->name, name) == 0;
			if (!exact)
				name = verb_aliases[i].verb;
		}
	for (const struct verb *v = n->verbs; v->name; v++)
		if (strcmp(v->name, name) == 0)
			return v;
	return NULL;
}

static int run(int argc, char **argv)
{
	struct cli cli;
	memset(&cli, 0, sizeof cli);
	struct cli *c = &cli;
	struct globals g = {0};
	struct args a;
	char err[512];
	int used = 0;
	/* options before the noun: only the global ones */
	static const struct opt none[] = {OPT_END};
	if (args_parse(&a, none, argc - 1, argv + 1, &g, true, &used, err, sizeof err) < 0) {
		args_release(&a);
		return usage_error(c, "%s", err);
	}
	args_release(&a);
	int i = 1 + used;
	if (g.version) {
		printf("berth %s\n", BERTH_VERSION);
		return EX_OK;
	}
	if (i >= argc) {
		main_help(g.help ? stdout : stderr);
		return g.help ? EX_OK : EX_USAGE;
	}
	if (strcmp(argv[i], "help") == 0) {
		if (i + 1 < argc && find_noun(argv[i + 1])) {
			const struct noun *n = find_noun(argv[i + 1]);
			if (n->verbs[0].name)
				noun_help(stdout, n);
			else
				verb_help(stdout, n, &n->verbs[0]);
		} else {
			main_help(stdout);
		}
		return EX_OK;
	}
	if (strcmp(argv[i], "version") == 0) {
		printf("berth %s\n", BERTH_VERSION);
		return EX_OK;
	}
	const struct noun *n = find_noun(argv[i]);
	if (!n) {
		fprintf(stderr, "berth: error: unknown command '%s'\n", argv[i]);
		fprintf(stderr, "Run 'berth --help' for the list of commands.\n");
		return EX_USAGE;
	}
	i++;
	const struct verb *v;
	char cmd[64];
	if (!n->verbs[0].name) {
		v = &n->verbs[0];
		snprintf(cmd, sizeof cmd, "%s", n->name);
	} else {
		/* global options may come between the noun and the verb */
		if (args_parse(&a, none, argc - i, argv + i, &g, true, &used, err, sizeof err) < 0) {
			args_release(&a);
			c->cmd = n->name;
			return usage_error(c, "%s", err);
		}
		args_release(&a);
		i += used;
		if (i >= argc || g.help) {
			noun_help(g.help ? stdout : stderr, n);
			return g.help ? EX_OK : EX_USAGE;
		}
		v = find_verb(n, argv[i]);
		if (!v) {
			fprintf(stderr, "berth: error: '%s' is not a verb of '%s'\n", argv[i], n->name);
			noun_help(stderr, n);
			return EX_USAGE;
		}
		i++;
		snprintf(cmd, sizeof cmd, "%s %s", n->name, v->name);
	}
	c->cmd = cmd;
	if (args_parse(&a, v->opts, argc - i, argv + i, &g, false, NULL, err, sizeof err) < 0) {
		args_release(&a);
		return usage_error(c, "%s", err);
	}
	if (g.help) {
		verb_help(stdout, n, v);
		args_release(&a);
		return EX_OK;
	}
	if (a.npos < v->min_pos) {
		args_release(&a);
		fprintf(stderr, "berth: error: missing arguments\nUsage: ");
		usage_line(stderr, n, v);
		fprintf(stderr, "\nRun 'berth %s --help' for usage.\n", cmd);
		return EX_USAGE;
	}
	if (a.npos > v->max_pos) {
		const char *extra = a.pos[v->max_pos];
		args_release(&a);
		return usage_error(c, "unexpected argument '%s'", extra);
	}
	c->json = g.json;
	c->url_opt = g.url;
	config_load(c);
	cli_resolve_endpoint(c);
	cli_http_init(c);
	int ex = v->run(c, &a);
	fflush(stdout);
	args_release(&a);
	cli_http_release(c);
	json_decref(c->cfg);
	free(c->cfg_path);
	free(c->url);
	secret_wipe_free(c->token);
	return ex;
}

int main(int argc, char **argv)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		fprintf(stderr, "berth: error: cannot initialise libcurl\n");
		return EX_UNREACHABLE;
	}
	int ex = run(argc, argv);
	curl_global_cleanup();
	return ex;
}
