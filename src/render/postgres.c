/* postgres.c: postgresql.conf (with PGTune's "web" profile) and pg_hba.conf. */
#include "render/render.h"

#include <stdio.h>
#include <string.h>

#include "lib/util.h"
#include "lib/valid.h"

#define KB_PER_MB 1024LL
#define KB_PER_GB 1048576LL

/* Keys berth owns in postgresql.conf (dropped from the user's text, listed by
 * render_postgresql_conf_ignored): the ones the image's entrypoint and berth's own commands
 * rely on (socket, port, files), includes (they would read other files), WAL archiving and
 * recovery (berth's backups and read replica), the libraries loaded into the server (berth
 * sets shared_preload_libraries from the extensions that need it), TLS (no certificate in
 * the container: the server would not start) and the server's log (the Logs tab reads the
 * container's output). */
static const char *const RESERVED[] = {
	"listen_addresses", "port", "data_directory", "hba_file", "ident_file", "config_file",
	"unix_socket_directories", "unix_socket_group", "unix_socket_permissions",
	"external_pid_file", "include*",
	"archive_mode", "archive_command", "archive_library", "archive_cleanup_command",
	"restore_command", "recovery_end_command", "primary_conninfo", "primary_slot_name",
	"promote_trigger_file", "recovery_target*",
	"shared_preload_libraries", "local_preload_libraries", "session_preload_libraries",
	"dynamic_library_path",
	"ssl", "ssl_*",
	"logging_collector", "log_destination", "log_directory", "log_filename",
	NULL,
};

/* Parses the user's text and drops the keys PostgreSQL does not know (it would refuse to
 * start); a name with a '.' is an extension's parameter, which PostgreSQL accepts. */
static void parse_extra(struct render_extra *x, const char *text)
{
	render_extra_parse(x, RENDER_POSTGRESQL_CONF, text, RESERVED);
	for (size_t i = 0; i < x->n; i++) {
		struct render_extra_line *l = &x->lines[i];
		if (l->kind != RX_KV || strchr(l->key, '.') || render_pg_param_known(l->key))
			continue;
		l->text = xasprintf("%s is not a parameter of PostgreSQL %d", l->key,
				    RENDER_PG_PARAMS_MAJOR);
		l->ignored = l->key;
		l->key = NULL;
		free(l->value);
		l->value = NULL;
		l->kind = RX_DROPPED;
	}
}

json_t *render_postgresql_conf_ignored(const char *extra)
{
	struct render_extra x;
	parse_extra(&x, extra);
	json_t *out = render_extra_ignored(&x);
	render_extra_release(&x);
	return out;
}

char *render_pg_create_extension_sql(const char *name, struct berr *err)
{
	if (!valid_pg_extension(name)) {
		berr_set(err, BE_VALIDATION_ERROR, "postgres_extensions",
			 "postgres_extensions: '%.80s' is not an extension name", name ? name : "");
		return NULL;
	}
	/* a valid name has no '"': quoting it is all the escaping it needs */
	return xasprintf("CREATE EXTENSION IF NOT EXISTS \"%s\";", name);
}

void render_pgtune(int cpu_c, long long ram_mb, int max_connections, struct render_pgtune *t)
{
	memset(t, 0, sizeof *t);
	t->cpus = cpu_c > 0 ? (cpu_c + 99) / 100 : 1;
	t->ram_kb = ram_mb * KB_PER_MB;
	t->max_connections = max_connections > 0 ? max_connections : 100;
	long long kb = t->ram_kb;
	t->shared_buffers_kb = kb / 4;
	t->effective_cache_size_kb = kb * 3 / 4;
	t->maintenance_work_mem_kb = kb / 16;
	if (t->maintenance_work_mem_kb >= 2 * KB_PER_GB)
		t->maintenance_work_mem_kb = 2 * KB_PER_GB;
	/* 3% of shared_buffers, at most 16 MB, rounded up to 16 MB from 14 MB, at least 32 kB */
	long long wal = 3 * t->shared_buffers_kb / 100;
	if (wal > 16 * KB_PER_MB)
		wal = 16 * KB_PER_MB;
	if (wal > 14 * KB_PER_MB && wal < 16 * KB_PER_MB)
		wal = 16 * KB_PER_MB;
	if (wal < 32)
		wal = 32;
	t->wal_buffers_kb = wal;
	t->min_wal_size_kb = 1024 * KB_PER_MB;
	t->max_wal_size_kb = 4096 * KB_PER_MB;
	t->huge_pages = t->shared_buffers_kb >= 2 * KB_PER_GB;
	if (t->cpus >= 4) {
		int half = (t->cpus + 1) / 2;
		t->max_worker_processes = t->cpus;
		t->max_parallel_workers_per_gather = half > 4 ? 4 : half;
		t->max_parallel_workers = t->cpus;
		t->max_parallel_maintenance_workers = half > 4 ? 4 : half;
	}
	/* (RAM - shared_buffers) / ((max_connections + max_worker_processes) * 3), where
	 * max_worker_processes is PostgreSQL's default 8 below 4 CPUs; at least 64 kB */
	long long workers = t->cpus >= 4 ? t->cpus : 8;
	long long wm = (kb - t->shared_buffers_kb) / ((t->max_connections + workers) * 3);
	t->work_mem_kb = wm < 64 ? 64 : wm;
}

