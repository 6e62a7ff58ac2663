"""Clones and refreshes on the real Docker Engine with the Odoo stand-in (docs/clones.md):
rows and filestore files written before a clone are in the copy, on one server (base backup
and hard links) and across two server records (streamed through berthd); the copy is
neutralized; a refresh replaces the data and keeps the target's branch and settings; the
refusals (production, neutralize off, quota, another organization, permission) change
nothing."""
import os

import pytest

from conftest import free_port, new_user, unique
import runtime as rt
from sshd import Sshd
from test_backups import (add_attachment, filestore_has, make_platform, odoo_container,
                          teardown_platform)

pytestmark = pytest.mark.skipif(not rt.docker_available(), reason="no Docker Engine")


@pytest.fixture(scope="module")
def images():
    rt.ensure_standin()


@pytest.fixture(scope="module")
def platform(images):
    a = make_platform(edge_port=free_port())
    yield a
    teardown_platform(a)


def create_env(a, env_type, **kw):
    body = {"env_type": env_type, "vm_id": a.server_id, "cpu_cores": 0.5, "ram_mb": 1024,
            "disk_gb": 2, "name": unique("cl")}
    body.update(kw)
    r = a.post("/api/v1/projects/%s/environments" % a.project_id, body)
    assert r.status_code == 201, r.text
    env = r.json_body
    rt.run_job(a, "POST", "/api/v1/environments/%s/deploy" % env["id"])
    return env


def add_partner(env, name):
    rt.psql(env["id"], env["name"], "INSERT INTO res_partner(name) VALUES ('%s')" % name)


def db_of(a, env_id):
    return a.get("/api/v1/environments/%s" % env_id).json_body


@pytest.fixture(scope="module")
def prod(platform):
    env = create_env(platform, "production")
    add_partner(env, "Before Clone")
    env["file"] = add_attachment(env, os.urandom(4096))
    # a live mail server and an active scheduled action, as production has
    rt.psql(env["id"], env["name"], "INSERT INTO ir_mail_server(name, smtp_host, smtp_port, active)"
                                    " VALUES ('real', 'smtp.example.com', 25, true)")
    assert int(rt.psql(env["id"], env["name"], "SELECT count(*) FROM ir_cron WHERE active")) > 0
    return env


def remove_env(a, env):
    """Removes a clone through the API: its containers and volumes go with it (a clone is
    something on the server even though it was never deployed by a deploy job)."""
    r = a.delete("/api/v1/environments/%s" % env["id"], {"confirm": "DELETE"})
    assert r.status_code == 202, r.text
    assert rt.wait_job(a, r.json_body["id"])["status"] == "done"
    assert rt.env_containers(env["id"]) == []
    assert rt.docker("volume", "ls", "-q", "--filter", "label=berth.env=%s" % env["id"]).stdout.split() == []


def clone(a, src, expect_status=202, **body):
    r = a.post("/api/v1/environments/%s/clone" % src["id"], body)
    assert r.status_code == expect_status, r.text
    return r.json_body


def wait_done(a, job_id):
    job = rt.wait_job(a, job_id)
    assert job["status"] == "done", rt.job_log(a, job_id)
    return job


def assert_copy(a, env_id, prod, db):
    env = db_of(a, env_id)
    assert env["status"] == "running", env
    assert env["cloned_from"] == prod["id"] and env["cloned_at"]
    names = rt.psql(env_id, db, "SELECT name FROM res_partner")
    assert "Before Clone" in names
    assert rt.docker("exec", odoo_container(env_id), "test", "-f",
                     "/var/lib/odoo/filestore/%s/%s" % (db, prod["file"]), check=False).returncode == 0
    # neutralized: no scheduled action but the autovacuum, no real mail server
    active = rt.psql(env_id, db, "SELECT count(*) FROM ir_cron c WHERE c.active AND c.id NOT IN"
                                 " (SELECT res_id FROM ir_model_data WHERE model='ir.cron' AND"
                                 " name='autovacuum_job')")
    assert active == "0"
    assert rt.psql(env_id, db, "SELECT count(*) FROM ir_mail_server WHERE active AND"
                               " smtp_host='smtp.example.com'") == "0"
    # the source is untouched
    assert rt.psql(prod["id"], prod["name"], "SELECT count(*) FROM ir_mail_server WHERE active AND"
                                             " smtp_host='smtp.example.com'") == "1"
    return env


