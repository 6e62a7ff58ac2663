/* cmd_backup_target.c: berth backup-target list|add|show|test|delete|default: where an
 * organization's backups are kept (docs/backups.md, "Where backups live"). Secrets come from
 * a file, stdin or a prompt, never from the command line. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/out.h"
#include "cli/resolve.h"
#include "lib/util.h"

/* Where a target keeps backups, in a few words. */
static char *where(json_t *t)
{
	json_t *cfg = json_object_get(t, "config");
	const char *kind = jstr(t, "kind");
	if (!strcmp(kind, "sftp"))
		return xasprintf("%s@%s:%lld %s", jstr(cfg, "user"), jstr(cfg, "host"),
				 (long long)json_integer_value(json_object_get(cfg, "port")),
				 jstr(cfg, "path"));
	if (!strcmp(kind, "s3"))
		return xasprintf("%s %s/%s", jstr(cfg, "endpoint"), jstr(cfg, "bucket"),
				 jstr(cfg, "prefix"));
	return xstrdup("berthd's host");
}

static int cmd_list(struct cli *c, struct args *a)
{
	json_t *list;
	int ex = resolve_org_get(c, arg_get(a, "org"), "backup-targets", &list);
	if (ex)
		return ex;
	if (emit_json(c, list))
		return EX_OK;
	struct table *t = table_new("NAME KIND DEFAULT WHERE ID");
	size_t i;
	json_t *x;
	json_array_foreach(list, i, x) {
		table_cellj(t, x, "name");
		table_cellj(t, x, "kind");
		table_cell(t, json_is_true(json_object_get(x, "is_default")) ? "yes" : "");
		char *w = where(x);
		sanitize(w);
		table_cell(t, w);
		free(w);
		table_cellj(t, x, "id");
	}
	table_print(t);
	json_decref(list);
	return EX_OK;
}

/* The target named (by name or id) in the organization: its path and row. */
static int target_of(struct cli *c, struct args *a, const char *tail, char **path, json_t **row)
{
	char *org;
	int ex = resolve_org(c, arg_get(a, "org"), &org);
	if (ex)
		return ex;
	char *lpath = xasprintf("/api/v1/orgs/%s/backup-targets", org);
	json_t *list;
	ex = api_get(c, lpath, &list);
	free(lpath);
	if (ex) {
		free(org);
		return ex;
	}
	const char *want = a->pos[0];
	json_t *found = NULL;
	size_t i;
	json_t *x;
	json_array_foreach(list, i, x)
		if (!strcmp(jstr(x, "id"), want) || !strcmp(jstr(x, "name"), want))
			found = x;
	if (!found) {
		json_decref(list);
		free(org);
		return cli_api_error(c, "BACKUP_TARGET_NOT_FOUND", "Backup target '%s' doesn't exist",
				     want);
	}
	*path = xasprintf("/api/v1/orgs/%s/backup-targets/%s%s", org, jstr(found, "id"), tail);
	if (row)
		*row = json_incref(found);
	json_decref(list);
	free(org);
	return EX_OK;
}

static const char *const SHOW_KEYS[] = {"name", "kind", "is_default", "config", "has_secret",
					"id", "created_at", "updated_at", NULL};

static int cmd_show(struct cli *c, struct args *a)
{
	char *path;
	json_t *row;
	int ex = target_of(c, a, "", &path, &row);
	if (ex)
		return ex;
	free(path);
	emit(c, row, SHOW_KEYS, 0);
	return EX_OK;
}

/* A secret from a file (its text, a trailing newline dropped unless keep_newline), stdin or
 * the terminal; into body[field]. */
static int add_secret(struct cli *c, json_t *body, const char *field, const char *file,
		      bool from_stdin, const char *prompt, bool keep_newline)
{
	char *s = NULL;
	if (file) {
		size_t len;
		s = read_file(file, &len);
		if (!s)
			return usage_error(c, "cannot read %s: %s", file, strerror(errno));
		while (!keep_newline && len && (s[len - 1] == '\n' || s[len - 1] == '\r'))
			s[--len] = '\0';
	} else {
		s = read_secret(c, prompt, from_stdin, false);
		if (!s)
			return EX_USAGE;
	}
	json_t *v = json_string(s);
	secret_wipe_free(s);
	if (!v)
		return usage_error(c, "the %s must be UTF-8 text", field);
	json_object_set_new(body, field, v);
	return EX_OK;
}

