/* cmd_backup.c: backups from the command line.
 *   berth env backup ENV [--scope db|full] [--follow]     POST /environments/{id}/backups
 *   berth env import ENV FILE [...]                       POST /environments/{id}/backups/import
 *   berth backup list ENV | show ID | download ID [-o FILE] [--continue] |
 *                restore ID [--into ENV] | delete ID | verify ID
 * A backup is named by its id or by the first 8 or more characters of it (as `backup list`
 * shows them), looked up among the backups of the organization's environments. Uploads and
 * downloads stream (the file is never held in memory) with a progress line on stderr when it
 * is a terminal; a download checks the archive's SHA-256 and resumes with --continue. */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/cmd_backup.h"
#include "cli/out.h"
#include "cli/resolve.h"
#include "lib/util.h"
#include "lib/valid.h"

/* ---- formatting ---- */

static void fmt_size(json_t *v, char *out, size_t n)
{
	if (!json_is_integer(v)) {
		snprintf(out, n, "-");
		return;
	}
	double b = (double)json_integer_value(v);
	static const char *const units[] = {"B", "KB", "MB", "GB", "TB"};
	size_t u = 0;
	while (b >= 1024 && u < 4) {
		b /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(out, n, "%.0f B", b);
	else
		snprintf(out, n, "%.*f %s", b < 10 ? 1 : 0, b, units[u]);
}

static void fmt_bytes(long long x, char *out, size_t n)
{
	json_t *v = json_integer(x);
	fmt_size(v, out, n);
	json_decref(v);
}

/* "2026-01-02T03:04:05Z" (fractions and offsets ignored: berthd writes UTC) -> seconds. */
static long long parse_ts(const char *s)
{
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	if (!s || !*s)
		return -1;
	const char *end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end)
		end = strptime(s, "%Y-%m-%d %H:%M:%S", &tm);
	if (!end)
		return -1;
	return (long long)timegm(&tm);
}

/* "3 hours ago", "just now", "-". */
static void fmt_age(const char *iso, char *out, size_t n)
{
	long long t = parse_ts(iso);
	if (t < 0) {
		snprintf(out, n, "-");
		return;
	}
	long long s = (long long)time(NULL) - t;
	if (s < 45) {
		snprintf(out, n, "just now");
		return;
	}
	long long m = (s + 30) / 60, h = (m + 30) / 60, d = (h + 12) / 24;
	if (m < 60)
		snprintf(out, n, "%lld minute%s ago", m, m == 1 ? "" : "s");
	else if (h < 24)
		snprintf(out, n, "%lld hour%s ago", h, h == 1 ? "" : "s");
	else
		snprintf(out, n, "%lld day%s ago", d, d == 1 ? "" : "s");
}

static const char *verified_mark(json_t *b)
{
	const char *st = jstr(json_object_get(b, "verification"), "status");
	if (str_eq(st, "passed"))
		return "✓";
	if (str_eq(st, "failed"))
		return "✗";
	return "-";
}

/* ---- naming a backup ---- */

static int get_backup(struct cli *c, const char *id, json_t **out)
{
	char *e = url_escape(id);
	char *path = xasprintf("/api/v1/backups/%s", e);
	free(e);
	int ex = api_get(c, path, out);
	free(path);
	return ex;
}

static bool id_prefix(const char *s)
{
	size_t n = strlen(s);
	if (n < 8 || n > 36)
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') || (*p >= 'A' && *p <= 'F') ||
		      *p == '-'))
			return false;
	return true;
}

/* A backup by id, or by a unique prefix of 8 characters or more: searched among the backups
 * of the organization's production and staging environments. */
