"""Integration tests of the Odoo stand-in image (tests/odoo-standin/).

Builds berth/base:bookworm and berth-test/odoo:* with tests/odoo-standin/build.sh (kept for
later runs), builds a throw-away PostgreSQL 15 image from tests/odoo-standin/testpg/ (removed at
the end unless it already existed or STANDIN_KEEP_PG_IMAGE=1), and runs the stand-in the way
berth runs Odoo: a mounted odoo.conf, a user network, ports published on 127.0.0.1 only.
Skipped when there is no Docker daemon socket.
"""
import base64
import hashlib
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid

import pytest
import requests

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
STANDIN = os.path.join(ROOT, "tests", "odoo-standin")
# STANDIN_IMAGE (as build.sh takes it) runs the tests on a stand-in of another name
IMAGE = os.environ.get("STANDIN_IMAGE", "berth-test/odoo") + ":18.0"
VERSIONS = ("16.0", "17.0", "18.0", "19.0")
PG_IMAGE = "berth-test/standin-pg:15"
PG_SUPER_PASSWORD = "pg super secret"
ODOO_DB_PASSWORD = "odoo db p@ss"
ADMIN_PASSWD = "master-Zq9"
WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

pytestmark = pytest.mark.skipif(not os.path.exists("/var/run/docker.sock"),
                                reason="no Docker daemon (/var/run/docker.sock)")


