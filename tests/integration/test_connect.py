"""Connect As User (docs/connect.md) on the Odoo stand-in through the edge proxy: the sessions
of an Odoo 18 environment (res_device_log) and of an Odoo 16 one (the session store's files),
the q filter, a one-time URL that signs the browser in as the user and then answers 410, its
expiry, the permission, the plan flag, another organization's id, and the audit entry.

The stand-in's own `odoo` package (tests/odoo-standin/pkg) gives the container Odoo's session
interface, and its server checks every session cookie as Odoo's check_session does, so a
session minted by berth is accepted only when its token is Odoo's. STANDIN_IMAGE (as
build.sh takes it) runs the module on a stand-in of another name."""
import json
import os
import re
import subprocess

import pytest
import requests

from conftest import BERTH, Berthd, ADMIN_EMAIL, ADMIN_PASSWORD, free_port, new_user, unique
from test_environments import set_plan
import runtime as rt

pytestmark = pytest.mark.skipif(not rt.docker_available(), reason="no Docker Engine")

EDGE_PORT = free_port()
IMAGE = os.environ.get("STANDIN_IMAGE", rt.STANDIN_TAG)
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"


@pytest.fixture(scope="module")
def platform():
    rt.ensure_standin()
    d = Berthd().start()
    api = d.api()
    r = api.post("/api/v1/setup", {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD,
                                   "organization": "Acme"})
    assert r.status_code == 201, r.text
    a = api.with_token(r.json_body["access_token"])
    a.org_id = r.json_body["organization"]["id"]
    a.user_id = r.json_body["user"]["id"]
    a.berthd = d
    set_plan(a, a.org_id, allow_connect=True, allow_ip_whitelist=True)
    r = a.put("/api/v1/admin/odoo-versions",
              [{"version": v, "image": "%s:%s" % (IMAGE, v)} for v in ("16.0", "17.0", "18.0")])
    assert r.status_code == 200, r.text
    r = a.post("/api/v1/orgs/%s/servers" % a.org_id, {"name": "local", "transport": "local",
                                                        "http_port": EDGE_PORT,
                                                        "https_port": free_port()})
    assert r.status_code == 201, r.text
    a.server_id = r.json_body["id"]
    r = a.post("/api/v1/servers/%s/test" % a.server_id)
    assert r.json_body["status"] == "running", r.text
    yield a
    for e in a.get("/api/v1/orgs/%s/environments" % a.org_id).json_body or []:
        r = a.delete("/api/v1/environments/%s" % e["id"], {"confirm": "DELETE"})
        if r.status_code == 202:
            rt.wait_job(a, r.json_body["id"])
    try:
        d.cleanup()
    finally:
        rt.remove_edges(a.server_id)


def deploy(a, version):
    r = a.post("/api/v1/orgs/%s/projects" % a.org_id, {"name": unique("p"), "odoo_version": version})
    assert r.status_code == 201, r.text
    r = a.post("/api/v1/projects/%s/environments" % r.json_body["id"],
               {"env_type": "staging", "vm_id": a.server_id, "cpu_cores": 0.5, "ram_mb": 1024,
                "disk_gb": 2})
    assert r.status_code == 201, r.text
    e = r.json_body
    rt.run_job(a, "POST", "/api/v1/environments/%s/deploy" % e["id"])
    e = a.get("/api/v1/environments/%s" % e["id"]).json_body
    e["host"] = e["subdomain"] + ".localhost"
    e["edge"] = "berth-edge-" + a.server_id.replace("-", "")[:8]
    # Odoo users: an internal one, a portal one and an archived one
    rt.psql(e["id"], e["name"], """
        WITH p AS (INSERT INTO res_partner (name, active) VALUES ('Marc Demo', true) RETURNING id)
        INSERT INTO res_users (login, password, active, partner_id, company_id, share)
        SELECT 'demo', 'demo-pw', true, id, 1, false FROM p;
        WITH p AS (INSERT INTO res_partner (name, active) VALUES ('Portal Paula', true) RETURNING id)
        INSERT INTO res_users (login, password, active, partner_id, company_id, share)
        SELECT 'portal', 'portal-pw', true, id, 1, true FROM p;
        WITH p AS (INSERT INTO res_partner (name, active) VALUES ('Gone Gus', true) RETURNING id)
        INSERT INTO res_users (login, password, active, partner_id, company_id, share)
        SELECT 'gone', 'gone-pw', false, id, 1, false FROM p;""")
    return e


@pytest.fixture(scope="module")
def env18(platform):
    return deploy(platform, "18.0")


