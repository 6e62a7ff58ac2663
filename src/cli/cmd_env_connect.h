/* cmd_env_connect.h: `berth env sessions` and `berth env connect` (cli/cmd_env_connect.c),
 * verbs of the env noun: Connect As User (docs/connect.md). */
#ifndef BERTH_CLI_CMD_ENV_CONNECT_H
#define BERTH_CLI_CMD_ENV_CONNECT_H
#include "cli/cli.h"

extern const struct opt env_sessions_opts[], env_connect_opts[];
int cmd_env_sessions(struct cli *c, struct args *a);
int cmd_env_connect(struct cli *c, struct args *a);
#define ENV_CONNECT_VERBS                                                                      \
	{"sessions", "ENV [--q TEXT]",                                                          \
	 "The environment's Odoo users: logged in first (last activity, devices), then the others.", \
	 env_sessions_opts, 1, 1, cmd_env_sessions},                                            \
	{"connect", "ENV (--login LOGIN | --user-id N) [--open]",                               \
	 "A one-time URL (60 s) signing a browser in to Odoo as that user; --open opens it.",    \
	 env_connect_opts, 1, 1, cmd_env_connect}
#endif
