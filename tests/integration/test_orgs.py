"""Organizations, members, invitations, roles and permissions, tenancy, audit log."""
import time
import uuid

from conftest import ADMIN_EMAIL, new_user, unique


def expect_error(r, status, code, field=None):
    assert r.status_code == status, (r.status_code, r.text)
    e = r.json_body["error"]
    assert e["code"] == code, r.text
    assert e["message"]
    if field is not None:
        assert e.get("field") == field, r.text
    return e


def invite(admin, org_id, email=None, role="developer", **extra):
    body = dict({"email": email or unique("inv") + "@example.com", "role": role}, **extra)
    r = admin.post("/api/v1/orgs/%s/invitations" % org_id, body)
    assert r.status_code == 201, r.text
    return r.json_body


def project(api, org_id, name=None, version="17.0"):
    r = api.post("/api/v1/orgs/%s/projects" % org_id,
                 {"name": name or unique("Project"), "odoo_version": version})
    assert r.status_code == 201, r.text
    return r.json_body


# ---- organizations ------------------------------------------------------------------------

def test_any_user_creates_orgs_and_owns_them(berthd, admin):
    user = new_user(berthd, admin, role="viewer")
    r = user.post("/api/v1/orgs", {"name": "Viewer's Own"})
    assert r.status_code == 201, r.text
    o = r.json_body
    assert o["name"] == "Viewer's Own" and o["slug"] == "viewer-s-own" and o["role"] == "owner"
    assert o["plan_name"] == "Free"
    mine = user.get("/api/v1/orgs").json_body
    assert {(x["id"], x["role"]) for x in mine} == {(admin.org_id, "viewer"), (o["id"], "owner")}
    # each listed org has an id, a name and the caller's role
    for x in mine:
        assert set(x) >= {"id", "name", "slug", "role", "plan_name", "created_at"}
    # the admin does not see the user's own org
    assert o["id"] not in {x["id"] for x in admin.get("/api/v1/orgs").json_body}
    # the same name again gets its own slug
    o2 = user.post("/api/v1/orgs", {"name": "Viewer's Own"}).json_body
    assert o2["slug"] == "viewer-s-own-2" and o2["id"] != o["id"]
    # rename
    r = user.patch("/api/v1/orgs/%s" % o["id"], {"name": "Renamed"})
    assert r.status_code == 200 and r.json_body["name"] == "Renamed"
    expect_error(user.patch("/api/v1/orgs/%s" % o["id"], {"name": ""}), 400, "VALIDATION_ERROR",
                 "name")


def test_org_get_shows_permissions(berthd, admin):
    o = admin.get("/api/v1/orgs/%s" % admin.org_id).json_body
    assert o["id"] == admin.org_id and o["role"] == "owner"
    assert o["plan"]["name"] == "Enterprise"
    perms = set(o["permissions"])
    assert {"project.create", "member.manage", "member.manage_owners", "audit.view",
            "org.update", "org.delete"} <= perms
    expected = {
        "viewer": ({"org.view", "project.view", "environment.view"},
                   {"project.create", "environment.deploy", "member.manage", "audit.view"}),
        "developer": ({"project.view", "environment.deploy", "environment.restart"},
                      {"project.create", "member.manage", "environment.remove"}),
        "admin": ({"project.create", "project.delete", "member.manage", "audit.view"},
                  {"member.manage_owners", "org.delete"}),
        "owner": ({"member.manage_owners", "org.delete", "project.create"}, set()),
    }
    prev = set()
    for role in ("viewer", "developer", "admin", "owner"):
        u = new_user(berthd, admin, role=role)
        g = u.get("/api/v1/orgs/%s" % admin.org_id)
        assert g.status_code == 200, g.text
        assert g.json_body["role"] == role
        p = set(g.json_body["permissions"])
        has, lacks = expected[role]
        assert has <= p, (role, has - p)
        assert not (lacks & p), (role, lacks & p)
        assert prev <= p, (role, prev - p)  # each role includes the one below
        prev = p
    assert prev == perms


# ---- invitations --------------------------------------------------------------------------

