"""The error contract: {"error": {"code", "message", "field"}}; malformed JSON, wrong types,
unknown fields, oversized bodies, unknown routes and methods get a clear 4xx and change
nothing."""
import json
import socket
import uuid

from conftest import ADMIN_EMAIL, ADMIN_PASSWORD, Berthd, new_user


def expect_error(r, status, code, field=None):
    assert r.status_code == status, (r.status_code, r.text)
    assert r.headers["Content-Type"].startswith("application/json")
    body = r.json_body
    assert set(body) == {"error"}, r.text
    e = body["error"]
    assert e["code"] == code, r.text
    assert isinstance(e["message"], str) and e["message"]
    assert set(e) <= {"code", "message", "field"}
    if field == "":
        assert "field" not in e, r.text
    elif field is not None:
        assert e.get("field") == field, r.text
    return e


def snapshot(admin):
    """What the tests check stays unchanged after a refused request."""
    orgs = admin.get("/api/v1/orgs").json_body
    projects = admin.get("/api/v1/orgs/%s/projects" % admin.org_id).json_body
    audit = admin.get("/api/v1/orgs/%s/audit" % admin.org_id).json_body
    org = admin.get("/api/v1/orgs/%s" % admin.org_id).json_body
    return (json.dumps(orgs, sort_keys=True), json.dumps(projects, sort_keys=True), len(audit),
            org["name"])


JSON = {"Content-Type": "application/json"}


def test_malformed_json(admin):
    before = snapshot(admin)
    bodies = ['{', '{"name": }', '{"name": "x",}', "{'name': 'x'}", '{"name": "x"} trailing',
              'nul', '{"name": "x", "name": "y"}', b'{"name": "\xff\xfe"}', '{"name": NaN}',
              '{"name": "\\ud800"}']
    for raw in bodies:
        r = admin.req("POST", "/api/v1/orgs", raw=raw, headers=JSON)
        expect_error(r, 400, "INVALID_JSON")
        r = admin.req("PATCH", "/api/v1/orgs/%s" % admin.org_id, raw=raw, headers=JSON)
        expect_error(r, 400, "INVALID_JSON")
    assert snapshot(admin) == before


def test_wrong_types_and_unknown_fields(admin):
    before = snapshot(admin)
    org = admin.org_id
    cases = [
        ("POST", "/api/v1/orgs", [], ""),
        ("POST", "/api/v1/orgs", {"name": 42}, "name"),
        ("POST", "/api/v1/orgs", {"name": None}, "name"),
        ("POST", "/api/v1/orgs", {"name": ["Acme"]}, "name"),
        ("POST", "/api/v1/orgs", {"name": {"x": 1}}, "name"),
        ("POST", "/api/v1/orgs", {}, "name"),
        ("POST", "/api/v1/orgs", {"name": ""}, "name"),
        ("POST", "/api/v1/orgs", {"name": "a\nb"}, "name"),
        ("POST", "/api/v1/orgs", {"name": "\u001b[31mred"}, "name"),
        ("POST", "/api/v1/orgs", {"name": "x" * 101}, "name"),
        ("POST", "/api/v1/orgs", {"name": "ok", "plan": "Enterprise"}, "plan"),
        ("PATCH", "/api/v1/orgs/%s" % org, {"name": True}, "name"),
        ("PATCH", "/api/v1/orgs/%s" % org, {"slug": "x"}, "slug"),
        ("POST", "/api/v1/orgs/%s/projects" % org, {"name": "P", "odoo_version": 17.0},
         "odoo_version"),
        ("POST", "/api/v1/orgs/%s/projects" % org, {"name": "P", "odoo_version": "17.0",
                                                     "default_branch": 5}, "default_branch"),
        ("POST", "/api/v1/orgs/%s/projects" % org, {"name": "P", "odoo_version": "17.0",
                                                     "extra": 1}, "extra"),
        ("POST", "/api/v1/orgs/%s/invitations" % org, {"email": "a@example.com",
                                                        "role": "viewer",
                                                        "expires_in_days": "7"},
         "expires_in_days"),
        ("POST", "/api/v1/orgs/%s/invitations" % org, {"email": "a@example.com",
                                                        "role": "viewer",
                                                        "expires_in_days": 1.5},
         "expires_in_days"),
        ("POST", "/api/v1/orgs/%s/invitations" % org, {"email": "a@example.com",
                                                        "role": "viewer",
                                                        "expires_in_days": 31},
         "expires_in_days"),
        ("POST", "/api/v1/plans", {"name": "P", "cpu_cores": "2"}, "cpu_cores"),
        ("POST", "/api/v1/api-keys", {"name": "k", "scope": True}, "scope"),
    ]
    for method, path, body, field in cases:
        r = admin.req(method, path, body=body)
        e = expect_error(r, 400, "VALIDATION_ERROR", field)
        if field:
            assert field in e["message"], e
    # a JSON scalar is not a request body either
    for raw in ('"name"', "42", "null", "true", '{"name": "a\\u0000b"}'):
        r = admin.req("POST", "/api/v1/orgs", raw=raw, headers=JSON)
        assert r.status_code == 400 and r.json_body["error"]["code"] in (
            "INVALID_JSON", "VALIDATION_ERROR"), r.text
    assert snapshot(admin) == before
    assert admin.get("/api/v1/api-keys").json_body == []
    assert admin.get("/api/v1/orgs/%s/invitations" % org).json_body == []


