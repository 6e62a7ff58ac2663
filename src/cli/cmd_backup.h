/* cmd_backup.h: `berth env backup` and `berth env import` (cli/cmd_backup.c), verbs of the
 * env noun; the backup noun's verbs are backup_verbs (cli.h). */
#ifndef BERTH_CLI_CMD_BACKUP_H
#define BERTH_CLI_CMD_BACKUP_H
#include "cli/cli.h"

extern const struct opt env_backup_opts[], env_import_opts[];
int cmd_env_backup(struct cli *c, struct args *a);
int cmd_env_import(struct cli *c, struct args *a);
#define ENV_BACKUP_VERBS                                                                       \
	{"backup", "ENV [--scope db|full] [--follow]",                                             \
	 "Back up a production or staging environment (a job; full: database and filestore).",   \
	 env_backup_opts, 1, 1, cmd_env_backup},                                                  \
	{"import", "ENV FILE [--no-safety-backup] [--no-filestore] [--yes] [--follow]",           \
	 "Upload an Odoo backup zip (or a .dump) and restore it into the environment (a job).",   \
	 env_import_opts, 2, 2, cmd_env_import}
#endif
