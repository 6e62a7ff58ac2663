/* cmd_auth.c: berth login, logout, setup, passwd, whoami. */
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/out.h"
#include "cli/resolve.h"
#include "lib/util.h"

/* Remembers a new session for the server in use. The default organization belongs to a
 * server: it is kept only when the server is the same. */
static int remember_session(struct cli *c, json_t *ans, const char *email, const char *org_id)
{
	const char *tok = json_string_value(json_object_get(ans, "access_token"));
	if (!tok)
		return cli_fail(EX_UNREACHABLE, "berthd's answer has no access_token");
	if (!config_same_server(c))
		config_set(c, "org", NULL);
	config_set(c, "url", c->url);
	config_set(c, "token", tok);
	config_set(c, "email", email);
	if (org_id)
		config_set(c, "org", org_id);
	int ex = config_save(c);
	if (ex == EX_OK && c->token_from_env)
		cli_warn("BERTH_TOKEN is set: it is used instead of the saved session");
	return ex;
}

/* What --json shows of a login answer: everything but the session token. */
static void print_session_json(json_t *ans)
{
	json_t *o = json_deep_copy(ans);
	json_object_del(o, "access_token");
	print_json(o);
	json_decref(o);
}

static int cmd_login(struct cli *c, struct args *a)
{
	const char *email_opt = arg_get(a, "email");
	char *email = email_opt ? xstrdup(email_opt) : NULL;
	if (!email && config_same_server(c) && config_get(c, "email") && !arg_has(a, "password-stdin")) {
		/* offer the last email on this server */
		char *prompt = xasprintf("Email [%s]: ", config_get(c, "email"));
		email = read_line_tty(prompt);
		free(prompt);
		if (email && !*email) {
			free(email);
			email = xstrdup(config_get(c, "email"));
		}
	} else if (!email && !arg_has(a, "password-stdin")) {
		email = read_line_tty("Email: ");
	} else if (!email && config_same_server(c) && config_get(c, "email")) {
		email = xstrdup(config_get(c, "email")); /* scripts: the last email on this server */
	}
	if (!email || !*email) {
		free(email);
		return usage_error(c, "--email is required");
	}
	char *pw = read_secret(c, "Password: ", arg_has(a, "password-stdin"), false);
	if (!pw) {
		free(email);
		return EX_USAGE;
	}
	json_t *body = json_pack("{s:s,s:s}", "email", email, "password", pw);
	secret_wipe_free(pw);
	if (!body) {
		free(email);
		return usage_error(c, "the email and password must be UTF-8 text");
	}
	json_t *ans;
	int ex = api_call(c, "POST", "/api/v1/auth/login", body, &ans, API_NOAUTH);
	json_wipe_strings(body);
	json_decref(body);
	if (ex == EX_OK) {
		ex = remember_session(c, ans, email, NULL);
		if (ex == EX_OK) {
			if (c->json)
				print_session_json(ans);
			else
				printf("Logged in to %s as %s.\n", c->url, email);
		}
		json_wipe_strings(ans);
		json_decref(ans);
	}
	free(email);
	return ex;
}

static int cmd_setup(struct cli *c, struct args *a)
{
	const char *email = arg_get(a, "email"), *org = arg_get(a, "organization");
	if (!email)
		return usage_error(c, "--email is required");
	if (!org)
		return usage_error(c, "--organization is required");
	char *pw = read_secret(c, "Administrator password: ", arg_has(a, "password-stdin"), true);
	if (!pw)
		return EX_USAGE;
	json_t *body = json_pack("{s:s,s:s,s:s}", "email", email, "password", pw, "organization", org);
	secret_wipe_free(pw);
	if (!body)
		return usage_error(c, "the values must be UTF-8 text");
	if (arg_has(a, "name"))
		json_object_set_new(body, "name", json_string(arg_get(a, "name")));
	json_t *ans;
	int ex = api_call(c, "POST", "/api/v1/setup", body, &ans, API_NOAUTH);
	json_wipe_strings(body);
	json_decref(body);
	if (ex)
		return ex;
	json_t *o = json_object_get(ans, "organization");
	ex = remember_session(c, ans, email, json_string_value(json_object_get(o, "id")));
	if (ex == EX_OK) {
		if (c->json) {
			print_session_json(ans);
		} else {
			char *name = fmt_json(json_object_get(o, "name"));
			sanitize(name);
			printf("berth is set up: administrator %s, organization %s.\n", email, name);
			printf("Logged in to %s.\n", c->url);
			free(name);
		}
	}
	json_wipe_strings(ans);
	json_decref(ans);
	return ex;
}

static int cmd_logout(struct cli *c, struct args *a)
{
	(void)a;
	const char *stored = config_same_server(c) ? config_get(c, "token") : NULL;
	char *env_token = c->token_from_env ? c->token : NULL;
	if (!stored && !env_token) {
		fprintf(stderr, "berth: not logged in to %s\n", c->url);
		return EX_OK;
	}
	/* revoke the saved session; without one, the session given in BERTH_TOKEN */
	char *tok = xstrdup(stored ? stored : env_token);
	char *keep = c->token;
	c->token = tok;
	int ex = api_call(c, "POST", "/api/v1/auth/logout", NULL, NULL, API_QUIET);
	c->token = keep;
	secret_wipe_free(tok);
	if (ex == EX_AUTH)
		ex = EX_OK; /* already expired or revoked */
	if (ex && ex != EX_OK)
		api_report(c);
	if (stored) {
		config_set(c, "token", NULL);
		int sx = config_save(c);
		if (sx)
			return sx;
	}
	if (ex == EX_UNREACHABLE)
		cli_warn("the session was forgotten here but could not be revoked on berthd");
	else if (!c->json)
		printf("Logged out of %s.\n", c->url);
	if (!stored && env_token && ex == EX_OK && !c->json)
		cli_warn("BERTH_TOKEN is still set in your environment");
	return ex;
}

