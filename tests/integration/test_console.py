"""The web console in a real browser: tests/console/walkthrough.mjs drives Debian's chromium
(playwright-core from web/node_modules, never a downloaded browser) against a real berthd
serving the built console (web/dist). Skipped when node, the built console, playwright-core
or chromium is missing. Screenshots go to build/screenshots/."""
import json
import os
import shutil
import subprocess
import tempfile
import uuid

import pytest
import requests

from conftest import ROOT, Berthd, free_port
import runtime as rt
from runtime import docker_available

WEB = os.path.join(ROOT, "web")
DIST = os.path.join(WEB, "dist")
CHROMIUM = os.environ.get("BERTH_CHROMIUM", "/usr/bin/chromium")
SCRIPT = os.path.join(ROOT, "tests", "console", "walkthrough.mjs")
# the walk-through's administrator: its password before and after the password change step
ADMIN = "admin@example.com"
PASSWORDS = ("correct horse battery", "a new horse battery")


def need_tools():
    node = shutil.which("node")
    if not node:
        pytest.skip("node is not installed (scripts/install-deps.sh installs it)")
    if not os.path.exists(os.path.join(DIST, "index.html")):
        pytest.skip("the console is not built (make builds web/dist)")
    if not os.path.exists(os.path.join(WEB, "node_modules", "playwright-core", "package.json")):
        pytest.skip("playwright-core is not installed (make runs npm ci in web/)")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip("chromium is not installed (scripts/install-deps.sh test installs it)")
    return node


GIT_ENV = dict(os.environ, GIT_AUTHOR_NAME="Ann Dev", GIT_AUTHOR_EMAIL="ann@example.com",
               GIT_COMMITTER_NAME="Ann Dev", GIT_COMMITTER_EMAIL="ann@example.com",
               GIT_CONFIG_GLOBAL="/dev/null", GIT_CONFIG_NOSYSTEM="1")


def git(cwd, *args):
    subprocess.run(["git", *args], cwd=cwd, env=GIT_ENV, check=True, capture_output=True)


def make_repo(roots):
    """ROOT/acme/shop.git (the setup's organization "Acme" may use it): branches main and dev."""
    area = os.path.join(roots, "acme")
    os.mkdir(area)
    bare = os.path.join(area, "shop.git")
    work = os.path.join(roots, "work")
    git(roots, "init", "-q", "--bare", "-b", "main", bare)
    git(roots, "clone", "-q", bare, work)
    git(work, "checkout", "-q", "-b", "main")
    os.makedirs(os.path.join(work, "shop_custom"))
    open(os.path.join(work, "shop_custom", "__init__.py"), "w").close()
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "Add the shop_custom module")
    open(os.path.join(work, "README.md"), "w").write("shop\n")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "Fix invoice totals")
    git(work, "push", "-q", "origin", "HEAD:refs/heads/main", "HEAD:refs/heads/dev")
    return bare


@pytest.fixture
def console_berthd():
    roots = tempfile.mkdtemp(prefix="berth-console-git-")
    args = ["--web", DIST]
    repo = None
    if shutil.which("git"):
        repo = make_repo(roots)
        args += ["--git-local-root", roots]
    d = Berthd(args).start()
    d.repo = repo
    try:
        yield d
    finally:
        try:
            remove_what_was_made(d)
        finally:
            d.cleanup()
            shutil.rmtree(roots, ignore_errors=True)


def remove_what_was_made(d):
    """The environments the walk-through left (when it failed before Remove) and the edge
    proxies of its servers."""
    if not docker_available():
        return
    api = d.api()
    for pw in PASSWORDS:
        r = api.post("/api/v1/auth/login", {"email": ADMIN, "password": pw})
        if r.status_code == 200:
            break
    else:
        return  # never set up
    a = api.with_token(r.json_body["access_token"])
    servers = []
    for org in a.get("/api/v1/me").json_body.get("organizations", []):
        servers += [x["id"] for x in a.get("/api/v1/orgs/%s/servers" % org["id"]).json_body or []]
        for e in a.get("/api/v1/orgs/%s/environments" % org["id"]).json_body or []:
            if e["status"] == "removing":
                continue
            r = a.delete("/api/v1/environments/%s" % e["id"], {"confirm": "DELETE"})
            if r.status_code == 202:
                rt.wait_job(a, r.json_body["id"])
    for j in a.get("/api/v1/orgs/%s/jobs?limit=50" % a.get("/api/v1/me").json_body["organizations"][0]["id"]).json_body or []:
        if j["status"] in ("queued", "running"):
            rt.wait_job(a, j["id"])
    rt.remove_edges(*servers)


