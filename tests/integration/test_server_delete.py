"""Deleting a server (DELETE /api/v1/servers/{id}): refused while environments are placed on
it (409, the environments named); a server whose Docker Engine never answered goes at once;
otherwise a server_remove job removes berth's objects on it (its edge proxy, the proxy's
sites volume, anything labelled berth.server=<id>, nothing else) and then the server; an
unreachable server is kept, with a status reason that says what was left and why."""
import socket
import threading
import time

import pytest

from conftest import Berthd, socket_allow_args, unique
from runtime import docker, docker_available
from test_servers import FakeDocker


def expect_error(r, status, code):
    assert r.status_code == status, r.text
    e = r.json_body["error"]
    assert e["code"] == code, r.text
    return e


@pytest.fixture
def berthd():
    """berthd allowing the stand-in Engines' sockets to local servers."""
    d = Berthd(socket_allow_args()).start()
    yield d
    d.cleanup()


@pytest.fixture
def org(admin):
    """The admin's org on a plan that allows several servers."""
    plans = admin.get("/api/v1/plans").json_body
    roomy = max(plans, key=lambda p: p["max_servers"])
    r = admin.put("/api/v1/orgs/%s/plan" % admin.org_id, {"plan_id": roomy["id"]})
    assert r.status_code == 200, r.text
    return admin


def add_local(api, name, docker_socket=None, test=True):
    body = {"name": name, "transport": "local"}
    if docker_socket:
        body["docker_socket"] = docker_socket
    r = api.post("/api/v1/orgs/%s/servers" % api.org_id, body)
    assert r.status_code == 201, r.text
    s = r.json_body
    if test:
        r = api.post("/api/v1/servers/%s/test" % s["id"])
        assert r.status_code == 200, r.text
        s = r.json_body
    return s


def wait_server(api, sid, until, timeout=120):
    """Polls GET /servers/{id} until until(response) holds; the last response."""
    deadline = time.time() + timeout
    while True:
        r = api.get("/api/v1/servers/%s" % sid)
        if until(r):
            return r
        if time.time() > deadline:
            raise AssertionError("server %s: %s" % (sid, r.text))
        time.sleep(0.2)


def server_jobs(api, sid):
    r = api.get("/api/v1/orgs/%s/jobs" % api.org_id)
    assert r.status_code == 200, r.text
    return [j for j in r.json_body if j.get("server_id") == sid and j["type"] == "server_remove"]


def edge_names(sid):
    key = sid.replace("-", "")[:8]
    return "berth-edge-%s" % key, "berth-edge-%s-sites" % key


def any_image():
    names = [n for n in docker("images", "--format", "{{.Repository}}:{{.Tag}}").stdout.split()
             if "<none>" not in n]
    if not names:
        pytest.skip("no image on the local Docker Engine to create a container from")
    return names[0]


def exists(kind, name):
    return docker(kind, "inspect", name, check=False).returncode == 0


def test_delete_refused_while_environments_are_placed(org):
    s = add_local(org, unique("hosting"), test=False)
    # placement wants a running server: make it one with a stand-in Engine
    fake = FakeDocker()
    try:
        r = org.patch("/api/v1/servers/%s" % s["id"], {"docker_socket": fake.path})
        assert r.status_code == 200, r.text
        r = org.post("/api/v1/servers/%s/test" % s["id"])
        assert r.json_body["status"] == "running", r.text
        p = org.post("/api/v1/orgs/%s/projects" % org.org_id,
                     {"name": unique("Shop"), "odoo_version": "18.0"}).json_body
        names = []
        for n in ("alpha", "beta"):
            r = org.post("/api/v1/projects/%s/environments" % p["id"],
                         {"name": n, "vm_id": s["id"], "cpu_cores": 0.25, "ram_mb": 256,
                          "disk_gb": 1, "environment_type": "development"})
            assert r.status_code == 201, r.text
            names.append("%s/%s" % (p["name"], n))
        err = expect_error(org.delete("/api/v1/servers/%s" % s["id"]), 409, "CONFLICT")
        for n in names:
            assert n in err["message"], err
        # nothing changed
        t = org.get("/api/v1/servers/%s" % s["id"]).json_body
        assert t["status"] == "running", t
        assert server_jobs(org, s["id"]) == []
    finally:
        fake.stop()


def test_delete_never_reached_server_goes_at_once(org):
    r = org.post("/api/v1/orgs/%s/servers" % org.org_id,
                 {"name": unique("down"), "host": "192.0.2.7", "password": "pw-not-used"})
    assert r.status_code == 201, r.text
    sid = r.json_body["id"]
    assert org.delete("/api/v1/servers/%s" % sid).status_code == 204
    expect_error(org.get("/api/v1/servers/%s" % sid), 404, "SERVER_NOT_FOUND")
    assert server_jobs(org, sid) == []


