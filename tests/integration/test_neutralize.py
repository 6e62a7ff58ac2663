"""Neutralization and anonymization of a copied database (docs/clones.md, "Neutralization and
anonymization"), through the restore of a production backup into a staging environment of the
same project (the restore neutralizes a non-production target, and anonymizes when the source's
anonymize_database setting is on): Odoo's `odoo neutralize` then berth's SQL, checked in the
database; the production keeps its data."""
import pytest

import runtime as rt
from neutral_helpers import (create_env, create_project, key, make_platform, put_settings,
                             remove_env, send_mail, sink_total, sql, start_sink,
                             teardown_platform)

pytestmark = pytest.mark.skipif(not rt.docker_available(), reason="no Docker Engine")


@pytest.fixture(scope="module")
def platform():
    rt.ensure_standin()
    a = make_platform()
    yield a
    teardown_platform(a)


def seed_production(a, prod, sink):
    """Rows of a live database: a customer with her user, a message about her, an outgoing
    server (the sink), a custom scheduled action."""
    sql(prod, "INSERT INTO res_partner (name, email, phone, street, zip, city, vat, mobile,"
              " active) VALUES ('Jane Customer', 'jane@customer.example', '+32 2 555 12 34',"
              " 'Rue Secrète 7', '1000', 'Brussels', 'BE0477472701', '+32 470 11 22 33', true)")
    pid = sql(prod, "SELECT id FROM res_partner WHERE email = 'jane@customer.example'")
    sql(prod, "INSERT INTO res_users (login, active, partner_id, company_id, share) VALUES"
              " ('jane@customer.example', true, %s, 1, true)" % pid)
    mid = sql(prod, "INSERT INTO mail_message (subject, body, email_from, author_id, model,"
                    " res_id, message_type) VALUES ('Your order', '<p>Secret order for Jane</p>',"
                    " 'Jane Customer <jane@customer.example>', %s, 'res.partner', %s, 'email')"
                    " RETURNING id" % (pid, pid)).splitlines()[0]
    sql(prod, "INSERT INTO mail_tracking_value (old_value_char, new_value_char, mail_message_id)"
              " VALUES ('jane@old.example', 'jane@customer.example', %s)" % mid)
    sql(prod, "INSERT INTO ir_mail_server (name, smtp_host, smtp_port, smtp_encryption, sequence,"
              " active) VALUES ('Production SMTP', '%s', 1025, 'none', 1, true)" % sink)
    act = sql(prod, "INSERT INTO ir_act_server (name, usage, state, model_name, code) VALUES"
                    " ('{\"en_US\": \"Sync orders\"}', 'ir_cron', 'code', 'sale.order',"
                    " 'model._sync()') RETURNING id").splitlines()[0]
    cron = sql(prod, "INSERT INTO ir_cron (ir_actions_server_id, cron_name, user_id, active,"
                     " nextcall) VALUES (%s, 'Sync orders', 1, true, now()) RETURNING id"
               % act).splitlines()[0]
    sql(prod, "INSERT INTO ir_model_data (module, name, model, res_id) VALUES"
              " ('shop_sync', 'ir_cron_sync_orders', 'ir.cron', %s)" % cron)
    return int(pid)


