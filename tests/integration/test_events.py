"""The organization event stream, GET /api/v1/orgs/{org_id}/events (Server-Sent Events):
job.queued / job.started / job.finished, server.status and environment.status as they
happen, a replay after Last-Event-ID without gap or duplicate, reset for an id the ring no
longer holds, 404 for another organization, the per-caller filter, cookie authentication.

Cheap paths only: a server that cannot be reached (its prepare job fails at once) and a
stand-in Docker Engine (test_servers.FakeDocker) on which an environment's deploy fails at
its first Engine call."""
import json
import queue
import socket
import threading
import uuid

import pytest
import requests

from conftest import ADMIN_EMAIL, ADMIN_PASSWORD, Berthd, new_user, socket_allow_args, unique
from test_servers import FakeDocker


@pytest.fixture
def berthd():
    """berthd allowing the stand-in Engines' sockets to local servers."""
    d = Berthd(socket_allow_args()).start()
    yield d
    d.cleanup()


@pytest.fixture
def fake_docker():
    d = FakeDocker()
    yield d
    d.stop()


class Stream:
    """An open event stream: a thread parses it into (id, event, data) tuples."""

    def __init__(self, url, session=None, headers=None, token=None):
        h = dict(headers or {})
        if token:
            h["Authorization"] = "Bearer " + token
        self.r = (session or requests).get(url, headers=h, stream=True, timeout=(10, 120))
        self.q = queue.Queue()
        self.seen = []
        if self.r.status_code == 200:
            self.t = threading.Thread(target=self._read, daemon=True)
            self.t.start()

    def _read(self):
        ev = {}
        try:
            for raw in self.r.iter_lines(chunk_size=1, decode_unicode=True):
                if raw == "":
                    if "event" in ev:
                        self.q.put((int(ev["id"]), ev["event"], json.loads(ev["data"])))
                    ev = {}
                elif raw.startswith(":"):
                    self.q.put((None, "comment", raw))
                elif ":" in raw:
                    k, _, v = raw.partition(":")
                    ev[k] = v[1:] if v.startswith(" ") else v
        except Exception:  # closed by the test
            pass
        self.q.put((None, "end", None))

    def next(self, timeout=60):
        e = self.q.get(timeout=timeout)
        self.seen.append(e)
        return e

    def until(self, pred, timeout=60):
        """Events read until one matching pred (included)."""
        out = []
        while True:
            e = self.next(timeout)
            if e[1] == "comment":
                continue
            assert e[1] != "end", "the stream ended after %r" % out
            out.append(e)
            if pred(e):
                return out

    def close(self):
        # a reader thread blocked on the socket: shut it down so that it returns at once
        conn = getattr(self.r.raw, "_connection", None)
        if conn is not None and getattr(conn, "sock", None) is not None:
            try:
                conn.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.r.close()
        if self.r.status_code == 200:
            self.t.join(10)


def events_url(api, org_id):
    return api.base + "/api/v1/orgs/%s/events" % org_id


def open_stream(api, org_id, **kw):
    s = Stream(events_url(api, org_id), token=api.token, **kw)
    assert s.r.status_code == 200, s.r.text
    assert s.r.headers["Content-Type"].startswith("text/event-stream")
    return s


def unreachable_server(api, org_id):
    r = api.post("/api/v1/orgs/%s/servers" % org_id,
                 {"name": unique("s"), "host": "127.0.0.1", "port": 1, "password": "pw-x"})
    assert r.status_code == 201, r.text
    return r.json_body["id"]


def finished(job_id):
    return lambda e: e[1] == "job.finished" and e[2]["id"] == job_id


