"""The Odoo, PostgreSQL and Packages settings on the running stand-in (issue 13): odoo.conf
text with reserved keys ignored, shared memory and memory limits, derived images with Debian
packages, PostgreSQL extensions and parameters, shared addons and an external filestore under
the server's mounts_root (and paths outside it refused), kept across restarts and redeploys.
One environment is deployed once and shared by the tests of this module, in order."""
import json
import os
import shutil
import tempfile

import pytest

from conftest import Berthd, ADMIN_EMAIL, ADMIN_PASSWORD, free_port, unique
import runtime as rt

pytestmark = pytest.mark.skipif(not rt.docker_available(), reason="no Docker Engine")

EDGE_PORT = free_port()
MB = 1024 * 1024


@pytest.fixture(scope="module")
def plat():
    rt.ensure_standin()
    d = Berthd().start()
    api = d.api()
    r = api.post("/api/v1/setup", {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD,
                                   "organization": "Acme"})
    assert r.status_code == 201, r.text
    a = api.with_token(r.json_body["access_token"])
    a.berthd = d
    a.org_id = r.json_body["organization"]["id"]
    a.slug = a.get("/api/v1/orgs/%s" % a.org_id).json_body["slug"]
    r = a.put("/api/v1/admin/odoo-versions",
              [{"version": v, "image": "%s:%s" % (rt.STANDIN_TAG, v)} for v in ("17.0", "18.0")])
    assert r.status_code == 200, r.text
    r = a.post("/api/v1/plans", {"name": unique("tuning"), "cpu_cores": 64, "ram_mb": 65536,
                                 "disk_gb": 1000, "max_environments": 20, "max_servers": 5,
                                 "max_projects": 10, "max_members": 10,
                                 "allow_instance_tuning": True, "allow_backup": True})
    assert r.status_code == 201, r.text
    assert a.put("/api/v1/orgs/%s/plan" % a.org_id, {"plan_id": r.json_body["id"]}).status_code == 200
    # the server's mounts_root: a directory of this test, with the organization's directory
    a.root = tempfile.mkdtemp(prefix="berth-mounts-")
    org_dir = os.path.join(a.root, a.slug)
    mod = os.path.join(org_dir, "addons", "berth_shared_mod")
    os.makedirs(mod)
    open(os.path.join(mod, "__init__.py"), "w").close()
    open(os.path.join(mod, "__manifest__.py"), "w").write("{'name': 'Shared', 'version': '1.0'}\n")
    os.makedirs(os.path.join(org_dir, "filestore"))
    os.symlink("/etc", os.path.join(org_dir, "evil"))
    os.makedirs(os.path.join(a.root, "other-org", "addons"))
    r = a.post("/api/v1/orgs/%s/servers" % a.org_id, {"name": "local", "transport": "local",
                                                        "http_port": EDGE_PORT,
                                                        "https_port": free_port()})
    assert r.status_code == 201, r.text
    a.server_id = r.json_body["id"]
    assert r.json_body["mounts_root"] == "/srv/berth"
    assert a.post("/api/v1/servers/%s/test" % a.server_id).json_body["status"] == "running"
    r = a.post("/api/v1/orgs/%s/projects" % a.org_id, {"name": "Shop", "odoo_version": "18.0"})
    assert r.status_code == 201, r.text
    a.project_id = r.json_body["id"]
    yield a
    for e in a.get("/api/v1/orgs/%s/environments" % a.org_id).json_body or []:
        r = a.delete("/api/v1/environments/%s" % e["id"], {"confirm": "DELETE"})
        if r.status_code == 202:
            rt.wait_job(a, r.json_body["id"])
    try:
        d.cleanup()
    finally:
        rt.remove_edges(a.server_id)
        # the filestore belongs to the Odoo user (uid 100) now: root removes it
        shutil.rmtree(a.root, ignore_errors=True)


TABS = {}


