"""Plans: seeded Free/Pro/Enterprise, edited by the platform administrator only; an
organization's plan, usage against quota, and the max_projects quota."""
import uuid

from conftest import new_user

FIELDS = ["name", "cpu_cores", "ram_mb", "disk_gb", "max_environments", "max_servers",
          "max_projects", "max_members", "allow_ide", "allow_backup", "allow_instance_tuning",
          "allow_nginx_tuning", "allow_ip_whitelist", "allow_connect", "allow_merge"]
GATES = [f for f in FIELDS if f.startswith("allow_")]
LIMITS = ["ram_mb", "disk_gb", "max_environments", "max_servers", "max_projects", "max_members"]


def expect_error(r, status, code, field=None):
    assert r.status_code == status, (r.status_code, r.text)
    e = r.json_body["error"]
    assert e["code"] == code, r.text
    if field is not None:
        assert e.get("field") == field, r.text
    return e


def admin_email(admin):
    return admin.get("/api/v1/me").json_body["email"]


def plan_body(name, **kw):
    b = {"name": name, "cpu_cores": 4, "ram_mb": 8192, "disk_gb": 100, "max_environments": 6,
         "max_servers": 2, "max_projects": 3, "max_members": 10, "allow_ide": True,
         "allow_backup": True, "allow_instance_tuning": False, "allow_nginx_tuning": False,
         "allow_ip_whitelist": True, "allow_connect": False, "allow_merge": True}
    b.update(kw)
    return b


def plans_by_name(api):
    r = api.get("/api/v1/plans")
    assert r.status_code == 200, r.text
    return {p["name"]: p for p in r.json_body}


def test_seeded_plans(berthd, admin):
    plans = plans_by_name(admin)
    assert set(plans) == {"Free", "Pro", "Enterprise"}
    for p in plans.values():
        for f in FIELDS + ["id"]:
            assert f in p, (p["name"], f)
        for g in GATES:
            assert isinstance(p[g], bool), (p["name"], g)
        for lim in LIMITS:
            assert isinstance(p[lim], int) and p[lim] > 0, (p["name"], lim)
        assert isinstance(p["cpu_cores"], (int, float))
    free, pro, ent = plans["Free"], plans["Pro"], plans["Enterprise"]
    assert free["max_projects"] == 1
    assert not any(free[g] for g in GATES)
    assert all(ent[g] for g in GATES)
    for lim in LIMITS + ["cpu_cores"]:
        assert free[lim] <= pro[lim] <= ent[lim], lim
    # any member can read plans; a single plan too
    user = new_user(berthd, admin, role="viewer")
    assert set(plans_by_name(user)) == {"Free", "Pro", "Enterprise"}
    r = user.get("/api/v1/plans/%s" % pro["id"])
    assert r.status_code == 200 and r.json_body == pro
    expect_error(user.get("/api/v1/plans/%s" % uuid.uuid4()), 404, "PLAN_NOT_FOUND")


def test_admin_creates_and_edits_plans(berthd, admin):
    r = admin.post("/api/v1/plans", plan_body("Team"))
    assert r.status_code == 201, r.text
    p = r.json_body
    for k, v in plan_body("Team").items():
        assert p[k] == v, k
    assert "Team" in plans_by_name(admin)
    r = admin.patch("/api/v1/plans/%s" % p["id"], {"max_projects": 7, "allow_connect": True,
                                                    "cpu_cores": 6.5})
    assert r.status_code == 200, r.text
    q = r.json_body
    assert q["max_projects"] == 7 and q["allow_connect"] is True and q["cpu_cores"] == 6.5
    assert q["ram_mb"] == 8192 and q["name"] == "Team" and q["allow_merge"] is True
    r = admin.patch("/api/v1/plans/%s" % p["id"], {"name": "Team Plus"})
    assert r.status_code == 200 and r.json_body["name"] == "Team Plus"
    assert admin.get("/api/v1/plans/%s" % p["id"]).json_body["max_projects"] == 7
    # gates default to false when left out
    r = admin.post("/api/v1/plans", {k: v for k, v in plan_body("Bare").items()
                                     if not k.startswith("allow_")})
    assert r.status_code == 201, r.text
    assert not any(r.json_body[g] for g in GATES)


