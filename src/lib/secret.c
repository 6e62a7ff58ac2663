#include "lib/secret.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>

#include "lib/util.h"

static unsigned char master[crypto_secretbox_KEYBYTES];
static bool have_key;

void secret_init_key(const unsigned char key[32])
{
	memcpy(master, key, sizeof master);
	have_key = true;
}

int secret_init(const char *data_dir, char *errbuf, size_t errlen)
{
	char *path = xasprintf("%s/master.key", data_dir);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		unsigned char key[crypto_secretbox_KEYBYTES];
		randombytes_buf(key, sizeof key);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0 || write(fd, key, sizeof key) != (ssize_t)sizeof key || fsync(fd) < 0) {
			snprintf(errbuf, errlen, "cannot create %s: %s", path, strerror(errno));
			if (fd >= 0)
				close(fd);
			free(path);
			return -1;
		}
		close(fd);
		sodium_memzero(key, sizeof key);
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0) {
		snprintf(errbuf, errlen, "cannot open %s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) == 0 && (st.st_mode & 077)) {
		snprintf(errbuf, errlen, "%s must not be readable by group or others (chmod 600)", path);
		close(fd);
		free(path);
		return -1;
	}
	ssize_t n = read(fd, master, sizeof master);
	close(fd);
	if (n != (ssize_t)sizeof master) {
		snprintf(errbuf, errlen, "%s is not a berth master key (%d bytes)", path, (int)n);
		free(path);
		return -1;
	}
	free(path);
	have_key = true;
	return 0;
}

char *secret_seal(const char *plaintext)
{
	if (!have_key)
		abort();
	size_t mlen = strlen(plaintext);
	size_t blen = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + mlen;
	unsigned char *box = xmalloc(blen);
	randombytes_buf(box, crypto_secretbox_NONCEBYTES);
	crypto_secretbox_easy(box + crypto_secretbox_NONCEBYTES, (const unsigned char *)plaintext,
			      mlen, box, master);
	size_t b64len = sodium_base64_ENCODED_LEN(blen, sodium_base64_VARIANT_ORIGINAL);
	char *out = xmalloc(b64len + 3);
	memcpy(out, "v1:", 3);
	sodium_bin2base64(out + 3, b64len, box, blen, sodium_base64_VARIANT_ORIGINAL);
	free(box);
	return out;
}

char *secret_open(const char *sealed)
{
	if (!have_key || !sealed || strncmp(sealed, "v1:", 3) != 0)
		return NULL;
	const char *b64 = sealed + 3;
	size_t cap = strlen(b64);
	unsigned char *box = xmalloc(cap + 1);
	size_t blen;
	if (sodium_base642bin(box, cap, b64, strlen(b64), NULL, &blen, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    blen < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES) {
		free(box);
		return NULL;
	}
	size_t mlen = blen - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES;
	char *out = xmalloc(mlen + 1);
	if (crypto_secretbox_open_easy((unsigned char *)out, box + crypto_secretbox_NONCEBYTES,
				       blen - crypto_secretbox_NONCEBYTES, box, master) != 0) {
		free(box);
		free(out);
		return NULL;
	}
	out[mlen] = '\0';
	free(box);
	return out;
}

void secret_free(char *p)
{
	if (!p)
		return;
	sodium_memzero(p, strlen(p));
	free(p);
}

/* Interactive-level limits keep a login well under a second on a small machine. */
char *password_hash(const char *password)
{
	char out[crypto_pwhash_STRBYTES];
	if (crypto_pwhash_str_alg(out, password, strlen(password),
				  crypto_pwhash_OPSLIMIT_INTERACTIVE,
				  crypto_pwhash_MEMLIMIT_INTERACTIVE,
				  crypto_pwhash_ALG_ARGON2ID13) != 0)
		abort();
	return xstrdup(out);
}

bool password_verify(const char *hash, const char *password)
{
	return hash && crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

void token_hash(const char *token, char out[65])
{
	unsigned char h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(h, (const unsigned char *)token, strlen(token));
	sodium_bin2hex(out, 65, h, sizeof h);
}

char *token_new(const char *prefix)
{
	char hex[65];
	random_hex(hex, 32);
	return xasprintf("%s%s", prefix, hex);
}

void hmac_sha256_hex(const void *key, size_t keylen, const void *data, size_t len, char out[65])
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state st;
	crypto_auth_hmacsha256_init(&st, key, keylen);
	crypto_auth_hmacsha256_update(&st, data, len);
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2hex(out, 65, mac, sizeof mac);
}