def patch_settings(a, env_id, settings):
    """Saves settings the way the console does: one PUT per sub-tab (settings/{tab})."""
    if not TABS:
        for tab in ("odoo", "postgresql", "packages"):
            r = a.get("/api/v1/environments/%s/settings/%s" % (env_id, tab))
            assert r.status_code == 200, r.text
            TABS.update({k: tab for k in r.json_body["values"]})
    by_tab = {}
    for k, v in settings.items():
        by_tab.setdefault(TABS[k], {})[k] = v
    out = {}
    for tab, body in by_tab.items():
        r = a.put("/api/v1/environments/%s/settings/%s" % (env_id, tab), body)
        assert r.status_code == 200, r.text
        out[tab] = r.json_body
    return out


def odoo_conf(env_id):
    c = rt.env_containers(env_id, "odoo", all_=False)
    assert c, "Odoo is not running"
    return rt.docker("exec", c[0], "cat", "/etc/odoo/odoo.conf").stdout


def conf_lines(conf, key):
    return [l for l in conf.splitlines() if l.split("=")[0].strip() == key]


def pg_exec(env_id, *argv):
    c = rt.env_containers(env_id, "db", all_=False)
    assert c
    return rt.docker("exec", "-u", "postgres", c[0], *argv).stdout


def test_mounts_root_is_a_server_setting(plat):
    a = plat
    for bad in ("/", "relative/dir", "/srv/../etc", "/srv/berth/", "/a b"):
        r = a.patch("/api/v1/servers/%s" % a.server_id, {"mounts_root": bad})
        assert r.status_code == 400, (bad, r.text)
        assert r.json_body["error"]["field"] == "mounts_root"
    r = a.patch("/api/v1/servers/%s" % a.server_id, {"mounts_root": a.root})
    assert r.status_code == 200, r.text
    assert r.json_body["mounts_root"] == a.root
    assert a.get("/api/v1/servers/%s" % a.server_id).json_body["mounts_root"] == a.root


@pytest.fixture(scope="module")
def env(plat):
    a = plat
    r = a.post("/api/v1/projects/%s/environments" % a.project_id,
               {"env_type": "staging", "vm_id": a.server_id, "cpu_cores": 1.0, "ram_mb": 1536,
                "disk_gb": 2, "name": unique("tune")})
    assert r.status_code == 201, r.text
    env = r.json_body
    org_dir = os.path.join(a.root, a.slug)
    saved = patch_settings(a, env["id"], {
        "odoo_shm_mb": 128, "odoo_memory_limit_mb": 700, "odoo_memory_reservation_mb": 300,
        "odoo_config": "limit_time_cpu = 77\nadmin_passwd = hacked\nhttp_port = 1\n"
                       "list_db = True\n[evil]\nworkers = 9\n",
        "postgres_shm_mb": 96, "postgres_memory_limit_mb": 400,
        "postgres_config": "statement_timeout = 12345\nbogus_param = 1\nport = 6000\n",
        "postgres_extensions": ["pg_trgm", "ip4r"],
        "postgres_packages": ["postgresql-15-ip4r"],
        "odoo_packages": ["hello"],
        "server_shared_addons": True,
        "server_shared_addons_path": os.path.join(org_dir, "addons"),
        "external_filestore": True,
        "external_filestore_path": os.path.join(org_dir, "filestore"),
        "auto_restart": True,
    })
    # what will be ignored is said when saving
    assert saved["odoo"]["ignored_keys"] == ["admin_passwd", "http_port", "list_db", "line 5",
                                             "workers"]
    assert saved["postgresql"]["ignored_keys"] == ["bogus_param", "port"]
    assert saved["packages"]["apply"]["needed"] == "rebuild"
    job = rt.run_job(a, "POST", "/api/v1/environments/%s/deploy" % env["id"])
    env["first_log"] = rt.job_log(a, job["id"])
    return env