def docker(*args, check=True, timeout=180):
    r = subprocess.run(["docker"] + list(args), capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise AssertionError("docker %s failed (%d):\n%s\n%s" % (
            " ".join(args), r.returncode, r.stdout[-4000:], r.stderr[-4000:]))
    return r


# --------------------------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def standin_image():
    t0 = time.time()
    r = subprocess.run([os.path.join(STANDIN, "build.sh")], capture_output=True, text=True,
                       timeout=1800)
    assert r.returncode == 0, "build.sh failed:\n%s\n%s" % (r.stdout, r.stderr)
    assert r.stdout.strip().startswith("sha256:"), r.stdout
    print("stand-in images ready in %.1fs" % (time.time() - t0))
    return IMAGE


class Env:
    """A user network with a PostgreSQL container (alias `db` and `pgsql`), a temp dir for
    config files, and the containers/volumes to remove at the end."""

    def __init__(self):
        self.id = uuid.uuid4().hex[:8]
        self.net = "berth-standin-%s" % self.id
        self.pg = "berth-standin-pg-%s" % self.id
        self.data = "berth-standin-data-%s" % self.id
        self.dir = tempfile.mkdtemp(prefix="berth-standin-")
        os.chmod(self.dir, 0o755)
        self.containers = [self.pg]
        self.volumes = [self.data]

    def path(self, name):
        return os.path.join(self.dir, name)

    def write(self, name, text, mode=0o644):
        p = self.path(name)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as fh:   # in place: keeps the inode, so bind mounts see the change
            fh.write(text)
        os.chmod(p, mode)
        return p

    def conf(self, name="odoo.conf", db=True, **options):
        lines = ["[options]", "addons_path = /mnt/extra-addons", "data_dir = /var/lib/odoo",
                 "admin_passwd = %s" % ADMIN_PASSWD]
        if db:
            lines += ["db_host = db", "db_port = 5432", "db_user = odoo",
                      "db_password = %s" % ODOO_DB_PASSWORD]
        lines += ["%s = %s" % (k, v) for k, v in options.items()]
        return self.write(name, "\n".join(lines) + "\n")

    def psql(self, sql, db="postgres"):
        r = docker("exec", self.pg, "psql", "-X", "-U", "postgres", "-d", db, "-Atc", sql)
        return r.stdout.strip()

    def run_args(self, conf, env=None, volumes=(), image=IMAGE, name=None, ports=(),
                 detach=False, data=True):
        args = ["run", "--network", self.net]
        if detach:
            args += ["-d", "--name", name]
            self.containers.append(name)
        else:
            args += ["--rm"]
        if conf:
            args += ["-v", "%s:/etc/odoo/odoo.conf:ro" % conf]
        if data:
            args += ["-v", "%s:/var/lib/odoo" % self.data]
        for v in volumes:
            args += ["-v", v]
        for k, v in (env or {}).items():
            args += ["-e", "%s=%s" % (k, v)]
        for p in ports:
            args += ["-p", "127.0.0.1::%d" % p]
        return args + [image]

    def odoo(self, *odoo_args, conf=None, timeout=120, **kw):
        """Runs the image once (through its entrypoint) and returns the CompletedProcess."""
        conf = conf or self.conf()
        return docker(*(self.run_args(conf, **kw) + list(odoo_args)), check=False,
                      timeout=timeout)

    def serve(self, *odoo_args, conf=None, ports=(8069,), **kw):
        name = "berth-standin-odoo-%s-%s" % (self.id, uuid.uuid4().hex[:6])
        conf = conf or self.conf()
        docker(*(self.run_args(conf, name=name, ports=ports, detach=True, **kw) + list(odoo_args)))
        srv = Server(name, ports)
        srv.wait_healthy()
        return srv

    def cleanup(self):
        for c in reversed(self.containers):
            docker("rm", "-f", "-v", c, check=False)
        docker("network", "rm", self.net, check=False)
        for v in self.volumes:
            docker("volume", "rm", "-f", v, check=False)
        shutil.rmtree(self.dir, ignore_errors=True)


class Server:
    def __init__(self, name, ports):
        self.name = name
        self.ports = {}
        for p in ports:
            out = docker("port", name, "%d/tcp" % p).stdout.split()
            host, _, hport = out[0].rpartition(":")
            assert host == "127.0.0.1", out
            self.ports[p] = int(hport)

    def url(self, path="", port=8069):
        return "http://127.0.0.1:%d%s" % (self.ports[port], path)

    def logs(self):
        r = docker("logs", self.name, check=False)
        return r.stdout + r.stderr

    def running(self):
        return docker("inspect", "-f", "{{.State.Running}}", self.name).stdout.strip() == "true"

    def wait_healthy(self, port=8069, timeout=45):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if not self.running():
                raise AssertionError("stand-in exited:\n" + self.logs())
            try:
                r = requests.get(self.url("/web/health", port), timeout=2)
                if r.status_code == 200:
                    return r
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise AssertionError("stand-in not healthy after %ss:\n%s" % (timeout, self.logs()))

    def info(self, port=8069, **kw):
        r = requests.get(self.url("/berth-standin/info", port), timeout=10, **kw)
        assert r.status_code == 200, r.text
        return r.json()

    def stop(self):
        docker("stop", "-t", "20", self.name)
        return int(docker("inspect", "-f", "{{.State.ExitCode}}", self.name).stdout.strip())

    def remove(self):
        docker("rm", "-f", "-v", self.name, check=False)


@pytest.fixture(scope="session")
def env(standin_image):
    pre_existing = docker("image", "inspect", PG_IMAGE, check=False).returncode == 0
    if not pre_existing:
        docker("build", "-q", "-t", PG_IMAGE, os.path.join(STANDIN, "testpg"), timeout=900)
    e = Env()
    try:
        e.write("initdb/10-roles.sql",
                "CREATE ROLE nocreate LOGIN PASSWORD 'nocreate-pw';\n")
        os.chmod(e.path("initdb"), 0o755)
        docker("network", "create", e.net)
        docker("run", "-d", "--name", e.pg, "--network", e.net, "--network-alias", "db",
               "--network-alias", "pgsql", "-e", "POSTGRES_PASSWORD=" + PG_SUPER_PASSWORD,
               "-e", "ODOO_DB_USER=odoo", "-e", "ODOO_DB_PASSWORD=" + ODOO_DB_PASSWORD,
               "-v", "%s:/docker-entrypoint-initdb.d:ro" % e.path("initdb"), PG_IMAGE)
        deadline = time.time() + 60
        while docker("exec", e.pg, "pg_isready", "-q", "-h", "127.0.0.1", "-U", "postgres",
                     check=False).returncode != 0:
            if time.time() > deadline:
                raise AssertionError("PostgreSQL did not start:\n" + docker("logs", e.pg, check=False).stderr)
            time.sleep(0.3)
        yield e
    finally:
        e.cleanup()
        if not pre_existing and not os.environ.get("STANDIN_KEEP_PG_IMAGE"):
            docker("rmi", PG_IMAGE, check=False)


@pytest.fixture(scope="session")
def testdb(env):
    """`testdb` created by `-d testdb -i base --stop-after-init --without-demo=all`."""
    r = env.odoo("-d", "testdb", "-i", "base", "--stop-after-init", "--without-demo=all")
    assert r.returncode == 0, r.stderr
    env.init_log = r.stderr
    return "testdb"


# --------------------------------------------------------------------------------------------
# WebSocket helper
# --------------------------------------------------------------------------------------------
def ws_handshake(port, path="/websocket?version=18.0-1"):
    key = base64.b64encode(os.urandom(16)).decode()
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    data = b""
    try:
        s.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
                   "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
                   "Origin: http://127.0.0.1:%d\r\n\r\n" % (path, port, key, port)).encode())
        while b"\r\n\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    except (OSError, socket.timeout):   # e.g. reset by docker-proxy: nothing listens
        pass
    head = data.split(b"\r\n\r\n")[0].decode("latin-1")
    lines = head.split("\r\n")
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    expected = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
    return (lines[0] if lines else ""), headers, expected, s


