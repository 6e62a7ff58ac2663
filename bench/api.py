#!/usr/bin/env python3
"""Benchmark: berthd's API against nginx serving the same bytes from a file, side by side in
one run, with wrk (2 threads, 64 connections by default). Two routes: an authenticated
`GET /api/v1/projects/{id}/environments` of 10 environments, and the public
`GET /api/v1/status`. Then berthd's resident memory with 10,000 environments in the store,
after the same load. Ratios are against nginx measured in the same run; nothing here is a
pass/fail threshold (targets: >= 0.5x nginx's requests/s, p99 < 10 ms, RSS < 50 MB).

Measured 2026-12-05 on this 2-core machine (shared with other work), `--duration 5`,
the berthd before the answer memo and after it alternating in one session (old, new, old,
new): environment list 12,600 / 12,875 req/s (0.21x / 0.23x nginx, p99 21 / 22 ms) before,
36,234 / 41,453 req/s (0.55x / 0.70x, p99 13.9 / 7.2 ms) after; nginx 57,000-66,000 req/s.
Resident memory with 10,000 environments after the load: 21-23 MB either way.

Usage: bench/api.py [--duration S] [--connections N] [--threads N]
Needs wrk and nginx (Debian packages `wrk`, `nginx-light`); no Docker: the server is a row.
"""
import argparse
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from conftest import Berthd, ADMIN_EMAIL, ADMIN_PASSWORD, free_port  # noqa: E402


def wrk(url, args, token=None):
    cmd = ["wrk", "-t", str(args.threads), "-c", str(args.connections),
           "-d", "%ds" % args.duration, "--latency"]
    if token:
        cmd += ["-H", "Authorization: Bearer " + token]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def pct(p):
        m = re.search(r"^\s+%s%%\s+([\d.]+)(us|ms|s)\b" % p, out, re.M)
        if not m:
            return float("nan")
        v, u = float(m.group(1)), m.group(2)
        return v / 1000 if u == "us" else v * 1000 if u == "s" else v
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50": pct(50), "p99": pct(99),
            "non2xx": int(errors.group(1)) if errors else 0}


