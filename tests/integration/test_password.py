"""POST /api/v1/auth/password: the caller's own password. The current one is checked (and
counted by the login throttling), the new one follows the rules of setup and invitations;
the user's other login sessions end, the one asking and the API keys stay; audited as
user.password. Works with a bearer token and with the console's cookie (which needs the
anti-CSRF header like any cookie POST)."""
import os

import pytest
import requests

from conftest import ADMIN_EMAIL, ADMIN_PASSWORD, BUILD, new_user

NEW = "a brand new passphrase"
PATH = "/api/v1/auth/password"


def expect_error(r, status, code, field=None):
    assert r.status_code == status, r.text
    e = r.json_body["error"] if hasattr(r, "json_body") else r.json()["error"]
    assert e["code"] == code, r.text
    if field is not None:
        assert e.get("field") == field, r.text
    return e


def login(berthd, email, password):
    return berthd.api().post("/api/v1/auth/login", {"email": email, "password": password})


def cookie_login(berthd, email=ADMIN_EMAIL, password=ADMIN_PASSWORD):
    s = requests.Session()
    r = s.post(berthd.url + "/api/v1/auth/login",
               json={"email": email, "password": password, "session": "cookie"}, timeout=10)
    assert r.status_code == 200, r.text
    return s, r.json()["csrf_token"]


def test_change_revokes_other_sessions_keeps_this_one_and_keys(berthd, admin):
    others = [login(berthd, ADMIN_EMAIL, ADMIN_PASSWORD).json_body["access_token"]
              for _ in range(2)]
    cookie, _ = cookie_login(berthd)
    r = admin.post("/api/v1/api-keys", {"name": "ci"})
    assert r.status_code == 201, r.text
    key = r.json_body["key"]
    u = new_user(berthd, admin)  # another user's session is not touched

    r = admin.post(PATH, {"current_password": ADMIN_PASSWORD, "new_password": NEW})
    assert r.status_code == 200, r.text
    assert r.json_body == {"revoked_sessions": 3}
    assert admin.get("/api/v1/me").status_code == 200
    for tok in others:
        expect_error(berthd.api(tok).get("/api/v1/me"), 401, "UNAUTHORIZED")
    assert cookie.get(berthd.url + "/api/v1/me", timeout=10).status_code == 401
    assert berthd.api(key).get("/api/v1/me").status_code == 200
    assert u.get("/api/v1/me").status_code == 200
    # the old password no longer logs in, the new one does
    expect_error(login(berthd, ADMIN_EMAIL, ADMIN_PASSWORD), 401, "INVALID_CREDENTIALS")
    assert login(berthd, ADMIN_EMAIL, NEW).status_code == 200
    # audited in the user's organization, as the user, without any password in it
    audit = admin.get("/api/v1/orgs/%s/audit" % admin.org_id).json_body
    e = [x for x in audit if x["action"] == "user.password"]
    assert len(e) == 1, audit
    assert e[0]["target_type"] == "user" and e[0]["target_id"] == admin.user_id, e
    assert e[0]["details"] == {"revoked_sessions": 3}, e
    assert ADMIN_PASSWORD not in str(audit) and NEW not in str(audit)
    # a second change: nothing else to revoke
    r = admin.post(PATH, {"current_password": NEW, "new_password": ADMIN_PASSWORD + "!"})
    assert r.status_code == 200 and r.json_body == {"revoked_sessions": 1}, r.text


def test_validation(berthd, admin):
    for body, field in (({"new_password": NEW}, "current_password"),
                        ({"current_password": ADMIN_PASSWORD}, "new_password"),
                        ({"current_password": ADMIN_PASSWORD, "new_password": 7}, "new_password"),
                        ({"current_password": "wrong password!", "new_password": NEW},
                         "current_password"),
                        ({"current_password": ADMIN_PASSWORD, "new_password": "short"},
                         "new_password"),
                        ({"current_password": ADMIN_PASSWORD, "new_password": "x" * 257},
                         "new_password"),
                        ({"current_password": ADMIN_PASSWORD, "new_password": "password1234"},
                         "new_password"),
                        ({"current_password": ADMIN_PASSWORD, "new_password": " " * 14},
                         "new_password"),
                        ({"current_password": ADMIN_PASSWORD, "new_password": ADMIN_PASSWORD},
                         "new_password")):
        expect_error(admin.post(PATH, body), 400, "VALIDATION_ERROR", field)
    expect_error(berthd.api().post(PATH, {"current_password": ADMIN_PASSWORD,
                                          "new_password": NEW}), 401, "UNAUTHORIZED")
    # nothing changed
    assert login(berthd, ADMIN_EMAIL, ADMIN_PASSWORD).status_code == 200
    audit = admin.get("/api/v1/orgs/%s/audit" % admin.org_id).json_body
    assert not [x for x in audit if x["action"] == "user.password"]


