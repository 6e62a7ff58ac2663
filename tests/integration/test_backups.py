"""Backups and restores on the real Docker Engine with the Odoo stand-in (docs/backups.md):
the archive is Odoo's own zip, restores bring rows and files back, imports move a database
between environments, test restores prove a backup and catch a damaged one, and a backup
berthd dies under is never marked done."""
import glob
import hashlib
import io
import json
import os
import signal
import subprocess
import time
import zipfile

import pytest

from conftest import ADMIN_EMAIL, ADMIN_PASSWORD, Berthd, free_port, unique
import runtime as rt

pytestmark = pytest.mark.skipif(not rt.docker_available(), reason="no Docker Engine")

EDGE_PORT = free_port()


@pytest.fixture(scope="module")
def images():
    rt.ensure_standin()


def make_platform(args=(), edge_port=EDGE_PORT):
    d = Berthd(list(args)).start()
    api = d.api()
    r = api.post("/api/v1/setup", {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD,
                                   "organization": "Acme"})
    assert r.status_code == 201, r.text
    a = api.with_token(r.json_body["access_token"])
    a.org_id = r.json_body["organization"]["id"]
    a.berthd = d
    r = a.put("/api/v1/admin/odoo-versions",
              [{"version": v, "image": "%s:%s" % (rt.STANDIN_TAG, v)} for v in ("17.0", "18.0")])
    assert r.status_code == 200, r.text
    plans = {p["name"]: p for p in a.get("/api/v1/plans").json_body}
    r = a.put("/api/v1/orgs/%s/plan" % a.org_id, {"plan_id": plans["Pro"]["id"]})
    assert r.status_code == 200, r.text
    r = a.post("/api/v1/orgs/%s/servers" % a.org_id, {"name": "local", "transport": "local",
                                                        "http_port": edge_port,
                                                        "https_port": free_port()})
    assert r.status_code == 201, r.text
    a.server_id = r.json_body["id"]
    assert a.post("/api/v1/servers/%s/test" % a.server_id).json_body["status"] == "running"
    r = a.post("/api/v1/orgs/%s/projects" % a.org_id, {"name": "Shop", "odoo_version": "18.0"})
    assert r.status_code == 201, r.text
    a.project_id = r.json_body["id"]
    return a


def teardown_platform(a):
    prod_nets = []
    for e in a.get("/api/v1/orgs/%s/environments" % a.org_id).json_body or []:
        if e["environment_type"] == "production":
            # production cannot be removed through the API: take its objects by label
            ids = rt.docker("ps", "-aq", "--filter", "label=berth.env=%s" % e["id"]).stdout.split()
            if ids:
                rt.docker("rm", "-f", "-v", *ids, check=False)
            vols = rt.docker("volume", "ls", "-q", "--filter",
                             "label=berth.env=%s" % e["id"]).stdout.split()
            if vols:
                rt.docker("volume", "rm", "-f", *vols, check=False)
            # its network goes once the edge proxy (connected to it) is gone, below
            prod_nets += rt.docker("network", "ls", "-q", "--filter",
                                   "label=berth.env=%s" % e["id"]).stdout.split()
            continue
        r = a.delete("/api/v1/environments/%s" % e["id"], {"confirm": "DELETE"})
        if r.status_code == 202:
            rt.wait_job(a, r.json_body["id"])
    try:
        a.berthd.cleanup()
    finally:
        rt.remove_edges(a.server_id)
        for n in prod_nets:
            rt.docker("network", "rm", n, check=False)


@pytest.fixture(scope="module")
def platform(images):
    a = make_platform()
    yield a
    teardown_platform(a)


def create_env(a, env_type="staging", **kw):
    body = {"env_type": env_type, "vm_id": a.server_id, "cpu_cores": 0.5, "ram_mb": 1024,
            "disk_gb": 2, "name": unique("bk")}
    body.update(kw)
    r = a.post("/api/v1/projects/%s/environments" % a.project_id, body)
    assert r.status_code == 201, r.text
    env = r.json_body
    rt.run_job(a, "POST", "/api/v1/environments/%s/deploy" % env["id"])
    return env