def test_odoo_conf_text_and_reserved_keys(plat, env):
    conf = odoo_conf(env["id"])
    assert conf_lines(conf, "limit_time_cpu") == ["limit_time_cpu = 77"]
    assert len(conf_lines(conf, "admin_passwd")) == 1 and "hacked" not in conf
    assert conf_lines(conf, "http_port") == ["http_port = 8069"]
    assert conf_lines(conf, "list_db") == ["list_db = False"]
    assert len(conf_lines(conf, "workers")) == 1 and "workers = 9" not in conf.splitlines()
    assert [l for l in conf.splitlines() if l.startswith("[")] == ["[options]"]  # no section
    assert "admin_passwd is reserved" in conf


def test_limits_after_deploy(plat, env):
    odoo = rt.inspect(rt.env_containers(env["id"], "odoo")[0])
    db = rt.inspect(rt.env_containers(env["id"], "db")[0])
    assert odoo["HostConfig"]["ShmSize"] == 128 * MB
    assert odoo["HostConfig"]["Memory"] == 700 * MB
    assert odoo["HostConfig"]["MemoryReservation"] == 300 * MB
    assert odoo["HostConfig"]["RestartPolicy"]["Name"] == "unless-stopped"
    assert db["HostConfig"]["ShmSize"] == 96 * MB
    assert db["HostConfig"]["Memory"] == 400 * MB
    assert db["HostConfig"]["RestartPolicy"]["Name"] == "unless-stopped"


def test_packages_in_derived_images(plat, env):
    odoo = rt.env_containers(env["id"], "odoo")[0]
    out = rt.docker("exec", odoo, "dpkg", "-s", "hello").stdout
    assert "Status: install ok installed" in out
    assert rt.inspect(odoo)["Config"]["Image"].startswith("berth/env-")
    assert rt.inspect(odoo)["Config"]["User"] == "odoo"  # the base image's user is kept
    out = pg_exec(env["id"], "dpkg", "-s", "postgresql-15-ip4r")
    assert "Status: install ok installed" in out
    assert "apt-get install" in env["first_log"] or "Setting up hello" in env["first_log"]


def test_extensions_and_parameters(plat, env):
    dx = pg_exec(env["id"], "psql", "-X", "-h", "/run/postgresql", "-d", env["name"], "-c", "\\dx")
    assert "pg_trgm" in dx and "ip4r" in dx, dx
    show = pg_exec(env["id"], "psql", "-X", "-h", "/run/postgresql", "-d", env["name"], "-tAc",
                   "SHOW statement_timeout").strip()
    assert show == "12345ms"
    assert pg_exec(env["id"], "psql", "-X", "-h", "/run/postgresql", "-tAc", "SHOW port").strip() == "5432"
    conf = pg_exec(env["id"], "cat", "/etc/berth/postgresql.conf")
    assert "bogus_param is not a parameter of PostgreSQL 15" in conf
    assert "port is reserved" in conf


def test_shared_addons_and_filestore_mounts(plat, env):
    a = plat
    org_dir = os.path.realpath(os.path.join(a.root, a.slug))
    odoo = rt.inspect(rt.env_containers(env["id"], "odoo")[0])
    mounts = {m["Destination"]: m for m in odoo["Mounts"]}
    addons = mounts["/mnt/berth-shared-addons"]
    assert addons["Type"] == "bind" and addons["RW"] is False
    assert addons["Source"] == os.path.join(org_dir, "addons")
    fs = mounts["/var/lib/odoo/filestore"]
    assert fs["Type"] == "bind" and fs["RW"] is True
    assert fs["Source"] == os.path.join(org_dir, "filestore")
    assert os.stat(fs["Source"]).st_uid == 100  # the Odoo image's user
    conf = odoo_conf(env["id"])
    path = conf_lines(conf, "addons_path")
    assert path and path[0].endswith("/mnt/berth-shared-addons"), conf
    status, body = rt.http_get(EDGE_PORT, env["subdomain"] + ".localhost", "/berth-standin/info")
    assert status == 200, body
    assert "/mnt/berth-shared-addons" in json.loads(body)["addons_paths_effective"]


