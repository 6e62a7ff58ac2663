"""The Access tab (issue 14) on the real Docker Engine: GET /environments/{id}/access (fields,
passwords masked unless revealed, reveals audited and only for environment.ide, the plan's
gate and notice), PostgreSQL published on the server's loopback and reached through the
answer's SSH tunnel command (a real sshd on loopback, the server record using it), the IDE
(the stand-in image tests/ide-standin) through the edge at /ide/ with its password and a
websocket, its password's rotation, Cloudflare's switch of the tunnel host, the IDE image
setting, tenancy (404) and permissions (403).

One environment is deployed once for the module (on a server record reached over the loopback
sshd) and shared by the tests, which run in file order."""
import base64
import json
import os
import re
import socket
import subprocess
import time

import pytest

from conftest import BERTH, free_port, new_user, unique
import runtime as rt
from test_runtime import make_platform

pytestmark = pytest.mark.skipif(not rt.docker_available(), reason="no Docker Engine")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
IDE_IMAGE = "berth-test/ide:1"
MASK = "********"


@pytest.fixture(scope="module")
def world():
    rt.ensure_standin()
    r = subprocess.run(["bash", os.path.join(ROOT, "tests", "ide-standin", "build.sh")],
                       capture_output=True, text=True, timeout=1800)
    assert r.returncode == 0, r.stdout + r.stderr
    gen = make_platform()
    a = next(gen)
    sshd = rt.Sshd().start()
    try:
        r = a.put("/api/v1/admin/ide", {"image": IDE_IMAGE})
        assert r.status_code == 200, r.text
        a.http_port, a.https_port = free_port(), free_port()
        r = a.post("/api/v1/orgs/%s/servers" % a.org_id,
                   {"name": "ssh", "host": "127.0.0.1", "port": sshd.port, "user": "root",
                    "private_key": sshd.private_key, "http_port": a.http_port,
                    "https_port": a.https_port})
        assert r.status_code == 201, r.text
        a.ssh_server = r.json_body["id"]
        a.extra_servers = [a.ssh_server]
        assert a.post("/api/v1/servers/%s/test" % a.ssh_server).json_body["status"] == "running"
        body = {"env_type": "staging", "vm_id": a.ssh_server, "cpu_cores": 1.0, "ram_mb": 1024,
                "disk_gb": 2}
        r = a.post("/api/v1/projects/%s/environments" % a.project_id, body)
        assert r.status_code == 201, r.text
        a.env = r.json_body
        a.eid = a.env["id"]
        a.host = a.env["subdomain"] + ".localhost"
        a.sshd = sshd
        a.developer = new_user(a.berthd, a, role="developer")
        a.viewer = new_user(a.berthd, a, role="viewer")
        rt.run_job(a, "POST", "/api/v1/environments/%s/deploy" % a.eid)
        yield a
    finally:
        try:
            next(gen)
        except StopIteration:
            pass
        finally:
            sshd.stop()


def access(u, eid, reveal=None, status=200):
    r = u.get("/api/v1/environments/%s/access" % eid + ("?reveal=" + reveal if reveal else ""))
    assert r.status_code == status, r.text
    return r.json_body


def container(eid, role):
    c = rt.env_containers(eid, role)
    assert c, "no %s container" % role
    return c[0]


def running(name):
    return rt.inspect(name)["State"]["Running"]


# ---- the edge: raw HTTP with a Host header ----