static int resolve_backup(struct cli *c, const char *org, const char *arg, json_t **out)
{
	*out = NULL;
	if (valid_uuid(arg))
		return get_backup(c, arg, out);
	if (!id_prefix(arg))
		return usage_error(c, "'%s' is not a backup id (the id, or its first 8 characters or"
				      " more, as 'berth backup list ENV' shows it)", arg);
	char *org_id;
	int ex = resolve_org(c, org, &org_id);
	if (ex)
		return ex;
	json_t *envs;
	ex = org_get(c, org_id, "environments", &envs);
	free(org_id);
	if (ex)
		return ex;
	json_t *found = NULL;
	size_t matches = 0, i;
	json_t *e;
	json_array_foreach(envs, i, e) {
		if (str_eq(jstr(e, "environment_type"), "development"))
			continue;
		char *path = xasprintf("/api/v1/environments/%s/backups", jstr(e, "id"));
		json_t *list;
		ex = api_call(c, "GET", path, NULL, &list, API_QUIET);
		free(path);
		if (ex) { /* not allowed to see this one's backups (or no route): not there */
			if (api_no_route(c)) {
				json_decref(envs);
				return api_report(c);
			}
			ex = EX_OK;
			continue;
		}
		size_t j;
		json_t *b;
		json_array_foreach(list, j, b) {
			if (strncasecmp(jstr(b, "id"), arg, strlen(arg)) == 0) {
				if (!found)
					found = json_incref(b);
				matches++;
			}
		}
		json_decref(list);
	}
	json_decref(envs);
	if (!found)
		return cli_api_error(c, "BACKUP_NOT_FOUND", "No backup whose id starts with '%s'", arg);
	if (matches > 1) {
		json_decref(found);
		return usage_error(c, "%zu backups have ids starting with '%s': give more of the id",
				   matches, arg);
	}
	*out = found;
	return EX_OK;
}

/* ---- progress on stderr ---- */

struct progress {
	bool on;
	const char *what;
	struct timespec start, last;
	long long done, total;
	bool shown;
};