def test_clone_same_server_and_refresh(platform, prod):
    a = platform
    out = clone(a, prod, env_type="staging")
    env, job = out["environment"], out["job"]
    assert env["environment_type"] == "staging" and env["cloned_from"] == prod["id"]
    assert env["name"] == "%s-staging" % prod["name"]
    assert env["git_branch"] == db_of(a, prod["id"])["git_branch"]
    assert job["type"] == "clone"
    job = wait_done(a, job["id"])
    res = job["result"]
    assert res["mode"] == "same_server" and res["filestore"] == "hardlink", res
    assert res["source_id"] == prod["id"] and res["neutralized"] is True
    assert res["database_bytes"] > 1000000 and res["filestore_files"] >= 1
    assert "Copy database" in res["seconds"] and "Copy filestore" in res["seconds"]
    db = env["name"]
    assert_copy(a, env["id"], prod, db)
    # the same file: one inode, two names (hard link)
    src_ino = rt.docker("exec", odoo_container(prod["id"]), "stat", "-c", "%i %h",
                        "/var/lib/odoo/filestore/%s/%s" % (prod["name"], prod["file"])).stdout.split()
    assert int(src_ino[1]) >= 2

    # a refresh: the target's own row goes, the source's new row comes, settings stay
    add_partner(env, "Only In Staging")
    add_partner(prod, "After Clone")
    r = a.patch("/api/v1/environments/%s" % env["id"], {"auto_deploy": True})
    assert r.status_code == 200, r.text
    r = a.post("/api/v1/environments/%s/refresh" % env["id"], {"from": prod["id"]})
    assert r.status_code == 202, r.text
    job = wait_done(a, r.json_body["job"]["id"])
    assert job["type"] == "refresh"
    names = rt.psql(env["id"], db, "SELECT name FROM res_partner")
    assert "After Clone" in names and "Only In Staging" not in names
    after = db_of(a, env["id"])
    assert after["auto_deploy"] is True and after["git_branch"] == env["git_branch"]
    assert after["name"] == env["name"] and after["status"] == "running"
    log = rt.job_log(a, job["id"])
    assert "safety backup" in log  # the Pro plan has backups: one before the data goes
    # refreshing from itself, or a production environment: refused
    r = a.post("/api/v1/environments/%s/refresh" % env["id"], {"from": env["id"]})
    assert r.status_code == 400 and r.json_body["error"]["field"] == "from", r.text
    r = a.post("/api/v1/environments/%s/refresh" % prod["id"], {"from": env["id"]})
    assert r.status_code == 409, r.text
    remove_env(a, env)


def test_clone_across_servers(platform, prod):
    a = platform
    sshd = Sshd().start()
    try:
        r = a.post("/api/v1/orgs/%s/servers" % a.org_id,
                   {"name": unique("ssh"), "host": "127.0.0.1", "port": sshd.port, "user": "root",
                    "private_key": sshd.private_key, "http_port": free_port(),
                    "https_port": free_port()})
        assert r.status_code == 201, r.text
        sid = r.json_body["id"]
        assert a.post("/api/v1/servers/%s/test" % sid).json_body["status"] == "running"
        out = clone(a, prod, env_type="development", vm_id=sid, name=unique("far"))
        env = out["environment"]
        assert env["vm_id"] == sid
        job = wait_done(a, out["job"]["id"])
        res = job["result"]
        assert res["mode"] == "cross_server" and res["filestore"] == "stream", res
        assert res["database_bytes"] > 1000000
        assert "streamed" in rt.job_log(a, job["id"])
        assert_copy(a, env["id"], prod, env["name"])
        remove_env(a, env)
        rt.remove_edges(sid)
    finally:
        sshd.stop()


def test_refusals_change_nothing(platform, prod):
    a = platform
    def counts():
        envs = a.get("/api/v1/orgs/%s/environments" % a.org_id).json_body
        jobs = a.get("/api/v1/orgs/%s/jobs" % a.org_id).json_body
        jobs = jobs.get("jobs", jobs) if isinstance(jobs, dict) else jobs
        return len(envs), sum(1 for j in jobs if j["type"] == "clone")
    before = counts()
    r = a.post("/api/v1/environments/%s/clone" % prod["id"], {"env_type": "production"})
    assert r.status_code == 400 and r.json_body["error"]["field"] == "env_type", r.text
    r = a.post("/api/v1/environments/%s/clone" % prod["id"],
               {"env_type": "staging", "neutralize": False})
    assert r.status_code == 400 and r.json_body["error"]["field"] == "neutralize", r.text
    # quota: a plan with room for no more environments
    n_envs = before[0]
    r = a.post("/api/v1/plans", {"name": unique("tight"), "cpu_cores": 64, "ram_mb": 262144,
                                 "disk_gb": 1000, "max_environments": n_envs, "max_servers": 10,
                                 "max_projects": 10, "max_members": 10})
    assert r.status_code == 201, r.text
    plans = {p["name"]: p for p in a.get("/api/v1/plans").json_body}
    tight = r.json_body["id"]
    assert a.put("/api/v1/orgs/%s/plan" % a.org_id, {"plan_id": tight}).status_code == 200
    try:
        r = a.post("/api/v1/environments/%s/clone" % prod["id"], {"env_type": "staging"})
        assert r.status_code == 400 and r.json_body["error"]["code"] == "QUOTA_EXCEEDED", r.text
    finally:
        assert a.put("/api/v1/orgs/%s/plan" % a.org_id,
                     {"plan_id": plans["Pro"]["id"]}).status_code == 200
    assert counts() == before
    # missing permission: a viewer may not create environments
    viewer = new_user(a.berthd, a, role="viewer")
    r = viewer.post("/api/v1/environments/%s/clone" % prod["id"], {"env_type": "staging"})
    assert r.status_code == 403 and r.json_body["error"]["code"] == "PERMISSION_DENIED", r.text
    r = viewer.post("/api/v1/environments/%s/refresh" % prod["id"], {"from": prod["id"]})
    assert r.status_code == 403 and r.json_body["error"]["code"] == "PERMISSION_DENIED", r.text
    # a source that is neither running nor stopped (never deployed): 409, nothing made
    r = a.post("/api/v1/projects/%s/environments" % a.project_id,
               {"env_type": "development", "vm_id": a.server_id, "cpu_cores": 0.5,
                "ram_mb": 1024, "disk_gb": 2, "name": unique("pending")})
    assert r.status_code == 201, r.text
    pending = r.json_body
    r = a.post("/api/v1/environments/%s/clone" % pending["id"], {"env_type": "staging"})
    assert r.status_code == 409 and r.json_body["error"]["code"] == "CONFLICT", r.text
    r = a.post("/api/v1/environments/%s/refresh" % pending["id"], {"from": prod["id"]})
    assert r.status_code == 409, r.text  # not deployed: nothing to refresh
    r = a.delete("/api/v1/environments/%s" % pending["id"], {"confirm": "DELETE"})
    assert r.status_code == 202, r.text
    rt.wait_job(a, r.json_body["id"])
    # another organization's ids answer 404
    r = a.post("/api/v1/orgs", {"name": unique("Other")})
    assert r.status_code == 201, r.text
    other_org = r.json_body["id"]
    outsider = new_user(a.berthd, a, role="owner", org_id=other_org)
    r = outsider.post("/api/v1/environments/%s/clone" % prod["id"], {"env_type": "staging"})
    assert r.status_code == 404, r.text
    r = outsider.post("/api/v1/environments/%s/refresh" % prod["id"], {"from": prod["id"]})
    assert r.status_code == 404, r.text
    assert counts() == before


