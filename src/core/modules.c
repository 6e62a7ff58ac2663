/* modules.c: Odoo modules in git trees. */
#include "core/modules.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

bool module_name_valid(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n < 1 || n > 128)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return false;
	return true;
}

static bool path_ok(const char *s)
{
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._/-", *s))
			return false;
	return true;
}

json_t *modules_in_tree(json_t *files)
{
	json_t *cand = json_object();
	size_t i;
	json_t *v;
	json_array_foreach(files, i, v) {
		const char *p = json_string_value(v);
		const char *slash = p ? strrchr(p, '/') : NULL;
		if (!slash || (strcmp(slash + 1, "__manifest__.py") != 0 &&
			       strcmp(slash + 1, "__openerp__.py") != 0))
			continue;
		char *dir = xstrndup(p, (size_t)(slash - p));
		const char *base = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;
		if (module_name_valid(base))
			json_object_set_new(cand, dir, json_string(base));
		free(dir);
	}
	/* drop modules nested in another module (test fixtures, vendored copies) */
	json_t *out = json_object();
	const char *d;
	json_object_foreach(cand, d, v) {
		bool nested = false;
		const char *o;
		json_t *w;
		json_object_foreach(cand, o, w) {
			size_t n = strlen(o);
			if (strcmp(o, d) != 0 && strncmp(d, o, n) == 0 && d[n] == '/')
				nested = true;
		}
		if (!nested)
			json_object_set(out, d, v);
	}
	json_decref(cand);
	return out;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static json_t *sorted(json_t *set)
{
	size_t n = json_object_size(set), i = 0;
	const char **keys = xcalloc(n ? n : 1, sizeof *keys);
	const char *k;
	json_t *v;
	json_object_foreach(set, k, v)
		keys[i++] = k;
	qsort(keys, n, sizeof *keys, cmp_str);
	json_t *a = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(a, json_string(keys[i]));
	free(keys);
	return a;
}

json_t *modules_addons_dirs(json_t *files)
{
	json_t *mods = modules_in_tree(files);
	json_t *set = json_object();
	const char *d;
	json_t *v;
	json_object_foreach(mods, d, v) {
		const char *slash = strrchr(d, '/');
		char *parent = slash ? xstrndup(d, (size_t)(slash - d)) : xstrdup("");
		if (path_ok(parent))
			json_object_set_new(set, parent, json_true());
		free(parent);
	}
	json_decref(mods);
	json_t *out = sorted(set); /* "" sorts first */
	json_decref(set);
	return out;
}

json_t *modules_changed(json_t *before_files, json_t *after_files, json_t *changed_paths)
{
	json_t *before = modules_in_tree(before_files);
	json_t *after = modules_in_tree(after_files);
	json_t *set = json_object();
	size_t i;
	json_t *v;
	json_array_foreach(changed_paths, i, v) {
		const char *p = json_string_value(v);
		const char *d;
		json_t *name;
		json_object_foreach(before, d, name) {
			size_t n = strlen(d);
			if (strncmp(p, d, n) == 0 && p[n] == '/' && json_object_get(after, d))
				json_object_set_new(set, json_string_value(name), json_true());
		}
	}
	json_t *out = sorted(set);
	json_decref(set);
	json_decref(before);
	json_decref(after);
	return out;
}
