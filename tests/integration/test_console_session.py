"""The console's own security: the headers of its static files, and the browser session (an
HttpOnly cookie with an anti-CSRF header) beside the bearer tokens of the API and CLI."""
import glob
import os

import pytest
import requests

from conftest import ADMIN_EMAIL, ADMIN_PASSWORD, ROOT, Berthd, unique

DIST = os.path.join(ROOT, "web", "dist")

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; font-src 'self'; object-src 'none'; frame-ancestors 'none'; "
       "base-uri 'none'; form-action 'self'")


def check_console_headers(r):
    assert r.headers["Content-Security-Policy"] == CSP
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["Referrer-Policy"] == "same-origin"
    assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_console_headers_default(berthd):
    # the default --web (web/dist when built, else a placeholder page): the same headers
    r = requests.get(berthd.url + "/", timeout=10)
    assert r.status_code == 200
    check_console_headers(r)
    # the API's answers do not carry the console's policy
    r = requests.get(berthd.url + "/api/v1/status", timeout=10)
    assert "Content-Security-Policy" not in r.headers


@pytest.mark.skipif(not os.path.exists(os.path.join(DIST, "index.html")),
                    reason="web/dist not built")
def test_console_headers_built():
    d = Berthd(["--web", DIST]).start()
    try:
        r = requests.get(d.url + "/", timeout=10)
        assert r.status_code == 200 and "<script" in r.text
        check_console_headers(r)
        # the built page has no inline script or style for the policy to block
        for tag in r.text.split("<script")[1:]:
            assert " src=" in tag.split(">")[0], tag
        assert "<style" not in r.text and " style=" not in r.text
        js = glob.glob(os.path.join(DIST, "assets", "*.js"))
        assert js
        r = requests.get(d.url + "/assets/" + os.path.basename(js[0]), timeout=10)
        assert r.status_code == 200
        assert r.headers["Content-Type"].startswith("text/javascript")
        check_console_headers(r)
        r = requests.get(d.url + "/projects/x/environments/new", timeout=10)
        check_console_headers(r)
    finally:
        d.cleanup()


def cookie_login(url, session=None):
    s = session or requests.Session()
    r = s.post(url + "/api/v1/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD,
                                                 "session": "cookie"}, timeout=10)
    return s, r


