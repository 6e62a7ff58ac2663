/* daemon.c: start-up chores and background parts of berthd. */
#include "core/daemon.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/repo.h"
#include "jobs/queue.h"
#include "jobs/sched.h"
#include "lib/log.h"
#include "lib/util.h"
#include "lib/valid.h"
#include "store/db.h"
#include "store/model.h"
#include "store/orgs.h"

bool daemon_apps_domain_valid(const char *d)
{
	return valid_dns_label(d) || valid_domain(d);
}

static int (*local_registrar)(const char *org_id);

void daemon_set_local_registrar(int (*fn)(const char *org_id))
{
	local_registrar = fn;
}

void daemon_maybe_register_local(void)
{
	char *want = model_setting_get("register_local");
	bool on = str_eq(want, "1");
	free(want);
	if (!on || !local_registrar)
		return;
	char *org = orgs_first_id();
	if (!org)
		return;
	struct stat st;
	if (stat("/var/run/docker.sock", &st) == 0 && local_registrar(org) > 0)
		log_event(LOG_INFO, "registered the local Docker Engine as server 'local'",
			  json_pack("{s:s}", "org", org));
	free(org);
}

int daemon_workers = 4;

int daemon_start(const char *data_dir, bool register_local, struct berr *err)
{
	(void)data_dir;
	if (register_local)
		model_setting_set("register_local", "1");
	queue_recover();
	daemon_maybe_register_local();
	if (queue_start(daemon_workers) < 0)
		return berr_set(err, BE_INTERNAL_ERROR, NULL, "cannot start job workers");
	if (repo_poller_start() < 0)
		return berr_set(err, BE_INTERNAL_ERROR, NULL, "cannot start the repository poller");
	if (sched_start() < 0)
		return berr_set(err, BE_INTERNAL_ERROR, NULL, "cannot start the scheduler");
	return 0;
}

void daemon_stop(void)
{
	sched_stop();
	repo_poller_stop();
	queue_stop();
	db_close_thread();
}
