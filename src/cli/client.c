/* client.c: HTTP calls to berthd over libcurl (one handle per run, so connections are kept
 * alive), error mapping to exit codes, Server-Sent Events, and the config file. */
#include "cli/client.h"

#include <curl/curl.h>
#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/out.h"
#include "lib/util.h"

#define MAX_ANSWER (64u * 1024 * 1024) /* a capped buffer for anything berthd sends */

struct cli_http {
	CURL *h;
	char errbuf[CURL_ERROR_SIZE];
};

void cli_http_init(struct cli *c)
{
	c->http = xcalloc(1, sizeof *c->http);
	c->http->h = curl_easy_init();
	if (!c->http->h) {
		fprintf(stderr, "berth: error: cannot initialise libcurl\n");
		exit(EX_UNREACHABLE);
	}
}

void cli_http_release(struct cli *c)
{
	if (!c->http)
		return;
	curl_easy_cleanup(c->http->h);
	free(c->http);
	c->http = NULL;
}

char *url_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	struct sbuf sb = SBUF_INIT;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    *p == '-' || *p == '_' || *p == '.' || *p == '~') {
			sbuf_addc(&sb, (char)*p);
		} else {
			sbuf_addc(&sb, '%');
			sbuf_addc(&sb, hex[*p >> 4]);
			sbuf_addc(&sb, hex[*p & 15]);
		}
	}
	sbuf_str(&sb);
	return sbuf_detach(&sb);
}

struct capture {
	struct sbuf body;
	bool too_big;
	FILE *sink;       /* api_get_file: a 200 answer goes there, not into body */
	struct cli *c;
	bool write_failed;
};

static size_t on_data(char *p, size_t size, size_t n, void *cls)
{
	struct capture *cap = cls;
	size_t len = size * n;
	if (cap->sink) {
		long st = 0;
		curl_easy_getinfo(cap->c->http->h, CURLINFO_RESPONSE_CODE, &st);
		if (st == 200) {
			if (fwrite(p, 1, len, cap->sink) != len) {
				cap->write_failed = true;
				return 0;
			}
			return len;
		}
	}
	if (cap->body.len + len > MAX_ANSWER) {
		cap->too_big = true;
		return 0;
	}
	sbuf_add(&cap->body, p, len);
	return len;
}

static void clear_err(struct cli *c)
{
	c->status = 0;
	c->err_code[0] = c->err_message[0] = c->err_field[0] = '\0';
	c->err_local = false;
	c->err_exit = EX_OK;
}

/* A failure found on this side (no answer, or not berthd's JSON). */
static int local_error(struct cli *c, int ex, unsigned flags, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int local_error(struct cli *c, int ex, unsigned flags, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->err_message, sizeof c->err_message, fmt, ap);
	va_end(ap);
	c->err_local = true;
	c->err_exit = ex;
	if (!(flags & API_QUIET))
		api_report(c);
	return ex;
}

/* Maps an HTTP status to an exit code. */
static int exit_for_status(long status)
{
	if (status == 401)
		return EX_AUTH;
	if (status >= 500)
		return EX_UNREACHABLE;
	return EX_API;
}

int api_report(struct cli *c)
{
	if (c->err_local) {
		sanitize(c->err_message);
		fprintf(stderr, "berth: error: %s\n", c->err_message);
		if (c->err_exit == EX_UNREACHABLE && c->status == 0)
			fprintf(stderr, "berth: is berthd running there? Set its address with --url or"
					" BERTH_URL\n");
		if (c->err_exit == EX_AUTH)
			fprintf(stderr, "berth: log in with 'berth login' (or set BERTH_TOKEN)\n");
		return c->err_exit;
	}
	if (c->err_field[0])
		fprintf(stderr, "berth: error: %s: %s (field: %s)\n", c->err_code, c->err_message,
			c->err_field);
	else
		fprintf(stderr, "berth: error: %s: %s\n", c->err_code, c->err_message);
	if (c->status == 401 && strcmp(c->err_code, "INVALID_CREDENTIALS") != 0)
		fprintf(stderr, "berth: log in again with 'berth login'%s\n",
			c->token_from_env ? " (or check BERTH_TOKEN)" : "");
	return c->err_exit;
}

