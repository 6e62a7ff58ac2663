/* images.c: berth's own images, built through the Engine API from a context made here. The
 * tag carries a hash of the context, so a changed recipe builds a new image and an unchanged
 * one is reused. */
#include "ops/images.h"

#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sodium.h>

#include "lib/log.h"
#include "store/model.h"

#define BOOTSTRAP_TAG "berth/base:bookworm"

static const char PG_ENTRY[] =
	"#!/bin/sh\n"
	"# berth-postgres: initialises the cluster on first start (the role and its password come\n"
	"# from files under /etc/berth, never from the command line), then runs postgres. The\n"
	"# cluster is made in pgdata.init and renamed when complete, so an interrupted first start\n"
	"# starts over instead of leaving a cluster without its role.\n"
	"set -eu\n"
	"DATA=/var/lib/postgresql/data\n"
	"PGDATA=$DATA/pgdata\n"
	"NEW=$DATA/pgdata.init\n"
	"BIN=$(ls -d /usr/lib/postgresql/*/bin | tail -n 1)\n"
	"export PATH=\"$BIN:$PATH\"\n"
	"if [ \"$(id -u)\" = 0 ]; then\n"
	"  install -d -o postgres -g postgres -m 700 \"$DATA\"\n"
	"  install -d -o postgres -g postgres -m 775 /run/postgresql\n"
	"  chown -R postgres:postgres /etc/berth\n"
	"  chmod 600 /etc/berth/* 2>/dev/null || true\n"
	"  exec setpriv --reuid=postgres --regid=postgres --init-groups \"$0\" \"$@\"\n"
	"fi\n"
	"if [ ! -s \"$PGDATA/PG_VERSION\" ]; then\n"
	"  rm -rf \"$NEW\"\n"
	"  if [ \"${BERTH_PG_ROLE:-primary}\" = replica ]; then\n"
	"    PGPASSFILE=/etc/berth/pgpass pg_basebackup -h \"$BERTH_PG_PRIMARY\" -U replicator \\\n"
	"      -D \"$NEW\" -R -X stream -w\n"
	"  else\n"
	"    initdb -D \"$NEW\" -U postgres --auth-local=trust --auth-host=scram-sha-256 \\\n"
	"      --encoding=UTF8 --locale=C.UTF-8 >/dev/null\n"
	"    pg_ctl -D \"$NEW\" -o \"-c listen_addresses='' -c unix_socket_directories=/run/postgresql\" \\\n"
	"      -w start >/dev/null\n"
	"    psql -q -v ON_ERROR_STOP=1 -h /run/postgresql -U postgres -d postgres <<'SQL'\n"
	"\\set user `cat /etc/berth/db_user`\n"
	"\\set pw `cat /etc/berth/db_password`\n"
	"CREATE ROLE :\"user\" LOGIN CREATEDB PASSWORD :'pw';\n"
	"SQL\n"
	"    if [ -s /etc/berth/replication_password ]; then\n"
	"      psql -q -v ON_ERROR_STOP=1 -h /run/postgresql -U postgres -d postgres <<'SQL'\n"
	"\\set pw `cat /etc/berth/replication_password`\n"
	"CREATE ROLE replicator LOGIN REPLICATION PASSWORD :'pw';\n"
	"SQL\n"
	"    fi\n"
	"    pg_ctl -D \"$NEW\" -w stop >/dev/null\n"
	"  fi\n"
	"  mv \"$NEW\" \"$PGDATA\"\n"
	"  echo 'berth-postgres: cluster initialised'\n"
	"fi\n"
	"exec postgres -D \"$PGDATA\" -c config_file=/etc/berth/postgresql.conf \\\n"
	"  -c hba_file=/etc/berth/pg_hba.conf\n";

