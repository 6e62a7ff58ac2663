/* engine_ops.c: Docker Engine objects (networks, volumes, containers, images, exec) on top of
 * engine_call / engine_call_raw (engine.c). Names are berth's own, validated by the callers;
 * they still go through URL escaping since they travel in request paths. */
#include <archive.h>
#include <archive_entry.h>
#include <curl/curl.h>
#include <string.h>
#include <unistd.h>
#include <sodium.h>

#include "drivers/engine.h"

static char *esc(const char *s)
{
	char *e = curl_easy_escape(NULL, s, 0);
	char *out = xstrdup(e);
	curl_free(e);
	return out;
}

static int api_error(struct berr *err, const char *what, int status, json_t *reply)
{
	const char *m = json_string_value(json_object_get(reply, "message"));
	return berr_set(err, BE_INTERNAL_ERROR, NULL, "Docker: %s: %d %s", what, status, m ? m : "");
}

static int call(struct engine *e, const char *method, const char *path, json_t *body,
		const char *what, const int *ok_statuses, struct berr *err)
{
	int status = 0;
	json_t *reply = NULL;
	if (engine_call(e, method, path, body, &status, &reply, err) < 0)
		return -1;
	for (const int *s = ok_statuses; *s; s++)
		if (status == *s) {
			json_decref(reply);
			return 0;
		}
	int rc = api_error(err, what, status, reply);
	json_decref(reply);
	return rc;
}

static ssize_t tar_write(struct archive *a, void *cls, const void *buf, size_t len)
{
	(void)a;
	sbuf_add(cls, buf, len);
	return (ssize_t)len;
}

void engine_tar(const struct efile *files, size_t n, struct sbuf *out)
{
	struct archive *a = archive_write_new();
	archive_write_set_format_pax_restricted(a);
	archive_write_set_bytes_in_last_block(a, 1);
	archive_write_open(a, out, NULL, tar_write, NULL);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *en = archive_entry_new();
		archive_entry_set_pathname(en, files[i].path);
		archive_entry_set_size(en, (la_int64_t)files[i].len);
		archive_entry_set_filetype(en, AE_IFREG);
		archive_entry_set_perm(en, files[i].mode ? files[i].mode : 0644);
		archive_entry_set_mtime(en, 0, 0); /* reproducible contexts */
		archive_write_header(a, en);
		if (files[i].len)
			archive_write_data(a, files[i].data, files[i].len);
		archive_entry_free(en);
	}
	archive_write_close(a);
	archive_write_free(a);
}

int engine_network_ensure(struct engine *e, const char *name, json_t *labels, struct berr *err)
{
	char *n = esc(name);
	char *path = xasprintf("/networks/%s", n);
	int status = 0;
	json_t *reply = NULL;
	int rc = engine_call(e, "GET", path, NULL, &status, &reply, err);
	json_decref(reply);
	if (rc == 0 && status == 404) {
		json_t *body = json_pack("{s:s,s:s,s:b,s:o}", "Name", name, "Driver", "bridge",
					 "CheckDuplicate", 1, "Labels", labels);
		labels = NULL;
		static const int ok[] = {201, 409, 0};
		rc = call(e, "POST", "/networks/create", body, "create network", ok, err);
		json_decref(body);
	} else if (rc == 0 && status != 200) {
		rc = berr_set(err, BE_INTERNAL_ERROR, NULL, "Docker: inspect network %s: %d", name, status);
	}
	json_decref(labels);
	free(path);
	free(n);
	return rc;
}

int engine_volume_ensure(struct engine *e, const char *name, json_t *labels, struct berr *err)
{
	/* volume create is idempotent for an existing name */
	json_t *body = json_pack("{s:s,s:o}", "Name", name, "Labels", labels);
	static const int ok[] = {200, 201, 0};
	int rc = call(e, "POST", "/volumes/create", body, "create volume", ok, err);
	json_decref(body);
	return rc;
}

json_t *engine_container_inspect(struct engine *e, const char *name)
{
	char *n = esc(name);
	char *path = xasprintf("/containers/%s/json", n);
	int status = 0;
	json_t *reply = NULL;
	struct berr err = {0};
	engine_call(e, "GET", path, NULL, &status, &reply, &err);
	free(path);
	free(n);
	if (status != 200) {
		json_decref(reply);
		return NULL;
	}
	return reply;
}

int engine_container_create(struct engine *e, const char *name, json_t *spec, struct berr *err)
{
	char *n = esc(name);
	char *path = xasprintf("/containers/create?name=%s", n);
	static const int ok[] = {201, 0};
	int rc = call(e, "POST", path, spec, "create container", ok, err);
	free(path);
	free(n);
	return rc;
}

