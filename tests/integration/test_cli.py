"""The `berth` command-line client against a real berthd: config file, login, nouns and
verbs, --json output, error messages and exit codes (docs/cli.md)."""
import json
import os
import pty
import re
import select
import shutil
import signal
import stat
import subprocess
import tempfile
import time

import pytest

from conftest import ADMIN_EMAIL, ADMIN_PASSWORD, BERTH, free_port, unique

# exit codes
OK, API, USAGE, UNREACHABLE, AUTH = 0, 1, 2, 3, 4


class Cli:
    """Runs build/berth with its own HOME and config directory, pointed at one berthd."""

    def __init__(self, url):
        self.dir = tempfile.mkdtemp(prefix="berth-cli-")
        self.url = url
        self.config = os.path.join(self.dir, "cfg", "berth", "config.json")

    def env(self, extra=None):
        e = {k: v for k, v in os.environ.items() if not k.startswith("BERTH_")}
        e.update({"HOME": self.dir, "XDG_CONFIG_HOME": os.path.join(self.dir, "cfg"),
                  "BERTH_URL": self.url})
        # sanitizer builds (BERTH_BUILD=build/asan): leaks in a short-lived CLI are errors too
        e.setdefault("ASAN_OPTIONS", "detect_leaks=1")
        for k, v in (extra or {}).items():
            if v is None:
                e.pop(k, None)
            else:
                e[k] = v
        return e

    def run(self, *args, input=None, env=None):
        p = subprocess.run([BERTH] + list(args), input=input,
                           stdin=None if input is not None else subprocess.DEVNULL,
                           capture_output=True, text=True, env=self.env(env), timeout=120)
        for marker in ("ERROR: AddressSanitizer", "runtime error:", "ERROR: LeakSanitizer"):
            assert marker not in p.stderr, p.stderr
        return p

    def ok(self, *args, **kw):
        p = self.run(*args, **kw)
        assert p.returncode == OK, "berth %s -> %d\n%s%s" % (" ".join(args), p.returncode,
                                                            p.stdout, p.stderr)
        return p.stdout

    def json(self, *args, **kw):
        return json.loads(self.ok(*(list(args) + ["--json"]), **kw))

    def fails(self, code, *args, **kw):
        p = self.run(*args, **kw)
        assert p.returncode == code, "berth %s -> %d (wanted %d)\n%s%s" % (
            " ".join(args), p.returncode, code, p.stdout, p.stderr)
        return p

    def cfg(self):
        with open(self.config) as f:
            return json.load(f)

    def login(self, email=ADMIN_EMAIL, password=ADMIN_PASSWORD):
        return self.ok("login", "--email", email, "--password-stdin", input=password + "\n")

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def run_tty(cli, args, dialog, env=None):
    """Runs berth on a pseudo-terminal (its controlling terminal, so /dev/tty works). dialog:
    [(prompt, answer)], each answer typed once its prompt shows. Returns (code, output)."""
    pid, fd = pty.fork()
    if pid == 0:  # child
        try:
            os.execve(BERTH, [BERTH] + list(args), cli.env(env))
        finally:
            os._exit(127)
    out, pos, pending = b"", 0, list(dialog)
    deadline = time.time() + 60
    try:
        while time.time() < deadline:
            if pending:
                i = out.find(pending[0][0].encode(), pos)
                if i >= 0:
                    pos = i + len(pending[0][0])
                    os.write(fd, pending.pop(0)[1].encode())
            r, _, _ = select.select([fd], [], [], 0.2)
            if not r:
                continue
            try:
                data = os.read(fd, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            out += data
        else:
            os.kill(pid, signal.SIGKILL)
            raise AssertionError("berth %s hung:\n%s" % (" ".join(args), out.decode()))
    finally:
        os.close(fd)
    _, status = os.waitpid(pid, 0)
    text = out.decode(errors="replace")
    for marker in ("ERROR: AddressSanitizer", "runtime error:", "ERROR: LeakSanitizer"):
        assert marker not in text, text
    return os.waitstatus_to_exitcode(status), text


@pytest.fixture
def cli_factory(berthd):
    made = []

    def make():
        c = Cli(berthd.url)
        made.append(c)
        return c
    yield make
    for c in made:
        c.cleanup()


@pytest.fixture
def cli(admin, cli_factory):
    """A CLI logged in as the administrator (set up through the API by `admin`)."""
    c = cli_factory()
    c.login()
    c.admin = admin
    return c


def table(out):
    """Rows of a table as dicts keyed by the header's column names."""
    lines = [l for l in out.splitlines() if l.strip()]
    head = lines[0].split()
    return [dict(zip(head, re.split(r"\s{2,}", l.strip()))) for l in lines[1:]]


# ---- usage, help, version ----

def test_version_help_and_usage_errors():
    c = Cli("http://127.0.0.1:%d" % free_port())
    try:
        assert c.ok("--version").strip().startswith("berth ")
        out = c.ok("--help")
        for noun in ("org", "member", "invitation", "plan", "apikey", "server", "project", "env"):
            assert noun in out
        out = c.ok("env", "--help")
        for verb in ("list", "show", "create", "update", "delete"):
            assert "berth env %s" % verb in out
        assert "--cpu" in out and "--var" in out
        out = c.ok("env", "create", "--help")
        assert "--ram MB" in out and "Global options" in out
        c.fails(USAGE)
        p = c.fails(USAGE, "frobnicate")
        assert "unknown command" in p.stderr
        c.fails(USAGE, "env")
        c.fails(USAGE, "env", "explode")
        p = c.fails(USAGE, "project", "create")  # missing NAME
        assert "missing arguments" in p.stderr
        p = c.fails(USAGE, "project", "create", "x", "--no-such-option")
        assert "unknown option '--no-such-option'" in p.stderr
        p = c.fails(USAGE, "env", "create", "--ram", "lots")
        assert "--ram" in p.stderr and "whole number" in p.stderr
        c.fails(USAGE, "project", "show", "a", "b")
        c.fails(USAGE, "env", "create", "--var")  # needs a value
        # checked before any request: no berthd needed
        c.fails(USAGE, "env", "delete", "x")
        c.fails(USAGE, "env", "delete", "x", "--confirm", "yes")
        c.fails(USAGE, "login", "--email", "a@example.com")  # no terminal, no --password-stdin
    finally:
        c.cleanup()


# ---- setup, login, logout, config ----

def test_setup_login_logout_and_config(berthd, cli_factory):
    c = cli_factory()
    out = c.ok("setup", "--email", ADMIN_EMAIL, "--organization", "Acme", "--password-stdin",
               input=ADMIN_PASSWORD + "\n")
    assert "Acme" in out and berthd.url in out
    st = os.stat(c.config)
    assert stat.S_IMODE(st.st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.dirname(c.config)).st_mode) == 0o700
    cfg = c.cfg()
    token = cfg["token"]
    assert cfg["url"] == berthd.url and token.startswith("bt_") and cfg["org"]
    # a second setup is refused by berthd
    p = c.fails(API, "setup", "--email", "x@example.com", "--organization", "B",
                "--password-stdin", input="password-for-tests\n")
    assert "ALREADY_SET_UP" in p.stderr
    out = c.ok("whoami")
    assert ADMIN_EMAIL in out and "Acme" in out
    assert c.json("whoami")["email"] == ADMIN_EMAIL
    # the session token never shows in output
    for args in (["whoami"], ["org", "list"], ["org", "show"], ["whoami", "--json"]):
        p = c.run(*args)
        assert token not in p.stdout + p.stderr
    c.ok("logout")
    assert "token" not in c.cfg()
    p = c.fails(AUTH, "org", "list")
    assert "not logged in" in p.stderr
    # the revoked token is refused by berthd
    p = c.fails(AUTH, "org", "list", env={"BERTH_TOKEN": token})
    assert "UNAUTHORIZED" in p.stderr
    p = c.fails(AUTH, "login", "--email", ADMIN_EMAIL, "--password-stdin", input="wrong-password\n")
    assert "INVALID_CREDENTIALS" in p.stderr
    out = c.login()
    assert "Logged in" in out
    assert c.json("login", "--email", ADMIN_EMAIL, "--password-stdin",
                  input=ADMIN_PASSWORD + "\n").get("access_token") is None
    assert len(table(c.ok("org", "list"))) == 1
    # XDG_CONFIG_HOME unset: ~/.config/berth/config.json
    c2 = Cli(berthd.url)
    try:
        c2.ok("login", "--email", ADMIN_EMAIL, "--password-stdin", input=ADMIN_PASSWORD + "\n",
              env={"XDG_CONFIG_HOME": None})
        path = os.path.join(c2.dir, ".config", "berth", "config.json")
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    finally:
        c2.cleanup()


