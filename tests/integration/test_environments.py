"""Create Environment (create-environment.txt) and the environment API around it:
POST/GET /api/v1/projects/{id}/environments, GET /api/v1/orgs/{org}/environments,
GET/PATCH/DELETE /api/v1/environments/{id}, GET /api/v1/subdomain-check.

Tests that need a running server use the local Docker Engine (this machine: 2 CPUs,
about 24 GB RAM): requests stay small (0.25 core / 256 MB / 1 GB) unless a test is about
resources, and server capacity is provoked with 4 cores."""
import json
import os
import re
import sqlite3
import threading
import time
import uuid

import pytest

from conftest import ADMIN_EMAIL, new_user, unique

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
ISO_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
DNS_LABEL_RE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
SMALL = {"cpu_cores": 0.25, "ram_mb": 256, "disk_gb": 1}
DUMMY_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nx\n-----END OPENSSH PRIVATE KEY-----"
SMTP_PASSWORD = "Sup3r-Secret-Smtp-Pw"


# ---- helpers ---------------------------------------------------------------------------------

def expect_error(r, status, code, field=None, message=None):
    assert r.status_code == status, "%s %s: %s" % (r.request.method, r.request.url, r.text)
    assert r.json_body and "error" in r.json_body, r.text
    e = r.json_body["error"]
    assert e["code"] == code, r.text
    if field is not None:
        assert e.get("field") == field, r.text
    if message is not None:
        assert message in e["message"], r.text
    return e


def envs_path(project_id):
    return "/api/v1/projects/%s/environments" % project_id


def create(api, project_id, body=None, **kw):
    """POST an environment; kw are body fields. Returns the response."""
    b = dict(body or {})
    b.update(kw)
    return api.post(envs_path(project_id), b)


def create_ok(api, project_id, body=None, **kw):
    r = create(api, project_id, body, **kw)
    assert r.status_code == 201, r.text
    return r.json_body


def small(**kw):
    b = dict(SMALL)
    b.update(kw)
    return b


def org_envs(api, org_id):
    r = api.get("/api/v1/orgs/%s/environments" % org_id)
    assert r.status_code == 200, r.text
    return r.json_body


def usage(api, org_id):
    r = api.get("/api/v1/orgs/%s/usage" % org_id)
    assert r.status_code == 200, r.text
    return r.json_body


def new_project(api, org_id, name=None, version="18.0", **kw):
    body = {"name": name or unique("Proj"), "odoo_version": version}
    body.update(kw)
    r = api.post("/api/v1/orgs/%s/projects" % org_id, body)
    assert r.status_code == 201, r.text
    return r.json_body


def add_server(api, org_id, name="local", test=True):
    r = api.post("/api/v1/orgs/%s/servers" % org_id, {"name": name, "transport": "local"})
    assert r.status_code == 201, r.text
    sid = r.json_body["id"]
    if test:
        r = api.post("/api/v1/servers/%s/test" % sid)
        assert r.status_code == 200, r.text
        if r.json_body.get("status") != "running":
            pytest.skip("the local Docker Engine server is not 'running' after POST /test "
                        "(status %r, reason %r): the probe driver (src/drivers/probe.c) is "
                        "probably not there yet" % (r.json_body.get("status"),
                                                    r.json_body.get("status_reason")))
    return r.json_body


def add_ssh_server(api, org_id, name="ssh-down"):
    """An SSH server that was never tested (and could not be reached anyway)."""
    r = api.post("/api/v1/orgs/%s/servers" % org_id,
                 {"name": name, "transport": "ssh", "host": "127.0.0.1", "port": 1,
                  "private_key": DUMMY_KEY})
    assert r.status_code == 201, r.text
    assert r.json_body["status"] != "running"
    return r.json_body


def set_plan(admin, org_id, **limits):
    body = {"name": unique("plan"), "cpu_cores": 256, "ram_mb": 524288, "disk_gb": 10000,
            "max_environments": 500, "max_servers": 100, "max_projects": 200,
            "max_members": 500}
    body.update(limits)
    r = admin.post("/api/v1/plans", body)
    assert r.status_code == 201, r.text
    r = admin.put("/api/v1/orgs/%s/plan" % org_id, {"plan_id": r.json_body["id"]})
    assert r.status_code == 200, r.text
    return r.json_body