def test_soft_restart_writes_odoo_conf_without_code(plat, env):
    a = plat
    before = rt.env_containers(env["id"], "odoo")
    patch_settings(a, env["id"], {"odoo_config": "limit_time_cpu = 88\n"})
    rt.run_job(a, "POST", "/api/v1/environments/%s/restart" % env["id"], {"mode": "soft"})
    assert rt.env_containers(env["id"], "odoo") == before  # the same container
    conf = odoo_conf(env["id"])
    assert conf_lines(conf, "limit_time_cpu") == ["limit_time_cpu = 88"]
    # what is mounted stays in addons_path
    assert conf_lines(conf, "addons_path")[0].endswith("/mnt/berth-shared-addons")


def test_kept_across_hard_restart_and_redeploy(plat, env):
    a = plat
    # new limits: the hard restart recreates the containers with them
    patch_settings(a, env["id"], {"odoo_shm_mb": 160, "postgres_memory_limit_mb": 450})
    for path, body in (("restart", {"mode": "hard"}), ("deploy", {})):
        job = rt.run_job(a, "POST", "/api/v1/environments/%s/%s" % (env["id"], path), body)
        log = rt.job_log(a, job["id"])
        assert "built before" in log, log  # the derived images are reused
        odoo = rt.inspect(rt.env_containers(env["id"], "odoo")[0])
        assert odoo["HostConfig"]["ShmSize"] == 160 * MB
        assert odoo["HostConfig"]["Memory"] == 700 * MB
        db = rt.inspect(rt.env_containers(env["id"], "db")[0])
        assert db["HostConfig"]["Memory"] == 450 * MB and db["HostConfig"]["ShmSize"] == 96 * MB
        assert conf_lines(odoo_conf(env["id"]), "limit_time_cpu") == ["limit_time_cpu = 88"]
        assert "Status: install ok installed" in rt.docker(
            "exec", odoo["Id"], "dpkg", "-s", "hello").stdout
        show = pg_exec(env["id"], "psql", "-X", "-h", "/run/postgresql", "-tAc",
                       "SHOW statement_timeout").strip()
        assert show == "12345ms"


def refused(a, env, settings, message):
    """The deploy fails with message and leaves the running containers as they were."""
    before = sorted(rt.env_containers(env["id"], all_=False))
    patch_settings(a, env["id"], settings)
    job = rt.run_job(a, "POST", "/api/v1/environments/%s/deploy" % env["id"], expect="failed")
    assert message in (job["error"] or ""), job
    assert sorted(rt.env_containers(env["id"], all_=False)) == before
    return job


def test_paths_outside_the_organization_directory_refused(plat, env):
    a = plat
    org_dir = os.path.join(a.root, a.slug)
    good = os.path.join(org_dir, "filestore")
    refused(a, env, {"external_filestore_path": "/etc"},
            "must be inside this organization's directory")
    refused(a, env, {"external_filestore_path": os.path.join(a.root, "other-org", "addons")},
            "must be inside this organization's directory")
    refused(a, env, {"external_filestore_path": os.path.join(org_dir, "evil")},
            "leads out of this organization's directory")
    refused(a, env, {"external_filestore_path": os.path.join(org_dir, "missing")},
            "does not exist on the server")
    patch_settings(a, env["id"], {"external_filestore_path": good})


def test_failed_package_build_leaves_containers(plat, env):
    a = plat
    job = refused(a, env, {"odoo_packages": ["hello", "berth-no-such-package"]},
                  "building the odoo image with the packages of odoo_packages failed")
    assert "berth-no-such-package" in rt.job_log(a, job["id"])
    patch_settings(a, env["id"], {"odoo_packages": ["hello"]})


