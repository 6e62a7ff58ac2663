/* actions.c: queueing an action on an environment (see actions.h). */
#include "core/actions.h"

#include <stdio.h>

#include "jobs/queue.h"
#include "store/db.h"
#include "store/envs.h"
#include "store/jobs_store.h"
#include "store/model.h"

struct tx {
	const struct env_action *a;
	json_t *job;
	bool created;
	json_t *cancelled; /* ids of the queued jobs replaced */
};

static int enqueue_tx(void *ctx, struct berr *err)
{
	struct tx *t = ctx;
	const struct env_action *a = t->a;
	json_decref(t->job); /* a retried transaction starts over */
	t->job = NULL;
	json_decref(t->cancelled);
	t->cancelled = NULL;
	struct env_row e;
	if (env_load(a->env_id, &e) < 0)
		return berr_set(err, BE_ENVIRONMENT_NOT_FOUND, NULL, "Environment '%s' doesn't exist",
				a->env_id);
	int rc = 0;
	json_t *params = a->params ? json_incref(a->params) : json_object();
	if (jobs_env_active(a->env_id, "remove")) {
		rc = berr_set(err, BE_CONFLICT, NULL, "The environment is being removed");
		goto out;
	}
	if (a->policy == ENV_Q_SAME_ANSWERS) {
		char *dup = jobs_env_queued_same(a->env_id, a->type, params);
		if (dup) {
			t->job = queue_job_json(dup);
			t->created = false;
			free(dup);
			goto out;
		}
	} else {
		t->cancelled = queue_queued_ids(a->env_id, a->type);
		if (jobs_env_cancel_queued(a->env_id, a->type, a->replace_reason) < 0) {
			rc = berr_set(err, BE_INTERNAL_ERROR, NULL, NULL);
			goto out;
		}
	}
	t->job = queue_enqueue(e.org_id, a->env_id, e.vm_id, a->type, params, a->user_id,
			       a->user_email);
	t->created = true;
	if (!t->job) {
		rc = berr_set(err, BE_INTERNAL_ERROR, NULL, NULL);
		goto out;
	}
	if (a->trigger_commit && env_set_trigger_commit(a->env_id, a->trigger_commit) < 0) {
		rc = berr_set(err, BE_INTERNAL_ERROR, NULL, NULL);
		goto out;
	}
	json_t *details = json_pack("{s:O}", "job", json_object_get(t->job, "id"));
	if (a->audit)
		json_object_update(details, a->audit);
	char action[48];
	snprintf(action, sizeof action, "environment.%s", a->type);
	model_audit(e.org_id, a->user_id, a->actor, action, "environment", a->env_id, details,
		    a->ip);
out:
	json_decref(params);
	env_row_free(&e);
	return rc;
}

int env_action_enqueue(const struct env_action *a, json_t **job, bool *created,
		       struct berr *err)
{
	struct tx t = {.a = a};
	*job = NULL;
	if (db_tx(enqueue_tx, &t, err) != 0) {
		json_decref(t.job);
		json_decref(t.cancelled);
		return -1;
	}
	/* committed: the event stream hears of the jobs replaced and of the new one */
	size_t i;
	json_t *id;
	json_array_foreach(t.cancelled, i, id)
		queue_publish(json_string_value(id), "job.finished");
	json_decref(t.cancelled);
	if (t.created)
		queue_publish(json_string_value(json_object_get(t.job, "id")), "job.queued");
	*job = t.job;
	if (created)
		*created = t.created;
	return 0;
}