def request(port, host, method, path, headers=(), body=b""):
    """(status, headers dict (lower-case names; set-cookie as a list), body bytes)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    try:
        lines = ["%s %s HTTP/1.1" % (method, path), "Host: " + host, "Connection: close"]
        lines += ["%s: %s" % kv for kv in headers]
        if body:
            lines.append("Content-Length: %d" % len(body))
        s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    finally:
        s.close()
    head, _, rest = data.partition(b"\r\n\r\n")
    hl = head.decode(errors="replace").split("\r\n")
    status = int(hl[0].split(" ")[1])
    hd = {"set-cookie": []}
    for line in hl[1:]:
        k, _, v = line.partition(":")
        if k.lower() == "set-cookie":
            hd["set-cookie"].append(v.strip())
        else:
            hd[k.lower()] = v.strip()
    if hd.get("transfer-encoding", "").lower() == "chunked":
        out, buf = b"", rest
        while buf:
            size, _, buf = buf.partition(b"\r\n")
            n = int(size.split(b";")[0] or b"0", 16)
            if n == 0:
                break
            out, buf = out + buf[:n], buf[n + 2:]
        rest = out
    return status, hd, rest


def login(a, password):
    """POST /ide/login through the edge: (status, the session cookie or None)."""
    st, hd, _ = request(a.http_port, a.host, "POST", "/ide/login",
                        [("Content-Type", "application/x-www-form-urlencoded")],
                        ("password=" + password).encode())
    cookie = None
    for c in hd["set-cookie"]:
        if c.startswith("code-server-session="):
            cookie = c.split(";")[0]
    return st, cookie


def test_access_answer_and_the_published_port(world):
    a = world
    got = access(a, a.eid)
    assert set(got) == {"instance_url", "ide", "database", "ssh_tunnel", "plan"}
    assert got["instance_url"] == "http://%s:%d" % (a.host, a.http_port)
    assert got["ide"] == {"available": True, "url": got["instance_url"] + "/ide",
                          "password": MASK, "revealed": False}
    db = got["database"]
    assert db["name"] == a.env["name"] and db["user"] == "odoo" and db["odoo_port"] == 8069
    assert db["password"] == MASK and db["revealed"] is False
    port = db["postgres_port"]
    assert 15432 <= port <= 16431
    t = got["ssh_tunnel"]
    assert t == {"command": "ssh -L %d:localhost:%d -N -f -p %d root@%s"
                            % (port, port, a.sshd.port, a.host),
                 "host": a.host, "user": "root", "port": a.sshd.port}
    assert got["plan"] == {"allow_ide": True, "allow_connect": True, "notice": None}
    # PostgreSQL is published on the server's loopback only, at that port
    b = rt.inspect(container(a.eid, "db"))["HostConfig"]["PortBindings"]
    assert b == {"5432/tcp": [{"HostIp": "127.0.0.1", "HostPort": str(port)}]}
    # the password is not in the IDE container's environment or arguments
    ide = rt.inspect(container(a.eid, "ide"))
    pw = access(a, a.eid, "ide_password")["ide"]["password"]
    assert pw not in str(ide["Config"]) and pw not in str(ide["Args"])
    assert ide["Config"]["Image"] == IDE_IMAGE and ide["State"]["Running"]
    mounts = {m["Destination"]: m for m in ide["Mounts"]}
    assert mounts["/mnt/berth-code"]["RW"] is False
    assert ide["Config"]["Labels"]["berth.env"] == a.eid


def test_reveal_is_audited_and_needs_environment_ide(world):
    a = world
    before = len([e for e in a.get("/api/v1/orgs/%s/audit" % a.org_id).json_body
                  if e["action"] == "environment.access.reveal"])
    ide = access(a.developer, a.eid, "ide_password")
    assert ide["ide"]["revealed"] is True and re.fullmatch(r"[0-9a-f]{40}", ide["ide"]["password"])
    assert ide["database"]["password"] == MASK
    db = access(a.developer, a.eid, "db_password")
    assert db["database"]["revealed"] is True and db["database"]["password"] != MASK
    assert db["ide"]["password"] == MASK
    audit = [e for e in a.get("/api/v1/orgs/%s/audit" % a.org_id).json_body
             if e["action"] == "environment.access.reveal"]
    assert len(audit) == before + 2
    assert str(audit[0]).find(ide["ide"]["password"]) < 0 and str(audit).find(db["database"]["password"]) < 0
    # a viewer sees the rest, without the IDE, and may reveal nothing
    v = access(a.viewer, a.eid)
    assert v["ide"] == {"available": False, "url": None, "password": None, "revealed": False}
    assert v["database"]["password"] == MASK
    for what in ("ide_password", "db_password"):
        r = a.viewer.get("/api/v1/environments/%s/access?reveal=%s" % (a.eid, what))
        assert r.status_code == 403 and r.json_body["error"]["code"] == "PERMISSION_DENIED", r.text
    r = a.viewer.post("/api/v1/environments/%s/ide/password" % a.eid)
    assert r.status_code == 403 and r.json_body["error"]["code"] == "PERMISSION_DENIED", r.text
    r = a.get("/api/v1/environments/%s/access?reveal=admin_password" % a.eid)
    assert r.status_code == 400 and r.json_body["error"]["field"] == "reveal", r.text
    # another organization's member: not found, whatever is asked
    x = new_user(a.berthd, a, role="developer")
    r = x.post("/api/v1/orgs", {"name": unique("Globex")})
    assert r.status_code == 201, r.text
    outsider = new_user(a.berthd, x, role="admin", org_id=r.json_body["id"])
    for path in ("/access", "/access?reveal=db_password"):
        r = outsider.get("/api/v1/environments/%s%s" % (a.eid, path))
        assert r.status_code == 404 and r.json_body["error"]["code"] == "ENVIRONMENT_NOT_FOUND", r.text
    r = outsider.post("/api/v1/environments/%s/ide/password" % a.eid)
    assert r.status_code == 404, r.text


def test_tunnel_command_and_psql(world):
    """The answer's command run as it is, with the test's key and host-key options added and
    the host replaced by 127.0.0.1 (the domain does not resolve here). The test machine is
    the server too: the server's loopback port is taken by docker-proxy, so the local end of
    -L is another free port; the remote end is the answer's."""
    a = world
    got = access(a, a.eid, "db_password")
    port, pw, dbname = (got["database"]["postgres_port"], got["database"]["password"],
                        got["database"]["name"])
    env = dict(os.environ, PGPASSWORD=pw, PGCONNECT_TIMEOUT="10")
    # straight to the published port on the loopback (docker-proxy from the bridge gateway:
    # pg_hba's samenet lets the environment's role in with its password)
    r = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(port), "-U", "odoo", "-d", dbname,
                        "-tAc", "SELECT current_user"], env=env, capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0 and r.stdout.strip() == "odoo", r.stderr
    # PostgreSQL sees the connection come from the environment network's gateway (docker-proxy,
    # or Docker's NAT for loopback): inside samenet
    r = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(port), "-U", "odoo", "-d", dbname,
                        "-tAc", "SELECT host(inet_client_addr())"], env=env, capture_output=True,
                       text=True, timeout=60)
    net = rt.inspect(container(a.eid, "db"))["HostConfig"]["NetworkMode"]
    gw = json.loads(rt.docker("network", "inspect", net).stdout)[0]["IPAM"]["Config"][0]["Gateway"]
    assert r.stdout.strip() == gw, (r.stdout, gw)
    bad = dict(env, PGPASSWORD="wrong")
    r = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(port), "-U", "odoo", "-d", dbname,
                        "-tAc", "SELECT 1"], env=bad, capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "password authentication failed" in r.stderr
    argv = got["ssh_tunnel"]["command"].split()
    assert argv[:2] == ["ssh", "-L"] and argv[2] == "%d:localhost:%d" % (port, port)
    local = free_port()
    argv[2] = "%d:localhost:%d" % (local, port)
    argv.remove("-f")  # in the foreground, so that the test can end it
    key = os.path.join(a.sshd.dir, "client")
    argv[-1] = "root@127.0.0.1"
    argv[1:1] = ["-i", key, "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
                 "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                 "-o", "ExitOnForwardFailure=yes"]
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 30
        while True:
            assert p.poll() is None, p.stderr.read().decode()
            try:
                socket.create_connection(("127.0.0.1", local), timeout=1).close()
                break
            except OSError:
                assert time.time() < deadline, "the tunnel never listened"
                time.sleep(0.1)
        r = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(local), "-U", "odoo", "-d",
                            dbname, "-tAc", "SELECT current_database(), 40 + 2"], env=env,
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        assert r.stdout.strip() == "%s|42" % dbname
    finally:
        p.terminate()
        p.wait(timeout=30)