static const char PGB_ENTRY[] =
	"#!/bin/sh\n"
	"set -eu\n"
	"if [ \"$(id -u)\" = 0 ]; then\n"
	"  install -d -o postgres -g postgres /run/pgbouncer\n"
	"  chown -R postgres:postgres /etc/berth\n"
	"  chmod 600 /etc/berth/* 2>/dev/null || true\n"
	"  exec setpriv --reuid=postgres --regid=postgres --init-groups \"$0\" \"$@\"\n"
	"fi\n"
	"exec pgbouncer /etc/berth/pgbouncer.ini\n";

/* berth-mails (the mail catcher image's entrypoint and command, python3-aiosmtpd): stores
 * each mail in a Maildir on the volume, bounded; lists and shows them as JSON. */
static const char MAIL_ENTRY[] =
	"#!/usr/bin/python3\n"
	"\"\"\"berth-mails: berth's mail catcher (a non-production environment's outgoing mail server).\n"
	"\n"
	"  berth-mails serve         SMTP on port 1025 (no TLS, no authentication); each mail kept\n"
	"                            in the Maildir /var/lib/berth-mail/Maildir: the newest 1000\n"
	"                            mails, at most 50 MB, older ones dropped; nothing is relayed\n"
	"  berth-mails list [Q [N]]  JSON {\"mails\": [{id, from, to, subject, date, size}],\n"
	"                            \"total\"}: newest first, those whose from, to or subject hold\n"
	"                            Q (any case), at most N (default 50, at most 1000)\n"
	"  berth-mails show ID       JSON {id, from, to, cc, subject, date, text, html, headers};\n"
	"                            exit status 2 when there is no such mail\n"
	"\"\"\"\n"
	"import asyncio\n"
	"import datetime\n"
	"import email\n"
	"import email.policy\n"
	"import email.utils\n"
	"import json\n"
	"import os\n"
	"import re\n"
	"import secrets\n"
	"import signal\n"
	"import sys\n"
	"import time\n"
	"\n"
	"ROOT = os.environ.get(\"BERTH_MAILDIR\", \"/var/lib/berth-mail/Maildir\")\n"
	"MAX_MAILS = 1000\n"
	"MAX_BYTES = 50 * 1024 * 1024\n"
	"MAX_MAIL = 10 * 1024 * 1024\n"
	"MAX_PART = 1024 * 1024\n"
	"ID_RE = re.compile(r\"[0-9]{13}-[0-9a-f]{8}\")\n"
	"\n"
	"\n"
	"def dirs():\n"
	"    for d in (\"tmp\", \"new\", \"cur\"):\n"
	"        os.makedirs(os.path.join(ROOT, d), exist_ok=True)\n"
	"\n"
	"\n"
	"def stored():\n"
	"    \"\"\"[(id, path, size)] oldest first\"\"\"\n"
	"    out = []\n"
	"    for d in (\"new\", \"cur\"):\n"
	"        p = os.path.join(ROOT, d)\n"
	"        try:\n"
	"            names = os.listdir(p)\n"
	"        except OSError:\n"
	"            continue\n"
	"        for n in names:\n"
	"            mid = n.split(\":\", 1)[0]\n"
	"            if not ID_RE.fullmatch(mid):\n"
	"                continue\n"
	"            try:\n"
	"                out.append((mid, os.path.join(p, n), os.path.getsize(os.path.join(p, n))))\n"
	"            except OSError:\n"
	"                pass\n"
	"    out.sort()\n"
	"    return out\n"
	"\n"
	"\n"
	"def prune():\n"
	"    mails = stored()\n"
	"    total = sum(m[2] for m in mails)\n"
	"    while mails and (len(mails) > MAX_MAILS or total > MAX_BYTES):\n"
	"        mid, path, size = mails.pop(0)\n"
	"        try:\n"
	"            os.unlink(path)\n"
	"        except OSError:\n"
	"            pass\n"
	"        total -= size\n"
	"\n"
	"\n"
	"def save(data, mail_from, rcpt_tos):\n"
	"    mid = \"%013d-%s\" % (int(time.time() * 1000), secrets.token_hex(4))\n"
	"    head = \"Return-Path: <%s>\\r\\nX-Berth-Rcpt-To: %s\\r\\n\" % (\n"
	"        re.sub(r\"[\\r\\n<>]\", \"\", mail_from or \"\"),\n"
	"        \", \".join(re.sub(r\"[\\r\\n,]\", \"\", r) for r in rcpt_tos))\n"
	"    tmp = os.path.join(ROOT, \"tmp\", mid)\n"
	"    with open(tmp, \"wb\") as fh:\n"
	"        fh.write(head.encode(\"utf-8\", \"replace\") + data)\n"
	"        fh.flush()\n"
	"        os.fsync(fh.fileno())\n"
	"    os.rename(tmp, os.path.join(ROOT, \"new\", mid))\n"
	"    prune()\n"
	"    return mid\n"
	"\n"
	"\n"
	"class Handler:\n"
	"    async def handle_DATA(self, server, session, envelope):\n"
	"        data = envelope.original_content or envelope.content or b\"\"\n"
	"        if isinstance(data, str):\n"
	"            data = data.encode(\"utf-8\", \"replace\")\n"
	"        mid = save(data, envelope.mail_from, envelope.rcpt_tos)\n"
	"        print(\"berth-mails: caught %s from %s to %d recipient(s), %d bytes\" % (\n"
	"            mid, envelope.mail_from, len(envelope.rcpt_tos), len(data)), flush=True)\n"
	"        return \"250 OK caught by berth's mail catcher (not delivered)\"\n"
	"\n"
	"\n"
	"def serve():\n"
	"    from aiosmtpd.smtp import SMTP\n"
	"    dirs()\n"
	"    prune()\n"
	"    loop = asyncio.new_event_loop()\n"
	"    asyncio.set_event_loop(loop)\n"
	"    handler = Handler()\n"
	"    srv = loop.run_until_complete(loop.create_server(\n"
	"        lambda: SMTP(handler, data_size_limit=MAX_MAIL, enable_SMTPUTF8=True,\n"
	"                     decode_data=False, hostname=\"berth-mail-catcher\"),\n"
	"        host=\"0.0.0.0\", port=int(os.environ.get(\"BERTH_SMTP_PORT\", \"1025\"))))\n"
	"    for s in (signal.SIGTERM, signal.SIGINT):\n"
	"        loop.add_signal_handler(s, loop.stop)\n"
	"    print(\"berth-mails: catching mail on port 1025 into %s\" % ROOT, flush=True)\n"
	"    try:\n"
	"        loop.run_forever()\n"
	"    finally:\n"
	"        srv.close()\n"
	"    return 0\n"
	"\n"
	"\n"
	"def iso(mid):\n"
	"    ms = int(mid.split(\"-\", 1)[0])\n"
	"    return datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc).strftime(\n"
	"        \"%Y-%m-%dT%H:%M:%SZ\")\n"
	"\n"
	"\n"
	"def addrs(msg, name):\n"
	"    vals = [str(v) for v in (msg.get_all(name) or [])]\n"
	"    out = []\n"
	"    for real, addr in email.utils.getaddresses(vals):\n"
	"        if addr:\n"
	"            out.append(email.utils.formataddr((real, addr)) if real else addr)\n"
	"    return out\n"
	"\n"
	"\n"
	"def header(msg, name):\n"
	"    try:\n"
	"        v = msg.get(name)\n"
	"        return str(v) if v is not None else \"\"\n"
	"    except Exception:  # noqa: BLE001 (a malformed header: its raw text)\n"
	"        raw = msg.get_all(name, failobj=[\"\"])[0] if hasattr(msg, \"get_all\") else \"\"\n"
	"        return str(raw)\n"
	"\n"
	"\n"
	"def load(path, headersonly):\n"
	"    with open(path, \"rb\") as fh:\n"
	"        if headersonly:\n"
	"            data = b\"\"\n"
	"            for line in fh:\n"
	"                data += line\n"
	"                if line in (b\"\\r\\n\", b\"\\n\") or len(data) > 65536:\n"
	"                    break\n"
	"        else:\n"
	"            data = fh.read()\n"
	"    return email.message_from_bytes(data, policy=email.policy.default)\n"
	"\n"
	"\n"
	"def to_of(msg):\n"
	"    to = addrs(msg, \"To\")\n"
	"    if not to:\n"
	"        to = [a.strip() for a in header(msg, \"X-Berth-Rcpt-To\").split(\",\") if a.strip()]\n"
	"    return to\n"
	"\n"
	"\n"
	"def cmd_list(q, limit):\n"
	"    q = (q or \"\").lower()\n"
	"    mails = []\n"
	"    total = 0\n"
	"    for mid, path, size in reversed(stored()):\n"
	"        try:\n"
	"            msg = load(path, True)\n"
	"        except OSError:\n"
	"            continue\n"
	"        sender = header(msg, \"From\") or header(msg, \"Return-Path\").strip(\"<>\")\n"
	"        item = {\"id\": mid, \"from\": sender, \"to\": to_of(msg),\n"
	"                \"subject\": header(msg, \"Subject\"), \"date\": iso(mid), \"size\": size}\n"
	"        hay = \"%s %s %s\" % (sender, \" \".join(item[\"to\"]), item[\"subject\"])\n"
	"        if q and q not in hay.lower():\n"
	"            continue\n"
	"        total += 1\n"
	"        if len(mails) < limit:\n"
	"            mails.append(item)\n"
	"    json.dump({\"mails\": mails, \"total\": total}, sys.stdout)\n"
	"    return 0\n"
	"\n"
	"\n"
	"def part_text(msg, kind):\n"
	"    try:\n"
	"        part = msg.get_body(preferencelist=(kind,))\n"
	"    except Exception:  # noqa: BLE001\n"
	"        part = None\n"
	"    if part is None:\n"
	"        return None\n"
	"    try:\n"
	"        text = part.get_content()\n"
	"    except Exception:  # noqa: BLE001\n"
	"        payload = part.get_payload(decode=True) or b\"\"\n"
	"        text = payload.decode(\"utf-8\", \"replace\")\n"
	"    if isinstance(text, bytes):\n"
	"        text = text.decode(\"utf-8\", \"replace\")\n"
	"    return text[:MAX_PART]\n"
	"\n"
	"\n"
	"def cmd_show(mid):\n"
	"    if not ID_RE.fullmatch(mid or \"\"):\n"
	"        json.dump({\"error\": \"no such mail\"}, sys.stdout)\n"
	"        return 2\n"
	"    for m, path, size in stored():\n"
	"        if m == mid:\n"
	"            break\n"
	"    else:\n"
	"        json.dump({\"error\": \"no such mail\"}, sys.stdout)\n"
	"        return 2\n"
	"    msg = load(path, False)\n"
	"    headers = {}\n"
	"    for k in msg.keys():\n"
	"        if k in headers:\n"
	"            continue\n"
	"        headers[k] = \"\\n\".join(str(v) for v in msg.get_all(k))[:8192]\n"
	"    text = part_text(msg, \"plain\")\n"
	"    html = part_text(msg, \"html\")\n"
	"    if text is None and html is None and not msg.is_multipart():\n"
	"        raw = msg.get_payload(decode=True) or b\"\"\n"
	"        text = raw.decode(\"utf-8\", \"replace\")[:MAX_PART]\n"
	"    json.dump({\"id\": mid, \"from\": header(msg, \"From\"), \"to\": to_of(msg),\n"
	"               \"cc\": addrs(msg, \"Cc\"), \"subject\": header(msg, \"Subject\"),\n"
	"               \"date\": iso(mid), \"size\": size, \"text\": text, \"html\": html,\n"
	"               \"headers\": headers}, sys.stdout)\n"
	"    return 0\n"
	"\n"
	"\n"
	"def main(argv):\n"
	"    cmd = argv[1] if len(argv) > 1 else \"serve\"\n"
	"    if cmd == \"serve\":\n"
	"        return serve()\n"
	"    if cmd == \"list\":\n"
	"        limit = 50\n"
	"        if len(argv) > 3:\n"
	"            try:\n"
	"                limit = max(1, min(1000, int(argv[3])))\n"
	"            except ValueError:\n"
	"                pass\n"
	"        return cmd_list(argv[2] if len(argv) > 2 else \"\", limit)\n"
	"    if cmd == \"show\" and len(argv) == 3:\n"
	"        return cmd_show(argv[2])\n"
	"    sys.stderr.write(__doc__)\n"
	"    return 64\n"
	"\n"
	"\n"
	"if __name__ == \"__main__\":\n"
	"    sys.exit(main(sys.argv))\n";

