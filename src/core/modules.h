/* modules.h: Odoo modules found in a list of repository paths. A module is a directory holding
 * __manifest__.py (or __openerp__.py) whose name is a valid module name; modules nested in
 * another module are not modules. Pure functions, for deploy and for tests. */
#ifndef BERTH_MODULES_H
#define BERTH_MODULES_H
#include <jansson.h>
#include <stdbool.h>

bool module_name_valid(const char *s);
/* {dir: name} of the modules in files (paths of a tree). */
json_t *modules_in_tree(json_t *files);
/* Directories to put on the addons path: parents of modules, "" for the root first, then
 * sorted; only paths made of [A-Za-z0-9._/-]. */
json_t *modules_addons_dirs(json_t *files);
/* Sorted names of the modules of `before` that still exist in `after` and hold a changed
 * path (a new module is not in the list: it is not installed automatically). */
json_t *modules_changed(json_t *before_files, json_t *after_files, json_t *changed_paths);
#endif
