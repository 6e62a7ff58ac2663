/* mails.c: reading the mail catcher of an environment (ops/mails.h). */
#include "ops/mails.h"

#include <stdio.h>
#include <string.h>

#include "lib/util.h"
#include "ops/conn.h"
#include "store/db.h"
#include "store/envs.h"

/* Runs `berth-mails ARGS` in the environment's catcher; its JSON answer in *out. */
static int catcher_run(const char *env_id, const char *const *args, json_t **out,
		       struct berr *err)
{
	*out = NULL;
	struct env_row row;
	if (env_load(env_id, &row) < 0)
		return berr_set(err, BE_ENVIRONMENT_NOT_FOUND, NULL, "the environment no longer exists");
	char key[13], name[48], server[64];
	int k = 0;
	for (const char *p = row.id; *p && k < 12; p++)
		if (*p != '-')
			key[k++] = *p;
	key[k] = '\0';
	snprintf(name, sizeof name, "berth-%s-mail", key);
	snprintf(server, sizeof server, "%s", row.vm_id);
	env_row_free(&row);
	db_end_request(); /* no store connection held while the Engine answers */
	struct engine *e = engine_open_server(server, err);
	if (!e)
		return -1;
	engine_set_io_timeout(e, 60000);
	int rc = -1;
	json_t *c = engine_container_inspect(e, name);
	if (!c || !json_is_true(json_object_get(json_object_get(c, "State"), "Running"))) {
		berr_set(err, BE_CONFLICT, NULL,
			 "the environment's mail catcher is not running (deploy or start the environment)");
		goto out;
	}
	const char *argv[8] = {"berth-mails"};
	size_t n = 1;
	for (size_t i = 0; args[i] && n < 7; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	int code = -1;
	struct sbuf o = SBUF_INIT;
	if (engine_exec(e, name, argv, "berth-mail", &code, &o, err) < 0) {
		sbuf_release(&o);
		goto out;
	}
	json_error_t je;
	json_t *j = json_loads(sbuf_str(&o), 0, &je);
	sbuf_release(&o);
	if (code == 2) {
		json_decref(j);
		berr_set(err, BE_NOT_FOUND, "mail_id", "mail_id: the mail catcher has no such mail");
		goto out;
	}
	if (code != 0 || !json_is_object(j)) {
		json_decref(j);
		berr_set(err, BE_INTERNAL_ERROR, NULL, "the mail catcher did not answer (exit status %d)",
			 code);
		goto out;
	}
	*out = j;
	rc = 0;
out:
	json_decref(c);
	engine_close(e);
	return rc;
}

int ops_mails_list(const char *env_id, const char *q, long limit, json_t **out, struct berr *err)
{
	char lim[24];
	snprintf(lim, sizeof lim, "%ld", limit);
	const char *args[] = {"list", q ? q : "", lim, NULL};
	return catcher_run(env_id, args, out, err);
}

int ops_mail_get(const char *env_id, const char *mail_id, json_t **out, struct berr *err)
{
	const char *args[] = {"show", mail_id, NULL};
	return catcher_run(env_id, args, out, err);
}
