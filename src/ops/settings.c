/* settings.c: platform settings the operations read. */
#include <string.h>

#include "core/envspec.h"
#include "lib/util.h"
#include "ops/ops.h"
#include "store/model.h"

json_t *ops_odoo_images(void)
{
	char *s = model_setting_get("odoo_images");
	json_t *stored = s ? json_loads(s, 0, NULL) : NULL;
	free(s);
	json_t *out = json_array();
	for (size_t i = 0; i < ARRAY_SIZE(ODOO_VERSIONS); i++) {
		const char *img = NULL;
		size_t k;
		json_t *v;
		json_array_foreach(stored, k, v)
			if (str_eq(json_string_value(json_object_get(v, "version")), ODOO_VERSIONS[i]))
				img = json_string_value(json_object_get(v, "image"));
		json_t *o = json_pack("{s:s}", "version", ODOO_VERSIONS[i]);
		json_object_set_new(o, "image", img ? json_string(img)
						    : json_sprintf("odoo:%s", ODOO_VERSIONS[i]));
		json_array_append_new(out, o);
	}
	json_decref(stored);
	return out;
}

char *ops_odoo_image(const char *version)
{
	json_t *all = ops_odoo_images();
	char *img = NULL;
	size_t i;
	json_t *v;
	json_array_foreach(all, i, v)
		if (str_eq(json_string_value(json_object_get(v, "version")), version))
			img = xstrdup(json_string_value(json_object_get(v, "image")));
	json_decref(all);
	return img;
}
