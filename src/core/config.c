#include "core/config.h"

struct berth_config berth_cfg = {
	.apps_domain = "localhost",
	.webhook_backoff = {60, 300, 1800, 7200}, /* 1 min, 5 min, 30 min, 2 h */
	.webhook_backoff_n = 4,
};
