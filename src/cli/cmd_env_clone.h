/* cmd_env_clone.h: `berth env clone` and `berth env refresh` (cli/cmd_env_clone.c), verbs of
 * the env noun (docs/clones.md). */
#ifndef BERTH_CLI_CMD_ENV_CLONE_H
#define BERTH_CLI_CMD_ENV_CLONE_H
#include "cli/cli.h"

extern const struct opt ENV_CLONE_OPTS[], ENV_REFRESH_OPTS[];
int cmd_env_clone(struct cli *c, struct args *a);
int cmd_env_refresh(struct cli *c, struct args *a);
#define ENV_CLONE_VERBS                                                                        \
	{"clone", "ENV --type staging|development [--name N] [--server S] [--branch B] "          \
		  "[--anonymize|--no-anonymize] [--follow]",                                       \
	 "A new staging or development environment with a neutralized copy of ENV's data (a"      \
	 " job).", ENV_CLONE_OPTS, 1, 1, cmd_env_clone},                                         \
	{"refresh", "ENV --from SOURCE [--follow]",                                               \
	 "Replace a staging or development environment's data with a fresh copy of SOURCE's (a"  \
	 " job; its settings and branch stay).", ENV_REFRESH_OPTS, 1, 1, cmd_env_refresh}
#endif