def test_cookie_session(berthd, admin):
    url = berthd.url
    s, r = cookie_login(url)
    assert r.status_code == 200, r.text
    b = r.json()
    # the token is in the cookie only; the answer has the anti-CSRF value
    assert "access_token" not in b
    assert b["token_type"] == "cookie" and b["expires_in"] == 86400
    csrf = b["csrf_token"]
    assert len(csrf) == 64
    sc = r.headers["Set-Cookie"]
    name, _, rest = sc.partition("=")
    assert name == "berth_session"
    token = rest.split(";")[0]
    assert token.startswith("bt_") and token not in r.text
    attrs = [a.strip() for a in sc.split(";")[1:]]
    assert "HttpOnly" in attrs and "SameSite=Strict" in attrs and "Path=/" in attrs
    assert "Max-Age=86400" in attrs
    assert "Secure" not in attrs  # http public URL
    # GET works with the cookie alone
    r = s.get(url + "/api/v1/me", timeout=10)
    assert r.status_code == 200 and r.json()["email"] == ADMIN_EMAIL
    r = s.get(url + "/api/v1/auth/session", timeout=10)
    assert r.status_code == 200, r.text
    assert r.json() == {"auth": "cookie", "user_id": admin.user_id, "email": ADMIN_EMAIL,
                        "csrf_token": csrf}
    # a change without the anti-CSRF header: 403 before the body is looked at
    for hdrs in ({}, {"X-Berth-CSRF": "0" * 64}, {"X-Berth-CSRF": csrf[:-1]},
                 {"X-Requested-With": "XMLHttpRequest"}):
        r = s.post(url + "/api/v1/api-keys", json={"name": "k"}, headers=hdrs, timeout=10)
        assert r.status_code == 403, r.text
        assert r.json()["error"]["code"] == "PERMISSION_DENIED"
        assert "X-Berth-CSRF" in r.json()["error"]["message"]
    r = s.post(url + "/api/v1/api-keys", data="{not json", headers={"Content-Type": "application/json"},
               timeout=10)
    assert r.status_code == 403
    r = s.delete(url + "/api/v1/api-keys/nope", timeout=10)
    assert r.status_code == 403
    assert admin.get("/api/v1/api-keys").json_body == []
    # with it, the change is made
    r = s.post(url + "/api/v1/api-keys", json={"name": "k"}, headers={"X-Berth-CSRF": csrf},
               timeout=10)
    assert r.status_code == 201, r.text
    # a cookie holding an API key is not a session
    r = requests.get(url + "/api/v1/me", cookies={"berth_session": r.json()["key"]}, timeout=10)
    assert r.status_code == 401
    # a bearer request ignores the cookie (even a wrong one) and needs no anti-CSRF header
    r = requests.post(url + "/api/v1/api-keys", json={"name": "k2"},
                      headers={"Authorization": "Bearer " + admin.token},
                      cookies={"berth_session": "bt_wrong"}, timeout=10)
    assert r.status_code == 201, r.text
    r = requests.get(url + "/api/v1/me", headers={"Authorization": "Bearer bt_wrong"},
                     cookies={"berth_session": token}, timeout=10)
    assert r.status_code == 401
    r = admin.get("/api/v1/auth/session")
    assert r.status_code == 200 and r.json_body["auth"] == "bearer"
    assert "csrf_token" not in r.json_body
    # logout needs the header too; it revokes the session and clears the cookie
    r = s.post(url + "/api/v1/auth/logout", json={}, timeout=10)
    assert r.status_code == 403
    r = s.post(url + "/api/v1/auth/logout", json={}, headers={"X-Berth-CSRF": csrf}, timeout=10)
    assert r.status_code == 204, r.text
    sc = r.headers["Set-Cookie"]
    assert sc.startswith("berth_session=;") and "Max-Age=0" in sc and "HttpOnly" in sc
    assert not s.cookies.get("berth_session")
    r = requests.get(url + "/api/v1/me", cookies={"berth_session": token}, timeout=10)
    assert r.status_code == 401
    # the bearer token of the administrator still works
    assert admin.get("/api/v1/me").status_code == 200


def test_cookie_401_before_body(berthd, admin):
    url = berthd.url
    r = requests.post(url + "/api/v1/api-keys", data="{not json",
                      headers={"Content-Type": "application/json"},
                      cookies={"berth_session": "bt_nope"}, timeout=10)
    assert r.status_code == 401 and r.json()["error"]["code"] == "UNAUTHORIZED"