static double secs_since(const struct timespec *t)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->tv_sec) + (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

static void progress_init(struct progress *p, const char *what, bool json)
{
	memset(p, 0, sizeof *p);
	p->on = isatty(STDERR_FILENO) && !json;
	p->what = what;
	clock_gettime(CLOCK_MONOTONIC, &p->start);
	p->last = p->start;
}

static void progress_draw(struct progress *p, long long base)
{
	char d[32], t[32], r[32];
	double el = secs_since(&p->start);
	fmt_bytes(p->done, d, sizeof d);
	if (el > 0.2 && p->done > base) {
		fmt_bytes((long long)((double)(p->done - base) / el), r, sizeof r);
		snprintf(r + strlen(r), sizeof r - strlen(r), "/s");
	} else {
		snprintf(r, sizeof r, "…");
	}
	if (p->total > 0) {
		fmt_bytes(p->total, t, sizeof t);
		fprintf(stderr, "\r%s: %s / %s (%d%%), %s   ", p->what, d, t,
			(int)(p->done * 100 / p->total), r);
	} else {
		fprintf(stderr, "\r%s: %s, %s   ", p->what, d, r);
	}
	fflush(stderr);
	p->shown = true;
}

struct progress_ctx {
	struct progress p;
	long long base; /* bytes already there before this run (a resumed download) */
	/* downloads: the SHA-256 of the file as written */
	crypto_hash_sha256_state sha;
	bool restarted, rehashed;
};

static void on_progress(void *ctx, long long done, long long total)
{
	struct progress_ctx *x = ctx;
	x->p.done = done;
	if (total > 0)
		x->p.total = total;
	if (!x->p.on || secs_since(&x->p.last) < 0.25)
		return;
	clock_gettime(CLOCK_MONOTONIC, &x->p.last);
	progress_draw(&x->p, x->restarted ? 0 : x->base);
}

static void progress_end(struct progress_ctx *x)
{
	if (!x->p.on)
		return;
	if (x->p.total > 0)
		x->p.done = x->p.total;
	progress_draw(&x->p, x->restarted ? 0 : x->base);
	fputc('\n', stderr);
}

static void on_bytes(void *ctx, const void *p, size_t n)
{
	struct progress_ctx *x = ctx;
	if (x->restarted && !x->rehashed) { /* berthd sent the whole archive: hash from zero */
		crypto_hash_sha256_init(&x->sha);
		x->rehashed = true;
	}
	crypto_hash_sha256_update(&x->sha, p, n);
}

/* ---- confirmations ---- */

/* Asks on the terminal; false when not confirmed (a message printed). production: the
 * environment's name must be typed. */
static bool confirm(struct cli *c, json_t *env, const char *what_flag)
{
	if (!isatty(STDIN_FILENO)) {
		usage_error(c, "not interactive: pass %s to confirm", what_flag);
		return false;
	}
	char *name = xstrdup(jstr(env, "name"));
	sanitize(name);
	bool ok;
	if (str_eq(jstr(env, "environment_type"), "production")) {
		char *prompt = xasprintf("%s is a production environment. Type its name to confirm: ", name);
		char *answer = read_line_tty(prompt);
		free(prompt);
		ok = answer && strcmp(answer, jstr(env, "name")) == 0;
		free(answer);
	} else {
		char *answer = read_line_tty("Continue? [y/N] ");
		ok = answer && (strcasecmp(answer, "y") == 0 || strcasecmp(answer, "yes") == 0);
		free(answer);
	}
	free(name);
	if (!ok)
		cli_fail(EX_USAGE, "not confirmed: nothing was done");
	return ok;
}

static int get_env(struct cli *c, const char *id, json_t **env)
{
	char *path = xasprintf("/api/v1/environments/%s", id);
	int ex = api_get(c, path, env);
	free(path);
	return ex;
}

/* ---- berth env backup ---- */

int cmd_env_backup(struct cli *c, struct args *a)
{
	const char *scope = arg_get(a, "scope");
	if (scope && !str_eq(scope, "db") && !str_eq(scope, "full"))
		return usage_error(c, "--scope is db (the database) or full (database and filestore)");
	json_t *env, *job;
	int ex = resolve_env(c, arg_get(a, "org"), arg_get(a, "project"), a->pos[0], &env);
	if (ex)
		return ex;
	json_t *body = json_pack("{s:s}", "scope", scope ? scope : "full");
	char *path = xasprintf("/api/v1/environments/%s/backups", jstr(env, "id"));
	ex = api_call(c, "POST", path, body, &job, 0);
	free(path);
	json_decref(body);
	json_decref(env);
	if (ex)
		return ex;
	job_queued_msg(c, job, "Backup");
	if (arg_has(a, "follow") || arg_has(a, "wait")) {
		ex = job_follow(c, jstr(job, "id"));
		if (ex == EX_OK && !c->json) {
			json_t *done;
			path = xasprintf("/api/v1/jobs/%s", jstr(job, "id"));
			if (api_get(c, path, &done) == EX_OK) {
				const char *bid = jstr(json_object_get(done, "result"), "backup_id");
				if (*bid)
					printf("Backup %s: download it with 'berth backup download %.8s'\n", bid, bid);
			}
			free(path);
			json_decref(done);
		}
	}
	json_decref(job);
	return ex;
}

/* ---- berth env import ---- */

static bool ends_with_ci(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && strcasecmp(s + n - k, suffix) == 0;
}

int cmd_env_import(struct cli *c, struct args *a)
{
	const char *file = a->pos[1];
	FILE *f = fopen(file, "rb");
	if (!f)
		return cli_fail(EX_USAGE, "cannot open %s: %s", file, strerror(errno));
	struct stat st;
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
		fclose(f);
		return cli_fail(EX_USAGE, "%s is not a regular file", file);
	}
	json_t *env = NULL, *job = NULL;
	int ex = resolve_env(c, arg_get(a, "org"), arg_get(a, "project"), a->pos[0], &env);
	if (ex)
		goto out;
	bool safety = !str_eq(arg_get(a, "safety-backup"), "false");
	bool filestore = !str_eq(arg_get(a, "filestore"), "false");
	if (str_eq(jstr(env, "environment_type"), "production") && !arg_has(a, "yes")) {
		char *name = xstrdup(jstr(env, "name"));
		sanitize(name);
		fprintf(stderr, "This replaces the database%s of %s with the upload's%s.\n",
			filestore ? " and filestore" : "", name,
			safety ? " (a safety backup is taken first)" : ", without a safety backup");
		free(name);
		if (!confirm(c, env, "--yes")) {
			ex = EX_USAGE;
			goto out;
		}
	}
	const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	char *fname = url_escape(base);
	char *path = xasprintf("/api/v1/environments/%s/backups/import?filename=%s&safety_backup=%s"
			       "&include_filestore=%s",
			       jstr(env, "id"), fname, safety ? "true" : "false",
			       filestore ? "true" : "false");
	free(fname);
	struct progress_ctx pc;
	memset(&pc, 0, sizeof pc);
	progress_init(&pc.p, "Uploading", c->json);
	pc.p.total = (long long)st.st_size;
	ex = api_upload(c, path, f, (long long)st.st_size,
			ends_with_ci(file, ".zip") ? "application/zip" : "application/octet-stream", &job,
			on_progress, &pc);
	free(path);
	if (ex == EX_OK)
		progress_end(&pc);
	else if (pc.p.shown)
		fputc('\n', stderr);
	if (ex)
		goto out;
	job_queued_msg(c, job, "Import");
	if (arg_has(a, "follow") || arg_has(a, "wait"))
		ex = job_follow(c, jstr(job, "id"));
out:
	fclose(f);
	json_decref(job);
	json_decref(env);
	return ex;
}

