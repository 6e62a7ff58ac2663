/* cmd_admin.c: berth admin odoo-versions [set VERSION IMAGE], berth admin ide [--image REF]
 * (platform administrator). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/out.h"
#include "lib/util.h"

static void print_versions(json_t *list)
{
	struct table *t = table_new("VERSION IMAGE");
	size_t i;
	json_t *v;
	json_array_foreach(list, i, v) {
		table_cellj(t, v, "version");
		table_cellj(t, v, "image");
	}
	table_print(t);
}

static int cmd_odoo_versions(struct cli *c, struct args *a)
{
	json_t *list;
	int ex;
	if (a->npos == 0) {
		if ((ex = api_get(c, "/api/v1/admin/odoo-versions", &list)))
			return ex;
		if (!emit_json(c, list)) {
			print_versions(list);
			json_decref(list);
		}
		return EX_OK;
	}
	if (a->npos != 3 || strcmp(a->pos[0], "set") != 0)
		return usage_error(c, "expected no argument, or: set VERSION IMAGE");
	json_t *body = json_pack("[{s:s,s:s}]", "version", a->pos[1], "image", a->pos[2]);
	ex = api_call(c, "PUT", "/api/v1/admin/odoo-versions", body, &list, 0);
	json_decref(body);
	if (ex)
		return ex;
	emit_msg(c, list, "Odoo %s now runs from the image %s.", a->pos[1], a->pos[2]);
	return EX_OK;
}

static const struct opt NONE[] = {OPT_END};

/* berth admin ide [--image REF]: the image of environments' IDEs (issue 14). */
static const struct opt IDE_OPTS[] = {
	{"image", OPT_STR, NULL, "REF", "set the IDE image (a Docker image reference)", 0},
	OPT_END,
};

static int cmd_ide(struct cli *c, struct args *a)
{
	json_t *out;
	const char *image = arg_get(a, "image");
	int ex;
	if (image) {
		json_t *body = json_pack("{s:s}", "image", image);
		ex = api_call(c, "PUT", "/api/v1/admin/ide", body, &out, 0);
		json_decref(body);
		if (ex)
			return ex;
		emit_msg(c, out, "Environments' IDEs now run from the image %s (at their next deploy).",
			 image);
		return EX_OK;
	}
	if ((ex = api_get(c, "/api/v1/admin/ide", &out)))
		return ex;
	if (!emit_json(c, out)) {
		printf("image    %s\ndefault  %s\n", jstr(out, "image"), jstr(out, "default"));
		json_decref(out);
	}
	return EX_OK;
}

const struct verb admin_verbs[] = {
	{"odoo-versions", "[set VERSION IMAGE]",
	 "List the Odoo image used per version, or set one (administrator).", NONE, 0, 3,
	 cmd_odoo_versions},
	{"ide", "[--image REF]", "Show or set the image of environments' IDEs (administrator).",
	 IDE_OPTS, 0, 0, cmd_ide},
	{NULL, NULL, NULL, NULL, 0, 0, NULL},
};
