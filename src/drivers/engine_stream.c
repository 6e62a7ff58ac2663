/* engine_stream.c: Engine requests whose bodies stream both ways (engine_stream.h), over
 * engine.c's streams (engine_int.h).
 *
 * exec: POST /containers/{id}/exec, then POST /exec/{id}/start with `Upgrade: tcp`; after
 * the 101 answer the connection is the command's: stdin is written raw, the output comes
 * back in frames (8-byte header: stream 1 or 2, three zero bytes, the payload's length big-
 * endian). Closing stdin is a half-close (shutdown(SHUT_WR) of the socket; EOF on the SSH
 * channel, which sshd's direct-streamlocal forwarding turns into the same). The exit code is
 * GET /exec/{id}/json's.
 *
 * archive GET: the tar is the body (chunked or not). archive PUT: the tar is sent chunked
 * (Transfer-Encoding: chunked), gathered into chunks of up to 256 KiB. */
#include "drivers/engine_stream.h"

#include <curl/curl.h>
#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "drivers/engine_int.h"

#define RBUF (256 * 1024)
#define WBUF (256 * 1024)
/* Output the command makes while its stdin is being written is kept (up to this much) so
 * that a command that writes while it reads cannot block the writer (see exec_write). */
#define PENDING_MAX (64 * 1024 * 1024)

enum kind { K_EXEC, K_GET, K_PUT };

struct estream {
	struct engine *e;
	struct estream_io io;
	enum kind kind;
	char *exec_id;
	char *what; /* for messages */
	/* read buffer */
	char *rb;
	size_t roff, rlen, rcap;
	bool eof;
	/* exec frames */
	size_t frame_left;
	int frame_fd;
	/* GET body: -1 until EOF, else bytes left (content length), or chunked */
	bool chunked;
	long long body_left;
	bool stdin_closed;
	/* PUT chunk buffer */
	char *wb;
	size_t wlen;
	bool failed;
};

static char *esc(const char *s)
{
	char *e = curl_easy_escape(NULL, s, 0);
	char *out = xstrdup(e ? e : "");
	curl_free(e);
	return out;
}

static struct estream *es_new(struct engine *e, enum kind k, const char *what)
{
	struct estream *s = xcalloc(1, sizeof *s);
	s->e = e;
	s->kind = k;
	s->io.fd = -1;
	s->what = xstrdup(what);
	s->rb = xmalloc(RBUF);
	s->rcap = RBUF;
	s->body_left = -1;
	return s;
}

void estream_free(struct estream *s)
{
	if (!s)
		return;
	engine_io_close(&s->io);
	free(s->exec_id);
	free(s->what);
	free(s->rb);
	free(s->wb);
	free(s);
}

/* Fills the read buffer when empty: 1, 0 at the end, -1. */
static int fill(struct estream *s)
{
	if (s->roff < s->rlen)
		return 1;
	if (s->eof)
		return 0;
	ssize_t n = engine_io_read(&s->io, s->rb, s->rcap);
	if (n < 0)
		return -1;
	s->roff = 0;
	s->rlen = (size_t)(n > 0 ? n : 0);
	if (n == 0)
		s->eof = true;
	return n > 0;
}

/* Up to n bytes of the raw connection: buffered first, then straight into buf. */
static ssize_t raw_read(struct estream *s, void *buf, size_t n)
{
	if (s->roff < s->rlen) {
		size_t k = s->rlen - s->roff;
		if (k > n)
			k = n;
		memcpy(buf, s->rb + s->roff, k);
		s->roff += k;
		return (ssize_t)k;
	}
	if (s->eof)
		return 0;
	if (n >= 65536) { /* large reads skip the copy */
		ssize_t k = engine_io_read(&s->io, buf, n);
		if (k == 0)
			s->eof = true;
		return k;
	}
	int r = fill(s);
	if (r <= 0)
		return r;
	return raw_read(s, buf, n);
}

