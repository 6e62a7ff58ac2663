"""HTTPS on the edge against pebble (docs/tls.md): issuance by HTTP-01 through the edge,
HTTPS with pebble's root, HTTP -> HTTPS 301 (the challenge path excepted), renewal of a
short-lived certificate by the scheduler, a failing challenge leaving HTTP working with the
reason in tls_status / tls_error, a custom certificate (checked), an extra domain with its
own certificate, and the platform's /admin/tls settings.

The test makes its own CA with openssl and the TLS files of pebble's ACME endpoint (its
certificate names the Docker bridge's gateway, where the edge container reaches it; the CA is
given to berth as acme_ca_pem), runs pebble-challtestsrv as pebble's DNS (every name resolves
to 127.0.0.1, where the edge's HTTP port is published; pebble's httpPort is that port) and
pebble itself with PEBBLE_VA_NOSLEEP, and stops both at the end. Certificates live 150 s
(certificateValidityPeriod) and berthd renews 120 s before expiry, its renewal task every
second (hidden options), so the renewal is seen without waiting for weeks."""
import datetime
import json
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import time

import pytest
import requests

from conftest import ADMIN_EMAIL, ADMIN_PASSWORD, BUILD, Berthd, free_port, unique
import runtime as rt

pytestmark = pytest.mark.skipif(
    not rt.docker_available() or not shutil.which("pebble") or not shutil.which("openssl"),
    reason="needs Docker, pebble and openssl")

APPS = "tls.berth.test"
VALIDITY = 150
RENEW_BEFORE = 120
HTTP_PORT = free_port()
HTTPS_PORT = free_port()


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_ca(d, name="ca"):
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", name + ".key", "-out", name + ".pem", "-days", "3",
            "-subj", "/CN=berth test CA " + name, cwd=d)


def make_leaf(d, name, ca, sans, days="2"):
    """A certificate for sans signed by ca (files name.key, name.pem)."""
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + sans[0], cwd=d)
    open(os.path.join(d, name + ".ext"), "w").write(
        "subjectAltName=" + ",".join(sans) + "\n")
    args = ["x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem", "-CAkey", ca + ".key",
            "-CAcreateserial", "-out", name + ".pem", "-extfile", name + ".ext", "-days", days]
    openssl(*args, cwd=d)