def ws_frame(opcode, payload=b""):
    mask = os.urandom(4)
    return (bytes([0x80 | opcode, 0x80 | len(payload)]) + mask
            + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))


# --------------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------------
def test_image_layout(standin_image):
    cfg = json.loads(docker("image", "inspect", "-f", "{{json .Config}}", IMAGE).stdout)
    assert cfg["User"] == "odoo"
    assert cfg["Entrypoint"] == ["/entrypoint.sh"] and cfg["Cmd"] == ["odoo"]
    assert set(cfg["ExposedPorts"]) == {"8069/tcp", "8071/tcp", "8072/tcp"}
    assert set(cfg["Volumes"]) == {"/var/lib/odoo", "/mnt/extra-addons"}
    assert "ODOO_RC=/etc/odoo/odoo.conf" in cfg["Env"]

    # Any command other than odoo/-... is exec'd as is (no database needed).
    r = docker("run", "--rm", IMAGE, "id")
    assert r.stdout.strip() == "uid=100(odoo) gid=101(odoo) groups=101(odoo)"
    r = docker("run", "--rm", IMAGE, "stat", "-c", "%n %u:%g", "/var/lib/odoo", "/mnt/extra-addons")
    assert r.stdout.split("\n")[:2] == ["/var/lib/odoo 100:101", "/mnt/extra-addons 100:101"]
    conf = docker("run", "--rm", IMAGE, "cat", "/etc/odoo/odoo.conf").stdout
    assert "addons_path = /mnt/extra-addons" in conf and "data_dir = /var/lib/odoo" in conf
    assert "\ndb_" not in conf   # no database key: the entrypoint passes them
    assert docker("run", "--rm", IMAGE, "which", "odoo").stdout.strip() == "/usr/bin/odoo"

    for v in VERSIONS:
        r = docker("run", "--rm", "--entrypoint", "odoo", "berth-test/odoo:" + v, "--version")
        assert r.stdout.strip() == "Odoo Server " + v


def test_init_base(env, testdb):
    log = env.init_log
    assert "INFO testdb odoo.modules.loading: init db" in log
    assert "INFO testdb odoo.modules.loading: loading 1 modules..." in log
    assert "INFO testdb odoo.modules.loading: Modules loaded." in log
    assert "odoo.modules.registry: module base: creating or updating database tables" in log
    # Odoo's log format: date time,ms pid LEVEL db logger: message
    first = log.splitlines()[0].split(" ")
    assert len(first[0]) == 10 and len(first[1]) == 12 and first[1][8] == ","
    assert first[2] == "1" and first[3] == "INFO" and first[4] == "?"
    assert ODOO_DB_PASSWORD not in log

    tables = set(env.psql("SELECT tablename FROM pg_tables WHERE schemaname = 'public'", testdb).split())
    assert {"res_users", "res_partner", "res_company", "ir_config_parameter", "ir_cron",
            "ir_mail_server", "ir_module_module", "ir_model_data", "ir_attachment"} <= tables
    assert env.psql("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'testdb'") == "odoo"
    assert env.psql("SELECT state || ' ' || latest_version || ' ' || demo FROM ir_module_module "
                    "WHERE name = 'base'", testdb) == "installed 18.0.1.3 false"
    assert env.psql("SELECT active FROM res_users WHERE login = 'admin'", testdb) == "t"
    assert env.psql("SELECT password LIKE '$pbkdf2-sha512$%' FROM res_users WHERE login = 'admin'",
                    testdb) == "t"
    params = dict(line.split("|", 1) for line in env.psql(
        "SELECT key, value FROM ir_config_parameter", testdb).splitlines())
    uuid.UUID(params["database.uuid"])
    assert params["database.create_date"][:4].isdigit()
    assert env.psql("SELECT count(*) FROM ir_cron WHERE active", testdb) != "0"
    assert env.psql("SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'", testdb) == "1"

    # filestore/<db> holds base's attachment; sessions/ exists; all owned by odoo
    r = docker("run", "--rm", "-v", "%s:/d" % env.data, IMAGE, "find", "/d", "-printf", "%u:%g %y %P\n")
    entries = r.stdout.splitlines()
    assert "odoo:odoo d sessions" in entries
    store = env.psql("SELECT store_fname FROM ir_attachment LIMIT 1", testdb)
    assert "odoo:odoo f filestore/testdb/%s" % store in entries