def test_filestore_moves_with_its_setting(plat, env):
    a = plat
    org_dir = os.path.join(a.root, a.slug)
    odoo = rt.env_containers(env["id"], "odoo")[0]
    rt.docker("exec", odoo, "sh", "-c", "mkdir -p /var/lib/odoo/filestore/%s/ab && "
              "echo attachment > /var/lib/odoo/filestore/%s/ab/file" % (env["name"], env["name"]))
    new = os.path.join(org_dir, "filestore2")
    os.makedirs(new)
    patch_settings(a, env["id"], {"external_filestore_path": new})
    job = rt.run_job(a, "POST", "/api/v1/environments/%s/deploy" % env["id"])
    assert "moving the filestore" in rt.job_log(a, job["id"])
    odoo = rt.env_containers(env["id"], "odoo")[0]
    out = rt.docker("exec", odoo, "cat", "/var/lib/odoo/filestore/%s/ab/file" % env["name"]).stdout
    assert out.strip() == "attachment"
    assert os.listdir(os.path.join(org_dir, "filestore")) == []
    assert os.stat(os.path.join(new, env["name"], "ab", "file")).st_uid == 100
    # a place that already holds files is refused
    os.makedirs(os.path.join(org_dir, "full", "x"))
    refused(a, env, {"external_filestore_path": os.path.join(org_dir, "full")},
            "already holds files")
    patch_settings(a, env["id"], {"external_filestore_path": new})


def test_filestore_back_to_the_volume_and_out_again(plat, env):
    a = plat
    org_dir = os.path.join(a.root, a.slug)
    fs2 = os.path.join(org_dir, "filestore2")
    rel = "/var/lib/odoo/filestore/%s/ab/file" % env["name"]
    patch_settings(a, env["id"], {"external_filestore": False})
    rt.run_job(a, "POST", "/api/v1/environments/%s/restart" % env["id"], {"mode": "hard"})
    odoo = rt.inspect(rt.env_containers(env["id"], "odoo")[0])
    assert "/var/lib/odoo/filestore" not in [m["Destination"] for m in odoo["Mounts"]]
    assert rt.docker("exec", odoo["Id"], "cat", rel).stdout.strip() == "attachment"
    # the Odoo user can write there
    rt.docker("exec", odoo["Id"], "touch", "/var/lib/odoo/filestore/%s/new" % env["name"])
    assert os.listdir(fs2) == []
    patch_settings(a, env["id"], {"external_filestore": True})
    rt.run_job(a, "POST", "/api/v1/environments/%s/deploy" % env["id"])
    odoo = rt.env_containers(env["id"], "odoo")[0]
    assert rt.docker("exec", odoo, "cat", rel).stdout.strip() == "attachment"
    assert {"ab", "new"} <= set(os.listdir(os.path.join(fs2, env["name"])))


def test_backup_and_restore_with_the_external_filestore(plat, env):
    """A full backup reads the filestore through the Odoo container (the server directory), a
    restore puts it back there."""
    a = plat
    org_dir = os.path.join(a.root, a.slug)
    host_file = os.path.join(org_dir, "filestore2", env["name"], "ab", "file")
    assert os.path.exists(host_file)
    r = a.post("/api/v1/environments/%s/backups" % env["id"], {"scope": "full"})
    assert r.status_code == 202, r.text
    bid = r.json_body["backup_id"]
    job = rt.wait_job(a, r.json_body["id"])
    assert job["status"] == "done", rt.job_log(a, job["id"])
    os.remove(host_file)
    rt.run_job(a, "POST", "/api/v1/backups/%s/restore" % bid, {"safety_backup": False})
    assert open(host_file).read().strip() == "attachment"
    vol = "berth-%s-odoodata" % env["id"].replace("-", "")[:12]
    out = rt.docker("run", "--rm", "--name", "h-%s-probe" % env["id"][:8], "-v", "%s:/d" % vol,
                    "--entrypoint", "ls", rt.inspect(rt.env_containers(env["id"], "odoo")[0])
                    ["Config"]["Image"], "-A", "/d/filestore").stdout
    assert out.strip() == "", out  # nothing went into the volume


def test_removal_takes_the_derived_images(plat, env):
    a = plat
    imgs = rt.docker("images", "-q", "--filter", "label=berth.env=%s" % env["id"]).stdout.split()
    assert imgs
    r = a.delete("/api/v1/environments/%s" % env["id"], {"confirm": "DELETE"})
    assert r.status_code == 202, r.text
    assert rt.wait_job(a, r.json_body["id"])["status"] == "done"
    assert not rt.docker("images", "-q", "--filter", "label=berth.env=%s" % env["id"]).stdout.split()
