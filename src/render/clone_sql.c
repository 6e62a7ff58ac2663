/* clone_sql.c: the SQL of clones (clone_sql.h): constant text, names as psql variables. */
#include "render/clone_sql.h"

/* The copied database, before Odoo starts: renamed to the target's name (unless done), its
 * role given the target's password (read from the file the entrypoint reads). Names come as
 * psql variables. */
const char RENDER_CLONE_FIX_SQL[] =
	"\\set pw `cat /etc/berth/db_password`\n"
	"SELECT format('ALTER DATABASE %I RENAME TO %I', :'src', :'dst')\n"
	"  WHERE :'src' <> :'dst'\n"
	"    AND EXISTS (SELECT 1 FROM pg_database WHERE datname = :'src')\n"
	"    AND NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'dst') \\gexec\n"
	"ALTER ROLE :\"user\" PASSWORD :'pw';\n"
	"SELECT count(*) FROM pg_database WHERE datname = :'dst' \\gset\n"
	"\\if :count\n"
	"\\else\n"
	"  \\echo 'the copied cluster has no database' :'src'\n"
	"  SELECT 1/0;\n"
	"\\endif\n";

const char RENDER_CLONE_RELOAD_SQL[] = "SELECT pg_reload_conf()";
