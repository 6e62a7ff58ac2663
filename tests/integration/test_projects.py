"""Projects: create (slug from the name, unique per organization), validation, list, get,
update, delete, audit, tenancy."""
import uuid

from conftest import new_user


def expect_error(r, status, code, field=None):
    assert r.status_code == status, (r.status_code, r.text)
    e = r.json_body["error"]
    assert e["code"] == code, r.text
    assert e["message"]
    if field is not None:
        assert e.get("field") == field, r.text
    return e


def create(api, org_id, **body):
    return api.post("/api/v1/orgs/%s/projects" % org_id, body)


def names(api, org_id):
    r = api.get("/api/v1/orgs/%s/projects" % org_id)
    assert r.status_code == 200, r.text
    return [p["name"] for p in r.json_body]


def test_create_and_get(admin):
    r = create(admin, admin.org_id, name="My Shop", odoo_version="17.0",
               repository_url="https://github.com/acme/shop.git", default_branch="production")
    assert r.status_code == 201, r.text
    p = r.json_body
    # the webhook secret is in the creation answer only
    assert len(p.pop("webhook_secret")) == 40
    assert p["webhook_url"].endswith("/api/v1/webhooks/" + p["id"])
    assert p["name"] == "My Shop" and p["slug"] == "my-shop"
    assert p["org_id"] == admin.org_id
    assert p["odoo_version"] == "17.0"
    assert p["repository_url"] == "https://github.com/acme/shop.git"
    assert p["default_branch"] == "production"
    assert p["environment_count"] == 0
    assert p["id"] and p["created_at"] and p["updated_at"]
    g = admin.get("/api/v1/projects/%s" % p["id"])
    assert g.status_code == 200 and g.json_body == p
    # defaults: no repository, branch main
    r = create(admin, admin.org_id, name="Bare", odoo_version="16.0")
    assert r.status_code == 201, r.text
    assert r.json_body["repository_url"] is None and r.json_body["default_branch"] == "main"
    lst = admin.get("/api/v1/orgs/%s/projects" % admin.org_id).json_body
    assert [x["name"] for x in lst] == ["Bare", "My Shop"]
    assert lst[1] == p


def test_every_supported_version_and_url_form(admin):
    for v in ("16.0", "17.0", "18.0", "19.0"):
        r = create(admin, admin.org_id, name="Odoo " + v, odoo_version=v)
        assert r.status_code == 201, r.text
        assert r.json_body["slug"] == "odoo-" + v.replace(".", "-")
    for i, url in enumerate(("git@github.com:acme/shop.git", "ssh://git@git.example.com/x.git",
                             "https://git.example.com/team/repo")):
        r = create(admin, admin.org_id, name="Repo %d" % i, odoo_version="18.0",
                   repository_url=url)
        assert r.status_code == 201, (url, r.text)
        assert r.json_body["repository_url"] == url
    # local paths only under a --git-local-root (test_repos.py), which this berthd has none of
    r = create(admin, admin.org_id, name="Local", odoo_version="18.0",
               repository_url="/srv/git/shop.git")
    expect_error(r, 400, "VALIDATION_ERROR", "repository_url")


def test_slug_unique_in_org(berthd, admin):
    assert create(admin, admin.org_id, name="My Shop", odoo_version="17.0").status_code == 201
    for name in ("My Shop", "my shop", "MY  SHOP!", "my-shop"):
        e = expect_error(create(admin, admin.org_id, name=name, odoo_version="18.0"), 400,
                         "NAME_EXISTS", "name")
        assert "my-shop" in e["message"]
    assert names(admin, admin.org_id) == ["My Shop"]
    # the same name in another organization is fine
    other = admin.post("/api/v1/orgs", {"name": "Other"}).json_body["id"]
    r = create(admin, other, name="My Shop", odoo_version="17.0")
    assert r.status_code == 201 and r.json_body["slug"] == "my-shop"
    # a name with nothing to slug still gets one
    r = create(admin, admin.org_id, name="!!!", odoo_version="17.0")
    assert r.status_code == 201 and r.json_body["slug"]


