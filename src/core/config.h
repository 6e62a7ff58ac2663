/* config.h: berthd's settings that layers below the API read (set once by berthd_main.c from
 * the command line, before any thread starts). */
#ifndef BERTH_CORE_CONFIG_H
#define BERTH_CORE_CONFIG_H
#include <stdbool.h>

struct berth_config {
	const char *apps_domain; /* environments answer at <subdomain>.<apps_domain> */
	const char *public_url;  /* berthd's own URL, for links (webhook URLs) */
	/* outgoing webhooks may reach loopback, link-local and private addresses
	 * (--webhook-allow-private; off by default) */
	bool webhook_allow_private;
	/* seconds between a failed delivery attempt and the next (--webhook-backoff) */
	int webhook_backoff[8];
	int webhook_backoff_n;
	/* backup targets (SFTP hosts, S3 endpoints) may reach loopback, link-local and private
	 * addresses (--backup-allow-private; off by default) */
	bool backup_allow_private;
	/* berthd's data directory: never mounted into an environment on berthd's own host
	 * (ops/env_mounts.c) */
	const char *data_dir;
};
extern struct berth_config berth_cfg;
#endif
