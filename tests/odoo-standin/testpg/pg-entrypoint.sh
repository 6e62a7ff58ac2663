#!/bin/bash
# initdb on first start (superuser `postgres`, password $POSTGRES_PASSWORD, scram over TCP),
# optionally an Odoo role $ODOO_DB_USER/$ODOO_DB_PASSWORD with CREATEDB, then runs
# /docker-entrypoint-initdb.d/*.sql, then execs postgres listening on all addresses.
set -euo pipefail
: "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD is required}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  pwfile=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  initdb -D "$PGDATA" -U postgres --pwfile="$pwfile" -E UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  rm -f "$pwfile"
  echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
  pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -c unix_socket_directories=/run/postgresql" -w start >/dev/null
  psql=(psql -v ON_ERROR_STOP=1 -h /run/postgresql -U postgres -d postgres -q)
  if [ -n "${ODOO_DB_USER:-}" ]; then
    # psql interpolates :"u"/:'p' (quoted safely) only in input it reads, not in -c.
    "${psql[@]}" -v u="$ODOO_DB_USER" -v p="${ODOO_DB_PASSWORD:-odoo}" \
      <<<"CREATE ROLE :\"u\" LOGIN CREATEDB PASSWORD :'p';"
  fi
  for f in /docker-entrypoint-initdb.d/*.sql; do
    [ -e "$f" ] && "${psql[@]}" -f "$f"
  done
  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
fi
exec postgres -D "$PGDATA" -c listen_addresses='*' -c unix_socket_directories=/run/postgresql "$@"