/* Fills c->err_* from an error answer {"error":{code,message,field}}. */
static void take_error(struct cli *c, json_t *ans)
{
	json_t *e = json_object_get(ans, "error");
	const char *code = json_string_value(json_object_get(e, "code"));
	const char *msg = json_string_value(json_object_get(e, "message"));
	const char *field = json_string_value(json_object_get(e, "field"));
	snprintf(c->err_code, sizeof c->err_code, "%s", code ? code : "HTTP_ERROR");
	if (msg)
		snprintf(c->err_message, sizeof c->err_message, "%s", msg);
	else
		snprintf(c->err_message, sizeof c->err_message, "berthd answered HTTP %ld", c->status);
	snprintf(c->err_field, sizeof c->err_field, "%s", field ? field : "");
	sanitize(c->err_code);
	sanitize(c->err_message);
	sanitize(c->err_field);
	c->err_exit = exit_for_status(c->status);
}

/* Sets up the handle for one request; returns the header list to free. */
static struct curl_slist *prepare(struct cli *c, const char *method, const char *path,
				  const char *body, unsigned flags, char **urlp)
{
	CURL *h = c->http->h;
	curl_easy_reset(h);
	*urlp = xasprintf("%s%s", c->url, path);
	curl_easy_setopt(h, CURLOPT_URL, *urlp);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->http->errbuf);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "berth/" BERTH_VERSION);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	c->http->errbuf[0] = '\0';
	struct curl_slist *hdr = NULL;
	hdr = curl_slist_append(hdr, "Accept: application/json");
	hdr = curl_slist_append(hdr, "Expect:");
	if (body) {
		hdr = curl_slist_append(hdr, "Content-Type: application/json");
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	} else if (strcmp(method, "GET") != 0) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L);
	}
	if (!(flags & API_NOAUTH) && c->token) {
		char *auth = xasprintf("Authorization: Bearer %s", c->token);
		hdr = curl_slist_append(hdr, auth);
		explicit_bzero(auth, strlen(auth));
		free(auth);
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	return hdr;
}

static void free_headers(struct curl_slist *hdr)
{
	for (struct curl_slist *s = hdr; s; s = s->next)
		if (strncmp(s->data, "Authorization:", 14) == 0)
			explicit_bzero(s->data, strlen(s->data));
	curl_slist_free_all(hdr);
}

static int transport_error(struct cli *c, CURLcode rc, unsigned flags)
{
	return local_error(c, EX_UNREACHABLE, flags, "cannot reach berthd at %s: %s", c->url,
			   c->http->errbuf[0] ? c->http->errbuf : curl_easy_strerror(rc));
}

/* One request; the raw answer in cap. Returns EX_OK when an HTTP answer came. */
static int perform(struct cli *c, const char *method, const char *path, const char *body,
		   unsigned flags, struct capture *cap)
{
	if (!(flags & API_NOAUTH) && !c->token)
		return local_error(c, EX_AUTH, flags, "not logged in to %s", c->url);
	char *url;
	struct curl_slist *hdr = prepare(c, method, path, body, flags, &url);
	curl_easy_setopt(c->http->h, CURLOPT_TIMEOUT, 600L);
	curl_easy_setopt(c->http->h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c->http->h, CURLOPT_WRITEDATA, cap);
	CURLcode rc = curl_easy_perform(c->http->h);
	free_headers(hdr);
	int ex = EX_OK;
	if (rc != CURLE_OK) {
		if (cap->too_big)
			ex = local_error(c, EX_UNREACHABLE, flags, "the answer from %s is larger than %u MB",
					 c->url, MAX_ANSWER >> 20);
		else
			ex = transport_error(c, rc, flags);
	} else {
		curl_easy_getinfo(c->http->h, CURLINFO_RESPONSE_CODE, &c->status);
	}
	free(url);
	return ex;
}

