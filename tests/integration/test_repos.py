"""Projects' repositories through the API alone (no Docker): credentials are write-only and
encrypted, local paths are confined to the organization's directory of --git-local-root
(ROOT/<organization slug>/), branches are listed, webhooks of each forge are verified and
parsed, and bad signatures change nothing."""
import hashlib
import hmac
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import uuid

import pytest

from conftest import Berthd, ADMIN_EMAIL, ADMIN_PASSWORD
from test_git import Repo, git


@pytest.fixture
def roots():
    d = tempfile.mkdtemp(prefix="berth-repos-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def area(roots):
    """The area of the setup's organization "Acme" under the local root: ROOT/acme/ (made by
    the platform administrator to grant the organization local repositories)."""
    d = os.path.join(roots, "acme")
    os.mkdir(d)
    return d


@pytest.fixture
def api(roots):
    d = Berthd(["--git-local-root", roots]).start()
    r = d.api().post("/api/v1/setup", {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD,
                                       "organization": "Acme"})
    assert r.status_code == 201, r.text
    a = d.api(r.json_body["access_token"])
    a.org_id = r.json_body["organization"]["id"]
    a.berthd = d
    yield a
    d.cleanup()


def project(a, **kw):
    body = {"name": "P %s" % uuid.uuid4().hex[:6], "odoo_version": "17.0"}
    body.update(kw)
    return a.post("/api/v1/orgs/%s/projects" % a.org_id, body)


def err(r, status, code, field=None):
    assert r.status_code == status, r.text
    assert r.json_body["error"]["code"] == code, r.text
    if field:
        assert r.json_body["error"]["field"] == field, r.text


def test_credentials_are_write_only_and_sealed(api, roots):
    a = api
    r = project(a, repository_url="git@github.com:acme/shop.git", deploy_key="generate",
                access_token="ghp_secretvalue123", git_username="bot")
    assert r.status_code == 201, r.text
    p = r.json_body
    assert p["has_deploy_key"] and p["has_access_token"] and p["git_username"] == "bot"
    assert p["deploy_public_key"].startswith("ssh-ed25519 ")
    for k in ("deploy_key", "access_token"):
        assert k not in p
    got = a.get("/api/v1/projects/%s" % p["id"]).json_body
    assert "webhook_secret" not in got and "ghp_secretvalue123" not in json.dumps(got)
    listed = a.get("/api/v1/orgs/%s/projects" % a.org_id).json_body
    assert "ghp_secretvalue123" not in json.dumps(listed)
    # at rest: sealed, and never in berthd's log
    db = sqlite3.connect(os.path.join(a.berthd.data, "berth.db"))
    row = db.execute("SELECT deploy_key, access_token, webhook_secret FROM projects WHERE id=?",
                     (p["id"],)).fetchone()
    db.close()
    assert all(v and v.startswith("v1:") for v in row), row
    assert "PRIVATE KEY" not in str(row) and "ghp_secretvalue123" not in str(row)
    assert "ghp_secretvalue123" not in a.berthd.read_log()
    audit = json.dumps(a.get("/api/v1/orgs/%s/audit" % a.org_id).json_body)
    assert "ghp_secretvalue123" not in audit and "PRIVATE KEY" not in audit
    assert p["webhook_secret"] not in a.berthd.read_log()
    # clearing
    r = a.patch("/api/v1/projects/%s" % p["id"], {"access_token": None, "deploy_key": None})
    assert r.status_code == 200 and not r.json_body["has_access_token"]
    assert not r.json_body["has_deploy_key"] and r.json_body["deploy_public_key"] is None
    # a key that is not one
    err(a.patch("/api/v1/projects/%s" % p["id"], {"deploy_key": "hello"}), 400,
        "VALIDATION_ERROR", "deploy_key")
    err(a.patch("/api/v1/projects/%s" % p["id"], {"poll_interval_s": 5}), 400,
        "VALIDATION_ERROR", "poll_interval_s")
    err(a.patch("/api/v1/projects/%s" % p["id"], {"access_token": "a b"}), 400,
        "VALIDATION_ERROR", "access_token")
    err(a.patch("/api/v1/projects/%s" % p["id"],
                {"repository_url": "https://bob:hunter2@git.example.com/x.git"}), 400,
        "VALIDATION_ERROR", "repository_url")
    # rotate: a new secret, once
    r = a.post("/api/v1/projects/%s/webhook/rotate" % p["id"])
    assert r.status_code == 200 and r.json_body["webhook_secret"] != p["webhook_secret"]
    assert r.json_body["webhook_url"] == p["webhook_url"]


def test_local_paths_only_under_the_local_root(api, roots, area):
    a = api
    outside = tempfile.mkdtemp(prefix="berth-outside-")
    try:
        git(outside, "init", "-q", "--bare", "x.git")
        err(project(a, repository_url=os.path.join(outside, "x.git")), 400, "VALIDATION_ERROR",
            "repository_url")
        err(project(a, repository_url=a.berthd.data), 400, "VALIDATION_ERROR", "repository_url")
        err(project(a, repository_url=os.path.join(area, "missing.git")), 400,
            "VALIDATION_ERROR", "repository_url")
    finally:
        shutil.rmtree(outside, ignore_errors=True)
    repo = Repo(area, "ok")
    repo.write("a.txt", "a")
    head = repo.commit("a")
    git(repo.work, "checkout", "-q", "-b", "dev")
    repo.write("b.txt", "b")
    dev = repo.commit("b", branch="dev")
    r = project(a, repository_url=repo.bare, default_branch="main")
    assert r.status_code == 201, r.text
    r = a.get("/api/v1/projects/%s/branches" % r.json_body["id"])
    assert r.status_code == 200, r.text
    assert r.json_body == [{"name": "dev", "commit": dev, "default": False},
                           {"name": "main", "commit": head, "default": True}]


def test_local_root_is_divided_by_organization(api, roots, area):
    """Each organization may use local repositories only under ROOT/<its slug>/: not another
    organization's, not one right under the root, neither as project repository nor as addon
    repository, and an organization without its directory has none."""
    a = api
    mine = Repo(area, "mine")
    mine.write("a.txt", "a")
    mine.commit("a")
    loose = Repo(roots, "loose")  # right under the root: nobody's
    loose.write("a.txt", "a")
    loose.commit("a")
    err(project(a, repository_url=loose.bare), 400, "VALIDATION_ERROR", "repository_url")
    ok = project(a, repository_url=mine.bare)
    assert ok.status_code == 201, ok.text
    r = a.post("/api/v1/orgs", {"name": "Beta Corp"})
    assert r.status_code == 201, r.text
    beta = r.json_body
    assert beta["slug"] == "beta-corp"
    b = a  # the administrator owns both organizations; project() uses a.org_id
    old_org, a.org_id = a.org_id, beta["id"]
    try:
        for url in (mine.bare, "file://" + mine.bare, loose.bare,
                    os.path.join(roots, "beta-corp", "..", "acme", "mine.git")):
            err(project(b, repository_url=url), 400, "VALIDATION_ERROR", "repository_url")
        os.mkdir(os.path.join(roots, "beta-corp"))  # granted now, still not acme's area
        err(project(b, repository_url=mine.bare), 400, "VALIDATION_ERROR", "repository_url")
        # a link named like beta's area that leads into acme's is not beta's area
        os.rmdir(os.path.join(roots, "beta-corp"))
        os.symlink(area, os.path.join(roots, "beta-corp"))
        err(project(b, repository_url=os.path.join(roots, "beta-corp", "mine.git")), 400,
            "VALIDATION_ERROR", "repository_url")
        os.unlink(os.path.join(roots, "beta-corp"))
        os.mkdir(os.path.join(roots, "beta-corp"))
        theirs = Repo(os.path.join(roots, "beta-corp"), "theirs")
        theirs.write("t.txt", "t")
        theirs.commit("t")
        p = project(b, repository_url="https://git.example.com/beta/shop.git")
        assert p.status_code == 201, p.text
        # a PATCH to acme's repository is refused as well
        err(b.patch("/api/v1/projects/%s" % p.json_body["id"], {"repository_url": mine.bare}),
            400, "VALIDATION_ERROR", "repository_url")
        r = b.patch("/api/v1/projects/%s" % p.json_body["id"], {"repository_url": theirs.bare})
        assert r.status_code == 200, r.text
        # addon repositories: the same rule (checked before anything else of the request)
        envs = "/api/v1/projects/%s/environments" % p.json_body["id"]
        for url in (mine.bare, loose.bare):
            err(b.post(envs, {"addon_repositories": [{"url": url, "branch": "main"}]}), 400,
                "VALIDATION_ERROR", "addon_repositories")
        r = b.post(envs, {"addon_repositories": [{"url": theirs.bare, "branch": "main"}]})
        assert r.json_body["error"].get("field") != "addon_repositories", r.text
    finally:
        a.org_id = old_org
    # and acme cannot reach beta's
    err(project(a, repository_url=theirs.bare), 400, "VALIDATION_ERROR", "repository_url")
    envs = "/api/v1/projects/%s/environments" % ok.json_body["id"]
    err(a.post(envs, {"addon_repositories": [{"url": theirs.bare, "branch": "main"}]}), 400,
        "VALIDATION_ERROR", "addon_repositories")


def test_relative_scp_like_url_is_a_local_path(api, roots):
    """git reads `a/b@c:d` as a local path (a '/' before the ':'): such a URL must not pass as
    a remote scp-like one and reach another project's mirror in the data directory."""
    a = api
    other = project(a, name="Other", odoo_version="17.0")
    assert other.status_code == 201, other.text
    mirror = os.path.join(a.berthd.data, "git", other.json_body["id"], "project.git")
    up = "../" * (os.getcwd().count("/") + 2)
    for url in ("%susr/share/locale/en@quot/../../../..%s" % (up, mirror),
                "en@quot/x:%s" % mirror,
                "./git@host:" + mirror,
                "git@host:../" + mirror.lstrip("/"),
                os.path.join(roots, "..", os.path.basename(roots), "x.git")):
        err(project(a, repository_url=url), 400, "VALIDATION_ERROR", "repository_url")
    r = a.patch("/api/v1/projects/%s" % other.json_body["id"],
                {"repository_url": "../x/en@quot/..:y"})
    err(r, 400, "VALIDATION_ERROR", "repository_url")


def test_unreachable_repository(api):
    r = project(api, repository_url="https://127.0.0.1:1/none.git")
    assert r.status_code == 201
    err(api.get("/api/v1/projects/%s/branches" % r.json_body["id"]), 502,
        "REPOSITORY_UNREACHABLE")
    r = project(api)  # no repository at all
    err(api.get("/api/v1/projects/%s/branches" % r.json_body["id"]), 409, "CONFLICT")


def test_webhooks_of_each_forge(api):
    a = api
    p = project(a, repository_url="https://git.example.com/acme/shop.git").json_body
    secret = p["webhook_secret"].encode()
    url = "/api/v1/webhooks/%s" % p["id"]
    after = "a" * 40

    def send(body, headers, sign=None):
        raw = json.dumps(body).encode()
        h = {"Content-Type": "application/json"}
        h.update(headers)
        if sign:
            h[sign[0]] = sign[1] + hmac.new(secret, raw, hashlib.sha256).hexdigest()
        return a.req("POST", url, raw=raw, headers=h, token="")

    push = {"ref": "refs/heads/main", "after": after}
    r = send(push, {"X-GitHub-Event": "push"}, ("X-Hub-Signature-256", "sha256="))
    assert r.status_code == 202, r.text
    assert r.json_body["provider"] == "github"
    assert r.json_body["pushes"] == [{"branch": "main", "commit": after}]
    assert r.json_body["jobs"] == []  # no deployed environment follows main
    r = send(push, {"X-Gitea-Event": "push"}, ("X-Gitea-Signature", ""))
    assert r.status_code == 202 and r.json_body["provider"] == "gitea"
    r = send(push, {"X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": p["webhook_secret"]})
    assert r.status_code == 202 and r.json_body["provider"] == "gitlab"
    cloud = {"push": {"changes": [{"new": {"type": "branch", "name": "dev",
                                           "target": {"hash": after}}},
                                  {"new": None}]}}
    r = send(cloud, {"X-Event-Key": "repo:push"}, ("X-Hub-Signature", "sha256="))
    assert r.status_code == 202 and r.json_body["pushes"] == [{"branch": "dev", "commit": after}]
    server = {"changes": [{"ref": {"type": "BRANCH", "displayId": "feat"}, "toHash": after,
                           "type": "UPDATE"}]}
    r = send(server, {"X-Event-Key": "repo:refs_changed"}, ("X-Hub-Signature", "sha256="))
    assert r.status_code == 202 and r.json_body["pushes"] == [{"branch": "feat", "commit": after}]
    r = send({"zen": "hi"}, {"X-GitHub-Event": "ping"}, ("X-Hub-Signature-256", "sha256="))
    assert r.status_code == 200 and r.json_body["event"] == "ping"
    # tags and deleted branches deploy nothing
    r = send({"ref": "refs/tags/v1", "after": after}, {"X-GitHub-Event": "push"},
             ("X-Hub-Signature-256", "sha256="))
    assert r.status_code == 202 and r.json_body["pushes"] == []
    r = send({"ref": "refs/heads/main", "after": "0" * 40}, {"X-GitHub-Event": "push"},
             ("X-Hub-Signature-256", "sha256="))
    assert r.json_body["pushes"] == []
    # refused: wrong, missing, other project's, unknown project, malformed
    for headers in ({"X-Hub-Signature-256": "sha256=" + "0" * 64}, {},
                    {"X-Gitlab-Token": "nope"}, {"X-Gitea-Signature": "zz"}):
        r = send(push, headers)
        err(r, 401, "UNAUTHORIZED")
    other = project(a).json_body
    raw = json.dumps(push).encode()
    sig = hmac.new(other["webhook_secret"].encode(), raw, hashlib.sha256).hexdigest()
    r = a.req("POST", url, raw=raw, headers={"X-Hub-Signature-256": "sha256=" + sig}, token="")
    err(r, 401, "UNAUTHORIZED")
    r = a.req("POST", "/api/v1/webhooks/%s" % uuid.uuid4(), raw=raw,
              headers={"X-Hub-Signature-256": "sha256=" + sig}, token="")
    err(r, 401, "UNAUTHORIZED")
    r = a.req("POST", url, raw=b"{not json", token="",
              headers={"X-Hub-Signature-256": "sha256=" +
                       hmac.new(secret, b"{not json", hashlib.sha256).hexdigest()})
    err(r, 400, "INVALID_JSON")
    # after a rotation the old secret is refused
    a.post("/api/v1/projects/%s/webhook/rotate" % p["id"])
    r = send(push, {"X-GitHub-Event": "push"}, ("X-Hub-Signature-256", "sha256="))
    err(r, 401, "UNAUTHORIZED")


def test_merge_needs_permission_and_plan(api, area):
    a = api
    repo = Repo(area, "m")
    repo.write("a.txt", "a")
    repo.commit("a")
    p = project(a, repository_url=repo.bare).json_body
    r = a.post("/api/v1/orgs/%s/servers" % a.org_id, {"name": "s1", "transport": "local"})
    assert r.status_code == 201, r.text
    # an environment needs a running server (the local Docker Engine); merge's refusals come
    # before anything touches it
    sid = r.json_body["id"]
    a.post("/api/v1/servers/%s/test" % sid)
    r = a.post("/api/v1/projects/%s/environments" % p["id"],
               {"vm_id": sid, "git_branch": "main", "ram_mb": 1024, "disk_gb": 2})
    if r.status_code != 201:
        pytest.skip("no running server here: %s" % r.text)
    env = r.json_body
    # a viewer has no environment.merge; the project's other routes answer by permission too
    from conftest import new_user
    viewer = new_user(a.berthd, a, role="viewer")
    err(viewer.post("/api/v1/environments/%s/merge" % env["id"], {"target_branch": "x"}), 403,
        "PERMISSION_DENIED")
    err(viewer.post("/api/v1/projects/%s/webhook/rotate" % p["id"]), 403, "PERMISSION_DENIED")
    assert viewer.get("/api/v1/projects/%s/branches" % p["id"]).status_code == 200
    free = [x for x in a.get("/api/v1/plans").json_body if x["name"] == "Free"][0]
    r = a.put("/api/v1/orgs/%s/plan" % a.org_id, {"plan_id": free["id"]})
    assert r.status_code == 200, r.text
    err(a.post("/api/v1/environments/%s/merge" % env["id"], {"target_branch": "x"}), 403,
        "PLAN_FEATURE_UNAVAILABLE")
    err(a.post("/api/v1/environments/%s/merge" % env["id"], {"target_branch": "a..b"}), 400,
        "VALIDATION_ERROR", "target_branch")
    err(a.post("/api/v1/environments/%s/merge" % env["id"], {"target_branch": "x", "y": 1}), 400,
        "VALIDATION_ERROR")
    err(a.post("/api/v1/environments/%s/merge" % uuid.uuid4(), {"target_branch": "x"}), 404,
        "ENVIRONMENT_NOT_FOUND")


def test_branch_check_reads_a_fresh_mirror(api, area):
    """Creating an environment checks git_branch against berthd's mirror when it was fetched
    in the last 60 s and knows the branch, and fetches only for a branch it does not know."""
    a = api
    repo = Repo(area, "fresh")
    repo.write("a.txt", "a")
    repo.commit("a")
    git(repo.work, "checkout", "-q", "-b", "dev")
    repo.write("b.txt", "b")
    repo.commit("b", branch="dev")
    p = project(a, repository_url=repo.bare).json_body
    r = a.post("/api/v1/orgs/%s/servers" % a.org_id, {"name": "s1", "transport": "local"})
    assert r.status_code == 201, r.text
    sid = r.json_body["id"]
    a.post("/api/v1/servers/%s/test" % sid)
    small = {"vm_id": sid, "cpu_cores": 0.25, "ram_mb": 256, "disk_gb": 1}
    r = a.post("/api/v1/projects/%s/environments" % p["id"], dict(small, git_branch="main"))
    if r.status_code != 201:
        pytest.skip("no running server here: %s" % r.text)
    # the remote stops answering: branches the fresh mirror knows are still accepted
    os.rename(repo.bare, repo.bare + ".away")
    os.mkdir(repo.bare)
    try:
        r = a.post("/api/v1/projects/%s/environments" % p["id"], dict(small, git_branch="dev"))
        assert r.status_code == 201, r.text
        # an unknown branch is looked for at the remote
        err(a.post("/api/v1/projects/%s/environments" % p["id"],
                   dict(small, git_branch="feature")), 502, "REPOSITORY_UNREACHABLE")
    finally:
        os.rmdir(repo.bare)
        os.rename(repo.bare + ".away", repo.bare)
    err(a.post("/api/v1/projects/%s/environments" % p["id"], dict(small, git_branch="feature")),
        400, "VALIDATION_ERROR", "git_branch")
    # pushed meanwhile: the mirror does not know it yet, so it is fetched
    git(repo.work, "push", "-q", "origin", "HEAD:refs/heads/feature")
    r = a.post("/api/v1/projects/%s/environments" % p["id"], dict(small, git_branch="feature"))
    assert r.status_code == 201, r.text


def test_cli_projects_with_git(api, area):
    from test_cli import Cli
    c = Cli(api.berthd.url)
    try:
        c.login()
        repo = Repo(area, "cli")
        repo.write("a.txt", "a")
        head = repo.commit("first commit")
        out = c.ok("project", "create", "Cli Shop", "--odoo-version", "17.0", "--repo", repo.bare,
                   "--generate-deploy-key")
        assert "Deploy key" in out and "ssh-ed25519 " in out
        assert "/api/v1/webhooks/" in out and "Secret: " in out
        out = c.ok("project", "branches", "cli-shop")
        assert "main" in out and head[:12] in out
        assert c.json("project", "branches", "cli-shop") == [
            {"name": "main", "commit": head, "default": True}]
        shown = c.json("project", "show", "cli-shop")
        assert shown["has_deploy_key"] and "deploy_key" not in shown
        c.ok("project", "update", "cli-shop", "--token-stdin", "--git-user", "bot", "--poll", "60",
             input="tok_123\n")
        shown = c.json("project", "show", "cli-shop")
        assert shown["has_access_token"] and shown["git_username"] == "bot"
        assert shown["poll_interval_s"] == 60
        out = c.ok("project", "webhook", "cli-shop", "--rotate")
        assert "Secret: " in out
        c.fails(2, "env", "merge", "x", "--project", "cli-shop")  # --into is required
    finally:
        c.cleanup()


class _GitHttp:
    """git's smart HTTP (git http-backend as CGI) behind HTTP basic auth with a token."""

    def __init__(self, root, user, token):
        import base64
        import http.server
        import threading
        want = "Basic " + base64.b64encode(("%s:%s" % (user, token)).encode()).decode()
        seen = self.seen = []

        class H(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def handle_one(self):
                auth = self.headers.get("Authorization")
                seen.append(auth)
                if auth != want:
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", 'Basic realm="git"')
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                path, _, query = self.path.partition("?")
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                env = {"GIT_PROJECT_ROOT": root, "GIT_HTTP_EXPORT_ALL": "1",
                       "PATH_INFO": path, "QUERY_STRING": query,
                       "REQUEST_METHOD": self.command, "REMOTE_USER": user,
                       "CONTENT_TYPE": self.headers.get("Content-Type", ""),
                       "CONTENT_LENGTH": str(len(body)), "PATH": os.environ["PATH"],
                       "GIT_CONFIG_NOSYSTEM": "1", "HOME": root}
                out = subprocess.run(["git", "http-backend"], input=body, env=env,
                                     capture_output=True).stdout
                head, _, payload = out.partition(b"\r\n\r\n")
                status = 200
                headers = []
                for line in head.split(b"\r\n"):
                    k, _, v = line.decode().partition(":")
                    if k.lower() == "status":
                        status = int(v.split()[0])
                    elif k:
                        headers.append((k, v.strip()))
                self.send_response(status)
                for k, v in headers:
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = handle_one

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()


def test_https_repository_with_a_token(api, roots):
    a = api
    repo = Repo(roots, "tok")
    repo.write("a.txt", "a")
    head = repo.commit("a")
    srv = _GitHttp(roots, "bot", "s3cret-token")
    try:
        url = "http://127.0.0.1:%d/tok.git" % srv.port
        p = project(a, repository_url=url).json_body
        err(a.get("/api/v1/projects/%s/branches" % p["id"]), 502, "REPOSITORY_UNREACHABLE")
        r = a.patch("/api/v1/projects/%s" % p["id"], {"access_token": "s3cret-token",
                                                       "git_username": "bot"})
        assert r.status_code == 200, r.text
        r = a.get("/api/v1/projects/%s/branches" % p["id"])
        assert r.status_code == 200, r.text
        assert r.json_body == [{"name": "main", "commit": head, "default": True}]
        assert "s3cret-token" not in a.berthd.read_log()
    finally:
        srv.stop()
