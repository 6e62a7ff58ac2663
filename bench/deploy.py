#!/usr/bin/env python3
"""Benchmark: berth's redeploy (warm images) against the same Odoo container recreated by
hand with the Docker CLI and waited for the same way (health through the edge proxy), plus
how long a hard restart keeps Odoo unreachable. Ratios are against a baseline measured in the
same run; nothing here is a pass/fail threshold.

Usage: bench/deploy.py [--runs N]     (needs Docker, builds the Odoo stand-in when missing)
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from conftest import Berthd, ADMIN_EMAIL, ADMIN_PASSWORD, free_port  # noqa: E402
import runtime as rt  # noqa: E402

PORT = free_port()


def health(host):
    try:
        return rt.http_get(PORT, host, "/web/health", timeout=2)[0] == 200
    except OSError:
        return False


def wait_health(host, timeout=300):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if health(host):
            return
        time.sleep(0.05)
    raise RuntimeError("no health")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    if not rt.docker_available():
        print("bench: no Docker Engine", file=sys.stderr)
        return 2
    rt.ensure_standin()
    d = Berthd().start()
    sid = None
    try:
        api = d.api()
        r = api.post("/api/v1/setup", {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD,
                                       "organization": "Bench"})
        a = api.with_token(r.json_body["access_token"])
        org = r.json_body["organization"]["id"]
        a.put("/api/v1/admin/odoo-versions", [{"version": "18.0", "image": rt.STANDIN_TAG + ":18.0"}])
        sid = a.post("/api/v1/orgs/%s/servers" % org, {"name": "local", "transport": "local",
                                                        "http_port": PORT,
                                                        "https_port": free_port()}).json_body["id"]
        a.post("/api/v1/servers/%s/test" % sid)
        pid = a.post("/api/v1/orgs/%s/projects" % org, {"name": "Bench", "odoo_version": "18.0"}).json_body["id"]
        env = a.post("/api/v1/projects/%s/environments" % pid,
                     {"env_type": "staging", "vm_id": sid, "cpu_cores": 1.0, "ram_mb": 1024,
                      "disk_gb": 2}).json_body
        host = env["subdomain"] + ".localhost"
        rt.run_job(a, "POST", "/api/v1/environments/%s/deploy" % env["id"])  # warm-up

        berth_times = []
        for _ in range(args.runs):
            t0 = time.time()
            rt.run_job(a, "POST", "/api/v1/environments/%s/deploy" % env["id"])
            wait_health(host)
            berth_times.append(time.time() - t0)

        # by hand: the same Odoo container, recreated with the Docker CLI
        odoo = rt.env_containers(env["id"], "odoo", all_=False)[0]
        spec = rt.inspect(odoo)
        name = spec["Name"].lstrip("/")
        conf = rt.docker("exec", name, "cat", "/etc/odoo/odoo.conf").stdout
        tmp = tempfile.mkdtemp()
        conf_path = os.path.join(tmp, "odoo.conf")
        open(conf_path, "w").write(conf)
        hc = spec["HostConfig"]
        mounts = ["--mount", "type=volume,source=%s,target=/var/lib/odoo" % hc["Mounts"][0]["Source"]]
        hand_times = []
        for _ in range(args.runs):
            t0 = time.time()
            rt.docker("rm", "-f", "-v", name)
            rt.docker("create", "--name", name, "--network", hc["NetworkMode"],
                      "--cpus", str(hc["NanoCpus"] / 1e9), "--memory", str(hc["Memory"]),
                      "--shm-size", str(hc["ShmSize"]), *mounts,
                      *sum([["--label", "%s=%s" % kv] for kv in spec["Config"]["Labels"].items()], []),
                      spec["Config"]["Image"])
            rt.docker("cp", conf_path, name + ":/etc/odoo/odoo.conf")
            rt.docker("start", name)
            wait_health(host)
            hand_times.append(time.time() - t0)

        # hard restart: longest time /web/health does not answer 200
        gaps, stop = [], threading.Event()

        def probe():
            down_since = None
            while not stop.is_set():
                ok = health(host)
                now = time.time()
                if not ok and down_since is None:
                    down_since = now
                if ok and down_since is not None:
                    gaps.append(now - down_since)
                    down_since = None
                time.sleep(0.02)
        th = threading.Thread(target=probe)
        th.start()
        rt.run_job(a, "POST", "/api/v1/environments/%s/restart" % env["id"], {"mode": "hard"})
        wait_health(host)
        time.sleep(0.5)
        stop.set()
        th.join()

        b, h = statistics.median(berth_times), statistics.median(hand_times)
        result = {
            "redeploy_berth_s": round(b, 3),
            "redeploy_by_hand_s": round(h, 3),
            "ratio": round(b / h, 3),
            "target_ratio": 1.10,
            "hard_restart_unreachable_s": round(max(gaps) if gaps else 0.0, 3),
            "runs": args.runs,
        }
        print(json.dumps(result, indent=2))
        a.delete("/api/v1/environments/%s" % env["id"], {"confirm": "DELETE"})
    finally:
        d.cleanup()
        if sid:
            rt.remove_edges(sid)
    return 0


if __name__ == "__main__":
    sys.exit(main())