@pytest.fixture(scope="module", params=["16.0", "17.0"])
def env16(platform, request):
    """Odoo 16 and 17: the session store's files (pickled, 40 hexadecimal digits)."""
    return deploy(platform, request.param)


def edge(env, path, cookie=None, method="GET", data=None, ua=FIREFOX):
    """One request through the edge's published port with the environment's Host."""
    h = {"Host": env["host"], "User-Agent": ua}
    if cookie:
        h["Cookie"] = "session_id=" + cookie
    return requests.request(method, "http://127.0.0.1:%d%s" % (EDGE_PORT, path), headers=h,
                            data=data, allow_redirects=False, timeout=30)


def login(env, user, password):
    """Signs in through /web/login as a browser does; the session cookie."""
    r = edge(env, "/web/login")
    sid = r.cookies.get("session_id")
    r = edge(env, "/web/login", cookie=sid, method="POST",
             data={"login": user, "password": password, "csrf_token": "x"})
    assert r.status_code == 303, r.text
    sid = r.cookies.get("session_id") or sid
    r = edge(env, r.headers["Location"], cookie=sid)   # the web client, with the session
    assert r.status_code == 200 and "Logged in as" in r.text, r.text
    return sid


def sessions(a, env, q=None):
    r = a.get("/api/v1/environments/%s/sessions%s" % (env["id"], "?q=" + q if q else ""))
    assert r.status_code == 200, r.text
    return r.json_body["users"]


def by_login(users):
    return {u["login"]: u for u in users}


def admin_login(users):
    """Odoo's administrator (id 2; berth gives it the e-mail login of the deploy)."""
    return [login for login, u in users.items() if u["id"] == 2][0]


def connect(a, env, body):
    r = a.post("/api/v1/environments/%s/connect" % env["id"], body)
    assert r.status_code == 200, r.text
    return r.json_body


def who(env, sid):
    r = edge(env, "/berth-standin/info", cookie=sid)
    assert r.status_code == 200, r.text
    return r.json()["session"]


def use(env, url):
    path = re.sub(r"^https?://[^/]+", "", url)
    return edge(env, path)


def test_sessions_18_device_log(platform, env18):
    a = platform
    users = by_login(sessions(a, env18))
    admin = admin_login(users)
    assert set(users) == {admin, "demo"}, users     # internal and active only
    assert not users["demo"]["logged_in"] and users["demo"]["devices"] == []
    login(env18, "demo", "demo-pw")
    got = sessions(a, env18)
    assert got[0]["login"] == "demo" and got[0]["logged_in"], got   # logged in first
    assert got[0]["name"] == "Marc Demo" and got[0]["last_activity"].endswith("Z")
    dev = got[0]["devices"][0]
    assert dev["browser"] == "firefox" and dev["platform"] == "linux", dev
    assert dev["ip_address"] and dev["last_activity"], dev
    assert by_login(got)[admin]["logged_in"] is False
    assert [u["login"] for u in sessions(a, env18, "marc")] == ["demo"]
    assert [u["login"] for u in sessions(a, env18, "ADMINISTRATOR")] == [admin]
    assert sessions(a, env18, "nobody-like-this") == []


def test_connect_url_signs_in_once(platform, env18):
    a = platform
    g = connect(a, env18, {"login": "demo"})
    assert g["user"]["login"] == "demo" and g["user"]["name"] == "Marc Demo", g
    assert g["expires_at"].endswith("Z")
    m = re.match(r"^http://([^/:]+):(\d+)/berth/connect/([0-9a-f]{64})$", g["url"])
    assert m, g["url"]
    assert m.group(1) == env18["subdomain"] + ".localhost" and int(m.group(2)) == EDGE_PORT
    r = use(env18, g["url"])
    assert r.status_code == 302, r.text
    assert r.headers["Location"] == "/odoo"
    cookie = r.headers["Set-Cookie"]
    assert re.match(r"^session_id=[A-Za-z0-9_-]{84}; Path=/; HttpOnly; SameSite=Lax$", cookie), cookie
    sid = r.cookies["session_id"]
    assert r.headers.get("Cache-Control") == "no-store"
    # the next request with the cookie reaches the backend as that user
    s = who(env18, sid)
    assert s and s["login"] == "demo", s
    page = edge(env18, "/odoo", cookie=sid)
    assert page.status_code == 200 and "Logged in as <span class=\"login\">demo</span>" in page.text
    # once only
    assert use(env18, g["url"]).status_code == 410
    # the minted session shows in the device log like any other
    demo = by_login(sessions(a, env18))["demo"]
    assert demo["logged_in"]
    # by id, and for the administrator
    g2 = connect(a, env18, {"user_id": 2})
    assert g2["user"]["id"] == 2 and g2["user"]["name"] == "Administrator", g2
    r = use(env18, g2["url"])
    assert r.status_code == 302
    assert who(env18, r.cookies["session_id"])["login"] == g2["user"]["login"]