def test_oversized_body(admin):
    before = snapshot(admin)
    limit = 1024 * 1024
    big = json.dumps({"name": "x" * limit})
    assert len(big) > limit
    for method, path in (("POST", "/api/v1/orgs"), ("PATCH", "/api/v1/orgs/%s" % admin.org_id),
                         ("POST", "/api/v1/orgs/%s/projects" % admin.org_id)):
        expect_error(admin.req(method, path, raw=big, headers=JSON), 413, "PAYLOAD_TOO_LARGE")
    # just over the limit, without a token: still 413, nothing read as a request
    raw = "{" + " " * limit + "}"
    expect_error(admin.req("POST", "/api/v1/setup", raw=raw, headers=JSON), 413,
                 "PAYLOAD_TOO_LARGE")
    # a body of exactly the limit is read (and then judged on its content)
    raw = '{"name": "%s"}' % ("y" * (limit - 12))
    assert len(raw) == limit
    expect_error(admin.req("POST", "/api/v1/orgs", raw=raw, headers=JSON), 400,
                 "VALIDATION_ERROR", "name")
    assert snapshot(admin) == before
    # the daemon is fine afterwards
    assert admin.post("/api/v1/orgs", {"name": "After"}).status_code == 201


def test_oversized_body_chunked(berthd, admin):
    """A chunked upload without Content-Length is cut at the limit too."""
    def gen():
        yield b'{"name": "'
        for _ in range(80):
            yield b"z" * 16384
        yield b'"}'
    r = admin.s.post(berthd.url + "/api/v1/orgs", data=gen(),
                     headers={"Authorization": "Bearer " + admin.token,
                              "Content-Type": "application/json"}, timeout=60)
    r.json_body = r.json()
    expect_error(r, 413, "PAYLOAD_TOO_LARGE")
    assert len(admin.get("/api/v1/orgs").json_body) == 1


def test_unknown_routes_and_methods(berthd, admin):
    api = berthd.api()
    for path in ("/api/v1/nope", "/api/v1", "/api/v2/orgs", "/api/v1/orgs/%s/nope" % admin.org_id,
                 "/api/v1/orgs/a/b/c/d/e", "/api/v1/ORGS", "/api/v1/orgs/..%2F..%2Fetc"):
        for a in (api, admin):
            expect_error(a.get(path), 404, "NOT_FOUND")
            expect_error(a.post(path, {}), 404, "NOT_FOUND")
    # known paths with the wrong method
    before = snapshot(admin)
    for method, path in (("DELETE", "/api/v1/orgs"), ("PUT", "/api/v1/orgs"),
                         ("GET", "/api/v1/setup"), ("GET", "/api/v1/auth/login"),
                         ("PUT", "/api/v1/orgs/%s" % admin.org_id),
                         ("POST", "/api/v1/orgs/%s" % admin.org_id),
                         ("DELETE", "/api/v1/plans"), ("PATCH", "/api/v1/api-keys"),
                         ("GET", "/api/v1/orgs/%s/plan" % admin.org_id),
                         ("POST", "/api/v1/orgs/%s/usage" % admin.org_id)):
        for a in (api, admin):
            e = expect_error(a.req(method, path, body={}), 405, "METHOD_NOT_ALLOWED")
            assert method in e["message"]
    assert snapshot(admin) == before
    # a trailing slash names the same resource
    assert admin.get("/api/v1/orgs/").status_code == 200


