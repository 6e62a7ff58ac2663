/* jsonout.h: writes a jansson value as compact JSON into a struct sbuf, byte for byte what
 * json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(12)) writes (keys in
 * insertion order), without its per-value callbacks: the API's answers are written with it. */
#ifndef BERTH_JSONOUT_H
#define BERTH_JSONOUT_H
#include <jansson.h>
#include "lib/util.h"

void json_out(struct sbuf *sb, const json_t *v);
#endif
