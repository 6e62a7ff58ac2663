#include "core/config.h"

struct berth_config berth_cfg = {.apps_domain = "localhost"};
