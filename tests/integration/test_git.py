"""Git-driven environments against real git repositories made here: a bare repository by
local path and one served over SSH by a loopback sshd. Deploy puts the branch's code on the
addons path, a signed webhook redeploys and updates exactly the changed modules, a failed
update keeps the previous code serving, soft restart pulls in place, merge pushes or reports
conflicts, addon repositories honour commit pins, and polling picks up pushes."""
import hashlib
import hmac
import json
import os
import shutil
import subprocess
import tempfile
import time
import uuid

import pytest

from conftest import Berthd, ADMIN_EMAIL, ADMIN_PASSWORD, free_port
import runtime as rt

EDGE_PORT = free_port()
GIT_ENV = dict(os.environ, GIT_AUTHOR_NAME="Dev", GIT_AUTHOR_EMAIL="dev@example.com",
               GIT_COMMITTER_NAME="Dev", GIT_COMMITTER_EMAIL="dev@example.com",
               GIT_CONFIG_GLOBAL="/dev/null", GIT_CONFIG_NOSYSTEM="1")


def git(cwd, *args):
    r = subprocess.run(["git", *args], cwd=cwd, env=GIT_ENV, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("git %s: %s" % (" ".join(args), r.stderr))
    return r.stdout.strip()


class Repo:
    """A bare repository and a work tree that pushes to it."""

    def __init__(self, root, name):
        self.bare = os.path.join(root, name + ".git")
        self.work = os.path.join(root, name + "-work")
        git(root, "init", "-q", "--bare", "-b", "main", self.bare)
        git(root, "clone", "-q", self.bare, self.work)
        git(self.work, "checkout", "-q", "-b", "main")

    def write(self, path, text):
        full = os.path.join(self.work, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        open(full, "w").write(text)

    def module(self, name, version="1.0", text=None, data=()):
        self.write("%s/__init__.py" % name, "")
        self.write("%s/__manifest__.py" % name,
                   repr({"name": name, "version": version, "depends": ["base"],
                         "data": list(data), "license": "LGPL-3"}) + "\n")
        self.write("%s/static/description/hello.txt" % name, text or "%s %s" % (name, version))

    def commit(self, msg, branch="main"):
        git(self.work, "add", "-A")
        git(self.work, "commit", "-q", "-m", msg)
        git(self.work, "push", "-q", "origin", "HEAD:refs/heads/%s" % branch)
        return git(self.work, "rev-parse", "HEAD")

    def head(self, branch="main"):
        return git(self.bare, "rev-parse", "refs/heads/%s" % branch)


@pytest.fixture(scope="module")
def images():
    if not rt.docker_available():
        pytest.skip("no Docker Engine")
    rt.ensure_standin()


@pytest.fixture
def roots():
    d = tempfile.mkdtemp(prefix="berth-git-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def area(roots):
    """ROOT/acme/: the local repositories the setup's organization "Acme" may use."""
    d = os.path.join(roots, "acme")
    os.mkdir(d)
    return d


def make_platform(roots, plan="Pro"):
    d = Berthd(["--git-local-root", roots]).start()
    api = d.api()
    r = api.post("/api/v1/setup", {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD,
                                   "organization": "Acme"})
    assert r.status_code == 201, r.text
    a = api.with_token(r.json_body["access_token"])
    a.org_id = r.json_body["organization"]["id"]
    a.berthd = d
    plans = {p["name"]: p for p in a.get("/api/v1/plans").json_body}
    r = a.put("/api/v1/orgs/%s/plan" % a.org_id, {"plan_id": plans[plan]["id"]})
    assert r.status_code == 200, r.text
    r = a.put("/api/v1/admin/odoo-versions",
              [{"version": v, "image": "%s:%s" % (rt.STANDIN_TAG, v)}
               for v in ("16.0", "17.0", "18.0", "19.0")])
    assert r.status_code == 200, r.text
    r = a.post("/api/v1/orgs/%s/servers" % a.org_id, {"name": "local", "transport": "local",
                                                        "http_port": EDGE_PORT,
                                                        "https_port": free_port()})
    assert r.status_code == 201, r.text
    a.server_id = r.json_body["id"]
    r = a.post("/api/v1/servers/%s/test" % a.server_id)
    assert r.json_body["status"] == "running", r.text
    return a


def teardown_platform(a):
    for e in a.get("/api/v1/orgs/%s/environments" % a.org_id).json_body or []:
        r = a.delete("/api/v1/environments/%s" % e["id"], {"confirm": "DELETE"})
        if r.status_code == 202:
            rt.wait_job(a, r.json_body["id"])
    try:
        a.berthd.cleanup()  # raises on sanitizer reports: the edge goes in any case
    finally:
        rt.remove_edges(a.server_id)


@pytest.fixture
def plat(images, roots):
    a = make_platform(roots)
    yield a
    teardown_platform(a)


def create_project(a, **kw):
    body = {"name": "Shop %s" % uuid.uuid4().hex[:6], "odoo_version": "18.0"}
    body.update(kw)
    r = a.post("/api/v1/orgs/%s/projects" % a.org_id, body)
    assert r.status_code == 201, r.text
    return r.json_body


def create_env(a, project_id, **kw):
    body = {"env_type": "staging", "vm_id": a.server_id, "cpu_cores": 1.0, "ram_mb": 1024,
            "disk_gb": 2}
    body.update(kw)
    r = a.post("/api/v1/projects/%s/environments" % project_id, body)
    assert r.status_code == 201, r.text
    return r.json_body


def static(env, module, path="description/hello.txt"):
    return rt.http_get(EDGE_PORT, env["subdomain"] + ".localhost",
                       "/%s/static/%s" % (module, path))


def signed_push(a, project, branch, after, secret=None, provider="github"):
    body = json.dumps({"ref": "refs/heads/%s" % branch, "after": after,
                       "repository": {"name": "shop"}}).encode()
    key = (secret or project["webhook_secret"]).encode()
    sig = hmac.new(key, body, hashlib.sha256).hexdigest()
    headers = {"Content-Type": "application/json"}
    if provider == "github":
        headers.update({"X-GitHub-Event": "push", "X-Hub-Signature-256": "sha256=" + sig})
    elif provider == "gitea":
        headers.update({"X-Gitea-Event": "push", "X-Gitea-Signature": sig})
    elif provider == "gitlab":
        headers.update({"X-Gitlab-Event": "Push Hook",
                        "X-Gitlab-Token": secret or project["webhook_secret"]})
    return a.req("POST", "/api/v1/webhooks/%s" % project["id"], raw=body, headers=headers,
                 token="")


def env_jobs(a, env_id):
    return a.get("/api/v1/environments/%s/jobs" % env_id).json_body


def odoo_container(env_id):
    c = rt.env_containers(env_id, "odoo", all_=False)
    assert c, "Odoo is not running"
    return c[0]


def install_modules(env, db, mods):
    """What a user does in Odoo's Apps menu, done with the odoo command in the container."""
    rt.docker("exec", odoo_container(env["id"]), "odoo", "-c", "/etc/odoo/odoo.conf", "-d", db,
              "-i", mods, "--stop-after-init")


def test_push_webhook_updates_exactly_the_changed_module(plat, area):
    a = plat
    repo = Repo(area, "shop")
    repo.module("shop_a")
    repo.module("shop_b")
    repo.write("README.md", "shop\n")
    first = repo.commit("two modules")
    p = create_project(a, repository_url=repo.bare)
    assert p["webhook_url"].endswith("/api/v1/webhooks/%s" % p["id"])
    assert len(p["webhook_secret"]) >= 32
    got = a.get("/api/v1/projects/%s" % p["id"]).json_body
    assert "webhook_secret" not in got and got["has_deploy_key"] is False

    r = a.get("/api/v1/projects/%s/branches" % p["id"])
    assert r.status_code == 200, r.text
    assert r.json_body == [{"name": "main", "commit": first, "default": True}]

    # a branch the repository does not have
    r = a.post("/api/v1/projects/%s/environments" % p["id"],
               {"vm_id": a.server_id, "git_branch": "nope", "ram_mb": 1024, "disk_gb": 2})
    assert r.status_code == 400 and r.json_body["error"]["field"] == "git_branch", r.text

    env = create_env(a, p["id"], git_branch="main", auto_deploy=True)
    job = rt.run_job(a, "POST", "/api/v1/environments/%s/deploy" % env["id"])
    log = rt.job_log(a, job["id"])
    assert "==> Code" in log and "main at %s" % first[:7] in log, log
    assert job["result"]["commit"] == first
    env = a.get("/api/v1/environments/%s" % env["id"]).json_body
    assert env["deployed_commit"] == first and env["branch_ahead"] is False
    assert static(env, "shop_a") == (200, "shop_a 1.0")
    info = json.loads(rt.http_get(EDGE_PORT, env["subdomain"] + ".localhost",
                                  "/berth-standin/info")[1])
    assert any(x.endswith("/project") for x in info["addons_path"]), info["addons_path"]
    db = info["db_name"][0]
    install_modules(env, db, "shop_a,shop_b")

    # one module changes; an unsigned and a wrongly signed hook change nothing
    repo.module("shop_a", version="1.1", text="shop_a v2")
    second = repo.commit("shop_a: v2")
    before = len(env_jobs(a, env["id"]))
    r = signed_push(a, p, "main", second, secret="wrong")
    assert r.status_code == 401 and r.json_body["error"]["code"] == "UNAUTHORIZED", r.text
    r = a.req("POST", "/api/v1/webhooks/%s" % p["id"], raw=b'{"ref":"refs/heads/main"}',
              headers={"Content-Type": "application/json", "X-GitHub-Event": "push"}, token="")
    assert r.status_code == 401
    assert len(env_jobs(a, env["id"])) == before

    r = signed_push(a, p, "main", second)
    assert r.status_code == 202, r.text
    assert len(r.json_body["jobs"]) == 1
    job = rt.wait_job(a, r.json_body["jobs"][0])
    log = rt.job_log(a, job["id"])
    assert job["status"] == "done", log
    assert job["result"]["updated_modules"] == ["shop_a"], log
    assert "odoo -u shop_a" in log and "shop_b: creating or updating" not in log, log
    assert "module shop_a: creating or updating database tables" in log, log
    assert rt.psql(env["id"], db, "SELECT latest_version FROM ir_module_module"
                                  " WHERE name='shop_a'") == "18.0.1.1"
    assert static(env, "shop_a") == (200, "shop_a v2")
    got = a.get("/api/v1/environments/%s" % env["id"]).json_body
    assert got["deployed_commit"] == second and got["commits_ahead"] == 0

    # the Commits tab, newest first, the deployed one marked
    r = a.get("/api/v1/environments/%s/commits?limit=5" % env["id"])
    assert r.status_code == 200, r.text
    commits = r.json_body
    assert [c["commit"] for c in commits] == [second, first]
    assert commits[0]["hash"] == second[:len(commits[0]["hash"])] and commits[0]["deployed"]
    assert commits[0]["author"] == "Dev" and commits[0]["message"] == "shop_a: v2"
    assert not commits[1]["deployed"] and commits[0]["date"]
    assert a.get("/api/v1/environments/%s/commits?limit=0" % env["id"]).status_code == 400

    # a failing update fails the job and the previous code keeps serving
    container = odoo_container(env["id"])
    repo.module("shop_b", version="1.2", text="shop_b broken", data=["views/missing.xml"])
    third = repo.commit("shop_b: reference a missing file")
    # the Commits tab fetches: the environment learns that its branch moved
    assert a.get("/api/v1/environments/%s/commits?limit=1" % env["id"]).status_code == 200
    got = a.get("/api/v1/environments/%s" % env["id"]).json_body
    assert got["branch_commit"] == third and got["branch_ahead"] and got["commits_ahead"] == 1
    job = rt.run_job(a, "POST", "/api/v1/environments/%s/deploy" % env["id"], expect="failed")
    assert "odoo -u shop_b" in rt.job_log(a, job["id"])
    assert odoo_container(env["id"]) == container
    assert static(env, "shop_b") == (200, "shop_b 1.0")
    got = a.get("/api/v1/environments/%s" % env["id"]).json_body
    assert got["status"] == "running" and "previous code" in got["status_reason"], got
    assert got["deployed_commit"] == second

    # soft restart pulls the fixed branch and restarts Odoo in its container
    repo.module("shop_b", version="1.2", text="shop_b fixed")
    fourth = repo.commit("shop_b: fixed")
    job = rt.run_job(a, "POST", "/api/v1/environments/%s/restart" % env["id"], {"mode": "soft"})
    assert job["result"]["updated_modules"] == ["shop_b"], rt.job_log(a, job["id"])
    assert odoo_container(env["id"]) == container
    assert static(env, "shop_b") == (200, "shop_b fixed")
    assert a.get("/api/v1/environments/%s" % env["id"]).json_body["deployed_commit"] == fourth


def test_merge_pushes_or_reports_conflicts(plat, area):
    a = plat
    repo = Repo(area, "merge")
    repo.module("shop_a")
    base = repo.commit("base")
    git(repo.work, "checkout", "-q", "-b", "feature")
    repo.write("shop_a/static/description/hello.txt", "feature text")
    repo.commit("feature edit", branch="feature")
    git(repo.work, "checkout", "-q", "main")
    repo.write("shop_a/static/description/hello.txt", "main text")
    main_head = repo.commit("main edit")
    p = create_project(a, repository_url="file://" + repo.bare)
    env = create_env(a, p["id"], git_branch="feature")

    r = a.post("/api/v1/environments/%s/merge" % env["id"], {})
    assert r.status_code == 400 and r.json_body["error"]["field"] == "target_branch"
    r = a.post("/api/v1/environments/%s/merge" % env["id"], {"target_branch": "feature"})
    assert r.status_code == 400 and r.json_body["error"]["field"] == "target_branch"

    job = rt.run_job(a, "POST", "/api/v1/environments/%s/merge" % env["id"],
                     {"target_branch": "main"}, expect="failed")
    assert job["type"] == "merge"
    assert job["result"]["conflicts"] == ["shop_a/static/description/hello.txt"], job
    assert "conflict" in job["error"]
    assert repo.head("main") == main_head  # the remote is unchanged

    # a branch that merges cleanly: a merge commit with both parents, pushed
    git(repo.work, "checkout", "-q", "-b", "clean", base)
    repo.write("other.txt", "x")
    clean = repo.commit("other file", branch="clean")
    git(repo.work, "reset", "-q", "--hard", clean)
    r = a.patch("/api/v1/environments/%s" % env["id"], {"git_branch": "clean"})
    assert r.status_code == 200, r.text
    git(repo.work, "checkout", "-q", "-b", "target2", main_head)
    repo.write("third.txt", "y")
    repo.commit("unrelated", branch="target2")
    job = rt.run_job(a, "POST", "/api/v1/environments/%s/merge" % env["id"],
                     {"target_branch": "target2"})
    merged = repo.head("target2")
    assert job["result"]["commit"] == merged and job["result"]["merged"]
    parents = git(repo.bare, "log", "-1", "--format=%P", merged).split()
    assert clean in parents and len(parents) == 2
    assert git(repo.bare, "log", "-1", "--format=%s", merged) == "Merge branch 'clean' into target2"


def test_ssh_repository_addon_pin_and_polling(plat, area):
    a = plat
    sshd = rt.Sshd().start()
    try:
        repo = Repo(area, "sshrepo")
        repo.module("shop_main")
        repo.commit("main module")
        addons = Repo(area, "addons")
        addons.module("extra_x", text="extra v1")
        pinned = addons.commit("extra v1")
        addons.module("extra_x", text="extra v2")
        addons.commit("extra v2")
        url = "ssh://root@127.0.0.1:%d%s" % (sshd.port, repo.bare)
        p = create_project(a, repository_url=url, deploy_key=sshd.private_key)
        assert p["has_deploy_key"] and p["deploy_public_key"].startswith("ssh-ed25519 ")
        assert "deploy_key" not in p
        r = a.get("/api/v1/projects/%s/branches" % p["id"])
        assert r.status_code == 200 and [b["name"] for b in r.json_body] == ["main"], r.text
        env = create_env(a, p["id"], git_branch="main", auto_deploy=True,
                         addon_repositories=[{"url": addons.bare, "branch": "main",
                                              "commit": pinned[:12]}])
        job = rt.run_job(a, "POST", "/api/v1/environments/%s/deploy" % env["id"])
        assert job["result"]["addon_commits"] == {addons.bare: pinned}, job
        env = a.get("/api/v1/environments/%s" % env["id"]).json_body
        assert static(env, "extra_x") == (200, "extra v1")
        # the addons path: the project's directories first, then the addon repositories
        info = json.loads(rt.http_get(EDGE_PORT, env["subdomain"] + ".localhost",
                                      "/berth-standin/info")[1])
        paths = info["addons_path"]
        assert [p_.rsplit("/", 2)[-2:] for p_ in paths] == [[job["result"]["code_rev"],
                                                             "project"], ["addons", "01"]], paths
        assert static(env, "shop_main") == (200, "shop_main 1.0")

        # polling: a push is picked up without a webhook
        repo.module("shop_main", text="polled")
        pushed = repo.commit("polled change")
        r = a.patch("/api/v1/projects/%s" % p["id"], {"poll_interval_s": 10})
        assert r.status_code == 200 and r.json_body["poll_interval_s"] == 10, r.text
        deadline = time.time() + 90
        job = None
        while time.time() < deadline and not job:
            for j in env_jobs(a, env["id"]):
                if j["type"] == "deploy" and j["params"].get("trigger") == "poll":
                    job = j
            time.sleep(1)
        assert job, "no deploy after polling"
        job = rt.wait_job(a, job["id"])
        assert job["status"] == "done", rt.job_log(a, job["id"])
        assert job["result"]["commit"] == pushed
        assert static(env, "shop_main") == (200, "polled")
    finally:
        sshd.stop()
