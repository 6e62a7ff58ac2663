/* The servers table as typed rows (store/servers.c) and the one place that unseals a server's
 * credential into a connection description (ops/conn.c): the target carries what the row and
 * the sealed credential say, release wipes and clears it, an operation on a remote server
 * needs its pinned host key, a probe pins a key only once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/secret.h"
#include "lib/util.h"
#include "ops/conn.h"
#include "store/db.h"
#include "store/model.h"
#include "store/servers.h"

static char dir[64];
static char org_id[37];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/berth-unit-conn-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	struct berr err = {0};
	if (db_open(dir, &err) < 0)
		return -1;
	model_seed_plans();
	char uid[37];
	if (model_user_create("owner@example.com", "Owner", "password-1", false, uid, &err) < 0)
		return -1;
	json_t *o = model_org_create("Acme", uid, NULL, &err);
	if (!o)
		return -1;
	snprintf(org_id, sizeof org_id, "%s", json_string_value(json_object_get(o, "id")));
	json_decref(o);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	db_shutdown();
	const char *names[] = {"berth.db", "berth.db-wal", "berth.db-shm", "berth.db-journal"};
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		char *p = xasprintf("%s/%s", dir, names[i]);
		unlink(p);
		free(p);
	}
	rmdir(dir);
	return 0;
}

static void add_ssh(const char *name, const char *cred_json, char id[37])
{
	char *sealed = secret_seal(cred_json);
	struct server_new n = {
		.org_id = org_id, .name = name, .transport = "ssh", .host = "192.0.2.5", .port = 2222,
		.user = "deploy", .auth_method = "key", .credential_sealed = sealed,
		.docker_socket = SERVER_DEFAULT_DOCKER_SOCKET, .max_projects = 8, .http_port = 80,
		.https_port = 443,
	};
	assert_int_equal(servers_insert(&n, id), 0);
	free(sealed);
}

static void test_typed_row_and_writes(void **state)
{
	(void)state;
	char id[37], id2[37];
	add_ssh("one", "{\"private_key\":\"KEY\"}", id);
	struct server_row r;
	assert_int_equal(servers_get(id, &r), 0);
	assert_string_equal(r.name, "one");
	assert_string_equal(r.transport, "ssh");
	assert_string_equal(r.host, "192.0.2.5");
	assert_int_equal(r.port, 2222);
	assert_string_equal(r.status, "pending");
	assert_null(r.host_key);
	assert_null(r.docker_version);
	server_row_free(&r);
	assert_int_equal(servers_get("no-such-id", &r), -1);
	/* a second server with the same name in the organization */
	struct server_new dup = {.org_id = org_id, .name = "one", .transport = "local",
				 .auth_method = "local", .docker_socket = "/x", .port = 22};
	assert_int_equal(servers_insert(&dup, id2), -2);
	add_ssh("two", "{\"password\":\"pw\"}", id2);
	struct server_patch p = {.name = "one"};
	assert_int_equal(servers_update(id2, &p), -2);
	/* the first probe pins the key, later ones do not replace it; a new host forgets it */
	struct server_probe_rec rec = {.status = "running", .host_key = "SHA256:first",
				       .docker_version = "27.0", .cpu_cores = 2, .ram_mb = 1024,
				       .disk_gb = 10};
	assert_int_equal(servers_record_probe(id, &rec), 0);
	rec.host_key = "SHA256:second";
	assert_int_equal(servers_record_probe(id, &rec), 0);
	assert_int_equal(servers_get(id, &r), 0);
	assert_string_equal(r.host_key, "SHA256:first");
	assert_string_equal(r.docker_version, "27.0");
	server_row_free(&r);
	struct server_patch h = {.host = "192.0.2.6"};
	assert_int_equal(servers_update(id, &h), 0);
	assert_int_equal(servers_get(id, &r), 0);
	assert_null(r.host_key);
	server_row_free(&r);
	json_t *envs = servers_environments(id);
	assert_int_equal(json_array_size(envs), 0);
	json_decref(envs);
	assert_int_equal(servers_delete(id), 0);
	assert_int_equal(servers_get(id, &r), -1);
}

