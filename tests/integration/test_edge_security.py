"""The Security, Nginx and Domain sub-tabs on a running environment (the Odoo stand-in),
through the edge proxy: each PUT queues edge_reload, which rewrites the site and reloads.

Requests are made from inside the edge container with perl (its image has perl-base), from
loopback addresses such as 127.0.0.2 and 127.0.0.3: a request through the published port
would reach nginx from Docker's gateway address, whoever sent it. One environment is
deployed for the whole module (deploys are slow)."""
import json

import pytest

from conftest import Berthd, ADMIN_EMAIL, ADMIN_PASSWORD, free_port
from test_environments import set_plan
import runtime as rt

pytestmark = pytest.mark.skipif(not rt.docker_available(), reason="no Docker Engine")

EDGE_PORT = free_port()

# One request or more (n) from a source address, to the edge's port 80 inside its container;
# prints each answer's head then "===". A body of `len` bytes is sent when len > 0 (nginx may
# refuse it before reading it all: SIGPIPE is ignored).
PERL = r'''
use strict; use IO::Socket::INET;
$SIG{PIPE} = 'IGNORE';
my ($src, $method, $path, $host, $n, $len, @hdrs) = @ARGV;
for my $i (1 .. $n) {
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => 80,
                                  LocalAddr => $src, Proto => 'tcp') or die "connect: $!";
    my $req = "$method $path HTTP/1.1\r\nHost: $host\r\nConnection: close\r\n";
    $req .= "$_\r\n" for @hdrs;
    $req .= "Content-Length: $len\r\n" if $len;
    print $s "$req\r\n";
    my $left = $len; my $chunk = 'x' x 65536;
    while ($left > 0) {
        my $k = $left < 65536 ? $left : 65536;
        last unless print $s substr($chunk, 0, $k);
        $left -= $k;
    }
    local $/; my $resp = <$s> // '';
    my ($head) = split /\r\n\r\n/, $resp, 2;
    print(($head // ''), "\n===\n");
}
'''


@pytest.fixture(scope="module")
def platform():
    rt.ensure_standin()
    d = Berthd().start()
    api = d.api()
    r = api.post("/api/v1/setup", {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD,
                                   "organization": "Acme"})
    assert r.status_code == 201, r.text
    a = api.with_token(r.json_body["access_token"])
    a.org_id = r.json_body["organization"]["id"]
    set_plan(a, a.org_id, allow_backup=True, allow_instance_tuning=True,
             allow_nginx_tuning=True, allow_ip_whitelist=True)
    r = a.put("/api/v1/admin/odoo-versions",
              [{"version": v, "image": "%s:%s" % (rt.STANDIN_TAG, v)}
               for v in ("16.0", "17.0", "18.0", "19.0")])
    assert r.status_code == 200, r.text
    r = a.post("/api/v1/orgs/%s/servers" % a.org_id, {"name": "local", "transport": "local",
                                                        "http_port": EDGE_PORT,
                                                        "https_port": free_port()})
    assert r.status_code == 201, r.text
    a.server_id = r.json_body["id"]
    r = a.post("/api/v1/servers/%s/test" % a.server_id)
    assert r.json_body["status"] == "running", r.text
    r = a.post("/api/v1/orgs/%s/projects" % a.org_id, {"name": "Shop", "odoo_version": "18.0"})
    assert r.status_code == 201, r.text
    a.project_id = r.json_body["id"]
    a.berthd = d
    yield a
    for e in a.get("/api/v1/orgs/%s/environments" % a.org_id).json_body or []:
        r = a.delete("/api/v1/environments/%s" % e["id"], {"confirm": "DELETE"})
        if r.status_code == 202:
            rt.wait_job(a, r.json_body["id"])
    try:
        d.cleanup()
    finally:
        rt.remove_edges(a.server_id)


@pytest.fixture(scope="module")
def env(platform):
    a = platform
    r = a.post("/api/v1/projects/%s/environments" % a.project_id,
               {"env_type": "staging", "vm_id": a.server_id, "cpu_cores": 1.0, "ram_mb": 1024,
                "disk_gb": 2})
    assert r.status_code == 201, r.text
    e = r.json_body
    rt.run_job(a, "POST", "/api/v1/environments/%s/deploy" % e["id"])
    e["host"] = e["subdomain"] + ".localhost"
    e["edge"] = "berth-edge-" + a.server_id.replace("-", "")[:8]
    return e


