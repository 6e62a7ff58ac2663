/* fuzz_settings: every setting of the registry (core/settings.c) through setting_check, the
 * validator the API applies, with a fuzzed JSON value. Input: the key, a newline, the JSON.
 *
 * Refused: a VALIDATION_ERROR naming the key. Accepted: strings and list items hold no
 * control character (text settings: \n and \t only); the value, read back the way the
 * operations read it (settings_get_*), renders safely where it goes: edge settings into the
 * site (render_nginx_site, then the site checks of fuzz.h), odoo_config into odoo.conf,
 * postgres_config into postgresql.conf (each must be accepted by its renderer: a value the
 * API takes must never make a deploy fail); paths, package and extension names, the backup
 * schedule keep the forms their consumers rely on. */
#include <stdlib.h>
#include <string.h>

#include "core/backup_rules.h"
#include "core/settings.h"
#include "fuzz.h"
#include "lib/secret.h"
#include "lib/util.h"
#include "lib/valid.h"

static bool word(const char *s, const char *first, const char *rest)
{
	if (!*s || !strchr(first, *s))
		return false;
	for (s++; *s; s++)
		if (!strchr(rest, *s))
			return false;
	return true;
}

#define LOWER "abcdefghijklmnopqrstuvwxyz"
#define DIGITS "0123456789"

/* the site with berth's defaults and this one setting, as env_edge.c fills it */
static void edge(const struct setting *s, json_t *st)
{
	const char *f[SF_COUNT] = {0};
	struct sbuf items[SF_COUNT];
	for (int i = 0; i < SF_COUNT; i++)
		sbuf_init(&items[i]);
	long long flags = 0;
	char num[SF_COUNT][24];
	const char *k = s->key;
	json_t *list = json_object_get(st, k);
	int lf = -1;
	if (str_eq(k, "cors_origins"))
		lf = SF_CORS;
	else if (str_eq(k, "ip_whitelist"))
		lf = SF_ALLOW;
	else if (str_eq(k, "ip_blacklist"))
		lf = SF_DENY;
	else if (str_eq(k, "extra_domains")) {
		lf = SF_NAMES;
		sbuf_adds(&items[SF_NAMES], "erp.example.com");
	}
	if (lf >= 0 && json_is_array(list)) {
		size_t i;
		json_t *v;
		json_array_foreach(list, i, v) {
			if (items[lf].len || (lf == SF_NAMES))
				sbuf_addc(&items[lf], FUZZ_ITEM_SEP);
			sbuf_adds(&items[lf], json_string_value(v));
		}
		if (lf == SF_NAMES && items[lf].buf[items[lf].len - 1] == FUZZ_ITEM_SEP)
			items[lf].buf[--items[lf].len] = '\0';
		f[lf] = sbuf_str(&items[lf]);
	}
	static const struct {
		const char *key;
		int field;
	} INTS[] = {{"nginx_proxy_read_timeout_s", SF_READ_TIMEOUT},
		    {"nginx_proxy_connect_timeout_s", SF_CONNECT_TIMEOUT},
		    {"nginx_keepalive_timeout_s", SF_KEEPALIVE},
		    {"nginx_send_timeout_s", SF_SEND_TIMEOUT}};
	for (size_t i = 0; i < ARRAY_SIZE(INTS); i++) {
		snprintf(num[INTS[i].field], sizeof num[0], "%lld", settings_get_int(st, INTS[i].key));
		f[INTS[i].field] = num[INTS[i].field];
	}
	f[SF_MAX_UPLOAD] = settings_get_str(st, "nginx_max_upload");
	f[SF_XFRAME] = settings_get_str(st, "nginx_x_frame_options");
	f[SF_RATE_LOGIN] = settings_get_str(st, "rate_limit_login");
	f[SF_RATE_GENERAL] = settings_get_str(st, "rate_limit_general");
	if (settings_get_bool(st, "rate_limit") || str_starts(k, "rate_limit_"))
		flags |= SITE_RATE_LIMIT;
	if (settings_get_bool(st, "hsts"))
		flags |= SITE_HSTS | SITE_TLS;
	if (settings_get_bool(st, "csp") || str_eq(k, "csp_policy"))
		f[SF_CSP] = settings_get_str(st, "csp_policy");
	snprintf(num[SF_FLAGS], sizeof num[0], "%lld", flags);
	f[SF_FLAGS] = num[SF_FLAGS];
	/* fields joined by NUL (none of the values holds one: JSON strings from the API do not),
	 * the ones this setting does not set as berth's defaults */
	struct sbuf in = SBUF_INIT;
	for (int i = 0; i < SF_COUNT; i++) {
		const char *v = f[i];
		if (!v) {
			if (i == SF_ENV_ID)
				v = "e1";
			else if (i == SF_NAMES)
				v = "erp.example.com";
			else if (i == SF_ODOO_HOST)
				v = "berth-e1-odoo";
			else if (i == SF_HTTP_PORT)
				v = "8069";
			else if (i == SF_GEVENT_PORT)
				v = "8072";
			else if (i == SF_CSP)
				v = FUZZ_NULL;
			else if (i == SF_CERTS || i == SF_KEYS)
				v = site_field_safe(i);
			else
				v = ""; /* empty list */
		}
		sbuf_add(&in, v, strlen(v));
		if (i + 1 < SF_COUNT)
			sbuf_addc(&in, '\0');
	}
	struct site_rep r;
	site_decode(&r, (const uint8_t *)in.buf, in.len);
	struct berr err = {0};
	char *out = site_render(&r, &err);
	FUZZ_CHECK(out, "setting %s accepted %s, the site refuses it: %s", k,
		   json_dumps(json_object_get(st, k), JSON_ENCODE_ANY), err.message);
	site_check_rendered(&r, out);
	free(out);
	site_rep_release(&r);
	sbuf_release(&in);
	for (int i = 0; i < SF_COUNT; i++)
		sbuf_release(&items[i]);
}