def test_plan_validation(admin):
    before = plans_by_name(admin)
    for field in ["name", "cpu_cores"] + LIMITS:
        body = plan_body("Incomplete")
        del body[field]
        expect_error(admin.post("/api/v1/plans", body), 400, "VALIDATION_ERROR", field)
    bad = [("cpu_cores", "4"), ("cpu_cores", -1), ("ram_mb", 1.5), ("ram_mb", -1),
           ("max_projects", "3"), ("allow_ide", "yes"), ("allow_ide", 1), ("name", ""),
           ("name", "x" * 61), ("name", None), ("unknown", 1)]
    for field, value in bad:
        body = plan_body("Bad")
        body[field] = value
        expect_error(admin.post("/api/v1/plans", body), 400, "VALIDATION_ERROR", field)
    expect_error(admin.post("/api/v1/plans", plan_body("Pro")), 400, "NAME_EXISTS", "name")
    expect_error(admin.post("/api/v1/plans", plan_body("pro")), 400, "NAME_EXISTS", "name")
    free = before["Free"]
    expect_error(admin.patch("/api/v1/plans/%s" % free["id"], {"name": "Enterprise"}), 400,
                 "NAME_EXISTS", "name")
    expect_error(admin.patch("/api/v1/plans/%s" % free["id"], {"max_projects": -5}), 400,
                 "VALIDATION_ERROR", "max_projects")
    expect_error(admin.patch("/api/v1/plans/%s" % uuid.uuid4(), {"max_projects": 5}), 404,
                 "PLAN_NOT_FOUND")
    assert plans_by_name(admin) == before


def test_non_admin_cannot_manage_plans(berthd, admin):
    before = plans_by_name(admin)
    pro = before["Pro"]
    # an owner of their own organization is still not the platform administrator
    owner = new_user(berthd, admin, role="admin")
    own = owner.post("/api/v1/orgs", {"name": "Own"}).json_body["id"]
    expect_error(owner.post("/api/v1/plans", plan_body("Mine")), 403, "PERMISSION_DENIED")
    expect_error(owner.patch("/api/v1/plans/%s" % pro["id"], {"max_projects": 1000}), 403,
                 "PERMISSION_DENIED")
    expect_error(owner.delete("/api/v1/plans/%s" % pro["id"]), 403, "PERMISSION_DENIED")
    for org in (own, admin.org_id):
        expect_error(owner.put("/api/v1/orgs/%s/plan" % org, {"plan_id": pro["id"]}), 403,
                     "PERMISSION_DENIED")
    # another org's plan: not even its existence is told
    stranger = new_user(berthd, admin)
    assert stranger.delete("/api/v1/orgs/%s/members/%s" % (admin.org_id, stranger.user_id)) \
        .status_code == 204
    expect_error(stranger.put("/api/v1/orgs/%s/plan" % own, {"plan_id": pro["id"]}), 404,
                 "ORG_NOT_FOUND")
    assert plans_by_name(admin) == before
    assert owner.get("/api/v1/orgs/%s" % own).json_body["plan"]["name"] == "Free"


def test_set_org_plan(berthd, admin):
    plans = plans_by_name(admin)
    user = new_user(berthd, admin, role="viewer")
    org = user.post("/api/v1/orgs", {"name": "Upgraded"}).json_body["id"]
    assert user.get("/api/v1/orgs/%s" % org).json_body["plan"]["name"] == "Free"
    # the administrator sets the plan of any organization, member or not
    r = admin.put("/api/v1/orgs/%s/plan" % org, {"plan_id": plans["Pro"]["id"]})
    assert r.status_code == 200, r.text
    assert r.json_body["plan"]["name"] == "Pro"
    o = user.get("/api/v1/orgs/%s" % org).json_body
    assert o["plan"]["id"] == plans["Pro"]["id"] and o["plan_name"] == "Pro"
    expect_error(admin.put("/api/v1/orgs/%s/plan" % org, {"plan_id": str(uuid.uuid4())}), 404,
                 "PLAN_NOT_FOUND", "plan_id")
    expect_error(admin.put("/api/v1/orgs/%s/plan" % org, {}), 400, "VALIDATION_ERROR",
                 "plan_id")
    expect_error(admin.put("/api/v1/orgs/%s/plan" % uuid.uuid4(),
                           {"plan_id": plans["Pro"]["id"]}), 404, "ORG_NOT_FOUND")
    assert user.get("/api/v1/orgs/%s" % org).json_body["plan"]["name"] == "Pro"
    # the change is in the audit log of the organization changed
    log = user.get("/api/v1/orgs/%s/audit" % org).json_body
    assert log[0]["action"] == "org.plan" and log[0]["actor"] == admin_email(admin)
    assert log[0]["details"] == {"plan_id": plans["Pro"]["id"]}
    assert "org.plan" not in [e["action"] for e in
                              admin.get("/api/v1/orgs/%s/audit" % admin.org_id).json_body]
    # a plan in use cannot be deleted; an unused one can
    expect_error(admin.delete("/api/v1/plans/%s" % plans["Pro"]["id"]), 409, "CONFLICT")
    spare = admin.post("/api/v1/plans", plan_body("Spare")).json_body
    assert admin.delete("/api/v1/plans/%s" % spare["id"]).status_code == 204
    expect_error(admin.get("/api/v1/plans/%s" % spare["id"]), 404, "PLAN_NOT_FOUND")
    expect_error(admin.delete("/api/v1/plans/%s" % spare["id"]), 404, "PLAN_NOT_FOUND")


