/* engine_stream_probe: drives drivers/engine_stream.c and drivers/odoozip.c for
 * tests/integration/test_engine_stream.py. Each command prints one JSON object.
 *
 *   engine_stream_probe [--ssh HOST:PORT:USER:KEYFILE] COMMAND ARGS...
 *   exec-cat CONTAINER BYTES      BYTES through `sh -c 'cat; echo err >&2'`, written in full
 *                                 before the output is read (the stream keeps it)
 *   exec-sum CONTAINER BYTES      BYTES into `sh -c 'sha256sum; echo err >&2'` (one thread)
 *   exec-out CONTAINER BYTES      `head -c BYTES /dev/zero`: the output's throughput
 *   archive-get CONTAINER PATH OUT
 *   archive-put CONTAINER DIR TAR
 *   zip-write OUT DUMP [TAR STRIP]  dump.sql (size unknown, deflated), filestore/ from TAR
 *   fs-zip CONTAINER PATH STRIP DUMP OUT   the filestore straight from the Engine into a zip
 *   zip-zero OUT SIZE             one stored entry of SIZE zero bytes (sparse output file)
 *   zip-read IN                   every entry's name, size and SHA-256
 *   zip-restore CONTAINER DIR IN  IN's filestore/ into DIR (owned 100:101), as a restore does */
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "drivers/engine_stream.h"
#include "drivers/odoozip.h"

#define BUF (256 * 1024)

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void hexs(const unsigned char *md, char out[65])
{
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static int die(const char *what, struct berr *err)
{
	printf("{\"error\": \"%s: %s\", \"code\": \"%s\"}\n", what, err->message,
	       berr_name(err->code));
	fflush(stdout);
	return 1;
}

/* deterministic bytes */
static void fill(unsigned char *b, size_t n, uint64_t off)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t x = (off + i) * 0x9E3779B97F4A7C15ULL;
		b[i] = (unsigned char)(x >> 56);
	}
}

struct writer_arg {
	struct estream *s;
	uint64_t bytes;
	crypto_hash_sha256_state sha;
	int rc;
	struct berr err;
};

static void *writer(void *p)
{
	struct writer_arg *a = p;
	unsigned char *b = malloc(BUF);
	uint64_t off = 0;
	while (off < a->bytes) {
		size_t n = a->bytes - off < BUF ? (size_t)(a->bytes - off) : BUF;
		fill(b, n, off);
		crypto_hash_sha256_update(&a->sha, b, n);
		if (estream_write(a->s, b, n, &a->err) < 0) {
			a->rc = -1;
			break;
		}
		off += n;
	}
	if (a->rc == 0 && estream_close_write(a->s, &a->err) < 0)
		a->rc = -1;
	free(b);
	return NULL;
}

