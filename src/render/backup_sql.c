/* backup_sql.c: the PostgreSQL statements of backups, restores and test restores
 * (ops/backup.c). Names reach them only as psql variables (:"name", :'name'), which psql
 * quotes itself. */
#include "render/render.h"

const char RENDER_RESTORE_PREPARE_SQL[] =
	"SELECT NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db')"
	" AND EXISTS (SELECT 1 FROM pg_database WHERE datname = :'old') AS revert \\gset\n"
	"\\if :revert\n"
	"ALTER DATABASE :\"old\" RENAME TO :\"db\";\n"
	"\\endif\n"
	"DROP DATABASE IF EXISTS :\"tmp\" WITH (FORCE);\n"
	"DROP DATABASE IF EXISTS :\"old\" WITH (FORCE);\n"
	"CREATE DATABASE :\"tmp\" OWNER :\"owner\" ENCODING 'unicode' LC_COLLATE 'C'"
	" TEMPLATE template0;\n";

const char RENDER_RESTORE_SWAP_SQL[] =
	"SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
	" WHERE datname IN (:'db', :'tmp') AND pid <> pg_backend_pid();\n"
	"SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db') AS live \\gset\n"
	"\\if :live\n"
	"ALTER DATABASE :\"db\" RENAME TO :\"old\";\n"
	"\\endif\n"
	"ALTER DATABASE :\"tmp\" RENAME TO :\"db\";\n"
	"DROP DATABASE IF EXISTS :\"old\" WITH (FORCE);\n";

const char RENDER_RESTORE_DROP_TMP_SQL[] =
	"DROP DATABASE IF EXISTS :\"tmp\" WITH (FORCE);\n";

const char RENDER_BACKUP_MODULES_SQL[] =
	"SELECT name, coalesce(latest_version, '') FROM ir_module_module"
	" WHERE state = 'installed' ORDER BY name";

const char RENDER_BACKUP_TABLES_SQL[] =
	"SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = 'public'";

const char RENDER_BACKUP_INSTALLED_SQL[] =
	"SELECT count(*) FROM ir_module_module WHERE state = 'installed'";

const char RENDER_BACKUP_PG_VERSION_SQL[] =
	"SHOW server_version";

const char RENDER_VERIFY_CREATE_SQL[] =
	"CREATE ROLE :\"owner\" LOGIN;\n"
	"CREATE DATABASE :\"tmp\" OWNER :\"owner\" ENCODING 'unicode'"
	" LC_COLLATE 'C' TEMPLATE template0;\n";