def test_validation(admin):
    org = admin.org_id
    cases = [
        ({"name": "P", "odoo_version": "15.0"}, "odoo_version"),
        ({"name": "P", "odoo_version": "17"}, "odoo_version"),
        ({"name": "P", "odoo_version": "17.0 "}, "odoo_version"),
        ({"name": "P", "odoo_version": "saas-17.1"}, "odoo_version"),
        ({"name": "P", "odoo_version": 17.0}, "odoo_version"),
        ({"name": "P", "odoo_version": None}, "odoo_version"),
        ({"name": "P"}, "odoo_version"),
        ({"odoo_version": "17.0"}, "name"),
        ({"name": "", "odoo_version": "17.0"}, "name"),
        ({"name": "x" * 101, "odoo_version": "17.0"}, "name"),
        ({"name": "a\tb", "odoo_version": "17.0"}, "name"),
        ({"name": "P", "odoo_version": "17.0", "repository_url": "--upload-pack=touch /tmp/x"},
         "repository_url"),
        ({"name": "P", "odoo_version": "17.0", "repository_url": "https://x/`id`"},
         "repository_url"),
        ({"name": "P", "odoo_version": "17.0", "repository_url": "https://x/a b"},
         "repository_url"),
        ({"name": "P", "odoo_version": "17.0", "repository_url": "ext::sh -c id"},
         "repository_url"),
        ({"name": "P", "odoo_version": "17.0", "repository_url": "ssh://-oProxyCommand=id/x"},
         "repository_url"),
        ({"name": "P", "odoo_version": "17.0", "repository_url": "github.com/acme/shop"},
         "repository_url"),
        ({"name": "P", "odoo_version": "17.0", "repository_url": 5}, "repository_url"),
        ({"name": "P", "odoo_version": "17.0", "default_branch": "-x"}, "default_branch"),
        ({"name": "P", "odoo_version": "17.0", "default_branch": "a..b"}, "default_branch"),
        ({"name": "P", "odoo_version": "17.0", "default_branch": "x.lock"}, "default_branch"),
        ({"name": "P", "odoo_version": "17.0", "default_branch": "a b"}, "default_branch"),
        ({"name": "P", "odoo_version": "17.0", "default_branch": "main@{1}"}, "default_branch"),
        ({"name": "P", "odoo_version": "17.0", "default_branch": ""}, "default_branch"),
        ({"name": "P", "odoo_version": "17.0", "default_branch": None}, "default_branch"),
        ({"name": "P", "odoo_version": "17.0", "slug": "custom"}, "slug"),
        ({"name": "P", "odoo_version": "17.0", "org_id": str(uuid.uuid4())}, "org_id"),
    ]
    for body, field in cases:
        r = admin.post("/api/v1/orgs/%s/projects" % org, body)
        e = expect_error(r, 400, "VALIDATION_ERROR", field)
        assert e["message"].startswith(field), e
    assert names(admin, org) == []
    assert [e["action"] for e in admin.get("/api/v1/orgs/%s/audit" % org).json_body] == ["setup"]
    # an explicit null repository means none
    r = create(admin, org, name="P", odoo_version="17.0", repository_url=None)
    assert r.status_code == 201 and r.json_body["repository_url"] is None