/* ---- berth backup list ---- */

static int cmd_list(struct cli *c, struct args *a)
{
	json_t *env, *list;
	int ex = resolve_env(c, arg_get(a, "org"), arg_get(a, "project"), a->pos[0], &env);
	if (ex)
		return ex;
	char *path = xasprintf("/api/v1/environments/%s/backups", jstr(env, "id"));
	json_decref(env);
	ex = api_get(c, path, &list);
	free(path);
	if (ex)
		return ex;
	if (emit_json(c, list))
		return EX_OK;
	if (!json_array_size(list)) {
		printf("No backups yet.\n");
		json_decref(list);
		return EX_OK;
	}
	struct table *t = table_new("ID KIND SCOPE STATUS SIZE AGE VERIFIED");
	size_t i;
	json_t *b;
	json_array_foreach(list, i, b) {
		char size[32], age[32];
		fmt_size(json_object_get(b, "size_bytes"), size, sizeof size);
		fmt_age(jstr(b, "created_at"), age, sizeof age);
		table_cellf(t, "%.8s", jstr(b, "id"));
		table_cellj(t, b, "kind");
		table_cellj(t, b, "scope");
		table_cellj(t, b, "status");
		table_cell(t, size);
		table_cell(t, age);
		table_cell(t, verified_mark(b));
	}
	table_print(t);
	json_decref(list);
	return EX_OK;
}

/* ---- berth backup show ---- */

static const char *const SHOW_KEYS[] = {
	"id", "environment_name", "environment_id", "project_id", "kind", "scope", "status",
	"error", "format", "size_bytes", "sha256", "created_at", "finished_at", "duration_ms",
	"expires_at", "odoo_version", "db_name", "module_count", "table_count", "filestore_files",
	"target", "location", "download_name", "created_by", "job_id", "verification", NULL};

static int cmd_show(struct cli *c, struct args *a)
{
	json_t *b;
	int ex = resolve_backup(c, arg_get(a, "org"), a->pos[0], &b);
	if (ex)
		return ex;
	if (!c->json) { /* sizes and ages a person reads */
		char size[32], age[32];
		fmt_size(json_object_get(b, "size_bytes"), size, sizeof size);
		if (json_is_integer(json_object_get(b, "size_bytes")))
			json_object_set_new(b, "size_bytes",
					    json_sprintf("%s (%lld bytes)", size,
							 (long long)json_integer_value(
								 json_object_get(b, "size_bytes"))));
		fmt_age(jstr(b, "created_at"), age, sizeof age);
		if (*jstr(b, "created_at"))
			json_object_set_new(b, "created_at",
					    json_sprintf("%s (%s)", jstr(b, "created_at"), age));
	}
	emit(c, b, SHOW_KEYS, 0);
	return EX_OK;
}