def test_delete_removes_the_edge_proxy_and_labelled_objects(org):
    if not docker_available():
        pytest.skip("no Docker Engine")
    s = add_local(org, unique("edgy"))
    if s["status"] != "running":
        pytest.skip("the local Docker Engine server is not running: %r" % s["status_reason"])
    other = add_local(org, unique("neighbour"), test=False)
    sid = s["id"]
    edge, sites = edge_names(sid)
    o_edge, o_sites = edge_names(other["id"])
    image = any_image()
    mine = "berth-test-leftover-%s" % sid[:8]
    net, vol = "berth-test-net-%s" % sid[:8], "berth-test-vol-%s" % sid[:8]
    try:
        # the edge proxy as ops makes it (ops/env.c edge_ensure), and the neighbour's
        for e, v, server in ((edge, sites, sid), (o_edge, o_sites, other["id"])):
            docker("volume", "create", "--label", "berth.managed=1", "--label", "berth.role=edge", v)
            docker("create", "--name", e, "--label", "berth.managed=1", "--label", "berth.role=edge",
                   "--label", "berth.server=%s" % server, "--mount",
                   "type=volume,source=%s,target=/etc/nginx/sites.d" % v, image, "true")
        # anything else labelled for the server
        docker("network", "create", "--label", "berth.server=%s" % sid, net)
        docker("volume", "create", "--label", "berth.server=%s" % sid, vol)
        docker("create", "--name", mine, "--label", "berth.server=%s" % sid, image, "true")

        r = org.delete("/api/v1/servers/%s" % sid)
        assert r.status_code == 204, r.text
        wait_server(org, sid, lambda r: r.status_code == 404)
        for kind, name in (("container", edge), ("volume", sites), ("container", mine),
                           ("network", net), ("volume", vol)):
            assert not exists(kind, name), (kind, name)
        # nothing of another server's
        assert exists("container", o_edge) and exists("volume", o_sites)
        jobs = server_jobs(org, sid)
        assert [j["status"] for j in jobs] == ["done"], jobs
        log = org.get("/api/v1/jobs/%s/log" % jobs[0]["id"]).text
        assert edge in log and sites in log, log
        audit = org.get("/api/v1/orgs/%s/audit" % org.org_id).json_body
        assert any(a["action"] == "server.delete" and a["target_id"] == sid for a in audit)
    finally:
        docker("rm", "-f", "-v", edge, o_edge, mine, check=False)
        docker("volume", "rm", "-f", sites, o_sites, vol, check=False)
        docker("network", "rm", net, check=False)


def test_delete_unreachable_server_is_kept_saying_what_was_left(org):
    fake = FakeDocker()
    s = add_local(org, unique("gone"), docker_socket=fake.path)
    assert s["status"] == "running", s
    fake.stop()  # the Engine goes away
    sid = s["id"]
    edge, sites = edge_names(sid)
    assert org.delete("/api/v1/servers/%s" % sid).status_code == 204
    r = wait_server(org, sid, lambda r: r.json_body.get("status") not in ("removing",))
    t = r.json_body
    assert r.status_code == 200 and t["status"] == "error", t
    for words in (edge, sites, "berth.server=%s" % sid, "could not be reached",
                  "delete it again"):
        assert words in t["status_reason"], t
    jobs = server_jobs(org, sid)
    assert [j["status"] for j in jobs] == ["failed"], jobs
    assert "could not be reached" in jobs[0]["error"], jobs
    # reachable again (a stand-in Engine holding nothing of berth's): a second DELETE retries
    fake2 = FakeDocker()
    try:
        r = org.patch("/api/v1/servers/%s" % sid, {"docker_socket": fake2.path})
        assert r.status_code == 200, r.text
        assert org.delete("/api/v1/servers/%s" % sid).status_code == 204
        wait_server(org, sid, lambda r: r.status_code == 404)
        assert sorted(j["status"] for j in server_jobs(org, sid)) == ["done", "failed"]
    finally:
        fake2.stop()


def test_force_forgets_an_unreachable_server(org):
    fake = FakeDocker()
    s = add_local(org, unique("dead"), docker_socket=fake.path)
    fake.stop()
    sid = s["id"]
    expect_error(org.delete("/api/v1/servers/%s" % sid, {"force": "yes"}), 400, "VALIDATION_ERROR")
    assert org.delete("/api/v1/servers/%s" % sid).status_code == 204
    r = wait_server(org, sid, lambda r: r.json_body.get("status") not in ("removing",))
    assert "force" in r.json_body["status_reason"], r.text
    # gone for good: forgotten without contacting it, the audit saying what may be left
    assert org.delete("/api/v1/servers/%s" % sid, {"force": True}).status_code == 204
    expect_error(org.get("/api/v1/servers/%s" % sid), 404, "SERVER_NOT_FOUND")
    audit = [a for a in org.get("/api/v1/orgs/%s/audit" % org.org_id).json_body
             if a["action"] == "server.delete" and a["target_id"] == sid]
    forced = [a for a in audit if (a["details"] or {}).get("force") is True]
    assert forced and edge_names(sid)[0] in forced[0]["details"]["may_be_left"], audit


