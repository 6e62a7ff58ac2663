"""odoo.tools.config: parse_config(['-c', path]) reads the [options] section of odoo.conf (and
$ODOO_RC without -c), as Odoo's configmanager does for the keys berth's scripts use."""
import configparser
import os

_DEFAULTS = {
    "db_host": False, "db_port": False, "db_user": False, "db_password": False,
    "db_sslmode": "prefer", "db_name": False, "data_dir": None, "admin_passwd": "admin",
    "addons_path": "", "list_db": True, "proxy_mode": False, "dbfilter": "",
}


def _value(raw):
    v = raw.strip()
    if v in ("True", "true"):
        return True
    if v in ("False", "false", "None", ""):
        return False
    return v


class configmanager:
    def __init__(self):
        self.options = dict(_DEFAULTS)
        self.rcfile = None

    def parse_config(self, args=None, setup_logging=None):
        args = list(args or [])
        rc = None
        i = 0
        while i < len(args):
            a = args[i]
            if a in ("-c", "--config") and i + 1 < len(args):
                rc = args[i + 1]
                i += 2
                continue
            if a.startswith("--config="):
                rc = a.partition("=")[2]
            elif a.startswith("--") and "=" in a:
                k, _, v = a[2:].partition("=")
                self.options[k.replace("-", "_")] = _value(v)
            i += 1
        rc = rc or os.environ.get("ODOO_RC") or os.environ.get("OPENERP_SERVER") or "~/.odoorc"
        self.rcfile = os.path.abspath(os.path.expanduser(rc))
        cp = configparser.RawConfigParser()
        try:
            with open(self.rcfile) as fh:
                cp.read_file(fh)
        except OSError:
            pass
        if cp.has_section("options"):
            for k, raw in cp.items("options"):
                self.options[k] = _value(raw)
        return self

    def __getitem__(self, key):
        if key == "data_dir":
            return self.data_dir
        return self.options.get(key)

    def __setitem__(self, key, value):
        self.options[key] = value

    def get(self, key, default=None):
        v = self[key]
        return default if v is None else v

    @property
    def data_dir(self):
        d = self.options.get("data_dir")
        if not d:
            d = os.path.join(os.path.expanduser("~"), ".local", "share", "Odoo")
        return os.path.abspath(os.path.expanduser(str(d)))

    @property
    def session_dir(self):
        # as Odoo: <data_dir>/sessions, created 0700
        d = os.path.join(self.data_dir, "sessions")
        if not os.path.exists(d):
            os.makedirs(d, 0o700, exist_ok=True)
        return d

    def filestore(self, dbname):
        return os.path.join(self.data_dir, "filestore", dbname)


config = configmanager()
