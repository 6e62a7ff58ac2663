/* probe.h: reach a server (over SSH, or the local Docker socket), check that the Docker
 * Engine answers, and read its capacity. */
#ifndef BERTH_PROBE_H
#define BERTH_PROBE_H
#include <stdbool.h>
#include "drivers/target.h"

struct probe_result {
	char status[16];          /* "running", "offline" (cannot connect) or "error" */
	char reason[512];         /* why, when not running */
	char host_key[128];       /* fingerprint the server presented ("SHA256:...") */
	double cpu_cores;
	long long ram_mb;
	long long disk_gb;        /* size of the filesystem holding Docker's root dir */
	char docker_version[64];
	bool docker_missing;      /* SSH works but no Docker Engine is installed (prepare it) */
};

/* Never fails as a call: the outcome is in out->status. A host key different from
 * t->known_host_key yields "error" with a reason naming both fingerprints, and nothing else is
 * done on that connection. */
void server_probe(const struct engine_target *t, struct probe_result *out);
#endif