def test_interactive_login(admin, cli_factory):
    c = cli_factory()
    code, out = run_tty(c, ["login"], [("Email: ", ADMIN_EMAIL + "\n"),
                                       ("Password: ", ADMIN_PASSWORD + "\n")])
    assert code == OK, out
    assert "Logged in" in out
    assert ADMIN_PASSWORD not in out  # not echoed
    # the last email is offered; a wrong password is refused with exit 4
    code, out = run_tty(c, ["login"], [("[%s]: " % ADMIN_EMAIL, "\n"), ("Password: ", "nope\n")])
    assert code == AUTH and "INVALID_CREDENTIALS" in out, out
    # setup asks twice and refuses different passwords
    code, out = run_tty(c, ["setup", "--email", "x@example.com", "--organization", "X"],
                        [("password: ", "password-one\n"), ("Repeat it: ", "password-two\n")])
    assert code == USAGE and "differ" in out, out


def test_url_precedence_and_token_bound_to_its_server(cli, berthd):
    # --url overrides BERTH_URL; the saved session is only sent to the server it came from
    other = "http://127.0.0.1:%d" % free_port()
    p = cli.fails(AUTH, "org", "list", "--url", other)
    assert "not logged in to %s" % other in p.stderr
    p = cli.fails(AUTH, "org", "list", env={"BERTH_URL": other})
    cli.ok("org", "list", "--url", berthd.url, env={"BERTH_URL": other})
    # without BERTH_URL the config's url is used
    assert table(cli.ok("org", "list", env={"BERTH_URL": None}))[0]["NAME"] == "Acme"


