#include "store/model.h"

#include <math.h>
#include <string.h>

#include "lib/log.h"
#include "lib/secret.h"
#include "lib/util.h"
#include "lib/valid.h"
#include "store/db.h"

int model_user_create(const char *email, const char *name, const char *password, bool is_admin,
		      char uid[37], struct berr *err)
{
	uuid4(uid);
	char *hash = password_hash(password);
	char *now = iso8601_now();
	int rc = db_exec("INSERT INTO users(id, email, name, password_hash, is_admin, created_at)"
			 " VALUES(?,?,?,?,?,?)",
			 "ssssbs", uid, email, name, hash, (int)is_admin, now);
	free(hash);
	free(now);
	if (rc == -2)
		return berr_set(err, BE_CONFLICT, "email", "A user with email %s already exists", email);
	if (rc < 0)
		return berr_set(err, BE_INTERNAL_ERROR, NULL, NULL);
	return 0;
}

json_t *model_user_get(const char *uid)
{
	return db_row("SELECT id, email, name, is_admin, created_at FROM users WHERE id=?", "s", uid);
}

struct plan_seed {
	const char *name;
	double cpu;
	long long ram, disk, envs, servers, projects, members;
	int ide, backup, tuning, nginx, ipwl, connect, merge, dflt;
};

void model_seed_plans(void)
{
	static const struct plan_seed seeds[] = {
		{"Free", 2, 4096, 20, 2, 1, 1, 3, 0, 0, 0, 0, 0, 0, 0, 1},
		{"Pro", 16, 32768, 500, 20, 5, 10, 25, 1, 1, 1, 1, 0, 1, 1, 0},
		{"Enterprise", 256, 524288, 10000, 500, 100, 200, 500, 1, 1, 1, 1, 1, 1, 1, 0},
	};
	if (db_int(0, "SELECT count(*) FROM plans", "") > 0)
		return;
	char *now = iso8601_now();
	for (size_t i = 0; i < ARRAY_SIZE(seeds); i++) {
		const struct plan_seed *s = &seeds[i];
		char id[37];
		uuid4(id);
		db_exec("INSERT INTO plans(id, name, cpu_cores, ram_mb, disk_gb, max_environments,"
			" max_servers, max_projects, max_members, allow_ide, allow_backup,"
			" allow_instance_tuning, allow_nginx_tuning, allow_ip_whitelist, allow_connect,"
			" allow_merge, is_default, created_at, updated_at)"
			" VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
			"ssdiiiiiibbbbbbbbss", id, s->name, s->cpu, (int64_t)s->ram, (int64_t)s->disk,
			(int64_t)s->envs, (int64_t)s->servers, (int64_t)s->projects, (int64_t)s->members,
			s->ide, s->backup, s->tuning, s->nginx, s->ipwl, s->connect, s->merge, s->dflt,
			now, now);
	}
	free(now);
}

json_t *model_plan_get(const char *plan_id)
{
	return db_row("SELECT * FROM plans WHERE id=?", "s", plan_id);
}

json_t *model_org_plan(const char *org_id)
{
	return db_row("SELECT p.* FROM plans p JOIN orgs o ON o.plan_id=p.id WHERE o.id=?", "s",
		      org_id);
}

int model_member_add(const char *org_id, const char *uid, const char *role, json_t *projects)
{
	char *now = iso8601_now();
	int rc = db_exec("INSERT INTO members(org_id, user_id, role, projects, created_at)"
			 " VALUES(?,?,?,?,?)",
			 "sssjs", org_id, uid, role, projects, now);
	free(now);
	return rc;
}

json_t *model_org_create(const char *name, const char *owner_uid, const char *plan_name,
			 struct berr *err)
{
	char *plan = plan_name
			     ? db_str("SELECT id FROM plans WHERE name=?", "s", plan_name)
			     : db_str("SELECT id FROM plans ORDER BY is_default DESC, cpu_cores LIMIT 1", "");
	if (!plan) {
		berr_set(err, BE_INTERNAL_ERROR, NULL, "No plan to give the organization");
		return NULL;
	}
	char id[37];
	uuid4(id);
	char *base = slugify(name, 40);
	char *slug = xstrdup(base);
	for (int n = 2; db_int(0, "SELECT count(*) FROM orgs WHERE slug=?", "s", slug) > 0; n++) {
		free(slug);
		slug = xasprintf("%s-%d", base, n);
	}
	char *now = iso8601_now();
	int rc = db_exec("INSERT INTO orgs(id, name, slug, plan_id, created_at) VALUES(?,?,?,?,?)",
			 "sssss", id, name, slug, plan, now);
	free(now);
	free(base);
	free(slug);
	free(plan);
	if (rc < 0 || model_member_add(id, owner_uid, "owner", NULL) < 0) {
		berr_set(err, BE_INTERNAL_ERROR, NULL, NULL);
		return NULL;
	}
	return model_org_get(id, owner_uid);
}

