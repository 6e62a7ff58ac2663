/* blob.c: backup archives on a local directory, over SFTP or in an S3-compatible bucket (see
 * blob.h). Local and SFTP write "<key>.part" then rename it; S3 uploads 8 MiB parts of a
 * multipart upload and completes it (one PUT when the object fits in one part). Reads stream:
 * SFTP keeps a few asynchronous read requests in flight, S3 drives one ranged GET with
 * libcurl's multi interface and holds no more than what one turn of it delivers. Hosts of
 * SFTP and S3 targets are resolved and checked against the server-side request forgery rule
 * of drivers/http_out.h, and the connection goes to the checked address. */
#include "drivers/blob.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libssh/libssh.h>
#include <libssh/sftp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "drivers/http_out.h"
#include "drivers/sshconn.h"
#include "lib/util.h"

#define S3_PART (8u << 20)       /* bytes buffered per S3 part */
#define S3_MAX_PARTS 10000
#define SFTP_CHUNK (64u << 10)   /* bytes per SFTP write request */
#define SFTP_READ_CHUNK (32u << 10)
#define SFTP_READ_DEPTH 16       /* asynchronous read requests in flight */
#define ALLOW_OPTION "--backup-allow-private"

enum kind { K_LOCAL, K_SFTP, K_S3 };

static int kind_of(const struct blob_target *t, struct berr *err)
{
	if (t && str_eq(t->kind, "local") && t->dir && t->dir[0])
		return K_LOCAL;
	if (t && str_eq(t->kind, "sftp") && t->host && t->user)
		return K_SFTP;
	if (t && str_eq(t->kind, "s3") && t->endpoint && t->bucket && t->region)
		return K_S3;
	return berr_set(err, BE_VALIDATION_ERROR, "kind", "kind: an incomplete backup target");
}

bool blob_key_valid(const char *key)
{
	size_t n = key ? strlen(key) : 0;
	if (n == 0 || n > 1024 || key[0] == '/' || key[n - 1] == '/')
		return false;
	size_t seg = 0;
	for (size_t i = 0; i <= n; i++) {
		char c = key[i];
		if (c == '/' || c == '\0') {
			const char *s = key + i - seg;
			if (seg == 0 || seg > 255 || (seg == 1 && s[0] == '.') ||
			    (seg == 2 && s[0] == '.' && s[1] == '.'))
				return false;
			seg = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
		seg++;
	}
	return true;
}

static int check_key(const char *key, struct berr *err)
{
	if (!blob_key_valid(key))
		return berr_set(err, BE_VALIDATION_ERROR, "key",
				"key: letters, digits, '.', '_', '-' and '/' between segments, no '..'");
	return 0;
}

/* ======================================================================== local */

static int mkdir_p(const char *dir, struct berr *err)
{
	char *p = xstrdup(dir);
	int rc = 0;
	for (char *s = p + 1;; s++) {
		if (*s == '/' || *s == '\0') {
			char saved = *s;
			*s = '\0';
			if (mkdir(p, 0700) < 0 && errno != EEXIST) {
				rc = berr_set(err, BE_INTERNAL_ERROR, NULL, "cannot create %s: %s", p,
					      strerror(errno));
				break;
			}
			*s = saved;
			if (!saved)
				break;
		}
	}
	free(p);
	return rc;
}

/* Opens the directory that holds key's object under root (making what is missing when
 * create), never following a symbolic link below root; *base is the key's last segment. */
static int local_dir(const char *root, const char *key, bool create, const char **base,
		     struct berr *err)
{
	if (create && mkdir_p(root, err) < 0)
		return -1;
	int dfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		if (errno == ENOENT)
			return berr_set(err, BE_NOT_FOUND, NULL, "no such object");
		return berr_set(err, BE_INTERNAL_ERROR, NULL, "cannot open %s: %s", root,
				strerror(errno));
	}
	const char *seg = key, *slash;
	while ((slash = strchr(seg, '/'))) {
		char name[256];
		snprintf(name, sizeof name, "%.*s", (int)(slash - seg), seg);
		if (create && mkdirat(dfd, name, 0700) < 0 && errno != EEXIST) {
			berr_set(err, BE_INTERNAL_ERROR, NULL, "cannot create a directory in %s: %s",
				 root, strerror(errno));
			close(dfd);
			return -1;
		}
		int nfd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		int e = errno;
		close(dfd);
		if (nfd < 0) {
			if (e == ENOENT)
				return berr_set(err, BE_NOT_FOUND, NULL, "no such object");
			return berr_set(err, BE_INTERNAL_ERROR, NULL, "cannot open a directory in %s: %s",
					root, strerror(e));
		}
		dfd = nfd;
		seg = slash + 1;
	}
	*base = seg;
	return dfd;
}

/* ======================================================================== SFTP */

struct sftp_conn {
	ssh_session ssh;
	sftp_session sftp;
};

static void sftp_conn_close(struct sftp_conn *c)
{
	if (c->sftp)
		sftp_free(c->sftp);
	if (c->ssh) {
		ssh_disconnect(c->ssh);
		ssh_free(c->ssh);
	}
	c->sftp = NULL;
	c->ssh = NULL;
}

static int sftp_connect(struct blob_target *t, struct sftp_conn *c, struct berr *err)
{
	memset(c, 0, sizeof *c);
	int port = t->port > 0 ? t->port : 22;
	char ports[16], pinned[46], why[256];
	bool refused = false;
	snprintf(ports, sizeof ports, "%d", port);
	if (http_out_resolve(t->host, ports, t->allow_private, ALLOW_OPTION, pinned, why, sizeof why,
			     &refused) < 0)
		return berr_set(err, refused ? BE_VALIDATION_ERROR : BE_SERVER_UNREACHABLE,
				refused ? "host" : NULL, "%s%s: %s", refused ? "host: " : "", t->host,
				why);
	t->seen_host_key[0] = '\0';
	struct berr e = {0};
	c->ssh = sshconn_open(pinned, port, t->user, t->private_key, t->password, t->known_host_key,
			      t->seen_host_key, t->timeout_s, &e);
	if (!c->ssh) {
		/* a changed host key or refused credentials: the target does not answer as pinned */
		if (e.code == BE_CONFLICT || e.code == BE_PERMISSION_DENIED)
			e.code = BE_SERVER_UNREACHABLE;
		*err = e;
		return -1;
	}
	/* each SFTP write waits for its answer: without TCP_NODELAY, Nagle's algorithm and
	 * delayed acknowledgements cost tens of milliseconds per write */
	int one = 1;
	socket_t fd = ssh_get_fd(c->ssh);
	if (fd != SSH_INVALID_SOCKET)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	c->sftp = sftp_new(c->ssh);
	if (!c->sftp || sftp_init(c->sftp) != SSH_OK) {
		berr_set(err, BE_SERVER_UNREACHABLE, NULL, "%s does not offer SFTP: %s", t->host,
			 ssh_get_error(c->ssh));
		sftp_conn_close(c);
		return -1;
	}
	return 0;
}

