#include "core/envspec.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lib/jspec.h"
#include "lib/util.h"
#include "lib/valid.h"

static bool is_multiple(double x, int scale, int step, int *out)
{
	double scaled = x * scale;
	long long r = llround(scaled);
	if (fabs(scaled - (double)r) > 1e-6)
		return false;
	*out = (int)r;
	return r % step == 0;
}

int env_resources_compute(struct env_resources *r, struct berr *err)
{
	if (!(r->cpu_cores >= 0.25 - 1e-9 && r->cpu_cores <= 32 + 1e-9) ||
	    !is_multiple(r->cpu_cores, 100, 25, &r->cpu_c))
		return berr_set(err, BE_VALIDATION_ERROR, "cpu_cores",
				"cpu_cores: must be between 0.25 and 32 in steps of 0.25");
	if (r->ram_mb < 256 || r->ram_mb > 131072 || r->ram_mb % 256)
		return berr_set(err, BE_VALIDATION_ERROR, "ram_mb",
				"ram_mb: must be between 256 and 131072 in steps of 256");
	if (r->disk_gb < 1 || r->disk_gb > 1000)
		return berr_set(err, BE_VALIDATION_ERROR, "disk_gb", "disk_gb: must be between 1 and 1000");
	if (r->pg_custom) {
		if (!(r->pg_cpu_cores >= 0.1 - 1e-9 && r->pg_cpu_cores <= 16 + 1e-9) ||
		    !is_multiple(r->pg_cpu_cores, 100, 1, &r->pg_cpu_c))
			return berr_set(err, BE_VALIDATION_ERROR, "postgres_cpu_cores",
					"postgres_cpu_cores: must be between 0.1 and 16, with at most two"
					" decimals");
		if (r->pg_ram_mb < 128 || r->pg_ram_mb > 65536)
			return berr_set(err, BE_VALIDATION_ERROR, "postgres_ram_mb",
					"postgres_ram_mb: must be between 128 and 65536");
	} else {
		long long c = llround(r->cpu_c * 0.3);
		r->pg_cpu_c = (int)(c < 10 ? 10 : c);
		long long m = llround((double)r->ram_mb * 0.3);
		r->pg_ram_mb = m < 128 ? 128 : m;
		r->pg_cpu_cores = r->pg_cpu_c / 100.0;
	}
	r->odoo_cpu_c = r->cpu_c - r->pg_cpu_c;
	r->odoo_ram_mb = r->ram_mb - r->pg_ram_mb;
	if (r->odoo_cpu_c < 10)
		return berr_set(err, BE_VALIDATION_ERROR, "postgres_cpu_cores",
				"postgres_cpu_cores: must leave at least 0.1 core of the %.2f for Odoo",
				r->cpu_c / 100.0);
	if (r->odoo_ram_mb < 128)
		return berr_set(err, BE_VALIDATION_ERROR, "postgres_ram_mb",
				"postgres_ram_mb: must leave at least 128 MB of the %lld for Odoo",
				r->ram_mb);
	return 0;
}

void env_resources_footprint(const struct env_resources *r, bool replica, int *cpu_c,
			     long long *ram_mb, long long *disk_gb)
{
	*cpu_c = r->cpu_c + (replica ? (int)llround(r->cpu_c * 0.3) : 0);
	*ram_mb = r->ram_mb + (replica ? llround((double)r->ram_mb * 0.3) : 0);
	*disk_gb = r->disk_gb * (replica ? 2 : 1);
}

const char *const ODOO_VERSIONS[4] = {"16.0", "17.0", "18.0", "19.0"};

bool odoo_version_valid(const char *v)
{
	for (size_t i = 0; i < ARRAY_SIZE(ODOO_VERSIONS); i++)
		if (str_eq(v, ODOO_VERSIONS[i]))
			return true;
	return false;
}

bool env_type_valid(const char *t)
{
	return str_eq(t, "development") || str_eq(t, "staging") || str_eq(t, "production");
}

static const char *const PRESETS[] = {"minimal", "standard", "production", "high_performance"};
static const char *const LOG_LEVELS[] = {"debug", "info", "warning", "error", "critical"};
/* odoo.conf can only ask for STARTTLS (smtp_ssl); implicit TLS needs a mail server record */
static const char *const SMTP_ENC[] = {"none", "starttls"};

static bool one_of(const char *s, const char *const *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (str_eq(s, set[i]))
			return true;
	return false;
}