void render_pg_size(long long kb, char out[32])
{
	if (kb % KB_PER_GB == 0)
		snprintf(out, 32, "%lldGB", kb / KB_PER_GB);
	else if (kb % KB_PER_MB == 0)
		snprintf(out, 32, "%lldMB", kb / KB_PER_MB);
	else
		snprintf(out, 32, "%lldkB", kb);
}

static void size_kv(struct sbuf *sb, const struct render_extra *x, const char *key, long long kb)
{
	char v[32];
	if (render_extra_has(x, key))
		return;
	render_pg_size(kb, v);
	sbuf_addf(sb, "%s = %s\n", key, v);
}

static void kv(struct sbuf *sb, const struct render_extra *x, const char *key, const char *v)
{
	if (!render_extra_has(x, key))
		sbuf_addf(sb, "%s = %s\n", key, v);
}

static void int_kv(struct sbuf *sb, const struct render_extra *x, const char *key, long long v)
{
	if (!render_extra_has(x, key))
		sbuf_addf(sb, "%s = %lld\n", key, v);
}

char *render_postgresql_conf(const struct render_pg *p, struct berr *err)
{
	int major = p->pg_major ? p->pg_major : 15;
	if (major < 10 || major > 99) {
		berr_set(err, BE_VALIDATION_ERROR, "pg_major", "pg_major: must be 10 or later");
		return NULL;
	}
	if (p->max_connections > 10000) {
		berr_set(err, BE_VALIDATION_ERROR, "max_connections",
			 "max_connections: must be at most 10000");
		return NULL;
	}
	if (p->pgtune && (p->ram_mb < 1 || p->ram_mb > 16LL * 1024 * 1024 || p->cpu_c < 1 ||
			  p->cpu_c > 100000)) {
		berr_set(err, BE_VALIDATION_ERROR, "ram_mb",
			 "ram_mb, cpu_c: PGTune needs the container's memory and CPU share");
		return NULL;
	}
	int maxc = p->max_connections > 0 ? p->max_connections : 100;
	if (p->preload && *p->preload) {
		/* comma-separated extension names (valid_pg_extension each) */
		char *copy = xstrdup(p->preload);
		bool ok = true;
		for (char *save = NULL, *t = strtok_r(copy, ",", &save); t;
		     t = strtok_r(NULL, ",", &save))
			ok = ok && valid_pg_extension(t);
		free(copy);
		if (!ok || p->preload[strlen(p->preload) - 1] == ',' || strstr(p->preload, ",,")) {
			berr_set(err, BE_VALIDATION_ERROR, "shared_preload_libraries",
				 "shared_preload_libraries: library names separated by commas");
			return NULL;
		}
	}
	struct render_extra x;
	parse_extra(&x, p->extra);
	struct sbuf sb = SBUF_INIT;

	sbuf_adds(&sb, "# postgresql.conf generated by berth: do not edit, the next deploy rewrites"
		       " it.\n"
		       "listen_addresses = '*'\n"
		       "port = 5432\n"
		       "unix_socket_directories = '/run/postgresql'\n");
	int_kv(&sb, &x, "max_connections", maxc);
	kv(&sb, &x, "password_encryption", "scram-sha-256");
	if (p->preload && *p->preload)
		sbuf_addf(&sb, "shared_preload_libraries = '%s'\n", p->preload);

	if (p->pgtune) {
		struct render_pgtune t;
		render_pgtune(p->cpu_c, p->ram_mb, maxc, &t);
		sbuf_addf(&sb,
			  "\n# PGTune (le0pard/pgtune)\n"
			  "# DB Version: %d\n"
			  "# OS Type: linux\n"
			  "# DB Type: web\n"
			  "# Total Memory (RAM): %lld MB\n"
			  "# CPUs num: %d\n"
			  "# Connections num: %d\n"
			  "# Data Storage: ssd\n",
			  major, p->ram_mb, t.cpus, maxc);
		size_kv(&sb, &x, "shared_buffers", t.shared_buffers_kb);
		size_kv(&sb, &x, "effective_cache_size", t.effective_cache_size_kb);
		size_kv(&sb, &x, "maintenance_work_mem", t.maintenance_work_mem_kb);
		kv(&sb, &x, "checkpoint_completion_target", "0.9");
		size_kv(&sb, &x, "wal_buffers", t.wal_buffers_kb);
		kv(&sb, &x, "default_statistics_target", "100");
		kv(&sb, &x, "random_page_cost", "1.1");
		kv(&sb, &x, "effective_io_concurrency", "200");
		size_kv(&sb, &x, "work_mem", t.work_mem_kb);
		kv(&sb, &x, "huge_pages", t.huge_pages ? "try" : "off");
		if (major >= 12)
			kv(&sb, &x, "jit", "off");
		kv(&sb, &x, "wal_compression", major >= 15 ? "lz4" : "on");
		size_kv(&sb, &x, "min_wal_size", t.min_wal_size_kb);
		size_kv(&sb, &x, "max_wal_size", t.max_wal_size_kb);
		if (t.max_worker_processes) {
			int_kv(&sb, &x, "max_worker_processes", t.max_worker_processes);
			int_kv(&sb, &x, "max_parallel_workers_per_gather",
			       t.max_parallel_workers_per_gather);
			int_kv(&sb, &x, "max_parallel_workers", t.max_parallel_workers);
			int_kv(&sb, &x, "max_parallel_maintenance_workers",
			       t.max_parallel_maintenance_workers);
		}
	}
	if (p->replication) {
		sbuf_adds(&sb, "\n# Streaming replication (read replica)\n");
		kv(&sb, &x, "wal_level", "replica");
		int_kv(&sb, &x, "max_wal_senders", 10);
		/* WAL kept for a replica that falls behind (no replication slot) */
		if (major >= 13)
			kv(&sb, &x, "wal_keep_size", "256MB");
		kv(&sb, &x, "hot_standby", "on");
	}
	render_extra_emit(&x, &sb, "PostgreSQL Configuration (environment settings)");
	render_extra_release(&x);
	return sbuf_detach(&sb);
}

