"""Environments on the real Docker Engine: deploy, restarts, stop/start, remove, crash
safety. Uses the Odoo stand-in image (tests/odoo-standin) in place of odoo:<version>."""
import os
import signal
import time

import pytest

from conftest import Berthd, ADMIN_EMAIL, ADMIN_PASSWORD, free_port
import runtime as rt

pytestmark = pytest.mark.skipif(not rt.docker_available(), reason="no Docker Engine")

EDGE_PORT = free_port()  # the edge proxy's HTTP port for this test run


@pytest.fixture(scope="module")
def images():
    rt.ensure_standin()


@pytest.fixture
def platform(images):
    yield from make_platform()


@pytest.fixture
def platform_apps_domain(images):
    yield from make_platform(["--apps-domain", "apps.example.test"])


def make_platform(args=()):
    """berthd with the local server registered and tested, the stand-in as Odoo image."""
    d = Berthd(args).start()
    api = d.api()
    r = api.post("/api/v1/setup", {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD,
                                   "organization": "Acme"})
    assert r.status_code == 201, r.text
    a = api.with_token(r.json_body["access_token"])
    a.org_id = r.json_body["organization"]["id"]
    r = a.put("/api/v1/admin/odoo-versions",
              [{"version": v, "image": "%s:%s" % (rt.STANDIN_TAG, v)}
               for v in ("16.0", "17.0", "18.0", "19.0")])
    assert r.status_code == 200, r.text
    r = a.post("/api/v1/orgs/%s/servers" % a.org_id, {"name": "local", "transport": "local",
                                                        "http_port": EDGE_PORT,
                                                        "https_port": free_port()})
    assert r.status_code == 201, r.text
    a.server_id = r.json_body["id"]
    r = a.post("/api/v1/servers/%s/test" % a.server_id)
    assert r.json_body["status"] == "running", r.text
    r = a.post("/api/v1/orgs/%s/projects" % a.org_id, {"name": "Shop", "odoo_version": "18.0"})
    assert r.status_code == 201, r.text
    a.project_id = r.json_body["id"]
    a.berthd = d
    yield a
    # remove what the test left behind
    for e in a.get("/api/v1/orgs/%s/environments" % a.org_id).json_body or []:
        if e["environment_type"] != "production":
            r = a.delete("/api/v1/environments/%s" % e["id"], {"confirm": "DELETE"})
            if r.status_code == 202:
                rt.wait_job(a, r.json_body["id"])
    try:
        d.cleanup()  # raises on sanitizer reports: the edges go in any case
    finally:
        rt.remove_edges(a.server_id, *getattr(a, "extra_servers", []))


def create_env(a, **kw):
    body = {"env_type": "staging", "vm_id": a.server_id, "cpu_cores": 1.0, "ram_mb": 1024,
            "disk_gb": 2}
    body.update(kw)
    r = a.post("/api/v1/projects/%s/environments" % a.project_id, body)
    assert r.status_code == 201, r.text
    return r.json_body


def host_of(env):
    return env["subdomain"] + ".localhost"