static int cmd_whoami(struct cli *c, struct args *a)
{
	(void)a;
	json_t *me;
	int ex = api_get(c, "/api/v1/me", &me);
	if (ex)
		return ex;
	if (emit_json(c, me))
		return EX_OK;
	json_t *out = json_object();
	json_object_set(out, "email", json_object_get(me, "email"));
	json_object_set(out, "name", json_object_get(me, "name"));
	json_object_set(out, "user_id", json_object_get(me, "id"));
	json_object_set(out, "administrator", json_object_get(me, "is_admin"));
	json_object_set(out, "auth", json_object_get(me, "auth"));
	json_object_set_new(out, "token_from", json_string(c->token_from_env ? "BERTH_TOKEN"
									      : c->cfg_path));
	json_object_set_new(out, "url", json_string(c->url));
	const char *dflt = config_same_server(c) ? config_get(c, "org") : NULL;
	json_t *orgs = json_object_get(me, "organizations");
	struct sbuf sb = SBUF_INIT;
	size_t i;
	json_t *o;
	json_array_foreach(orgs, i, o) {
		const char *id = json_string_value(json_object_get(o, "id"));
		sbuf_addf(&sb, "%s%s (%s)%s", i ? ", " : "", json_string_value(json_object_get(o, "name")),
			  json_string_value(json_object_get(o, "role")),
			  dflt && str_eq(dflt, id) ? " [default]" : "");
	}
	json_object_set_new(out, "organizations", json_string(sbuf_str(&sb)));
	sbuf_release(&sb);
	print_kv(out, NULL, 0);
	json_decref(out);
	json_decref(me);
	return EX_OK;
}

/* berth passwd: the current password, then the new one twice (or two lines of stdin). */
static int cmd_passwd(struct cli *c, struct args *a)
{
	bool from_stdin = arg_has(a, "password-stdin");
	char *cur = read_secret(c, "Current password: ", from_stdin, false);
	if (!cur)
		return EX_USAGE;
	char *pw = read_secret(c, "New password: ", from_stdin, true);
	if (!pw) {
		secret_wipe_free(cur);
		return EX_USAGE;
	}
	json_t *body = json_pack("{s:s,s:s}", "current_password", cur, "new_password", pw);
	secret_wipe_free(cur);
	secret_wipe_free(pw);
	if (!body)
		return usage_error(c, "the passwords must be UTF-8 text");
	json_t *ans;
	int ex = api_call(c, "POST", "/api/v1/auth/password", body, &ans, 0);
	json_wipe_strings(body);
	json_decref(body);
	if (ex)
		return ex;
	if (emit_json(c, ans)) /* printed and released */
		return EX_OK;
	long long n = (long long)json_integer_value(json_object_get(ans, "revoked_sessions"));
	printf("Password changed. %lld other session%s signed out (API keys stay).\n", n,
	       n == 1 ? " was" : "s were");
	json_decref(ans);
	return EX_OK;
}

static const struct opt PASSWD_OPTS[] = {
	{"password-stdin", OPT_FLAG, NULL, NULL,
	 "read the current password, then the new one, from the first two lines of stdin", 0},
	OPT_END,
};

static const struct opt LOGIN_OPTS[] = {
	{"email", OPT_STR, NULL, "EMAIL", "your email (asked when not given)", 0},
	{"password-stdin", OPT_FLAG, NULL, NULL, "read the password from the first line of stdin", 0},
	OPT_END,
};

static const struct opt SETUP_OPTS[] = {
	{"email", OPT_STR, NULL, "EMAIL", "the administrator's email (required)", 0},
	{"organization", OPT_STR, NULL, "NAME", "the first organization's name (required)", 0},
	{"name", OPT_STR, NULL, "NAME", "the administrator's display name", 0},
	{"password-stdin", OPT_FLAG, NULL, NULL, "read the password from the first line of stdin", 0},
	OPT_END,
};

static const struct opt NO_OPTS[] = {OPT_END};

const struct verb auth_login_verbs[] = {
	{NULL, "[--url URL] [--email EMAIL] [--password-stdin]",
	 "Log in and save the session (URL and token) in the config file.", LOGIN_OPTS, 0, 0,
	 cmd_login},
};
const struct verb auth_logout_verbs[] = {
	{NULL, "", "Revoke the saved session on berthd and forget it.", NO_OPTS, 0, 0, cmd_logout},
};
const struct verb auth_setup_verbs[] = {
	{NULL, "--email EMAIL --organization NAME [--name NAME] [--password-stdin]",
	 "First run of a new berthd: create the administrator and the first organization, and log"
	 " in.", SETUP_OPTS, 0, 0, cmd_setup},
};
const struct verb auth_passwd_verbs[] = {
	{NULL, "[--password-stdin]",
	 "Change your password (asked without echo: the current one, then the new one twice);"
	 " your other sessions are signed out, this one and your API keys stay.", PASSWD_OPTS, 0,
	 0, cmd_passwd},
};
const struct verb auth_whoami_verbs[] = {
	{NULL, "", "Show the user you are logged in as, the server and your organizations.",
	 NO_OPTS, 0, 0, cmd_whoami},
};