def test_invitation_creates_user_once(berthd, admin):
    email = unique("new") + "@example.com"
    inv = invite(admin, admin.org_id, email, role="developer")
    tok = inv["token"]
    assert tok.startswith("bi_") and len(tok) > 40
    assert inv["email"] == email and inv["role"] == "developer" and inv["org_id"] == admin.org_id
    assert inv["accept_path"] == "/api/v1/invitations/%s/accept" % tok
    exp = time.mktime(time.strptime(inv["expires_at"], "%Y-%m-%dT%H:%M:%SZ")) - time.timezone
    assert 6.9 * 86400 < exp - time.time() < 7.1 * 86400
    # pending invitations are listed, without their token
    lst = admin.get("/api/v1/orgs/%s/invitations" % admin.org_id)
    assert [i["id"] for i in lst.json_body] == [inv["id"]]
    assert tok not in lst.text

    api = berthd.api()
    expect_error(api.post("/api/v1/invitations/%s/accept" % tok, {"name": "N"}), 400,
                 "VALIDATION_ERROR", "password")
    expect_error(api.post("/api/v1/invitations/%s/accept" % tok,
                          {"name": "N", "password": "short"}), 400, "VALIDATION_ERROR",
                 "password")
    r = api.post("/api/v1/invitations/%s/accept" % tok, {"name": "New Person",
                                                         "password": "password-for-tests"})
    assert r.status_code == 200, r.text
    b = r.json_body
    assert b["access_token"] and b["user"]["email"] == email and b["user"]["name"] == "New Person"
    assert b["user"]["is_admin"] is False
    assert b["organization"]["id"] == admin.org_id and b["organization"]["role"] == "developer"
    u = api.with_token(b["access_token"])
    assert [(o["id"], o["role"]) for o in u.get("/api/v1/orgs").json_body] == \
        [(admin.org_id, "developer")]
    # the new user logs in with the password
    r = api.post("/api/v1/auth/login", {"email": email, "password": "password-for-tests"})
    assert r.status_code == 200
    # single use
    expect_error(api.post("/api/v1/invitations/%s/accept" % tok,
                          {"name": "Again", "password": "password-for-tests"}), 404,
                 "INVITATION_NOT_FOUND")
    expect_error(u.post("/api/v1/invitations/%s/accept" % tok), 404, "INVITATION_NOT_FOUND")
    assert admin.get("/api/v1/orgs/%s/invitations" % admin.org_id).json_body == []
    members = admin.get("/api/v1/orgs/%s/members" % admin.org_id).json_body
    assert {m["email"]: m["role"] for m in members} == {ADMIN_EMAIL: "owner", email: "developer"}


def test_invitation_validation(berthd, admin):
    org = admin.org_id
    path = "/api/v1/orgs/%s/invitations" % org
    expect_error(admin.post(path, {"email": "bad", "role": "viewer"}), 400, "VALIDATION_ERROR",
                 "email")
    expect_error(admin.post(path, {"email": "a@example.com", "role": "superuser"}), 400,
                 "VALIDATION_ERROR", "role")
    expect_error(admin.post(path, {"email": "a@example.com"}), 400, "VALIDATION_ERROR", "role")
    expect_error(admin.post(path, {"email": "a@example.com", "role": "viewer",
                                   "projects": [str(uuid.uuid4())]}), 400, "VALIDATION_ERROR",
                 "projects")
    expect_error(admin.post(path, {"email": "a@example.com", "role": "viewer",
                                   "projects": "all"}), 400, "VALIDATION_ERROR", "projects")
    expect_error(admin.post(path, {"email": ADMIN_EMAIL, "role": "viewer"}), 409, "CONFLICT",
                 "email")
    assert admin.get(path).json_body == []
    # an admin may invite but not make owners; owners may
    adm = new_user(berthd, admin, role="admin")
    expect_error(adm.post(path, {"email": "o@example.com", "role": "owner"}), 403,
                 "PERMISSION_DENIED")
    assert adm.post(path, {"email": "d@example.com", "role": "developer"}).status_code == 201
    assert admin.post(path, {"email": "o@example.com", "role": "owner"}).status_code == 201
    # developers and viewers do not manage members
    dev = new_user(berthd, admin, role="developer")
    expect_error(dev.post(path, {"email": "x@example.com", "role": "viewer"}), 403,
                 "PERMISSION_DENIED")
    expect_error(dev.get(path), 403, "PERMISSION_DENIED")
    # revoke an invitation
    inv = invite(admin, org, "revoked@example.com", role="viewer")
    assert admin.delete("/api/v1/orgs/%s/invitations/%s" % (org, inv["id"])).status_code == 204
    expect_error(berthd.api().post("/api/v1/invitations/%s/accept" % inv["token"],
                                   {"password": "password-for-tests"}), 404, "INVITATION_NOT_FOUND")
    expect_error(admin.delete("/api/v1/orgs/%s/invitations/%s" % (org, inv["id"])), 404,
                 "INVITATION_NOT_FOUND")


