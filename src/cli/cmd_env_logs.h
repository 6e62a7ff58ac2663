/* cmd_env_logs.h: `berth env logs` (cli/cmd_env_logs.c), a verb of the env noun. */
#ifndef BERTH_CLI_CMD_ENV_LOGS_H
#define BERTH_CLI_CMD_ENV_LOGS_H
#include "cli/cli.h"

extern const struct opt env_logs_opts[];
int cmd_env_logs(struct cli *c, struct args *a);
#define ENV_LOGS_VERB                                                                          \
	{"logs", "ENV [-f] [--tail N] [--since T] [--until T] [--level L] [--grep S] "            \
		 "[--container C] [-o FILE]",                                                      \
	 "The environment's log (Odoo's, or another container's); -f follows it live.",          \
	 env_logs_opts, 1, 1, cmd_env_logs}
#endif
