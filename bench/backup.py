#!/usr/bin/env python3
"""Benchmark: backup and restore throughput (issue 12's target: a backup at least 0.9x the
throughput of `pg_dump -Fc` plus `tar | zstd -1` of the filestore run by hand on the same
data in the same run; a restore at most 1.1x the time of `pg_restore` plus `tar -x` by hand).

One staging environment of the Odoo stand-in on the local Docker Engine gets a database of
--db-mb MB (a table of random-looking text rows, plus Odoo's tables) and a filestore of
--fs-mb MB (1 MiB files of random bytes, named by their SHA-1 as Odoo names them). Then, in
one run, alternating --rounds times:
  by hand : `docker exec DB pg_dump -Fc` to a file on this host, and `docker exec ODOO tar -c`
            of the filestore piped through `zstd -1 -T1` to a file;
            restore: `createdb` + `pg_restore` (stdin) of that dump, and `zstd -d | tar -x`
            into a new directory of the Odoo container;
  berth   : POST /environments/{id}/backups {"scope": "full"} to the local target (the
            backup's duration_ms: dump, filestore, manifest, and the SHA-256 read back from
            the target); restore: POST /backups/{id}/restore {"safety_backup": false}: the
            job's "Load database and filestore" stage (what the by-hand restore does), and
            the whole job (plus the swap, Odoo stopped and started, the health check).
Ratios: backup throughput berth/by-hand (>= 0.9 wanted), restore time berth/by-hand
(<= 1.1 wanted). Medians over the rounds.

Measured 2026-12-05 on this 2-core machine (otherwise quiet), defaults (1 GB + 1 GB, 3 rounds):
  data: database 1057 MB on disk + filestore 1024 MB (1024 random 1 MiB files)
  backup : by hand 260.8 s (pg_dump -Fc 1443 MB written with the filestore), berth 41.3 s
           (a 1457 MB zip, SHA-256 read back from the target included): throughput 6.32x
           (rounds: 233.4/41.8, 260.8/41.3, 263.7/40.6 s). pg_dump -Fc's own compression
           (zlib, default level) is most of the by-hand time; berth deflates dump.sql at
           level 1 in berthd while pg_dump writes plain SQL, and stores the filestore.
  restore: by hand 103.3 s (pg_restore + zstd -d | tar -x), berth's load 74.9 s: 0.73x;
           the whole restore job (prepare, load, stop, swap, start, health) 78.4 s: 0.76x.

Usage: bench/backup.py [--db-mb 1024] [--fs-mb 1024] [--rounds 3]
       (the issue's case is the default; --db-mb 100 --fs-mb 100 --rounds 1 for a quick look).
Needs the Docker Engine, zstd, and the stand-in images (tests/odoo-standin/build.sh). Removes
what it made.
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from conftest import free_port  # noqa: E402
import runtime as rt  # noqa: E402
import test_backups as tb  # noqa: E402


def sh(cmd, **kw):
    t0 = time.monotonic()
    subprocess.run(cmd, shell=True, check=True, **kw)
    return time.monotonic() - t0


def fill(env, db_mb, fs_mb):
    dbc = rt.env_containers(env["id"], "db", all_=False)[0]
    odoo = rt.env_containers(env["id"], "odoo", all_=False)[0]
    rows = db_mb * 1024 * 1024 // 200
    rt.psql(env["id"], env["name"],
            "CREATE TABLE bench_rows AS SELECT g AS id, md5(g::text) || md5((g*7)::text) ||"
            " md5((g*13)::text) || repeat(md5((g*31)::text), 2) AS payload, now() AS at"
            " FROM generate_series(1, %d) g" % rows)
    size = rt.psql(env["id"], env["name"], "SELECT pg_database_size(current_database())")
    # 1 MiB files of random bytes (incompressible, like most attachments), SHA-1 named
    script = ('cd /var/lib/odoo/filestore/"$0" && i=0; while [ $i -lt "$1" ]; do '
              'head -c 1048576 /dev/urandom > f.tmp; s=$(sha1sum f.tmp | cut -c1-40); '
              'd=$(echo $s | cut -c1-2); mkdir -p $d; mv f.tmp $d/$s; i=$((i+1)); done')
    rt.docker("exec", "-u", "odoo", odoo, "sh", "-c", script, env["name"], str(fs_mb),
              timeout=3600)
    return dbc, odoo, int(size)


def by_hand_backup(dbc, odoo, db, tmp):
    dump = os.path.join(tmp, "db.dump")
    fs = os.path.join(tmp, "fs.tar.zst")
    t = sh("docker exec -u postgres %s pg_dump -Fc -h /run/postgresql %s > %s" % (dbc, db, dump))
    t += sh("docker exec %s tar -C /var/lib/odoo/filestore -cf - %s | zstd -q -1 -T1 -o %s -f"
            % (odoo, db, fs))
    return t, os.path.getsize(dump) + os.path.getsize(fs)


def by_hand_restore(dbc, odoo, db, tmp):
    dump = os.path.join(tmp, "db.dump")
    fs = os.path.join(tmp, "fs.tar.zst")
    sh("docker exec -u postgres %s dropdb --if-exists -h /run/postgresql benchrestore" % dbc)
    sh("docker exec -u root %s rm -rf /tmp/benchfs" % odoo)
    t = sh("docker exec -u postgres %s createdb -h /run/postgresql -O odoo benchrestore" % dbc)
    t += sh("docker exec -i -u postgres %s pg_restore --no-owner -h /run/postgresql"
            " -d benchrestore < %s" % (dbc, dump))
    t += sh("zstd -q -d -c %s | docker exec -i %s sh -c 'mkdir -p /tmp/benchfs && tar -C"
            " /tmp/benchfs -xf -'" % (fs, odoo))
    sh("docker exec -u postgres %s dropdb -h /run/postgresql benchrestore" % dbc)
    sh("docker exec -u root %s rm -rf /tmp/benchfs" % odoo)
    return t


def stage_seconds(log, stage):
    m = re.search(r"<== %s \(([0-9.]+)s\)" % re.escape(stage), log)
    return float(m.group(1)) if m else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--db-mb", type=int, default=1024)
    ap.add_argument("--fs-mb", type=int, default=1024)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    rt.ensure_standin()
    a = tb.make_platform(edge_port=free_port())
    tmp = tempfile.mkdtemp(prefix="berth-bench-backup-")
    try:
        env = tb.create_env(a, name="bench")
        print("filling: database %d MB, filestore %d MB ..." % (args.db_mb, args.fs_mb), flush=True)
        dbc, odoo, dbsize = fill(env, args.db_mb, args.fs_mb)
        data_mb = (dbsize + args.fs_mb * 1048576) / 1048576
        print("data: database %.0f MB on disk + filestore %d MB" % (dbsize / 1048576, args.fs_mb))
        hb, bb, hr, br_load, br_job = [], [], [], [], []
        for i in range(args.rounds):
            t, hsize = by_hand_backup(dbc, odoo, env["name"], tmp)
            hb.append(t)
            b = tb.backup(a, env, scope="full")
            bb.append(b["duration_ms"] / 1000)
            print("round %d backup : by hand %.1f s (%.0f MB written), berth %.1f s (%.0f MB"
                  " archive)" % (i + 1, t, hsize / 1048576, bb[-1], b["size_bytes"] / 1048576),
                  flush=True)
            hr.append(by_hand_restore(dbc, odoo, env["name"], tmp))
            job = rt.run_job(a, "POST", "/api/v1/backups/%s/restore" % b["id"],
                             {"safety_backup": False}, timeout=3600)
            log = rt.job_log(a, job["id"])
            br_load.append(stage_seconds(log, "Load database and filestore"))
            br_job.append(sum(float(x) for x in re.findall(r"<== [^(]+\(([0-9.]+)s\)", log)))
            print("round %d restore: by hand %.1f s, berth load %.1f s (whole job %.1f s)"
                  % (i + 1, hr[-1], br_load[-1], br_job[-1]), flush=True)
            a.delete("/api/v1/backups/%s" % b["id"])
        mh, mb = statistics.median(hb), statistics.median(bb)
        print()
        print("backup : by hand %.1f s (%.0f MB/s), berth %.1f s (%.0f MB/s): throughput"
              " ratio %.2fx (target >= 0.9x)" % (mh, data_mb / mh, mb, data_mb / mb, mh / mb))
        mhr, ml, mj = statistics.median(hr), statistics.median(br_load), statistics.median(br_job)
        print("restore: by hand %.1f s, berth load %.1f s: time ratio %.2fx (target <= 1.1x);"
              " whole job %.1f s: %.2fx" % (mhr, ml, ml / mhr, mj, mj / mhr))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        tb.teardown_platform(a)


if __name__ == "__main__":
    main()
