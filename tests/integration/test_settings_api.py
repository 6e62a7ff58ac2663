"""The settings API (docs/settings.md): GET/PUT /environments/{id}/settings/{tab}.

- GET answers every tab with its values (defaults when unset), fields, locked and info;
- PUT validates every field of the tab (an error names it and nothing is stored), refuses a
  key of another tab, resets a key given null, gates on the plan (403 naming the flag, GET
  still answers), answers what applying needs;
- edge settings queue edge_reload at once, ?apply=now queues the restart or rebuild the change
  needs (the environment is made "deployed" in the store and moved to a server berth cannot
  reach: the jobs are only counted, they fail at connecting);
- extra domains are unique on the platform (DOMAIN_EXISTS), freed by the removal;
- another organization's environment answers 404; the CLI `berth env settings`.

Their effect on a running environment: test_edge_security.py (edge) and
test_settings_containers.py (Odoo, PostgreSQL, packages)."""
import json
import os
import sqlite3
import subprocess
import time

import pytest

from conftest import ROOT, Berthd, socket_allow_args, unique, new_user
from test_environments import (add_server, add_ssh_server, expect_error, new_project, wait_job,
                               set_plan)

SMALL = {"cpu_cores": 0.25, "ram_mb": 256, "disk_gb": 1}
TABS = ("odoo", "postgresql", "security", "domain", "nginx", "packages")
ALL_FLAGS = {"allow_backup": True, "allow_instance_tuning": True, "allow_nginx_tuning": True,
             "allow_ip_whitelist": True}
BERTH = os.path.join(ROOT, "build", "berth")


@pytest.fixture(scope="module")
def berthd():
    d = Berthd(socket_allow_args()).start()
    yield d
    d.cleanup()


@pytest.fixture(scope="module")
def admin(berthd):
    api = berthd.api()
    r = api.post("/api/v1/setup", {"email": "admin@example.com",
                                   "password": "correct horse battery",
                                   "organization": "Acme"})
    assert r.status_code == 201, r.text
    a = api.with_token(r.json_body["access_token"])
    a.org_id = r.json_body["organization"]["id"]
    a.user_id = r.json_body["user"]["id"]
    a.berthd = berthd
    set_plan(a, a.org_id, **ALL_FLAGS)
    a.server = add_server(a, a.org_id)
    a.project = new_project(a, a.org_id)
    return a


def db(a):
    return sqlite3.connect(os.path.join(a.berthd.data, "berth.db"), timeout=30)


def new_env(a, env_type="staging", **kw):
    body = dict(SMALL, env_type=env_type, name=unique(env_type[:4]))
    body.update(kw)
    r = a.post("/api/v1/projects/%s/environments" % a.project["id"], body)
    assert r.status_code == 201, r.text
    return r.json_body


def path(eid, tab):
    return "/api/v1/environments/%s/settings/%s" % (eid, tab)


def stored_settings(a, eid):
    c = db(a)
    s = c.execute("SELECT settings FROM environments WHERE id=?", (eid,)).fetchone()[0]
    c.close()
    return json.loads(s)