def test_existing_user_accepts_while_logged_in(berthd, admin):
    user = new_user(berthd, admin, role="viewer")
    other_org = admin.post("/api/v1/orgs", {"name": "Second"}).json_body["id"]
    inv = invite(admin, other_org, user.email, role="admin")
    api = berthd.api()
    path = "/api/v1/invitations/%s/accept" % inv["token"]
    # not logged in: the account exists, so log in first
    expect_error(api.post(path, {"name": "X", "password": "password-for-tests"}), 409, "CONFLICT")
    # logged in as someone else: refused
    stranger = new_user(berthd, admin)
    expect_error(stranger.post(path), 403, "PERMISSION_DENIED")
    # logged in as the invited user: joins the organization
    r = user.post(path)
    assert r.status_code == 200, r.text
    assert r.json_body["organization"]["id"] == other_org
    assert r.json_body["organization"]["role"] == "admin"
    assert "access_token" not in r.json_body
    roles = {o["id"]: o["role"] for o in user.get("/api/v1/orgs").json_body}
    assert roles == {admin.org_id: "viewer", other_org: "admin"}
    expect_error(user.post(path), 404, "INVITATION_NOT_FOUND")
    assert other_org not in {o["id"] for o in stranger.get("/api/v1/orgs").json_body}


def test_member_quota_counts_pending_invitations(berthd, admin):
    owner = new_user(berthd, admin, role="viewer")
    org = owner.post("/api/v1/orgs", {"name": "Small"}).json_body["id"]  # Free: 3 members
    invite(owner, org, role="developer")
    invite(owner, org, role="viewer")
    e = expect_error(owner.post("/api/v1/orgs/%s/invitations" % org,
                                {"email": "fourth@example.com", "role": "viewer"}), 400,
                     "QUOTA_EXCEEDED")
    assert "member" in e["message"]
    u = owner.get("/api/v1/orgs/%s/usage" % org).json_body
    assert u["members"] == {"used": 3, "quota": 3, "available": 0}


# ---- roles --------------------------------------------------------------------------------