static int exec_cmd(struct engine *e, const char *cmd, const char *container, uint64_t bytes)
{
	struct berr err = {0};
	const char *cat[] = {"sh", "-c", "cat; echo err >&2", NULL};
	const char *sum[] = {"sh", "-c", "sha256sum; echo err >&2", NULL};
	char headc[64];
	snprintf(headc, sizeof headc, "%llu", (unsigned long long)bytes);
	const char *out[] = {"head", "-c", headc, "/dev/zero", NULL};
	const char *const *argv = !strcmp(cmd, "exec-cat") ? cat : !strcmp(cmd, "exec-sum") ? sum : out;
	bool with_stdin = strcmp(cmd, "exec-out") != 0;
	double t0 = now();
	const char *env[] = {"BERTH_PROBE=1", NULL};
	struct estream *s = engine_exec_open(e, container, argv, env, NULL, with_stdin, &err);
	if (!s)
		return die("exec open", &err);
	struct writer_arg wa = {.s = s, .bytes = bytes};
	crypto_hash_sha256_init(&wa.sha);
	/* one thread: for `cat`, its output arriving meanwhile is kept by the stream */
	if (with_stdin)
		writer(&wa);
	if (wa.rc < 0) {
		estream_free(s);
		return die("exec write", &wa.err);
	}
	unsigned char *b = malloc(BUF);
	crypto_hash_sha256_state osha;
	crypto_hash_sha256_init(&osha);
	uint64_t got = 0, ebytes = 0;
	struct sbuf outtext = SBUF_INIT;
	ssize_t n;
	int fd;
	struct berr rerr = {0};
	bool nohash = getenv("BERTH_PROBE_NOHASH") != NULL; /* throughput of the stream alone */
	while ((n = estream_read(s, b, BUF, &fd, &rerr)) > 0) {
		if (fd == 1) {
			if (!nohash)
				crypto_hash_sha256_update(&osha, b, (size_t)n);
			got += (uint64_t)n;
			if (outtext.len < 200)
				sbuf_add(&outtext, b, (size_t)n < 200 ? (size_t)n : 200);
		} else {
			ebytes += (uint64_t)n;
		}
	}
	if (n < 0)
		return die("exec read", &rerr);
	if (wa.rc < 0)
		return die("exec write", &wa.err);
	int code = -1;
	struct sbuf tail = SBUF_INIT;
	if (engine_exec_close(s, &code, &tail, &err) < 0)
		return die("exec close", &err);
	double dt = now() - t0;
	unsigned char md[32];
	char ih[65], oh[65];
	crypto_hash_sha256_final(&wa.sha, md);
	hexs(md, ih);
	crypto_hash_sha256_final(&osha, md);
	hexs(md, oh);
	json_t *j = json_pack("{s:I, s:I, s:s, s:s, s:I, s:s, s:i, s:f, s:s%}", "in", (json_int_t)bytes,
			      "out", (json_int_t)got, "in_sha256", ih, "out_sha256", oh, "stderr_bytes",
			      (json_int_t)ebytes, "stderr_tail", sbuf_str(&tail), "exit", code,
			      "seconds", dt, "out_head", outtext.buf ? outtext.buf : "",
			      outtext.len < 200 ? outtext.len : 0);
	char *txt = json_dumps(j, JSON_COMPACT);
	printf("%s\n", txt);
	free(txt);
	json_decref(j);
	sbuf_release(&tail);
	sbuf_release(&outtext);
	free(b);
	return 0;
}

static int archive_get(struct engine *e, const char *container, const char *path,
		       const char *outp)
{
	struct berr err = {0};
	int status = 0;
	double t0 = now();
	struct estream *s = engine_archive_get_open(e, container, path, &status, &err);
	if (!s) {
		printf("{\"status\": %d, \"code\": \"%s\", \"error\": \"%s\"}\n", status,
		       berr_name(err.code), err.message);
		return 0;
	}
	FILE *f = fopen(outp, "wb");
	char *b = malloc(BUF);
	ssize_t n;
	uint64_t total = 0;
	while ((n = estream_read(s, b, BUF, NULL, &err)) > 0) {
		fwrite(b, 1, (size_t)n, f);
		total += (uint64_t)n;
	}
	fclose(f);
	free(b);
	estream_free(s);
	if (n < 0)
		return die("archive read", &err);
	printf("{\"status\": %d, \"bytes\": %llu, \"seconds\": %f}\n", status,
	       (unsigned long long)total, now() - t0);
	return 0;
}

static int archive_put(struct engine *e, const char *container, const char *dir, const char *tar)
{
	struct berr err = {0};
	double t0 = now();
	struct estream *s = engine_archive_put_open(e, container, dir, &err);
	if (!s)
		return die("archive put open", &err);
	FILE *f = fopen(tar, "rb");
	char *b = malloc(BUF);
	size_t n;
	uint64_t total = 0;
	/* small and large writes mixed */
	size_t step = 512;
	while ((n = fread(b, 1, step, f)) > 0) {
		if (estream_write(s, b, n, &err) < 0)
			break;
		total += n;
		step = step == 512 ? 300000 > BUF ? BUF : 300000 : step == BUF ? 7000 : 512;
	}
	fclose(f);
	free(b);
	if (engine_archive_put_finish(s, &err) < 0)
		return die("archive put", &err);
	printf("{\"bytes\": %llu, \"seconds\": %f}\n", (unsigned long long)total, now() - t0);
	return 0;
}

