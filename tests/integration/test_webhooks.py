"""Outgoing webhooks: signed deliveries, retries with backoff, the attempts listed, the
server-side request forgery rule, permissions and another organization's ids."""
import hashlib
import hmac
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import Berthd, new_user, unique, ADMIN_EMAIL, ADMIN_PASSWORD


class Receiver:
    """A local HTTP server that records the POSTs it gets and answers the statuses it is
    told to, in order (then 200)."""

    def __init__(self, statuses=()):
        self.got = []
        self.statuses = list(statuses)
        self.cv = threading.Condition()
        outer = self

        class H(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with outer.cv:
                    status = outer.statuses.pop(0) if outer.statuses else 200
                    outer.got.append((dict(self.headers), body, status))
                    outer.cv.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass

        self.srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = "http://127.0.0.1:%d/hook" % self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def wait(self, n, timeout=60):
        with self.cv:
            ok = self.cv.wait_for(lambda: len(self.got) >= n, timeout)
        assert ok, "the receiver got %d of %d deliveries" % (len(self.got), n)
        return self.got

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()


def setup_admin(d):
    api = d.api()
    r = api.post("/api/v1/setup", {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD,
                                   "organization": "Acme"})
    assert r.status_code == 201, r.text
    a = api.with_token(r.json_body["access_token"])
    a.org_id = r.json_body["organization"]["id"]
    return a


@pytest.fixture
def hooked():
    """berthd that may call the test's local receiver, and retries after 1 s, then 2 s."""
    d = Berthd(["--webhook-allow-private", "--webhook-backoff", "1,2"]).start()
    yield d, setup_admin(d)
    d.cleanup()


def signed(headers, body, secret):
    mac = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return headers.get("X-Berth-Signature") == "sha256=" + mac


def deliveries(admin, hook_id):
    r = admin.get("/api/v1/orgs/%s/webhooks/%s/deliveries" % (admin.org_id, hook_id))
    assert r.status_code == 200, r.text
    return r.json_body


def wait_for(fn, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_ping_is_signed_and_retried_after_a_500(hooked):
    d, admin = hooked
    rcv = Receiver(statuses=[500])
    try:
        r = admin.post("/api/v1/orgs/%s/webhooks" % admin.org_id,
                       {"url": rcv.url, "events": ["job.failed", "environment.status"]})
        assert r.status_code == 201, r.text
        hook = r.json_body
        secret = hook["secret"]
        assert secret.startswith("whsec_")
        assert hook["events"] == ["job.failed", "environment.status"] and hook["active"] is True
        # the secret is shown once: never again
        r = admin.get("/api/v1/orgs/%s/webhooks/%s" % (admin.org_id, hook["id"]))
        assert r.status_code == 200 and "secret" not in r.json_body
        assert "secret" not in json.dumps(admin.get("/api/v1/orgs/%s/webhooks" % admin.org_id).json_body)
        assert secret not in d.read_log()

        r = admin.post("/api/v1/orgs/%s/webhooks/%s/ping" % (admin.org_id, hook["id"]))
        assert r.status_code == 202, r.text
        did = r.json_body["delivery_id"]
        got = rcv.wait(2)
        for headers, body, _ in got:
            assert signed(headers, body, secret), headers
            assert headers["X-Berth-Delivery"] == did
            assert headers["X-Berth-Event"] == "ping"
            p = json.loads(body)
            assert p["id"] == did and p["event"] == "ping" and p["organization_id"] == admin.org_id
            assert p["data"]["webhook_id"] == hook["id"]
        assert got[0][1] == got[1][1], "a retry sends the same body"
        ds = wait_for(lambda: [x for x in deliveries(admin, hook["id"]) if x["status"] == "delivered"])
        x = ds[0]
        assert x["id"] == did and x["event"] == "ping"
        assert [a["response_status"] for a in x["attempts"]] == [500, 200]
        assert "answered 500" in x["attempts"][0]["error"] and x["attempts"][1]["error"] is None
    finally:
        rcv.close()


def test_failed_after_every_attempt(hooked):
    d, admin = hooked
    rcv = Receiver(statuses=[503, 503, 503])
    try:
        hook = admin.post("/api/v1/orgs/%s/webhooks" % admin.org_id,
                          {"url": rcv.url, "events": ["job.finished"],
                           "secret": "a secret of the test, long enough"}).json_body
        assert "secret" not in hook, "a secret the user gave is not echoed"
        admin.post("/api/v1/orgs/%s/webhooks/%s/ping" % (admin.org_id, hook["id"]))
        rcv.wait(3)
        ds = wait_for(lambda: [x for x in deliveries(admin, hook["id"]) if x["status"] == "failed"])
        assert len(ds[0]["attempts"]) == 3  # the first, then one per backoff step (1,2)
        assert signed(rcv.got[0][0], rcv.got[0][1], "a secret of the test, long enough")
        time.sleep(3)
        assert len(rcv.got) == 3, "no attempt after the last"
    finally:
        rcv.close()


def test_validation(hooked):
    d, admin = hooked
    base = "/api/v1/orgs/%s/webhooks" % admin.org_id
    for body, field in [
        ({"url": "ftp://example.com/x", "events": ["job.failed"]}, "url"),
        ({"url": "https://user:pw@example.com/x", "events": ["job.failed"]}, "url"),
        ({"url": "https://example.com/ x", "events": ["job.failed"]}, "url"),
        ({"url": "https://example.com/x", "events": []}, "events"),
        ({"url": "https://example.com/x", "events": ["job.exploded"]}, "events"),
        ({"url": "https://example.com/x", "events": ["job.failed", "job.failed"]}, "events"),
        ({"url": "https://example.com/x", "events": ["job.failed"], "secret": "short"}, "secret"),
        ({"events": ["job.failed"]}, "url"),
        ({"url": "https://example.com/x", "events": ["job.failed"], "extra": 1}, "extra"),
    ]:
        r = admin.post(base, body)
        assert r.status_code == 400, (body, r.text)
        assert r.json_body["error"]["code"] == "VALIDATION_ERROR"
        assert r.json_body["error"]["field"] == field, (body, r.text)
    assert admin.get(base).json_body == [], "nothing was made"
    r = admin.post(base, {"url": "https://example.com/x", "events": ["job.failed"]})
    assert r.status_code == 201
    hid = r.json_body["id"]
    r = admin.patch(base + "/" + hid, {"events": ["nope"]})
    assert r.status_code == 400 and r.json_body["error"]["field"] == "events"
    r = admin.patch(base + "/" + hid, {"active": False, "events": ["alert.raised", "job.failed"]})
    assert r.status_code == 200 and r.json_body["active"] is False
    assert r.json_body["events"] == ["alert.raised", "job.failed"]
    r = admin.get("/api/v1/orgs/%s/webhooks/%s/deliveries?limit=0" % (admin.org_id, hid))
    assert r.status_code == 400 and r.json_body["error"]["field"] == "limit"
    assert admin.delete(base + "/" + hid).status_code == 204
    assert admin.get(base + "/" + hid).status_code == 404
    actions = [e["action"] for e in admin.get("/api/v1/orgs/%s/audit" % admin.org_id).json_body]
    for a in ("webhook.create", "webhook.update", "webhook.delete"):
        assert a in actions


def test_private_addresses_refused_by_default(berthd, admin):
    base = "/api/v1/orgs/%s/webhooks" % admin.org_id
    for url in ("http://127.0.0.1:9/x", "http://localhost/x", "http://app.localhost/x",
                "http://[::1]/x", "http://169.254.169.254/latest/meta-data",
                "http://10.1.2.3/x", "http://192.168.0.1/x", "http://[::ffff:127.0.0.1]/x",
                "http://0.0.0.0/x"):
        r = admin.post(base, {"url": url, "events": ["job.failed"]})
        assert r.status_code == 400, (url, r.text)
        assert r.json_body["error"]["field"] == "url"
    # a name is checked where it resolves, at delivery: this host's name resolves to one
    # of its own (or loopback) addresses
    name = socket.gethostname()
    try:
        socket.getaddrinfo(name, 80)
    except OSError:
        pytest.skip("this host's name does not resolve")
    r = admin.post(base, {"url": "http://%s:9/x" % name, "events": ["job.failed"]})
    assert r.status_code == 201, r.text
    hid = r.json_body["id"]
    admin.post(base + "/%s/ping" % hid)
    ds = wait_for(lambda: [x for x in deliveries(admin, hid) if x["attempts"]])
    a = ds[0]["attempts"][0]
    assert a["response_status"] == 0 and "refused" in a["error"], a


def test_permissions_and_other_org(berthd, admin):
    base = "/api/v1/orgs/%s/webhooks" % admin.org_id
    hid = admin.post(base, {"url": "https://example.com/x", "events": ["job.failed"]}).json_body["id"]
    dev = new_user(berthd, admin, role="developer")
    assert dev.get(base).status_code == 403
    assert dev.post(base, {"url": "https://example.com/y", "events": ["job.failed"]}).status_code == 403
    assert dev.delete(base + "/" + hid).status_code == 403
    # another organization's owner: 404 for this one's org and webhook ids
    r = admin.post("/api/v1/orgs", {"name": unique("Other")})
    other = r.json_body["id"]
    o = new_user(berthd, admin, role="owner", org_id=other)
    assert o.get(base).status_code == 404
    assert o.get("/api/v1/orgs/%s/webhooks/%s" % (other, hid)).status_code == 404
    assert o.delete("/api/v1/orgs/%s/webhooks/%s" % (other, hid)).status_code == 404
    assert o.get("/api/v1/orgs/%s/webhooks/%s/deliveries" % (other, hid)).status_code == 404
    assert admin.get(base + "/" + hid).status_code == 200


def test_cli(hooked):
    from test_cli import Cli
    d, admin = hooked
    rcv = Receiver()
    c = Cli(d.url)
    try:
        c.login()
        out = c.ok("webhook", "create", rcv.url, "--events", "job.failed,alert.raised")
        assert "Signing secret (shown once" in out
        secret = out.split("store it now): ")[1].split()[0]
        hooks = c.json("webhook", "list")
        assert len(hooks) == 1 and hooks[0]["events"] == ["job.failed", "alert.raised"]
        hid = hooks[0]["id"]
        assert rcv.url in c.ok("webhook", "list")
        assert "Ping queued" in c.ok("webhook", "ping", hid)
        headers, body, _ = rcv.wait(1)[0]
        assert signed(headers, body, secret)
        wait_for(lambda: c.json("webhook", "deliveries", hid)[0]["status"] == "delivered")
        assert "delivered" in c.ok("webhook", "deliveries", hid)
        c.ok("webhook", "update", hid, "--no-active")
        assert c.json("webhook", "list")[0]["active"] is False
        p = c.fails(1, "webhook", "create", "ftp://x.example/", "--events", "job.failed")
        assert "url" in p.stderr
        assert "Deleted webhook" in c.ok("webhook", "delete", hid)
        assert c.json("webhook", "list") == []
    finally:
        c.cleanup()
        rcv.close()


def test_a_failed_job_is_delivered(hooked):
    """A real event of the organization event stream: a prepare job of a server that cannot
    be reached fails; a webhook on job.failed gets it, one on job.finished does not."""
    d, admin = hooked
    rcv, other = Receiver(), Receiver()
    try:
        base = "/api/v1/orgs/%s/webhooks" % admin.org_id
        h = admin.post(base, {"url": rcv.url, "events": ["job.failed"]}).json_body
        admin.post(base, {"url": other.url, "events": ["job.finished"]})
        r = admin.post("/api/v1/orgs/%s/servers" % admin.org_id,
                       {"name": unique("s"), "host": "127.0.0.1", "port": 1, "password": "pw-x"})
        sid = r.json_body["id"]
        job = admin.post("/api/v1/servers/%s/prepare" % sid).json_body["id"]
        headers, body, _ = rcv.wait(1)[0]
        assert signed(headers, body, h["secret"])
        p = json.loads(body)
        assert p["event"] == "job.failed" and headers["X-Berth-Event"] == "job.failed"
        assert p["data"]["id"] == job and p["data"]["status"] == "failed"
        assert p["data"]["server_id"] == sid and p["data"]["type"] == "prepare"
        time.sleep(1)
        assert other.got == [], "job.finished is for jobs that did not fail"
    finally:
        rcv.close()
        other.close()