def test_cookie_needs_csrf_header(berthd, admin):
    s, csrf = cookie_login(berthd)
    body = {"current_password": ADMIN_PASSWORD, "new_password": NEW}
    r = s.post(berthd.url + PATH, json=body, timeout=10)
    expect_error(r, 403, "PERMISSION_DENIED")
    assert login(berthd, ADMIN_EMAIL, ADMIN_PASSWORD).status_code == 200
    r = s.post(berthd.url + PATH, json=body, headers={"X-Berth-CSRF": csrf}, timeout=10)
    assert r.status_code == 200, r.text
    # the admin's bearer session and the one login above end; the cookie session stays
    assert r.json()["revoked_sessions"] == 2, r.text
    assert s.get(berthd.url + "/api/v1/me", timeout=10).status_code == 200
    expect_error(admin.get("/api/v1/me"), 401, "UNAUTHORIZED")


def test_read_only_key_may_not(berthd, admin):
    r = admin.post("/api/v1/api-keys", {"name": "ro", "scope": "read-only"})
    ro = berthd.api(r.json_body["key"])
    expect_error(ro.post(PATH, {"current_password": ADMIN_PASSWORD, "new_password": NEW}), 403,
                 "PERMISSION_DENIED")


@pytest.mark.skipif(os.path.basename(BUILD.rstrip("/")) == "asan",
                    reason="mostly waiting (about 15 s): run once, in the plain pass")
def test_wrong_current_passwords_are_counted_like_logins(berthd, admin):
    """Guessing through the password change is throttled as a login is: ten wrong ones lock
    the account from this address (for logins too), and the right one is refused then."""
    u = new_user(berthd, admin)
    for i in range(10):
        expect_error(u.post(PATH, {"current_password": "wrong-%d-xxxxx" % i,
                                   "new_password": NEW}), 400, "VALIDATION_ERROR",
                     "current_password")
    expect_error(u.post(PATH, {"current_password": "password-for-tests", "new_password": NEW}),
                 429, "TOO_MANY_ATTEMPTS")
    expect_error(login(berthd, u.email, "password-for-tests"), 429, "TOO_MANY_ATTEMPTS")
    # the session itself still works; the password did not change
    assert u.get("/api/v1/me").status_code == 200


# ---- the CLI: berth passwd ------------------------------------------------------------------

@pytest.fixture
def cli(admin, berthd):
    from test_cli import Cli
    c = Cli(berthd.url)
    c.login()
    yield c
    c.cleanup()


def test_cli_passwd_from_stdin(cli, berthd, admin):
    from test_cli import API
    other = login(berthd, ADMIN_EMAIL, ADMIN_PASSWORD).json_body["access_token"]
    p = cli.fails(API, "passwd", "--password-stdin", input="not the password\n" + NEW + "\n")
    assert "current_password" in p.stderr, p.stderr
    p = cli.fails(API, "passwd", "--password-stdin", input=ADMIN_PASSWORD + "\nshort\n")
    assert "new_password" in p.stderr, p.stderr
    out = cli.ok("passwd", "--password-stdin", input=ADMIN_PASSWORD + "\n" + NEW + "\n")
    # the admin fixture's session, and the login above, signed out; the CLI's own stays
    assert "Password changed. 2 other sessions were signed out" in out, out
    assert ADMIN_PASSWORD not in out and NEW not in out
    cli.ok("whoami")
    expect_error(berthd.api(other).get("/api/v1/me"), 401, "UNAUTHORIZED")
    assert login(berthd, ADMIN_EMAIL, NEW).status_code == 200
    assert cli.json("passwd", "--password-stdin",
                    input=NEW + "\n" + ADMIN_PASSWORD + "!\n") == {"revoked_sessions": 1}


def test_cli_passwd_on_a_terminal(cli, berthd):
    from test_cli import OK, USAGE, run_tty
    code, out = run_tty(cli, ["passwd"], [("Current password: ", ADMIN_PASSWORD + "\n"),
                                          ("New password: ", NEW + "\n"),
                                          ("Repeat it: ", NEW + "x\n")])
    assert code == USAGE and "differ" in out, out
    code, out = run_tty(cli, ["passwd"], [("Current password: ", ADMIN_PASSWORD + "\n"),
                                          ("New password: ", NEW + "\n"),
                                          ("Repeat it: ", NEW + "\n")])
    assert code == OK and "Password changed" in out, out
    assert ADMIN_PASSWORD not in out and NEW not in out  # not echoed
    assert login(berthd, ADMIN_EMAIL, NEW).status_code == 200