static int smtp_validate(json_t *smtp, char **password, struct berr *err)
{
	const char *host = NULL, *user = NULL, *pw = NULL, *enc = NULL, *from = NULL;
	long long port = 0;
	bool has_port = false;
	struct jfield spec[] = {
		{.name = "host", .type = J_STRING, .required = true, .dest = &host},
		{.name = "port", .type = J_INT, .dest = &port, .present = &has_port, .imin = 1,
		 .imax = 65535},
		{.name = "user", .type = J_STRING, .dest = &user, .nullable = true},
		{.name = "password", .type = J_STRING, .dest = &pw, .nullable = true, .maxlen = 1024},
		{.name = "encryption", .type = J_STRING, .dest = &enc},
		{.name = "from", .type = J_STRING, .dest = &from, .nullable = true},
		{.name = "password_set", .type = J_BOOL},
		JF_END,
	};
	if (jspec_parse(smtp, spec, "odoo_config.smtp.", err) < 0)
		return -1;
	/* the validators of lib/valid.h, the ones the renderer applies to what it writes */
	if (!valid_smtp_host(host))
		return berr_set(err, BE_VALIDATION_ERROR, "odoo_config.smtp.host",
				"odoo_config.smtp.host: not a host name or IP address");
	if (user && !valid_smtp_user(user))
		return berr_set(err, BE_VALIDATION_ERROR, "odoo_config.smtp.user",
				"odoo_config.smtp.user: a user name: not empty, no spaces or control"
				" characters, not True, False or None");
	if (pw && !valid_smtp_password(pw))
		return berr_set(err, BE_VALIDATION_ERROR, "odoo_config.smtp.password",
				"odoo_config.smtp.password: one line, not empty, without control"
				" characters or surrounding spaces, not True, False or None");
	if (enc && !one_of(enc, SMTP_ENC, ARRAY_SIZE(SMTP_ENC)))
		return berr_set(err, BE_VALIDATION_ERROR, "odoo_config.smtp.encryption",
				"odoo_config.smtp.encryption: must be none or starttls (odoo.conf cannot"
				" ask for implicit TLS)");
	if (from && !valid_smtp_from(from))
		return berr_set(err, BE_VALIDATION_ERROR, "odoo_config.smtp.from",
				"odoo_config.smtp.from: not a valid email address");
	/* stored as an integer even when sent as 587.0 (the renderer wants an integer) */
	json_object_set_new(smtp, "port",
			    json_integer(has_port ? port : str_eq(enc, "none") ? 25 : 587));
	if (!enc)
		json_object_set_new(smtp, "encryption", json_string("starttls"));
	if (pw)
		*password = xstrdup(pw);
	json_object_del(smtp, "password");
	json_object_del(smtp, "password_set");
	return 0;
}

json_t *odoo_config_normalize(json_t *in, json_t *prev, char **smtp_password,
			      bool *smtp_password_clear, struct berr *err)
{
	*smtp_password = NULL;
	*smtp_password_clear = false;
	json_t *out = json_is_object(prev) ? json_deep_copy(prev) : json_object();
	if (!json_object_get(out, "preset"))
		json_object_set_new(out, "preset", json_string("standard"));
	if (!in)
		return out;
	const char *preset = NULL, *dbf = NULL, *level = NULL;
	long long workers = 0, cron = 0, timeout = 0;
	json_t *smtp = NULL;
	struct jfield spec[] = {
		{.name = "preset", .type = J_STRING, .dest = &preset},
		{.name = "workers", .type = J_INT, .dest = &workers, .nullable = true, .imin = 0, .imax = 64},
		{.name = "max_cron_threads", .type = J_INT, .dest = &cron, .nullable = true, .imin = 0,
		 .imax = 16},
		{.name = "db_filter", .type = J_STRING, .dest = &dbf, .nullable = true},
		{.name = "log_level", .type = J_STRING, .dest = &level, .nullable = true},
		{.name = "smtp", .type = J_OBJECT, .dest = &smtp, .nullable = true},
		{.name = "session_timeout", .type = J_INT, .dest = &timeout, .nullable = true, .imin = 5,
		 .imax = 525600},
		JF_END,
	};
	if (jspec_parse(in, spec, "odoo_config.", err) < 0)
		goto fail;
	if (preset && !one_of(preset, PRESETS, ARRAY_SIZE(PRESETS))) {
		berr_set(err, BE_VALIDATION_ERROR, "odoo_config.preset",
			 "odoo_config.preset: must be minimal, standard, production or high_performance");
		goto fail;
	}
	if (dbf && !valid_odoo_db_filter(dbf)) {
		berr_set(err, BE_VALIDATION_ERROR, "odoo_config.db_filter",
			 "odoo_config.db_filter: one line of printable text without surrounding spaces,"
			 " not True, False or None, at most 1024 bytes; '%%' only as %%d or %%h");
		goto fail;
	}
	if (level && !one_of(level, LOG_LEVELS, ARRAY_SIZE(LOG_LEVELS))) {
		berr_set(err, BE_VALIDATION_ERROR, "odoo_config.log_level",
			 "odoo_config.log_level: must be debug, info, warning, error or critical");
		goto fail;
	}
	smtp = smtp ? json_deep_copy(smtp) : NULL;
	if (smtp && smtp_validate(smtp, smtp_password, err) < 0) {
		json_decref(smtp);
		goto fail;
	}
	/* merge: given keys replace, null removes */
	const char *k;
	json_t *v;
	json_object_foreach(in, k, v) {
		if (strcmp(k, "smtp") == 0)
			continue;
		if (json_is_null(v))
			json_object_del(out, k);
		else if (json_is_real(v)) /* an integer field sent as 4.0: store 4 */
			json_object_set_new(out, k, json_integer((json_int_t)json_real_value(v)));
		else
			json_object_set(out, k, v);
	}
	if (json_object_get(in, "smtp")) {
		json_t *old = json_object_get(out, "smtp");
		bool keep_pw = smtp && !*smtp_password && json_is_object(old) &&
			       json_is_true(json_object_get(old, "password_set"));
		if (smtp) {
			json_object_set_new(smtp, "password_set", json_boolean(keep_pw || *smtp_password));
			json_object_set_new(out, "smtp", smtp);
		} else {
			json_object_del(out, "smtp");
		}
		*smtp_password_clear = !keep_pw && !*smtp_password;
	}
	if (!json_object_get(out, "preset"))
		json_object_set_new(out, "preset", json_string("standard"));
	return out;
fail:
	json_decref(out);
	free(*smtp_password);
	*smtp_password = NULL;
	return NULL;
}