def test_unreachable_and_exit_codes(cli, berthd):
    # berthd down (nothing listens there): 3
    dead = "http://127.0.0.1:%d" % free_port()
    p = cli.fails(UNREACHABLE, "org", "list", env={"BERTH_URL": dead, "BERTH_TOKEN": "bt_x"})
    assert "cannot reach berthd" in p.stderr
    # no token at all: 4
    fresh = Cli(berthd.url)
    try:
        p = fresh.fails(AUTH, "project", "list")
        assert "not logged in" in p.stderr and "berth login" in p.stderr
    finally:
        fresh.cleanup()
    # unknown project: 1 with the code
    p = cli.fails(API, "project", "show", "no-such-project")
    assert "berth: error: PROJECT_NOT_FOUND: Project 'no-such-project' doesn't exist" in p.stderr
    p = cli.fails(API, "project", "show", "00000000-0000-4000-8000-000000000000")
    assert "PROJECT_NOT_FOUND" in p.stderr
    # the server's validation error names the field
    p = cli.fails(API, "project", "create", "Bad", "--odoo-version", "12.0")
    assert re.search(r"^berth: error: VALIDATION_ERROR: .*\(field: odoo_version\)$", p.stderr, re.M)
    # missing option checked locally: 2
    p = cli.fails(USAGE, "project", "create", "NoVersion")
    assert "--odoo-version" in p.stderr
    # --data must be an object
    cli.fails(USAGE, "project", "create", "X", "--odoo-version", "18.0", "--data", "[1]")