def test_update_modules(env, testdb):
    before = env.psql("SELECT write_date FROM ir_module_module WHERE name = 'base'", testdb)
    r = env.odoo("-d", testdb, "-u", "base,web", "--stop-after-init")
    assert r.returncode == 0, r.stderr
    assert "INFO testdb odoo.modules.loading: updating modules list" in r.stderr
    assert "INFO testdb odoo.modules.registry: module base: creating or updating database tables" in r.stderr
    assert "module web: creating or updating database tables" in r.stderr
    assert "module bus:" not in r.stderr
    after = env.psql("SELECT write_date FROM ir_module_module WHERE name = 'base'", testdb)
    assert after > before
    # -u all updates every installed module
    r = env.odoo("-d", testdb, "-u", "all", "--stop-after-init")
    assert r.returncode == 0 and "module bus: creating or updating database tables" in r.stderr


def test_custom_addon_install_and_update(env, testdb):
    manifest = "{'name': 'Berth probe', 'version': '%s', 'depends': ['base'], 'license': 'LGPL-3'}\n"
    env.write("addons/berth_probe/__init__.py", "")
    env.write("addons/berth_probe/__manifest__.py", manifest % "1.0")
    for d in ("addons", "addons/berth_probe"):
        os.chmod(env.path(d), 0o755)
    vol = "%s:/mnt/extra-addons:ro" % env.path("addons")
    r = env.odoo("-d", testdb, "-i", "berth_probe", "--stop-after-init", volumes=[vol])
    assert r.returncode == 0, r.stderr
    assert env.psql("SELECT state || ' ' || latest_version FROM ir_module_module "
                    "WHERE name = 'berth_probe'", testdb) == "installed 18.0.1.0"
    env.write("addons/berth_probe/__manifest__.py", manifest % "1.1")
    r = env.odoo("-d", testdb, "-u", "berth_probe", "--stop-after-init", volumes=[vol])
    assert r.returncode == 0 and "module berth_probe: creating or updating" in r.stderr
    assert env.psql("SELECT latest_version FROM ir_module_module WHERE name = 'berth_probe'",
                    testdb) == "18.0.1.1"
    # --addons-path on the command line is validated like Odoo does
    r = env.odoo("-d", testdb, "--addons-path=/nonexistent", "--stop-after-init", volumes=[vol])
    assert r.returncode == 2 and "--addons-path" in r.stderr


def test_unknown_database(env):
    # Without CREATEDB, like Odoo: auto-creation is skipped, loading fails, exit code != 0.
    conf = env.conf("nocreate.conf", db=False, db_host="db", db_user="nocreate",
                    db_password="nocreate-pw")
    r = env.odoo("-d", "nosuchdb", "-u", "base", "--stop-after-init", conf=conf)
    assert r.returncode != 0
    assert "Failed to initialize database `nosuchdb`" in r.stderr
    assert 'database "nosuchdb" does not exist' in r.stderr
    # With CREATEDB, real Odoo (odoo/cli/server.py) creates any -d database that does not
    # exist and installs base, even for -u: so does the stand-in.
    r = env.odoo("-d", "autodb", "-u", "base", "--stop-after-init")
    assert r.returncode == 0, r.stderr
    assert env.psql("SELECT state FROM ir_module_module WHERE name = 'base'", "autodb") == "installed"


