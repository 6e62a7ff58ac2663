"""Removal takes every volume with it: a deploy / redeploy (with a module update) / hard
restart / remove cycle of an environment with code leaves no volume on the Engine, anonymous
ones included (the Odoo image's VOLUMEs /var/lib/odoo and /mnt/extra-addons in the Odoo
container, the one-off `odoo -i`/`-u` containers and the code-sync helpers).

The Docker Engine is shared with other tests running at the same time, so the volumes are
counted per environment rather than engine-wide: the Engine's own event stream tells which
volumes the environment's containers mounted (containers labelled berth.env=<id>), and after
the removal none of them may exist."""
import json
import subprocess
import threading

import pytest

import runtime as rt
from test_git import EDGE_PORT, Repo, area, create_env, create_project, images, roots, plat  # noqa: F401


class EngineEvents:
    """`docker events` for containers and volumes, collected while the test runs."""

    def __init__(self):
        self.proc = subprocess.Popen([rt.DOCKER, "events", "--format", "{{json .}}",
                                      "--filter", "type=container", "--filter", "type=volume"],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.events = []
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        for line in self.proc.stdout:
            try:
                self.events.append(json.loads(line))
            except ValueError:
                pass

    def stop(self):
        self.proc.terminate()
        self.proc.wait()
        self.thread.join(timeout=10)

    def volumes_of(self, env_id):
        """Names of the volumes mounted by the environment's containers: {name: destination}."""
        ours = {e["Actor"]["ID"] for e in self.events
                if e.get("Type") == "container" and e.get("Action") == "create"
                and e["Actor"].get("Attributes", {}).get("berth.env") == env_id}
        vols = {}
        for e in self.events:
            attrs = e.get("Actor", {}).get("Attributes", {})
            if e.get("Type") == "volume" and e.get("Action") == "mount" and attrs.get("container") in ours:
                vols[e["Actor"]["ID"]] = attrs.get("destination")
        return ours, vols


def engine_volumes():
    return set(rt.docker("volume", "ls", "-q").stdout.split())


def test_deploy_redeploy_restart_remove_leaves_no_volume(plat, area):
    a = plat
    repo = Repo(area, "shop")
    repo.module("shop_a")
    repo.commit("one module")
    p = create_project(a, repository_url=repo.bare)
    env = create_env(a, p["id"], git_branch="main")
    events = EngineEvents()
    try:
        rt.run_job(a, "POST", "/api/v1/environments/%s/deploy" % env["id"])
        # the module is installed, then changed: the redeploy runs `odoo -u` in a one-off
        # container and puts new code through a code-sync helper
        c = rt.env_containers(env["id"], "odoo", all_=False)[0]
        info = json.loads(rt.http_get(EDGE_PORT, env["subdomain"] + ".localhost",
                                      "/berth-standin/info")[1])
        rt.docker("exec", c, "odoo", "-c", "/etc/odoo/odoo.conf", "-d", info["db_name"][0],
                  "-i", "shop_a", "--stop-after-init")
        repo.module("shop_a", version="1.1")
        repo.commit("shop_a 1.1")
        job = rt.run_job(a, "POST", "/api/v1/environments/%s/deploy" % env["id"])
        assert "updating modules: odoo -u shop_a" in rt.job_log(a, job["id"])
        rt.run_job(a, "POST", "/api/v1/environments/%s/restart" % env["id"], {"mode": "hard"})
        during = engine_volumes()
        rt.run_job(a, "DELETE", "/api/v1/environments/%s" % env["id"], {"confirm": "DELETE"})
        after = engine_volumes()
    finally:
        events.stop()
    containers, vols = events.volumes_of(env["id"])
    # the cycle made containers with anonymous volumes (the image's VOLUMEs) and named ones
    anonymous = {v: d for v, d in vols.items() if not v.startswith("berth-")}
    assert "/mnt/extra-addons" in anonymous.values(), vols
    assert len(containers) >= 6, containers  # db, pgbouncer, odoo x3, init, update, code-sync...
    assert any(v in during for v in vols), (vols, during)
    left = sorted(v for v in vols if v in after)
    assert left == [], "volumes left after removal: %s" % {v: vols[v] for v in left}
    assert rt.docker("volume", "ls", "-q", "--filter",
                     "label=berth.env=%s" % env["id"]).stdout.split() == []