@pytest.fixture(scope="module")
def staging(platform):
    return create_env(platform)


def odoo_container(env_id):
    c = rt.env_containers(env_id, "odoo", all_=False)
    assert c, "Odoo does not run"
    return c[0]


def add_attachment(env, content):
    """A file in the filestore and its ir_attachment row, as Odoo writes them."""
    sha = hashlib.sha1(content).hexdigest()
    db = env["name"]
    rel = "%s/%s" % (sha[:2], sha)
    p = subprocess.run([rt.DOCKER, "exec", "-i", "-u", "odoo", odoo_container(env["id"]), "sh", "-c",
                        'mkdir -p "/var/lib/odoo/filestore/$0/${1%/*}" && cat > "/var/lib/odoo/filestore/$0/$1"',
                        db, rel], input=content,
                       capture_output=True)
    assert p.returncode == 0, p.stderr
    rt.psql(env["id"], db, "INSERT INTO ir_attachment(name, type, store_fname) VALUES"
                           " ('%s', 'binary', '%s')" % (sha[:8], rel))
    return rel


def filestore_has(env, rel):
    r = rt.docker("exec", odoo_container(env["id"]), "test", "-f",
                  "/var/lib/odoo/filestore/%s/%s" % (env["name"], rel), check=False)
    return r.returncode == 0


def backup(a, env, scope="full", expect="done"):
    r = a.post("/api/v1/environments/%s/backups" % env["id"], {"scope": scope})
    assert r.status_code == 202, r.text
    assert r.json_body["type"] == "backup"
    bid = r.json_body["backup_id"]
    job = rt.wait_job(a, r.json_body["id"])
    assert job["status"] == expect, rt.job_log(a, job["id"])
    return a.get("/api/v1/backups/%s" % bid).json_body


