"""`berth env backup|import` and `berth backup list|show|download|restore|delete|verify`
(docs/cli.md) against a real berthd with the Odoo stand-in: a backup made and followed, listed
with its short id, shown, downloaded (Odoo's zip, SHA-256 checked) and resumed with --continue,
verified, restored with and without confirmation, imported, deleted.

The round trip needs the backup routes of berthd (issue 12's server side): it is skipped, with
the reason, while GET /environments/{id}/backups answers 404. The command-line checks that need
no server (help, usage errors) always run, and so does the transfer test against a stand-in
that speaks the API contract (docs/api.md): a resumed download (Range, 206), a server that
sends the whole archive instead (200: the file starts over), a wrong SHA-256, the upload's
body, headers and query, backup ids by prefix, and the confirmations."""
import hashlib
import http.server
import json
import os
import re
import shutil
import tempfile
import threading
import zipfile

import pytest

import runtime as rt
from conftest import unique
from test_cli import API, USAGE, Cli, run_tty


def test_backup_help_and_usage_errors(berthd):
    c = Cli(berthd.url)
    try:
        out = c.ok("backup", "--help")
        for verb in ("list", "show", "download", "restore", "delete", "verify"):
            assert "berth backup %s" % verb in out, out
        out = c.ok("env", "--help")
        assert "berth env backup ENV" in out and "berth env import ENV FILE" in out, out
        assert "--continue" in c.ok("backup", "download", "--help")
        # not an id nor 8 characters of one: refused before any request
        p = c.fails(USAGE, "backup", "show", "abc")
        assert "not a backup id" in p.stderr, p.stderr
        p = c.fails(USAGE, "env", "backup", "shop", "--scope", "everything")
        assert "--scope" in p.stderr
        p = c.fails(USAGE, "env", "import", "shop", "/nonexistent/file.zip")
        assert "cannot open /nonexistent/file.zip" in p.stderr
    finally:
        c.cleanup()


class StandIn(http.server.ThreadingHTTPServer):
    """The backup routes of the API contract, in memory: one production environment with two
    backups (ids b1…, b2…), the archive of b1, and what was uploaded."""
    ORG = "0f000000-0000-4000-8000-000000000000"
    ENV = "e1000000-0000-4000-8000-000000000000"
    B1 = "b1000000-0000-4000-8000-000000000001"
    B2 = "b2000000-0000-4000-8000-000000000002"

    def __init__(self):
        super().__init__(("127.0.0.1", 0), StandInHandler)
        self.data = os.urandom(3 * 1024 * 1024 + 17)
        self.ignore_range = False
        self.bad_sha = False
        self.uploads, self.posts, self.deleted = [], [], []
        env = {"id": self.ENV, "name": "shop-prod", "environment_type": "production",
               "project_id": "9f000000-0000-4000-8000-000000000000"}
        self.env = env

        def backup(i, bid, status):
            return {"id": bid, "environment_id": self.ENV, "environment_name": "shop-prod",
                    "project_id": env["project_id"], "scope": "full", "kind": "manual",
                    "status": status, "error": None, "format": "zip",
                    "size_bytes": len(self.data) if status == "done" else None,
                    "sha256": hashlib.sha256(self.data).hexdigest() if status == "done" else None,
                    "created_at": "2026-01-0%dT10:00:00Z" % i, "finished_at": None,
                    "duration_ms": None, "expires_at": None,
                    "download_name": "shop_2026-01-0%d_10-00-00.zip" % i,
                    "verification": {"status": "passed", "verified_at": "2026-01-01T11:00:00Z",
                                     "duration_ms": 1500, "job_id": "j", "error": None,
                                     "checks": {"tables": {"ok": True}}} if i == 1 else None}
        self.backups = [backup(1, self.B1, "done"), backup(2, self.B2, "running")]

    def start(self):
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return "http://127.0.0.1:%d" % self.server_address[1]


class StandInHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def reply(self, code, obj=None, body=None, headers=()):
        data = body if body is not None else (json.dumps(obj).encode() if obj is not None else b"")
        self.send_response(code)
        if body is None:
            self.send_header("Content-Type", "application/json")
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def not_found(self):
        self.reply(404, {"error": {"code": "BACKUP_NOT_FOUND", "message": "Backup not found"}})

    def do_GET(self):
        s, p = self.server, self.path.split("?")[0]
        by_id = {b["id"]: b for b in s.backups}
        if p == "/api/v1/orgs/%s/environments" % s.ORG:
            return self.reply(200, [s.env])
        if p == "/api/v1/environments/%s" % s.ENV:
            return self.reply(200, s.env)
        if p == "/api/v1/environments/%s/backups" % s.ENV:
            return self.reply(200, [b for b in s.backups if b["id"] not in s.deleted])
        m = re.match(r"^/api/v1/backups/([^/]+)(/download)?$", p)
        if not m or m.group(1) not in by_id or m.group(1) in s.deleted:
            return self.not_found()
        if not m.group(2):
            return self.reply(200, by_id[m.group(1)])
        data = s.data if not s.bad_sha else s.data[:-1] + b"x"
        rng = self.headers.get("Range")
        if rng and not s.ignore_range:
            start = int(re.match(r"bytes=(\d+)-$", rng).group(1))
            return self.reply(206, body=data[start:], headers=[
                ("Content-Range", "bytes %d-%d/%d" % (start, len(data) - 1, len(data))),
                ("Accept-Ranges", "bytes")])
        return self.reply(200, body=data, headers=[("Accept-Ranges", "bytes")])

    def do_POST(self):
        s, p = self.server, self.path.split("?")[0]
        n = int(self.headers.get("Content-Length", "0"))
        h, left = hashlib.sha256(), n
        while left > 0:
            chunk = self.rfile.read(min(left, 1 << 16))
            h.update(chunk)
            left -= len(chunk)
        if p.endswith("/backups/import"):
            s.uploads.append({"path": self.path, "type": self.headers.get("Content-Type"),
                              "size": n, "sha256": h.hexdigest()})
            return self.reply(202, {"id": "job-import", "type": "backup_import", "status": "queued",
                                    "environment_name": "shop-prod"})
        s.posts.append(p)
        return self.reply(202, {"id": "job-1", "type": "restore", "status": "queued",
                                "environment_name": "shop-prod"})

    def do_DELETE(self):
        s = self.server
        s.deleted.append(self.path.rsplit("/", 1)[1])
        self.reply(204)


def test_backup_cli_transfers_against_a_stand_in():
    srv = StandIn()
    url = srv.start()
    c = Cli(url)
    work = tempfile.mkdtemp(prefix="berth-backup-xfer-")
    env = {"BERTH_TOKEN": "bt_standin"}
    org = "--org=" + StandIn.ORG
    try:
        good = hashlib.sha256(srv.data).hexdigest()
        # list: short ids, sizes, ages, the verified mark
        out = c.ok("backup", "list", StandIn.ENV, env=env)
        assert out.splitlines()[0].split() == ["ID", "KIND", "SCOPE", "STATUS", "SIZE", "AGE", "VERIFIED"]
        row = [l for l in out.splitlines() if l.startswith("b1000000")][0]
        assert "3.0 MB" in row and "ago" in row and row.rstrip().endswith("✓"), out
        # a prefix names a backup; too short a prefix is refused
        out = c.ok("backup", "show", "b1000000", org, env=env)
        assert StandIn.B1 in out and "(3145745 bytes)" in out, out
        c.fails(USAGE, "backup", "show", "b100", org, env=env)
        c.fails(API, "backup", "show", "c0ffee00", org, env=env)
        # download: the default name, checked; an existing file is kept
        os.chdir(work)
        out = c.ok("backup", "download", StandIn.B1, env=env)
        path = os.path.join(work, "shop_2026-01-01_10-00-00.zip")
        assert "SHA-256 checked" in out and sha256(path) == good, out
        c.fails(USAGE, "backup", "download", StandIn.B1, env=env)
        # resumed from where the file ends (206)
        with open(path, "r+b") as f:
            f.truncate(1000000)
        c.ok("backup", "download", StandIn.B1, "-o", path, "--continue", env=env)
        assert sha256(path) == good
        # the server sends the whole archive instead (200): the file starts over
        srv.ignore_range = True
        with open(path, "r+b") as f:
            f.truncate(5)
            f.seek(0)
            f.write(b"XXXXX")
        c.ok("backup", "download", StandIn.B1, "-o", path, "--continue", env=env)
        assert sha256(path) == good
        # an archive whose SHA-256 is not the backup's: an error
        srv.bad_sha = True
        p = c.fails(API, "backup", "download", StandIn.B1, "-o", os.path.join(work, "bad.zip"), env=env)
        assert "SHA-256" in p.stderr, p.stderr
        srv.bad_sha = False
        # a running backup does not download
        c.fails(API, "backup", "download", StandIn.B2, env=env)
        # import: the file is the body, with its type and the options in the query
        out = c.ok("env", "import", StandIn.ENV, path, "--yes", "--no-filestore", env=env)
        assert "Import of shop-prod queued" in out, out
        up = srv.uploads[-1]
        assert up["type"] == "application/zip" and up["size"] == len(srv.data)
        assert up["sha256"] == good
        assert "filename=shop_2026-01-01_10-00-00.zip" in up["path"]
        assert "safety_backup=true" in up["path"] and "include_filestore=false" in up["path"]
        dump = os.path.join(work, "x.dump")
        with open(dump, "wb") as f:
            f.write(b"PGDMP")
        c.ok("env", "import", StandIn.ENV, dump, "--yes", "--no-safety-backup", env=env)
        assert srv.uploads[-1]["type"] == "application/octet-stream"
        assert "safety_backup=false" in srv.uploads[-1]["path"]
        # a production environment: its name typed, or --yes; never without a terminal
        p = c.fails(USAGE, "env", "import", StandIn.ENV, dump, env=env)
        assert "--yes" in p.stderr
        code, text = run_tty(c, ["backup", "restore", StandIn.B1],
                             [("Type its name to confirm: ", "shop\n")], env=env)
        assert code == USAGE and "not confirmed" in text, text
        assert not srv.posts
        code, text = run_tty(c, ["backup", "restore", StandIn.B1, "--no-filestore"],
                             [("Type its name to confirm: ", "shop-prod\n")], env=env)
        assert code == 0 and "Restore of shop-prod queued" in text, text
        assert srv.posts == ["/api/v1/backups/%s/restore" % StandIn.B1]
        # delete: asked, or --yes
        c.fails(USAGE, "backup", "delete", StandIn.B1, env=env)
        out = c.ok("backup", "delete", StandIn.B1, "--yes", env=env)
        assert srv.deleted == [StandIn.B1] and "Deleted backup" in out
    finally:
        os.chdir("/")
        srv.shutdown()
        shutil.rmtree(work, ignore_errors=True)
        c.cleanup()