# ---- orgs, projects, servers, plans ----

def test_projects_and_json_output(cli):
    out = cli.ok("project", "create", "Web Shop", "--odoo-version", "18.0",
                 "--repo", "https://github.com/acme/shop.git", "--branch", "develop")
    assert "web-shop" in out
    rows = table(cli.ok("project", "list"))
    assert [r["NAME"] for r in rows] == ["Web Shop"]
    assert rows[0]["SLUG"] == "web-shop" and rows[0]["ODOO"] == "18.0"
    assert rows[0]["BRANCH"] == "develop"
    projects = cli.json("project", "list")
    assert isinstance(projects, list) and projects[0]["slug"] == "web-shop"
    pid = projects[0]["id"]
    # by slug, name (any case) or id
    for ref in ("web-shop", "Web Shop", "web shop", pid):
        assert cli.json("project", "show", ref)["id"] == pid
    out = cli.ok("project", "show", "web-shop")
    assert re.search(r"^odoo_version:\s+18\.0$", out, re.M)
    p = cli.json("project", "update", "web-shop", "--name", "Web Store", "--repo", "")
    assert p["name"] == "Web Store" and p["repository_url"] is None
    p = cli.fails(API, "project", "create", "Web Shop", "--odoo-version", "17.0")
    assert "NAME_EXISTS" in p.stderr
    cli.ok("project", "delete", "web-shop")
    assert cli.json("project", "list") == []


def test_orgs_default_and_usage(cli):
    out = cli.ok("org", "list")
    rows = table(out)
    assert rows[0]["NAME"] == "Acme" and rows[0]["ROLE"] == "owner"
    o = cli.json("org", "create", "Beta Corp")
    assert o["slug"] == "beta-corp"
    # two organizations and no default: commands that need one ask for --org
    p = cli.fails(USAGE, "project", "list")
    assert "--org" in p.stderr
    cli.ok("project", "create", "Alpha", "--odoo-version", "17.0", "--org", "acme")
    assert [x["name"] for x in cli.json("project", "list", "--org", "Acme")] == ["Alpha"]
    assert cli.json("project", "list", "--org", "beta-corp") == []
    out = cli.ok("org", "use", "Beta Corp")
    assert "Beta Corp" in out
    assert cli.cfg()["org"] == o["id"]
    assert cli.json("project", "list") == []
    assert "*" in [r["DEFAULT"] for r in table(cli.ok("org", "list")) if r["NAME"] == "Beta Corp"]
    p = cli.fails(API, "project", "show", "alpha")  # not in the default org
    assert "PROJECT_NOT_FOUND" in p.stderr
    cli.ok("project", "show", "alpha", "--org", "acme")
    cli.fails(API, "org", "use", "nope")
    # show, update, usage, audit
    assert cli.json("org", "show")["name"] == "Beta Corp"
    assert cli.json("org", "update", "--name", "Beta Inc")["name"] == "Beta Inc"
    out = cli.ok("org", "usage", "acme")
    rows = table(out.split("\n\n", 1)[1])
    proj = [r for r in rows if r["RESOURCE"] == "Projects"][0]
    assert proj["USED"] == "1"
    assert cli.json("org", "usage", "acme")["projects"]["used"] == 1
    audit = cli.json("org", "audit", "acme", "--limit", "5")
    assert audit[0]["action"] == "project.create"
    assert "project.create" in cli.ok("org", "audit", "--org", "acme")