int api_call(struct cli *c, const char *method, const char *path, json_t *body, json_t **out,
	     unsigned flags)
{
	if (out)
		*out = NULL;
	clear_err(c);
	char *raw = body ? json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	struct capture cap = {SBUF_INIT, false, NULL, NULL, false};
	int ex = perform(c, method, path, raw, flags, &cap);
	if (raw) {
		explicit_bzero(raw, strlen(raw)); /* may hold a password */
		free(raw);
	}
	if (ex != EX_OK) {
		sbuf_release(&cap.body);
		return ex;
	}
	json_t *ans = NULL;
	if (cap.body.len) {
		json_error_t je;
		ans = json_loadb(cap.body.buf, cap.body.len, JSON_DECODE_ANY, &je);
	}
	sbuf_release(&cap.body);
	if (c->status >= 200 && c->status < 300 && (ans || c->status == 204)) {
		if (out)
			*out = ans;
		else
			json_decref(ans);
		return EX_OK;
	}
	if (!json_is_object(json_object_get(ans, "error"))) {
		json_decref(ans);
		return local_error(c, c->status == 401 ? EX_AUTH : EX_UNREACHABLE, flags,
				   "unexpected answer from %s (HTTP %ld, not berthd's JSON): is it berthd?",
				   c->url, c->status);
	}
	take_error(c, ans);
	json_decref(ans);
	if (!(flags & API_QUIET))
		api_report(c);
	return c->err_exit;
}

int api_get(struct cli *c, const char *path, json_t **out)
{
	return api_call(c, "GET", path, NULL, out, 0);
}

int api_get_text(struct cli *c, const char *path, char **out)
{
	*out = NULL;
	clear_err(c);
	struct capture cap = {SBUF_INIT, false, NULL, NULL, false};
	int ex = perform(c, "GET", path, NULL, 0, &cap);
	if (ex != EX_OK) {
		sbuf_release(&cap.body);
		return ex;
	}
	if (c->status == 200) {
		sbuf_str(&cap.body);
		*out = sbuf_detach(&cap.body);
		return EX_OK;
	}
	json_t *ans = json_loadb(cap.body.buf ? cap.body.buf : "", cap.body.len, 0, NULL);
	sbuf_release(&cap.body);
	take_error(c, ans);
	json_decref(ans);
	return api_report(c);
}

int api_get_file(struct cli *c, const char *path, FILE *f)
{
	clear_err(c);
	struct capture cap = {SBUF_INIT, false, f, c, false};
	int ex = perform(c, "GET", path, NULL, 0, &cap);
	if (cap.write_failed) {
		sbuf_release(&cap.body);
		return local_error(c, EX_USAGE, 0, "cannot write the answer to its file");
	}
	if (ex != EX_OK || c->status == 200) {
		sbuf_release(&cap.body);
		return ex;
	}
	json_t *ans = json_loadb(cap.body.buf ? cap.body.buf : "", cap.body.len, 0, NULL);
	sbuf_release(&cap.body);
	take_error(c, ans);
	json_decref(ans);
	return api_report(c);
}

bool api_no_route(const struct cli *c)
{
	return c->status == 404 && strcmp(c->err_code, "NOT_FOUND") == 0 &&
	       strncmp(c->err_message, "No route", 8) == 0;
}

/* ---- Server-Sent Events ---- */

struct sse {
	struct cli *c;
	bool (*on_event)(const char *event, const char *data, void *ctx);
	void *ctx;
	struct sbuf line, event, data, errbody;
	long long last_id;
	bool stopped, checked, ok, any;
};

static void sse_dispatch(struct sse *s)
{
	if (s->data.len || s->event.len) {
		if (s->data.len && s->data.buf[s->data.len - 1] == '\n')
			s->data.buf[--s->data.len] = '\0';
		if (!s->on_event(s->event.len ? sbuf_str(&s->event) : "message", sbuf_str(&s->data),
				 s->ctx))
			s->stopped = true;
	}
	sbuf_reset(&s->event);
	sbuf_reset(&s->data);
}

static void sse_line(struct sse *s, const char *l)
{
	if (!*l) {
		sse_dispatch(s);
		return;
	}
	if (*l == ':')
		return; /* keepalive comment */
	const char *colon = strchr(l, ':');
	size_t flen = colon ? (size_t)(colon - l) : strlen(l);
	const char *v = colon ? colon + 1 : "";
	if (*v == ' ')
		v++;
	if (flen == 5 && strncmp(l, "event", 5) == 0) {
		sbuf_reset(&s->event);
		sbuf_adds(&s->event, v);
	} else if (flen == 4 && strncmp(l, "data", 4) == 0) {
		sbuf_adds(&s->data, v);
		sbuf_addc(&s->data, '\n');
	} else if (flen == 2 && strncmp(l, "id", 2) == 0) {
		s->last_id = atoll(v);
	}
}