def test_roles_enforced(berthd, admin):
    org = admin.org_id
    body = {"name": "Role Test", "odoo_version": "17.0"}
    viewer = new_user(berthd, admin, role="viewer")
    dev = new_user(berthd, admin, role="developer")
    adm = new_user(berthd, admin, role="admin")
    expect_error(viewer.post("/api/v1/orgs/%s/projects" % org, body), 403, "PERMISSION_DENIED")
    expect_error(dev.post("/api/v1/orgs/%s/projects" % org, body), 403, "PERMISSION_DENIED")
    assert admin.get("/api/v1/orgs/%s/projects" % org).json_body == []
    p = adm.post("/api/v1/orgs/%s/projects" % org, body)
    assert p.status_code == 201, p.text
    pid = p.json_body["id"]
    # everyone reads; only admins change
    for u in (viewer, dev, adm):
        assert u.get("/api/v1/projects/%s" % pid).status_code == 200
        assert [x["id"] for x in u.get("/api/v1/orgs/%s/projects" % org).json_body] == [pid]
    for u in (viewer, dev):
        expect_error(u.patch("/api/v1/projects/%s" % pid, {"name": "X"}), 403, "PERMISSION_DENIED")
        expect_error(u.delete("/api/v1/projects/%s" % pid), 403, "PERMISSION_DENIED")
        expect_error(u.patch("/api/v1/orgs/%s" % org, {"name": "X"}), 403, "PERMISSION_DENIED")
        expect_error(u.get("/api/v1/orgs/%s/audit" % org), 403, "PERMISSION_DENIED")
        expect_error(u.patch("/api/v1/orgs/%s/members/%s" % (org, admin.user_id),
                             {"role": "viewer"}), 403, "PERMISSION_DENIED")
    assert admin.get("/api/v1/projects/%s" % pid).json_body["name"] == "Role Test"
    # members list is visible to every member
    assert viewer.get("/api/v1/orgs/%s/members" % org).status_code == 200
    # an admin cannot demote or remove an owner; an owner can change roles
    expect_error(adm.patch("/api/v1/orgs/%s/members/%s" % (org, admin.user_id),
                           {"role": "viewer"}), 403, "PERMISSION_DENIED")
    expect_error(adm.delete("/api/v1/orgs/%s/members/%s" % (org, admin.user_id)), 403,
                 "PERMISSION_DENIED")
    r = admin.patch("/api/v1/orgs/%s/members/%s" % (org, viewer.user_id), {"role": "admin"})
    assert r.status_code == 200 and r.json_body["role"] == "admin"
    assert viewer.patch("/api/v1/projects/%s" % pid, {"name": "Promoted"}).status_code == 200
    expect_error(admin.patch("/api/v1/orgs/%s/members/%s" % (org, viewer.user_id),
                             {"role": "god"}), 400, "VALIDATION_ERROR", "role")
    # the last owner stays
    expect_error(admin.patch("/api/v1/orgs/%s/members/%s" % (org, admin.user_id),
                             {"role": "admin"}), 409, "CONFLICT")
    expect_error(admin.delete("/api/v1/orgs/%s/members/%s" % (org, admin.user_id)), 409,
                 "CONFLICT")
    # removing a member ends their access
    assert admin.delete("/api/v1/orgs/%s/members/%s" % (org, dev.user_id)).status_code == 204
    expect_error(dev.get("/api/v1/orgs/%s" % org), 404, "ORG_NOT_FOUND")
    expect_error(dev.get("/api/v1/projects/%s" % pid), 404, "PROJECT_NOT_FOUND")
    # a member may leave by themselves
    assert adm.delete("/api/v1/orgs/%s/members/%s" % (org, adm.user_id)).status_code == 204
    assert adm.get("/api/v1/orgs").json_body == []


def test_member_limited_to_projects(berthd, admin):
    org = admin.org_id
    p1, p2, p3 = (project(admin, org) for _ in range(3))
    u = new_user(berthd, admin, role="developer", projects=[p1["id"], p3["id"]])
    seen = [p["id"] for p in u.get("/api/v1/orgs/%s/projects" % org).json_body]
    assert sorted(seen) == sorted([p1["id"], p3["id"]])
    assert u.get("/api/v1/projects/%s" % p1["id"]).status_code == 200
    expect_error(u.get("/api/v1/projects/%s" % p2["id"]), 404, "PROJECT_NOT_FOUND")
    members = {m["user_id"]: m for m in admin.get("/api/v1/orgs/%s/members" % org).json_body}
    assert sorted(members[u.user_id]["projects"]) == sorted([p1["id"], p3["id"]])
    assert members[admin.user_id]["projects"] is None
    # widen to all projects, then narrow to none
    r = admin.patch("/api/v1/orgs/%s/members/%s" % (org, u.user_id), {"projects": None})
    assert r.status_code == 200, r.text
    assert len(u.get("/api/v1/orgs/%s/projects" % org).json_body) == 3
    r = admin.patch("/api/v1/orgs/%s/members/%s" % (org, u.user_id), {"projects": []})
    assert r.status_code == 200, r.text
    assert u.get("/api/v1/orgs/%s/projects" % org).json_body == []
    expect_error(u.get("/api/v1/projects/%s" % p1["id"]), 404, "PROJECT_NOT_FOUND")
    # a project of another organization cannot be listed
    other = admin.post("/api/v1/orgs", {"name": "Other"}).json_body["id"]
    foreign = project(admin, other)
    expect_error(admin.patch("/api/v1/orgs/%s/members/%s" % (org, u.user_id),
                             {"projects": [foreign["id"]]}), 400, "VALIDATION_ERROR", "projects")


