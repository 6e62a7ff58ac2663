#!/usr/bin/env python3
"""Writes the seed corpora of berth's fuzz targets (tests/fuzz/corpus/<target>/) from the
values of the golden files (tests/golden/render, tests/unit/test_render.c) and typical
settings. Run it again after changing the input format of a target (fuzz.h); libFuzzer
keeps what it finds in build/fuzz/corpus, not here."""
import hashlib
import os
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
NUL, SEP, NULL = b"\0", b"\x1e", b"\x18"


def fields(*fs):
    return NUL.join(f if isinstance(f, bytes) else str(f).encode() for f in fs)


def items(*xs):
    return SEP.join(x.encode() for x in xs)


ODOO_EXTRA = ("[options]\r\n; tuned for the import jobs\r\nworkers = 12\r\nlimit_time_cpu = 600\r\n"
              "limit_time_real=1200\r\n  server_wide_modules = base,web,queue_job\r\n"
              "admin_passwd = hijack\r\nhttp_port = 80\r\nsmtp_port = 25\r\ndb_password = x\r\n"
              "workers = 16\r\nthis is not a setting\r\nWorkers = 3\r\ncsv_internal_sep = %\r\n"
              "\r\n[queue_job]\r\nchannels = root:4\r\n")
PG_EXTRA = ("# reporting queries\nwork_mem = 64MB\t\t# per sort\n"
            "shared_preload_libraries = 'pg_stat_statements'\npg_stat_statements.track = all\n"
            "search_path = \"$user\", public\nlog_line_prefix = '%m [%p] ''%d'' '\n"
            "listen_addresses = 'localhost'\ninclude = '/etc/passwd'\ninclude_dir '/tmp'\n"
            "; a semicolon comment\nrandom_page_cost = 1.5\n"
            "default_text_search_config = pg_catalog.english\nlog_directory = /var/log/pg\\x\n")
TEXTS = [
    ODOO_EXTRA, PG_EXTRA, "", "workers = 4\n", "workers = 4\n  limit_time_cpu = 1\n",
    "[options]\nadmin_passwd = x\n", "[other]\nkey = v\n[options]\nk2 = v\n",
    "db_host = evil\nhttp_port = 1\nlongpolling_port = 2\n", "# c\n; c\n\n\nkey=value\n",
    "k = 'unterminated\nk2 = 'a\\'\nk3 = 'a''b' # c\nk4 = a b c\n", "x.y = 1\nx.y.z = 2\n.a = 1\n",
    "key = v\rinjected = 1\n", "key = v\x0binjected = 1\n", "key = v\u2028injected = 1\n",
    "key = \u00a0v\u00a0\nlist_db = True\n", "include_if_exists = 'x'\nINCLUDE = 'y'\n",
]


def site_seeds():
    full = fields(31, "full", items("erp.acme-corp.com", "shop.apps.example.com", "erp.acme-corp.com"),
                  "berth-da63639c1afe-odoo", 8069, 8072, "512M", 600, 60, 120, 90, "SAMEORIGIN",
                  items("/etc/berth/certs/erp.acme-corp.com/fullchain.pem", "\x18",
                        "/etc/berth/certs/erp.acme-corp.com/fullchain.pem"),
                  items("/etc/berth/certs/erp.acme-corp.com/privkey.pem", "\x18",
                        "/etc/berth/certs/erp.acme-corp.com/privkey.pem"),
                  items("173.245.48.0/20", "2400:cb00::/32"), items("https://shop.example.com", "*"),
                  items("10.0.0.0/8", "2001:db8::1"), items("203.0.113.7"), "10r/m", "100r/s",
                  "default-src 'self'; img-src 'self' data:; frame-ancestors 'self'")
    return [
        b"", b"0", b"1", b"16", b"31", b"32", b"63",
        fields(32, "ide", items("shop.apps.example.com"), "berth-e1-ide", 8069, 8072, "100M",
               300, 30, 65, 60, "SAMEORIGIN"),
        fields(0, "standard", items("shop.apps.example.com"), "berth-e1-odoo", 8069, 8072, "100M",
               300, 30, 65, 60, "SAMEORIGIN"),
        fields(1, "tiny", items("dev-1.apps.example.com"), "berth-e2-odoo", 8069, 8072, "20m", 300,
               30, 65, 60, "DENY"),
        full,
        fields(8, "rl", items("a.example.com"), "o", 8069, 8072, "1g", 1, 1, 1, 1, "DENY", b"", b"",
               b"", b"", b"", b"", "1r/s", "999999r/m"),
        fields(0, "inj", items("a.example.com;b"), "o;x", 8069, 8072, "1M; return 200", 300, 30, 65,
               60, "DENY always; add_header X y"),
        fields(2, "csp", items("a.example.com"), "o", 8069, 8072, "1M", 300, 30, 65, 60, "DENY",
               b"", b"", b"", items("https://a.example.com\"", "http://b.example.com:8080"),
               items("1.2.3.4;"), items("::1/129"), "5r/m", "60r/s",
               "default-src 'self' \"$host\" }\n{ x"),
        fields(20, "tls", items("a.example.com", "b.example.com"), "o", 1, 65535, "999999", 3600,
               3600, 3600, 3600, "SAMEORIGIN", items("/etc/x y.pem", "/etc/ok.pem"),
               items("/etc/k;.pem", "/etc/ok.key")),
    ]


