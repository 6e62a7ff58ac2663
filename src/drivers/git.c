/* git.c: the git program, run with argv vectors and a controlled environment. */
#include "drivers/git.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>

#include "lib/proc.h"
#include "lib/valid.h"

#define NET_TIMEOUT_MS (10 * 60 * 1000)
#define LOCAL_TIMEOUT_MS (2 * 60 * 1000)
#define MAX_ROOTS 8

static char data_dir[PATH_MAX];
static char roots[MAX_ROOTS][PATH_MAX];
static int nroots;

void git_init(const char *dir, const char *const *local_roots)
{
	char *abs = realpath(dir, NULL);
	snprintf(data_dir, sizeof data_dir, "%s", abs ? abs : dir);
	free(abs);
	/* kept as given: a root may be created after berthd starts; resolved when used */
	nroots = 0;
	for (int i = 0; local_roots && local_roots[i] && nroots < MAX_ROOTS; i++)
		if (local_roots[i][0] == '/')
			snprintf(roots[nroots++], PATH_MAX, "%s", local_roots[i]);
}

const char *git_data_dir(void)
{
	return data_dir;
}

bool git_url_is_local(const char *url)
{
	return url && git_url_classify(url) == GIT_URL_LOCAL;
}

static bool under(const char *path, const char *root)
{
	size_t n = strlen(root);
	return strncmp(path, root, n) == 0 && (path[n] == '/' || path[n] == '\0' ||
					       (n == 1 && root[0] == '/'));
}

