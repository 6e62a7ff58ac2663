#!/usr/bin/env python3
"""Benchmark: the monitoring sampler's cost. berthd samples N running stand-in containers
(labelled as the Odoo containers of N environments of the local server, plus one edge proxy
for the host's figures) every INTERVAL seconds for WINDOW seconds; its CPU time over the window
is reported as a share of one core. Baseline in the same run, over a window of the same
length: `docker stats --no-stream` of the same containers every INTERVAL seconds (the CPU time
of those docker processes). The Engine's own CPU (dockerd) is shown for each phase. Ratios, no
pass/fail (the issue's target: berthd at most 1 % of a core with 50 containers every 30 s).

Measured 2026-12-05 on this 2-core machine (shared with other work):
  --containers 50 --interval 30 --window 300: berthd 0.053 % of one core while sampling
  (0.030 % idle), `docker stats --no-stream` 0.160 %: 0.33x; rounds 4.1 s (stats 32 at once).
  --containers 50 --interval 10 --window 60, stats first and 64 at once: berthd 0.133 %
  (0.033 % idle), docker stats 0.417 %: 0.32x; rounds 1.26 s. dockerd: 2.1 % of a core while
  berthd samples, 1.9 % while docker stats runs (the sampler also inspects each container and
  execs once in the edge proxy per round).

Usage: bench/sampler.py [--containers N] [--interval S] [--window S]
       (defaults 10 containers, 10 s, 60 s; the issue's case: --containers 50 --interval 30
       --window 600). Needs the Docker Engine and berth/base:bookworm (tests/odoo-standin/
       build.sh builds it). Removes its containers at the end.
"""
import argparse
import os
import re
import subprocess
import sys
import time
import uuid

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from conftest import Berthd, ADMIN_EMAIL, ADMIN_PASSWORD  # noqa: E402
from api import clone_envs  # noqa: E402

IMAGE = "berth/base:bookworm"
TICK = os.sysconf("SC_CLK_TCK")