@pytest.fixture
def platform():
    if not rt.docker_available():
        pytest.skip("no Docker Engine")
    rt.ensure_standin()
    from test_runtime import make_platform
    yield from make_platform()


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def test_backup_cli_round_trip(platform):
    a = platform
    from test_runtime import create_env
    env = create_env(a, name=unique("stg"))
    r = a.get("/api/v1/environments/%s/backups" % env["id"])
    if r.status_code == 404:
        pytest.skip("this berthd has no backup routes yet (GET /environments/{id}/backups "
                    "answers 404: issue 12's server side is not merged)")
    plan = a.get("/api/v1/orgs/%s" % a.org_id).json_body["plan"]
    assert a.patch("/api/v1/plans/%s" % plan["id"], {"allow_backup": True}).status_code == 200
    rt.run_job(a, "POST", "/api/v1/environments/%s/deploy" % env["id"])
    db = env["name"]
    rt.psql(env["id"], db, "INSERT INTO res_partner(name) VALUES ('before backup')")

    c = Cli(a.berthd.url)
    work = tempfile.mkdtemp(prefix="berth-backup-cli-")
    try:
        c.login()
        name = env["name"]
        # a backup, followed: the log, then its id
        out = c.ok("env", "backup", name, "--follow")
        assert "queued: job" in out and "berth backup download" in out, out
        backups = c.json("backup", "list", name)
        assert backups and backups[0]["status"] == "done" and backups[0]["kind"] == "manual"
        b = backups[0]
        short = b["id"][:8]
        out = c.ok("backup", "list", name)
        assert out.startswith("ID ") and "VERIFIED" in out.splitlines()[0]
        assert short in out and "manual" in out and ("ago" in out or "just now" in out), out
        out = c.ok("backup", "show", short)
        assert "status:" in out and "done" in out and b["id"] in out, out

        # download (named as the backup's download_name), a zip Odoo restores
        os.chdir(work)
        out = c.ok("backup", "download", short)
        path = os.path.join(work, b["download_name"])
        assert "SHA-256 checked" in out and os.path.exists(path), out
        assert os.path.getsize(path) == b["size_bytes"]
        assert sha256(path) == b["sha256"]
        names = zipfile.ZipFile(path).namelist()
        assert "dump.sql" in names and "manifest.json" in names, names[:20]
        # an existing file is not overwritten; --continue resumes a cut download
        c.fails(USAGE, "backup", "download", short, "-o", path)
        with open(path, "r+b") as f:
            f.truncate(b["size_bytes"] // 2)
        out = c.ok("backup", "download", short, "-o", path, "--continue")
        assert sha256(path) == b["sha256"] and "SHA-256 checked" in out, out

        # verification, followed
        out = c.ok("backup", "verify", short, "--follow")
        assert "passed" in out, out
        assert "✓" in c.ok("backup", "list", name)

        # restore: refused without --yes when not interactive, asked on a terminal
        rt.psql(env["id"], db, "INSERT INTO res_partner(name) VALUES ('after backup')")
        p = c.fails(USAGE, "backup", "restore", short)
        assert "--yes" in p.stderr
        code, text = run_tty(c, ["backup", "restore", short], [("Continue? [y/N] ", "n\n")])
        assert code == USAGE and "not confirmed" in text, text
        out = c.ok("backup", "restore", short, "--yes", "--follow")
        assert rt.psql(env["id"], db, "SELECT count(*) FROM res_partner WHERE name='after backup'") == "0"
        assert rt.psql(env["id"], db, "SELECT count(*) FROM res_partner WHERE name='before backup'") == "1"

        # import the downloaded zip back (a staging environment: no question asked)
        rt.psql(env["id"], db, "INSERT INTO res_partner(name) VALUES ('before import')")
        out = c.ok("env", "import", name, path, "--no-safety-backup", "--follow")
        assert "queued: job" in out, out
        assert rt.psql(env["id"], db, "SELECT count(*) FROM res_partner WHERE name='before import'") == "0"

        # delete: asked, or --yes; then it is gone
        c.fails(USAGE, "backup", "delete", short)
        assert "Deleted backup" in c.ok("backup", "delete", short, "--yes")
        p = c.fails(API, "backup", "show", b["id"])
        assert "BACKUP_NOT_FOUND" in p.stderr, p.stderr
    finally:
        os.chdir("/")
        shutil.rmtree(work, ignore_errors=True)
        c.cleanup()