static int read_exact(struct estream *s, void *buf, size_t n)
{
	char *p = buf;
	while (n) {
		ssize_t k = raw_read(s, p, n);
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

static int line(struct estream *s, struct sbuf *out)
{
	sbuf_reset(out);
	for (;;) {
		int r = fill(s);
		if (r <= 0)
			return -1;
		char *start = s->rb + s->roff;
		char *nl = memchr(start, '\n', s->rlen - s->roff);
		size_t k = nl ? (size_t)(nl - start) : s->rlen - s->roff;
		if (out->len + k > 65536)
			return -1;
		sbuf_add(out, start, k);
		s->roff += k + (nl ? 1 : 0);
		if (nl) {
			if (out->len && out->buf[out->len - 1] == '\r')
				out->buf[--out->len] = '\0';
			return 0;
		}
	}
}

/* The status line and headers of an answer. */
static int read_head(struct estream *s, int *status, struct berr *err)
{
	struct sbuf l = SBUF_INIT;
	*status = 0;
	s->chunked = false;
	s->body_left = -1;
	if (line(s, &l) < 0 || sscanf(sbuf_str(&l), "HTTP/1.%*d %d", status) != 1) {
		sbuf_release(&l);
		return berr_set(err, BE_SERVER_UNREACHABLE, NULL, "bad or no answer to %s", s->what);
	}
	while (line(s, &l) == 0 && l.len) {
		if (strncasecmp(l.buf, "Content-Length:", 15) == 0)
			s->body_left = atoll(l.buf + 15);
		else if (strncasecmp(l.buf, "Transfer-Encoding:", 18) == 0 &&
			 strstr(l.buf + 18, "chunked"))
			s->chunked = true;
	}
	sbuf_release(&l);
	if (s->chunked)
		s->body_left = 0; /* the next chunk's size is read first */
	return 0;
}

/* The answer's body (dechunked): >0, 0 at its end, -1. */
static ssize_t body_read(struct estream *s, void *buf, size_t n)
{
	if (s->chunked) {
		if (s->body_left == 0) {
			struct sbuf l = SBUF_INIT;
			if (line(s, &l) < 0) {
				sbuf_release(&l);
				return -1;
			}
			if (l.len == 0 && line(s, &l) < 0) { /* the CRLF after a chunk */
				sbuf_release(&l);
				return -1;
			}
			long long size = strtoll(sbuf_str(&l), NULL, 16);
			sbuf_release(&l);
			if (size <= 0) {
				s->chunked = false;
				s->body_left = 0;
				s->eof = true;
				return 0;
			}
			s->body_left = size;
		}
		size_t k = (long long)n > s->body_left ? (size_t)s->body_left : n;
		ssize_t r = raw_read(s, buf, k);
		if (r <= 0)
			return -1; /* cut inside a chunk */
		s->body_left -= r;
		return r;
	}
	if (s->body_left == 0)
		return 0;
	size_t k = s->body_left > 0 && (long long)n > s->body_left ? (size_t)s->body_left : n;
	ssize_t r = raw_read(s, buf, k);
	if (r < 0)
		return -1;
	if (r == 0)
		return s->body_left > 0 ? -1 : 0;
	if (s->body_left > 0)
		s->body_left -= r;
	return r;
}

static void read_error_body(struct estream *s, struct sbuf *out)
{
	char buf[4096];
	ssize_t n;
	while (out->len < 8192 && (n = body_read(s, buf, sizeof buf)) > 0)
		sbuf_add(out, buf, (size_t)n);
}

static const char *docker_message(struct sbuf *body)
{
	/* {"message":"..."} */
	const char *m = strstr(sbuf_str(body), "\"message\":\"");
	if (!m)
		return sbuf_str(body);
	m += 11;
	char *end = strchr(m, '"');
	if (end)
		*end = '\0';
	return m;
}

/* ---- exec ---- */
struct estream *engine_exec_open(struct engine *e, const char *container,
				 const char *const *argv, const char *const *envv,
				 const char *user, bool with_stdin, struct berr *err)
{
	const char *api = engine_api_version(e, err);
	if (!api)
		return NULL;
	json_t *cmd = json_array();
	for (size_t i = 0; argv[i]; i++)
		json_array_append_new(cmd, json_string(argv[i]));
	json_t *body = json_pack("{s:b, s:b, s:b, s:b, s:o}", "AttachStdin", with_stdin,
				 "AttachStdout", 1, "AttachStderr", 1, "Tty", 0, "Cmd", cmd);
	if (envv) {
		json_t *env = json_array();
		for (size_t i = 0; envv[i]; i++)
			json_array_append_new(env, json_string(envv[i]));
		json_object_set_new(body, "Env", env);
	}
	if (user)
		json_object_set_new(body, "User", json_string(user));
	char *c = esc(container);
	char *path = xasprintf("/containers/%s/exec", c);
	int status = 0;
	json_t *reply = NULL;
	int rc = engine_call(e, "POST", path, body, &status, &reply, err);
	json_decref(body);
	free(path);
	free(c);
	if (rc < 0)
		return NULL;
	const char *id = json_string_value(json_object_get(reply, "Id"));
	if (status != 201 || !id) {
		const char *m = json_string_value(json_object_get(reply, "message"));
		berr_set(err, status == 404   ? BE_NOT_FOUND
			      : status == 409 ? BE_CONFLICT
					      : BE_INTERNAL_ERROR,
			 NULL, "Docker: exec in %s: %d %s", container, status, m ? m : "");
		json_decref(reply);
		return NULL;
	}
	struct estream *s = es_new(e, K_EXEC, "exec start");
	s->exec_id = xstrdup(id);
	json_decref(reply);
	if (engine_io_open(e, &s->io, err) < 0) {
		estream_free(s);
		return NULL;
	}
	static const char start[] = "{\"Detach\":false,\"Tty\":false}";
	struct sbuf req = SBUF_INIT;
	sbuf_addf(&req,
		  "POST /v%s/exec/%s/start HTTP/1.1\r\nHost: docker\r\nUser-Agent: berth\r\n"
		  "Content-Type: application/json\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
		  "Content-Length: %zu\r\n\r\n%s",
		  api, s->exec_id, sizeof start - 1, start);
	rc = engine_io_write(&s->io, req.buf, req.len);
	sbuf_release(&req);
	if (rc < 0) {
		berr_set(err, BE_SERVER_UNREACHABLE, NULL, "writing the exec start request failed");
		estream_free(s);
		return NULL;
	}
	if (read_head(s, &status, err) < 0) {
		estream_free(s);
		return NULL;
	}
	if (status != 101 && status != 200) {
		struct sbuf b = SBUF_INIT;
		read_error_body(s, &b);
		berr_set(err, BE_INTERNAL_ERROR, NULL, "Docker: exec start in %s: %d %.200s",
			 container, status, docker_message(&b));
		sbuf_release(&b);
		estream_free(s);
		return NULL;
	}
	/* after the switch the bytes are the stream's own, not an HTTP body */
	s->chunked = false;
	s->body_left = -1;
	if (!with_stdin)
		s->stdin_closed = true;
	return s;
}

/* Room for more bytes at the end of the read buffer (the unread ones moved first). */
static int rb_room(struct estream *s, size_t want)
{
	if (s->roff) {
		memmove(s->rb, s->rb + s->roff, s->rlen - s->roff);
		s->rlen -= s->roff;
		s->roff = 0;
	}
	if (s->rcap - s->rlen >= want)
		return 0;
	if (s->rlen + want > PENDING_MAX)
		return -1;
	size_t cap = s->rcap * 2;
	while (cap < s->rlen + want)
		cap *= 2;
	s->rb = xrealloc(s->rb, cap);
	s->rcap = cap;
	return 0;
}

/* Reads what output has arrived, without waiting, into the read buffer. 0 or -1 (too much
 * output left unread, or the connection failed). */
static int drain(struct estream *s)
{
	for (;;) {
		if (s->eof)
			return 0;
		if (s->io.ch) {
			/* a read that does not wait; libssh also opens our receive window again
			 * (below half its size it grows it back), so that sshd can go on sending */
			if (rb_room(s, 65536) < 0)
				return -1;
			size_t room = s->rcap - s->rlen;
			int k = ssh_channel_read_timeout(s->io.ch, s->rb + s->rlen,
							 (uint32_t)(room > 1048576 ? 1048576 : room), 0, 0);
			if (k == SSH_ERROR)
				return -1;
			if (k == 0) {
				if (ssh_channel_is_eof(s->io.ch) || !ssh_channel_is_open(s->io.ch))
					s->eof = true;
				return 0;
			}
			s->rlen += (size_t)k;
			continue;
		}
		if (rb_room(s, 65536) < 0)
			return -1;
		ssize_t k = recv(s->io.fd, s->rb + s->rlen, s->rcap - s->rlen, MSG_DONTWAIT);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
		if (k == 0) {
			s->eof = true;
			return 0;
		}
		s->rlen += (size_t)k;
	}
}

/* Writes to the command's stdin. The command may write output meanwhile (psql's notices,
 * errors): when it writes more than the pipes and sockets between it and berthd hold and
 * nobody reads, it stops reading its stdin and the writer waits forever. So the output that
 * has arrived is read into the read buffer before each piece is written (up to
 * PENDING_MAX), where estream_read finds it. */
static long long mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int exec_write(struct estream *s, const char *p, size_t n)
{
	long long since = 0; /* when sshd's window closed */
	while (n) {
		if (drain(s) < 0)
			return -1;
		if (s->io.ch) {
			/* never more than sshd's window allows, so that the write does not wait
			 * inside libssh while output piles up unread */
			uint32_t win = ssh_channel_window_size(s->io.ch);
			if (win == 0) {
				if (!ssh_channel_is_open(s->io.ch))
					return -1;
				/* a short wait: a window adjustment does not end the poll */
				if (ssh_channel_poll_timeout(s->io.ch, 5, 0) == SSH_ERROR)
					return -1;
				if (!since)
					since = mono_ms();
				else if (mono_ms() - since > s->io.timeout_ms)
					return -1;
				continue;
			}
			since = 0;
			size_t k = n < win ? n : win;
			if (k > 32768)
				k = 32768;
			if (engine_io_write(&s->io, p, k) < 0)
				return -1;
			p += k;
			n -= k;
			continue;
		}
		struct pollfd pfd = {s->io.fd, (short)(POLLOUT | (s->eof ? 0 : POLLIN)), 0};
		int pr = poll(&pfd, 1, s->io.timeout_ms);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			return -1;
		if (!(pfd.revents & (POLLOUT | POLLERR | POLLHUP)))
			continue; /* output to read first */
		ssize_t k = send(s->io.fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (k < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
			continue;
		if (k < 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

int estream_write(struct estream *s, const void *buf, size_t n, struct berr *err)
{
	if (s->failed)
		return berr_set(err, BE_INTERNAL_ERROR, NULL, "%s: the stream failed before",
				s->what);
	if (s->kind == K_PUT) {
		const char *p = buf;
		while (n) {
			size_t k = WBUF - s->wlen;
			if (k > n)
				k = n;
			if (!s->wlen && n >= WBUF) { /* a large write is one chunk of its own */
				char head[32];
				int hl = snprintf(head, sizeof head, "%zx\r\n", n);
				if (engine_io_write(&s->io, head, (size_t)hl) < 0 ||
				    engine_io_write(&s->io, p, n) < 0 ||
				    engine_io_write(&s->io, "\r\n", 2) < 0)
					goto failed;
				return 0;
			}
			memcpy(s->wb + s->wlen, p, k);
			s->wlen += k;
			p += k;
			n -= k;
			if (s->wlen == WBUF) {
				char head[32];
				int hl = snprintf(head, sizeof head, "%zx\r\n", s->wlen);
				if (engine_io_write(&s->io, head, (size_t)hl) < 0 ||
				    engine_io_write(&s->io, s->wb, s->wlen) < 0 ||
				    engine_io_write(&s->io, "\r\n", 2) < 0)
					goto failed;
				s->wlen = 0;
			}
		}
		return 0;
	}
	if (s->kind != K_EXEC || s->stdin_closed)
		return berr_set(err, BE_INTERNAL_ERROR, NULL, "%s: stdin is closed", s->what);
	if (n && exec_write(s, buf, n) < 0) {
		s->failed = true;
		if (s->rlen > PENDING_MAX - 65536)
			return berr_set(err, BE_INTERNAL_ERROR, NULL,
					"%s: the command wrote more than %d MiB that was not read while "
					"its input was written",
					s->what, PENDING_MAX >> 20);
		return berr_set(err, BE_SERVER_UNREACHABLE, NULL,
				"%s: writing the command's input failed (or timed out)", s->what);
	}
	return 0;
failed:
	s->failed = true;
	return berr_set(err, BE_SERVER_UNREACHABLE, NULL, "%s: writing to the Docker Engine failed",
			s->what);
}

int estream_close_write(struct estream *s, struct berr *err)
{
	if (s->kind != K_EXEC)
		return berr_set(err, BE_INTERNAL_ERROR, NULL, "%s: not an exec", s->what);
	if (s->stdin_closed)
		return 0;
	s->stdin_closed = true;
	if (engine_io_shutdown_write(&s->io) < 0)
		return berr_set(err, BE_SERVER_UNREACHABLE, NULL, "%s: closing stdin failed: %s",
				s->what, strerror(errno));
	return 0;
}

ssize_t estream_read(struct estream *s, void *buf, size_t n, int *fd, struct berr *err)
{
	if (s->failed)
		return berr_set(err, BE_INTERNAL_ERROR, NULL, "%s: the stream failed before",
				s->what);
	if (n == 0)
		return 0;
	if (s->kind == K_GET) {
		if (fd)
			*fd = 1;
		ssize_t k = body_read(s, buf, n);
		if (k < 0) {
			s->failed = true;
			return berr_set(err, BE_SERVER_UNREACHABLE, NULL,
					"%s: the Docker Engine's answer was cut short (or timed out)",
					s->what);
		}
		return k;
	}
	if (s->kind != K_EXEC)
		return berr_set(err, BE_INTERNAL_ERROR, NULL, "%s: nothing to read yet", s->what);
	while (s->frame_left == 0) {
		unsigned char h[8];
		ssize_t k = raw_read(s, h, 1);
		if (k == 0)
			return 0; /* the command's output ended */
		if (k < 0 || read_exact(s, h + 1, 7) < 0) {
			s->failed = true;
			return berr_set(err, BE_SERVER_UNREACHABLE, NULL,
					"%s: the output stream was cut short (or timed out)", s->what);
		}
		if (h[0] > 2 || h[1] || h[2] || h[3]) {
			s->failed = true;
			return berr_set(err, BE_INTERNAL_ERROR, NULL, "%s: not a multiplexed stream",
					s->what);
		}
		s->frame_fd = h[0] == 2 ? 2 : 1;
		s->frame_left = ((size_t)h[4] << 24) | ((size_t)h[5] << 16) | ((size_t)h[6] << 8) | h[7];
	}
	size_t want = n < s->frame_left ? n : s->frame_left;
	ssize_t k = raw_read(s, buf, want);
	if (k <= 0) {
		s->failed = true;
		return berr_set(err, BE_SERVER_UNREACHABLE, NULL,
				"%s: the output stream was cut short (or timed out)", s->what);
	}
	s->frame_left -= (size_t)k;
	if (fd)
		*fd = s->frame_fd;
	return k;
}

int engine_exec_close(struct estream *s, int *exit_code, struct sbuf *tail, struct berr *err)
{
	int rc = 0;
	if (s->kind != K_EXEC) {
		estream_free(s);
		return berr_set(err, BE_INTERNAL_ERROR, NULL, "not an exec stream");
	}
	if (!s->stdin_closed)
		estream_close_write(s, err);
	char *buf = xmalloc(RBUF);
	ssize_t k;
	int fd = 0;
	while ((k = estream_read(s, buf, RBUF, &fd, err)) > 0) {
		if (tail && fd == 2) {
			sbuf_add(tail, buf, (size_t)k);
			if (tail->len > 8192) { /* keep the last 4 KiB */
				memmove(tail->buf, tail->buf + tail->len - 4096, 4096);
				tail->len = 4096;
				tail->buf[4096] = '\0';
			}
		}
	}
	free(buf);
	if (tail && tail->len > 4096) {
		memmove(tail->buf, tail->buf + tail->len - 4096, 4096);
		tail->len = 4096;
		tail->buf[4096] = '\0';
	}
	if (k < 0)
		rc = -1;
	engine_io_close(&s->io);
	if (rc == 0) {
		char *path = xasprintf("/exec/%s/json", s->exec_id);
		/* the stream ends when the command's output does; its state follows at once */
		for (int tries = 0;; tries++) {
			int status = 0;
			json_t *j = NULL;
			if (engine_call(s->e, "GET", path, NULL, &status, &j, err) < 0) {
				rc = -1;
				break;
			}
			json_t *code = json_object_get(j, "ExitCode");
			bool running = json_is_true(json_object_get(j, "Running"));
			if (status == 200 && !running && json_is_integer(code)) {
				if (exit_code)
					*exit_code = (int)json_integer_value(code);
				json_decref(j);
				break;
			}
			json_decref(j);
			if (status != 200 || tries >= 100) {
				rc = berr_set(err, BE_INTERNAL_ERROR, NULL,
					      "Docker: no exit code for exec %s (%d)", s->exec_id, status);
				break;
			}
			struct timespec ts = {0, 50 * 1000 * 1000};
			nanosleep(&ts, NULL);
		}
		free(path);
	}
	estream_free(s);
	return rc;
}

/* ---- archives ---- */
struct estream *engine_archive_get_open(struct engine *e, const char *container,
					const char *path, int *status, struct berr *err)
{
	int st = 0;
	if (!status)
		status = &st;
	*status = 0;
	const char *api = engine_api_version(e, err);
	if (!api)
		return NULL;
	char *c = esc(container), *p = esc(path);
	struct sbuf what = SBUF_INIT;
	sbuf_addf(&what, "GET %s:%s", container, path);
	struct estream *s = es_new(e, K_GET, sbuf_str(&what));
	sbuf_release(&what);
	struct sbuf req = SBUF_INIT;
	sbuf_addf(&req,
		  "GET /v%s/containers/%s/archive?path=%s HTTP/1.1\r\nHost: docker\r\n"
		  "User-Agent: berth\r\nConnection: close\r\n\r\n",
		  api, c, p);
	free(c);
	free(p);
	if (engine_io_open(e, &s->io, err) < 0)
		goto fail;
	if (engine_io_write(&s->io, req.buf, req.len) < 0) {
		berr_set(err, BE_SERVER_UNREACHABLE, NULL, "%s: writing the request failed", s->what);
		goto fail;
	}
	if (read_head(s, status, err) < 0)
		goto fail;
	if (*status != 200) {
		struct sbuf b = SBUF_INIT;
		read_error_body(s, &b);
		berr_set(err, *status == 404 ? BE_NOT_FOUND : BE_INTERNAL_ERROR, NULL,
			 "Docker: archive of %s:%s: %d %.200s", container, path, *status,
			 docker_message(&b));
		sbuf_release(&b);
		goto fail;
	}
	sbuf_release(&req);
	return s;
fail:
	sbuf_release(&req);
	estream_free(s);
	return NULL;
}

struct estream *engine_archive_put_open(struct engine *e, const char *container,
					const char *dir, struct berr *err)
{
	const char *api = engine_api_version(e, err);
	if (!api)
		return NULL;
	char *c = esc(container), *d = esc(dir);
	struct sbuf what = SBUF_INIT;
	sbuf_addf(&what, "PUT %s:%s", container, dir);
	struct estream *s = es_new(e, K_PUT, sbuf_str(&what));
	sbuf_release(&what);
	s->wb = xmalloc(WBUF);
	struct sbuf req = SBUF_INIT;
	sbuf_addf(&req,
		  "PUT /v%s/containers/%s/archive?path=%s HTTP/1.1\r\nHost: docker\r\n"
		  "User-Agent: berth\r\nContent-Type: application/x-tar\r\n"
		  "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
		  api, c, d);
	free(c);
	free(d);
	int rc = engine_io_open(e, &s->io, err);
	if (rc == 0 && engine_io_write(&s->io, req.buf, req.len) < 0)
		rc = berr_set(err, BE_SERVER_UNREACHABLE, NULL, "%s: writing the request failed",
			      s->what);
	sbuf_release(&req);
	if (rc < 0) {
		estream_free(s);
		return NULL;
	}
	return s;
}

int engine_archive_put_finish(struct estream *s, struct berr *err)
{
	int rc = 0;
	if (s->kind != K_PUT) {
		estream_free(s);
		return berr_set(err, BE_INTERNAL_ERROR, NULL, "not an archive PUT");
	}
	bool write_failed = s->failed;
	if (!write_failed && s->wlen) {
		char head[32];
		int hl = snprintf(head, sizeof head, "%zx\r\n", s->wlen);
		if (engine_io_write(&s->io, head, (size_t)hl) < 0 ||
		    engine_io_write(&s->io, s->wb, s->wlen) < 0 ||
		    engine_io_write(&s->io, "\r\n", 2) < 0)
			rc = -1;
		s->wlen = 0;
	}
	if (rc == 0 && !write_failed && engine_io_write(&s->io, "0\r\n\r\n", 5) < 0)
		rc = -1;
	if (rc < 0)
		write_failed = true;
	rc = 0;
	/* when the writing failed, the Engine may have answered (and closed) early: its answer
	 * says why */
	int status = 0;
	struct berr herr = {0};
	if (read_head(s, &status, &herr) < 0) {
		if (write_failed)
			berr_set(err, BE_SERVER_UNREACHABLE, NULL,
				 "%s: writing to the Docker Engine failed", s->what);
		else
			*err = herr;
		estream_free(s);
		return -1;
	}
	struct sbuf b = SBUF_INIT;
	read_error_body(s, &b);
	if (status != 200)
		rc = berr_set(err, status == 404 ? BE_NOT_FOUND : BE_INTERNAL_ERROR, NULL,
			      "Docker: %s: %d %.200s", s->what, status, docker_message(&b));
	else if (write_failed)
		rc = berr_set(err, BE_SERVER_UNREACHABLE, NULL,
			      "%s: writing to the Docker Engine failed", s->what);
	sbuf_release(&b);
	estream_free(s);
	return rc;
}
