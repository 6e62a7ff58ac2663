/* drivers/blob.c: backup objects on a local directory always; over SFTP and on S3 when the
 * environment names a server (tests/integration/test_backup_targets.py runs this binary with
 * a loopback sshd and s3rver):
 *   BLOB_SFTP="HOST PORT USER KEYFILE PATH"
 *   BLOB_S3="ENDPOINT REGION BUCKET ACCESS_KEY SECRET_KEY"
 * Each target gets the same checks: a multi-part object (over 8 MiB) written in odd pieces
 * and read back whole and by ranges, an overwrite, an aborted write leaving nothing, delete,
 * the probe, and bad keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <dirent.h>
#include <libssh/libssh.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "drivers/blob.h"
#include "lib/util.h"

static char tmpdir[256];

static unsigned char byte_at(uint64_t i, unsigned seed)
{
	uint64_t x = i * 0x9E3779B97F4A7C15ull + seed;
	x ^= x >> 29;
	return (unsigned char)(x * 0xBF58476D1CE4E5B9ull >> 56);
}

static void put_object(struct blob_target *t, const char *key, uint64_t size, unsigned seed)
{
	struct berr err = {0};
	struct blob_writer *w = blob_put_open(t, key, &err);
	if (!w)
		fail_msg("put_open: %s", err.message);
	unsigned char buf[100003]; /* odd pieces, not aligned with any part */
	uint64_t off = 0;
	while (off < size) {
		size_t n = size - off < sizeof buf ? (size_t)(size - off) : sizeof buf;
		for (size_t i = 0; i < n; i++)
			buf[i] = byte_at(off + i, seed);
		if (blob_write(w, buf, n, &err) < 0)
			fail_msg("write: %s", err.message);
		off += n;
	}
	if (blob_put_finish(w, &err) < 0)
		fail_msg("finish: %s", err.message);
	/* s3rver answers a single-part PUT before its file is written (its putObject resolves
	 * when the write is started: lib/stores/filesystem.js), so a read at once can meet the
	 * old or an empty file; real S3 is read-after-write consistent. Wait (bounded) until the
	 * object has its size. */
	if (str_eq(t->kind, "s3"))
		for (int i = 0; i < 100; i++) {
			uint64_t st = 0;
			struct berr e2 = {0};
			if (blob_stat(t, key, &st, &e2) == 0 && st == size)
				break;
			usleep(50000);
		}
}

/* Reads [offset, offset+length) and checks every byte. */
static void check_range(struct blob_target *t, const char *key, uint64_t offset, uint64_t length,
			uint64_t size, unsigned seed)
{
	struct berr err = {0};
	uint64_t whole = 0;
	struct blob_reader *r = blob_get_open(t, key, offset, length, &whole, &err);
	if (!r)
		fail_msg("get_open(%llu, %llu): %s", (unsigned long long)offset,
			 (unsigned long long)length, err.message);
	assert_int_equal(whole, size);
	uint64_t want = length ? length : size - offset;
	uint64_t got = 0;
	unsigned char buf[77777];
	for (;;) {
		ssize_t n = blob_read(r, buf, sizeof buf, &err);
		if (n < 0)
			fail_msg("read: %s", err.message);
		if (n == 0)
			break;
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] != byte_at(offset + got + (uint64_t)i, seed))
				fail_msg("byte %llu differs", (unsigned long long)(offset + got + i));
		got += (uint64_t)n;
	}
	blob_get_close(r);
	assert_int_equal(got, want);
}

static void expect_absent(struct blob_target *t, const char *key)
{
	struct berr err = {0};
	uint64_t size = 0;
	assert_int_equal(blob_stat(t, key, &size, &err), -1);
	assert_int_equal(err.code, BE_NOT_FOUND);
	berr_clear(&err);
	assert_null(blob_get_open(t, key, 0, 0, NULL, &err));
	assert_int_equal(err.code, BE_NOT_FOUND);
}

