"""Backup storage targets (docs/backups.md, "Where backups live"): the built-in local target,
SFTP and S3 targets created, changed, tested and deleted; every field validated and named;
secrets never returned, logged or stored in the clear; another organization's ids answer 404;
the server-side request forgery rule; the probe against a loopback sshd (host key pinned on
the first successful test) and s3rver; and multi-part objects round-tripped through each
driver (tests/unit/test_blob.c, run here against the same servers)."""
import hashlib
import hmac
import json
import os
import re
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import socket
import sqlite3
import stat
import subprocess
import time
import uuid

import pytest

from conftest import BUILD, Berthd, free_port, new_user, unique, ADMIN_EMAIL, ADMIN_PASSWORD
from sshd import Sshd

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
S3RVER_DIR = os.path.join(ROOT, "tests", "s3rver")
S3RVER = os.path.join(S3RVER_DIR, "node_modules", ".bin", "s3rver")
TEST_BLOB = os.path.join(BUILD, "tests", "test_blob")
BUCKET = "berth-test"
S3_KEY, S3_SECRET = "S3RVER", "S3RVER"  # s3rver's built-in account


def setup_admin(d):
    api = d.api()
    r = api.post("/api/v1/setup", {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD,
                                   "organization": "Acme"})
    assert r.status_code == 201, r.text
    a = api.with_token(r.json_body["access_token"])
    a.org_id = r.json_body["organization"]["id"]
    return a


@pytest.fixture
def open_berthd():
    """berthd whose backup targets may reach loopback (s3rver and sshd run there)."""
    d = Berthd(["--backup-allow-private"]).start()
    yield d, setup_admin(d)
    d.cleanup()


@pytest.fixture
def strict_berthd():
    """berthd with the default rule: no loopback, private or own addresses."""
    d = Berthd().start()
    yield d, setup_admin(d)
    d.cleanup()


