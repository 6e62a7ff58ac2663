/* fuzz_postgresql_conf: render_postgresql_conf over fields from the input (NUL-separated, in
 * this order): cpu_c, ram_mb, pgtune (0/1), max_connections, pg_major, replication (0/1),
 * extra (the user's postgresql.conf text). An absent field takes berth's usual value.
 *
 * Refused: a VALIDATION_ERROR naming a field. Accepted: pg_conf_check (fuzz.h): every line
 * blank, a comment or `key = value` with one value token of PostgreSQL's configuration lexer,
 * no key twice, the reserved keys only berth's with berth's values, every other key one berth
 * writes or one the user's text sets. */
#include <stdlib.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_fields f;
	fuzz_fields_split(&f, data, size);
	struct render_pg p = {
		.cpu_c = (int)fuzz_field_int(&f, 0, 200),
		.ram_mb = fuzz_field_int(&f, 1, 2048),
		.pgtune = fuzz_field_int(&f, 2, 1) != 0,
		.max_connections = (int)fuzz_field_int(&f, 3, 100),
		.pg_major = (int)fuzz_field_int(&f, 4, 15),
		.replication = fuzz_field_int(&f, 5, 0) != 0,
		.extra = fuzz_field_str(&f, 6, NULL),
	};
	struct berr err = {0};
	char *out = render_postgresql_conf(&p, &err);
	if (!out) {
		FUZZ_CHECK(err.code == BE_VALIDATION_ERROR && err.field[0] && err.message[0],
			   "a refused postgresql.conf must name the field at fault (code %d, field '%s')",
			   err.code, err.field);
	} else {
		pg_conf_check(&p, out);
		free(out);
	}
	fuzz_fields_release(&f);
	return 0;
}
