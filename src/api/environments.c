#include "api/http.h"
const struct route env_routes[] = {
	{NULL, NULL, NULL, 0},
};