def test_servers(cli):
    out = cli.ok("server", "create", "local", "--transport", "local")
    assert "Created server local" in out
    rows = table(cli.ok("server", "list"))
    assert rows[0]["NAME"] == "local" and rows[0]["TRANSPORT"] == "local"
    s = cli.json("server", "show", "local")
    assert s["transport"] == "local" and s["name"] == "local"
    t = cli.json("server", "test", "local")
    assert t["id"] == s["id"] and t["last_checked_at"]
    if t["status"] == "running":  # capacity is known once a test succeeds
        row = table(cli.ok("server", "list"))[0]
        assert row["CPU"] != "-" and row["RAM"].endswith("M") and row["STATUS"] == "running"
        assert "Capacity:" in cli.ok("server", "test", "local")
    assert "Server local:" in cli.ok("server", "test", s["id"])
    assert cli.json("server", "update", "local", "--max-projects", "3")["max_projects"] == 3
    assert cli.json("server", "update", "local", "--mounts-root", "/srv/x")["mounts_root"] == "/srv/x"
    p = cli.fails(API, "server", "create", "local", "--transport", "local")
    assert "NAME_EXISTS" in p.stderr
    # an SSH server with a key file; the key never comes back
    key = os.path.join(cli.dir, "id_test")
    with open(key, "w") as f:
        f.write("-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n")
    s2 = cli.json("server", "create", "remote1", "--host", "192.0.2.10", "--user", "deploy",
                  "--key-file", key)
    assert s2["host"] == "192.0.2.10" and s2["auth_method"] == "key"
    assert "PRIVATE KEY" not in json.dumps(s2)
    p = cli.fails(USAGE, "server", "create", "remote2", "--host", "h", "--key-file", "/nonexistent")
    assert "cannot read" in p.stderr
    s3 = cli.json("server", "create", "remote2", "--host", "192.0.2.11", "--password-stdin",
                  input="ssh-secret\n")
    assert s3["auth_method"] == "password"
    p = cli.fails(API, "server", "create", "remote3")  # ssh without host
    assert "(field: host)" in p.stderr
    cli.ok("server", "delete", "remote2")
    assert "remote2" not in [x["name"] for x in cli.json("server", "list")]
    p = cli.fails(API, "server", "show", "remote2")
    assert "SERVER_NOT_FOUND" in p.stderr


def test_plans(cli, berthd, admin):
    rows = table(cli.ok("plan", "list"))
    assert {"Free", "Pro", "Enterprise"} <= {r["NAME"] for r in rows}
    p = cli.json("plan", "create", "Gold", "--cpu", "8", "--ram", "16384", "--disk", "200",
                 "--max-environments", "10", "--max-servers", "2", "--max-projects", "4",
                 "--max-members", "10", "--allow-backup", "--no-allow-ide")
    assert p["name"] == "Gold" and p["ram_mb"] == 16384 and p["allow_backup"] in (1, True)
    assert cli.json("plan", "show", "gold")["id"] == p["id"]
    assert cli.json("plan", "update", "Gold", "--max-servers", "3", "--cpu", "8.5")["max_servers"] == 3
    out = cli.ok("plan", "set", "Acme", "Gold")
    assert "Gold" in out
    assert cli.json("org", "show", "acme")["plan_name"] == "Gold"
    p = cli.fails(API, "plan", "delete", "Gold")
    assert "CONFLICT" in p.stderr
    cli.ok("plan", "delete", "Pro")
    cli.fails(API, "plan", "show", "Pro")
    p = cli.fails(API, "plan", "create", "Incomplete", "--cpu", "1")
    assert "VALIDATION_ERROR" in p.stderr
    cli.fails(API, "plan", "set", "Acme", "NoSuchPlan")


def test_admin_odoo_versions(cli):
    rows = table(cli.ok("admin", "odoo-versions"))
    assert [r["VERSION"] for r in rows] == ["16.0", "17.0", "18.0", "19.0"]
    out = cli.ok("admin", "odoo-versions", "set", "17.0", "registry.example:5000/odoo:17.0-custom")
    assert "17.0" in out and "registry.example:5000/odoo:17.0-custom" in out
    got = {v["version"]: v["image"] for v in cli.json("admin", "odoo-versions")}
    assert got["17.0"] == "registry.example:5000/odoo:17.0-custom"
    p = cli.fails(API, "admin", "odoo-versions", "set", "15.0", "odoo:15.0")
    assert "VALIDATION_ERROR" in p.stderr
    cli.fails(USAGE, "admin", "odoo-versions", "get", "17.0")
    cli.ok("admin", "odoo-versions", "set", "17.0", "odoo:17.0")