static void odoo(json_t *st)
{
	json_t *config = json_object(), *eff = json_pack("{s:i,s:i}", "workers", 2, "max_cron_threads", 1);
	struct render_odoo o = {
		.db_host = "berth-e1-pgbouncer", .db_port = 6432, .db_user = "odoo_e1",
		.db_password = "Pw-0123456789", .db_name = "e1", .admin_passwd = "Admin-0123",
		.config = config, .effective = eff, .extra = settings_get_str(st, "odoo_config"),
	};
	struct berr err = {0};
	char *out = render_odoo_conf(&o, &err);
	FUZZ_CHECK(out, "odoo_config accepted, odoo.conf refuses it: %s", err.message);
	odoo_conf_check(&o, out);
	secret_free(out);
	json_decref(config);
	json_decref(eff);
}

static void pg(json_t *st)
{
	struct render_pg p = {.cpu_c = 200, .ram_mb = 2048, .pgtune = true, .max_connections = 100,
			      .pg_major = 15, .extra = settings_get_str(st, "postgres_config")};
	struct berr err = {0};
	char *out = render_postgresql_conf(&p, &err);
	FUZZ_CHECK(out, "postgres_config accepted, postgresql.conf refuses it: %s", err.message);
	pg_conf_check(&p, out);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	if (!nl)
		return 0;
	char *key = fuzz_cstr(data, (size_t)(nl - data));
	const struct setting *s = setting_find(key);
	if (!s) {
		free(key);
		return 0;
	}
	/* as the API reads a body: no NUL in strings, duplicates refused */
	json_t *v = json_loadb((const char *)nl + 1, size - (size_t)(nl - data) - 1,
			       JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
	if (!v) {
		free(key);
		return 0;
	}
	struct berr err = {0}, err2 = {0};
	/* the patch-level check agrees with the key's own */
	json_t *patch = json_object();
	json_object_set(patch, s->key, v);
	int whole = settings_check(patch, &err2);
	json_decref(patch);
	if (setting_check(s, v, &err) < 0) {
		FUZZ_CHECK(whole < 0 && str_eq(err2.field, s->key),
			   "settings_check accepts what setting_check refuses (%s)", s->key);
		FUZZ_CHECK(err.code == BE_VALIDATION_ERROR && str_eq(err.field, s->key),
			   "a refused %s must name it (code %d, field '%s')", s->key, err.code, err.field);
		json_decref(v);
		free(key);
		return 0;
	}
	FUZZ_CHECK(whole == 0, "settings_check refuses what setting_check accepts (%s): %s", s->key,
		   err2.message);
	json_t *st = json_object();
	json_object_set(st, s->key, v);
	/* what applying the change needs: the key's own need, or nothing when the value is the
	 * default */
	enum setting_apply need = settings_apply_needed(NULL, st);
	FUZZ_CHECK(need == s->apply || need == APPLY_NOTHING, "%s: applying it needs %s, not %s",
		   s->key, setting_apply_name(need), setting_apply_name(s->apply));
	if (json_is_string(v))
		FUZZ_CHECK(s->type == SETTING_TEXT ? fuzz_text_clean(json_string_value(v), true, true)
						   : fuzz_text_clean(json_string_value(v), false, false),
			   "%s accepts control characters: %s", s->key, json_string_value(v));
	if (json_is_array(v)) {
		size_t i;
		json_t *x;
		json_array_foreach(v, i, x)
			FUZZ_CHECK(json_is_string(x) && fuzz_text_clean(json_string_value(x), false, false),
				   "%s accepts an item with control characters", s->key);
	}
	/* the operations' reading never aborts and gives a valid value */
	switch (s->type) {
	case SETTING_BOOL:
		(void)settings_get_bool(st, s->key);
		break;
	case SETTING_INT: {
		long long n = settings_get_int(st, s->key);
		FUZZ_CHECK(n >= s->min && n <= s->max, "%s reads back as %lld", s->key, n);
		break;
	}
	case SETTING_LIST:
		break;
	default: {
		const char *str = settings_get_str(st, s->key);
		if (s->type == SETTING_ENUM) {
			bool ok = false;
			for (const char *const *c = s->choices; *c; c++)
				ok = ok || str_eq(*c, str);
			FUZZ_CHECK(ok, "%s reads back as [%s], not one of its choices", s->key,
				   str ? str : "(null)");
		}
	}
	}
	switch (s->target) {
	case TARGET_EDGE:
		edge(s, st);
		break;
	case TARGET_ODOO_CONF:
		odoo(st);
		break;
	case TARGET_PG_CONF:
		pg(st);
		break;
	default:
		break;
	}
	if (s->valid == NULL && s->type == SETTING_LIST)
		fuzz_fail("%s: a list without a validator", s->key);
	if (json_is_array(v)) {
		size_t i;
		json_t *x;
		json_array_foreach(v, i, x) {
			const char *t = json_string_value(x);
			if (str_ends(s->key, "_packages"))
				FUZZ_CHECK(word(t, LOWER DIGITS, LOWER DIGITS "+-.") && strlen(t) >= 2,
					   "%s: [%s] is not a Debian package name", s->key, t);
			if (str_eq(s->key, "postgres_extensions"))
				FUZZ_CHECK(word(t, LOWER "_", LOWER DIGITS "_") && strlen(t) <= 63,
					   "%s: [%s] is not an SQL identifier", s->key, t);
		}
	}
	if (json_is_string(v) && *json_string_value(v)) {
		const char *t = json_string_value(v);
		if (str_ends(s->key, "_path"))
			FUZZ_CHECK(valid_abs_path(t) && strcmp(t, "/") != 0, "%s: [%s] is not a path", s->key, t);
		if (str_eq(s->key, "backup_schedule")) {
			struct backup_schedule b;
			char msg[200];
			FUZZ_CHECK(backup_schedule_parse(t, &b, msg, sizeof msg) == 0,
				   "backup_schedule [%s] accepted, does not parse: %s", t, msg);
		}
	}
	json_decref(st);
	json_decref(v);
	free(key);
	return 0;
}
