/* daemon.h: background parts of berthd (workers, scheduler) and start-up chores. The job
 * types are registered (ops_register) by berthd_main before daemon_start. */
#ifndef BERTH_DAEMON_H
#define BERTH_DAEMON_H
#include <stdbool.h>
#include "lib/errors.h"
bool daemon_apps_domain_valid(const char *d);
int daemon_start(const char *data_dir, bool register_local, struct berr *err);
void daemon_stop(void);
/* Registers the local Docker Engine in the first organization when asked to (--register-local)
 * and not done yet. Called at start and after first-run setup. */
void daemon_maybe_register_local(void);
/* What registers the local Docker Engine as a server of an organization (1 registered, 0
 * already there, -1 error). Set by the operations when their job types are registered
 * (ops_register_server), so that core needs nothing above it. */
void daemon_set_local_registrar(int (*fn)(const char *org_id));
#endif