def test_usage_and_project_quota(berthd, admin):
    plans = plans_by_name(admin)
    user = new_user(berthd, admin, role="viewer")
    org = user.post("/api/v1/orgs", {"name": "Quota Co"}).json_body["id"]
    u = user.get("/api/v1/orgs/%s/usage" % org)
    assert u.status_code == 200, u.text
    u = u.json_body
    free = plans["Free"]
    assert u["plan"] == "Free"
    assert u["projects"] == {"used": 0, "quota": free["max_projects"],
                             "available": free["max_projects"]}
    assert u["members"]["used"] == 1 and u["members"]["quota"] == free["max_members"]
    for k, q in (("environments", "max_environments"), ("servers", "max_servers"),
                 ("ram_mb", "ram_mb"), ("disk_gb", "disk_gb"), ("cpu_cores", "cpu_cores")):
        assert u[k]["used"] == 0 and u[k]["quota"] == free[q], k
        assert u[k]["available"] == u[k]["quota"] - u[k]["used"], k

    # Free: one project, the second is refused and nothing is created
    body = {"name": "First", "odoo_version": "17.0"}
    assert user.post("/api/v1/orgs/%s/projects" % org, body).status_code == 201
    e = expect_error(user.post("/api/v1/orgs/%s/projects" % org,
                               {"name": "Second", "odoo_version": "17.0"}), 400,
                     "QUOTA_EXCEEDED")
    assert "project" in e["message"].lower()
    assert [p["name"] for p in user.get("/api/v1/orgs/%s/projects" % org).json_body] == ["First"]
    u = user.get("/api/v1/orgs/%s/usage" % org).json_body
    assert u["projects"] == {"used": 1, "quota": 1, "available": 0}

    # a bigger plan lifts the limit
    assert admin.put("/api/v1/orgs/%s/plan" % org,
                     {"plan_id": plans["Pro"]["id"]}).status_code == 200
    assert user.post("/api/v1/orgs/%s/projects" % org,
                     {"name": "Second", "odoo_version": "17.0"}).status_code == 201
    u = user.get("/api/v1/orgs/%s/usage" % org).json_body
    assert u["plan"] == "Pro"
    assert u["projects"]["used"] == 2 and u["projects"]["quota"] == plans["Pro"]["max_projects"]

    # editing the plan's limit applies at once
    team = admin.post("/api/v1/plans", plan_body("Exact", max_projects=2)).json_body
    admin.put("/api/v1/orgs/%s/plan" % org, {"plan_id": team["id"]})
    expect_error(user.post("/api/v1/orgs/%s/projects" % org,
                           {"name": "Third", "odoo_version": "17.0"}), 400, "QUOTA_EXCEEDED")
    admin.patch("/api/v1/plans/%s" % team["id"], {"max_projects": 3})
    assert user.post("/api/v1/orgs/%s/projects" % org,
                     {"name": "Third", "odoo_version": "17.0"}).status_code == 201
    # deleting a project frees its place
    pid = user.get("/api/v1/orgs/%s/projects" % org).json_body[0]["id"]
    assert user.delete("/api/v1/projects/%s" % pid).status_code == 204
    assert user.post("/api/v1/orgs/%s/projects" % org,
                     {"name": "Fourth", "odoo_version": "18.0"}).status_code == 201

    # usage is for members only
    outsider = new_user(berthd, admin)
    expect_error(outsider.get("/api/v1/orgs/%s/usage" % org), 404, "ORG_NOT_FOUND")