def test_serve_threaded(env, testdb):
    conf = env.conf("serve.conf", db_name=testdb, proxy_mode="True", list_db="False")
    srv = env.serve(conf=conf, ports=(8069, 8072))
    try:
        r = requests.get(srv.url("/web/health"), timeout=5)
        assert r.status_code == 200 and r.json() == {"status": "pass"}
        assert r.headers["Content-Type"] == "application/json"
        r = requests.get(srv.url("/web/health?db_server_status=1"), timeout=5)
        assert r.status_code == 200 and r.json() == {"status": "pass", "db_server_status": True}

        r = requests.get(srv.url("/"), allow_redirects=False, timeout=5)
        assert r.status_code in (301, 302, 303) and r.headers["Location"].endswith("/web/login")
        r = requests.get(srv.url("/web/login"), timeout=5)
        assert r.status_code == 200 and "Odoo" in r.text and testdb in r.text
        assert 'data-base-url="http://127.0.0.1:%d"' % srv.ports[8069] in r.text
        assert "session_id" in r.cookies
        # proxy_mode: forwarded headers only when X-Forwarded-Host is present
        r = requests.get(srv.url("/web/login"), timeout=5, headers={
            "X-Forwarded-Host": "shop.example.com", "X-Forwarded-Proto": "https",
            "X-Forwarded-For": "203.0.113.7"})
        assert 'data-base-url="https://shop.example.com"' in r.text
        r = requests.get(srv.url("/web/login"), timeout=5, headers={"X-Forwarded-Proto": "https"})
        assert 'data-base-url="http://127.0.0.1:%d"' % srv.ports[8069] in r.text

        r = requests.get(srv.url("/web/database/manager"), timeout=5)
        assert r.status_code == 200 and "disabled" in r.text   # list_db = False

        # workers = 0: websocket on the HTTP port, nothing on the gevent port
        status, headers, expected, s = ws_handshake(srv.ports[8069])
        assert status.startswith("HTTP/1.1 101"), status
        assert headers["sec-websocket-accept"] == expected
        s.sendall(ws_frame(0x9, b"ping"))
        assert s.recv(16) == b"\x8a\x04ping"
        s.sendall(ws_frame(0x8, b"\x03\xe8"))
        assert s.recv(16)[:1] == b"\x88"
        s.close()
        status, _, _, s = ws_handshake(srv.ports[8072])
        s.close()
        assert not status.startswith("HTTP/1.1 101")

        info = srv.info()
        assert info["db_name"] == [testdb] and info["workers"] == 0
        assert info["proxy_mode"] is True and info["list_db"] is False
        assert info["db_host"] == "db" and info["db_port"] == 5432
        assert info["admin_passwd_set"] is True and info["admin_passwd_is_default"] is False
        assert info["db_password_set"] is True and "db_password" in info["config_file_keys"]
        assert info["served_databases"] == [testdb]
        assert info["uid"] == 100 and info["pid"] == 1
        # db_* are all in odoo.conf: the entrypoint passed none of them
        assert not any(a.startswith("--db_") for a in info["argv"])
        raw = json.dumps(info)
        assert ODOO_DB_PASSWORD not in raw and ADMIN_PASSWD not in raw

        logs = srv.logs()
        assert "odoo.service.server: HTTP service (werkzeug) running on" in logs
        assert '"GET /web/health HTTP/1.1" 200 -' in logs
        assert 'INFO testdb werkzeug: 203.0.113.7 - - [' in logs   # X-Forwarded-For applied
        assert '"GET /websocket?version=18.0-1 HTTP/1.1" 101 -' in logs

        assert srv.stop() == 0
        logs = srv.logs()
        assert "odoo.service.server: Initiating shutdown" in logs
    finally:
        srv.remove()


def test_login_and_session(env, testdb):
    srv = env.serve("-d", testdb)
    try:
        s = requests.Session()
        r = s.get(srv.url("/web/login"), timeout=5)
        csrf = r.text.split('name="csrf_token" value="')[1].split('"')[0]
        r = s.post(srv.url("/web/login"), data={"login": "admin", "password": "wrong",
                                                "csrf_token": csrf}, timeout=10)
        assert r.status_code == 200 and "Wrong login/password" in r.text
        r = s.post(srv.url("/web/login"), data={"login": "admin", "password": "admin",
                                                "csrf_token": csrf}, timeout=10, allow_redirects=False)
        assert r.status_code == 303 and r.headers["Location"] == "/odoo"
        r = s.get(srv.url("/odoo"), timeout=5)
        assert r.status_code == 200 and "admin" in r.text
        assert requests.get(srv.url("/odoo"), allow_redirects=False, timeout=5).status_code == 303
        sid = s.cookies["session_id"]
        r = docker("run", "--rm", "-v", "%s:/d" % env.data, IMAGE, "cat",
                   "/d/sessions/%s/%s" % (sid[:2], sid))
        sess = json.loads(r.stdout)
        assert sess["db"] == testdb and sess["login"] == "admin" and sess["uid"] == 2
        # admin's login refreshed web.base.url (not frozen)
        assert env.psql("SELECT value FROM ir_config_parameter WHERE key = 'web.base.url'",
                        testdb) == "http://127.0.0.1:%d" % srv.ports[8069]
    finally:
        srv.remove()