def put(a, env, tab, body, query=""):
    """PUT a tab and wait for the job it queued (edge_reload for the edge's tabs)."""
    r = a.put("/api/v1/environments/%s/settings/%s%s" % (env["id"], tab, query), body)
    assert r.status_code == 200, r.text
    job = r.json_body["apply"]["job"]
    if job:
        done = rt.wait_job(a, job["id"])
        assert done["status"] == "done", rt.job_log(a, job["id"])
    return r.json_body


def request(env, path="/web/login", src="127.0.0.2", method="GET", host=None, headers=(),
            n=1, length=0):
    """[(status, {header: value})] of n requests from src, through the edge."""
    out = rt.docker("exec", env["edge"], "perl", "-e", PERL, src, method, path,
                    host or env["host"], str(n), str(length), *headers).stdout
    answers = []
    for head in out.split("===\n")[:-1]:
        lines = head.strip().splitlines()  # (text mode turned \r\n into \n)
        assert lines and lines[0].startswith("HTTP/"), out
        hdrs = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            hdrs.setdefault(k.strip().lower(), []).append(v.strip())
        answers.append((int(lines[0].split()[1]), hdrs))
    assert len(answers) == n, out
    return answers


def one(env, **kw):
    return request(env, **kw)[0]


def test_edge_reload_job_and_upload_limit(platform, env):
    a = platform
    assert one(env)[0] == 200
    b = put(a, env, "nginx", {"nginx_max_upload": "1M"})
    assert b["apply"]["action"] == "edge_reload"
    log = rt.job_log(a, b["apply"]["job"]["id"])
    assert "Edge proxy" in log
    status, _ = one(env, method="POST", path="/web/binary/upload", length=2 * 1024 * 1024)
    assert status == 413
    status, _ = one(env, method="POST", path="/web/binary/upload", length=1000)
    assert status != 413
    put(a, env, "nginx", {"nginx_max_upload": None})
    status, _ = one(env, method="POST", path="/web/binary/upload", length=2 * 1024 * 1024)
    assert status != 413


def test_frame_options_and_csp(platform, env):
    a = platform
    status, h = one(env)
    assert h.get("x-frame-options") == ["SAMEORIGIN"], (status, h)
    assert "content-security-policy" not in h
    put(a, env, "nginx", {"nginx_x_frame_options": "DENY"})
    b = put(a, env, "security", {"csp": True})
    policy = b["values"]["csp_policy"]
    status, h = one(env)
    assert status == 200
    assert h["x-frame-options"] == ["DENY"]
    assert h["content-security-policy"] == [policy]
    # the headers reach every location: the login page, the catch-all, Odoo's 404s
    for p in ("/", "/web/health", "/no/such/page"):
        _, h = one(env, path=p)
        assert h.get("content-security-policy") == [policy], p
        assert h.get("x-frame-options") == ["DENY"], p
    put(a, env, "security", {"csp_policy": "default-src 'self'; img-src 'self' data:"})
    _, h = one(env)
    assert h["content-security-policy"] == ["default-src 'self'; img-src 'self' data:"]
    put(a, env, "security", {"csp": False, "csp_policy": None})
    put(a, env, "nginx", {"nginx_x_frame_options": None})
    _, h = one(env)
    assert "content-security-policy" not in h and h["x-frame-options"] == ["SAMEORIGIN"]


def test_cors(platform, env):
    a = platform
    put(a, env, "security", {"cors_origins": ["https://shop.example.com"]})
    _, h = one(env, headers=["Origin: https://shop.example.com"])
    assert h["access-control-allow-origin"] == ["https://shop.example.com"]
    assert "Origin" in h.get("vary", [])
    _, h = one(env, headers=["Origin: https://evil.example.com"])
    assert "access-control-allow-origin" not in h
    _, h = one(env)
    assert "access-control-allow-origin" not in h
    # a preflight from a listed origin is answered by the edge
    status, h = one(env, method="OPTIONS", path="/api/thing",
                    headers=["Origin: https://shop.example.com",
                             "Access-Control-Request-Method: POST"])
    assert status == 204
    assert h["access-control-allow-origin"] == ["https://shop.example.com"]
    assert "POST" in h["access-control-allow-methods"][0]
    assert h["access-control-max-age"] == ["86400"]
    status, h = one(env, method="OPTIONS", path="/api/thing",
                    headers=["Origin: https://evil.example.com",
                             "Access-Control-Request-Method: POST"])
    assert "access-control-allow-origin" not in h
    assert "access-control-allow-methods" not in h
    put(a, env, "security", {"cors_origins": None})
    _, h = one(env, headers=["Origin: https://shop.example.com"])
    assert "access-control-allow-origin" not in h