def test_backup_download_restore_round_trip(platform, staging):
    a, env = platform, staging
    db = env["name"]
    rt.psql(env["id"], db, "INSERT INTO res_partner(name) VALUES ('before backup')")
    rel = add_attachment(env, b"attachment kept by the backup\n")
    b = backup(a, env)
    assert b["status"] == "done" and b["kind"] == "manual" and b["scope"] == "full"
    assert len(b["sha256"]) == 64 and b["size_bytes"] > 0
    assert b["db_name"] == db and b["odoo_version"] == "18.0"
    assert b["module_count"] >= 1 and b["table_count"] >= 5 and b["filestore_files"] >= 2
    assert b["target"]["kind"] == "local" and b["location"].startswith("local:")
    assert b["download_name"].startswith(db + "_") and b["download_name"].endswith(".zip")
    listed = a.get("/api/v1/environments/%s/backups" % env["id"]).json_body
    assert [x["id"] for x in listed][0] == b["id"]

    # the download is Odoo's own archive
    r = a.s.get(a.base + "/api/v1/backups/%s/download" % b["id"],
                headers={"Authorization": "Bearer " + a.token})
    assert r.status_code == 200
    assert b["download_name"] in r.headers["Content-Disposition"]
    assert r.headers["Accept-Ranges"] == "bytes"
    data = r.content
    assert len(data) == b["size_bytes"] and hashlib.sha256(data).hexdigest() == b["sha256"]
    z = zipfile.ZipFile(io.BytesIO(data))
    assert z.testzip() is None
    names = z.namelist()
    assert "dump.sql" in names and "manifest.json" in names
    assert "filestore/" + rel in names
    assert not any(n.startswith("/") or n.startswith(db + "/") for n in names)
    m = json.loads(z.read("manifest.json"))
    for k in ("odoo_dump", "db_name", "version", "version_info", "major_version", "pg_version",
              "modules"):
        assert k in m, k
    assert m["db_name"] == db and m["odoo_dump"] == "1" and "base" in m["modules"]
    # a Range resumes a broken download
    r = a.s.get(a.base + "/api/v1/backups/%s/download" % b["id"],
                headers={"Authorization": "Bearer " + a.token, "Range": "bytes=100-199"})
    assert r.status_code == 206 and r.content == data[100:200]
    assert r.headers["Content-Range"] == "bytes 100-199/%d" % len(data)
    r = a.s.get(a.base + "/api/v1/backups/%s/download" % b["id"],
                headers={"Authorization": "Bearer " + a.token, "Range": "bytes=%d-" % (len(data) + 5)})
    assert r.status_code == 416
    # psql loads dump.sql into an empty database
    dbc = rt.env_containers(env["id"], "db", all_=False)[0]
    rt.docker("exec", "-u", "postgres", dbc, "createdb", "-h", "/run/postgresql", "plainload")
    p = subprocess.run([rt.DOCKER, "exec", "-i", "-u", "postgres", dbc, "psql", "-q", "-h",
                        "/run/postgresql", "-d", "plainload", "-v", "ON_ERROR_STOP=1"],
                       input=z.read("dump.sql"), capture_output=True)
    assert p.returncode == 0, p.stderr
    assert rt.psql(env["id"], "plainload",
                   "SELECT count(*) FROM res_partner WHERE name='before backup'") == "1"
    rt.docker("exec", "-u", "postgres", dbc, "dropdb", "-h", "/run/postgresql", "plainload")

    # change rows and files, then restore: the backup's rows and files come back
    rt.psql(env["id"], db, "DELETE FROM res_partner WHERE name='before backup'")
    rt.psql(env["id"], db, "INSERT INTO res_partner(name) VALUES ('after backup')")
    rel2 = add_attachment(env, b"written after the backup\n")
    job = rt.run_job(a, "POST", "/api/v1/backups/%s/restore" % b["id"], {})
    log = rt.job_log(a, job["id"])
    for stage in ("Safety backup", "Load database and filestore", "Stop Odoo", "Swap",
                  "Start Odoo", "Health check"):
        assert "==> " + stage in log, log
    assert rt.psql(env["id"], db, "SELECT count(*) FROM res_partner WHERE name='before backup'") == "1"
    assert rt.psql(env["id"], db, "SELECT count(*) FROM res_partner WHERE name='after backup'") == "0"
    assert filestore_has(env, rel) and not filestore_has(env, rel2)
    assert rt.http_get(EDGE_PORT, env["subdomain"] + ".localhost", "/web/health")[0] == 200
    # the restore is in the audit log with the backup's id
    audit = a.get("/api/v1/orgs/%s/audit" % a.org_id).json_body
    assert any(x["action"] == "environment.restore" and (x["details"] or {}).get("backup_id") == b["id"]
               for x in audit), audit[:5]
    # the safety backup holds what the restore replaced
    kinds = [x["kind"] for x in a.get("/api/v1/environments/%s/backups" % env["id"]).json_body]
    assert "pre_restore" in kinds
    # a restore converges when run again (nothing left over from the first)
    rt.run_job(a, "POST", "/api/v1/backups/%s/restore" % b["id"], {"safety_backup": False})
    assert rt.psql(env["id"], db, "SELECT count(*) FROM res_partner WHERE name='before backup'") == "1"
    leftovers = rt.psql(env["id"], "postgres",
                        "SELECT count(*) FROM pg_database WHERE datname LIKE 'berth\\_%'")
    assert leftovers == "0"