static int print_test(struct cli *c, const char *name, json_t *r)
{
	bool ok = json_is_true(json_object_get(r, "ok"));
	if (c->json) {
		print_json(r);
	} else if (ok) {
		printf("Backup target %s works: a probe object was written, read back and deleted"
		       " (%lld ms).\n", name, (long long)json_integer_value(json_object_get(r, "duration_ms")));
		if (json_is_true(json_object_get(r, "host_key_pinned")))
			printf("Host key pinned: %s\n", jstr(r, "host_key"));
	} else {
		char *e = xstrdup(jstr(r, "error"));
		sanitize(e);
		fprintf(stderr, "berth: error: backup target %s failed its test: %s\n", name, e);
		free(e);
	}
	json_decref(r);
	return ok ? EX_OK : EX_API;
}

static int run_test(struct cli *c, const char *path, const char *name)
{
	json_t *r;
	int ex = api_call(c, "POST", path, NULL, &r, 0);
	if (ex)
		return ex;
	return print_test(c, name, r);
}

static int cmd_add(struct cli *c, struct args *a)
{
	const char *kind = arg_get(a, "kind");
	if (!kind)
		return usage_error(c, "--kind sftp or --kind s3 is required");
	char *org;
	int ex = resolve_org(c, arg_get(a, "org"), &org);
	if (ex)
		return ex;
	json_t *body = json_pack("{s:s,s:s,s:{}}", "name", a->pos[0], "kind", kind, "config");
	if (!body) {
		free(org);
		return usage_error(c, "the name must be UTF-8 text");
	}
	args_to_body(a, body);
	if (arg_has(a, "default"))
		json_object_set_new(body, "is_default", json_true());
	if (!strcmp(kind, "sftp")) {
		if (arg_has(a, "key-file"))
			ex = add_secret(c, body, "private_key", arg_get(a, "key-file"), false, NULL, true);
		else if (arg_has(a, "password-file") || arg_has(a, "password-stdin"))
			ex = add_secret(c, body, "password", arg_get(a, "password-file"),
					arg_has(a, "password-stdin"), "SFTP password: ", false);
		else
			ex = usage_error(c, "an sftp target needs --key-file PATH, --password-file PATH"
					    " or --password-stdin");
	} else {
		ex = add_secret(c, body, "secret_access_key", arg_get(a, "secret-file"),
				arg_has(a, "secret-stdin"), "S3 secret access key: ", false);
	}
	if (ex) {
		json_wipe_strings(body);
		json_decref(body);
		free(org);
		return ex;
	}
	char *path = xasprintf("/api/v1/orgs/%s/backup-targets", org);
	json_t *t;
	ex = api_call(c, "POST", path, body, &t, 0);
	json_wipe_strings(body);
	json_decref(body);
	free(path);
	if (ex) {
		free(org);
		return ex;
	}
	bool test = arg_has(a, "test");
	if (!c->json || !test)
		emit_msg(c, json_incref(t), "Created backup target %s (%s, id %s)%s.", jstr(t, "name"),
			 jstr(t, "kind"), jstr(t, "id"),
			 json_is_true(json_object_get(t, "is_default")) ? ", the default" : "");
	if (test) {
		char *tpath = xasprintf("/api/v1/orgs/%s/backup-targets/%s/test", org, jstr(t, "id"));
		ex = run_test(c, tpath, jstr(t, "name"));
		free(tpath);
	}
	free(org);
	json_decref(t);
	return ex;
}

static int cmd_test(struct cli *c, struct args *a)
{
	char *path;
	json_t *row;
	int ex = target_of(c, a, "/test", &path, &row);
	if (ex)
		return ex;
	ex = run_test(c, path, jstr(row, "name"));
	free(path);
	json_decref(row);
	return ex;
}

static int cmd_delete(struct cli *c, struct args *a)
{
	char *path;
	json_t *row;
	int ex = target_of(c, a, "", &path, &row);
	if (ex)
		return ex;
	ex = api_call(c, "DELETE", path, NULL, NULL, 0);
	if (ex == EX_OK && !c->json)
		printf("Deleted backup target %s.\n", jstr(row, "name"));
	free(path);
	json_decref(row);
	return ex;
}