static int container_action(struct engine *e, const char *name, const char *fmt, const char *what,
			    const int *ok, struct berr *err)
{
	char *n = esc(name);
	char *path = xasprintf(fmt, n);
	int rc = call(e, "POST", path, NULL, what, ok, err);
	free(path);
	free(n);
	return rc;
}

int engine_container_start(struct engine *e, const char *name, struct berr *err)
{
	static const int ok[] = {204, 304, 0};
	return container_action(e, name, "/containers/%s/start", "start container", ok, err);
}

int engine_container_stop(struct engine *e, const char *name, int timeout_s, struct berr *err)
{
	char *n = esc(name);
	char *path = xasprintf("/containers/%s/stop?t=%d", n, timeout_s);
	static const int ok[] = {204, 304, 404, 0};
	int rc = call(e, "POST", path, NULL, "stop container", ok, err);
	free(path);
	free(n);
	return rc;
}

int engine_container_remove(struct engine *e, const char *name, struct berr *err)
{
	char *n = esc(name);
	/* v=1: the container's anonymous volumes (an image's VOLUMEs that no named volume
	 * covers, e.g. the Odoo image's /mnt/extra-addons) go with it; named volumes stay */
	char *path = xasprintf("/containers/%s?force=1&v=1", n);
	static const int ok[] = {204, 404, 0};
	int rc = call(e, "DELETE", path, NULL, "remove container", ok, err);
	/* removal is asynchronous while "removal in progress": wait until the name is free */
	for (int i = 0; rc == 0 && i < 100; i++) {
		json_t *c = engine_container_inspect(e, name);
		if (!c)
			break;
		json_decref(c);
		usleep(100000);
	}
	free(path);
	free(n);
	return rc;
}

int engine_container_kill(struct engine *e, const char *name, const char *signal, struct berr *err)
{
	char *n = esc(name);
	char *path = xasprintf("/containers/%s/kill?signal=%s", n, signal);
	static const int ok[] = {204, 0};
	int rc = call(e, "POST", path, NULL, "signal container", ok, err);
	free(path);
	free(n);
	return rc;
}

int engine_network_connect(struct engine *e, const char *network, const char *container,
			   struct berr *err)
{
	json_t *c = engine_container_inspect(e, container);
	bool already = c && json_object_get(json_object_get(json_object_get(c, "NetworkSettings"),
							     "Networks"), network);
	json_decref(c);
	if (already)
		return 0;
	char *n = esc(network);
	char *path = xasprintf("/networks/%s/connect", n);
	json_t *body = json_pack("{s:s}", "Container", container);
	static const int ok[] = {200, 0};
	int rc = call(e, "POST", path, body, "connect network", ok, err);
	json_decref(body);
	free(path);
	free(n);
	return rc;
}

int engine_network_remove(struct engine *e, const char *name, struct berr *err)
{
	char *n = esc(name);
	char *path = xasprintf("/networks/%s", n);
	static const int ok[] = {204, 200, 404, 0};
	int rc = call(e, "DELETE", path, NULL, "remove network", ok, err);
	free(path);
	free(n);
	return rc;
}

int engine_volume_remove(struct engine *e, const char *name, struct berr *err)
{
	char *n = esc(name);
	char *path = xasprintf("/volumes/%s?force=1", n);
	static const int ok[] = {204, 404, 0};
	int rc = call(e, "DELETE", path, NULL, "remove volume", ok, err);
	free(path);
	free(n);
	return rc;
}

int engine_put_files(struct engine *e, const char *container, const char *dir,
		     const struct efile *files, size_t n, struct berr *err)
{
	struct sbuf tar = SBUF_INIT;
	engine_tar(files, n, &tar);
	char *c = esc(container), *d = esc(dir);
	char *path = xasprintf("/containers/%s/archive?path=%s", c, d);
	int status = 0;
	struct sbuf out = SBUF_INIT;
	int rc = engine_call_raw(e, "PUT", path, "application/x-tar", tar.buf, tar.len, &status, &out,
				 NULL, NULL, err);
	if (rc == 0 && status != 200)
		rc = berr_set(err, BE_INTERNAL_ERROR, NULL, "Docker: put files into %s:%s: %d %.200s",
			      container, dir, status, sbuf_str(&out));
	if (tar.buf)
		sodium_memzero(tar.buf, tar.len); /* the tar may hold passwords */
	sbuf_release(&tar);
	sbuf_release(&out);
	free(path);
	free(c);
	free(d);
	return rc;
}

/* Docker multiplexes exec and log output in frames: 8-byte header (stream, 0,0,0, size BE). */
static void demux(const struct sbuf *in, struct sbuf *out)
{
	size_t i = 0;
	while (i + 8 <= in->len) {
		const unsigned char *h = (const unsigned char *)in->buf + i;
		size_t sz = ((size_t)h[4] << 24) | ((size_t)h[5] << 16) | ((size_t)h[6] << 8) | h[7];
		if (h[0] > 2 || h[1] || h[2] || h[3] || i + 8 + sz > in->len) {
			sbuf_add(out, in->buf + i, in->len - i); /* not multiplexed (tty) */
			return;
		}
		sbuf_add(out, in->buf + i + 8, sz);
		i += 8 + sz;
	}
}