/* ---- berth backup download ---- */

/* The default file name: the backup's download_name, its last path component. */
static char *default_name(json_t *b)
{
	const char *n = jstr(b, "download_name");
	const char *slash = strrchr(n, '/');
	if (slash)
		n = slash + 1;
	if (!*n || str_eq(n, ".") || str_eq(n, ".."))
		return xasprintf("backup_%.8s.zip", jstr(b, "id"));
	char *s = xstrdup(n);
	sanitize(s);
	return s;
}

/* Hashes the first `len` bytes of path into sha. */
static int hash_existing(const char *path, long long len, crypto_hash_sha256_state *sha)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	unsigned char buf[65536];
	long long left = len;
	while (left > 0) {
		size_t want = left > (long long)sizeof buf ? sizeof buf : (size_t)left;
		size_t got = fread(buf, 1, want, f);
		if (got == 0)
			break;
		crypto_hash_sha256_update(sha, buf, got);
		left -= (long long)got;
	}
	fclose(f);
	return left == 0 ? 0 : -1;
}

static int cmd_download(struct cli *c, struct args *a)
{
	if (sodium_init() < 0)
		return cli_fail(EX_UNREACHABLE, "cannot initialise libsodium");
	json_t *b;
	int ex = resolve_backup(c, arg_get(a, "org"), a->pos[0], &b);
	if (ex)
		return ex;
	if (!str_eq(jstr(b, "status"), "done")) {
		ex = cli_fail(EX_API, "backup %s is %s: only a finished backup can be downloaded",
			      jstr(b, "id"), jstr(b, "status"));
		json_decref(b);
		return ex;
	}
	char *out = arg_has(a, "output") ? xstrdup(arg_get(a, "output")) : default_name(b);
	bool to_stdout = str_eq(out, "-");
	bool cont = arg_has(a, "continue");
	long long expect = json_is_integer(json_object_get(b, "size_bytes"))
				   ? (long long)json_integer_value(json_object_get(b, "size_bytes"))
				   : -1;
	long long from = 0;
	struct progress_ctx pc;
	memset(&pc, 0, sizeof pc);
	crypto_hash_sha256_init(&pc.sha);
	FILE *f = NULL;
	struct stat st;
	if (to_stdout) {
		if (cont) {
			ex = usage_error(c, "--continue needs a file (-o FILE), not stdout");
			goto out;
		}
		f = stdout;
	} else if (stat(out, &st) == 0) {
		if (!cont) {
			ex = usage_error(c, "%s exists: --continue resumes its download, or remove it", out);
			goto out;
		}
		if (!S_ISREG(st.st_mode)) {
			ex = cli_fail(EX_USAGE, "%s is not a regular file", out);
			goto out;
		}
		from = (long long)st.st_size;
		if (expect >= 0 && from > expect) {
			ex = cli_fail(EX_USAGE, "%s is larger than the backup (%lld > %lld bytes): not a part"
						" of it; remove it and download again", out, from, expect);
			goto out;
		}
		if (from > 0 && hash_existing(out, from, &pc.sha) < 0) {
			ex = cli_fail(EX_USAGE, "cannot read %s", out);
			goto out;
		}
	}
	if (!to_stdout) {
		f = fopen(out, from > 0 ? "ab" : "wb");
		if (!f) {
			ex = cli_fail(EX_USAGE, "cannot write %s: %s", out, strerror(errno));
			goto out;
		}
	}
	pc.base = from;
	progress_init(&pc.p, "Downloading", c->json);
	pc.p.total = expect > 0 ? expect : 0;
	if (expect >= 0 && from == expect && from > 0) {
		ex = EX_OK; /* already complete: only the checks below */
	} else {
		char *e = url_escape(jstr(b, "id"));
		char *path = xasprintf("/api/v1/backups/%s/download", e);
		free(e);
		ex = api_download(c, path, f, from, on_bytes, &pc.restarted, on_progress, &pc);
		free(path);
		if (ex == EX_OK)
			progress_end(&pc);
		else if (pc.p.shown)
			fputc('\n', stderr);
	}
	long long size = 0;
	if (!to_stdout) {
		if (fflush(f) != 0 && ex == EX_OK)
			ex = cli_fail(EX_USAGE, "cannot write %s", out);
		if (fstat(fileno(f), &st) == 0)
			size = (long long)st.st_size;
		if (fclose(f) != 0 && ex == EX_OK)
			ex = cli_fail(EX_USAGE, "cannot write %s", out);
		f = NULL;
	} else {
		fflush(stdout);
		size = pc.p.done;
	}
	if (ex) {
		if (!to_stdout)
			fprintf(stderr, "berth: the part downloaded stays in %s: 'berth backup download %s -o"
					" %s --continue' resumes it\n", out, jstr(b, "id"), out);
		goto out;
	}
	unsigned char digest[crypto_hash_sha256_BYTES];
	char hex[crypto_hash_sha256_BYTES * 2 + 1];
	crypto_hash_sha256_final(&pc.sha, digest);
	sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
	const char *want = jstr(b, "sha256");
	bool sha_ok = !*want || strcasecmp(want, hex) == 0;
	if (!to_stdout && expect >= 0 && size != expect) {
		ex = cli_fail(EX_API, "%s has %lld bytes, the backup %lld: download it again", out, size,
			      expect);
		goto out;
	}
	if (!sha_ok) {
		ex = cli_fail(EX_API, "the SHA-256 of %s (%s) is not the backup's (%s): remove it and"
				      " download again", to_stdout ? "the download" : out, hex, want);
		goto out;
	}
	if (c->json) {
		json_t *r = json_pack("{s:s,s:s,s:I,s:s,s:b}", "backup_id", jstr(b, "id"), "file", out,
				      "size_bytes", (json_int_t)size, "sha256", hex, "sha256_checked",
				      *want != '\0');
		if (r)
			print_json(r);
		json_decref(r);
	} else {
		char human[32];
		fmt_bytes(size, human, sizeof human);
		fprintf(to_stdout ? stderr : stdout, "Saved backup %s to %s (%s)%s.\n", jstr(b, "id"),
			to_stdout ? "stdout" : out, human,
			*want ? ", SHA-256 checked" : "");
	}
out:
	if (f && f != stdout)
		fclose(f);
	free(out);
	json_decref(b);
	return ex;
}