struct recipe {
	const char *name;      /* berth/<name> */
	const char *packages;
	const char *entry;     /* entrypoint script or NULL */
	const char *tail;      /* extra Dockerfile lines */
};

static const struct recipe recipes[] = {
	[IMG_POSTGRES] = {"postgres", "postgresql-15 postgresql-client-15 util-linux", PG_ENTRY,
			  "STOPSIGNAL SIGINT\nEXPOSE 5432\n"},
	[IMG_PGBOUNCER] = {"pgbouncer", "pgbouncer util-linux", PGB_ENTRY, "EXPOSE 6432\n"},
	/* the edge: nginx, and uacme (ACME client, HTTP-01 through berth's hook; docs/tls.md);
	 * nginx's Lua module and /var/lib/berth-connect (the nginx workers' own) for Connect As
	 * User's one-time URLs (docs/connect.md) */
	[IMG_NGINX] = {"nginx", "nginx-light libnginx-mod-http-lua uacme ca-certificates",
		       NULL,
		       "RUN rm -f /etc/nginx/sites-enabled/default && mkdir -p /etc/nginx/sites.d "
		       "/etc/nginx/certs /var/www/berth/.well-known/acme-challenge && "
		       "install -d -o www-data -g www-data -m 700 /var/lib/berth-connect && "
		       "chmod 700 /etc/nginx/certs && ln -sf /dev/stdout /var/log/nginx/access.log && "
		       "ln -sf /dev/stderr /var/log/nginx/error.log\n"
		       "RUN printf '%s\\n' "
		       "'#!/bin/sh' "
		       "'# berth-acme-hook METHOD TYPE IDENT TOKEN AUTH: the uacme challenge hook of berth' "
		       "'# (HTTP-01 only): the key authorization goes where the edge serves the challenge.' "
		       "'D=/var/www/berth/.well-known/acme-challenge' "
		       "'[ \"$#\" -eq 5 ] && [ \"$2\" = http-01 ] || exit 1' "
		       "'case \"$4\" in \"\"|*[!A-Za-z0-9_-]*) exit 1;; esac' "
		       "'case \"$1\" in' "
		       "'begin) mkdir -p \"$D\" && printf \"%s\" \"$5\" > \"$D/$4\" && chmod 644 \"$D/$4\";;' "
		       "'done|failed) rm -f \"$D/$4\";;' "
		       "'*) exit 1;;' "
		       "'esac' "
		       "> /usr/local/bin/berth-acme-hook && chmod 755 /usr/local/bin/berth-acme-hook\n"
		       "STOPSIGNAL SIGQUIT\nEXPOSE 80 443\nCMD [\"nginx\", \"-g\", \"daemon off;\"]\n"},
	/* the mail catcher of non-production environments (env_mail.c), as a user of its own */
	[IMG_MAILCATCHER] = {"mailcatcher", "python3-aiosmtpd", MAIL_ENTRY,
			     "RUN useradd --system --uid 1025 --user-group --home-dir /var/lib/berth-mail "
			     "--shell /usr/sbin/nologin berth-mail && install -d -o berth-mail -g berth-mail "
			     "-m 700 /var/lib/berth-mail && ln -s /usr/local/bin/berth-entrypoint "
			     "/usr/local/bin/berth-mails\n"
			     "USER berth-mail\nEXPOSE 1025\nCMD [\"serve\"]\n"},
};

