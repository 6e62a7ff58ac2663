/* secret.h: the master key, encryption of secrets at rest, password and token hashing. */
#ifndef BERTH_SECRET_H
#define BERTH_SECRET_H
#include <stdbool.h>
#include <stddef.h>

/* Loads DIR/master.key, creating it (mode 0600) on first start. 0 or -1 (message in errbuf). */
int secret_init(const char *data_dir, char *errbuf, size_t errlen);
/* Use a given 32-byte key (tests). */
void secret_init_key(const unsigned char key[32]);

/* Encrypts plaintext into "v1:<base64(nonce|ciphertext)>"; caller frees. */
char *secret_seal(const char *plaintext);
/* Decrypts what secret_seal produced; NULL when it does not authenticate. Caller frees
 * with secret_free (which wipes it). */
char *secret_open(const char *sealed);
void secret_free(char *plaintext);

/* Argon2id password hash (libsodium's encoded string). */
char *password_hash(const char *password);
bool password_verify(const char *hash, const char *password);

/* SHA-256 of a token, hex: what the store keeps instead of the token. */
void token_hash(const char *token, char out[65]);
/* A new random token with the given prefix ("bt_", "bk_", ...); caller frees. */
char *token_new(const char *prefix);
/* HMAC-SHA256 of data with key, hex (for webhooks). */
void hmac_sha256_hex(const void *key, size_t keylen, const void *data, size_t len, char out[65]);
#endif
