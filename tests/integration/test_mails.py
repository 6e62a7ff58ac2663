"""The mail catcher (docs/mails.md): every non-production environment gets one, production
never; Odoo's outgoing mail (odoo.conf, and the stand-in sending as ir.mail_server does) goes
to it and nowhere else; GET /environments/{id}/mails and /mails/{mail_id} and `berth env mails`
list and show what it caught."""
import json

import pytest

from conftest import ADMIN_EMAIL, ADMIN_PASSWORD, new_user, unique
import runtime as rt
from neutral_helpers import (catcher_image, create_env, key, make_platform, send_mail, sink_total, start_sink,
                             teardown_platform)
from test_cli import Cli

pytestmark = pytest.mark.skipif(not rt.docker_available(), reason="no Docker Engine")


@pytest.fixture(scope="module")
def platform():
    rt.ensure_standin()
    a = make_platform()
    yield a
    teardown_platform(a)


@pytest.fixture(scope="module")
def envs(platform):
    a = platform
    staging = create_env(a, "staging", prefix="mst")
    # the SMTP server the environments are configured with: a sink that must receive nothing
    sink = start_sink(a, staging)
    smtp = {"smtp": {"host": sink, "port": 1025, "encryption": "none",
                     "from": "shop@example.com"}}
    r = a.patch("/api/v1/environments/%s" % staging["id"], {"odoo_config": smtp})
    assert r.status_code == 200, r.text
    rt.run_job(a, "POST", "/api/v1/environments/%s/deploy" % staging["id"])
    prod = create_env(a, "production", prefix="mpr", odoo_config=smtp)
    rt.docker("network", "connect", "berth-%s" % key(prod), sink)
    return {"staging": staging, "prod": prod, "sink": sink}


def conf(env):
    c = rt.env_containers(env["id"], "odoo", all_=False)[0]
    return rt.docker("exec", c, "cat", "/etc/odoo/odoo.conf").stdout


def test_staging_has_a_catcher_production_none(platform, envs):
    st, prod = envs["staging"], envs["prod"]
    c = rt.env_containers(st["id"], "mail", all_=False)
    assert len(c) == 1
    info = rt.inspect(c[0])
    assert info["Name"] == "/berth-%s-mail" % key(st)
    assert info["Config"]["User"] == "berth-mail"  # not root
    assert "berth-%s" % key(st) in info["NetworkSettings"]["Networks"]
    assert info["Config"]["Labels"]["berth.role"] == "mail"
    assert any(m["Name"] == "berth-%s-mail" % key(st) and m["Destination"] == "/var/lib/berth-mail"
               for m in info["Mounts"])
    assert not info["HostConfig"].get("PortBindings")  # reachable on its network only
    assert rt.env_containers(prod["id"], "mail") == []
    # odoo.conf: the staging sends to the catcher whatever its SMTP settings say
    text = conf(st)
    assert "smtp_server = berth-%s-mail\nsmtp_port = 1025\nsmtp_ssl = False\n" % key(st) in text
    assert envs["sink"] not in text and "smtp_user" not in text
    assert "email_from = shop@example.com" in text
    # the production's odoo.conf is its own SMTP server's
    text = conf(prod)
    assert "smtp_server = %s\n" % envs["sink"] in text and "mail" not in text.split("smtp_server")[1][:40]


def test_mail_caught_listed_and_shown(platform, envs):
    a, st = platform, envs["staging"]
    out = send_mail(st, "customer@example.com", "Invoice INV/2024/0001", "Dear customer,\nyour invoice.")
    assert out["sent"] is True and out["source"] == "odoo.conf", out
    assert out["smtp_host"] == "berth-%s-mail" % key(st)
    send_mail(st, "other@example.com", "Second mail", "another body")
    assert sink_total(envs["sink"]) == 0  # nothing went to the configured server

    r = a.get("/api/v1/environments/%s/mails" % st["id"])
    assert r.status_code == 200, r.text
    body = r.json_body
    assert body["total"] == 2
    assert [m["subject"] for m in body["mails"]] == ["Second mail", "Invoice INV/2024/0001"]
    m = body["mails"][1]
    assert set(m) == {"id", "from", "to", "subject", "date", "size"}
    assert m["to"] == ["customer@example.com"] and m["from"] == "shop@example.com"
    assert m["date"].endswith("Z") and m["size"] > 0
    # q and limit
    r = a.get("/api/v1/environments/%s/mails?q=invoice&limit=5" % st["id"])
    assert r.status_code == 200 and r.json_body["total"] == 1
    r = a.get("/api/v1/environments/%s/mails?limit=1" % st["id"])
    assert r.status_code == 200 and len(r.json_body["mails"]) == 1 and r.json_body["total"] == 2
    for bad in ("0", "1001", "x"):
        r = a.get("/api/v1/environments/%s/mails?limit=%s" % (st["id"], bad))
        assert r.status_code == 400 and r.json_body["error"]["field"] == "limit", r.text

    r = a.get("/api/v1/environments/%s/mails/%s" % (st["id"], m["id"]))
    assert r.status_code == 200, r.text
    one = r.json_body
    assert one["id"] == m["id"] and one["subject"] == "Invoice INV/2024/0001"
    assert one["to"] == ["customer@example.com"] and one["cc"] == []
    assert "your invoice." in one["text"] and "<p>" in one["html"]
    assert one["headers"]["Subject"] == "Invoice INV/2024/0001"
    for unknown in ("0000000000000-00000000", "nope", "..%2F..%2Fetc"):
        r = a.get("/api/v1/environments/%s/mails/%s" % (st["id"], unknown))
        assert r.status_code == 404 and r.json_body["error"]["code"] == "NOT_FOUND", r.text

    # the CLI
    c = Cli(a.berthd.url)
    try:
        c.login(ADMIN_EMAIL, ADMIN_PASSWORD)
        out = c.ok("env", "mails", st["name"])
        assert "Invoice INV/2024/0001" in out and "customer@example.com" in out and "2 mail" in out
        assert c.json("env", "mails", st["name"])["total"] == 2
        out = c.ok("env", "mails", st["name"], m["id"])
        assert "Subject: Invoice INV/2024/0001" in out and "your invoice." in out
        assert json.loads(c.ok("env", "mails", st["name"], m["id"], "--json"))["id"] == m["id"]
        p = c.run("env", "mails", envs["prod"]["name"])
        assert p.returncode != 0 and "no mail catcher" in p.stderr
    finally:
        c.cleanup()


