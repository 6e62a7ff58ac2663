"""Connections from odoo.tools.config's db_* keys (psycopg2), as odoo.sql_db does."""
import os

import psycopg2

from .tools import config


def connection_info(dbname):
    kw = {"dbname": dbname, "application_name": "odoo-%d" % os.getpid()}
    for p in ("host", "port", "user", "password", "sslmode"):
        v = config.options.get("db_" + p)
        if v not in (None, False, ""):
            kw[p] = v
    return kw


class Cursor:
    """A cursor on its own connection; `with` commits at the end (rolls back on error) and
    closes, as Odoo's Cursor does."""

    def __init__(self, dbname):
        self.dbname = dbname
        self._cnx = psycopg2.connect(**connection_info(dbname))
        self._obj = self._cnx.cursor()

    def execute(self, query, params=None):
        return self._obj.execute(query, params)

    def fetchone(self):
        return self._obj.fetchone()

    def fetchall(self):
        return self._obj.fetchall()

    def dictfetchall(self):
        cols = [d[0] for d in self._obj.description]
        return [dict(zip(cols, r)) for r in self._obj.fetchall()]

    @property
    def rowcount(self):
        return self._obj.rowcount

    def commit(self):
        self._cnx.commit()

    def rollback(self):
        self._cnx.rollback()

    def close(self):
        try:
            self._obj.close()
        finally:
            self._cnx.close()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is None:
                self.commit()
            else:
                self.rollback()
        finally:
            self.close()
