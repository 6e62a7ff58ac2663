"""Neutralization and anonymization on the other versions' schemas (16.0, 17.0, 19.0): the
restore of a production backup into a development environment of the same project runs the
same SQL as test_neutralize.py does on 18.0 (19.0's res_partner has no mobile column). Its own
file so that pytest-xdist runs it next to test_neutralize.py (--dist loadfile); the ASan pass
leaves it out (the same C paths as test_neutralize.py)."""
import pytest

import runtime as rt
from neutral_helpers import (create_env, create_project, key, make_platform, put_settings,
                             remove_env, sql, teardown_platform)

pytestmark = pytest.mark.skipif(not rt.docker_available(), reason="no Docker Engine")


@pytest.fixture(scope="module")
def platform():
    rt.ensure_standin()
    a = make_platform()
    yield a
    teardown_platform(a)


@pytest.mark.parametrize("version", ["16.0", "17.0", "19.0"])
def test_other_versions(platform, version):
    """The same SQL on the schemas of the other versions (19.0's res_partner has no mobile)."""
    a = platform
    pid = create_project(a, version)
    prod = create_env(a, "production", prefix="p" + version[:2], project_id=pid)
    dev = create_env(a, "development", prefix="d" + version[:2], project_id=pid)
    sql(prod, "INSERT INTO res_partner (name, email, phone, street, vat) VALUES"
              " ('Old Customer', 'old@customer.example', '0123', 'Main St 1', 'BE01')")
    sql(prod, "INSERT INTO ir_mail_server (name, smtp_host, smtp_port, active) VALUES"
              " ('Live SMTP', 'smtp.example.com', 25, true)")
    put_settings(a, prod, "postgresql", {"anonymize_database": True})
    r = a.post("/api/v1/environments/%s/backups" % prod["id"], {"scope": "db"})
    assert r.status_code == 202, r.text
    assert rt.wait_job(a, r.json_body["id"])["status"] == "done"
    job = rt.run_job(a, "POST", "/api/v1/backups/%s/restore" % r.json_body["backup_id"],
                     {"target_environment_id": dev["id"], "safety_backup": False})
    log = rt.job_log(a, job["id"])
    assert "res_partner: " in log and "scheduled actions: 1 active" in log, log
    assert sql(dev, "SELECT smtp_host FROM ir_mail_server WHERE active") == "berth-%s-mail" % key(dev)
    assert sql(dev, "SELECT count(*) FROM res_partner WHERE email LIKE '%customer.example'") == "0"
    assert sql(dev, "SELECT active FROM ir_ui_view WHERE key = 'web.neutralize_banner'") == "t"
    assert sql(dev, "SELECT value FROM ir_config_parameter WHERE key = 'database.is_neutralized'") \
        == "true"
    remove_env(a, dev)