class Nginx:
    """nginx on a free port answering each path with a file's bytes."""

    def __init__(self, files):
        self.dir = tempfile.mkdtemp(prefix="berth-bench-nginx-")
        os.chmod(self.dir, 0o755)  # nginx's workers run as another user
        self.port = free_port()
        locs = []
        for i, (path, body, ctype) in enumerate(files):
            f = os.path.join(self.dir, "body%d" % i)
            with open(f, "wb") as fh:
                fh.write(body)
            os.chmod(f, 0o644)
            locs.append("location = %s { default_type %s; alias %s; }" % (path, ctype, f))
        conf = os.path.join(self.dir, "nginx.conf")
        with open(conf, "w") as fh:
            fh.write("""daemon off; worker_processes 2; pid %(d)s/nginx.pid;
error_log %(d)s/error.log; events { worker_connections 1024; }
http { access_log off; server { listen 127.0.0.1:%(p)d; %(l)s } }
""" % {"d": self.dir, "p": self.port, "l": " ".join(locs)})
        self.proc = subprocess.Popen(["nginx", "-c", conf, "-p", self.dir],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)

    def stop(self):
        self.proc.terminate()
        self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def rss_mb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def clone_envs(db_path, template_id, project_ids, per_project):
    """Copies one environment row (new id, name, subdomain) into each project."""
    con = sqlite3.connect(db_path, timeout=30)
    cols = [r[1] for r in con.execute("PRAGMA table_info(environments)")]
    row = dict(zip(cols, con.execute("SELECT * FROM environments WHERE id=?",
                                     (template_id,)).fetchone()))
    rows = []
    for pid in project_ids:
        for k in range(per_project):
            r = dict(row)
            u = uuid.uuid4().hex
            r.update(id=str(uuid.UUID(u)), project_id=pid, name="bench_%s" % u[:12],
                     subdomain="b%s" % u[:20])
            if "db_name" in r:
                r["db_name"] = None
            rows.append(tuple(r[c] for c in cols))
    con.executemany("INSERT INTO environments (%s) VALUES (%s)" % (
        ",".join(cols), ",".join("?" * len(cols))), rows)
    con.commit()
    con.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    for prog in ("wrk", "nginx"):
        if not shutil.which(prog) and not os.path.exists("/usr/sbin/" + prog):
            print("bench: %s is missing (apt-get install wrk nginx-light)" % prog, file=sys.stderr)
            return 2
    d = Berthd().start()
    ngx = None
    try:
        api = d.api()
        r = api.post("/api/v1/setup", {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD,
                                       "organization": "Bench"})
        token = r.json_body["access_token"]
        a = api.with_token(token)
        org = r.json_body["organization"]["id"]
        # a server that is only a row: marked running with room for the environments
        sid = a.post("/api/v1/orgs/%s/servers" % org,
                     {"name": "big", "transport": "ssh", "host": "127.0.0.1", "port": 1,
                      "user": "root", "password": "x" * 12}).json_body["id"]
        con = sqlite3.connect(os.path.join(d.data, "berth.db"), timeout=30)
        con.execute("UPDATE servers SET status='running', cpu_cores=4096, ram_mb=8388608,"
                    " disk_gb=1048576, max_projects=100000 WHERE id=?", (sid,))
        con.commit()
        con.close()
        a.put("/api/v1/orgs/%s/plan" % org, {"plan_id": [
            p for p in a.get("/api/v1/plans").json_body if p["name"] == "Enterprise"][0]["id"]})
        pid = a.post("/api/v1/orgs/%s/projects" % org,
                     {"name": "Shop", "odoo_version": "18.0"}).json_body["id"]
        env_ids = []
        for i in range(10):
            r = a.post("/api/v1/projects/%s/environments" % pid,
                       {"name": "env%d" % i, "env_type": "development", "vm_id": sid,
                        "cpu_cores": 1, "ram_mb": 2048, "disk_gb": 10})
            if r.status_code != 201:
                print("bench: creating an environment failed: %s" % r.text, file=sys.stderr)
                return 1
            env_ids.append(r.json_body["id"])
        routes = [("environment list (10)", "/api/v1/projects/%s/environments" % pid, token),
                  ("status", "/api/v1/status", None)]
        files = []
        for _name, path, tok in routes:
            r = (a if tok else api).get(path)
            assert r.status_code == 200, r.text
            files.append((path, r.content, "application/json"))
        ngx = Nginx(files)
        print("bench/api: wrk -t%d -c%d -d%ds, berthd vs nginx serving the same bytes" % (
            args.threads, args.connections, args.duration))
        print("%-22s %12s %9s %9s %12s %9s %9s %8s" % (
            "route", "berthd rps", "p50 ms", "p99 ms", "nginx rps", "p50 ms", "p99 ms", "ratio"))
        results = {}
        for name, path, tok in routes:
            b = wrk(d.url + path, args, tok)
            n = wrk("http://127.0.0.1:%d%s" % (ngx.port, path), args)
            results[name] = {"berthd": b, "nginx": n, "ratio": b["rps"] / n["rps"]}
            bad = b["non2xx"] + n["non2xx"]
            print("%-22s %12.0f %9.2f %9.2f %12.0f %9.2f %9.2f %7.3fx%s" % (
                name, b["rps"], b["p50"], b["p99"], n["rps"], n["p50"], n["p99"],
                b["rps"] / n["rps"], "  (%d non-2xx answers!)" % bad if bad else ""))
        # 10,000 environments in the store: 9,990 copies in a second project, then the load
        big = a.post("/api/v1/orgs/%s/projects" % org,
                     {"name": "Big", "odoo_version": "18.0"}).json_body["id"]
        clone_envs(os.path.join(d.data, "berth.db"), env_ids[0], [big], 9990)
        n = sqlite3.connect(os.path.join(d.data, "berth.db")).execute(
            "SELECT count(*) FROM environments").fetchone()[0]
        t = time.time()
        r = a.get("/api/v1/projects/%s/environments" % big)
        assert r.status_code == 200 and len(r.json_body) == 9990, r.text[:200]
        big_ms = (time.time() - t) * 1000
        wrk(d.url + routes[0][1], args, token)
        wrk(d.url + routes[1][1], args)
        rss = rss_mb(d.proc.pid)
        print("one list of 9,990 environments: %.0f ms" % big_ms)
        print("berthd resident memory with %d environments in the store, after the load: "
              "%.1f MB" % (n, rss))
        results["rss_mb"] = rss
        results["environments"] = n
        print(json.dumps(results))
        return 0
    finally:
        if ngx:
            ngx.stop()
        d.cleanup()


if __name__ == "__main__":
    sys.exit(main())