def test_connect_expired_token_and_bad_tokens(platform, env18):
    a = platform
    g = connect(a, env18, {"login": "demo"})
    token = g["url"].rsplit("/", 1)[1]
    # the token's file says when it expires: move that into the past
    rt.docker("exec", env18["edge"], "sed", "-i", "1s/.*/1000/", "/var/lib/berth-connect/" + token)
    assert use(env18, g["url"]).status_code == 410
    assert use(env18, g["url"]).status_code == 410
    assert edge(env18, "/berth/connect/" + "0" * 64).status_code == 410   # unknown
    assert edge(env18, "/berth/connect/..%2f..%2fetc%2fpasswd").status_code == 404
    assert edge(env18, "/berth/connect/" + "A" * 64).status_code == 404
    # the token file is the nginx workers' alone
    out = rt.docker("exec", env18["edge"], "stat", "-c", "%U %a", "/var/lib/berth-connect").stdout
    assert out.split() == ["www-data", "700"], out


def test_stale_token_logs_out(platform, env18):
    """The stand-in checks every session as Odoo does: a changed password ends it."""
    a = platform
    r = use(env18, connect(a, env18, {"login": "demo"})["url"])
    sid = r.cookies["session_id"]
    assert who(env18, sid)["login"] == "demo"
    rt.psql(env18["id"], env18["name"], "UPDATE res_users SET password = 'changed' WHERE login = 'demo'")
    assert who(env18, sid) is None
    assert edge(env18, "/odoo", cookie=sid).status_code == 303


def test_sessions_and_connect_16_17_session_files(platform, env16):
    a = platform
    users = by_login(sessions(a, env16))
    admin = admin_login(users)
    assert set(users) == {admin, "demo"} and not users["demo"]["logged_in"], users
    login(env16, "demo", "demo-pw")
    got = sessions(a, env16, "dem")
    assert [u["login"] for u in got] == ["demo"] and got[0]["logged_in"], got
    assert got[0]["last_activity"] and len(got[0]["devices"]) == 1, got
    g = connect(a, env16, {"login": admin})
    r = use(env16, g["url"])
    assert r.status_code == 302 and r.headers["Location"] == "/web"
    sid = r.cookies["session_id"]
    assert re.match(r"^[0-9a-f]{40}$", sid), sid     # Odoo 16's and 17's sids
    assert who(env16, sid)["login"] == admin
    assert use(env16, g["url"]).status_code == 410
    assert by_login(sessions(a, env16))[admin]["logged_in"]


def test_errors(platform, env18):
    a = platform
    base = "/api/v1/environments/%s" % env18["id"]
    r = a.post(base + "/connect", {"login": "nobody"})
    assert r.status_code == 404 and r.json_body["error"]["field"] == "login", r.text
    r = a.post(base + "/connect", {"user_id": 999})
    assert r.status_code == 404 and r.json_body["error"]["field"] == "user_id", r.text
    r = a.post(base + "/connect", {"login": "gone"})          # archived
    assert r.status_code == 404, r.text
    for body, field in (({}, "user_id"), ({"user_id": "2"}, "user_id"), ({"user_id": 0}, "user_id"),
                        ({"login": ""}, "login"), ({"login": "a", "user_id": 2}, "user_id"),
                        ({"login": "a", "x": 1}, "x")):
        r = a.post(base + "/connect", body)
        assert r.status_code == 400 and r.json_body["error"]["field"] == field, (body, r.text)
    # a viewer may not
    viewer = new_user(a.berthd, a, role="viewer")
    for m, p in (("GET", "/sessions"), ("POST", "/connect")):
        r = viewer.req(m, base + p, body={"login": "demo"} if m == "POST" else None)
        assert r.status_code == 403 and r.json_body["error"]["code"] == "PERMISSION_DENIED", r.text
    # another organization's member does not see it
    r = a.post("/api/v1/orgs", {"name": unique("Other")})
    assert r.status_code == 201, r.text
    other = new_user(a.berthd, a, role="owner", org_id=r.json_body["id"])
    for m, p in (("GET", "/sessions"), ("POST", "/connect")):
        r = other.req(m, base + p, body={"login": "demo"} if m == "POST" else None)
        assert r.status_code == 404, r.text
    # the plan
    set_plan(a, a.org_id, allow_connect=False)
    try:
        for m, p in (("GET", "/sessions"), ("POST", "/connect")):
            r = a.req(m, base + p, body={"login": "demo"} if m == "POST" else None)
            assert r.status_code == 403 and r.json_body["error"]["code"] == "PLAN_FEATURE_UNAVAILABLE", r.text
            assert "allow_connect" in r.json_body["error"]["message"]
    finally:
        set_plan(a, a.org_id, allow_connect=True, allow_ip_whitelist=True)