def test_deploy_serves_through_edge_and_data_survives(platform):
    a = platform
    env = create_env(a)
    job = rt.run_job(a, "POST", "/api/v1/environments/%s/deploy" % env["id"])
    log = rt.job_log(a, job["id"])
    for stage in ("PostgreSQL", "PgBouncer", "Database", "Odoo", "Edge proxy", "Health check"):
        assert "==> " + stage in log, log
    assert "<== Health check (" in log
    got = a.get("/api/v1/environments/%s" % env["id"]).json_body
    assert got["status"] == "running"
    status, body = rt.http_get(EDGE_PORT, host_of(env), "/web/login")
    assert status == 200 and "Odoo" in body
    status, _ = rt.http_get(EDGE_PORT, host_of(env), "/web/database/manager")
    assert status in (403, 404)
    db = env["name"]
    rt.psql(env["id"], db, "INSERT INTO res_partner(name) VALUES ('survivor')")

    def survives():
        assert rt.psql(env["id"], db, "SELECT count(*) FROM res_partner WHERE name='survivor'") == "1"
        assert rt.http_get(EDGE_PORT, host_of(env), "/web/health")[0] == 200

    odoo_before = rt.env_containers(env["id"], "odoo")
    rt.run_job(a, "POST", "/api/v1/environments/%s/restart" % env["id"], {"mode": "soft"})
    assert rt.env_containers(env["id"], "odoo") == odoo_before  # not recreated
    survives()
    rt.run_job(a, "POST", "/api/v1/environments/%s/restart" % env["id"], {"mode": "hard"})
    assert rt.env_containers(env["id"], "odoo") != odoo_before  # recreated
    survives()
    rt.run_job(a, "POST", "/api/v1/environments/%s/stop" % env["id"])
    assert a.get("/api/v1/environments/%s" % env["id"]).json_body["status"] == "stopped"
    assert not rt.env_containers(env["id"], all_=False)
    rt.run_job(a, "POST", "/api/v1/environments/%s/start" % env["id"])
    survives()
    # a second deploy converges: the database keeps its data
    job = rt.run_job(a, "POST", "/api/v1/environments/%s/deploy" % env["id"])
    assert "keeping its data" in rt.job_log(a, job["id"])
    survives()


def test_limits_and_generated_config(platform):
    a = platform
    env = create_env(a, cpu_cores=2.0, ram_mb=4096,
                     odoo_config={"workers": 2, "max_cron_threads": 1})
    rt.run_job(a, "POST", "/api/v1/environments/%s/deploy" % env["id"])
    odoo = rt.inspect(rt.env_containers(env["id"], "odoo")[0])
    db = rt.inspect(rt.env_containers(env["id"], "db")[0])
    assert odoo["HostConfig"]["NanoCpus"] == 1_400_000_000
    assert odoo["HostConfig"]["Memory"] == 2867 * 1024 * 1024
    assert db["HostConfig"]["NanoCpus"] == 600_000_000
    assert db["HostConfig"]["Memory"] == 1229 * 1024 * 1024
    assert odoo["HostConfig"]["ShmSize"] == 64 * 1024 * 1024
    # passwords never on a command line
    for c in (odoo, db):
        argv = " ".join((c["Config"].get("Entrypoint") or []) + (c["Config"].get("Cmd") or []))
        assert "password" not in argv.lower()
    status, body = rt.http_get(EDGE_PORT, host_of(env), "/berth-standin/info")
    assert status == 200, body
    import json
    info = json.loads(body)
    assert str(info["workers"]) == "2"
    assert str(info["max_cron_threads"]) == "1"
    assert str(info["list_db"]) in ("False", "false")


def test_remove_leaves_nothing_and_spares_others(platform):
    a = platform
    keep = create_env(a)
    gone = create_env(a)
    for e in (keep, gone):
        rt.run_job(a, "POST", "/api/v1/environments/%s/deploy" % e["id"])
    r = a.delete("/api/v1/environments/%s" % gone["id"], {"confirm": "nope"})
    assert r.status_code == 400 and r.json_body["error"]["code"] == "CONFIRMATION_REQUIRED"
    rt.run_job(a, "DELETE", "/api/v1/environments/%s" % gone["id"], {"confirm": "DELETE"})
    assert a.get("/api/v1/environments/%s" % gone["id"]).status_code == 404
    assert rt.env_containers(gone["id"]) == []
    vols = rt.docker("volume", "ls", "-q", "--filter", "label=berth.env=%s" % gone["id"]).stdout.split()
    nets = rt.docker("network", "ls", "-q", "--filter", "label=berth.env=%s" % gone["id"]).stdout.split()
    assert vols == [] and nets == []
    edge = rt.docker("ps", "-q", "--filter", "label=berth.role=edge", "--filter",
                     "label=berth.server=%s" % a.server_id).stdout.split()[0]
    sites = rt.docker("exec", edge, "ls", "/etc/nginx/sites.d").stdout
    assert gone["id"].replace("-", "")[:12] not in sites
    assert rt.http_get(EDGE_PORT, host_of(keep), "/web/health")[0] == 200


