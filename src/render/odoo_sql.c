/* odoo_sql.c: the SQL berth runs with psql in an environment's PostgreSQL, against Odoo's own
 * database (not berth's store): constant text, no input. */
#include "render/render.h"

const char RENDER_ODOO_BASE_STATE_SQL[] = "SELECT state FROM ir_module_module WHERE name='base'";

const char RENDER_ODOO_ADMIN_LOGIN_SQL[] = "SELECT login FROM res_users WHERE id=2";

const char RENDER_ODOO_ADMIN_SQL[] =
	"\\set ON_ERROR_STOP 1\n"
	"\\getenv l BERTH_ADMIN_LOGIN\n"
	"\\getenv p BERTH_ADMIN_PASSWORD\n"
	"UPDATE res_users SET login = coalesce(nullif(:'l', ''), login), password = :'p' WHERE id = 2;\n";