def odoo_seeds():
    smtp = ('{"db_filter": "^(shop|shop-test)$", "smtp": {"host": "smtp.example.com", "encryption":'
            ' "starttls", "user": "odoo@example.com", "from": "noreply@example.com"}}')
    eff = ('{"workers": 12, "max_cron_threads": 2, "log_level": "info", "limit_memory_soft_mb": 2048,'
           ' "limit_memory_hard_mb": 2560}')
    out = [b"", fields("berth-e1-pgbouncer", 6432, "odoo", "Zx9fQ2mL7pR4tW8k", "shop", "adm1n-pw",
                       "berth-e1-db-replica", 5432, smtp, eff, "s3cr%t;#pass",
                       "/mnt/extra-addons,/mnt/repos/oca-queue", ODOO_EXTRA)]
    for t in TEXTS:
        out.append(fields("h", 5432, "u", "p", "d.b", "a", NULL, 5432, "{}", "{}", NULL, NULL, t))
    out.append(fields("h", 5432, "u", " p", "d", "True", NULL, 1, '{"smtp": {"host": "h", "encryption": "ssl",'
                      ' "port": 465}}', "{}", "x\ny", "/a,,/b"))
    return out


def pg_seeds():
    out = [b"", fields(400, 8192, 1, 200, 16, 1, PG_EXTRA), fields(100, 512, 0, 0, 12, 1),
           fields(0, 0, 1, 20000, 9, 0)]
    for t in TEXTS:
        out.append(fields(200, 2048, 1, 100, 15, 0, t))
    return out


SETTINGS = {
    "odoo_shm_mb": ["64", "16", "65537", "\"64\""], "odoo_memory_limit_mb": ["0", "2048"],
    "odoo_memory_reservation_mb": ["512"], "odoo_config": [f'"{t}"' for t in
                                                           ["workers = 4\\nlimit_time_cpu = 600",
                                                            "[options]\\nadmin_passwd = x",
                                                            "key = a\\rb = c"]],
    "server_shared_addons": ["true", "1"], "server_shared_addons_path": ['"/srv/berth/addons"', '"/"', '""'],
    "external_filestore": ["false"], "external_filestore_path": ['"/srv/berth/filestore/e1"',
                                                                 '"/srv/../etc"'],
    "backup_schedule": ['"02:00 14:00"', '""', '"25:00"', '"02:00 02:00"'],
    "backup_keep_daily": ["7"], "backup_keep_weekly": ["4"], "backup_keep_monthly": ["12"],
    "backup_manual_keep_days": ["0"], "auto_restart": ["true"], "logs_max_mb": ["200"],
    "postgres_shm_mb": ["64"], "postgres_memory_limit_mb": ["0"], "postgres_memory_reservation_mb": ["0"],
    "postgres_config": ['"shared_buffers = 1GB\\nwork_mem = 64MB"', '"include = \'/etc/passwd\'"',
                        '"log_line_prefix = \'%m [%p] \'"'],
    "postgres_extensions": ['["pg_trgm", "unaccent"]', '["Bad-Name"]'], "anonymize_database": ["true"],
    "cors_origins": ['["https://shop.example.com", "http://localhost:3000", "*"]', '["https://a.com;"]'],
    "ip_whitelist": ['["192.168.1.0/24", "2001:db8::/32", "10.0.0.1"]'],
    "ip_blacklist": ['["203.0.113.7"]', '["1.2.3.4/33"]'], "rate_limit": ["true"],
    "rate_limit_login": ['"5r/m"', '""', '"0r/s"'], "rate_limit_general": ['"60r/s"'],
    "csp": ["true"], "csp_policy": ['"default-src \'self\'"', '""',
                                    '"default-src \'self\' \\"x\\"; img-src $host"',
                                    '"default-src \'self\'; script-src \'self\' \'unsafe-inline\'"'],
    "extra_domains": ['["shop.example.com", "www.example.org"]'], "force_ssl": ["true"], "hsts": ["true"],
    "nginx_max_upload": ['"100M"', '""', '"1g"', '"1 M"'], "nginx_proxy_read_timeout_s": ["300", "0"],
    "nginx_proxy_connect_timeout_s": ["30"], "nginx_keepalive_timeout_s": ["65"],
    "nginx_send_timeout_s": ["60"], "nginx_x_frame_options": ['"SAMEORIGIN"', '"DENY"', '"ALLOW"'],
    "odoo_packages": ['["libcups2-dev", "g++"]', '["-o"]'], "postgres_packages": ['["postgresql-contrib"]'],
}

