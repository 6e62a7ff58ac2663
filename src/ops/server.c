/* server.c: preparing a server: installs the Docker Engine through the package manager of a
 * Debian or Ubuntu server when it is missing. The remote script is fixed text. */
#include <string.h>

#include "api/servers.h"
#include "drivers/sshconn.h"
#include "jobs/queue.h"
#include "lib/util.h"
#include "ops/ops.h"
#include "store/db.h"

static const char PREPARE_SCRIPT[] =
	"set -e\n"
	". /etc/os-release\n"
	"case \"$ID $ID_LIKE\" in *debian*|*ubuntu*) ;; *) echo \"unsupported system: $ID\"; exit 3;; esac\n"
	"SUDO=; [ \"$(id -u)\" = 0 ] || SUDO='sudo -n'\n"
	"if ! command -v dockerd >/dev/null 2>&1; then\n"
	"  echo 'installing docker.io'\n"
	"  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q\n"
	"  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q docker.io\n"
	"fi\n"
	"if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then\n"
	"  $SUDO systemctl enable --now docker\n"
	"else\n"
	"  $SUDO service docker start || true\n"
	"fi\n"
	"for i in $(seq 60); do [ -S /var/run/docker.sock ] && break; sleep 1; done\n"
	"[ -S /var/run/docker.sock ] && echo 'Docker Engine is installed'\n";

static int job_prepare(struct job *j, struct berr *err)
{
	char *transport = db_str("SELECT transport FROM servers WHERE id=?", "s", j->server_id);
	bool local = str_eq(transport, "local");
	free(transport);
	if (local)
		return berr_set(err, BE_CONFLICT, NULL,
				"the local server uses the Docker Engine of the machine berthd runs on:"
				" install docker.io there");
	db_exec("UPDATE servers SET status='provisioning', status_reason=NULL WHERE id=?", "s",
		j->server_id);
	job_stage(j, "Connect to server");
	ssh_session s = sshconn_open_server(j->server_id, err);
	if (!s) {
		db_exec("UPDATE servers SET status='error', status_reason=? WHERE id=?", "ss",
			err->message, j->server_id);
		return -1;
	}
	job_stage(j, "Install Docker Engine");
	struct sbuf out = SBUF_INIT;
	int code = -1;
	int rc = sshconn_exec(s, PREPARE_SCRIPT, &code, &out, 1200, err);
	job_log(j, "%s", sbuf_str(&out));
	sbuf_release(&out);
	ssh_disconnect(s);
	ssh_free(s);
	if (rc == 0 && code != 0)
		rc = berr_set(err, BE_INTERNAL_ERROR, NULL,
			      code == 3 ? "only Debian and Ubuntu servers can be prepared"
					: "installing the Docker Engine failed (exit status %d)", code);
	if (rc < 0) {
		db_exec("UPDATE servers SET status='error', status_reason=? WHERE id=?", "ss",
			err->message, j->server_id);
		return -1;
	}
	job_stage(j, "Test");
	server_test_and_record(j->server_id);
	char *st = db_str("SELECT status FROM servers WHERE id=?", "s", j->server_id);
	rc = str_eq(st, "running") ? 0 : berr_set(err, BE_INTERNAL_ERROR, NULL,
						  "the server is %s after preparation", st);
	free(st);
	return rc;
}

void ops_register_server(void)
{
	queue_register("prepare", job_prepare);
}