/* The remote path of key (path may be empty: the login directory). Caller frees. */
static char *sftp_path(const struct blob_target *t, const char *key)
{
	const char *base = t->path ? t->path : "";
	size_t n = strlen(base);
	while (n > 1 && base[n - 1] == '/')
		n--;
	if (n == 0)
		return xstrdup(key);
	if (n == 1 && base[0] == '/')
		return xasprintf("/%s", key);
	return xasprintf("%.*s/%s", (int)n, base, key);
}

static const char *sftp_why(struct sftp_conn *c)
{
	switch (sftp_get_error(c->sftp)) {
	case SSH_FX_NO_SUCH_FILE: return "no such file or directory";
	case SSH_FX_PERMISSION_DENIED: return "permission denied";
	case SSH_FX_FAILURE: return "failure (disk full, or it exists)";
	default: return ssh_get_error(c->ssh);
	}
}

/* mkdir -p of the directories above path (0700), those that are missing. */
static void sftp_mkdirs(struct sftp_conn *c, const char *path)
{
	char *p = xstrdup(path);
	char *last = strrchr(p, '/');
	if (!last || last == p) {
		free(p);
		return;
	}
	*last = '\0';
	sftp_attributes a = sftp_stat(c->sftp, p);
	if (a) {
		sftp_attributes_free(a);
		free(p);
		return;
	}
	for (char *s = p + 1;; s++) {
		if (*s == '/' || *s == '\0') {
			char saved = *s;
			*s = '\0';
			sftp_mkdir(c->sftp, p, 0700); /* an existing one fails: fine */
			*s = saved;
			if (!saved)
				break;
		}
	}
	free(p);
}

/* ======================================================================== S3 */

static void sha256_hex(const void *data, size_t n, char out[65])
{
	unsigned char h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(h, data, n);
	sodium_bin2hex(out, 65, h, sizeof h);
}

struct s3_ep {
	char *url_base; /* scheme://host[:port] (virtual host style: the bucket's host) */
	char *host;     /* to resolve, without brackets */
	char *port;
	char pinned[46];
};

static void s3_ep_free(struct s3_ep *e)
{
	free(e->url_base);
	free(e->host);
	free(e->port);
	memset(e, 0, sizeof *e);
}