static void test_target_unsealed_and_wiped(void **state)
{
	(void)state;
	char id[37];
	add_ssh("keyed", "{\"private_key\":\"-----BEGIN OPENSSH PRIVATE KEY-----\\nAAAA\"}", id);
	struct engine_target t;
	struct berr err = {0};
	assert_int_equal(server_target_load(id, &t, &err), 0);
	assert_string_equal(t.transport, "ssh");
	assert_string_equal(t.host, "192.0.2.5");
	assert_int_equal(t.port, 2222);
	assert_string_equal(t.user, "deploy");
	assert_string_equal(t.docker_socket, SERVER_DEFAULT_DOCKER_SOCKET);
	assert_non_null(t.private_key);
	assert_non_null(strstr(t.private_key, "OPENSSH PRIVATE KEY"));
	assert_null(t.password);
	assert_null(t.known_host_key);
	target_release(&t);
	struct engine_target zero;
	memset(&zero, 0, sizeof zero);
	assert_memory_equal(&t, &zero, sizeof t);
	assert_int_equal(server_target_load("no-such-id", &t, &err), -1);
	assert_int_equal(err.code, BE_SERVER_NOT_FOUND);
}

static void test_operations_need_a_pinned_key(void **state)
{
	(void)state;
	char id[37];
	add_ssh("unpinned", "{\"password\":\"pw\"}", id);
	struct berr err = {0};
	assert_null(engine_open_server(id, &err));
	assert_int_equal(err.code, BE_CONFLICT);
	assert_non_null(strstr(err.message, "not pinned"));
	berr_clear(&err);
	assert_null(engine_open_server("no-such-id", &err));
	assert_int_equal(err.code, BE_SERVER_NOT_FOUND);
}

static void add_local(const char *name, const char *sock, char id[37])
{
	struct server_new n = {
		.org_id = org_id, .name = name, .transport = "local", .host = "localhost", .port = 22,
		.auth_method = "local", .docker_socket = sock, .max_projects = 8, .http_port = 80,
		.https_port = 443,
	};
	assert_int_equal(servers_insert(&n, id), 0);
}

/* Runs last: the allow-list is process state, set once as berthd_main does. */
static void test_local_sockets_only_those_allowed(void **state)
{
	(void)state;
	/* the defaults */
	assert_true(conn_socket_allowed("/var/run/docker.sock"));
	assert_true(conn_socket_allowed("/run/docker.sock"));
	assert_string_equal(conn_socket_default(), "/var/run/docker.sock");
	const char *never[] = {"/run/dbus/system_bus_socket", "/var/run/docker.sock/..",
			       "/var/run/../run/docker.sock", "//var/run/docker.sock",
			       "var/run/docker.sock", "", NULL};
	for (const char **p = never; *p; p++)
		assert_false(conn_socket_allowed(*p));
	assert_false(conn_socket_allowed(NULL));
	/* a server stored with a socket that is not allowed is never connected to */
	char id[37], ok_id[37];
	add_local("bus", "/run/dbus/system_bus_socket", id);
	add_local("engine", "/var/run/docker.sock", ok_id);
	struct engine_target t;
	struct berr err = {0};
	assert_int_equal(server_target_load(id, &t, &err), -1);
	assert_int_equal(err.code, BE_VALIDATION_ERROR);
	assert_string_equal(err.field, "docker_socket");
	assert_null(t.docker_socket);
	assert_int_equal(server_target_load(ok_id, &t, &err), 0);
	target_release(&t);
	/* --docker-socket-allow replaces the defaults; a directory allows the sockets in it */
	assert_int_equal(conn_socket_allow("relative.sock"), -1);
	assert_int_equal(conn_socket_allow("/srv/engines/"), 0);
	assert_null(conn_socket_default());
	assert_int_equal(conn_socket_allow("/opt/docker.sock"), 0);
	assert_string_equal(conn_socket_default(), "/opt/docker.sock");
	assert_true(conn_socket_allowed("/srv/engines/a.sock"));
	assert_true(conn_socket_allowed("/opt/docker.sock"));
	assert_false(conn_socket_allowed("/var/run/docker.sock"));
	assert_false(conn_socket_allowed("/srv/engines/"));
	assert_false(conn_socket_allowed("/srv/engines/sub/a.sock"));
	assert_false(conn_socket_allowed("/srv/engines/../etc/a.sock"));
	assert_false(conn_socket_allowed("/srv/engines/.."));
	assert_false(conn_socket_allowed("/opt/docker.sock2"));
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	log_set_level(LOG_ERROR);
	static const unsigned char key[32] = "unit-test-key-unit-test-key-0123";
	secret_init_key(key);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_typed_row_and_writes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_target_unsealed_and_wiped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_operations_need_a_pinned_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_local_sockets_only_those_allowed, setup,
						teardown),
	};
	return cmocka_run_group_tests_name("conn", tests, NULL, NULL);
}