def test_content_type(admin):
    before = snapshot(admin)
    r = admin.req("POST", "/api/v1/orgs", raw='{"name": "Typed"}',
                  headers={"Content-Type": "text/plain"})
    expect_error(r, 415, "UNSUPPORTED_MEDIA_TYPE")
    r = admin.req("POST", "/api/v1/orgs", raw='{"name": "Typed"}',
                  headers={"Content-Type": "application/xml"})
    expect_error(r, 415, "UNSUPPORTED_MEDIA_TYPE")
    assert snapshot(admin) == before
    # curl -d sends form encoding: accepted when the body is JSON
    r = admin.req("POST", "/api/v1/orgs", raw='{"name": "Form"}',
                  headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 201, r.text
    r = admin.req("POST", "/api/v1/orgs", raw='{"name": "Charset"}',
                  headers={"Content-Type": "application/json; charset=utf-8"})
    assert r.status_code == 201, r.text


def test_not_found_ids(berthd, admin):
    """Ids that do not exist (or cannot be ids) answer 404 with the resource's code."""
    bogus = [str(uuid.uuid4()), "x", "...", "-1", "a" * 128]
    for i in bogus:
        expect_error(admin.get("/api/v1/orgs/%s" % i), 404, "ORG_NOT_FOUND")
        expect_error(admin.get("/api/v1/projects/%s" % i), 404, "PROJECT_NOT_FOUND")
        expect_error(admin.get("/api/v1/plans/%s" % i), 404, "PLAN_NOT_FOUND")
        expect_error(admin.delete("/api/v1/api-keys/%s" % i), 404, "NOT_FOUND")
        expect_error(berthd.api().post("/api/v1/invitations/%s/accept" % i,
                                       {"name": "N", "password": "password-for-tests"}),
                     404, "INVITATION_NOT_FOUND")
    # an over-long segment is no route at all
    expect_error(admin.get("/api/v1/orgs/%s" % ("a" * 200)), 404, "NOT_FOUND")


def test_errors_on_raw_socket():
    """A request with a body but a lying Content-Length, or garbage, does not hang or crash:
    berthd answers, or closes the connection at the latest after --http-timeout (3 s here;
    a peer's end of input that arrives with the headers can leave the connection to it)."""
    berthd = Berthd(["--http-timeout", "3"]).start()
    try:
        r = berthd.api().post("/api/v1/setup", {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD,
                                                "organization": "Acme"})
        assert r.status_code == 201, r.text
        admin = berthd.api(r.json_body["access_token"])
        s = socket.create_connection(("127.0.0.1", berthd.port), timeout=10)
        s.sendall(b"GARBAGE / HTTP/1.1\r\nHost: x\r\n\r\n")
        data = s.recv(4096)
        s.close()
        assert data.startswith(b"HTTP/1.1 4") or data == b""
        s = socket.create_connection(("127.0.0.1", berthd.port), timeout=10)
        s.sendall(b"POST /api/v1/orgs HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                  b"Content-Type: application/json\r\n\r\n{")
        s.shutdown(socket.SHUT_WR)
        s.recv(4096)
        s.close()
        assert admin.get("/api/v1/status").status_code == 200
        assert len(admin.get("/api/v1/orgs").json_body) == 1
    finally:
        berthd.cleanup()


def test_permission_errors_shape(berthd, admin):
    viewer = new_user(berthd, admin, role="viewer")
    before = snapshot(admin)
    e = expect_error(viewer.post("/api/v1/orgs/%s/projects" % admin.org_id,
                                 {"name": "P", "odoo_version": "17.0"}), 403, "PERMISSION_DENIED")
    assert "field" not in e
    expect_error(viewer.patch("/api/v1/orgs/%s" % admin.org_id, {"name": "Hacked"}), 403,
                 "PERMISSION_DENIED")
    expect_error(viewer.post("/api/v1/plans", {"name": "Mine"}), 403, "PERMISSION_DENIED")
    assert snapshot(admin) == before


def test_routes_without_fields_refuse_a_body_with_fields(admin):
    """Routes that take no fields apply the same rules as the others: an unknown field or a
    top-level array is refused (and changes nothing); no body or {} is fine."""
    r = admin.post("/api/v1/orgs/%s/projects" % admin.org_id,
                   {"name": "Bodyless %s" % uuid.uuid4().hex[:6], "odoo_version": "17.0"})
    assert r.status_code == 201, r.text
    pid = r.json_body["id"]
    rotate = "/api/v1/projects/%s/webhook/rotate" % pid
    audit = len(admin.get("/api/v1/orgs/%s/audit" % admin.org_id).json_body)
    expect_error(admin.req("POST", rotate, body={"secret": "mine"}), 400, "VALIDATION_ERROR",
                 "secret")
    expect_error(admin.req("POST", rotate, body=[]), 400, "VALIDATION_ERROR")
    expect_error(admin.req("POST", rotate, raw='["x"]', headers=JSON), 400, "VALIDATION_ERROR")
    assert len(admin.get("/api/v1/orgs/%s/audit" % admin.org_id).json_body) == audit
    for kw in ({}, {"body": {}}):
        r = admin.req("POST", rotate, **kw)
        assert r.status_code == 200 and len(r.json_body["webhook_secret"]) == 40, r.text
    versions = "/api/v1/admin/odoo-versions"
    expect_error(admin.req("GET", versions, body={"version": "17.0"}), 400, "VALIDATION_ERROR",
                 "version")
    expect_error(admin.req("GET", versions, raw="[]", headers=JSON), 400, "VALIDATION_ERROR")
    for kw in ({}, {"body": {}}):
        r = admin.req("GET", versions, **kw)
        assert r.status_code == 200 and isinstance(r.json_body, list), r.text