/* A directory name of an organization's area: what slugify makes (a-z, 0-9, '-'). */
static bool area_name_ok(const char *area)
{
	if (!area || !*area || strlen(area) > 64 || area[0] == '-')
		return false;
	for (const char *c = area; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-'))
			return false;
	return true;
}

bool git_local_allowed(const char *url, const char *area)
{
	if (!git_url_is_local(url))
		return true;
	const char *path = str_starts(url, "file://") ? url + strlen("file://") : url;
	if (path[0] != '/' || !valid_git_url(url) || !area_name_ok(area))
		return false; /* relative paths and ".." never; no area, no local path */
	char *real = realpath(path, NULL);
	if (!real)
		return false;
	bool ok = false;
	for (int i = 0; i < nroots && !ok; i++) {
		char *root = realpath(roots[i], NULL);
		char *dir = xasprintf("%s/%s", roots[i], area);
		char *adir = realpath(dir, NULL);
		/* the area is a real directory right under the root (not a link to another
		 * organization's area), and the repository is inside it, not the area itself */
		if (root && adir) {
			char *expect = xasprintf("%s%s%s", root, str_eq(root, "/") ? "" : "/", area);
			ok = str_eq(adir, expect) && under(real, adir) && !str_eq(real, adir);
			free(expect);
		}
		free(adir);
		free(dir);
		free(root);
	}
	if (ok && data_dir[0] && under(real, data_dir))
		ok = false; /* never berthd's own files */
	free(real);
	return ok;
}

/* ---- running git ---- */

struct genv {
	char *vars[40];
	int n;
	char keyfile[PATH_MAX];
};

static void genv_add(struct genv *g, char *kv)
{
	if (g->n < (int)ARRAY_SIZE(g->vars) - 1)
		g->vars[g->n++] = kv;
	else
		free(kv);
	g->vars[g->n] = NULL;
}

static void genv_free(struct genv *g)
{
	for (int i = 0; i < g->n; i++) {
		sodium_memzero(g->vars[i], strlen(g->vars[i]));
		free(g->vars[i]);
	}
	if (g->keyfile[0])
		unlink(g->keyfile);
	memset(g, 0, sizeof *g);
}

static int mkdirs(const char *path, mode_t mode)
{
	char tmp[PATH_MAX];
	snprintf(tmp, sizeof tmp, "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, mode) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(tmp, mode) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

/* The environment of every git run: no user or system configuration, no prompts, only the
 * transports berth supports; for remotes, the credentials. */
static int genv_build(struct genv *g, const struct git_remote *rm, struct berr *err)
{
	memset(g, 0, sizeof *g);
	genv_add(g, xstrdup("PATH=/usr/local/bin:/usr/bin:/bin"));
	genv_add(g, xstrdup("LC_ALL=C"));
	genv_add(g, xstrdup("GIT_TERMINAL_PROMPT=0"));
	genv_add(g, xstrdup("GIT_CONFIG_NOSYSTEM=1"));
	genv_add(g, xstrdup("GIT_CONFIG_GLOBAL=/dev/null"));
	genv_add(g, xstrdup("GIT_ALLOW_PROTOCOL=https:http:ssh:git:file"));
	genv_add(g, xstrdup("GIT_ASKPASS=/bin/false"));
	genv_add(g, xstrdup("SSH_ASKPASS=/bin/false"));
	int nconf = 0;
	char *confs[6];
	confs[nconf++] = xstrdup("safe.directory");
	confs[nconf++] = xstrdup("*");
	confs[nconf++] = xstrdup("core.hooksPath");
	confs[nconf++] = xstrdup("/dev/null");
	const char *home = rm && rm->home ? rm->home : data_dir;
	genv_add(g, xasprintf("HOME=%s", home));
	/* a proxy set for berthd applies to git too */
	const char *pass[] = {"http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY",
			      "NO_PROXY"};
	for (size_t i = 0; i < ARRAY_SIZE(pass); i++)
		if (getenv(pass[i]))
			genv_add(g, xasprintf("%s=%s", pass[i], getenv(pass[i])));
	const char *scheme_end = rm && rm->url ? strstr(rm->url, "://") : NULL;
	if (rm && rm->token && *rm->token && scheme_end &&
	    (str_starts(rm->url, "https://") || str_starts(rm->url, "http://"))) {
		char *cred = xasprintf("%s:%s", rm->username && *rm->username ? rm->username
									  : "x-access-token", rm->token);
		size_t blen = sodium_base64_ENCODED_LEN(strlen(cred), sodium_base64_VARIANT_ORIGINAL);
		char *b64 = xmalloc(blen);
		sodium_bin2base64(b64, blen, (const unsigned char *)cred, strlen(cred),
				  sodium_base64_VARIANT_ORIGINAL);
		sodium_memzero(cred, strlen(cred));
		free(cred);
		/* only for the repository's own site: never to a host a redirect points at */
		size_t site = (size_t)(scheme_end + 3 - rm->url) + strcspn(scheme_end + 3, "/");
		confs[nconf++] = xasprintf("http.%.*s/.extraHeader", (int)site, rm->url);
		confs[nconf++] = xasprintf("Authorization: Basic %s", b64);
		sodium_memzero(b64, strlen(b64));
		free(b64);
	}
	genv_add(g, xasprintf("GIT_CONFIG_COUNT=%d", nconf / 2));
	for (int i = 0; i < nconf / 2; i++) {
		genv_add(g, xasprintf("GIT_CONFIG_KEY_%d=%s", i, confs[2 * i]));
		genv_add(g, xasprintf("GIT_CONFIG_VALUE_%d=%s", i, confs[2 * i + 1]));
		free(confs[2 * i]);
		sodium_memzero(confs[2 * i + 1], strlen(confs[2 * i + 1]));
		free(confs[2 * i + 1]);
	}
	if (rm && !git_url_is_local(rm->url)) {
		if (mkdirs(home, 0700) < 0)
			return berr_set(err, BE_INTERNAL_ERROR, NULL, "cannot create %s: %s", home,
					strerror(errno));
		/* ssh: pinned host keys per project (first use records them), no agent, no
		 * configuration files, never a prompt. Only paths berthd made cross this shell
		 * string, quoted. */
		struct sbuf cmd = SBUF_INIT;
		sbuf_adds(&cmd, "ssh -F /dev/null -o BatchMode=yes -o IdentitiesOnly=yes"
				" -o StrictHostKeyChecking=accept-new -o ConnectTimeout=20 -o UserKnownHostsFile=");
		char *kh = xasprintf("%s/known_hosts", home);
		shell_quote(&cmd, kh);
		free(kh);
		if (rm->deploy_key && *rm->deploy_key) {
			int fd = -1;
			if (snprintf(g->keyfile, sizeof g->keyfile, "%s/.key-XXXXXX", home) <
			    (int)sizeof g->keyfile)
				fd = mkstemp(g->keyfile);
			if (fd < 0) {
				g->keyfile[0] = '\0';
				sbuf_release(&cmd);
				return berr_set(err, BE_INTERNAL_ERROR, NULL, "cannot write a key file");
			}
			fchmod(fd, 0600);
			size_t len = strlen(rm->deploy_key);
			bool nl = len && rm->deploy_key[len - 1] == '\n';
			if (write(fd, rm->deploy_key, len) != (ssize_t)len || (!nl && write(fd, "\n", 1) != 1)) {
				close(fd);
				sbuf_release(&cmd);
				return berr_set(err, BE_INTERNAL_ERROR, NULL, "cannot write a key file");
			}
			close(fd);
			sbuf_adds(&cmd, " -i ");
			shell_quote(&cmd, g->keyfile);
		} else {
			sbuf_adds(&cmd, " -o PubkeyAuthentication=no");
		}
		genv_add(g, xasprintf("GIT_SSH_COMMAND=%s", sbuf_str(&cmd)));
		genv_add(g, xstrdup("GIT_SSH_VARIANT=ssh"));
		sbuf_release(&cmd);
	}
	return 0;
}

/* git's last meaningful stderr line, for error messages. */
static void last_line(const char *s, char *out, size_t n)
{
	const char *best = "";
	size_t best_len = 0;
	const char *p = s;
	while (p && *p) {
		const char *e = strchr(p, '\n');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len > 0 && !str_starts(p, "hint:")) {
			best = p;
			best_len = len;
			if (str_starts(p, "fatal:") || str_starts(p, "error:"))
				break;
		}
		p = e ? e + 1 : NULL;
	}
	snprintf(out, n, "%.*s", (int)(best_len > 300 ? 300 : best_len), best);
}

/* Runs git with argv after "git"; returns the exit code (or -1 when git could not run). */
static int run_git(const struct git_remote *rm, const char *const *args, const char *in,
		   size_t in_len, struct sbuf *out, struct sbuf *errout, int timeout_ms,
		   struct berr *err)
{
	struct genv g;
	if (genv_build(&g, rm, err) < 0) {
		genv_free(&g);
		return -1;
	}
	const char *argv[32];
	int n = 0;
	argv[n++] = "git";
	for (int i = 0; args[i] && n < 31; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	struct sbuf e2 = SBUF_INIT;
	struct proc p = {.argv = argv, .env = (const char *const *)g.vars, .in = in, .in_len = in_len,
			 .out = out, .err = errout ? errout : &e2, .timeout_ms = timeout_ms,
			 .max_out = (size_t)1 << 30};
	int rc = proc_run(&p);
	genv_free(&g);
	if (rc < 0) {
		berr_set(err, BE_INTERNAL_ERROR, NULL, "cannot run git: %s",
			 sbuf_str(errout ? errout : &e2));
		sbuf_release(&e2);
		return -1;
	}
	sbuf_release(&e2);
	if (p.timed_out)
		return berr_set(err, BE_REPOSITORY_UNREACHABLE, NULL, "git %s: timed out", args[0]);
	if (p.truncated)
		return berr_set(err, BE_INTERNAL_ERROR, NULL, "git %s: output too large", args[0]);
	return p.exit_code;
}

/* A local command on the mirror; 0 only when git exits with 0. */
static int mirror_git(const char *mirror, const char *const *args, struct sbuf *out)
{
	const char *argv[28];
	int n = 0;
	char *gd = xasprintf("--git-dir=%s", mirror);
	argv[n++] = gd;
	for (int i = 0; args[i] && n < 27; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	struct berr err = {0};
	int code = run_git(NULL, argv, NULL, 0, out, NULL, LOCAL_TIMEOUT_MS, &err);
	free(gd);
	return code == 0 ? 0 : -1;
}

static int lock_mirror(const char *mirror)
{
	char *path = xasprintf("%s.lock", mirror);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	free(path);
	if (fd >= 0)
		while (flock(fd, LOCK_EX) < 0 && errno == EINTR)
			;
	return fd;
}

static void unlock_mirror(int fd)
{
	if (fd >= 0)
		close(fd);
}

static int ensure_mirror(const char *mirror, struct berr *err)
{
	char *head = xasprintf("%s/HEAD", mirror);
	struct stat st;
	bool have = stat(head, &st) == 0;
	free(head);
	if (have)
		return 0;
	if (mkdirs(mirror, 0700) < 0)
		return berr_set(err, BE_INTERNAL_ERROR, NULL, "cannot create %s: %s", mirror,
				strerror(errno));
	const char *args[] = {"init", "--bare", "-q", mirror, NULL};
	struct sbuf eo = SBUF_INIT;
	int code = run_git(NULL, args, NULL, 0, NULL, &eo, LOCAL_TIMEOUT_MS, err);
	sbuf_release(&eo);
	if (code != 0)
		return code < 0 ? -1 : berr_set(err, BE_INTERNAL_ERROR, NULL, "git init failed");
	return 0;
}

int git_fetch(const char *mirror, const struct git_remote *rm, struct berr *err)
{
	if (!git_local_allowed(rm->url, rm->local_area))
		return berr_set(err, BE_VALIDATION_ERROR, "repository_url",
				"repository_url: local repositories must be under the organization's"
				" directory of a --git-local-root (ROOT/<organization slug>/)");
	int fd = lock_mirror(mirror);
	int rc = ensure_mirror(mirror, err);
	if (rc == 0) {
		char *gd = xasprintf("--git-dir=%s", mirror);
		const char *args[] = {gd, "fetch", "--prune", "--no-tags", "--quiet", "--no-write-fetch-head",
				      "--", rm->url, "+refs/heads/*:refs/heads/*", NULL};
		struct sbuf eo = SBUF_INIT;
		int code = run_git(rm, args, NULL, 0, NULL, &eo,
				   rm->timeout_s > 0 ? rm->timeout_s * 1000 : NET_TIMEOUT_MS, err);
		free(gd);
		if (code > 0) {
			char line[320];
			last_line(sbuf_str(&eo), line, sizeof line);
			rc = berr_set(err, BE_REPOSITORY_UNREACHABLE, "repository_url",
				      "cannot fetch %s: %s", rm->url, line);
		} else if (code < 0) {
			rc = -1;
		} else {
			char *stamp = xasprintf("%s/berth-fetched", mirror);
			write_file_atomic(stamp, "", 0, 0600);
			free(stamp);
		}
		sbuf_release(&eo);
	}
	unlock_mirror(fd);
	return rc;
}

long git_fetch_age(const char *mirror)
{
	char *stamp = xasprintf("%s/berth-fetched", mirror);
	struct stat st;
	long age = stat(stamp, &st) == 0 ? (long)(time(NULL) - st.st_mtime) : 1L << 30;
	free(stamp);
	return age < 0 ? 0 : age;
}

int git_fetch_commit(const char *mirror, const struct git_remote *rm, const char *commit,
		     struct berr *err)
{
	if (!git_local_allowed(rm->url, rm->local_area))
		return berr_set(err, BE_VALIDATION_ERROR, "repository_url",
				"repository_url: local repositories must be under the organization's"
				" directory of a --git-local-root (ROOT/<organization slug>/)");
	int fd = lock_mirror(mirror);
	char *gd = xasprintf("--git-dir=%s", mirror);
	char *ref = xasprintf("%s:refs/berth/pins/%s", commit, commit);
	const char *args[] = {gd, "fetch", "--no-tags", "--quiet", "--no-write-fetch-head", "--",
			      rm->url, ref, NULL};
	struct sbuf eo = SBUF_INIT;
	int code = run_git(rm, args, NULL, 0, NULL, &eo, NET_TIMEOUT_MS, err);
	int rc = 0;
	if (code != 0) {
		char line[320];
		last_line(sbuf_str(&eo), line, sizeof line);
		rc = code < 0 ? -1 : berr_set(err, BE_VALIDATION_ERROR, NULL,
					      "commit %s is on no branch of %s and cannot be fetched"
					      " by id: %s", commit, rm->url, line);
	}
	sbuf_release(&eo);
	free(ref);
	free(gd);
	unlock_mirror(fd);
	return rc;
}

int git_push(const char *mirror, const struct git_remote *rm, const char *commit,
	     const char *branch, struct berr *err)
{
	if (!git_local_allowed(rm->url, rm->local_area))
		return berr_set(err, BE_VALIDATION_ERROR, "repository_url",
				"repository_url: local repositories must be under the organization's"
				" directory of a --git-local-root (ROOT/<organization slug>/)");
	int fd = lock_mirror(mirror);
	char *gd = xasprintf("--git-dir=%s", mirror);
	char *spec = xasprintf("%s:refs/heads/%s", commit, branch);
	const char *args[] = {gd, "push", "--quiet", "--no-verify", "--", rm->url, spec, NULL};
	struct sbuf eo = SBUF_INIT;
	int code = run_git(rm, args, NULL, 0, NULL, &eo, NET_TIMEOUT_MS, err);
	int rc = 0;
	if (code > 0) {
		char line[320];
		last_line(sbuf_str(&eo), line, sizeof line);
		rc = berr_set(err, BE_CONFLICT, NULL, "cannot push to %s of %s: %s", branch, rm->url,
			      line);
	} else if (code < 0) {
		rc = -1;
	} else {
		/* the mirror follows what was pushed */
		char *ref = xasprintf("refs/heads/%s", branch);
		const char *up[] = {"update-ref", ref, commit, NULL};
		mirror_git(mirror, up, NULL);
		free(ref);
	}
	sbuf_release(&eo);
	free(spec);
	free(gd);
	unlock_mirror(fd);
	return rc;
}

static void chomp(struct sbuf *sb)
{
	while (sb->len && (sb->buf[sb->len - 1] == '\n' || sb->buf[sb->len - 1] == '\r'))
		sb->buf[--sb->len] = '\0';
}

char *git_resolve(const char *mirror, const char *rev, bool branch)
{
	if (branch ? !valid_git_ref(rev) : !valid_commit(rev))
		return NULL;
	char *spec = branch ? xasprintf("refs/heads/%s^{commit}", rev) : xasprintf("%s^{commit}", rev);
	const char *args[] = {"rev-parse", "--verify", "--quiet", "--end-of-options", spec, NULL};
	struct sbuf out = SBUF_INIT;
	int rc = mirror_git(mirror, args, &out);
	free(spec);
	chomp(&out);
	if (rc < 0 || out.len != 40) {
		sbuf_release(&out);
		return NULL;
	}
	return sbuf_detach(&out);
}

json_t *git_branches(const char *mirror)
{
	const char *args[] = {"for-each-ref", "--sort=refname",
			      "--format=%(objectname) %(refname:lstrip=2)", "refs/heads/", NULL};
	struct sbuf out = SBUF_INIT;
	json_t *a = json_array();
	if (mirror_git(mirror, args, &out) == 0) {
		char *save = NULL;
		for (char *l = strtok_r(out.buf ? out.buf : (char[]){""}, "\n", &save); l;
		     l = strtok_r(NULL, "\n", &save)) {
			if (strlen(l) < 42 || l[40] != ' ')
				continue;
			l[40] = '\0';
			json_array_append_new(a, json_pack("{s:s,s:s}", "name", l + 41, "commit", l));
		}
	}
	sbuf_release(&out);
	return a;
}

json_t *git_log(const char *mirror, const char *commit, int limit)
{
	char n[32];
	snprintf(n, sizeof n, "--max-count=%d", limit);
	/* fields separated by 0x1f, records by 0x1e: no message text can break the parse */
	const char *args[] = {"log", n, "--no-color", "--format=%H%x1f%h%x1f%an%x1f%ae%x1f%aI%x1f%s%x1e",
			      "--end-of-options", commit, "--", NULL};
	struct sbuf out = SBUF_INIT;
	json_t *a = json_array();
	if (valid_commit(commit) && mirror_git(mirror, args, &out) == 0) {
		char *save = NULL;
		for (char *rec = strtok_r(out.buf ? out.buf : (char[]){""}, "\x1e", &save); rec;
		     rec = strtok_r(NULL, "\x1e", &save)) {
			while (*rec == '\n')
				rec++;
			char *f[6] = {0};
			int k = 0;
			f[k++] = rec;
			for (char *p = rec; *p && k < 6; p++)
				if (*p == '\x1f') {
					*p = '\0';
					f[k++] = p + 1;
				}
			if (k < 6)
				continue;
			json_array_append_new(a, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "hash", f[1],
							   "commit", f[0], "author", f[2], "email", f[3],
							   "date", f[4], "message", f[5]));
		}
	}
	sbuf_release(&out);
	return a;
}

long git_count_between(const char *mirror, const char *from, const char *to)
{
	if (!valid_commit(from) || !valid_commit(to))
		return -1;
	char *range = xasprintf("%s..%s", from, to);
	const char *args[] = {"rev-list", "--count", "--end-of-options", range, "--", NULL};
	struct sbuf out = SBUF_INIT;
	long n = mirror_git(mirror, args, &out) == 0 ? strtol(sbuf_str(&out), NULL, 10) : -1;
	sbuf_release(&out);
	free(range);
	return n;
}

bool git_is_ancestor(const char *mirror, const char *a, const char *b)
{
	const char *args[] = {"merge-base", "--is-ancestor", a, b, NULL};
	return valid_commit(a) && valid_commit(b) && mirror_git(mirror, args, NULL) == 0;
}

static json_t *split_nul(const struct sbuf *out)
{
	json_t *a = json_array();
	size_t i = 0;
	while (i < out->len) {
		const char *s = out->buf + i;
		size_t n = strlen(s);
		if (n)
			json_array_append_new(a, json_stringn(s, n));
		i += n + 1;
	}
	return a;
}

json_t *git_tree_files(const char *mirror, const char *commit)
{
	const char *args[] = {"ls-tree", "-r", "-z", "--name-only", "--full-tree", commit, NULL};
	struct sbuf out = SBUF_INIT;
	json_t *a = valid_commit(commit) && mirror_git(mirror, args, &out) == 0 ? split_nul(&out) : NULL;
	sbuf_release(&out);
	return a;
}

json_t *git_changed_files(const char *mirror, const char *from, const char *to)
{
	const char *args[] = {"diff", "--name-only", "-z", "--no-renames", from, to, "--", NULL};
	struct sbuf out = SBUF_INIT;
	json_t *a = valid_commit(from) && valid_commit(to) && mirror_git(mirror, args, &out) == 0
			    ? split_nul(&out) : NULL;
	sbuf_release(&out);
	return a;
}

int git_archive(const char *mirror, const char *commit, const char *prefix, struct sbuf *out,
		struct berr *err)
{
	if (!valid_commit(commit))
		return berr_set(err, BE_INTERNAL_ERROR, NULL, "not a commit id: %s", commit);
	char *gd = xasprintf("--git-dir=%s", mirror);
	char *pfx = xasprintf("--prefix=%s", prefix);
	const char *args[] = {gd, "archive", "--format=tar.gz", pfx, commit, NULL};
	struct sbuf eo = SBUF_INIT;
	int code = run_git(NULL, args, NULL, 0, out, &eo, NET_TIMEOUT_MS, err);
	int rc = 0;
	if (code != 0) {
		char line[320];
		last_line(sbuf_str(&eo), line, sizeof line);
		rc = code < 0 ? -1 : berr_set(err, BE_INTERNAL_ERROR, NULL, "git archive: %s", line);
	}
	sbuf_release(&eo);
	free(pfx);
	free(gd);
	return rc;
}

int git_merge(const char *mirror, const char *target_commit, const char *source_commit,
	      const char *message, const char *author_name, const char *author_email,
	      char **result_commit, json_t **conflicts, struct berr *err)
{
	*result_commit = NULL;
	*conflicts = NULL;
	if (git_is_ancestor(mirror, source_commit, target_commit))
		return 0; /* already merged */
	if (git_is_ancestor(mirror, target_commit, source_commit)) {
		*result_commit = xstrdup(source_commit); /* fast-forward */
		return 0;
	}
	char *gd = xasprintf("--git-dir=%s", mirror);
	const char *mt[] = {gd, "merge-tree", "--write-tree", "-z", "--name-only", "--no-messages",
			    target_commit, source_commit, NULL};
	struct sbuf out = SBUF_INIT, eo = SBUF_INIT;
	int code = run_git(NULL, mt, NULL, 0, &out, &eo, LOCAL_TIMEOUT_MS, err);
	int rc = 0;
	if (code == 1) {
		json_t *all = split_nul(&out);
		json_t *files = json_array();
		size_t i;
		json_t *v;
		json_array_foreach(all, i, v) {
			if (i == 0)
				continue; /* the tree */
			bool dup = false;
			size_t k;
			json_t *w;
			json_array_foreach(files, k, w)
				dup = dup || json_equal(v, w);
			if (!dup)
				json_array_append(files, v);
		}
		json_decref(all);
		*conflicts = files;
		rc = 1;
	} else if (code != 0) {
		char line[320];
		last_line(sbuf_str(&eo), line, sizeof line);
		rc = code < 0 ? -1 : berr_set(err, BE_INTERNAL_ERROR, NULL, "git merge-tree: %s", line);
	} else {
		char tree[41];
		snprintf(tree, sizeof tree, "%.40s", sbuf_str(&out));
		/* the author: the user who asked for the merge */
		char *nm = xasprintf("user.name=%s", author_name);
		char *em = xasprintf("user.email=%s", author_email);
		const char *ct2[] = {"-c", nm, "-c", em, gd, "commit-tree", tree, "-p", target_commit,
				     "-p", source_commit, "-m", message, NULL};
		sbuf_reset(&out);
		sbuf_reset(&eo);
		code = run_git(NULL, ct2, NULL, 0, &out, &eo, LOCAL_TIMEOUT_MS, err);
		chomp(&out);
		if (code == 0 && out.len == 40) {
			*result_commit = sbuf_detach(&out);
		} else {
			char line[320];
			last_line(sbuf_str(&eo), line, sizeof line);
			rc = code < 0 ? -1 : berr_set(err, BE_INTERNAL_ERROR, NULL, "git commit-tree: %s",
						      line);
		}
		free(nm);
		free(em);
	}
	sbuf_release(&out);
	sbuf_release(&eo);
	free(gd);
	return rc;
}

/* ---- deploy keys ---- */

static char *tmpdir_make(void)
{
	char *t = xasprintf("%s/tmp/key-XXXXXX", data_dir[0] ? data_dir : "/tmp");
	char *parent = xasprintf("%s/tmp", data_dir[0] ? data_dir : "/tmp");
	mkdirs(parent, 0700);
	free(parent);
	if (!mkdtemp(t)) {
		free(t);
		return NULL;
	}
	return t;
}

static void tmpdir_drop(char *dir)
{
	if (!dir)
		return;
	char *a = xasprintf("%s/key", dir), *b = xasprintf("%s/key.pub", dir);
	unlink(a);
	unlink(b);
	rmdir(dir);
	free(a);
	free(b);
	free(dir);
}

int git_keygen(const char *comment, char **private_key, char **public_key, struct berr *err)
{
	*private_key = *public_key = NULL;
	char *dir = tmpdir_make();
	if (!dir)
		return berr_set(err, BE_INTERNAL_ERROR, NULL, "cannot make a temporary directory");
	char *path = xasprintf("%s/key", dir);
	const char *argv[] = {"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", path,
			      NULL};
	struct sbuf eo = SBUF_INIT;
	struct proc p = {.argv = argv, .err = &eo, .timeout_ms = 30000};
	int rc = proc_run(&p);
	if (rc == 0 && p.exit_code == 0) {
		char *pub = xasprintf("%s.pub", path);
		*private_key = read_file(path, NULL);
		*public_key = read_file(pub, NULL);
		free(pub);
	}
	if (!*private_key || !*public_key) {
		free(*private_key);
		free(*public_key);
		*private_key = *public_key = NULL;
		rc = berr_set(err, BE_INTERNAL_ERROR, NULL, "ssh-keygen failed: %.200s", sbuf_str(&eo));
	} else {
		size_t n = strlen(*public_key);
		while (n && ((*public_key)[n - 1] == '\n'))
			(*public_key)[--n] = '\0';
		rc = 0;
	}
	sbuf_release(&eo);
	free(path);
	tmpdir_drop(dir);
	return rc;
}

char *git_public_key(const char *private_key, struct berr *err)
{
	if (!str_starts(private_key, "-----BEGIN ") || !strstr(private_key, "PRIVATE KEY-----")) {
		berr_set(err, BE_VALIDATION_ERROR, "deploy_key",
			 "deploy_key: must be an OpenSSH private key (-----BEGIN ... PRIVATE KEY-----),"
			 " or \"generate\"");
		return NULL;
	}
	char *dir = tmpdir_make();
	if (!dir) {
		berr_set(err, BE_INTERNAL_ERROR, NULL, "cannot make a temporary directory");
		return NULL;
	}
	char *path = xasprintf("%s/key", dir);
	size_t len = strlen(private_key);
	char *data = xasprintf("%s%s", private_key, len && private_key[len - 1] == '\n' ? "" : "\n");
	write_file_atomic(path, data, strlen(data), 0600);
	sodium_memzero(data, strlen(data));
	free(data);
	/* -P "" makes a passphrase-protected key fail instead of prompting */
	const char *argv[] = {"ssh-keygen", "-y", "-P", "", "-f", path, NULL};
	struct sbuf out = SBUF_INIT;
	struct proc p = {.argv = argv, .out = &out, .timeout_ms = 30000};
	char *pub = NULL;
	if (proc_run(&p) == 0 && p.exit_code == 0 && str_starts(sbuf_str(&out), "ssh-")) {
		chomp(&out);
		pub = sbuf_detach(&out);
	} else {
		berr_set(err, BE_VALIDATION_ERROR, "deploy_key",
			 "deploy_key: not a usable OpenSSH private key (a key with a passphrase is"
			 " not supported)");
	}
	sbuf_release(&out);
	free(path);
	tmpdir_drop(dir);
	return pub;
}