/* ---- zips ---- */
struct fsink {
	int fd;
	bool sparse;
	uint64_t off;
};

static int sink_file(void *cls, const void *buf, size_t n)
{
	struct fsink *f = cls;
	const char *p = buf;
	if (f->sparse) {
		static const char zero[65536];
		size_t i = 0;
		while (i < n) {
			size_t k = n - i < sizeof zero ? n - i : sizeof zero;
			if (memcmp(p + i, zero, k) != 0 &&
			    pwrite(f->fd, p + i, k, (off_t)(f->off + i)) != (ssize_t)k)
				return -1;
			i += k;
		}
		f->off += n;
		return 0;
	}
	f->off += n;
	while (n) {
		ssize_t k = write(f->fd, p, n);
		if (k < 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

static ssize_t src_fd(void *cls, void *buf, size_t n)
{
	return read(*(int *)cls, buf, n);
}

struct zero_src {
	uint64_t left;
};

static ssize_t src_zero(void *cls, void *buf, size_t n)
{
	struct zero_src *z = cls;
	if (n > z->left)
		n = (size_t)z->left;
	memset(buf, 0, n);
	z->left -= n;
	return (ssize_t)n;
}

static int finish(struct ozip_writer *w, double t0, uint64_t files)
{
	struct berr err = {0};
	uint64_t bytes = 0;
	char sha[65];
	if (ozip_writer_finish(w, &bytes, sha, &err) < 0)
		return die("zip finish", &err);
	printf("{\"bytes\": %llu, \"sha256\": \"%s\", \"files\": %llu, \"seconds\": %f}\n",
	       (unsigned long long)bytes, sha, (unsigned long long)files, now() - t0);
	return 0;
}

static const char MANIFEST[] = "{\"odoo_dump\": \"1\", \"db_name\": \"probe\", \"version\": "
			       "\"18.0\", \"major_version\": \"18.0\", \"pg_version\": \"15.0\", "
			       "\"modules\": {\"base\": \"18.0.1.3\"}}";

ssize_t probe_estream_src(void *cls, void *buf, size_t n);

static int zip_write(struct engine *e, int argc, char **argv)
{
	/* zip-write OUT DUMP [TAR STRIP] | fs-zip CONTAINER PATH STRIP DUMP OUT */
	bool fs = !strcmp(argv[0], "fs-zip");
	const char *out = fs ? argv[5] : argv[1];
	const char *dump = fs ? argv[4] : argv[2];
	struct berr err = {0};
	struct fsink fk = {.fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644)};
	double t0 = now();
	struct ozip_writer *w = ozip_writer_new(sink_file, &fk);
	int dfd = open(dump, O_RDONLY);
	if (dfd < 0 || ozip_add_stream(w, "dump.sql", -1, true, src_fd, &dfd, &err) < 0)
		return die("dump.sql", &err);
	close(dfd);
	uint64_t files = 0;
	if (fs) {
		int status = 0;
		struct estream *s = engine_archive_get_open(e, argv[1], argv[2], &status, &err);
		if (!s)
			return die("archive get", &err);
		if (ozip_add_tar(w, probe_estream_src, s, argv[3], "filestore/", &files, &err) < 0)
			return die("filestore", &err);
		estream_free(s);
	} else if (argc >= 5) {
		int tfd = open(argv[3], O_RDONLY);
		if (tfd < 0 ||
		    ozip_add_tar(w, src_fd, &tfd, argv[4], "filestore/", &files, &err) < 0)
			return die("filestore", &err);
		close(tfd);
	}
	if (ozip_add_bytes(w, "manifest.json", MANIFEST, sizeof MANIFEST - 1, true, &err) < 0)
		return die("manifest", &err);
	int rc = finish(w, t0, files);
	close(fk.fd);
	return rc;
}

ssize_t probe_estream_src(void *cls, void *buf, size_t n)
{
	struct berr err = {0};
	ssize_t k = estream_read(cls, buf, n, NULL, &err);
	if (k < 0)
		fprintf(stderr, "archive read: %s\n", err.message);
	return k;
}

static int zip_zero(const char *out, uint64_t size)
{
	struct berr err = {0};
	struct fsink fk = {.fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644), .sparse = true};
	double t0 = now();
	struct ozip_writer *w = ozip_writer_new(sink_file, &fk);
	struct zero_src z = {size};
	if (ozip_add_stream(w, "filestore/00/big", (int64_t)size, false, src_zero, &z, &err) < 0)
		return die("big", &err);
	if (ozip_add_bytes(w, "manifest.json", MANIFEST, sizeof MANIFEST - 1, true, &err) < 0)
		return die("manifest", &err);
	int rc = finish(w, t0, 1);
	if (ftruncate(fk.fd, (off_t)fk.off) < 0)
		rc = 1;
	close(fk.fd);
	return rc;
}

struct rd {
	json_t *list;
	char *buf;
};

static int on_entry(void *cls, const char *name, int64_t size, bool is_dir,
		    struct ozip_entry *ent, struct berr *err)
{
	(void)err;
	struct rd *r = cls;
	crypto_hash_sha256_state st;
	crypto_hash_sha256_init(&st);
	ssize_t n;
	int64_t got = 0;
	while ((n = ozip_entry_read(ent, r->buf, BUF)) > 0) {
		crypto_hash_sha256_update(&st, (unsigned char *)r->buf, (size_t)n);
		got += n;
	}
	if (n < 0)
		return -1;
	unsigned char md[32];
	char h[65];
	crypto_hash_sha256_final(&st, md);
	hexs(md, h);
	json_array_append_new(r->list, json_pack("{s:s, s:I, s:I, s:b, s:s}", "name", name, "size",
						 (json_int_t)size, "read", (json_int_t)got, "dir",
						 is_dir, "sha256", h));
	return 0;
}

static int zip_read(const char *in, bool unsized)
{
	struct berr err = {0};
	int fd = open(in, O_RDONLY);
	struct rd r = {json_array(), malloc(BUF)};
	double t0 = now();
	int rc = unsized ? ozip_read_unsized(src_fd, &fd, on_entry, &r, &err)
			 : ozip_read(src_fd, &fd, on_entry, &r, &err);
	close(fd);
	free(r.buf);
	if (rc < 0) {
		json_decref(r.list);
		return die("read", &err);
	}
	json_t *j = json_pack("{s:o, s:f}", "entries", r.list, "seconds", now() - t0);
	char *t = json_dumps(j, JSON_COMPACT);
	printf("%s\n", t);
	free(t);
	json_decref(j);
	return 0;
}

/* zip-restore: the filestore/ entries of a zip into a container directory, as a restore does:
 * a tar stream (owned by uid 100, gid 101, directories listed before their files) written
 * with a chunked archive PUT while the zip is read. */
struct restore {
	struct estream *s;
	struct sbuf dirs; /* "\n"-separated directories already in the tar */
	char *buf;
	uint64_t files;
};

static int put(struct restore *r, const void *p, size_t n, struct berr *err)
{
	return estream_write(r->s, p, n, err);
}

static int restore_entry(void *cls, const char *name, int64_t size, bool is_dir,
			 struct ozip_entry *ent, struct berr *err)
{
	struct restore *r = cls;
	if (is_dir || strncmp(name, "filestore/", 10) != 0)
		return 0;
	const char *rel = name + 10;
	char hdr[512];
	/* its directories first */
	for (const char *sl = strchr(rel, '/'); sl; sl = strchr(sl + 1, '/')) {
		char dir[512];
		snprintf(dir, sizeof dir, "%.*s/", (int)(sl - rel), rel);
		char key[520];
		snprintf(key, sizeof key, "\n%s\n", dir);
		if (strstr(sbuf_str(&r->dirs), key))
			continue;
		sbuf_addf(&r->dirs, "%s\n", key + 1);
		ozip_tar_header_owned(hdr, dir, 0, 0755, 100, 101, '5');
		if (put(r, hdr, 512, err) < 0)
			return -1;
	}
	ozip_tar_header_owned(hdr, rel, (uint64_t)size, 0644, 100, 101, '0');
	if (put(r, hdr, 512, err) < 0)
		return -1;
	ssize_t n;
	int64_t got = 0;
	while ((n = ozip_entry_read(ent, r->buf, BUF)) > 0) {
		if (put(r, r->buf, (size_t)n, err) < 0)
			return -1;
		got += n;
	}
	if (n < 0 || got != size)
		return -1;
	static const char zero[512];
	if (put(r, zero, ozip_tar_pad((uint64_t)size), err) < 0)
		return -1;
	r->files++;
	return 0;
}

static int zip_restore(struct engine *e, const char *container, const char *dir, const char *in)
{
	struct berr err = {0};
	double t0 = now();
	struct restore r = {.buf = malloc(BUF)};
	sbuf_init(&r.dirs);
	sbuf_addc(&r.dirs, '\n');
	r.s = engine_archive_put_open(e, container, dir, &err);
	if (!r.s)
		return die("archive put open", &err);
	int fd = open(in, O_RDONLY);
	if (ozip_read(src_fd, &fd, restore_entry, &r, &err) < 0) {
		estream_free(r.s);
		return die("zip read", &err);
	}
	close(fd);
	static const char end[1024];
	if (estream_write(r.s, end, sizeof end, &err) < 0 || engine_archive_put_finish(r.s, &err) < 0)
		return die("archive put", &err);
	printf("{\"files\": %llu, \"seconds\": %f}\n", (unsigned long long)r.files, now() - t0);
	free(r.buf);
	sbuf_release(&r.dirs);
	return 0;
}

int main(int argc, char **argv)
{
	if (sodium_init() < 0)
		return 1;
	struct engine_target t = {.transport = "local", .docker_socket = "/var/run/docker.sock"};
	char *key = NULL;
	if (argc > 2 && !strcmp(argv[1], "--ssh")) {
		char *spec = argv[2];
		char *host = strtok_r(spec, ":", &spec), *port = strtok_r(NULL, ":", &spec),
		     *user = strtok_r(NULL, ":", &spec), *keyf = strtok_r(NULL, ":", &spec);
		FILE *f = fopen(keyf, "r");
		key = calloc(1, 65536);
		if (!f || fread(key, 1, 65535, f) == 0)
			return 2;
		fclose(f);
		t.transport = "ssh";
		t.host = host;
		t.port = atoi(port);
		t.user = user;
		t.private_key = key;
		argc -= 2;
		argv += 2;
	}
	if (argc < 2)
		return 2;
	argc--;
	argv++;
	const char *cmd = argv[0];
	if (!strcmp(cmd, "zip-zero") && argc == 3)
		return zip_zero(argv[1], strtoull(argv[2], NULL, 10));
	if (!strcmp(cmd, "zip-read") && argc >= 2)
		return zip_read(argv[1], argc > 2 && !strcmp(argv[2], "unsized"));
	if (!strcmp(cmd, "zip-write") && argc >= 3)
		return zip_write(NULL, argc, argv);
	struct berr err = {0};
	struct engine *e = engine_connect(&t, NULL, &err);
	if (!e)
		return die("connect", &err);
	engine_set_io_timeout(e, 60000);
	int rc = 2;
	if (!strncmp(cmd, "exec-", 5) && argc == 3)
		rc = exec_cmd(e, cmd, argv[1], strtoull(argv[2], NULL, 10));
	else if (!strcmp(cmd, "archive-get") && argc == 4)
		rc = archive_get(e, argv[1], argv[2], argv[3]);
	else if (!strcmp(cmd, "archive-put") && argc == 4)
		rc = archive_put(e, argv[1], argv[2], argv[3]);
	else if (!strcmp(cmd, "zip-restore") && argc == 4)
		rc = zip_restore(e, argv[1], argv[2], argv[3]);
	else if (!strcmp(cmd, "fs-zip") && argc == 6)
		rc = zip_write(e, argc, argv);
	engine_close(e);
	free(key);
	return rc;
}