def test_update(admin):
    p = create(admin, admin.org_id, name="Shop", odoo_version="17.0").json_body
    path = "/api/v1/projects/%s" % p["id"]
    r = admin.patch(path, {"name": "Shop Renamed", "repository_url": "https://x.org/r.git",
                           "default_branch": "develop", "odoo_version": "18.0"})
    assert r.status_code == 200, r.text
    q = r.json_body
    assert q["name"] == "Shop Renamed" and q["repository_url"] == "https://x.org/r.git"
    assert q["default_branch"] == "develop" and q["odoo_version"] == "18.0"
    assert q["slug"] == "shop" and q["id"] == p["id"] and q["created_at"] == p["created_at"]
    assert admin.get(path).json_body == q
    # partial update leaves the rest; null clears the repository
    r = admin.patch(path, {"repository_url": None})
    assert r.status_code == 200 and r.json_body["repository_url"] is None
    assert r.json_body["default_branch"] == "develop"
    assert admin.patch(path, {}).status_code == 200
    # the same validation as on create, and nothing changes on refusal
    before = admin.get(path).json_body
    for body, field in (({"odoo_version": "15.0"}, "odoo_version"), ({"name": ""}, "name"),
                        ({"default_branch": "-f"}, "default_branch"),
                        ({"repository_url": "https://x/`id`"}, "repository_url"),
                        ({"slug": "x"}, "slug"), ({"name": 5}, "name")):
        expect_error(admin.patch(path, body), 400, "VALIDATION_ERROR", field)
    assert admin.get(path).json_body == before


def test_delete(admin):
    p = create(admin, admin.org_id, name="Doomed", odoo_version="17.0").json_body
    keep = create(admin, admin.org_id, name="Kept", odoo_version="17.0").json_body
    path = "/api/v1/projects/%s" % p["id"]
    r = admin.delete(path)
    assert r.status_code == 204 and r.text == ""
    expect_error(admin.get(path), 404, "PROJECT_NOT_FOUND")
    expect_error(admin.patch(path, {"name": "Zombie"}), 404, "PROJECT_NOT_FOUND")
    expect_error(admin.delete(path), 404, "PROJECT_NOT_FOUND")
    assert names(admin, admin.org_id) == ["Kept"]
    assert admin.get("/api/v1/projects/%s" % keep["id"]).status_code == 200
    # the slug is free again
    r = create(admin, admin.org_id, name="Doomed", odoo_version="18.0")
    assert r.status_code == 201 and r.json_body["id"] != p["id"]
    actions = [e["action"] for e in admin.get("/api/v1/orgs/%s/audit" % admin.org_id).json_body]
    assert actions[:2] == ["project.create", "project.delete"]


def test_other_orgs_projects_not_found(berthd, admin):
    p = create(admin, admin.org_id, name="Private", odoo_version="17.0").json_body
    outsider = new_user(berthd, admin)
    admin.delete("/api/v1/orgs/%s/members/%s" % (admin.org_id, outsider.user_id))
    own = outsider.post("/api/v1/orgs", {"name": "Elsewhere"}).json_body["id"]
    for pid in (p["id"], str(uuid.uuid4())):
        path = "/api/v1/projects/%s" % pid
        a = expect_error(outsider.get(path), 404, "PROJECT_NOT_FOUND")
        b = expect_error(outsider.patch(path, {"name": "Stolen"}), 404, "PROJECT_NOT_FOUND")
        c = expect_error(outsider.delete(path), 404, "PROJECT_NOT_FOUND")
        assert "Private" not in a["message"] + b["message"] + c["message"]
    expect_error(outsider.get("/api/v1/orgs/%s/projects" % admin.org_id), 404, "ORG_NOT_FOUND")
    expect_error(create(outsider, admin.org_id, name="Planted", odoo_version="17.0"), 404,
                 "ORG_NOT_FOUND")
    assert admin.get("/api/v1/projects/%s" % p["id"]).json_body["name"] == "Private"
    assert names(admin, admin.org_id) == ["Private"]
    # the outsider's own projects are separate
    assert create(outsider, own, name="Private", odoo_version="17.0").status_code == 201
    assert names(outsider, own) == ["Private"]
    assert names(admin, admin.org_id) == ["Private"]
    assert len(admin.get("/api/v1/orgs/%s/projects" % admin.org_id).json_body) == 1
