/* actions.h: the one rule for queueing an action (a job) on an environment, whoever asks:
 * the API (deploy, restart, stop, start, merge, remove), auto-deploy on a push, a poll or a
 * merge, and the scheduler. In one transaction:
 * - an environment being removed (a remove job queued or running) takes no new job:
 *   409 CONFLICT "The environment is being removed";
 * - ENV_Q_SAME_ANSWERS: a job of the same type and params still queued is answered instead of
 *   queueing a second one (a repeated click);
 *   ENV_Q_REPLACES: the queued jobs of the type are cancelled and replaced by the new one (a
 *   newer push replaces a queued deploy);
 * - the job is queued (workers run at most one job per environment at a time) and the
 *   action is written to the audit log as "environment.<type>". */
#ifndef BERTH_CORE_ACTIONS_H
#define BERTH_CORE_ACTIONS_H
#include <jansson.h>
#include <stdbool.h>
#include "lib/errors.h"

enum env_queued_policy {
	ENV_Q_SAME_ANSWERS,
	ENV_Q_REPLACES,
};

struct env_action {
	const char *env_id, *type;
	json_t *params;                    /* borrowed; NULL: {} */
	enum env_queued_policy policy;
	const char *replace_reason;        /* ENV_Q_REPLACES: the replaced jobs' error */
	const char *user_id, *user_email;  /* who asked (NULL for a trigger) */
	const char *actor, *ip;            /* audit: the user's email, or "push", "poll", "merge" */
	json_t *audit;                     /* borrowed, may be NULL: details after {"job": id} */
	const char *trigger_commit;        /* auto-deploy: recorded as the branch's last trigger */
};

/* 0 with *job (consumed by the caller) and *created (false when a queued job was answered);
 * -1 with err: CONFLICT (being removed), ENVIRONMENT_NOT_FOUND, or INTERNAL_ERROR. */
int env_action_enqueue(const struct env_action *a, json_t **job, bool *created,
		       struct berr *err);
#endif