def test_workers_websocket_on_gevent_port(env, testdb):
    conf = env.conf("workers.conf", workers="2", max_cron_threads="1")
    srv = env.serve("-d", testdb, conf=conf, ports=(8069, 8072))
    try:
        srv.wait_healthy(port=8072)
        status, headers, expected, s = ws_handshake(srv.ports[8072])
        assert status.startswith("HTTP/1.1 101"), status
        assert headers["upgrade"].lower() == "websocket"
        assert headers["sec-websocket-accept"] == expected
        # the connection stays open until the client closes it
        s.settimeout(1.0)
        with pytest.raises(socket.timeout):
            s.recv(1)
        s.settimeout(5)
        s.sendall(ws_frame(0x8, b"\x03\xe8"))
        assert s.recv(16)[:1] == b"\x88"
        s.close()
        # ... and not on the HTTP port
        status, _, _, s = ws_handshake(srv.ports[8069])
        s.close()
        assert status.startswith("HTTP/1.1 400"), status
        info = srv.info()
        assert info["workers"] == 2 and info["max_cron_threads"] == 1
        logs = srv.logs()
        assert "Evented Service (longpolling) running on" in logs
        assert "Worker WorkerHTTP" in logs
    finally:
        srv.remove()


def test_sighup_restarts_and_rereads_config(env, testdb):
    conf = env.conf("hup.conf", max_cron_threads="2", log_level="info")
    srv = env.serve("-d", testdb, "-u", "base", conf=conf)
    try:
        info = srv.info()
        assert info["restarts"] == 0 and info["max_cron_threads"] == 2
        env.conf("hup.conf", max_cron_threads="1", log_level="warn")   # in place
        docker("kill", "-s", "HUP", srv.name)
        deadline = time.time() + 30
        while True:
            try:
                info = srv.info()
                if info["restarts"] == 1:
                    break
            except (requests.RequestException, AssertionError):
                pass
            assert time.time() < deadline, srv.logs()
            time.sleep(0.2)
        assert info["pid"] == 1 and info["max_cron_threads"] == 1 and info["log_level"] == "warn"
        assert "-u" not in info["argv"]     # like Odoo, the re-exec drops -i/-u
        assert srv.wait_healthy().json() == {"status": "pass"}
        assert srv.running()
        assert "odoo.service.server: Initiating server reload" in srv.logs()
    finally:
        srv.remove()


def test_sigterm_during_init(env):
    name = "berth-standin-odoo-%s-init" % env.id
    docker(*(env.run_args(env.conf(), name=name, detach=True, env={"STANDIN_INIT_DELAY": "30"})
             + ["-d", "slowdb", "-i", "base", "--stop-after-init"]))
    srv = Server(name, ())
    try:
        deadline = time.time() + 30
        while "loading 1 modules..." not in srv.logs():
            assert time.time() < deadline and srv.running(), srv.logs()
            time.sleep(0.2)
        t0 = time.time()
        assert srv.stop() == 0
        assert time.time() - t0 < 10
        assert "Initiating shutdown" in srv.logs()
    finally:
        srv.remove()


def test_health_when_postgres_is_down(env):
    # The entrypoint waits for PostgreSQL before starting odoo, so stop a second server after
    # the start: /web/health stays 200, ?db_server_status=1 turns 500.
    pg2 = "berth-standin-pg2-%s" % env.id
    env.containers.append(pg2)
    docker("run", "-d", "--name", pg2, "--network", env.net, "--network-alias", "pgdown",
           "-e", "POSTGRES_PASSWORD=" + PG_SUPER_PASSWORD, PG_IMAGE)
    conf = env.conf("down.conf", db=False, db_host="pgdown", db_user="postgres",
                    db_password=PG_SUPER_PASSWORD)
    srv = env.serve(conf=conf, data=False)   # no -d: nothing else touches PostgreSQL
    try:
        r = requests.get(srv.url("/web/health?db_server_status=1"), timeout=10)
        assert r.status_code == 200 and r.json() == {"status": "pass", "db_server_status": True}
        docker("kill", pg2)   # a crash; a smart shutdown would wait for the LISTEN connection
        r = requests.get(srv.url("/web/health"), timeout=5)
        assert r.status_code == 200 and r.json() == {"status": "pass"}
        r = requests.get(srv.url("/web/health?db_server_status=1"), timeout=15)
        assert r.status_code == 500
        assert r.json() == {"status": "fail", "db_server_status": False}
        assert r.headers["Content-Type"] == "application/json"
    finally:
        srv.remove()
        docker("rm", "-f", "-v", pg2, check=False)