def test_job_queue_views_and_events(platform):
    a = platform
    env = create_env(a)
    r = a.post("/api/v1/environments/%s/deploy" % env["id"])
    assert r.status_code == 202
    job = r.json_body
    assert job["status"] in ("queued", "running") and job["type"] == "deploy"
    assert job["initiated_by_email"] == ADMIN_EMAIL
    # SSE: every line, then the final status
    import requests
    with requests.get(a.base + "/api/v1/jobs/%s/events" % job["id"],
                      headers={"Authorization": "Bearer " + a.token}, stream=True,
                      timeout=900) as s:
        assert s.headers["Content-Type"].startswith("text/event-stream")
        events, last_id = [], None
        for line in s.iter_lines(decode_unicode=True):
            if line.startswith("id: "):
                last_id = int(line[4:])
            if line.startswith("event: "):
                events.append(line[7:])
            if events and events[-1] == "status" and line.startswith("data: "):
                assert '"done"' in line
                break
    assert "log" in events and events[-1] == "status"
    # resumable: after the last id only the status comes
    r = a.get("/api/v1/jobs/%s/events" % job["id"], headers={"Last-Event-ID": str(last_id)})
    assert "event: log" not in r.text and "event: status" in r.text
    jobs = a.get("/api/v1/environments/%s/jobs" % env["id"]).json_body
    assert jobs[0]["id"] == job["id"] and jobs[0]["completed_at"]
    org_jobs = a.get("/api/v1/orgs/%s/jobs" % a.org_id).json_body
    assert job["id"] in [j["id"] for j in org_jobs]
    # cancel a queued job: two stops in a row, the second waits behind the first
    r1 = a.post("/api/v1/environments/%s/stop" % env["id"])
    r2 = a.post("/api/v1/environments/%s/restart" % env["id"], {"mode": "hard"})
    c = a.post("/api/v1/jobs/%s/cancel" % r2.json_body["id"])
    assert c.status_code in (202, 409)
    rt.wait_job(a, r1.json_body["id"])
    assert rt.wait_job(a, r2.json_body["id"])["status"] in ("cancelled", "done")


def test_sigkill_during_deploy_then_redeploy(platform):
    a = platform
    env = create_env(a)
    r = a.post("/api/v1/environments/%s/deploy" % env["id"])
    job_id = r.json_body["id"]
    # wait until the job is inside a stage, then kill berthd hard
    deadline = time.time() + 300
    while time.time() < deadline:
        j = a.get("/api/v1/jobs/%s" % job_id).json_body
        if j["status"] == "running" and j["stage"] in ("PostgreSQL", "PgBouncer", "Database", "Odoo"):
            break
        time.sleep(0.1)
    d = a.berthd
    d.proc.send_signal(signal.SIGKILL)
    d.proc.wait()
    d.log.close()
    d.start()
    j = a.get("/api/v1/jobs/%s" % job_id).json_body
    assert j["status"] == "failed" and "interrupted" in j["error"]
    assert not [x for x in a.get("/api/v1/orgs/%s/jobs" % a.org_id).json_body
                if x["status"] == "running"]
    rt.run_job(a, "POST", "/api/v1/environments/%s/deploy" % env["id"])
    assert rt.http_get(EDGE_PORT, host_of(env), "/web/health")[0] == 200


def test_action_validation(platform):
    a = platform
    env = create_env(a)
    r = a.post("/api/v1/environments/%s/restart" % env["id"], {"mode": "warm"})
    assert r.status_code == 400 and r.json_body["error"]["field"] == "mode"
    prod = create_env(a, env_type="production")
    r = a.delete("/api/v1/environments/%s" % prod["id"], {"confirm": "DELETE"})
    assert r.status_code == 409 and r.json_body["error"]["code"] == "PRODUCTION_PROTECTED"
    r = a.get("/api/v1/admin/odoo-versions")
    assert {"version": "18.0", "image": "berth-test/odoo:18.0"} in r.json_body
    r = a.put("/api/v1/admin/odoo-versions", [{"version": "15.0", "image": "odoo:15.0"}])
    assert r.status_code == 400


