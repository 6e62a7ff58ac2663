/* neutralize.c: neutralization and anonymization of a copied database (issue 14;
 * docs/clones.md "Neutralization and anonymization"). Odoo's own `odoo neutralize` first, then
 * berth's checks as SQL (render/neutralize_sql.c) with psql in the environment's PostgreSQL
 * container: argv only, values as psql variables, one transaction, each step's line in the
 * job's log. */
#include <string.h>

#include "core/settings.h"
#include "drivers/engine_stream.h"
#include "lib/valid.h"
#include "ops/env_int.h"
#include "render/render.h"

/* Runs script with psql on the environment's database in one transaction (-1); its output
 * (one line a step) goes to the job's log. */
static int run_sql(struct engine *e, struct job *j, struct envrt *rt, const char *what,
		   const char *script, const char *const *vars, struct berr *err)
{
	const char *argv[24];
	size_t n = 0;
	const char *head[] = {"psql", "-X", "-q", "-A", "-t", "-1", "-v", "ON_ERROR_STOP=1",
			      "-h", "/run/postgresql", "-U", "postgres", "-d", rt->db_name};
	for (size_t i = 0; i < ARRAY_SIZE(head); i++)
		argv[n++] = head[i];
	for (size_t i = 0; vars[i] && n < 18; i++) {
		argv[n++] = "-v";
		argv[n++] = vars[i];
	}
	argv[n++] = "-f";
	argv[n++] = "-";
	argv[n] = NULL;
	struct estream *s = engine_exec_open(e, rt->db, argv, NULL, "postgres", true, err);
	if (!s)
		return -1;
	if (estream_write(s, script, strlen(script), err) < 0 || estream_close_write(s, err) < 0) {
		estream_free(s);
		return -1;
	}
	struct sbuf out = SBUF_INIT;
	char buf[4096];
	ssize_t r;
	int fd;
	while ((r = estream_read(s, buf, sizeof buf, &fd, err)) > 0)
		if (out.len < 65536)
			sbuf_add(&out, buf, (size_t)r);
	if (r < 0) {
		estream_free(s);
		sbuf_release(&out);
		return -1;
	}
	int code = -1;
	if (engine_exec_close(s, &code, NULL, err) < 0) {
		sbuf_release(&out);
		return -1;
	}
	/* each non-empty line, indented under the step */
	char *save = NULL;
	for (char *line = strtok_r(out.buf ? out.buf : (char[]){""}, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		if (*line)
			job_log(j, "  %s", line);
	sbuf_release(&out);
	if (code != 0)
		return berr_set(err, BE_INTERNAL_ERROR, NULL,
				"%s failed (psql exit status %d; nothing of it was applied, see the log)",
				what, code);
	return 0;
}

int env_neutralize(struct engine *e, struct job *j, struct envrt *rt, struct berr *err)
{
	if (str_eq(rt->type, "production"))
		return berr_set(err, BE_CONFLICT, NULL, "a production database is never neutralized");
	if (odoo_neutralize(e, j, rt, err) < 0)
		return -1;
	/* the crons kept on: the setting's xml ids (checked again: they reach SQL) */
	struct sbuf keep = SBUF_INIT;
	json_t *list = json_object_get(rt->settings, "neutralize_keep_crons");
	size_t i;
	json_t *x;
	json_array_foreach(list, i, x) {
		const char *id = json_string_value(x);
		if (!valid_odoo_xmlid(id)) {
			job_log(j, "neutralize_keep_crons: ignoring an entry that is not an xml id");
			continue;
		}
		sbuf_addf(&keep, "%s%s", keep.len ? "," : "", id);
	}
	char *v_host = xasprintf("mail_host=%s", rt->mail);
	char *v_keep = xasprintf("keep=%s", sbuf_str(&keep));
	const char *vars[] = {v_host, v_keep, NULL};
	job_log(j, "berth's neutralization of %s (mail catcher %s, scheduled actions kept: %s)",
		rt->db_name, rt->mail, keep.len ? sbuf_str(&keep) : "autovacuum only");
	int rc = run_sql(e, j, rt, "berth's neutralization", RENDER_NEUTRALIZE_SQL, vars, err);
	free(v_host);
	free(v_keep);
	sbuf_release(&keep);
	return rc;
}

int env_anonymize(struct engine *e, struct job *j, struct envrt *rt, const char *keep_login,
		  struct berr *err)
{
	if (str_eq(rt->type, "production"))
		return berr_set(err, BE_CONFLICT, NULL, "a production database is never anonymized");
	/* a login or email: one line of printable text (it only ever is compared with) */
	const char *keep = keep_login && valid_text(keep_login, false) && strlen(keep_login) < 256
				   ? keep_login
				   : "";
	char *v_keep = xasprintf("keep=%s", keep);
	const char *vars[] = {v_keep, NULL};
	job_log(j, "anonymizing %s (irreversible; kept: the administrator%s%s)", rt->db_name,
		*keep ? " and " : "", keep);
	int rc = run_sql(e, j, rt, "the anonymization", RENDER_ANONYMIZE_SQL, vars, err);
	free(v_keep);
	return rc;
}

bool env_anonymize_wanted(const char *source_env_id)
{
	struct env_row row;
	if (!source_env_id || env_load(source_env_id, &row) < 0)
		return false;
	bool on = settings_get_bool(row.settings, "anonymize_database");
	env_row_free(&row);
	return on;
}