int images_pg_major(const char *odoo_version)
{
	(void)odoo_version; /* bookworm ships PostgreSQL 15, which Odoo 16-19 all support */
	return 15;
}

char *images_base_ref(void)
{
	char *s = model_setting_get("base_image");
	return s ? s : xstrdup("debian:bookworm-slim");
}

static void progress(void *cls, const char *line)
{
	struct job *j = cls;
	if (j && line && *line)
		job_log(j, "  %s", line);
}

/* Reads the Debian mirror from an apt sources file's text: first deb822 "URIs:" or
 * one-line "deb URL". */
static char *mirror_from(const char *text)
{
	if (!text)
		return NULL;
	const char *p = strstr(text, "URIs:");
	if (p) {
		p += 5;
		while (*p == ' ')
			p++;
	} else if ((p = strstr(text, "\ndeb ")) || (str_starts(text, "deb ") && (p = text - 1))) {
		p += 5;
		if (*p == '[')
			p = strchr(p, ']') ? strchr(p, ']') + 2 : p;
	}
	if (!p)
		return NULL;
	size_t n = strcspn(p, " \n\t");
	char *m = xstrndup(p, n);
	if (!str_starts(m, "http://") && !str_starts(m, "https://")) {
		free(m);
		return NULL;
	}
	return m;
}

