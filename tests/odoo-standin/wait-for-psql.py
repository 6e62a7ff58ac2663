#!/usr/bin/python3
"""Waits until PostgreSQL accepts a connection to the `postgres` database (stand-in image).

Same interface as the official image's /usr/local/bin/wait-for-psql.py: --db_host, --db_port,
--db_user, --db_password, --timeout (default 5 s). Values in $ODOO_RC's [options] win over the
arguments, which win over PGHOST/PGPORT/PGUSER/PGPASSWORD. Exit 1 with a message on failure.
Unlike the official script, errors that waiting cannot fix (authentication failed, unknown role,
no pg_hba.conf entry) fail at once instead of after the timeout: same result, sooner.
"""
import argparse
import configparser
import os
import sys
import time

import psycopg2

FATAL = ("password authentication failed", "no pg_hba.conf entry", "role \"")


def main():
    ap = argparse.ArgumentParser()
    for key in ("db_host", "db_port", "db_user", "db_password"):
        ap.add_argument("--" + key)
    ap.add_argument("--timeout", type=int, default=5)
    args = ap.parse_args()

    from_file = {}
    rc = os.environ.get("ODOO_RC")
    if rc:
        cp = configparser.RawConfigParser()
        try:
            cp.read(rc)
            if cp.has_section("options"):
                from_file = dict(cp.items("options"))
        except configparser.Error:
            pass

    params = {}
    for key, env in (("db_host", "PGHOST"), ("db_port", "PGPORT"), ("db_user", "PGUSER"),
                     ("db_password", "PGPASSWORD")):
        params[key] = from_file.get(key) or getattr(args, key) or os.environ.get(env)
    missing = [k for k, v in params.items() if v is None]
    if missing:
        print("Missing required database parameters: %s" % ", ".join(missing), file=sys.stderr)
        sys.exit(1)

    deadline = time.time() + args.timeout
    error = None
    while True:
        try:
            conn = psycopg2.connect(host=params["db_host"], port=params["db_port"],
                                    user=params["db_user"], password=params["db_password"],
                                    dbname="postgres", connect_timeout=5)
            conn.close()
            return 0
        except psycopg2.OperationalError as e:
            error = e
            if any(m in str(e) for m in FATAL):
                break
        if time.time() >= deadline:
            break
        time.sleep(1)
    print("Database connection failure: %s" % error, file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
