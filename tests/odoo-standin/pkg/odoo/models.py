"""The two models berth's scripts touch, with Odoo's method names and behaviour:
res.users (browse, search, read of id/login/name/active/share, context_get,
_compute_session_token) and res.device.log (18+: _update_device)."""
import datetime
import hmac
from hashlib import sha256

from . import MAJOR

_FIELDS = ("id", "login", "name", "active", "share", "lang", "tz")


class BaseModel:
    _name = None

    def __init__(self, env, ids):
        self.env = env
        self._ids = tuple(ids)

    @property
    def ids(self):
        return list(self._ids)

    @property
    def id(self):
        return self._ids[0] if len(self._ids) == 1 else (False if not self._ids else None)

    def __iter__(self):
        for i in self._ids:
            yield type(self)(self.env, (i,))

    def __len__(self):
        return len(self._ids)

    def __bool__(self):
        return bool(self._ids)

    def __or__(self, other):
        return self.browse(list(dict.fromkeys(self._ids + other._ids)))

    def browse(self, ids):
        if isinstance(ids, int):
            ids = (ids,)
        return type(self)(self.env, ids or ())

    def with_user(self, uid):
        from .api import Environment
        return type(self)(Environment(self.env.cr, int(uid), self.env.context), self._ids)

    def sudo(self):
        return self


class ResUsers(BaseModel):
    _name = "res.users"
    _SQL = ("SELECT u.id, u.login, p.name, u.active, u.share, p.lang, p.tz FROM res_users u "
            "JOIN res_partner p ON p.id = u.partner_id")

    def _rows(self):
        if not self._ids:
            return []
        self.env.cr.execute(self._SQL + " WHERE u.id IN %s ORDER BY u.id", (tuple(self._ids),))
        return [dict(zip(_FIELDS, r)) for r in self.env.cr.fetchall()]

    def exists(self):
        return self.browse([r["id"] for r in self._rows()])

    def read(self, fields=None):
        return [{k: v for k, v in r.items() if not fields or k in fields or k == "id"}
                for r in self._rows()]

    def __getattr__(self, name):
        if name in _FIELDS and name != "id":
            rows = self._rows()
            if len(rows) != 1:
                raise ValueError("Expected singleton: %s(%s)" % (self._name, self._ids))
            return rows[0][name]
        raise AttributeError(name)

    def search(self, domain, limit=None, order=None):
        """Domains of (field, op, value) triples joined by AND; field in id, login, name,
        active, share; op in =, !=, ilike, in. Inactive users are left out unless the domain
        names `active` (Odoo's active_test)."""
        cols = {"id": "u.id", "login": "u.login", "name": "p.name", "active": "u.active",
                "share": "u.share"}
        where, params = [], []
        has_active = False
        for term in domain or []:
            if isinstance(term, str):
                continue  # '&' (the default); '|' is not supported by the stand-in
            f, op, v = term
            if f not in cols:
                raise ValueError("Invalid field %r in domain" % f)
            has_active = has_active or f == "active"
            if op == "=":
                where.append("%s = %%s" % cols[f])
            elif op == "!=":
                where.append("%s IS DISTINCT FROM %%s" % cols[f])
            elif op == "ilike":
                where.append("%s ILIKE %%s" % cols[f])
                v = "%" + str(v).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            elif op == "in":
                where.append("%s = ANY(%%s)" % cols[f])
                v = list(v)
            else:
                raise ValueError("Invalid operator %r" % op)
            params.append(v)
        if not has_active:
            where.append("u.active")
        sql = "SELECT u.id FROM res_users u JOIN res_partner p ON p.id = u.partner_id"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY p.name, u.login" if order in (None, "name") else " ORDER BY u.id"
        if limit:
            sql += " LIMIT %d" % int(limit)
        self.env.cr.execute(sql, params)
        return self.browse([r[0] for r in self.env.cr.fetchall()])

    def context_get(self):
        user = self.env.user
        rows = user._rows()
        if not rows:
            return {}
        return {"lang": rows[0]["lang"] or "en_US", "tz": rows[0]["tz"] or False,
                "uid": rows[0]["id"]}

    def _get_session_token_fields(self):
        return {"id", "login", "password", "active"}

    def _compute_session_token(self, sid):
        """As Odoo: HMAC-SHA256 of the sid keyed by the text of the row tuple of
        database.secret and the token fields (sorted). 18+ selects the secret first; 16-17
        last."""
        fields = ", ".join("res_users.%s" % f for f in sorted(self._get_session_token_fields()))
        secret = "(SELECT value FROM ir_config_parameter WHERE key='database.secret')"
        select = "%s, %s" % (secret, fields) if MAJOR >= 18 else "%s, %s" % (fields, secret)
        self.env.cr.execute("SELECT %s FROM res_users WHERE res_users.id = %%s" % select,
                            (self.id,))
        if self.env.cr.rowcount != 1:
            return False
        data_fields = self.env.cr.fetchone()
        key = (u"%s" % (data_fields,)).encode("utf-8")
        return hmac.new(key, sid.encode("utf-8"), sha256).hexdigest()


class ResDeviceLog(BaseModel):
    """Odoo 18+'s res.device.log (res_device.py): one row per session identifier (the sid's
    first 42 characters) and device, written when a request's trace is new or an hour old."""
    _name = "res.device.log"

    @staticmethod
    def update_trace(session, platform, browser, ip_address):
        now = int(datetime.datetime.now().timestamp())
        trace = session.setdefault("_trace", [])
        for t in trace:
            if t["platform"] == platform and t["browser"] == browser and t["ip_address"] == ip_address:
                if now - t["last_activity"] >= 3600:
                    t["last_activity"] = now
                    return t
                return None
        t = {"platform": platform, "browser": browser, "ip_address": ip_address,
             "first_activity": now, "last_activity": now}
        trace.append(t)
        return t

    def _update_device(self, session, platform, browser, ip_address):
        """Returns True when the session changed (its trace) and must be saved."""
        trace = self.update_trace(session, platform, browser, ip_address)
        if not trace:
            return False
        self.env.cr.execute(
            "INSERT INTO res_device_log (session_identifier, platform, browser, ip_address, "
            "device_type, user_id, first_activity, last_activity, revoked) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, false)",
            (session.sid[:42], trace["platform"], trace["browser"], trace["ip_address"],
             "computer", session["uid"],
             datetime.datetime.fromtimestamp(trace["first_activity"]),
             datetime.datetime.fromtimestamp(trace["last_activity"])))
        return True


MODELS = {"res.users": ResUsers}
if MAJOR >= 18:
    MODELS["res.device.log"] = ResDeviceLog
