#!/usr/bin/env python3
"""Benchmark: a clone on one server (issue 14's target: a 1 GB database with a 1 GB filestore
cloned in at most 0.2x the time of `pg_dump | pg_restore` plus `cp -a` of the filestore,
measured in the same run).

One production environment of the Odoo stand-in on the local Docker Engine gets a database of
--db-mb MB (a table of random-looking text rows, plus Odoo's tables; the fill of
bench/backup.py) and a filestore of --fs-mb MB (1 MiB files of random bytes, named by their
SHA-1 as Odoo names them). Then, alternating --rounds times:
  by hand : `createdb` + `pg_dump -Fc | pg_restore` into the new database, in the same
            PostgreSQL container, and `cp -a` of the filestore directory in the Odoo container;
  berth   : POST /environments/{id}/clone {"env_type": "staging"}: the job's copy stages
            (Copy database: a base backup of the running source into the new volume; Copy
            filestore: hard links; Swap: the copy put in place; Prepare the copy: renamed, the
            role's password), and the whole job (plus what a deploy does: PostgreSQL,
            PgBouncer, Odoo, neutralize, edge, health check). The clone is removed after.
Ratios: time berth/by hand, for the copy and for the whole job. Medians over the rounds.

Measured 2026-12-06 on this 2-core machine (shared with other work), defaults (1 GB + 1 GB):
  data: database 1057 MB on disk + filestore 1024 MB (1024 random 1 MiB files)
  by hand: 407.9 s (createdb + pg_dump -Fc | pg_restore 400.1 s, cp -a 7.9 s)
  berth  : copy 22.8 s = 0.056x (Copy database 17.0 s: 1095 MB base backup; Copy filestore
           4.5 s: hard links; Swap 0.8 s; Prepare the copy 0.5 s); the whole clone job, with
           its deploy (PostgreSQL, PgBouncer, neutralize, Odoo, edge, health check): 43.5 s =
           0.107x. Target: <= 0.2x.

Usage: bench/clone.py [--db-mb 1024] [--fs-mb 1024] [--rounds 1]
       (the issue's case is the default; --db-mb 100 --fs-mb 100 for a quick look).
Needs the Docker Engine and the stand-in images (tests/odoo-standin/build.sh). Removes what
it made.
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
sys.path.insert(0, os.path.join(ROOT, "bench"))
from conftest import free_port, unique  # noqa: E402
import runtime as rt  # noqa: E402
import test_backups as tb  # noqa: E402
from backup import fill  # noqa: E402

COPY_STAGES = ("Copy database", "Copy filestore", "Swap", "Prepare the copy")


def sh(cmd):
    t0 = time.monotonic()
    subprocess.run(cmd, shell=True, check=True)
    return time.monotonic() - t0


def by_hand(dbc, odoo, db):
    sh("docker exec -u postgres %s dropdb --if-exists -h /run/postgresql benchcopy" % dbc)
    sh("docker exec -u root %s rm -rf /var/lib/odoo/filestore/benchcopy" % odoo)
    t_db = sh("docker exec -u postgres %s createdb -h /run/postgresql -O odoo benchcopy" % dbc)
    t_db += sh("docker exec -u postgres %s pg_dump -Fc -h /run/postgresql %s | docker exec -i"
               " -u postgres %s pg_restore --no-owner -h /run/postgresql -d benchcopy"
               % (dbc, db, dbc))
    t_fs = sh("docker exec -u odoo %s cp -a /var/lib/odoo/filestore/%s"
              " /var/lib/odoo/filestore/benchcopy" % (odoo, db))
    sh("docker exec -u postgres %s dropdb -h /run/postgresql benchcopy" % dbc)
    sh("docker exec -u root %s rm -rf /var/lib/odoo/filestore/benchcopy" % odoo)
    return t_db, t_fs


def berth_clone(a, env):
    r = a.post("/api/v1/environments/%s/clone" % env["id"],
               {"env_type": "staging", "name": unique("bench-copy")})
    assert r.status_code == 202, r.text
    clone = r.json_body["environment"]
    t0 = time.monotonic()
    job = rt.wait_job(a, r.json_body["job"]["id"], timeout=3600)
    wall = time.monotonic() - t0
    assert job["status"] == "done", rt.job_log(a, job["id"])
    res = job["result"]
    r = a.delete("/api/v1/environments/%s" % clone["id"], {"confirm": "DELETE"})
    assert r.status_code == 202, r.text
    rt.wait_job(a, r.json_body["id"], timeout=600)
    return res, wall


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--db-mb", type=int, default=1024)
    ap.add_argument("--fs-mb", type=int, default=1024)
    ap.add_argument("--rounds", type=int, default=1)
    args = ap.parse_args()
    rt.ensure_standin()
    a = tb.make_platform(edge_port=free_port())
    try:
        env = tb.create_env(a, env_type="production", name="bench")
        print("filling: database %d MB, filestore %d MB ..." % (args.db_mb, args.fs_mb), flush=True)
        dbc, odoo, dbsize = fill(env, args.db_mb, args.fs_mb)
        print("data: database %.0f MB on disk + filestore %d MB (%d files)"
              % (dbsize / 1048576, args.fs_mb, args.fs_mb), flush=True)
        hand, copy, whole = [], [], []
        for i in range(args.rounds):
            t_db, t_fs = by_hand(dbc, odoo, env["name"])
            hand.append(t_db + t_fs)
            res, wall = berth_clone(a, env)
            s = res["seconds"]
            c = sum(s.get(k, 0) for k in COPY_STAGES)
            copy.append(c)
            whole.append(wall)
            print("round %d: by hand %.1f s (pg_dump | pg_restore %.1f s, cp -a %.1f s);"
                  " berth copy %.1f s (%s), whole clone job %.1f s; mode %s, filestore %s,"
                  " database %.0f MB copied"
                  % (i + 1, t_db + t_fs, t_db, t_fs, c,
                     ", ".join("%s %.2f s" % (k, s[k]) for k in COPY_STAGES if k in s),
                     wall, res["mode"], res["filestore"], res["database_bytes"] / 1048576),
                  flush=True)
        mh, mc, mw = statistics.median(hand), statistics.median(copy), statistics.median(whole)
        print()
        print("by hand %.1f s; berth: copy %.1f s = %.3fx (target <= 0.2x), whole clone job"
              " (with the deploy, neutralize, health check) %.1f s = %.3fx"
              % (mh, mc, mc / mh, mw, mw / mh))
    finally:
        tb.teardown_platform(a)


if __name__ == "__main__":
    main()