def test_production_has_none(platform, envs):
    a, prod = platform, envs["prod"]
    for path in ("/mails", "/mails/0000000000000-00000000"):
        r = a.get("/api/v1/environments/%s%s" % (prod["id"], path))
        assert r.status_code == 409, r.text
        assert r.json_body["error"]["code"] == "CONFLICT"
        assert "production sends real mail; it has no mail catcher" in r.json_body["error"]["message"]


def test_access(platform, envs):
    a, st = platform, envs["staging"]
    viewer = new_user(a.berthd, a, role="viewer")
    r = viewer.get("/api/v1/environments/%s/mails" % st["id"])
    assert r.status_code == 200, r.text  # environment.logs: viewers read mails as logs
    # another organization: 404, as if it did not exist
    r = a.post("/api/v1/orgs", {"name": unique("Other")})
    assert r.status_code == 201, r.text
    other = new_user(a.berthd, a, role="owner", org_id=r.json_body["id"])
    for path in ("/mails", "/mails/0000000000000-00000000"):
        r = other.get("/api/v1/environments/%s%s" % (st["id"], path))
        assert r.status_code == 404 and r.json_body["error"]["code"] == "ENVIRONMENT_NOT_FOUND", r.text
    r = a.get("/api/v1/environments/00000000-0000-0000-0000-000000000000/mails")
    assert r.status_code == 404


def test_catcher_stops_and_starts_with_the_environment(platform, envs):
    a, st = platform, envs["staging"]
    rt.run_job(a, "POST", "/api/v1/environments/%s/stop" % st["id"])
    assert rt.env_containers(st["id"], "mail", all_=False) == []
    r = a.get("/api/v1/environments/%s/mails" % st["id"])
    assert r.status_code == 409, r.text
    rt.run_job(a, "POST", "/api/v1/environments/%s/start" % st["id"])
    r = a.get("/api/v1/environments/%s/mails" % st["id"])
    assert r.status_code == 200 and r.json_body["total"] == 2  # kept on its volume



def test_production_deploy_removes_a_leftover_catcher(platform, envs):
    """An environment's type cannot change through the API; a catcher found next to a
    production (left by an older berth, or by hand) is removed by its next deploy, with its
    volume, and odoo.conf keeps sending through the environment's own SMTP server."""
    a, prod = platform, envs["prod"]
    name = "berth-%s-mail" % key(prod)
    labels = ["--label", "berth.managed=1", "--label", "berth.env=%s" % prod["id"],
              "--label", "berth.role=mail"]
    rt.docker("volume", "create", *labels, name)
    rt.docker("run", "-d", "--name", name, "--network", "berth-%s" % key(prod),
              "-v", "%s:/var/lib/berth-mail" % name, *labels, catcher_image())
    try:
        job = rt.run_job(a, "POST", "/api/v1/environments/%s/deploy" % prod["id"])
        assert "removing the mail catcher" in rt.job_log(a, job["id"])
        assert rt.env_containers(prod["id"], "mail") == []
        vols = rt.docker("volume", "ls", "-q", "--filter", "name=%s" % name).stdout.split()
        assert name not in vols
        assert "smtp_server = %s\n" % envs["sink"] in conf(prod)
    finally:
        rt.docker("rm", "-f", name, check=False)
        rt.docker("volume", "rm", "-f", name, check=False)
