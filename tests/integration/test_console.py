"""The web console in a real browser: tests/console/walkthrough.mjs drives Debian's chromium
(playwright-core from web/node_modules, never a downloaded browser) against a real berthd
serving the built console (web/dist). Skipped when node, the built console, playwright-core
or chromium is missing. Screenshots go to build/screenshots/."""
import os
import shutil
import subprocess
import tempfile

import pytest

from conftest import ROOT, Berthd
from runtime import docker_available

WEB = os.path.join(ROOT, "web")
DIST = os.path.join(WEB, "dist")
CHROMIUM = os.environ.get("BERTH_CHROMIUM", "/usr/bin/chromium")
SCRIPT = os.path.join(ROOT, "tests", "console", "walkthrough.mjs")


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
    yield d
    d.cleanup()
    shutil.rmtree(roots, ignore_errors=True)


def test_console_walkthrough(console_berthd):
    node = need_tools()
    env = dict(os.environ)
    env["BERTH_URL"] = console_berthd.url
    env["SHOTS"] = os.path.join(ROOT, "build", "screenshots")
    env["BERTH_DOCKER"] = "1" if docker_available() else "0"
    env["CHROMIUM"] = CHROMIUM
    env["BERTH_REPO"] = console_berthd.repo or ""
    r = subprocess.run([node, SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=420)
    print(r.stdout)
    print(r.stderr)
    assert r.returncode == 0, "walkthrough failed:\n%s\n%s\nberthd log tail:\n%s" % (
        r.stdout[-4000:], r.stderr[-4000:], console_berthd.read_log()[-3000:])


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