def wait_job(api, job_id, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        r = api.get("/api/v1/jobs/%s" % job_id)
        assert r.status_code == 200, r.text
        if r.json_body["status"] not in ("queued", "running"):
            return r.json_body
        time.sleep(0.1)
    raise AssertionError("job %s did not finish" % job_id)


def audit_actions(api, org_id):
    r = api.get("/api/v1/orgs/%s/audit" % org_id)
    assert r.status_code == 200, r.text
    return r.json_body


# ---- fixtures --------------------------------------------------------------------------------

@pytest.fixture
def server(admin):
    """The local Docker Engine server of admin's organization, tested and running."""
    return add_server(admin, admin.org_id)


@pytest.fixture
def project(admin):
    """Project 'Acme Shop' (slug acme-shop), Odoo 18.0, default branch main."""
    p = new_project(admin, admin.org_id, name="Acme Shop", version="18.0")
    assert p["slug"] == "acme-shop"
    return p


@pytest.fixture
def other_org(berthd, admin):
    """A second organization, created with POST /api/v1/orgs by a user of the first one (X,
    developer in admin's org, owner of the new one) and given its own running local server;
    .outsider is a member of the second organization only."""
    x = new_user(berthd, admin, role="developer")
    r = x.post("/api/v1/orgs", {"name": unique("Globex")})
    assert r.status_code == 201, r.text
    x.org2 = r.json_body["id"]
    x.server2 = add_server(admin, x.org2, name="local2")  # the administrator assigns it
    x.project2 = new_project(x, x.org2, name=unique("Globex Shop"))
    x.outsider = new_user(berthd, x, role="admin", org_id=x.org2)
    return x


# ---- creation: the spec's example and the response -------------------------------------------

def test_spec_example_request_creates_environment(admin, server, project):
    body = {
        "name": "acme-staging-1",
        "env_type": "staging",
        "vm_id": server["id"],
        "subdomain": "acme-staging",
        "cpu_cores": 2.0,
        "ram_mb": 4096,
        "disk_gb": 20,
        "postgres_cpu_cores": 0.6,
        "postgres_ram_mb": 1229,
        "git_branch": "develop",
        "auto_deploy": True,
        "enable_pgtune": True,
        "enable_pgbouncer": True,
        "enable_read_replica": False,
        "odoo_config": {"workers": 4, "max_cron_threads": 2, "log_level": "info"},
        "environment_vars": {"CUSTOM_VAR": "value"},
    }
    r = admin.post(envs_path(project["id"]), body)
    assert r.status_code == 201, r.text
    e = r.json_body
    assert UUID_RE.match(e["id"]), e
    assert e["name"] == "acme-staging-1"
    assert e["project_id"] == project["id"]
    assert e["vm_id"] == server["id"]
    assert e["environment_type"] == "staging"
    assert e["subdomain"] == "acme-staging"
    assert e["system_url"] == "https://acme-staging.localhost"
    assert e["status"] == "pending"
    assert e["cpu_cores"] == 2.0
    assert e["ram_mb"] == 4096
    assert e["disk_gb"] == 20
    assert e["postgres_cpu_cores"] == 0.6
    assert e["postgres_ram_mb"] == 1229
    assert e["odoo_cpu_cores"] == 1.4
    assert e["odoo_ram_mb"] == 2867
    assert ISO_RE.match(e["created_at"]), e["created_at"]
    # the rest of the request is kept
    assert e["git_branch"] == "develop"
    assert e["auto_deploy"] is True
    assert e["enable_pgtune"] is True and e["enable_pgbouncer"] is True
    assert e["enable_read_replica"] is False
    assert e["odoo_config"]["workers"] == 4
    assert e["odoo_config"]["max_cron_threads"] == 2
    assert e["odoo_config"]["log_level"] == "info"
    assert e["environment_vars"] == {"CUSTOM_VAR": "value"}
    # GET answers the same object
    g = admin.get("/api/v1/environments/%s" % e["id"])
    assert g.status_code == 200, g.text
    for k in ("id", "name", "project_id", "vm_id", "environment_type", "subdomain", "system_url",
              "status", "cpu_cores", "ram_mb", "disk_gb", "postgres_cpu_cores",
              "postgres_ram_mb", "odoo_cpu_cores", "odoo_ram_mb", "created_at"):
        assert g.json_body[k] == e[k], k


def test_defaults(admin, server, project):
    e = create_ok(admin, project["id"], {})
    assert e["environment_type"] == "development"
    assert re.match(r"^acme-shop-development-[a-z0-9]+$", e["name"]), e["name"]
    assert DNS_LABEL_RE.match(e["name"])
    assert e["subdomain"] == "acme-shop-development"
    assert e["system_url"] == "https://acme-shop-development.localhost"
    assert e["vm_id"] == server["id"]  # the running server picked
    assert e["status"] == "pending"
    assert (e["cpu_cores"], e["ram_mb"], e["disk_gb"]) == (1.0, 2048, 10)
    assert (e["postgres_cpu_cores"], e["postgres_ram_mb"]) == (0.3, 614)
    assert (e["odoo_cpu_cores"], e["odoo_ram_mb"]) == (0.7, 1434)
    assert e["enable_pgtune"] is True
    assert e["enable_pgbouncer"] is True
    assert e["enable_read_replica"] is False
    assert e["git_branch"] == "main"  # the project's default branch
    assert e["custom_domain"] is None
    assert e["environment_vars"] == {}
    assert e["addon_repositories"] == []


def test_git_branch_defaults_to_project_default_branch(admin, server):
    p = new_project(admin, admin.org_id, default_branch="develop")
    e = create_ok(admin, p["id"], small())
    assert e["git_branch"] == "develop"
    e = create_ok(admin, p["id"], small(git_branch="feature/x"))
    assert e["git_branch"] == "feature/x"
    expect_error(create(admin, p["id"], small(git_branch="a..b")), 400, "VALIDATION_ERROR",
                 "git_branch")


# ---- name ------------------------------------------------------------------------------------

def test_auto_generated_name_pattern(admin, server, project):
    names = set()
    for t in ("staging", "production", "development", "staging"):
        e = create_ok(admin, project["id"], small(env_type=t))
        # {project-slug}-{env-type}-{random}
        assert re.match(r"^acme-shop-%s-[a-z0-9]{2,}$" % t, e["name"]), e["name"]
        assert DNS_LABEL_RE.match(e["name"]), e["name"]
        names.add(e["name"])
    assert len(names) == 4


@pytest.mark.parametrize("name", ["Acme", "acme_staging", "acme staging", "acme.staging",
                                  "ac\u00e9me", "", "a" * 64, "acme/staging"])
def test_name_pattern_refused(admin, project, name):
    before = len(org_envs(admin, admin.org_id))
    expect_error(create(admin, project["id"], small(name=name)), 400, "VALIDATION_ERROR", "name")
    assert len(org_envs(admin, admin.org_id)) == before


def test_name_not_a_string(admin, project):
    expect_error(create(admin, project["id"], small(name=5)), 400, "VALIDATION_ERROR", "name")
    expect_error(create(admin, project["id"], small(name=None)), 400, "VALIDATION_ERROR", "name")


def test_name_pattern_accepted(admin, server, project):
    for name in ("a", "7", "acme-staging-1", "a--b", "x" * 63):
        e = create_ok(admin, project["id"], small(name=name))
        assert e["name"] == name


def test_name_unique_within_project(admin, server, project):
    other = new_project(admin, admin.org_id)
    create_ok(admin, project["id"], small(name="web"))
    before = len(org_envs(admin, admin.org_id))
    expect_error(create(admin, project["id"], small(name="web")), 400, "NAME_EXISTS", "name")
    assert len(org_envs(admin, admin.org_id)) == before
    # the same name in another project is fine
    e = create_ok(admin, other["id"], small(name="web"))
    assert e["name"] == "web" and e["project_id"] == other["id"]


# ---- environment type ------------------------------------------------------------------------

@pytest.mark.parametrize("t", ["dev", "prod", "Production", "STAGING", "test", "", 1, None,
                               ["staging"]])
def test_env_type_refused(admin, project, t):
    expect_error(create(admin, project["id"], small(env_type=t)), 400, "VALIDATION_ERROR",
                 "env_type")


def test_env_types_accepted(admin, server, project):
    for t in ("development", "staging", "production"):
        e = create_ok(admin, project["id"], small(env_type=t))
        assert e["environment_type"] == t
    # the response's spelling is accepted too
    e = create_ok(admin, project["id"], small(environment_type="staging"))
    assert e["environment_type"] == "staging"


# ---- resources -------------------------------------------------------------------------------

@pytest.mark.parametrize("cpu", [0.2, 0.3, 32.25, "2", 0, -1, 0.1, 1.1, 1.3, 33, True, None])
def test_cpu_refused(admin, project, cpu):
    expect_error(create(admin, project["id"], small(cpu_cores=cpu)), 400, "VALIDATION_ERROR",
                 "cpu_cores")


def test_cpu_bounds_accepted(admin, server, project):
    e = create_ok(admin, project["id"], small(cpu_cores=0.25))
    assert e["cpu_cores"] == 0.25
    e = create_ok(admin, project["id"], small(cpu_cores=1))  # an integer is a number
    assert e["cpu_cores"] == 1.0
    e = create_ok(admin, project["id"], small(cpu_cores=0.5))
    assert e["cpu_cores"] == 0.5
    # 32 passes validation; the 2-core server cannot hold it
    r = create(admin, project["id"], small(cpu_cores=32))
    assert r.status_code != 201 or r.json_body["cpu_cores"] == 32.0, r.text
    if r.status_code != 201:
        expect_error(r, 400, "SERVER_CAPACITY_EXCEEDED")


@pytest.mark.parametrize("ram", [0, 128, 255, 257, 1000, 2047, 131071, 131328, "2048", 2048.5,
                                 None])
def test_ram_refused(admin, project, ram):
    expect_error(create(admin, project["id"], small(ram_mb=ram)), 400, "VALIDATION_ERROR",
                 "ram_mb")


def test_ram_bounds_accepted(admin, server, project):
    e = create_ok(admin, project["id"], small(ram_mb=256))
    assert e["ram_mb"] == 256
    e = create_ok(admin, project["id"], small(ram_mb=512))
    assert e["ram_mb"] == 512
    r = create(admin, project["id"], small(ram_mb=131072))
    if r.status_code != 201:
        expect_error(r, 400, "SERVER_CAPACITY_EXCEEDED", "ram_mb")


@pytest.mark.parametrize("disk", [0, -1, 1001, 5000, "10", 1.5, None])
def test_disk_refused(admin, project, disk):
    expect_error(create(admin, project["id"], small(disk_gb=disk)), 400, "VALIDATION_ERROR",
                 "disk_gb")


def test_disk_bounds_accepted(admin, server, project):
    e = create_ok(admin, project["id"], small(disk_gb=1))
    assert e["disk_gb"] == 1
    r = create(admin, project["id"], small(disk_gb=1000))
    if r.status_code == 201:
        assert r.json_body["disk_gb"] == 1000
    else:
        expect_error(r, 400, "SERVER_CAPACITY_EXCEEDED", "disk_gb")


# ---- PostgreSQL split ------------------------------------------------------------------------

def test_postgres_split(admin, server, project):
    e = create_ok(admin, project["id"], cpu_cores=2.0, ram_mb=4096, disk_gb=1)
    assert (e["postgres_cpu_cores"], e["postgres_ram_mb"]) == (0.6, 1229)
    assert (e["odoo_cpu_cores"], e["odoo_ram_mb"]) == (1.4, 2867)
    assert e["postgres_custom"] is False
    admin.delete("/api/v1/environments/%s" % e["id"], {"confirm": "DELETE"})
    wait_gone(admin, e["id"])
    e = create_ok(admin, project["id"], disk_gb=1)  # defaults 1.0 / 2048
    assert (e["postgres_cpu_cores"], e["postgres_ram_mb"]) == (0.3, 614)
    assert (e["odoo_cpu_cores"], e["odoo_ram_mb"]) == (0.7, 1434)
    e = create_ok(admin, project["id"], cpu_cores=0.25, ram_mb=256, disk_gb=1)
    assert (e["postgres_cpu_cores"], e["postgres_ram_mb"]) == (0.1, 128)  # the minimum
    assert (e["odoo_cpu_cores"], e["odoo_ram_mb"]) == (0.15, 128)


def test_postgres_override(admin, server, project):
    e = create_ok(admin, project["id"], cpu_cores=1.0, ram_mb=4096, disk_gb=1,
                  postgres_cpu_cores=0.5, postgres_ram_mb=1024)
    assert e["postgres_custom"] is True
    assert (e["postgres_cpu_cores"], e["postgres_ram_mb"]) == (0.5, 1024)
    assert (e["odoo_cpu_cores"], e["odoo_ram_mb"]) == (0.5, 3072)
    # one of the two given: the other stays at 30%
    e = create_ok(admin, project["id"], cpu_cores=0.5, ram_mb=2048, disk_gb=1,
                  postgres_cpu_cores=0.1)
    assert (e["postgres_cpu_cores"], e["postgres_ram_mb"]) == (0.1, 614)
    assert (e["odoo_cpu_cores"], e["odoo_ram_mb"]) == (0.4, 1434)
    e = create_ok(admin, project["id"], cpu_cores=0.25, ram_mb=2048, disk_gb=1,
                  postgres_ram_mb=128)
    assert (e["postgres_cpu_cores"], e["postgres_ram_mb"]) == (0.1, 128)
    assert e["odoo_ram_mb"] == 1920
    # null means "automatic"
    e = create_ok(admin, project["id"], small(postgres_cpu_cores=None, postgres_ram_mb=None))
    assert e["postgres_custom"] is False
    assert (e["postgres_cpu_cores"], e["postgres_ram_mb"]) == (0.1, 128)


@pytest.mark.parametrize("field,value", [
    ("postgres_cpu_cores", 0.05), ("postgres_cpu_cores", 0.09), ("postgres_cpu_cores", 0),
    ("postgres_cpu_cores", 16.5), ("postgres_cpu_cores", 17), ("postgres_cpu_cores", "1"),
    ("postgres_cpu_cores", 0.125),
    ("postgres_ram_mb", 127), ("postgres_ram_mb", 0), ("postgres_ram_mb", 65537),
    ("postgres_ram_mb", "512"), ("postgres_ram_mb", 200.5),
])
def test_postgres_override_out_of_range(admin, project, field, value):
    body = {"cpu_cores": 32, "ram_mb": 131072, "disk_gb": 1, field: value}
    expect_error(create(admin, project["id"], body), 400, "VALIDATION_ERROR", field)


def test_postgres_override_must_leave_room_for_odoo(admin, project):
    e = expect_error(create(admin, project["id"], cpu_cores=1.0, ram_mb=2048,
                            postgres_cpu_cores=1.0), 400, "VALIDATION_ERROR", "postgres_cpu_cores")
    assert "Odoo" in e["message"]
    expect_error(create(admin, project["id"], cpu_cores=1.0, ram_mb=2048,
                        postgres_cpu_cores=2.0), 400, "VALIDATION_ERROR", "postgres_cpu_cores")
    expect_error(create(admin, project["id"], cpu_cores=1.0, ram_mb=2048,
                        postgres_ram_mb=2048), 400, "VALIDATION_ERROR", "postgres_ram_mb")
    expect_error(create(admin, project["id"], cpu_cores=1.0, ram_mb=1024,
                        postgres_ram_mb=4096), 400, "VALIDATION_ERROR", "postgres_ram_mb")


# ---- subdomain -------------------------------------------------------------------------------

@pytest.mark.parametrize("sub", ["a" * 64, "-acme", "acme-", "Acme", "acme_x", "acme.x", "",
                                 "acme x", "ac\u00e9me", 5, None])
def test_subdomain_pattern_refused(admin, project, sub):
    before = len(org_envs(admin, admin.org_id))
    expect_error(create(admin, project["id"], small(subdomain=sub)), 400, "VALIDATION_ERROR",
                 "subdomain")
    assert len(org_envs(admin, admin.org_id)) == before


def test_subdomain_pattern_accepted(admin, server, project):
    for sub in ("a" * 63, "a", "0", "a-b", "acme--prod", "1acme9"):
        e = create_ok(admin, project["id"], small(subdomain=sub))
        assert e["subdomain"] == sub
        assert e["system_url"] == "https://%s.localhost" % sub


def test_subdomain_unique_across_projects_and_orgs(admin, server, project, other_org):
    x = other_org
    taken = "shop-" + uuid.uuid4().hex[:6]
    create_ok(admin, project["id"], small(subdomain=taken))
    other = new_project(admin, admin.org_id)
    before = len(org_envs(admin, admin.org_id))
    expect_error(create(admin, project["id"], small(subdomain=taken)), 400, "SUBDOMAIN_EXISTS",
                 "subdomain", "Subdomain '%s' is already in use" % taken)
    expect_error(create(admin, other["id"], small(subdomain=taken)), 400, "SUBDOMAIN_EXISTS",
                 message="Subdomain '%s' is already in use" % taken)
    assert len(org_envs(admin, admin.org_id)) == before
    # another organization: still taken
    expect_error(create(x, x.project2["id"], small(subdomain=taken)), 400, "SUBDOMAIN_EXISTS",
                 message="Subdomain '%s' is already in use" % taken)
    assert org_envs(x, x.org2) == []
    # and the other way round
    theirs = "globex-" + uuid.uuid4().hex[:6]
    create_ok(x, x.project2["id"], small(subdomain=theirs))
    expect_error(create(admin, project["id"], small(subdomain=theirs)), 400, "SUBDOMAIN_EXISTS")


def test_subdomain_check(admin, server, project, other_org):
    taken = "check-" + uuid.uuid4().hex[:6]
    free = "free-" + uuid.uuid4().hex[:6]
    r = admin.get("/api/v1/subdomain-check?subdomain=%s" % taken)
    assert r.status_code == 200, r.text
    assert r.json_body["available"] is True
    create_ok(admin, project["id"], small(subdomain=taken))
    r = admin.get("/api/v1/subdomain-check?subdomain=%s" % taken)
    assert r.status_code == 200 and r.json_body["available"] is False, r.text
    r = admin.get("/api/v1/subdomain-check?subdomain=%s" % free)
    assert r.json_body["available"] is True, r.text
    # from another organization: taken is taken
    r = other_org.outsider.get("/api/v1/subdomain-check?subdomain=%s" % taken)
    assert r.status_code == 200 and r.json_body["available"] is False, r.text
    # not a DNS label: not available
    r = admin.get("/api/v1/subdomain-check?subdomain=Bad_Name")
    assert r.status_code == 200 and r.json_body["available"] is False, r.text
    expect_error(admin.get("/api/v1/subdomain-check"), 400, "VALIDATION_ERROR", "subdomain")


def test_subdomain_check_is_rate_limited_per_user(berthd, admin):
    """The answer tells whether another tenant uses a name: a user gets 30 checks a minute,
    then 429, without touching anyone else's allowance."""
    u, v = new_user(berthd, admin), new_user(berthd, admin)
    for i in range(30):
        r = u.get("/api/v1/subdomain-check?subdomain=probe-%d" % i)
        assert r.status_code == 200, r.text
    e = expect_error(u.get("/api/v1/subdomain-check?subdomain=probe-x"), 429,
                     "TOO_MANY_ATTEMPTS")
    assert "subdomain" in e["message"]
    expect_error(u.get("/api/v1/subdomain-check"), 429, "TOO_MANY_ATTEMPTS")
    r = v.get("/api/v1/subdomain-check?subdomain=probe-x")
    assert r.status_code == 200 and r.json_body["available"] is True, r.text


def test_subdomain_auto_generated(admin, server, project, other_org):
    e1 = create_ok(admin, project["id"], small(env_type="staging"))
    assert e1["subdomain"] == "acme-shop-staging"
    assert e1["system_url"] == "https://acme-shop-staging.localhost"
    e2 = create_ok(admin, project["id"], small(env_type="staging"))
    assert e2["subdomain"] != e1["subdomain"]
    assert e2["subdomain"].startswith("acme-shop-staging-"), e2["subdomain"]
    assert DNS_LABEL_RE.match(e2["subdomain"])
    e3 = create_ok(admin, project["id"], small(env_type="production"))
    assert e3["subdomain"] == "acme-shop-production"
    # an explicit subdomain cannot take an auto-generated one
    expect_error(create(admin, project["id"], small(subdomain="acme-shop-staging")), 400,
                 "SUBDOMAIN_EXISTS")
    # another organization's project with the same slug gets a different subdomain
    x = other_org
    set_plan(admin, x.org2)  # the Free plan allows one project
    p = new_project(x, x.org2, name="Acme Shop")
    assert p["slug"] == "acme-shop"
    e4 = create_ok(x, p["id"], small(env_type="production"))
    assert e4["subdomain"] not in (e1["subdomain"], e2["subdomain"], e3["subdomain"])
    assert e4["subdomain"].startswith("acme-shop-production-"), e4["subdomain"]
    subs = [e["subdomain"] for e in org_envs(admin, admin.org_id)]
    assert len(subs) == len(set(subs))


# ---- custom domain ---------------------------------------------------------------------------

def test_custom_domain(admin, server, project):
    e = create_ok(admin, project["id"], small(custom_domain="app.acme.com"))
    assert e["custom_domain"] == "app.acme.com"
    assert e["url"] == "https://app.acme.com"
    assert e["system_url"] == "https://%s.localhost" % e["subdomain"]
    before = len(org_envs(admin, admin.org_id))
    expect_error(create(admin, project["id"], small(custom_domain="app.acme.com")), 400,
                 "DOMAIN_EXISTS", "custom_domain")
    assert len(org_envs(admin, admin.org_id)) == before
    create_ok(admin, project["id"], small(custom_domain="erp.sub.acme-corp.co.uk"))
    e = create_ok(admin, project["id"], small(custom_domain=None))
    assert e["custom_domain"] is None


@pytest.mark.parametrize("domain", ["not a domain", "acme", "App.Acme.com", "-x.acme.com",
                                    "x..acme.com", "http://app.acme.com", "app.acme.com.",
                                    "app_1.acme.com", ".acme.com", "app.acme.com/x", "",
                                    "a" * 64 + ".com", 5, "shop.localhost"])
def test_custom_domain_refused(admin, project, domain):
    expect_error(create(admin, project["id"], small(custom_domain=domain)), 400,
                 "VALIDATION_ERROR", "custom_domain")


# ---- servers ---------------------------------------------------------------------------------

def test_server_of_another_org_not_found(admin, server, project, other_org):
    x = other_org
    before = len(org_envs(admin, admin.org_id))
    # admin is no member of the other organization
    expect_error(create(admin, project["id"], small(vm_id=x.server2["id"])), 404,
                 "SERVER_NOT_FOUND", "vm_id")
    # x is a member of both: the server still belongs to the wrong organization
    expect_error(create(x, project["id"], small(vm_id=x.server2["id"])), 404, "SERVER_NOT_FOUND",
                 "vm_id")
    # and the other way round
    expect_error(create(x, x.project2["id"], small(vm_id=server["id"])), 404, "SERVER_NOT_FOUND")
    assert len(org_envs(admin, admin.org_id)) == before
    assert org_envs(x, x.org2) == []


@pytest.mark.parametrize("vm_id", ["6a1f3c2e-8d4b-4e7a-9c5d-2b8f0e1a7d34", "nope"])  # fixed: xdist workers collect alike
def test_server_nonexistent(admin, server, project, vm_id):
    expect_error(create(admin, project["id"], small(vm_id=vm_id)), 404, "SERVER_NOT_FOUND")


def test_server_nonexistent_without_any_server(admin, project):
    expect_error(create(admin, project["id"], small(vm_id=str(uuid.uuid4()))), 404,
                 "SERVER_NOT_FOUND")


def test_vm_id_not_a_string(admin, project):
    expect_error(create(admin, project["id"], small(vm_id=5)), 400, "VALIDATION_ERROR", "vm_id")


def test_server_not_running(admin, server, project):
    s = add_ssh_server(admin, admin.org_id)
    before = len(org_envs(admin, admin.org_id))
    expect_error(create(admin, project["id"], small(vm_id=s["id"])), 400, "SERVER_NOT_RUNNING")
    assert len(org_envs(admin, admin.org_id)) == before


def test_no_server_at_all(admin, project):
    expect_error(create(admin, project["id"], small()), 400, "NO_SERVERS_AVAILABLE")
    add_ssh_server(admin, admin.org_id)  # not running: still none available
    expect_error(create(admin, project["id"], small()), 400, "NO_SERVERS_AVAILABLE")
    assert org_envs(admin, admin.org_id) == []


def test_without_vm_id_picks_running_server(admin, project):
    down = add_ssh_server(admin, admin.org_id, name="aaa-down")  # sorts first
    up = add_server(admin, admin.org_id, name="zzz-local")
    for _ in range(3):
        e = create_ok(admin, project["id"], small())
        assert e["vm_id"] == up["id"] != down["id"]


def test_server_capacity_exceeded(admin, server, project):
    cap = admin.get("/api/v1/servers/%s" % server["id"]).json_body["capacity"]
    assert cap["cpu_cores"] >= 1, cap
    too_many = cap["cpu_cores"] + 2
    for body in (small(cpu_cores=too_many, vm_id=server["id"]), small(cpu_cores=too_many)):
        e = expect_error(create(admin, project["id"], body), 400, "SERVER_CAPACITY_EXCEEDED",
                         "cpu_cores")
        assert "Selected server does not have sufficient capacity" in e["message"]
    ram = (cap["ram_mb"] // 256 + 1) * 256
    if ram <= 131072:
        expect_error(create(admin, project["id"], small(ram_mb=ram, vm_id=server["id"])), 400,
                     "SERVER_CAPACITY_EXCEEDED", "ram_mb")
    if cap["disk_gb"] < 1000:
        expect_error(create(admin, project["id"], small(disk_gb=cap["disk_gb"] + 1)), 400,
                     "SERVER_CAPACITY_EXCEEDED", "disk_gb")
    assert org_envs(admin, admin.org_id) == []
    # allocations add up: fill the CPUs, then one step more does not fit
    full = cap["cpu_cores"] - 0.25
    create_ok(admin, project["id"], small(cpu_cores=full))
    expect_error(create(admin, project["id"], small(cpu_cores=0.5)), 400,
                 "SERVER_CAPACITY_EXCEEDED", "cpu_cores")
    create_ok(admin, project["id"], small(cpu_cores=0.25))
    expect_error(create(admin, project["id"], small(cpu_cores=0.25)), 400,
                 "SERVER_CAPACITY_EXCEEDED")
    assert len(org_envs(admin, admin.org_id)) == 2


def test_server_max_projects(admin, server, project):
    r = admin.patch("/api/v1/servers/%s" % server["id"], {"max_projects": 1})
    assert r.status_code == 200, r.text
    create_ok(admin, project["id"], small())
    e = expect_error(create(admin, project["id"], small(vm_id=server["id"])), 400,
                     "SERVER_CAPACITY_EXCEEDED")
    assert "Selected server does not have sufficient capacity" in e["message"]
    expect_error(create(admin, project["id"], small()), 400, "SERVER_CAPACITY_EXCEEDED")
    assert len(org_envs(admin, admin.org_id)) == 1
    r = admin.patch("/api/v1/servers/%s" % server["id"], {"max_projects": 2})
    assert r.status_code == 200, r.text
    create_ok(admin, project["id"], small())


def test_server_default_max_projects_is_8(admin, server, project):
    assert server["max_projects"] == 8
    for _ in range(8):
        create_ok(admin, project["id"], {"cpu_cores": 0.25, "ram_mb": 256, "disk_gb": 1})
    expect_error(create(admin, project["id"], small()), 400, "SERVER_CAPACITY_EXCEEDED")


def parallel(api, n, fn):
    """Runs fn(Api) in n threads at once (each with its own HTTP session); returns responses."""
    out = [None] * n
    start = threading.Barrier(n)

    def run(i):
        a = api.with_token(api.token)
        start.wait()
        out[i] = fn(a)

    ts = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return out


def test_concurrent_creates_respect_capacity_and_uniqueness(admin, server, project):
    cap = admin.get("/api/v1/servers/%s" % server["id"]).json_body["capacity"]["cpu_cores"]
    fits = int(cap / 0.5)
    rs = parallel(admin, fits + 4, lambda a: create(a, project["id"], small(cpu_cores=0.5)))
    ok = [r for r in rs if r.status_code == 201]
    assert len(ok) == fits, [r.text for r in rs]
    for r in rs:
        if r.status_code != 201:
            expect_error(r, 400, "SERVER_CAPACITY_EXCEEDED")
    subs = [r.json_body["subdomain"] for r in ok]
    names = [r.json_body["name"] for r in ok]
    assert len(set(subs)) == len(subs) and len(set(names)) == len(names)
    s = admin.get("/api/v1/servers/%s" % server["id"]).json_body
    assert s["allocated"]["cpu_cores"] <= cap
    # one subdomain, many requests: one wins
    sub = "race-" + uuid.uuid4().hex[:6]
    for e in org_envs(admin, admin.org_id):
        admin.delete(env_path(e), {"confirm": "DELETE"})
        wait_gone(admin, e["id"])
    rs = parallel(admin, 6, lambda a: create(a, project["id"], small(subdomain=sub)))
    assert sum(r.status_code == 201 for r in rs) == 1, [r.text for r in rs]
    for r in rs:
        if r.status_code != 201:
            assert r.json_body["error"]["code"] in ("SUBDOMAIN_EXISTS", "CONFLICT"), r.text


# ---- quota -----------------------------------------------------------------------------------

def test_quota_environment_count(admin, server, project):
    set_plan(admin, admin.org_id, max_environments=2)
    create_ok(admin, project["id"], small())
    create_ok(admin, project["id"], small())
    e = expect_error(create(admin, project["id"], small()), 400, "QUOTA_EXCEEDED")
    assert "environment" in e["message"]
    assert len(org_envs(admin, admin.org_id)) == 2


def test_quota_cpu(admin, server, project):
    set_plan(admin, admin.org_id, cpu_cores=1.5)
    e = expect_error(create(admin, project["id"], small(cpu_cores=1.75)), 400, "QUOTA_EXCEEDED")
    assert "CPU quota exceeded" in e["message"], e
    assert "Cannot create environment" in e["message"], e
    create_ok(admin, project["id"], small(cpu_cores=1.0))
    e = expect_error(create(admin, project["id"], small(cpu_cores=0.75)), 400, "QUOTA_EXCEEDED")
    assert "CPU quota exceeded" in e["message"]
    create_ok(admin, project["id"], small(cpu_cores=0.5))  # exactly the quota
    expect_error(create(admin, project["id"], small()), 400, "QUOTA_EXCEEDED")


def test_quota_ram(admin, server, project):
    set_plan(admin, admin.org_id, ram_mb=4096)
    e = expect_error(create(admin, project["id"], small(ram_mb=4352)), 400, "QUOTA_EXCEEDED")
    assert "RAM quota exceeded" in e["message"], e
    create_ok(admin, project["id"], small(ram_mb=4096))
    expect_error(create(admin, project["id"], small()), 400, "QUOTA_EXCEEDED")


def test_quota_disk(admin, server, project):
    set_plan(admin, admin.org_id, disk_gb=15)
    e = expect_error(create(admin, project["id"], small(disk_gb=16)), 400, "QUOTA_EXCEEDED")
    assert "disk quota exceeded" in e["message"].lower(), e
    create_ok(admin, project["id"], small(disk_gb=10))
    expect_error(create(admin, project["id"], small(disk_gb=6)), 400, "QUOTA_EXCEEDED")
    create_ok(admin, project["id"], small(disk_gb=5))


def test_quota_checked_before_capacity(admin, server, project):
    set_plan(admin, admin.org_id, cpu_cores=3)
    # 4 cores: more than the quota (3) and than the server (2)
    e = expect_error(create(admin, project["id"], small(cpu_cores=4, vm_id=server["id"])), 400,
                     "QUOTA_EXCEEDED")
    assert "CPU quota exceeded" in e["message"]
    expect_error(create(admin, project["id"], small(cpu_cores=4)), 400, "QUOTA_EXCEEDED")
    # 2.5 cores: within quota, beyond the server
    expect_error(create(admin, project["id"], small(cpu_cores=2.5)), 400,
                 "SERVER_CAPACITY_EXCEEDED")
    # quota is checked before the server state too
    down = add_ssh_server(admin, admin.org_id)
    expect_error(create(admin, project["id"], small(cpu_cores=4, vm_id=down["id"])), 400,
                 "QUOTA_EXCEEDED")


def test_read_replica_counts_in_usage(admin, server):
    p = new_project(admin, admin.org_id, version="18.0")
    u = usage(admin, admin.org_id)
    assert u["cpu_cores"]["used"] == 0 and u["ram_mb"]["used"] == 0 and u["disk_gb"]["used"] == 0
    # 2 cores would need 2.6 with the replica, more than the 2-core server: 1.5 -> 1.95
    e = create_ok(admin, p["id"], cpu_cores=1.5, ram_mb=4096, disk_gb=20,
                  enable_read_replica=True)
    assert e["enable_read_replica"] is True
    u = usage(admin, admin.org_id)
    assert u["cpu_cores"]["used"] == 1.95, u
    assert u["ram_mb"]["used"] == 4096 + 1229, u
    assert u["disk_gb"]["used"] == 40, u
    assert u["environments"]["used"] == 1
    # the server's allocation counts it the same way
    s = admin.get("/api/v1/servers/%s" % server["id"]).json_body
    assert s["allocated"]["cpu_cores"] == 1.95, s
    assert s["allocated"]["ram_mb"] == 5325
    assert s["allocated"]["disk_gb"] == 40
    # 0.25 more core for a plain environment still fits (2.2 > 2 does not)
    expect_error(create(admin, p["id"], small(cpu_cores=0.25)), 400, "SERVER_CAPACITY_EXCEEDED")


def test_read_replica_counts_against_quota(admin, server):
    p = new_project(admin, admin.org_id, version="19.0")
    set_plan(admin, admin.org_id, cpu_cores=1.5, ram_mb=8192, disk_gb=30)
    # 1.25 cores + 30% = 1.63 > 1.5
    e = expect_error(create(admin, p["id"], small(cpu_cores=1.25, enable_read_replica=True)),
                     400, "QUOTA_EXCEEDED")
    assert "CPU quota exceeded" in e["message"]
    # 20 GB + 100% = 40 > 30
    e = expect_error(create(admin, p["id"], small(disk_gb=20, enable_read_replica=True)), 400,
                     "QUOTA_EXCEEDED")
    assert "disk quota exceeded" in e["message"].lower()
    # 6400 MB + 30% = 8320 > 8192
    e = expect_error(create(admin, p["id"], small(ram_mb=6400, enable_read_replica=True)), 400,
                     "QUOTA_EXCEEDED")
    assert "RAM quota exceeded" in e["message"]
    e = create_ok(admin, p["id"], small(cpu_cores=1.0, disk_gb=15, enable_read_replica=True))
    u = usage(admin, admin.org_id)
    assert u["cpu_cores"]["used"] == 1.3 and u["disk_gb"]["used"] == 30, u


@pytest.mark.parametrize("version", ["16.0", "17.0"])
def test_read_replica_refused_before_18(admin, server, version):
    p = new_project(admin, admin.org_id, version=version)
    e = expect_error(create(admin, p["id"], small(enable_read_replica=True)), 400,
                     "VALIDATION_ERROR", "enable_read_replica")
    assert "18.0" in e["message"]
    assert org_envs(admin, admin.org_id) == []
    env = create_ok(admin, p["id"], small(enable_read_replica=False))
    assert env["enable_read_replica"] is False
    expect_error(admin.patch("/api/v1/environments/%s" % env["id"],
                             {"enable_read_replica": True}),
                 400, "VALIDATION_ERROR", "enable_read_replica")


@pytest.mark.parametrize("version", ["18.0", "19.0"])
def test_read_replica_accepted_18_and_19(admin, server, version):
    p = new_project(admin, admin.org_id, version=version)
    e = create_ok(admin, p["id"], small(enable_read_replica=True))
    assert e["enable_read_replica"] is True


# ---- Odoo configuration ----------------------------------------------------------------------

def test_odoo_config_presets(admin, server, project):
    for preset in ("minimal", "standard", "production", "high_performance"):
        e = create_ok(admin, project["id"], small(odoo_config={"preset": preset}))
        assert e["odoo_config"]["preset"] == preset
        assert e["odoo_config_effective"]["preset"] == preset
    e = create_ok(admin, project["id"], small())
    assert e["odoo_config"]["preset"] == "standard"


def test_odoo_config_parameters(admin, server, project):
    cfg = {"preset": "production", "workers": 4, "max_cron_threads": 2, "log_level": "warning",
           "db_filter": "^%d$", "session_timeout": 60,
           "smtp": {"host": "smtp.example.com", "port": 587, "user": "mailer",
                    "password": SMTP_PASSWORD, "encryption": "starttls",
                    "from": "odoo@example.com"}}
    r = create(admin, project["id"], small(odoo_config=cfg))
    assert r.status_code == 201, r.text
    assert SMTP_PASSWORD not in r.text
    e = r.json_body
    oc = e["odoo_config"]
    assert (oc["workers"], oc["max_cron_threads"], oc["log_level"]) == (4, 2, "warning")
    assert oc["db_filter"] == "^%d$" and oc["session_timeout"] == 60
    assert oc["smtp"]["host"] == "smtp.example.com"
    assert oc["smtp"]["user"] == "mailer"
    assert oc["smtp"]["from"] == "odoo@example.com"
    assert oc["smtp"]["password_set"] is True
    assert "password" not in oc["smtp"]
    eff = e["odoo_config_effective"]
    assert (eff["workers"], eff["max_cron_threads"], eff["log_level"]) == (4, 2, "warning")
    # the password is never returned: not by GET, lists or the audit log
    for path in ("/api/v1/environments/%s" % e["id"], envs_path(project["id"]),
                 "/api/v1/orgs/%s/environments" % admin.org_id,
                 "/api/v1/orgs/%s/audit" % admin.org_id):
        r = admin.get(path)
        assert r.status_code == 200, r.text
        assert SMTP_PASSWORD not in r.text, path
    # update without the password keeps it
    r = admin.patch("/api/v1/environments/%s" % e["id"],
                    {"odoo_config": {"smtp": {"host": "mail2.example.com"}}})
    assert r.status_code == 200, r.text
    assert r.json_body["odoo_config"]["smtp"]["password_set"] is True
    assert r.json_body["odoo_config"]["smtp"]["host"] == "mail2.example.com"
    assert r.json_body["odoo_config"]["workers"] == 4  # merged
    # smtp: null removes it
    r = admin.patch("/api/v1/environments/%s" % e["id"], {"odoo_config": {"smtp": None}})
    assert r.status_code == 200, r.text
    assert "smtp" not in r.json_body["odoo_config"]
    r = admin.patch("/api/v1/environments/%s" % e["id"],
                    {"odoo_config": {"smtp": {"host": "mail2.example.com"}}})
    assert r.json_body["odoo_config"]["smtp"]["password_set"] is False


# ---- the Odoo administrator: login given or the creator's email, password shown once --------

def test_admin_password_returned_once_and_sealed(admin, berthd, server, project):
    r = create(admin, project["id"], small(admin_login="boss@acme.example"))
    assert r.status_code == 201, r.text
    e = r.json_body
    pw = e["admin_password"]
    assert re.match(r"^[A-Za-z0-9]{24}$", pw), pw
    assert e["admin_login"] == "boss@acme.example"
    # never again: not by GET, lists, the audit log nor berthd's log
    for path in ("/api/v1/environments/%s" % e["id"], envs_path(project["id"]),
                 "/api/v1/orgs/%s/environments" % admin.org_id,
                 "/api/v1/orgs/%s/audit" % admin.org_id):
        g = admin.get(path)
        assert g.status_code == 200, g.text
        assert pw not in g.text and "admin_password" not in g.text, path
    g = admin.get("/api/v1/environments/%s" % e["id"]).json_body
    assert g["admin_login"] == "boss@acme.example"
    u = admin.patch("/api/v1/environments/%s" % e["id"], {"auto_deploy": False})
    assert u.status_code == 200 and "admin_password" not in u.json_body, u.text
    assert pw not in berthd.read_log()
    # at rest: sealed
    db = sqlite3.connect(os.path.join(berthd.data, "berth.db"))
    row = db.execute("SELECT admin_login, admin_password FROM environments WHERE id=?",
                     (e["id"],)).fetchone()
    db.close()
    assert row[0] == "boss@acme.example"
    assert row[1] and row[1].startswith("v1:") and pw not in row[1], row
    # each environment its own password; the login defaults to the creator's email
    e2 = create_ok(admin, project["id"], small())
    assert e2["admin_login"] == ADMIN_EMAIL
    assert re.match(r"^[A-Za-z0-9]{24}$", e2["admin_password"]) and e2["admin_password"] != pw
    assert "admin_password" not in json.dumps(admin.get(envs_path(project["id"])).json_body)


@pytest.mark.parametrize("login", ["", " boss", "boss ", "a\tb", "x" * 101, 42])
def test_admin_login_refused(admin, project, login):
    expect_error(create(admin, project["id"], small(admin_login=login)), 400,
                 "VALIDATION_ERROR", "admin_login")


def test_admin_login_limits_accepted_and_fixed_after_creation(admin, server, project):
    e = create_ok(admin, project["id"], small(admin_login="é" * 100))
    assert e["admin_login"] == "é" * 100
    expect_error(admin.patch("/api/v1/environments/%s" % e["id"], {"admin_login": "other"}), 400,
                 "VALIDATION_ERROR", "admin_login")


def test_odoo_config_integral_numbers(admin, server, project):
    # 4.0 is an integer to JSON encoders that write floats that way
    e = create_ok(admin, project["id"], small(odoo_config={"workers": 4.0, "max_cron_threads": 1.0,
                                                           "smtp": {"host": "smtp.example.com",
                                                                    "port": 2525.0}}))
    assert e["odoo_config"]["workers"] == 4
    assert e["odoo_config_effective"]["workers"] == 4
    assert e["odoo_config_effective"]["max_cron_threads"] == 1
    assert e["odoo_config"]["smtp"]["port"] == 2525


@pytest.mark.parametrize("cfg,field", [
    ({"preset": "turbo"}, "odoo_config.preset"),
    ({"preset": None}, "odoo_config.preset"),
    ({"workers": -1}, "odoo_config.workers"),
    ({"workers": 65}, "odoo_config.workers"),
    ({"workers": "4"}, "odoo_config.workers"),
    ({"workers": 2.5}, "odoo_config.workers"),
    ({"max_cron_threads": -1}, "odoo_config.max_cron_threads"),
    ({"max_cron_threads": 17}, "odoo_config.max_cron_threads"),
    ({"log_level": "verbose"}, "odoo_config.log_level"),
    ({"log_level": "INFO"}, "odoo_config.log_level"),
    ({"db_filter": "a\nb"}, "odoo_config.db_filter"),
    ({"db_filter": "%s"}, "odoo_config.db_filter"),
    ({"db_filter": 5}, "odoo_config.db_filter"),
    # values odoo.conf cannot carry as given (ConfigParser strips spaces, Odoo reads True,
    # False and None as Python values): refused when set, not at every deploy after
    ({"db_filter": "True"}, "odoo_config.db_filter"),
    ({"db_filter": "None"}, "odoo_config.db_filter"),
    ({"db_filter": " ^shop$"}, "odoo_config.db_filter"),
    ({"db_filter": "^shop$ "}, "odoo_config.db_filter"),
    ({"db_filter": "^shop$\u00a0"}, "odoo_config.db_filter"),
    ({"db_filter": "^a\u2028b$"}, "odoo_config.db_filter"),
    ({"db_filter": "^a\u0085b$"}, "odoo_config.db_filter"),
    ({"session_timeout": 0}, "odoo_config.session_timeout"),
    ({"session_timeout": "1h"}, "odoo_config.session_timeout"),
    ({"smtp": "smtp.example.com"}, "odoo_config.smtp"),
    ({"smtp": {}}, "odoo_config.smtp.host"),
    ({"smtp": {"host": "bad host"}}, "odoo_config.smtp.host"),
    ({"smtp": {"host": "smtp.example.com", "port": 0}}, "odoo_config.smtp.port"),
    ({"smtp": {"host": "smtp.example.com", "port": 70000}}, "odoo_config.smtp.port"),
    ({"smtp": {"host": "smtp.example.com", "port": "587"}}, "odoo_config.smtp.port"),
    ({"smtp": {"host": "smtp.example.com", "encryption": "ssl/tls"}},
     "odoo_config.smtp.encryption"),
    ({"smtp": {"host": "smtp.example.com", "from": "not-an-email"}}, "odoo_config.smtp.from"),
    ({"smtp": {"host": "smtp.example.com", "user": "a b"}}, "odoo_config.smtp.user"),
    ({"smtp": {"host": "smtp.example.com", "password": 5}}, "odoo_config.smtp.password"),
    ({"smtp": {"host": "smtp.example.com", "password": " p"}}, "odoo_config.smtp.password"),
    ({"smtp": {"host": "smtp.example.com", "password": "p "}}, "odoo_config.smtp.password"),
    ({"smtp": {"host": "smtp.example.com", "password": ""}}, "odoo_config.smtp.password"),
    ({"smtp": {"host": "smtp.example.com", "password": "False"}}, "odoo_config.smtp.password"),
    ({"smtp": {"host": "smtp.example.com", "user": ""}}, "odoo_config.smtp.user"),
    ({"smtp": {"host": "smtp.example.com", "user": "None"}}, "odoo_config.smtp.user"),
    ({"smtp": {"host": "smtp.example.com", "user": "True"}}, "odoo_config.smtp.user"),
    ({"smtp": {"host": "True"}}, "odoo_config.smtp.host"),
    ({"smtp": {"host": "smtp.example.com", "bcc": "x@example.com"}}, "odoo_config.smtp.bcc"),
    ({"admin_passwd": "x"}, "odoo_config.admin_passwd"),
    ({"foo": 1}, "odoo_config.foo"),
])
def test_odoo_config_refused(admin, project, cfg, field):
    e = expect_error(create(admin, project["id"], small(odoo_config=cfg)), 400,
                     "VALIDATION_ERROR", field)
    assert field in e["message"]


def test_odoo_config_not_an_object(admin, project):
    for v in ("standard", [], 5, None):
        expect_error(create(admin, project["id"], small(odoo_config=v)), 400, "VALIDATION_ERROR",
                     "odoo_config")


def test_odoo_config_failed_request_does_not_leak_password(admin, project):
    r = create(admin, project["id"], small(odoo_config={"smtp": {
        "host": "smtp.example.com", "password": SMTP_PASSWORD, "from": "bad"}}))
    expect_error(r, 400, "VALIDATION_ERROR", "odoo_config.smtp.from")
    assert SMTP_PASSWORD not in r.text


# ---- environment variables -------------------------------------------------------------------

@pytest.mark.parametrize("name,value", [("1X", "v"), ("A-B", "v"), ("A B", "v"), ("HOST", "v"),
                                        ("PGPASSWORD", "v"), ("PORT", "v"), ("USER", "v"),
                                        ("PASSWORD", "v"), ("POSTGRES_DB", "v"),
                                        ("N", 5), ("N", True), ("N", None), ("N", ["x"]),
                                        ("N", "a\nb")])
def test_environment_vars_refused(admin, project, name, value):
    e = expect_error(create(admin, project["id"], small(environment_vars={"OK": "x", name: value})),
                     400, "VALIDATION_ERROR", "environment_vars.%s" % name)
    assert "environment_vars.%s" % name in e["message"]


def test_environment_vars_not_an_object(admin, project):
    for v in ([], "A=B", 5):
        expect_error(create(admin, project["id"], small(environment_vars=v)), 400,
                     "VALIDATION_ERROR", "environment_vars")


def test_environment_vars_accepted(admin, server, project):
    v = {"CUSTOM_VAR": "value", "_private": "", "Mixed_Case1": "with spaces = and signs"}
    e = create_ok(admin, project["id"], small(environment_vars=v))
    assert e["environment_vars"] == v
    r = admin.patch("/api/v1/environments/%s" % e["id"], {"environment_vars": {"A": "b"}})
    assert r.status_code == 200, r.text
    assert r.json_body["environment_vars"] == {"A": "b"}
    expect_error(admin.patch("/api/v1/environments/%s" % e["id"],
                             {"environment_vars": {"PGHOST": "x"}}),
                 400, "VALIDATION_ERROR", "environment_vars.PGHOST")
    assert admin.get("/api/v1/environments/%s" % e["id"]).json_body["environment_vars"] == {
        "A": "b"}


# ---- addon repositories ----------------------------------------------------------------------

@pytest.mark.parametrize("repo", [
    {"url": "--upload-pack=x", "branch": "main"},
    {"url": "https://x/`id`", "branch": "main"},
    {"url": "https://x/$(id)'", "branch": "main"},
    {"url": "https://x/a b", "branch": "main"},
    {"url": "not a url", "branch": "main"},
    {"url": "https://github.com/oca/web.git", "branch": "a..b"},
    {"url": "https://github.com/oca/web.git", "branch": "-x"},
    {"url": "https://github.com/oca/web.git", "branch": "a b"},
    {"url": "https://github.com/oca/web.git", "branch": "main", "commit": "xyz"},
    {"url": "https://github.com/oca/web.git", "branch": "main", "commit": "abc12"},
    {"url": "https://github.com/oca/web.git", "branch": "main", "commit": "HEAD~1"},
    # a password in the URL would be stored and shown in clear (as for repository_url)
    {"url": "https://bob:hunter2@github.com/oca/web.git", "branch": "main"},
    {"url": "ssh://git:hunter2@gitlab.com/acme/addons.git", "branch": "main"},
])
def test_addon_repositories_refused(admin, project, repo):
    e = expect_error(create(admin, project["id"], small(addon_repositories=[repo])), 400,
                     "VALIDATION_ERROR")
    assert e["field"].startswith("addon_repositories"), e


def test_addon_repositories_structure_refused(admin, project):
    for v in ({}, "https://github.com/oca/web.git", [{"url": "https://github.com/oca/web.git"}],
              [{"branch": "main"}], [{"url": "https://a/b", "branch": "m", "path": "x"}],
              [{"url": "https://a/b", "branch": "m"}, {"url": "https://a/b", "branch": "n"}]):
        e = expect_error(create(admin, project["id"], small(addon_repositories=v)), 400,
                         "VALIDATION_ERROR")
        assert e["field"].startswith("addon_repositories"), e


def test_addon_repositories_accepted(admin, server, project):
    repos = [{"url": "https://github.com/OCA/web.git", "branch": "17.0",
              "commit": "0123456789abcdef0123456789abcdef01234567"},
             {"url": "git@github.com:acme/addons.git", "branch": "feature/x"}]
    e = create_ok(admin, project["id"], small(addon_repositories=repos))
    assert e["addon_repositories"] == repos


# ---- permissions -----------------------------------------------------------------------------

def test_viewer_cannot_create(berthd, admin, server, project):
    v = new_user(berthd, admin, role="viewer")
    e = expect_error(create(v, project["id"], small()), 403, "PERMISSION_DENIED")
    assert "project.environments.create" in e["message"]
    assert org_envs(admin, admin.org_id) == []
    # but sees environments
    env = create_ok(admin, project["id"], small())
    r = v.get("/api/v1/environments/%s" % env["id"])
    assert r.status_code == 200, r.text
    assert [x["id"] for x in v.get(envs_path(project["id"])).json_body] == [env["id"]]
    expect_error(v.patch("/api/v1/environments/%s" % env["id"], {"cpu_cores": 0.5}), 403,
                 "PERMISSION_DENIED")
    expect_error(v.delete("/api/v1/environments/%s" % env["id"], {"confirm": "DELETE"}), 403,
                 "PERMISSION_DENIED")


def test_developer_can_create(berthd, admin, server, project):
    d = new_user(berthd, admin, role="developer")
    e = create_ok(d, project["id"], small())
    assert e["created_by"] == d.user_id
    r = d.patch("/api/v1/environments/%s" % e["id"], {"cpu_cores": 0.5})
    assert r.status_code == 200, r.text


def test_project_restricted_member(berthd, admin, server, project):
    b = new_project(admin, admin.org_id, name="Beta")
    env_b = create_ok(admin, b["id"], small())
    m = new_user(berthd, admin, role="developer", projects=[project["id"]])
    # project A: allowed
    env_a = create_ok(m, project["id"], small())
    assert m.get("/api/v1/environments/%s" % env_a["id"]).status_code == 200
    # project B: does not exist for them
    expect_error(create(m, b["id"], small()), 404, "PROJECT_NOT_FOUND")
    expect_error(m.get(envs_path(b["id"])), 404, "PROJECT_NOT_FOUND")
    expect_error(m.get("/api/v1/environments/%s" % env_b["id"]), 404, "ENVIRONMENT_NOT_FOUND")
    expect_error(m.patch("/api/v1/environments/%s" % env_b["id"], {"cpu_cores": 0.5}), 404,
                 "ENVIRONMENT_NOT_FOUND")
    expect_error(m.delete("/api/v1/environments/%s" % env_b["id"], {"confirm": "DELETE"}), 404,
                 "ENVIRONMENT_NOT_FOUND")
    ids = [e["id"] for e in org_envs(m, admin.org_id)]
    assert ids == [env_a["id"]]
    assert len(org_envs(admin, admin.org_id)) == 2


def test_other_org_user_sees_nothing(admin, server, project, other_org):
    o = other_org.outsider
    env = create_ok(admin, project["id"], small())
    expect_error(create(o, project["id"], small()), 404, "PROJECT_NOT_FOUND")
    expect_error(o.get(envs_path(project["id"])), 404, "PROJECT_NOT_FOUND")
    expect_error(o.get("/api/v1/environments/%s" % env["id"]), 404, "ENVIRONMENT_NOT_FOUND")
    expect_error(o.patch("/api/v1/environments/%s" % env["id"], {"cpu_cores": 0.5}), 404,
                 "ENVIRONMENT_NOT_FOUND")
    expect_error(o.delete("/api/v1/environments/%s" % env["id"], {"confirm": "DELETE"}), 404,
                 "ENVIRONMENT_NOT_FOUND")
    r = o.get("/api/v1/orgs/%s/environments" % admin.org_id)
    assert r.status_code == 404, r.text
    assert admin.get("/api/v1/environments/%s" % env["id"]).json_body["cpu_cores"] == 0.25


def test_unauthenticated(berthd, admin, project):
    expect_error(berthd.api().post(envs_path(project["id"]), small()), 401, "UNAUTHORIZED")


@pytest.mark.parametrize("pid", ["0c9e2b7a-4f1d-4a3b-8e6c-5d2a9f7b1e40", "nope"])
def test_unknown_project(admin, server, pid):
    expect_error(create(admin, pid, small()), 404, "PROJECT_NOT_FOUND")
    expect_error(admin.get(envs_path(pid)), 404, "PROJECT_NOT_FOUND")


def test_unknown_environment(admin):
    for method in ("get", "patch", "delete"):
        args = () if method == "get" else ({"confirm": "DELETE"},)
        r = getattr(admin, method)("/api/v1/environments/%s" % uuid.uuid4(), *args)
        expect_error(r, 404, "ENVIRONMENT_NOT_FOUND")


# ---- bad input changes nothing ---------------------------------------------------------------

def test_bad_input_changes_nothing(admin, server, project):
    create_ok(admin, project["id"], small(name="keep", subdomain="keep-sub",
                                          custom_domain="keep.acme.com"))
    before_envs = org_envs(admin, admin.org_id)
    before_usage = usage(admin, admin.org_id)
    bad = [
        small(name="Bad Name"), small(env_type="qa"), small(cpu_cores=0.3), small(ram_mb=100),
        small(disk_gb=0), small(subdomain="-x"), small(custom_domain="nope"),
        small(odoo_config={"workers": 99}), small(environment_vars={"HOST": "x"}),
        small(addon_repositories=[{"url": "--x", "branch": "main"}]),
        small(name="keep"), small(subdomain="keep-sub"), small(custom_domain="keep.acme.com"),
        small(vm_id=str(uuid.uuid4())), small(cpu_cores=8), small(unknown_field=1),
        small(postgres_cpu_cores=0.25),
    ]
    for body in bad:
        r = create(admin, project["id"], body)
        assert r.status_code in (400, 404), (body, r.text)
    r = admin.req("POST", envs_path(project["id"]), raw="{not json",
                  headers={"Content-Type": "application/json"})
    expect_error(r, 400, "INVALID_JSON")
    r = admin.post(envs_path(project["id"]), ["staging"])
    expect_error(r, 400, "VALIDATION_ERROR")
    assert org_envs(admin, admin.org_id) == before_envs
    assert usage(admin, admin.org_id) == before_usage
    assert [a for a in audit_actions(admin, admin.org_id)
            if a["action"] == "environment.create"].__len__() == 1


def test_unknown_field_refused(admin, project):
    expect_error(create(admin, project["id"], small(colour="blue")), 400, "VALIDATION_ERROR",
                 "colour")


# ---- lists and GET ---------------------------------------------------------------------------

def test_lists(admin, server, project, other_org):
    b = new_project(admin, admin.org_id, name="Beta")
    a1 = create_ok(admin, project["id"], small(env_type="staging"))
    a2 = create_ok(admin, project["id"], small(env_type="production"))
    b1 = create_ok(admin, b["id"], small())
    x = other_org
    create_ok(x, x.project2["id"], small())
    r = admin.get(envs_path(project["id"]))
    assert r.status_code == 200, r.text
    assert sorted(e["id"] for e in r.json_body) == sorted([a1["id"], a2["id"]])
    for e in r.json_body:
        assert e["project_id"] == project["id"]
        assert e["system_url"] == "https://%s.localhost" % e["subdomain"]
    r = admin.get(envs_path(project["id"]) + "?type=production")
    assert [e["id"] for e in r.json_body] == [a2["id"]]
    assert [e["id"] for e in admin.get(envs_path(b["id"])).json_body] == [b1["id"]]
    ids = sorted(e["id"] for e in org_envs(admin, admin.org_id))
    assert ids == sorted([a1["id"], a2["id"], b1["id"]])
    assert len(org_envs(x, x.org2)) == 1
    # admin is no member of the other organization
    assert admin.get("/api/v1/orgs/%s/environments" % x.org2).status_code == 404
    g = admin.get("/api/v1/environments/%s" % a1["id"]).json_body
    assert g["id"] == a1["id"] and g["name"] == a1["name"]


def test_list_answers_are_the_single_answers_byte_for_byte(admin, server, project):
    """Lists are written straight from the rows (no tree of values per environment); each
    element is exactly the bytes GET /environments/{id} answers, and the created object is
    that same environment."""
    p = new_project(admin, admin.org_id)
    made = [create_ok(admin, p["id"], small(env_type="staging", odoo_config={
                "preset": "production", "workers": 3, "db_filter": "^%d\"\u00e9\\\\$",
                "smtp": {"host": "smtp.example.com", "user": "u", "password": "pw"}},
                environment_vars={"A": "x\"y\\z \u00e9 /", "B": ""},
                addon_repositories=[{"url": "https://github.com/OCA/web.git",
                                     "branch": "17.0", "commit": "abcdef1"}])),
            create_ok(admin, p["id"], small(env_type="production", postgres_cpu_cores=0.13,
                                            custom_domain="shop-%s.example.com"
                                            % uuid.uuid4().hex[:6])),
            create_ok(admin, p["id"], small())]
    one = []
    for e in made:
        r = admin.get("/api/v1/environments/%s" % e["id"])
        assert r.status_code == 200 and r.headers["Content-Type"] == "application/json"
        assert r.content.endswith(b"}\n")
        one.append(r.content[:-1])
        created = dict(e)
        del created["admin_password"]
        assert r.json_body == created
    r = admin.get(envs_path(p["id"]))
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/json"
    by_id = {e["id"]: text for e, text in zip(made, one)}
    order = [e["id"] for e in r.json_body]  # by creation time, then name
    assert sorted(order) == sorted(by_id)
    assert r.content == b"[" + b",".join(by_id[i] for i in order) + b"]\n"
    r = admin.get(envs_path(p["id"]) + "?type=production")
    assert r.content == b"[" + one[1] + b"]\n"
    r = admin.get(envs_path(p["id"]) + "?type=development")
    assert r.content == b"[" + one[2] + b"]\n"
    assert admin.get(envs_path(p["id"]) + "?type=nothing").content == b"[]\n"
    r = admin.get("/api/v1/orgs/%s/environments?name=%s" % (admin.org_id, made[0]["name"]))
    assert one[0] in r.content
    assert r.json_body[0]["odoo_config_effective"] == {
        "preset": "production", "workers": 3, "max_cron_threads": 2, "log_level": "warning",
        "limit_memory_soft_mb": 2048, "limit_memory_hard_mb": 2560}


# ---- PATCH -----------------------------------------------------------------------------------

def test_list_is_never_stale(berthd, admin, server, project):
    """The list's answer is kept per store connection for one snapshot of the database
    (PRAGMA data_version and the connection's own count of changes): a change through the
    API and a change written straight into SQLite by another process both show in the next
    answer on every connection, and the membership check still runs on every request."""
    e = create_ok(admin, project["id"], small(env_type="staging"))
    path = envs_path(project["id"])

    def lists(path=path, n=24):
        # concurrent requests, so that every HTTP pool thread (each its own connection and
        # memo) answers some of them
        out = [None] * n

        def one(i):
            out[i] = admin.get(path)
        ts = [threading.Thread(target=one, args=(i,)) for i in range(n)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        return out

    for r in lists() + lists(path + "?type=staging"):  # memos filled
        assert r.status_code == 200 and [x["auto_deploy"] for x in r.json_body] == [False]
    first = lists()[0].content
    assert all(r.content == first for r in lists())
    # through the API (another connection, or this one)
    u = admin.patch("/api/v1/environments/%s" % e["id"], {"auto_deploy": True})
    assert u.status_code == 200, u.text
    for r in lists() + lists(path + "?type=staging"):
        assert r.status_code == 200 and [x["auto_deploy"] for x in r.json_body] == [True]
    # through the API on an HTTP pool thread (a fast route: the write is that thread's own
    # connection's, which PRAGMA data_version does not count)
    u = admin.patch("/api/v1/servers/%s" % server["id"], {"name": "srv-api"})
    assert u.status_code == 200, u.text
    for r in lists():
        assert [x["server_name"] for x in r.json_body] == ["srv-api"], r.text
    # straight into SQLite from this process (another process than berthd)
    db = sqlite3.connect(os.path.join(berthd.data, "berth.db"), timeout=30)
    db.execute("UPDATE environments SET name='renamed-behind' WHERE id=?", (e["id"],))
    db.commit()
    for r in lists():
        assert [x["name"] for x in r.json_body] == ["renamed-behind"], r.text
    # a row the list joins (the server's name), then the filter's answer
    db.execute("UPDATE servers SET name='srv-behind' WHERE id=?", (server["id"],))
    db.commit()
    for r in lists():
        assert [x["server_name"] for x in r.json_body] == ["srv-behind"], r.text
    db.execute("UPDATE environments SET environment_type='production' WHERE id=?", (e["id"],))
    db.commit()
    for r in lists(path + "?type=staging"):
        assert r.status_code == 200 and r.json_body == [], r.text
    for r in lists():
        assert [x["env_type"] for x in r.json_body] == ["production"], r.text
    # the membership check is not memoized: the member removed, the project is gone for it
    uid = db.execute("SELECT id FROM users WHERE email=?", (ADMIN_EMAIL,)).fetchone()[0]
    saved = db.execute("SELECT * FROM members WHERE org_id=? AND user_id=?",
                       (admin.org_id, uid)).fetchall()
    db.execute("DELETE FROM members WHERE org_id=? AND user_id=?", (admin.org_id, uid))
    db.commit()
    try:
        for r in lists():
            expect_error(r, 404, "PROJECT_NOT_FOUND")
    finally:
        db.executemany("INSERT INTO members VALUES (%s)" % ",".join(
            "?" * len(saved[0])), saved)
        db.commit()
        db.close()
    for r in lists():
        assert [x["name"] for x in r.json_body] == ["renamed-behind"], r.text


def env_path(e):
    return "/api/v1/environments/%s" % e["id"]


def test_patch_resources(admin, server, project):
    e = create_ok(admin, project["id"], cpu_cores=1.0, ram_mb=2048, disk_gb=5)
    r = admin.patch(env_path(e), {"cpu_cores": 1.5, "ram_mb": 4096, "disk_gb": 8})
    assert r.status_code == 200, r.text
    g = r.json_body
    assert (g["cpu_cores"], g["ram_mb"], g["disk_gb"]) == (1.5, 4096, 8)
    assert (g["postgres_cpu_cores"], g["postgres_ram_mb"]) == (0.45, 1229)
    assert (g["odoo_cpu_cores"], g["odoo_ram_mb"]) == (1.05, 2867)
    for body, field in (({"cpu_cores": 0.3}, "cpu_cores"), ({"cpu_cores": 32.25}, "cpu_cores"),
                        ({"ram_mb": 1000}, "ram_mb"), ({"disk_gb": 0}, "disk_gb"),
                        ({"cpu_cores": "2"}, "cpu_cores"),
                        ({"postgres_cpu_cores": 0.05}, "postgres_cpu_cores"),
                        ({"postgres_ram_mb": 70000}, "postgres_ram_mb"),
                        ({"postgres_cpu_cores": 1.5}, "postgres_cpu_cores"),
                        ({"name": "Bad"}, "name"), ({"subdomain": "-x"}, "subdomain"),
                        ({"odoo_config": {"workers": 100}}, "odoo_config.workers"),
                        ({"status": "running"}, "status")):
        expect_error(admin.patch(env_path(e), body), 400, "VALIDATION_ERROR", field)
    assert admin.get(env_path(e)).json_body["cpu_cores"] == 1.5
    # the whole server for this one environment: its own allocation does not count
    r = admin.patch(env_path(e), {"cpu_cores": 2.0})
    assert r.status_code == 200, r.text
    assert r.json_body["cpu_cores"] == 2.0
    e2 = expect_error(admin.patch(env_path(e), {"cpu_cores": 2.25}), 400,
                      "SERVER_CAPACITY_EXCEEDED", "cpu_cores")
    assert "sufficient capacity" in e2["message"]
    assert admin.get(env_path(e)).json_body["cpu_cores"] == 2.0
    # a second environment cannot grow into the first one's share
    r = admin.patch(env_path(e), {"cpu_cores": 1.5})
    assert r.status_code == 200, r.text
    f = create_ok(admin, project["id"], small())
    expect_error(admin.patch(env_path(f), {"cpu_cores": 0.75}), 400, "SERVER_CAPACITY_EXCEEDED")
    r = admin.patch(env_path(f), {"cpu_cores": 0.5})
    assert r.status_code == 200, r.text


def test_patch_quota_excludes_itself(admin, server, project):
    set_plan(admin, admin.org_id, cpu_cores=2.0, ram_mb=8192, disk_gb=20)
    e = create_ok(admin, project["id"], cpu_cores=1.5, ram_mb=4096, disk_gb=10)
    r = admin.patch(env_path(e), {"cpu_cores": 2.0, "ram_mb": 8192, "disk_gb": 20})
    assert r.status_code == 200, r.text
    # 2.25 is beyond both the quota (2) and the server (2): quota first
    err = expect_error(admin.patch(env_path(e), {"cpu_cores": 2.25}), 400, "QUOTA_EXCEEDED")
    assert "CPU quota exceeded" in err["message"]
    expect_error(admin.patch(env_path(e), {"ram_mb": 8448}), 400, "QUOTA_EXCEEDED")
    expect_error(admin.patch(env_path(e), {"disk_gb": 21}), 400, "QUOTA_EXCEEDED")
    # enabling the replica adds 30%
    expect_error(admin.patch(env_path(e), {"enable_read_replica": True}), 400, "QUOTA_EXCEEDED")
    g = admin.get(env_path(e)).json_body
    assert (g["cpu_cores"], g["ram_mb"], g["disk_gb"]) == (2.0, 8192, 20)
    assert g["enable_read_replica"] is False


def test_patch_postgres_override_and_reset(admin, server, project):
    e = create_ok(admin, project["id"], cpu_cores=1.0, ram_mb=2048, disk_gb=1)
    r = admin.patch(env_path(e), {"postgres_cpu_cores": 0.5})
    assert r.status_code == 200, r.text
    g = r.json_body
    assert g["postgres_custom"] is True
    assert (g["postgres_cpu_cores"], g["postgres_ram_mb"]) == (0.5, 614)
    assert (g["odoo_cpu_cores"], g["odoo_ram_mb"]) == (0.5, 1434)
    # the override stays when the total changes
    r = admin.patch(env_path(e), {"cpu_cores": 2.0, "ram_mb": 4096})
    g = r.json_body
    assert (g["postgres_cpu_cores"], g["postgres_ram_mb"]) == (0.5, 614), g
    assert (g["odoo_cpu_cores"], g["odoo_ram_mb"]) == (1.5, 3482)
    r = admin.patch(env_path(e), {"postgres_ram_mb": 1000})
    g = r.json_body
    assert (g["postgres_cpu_cores"], g["postgres_ram_mb"]) == (0.5, 1000), g
    # a value with a null for the other one: refused, naming the value (never dropped)
    for body, field in (({"postgres_cpu_cores": 123, "postgres_ram_mb": None},
                         "postgres_cpu_cores"),
                        ({"postgres_cpu_cores": None, "postgres_ram_mb": 99999999},
                         "postgres_ram_mb"),
                        ({"postgres_cpu_cores": 0.4, "postgres_ram_mb": None},
                         "postgres_cpu_cores")):
        expect_error(admin.patch(env_path(e), body), 400, "VALIDATION_ERROR", field)
    g = admin.get(env_path(e)).json_body
    assert g["postgres_custom"] and (g["postgres_cpu_cores"], g["postgres_ram_mb"]) == (0.5, 1000)
    # shrinking below the override: PostgreSQL must leave room for Odoo
    expect_error(admin.patch(env_path(e), {"cpu_cores": 0.5}), 400, "VALIDATION_ERROR",
                 "postgres_cpu_cores")
    # null returns to the automatic 30%
    r = admin.patch(env_path(e), {"postgres_cpu_cores": None, "postgres_ram_mb": None})
    assert r.status_code == 200, r.text
    g = r.json_body
    assert g["postgres_custom"] is False
    assert (g["postgres_cpu_cores"], g["postgres_ram_mb"]) == (0.6, 1229)
    assert (g["odoo_cpu_cores"], g["odoo_ram_mb"]) == (1.4, 2867)
    r = admin.patch(env_path(e), {"cpu_cores": 1.0, "ram_mb": 2048})
    g = r.json_body
    assert (g["postgres_cpu_cores"], g["postgres_ram_mb"]) == (0.3, 614)


def test_patch_odoo_config_merge(admin, server, project):
    e = create_ok(admin, project["id"], small(odoo_config={"preset": "production", "workers": 4,
                                                           "log_level": "info"}))
    r = admin.patch(env_path(e), {"odoo_config": {"max_cron_threads": 3}})
    assert r.status_code == 200, r.text
    assert r.json_body["odoo_config"] == {"preset": "production", "workers": 4,
                                          "log_level": "info", "max_cron_threads": 3}
    r = admin.patch(env_path(e), {"odoo_config": {"workers": None, "log_level": "error"}})
    assert r.json_body["odoo_config"] == {"preset": "production", "log_level": "error",
                                          "max_cron_threads": 3}
    assert r.json_body["odoo_config_effective"]["log_level"] == "error"
    expect_error(admin.patch(env_path(e), {"odoo_config": {"workers": 65}}), 400,
                 "VALIDATION_ERROR", "odoo_config.workers")
    assert admin.get(env_path(e)).json_body["odoo_config"]["log_level"] == "error"


def test_patch_immutable_fields(admin, server, project, other_org):
    e = create_ok(admin, project["id"], small(env_type="staging"))
    expect_error(admin.patch(env_path(e), {"env_type": "production"}), 400, "VALIDATION_ERROR",
                 "env_type")
    expect_error(admin.patch(env_path(e), {"environment_type": "production"}), 400,
                 "VALIDATION_ERROR", "env_type")
    second = add_server(admin, admin.org_id, name="local-b")
    expect_error(admin.patch(env_path(e), {"vm_id": second["id"]}), 400, "VALIDATION_ERROR",
                 "vm_id")
    g = admin.get(env_path(e)).json_body
    assert g["environment_type"] == "staging" and g["vm_id"] == e["vm_id"]


def test_patch_names_and_domains(admin, server, project):
    a = create_ok(admin, project["id"], small(name="alpha", subdomain="alpha-sub",
                                              custom_domain="alpha.acme.com"))
    b = create_ok(admin, project["id"], small(name="beta"))
    expect_error(admin.patch(env_path(b), {"name": "alpha"}), 400, "NAME_EXISTS", "name")
    expect_error(admin.patch(env_path(b), {"subdomain": "alpha-sub"}), 400, "SUBDOMAIN_EXISTS",
                 "subdomain", "Subdomain 'alpha-sub' is already in use")
    expect_error(admin.patch(env_path(b), {"custom_domain": "alpha.acme.com"}), 400,
                 "DOMAIN_EXISTS", "custom_domain")
    # its own values are not a conflict
    r = admin.patch(env_path(a), {"name": "alpha", "subdomain": "alpha-sub",
                                  "custom_domain": "alpha.acme.com"})
    assert r.status_code == 200, r.text
    r = admin.patch(env_path(b), {"name": "gamma", "subdomain": "gamma-sub",
                                  "custom_domain": "gamma.acme.com"})
    assert r.status_code == 200, r.text
    g = r.json_body
    assert (g["name"], g["subdomain"], g["custom_domain"]) == ("gamma", "gamma-sub",
                                                               "gamma.acme.com")
    assert g["system_url"] == "https://gamma-sub.localhost"
    r = admin.patch(env_path(b), {"custom_domain": None})
    assert r.status_code == 200 and r.json_body["custom_domain"] is None, r.text
    assert admin.get("/api/v1/subdomain-check?subdomain=%s" % b["subdomain"]).json_body[
        "available"] is True


def test_patch_sends_back_auto_generated_name(admin, server):
    # an auto-generated name is a valid name: the object can be sent back as is
    p = new_project(admin, admin.org_id, name="Template Shop")
    e = create_ok(admin, p["id"], small())
    assert e["name"].startswith("template-shop-development-")
    r = admin.patch(env_path(e), {"name": e["name"], "subdomain": e["subdomain"]})
    assert r.status_code == 200, r.text
    create_ok(admin, p["id"], small(name="template-shop-x"))
    # what the database server does reserve
    for name in ("postgres", "template0", "template1", "pgbouncer"):
        expect_error(create(admin, p["id"], small(name=name)), 400, "VALIDATION_ERROR", "name")


def test_patch_over_quota_can_shrink(admin, server, project):
    """After a plan downgrade the organization is over quota: reducing an environment (the
    spec's advice) and changing other settings work, growing does not."""
    e = create_ok(admin, project["id"], cpu_cores=1.0, ram_mb=2048, disk_gb=10)
    set_plan(admin, admin.org_id, cpu_cores=0.5, ram_mb=1024, disk_gb=5)
    u = usage(admin, admin.org_id)
    assert u["cpu_cores"]["available"] < 0
    r = admin.patch(env_path(e), {"git_branch": "develop"})
    assert r.status_code == 200, r.text
    r = admin.patch(env_path(e), {"cpu_cores": 0.75})
    assert r.status_code == 200, r.text
    err = expect_error(admin.patch(env_path(e), {"cpu_cores": 1.0}), 400, "QUOTA_EXCEEDED")
    assert "CPU quota exceeded" in err["message"]
    # growing RAM while CPU stays over: refused on RAM
    expect_error(admin.patch(env_path(e), {"ram_mb": 2304}), 400, "QUOTA_EXCEEDED", "ram_mb")
    r = admin.patch(env_path(e), {"ram_mb": 1024, "disk_gb": 5, "cpu_cores": 0.5})
    assert r.status_code == 200, r.text
    assert usage(admin, admin.org_id)["cpu_cores"]["available"] == 0
    # new environments are still refused
    expect_error(create(admin, project["id"], small()), 400, "QUOTA_EXCEEDED")


# ---- DELETE ----------------------------------------------------------------------------------

def wait_gone(api, env_id, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        r = api.get("/api/v1/environments/%s" % env_id)
        if r.status_code == 404:
            return
        time.sleep(0.1)
    raise AssertionError("environment %s still there" % env_id)


def test_delete(admin, server, project):
    e = create_ok(admin, project["id"], small(env_type="staging"))
    r = admin.delete(env_path(e), {"confirm": "DELETE"})
    # removal is a job (instance-console.txt: job types include remove); 204 if immediate
    assert r.status_code in (202, 204), r.text
    wait_gone(admin, e["id"])
    if r.status_code == 202:
        assert r.json_body["type"] == "remove"
        assert r.json_body["environment_id"] == e["id"]
        # polled once the environment is gone (see the report: job_access races with removal)
        job = wait_job(admin, r.json_body["id"])
        assert job["status"] == "done", job
    expect_error(admin.get(env_path(e)), 404, "ENVIRONMENT_NOT_FOUND")
    assert org_envs(admin, admin.org_id) == []
    assert usage(admin, admin.org_id)["cpu_cores"]["used"] == 0
    # the name and subdomain are free again
    r = admin.get("/api/v1/subdomain-check?subdomain=%s" % e["subdomain"])
    assert r.json_body["available"] is True
    create_ok(admin, project["id"], small(name=e["name"], subdomain=e["subdomain"]))


@pytest.mark.parametrize("body", [None, {}, {"confirm": "delete"}, {"confirm": "yes"},
                                  {"confirm": True}, {"confirm": " DELETE"}, "DELETE"])
def test_delete_requires_confirmation(admin, server, project, body):
    e = create_ok(admin, project["id"], small(env_type="development"))
    r = admin.delete(env_path(e), body)
    if isinstance(body, str):
        assert r.status_code == 400, r.text  # not a JSON object
    else:
        expect_error(r, 400, "CONFIRMATION_REQUIRED")
    time.sleep(0.2)
    assert admin.get(env_path(e)).status_code == 200


def test_delete_production_protected(admin, server, project):
    e = create_ok(admin, project["id"], small(env_type="production"))
    expect_error(admin.delete(env_path(e), {"confirm": "DELETE"}), 409, "PRODUCTION_PROTECTED")
    expect_error(admin.delete(env_path(e)), 409, "PRODUCTION_PROTECTED")
    time.sleep(0.2)
    assert admin.get(env_path(e)).status_code == 200


def test_delete_needs_environment_remove(berthd, admin, server, project):
    d = new_user(berthd, admin, role="developer")
    e = create_ok(d, project["id"], small(env_type="development"))
    err = expect_error(d.delete(env_path(e), {"confirm": "DELETE"}), 403, "PERMISSION_DENIED")
    assert "environment.remove" in err["message"]
    assert admin.get(env_path(e)).status_code == 200
    a = new_user(berthd, admin, role="admin")
    r = a.delete(env_path(e), {"confirm": "DELETE"})
    assert r.status_code in (202, 204), r.text
    wait_gone(admin, e["id"])


# ---- audit -----------------------------------------------------------------------------------

def test_audit(admin, server, project):
    e = create_ok(admin, project["id"], small(env_type="staging"))
    r = admin.patch(env_path(e), {"cpu_cores": 0.5})
    assert r.status_code == 200, r.text
    r = admin.delete(env_path(e), {"confirm": "DELETE"})
    assert r.status_code in (202, 204), r.text
    wait_gone(admin, e["id"])
    log = audit_actions(admin, admin.org_id)
    mine = [a for a in log if a["target_id"] == e["id"]]
    actions = [a["action"] for a in mine]
    for want in ("environment.create", "environment.update", "environment.remove"):
        assert want in actions, log
    for a in mine:
        assert a["target_type"] == "environment"
        assert a["user_id"] == admin.user_id
    create_entry = [a for a in mine if a["action"] == "environment.create"][0]
    assert create_entry["details"]["name"] == e["name"]
    update_entry = [a for a in mine if a["action"] == "environment.update"][0]
    assert "cpu_cores" in update_entry["details"]["fields"]
    # failed requests leave no trace
    create(admin, project["id"], small(cpu_cores=0.3))
    assert len([a for a in audit_actions(admin, admin.org_id)
                if a["action"] == "environment.create"]) == 1