def wait_port(port, host="127.0.0.1", timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection((host, port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("nothing listens on %s:%d" % (host, port))


class Pebble:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="berth-pebble-")
        self.gw = rt.docker("network", "inspect", "bridge", "--format",
                            "{{(index .IPAM.Config 0).Gateway}}").stdout.strip()
        self.acme_port, self.mgmt_port = free_port(), free_port()
        self.dns_port, self.dns_mgmt = free_port(), free_port()
        make_ca(self.dir)
        make_leaf(self.dir, "pebble", "ca", ["IP:" + self.gw, "IP:127.0.0.1", "DNS:localhost"])
        self.ca_pem = open(os.path.join(self.dir, "ca.pem")).read()
        cfg = {"pebble": {
            "listenAddress": "0.0.0.0:%d" % self.acme_port,
            "managementListenAddress": "127.0.0.1:%d" % self.mgmt_port,
            "certificate": os.path.join(self.dir, "pebble.pem"),
            "privateKey": os.path.join(self.dir, "pebble.key"),
            "httpPort": HTTP_PORT, "tlsPort": free_port(),
            "ocspResponderURL": "", "externalAccountBindingRequired": False,
            "certificateValidityPeriod": VALIDITY}}
        open(os.path.join(self.dir, "pebble.json"), "w").write(json.dumps(cfg))
        self.procs = []

    def start(self):
        log = open(os.path.join(self.dir, "dns.log"), "w")
        self.procs.append(subprocess.Popen(
            ["pebble-challtestsrv", "-defaultIPv4", "127.0.0.1", "-defaultIPv6", "",
             "-dns01", "127.0.0.1:%d" % self.dns_port, "-http01", "", "-https01", "",
             "-tlsalpn01", "", "-management", "127.0.0.1:%d" % self.dns_mgmt],
            stdout=log, stderr=log))
        wait_port(self.dns_mgmt)
        log = open(os.path.join(self.dir, "pebble.log"), "w")
        env = dict(os.environ, PEBBLE_VA_NOSLEEP="1", PEBBLE_WFE_NONCEREJECT="0",
                   PEBBLE_AUTHZREUSE="0")
        self.procs.append(subprocess.Popen(
            ["pebble", "-config", os.path.join(self.dir, "pebble.json"),
             "-dnsserver", "127.0.0.1:%d" % self.dns_port], stdout=log, stderr=log, env=env))
        wait_port(self.acme_port)
        wait_port(self.mgmt_port)
        return self

    @property
    def directory(self):
        return "https://%s:%d/dir" % (self.gw, self.acme_port)

    def roots(self):
        """pebble's root (which issued the certificates), as a CA file."""
        r = requests.get("https://127.0.0.1:%d/roots/0" % self.mgmt_port,
                         verify=os.path.join(self.dir, "ca.pem"), timeout=10)
        assert r.status_code == 200, r.text
        path = os.path.join(self.dir, "pebble-root.pem")
        open(path, "w").write(r.text)
        return path

    def servfail(self, host):
        r = requests.post("http://127.0.0.1:%d/set-servfail" % self.dns_mgmt,
                          json={"host": host + "."}, timeout=10)
        assert r.status_code == 200, r.text

    def stop(self):
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def pebble():
    p = Pebble().start()
    yield p
    p.stop()


@pytest.fixture(scope="module")
def platform(pebble):
    rt.ensure_standin()
    d = Berthd(["--apps-domain", APPS, "--tls-renew-interval", "1000",
                "--tls-renew-before", str(RENEW_BEFORE), "--tls-retry-base", "2"]).start()
    api = d.api()
    r = api.post("/api/v1/setup", {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD,
                                   "organization": "Acme"})
    assert r.status_code == 201, r.text
    a = api.with_token(r.json_body["access_token"])
    a.org_id = r.json_body["organization"]["id"]
    r = a.put("/api/v1/admin/odoo-versions",
              [{"version": v, "image": "%s:%s" % (rt.STANDIN_TAG, v)}
               for v in ("16.0", "17.0", "18.0", "19.0")])
    assert r.status_code == 200, r.text
    r = a.post("/api/v1/orgs/%s/servers" % a.org_id,
               {"name": "local", "transport": "local", "http_port": HTTP_PORT,
                "https_port": HTTPS_PORT})
    assert r.status_code == 201, r.text
    a.server_id = r.json_body["id"]
    assert r.json_body["cloudflare_proxy"] is False
    r = a.post("/api/v1/servers/%s/test" % a.server_id)
    assert r.json_body["status"] == "running", r.text
    r = a.post("/api/v1/orgs/%s/projects" % a.org_id, {"name": "Shop", "odoo_version": "18.0"})
    assert r.status_code == 201, r.text
    a.project_id = r.json_body["id"]
    r = a.put("/api/v1/admin/tls", {"acme_directory_url": pebble.directory,
                                    "acme_email": "ops@example.com",
                                    "acme_ca_pem": pebble.ca_pem})
    assert r.status_code == 200, r.text
    a.berthd = d
    a.envs = {}
    yield a
    try:
        for e in a.get("/api/v1/orgs/%s/environments" % a.org_id).json_body or []:
            r = a.delete("/api/v1/environments/%s" % e["id"], {"confirm": "DELETE"})
            if r.status_code == 202:
                rt.wait_job(a, r.json_body["id"])
        d.cleanup()
    finally:
        # whatever berthd left (it may have died): this test's objects only, by their labels
        flts = ["label=berth.env=%s" % e["id"] for e in a.envs.values()]
        for flt in flts:
            ids = rt.docker("ps", "-aq", "--filter", flt, check=False).stdout.split()
            if ids:
                rt.docker("rm", "-f", "-v", *ids, check=False)
        rt.remove_edges(a.server_id)  # before the networks it is connected to
        for flt in flts:
            for kind in ("volume", "network"):
                names = rt.docker(kind, "ls", "-q", "--filter", flt, check=False).stdout.split()
                if names:
                    rt.docker(kind, "rm", *names, check=False)


def create_env(a, **kw):
    body = {"env_type": "staging", "vm_id": a.server_id, "cpu_cores": 1.0, "ram_mb": 1024,
            "disk_gb": 2}
    body.update(kw)
    r = a.post("/api/v1/projects/%s/environments" % a.project_id, body)
    assert r.status_code == 201, r.text
    return r.json_body


def fqdn(env):
    return "%s.%s" % (env["subdomain"], APPS)


def certs(a, env):
    r = a.get("/api/v1/environments/%s/certificates" % env["id"])
    assert r.status_code == 200, r.text
    return {c["domain"]: c for c in r.json_body}


def env_jobs(a, env):
    jobs = a.get("/api/v1/environments/%s/jobs?limit=100" % env["id"]).json_body
    return jobs.get("jobs", jobs) if isinstance(jobs, dict) else jobs


def settle(a):
    """Waits until none of the test's environments has a job queued or running (a server
    change queues tls_renew for each, which rewrites and reloads its site)."""
    wait_for(lambda: all(j["status"] not in ("queued", "running")
                         for env in a.envs.values() for j in env_jobs(a, env)),
             "the environments' jobs", timeout=120)


def https_get(host, cafile, path="/web/login", head_out=None):
    """GET over TLS to the edge's HTTPS port with SNI host, verified against cafile; returns
    (status, body, the peer certificate's serial); the response's head into head_out (a list)
    when given."""
    ctx = ssl.create_default_context(cafile=cafile)
    raw = socket.create_connection(("127.0.0.1", HTTPS_PORT), timeout=10)
    s = ctx.wrap_socket(raw, server_hostname=host)
    serial = s.getpeercert()["serialNumber"]
    head, body = rt.raw_get(s, host, path)
    if head_out is not None:
        head_out.append(head.decode(errors="replace"))
    return int(head.split(b" ")[1]), body.decode(errors="replace"), serial


def http_head(host, path):
    head = rt.raw_get(socket.create_connection(("127.0.0.1", HTTP_PORT), timeout=10), host,
                      path)[0].decode()
    status = int(head.split(" ")[1])
    loc = [line.split(":", 1)[1].strip() for line in head.split("\r\n")
           if line.lower().startswith("location:")]
    return status, loc[0] if loc else None


def wait_for(cond, what, timeout=300):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(0.5)
    raise AssertionError("timed out waiting for " + what)


def test_admin_tls_settings(platform, pebble):
    a = platform
    r = a.get("/api/v1/admin/tls")
    assert r.status_code == 200, r.text
    assert r.json_body["acme_directory_url"] == pebble.directory
    assert r.json_body["acme_email"] == "ops@example.com"
    assert "173.245.48.0/20" in r.json_body["cloudflare_ranges"]
    for body, field in (({"acme_directory_url": "http://x/dir"}, "acme_directory_url"),
                        ({"acme_email": "nope"}, "acme_email"),
                        ({"acme_ca_pem": "not a pem"}, "acme_ca_pem"),
                        ({"cloudflare_ranges": ["10.0.0.0/8", "1.2.3.4/33"]}, "cloudflare_ranges"),
                        ({"bogus": 1}, "bogus")):
        r = a.put("/api/v1/admin/tls", body)
        assert r.status_code == 400, r.text
        assert r.json_body["error"]["code"] == "VALIDATION_ERROR"
        assert r.json_body["error"]["field"] == field
    # nothing was stored by a refused request
    assert a.get("/api/v1/admin/tls").json_body["acme_email"] == "ops@example.com"
    # never the account key
    assert "PRIVATE" not in a.get("/api/v1/admin/tls").text


def test_issuance_https_and_redirect(platform, pebble):
    a = platform
    env = create_env(a)
    a.envs["main"] = env
    job = rt.run_job(a, "POST", "/api/v1/environments/%s/deploy" % env["id"])
    log = rt.job_log(a, job["id"])
    got = a.get("/api/v1/environments/%s" % env["id"]).json_body
    assert got["tls_status"] == "active", (got, log)
    assert got["tls_error"] is None
    c = certs(a, env)[fqdn(env)]
    assert c["source"] == "acme" and c["status"] == "active" and c["primary"] is True
    assert "Pebble" in c["issuer"]
    assert "PRIVATE" not in json.dumps(c)
    roots = pebble.roots()
    status, body, _ = https_get(fqdn(env), roots)
    assert status == 200 and "Odoo" in body
    # HTTP redirects to HTTPS, except the ACME challenge path
    status, loc = http_head(fqdn(env), "/web/login?x=1")
    assert status == 301 and loc == "https://%s/web/login?x=1" % fqdn(env)
    status, _ = http_head(fqdn(env), "/.well-known/acme-challenge/nothing-here")
    assert status == 404
    # the key is on the edge only in the certificates volume, mode 0600
    edge = [c for c in rt.docker("ps", "-q", "--filter", "label=berth.role=edge", "--filter",
                                 "label=berth.server=%s" % a.server_id).stdout.split()]
    assert edge
    out = rt.docker("exec", edge[0], "sh", "-c", "stat -c '%a %U' /etc/nginx/certs/*/*.key").stdout
    assert out.strip() and all(line.startswith("600 root") for line in out.strip().splitlines())


def test_renewal_of_a_short_lived_certificate(platform, pebble):
    a = platform
    env = a.envs.get("main")
    if not env:
        pytest.skip("needs the issuance test's environment")
    roots = pebble.roots()
    first = certs(a, env)[fqdn(env)]["not_after"]
    _, _, serial = https_get(fqdn(env), roots)
    # the scheduler renews it RENEW_BEFORE seconds before its end: a new one is issued and served
    wait_for(lambda: certs(a, env)[fqdn(env)]["not_after"] > first, "the renewal",
             timeout=VALIDITY + 120)
    wait_for(lambda: https_get(fqdn(env), roots)[2] != serial, "the renewed certificate served",
             timeout=60)
    jobs = env_jobs(a, env)
    assert any(j["type"] == "tls_renew" and j["status"] == "done" for j in jobs)
    assert a.get("/api/v1/environments/%s" % env["id"]).json_body["tls_status"] == "active"


def test_failing_challenge_keeps_http(platform, pebble):
    a = platform
    bad = "bad-%s.example.test" % unique("d").lower().replace("_", "-")[-8:]
    pebble.servfail(bad)
    env = create_env(a, custom_domain=bad)
    a.envs["bad"] = env
    rt.run_job(a, "POST", "/api/v1/environments/%s/deploy" % env["id"])  # done, not failed
    got = a.get("/api/v1/environments/%s" % env["id"]).json_body
    assert got["status"] == "running"
    assert got["tls_status"] == "partial", got
    assert bad in got["tls_error"], got
    assert "berth-acme-hook" not in got["tls_error"] and "\n" not in got["tls_error"]
    c = certs(a, env)
    assert c[bad]["status"] == "failed" and c[bad]["error"] and c[bad]["next_attempt_at"]
    assert c[fqdn(env)]["status"] == "active"
    # the failing domain still answers over plain HTTP, not redirected
    status, body = rt.http_get(HTTP_PORT, bad, "/web/login")
    assert status == 200 and "Odoo" in body


def cli(a, *args):
    env = dict(os.environ, BERTH_URL=a.berthd.url, BERTH_TOKEN=a.token, HOME="/nonexistent")
    return subprocess.run([os.path.join(BUILD, "berth"), *args], capture_output=True, text=True,
                          env=env, timeout=60)


def test_custom_certificate(platform, pebble):
    a = platform
    env = a.envs.get("bad")
    if not env:
        pytest.skip("needs the failing challenge's environment")
    dom = env["custom_domain"]
    d = tempfile.mkdtemp(prefix="berth-custom-")
    try:
        make_ca(d, "own")
        make_leaf(d, "leaf", "own", ["DNS:" + dom])
        make_leaf(d, "other", "own", ["DNS:other.example.test"])
        read = lambda n: open(os.path.join(d, n)).read()
        chain = read("leaf.pem") + read("own.pem")
        path = "/api/v1/environments/%s/domains/%s/certificate" % (env["id"], dom)
        # refused: each error names its field, nothing stored
        for body, field in (
                ({"certificate_pem": "x", "private_key_pem": read("leaf.key")}, "certificate_pem"),
                ({"certificate_pem": chain, "private_key_pem": read("other.key")}, "private_key_pem"),
                ({"certificate_pem": read("other.pem"), "private_key_pem": read("other.key")},
                 "certificate_pem"),
                ({"certificate_pem": read("leaf.pem") + read("other.pem"),
                  "private_key_pem": read("leaf.key")}, "certificate_pem"),
                ({"private_key_pem": read("leaf.key")}, "certificate_pem")):
            r = a.put(path, body)
            assert r.status_code == 400, r.text
            assert r.json_body["error"]["code"] == "VALIDATION_ERROR"
            assert r.json_body["error"]["field"] == field, r.text
        r = a.put("/api/v1/environments/%s/domains/unknown.example.test/certificate" % env["id"],
                  {"certificate_pem": chain, "private_key_pem": read("leaf.key")})
        assert r.status_code == 404 and r.json_body["error"]["code"] == "NOT_FOUND"
        assert "unknown.example.test" in r.json_body["error"]["message"]
        # with the CLI: berth env certificate ENV DOMAIN --cert-file --key-file
        with open(os.path.join(d, "chain.pem"), "w") as f:
            f.write(chain)
        r = cli(a, "--json", "env", "certificate", env["name"], dom, "--project", a.project_id,
                "--cert-file", os.path.join(d, "chain.pem"), "--key-file",
                os.path.join(d, "leaf.key"))
        assert r.returncode == 0, r.stderr
        s = json.loads(r.stdout)
        assert s["source"] == "custom" and s["status"] == "active" and s["domain"] == dom
        assert "private_key_pem" not in s and "PRIVATE" not in r.stdout
        job = rt.wait_job(a, s["job"]["id"])
        assert job["status"] == "done", rt.job_log(a, job["id"])
        status, body, _ = https_get(dom, os.path.join(d, "own.pem"))
        assert status == 200 and "Odoo" in body
        got = a.get("/api/v1/environments/%s" % env["id"]).json_body
        assert got["tls_status"] == "active", got
        audit = a.get("/api/v1/orgs/%s/audit?limit=50" % a.org_id)
        if audit.status_code == 200:
            assert "certificate.put" in audit.text
        r = cli(a, "env", "certificates", env["name"], "--project", a.project_id)
        assert r.returncode == 0, r.stderr
        assert dom in r.stdout and "custom" in r.stdout and "active" in r.stdout, r.stdout
        # back to ACME (the domain still fails there: plain HTTP again)
        r = cli(a, "--json", "env", "certificate", env["name"], dom, "--project", a.project_id,
                "--delete")
        assert r.returncode == 0, r.stderr
        rt.wait_job(a, json.loads(r.stdout)["job"]["id"])
        c = certs(a, env)[dom]
        assert c["source"] == "acme" and c["status"] == "failed"
        assert rt.http_get(HTTP_PORT, dom, "/web/login")[0] == 200
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_extra_domain_gets_its_own_certificate(platform, pebble):
    a = platform
    env = a.envs.get("main")
    if not env:
        pytest.skip("needs the issuance test's environment")
    extra = "extra-%s.example.test" % env["subdomain"][-6:]
    r = a.patch("/api/v1/environments/%s" % env["id"], {"settings": {"extra_domains": [extra]}})
    if r.status_code == 403:
        pytest.skip("extra_domains is gated by the plan here: %s" % r.text)
    assert r.status_code == 200, r.text
    job = rt.run_job(a, "POST", "/api/v1/environments/%s/restart" % env["id"], {"mode": "soft"})
    log = rt.job_log(a, job["id"])
    c = wait_for(lambda: certs(a, env).get(extra, {}).get("status") == "active" and certs(a, env),
                 "the extra domain's certificate", timeout=120)
    assert c[extra]["primary"] is False, log
    roots = pebble.roots()

    def served():  # the job that issued it installs it and rewrites the site right after
        try:
            return https_get(extra, roots)
        except ssl.SSLError:
            return None
    status, body, _ = wait_for(served, "HTTPS for the extra domain\n" + log, timeout=60)
    assert status == 200 and "Odoo" in body
    status, loc = http_head(extra, "/")
    assert status == 301 and loc.startswith("https://%s/" % extra)


def test_cloudflare_proxy_setting(platform):
    """The edge takes the client address from CF-Connecting-IP for the ranges only. The test's
    requests reach the edge from loopback or a Docker network's gateway: the private ranges
    stand in for Cloudflare's here."""
    a = platform
    r = a.put("/api/v1/admin/tls", {"cloudflare_ranges": ["127.0.0.0/8", "10.0.0.0/8",
                                                          "172.16.0.0/12", "192.168.0.0/16"]})
    assert r.status_code == 200, r.text
    r = a.patch("/api/v1/servers/%s" % a.server_id, {"cloudflare_proxy": True})
    assert r.status_code == 200, r.text
    assert r.json_body["cloudflare_proxy"] is True
    r = a.patch("/api/v1/servers/%s" % a.server_id, {"cloudflare_proxy": "yes"})
    assert r.status_code == 400 and r.json_body["error"]["field"] == "cloudflare_proxy"
    env = a.envs.get("main")
    if env:
        edge = rt.docker("ps", "-q", "--filter", "label=berth.role=edge", "--filter",
                         "label=berth.server=%s" % a.server_id).stdout.split()[0]

        def site_has_real_ip():
            out = rt.docker("exec", edge, "sh", "-c", "cat /etc/nginx/sites.d/*.conf",
                            check=False).stdout
            return "real_ip_header CF-Connecting-IP;" in out and \
                "set_real_ip_from 172.16.0.0/12;" in out and "173.245.48.0/20" not in out
        settle(a)
        assert site_has_real_ip()

        def send(ip):
            s = socket.create_connection(("127.0.0.1", HTTP_PORT), timeout=10)
            s.sendall(("GET /web/health?from=%s HTTP/1.1\r\nHost: %s\r\nCF-Connecting-IP: %s\r\n"
                       "Connection: close\r\n\r\n" % (ip, fqdn(env), ip)).encode())
            while s.recv(65536):
                pass
            s.close()

        def logged(ip):
            """the address the edge settled on (its access log's first field) for the request
            marked with ip"""
            r = rt.docker("logs", "--tail", "200", edge, check=False)
            for line in (r.stdout + r.stderr).splitlines():
                if "/web/health?from=%s " % ip in line:
                    return line.split(" ")[0]
            return None
        send("203.0.113.77")
        assert wait_for(lambda: logged("203.0.113.77"), "the request in the edge's log",
                        timeout=30) == "203.0.113.77"
        # from outside the ranges the header is not believed (Cloudflare's own ranges now)
        r = a.put("/api/v1/admin/tls", {"cloudflare_ranges": None})
        assert r.status_code == 200, r.text
        r = a.patch("/api/v1/servers/%s" % a.server_id, {"cloudflare_proxy": False})
        assert r.status_code == 200, r.text
        r = a.patch("/api/v1/servers/%s" % a.server_id, {"cloudflare_proxy": True})
        assert r.status_code == 200, r.text

        def default_ranges():
            out = rt.docker("exec", edge, "sh", "-c", "cat /etc/nginx/sites.d/*.conf",
                            check=False).stdout
            return "set_real_ip_from 173.245.48.0/20;" in out and "192.168.0.0/16" not in out
        settle(a)
        assert default_ranges()
        send("203.0.113.78")
        got = wait_for(lambda: logged("203.0.113.78"), "the request in the edge's log",
                       timeout=30)
        assert got != "203.0.113.78"
    r = a.patch("/api/v1/servers/%s" % a.server_id, {"cloudflare_proxy": False})
    assert r.status_code == 200 and r.json_body["cloudflare_proxy"] is False
    r = a.put("/api/v1/admin/tls", {"cloudflare_ranges": None})
    assert r.status_code == 200 and "173.245.48.0/20" in r.json_body["cloudflare_ranges"]


def test_force_ssl_and_hsts(platform, pebble):
    """Force Generate SSL reissues on the next restart and is reset; hsts adds the header."""
    a = platform
    env = a.envs.get("main")
    if not env:
        pytest.skip("needs the issuance test's environment")
    roots = pebble.roots()
    _, _, serial = https_get(fqdn(env), roots)
    r = a.patch("/api/v1/environments/%s" % env["id"],
                {"settings": {"force_ssl": True, "hsts": True}})
    assert r.status_code == 200, r.text
    assert r.json_body["settings"].get("force_ssl") is True, r.json_body["settings"]
    before = {j["id"] for j in env_jobs(a, env) if j["status"] not in ("queued", "running")}
    rt.run_job(a, "POST", "/api/v1/environments/%s/restart" % env["id"], {"mode": "soft"})
    # the restart, or a renewal that started first, reissued the certificates
    logs = "".join(rt.job_log(a, j["id"]) for j in env_jobs(a, env)
                   if j["id"] not in before and j["status"] == "done")
    assert "Force Generate SSL" in logs, logs
    head = []
    status, _, serial2 = https_get(fqdn(env), roots, head_out=head)
    assert status == 200 and serial2 != serial, logs
    assert "strict-transport-security: max-age=31536000" in head[0].lower(), head
    got = a.get("/api/v1/environments/%s" % env["id"]).json_body
    assert not got["settings"].get("force_ssl"), got["settings"]