class S3rver:
    """s3rver (npm, pinned in tests/s3rver/package.json) on a free port of 127.0.0.1, with the
    bucket BUCKET."""

    def __init__(self, tmp):
        if not os.path.exists(S3RVER):
            r = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                               cwd=S3RVER_DIR, capture_output=True, timeout=300)
            if r.returncode != 0 or not os.path.exists(S3RVER):
                pytest.skip("s3rver is not installed (scripts/install-deps.sh test)")
        self.port = free_port()
        self.dir = os.path.join(tmp, "s3rver")
        os.makedirs(self.dir)
        self.log = open(os.path.join(tmp, "s3rver.log"), "wb")
        self.proc = subprocess.Popen([S3RVER, "-d", self.dir, "-a", "127.0.0.1", "-p",
                                      str(self.port), "--configure-bucket", BUCKET],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        self.endpoint = "http://127.0.0.1:%d" % self.port
        deadline = time.time() + 30
        while time.time() < deadline:
            assert self.proc.poll() is None, "s3rver exited"
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("s3rver did not start")

    def objects(self):
        """The keys stored in the bucket (s3rver keeps one file per object)."""
        out = []
        base = os.path.join(self.dir, BUCKET)
        for dirpath, _, files in os.walk(base):
            for f in files:
                if not f.endswith("._S3rver_metadata.json") and not f.endswith("._S3rver_object.md5"):
                    out.append(os.path.relpath(os.path.join(dirpath, f), base))
        return out

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


class StrictS3:
    """A small in-memory S3 that checks every request's AWS Signature Version 4 as AWS does
    (canonical request from the signed headers, every signed header present, the payload's
    SHA-256 equal to x-amz-content-sha256): s3rver does not check V4 signatures. Objects,
    multipart uploads, HEAD, ranged GET and DELETE, path-style addressing."""

    def __init__(self, access_key="AKIDSTRICT", secret="strict/Secret+Key", region="eu-west-3"):
        self.access_key, self.secret, self.region = access_key, secret, region
        self.objects, self.uploads = {}, {}
        self.verified, self.refused = 0, []
        outer = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def answer(self, status, body=b"", headers=()):
                self.send_response(status)
                for k, v in headers:
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def error(self, status, code):
                self.answer(status, ("<Error><Code>%s</Code><Message>%s</Message></Error>"
                                     % (code, code)).encode())

            def handle_any(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                why = outer.check(self, body)
                if why:
                    outer.refused.append(why)
                    return self.error(403, why)
                outer.verified += 1
                outer.serve(self, body)

            do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = handle_any

        self.srv = ThreadingHTTPServer(("127.0.0.1", free_port()), H)
        self.endpoint = "http://127.0.0.1:%d" % self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def check(self, h, body):
        auth = h.headers.get("Authorization", "")
        m = re.match(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/s3/aws4_request, "
                     r"SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$", auth)
        if not m:
            return "AuthorizationHeaderMalformed"
        key, day, region, signed, sig = m.groups()
        if key != self.access_key:
            return "InvalidAccessKeyId"
        if region != self.region:
            return "AuthorizationHeaderMalformed"
        names = signed.split(";")
        for must in ("host", "x-amz-content-sha256", "x-amz-date"):
            if must not in names:
                return "SignatureDoesNotMatch"
        payload = h.headers.get("x-amz-content-sha256")
        if payload != "UNSIGNED-PAYLOAD" and payload != hashlib.sha256(body).hexdigest():
            return "XAmzContentSHA256Mismatch"
        canon_headers = ""
        for name in names:
            v = h.headers.get(name)
            if v is None:
                return "SignatureDoesNotMatch"  # signed but not sent
            canon_headers += "%s:%s\n" % (name, " ".join(v.strip().split()))
        path, _, query = h.path.partition("?")
        q = sorted(urllib.parse.parse_qsl(query, keep_blank_values=True))
        canon_query = "&".join("%s=%s" % (urllib.parse.quote(k, safe="-_.~"),
                                          urllib.parse.quote(v, safe="-_.~")) for k, v in q)
        creq = "\n".join([h.command, path, canon_query, canon_headers, signed, payload])
        amzdate = h.headers.get("x-amz-date")
        scope = "%s/%s/s3/aws4_request" % (day, region)
        sts = "\n".join(["AWS4-HMAC-SHA256", amzdate, scope,
                         hashlib.sha256(creq.encode()).hexdigest()])
        k = ("AWS4" + self.secret).encode()
        for part in (day, region, "s3", "aws4_request"):
            k = hmac.new(k, part.encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(hmac.new(k, sts.encode(), hashlib.sha256).hexdigest(), sig):
            return "SignatureDoesNotMatch"
        return None

    def serve(self, h, body):
        path, _, query = h.path.partition("?")
        q = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
        parts = path.lstrip("/").split("/", 1)
        if parts[0] != BUCKET:
            return h.error(404, "NoSuchBucket")
        key = parts[1] if len(parts) > 1 else ""
        etag = lambda b: '"%s"' % hashlib.md5(b).hexdigest()
        if h.command == "POST" and "uploads" in q:
            uid = uuid.uuid4().hex + "_x.y-z"
            self.uploads[uid] = {}
            return h.answer(200, ("<InitiateMultipartUploadResult><Bucket>%s</Bucket><Key>%s</Key>"
                                  "<UploadId>%s</UploadId></InitiateMultipartUploadResult>"
                                  % (BUCKET, key, uid)).encode())
        if "uploadId" in q:
            up = self.uploads.get(q["uploadId"])
            if up is None:
                return h.error(404, "NoSuchUpload")
            if h.command == "PUT":
                up[int(q["partNumber"])] = body
                return h.answer(200, headers=[("ETag", etag(body))])
            if h.command == "DELETE":
                del self.uploads[q["uploadId"]]
                return h.answer(204)
            listed = re.findall(r"<PartNumber>(\d+)</PartNumber><ETag>([^<]+)</ETag>", body.decode())
            if [int(n) for n, _ in listed] != sorted(up) or \
                    any(e != etag(up[int(n)]) for n, e in listed):
                return h.error(400, "InvalidPart")
            self.objects[key] = b"".join(up[int(n)] for n, _ in listed)
            del self.uploads[q["uploadId"]]
            return h.answer(200, b"<CompleteMultipartUploadResult><Key>%s</Key>"
                            b"</CompleteMultipartUploadResult>" % key.encode())
        if h.command == "PUT":
            self.objects[key] = body
            return h.answer(200, headers=[("ETag", etag(body))])
        if h.command == "DELETE":
            self.objects.pop(key, None)
            return h.answer(204)
        data = self.objects.get(key)
        if data is None:
            return h.error(404, "NoSuchKey") if h.command == "GET" else h.answer(404)
        rng = h.headers.get("Range")
        if not rng:
            return h.answer(200, data)
        m = re.match(r"bytes=(\d+)-(\d*)$", rng)
        start = int(m.group(1))
        end = min(int(m.group(2)) if m.group(2) else len(data) - 1, len(data) - 1)
        if start >= len(data):
            return h.error(416, "InvalidRange")
        return h.answer(206, data[start:end + 1], headers=[
            ("Content-Range", "bytes %d-%d/%d" % (start, end, len(data)))])

    def stop(self):
        self.srv.shutdown()
        self.srv.server_close()


@pytest.fixture
def s3(tmp_path):
    s = S3rver(str(tmp_path))
    yield s
    s.stop()


@pytest.fixture
def sshd():
    s = Sshd().start()
    yield s
    s.stop()


def targets(admin, org_id=None):
    r = admin.get("/api/v1/orgs/%s/backup-targets" % (org_id or admin.org_id))
    assert r.status_code == 200, r.text
    return r.json_body


def sftp_body(sshd, name=None, **config):
    cfg = {"host": "127.0.0.1", "port": sshd.port, "user": "root",
           "path": os.path.join(sshd.dir, "backups")}
    cfg.update(config)
    return {"name": name or unique("sftp"), "kind": "sftp", "config": cfg,
            "private_key": sshd.private_key}


def s3_body(s3, name=None, secret=S3_SECRET, **config):
    cfg = {"endpoint": s3.endpoint, "region": "us-east-1", "bucket": BUCKET,
           "prefix": "berth/", "path_style": True, "access_key_id": S3_KEY}
    cfg.update(config)
    return {"name": name or unique("s3"), "kind": "s3", "config": cfg,
            "secret_access_key": secret}


# ---- the built-in local target, create, change, delete ----

def test_local_target_is_built_in_and_default(open_berthd):
    d, admin = open_berthd
    base = "/api/v1/orgs/%s/backup-targets" % admin.org_id
    ts = targets(admin)
    assert len(ts) == 1
    local = ts[0]
    assert local["name"] == "local" and local["kind"] == "local"
    assert local["is_default"] is True and local["has_secret"] is False
    assert local["config"] == {}
    assert set(local) == {"id", "name", "kind", "is_default", "config", "has_secret",
                          "created_at", "updated_at"}
    # listed again: still one
    assert [t["id"] for t in targets(admin)] == [local["id"]]
    # it cannot be deleted, renamed, given a path or made not default
    r = admin.delete(base + "/" + local["id"])
    assert r.status_code == 409 and r.json_body["error"]["code"] == "CONFLICT", r.text
    for body, field in (({"name": "mine"}, "name"), ({"config": {"path": "/tmp"}}, "config"),
                        ({"is_default": False}, "is_default")):
        r = admin.patch(base + "/" + local["id"], body)
        assert r.status_code == 400, r.text
        assert r.json_body["error"]["field"] == field, r.text
    # nobody makes another local target, nor names one "local"
    r = admin.post(base, {"name": "disk", "kind": "local", "config": {}})
    assert r.status_code == 400 and r.json_body["error"]["field"] == "kind", r.text
    # its test writes under <data>/backups/<org id>/, made 0700
    r = admin.post(base + "/" + local["id"] + "/test")
    assert r.status_code == 200, r.text
    assert r.json_body["ok"] is True and r.json_body["error"] is None, r.text
    org_dir = os.path.join(d.data, "backups", admin.org_id)
    assert stat.S_IMODE(os.stat(org_dir).st_mode) == 0o700
    leftovers = [f for _, _, fs in os.walk(org_dir) for f in fs]
    assert leftovers == [], "the probe object was left behind: %r" % leftovers


def test_backup_dir_option(tmp_path):
    root = str(tmp_path / "elsewhere")
    d = Berthd(["--backup-dir", root]).start()
    try:
        admin = setup_admin(d)
        local = targets(admin)[0]
        r = admin.post("/api/v1/orgs/%s/backup-targets/%s/test" % (admin.org_id, local["id"]))
        assert r.json_body["ok"] is True, r.text
        assert os.path.isdir(os.path.join(root, admin.org_id))
        assert not os.path.exists(os.path.join(d.data, "backups", admin.org_id))
    finally:
        d.cleanup()


def test_crud_default_and_audit(open_berthd, sshd, s3):
    d, admin = open_berthd
    base = "/api/v1/orgs/%s/backup-targets" % admin.org_id
    local_id = targets(admin)[0]["id"]
    r = admin.post(base, sftp_body(sshd, name="offsite"))
    assert r.status_code == 201, r.text
    t = r.json_body
    assert t["kind"] == "sftp" and t["has_secret"] is True and t["is_default"] is False
    assert t["config"] == {"host": "127.0.0.1", "port": sshd.port, "user": "root",
                           "path": os.path.join(sshd.dir, "backups"), "host_key": None}
    sid = t["id"]
    # the same name again
    r = admin.post(base, sftp_body(sshd, name="offsite"))
    assert r.status_code == 400 and r.json_body["error"]["code"] == "NAME_EXISTS", r.text
    r = admin.post(base, dict(s3_body(s3, name="bucket"), is_default=True))
    assert r.status_code == 201, r.text
    bid = r.json_body["id"]
    assert r.json_body["is_default"] is True
    assert r.json_body["config"]["path_style"] is True
    ts = {t["name"]: t for t in targets(admin)}
    assert list(ts) == ["local", "offsite", "bucket"]
    assert [n for n, t in ts.items() if t["is_default"]] == ["bucket"]
    # PATCH: rename, another default, a config field merged
    r = admin.patch(base + "/" + sid, {"name": "offsite2", "is_default": True,
                                       "config": {"port": sshd.port}})
    assert r.status_code == 200, r.text
    assert r.json_body["name"] == "offsite2" and r.json_body["is_default"] is True
    assert r.json_body["config"]["user"] == "root"
    assert [t["name"] for t in targets(admin) if t["is_default"]] == ["offsite2"]
    # giving the default up hands it back to local
    r = admin.patch(base + "/" + sid, {"is_default": False})
    assert r.status_code == 200 and r.json_body["is_default"] is False, r.text
    assert [t["id"] for t in targets(admin) if t["is_default"]] == [local_id]
    r = admin.patch(base + "/" + bid, {"is_default": True})
    assert r.status_code == 200
    # kind cannot change
    r = admin.patch(base + "/" + bid, {"kind": "sftp"})
    assert r.status_code == 400 and r.json_body["error"]["field"] == "kind"
    # delete the default: local takes it back
    assert admin.delete(base + "/" + bid).status_code == 204
    assert admin.get(base + "/" + bid).status_code == 404
    assert [t["id"] for t in targets(admin) if t["is_default"]] == [local_id]
    assert admin.delete(base + "/" + bid).status_code == 404
    actions = [e["action"] for e in admin.get("/api/v1/orgs/%s/audit" % admin.org_id).json_body]
    for a in ("backup_target.create", "backup_target.update", "backup_target.delete"):
        assert a in actions, actions


def test_delete_refused_while_backups_refer_to_it(open_berthd, s3):
    d, admin = open_berthd
    base = "/api/v1/orgs/%s/backup-targets" % admin.org_id
    tid = admin.post(base, s3_body(s3)).json_body["id"]
    db = sqlite3.connect(os.path.join(d.data, "berth.db"), timeout=10)
    ids = [str(uuid.uuid4()) for _ in range(2)]
    for i in ids:
        db.execute("INSERT INTO backups(id, org_id, project_id, environment_id, environment_name,"
                   " scope, kind, status, target_id, object_key, created_at, created_ts)"
                   " VALUES(?,?,?,?,?,'full','manual','done',?,?,"
                   " '2026-01-01T00:00:00Z', 1767225600)",
                   (i, admin.org_id, "p", "e", "prod", tid, "x/%s.zip" % i))
    db.commit()
    r = admin.delete(base + "/" + tid)
    assert r.status_code == 409, r.text
    assert r.json_body["error"]["code"] == "CONFLICT"
    assert "2 backups" in r.json_body["error"]["message"], r.text
    assert admin.get(base + "/" + tid).status_code == 200
    db.execute("DELETE FROM backups WHERE target_id=?", (tid,))
    db.commit()
    db.close()
    assert admin.delete(base + "/" + tid).status_code == 204


# ---- validation: each field named, nothing changed ----

BAD = [
    # (body changes, field)
    ({"name": ""}, "name"),
    ({"name": "-x"}, "name"),
    ({"name": "a b"}, "name"),
    ({"name": "local"}, "name"),
    ({"name": "x" * 64}, "name"),
    ({"kind": "ftp"}, "kind"),
    ({"kind": None}, "kind"),
    ({"config": None}, "config"),
    ({"extra": 1}, "extra"),
    ({"config": {"endpoint": "ftp://s3.example.com"}}, "config.endpoint"),
    ({"config": {"endpoint": "https://s3.example.com/path"}}, "config.endpoint"),
    ({"config": {"endpoint": "https://user:pw@s3.example.com"}}, "config.endpoint"),
    ({"config": {"endpoint": "https://s3.example.com:99999"}}, "config.endpoint"),
    ({"config": {"endpoint": "s3.example.com"}}, "config.endpoint"),
    ({"config": {"bucket": "UPPER"}}, "config.bucket"),
    ({"config": {"bucket": "ab"}}, "config.bucket"),
    ({"config": {"bucket": "a..b"}}, "config.bucket"),
    ({"config": {"bucket": "192.168.1.1"}}, "config.bucket"),
    ({"config": {"bucket": "-abc"}}, "config.bucket"),
    ({"config": {"bucket": "xn--abc"}}, "config.bucket"),
    ({"config": {"region": "EU WEST"}}, "config.region"),
    ({"config": {"prefix": "../up"}}, "config.prefix"),
    ({"config": {"prefix": "/abs"}}, "config.prefix"),
    ({"config": {"prefix": "a//b"}}, "config.prefix"),
    ({"config": {"access_key_id": "has space"}}, "config.access_key_id"),
    ({"config": {"path_style": "yes"}}, "config.path_style"),
    ({"config": {"host": "h"}}, "config.host"),  # an s3 field it does not know
    ({"config": {"bucket": None}}, "config.bucket"),
    ({"secret_access_key": "has space"}, "secret_access_key"),
    ({"secret_access_key": None}, "secret_access_key"),
    ({"private_key": "x"}, "private_key"),
]

BAD_SFTP = [
    ({"config": {"host": "bad host"}}, "config.host"),
    ({"config": {"host": "-oProxyCommand=x"}}, "config.host"),
    ({"config": {"port": 0}}, "config.port"),
    ({"config": {"port": 65536}}, "config.port"),
    ({"config": {"port": "22"}}, "config.port"),
    ({"config": {"user": "-root"}}, "config.user"),
    ({"config": {"user": "a b"}}, "config.user"),
    ({"config": {"path": "../etc"}}, "config.path"),
    ({"config": {"path": "/srv/../etc"}}, "config.path"),
    ({"config": {"path": "/srv/a b"}}, "config.path"),
    ({"config": {"host_key": "MD5:aa"}}, "config.host_key"),
    ({"config": {"endpoint": "https://x"}}, "config.endpoint"),
    ({"private_key": None, "password": None}, "private_key"),
    ({"password": "pw"}, "password"),  # with private_key too
    ({"secret_access_key": "abc"}, "secret_access_key"),
    ({"reset_host_key": True}, "reset_host_key"),
]


def merged(body, change):
    b = dict(body)
    cfg = dict(b.get("config") or {})
    for k, v in change.items():
        if k == "config":
            if v is None:
                b.pop("config")
                continue
            for ck, cv in v.items():
                if cv is None:
                    cfg.pop(ck, None)
                else:
                    cfg[ck] = cv
            b["config"] = cfg
        elif v is None:
            b.pop(k, None)
        else:
            b[k] = v
    return b


def test_validation_names_the_field_and_changes_nothing(open_berthd, sshd, s3):
    d, admin = open_berthd
    base = "/api/v1/orgs/%s/backup-targets" % admin.org_id
    before = targets(admin)
    for body, cases in ((s3_body(s3), BAD), (sftp_body(sshd), BAD_SFTP)):
        for change, field in cases:
            r = admin.post(base, merged(body, change))
            assert r.status_code == 400, (change, r.text)
            assert r.json_body["error"]["code"] == "VALIDATION_ERROR", (change, r.text)
            assert r.json_body["error"]["field"] == field, (change, r.text)
    assert targets(admin) == before
    # the same rules on PATCH, and the target is unchanged after each refusal
    t = admin.post(base, s3_body(s3)).json_body
    for change, field in BAD:
        if field in ("kind", "config", "secret_access_key", "private_key") or \
                change.get("config", {}) is None or any(v is None for v in (change.get("config") or {}).values()):
            continue
        r = admin.patch(base + "/" + t["id"], change)
        assert r.status_code == 400, (change, r.text)
        assert r.json_body["error"]["field"] == field, (change, r.text)
    after = admin.get(base + "/" + t["id"]).json_body
    assert after == t
    # an endpoint by IP address needs path-style addressing
    r = admin.post(base, merged(s3_body(s3), {"config": {"path_style": False}}))
    assert r.status_code == 400 and r.json_body["error"]["field"] == "config.path_style", r.text
    # not JSON, not an object
    r = admin.req("POST", base, raw="[1]", headers={"Content-Type": "application/json"})
    assert r.status_code == 400


def test_secrets_never_returned_logged_or_stored_in_clear(open_berthd, sshd, s3):
    d, admin = open_berthd
    base = "/api/v1/orgs/%s/backup-targets" % admin.org_id
    secret = "Sup3rSecret-" + uuid.uuid4().hex
    r = admin.post(base, s3_body(s3, secret=secret))
    assert r.status_code == 201, r.text
    tid = r.json_body["id"]
    password = "pw-" + uuid.uuid4().hex
    r2 = admin.post(base, merged(sftp_body(sshd), {"private_key": None, "password": password}))
    assert r2.status_code == 201, r2.text
    key_line = sshd.private_key.strip().splitlines()[1]
    r3 = admin.post(base, sftp_body(sshd))
    admin.post(base + "/" + tid + "/test")
    admin.patch(base + "/" + tid, {"secret_access_key": secret + "2"})
    texts = [r.text, r2.text, r3.text,
             admin.get(base).text, admin.get(base + "/" + tid).text,
             admin.get("/api/v1/orgs/%s/audit" % admin.org_id).text]
    for t in texts:
        for s in (secret, password, key_line):
            assert s not in t
    assert all(k not in r.json_body for k in ("secret", "secret_access_key"))
    d.stop()
    log = d.read_log()
    raw = b""
    for f in os.listdir(d.data):
        p = os.path.join(d.data, f)
        if f.startswith("berth.db") and os.path.isfile(p):
            raw += open(p, "rb").read()
    for s in (secret, password, key_line):
        assert s not in log
        assert s.encode() not in raw


def test_permissions_and_other_org(open_berthd, s3):
    d, admin = open_berthd
    base = "/api/v1/orgs/%s/backup-targets" % admin.org_id
    tid = admin.post(base, s3_body(s3)).json_body["id"]
    dev = new_user(d, admin, role="developer")
    assert dev.get(base).status_code == 200  # environment.backup lists
    assert dev.get(base + "/" + tid).status_code == 200
    r = dev.post(base, s3_body(s3))
    assert r.status_code == 403 and r.json_body["error"]["code"] == "PERMISSION_DENIED"
    assert dev.patch(base + "/" + tid, {"name": "x1"}).status_code == 403
    assert dev.delete(base + "/" + tid).status_code == 403
    assert dev.post(base + "/" + tid + "/test").status_code == 403
    viewer = new_user(d, admin, role="viewer")
    assert viewer.get(base).status_code == 403
    # another organization's owner: 404 for this one's org and target ids
    other = admin.post("/api/v1/orgs", {"name": unique("Other")}).json_body["id"]
    o = new_user(d, admin, role="owner", org_id=other)
    assert o.get(base).status_code == 404
    obase = "/api/v1/orgs/%s/backup-targets" % other
    for m, p in (("GET", obase + "/" + tid), ("PATCH", obase + "/" + tid),
                 ("DELETE", obase + "/" + tid), ("POST", obase + "/" + tid + "/test")):
        r = o.req(m, p, body={} if m in ("PATCH", "POST") else None)
        assert r.status_code == 404, (m, p, r.text)
        assert r.json_body["error"]["code"] == "BACKUP_TARGET_NOT_FOUND", r.text
    # the other organization has its own local target, not this one's
    mine = {t["id"] for t in targets(admin)}
    theirs = {t["id"] for t in targets(o, other)}
    assert not mine & theirs and len(theirs) == 1


def test_private_addresses_refused_by_default(strict_berthd):
    d, admin = strict_berthd
    base = "/api/v1/orgs/%s/backup-targets" % admin.org_id
    for host in ("127.0.0.1", "10.1.2.3", "169.254.169.254", "::1", "localhost"):
        r = admin.post(base, {"name": unique("s"), "kind": "sftp",
                              "config": {"host": host, "user": "u"}, "password": "pw"})
        assert r.status_code == 400 and r.json_body["error"]["field"] == "config.host", r.text
    for ep in ("http://127.0.0.1:9000", "https://192.168.1.10", "http://[::1]:9000",
               "http://localhost:9000"):
        r = admin.post(base, {"name": unique("s"), "kind": "s3",
                              "config": {"endpoint": ep, "bucket": "bkt", "path_style": True,
                                         "access_key_id": "AK"},
                              "secret_access_key": "SK"})
        assert r.status_code == 400 and r.json_body["error"]["field"] == "config.endpoint", r.text
    # a name that resolves to this host is refused when the driver connects
    name = socket.gethostname()
    try:
        socket.getaddrinfo(name, 22)
    except OSError:
        pytest.skip("this host's name does not resolve")
    r = admin.post(base, {"name": unique("s"), "kind": "sftp",
                          "config": {"host": name, "user": "u"}, "password": "pw"})
    assert r.status_code == 201, r.text
    r = admin.post(base + "/" + r.json_body["id"] + "/test")
    assert r.status_code == 200 and r.json_body["ok"] is False, r.text
    assert "refused" in r.json_body["error"] and "--backup-allow-private" in r.json_body["error"]


# ---- the probe ----

def test_sftp_probe_pins_the_host_key(open_berthd, sshd):
    d, admin = open_berthd
    base = "/api/v1/orgs/%s/backup-targets" % admin.org_id
    tid = admin.post(base, sftp_body(sshd)).json_body["id"]
    r = admin.post(base + "/" + tid + "/test")
    assert r.status_code == 200, r.text
    assert r.json_body["ok"] is True, r.text
    assert r.json_body["host_key"] == sshd.host_key_fingerprint
    assert r.json_body["host_key_pinned"] is True
    assert admin.get(base + "/" + tid).json_body["config"]["host_key"] == sshd.host_key_fingerprint
    # the probe left nothing behind
    probe_dir = os.path.join(sshd.dir, "backups", "berth-probe")
    assert not os.path.isdir(probe_dir) or os.listdir(probe_dir) == []
    # again: still pinned, not pinned anew
    r = admin.post(base + "/" + tid + "/test")
    assert r.json_body["ok"] is True and r.json_body["host_key_pinned"] is False
    # another host key: refused until reset
    sshd.restart(new_host_key=True)
    r = admin.post(base + "/" + tid + "/test")
    assert r.json_body["ok"] is False, r.text
    assert "host key" in r.json_body["error"], r.text
    r = admin.patch(base + "/" + tid, {"reset_host_key": True})
    assert r.status_code == 200 and r.json_body["config"]["host_key"] is None, r.text
    r = admin.post(base + "/" + tid + "/test")
    assert r.json_body["ok"] is True and r.json_body["host_key"] == sshd.host_key_fingerprint
    # a wrong credential fails the test and says why
    r = admin.patch(base + "/" + tid, {"password": "not-the-password"})
    assert r.status_code == 200 and r.json_body["has_secret"] is True
    r = admin.post(base + "/" + tid + "/test")
    assert r.json_body["ok"] is False and "authentication failed" in r.json_body["error"], r.text


def test_s3_probe(open_berthd, s3):
    d, admin = open_berthd
    base = "/api/v1/orgs/%s/backup-targets" % admin.org_id
    tid = admin.post(base, s3_body(s3)).json_body["id"]
    r = admin.post(base + "/" + tid + "/test")
    assert r.status_code == 200, r.text
    assert r.json_body["ok"] is True and r.json_body["error"] is None, r.text
    assert "host_key" not in r.json_body
    assert s3.objects() == [], "the probe object was left behind"
    # a bucket that does not exist, an unknown access key: the test says so
    r = admin.patch(base + "/" + tid, {"config": {"bucket": "no-such-bucket"}})
    assert r.status_code == 200, r.text
    r = admin.post(base + "/" + tid + "/test")
    assert r.json_body["ok"] is False and "NoSuchBucket" in r.json_body["error"], r.text
    r = admin.patch(base + "/" + tid, {"config": {"bucket": BUCKET, "access_key_id": "NOPE"}})
    r = admin.post(base + "/" + tid + "/test")
    assert r.json_body["ok"] is False and "InvalidAccessKeyId" in r.json_body["error"], r.text
    # nothing listens there
    r = admin.patch(base + "/" + tid, {"config": {"endpoint": "http://127.0.0.1:%d" % free_port(),
                                                  "access_key_id": S3_KEY}})
    r = admin.post(base + "/" + tid + "/test")
    assert r.json_body["ok"] is False and r.json_body["error"], r.text


# ---- multi-part objects through each driver ----

def test_blob_drivers_round_trip(sshd, s3):
    """tests/unit/test_blob.c against the loopback sshd and s3rver: a 16 MiB object written in
    odd pieces (three S3 parts), read whole and by ranges (one across a part boundary),
    overwritten, aborted (nothing left), deleted, probed; bad keys refused."""
    assert os.path.exists(TEST_BLOB), "build it: make build/tests/test_blob"
    env = dict(os.environ,
               BLOB_SFTP="127.0.0.1 %d root %s %s" % (sshd.port, sshd.client_key_path,
                                                       os.path.join(sshd.dir, "remote/b")),
               BLOB_S3="%s us-east-1 %s %s %s" % (s3.endpoint, BUCKET, S3_KEY, S3_SECRET))
    r = subprocess.run([TEST_BLOB], env=env, capture_output=True, timeout=600)
    out = r.stdout.decode(errors="replace") + r.stderr.decode(errors="replace")
    assert r.returncode == 0, out
    assert "SKIPPED" not in out, out
    for name in ("test_local_roundtrip", "test_sftp", "test_s3"):
        assert "[       OK ] " + name in out, out
    # an aborted multipart upload and the probes left no object behind
    assert [o for o in s3.objects() if "unit/" in o or "berth-probe" in o] == []


# ---- the CLI ----

def test_cli(open_berthd, sshd, s3):
    from test_cli import Cli, OK, API, USAGE, table
    d, admin = open_berthd
    c = Cli(d.url)
    try:
        c.login()
        out = c.ok("backup-target", "list")
        rows = table(out)
        assert [(r["NAME"], r["KIND"], r["DEFAULT"]) for r in rows] == [("local", "local", "yes")]
        secret = "cli-secret-" + uuid.uuid4().hex
        out = c.ok("backup-target", "add", "bucket", "--kind", "s3", "--endpoint", s3.endpoint,
                   "--bucket", BUCKET, "--path-style", "--access-key-id", S3_KEY,
                   "--prefix", "cli/", "--secret-stdin", "--test", input=secret + "\n")
        assert "Created backup target bucket" in out and "works" in out, out
        out = c.ok("backup-target", "add", "box", "--kind", "sftp", "--host", "127.0.0.1",
                   "--port", str(sshd.port), "--user", "root", "--path", os.path.join(sshd.dir, "bk"),
                   "--key-file", sshd.client_key_path, "--default")
        assert "the default" in out, out
        t = c.json("backup-target", "test", "box")
        assert t["ok"] is True and t["host_key"] == sshd.host_key_fingerprint
        shown = c.ok("backup-target", "show", "bucket")
        assert secret not in shown and "cli/" in shown
        js = c.json("backup-target", "show", "box")
        assert js["config"]["host_key"] == sshd.host_key_fingerprint
        assert "private_key" not in json.dumps(js)
        out = c.ok("backup-target", "default", "bucket")
        assert "bucket" in out
        rows = {r["NAME"]: r for r in table(c.ok("backup-target", "list"))}
        assert rows["bucket"]["DEFAULT"] == "yes" and rows["box"]["DEFAULT"] == "-"
        # the secret never on the command line: without a way to ask, add refuses
        c.fails(USAGE, "backup-target", "add", "nokey", "--kind", "sftp", "--host", "127.0.0.1",
                "--user", "root")
        p = c.fails(API, "backup-target", "delete", "local")
        assert "CONFLICT" in p.stderr, p.stderr
        p = c.fails(API, "backup-target", "show", "nosuch")
        assert "BACKUP_TARGET_NOT_FOUND" in p.stderr
        c.ok("backup-target", "delete", "box")
        assert "box" not in c.ok("backup-target", "list")
        # a target that fails its test: exit 1 with the reason
        c.ok("backup-target", "add", "dead", "--kind", "s3", "--endpoint",
             "http://127.0.0.1:%d" % free_port(), "--bucket", BUCKET, "--path-style",
             "--access-key-id", S3_KEY, "--secret-stdin", input="x\n")
        p = c.fails(API, "backup-target", "test", "dead")
        assert "failed its test" in p.stderr, p.stderr
    finally:
        c.cleanup()


def test_s3_signatures_as_aws_checks_them():
    """The S3 driver's requests carry AWS Signature Version 4 as AWS S3 verifies it (s3rver
    checks no V4 signature): tests/unit/test_blob.c's S3 round trip against StrictS3, which
    refuses any request whose signature, signed headers or payload hash is wrong."""
    assert os.path.exists(TEST_BLOB), "build it: make build/tests/test_blob"
    s = StrictS3()
    try:
        env = dict(os.environ, BLOB_S3="%s %s %s %s %s" % (s.endpoint, s.region, BUCKET,
                                                          s.access_key, s.secret))
        r = subprocess.run([TEST_BLOB], env=env, capture_output=True, timeout=600)
        out = r.stdout.decode(errors="replace") + r.stderr.decode(errors="replace")
        # test_s3 itself sends one request with an unknown key on purpose
        assert s.refused == ["InvalidAccessKeyId"], (s.refused, out)
        assert r.returncode == 0, out
        assert "[       OK ] test_s3" in out, out
        assert s.verified > 20
        assert s.uploads == {}, "an upload was left open (abort or complete missing)"
    finally:
        s.stop()
