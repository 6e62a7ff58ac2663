"""Servers: adding them, testing them (the probe) over a real OpenSSH sshd on loopback and over
the local Docker socket, host-key pinning, credentials never returned, validation, isolation
between organizations."""
import json
import os
import socket
import socketserver
import threading
import uuid
import time

import pytest

from conftest import (FAKE_DOCKER_ROOT, NO_SUCH_SOCKET, Berthd, new_user, socket_allow_args,
                      unique)
from sshd import Sshd

DOCKER_SOCK = "/var/run/docker.sock"
HAVE_DOCKER = os.path.exists(DOCKER_SOCK)


def need_docker():
    if not HAVE_DOCKER:
        pytest.skip("no Docker Engine at %s" % DOCKER_SOCK)


class FakeDocker:
    """A stand-in Docker Engine on a unix socket: answers /_ping, /version and /info with
    known values (chunked or with Content-Length), or refuses every request like a Docker
    Engine that does not speak the client's API version."""

    INFO = {"NCPU": 3, "MemTotal": 2 * 1024 ** 3 + 12345, "DockerRootDir": "/",
            "ServerVersion": "from-info"}
    VERSION = {"Version": "99.1.2-fake", "ApiVersion": "1.41", "MinAPIVersion": "1.12"}

    def __init__(self, mode="ok"):
        self.mode = mode
        # in the directory berthd allows local servers' sockets in (socket_allow_args)
        self.path = os.path.join(FAKE_DOCKER_ROOT, "fake-%s.sock" % uuid.uuid4().hex[:12])
        self.requests = []
        fake = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                line = self.rfile.readline().decode()
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                method, path = line.split()[:2]
                fake.requests.append((method, path))
                self.wfile.write(fake.answer(path))

        self.server = socketserver.ThreadingUnixStreamServer(self.path, Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def answer(self, path):
        if self.mode == "refuse":
            body = json.dumps({"message": "client version 1.41 is too old. Minimum supported "
                                          "API version is 1.44"}).encode()
            return (b"HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n"
                    b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        base = path.split("/")[-1]
        if base == "_ping":
            return b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nOK"
        doc = {"version": self.VERSION, "info": self.INFO}.get(base)
        if doc is None:
            return b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
        body = json.dumps(doc).encode()
        # chunked, split at an awkward place, as the Engine streams bigger answers
        cut = len(body) // 3
        chunks = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in (body[:cut], body[cut:]))
        return (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n" + chunks + b"0\r\n\r\n")

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        try:
            os.unlink(self.path)
        except OSError:
            pass


def root_fs_gib():
    st = os.statvfs("/")
    return st.f_blocks * st.f_frsize // 1024 ** 3


@pytest.fixture
def berthd():
    """berthd allowing the stand-in Engines' sockets to local servers."""
    d = Berthd(socket_allow_args()).start()
    yield d
    d.cleanup()


@pytest.fixture
def sshd():
    d = Sshd().start()
    yield d
    d.stop()


@pytest.fixture
def org(admin):
    """The admin's org on a plan that allows several servers."""
    plans = admin.get("/api/v1/plans").json_body
    roomy = max(plans, key=lambda p: p["max_servers"])
    r = admin.put("/api/v1/orgs/%s/plan" % admin.org_id, {"plan_id": roomy["id"]})
    assert r.status_code == 200, r.text
    return admin


def add_ssh(api, sshd, **over):
    body = {"name": unique("ssh"), "host": "127.0.0.1", "port": sshd.port, "user": "root",
            "private_key": sshd.private_key}
    body.update(over)
    body = {k: v for k, v in body.items() if v is not None}
    r = api.post("/api/v1/orgs/%s/servers" % api.org_id, body)
    assert r.status_code == 201, r.text
    return r.json_body


def probe(api, server_id):
    """POST /servers/{id}/test; the server as it is afterwards."""
    r = api.post("/api/v1/servers/%s/test" % server_id)
    assert r.status_code == 200, r.text
    return r.json_body


def key_material(private_key):
    """Distinctive pieces of a private key's text (its base64 lines)."""
    return [l for l in private_key.splitlines() if l and not l.startswith("-----")]


def assert_no_secret(text, private_key=None, password=None):
    for needle in key_material(private_key or "") + ["PRIVATE KEY"]:
        assert needle not in text, "the response leaks key material"
    if password:
        assert password not in text
    for field in ('"private_key":', '"password":', '"credential":'):
        assert field not in text, "the response has a %s field" % field


def assert_running_with_capacity(s):
    assert s["status"] == "running", s
    assert not s["status_reason"], s
    cap = s["capacity"]
    assert cap["cpu_cores"] > 0 and cap["ram_mb"] > 0 and cap["disk_gb"] > 0, cap
    assert s["docker_version"], s
    assert s["last_checked_at"], s


def test_ssh_server_probe_pin_and_key_change(org, sshd):
    s = add_ssh(org, sshd)
    assert s["status"] != "running" and s["host_key"] is None, s
    assert_no_secret(org.get("/api/v1/servers/%s" % s["id"]).text, sshd.private_key)

    t = probe(org, s["id"])
    # the fingerprint is pinned on first contact, formatted like OpenSSH's
    assert t["host_key"] == sshd.host_key_fingerprint, t
    need_docker()
    assert_running_with_capacity(t)
    assert t["transport"] == "ssh" and t["user"] == "root" and t["port"] == sshd.port

    # credentials are never returned, in any view
    for path in ("/api/v1/servers/%s" % s["id"], "/api/v1/orgs/%s/servers" % org.org_id):
        r = org.get(path)
        assert r.status_code == 200, r.text
        assert_no_secret(r.text, sshd.private_key)
    assert_no_secret(json.dumps(probe(org, s["id"])), sshd.private_key)

    # a second test with the pinned key still passes
    assert probe(org, s["id"])["status"] == "running"

    # the server comes back with another host key: refused, pin kept
    old_fp = sshd.host_key_fingerprint
    sshd.restart(new_host_key=True)
    new_fp = sshd.host_key_fingerprint
    assert new_fp != old_fp
    t = probe(org, s["id"])
    assert t["status"] == "error", t
    assert "host key" in t["status_reason"], t
    assert old_fp in t["status_reason"] and new_fp in t["status_reason"], t
    assert "reset_host_key" in t["status_reason"], t
    assert t["host_key"] == old_fp, t
    # and nothing happened after the key check: sshd saw no authentication this time
    before, _, after = sshd.read_log().rpartition("Server listening")
    assert "Accepted publickey for root" in before
    assert "Accepted publickey" not in after and "Failed publickey" not in after

    # accepting the new key: the next test pins it and is running again
    r = org.patch("/api/v1/servers/%s" % s["id"], {"reset_host_key": True})
    assert r.status_code == 200, r.text
    assert r.json_body["host_key"] is None, r.text
    t = probe(org, s["id"])
    assert t["host_key"] == new_fp, t
    assert_running_with_capacity(t)


def test_ssh_server_on_closed_port_is_offline(org):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    r = org.post("/api/v1/orgs/%s/servers" % org.org_id,
                 {"name": "closed", "host": "127.0.0.1", "port": port, "user": "root",
                  "private_key": _dummy_key()})
    assert r.status_code == 201, r.text
    t = probe(org, r.json_body["id"])
    assert t["status"] == "offline", t
    assert t["status_reason"], t
    assert t["host_key"] is None, t


def test_ssh_server_that_never_answers_is_offline_after_the_timeout(org):
    """A port that accepts connections but never sends an SSH banner: the test gives up after
    the connect timeout (10 s) instead of holding the request."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # the kernel completes the handshake; nobody ever speaks
    try:
        r = org.post("/api/v1/orgs/%s/servers" % org.org_id,
                     {"name": "silent", "host": "127.0.0.1", "port": silent.getsockname()[1],
                      "user": "root", "private_key": _dummy_key()})
        assert r.status_code == 201, r.text
        t0 = time.time()
        t = probe(org, r.json_body["id"])
        assert time.time() - t0 < 40
        assert t["status"] == "offline", t
        assert t["host_key"] is None, t
    finally:
        silent.close()


def test_ssh_server_unresolvable_host_is_offline(org):
    r = org.post("/api/v1/orgs/%s/servers" % org.org_id,
                 {"name": "nowhere", "host": "no-such-host.invalid", "port": 22, "user": "root",
                  "password": "not-used-here"})
    assert r.status_code == 201, r.text
    t = probe(org, r.json_body["id"])
    assert t["status"] == "offline", t
    assert t["status_reason"], t


_KEY_CACHE = {}


def _dummy_key():
    """A valid private key that no server accepts."""
    if "k" not in _KEY_CACHE:
        d = Sshd()  # only for its freshly generated keys; never started
        _KEY_CACHE["k"] = d.private_key
        d.stop()
    return _KEY_CACHE["k"]


def test_ssh_wrong_key_is_error(org, sshd):
    s = add_ssh(org, sshd, private_key=_dummy_key())
    t = probe(org, s["id"])
    assert t["status"] == "error", t
    assert "authentication failed" in t["status_reason"], t
    assert t["host_key"] == sshd.host_key_fingerprint, t  # the host was reached


def test_ssh_password_refused_is_error(org, sshd):
    s = add_ssh(org, sshd, private_key=None, password="hunter2-not-accepted")
    assert s["auth_method"] == "password", s
    assert_no_secret(org.get("/api/v1/servers/%s" % s["id"]).text,
                     password="hunter2-not-accepted")
    t = probe(org, s["id"])
    assert t["status"] == "error", t
    assert "authentication failed" in t["status_reason"], t
    assert_no_secret(org.get("/api/v1/orgs/%s/servers" % org.org_id).text,
                     password="hunter2-not-accepted")


def test_ssh_docker_not_answering_is_error(org, sshd):
    s = add_ssh(org, sshd, docker_socket="/run/berth-test-no-such/docker.sock")
    t = probe(org, s["id"])
    assert t["status"] == "error", t
    assert "Docker Engine does not answer on /run/berth-test-no-such/docker.sock" in \
        t["status_reason"], t
    assert t["host_key"] == sshd.host_key_fingerprint, t


def test_local_server(org):
    r = org.post("/api/v1/orgs/%s/servers" % org.org_id, {"name": "local", "transport": "local"})
    assert r.status_code == 201, r.text
    s = r.json_body
    assert s["transport"] == "local", s
    t = probe(org, s["id"])
    need_docker()
    assert_running_with_capacity(t)
    assert t["host_key"] is None, t


@pytest.fixture
def fake_docker():
    d = FakeDocker()
    yield d
    d.stop()


def assert_fake_capacity(t, fake):
    assert t["status"] == "running", t
    assert t["capacity"] == {"cpu_cores": 3, "ram_mb": 2048, "disk_gb": root_fs_gib()}, t
    assert t["docker_version"] == "99.1.2-fake", t
    # first an unversioned /version to pick the API version, then versioned requests
    assert fake.requests[0] == ("GET", "/version"), fake.requests
    paths = [p.split("/")[-1] for _, p in fake.requests[1:]]
    assert paths == ["_ping", "version", "info"], fake.requests
    assert all(m == "GET" for m, _ in fake.requests), fake.requests


def test_probe_reads_the_engine_local(org, fake_docker):
    """Exact values through the local transport: chunked answers, MemTotal in bytes to MiB,
    disk from statvfs of DockerRootDir."""
    r = org.post("/api/v1/orgs/%s/servers" % org.org_id,
                 {"name": "fake", "transport": "local", "docker_socket": fake_docker.path})
    assert r.status_code == 201, r.text
    assert_fake_capacity(probe(org, r.json_body["id"]), fake_docker)


def test_probe_reads_the_engine_over_ssh(org, sshd, fake_docker):
    """The same over SSH: the Engine API through a direct-streamlocal channel, disk through
    the one `df -Pk` of DockerRootDir."""
    s = add_ssh(org, sshd, docker_socket=fake_docker.path)
    assert_fake_capacity(probe(org, s["id"]), fake_docker)


def test_engine_refusing_requests_is_error_with_its_message(org, sshd):
    fake = FakeDocker(mode="refuse")
    try:
        r = org.post("/api/v1/orgs/%s/servers" % org.org_id,
                     {"name": "refusing", "transport": "local", "docker_socket": fake.path})
        assert r.status_code == 201, r.text
        s = add_ssh(org, sshd, docker_socket=fake.path)
        for sid in (r.json_body["id"], s["id"]):
            t = probe(org, sid)
            assert t["status"] == "error", t
            assert "HTTP 400" in t["status_reason"], t
            assert "too old" in t["status_reason"], t
    finally:
        fake.stop()


def test_local_server_without_docker_socket_is_error(org):
    r = org.post("/api/v1/orgs/%s/servers" % org.org_id,
                 {"name": "nodocker", "transport": "local",
                  "docker_socket": NO_SUCH_SOCKET})
    assert r.status_code == 201, r.text
    t = probe(org, r.json_body["id"])
    assert t["status"] == "error", t
    assert "Docker Engine does not answer" in t["status_reason"], t


@pytest.mark.parametrize("body,field", [
    ({"host": "a;b"}, "host"),
    ({"host": "$(reboot)"}, "host"),
    ({"host": "-oProxyCommand=x"}, "host"),
    ({"port": 0}, "port"),
    ({"port": 65536}, "port"),
    ({"port": "22"}, "port"),
    ({"private_key": None, "password": None}, "private_key"),
    ({"private_key": "not a key"}, "private_key"),
    ({"host": None}, "host"),
    ({"user": "root;id"}, "user"),
    ({"docker_socket": "relative/docker.sock"}, "docker_socket"),
    ({"transport": "telnet"}, "transport"),
    ({"name": ""}, "name"),
])
def test_validation(org, body, field):
    full = {"name": unique("v"), "host": "127.0.0.1", "port": 22, "user": "root",
            "private_key": _dummy_key()}
    full.update(body)
    full = {k: v for k, v in full.items() if v is not None}
    r = org.post("/api/v1/orgs/%s/servers" % org.org_id, full)
    assert r.status_code == 400, r.text
    err = r.json_body["error"]
    assert err["code"] == "VALIDATION_ERROR", r.text
    assert err.get("field") == field, r.text
    assert org.get("/api/v1/orgs/%s/servers" % org.org_id).json_body == []


def test_validation_on_update(org, sshd):
    s = add_ssh(org, sshd)
    for body, field in (({"host": "a;b"}, "host"), ({"port": 0}, "port"),
                        ({"transport": "local"}, "transport")):
        r = org.patch("/api/v1/servers/%s" % s["id"], body)
        assert r.status_code == 400, r.text
        err = r.json_body["error"]
        assert err["code"] == "VALIDATION_ERROR" and err.get("field") == field, r.text


def test_local_server_takes_no_credentials(org):
    r = org.post("/api/v1/orgs/%s/servers" % org.org_id,
                 {"name": "local", "transport": "local", "password": "x"})
    assert r.status_code == 400, r.text


def test_other_orgs_server_is_not_found(berthd, org, sshd):
    other = new_user(berthd, org)
    r = other.post("/api/v1/orgs", {"name": unique("Other")})
    assert r.status_code == 201, r.text
    other.org_id = r.json_body["id"]
    s = add_ssh(other, sshd)
    sid = s["id"]
    # the owner sees it; the admin of another org gets 404 for every route
    assert other.get("/api/v1/servers/%s" % sid).status_code == 200
    for method, path, body in (("GET", "/api/v1/servers/%s" % sid, None),
                               ("PATCH", "/api/v1/servers/%s" % sid, {"name": "mine"}),
                               ("POST", "/api/v1/servers/%s/test" % sid, {}),
                               ("POST", "/api/v1/servers/%s/prepare" % sid, {}),
                               ("DELETE", "/api/v1/servers/%s" % sid, None)):
        r = org.req(method, path, body=body)
        assert r.status_code == 404, (method, path, r.text)
        err = r.json_body["error"]
        assert err["code"] == "SERVER_NOT_FOUND", r.text
        assert_no_secret(r.text, sshd.private_key)
    r = org.get("/api/v1/orgs/%s/servers" % other.org_id)
    assert r.status_code in (403, 404), r.text
    assert sid not in r.text
    # untouched by the attempts
    s2 = other.get("/api/v1/servers/%s" % sid).json_body
    assert s2["name"] == s["name"] and s2["last_checked_at"] is None, s2


# ---- berthd's own Docker Engine belongs to the platform administrator ------------------------

def expect(r, status, code, field=None):
    assert r.status_code == status, r.text
    err = r.json_body["error"]
    assert err["code"] == code, r.text
    if field:
        assert err.get("field") == field, r.text
    return err


def test_only_the_platform_administrator_adds_local_servers(berthd, org, sshd, fake_docker):
    """A user who owns an organization cannot add a local server (berthd's own Docker Engine,
    root on its host) nor point docker_socket anywhere; the administrator assigns a local
    server to their organization, and only the administrator changes or tests it."""
    x = new_user(berthd, org)
    r = x.post("/api/v1/orgs", {"name": unique("Tenant")})
    assert r.status_code == 201, r.text
    x.org_id = r.json_body["id"]
    roomy = max(org.get("/api/v1/plans").json_body, key=lambda p: p["max_servers"])
    r = org.put("/api/v1/orgs/%s/plan" % x.org_id, {"plan_id": roomy["id"]})
    assert r.status_code == 200, r.text
    base = "/api/v1/orgs/%s/servers" % x.org_id
    expect(x.post(base, {"name": "mine", "transport": "local"}), 403, "PERMISSION_DENIED",
           "transport")
    expect(x.post(base, {"name": "bus", "transport": "local",
                         "docker_socket": "/run/dbus/system_bus_socket"}),
           403, "PERMISSION_DENIED")
    expect(x.post(base, {"name": "s", "host": "127.0.0.1", "port": sshd.port,
                         "private_key": sshd.private_key,
                         "docker_socket": "/run/dbus/system_bus_socket"}),
           403, "PERMISSION_DENIED", "docker_socket")
    assert x.get(base).json_body == []
    # an SSH server of their own, without a socket path, is theirs to manage
    s = add_ssh(x, sshd)
    expect(x.patch("/api/v1/servers/%s" % s["id"], {"docker_socket": "/run/other.sock"}), 403,
           "PERMISSION_DENIED", "docker_socket")
    # the administrator (not a member) assigns a local server to the organization
    r = org.post(base, {"name": "assigned", "transport": "local",
                        "docker_socket": fake_docker.path})
    assert r.status_code == 201, r.text
    sid = r.json_body["id"]
    assert x.get("/api/v1/servers/%s" % sid).status_code == 200
    expect(x.post("/api/v1/servers/%s/test" % sid), 403, "PERMISSION_DENIED", "transport")
    expect(x.patch("/api/v1/servers/%s" % sid, {"max_projects": 3}), 403, "PERMISSION_DENIED",
           "transport")
    expect(x.patch("/api/v1/servers/%s" % sid, {"docker_socket": "/run/dbus/system_bus_socket"}),
           403, "PERMISSION_DENIED")
    assert_fake_capacity(probe(org, sid), fake_docker)
    r = org.patch("/api/v1/servers/%s" % sid, {"max_projects": 3})
    assert r.status_code == 200 and r.json_body["max_projects"] == 3, r.text
    # the administrator reaches no SSH server of an organization it is not a member of
    expect(org.post(base, {"name": "s2", "host": "127.0.0.1", "port": sshd.port,
                           "private_key": sshd.private_key}), 404, "ORG_NOT_FOUND")
    expect(org.get("/api/v1/servers/%s" % s["id"]), 404, "SERVER_NOT_FOUND")


@pytest.mark.parametrize("path", [
    "/run/dbus/system_bus_socket",
    "/var/run/docker.sock/../../dbus/system_bus_socket",
    FAKE_DOCKER_ROOT + "/../x.sock",
    FAKE_DOCKER_ROOT + "/sub/x.sock",
    "/var/run//docker.sock",
], ids=["dbus", "dotdot", "fake-parent", "fake-sub", "double-slash"])  # xdist: same ids everywhere
def test_local_server_socket_must_be_allowed(org, path):
    base = "/api/v1/orgs/%s/servers" % org.org_id
    expect(org.post(base, {"name": unique("l"), "transport": "local", "docker_socket": path}),
           400, "VALIDATION_ERROR", "docker_socket")
    r = org.post(base, {"name": unique("l"), "transport": "local"})
    assert r.status_code == 201, r.text
    expect(org.patch("/api/v1/servers/%s" % r.json_body["id"], {"docker_socket": path}), 400,
           "VALIDATION_ERROR", "docker_socket")


def test_default_allows_only_the_engine_sockets(fake_docker):
    """Without --docker-socket-allow, local servers may use /var/run/docker.sock and
    /run/docker.sock only."""
    from conftest import ADMIN_EMAIL, ADMIN_PASSWORD
    d = Berthd().start()
    try:
        r = d.api().post("/api/v1/setup", {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD,
                                           "organization": "Acme"})
        assert r.status_code == 201, r.text
        a = d.api(r.json_body["access_token"])
        base = "/api/v1/orgs/%s/servers" % r.json_body["organization"]["id"]
        expect(a.post(base, {"name": "fake", "transport": "local",
                             "docker_socket": fake_docker.path}),
               400, "VALIDATION_ERROR", "docker_socket")
        for path in ("/var/run/docker.sock", "/run/docker.sock"):
            r = a.post(base, {"name": unique("l"), "transport": "local", "docker_socket": path})
            assert r.status_code == 201, r.text
    finally:
        d.cleanup()


@pytest.mark.parametrize("route", ["test", "prepare"])
@pytest.mark.parametrize("body,field", [({"force": True}, "force"), ([], "")])
def test_test_and_prepare_bodies_follow_the_field_rules(org, sshd, route, body, field):
    s = add_ssh(org, sshd)
    r = org.post("/api/v1/servers/%s/%s" % (s["id"], route), body)
    e = expect(r, 400, "VALIDATION_ERROR")
    assert e.get("field", "") == field, r.text
