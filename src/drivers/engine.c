/* engine.c: HTTP/1.1 to a server's Docker Engine over a stream: the local unix socket, or a
 * direct-streamlocal channel of an SSH session (one session per struct engine). Also plain
 * HTTP to a TCP port on the server's loopback (health checks through the edge proxy). */
#include "drivers/engine.h"
#include "drivers/engine_int.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <libssh/libssh.h>

#include "drivers/sshconn.h"
#include "lib/log.h"

#define IO_TIMEOUT_MS 600000 /* a build or an `odoo -i base` may take minutes */

struct engine {
	bool local;
	char socket_path[108]; /* sun_path */
	ssh_session ssh;
	char api[16];          /* negotiated API version prefix, "" until the first call */
	int io_timeout_ms;
};

/* A byte stream (struct estream_io): a socket fd or an SSH channel, engine_int.h. */

static int s_write(struct estream_io *s, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		ssize_t n;
		if (s->ch) {
			n = ssh_channel_write(s->ch, p, (uint32_t)(len > 32768 ? 32768 : len));
			if (n == SSH_ERROR)
				return -1;
		} else {
			n = send(s->fd, p, len, MSG_NOSIGNAL);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* >0 bytes, 0 end of stream, -1 error or timeout */
static ssize_t s_read(struct estream_io *s, char *buf, size_t len)
{
	if (s->ch) {
		int n = ssh_channel_read_timeout(s->ch, buf, (uint32_t)len, 0, s->timeout_ms);
		if (n == SSH_ERROR)
			return -1;
		if (n == 0 && !ssh_channel_is_eof(s->ch) && ssh_channel_is_open(s->ch))
			return -1; /* timeout */
		return n;
	}
	struct pollfd pfd = {s->fd, POLLIN, 0};
	int pr;
	while ((pr = poll(&pfd, 1, s->timeout_ms)) < 0 && errno == EINTR)
		;
	if (pr <= 0)
		return -1;
	ssize_t n;
	while ((n = recv(s->fd, buf, len, 0)) < 0 && errno == EINTR)
		;
	return n;
}

static void s_close(struct estream_io *s)
{
	if (s->ch) {
		ssh_channel_send_eof(s->ch);
		ssh_channel_close(s->ch);
		ssh_channel_free(s->ch);
		s->ch = NULL;
	}
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

static int open_docker(struct engine *e, struct estream_io *s, struct berr *err)
{
	s->fd = -1;
	s->ch = NULL;
	s->timeout_ms = e->io_timeout_ms;
	if (e->local) {
		s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		struct sockaddr_un a = {.sun_family = AF_UNIX};
		snprintf(a.sun_path, sizeof a.sun_path, "%s", e->socket_path);
		if (s->fd < 0 || connect(s->fd, (struct sockaddr *)&a, sizeof a) < 0) {
			int en = errno;
			s_close(s);
			return berr_set(err, BE_SERVER_UNREACHABLE, NULL,
					"Docker Engine does not answer on %s: %s", e->socket_path,
					strerror(en));
		}
		return 0;
	}
	s->ch = ssh_channel_new(e->ssh);
	if (!s->ch || ssh_channel_open_forward_unix(s->ch, e->socket_path, "127.0.0.1", 0) != SSH_OK) {
		int rc = berr_set(err, BE_SERVER_UNREACHABLE, NULL,
				  "Docker Engine does not answer on %s over SSH: %s", e->socket_path,
				  ssh_get_error(e->ssh));
		if (s->ch)
			ssh_channel_free(s->ch);
		s->ch = NULL;
		return rc;
	}
	return 0;
}

static int open_tcp(struct engine *e, int port, struct estream_io *s, struct berr *err)
{
	s->fd = -1;
	s->ch = NULL;
	s->timeout_ms = e->io_timeout_ms < 30000 ? e->io_timeout_ms : 30000;
	if (e->local) {
		s->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (s->fd < 0 || connect(s->fd, (struct sockaddr *)&a, sizeof a) < 0) {
			int en = errno;
			s_close(s);
			return berr_set(err, BE_SERVER_UNREACHABLE, NULL, "cannot connect to port %d: %s",
					port, strerror(en));
		}
		return 0;
	}
	s->ch = ssh_channel_new(e->ssh);
	if (!s->ch || ssh_channel_open_forward(s->ch, "127.0.0.1", port, "127.0.0.1", 0) != SSH_OK) {
		int rc = berr_set(err, BE_SERVER_UNREACHABLE, NULL, "cannot reach port %d over SSH: %s",
				  port, ssh_get_error(e->ssh));
		if (s->ch)
			ssh_channel_free(s->ch);
		s->ch = NULL;
		return rc;
	}
	return 0;
}

struct engine *engine_connect(const struct engine_target *t, char *seen_fp, struct berr *err)
{
	struct engine *e = xcalloc(1, sizeof *e);
	e->io_timeout_ms = IO_TIMEOUT_MS;
	e->local = str_eq(t->transport, "local");
	snprintf(e->socket_path, sizeof e->socket_path, "%s",
		 t->docker_socket ? t->docker_socket : "/var/run/docker.sock");
	if (!e->local) {
		e->ssh = sshconn_connect(t, seen_fp, err);
		if (!e->ssh) {
			free(e);
			return NULL;
		}
	}
	return e;
}

void engine_set_io_timeout(struct engine *e, int ms)
{
	e->io_timeout_ms = ms > 0 ? ms : IO_TIMEOUT_MS;
}

ssh_session engine_ssh(struct engine *e)
{
	return e->ssh;
}

void engine_close(struct engine *e)
{
	if (!e)
		return;
	if (e->ssh) {
		ssh_disconnect(e->ssh);
		ssh_free(e->ssh);
	}
	free(e);
}

/* Reads one CRLF-terminated line from the buffered stream. */
struct rbuf {
	struct estream_io *s;
	char buf[16384];
	size_t off, len;
};

static int rb_fill(struct rbuf *b)
{
	if (b->off < b->len)
		return 1;
	ssize_t n = s_read(b->s, b->buf, sizeof b->buf);
	if (n <= 0)
		return (int)n;
	b->off = 0;
	b->len = (size_t)n;
	return 1;
}

static int rb_line(struct rbuf *b, struct sbuf *line)
{
	sbuf_reset(line);
	for (;;) {
		int r = rb_fill(b);
		if (r <= 0)
			return -1;
		char c = b->buf[b->off++];
		if (c == '\n') {
			if (line->len && line->buf[line->len - 1] == '\r')
				line->buf[--line->len] = '\0';
			return 0;
		}
		if (line->len > 65536)
			return -1;
		sbuf_addc(line, c);
	}
}

static void deliver(struct sbuf *out, void (*on_chunk)(void *, const char *, size_t), void *cls,
		    const char *data, size_t n)
{
	if (on_chunk)
		on_chunk(cls, data, n);
	if (out && out->len < 64 * 1024 * 1024)
		sbuf_add(out, data, n);
}

static int read_body_len(struct rbuf *b, long long len, struct sbuf *out,
			 void (*on_chunk)(void *, const char *, size_t), void *cls)
{
	while (len != 0) {
		int r = rb_fill(b);
		if (r < 0)
			return -1;
		if (r == 0)
			return len < 0 ? 0 : -1; /* until EOF when no length */
		size_t n = b->len - b->off;
		if (len > 0 && (long long)n > len)
			n = (size_t)len;
		deliver(out, on_chunk, cls, b->buf + b->off, n);
		b->off += n;
		if (len > 0)
			len -= (long long)n;
	}
	return 0;
}

static int http_send(struct estream_io *s, const char *method, const char *path, const char *host,
		     const char *ctype, const void *body, size_t len, struct berr *err)
{
	struct sbuf req = SBUF_INIT;
	sbuf_addf(&req, "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: berth\r\nConnection: close\r\n",
		  method, path, host);
	if (body || str_eq(method, "POST") || str_eq(method, "PUT")) {
		if (ctype)
			sbuf_addf(&req, "Content-Type: %s\r\n", ctype);
		sbuf_addf(&req, "Content-Length: %zu\r\n", body ? len : 0);
	}
	sbuf_adds(&req, "\r\n");
	int rc = s_write(s, req.buf, req.len);
	sbuf_release(&req);
	if (rc == 0 && body && len)
		rc = s_write(s, body, len);
	if (rc < 0)
		return berr_set(err, BE_SERVER_UNREACHABLE, NULL, "writing the request %s %s failed",
				method, path);
	return 0;
}

static int http_receive(struct estream_io *s, const char *method, const char *path, int *status,
			struct sbuf *out, void (*on_chunk)(void *, const char *, size_t), void *cls,
			struct berr *err)
{
	int rc;
	struct rbuf *b = xcalloc(1, sizeof *b);
	b->s = s;
	struct sbuf line = SBUF_INIT;
	long long clen = -1;
	bool chunked = false;
	rc = -1;
	if (rb_line(b, &line) < 0 || sscanf(sbuf_str(&line), "HTTP/1.%*d %d", status) != 1)
		goto bad;
	while (rb_line(b, &line) == 0 && line.len) {
		if (strncasecmp(line.buf, "Content-Length:", 15) == 0)
			clen = atoll(line.buf + 15);
		else if (strncasecmp(line.buf, "Transfer-Encoding:", 18) == 0 &&
			 strstr(line.buf + 18, "chunked"))
			chunked = true;
	}
	if (str_eq(method, "HEAD") || *status == 204 || *status == 304) {
		rc = 0;
		goto done;
	}
	if (chunked) {
		for (;;) {
			if (rb_line(b, &line) < 0)
				goto bad;
			long long n = strtoll(sbuf_str(&line), NULL, 16);
			if (n <= 0)
				break;
			if (read_body_len(b, n, out, on_chunk, cls) < 0 || rb_line(b, &line) < 0)
				goto bad;
		}
		rc = 0;
	} else {
		rc = read_body_len(b, clen, out, on_chunk, cls) < 0 ? -1 : 0;
		if (rc < 0)
			goto bad;
	}
done:
	sbuf_release(&line);
	free(b);
	return rc;
bad:
	sbuf_release(&line);
	free(b);
	return berr_set(err, BE_SERVER_UNREACHABLE, NULL, "bad or no answer to %s %s", method, path);
}

static int http_request(struct estream_io *s, const char *method, const char *path, const char *host,
			const char *ctype, const void *body, size_t len, int *status,
			struct sbuf *out, void (*on_chunk)(void *, const char *, size_t), void *cls,
			struct berr *err)
{
	if (http_send(s, method, path, host, ctype, body, len, err) < 0)
		return -1;
	return http_receive(s, method, path, status, out, on_chunk, cls, err);
}

/* berth speaks API 1.41 (Docker 20.10); newer engines serve it unless their minimum is
 * higher, older ones get their own version. */
static int vcmp(const char *a, const char *b)
{
	int a1 = 0, a2 = 0, b1 = 0, b2 = 0;
	sscanf(a, "%d.%d", &a1, &a2);
	sscanf(b, "%d.%d", &b1, &b2);
	return a1 != b1 ? a1 - b1 : a2 - b2;
}

static int negotiate(struct engine *e, struct berr *err)
{
	struct estream_io s;
	if (open_docker(e, &s, err) < 0)
		return -1;
	int status = 0;
	struct sbuf out = SBUF_INIT;
	int rc = http_request(&s, "GET", "/version", "docker", NULL, NULL, 0, &status, &out, NULL,
			      NULL, err);
	s_close(&s);
	const char *want = "1.41";
	json_t *v = rc == 0 && status == 200 ? json_loadb(out.buf, out.len, 0, NULL) : NULL;
	const char *api = json_string_value(json_object_get(v, "ApiVersion"));
	const char *min = json_string_value(json_object_get(v, "MinAPIVersion"));
	if (api && vcmp(api, want) < 0)
		want = api;
	else if (min && vcmp(min, want) > 0)
		want = min;
	snprintf(e->api, sizeof e->api, "%.15s", want);
	json_decref(v);
	sbuf_release(&out);
	return rc;
}

int engine_call_raw(struct engine *e, const char *method, const char *path, const char *ctype,
		    const void *body, size_t len, int *status, struct sbuf *out,
		    void (*on_chunk)(void *cls, const char *data, size_t len), void *cls,
		    struct berr *err)
{
	struct estream_io s;
	if (!e->api[0] && negotiate(e, err) < 0)
		return -1;
	if (open_docker(e, &s, err) < 0)
		return -1;
	char *p = xasprintf("/v%s%s", e->api, path);
	*status = 0;
	int rc = http_request(&s, method, p, "docker", ctype, body, len, status, out, on_chunk, cls,
			      err);
	free(p);
	s_close(&s);
	return rc;
}

int engine_call(struct engine *e, const char *method, const char *path, json_t *body, int *status,
		json_t **reply, struct berr *err)
{
	char *b = body ? json_dumps(body, JSON_COMPACT) : NULL;
	struct sbuf out = SBUF_INIT;
	int rc = engine_call_raw(e, method, path, b ? "application/json" : NULL, b, b ? strlen(b) : 0,
				 status, &out, NULL, NULL, err);
	if (b) {
		free(b);
	}
	if (reply)
		*reply = rc == 0 && out.len ? json_loadb(out.buf, out.len, JSON_DECODE_ANY, NULL) : NULL;
	sbuf_release(&out);
	return rc;
}

int engine_http_get(struct engine *e, int port, const char *path, const char *host_header,
		    int *status, struct sbuf *body, struct berr *err)
{
	struct estream_io s;
	if (open_tcp(e, port, &s, err) < 0)
		return -1;
	*status = 0;
	int rc = http_request(&s, "GET", path, host_header, NULL, NULL, 0, status, body, NULL, NULL, err);
	s_close(&s);
	return rc;
}

/* Requests on up to GET_MANY_AT_ONCE streams at once (the sockets, or channels of the one SSH
 * session, all opened and written before the first answer is read). */
#define GET_MANY_AT_ONCE 64

int engine_get_many(struct engine *e, const char *const *paths, size_t n, int *statuses,
		    struct sbuf *outs, struct berr *err)
{
	if (!e->api[0] && negotiate(e, err) < 0)
		return -1;
	int failed = 0;
	for (size_t base = 0; base < n; base += GET_MANY_AT_ONCE) {
		size_t m = n - base < GET_MANY_AT_ONCE ? n - base : GET_MANY_AT_ONCE;
		struct estream_io st[GET_MANY_AT_ONCE];
		bool open[GET_MANY_AT_ONCE] = {false};
		char *full[GET_MANY_AT_ONCE] = {NULL};
		for (size_t i = 0; i < m; i++) {
			statuses[base + i] = 0;
			full[i] = xasprintf("/v%s%s", e->api, paths[base + i]);
			struct berr lerr = {0};
			if (open_docker(e, &st[i], &lerr) < 0)
				continue;
			open[i] = true;
			if (http_send(&st[i], "GET", full[i], "docker", NULL, NULL, 0, &lerr) < 0) {
				s_close(&st[i]);
				open[i] = false;
			}
		}
		for (size_t i = 0; i < m; i++) {
			struct berr lerr = {0};
			if (!open[i] || http_receive(&st[i], "GET", full[i], &statuses[base + i],
						     &outs[base + i], NULL, NULL, &lerr) < 0) {
				if (!failed++)
					*err = lerr.code ? lerr : *err;
				statuses[base + i] = 0;
			}
			if (open[i])
				s_close(&st[i]);
			free(full[i]);
		}
	}
	if (failed == (int)n && n)
		return err->code ? -1 : berr_set(err, BE_SERVER_UNREACHABLE, NULL,
						 "the Docker Engine did not answer");
	return 0;
}

/* ---- engine_int.h: the streams, for engine_stream.c ---- */
int engine_io_open(struct engine *e, struct estream_io *io, struct berr *err)
{
	return open_docker(e, io, err);
}

int engine_io_write(struct estream_io *io, const void *buf, size_t len)
{
	return s_write(io, buf, len);
}

ssize_t engine_io_read(struct estream_io *io, void *buf, size_t len)
{
	return s_read(io, buf, len);
}

int engine_io_shutdown_write(struct estream_io *io)
{
	if (io->ch)
		return ssh_channel_send_eof(io->ch) == SSH_OK ? 0 : -1;
	return shutdown(io->fd, SHUT_WR);
}

void engine_io_close(struct estream_io *io)
{
	s_close(io);
}

const char *engine_api_version(struct engine *e, struct berr *err)
{
	if (!e->api[0] && negotiate(e, err) < 0)
		return NULL;
	return e->api;
}