/* Parses the endpoint and resolves its host (checked). 0 or -1 with err. */
static int s3_endpoint(const struct blob_target *t, struct s3_ep *e, struct berr *err)
{
	memset(e, 0, sizeof *e);
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL;
	int rc = -1;
	if (curl_url_set(u, CURLUPART_URL, t->endpoint, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK ||
	    (strcmp(scheme, "http") && strcmp(scheme, "https"))) {
		berr_set(err, BE_VALIDATION_ERROR, "endpoint", "endpoint: not an http(s) URL");
		goto out;
	}
	size_t hn = strlen(host);
	bool v6 = hn >= 2 && host[0] == '[';
	char *name = v6 ? xstrndup(host + 1, hn - 2) : xstrdup(host);
	if (!t->path_style) {
		char *vh = xasprintf("%s.%s", t->bucket, name);
		free(name);
		name = vh;
	}
	e->host = name;
	e->port = xstrdup(port);
	e->url_base = xasprintf("%s://%s%s%s:%s", scheme, v6 && t->path_style ? "[" : "", name,
				v6 && t->path_style ? "]" : "", port);
	char why[256];
	bool refused = false;
	if (http_out_resolve(e->host, e->port, t->allow_private, ALLOW_OPTION, e->pinned, why,
			     sizeof why, &refused) < 0) {
		berr_set(err, refused ? BE_VALIDATION_ERROR : BE_SERVER_UNREACHABLE,
			 refused ? "endpoint" : NULL, "%s%s: %s", refused ? "endpoint: " : "", e->host,
			 why);
		s3_ep_free(e);
		goto out;
	}
	rc = 0;
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return rc;
}

/* The object's path in the bucket: prefix/key (no leading '/'). Caller frees. */
static char *s3_object(const struct blob_target *t, const char *key)
{
	const char *p = t->prefix ? t->prefix : "";
	while (*p == '/')
		p++;
	size_t n = strlen(p);
	while (n && p[n - 1] == '/')
		n--;
	return n ? xasprintf("%.*s/%s", (int)n, p, key) : xstrdup(key);
}

static char *s3_url(const struct blob_target *t, const struct s3_ep *e, const char *key,
		    const char *query)
{
	char *obj = key ? s3_object(t, key) : xstrdup("");
	char *url = xasprintf("%s/%s%s%s%s%s", e->url_base, t->path_style ? t->bucket : "",
			      t->path_style ? "/" : "", obj, query ? "?" : "", query ? query : "");
	free(obj);
	return url;
}

struct s3_resp {
	long status;
	struct sbuf body;    /* the answer's body, at most 64 KiB (XML) */
	char etag[256];
	uint64_t length;     /* Content-Length */
	uint64_t total;      /* the size after '/' in Content-Range */
	bool has_length, has_total;
	char errbuf[CURL_ERROR_SIZE];
};

static bool header_is(const char *line, size_t n, const char *name, const char **value,
		      size_t *vlen)
{
	size_t k = strlen(name);
	if (n <= k || strncasecmp(line, name, k) != 0 || line[k] != ':')
		return false;
	const char *v = line + k + 1;
	const char *end = line + n;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
		end--;
	*value = v;
	*vlen = (size_t)(end - v);
	return true;
}

static void resp_header(struct s3_resp *r, const char *line, size_t n)
{
	const char *v;
	size_t vn;
	if (n > 5 && !strncmp(line, "HTTP/", 5)) {
		const char *sp = memchr(line, ' ', n);
		r->status = sp ? strtol(sp + 1, NULL, 10) : 0;
		r->has_length = r->has_total = false;
		r->etag[0] = '\0';
	} else if (header_is(line, n, "ETag", &v, &vn)) {
		snprintf(r->etag, sizeof r->etag, "%.*s", (int)vn, v);
	} else if (header_is(line, n, "Content-Length", &v, &vn)) {
		char tmp[32];
		snprintf(tmp, sizeof tmp, "%.*s", (int)vn, v);
		r->length = strtoull(tmp, NULL, 10);
		r->has_length = true;
	} else if (header_is(line, n, "Content-Range", &v, &vn)) {
		const char *slash = memchr(v, '/', vn);
		if (slash && slash + 1 < v + vn && slash[1] != '*') {
			char tmp[32];
			snprintf(tmp, sizeof tmp, "%.*s", (int)(v + vn - slash - 1), slash + 1);
			r->total = strtoull(tmp, NULL, 10);
			r->has_total = true;
		}
	}
}

static size_t on_header(char *p, size_t sz, size_t n, void *cls)
{
	resp_header(cls, p, sz * n);
	return sz * n;
}

static size_t on_body(char *p, size_t sz, size_t n, void *cls)
{
	struct s3_resp *r = cls;
	if (r->body.len < 64 * 1024)
		sbuf_add(&r->body, p, sz * n);
	return sz * n;
}

/* The text of an XML element in s (first one), or "" (out has room for len). */
static void xml_text(const char *s, const char *tag, char *out, size_t len)
{
	char open[64], close[64];
	snprintf(open, sizeof open, "<%s>", tag);
	snprintf(close, sizeof close, "</%s>", tag);
	const char *a = strstr(s, open);
	const char *b = a ? strstr(a, close) : NULL;
	if (!a || !b) {
		out[0] = '\0';
		return;
	}
	a += strlen(open);
	snprintf(out, len, "%.*s", (int)(b - a), a);
}

/* A curl handle set up for one signed request. */
static CURL *s3_handle(const struct blob_target *t, const struct s3_ep *e, const char *url,
		       const char *method, const void *body, size_t len, const char *range,
		       struct curl_slist **hdrs, struct curl_slist **resolve, char *sigv4,
		       size_t sigv4_len, char *errbuf)
{
	CURL *h = curl_easy_init();
	if (!h)
		return NULL;
	char hash[65];
	sha256_hex(body ? body : "", body ? len : 0, hash);
	char line[320];
	snprintf(line, sizeof line, "x-amz-content-sha256: %s", hash);
	*hdrs = curl_slist_append(NULL, line);
	/* no "Expect:" line to suppress 100-continue: libcurl would sign it empty, as sent */
	if (body)
		*hdrs = curl_slist_append(*hdrs, "Content-Type: application/octet-stream");
	if (range) {
		snprintf(line, sizeof line, "Range: %s", range);
		*hdrs = curl_slist_append(*hdrs, line);
	}
	char *rl = xasprintf("%s:%s:%s%s%s", e->host, e->port, strchr(e->pinned, ':') ? "[" : "",
			     e->pinned, strchr(e->pinned, ':') ? "]" : "");
	*resolve = curl_slist_append(NULL, rl);
	free(rl);
	snprintf(sigv4, sigv4_len, "aws:amz:%s:s3", t->region);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_RESOLVE, *resolve);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_PROXY, "");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, (long)(t->timeout_s > 0 ? t->timeout_s : 10));
	/* a transfer that stalls (under 1 byte/s for a minute) fails */
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "berth-backup/" BERTH_VERSION);
	curl_easy_setopt(h, CURLOPT_AWS_SIGV4, sigv4);
	curl_easy_setopt(h, CURLOPT_USERNAME, t->access_key ? t->access_key : "");
	curl_easy_setopt(h, CURLOPT_PASSWORD, t->secret_key ? t->secret_key : "");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, *hdrs);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	if (str_eq(method, "HEAD")) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	} else if (str_eq(method, "POST") || str_eq(method, "PUT")) {
		/* the body from memory: libcurl signs what it sends, and the hash above matches */
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(body ? len : 0));
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? (const char *)body : "");
		if (str_eq(method, "PUT"))
			curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "PUT");
	} else if (!str_eq(method, "GET")) {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	}
	return h;
}

/* Says what went wrong with an answer (status, S3's Code and Message). */
static int s3_fail(struct berr *err, const char *what, const struct s3_resp *r)
{
	char code[128], msg[256];
	xml_text(sbuf_str((struct sbuf *)&r->body), "Code", code, sizeof code);
	xml_text(sbuf_str((struct sbuf *)&r->body), "Message", msg, sizeof msg);
	return berr_set(err, BE_SERVER_UNREACHABLE, NULL, "S3 %s: HTTP %ld%s%s%s%s", what, r->status,
			*code ? " " : "", code, *msg ? ": " : "", msg);
}

/* One request, answer collected. 0 when an answer came (any status; r->status), -1 with err
 * when none did. */