def test_deploy_over_ssh(platform):
    """The same environment lifecycle through a real sshd on loopback: the Docker API goes
    over direct-streamlocal channels, health checks over direct-tcpip."""
    a = platform
    sshd = rt.Sshd().start()
    try:
        port = free_port()
        r = a.post("/api/v1/orgs/%s/servers" % a.org_id,
                   {"name": "ssh", "host": "127.0.0.1", "port": sshd.port, "user": "root",
                    "private_key": sshd.private_key, "http_port": port,
                    "https_port": free_port()})
        assert r.status_code == 201, r.text
        sid = r.json_body["id"]
        a.extra_servers = [sid]
        r = a.post("/api/v1/servers/%s/test" % sid)
        assert r.json_body["status"] == "running", r.text
        assert r.json_body["host_key"].startswith("SHA256:")
        env = create_env(a, vm_id=sid)
        job = rt.run_job(a, "POST", "/api/v1/environments/%s/deploy" % env["id"])
        assert "answers /web/health" in rt.job_log(a, job["id"])
        assert rt.http_get(port, host_of(env), "/web/health")[0] == 200
        rt.run_job(a, "POST", "/api/v1/environments/%s/restart" % env["id"], {"mode": "soft"})
        rt.run_job(a, "DELETE", "/api/v1/environments/%s" % env["id"], {"confirm": "DELETE"})
        assert rt.env_containers(env["id"]) == []
    finally:
        sshd.stop()


def edge_containers(server_id):
    return rt.docker("ps", "-aq", "--filter", "label=berth.role=edge", "--filter",
                     "label=berth.server=%s" % server_id).stdout.split()


def test_remove_after_failed_first_deploy_touches_only_what_exists(platform):
    """A first deploy that fails before the edge stage (here: the Odoo image cannot be had)
    leaves no edge proxy on the fresh server; removing the environment then removes what the
    deploy made and creates nothing (no edge proxy on ports 80/443)."""
    a = platform
    r = a.put("/api/v1/admin/odoo-versions",
              [{"version": "18.0", "image": "berth-test/missing-image:18.0"}])
    assert r.status_code == 200, r.text
    env = create_env(a)
    job = rt.run_job(a, "POST", "/api/v1/environments/%s/deploy" % env["id"], expect="failed")
    log = rt.job_log(a, job["id"])
    # the images come first (issue 13): the failure touches no container
    assert "==> Images" in log and "==> PostgreSQL" not in log, log
    assert edge_containers(a.server_id) == []
    job = rt.run_job(a, "DELETE", "/api/v1/environments/%s" % env["id"], {"confirm": "DELETE"})
    log = rt.job_log(a, job["id"])
    assert "no edge proxy" in log, log
    assert edge_containers(a.server_id) == []
    assert rt.env_containers(env["id"]) == []
    assert rt.docker("volume", "ls", "-q", "--filter",
                     "label=berth.env=%s" % env["id"]).stdout.split() == []
    assert a.get("/api/v1/environments/%s" % env["id"]).status_code == 404


def test_two_first_deploys_on_a_fresh_server_share_one_edge(platform):
    """Two environments deployed at once on a server that has no edge proxy yet: the edge
    proxy is created once (under the server's edge lock), and both deploys succeed."""
    a = platform
    assert edge_containers(a.server_id) == []
    envs = [create_env(a), create_env(a)]
    jobs = []
    for e in envs:
        r = a.post("/api/v1/environments/%s/deploy" % e["id"])
        assert r.status_code == 202, r.text
        jobs.append(r.json_body["id"])
    for job_id in jobs:
        job = rt.wait_job(a, job_id)
        assert job["status"] == "done", "%s\n%s" % (job, rt.job_log(a, job_id))
    assert len(edge_containers(a.server_id)) == 1
    for e in envs:
        assert rt.http_get(EDGE_PORT, host_of(e), "/web/health")[0] == 200


def authenticate(env, db, login, password):
    """Odoo's JSON-RPC login through the edge proxy: (uid or None, answer)."""
    import json
    import socket
    body = json.dumps({"jsonrpc": "2.0", "method": "call", "id": 1,
                       "params": {"db": db, "login": login, "password": password}}).encode()
    s = socket.create_connection(("127.0.0.1", EDGE_PORT), timeout=30)
    s.sendall(("POST /web/session/authenticate HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n"
               "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
               % (host_of(env), len(body))).encode() + body)
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    head, _, payload = data.partition(b"\r\n\r\n")
    assert b" 200 " in head.split(b"\r\n")[0], data[:500]
    answer = json.loads(payload)
    return (answer.get("result") or {}).get("uid"), answer


