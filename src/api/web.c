/* web.c: serves the console's static files from api_cfg.web_root. */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/http.h"

static const char *mime(const char *path)
{
	const char *dot = strrchr(path, '.');
	if (!dot)
		return "application/octet-stream";
	if (!strcmp(dot, ".html"))
		return "text/html; charset=utf-8";
	if (!strcmp(dot, ".js"))
		return "text/javascript; charset=utf-8";
	if (!strcmp(dot, ".css"))
		return "text/css; charset=utf-8";
	if (!strcmp(dot, ".svg"))
		return "image/svg+xml";
	if (!strcmp(dot, ".png"))
		return "image/png";
	if (!strcmp(dot, ".json"))
		return "application/json";
	if (!strcmp(dot, ".ico"))
		return "image/x-icon";
	return "application/octet-stream";
}

int web_serve(struct req *r)
{
	if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0)
		return reply_error(r, BE_METHOD_NOT_ALLOWED, NULL, "%s is not allowed on %s", r->method,
				   r->path);
	const char *rel = r->path;
	if (strstr(rel, "..") || strchr(rel, '\\'))
		return reply_error(r, BE_NOT_FOUND, NULL, "No file %s", r->path);
	if (!api_cfg.web_root) {
		if (strcmp(rel, "/") == 0) {
			r->reply_text = xstrdup("<!doctype html><title>berth</title><h1>berth</h1>"
						"<p>The API is at <a href=\"/api/v1/status\">/api/v1</a>.</p>\n");
			r->content_type = "text/html; charset=utf-8";
			return 200;
		}
		return reply_error(r, BE_NOT_FOUND, NULL, "No file %s", r->path);
	}
	char *file = xasprintf("%s%s", api_cfg.web_root, strcmp(rel, "/") == 0 ? "/index.html" : rel);
	struct stat st;
	if (stat(file, &st) != 0 || !S_ISREG(st.st_mode)) {
		/* client-side routes of the console fall back to index.html */
		free(file);
		if (strchr(strrchr(rel, '/'), '.'))
			return reply_error(r, BE_NOT_FOUND, NULL, "No file %s", r->path);
		file = xasprintf("%s/index.html", api_cfg.web_root);
	}
	size_t len;
	char *data = read_file(file, &len);
	const char *ct = mime(file);
	free(file);
	if (!data)
		return reply_error(r, BE_NOT_FOUND, NULL, "No file %s", r->path);
	if (strlen(data) != len) { /* binary: not supported by reply_text */
		free(data);
		return reply_error(r, BE_NOT_FOUND, NULL, "No file %s", r->path);
	}
	r->reply_text = data;
	r->content_type = ct;
	return 200;
}