/* ---- berth backup restore ---- */

static int cmd_restore(struct cli *c, struct args *a)
{
	json_t *b, *target = NULL, *job = NULL, *body = NULL;
	int ex = resolve_backup(c, arg_get(a, "org"), a->pos[0], &b);
	if (ex)
		return ex;
	if (!str_eq(jstr(b, "status"), "done")) {
		ex = cli_fail(EX_API, "backup %s is %s: only a finished backup can be restored",
			      jstr(b, "id"), jstr(b, "status"));
		goto out;
	}
	if (arg_has(a, "into"))
		ex = resolve_env(c, arg_get(a, "org"), *jstr(b, "project_id") ? jstr(b, "project_id") : NULL,
				 arg_get(a, "into"), &target);
	else
		ex = get_env(c, jstr(b, "environment_id"), &target);
	if (ex)
		goto out;
	bool safety = !str_eq(arg_get(a, "safety-backup"), "false");
	bool filestore = !str_eq(arg_get(a, "filestore"), "false");
	if (!arg_has(a, "yes")) {
		char age[32], *tname = xstrdup(jstr(target, "name")), *sname = xstrdup(jstr(b, "environment_name"));
		sanitize(tname);
		sanitize(sname);
		fmt_age(jstr(b, "created_at"), age, sizeof age);
		fprintf(stderr,
			"This restores backup %.8s (%s %s of %s, made %s) into the %s environment %s:\n"
			"its database%s replaced, Odoo stopped meanwhile. %s\n",
			jstr(b, "id"), jstr(b, "kind"), str_eq(jstr(b, "scope"), "db") ? "database" : "full",
			sname, age, jstr(target, "environment_type"), tname,
			filestore && str_eq(jstr(b, "scope"), "full") ? " and filestore are" : " is",
			safety ? "A safety backup is taken first." : "No safety backup is taken.");
		free(tname);
		free(sname);
		if (!confirm(c, target, "--yes")) {
			ex = EX_USAGE;
			goto out;
		}
	}
	body = json_pack("{s:b,s:b}", "include_filestore", filestore, "safety_backup", safety);
	if (arg_has(a, "into"))
		json_object_set(body, "target_environment_id", json_object_get(target, "id"));
	char *path = xasprintf("/api/v1/backups/%s/restore", jstr(b, "id"));
	ex = api_call(c, "POST", path, body, &job, 0);
	free(path);
	if (ex)
		goto out;
	job_queued_msg(c, job, "Restore");
	if (arg_has(a, "follow") || arg_has(a, "wait"))
		ex = job_follow(c, jstr(job, "id"));
out:
	json_decref(body);
	json_decref(job);
	json_decref(target);
	json_decref(b);
	return ex;
}