def test_job_and_server_events_then_resume(admin):
    sid = unreachable_server(admin, admin.org_id)
    s = open_stream(admin, admin.org_id)
    r = admin.post("/api/v1/servers/%s/prepare" % sid)
    assert r.status_code == 202, r.text
    job = r.json_body["id"]
    got = s.until(finished(job))
    mine = [e for e in got if e[1].startswith("job.") and e[2]["id"] == job]
    assert [e[1] for e in mine] == ["job.queued", "job.started", "job.finished"], got
    for e in mine:
        assert e[2] == {"id": job, "type": "prepare", "status": e[2]["status"],
                        "environment_id": None, "server_id": sid, "project_id": None}, e
    assert [e[2]["status"] for e in mine] == ["queued", "running", "failed"]
    final = admin.get("/api/v1/jobs/%s" % job).json_body
    assert final["status"] == mine[-1][2]["status"]
    # the server went provisioning, then error (the prepare job says why)
    if not any(e[1] == "server.status" and e[2]["status"] == "error" for e in got):
        got += s.until(lambda e: e[1] == "server.status" and e[2]["status"] == "error")
    statuses = [e[2] for e in got if e[1] == "server.status"]
    assert statuses[0]["status"] == "provisioning" and statuses[0]["id"] == sid, statuses
    assert set(statuses[0]) == {"id", "name", "status", "status_reason"}
    srv = admin.get("/api/v1/servers/%s" % sid).json_body
    assert statuses[-1] == {"id": sid, "name": srv["name"], "status": "error",
                            "status_reason": srv["status_reason"]}, statuses
    ids = [e[0] for e in got]
    assert ids == sorted(ids) and len(set(ids)) == len(ids), ids
    s.close()

    # a second job while nobody listens; resuming after the first event replays the rest
    r = admin.post("/api/v1/servers/%s/prepare" % sid)
    assert r.status_code == 202, r.text
    job2 = r.json_body["id"]
    for hdr in ({"Last-Event-ID": str(ids[0])}, None):
        if hdr:
            s2 = open_stream(admin, admin.org_id, headers=hdr)
        else:
            s2 = Stream(events_url(admin, admin.org_id) + "?last_event_id=%d" % ids[0],
                        token=admin.token)
        again = s2.until(finished(job2))
        s2.close()
        rids = [e[0] for e in again]
        assert again[:len(got) - 1] == got[1:], (again, got)  # no gap, no duplicate
        assert rids == sorted(rids) and len(set(rids)) == len(rids), rids
        assert [e[1] for e in again if e[1].startswith("job.") and e[2]["id"] == job2] == \
            ["job.queued", "job.started", "job.finished"]


def test_unknown_last_event_id_is_reset(admin):
    for hdr in ("1", "not-a-number", str(2 ** 62)):
        s = open_stream(admin, admin.org_id, headers={"Last-Event-ID": hdr})
        e = s.until(lambda e: True)[0]
        assert e[1] == "reset" and e[2] == {}, e
        s.close()


def test_a_fresh_stream_starts_from_now(admin):
    sid = unreachable_server(admin, admin.org_id)
    r = admin.post("/api/v1/servers/%s/prepare" % sid)
    job = r.json_body["id"]
    s = open_stream(admin, admin.org_id)
    s.until(finished(job)) if admin.get("/api/v1/jobs/%s" % job).json_body["status"] in (
        "queued", "running") else None
    s.close()
    s = open_stream(admin, admin.org_id)
    r = admin.post("/api/v1/servers/%s/prepare" % sid)
    job2 = r.json_body["id"]
    got = s.until(finished(job2))
    assert all(e[2].get("id") != job for e in got), got
    s.close()


def test_another_org_is_404(berthd, admin):
    u = new_user(berthd, admin)
    r = u.post("/api/v1/orgs", {"name": unique("Other")})
    assert r.status_code == 201, r.text
    other = r.json_body["id"]
    for org in (other, str(uuid.uuid4())):
        r = admin.get("/api/v1/orgs/%s/events" % org)
        assert r.status_code == 404, r.text
        assert r.json_body["error"]["code"] == "ORG_NOT_FOUND", r.text
    r = berthd.api().get("/api/v1/orgs/%s/events" % admin.org_id)
    assert r.status_code == 401, r.text
    # the member of that org has its stream
    s = open_stream(u, other)
    s.close()