# ---- members, invitations, API keys ----

def test_invite_accept_and_members(cli, cli_factory):
    cli.ok("project", "create", "Shop", "--odoo-version", "18.0")
    cli.ok("project", "create", "Blog", "--odoo-version", "17.0")
    out = cli.ok("member", "invite", "bob@example.com", "--role", "developer", "--projects", "shop")
    token = re.search(r"Invitation token \(shown once\): (\S+)", out).group(1)
    assert "invitation accept %s" % token in out
    inv = table(cli.ok("invitation", "list"))
    assert inv[0]["EMAIL"] == "bob@example.com" and inv[0]["ROLE"] == "developer"
    assert token not in cli.ok("invitation", "list")
    cli.fails(USAGE, "member", "invite", "carol@example.com")  # --role is required
    bob = cli_factory()
    p = bob.fails(API, "invitation", "accept", "bi_not-a-real-token", "--password-stdin",
                  input="password-for-tests\n")
    assert "INVITATION_NOT_FOUND" in p.stderr
    out = bob.ok("invitation", "accept", token, "--name", "Bob", "--password-stdin",
                 input="password-for-tests\n")
    assert "bob@example.com joined Acme as developer" in out
    assert bob.cfg()["email"] == "bob@example.com"
    assert bob.json("whoami")["email"] == "bob@example.com"
    # bob sees only the project he was given
    assert [p["slug"] for p in bob.json("project", "list")] == ["shop"]
    bob.fails(API, "project", "show", "blog")
    rows = table(cli.ok("member", "list"))
    b = [r for r in rows if r["EMAIL"] == "bob@example.com"][0]
    assert b["ROLE"] == "developer" and b["PROJECTS"] == "shop"
    m = cli.json("member", "update", "bob@example.com", "--role", "viewer", "--all-projects")
    assert m["role"] == "viewer" and m["projects"] is None
    p = bob.fails(API, "project", "create", "Mine", "--odoo-version", "18.0")
    assert "PERMISSION_DENIED" in p.stderr
    # an invitation withdrawn by email
    cli.ok("member", "invite", "carol@example.com", "--role", "viewer")
    cli.ok("invitation", "delete", "carol@example.com")
    assert cli.json("invitation", "list") == []
    cli.ok("member", "remove", "bob@example.com")
    assert "bob@example.com" not in cli.ok("member", "list")
    p = cli.fails(API, "member", "remove", "nobody@example.com")
    assert "USER_NOT_FOUND" in p.stderr


def test_invitation_accept_as_logged_in_user(cli, cli_factory):
    cli.ok("org", "create", "Second")
    # carol has an account in Acme, then is invited to Second
    out = cli.ok("member", "invite", "carol@example.com", "--role", "admin", "--org", "acme")
    tok = re.search(r"\(shown once\): (\S+)", out).group(1)
    carol = cli_factory()
    carol.ok("invitation", "accept", tok, "--password-stdin", input="carol password 1\n")
    out = cli.ok("member", "invite", "carol@example.com", "--role", "viewer", "--org", "second")
    tok2 = re.search(r"\(shown once\): (\S+)", out).group(1)
    carol.ok("invitation", "accept", tok2)  # logged in: joins as herself
    names = sorted(o["name"] for o in carol.json("org", "list"))
    assert names == ["Acme", "Second"]