static int run_argv(const char *const *argv, struct sbuf *out)
{
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -1;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 2);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	extern char **environ;
	pid_t pid;
	int rc = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	if (rc != 0) {
		close(pfd[0]);
		sbuf_addf(out, "cannot run %s: %s", argv[0], strerror(rc));
		return -1;
	}
	char buf[4096];
	ssize_t n;
	while ((n = read(pfd[0], buf, sizeof buf)) > 0)
		if (out->len < 65536)
			sbuf_add(out, buf, (size_t)n);
	close(pfd[0]);
	int st;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* debootstrap a minimal bookworm from the mirror where berthd runs and import it. */
static int bootstrap_base(struct engine *e, struct job *j, struct berr *err)
{
	char *sources = read_file("/etc/apt/sources.list.d/debian.sources", NULL);
	if (!sources)
		sources = read_file("/etc/apt/sources.list", NULL);
	char *mirror = mirror_from(sources);
	free(sources);
	if (!mirror)
		mirror = xstrdup("http://deb.debian.org/debian");
	char dir[] = "/tmp/berth-base-XXXXXX";
	if (!mkdtemp(dir)) {
		free(mirror);
		return berr_set(err, BE_INTERNAL_ERROR, NULL, "cannot make a temporary directory");
	}
	char *root = xasprintf("%s/rootfs", dir);
	char *tarpath = xasprintf("%s/rootfs.tar", dir);
	job_log(j, "bootstrapping %s from %s (debootstrap --variant=minbase bookworm)", BOOTSTRAP_TAG,
		mirror);
	struct sbuf out = SBUF_INIT;
	const char *dbs[] = {"debootstrap", "--variant=minbase", "bookworm", root, mirror, NULL};
	int rc = run_argv(dbs, &out);
	if (rc == 0) {
		char *list = xasprintf("deb %s bookworm main\ndeb %s bookworm-updates main\n", mirror,
				       mirror);
		char *path = xasprintf("%s/etc/apt/sources.list", root);
		write_file_atomic(path, list, strlen(list), 0644);
		free(path);
		free(list);
		sbuf_reset(&out);
		const char *tarv[] = {"tar", "-C", root, "-cf", tarpath, ".", NULL};
		rc = run_argv(tarv, &out);
	}
	if (rc < 0) {
		berr_set(err, BE_INTERNAL_ERROR, NULL, "bootstrapping the base image failed: %.300s",
			 sbuf_str(&out));
	} else {
		size_t len;
		char *tar = read_file(tarpath, &len);
		rc = tar ? engine_image_import(e, BOOTSTRAP_TAG, tar, len, err) : -1;
		if (!tar)
			berr_set(err, BE_INTERNAL_ERROR, NULL, "cannot read %s", tarpath);
		free(tar);
	}
	const char *rmv[] = {"rm", "-rf", dir, NULL};
	struct sbuf ignore = SBUF_INIT;
	run_argv(rmv, &ignore);
	sbuf_release(&ignore);
	sbuf_release(&out);
	free(root);
	free(tarpath);
	free(mirror);
	return rc;
}

