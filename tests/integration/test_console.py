"""The web console in a real browser: tests/console/walkthrough.mjs drives Debian's chromium
(playwright-core from web/node_modules, never a downloaded browser) against a real berthd
serving the built console (web/dist). Skipped when node, the built console, playwright-core
or chromium is missing. Screenshots go to build/screenshots/."""
import os
import shutil
import subprocess

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


@pytest.fixture
def console_berthd():
    d = Berthd(["--web", DIST]).start()
    yield d
    d.cleanup()


def test_console_walkthrough(console_berthd):
    node = need_tools()
    env = dict(os.environ)
    env["BERTH_URL"] = console_berthd.url
    env["SHOTS"] = os.path.join(ROOT, "build", "screenshots")
    env["BERTH_DOCKER"] = "1" if docker_available() else "0"
    env["CHROMIUM"] = CHROMIUM
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
