"""Backup schedules and retention (docs/backups.md, "Schedule and retention").

- PATCH /environments/{id}: backup_schedule at the top level and in settings, the retention
  settings, their validation, the plan flag allow_backup and development environments.
- A schedule a minute ahead, in the organization's time zone, fires once; environments of one
  server sharing the slot are staggered by a minute.
- Retention: backups written into the store with synthetic dates are pruned by the
  backup_prune job as specified, which says what it deleted and why.

berthd runs with its hidden --backup-schedule-interval / --backup-prune-interval (ms), so the
test does not wait for the minute tick. The environments are made "deployed" in the store (no
container is needed: the scheduler only queues the backup jobs, which are counted here, not
run to completion)."""
import datetime
import os
import sqlite3
import time
import uuid

import pytest

from conftest import Berthd, socket_allow_args, unique
from test_environments import add_server, expect_error, new_project, set_plan

SMALL = {"cpu_cores": 0.25, "ram_mb": 256, "disk_gb": 1}


@pytest.fixture(scope="module")
def berthd():
    d = Berthd(socket_allow_args() + ["--backup-schedule-interval", "500",
                                      "--backup-prune-interval", "1000"]).start()
    yield d
    d.cleanup()


@pytest.fixture(scope="module")
def admin(berthd):
    api = berthd.api()
    r = api.post("/api/v1/setup", {"email": "admin@example.com",
                                   "password": "correct horse battery",
                                   "organization": "Acme"})
    assert r.status_code == 201, r.text
    a = api.with_token(r.json_body["access_token"])
    a.org_id = r.json_body["organization"]["id"]
    a.user_id = r.json_body["user"]["id"]
    set_plan(a, a.org_id, allow_backup=True)
    a.server = add_server(a, a.org_id)
    a.project = new_project(a, a.org_id)
    return a


def db(berthd):
    return sqlite3.connect(os.path.join(berthd.data, "berth.db"), timeout=30)


def env(a, env_type, deployed=True):
    r = a.post("/api/v1/projects/%s/environments" % a.project["id"],
               dict(SMALL, env_type=env_type, name=unique(env_type[:4])))
    assert r.status_code == 201, r.text
    e = r.json_body
    if deployed:  # as after a deploy, without containers
        c = db(a.berthd)
        c.execute("UPDATE environments SET deployed_at=?, status='running' WHERE id=?",
                  (time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), e["id"]))
        c.commit()
        c.close()
    return e


@pytest.fixture(autouse=True)
def _berthd_of(admin, berthd):
    admin.berthd = berthd


def patch(a, eid, body):
    return a.patch("/api/v1/environments/%s" % eid, body)


def jobs(a, eid, type_):
    r = a.get("/api/v1/environments/%s/jobs?limit=100" % eid)
    assert r.status_code == 200, r.text
    return [j for j in r.json_body if j["type"] == type_]


# ---- settings --------------------------------------------------------------------------------