/* The base to build FROM: the configured image if present or pullable, else a bootstrapped
 * one. */
static char *ensure_base(struct engine *e, struct job *j, struct berr *err)
{
	char *base = images_base_ref();
	if (engine_image_exists(e, base))
		return base;
	if (engine_image_exists(e, BOOTSTRAP_TAG)) {
		free(base);
		return xstrdup(BOOTSTRAP_TAG);
	}
	struct berr perr = {0};
	job_log(j, "pulling %s", base);
	if (engine_image_pull(e, base, &perr) == 0 && engine_image_exists(e, base))
		return base;
	job_log(j, "cannot pull %s (%s): bootstrapping a Debian base instead", base, perr.message);
	free(base);
	if (bootstrap_base(e, j, err) < 0)
		return NULL;
	return xstrdup(BOOTSTRAP_TAG);
}

int images_ensure(struct engine *e, struct job *j, enum berth_image which, char *tag, size_t len,
		  struct berr *err)
{
	const struct recipe *r = &recipes[which];
	/* the tag depends on the recipe and the base name, so changes rebuild */
	char *base_pref = images_base_ref();
	unsigned char h[crypto_generichash_BYTES];
	crypto_generichash_state st;
	crypto_generichash_init(&st, NULL, 0, sizeof h);
	crypto_generichash_update(&st, (const unsigned char *)r->packages, strlen(r->packages));
	if (r->entry)
		crypto_generichash_update(&st, (const unsigned char *)r->entry, strlen(r->entry));
	crypto_generichash_update(&st, (const unsigned char *)r->tail, strlen(r->tail));
	crypto_generichash_update(&st, (const unsigned char *)base_pref, strlen(base_pref));
	crypto_generichash_final(&st, h, sizeof h);
	free(base_pref);
	char hex[9];
	sodium_bin2hex(hex, sizeof hex, h, 4);
	snprintf(tag, len, "berth/%s:%s", r->name, hex);
	if (engine_image_exists(e, tag))
		return 0;
	char *base = ensure_base(e, j, err);
	if (!base)
		return -1;
	struct sbuf df = SBUF_INIT;
	sbuf_addf(&df, "FROM %s\n", base);
	sbuf_addf(&df, "RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y"
		       " --no-install-recommends %s && rm -rf /var/lib/apt/lists/*\n", r->packages);
	if (r->entry)
		sbuf_adds(&df, "COPY entrypoint /usr/local/bin/berth-entrypoint\n"
			       "RUN chmod 755 /usr/local/bin/berth-entrypoint && mkdir -p /etc/berth\n"
			       "ENTRYPOINT [\"/usr/local/bin/berth-entrypoint\"]\n");
	sbuf_adds(&df, r->tail);
	sbuf_addf(&df, "LABEL berth.managed=1 berth.image=%s\n", r->name);
	struct efile files[2] = {
		{"Dockerfile", df.buf, df.len, 0644},
		{"entrypoint", r->entry, r->entry ? strlen(r->entry) : 0, 0755},
	};
	struct sbuf ctx = SBUF_INIT;
	engine_tar(files, r->entry ? 2 : 1, &ctx);
	job_log(j, "building %s from %s", tag, base);
	int rc = engine_image_build(e, tag, &ctx, progress, j, err);
	sbuf_release(&ctx);
	sbuf_release(&df);
	free(base);
	return rc;
}