def test_admin_login_and_password_set_when_the_database_is_created(platform):
    """The database's administrator is not admin/admin: the first deploy sets the login the
    environment was created with and the password returned once by the creation. On the
    stand-in, the password is checked as Odoo checks it: `POST /web/session/authenticate`
    through the edge verifies the pbkdf2-sha512 hash berth wrote into res_users."""
    import sqlite3
    a = platform
    login = "owner@example.com"
    body = {"env_type": "staging", "vm_id": a.server_id, "cpu_cores": 1.0, "ram_mb": 1024,
            "disk_gb": 2, "admin_login": login}
    r = a.post("/api/v1/projects/%s/environments" % a.project_id, body)
    assert r.status_code == 201, r.text
    env = r.json_body
    password = env["admin_password"]
    store = os.path.join(a.berthd.data, "berth.db")
    assert env["admin_login"] == login
    got = a.get("/api/v1/environments/%s" % env["id"]).json_body
    assert "admin_password" not in got and got["admin_login"] == login
    job = rt.run_job(a, "POST", "/api/v1/environments/%s/deploy" % env["id"])
    log = rt.job_log(a, job["id"])
    assert "Odoo administrator: login %s" % login in log, log
    db = env["name"]
    row = rt.psql(env["id"], db, "SELECT login || ' ' || password FROM res_users WHERE id=2")
    got_login, stored = row.split(" ", 1)
    assert got_login == login
    assert stored.startswith("$pbkdf2-sha512$600000$"), stored
    assert authenticate(env, db, "admin", "admin")[0] is None
    assert authenticate(env, db, login, "admin")[0] is None
    con = sqlite3.connect(store, timeout=30)
    sealed = con.execute("SELECT admin_password FROM environments WHERE id=?",
                         (env["id"],)).fetchone()[0]
    con.close()
    assert sealed, "no administrator password stored"
    assert password not in sealed and password not in log
    assert password not in a.berthd.read_log()
    uid, answer = authenticate(env, db, login, password)
    assert uid == 2, answer
    # a later deploy keeps the database and its administrator as they are
    rt.psql(env["id"], db, "UPDATE res_users SET password='changed-by-the-user' WHERE id=2")
    job = rt.run_job(a, "POST", "/api/v1/environments/%s/deploy" % env["id"])
    assert "Odoo administrator" not in rt.job_log(a, job["id"])
    assert authenticate(env, db, login, "changed-by-the-user")[0] == 2
    # a first deploy interrupted between `-i base` and the administrator (the database is
    # there, its administrator still admin, no deploy completed): the next deploy finishes it
    rt.psql(env["id"], db, "UPDATE res_users SET login='admin', password='admin' WHERE id=2")
    con = sqlite3.connect(store, timeout=30)
    with con:
        con.execute("UPDATE environments SET deployed_at=NULL WHERE id=?", (env["id"],))
    con.close()
    job = rt.run_job(a, "POST", "/api/v1/environments/%s/deploy" % env["id"])
    log = rt.job_log(a, job["id"])
    assert "keeping its data" in log and "Odoo administrator: login %s" % login in log, log
    assert authenticate(env, db, "admin", "admin")[0] is None
    assert authenticate(env, db, login, password)[0] == 2


def test_apps_domain_names_the_sites(platform_apps_domain):
    """berthd's --apps-domain (berth_cfg) names the environment's site in the edge proxy."""
    a = platform_apps_domain
    env = create_env(a)
    job = rt.run_job(a, "POST", "/api/v1/environments/%s/deploy" % env["id"])
    fqdn = env["subdomain"] + ".apps.example.test"
    assert "edge proxy routes %s" % fqdn in rt.job_log(a, job["id"])
    assert rt.http_get(EDGE_PORT, fqdn, "/web/health")[0] == 200
