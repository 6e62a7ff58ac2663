/* blob.h: where backup archives are kept: a directory on berthd's host, a directory on any
 * SSH host over SFTP (host key pinned), or an S3-compatible bucket (libcurl's AWS SigV4).
 * Objects are named by a relative key ("<org>/<env>/<backup>.zip": [A-Za-z0-9._/-], no "..",
 * no leading "/"); every call streams: nothing here holds a whole object in memory (S3
 * uploads buffer one part, 8 MiB).
 *
 * Writes are atomic: an object appears under its key only once blob_put_finish succeeded
 * (local and SFTP write "<key>.part" and rename it; S3 completes a multipart upload, or
 * aborts it). A writer that is aborted or never finished leaves nothing behind that
 * blob_stat or blob_get_open would see; blob_delete also removes a leftover "<key>.part". */
#ifndef BERTH_BLOB_H
#define BERTH_BLOB_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "lib/errors.h"

struct blob_target {
	const char *kind; /* "local", "sftp" or "s3" */
	/* local: the directory (made on first write, mode 0700) */
	const char *dir;
	/* sftp: host, port (0: 22), user, private_key or password, the pinned host key
	 * ("SHA256:..."; NULL accepts any and reports it in seen_host_key), and the remote
	 * directory objects go under (absolute, or relative to the login directory) */
	const char *host;
	int port;
	const char *user;
	const char *private_key;
	const char *password;
	const char *known_host_key;
	const char *path;
	/* s3: endpoint URL (https://s3.eu-west-1.amazonaws.com, http://127.0.0.1:4568), region,
	 * bucket, key prefix (may be NULL), credentials, and path-style addressing
	 * (endpoint/bucket/key; virtual-host style otherwise) */
	const char *endpoint;
	const char *region;
	const char *bucket;
	const char *prefix;
	const char *access_key;
	const char *secret_key;
	bool path_style;
	int timeout_s; /* connect timeout (0: 10) */
	/* sftp and s3: the host may resolve to loopback, link-local, private or berthd's own
	 * addresses (berthd --backup-allow-private); refused otherwise (drivers/http_out.h) */
	bool allow_private;
	/* out: the host key an SFTP server presented (may be left empty) */
	char seen_host_key[128];
};

/* true when key is a valid object key (see above). */
bool blob_key_valid(const char *key);

struct blob_writer;
/* Starts writing key. NULL with err (SERVER_UNREACHABLE when the target does not answer or
 * its host key differs; VALIDATION_ERROR for a bad key). */
struct blob_writer *blob_put_open(struct blob_target *t, const char *key, struct berr *err);
int blob_write(struct blob_writer *w, const void *buf, size_t n, struct berr *err);
/* Makes the object visible under its key; frees w. 0 or -1 (nothing visible then). */
int blob_put_finish(struct blob_writer *w, struct berr *err);
/* Drops what was written; frees w. */
void blob_put_abort(struct blob_writer *w);

struct blob_reader;
/* Reads key from offset, at most length bytes (0: to the end). *size (may be NULL) receives
 * the object's whole size. NULL with err: NOT_FOUND when there is no such object. */
struct blob_reader *blob_get_open(struct blob_target *t, const char *key, uint64_t offset,
				  uint64_t length, uint64_t *size, struct berr *err);
/* >0 bytes, 0 at the end, -1 on error (err set). */
ssize_t blob_read(struct blob_reader *r, void *buf, size_t n, struct berr *err);
void blob_get_close(struct blob_reader *r);

/* The object's size; -1 with NOT_FOUND when absent. */
int blob_stat(struct blob_target *t, const char *key, uint64_t *size, struct berr *err);
/* Removes the object (and a leftover "<key>.part"); absent is success. */
int blob_delete(struct blob_target *t, const char *key, struct berr *err);
/* Writes a small probe object under prefix "berth-probe/", reads it back, compares, deletes
 * it. 0, or -1 with err saying which step failed. */
int blob_probe(struct blob_target *t, struct berr *err);
/* "local:/dir/key", "sftp://user@host:port/path/key", "s3://bucket/prefix/key" (for the API's
 * `location`; no secret). Caller frees. */
char *blob_location(const struct blob_target *t, const char *key);
#endif