def test_members_grant_only_what_they_hold(berthd, admin):
    """No one changes their own role or projects; a project-limited admin invites and sets
    only within their projects (never all), and manages only members within them; only
    owners manage owners (invite, promote, demote, remove, withdraw an owner's invitation)."""
    org = admin.org_id
    p1, p2 = project(admin, org), project(admin, org)
    path = "/api/v1/orgs/%s/members/%%s" % org
    la = new_user(berthd, admin, role="admin", projects=[p1["id"]])
    # no one lifts their own limit or raises their own role
    for body in ({"projects": None}, {"projects": [p1["id"], p2["id"]]}, {"role": "owner"},
                 {"role": "admin"}):
        expect_error(la.patch(path % la.user_id, body), 403, "PERMISSION_DENIED")
    members = {m["user_id"]: m for m in admin.get("/api/v1/orgs/%s/members" % org).json_body}
    assert members[la.user_id]["projects"] == [p1["id"]]
    assert members[la.user_id]["role"] == "admin"
    # invitations: only within their projects, never all, never an owner
    inv = "/api/v1/orgs/%s/invitations" % org
    for extra in ({}, {"projects": None}, {"projects": [p2["id"]]},
                  {"projects": [p1["id"], p2["id"]]}):
        body = dict({"email": unique("x") + "@example.com", "role": "developer"}, **extra)
        expect_error(la.post(inv, body), 403, "PERMISSION_DENIED", "projects")
    expect_error(la.post(inv, {"email": unique("x") + "@example.com", "role": "owner",
                               "projects": [p1["id"]]}), 403, "PERMISSION_DENIED", "role")
    r = la.post(inv, {"email": unique("x") + "@example.com", "role": "admin",
                      "projects": [p1["id"]]})
    assert r.status_code == 201, r.text
    # members: an unlimited one is beyond them; one within their projects is theirs
    dev = new_user(berthd, admin, role="developer")
    for body in ({"role": "viewer"}, {"projects": [p1["id"]]}, {"projects": None}):
        expect_error(la.patch(path % dev.user_id, body), 403, "PERMISSION_DENIED")
    expect_error(la.delete(path % dev.user_id), 403, "PERMISSION_DENIED")
    lim = new_user(berthd, admin, role="developer", projects=[p1["id"]])
    for body in ({"projects": None}, {"projects": [p2["id"]]}):
        expect_error(la.patch(path % lim.user_id, body), 403, "PERMISSION_DENIED", "projects")
    r = la.patch(path % lim.user_id, {"role": "viewer", "projects": []})
    assert r.status_code == 200 and r.json_body["role"] == "viewer", r.text
    assert la.delete(path % lim.user_id).status_code == 204
    # an unlimited admin changes neither themselves nor owners
    adm = new_user(berthd, admin, role="admin")
    expect_error(adm.patch(path % adm.user_id, {"role": "developer"}), 403, "PERMISSION_DENIED")
    expect_error(adm.patch(path % adm.user_id, {"projects": [p1["id"]]}), 403,
                 "PERMISSION_DENIED")
    owner2 = new_user(berthd, admin, role="owner")
    expect_error(adm.patch(path % owner2.user_id, {"role": "viewer"}), 403, "PERMISSION_DENIED")
    expect_error(adm.delete(path % owner2.user_id), 403, "PERMISSION_DENIED")
    expect_error(adm.patch(path % dev.user_id, {"role": "owner"}), 403, "PERMISSION_DENIED")
    oi = invite(admin, org, role="owner")
    expect_error(adm.delete("%s/%s" % (inv, oi["id"])), 403, "PERMISSION_DENIED")
    assert oi["id"] in admin.get(inv).text
    # an owner does; and an owner too changes not their own role while others can
    expect_error(owner2.patch(path % owner2.user_id, {"role": "admin"}), 403, "PERMISSION_DENIED")
    r = owner2.patch(path % dev.user_id, {"role": "admin"})
    assert r.status_code == 200, r.text
    assert admin.delete("%s/%s" % (inv, oi["id"])).status_code == 204
    r = admin.patch(path % owner2.user_id, {"role": "admin"})
    assert r.status_code == 200 and r.json_body["role"] == "admin", r.text


# ---- tenancy ------------------------------------------------------------------------------

