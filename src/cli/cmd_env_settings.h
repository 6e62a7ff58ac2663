/* cmd_env_settings.h: berth env settings NAME [TAB] [--set key=value ...] [--apply]. */
#ifndef BERTH_CLI_CMD_ENV_SETTINGS_H
#define BERTH_CLI_CMD_ENV_SETTINGS_H
#include "cli/cli.h"

extern const struct opt ENV_SETTINGS_OPTS[];
int cmd_env_settings(struct cli *c, struct args *a);
#define ENV_SETTINGS_VERB                                                                      \
	{"settings", "ENV [TAB] [--set KEY=VALUE ...] [--apply]",                              \
	 "Show or change the environment's settings (tabs: odoo, postgresql, security, domain,"  \
	 " nginx, packages).", ENV_SETTINGS_OPTS, 1, 2, cmd_env_settings}
#endif
