"""Shared by test_neutralize.py and test_mails.py: a berthd with a local server, a project on
the Odoo stand-in (STANDIN_IMAGE, as tests/odoo-standin/build.sh takes it), environments, and a
test SMTP sink (berth's own mail catcher image, run by the test on an environment's network)."""
import json
import os
import subprocess
import urllib.parse

from conftest import ADMIN_EMAIL, ADMIN_PASSWORD, Berthd, free_port, unique
import runtime as rt

STANDIN = os.environ.get("STANDIN_IMAGE", rt.STANDIN_TAG)


def make_platform():
    d = Berthd([]).start()
    api = d.api()
    r = api.post("/api/v1/setup", {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD,
                                   "organization": "Acme"})
    assert r.status_code == 201, r.text
    a = api.with_token(r.json_body["access_token"])
    a.org_id = r.json_body["organization"]["id"]
    a.berthd = d
    r = a.put("/api/v1/admin/odoo-versions",
              [{"version": v, "image": "%s:%s" % (STANDIN, v)} for v in ("16.0", "17.0", "18.0", "19.0")])
    assert r.status_code == 200, r.text
    plans = {p["name"]: p for p in a.get("/api/v1/plans").json_body}
    r = a.put("/api/v1/orgs/%s/plan" % a.org_id, {"plan_id": plans["Pro"]["id"]})
    assert r.status_code == 200, r.text
    r = a.post("/api/v1/orgs/%s/servers" % a.org_id, {"name": "local", "transport": "local",
                                                        "http_port": free_port(),
                                                        "https_port": free_port()})
    assert r.status_code == 201, r.text
    a.server_id = r.json_body["id"]
    assert a.post("/api/v1/servers/%s/test" % a.server_id).json_body["status"] == "running"
    r = a.post("/api/v1/orgs/%s/projects" % a.org_id, {"name": "Shop", "odoo_version": "18.0"})
    assert r.status_code == 201, r.text
    a.project_id = r.json_body["id"]
    a.sinks = []
    return a


def teardown_platform(a):
    for s in a.sinks:
        rt.docker("rm", "-f", "-v", s, check=False)
    nets = []
    for e in a.get("/api/v1/orgs/%s/environments" % a.org_id).json_body or []:
        if e["environment_type"] == "production":
            ids = rt.docker("ps", "-aq", "--filter", "label=berth.env=%s" % e["id"]).stdout.split()
            if ids:
                rt.docker("rm", "-f", "-v", *ids, check=False)
            vols = rt.docker("volume", "ls", "-q", "--filter",
                             "label=berth.env=%s" % e["id"]).stdout.split()
            if vols:
                rt.docker("volume", "rm", "-f", *vols, check=False)
            nets += rt.docker("network", "ls", "-q", "--filter",
                              "label=berth.env=%s" % e["id"]).stdout.split()
            continue
        r = a.delete("/api/v1/environments/%s" % e["id"], {"confirm": "DELETE"})
        if r.status_code == 202:
            rt.wait_job(a, r.json_body["id"])
    try:
        a.berthd.cleanup()
    finally:
        rt.remove_edges(a.server_id)
        for n in nets:
            rt.docker("network", "rm", n, check=False)


def create_project(a, version):
    r = a.post("/api/v1/orgs/%s/projects" % a.org_id, {"name": unique("Shop"), "odoo_version": version})
    assert r.status_code == 201, r.text
    return r.json_body["id"]


def create_env(a, env_type="staging", prefix="nt", deploy=True, project_id=None, **kw):
    body = {"env_type": env_type, "vm_id": a.server_id, "cpu_cores": 0.25, "ram_mb": 512,
            "disk_gb": 2, "name": unique(prefix)}
    body.update(kw)
    r = a.post("/api/v1/projects/%s/environments" % (project_id or a.project_id), body)
    assert r.status_code == 201, r.text
    env = r.json_body
    if deploy:
        rt.run_job(a, "POST", "/api/v1/environments/%s/deploy" % env["id"])
    return env


def key(env):
    return env["id"].replace("-", "")[:12]


def sql(env, q):
    return rt.psql(env["id"], env["name"], q)


def put_settings(a, env, tab, body):
    r = a.put("/api/v1/environments/%s/settings/%s" % (env["id"], tab), body)
    assert r.status_code == 200, r.text
    return r.json_body


def catcher_image():
    out = rt.docker("images", "--format", "{{.Repository}}:{{.Tag}}", "berth/mailcatcher").stdout.split()
    assert out, "berth/mailcatcher was not built"
    return out[0]


def start_sink(a, env):
    """A test SMTP sink on the environment's network: what a real outgoing server would
    receive. Returns its container name."""
    name = unique("berth-test-sink")
    rt.docker("run", "-d", "--name", name, "--network", "berth-%s" % key(env),
              "--label", "berth.test=neutral", catcher_image())
    a.sinks.append(name)
    return name


def sink_total(name):
    out = rt.docker("exec", name, "berth-mails", "list").stdout
    return json.loads(out)["total"]


def send_mail(env, to, subject, body):
    """Odoo (the stand-in) sends a mail as ir.mail_server does: {sent, source, smtp_host, ...}."""
    c = rt.env_containers(env["id"], "odoo", all_=False)
    assert c, "Odoo does not run"
    qs = urllib.parse.urlencode({"to": to, "subject": subject, "body": body})
    script = ("import json, sys, urllib.request, urllib.error\n"
              "try:\n"
              "    r = urllib.request.urlopen(sys.argv[1], timeout=30)\n"
              "    status, body = r.status, r.read().decode()\n"
              "except urllib.error.HTTPError as e:\n"
              "    status, body = e.code, e.read().decode()\n"
              "print(json.dumps({'status': status, 'body': body}))\n")
    p = subprocess.run([rt.DOCKER, "exec", c[0], "python3", "-c", script,
                        "http://localhost:8069/berth-standin/send-mail?" + qs],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr
    answer = json.loads(p.stdout)
    try:
        return json.loads(answer["body"])
    except ValueError:
        logs = rt.docker("logs", "--tail", "40", c[0], check=False)
        raise AssertionError("send-mail answered %s %r\n%s%s" % (
            answer["status"], answer["body"], logs.stdout, logs.stderr))


def remove_env(a, env):
    """Gives a staging or development environment back (the server's room)."""
    r = a.delete("/api/v1/environments/%s" % env["id"], {"confirm": "DELETE"})
    assert r.status_code == 202, r.text
    assert rt.wait_job(a, r.json_body["id"])["status"] == "done"
