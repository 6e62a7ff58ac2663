"""Integration test harness: starts the real berthd on a temporary data directory."""
import atexit
import json
import os
import random
import shutil
import socket
import subprocess
import tempfile
import time
import uuid

import pytest
import requests

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("BERTH_BUILD", os.path.join(ROOT, "build"))
BERTHD = os.path.join(BUILD, "berthd")
BERTH = os.path.join(BUILD, "berth")


_GIVEN_PORTS = set()


def _ephemeral_low():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port():
    """A TCP port free on every address, below the kernel's ephemeral range: a port the kernel
    hands out itself (port 0) can be taken again by any outgoing connection before the test
    binds it (an edge proxy's docker-proxy then fails with "address already in use")."""
    lo, hi = 20000, min(_ephemeral_low() - 1, 32767)
    # pytest-xdist workers (make test runs three) take disjoint slices of the range: two
    # workers' test modules never pick the same port
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1)
    if worker.startswith("gw") and worker[2:].isdigit() and count > 1:
        width = (hi - lo) // count
        lo += int(worker[2:]) * width
        hi = lo + width - 1
    for _ in range(500):
        port = random.randint(lo, hi)
        if port in _GIVEN_PORTS:
            continue
        s = socket.socket()
        try:
            s.bind(("0.0.0.0", port))
        except OSError:
            continue
        finally:
            s.close()
        _GIVEN_PORTS.add(port)
        return port
    raise RuntimeError("no free port below the ephemeral range")


class Api:
    """A small JSON client for berthd."""

    def __init__(self, base, token=None):
        self.base = base
        self.token = token
        self.s = requests.Session()

    def with_token(self, token):
        return Api(self.base, token)

    def req(self, method, path, body=None, token=None, raw=None, headers=None):
        h = dict(headers or {})
        tok = token if token is not None else self.token
        if tok:
            h["Authorization"] = "Bearer " + tok
        data = raw
        if body is not None:
            data = json.dumps(body)
            h.setdefault("Content-Type", "application/json")
        r = self.s.request(method, self.base + path, data=data, headers=h, timeout=60)
        try:
            r.json_body = r.json()
        except ValueError:
            r.json_body = None
        return r

    def get(self, path, **kw):
        return self.req("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.req("POST", path, body=body if body is not None else {}, **kw)

    def patch(self, path, body, **kw):
        return self.req("PATCH", path, body=body, **kw)

    def put(self, path, body, **kw):
        return self.req("PUT", path, body=body, **kw)

    def delete(self, path, body=None, **kw):
        return self.req("DELETE", path, body=body, **kw)


class Berthd:
    def __init__(self, extra_args=()):
        self.dir = tempfile.mkdtemp(prefix="berth-test-")
        self.data = os.path.join(self.dir, "data")
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.log_path = os.path.join(self.dir, "berthd.log")
        self.extra_args = list(extra_args)
        self.proc = None

    def start(self):
        self.log = open(self.log_path, "ab")
        offset = self.log.tell()  # a restart appends: look for "ready" after this point
        self.proc = subprocess.Popen(
            [BERTHD, "--data", self.data, "--listen", "127.0.0.1:%d" % self.port]
            + self.extra_args,
            stdout=self.log, stderr=subprocess.STDOUT)
        # wait for the "berthd ready" line rather than sleeping a fixed time
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("berthd exited: " + self.read_log())
            with open(self.log_path, "rb") as f:
                f.seek(offset)
                if b'"berthd ready"' in f.read():
                    return self
            time.sleep(0.05)
        raise RuntimeError("berthd did not get ready: " + self.read_log())

    def stop(self, sig=None):
        if self.proc and self.proc.poll() is None:
            if sig:
                self.proc.send_signal(sig)
            else:
                self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if getattr(self, "log", None):
            self.log.close()

    def read_log(self):
        try:
            return open(self.log_path, "rb").read().decode(errors="replace")
        except OSError:
            return ""

    def cleanup(self):
        self.stop()
        log = self.read_log()
        shutil.rmtree(self.dir, ignore_errors=True)
        # a sanitizer build reports memory errors in the log: make them test failures
        for marker in ("ERROR: AddressSanitizer", "runtime error:", "ERROR: LeakSanitizer"):
            if marker in log:
                i = log.index(marker)
                raise AssertionError("berthd: %s" % log[max(0, i - 200):i + 3000])

    def api(self, token=None):
        return Api(self.url, token)


# Stand-in Docker Engines (test_servers.FakeDocker) put their sockets here; berthd allows
# local servers only the Engine sockets it is told to (--docker-socket-allow).
FAKE_DOCKER_ROOT = tempfile.mkdtemp(prefix="berth-fakedocker-")
atexit.register(shutil.rmtree, FAKE_DOCKER_ROOT, True)
NO_SUCH_SOCKET = "/run/berth-test-no-such/docker.sock"


def socket_allow_args():
    """berthd options allowing the host's Engine, the stand-ins' and a socket that is not
    there."""
    args = []
    for path in ("/var/run/docker.sock", "/run/docker.sock", FAKE_DOCKER_ROOT + "/",
                 NO_SUCH_SOCKET):
        args += ["--docker-socket-allow", path]
    return args


ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "correct horse battery"


@pytest.fixture
def berthd():
    d = Berthd().start()
    yield d
    d.cleanup()


@pytest.fixture
def admin(berthd):
    """An Api logged in as the platform administrator, with .org_id of the first org."""
    api = berthd.api()
    r = api.post("/api/v1/setup", {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD,
                                   "organization": "Acme"})
    assert r.status_code == 201, r.text
    a = api.with_token(r.json_body["access_token"])
    a.org_id = r.json_body["organization"]["id"]
    a.user_id = r.json_body["user"]["id"]
    return a


def unique(prefix="x"):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:8])


def new_user(berthd, admin, role="developer", org_id=None, projects=None):
    """Invites and accepts a new user into org_id (default: admin's org); returns their Api."""
    org_id = org_id or admin.org_id
    email = unique("user") + "@example.com"
    body = {"email": email, "role": role}
    if projects is not None:
        body["projects"] = projects
    r = admin.post("/api/v1/orgs/%s/invitations" % org_id, body)
    assert r.status_code == 201, r.text
    tok = r.json_body["token"]
    r = berthd.api().post("/api/v1/invitations/%s/accept" % tok,
                          {"name": "Test User", "password": "password-for-tests"})
    assert r.status_code == 200, r.text
    u = berthd.api(r.json_body["access_token"])
    u.email = email
    u.user_id = r.json_body["user"]["id"]
    return u