void odoo_config_effective_values(json_t *cfg, int odoo_cpu_c, long long odoo_ram_mb,
				  const char *env_type, struct odoo_effective *e)
{
	const char *preset = json_string_value(json_object_get(cfg, "preset"));
	if (!preset)
		preset = "standard";
	/* Odoo's sizing rule: 2 x CPU + 1 workers, about 320 MB each (one kept for cron). */
	long long by_cpu = (long long)floor(2.0 * odoo_cpu_c / 100.0) + 1;
	long long by_ram = odoo_ram_mb / 320 - 1;
	long long workers = by_cpu < by_ram ? by_cpu : by_ram;
	long long cron = 2;
	const char *level = "info";
	if (workers < 2)
		workers = odoo_ram_mb >= 1024 ? 2 : 0;
	if (str_eq(preset, "minimal")) {
		workers = 0;
		cron = 1;
	} else if (str_eq(preset, "standard")) {
		if (str_eq(env_type, "development"))
			workers = workers ? 2 : 0;
	} else if (str_eq(preset, "production")) {
		level = "warning";
	} else if (str_eq(preset, "high_performance")) {
		workers = by_cpu < odoo_ram_mb / 256 ? by_cpu : odoo_ram_mb / 256;
		cron = 4;
		level = "warning";
	}
	json_t *w = json_object_get(cfg, "workers");
	json_t *c = json_object_get(cfg, "max_cron_threads");
	json_t *l = json_object_get(cfg, "log_level");
	e->preset = preset;
	e->workers = json_is_integer(w) ? (long long)json_integer_value(w) : workers;
	e->max_cron_threads = json_is_integer(c) ? (long long)json_integer_value(c) : cron;
	e->log_level = json_is_string(l) ? json_string_value(l) : level;
	/* memory limits per worker from Odoo's share: soft 80%, hard 95% of RAM / (workers+1).
	 * Odoo applies these to each worker's address space (RLIMIT_AS), which runs well above
	 * its resident memory: never below Odoo's own defaults (2048/2560 MiB); the container's
	 * memory limit is what caps real use */
	long long per = odoo_ram_mb / (e->workers + 1);
	long long soft = per * 80 / 100, hard = per * 95 / 100;
	e->limit_memory_soft_mb = soft > 2048 ? soft : 2048;
	e->limit_memory_hard_mb = hard > 2560 ? hard : 2560;
}