static const char *ORG_SELECT =
	"SELECT o.id, o.name, o.slug, o.plan_id, p.name AS plan_name, m.role, o.timezone,"
	" o.created_at"
	" FROM orgs o JOIN plans p ON p.id=o.plan_id LEFT JOIN members m ON m.org_id=o.id AND m.user_id=?";

json_t *model_org_get(const char *org_id, const char *uid)
{
	char *sql = xasprintf("%s WHERE o.id=?", ORG_SELECT);
	json_t *o = db_row(sql, "ss", uid, org_id);
	free(sql);
	return o;
}

json_t *model_orgs_of_user(const char *uid)
{
	char *sql = xasprintf("%s WHERE m.user_id IS NOT NULL ORDER BY o.created_at, o.name", ORG_SELECT);
	json_t *a = db_rows(sql, "s", uid);
	free(sql);
	return a;
}

/* Resource sums over environments; a read replica adds 30% of CPU and RAM, 100% of disk. */
#define ENV_SUMS                                                                                \
	"SELECT coalesce(sum(cpu_cores + CASE WHEN enable_read_replica THEN round(cpu_cores*0.3, 2)" \
	" ELSE 0 END), 0) AS cpu, coalesce(sum(ram_mb + CASE WHEN enable_read_replica THEN"          \
	" CAST(round(ram_mb*0.3) AS INTEGER) ELSE 0 END), 0) AS ram,"                                \
	" coalesce(sum(disk_gb * (1 + enable_read_replica)), 0) AS disk, count(*) AS n"               \
	" FROM environments"

void model_org_usage(const char *org_id, const char *exclude_env_id, struct usage *u)
{
	memset(u, 0, sizeof *u);
	json_t *s = db_row(ENV_SUMS " WHERE org_id=? AND id IS NOT ?", "ss", org_id, exclude_env_id);
	u->cpu_cores = json_number_value(json_object_get(s, "cpu"));
	u->ram_mb = json_integer_value(json_object_get(s, "ram"));
	u->disk_gb = json_integer_value(json_object_get(s, "disk"));
	u->environments = json_integer_value(json_object_get(s, "n"));
	json_decref(s);
	u->servers = db_int(0, "SELECT count(*) FROM servers WHERE org_id=?", "s", org_id);
	u->projects = db_int(0, "SELECT count(*) FROM projects WHERE org_id=?", "s", org_id);
	u->members = db_int(0, "SELECT count(*) FROM members WHERE org_id=?", "s", org_id) +
		     db_int(0, "SELECT count(*) FROM invitations WHERE org_id=? AND accepted_at IS NULL"
			       " AND expires_ts > strftime('%s','now')", "s", org_id);
}

static double round2(double x)
{
	return round(x * 100.0) / 100.0;
}

static json_t *triple_real(double used, double quota)
{
	return json_pack("{s:f,s:f,s:f}", "used", round2(used), "quota", quota, "available",
			 round2(quota - used));
}

static json_t *triple_int(long long used, long long quota)
{
	return json_pack("{s:I,s:I,s:I}", "used", (json_int_t)used, "quota", (json_int_t)quota,
			 "available", (json_int_t)(quota - used));
}

json_t *model_org_usage_json(const char *org_id)
{
	struct usage u;
	model_org_usage(org_id, NULL, &u);
	json_t *p = model_org_plan(org_id);
#define Q(k) json_integer_value(json_object_get(p, k))
	json_t *o = json_pack("{s:s,s:s}", "org_id", org_id, "plan",
			      json_string_value(json_object_get(p, "name")));
	json_object_set_new(o, "cpu_cores",
			    triple_real(u.cpu_cores, json_number_value(json_object_get(p, "cpu_cores"))));
	json_object_set_new(o, "ram_mb", triple_int(u.ram_mb, Q("ram_mb")));
	json_object_set_new(o, "disk_gb", triple_int(u.disk_gb, Q("disk_gb")));
	json_object_set_new(o, "environments", triple_int(u.environments, Q("max_environments")));
	json_object_set_new(o, "servers", triple_int(u.servers, Q("max_servers")));
	json_object_set_new(o, "projects", triple_int(u.projects, Q("max_projects")));
	json_object_set_new(o, "members", triple_int(u.members, Q("max_members")));
#undef Q
	json_object_set_new(o, "note", json_string("read replicas count 30% of their environment's "
						   "CPU and RAM and 100% of its disk"));
	json_decref(p);
	return o;
}