def test_cli_clone_and_refresh(platform, prod):
    from test_cli import Cli
    a = platform
    cli = Cli(a.berthd.url)
    cli.login()
    name = unique("cli")
    org = ["--org", a.org_id]  # (another test made the administrator a member of two)
    p = cli.run("env", "clone", prod["name"], "--type", "development", "--name", name,
                "--no-anonymize", "--follow", *org)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "Cloning %s into %s" % (prod["name"], name) in p.stdout
    env = [e for e in a.get("/api/v1/orgs/%s/environments" % a.org_id).json_body
           if e["name"] == name][0]
    assert env["status"] == "running" and env["cloned_from"] == prod["id"]
    add_partner(env, "Cli Only")
    p = cli.run("env", "refresh", name, "--from", prod["name"], "--follow", *org)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "Refreshing %s from %s" % (name, prod["name"]) in p.stdout
    assert "Cli Only" not in rt.psql(env["id"], name, "SELECT name FROM res_partner")
    # usage errors: no --type, no --from
    assert cli.run("env", "clone", prod["name"], *org).returncode != 0
    assert cli.run("env", "refresh", name, *org).returncode != 0
    remove_env(a, env)


def test_interrupted_clone_converges_with_a_refresh(platform, prod):
    """berthd killed during a clone's copy: the job is failed at the next start, the clone is
    in error; a refresh from the source runs the copy again and converges."""
    import signal
    import time
    a = platform
    out = clone(a, prod, env_type="staging", name=unique("cut"))
    env, job_id = out["environment"], out["job"]["id"]
    deadline = time.time() + 300
    while time.time() < deadline:
        j = a.get("/api/v1/jobs/%s" % job_id).json_body
        if j["status"] != "queued" and j["stage"] in ("Copy database", "Copy filestore", "Swap"):
            break
        assert j["status"] in ("queued", "running"), rt.job_log(a, job_id)
        time.sleep(0.02)
    d = a.berthd
    d.proc.send_signal(signal.SIGKILL)
    d.proc.wait()
    d.log.close()
    d.start()
    assert a.get("/api/v1/jobs/%s" % job_id).json_body["status"] == "failed"
    assert db_of(a, env["id"])["status"] == "error"
    r = a.post("/api/v1/environments/%s/refresh" % env["id"], {"from": prod["id"]})
    assert r.status_code == 202, r.text
    wait_done(a, r.json_body["job"]["id"])
    assert_copy(a, env["id"], prod, env["name"])
    remove_env(a, env)


def test_clone_of_a_stopped_source(platform, prod):
    """A stopped source is copied too: its database is started for the base backup and
    stopped again after."""
    a = platform
    rt.run_job(a, "POST", "/api/v1/environments/%s/stop" % prod["id"])
    try:
        out = clone(a, prod, env_type="development", name=unique("cold"))
        env = out["environment"]
        job = wait_done(a, out["job"]["id"])
        assert "the source is stopped" in rt.job_log(a, job["id"])
        assert rt.env_containers(prod["id"], "db", all_=False) == []  # stopped again
        assert "Before Clone" in rt.psql(env["id"], env["name"], "SELECT name FROM res_partner")
        remove_env(a, env)
    finally:
        rt.run_job(a, "POST", "/api/v1/environments/%s/start" % prod["id"])