def test_schedule_and_retention_settings(admin):
    a = admin
    prod = env(a, "production", deployed=False)
    path = "/api/v1/environments/%s" % prod["id"]
    r = a.patch(path, {"backup_schedule": "14:00 02:00"})
    assert r.status_code == 200, r.text
    assert r.json_body["settings"]["backup_schedule"] == "14:00 02:00"
    r = a.patch(path, {"settings": {"backup_schedule": "03:30", "backup_keep_daily": 10,
                                    "backup_keep_weekly": 0, "backup_keep_monthly": 24,
                                    "backup_manual_keep_days": 90}})
    assert r.status_code == 200, r.text
    s = a.get(path).json_body["settings"]
    assert s["backup_schedule"] == "03:30" and s["backup_keep_daily"] == 10
    assert s["backup_keep_weekly"] == 0 and s["backup_manual_keep_days"] == 90
    # the same value at both places is one change; different values are refused
    assert a.patch(path, {"backup_schedule": "04:00",
                          "settings": {"backup_schedule": "04:00"}}).status_code == 200
    expect_error(a.patch(path, {"backup_schedule": "04:00",
                                "settings": {"backup_schedule": "05:00"}}),
                 400, "VALIDATION_ERROR", "backup_schedule", "given twice")
    # what is wrong is said
    for bad, says in [("24:00", "00:00 to 23:59"), ("12:60", "00:00 to 23:59"),
                      ("2:00", "HH:MM"), ("02:00 02:00", "02:00 is given twice"),
                      ("02:00,03:00", "HH:MM"), ("noon", "HH:MM"),
                      (" ".join("%02d:00" % h for h in range(24)) + " 12:30", "at most 24")]:
        expect_error(a.patch(path, {"backup_schedule": bad}), 400, "VALIDATION_ERROR",
                     "backup_schedule", says)
    expect_error(a.patch(path, {"backup_schedule": 2}), 400, "VALIDATION_ERROR",
                 "backup_schedule")
    for key, bad in [("backup_keep_daily", 367), ("backup_keep_weekly", -1),
                     ("backup_keep_monthly", 1201), ("backup_manual_keep_days", 3651),
                     ("backup_keep_daily", "7")]:
        expect_error(a.patch(path, {"settings": {key: bad}}), 400, "VALIDATION_ERROR", key)
    expect_error(a.patch(path, {"settings": {"no_such_setting": 1}}), 400, "VALIDATION_ERROR",
                 "no_such_setting")
    # a setting the organization's plan does not include is refused, naming it
    expect_error(a.patch(path, {"settings": {"odoo_shm_mb": 128}}), 403,
                 "PLAN_FEATURE_UNAVAILABLE", "odoo_shm_mb")
    assert a.get(path).json_body["settings"]["backup_schedule"] == "04:00"
    # null returns to the default (no schedule), empty disables
    r = a.patch(path, {"settings": {"backup_keep_daily": None}, "backup_schedule": ""})
    assert r.status_code == 200, r.text
    assert "backup_keep_daily" not in r.json_body["settings"]
    assert r.json_body["settings"]["backup_schedule"] == ""
    assert a.patch(path, {"backup_schedule": None}).json_body["settings"].get(
        "backup_schedule") is None
    # staging too; development: no schedule (an empty one is fine)
    stg = env(a, "staging", deployed=False)
    assert patch(a, stg["id"], {"backup_schedule": "01:00"}).status_code == 200
    dev = env(a, "development", deployed=False)
    expect_error(patch(a, dev["id"], {"backup_schedule": "01:00"}), 409, "CONFLICT",
                 message="production and staging")
    expect_error(patch(a, dev["id"], {"settings": {"backup_schedule": "01:00"}}), 409,
                 "CONFLICT")
    assert patch(a, dev["id"], {"backup_schedule": ""}).status_code == 200
    # audited as an environment update
    log = a.get("/api/v1/orgs/%s/audit?limit=1" % a.org_id).json_body
    assert log[0]["action"] == "environment.update"
    assert "backup_schedule" in log[0]["details"]["fields"]
    # not at creation
    r = a.post("/api/v1/projects/%s/environments" % a.project["id"],
               dict(SMALL, env_type="production", backup_schedule="01:00"))
    expect_error(r, 400, "VALIDATION_ERROR", "backup_schedule")


def test_plan_without_backups(berthd, admin):
    """A plan without allow_backup: PLAN_FEATURE_UNAVAILABLE naming it (resetting is fine)."""
    a = admin
    r = a.post("/api/v1/orgs", {"name": unique("NoBackups")})
    org = r.json_body["id"]
    add_server(a, org, name=unique("srv"))
    p = new_project(a, org)
    r = a.post("/api/v1/projects/%s/environments" % p["id"], dict(SMALL, env_type="production"))
    assert r.status_code == 201, r.text
    eid = r.json_body["id"]
    e = expect_error(patch(a, eid, {"backup_schedule": "02:00"}), 403,
                     "PLAN_FEATURE_UNAVAILABLE", "backup_schedule")
    assert "allow_backup" in e["message"]
    expect_error(patch(a, eid, {"settings": {"backup_keep_daily": 3}}), 403,
                 "PLAN_FEATURE_UNAVAILABLE", "backup_keep_daily")
    assert patch(a, eid, {"backup_schedule": None}).status_code == 200


# ---- the schedule ----------------------------------------------------------------------------

