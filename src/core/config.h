/* config.h: berthd's settings that layers below the API read (set once by berthd_main.c from
 * the command line, before any thread starts). */
#ifndef BERTH_CORE_CONFIG_H
#define BERTH_CORE_CONFIG_H

struct berth_config {
	const char *apps_domain; /* environments answer at <subdomain>.<apps_domain> */
	const char *public_url;  /* berthd's own URL, for links (webhook URLs) */
};
extern struct berth_config berth_cfg;
#endif