def test_ip_rules(platform, env):
    a = platform
    put(a, env, "security", {"ip_blacklist": ["127.0.0.3"]})
    assert one(env, src="127.0.0.3")[0] == 403
    assert one(env, src="127.0.0.2")[0] == 200
    # the whitelist: only those (the blacklist still wins); the ACME challenge and berth's
    # health check stay reachable for everyone
    put(a, env, "security", {"ip_whitelist": ["127.0.0.2", "127.0.0.3"]})
    assert one(env, src="127.0.0.2")[0] == 200
    assert one(env, src="127.0.0.3")[0] == 403
    assert one(env, src="127.0.0.4")[0] == 403
    assert one(env, src="127.0.0.4", path="/.well-known/acme-challenge/x")[0] == 404
    assert one(env, src="127.0.0.4", path="/web/health")[0] == 200
    # from outside the container (Docker's gateway address): refused too
    assert rt.http_get(EDGE_PORT, env["host"], "/web/login")[0] == 403
    # a restart keeps the rules (the deploy's health check passes through the edge)
    rt.run_job(a, "POST", "/api/v1/environments/%s/restart" % env["id"], {"mode": "hard"})
    assert one(env, src="127.0.0.4")[0] == 403
    assert one(env, src="127.0.0.2")[0] == 200
    put(a, env, "security", {"ip_whitelist": [], "ip_blacklist": None})
    assert one(env, src="127.0.0.3")[0] == 200
    assert rt.http_get(EDGE_PORT, env["host"], "/web/login")[0] == 200


def test_login_rate_limit(platform, env):
    a = platform
    put(a, env, "security", {"rate_limit": True})
    # the login page: 5r/m with a burst of 5, per client address
    statuses = [s for s, _ in request(env, src="127.0.0.5", n=12)]
    assert statuses[0] == 200 and 429 in statuses, statuses
    # another address is not limited by the first one's requests, nor other pages
    assert one(env, src="127.0.0.6")[0] == 200
    assert one(env, src="127.0.0.5", path="/web/health")[0] == 200
    # the general rate: past it 429, but never for berth's health check
    put(a, env, "security", {"rate_limit_general": "1r/m"})
    statuses = [s for s, _ in request(env, src="127.0.0.8", path="/", n=8)]
    assert 429 in statuses, statuses
    statuses = [s for s, _ in request(env, src="127.0.0.8", path="/web/health", n=8)]
    assert statuses == [200] * 8, statuses
    put(a, env, "security", {"rate_limit": False, "rate_limit_general": None})
    statuses = [s for s, _ in request(env, src="127.0.0.5", n=3)]
    assert statuses == [200, 200, 200]


def test_extra_domain_served_and_kept(platform, env):
    a = platform
    assert one(env, host="shop.example.test")[0] == 404  # the edge's default server
    b = put(a, env, "domain", {"extra_domains": ["shop.example.test"]})
    doms = [d["domain"] for d in b["info"]["domains"]]
    assert "shop.example.test" in doms
    status, _ = one(env, host="shop.example.test")
    assert status == 200
    # settings kept across a redeploy: the site is rewritten with them
    put(a, env, "nginx", {"nginx_x_frame_options": "DENY"})
    rt.run_job(a, "POST", "/api/v1/environments/%s/deploy" % env["id"])
    assert one(env, host="shop.example.test")[0] == 200
    assert one(env)[1]["x-frame-options"] == ["DENY"]
    r = a.get("/api/v1/environments/%s/settings/domain" % env["id"])
    assert r.json_body["values"]["extra_domains"] == ["shop.example.test"]
    put(a, env, "domain", {"extra_domains": []})
    assert one(env, host="shop.example.test")[0] == 404
    put(a, env, "nginx", {"nginx_x_frame_options": None})


def test_site_passes_nginx_t_with_everything(platform, env):
    a = platform
    put(a, env, "security", {"cors_origins": ["*"], "ip_blacklist": ["203.0.113.0/24",
                                                                     "2001:db8::1"],
                             "rate_limit": True, "rate_limit_general": "100r/s", "csp": True})
    out = rt.docker("exec", env["edge"], "nginx", "-t", check=False)
    assert out.returncode == 0, out.stderr
    _, h = one(env, headers=["Origin: https://any.example.org"], src="127.0.0.7")
    assert h["access-control-allow-origin"] == ["https://any.example.org"]
    put(a, env, "security", {"cors_origins": None, "ip_blacklist": None, "rate_limit": None,
                             "rate_limit_general": None, "csp": None})
