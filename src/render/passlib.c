/* passlib.c: Odoo's stored password format, passlib's pbkdf2_sha512:
 * `$pbkdf2-sha512$<rounds>$<salt>$<checksum>`, the checksum being PBKDF2-HMAC-SHA512 of the
 * password (64 bytes, one PBKDF2 block) and both in passlib's "ab64" (standard base64 with
 * '.' for '+', no padding). Odoo 16-19 verify it with passlib's CryptContext, so a database's
 * administrator password can be set by writing this string into res_users.password. */
#include <string.h>
#include <sodium.h>

#include "lib/util.h"
#include "render/render.h"

static void ab64(struct sbuf *sb, const unsigned char *b, size_t n)
{
	size_t len = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
	char *s = xmalloc(len);
	sodium_bin2base64(s, len, b, n, sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
	for (char *p = s; *p; p++)
		if (*p == '+')
			*p = '.';
	sbuf_adds(sb, s);
	free(s);
}

char *render_odoo_password(const char *password, const unsigned char *salt, size_t salt_len,
			   unsigned rounds)
{
	if (!password || !salt || rounds == 0)
		return NULL;
	/* the key's inner and outer states are computed once and copied for every round */
	crypto_auth_hmacsha512_state key, st;
	crypto_auth_hmacsha512_init(&key, (const unsigned char *)password, strlen(password));
	unsigned char u[crypto_auth_hmacsha512_BYTES], t[crypto_auth_hmacsha512_BYTES];
	const unsigned char block[4] = {0, 0, 0, 1};
	st = key;
	crypto_auth_hmacsha512_update(&st, salt, salt_len);
	crypto_auth_hmacsha512_update(&st, block, sizeof block);
	crypto_auth_hmacsha512_final(&st, u);
	memcpy(t, u, sizeof t);
	for (unsigned i = 1; i < rounds; i++) {
		st = key;
		crypto_auth_hmacsha512_update(&st, u, sizeof u);
		crypto_auth_hmacsha512_final(&st, u);
		for (size_t k = 0; k < sizeof t; k++)
			t[k] ^= u[k];
	}
	struct sbuf sb = SBUF_INIT;
	sbuf_addf(&sb, "$pbkdf2-sha512$%u$", rounds);
	ab64(&sb, salt, salt_len);
	sbuf_adds(&sb, "$");
	ab64(&sb, t, sizeof t);
	sodium_memzero(&key, sizeof key);
	sodium_memzero(&st, sizeof st);
	sodium_memzero(u, sizeof u);
	sodium_memzero(t, sizeof t);
	return sbuf_detach(&sb);
}