def test_schedule_fires_once_and_staggers(admin):
    """A schedule a minute ahead in the organization's time zone (Asia/Kolkata, UTC+05:30):
    a backup is queued once, at the slot, for the production and the staging environment of
    the same server with the same times, one of them a minute later; an environment never
    deployed gets none."""
    a = admin
    r = a.patch("/api/v1/orgs/%s" % a.org_id, {"timezone": "Asia/Kolkata"})
    assert r.status_code == 200, r.text
    try:
        prod, stg = env(a, "production"), env(a, "staging")
        undeployed = env(a, "production", deployed=False)
        # the next minute at least 15 s away (the scheduler records the schedule first)
        slot = (int(time.time()) + 15) // 60 * 60 + 60
        local = datetime.datetime.utcfromtimestamp(slot) + datetime.timedelta(hours=5,
                                                                              minutes=30)
        hhmm = local.strftime("%H:%M")
        other = (local + datetime.timedelta(hours=12)).strftime("%H:%M")
        for e in (prod, stg, undeployed):
            r = patch(a, e["id"], {"backup_schedule": "%s %s" % (other, hhmm)})
            assert r.status_code == 200, r.text
        # before the slot: nothing
        time.sleep(max(0, slot - time.time() - 3))
        assert jobs(a, prod["id"], "backup") == []
        # at the slot: one of the two (rank 0, by id), the other a minute later (rank 1)
        ids = sorted([prod["id"], stg["id"]])
        first, second = ids[0], ids[1]
        deadline = slot + 30
        while time.time() < deadline and not jobs(a, first, "backup"):
            time.sleep(0.5)
        got = jobs(a, first, "backup")
        assert len(got) == 1, got
        assert got[0]["params"]["kind"] == "scheduled" and got[0]["params"]["slot"] == slot
        assert got[0]["initiated_by"] is None
        assert time.time() >= slot
        assert jobs(a, second, "backup") == []
        deadline = slot + 60 + 30
        while time.time() < deadline and not jobs(a, second, "backup"):
            time.sleep(0.5)
        s = jobs(a, second, "backup")
        assert len(s) == 1 and s[0]["params"]["slot"] == slot, s
        assert time.time() >= slot + 60
        # never twice, nothing for the environment never deployed
        time.sleep(3)
        assert len(jobs(a, prod["id"], "backup")) == 1
        assert len(jobs(a, stg["id"], "backup")) == 1
        assert jobs(a, undeployed["id"], "backup") == []
        c = db(a.berthd)
        last = c.execute("SELECT last_slot FROM backup_schedule_runs WHERE env_id=?",
                         (prod["id"],)).fetchone()
        c.close()
        assert last == (slot,)
    finally:
        a.patch("/api/v1/orgs/%s" % a.org_id, {"timezone": "UTC"})
        for e in (prod, stg, undeployed):
            patch(a, e["id"], {"backup_schedule": ""})


def test_missed_slot_runs_at_start_once(berthd, admin):
    """A slot missed while berthd was down runs at start when it is less than an interval
    late, once; the newest missed slot only."""
    a = admin
    e = env(a, "production")
    now = int(time.time())
    # times every 6 hours; the last slot run was 6 hours before the latest one
    latest = now // 60 * 60 - 120  # two minutes ago
    times = sorted({datetime.datetime.utcfromtimestamp(latest + h * 6 * 3600).strftime("%H:%M")
                    for h in range(4)})
    assert patch(a, e["id"], {"backup_schedule": " ".join(times)}).status_code == 200
    berthd.stop()
    c = db(berthd)
    c.execute("INSERT INTO backup_schedule_runs(env_id, last_slot) VALUES(?,?)"
              " ON CONFLICT(env_id) DO UPDATE SET last_slot=excluded.last_slot",
              (e["id"], latest - 6 * 3600 * 2))  # two slots were missed
    c.commit()
    c.close()
    berthd.start()
    deadline = time.time() + 20
    while time.time() < deadline and not jobs(a, e["id"], "backup"):
        time.sleep(0.5)
    got = jobs(a, e["id"], "backup")
    assert len(got) == 1 and got[0]["params"]["slot"] == latest, got
    time.sleep(2)
    assert len(jobs(a, e["id"], "backup")) == 1
    patch(a, e["id"], {"backup_schedule": ""})


# ---- retention -------------------------------------------------------------------------------