def test_console_walkthrough(console_berthd):
    node = need_tools()
    env = dict(os.environ)
    env["BERTH_URL"] = console_berthd.url
    env["SHOTS"] = os.path.join(ROOT, "build", "screenshots")
    env["BERTH_DOCKER"] = "1" if docker_available() else "0"
    env["CHROMIUM"] = CHROMIUM
    env["BERTH_REPO"] = console_berthd.repo or ""
    if env["BERTH_DOCKER"] == "1":
        rt.ensure_standin()  # the Odoo stand-in the deploy runs (built once, then kept)
        # STANDIN_IMAGE (as build.sh and test_standin.py take it): another repository for the
        # stand-in, so that a rebuild from another worktree does not change it under this run
        env["BERTH_ODOO_IMAGE"] = os.environ.get("STANDIN_IMAGE", rt.STANDIN_TAG)
        env["BERTH_EDGE_PORTS"] = "%d,%d" % (free_port(), free_port())
        # the IDE stand-in (tests/ide-standin, built locally) for the Access tab's rotation step
        ide_build = os.path.join(ROOT, "tests", "ide-standin", "build.sh")
        if os.path.exists(ide_build) and subprocess.run([ide_build], capture_output=True).returncode == 0:
            env["BERTH_IDE_IMAGE"] = "berth-test/ide:1"
    r = subprocess.run([node, SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    print(r.stdout)
    print(r.stderr)
    assert r.returncode == 0, "walkthrough failed:\n%s\n%s\nberthd log tail:\n%s" % (
        r.stdout[-4000:], r.stderr[-4000:], console_berthd.read_log()[-3000:])


def test_console_issue14_stand_in_api():
    """Issue 14's console steps (tests/console/access.mjs) against a stand-in of the API's
    contract, without Docker; and what the real walk-through cannot reach: Connect on
    production (the confirmation first), a new tab the browser refuses (the link instead)."""
    node = need_tools()
    env = dict(os.environ, SHOTS=os.path.join(ROOT, "build", "screenshots"), CHROMIUM=CHROMIUM)
    r = subprocess.run([node, os.path.join(ROOT, "tests", "console", "mock14.mjs")], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=300)
    print(r.stdout)
    print(r.stderr)
    assert r.returncode == 0, "the issue 14 steps against the stand-in API failed:\n%s\n%s" % (
        r.stdout[-4000:], r.stderr[-2000:])


def test_console_history_routing(console_berthd):
    """Any non-API path without a file extension answers index.html (the page loads at its own URL)."""
    need_tools()
    api = console_berthd.api()
    index = open(os.path.join(DIST, "index.html")).read()
    for path in ("/", "/projects", "/projects/abc/environments/new", "/environments/x"):
        r = api.get(path)
        assert r.status_code == 200 and r.text == index, path
    assert api.get("/assets/missing.js").status_code == 404
    assert api.get("/api/v1/nope").status_code == 404


RULE_CASES = {
    "subdomain": ["a", "shop-dev", "1a", "a--b", "x" * 63, "x" * 64, "-a", "a-", "A", "a_b", "a.b"],
    "branch": ["main", "feature/x", "release-1.0", "a.lock/b", "ü", "-x", "a..b", "a.lock", "x/",
               "/x", "a b", "a~b", "a:b", "@", "a@{b", ".x", "x/.y", "x.", "a//b", "a*b"],
    "email": ["a@b.c", "first.last+tag@example.co.uk", "a@b", "a b@c.d", "@b.c", "a@.b.c",
              "a@b..c", "a@b.c.", "ü@b.c", "a@b@c.d", "a<b@c.d"],
    "password": ["short", "x" * 11, "elevenchars", "twelve chars", "x" * 256, "x" * 257, "é" * 128,
                 "é" * 129, " " * 12, "\u00a0" * 12, "\u200b" * 12, "Password1234", "PASSWORD1234",
                 "correct horse battery staple", "correct horse battery", "tab\there-123456",
                 "odoo12345678", "odoo123456789"],
    "git_url": ["https://github.com/a/b.git", "http://x/y", "ssh://git@host/x", "git://h/x",
                "git@github.com:a/b.git", "ftp://x/y", "https://", "foo", "-x@y:z",
                "https://u:p@h/x", "user@host:", "git@host:../x", "https://h/a'b", "host:path"],
}


def test_console_rules_match_the_api(admin):
    """rules.ts flags exactly the values the API refuses (subdomains, branch names, emails,
    remote git URLs, new passwords), so the form's messages while typing never disagree with berthd."""
    node = shutil.which("node")
    esbuild = os.path.join(WEB, "node_modules", ".bin", "esbuild")
    if not node or not os.path.exists(esbuild):
        pytest.skip("node or web/node_modules is missing")
    tmp = tempfile.mkdtemp(prefix="berth-rules-")
    try:
        out = os.path.join(tmp, "rules.mjs")
        subprocess.run([esbuild, os.path.join(WEB, "src", "rules.ts"), "--format=esm",
                        "--outfile=" + out, "--log-level=error"], check=True)
        script = ("import * as R from %r; const c = JSON.parse(process.argv[1]);"
                  "const f = {subdomain: R.subdomain, branch: R.validBranch, email: R.email,"
                  " git_url: R.validGitUrl, password: R.password};"
                  "const o = {}; for (const k in c) o[k] = c[k].map((v) => f[k](v) === null);"
                  "console.log(JSON.stringify(o));" % out)
        r = subprocess.run([node, "--input-type=module", "-e", script, json.dumps(RULE_CASES)],
                           capture_output=True, text=True, check=True)
        console = json.loads(r.stdout)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    def project_accepts(field, value):
        r = admin.post("/api/v1/orgs/%s/projects" % admin.org_id,
                       {"name": "p-" + uuid.uuid4().hex[:10], "odoo_version": "17.0", field: value})
        if r.status_code == 201:
            admin.delete("/api/v1/projects/%s" % r.json_body["id"])
            return True
        assert r.status_code == 400 and r.json_body["error"].get("field") == field, r.text
        return False

    def invitation_accepts(value):
        r = admin.post("/api/v1/orgs/%s/invitations" % admin.org_id, {"email": value, "role": "viewer"})
        if r.status_code == 201:
            admin.delete("/api/v1/orgs/%s/invitations/%s" % (admin.org_id, r.json_body["id"]))
            return True
        assert r.status_code == 400 and r.json_body["error"].get("field") == "email", r.text
        return False

    def password_accepted(value):
        """Accepting an invitation creates the account with this password (svc_check_password)."""
        email = "pw-%s@example.com" % uuid.uuid4().hex[:10]
        r = admin.post("/api/v1/orgs/%s/invitations" % admin.org_id, {"email": email, "role": "viewer"})
        assert r.status_code == 201, r.text
        r = requests.post(admin.base + "/api/v1/invitations/%s/accept" % r.json_body["token"],
                          json={"password": value}, timeout=60)  # not logged in: a new account
        if r.status_code == 200:
            uid = r.json()["user"]["id"]
            assert admin.delete("/api/v1/orgs/%s/members/%s" % (admin.org_id, uid)).status_code == 204
            return True
        assert r.status_code == 400 and r.json()["error"].get("field") == "password", r.text
        return False

    def subdomain_valid(value):
        r = admin.get("/api/v1/subdomain-check?subdomain=" + requests.utils.quote(value, safe=""))
        assert r.status_code == 200, r.text
        return r.json_body["valid"]

    api_says = {
        "subdomain": [subdomain_valid(v) for v in RULE_CASES["subdomain"]],
        "branch": [project_accepts("default_branch", v) for v in RULE_CASES["branch"]],
        "email": [invitation_accepts(v) for v in RULE_CASES["email"]],
        "git_url": [project_accepts("repository_url", v) for v in RULE_CASES["git_url"]],
        "password": [password_accepted(v) for v in RULE_CASES["password"]],
    }
    differ = ["%s %r: console %s, API %s" % (k, v, c, a)
              for k in RULE_CASES for v, c, a in zip(RULE_CASES[k], console[k], api_says[k]) if c != a]
    assert not differ, "\n".join(differ)


EVENTS_CLIENT = r"""
import * as E from %(bundle)r;
const base = process.argv[process.argv.length - 1];
const realFetch = globalThis.fetch;
globalThis.fetch = (u, o) => realFetch(base + u, o); // the console's paths are relative
const got = [], modes = [];
E.onOrgEvent((e) => got.push(e));
const until = async (f) => { while (!f()) await new Promise((r) => setTimeout(r, 20)); };
E.onStreamMode((m) => modes.push(m));
E.connectOrg("o1");
await until(() => got.some((e) => e.type === "job.finished"));
E.connectOrg("o404");
await until(() => E.streamMode() === "polling");
E.connectOrg(null);
console.log(JSON.stringify({ got, modes }));
process.exit(0);
"""


def test_console_event_stream_client():
    """events.ts against a stand-in stream: events are handed to the pages, a closed stream
    reconnects with Last-Event-ID (the last id seen), `reset` is passed on, and a 404 makes the
    pages poll instead."""
    import http.server
    import threading
    node = shutil.which("node")
    esbuild = os.path.join(WEB, "node_modules", ".bin", "esbuild")
    if not node or not os.path.exists(esbuild):
        pytest.skip("node or web/node_modules is missing")
    seen = []
    done = threading.Event()

    class H(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_GET(self):
            if self.path != "/api/v1/orgs/o1/events":
                self.send_response(404)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"error":{"code":"NOT_FOUND","message":"no"}}')
                return
            seen.append(self.headers.get("Last-Event-ID"))
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            if len(seen) == 1:  # the first connection: one event, then berthd closes it
                self.wfile.write(b': hb\n\nid: 7\nevent: environment.status\n'
                                 b'data: {"id":"e1","project_id":"p1","name":"x","status":"running",'
                                 b'"status_reason":null}\n\nid: 8\nevent: unknown.type\ndata: {}\n\n')
                return
            self.wfile.write(b'id: 9\nevent: reset\ndata: {}\n\n'
                             b'id: 10\nevent: job.finished\ndata: {"id":"j1","type":"deploy",'
                             b'"status":"done","environment_id":"e1","server_id":"s1","project_id":"p1"}\n\n')
            self.wfile.flush()
            done.wait(30)

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    tmp = tempfile.mkdtemp(prefix="berth-events-")
    try:
        bundle = os.path.join(tmp, "events.mjs")
        subprocess.run([esbuild, os.path.join(WEB, "src", "events.ts"), "--bundle", "--format=esm",
                        "--platform=neutral", "--outfile=" + bundle, "--log-level=error"], check=True)
        r = subprocess.run([node, "--input-type=module", "-e", EVENTS_CLIENT % {"bundle": bundle},
                            "http://127.0.0.1:%d" % srv.server_address[1]],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stdout + r.stderr
        out = json.loads(r.stdout)
    finally:
        done.set()
        srv.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)
    # the first connection without Last-Event-ID; the reconnection resumes after id 8 (the last
    # id seen, even of an event type the console does not know)
    assert seen == [None, "8"], seen
    assert [e["type"] for e in out["got"]] == ["environment.status", "reset", "job.finished"], out
    assert out["got"][0]["data"]["status"] == "running"
    assert out["got"][2]["data"]["environment_id"] == "e1"
    assert out["modes"][:3] == ["connecting", "live", "connecting"], out["modes"]
    assert "live" in out["modes"][3:] and out["modes"][-1] == "polling", out["modes"]