VALID = ["erp.example.com", "a-b.c", "-a.com", "a..b", "localhost", "192.0.2.1", "::1", "user@example.com",
         "main", "feature/x", "refs/heads/../x", "0123456789abcdef", "https://github.com/a/b.git",
         "git@github.com:a/b.git", "/srv/repos/x", "file:///srv/x", "-oProxyCommand=x", "PATH",
         "/etc/berth/certs/a/fullchain.pem", "/a/../b", "0f5f1a2e-8e0b-4c7f-9d3a-1b2c3d4e5f60",
         "True", " x", "x\u00a0", "^(shop|test)$", "%d_%h", "smtp.example.com", "odoo@example.com",
         "https://hooks.example.com/x?y=1", "http://[::1]:8080/", "backups", "my.bucket-1",
         "eu-central-1", "berth/backups/", "AKIAEXAMPLE", "secret+/=", "~/backups", "/srv/b",
         "backup@host", "SHA256:" + "A" * 43, "Ünïcödé Name!", "it's", "a\nb", "a\tb", "x\u0085y",
         "x\u2028y", "192.168.1.0/24", "2001:db8::/32", "1.2.3.4/33", "100M", "1000000k", "5r/m",
         "0r/s", "https://shop.example.com:8443", "*", "default-src 'self'", 'a"b', "a${b}",
         "libcups2-dev", "g++", "pg_trgm", "/srv/berth/acme", "/srv//x"]


def write(target, seeds):
    d = os.path.join(HERE, "corpus", target)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    for s in seeds:
        name = hashlib.sha1(s).hexdigest()[:16]
        with open(os.path.join(d, name), "wb") as f:
            f.write(s)


def esc(b):
    out = ""
    for c in b:
        if c in (0x22, 0x5c):
            out += "\\" + chr(c)
        elif 0x20 <= c < 0x7f:
            out += chr(c)
        else:
            out += "\\x%02x" % c
    return '"' + out + '"'


def write_dict(name, title, toks):
    with open(os.path.join(HERE, name), "w") as f:
        f.write("# " + title + " (written by make_corpus.py)\n")
        for t in toks:
            f.write(esc(t.encode()) + "\n")


def dicts():
    import re
    with open(os.path.join(HERE, "..", "..", "src", "core", "settings.c")) as f:
        keys = re.findall(r'\{\.key = "([a-z_]+)"', f.read())
    write_dict("fuzz_settings.dict", "settings keys and JSON (fuzz_settings)",
               [k + "\n" for k in keys] + ['""', "null", "true", "[]", '["', "\\u0000", "\\n", "\\t",
                                          "\\r", "\\u2028", "\\u0085", '\\"', ";", "{", "}", "$", "#",
                                          "'", "r/s", "r/m", "https://", "/", "::"])
    write_dict("fuzz_nginx_site.dict", "nginx syntax and the site input format (fuzz_nginx_site)",
               ["\0", "\x1e", "\x18", ";", "{", "}", "#", "$", "${", '"', "'", "\\", "\n", "\r", "\t",
                " ", "(", ")", "r/s", "r/m", "https://", "http://", ":", "::", "/32", "/128", "*",
                ".com", "example", "SAMEORIGIN", "DENY", "/etc/", ".pem", "default-src", "'self'",
                "return", "add_header", "always", "\u0085", "\u2028"])
    conf = ["\0", " = ", "=", "[", "]", "[options]", "\n", "\r", "\x0b", "\x0c", "\t", "'", "''",
            "\\", "#", ";", ":", ".", "True", "None", "\u00a0", "\u0085", "\u2028", "admin_passwd",
            "db_password", "http_port", "_port", "workers", "dbfilter", "list_db", "addons_path",
            "logfile", "include", "include_dir", "port", "listen_addresses", "data_directory",
            "hba_file", "shared_buffers", "0x", "1e5", '{"smtp": {"host": "h"}}', '"db_filter"', "%d"]
    for n in ("fuzz_odoo_conf", "fuzz_postgresql_conf", "fuzz_extra_parse"):
        write_dict(n + ".dict", "odoo.conf and postgresql.conf text (%s)" % n, conf)
    write_dict("fuzz_valid.dict", "validators (fuzz_valid)",
               [".", "-", "..", "/../", "@", ":", "://", "https://", "http://", "ssh://", "file://",
                "git@", "[", "]", "%", "%d", "True", "SHA256:", "xn--", "-s3alias", "\u0085",
                "\u00a0", "\u2028", "\u2000", "\n", "\t", "\x7f", "'", ".lock", "@{"])


def main():
    dicts()
    write("fuzz_nginx_site", site_seeds())
    write("fuzz_odoo_conf", odoo_seeds())
    write("fuzz_postgresql_conf", pg_seeds())
    write("fuzz_extra_parse", [t.encode() for t in TEXTS])
    write("fuzz_settings", [f"{k}\n{v}".encode() for k, vs in SETTINGS.items() for v in vs + ["null"]])
    write("fuzz_valid", [v.encode() for v in VALID])


if __name__ == "__main__":
    main()
