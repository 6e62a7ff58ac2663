"""The HTTP core (src/api/server.c): an event loop on a fixed pool of threads, so idle or slow
clients tie up no thread; a per-address connection limit; authentication (and the webhook's
project and signature header) checked before a body is kept; live log streams suspended while
they wait. No timing thresholds: each check only needs an answer within the test's timeout."""
import hashlib
import hmac
import json
import os
import socket
import socketserver
import threading
import uuid
import time

import pytest
import requests

from conftest import FAKE_DOCKER_ROOT, Berthd, socket_allow_args, unique

MB = 1024 * 1024


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def half_request(port, source):
    s = socket.socket()
    s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    s.sendall(b"GET /api/v1/sta")  # half a request line, never finished
    return s


def status_ok(berthd):
    r = requests.get(berthd.url + "/api/v1/status", timeout=60)
    assert r.status_code == 200, r.text
    assert r.json()["service"] == "berthd"


def test_a_thousand_idle_connections_do_not_lock_out_others(berthd):
    socks = []
    try:
        # 1,000 connections, 200 from each of 5 loopback addresses (under the per-address limit)
        for i in range(1000):
            socks.append(half_request(berthd.port, "127.0.0.%d" % (2 + i % 5)))
        status_ok(berthd)
        # and they still count: the server has not dropped them all
        status_ok(berthd)
    finally:
        for s in socks:
            s.close()
    status_ok(berthd)


def test_connections_per_address_are_limited():
    d = Berthd(["--http-per-ip", "20"]).start()
    socks = []
    try:
        for _ in range(40):
            socks.append(half_request(d.port, "127.0.0.9"))
        # the connections beyond the limit are closed by berthd
        deadline = time.time() + 60
        closed = set()
        while len(closed) < 20 and time.time() < deadline:
            for i, s in enumerate(socks):
                if i in closed:
                    continue
                s.settimeout(0.01)
                try:
                    if s.recv(1) == b"":
                        closed.add(i)
                except socket.timeout:
                    pass
                except OSError:
                    closed.add(i)
        assert len(closed) >= 20, len(closed)
        # another address is served
        status_ok(d)
    finally:
        for s in socks:
            s.close()
        d.cleanup()


def test_unauthenticated_bad_bodies_answer_401(berthd, admin):
    base = berthd.url + "/api/v1/orgs"
    for data, ctype in ((b"{", "application/json"), (b"x" * (2 * MB), "application/json"),
                        (b"{}", "text/plain"), (b"[1, 1", None)):
        h = {"Content-Type": ctype} if ctype else {}
        r = requests.post(base, data=data, headers=h, timeout=60)
        assert r.status_code == 401, (ctype, r.status_code, r.text)
        assert r.json()["error"]["code"] == "UNAUTHORIZED"
    # with a token, the body's faults are named as before
    h = {"Authorization": "Bearer " + admin.token, "Content-Type": "application/json"}
    r = requests.post(base, data=b"{", headers=h, timeout=60)
    assert r.status_code == 400 and r.json()["error"]["code"] == "INVALID_JSON", r.text
    r = requests.post(base, data=b"x" * (2 * MB), headers=h, timeout=60)
    assert r.status_code == 413 and r.json()["error"]["code"] == "PAYLOAD_TOO_LARGE", r.text
    # public routes still check their body
    r = requests.post(berthd.url + "/api/v1/auth/login", data=b"{", timeout=60,
                      headers={"Content-Type": "application/json"})
    assert r.status_code == 400, r.text


def _project(admin):
    r = admin.post("/api/v1/orgs/%s/projects" % admin.org_id,
                   {"name": unique("Hook"), "odoo_version": "18.0"})
    assert r.status_code == 201, r.text
    return r.json_body["id"], r.json_body["webhook_secret"]


def test_large_webhook_bodies_keep_memory_bounded(berthd, admin):
    pid, secret = _project(admin)
    url = berthd.url + "/api/v1/webhooks/" + pid
    body = b" " * (25 * MB - 64)
    # warm up: the same request once before measuring
    r = requests.post(url, data=body, timeout=120, headers={"Content-Type": "application/json"})
    assert r.status_code == 401, r.text
    before = rss_kb(berthd.proc.pid)
    peak = before
    stop = threading.Event()

    def sample():
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, rss_kb(berthd.proc.pid))
            time.sleep(0.02)
    t = threading.Thread(target=sample)
    t.start()
    try:
        for headers in ({},  # unsigned
                        {"X-Hub-Signature-256": "sha256=" + "0" * 64},  # signed wrongly
                        {"X-Gitlab-Token": "not-the-secret"}):
            headers["Content-Type"] = "application/json"
            r = requests.post(url, data=body, timeout=120, headers=headers)
            assert r.status_code == 401, (headers, r.text)
            assert r.json()["error"]["code"] == "UNAUTHORIZED"
        # an unknown project, unsigned: 401 as well
        r = requests.post(berthd.url + "/api/v1/webhooks/no-such-project", data=body,
                          timeout=120)
        assert r.status_code == 401, r.text
    finally:
        stop.set()
        t.join()
    assert peak - before < 20 * 1024, "berthd grew by %d kB" % (peak - before)
    # a correctly signed payload larger than what is kept in memory is still read whole
    payload = json.dumps({"zen": "x" * (3 * MB), "hook_id": 1}).encode()
    sig = hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()
    r = requests.post(url, data=payload, timeout=120,
                      headers={"X-Hub-Signature-256": "sha256=" + sig,
                               "X-GitHub-Event": "ping", "Content-Type": "application/json"})
    assert r.status_code == 200, r.text
    assert r.json()["provider"] == "github"
    # and GitLab's token alone, with a small payload
    r = requests.post(url, data=b'{"ref": "refs/heads/main", "after": "0000"}', timeout=60,
                      headers={"X-Gitlab-Token": secret, "X-Gitlab-Event": "Push Hook"})
    assert r.status_code == 202, r.text
    assert r.json()["provider"] == "gitlab"



