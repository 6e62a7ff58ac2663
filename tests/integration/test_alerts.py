"""Alerts: an organization's thresholds (defaults after OEC.SH, validation, audit), the
alert list and who may read or change what. Alerts raised by real samples are exercised
with the monitoring sampler's tests."""
from conftest import new_user, unique


def test_thresholds_defaults_set_and_reset(berthd, admin):
    base = "/api/v1/orgs/%s/alert-thresholds" % admin.org_id
    r = admin.get(base)
    assert r.status_code == 200, r.text
    t = r.json_body["thresholds"]
    assert t == r.json_body["defaults"]
    assert (t["cpu_warning_pct"], t["cpu_critical_pct"]) == (70, 85)
    assert (t["memory_warning_pct"], t["memory_critical_pct"]) == (70, 85)
    assert (t["disk_warning_pct"], t["disk_critical_pct"]) == (80, 90)
    assert (t["sustain_s"], t["restarts_max"], t["restarts_window_s"], t["unreachable_rounds"]) == \
        (300, 3, 600, 2)
    r = admin.put(base, {"cpu_critical_pct": 95, "sustain_s": 60})
    assert r.status_code == 200, r.text
    assert r.json_body["thresholds"]["cpu_critical_pct"] == 95
    assert r.json_body["thresholds"]["sustain_s"] == 60
    assert r.json_body["thresholds"]["memory_critical_pct"] == 85
    assert admin.get(base).json_body["thresholds"]["cpu_critical_pct"] == 95
    for body, field in [({"cpu_warning_pct": 99}, "cpu_warning_pct"),
                        ({"disk_critical_pct": 0}, "disk_critical_pct"),
                        ({"sustain_s": "5"}, "sustain_s"),
                        ({"loud": True}, "loud")]:
        r = admin.put(base, body)
        assert r.status_code == 400, (body, r.text)
        assert r.json_body["error"]["field"] == field
    assert admin.get(base).json_body["thresholds"]["cpu_critical_pct"] == 95, "unchanged"
    r = admin.put(base, {})
    assert r.json_body["thresholds"] == r.json_body["defaults"]
    actions = [e["action"] for e in admin.get("/api/v1/orgs/%s/audit" % admin.org_id).json_body]
    assert actions.count("alert.thresholds") == 2


def test_alert_list_and_permissions(berthd, admin):
    base = "/api/v1/orgs/%s/alerts" % admin.org_id
    r = admin.get(base)
    assert r.status_code == 200 and r.json_body == []
    assert admin.get(base + "?status=raised").status_code == 200
    r = admin.get(base + "?status=loud")
    assert r.status_code == 400 and r.json_body["error"]["field"] == "status"
    r = admin.get(base + "?limit=0")
    assert r.status_code == 400 and r.json_body["error"]["field"] == "limit"
    viewer = new_user(berthd, admin, role="viewer")
    assert viewer.get(base).status_code == 200
    assert viewer.get("/api/v1/orgs/%s/alert-thresholds" % admin.org_id).status_code == 200
    r = viewer.put("/api/v1/orgs/%s/alert-thresholds" % admin.org_id, {"sustain_s": 0})
    assert r.status_code == 403
    other = admin.post("/api/v1/orgs", {"name": unique("Other")}).json_body["id"]
    o = new_user(berthd, admin, role="owner", org_id=other)
    assert o.get(base).status_code == 404
    assert o.get("/api/v1/orgs/%s/alert-thresholds" % admin.org_id).status_code == 404
    assert o.put("/api/v1/orgs/%s/alert-thresholds" % admin.org_id, {}).status_code == 404


def test_cli(berthd, admin):
    from test_cli import Cli
    c = Cli(berthd.url)
    try:
        c.login()
        out = c.ok("alert", "thresholds")
        assert "cpu_critical_pct" in out and "85" in out
        t = c.json("alert", "thresholds", "--set", "cpu_critical_pct=92", "--set", "sustain_s=0")
        assert t["thresholds"]["cpu_critical_pct"] == 92 and t["thresholds"]["sustain_s"] == 0
        assert t["thresholds"]["disk_critical_pct"] == 90
        t = c.json("alert", "thresholds", "--set", "disk_critical_pct=95")
        assert t["thresholds"]["cpu_critical_pct"] == 92, "a --set keeps the others"
        p = c.fails(1, "alert", "thresholds", "--set", "cpu_warning_pct=99")
        assert "cpu_warning_pct" in p.stderr
        assert c.json("alert", "thresholds", "--reset")["thresholds"]["cpu_critical_pct"] == 85
        assert c.json("alert", "list") == []
        assert "RAISED" in c.ok("alert", "list", "--status", "raised")
    finally:
        c.cleanup()
