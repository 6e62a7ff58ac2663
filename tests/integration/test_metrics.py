"""Monitoring on the real Docker Engine with the Odoo stand-in: the sampler's samples, CPU load
made inside the Odoo container, the gap a stopped environment leaves, events, retention, the
server's figures, permissions, and GET /metrics (promtool check metrics, the scrape token)."""
import json
import os
import re
import shutil
import subprocess
import tempfile
import time

import pytest

from conftest import Api, BERTH, new_user, unique
import runtime as rt
from test_runtime import make_platform, create_env
from test_webhooks import Receiver, signed

pytestmark = pytest.mark.skipif(not rt.docker_available(), reason="no Docker Engine")

TOKEN = "scrape-" + "x" * 24


@pytest.fixture(scope="module")
def images():
    rt.ensure_standin()


@pytest.fixture
def platform(images):
    d = tempfile.mkdtemp(prefix="berth-metrics-")
    path = os.path.join(d, "token")
    with open(path, "w") as f:
        f.write(TOKEN + "\n")
    try:
        yield from make_platform(["--metrics-token-file", path, "--webhook-allow-private"])
    finally:
        shutil.rmtree(d, ignore_errors=True)


def metrics(a, env_id, **q):
    qs = "&".join("%s=%s" % kv for kv in q.items())
    r = a.get("/api/v1/environments/%s/metrics%s" % (env_id, "?" + qs if qs else ""))
    assert r.status_code == 200, r.text
    return r.json_body


