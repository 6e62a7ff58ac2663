"""An environment's logs on the real Docker Engine with the Odoo stand-in: the Odoo container's
lines through GET /logs, the live stream (SSE) and the download; lines kept across a hard
restart and a redeploy (the log volume); the filters; a resumed stream has no gap and no
duplicate; who may read them; removal takes the log volume with it.

The stand-in logs in Odoo's format: each HTTP request gives a werkzeug access line (INFO) with
the path. Lines of other levels are written to the Odoo process's own stderr (docker exec,
/proc/1/fd/2) in Odoo's format, as Odoo writes warnings, errors and tracebacks."""
import json
import os
import subprocess
import tempfile
import time

import pytest
import requests

from conftest import BERTH, new_user, unique
import runtime as rt
from test_runtime import EDGE_PORT, create_env, host_of, make_platform

pytestmark = pytest.mark.skipif(not rt.docker_available(), reason="no Docker Engine")


@pytest.fixture(scope="module")
def images():
    rt.ensure_standin()


@pytest.fixture
def platform(images):
    yield from make_platform()


def odoo_container(env_id):
    c = rt.env_containers(env_id, "odoo", all_=False)
    assert c, "no running odoo container"
    return c[0]


def odoo_line(env_id, level, text):
    """Writes one line in Odoo's format to the Odoo process's stderr."""
    ts = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()) + ",000"
    line = "%s 1 %s %s odoo.tests: %s" % (ts, level, "db", text)
    rt.docker("exec", odoo_container(env_id), "sh", "-c", 'printf "%s\\n" "$1" > /proc/1/fd/2',
              "sh", line)