def test_stream_ends_when_the_session_ends_or_the_member_leaves(berthd, admin):
    """The caller is checked again at each event: a stream of a revoked session, or of a
    member removed from the organization, ends instead of receiving it."""
    u = new_user(berthd, admin, role="developer")
    r = berthd.api().post("/api/v1/auth/login", {"email": u.email,
                                                 "password": "password-for-tests"})
    second = berthd.api(r.json_body["access_token"])
    s_u, s_second, s_admin = (open_stream(x, admin.org_id) for x in (u, second, admin))
    assert second.post("/api/v1/auth/logout").status_code == 204
    sid = unreachable_server(admin, admin.org_id)
    r = admin.post("/api/v1/servers/%s/prepare" % sid)
    job = r.json_body["id"]
    s_admin.until(finished(job))
    assert [e[1] for e in s_u.until(finished(job))][-1] == "job.finished"
    assert s_second.next()[1] == "end"
    r = admin.delete("/api/v1/orgs/%s/members/%s" % (admin.org_id, u.user_id))
    assert r.status_code in (200, 204), r.text
    r = admin.post("/api/v1/servers/%s/prepare" % sid)
    job = r.json_body["id"]
    s_admin.until(finished(job))
    assert s_u.next()[1] == "end"
    for st in (s_u, s_second, s_admin):
        st.close()


def cookie_session(url):
    s = requests.Session()
    r = s.post(url + "/api/v1/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD,
                                                 "session": "cookie"}, timeout=10)
    assert r.status_code == 200, r.text
    return s


def test_cookie_auth_needs_no_csrf_header(berthd, admin):
    sess = cookie_session(berthd.url)
    sid = unreachable_server(admin, admin.org_id)
    s = Stream(events_url(admin, admin.org_id), session=sess)
    assert s.r.status_code == 200, s.r.text
    r = admin.post("/api/v1/servers/%s/prepare" % sid)
    job = r.json_body["id"]
    got = s.until(finished(job))
    assert [e[1] for e in got if e[1].startswith("job.")] == \
        ["job.queued", "job.started", "job.finished"], got
    s.close()