def wait_for(fn, what, timeout=240):
    """Polls fn until it returns something true (the sampler runs every 10 s here)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(1)
    raise AssertionError("timed out waiting for " + what)


def values(m, container, key):
    return (m["containers"].get(container) or {}).get(key) or []


def sampled_times(m, container="odoo", key="memory_bytes"):
    return [t for t, v in zip(m["timestamps"], values(m, container, key)) if v is not None]


def test_monitoring_end_to_end(platform):
    a = platform
    # validation and the platform setting
    r = a.put("/api/v1/admin/monitoring", {"monitoring_interval_s": 5})
    assert r.status_code == 400 and r.json_body["error"]["field"] == "monitoring_interval_s", r.text
    r = a.put("/api/v1/admin/monitoring", {"monitoring_interval_s": 10})
    assert r.status_code == 200 and r.json_body["monitoring_interval_s"] == 10, r.text

    env = create_env(a)
    eid = env["id"]
    for q, field in (("range=7h", "range"), ("step=abc", "step"), ("step=5", "step"),
                     ("from=yesterday&to=2026-01-01T00:00:00Z", "from"),
                     ("from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", "from"),
                     ("range=6h&from=2026-01-01T00:00:00Z", "range"),
                     ("from=2026-01-01T00:00:00Z&to=soon", "to")):
        r = a.get("/api/v1/environments/%s/metrics?%s" % (eid, q))
        assert r.status_code == 400, (q, r.text)
        assert r.json_body["error"]["code"] == "VALIDATION_ERROR" and r.json_body["error"]["field"] == field, (q, r.text)

    rt.run_job(a, "POST", "/api/v1/environments/%s/deploy" % eid)
    # samples of the Odoo and database containers appear
    m = wait_for(lambda: (lambda m: m if sampled_times(m) and sampled_times(m, "db") else None)(
        metrics(a, eid, range="6h", step=10)), "the first samples")
    assert m["step"] == 10 and m["interval"] == 10
    assert len(m["timestamps"]) == len(values(m, "odoo", "cpu_percent"))
    odoo = m["containers"]["odoo"]
    i = [k for k, v in enumerate(odoo["memory_bytes"]) if v is not None][-1]
    assert odoo["memory_bytes"][i] > 0 and odoo["memory_limit_bytes"][i] >= odoo["memory_bytes"][i]
    assert odoo["restarts"][i] == 0
    assert "pgbouncer" in m["containers"]  # enabled by default
    assert any(e["type"] == "deploy" and e["status"] == "done" for e in m["events"]), m["events"]

    # CPU load made inside the Odoo container shows as CPU use, and raises an alert (low
    # thresholds, no sustain) that resolves when the load ends
    # a webhook on the alerts hears of it, signed
    rcv = Receiver()
    hook = a.post("/api/v1/orgs/%s/webhooks" % a.org_id,
                  {"url": rcv.url, "events": ["alert.raised", "alert.resolved"]}).json_body
    r = a.put("/api/v1/orgs/%s/alert-thresholds" % a.org_id,
              {"cpu_warning_pct": 20, "cpu_critical_pct": 30, "sustain_s": 0})
    assert r.status_code == 200, r.text
    odoo_id = rt.env_containers(eid, "odoo", all_=False)[0]
    rt.docker("exec", "-d", odoo_id, "timeout", "30", "sh", "-c", "while :; do :; done")
    busy = wait_for(lambda: [v for v in values(metrics(a, eid, range="6h", step=10), "odoo",
                                                 "cpu_core_percent") if v and v >= 20],
                    "the CPU load in the metrics", timeout=120)
    assert busy
    m = metrics(a, eid, range="6h", step=10)
    assert max(v for v in values(m, "odoo", "cpu_percent") if v is not None) >= 20

    def cpu_alerts(status):
        return [x for x in a.get("/api/v1/orgs/%s/alerts?status=%s" % (a.org_id, status)).json_body
                if x["target_id"] == eid and x["container"] == "odoo" and x["kind"] == "cpu"]
    raised = wait_for(lambda: cpu_alerts("raised") or cpu_alerts("resolved"), "a CPU alert")
    assert raised[0]["value"] >= 20 and raised[0]["target_name"] == env["name"], raised
    wait_for(lambda: cpu_alerts("resolved") and not cpu_alerts("raised"),
             "the CPU alert resolved once the load ended")
    try:
        def cpu_deliveries():
            got = [(h, json.loads(b)) for h, b, _ in rcv.got]
            return [(h, p) for h, p in got if p["data"].get("target_id") == eid
                    and p["data"].get("kind") == "cpu"]
        wait_for(lambda: {p["event"] for _, p in cpu_deliveries()} >= {"alert.raised", "alert.resolved"},
                 "the alert's webhook deliveries", timeout=60)
        for h, body, _ in rcv.got:
            assert signed(h, body, hook["secret"]), h
        resolved = [p for _, p in cpu_deliveries() if p["event"] == "alert.resolved"][-1]
        assert resolved["data"]["status"] == "resolved" and resolved["organization_id"] == a.org_id
    finally:
        rcv.close()

    # the server's figures (the host's, read through the edge proxy)
    r = a.get("/api/v1/servers/%s/metrics?range=6h&step=10" % a.server_id)
    assert r.status_code == 200, r.text
    s = r.json_body["series"]
    assert [v for v in s["memory_total_bytes"] if v], s
    assert [v for v in s["load1"] if v is not None], s
    assert [v for v in s["disk_free_bytes"] if v], s
    assert [v for v in s["cpu_percent"] if v is not None], s
    assert r.json_body["reachable"] is True

    # a stopped environment leaves a gap
    rt.run_job(a, "POST", "/api/v1/environments/%s/stop" % eid)
    stopped_at = time.time()

    def server_rounds_since(t):
        r = a.get("/api/v1/servers/%s/metrics?range=6h&step=10" % a.server_id).json_body
        return len([x for x, v in zip(r["timestamps"], r["series"]["reachable"])
                    if v is not None and x > t + 10]) >= 2
    wait_for(lambda: server_rounds_since(stopped_at), "two rounds after the stop")
    rt.run_job(a, "POST", "/api/v1/environments/%s/start" % eid)
    started_at = time.time()
    m = wait_for(lambda: (lambda m: m if [t for t in sampled_times(m) if t >= started_at - 10]
                          else None)(metrics(a, eid, range="6h", step=10)),
                 "samples after the start")
    mem = values(m, "odoo", "memory_bytes")
    seen = [k for k, v in enumerate(mem) if v is not None]
    assert any(mem[k] is None for k in range(seen[0], seen[-1])), mem
    types = [e["type"] for e in m["events"]]
    assert "stop" in types and "start" in types, types

    # cross-organization ids answer 404; a bad server id too
    x = new_user(a.berthd, a, role="developer")
    r = x.post("/api/v1/orgs", {"name": unique("Globex")})
    assert r.status_code == 201, r.text
    outsider = new_user(a.berthd, x, role="admin", org_id=r.json_body["id"])
    assert outsider.get("/api/v1/environments/%s/metrics" % eid).status_code == 404
    assert outsider.get("/api/v1/servers/%s/metrics" % a.server_id).status_code == 404
    assert x.get("/api/v1/environments/%s/metrics" % eid).status_code == 200
    assert x.put("/api/v1/admin/monitoring", {"monitoring_interval_s": 10}).status_code == 403

    # GET /metrics: the scrape token, then promtool's check
    assert Api(a.base).get("/metrics").status_code == 401
    assert Api(a.base).get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    r = Api(a.base).get("/metrics", headers={"Authorization": "Bearer " + TOKEN})
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    text = r.text
    assert 'berth_container_memory_bytes{org="' in text and 'container="odoo"}' in text, text
    assert 'environment="%s"' % env["name"] in text
    assert 'berth_http_requests_total{method="GET",route="/api/v1/environments/{}/metrics",status="200"}' in text
    assert 'berth_jobs_finished_total{type="deploy",status="done"} 1' in text
    assert "berth_sampler_round_duration_seconds_count" in text
    assert 'berth_server_up{org="' in text and 'server="local"} 1' in text
    assert re.search(r'^berth_server_memory_total_bytes\{org="[^"]+",server="local"\} [1-9]', text, re.M), text
    assert re.search(r'^berth_server_load1\{org="[^"]+",server="local"\} ', text, re.M), text
    if shutil.which("promtool"):
        p = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                           text=True)
        assert p.returncode == 0, p.stdout + p.stderr

    # the CLI: a compact table, or the series with --json
    cli_env = dict(os.environ, BERTH_URL=a.base, BERTH_TOKEN=a.token, HOME=tempfile.gettempdir())
    p = subprocess.run([BERTH, "env", "metrics", env["name"], "--range", "6h"], env=cli_env,
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert "CPU_NOW" in p.stdout and "\nodoo " in p.stdout and "\ndb " in p.stdout, p.stdout
    p = subprocess.run([BERTH, "--json", "env", "metrics", env["name"]], env=cli_env,
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert "odoo" in json.loads(p.stdout)["containers"]
    p = subprocess.run([BERTH, "server", "metrics", "local"], env=cli_env, capture_output=True,
                       text=True)
    assert p.returncode == 0 and "memory total" in p.stdout, p.stdout + p.stderr

    # retention: with 10 s kept, the samples from before the stop go
    r = a.put("/api/v1/admin/monitoring", {"monitoring_full_retention_s": 10,
                                           "monitoring_retention_s": 10})
    assert r.status_code == 200, r.text
    wait_for(lambda: min(sampled_times(metrics(a, eid, range="6h", step=10)) or [0]) > stopped_at,
             "the purge of the old samples")


def test_sampler_over_ssh(platform):
    """The same sampling through a real sshd on loopback: the Engine requests of a round go
    over channels of one SSH session, the stats ones opened together."""
    a = platform
    r = a.put("/api/v1/admin/monitoring", {"monitoring_interval_s": 10})
    assert r.status_code == 200, r.text
    sshd = rt.Sshd().start()
    env = None
    try:
        ports = set()
        while len(ports) < 2:
            ports.add(rt.free_port())
        http_port, https_port = sorted(ports)
        r = a.post("/api/v1/orgs/%s/servers" % a.org_id,
                   {"name": "ssh", "host": "127.0.0.1", "port": sshd.port, "user": "root",
                    "private_key": sshd.private_key, "http_port": http_port,
                    "https_port": https_port})
        assert r.status_code == 201, r.text
        sid = r.json_body["id"]
        a.extra_servers = [sid]
        assert a.post("/api/v1/servers/%s/test" % sid).json_body["status"] == "running"
        env = create_env(a, vm_id=sid)
        rt.run_job(a, "POST", "/api/v1/environments/%s/deploy" % env["id"])
        m = wait_for(lambda: (lambda m: m if sampled_times(m) and sampled_times(m, "db") and
                              [v for v in values(m, "odoo", "cpu_core_percent") if v is not None]
                              else None)(metrics(a, env["id"], range="6h", step=10)),
                     "samples over SSH")
        assert "pgbouncer" in m["containers"]
        r = a.get("/api/v1/servers/%s/metrics?range=6h&step=10" % sid).json_body
        assert r["reachable"] is True
        assert [v for v in r["series"]["load1"] if v is not None], r["series"]
    finally:
        if env:  # removed while the server is reachable; by label when that fails
            r = a.delete("/api/v1/environments/%s" % env["id"], {"confirm": "DELETE"})
            if r.status_code == 202:
                rt.wait_job(a, r.json_body["id"])
            for kind in ("container", "volume", "network"):
                ids = rt.docker(kind, "ls", "-q", *(["-a"] if kind == "container" else []),
                                "--filter", "label=berth.env=%s" % env["id"]).stdout.split()
                if ids:
                    rt.docker(kind, "rm", *(["-f", "-v"] if kind == "container" else
                                            ["-f"] if kind == "volume" else []), *ids,
                              check=False)
        sshd.stop()


def test_metrics_loopback_and_settings(admin):
    """Without --metrics-token-file, GET /metrics answers loopback clients (this test is one);
    monitoring's settings are the administrator's and checked key by key."""
    r = Api(admin.base).get("/metrics")
    assert r.status_code == 200, r.text
    assert "berth_queue_depth 0" in r.text and "# TYPE berth_sse_clients gauge" in r.text
    if shutil.which("promtool"):
        p = subprocess.run(["promtool", "check", "metrics"], input=r.text, capture_output=True,
                           text=True)
        assert p.returncode == 0, p.stdout + p.stderr
    assert Api(admin.base).post("/metrics").status_code == 405
    r = admin.get("/api/v1/admin/monitoring")
    assert r.json_body == {"monitoring_interval_s": 30, "monitoring_full_retention_s": 172800,
                           "monitoring_retention_s": 2592000, "logs_max_mb": 200}, r.text
    for body, field in (({"monitoring_interval_s": 301}, "monitoring_interval_s"),
                        ({"monitoring_interval_s": "30"}, "monitoring_interval_s"),
                        ({"monitoring_retention_s": 9}, "monitoring_retention_s"),
                        ({"other": 1}, "other")):
        r = admin.put("/api/v1/admin/monitoring", body)
        assert r.status_code == 400 and r.json_body["error"]["field"] == field, (body, r.text)
    r = admin.put("/api/v1/admin/monitoring", {"monitoring_full_retention_s": 3600})
    assert r.status_code == 200 and r.json_body["monitoring_full_retention_s"] == 3600
    assert r.json_body["monitoring_interval_s"] == 30
    # an unknown id is 404 like another organization's
    r = admin.get("/api/v1/environments/%s/metrics" % "00000000-0000-4000-8000-000000000000")
    assert r.status_code == 404, r.text
    r = admin.get("/api/v1/servers/%s/metrics" % "00000000-0000-4000-8000-000000000000")
    assert r.status_code == 404, r.text