def test_login_answer_unchanged(berthd, admin):
    api = berthd.api()
    r = api.post("/api/v1/auth/login", {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    assert r.status_code == 200
    assert set(r.json_body) == {"access_token", "token_type", "expires_in"}
    assert r.json_body["token_type"] == "bearer" and "Set-Cookie" not in r.headers
    r = api.post("/api/v1/auth/login", {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD,
                                        "session": "bearer"})
    assert r.status_code == 200 and "access_token" in r.json_body
    r = api.post("/api/v1/auth/login", {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD,
                                        "session": "jar"})
    assert r.status_code == 400 and r.json_body["error"]["field"] == "session"


def test_cookie_setup_and_secure():
    d = Berthd(["--public-url", "https://berth.example.com"]).start()
    try:
        s = requests.Session()
        r = s.post(d.url + "/api/v1/setup", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD,
                                                  "organization": unique("o"),
                                                  "session": "cookie"}, timeout=10)
        assert r.status_code == 201, r.text
        assert "access_token" not in r.json() and r.json()["csrf_token"]
        attrs = [a.strip() for a in r.headers["Set-Cookie"].split(";")]
        assert "Secure" in attrs and "HttpOnly" in attrs and "SameSite=Strict" in attrs
        token = attrs[0].split("=", 1)[1]
        # requests keeps a Secure cookie off plain http: send it by hand
        r = requests.get(d.url + "/api/v1/me", cookies={"berth_session": token}, timeout=10)
        assert r.status_code == 200
    finally:
        d.cleanup()


# ---- the permissions routes ----------------------------------------------------------------

def perms(api, what, oid):
    r = api.get("/api/v1/%s/%s/permissions" % (what, oid))
    return r


def test_permissions_routes(berthd, admin):
    from test_environments import add_server, create_ok, new_project, small
    from conftest import new_user
    add_server(admin, admin.org_id)
    shop = new_project(admin, admin.org_id, name="Shop")
    other = new_project(admin, admin.org_id, name="Other")
    dev = create_ok(admin, shop["id"], small(environment_type="development"))
    prod = create_ok(admin, shop["id"], small(environment_type="production"))
    r = perms(admin, "projects", shop["id"])
    assert r.status_code == 200, r.text
    b = r.json_body
    assert b["project_id"] == shop["id"] and b["role"] == "owner"
    assert {"project.view", "project.update", "project.delete", "project.environments.create",
            "environment.deploy", "environment.remove"} <= set(b["permissions"])
    assert not [p for p in b["permissions"] if p.split(".")[0] not in ("project", "environment")]
    r = perms(admin, "environments", dev["id"])
    assert r.status_code == 200 and r.json_body["environment_id"] == dev["id"]
    assert "environment.remove" in r.json_body["permissions"]
    # production environments cannot be removed: not offered
    r = perms(admin, "environments", prod["id"])
    assert "environment.remove" not in r.json_body["permissions"]
    assert "environment.stop" in r.json_body["permissions"]
    # a viewer limited to Shop: the viewing permissions there, nothing on Other
    viewer = new_user(berthd, admin, role="viewer", projects=[shop["id"]])
    r = perms(viewer, "projects", shop["id"])
    assert r.status_code == 200 and r.json_body["role"] == "viewer"
    assert sorted(r.json_body["permissions"]) == ["environment.logs", "environment.view",
                                                 "project.view"]
    assert sorted(perms(viewer, "environments", dev["id"]).json_body["permissions"]) == [
        "environment.logs", "environment.view", "project.view"]
    r = perms(viewer, "projects", other["id"])
    assert r.status_code == 404 and r.json_body["error"]["code"] == "PROJECT_NOT_FOUND"
    r = perms(viewer, "environments", "00000000-0000-4000-8000-000000000000")
    assert r.status_code == 404 and r.json_body["error"]["code"] == "ENVIRONMENT_NOT_FOUND"
    # a developer
    devu = new_user(berthd, admin, role="developer")
    p = set(perms(devu, "environments", dev["id"]).json_body["permissions"])
    assert "environment.deploy" in p and "environment.remove" not in p
    assert "project.delete" not in p
    # a read-only API key: only what it can do (GET)
    r = admin.post("/api/v1/api-keys", {"name": "ro", "scope": "read-only"})
    assert r.status_code == 201, r.text
    ro = berthd.api(r.json_body["key"])
    assert sorted(perms(ro, "projects", shop["id"]).json_body["permissions"]) == [
        "environment.logs", "environment.view", "project.view"]
    # the cookie session reads them too
    s, r = cookie_login(berthd.url)
    r = s.get(berthd.url + "/api/v1/projects/%s/permissions" % shop["id"], timeout=10)
    assert r.status_code == 200 and "project.delete" in r.json()["permissions"]
    assert requests.get(berthd.url + "/api/v1/projects/%s/permissions" % shop["id"],
                        timeout=10).status_code == 401