def test_dbfilter(env, testdb):
    r = env.odoo("-d", "otherdb", "-i", "base", "--stop-after-init")
    assert r.returncode == 0, r.stderr
    conf = env.conf("filter.conf", dbfilter="^%d$")
    srv = env.serve(conf=conf)
    try:
        assert srv.info(headers={"Host": "testdb.example.com"})["served_databases"] == [testdb]
        r = requests.get(srv.url("/web/login"), headers={"Host": "otherdb.example.com"}, timeout=5)
        assert r.status_code == 200 and '<span class="db">otherdb</span>' in r.text
        r = requests.get(srv.url("/web/login"), headers={"Host": "nomatch.example.com"},
                         allow_redirects=False, timeout=5)
        assert r.status_code == 303 and r.headers["Location"].endswith("/web/database/selector")
        r = requests.get(srv.url("/web/database/manager"), timeout=5)
        assert r.status_code == 200    # list_db defaults to True
    finally:
        srv.remove()


def test_entrypoint_env_fallbacks(env, testdb):
    bare = env.conf("bare.conf", db=False)   # no db_* key: the entrypoint supplies them
    # HOST/USER/PASSWORD
    srv = env.serve("-d", testdb, conf=bare, env={"HOST": "pgsql", "USER": "odoo",
                                                 "PASSWORD": ODOO_DB_PASSWORD})
    try:
        info = srv.info()
        assert info["db_host"] == "pgsql" and info["db_user"] == "odoo" and info["db_port"] == 5432
        argv = info["argv"]
        assert argv[argv.index("--db_host") + 1] == "pgsql"
        assert argv[argv.index("--db_password") + 1] == "***"
        assert ODOO_DB_PASSWORD not in json.dumps(info)
    finally:
        srv.remove()
    # POSTGRES_USER/POSTGRES_PASSWORD, then PGHOST; default port
    r = env.odoo("-d", "envdb", "-i", "base", "--stop-after-init", conf=bare,
                 env={"PGHOST": "pgsql", "POSTGRES_USER": "odoo",
                      "POSTGRES_PASSWORD": ODOO_DB_PASSWORD})
    assert r.returncode == 0, r.stderr
    assert "database: odoo@pgsql:5432" in r.stderr
    # defaults db/5432/odoo/odoo: the password is wrong, the entrypoint's wait gives up
    r = env.odoo("-d", "envdb", "--stop-after-init", conf=bare, timeout=90)
    assert r.returncode != 0
    assert 'password authentication failed for user "odoo"' in r.stderr
    # a key present in odoo.conf wins over the environment
    conf = env.conf("partial.conf", db=False, db_host="db", db_password=ODOO_DB_PASSWORD)
    r = env.odoo("-d", testdb, "--stop-after-init", conf=conf,
                 env={"HOST": "nowhere.invalid", "USER": "odoo", "PASSWORD": "wrong"})
    assert r.returncode == 0, r.stderr
    # Odoo 19 reads PG* natively: the entrypoint leaves those keys to the environment
    srv = env.serve("-d", testdb, conf=bare, image="berth-test/odoo:19.0",
                    env={"PGHOST": "pgsql", "PGUSER": "odoo", "PGPASSWORD": ODOO_DB_PASSWORD})
    try:
        info = srv.info()
        assert info["version"] == "19.0" and info["db_host"] == "pgsql"
        assert "--db_host" not in info["argv"] and "--db_password" not in info["argv"]
        assert "--db_port" in info["argv"]
    finally:
        srv.remove()


def test_neutralize(env):
    r = env.odoo("-d", "neutdb", "-i", "base", "--stop-after-init")
    assert r.returncode == 0, r.stderr
    env.psql("INSERT INTO ir_mail_server (name, smtp_host, smtp_port) VALUES ('prod', 'smtp.example.com', 587)",
             "neutdb")
    r = env.odoo("odoo", "neutralize", "-d", "neutdb", "--stdout")
    assert r.returncode == 0 and "database.is_neutralized" in r.stdout
    r = env.odoo("odoo", "neutralize", "-d", "neutdb")
    assert r.returncode == 0, r.stderr
    assert "Neutralization finished" in r.stderr
    assert env.psql("SELECT string_agg(cron_name, ',') FROM ir_cron WHERE active", "neutdb") == \
        "Base: Auto-vacuum internal data"
    assert env.psql("SELECT string_agg(name, ',') FROM ir_mail_server WHERE active", "neutdb") == \
        "neutralization - disable emails"
    assert env.psql("SELECT value FROM ir_config_parameter WHERE key = 'database.is_neutralized'",
                    "neutdb") == "true"


