"""Helpers for tests that run environments on the real Docker Engine."""
import json
import os
import socket
import subprocess
import time

import pytest

from conftest import ROOT, free_port

DOCKER = "/usr/bin/docker" if os.path.exists("/usr/bin/docker") else "docker"
STANDIN_TAG = "berth-test/odoo"


def docker(*args, check=True, capture=True, timeout=600):
    r = subprocess.run([DOCKER, *args], capture_output=capture, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise RuntimeError("docker %s failed: %s" % (" ".join(args), r.stderr))
    return r


def docker_available():
    return os.path.exists("/var/run/docker.sock") and \
        subprocess.run([DOCKER, "info"], capture_output=True).returncode == 0


def ensure_standin():
    """Builds berth/base:bookworm and the Odoo stand-in images (idempotent; build.sh takes a
    lock, so pytest-xdist workers asking at once build once)."""
    script = os.path.join(ROOT, "tests", "odoo-standin", "build.sh")
    r = subprocess.run(["bash", script], capture_output=True, text=True, timeout=1800)
    if r.returncode != 0:
        raise RuntimeError("building the Odoo stand-in failed:\n" + r.stdout + r.stderr)


def remove_edges(*server_ids):
    """Removes the edge proxies (and their site volumes) of the given test servers, and
    nothing else: a machine running berth for real keeps its own."""
    for sid in server_ids:
        flt = ["--filter", "label=berth.role=edge", "--filter", "label=berth.server=%s" % sid]
        ids = docker("ps", "-aq", *flt).stdout.split()
        if ids:
            docker("rm", "-f", "-v", *ids, check=False)
        vols = [v for v in docker("volume", "ls", "-q", "--filter", "label=berth.role=edge").stdout.split()
                if v.startswith("berth-edge-" + sid.replace("-", "")[:8])]
        if vols:
            docker("volume", "rm", "-f", *vols, check=False)


def wait_job(api, job_id, timeout=900):
    deadline = time.time() + timeout
    while time.time() < deadline:
        r = api.get("/api/v1/jobs/%s" % job_id)
        assert r.status_code == 200, r.text
        if r.json_body["status"] not in ("queued", "running"):
            return r.json_body
        time.sleep(0.3)
    raise AssertionError("job %s did not finish; log:\n%s" %
                         (job_id, api.get("/api/v1/jobs/%s/log" % job_id).text))


def job_log(api, job_id):
    return api.get("/api/v1/jobs/%s/log" % job_id).text


def run_job(api, method, path, body=None, expect="done", timeout=900):
    r = api.req(method, path, body=body if body is not None else {})
    assert r.status_code == 202, r.text
    job = wait_job(api, r.json_body["id"], timeout)
    assert job["status"] == expect, "%s -> %s\n%s" % (path, job, job_log(api, job["id"]))
    return job


def env_containers(env_id, role=None, all_=True):
    args = ["ps", "-q", "--filter", "label=berth.env=%s" % env_id]
    if all_:
        args.insert(1, "-a")
    if role:
        args += ["--filter", "label=berth.role=%s" % role]
    return [c for c in docker(*args).stdout.split() if c]


def inspect(name_or_id):
    return json.loads(docker("inspect", name_or_id).stdout)[0]


def psql(env_id, db, sql):
    c = env_containers(env_id, "db", all_=False)
    assert c, "no running db container for %s" % env_id
    r = docker("exec", "-u", "postgres", c[0], "psql", "-h", "/run/postgresql", "-d", db,
               "-tA", "-v", "ON_ERROR_STOP=1", "-c", sql)
    return r.stdout.strip()


def raw_get(s, host, path):
    """One GET with a Host header on a connected socket s (closed after): (head, body) bytes."""
    s.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % (path, host)).encode())
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return head, body


def http_get(port, host, path="/", timeout=10):
    """GET through the edge proxy with a Host header; returns (status, body)."""
    head, body = raw_get(socket.create_connection(("127.0.0.1", port), timeout=timeout), host, path)
    status = int(head.split(b" ")[1]) if head else 0
    return status, body.decode(errors="replace")


class Sshd:
    """A real OpenSSH sshd on 127.0.0.1 with generated host and client keys."""

    def __init__(self):
        import tempfile
        self.dir = tempfile.mkdtemp(prefix="berth-sshd-")
        self.port = free_port()
        self.proc = None
        for name in ("hostkey", "client"):
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
                            os.path.join(self.dir, name)], check=True)
        os.makedirs("/run/sshd", exist_ok=True)
        open(os.path.join(self.dir, "authorized_keys"), "w").write(
            open(os.path.join(self.dir, "client.pub")).read())
        self.config = os.path.join(self.dir, "sshd_config")
        open(self.config, "w").write("\n".join([
            "Port %d" % self.port, "ListenAddress 127.0.0.1",
            "HostKey %s/hostkey" % self.dir, "PidFile %s/pid" % self.dir,
            "AuthorizedKeysFile %s/authorized_keys" % self.dir,
            "PermitRootLogin prohibit-password", "PasswordAuthentication no", "UsePAM no",
            "StrictModes no", "AllowStreamLocalForwarding yes", "AllowTcpForwarding yes", ""]))
        self.private_key = open(os.path.join(self.dir, "client")).read()

    def start(self):
        self.proc = subprocess.Popen(["/usr/sbin/sshd", "-D", "-e", "-f", self.config],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("sshd did not start")

    def stop(self):
        if self.proc:
            self.proc.terminate()
            self.proc.wait()
        import shutil
        shutil.rmtree(self.dir, ignore_errors=True)
