/* client.h: the `berth` client's HTTP calls to berthd's REST API (libcurl), and its config
 * file. */
#ifndef BERTH_CLI_CLIENT_H
#define BERTH_CLI_CLIENT_H
#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "cli/cli.h"

#define API_NOAUTH 1u /* send no bearer token (login, setup, accepting as a new user) */
#define API_QUIET 2u  /* print nothing on error: the caller looks at c->err_* */

/* Calls method path (path starts with "/api/v1") with a JSON body (may be NULL). On 2xx
 * returns EX_OK and sets *out to the parsed answer (NULL for 204 or when out is NULL);
 * otherwise prints the error (unless API_QUIET), fills c->status / c->err_* and returns the
 * exit code for it. */
int api_call(struct cli *c, const char *method, const char *path, json_t *body, json_t **out,
	     unsigned flags);
/* GET shorthand. */
int api_get(struct cli *c, const char *path, json_t **out);
/* GET of a text answer (job logs); *out is NUL-terminated, caller frees. */
int api_get_text(struct cli *c, const char *path, char **out);
/* GET whose 200 answer is written to f as it arrives (no size limit: a log download). */
int api_get_file(struct cli *c, const char *path, FILE *f);
/* Progress of a transfer: bytes so far and the expected total (0: unknown). */
typedef void (*xfer_progress_fn)(void *ctx, long long done, long long total);
/* POST of a file as the request body, read from f as it is sent (size bytes, never held in
 * memory), with content_type; the JSON answer as api_call gives it. No overall time limit
 * (a stalled transfer of two minutes fails). */
int api_upload(struct cli *c, const char *path, FILE *f, long long size, const char *content_type,
	       json_t **out, xfer_progress_fn progress, void *ctx);
/* GET written to f as it arrives. from > 0: asks for the bytes from there on (Range); a 206
 * answer is appended to f, a 200 (the server sent the whole) rewinds and truncates f first.
 * on_bytes (may be NULL) sees every byte written, in order; *restarted is set when f was
 * rewound. */
int api_download(struct cli *c, const char *path, FILE *f, long long from,
		 void (*on_bytes)(void *ctx, const void *p, size_t n), bool *restarted,
		 xfer_progress_fn progress, void *ctx);
/* Follows a Server-Sent Events stream, calling on_event for each event. on_event returns
 * false to stop. */
int api_stream(struct cli *c, const char *path,
	       bool (*on_event)(const char *event, const char *data, void *ctx), void *ctx);
/* Prints the last error (of an API_QUIET call) as api_call would have; returns its exit
 * code. */
int api_report(struct cli *c);
/* True when the last error means the route does not exist on this berthd (older version). */
bool api_no_route(const struct cli *c);
/* URL-escapes one path segment or query value; caller frees. */
char *url_escape(const char *s);

void cli_http_init(struct cli *c);
void cli_http_release(struct cli *c);

/* Config file: $BERTH_CONFIG, else $XDG_CONFIG_HOME/berth/config.json, else
 * ~/.config/berth/config.json. */
void config_load(struct cli *c);
/* Writes c->cfg (mode 0600, directory 0700). EX_OK or an exit code with a message. */
int config_save(struct cli *c);
const char *config_get(struct cli *c, const char *key);
void config_set(struct cli *c, const char *key, const char *value); /* NULL deletes */
/* Sets c->url and c->token from --url, BERTH_URL, BERTH_TOKEN and the config file. */
void cli_resolve_endpoint(struct cli *c);
#endif