@pytest.fixture
def berthd():
    """berthd allowing the stand-in engines' sockets (local servers use only allowed ones)."""
    d = Berthd(socket_allow_args()).start()
    yield d
    d.cleanup()

class HangingEngine:
    """A stand-in Docker Engine on a unix socket: answers the probe (/_ping, /version,
    /info), and holds every other request until released, then refuses it."""

    def __init__(self):
        # in the directory berthd allows local servers' sockets in (conftest.socket_allow_args)
        self.path = os.path.join(FAKE_DOCKER_ROOT, "hang-%s.sock" % uuid.uuid4().hex[:12])
        self.release = threading.Event()
        self.held = threading.Event()
        eng = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                line = self.rfile.readline().decode()
                if not line:
                    return
                n = 0
                while True:
                    h = self.rfile.readline()
                    if h in (b"\r\n", b"\n", b""):
                        break
                    if h.lower().startswith(b"content-length:"):
                        n = int(h.split(b":")[1])
                if n:
                    self.rfile.read(n)
                path = line.split()[1].split("?")[0]
                base = path.rstrip("/").split("/")[-1]
                docs = {"version": {"Version": "99.0-hang", "ApiVersion": "1.41",
                                    "MinAPIVersion": "1.12"},
                        "info": {"NCPU": 4, "MemTotal": 8 * 1024 ** 3, "DockerRootDir": "/",
                                 "ServerVersion": "99.0-hang"}}
                if base == "_ping":
                    body, code = b"OK", b"200 OK"
                elif base in docs:
                    body, code = json.dumps(docs[base]).encode(), b"200 OK"
                else:
                    eng.held.set()
                    eng.release.wait(600)
                    body = json.dumps({"message": "the stand-in engine says no"}).encode()
                    code = b"500 Internal Server Error"
                self.wfile.write(b"HTTP/1.1 " + code + b"\r\nContent-Type: application/json\r\n"
                                 b"Connection: close\r\nContent-Length: %d\r\n\r\n" % len(body)
                                 + body)

        self.server = socketserver.ThreadingUnixStreamServer(self.path, Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
        try:
            os.unlink(self.path)
        except OSError:
            pass


def read_stream(url, token, out, i):
    events, ids, comments = [], [], []
    try:
        with requests.get(url, headers={"Authorization": "Bearer " + token}, stream=True,
                          timeout=300) as s:
            out[i] = {"opened": True, "events": events, "ids": ids, "comments": comments}
            for line in s.iter_lines(decode_unicode=True):
                if line.startswith(":"):
                    comments.append(line)
                if line.startswith("id: "):
                    ids.append(int(line[4:]))
                if line.startswith("event: "):
                    events.append(line[7:])
    except Exception as e:  # noqa: BLE001 (reported by the test)
        out[i] = {"error": repr(e), "events": events, "ids": ids}


def threads_of(pid):
    return len(os.listdir("/proc/%d/task" % pid))


def hanging_deploy(admin, eng):
    """A deploy job that is running and waits on the stand-in engine; its id."""
    r = admin.post("/api/v1/orgs/%s/servers" % admin.org_id,
                   {"name": unique("hang"), "transport": "local", "docker_socket": eng.path})
    assert r.status_code == 201, r.text
    sid = r.json_body["id"]
    r = admin.post("/api/v1/servers/%s/test" % sid)
    assert r.status_code == 200 and r.json_body["status"] == "running", r.text
    r = admin.post("/api/v1/orgs/%s/projects" % admin.org_id,
                   {"name": unique("Live"), "odoo_version": "18.0"})
    assert r.status_code == 201, r.text
    r = admin.post("/api/v1/projects/%s/environments" % r.json_body["id"],
                   {"name": "live", "git_branch": "main"})
    assert r.status_code == 201, r.text
    r = admin.post("/api/v1/environments/%s/deploy" % r.json_body["id"])
    assert r.status_code == 202, r.text
    assert eng.held.wait(120), "the deploy never reached the engine"
    return r.json_body["id"]


def open_streams(berthd, admin, job, n):
    out = [None] * n
    url = berthd.url + "/api/v1/jobs/%s/events" % job
    threads = [threading.Thread(target=read_stream, args=(url, admin.token, out, i))
               for i in range(n)]
    for t in threads:
        t.start()
    deadline = time.time() + 120
    while sum(1 for o in out if o) < n and time.time() < deadline:
        time.sleep(0.05)
    assert all(o and o.get("opened") for o in out), out
    return out, threads


def test_live_log_streams_end_when_berthd_stops(berthd, admin):
    eng = HangingEngine()
    try:
        job = hanging_deploy(admin, eng)
        out, threads = open_streams(berthd, admin, job, 5)
        berthd.proc.terminate()
        assert berthd.proc.wait(60) == 0
        for t in threads:
            t.join(60)
        for o in out:
            assert "status" not in o["events"], o
    finally:
        eng.stop()


def test_many_live_log_streams_hold_no_thread(berthd, admin):
    eng = HangingEngine()
    try:
        job = hanging_deploy(admin, eng)
        # more streams than the pool has threads, many times over
        n = 50
        out, threads = open_streams(berthd, admin, job, n)
        # a suspended stream holds no thread (a thread per connection would need 50)
        assert threads_of(berthd.proc.pid) < n, threads_of(berthd.proc.pid)
        # all open and waiting: the API still answers
        status_ok(berthd)
        j = admin.get("/api/v1/jobs/%s" % job).json_body
        assert j["status"] == "running", j
        # an idle stream gets its heartbeat (a comment every 15 s) from the timer
        deadline = time.time() + 120
        while not out[0]["comments"] and time.time() < deadline:
            time.sleep(0.2)
        assert ": keepalive" in out[0]["comments"], out[0]
        status_ok(berthd)
        eng.release.set()  # the job fails now
        for t in threads:
            t.join(300)
        log = admin.get("/api/v1/jobs/%s/log" % job).text.splitlines()
        for o in out:
            assert "error" not in o, o
            assert o["events"] and o["events"][-1] == "status", o
            # every line of the log, in order, once
            assert o["ids"] == list(range(1, len(o["ids"]) + 1)), o
            assert len(o["ids"]) == len(log), (o, log)
        assert admin.get("/api/v1/jobs/%s" % job).json_body["status"] == "failed"
    finally:
        eng.stop()


def test_a_refusal_comes_before_the_body_when_the_client_waits_for_100_continue(berthd, admin):
    pid, _secret = _project(admin)
    for path, extra in (("/api/v1/webhooks/" + pid, b""), ("/api/v1/orgs", b"")):
        s = socket.create_connection(("127.0.0.1", berthd.port), timeout=60)
        try:
            s.sendall(b"POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      b"Content-Length: %d\r\nExpect: 100-continue\r\n\r\n"
                      % (path.encode(), 25 * MB - 1) + extra)
            answer = b""
            while b"\r\n\r\n" not in answer:
                chunk = s.recv(4096)
                assert chunk, answer
                answer += chunk
            # the refusal itself, not "100 Continue": the body is never sent
            assert answer.startswith(b"HTTP/1.1 401"), answer
        finally:
            s.close()
    status_ok(berthd)


def test_slow_routes_hold_no_pool_thread():
    """Server probes that wait (a port that never speaks SSH) run on workers: with a pool of
    one thread, the API still answers while they wait."""
    d = Berthd(["--http-threads", "1"]).start()
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(64)
    try:
        api = d.api()
        r = api.post("/api/v1/setup", {"email": "a@example.com", "password": "correct horse battery",
                                       "organization": "Slow"})
        assert r.status_code == 201, r.text
        a = api.with_token(r.json_body["access_token"])
        org = r.json_body["organization"]["id"]
        sids = []
        for i in range(4):
            r = a.post("/api/v1/orgs/%s/servers" % org,
                       {"name": "silent%d" % i, "host": "127.0.0.1",
                        "port": silent.getsockname()[1], "user": "root", "password": "pw-" + "x" * 12})
            assert r.status_code == 201, r.text
            sids.append(r.json_body["id"])
        results = {}

        def probe(sid):
            results[sid] = a.with_token(a.token).post("/api/v1/servers/%s/test" % sid)
        threads = [threading.Thread(target=probe, args=(sid,)) for sid in sids]
        for t in threads:
            t.start()
        # every probe has connected and waits for a banner that never comes
        silent.settimeout(60)
        held = [silent.accept()[0] for _ in sids]
        status_ok(d)
        r = a.get("/api/v1/orgs/%s/servers" % org)
        assert r.status_code == 200, r.text
        pending = sum(1 for sid in sids if sid not in results)
        for t in threads:
            t.join(120)
        assert all(results[sid].status_code == 200 for sid in sids), results
        assert all(results[sid].json_body["status"] == "offline" for sid in sids), results
        # answered while the probes were still waiting (they wait for the 10 s timeout)
        assert pending == len(sids), pending
        for h in held:
            h.close()
    finally:
        silent.close()
        d.cleanup()