def test_audit_and_event(platform, env18):
    a = platform
    stream = requests.get(a.berthd.url + "/api/v1/orgs/%s/events" % a.org_id, stream=True,
                          headers={"Authorization": "Bearer " + a.token}, timeout=60)
    assert stream.status_code == 200
    lines = stream.iter_lines(decode_unicode=True)
    next(lines)   # the stream has started (retry: 2000)
    g = connect(a, env18, {"login": "demo"})
    for line in lines:
        if line == "event: environment.connect":
            data = json.loads(next(lines)[len("data: "):])
            break
    stream.close()
    assert data["id"] == env18["id"] and data["as_user"]["login"] == "demo", data
    assert data["user_id"] == a.user_id and data["source_ip"] == "127.0.0.1"
    token = g["url"].rsplit("/", 1)[1]
    r = a.get("/api/v1/orgs/%s/audit" % a.org_id)
    assert r.status_code == 200, r.text
    entries = [e for e in r.json_body if e["action"] == "environment.connect"]
    assert entries, r.json_body
    e = entries[0]
    assert e["target_type"] == "environment" and e["target_id"] == env18["id"]
    assert e["actor"] == ADMIN_EMAIL and e["source_ip"] == "127.0.0.1"
    assert e["details"]["as_user"] == {"id": g["user"]["id"], "login": "demo"}
    assert token not in r.text
    # the environment's event list: its audit entries
    r = a.get("/api/v1/orgs/%s/audit?target_id=%s" % (a.org_id, env18["id"]))
    assert r.status_code == 200, r.text
    assert {e["target_id"] for e in r.json_body} == {env18["id"]}
    assert "environment.connect" in [e["action"] for e in r.json_body]


def test_security_rules_keep_connect(platform, env18):
    """The site's rate limits and address rules apply to the URL as to any path and do not
    break it."""
    a = platform
    r = a.put("/api/v1/environments/%s/settings/security" % env18["id"],
              {"rate_limit": True, "ip_blacklist": ["192.0.2.1"]})
    assert r.status_code == 200, r.text
    job = r.json_body["apply"]["job"]
    assert rt.wait_job(a, job["id"])["status"] == "done", rt.job_log(a, job["id"])
    r = use(env18, connect(a, env18, {"login": "demo"})["url"])
    assert r.status_code == 302 and who(env18, r.cookies["session_id"])["login"] == "demo"


def test_cli(platform, env18):
    a = platform
    env = {k: v for k, v in os.environ.items() if not k.startswith("BERTH_")}
    env.update(BERTH_URL=a.berthd.url, BERTH_TOKEN=a.token, HOME=a.berthd.dir)
    run = lambda *args: subprocess.run([BERTH, *args], capture_output=True, text=True, env=env,
                                       timeout=120)
    p = run("env", "sessions", env18["name"], "--q", "marc", "--org", a.org_id)
    assert p.returncode == 0, p.stderr
    assert "demo" in p.stdout and "Marc Demo" in p.stdout and "Administrator" not in p.stdout
    p = run("env", "connect", env18["name"], "--login", "demo", "--org", a.org_id)
    assert p.returncode == 0, p.stderr
    url = p.stdout.strip()
    assert "/berth/connect/" in url and "demo" in p.stderr
    r = use(env18, url)
    assert r.status_code == 302 and who(env18, r.cookies["session_id"])["login"] == "demo"
    p = run("env", "connect", env18["name"], "--org", a.org_id)
    assert p.returncode == 2 and "--login" in p.stderr


def test_not_running_conflict(platform, env16):
    a = platform
    rt.run_job(a, "POST", "/api/v1/environments/%s/stop" % env16["id"])
    for m, p in (("GET", "/sessions"), ("POST", "/connect")):
        r = a.req(m, "/api/v1/environments/%s%s" % (env16["id"], p),
                  body={"login": "demo"} if m == "POST" else None)
        assert r.status_code == 409 and r.json_body["error"]["code"] == "CONFLICT", r.text
