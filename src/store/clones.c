/* clones.c: the store's side of clones (clones.h). */
#include "store/clones.h"

#include "store/db.h"

int clones_set_source(const char *env_id, const char *from_env_id)
{
	return db_exec("UPDATE environments SET cloned_from=?,"
		       " cloned_at=strftime('%Y-%m-%dT%H:%M:%SZ','now') WHERE id=?",
		       "ss", from_env_id, env_id);
}

int clones_copy_admin_password(const char *to_env_id, const char *from_env_id)
{
	return db_exec("UPDATE environments SET admin_password=(SELECT admin_password FROM"
		       " environments WHERE id=?) WHERE id=?",
		       "ss", from_env_id, to_env_id);
}

bool clones_has_source(const char *env_id)
{
	return db_int(0, "SELECT count(*) FROM environments WHERE id=? AND cloned_from IS NOT NULL",
		      "s", env_id) > 0;
}