def test_apikeys_and_berth_token(cli, berthd):
    k = cli.json("apikey", "create", "ci")
    key = k["key"]
    assert key.startswith("bk_") and k["scope"] == "read-write"
    out = cli.ok("apikey", "create", "reader", "--read-only")
    ro = re.search(r"Key \(shown once, store it now\): (\S+)", out).group(1)
    listing = cli.ok("apikey", "list")
    assert key not in listing and ro not in listing
    assert {r["NAME"] for r in table(listing)} == {"ci", "reader"}
    # a script with no config file: BERTH_TOKEN and BERTH_URL only
    script = Cli(berthd.url)
    try:
        env = {"BERTH_TOKEN": key}
        assert table(script.ok("org", "list", env=env))[0]["NAME"] == "Acme"
        script.ok("project", "create", "FromCI", "--odoo-version", "18.0", env=env)
        assert script.json("whoami", env=env)["auth"] == "api_key"
        assert not os.path.exists(script.config)
        p = script.fails(API, "project", "create", "RO", "--odoo-version", "18.0",
                         env={"BERTH_TOKEN": ro})
        assert "PERMISSION_DENIED" in p.stderr
        assert [p["name"] for p in script.json("project", "list", env={"BERTH_TOKEN": ro})] == ["FromCI"]
        cli.ok("apikey", "delete", "ci")
        p = script.fails(AUTH, "org", "list", env=env)
        assert "UNAUTHORIZED" in p.stderr
        cli.ok("apikey", "delete", "reader")
        assert cli.json("apikey", "list") == []
        cli.fails(API, "apikey", "delete", "reader")
    finally:
        script.cleanup()


# ---- environments ----

def env_routes_exist(admin):
    r = admin.post("/api/v1/projects/x/environments", {})
    body = r.json_body or {}
    err = body.get("error") or {}
    return not (r.status_code == 404 and err.get("code") == "NOT_FOUND"
                and err.get("message", "").startswith("No route"))


@pytest.fixture
def envcli(cli, admin):
    if not env_routes_exist(admin):
        pytest.skip("berthd has no environment routes yet")
    cli.ok("project", "create", "Shop", "--odoo-version", "18.0")
    cli.ok("server", "create", "local", "--transport", "local")
    s = cli.json("server", "test", "local")
    cli.server_running = s["status"] == "running"
    return cli


def test_env_needs_a_running_server(envcli):
    if envcli.server_running:
        pytest.skip("the local server runs: covered by test_env_commands")
    p = envcli.fails(API, "env", "create", "dev1", "--server", "local")
    assert "SERVER_NOT_RUNNING" in p.stderr and "(field: vm_id)" in p.stderr


