/* probe.c: placeholder until the SSH/Docker driver lands. */
#include "drivers/probe.h"
#include <stdio.h>
#include <string.h>

void server_probe(const struct server_target *t, struct probe_result *out)
{
	(void)t;
	memset(out, 0, sizeof *out);
	snprintf(out->status, sizeof out->status, "error");
	snprintf(out->reason, sizeof out->reason, "not implemented");
}