static size_t on_sse(char *p, size_t size, size_t n, void *cls)
{
	struct sse *s = cls;
	size_t len = size * n;
	if (!s->checked) {
		curl_easy_getinfo(s->c->http->h, CURLINFO_RESPONSE_CODE, &s->c->status);
		s->checked = true;
		s->ok = s->c->status == 200;
	}
	if (!s->ok) {
		if (s->errbody.len + len > 1024 * 1024)
			return 0;
		sbuf_add(&s->errbody, p, len);
		return len;
	}
	s->any = true;
	for (size_t i = 0; i < len && !s->stopped; i++) {
		if (p[i] == '\n') {
			size_t l = s->line.len;
			if (l && s->line.buf[l - 1] == '\r')
				s->line.buf[--s->line.len] = '\0';
			sse_line(s, sbuf_str(&s->line));
			sbuf_reset(&s->line);
		} else if (s->line.len < 1024 * 1024) {
			sbuf_addc(&s->line, p[i]);
		}
	}
	return s->stopped ? 0 : len;
}

int api_stream(struct cli *c, const char *path,
	       bool (*on_event)(const char *event, const char *data, void *ctx), void *ctx)
{
	struct sse s = {.c = c, .on_event = on_event, .ctx = ctx};
	int ex = EX_OK;
	for (int attempt = 0; attempt < 20 && !s.stopped; attempt++) {
		clear_err(c);
		if (!c->token)
			return local_error(c, EX_AUTH, 0, "not logged in to %s", c->url);
		char *full = s.last_id ? xasprintf("%s%safter=%lld", path, strchr(path, '?') ? "&" : "?",
						   s.last_id)
				       : xstrdup(path);
		char *url;
		struct curl_slist *hdr = prepare(c, "GET", full, NULL, 0, &url);
		free(full);
		hdr = curl_slist_append(hdr, "Accept: text/event-stream");
		curl_easy_setopt(c->http->h, CURLOPT_HTTPHEADER, hdr);
		curl_easy_setopt(c->http->h, CURLOPT_WRITEFUNCTION, on_sse);
		curl_easy_setopt(c->http->h, CURLOPT_WRITEDATA, &s);
		/* berthd sends a comment every 15 s: a minute of silence is a dead connection */
		curl_easy_setopt(c->http->h, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(c->http->h, CURLOPT_LOW_SPEED_TIME, 60L);
		s.checked = s.ok = false;
		CURLcode rc = curl_easy_perform(c->http->h);
		free_headers(hdr);
		if (s.stopped) {
			free(url);
			break;
		}
		if (s.checked && !s.ok) {
			json_t *ans = json_loadb(s.errbody.buf ? s.errbody.buf : "", s.errbody.len, 0, NULL);
			take_error(c, ans);
			json_decref(ans);
			ex = api_report(c);
			free(url);
			break;
		}
		if (rc != CURLE_OK && (attempt >= 19 || !s.any)) {
			ex = transport_error(c, rc, 0);
			free(url);
			break;
		}
		free(url);
		sbuf_reset(&s.line);
		sleep(1); /* the stream ended early: resume after the last event */
	}
	sbuf_release(&s.line);
	sbuf_release(&s.event);
	sbuf_release(&s.data);
	sbuf_release(&s.errbody);
	return ex;
}

/* ---- the config file ---- */

static char *config_path(void)
{
	const char *p = getenv("BERTH_CONFIG");
	if (p && *p)
		return xstrdup(p);
	const char *xdg = getenv("XDG_CONFIG_HOME");
	if (xdg && xdg[0] == '/')
		return xasprintf("%s/berth/config.json", xdg);
	const char *home = getenv("HOME");
	if (!home || !*home) {
		struct passwd *pw = getpwuid(getuid());
		home = pw ? pw->pw_dir : "/";
	}
	return xasprintf("%s/.config/berth/config.json", home);
}

void config_load(struct cli *c)
{
	c->cfg_path = config_path();
	size_t len;
	char *s = read_file(c->cfg_path, &len);
	c->cfg = NULL;
	if (s) {
		json_error_t je;
		c->cfg = json_loadb(s, len, 0, &je);
		if (!json_is_object(c->cfg)) {
			cli_warn("ignoring %s: not a JSON object", c->cfg_path);
			json_decref(c->cfg);
			c->cfg = NULL;
		}
		explicit_bzero(s, len);
		free(s);
		struct stat st;
		if (c->cfg && json_object_get(c->cfg, "token") && stat(c->cfg_path, &st) == 0 &&
		    (st.st_mode & 077))
			cli_warn("%s holds a token and is readable by others: chmod 600 it", c->cfg_path);
	}
	if (!c->cfg)
		c->cfg = json_object();
}

const char *config_get(struct cli *c, const char *key)
{
	return json_string_value(json_object_get(c->cfg, key));
}

void config_set(struct cli *c, const char *key, const char *value)
{
	if (value)
		json_object_set_new(c->cfg, key, json_string(value));
	else
		json_object_del(c->cfg, key);
}

/* mkdir -p for the directories above path, mode 0700 for the ones made. */
static int make_parents(const char *path)
{
	char *d = xstrdup(path);
	for (char *p = d + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(d, 0700) < 0 && errno != EEXIST) {
			free(d);
			return -1;
		}
		*p = '/';
	}
	free(d);
	return 0;
}

