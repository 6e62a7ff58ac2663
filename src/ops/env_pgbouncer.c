/* env_pgbouncer.c: the PgBouncer stage. */
#include <string.h>

#include "lib/secret.h"
#include "ops/env_int.h"
#include "ops/images.h"
#include "render/render.h"

int deploy_pgbouncer(struct engine *e, struct job *j, struct envrt *rt, bool force,
		     struct berr *err)
{
	if (!rt->pgbouncer) {
		json_t *c = engine_container_inspect(e, rt->pgb);
		if (c) {
			job_log(j, "PgBouncer disabled: removing %s", rt->pgb);
			engine_container_remove(e, rt->pgb, err);
		}
		json_decref(c);
		return 0;
	}
	char img[128];
	if (images_ensure(e, j, IMG_PGBOUNCER, img, sizeof img, err) < 0)
		return -1;
	struct render_pgbouncer b = {rt->db, rt->db_name, DB_USER, rt->db_password, rt->pg_cpu_c,
				     rt->pg_ram};
	char *ini = render_pgbouncer_ini(&b, err);
	char *users = ini ? render_pgbouncer_userlist(&b, err) : NULL;
	if (!users) {
		free(ini);
		return -1;
	}
	struct efile files[] = {
		{"pgbouncer.ini", ini, strlen(ini), 0644},
		{"userlist.txt", users, strlen(users), 0600},
	};
	json_t *spec = json_pack("{s:s,s:o,s:o}", "Image", img, "Labels", labels(rt, "pgbouncer"),
				 "HostConfig", host_config(rt->net, 0, 128, 0, 64, restart_policy(rt)));
	/* PgBouncer files live in /etc/berth too; the ini points its auth_file there */
	int rc = converge_container(e, j, rt->pgb, spec, "/etc/berth", files, ARRAY_SIZE(files),
				    force, NULL, err);
	json_decref(spec);
	free(ini);
	secret_free(users);
	return rc;
}
