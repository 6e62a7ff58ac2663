/* Secrets (lib/secret.c): the master key file, sealing at rest with tamper detection,
 * Argon2id password hashes, token hashes and HMAC against published test vectors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/secret.h"
#include "lib/util.h"

static const unsigned char KEY_A[32] = "0123456789abcdef0123456789abcdef";
static const unsigned char KEY_B[32] = "fedcba9876543210fedcba9876543210";

static void test_seal_open_roundtrip(void **state)
{
	(void)state;
	secret_init_key(KEY_A);
	const char *cases[] = {"", "x", "db password with spaces & 'quotes'",
			       "caf\xc3\xa9 \xe2\x82\xac", "line1\nline2"};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *sealed = secret_seal(cases[i]);
		assert_true(str_starts(sealed, "v1:"));
		if (strlen(cases[i]) >= 4)
			assert_null(strstr(sealed, cases[i]));
		char *open = secret_open(sealed);
		assert_non_null(open);
		assert_string_equal(open, cases[i]);
		secret_free(open);
		free(sealed);
	}
	/* a long value */
	char *big = xmalloc(100001);
	memset(big, 'q', 100000);
	big[100000] = '\0';
	char *sealed = secret_seal(big);
	char *open = secret_open(sealed);
	assert_string_equal(open, big);
	secret_free(open);
	free(sealed);
	free(big);
	secret_free(NULL); /* a no-op */
}

static void test_seal_is_randomized(void **state)
{
	(void)state;
	secret_init_key(KEY_A);
	char *a = secret_seal("same plaintext");
	char *b = secret_seal("same plaintext");
	assert_string_not_equal(a, b); /* a fresh nonce each time */
	free(a);
	free(b);
}

static void test_tamper_detection(void **state)
{
	(void)state;
	secret_init_key(KEY_A);
	char *sealed = secret_seal("the secret");
	size_t n = strlen(sealed);
	/* flip each base64 character in turn (except trailing padding) */
	for (size_t i = 3; i < n; i++) {
		if (sealed[i] == '=')
			continue;
		char *t = xstrdup(sealed);
		t[i] = t[i] == 'A' ? 'B' : 'A';
		char *o = secret_open(t);
		if (o)
			fail_msg("tampered byte %zu still opened: %s", i, o);
		free(t);
	}
	/* truncated, extended, wrong version, garbage, NULL */
	char *t = xstrndup(sealed, n - 4);
	assert_null(secret_open(t));
	free(t);
	t = xasprintf("%sAAAA", sealed);
	assert_null(secret_open(t));
	free(t);
	t = xstrdup(sealed);
	t[1] = '2';
	assert_null(secret_open(t));
	free(t);
	assert_null(secret_open("v1:"));
	assert_null(secret_open("v1:!!!!"));
	assert_null(secret_open("v1:AAAA"));
	assert_null(secret_open("the secret"));
	assert_null(secret_open(""));
	assert_null(secret_open(NULL));
	/* another key does not open it */
	secret_init_key(KEY_B);
	assert_null(secret_open(sealed));
	secret_init_key(KEY_A);
	char *o = secret_open(sealed);
	assert_string_equal(o, "the secret");
	secret_free(o);
	free(sealed);
}

static void test_master_key_file(void **state)
{
	(void)state;
	char dir[] = "/tmp/berth-unit-key-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char ebuf[256] = "";
	mode_t old = umask(0);
	assert_int_equal(secret_init(dir, ebuf, sizeof ebuf), 0);
	umask(old);
	char *path = xasprintf("%s/master.key", dir);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, 32);
	char *sealed = secret_seal("survives a restart");
	/* a second start loads the same key */
	secret_init_key(KEY_B);
	assert_int_equal(secret_init(dir, ebuf, sizeof ebuf), 0);
	char *o = secret_open(sealed);
	assert_non_null(o);
	assert_string_equal(o, "survives a restart");
	secret_free(o);
	/* a key readable by others is refused */
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(secret_init(dir, ebuf, sizeof ebuf), -1);
	assert_non_null(strstr(ebuf, "chmod 600"));
	/* a short key is refused */
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(truncate(path, 16), 0);
	assert_int_equal(secret_init(dir, ebuf, sizeof ebuf), -1);
	assert_non_null(strstr(ebuf, "not a berth master key"));
	/* a missing directory is an error, not a crash */
	assert_int_equal(secret_init("/nonexistent/berth", ebuf, sizeof ebuf), -1);
	unlink(path);
	rmdir(dir);
	free(path);
	free(sealed);
	secret_init_key(KEY_A);
}

static void test_password_hash(void **state)
{
	(void)state;
	char *h = password_hash("correct horse battery");
	assert_true(str_starts(h, "$argon2id$"));
	assert_null(strstr(h, "correct horse battery"));
	assert_true(password_verify(h, "correct horse battery"));
	assert_false(password_verify(h, "correct horse batterY"));
	assert_false(password_verify(h, "correct horse battery "));
	assert_false(password_verify(h, ""));
	assert_false(password_verify(NULL, "correct horse battery"));
	assert_false(password_verify("not a hash", "correct horse battery"));
	char *h2 = password_hash("correct horse battery");
	assert_string_not_equal(h, h2); /* salted */
	assert_true(password_verify(h2, "correct horse battery"));
	free(h);
	free(h2);
}

static void test_token_hash_and_new(void **state)
{
	(void)state;
	char out[65];
	token_hash("abc", out);
	assert_string_equal(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	token_hash("", out);
	assert_string_equal(out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	char *a = token_new("bt_"), *b = token_new("bt_");
	assert_true(str_starts(a, "bt_"));
	assert_int_equal(strlen(a), 3 + 64);
	assert_string_not_equal(a, b);
	for (const char *p = a + 3; *p; p++)
		assert_non_null(strchr("0123456789abcdef", *p));
	char ha[65], hb[65];
	token_hash(a, ha);
	token_hash(b, hb);
	assert_string_not_equal(ha, hb);
	assert_int_equal(strlen(ha), 64);
	secret_free(a);
	secret_free(b);
}

static void test_hmac(void **state)
{
	(void)state;
	char out[65];
	/* RFC 4231, test case 2 */
	const char *data = "what do ya want for nothing?";
	hmac_sha256_hex("Jefe", 4, data, strlen(data), out);
	assert_string_equal(out, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	/* RFC 4231, test case 1 */
	unsigned char key[20];
	memset(key, 0x0b, sizeof key);
	hmac_sha256_hex(key, sizeof key, "Hi There", 8, out);
	assert_string_equal(out, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seal_open_roundtrip),
		cmocka_unit_test(test_seal_is_randomized),
		cmocka_unit_test(test_tamper_detection),
		cmocka_unit_test(test_master_key_file),
		cmocka_unit_test(test_password_hash),
		cmocka_unit_test(test_token_hash_and_new),
		cmocka_unit_test(test_hmac),
	};
	return cmocka_run_group_tests_name("secret", tests, NULL, NULL);
}