def test_get_every_tab(admin):
    a = admin
    e = new_env(a)
    for tab in TABS:
        r = a.get(path(e["id"], tab))
        assert r.status_code == 200, r.text
        b = r.json_body
        assert b["tab"] == tab and b["locked"] is False
        keys = [f["key"] for f in b["fields"]]
        assert keys and set(keys) == set(b["values"]), b
        for f in b["fields"]:
            assert f["type"] in ("int", "bool", "string", "enum", "text", "list")
            assert f["apply"] in ("nothing", "edge reload", "soft restart", "hard restart",
                                  "rebuild")
            assert f["available"] is True
            assert b["values"][f["key"]] == f["default"], f
    odoo = a.get(path(e["id"], "odoo")).json_body
    assert odoo["values"]["odoo_shm_mb"] == 64
    shm = [f for f in odoo["fields"] if f["key"] == "odoo_shm_mb"][0]
    assert (shm["min"], shm["max"], shm["plan_flag"]) == (16, 65536, "allow_instance_tuning")
    assert shm["label"] == "Shared Memory (MB)" and shm["description"]
    labels = {f["key"]: f["label"] for f in a.get(path(e["id"], "nginx")).json_body["fields"]}
    assert labels["nginx_max_upload"] == "Max Upload Size"
    assert labels["nginx_x_frame_options"] == "X-Frame-Options"
    assert odoo["info"] == {"ignored_keys": []}
    nginx = a.get(path(e["id"], "nginx")).json_body["values"]
    assert nginx == {"nginx_max_upload": "100M", "nginx_proxy_read_timeout_s": 300,
                     "nginx_proxy_connect_timeout_s": 30, "nginx_keepalive_timeout_s": 65,
                     "nginx_send_timeout_s": 60, "nginx_x_frame_options": "SAMEORIGIN"}
    sec = a.get(path(e["id"], "security")).json_body["values"]
    assert sec["rate_limit_login"] == "5r/m" and sec["rate_limit_general"] == "60r/s"
    assert "'unsafe-eval'" in sec["csp_policy"] and sec["csp"] is False
    dom = a.get(path(e["id"], "domain")).json_body["info"]
    assert dom["primary_domain"] == e["subdomain"] + ".localhost"
    assert dom["cloudflare_proxy"] is False
    assert dom["tls_status"] == "none" and dom["tls_error"] is None
    assert dom["domains"][0]["domain"] == dom["primary_domain"]
    assert dom["domains"][0]["primary"] is True
    assert dom["domains"][0]["tls"]["status"] == "none"
    assert set(dom["domains"][0]["dns"]) == {"points_to_server", "addresses", "error"}
    expect_error(a.get(path(e["id"], "nope")), 404, "NOT_FOUND")
    expect_error(a.put(path(e["id"], "nope"), {}), 404, "NOT_FOUND")


def test_put_validates_and_stores(admin):
    a = admin
    e = new_env(a)
    p = path(e["id"], "nginx")
    r = a.put(p, {"nginx_max_upload": "1M", "nginx_x_frame_options": "DENY"})
    assert r.status_code == 200, r.text
    b = r.json_body
    assert b["values"]["nginx_max_upload"] == "1M"
    assert b["values"]["nginx_x_frame_options"] == "DENY"
    assert sorted(b["changed"]) == ["nginx_max_upload", "nginx_x_frame_options"]
    assert b["apply"]["needed"] == "edge reload"
    assert b["apply"]["action"] is None  # never deployed: the first deploy applies it
    assert b["apply"]["job"] is None and "first deploy" in b["apply"]["message"]
    assert a.get(p).json_body["values"]["nginx_max_upload"] == "1M"
    # the same values again: nothing changed, nothing to apply
    r = a.put(p, {"nginx_max_upload": "1M"})
    assert r.json_body["changed"] == [] and r.json_body["apply"]["needed"] == "nothing"
    before = stored_settings(a, e["id"])
    bad = [
        ("nginx", {"nginx_max_upload": "10MB"}, "nginx_max_upload"),
        ("nginx", {"nginx_proxy_read_timeout_s": 0}, "nginx_proxy_read_timeout_s"),
        ("nginx", {"nginx_send_timeout_s": 3601}, "nginx_send_timeout_s"),
        ("nginx", {"nginx_x_frame_options": "ALLOW-FROM x"}, "nginx_x_frame_options"),
        ("nginx", {"nginx_max_upload": "2M", "odoo_shm_mb": 128}, "odoo_shm_mb"),
        ("nginx", {"nginx_max_upload": "2M", "no_such": 1}, "no_such"),
        ("security", {"cors_origins": ["shop.example.com"]}, "cors_origins"),
        ("security", {"cors_origins": "https://a.example.com"}, "cors_origins"),
        ("security", {"ip_whitelist": ["10.0.0.0/33"]}, "ip_whitelist"),
        ("security", {"ip_blacklist": ["1.2.3.4; allow all"]}, "ip_blacklist"),
        ("security", {"rate_limit_login": "5r/h"}, "rate_limit_login"),
        ("security", {"rate_limit": "yes"}, "rate_limit"),
        ("security", {"csp_policy": "default-src 'self'\"; add_header X y"}, "csp_policy"),
        ("security", {"csp_policy": "default-src $host"}, "csp_policy"),
        ("security", {"csp_policy": "a\nb"}, "csp_policy"),
        ("domain", {"extra_domains": ["Shop.Example.com"]}, "extra_domains"),
        ("domain", {"extra_domains": ["a.example.com", "a.example.com"]}, "extra_domains"),
        ("domain", {"extra_domains": ["x.localhost"]}, "extra_domains"),
        ("odoo", {"odoo_shm_mb": 8}, "odoo_shm_mb"),
        ("odoo", {"odoo_config": 5}, "odoo_config"),
        ("postgresql", {"postgres_extensions": ["pg trgm"]}, "postgres_extensions"),
        ("packages", {"odoo_packages": ["Bad_Name"]}, "odoo_packages"),
        ("packages", {"odoo_packages": ["curl;rm"]}, "odoo_packages"),
    ]
    for tab, body, field in bad:
        expect_error(a.put(path(e["id"], tab), body), 400, "VALIDATION_ERROR", field)
    # a valid key beside a bad one: nothing of the request is stored
    expect_error(a.put(path(e["id"], "security"), {"rate_limit": True, "cors_origins": ["x"]}),
                 400, "VALIDATION_ERROR", "cors_origins")
    expect_error(a.put(path(e["id"], "nginx"), [1]), 400, "VALIDATION_ERROR")
    assert stored_settings(a, e["id"]) == before
    # null resets to the default
    r = a.put(p, {"nginx_max_upload": None})
    assert r.status_code == 200 and r.json_body["values"]["nginx_max_upload"] == "100M"
    assert r.json_body["changed"] == ["nginx_max_upload"]
    assert "nginx_max_upload" not in stored_settings(a, e["id"])
    # lists and text round-trip
    sec = {"cors_origins": ["https://shop.example.com", "http://localhost:3000"],
           "ip_whitelist": ["127.0.0.0/8", "2001:db8::/32"], "ip_blacklist": ["203.0.113.7"],
           "rate_limit": True, "rate_limit_login": "10r/m", "csp": True,
           "csp_policy": "default-src 'self'; img-src 'self' data:"}
    r = a.put(path(e["id"], "security"), sec)
    assert r.status_code == 200, r.text
    assert {k: r.json_body["values"][k] for k in sec} == sec
    # the audit log says which tab and which keys
    r = a.get("/api/v1/orgs/%s/audit" % a.org_id)
    ev = [x for x in r.json_body if x["action"] == "environment.settings"]
    assert ev and ev[0]["details"]["tab"] == "security"
    assert sorted(ev[0]["details"]["changed"]) == sorted(sec)