def test_force_still_refuses_a_server_with_environments(org):
    fake = FakeDocker()
    try:
        s = add_local(org, unique("busy"), docker_socket=fake.path)
        assert s["status"] == "running", s
        p = org.post("/api/v1/orgs/%s/projects" % org.org_id,
                     {"name": unique("Shop"), "odoo_version": "18.0"}).json_body
        r = org.post("/api/v1/projects/%s/environments" % p["id"],
                     {"name": "main", "vm_id": s["id"], "cpu_cores": 0.25, "ram_mb": 256,
                      "disk_gb": 1})
        assert r.status_code == 201, r.text
        err = expect_error(org.delete("/api/v1/servers/%s" % s["id"], {"force": True}), 409,
                           "CONFLICT")
        assert "%s/main" % p["name"] in err["message"], err
        assert org.get("/api/v1/servers/%s" % s["id"]).status_code == 200
    finally:
        fake.stop()


class HeldDocker(FakeDocker):
    """A stand-in Engine that holds every container listing until released: a removal stays
    running for as long as the test needs."""

    def __init__(self):
        self.release = threading.Event()
        super().__init__()

    def answer(self, path):
        if "/containers/json" in path:
            self.release.wait(60)
        return super().answer(path)


def test_while_removing_test_keeps_status_and_prepare_is_refused(org):
    fake = HeldDocker()
    try:
        s = add_local(org, unique("held"), docker_socket=fake.path)
        assert s["status"] == "running", s
        sid = s["id"]
        assert org.delete("/api/v1/servers/%s" % sid).status_code == 204
        deadline = time.time() + 60
        while [j["status"] for j in server_jobs(org, sid)] != ["running"]:
            assert time.time() < deadline, server_jobs(org, sid)
            time.sleep(0.1)
        assert org.get("/api/v1/servers/%s" % sid).json_body["status"] == "removing"
        # a test does not bring it back to running; a prepare is refused; a second DELETE
        # queues nothing more
        r = org.post("/api/v1/servers/%s/test" % sid)
        assert r.status_code == 200 and r.json_body["status"] == "removing", r.text
        expect_error(org.post("/api/v1/servers/%s/prepare" % sid), 409, "CONFLICT")
        assert org.delete("/api/v1/servers/%s" % sid).status_code == 204
        assert len(server_jobs(org, sid)) == 1
        fake.release.set()
        wait_server(org, sid, lambda r: r.status_code == 404)
        assert [j["status"] for j in server_jobs(org, sid)] == ["done"]
    finally:
        fake.release.set()
        fake.stop()


def test_delete_after_a_real_deploy_frees_the_edge_and_its_ports(org):
    """The edge proxy a deploy made (the Odoo stand-in): refused while the environment is
    there; once it is removed, deleting the server removes the edge and its sites volume,
    and the edge's ports are free again."""
    if not docker_available():
        pytest.skip("no Docker Engine")
    import runtime as rt
    from conftest import free_port
    rt.ensure_standin()
    r = org.put("/api/v1/admin/odoo-versions",
                [{"version": v, "image": "%s:%s" % (rt.STANDIN_TAG, v)}
                 for v in ("16.0", "17.0", "18.0", "19.0")])
    assert r.status_code == 200, r.text
    http_port, https_port = free_port(), free_port()
    r = org.post("/api/v1/orgs/%s/servers" % org.org_id,
                 {"name": unique("deployed"), "transport": "local", "http_port": http_port,
                  "https_port": https_port})
    assert r.status_code == 201, r.text
    sid = r.json_body["id"]
    edge, sites = edge_names(sid)
    try:
        assert org.post("/api/v1/servers/%s/test" % sid).json_body["status"] == "running"
        p = org.post("/api/v1/orgs/%s/projects" % org.org_id,
                     {"name": unique("Shop"), "odoo_version": "18.0"}).json_body
        r = org.post("/api/v1/projects/%s/environments" % p["id"],
                     {"name": "web", "env_type": "staging", "vm_id": sid, "cpu_cores": 1.0,
                      "ram_mb": 1024, "disk_gb": 2})
        assert r.status_code == 201, r.text
        env = r.json_body
        rt.run_job(org, "POST", "/api/v1/environments/%s/deploy" % env["id"])
        assert exists("container", edge) and exists("volume", sites)
        err = expect_error(org.delete("/api/v1/servers/%s" % sid), 409, "CONFLICT")
        assert "%s/web" % p["name"] in err["message"], err
        rt.run_job(org, "DELETE", "/api/v1/environments/%s" % env["id"], {"confirm": "DELETE"})
        assert exists("container", edge)  # removing an environment keeps the server's edge
        assert org.delete("/api/v1/servers/%s" % sid).status_code == 204
        wait_server(org, sid, lambda r: r.status_code == 404)
        assert not exists("container", edge) and not exists("volume", sites)
        left = rt.docker("ps", "-aq", "--filter", "label=berth.server=%s" % sid).stdout.split()
        assert left == [], left
        for port in (http_port, https_port):  # nothing holds the edge's ports any more
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("0.0.0.0", port))
            s.close()
    finally:
        rt.remove_edges(sid)