static int s3_call(const struct blob_target *t, const struct s3_ep *e, const char *method,
		   const char *key, const char *query, const void *body, size_t len,
		   struct s3_resp *r, struct berr *err)
{
	memset(r, 0, sizeof *r);
	sbuf_init(&r->body);
	char *url = s3_url(t, e, key, query);
	struct curl_slist *hdrs = NULL, *resolve = NULL;
	char sigv4[128];
	CURL *h = s3_handle(t, e, url, method, body, len, NULL, &hdrs, &resolve, sigv4,
			    sizeof sigv4, r->errbuf);
	int rc = -1;
	if (!h) {
		berr_set(err, BE_INTERNAL_ERROR, NULL, "cannot allocate an HTTP request");
		goto out;
	}
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
	CURLcode cc = curl_easy_perform(h);
	if (cc != CURLE_OK) {
		berr_set(err, BE_SERVER_UNREACHABLE, NULL, "S3 %s %s: %s", method, e->host,
			 *r->errbuf ? r->errbuf : curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
	rc = 0;
out:
	if (h)
		curl_easy_cleanup(h);
	curl_slist_free_all(hdrs);
	curl_slist_free_all(resolve);
	free(url);
	return rc;
}

static void s3_resp_free(struct s3_resp *r)
{
	sbuf_release(&r->body);
}

/* ======================================================================== writers */

struct blob_writer {
	enum kind k;
	struct blob_target *t;
	char *key;
	uint64_t total;
	/* local */
	int dfd, fd;
	char *name, *part;
	/* sftp */
	struct sftp_conn sc;
	sftp_file f;
	char *rpath, *rpart;
	/* sftp and s3: what is not sent yet */
	unsigned char *buf;
	size_t len, cap;
	/* s3 */
	struct s3_ep ep;
	char *upload_id;
	int parts;
	struct sbuf done_parts; /* <Part>...</Part> of the uploaded parts */
};

static void writer_free(struct blob_writer *w)
{
	if (w->fd >= 0)
		close(w->fd);
	if (w->dfd >= 0)
		close(w->dfd);
	if (w->f)
		sftp_close(w->f);
	sftp_conn_close(&w->sc);
	s3_ep_free(&w->ep);
	free(w->key);
	free(w->name);
	free(w->part);
	free(w->rpath);
	free(w->rpart);
	free(w->buf);
	free(w->upload_id);
	sbuf_release(&w->done_parts);
	free(w);
}

struct blob_writer *blob_put_open(struct blob_target *t, const char *key, struct berr *err)
{
	int k = kind_of(t, err);
	if (k < 0 || check_key(key, err) < 0)
		return NULL;
	struct blob_writer *w = xcalloc(1, sizeof *w);
	w->k = (enum kind)k;
	w->t = t;
	w->key = xstrdup(key);
	w->dfd = w->fd = -1;
	sbuf_init(&w->done_parts);
	if (w->k == K_LOCAL) {
		const char *base;
		w->dfd = local_dir(t->dir, key, true, &base, err);
		if (w->dfd < 0)
			goto fail;
		w->name = xstrdup(base);
		w->part = xasprintf("%s.part", base);
		w->fd = openat(w->dfd, w->part, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
			       0600);
		if (w->fd < 0) {
			berr_set(err, BE_INTERNAL_ERROR, NULL, "cannot write in %s: %s", t->dir,
				 strerror(errno));
			goto fail;
		}
	} else if (w->k == K_SFTP) {
		if (sftp_connect(t, &w->sc, err) < 0)
			goto fail;
		w->rpath = sftp_path(t, key);
		w->rpart = xasprintf("%s.part", w->rpath);
		sftp_mkdirs(&w->sc, w->rpath);
		w->f = sftp_open(w->sc.sftp, w->rpart, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (!w->f) {
			berr_set(err, BE_SERVER_UNREACHABLE, NULL, "cannot write %s on %s: %s",
				 w->rpart, t->host, sftp_why(&w->sc));
			goto fail;
		}
		w->cap = 4 * SFTP_CHUNK;
		w->buf = xmalloc(w->cap);
	} else {
		if (s3_endpoint(t, &w->ep, err) < 0)
			goto fail;
		w->cap = S3_PART;
		w->buf = xmalloc(w->cap);
	}
	return w;
fail:
	writer_free(w);
	return NULL;
}

static int sftp_flush(struct blob_writer *w, struct berr *err)
{
	size_t off = 0;
	while (off < w->len) {
		size_t n = w->len - off < SFTP_CHUNK ? w->len - off : SFTP_CHUNK;
		ssize_t r = sftp_write(w->f, w->buf + off, n);
		if (r <= 0)
			return berr_set(err, BE_SERVER_UNREACHABLE, NULL, "cannot write %s on %s: %s",
					w->rpart, w->t->host, sftp_why(&w->sc));
		off += (size_t)r;
	}
	w->len = 0;
	return 0;
}

static int s3_create_upload(struct blob_writer *w, struct berr *err)
{
	struct s3_resp r;
	if (s3_call(w->t, &w->ep, "POST", w->key, "uploads=", "", 0, &r, err) < 0)
		return -1;
	char id[1024];
	xml_text(sbuf_str(&r.body), "UploadId", id, sizeof id);
	int rc = 0;
	if (r.status / 100 != 2 || !*id)
		rc = s3_fail(err, "CreateMultipartUpload", &r);
	else
		w->upload_id = xstrdup(id);
	s3_resp_free(&r);
	return rc;
}

static int s3_upload_part(struct blob_writer *w, struct berr *err)
{
	if (!w->upload_id && s3_create_upload(w, err) < 0)
		return -1;
	if (w->parts == S3_MAX_PARTS)
		return berr_set(err, BE_SERVER_UNREACHABLE, NULL,
				"S3: an object has at most %d parts of 8 MiB", S3_MAX_PARTS);
	int n = w->parts + 1;
	char *esc = curl_easy_escape(NULL, w->upload_id, 0);
	char *q = xasprintf("partNumber=%d&uploadId=%s", n, esc ? esc : "");
	curl_free(esc);
	struct s3_resp r;
	int rc = s3_call(w->t, &w->ep, "PUT", w->key, q, w->buf, w->len, &r, err);
	free(q);
	if (rc == 0) {
		if (r.status / 100 != 2 || !r.etag[0])
			rc = s3_fail(err, "UploadPart", &r);
		else {
			sbuf_addf(&w->done_parts, "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>",
				  n, r.etag);
			w->parts = n;
			w->len = 0;
		}
		s3_resp_free(&r);
	}
	return rc;
}

int blob_write(struct blob_writer *w, const void *buf, size_t n, struct berr *err)
{
	const unsigned char *p = buf;
	if (w->k == K_LOCAL) {
		if (write_all(w->fd, p, n) < 0)
			return berr_set(err, BE_INTERNAL_ERROR, NULL, "cannot write in %s: %s",
					w->t->dir, strerror(errno));
		w->total += n;
		return 0;
	}
	while (n) {
		size_t room = w->cap - w->len;
		size_t c = n < room ? n : room;
		memcpy(w->buf + w->len, p, c);
		w->len += c;
		p += c;
		n -= c;
		w->total += c;
		if (w->len == w->cap &&
		    (w->k == K_SFTP ? sftp_flush(w, err) : s3_upload_part(w, err)) < 0)
			return -1;
	}
	return 0;
}

static void s3_abort(struct blob_writer *w)
{
	if (!w->upload_id)
		return;
	char *esc = curl_easy_escape(NULL, w->upload_id, 0);
	char *q = xasprintf("uploadId=%s", esc ? esc : "");
	curl_free(esc);
	struct s3_resp r;
	struct berr e = {0};
	if (s3_call(w->t, &w->ep, "DELETE", w->key, q, NULL, 0, &r, &e) == 0)
		s3_resp_free(&r);
	free(q);
}

static int s3_finish(struct blob_writer *w, struct berr *err)
{
	struct s3_resp r;
	if (!w->upload_id) { /* it fits in one part: one PUT */
		if (s3_call(w->t, &w->ep, "PUT", w->key, NULL, w->buf, w->len, &r, err) < 0)
			return -1;
		int rc = r.status / 100 == 2 ? 0 : s3_fail(err, "PutObject", &r);
		s3_resp_free(&r);
		return rc;
	}
	if (w->len && s3_upload_part(w, err) < 0)
		return -1;
	struct sbuf x = SBUF_INIT;
	sbuf_addf(&x, "<CompleteMultipartUpload>%s</CompleteMultipartUpload>",
		  sbuf_str(&w->done_parts));
	char *esc = curl_easy_escape(NULL, w->upload_id, 0);
	char *q = xasprintf("uploadId=%s", esc ? esc : "");
	curl_free(esc);
	int rc = s3_call(w->t, &w->ep, "POST", w->key, q, x.buf, x.len, &r, err);
	free(q);
	sbuf_release(&x);
	if (rc < 0)
		return -1;
	/* S3 may answer 200 and still fail: the error is then the body */
	if (r.status / 100 != 2 || strstr(sbuf_str(&r.body), "<Error>") ||
	    !strstr(sbuf_str(&r.body), "CompleteMultipartUploadResult"))
		rc = s3_fail(err, "CompleteMultipartUpload", &r);
	s3_resp_free(&r);
	return rc;
}

int blob_put_finish(struct blob_writer *w, struct berr *err)
{
	int rc = 0;
	if (w->k == K_LOCAL) {
		if (fsync(w->fd) < 0 || close(w->fd) < 0) {
			w->fd = -1;
			rc = berr_set(err, BE_INTERNAL_ERROR, NULL, "cannot write in %s: %s", w->t->dir,
				      strerror(errno));
		}
		w->fd = -1;
		if (rc == 0 && renameat(w->dfd, w->part, w->dfd, w->name) < 0)
			rc = berr_set(err, BE_INTERNAL_ERROR, NULL, "cannot rename in %s: %s",
				      w->t->dir, strerror(errno));
		if (rc == 0)
			fsync(w->dfd);
		else
			unlinkat(w->dfd, w->part, 0);
	} else if (w->k == K_SFTP) {
		rc = sftp_flush(w, err);
		if (rc == 0 && sftp_extension_supported(w->sc.sftp, "fsync@openssh.com", "1") &&
		    sftp_fsync(w->f) < 0)
			rc = berr_set(err, BE_SERVER_UNREACHABLE, NULL, "cannot sync %s on %s: %s",
				      w->rpart, w->t->host, sftp_why(&w->sc));
		if (sftp_close(w->f) < 0 && rc == 0)
			rc = berr_set(err, BE_SERVER_UNREACHABLE, NULL, "cannot close %s on %s: %s",
				      w->rpart, w->t->host, sftp_why(&w->sc));
		w->f = NULL;
		/* posix-rename@openssh.com replaces; the plain SFTP rename does not */
		if (rc == 0 && sftp_rename(w->sc.sftp, w->rpart, w->rpath) < 0) {
			sftp_unlink(w->sc.sftp, w->rpath);
			if (sftp_rename(w->sc.sftp, w->rpart, w->rpath) < 0)
				rc = berr_set(err, BE_SERVER_UNREACHABLE, NULL,
					      "cannot rename %s on %s: %s", w->rpart, w->t->host,
					      sftp_why(&w->sc));
		}
		if (rc < 0 && w->sc.sftp)
			sftp_unlink(w->sc.sftp, w->rpart);
	} else {
		rc = s3_finish(w, err);
		if (rc < 0)
			s3_abort(w);
	}
	writer_free(w);
	return rc;
}

void blob_put_abort(struct blob_writer *w)
{
	if (!w)
		return;
	if (w->k == K_LOCAL) {
		close(w->fd);
		w->fd = -1;
		unlinkat(w->dfd, w->part, 0);
	} else if (w->k == K_SFTP) {
		if (w->f)
			sftp_close(w->f);
		w->f = NULL;
		sftp_unlink(w->sc.sftp, w->rpart);
	} else {
		s3_abort(w);
	}
	writer_free(w);
}

/* ======================================================================== readers */

struct blob_reader {
	enum kind k;
	uint64_t left; /* bytes still to hand out */
	/* local */
	int fd;
	/* sftp */
	struct sftp_conn sc;
	sftp_file f;
	uint32_t ids[SFTP_READ_DEPTH];
	uint32_t lens[SFTP_READ_DEPTH];
	int head, inflight;
	uint64_t requested; /* bytes asked for so far */
	const char *host;
	/* sftp and s3: bytes received, not handed out yet */
	unsigned char *buf;
	size_t pos, len, cap;
	/* s3 */
	struct s3_ep ep;
	CURLM *m;
	CURL *h;
	struct curl_slist *hdrs, *resolve;
	char sigv4[128];
	char *url;
	struct s3_resp resp;
	bool headers_done, done;
	CURLcode result;
};

static void reader_free(struct blob_reader *r)
{
	if (r->fd >= 0)
		close(r->fd);
	if (r->f)
		sftp_close(r->f);
	sftp_conn_close(&r->sc);
	if (r->h) {
		curl_multi_remove_handle(r->m, r->h);
		curl_easy_cleanup(r->h);
	}
	if (r->m)
		curl_multi_cleanup(r->m);
	curl_slist_free_all(r->hdrs);
	curl_slist_free_all(r->resolve);
	free(r->url);
	s3_resp_free(&r->resp);
	s3_ep_free(&r->ep);
	free(r->buf);
	free(r);
}

static int range_check(uint64_t offset, uint64_t *length, uint64_t size, struct berr *err)
{
	if (offset > size)
		return berr_set(err, BE_VALIDATION_ERROR, "offset",
				"offset: %" PRIu64 " is beyond the object's end (%" PRIu64 " bytes)",
				offset, size);
	if (*length == 0 || *length > size - offset)
		*length = size - offset;
	return 0;
}

/* ---- S3 GET through curl's multi interface ---- */

static size_t get_header(char *p, size_t sz, size_t n, void *cls)
{
	struct blob_reader *r = cls;
	size_t len = sz * n;
	resp_header(&r->resp, p, len);
	if ((len == 2 && p[0] == '\r') || (len == 1 && p[0] == '\n'))
		if (r->resp.status >= 200) /* not a 100 Continue */
			r->headers_done = true;
	return len;
}

static size_t get_body(char *p, size_t sz, size_t n, void *cls)
{
	struct blob_reader *r = cls;
	size_t len = sz * n;
	if (r->resp.status / 100 != 2)
		return on_body(p, sz, n, &r->resp);
	if (r->pos == r->len)
		r->pos = r->len = 0;
	if (r->len + len > r->cap) {
		r->cap = (r->len + len) * 2;
		r->buf = xrealloc(r->buf, r->cap);
	}
	memcpy(r->buf + r->len, p, len);
	r->len += len;
	return len;
}

/* One turn of the transfer: waits up to a second for the socket, then lets curl work. */
static void s3_pump(struct blob_reader *r)
{
	int running = 0;
	curl_multi_perform(r->m, &running);
	CURLMsg *msg;
	int q;
	while ((msg = curl_multi_info_read(r->m, &q)))
		if (msg->msg == CURLMSG_DONE) {
			r->done = true;
			r->result = msg->data.result;
		}
	if (!r->done && r->pos == r->len)
		curl_multi_poll(r->m, NULL, 0, 1000, NULL);
}

static int s3_get_open(struct blob_reader *r, struct blob_target *t, const char *key,
		       uint64_t offset, uint64_t length, uint64_t *size, struct berr *err)
{
	if (s3_endpoint(t, &r->ep, err) < 0)
		return -1;
	sbuf_init(&r->resp.body);
	char range[64] = "";
	if (offset || length) {
		if (length)
			snprintf(range, sizeof range, "bytes=%" PRIu64 "-%" PRIu64, offset,
				 offset + length - 1);
		else
			snprintf(range, sizeof range, "bytes=%" PRIu64 "-", offset);
	}
	r->url = s3_url(t, &r->ep, key, NULL);
	r->h = s3_handle(t, &r->ep, r->url, "GET", NULL, 0, *range ? range : NULL, &r->hdrs,
			 &r->resolve, r->sigv4, sizeof r->sigv4, r->resp.errbuf);
	r->m = curl_multi_init();
	if (!r->h || !r->m)
		return berr_set(err, BE_INTERNAL_ERROR, NULL, "cannot allocate an HTTP request");
	curl_easy_setopt(r->h, CURLOPT_HEADERFUNCTION, get_header);
	curl_easy_setopt(r->h, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(r->h, CURLOPT_WRITEFUNCTION, get_body);
	curl_easy_setopt(r->h, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(r->h, CURLOPT_BUFFERSIZE, 128L * 1024);
	curl_multi_add_handle(r->m, r->h);
	while (!r->headers_done && !r->done)
		s3_pump(r);
	if (!r->headers_done) {
		return berr_set(err, BE_SERVER_UNREACHABLE, NULL, "S3 GET %s: %s", r->ep.host,
				*r->resp.errbuf ? r->resp.errbuf : curl_easy_strerror(r->result));
	}
	long st = r->resp.status;
	if (st == 404) {
		while (!r->done) /* the error's body, to tell a missing bucket from a missing key */
			s3_pump(r);
		char code[64];
		xml_text(sbuf_str(&r->resp.body), "Code", code, sizeof code);
		if (!str_eq(code, "NoSuchBucket"))
			return berr_set(err, BE_NOT_FOUND, NULL, "no such object");
	}
	if (st == 416) { /* offset at or past the end: what stat says decides */
		uint64_t sz = 0;
		if (blob_stat(t, key, &sz, err) < 0)
			return -1;
		if (range_check(offset, &length, sz, err) < 0)
			return -1;
		if (size)
			*size = sz;
		r->left = 0;
		r->done = true;
		r->result = CURLE_OK;
		return 0;
	}
	if (st / 100 != 2) {
		while (!r->done)
			s3_pump(r);
		return s3_fail(err, "GetObject", &r->resp);
	}
	uint64_t total = r->resp.has_total ? r->resp.total : r->resp.length;
	if (size)
		*size = total;
	r->left = r->resp.has_length ? r->resp.length : total - offset;
	return 0;
}

static ssize_t s3_read(struct blob_reader *r, void *buf, size_t n, struct berr *err)
{
	while (r->pos == r->len && !r->done)
		s3_pump(r);
	if (r->pos < r->len) {
		size_t c = r->len - r->pos < n ? r->len - r->pos : n;
		memcpy(buf, r->buf + r->pos, c);
		r->pos += c;
		r->left = r->left >= c ? r->left - c : 0;
		return (ssize_t)c;
	}
	if (r->result != CURLE_OK)
		return berr_set(err, BE_SERVER_UNREACHABLE, NULL, "S3 GET %s: %s", r->ep.host,
				*r->resp.errbuf ? r->resp.errbuf : curl_easy_strerror(r->result));
	if (r->left)
		return berr_set(err, BE_SERVER_UNREACHABLE, NULL,
				"S3 GET %s: the answer ended %" PRIu64 " bytes early", r->ep.host,
				r->left);
	return 0;
}

/* ---- SFTP reads: SFTP_READ_DEPTH requests in flight ---- */

static int sftp_fill(struct blob_reader *r)
{
	while (r->inflight < SFTP_READ_DEPTH && r->requested < r->left) {
		uint64_t want = r->left - r->requested;
		uint32_t n = want < SFTP_READ_CHUNK ? (uint32_t)want : SFTP_READ_CHUNK;
		int id = sftp_async_read_begin(r->f, n);
		if (id < 0)
			return -1;
		int slot = (r->head + r->inflight) % SFTP_READ_DEPTH;
		r->ids[slot] = (uint32_t)id;
		r->lens[slot] = n;
		r->inflight++;
		r->requested += n;
	}
	return 0;
}

static ssize_t sftp_read_next(struct blob_reader *r, void *buf, size_t n, struct berr *err)
{
	if (r->pos == r->len) {
		if (r->left == 0)
			return 0;
		if (sftp_fill(r) < 0)
			goto fail;
		uint32_t want = r->lens[r->head];
		int got = sftp_async_read(r->f, r->buf, want, r->ids[r->head]);
		r->head = (r->head + 1) % SFTP_READ_DEPTH;
		r->inflight--;
		if (got < 0)
			goto fail;
		if ((uint32_t)got != want) /* a short read would put later bytes out of place */
			return berr_set(err, BE_SERVER_UNREACHABLE, NULL,
					"SFTP %s: the object ended early (it changed while read)",
					r->host);
		r->pos = 0;
		r->len = (size_t)got;
		r->left -= (uint64_t)got;
		r->requested -= (uint64_t)got;
	}
	size_t c = r->len - r->pos < n ? r->len - r->pos : n;
	memcpy(buf, r->buf + r->pos, c);
	r->pos += c;
	return (ssize_t)c;
fail:
	return berr_set(err, BE_SERVER_UNREACHABLE, NULL, "SFTP read on %s: %s", r->host,
			sftp_why(&r->sc));
}

struct blob_reader *blob_get_open(struct blob_target *t, const char *key, uint64_t offset,
				  uint64_t length, uint64_t *size, struct berr *err)
{
	int k = kind_of(t, err);
	if (k < 0 || check_key(key, err) < 0)
		return NULL;
	struct blob_reader *r = xcalloc(1, sizeof *r);
	r->k = (enum kind)k;
	r->fd = -1;
	if (r->k == K_LOCAL) {
		const char *base;
		int dfd = local_dir(t->dir, key, false, &base, err);
		if (dfd < 0)
			goto fail;
		r->fd = openat(dfd, base, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		int e = errno;
		close(dfd);
		struct stat st;
		if (r->fd < 0 || fstat(r->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
			if (r->fd < 0 && e != ENOENT)
				berr_set(err, BE_INTERNAL_ERROR, NULL, "cannot read in %s: %s", t->dir,
					 strerror(e));
			else
				berr_set(err, BE_NOT_FOUND, NULL, "no such object");
			goto fail;
		}
		uint64_t sz = (uint64_t)st.st_size;
		if (range_check(offset, &length, sz, err) < 0)
			goto fail;
		if (offset && lseek(r->fd, (off_t)offset, SEEK_SET) < 0) {
			berr_set(err, BE_INTERNAL_ERROR, NULL, "cannot seek: %s", strerror(errno));
			goto fail;
		}
		if (size)
			*size = sz;
		r->left = length;
	} else if (r->k == K_SFTP) {
		if (sftp_connect(t, &r->sc, err) < 0)
			goto fail;
		r->host = t->host;
		char *path = sftp_path(t, key);
		r->f = sftp_open(r->sc.sftp, path, O_RDONLY, 0);
		free(path);
		sftp_attributes a = r->f ? sftp_fstat(r->f) : NULL;
		if (!a || a->type != SSH_FILEXFER_TYPE_REGULAR) {
			if (a || sftp_get_error(r->sc.sftp) == SSH_FX_NO_SUCH_FILE)
				berr_set(err, BE_NOT_FOUND, NULL, "no such object");
			else
				berr_set(err, BE_SERVER_UNREACHABLE, NULL, "cannot read on %s: %s",
					 t->host, sftp_why(&r->sc));
			if (a)
				sftp_attributes_free(a);
			goto fail;
		}
		uint64_t sz = a->size;
		sftp_attributes_free(a);
		if (range_check(offset, &length, sz, err) < 0)
			goto fail;
		if (offset && sftp_seek64(r->f, offset) < 0) {
			berr_set(err, BE_SERVER_UNREACHABLE, NULL, "cannot seek on %s", t->host);
			goto fail;
		}
		if (size)
			*size = sz;
		r->left = length;
		r->cap = SFTP_READ_CHUNK;
		r->buf = xmalloc(r->cap);
	} else {
		if (s3_get_open(r, t, key, offset, length, size, err) < 0)
			goto fail;
	}
	return r;
fail:
	reader_free(r);
	return NULL;
}

ssize_t blob_read(struct blob_reader *r, void *buf, size_t n, struct berr *err)
{
	if (n == 0)
		return 0;
	if (r->k == K_LOCAL) {
		if (r->left == 0)
			return 0;
		size_t want = r->left < n ? (size_t)r->left : n;
		ssize_t got;
		do
			got = read(r->fd, buf, want);
		while (got < 0 && errno == EINTR);
		if (got < 0)
			return berr_set(err, BE_INTERNAL_ERROR, NULL, "cannot read: %s", strerror(errno));
		if (got == 0)
			return berr_set(err, BE_INTERNAL_ERROR, NULL, "the object ended early");
		r->left -= (uint64_t)got;
		return got;
	}
	if (r->k == K_SFTP)
		return sftp_read_next(r, buf, n, err);
	return s3_read(r, buf, n, err);
}

void blob_get_close(struct blob_reader *r)
{
	if (!r)
		return;
	if (r->k == K_SFTP && r->f) {
		/* answers still due for requests in flight: take them before the file closes */
		while (r->inflight > 0) {
			char junk[SFTP_READ_CHUNK];
			sftp_async_read(r->f, junk, r->lens[r->head], r->ids[r->head]);
			r->head = (r->head + 1) % SFTP_READ_DEPTH;
			r->inflight--;
		}
	}
	reader_free(r);
}

/* ======================================================================== stat, delete */

int blob_stat(struct blob_target *t, const char *key, uint64_t *size, struct berr *err)
{
	int k = kind_of(t, err);
	if (k < 0 || check_key(key, err) < 0)
		return -1;
	if (k == K_LOCAL) {
		const char *base;
		int dfd = local_dir(t->dir, key, false, &base, err);
		if (dfd < 0)
			return -1;
		struct stat st;
		int rc = fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW);
		close(dfd);
		if (rc < 0 || !S_ISREG(st.st_mode))
			return berr_set(err, BE_NOT_FOUND, NULL, "no such object");
		if (size)
			*size = (uint64_t)st.st_size;
		return 0;
	}
	if (k == K_SFTP) {
		struct sftp_conn c;
		if (sftp_connect(t, &c, err) < 0)
			return -1;
		char *path = sftp_path(t, key);
		sftp_attributes a = sftp_lstat(c.sftp, path);
		free(path);
		int rc = 0;
		if (!a || a->type != SSH_FILEXFER_TYPE_REGULAR) {
			if (a || sftp_get_error(c.sftp) == SSH_FX_NO_SUCH_FILE)
				rc = berr_set(err, BE_NOT_FOUND, NULL, "no such object");
			else
				rc = berr_set(err, BE_SERVER_UNREACHABLE, NULL, "cannot stat on %s: %s",
					      t->host, sftp_why(&c));
		} else if (size) {
			*size = a->size;
		}
		if (a)
			sftp_attributes_free(a);
		sftp_conn_close(&c);
		return rc;
	}
	struct s3_ep e;
	if (s3_endpoint(t, &e, err) < 0)
		return -1;
	struct s3_resp r;
	int rc = s3_call(t, &e, "HEAD", key, NULL, NULL, 0, &r, err);
	if (rc == 0) {
		if (r.status == 404)
			rc = berr_set(err, BE_NOT_FOUND, NULL, "no such object");
		else if (r.status / 100 != 2)
			rc = s3_fail(err, "HeadObject", &r);
		else if (size)
			*size = r.length;
		s3_resp_free(&r);
	}
	s3_ep_free(&e);
	return rc;
}

/* Removes the key's directories under dir that the removal left empty, deepest first (never
 * dir itself); each step opens its parent from dir without following a symbolic link. */
static void local_prune_dirs(const char *dir, const char *key)
{
	char *path = xstrdup(key);
	for (char *slash = strrchr(path, '/'); slash; slash = strrchr(path, '/')) {
		*slash = '\0'; /* path is now the directory to try */
		int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		char *comp = path, *next;
		while (fd >= 0 && (next = strchr(comp, '/')) != NULL) {
			*next = '\0';
			int sub = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			*next = '/';
			close(fd);
			fd = sub;
			comp = next + 1;
		}
		bool removed = fd >= 0 && unlinkat(fd, comp, AT_REMOVEDIR) == 0;
		if (fd >= 0)
			close(fd);
		if (!removed)
			break; /* not empty (or gone): its parents are not empty either */
	}
	free(path);
}

int blob_delete(struct blob_target *t, const char *key, struct berr *err)
{
	int k = kind_of(t, err);
	if (k < 0 || check_key(key, err) < 0)
		return -1;
	if (k == K_LOCAL) {
		const char *base;
		struct berr e = {0};
		int dfd = local_dir(t->dir, key, false, &base, &e);
		if (dfd < 0) {
			if (e.code == BE_NOT_FOUND)
				return 0;
			*err = e;
			return -1;
		}
		char *part = xasprintf("%s.part", base);
		int rc = 0;
		if (unlinkat(dfd, base, 0) < 0 && errno != ENOENT)
			rc = berr_set(err, BE_INTERNAL_ERROR, NULL, "cannot remove in %s: %s", t->dir,
				      strerror(errno));
		unlinkat(dfd, part, 0);
		free(part);
		close(dfd);
		if (rc == 0)
			local_prune_dirs(t->dir, key);
		return rc;
	}
	if (k == K_SFTP) {
		struct sftp_conn c;
		if (sftp_connect(t, &c, err) < 0)
			return -1;
		char *path = sftp_path(t, key);
		char *part = xasprintf("%s.part", path);
		int rc = 0;
		if (sftp_unlink(c.sftp, path) < 0 && sftp_get_error(c.sftp) != SSH_FX_NO_SUCH_FILE)
			rc = berr_set(err, BE_SERVER_UNREACHABLE, NULL, "cannot remove on %s: %s",
				      t->host, sftp_why(&c));
		sftp_unlink(c.sftp, part);
		free(path);
		free(part);
		sftp_conn_close(&c);
		return rc;
	}
	struct s3_ep e;
	if (s3_endpoint(t, &e, err) < 0)
		return -1;
	struct s3_resp r;
	int rc = s3_call(t, &e, "DELETE", key, NULL, NULL, 0, &r, err);
	if (rc == 0) {
		if (r.status / 100 != 2 && r.status != 404)
			rc = s3_fail(err, "DeleteObject", &r);
		s3_resp_free(&r);
	}
	s3_ep_free(&e);
	return rc;
}

/* ======================================================================== probe, location */

static int probe_step(struct berr *err, const char *step)
{
	char *msg = xasprintf("%s: %s", step, err->message);
	snprintf(err->message, sizeof err->message, "%s", msg);
	free(msg);
	return -1;
}

int blob_probe(struct blob_target *t, struct berr *err)
{
	char rnd[33], key[64], data[96];
	random_hex(rnd, 16);
	snprintf(key, sizeof key, "berth-probe/%s.txt", rnd);
	snprintf(data, sizeof data, "berth probe %s\n", rnd);
	size_t n = strlen(data);
	struct blob_writer *w = blob_put_open(t, key, err);
	if (!w)
		return probe_step(err, "writing the probe object");
	if (blob_write(w, data, n, err) < 0) {
		blob_put_abort(w);
		return probe_step(err, "writing the probe object");
	}
	if (blob_put_finish(w, err) < 0)
		return probe_step(err, "writing the probe object");
	uint64_t size = 0;
	char back[128];
	size_t got = 0;
	struct blob_reader *r = blob_get_open(t, key, 0, 0, &size, err);
	if (!r) {
		probe_step(err, "reading the probe object back");
		goto del;
	}
	for (;;) {
		ssize_t k = blob_read(r, back + got, sizeof back - got, err);
		if (k < 0) {
			blob_get_close(r);
			probe_step(err, "reading the probe object back");
			goto del;
		}
		if (k == 0 || got + (size_t)k == sizeof back) {
			got += (size_t)k;
			break;
		}
		got += (size_t)k;
	}
	blob_get_close(r);
	if (size != n || got != n || memcmp(back, data, n) != 0) {
		berr_set(err, BE_SERVER_UNREACHABLE, NULL,
			 "reading the probe object back: it came back different (%zu bytes of %zu)",
			 got, n);
		goto del;
	}
	if (blob_delete(t, key, err) < 0)
		return probe_step(err, "deleting the probe object");
	if (blob_stat(t, key, NULL, err) == 0)
		return berr_set(err, BE_SERVER_UNREACHABLE, NULL,
				"deleting the probe object: it is still there");
	berr_clear(err);
	return 0;
del:;
	struct berr ignored = {0};
	blob_delete(t, key, &ignored);
	return -1;
}

char *blob_location(const struct blob_target *t, const char *key)
{
	if (str_eq(t->kind, "local"))
		return xasprintf("local:%s/%s", t->dir ? t->dir : "", key);
	if (str_eq(t->kind, "sftp")) {
		char *full = sftp_path(t, key);
		bool v6 = t->host && strchr(t->host, ':');
		char *loc = xasprintf("sftp://%s@%s%s%s:%d%s%s", t->user ? t->user : "", v6 ? "[" : "",
				      t->host ? t->host : "", v6 ? "]" : "", t->port > 0 ? t->port : 22,
				      full[0] == '/' ? "" : "/~/", full);
		free(full);
		return loc;
	}
	char *obj = s3_object(t, key);
	char *loc = xasprintf("s3://%s/%s", t->bucket ? t->bucket : "", obj);
	free(obj);
	return loc;
}
