/* cmd_env_access.h: `berth env access` and `berth env ide-password` (cli/cmd_env_access.c),
 * verbs of the env noun. */
#ifndef BERTH_CLI_CMD_ENV_ACCESS_H
#define BERTH_CLI_CMD_ENV_ACCESS_H
#include "cli/cli.h"

extern const struct opt env_access_opts[], env_ide_password_opts[];
int cmd_env_access(struct cli *c, struct args *a);
int cmd_env_ide_password(struct cli *c, struct args *a);
#define ENV_ACCESS_VERBS                                                                       \
	{"access", "ENV [--reveal ide_password|db_password]",                                    \
	 "How to reach the environment: URLs, IDE, database, SSH tunnel command.",               \
	 env_access_opts, 1, 1, cmd_env_access},                                                 \
	{"ide-password", "ENV --rotate [--follow]",                                              \
	 "Give the IDE a new random password (a job; `env access --reveal ide_password` shows it).", \
	 env_ide_password_opts, 1, 1, cmd_env_ide_password}
#endif