int engine_exec(struct engine *e, const char *container, const char *const *argv, const char *user,
		int *exit_code, struct sbuf *out, struct berr *err)
{
	return engine_exec_env(e, container, argv, NULL, user, exit_code, out, err);
}

int engine_exec_env(struct engine *e, const char *container, const char *const *argv,
		    const char *const *envv, const char *user, int *exit_code, struct sbuf *out,
		    struct berr *err)
{
	json_t *cmd = json_array();
	for (const char *const *a = argv; *a; a++)
		json_array_append_new(cmd, json_string(*a));
	json_t *body = json_pack("{s:b,s:b,s:o}", "AttachStdout", 1, "AttachStderr", 1, "Cmd", cmd);
	if (user)
		json_object_set_new(body, "User", json_string(user));
	if (envv) {
		json_t *ev = json_array();
		for (const char *const *a = envv; *a; a++)
			json_array_append_new(ev, json_string(*a));
		json_object_set_new(body, "Env", ev);
	}
	char *c = esc(container);
	char *path = xasprintf("/containers/%s/exec", c);
	int status = 0;
	json_t *reply = NULL;
	int rc = engine_call(e, "POST", path, body, &status, &reply, err);
	json_decref(body);
	free(path);
	free(c);
	if (rc < 0)
		return -1;
	if (status != 201) {
		rc = api_error(err, "exec", status, reply);
		json_decref(reply);
		return rc;
	}
	char *id = xstrdup(json_string_value(json_object_get(reply, "Id")));
	json_decref(reply);
	path = xasprintf("/exec/%s/start", id);
	const char *start = "{\"Detach\":false,\"Tty\":false}";
	struct sbuf raw = SBUF_INIT;
	rc = engine_call_raw(e, "POST", path, "application/json", start, strlen(start), &status, &raw,
			     NULL, NULL, err);
	free(path);
	if (rc == 0 && status != 200)
		rc = berr_set(err, BE_INTERNAL_ERROR, NULL, "Docker: exec start: %d", status);
	if (rc == 0 && out)
		demux(&raw, out);
	sbuf_release(&raw);
	if (rc == 0) {
		path = xasprintf("/exec/%s/json", id);
		reply = NULL;
		rc = engine_call(e, "GET", path, NULL, &status, &reply, err);
		*exit_code = json_is_integer(json_object_get(reply, "ExitCode"))
				     ? (int)json_integer_value(json_object_get(reply, "ExitCode"))
				     : -1;
		json_decref(reply);
		free(path);
	}
	free(id);
	return rc;
}

int engine_container_wait(struct engine *e, const char *name, int *exit_code, struct berr *err)
{
	char *n = esc(name);
	char *path = xasprintf("/containers/%s/wait", n);
	int status = 0;
	json_t *reply = NULL;
	int rc = engine_call(e, "POST", path, NULL, &status, &reply, err);
	if (rc == 0 && status != 200)
		rc = api_error(err, "wait container", status, reply);
	if (rc == 0)
		*exit_code = (int)json_integer_value(json_object_get(reply, "StatusCode"));
	json_decref(reply);
	free(path);
	free(n);
	return rc;
}

int engine_container_logs(struct engine *e, const char *name, int tail, struct sbuf *out,
			  struct berr *err)
{
	char *n = esc(name);
	char *path = xasprintf("/containers/%s/logs?stdout=1&stderr=1&tail=%d", n, tail);
	int status = 0;
	struct sbuf raw = SBUF_INIT;
	int rc = engine_call_raw(e, "GET", path, NULL, NULL, 0, &status, &raw, NULL, NULL, err);
	if (rc == 0 && status == 200)
		demux(&raw, out);
	sbuf_release(&raw);
	free(path);
	free(n);
	return rc;
}

bool engine_image_exists(struct engine *e, const char *ref)
{
	char *r = esc(ref);
	char *path = xasprintf("/images/%s/json", r);
	int status = 0;
	json_t *reply = NULL;
	struct berr err = {0};
	engine_call(e, "GET", path, NULL, &status, &reply, &err);
	json_decref(reply);
	free(path);
	free(r);
	return status == 200;
}

struct progress {
	struct sbuf line;
	void (*on_line)(void *cls, const char *line);
	void *cls;
	char error[400];
};