static void roundtrip(struct blob_target *t)
{
	char key[128], rnd[17];
	random_hex(rnd, 8);
	snprintf(key, sizeof key, "unit/%s/b-%s.zip", t->kind, rnd);
	const uint64_t size = (16u << 20) + 12345; /* three S3 parts */
	put_object(t, key, size, 1);
	struct berr err = {0};
	uint64_t st = 0;
	if (blob_stat(t, key, &st, &err) < 0)
		fail_msg("stat: %s", err.message);
	assert_int_equal(st, size);
	check_range(t, key, 0, 0, size, 1);
	check_range(t, key, (8u << 20) - 5, 1000000, size, 1); /* across a part boundary */
	check_range(t, key, size - 10, 0, size, 1);
	check_range(t, key, 3, 1, size, 1);
	check_range(t, key, size, 0, size, 1); /* at the end: nothing */
	assert_null(blob_get_open(t, key, size + 1, 0, NULL, &err));
	assert_int_equal(err.code, BE_VALIDATION_ERROR);
	/* an overwrite replaces it */
	put_object(t, key, 1000, 2);
	check_range(t, key, 0, 0, 1000, 2);
	assert_int_equal(blob_delete(t, key, &err), 0);
	expect_absent(t, key);
	assert_int_equal(blob_delete(t, key, &err), 0); /* absent is success */

	/* an empty object */
	put_object(t, key, 0, 3);
	check_range(t, key, 0, 0, 0, 3);
	assert_int_equal(blob_delete(t, key, &err), 0);

	/* an aborted write leaves nothing, also after more than one part */
	struct blob_writer *w = blob_put_open(t, key, &err);
	assert_non_null(w);
	unsigned char *junk = xcalloc(1, 9u << 20);
	assert_int_equal(blob_write(w, junk, 9u << 20, &err), 0);
	free(junk);
	blob_put_abort(w);
	expect_absent(t, key);

	if (blob_probe(t, &err) < 0)
		fail_msg("probe: %s", err.message);
}

static void bad_keys(struct blob_target *t)
{
	const char *bad[] = {"", "/abs", "a//b", "a/./b", "../x", "a/../b", "x/..", "a/", "a b",
			     "a\\b", "a\nb", "é", "a/%2e%2e", ".", ".."};
	struct berr err = {0};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (blob_key_valid(bad[i]))
			fail_msg("'%s' taken for a key", bad[i]);
		berr_clear(&err);
		assert_null(blob_put_open(t, bad[i], &err));
		assert_int_equal(err.code, BE_VALIDATION_ERROR);
		assert_int_equal(blob_stat(t, bad[i], NULL, &err), -1);
		assert_int_equal(blob_delete(t, bad[i], &err), -1);
	}
	assert_true(blob_key_valid("org/env/b.zip"));
	assert_true(blob_key_valid("a.b_c-d/E.F"));
	assert_true(blob_key_valid("..a/b.."));
}

/* ---- local ---- */

static void local_target(struct blob_target *t, char *dir, size_t len)
{
	memset(t, 0, sizeof *t);
	snprintf(dir, len, "%s/root/org1", tmpdir);
	t->kind = "local";
	t->dir = dir;
}

static void test_local_roundtrip(void **state)
{
	(void)state;
	struct blob_target t;
	char dir[512];
	local_target(&t, dir, sizeof dir);
	roundtrip(&t);
	struct stat st;
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	bad_keys(&t);
}

static bool has_part_file(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return false;
	struct dirent *e;
	bool found = false;
	while ((e = readdir(d)))
		found |= strstr(e->d_name, ".part") != NULL;
	closedir(d);
	return found;
}

static void test_local_atomic(void **state)
{
	(void)state;
	struct blob_target t;
	char dir[512], sub[600];
	local_target(&t, dir, sizeof dir);
	struct berr err = {0};
	struct blob_writer *w = blob_put_open(&t, "atomic/x.zip", &err);
	assert_non_null(w);
	assert_int_equal(blob_write(w, "hello", 5, &err), 0);
	/* not visible before finish */
	assert_int_equal(blob_stat(&t, "atomic/x.zip", NULL, &err), -1);
	assert_int_equal(err.code, BE_NOT_FOUND);
	snprintf(sub, sizeof sub, "%s/atomic", dir);
	assert_true(has_part_file(sub));
	blob_put_abort(w);
	assert_false(has_part_file(sub));
	/* a leftover .part goes with delete */
	w = blob_put_open(&t, "atomic/y.zip", &err);
	assert_non_null(w);
	assert_int_equal(blob_delete(&t, "atomic/y.zip", &err), 0);
	assert_false(has_part_file(sub));
	blob_put_abort(w);
}

static void test_local_no_symlinks(void **state)
{
	(void)state;
	struct blob_target t;
	char dir[512], link[600], target[600];
	local_target(&t, dir, sizeof dir);
	snprintf(target, sizeof target, "%s/elsewhere", tmpdir);
	mkdir(target, 0700);
	struct berr err = {0};
	struct blob_writer *w = blob_put_open(&t, "seed.zip", &err); /* makes dir */
	assert_non_null(w);
	assert_int_equal(blob_put_finish(w, &err), 0);
	snprintf(link, sizeof link, "%s/evil", dir);
	assert_int_equal(symlink(target, link), 0);
	assert_null(blob_put_open(&t, "evil/x.zip", &err));
	snprintf(link, sizeof link, "%s/file.zip", dir);
	snprintf(target, sizeof target, "%s/elsewhere/secret", tmpdir);
	FILE *f = fopen(target, "w");
	assert_non_null(f);
	fputs("secret", f);
	fclose(f);
	assert_int_equal(symlink(target, link), 0);
	assert_null(blob_get_open(&t, "file.zip", 0, 0, NULL, &err));
	assert_int_equal(blob_stat(&t, "file.zip", NULL, &err), -1);
}

