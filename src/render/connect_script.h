/* connect_script.h: the constant Python script of Connect As User (ops/connect.c runs it in
 * the environment's Odoo container with `python3 -c`; docs/connect.md). */
#ifndef BERTH_RENDER_CONNECT_SCRIPT_H
#define BERTH_RENDER_CONNECT_SCRIPT_H
/* Input: the exec's environment: BERTH_OP ("list" or "mint"), BERTH_DB, BERTH_RC (odoo.conf),
 * BERTH_Q (list), BERTH_UID or BERTH_LOGIN (mint). Output: a line "BERTH-JSON <object>" on
 * stdout: {"users": [...]} (list), {"sid", "user": {"id", "login", "name"}} (mint), or
 * {"error": "not_found" | "<exception>: <message>"}. */
extern const char RENDER_CONNECT_SCRIPT[];
#endif