def test_ignored_keys(admin):
    a = admin
    e = new_env(a)
    r = a.put(path(e["id"], "odoo"), {"odoo_config": "limit_time_cpu = 120\nadmin_passwd = x\n"
                                                     "http_port = 1\nproxy_mode = False\n"})
    assert r.status_code == 200, r.text
    assert sorted(r.json_body["ignored_keys"]) == ["admin_passwd", "http_port", "proxy_mode"]
    assert r.json_body["info"]["ignored_keys"] == r.json_body["ignored_keys"]
    assert r.json_body["apply"]["needed"] == "soft restart"
    r = a.put(path(e["id"], "postgresql"), {"postgres_config": "work_mem = 8MB\nport = 1\n"})
    assert r.json_body["ignored_keys"] == ["port"]
    assert r.json_body["apply"]["needed"] == "hard restart"
    assert a.get(path(e["id"], "postgresql")).json_body["info"]["ignored_keys"] == ["port"]


def test_plan_gates(berthd, admin):
    a = admin
    r = a.post("/api/v1/orgs", {"name": unique("Gated")})
    assert r.status_code == 201, r.text
    org = r.json_body["id"]
    set_plan(a, org, allow_backup=True)  # no tuning, no nginx, no whitelist
    add_server(a, org, name=unique("srv"))
    proj = new_project(a, org)
    r = a.post("/api/v1/projects/%s/environments" % proj["id"],
               dict(SMALL, env_type="staging", name=unique("gate")))
    assert r.status_code == 201, r.text
    eid = r.json_body["id"]
    for tab, flag in (("odoo", "allow_instance_tuning"), ("postgresql", "allow_instance_tuning"),
                      ("nginx", "allow_nginx_tuning")):
        r = a.get(path(eid, tab))
        assert r.status_code == 200 and r.json_body["locked"] is True, r.text
        assert r.json_body["plan_flag"] == flag
    body = {"odoo": {"odoo_shm_mb": 128}, "postgresql": {"postgres_shm_mb": 128},
            "nginx": {"nginx_max_upload": "1M"}, "security": {"ip_whitelist": ["10.0.0.1"]}}
    flags = {"odoo": "allow_instance_tuning", "postgresql": "allow_instance_tuning",
             "nginx": "allow_nginx_tuning", "security": "allow_ip_whitelist"}
    for tab, b in body.items():
        key = list(b)[0]
        err = expect_error(a.put(path(eid, tab), b), 403, "PLAN_FEATURE_UNAVAILABLE", key)
        assert flags[tab] in err["message"]
    sec = a.get(path(eid, "security")).json_body
    assert sec["locked"] is False
    avail = {f["key"]: f["available"] for f in sec["fields"]}
    assert avail["ip_whitelist"] is False and avail["ip_blacklist"] is True
    # what the plan allows on the same tab passes
    r = a.put(path(eid, "security"), {"ip_blacklist": ["10.0.0.1"]})
    assert r.status_code == 200, r.text
    assert stored_settings(a, eid) == {"ip_blacklist": ["10.0.0.1"]}