json_t *odoo_config_effective(json_t *cfg, int odoo_cpu_c, long long odoo_ram_mb,
			      const char *env_type)
{
	struct odoo_effective e;
	odoo_config_effective_values(cfg, odoo_cpu_c, odoo_ram_mb, env_type, &e);
	return json_pack("{s:s,s:I,s:I,s:s,s:I,s:I}", "preset", e.preset, "workers",
			 (json_int_t)e.workers, "max_cron_threads", (json_int_t)e.max_cron_threads,
			 "log_level", e.log_level, "limit_memory_soft_mb",
			 (json_int_t)e.limit_memory_soft_mb, "limit_memory_hard_mb",
			 (json_int_t)e.limit_memory_hard_mb);
}

static const char *const RESERVED_VARS[] = {"HOST", "PORT", "USER", "PASSWORD", "ODOO_RC"};

int env_vars_validate(json_t *vars, struct berr *err)
{
	if (!json_is_object(vars))
		return berr_set(err, BE_VALIDATION_ERROR, "environment_vars",
				"environment_vars: must be an object of NAME: \"value\"");
	if (json_object_size(vars) > 100)
		return berr_set(err, BE_VALIDATION_ERROR, "environment_vars",
				"environment_vars: at most 100 variables");
	const char *k;
	json_t *v;
	char field[200];
	json_object_foreach(vars, k, v) {
		snprintf(field, sizeof field, "environment_vars.%.150s", k);
		if (!valid_env_name(k))
			return berr_set(err, BE_VALIDATION_ERROR, field,
					"%s: names are letters, digits and '_', not starting with a digit",
					field);
		if (one_of(k, RESERVED_VARS, ARRAY_SIZE(RESERVED_VARS)) || str_starts(k, "PG") ||
		    str_starts(k, "POSTGRES_") || str_starts(k, "BERTH_"))
			return berr_set(err, BE_VALIDATION_ERROR, field,
					"%s: reserved (berth sets the database connection)", field);
		if (!json_is_string(v))
			return berr_set(err, BE_VALIDATION_ERROR, field, "%s: must be a string", field);
		const char *s = json_string_value(v);
		if (json_string_length(v) != strlen(s) || strlen(s) > 4096 || !valid_text(s, false))
			return berr_set(err, BE_VALIDATION_ERROR, field,
					"%s: one line of at most 4096 characters", field);
	}
	return 0;
}

int addon_repos_validate(json_t *repos, bool (*local_allowed)(const char *url, const char *area),
			 const char *area, struct berr *err)
{
	if (!json_is_array(repos) || json_array_size(repos) > 20)
		return berr_set(err, BE_VALIDATION_ERROR, "addon_repositories",
				"addon_repositories: must be an array of at most 20 {url, branch, commit}");
	size_t i;
	json_t *r;
	char prefix[64];
	json_array_foreach(repos, i, r) {
		const char *url = NULL, *branch = NULL, *commit = NULL;
		struct jfield spec[] = {
			{.name = "url", .type = J_STRING, .required = true, .dest = &url, .maxlen = 1024},
			{.name = "branch", .type = J_STRING, .required = true, .dest = &branch, .maxlen = 200},
			{.name = "commit", .type = J_STRING, .dest = &commit, .nullable = true},
			JF_END,
		};
		snprintf(prefix, sizeof prefix, "addon_repositories[%zu].", i);
		if (jspec_parse(r, spec, prefix, err) < 0)
			return -1;
		if (!valid_git_url(url))
			return berr_set(err, BE_VALIDATION_ERROR, "addon_repositories",
					"%surl: must be an https://, ssh:// or git@host:path URL or an"
					" absolute path", prefix);
		if (git_url_has_password(url))
			return berr_set(err, BE_VALIDATION_ERROR, "addon_repositories",
					"%surl: must not hold a password; give it as the project's"
					" access_token (it is stored encrypted)", prefix);
		if (local_allowed && !local_allowed(url, area))
			return berr_set(err, BE_VALIDATION_ERROR, "addon_repositories",
					"%surl: local repositories must exist under the organization's"
					" directory ROOT/<organization slug>/ of a directory berthd was"
					" started with (--git-local-root)", prefix);
		if (!valid_git_ref(branch))
			return berr_set(err, BE_VALIDATION_ERROR, "addon_repositories",
					"%sbranch: not a valid git branch name", prefix);
		if (commit && !valid_commit(commit))
			return berr_set(err, BE_VALIDATION_ERROR, "addon_repositories",
					"%scommit: must be 7 to 40 hexadecimal digits", prefix);
		for (size_t j = 0; j < i; j++)
			if (str_eq(url, json_string_value(json_object_get(json_array_get(repos, j), "url"))))
				return berr_set(err, BE_VALIDATION_ERROR, "addon_repositories",
						"%surl: listed twice", prefix);
	}
	return 0;
}