def test_restore_into_staging_neutralizes_and_anonymizes(platform):
    a = platform
    prod = create_env(a, "production", prefix="prod")
    staging = create_env(a, "staging", prefix="stg")
    # the production's outgoing server: a sink on its network (what a real one would receive)
    sink = start_sink(a, prod)
    jane = seed_production(a, prod, sink)
    assert sql(prod, "SELECT count(*) FROM ir_cron WHERE active") == "3"

    # settings: the production asks for anonymized copies; the staging keeps one cron more
    put_settings(a, prod, "postgresql", {"anonymize_database": True})
    r = a.put("/api/v1/environments/%s/settings/odoo" % staging["id"],
              {"neutralize_keep_crons": ["base.ir_cron_res_users_deletion; DROP TABLE x"]})
    assert r.status_code == 400, r.text
    assert r.json_body["error"]["field"] == "neutralize_keep_crons"
    put_settings(a, staging, "odoo", {"neutralize_keep_crons": ["base.ir_cron_res_users_deletion"]})

    r = a.post("/api/v1/environments/%s/backups" % prod["id"], {"scope": "full"})
    assert r.status_code == 202, r.text
    bid = r.json_body["backup_id"]
    assert rt.wait_job(a, r.json_body["id"])["status"] == "done"
    job = rt.run_job(a, "POST", "/api/v1/backups/%s/restore" % bid,
                     {"target_environment_id": staging["id"], "safety_backup": False})
    log = rt.job_log(a, job["id"])
    assert "==> Neutralize" in log
    assert "outgoing mail servers deactivated: " in log
    assert "outgoing mail servers: 1 active (the catcher), 2 inactive" in log
    assert "scheduled actions: 2 active, 1 inactive" in log
    assert "database.is_neutralized: true" in log
    assert "anonymizing " in log and "res_partner: " in log

    # crons: off but base's autovacuum and the kept one
    rows = sql(staging, "SELECT d.module || '.' || d.name, c.active FROM ir_cron c JOIN ir_model_data d"
                        " ON d.model = 'ir.cron' AND d.res_id = c.id ORDER BY 1").splitlines()
    assert rows == ["base.autovacuum_job|t", "base.ir_cron_res_users_deletion|t",
                    "shop_sync.ir_cron_sync_orders|f"], rows
    # mail servers: the catcher the only active one (Odoo's dummy and production's are off)
    mail = "berth-%s-mail" % key(staging)
    assert sql(staging, "SELECT name, smtp_host, smtp_port FROM ir_mail_server WHERE active") == \
        "berth mail catcher|%s|1025" % mail
    assert sql(staging, "SELECT count(*) FROM ir_mail_server WHERE NOT active") == "2"
    assert sql(staging, "SELECT value FROM ir_config_parameter WHERE key = 'database.is_neutralized'") \
        == "true"
    assert sql(staging, "SELECT active FROM ir_ui_view WHERE key = 'web.neutralize_banner'") == "t"

    # anonymized: the customer, her user and partner agree, the message and its tracking
    p = sql(staging, "SELECT name, coalesce(email, ''), phone, street, vat, city FROM res_partner"
                     " WHERE id = %d" % jane).split("|")
    assert p[0] == "User %s" % sql(staging, "SELECT id FROM res_users WHERE partner_id = %d" % jane)
    assert "jane" not in p[1] and p[1].endswith("@anonymized.invalid")
    assert p[2] != "+32 2 555 12 34" and p[3] != "Rue Secrète 7" and p[4] == "ANON%d" % jane
    assert p[5] == "Brussels"  # kept: fiscal rules read the city and zip
    uid = sql(staging, "SELECT id FROM res_users WHERE partner_id = %d" % jane)
    assert sql(staging, "SELECT login FROM res_users WHERE id = %s" % uid) == \
        "user-%s@anonymized.invalid" % uid == p[1]
    assert sql(staging, "SELECT count(*) FROM res_partner WHERE email LIKE '%jane%'"
                        " OR name LIKE '%Jane%'") == "0"
    assert "Secret" not in sql(staging, "SELECT string_agg(body, ' ') FROM mail_message")
    assert sql(staging, "SELECT email_from FROM mail_message WHERE author_id = %d" % jane) == \
        '"Partner %d" <partner-%d@anonymized.invalid>' % (jane, jane)
    assert sql(staging, "SELECT old_value_char || ',' || new_value_char FROM mail_tracking_value") \
        == "(anonymized),(anonymized)"
    # the administrator, __system__ and the company untouched
    assert sql(staging, "SELECT login FROM res_users WHERE id = 2") == \
        sql(prod, "SELECT login FROM res_users WHERE id = 2")
    assert sql(staging, "SELECT name, email FROM res_partner WHERE id IN (1, 3) ORDER BY id") == \
        sql(prod, "SELECT name, email FROM res_partner WHERE id IN (1, 3) ORDER BY id")
    assert sql(staging, "SELECT login FROM res_users WHERE id = 1") == "__system__"
    # the production keeps everything
    assert sql(prod, "SELECT email FROM res_partner WHERE id = %d" % jane) == "jane@customer.example"
    assert sql(prod, "SELECT count(*) FROM ir_cron WHERE active") == "3"
    assert sql(prod, "SELECT count(*) FROM ir_config_parameter WHERE key = 'database.is_neutralized'") \
        == "0"

    # the restored staging sends through its catcher; the production's server gets nothing
    rt.docker("network", "connect", "berth-%s" % key(staging), sink)
    out = send_mail(staging, "jane@customer.example", "Staging test", "from the copy")
    assert out["sent"] is True and out["smtp_host"] == mail, out
    assert sink_total(sink) == 0
    r = a.get("/api/v1/environments/%s/mails" % staging["id"])
    assert r.status_code == 200, r.text
    assert [m["subject"] for m in r.json_body["mails"]] == ["Staging test"]

    # neutralizing again changes nothing more (idempotent), kept crons stay on
    job = rt.run_job(a, "POST", "/api/v1/backups/%s/restore" % bid,
                     {"target_environment_id": staging["id"], "safety_backup": False})
    assert sql(staging, "SELECT count(*) FROM ir_mail_server WHERE active") == "1"
    assert sql(staging, "SELECT count(*) FROM ir_mail_server WHERE name = 'berth mail catcher'") == "1"
    rt.docker("network", "disconnect", "berth-%s" % key(staging), sink)
    remove_env(a, staging)


def test_restore_without_anonymization_keeps_personal_data(platform):
    """A source whose anonymize_database is off: neutralized, not anonymized."""
    a = platform
    prod = create_env(a, "production", prefix="prod2")
    staging = create_env(a, "development", prefix="dev")
    sql(prod, "INSERT INTO res_partner (name, email) VALUES ('Kept Person', 'kept@example.com')")
    r = a.post("/api/v1/environments/%s/backups" % prod["id"], {"scope": "db"})
    assert r.status_code == 202, r.text
    assert rt.wait_job(a, r.json_body["id"])["status"] == "done"
    job = rt.run_job(a, "POST", "/api/v1/backups/%s/restore" % r.json_body["backup_id"],
                     {"target_environment_id": staging["id"], "safety_backup": False})
    log = rt.job_log(a, job["id"])
    assert "anonymizing" not in log and "scheduled actions deactivated: " in log
    assert sql(staging, "SELECT email FROM res_partner WHERE name = 'Kept Person'") == \
        "kept@example.com"
    assert sql(staging, "SELECT smtp_host FROM ir_mail_server WHERE active") == \
        "berth-%s-mail" % key(staging)
    remove_env(a, staging)
