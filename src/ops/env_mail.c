/* env_mail.c: the mail catcher of a non-production environment (issue 14, docs/mails.md):
 * berth's image IMG_MAILCATCHER (python3-aiosmtpd and berth's berth-mails script) on the
 * environment's network as rt->mail, port 1025 without TLS or authentication, its mails in
 * the volume rt->vol_mail. Odoo's odoo.conf (env_odoo.c) and the neutralized database's only
 * active ir_mail_server (neutralize.c) send through it. Production never has one. */
#include "ops/env_int.h"
#include "ops/images.h"

int env_mailcatcher(struct engine *e, struct job *j, struct envrt *rt, struct berr *err)
{
	if (str_eq(rt->type, "production")) {
		/* an environment that was not production before: its catcher goes */
		json_t *c = engine_container_inspect(e, rt->mail);
		if (c) {
			job_log(j, "production sends real mail: removing the mail catcher %s", rt->mail);
			if (engine_container_remove(e, rt->mail, err) < 0) {
				json_decref(c);
				return -1;
			}
			struct berr e2 = {0};
			engine_volume_remove(e, rt->vol_mail, &e2);
		}
		json_decref(c);
		return 0;
	}
	char img[128];
	if (images_ensure(e, j, IMG_MAILCATCHER, img, sizeof img, err) < 0)
		return -1;
	if (engine_volume_ensure(e, rt->vol_mail, labels(rt, "mail"), err) < 0)
		return -1;
	json_t *hc = host_config(rt->net, 0, 128, 0, 16, restart_policy(rt));
	json_object_set_new(hc, "Mounts", json_pack("[{s:s,s:s,s:s}]", "Type", "volume", "Source",
						    rt->vol_mail, "Target", "/var/lib/berth-mail"));
	json_t *spec = json_pack("{s:s,s:o,s:o}", "Image", img, "Labels", labels(rt, "mail"),
				 "HostConfig", hc);
	bool changed = false;
	int rc = converge_container(e, j, rt->mail, spec, NULL, NULL, 0, false, &changed, err);
	json_decref(spec);
	if (rc == 0)
		job_log(j, "mail catcher %s %s: Odoo's outgoing mail stops there (%s:1025)", rt->mail,
			changed ? "started" : "running", rt->mail);
	return rc;
}
