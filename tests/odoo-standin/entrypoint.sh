#!/bin/bash
# Entrypoint of berth's Odoo stand-in image. Same interface as the official odoo:17.0-19.0
# images' /entrypoint.sh:
#  - HOST, PORT, USER, PASSWORD (PASSWORD_FILE) from the environment, falling back to the legacy
#    link variables DB_PORT_5432_TCP_*/DB_ENV_POSTGRES_*, then POSTGRES_USER/POSTGRES_PASSWORD,
#    then PGHOST/PGPORT/PGUSER/PGPASSWORD, then db/5432/odoo/odoo;
#  - each becomes --db_host/--db_port/--db_user/--db_password only when that key is absent from
#    $ODOO_RC (so a db_password kept in odoo.conf never shows in the process list); with Odoo 19,
#    which reads PG* natively, a key is also left out when the matching PG* variable is set;
#  - "odoo ..." or "-..." waits up to 30 s for the `postgres` database, then execs odoo with the
#    arguments followed by the database arguments; "odoo scaffold" skips the wait;
#  - any other command is exec'd as is.
set -e

if [ -v PASSWORD_FILE ]; then
    PASSWORD="$(< "$PASSWORD_FILE")"
fi

: "${HOST:=${DB_PORT_5432_TCP_ADDR:-${PGHOST:-db}}}"
: "${PORT:=${DB_PORT_5432_TCP_PORT:-${PGPORT:-5432}}}"
: "${USER:=${DB_ENV_POSTGRES_USER:-${POSTGRES_USER:-${PGUSER:-odoo}}}}"
: "${PASSWORD:=${DB_ENV_POSTGRES_PASSWORD:-${POSTGRES_PASSWORD:-${PGPASSWORD:-odoo}}}}"
# (":-" inside: the PG* variables must stay unset when they were, for the Odoo 19 check below.)

major=${ODOO_VERSION%%.*}
DB_ARGS=()
add_db_arg() {   # key value pg-variable
    local key=$1 value=$2 pgvar=$3
    if [ "${major:-0}" -ge 19 ] 2>/dev/null && [ -v "$pgvar" ]; then
        return 0
    fi
    if grep -q -E "^\s*\b${key}\b\s*=" "$ODOO_RC"; then
        return 0
    fi
    DB_ARGS+=("--${key}" "${value}")
}
add_db_arg db_host "$HOST" PGHOST
add_db_arg db_port "$PORT" PGPORT
add_db_arg db_user "$USER" PGUSER
add_db_arg db_password "$PASSWORD" PGPASSWORD

case "$1" in
    -- | odoo)
        shift
        if [ "$1" = scaffold ]; then
            exec odoo "$@"
        fi
        wait-for-psql.py "${DB_ARGS[@]}" --timeout=30
        exec odoo "$@" "${DB_ARGS[@]}"
        ;;
    -*)
        wait-for-psql.py "${DB_ARGS[@]}" --timeout=30
        exec odoo "$@" "${DB_ARGS[@]}"
        ;;
    *)
        exec "$@"
        ;;
esac

exit 1