def test_permissions_and_other_org(berthd, admin):
    a = admin
    e = new_env(a)
    viewer = new_user(berthd, a, role="viewer")
    assert viewer.get(path(e["id"], "nginx")).status_code == 200
    expect_error(viewer.put(path(e["id"], "nginx"), {"nginx_max_upload": "1M"}), 403,
                 "PERMISSION_DENIED")
    r = a.post("/api/v1/orgs", {"name": unique("Other")})
    other_org = r.json_body["id"]
    outsider = new_user(berthd, a, role="admin", org_id=other_org)
    for method in ("GET", "PUT"):
        r = outsider.req(method, path(e["id"], "nginx"), body={"nginx_max_upload": "1M"})
        assert r.status_code == 404, r.text
    assert "nginx_max_upload" not in stored_settings(a, e["id"])


def test_extra_domains_unique(admin):
    a = admin
    e1, e2 = new_env(a), new_env(a)
    r = a.put(path(e1["id"], "domain"), {"extra_domains": ["shop.example.com", "www.example.com"]})
    assert r.status_code == 200, r.text
    assert r.json_body["apply"]["needed"] == "edge reload"
    doms = [d["domain"] for d in r.json_body["info"]["domains"]]
    assert doms == [e1["subdomain"] + ".localhost", "shop.example.com", "www.example.com"]
    extra = r.json_body["info"]["domains"][1]
    assert extra["primary"] is False and extra["kind"] == "extra"
    # a domain another environment serves: as extra domain, subdomain or custom domain
    expect_error(a.put(path(e2["id"], "domain"), {"extra_domains": ["www.example.com"]}), 400,
                 "DOMAIN_EXISTS", "extra_domains")
    expect_error(a.put(path(e2["id"], "domain"),
                       {"extra_domains": [e1["subdomain"] + ".localhost"]}), 400,
                 "DOMAIN_EXISTS", "extra_domains")
    expect_error(a.patch("/api/v1/environments/%s" % e2["id"],
                         {"custom_domain": "shop.example.com"}), 400, "DOMAIN_EXISTS")
    r = a.patch("/api/v1/environments/%s" % e2["id"], {"custom_domain": "erp.example.com"})
    assert r.status_code == 200, r.text
    expect_error(a.put(path(e1["id"], "domain"), {"extra_domains": ["erp.example.com"]}), 400,
                 "DOMAIN_EXISTS", "extra_domains")
    # PATCH /environments/{id} keeps to the same rule
    expect_error(a.patch("/api/v1/environments/%s" % e2["id"],
                         {"settings": {"extra_domains": ["shop.example.com"]}}), 400,
                 "DOMAIN_EXISTS", "extra_domains")
    # freed when the environment drops it, and when it is removed
    r = a.put(path(e1["id"], "domain"), {"extra_domains": ["www.example.com"]})
    assert r.status_code == 200, r.text
    r = a.put(path(e2["id"], "domain"), {"extra_domains": ["shop.example.com"]})
    assert r.status_code == 200, r.text
    r = a.delete("/api/v1/environments/%s" % e1["id"], {"confirm": "DELETE"})
    assert r.status_code == 202, r.text
    deadline = time.time() + 60
    while time.time() < deadline and \
            a.get("/api/v1/environments/%s" % e1["id"]).status_code != 404:
        time.sleep(0.2)
    r = a.put(path(e2["id"], "domain"), {"extra_domains": ["shop.example.com", "www.example.com"]})
    assert r.status_code == 200, r.text