def cut_short(keeper, files):
    """Writes files into the keeper's /logs/odoo (docker cp of a tar on stdin)."""
    import io
    import tarfile
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    r = subprocess.run([rt.DOCKER, "cp", "-", keeper + ":/logs/odoo"], input=buf.getvalue(),
                       capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr


def logs(a, env_id, **params):
    r = a.get("/api/v1/environments/%s/logs" % env_id + query(params))
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/x-ndjson")
    return [json.loads(l) for l in r.text.splitlines() if l]


def query(params):
    if not params:
        return ""
    from urllib.parse import urlencode
    return "?" + urlencode(params)


def wait_for(fn, what, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        got = fn()
        if got:
            return got
        time.sleep(0.2)
    raise AssertionError("never: " + what)


def with_text(lines, text):
    return [l for l in lines if text in l["line"]]


class Stream:
    """An SSE client: (id, event, data) tuples."""

    def __init__(self, a, env_id, headers=None, **params):
        h = {"Authorization": "Bearer " + a.token}
        h.update(headers or {})
        self.r = requests.get(a.base + "/api/v1/environments/%s/logs/stream" % env_id + query(params),
                              headers=h, stream=True, timeout=60)
        assert self.r.status_code == 200, self.r.text
        assert self.r.headers["Content-Type"].startswith("text/event-stream")
        self.it = self.r.iter_lines(decode_unicode=True)

    def events(self):
        ev = {}
        for line in self.it:
            if line == "":
                if "data" in ev:
                    yield ev.get("id"), ev.get("event"), json.loads(ev["data"])
                ev = {}
            elif line.startswith(":"):
                continue
            else:
                k, _, v = line.partition(":")
                ev[k] = v[1:] if v.startswith(" ") else v

    def until(self, text):
        got = []
        for eid, event, data in self.events():
            assert event == "log"
            assert eid == data["id"]
            got.append(data)
            if text in data["line"]:
                return got
        raise AssertionError("stream ended before " + text)

    def close(self):
        self.r.close()


def test_logs_stream_download_survive_filters_resume_access(platform):
    a = platform
    env = create_env(a)
    eid = env["id"]
    rt.run_job(a, "POST", "/api/v1/environments/%s/deploy" % eid)

    # a request the stand-in logs (werkzeug, INFO) shows in GET /logs
    m1 = unique("first")
    st, body = rt.http_get(EDGE_PORT, host_of(env), "/web/login?m=" + m1)
    assert st == 200, (st, body, EDGE_PORT, host_of(env))
    got = wait_for(lambda: with_text(logs(a, eid, q=m1), m1), "the access line")
    assert got[0]["container"] == "odoo" and got[0]["level"] == "info"
    assert "werkzeug" in got[0]["line"] and got[0]["ts"].endswith("Z")
    r = a.get("/api/v1/environments/%s/logs?q=%s" % (eid, m1), headers={"Accept": "text/plain"})
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/plain")
    assert m1 in r.text and r.text.startswith(got[0]["ts"][:4])

    # the other containers: PostgreSQL's own lines; the server's edge proxy, only the lines
    # of this environment's host names
    assert logs(a, eid, container="db", tail=100000)
    edge = wait_for(lambda: with_text(logs(a, eid, container="edge", tail=100000), m1), "edge line")
    assert host_of(env) in edge[0]["line"] and edge[0]["container"] == "edge"
    assert all(host_of(env) in l["line"] for l in logs(a, eid, container="edge", tail=100000))

    # the live stream: a line written after it opened arrives
    s = Stream(a, eid)
    m2 = unique("live")
    odoo_line(eid, "INFO", m2)
    seen = s.until(m2)
    assert seen[-1]["level"] == "info"
    s.close()

    # levels (a traceback line takes the level of the line before it), q, since/until
    w, e, tb = unique("warn"), unique("err"), unique("tb")
    odoo_line(eid, "WARNING", w)
    odoo_line(eid, "ERROR", e)
    rt.docker("exec", odoo_container(eid), "sh", "-c",
              'printf "Traceback (most recent call last): %s\\n" "$1" > /proc/1/fd/2', "sh", tb)
    wait_for(lambda: with_text(logs(a, eid, q=tb), tb), "the traceback line")
    errs = logs(a, eid, level="error", tail=100000)
    assert with_text(errs, e) and with_text(errs, tb) and not with_text(errs, w)
    assert not with_text(errs, m1) and all(l["level"] in ("error", "critical") for l in errs)
    warns = logs(a, eid, level="warning", tail=100000)
    assert with_text(warns, w) and with_text(warns, e)
    assert [l["line"] for l in logs(a, eid, q=w)] == [with_text(warns, w)[0]["line"]]
    tw = with_text(warns, w)[0]["ts"]
    after = logs(a, eid, since=tw, tail=100000)
    assert with_text(after, w) and with_text(after, e) and not with_text(after, m1)
    before = logs(a, eid, until=tw, tail=100000)
    assert with_text(before, m1) and with_text(before, w) and not with_text(before, e)
    assert len(logs(a, eid, tail=1)) == 1

    # bad parameters name themselves
    for k, v in (("tail", "0"), ("tail", "100001"), ("tail", "x"), ("since", "yesterday"),
                 ("until", "2024-13-01"), ("level", "loud"), ("container", "nginx")):
        r = a.get("/api/v1/environments/%s/logs" % eid + query({k: v}))
        assert r.status_code == 400, (k, v, r.text)
        assert r.json_body["error"]["code"] == "VALIDATION_ERROR"
        assert r.json_body["error"]["field"] == k
    r = a.get("/api/v1/environments/%s/logs/stream" % eid, headers={"Last-Event-ID": "abc"})
    assert r.status_code == 400 and r.json_body["error"]["field"] == "Last-Event-ID"

    # the download holds the lines, as a named attachment
    r = a.get("/api/v1/environments/%s/logs/download" % eid)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/plain")
    cd = r.headers["Content-Disposition"]
    assert cd.startswith('attachment; filename="%s-' % env["name"]) and cd.endswith('Z.txt"')
    assert m1 in r.text and m2 in r.text and e in r.text
    r = a.get("/api/v1/environments/%s/logs/download?level=error" % eid)
    assert e in r.text and m1 not in r.text

    # the CLI: berth env logs NAME [--grep S] [--level L] [-o FILE] [-f]
    cenv = dict(os.environ, BERTH_URL=a.base, BERTH_TOKEN=a.token,
                BERTH_CONFIG=os.path.join(tempfile.mkdtemp(), "config.json"))
    p = subprocess.run([BERTH, "env", "logs", env["name"], "--grep", m1], env=cenv,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and m1 in p.stdout and len(p.stdout.splitlines()) == 1, p.stderr
    p = subprocess.run([BERTH, "env", "logs", env["name"], "--level", "bogus"], env=cenv,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 1 and "level" in p.stderr
    out = os.path.join(tempfile.mkdtemp(), "odoo.log")
    p = subprocess.run([BERTH, "env", "logs", env["name"], "-o", out, "--level", "warning"],
                       env=cenv, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    text = open(out).read()
    assert w in text and e in text and m1 not in text
    f = subprocess.Popen([BERTH, "env", "logs", env["name"], "-f", "--tail", "1"], env=cenv,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        f.stdout.readline()  # the last line, then the live ones
        mf = unique("cli-follow")
        odoo_line(eid, "INFO", mf)
        while True:
            line = f.stdout.readline()
            assert line, f.stderr.read()
            if mf in line:
                break
    finally:
        f.kill()
        f.wait()

    # a hard restart and a redeploy that recreates Odoo keep the earlier lines
    odoo_before = rt.env_containers(eid, "odoo")
    rt.run_job(a, "POST", "/api/v1/environments/%s/restart" % eid, {"mode": "hard"})
    assert rt.env_containers(eid, "odoo") != odoo_before
    # a write cut short (berthd killed while it wrote index.a, a segment left half-written
    # and not yet listed): the other index copy is read, the half segment is not, and the
    # next archive neither loses nor repeats a line (checked below)
    keeper = "berth-%s-logs" % eid.replace("-", "")[:12]
    cut_short(keeper, {"index.a": b"berth-logs 1\n17330000000", "1.log": b"2024-01-01T00:00:00Z half"})
    assert len(with_text(logs(a, eid, tail=100000), m1)) == 1
    m3 = unique("afterhard")
    odoo_line(eid, "INFO", m3)
    r = a.patch("/api/v1/environments/%s" % eid, {"environment_vars": {"SHOP_LOGS_TEST": "1"}})
    assert r.status_code == 200, r.text
    odoo_mid = rt.env_containers(eid, "odoo")
    rt.run_job(a, "POST", "/api/v1/environments/%s/deploy" % eid)
    assert rt.env_containers(eid, "odoo") != odoo_mid
    all_lines = logs(a, eid, tail=100000)
    for m in (m1, m2, w, e, tb, mf, m3):
        assert len(with_text(all_lines, m)) == 1, m  # kept, and once
    ids = [int(l["id"]) for l in all_lines]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert rt.docker("volume", "inspect", "berth-%s-logs" % eid.replace("-", "")[:12]).returncode == 0

    # a stream resumed with Last-Event-ID: every line after it, in order, none twice
    start = with_text(all_lines, m1)[0]["id"]
    expect = [l for l in all_lines if int(l["id"]) > int(start)]
    m4 = unique("resumed")
    odoo_line(eid, "INFO", m4)
    s = Stream(a, eid, headers={"Last-Event-ID": start})
    got = s.until(m4)
    s.close()
    assert [l["id"] for l in got[:len(expect)]] == [l["id"] for l in expect]
    assert len(set(l["id"] for l in got)) == len(got)
    # ... and with since: from that time on
    s = Stream(a, eid, since=with_text(all_lines, m3)[0]["ts"])
    got = s.until(m4)
    s.close()
    assert got[0]["line"] == with_text(all_lines, m3)[0]["line"]

    # another organization's user and a member limited to another project: not found
    x = new_user(a.berthd, a, role="developer")
    r = x.post("/api/v1/orgs", {"name": unique("Globex")})
    assert r.status_code == 201, r.text
    outsider = new_user(a.berthd, x, role="admin", org_id=r.json_body["id"])
    r = a.post("/api/v1/orgs/%s/projects" % a.org_id, {"name": unique("Other"), "odoo_version": "18.0"})
    assert r.status_code == 201, r.text
    limited = new_user(a.berthd, a, role="viewer", projects=[r.json_body["id"]])
    for u in (outsider, limited):
        for suffix in ("", "/stream", "/download"):
            r = u.get("/api/v1/environments/%s/logs%s" % (eid, suffix))
            assert r.status_code == 404, (suffix, r.text)
            assert r.json_body["error"]["code"] == "ENVIRONMENT_NOT_FOUND"
    viewer = new_user(a.berthd, a, role="viewer")  # viewers have environment.logs
    assert with_text(logs(viewer, eid, q=m1), m1)

    # removing the environment removes its logs
    rt.run_job(a, "DELETE", "/api/v1/environments/%s" % eid, {"confirm": "DELETE"})
    assert rt.docker("volume", "ls", "-q", "--filter", "label=berth.env=%s" % eid).stdout.split() == []
    assert rt.env_containers(eid) == []


def test_logs_over_ssh(platform):
    """The same through a real sshd on loopback: reads, the archive before a hard restart and
    the live follow go over SSH channels to the Engine's socket."""
    from conftest import free_port
    a = platform
    sshd = rt.Sshd().start()
    try:
        port = free_port()
        r = a.post("/api/v1/orgs/%s/servers" % a.org_id,
                   {"name": "ssh", "host": "127.0.0.1", "port": sshd.port, "user": "root",
                    "private_key": sshd.private_key, "http_port": port,
                    "https_port": free_port()})
        assert r.status_code == 201, r.text
        sid = r.json_body["id"]
        a.extra_servers = [sid]
        assert a.post("/api/v1/servers/%s/test" % sid).json_body["status"] == "running"
        env = create_env(a, vm_id=sid)
        eid = env["id"]
        rt.run_job(a, "POST", "/api/v1/environments/%s/deploy" % eid)
        m1 = unique("ssh-first")
        odoo_line(eid, "WARNING", m1)
        wait_for(lambda: with_text(logs(a, eid, q=m1), m1), "the line over SSH")
        s = Stream(a, eid)
        m2 = unique("ssh-live")
        odoo_line(eid, "INFO", m2)
        assert s.until(m2)[-1]["line"].endswith(m2)
        s.close()
        rt.run_job(a, "POST", "/api/v1/environments/%s/restart" % eid, {"mode": "hard"})
        got = logs(a, eid, tail=100000)
        assert len(with_text(got, m1)) == 1 and len(with_text(got, m2)) == 1
        r = a.get("/api/v1/environments/%s/logs/download?level=warning" % eid)
        assert r.status_code == 200 and m1 in r.text and m2 not in r.text
        rt.run_job(a, "DELETE", "/api/v1/environments/%s" % eid, {"confirm": "DELETE"})
        assert rt.docker("volume", "ls", "-q", "--filter", "label=berth.env=%s" % eid).stdout.split() == []
    finally:
        sshd.stop()


def test_rotation_keeps_the_environment_within_its_bound(platform):
    """logs_max_mb (here 10, set in the store: there is no settings route yet): once the
    kept lines of the environment exceed it, its oldest segments go, the newest stays."""
    import sqlite3
    a = platform
    env = create_env(a)
    eid = env["id"]
    db = sqlite3.connect(os.path.join(a.berthd.data, "berth.db"), timeout=30)
    db.execute("UPDATE environments SET settings=json_set(coalesce(settings, '{}'), "
               "'$.logs_max_mb', 10) WHERE id=?", (eid,))
    db.commit()
    db.close()
    rt.run_job(a, "POST", "/api/v1/environments/%s/deploy" % eid)

    def burst(tag, mb):
        """About mb MB of Odoo-format lines, the first and the last carrying tag."""
        script = ("import time\n"
                  "f = open('/proc/1/fd/2', 'w')\n"
                  "pad = 'x' * 1000\n"
                  "for i in range(%d):\n"
                  "    t = time.strftime('%%Y-%%m-%%d %%H:%%M:%%S', time.gmtime()) + ',000'\n"
                  "    f.write('%%s 1 INFO db odoo.bench: %s %%d %%s\\n' %% (t, i, pad))\n"
                  "f.close()\n") % (mb * 1000, tag)
        rt.docker("exec", odoo_container(eid), "python3", "-c", script)
        wait_for(lambda: with_text(logs(a, eid, q="%s %d " % (tag, mb * 1000 - 1)), tag), tag)

    first, second = unique("rot1"), unique("rot2")
    burst(first, 12)
    rt.run_job(a, "POST", "/api/v1/environments/%s/restart" % eid, {"mode": "hard"})
    # one segment of 12 MB: over the bound, but the newest always stays
    assert with_text(logs(a, eid, q=first + " 0 "), first)
    burst(second, 4)
    rt.run_job(a, "POST", "/api/v1/environments/%s/restart" % eid, {"mode": "hard"})
    # 16 MB: the older segment went, the newer is whole
    assert not with_text(logs(a, eid, q=first), first)
    got = logs(a, eid, q=second, tail=100000)
    assert len(got) == 4000
    keeper = "berth-%s-logs" % eid.replace("-", "")[:12]
    du = rt.docker("run", "--rm", "--volumes-from", keeper, "--entrypoint", "du",
                   "%s:18.0" % rt.STANDIN_TAG, "-sk", "/logs").stdout.split()[0]
    assert int(du) < 10 * 1024, du
