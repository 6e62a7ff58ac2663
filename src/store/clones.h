/* clones.h: what the store keeps of clones and refreshes (issue 14, docs/clones.md): the
 * environment an environment was cloned or last refreshed from, and when. */
#ifndef BERTH_STORE_CLONES_H
#define BERTH_STORE_CLONES_H
#include <stdbool.h>
/* cloned_from = from_env_id, cloned_at = now. 0 or -1. */
int clones_set_source(const char *env_id, const char *from_env_id);
/* Copies a sealed column of environment `from` to `to` (the copied database's administrator
 * password stays the source's). 0 or -1. */
int clones_copy_admin_password(const char *to_env_id, const char *from_env_id);
/* Whether the environment was cloned or refreshed from another (cloned_from is set). */
bool clones_has_source(const char *env_id);
#endif
