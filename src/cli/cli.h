/* cli.h: the `berth` client: commands (nouns and verbs), exit codes, the state of one run. */
#ifndef BERTH_CLI_H
#define BERTH_CLI_H
#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "cli/opts.h"
#include "lib/util.h"

/* Exit codes (docs/cli.md). */
enum {
	EX_OK = 0,
	EX_API = 1,         /* the API refused the request (4xx other than 401) */
	EX_USAGE = 2,       /* bad command line */
	EX_UNREACHABLE = 3, /* berthd cannot be reached, or answered 5xx / garbage */
	EX_AUTH = 4,        /* not logged in, or 401 */
};

#define BERTH_DEFAULT_URL "http://127.0.0.1:8400"

struct cli_http; /* cli/client.c */

/* The state of one run of `berth`. */
struct cli {
	/* where and who */
	char *url;           /* effective base URL, no trailing slash */
	char *token;         /* effective bearer token or NULL (never printed) */
	bool token_from_env; /* BERTH_TOKEN */
	/* the config file (cli/config.c) */
	char *cfg_path;
	json_t *cfg;
	/* global options */
	bool json;
	const char *url_opt;
	/* the command being run, for messages: "env create" */
	const char *cmd;
	/* the last API error (also when printed) */
	long status;
	char err_code[64];
	char err_message[512];
	char err_field[96];
	bool err_local; /* no API error object: err_message says it all */
	int err_exit;   /* the exit code for it */
	struct cli_http *http;
};

struct verb {
	const char *name; /* NULL: the noun is itself the command (login, whoami) */
	const char *usage; /* positional arguments: "NAME [--project P]" */
	const char *summary;
	const struct opt *opts;
	int min_pos, max_pos;
	int (*run)(struct cli *c, struct args *a);
};

struct noun {
	const char *name;
	const char *summary;
	const struct verb *verbs; /* ends with {NULL...} unless the noun is one command */
};

/* One table of verbs per noun, one file per noun (cli/cmd_*.c). */
extern const struct verb auth_login_verbs[], auth_logout_verbs[], auth_setup_verbs[],
	auth_passwd_verbs[], auth_whoami_verbs[];
extern const struct verb org_verbs[], member_verbs[], invitation_verbs[], plan_verbs[],
	apikey_verbs[], server_verbs[], project_verbs[], env_verbs[], job_verbs[], admin_verbs[],
	webhook_verbs[], alert_verbs[];
extern const struct verb backup_target_verbs[]; /* cli/cmd_backup_target.c */
extern const struct verb backup_verbs[]; /* cli/cmd_backup.c */

/* Messages: "berth: error: ..." on stderr. usage_error also points at --help; both return
 * the exit code to return. */
int cli_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int usage_error(struct cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* An error in the API's own words, for errors found on this side (unknown names):
 * "berth: error: PROJECT_NOT_FOUND: Project 'x' doesn't exist". Returns EX_API. */
int cli_api_error(struct cli *c, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prints a response for scripts (--json): pretty JSON on stdout. */
void print_json(json_t *v);
/* With --json: prints v, releases it and returns true (the command is done). */
bool emit_json(struct cli *c, json_t *v);
/* Prints an object: its JSON with --json, else a key: value block (keys first; only: just
 * those). Takes the reference. */
void emit(struct cli *c, json_t *obj, const char *const *keys, int only);
/* A --json run prints the answer; a human one prints fmt. Takes the reference. */
void emit_msg(struct cli *c, json_t *obj, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A request body from the verb's options with a .field, over --data JSON when the verb has
 * it. NULL with a message when --data is not a JSON object. */
json_t *body_from_args(struct cli *c, const struct args *a);
/* The JSON string value of obj[key] or "" (never NULL). */
const char *jstr(json_t *obj, const char *key);

/* Jobs (cli/cmd_job.c): "Deploy of X queued: job ID" (or the job's JSON), and following a
 * job's log until it ends: EX_OK when it is done, EX_API when it failed or was cancelled. */
void job_queued_msg(struct cli *c, json_t *job, const char *what);
int job_follow(struct cli *c, const char *job_id);
/* A table of jobs; ?status= and ?limit= from --status and --limit. */
void jobs_table(json_t *list);
void jobs_query(struct args *a, struct sbuf *path);

/* Prompts (cli/prompt.c). */
/* Reads a secret: the first line of stdin when from_stdin, else from the terminal without
 * echo (twice when confirm). NULL with a message printed when there is no way to ask.
 * Free with secret_wipe_free. */
char *read_secret(struct cli *c, const char *prompt, bool from_stdin, bool confirm);
/* Reads one visible line from the terminal; NULL when stdin is not a terminal. */
char *read_line_tty(const char *prompt);
void secret_wipe_free(char *s);
/* Wipes the string values of a JSON object (passwords in a request body) before freeing. */
void json_wipe_strings(json_t *o);
#endif
