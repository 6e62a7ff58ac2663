/* probe.c: reaches a server (SSH or the local Docker socket), checks that the Docker Engine
 * answers and reads its capacity, all through the Engine API (drivers/engine.h) plus, over
 * SSH, one fixed `df`. The SSH session (drivers/sshconn.h) pins the host key before it
 * authenticates; nothing here sees the credentials beyond handing them over. */
#include "drivers/probe.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>

#include "drivers/engine.h"
#include "drivers/sshconn.h"
#include "lib/valid.h"

#define DEFAULT_SOCKET "/var/run/docker.sock"
#define DEFAULT_ROOT "/var/lib/docker"
#define GIB (1024.0 * 1024.0 * 1024.0)

static void set(struct probe_result *o, const char *status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set(struct probe_result *o, const char *status, const char *fmt, ...)
{
	snprintf(o->status, sizeof o->status, "%s", status);
	o->reason[0] = '\0';
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(o->reason, sizeof o->reason, fmt, ap);
		va_end(ap);
	}
}

/* The daemon's own words from an error reply ({"message": "..."}), or "". */
static const char *daemon_message(json_t *reply)
{
	const char *m = json_string_value(json_object_get(reply, "message"));
	return m ? m : "";
}

/* GET path, expecting 200 and a JSON object. On failure, out->status/reason say why. */
static json_t *get_json(struct engine *e, const char *sock, const char *path,
			struct probe_result *out)
{
	struct berr err = {0};
	int status = 0;
	json_t *reply = NULL;
	if (engine_call(e, "GET", path, NULL, &status, &reply, &err) < 0) {
		/* the engine's message names the socket already ("Docker Engine does not answer
		 * on <socket>: <cause>") when it could not open the stream */
		if (str_starts(err.message, "Docker Engine does not answer"))
			set(out, "error", "%s", err.message);
		else
			set(out, "error", "Docker Engine does not answer on %.100s: %.360s", sock,
			    err.message[0] ? err.message : "no answer");
		json_decref(reply);
		return NULL;
	}
	if (status != 200) {
		set(out, "error", "Docker Engine on %.100s refused GET %s with HTTP %d%s%.300s", sock,
		    path, status, daemon_message(reply)[0] ? ": " : "", daemon_message(reply));
		json_decref(reply);
		return NULL;
	}
	if (!str_eq(path, "/_ping") && !json_is_object(reply)) {
		set(out, "error", "Docker Engine on %.100s answered GET %s with something other than"
		    " a JSON object", sock, path);
		json_decref(reply);
		return NULL;
	}
	if (!reply) /* /_ping answers "OK", not JSON */
		reply = json_object();
	return reply;
}

/* Size of the filesystem holding root on the server, GiB (0 when unknown). */
static long long disk_gb_ssh(struct engine *e, const char *root)
{
	struct sbuf cmd = SBUF_INIT, res = SBUF_INIT;
	struct berr err = {0};
	/* the one remote command of the probe: fixed text plus one quoted path */
	sbuf_adds(&cmd, "df -Pk -- ");
	shell_quote(&cmd, root);
	int code = -1;
	long long gb = 0;
	if (sshconn_exec(engine_ssh(e), cmd.buf, &code, &res, 20, &err) == 0 && code == 0) {
		/* POSIX format: a header line ("Filesystem 1024-blocks Used ..."), then
		 * "filesystem 1024-blocks used available capacity mountpoint". Anything a login
		 * script printed before the header is skipped. */
		const char *hdr = strstr(sbuf_str(&res), "1024-blocks");
		const char *l2 = strchr(hdr ? hdr : sbuf_str(&res), '\n');
		long long blocks = 0;
		if (l2 && sscanf(l2 + 1, "%*s %lld", &blocks) == 1 && blocks > 0)
			gb = (long long)((double)blocks * 1024.0 / GIB);
	}
	sbuf_release(&cmd);
	sbuf_release(&res);
	return gb;
}

static long long disk_gb_local(const char *root)
{
	struct statvfs vfs;
	if (statvfs(root, &vfs) != 0 && statvfs("/", &vfs) != 0)
		return 0;
	return (long long)((double)vfs.f_blocks * (double)vfs.f_frsize / GIB);
}

/* Over SSH, when the Engine does not answer: is Docker installed at all? */
static bool docker_installed(struct engine *e)
{
	struct sbuf res = SBUF_INIT;
	struct berr err = {0};
	int code = -1;
	bool missing = sshconn_exec(engine_ssh(e), "command -v dockerd", &code, &res, 20, &err) == 0 &&
		       code != 0;
	sbuf_release(&res);
	return !missing;
}

void server_probe(const struct engine_target *t, struct probe_result *out)
{
	memset(out, 0, sizeof *out);
	bool local = str_eq(t->transport, "local");
	const char *sock = t->docker_socket && *t->docker_socket ? t->docker_socket : DEFAULT_SOCKET;
	if (!local && !str_eq(t->transport, "ssh")) {
		set(out, "error", "unknown transport \"%.20s\"", t->transport ? t->transport : "");
		return;
	}
	if (!local && (!t->host || !*t->host || t->port < 1 || t->port > 65535 || !t->user)) {
		set(out, "error", "the server has no complete SSH address (host, port, user)");
		return;
	}
	if (!local && !t->private_key && !t->password) {
		set(out, "error", "the server has no SSH credentials");
		return;
	}

	struct berr err = {0};
	struct engine_target tt = *t;
	if (tt.docker_socket && !*tt.docker_socket)
		tt.docker_socket = NULL; /* engine_connect: the default socket */
	struct engine *e = engine_connect(&tt, local ? NULL : out->host_key, &err);
	if (!e) {
		/* cannot connect (refused, timeout, DNS): offline; connected but refused (host
		 * key changed, authentication, unreadable key): error */
		set(out, err.code == BE_SERVER_UNREACHABLE ? "offline" : "error", "%s", err.message);
		return;
	}
	engine_set_io_timeout(e, 15000); /* a test answers quickly or reports why not */

	json_t *info = NULL, *ver = NULL, *ping = get_json(e, sock, "/_ping", out);
	if (!ping) {
		if (!local && !docker_installed(e)) {
			out->docker_missing = true;
			set(out, "error", "Docker Engine is not installed on the server");
		}
		goto done;
	}
	if (!(ver = get_json(e, sock, "/version", out)) ||
	    !(info = get_json(e, sock, "/info", out)))
		goto done;

	const char *v = json_string_value(json_object_get(ver, "Version"));
	if (!v)
		v = json_string_value(json_object_get(info, "ServerVersion"));
	snprintf(out->docker_version, sizeof out->docker_version, "%s", v ? v : "");
	out->cpu_cores = (double)json_integer_value(json_object_get(info, "NCPU"));
	out->ram_mb = (long long)(json_integer_value(json_object_get(info, "MemTotal")) /
				  (1024 * 1024));
	const char *root = json_string_value(json_object_get(info, "DockerRootDir"));
	if (!root || !valid_abs_path(root) || strlen(root) > 1024)
		root = DEFAULT_ROOT;
	out->disk_gb = local ? disk_gb_local(root) : disk_gb_ssh(e, root);

	if (out->cpu_cores <= 0 || out->ram_mb <= 0)
		set(out, "error", "Docker Engine on %.100s did not report CPU and memory (/info)", sock);
	else
		set(out, "running", NULL);
done:
	json_decref(ping);
	json_decref(ver);
	json_decref(info);
	engine_close(e);
}
