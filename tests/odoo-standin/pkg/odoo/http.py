"""odoo.http as far as sessions go: get_default_session(), Session, FilesystemSessionStore and
root.session_store, with Odoo's file layout <session_dir>/<sid[:2]>/<sid>. Odoo 16: a 40
hexadecimal sid and a pickled dict, as 17 (its odoo/http.py keeps the vendored store's sha1 key
and pickles every value); 18+: an 84-character base64url sid and JSON (Odoo 18's odoo/http.py
and odoo/tools/_vendor/sessions.py)."""
import base64
import collections.abc
import contextlib
import glob
import json
import os
import pickle
import re
import tempfile
import time
from hashlib import sha1, sha512

from . import MAJOR
from .tools import config

SESSION_LIFETIME = 60 * 60 * 24 * 7
STORED_SESSION_BYTES = 42
_sha1_re = re.compile(r"^[a-f0-9]{40}$")
_base64_urlsafe_re = re.compile(r"^[A-Za-z0-9_-]{84}$")
_fs_transaction_suffix = ".__wz_sess"
JSON_SESSIONS = MAJOR >= 18


def get_default_session():
    s = {"context": {}, "db": None, "debug": "", "login": None, "uid": None,
         "session_token": None}
    if MAJOR >= 18:
        s["_trace"] = []
    return s


class Session(collections.abc.MutableMapping):
    __slots__ = ("can_save", "_Session__data", "is_dirty", "is_new", "should_rotate", "sid")

    def __init__(self, data, sid, new=False):
        self.can_save = True
        self.__data = {}
        self.update(data)
        self.is_dirty = False
        self.is_new = new
        self.should_rotate = False
        self.sid = sid

    def __getitem__(self, item):
        return self.__data[item]

    def __setitem__(self, item, value):
        if JSON_SESSIONS:  # as 18+: every value round-trips through JSON (16-17: pickle)
            value = json.loads(json.dumps(value))
        else:
            value = pickle.loads(pickle.dumps(value))
        if item not in self.__data or self.__data[item] != value:
            self.is_dirty = True
        self.__data[item] = value

    def __delitem__(self, item):
        del self.__data[item]
        self.is_dirty = True

    def __len__(self):
        return len(self.__data)

    def __iter__(self):
        return iter(self.__data)

    def __getattr__(self, attr):
        return self.get(attr, None)

    def __setattr__(self, key, val):
        if key in self.__slots__:
            super().__setattr__(key, val)
        else:
            self[key] = val


class FilesystemSessionStore:
    def __init__(self, path, session_class=Session, renew_missing=True, mode=0o644):
        self.path = path
        self.session_class = session_class
        self.renew_missing = renew_missing
        self.mode = mode

    def is_valid_key(self, key):
        rx = _base64_urlsafe_re if JSON_SESSIONS else _sha1_re
        return isinstance(key, str) and rx.match(key) is not None

    def generate_key(self, salt=None):
        if JSON_SESSIONS:
            key = str(time.time()).encode() + os.urandom(64)
            return base64.urlsafe_b64encode(sha512(key).digest()[:-1]).decode()
        salt = repr(salt).encode("ascii")
        return sha1(b"".join([salt, str(time.time()).encode("ascii"), os.urandom(30)])).hexdigest()

    def get_session_filename(self, sid):
        if not self.is_valid_key(sid):
            raise ValueError("Invalid session id %r" % sid)
        return os.path.join(self.path, sid[:2], sid)

    def new(self):
        return self.session_class({}, self.generate_key(), True)

    def save(self, session):
        fn = self.get_session_filename(session.sid)
        d = os.path.dirname(fn)
        if not os.path.isdir(d):
            with contextlib.suppress(OSError):
                os.makedirs(d, 0o755, exist_ok=True)
        fd, tmp = tempfile.mkstemp(suffix=_fs_transaction_suffix, dir=self.path)
        with os.fdopen(fd, "w" if JSON_SESSIONS else "wb") as f:
            if JSON_SESSIONS:
                json.dump(dict(session), f)
            else:
                pickle.dump(dict(session), f, pickle.HIGHEST_PROTOCOL)
        try:
            os.replace(tmp, fn)
            os.chmod(fn, self.mode)
        except OSError:
            pass

    def get(self, sid):
        if not self.is_valid_key(sid):
            return self.new()
        try:
            f = open(self.get_session_filename(sid), "r" if JSON_SESSIONS else "rb")
        except OSError:
            if self.renew_missing:
                return self.new()
            data = {}
        else:
            with f:
                try:
                    data = json.load(f) if JSON_SESSIONS else pickle.load(f)
                except Exception:  # noqa: BLE001  (as Odoo: an empty session)
                    data = {}
        return self.session_class(data, sid, False)

    def delete(self, session):
        with contextlib.suppress(OSError, ValueError):
            os.unlink(self.get_session_filename(session.sid))

    def list(self):
        """The sids of the stored sessions."""
        out = []
        for fn in glob.glob(os.path.join(self.path, "*", "*")):
            sid = os.path.basename(fn)
            if self.is_valid_key(sid):
                out.append(sid)
        return out

    def rotate(self, session, env):
        self.delete(session)
        session.sid = self.generate_key()
        if session.uid and env:
            session.session_token = env["res.users"].browse(session.uid)._compute_session_token(session.sid)
        session.should_rotate = False
        self.save(session)

    def vacuum(self, max_lifetime=SESSION_LIFETIME):
        threshold = time.time() - max_lifetime
        for fn in glob.iglob(os.path.join(self.path, "*", "*")):
            with contextlib.suppress(OSError):
                if os.path.getmtime(fn) < threshold:
                    os.unlink(fn)


class Application:
    @property
    def session_store(self):
        store = self.__dict__.get("_session_store")
        if store is None or store.path != config.session_dir:
            store = FilesystemSessionStore(config.session_dir, session_class=Session,
                                           renew_missing=True)
            self.__dict__["_session_store"] = store
        return store


root = Application()