def test_env_commands(envcli):
    c = envcli
    if not c.server_running:
        pytest.skip("the local Docker Engine server is not running")
    out = c.ok("env", "create", "shop-staging", "--type", "staging", "--server", "local",
               "--cpu", "0.5", "--ram", "2048", "--disk", "5", "--subdomain", "acme-staging",
               "--var", "FOO=bar", "--var", "MODE=test", "--odoo-workers", "2",
               "--addon", "https://github.com/OCA/web.git#18.0")
    assert "Created environment shop-staging" in out and "acme-staging" in out
    rows = table(c.ok("env", "list", "--project", "shop"))
    assert list(rows[0].keys()) == ["NAME", "TYPE", "STATUS", "CPU", "RAM", "DISK", "URL"]
    assert rows[0] == {"NAME": "shop-staging", "TYPE": "staging", "STATUS": "pending",
                       "CPU": "0.5", "RAM": "2048M", "DISK": "5G", "URL": rows[0]["URL"]}
    assert "acme-staging" in rows[0]["URL"]
    rows = table(c.ok("env", "list"))  # the whole organization, with the project
    assert rows[0]["PROJECT"] == "shop" and rows[0]["NAME"] == "shop-staging"
    e = c.json("env", "show", "shop-staging")  # no --project: searched in the organization
    assert e["cpu_cores"] == 0.5 and e["ram_mb"] == 2048 and e["disk_gb"] == 5
    assert e["environment_vars"] == {"FOO": "bar", "MODE": "test"}
    assert e["odoo_config"]["workers"] == 2
    assert e["addon_repositories"][0]["branch"] == "18.0"
    assert c.json("env", "show", "shop-staging", "--project", "Shop")["id"] == e["id"]
    assert c.json("env", "show", e["id"])["name"] == "shop-staging"
    out = c.ok("env", "show", "shop-staging")
    assert re.search(r"^environment_type:\s+staging$", out, re.M)
    assert re.search(r"^environment_vars\.FOO:\s+bar$", out, re.M)
    # the server's errors, verbatim
    p = c.fails(API, "env", "create", "other", "--subdomain", "acme-staging")
    assert "berth: error: SUBDOMAIN_EXISTS: Subdomain 'acme-staging' is already in use " \
           "(field: subdomain)" in p.stderr
    p = c.fails(API, "env", "create", "shop-staging")
    assert "NAME_EXISTS" in p.stderr
    p = c.fails(API, "env", "show", "nope")
    assert "ENVIRONMENT_NOT_FOUND" in p.stderr
    p = c.fails(API, "env", "create", "x", "--server", "no-such-server")
    assert "SERVER_NOT_FOUND" in p.stderr
    # update: --var adds, --unset-var removes, the rest stays
    u = c.json("env", "update", "shop-staging", "--var", "NEW=1", "--unset-var", "MODE",
               "--ram", "3072", "--no-pgbouncer", "--smtp-host", "smtp.example.com")
    assert u["environment_vars"] == {"FOO": "bar", "NEW": "1"}
    assert u["ram_mb"] == 3072 and u["enable_pgbouncer"] in (0, False)
    assert u["odoo_config"]["smtp"]["host"] == "smtp.example.com"
    assert u["odoo_config"]["workers"] == 2
    u = c.json("env", "update", "shop-staging", "--smtp-port", "2525", "--odoo-workers", "auto")
    assert u["odoo_config"]["smtp"]["host"] == "smtp.example.com"
    assert u["odoo_config"]["smtp"]["port"] == 2525
    assert "workers" not in u["odoo_config"]
    c.fails(USAGE, "env", "update", "shop-staging")  # nothing to change
    c.fails(USAGE, "env", "update", "shop-staging", "--var", "novalue")
    # the same name in another project: ambiguous without --project
    c.ok("project", "create", "Blog", "--odoo-version", "17.0")
    c.ok("env", "create", "shop-staging", "--project", "blog", "--server", "local",
         "--cpu", "0.25", "--ram", "512", "--disk", "1")
    p = c.fails(USAGE, "env", "show", "shop-staging")
    assert "--project" in p.stderr
    assert c.json("env", "show", "shop-staging", "--project", "blog")["odoo_version"] == "17.0"
    assert len(table(c.ok("env", "list", "--type", "staging"))) == 1
    # delete: confirmation required when not interactive
    p = c.fails(USAGE, "env", "delete", "shop-staging", "--project", "blog")
    assert "--confirm DELETE" in p.stderr
    out = c.ok("env", "delete", "shop-staging", "--project", "blog", "--confirm", "DELETE",
               "--wait")
    assert "Removal of shop-staging queued" in out and "done" in out.splitlines()[-1]
    job_id = re.search(r"job ([0-9a-f-]{36})", out).group(1)
    assert c.json("job", "show", job_id)["status"] == "done"
    assert c.ok("job", "log", job_id)
    assert any(j["id"] == job_id for j in c.json("job", "list"))
    # production environments are protected by berthd
    c.ok("env", "create", "prod", "--project", "shop", "--type", "production", "--server", "local",
         "--cpu", "0.25", "--ram", "512", "--disk", "1")
    p = c.fails(API, "env", "delete", "prod", "--confirm", "DELETE")
    assert "PRODUCTION_PROTECTED" in p.stderr
    jobs = c.json("env", "jobs", "shop-staging", "--project", "shop")
    assert jobs == [] or isinstance(jobs, list)
    # on a terminal, env delete asks to type DELETE
    args = ["env", "delete", "shop-staging", "--project", "shop", "--wait"]
    code, out = run_tty(c, args, [("Type DELETE to confirm: ", "delete\n")])
    assert code == USAGE and "not confirmed" in out, out
    code, out = run_tty(c, args, [("Type DELETE to confirm: ", "DELETE\n")])
    assert code == OK and "done" in out, out
    assert [e["name"] for e in c.json("env", "list")] == ["prod"]