/* ---- berth backup delete ---- */

static int cmd_delete(struct cli *c, struct args *a)
{
	json_t *b;
	int ex = resolve_backup(c, arg_get(a, "org"), a->pos[0], &b);
	if (ex)
		return ex;
	if (!arg_has(a, "yes")) {
		if (!isatty(STDIN_FILENO)) {
			json_decref(b);
			return usage_error(c, "not interactive: pass --yes to delete the backup");
		}
		char age[32], *name = xstrdup(jstr(b, "environment_name"));
		sanitize(name);
		fmt_age(jstr(b, "created_at"), age, sizeof age);
		fprintf(stderr, "This deletes backup %.8s (%s, of %s, made %s) and its archive.\n",
			jstr(b, "id"), jstr(b, "kind"), name, age);
		free(name);
		char *answer = read_line_tty("Delete it? [y/N] ");
		bool ok = answer && (strcasecmp(answer, "y") == 0 || strcasecmp(answer, "yes") == 0);
		free(answer);
		if (!ok) {
			json_decref(b);
			return cli_fail(EX_USAGE, "not confirmed: nothing was deleted");
		}
	}
	char *path = xasprintf("/api/v1/backups/%s", jstr(b, "id"));
	ex = api_call(c, "DELETE", path, NULL, NULL, 0);
	free(path);
	if (ex == EX_OK)
		emit_msg(c, json_pack("{s:s,s:b}", "id", jstr(b, "id"), "deleted", 1),
			 "Deleted backup %s.", jstr(b, "id"));
	json_decref(b);
	return ex;
}

/* ---- berth backup verify ---- */

static int cmd_verify(struct cli *c, struct args *a)
{
	json_t *b, *job;
	int ex = resolve_backup(c, arg_get(a, "org"), a->pos[0], &b);
	if (ex)
		return ex;
	char *id = xstrdup(jstr(b, "id"));
	json_decref(b);
	char *path = xasprintf("/api/v1/backups/%s/verify", id);
	ex = api_call(c, "POST", path, NULL, &job, 0);
	free(path);
	if (ex) {
		free(id);
		return ex;
	}
	job_queued_msg(c, job, "Verification");
	if (arg_has(a, "follow") || arg_has(a, "wait")) {
		int fex = job_follow(c, jstr(job, "id"));
		if (!c->json && get_backup(c, id, &b) == EX_OK) {
			json_t *v = json_object_get(b, "verification");
			if (json_is_object(v)) {
				char *checks = fmt_json(json_object_get(v, "checks"));
				sanitize(checks);
				printf("Verification %s: %s%s%s, restore %.1f s; checks: %s\n", id, jstr(v, "status"),
				       *jstr(v, "error") ? " — " : "", jstr(v, "error"),
				       (double)json_integer_value(json_object_get(v, "duration_ms")) / 1000.0,
				       checks);
				free(checks);
			}
			json_decref(b);
		}
		ex = fex;
	}
	json_decref(job);
	free(id);
	return ex;
}

/* ---- the tables ---- */