/* Build and pull answer with JSON lines: {"stream": "..."} / {"status": ...} / {"error": ...}. */
static void progress_chunk(void *cls, const char *data, size_t len)
{
	struct progress *p = cls;
	for (size_t i = 0; i < len; i++) {
		if (data[i] != '\n') {
			sbuf_addc(&p->line, data[i]);
			continue;
		}
		json_t *o = json_loads(sbuf_str(&p->line), 0, NULL);
		const char *s = json_string_value(json_object_get(o, "stream"));
		const char *er = json_string_value(json_object_get(o, "error"));
		if (er)
			snprintf(p->error, sizeof p->error, "%s", er);
		if (s && p->on_line) {
			char *copy = xstrdup(s);
			size_t n = strlen(copy);
			while (n && (copy[n - 1] == '\n' || copy[n - 1] == '\r'))
				copy[--n] = '\0';
			if (n)
				p->on_line(p->cls, copy);
			free(copy);
		}
		json_decref(o);
		sbuf_reset(&p->line);
	}
}

int engine_image_build(struct engine *e, const char *tag, const struct sbuf *context,
		       void (*on_line)(void *cls, const char *line), void *cls, struct berr *err)
{
	char *t = esc(tag);
	char *path = xasprintf("/build?t=%s&rm=1&forcerm=1&labels=%%7B%%22berth.managed%%22%%3A%%221%%22%%7D", t);
	struct progress p = {SBUF_INIT, on_line, cls, ""};
	int status = 0;
	int rc = engine_call_raw(e, "POST", path, "application/x-tar", context->buf, context->len,
				 &status, NULL, progress_chunk, &p, err);
	if (rc == 0 && (status != 200 || p.error[0]))
		rc = berr_set(err, BE_INTERNAL_ERROR, NULL, "building %s failed: %s", tag,
			      p.error[0] ? p.error : "the Engine refused the build");
	sbuf_release(&p.line);
	free(path);
	free(t);
	return rc;
}

int engine_image_pull(struct engine *e, const char *ref, struct berr *err)
{
	char *r = esc(ref);
	char *path = xasprintf("/images/create?fromImage=%s", r);
	struct progress p = {SBUF_INIT, NULL, NULL, ""};
	int status = 0;
	int rc = engine_call_raw(e, "POST", path, NULL, NULL, 0, &status, NULL, progress_chunk, &p, err);
	if (rc == 0 && (status != 200 || p.error[0]))
		rc = berr_set(err, BE_INTERNAL_ERROR, NULL, "pulling %s failed: %s", ref,
			      p.error[0] ? p.error : "the Engine refused the pull");
	sbuf_release(&p.line);
	free(path);
	free(r);
	return rc;
}

int engine_image_import(struct engine *e, const char *tag, const void *tar, size_t len,
			struct berr *err)
{
	const char *colon = strrchr(tag, ':');
	char *repo = colon ? xstrndup(tag, (size_t)(colon - tag)) : xstrdup(tag);
	char *r = esc(repo);
	char *path = xasprintf("/images/create?fromSrc=-&repo=%s&tag=%s", r, colon ? colon + 1 : "latest");
	struct progress p = {SBUF_INIT, NULL, NULL, ""};
	int status = 0;
	int rc = engine_call_raw(e, "POST", path, "application/x-tar", tar, len, &status, NULL,
				 progress_chunk, &p, err);
	if (rc == 0 && (status != 200 || p.error[0]))
		rc = berr_set(err, BE_INTERNAL_ERROR, NULL, "importing %s failed: %s", tag,
			      p.error[0] ? p.error : "the Engine refused the import");
	sbuf_release(&p.line);
	free(path);
	free(r);
	free(repo);
	return rc;
}

json_t *engine_list_labeled(struct engine *e, const char *kind, const char *label,
			    const char *value)
{
	json_t *filters = json_pack("{s:[s]}", "label", "");
	json_array_set_new(json_object_get(filters, "label"), 0, json_sprintf("%s=%s", label, value));
	char *f = json_dumps(filters, JSON_COMPACT);
	json_decref(filters);
	char *fe = esc(f);
	bool containers = str_eq(kind, "containers");
	char *path = xasprintf("/%s%s?filters=%s%s", kind, containers ? "/json" : "", fe,
			       containers ? "&all=1" : "");
	int status = 0;
	json_t *reply = NULL;
	struct berr err = {0};
	engine_call(e, "GET", path, NULL, &status, &reply, &err);
	json_t *names = json_array();
	json_t *items = str_eq(kind, "volumes") ? json_object_get(reply, "Volumes") : reply;
	size_t i;
	json_t *it;
	json_array_foreach(items, i, it) {
		const char *n = json_string_value(json_object_get(it, "Name"));
		if (!n) { /* containers: Names ["/name"] */
			n = json_string_value(json_array_get(json_object_get(it, "Names"), 0));
			if (n && *n == '/')
				n++;
		}
		if (n)
			json_array_append_new(names, json_string(n));
	}
	json_decref(reply);
	free(path);
	free(fe);
	free(f);
	return names;
}
