/* fuzz_odoo_conf: render_odoo_conf over fields from the input (NUL-separated, in this order):
 * db_host, db_port, db_user, db_password, db_name, admin_passwd, replica_host, replica_port,
 * config (JSON: db_filter, smtp {host, port, user, from, encryption}), effective (JSON:
 * workers, max_cron_threads, log_level, limit_memory_*_mb), smtp_password, addons_path, extra
 * (the user's odoo.conf text). An absent field takes berth's usual value; "\x18" is NULL.
 *
 * Refused: a VALIDATION_ERROR naming a field. Accepted: odoo_conf_check (fuzz.h): every line
 * one configparser reads as berth means it, one [options] section, no key twice, reserved keys
 * only berth's with berth's values. render_odoo_extra_int stays in its range. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "lib/secret.h"
#include "lib/util.h"

enum { F_DB_HOST, F_DB_PORT, F_DB_USER, F_DB_PASSWORD, F_DB_NAME, F_ADMIN, F_REPLICA_HOST,
       F_REPLICA_PORT, F_CONFIG, F_EFFECTIVE, F_SMTP_PASSWORD, F_ADDONS, F_EXTRA };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_fields f;
	fuzz_fields_split(&f, data, size);
	const char *cfg = fuzz_field_str(&f, F_CONFIG, "{}");
	const char *eff = fuzz_field_str(&f, F_EFFECTIVE,
					 "{\"workers\": 2, \"max_cron_threads\": 1, \"log_level\": \"info\","
					 " \"limit_memory_soft_mb\": 2048, \"limit_memory_hard_mb\": 2560}");
	json_t *config = cfg ? json_loads(cfg, JSON_DECODE_ANY, NULL) : NULL;
	json_t *effective = eff ? json_loads(eff, JSON_DECODE_ANY, NULL) : NULL;
	struct render_odoo o = {
		.db_host = fuzz_field_str(&f, F_DB_HOST, "berth-e1-pgbouncer"),
		.db_port = (int)fuzz_field_int(&f, F_DB_PORT, 6432),
		.db_user = fuzz_field_str(&f, F_DB_USER, "odoo_e1"),
		.db_password = fuzz_field_str(&f, F_DB_PASSWORD, "Pw-0123456789abcdef"),
		.db_name = fuzz_field_str(&f, F_DB_NAME, "e1"),
		.admin_passwd = fuzz_field_str(&f, F_ADMIN, "Admin-0123456789"),
		.replica_host = fuzz_field_str(&f, F_REPLICA_HOST, NULL),
		.replica_port = (int)fuzz_field_int(&f, F_REPLICA_PORT, 5432),
		.config = config,
		.effective = effective,
		.smtp_password = fuzz_field_str(&f, F_SMTP_PASSWORD, NULL),
		.addons_path = fuzz_field_str(&f, F_ADDONS, NULL),
		.extra = fuzz_field_str(&f, F_EXTRA, NULL),
	};
	struct berr err = {0};
	char *out = render_odoo_conf(&o, &err);
	if (!out) {
		FUZZ_CHECK(err.code == BE_VALIDATION_ERROR && err.field[0] && err.message[0],
			   "a refused odoo.conf must name the field at fault (code %d, field '%s')",
			   err.code, err.field);
	} else {
		odoo_conf_check(&o, out);
		secret_free(out);
	}
	long long w = render_odoo_extra_int(o.extra, "workers", 7);
	FUZZ_CHECK(w == 7 || (w >= 0 && w <= 1000000), "render_odoo_extra_int: %lld", w);
	json_decref(config);
	json_decref(effective);
	fuzz_fields_release(&f);
	return 0;
}