def test_environment_events_and_project_filter(berthd, admin, fake_docker):
    """A deploy on a stand-in Engine fails at once: job events carry the project, the
    environment goes deploying then error; a member limited to another project sees none of
    it (nor the server's jobs), one limited to this project sees it."""
    r = admin.post("/api/v1/orgs/%s/servers" % admin.org_id,
                   {"name": "fake", "transport": "local", "docker_socket": fake_docker.path})
    assert r.status_code == 201, r.text
    sid = r.json_body["id"]
    projects = []
    for _ in range(2):
        r = admin.post("/api/v1/orgs/%s/projects" % admin.org_id,
                       {"name": unique("P"), "odoo_version": "18.0"})
        assert r.status_code == 201, r.text
        projects.append(r.json_body["id"])
    mine, other = projects
    inside = new_user(berthd, admin, role="developer", projects=[mine])
    outside = new_user(berthd, admin, role="developer", projects=[other])
    s_admin = open_stream(admin, admin.org_id)
    s_in = open_stream(inside, admin.org_id)
    s_out = open_stream(outside, admin.org_id)

    r = admin.post("/api/v1/servers/%s/test" % sid)
    assert r.status_code == 200 and r.json_body["status"] == "running", r.text
    ev = s_admin.until(lambda e: e[1] == "server.status" and e[2]["id"] == sid)
    assert ev[-1][2]["status"] == "running", ev
    r = admin.post("/api/v1/projects/%s/environments" % mine,
                   {"cpu_cores": 0.25, "ram_mb": 256, "disk_gb": 1})
    assert r.status_code == 201, r.text
    env = r.json_body
    r = admin.post("/api/v1/environments/%s/deploy" % env["id"])
    assert r.status_code == 202, r.text
    job = r.json_body["id"]
    # a server job too, which limited members never see
    r = admin.post("/api/v1/servers/%s/prepare" % unreachable_server(admin, admin.org_id))
    sjob = r.json_body["id"]

    got = s_admin.until(finished(job))
    got += s_admin.until(finished(sjob)) if not any(finished(sjob)(e) for e in got) else []
    jobs = [e for e in got if e[1].startswith("job.") and e[2]["id"] == job]
    assert [e[1] for e in jobs] == ["job.queued", "job.started", "job.finished"], got
    assert jobs[0][2] == {"id": job, "type": "deploy", "status": "queued",
                          "environment_id": env["id"], "server_id": sid, "project_id": mine}
    assert jobs[-1][2]["status"] == "failed", jobs
    envs = [e[2] for e in got if e[1] == "environment.status"]
    if not envs or envs[-1]["status"] == "deploying":
        envs += [e[2] for e in s_admin.until(
            lambda e: e[1] == "environment.status" and e[2]["status"] != "deploying")
            if e[1] == "environment.status"]
    assert envs[0] == {"id": env["id"], "project_id": mine, "name": env["name"],
                       "status": "deploying", "status_reason": None}, envs
    e = admin.get("/api/v1/environments/%s" % env["id"]).json_body
    assert envs[-1] == {"id": env["id"], "project_id": mine, "name": env["name"],
                        "status": e["status"], "status_reason": e["status_reason"]}, envs
    assert e["status"] == "error", e

    # a server event everyone with server.view sees ends the limited streams' reading
    end_sid = unreachable_server(admin, admin.org_id)
    r = admin.post("/api/v1/servers/%s/prepare" % end_sid)
    assert r.status_code == 202, r.text
    end = lambda e: e[1] == "server.status" and e[2]["id"] == end_sid
    seen_in = s_in.until(end)
    seen_out = s_out.until(end)
    assert any(x[1] == "job.finished" and x[2]["id"] == job for x in seen_in), seen_in
    assert any(x[1] == "environment.status" for x in seen_in), seen_in
    for x in seen_in + seen_out:
        assert not (x[1].startswith("job.") and x[2]["id"] == sjob), x
    for x in seen_out:
        assert x[1] == "server.status", x
    for st in (s_admin, s_in, s_out):
        st.close()


# ---- on the Docker Engine of this machine (the Odoo stand-in) --------------------------------

@pytest.fixture
def platform():
    import test_runtime
    test_runtime.rt.ensure_standin()
    yield from test_runtime.make_platform()


def test_docker_deploy_and_stop_on_the_stream(platform):
    """A real deploy: the environment goes deploying then running, a stop makes it stopped,
    each with its job's events; the project's id is on all of them."""
    import test_runtime
    a = platform
    env = test_runtime.create_env(a, cpu_cores=0.5, ram_mb=512)
    s = open_stream(a, a.org_id)
    seen = []
    for action, want in (("deploy", "running"), ("stop", "stopped")):
        r = a.post("/api/v1/environments/%s/%s" % (env["id"], action))
        assert r.status_code == 202, r.text
        job = r.json_body["id"]
        got = s.until(finished(job), timeout=600)
        assert [e[1] for e in got if e[1].startswith("job.") and e[2]["id"] == job] == \
            ["job.queued", "job.started", "job.finished"], got
        assert got[-1][2]["status"] == "done", got
        st = [e[2] for e in got if e[1] == "environment.status"]
        assert st and st[-1]["status"] == want, got
        assert all(x["id"] == env["id"] and x["project_id"] == a.project_id and
                   x["name"] == env["name"] for x in st), st
        seen += st
    assert [x["status"] for x in seen][:2] == ["deploying", "running"], seen
    s.close()