def test_ide_through_the_edge(world):
    a = world
    st, hd, _ = request(a.http_port, a.host, "GET", "/ide")
    assert st == 301 and hd["location"].endswith("/ide/"), hd
    st, hd, _ = request(a.http_port, a.host, "GET", "/ide/")
    assert st == 302 and hd["location"] == "./login", hd
    st, _, body = request(a.http_port, a.host, "GET", "/ide/login")
    assert st == 200 and b"code-server" in body and b'name="password"' in body
    assert login(a, "not-the-password") == (401, None)
    pw = access(a, a.eid, "ide_password")["ide"]["password"]
    st, cookie = login(a, pw)
    assert st == 302 and cookie, st
    st, _, body = request(a.http_port, a.host, "GET", "/ide/", [("Cookie", cookie)])
    assert st == 200 and b"berth IDE stand-in" in body and b"/mnt/berth-code" in body, body
    # a websocket through /ide/: the upgrade passes the edge, the prefix is stripped
    s = socket.create_connection(("127.0.0.1", a.http_port), timeout=30)
    try:
        key = base64.b64encode(os.urandom(16)).decode()
        s.sendall(("GET /ide/stable-1/ws?reconnectionToken=x HTTP/1.1\r\nHost: %s\r\n"
                   "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                   "Sec-WebSocket-Version: 13\r\nCookie: %s\r\n\r\n" % (a.host, key, cookie)).encode())
        data = b""
        while b"berth-ide" not in data or not data.endswith(b"?reconnectionToken=x") and len(data) < 4096:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
            if b"berth-ide /stable-1/ws" in data:
                break
        assert data.startswith(b"HTTP/1.1 101"), data
        assert b"berth-ide /stable-1/ws" in data, data
        # a frame sent by the client comes back (masked text frame "ping")
        mask = os.urandom(4)
        s.sendall(bytes([0x81, 0x80 | 4]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(b"ping")))
        echo = b""
        while b"ping" not in echo:
            chunk = s.recv(4096)
            assert chunk, echo
            echo += chunk
    finally:
        s.close()


def test_rotation_changes_the_password(world):
    a = world
    old = access(a, a.eid, "ide_password")["ide"]["password"]
    r = a.developer.post("/api/v1/environments/%s/ide/password" % a.eid)
    assert r.status_code == 202, r.text
    job = rt.wait_job(a, r.json_body["job"]["id"])
    assert job["status"] == "done", rt.job_log(a, job["id"])
    assert r.json_body["job"]["type"] == "ide_password"
    new = access(a, a.eid, "ide_password")["ide"]["password"]
    assert new != old
    deadline = time.time() + 60
    while True:  # the recreated container takes a moment to listen
        st, cookie = login(a, new)
        if st == 302 or time.time() > deadline:
            break
        time.sleep(0.2)
    assert st == 302 and cookie
    assert login(a, old) == (401, None)
    audit = [e["action"] for e in a.get("/api/v1/orgs/%s/audit" % a.org_id).json_body]
    assert "environment.ide_password" in audit


def test_stop_and_start_take_the_ide_along(world):
    a = world
    ide = container(a.eid, "ide")
    rt.run_job(a, "POST", "/api/v1/environments/%s/stop" % a.eid)
    assert not running(ide)
    rt.run_job(a, "POST", "/api/v1/environments/%s/start" % a.eid)
    assert running(ide)


def test_cloudflare_switches_the_tunnel_host(world):
    a = world
    r = a.patch("/api/v1/servers/%s" % a.ssh_server, {"cloudflare_proxy": True})
    assert r.status_code == 200, r.text
    try:
        t = access(a, a.eid)["ssh_tunnel"]
        port = access(a, a.eid)["database"]["postgres_port"]
        assert t["host"] == "127.0.0.1"
        assert t["command"] == "ssh -L %d:localhost:%d -N -f -p %d root@127.0.0.1" % (
            port, port, a.sshd.port)
    finally:
        r = a.patch("/api/v1/servers/%s" % a.ssh_server, {"cloudflare_proxy": False})
        assert r.status_code == 200, r.text
    assert access(a, a.eid)["ssh_tunnel"]["host"] == a.host


def test_ide_image_setting(world):
    a = world
    got = a.get("/api/v1/admin/ide").json_body
    assert got["image"] == IDE_IMAGE and got["default"].startswith("codercom/code-server:")
    r = a.put("/api/v1/admin/ide", {"image": "bad image; rm -rf /"})
    assert r.status_code == 400 and r.json_body["error"]["field"] == "image", r.text
    r = a.put("/api/v1/admin/ide", {})
    assert r.status_code == 400, r.text
    assert a.get("/api/v1/admin/ide").json_body["image"] == IDE_IMAGE
    for u in (a.developer, a.viewer):
        assert u.get("/api/v1/admin/ide").status_code == 403
        assert u.put("/api/v1/admin/ide", {"image": "x/y:1"}).status_code == 403


def berth(a, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("BERTH_")}
    env.update({"BERTH_URL": a.berthd.url, "BERTH_TOKEN": a.token, "HOME": a.berthd.dir,
                "XDG_CONFIG_HOME": os.path.join(a.berthd.dir, "cfg")})
    p = subprocess.run([BERTH] + list(args), capture_output=True, text=True, env=env,
                       stdin=subprocess.DEVNULL, timeout=600)
    for marker in ("ERROR: AddressSanitizer", "runtime error:", "ERROR: LeakSanitizer"):
        assert marker not in p.stderr, p.stderr
    return p


def test_cli(world):
    a = world
    name = a.env["name"]
    p = berth(a, "env", "access", name, "--json")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout) == access(a, a.eid)
    p = berth(a, "env", "access", name)
    assert p.returncode == 0, p.stderr
    got = access(a, a.eid)
    assert got["ssh_tunnel"]["command"] in p.stdout and got["instance_url"] in p.stdout
    assert "********" in p.stdout
    p = berth(a, "env", "access", name, "--reveal", "db_password")
    assert p.returncode == 0 and access(a, a.eid, "db_password")["database"]["password"] in p.stdout
    assert berth(a, "env", "access", name, "--reveal", "x").returncode == 2
    assert berth(a, "env", "ide-password", name).returncode == 2
    old = access(a, a.eid, "ide_password")["ide"]["password"]
    p = berth(a, "env", "ide-password", name, "--rotate", "--follow")
    assert p.returncode == 0, p.stdout + p.stderr
    assert access(a, a.eid, "ide_password")["ide"]["password"] != old
    p = berth(a, "admin", "ide")
    assert p.returncode == 0 and IDE_IMAGE in p.stdout, p.stderr


def test_an_ide_that_cannot_start_does_not_fail_the_deploy(world):
    """An IDE image that cannot be pulled: the rotation's job fails (its whole point is the
    IDE), a deploy completes with a warning and Odoo serves; the image set back, the IDE
    returns."""
    a = world
    r = a.put("/api/v1/admin/ide", {"image": "berth-test/no-such-ide:%s" % unique("v")})
    assert r.status_code == 200, r.text
    try:
        # the container of the image before is kept while the new one cannot be had
        r = a.post("/api/v1/environments/%s/ide/password" % a.eid)
        assert r.status_code == 202, r.text
        job = rt.wait_job(a, r.json_body["job"]["id"])
        assert job["status"] == "failed" and "cannot be pulled" in str(job), job
        job = rt.run_job(a, "POST", "/api/v1/environments/%s/deploy" % a.eid)
        assert "warning: the IDE was not started" in rt.job_log(a, job["id"])
        st, _, _ = request(a.http_port, a.host, "GET", "/web/login")
        assert st == 200
    finally:
        assert a.put("/api/v1/admin/ide", {"image": IDE_IMAGE}).status_code == 200
    r = a.post("/api/v1/environments/%s/ide/password" % a.eid)
    assert rt.wait_job(a, r.json_body["job"]["id"])["status"] == "done"
    pw = access(a, a.eid, "ide_password")["ide"]["password"]
    deadline = time.time() + 60
    while True:
        st, cookie = login(a, pw)
        if st == 302 or time.time() > deadline:
            break
        time.sleep(0.2)
    assert st == 302 and cookie


def test_plan_without_ide(world):
    """Last: the plan loses allow_ide (and allow_connect): the IDE part goes, the notice says
    to upgrade, reveal and rotation are refused, and a deploy removes the IDE container and
    its /ide route."""
    a = world
    plan = a.get("/api/v1/orgs/%s" % a.org_id).json_body.get("plan_id")
    if not plan:
        plan = [p for p in a.get("/api/v1/plans").json_body if p["name"] == "Enterprise"][0]["id"]
    r = a.patch("/api/v1/plans/%s" % plan, {"allow_ide": False, "allow_connect": False})
    assert r.status_code == 200, r.text
    try:
        got = access(a, a.eid)
        assert got["ide"] == {"available": False, "url": None, "password": None, "revealed": False}
        assert got["plan"]["allow_ide"] is False and "upgrade" in got["plan"]["notice"]
        r = a.get("/api/v1/environments/%s/access?reveal=ide_password" % a.eid)
        assert r.status_code == 403 and r.json_body["error"]["code"] == "PLAN_FEATURE_UNAVAILABLE"
        r = a.post("/api/v1/environments/%s/ide/password" % a.eid)
        assert r.status_code == 403 and r.json_body["error"]["code"] == "PLAN_FEATURE_UNAVAILABLE"
        # the database part stays
        assert access(a, a.eid, "db_password")["database"]["revealed"] is True
        rt.run_job(a, "POST", "/api/v1/environments/%s/deploy" % a.eid)
        assert rt.env_containers(a.eid, "ide") == []
        st, _, body = request(a.http_port, a.host, "GET", "/ide/")
        assert b"berth IDE stand-in" not in body and st != 302
        r = a.patch("/api/v1/plans/%s" % plan, {"allow_connect": True})
        assert access(a, a.eid)["plan"]["notice"].startswith("The IDE is not included")
    finally:
        a.patch("/api/v1/plans/%s" % plan, {"allow_ide": True, "allow_connect": True})


def test_https_when_the_certificate_is_active(world):
    """Last (the site then redirects HTTP to HTTPS): a custom certificate for the primary
    domain makes the instance and IDE URLs https (with the server's HTTPS port), and the IDE
    answers there."""
    import ssl
    import tempfile
    from test_tls import make_ca, make_leaf
    a = world
    # the plan has allow_ide again (the test before): a rotation brings the IDE back
    r = a.post("/api/v1/environments/%s/ide/password" % a.eid)
    assert r.status_code == 202, r.text
    assert rt.wait_job(a, r.json_body["job"]["id"])["status"] == "done"
    d = tempfile.mkdtemp(prefix="berth-access-tls-")
    make_ca(d, "own")
    make_leaf(d, "leaf", "own", ["DNS:" + a.host])
    read = lambda n: open(os.path.join(d, n)).read()
    r = a.put("/api/v1/environments/%s/domains/%s/certificate" % (a.eid, a.host),
              {"certificate_pem": read("leaf.pem") + read("own.pem"),
               "private_key_pem": read("leaf.key")})
    assert r.status_code == 200, r.text
    assert rt.wait_job(a, r.json_body["job"]["id"])["status"] == "done"
    got = access(a, a.eid)
    assert got["instance_url"] == "https://%s:%d" % (a.host, a.https_port)
    assert got["ide"]["url"] == got["instance_url"] + "/ide"
    ctx = ssl.create_default_context(cafile=os.path.join(d, "own.pem"))

    def ide_login_page():
        s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", a.https_port), timeout=30),
                            server_hostname=a.host)
        try:
            s.sendall(("GET /ide/login HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n"
                       % a.host).encode())
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    return data
                data += chunk
        finally:
            s.close()

    deadline = time.time() + 60
    while True:  # the recreated IDE container takes a moment to listen
        data = ide_login_page()
        if data.startswith(b"HTTP/1.1 200") or time.time() > deadline:
            break
        time.sleep(0.2)
    assert data.startswith(b"HTTP/1.1 200") and b"code-server" in data, data[:300]
    import shutil
    shutil.rmtree(d, ignore_errors=True)
