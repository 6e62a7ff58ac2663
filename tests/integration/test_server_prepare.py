"""POST /api/v1/servers/{id}/prepare without touching this machine: the prepare job refuses a
local server, and a server whose host key is not pinned; the server's status then says why
(whatever the order in which the request and the job finish)."""
import time

from conftest import new_user, unique


def wait_job(api, job_id, timeout=60):
    deadline = time.time() + timeout
    while True:
        j = api.get("/api/v1/jobs/%s" % job_id).json_body
        if j["status"] not in ("queued", "running"):
            return j
        assert time.time() < deadline, j
        time.sleep(0.1)


def prepare(api, sid):
    r = api.post("/api/v1/servers/%s/prepare" % sid)
    assert r.status_code == 202, r.text
    assert r.json_body["type"] == "prepare" and r.json_body["server_id"] == sid, r.text
    return wait_job(api, r.json_body["id"])


def test_prepare_refuses_a_local_server(admin):
    r = admin.post("/api/v1/orgs/%s/servers" % admin.org_id,
                   {"name": unique("local"), "transport": "local"})
    assert r.status_code == 201, r.text
    j = prepare(admin, r.json_body["id"])
    assert j["status"] == "failed" and "install docker.io there" in j["error"], j


def test_prepare_needs_a_pinned_host_key_and_says_so(admin):
    r = admin.post("/api/v1/orgs/%s/servers" % admin.org_id,
                   {"name": unique("fresh"), "host": "127.0.0.1", "port": 1, "password": "pw-x"})
    assert r.status_code == 201, r.text
    sid = r.json_body["id"]
    for _ in range(3):  # the job may finish before or after the request's answer
        j = prepare(admin, sid)
        assert j["status"] == "failed" and "not pinned" in j["error"], j
        s = admin.get("/api/v1/servers/%s" % sid).json_body
        assert s["status"] == "error" and "not pinned" in s["status_reason"], s


def test_server_jobs_are_hidden_from_project_limited_members(berthd, admin):
    """A server's jobs are not a project's: a project-limited member gets 404 for the job, its
    log, its events and its cancellation (as docs/permissions.md says); an unlimited
    developer sees it but may not cancel it (server.manage)."""
    r = admin.post("/api/v1/orgs/%s/projects" % admin.org_id,
                   {"name": unique("P"), "odoo_version": "18.0"})
    assert r.status_code == 201, r.text
    pid = r.json_body["id"]
    r = admin.post("/api/v1/orgs/%s/servers" % admin.org_id,
                   {"name": unique("s"), "host": "127.0.0.1", "port": 1, "password": "pw-x"})
    assert r.status_code == 201, r.text
    r = admin.post("/api/v1/servers/%s/prepare" % r.json_body["id"])
    assert r.status_code == 202, r.text
    job = r.json_body["id"]
    limited = new_user(berthd, admin, role="developer", projects=[pid])
    for method, path in (("GET", "/api/v1/jobs/%s" % job), ("GET", "/api/v1/jobs/%s/log" % job),
                         ("GET", "/api/v1/jobs/%s/events" % job),
                         ("POST", "/api/v1/jobs/%s/cancel" % job)):
        r = limited.req(method, path, body={} if method == "POST" else None)
        assert r.status_code == 404, (path, r.text)
        assert r.json_body["error"]["code"] == "NOT_FOUND", r.text
    assert job not in limited.get("/api/v1/orgs/%s/jobs" % admin.org_id).text
    dev = new_user(berthd, admin, role="developer")
    assert dev.get("/api/v1/jobs/%s" % job).status_code == 200
    r = dev.post("/api/v1/jobs/%s/cancel" % job)
    assert r.status_code == 403, r.text
    assert r.json_body["error"]["code"] == "PERMISSION_DENIED", r.text
    wait_job(admin, job)