def test_unknown_option_is_a_warning(env, testdb):
    r = env.odoo("-d", testdb, "--stop-after-init", "--no-such-option", "--without-demo", "all")
    assert r.returncode == 0, r.stderr
    assert "WARNING ? odoo.standin: unknown option --no-such-option ignored" in r.stderr
    r = env.odoo("-d", testdb, "--stop-after-init", "--workers=abc")
    assert r.returncode == 2 and "invalid integer value" in r.stderr


def test_database_manager_backup(env, testdb):
    """POST /web/database/backup as Odoo 16-19's database manager: the zip (dump.sql from
    pg_dump --no-owner first, then manifest.json, then filestore/...) or the custom-format
    dump, the master password checked, refused when list_db is False."""
    import io
    import re
    import zipfile
    srv = env.serve("-d", testdb)
    try:
        url = srv.url("/web/database/backup")
        r = requests.post(url, data={"master_pwd": "wrong", "name": testdb,
                                     "backup_format": "zip"}, timeout=60)
        assert r.status_code == 200 and "Database backup error: Access Denied" in r.text
        assert not r.content.startswith(b"PK")
        assert requests.get(url, timeout=10).status_code == 405

        r = requests.post(url, data={"master_pwd": ADMIN_PASSWD, "name": testdb,
                                     "backup_format": "zip"}, timeout=120)
        assert r.status_code == 200, r.text[:500]
        assert r.headers["Content-Type"] == "application/octet-stream; charset=binary"
        assert re.fullmatch(r"attachment; filename\*=UTF-8''%s_\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d\.zip"
                            % testdb, r.headers["Content-Disposition"]), r.headers
        z = zipfile.ZipFile(io.BytesIO(r.content))
        assert z.testzip() is None
        names = z.namelist()
        assert names[:2] == ["dump.sql", "manifest.json"], names
        assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in z.infolist())
        m = json.loads(z.read("manifest.json"))
        assert m["odoo_dump"] == "1" and m["db_name"] == testdb
        assert m["version"] == "18.0" and m["major_version"] == "18.0"
        assert m["version_info"][:2] == [18, 0]
        assert m["pg_version"] == "15.0"
        assert m["modules"]["base"].startswith("18.0.")
        dump = z.read("dump.sql").decode()
        assert "CREATE TABLE public.res_partner" in dump and "OWNER TO" not in dump
        # the filestore: base's attachment, named by its SHA-1
        fs = [n for n in names if n.startswith("filestore/")]
        assert fs, names
        for n in fs:
            if "/checklist/" not in n:
                assert hashlib.sha1(z.read(n)).hexdigest() == n.rsplit("/", 1)[1]
        # dump.sql loads into an empty database
        env.psql("DROP DATABASE IF EXISTS restored_backup")
        env.psql("CREATE DATABASE restored_backup OWNER odoo")
        p = subprocess.run(["docker", "exec", "-i", env.pg, "psql", "-X", "-q", "-v",
                            "ON_ERROR_STOP=1", "-U", "odoo", "-d", "restored_backup"],
                           input=dump, capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, p.stderr[-2000:]
        assert env.psql("SELECT count(*) FROM ir_module_module WHERE state = 'installed'",
                        "restored_backup") == str(len(m["modules"]))
        env.psql("DROP DATABASE restored_backup")

        # the custom format, posted as multipart/form-data
        r = requests.post(url, files={"master_pwd": (None, ADMIN_PASSWD), "name": (None, testdb),
                                      "backup_format": (None, "dump")}, timeout=120)
        assert r.status_code == 200 and r.content.startswith(b"PGDMP")
        assert r.headers["Content-Disposition"].endswith(".dump")
        # an unknown database: the error page
        r = requests.post(url, data={"master_pwd": ADMIN_PASSWD, "name": "nosuchdb"}, timeout=60)
        assert r.status_code == 200 and "Database backup error:" in r.text
        logs = srv.logs()
        assert "odoo.service.db: DUMP DB: %s format zip" % testdb in logs
    finally:
        srv.remove()

    # list_db = False: the database manager's functions are refused
    conf = env.conf("nolist.conf", list_db="False")
    srv = env.serve("-d", testdb, conf=conf)
    try:
        r = requests.post(srv.url("/web/database/backup"),
                          data={"master_pwd": ADMIN_PASSWD, "name": testdb}, timeout=60)
        assert r.status_code == 200 and "Database backup error: Access Denied" in r.text, (
            r.status_code, r.text[:300], srv.logs()[-3000:])
        assert "Database management functions blocked" in srv.logs()
    finally:
        srv.remove()