def iso(ts):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def test_retention_prunes_as_specified(berthd, admin):
    """Backups written into the store with synthetic dates (no archive: removal is idempotent):
    the hourly backup-prune task (here every second) queues a backup_prune job for the
    environment, which deletes what retention says, logs why and lists it in its result."""
    a = admin
    e = env(a, "production")
    eid = e["id"]
    r = patch(a, eid, {"settings": {"backup_keep_daily": 3, "backup_keep_weekly": 2,
                                    "backup_keep_monthly": 2, "backup_manual_keep_days": 30}})
    assert r.status_code == 200, r.text
    day = 86400
    now = int(time.time())
    # 02:00 UTC of today (or yesterday when it has not come yet)
    base = now // day * day + 2 * 3600
    if base > now:
        base -= day
    rows = []  # (id, kind, status, created_ts, expires_ts, expected to go)

    def add(kind, status, ts, expires=None):
        rows.append((str(uuid.uuid4()), kind, status, ts, expires))
        return rows[-1][0]

    sched = [add("scheduled", "done", base - d * day) for d in range(70)]
    running = add("scheduled", "running", base - 100 * day)
    failed_old = add("scheduled", "failed", now - 8 * day)
    failed_new = add("scheduled", "failed", now - 6 * day)
    manual_old = add("manual", "done", now - 31 * day)
    manual_new = add("manual", "done", now - 29 * day)
    imported_old = add("imported", "done", now - 40 * day)
    pre_update_old = add("pre_update", "done", now - 31 * day)
    pre_restore_new = add("pre_restore", "done", now - 29 * day)
    expired = add("manual", "done", now - 2 * day, now - 60)
    # what must stay: the newest scheduled of the 3 latest days, 2 latest ISO weeks and
    # 2 latest months (in UTC, the organization's time zone here)
    keep = set(sched[:3])
    seen_w, seen_m = [], []
    for i, bid in enumerate(sched):
        d = datetime.datetime.utcfromtimestamp(base - i * day)
        w, m = d.isocalendar()[:2], (d.year, d.month)
        if w not in seen_w and len(seen_w) < 2:
            keep.add(bid)
        if w not in seen_w:
            seen_w.append(w)
        if m not in seen_m and len(seen_m) < 2:
            keep.add(bid)
        if m not in seen_m:
            seen_m.append(m)
    keep |= {running, failed_new, manual_new, pre_restore_new}
    gone = {r[0] for r in rows} - keep
    assert {failed_old, manual_old, imported_old, pre_update_old, expired} <= gone

    # the organization's built-in local target when backup targets are there (its archives are
    # absent: removing a backup is idempotent), else none
    target = None
    r = a.get("/api/v1/orgs/%s/backup-targets" % a.org_id)
    if r.status_code == 200:
        target = next((t["id"] for t in r.json_body if t.get("kind") == "local"), None)
    c = db(berthd)
    for bid, kind, status, ts, expires in rows:
        c.execute("INSERT INTO backups(id, org_id, project_id, environment_id, environment_name,"
                  " scope, kind, status, created_at, created_ts, expires_ts, slot, target_id,"
                  " object_key) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                  (bid, a.org_id, e["project_id"], eid, e["name"], "db", kind, status, iso(ts),
                   ts, expires, ts if kind == "scheduled" else None, target,
                   "%s/%s.zip" % (eid, bid) if target else None))
    c.commit()
    c.close()

    deadline = time.time() + 30
    done = None
    while time.time() < deadline and not done:
        for j in jobs(a, eid, "backup_prune"):
            if j["status"] not in ("queued", "running"):
                done = j
        time.sleep(0.5)
    assert done, "no backup_prune job finished"
    assert done["status"] == "done", done
    deleted = {d["id"]: d for d in done["result"]["deleted"]}
    assert set(deleted) == gone, (sorted(set(deleted) - gone), sorted(gone - set(deleted)))
    assert "failed 8 days ago" in deleted[failed_old]["reason"]
    assert "backup_manual_keep_days: 30" in deleted[manual_old]["reason"]
    assert "pre_update backup 31 days old" in deleted[pre_update_old]["reason"]
    assert "expired" in deleted[expired]["reason"]
    assert "outside the retention (3 daily, 2 weekly, 2 monthly)" in \
        deleted[sched[-1]]["reason"]
    assert deleted[sched[-1]]["created_at"] == iso(base - 69 * day)
    log = a.get("/api/v1/jobs/%s/log" % done["id"]).text
    assert ("deleted backup %s (manual, %s): manual backup 31 days old" %
            (manual_old, iso(now - 31 * day))) in log
    c = db(berthd)
    left = {r[0] for r in c.execute("SELECT id FROM backups WHERE environment_id=?", (eid,))}
    c.close()
    assert left == keep
    # nothing more to prune: no further job
    n = len(jobs(a, eid, "backup_prune"))
    time.sleep(3)
    assert len(jobs(a, eid, "backup_prune")) == n