int config_save(struct cli *c)
{
	char *s = json_dumps(c->cfg, JSON_INDENT(2));
	size_t n = strlen(s);
	s = xrealloc(s, n + 2);
	s[n] = '\n';
	s[n + 1] = '\0';
	int rc = make_parents(c->cfg_path);
	if (rc == 0)
		rc = write_file_atomic(c->cfg_path, s, n + 1, 0600);
	if (rc == 0)
		rc = chmod(c->cfg_path, 0600); /* an older file may have had wider permissions */
	explicit_bzero(s, n);
	free(s);
	if (rc < 0)
		return cli_fail(EX_USAGE, "cannot write %s: %s", c->cfg_path, strerror(errno));
	return EX_OK;
}

static char *trim_url(const char *u)
{
	char *s = xstrdup(u);
	size_t n = strlen(s);
	while (n && s[n - 1] == '/')
		s[--n] = '\0';
	return s;
}

void cli_resolve_endpoint(struct cli *c)
{
	const char *u = c->url_opt;
	if (!u || !*u)
		u = getenv("BERTH_URL");
	if (!u || !*u)
		u = config_get(c, "url");
	if (!u || !*u)
		u = BERTH_DEFAULT_URL;
	free(c->url);
	c->url = trim_url(u);
	if (c->token) {
		explicit_bzero(c->token, strlen(c->token));
		free(c->token);
	}
	c->token = NULL;
	c->token_from_env = false;
	const char *t = getenv("BERTH_TOKEN");
	if (t && *t) {
		c->token = xstrdup(t);
		c->token_from_env = true;
	} else if ((t = config_get(c, "token")) && *t) {
		/* a stored session belongs to the server it was made on */
		const char *cu = config_get(c, "url");
		char *stored = trim_url(cu && *cu ? cu : BERTH_DEFAULT_URL);
		if (strcmp(stored, c->url) == 0)
			c->token = xstrdup(t);
		free(stored);
	}
}

/* ---- uploads and downloads of files (backups): streamed, with progress ---- */

struct xfer {
	struct cli *c;
	FILE *f;
	long long from, offset; /* download: the range asked, what the answer starts at */
	bool checked, ok, *restarted, write_failed;
	void (*on_bytes)(void *ctx, const void *p, size_t n);
	xfer_progress_fn progress;
	void *ctx;
	struct sbuf err; /* an error answer's body */
	bool upload;
};

static size_t on_xfer_data(char *p, size_t size, size_t n, void *cls)
{
	struct xfer *x = cls;
	size_t len = size * n;
	if (!x->checked) {
		long st = 0;
		curl_easy_getinfo(x->c->http->h, CURLINFO_RESPONSE_CODE, &st);
		x->checked = true;
		x->ok = !x->upload && (st == 200 || st == 206);
		if (x->ok && x->from > 0 && st == 200) { /* the whole archive after all: start over */
			if (fflush(x->f) != 0 || fseeko(x->f, 0, SEEK_SET) != 0 ||
			    ftruncate(fileno(x->f), 0) != 0) {
				x->write_failed = true;
				return 0;
			}
			x->offset = 0;
			if (x->restarted)
				*x->restarted = true;
		}
	}
	if (!x->ok) {
		if (x->err.len + len > 1024 * 1024)
			return 0;
		sbuf_add(&x->err, p, len);
		return len;
	}
	if (fwrite(p, 1, len, x->f) != len) {
		x->write_failed = true;
		return 0;
	}
	if (x->on_bytes)
		x->on_bytes(x->ctx, p, len);
	return len;
}