def move_to_unreachable(a, eid):
    """As after a deploy, on a server berth cannot reach: jobs queued for it fail at
    connecting, without touching Docker."""
    if not hasattr(a, "unreachable"):
        a.unreachable = add_ssh_server(a, a.org_id, name=unique("down"))
    c = db(a)
    c.execute("UPDATE environments SET deployed_at=?, status='running', vm_id=? WHERE id=?",
              (time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), a.unreachable["id"], eid))
    c.commit()
    c.close()


def test_external_filestores_not_shared(admin):
    """Two environments of one server never share a filestore directory (or nest them)."""
    a = admin
    e1, e2 = new_env(a), new_env(a)
    base = "/srv/berth/acme"
    r = a.put(path(e1["id"], "odoo"), {"external_filestore": True,
                                      "external_filestore_path": base + "/fs1"})
    assert r.status_code == 200, r.text
    for p in (base + "/fs1", base + "/fs1/sub", base):
        expect_error(a.put(path(e2["id"], "odoo"), {"external_filestore": True,
                                                   "external_filestore_path": p}),
                     409, "CONFLICT", "external_filestore_path")
        assert stored_settings(a, e2["id"]).get("external_filestore") is None
    # off, the same path is only a stored value; a sibling directory is fine
    r = a.put(path(e2["id"], "odoo"), {"external_filestore_path": base + "/fs1"})
    assert r.status_code == 200, r.text
    r = a.put(path(e2["id"], "odoo"), {"external_filestore": True,
                                      "external_filestore_path": base + "/fs10"})
    assert r.status_code == 200, r.text
    # once the first one turns its external filestore off, the path is free again
    assert a.put(path(e1["id"], "odoo"), {"external_filestore": False}).status_code == 200
    r = a.put(path(e2["id"], "odoo"), {"external_filestore_path": base + "/fs1"})
    assert r.status_code == 200, r.text
    # the server's room goes back to the module's other tests
    for e in (e1, e2):
        r = a.delete("/api/v1/environments/%s" % e["id"], {"confirm": "DELETE"})
        assert r.status_code == 202, r.text
        wait_job(a, r.json_body["id"])


def test_apply_jobs(admin):
    a = admin
    e = new_env(a)
    move_to_unreachable(a, e["id"])
    # edge settings: edge_reload at once
    r = a.put(path(e["id"], "nginx"), {"nginx_max_upload": "5M"})
    ap = r.json_body["apply"]
    assert ap["needed"] == "edge reload" and ap["action"] == "edge_reload", r.text
    assert ap["job"]["type"] == "edge_reload"
    assert ap["job"]["environment_id"] == e["id"]
    # a soft restart's setting: said, not done, unless apply=now
    r = a.put(path(e["id"], "odoo"), {"odoo_config": "limit_time_cpu = 100\n"})
    ap = r.json_body["apply"]
    assert (ap["needed"], ap["action"], ap["job"]) == ("soft restart", None, None), r.text
    assert "apply=now" in ap["message"]
    r = a.put(path(e["id"], "odoo") + "?apply=now", {"odoo_config": "limit_time_cpu = 90\n"})
    ap = r.json_body["apply"]
    assert ap["action"] == "restart" and ap["job"]["type"] == "restart", r.text
    assert ap["job"]["params"] == {"mode": "soft"}
    r = a.put(path(e["id"], "odoo") + "?apply=now", {"odoo_shm_mb": 128})
    ap = r.json_body["apply"]
    assert ap["needed"] == "hard restart" and ap["job"]["params"] == {"mode": "hard"}, r.text
    r = a.put(path(e["id"], "packages") + "?apply=now", {"odoo_packages": ["curl"]})
    ap = r.json_body["apply"]
    assert ap["needed"] == "rebuild" and ap["action"] == "deploy", r.text
    assert ap["job"]["type"] == "deploy"
    # apply=now with the values saved before: applied all the same
    r = a.put(path(e["id"], "odoo"), {"odoo_config": "limit_time_cpu = 80\n"})
    assert r.json_body["apply"]["job"] is None, r.text
    r = a.put(path(e["id"], "odoo") + "?apply=now", {"odoo_config": "limit_time_cpu = 80\n"})
    ap = r.json_body["apply"]
    assert r.json_body["changed"] == [] and ap["needed"] == "soft restart", r.text
    assert ap["action"] == "restart" and ap["job"]["params"] == {"mode": "soft"}
    # nothing to apply: no job, even with apply=now
    r = a.put(path(e["id"], "odoo") + "?apply=now", {"backup_keep_daily": 9})
    assert r.json_body["apply"]["needed"] == "nothing" and r.json_body["apply"]["job"] is None
    expect_error(a.put(path(e["id"], "odoo") + "?apply=later", {}), 400, "VALIDATION_ERROR",
                 "apply")
    # a developer without restart rights cannot ask for it
    viewer_dev = new_user(a.berthd, a, role="developer")
    r = viewer_dev.put(path(e["id"], "odoo") + "?apply=now", {"odoo_shm_mb": 256})
    assert r.status_code in (200, 403), r.text