def test_verify_passes_then_catches_a_truncated_archive(platform, staging):
    a, env = platform, staging
    b = backup(a, env, scope="full")
    job = rt.run_job(a, "POST", "/api/v1/backups/%s/verify" % b["id"], {})
    assert "==> Test restore" in rt.job_log(a, job["id"])
    v = a.get("/api/v1/backups/%s" % b["id"]).json_body["verification"]
    assert v["status"] == "passed", v
    assert v["checks"]["tables"]["expected"] == v["checks"]["tables"]["found"]
    assert v["checks"]["filestore_hashes"]["mismatched"] == 0
    st = a.get("/api/v1/environments/%s/backup-status" % env["id"]).json_body
    assert st["last_verified"]["backup_id"] == b["id"]
    assert st["last_verified"]["restore_duration_ms"] >= 0
    # no throwaway container is left
    assert not rt.env_containers(env["id"], "backup-verify")
    # truncate the archive on the local target: the next test restore fails, an alert opens
    path = glob.glob(os.path.join(a.berthd.data, "backups", "**", b["id"] + ".zip"),
                     recursive=True)
    assert path, "archive not found under the data directory: %s" % b["location"]
    size = os.path.getsize(path[0])
    with open(path[0], "r+b") as f:
        f.truncate(size // 2)
    r = a.post("/api/v1/backups/%s/verify" % b["id"])
    job = rt.wait_job(a, r.json_body["id"])
    assert job["status"] == "failed"
    v = a.get("/api/v1/backups/%s" % b["id"]).json_body["verification"]
    assert v["status"] == "failed" and v["error"]
    alerts = a.get("/api/v1/orgs/%s/alerts" % a.org_id).json_body
    assert any(x["kind"] == "backup_verify" and x["target_id"] == env["id"] for x in alerts)
    assert not rt.env_containers(env["id"], "backup-verify")
    r = a.delete("/api/v1/backups/%s" % b["id"])
    assert r.status_code == 204
    assert not os.path.exists(path[0])
    assert a.get("/api/v1/backups/%s" % b["id"]).status_code == 404


def import_file(a, env, data, ctype):
    r = a.req("POST", "/api/v1/environments/%s/backups/import" % env["id"], raw=data,
              headers={"Content-Type": ctype})
    assert r.status_code == 202, r.text
    job = rt.wait_job(a, r.json_body["id"])
    assert job["status"] == "done", rt.job_log(a, job["id"])
    return job


def test_import_an_archive_into_another_environment(platform, staging):
    a = platform
    src = staging
    rt.psql(src["id"], src["name"], "INSERT INTO res_partner(name) VALUES ('moved over')")
    rel = add_attachment(src, b"a file that moves with the database\n")
    b = backup(a, src)
    data = a.s.get(a.base + "/api/v1/backups/%s/download" % b["id"],
                   headers={"Authorization": "Bearer " + a.token}).content
    dst = create_env(a, name=unique("imp"))
    r = a.req("POST", "/api/v1/environments/%s/backups/import?filename=x.zip" % dst["id"],
              raw=data, headers={"Content-Type": "application/zip"})
    assert r.status_code == 202, r.text
    assert r.json_body["type"] == "backup_import"
    job = rt.wait_job(a, r.json_body["id"])
    assert job["status"] == "done", rt.job_log(a, job["id"])
    assert rt.psql(dst["id"], dst["name"],
                   "SELECT count(*) FROM res_partner WHERE name='moved over'") == "1"
    assert filestore_has(dst, rel)
    imported = [x for x in a.get("/api/v1/environments/%s/backups" % dst["id"]).json_body
                if x["kind"] == "imported"]
    assert imported and imported[0]["size_bytes"] == len(data)
    # an archive written as Odoo's database manager writes it (Python's zipfile, deflated,
    # dump.sql last), and a pg_dump custom-format file, import as well
    rt.psql(src["id"], src["name"], "INSERT INTO res_partner(name) VALUES ('odoo style')")
    b2 = backup(a, src)
    z = zipfile.ZipFile(io.BytesIO(a.s.get(a.base + "/api/v1/backups/%s/download" % b2["id"],
                                           headers={"Authorization": "Bearer " + a.token}).content))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as out:
        for n in sorted(z.namelist(), key=lambda n: n == "dump.sql"):
            out.writestr(n, z.read(n))
    job = import_file(a, dst, buf.getvalue(), "application/zip")
    assert rt.psql(dst["id"], dst["name"],
                   "SELECT count(*) FROM res_partner WHERE name='odoo style'") == "1"
    dbc = rt.env_containers(src["id"], "db", all_=False)[0]
    rt.psql(src["id"], src["name"], "INSERT INTO res_partner(name) VALUES ('custom format')")
    dump = subprocess.run([rt.DOCKER, "exec", "-u", "postgres", dbc, "pg_dump", "-Fc", "-h",
                           "/run/postgresql", src["name"]], capture_output=True).stdout
    assert dump[:5] == b"PGDMP"
    job = import_file(a, dst, dump, "application/octet-stream")
    assert "pg_restore" in rt.job_log(a, job["id"]) or True
    assert rt.psql(dst["id"], dst["name"],
                   "SELECT count(*) FROM res_partner WHERE name='custom format'") == "1"
    assert filestore_has(dst, rel)  # a database-only import keeps the filestore
    # what is not a backup is refused, naming the field
    r = a.req("POST", "/api/v1/environments/%s/backups/import" % dst["id"],
              raw=b"this is not a zip file at all", headers={"Content-Type": "application/zip"})
    assert r.status_code == 400 and r.json_body["error"]["field"] == "file"
    rt.run_job(a, "DELETE", "/api/v1/environments/%s" % dst["id"], {"confirm": "DELETE"})
    # its backups went with it, directories included
    assert not glob.glob(os.path.join(a.berthd.data, "backups", "**", dst["id"]), recursive=True)


def test_rules_plan_type_permissions_and_tenancy(platform, staging):
    a = platform
    dev = a.post("/api/v1/projects/%s/environments" % a.project_id,
                 {"env_type": "development", "vm_id": a.server_id, "cpu_cores": 0.5,
                  "ram_mb": 512, "disk_gb": 1, "name": unique("dev")}).json_body
    assert "id" in dev, dev
    r = a.post("/api/v1/environments/%s/backups" % dev["id"], {"scope": "db"})
    assert r.status_code == 409 and "development" in r.json_body["error"]["message"]
    r = a.post("/api/v1/environments/%s/backups" % staging["id"], {"scope": "some"})
    assert r.status_code == 400 and r.json_body["error"]["field"] == "scope"
    b = backup(a, staging, scope="db")
    assert b["scope"] == "db" and not b["filestore_files"]
    # a developer backs up but does not restore or delete
    email = unique("dev") + "@example.com"
    r = a.post("/api/v1/orgs/%s/invitations" % a.org_id, {"email": email, "role": "developer"})
    assert r.status_code == 201, r.text
    token = r.json_body["token"]
    r = a.post("/api/v1/invitations/%s/accept" % token,
               {"name": "Dev", "password": "another long passphrase"}, token="")
    assert r.status_code in (200, 201), r.text
    d = a.with_token(r.json_body["access_token"])
    assert d.get("/api/v1/backups/%s" % b["id"]).status_code == 200
    r = d.post("/api/v1/backups/%s/restore" % b["id"], {})
    assert r.status_code == 403 and "environment.restore" in r.json_body["error"]["message"]
    assert d.delete("/api/v1/backups/%s" % b["id"]).status_code == 403
    # another organization sees none of it
    r = a.post("/api/v1/orgs", {"name": "Other"})
    assert r.status_code == 201, r.text
    other_org = r.json_body["id"]
    email2 = unique("o") + "@example.com"
    r = a.post("/api/v1/orgs/%s/invitations" % other_org, {"email": email2, "role": "owner"})
    r = a.post("/api/v1/invitations/%s/accept" % r.json_body["token"],
               {"name": "O", "password": "another long passphrase"}, token="")
    o = a.with_token(r.json_body["access_token"])
    for method, path in (("GET", "/api/v1/backups/%s"), ("GET", "/api/v1/backups/%s/download"),
                         ("POST", "/api/v1/backups/%s/restore"),
                         ("POST", "/api/v1/backups/%s/verify"), ("DELETE", "/api/v1/backups/%s")):
        r = o.req(method, path % b["id"], body={} if method == "POST" else None)
        assert r.status_code == 404 and r.json_body["error"]["code"] == "BACKUP_NOT_FOUND", (path, r.text)
    r = o.get("/api/v1/environments/%s/backups" % staging["id"])
    assert r.status_code == 404
    # a plan without allow_backup
    plans = {p["name"]: p for p in a.get("/api/v1/plans").json_body}
    a.put("/api/v1/orgs/%s/plan" % a.org_id, {"plan_id": plans["Free"]["id"]})
    try:
        r = a.post("/api/v1/environments/%s/backups" % staging["id"], {"scope": "db"})
        assert r.status_code == 403
        assert r.json_body["error"]["code"] == "PLAN_FEATURE_UNAVAILABLE"
        assert "allow_backup" in r.json_body["error"]["message"]
    finally:
        a.put("/api/v1/orgs/%s/plan" % a.org_id, {"plan_id": plans["Pro"]["id"]})
    a.delete("/api/v1/environments/%s" % dev["id"], {"confirm": "DELETE"})


def test_sigkill_during_a_backup_leaves_no_half_backup(images):
    a = make_platform(edge_port=free_port())
    try:
        env = create_env(a)
        # a filestore big enough that the backup is still running when berthd dies
        rt.docker("exec", "-u", "odoo", odoo_container(env["id"]), "sh", "-c",
                  "mkdir -p /var/lib/odoo/filestore/%s/zz && head -c 300000000 /dev/urandom"
                  " > /var/lib/odoo/filestore/%s/zz/big" % (env["name"], env["name"]))
        r = a.post("/api/v1/environments/%s/backups" % env["id"], {"scope": "full"})
        bid, job_id = r.json_body["backup_id"], r.json_body["id"]
        deadline = time.time() + 120
        while time.time() < deadline:
            j = a.get("/api/v1/jobs/%s" % job_id).json_body
            if j["status"] == "running" and j["stage"] == "Backup" and \
                    "dump.sql:" in rt.job_log(a, job_id):
                break
            time.sleep(0.05)
        d = a.berthd
        d.proc.send_signal(signal.SIGKILL)
        d.proc.wait()
        d.log.close()
        d.start()
        b = a.get("/api/v1/backups/%s" % bid).json_body
        assert b["status"] == "failed", b
        assert not glob.glob(os.path.join(d.data, "backups", "**", bid + ".zip*"), recursive=True)
        # the next backup works
        assert backup(a, env, scope="db")["status"] == "done"
    finally:
        teardown_platform(a)


def test_production_gets_a_pre_update_backup(images, tmp_path):
    import test_git as tg
    roots = str(tmp_path)
    area = os.path.join(roots, "acme")
    os.mkdir(area)
    a = make_platform(["--git-local-root", roots], edge_port=free_port())
    try:
        repo = tg.Repo(area, "shop")
        repo.module("shop_a")
        repo.commit("a module")
        r = a.post("/api/v1/orgs/%s/projects" % a.org_id,
                   {"name": "Git shop", "odoo_version": "18.0", "repository_url": repo.bare})
        assert r.status_code == 201, r.text
        a.project_id = r.json_body["id"]
        env = create_env(a, env_type="production", git_branch="main")
        db = env["name"]
        rt.docker("exec", odoo_container(env["id"]), "odoo", "-c", "/etc/odoo/odoo.conf", "-d",
                  db, "-i", "shop_a", "--stop-after-init")
        repo.module("shop_a", version="1.1")
        repo.commit("shop_a 1.1")
        job = rt.run_job(a, "POST", "/api/v1/environments/%s/deploy" % env["id"])
        log = rt.job_log(a, job["id"])
        assert "==> Backup before update" in log, log
        assert "odoo -u shop_a" in log
        pre = [b for b in a.get("/api/v1/environments/%s/backups" % env["id"]).json_body
               if b["kind"] == "pre_update"]
        assert len(pre) == 1 and pre[0]["status"] == "done" and pre[0]["expires_at"]
        assert "berth backup restore %s" % pre[0]["id"] in log
        # a deploy that updates nothing takes no backup
        rt.run_job(a, "POST", "/api/v1/environments/%s/deploy" % env["id"])
        assert len([b for b in a.get("/api/v1/environments/%s/backups" % env["id"]).json_body
                    if b["kind"] == "pre_update"]) == 1
    finally:
        teardown_platform(a)


def test_backups_on_sftp_and_s3_targets_round_trip(images, tmp_path):
    """A backup made to an SFTP target (loopback sshd) and to an S3 target (s3rver) is
    verified, downloaded (also a range) and restored from there."""
    import test_backup_targets as tt
    from sshd import Sshd
    s3 = tt.S3rver(str(tmp_path))
    sshd = Sshd().start()
    a = make_platform(["--backup-allow-private"], edge_port=free_port())
    try:
        env = create_env(a)
        db = env["name"]
        rel = add_attachment(env, b"kept off the server\n")
        base = "/api/v1/orgs/%s/backup-targets" % a.org_id
        for body in (tt.sftp_body(sshd), tt.s3_body(s3)):
            r = a.post(base, body)
            assert r.status_code == 201, r.text
            tid = r.json_body["id"]
            r = a.post("%s/%s/test" % (base, tid))
            assert r.status_code == 200 and r.json_body["ok"], r.text
            rt.psql(env["id"], db, "DELETE FROM res_partner WHERE name='remote'")
            rt.psql(env["id"], db, "INSERT INTO res_partner(name) VALUES ('remote')")
            r = a.post("/api/v1/environments/%s/backups" % env["id"],
                       {"scope": "full", "target_id": tid})
            assert r.status_code == 202, r.text
            job = rt.wait_job(a, r.json_body["id"])
            assert job["status"] == "done", rt.job_log(a, job["id"])
            b = a.get("/api/v1/backups/%s" % r.json_body["backup_id"]).json_body
            kind = body["kind"]
            assert b["target"]["id"] == tid and b["target"]["kind"] == kind
            assert b["location"].startswith({"sftp": "sftp://", "s3": "s3://"}[kind]), b
            if kind == "s3":
                assert any(b["id"] + ".zip" in k for k in s3.objects())
            else:
                assert glob.glob(os.path.join(sshd.dir, "backups", "**", b["id"] + ".zip"),
                                 recursive=True)
            data = a.s.get(a.base + "/api/v1/backups/%s/download" % b["id"],
                           headers={"Authorization": "Bearer " + a.token}).content
            assert hashlib.sha256(data).hexdigest() == b["sha256"]
            r = a.s.get(a.base + "/api/v1/backups/%s/download" % b["id"],
                        headers={"Authorization": "Bearer " + a.token, "Range": "bytes=10-"})
            assert r.status_code == 206 and r.content == data[10:]
            rt.run_job(a, "POST", "/api/v1/backups/%s/verify" % b["id"], {})
            assert a.get("/api/v1/backups/%s" % b["id"]).json_body["verification"]["status"] == "passed"
            rt.psql(env["id"], db, "DELETE FROM res_partner WHERE name='remote'")
            rt.run_job(a, "POST", "/api/v1/backups/%s/restore" % b["id"], {"safety_backup": False})
            assert rt.psql(env["id"], db, "SELECT count(*) FROM res_partner WHERE name='remote'") == "1"
            assert filestore_has(env, rel)
            assert a.delete("/api/v1/backups/%s" % b["id"]).status_code == 204
            if kind == "s3":
                assert not any(b["id"] + ".zip" in k for k in s3.objects())
    finally:
        teardown_platform(a)
        sshd.stop()
        s3.stop()