static size_t on_xfer_read(char *buf, size_t size, size_t n, void *cls)
{
	struct xfer *x = cls;
	size_t got = fread(buf, 1, size * n, x->f);
	if (got == 0 && ferror(x->f))
		return CURL_READFUNC_ABORT;
	return got;
}

static int on_xfer_progress(void *cls, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
			    curl_off_t ulnow)
{
	struct xfer *x = cls;
	if (!x->progress)
		return 0;
	if (x->upload)
		x->progress(x->ctx, (long long)ulnow, (long long)ultotal);
	else if (x->ok)
		x->progress(x->ctx, x->offset + (long long)dlnow,
			    dltotal ? x->offset + (long long)dltotal : 0);
	return 0;
}

/* Runs a prepared transfer; maps the answer like api_call. */
static int xfer_run(struct cli *c, struct curl_slist *hdr, char *url, struct xfer *x, json_t **out)
{
	CURL *h = c->http->h;
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 0L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 120L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_xfer_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_xfer_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, x);
	CURLcode rc = curl_easy_perform(h);
	free_headers(hdr);
	free(url);
	c->status = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &c->status);
	int ex = EX_OK;
	if (x->write_failed) {
		ex = local_error(c, EX_USAGE, 0, "cannot write the download to its file");
	} else if (rc != CURLE_OK && !(c->status >= 400 && x->err.len)) {
		/* an error answer may come while the upload is still being sent: it wins */
		ex = transport_error(c, rc, 0);
	} else if (!x->upload && (x->ok || (!x->checked && (c->status == 200 || c->status == 206)))) {
		ex = EX_OK;
	} else {
		json_t *ans = x->err.len ? json_loadb(x->err.buf, x->err.len, JSON_DECODE_ANY, NULL) : NULL;
		if (c->status >= 200 && c->status < 300 && x->upload && ans) {
			if (out)
				*out = ans;
			else
				json_decref(ans);
		} else if (!json_is_object(json_object_get(ans, "error"))) {
			json_decref(ans);
			ex = local_error(c, c->status == 401 ? EX_AUTH : EX_UNREACHABLE, 0,
					 "unexpected answer from %s (HTTP %ld, not berthd's JSON): is it berthd?",
					 c->url, c->status);
		} else {
			take_error(c, ans);
			json_decref(ans);
			ex = api_report(c);
		}
	}
	sbuf_release(&x->err);
	return ex;
}

int api_upload(struct cli *c, const char *path, FILE *f, long long size, const char *content_type,
	       json_t **out, xfer_progress_fn progress, void *ctx)
{
	if (out)
		*out = NULL;
	clear_err(c);
	if (!c->token)
		return local_error(c, EX_AUTH, 0, "not logged in to %s", c->url);
	char *url;
	struct curl_slist *hdr = prepare(c, "POST", path, NULL, 0, &url);
	CURL *h = c->http->h;
	char *ct = xasprintf("Content-Type: %s", content_type);
	hdr = curl_slist_append(hdr, ct);
	free(ct);
	struct xfer x = {.c = c, .f = f, .upload = true, .progress = progress, .ctx = ctx,
			 .err = SBUF_INIT};
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, NULL);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, NULL);
	curl_easy_setopt(h, CURLOPT_POST, 1L);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, on_xfer_read);
	curl_easy_setopt(h, CURLOPT_READDATA, &x);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)size);
	return xfer_run(c, hdr, url, &x, out);
}

int api_download(struct cli *c, const char *path, FILE *f, long long from,
		 void (*on_bytes)(void *ctx, const void *p, size_t n), bool *restarted,
		 xfer_progress_fn progress, void *ctx)
{
	clear_err(c);
	if (restarted)
		*restarted = false;
	if (!c->token)
		return local_error(c, EX_AUTH, 0, "not logged in to %s", c->url);
	char *url;
	struct curl_slist *hdr = prepare(c, "GET", path, NULL, 0, &url);
	if (from > 0) {
		char *range = xasprintf("Range: bytes=%lld-", from);
		hdr = curl_slist_append(hdr, range);
		free(range);
	}
	struct xfer x = {.c = c, .f = f, .from = from, .offset = from, .restarted = restarted,
			 .on_bytes = on_bytes, .progress = progress, .ctx = ctx, .err = SBUF_INIT};
	return xfer_run(c, hdr, url, &x, NULL);
}