def run_cli(a, *args):
    env = dict(os.environ, BERTH_URL=a.berthd.url, BERTH_TOKEN=a.token, HOME="/nonexistent")
    return subprocess.run([BERTH, *args], capture_output=True, text=True, env=env, timeout=60)


def test_cli(admin):
    a = admin
    e = new_env(a)
    r = run_cli(a, "env", "settings", e["name"], "--project", a.project["id"])
    assert r.returncode == 0, r.stderr
    for tab in TABS:
        assert "[%s]" % tab in r.stdout, r.stdout
    r = run_cli(a, "env", "settings", e["name"], "nginx", "--project", a.project["id"],
                "--set", "nginx_max_upload=1M", "--set", "nginx_x_frame_options=DENY")
    assert r.returncode == 0, r.stderr
    assert "nginx_max_upload" in r.stdout and "1M" in r.stdout
    assert "edge reload" in r.stdout
    got = a.get(path(e["id"], "nginx")).json_body["values"]
    assert got["nginx_max_upload"] == "1M" and got["nginx_x_frame_options"] == "DENY"
    r = run_cli(a, "env", "settings", e["name"], "security", "--project", a.project["id"],
                "--set", "cors_origins=https://a.example.com,https://b.example.com",
                "--set", "rate_limit=true", "--set", "ip_blacklist=")
    assert r.returncode == 0, r.stderr
    got = a.get(path(e["id"], "security")).json_body["values"]
    assert got["cors_origins"] == ["https://a.example.com", "https://b.example.com"]
    assert got["rate_limit"] is True and got["ip_blacklist"] == []
    r = run_cli(a, "env", "settings", e["name"], "odoo", "--project", a.project["id"],
                "--set", "odoo_config=admin_passwd = x")
    assert r.returncode == 0, r.stderr
    assert "admin_passwd" in r.stdout and "ignored" in r.stdout.lower()
    r = run_cli(a, "env", "settings", e["name"], "nginx", "--project", a.project["id"],
                "--set", "nginx_max_upload=huge")
    assert r.returncode != 0 and "nginx_max_upload" in r.stderr
    r = run_cli(a, "env", "settings", e["name"], "nope", "--project", a.project["id"])
    assert r.returncode != 0


def test_kept_across_berthd_restart(berthd, admin):
    a = admin
    e = new_env(a)
    r = a.put(path(e["id"], "security"), {"rate_limit": True, "cors_origins": ["*"]})
    assert r.status_code == 200, r.text
    r = a.put(path(e["id"], "domain"), {"extra_domains": ["kept.example.com"]})
    assert r.status_code == 200, r.text
    berthd.stop()
    berthd.start()
    got = a.get(path(e["id"], "security")).json_body["values"]
    assert got["rate_limit"] is True and got["cors_origins"] == ["*"]
    assert a.get(path(e["id"], "domain")).json_body["values"]["extra_domains"] == \
        ["kept.example.com"]
    # the domain stays taken after the restart
    e2 = new_env(a)
    expect_error(a.put(path(e2["id"], "domain"), {"extra_domains": ["kept.example.com"]}), 400,
                 "DOMAIN_EXISTS", "extra_domains")