void model_server_alloc(const char *server_id, const char *exclude_env_id, struct server_alloc *a)
{
	json_t *s = db_row(ENV_SUMS " WHERE vm_id=? AND id IS NOT ?", "ss", server_id, exclude_env_id);
	a->cpu_cores = json_number_value(json_object_get(s, "cpu"));
	a->ram_mb = json_integer_value(json_object_get(s, "ram"));
	a->disk_gb = json_integer_value(json_object_get(s, "disk"));
	a->environments = json_integer_value(json_object_get(s, "n"));
	json_decref(s);
}

static void decorate_server(json_t *s)
{
	struct server_alloc a;
	model_server_alloc(json_string_value(json_object_get(s, "id")), NULL, &a);
	json_t *cpu = json_object_get(s, "cpu_cores"), *ram = json_object_get(s, "ram_mb"),
	       *disk = json_object_get(s, "disk_gb");
	json_object_set_new(s, "capacity",
			    json_pack("{s:O,s:O,s:O}", "cpu_cores", cpu, "ram_mb", ram, "disk_gb", disk));
	json_object_set_new(s, "allocated",
			    json_pack("{s:f,s:I,s:I}", "cpu_cores", round2(a.cpu_cores), "ram_mb",
				      (json_int_t)a.ram_mb, "disk_gb", (json_int_t)a.disk_gb));
	if (json_is_number(cpu))
		json_object_set_new(
			s, "remaining",
			json_pack("{s:f,s:I,s:I}", "cpu_cores", round2(json_number_value(cpu) - a.cpu_cores),
				  "ram_mb", (json_int_t)(json_integer_value(ram) - a.ram_mb), "disk_gb",
				  (json_int_t)(json_integer_value(disk) - a.disk_gb)));
	else
		json_object_set_new(s, "remaining", json_null());
	json_object_set_new(s, "environment_count", json_integer(a.environments));
	json_object_del(s, "cpu_cores");
	json_object_del(s, "ram_mb");
	json_object_del(s, "disk_gb");
}

static const char *SERVER_COLS =
	"SELECT id, org_id, name, transport, host, port, user, auth_method, host_key, docker_socket,"
	" max_projects, http_port, https_port, cloudflare_proxy, status, status_reason,"
	" docker_version, cpu_cores, ram_mb, disk_gb, last_checked_at, created_at, updated_at,"
	" mounts_root FROM servers";

json_t *model_server_get(const char *server_id)
{
	char *sql = xasprintf("%s WHERE id=?", SERVER_COLS);
	json_t *s = db_row(sql, "s", server_id);
	free(sql);
	if (s)
		decorate_server(s);
	return s;
}

json_t *model_servers_of_org(const char *org_id)
{
	char *sql = xasprintf("%s WHERE org_id=? ORDER BY name", SERVER_COLS);
	json_t *a = db_rows(sql, "s", org_id);
	free(sql);
	size_t i;
	json_t *s;
	json_array_foreach(a, i, s)
		decorate_server(s);
	return a;
}

char *model_setting_get(const char *key)
{
	return db_str("SELECT value FROM settings WHERE key=?", "s", key);
}

void model_setting_set(const char *key, const char *value)
{
	db_exec("INSERT INTO settings(key, value) VALUES(?,?) ON CONFLICT(key) DO UPDATE SET"
		" value=excluded.value",
		"ss", key, value);
}

void model_audit(const char *org_id, const char *user_id, const char *actor, const char *action,
		 const char *target_type, const char *target_id, json_t *details, const char *ip)
{
	char *now = iso8601_now();
	db_exec("INSERT INTO audit(org_id, user_id, actor, action, target_type, target_id, details,"
		" source_ip, created_at) VALUES(?,?,?,?,?,?,?,?,?)",
		"ssssssjss", org_id, user_id, actor, action, target_type, target_id, details, ip, now);
	json_decref(details);
	free(now);
	log_event(LOG_INFO, "change",
		  json_pack("{s:s,s:s?,s:s?,s:s?}", "action", action, "org", org_id, "target",
			    target_id, "user", actor));
}