static void test_location(void **state)
{
	(void)state;
	struct blob_target t = {.kind = "local", .dir = "/var/b/o1"};
	char *l = blob_location(&t, "e/b.zip");
	assert_string_equal(l, "local:/var/b/o1/e/b.zip");
	free(l);
	struct blob_target s = {.kind = "sftp", .host = "h.example", .port = 2222, .user = "u",
				.path = "/srv/backups/"};
	l = blob_location(&s, "e/b.zip");
	assert_string_equal(l, "sftp://u@h.example:2222/srv/backups/e/b.zip");
	free(l);
	s.path = "backups";
	s.port = 0;
	l = blob_location(&s, "e/b.zip");
	assert_string_equal(l, "sftp://u@h.example:22/~/backups/e/b.zip");
	free(l);
	struct blob_target b = {.kind = "s3", .bucket = "bk", .prefix = "/p/q/"};
	l = blob_location(&b, "e/b.zip");
	assert_string_equal(l, "s3://bk/p/q/e/b.zip");
	free(l);
}

/* ---- remote targets, when given ---- */

static char *env_words(const char *name, char **w, int n)
{
	const char *v = getenv(name);
	if (!v || !*v)
		return NULL;
	char *copy = xstrdup(v), *save = NULL;
	int i = 0;
	for (char *s = strtok_r(copy, " ", &save); s && i < n; s = strtok_r(NULL, " ", &save))
		w[i++] = s;
	if (i != n) {
		free(copy);
		return NULL;
	}
	return copy;
}

static void test_sftp(void **state)
{
	(void)state;
	char *w[5];
	char *copy = env_words("BLOB_SFTP", w, 5);
	if (!copy)
		skip();
	char *key = read_file(w[3], NULL);
	assert_non_null(key);
	struct blob_target t = {.kind = "sftp", .host = w[0], .port = atoi(w[1]), .user = w[2],
				.private_key = key, .path = w[4], .allow_private = true};
	roundtrip(&t);
	assert_true(str_starts(t.seen_host_key, "SHA256:"));
	/* a pinned key that differs stops it */
	struct berr err = {0};
	t.known_host_key = "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
	assert_int_equal(blob_probe(&t, &err), -1);
	assert_int_equal(err.code, BE_SERVER_UNREACHABLE);
	assert_non_null(strstr(err.message, "host key"));
	/* loopback is refused unless allowed */
	t.known_host_key = NULL;
	t.allow_private = false;
	assert_int_equal(blob_probe(&t, &err), -1);
	assert_int_equal(err.code, BE_VALIDATION_ERROR);
	assert_string_equal(err.field, "host");
	free(key);
	free(copy);
}

static void test_s3(void **state)
{
	(void)state;
	char *w[5];
	char *copy = env_words("BLOB_S3", w, 5);
	if (!copy)
		skip();
	struct blob_target t = {.kind = "s3", .endpoint = w[0], .region = w[1], .bucket = w[2],
				.access_key = w[3], .secret_key = w[4], .prefix = "pre/fix",
				.path_style = true, .allow_private = true};
	roundtrip(&t);
	struct berr err = {0};
	/* an unknown access key is refused by the server */
	t.access_key = "NOSUCHKEY";
	assert_int_equal(blob_probe(&t, &err), -1);
	assert_int_equal(err.code, BE_SERVER_UNREACHABLE);
	assert_non_null(strstr(err.message, "InvalidAccessKeyId"));
	t.access_key = w[3];
	/* loopback is refused unless allowed */
	t.allow_private = false;
	assert_int_equal(blob_probe(&t, &err), -1);
	assert_int_equal(err.code, BE_VALIDATION_ERROR);
	assert_string_equal(err.field, "endpoint");
	free(copy);
}

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof tmpdir, "/tmp/berth-test-blob-XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char *cmd[] = {"rm", "-rf", tmpdir, NULL};
	pid_t pid = fork();
	if (pid == 0) {
		execvp(cmd[0], cmd);
		_exit(127);
	}
	int st;
	waitpid(pid, &st, 0);
	return 0;
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	ssh_init();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_local_roundtrip), cmocka_unit_test(test_local_atomic),
		cmocka_unit_test(test_local_no_symlinks), cmocka_unit_test(test_location),
		cmocka_unit_test(test_sftp), cmocka_unit_test(test_s3),
	};
	int rc = cmocka_run_group_tests(tests, setup, teardown);
	ssh_finalize();
	curl_global_cleanup();
	return rc;
}