#define ORG_OPTION {"org", OPT_STR, NULL, "ORG", "the organization (id, slug or name)", 0}
#define PROJECT_OPTION                                                                         \
	{"project", OPT_STR, NULL, "PROJECT", "the project (slug, name or id); default: search"     \
					      " the organization", 0}
#define FOLLOW_OPTIONS                                                                         \
	{"follow", OPT_FLAG, NULL, NULL, "follow the job's log live until it ends", 0},           \
	{"wait", OPT_FLAG, NULL, NULL, "same as --follow", 0}

const struct opt env_backup_opts[] = {
	ORG_OPTION,
	PROJECT_OPTION,
	{"scope", OPT_STR, NULL, "SCOPE", "full (database and filestore, the default) or db", 0},
	FOLLOW_OPTIONS,
	OPT_END,
};
const struct opt env_import_opts[] = {
	ORG_OPTION,
	PROJECT_OPTION,
	{"safety-backup", OPT_BOOL, NULL, NULL, "back up the environment first (default: yes)", 0},
	{"filestore", OPT_BOOL, NULL, NULL, "restore the upload's filestore too (default: yes)", 0},
	{"yes", OPT_FLAG, NULL, NULL, "do not ask (a production environment asks for its name)", 0},
	FOLLOW_OPTIONS,
	OPT_END,
};
static const struct opt LIST_OPTS[] = {ORG_OPTION, PROJECT_OPTION, OPT_END};
static const struct opt ID_OPTS[] = {ORG_OPTION, OPT_END};
static const struct opt DOWNLOAD_OPTS[] = {
	ORG_OPTION,
	{"output", OPT_STR, NULL, "FILE", "write to FILE (default: the backup's own name; - is"
					  " stdout)", OPT_SHORT},
	{"continue", OPT_FLAG, NULL, NULL, "resume a download that stopped: FILE's bytes are kept",
	 0},
	OPT_END,
};
static const struct opt RESTORE_OPTS[] = {
	ORG_OPTION,
	{"into", OPT_STR, NULL, "ENV", "restore into another environment of the project (default:"
				       " the backup's own)", 0},
	{"filestore", OPT_BOOL, NULL, NULL, "restore the filestore too (default: yes)", 0},
	{"safety-backup", OPT_BOOL, NULL, NULL, "back up the target first (default: yes)", 0},
	{"yes", OPT_FLAG, NULL, NULL, "do not ask (needed when stdin is not a terminal)", 0},
	FOLLOW_OPTIONS,
	OPT_END,
};
static const struct opt DELETE_OPTS[] = {
	ORG_OPTION,
	{"yes", OPT_FLAG, NULL, NULL, "do not ask (needed when stdin is not a terminal)", 0},
	OPT_END,
};
static const struct opt VERIFY_OPTS[] = {ORG_OPTION, FOLLOW_OPTIONS, OPT_END};

const struct verb backup_verbs[] = {
	{"list", "ENV", "The environment's backups, newest first (VERIFIED: ✓ passed, ✗ failed).",
	 LIST_OPTS, 1, 1, cmd_list},
	{"show", "ID", "A backup: where it is, what it holds, its latest verification.", ID_OPTS, 1,
	 1, cmd_show},
	{"download", "ID [-o FILE] [--continue]",
	 "Download the archive (Odoo's backup zip), check its SHA-256; --continue resumes.",
	 DOWNLOAD_OPTS, 1, 1, cmd_download},
	{"restore", "ID [--into ENV] [--no-filestore] [--no-safety-backup] [--yes] [--follow]",
	 "Restore a backup into its environment or another of the project (a job; asks first).",
	 RESTORE_OPTS, 1, 1, cmd_restore},
	{"delete", "ID [--yes]", "Delete a backup and its archive (asks first).", DELETE_OPTS, 1, 1,
	 cmd_delete},
	{"verify", "ID [--follow]",
	 "Test-restore the backup into a throwaway database and check it (a job).", VERIFY_OPTS, 1,
	 1, cmd_verify},
	{NULL, NULL, NULL, NULL, 0, 0, NULL},
};