/* A role name as a quoted pg_hba.conf token: "name", with " doubled. */
static bool hba_user(struct sbuf *sb, const char *u)
{
	size_t n = u ? strlen(u) : 0;
	if (n < 1 || n > 63 || !render_line_ok(u))
		return false;
	sbuf_addc(sb, '"');
	for (const char *p = u; *p; p++) {
		if (*p == '"')
			sbuf_addc(sb, '"');
		sbuf_addc(sb, *p);
	}
	sbuf_addc(sb, '"');
	return true;
}

char *render_pg_hba(const char *db_user, bool replication, const char *replica_user,
		    struct berr *err)
{
	struct sbuf u = SBUF_INIT, r = SBUF_INIT;
	if (!hba_user(&u, db_user)) {
		berr_set(err, BE_VALIDATION_ERROR, "db_user",
			 "db_user: one line of at most 63 bytes without control characters");
		sbuf_release(&u);
		return NULL;
	}
	if (replication && !hba_user(&r, replica_user)) {
		berr_set(err, BE_VALIDATION_ERROR, "replica_user",
			 "replica_user: one line of at most 63 bytes without control characters");
		sbuf_release(&u);
		sbuf_release(&r);
		return NULL;
	}
	struct sbuf sb = SBUF_INIT;
	sbuf_adds(&sb,
		  "# pg_hba.conf generated by berth: do not edit, the next deploy rewrites it.\n"
		  "# TYPE  DATABASE     USER        ADDRESS   METHOD\n"
		  "# The superuser, only over the container's own Unix socket (berth runs psql and\n"
		  "# pg_isready with docker exec); the socket is not reachable from outside.\n"
		  "local   all          postgres              trust\n"
		  "# The superuser's base backups for clones (ops/clone.c, docs/clones.md): over the\n"
		  "# same socket, or from the container's own loopback (a helper container joined to\n"
		  "# its network namespace by berth); neither is reachable from another container.\n"
		  "local   replication  postgres              trust\n"
		  "host    replication  postgres  127.0.0.1/32 trust\n"
		  "# The environment's role (Odoo, PgBouncer), from the environment's private network\n"
		  "# (samenet: the subnets the container is attached to), with a password.\n");
	sbuf_addf(&sb, "host    all          %-11s samenet   scram-sha-256\n", sbuf_str(&u));
	if (replication) {
		sbuf_adds(&sb, "# Streaming replication to the read replica.\n");
		sbuf_addf(&sb, "host    replication  %-11s samenet   scram-sha-256\n", sbuf_str(&r));
	}
	sbuf_release(&u);
	sbuf_release(&r);
	return sbuf_detach(&sb);
}
