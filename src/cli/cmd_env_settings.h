/* cmd_env_settings.h: berth env settings NAME [TAB] [--set key=value ...] [--apply];
 * berth env certificates NAME; berth env certificate NAME DOMAIN (custom certificates). */
#ifndef BERTH_CLI_CMD_ENV_SETTINGS_H
#define BERTH_CLI_CMD_ENV_SETTINGS_H
#include "cli/cli.h"

extern const struct opt ENV_SETTINGS_OPTS[];
int cmd_env_settings(struct cli *c, struct args *a);
#define ENV_SETTINGS_VERB                                                                      \
	{"settings", "ENV [TAB] [--set KEY=VALUE ...] [--apply]",                              \
	 "Show or change the environment's settings (tabs: odoo, postgresql, security, domain,"  \
	 " nginx, packages).", ENV_SETTINGS_OPTS, 1, 2, cmd_env_settings}
extern const struct opt ENV_CERT_OPTS[];
int cmd_env_certificates(struct cli *c, struct args *a);
int cmd_env_certificate(struct cli *c, struct args *a);
#define ENV_CERT_VERBS                                                                         \
	{"certificates", "ENV", "List the HTTPS certificates of the environment's domains.",      \
	 ENV_CERT_OPTS, 1, 1, cmd_env_certificates},                                           \
	{"certificate", "ENV DOMAIN (--cert-file PATH --key-file PATH | --delete)",             \
	 "Give a domain a custom certificate, or --delete it (back to ACME).", ENV_CERT_OPTS, 2, \
	 2, cmd_env_certificate}
#endif
