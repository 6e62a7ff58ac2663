/* probe.c: reaches a server (SSH or the local Docker socket), checks that the Docker Engine
 * answers and reads its capacity, all through the Engine API plus one fixed `df`. */
#include "drivers/probe.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>

#include "drivers/engine.h"
#include "drivers/sshconn.h"
#include "lib/valid.h"

static void set(struct probe_result *o, const char *status, const char *reason)
{
	snprintf(o->status, sizeof o->status, "%s", status);
	snprintf(o->reason, sizeof o->reason, "%s", reason ? reason : "");
}

void server_probe(const struct server_target *t, struct probe_result *out)
{
	memset(out, 0, sizeof *out);
	struct berr err = {0};
	struct engine *e = engine_open_target(t->transport, t->host, t->port, t->user, t->private_key,
					      t->password, t->docker_socket, t->known_host_key,
					      out->host_key, t->timeout_s, &err);
	if (!e) {
		/* cannot connect: offline; connected but refused (key, auth): error */
		set(out, err.code == BE_SERVER_UNREACHABLE ? "offline" : "error", err.message);
		return;
	}
	int status = 0;
	json_t *reply = NULL;
	if (engine_call(e, "GET", "/_ping", NULL, &status, &reply, &err) < 0 || status != 200) {
		json_decref(reply);
		char why[sizeof out->reason];
		snprintf(why, sizeof why, "Docker Engine does not answer on %.60s: %.400s", t->docker_socket,
			 err.message[0] ? err.message : "no answer to /_ping");
		set(out, "error", why);
		if (engine_ssh(e)) { /* is it installed at all? */
			int code = -1;
			struct sbuf res = SBUF_INIT;
			if (sshconn_exec(engine_ssh(e), "command -v dockerd", &code, &res, 20, &err) == 0 &&
			    code != 0) {
				out->docker_missing = true;
				set(out, "error", "Docker Engine is not installed on the server");
			}
			sbuf_release(&res);
		}
		engine_close(e);
		return;
	}
	json_decref(reply);
	reply = NULL;
	if (engine_call(e, "GET", "/info", NULL, &status, &reply, &err) < 0 || status != 200) {
		set(out, "error", "Docker Engine does not answer /info");
		json_decref(reply);
		engine_close(e);
		return;
	}
	out->cpu_cores = (double)json_integer_value(json_object_get(reply, "NCPU"));
	out->ram_mb = (long long)(json_integer_value(json_object_get(reply, "MemTotal")) / (1024 * 1024));
	snprintf(out->docker_version, sizeof out->docker_version, "%s",
		 json_string_value(json_object_get(reply, "ServerVersion")) ?: "");
	const char *root = json_string_value(json_object_get(reply, "DockerRootDir"));
	char rootdir[512];
	snprintf(rootdir, sizeof rootdir, "%s", root && valid_abs_path(root) ? root : "/var/lib/docker");
	json_decref(reply);
	if (str_eq(t->transport, "local")) {
		struct statvfs vfs;
		if (statvfs(rootdir, &vfs) == 0 || statvfs("/", &vfs) == 0)
			out->disk_gb = (long long)((double)vfs.f_blocks * vfs.f_frsize / (1024.0 * 1024 * 1024));
	} else {
		struct sbuf cmd = SBUF_INIT, res = SBUF_INIT;
		sbuf_adds(&cmd, "df -Pk -- ");
		shell_quote(&cmd, rootdir);
		int code = -1;
		if (sshconn_exec(engine_ssh(e), cmd.buf, &code, &res, 20, &err) == 0 && code == 0) {
			/* second line: filesystem 1024-blocks used available capacity mount */
			const char *l2 = strchr(sbuf_str(&res), '\n');
			long long blocks = 0;
			if (l2 && sscanf(l2 + 1, "%*s %lld", &blocks) == 1)
				out->disk_gb = blocks / (1024 * 1024);
		}
		sbuf_release(&cmd);
		sbuf_release(&res);
	}
	engine_close(e);
	if (out->cpu_cores <= 0 || out->ram_mb <= 0) {
		set(out, "error", "Docker Engine did not report CPU and memory");
		return;
	}
	set(out, "running", NULL);
}