static int cmd_default(struct cli *c, struct args *a)
{
	char *path;
	json_t *row;
	int ex = target_of(c, a, "", &path, &row);
	if (ex)
		return ex;
	json_t *body = json_pack("{s:b}", "is_default", 1);
	json_t *t;
	ex = api_call(c, "PATCH", path, body, &t, 0);
	json_decref(body);
	free(path);
	json_decref(row);
	if (ex)
		return ex;
	emit_msg(c, t, "Backups now go to %s by default.", jstr(t, "name"));
	return EX_OK;
}

#define ORG_OPTION {"org", OPT_STR, NULL, "ORG", "the organization (id, slug or name)", 0}
static const struct opt ORG_ONLY[] = {ORG_OPTION, OPT_END};
static const struct opt ADD_OPTS[] = {
	ORG_OPTION,
	{"kind", OPT_STR, NULL, "KIND", "sftp or s3", 0},
	{"default", OPT_FLAG, NULL, NULL, "make it the organization's default target", 0},
	{"test", OPT_FLAG, NULL, NULL, "test it right after creating it", 0},
	{"host", OPT_STR, "config.host", "HOST", "sftp: host name or IP address", 0},
	{"port", OPT_INT, "config.port", "PORT", "sftp: SSH port (default 22)", 0},
	{"user", OPT_STR, "config.user", "USER", "sftp: SSH user", 0},
	{"path", OPT_STR, "config.path", "PATH",
	 "sftp: remote directory, absolute or under the login directory", 0},
	{"host-key", OPT_STR, "config.host_key", "SHA256:...",
	 "sftp: the host key to expect (default: pinned by the first test)", 0},
	{"key-file", OPT_STR, NULL, "FILE", "sftp: SSH private key file", 0},
	{"password-file", OPT_STR, NULL, "FILE", "sftp: a file holding the SSH password", 0},
	{"password-stdin", OPT_FLAG, NULL, NULL, "sftp: read the SSH password from stdin", 0},
	{"endpoint", OPT_STR, "config.endpoint", "URL", "s3: https://s3.REGION.amazonaws.com, ...", 0},
	{"region", OPT_STR, "config.region", "REGION", "s3: region (default us-east-1)", 0},
	{"bucket", OPT_STR, "config.bucket", "BUCKET", "s3: bucket", 0},
	{"prefix", OPT_STR, "config.prefix", "PREFIX", "s3: key prefix inside the bucket", 0},
	{"path-style", OPT_BOOL, "config.path_style", NULL,
	 "s3: endpoint/bucket/key addressing (MinIO, most non-AWS services)", 0},
	{"access-key-id", OPT_STR, "config.access_key_id", "KEY", "s3: access key id", 0},
	{"secret-file", OPT_STR, NULL, "FILE",
	 "s3: a file holding the secret access key (default: prompt)", 0},
	{"secret-stdin", OPT_FLAG, NULL, NULL, "s3: read the secret access key from stdin", 0},
	OPT_END,
};

const struct verb backup_target_verbs[] = {
	{"list", "[--org ORG]", "List where the organization's backups can be kept.", ORG_ONLY, 0,
	 0, cmd_list},
	{"add", "NAME --kind sftp|s3 [OPTIONS]",
	 "Add an SFTP or S3 target (secrets from a file, stdin or a prompt).", ADD_OPTS, 1, 1,
	 cmd_add},
	{"show", "TARGET", "Show a target (by name or id); never its secret.", ORG_ONLY, 1, 1,
	 cmd_show},
	{"test", "TARGET", "Write, read back and delete a probe object (pins an SFTP host key).",
	 ORG_ONLY, 1, 1, cmd_test},
	{"delete", "TARGET", "Delete a target no backup is stored on.", ORG_ONLY, 1, 1, cmd_delete},
	{"default", "TARGET", "Make a target the organization's default.", ORG_ONLY, 1, 1,
	 cmd_default},
	{NULL, NULL, NULL, NULL, 0, 0, NULL},
};