def test_other_orgs_are_not_found(berthd, admin):
    org = admin.org_id
    p = project(admin, org)
    inv = invite(admin, org, role="viewer")
    outsider = new_user(berthd, admin, role="viewer")
    own = outsider.post("/api/v1/orgs", {"name": "Outsider Inc"}).json_body["id"]
    assert admin.delete("/api/v1/orgs/%s/members/%s" % (org, outsider.user_id)).status_code == 204
    before_members = admin.get("/api/v1/orgs/%s/members" % org).json_body
    before_org = admin.get("/api/v1/orgs/%s" % org).json_body
    missing = str(uuid.uuid4())
    for target in (org, missing):
        # an existing foreign id and a random id answer the same
        for method, path, body in (
                ("GET", "/api/v1/orgs/%s" % target, None),
                ("PATCH", "/api/v1/orgs/%s" % target, {"name": "Pwned"}),
                ("GET", "/api/v1/orgs/%s/members" % target, None),
                ("PATCH", "/api/v1/orgs/%s/members/%s" % (target, admin.user_id),
                 {"role": "viewer"}),
                ("DELETE", "/api/v1/orgs/%s/members/%s" % (target, admin.user_id), None),
                ("POST", "/api/v1/orgs/%s/invitations" % target,
                 {"email": "x@example.com", "role": "owner"}),
                ("GET", "/api/v1/orgs/%s/invitations" % target, None),
                ("DELETE", "/api/v1/orgs/%s/invitations/%s" % (target, inv["id"]), None),
                ("GET", "/api/v1/orgs/%s/usage" % target, None),
                ("GET", "/api/v1/orgs/%s/audit" % target, None),
                ("GET", "/api/v1/orgs/%s/projects" % target, None),
                ("POST", "/api/v1/orgs/%s/projects" % target,
                 {"name": "Injected", "odoo_version": "17.0"})):
            r = outsider.req(method, path, body=body)
            e = expect_error(r, 404, "ORG_NOT_FOUND")
            assert "field" not in e
    for target in (p["id"], missing):
        expect_error(outsider.get("/api/v1/projects/%s" % target), 404, "PROJECT_NOT_FOUND")
        expect_error(outsider.patch("/api/v1/projects/%s" % target, {"name": "Pwned"}), 404,
                     "PROJECT_NOT_FOUND")
        expect_error(outsider.delete("/api/v1/projects/%s" % target), 404, "PROJECT_NOT_FOUND")
    # nothing changed
    assert admin.get("/api/v1/orgs/%s" % org).json_body == before_org
    assert admin.get("/api/v1/orgs/%s/members" % org).json_body == before_members
    assert admin.get("/api/v1/projects/%s" % p["id"]).json_body["name"] == p["name"]
    assert [x["id"] for x in admin.get("/api/v1/orgs/%s/projects" % org).json_body] == [p["id"]]
    assert len(admin.get("/api/v1/orgs/%s/invitations" % org).json_body) == 1
    # and the other way round: the platform admin has no business in the outsider's org
    expect_error(admin.get("/api/v1/orgs/%s" % own), 404, "ORG_NOT_FOUND")
    expect_error(admin.get("/api/v1/orgs/%s/projects" % own), 404, "ORG_NOT_FOUND")


# ---- audit log ----------------------------------------------------------------------------