def cpu_s(pid):
    """utime + stime of a process, in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def dockerd_pid():
    r = subprocess.run(["pgrep", "-xo", "dockerd"], capture_output=True, text=True)
    return int(r.stdout.split()[0]) if r.stdout.strip() else None


def docker(*args):
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=True).stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--containers", type=int, default=10)
    ap.add_argument("--interval", type=int, default=10, help="seconds, 10-300")
    ap.add_argument("--window", type=int, default=60)
    args = ap.parse_args()
    if subprocess.run(["docker", "image", "inspect", IMAGE], capture_output=True).returncode:
        print("bench: %s is missing: run tests/odoo-standin/build.sh" % IMAGE, file=sys.stderr)
        return 2
    tag = uuid.uuid4().hex[:8]
    d = Berthd(["--docker-socket-allow", "/var/run/docker.sock"]).start()
    made = []
    try:
        api = d.api()
        r = api.post("/api/v1/setup", {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD,
                                       "organization": "Bench"})
        a = api.with_token(r.json_body["access_token"])
        org = r.json_body["organization"]["id"]
        a.put("/api/v1/orgs/%s/plan" % org, {"plan_id": [
            p for p in a.get("/api/v1/plans").json_body if p["name"] == "Enterprise"][0]["id"]})
        sid = a.post("/api/v1/orgs/%s/servers" % org,
                     {"name": "local", "transport": "local"}).json_body["id"]
        r = a.post("/api/v1/servers/%s/test" % sid)
        assert r.json_body["status"] == "running", r.text
        pid = a.post("/api/v1/orgs/%s/projects" % org,
                     {"name": "Shop", "odoo_version": "18.0"}).json_body["id"]
        r = a.post("/api/v1/projects/%s/environments" % pid,
                   {"name": "env0", "env_type": "development", "vm_id": sid, "cpu_cores": 1,
                    "ram_mb": 1024, "disk_gb": 1})
        assert r.status_code == 201, r.text
        first = r.json_body["id"]
        db = os.path.join(d.data, "berth.db")
        clone_envs(db, first, [pid], args.containers - 1)
        import sqlite3
        env_ids = [x[0] for x in sqlite3.connect(db).execute(
            "SELECT id FROM environments WHERE project_id=? ORDER BY name", (pid,))]
        # the stand-in containers: idle processes labelled as each environment's Odoo
        for i, eid in enumerate(env_ids):
            name = "berth-bench-%s-%d" % (tag, i)
            docker("run", "-d", "--name", name, "--label", "berth.managed=1", "--label",
                   "berth.env=%s" % eid, "--label", "berth.role=odoo", "--label",
                   "berth.bench=%s" % tag, "--cpus", "0.5", "--memory", "64m", IMAGE,
                   "sleep", "infinity")
            made.append(name)
        name = "berth-bench-%s-edge" % tag
        docker("run", "-d", "--name", name, "--label", "berth.managed=1", "--label",
               "berth.role=edge", "--label", "berth.server=%s" % sid, "--label",
               "berth.bench=%s" % tag, IMAGE, "sleep", "infinity")
        made.append(name)
        dpid = dockerd_pid()

        # phase 1: berthd samples every interval
        r = a.put("/api/v1/admin/monitoring", {"monitoring_interval_s": args.interval})
        assert r.status_code == 200, r.text
        time.sleep(2)  # the round the change starts
        b0, d0, t0 = cpu_s(d.proc.pid), cpu_s(dpid) if dpid else 0, time.time()
        time.sleep(args.window)
        b1, d1, t1 = cpu_s(d.proc.pid), cpu_s(dpid) if dpid else 0, time.time()
        berthd_share = (b1 - b0) / (t1 - t0)
        dockerd_a = (d1 - d0) / (t1 - t0)
        m = api.get("/metrics").text
        rounds = float(re.search(r"^berth_sampler_round_duration_seconds_count (\S+)", m, re.M).group(1))
        rsum = float(re.search(r"^berth_sampler_round_duration_seconds_sum (\S+)", m, re.M).group(1))
        samples = len(re.findall(r'^berth_container_memory_bytes\{', m, re.M))

        # phase 2: berthd idle (sampling every 300 s), docker stats --no-stream every interval
        a.put("/api/v1/admin/monitoring", {"monitoring_interval_s": 300})
        time.sleep(2)
        ids = made[:-1]
        idle0 = cpu_s(d.proc.pid)
        ru0 = os.times()
        d0, t0 = cpu_s(dpid) if dpid else 0, time.time()
        n = 0
        while time.time() - t0 < args.window:
            start = time.time()
            subprocess.run(["docker", "stats", "--no-stream", *ids], capture_output=True)
            n += 1
            time.sleep(max(0, args.interval - (time.time() - start)))
        ru1 = os.times()
        d1, t1 = cpu_s(dpid) if dpid else 0, time.time()
        idle1 = cpu_s(d.proc.pid)
        stats_share = ((ru1.children_user - ru0.children_user) +
                       (ru1.children_system - ru0.children_system)) / (t1 - t0)
        dockerd_b = (d1 - d0) / (t1 - t0)
        idle_share = (idle1 - idle0) / (t1 - t0)

        print("bench/sampler: %d containers, every %d s, %d s windows" % (
            args.containers, args.interval, args.window))
        print("  berthd sampling:         %6.3f %% of one core  (%d rounds, mean %.0f ms; %d containers in /metrics)"
              % (100 * berthd_share, rounds, 1000 * rsum / rounds if rounds else 0, samples))
        print("  berthd idle (baseline):  %6.3f %% of one core" % (100 * idle_share))
        print("  docker stats --no-stream:%6.3f %% of one core  (%d runs)" % (100 * stats_share, n))
        if dpid:
            print("  dockerd while berthd samples: %6.3f %%; while docker stats runs: %6.3f %%"
                  % (100 * dockerd_a, 100 * dockerd_b))
        if stats_share > 0:
            print("  ratio berthd / docker stats: %.3fx" % (berthd_share / stats_share))
    finally:
        if made:
            subprocess.run(["docker", "rm", "-f", "-v", *made], capture_output=True)
        d.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
