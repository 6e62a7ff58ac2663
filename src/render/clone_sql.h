/* clone_sql.h: the SQL run on a clone's copied cluster (ops/clone.c), as constant psql
 * scripts: values come as psql variables (:'name', :"name"), never in the text. */
#ifndef BERTH_RENDER_CLONE_SQL_H
#define BERTH_RENDER_CLONE_SQL_H
/* Variables src, dst (database names), user (the environment's role): src renamed dst unless
 * done, the role given the password of /etc/berth/db_password; fails when the cluster has
 * neither. */
extern const char RENDER_CLONE_FIX_SQL[];
/* Reloads the server's configuration (pg_hba.conf). */
extern const char RENDER_CLONE_RELOAD_SQL[];
#endif