def test_audit_log_records_changes(berthd, admin):
    org = admin.org_id
    p = project(admin, org, name="Audited")
    admin.patch("/api/v1/projects/%s" % p["id"], {"default_branch": "develop"})
    inv = invite(admin, org, role="viewer")
    r = berthd.api().post("/api/v1/invitations/%s/accept" % inv["token"],
                          {"name": "V", "password": "password-for-tests"})
    uid = r.json_body["user"]["id"]
    admin.patch("/api/v1/orgs/%s/members/%s" % (org, uid), {"role": "developer"})
    admin.patch("/api/v1/orgs/%s" % org, {"name": "Acme Renamed"})
    admin.delete("/api/v1/orgs/%s/members/%s" % (org, uid))
    admin.delete("/api/v1/projects/%s" % p["id"])
    # refused requests are not changes
    admin.post("/api/v1/orgs/%s/projects" % org, {"name": "Bad", "odoo_version": "1.0"})

    r = admin.get("/api/v1/orgs/%s/audit" % org)
    assert r.status_code == 200, r.text
    entries = r.json_body
    actions = [e["action"] for e in entries]
    assert actions == ["project.delete", "member.remove", "org.update", "member.update",
                       "invitation.accept", "invitation.create", "project.update",
                       "project.create", "setup"], actions
    by = {e["action"]: e for e in entries}
    for e in entries:
        assert e["source_ip"] == "127.0.0.1"
        assert time.strptime(e["created_at"], "%Y-%m-%dT%H:%M:%SZ")
        assert e["target_type"] and e["target_id"]
        assert isinstance(e["id"], int)
    assert by["project.create"]["actor"] == ADMIN_EMAIL
    assert by["project.create"]["user_id"] == admin.user_id
    assert by["project.create"]["target_id"] == p["id"]
    assert by["project.create"]["details"]["name"] == "Audited"
    assert by["project.update"]["details"] == {"default_branch": "develop"}
    assert by["member.update"]["target_id"] == uid
    assert by["member.update"]["details"]["role"] == "developer"
    assert by["invitation.accept"]["user_id"] == uid
    assert by["org.update"]["details"] == {"name": "Acme Renamed"}
    assert by["setup"]["target_id"] == org
    # paging: newest first, limit and before
    page = admin.get("/api/v1/orgs/%s/audit?limit=2" % org).json_body
    assert [e["action"] for e in page] == actions[:2]
    older = admin.get("/api/v1/orgs/%s/audit?limit=3&before=%d" % (org, page[-1]["id"])).json_body
    assert [e["action"] for e in older] == actions[2:5]
    # another org's log is separate
    other = admin.post("/api/v1/orgs", {"name": "Separate"}).json_body["id"]
    log2 = admin.get("/api/v1/orgs/%s/audit" % other).json_body
    assert [e["action"] for e in log2] == ["org.create"]
    assert log2[0]["actor"] == ADMIN_EMAIL


def test_org_time_zone(berthd, admin):
    """An organization's time zone (its backup schedules' times of day): UTC by default, an
    IANA name of tzdata, audited as org.update, shown by GET /orgs and GET /orgs/{id}."""
    user = new_user(berthd, admin, role="viewer")
    o = user.post("/api/v1/orgs", {"name": unique("Zoned")}).json_body
    assert o["timezone"] == "UTC"
    path = "/api/v1/orgs/%s" % o["id"]
    r = user.patch(path, {"timezone": "Europe/Brussels"})
    assert r.status_code == 200, r.text
    assert r.json_body["timezone"] == "Europe/Brussels" and r.json_body["name"] == o["name"]
    assert user.get(path).json_body["timezone"] == "Europe/Brussels"
    assert {x["id"]: x["timezone"] for x in user.get("/api/v1/orgs").json_body}[o["id"]] == \
        "Europe/Brussels"
    for bad in ["Europe/Nowhere", "posix/Europe/Brussels", "right/UTC", "../../etc/passwd",
                "/usr/share/zoneinfo/UTC", "Europe/Brussels\n", "zone.tab", "", "x" * 65,
                "Europe/../Europe/Brussels"]:
        e = expect_error(user.patch(path, {"timezone": bad}), 400, "VALIDATION_ERROR", "timezone")
        assert "timezone" in e["message"]
    expect_error(user.patch(path, {"timezone": 3}), 400, "VALIDATION_ERROR", "timezone")
    # name and time zone together, one audit entry
    r = user.patch(path, {"name": "Zoned Renamed", "timezone": "America/New_York"})
    assert r.status_code == 200 and r.json_body["timezone"] == "America/New_York"
    log = user.get(path + "/audit").json_body
    assert log[0]["action"] == "org.update"
    assert log[0]["details"] == {"name": "Zoned Renamed", "timezone": "America/New_York"}
    assert log[1]["details"] == {"timezone": "Europe/Brussels"}
    assert user.get(path).json_body["timezone"] == "America/New_York"
    # the owner's permission: a developer of admin's org cannot change admin's org
    dev = new_user(berthd, admin, role="developer")
    expect_error(dev.patch("/api/v1/orgs/%s" % admin.org_id, {"timezone": "UTC"}), 403,
                 "PERMISSION_DENIED")
